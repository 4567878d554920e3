// Fixtures for tests and benches only: a broken embedded fixture is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
//! Builders for tests and benches (not part of the app's behaviour).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::cost::CostConfig;
use crate::domain::model::{CloudKind, Instance, InstanceState};
use crate::domain::tags::{EXPIRES_TAG, NUKE_TAG};

/// A fixed "now" so ages in snapshots never change.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A running AWS instance launched two hours before [`fixed_now`].
pub fn instance(id: &str, name: &str) -> Instance {
    Instance {
        kind: CloudKind::Aws,
        account: "default".into(),
        region: "eu-west-1".into(),
        id: id.into(),
        name: name.into(),
        state: InstanceState::Running,
        raw_state: "running".into(),
        size: "t2.nano".into(),
        vcpus: None,
        memory_mb: None,
        image: "ami-0abc".into(),
        image_name: None,
        key_name: Some("lab-key".into()),
        public_ip: None,
        private_ip: None,
        launched_at: Some(fixed_now() - chrono::Duration::hours(2)),
        tags: BTreeMap::from([("Name".to_string(), name.to_string())]),
        detailed_monitoring: false,
        extra: Vec::new(),
        volumes: Vec::new(),
        state_since: None,
    }
}

/// A gp3 volume of `gb` GiB, `in-use` by `instance` (deleted with it), or
/// `available` when attached to nothing.
pub fn gp3_volume(id: &str, gb: u64, instance: Option<&str>) -> crate::domain::model::Volume {
    crate::domain::model::Volume {
        id: id.into(),
        name: None,
        size_gb: Some(gb),
        volume_type: Some("gp3".into()),
        state: if instance.is_some() {
            "in-use"
        } else {
            "available"
        }
        .into(),
        instance_id: instance.map(str::to_string),
        device: None,
        delete_on_termination: instance.map(|_| true),
    }
}

/// A running t2.nano in eu-west-1 launched `hours` before [`fixed_now`].
pub fn aged(id: &str, name: &str, hours: i64) -> Instance {
    let mut i = instance(id, name);
    i.launched_at = Some(fixed_now() - chrono::Duration::hours(hours));
    i
}

/// An hour of 1 % CPU, up to [`fixed_now`].
pub fn quiet_cpu() -> InstanceMetrics {
    InstanceMetrics {
        cpu: series(60, 60, 1.0, 0.0),
        ..InstanceMetrics::default()
    }
}

/// The flavor [`varied_fleet`]'s `s-priced` runs, priced by [`varied_rules`].
pub const PRICED_FLAVOR: &str = "m1.small";

/// Instances that exercise every judgement, each with the metrics a cloud
/// answered for it: AWS ones priced, unpriced, stopped, pending, old (and
/// idle), idle, expired, protected, without a launch time; OpenStack ones
/// holding an unpriced flavor, off, on a priced flavor ([`varied_rules`]),
/// old.
pub fn varied_fleet() -> Vec<(Instance, Option<InstanceMetrics>)> {
    let now = fixed_now();
    let mut stopped = aged("i-stopped", "off", 300);
    stopped.state = InstanceState::Stopped;
    let mut pending = aged("i-pending", "starting", 0);
    pending.state = InstanceState::Pending;
    pending.launched_at = Some(now - chrono::Duration::seconds(5));
    let mut unknown = aged("i-unknown", "odd", 3);
    unknown.size = "x9.huge".into();
    let mut expired = aged("i-expired", "done", 20);
    expired
        .tags
        .insert(EXPIRES_TAG.into(), "2026-11-21T10:00:00Z".into());
    let mut protected = aged("i-protected", "kept", 20);
    protected
        .tags
        .insert(NUKE_TAG.into(), "2026-11-23T00:00:00Z".into());
    let mut no_start = aged("i-nostart", "mystery", 1);
    no_start.launched_at = None;
    let mut priced_flavor = server("s-priced", "svc", "ACTIVE");
    priced_flavor.size = PRICED_FLAVOR.into();
    let mut old_server = server("s-old", "lab-vm", "ACTIVE");
    old_server.launched_at = Some(now - chrono::Duration::hours(50));
    vec![
        (aged("i-fresh", "web", 1), None),
        (aged("i-old", "db", 30), Some(quiet_cpu())),
        (aged("i-idle", "quiet", 2), Some(quiet_cpu())),
        (stopped, Some(quiet_cpu())),
        (pending, None),
        (unknown, None),
        (expired, None),
        (protected, None),
        (no_start, None),
        (server("s-held", "svc", "ACTIVE"), None),
        (server("s-off", "svc", "SHUTOFF"), None),
        (priced_flavor, None),
        (old_server, None),
    ]
}

/// `rules` with a price for [`PRICED_FLAVOR`], so [`varied_fleet`] has a
/// priced OpenStack server.
pub fn varied_rules(mut rules: CostConfig) -> CostConfig {
    rules.flavor_prices.insert(PRICED_FLAVOR.into(), 0.04);
    rules
}

use crate::cloud::endpoints::Endpoint;
use crate::config::Config;
use crate::dashboard::keymap::Keymap;
use crate::dashboard::model::{AppState, CloudStatus, InstanceKey};
use crate::domain::model::{InstanceMetrics, PublicAddress, Series, Volume};

/// A simulated endpoint's status.
pub fn status(cloud: &str, region: &str, label: &str, kind: CloudKind) -> CloudStatus {
    CloudStatus::new(Endpoint {
        cloud: cloud.into(),
        label: label.into(),
        kind,
        region: region.into(),
        simulated: true,
    })
}

/// Three cloud endpoints like the demo's: two AWS regions and one OpenStack cloud.
pub fn clouds() -> Vec<CloudStatus> {
    vec![
        status(
            "demo-aws",
            "eu-west-1",
            "demo-aws/eu-west-1",
            CloudKind::Aws,
        ),
        status(
            "demo-aws",
            "us-east-1",
            "demo-aws/us-east-1",
            CloudKind::Aws,
        ),
        status("lab", "lab", "lab", CloudKind::OpenStack),
    ]
}

/// An OpenStack server as the model holds it.
pub fn server(id: &str, name: &str, status: &str) -> Instance {
    let mut i = instance(id, name);
    i.kind = CloudKind::OpenStack;
    i.account = "lab".into();
    i.region = "lab".into();
    i.state = InstanceState::from_nova(status, None);
    i.raw_state = status.into();
    i.size = "m1.tiny".into();
    i.vcpus = Some(1);
    i.memory_mb = Some(512);
    i.image = "6a1e3c4f-0d0e-4b8e-9a51-2f1f0c9e7d11".into();
    i
}

/// Deterministic series: a slow wave, so snapshots show a shaped sparkline.
pub fn series(period_secs: u32, n: usize, base: f64, amplitude: f64) -> Series {
    let end = fixed_now();
    Series {
        period_secs,
        points: (0..n)
            .map(|k| {
                let t = end - chrono::Duration::seconds(i64::from(period_secs) * (n - k) as i64);
                let v = base + amplitude * ((k as f64) / 4.0).sin();
                (t, v)
            })
            .collect(),
    }
}

/// A small hybrid fleet covering every state, with metrics for the first instance.
pub fn fleet_state() -> AppState {
    // Test support: the embedded files are checked by unit tests of their own.
    let config = Config::demo().expect("embedded demo config parses");
    let keymap = Keymap::default_keymap().expect("embedded keymap parses");
    let mut state = AppState::new(config, keymap, clouds(), false, fixed_now());
    state.width = 120;
    state.height = 36;

    let mut web = instance("i-0a1b2c3d4e5f60718", "web-1");
    web.public_ip = Some("203.0.113.10".into());
    web.private_ip = Some("172.31.4.10".into());
    web.detailed_monitoring = true;
    let mut old = instance("i-0fedcba9876543210", "forgotten-db");
    old.launched_at = Some(fixed_now() - chrono::Duration::days(3) - chrono::Duration::hours(4));
    old.private_ip = Some("172.31.9.77".into());
    old.size = "t3.small".into();
    let mut pending = instance("i-0123456789abcdef0", "web-2");
    pending.state = InstanceState::Pending;
    pending.raw_state = "pending".into();
    pending.launched_at = Some(fixed_now() - chrono::Duration::seconds(12));
    let mut dying = instance("i-0aaaabbbbccccdddd", "scratch");
    dying.state = InstanceState::Stopping;
    dying.raw_state = "shutting-down".into();
    dying.private_ip = Some("172.31.1.2".into());
    state.set_instances(0, vec![web, old, pending, dying]);

    let mut east = instance("i-0eeee1111ffff2222", "batch-worker");
    east.region = "us-east-1".into();
    east.size = "t2.micro".into();
    east.private_ip = Some("172.31.20.5".into());
    let mut gone = instance("i-0dead0000beef1111", "old-batch");
    gone.region = "us-east-1".into();
    gone.state = InstanceState::Terminated;
    gone.raw_state = "terminated".into();
    state.set_instances(1, vec![east, gone]);

    let mut svc = server("3f0c6b1e-8a59-4d2b-9c1e-5b7d2e4f6a80", "service", "ACTIVE");
    svc.private_ip = Some("192.168.0.14".into());
    svc.public_ip = Some("198.51.100.23".into());
    let mut build = server("9b2d4f6a-1c3e-4a5b-8d7f-0e1a2b3c4d5e", "service-2", "BUILD");
    build.launched_at = Some(fixed_now() - chrono::Duration::seconds(40));
    let mut stopped = server(
        "c4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70",
        "experiment",
        "SHUTOFF",
    );
    stopped.private_ip = Some("192.168.0.31".into());
    // Shut off for more than a day: it still holds its flavor.
    stopped.launched_at = Some(fixed_now() - chrono::Duration::hours(50));
    stopped.state_since = Some(fixed_now() - chrono::Duration::hours(30));
    let mut broken = server("e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "broken", "ERROR");
    broken.launched_at = Some(fixed_now() - chrono::Duration::hours(26));
    state.set_instances(2, vec![svc, build, stopped, broken]);

    for (c, cloud) in state.clouds.iter_mut().enumerate() {
        cloud.last_ok = Some(fixed_now() - chrono::Duration::seconds(2 + c as i64));
        cloud.next_refresh = Some(fixed_now() + chrono::Duration::seconds(8));
    }
    state.clouds[2].addresses = vec![
        PublicAddress {
            id: "fip-1".into(),
            ip: "198.51.100.23".into(),
            instance_id: Some("3f0c6b1e-8a59-4d2b-9c1e-5b7d2e4f6a80".into()),
            pool: Some("i4labnet".into()),
        },
        PublicAddress {
            id: "fip-2".into(),
            ip: "198.51.100.40".into(),
            instance_id: None,
            pool: Some("i4labnet".into()),
        },
    ];
    let ebs = |id: &str, gb: u64, on: Option<&str>, device: &str, delete: bool| Volume {
        device: on.map(|_| device.to_string()),
        delete_on_termination: on.map(|_| delete),
        ..gp3_volume(id, gb, on)
    };
    state.set_volumes(
        0,
        vec![
            ebs(
                "vol-0a1b2c3d4e5f60001",
                8,
                Some("i-0a1b2c3d4e5f60718"),
                "/dev/xvda",
                true,
            ),
            ebs(
                "vol-0a1b2c3d4e5f60002",
                20,
                Some("i-0a1b2c3d4e5f60718"),
                "/dev/sdf",
                false,
            ),
            ebs(
                "vol-0fedcba987654fff1",
                8,
                Some("i-0fedcba9876543210"),
                "/dev/xvda",
                true,
            ),
            ebs("vol-0deadbeef00000042", 30, None, "", false),
        ],
    );
    let key = InstanceKey {
        cloud: 0,
        id: "i-0a1b2c3d4e5f60718".into(),
    };
    state.metrics.insert(
        key.clone(),
        InstanceMetrics {
            cpu: series(60, 30, 40.0, 30.0),
            net_in: series(60, 30, 400_000.0, 300_000.0),
            window_start: Some(fixed_now() - chrono::Duration::minutes(30)),
            window_end: Some(fixed_now()),
        },
    );
    // Fetched just now, as the worker would have: nothing is due yet.
    state.clouds[0]
        .metrics
        .series_asked
        .insert(key.id.clone(), fixed_now());
    state.selected = Some(key);
    state.selection_chosen = true;
    state.recompute_costs();
    state.rebuild_view();
    state
}

/// `n` AWS instances spread over the demo clouds, for benches.
pub fn big_state(n: usize) -> AppState {
    let mut state = fleet_state();
    let mut per_cloud: Vec<Vec<Instance>> = vec![Vec::new(); 3];
    for k in 0..n {
        let mut i = instance(&format!("i-{k:017x}"), &format!("node-{k:05}"));
        i.private_ip = Some(format!("172.31.{}.{}", (k / 250) % 250, k % 250));
        if k % 3 == 0 {
            i.public_ip = Some(format!("203.0.113.{}", k % 250));
        }
        i.launched_at = Some(fixed_now() - chrono::Duration::minutes(k as i64));
        per_cloud[k % 3].push(i);
    }
    for (c, list) in per_cloud.into_iter().enumerate() {
        state.set_instances(c, list);
    }
    state
}
