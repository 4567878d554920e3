//! What `update` asks the event loop to do; `update` itself never does I/O.

use crate::cloud::worker::{CloudId, Request, RequestId};
use crate::dashboard::ssh::SshPlan;

/// What a picker read from local files offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceKind {
    /// The profiles of the shared AWS config and credentials files.
    Profiles,
    /// The clouds of clouds.yaml, and the openrc variables.
    Clouds,
}

/// One thing a picker offers: a name, and what to say beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub detail: String,
}

/// Work for the runtime; `update` itself never does I/O.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send {
        cloud: CloudId,
        id: RequestId,
        request: Request,
    },
    Ssh(SshPlan),
    /// Put these bytes (an OSC 52 copy) on the terminal as they are.
    WriteTerminal(String),
    /// Build the endpoints of `[[cloud]]` `cloud` (in `region`, else all of
    /// its regions) that are not shown, and start their workers.
    StartEndpoints {
        cloud: String,
        region: Option<String>,
    },
    /// Stop the worker of an endpoint the model has just hidden.
    StopEndpoint(CloudId),
    /// Read what a picker offers from local files (AWS profiles,
    /// clouds.yaml), off the UI loop; answered by `Action::Choices`.
    LoadChoices {
        kind: ChoiceKind,
        request: RequestId,
    },
    /// Sweep every region of the model's config in the background;
    /// answered by `Action::Swept`.
    Sweep(RequestId),
    Quit,
}
