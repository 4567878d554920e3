//! The provider trait that hides each cloud from the rest of hytop.

pub mod aws;
pub mod endpoints;
pub mod facts;
pub mod fetch;
pub mod image_names;
pub mod launch;
pub mod openstack;
pub mod probe;
pub mod sim;
pub mod unavailable;
pub mod worker;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::model::{
    CloudKind, ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, LaunchSpec, PublicAddress,
    Volume,
};

/// An error a cloud answered with, or could not be reached with. It is shown
/// on screen, so it must never carry a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", code_prefix(.code))]
pub struct CloudError {
    /// The cloud's own error code (`UnauthorizedOperation`, `409`, ...), when it gave one.
    pub code: Option<String>,
    pub message: String,
}

/// `CODE: ` before the message, when the cloud gave a code.
fn code_prefix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!("{c}: ")).unwrap_or_default()
}

impl CloudError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CloudError {
            code: Some(code.into()),
            message: message.into(),
        }
    }

    pub fn message(message: impl Into<String>) -> Self {
        CloudError {
            code: None,
            message: message.into(),
        }
    }

    /// The cloud asked us to slow down: an AWS throttling code
    /// (`RequestLimitExceeded`, `Throttling`, ...), or HTTP 429 / 503 (a
    /// proxy or service shedding load, OpenStack's codes are the status):
    /// asking again at once only prolongs it.
    pub fn is_throttled(&self) -> bool {
        self.code.as_deref().is_some_and(|c| {
            aws::is_throttling_code(c)
                || ["429", "503"]
                    .iter()
                    .any(|s| c == *s || c.starts_with(&format!("{s} ")))
        })
    }
}

pub type CloudResult<T> = Result<T, CloudError>;

/// reqwest is built without a crypto provider of its own: every client of
/// hytop's uses the ring provider the AWS SDK already links in. Call before
/// building a `reqwest::Client`; more calls are harmless.
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The last `lines` lines of a console log.
pub fn tail_lines(text: &str, lines: u32) -> String {
    let all: Vec<&str> = text.lines().collect();
    let from = all.len().saturating_sub(lines as usize);
    all[from..].join("\n")
}

/// How fine the answer to a [`MetricsQuery`] must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Resolution {
    /// CPU and NetworkIn at the finest period that fits a sparkline: for the
    /// instance whose detail pane is shown.
    #[default]
    Series,
    /// Only CPU, in as few points as the backend allows over the window
    /// (CloudWatch: one period over the whole window; Gnocchi: the coarsest
    /// granularity not longer than it): enough for the idle rule, cheap for
    /// a fleet of thousands.
    Summary,
}

/// Which metrics to fetch and over which window.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsQuery {
    pub instance_ids: Vec<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub resolution: Resolution,
}

impl MetricsQuery {
    /// Full series of `instance_ids` over the `window` that ends now.
    pub fn series(instance_ids: Vec<String>, end: DateTime<Utc>, window: chrono::Duration) -> Self {
        MetricsQuery {
            instance_ids,
            start: end - window,
            end,
            resolution: Resolution::Series,
        }
    }

    /// The CPU summary of `instance_ids` over the `window` that ends now.
    pub fn summary(
        instance_ids: Vec<String>,
        end: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Self {
        MetricsQuery {
            resolution: Resolution::Summary,
            ..MetricsQuery::series(instance_ids, end, window)
        }
    }
}

/// A change of an instance's power state (issue 11's lifecycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerAction {
    /// AWS `StopInstances`, Nova `os-stop`.
    Stop,
    /// AWS `StartInstances`, Nova `os-start`.
    Start,
    /// AWS `RebootInstances`, Nova `reboot` `SOFT`.
    Reboot,
    /// Nova `reboot` `HARD`; AWS has no hard reboot (stop + start is not one).
    HardReboot,
    /// Nova `shelve`; AWS has none.
    Shelve,
    /// Nova `unshelve`; AWS has none.
    Unshelve,
}

impl PowerAction {
    pub const ALL: [PowerAction; 6] = [
        PowerAction::Stop,
        PowerAction::Start,
        PowerAction::Reboot,
        PowerAction::HardReboot,
        PowerAction::Shelve,
        PowerAction::Unshelve,
    ];

    /// The command's name: `stop`, `start`, `reboot`, `hard_reboot`,
    /// `shelve`, `unshelve`.
    pub fn name(self) -> &'static str {
        match self {
            PowerAction::Stop => "stop",
            PowerAction::Start => "start",
            PowerAction::Reboot => "reboot",
            PowerAction::HardReboot => "hard_reboot",
            PowerAction::Shelve => "shelve",
            PowerAction::Unshelve => "unshelve",
        }
    }
}

/// What a [`PowerAction`] did to one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerOutcome {
    pub instance_id: String,
    pub result: CloudResult<()>,
}

impl PowerOutcome {
    /// The same outcome for every id: a call answered (or refused) whole.
    pub fn for_all(instance_ids: &[String], result: &CloudResult<()>) -> Vec<PowerOutcome> {
        instance_ids
            .iter()
            .map(|id| PowerOutcome {
                instance_id: id.clone(),
                result: result.clone(),
            })
            .collect()
    }
}

/// What an attach did, so the user learns whether an address was reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedAddress {
    pub ip: String,
    pub reused: bool,
}

/// The regions an endpoint's account or cloud can be asked in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Regions {
    /// Sorted, without duplicates: AWS the regions enabled for the profile
    /// (`DescribeRegions`), OpenStack the catalog's compute regions.
    pub all: Vec<String>,
    /// The region this endpoint itself asks (for an OpenStack cloud
    /// configured without one, the region its catalog lookups land in).
    pub this: Option<String>,
}

/// One cloud account in one region (AWS), or one OpenStack cloud.
///
/// Implementations own their clients; they are called from a worker task,
/// never from the UI loop, and may be slow.
#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> CloudKind;

    /// Human name of this endpoint, e.g. `default/eu-west-1` or `lab`.
    fn label(&self) -> String;

    /// The shortest time after which new datapoints can exist; the worker
    /// does not ask for metrics more often.
    fn metrics_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60)
    }

    /// The same for summaries over `window`, which may be asked at a
    /// coarser granularity.
    fn summary_interval(&self, window: chrono::Duration) -> std::time::Duration {
        let _ = window;
        self.metrics_interval()
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>>;

    /// Metrics for many instances at once; instances without data are absent
    /// or have empty series.
    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>>;

    /// Launches and returns the new instance ids.
    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>>;

    async fn terminate(&self, instance_ids: &[String]) -> CloudResult<()>;

    /// Stops, starts, reboots, shelves or unshelves instances; one outcome
    /// per id, in the order given, so one refusal never hides the others.
    /// An action the cloud does not have is refused for every id with a
    /// sentence saying so (e.g. shelve on AWS).
    async fn power(&self, instance_ids: &[String], action: PowerAction) -> Vec<PowerOutcome>;

    /// Attaches a public address: reuses a free one of this cloud, else allocates.
    async fn attach_public_ip(&self, instance_id: &str) -> CloudResult<AttachedAddress>;

    /// Detaches the public address of the instance, keeping it allocated.
    async fn detach_public_ip(&self, instance_id: &str) -> CloudResult<String>;

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>>;

    async fn release_address(&self, address_id: &str) -> CloudResult<()>;

    /// Every volume of this endpoint, attached or not, in one listing (never
    /// one call per instance); empty where the cloud has no block storage.
    async fn list_volumes(&self) -> CloudResult<Vec<Volume>>;

    /// Deletes a volume attached to nothing.
    async fn delete_volume(&self, volume_id: &str) -> CloudResult<()>;

    /// Console output; `lines` bounds the tail where the API allows.
    async fn console_output(&self, instance_id: &str, lines: u32) -> CloudResult<ConsoleOutput>;

    async fn launch_options(&self) -> CloudResult<LaunchOptions>;

    /// Adds or overwrites tags (AWS tags, Nova metadata) of one instance,
    /// keeping the others.
    async fn set_tags(&self, instance_id: &str, tags: &BTreeMap<String, String>)
    -> CloudResult<()>;

    /// What the cloud can tell the doctor about `instance` (as listed).
    async fn facts(&self, instance: &Instance, kind: facts::FactKind) -> CloudResult<facts::Facts>;

    /// Every region this endpoint's account or cloud can be asked in, for
    /// the sweep (`--all-regions`, `:sweep`) and the `:region` picker.
    async fn regions(&self) -> CloudResult<Regions> {
        Err(CloudError::new(
            "Unsupported",
            format!("{} cannot list its regions", self.label()),
        ))
    }

    /// Probes `instance` as `plan` says: over the network for real clouds;
    /// the simulator answers itself.
    async fn probe(&self, instance: &Instance, plan: &facts::ProbePlan) -> Vec<facts::ProbeResult> {
        let _ = instance;
        probe::over_network(plan).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_the_code_then_the_message() {
        assert_eq!(CloudError::new("409", "busy").to_string(), "409: busy");
        assert_eq!(CloudError::message("down").to_string(), "down");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
        assert_eq!(tail_lines("", 5), "");
    }
}
