//! The question before a stop, start, reboot, hard reboot, shelve or
//! unshelve: names every instance it acts on by its whole id, says what
//! each one's cost does, and asks in the `[confirm]` section. The answer
//! goes to each cloud's worker; the cloud's own refusal comes back per id.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Overlay;
use super::confirm::{self, Cells, Column, Question, Role};
use crate::cloud::PowerAction;
use crate::dashboard::action::{CloudId, Request};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, Target};
use crate::dashboard::view::Theme;
use crate::domain::cost::Prices;
use crate::domain::format::{dollars_fine, trim_decimals};
use crate::domain::model::{CloudKind, InstanceState};

#[derive(Debug, Clone, PartialEq)]
pub struct PowerPopup {
    pub action: PowerAction,
    pub targets: Vec<Target>,
    /// What the answer changes in each target's cost, parallel to `targets`.
    pub effects: Vec<String>,
    /// The first target the list shows (j/k scroll it).
    pub scroll: usize,
}

impl From<PowerPopup> for Overlay {
    fn from(popup: PowerPopup) -> Overlay {
        Overlay::Power(popup)
    }
}

impl PowerPopup {
    /// Asks about the marked instances, or the selected one; terminated
    /// ones are not offered. Whether the state allows the action is the
    /// cloud's to say (Nova answers 409 in its own words).
    pub fn open(state: &mut AppState, action: PowerAction) {
        let targets: Vec<Target> = state
            .targets()
            .into_iter()
            .filter(|t| t.state != InstanceState::Terminated)
            .collect();
        if targets.is_empty() {
            state.error(format!(
                "nothing to {}: select or mark a live instance",
                verb(action)
            ));
            return;
        }
        let effects = targets.iter().map(|t| effect(state, t, action)).collect();
        state.overlay = Some(
            PowerPopup {
                action,
                targets,
                effects,
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
                let action = self.action;
                send(state, &self.targets, |_| action, fx);
                None
            }
            Some(Command::Cancel) => None,
            Some(cmd) => {
                let question = self.question(state);
                self.scroll = question.scrolled(confirm::screen(state), self.scroll, cmd);
                Some(self.into())
            }
            None => Some(self.into()),
        }
    }

    fn question(&self, state: &AppState) -> Question {
        let targets = &self.targets;
        let column = |kind, role, cell: fn(&Target) -> String| {
            Column::new(kind, role, targets.iter().map(cell).collect())
        };
        let title = title(self.action);
        Question {
            head: format!("{title} {} instance(s)?", targets.len()),
            title: title.into(),
            tone: match self.action {
                PowerAction::Stop | PowerAction::Shelve | PowerAction::HardReboot => Role::Flagged,
                _ => Role::Plain,
            },
            columns: vec![
                column(Cells::Text, Role::Plain, |t| t.name.clone()),
                column(Cells::Id, Role::Key, |t| t.key.id.clone()),
                Column::new(Cells::Text, Role::Dim, self.effects.clone()),
                column(Cells::Text, Role::Dim, |t| t.cloud_label.clone()).optional("cloud"),
            ],
            ask: None,
            answers: confirm::answers(state, &format!("{} these", verb(self.action)), "cancel"),
            scroll_keys: confirm::scroll_keys(state, Context::Confirm),
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        self.question(state).draw(frame, area, self.scroll, theme);
    }

    pub(super) fn answer_areas(
        &self,
        area: Rect,
        state: &AppState,
    ) -> Vec<(Rect, crate::dashboard::mouse::Click)> {
        self.question(state).answer_areas(area, self.scroll)
    }
}

fn title(action: PowerAction) -> &'static str {
    match action {
        PowerAction::Stop => "Stop",
        PowerAction::Start => "Start",
        PowerAction::Reboot => "Reboot",
        PowerAction::HardReboot => "Hard-reboot",
        PowerAction::Shelve => "Shelve",
        PowerAction::Unshelve => "Unshelve",
    }
}

fn verb(action: PowerAction) -> &'static str {
    match action {
        PowerAction::HardReboot => "hard-reboot",
        other => other.name(),
    }
}

/// What the action changes in what `target` costs or holds, in a few words:
/// `saves $0.0114/h; its 8 GiB gp3 volume keeps costing $0.001/h and its
/// Elastic IP $0.005/h`.
fn effect(state: &AppState, target: &Target, action: PowerAction) -> String {
    let Some(inst) = state.instance(&target.key) else {
        return String::new();
    };
    let rate = Prices::embedded().hourly(inst, &state.config.cost);
    let held = inst.vcpus.map(|v| {
        format!(
            "{v} vCPU / {} GB",
            trim_decimals(inst.memory_mb.unwrap_or(0) as f64 / 1024.0, 1)
        )
    });
    let openstack = inst.kind == CloudKind::OpenStack;
    let saving = match action {
        PowerAction::Stop => match (openstack, rate, held) {
            (true, _, Some(h)) => format!("still holds {h}: shelve frees it"),
            (_, Some(r), _) => format!("saves {}/h", dollars_fine(r)),
            _ => "stops its compute; its disks stay".into(),
        },
        PowerAction::Shelve => match (rate, held) {
            (Some(r), _) => format!("saves {}/h, keeps a snapshot", dollars_fine(r)),
            (None, Some(h)) => format!("frees {h}, keeps a snapshot"),
            _ => "keeps only a snapshot".into(),
        },
        PowerAction::Start | PowerAction::Unshelve => {
            return match (rate, held) {
                (Some(r), _) => format!("costs {}/h again", dollars_fine(r)),
                (None, Some(h)) => format!("holds {h} again"),
                _ => "runs again".into(),
            };
        }
        PowerAction::Reboot | PowerAction::HardReboot => return "no change in cost".into(),
    };
    match still_billed(state, target) {
        Some(kept) => format!("{saving}; {kept}"),
        None => saving,
    }
}

/// What keeps billing while `target` is stopped or shelved: `its 8 GiB gp3
/// volume keeps costing $0.001/h and its Elastic IP $0.005/h`; `None`
/// when nothing priced does.
fn still_billed(state: &AppState, target: &Target) -> Option<String> {
    let inst = state.instance(&target.key)?;
    let a = state.assessment(&target.key)?;
    let mut parts = Vec::new();
    if a.storage.dollars_per_hour > 0.0 {
        let what = match inst.volumes.as_slice() {
            [one] => format!("its {} volume keeps", one.summary()),
            many => format!("its {} volumes ({} GiB) keep", many.len(), a.storage.gb),
        };
        parts.push(format!(
            "{what} costing {}/h",
            dollars_fine(a.storage.dollars_per_hour)
        ));
    }
    // An address allocated to the account stays with a stopped instance
    // (an auto-assigned one goes back to the pool, and stops billing).
    let elastic = state.addresses_of(&target.key).next().is_some();
    if elastic && a.ipv4 > 0.0 {
        let word = if parts.is_empty() {
            "its Elastic IP keeps costing"
        } else {
            "its Elastic IP"
        };
        parts.push(format!("{word} {}/h", dollars_fine(a.ipv4)));
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

/// One request per cloud and action (`action_of` each target), by the ids
/// the question showed; unmarks them.
pub(super) fn send(
    state: &mut AppState,
    targets: &[Target],
    action_of: impl Fn(&Target) -> PowerAction,
    fx: &mut Vec<Effect>,
) {
    let mut by_cloud: std::collections::BTreeMap<
        (CloudId, &'static str),
        (PowerAction, Vec<String>),
    > = Default::default();
    for t in targets {
        let action = action_of(t);
        by_cloud
            .entry((t.key.cloud, action.name()))
            .or_insert_with(|| (action, Vec::new()))
            .1
            .push(t.key.id.clone());
        state.marks.remove(&t.key);
    }
    let mut verbs: Vec<&str> = Vec::new();
    for ((cloud, _), (action, ids)) in by_cloud {
        let id = state.request_id();
        if !verbs.contains(&verb(action)) {
            verbs.push(verb(action));
        }
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::Power { ids, action },
        });
    }
    state.info(format!(
        "{}: {} instance(s)…",
        verbs.join(" / "),
        targets.len()
    ));
}

/// What parking an instance means on its cloud: the cheap, reversible
/// alternative to forgetting it (stop on AWS, shelve on OpenStack).
pub(super) fn park_action(state: &AppState, target: &Target) -> PowerAction {
    match state.clouds.get(target.key.cloud).map(|c| c.kind) {
        Some(CloudKind::OpenStack) => PowerAction::Shelve,
        _ => PowerAction::Stop,
    }
}
