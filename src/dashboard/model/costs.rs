//! What things cost and which look forgotten: every instance and address
//! judged once per listing by [`assess`] and [`assess_address`], the very
//! judgement `hytop list` and `hytop check` print. The table, the header,
//! the detail pane, the forgotten filter and the quit reminder all read
//! these cached assessments, so they cannot disagree with each other or
//! with the report.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::metrics::newer;
use super::{AppState, InstanceKey, Target};
use crate::dashboard::action::CloudId;
use crate::dashboard::overlays::quit_reminder::Reminded;
use crate::domain::cost::{
    AddressAssessment, Assessment, Flag, Prices, Totals, VolumeAssessment, assess, assess_address,
    assess_volume,
};
use crate::domain::model::InstanceMetrics;

/// What the header says about money and forgotten things.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostSummary {
    /// The sums of every cloud's assessments.
    pub totals: Totals,
    /// When the assessments were made; ticks judge again 30 s later.
    pub at: Option<DateTime<Utc>>,
}

impl AppState {
    /// Judges every instance (with its metrics) and address now known, and
    /// sums them for the header. Cheap enough for every listing; the clock
    /// alone changes them slowly, so ticks recompute at most every 30 s.
    pub fn recompute_costs(&mut self) {
        let prices = Prices::embedded();
        let rules = &self.config.cost;
        let now = self.now;
        let mut totals = Totals::default();
        for (cloud, list) in self.instances.iter().enumerate() {
            // The few full series of this cloud, looked up without a key
            // per instance.
            let series: HashMap<&str, &InstanceMetrics> = self
                .metrics
                .iter()
                .filter(|(k, _)| k.cloud == cloud)
                .map(|(k, m)| (k.id.as_str(), m))
                .collect();
            let summaries = self.summaries.get(cloud);
            let assessed: Vec<Assessment> = list
                .iter()
                .map(|inst| {
                    let id = inst.id.as_str();
                    let judged = newer(series.get(id).copied(), summaries.and_then(|s| s.get(id)));
                    assess(inst, judged, now, prices, rules)
                })
                .collect();
            assessed.iter().for_each(|a| totals.add(a));
            self.assessments[cloud] = assessed;
        }
        for (cloud, status) in self.clouds.iter().enumerate() {
            let assessed: Vec<AddressAssessment> = status
                .addresses
                .iter()
                .map(|address| assess_address(address, status.kind, prices))
                .collect();
            assessed.iter().for_each(|a| totals.add_address(a));
            self.address_assessments[cloud] = assessed;
            let volumes: Vec<VolumeAssessment> = status
                .volumes
                .iter()
                .map(|v| assess_volume(v, status.kind, &status.region, prices, rules))
                .collect();
            // Attached ones are in their instance's cost already.
            status
                .volumes
                .iter()
                .zip(&volumes)
                .filter(|(v, _)| v.is_unattached())
                .for_each(|(_, a)| totals.add_volume(a));
            self.volume_assessments[cloud] = volumes;
        }
        self.costs = CostSummary {
            totals,
            at: Some(now),
        };
        self.dirty = true;
    }

    /// The cached assessment of row `idx` of `instances[cloud]`.
    pub fn assessment_of(&self, cloud: CloudId, idx: usize) -> Option<&Assessment> {
        self.assessments.get(cloud)?.get(idx)
    }

    /// The cached assessment of the instance `key` names.
    pub fn assessment(&self, key: &InstanceKey) -> Option<&Assessment> {
        let idx = self
            .instances
            .get(key.cloud)?
            .iter()
            .position(|i| i.id == key.id)?;
        self.assessment_of(key.cloud, idx)
    }

    /// The flags of a row of `instances` (empty: it does not look forgotten).
    pub fn flags_of(&self, cloud: CloudId, idx: usize) -> &[Flag] {
        self.assessment_of(cloud, idx)
            .map(|a| a.flags.as_slice())
            .unwrap_or_default()
    }

    /// What the quit reminder lists: live instances launched in this session
    /// or flagged, and stopped ones still flagged (an OpenStack server
    /// holding its flavor), oldest first.
    pub fn quit_reminder(&self) -> Vec<Reminded> {
        let mut out = Vec::new();
        for (cloud, list) in self.instances.iter().enumerate() {
            for (idx, inst) in list.iter().enumerate() {
                if !inst.state.is_live() && self.flags_of(cloud, idx).is_empty() {
                    continue;
                }
                let key = InstanceKey {
                    cloud,
                    id: inst.id.clone(),
                };
                let assessment = self.assessment_of(cloud, idx);
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
                    spent: assessment.map_or_else(|| "-".to_string(), Assessment::spent_text),
                    why: why.join(", "),
                });
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.age));
        out
    }
}
