//! What the dashboard knows of metrics, apart from the listings: the full
//! series of the few instances whose detail pane was shown, a CPU summary of
//! every instance the idle rule can judge, and per cloud what is asked and
//! when it may be asked again (see `dashboard::update::metrics`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{AppState, InstanceKey};
use crate::cloud::Resolution;
use crate::dashboard::action::{CloudId, RequestId};
use crate::domain::model::InstanceMetrics;

/// Full series kept at most (the selected instance and the last few looked
/// at): a fleet's series would cost more memory than its rows.
pub const SERIES_KEPT: usize = 32;

/// One cloud's metrics requests: at most a few at once, none for an
/// instance before a new datapoint can exist, none during a back-off.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSchedule {
    /// Requests under way.
    pub in_flight: HashMap<RequestId, Resolution>,
    /// When each instance's summary was last asked for.
    pub summary_asked: HashMap<String, DateTime<Utc>>,
    /// When each instance's full series was last asked for.
    pub series_asked: HashMap<String, DateTime<Utc>>,
    /// The cloud's shortest interval between datapoints of a series, as
    /// its worker last said.
    pub interval: Duration,
    /// The same for summaries (a coarser granularity may be asked).
    pub summary_interval: Duration,
    /// Failures in a row; each doubles the wait before the next request.
    pub failures: u32,
    /// Nothing is asked before this (after a failure).
    pub retry_at: Option<DateTime<Utc>>,
    /// The cloud has no metrics service: nothing is ever asked.
    pub unavailable: bool,
    /// Requests sent, per resolution (the fleet bench reads them).
    pub sent_series: u64,
    pub sent_summaries: u64,
}

impl Default for MetricsSchedule {
    fn default() -> Self {
        MetricsSchedule {
            in_flight: HashMap::new(),
            summary_asked: HashMap::new(),
            series_asked: HashMap::new(),
            interval: Duration::seconds(60),
            summary_interval: Duration::seconds(60),
            failures: 0,
            retry_at: None,
            unavailable: false,
            sent_series: 0,
            sent_summaries: 0,
        }
    }
}

/// The wait after `failures` failures in a row: 10 s, 20 s, 40 s, ... up
/// to 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    let secs = 10_i64.saturating_mul(1_i64 << failures.saturating_sub(1).min(5));
    Duration::seconds(secs.min(300))
}

impl MetricsSchedule {
    /// Whether a request may be sent at `now`.
    pub fn may_ask(&self, now: DateTime<Utc>) -> bool {
        !self.unavailable && self.retry_at.is_none_or(|t| now >= t)
    }

    pub fn in_flight(&self, resolution: Resolution) -> usize {
        self.in_flight
            .values()
            .filter(|r| **r == resolution)
            .count()
    }

    fn asked_mut(&mut self, resolution: Resolution) -> &mut HashMap<String, DateTime<Utc>> {
        match resolution {
            Resolution::Series => &mut self.series_asked,
            Resolution::Summary => &mut self.summary_asked,
        }
    }

    /// Whether a series asked at `asked` may have a new datapoint by `now`.
    pub fn due(&self, asked: Option<&DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        asked.is_none_or(|t| now - *t >= self.interval)
    }

    /// Records a request as sent.
    pub fn sent(
        &mut self,
        request: RequestId,
        resolution: Resolution,
        ids: &[String],
        now: DateTime<Utc>,
    ) {
        self.in_flight.insert(request, resolution);
        let asked = self.asked_mut(resolution);
        for id in ids {
            asked.insert(id.clone(), now);
        }
        match resolution {
            Resolution::Series => self.sent_series += 1,
            Resolution::Summary => self.sent_summaries += 1,
        }
    }

    /// An answer came: the interval it gave, and whether it failed (the
    /// instances asked are then due again once the back-off ends).
    pub fn answered(
        &mut self,
        request: RequestId,
        resolution: Resolution,
        asked: &[String],
        failed: bool,
        interval: std::time::Duration,
        now: DateTime<Utc>,
    ) {
        self.in_flight.remove(&request);
        if let Ok(interval) = Duration::from_std(interval) {
            let interval = interval.max(Duration::seconds(10));
            match resolution {
                Resolution::Series => self.interval = interval,
                Resolution::Summary => self.summary_interval = interval,
            }
        }
        if failed {
            let map = self.asked_mut(resolution);
            for id in asked {
                map.remove(id);
            }
            self.failures = self.failures.saturating_add(1);
            self.retry_at = Some(now + backoff(self.failures));
        } else {
            self.failures = 0;
            self.retry_at = None;
        }
    }

    /// Forgets instances that are no longer listed.
    pub fn retain(&mut self, alive: impl Fn(&str) -> bool) {
        self.summary_asked.retain(|id, _| alive(id));
        self.series_asked.retain(|id, _| alive(id));
    }
}

/// The metrics the idle rule judges an instance by: its full series if that
/// is at least as recent as its summary (the selected instance), else the
/// summary.
pub fn newer<'a>(
    series: Option<&'a InstanceMetrics>,
    summary: Option<&'a InstanceMetrics>,
) -> Option<&'a InstanceMetrics> {
    match (series, summary) {
        (Some(full), Some(sum)) if sum.window_end > full.window_end => Some(sum),
        (Some(full), _) => Some(full),
        (None, sum) => sum,
    }
}

impl AppState {
    /// Keeps what a metrics answer brought.
    pub fn apply_metrics(
        &mut self,
        cloud: CloudId,
        resolution: Resolution,
        list: Vec<(String, InstanceMetrics)>,
    ) {
        match resolution {
            Resolution::Summary => {
                if let Some(map) = self.summaries.get_mut(cloud) {
                    map.extend(list);
                }
            }
            Resolution::Series => {
                for (id, m) in list {
                    self.metrics.insert(InstanceKey { cloud, id }, m);
                }
                self.forget_old_series();
            }
        }
    }

    /// Drops the oldest full series beyond [`SERIES_KEPT`], never the
    /// selected instance's.
    fn forget_old_series(&mut self) {
        if self.metrics.len() <= SERIES_KEPT {
            return;
        }
        let mut by_age: Vec<(Option<DateTime<Utc>>, InstanceKey)> = self
            .metrics
            .iter()
            .filter(|(k, _)| Some(*k) != self.selected.as_ref())
            .map(|(k, m)| (m.window_end, k.clone()))
            .collect();
        by_age.sort();
        let excess = self.metrics.len() - SERIES_KEPT;
        for (_, key) in by_age.into_iter().take(excess) {
            self.metrics.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let secs: Vec<i64> = (1..=8).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, [10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn a_failure_makes_the_instances_due_again_after_the_backoff() {
        let now = crate::testutil::fixed_now();
        let ids = vec!["a".to_string(), "b".to_string()];
        let mut s = MetricsSchedule::default();
        s.sent(7, Resolution::Summary, &ids, now);
        assert_eq!(s.in_flight(Resolution::Summary), 1);
        assert!(!s.due(s.summary_asked.get("a"), now + Duration::seconds(59)));
        s.answered(
            7,
            Resolution::Summary,
            &ids,
            true,
            std::time::Duration::from_secs(60),
            now,
        );
        assert_eq!(s.in_flight(Resolution::Summary), 0);
        assert!(s.due(s.summary_asked.get("a"), now));
        assert!(!s.may_ask(now + Duration::seconds(9)));
        assert!(s.may_ask(now + Duration::seconds(10)));
        s.sent(8, Resolution::Summary, &ids, now);
        s.answered(
            8,
            Resolution::Summary,
            &ids,
            false,
            std::time::Duration::from_secs(300),
            now,
        );
        assert!(s.may_ask(now));
        assert_eq!(s.summary_interval, Duration::seconds(300));
        assert_eq!(s.interval, Duration::seconds(60), "series keep theirs");
    }
}
