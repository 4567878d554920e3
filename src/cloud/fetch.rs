//! What one look at a cloud asks, in order: the instances, then (if they
//! could be listed) the volumes and the public addresses, then the metrics of some running
//! instances. The dashboard's workers ([`crate::cloud::worker`]) and
//! `hytop list`/`check` (src/report) both run this one sequence; each
//! answer is handed over as soon as it is known, so a screen can show the
//! instances before the addresses arrive.
//!
//! Time limits are the caller's: `hytop list` wraps the whole fetch in its
//! deadline and tells from what it already got which step ran out of time.

use chrono::Utc;

use crate::cloud::{CloudResult, MetricsQuery, Provider};
use crate::domain::cost::{CostConfig, idle_candidates, idle_window};
use crate::domain::model::{Instance, InstanceMetrics, PublicAddress, Volume};

/// Whose metrics to ask, over which window.
#[derive(Debug, Clone, Copy)]
pub enum MetricsFor<'a> {
    /// Only the running instances the idle rule of `rules` can judge (up for
    /// the whole idle window), summarised over that window: `hytop check`
    /// asks no more than it needs. Nothing when the rule is off.
    IdleCandidates(&'a CostConfig),
}

/// What a fetch asks besides the instances.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// List the volumes too, right after the instances: they are part of
    /// what an instance costs.
    pub volumes: bool,
    /// List the public addresses too (after the volumes).
    pub addresses: bool,
    /// Ask metrics (after the addresses); `None` for none. The dashboard
    /// asks its metrics apart from its listings (see
    /// `dashboard::update::metrics`), so a slow metrics service never
    /// delays a listing.
    pub metrics: Option<MetricsFor<'a>>,
}

/// One answer of a fetch, in the order asked.
#[derive(Debug)]
pub enum Fetched {
    Instances(CloudResult<Vec<Instance>>),
    Addresses(CloudResult<Vec<PublicAddress>>),
    /// Every volume, attached or not.
    Volumes(CloudResult<Vec<Volume>>),
    Metrics(CloudResult<Vec<(String, InstanceMetrics)>>),
}

/// Runs the sequence of `plan` against `provider`, handing each answer to
/// `emit`: instances always; addresses and metrics only if the instances
/// could be listed; metrics only if some instance qualifies.
pub async fn fetch(provider: &dyn Provider, plan: &Plan<'_>, mut emit: impl FnMut(Fetched)) {
    let instances = provider.list_instances().await;
    let now = Utc::now();
    // Judged before the list is handed over, so it is never cloned.
    let candidates = match (&instances, plan.metrics) {
        (Ok(list), Some(MetricsFor::IdleCandidates(rules))) => {
            idle_window(rules).map(|window| (idle_candidates(list, now, rules), window))
        }
        (Err(e), _) => {
            tracing::warn!(cloud = %provider.label(), error = %e, "listing failed");
            None
        }
        _ => None,
    };
    let listed = instances.is_ok();
    emit(Fetched::Instances(instances));
    if !listed {
        return;
    }
    if plan.volumes {
        emit(Fetched::Volumes(provider.list_volumes().await));
    }
    if plan.addresses {
        emit(Fetched::Addresses(provider.list_addresses().await));
    }
    let Some((ids, window)) = candidates else {
        return;
    };
    if ids.is_empty() {
        return;
    }
    let query = MetricsQuery::summary(ids, now, window);
    emit(Fetched::Metrics(provider.metrics(&query).await));
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
                Fetched::Volumes(_) => "volumes",
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
    async fn instances_volumes_addresses_then_idle_summaries_in_order() {
        let provider = sim(6, 0.0);
        let rules = CostConfig::default();
        let plan = Plan {
            volumes: true,
            addresses: true,
            metrics: Some(MetricsFor::IdleCandidates(&rules)),
        };
        let answers = run(&provider, &plan).await;
        assert_eq!(
            kinds(&answers),
            ["instances", "volumes", "addresses", "metrics"]
        );
        let (Fetched::Instances(Ok(list)), Fetched::Metrics(Ok(metrics))) =
            (&answers[0], &answers[3])
        else {
            panic!("{answers:?}");
        };
        let candidates = idle_candidates(list, Utc::now(), &rules);
        assert!(
            !metrics.is_empty(),
            "the simulator's days-old instances are candidates"
        );
        for (id, m) in metrics {
            assert!(candidates.contains(id), "{id} is not a candidate");
            assert!(m.net_in.points.is_empty(), "a summary is CPU only");
        }
    }

    #[tokio::test]
    async fn instances_only_when_asked_so_and_nothing_after_a_failure() {
        let plan = Plan {
            volumes: false,
            addresses: false,
            metrics: None,
        };
        assert_eq!(kinds(&run(&sim(3, 0.0), &plan).await), ["instances"]);
        let rules = CostConfig::default();
        let all = Plan {
            volumes: true,
            addresses: true,
            metrics: Some(MetricsFor::IdleCandidates(&rules)),
        };
        assert_eq!(kinds(&run(&sim(3, 1.0), &all).await), ["instances-err"]);
    }

    #[tokio::test]
    async fn no_metrics_when_the_idle_rule_is_off() {
        let off = CostConfig {
            idle_after_mins: 0,
            ..CostConfig::default()
        };
        let plan = Plan {
            volumes: false,
            addresses: false,
            metrics: Some(MetricsFor::IdleCandidates(&off)),
        };
        assert_eq!(kinds(&run(&sim(6, 0.0), &plan).await), ["instances"]);
    }
}
