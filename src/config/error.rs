//! The one error type for a problem in a file the user wrote (config.toml,
//! keymap.toml, clouds.yaml, secure.yaml): where it is (file, line, section,
//! key) and what is wrong. It never quotes a value, so a secret in a
//! credential field cannot reach the screen or a log through it.

/// A problem located in a user's file, shown as
/// `file:line: [section] key "k": message`, then the line itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "{file}{}: {}{}{message}{}",
    line_part(.line),
    section_part(.section),
    key_part(.key),
    snippet_part(.line, .snippet)
)]
pub struct Located {
    /// The file, as the user should recognise it.
    pub file: String,
    /// 1-based; `None` when the parser could not tell.
    pub line: Option<usize>,
    // Boxed strings keep the error small enough to return by value.
    /// The table or section the problem is in (`table`, `cloud "lab"`).
    pub section: Option<Box<str>>,
    /// The key as written in the file.
    pub key: Option<Box<str>>,
    pub message: String,
    /// The offending line's text, for context (never of a secret's line).
    pub snippet: Option<Box<str>>,
}

fn line_part(line: &Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn section_part(section: &Option<Box<str>>) -> String {
    section
        .as_ref()
        .map(|s| format!("[{s}] "))
        .unwrap_or_default()
}

fn key_part(key: &Option<Box<str>>) -> String {
    key.as_ref()
        .map(|k| format!("key {k:?}: "))
        .unwrap_or_default()
}

fn snippet_part(line: &Option<usize>, snippet: &Option<Box<str>>) -> String {
    snippet
        .as_ref()
        .map(|s| format!("\n    {} | {s}", line.unwrap_or(0)))
        .unwrap_or_default()
}

impl Located {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Located {
        Located {
            file: file.into(),
            message: message.into(),
            ..Located::default()
        }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Located {
        self.line = line;
        self
    }

    pub fn in_section(mut self, section: impl Into<String>) -> Located {
        self.section = Some(section.into().into_boxed_str());
        self
    }

    pub fn at_key(mut self, key: impl Into<String>) -> Located {
        self.key = Some(key.into().into_boxed_str());
        self
    }

    pub fn with_snippet(mut self, snippet: Option<String>) -> Located {
        self.snippet = snippet.map(String::into_boxed_str);
        self
    }
}

/// Whether a key's name says it holds a credential (`password`,
/// `application_credential_secret`, `aws_secret_access_key`, `token`, ...):
/// the value of such a key, and the line it is on, are never shown.
pub fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "passcode",
        "private_key",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// A parser's message without the text it quotes from the file: serde and
/// the parsers quote values in backticks (`` `73951824` ``) or double quotes,
/// and the value may be a secret. Each quoted part becomes `(not shown)`.
pub fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '`' || c == '"' => {
                quote = Some(c);
                out.push_str("(not shown)");
            }
            None => out.push(c),
        }
    }
    out
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The text of a 1-based line, without its line break.
pub fn line_text(text: &str, line: usize) -> Option<String> {
    text.lines()
        .nth(line.checked_sub(1)?)
        .map(|l| l.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_file_line_section_and_key() {
        let e = Located::new("keymap.toml", "unknown command \"dwn\"")
            .at_line(Some(3))
            .in_section("table")
            .at_key("j");
        assert_eq!(
            e.to_string(),
            "keymap.toml:3: [table] key \"j\": unknown command \"dwn\""
        );
        assert_eq!(Located::new("c.toml", "empty").to_string(), "c.toml: empty");
    }

    #[test]
    fn the_offending_line_follows() {
        let e = Located::new("c.toml", "bad")
            .at_line(Some(4))
            .with_snippet(Some("x = 1".into()));
        assert_eq!(e.to_string(), "c.toml:4: bad\n    4 | x = 1");
    }

    #[test]
    fn credential_names_look_secret() {
        for key in [
            "password",
            "auth.password",
            "application_credential_secret",
            "aws_secret_access_key",
            "OS_PASSWORD",
            "token",
            "api_token",
        ] {
            assert!(looks_secret(key), "{key}");
        }
        for key in [
            "username",
            "auth_url",
            "project_name",
            "name",
            "refresh_secs",
        ] {
            assert!(!looks_secret(key), "{key}");
        }
    }

    #[test]
    fn quoted_text_is_not_shown() {
        assert_eq!(
            without_quoted("invalid value: string \"hunter2\", expected an integer"),
            "invalid value: string (not shown), expected an integer"
        );
        assert_eq!(
            without_quoted("invalid type: integer `73951824`, expected a string"),
            "invalid type: integer (not shown), expected a string"
        );
        assert_eq!(without_quoted("cut \"short"), "cut (not shown)");
    }

    #[test]
    fn lines_of_offsets() {
        let text = "a\nbb\nccc";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 3), 2);
        assert_eq!(line_of(text, 100), 3);
        assert_eq!(line_text(text, 2).as_deref(), Some("bb"));
        assert_eq!(line_text(text, 0), None);
    }
}
