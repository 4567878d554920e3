//! What the simulated clouds tell the doctor, and their answers to probes —
//! made up from the world, never from the network. Most instances are
//! reachable; one keeps port 22 closed by its only security group, one
//! failed its user-data script (its console says so, and its service does
//! not answer).

use chrono::{DateTime, Utc};

use super::dialect::{Dialect, image_label};
use super::hash::fnv1a;
use super::world::{Phase, SimInstance, World};
use crate::cloud::CloudResult;
use crate::cloud::facts::{
    FactKind, Facts, ImageFacts, IngressRule, KeyPairFacts, NetworkFacts, ProbePlan, ProbeResult,
    Protocol, SecurityGroup, Source, StatusFacts,
};
use crate::domain::model::CloudKind;

/// The simulated key pair's public key: the test key of
/// tests/support/keys (its private half opens nothing but the simulator's
/// doctor check).
const SIM_PUBLIC_KEY: &str = include_str!("../../../assets/demo-lab-key.pub");

/// The port the course service listens on.
const SERVICE_PORT: u16 = 8080;

pub(super) fn facts(
    world: &World,
    inst: &SimInstance,
    now: DateTime<Utc>,
    kind: FactKind,
) -> CloudResult<Facts> {
    let dialect = world.dialect;
    Ok(match kind {
        FactKind::Status => Facts::Status(status(dialect, world.phase(inst, now))),
        FactKind::SecurityGroups => Facts::SecurityGroups(groups(dialect, inst)),
        FactKind::Network => Facts::Network(match dialect.kind() {
            CloudKind::OpenStack => NetworkFacts {
                networks: vec!["lab-net".into()],
                routed_out: vec![("lab-router".into(), "public".into())],
                without_gateway: Vec::new(),
            },
            CloudKind::Aws => NetworkFacts::default(),
        }),
        FactKind::KeyPair => Facts::KeyPair(inst.key_name.as_ref().map(|name| KeyPairFacts {
            name: name.clone(),
            public_key: Some(SIM_PUBLIC_KEY.trim().into()),
            fingerprint: None,
        })),
        FactKind::Image => Facts::Image(Some(image(dialect, &inst.image))),
    })
}

fn status(dialect: Dialect, phase: Phase) -> StatusFacts {
    match dialect.kind() {
        CloudKind::Aws => {
            let word = match phase {
                Phase::Running | Phase::Rebooting { .. } => Some("ok"),
                Phase::Pending => Some("initializing"),
                _ => None,
            };
            StatusFacts {
                system: word.map(str::to_string),
                instance: word.map(str::to_string),
                ..StatusFacts::default()
            }
        }
        CloudKind::OpenStack => StatusFacts {
            task_state: match phase {
                Phase::Stopping => Some("powering-off".into()),
                Phase::Rebooting { hard: false } => Some("rebooting".into()),
                Phase::Rebooting { hard: true } => Some("rebooting_hard".into()),
                Phase::ShuttingDown => Some("deleting".into()),
                _ => None,
            },
            fault: (phase == Phase::Failed).then(|| {
                "No valid host was found. There are not enough hosts available. (500)".into()
            }),
            ..StatusFacts::default()
        },
    }
}

/// `lab-ssh` (22 and the service port from anywhere) for most; only
/// `default` (members of itself) for the one with port 22 closed.
fn groups(dialect: Dialect, inst: &SimInstance) -> Vec<SecurityGroup> {
    let id = |name: &str| match dialect.kind() {
        CloudKind::Aws => format!("sg-0{:016x}", fnv1a(name.as_bytes())),
        CloudKind::OpenStack => {
            let h = fnv1a(name.as_bytes());
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                h >> 32,
                h & 0xffff,
                (h >> 16) & 0xfff,
                (h >> 4) & 0xfff,
                h & 0xffff_ffff_ffff
            )
        }
    };
    let default_id = id("default");
    let default = SecurityGroup {
        id: default_id.clone(),
        name: "default".into(),
        ingress: vec![IngressRule {
            protocol: None,
            ports: None,
            source: Source::Group(default_id),
            rule_id: None,
        }],
    };
    if inst.ssh_closed {
        return vec![default];
    }
    let open = |port: u16| IngressRule {
        protocol: Some(Protocol::Tcp),
        ports: Some((port, port)),
        source: Source::Cidr("0.0.0.0/0".into()),
        rule_id: None,
    };
    vec![
        default,
        SecurityGroup {
            id: id("lab-ssh"),
            name: "lab-ssh".into(),
            ingress: vec![open(22), open(SERVICE_PORT)],
        },
    ]
}

fn image(dialect: Dialect, id: &str) -> ImageFacts {
    let label = image_label(id);
    let distro = label.split_whitespace().next().unwrap_or("").to_lowercase();
    match dialect.kind() {
        CloudKind::Aws => ImageFacts {
            id: id.into(),
            name: Some(label.to_string()),
            description: Some(format!("{label} (simulated)")),
            ..ImageFacts::default()
        },
        CloudKind::OpenStack => ImageFacts {
            id: id.into(),
            name: Some(label.to_string()),
            os_distro: (!distro.is_empty()).then_some(distro),
            ..ImageFacts::default()
        },
    }
}

/// What a probe of `inst` finds: a port answers when the instance runs and
/// its groups let it in; the health URL answers 200 unless the service
/// never started. Latencies are made up but stable.
pub(super) fn probe(
    world: &World,
    inst: &SimInstance,
    now: DateTime<Utc>,
    plan: &ProbePlan,
) -> Vec<ProbeResult> {
    let running = matches!(world.phase(inst, now), Phase::Running);
    let groups = groups(world.dialect, inst);
    let open = |port: u16| {
        running
            && matches!(
                crate::doctor::security::access(&groups, port),
                crate::doctor::security::PortAccess::Open(..)
            )
    };
    let ms = 20 + fnv1a(inst.id.as_bytes()) % 60;
    let timed_out = format!(
        "timed out after {} s (a security group or firewall drops it)",
        plan.timeout.as_secs_f64()
    );
    let mut results: Vec<ProbeResult> = plan
        .ports
        .iter()
        .map(|&port| ProbeResult::Tcp {
            port,
            result: if !open(port) {
                Err(timed_out.clone())
            } else if port == SERVICE_PORT && inst.user_data_fails {
                Err("refused (nothing listens, or a firewall rejects it)".into())
            } else {
                Ok(ms)
            },
        })
        .collect();
    if let Some(url) = &plan.health_url {
        let service = url_port(url).unwrap_or(80);
        results.push(ProbeResult::Http {
            url: url.clone(),
            result: if !open(service) {
                Err(format!("timed out after {} s", plan.timeout.as_secs_f64()))
            } else if inst.user_data_fails {
                Err("connection failed".into())
            } else {
                Ok((200, ms + 5))
            },
        });
    }
    results
}

/// The port of `http://host:port/...`.
fn url_port(url: &str) -> Option<u16> {
    let rest = url.split_once("://")?.1;
    let host = rest.split('/').next()?;
    host.rsplit_once(':')?.1.parse().ok()
}
