//! Short human formats for ages, byte counts and terminal-safe text.

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
