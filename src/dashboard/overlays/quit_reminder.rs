//! The reminder shown on quit while instances launched in this session, or
//! flagged ones, still run: terminate them (asking in `[confirm]`), keep
//! them and quit, or stay. Its keys are the `[quit]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::terminate::{self, question_hints};
use super::{Overlay, hint, popup_block};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, Target};
use crate::dashboard::view::{Theme, centered, hints, text};
use crate::domain::format;

/// At most this many instances are listed; the rest are counted.
const SHOWN: usize = 12;

/// One instance the quit reminder lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminded {
    pub target: Target,
    pub age: Option<chrono::Duration>,
    /// Estimated cost so far, formatted.
    pub spent: String,
    /// Why it is listed: "launched now", or the flags' short names.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuitReminder {
    pub instances: Vec<Reminded>,
    /// Terminate was asked for: the popup asks once more before terminating.
    pub confirm: bool,
}

impl From<QuitReminder> for Overlay {
    fn from(popup: QuitReminder) -> Overlay {
        Overlay::QuitReminder(popup)
    }
}

impl QuitReminder {
    /// Quits, or first reminds of what still runs (see
    /// [`AppState::quit_reminder`]).
    pub fn open_or_quit(state: &mut AppState, fx: &mut Vec<Effect>) {
        let instances = state.quit_reminder();
        if instances.is_empty() {
            state.quit = true;
            fx.push(Effect::Quit);
        } else {
            state.overlay = Some(
                QuitReminder {
                    instances,
                    confirm: false,
                }
                .into(),
            );
        }
    }

    pub(super) fn on_key(
        mut self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        if self.confirm {
            match state.keymap.lookup(Context::Confirm, key) {
                Some(Command::Confirm) => {
                    let targets: Vec<Target> =
                        self.instances.into_iter().map(|r| r.target).collect();
                    let before = state.next_request;
                    terminate::send(state, targets, fx);
                    state.quit_after = (before..state.next_request).collect();
                    state.info("terminating; hytop quits when the clouds confirm");
                    return None;
                }
                Some(Command::Cancel) => self.confirm = false,
                _ => {}
            }
            return Some(self.into());
        }
        match state.keymap.lookup(Context::Quit, key) {
            // Read-only hytop does not offer it, and says nothing.
            Some(Command::Terminate) if !state.readonly => self.confirm = true,
            Some(Command::KeepAndQuit) => {
                state.quit = true;
                fx.push(Effect::Quit);
                return None;
            }
            Some(Command::Cancel) => return None,
            _ => {}
        }
        Some(self.into())
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let shown = self.instances.len().min(SHOWN);
        let rect = centered(area, 100, (shown + 8) as u16);
        frame.render_widget(Clear, rect);
        let n = self.instances.len();
        let mut lines = vec![
            Line::from(Span::styled(
                format!(
                    "{n} instance(s) still running — they keep costing money after hytop quits:"
                ),
                theme.flagged(),
            )),
            Line::from(""),
        ];
        for r in self.instances.iter().take(shown) {
            let age = r.age.map(format::age).unwrap_or_else(|| "-".into());
            lines.push(Line::from(vec![
                Span::raw(format!("  {} ", text::fit(&r.target.name, 22))),
                Span::styled(
                    format!("{} ", text::fit(&r.target.cloud_label, 22)),
                    theme.dim(),
                ),
                Span::raw(format!(
                    "{} {}  ",
                    text::pad_left(&age, 6),
                    text::pad_left(&r.spent, 8)
                )),
                Span::styled(text::truncate(&r.why, 28), theme.flagged()),
            ]));
        }
        if n > shown {
            lines.push(Line::from(format!("  … and {} more", n - shown)));
        }
        lines.push(Line::from(Span::styled(
            "  age, cost so far (estimate), why listed",
            theme.dim(),
        )));
        lines.push(Line::from(""));
        lines.push(if self.confirm {
            let mut spans = vec![Span::styled(
                format!("Terminate these {n}? "),
                theme.error(),
            )];
            spans.extend(question_hints(
                state,
                " terminate and quit    ",
                " back",
                theme,
            ));
            Line::from(spans)
        } else {
            let keymap = &state.keymap;
            let key = |cmd: Command, usual: KeyCode| {
                hints::keys(keymap, Context::Quit, &[cmd], &[usual], " / ")
            };
            let mut spans = Vec::new();
            if !state.readonly {
                let keys = key(Command::Terminate, KeyCode::Char('t'));
                hint(&mut spans, keys, " terminate them    ".into(), theme);
            }
            let keys = key(Command::KeepAndQuit, KeyCode::Char('q'));
            hint(&mut spans, keys, " keep them and quit    ".into(), theme);
            let keys = key(Command::Cancel, KeyCode::Esc);
            hint(&mut spans, keys, " stay in hytop".into(), theme);
            Line::from(spans)
        });
        frame.render_widget(
            Paragraph::new(lines).block(popup_block("Quit?", theme, theme.flagged())),
            rect,
        );
    }
}
