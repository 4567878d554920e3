//! The runtime side of endpoints added and removed while hytop runs: the
//! event loop owns the workers, this builds and starts them, and runs the
//! background jobs that read local files (AWS profiles, clouds.yaml) or
//! sweep every region, answering with actions.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::cloud::endpoints::{self, Built};
use crate::cloud::openstack::clouds;
use crate::cloud::worker::{self, WorkerHandle};
use crate::dashboard::action::{Action, RequestId};
use crate::dashboard::effect::{Choice, ChoiceKind};
use crate::dashboard::model::AppState;

/// Each region of a dashboard sweep is given this long, as `hytop check`'s
/// default `--timeout`.
const SWEEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The workers, by endpoint id; `None` for an endpoint hidden while running.
#[derive(Default)]
pub struct Workers(Vec<Option<WorkerHandle>>);

impl Workers {
    pub fn get(&self, cloud: usize) -> Option<&WorkerHandle> {
        self.0.get(cloud).and_then(Option::as_ref)
    }

    /// Starts `built`'s worker under `cloud`, in a revived slot or a new one.
    pub fn start(&mut self, cloud: usize, built: Built, tx: &mpsc::UnboundedSender<Action>) {
        tracing::info!(cloud = %built.endpoint.label, id = cloud, "starting worker");
        let handle = worker::spawn(cloud, built.provider, tx.clone());
        if cloud < self.0.len() {
            self.0[cloud] = Some(handle);
        } else {
            self.0.resize_with(cloud, || None);
            self.0.push(Some(handle));
        }
    }

    /// Drops the worker of `cloud`: its task ends once its queue is empty
    /// (answers of requests in flight are dropped by the model).
    pub fn stop(&mut self, cloud: usize) {
        if let Some(slot) = self.0.get_mut(cloud) {
            *slot = None;
        }
    }
}

/// Builds the endpoints of `[[cloud]]` `cloud` (in `region`, else every
/// region it has) that are not shown, and starts their workers.
pub async fn start(
    state: &mut AppState,
    workers: &mut Workers,
    tx: &mpsc::UnboundedSender<Action>,
    cloud: &str,
    region: Option<String>,
) {
    let Some(config) = state.config.cloud(cloud).cloned() else {
        state.error(format!("no cloud {cloud} to add"));
        return;
    };
    let built = match region {
        Some(r) => vec![endpoints::for_region(&config, &r)],
        // Local files only (the profile's region, clouds.yaml).
        None => endpoints::build_cloud(&config).await,
    };
    let mut added = Vec::new();
    for b in built {
        if state
            .shown_endpoint(&b.endpoint.cloud, &b.endpoint.region)
            .is_some()
        {
            continue;
        }
        added.push(b.endpoint.label.clone());
        let id = state.add_cloud(b.endpoint.clone());
        workers.start(id, b, tx);
    }
    if added.is_empty() {
        state.info(format!("{cloud}: nothing more to show"));
    } else {
        state.info(format!("now shown: {}", added.join(", ")));
    }
}

/// Reads what a picker offers off the UI loop and answers with
/// [`Action::Choices`].
pub fn load_choices(kind: ChoiceKind, request: RequestId, tx: mpsc::UnboundedSender<Action>) {
    tokio::spawn(async move {
        let result = match kind {
            ChoiceKind::Profiles => crate::cloud::aws::profiles()
                .await
                .map(|list| {
                    list.into_iter()
                        .map(|p| Choice {
                            detail: p.region.unwrap_or_else(|| "no region set".into()),
                            name: p.name,
                        })
                        .collect()
                })
                .map_err(|e| e.to_string()),
            ChoiceKind::Clouds => tokio::task::spawn_blocking(openstack_choices)
                .await
                .unwrap_or_else(|e| Err(format!("reading clouds.yaml failed: {e}"))),
        };
        let _ = tx.send(Action::Choices { request, result });
    });
}

/// clouds.yaml's clouds and the openrc variables, with their regions.
fn openstack_choices() -> Result<Vec<Choice>, String> {
    let sources = clouds::Sources::from_process();
    let names = clouds::names(&sources).map_err(|e| e.to_string())?;
    Ok(names
        .into_iter()
        .map(|name| {
            let detail = match clouds::find(&sources, &name) {
                Ok(p) if p.regions.is_empty() => "every region of its catalog".to_string(),
                Ok(p) => p.regions.join(", "),
                Err(e) => format!("unusable: {e}"),
            };
            let detail = if name == clouds::ENV_CLOUD {
                format!("the OS_* variables of an openrc · {detail}")
            } else {
                detail
            };
            Choice { name, detail }
        })
        .collect())
}

/// Sweeps every region of `state`'s config (which names exactly the shown
/// endpoints) in the background; answers with [`Action::Swept`].
pub fn sweep(state: &AppState, request: RequestId, tx: mpsc::UnboundedSender<Action>) {
    let mut config = state.config.clone();
    // A cloud whose endpoints were all hidden shows nothing: not one to
    // build as shown (its regions would fall back to the defaults).
    config.clouds.retain(|c| {
        state
            .shown_clouds()
            .any(|id| state.clouds[id].config_name == *c.name.get_ref())
    });
    tokio::spawn(async move {
        let shown = endpoints::build(&config).await.unwrap_or_default();
        let progress_tx = tx.clone();
        let progress = move |progress| {
            let _ = progress_tx.send(Action::SweepProgress { request, progress });
        };
        let rules = &config.cost;
        let sweep =
            crate::report::sweep(&config, shown, None, SWEEP_TIMEOUT, rules, &progress).await;
        let _ = tx.send(Action::Swept {
            request,
            sweep: Box::new(sweep),
        });
    });
}
