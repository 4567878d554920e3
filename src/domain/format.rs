//! Short human formats for ages, spans, sums of money, byte counts and
//! terminal-safe text.

use chrono::Duration;

/// `17s`, `42m`, `5h12m`, `3d4h`.
pub fn age(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins) = (secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60);
    if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{mins:02}m")
    } else if mins > 0 {
        format!("{mins}m")
    } else {
        format!("{secs}s")
    }
}

/// `45s`, `12m`, `9h 12m`, `8h`, `3d 4h`: a span in a sentence (a flag's
/// reason), where [`age`] is the table's compact cell.
pub fn span(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins) = (secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// A window of minutes after "the last": `hour`, `2 h`, `30 min`.
pub fn window(mins: u32) -> String {
    match mins {
        60 => "hour".into(),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

/// An hourly price: `$0.0116`, `$0.17`, `$32.77`, `$1.5k`. Prices are small,
/// so up to four decimals keep t2.nano and t3.nano apart.
pub fn dollars_fine(d: f64) -> String {
    let d = if d.is_finite() { d.max(0.0) } else { 0.0 };
    if d == 0.0 {
        "$0".into()
    } else if d < 0.0001 {
        "<$0.0001".into()
    } else if d < 10.0 {
        let mut s = format!("{d:.4}");
        // Cents always shown, extra zeros not: $0.17, $0.085, $0.0116.
        while s.ends_with('0') && s.len() > s.find('.').map_or(0, |dot| dot + 3) {
            s.pop();
        }
        format!("${s}")
    } else if d < 1000.0 {
        format!("${d:.2}")
    } else {
        format!("${}", compact(d))
    }
}

/// A sum of money: cents at most, and short once large: `$0.28`, `$342`,
/// `$1.5k`, `<$0.01`.
pub fn dollars_coarse(d: f64) -> String {
    let d = if d.is_finite() { d.max(0.0) } else { 0.0 };
    if d == 0.0 {
        "$0.00".into()
    } else if d < 0.01 {
        "<$0.01".into()
    } else if d < 100.0 {
        format!("${d:.2}")
    } else if d < 1000.0 {
        format!("${d:.0}")
    } else {
        format!("${}", compact(d))
    }
}

/// `2.0`, `12`, `1.5k`, `15k`, `1.2M`.
pub fn compact(x: f64) -> String {
    let x = if x.is_finite() { x.max(0.0) } else { 0.0 };
    let (value, suffix) = if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    if value < 10.0 {
        format!("{value:.1}{suffix}")
    } else {
        format!("{value:.0}{suffix}")
    }
}

/// `x` with at most `decimals` decimals and no trailing zeros: `0.5`, `8`.
pub fn trim_decimals(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `512 B`, `1.5 kB`, `3.2 MB` (decimal units, as CloudWatch and Gnocchi count).
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = b.max(0.0);
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Seconds as `60 s`, `5 min`, `1 h`.
pub fn period(secs: u32) -> String {
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Removes what could drive the terminal (escape sequences, control
/// characters) from text a cloud or a VM gave us; tabs become spaces.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \`, or a two-byte escape.
                match chars.peek() {
                    Some('[') => {
                        chars.next();
                        for c in chars.by_ref() {
                            if ('@'..='~').contains(&c) {
                                break;
                            }
                        }
                    }
                    Some(']') => {
                        chars.next();
                        while let Some(c) = chars.next() {
                            if c == '\x07' {
                                break;
                            }
                            if c == '\x1b' && chars.peek() == Some(&'\\') {
                                chars.next();
                                break;
                            }
                        }
                    }
                    Some(_) => {
                        chars.next();
                    }
                    None => {}
                }
            }
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(age(Duration::seconds(17)), "17s");
        assert_eq!(age(Duration::seconds(42 * 60 + 5)), "42m");
        assert_eq!(age(Duration::seconds(5 * 3600 + 12 * 60)), "5h12m");
        assert_eq!(age(Duration::seconds(3 * 86_400 + 4 * 3600 + 59)), "3d4h");
        assert_eq!(age(Duration::seconds(-5)), "0s");
    }

    #[test]
    fn spans_read_well() {
        assert_eq!(span(Duration::seconds(45)), "45s");
        assert_eq!(span(Duration::minutes(12)), "12m");
        assert_eq!(span(Duration::hours(8)), "8h");
        assert_eq!(span(Duration::minutes(9 * 60 + 12)), "9h 12m");
        assert_eq!(span(Duration::hours(76)), "3d 4h");
        assert_eq!(span(Duration::hours(48)), "2d");
        assert_eq!(window(60), "hour");
        assert_eq!(window(120), "2 h");
        assert_eq!(window(30), "30 min");
    }

    #[test]
    fn money_is_short() {
        assert_eq!(dollars_fine(0.0116), "$0.0116");
        assert_eq!(dollars_fine(0.085), "$0.085");
        assert_eq!(dollars_fine(0.17), "$0.17");
        assert_eq!(dollars_fine(1.0), "$1.00");
        assert_eq!(dollars_fine(0.0), "$0");
        assert_eq!(dollars_fine(0.00001), "<$0.0001");
        assert_eq!(dollars_fine(32.77), "$32.77");
        assert_eq!(dollars_fine(1500.0), "$1.5k");
        assert_eq!(dollars_fine(f64::NAN), "$0");
        assert_eq!(dollars_coarse(0.28), "$0.28");
        assert_eq!(dollars_coarse(3.419), "$3.42");
        assert_eq!(dollars_coarse(342.4), "$342");
        assert_eq!(dollars_coarse(1523.0), "$1.5k");
        assert_eq!(dollars_coarse(0.001), "<$0.01");
        assert_eq!(dollars_coarse(0.0), "$0.00");
        assert_eq!(compact(12.2), "12");
        assert_eq!(compact(2.0), "2.0");
        assert_eq!(compact(1.2e6), "1.2M");
        assert_eq!(trim_decimals(0.5, 1), "0.5");
        assert_eq!(trim_decimals(8.0, 1), "8");
    }

    #[test]
    fn byte_counts() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1500.0), "1.5 kB");
        assert_eq!(bytes(3_250_000.0), "3.2 MB");
    }

    #[test]
    fn periods() {
        assert_eq!(period(10), "10 s");
        assert_eq!(period(60), "1 min");
        assert_eq!(period(300), "5 min");
        assert_eq!(period(3600), "1 h");
    }

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("t\x1b]0;title\x07x"), "tx");
        assert_eq!(sanitize("a\tb\r\x08c"), "a    bc");
        assert_eq!(sanitize("ünïcode ✓"), "ünïcode ✓");
    }
}
