//! `hytop list`'s output: the JSON array, or a plain table whose columns
//! line up by display width (so CJK, full-width and emoji names do not push
//! the later columns).

use color_eyre::eyre::{Result, WrapErr};
use unicode_width::UnicodeWidthStr;

use crate::domain::format::sanitize;
use crate::report::rows::Row;

/// `list --json`: one pretty-printed JSON array of [`Row`]s, the values as
/// the clouds gave them.
pub fn render_json(rows: &[Row]) -> Result<String> {
    let text = serde_json::to_string_pretty(rows).wrap_err("cannot write the JSON")?;
    // serde_json escapes C0 controls (ESC is \u001b) but writes C1 ones as
    // they are, and a terminal may take U+009B for a CSI. They can only be
    // inside strings, where the escape keeps the value.
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    Ok(out)
}

const TABLE_HEADER: [&str; 10] = [
    "CLOUD",
    "ENDPOINT",
    "NAME",
    "ID",
    "STATE",
    "TYPE",
    "PUBLIC-IP",
    "AGE",
    "EST.COST",
    "FLAGS",
];

/// Spaces between two columns.
const GAP: usize = 2;

/// `list`: a plain table, columns aligned with spaces, a header line first
/// (even without rows). Missing values are `-`.
pub fn render_table(rows: &[Row]) -> String {
    let dash = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_string(), sanitize);
    let mut lines: Vec<[String; 10]> = vec![TABLE_HEADER.map(str::to_string)];
    for row in rows {
        let flags: Vec<&str> = row.flags.iter().map(|f| f.rule).collect();
        lines.push([
            sanitize(&row.cloud),
            sanitize(&row.endpoint),
            cell(&row.name),
            sanitize(&row.id),
            row.state.as_str().to_string(),
            cell(&row.size),
            dash(&row.public_ip),
            row.age_text.clone(),
            row.cost_text.clone(),
            if flags.is_empty() {
                "-".to_string()
            } else {
                flags.join(",")
            },
        ]);
    }
    let mut widths = [0usize; 10];
    for line in &lines {
        for (w, c) in widths.iter_mut().zip(line) {
            *w = (*w).max(c.width());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (k, (c, w)) in line.iter().zip(widths).enumerate() {
            text.push_str(c);
            if k + 1 < line.len() {
                let pad = w.saturating_sub(c.width()) + GAP;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// A table cell: terminal-safe, `-` when empty, and without inner spaces
/// (so a name with blanks does not shift the columns a script cuts).
pub(super) fn cell(text: &str) -> String {
    let clean = sanitize(text);
    if clean.trim().is_empty() {
        "-".into()
    } else {
        clean.trim().replace(' ', "_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cost::Prices;
    use crate::domain::tags::EXPIRES_TAG;
    use crate::report::fixtures::{answer, aws, rules};
    use crate::report::rows::rows;
    use crate::testutil::{aged, fixed_now};

    #[test]
    fn json_values_are_normalised() {
        let mut i = aged("i-1", "db", 30);
        i.tags
            .insert(EXPIRES_TAG.into(), "2026-11-21T11:00:00Z".into());
        let rows = rows(
            &[answer(aws(), vec![i])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let text = render_json(&rows).expect("json");
        let value: serde_json::Value = serde_json::from_str(&text).expect("parses");
        let object = value[0].as_object().expect("an object");
        // The full list of field names is the contract tests/cli.rs checks
        // through the binary; here, their values.
        assert_eq!(object.len(), 23, "{object:?}");
        assert_eq!(value[0]["image_name"], serde_json::Value::Null);
        assert_eq!(value[0]["state"], "running");
        assert_eq!(value[0]["public_ip"], serde_json::Value::Null);
        assert_eq!(value[0]["flags"][0]["rule"], "expired");
        assert_eq!(
            value[0]["flags"][0]["reason"],
            "expired 1h ago (hytop:expires)"
        );
        assert_eq!(value[0]["tags"][EXPIRES_TAG], "2026-11-21T11:00:00Z");
        assert_eq!(render_json(&[]).expect("json"), "[]\n");
    }

    #[test]
    fn table_is_aligned_with_a_header() {
        let mut web = aged("i-2", "web server", 2);
        web.public_ip = Some("203.0.113.9".into());
        let old = aged("i-0123456789", "db", 30);
        let rows = rows(
            &[answer(aws(), vec![web, old])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("CLOUD  ENDPOINT"), "{table}");
        let id_at = lines[0].find("ID").expect("ID column");
        assert_eq!(&lines[1][id_at..id_at + 12], "i-0123456789");
        assert_eq!(&lines[2][id_at..id_at + 3], "i-2");
        assert!(lines[1].ends_with(" old"), "{table}");
        assert!(lines[2].contains(" web_server "), "{table}");
        assert!(lines[2].contains(" 203.0.113.9 "), "{table}");
        assert!(lines[2].ends_with(" -"), "{table}");
        assert_eq!(render_table(&[]).lines().count(), 1);
    }

    #[test]
    fn wide_names_do_not_push_the_later_columns() {
        // CJK and full-width letters take two terminal cells each, an emoji
        // two, a combining accent none.
        let names = [
            "数据库服务器",
            "ｗｅｂ",
            "🚀rocket",
            "café\u{301}",
            "plain-name",
        ];
        let instances = names
            .iter()
            .enumerate()
            .map(|(k, name)| aged(&format!("i-{k}"), name, 2))
            .collect();
        let rows = rows(
            &[answer(aws(), instances)],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), names.len() + 1, "{table}");
        // Display columns where ID and STATE start in the header...
        let column = |line: &str, text: &str| {
            let at = line
                .find(text)
                .unwrap_or_else(|| panic!("{text:?} in {line:?}"));
            line[..at].width()
        };
        let id_col = column(lines[0], "ID");
        let state_col = column(lines[0], "STATE");
        // ...are where every row's id and state start on screen.
        for (k, line) in lines[1..].iter().enumerate() {
            let id = rows[k].id.as_str();
            assert_eq!(column(line, &format!(" {id} ")) + 1, id_col, "{table}");
            assert_eq!(column(line, " running ") + 1, state_col, "{table}");
        }
        // The NAME column is as wide as its widest name on screen (the six
        // CJK characters, 12 cells), not as its longest in chars or bytes.
        let name_col = column(lines[0], "NAME");
        assert_eq!(id_col - name_col, 12 + GAP, "{table}");
    }

    #[test]
    fn emoji_sequences_and_invisible_characters_take_their_cells_on_screen() {
        // Each name with the cells a terminal gives it (xterm, VTE, kitty):
        // an emoji ZWJ sequence, a flag, a keycap, a skin tone and an emoji
        // with VS16 are one two-cell picture each; VS15 asks for the
        // one-cell text form. A soft hyphen shows as `-` in terminals
        // (unicode-width counts none), and zero-width and bidi marks show
        // nothing but may reorder the line: the cleaner drops them, so the
        // name takes the cells of what is left.
        let names = [
            ("👨\u{200d}👩\u{200d}👧\u{200d}👦family", None, 8),
            ("🏳\u{fe0f}\u{200d}🌈", None, 2),
            ("🇩🇪-de", None, 5),
            ("1\u{fe0f}\u{20e3}one", None, 5),
            ("👍🏽ok", None, 4),
            ("❤\u{fe0f}love", None, 6),
            ("☺\u{fe0e}text", None, 5),
            ("ｶﾀｶﾅ", None, 4),
            ("ＡＢ全角", None, 8),
            ("co\u{ad}op", Some("coop"), 4),
            ("zero\u{200b}width\u{2060}", Some("zerowidth"), 9),
            ("\u{202e}evil\u{202c}", Some("evil"), 4),
            ("\u{feff}bom", Some("bom"), 3),
        ];
        let instances = names
            .iter()
            .enumerate()
            .map(|(k, (name, _, _))| aged(&format!("i-{k:02}"), name, 2))
            .collect();
        let rows = rows(
            &[answer(aws(), instances)],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        let widest = names.iter().map(|(_, _, w)| *w).max().unwrap_or(0);
        for line in &lines[1..] {
            let id_at = line.find(" i-").expect("an id");
            let k: usize = line[id_at + 3..id_at + 5].parse().expect("the id's number");
            let (name, printed, cells) = names[k];
            // The name is the third cell; what follows it up to the id is
            // padding: as many spaces as the name leaves of the column.
            let before = line[..id_at].trim_end();
            let shown = before.split("  ").last().expect("the name cell");
            assert_eq!(shown, printed.unwrap_or(name), "{line:?}");
            let pad = id_at + 1 - before.len();
            assert_eq!(
                pad,
                widest - cells + GAP,
                "{name:?} ({cells} cells) in {line:?}:\n{table}"
            );
        }
    }

    #[test]
    fn json_cannot_drive_the_terminal_and_keeps_the_values() {
        let i = aged("i-1", "evil\x1b[2J\u{9b}5m\u{9d}0;t\u{9c}name", 1);
        let rows = rows(
            &[answer(aws(), vec![i])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let text = render_json(&rows).expect("json");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        let value: serde_json::Value = serde_json::from_str(&text).expect("parses");
        assert_eq!(value[0]["name"], "evil\x1b[2J\u{9b}5m\u{9d}0;t\u{9c}name");
    }

    #[test]
    fn table_cells_cannot_drive_the_terminal() {
        let i = aged("i-1", "evil\x1b[2Jname", 1);
        let rows = rows(
            &[answer(aws(), vec![i])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        assert!(!render_table(&rows).contains('\x1b'));
    }
}
