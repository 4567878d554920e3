//! The app model: plain data, changed only by [`crate::dashboard::update::update`].
//!
//! One file per part: the clouds ([`cloud`]), the table view over their
//! instances ([`table`]), the console view ([`console`]) and what things
//! cost ([`costs`]). The popups keep their own state in
//! [`crate::dashboard::overlays`].

pub mod cloud;
pub mod console;
pub mod costs;
mod endpoints;
pub mod metrics;
pub mod pacing;
pub mod table;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

pub use self::cloud::CloudStatus;
pub use self::console::ConsoleView;
pub use self::costs::CostSummary;
pub use self::table::SortColumn;
use crate::config::{Config, Template};
use crate::dashboard::action::{CloudId, RequestId};
use crate::dashboard::keymap::Keymap;
use crate::dashboard::overlays::Overlay;
use crate::domain::cost::{AddressAssessment, Assessment, VolumeAssessment};
use crate::domain::model::{Instance, InstanceMetrics, InstanceState, PublicAddress, Volume};

/// Identifies an instance across clouds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceKey {
    pub cloud: CloudId,
    pub id: String,
}

/// An instance named in a confirmation, fixed when the popup opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub key: InstanceKey,
    pub name: String,
    pub cloud_label: String,
    pub state: InstanceState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    Command,
    Search,
    /// Hours to add to the expiry of the targets.
    ExtendHours,
}

/// A one-line text input in the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub level: Level,
    pub text: String,
    pub until: DateTime<Utc>,
}

/// An address the terminate question was told to release: sent once a
/// listing shows it free of its instance (a cloud refuses to release an
/// address still associated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRelease {
    pub cloud: CloudId,
    pub address_id: String,
    pub ip: String,
    pub instance_id: String,
    /// The terminate request it waits for; released only if that succeeds.
    pub after: RequestId,
    /// That terminate was confirmed.
    pub confirmed: bool,
}

/// The whole app model.
#[derive(Debug, Clone)]
pub struct AppState {
    pub now: DateTime<Utc>,
    pub config: Config,
    pub keymap: Keymap,
    pub readonly: bool,
    pub clouds: Vec<CloudStatus>,
    /// Instances per cloud, as the cloud listed them.
    pub instances: Vec<Vec<Instance>>,
    /// Lower-cased text of every filterable column, parallel to `instances`.
    pub(crate) haystacks: Vec<Vec<String>>,
    /// What each instance costs and why it looks forgotten, parallel to
    /// `instances`: the one judgement every view reads (see
    /// [`AppState::recompute_costs`]).
    pub assessments: Vec<Vec<Assessment>>,
    /// The same for each cloud's addresses, parallel to
    /// [`CloudStatus::addresses`].
    pub address_assessments: Vec<Vec<AddressAssessment>>,
    /// Per cloud, the judgement of each of `clouds[c].volumes`, same order.
    pub volume_assessments: Vec<Vec<VolumeAssessment>>,
    /// Totals for the header, from the same pass.
    pub costs: CostSummary,
    /// Show only flagged instances (`F`, `:forgotten`).
    pub forgotten_only: bool,
    /// Full series (sparklines) of the selected instance and the last few
    /// looked at; see [`metrics::SERIES_KEPT`].
    pub metrics: HashMap<InstanceKey, InstanceMetrics>,
    /// CPU summaries for the idle rule, per cloud by instance id.
    pub summaries: Vec<HashMap<String, InstanceMetrics>>,
    /// The shown rows (filtered and sorted), as (cloud, index into `instances`).
    pub view: Vec<(CloudId, usize)>,
    pub selected: Option<InstanceKey>,
    /// The user (or a launch) chose the selection; until then it stays on
    /// the first row, whichever cloud answers first.
    pub selection_chosen: bool,
    /// Row of `selected` in `view`.
    pub cursor: usize,
    /// First row drawn; kept by the table view.
    pub offset: usize,
    /// Rows the table showed at the last draw, for paging.
    pub page_height: usize,
    /// Where the last frame drew what a click can hit.
    pub mouse: crate::dashboard::mouse::Areas,
    pub marks: BTreeSet<InstanceKey>,
    pub filter: String,
    pub sort: SortColumn,
    pub sort_desc: bool,
    pub prompt: Option<Prompt>,
    pub overlay: Option<Overlay>,
    pub console: Option<ConsoleView>,
    pub status: Option<StatusLine>,
    /// Instances launched by this hytop session.
    pub launched: BTreeSet<InstanceKey>,
    /// Those of them a listing has shown terminated: once gone from the
    /// listings they are not "unlisted yet" (see [`AppState::remove_cloud`]).
    pub launched_ended: BTreeSet<InstanceKey>,
    /// Public addresses (cloud, ip) this session allocated: terminating
    /// their instance offers to release them by default.
    pub allocated_here: BTreeSet<(CloudId, String)>,
    /// Addresses to release once their terminated instance lets go of them.
    pub pending_releases: Vec<PendingRelease>,
    /// Login users the doctor read from instances' images: what `s` uses
    /// when no template or cloud names one.
    pub login_users: HashMap<InstanceKey, String>,
    /// `user@host`, the `hytop:owner` tag of launches.
    pub owner: String,
    /// Select this instance as soon as a listing shows it.
    pub select_when_listed: Option<InstanceKey>,
    pub next_request: RequestId,
    pub width: u16,
    pub height: u16,
    /// Terminations sent from the quit reminder: hytop exits once every
    /// one is confirmed.
    pub quit_after: BTreeSet<RequestId>,
    /// The last key or paste: long ago, refreshes slow down (see [`pacing`]).
    pub last_input: DateTime<Utc>,
    /// `--demo`: only simulated clouds may be added.
    pub demo: bool,
    /// The sweep under way (`:sweep`), by request.
    pub sweeping: Option<crate::dashboard::overlays::Sweeping>,
    /// What the last sweep found.
    pub last_sweep: Option<crate::dashboard::overlays::SweepFound>,
    /// Something changed since the last draw.
    pub dirty: bool,
    pub quit: bool,
}

impl AppState {
    pub fn new(
        config: Config,
        keymap: Keymap,
        clouds: Vec<CloudStatus>,
        readonly: bool,
        now: DateTime<Utc>,
    ) -> AppState {
        let n = clouds.len();
        AppState {
            now,
            config,
            keymap,
            readonly,
            clouds,
            instances: vec![Vec::new(); n],
            haystacks: vec![Vec::new(); n],
            assessments: vec![Vec::new(); n],
            address_assessments: vec![Vec::new(); n],
            volume_assessments: vec![Vec::new(); n],
            costs: CostSummary::default(),
            forgotten_only: false,
            metrics: HashMap::new(),
            summaries: vec![HashMap::new(); n],
            view: Vec::new(),
            selected: None,
            selection_chosen: false,
            cursor: 0,
            offset: 0,
            page_height: 10,
            mouse: Default::default(),
            marks: BTreeSet::new(),
            filter: String::new(),
            sort: SortColumn::Cloud,
            sort_desc: false,
            prompt: None,
            overlay: None,
            console: None,
            status: None,
            launched: BTreeSet::new(),
            launched_ended: BTreeSet::new(),
            allocated_here: BTreeSet::new(),
            pending_releases: Vec::new(),
            login_users: HashMap::new(),
            owner: "unknown@localhost".into(),
            quit_after: BTreeSet::new(),
            select_when_listed: None,
            next_request: 1,
            width: 120,
            height: 40,
            last_input: now,
            demo: false,
            sweeping: None,
            last_sweep: None,
            dirty: true,
            quit: false,
        }
    }

    pub fn request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    pub fn instance(&self, key: &InstanceKey) -> Option<&Instance> {
        self.instances
            .get(key.cloud)?
            .iter()
            .find(|i| i.id == key.id)
    }

    pub fn row(&self, row: usize) -> Option<(InstanceKey, &Instance)> {
        let (cloud, idx) = *self.view.get(row)?;
        let inst = self.instances.get(cloud)?.get(idx)?;
        Some((
            InstanceKey {
                cloud,
                id: inst.id.clone(),
            },
            inst,
        ))
    }

    pub fn selected_instance(&self) -> Option<(InstanceKey, &Instance)> {
        let key = self.selected.clone()?;
        let inst = self.instance(&key)?;
        Some((key, inst))
    }

    /// The instances an action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<Target> {
        let keys: Vec<InstanceKey> = if self.marks.is_empty() {
            self.selected.iter().cloned().collect()
        } else {
            self.marks.iter().cloned().collect()
        };
        keys.into_iter()
            .filter_map(|key| {
                let inst = self.instance(&key)?;
                Some(Target {
                    name: inst.name.clone(),
                    cloud_label: self.clouds[key.cloud].label.clone(),
                    state: inst.state,
                    key,
                })
            })
            .collect()
    }

    /// Every public address of every cloud, in cloud order.
    pub fn all_addresses(&self) -> Vec<(CloudId, &PublicAddress)> {
        self.clouds
            .iter()
            .enumerate()
            .flat_map(|(c, cloud)| cloud.addresses.iter().map(move |a| (c, a)))
            .collect()
    }

    /// The public addresses the instance `key` holds. A refresh answers
    /// instances before addresses: one still listed as free that the
    /// instance already shows as its public IP is the one it holds.
    pub fn addresses_of<'s>(
        &'s self,
        key: &'s InstanceKey,
    ) -> impl Iterator<Item = &'s PublicAddress> + 's {
        let shown_ip = self.instance(key).and_then(|i| i.public_ip.as_deref());
        self.clouds
            .get(key.cloud)
            .into_iter()
            .flat_map(|c| c.addresses.iter())
            .filter(move |a| match &a.instance_id {
                Some(id) => id == &key.id,
                None => shown_ip == Some(a.ip.as_str()),
            })
    }

    /// Every volume attached to nothing, of every cloud, as listed.
    pub fn loose_volumes(&self) -> Vec<(CloudId, &Volume)> {
        self.clouds
            .iter()
            .enumerate()
            .flat_map(|(c, cloud)| {
                cloud
                    .volumes
                    .iter()
                    .filter(|v| v.is_unattached())
                    .map(move |v| (c, v))
            })
            .collect()
    }

    /// Counts of every normalised state across all clouds.
    pub fn state_counts(&self) -> [(InstanceState, usize); 6] {
        let mut counts = InstanceState::ALL.map(|s| (s, 0));
        for inst in self.instances.iter().flatten() {
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == inst.state) {
                slot.1 += 1;
            }
        }
        counts
    }

    pub fn total_instances(&self) -> usize {
        self.instances.iter().map(Vec::len).sum()
    }

    /// The cloud endpoint a template launches into.
    pub fn template_cloud(&self, template: &Template) -> Option<CloudId> {
        let name = template.cloud.get_ref();
        self.config.cloud(name)?;
        // Without a region, the cloud's first endpoint: OpenStack regions
        // may come from clouds.yaml, known only once the cloud is built.
        self.clouds.iter().position(|c| {
            c.shown
                && c.config_name == *name
                && template
                    .region
                    .as_ref()
                    .is_none_or(|r| c.region == *r.get_ref())
        })
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.set_status(Level::Info, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.set_status(Level::Error, text.into());
    }

    fn set_status(&mut self, level: Level, text: String) {
        let secs = if level == Level::Error { 15 } else { 6 };
        self.status = Some(StatusLine {
            level,
            text,
            until: self.now + chrono::Duration::seconds(secs),
        });
        self.dirty = true;
    }
}
