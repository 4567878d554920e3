//! The terminate question: names exactly the instances it will terminate,
//! fixed when it opened, each by its whole id, says what each leaves behind
//! and still billed (its Elastic / floating IP, volumes that outlive it),
//! offers to release those addresses in the same answer (on by default for
//! the ones this session allocated), and asks in the `[confirm]` section
//! (where j/k scroll the list).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Overlay;
use super::confirm::{self, Cells, Column, Question, Role};
use crossterm::event::KeyCode;

use crate::dashboard::action::{CloudId, Request, RequestId};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, InstanceKey, PendingRelease, Target};
use crate::dashboard::mouse::Click;
use crate::dashboard::view::{Theme, hints};
use crate::domain::cost::{Prices, assess_address};
use crate::domain::format::dollars_fine;
use crate::domain::model::InstanceState;

#[derive(Debug, Clone, PartialEq)]
pub struct TerminatePopup {
    pub targets: Vec<Target>,
    /// The public addresses associated with the targets: they outlive them.
    pub addresses: Vec<LeftAddress>,
    /// The first target the list shows (j/k scroll it).
    pub scroll: usize,
}

/// A public address a terminated instance leaves allocated.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftAddress {
    pub key: InstanceKey,
    pub address_id: String,
    pub ip: String,
    /// What it bills while it stays allocated.
    pub hourly: Option<f64>,
    /// Release it once the instance is gone.
    pub release: bool,
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
            return;
        }
        let addresses = left_addresses(state, &targets);
        state.overlay = Some(
            TerminatePopup {
                targets,
                addresses,
                scroll: 0,
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
        match state.keymap.lookup(Context::Confirm, key) {
            Some(Command::Confirm) => {
                let sent = send(state, self.targets, fx);
                release_later(state, &self.addresses, &sent);
                None
            }
            Some(Command::Cancel) => None,
            Some(Command::ToggleRelease) if !self.addresses.is_empty() => {
                // One key for all: on unless every one is on already.
                let all_on = self.addresses.iter().all(|a| a.release);
                for a in &mut self.addresses {
                    a.release = !all_on;
                }
                Some(self.into())
            }
            Some(cmd) => {
                let question = self.question(state);
                self.scroll = question.scrolled(confirm::screen(state), self.scroll, cmd);
                Some(self.into())
            }
            // Anything else neither confirms nor closes.
            None => Some(self.into()),
        }
    }

    /// Names every target by name, id and cloud, and what it leaves.
    fn question(&self, state: &AppState) -> Question {
        let targets = &self.targets;
        let column = |kind, role, cell: fn(&Target) -> String| {
            Column::new(kind, role, targets.iter().map(cell).collect())
        };
        let left: Vec<String> = targets
            .iter()
            .map(|t| left_behind(state, t, &self.addresses))
            .collect();
        let mut answers = confirm::answers(state, "terminate these", "keep them");
        if !self.addresses.is_empty()
            && let Some(keys) = hints::keys(
                &state.keymap,
                Context::Confirm,
                &[Command::ToggleRelease],
                &[KeyCode::Char('r')],
                " / ",
            )
        {
            let all_on = self.addresses.iter().all(|a| a.release);
            let what = if all_on {
                "keep their IPs"
            } else {
                "release their IPs too"
            };
            let click = Click::Press(Context::Confirm, Command::ToggleRelease);
            answers.push((keys, what.to_string(), click));
        }
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
                Column::new(Cells::Text, Role::Dim, left),
                column(Cells::Text, Role::Dim, |t| t.cloud_label.clone()),
            ],
            ask: None,
            answers,
            scroll_keys: confirm::scroll_keys(state, Context::Confirm),
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        self.question(state).draw(frame, area, self.scroll, theme);
    }

    pub(super) fn answer_areas(&self, area: Rect, state: &AppState) -> Vec<(Rect, Click)> {
        self.question(state).answer_areas(area, self.scroll)
    }
}

/// Sends one terminate per cloud, by the ids the question showed, and
/// unmarks them; returns each cloud's request.
pub(crate) fn send(
    state: &mut AppState,
    targets: Vec<Target>,
    fx: &mut Vec<Effect>,
) -> Vec<(CloudId, RequestId)> {
    let mut by_cloud: std::collections::BTreeMap<CloudId, Vec<String>> = Default::default();
    for t in &targets {
        by_cloud
            .entry(t.key.cloud)
            .or_default()
            .push(t.key.id.clone());
        state.marks.remove(&t.key);
    }
    let mut sent = Vec::new();
    for (cloud, ids) in by_cloud {
        let id = state.request_id();
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::Terminate(ids),
        });
        sent.push((cloud, id));
    }
    state.info(format!("terminating {} instance(s)…", targets.len()));
    sent
}

/// The addresses associated with `targets`, each to be released by default
/// when this session allocated it.
fn left_addresses(state: &AppState, targets: &[Target]) -> Vec<LeftAddress> {
    let prices = Prices::embedded();
    let mut out = Vec::new();
    for t in targets {
        let Some(status) = state.clouds.get(t.key.cloud) else {
            continue;
        };
        for a in state.addresses_of(&t.key) {
            out.push(LeftAddress {
                key: t.key.clone(),
                address_id: a.id.clone(),
                ip: a.ip.clone(),
                hourly: assess_address(a, status.kind, prices).hourly,
                release: state.allocated_here.contains(&(t.key.cloud, a.ip.clone())),
            });
        }
    }
    out
}

/// `IP 54.1.2.3 released · vol 20 GiB gp3 stays $0.0024/h`, or `nothing left
/// billed`: what terminating `target` leaves.
fn left_behind(state: &AppState, target: &Target, addresses: &[LeftAddress]) -> String {
    let fine = |d: Option<f64>| {
        d.map(|d| format!(" {}/h", dollars_fine(d)))
            .unwrap_or_default()
    };
    let mut parts: Vec<String> = addresses
        .iter()
        .filter(|a| a.key == target.key)
        .map(|a| {
            if a.release {
                format!("IP {} released", a.ip)
            } else {
                format!("IP {} stays{}", a.ip, fine(a.hourly))
            }
        })
        .collect();
    if let Some(inst) = state.instance(&target.key) {
        let prices = Prices::embedded();
        for v in inst.volumes.iter().filter(|v| v.outlives_instance()) {
            let rate = prices.volume_hourly(inst.kind, &inst.region, v, &state.config.cost);
            parts.push(format!("vol {} stays{}", v.summary(), fine(rate)));
        }
    }
    if parts.is_empty() {
        "nothing left billed".into()
    } else {
        parts.join(" · ")
    }
}

/// Remembers the addresses to release once their instance's terminate
/// (one of `sent`) succeeds and a listing shows them free.
fn release_later(state: &mut AppState, addresses: &[LeftAddress], sent: &[(CloudId, RequestId)]) {
    for a in addresses.iter().filter(|a| a.release) {
        let Some(&(_, after)) = sent.iter().find(|(c, _)| *c == a.key.cloud) else {
            continue;
        };
        state.pending_releases.push(PendingRelease {
            cloud: a.key.cloud,
            address_id: a.address_id.clone(),
            ip: a.ip.clone(),
            instance_id: a.key.id.clone(),
            after,
            confirmed: false,
        });
    }
}
