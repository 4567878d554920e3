//! The first fleet of a seed: shapes of ids, states, tags and addresses per cloud.

use super::*;
use crate::domain::tags::EXPIRES_TAG;

#[test]
fn settings_default_and_deserialize() {
    let d = SimSettings::default();
    assert_eq!(
        (
            d.seed,
            d.instances,
            d.latency_ms,
            d.pending_secs,
            d.stopping_secs,
            d.gone_secs,
            d.address_pool
        ),
        (1, 8, 150, 6, 4, 60, 4)
    );
    assert_eq!(d.failure_rate, 0.0);
    let s: SimSettings = toml::from_str("seed = 7\nfailure_rate = 0.25").expect("parse");
    assert_eq!(s.seed, 7);
    assert_eq!(s.failure_rate, 0.25);
    assert_eq!(s.instances, 8);
    assert!(toml::from_str::<SimSettings>("bogus = 1").is_err());
}

#[test]
fn labels() {
    let clock = system_clock();
    let aws = SimProvider::new(
        CloudKind::Aws,
        "default",
        "eu-west-1",
        quick(),
        clock.clone(),
    );
    assert_eq!(aws.label(), "default/eu-west-1");
    assert_eq!(aws.kind(), CloudKind::Aws);
    assert_eq!(aws.metrics_interval(), std::time::Duration::from_secs(60));
    let os = SimProvider::new(CloudKind::OpenStack, "lab", "lab", quick(), clock.clone());
    assert_eq!(os.label(), "lab");
    assert_eq!(os.metrics_interval(), std::time::Duration::from_secs(10));
    let os2 = SimProvider::new(CloudKind::OpenStack, "lab", "RegionOne", quick(), clock);
    assert_eq!(os2.label(), "lab/RegionOne");
}

#[tokio::test]
async fn aws_initial_fleet_looks_like_ec2() {
    let (p, clock) = aws_with(quick());
    let list = p.list_instances().await.expect("list");
    assert_eq!(list.len(), 8);
    let now = clock.now();
    for i in &list {
        assert!(
            i.id.starts_with("i-") && i.id.len() == 19 && is_hex(&i.id[2..]),
            "{}",
            i.id
        );
        assert!(i.image.starts_with("ami-"));
        assert!(AWS_SIZES.iter().any(|(s, _)| *s == i.size));
        assert_eq!(i.key_name.as_deref(), Some("lab-key"));
        assert!(
            i.private_ip
                .as_deref()
                .is_some_and(|ip| ip.starts_with("172.31."))
        );
        assert_eq!(i.tags.get("Name"), Some(&i.name));
        assert_eq!(InstanceState::from_ec2(&i.raw_state), i.state);
        assert_eq!(
            (i.kind, i.account.as_str(), i.region.as_str()),
            (CloudKind::Aws, "default", "eu-west-1")
        );
        if let Some(ip) = &i.public_ip {
            assert!(ip.starts_with("203.0.113."));
        }
    }
    let running = list
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .count();
    assert!(running >= 5, "mostly running: {running}");
    assert!(list.iter().any(|i| i.state == InstanceState::Stopped));
    assert!(list.iter().any(|i| i.state == InstanceState::Pending));
    assert!(list.iter().any(|i| i.detailed_monitoring));
    assert!(list.iter().any(|i| !i.detailed_monitoring));
    let days_old = list
        .iter()
        .filter(|i| {
            i.age(now)
                .is_some_and(|a| a >= Duration::days(2) && a <= Duration::days(5))
        })
        .count();
    assert!(days_old >= 2, "days-old instances: {days_old}");
    let expiries: Vec<DateTime<Utc>> = list
        .iter()
        .filter_map(|i| i.tags.get(EXPIRES_TAG))
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .expect("rfc3339")
                .with_timezone(&Utc)
        })
        .collect();
    assert!(expiries.iter().any(|t| *t < now), "an expired one");
    assert!(expiries.iter().any(|t| *t > now), "a future one");
    // Names are unique, ids are unique.
    let ids: HashSet<&str> = list.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), list.len());
}

#[tokio::test]
async fn initial_addresses_leave_a_spare_and_a_forgotten_one() {
    let (p, _clock) = aws_with(quick());
    let addresses = p.list_addresses().await.expect("addresses");
    assert_eq!(addresses.len(), 3, "pool of 4 minus one spare");
    assert_eq!(
        addresses.iter().filter(|a| a.instance_id.is_none()).count(),
        1
    );
    let list = p.list_instances().await.expect("list");
    for a in &addresses {
        assert!(
            a.id.starts_with("eipalloc-0") && a.id.len() == 26,
            "{}",
            a.id
        );
        assert!(a.ip.starts_with("203.0.113."));
        assert_eq!(a.pool.as_deref(), Some("amazon"));
        if let Some(holder) = &a.instance_id {
            let inst = list
                .iter()
                .find(|i| &i.id == holder)
                .expect("holder exists");
            assert_eq!(inst.public_ip.as_ref(), Some(&a.ip));
            assert_eq!(inst.state, InstanceState::Running);
        }
    }
    let with_ip = list.iter().filter(|i| i.public_ip.is_some()).count();
    assert_eq!(with_ip, 2);
}

#[tokio::test]
async fn fleet_is_deterministic_per_seed_and_differs_per_region() {
    let (a, _) = aws_with(quick());
    let (b, _) = aws_with(quick());
    let la = a.list_instances().await.expect("a");
    let lb = b.list_instances().await.expect("b");
    assert_eq!(la, lb);
    let (_manual, clock) = Manual::new();
    let other = SimProvider::new(CloudKind::Aws, "default", "us-east-1", quick(), clock);
    let lo = other.list_instances().await.expect("other");
    assert_ne!(
        la.iter().map(|i| &i.id).collect::<Vec<_>>(),
        lo.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    let (seeded, _) = aws_with(SimSettings { seed: 2, ..quick() });
    let ls = seeded.list_instances().await.expect("seeded");
    assert_ne!(la[0].id, ls[0].id);
}

#[tokio::test]
async fn openstack_fleet_looks_like_nova() {
    let (p, _clock) = os_with(quick());
    let list = p.list_instances().await.expect("list");
    assert_eq!(list.len(), 8);
    for i in &list {
        assert!(is_uuid(&i.id), "{}", i.id);
        assert!(is_uuid(&i.image), "{}", i.image);
        assert!(OPENSTACK_FLAVORS.iter().any(|(f, _)| *f == i.size));
        assert!(
            i.private_ip
                .as_deref()
                .is_some_and(|ip| ip.starts_with("192.168.0."))
        );
        assert!(
            ["BUILD", "ACTIVE", "SHUTOFF", "ERROR"].contains(&i.raw_state.as_str()),
            "{}",
            i.raw_state
        );
        assert_eq!(InstanceState::from_nova(&i.raw_state, None), i.state);
        assert!(!i.detailed_monitoring);
        if let Some(ip) = &i.public_ip {
            assert!(ip.starts_with("198.51.100."));
        }
    }
    assert!(list.iter().any(|i| i.raw_state == "ERROR"));
    assert!(list.iter().any(|i| i.raw_state == "SHUTOFF"));
    assert!(list.iter().any(|i| i.raw_state == "BUILD"));
    let addresses = p.list_addresses().await.expect("addresses");
    assert!(
        addresses
            .iter()
            .all(|a| is_uuid(&a.id) && a.pool.as_deref() == Some("i4labnet"))
    );
}

#[test]
fn large_fleets_get_unique_ids_and_addresses() {
    let (_m, clock) = Manual::new();
    let p = SimProvider::new(
        CloudKind::OpenStack,
        "lab",
        "lab",
        SimSettings {
            instances: 600,
            ..quick()
        },
        clock,
    );
    let world = p.world.lock().expect("world");
    let ips: HashSet<&str> = world
        .instances
        .iter()
        .map(|i| i.private_ip.as_str())
        .collect();
    assert_eq!(ips.len(), 600);
    assert!(
        world
            .instances
            .iter()
            .all(|i| !i.private_ip.ends_with(".255"))
    );
}

#[tokio::test]
async fn every_simulated_instance_names_its_image_as_its_cloud_would() {
    let (aws, _) = aws_with(quick());
    let (os, _) = os_with(quick());
    let aws = aws.list_instances().await.expect("aws");
    let os = os.list_instances().await.expect("openstack");
    for i in aws.iter().chain(&os) {
        let name = i.image_name.as_deref().expect("named");
        assert!(!name.is_empty() && name != i.image.as_str(), "{i:?}");
    }
    // AMIs by their DescribeImages names, Glance images by theirs.
    assert!(
        aws.iter()
            .filter_map(|i| i.image_name.as_deref())
            .all(|n| n.starts_with("al2023-ami-")
                || n.starts_with("ubuntu/")
                || n.starts_with("debian-12-")),
        "{aws:?}"
    );
    let glance: Vec<&str> = OPENSTACK_IMAGES.iter().map(|(_, n)| *n).collect();
    assert!(
        os.iter()
            .all(|i| glance.contains(&i.image_name.as_deref().unwrap_or("")))
    );
}
