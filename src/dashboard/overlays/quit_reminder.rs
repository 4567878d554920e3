//! The reminder shown on quit while instances launched in this session, or
//! flagged ones, still run: terminate them (asking in `[confirm]`), keep
//! them and quit, or stay. Its keys are the `[quit]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::Overlay;
use super::confirm::{self, Cells, Column, Question, Role};
use super::{power, terminate};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, Target};
use crate::dashboard::mouse::Click;
use crate::dashboard::view::{Theme, hints};
use crate::domain::format;

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
    /// "Stop / shelve them" was asked for: it asks once more before that.
    pub park: bool,
    /// The first instance the list shows (the arrows, and j/k while it
    /// asks, scroll it).
    pub scroll: usize,
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
        if instances.is_empty() && state.hidden_launches().is_empty() {
            state.quit = true;
            fx.push(Effect::Quit);
        } else {
            state.overlay = Some(
                QuitReminder {
                    instances,
                    confirm: false,
                    park: false,
                    scroll: 0,
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
        if self.confirm || self.park {
            match state.keymap.lookup(Context::Confirm, key) {
                Some(Command::Confirm) => {
                    let targets: Vec<Target> =
                        self.instances.into_iter().map(|r| r.target).collect();
                    let before = state.next_request;
                    if self.park {
                        let actions: Vec<_> = targets
                            .iter()
                            .map(|t| power::park_action(state, t))
                            .collect();
                        let action_of = |t: &Target| {
                            targets
                                .iter()
                                .position(|x| x.key == t.key)
                                .map_or(crate::cloud::PowerAction::Stop, |i| actions[i])
                        };
                        power::send(state, &targets, action_of, fx);
                        state.quit_after = (before..state.next_request).collect();
                        state.info("stopping / shelving; hytop quits when the clouds confirm");
                    } else {
                        terminate::send(state, targets, fx);
                        state.quit_after = (before..state.next_request).collect();
                        state.info("terminating; hytop quits when the clouds confirm");
                    }
                    return None;
                }
                Some(Command::Cancel) => {
                    self.confirm = false;
                    self.park = false;
                }
                Some(cmd) => self.scroll_by(state, cmd),
                None => {}
            }
            return Some(self.into());
        }
        // Only the listed instances can be acted on (a hidden endpoint's
        // worker is stopped).
        let acts = !state.readonly && !self.instances.is_empty();
        match state.keymap.lookup(Context::Quit, key) {
            // Read-only hytop does not offer it, and says nothing.
            Some(Command::Terminate) if acts => self.confirm = true,
            Some(Command::Park) if acts => self.park = true,
            Some(Command::KeepAndQuit) => {
                state.quit = true;
                fx.push(Effect::Quit);
                return None;
            }
            Some(Command::Cancel) => return None,
            Some(cmd) => self.scroll_by(state, cmd),
            None => {}
        }
        Some(self.into())
    }

    fn scroll_by(&mut self, state: &AppState, cmd: Command) {
        let question = self.question(state);
        self.scroll = question.scrolled(confirm::screen(state), self.scroll, cmd);
    }

    /// Lists every instance by name, id, cloud, age, cost and why; asks
    /// once more after `t`.
    fn question(&self, state: &AppState) -> Question {
        let listed = &self.instances;
        let column = |kind, role, cell: &dyn Fn(&Reminded) -> String| {
            Column::new(kind, role, listed.iter().map(cell).collect())
        };
        let age = |r: &Reminded| r.age.map(format::age).unwrap_or_else(|| "-".into());
        let n = listed.len();
        let (ask, answers, scroll_keys) = if self.confirm {
            (
                Some(format!("Terminate these {n}?")),
                confirm::answers(state, "terminate and quit", "back"),
                confirm::scroll_keys(state, Context::Confirm),
            )
        } else if self.park {
            (
                Some(format!(
                    "Stop (AWS) / shelve (OpenStack) these {n}? Their disks stay, their compute stops costing."
                )),
                confirm::answers(state, "stop / shelve and quit", "back"),
                confirm::scroll_keys(state, Context::Confirm),
            )
        } else {
            let keymap = &state.keymap;
            let key = |cmd: Command, usual: KeyCode| {
                hints::keys(keymap, Context::Quit, &[cmd], &[usual], " / ")
            };
            let mut answers = Vec::new();
            if !state.readonly && n > 0 {
                answers.push((Command::Terminate, KeyCode::Char('t'), "terminate them"));
                answers.push((Command::Park, KeyCode::Char('p'), "stop / shelve them"));
            }
            answers.push((
                Command::KeepAndQuit,
                KeyCode::Char('q'),
                "keep them and quit",
            ));
            answers.push((Command::Cancel, KeyCode::Esc, "stay in hytop"));
            let answers = answers
                .into_iter()
                .filter_map(|(cmd, usual, what)| {
                    let click = Click::Press(Context::Quit, cmd);
                    Some((key(cmd, usual)?, what.to_string(), click))
                })
                .collect();
            (None, answers, confirm::scroll_keys(state, Context::Quit))
        };
        let hidden = state.hidden_launches();
        let mut head = if n == 0 {
            String::new()
        } else if listed.iter().all(|r| r.target.state.is_live()) {
            format!("{n} instance(s) still running — they keep costing money after hytop quits:")
        } else {
            format!(
                "{n} instance(s) still running or holding resources — they keep costing after hytop quits:"
            )
        };
        if !hidden.is_empty() {
            let named: Vec<String> = hidden
                .iter()
                .map(|(label, k)| format!("{label} ({k})"))
                .collect();
            let total: usize = hidden.iter().map(|(_, k)| k).sum();
            let note = format!(
                "{total} instance(s) launched now were running in endpoints no longer shown: {} — R, P or C shows them again, w finds them.",
                named.join(", ")
            );
            head = if head.is_empty() {
                note
            } else {
                format!("{note} And {head}")
            };
        }
        Question {
            title: "Quit?".into(),
            tone: Role::Flagged,
            head,
            // Nothing listed (only hidden endpoints to name): no columns,
            // nor a note of the ones left out.
            columns: if n == 0 {
                Vec::new()
            } else {
                vec![
                    column(Cells::Text, Role::Plain, &|r| r.target.name.clone()),
                    column(Cells::Id, Role::Key, &|r| r.target.key.id.clone()),
                    column(Cells::Text, Role::Dim, &|r| r.target.cloud_label.clone()),
                    column(Cells::Figure, Role::Plain, &age).optional("age"),
                    column(Cells::Figure, Role::Plain, &|r| r.spent.clone())
                        .optional("cost so far (estimate)"),
                    column(Cells::Text, Role::Flagged, &|r| r.why.clone()).optional("why listed"),
                ]
            },
            ask,
            answers,
            scroll_keys,
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        self.question(state).draw(frame, area, self.scroll, theme);
    }

    pub(super) fn answer_areas(&self, area: Rect, state: &AppState) -> Vec<(Rect, Click)> {
        self.question(state).answer_areas(area, self.scroll)
    }
}
