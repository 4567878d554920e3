//! "Why can't I reach my VM?": every reason, checked at once. Each
//! [`Check`] asks its cloud (through [`Provider::facts`], the console, a
//! probe) and the local machine (key files, `known_hosts`), and answers one
//! [`Finding`]: ✓ / ✗ / ? with a line of reason and the fix. The dashboard's
//! doctor popup runs them on the cloud's worker and fills in as they come;
//! `hytop doctor` runs the same functions headless.
//!
//! - [`state`], [`address`], [`security`]: what the cloud says;
//! - [`key`], [`login`], [`hosts`]: what ssh needs here;
//! - [`bootlog`]: what the console says went wrong;
//! - [`probe`]: a TCP connect and an HTTP GET, only when asked.

pub mod address;
pub mod bootlog;
pub mod hosts;
pub mod key;
pub mod login;
pub mod probe;
pub mod security;
pub mod state;

use std::path::PathBuf;

use serde::Serialize;

use crate::cloud::Provider;
use crate::config::{CloudConfig, Config};
use crate::domain::model::{CloudKind, Instance};
use crate::domain::tags::TEMPLATE_TAG;

/// One thing the doctor checks, in the order it shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    State,
    Address,
    SecurityGroups,
    Key,
    LoginUser,
    HostKey,
    BootLog,
    /// Only on request: it opens connections to the instance.
    Probe,
}

impl Check {
    /// Every check but the probe: what opening the doctor runs.
    pub const AT_ONCE: [Check; 7] = [
        Check::State,
        Check::Address,
        Check::SecurityGroups,
        Check::Key,
        Check::LoginUser,
        Check::HostKey,
        Check::BootLog,
    ];

    /// `state`, `address`, `security groups`, ...
    pub fn title(self) -> &'static str {
        match self {
            Check::State => "state",
            Check::Address => "address",
            Check::SecurityGroups => "security groups",
            Check::Key => "key",
            Check::LoginUser => "login user",
            Check::HostKey => "host key",
            Check::BootLog => "boot log",
            Check::Probe => "probe",
        }
    }
}

/// ✓, ✗ or ?.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// The cloud gives too little to decide (or the check could not run);
    /// not a failure.
    Unknown,
}

impl Verdict {
    pub fn symbol(self) -> &'static str {
        match self {
            Verdict::Pass => "✓",
            Verdict::Fail => "✗",
            Verdict::Unknown => "?",
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub check: Check,
    pub verdict: Verdict,
    /// One line: why.
    pub reason: String,
    /// What to do about it (a key, a command with the real ids), if anything.
    pub fix: Option<String>,
    /// Lines to show under it (the boot log's errors, one probe per line).
    pub lines: Vec<String>,
    /// The console line the first of `lines` is on (the boot log), so `l`
    /// can open the console there.
    pub console_line: Option<usize>,
    /// What the check settled on, for ssh to use: the login user.
    pub value: Option<String>,
    /// The cloud could not be asked (an API error): `hytop doctor` exits 2.
    #[serde(skip)]
    pub unasked: bool,
}

impl Finding {
    pub fn new(check: Check, verdict: Verdict, reason: impl Into<String>) -> Finding {
        Finding {
            check,
            verdict,
            reason: reason.into(),
            fix: None,
            lines: Vec::new(),
            console_line: None,
            value: None,
            unasked: false,
        }
    }

    pub fn pass(check: Check, reason: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Pass, reason)
    }

    pub fn fail(check: Check, reason: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Fail, reason)
    }

    pub fn unknown(check: Check, reason: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Unknown, reason)
    }

    /// The cloud's error when asking it: a `?`, and exit 2 headless.
    pub fn unasked(check: Check, error: &crate::cloud::CloudError) -> Finding {
        Finding {
            unasked: true,
            ..Finding::unknown(check, format!("could not ask the cloud: {error}"))
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Finding {
        self.value = Some(value.into());
        self
    }
}

/// What the checks know besides the cloud: the instance as listed, how
/// hytop would ssh into it, and the template's service.
#[derive(Debug, Clone, PartialEq)]
pub struct DoctorContext {
    pub instance: Instance,
    /// `demo-aws/eu-west-1`: named in fixes.
    pub cloud_label: String,
    /// The login user the template or the cloud's config names, if any
    /// (else the image's, else the course default).
    pub login_user: Option<String>,
    /// The key file the template, the cloud or `[ssh]` names, if any.
    pub identity_file: Option<PathBuf>,
    /// The course defaults: `ec2-user` (AWS), `cloud` (OpenStack).
    pub default_user: String,
    /// Ports besides 22 the service needs (the template's `service_ports`).
    pub service_ports: Vec<u16>,
    /// The template's `health_url`, `{ip}` not yet filled in.
    pub health_url: Option<String>,
    /// Where `~` is (the key files, `known_hosts`).
    pub home: Option<PathBuf>,
    /// Lines of console output asked for.
    pub console_lines: u32,
    /// How long a probe waits for each answer.
    pub probe_timeout: std::time::Duration,
}

/// How long a probe waits for each connect and the GET.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

impl DoctorContext {
    /// What the config says about `inst`: its launching template (by its
    /// `hytop:template` tag), else its cloud's, else the `[ssh]` defaults.
    pub fn new(
        config: &Config,
        cloud: Option<&CloudConfig>,
        inst: &Instance,
        cloud_label: &str,
    ) -> DoctorContext {
        let template = inst
            .tags
            .get(TEMPLATE_TAG)
            .and_then(|name| config.templates.iter().find(|t| &t.name == name));
        DoctorContext {
            instance: inst.clone(),
            cloud_label: cloud_label.to_string(),
            login_user: template
                .and_then(|t| t.login_user.clone())
                .or_else(|| cloud.and_then(|c| c.ssh_user.clone())),
            identity_file: template
                .and_then(|t| t.identity_file.clone())
                .or_else(|| cloud.and_then(|c| c.identity_file.clone()))
                .or_else(|| config.ssh.identity_file.clone()),
            default_user: match inst.kind {
                CloudKind::Aws => config.ssh.aws_user.clone(),
                CloudKind::OpenStack => config.ssh.openstack_user.clone(),
            },
            service_ports: template
                .map(|t| t.service_ports.clone())
                .unwrap_or_default(),
            health_url: template.and_then(|t| t.health_url.clone()),
            home: std::env::var_os("HOME").map(PathBuf::from),
            console_lines: config.console_lines,
            probe_timeout: PROBE_TIMEOUT,
        }
    }

    /// `path` with a leading `~/` in [`DoctorContext::home`].
    pub fn expand(&self, path: &std::path::Path) -> PathBuf {
        match (path.strip_prefix("~"), &self.home) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ => path.to_path_buf(),
        }
    }

    /// 22 and the service ports, each once, in order.
    pub fn ports(&self) -> Vec<u16> {
        let mut ports = vec![22];
        for p in &self.service_ports {
            if !ports.contains(p) {
                ports.push(*p);
            }
        }
        ports
    }
}

/// Runs one check against `provider`.
pub async fn run(provider: &dyn Provider, ctx: &DoctorContext, check: Check) -> Finding {
    match check {
        Check::State => state::check(provider, ctx).await,
        Check::Address => address::check(provider, ctx).await,
        Check::SecurityGroups => security::check(provider, ctx).await,
        Check::Key => key::check(provider, ctx).await,
        Check::LoginUser => login::check(provider, ctx).await,
        Check::HostKey => hosts::check(ctx).await,
        Check::BootLog => bootlog::check(provider, ctx).await,
        Check::Probe => probe::check(provider, ctx).await,
    }
}

/// `hytop doctor`'s exit status: 2 when a cloud could not be asked, 1 when
/// a check failed, else 0 (a `?` is not a failure).
pub fn exit_code(findings: &[Finding]) -> i32 {
    if findings.iter().any(|f| f.unasked) {
        2
    } else if findings.iter().any(|f| f.verdict == Verdict::Fail) {
        1
    } else {
        0
    }
}
