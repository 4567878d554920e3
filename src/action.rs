//! Everything that can happen to the app: user input, timer ticks and cloud
//! answers are all values of [`Action`], handled by [`crate::app::update`].

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::command::Command;
use crate::model::{
    ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, LaunchSpec, PublicAddress,
};
use crate::provider::{AttachedAddress, CloudResult};

/// Index of a cloud endpoint (one provider + region) in the app's list.
pub type CloudId = usize;

/// Tags a request so its answer can be matched, and dropped when stale.
pub type RequestId = u64;

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved: refreshes and console polls may be due.
    Tick(DateTime<Utc>),
    /// A user intent from a key binding or the command line.
    Run(Command),
    /// A cloud worker answered.
    Response {
        cloud: CloudId,
        request: RequestId,
        response: Response,
    },
    /// A launch was refused before any request (e.g. user-data too large).
    LaunchRefused(String),
    /// The ssh child exited (the TUI is back).
    SshFinished(Result<i32, String>),
}

/// What the UI asks a cloud worker to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// List instances and addresses, then metrics if new datapoints can exist.
    Refresh {
        metrics_window_mins: u32,
    },
    Launch(LaunchSpec),
    Terminate(Vec<String>),
    AttachIp(String),
    DetachIp(String),
    ReleaseAddress(String),
    Console {
        instance_id: String,
        lines: u32,
    },
    LaunchOptions,
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
    Metrics(CloudResult<Vec<(String, InstanceMetrics)>>),
    /// The refresh is over (whatever its parts answered).
    RefreshDone,
    /// A refresh was asked while one was still running; nothing was done.
    RefreshSkipped,
    Launched(CloudResult<Vec<String>>),
    Terminated {
        ids: Vec<String>,
        result: CloudResult<()>,
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
    Console(CloudResult<ConsoleOutput>),
    LaunchOptions(CloudResult<LaunchOptions>),
    TagsSet {
        instance_id: String,
        tags: std::collections::BTreeMap<String, String>,
        result: CloudResult<()>,
    },
}
