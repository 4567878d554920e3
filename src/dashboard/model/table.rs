//! The table view over every cloud's instances: the filter, the sort, the
//! shown rows, the selection and the marks.

use std::collections::BTreeSet;

use super::{AppState, CloudStatus, InstanceKey};
use crate::dashboard::action::CloudId;
use crate::domain::format::sanitize;
use crate::domain::model::{Instance, InstanceState, Volume, attach_volumes};

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

impl AppState {
    /// Replaces one cloud's instances (a fresh listing).
    pub fn set_instances(&mut self, cloud: CloudId, mut list: Vec<Instance>) {
        // A listing grown page by page keeps up to twice the room it needs,
        // for as long as it is shown.
        list.shrink_to_fit();
        for inst in &mut list {
            inst.name = sanitize(&inst.name);
            for v in inst.tags.values_mut() {
                *v = sanitize(v);
            }
        }
        // Until the volume listing of this refresh answers, the last one
        // gives sizes and types (a volume rarely changes between two).
        if let Some(status) = self.clouds.get(cloud) {
            attach_volumes(&mut list, &status.volumes);
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
        for inst in &self.instances[cloud] {
            let key = InstanceKey {
                cloud,
                id: inst.id.clone(),
            };
            if inst.state == InstanceState::Terminated && self.launched.contains(&key) {
                self.launched_ended.insert(key);
            }
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
        if let Some(map) = self.summaries.get_mut(cloud) {
            map.retain(|id, _| alive.contains(id.as_str()));
        }
        if let Some(status) = self.clouds.get_mut(cloud) {
            status.metrics.retain(|id| alive.contains(id));
        }
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

    /// A new volume listing of `cloud`: joined into its instances, whose
    /// costs now count them.
    pub fn set_volumes(&mut self, cloud: CloudId, volumes: Vec<Volume>) {
        let Some(status) = self.clouds.get_mut(cloud) else {
            return;
        };
        status.volumes = volumes;
        if let Some(list) = self.instances.get_mut(cloud) {
            attach_volumes(list, &self.clouds[cloud].volumes);
        }
        self.recompute_costs();
        self.rebuild_view();
    }

    /// Recomputes the shown rows after data, filter or sort changed, keeping
    /// the selection on the same instance id.
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
        // The cached cost so far; `None` has no figure (no price, not live).
        let assessments = &self.assessments;
        let spent_of = |c: CloudId, i: usize| assessments.get(c)?.get(i)?.spent;
        self.view.sort_by(|a, b| {
            let (ia, ib) = (&instances[a.0][a.1], &instances[b.0][b.1]);
            let primary = if sort == SortColumn::Cost {
                // Most expensive first; no estimate last.
                by_spent(spent_of(b.0, b.1), spent_of(a.0, a.1))
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
        i.image_name.as_deref().unwrap_or(""),
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
        SortColumn::Name => natural_cmp(&a.name, &b.name),
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

/// Orders names as people read them: case-insensitively, and runs of
/// digits by their value, so `web-2` comes before `web-10`. Allocates
/// nothing: a fleet of 10,000 is sorted with it on every listing.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    // Always on a char boundary: digits are ASCII, other steps are whole chars.
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        let order = if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let (run_x, end_x) = digit_run(x, i);
            let (run_y, end_y) = digit_run(y, j);
            i = end_x;
            j = end_y;
            // Without leading zeros, the longer run is the larger number.
            run_x.len().cmp(&run_y.len()).then_with(|| run_x.cmp(run_y))
        } else {
            let (Some(c), Some(d)) = (a[i..].chars().next(), b[j..].chars().next()) else {
                break;
            };
            i += c.len_utf8();
            j += d.len_utf8();
            c.to_lowercase().cmp(d.to_lowercase())
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}

/// The digits from `start` without their leading zeros, and where the run ends.
fn digit_run(s: &[u8], start: usize) -> (&[u8], usize) {
    let end = s[start..]
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map_or(s.len(), |n| start + n);
    let first = s[start..end]
        .iter()
        .position(|c| *c != b'0')
        .map_or(end, |n| start + n);
    (&s[first..end], end)
}

/// Orders costs so far ascending, with no figure (`None`) before every
/// figure, so the reversed order the table uses puts it last.
fn by_spent(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Sorts addresses numerically; missing ones last.
fn ip_key(ip: Option<&str>) -> (bool, Option<std::net::IpAddr>, String) {
    match ip {
        Some(s) => (false, s.parse().ok(), s.to_string()),
        None => (true, None, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::{haystack, natural_cmp};

    #[test]
    fn the_filter_reads_the_image_name_and_id() {
        let mut i = crate::testutil::instance("i-1", "web-1");
        assert!(!haystack("demo", &i).contains("ubuntu"));
        i.image_name = Some("Ubuntu-22.04-lab".into());
        let hay = haystack("demo", &i);
        assert!(hay.contains("ubuntu-22.04-lab"), "{hay:?}");
        assert!(hay.contains("ami-0abc"), "{hay:?}");
    }

    #[test]
    fn names_sort_naturally() {
        let mut names = vec![
            "web-10", "web-2", "Web-1", "db", "web-02b", "web-2a", "node-007", "node-7", "a",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "a", "db", "node-007", "node-7", "Web-1", "web-2", "web-2a", "web-02b", "web-10"
            ]
        );
        // Runs longer than any integer still compare.
        assert!(natural_cmp("x99999999999999999999999", "x100000000000000000000000").is_lt());
    }
}
