//! Gnocchi (service type `metric`): CPU and incoming network traffic for many
//! servers per request through the batch `POST /v1/aggregates` API.
//!
//! `cpu` and `network.incoming.bytes` are cumulative counters; their
//! `rate:mean` at granularity G is nanoseconds of CPU time (or bytes) per G
//! seconds. Which granularities exist is up to the deployment's archive
//! policy, so it is read once from the policy of a real metric.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::{Call, Service, Session};
use crate::cloud::{CloudError, CloudResult};
use crate::domain::model::Series;

pub const CPU_METRIC: &str = "cpu";
pub const NET_IN_METRIC: &str = "network.incoming.bytes";
pub const INSTANCE: &str = "instance";
pub const INTERFACE: &str = "instance_network_interface";

/// Resources per aggregates request: bounded bodies, few requests.
pub const BATCH: usize = 250;
/// The sparkline shows about this many points at most.
const MAX_POINTS: i64 = 120;

/// How one metric is fetched: at which granularity, with which aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub granularity: u32,
    /// `rate:mean` where the archive policy keeps it; else `mean`, and the
    /// rate is taken here from consecutive cumulative values.
    pub aggregation: String,
    /// Every granularity the archive policy keeps, finest first.
    pub available: Vec<u32>,
}

impl Plan {
    fn server_side_rate(&self) -> bool {
        self.aggregation == "rate:mean"
    }

    /// The plan of a summary over `window_secs`: the coarsest granularity
    /// that still gives a few points in the window (a rate needs two, the
    /// idle rule's coverage a few more), so a fleet's batch stays small.
    pub fn coarse(&self, window_secs: i64) -> Plan {
        let granularity = self
            .available
            .iter()
            .copied()
            .filter(|g| i64::from(*g) * SUMMARY_POINTS <= window_secs)
            .max()
            .unwrap_or_else(|| self.available.first().copied().unwrap_or(self.granularity));
        Plan {
            granularity,
            ..self.clone()
        }
    }
}

/// Points a summary asks per server (at least).
const SUMMARY_POINTS: i64 = 4;

#[derive(Debug, Deserialize)]
struct Resource {
    #[serde(default)]
    metrics: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Definition {
    granularity: Value,
}

#[derive(Debug, Deserialize)]
struct ArchivePolicy {
    #[serde(default)]
    definition: Vec<Definition>,
    #[serde(default)]
    aggregation_methods: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Metric {
    archive_policy: ArchivePolicy,
}

/// Seconds of a granularity as Gnocchi writes it: `"0:01:00"`,
/// `"1 day, 0:00:00"`, or a plain number.
pub fn parse_granularity(v: &Value) -> Option<u32> {
    if let Some(n) = v.as_f64() {
        return (n >= 1.0).then_some(n as u32);
    }
    let text = v.as_str()?;
    let (days, clock) = match text.split_once(", ") {
        Some((d, rest)) => (d.split_whitespace().next()?.parse::<u32>().ok()?, rest),
        None => (0, text),
    };
    let mut parts = clock.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    let total = days * 86_400 + h * 3600 + m * 60 + s as u32;
    (total > 0).then_some(total)
}

/// The finest granularity that still fits the window in a sparkline.
pub fn choose_granularity(mut available: Vec<u32>, window_secs: i64) -> Option<u32> {
    available.sort_unstable();
    available
        .iter()
        .copied()
        .find(|g| window_secs / i64::from(*g) <= MAX_POINTS)
        .or_else(|| available.last().copied())
}

/// Reads the archive policy of `metric` on one resource found by `search`
/// and plans how to fetch it. `None` when no such resource or metric exists
/// yet (a new server: try again later).
pub async fn plan(
    session: &Session,
    resource_type: &str,
    search: Value,
    metric: &str,
    window_secs: i64,
) -> CloudResult<Option<Plan>> {
    let call = Call::new(
        Service::Metric,
        Method::POST,
        format!("/search/resource/{resource_type}"),
    )
    .query("limit", "1")
    .json(search);
    let found: Vec<Resource> = session.json(&call).await?;
    let Some(metric_id) = found
        .into_iter()
        .find_map(|r| r.metrics.get(metric).cloned())
    else {
        return Ok(None);
    };
    let m: Metric = session
        .json(&Call::get(Service::Metric, format!("/metric/{metric_id}")))
        .await?;
    let mut granularities: Vec<u32> = m
        .archive_policy
        .definition
        .iter()
        .filter_map(|d| parse_granularity(&d.granularity))
        .collect();
    granularities.sort_unstable();
    let Some(granularity) = choose_granularity(granularities.clone(), window_secs) else {
        return Ok(None);
    };
    let methods = &m.archive_policy.aggregation_methods;
    let aggregation = if methods.iter().any(|a| a == "rate:mean") {
        "rate:mean"
    } else if methods.iter().any(|a| a == "mean") {
        "mean"
    } else {
        return Err(CloudError::new(
            "NoAggregation",
            format!("the archive policy of `{metric}` keeps neither rate:mean nor mean"),
        ));
    };
    Ok(Some(Plan {
        granularity,
        aggregation: aggregation.to_string(),
        available: granularities,
    }))
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

type Measures = BTreeMap<String, BTreeMap<String, Vec<(String, f64, f64)>>>;

#[derive(Debug, Deserialize)]
struct Ungrouped {
    measures: BTreeMap<String, Measures>,
}

#[derive(Debug, Deserialize)]
struct Group {
    group: BTreeMap<String, Value>,
    measures: Ungrouped,
}

fn points_of(per_metric: &Measures, metric: &str, plan: &Plan) -> Vec<(DateTime<Utc>, f64)> {
    let Some(series) = per_metric
        .get(metric)
        .and_then(|a| a.get(&plan.aggregation))
    else {
        return Vec::new();
    };
    let mut points: Vec<(DateTime<Utc>, f64)> = series
        .iter()
        .filter(|(_, g, _)| (*g as u32) == plan.granularity)
        .filter_map(|(ts, _, v)| {
            Some((
                DateTime::parse_from_rfc3339(ts).ok()?.with_timezone(&Utc),
                *v,
            ))
        })
        .collect();
    points.sort_by_key(|(t, _)| *t);
    if plan.server_side_rate() {
        points
    } else {
        // Counter deltas; a drop means the counter restarted (a reboot).
        points
            .windows(2)
            .filter(|w| w[1].1 >= w[0].1)
            .map(|w| (w[1].0, w[1].1 - w[0].1))
            .collect()
    }
}

fn aggregates_call(
    resource_type: &str,
    search: Value,
    metric: &str,
    plan: &Plan,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Call {
    Call::new(Service::Metric, Method::POST, "/aggregates")
        .query("granularity", plan.granularity.to_string())
        .query("start", timestamp(start))
        .query("stop", timestamp(end))
        .json(json!({
            "resource_type": resource_type,
            "search": search,
            "operations": format!("(metric {metric} {})", plan.aggregation),
        }))
}

/// Gnocchi answers 404 when none of the resources has the metric yet.
fn empty_on_404<T: Default>(result: CloudResult<T>) -> CloudResult<T> {
    match result {
        Err(e) if e.code.as_deref().is_some_and(|c| c.starts_with("404")) => Ok(T::default()),
        other => other,
    }
}

/// Raw CPU rate (ns of CPU time per granularity) per server.
pub async fn cpu(
    session: &Session,
    plan: &Plan,
    server_ids: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> CloudResult<HashMap<String, Vec<(DateTime<Utc>, f64)>>> {
    let mut out = HashMap::new();
    for chunk in server_ids.chunks(BATCH) {
        let call = aggregates_call(
            INSTANCE,
            json!({ "in": { "id": chunk } }),
            CPU_METRIC,
            plan,
            start,
            end,
        );
        let reply: Option<Ungrouped> = empty_on_404(session.json(&call).await.map(Some))?;
        for (resource, per_metric) in reply.map(|r| r.measures).unwrap_or_default() {
            out.insert(resource, points_of(&per_metric, CPU_METRIC, plan));
        }
    }
    Ok(out)
}

/// Bytes received per granularity per server, summed over its interfaces.
pub async fn net_in(
    session: &Session,
    plan: &Plan,
    server_ids: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> CloudResult<HashMap<String, Vec<(DateTime<Utc>, f64)>>> {
    let mut out: HashMap<String, Vec<(DateTime<Utc>, f64)>> = HashMap::new();
    for chunk in server_ids.chunks(BATCH) {
        let call = aggregates_call(
            INTERFACE,
            json!({ "in": { "instance_id": chunk } }),
            NET_IN_METRIC,
            plan,
            start,
            end,
        )
        .query("groupby", "instance_id");
        let groups: Vec<Group> = empty_on_404(session.json(&call).await)?;
        for g in groups {
            let Some(server) = g.group.get("instance_id").and_then(Value::as_str) else {
                continue;
            };
            let mut summed: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
            for per_metric in g.measures.measures.values() {
                for (t, v) in points_of(per_metric, NET_IN_METRIC, plan) {
                    *summed.entry(t).or_insert(0.0) += v;
                }
            }
            out.insert(server.to_string(), summed.into_iter().collect());
        }
    }
    Ok(out)
}

/// CPU utilisation in percent of all the server's vCPUs (100 % = every
/// vCPU busy, as CloudWatch's CPUUtilization) from a `cpu` rate in ns per
/// `granularity` seconds.
pub fn cpu_percent(ns_per_period: f64, granularity: u32, vcpus: u32) -> f64 {
    ns_per_period / (f64::from(granularity) * 1e9) * 100.0 / f64::from(vcpus.max(1))
}

pub fn series(period: u32, points: Vec<(DateTime<Utc>, f64)>) -> Series {
    Series {
        period_secs: period,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granularities_parse_as_gnocchi_writes_them() {
        assert_eq!(parse_granularity(&json!("0:00:10")), Some(10));
        assert_eq!(parse_granularity(&json!("0:01:00")), Some(60));
        assert_eq!(parse_granularity(&json!("1:00:00")), Some(3600));
        assert_eq!(parse_granularity(&json!("1 day, 0:00:00")), Some(86_400));
        assert_eq!(parse_granularity(&json!(300.0)), Some(300));
        assert_eq!(parse_granularity(&json!("soon")), None);
    }

    #[test]
    fn the_finest_granularity_that_fits_the_window_wins() {
        // The course cloud keeps 10 s, 60 s and 1 h: an hour's window at 10 s
        // would be 360 points, more than a sparkline shows.
        assert_eq!(choose_granularity(vec![3600, 10, 60], 3600), Some(60));
        assert_eq!(choose_granularity(vec![10, 60], 600), Some(10));
        assert_eq!(choose_granularity(vec![10], 86_400), Some(10));
        assert_eq!(choose_granularity(vec![], 3600), None);
    }

    #[test]
    fn a_summary_takes_the_coarsest_granularity_with_a_few_points() {
        let plan = Plan {
            granularity: 60,
            aggregation: "rate:mean".into(),
            available: vec![10, 60, 300, 3600],
        };
        assert_eq!(plan.coarse(3600).granularity, 300);
        assert_eq!(plan.coarse(4 * 3600).granularity, 3600);
        // A window shorter than every coarse granularity keeps the finest.
        assert_eq!(plan.coarse(30).granularity, 10);
    }

    #[test]
    fn cpu_nanoseconds_become_percent() {
        // 30 s of CPU time in a 60 s period on one vCPU: half busy.
        assert!((cpu_percent(30e9, 60, 1) - 50.0).abs() < 1e-9);
        // The same on two vCPUs is a quarter of the server.
        assert!((cpu_percent(30e9, 60, 2) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn cumulative_means_become_deltas_when_the_policy_has_no_rate() {
        let plan = Plan {
            granularity: 60,
            aggregation: "mean".into(),
            available: vec![60],
        };
        let mut per_metric = Measures::new();
        per_metric.insert(
            "cpu".into(),
            BTreeMap::from([(
                "mean".to_string(),
                vec![
                    ("2026-01-01T10:00:00+00:00".to_string(), 60.0, 100.0),
                    ("2026-01-01T10:01:00+00:00".to_string(), 60.0, 160.0),
                    ("2026-01-01T10:02:00+00:00".to_string(), 60.0, 10.0),
                    ("2026-01-01T10:03:00+00:00".to_string(), 60.0, 40.0),
                ],
            )]),
        );
        let points = points_of(&per_metric, "cpu", &plan);
        let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
        assert_eq!(values, vec![60.0, 30.0]);
    }
}
