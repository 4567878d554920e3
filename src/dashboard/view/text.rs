//! Fitting text into columns by its width on screen, not its length in
//! characters: a CJK character or an emoji takes two columns, so padding
//! by `chars().count()` would push everything after it out of line.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` columns, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    // Room for the ellipsis, which takes one column.
    let room = max.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `s` followed by spaces up to `columns` (like `{:<N}`, but by width).
pub fn pad(s: &str, columns: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(width(s))));
    out
}

/// Spaces then `s`, up to `columns` (like `{:>N}`, but by width).
pub fn pad_left(s: &str, columns: usize) -> String {
    let mut out: String = std::iter::repeat_n(' ', columns.saturating_sub(width(s))).collect();
    out.push_str(s);
    out
}

/// `s` cut to `columns` and padded to exactly `columns`.
pub fn fit(s: &str, columns: usize) -> String {
    pad(&truncate(s, columns), columns)
}

/// `s` in lines of at most `columns` columns, broken between words (a word
/// wider than a line is cut).
pub fn wrap(s: &str, columns: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let needed = width(&line) + usize::from(!line.is_empty()) + width(word);
        if !line.is_empty() && needed > columns {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&truncate(word, columns));
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_cut_and_padded_like_format() {
        assert_eq!(truncate("web-1", 10), "web-1");
        assert_eq!(truncate("forgotten-db", 6), "forgo…");
        assert_eq!(pad("web", 6), format!("{:<6}", "web"));
        assert_eq!(pad_left("3d", 6), format!("{:>6}", "3d"));
        assert_eq!(fit("forgotten-db", 6), "forgo…");
        assert_eq!(pad("toolong", 3), "toolong");
    }

    #[test]
    fn wide_characters_count_two_columns() {
        assert_eq!(width("ウェブ"), 6);
        assert_eq!(width("🚀x"), 3);
        assert_eq!(pad("ウェブ", 8), "ウェブ  ");
        // Never half a wide character: a 5-column cut keeps two of them.
        assert_eq!(truncate("ウェブサーバー", 5), "ウェ…");
        assert_eq!(width(&fit("ウェブサーバー", 6)), 6);
        assert_eq!(fit("ウェブサーバー", 6), "ウェ… ");
        assert_eq!(truncate("🚀🚀🚀", 4), "🚀…");
    }
}
