//! What `update` asks the event loop to do; `update` itself never does I/O.

use crate::cloud::worker::{CloudId, Request, RequestId};
use crate::dashboard::ssh::SshPlan;

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
    Quit,
}
