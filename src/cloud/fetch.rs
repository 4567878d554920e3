//! What one look at a cloud asks, in order: the instances, then (if they
//! could be listed) the public addresses, then the metrics of some running
//! instances. The dashboard's workers ([`crate::cloud::worker`]) and
//! `hytop list`/`check` (src/report) both run this one sequence; each
//! answer is handed over as soon as it is known, so a screen can show the
//! instances before the addresses arrive.
//!
//! Time limits are the caller's: `hytop list` wraps the whole fetch in its
//! deadline and tells from what it already got which step ran out of time.

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::cloud::{CloudResult, MetricsQuery, Provider};
use crate::domain::cost::{CostConfig, idle_candidates, idle_window};
use crate::domain::model::{Instance, InstanceMetrics, InstanceState, PublicAddress};

/// Whose metrics to ask, over which window.
#[derive(Debug, Clone, Copy)]
pub enum MetricsFor<'a> {
    /// Every running instance, over the last `window_mins` (the dashboard's
    /// sparklines and its idle flags).
    Running { window_mins: u32 },
    /// Only the running instances the idle rule of `rules` can judge (up for
    /// the whole idle window), over that window: `hytop check` asks no more
    /// than it needs. Nothing when the rule is off.
    IdleCandidates(&'a CostConfig),
}

/// What a fetch asks besides the instances.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// List the public addresses too (after the instances).
    pub addresses: bool,
    /// Ask metrics (after the addresses); `None` for none.
    pub metrics: Option<MetricsFor<'a>>,
    /// Ask metrics no more often than the provider's `metrics_interval`,
    /// for callers that fetch again and again.
    pub throttle: Option<&'a MetricsThrottle>,
}

/// One answer of a fetch, in the order asked.
#[derive(Debug)]
pub enum Fetched {
    Instances(CloudResult<Vec<Instance>>),
    Addresses(CloudResult<Vec<PublicAddress>>),
    Metrics(CloudResult<Vec<(String, InstanceMetrics)>>),
}

/// When metrics were last fetched: asking again before new datapoints can
/// exist only costs money (CloudWatch bills per metric).
#[derive(Debug, Default)]
pub struct MetricsThrottle {
    last: Mutex<Option<DateTime<Utc>>>,
}

impl MetricsThrottle {
    pub fn new() -> Self {
        MetricsThrottle::default()
    }

    async fn due(&self, now: DateTime<Utc>, interval: std::time::Duration) -> bool {
        let interval =
            chrono::Duration::from_std(interval).unwrap_or_else(|_| chrono::Duration::seconds(60));
        !self.last.lock().await.is_some_and(|t| now - t < interval)
    }

    async fn fetched(&self, now: DateTime<Utc>) {
        *self.last.lock().await = Some(now);
    }
}

/// Runs the sequence of `plan` against `provider`, handing each answer to
/// `emit`: instances always; addresses and metrics only if the instances
/// could be listed; metrics only if some instance qualifies and the
/// throttle allows.
pub async fn fetch(provider: &dyn Provider, plan: &Plan<'_>, mut emit: impl FnMut(Fetched)) {
    let instances = provider.list_instances().await;
    // Only running instances have metrics worth asking for; kept before the
    // list is handed over.
    let running: Vec<Instance> = match &instances {
        Ok(list) => list
            .iter()
            .filter(|i| i.state == InstanceState::Running)
            .cloned()
            .collect(),
        Err(e) => {
            tracing::warn!(cloud = %provider.label(), error = %e, "listing failed");
            Vec::new()
        }
    };
    let listed = instances.is_ok();
    emit(Fetched::Instances(instances));
    if !listed {
        return;
    }
    if plan.addresses {
        emit(Fetched::Addresses(provider.list_addresses().await));
    }
    let Some(metrics_for) = plan.metrics else {
        return;
    };
    let now = Utc::now();
    let (ids, window) = match metrics_for {
        MetricsFor::Running { window_mins } => (
            running.into_iter().map(|i| i.id).collect::<Vec<_>>(),
            chrono::Duration::minutes(i64::from(window_mins)),
        ),
        MetricsFor::IdleCandidates(rules) => match idle_window(rules) {
            Some(window) => (idle_candidates(&running, now, rules), window),
            None => return,
        },
    };
    if ids.is_empty() {
        return;
    }
    if let Some(throttle) = plan.throttle
        && !throttle.due(now, provider.metrics_interval()).await
    {
        return;
    }
    let query = MetricsQuery {
        instance_ids: ids,
        start: now - window,
        end: now,
    };
    let metrics = provider.metrics(&query).await;
    if metrics.is_ok()
        && let Some(throttle) = plan.throttle
    {
        throttle.fetched(now).await;
    }
    emit(Fetched::Metrics(metrics));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::sim::{SimProvider, SimSettings, system_clock};
    use crate::domain::model::CloudKind;

    fn sim(instances: usize, failure_rate: f64) -> SimProvider {
        SimProvider::new(
            CloudKind::Aws,
            "sim",
            "eu-west-1",
            SimSettings {
                instances,
                failure_rate,
                ..SimSettings::default()
            },
            system_clock(),
        )
    }

    fn kinds(answers: &[Fetched]) -> Vec<&'static str> {
        answers
            .iter()
            .map(|f| match f {
                Fetched::Instances(Ok(_)) => "instances",
                Fetched::Instances(Err(_)) => "instances-err",
                Fetched::Addresses(_) => "addresses",
                Fetched::Metrics(_) => "metrics",
            })
            .collect()
    }

    async fn run(provider: &SimProvider, plan: &Plan<'_>) -> Vec<Fetched> {
        let mut answers = Vec::new();
        fetch(provider, plan, |f| answers.push(f)).await;
        answers
    }

    #[tokio::test]
    async fn instances_addresses_metrics_in_order() {
        let provider = sim(4, 0.0);
        let plan = Plan {
            addresses: true,
            metrics: Some(MetricsFor::Running { window_mins: 60 }),
            throttle: None,
        };
        let answers = run(&provider, &plan).await;
        assert_eq!(kinds(&answers), ["instances", "addresses", "metrics"]);
        let (Fetched::Instances(Ok(list)), Fetched::Metrics(Ok(metrics))) =
            (&answers[0], &answers[2])
        else {
            panic!("{answers:?}");
        };
        let running: Vec<&str> = list
            .iter()
            .filter(|i| i.state == InstanceState::Running)
            .map(|i| i.id.as_str())
            .collect();
        assert!(!running.is_empty());
        for (id, _) in metrics {
            assert!(running.contains(&id.as_str()), "{id} is not running");
        }
    }

    #[tokio::test]
    async fn instances_only_when_asked_so_and_nothing_after_a_failure() {
        let plan = Plan {
            addresses: false,
            metrics: None,
            throttle: None,
        };
        assert_eq!(kinds(&run(&sim(3, 0.0), &plan).await), ["instances"]);
        let all = Plan {
            addresses: true,
            metrics: Some(MetricsFor::Running { window_mins: 60 }),
            throttle: None,
        };
        assert_eq!(kinds(&run(&sim(3, 1.0), &all).await), ["instances-err"]);
    }

    #[tokio::test]
    async fn idle_candidates_only_and_none_when_the_rule_is_off() {
        let provider = sim(6, 0.0);
        let rules = CostConfig::default();
        let plan = Plan {
            addresses: false,
            metrics: Some(MetricsFor::IdleCandidates(&rules)),
            throttle: None,
        };
        let answers = run(&provider, &plan).await;
        let (Fetched::Instances(Ok(list)), Some(Fetched::Metrics(Ok(metrics)))) =
            (&answers[0], answers.get(1))
        else {
            panic!("the simulator's days-old instances are candidates: {answers:?}");
        };
        let candidates = idle_candidates(list, Utc::now(), &rules);
        for (id, _) in metrics {
            assert!(candidates.contains(id), "{id} is not a candidate");
        }

        let off = CostConfig {
            idle_after_mins: 0,
            ..CostConfig::default()
        };
        let plan = Plan {
            metrics: Some(MetricsFor::IdleCandidates(&off)),
            ..plan
        };
        assert_eq!(kinds(&run(&provider, &plan).await), ["instances"]);
    }

    #[tokio::test]
    async fn the_throttle_skips_metrics_within_the_interval() {
        let provider = sim(4, 0.0);
        let throttle = MetricsThrottle::new();
        let plan = Plan {
            addresses: false,
            metrics: Some(MetricsFor::Running { window_mins: 60 }),
            throttle: Some(&throttle),
        };
        assert_eq!(
            kinds(&run(&provider, &plan).await),
            ["instances", "metrics"]
        );
        assert_eq!(kinds(&run(&provider, &plan).await), ["instances"]);
    }
}
