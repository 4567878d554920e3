//! The terminate question: names exactly the instances it will terminate,
//! fixed when it opened, and asks in the `[confirm]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Overlay, hint, popup_block};
use crate::dashboard::action::{CloudId, Request};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, Target};
use crate::dashboard::view::{Theme, centered, hints, text};
use crate::domain::model::InstanceState;

/// At most this many instances are named; the rest are counted.
const SHOWN: usize = 15;

#[derive(Debug, Clone, PartialEq)]
pub struct TerminatePopup {
    pub targets: Vec<Target>,
}

impl From<TerminatePopup> for Overlay {
    fn from(popup: TerminatePopup) -> Overlay {
        Overlay::Terminate(popup)
    }
}

impl TerminatePopup {
    /// Asks about the marked instances, or the selected one; terminated
    /// ones are not offered.
    pub fn open(state: &mut AppState) {
        let targets: Vec<Target> = state
            .targets()
            .into_iter()
            .filter(|t| t.state != InstanceState::Terminated)
            .collect();
        if targets.is_empty() {
            state.error("nothing to terminate: select or mark a live instance");
        } else {
            state.overlay = Some(TerminatePopup { targets }.into());
        }
    }

    pub(super) fn on_key(
        self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        match state.keymap.lookup(Context::Confirm, key) {
            Some(Command::Confirm) => {
                send(state, self.targets, fx);
                None
            }
            Some(Command::Cancel) => None,
            // Anything else neither confirms nor closes.
            _ => Some(self.into()),
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let targets = &self.targets;
        let h = (targets.len().min(SHOWN) + 7) as u16;
        let rect = centered(area, 90, h);
        frame.render_widget(Clear, rect);
        let mut lines = vec![
            Line::from(Span::styled(
                format!(
                    "Terminate {} instance(s)? This cannot be undone.",
                    targets.len()
                ),
                theme.error(),
            )),
            Line::from(""),
        ];
        for t in targets.iter().take(SHOWN) {
            lines.push(Line::from(vec![
                Span::raw(format!("  {} ", text::fit(&t.name, 24))),
                Span::styled(format!("{} ", text::pad(&t.key.id, 38)), theme.key()),
                Span::styled(text::truncate(&t.cloud_label, 22), theme.dim()),
            ]));
        }
        if targets.len() > SHOWN {
            lines.push(Line::from(format!(
                "  … and {} more",
                targets.len() - SHOWN
            )));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(question_hints(
            state,
            " terminate these    ",
            " keep them",
            theme,
        )));
        frame.render_widget(
            Paragraph::new(lines).block(popup_block("Terminate", theme, theme.error())),
            rect,
        );
    }
}

/// The `[confirm]` keys of a yes/no question: `yes` and `no` say what they do.
pub(super) fn question_hints(
    state: &AppState,
    yes: &str,
    no: &str,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let keymap = &state.keymap;
    let mut spans = Vec::new();
    let confirm = [KeyCode::Char('y')];
    let cancel = [KeyCode::Char('n'), KeyCode::Esc];
    let yes_keys = hints::keys(
        keymap,
        Context::Confirm,
        &[Command::Confirm],
        &confirm,
        " / ",
    );
    let no_keys = hints::keys(keymap, Context::Confirm, &[Command::Cancel], &cancel, " / ");
    hint(&mut spans, yes_keys, yes.to_string(), theme);
    hint(&mut spans, no_keys, no.to_string(), theme);
    spans
}

/// Sends one terminate per cloud, by the ids the question showed, and
/// unmarks them.
pub(crate) fn send(state: &mut AppState, targets: Vec<Target>, fx: &mut Vec<Effect>) {
    let mut by_cloud: std::collections::BTreeMap<CloudId, Vec<String>> = Default::default();
    for t in &targets {
        by_cloud
            .entry(t.key.cloud)
            .or_default()
            .push(t.key.id.clone());
        state.marks.remove(&t.key);
    }
    for (cloud, ids) in by_cloud {
        let id = state.request_id();
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::Terminate(ids),
        });
    }
    state.info(format!("terminating {} instance(s)…", targets.len()));
}
