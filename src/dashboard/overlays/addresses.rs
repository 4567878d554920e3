//! Every public address of every cloud, and releasing an unassociated one
//! (after asking in `[confirm]`). Its keys are the `[addresses]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::confirm::{self, Cells, Column, Question, Role};
use super::{Overlay, hint, popup_block};
use crate::dashboard::action::Request;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, hints, text};

/// At most this many addresses are listed.
const SHOWN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressesPopup {
    /// Index into [`AppState::all_addresses`].
    pub selected: usize,
    /// Release was asked for: the popup asks once more before releasing.
    pub confirm: bool,
}

impl From<AddressesPopup> for Overlay {
    fn from(popup: AddressesPopup) -> Overlay {
        Overlay::Addresses(popup)
    }
}

impl AddressesPopup {
    pub fn open(state: &mut AppState) {
        state.overlay = Some(
            AddressesPopup {
                selected: 0,
                confirm: false,
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
        if self.confirm {
            // Any answer but yes keeps the address.
            if state.keymap.lookup(Context::Confirm, key) != Some(Command::Confirm) {
                self.confirm = false;
                return Some(self.into());
            }
            let chosen = state
                .all_addresses()
                .get(self.selected)
                .map(|(c, a)| (*c, a.id.clone(), a.ip.clone()));
            if let Some((cloud, id, ip)) = chosen {
                let rid = state.request_id();
                state.info(format!("releasing {ip}…"));
                fx.push(Effect::Send {
                    cloud,
                    id: rid,
                    request: Request::ReleaseAddress(id),
                });
            }
            return None;
        }
        let count = state.all_addresses().len();
        match state.keymap.lookup(Context::Addresses, key) {
            Some(Command::MoveDown) => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1))
            }
            Some(Command::MoveUp) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Release) => {
                let chosen = state
                    .all_addresses()
                    .get(self.selected)
                    .map(|(_, a)| (a.ip.clone(), a.instance_id.clone()));
                match chosen {
                    _ if state.readonly => state.error(
                        "read-only mode: releasing an address is disabled (started with --readonly)",
                    ),
                    Some((ip, Some(instance))) => state.error(format!(
                        "{ip} is associated with {instance}: detach it first (i)"
                    )),
                    Some(_) => self.confirm = true,
                    None => {}
                }
            }
            Some(Command::Close) => return None,
            _ => {}
        }
        Some(self.into())
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let all = state.all_addresses();
        // The question replaces the list: it names the one address whole.
        if self.confirm
            && let Some((cloud, address)) = all.get(self.selected)
        {
            let label = state.clouds[*cloud].label.clone();
            let question = Question {
                title: "Release address".into(),
                tone: Role::Error,
                head: "Release 1 address? It goes back to the cloud's pool.".into(),
                columns: vec![
                    Column::new(Cells::Id, Role::Plain, vec![address.ip.clone()]),
                    Column::new(Cells::Id, Role::Key, vec![address.id.clone()]),
                    Column::new(Cells::Text, Role::Dim, vec![label]),
                ],
                ask: None,
                answers: confirm::answers(state, "release", "keep"),
                scroll_keys: None,
            };
            question.draw(frame, area, 0, theme);
            return;
        }
        let h = (all.len().min(SHOWN) + 6) as u16;
        let rect = centered(area, 100, h);
        frame.render_widget(Clear, rect);
        let mut lines = Vec::new();
        if all.is_empty() {
            lines.push(Line::from(Span::styled(
                "no public addresses allocated",
                theme.dim(),
            )));
        }
        for (i, (cloud, a)) in all.iter().enumerate().take(SHOWN) {
            let used = match &a.instance_id {
                Some(id) => {
                    let name = state
                        .instances
                        .get(*cloud)
                        .and_then(|list| list.iter().find(|inst| &inst.id == id))
                        .map(|inst| inst.name.clone())
                        .unwrap_or_default();
                    Span::raw(format!(
                        "→ {} ({})",
                        text::truncate(&name, 16),
                        text::truncate(id, 19)
                    ))
                }
                None => Span::styled("unassociated (still allocated)", theme.error()),
            };
            let line = Line::from(vec![
                Span::raw(if i == self.selected { "▶" } else { " " }),
                Span::raw(text::pad(&a.ip, 16)),
                Span::styled(format!("{} ", text::fit(&a.id, 20)), theme.dim()),
                Span::styled(
                    format!("{} ", text::fit(&state.clouds[*cloud].label, 18)),
                    theme.dim(),
                ),
                used,
            ]);
            lines.push(if i == self.selected {
                line.style(theme.selected())
            } else {
                line
            });
        }
        lines.push(Line::from(""));
        let keymap = &state.keymap;
        let mut spans = Vec::new();
        let select = hints::keys(
            keymap,
            Context::Addresses,
            &[Command::MoveDown, Command::MoveUp],
            &[KeyCode::Char('j'), KeyCode::Char('k')],
            "/",
        );
        hint(&mut spans, select, " select   ".into(), theme);
        let release = hints::keys(
            keymap,
            Context::Addresses,
            &[Command::Release],
            &[KeyCode::Char('R')],
            " / ",
        );
        let what = " release an unassociated address (asks first)   ";
        hint(&mut spans, release, what.into(), theme);
        let close = hints::keys(
            keymap,
            Context::Addresses,
            &[Command::Close],
            &[KeyCode::Esc],
            " / ",
        );
        hint(&mut spans, close, " close".into(), theme);
        lines.push(Line::from(spans));
        frame.render_widget(
            Paragraph::new(lines).block(popup_block("Public addresses", theme, theme.border())),
            rect,
        );
    }
}
