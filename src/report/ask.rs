//! Asking: every endpoint at once, each through the shared
//! [`fetch`](crate::cloud::fetch) sequence, bounded by one deadline.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::Provider;
use crate::cloud::endpoints::{Built, Endpoint};
use crate::cloud::fetch::{Fetched, MetricsFor, Plan, fetch};
use crate::cloud::openstack::NO_METRICS_SERVICE;
use crate::domain::cost::CostConfig;
use crate::domain::model::{Instance, InstanceMetrics, PublicAddress, Volume, attach_volumes};

/// What one endpoint answered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub endpoint: Option<Endpoint>,
    pub instances: Vec<Instance>,
    pub addresses: Vec<PublicAddress>,
    /// Every volume, attached or not; the attached ones are also in their
    /// instance's [`Instance::volumes`].
    pub volumes: Vec<Volume>,
    /// CPU (and network) of the instances old enough to be judged idle.
    pub metrics: HashMap<String, InstanceMetrics>,
    /// Why this endpoint (or part of it) could not be asked; any error makes
    /// the exit status 2.
    pub errors: Vec<String>,
    /// What could not be judged for want of a service to ask (a cloud
    /// without metrics), said on stderr without failing.
    pub notes: Vec<String>,
    /// A region the sweep found that hytop's config does not show: whatever
    /// lives here is flagged `unwatched`.
    pub unwatched: bool,
}

impl Answer {
    pub(super) fn label(&self) -> &str {
        self.endpoint.as_ref().map_or("?", |e| e.label.as_str())
    }

    pub(super) fn sort_key(&self) -> (&str, &str) {
        self.endpoint
            .as_ref()
            .map_or(("", ""), |e| (e.cloud.as_str(), e.label.as_str()))
    }
}

/// What to ask each endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Instances and their volumes.
    List,
    /// Instances, volumes, addresses, and metrics of instances old enough to be idle.
    Check,
    /// A region the sweep found unshown: instances, volumes and addresses
    /// (everything live there is flagged anyway, so no metrics).
    Sweep,
}

/// Asks every endpoint at once, each bounded by `timeout`; answers come back
/// in the order of `endpoints`.
pub async fn ask_all(
    endpoints: Vec<Built>,
    ask: Ask,
    timeout: Duration,
    rules: &CostConfig,
) -> Vec<Answer> {
    let n = endpoints.len().max(1);
    let asks = endpoints.into_iter().map(|b| (b, ask)).collect();
    ask_bounded(asks, n, timeout, rules, &|| {}).await
}

/// Asks each endpoint what its [`Ask`] says, at most `concurrency` at a
/// time, each bounded by `timeout` from when its turn comes; answers come
/// back in the order given, those of [`Ask::Sweep`] marked unwatched.
/// `answered` is called as each one answers, in whatever order they do.
pub async fn ask_bounded(
    asks: Vec<(Built, Ask)>,
    concurrency: usize,
    timeout: Duration,
    rules: &CostConfig,
    answered: &(dyn Fn() + Send + Sync),
) -> Vec<Answer> {
    use futures::StreamExt;
    let asks = asks
        .into_iter()
        .map(|(Built { endpoint, provider }, ask)| async move {
            tracing::info!(cloud = %endpoint.label, ?ask, "asking");
            let deadline = Instant::now() + timeout;
            let answer = ask_one(provider.as_ref(), ask, deadline, timeout, rules).await;
            answered();
            Answer {
                endpoint: Some(endpoint),
                unwatched: ask == Ask::Sweep,
                ..answer
            }
        });
    futures::stream::iter(asks)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// One endpoint: the fetch of `ask`, whatever of it answered by `deadline`.
async fn ask_one(
    provider: &dyn Provider,
    ask: Ask,
    deadline: Instant,
    timeout: Duration,
    rules: &CostConfig,
) -> Answer {
    let plan = match ask {
        Ask::List => Plan {
            volumes: true,
            addresses: false,
            metrics: None,
        },
        Ask::Check => Plan {
            volumes: true,
            addresses: true,
            metrics: Some(MetricsFor::IdleCandidates(rules)),
        },
        Ask::Sweep => Plan {
            volumes: true,
            addresses: true,
            metrics: None,
        },
    };
    let mut taken = Taken::default();
    let finished = tokio::time::timeout_at(deadline, fetch(provider, &plan, |f| taken.take(f)))
        .await
        .is_ok();
    if !finished {
        taken.timed_out(&plan, &timed_out(timeout));
    }
    taken.answer
}

/// The answer so far, and which steps have answered (to tell which one the
/// deadline cut off).
#[derive(Default)]
struct Taken {
    answer: Answer,
    instances: bool,
    volumes: bool,
    addresses: bool,
}

impl Taken {
    fn take(&mut self, fetched: Fetched) {
        let answer = &mut self.answer;
        match fetched {
            Fetched::Instances(result) => {
                self.instances = true;
                match result {
                    Ok(list) => answer.instances = list,
                    Err(e) => answer.errors.push(e.to_string()),
                }
            }
            Fetched::Volumes(result) => {
                self.volumes = true;
                match result {
                    Ok(list) => {
                        attach_volumes(&mut answer.instances, &list);
                        answer.volumes = list;
                    }
                    // Costs without volumes would read too low: an error.
                    Err(e) => answer.errors.push(format!("volumes: {e}")),
                }
            }
            Fetched::Addresses(result) => {
                self.addresses = true;
                match result {
                    Ok(list) => answer.addresses = list,
                    Err(e) => answer.errors.push(format!("public addresses: {e}")),
                }
            }
            Fetched::Metrics(result) => match result {
                Ok(metrics) => answer.metrics = metrics.into_iter().collect(),
                // A cloud without a metrics service has nothing to ask: said,
                // not failed (else `check` could never pass on such a cloud).
                Err(e) if e.code.as_deref() == Some(NO_METRICS_SERVICE) => answer
                    .notes
                    .push(format!("idleness not judged: {}", e.message)),
                // Failed metrics leave idleness unjudged: `check` cannot say
                // nothing is forgotten, as when a listing fails.
                Err(e) => answer
                    .errors
                    .push(format!("idleness not judged, no metrics: {e}")),
            },
        }
    }

    /// The step running at the deadline, an error whichever it is: the
    /// listing, the addresses or the metrics (idleness not judged) are
    /// missing from the answer.
    fn timed_out(&mut self, plan: &Plan<'_>, timed_out: &str) {
        let answer = &mut self.answer;
        if !self.instances {
            answer.errors.push(timed_out.to_string());
        } else if plan.volumes && !self.volumes {
            answer.errors.push(format!("volumes: {timed_out}"));
        } else if plan.addresses && !self.addresses {
            answer.errors.push(format!("public addresses: {timed_out}"));
        } else {
            answer
                .errors
                .push(format!("idleness not judged, metrics {timed_out}"));
        }
    }
}

/// `timed out after 10 s`, or in ms when the timeout is not whole seconds.
fn timed_out(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 {
        format!("timed out after {} s", timeout.as_secs())
    } else {
        format!("timed out after {} ms", timeout.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::sim::{SimProvider, SimSettings, system_clock};
    use crate::domain::model::CloudKind;

    fn sim(instances: usize, latency_ms: u64) -> Built {
        let settings = SimSettings {
            instances,
            latency_ms,
            ..SimSettings::default()
        };
        let p = SimProvider::new(CloudKind::Aws, "sim", "eu-west-1", settings, system_clock());
        let endpoint = Endpoint {
            cloud: "sim".into(),
            label: p.label(),
            kind: CloudKind::Aws,
            region: "eu-west-1".into(),
            simulated: true,
        };
        Built {
            endpoint,
            provider: std::sync::Arc::new(p),
        }
    }

    #[tokio::test]
    async fn asks_the_simulator_and_times_out() {
        let answers = ask_all(
            vec![sim(4, 0), sim(4, 5_000)],
            Ask::Check,
            Duration::from_millis(300),
            &CostConfig::default(),
        )
        .await;
        assert_eq!(answers[0].instances.len(), 4);
        assert!(answers[0].errors.is_empty(), "{:?}", answers[0].errors);
        assert!(
            !answers[0].metrics.is_empty(),
            "days-old instances get metrics"
        );
        assert!(!answers[0].addresses.is_empty(), "the simulator's pool");
        assert_eq!(answers[1].errors, ["timed out after 300 ms"]);
        assert!(answers[1].instances.is_empty());
    }

    #[tokio::test]
    async fn list_asks_instances_only() {
        let answers = ask_all(
            vec![sim(3, 0)],
            Ask::List,
            Duration::from_secs(5),
            &CostConfig::default(),
        )
        .await;
        assert_eq!(answers[0].instances.len(), 3);
        assert!(answers[0].addresses.is_empty());
        assert!(answers[0].metrics.is_empty());
        assert!(answers[0].errors.is_empty() && answers[0].notes.is_empty());
    }

    #[test]
    fn a_timeout_names_the_step_it_cut_off() {
        let check = Plan {
            volumes: true,
            addresses: true,
            metrics: None,
        };
        let mut taken = Taken::default();
        taken.timed_out(&check, "timed out after 1 s");
        assert_eq!(taken.answer.errors, ["timed out after 1 s"]);

        let mut taken = Taken::default();
        taken.take(Fetched::Instances(Ok(Vec::new())));
        taken.timed_out(&check, "timed out after 1 s");
        assert_eq!(taken.answer.errors, ["volumes: timed out after 1 s"]);

        let mut taken = Taken::default();
        taken.take(Fetched::Instances(Ok(Vec::new())));
        taken.take(Fetched::Volumes(Ok(Vec::new())));
        taken.timed_out(&check, "timed out after 1 s");
        assert_eq!(
            taken.answer.errors,
            ["public addresses: timed out after 1 s"]
        );

        let mut taken = Taken::default();
        taken.take(Fetched::Instances(Ok(Vec::new())));
        taken.take(Fetched::Volumes(Ok(Vec::new())));
        taken.take(Fetched::Addresses(Ok(Vec::new())));
        taken.timed_out(&check, "timed out after 1 s");
        // Metrics that did not come in time leave idleness unjudged: the
        // answer is incomplete like any other part that was not answered.
        assert!(taken.answer.notes.is_empty());
        assert_eq!(
            taken.answer.errors,
            ["idleness not judged, metrics timed out after 1 s"]
        );
        assert_eq!(timed_out(Duration::from_secs(10)), "timed out after 10 s");
        assert_eq!(
            timed_out(Duration::from_millis(1500)),
            "timed out after 1500 ms"
        );
    }

    #[test]
    fn errors_and_notes_keep_their_words() {
        use crate::cloud::CloudError;
        let mut taken = Taken::default();
        taken.take(Fetched::Instances(Err(CloudError::new(
            "500",
            "Nova is down",
        ))));
        taken.take(Fetched::Volumes(Err(CloudError::message("denied"))));
        taken.take(Fetched::Addresses(Err(CloudError::message("refused"))));
        taken.take(Fetched::Metrics(Err(CloudError::new("AccessDenied", "no"))));
        assert_eq!(
            taken.answer.errors,
            [
                "500: Nova is down",
                "volumes: denied",
                "public addresses: refused",
                "idleness not judged, no metrics: AccessDenied: no"
            ]
        );
        assert!(taken.answer.notes.is_empty());
    }

    #[test]
    fn a_cloud_without_a_metrics_service_is_a_note() {
        use crate::cloud::CloudError;
        use crate::cloud::openstack::NO_METRICS_SERVICE;
        let mut taken = Taken::default();
        taken.take(Fetched::Metrics(Err(CloudError::new(
            NO_METRICS_SERVICE,
            "no metrics service",
        ))));
        assert!(taken.answer.errors.is_empty());
        assert_eq!(
            taken.answer.notes,
            ["idleness not judged: no metrics service"]
        );
    }
}
