//! Volumes: EBS roots and data volumes, Cinder volumes, the forgotten one,
//! what terminate and launch do to them, deleting them in each cloud's
//! words, and when an instance entered its state.

use super::*;
use crate::cloud::PowerAction;
use crate::domain::model::{Volume, attach_volumes};

async fn volumes(p: &SimProvider) -> Vec<Volume> {
    p.list_volumes().await.expect("volumes")
}

async fn volume(p: &SimProvider, id: &str) -> Option<Volume> {
    volumes(p).await.into_iter().find(|v| v.id == id)
}

fn forgotten(list: &[Volume]) -> Vec<&Volume> {
    list.iter().filter(|v| v.instance_id.is_none()).collect()
}

/// The first listed instance with a volume at `device`, and that volume.
async fn with_volume_at(p: &SimProvider, device: &str) -> (Instance, Volume) {
    p.list_instances()
        .await
        .expect("list")
        .into_iter()
        .find_map(|i| {
            let v = i
                .volumes
                .iter()
                .find(|v| v.device.as_deref() == Some(device))
                .cloned();
            v.map(|v| (i, v))
        })
        .expect("an instance with a volume there")
}

#[tokio::test]
async fn aws_roots_are_listed_and_joined() {
    let (p, _c) = aws_with(quick());
    let list = p.list_instances().await.expect("list");
    let all = volumes(&p).await;
    for i in &list {
        let roots: Vec<&Volume> = i
            .volumes
            .iter()
            .filter(|v| v.device.as_deref() == Some("/dev/xvda"))
            .collect();
        assert_eq!(roots.len(), 1, "{}: {:?}", i.id, i.volumes);
        let root = roots[0];
        assert!(
            root.id.starts_with("vol-0") && root.id.len() == 21 && is_hex(&root.id[4..]),
            "{}",
            root.id
        );
        assert_eq!(
            (
                root.size_gb,
                root.volume_type.as_deref(),
                root.state.as_str(),
                root.delete_on_termination,
                root.instance_id.as_deref(),
            ),
            (
                Some(8),
                Some("gp3"),
                "in-use",
                Some(true),
                Some(i.id.as_str())
            )
        );
        // The instance shows exactly what the volume listing says of it.
        for v in &i.volumes {
            assert_eq!(all.iter().find(|l| l.id == v.id), Some(v));
        }
    }
    let data: Vec<&Volume> = all
        .iter()
        .filter(|v| v.device.as_deref() == Some("/dev/sdf"))
        .collect();
    assert_eq!(data.len(), 2, "every fifth of 8: {data:?}");
    for v in &data {
        assert_eq!(
            (v.size_gb, v.delete_on_termination, v.outlives_instance()),
            (Some(20), Some(false), true)
        );
        let holder = list
            .iter()
            .find(|i| Some(&i.id) == v.instance_id.as_ref())
            .expect("holder listed");
        assert_eq!(
            v.name.as_deref(),
            Some(format!("{}-data", holder.name).as_str())
        );
    }
    assert_eq!(all.len(), list.len() + data.len() + 1);
    // The dashboard's join changes nothing the listing already said.
    let mut joined = list.clone();
    attach_volumes(&mut joined, &all);
    assert_eq!(joined, list);
    let ids: HashSet<&str> = all.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids.len(), all.len());
}

#[tokio::test]
async fn openstack_volumes_look_like_cinder() {
    let (p, _c) = os_with(quick());
    let list = p.list_instances().await.expect("list");
    let all = volumes(&p).await;
    let attached: Vec<&Volume> = all.iter().filter(|v| v.instance_id.is_some()).collect();
    assert_eq!(attached.len(), 3, "{all:?}");
    for v in &all {
        assert!(is_uuid(&v.id), "{}", v.id);
        assert_eq!(v.volume_type.as_deref(), Some("__DEFAULT__"));
    }
    for v in &attached {
        assert_eq!(
            (
                v.state.as_str(),
                v.device.as_deref(),
                v.delete_on_termination
            ),
            ("in-use", Some("/dev/vdb"), Some(false))
        );
        let holder = list
            .iter()
            .find(|i| Some(&i.id) == v.instance_id.as_ref())
            .expect("holder listed");
        assert_ne!(holder.raw_state, "ERROR", "a failed server got a volume");
        assert_eq!(holder.volumes, vec![(*v).clone()]);
    }
    // Servers booted from an image have no Cinder volume.
    assert!(list.iter().any(|i| i.volumes.is_empty()));
}

#[tokio::test]
async fn each_cloud_has_one_forgotten_volume() {
    let (aws, _c) = aws_with(quick());
    let (os, _d) = os_with(quick());
    for (p, name, size) in [(&aws, "old-scratch", 30), (&os, "results-backup", 15)] {
        let all = volumes(p).await;
        let left = forgotten(&all);
        assert_eq!(left.len(), 1, "{all:?}");
        let v = left[0];
        assert_eq!(
            (
                v.name.as_deref(),
                v.size_gb,
                v.state.as_str(),
                v.device.as_deref(),
                v.delete_on_termination,
            ),
            (Some(name), Some(size), "available", None, None)
        );
        assert!(v.is_unattached());
        // No instance claims it.
        let list = p.list_instances().await.expect("list");
        assert!(
            list.iter()
                .all(|i| i.volumes.iter().all(|iv| iv.id != v.id))
        );
    }
}

#[tokio::test]
async fn volumes_follow_the_seed() {
    let (a, _c) = aws_with(quick());
    let (b, _d) = aws_with(quick());
    assert_eq!(volumes(&a).await, volumes(&b).await);
    let (other, _e) = aws_with(SimSettings { seed: 2, ..quick() });
    assert_ne!(volumes(&a).await[0].id, volumes(&other).await[0].id);
}

#[tokio::test]
async fn aws_refuses_to_delete_an_attached_volume() {
    let (p, _c) = aws_with(quick());
    let (inst, root) = with_volume_at(&p, "/dev/xvda").await;
    let e = p.delete_volume(&root.id).await.expect_err("attached");
    assert_eq!(e.code.as_deref(), Some("VolumeInUse"));
    assert_eq!(
        e.message,
        format!("Volume {} is currently attached to {}", root.id, inst.id)
    );
    assert_eq!(volume(&p, &root.id).await, Some(root));
}

#[tokio::test]
async fn openstack_refuses_to_delete_an_attached_volume() {
    let (p, _c) = os_with(quick());
    let (_inst, data) = with_volume_at(&p, "/dev/vdb").await;
    let e = p.delete_volume(&data.id).await.expect_err("attached");
    assert_eq!(
        e.to_string(),
        "400: Invalid volume: Volume status must be available or error or error_restoring or \
         error_extending or error_managing and must not be migrating, attached, belong to a \
         group, have snapshots, awaiting a transfer, or be disassociated from snapshots after \
         volume transfer."
    );
    assert_eq!(volume(&p, &data.id).await, Some(data));
}

#[tokio::test]
async fn deleting_the_forgotten_volume_works_once() {
    let (aws, _c) = aws_with(quick());
    let (os, _d) = os_with(quick());
    for p in [&aws, &os] {
        let before = volumes(p).await;
        let id = forgotten(&before)[0].id.clone();
        p.delete_volume(&id).await.expect("unattached");
        let after = volumes(p).await;
        assert_eq!(after.len(), before.len() - 1);
        assert!(forgotten(&after).is_empty());
        let e = p.delete_volume(&id).await.expect_err("gone");
        let expected = match p.kind() {
            CloudKind::Aws => format!("InvalidVolume.NotFound: The volume '{id}' does not exist."),
            CloudKind::OpenStack => format!("404: Volume {id} could not be found."),
        };
        assert_eq!(e.to_string(), expected);
    }
}

#[tokio::test]
async fn unknown_volumes_are_not_found_in_each_clouds_words() {
    let (aws, _c) = aws_with(quick());
    let e = aws.delete_volume("vol-x").await.expect_err("unknown");
    assert_eq!(e.code.as_deref(), Some("InvalidVolume.NotFound"));
    assert_eq!(e.message, "The volume 'vol-x' does not exist.");
    let (os, _d) = os_with(quick());
    let e = os.delete_volume("vol-x").await.expect_err("unknown");
    assert_eq!(e.code.as_deref(), Some("404"));
    assert_eq!(e.message, "Volume vol-x could not be found.");
}

#[tokio::test]
async fn aws_terminate_deletes_the_root_and_keeps_the_data_volume() {
    let (p, _c) = aws_with(quick());
    let (inst, data) = with_volume_at(&p, "/dev/sdf").await;
    let root = inst
        .volumes
        .iter()
        .find(|v| v.device.as_deref() == Some("/dev/xvda"))
        .expect("root")
        .clone();
    let others: Vec<Volume> = volumes(&p)
        .await
        .into_iter()
        .filter(|v| v.instance_id.as_ref() != Some(&inst.id))
        .collect();
    p.terminate(std::slice::from_ref(&inst.id))
        .await
        .expect("terminate");
    assert_eq!(volume(&p, &root.id).await, None, "the root goes with it");
    let kept = volume(&p, &data.id).await.expect("the data volume stays");
    assert_eq!(
        (
            kept.state.as_str(),
            kept.instance_id.as_deref(),
            kept.device.as_deref(),
            kept.size_gb
        ),
        ("available", None, None, Some(20))
    );
    // Still listed while shutting down, with nothing attached.
    assert_eq!(get(&p, &inst.id).await.expect("listed").volumes, vec![]);
    // Nobody else's volume changed.
    let now: Vec<Volume> = volumes(&p).await;
    for v in &others {
        assert!(now.contains(v), "{v:?}");
    }
    assert_eq!(forgotten(&now).len(), 2);
    // Detached, it can go now.
    p.delete_volume(&data.id).await.expect("unattached now");
}

#[tokio::test]
async fn openstack_terminate_leaves_cinder_volumes_available() {
    let (p, _c) = os_with(quick());
    let (inst, data) = with_volume_at(&p, "/dev/vdb").await;
    p.terminate(std::slice::from_ref(&inst.id))
        .await
        .expect("terminate");
    let kept = volume(&p, &data.id).await.expect("Cinder keeps it");
    assert_eq!(
        (kept.state.as_str(), kept.instance_id, kept.device),
        ("available", None, None)
    );
}

#[tokio::test]
async fn a_failed_terminate_changes_no_volume() {
    let (p, _c) = aws_with(quick());
    let (inst, _) = with_volume_at(&p, "/dev/xvda").await;
    let before = volumes(&p).await;
    let e = p
        .terminate(&[inst.id.clone(), "i-0000000000000000".into()])
        .await
        .expect_err("one unknown");
    assert_eq!(e.code.as_deref(), Some("InvalidInstanceID.NotFound"));
    assert_eq!(volumes(&p).await, before);
}

#[tokio::test]
async fn aws_launch_adds_a_root_volume() {
    let (p, _c) = aws_with(quick());
    let before = volumes(&p).await.len();
    let ids = p
        .launch(&spec(CloudKind::Aws, "new", 2))
        .await
        .expect("launch");
    let all = volumes(&p).await;
    assert_eq!(all.len(), before + 2);
    for id in &ids {
        let inst = get(&p, id).await.expect("listed");
        assert_eq!(inst.volumes.len(), 1, "{:?}", inst.volumes);
        let root = &inst.volumes[0];
        assert_eq!(
            (
                root.size_gb,
                root.volume_type.as_deref(),
                root.device.as_deref(),
                root.delete_on_termination,
                root.instance_id.as_ref(),
            ),
            (
                Some(8),
                Some("gp3"),
                Some("/dev/xvda"),
                Some(true),
                Some(id)
            )
        );
        assert!(all.contains(root));
    }
    // And terminating it takes the root along.
    p.terminate(&ids).await.expect("terminate");
    assert_eq!(volumes(&p).await.len(), before);
}

#[tokio::test]
async fn openstack_launch_boots_from_the_image_without_a_volume() {
    let (p, _c) = os_with(quick());
    let before = volumes(&p).await;
    let ids = p
        .launch(&spec(CloudKind::OpenStack, "new", 1))
        .await
        .expect("launch");
    assert_eq!(volumes(&p).await, before);
    assert!(get(&p, &ids[0]).await.expect("listed").volumes.is_empty());
}

async fn since(p: &SimProvider, id: &str) -> Option<DateTime<Utc>> {
    get(p, id).await.expect("listed").state_since
}

#[tokio::test]
async fn state_since_moves_on_stop_and_start() {
    let (p, clock) = aws_with(quick());
    let launched = clock.now();
    let id = p
        .launch(&spec(CloudKind::Aws, "web", 1))
        .await
        .expect("launch")
        .remove(0);
    assert_eq!(since(&p, &id).await, Some(launched), "pending since launch");
    clock.advance(10);
    assert_eq!(
        since(&p, &id).await,
        Some(launched + Duration::seconds(6)),
        "running once booted"
    );
    // An EC2 reboot never leaves `running`.
    let out = p
        .power(std::slice::from_ref(&id), PowerAction::Reboot)
        .await;
    assert!(out[0].result.is_ok(), "{out:?}");
    assert_eq!(since(&p, &id).await, Some(launched + Duration::seconds(6)));
    clock.advance(10);
    let stop = clock.now();
    let out = p.power(std::slice::from_ref(&id), PowerAction::Stop).await;
    assert!(out[0].result.is_ok(), "{out:?}");
    assert_eq!(since(&p, &id).await, Some(stop), "stopping since the stop");
    clock.advance(100);
    assert_eq!(
        since(&p, &id).await,
        Some(stop + Duration::seconds(4)),
        "stopped once it stopped"
    );
    let start = clock.now();
    let out = p.power(std::slice::from_ref(&id), PowerAction::Start).await;
    assert!(out[0].result.is_ok(), "{out:?}");
    assert_eq!(since(&p, &id).await, Some(start), "pending since the start");
    clock.advance(30);
    assert_eq!(since(&p, &id).await, Some(start + Duration::seconds(6)));
    // The root volume stays through stop and start.
    assert_eq!(get(&p, &id).await.expect("listed").volumes.len(), 1);
    let end = clock.now();
    p.terminate(std::slice::from_ref(&id))
        .await
        .expect("terminate");
    assert_eq!(since(&p, &id).await, Some(end), "shutting down");
    clock.advance(10);
    assert_eq!(
        since(&p, &id).await,
        Some(end + Duration::seconds(4)),
        "terminated"
    );
}

#[tokio::test]
async fn openstack_state_since_follows_reboot_and_shelve() {
    let (p, clock) = os_with(quick());
    let id = p
        .launch(&spec(CloudKind::OpenStack, "web", 1))
        .await
        .expect("launch")
        .remove(0);
    clock.advance(10);
    let reboot = clock.now();
    let out = p
        .power(std::slice::from_ref(&id), PowerAction::Reboot)
        .await;
    assert!(out[0].result.is_ok(), "{out:?}");
    assert_eq!(state(&p, &id).await.expect("listed").1, "REBOOT");
    assert_eq!(since(&p, &id).await, Some(reboot));
    clock.advance(10);
    assert_eq!(state(&p, &id).await.expect("listed").1, "ACTIVE");
    assert_eq!(since(&p, &id).await, Some(reboot + Duration::seconds(3)));
    let out = p.power(std::slice::from_ref(&id), PowerAction::Stop).await;
    assert!(out[0].result.is_ok(), "{out:?}");
    clock.advance(10);
    let stopped = since(&p, &id).await;
    clock.advance(60);
    // Shelving a stopped server offloads it at once: a new state from now.
    let shelve = clock.now();
    let out = p
        .power(std::slice::from_ref(&id), PowerAction::Shelve)
        .await;
    assert!(out[0].result.is_ok(), "{out:?}");
    assert_eq!(state(&p, &id).await.expect("listed").1, "SHELVED_OFFLOADED");
    assert_eq!(since(&p, &id).await, Some(shelve));
    assert_ne!(stopped, Some(shelve));
}

#[tokio::test]
async fn the_demo_has_a_server_shut_off_for_three_days() {
    let (p, clock) = os_with(quick());
    let list = p.list_instances().await.expect("list");
    let three_days = clock.now() - Duration::days(3);
    let long: Vec<&Instance> = list
        .iter()
        .filter(|i| i.raw_state == "SHUTOFF" && i.state_since == Some(three_days))
        .collect();
    assert_eq!(long.len(), 1, "{list:#?}");
    let server = long[0];
    assert!(server.vcpus.is_some(), "it still holds its flavor");
    assert!(server.launched_at.is_some_and(|at| at < three_days));
    // Every instance says since when, none of them in the future.
    for i in &list {
        assert!(
            i.state_since.is_some_and(|at| at <= clock.now()),
            "{} {:?}",
            i.raw_state,
            i.state_since
        );
    }
}

#[tokio::test]
async fn volume_calls_honour_the_failure_rate() {
    let (p, _c) = aws_with(SimSettings {
        failure_rate: 1.0,
        ..quick()
    });
    let e = p.list_volumes().await.expect_err("outage");
    assert_eq!(e.code.as_deref(), Some("SimulatedFailure"));
    let id = {
        let world = p.world.lock().expect("world");
        world
            .volumes
            .iter()
            .find(|v| v.instance_id.is_none())
            .map(|v| v.id.clone())
            .expect("forgotten")
    };
    let e = p.delete_volume(&id).await.expect_err("outage");
    assert_eq!(e.code.as_deref(), Some("SimulatedFailure"));
    let world = p.world.lock().expect("world");
    assert!(world.volumes.iter().any(|v| v.id == id), "nothing deleted");
}

#[tokio::test]
async fn volume_calls_wait_their_latency() {
    let (p, _c) = aws_with(SimSettings {
        latency_ms: 40,
        ..quick()
    });
    let start = std::time::Instant::now();
    p.list_volumes().await.expect("list");
    assert!(start.elapsed() >= std::time::Duration::from_millis(40));
}

#[tokio::test]
async fn a_large_fleet_joins_every_root() {
    let (_m, clock) = Manual::new();
    let p = SimProvider::new(
        CloudKind::Aws,
        "default",
        "eu-west-1",
        SimSettings {
            instances: 3_000,
            ..quick()
        },
        clock,
    );
    let list = p.list_instances().await.expect("list");
    assert!(list.iter().all(|i| !i.volumes.is_empty()));
    let all = volumes(&p).await;
    assert_eq!(all.len(), 3_000 + 600 + 1);
    let ids: HashSet<&str> = all.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids.len(), all.len());
}
