//! What things cost and which look forgotten: the flags, the header's
//! totals and the quit reminder's list, judged in one pass per listing.

use chrono::{DateTime, Utc};

use super::{AppState, InstanceKey, Target};
use crate::dashboard::action::CloudId;
use crate::dashboard::overlays::quit_reminder::Reminded;
use crate::domain::cost::Flag;
use crate::domain::model::CloudKind;

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

impl AppState {
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
}
