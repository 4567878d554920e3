//! CloudWatch: CPU and NetworkIn of many instances per `GetMetricData`
//! call, asked only when a new datapoint can exist (the API is billed per
//! metric), at the period each instance's monitoring allows.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use chrono::{DateTime, TimeZone, Utc};

use super::ec2::to_chrono;
use super::errors::cloudwatch_error;
use crate::cloud::{CloudResult, MetricsQuery, Resolution};
use crate::domain::model::{Instance, InstanceMetrics, Series};

/// GetMetricData takes at most 500 metric queries per call.
pub const MAX_QUERIES: usize = 500;

/// What the metrics cache remembers of an instance.
#[derive(Debug, Clone, Copy)]
struct Fetched {
    at: DateTime<Utc>,
    period: i32,
}

/// Which instances are due for new datapoints, and at what period.
#[derive(Debug, Default)]
pub(super) struct MetricsCache {
    /// Detailed monitoring per instance, from the last listing: it decides
    /// the metric period (60 s detailed, 300 s basic).
    monitoring: Mutex<HashMap<String, bool>>,
    /// When each instance's metrics were last fetched, per resolution: a
    /// fleet's summary does not make the selected instance's series fresh.
    fetched: Mutex<HashMap<(String, Resolution), Fetched>>,
}

impl MetricsCache {
    /// Remembers the monitoring of a fresh listing (and forgets instances
    /// no longer listed).
    pub fn listed(&self, instances: &[Instance]) {
        let mut monitoring = self.monitoring.lock().unwrap_or_else(|e| e.into_inner());
        monitoring.clear();
        monitoring.extend(
            instances
                .iter()
                .map(|i| (i.id.clone(), i.detailed_monitoring)),
        );
    }

    fn period_of(&self, instance_id: &str) -> i32 {
        let detailed = self
            .monitoring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(instance_id)
            .copied()
            .unwrap_or(false);
        if detailed { 60 } else { 300 }
    }

    /// The instances of `query` whose next datapoint can exist by now,
    /// with their period.
    pub fn due(&self, query: &MetricsQuery) -> Vec<(String, i32)> {
        let fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        query
            .instance_ids
            .iter()
            .map(|id| (id.clone(), self.period_of(id)))
            .filter(|(id, period)| {
                fetched
                    .get(&(id.clone(), query.resolution))
                    .is_none_or(|f| {
                        f.period != *period
                            || query.end - f.at >= chrono::Duration::seconds(i64::from(*period))
                    })
            })
            .collect()
    }

    /// Records that `due` was fetched and gives every one of them its
    /// series (empty when CloudWatch had none), in time order.
    pub fn fetched(
        &self,
        due: Vec<(String, i32)>,
        mut results: HashMap<String, InstanceMetrics>,
        query: &MetricsQuery,
    ) -> Vec<(String, InstanceMetrics)> {
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(due.len());
        for (id, period) in due {
            fetched.insert(
                (id.clone(), query.resolution),
                Fetched {
                    at: query.end,
                    period,
                },
            );
            let mut m = results
                .remove(&id)
                .unwrap_or_else(|| empty_metrics(period, query.start, query.end));
            // Pages may come in any order; the sparkline wants time order.
            m.cpu.points.sort_by_key(|(t, _)| *t);
            m.net_in.points.sort_by_key(|(t, _)| *t);
            if query.resolution == Resolution::Summary {
                // A window that straddles two periods answers two points.
                m.cpu = Series {
                    period_secs: summary_period(query) as u32,
                    ..m.cpu.summarised()
                };
            }
            out.push((id, m));
        }
        out
    }
}

fn empty_metrics(period: i32, start: DateTime<Utc>, end: DateTime<Utc>) -> InstanceMetrics {
    let series = || Series {
        period_secs: period as u32,
        points: Vec::new(),
    };
    InstanceMetrics {
        cpu: series(),
        net_in: series(),
        window_start: Some(start),
        window_end: Some(end),
    }
}

/// The datapoints of every `(instance, period)` of `due` in the query's
/// window, in as few calls as the query limit allows.
pub(super) async fn get_metric_data(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    due: &[(String, i32)],
    query: &MetricsQuery,
) -> CloudResult<HashMap<String, InstanceMetrics>> {
    let mut results: HashMap<String, InstanceMetrics> = HashMap::new();
    let summary = query.resolution == Resolution::Summary;
    let per_instance = if summary { 1 } else { 2 };
    for chunk in due.chunks(MAX_QUERIES / per_instance) {
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .flat_map(|(n, (id, period))| {
                let [cpu, net] = if summary {
                    queries_for(n, id, summary_period(query))
                } else {
                    queries_for(n, id, *period)
                };
                if summary { vec![cpu] } else { vec![cpu, net] }
            })
            .collect();
        // Both periods share one window, aligned to the coarser one; a
        // summary is one period that ends at the last full minute.
        let end = align(query.end, 60);
        let start = if summary {
            end - chrono::Duration::seconds(i64::from(summary_period(query)))
        } else {
            align(query.start, 300)
        };
        let mut next: Option<String> = None;
        loop {
            let out = cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(to_smithy(start))
                .end_time(to_smithy(end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(cloudwatch_error)?;
            for r in out.metric_data_results() {
                let Some(qid) = r.id() else { continue };
                let (is_cpu, n) = match (qid.strip_prefix("cpu"), qid.strip_prefix("net")) {
                    (Some(n), _) => (true, n),
                    (_, Some(n)) => (false, n),
                    _ => continue,
                };
                let Some((id, period)) = n.parse::<usize>().ok().and_then(|n| chunk.get(n)) else {
                    continue;
                };
                let entry = results
                    .entry(id.clone())
                    .or_insert_with(|| empty_metrics(*period, start, end));
                let series = if is_cpu {
                    &mut entry.cpu
                } else {
                    &mut entry.net_in
                };
                series.points.extend(
                    r.timestamps()
                        .iter()
                        .zip(r.values())
                        .filter_map(|(t, v)| Some((to_chrono(t)?, *v))),
                );
            }
            next = out.next_token().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
    }
    Ok(results)
}

/// The metric queries of one instance: CPU average and NetworkIn sum.
fn queries_for(index: usize, instance_id: &str, period: i32) -> [MetricDataQuery; 2] {
    let query = |prefix: &str, metric: &str, stat: &str| {
        MetricDataQuery::builder()
            .id(format!("{prefix}{index}"))
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/EC2")
                            .metric_name(metric)
                            .dimensions(
                                Dimension::builder()
                                    .name("InstanceId")
                                    .value(instance_id)
                                    .build(),
                            )
                            .build(),
                    )
                    .period(period)
                    .stat(stat)
                    .build(),
            )
            .return_data(true)
            .build()
    };
    [
        query("cpu", "CPUUtilization", "Average"),
        query("net", "NetworkIn", "Sum"),
    ]
}

/// One period over the whole window, in whole minutes as CloudWatch wants.
fn summary_period(query: &MetricsQuery) -> i32 {
    let secs = (query.end - query.start).num_seconds().max(60);
    let minutes = (secs + 59) / 60;
    i32::try_from(minutes * 60).unwrap_or(i32::MAX / 60 * 60)
}

fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

/// Rounds down to a multiple of `period` seconds.
fn align(t: DateTime<Utc>, period: i32) -> DateTime<Utc> {
    let p = i64::from(period.max(1));
    let secs = t.timestamp().div_euclid(p) * p;
    Utc.timestamp_opt(secs, 0).single().unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_rounds_down_to_the_period() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 12, 7, 42).unwrap();
        assert_eq!(
            align(t, 60),
            Utc.with_ymd_and_hms(2026, 11, 21, 12, 7, 0).unwrap()
        );
        assert_eq!(
            align(t, 300),
            Utc.with_ymd_and_hms(2026, 11, 21, 12, 5, 0).unwrap()
        );
    }

    #[test]
    fn two_queries_per_instance_with_valid_ids() {
        let [cpu, net] = queries_for(7, "i-0abc", 300);
        assert_eq!(cpu.id(), Some("cpu7"));
        assert_eq!(net.id(), Some("net7"));
        let stat = cpu.metric_stat().unwrap();
        assert_eq!(stat.period(), Some(300));
        assert_eq!(stat.stat(), Some("Average"));
        let metric = stat.metric().unwrap();
        assert_eq!(metric.namespace(), Some("AWS/EC2"));
        assert_eq!(metric.metric_name(), Some("CPUUtilization"));
        assert_eq!(metric.dimensions()[0].value(), Some("i-0abc"));
        assert_eq!(net.metric_stat().unwrap().stat(), Some("Sum"));
    }
}
