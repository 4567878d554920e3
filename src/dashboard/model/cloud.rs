//! One cloud endpoint as the dashboard knows it: what the header shows and
//! when it refreshes next.

use chrono::{DateTime, Utc};

use super::metrics::MetricsSchedule;
use crate::cloud::endpoints::Endpoint;
use crate::dashboard::action::RequestId;
use crate::domain::model::{CloudKind, PublicAddress, Volume};

/// One cloud endpoint as the header shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudStatus {
    /// The `[[cloud]]` name from the config.
    pub config_name: String,
    pub region: String,
    /// e.g. `demo-aws/eu-west-1`.
    pub label: String,
    pub kind: CloudKind,
    /// Copied from the [`Endpoint`] the cloud layer built: the one truth of
    /// whether a simulator answers here.
    pub simulated: bool,
    /// False once removed while running (`:region`, `:profile`,
    /// `:cloud`): hidden, not refreshed, its worker stopped.
    pub shown: bool,
    /// The refresh under way, if any.
    pub refreshing: Option<RequestId>,
    /// The newest refresh whose listing was applied; older answers are stale.
    pub applied_list: RequestId,
    pub last_ok: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub metrics_error: Option<String>,
    /// Why this cloud has no metrics at all (no metrics service), shown
    /// quietly in the detail pane rather than as an error.
    pub metrics_note: Option<String>,
    /// When the next refresh is due; `None` means now.
    pub next_refresh: Option<DateTime<Utc>>,
    /// Something changed during the refresh under way: go again right after it.
    pub again: bool,
    pub addresses: Vec<PublicAddress>,
    /// Every volume of the endpoint, attached or not, as last listed; the
    /// attached ones are joined into their instances.
    pub volumes: Vec<Volume>,
    /// When the refresh under way (or the last) answered its listing: the
    /// next one is due an interval after it, so the table is never older
    /// than the interval plus one listing time.
    pub listed_at: Option<DateTime<Utc>>,
    /// Listings in a row the cloud throttled: each doubles the wait.
    pub throttled: u32,
    /// Its metrics requests, apart from its listings.
    pub metrics: MetricsSchedule,
    /// Hidden: how many of its instances this session launched were live
    /// when it was, so the quit reminder still names them.
    pub hidden_launches: usize,
}

impl CloudStatus {
    pub fn new(endpoint: Endpoint) -> Self {
        CloudStatus {
            config_name: endpoint.cloud,
            region: endpoint.region,
            label: endpoint.label,
            kind: endpoint.kind,
            simulated: endpoint.simulated,
            shown: true,
            refreshing: None,
            applied_list: 0,
            last_ok: None,
            error: None,
            metrics_error: None,
            metrics_note: None,
            next_refresh: None,
            again: false,
            addresses: Vec::new(),
            volumes: Vec::new(),
            listed_at: None,
            throttled: 0,
            metrics: MetricsSchedule::default(),
            hidden_launches: 0,
        }
    }
}
