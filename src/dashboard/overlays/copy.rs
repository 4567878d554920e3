//! The copy menu of the selected instance: its id, public IP, private IP,
//! the ssh command hytop would run, or its name, put on the terminal's
//! clipboard through OSC 52. Its keys are the `[copy]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Overlay, hint_line, popup_block};
use crate::dashboard::clipboard::osc52;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPopup {
    pub name: String,
    /// What can be copied: (what it is, the text), only those the instance has.
    pub choices: Vec<(&'static str, String)>,
    pub selected: usize,
}

impl From<CopyPopup> for Overlay {
    fn from(popup: CopyPopup) -> Overlay {
        Overlay::Copy(popup)
    }
}

impl CopyPopup {
    pub fn open(state: &mut AppState) {
        let Some((key, inst)) = state.selected_instance() else {
            state.error("select an instance first");
            return;
        };
        let mut choices = vec![("id", inst.id.clone())];
        if let Some(ip) = &inst.public_ip {
            choices.push(("public IP", ip.clone()));
        }
        if let Some(ip) = &inst.private_ip {
            choices.push(("private IP", ip.clone()));
        }
        let cloud = state.config.cloud(&state.clouds[key.cloud].config_name);
        let user = state.login_users.get(&key).map(String::as_str);
        if let Ok(plan) = crate::dashboard::ssh::plan(&state.config, cloud, inst, user) {
            choices.push(("ssh command", plan.display()));
        }
        if !inst.name.is_empty() {
            choices.push(("name", inst.name.clone()));
        }
        let name = inst.name.clone();
        state.overlay = Some(
            CopyPopup {
                name,
                choices,
                selected: 0,
            }
            .into(),
        );
    }

    pub(super) fn on_key(
        mut self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        match state.keymap.lookup(Context::Copy, key) {
            Some(Command::MoveDown) => {
                self.selected = (self.selected + 1).min(self.choices.len().saturating_sub(1));
            }
            Some(Command::MoveUp) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Confirm) => {
                self.copy(state, fx);
                return None;
            }
            Some(Command::Close) => return None,
            _ => {}
        }
        Some(self.into())
    }

    /// Copies the selected choice; the menu closes after.
    pub(crate) fn copy(&self, state: &mut AppState, fx: &mut Vec<Effect>) {
        if let Some((what, value)) = self.choices.get(self.selected) {
            match osc52(value) {
                Some(bytes) => {
                    fx.push(Effect::WriteTerminal(bytes));
                    state.info(format!("copied the {what}: {value}"));
                }
                None => state.error(format!("the {what} is too long to copy")),
            }
        }
    }

    fn rect(&self, area: Rect) -> Rect {
        centered(area, 90, (self.choices.len() + 4) as u16)
    }

    /// The line each choice is drawn on over `area`, in order; a choice
    /// the popup has no room for has none.
    pub(crate) fn choice_lines(&self, area: Rect) -> Vec<Rect> {
        let inner = self.rect(area).inner(ratatui::layout::Margin::new(1, 1));
        (0..self.choices.len())
            .map_while(|i| {
                let y = inner.y.checked_add(u16::try_from(i).ok()?)?;
                (y < inner.bottom()).then_some(Rect::new(inner.x, y, inner.width, 1))
            })
            .collect()
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let rect = self.rect(area);
        frame.render_widget(Clear, rect);
        let mut lines: Vec<Line> = self
            .choices
            .iter()
            .enumerate()
            .map(|(i, (what, value))| {
                let line = Line::from(vec![
                    Span::raw(if i == self.selected { "▶" } else { " " }),
                    Span::styled(text::pad(what, 12), theme.dim()),
                    Span::raw(value.clone()),
                ]);
                if i == self.selected {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect();
        lines.push(Line::from(""));
        lines.push(hint_line(
            state,
            theme,
            Context::Copy,
            &[
                (
                    &[Command::MoveDown, Command::MoveUp],
                    &[KeyCode::Char('j'), KeyCode::Char('k')],
                    " select   ",
                ),
                (&[Command::Confirm], &[KeyCode::Enter], " copy   "),
                (&[Command::Close], &[KeyCode::Esc], " close"),
            ],
        ));
        frame.render_widget(
            Paragraph::new(lines).block(popup_block(
                &format!("Copy from {}", self.name),
                theme,
                theme.border(),
            )),
            rect,
        );
    }
}
