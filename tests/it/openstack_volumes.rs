//! Cinder volumes through the OpenStack provider, against the real Keystone
//! and the fakes (the `Lab` of `openstack.rs`): the catalog's block-storage
//! endpoint (with and without the project id, or missing), the paginated
//! `volumes/detail` listing, Nova's `volumes_attached` and `updated`, and
//! deleting a volume with Cinder's refusal for one still attached.

use hytop::cloud::openstack::{NO_BLOCK_STORAGE, parse_nova_time};
use hytop::cloud::{PowerAction, Provider};
use hytop::domain::model::{Volume, attach_volumes};
use hytop_testkit::openstack::{
    BlockStorage, DEFAULT_VOLUME_TYPE, NewVolume, SEED_VOLUME_GB, Service,
};

use crate::openstack::Lab;

fn volume_requests(lab: &Lab) -> Vec<(String, String, String, u16)> {
    lab.fake
        .requests()
        .into_iter()
        .filter(|r| r.service == Service::BlockStorage)
        .map(|r| (r.method, r.path, r.query, r.status))
        .collect()
}

fn by_id<'a>(volumes: &'a [Volume], id: &str) -> &'a Volume {
    volumes
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("volume {id} listed: {volumes:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_volume_is_listed_and_joined_into_its_server() {
    let lab = Lab::start(|_| {}, true).await;
    let servers = lab.fake.seed(&lab.user.project_id, 3);
    let spare = lab
        .fake
        .add_volume(&lab.user.project_id, NewVolume::sized(1));
    let provider = lab.password_provider();

    let volumes = provider.list_volumes().await.expect("volume listing");
    assert_eq!(volumes.len(), 2, "{volumes:#?}");
    let data = volumes
        .iter()
        .find(|v| v.id != spare)
        .expect("the seeded volume");
    assert_eq!(data.name.as_deref(), Some("lab-data"));
    assert_eq!(data.size_gb, Some(SEED_VOLUME_GB));
    assert_eq!(data.volume_type.as_deref(), Some(DEFAULT_VOLUME_TYPE));
    assert_eq!(data.state.as_str(), "in-use");
    assert_eq!(data.instance_id.as_deref(), Some(servers[0].as_str()));
    assert_eq!(data.device.as_deref(), Some("/dev/vdb"));
    let unattached = by_id(&volumes, &spare);
    assert_eq!(unattached.state.as_str(), "available");
    assert!(unattached.is_unattached());
    assert_eq!(unattached.name, None);

    // The catalog URL carries the project id (Keystone substituted it).
    let seen = volume_requests(&lab);
    assert_eq!(
        seen.iter()
            .map(|(m, p, _, s)| (m.as_str(), p.clone(), *s))
            .collect::<Vec<_>>(),
        [(
            "GET",
            format!("/volume/v3/{}/volumes/detail", lab.user.project_id),
            200
        )]
    );

    // Nova names the volume and whether it goes with the server; the
    // listing adds size and type.
    let mut instances = provider.list_instances().await.expect("listing");
    let first = instances
        .iter()
        .find(|i| i.id == servers[0])
        .expect("first server");
    assert_eq!(first.volumes.len(), 1, "{:#?}", first.volumes);
    assert_eq!(first.volumes[0].id, data.id);
    assert_eq!(first.volumes[0].delete_on_termination, Some(false));
    assert_eq!(first.volumes[0].size_gb, None);
    attach_volumes(&mut instances, &volumes);
    let first = instances
        .iter()
        .find(|i| i.id == servers[0])
        .expect("first server");
    assert_eq!(first.volumes.len(), 1);
    let joined = &first.volumes[0];
    assert_eq!(joined.size_gb, Some(SEED_VOLUME_GB));
    assert_eq!(joined.volume_type.as_deref(), Some(DEFAULT_VOLUME_TYPE));
    assert_eq!(joined.delete_on_termination, Some(false));
    assert!(joined.outlives_instance());
    for other in instances.iter().filter(|i| i.id != servers[0]) {
        assert!(
            other.volumes.is_empty(),
            "{}: {:#?}",
            other.id,
            other.volumes
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_url_without_the_project_gets_the_tokens_project() {
    let lab = Lab::start(|o| o.block_storage = BlockStorage::WithoutProjectId, true).await;
    let servers = lab.fake.seed(&lab.user.project_id, 1);
    let provider = lab.password_provider();
    let volumes = provider.list_volumes().await.expect("volume listing");
    assert_eq!(volumes.len(), 1, "{volumes:#?}");
    assert_eq!(volumes[0].instance_id.as_deref(), Some(servers[0].as_str()));
    let paths: Vec<String> = volume_requests(&lab).into_iter().map(|r| r.1).collect();
    assert_eq!(
        paths,
        [format!("/volume/v3/{}/volumes/detail", lab.user.project_id)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_volumev3_catalog_entry_serves_too() {
    let lab = Lab::start(|o| o.block_storage = BlockStorage::VolumeV3, true).await;
    lab.fake.seed(&lab.user.project_id, 1);
    let provider = lab.password_provider();
    let volumes = provider.list_volumes().await.expect("volume listing");
    assert_eq!(volumes.len(), 1, "{volumes:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_without_block_storage_lists_none_and_says_so_on_delete() {
    let lab = Lab::start(|o| o.block_storage = BlockStorage::Absent, true).await;
    lab.fake.seed(&lab.user.project_id, 2);
    let provider = lab.password_provider();
    let volumes = provider.list_volumes().await.expect("no error");
    assert!(volumes.is_empty(), "{volumes:#?}");
    assert!(volume_requests(&lab).is_empty());
    // The servers still list, with what Nova says of their volumes.
    let instances = provider.list_instances().await.expect("listing");
    assert_eq!(instances.len(), 2);

    let err = provider
        .delete_volume("6edbc2f4-1507-44f8-ac0d-eed1d2608d38")
        .await
        .expect_err("nowhere to delete");
    assert_eq!(err.code.as_deref(), Some(NO_BLOCK_STORAGE), "{err}");
    assert!(
        err.message
            .starts_with("this cloud has no block-storage service"),
        "{err}"
    );
    assert!(volume_requests(&lab).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_attached_volume_keeps_cinders_refusal() {
    let lab = Lab::start(|_| {}, true).await;
    lab.fake.seed(&lab.user.project_id, 1);
    let provider = lab.password_provider();
    let volumes = provider.list_volumes().await.expect("volume listing");
    let attached = volumes.first().expect("the seeded volume").id.clone();

    let err = provider.delete_volume(&attached).await.expect_err("in use");
    assert_eq!(err.code.as_deref(), Some("400 badRequest"), "{err}");
    assert!(
        err.message
            .starts_with("Invalid volume: Volume status must be available or error"),
        "{err}"
    );
    assert!(
        err.message.contains("must not be migrating, attached"),
        "{err}"
    );
    assert_eq!(lab.fake.volumes(&lab.user.project_id).len(), 1);

    let err = provider
        .delete_volume("00000000-0000-4000-8000-000000000000")
        .await
        .expect_err("no such volume");
    assert_eq!(
        err.to_string(),
        "404 itemNotFound: Volume 00000000-0000-4000-8000-000000000000 could not be found."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unattached_volume_is_deleted_and_gone_from_the_listing() {
    let lab = Lab::start(|_| {}, true).await;
    lab.fake.seed(&lab.user.project_id, 1);
    let spare = lab
        .fake
        .add_volume(&lab.user.project_id, NewVolume::sized(5));
    let provider = lab.password_provider();
    assert_eq!(provider.list_volumes().await.expect("listing").len(), 2);

    provider.delete_volume(&spare).await.expect("deleted");
    let delete = volume_requests(&lab)
        .into_iter()
        .find(|r| r.0 == "DELETE")
        .expect("a DELETE");
    assert_eq!(
        delete.1,
        format!("/volume/v3/{}/volumes/{spare}", lab.user.project_id)
    );
    assert_eq!(delete.3, 202);
    let left = provider.list_volumes().await.expect("listing");
    assert_eq!(left.len(), 1, "{left:#?}");
    assert!(left.iter().all(|v| v.id != spare));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_are_listed_across_pages() {
    let lab = Lab::start(|o| o.cinder_max_limit = 3, true).await;
    let servers = lab.fake.seed(&lab.user.project_id, 2);
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(lab.fake.add_volume(
            &lab.user.project_id,
            NewVolume {
                name: Some(format!("vol-{n}")),
                server_id: (n % 2 == 0).then(|| servers[1].clone()),
                ..NewVolume::sized(n + 1)
            },
        ));
    }
    // Another project's volume stays out.
    let other = tokio::task::spawn_blocking(|| {
        hytop_testkit::keystone::Keystone::shared().new_user("other")
    })
    .await
    .expect("user");
    lab.fake.add_volume(&other.project_id, NewVolume::sized(50));

    let provider = lab.password_provider();
    let volumes = provider.list_volumes().await.expect("volume listing");
    // Six added plus the seeded one: pages of 3, 3, 1.
    assert_eq!(volumes.len(), 7, "{volumes:#?}");
    for (n, id) in ids.iter().enumerate() {
        let v = by_id(&volumes, id);
        assert_eq!(v.size_gb, Some(n as u64 + 1));
        assert_eq!(
            v.instance_id.is_some(),
            n % 2 == 0,
            "vol-{n}: {:?}",
            v.instance_id
        );
    }
    let mut unique: Vec<&str> = volumes.iter().map(|v| v.id.as_str()).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 7, "no volume twice");
    let seen = volume_requests(&lab);
    assert_eq!(seen.len(), 3, "{seen:#?}");
    assert_eq!(seen[0].2, "");
    assert!(seen[1].2.starts_with("marker="), "{seen:#?}");
    assert!(seen.iter().all(|r| r.3 == 200), "{seen:#?}");

    // The server with three of them gets them all, devices in order.
    let mut instances = provider.list_instances().await.expect("listing");
    attach_volumes(&mut instances, &volumes);
    let second = instances
        .iter()
        .find(|i| i.id == servers[1])
        .expect("second server");
    let mut devices: Vec<&str> = second
        .volumes
        .iter()
        .filter_map(|v| v.device.as_deref())
        .collect();
    devices.sort_unstable();
    assert_eq!(devices, ["/dev/vdb", "/dev/vdc", "/dev/vdd"]);
    assert!(second.volumes.iter().all(|v| v.size_gb.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_since_is_novas_updated_time() {
    let lab = Lab::start(|o| o.action_polls = 0, true).await;
    let servers = lab.fake.seed(&lab.user.project_id, 1);
    let id = &servers[0];
    let provider = lab.password_provider();
    let updated = |lab: &Lab| {
        let server = lab.fake.server(id).expect("server");
        parse_nova_time(server["updated"].as_str().expect("updated")).expect("a time")
    };
    let before = updated(&lab);
    let listed = provider.list_instances().await.expect("listing");
    assert_eq!(listed[0].state_since, Some(before));

    // Stopping moves `updated` on; the listing follows.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let outcomes = provider
        .power(std::slice::from_ref(id), PowerAction::Stop)
        .await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    let listed = provider.list_instances().await.expect("listing");
    let after = updated(&lab);
    assert!(after > before, "{before} -> {after}");
    assert_eq!(listed[0].state_since, Some(after));
}
