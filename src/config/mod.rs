//! `config.toml`: refresh interval, clouds, launch templates, simulator
//! settings. The types are here; [`load`] parses and checks a file,
//! [`discovery`] chooses which config to run with, [`error`] locates every
//! problem in its file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

pub mod discovery;
pub mod error;
mod load;

pub use discovery::Dirs;

use crate::cloud::sim::SimSettings;
use crate::domain::model::CloudKind;

/// The embedded configuration of `--demo`: the simulated hybrid cloud.
pub const DEMO_CONFIG: &str = include_str!("../../assets/demo.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds between two listings of one cloud (a `[[cloud]]` may set
    /// its own).
    pub refresh_secs: u64,
    /// Minutes without a key after which refreshes slow down; 0 never.
    pub idle_pause_mins: u32,
    /// Seconds between two listings while slowed down.
    pub idle_refresh_secs: u64,
    /// How far back the sparklines reach.
    pub metrics_window_mins: u32,
    /// How many lines of console output to ask for.
    pub console_lines: u32,
    /// Seconds between console polls while the console view is open.
    pub console_poll_secs: u64,
    /// Clicks and the wheel drive the dashboard. Off by default: capturing
    /// the mouse takes plain click-and-drag text selection away from the
    /// terminal (most terminals still select with shift held).
    pub mouse: bool,
    pub ssh: SshConfig,
    /// Age, idle and price rules of cost safety.
    pub cost: crate::domain::cost::CostConfig,
    #[serde(rename = "cloud")]
    pub clouds: Vec<CloudConfig>,
    #[serde(rename = "template")]
    pub templates: Vec<Template>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            refresh_secs: 10,
            idle_pause_mins: 30,
            idle_refresh_secs: 300,
            metrics_window_mins: 60,
            console_lines: 500,
            console_poll_secs: 2,
            mouse: false,
            ssh: SshConfig::default(),
            cost: crate::domain::cost::CostConfig::default(),
            clouds: Vec::new(),
            templates: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SshConfig {
    /// The ssh program to run.
    pub program: String,
    pub aws_user: String,
    pub openstack_user: String,
    /// Used when neither the template nor the cloud names a key file.
    pub identity_file: Option<PathBuf>,
    /// Extra arguments placed before the destination, e.g. `["-o", "ServerAliveInterval=30"]`.
    pub extra_args: Vec<String>,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            program: "ssh".into(),
            aws_user: CloudKind::Aws.default_login_user().into(),
            openstack_user: CloudKind::OpenStack.default_login_user().into(),
            identity_file: None,
            extra_args: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Aws,
    OpenStack,
    Simulator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Simulate {
    Aws,
    OpenStack,
}

impl From<Simulate> for CloudKind {
    fn from(s: Simulate) -> Self {
        match s {
            Simulate::Aws => CloudKind::Aws,
            Simulate::OpenStack => CloudKind::OpenStack,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfig {
    pub name: Spanned<String>,
    pub provider: Spanned<ProviderKind>,
    /// For `provider = "simulator"`: which cloud to imitate.
    #[serde(default)]
    pub simulate: Option<Simulate>,
    /// AWS profile (default: the default profile).
    #[serde(default)]
    pub profile: Option<String>,
    /// AWS regions, or the OpenStack region; one worker each.
    #[serde(default)]
    pub regions: Vec<String>,
    /// OpenStack: the `clouds.yaml` entry to use (default: the cloud's
    /// `name`; `"envvars"` means the `OS_*` variables of an openrc file).
    #[serde(default)]
    pub os_cloud: Option<String>,
    /// OpenStack: the external network (name or id) new floating IPs come
    /// from (default: the only external network).
    #[serde(default)]
    pub floating_pool: Option<String>,
    /// This cloud's own seconds between listings (else the global one).
    #[serde(default)]
    pub refresh_secs: Option<u64>,
    #[serde(default)]
    pub ssh_user: Option<String>,
    #[serde(default)]
    pub identity_file: Option<PathBuf>,
    #[serde(default)]
    pub sim: SimSettings,
}

impl CloudConfig {
    /// A `[[cloud]]` with nothing but its name and provider set, as hytop
    /// makes one for a cloud found on the machine rather than in the file.
    pub fn plain(name: &str, provider: ProviderKind) -> CloudConfig {
        CloudConfig {
            name: Spanned::new(0..0, name.to_string()),
            provider: Spanned::new(0..0, provider),
            simulate: None,
            profile: None,
            regions: Vec::new(),
            os_cloud: None,
            floating_pool: None,
            refresh_secs: None,
            ssh_user: None,
            identity_file: None,
            sim: SimSettings::default(),
        }
    }

    /// The kind of cloud its instances belong to.
    pub fn kind(&self) -> CloudKind {
        match *self.provider.get_ref() {
            ProviderKind::Aws => CloudKind::Aws,
            ProviderKind::OpenStack => CloudKind::OpenStack,
            ProviderKind::Simulator => self.simulate.unwrap_or(Simulate::Aws).into(),
        }
    }

    /// The regions to run a worker for; at least one.
    pub fn worker_regions(&self) -> Vec<String> {
        if self.regions.is_empty() {
            match self.kind() {
                CloudKind::Aws => vec!["eu-west-1".into()],
                CloudKind::OpenStack => vec![self.name.get_ref().clone()],
            }
        } else {
            self.regions.clone()
        }
    }
}

fn default_count() -> u32 {
    1
}

/// A launch template: everything `RunInstances` / `POST /servers` needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    /// Name of a `[[cloud]]` entry.
    pub cloud: Spanned<String>,
    /// Region of that cloud (default: its first).
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    pub image: String,
    pub size: String,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// Subnet id (AWS) or network id (OpenStack).
    #[serde(default)]
    pub network: Option<String>,
    /// A file whose content becomes the user-data (at most 16 KB).
    #[serde(default)]
    pub user_data: Option<PathBuf>,
    /// Name of the new instance(s); default: the template name.
    #[serde(default)]
    pub instance_name: Option<String>,
    #[serde(default = "default_count")]
    pub count: u32,
    #[serde(default)]
    pub detailed_monitoring: bool,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub login_user: Option<String>,
    #[serde(default)]
    pub identity_file: Option<PathBuf>,
    /// Ports besides 22 the service listens on: the doctor checks the
    /// security groups let them in, and probes them.
    #[serde(default)]
    pub service_ports: Vec<u16>,
    /// A URL the doctor's probe GETs (`{ip}` is the instance's address),
    /// e.g. `http://{ip}:8080/tweetservice`.
    #[serde(default)]
    pub health_url: Option<String>,
}

pub use error::{Located, line_of, line_text, looks_secret, without_quoted};

/// A config problem, located in its file.
pub type ConfigError = Located;

impl Config {
    pub fn cloud(&self, name: &str) -> Option<&CloudConfig> {
        self.clouds.iter().find(|c| c.name.get_ref() == name)
    }
}
