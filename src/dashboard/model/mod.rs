//! The app model: plain data, changed only by [`crate::dashboard::update::update`].

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::cloud::endpoints::Endpoint;
use crate::config::{Config, Template};
use crate::dashboard::action::{CloudId, RequestId};
use crate::dashboard::keymap::Keymap;
use crate::domain::cost::Flag;
use crate::domain::format::sanitize;
use crate::domain::model::{
    CloudKind, Instance, InstanceMetrics, InstanceState, LaunchOptions, PublicAddress,
};

/// Identifies an instance across clouds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceKey {
    pub cloud: CloudId,
    pub id: String,
}

/// One cloud endpoint as the header shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudStatus {
    /// The `[[cloud]]` name from the config.
    pub config_name: String,
    pub region: String,
    /// e.g. `demo-aws/eu-west-1`.
    pub label: String,
    pub kind: CloudKind,
    /// Copied from the [`Endpoint`] the cloud layer built: the one truth of
    /// whether a simulator answers here.
    pub simulated: bool,
    /// The refresh under way, if any.
    pub refreshing: Option<RequestId>,
    /// The newest refresh whose listing was applied; older answers are stale.
    pub applied_list: RequestId,
    pub last_ok: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub metrics_error: Option<String>,
    /// Why this cloud has no metrics at all (no metrics service), shown
    /// quietly in the detail pane rather than as an error.
    pub metrics_note: Option<String>,
    /// When the next refresh is due; `None` means now.
    pub next_refresh: Option<DateTime<Utc>>,
    /// Something changed during the refresh under way: go again right after it.
    pub again: bool,
    pub addresses: Vec<PublicAddress>,
}

impl CloudStatus {
    pub fn new(endpoint: Endpoint) -> Self {
        CloudStatus {
            config_name: endpoint.cloud,
            region: endpoint.region,
            label: endpoint.label,
            kind: endpoint.kind,
            simulated: endpoint.simulated,
            refreshing: None,
            applied_list: 0,
            last_ok: None,
            error: None,
            metrics_error: None,
            metrics_note: None,
            next_refresh: None,
            again: false,
            addresses: Vec::new(),
        }
    }
}

/// Columns the table can be sorted by, in the order `sort_next` walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Cloud,
    Region,
    Name,
    Id,
    State,
    Size,
    PublicIp,
    PrivateIp,
    Age,
    /// Estimated cost so far.
    Cost,
}

impl SortColumn {
    pub const ALL: [SortColumn; 10] = [
        SortColumn::Cloud,
        SortColumn::Region,
        SortColumn::Name,
        SortColumn::Id,
        SortColumn::State,
        SortColumn::Size,
        SortColumn::PublicIp,
        SortColumn::PrivateIp,
        SortColumn::Age,
        SortColumn::Cost,
    ];

    pub fn title(self) -> &'static str {
        match self {
            SortColumn::Cloud => "CLOUD",
            SortColumn::Region => "REGION",
            SortColumn::Name => "NAME",
            SortColumn::Id => "ID",
            SortColumn::State => "STATE",
            SortColumn::Size => "TYPE",
            SortColumn::PublicIp => "PUBLIC IP",
            SortColumn::PrivateIp => "PRIVATE IP",
            SortColumn::Age => "AGE",
            // Every figure is an estimate, and says so.
            SortColumn::Cost => "EST. COST",
        }
    }

    /// Parses a `:sort` argument (`name`, `age`, `public-ip`, ...).
    pub fn parse(s: &str) -> Option<SortColumn> {
        let s = s.to_ascii_lowercase().replace(['-', '_', ' '], "");
        Some(match s.as_str() {
            "cloud" => SortColumn::Cloud,
            "region" => SortColumn::Region,
            "name" => SortColumn::Name,
            "id" => SortColumn::Id,
            "state" | "status" => SortColumn::State,
            "type" | "size" | "flavor" => SortColumn::Size,
            "publicip" | "public" | "ip" => SortColumn::PublicIp,
            "privateip" | "private" => SortColumn::PrivateIp,
            "age" | "launched" => SortColumn::Age,
            "cost" | "spent" => SortColumn::Cost,
            _ => return None,
        })
    }

    pub fn next(self) -> SortColumn {
        let i = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[(i + 1) % SortColumn::ALL.len()]
    }
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
pub enum LaunchField {
    Template,
    Name,
    Count,
    Image,
    Size,
    Key,
    Network,
    SecurityGroup,
}

impl LaunchField {
    /// The order Tab walks.
    pub const ORDER: [LaunchField; 8] = [
        LaunchField::Template,
        LaunchField::Name,
        LaunchField::Count,
        LaunchField::Image,
        LaunchField::Size,
        LaunchField::Key,
        LaunchField::Network,
        LaunchField::SecurityGroup,
    ];

    pub fn next(self) -> LaunchField {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    pub fn prev(self) -> LaunchField {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + Self::ORDER.len() - 1) % Self::ORDER.len()]
    }
}

/// The launch form: a template plus the user's edits. Name and count are
/// typed; image, size, key, network and security group start as the
/// template says and can be switched among what the cloud lists.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchPopup {
    pub template: usize,
    pub focus: LaunchField,
    pub name: String,
    pub count: String,
    pub image: String,
    pub size: String,
    pub key_name: Option<String>,
    pub network: Option<String>,
    pub security_groups: Vec<String>,
    pub error: Option<String>,
    /// What the template's cloud offers, once it answered.
    pub options: Option<LaunchOptions>,
    pub options_request: Option<RequestId>,
}

impl LaunchPopup {
    pub fn new(templates: &[Template], index: usize) -> LaunchPopup {
        let mut popup = LaunchPopup {
            template: 0,
            focus: LaunchField::Template,
            name: String::new(),
            count: String::new(),
            image: String::new(),
            size: String::new(),
            key_name: None,
            network: None,
            security_groups: Vec::new(),
            error: None,
            options: None,
            options_request: None,
        };
        popup.select(templates, index);
        popup
    }

    /// Switches template, resetting the editable fields to its defaults.
    pub fn select(&mut self, templates: &[Template], index: usize) {
        if let Some(t) = templates.get(index) {
            self.template = index;
            self.name = t.instance_name.clone().unwrap_or_else(|| t.name.clone());
            self.count = t.count.to_string();
            self.image = t.image.clone();
            self.size = t.size.clone();
            self.key_name = t.key_name.clone();
            self.network = t.network.clone();
            self.security_groups = t.security_groups.clone();
            self.error = None;
            self.options = None;
            self.options_request = None;
        }
    }

    /// Moves a choice field to the next (or previous) thing the cloud lists.
    pub fn cycle(&mut self, forward: bool) -> Result<(), String> {
        let Some(options) = &self.options else {
            return Err("the cloud has not listed its choices yet".into());
        };
        let (choices, current) = match self.focus {
            LaunchField::Image => (&options.images, Some(self.image.as_str())),
            LaunchField::Size => (&options.sizes, Some(self.size.as_str())),
            LaunchField::Key => (&options.key_names, self.key_name.as_deref()),
            LaunchField::Network => (&options.networks, self.network.as_deref()),
            LaunchField::SecurityGroup => (
                &options.security_groups,
                self.security_groups.first().map(String::as_str),
            ),
            _ => return Ok(()),
        };
        if choices.is_empty() {
            return Err("the cloud lists nothing to choose here".into());
        }
        let n = choices.len();
        let next = match current.and_then(|c| choices.iter().position(|x| x.id == c)) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => 0,
            None => n - 1,
        };
        let id = choices[next].id.clone();
        match self.focus {
            LaunchField::Image => self.image = id,
            LaunchField::Size => self.size = id,
            LaunchField::Key => self.key_name = Some(id),
            LaunchField::Network => self.network = Some(id),
            LaunchField::SecurityGroup => self.security_groups = vec![id],
            _ => {}
        }
        Ok(())
    }

    /// The template with the form's choices applied.
    pub fn applied(&self, template: &Template) -> Template {
        let mut t = template.clone();
        t.image = self.image.clone();
        t.size = self.size.clone();
        t.key_name = self.key_name.clone();
        t.network = self.network.clone();
        t.security_groups = self.security_groups.clone();
        t
    }
}

/// An instance named in a confirmation, fixed when the popup opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub key: InstanceKey,
    pub name: String,
    pub cloud_label: String,
    pub state: InstanceState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IpPopup {
    pub target: Target,
    pub current_ip: Option<String>,
    /// Allocated but unassociated addresses of that cloud.
    pub free: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePopup {
    pub title: String,
    pub lines: Vec<String>,
    pub is_error: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    Describe {
        key: InstanceKey,
        scroll: u16,
    },
    Launch(Box<LaunchPopup>),
    Terminate(Vec<Target>),
    PublicIp(IpPopup),
    /// Every public address of every cloud; `confirm` asks before a release.
    Addresses {
        selected: usize,
        confirm: bool,
    },
    Message(MessagePopup),
    /// `q` while instances launched in this session, or flagged ones, still
    /// run: terminate them, keep them and quit, or stay.
    QuitReminder(QuitReminder),
}

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
    /// `t` was pressed: the popup asks for `y` before terminating.
    pub confirm: bool,
}

/// The console log view of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleView {
    pub key: InstanceKey,
    pub name: String,
    pub lines: Vec<String>,
    /// First shown line.
    pub top: usize,
    /// Keep the newest line in view as output arrives.
    pub follow: bool,
    /// The poll under way; other answers are stale.
    pub request: Option<RequestId>,
    pub next_poll: Option<DateTime<Utc>>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub search: Option<String>,
    /// The line of the match the last search jumped to; `n`/`N` go on from it.
    pub match_line: Option<usize>,
    /// Lines visible at the last draw.
    pub height: usize,
}

impl ConsoleView {
    pub fn new(key: InstanceKey, name: String) -> ConsoleView {
        ConsoleView {
            key,
            name,
            lines: Vec::new(),
            top: 0,
            follow: true,
            request: None,
            next_poll: None,
            fetched_at: None,
            error: None,
            search: None,
            match_line: None,
            height: 20,
        }
    }

    pub fn max_top(&self) -> usize {
        self.lines.len().saturating_sub(self.height.max(1))
    }

    pub fn set_text(&mut self, text: &str) {
        self.lines = text.lines().map(sanitize).collect();
        if self.follow {
            self.top = self.max_top();
        } else {
            self.top = self.top.min(self.max_top());
        }
    }

    /// Jumps to the next (or previous) match: after the current match, or
    /// from the top of the view for a new search. False if nothing matches.
    pub fn jump_to_match(&mut self, forward: bool, fresh: bool) -> bool {
        let n = self.lines.len();
        if n == 0 {
            return false;
        }
        let from = match self.match_line {
            Some(m) if !fresh => {
                if forward {
                    m + 1
                } else {
                    m + n - 1
                }
            }
            _ => self.top,
        } % n;
        match self.find(from, forward) {
            Some(line) => {
                self.match_line = Some(line);
                self.follow = false;
                self.top = line.min(self.max_top());
                true
            }
            None => false,
        }
    }

    /// Index of the next line (from `from`, wrapping) containing the search text.
    pub fn find(&self, from: usize, forward: bool) -> Option<usize> {
        let needle = self.search.as_ref()?.to_lowercase();
        let n = self.lines.len();
        if n == 0 || needle.is_empty() {
            return None;
        }
        (0..n)
            .map(|step| {
                if forward {
                    (from + step) % n
                } else {
                    (from + n - step % n) % n
                }
            })
            .find(|&i| self.lines[i].to_lowercase().contains(&needle))
    }
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

/// What the header says about money and forgotten things.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostSummary {
    /// Estimated $/h of live priced instances and AWS public addresses.
    pub dollars_per_hour: f64,
    /// vCPUs held by live OpenStack servers whose flavor has no price.
    pub held_vcpus: u32,
    /// Live instances hytop has no price for.
    pub unpriced: usize,
    pub flagged_instances: usize,
    pub flagged_addresses: usize,
    /// When this was computed.
    pub at: Option<DateTime<Utc>>,
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
    haystacks: Vec<Vec<String>>,
    /// Why each instance looks forgotten (empty: it does not), parallel to
    /// `instances`; see [`AppState::recompute_costs`].
    pub flags: Vec<Vec<Vec<Flag>>>,
    /// Estimated dollars spent so far, parallel to `instances` (`-1`: no
    /// price), for sorting by cost.
    pub spent: Vec<Vec<f64>>,
    /// Totals for the header, from the same pass.
    pub costs: CostSummary,
    /// Show only flagged instances (`F`, `:forgotten`).
    pub forgotten_only: bool,
    pub metrics: HashMap<InstanceKey, InstanceMetrics>,
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
            flags: vec![Vec::new(); n],
            spent: vec![Vec::new(); n],
            costs: CostSummary::default(),
            forgotten_only: false,
            metrics: HashMap::new(),
            view: Vec::new(),
            selected: None,
            selection_chosen: false,
            cursor: 0,
            offset: 0,
            page_height: 10,
            marks: BTreeSet::new(),
            filter: String::new(),
            sort: SortColumn::Cloud,
            sort_desc: false,
            prompt: None,
            overlay: None,
            console: None,
            status: None,
            launched: BTreeSet::new(),
            owner: "unknown@localhost".into(),
            quit_after: BTreeSet::new(),
            select_when_listed: None,
            next_request: 1,
            width: 120,
            height: 40,
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

    /// Replaces one cloud's instances (a fresh listing).
    pub fn set_instances(&mut self, cloud: CloudId, mut list: Vec<Instance>) {
        for inst in &mut list {
            inst.name = sanitize(&inst.name);
            for v in inst.tags.values_mut() {
                *v = sanitize(v);
            }
        }
        let label = self
            .clouds
            .get(cloud)
            .map(|c| c.label.clone())
            .unwrap_or_default();
        let hay = list.iter().map(|i| haystack(&label, i)).collect();
        if let Some(slot) = self.instances.get_mut(cloud) {
            *slot = list;
            self.haystacks[cloud] = hay;
        }
        // Marks and metrics of instances that are gone would only confuse.
        let alive: BTreeSet<&str> = self.instances[cloud]
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        self.marks
            .retain(|k| k.cloud != cloud || alive.contains(k.id.as_str()));
        self.metrics
            .retain(|k, _| k.cloud != cloud || alive.contains(k.id.as_str()));
        if let Some(want) = self.select_when_listed.clone()
            && want.cloud == cloud
            && alive.contains(want.id.as_str())
        {
            self.selected = Some(want);
            self.selection_chosen = true;
            self.select_when_listed = None;
        }
        self.recompute_costs();
        self.rebuild_view();
    }

    /// Recomputes the shown rows after data, filter or sort changed, keeping
    /// the selection on the same instance id.
    /// Flags, $/h and the flagged counts, from the instances, metrics and
    /// addresses now known. Cheap enough for every listing; the clock alone
    /// changes them slowly, so ticks recompute at most every 30 s.
    pub fn recompute_costs(&mut self) {
        let prices = crate::domain::cost::Prices::embedded();
        let rules = &self.config.cost;
        let mut summary = CostSummary {
            at: Some(self.now),
            ..CostSummary::default()
        };
        for (cloud, list) in self.instances.iter().enumerate() {
            let mut per_cloud = Vec::with_capacity(list.len());
            let mut spent = Vec::with_capacity(list.len());
            for inst in list {
                spent.push(
                    match crate::domain::cost::spent(inst, self.now, prices, rules) {
                        crate::domain::cost::Spent::Dollars(d) => d,
                        _ => -1.0,
                    },
                );
                let key = InstanceKey {
                    cloud,
                    id: inst.id.clone(),
                };
                let flags = crate::domain::cost::instance_flags(
                    inst,
                    self.metrics.get(&key),
                    self.now,
                    rules,
                );
                if !flags.is_empty() {
                    summary.flagged_instances += 1;
                }
                match crate::domain::cost::rate(inst, prices, rules) {
                    crate::domain::cost::Rate::Dollars(d) => summary.dollars_per_hour += d,
                    crate::domain::cost::Rate::Held { vcpus, .. } => summary.held_vcpus += vcpus,
                    crate::domain::cost::Rate::Unknown => {
                        if inst.state.is_live() {
                            summary.unpriced += 1;
                        }
                    }
                }
                per_cloud.push(flags);
            }
            self.flags[cloud] = per_cloud;
            self.spent[cloud] = spent;
        }
        for cloud in &self.clouds {
            for address in &cloud.addresses {
                if cloud.kind == CloudKind::Aws {
                    summary.dollars_per_hour += prices.address_hourly();
                }
                if !crate::domain::cost::address_flags(address).is_empty() {
                    summary.flagged_addresses += 1;
                }
            }
        }
        self.costs = summary;
        self.dirty = true;
    }

    /// The flags of a row of `instances`.
    pub fn flags_of(&self, cloud: CloudId, idx: usize) -> &[Flag] {
        self.flags
            .get(cloud)
            .and_then(|f| f.get(idx))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn rebuild_view(&mut self) {
        let needle = self.filter.to_lowercase();
        self.view.clear();
        for (cloud, hay) in self.haystacks.iter().enumerate() {
            for (idx, h) in hay.iter().enumerate() {
                if self.forgotten_only && self.flags_of(cloud, idx).is_empty() {
                    continue;
                }
                if needle.is_empty() || h.contains(&needle) {
                    self.view.push((cloud, idx));
                }
            }
        }
        let (instances, clouds, sort, desc) =
            (&self.instances, &self.clouds, self.sort, self.sort_desc);
        let spent = &self.spent;
        let spent_of = |c: CloudId, i: usize| spent.get(c).and_then(|s| s.get(i)).copied();
        self.view.sort_by(|a, b| {
            let (ia, ib) = (&instances[a.0][a.1], &instances[b.0][b.1]);
            let primary = if sort == SortColumn::Cost {
                // Most expensive first; no estimate last.
                spent_of(b.0, b.1)
                    .unwrap_or(-1.0)
                    .total_cmp(&spent_of(a.0, a.1).unwrap_or(-1.0))
            } else {
                compare(sort, clouds, a.0, ia, b.0, ib)
            };
            let primary = if desc { primary.reverse() } else { primary };
            primary
                .then_with(|| clouds[a.0].label.cmp(&clouds[b.0].label))
                .then_with(|| ia.name.cmp(&ib.name))
                .then_with(|| ia.id.cmp(&ib.id))
        });
        self.place_cursor();
        self.dirty = true;
    }

    fn place_cursor(&mut self) {
        if self.view.is_empty() {
            self.cursor = 0;
            self.selected = None;
            return;
        }
        if !self.selection_chosen {
            self.cursor = 0;
            self.selected = self.row(0).map(|(k, _)| k);
            return;
        }
        if let Some(sel) = &self.selected {
            let found = self
                .view
                .iter()
                .position(|&(c, i)| c == sel.cloud && self.instances[c][i].id == sel.id);
            if let Some(pos) = found {
                self.cursor = pos;
                return;
            }
        }
        // The selected instance is gone or filtered out: stay on the same line.
        self.cursor = self.cursor.min(self.view.len() - 1);
        self.selected = self.row(self.cursor).map(|(k, _)| k);
    }

    pub fn select_row(&mut self, row: usize) {
        if self.view.is_empty() {
            return;
        }
        self.cursor = row.min(self.view.len() - 1);
        self.selected = self.row(self.cursor).map(|(k, _)| k);
        self.selection_chosen = true;
        self.dirty = true;
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

    /// What the quit reminder lists: live instances launched in this session
    /// or flagged, oldest first.
    pub fn quit_reminder(&self) -> Vec<Reminded> {
        let prices = crate::domain::cost::Prices::embedded();
        let mut out = Vec::new();
        for (cloud, list) in self.instances.iter().enumerate() {
            for (idx, inst) in list.iter().enumerate() {
                if !inst.state.is_live() {
                    continue;
                }
                let key = InstanceKey {
                    cloud,
                    id: inst.id.clone(),
                };
                let mut why: Vec<&str> = Vec::new();
                if self.launched.contains(&key) {
                    why.push("launched now");
                }
                why.extend(self.flags_of(cloud, idx).iter().map(Flag::short));
                if why.is_empty() {
                    continue;
                }
                out.push(Reminded {
                    target: Target {
                        name: inst.name.clone(),
                        cloud_label: self.clouds[cloud].label.clone(),
                        state: inst.state,
                        key,
                    },
                    age: inst.age(self.now),
                    spent: crate::domain::cost::format_spent(crate::domain::cost::spent(
                        inst,
                        self.now,
                        prices,
                        &self.config.cost,
                    )),
                    why: why.join(", "),
                });
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.age));
        out
    }

    /// Every public address of every cloud, in cloud order.
    pub fn all_addresses(&self) -> Vec<(CloudId, &PublicAddress)> {
        self.clouds
            .iter()
            .enumerate()
            .flat_map(|(c, cloud)| cloud.addresses.iter().map(move |a| (c, a)))
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
            c.config_name == *name
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

fn haystack(label: &str, i: &Instance) -> String {
    let mut h = String::with_capacity(96);
    for part in [
        i.kind.short(),
        label,
        &i.account,
        &i.region,
        &i.name,
        &i.id,
        i.state.as_str(),
        &i.raw_state,
        &i.size,
        &i.image,
        i.public_ip.as_deref().unwrap_or(""),
        i.private_ip.as_deref().unwrap_or(""),
    ] {
        h.push_str(part);
        h.push('\u{1f}');
    }
    h.to_lowercase()
}

fn compare(
    sort: SortColumn,
    clouds: &[CloudStatus],
    ca: CloudId,
    a: &Instance,
    cb: CloudId,
    b: &Instance,
) -> std::cmp::Ordering {
    match sort {
        SortColumn::Cloud => {
            (a.kind, &clouds[ca].config_name).cmp(&(b.kind, &clouds[cb].config_name))
        }
        SortColumn::Region => a.region.cmp(&b.region),
        SortColumn::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        SortColumn::Id => a.id.cmp(&b.id),
        SortColumn::State => a.state.cmp(&b.state),
        SortColumn::Size => a.size.cmp(&b.size),
        SortColumn::PublicIp => ip_key(a.public_ip.as_deref()).cmp(&ip_key(b.public_ip.as_deref())),
        SortColumn::PrivateIp => {
            ip_key(a.private_ip.as_deref()).cmp(&ip_key(b.private_ip.as_deref()))
        }
        // Oldest first reads as "largest age first" only when reversed; newest first is natural.
        SortColumn::Age => b.launched_at.cmp(&a.launched_at),
        // Compared by the caller, which holds the computed costs.
        SortColumn::Cost => std::cmp::Ordering::Equal,
    }
}

/// Sorts addresses numerically; missing ones last.
fn ip_key(ip: Option<&str>) -> (bool, Option<std::net::IpAddr>, String) {
    match ip {
        Some(s) => (false, s.parse().ok(), s.to_string()),
        None => (true, None, String::new()),
    }
}
