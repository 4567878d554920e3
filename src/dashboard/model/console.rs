//! The console log view of one instance: its lines, where it is scrolled
//! to, whether it follows new output, and the search.

use chrono::{DateTime, Utc};

use super::InstanceKey;
use crate::dashboard::action::RequestId;
use crate::domain::format::sanitize;

/// Lines a console view keeps at most (the newest).
pub const MAX_LINES: usize = 10_000;
/// Characters kept of one console line; the rest is cut with `…`.
pub const MAX_LINE_CHARS: usize = 2_000;

/// The console log view of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleView {
    pub key: InstanceKey,
    pub name: String,
    pub lines: Vec<String>,
    /// First shown line.
    pub top: usize,
    /// Keep the newest line in view as output arrives.
    pub follow: bool,
    /// The poll under way; other answers are stale.
    pub request: Option<RequestId>,
    pub next_poll: Option<DateTime<Utc>>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub search: Option<String>,
    /// The line of the match the last search jumped to; `n`/`N` go on from it.
    pub match_line: Option<usize>,
    /// Lines visible at the last draw.
    pub height: usize,
    /// Opened from the doctor at a line of the boot log: jump to the first
    /// match of `search` once the text arrives.
    pub jump_when_loaded: bool,
}

impl ConsoleView {
    pub fn new(key: InstanceKey, name: String) -> ConsoleView {
        ConsoleView {
            key,
            name,
            lines: Vec::new(),
            top: 0,
            follow: true,
            request: None,
            next_poll: None,
            fetched_at: None,
            error: None,
            search: None,
            match_line: None,
            height: 20,
            jump_when_loaded: false,
        }
    }

    /// A view that opens at the first line containing `line` (what the
    /// doctor found in the boot log), not following.
    pub fn at_line(key: InstanceKey, name: String, line: &str) -> ConsoleView {
        ConsoleView {
            follow: false,
            search: Some(line.to_string()),
            jump_when_loaded: true,
            ..ConsoleView::new(key, name)
        }
    }

    pub fn max_top(&self) -> usize {
        self.lines.len().saturating_sub(self.height.max(1))
    }

    /// Keeps the newest [`MAX_LINES`] lines of `text`, each cut to
    /// [`MAX_LINE_CHARS`]: a runaway log must not grow hytop without bound.
    pub fn set_text(&mut self, text: &str) {
        let count = text.lines().count();
        self.lines = text
            .lines()
            .skip(count.saturating_sub(MAX_LINES))
            .map(|line| match line.char_indices().nth(MAX_LINE_CHARS) {
                Some((cut, _)) => format!("{}…", sanitize(&line[..cut])),
                None => sanitize(line),
            })
            .collect();
        if self.follow {
            self.top = self.max_top();
        } else {
            self.top = self.top.min(self.max_top());
        }
        if std::mem::take(&mut self.jump_when_loaded) {
            self.top = 0;
            self.jump_to_match(true, true);
        }
    }

    /// Jumps to the next (or previous) match: after the current match, or
    /// from the top of the view for a new search. False if nothing matches.
    pub fn jump_to_match(&mut self, forward: bool, fresh: bool) -> bool {
        let n = self.lines.len();
        if n == 0 {
            return false;
        }
        let from = match self.match_line {
            Some(m) if !fresh => {
                if forward {
                    m + 1
                } else {
                    m + n - 1
                }
            }
            _ => self.top,
        } % n;
        match self.find(from, forward) {
            Some(line) => {
                self.match_line = Some(line);
                self.follow = false;
                self.top = line.min(self.max_top());
                true
            }
            None => false,
        }
    }

    /// Index of the next line (from `from`, wrapping) containing the search text.
    pub fn find(&self, from: usize, forward: bool) -> Option<usize> {
        let needle = self.search.as_ref()?.to_lowercase();
        let n = self.lines.len();
        if n == 0 || needle.is_empty() {
            return None;
        }
        (0..n)
            .map(|step| {
                if forward {
                    (from + step) % n
                } else {
                    (from + n - step % n) % n
                }
            })
            .find(|&i| self.lines[i].to_lowercase().contains(&needle))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runaway_log_is_bounded() {
        let key = InstanceKey {
            cloud: 0,
            id: "i-1".into(),
        };
        let mut view = ConsoleView::new(key, "web".into());
        let mut text: String = (0..25_000).map(|n| format!("line {n}\n")).collect();
        text.push_str(&"x".repeat(1_000_000));
        view.set_text(&text);
        assert_eq!(view.lines.len(), MAX_LINES);
        assert_eq!(view.lines[0], "line 15001");
        let last = view.lines.last().expect("a last line");
        assert_eq!(last.chars().count(), MAX_LINE_CHARS + 1);
        assert!(last.ends_with('…'));
    }
}
