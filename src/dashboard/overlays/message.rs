//! A message popup: what went wrong (or what hytop would have done), until
//! the user closes it. Its keys are the `[describe]` section's.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{Overlay, popup_block};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, hints, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePopup {
    pub title: String,
    pub lines: Vec<String>,
    pub is_error: bool,
}

impl From<MessagePopup> for Overlay {
    fn from(popup: MessagePopup) -> Overlay {
        Overlay::Message(popup)
    }
}

impl MessagePopup {
    /// Shows a message over whatever popup was open.
    pub fn show(state: &mut AppState, title: &str, lines: Vec<String>, is_error: bool) {
        state.overlay = Some(
            MessagePopup {
                title: title.to_string(),
                lines,
                is_error,
            }
            .into(),
        );
        state.dirty = true;
    }

    pub(super) fn on_key(self, state: &mut AppState, key: &Key) -> Option<Overlay> {
        match state.keymap.lookup(Context::Describe, key) {
            // A message fits on one page: paging on (Space) is done with it.
            Some(Command::Close | Command::PageDown) => None,
            _ => Some(self.into()),
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let width = self
            .lines
            .iter()
            .map(|l| text::width(l))
            .max()
            .unwrap_or(20)
            .max(text::width(&self.title) + 6)
            .clamp(30, 100) as u16
            + 4;
        let rect = centered(area, width, self.lines.len() as u16 + 4);
        frame.render_widget(Clear, rect);
        let style = if self.is_error {
            theme.error()
        } else {
            theme.border()
        };
        let mut lines: Vec<Line> = self.lines.iter().map(|l| Line::from(l.as_str())).collect();
        let close = [KeyCode::Enter, KeyCode::Esc];
        if let Some(keys) = hints::keys(
            &state.keymap,
            Context::Describe,
            &[Command::Close],
            &close,
            " / ",
        ) {
            lines.push(Line::from(Span::styled(
                format!("{keys}: close"),
                theme.dim(),
            )));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(popup_block(&self.title, theme, style)),
            rect,
        );
    }
}
