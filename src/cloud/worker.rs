//! Cloud workers: one task per cloud endpoint owns its provider, takes
//! requests over a channel and answers with [`Answer`]s, which the
//! dashboard turns into its own actions (`T: From<Answer>`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use crate::cloud::fetch::{Fetched, Plan, fetch};
use crate::cloud::launch::LaunchDraft;
use crate::cloud::{
    AttachedAddress, CloudResult, MetricsQuery, PowerAction, PowerOutcome, Provider, Resolution,
};
use crate::domain::model::{
    ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, PublicAddress, Volume,
};

/// Index of a cloud endpoint (one provider + region) in the app's list.
pub type CloudId = usize;

/// Tags a request so its answer can be matched, and dropped when stale.
pub type RequestId = u64;

/// One answer of a worker, tagged with the endpoint and the request.
#[derive(Debug)]
pub struct Answer {
    pub cloud: CloudId,
    pub request: RequestId,
    pub response: Response,
}

/// What the UI asks a cloud worker to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// List instances, then volumes and addresses. One at a time: a refresh asked while
    /// one runs is skipped.
    Refresh,
    /// Metrics of some instances. The dashboard bounds how many run at once
    /// and never waits for them before listing again.
    Metrics(MetricsQuery),
    /// Prepared (user-data read, checked) by the worker, never on the UI loop.
    Launch(Box<LaunchDraft>),
    Terminate(Vec<String>),
    /// Stop, start, reboot, shelve or unshelve these instances.
    Power {
        ids: Vec<String>,
        action: PowerAction,
    },
    AttachIp(String),
    DetachIp(String),
    ReleaseAddress(String),
    DeleteVolume(String),
    Console {
        instance_id: String,
        lines: u32,
    },
    LaunchOptions,
    /// Every region of the endpoint's account or cloud (the `:region` picker).
    Regions,
    /// One check of the doctor for one instance.
    Doctor {
        context: Box<crate::doctor::DoctorContext>,
        check: crate::doctor::Check,
    },
    /// Add or overwrite tags of one instance (e.g. a later `hytop:expires`).
    SetTags {
        instance_id: String,
        tags: std::collections::BTreeMap<String, String>,
    },
}

/// A worker's answer to one [`Request`]; a refresh yields several.
#[derive(Debug)]
pub enum Response {
    Instances(CloudResult<Vec<Instance>>),
    Addresses(CloudResult<Vec<PublicAddress>>),
    /// Every volume of the endpoint, attached or not.
    Volumes(CloudResult<Vec<Volume>>),
    Metrics {
        resolution: Resolution,
        /// The instances asked for (the answer may leave some out).
        asked: Vec<String>,
        result: CloudResult<Vec<(String, InstanceMetrics)>>,
        /// No new datapoint can exist sooner.
        interval: std::time::Duration,
    },
    /// The refresh is over (whatever its parts answered).
    RefreshDone,
    /// A refresh was asked while one was still running; nothing was done.
    RefreshSkipped,
    Launched(CloudResult<Vec<String>>),
    /// The launch was refused before any request (e.g. user-data too large).
    LaunchRefused(String),
    Terminated {
        ids: Vec<String>,
        result: CloudResult<()>,
    },
    /// One outcome per id asked.
    Powered {
        action: PowerAction,
        outcomes: Vec<PowerOutcome>,
    },
    IpAttached {
        instance_id: String,
        result: CloudResult<AttachedAddress>,
    },
    IpDetached {
        instance_id: String,
        result: CloudResult<String>,
    },
    AddressReleased {
        address_id: String,
        result: CloudResult<()>,
    },
    VolumeDeleted {
        volume_id: String,
        result: CloudResult<()>,
    },
    Console(CloudResult<ConsoleOutput>),
    LaunchOptions(CloudResult<LaunchOptions>),
    Regions(CloudResult<crate::cloud::Regions>),
    TagsSet {
        instance_id: String,
        tags: std::collections::BTreeMap<String, String>,
        result: CloudResult<()>,
    },
    /// One finding of the doctor.
    Doctor {
        instance_id: String,
        finding: crate::doctor::Finding,
    },
}

/// The UI side of a worker: sending never blocks.
#[derive(Debug, Clone)]
pub struct WorkerHandle {
    pub cloud: CloudId,
    tx: mpsc::UnboundedSender<(RequestId, Request)>,
}

impl WorkerHandle {
    /// Queues a request; false if the worker is gone.
    pub fn send(&self, id: RequestId, request: Request) -> bool {
        self.tx.send((id, request)).is_ok()
    }
}

/// Starts the worker task for one cloud endpoint.
pub fn spawn<T: From<Answer> + Send + 'static>(
    cloud: CloudId,
    provider: Arc<dyn Provider>,
    actions: mpsc::UnboundedSender<T>,
) -> WorkerHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(cloud, provider, rx, actions));
    WorkerHandle { cloud, tx }
}

struct Shared<T> {
    cloud: CloudId,
    provider: Arc<dyn Provider>,
    actions: mpsc::UnboundedSender<T>,
    refreshing: AtomicBool,
}

impl<T: From<Answer> + Send + 'static> Shared<T> {
    fn answer(&self, request: RequestId, response: Response) {
        // The UI may have quit; nobody is left to tell.
        let _ = self.actions.send(T::from(Answer {
            cloud: self.cloud,
            request,
            response,
        }));
    }
}

async fn run<T: From<Answer> + Send + 'static>(
    cloud: CloudId,
    provider: Arc<dyn Provider>,
    mut rx: mpsc::UnboundedReceiver<(RequestId, Request)>,
    actions: mpsc::UnboundedSender<T>,
) {
    let shared = Arc::new(Shared {
        cloud,
        provider,
        actions,
        refreshing: AtomicBool::new(false),
    });
    while let Some((id, request)) = rx.recv().await {
        if matches!(request, Request::Refresh) && shared.refreshing.swap(true, Ordering::AcqRel) {
            shared.answer(id, Response::RefreshSkipped);
            continue;
        }
        // Each request runs on its own so a slow listing never delays a terminate.
        let shared = Arc::clone(&shared);
        tokio::spawn(async move { handle(&shared, id, request).await });
    }
}

/// Ends a refresh however it ends (even by a panic in a provider), so the
/// cloud never stays "refreshing" forever.
struct RefreshDone<'a, T: From<Answer> + Send + 'static> {
    shared: &'a Shared<T>,
    id: RequestId,
}

impl<T: From<Answer> + Send + 'static> Drop for RefreshDone<'_, T> {
    fn drop(&mut self) {
        self.shared.refreshing.store(false, Ordering::Release);
        self.shared.answer(self.id, Response::RefreshDone);
    }
}

async fn handle<T: From<Answer> + Send + 'static>(
    shared: &Shared<T>,
    id: RequestId,
    request: Request,
) {
    let provider = &shared.provider;
    match request {
        Request::Refresh => {
            let _done = RefreshDone { shared, id };
            refresh(shared, id).await;
        }
        Request::Metrics(query) => {
            let result = provider.metrics(&query).await;
            let interval = match query.resolution {
                Resolution::Series => provider.metrics_interval(),
                Resolution::Summary => provider.summary_interval(query.end - query.start),
            };
            shared.answer(
                id,
                Response::Metrics {
                    resolution: query.resolution,
                    asked: query.instance_ids,
                    result,
                    interval,
                },
            );
        }
        Request::Launch(draft) => {
            // Reading the user-data file may block: not on the runtime's threads.
            let prepared =
                tokio::task::spawn_blocking(move || crate::cloud::launch::prepare(&draft)).await;
            let spec = match prepared {
                Ok(Ok(spec)) => spec,
                Ok(Err(msg)) => {
                    tracing::info!("launch refused: {msg}");
                    shared.answer(id, Response::LaunchRefused(msg));
                    return;
                }
                Err(e) => {
                    shared.answer(
                        id,
                        Response::LaunchRefused(format!("launch preparation failed: {e}")),
                    );
                    return;
                }
            };
            tracing::info!(cloud = %provider.label(), name = %spec.name, count = spec.count, "launch");
            let result = provider.launch(&spec).await;
            shared.answer(id, Response::Launched(result));
        }
        Request::Terminate(ids) => {
            tracing::info!(cloud = %provider.label(), ?ids, "terminate");
            let result = provider.terminate(&ids).await;
            shared.answer(id, Response::Terminated { ids, result });
        }
        Request::Power { ids, action } => {
            tracing::info!(cloud = %provider.label(), ?ids, action = action.name(), "power");
            let outcomes = provider.power(&ids, action).await;
            shared.answer(id, Response::Powered { action, outcomes });
        }
        Request::AttachIp(instance_id) => {
            let result = provider.attach_public_ip(&instance_id).await;
            shared.answer(
                id,
                Response::IpAttached {
                    instance_id,
                    result,
                },
            );
        }
        Request::DetachIp(instance_id) => {
            let result = provider.detach_public_ip(&instance_id).await;
            shared.answer(
                id,
                Response::IpDetached {
                    instance_id,
                    result,
                },
            );
        }
        Request::ReleaseAddress(address_id) => {
            let result = provider.release_address(&address_id).await;
            shared.answer(id, Response::AddressReleased { address_id, result });
        }
        Request::DeleteVolume(volume_id) => {
            tracing::info!(cloud = %provider.label(), %volume_id, "delete volume");
            let result = provider.delete_volume(&volume_id).await;
            shared.answer(id, Response::VolumeDeleted { volume_id, result });
        }
        Request::Console { instance_id, lines } => {
            let result = provider.console_output(&instance_id, lines).await;
            shared.answer(id, Response::Console(result));
        }
        Request::LaunchOptions => {
            let result = provider.launch_options().await;
            shared.answer(id, Response::LaunchOptions(result));
        }
        Request::Regions => {
            let result = provider.regions().await;
            shared.answer(id, Response::Regions(result));
        }
        Request::Doctor { context, check } => {
            let finding = crate::doctor::run(provider.as_ref(), &context, check).await;
            shared.answer(
                id,
                Response::Doctor {
                    instance_id: context.instance.id.clone(),
                    finding,
                },
            );
        }
        Request::SetTags { instance_id, tags } => {
            tracing::info!(cloud = %provider.label(), %instance_id, ?tags, "set tags");
            let result = provider.set_tags(&instance_id, &tags).await;
            shared.answer(
                id,
                Response::TagsSet {
                    instance_id,
                    tags,
                    result,
                },
            );
        }
    }
}

/// The dashboard's look at its cloud: instances, then volumes and addresses, each
/// answered as it comes. Metrics are asked apart ([`Request::Metrics`]).
async fn refresh<T: From<Answer> + Send + 'static>(shared: &Shared<T>, id: RequestId) {
    let plan = Plan {
        volumes: true,
        addresses: true,
        metrics: None,
    };
    fetch(shared.provider.as_ref(), &plan, |fetched| {
        let response = match fetched {
            Fetched::Instances(result) => Response::Instances(result),
            Fetched::Addresses(result) => Response::Addresses(result),
            Fetched::Volumes(result) => Response::Volumes(result),
            // Not asked by this plan.
            Fetched::Metrics(_) => return,
        };
        shared.answer(id, response);
    })
    .await;
}
