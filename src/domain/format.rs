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

/// Removes what could drive the terminal from text a cloud or a VM gave us:
/// whole escape sequences (never leaving their `[2J` behind), in their 7-bit
/// (`ESC [`) and 8-bit (C1: `CSI`, `OSC`, ...) forms; control characters;
/// and the invisible characters terminals do not agree on (a soft hyphen
/// one counts and another shows, bidi controls that reorder the line).
/// Tabs become spaces, line breaks one space.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            // DCS, SOS, OSC, PM, APC: a string up to its terminator.
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push_str("    "),
            '\n' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// What follows an ESC (ECMA-48 / ECMA-35): a CSI, a control string, an
/// `ESC <intermediates> <final>` sequence (charset selection), or one
/// character. A lone ESC, or one before what cannot follow it, goes alone.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        Some(' '..='/') => {
            while chars.next_if(|c| matches!(c, ' '..='/')).is_some() {}
            chars.next_if(|c| matches!(c, '0'..='~'));
        }
        Some('0'..='~') => {
            chars.next();
        }
        _ => {}
    }
}

/// A CSI's parameters (`0`-`?`), intermediates (` `-`/`) and final byte
/// (`@`-`~`). Anything else ends it early and is judged on its own.
fn skip_csi(chars: &mut Chars<'_>) {
    while let Some(c) = chars.peek().copied() {
        match c {
            '0'..='?' | ' '..='/' => {
                chars.next();
            }
            '@'..='~' => {
                chars.next();
                return;
            }
            _ => return,
        }
    }
}

/// A control string (OSC title, DCS, APC image, ...) up to BEL or ST
/// (`ESC \` or C1 `ST`); CAN and SUB cancel it, and another ESC ends it and
/// starts a sequence of its own, as in a terminal.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\x07' | '\u{9c}' | '\x18' | '\x1a' => return,
            '\x1b' => {
                if chars.next_if_eq(&'\\').is_none() {
                    skip_escape(chars);
                }
                return;
            }
            _ => {}
        }
    }
}

/// Format characters that show nothing, or something only in some
/// terminals: the soft hyphen, zero-width space, word joiner and invisible
/// operators, byte order mark, interlinear annotations and the bidi
/// controls. ZWJ, ZWNJ and variation selectors stay: emoji sequences and
/// scripts need them, and terminals agree on them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{61c}'
            | '\u{200b}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
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
    fn sanitize_drops_whole_sequences_never_their_remains() {
        // Nova's fault text as a hostile or broken cloud may send it.
        assert_eq!(
            sanitize("No valid host \x1b[2J\x1b[5mBLINK"),
            "No valid host BLINK"
        );
        // The 8-bit forms: CSI, OSC, DCS, APC, PM, SOS and ST as C1 characters.
        assert_eq!(sanitize("a\u{9b}2Jb\u{9b}?25lc"), "abc");
        assert_eq!(sanitize("a\u{9d}0;title\u{9c}b"), "ab");
        assert_eq!(sanitize("a\u{90}1$r\u{9c}b\u{9f}apc\u{9c}c"), "abc");
        // String sequences end at BEL or ST (ESC \), and their payload goes.
        assert_eq!(
            sanitize("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b"),
            "alinkb"
        );
        assert_eq!(sanitize("a\x1bPq#0;2;0;0;0\x1b\\b"), "ab");
        assert_eq!(sanitize("a\x1b_Gf=100;AAAA\x1b\\b"), "ab");
        assert_eq!(sanitize("a\x1b^pm\x1b\\b\x1bXsos\x07c"), "abc");
        // An escape inside a string ends it and is itself dropped whole.
        assert_eq!(sanitize("a\x1b]0;t\x1b[2Jb"), "ab");
        // Charset selection and other ESC + intermediate + final sequences.
        assert_eq!(sanitize("a\x1b(Bb\x1b#8c\x1b%Gd"), "abcd");
        // Two-character escapes: keypad mode, reset, save/restore cursor.
        assert_eq!(sanitize("a\x1b=b\x1bcc\x1b7d\x1b8e"), "abcde");
        // A CSI cut short by something that cannot be in it ends there.
        assert_eq!(sanitize("a\x1b[12ü"), "aü");
        assert_eq!(sanitize("end\x1b"), "end");
        assert_eq!(sanitize("end\x1b["), "end");
        // Private parameters and intermediates belong to the sequence.
        assert_eq!(sanitize("a\x1b[?1049hb\x1b[0 qc\x1b[>4;2md"), "abcd");
    }

    #[test]
    fn sanitize_drops_invisible_characters_terminals_disagree_on() {
        // Soft hyphen, zero-width space, word joiner, BOM, bidi controls.
        assert_eq!(sanitize("co\u{ad}op"), "coop");
        assert_eq!(sanitize("a\u{200b}b\u{2060}c\u{feff}d"), "abcd");
        assert_eq!(
            sanitize("\u{202e}evil\u{202c} \u{2066}x\u{2069}\u{200f}"),
            "evil x"
        );
        // What emoji and scripts need stays: ZWJ, ZWNJ, variation selectors.
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(sanitize(family), family);
        assert_eq!(sanitize("❤\u{fe0f}"), "❤\u{fe0f}");
        assert_eq!(sanitize("می\u{200c}خواهم"), "می\u{200c}خواهم");
        // Line breaks inside a message become spaces, not glued words.
        assert_eq!(
            sanitize("first\nsecond\r\nthird\u{2028}x"),
            "first second third x"
        );
    }

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("t\x1b]0;title\x07x"), "tx");
        assert_eq!(sanitize("a\tb\r\x08c"), "a    bc");
        assert_eq!(sanitize("ünïcode ✓"), "ünïcode ✓");
    }
}
