//! The terminate question: names exactly the instances it will terminate,
//! fixed when it opened, each by its whole id, and asks in the `[confirm]`
//! section (where j/k scroll the list).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Overlay;
use super::confirm::{self, Cells, Column, Question, Role};
use crate::dashboard::action::{CloudId, Request};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, Target};
use crate::dashboard::view::Theme;
use crate::domain::model::InstanceState;

#[derive(Debug, Clone, PartialEq)]
pub struct TerminatePopup {
    pub targets: Vec<Target>,
    /// The first target the list shows (j/k scroll it).
    pub scroll: usize,
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
            state.overlay = Some(TerminatePopup { targets, scroll: 0 }.into());
        }
    }

    pub(super) fn on_key(
        mut self,
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
            Some(cmd) => {
                let question = self.question(state);
                self.scroll = question.scrolled(confirm::screen(state), self.scroll, cmd);
                Some(self.into())
            }
            // Anything else neither confirms nor closes.
            None => Some(self.into()),
        }
    }

    /// Names every target by name, id and cloud.
    fn question(&self, state: &AppState) -> Question {
        let targets = &self.targets;
        let column = |kind, role, cell: fn(&Target) -> String| {
            Column::new(kind, role, targets.iter().map(cell).collect())
        };
        Question {
            title: "Terminate".into(),
            tone: Role::Error,
            head: format!(
                "Terminate {} instance(s)? This cannot be undone.",
                targets.len()
            ),
            columns: vec![
                column(Cells::Text, Role::Plain, |t| t.name.clone()),
                column(Cells::Id, Role::Key, |t| t.key.id.clone()),
                column(Cells::Text, Role::Dim, |t| t.cloud_label.clone()),
            ],
            ask: None,
            answers: confirm::answers(state, "terminate these", "keep them"),
            scroll_keys: confirm::scroll_keys(state, Context::Confirm),
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        self.question(state).draw(frame, area, self.scroll, theme);
    }
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
