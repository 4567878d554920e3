//! The AWS provider against a real EC2 emulator (moto's server) and a
//! CloudWatch fake that decodes the SDK's real CBOR requests.

use hytop_testkit as support;

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use base64::Engine;
use chrono::{Duration, Utc};
use hytop::cloud::aws::{AwsProvider, PAGE_SIZE};
use hytop::cloud::{MetricsQuery, PowerAction, Provider, Resolution};
use hytop::domain::model::{InstanceState, LaunchSpec, attach_volumes};
use support::cloudwatch::{Behaviour, FakeCloudWatch, expected_timestamps, expected_value};
use support::moto::MotoServer;

async fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(hytop::cloud::aws::http_client())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A provider whose EC2 calls go to `ec2` and CloudWatch calls to `cloudwatch`.
async fn provider(ec2: &str, cloudwatch: &str, region: &str) -> AwsProvider {
    AwsProvider::with_configs(
        Some("test".into()),
        region,
        &sdk_config(ec2, region).await,
        &sdk_config(cloudwatch, region).await,
    )
}

async fn ec2_client(moto: &MotoServer, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config(&moto.url, region).await)
}

/// An AMI moto knows in that region.
async fn some_ami(ec2: &aws_sdk_ec2::Client) -> String {
    let images = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("describe images");
    images
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("moto has an AMI")
}

fn spec(image: &str, name: &str, count: u32) -> LaunchSpec {
    LaunchSpec {
        region: "eu-west-1".into(),
        name: name.into(),
        count,
        image: image.into(),
        size: "t2.nano".into(),
        key_name: None,
        security_groups: Vec::new(),
        network: None,
        user_data: None,
        detailed_monitoring: false,
        tags: BTreeMap::from([
            ("Name".to_string(), name.to_string()),
            ("hytop:template".to_string(), "web".to_string()),
        ]),
    }
}

async fn run_many(ec2: &aws_sdk_ec2::Client, ami: &str, count: i32) {
    ec2.run_instances()
        .image_id(ami)
        .instance_type(aws_sdk_ec2::types::InstanceType::T2Nano)
        .min_count(count)
        .max_count(count)
        .send()
        .await
        .expect("run instances");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_every_instance_of_two_regions() {
    let moto = MotoServer::start();
    let west = ec2_client(&moto, "eu-west-1").await;
    let east = ec2_client(&moto, "us-east-1").await;
    let ami_west = some_ami(&west).await;
    let ami_east = some_ami(&east).await;
    // Many reservations (two instances each) in one region, a handful in
    // the other. Paging beyond one page of PAGE_SIZE (1000, the largest EC2
    // allows) would take over a thousand moto reservations: it is checked
    // against the fault server instead (aws_faults::listings_ask_for_the_largest_page_and_follow_next_token).
    let reservations = 60;
    let many = reservations * 2;
    for chunk in (0..reservations).collect::<Vec<_>>().chunks(25) {
        let runs = chunk.iter().map(|_| run_many(&west, &ami_west, 2));
        futures::future::join_all(runs).await;
    }
    run_many(&east, &ami_east, 3).await;

    // moto pages by reservation, as EC2 does: a smaller page than the
    // listing's would not hold them all.
    let first = west
        .describe_instances()
        .max_results(reservations / 2)
        .send()
        .await
        .expect("one page");
    assert!(first.next_token().is_some(), "moto returned one page only");

    let p_west = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let p_east = provider(&moto.url, "http://127.0.0.1:9", "us-east-1").await;
    let (west_list, east_list) = tokio::join!(p_west.list_instances(), p_east.list_instances());
    let west_list = west_list.expect("list eu-west-1");
    let east_list = east_list.expect("list us-east-1");
    assert_eq!(west_list.len(), many as usize);
    assert_eq!(east_list.len(), 3);
    let unique: std::collections::HashSet<&str> = west_list.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(unique.len(), many as usize, "no instance listed twice");
    for i in &west_list {
        assert_eq!(i.region, "eu-west-1");
        assert_eq!(i.account, "test");
        assert_eq!(i.state, InstanceState::Running);
        assert_eq!(i.raw_state, "running");
        assert_eq!(i.size, "t2.nano");
        assert!(i.private_ip.is_some());
        assert!(i.launched_at.is_some());
    }
    assert!(east_list.iter().all(|i| i.region == "us-east-1"));
    assert_eq!(p_west.label(), "test/eu-west-1");
    // One listing: one page of PAGE_SIZE holds them all, plus the Elastic
    // IP lookup.
    assert!(reservations < PAGE_SIZE);
    let calls = p_west.api_calls();
    assert_eq!(calls.get("DescribeInstances"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("DescribeAddresses"), Some(&1), "{calls:?}");
    // The refresh's address list right after reuses what the listing fetched.
    p_west.list_addresses().await.expect("addresses");
    assert_eq!(p_west.api_calls().get("DescribeAddresses"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_sends_user_data_and_tags() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;

    let mut s = spec(&ami, "web-1", 2);
    let user_data = b"#cloud-config\nruncmd:\n  - echo hello\n".to_vec();
    s.user_data = Some(user_data.clone());
    s.detailed_monitoring = true;
    let ids = p.launch(&s).await.expect("launch");
    assert_eq!(ids.len(), 2);

    for id in &ids {
        let attr = ec2
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .expect("user data attribute");
        let encoded = attr
            .user_data()
            .and_then(|u| u.value())
            .expect("user data set");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        assert_eq!(decoded, user_data);
    }
    let listed = p.list_instances().await.expect("list");
    for id in &ids {
        let i = listed.iter().find(|i| &i.id == id).expect("listed");
        assert_eq!(i.name, "web-1");
        assert_eq!(
            i.tags.get("hytop:template").map(String::as_str),
            Some("web")
        );
        assert_eq!(i.image, ami);
        assert!(i.detailed_monitoring, "monitoring requested at launch");
    }

    // A later expiry (the extend key) overwrites one tag and keeps the rest.
    let later = std::collections::BTreeMap::from([(
        "hytop:expires".to_string(),
        "2030-01-01T00:00:00Z".to_string(),
    )]);
    p.set_tags(&ids[0], &later).await.expect("create tags");
    let listed = p.list_instances().await.expect("list");
    let i = listed.iter().find(|i| i.id == ids[0]).expect("listed");
    assert_eq!(
        i.tags.get("hytop:expires").map(String::as_str),
        Some("2030-01-01T00:00:00Z")
    );
    assert_eq!(i.name, "web-1", "the Name tag stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_user_data_is_refused_before_the_call() {
    // Nothing listens on port 9: reaching the network would fail differently.
    let p = provider("http://127.0.0.1:9", "http://127.0.0.1:9", "eu-west-1").await;
    let mut s = spec("ami-1", "big", 1);
    s.user_data = Some(vec![b'x'; 16 * 1024 + 1]);
    let err = p.launch(&s).await.expect_err("refused");
    assert_eq!(err.code.as_deref(), Some("UserDataTooLarge"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_start_reboot_round_trip_with_an_outcome_per_id() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "cycle", 2)).await.expect("launch");
    let state_of = |list: &[hytop::domain::model::Instance], id: &str| {
        list.iter().find(|i| i.id == id).map(|i| i.state)
    };

    let out = p.power(&ids[..1], PowerAction::Stop).await;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].instance_id, ids[0]);
    assert_eq!(out[0].result, Ok(()));
    let listed = p.list_instances().await.expect("list");
    assert!(
        matches!(
            state_of(&listed, &ids[0]),
            Some(InstanceState::Stopping | InstanceState::Stopped)
        ),
        "{listed:?}"
    );
    assert_eq!(state_of(&listed, &ids[1]), Some(InstanceState::Running));

    let out = p.power(&ids[..1], PowerAction::Start).await;
    assert_eq!(out[0].result, Ok(()));
    let listed = p.list_instances().await.expect("list");
    assert!(
        matches!(
            state_of(&listed, &ids[0]),
            Some(InstanceState::Pending | InstanceState::Running)
        ),
        "{listed:?}"
    );
    assert!(
        p.power(&ids, PowerAction::Reboot)
            .await
            .iter()
            .all(|o| o.result.is_ok())
    );

    // EC2 refuses the whole call for one bad id; each id still gets its own answer.
    let dead = "i-0000000000000dead".to_string();
    let out = p
        .power(&[ids[1].clone(), dead.clone()], PowerAction::Stop)
        .await;
    assert_eq!(out[0].instance_id, ids[1]);
    assert_eq!(out[0].result, Ok(()), "{out:?}");
    assert_eq!(out[1].instance_id, dead);
    let e = out[1].result.clone().expect_err("unknown id");
    assert_eq!(e.code.as_deref(), Some("InvalidInstanceID.NotFound"), "{e}");

    // Hard reboot and shelve do not exist on EC2: refused, nothing sent.
    let calls = p.api_calls();
    for action in [PowerAction::HardReboot, PowerAction::Shelve] {
        let out = p.power(&ids, action).await;
        assert!(out.iter().all(|o| {
            o.result
                .as_ref()
                .is_err_and(|e| e.code.as_deref() == Some(hytop::cloud::aws::UNSUPPORTED))
        }));
    }
    assert_eq!(p.api_calls(), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_by_id() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "doomed", 2)).await.expect("launch");
    p.terminate(&ids[..1]).await.expect("terminate");
    let listed = p.list_instances().await.expect("list");
    let doomed = listed
        .iter()
        .find(|i| i.id == ids[0])
        .expect("still listed");
    assert!(
        matches!(
            doomed.state,
            InstanceState::Terminated | InstanceState::Stopping
        ),
        "{doomed:?}"
    );
    let kept = listed.iter().find(|i| i.id == ids[1]).expect("kept");
    assert_eq!(kept.state, InstanceState::Running);

    let err = p
        .terminate(&["i-0000000000000dead".to_string()])
        .await
        .expect_err("unknown id");
    assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.NotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elastic_ip_attach_reuse_detach_release() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "eip", 2)).await.expect("launch");

    let first = p.attach_public_ip(&ids[0]).await.expect("attach");
    assert!(!first.reused, "nothing to reuse yet");
    let listed = p.list_instances().await.expect("list");
    let i = listed.iter().find(|i| i.id == ids[0]).expect("listed");
    assert_eq!(i.public_ip.as_deref(), Some(first.ip.as_str()));
    assert!(
        i.extra.iter().any(|(k, _)| *k == "Elastic IP"),
        "{:?}",
        i.extra
    );
    let err = p.attach_public_ip(&ids[0]).await.expect_err("twice");
    assert_eq!(err.code.as_deref(), Some("Resource.AlreadyAssociated"));

    let detached = p.detach_public_ip(&ids[0]).await.expect("detach");
    assert_eq!(detached, first.ip);
    let addresses = p.list_addresses().await.expect("addresses");
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].instance_id, None, "allocated, unassociated");

    // The free address is reused before anything new is allocated.
    let second = p.attach_public_ip(&ids[1]).await.expect("attach again");
    assert!(second.reused);
    assert_eq!(second.ip, first.ip);
    assert_eq!(p.list_addresses().await.expect("addresses").len(), 1);

    let err = p
        .release_address(&addresses[0].id)
        .await
        .expect_err("in use");
    assert_eq!(err.code.as_deref(), Some("InvalidIPAddress.InUse"), "{err}");
    p.detach_public_ip(&ids[1]).await.expect("detach");
    p.release_address(&addresses[0].id).await.expect("release");
    assert!(p.list_addresses().await.expect("addresses").is_empty());
    let err = p.detach_public_ip(&ids[1]).await.expect_err("nothing");
    assert_eq!(err.code.as_deref(), Some("InvalidAssociationID.NotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_output_is_decoded() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "console", 1)).await.expect("launch");
    let out = p.console_output(&ids[0], 500).await.expect("console");
    assert_eq!(out.instance_id, ids[0]);
    assert!(!out.text.is_empty(), "moto returns a console text");
    assert!(
        !out.text.contains('\u{fffd}'),
        "decoded from base64, not shown raw: {}",
        out.text
    );
    let short = p.console_output(&ids[0], 1).await.expect("console");
    assert!(short.text.lines().count() <= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_endpoint_is_an_error_line() {
    let p = provider("http://127.0.0.1:9", "http://127.0.0.1:9", "eu-west-1").await;
    let err = p.list_instances().await.expect_err("nothing listens");
    assert_eq!(err.code.as_deref(), Some("Unreachable"), "{err}");
    assert!(!err.message.contains("testing"), "no secret in {err}");
}

// ------------------------------------------------------------- volumes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_instances_show_their_root_volume_and_the_listing_fills_it_in() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "disks", 3)).await.expect("launch");

    let mut instances = p.list_instances().await.expect("list");
    let i = instances.iter().find(|i| i.id == ids[0]).expect("listed");
    // moto gives every instance one 8 GiB root volume at /dev/sda1.
    assert_eq!(i.volumes.len(), 1, "{:?}", i.volumes);
    let root = &i.volumes[0];
    assert!(root.id.starts_with("vol-"), "{root:?}");
    assert_eq!(root.device.as_deref(), Some("/dev/sda1"));
    assert_eq!(root.delete_on_termination, Some(true));
    assert_eq!(root.instance_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(root.size_gb, None, "the instance listing has no size");
    assert!(!root.outlives_instance());
    let root_device = i.extra.iter().find(|(k, _)| *k == "root device");
    assert_eq!(
        root_device.map(|(_, v)| v.as_str()),
        Some("/dev/sda1 (ebs)"),
        "{:?}",
        i.extra
    );
    let root_id = root.id.clone();

    let volumes = p.list_volumes().await.expect("volumes");
    assert_eq!(volumes.len(), 3, "one root volume each: {volumes:?}");
    let listed = volumes.iter().find(|v| v.id == root_id).expect("listed");
    assert_eq!(listed.size_gb, Some(8));
    assert_eq!(listed.state, "in-use");
    assert_eq!(listed.instance_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(listed.device.as_deref(), Some("/dev/sda1"));
    assert!(listed.volume_type.is_some(), "{listed:?}");
    assert!(!listed.is_unattached());
    // One listing for the whole region, not one call per instance.
    assert_eq!(p.api_calls().get("DescribeVolumes"), Some(&1));

    attach_volumes(&mut instances, &volumes);
    for id in &ids {
        let i = instances.iter().find(|i| &i.id == id).expect("listed");
        assert_eq!(
            i.volumes.len(),
            1,
            "joined, not added twice: {:?}",
            i.volumes
        );
        let v = &i.volumes[0];
        assert_eq!(v.size_gb, Some(8));
        assert_eq!(v.volume_type, listed.volume_type);
        assert_eq!(
            v.summary(),
            format!("8 GiB {}", v.volume_type.as_deref().unwrap_or("?"))
        );
        // moto's DescribeVolumes leaves DeleteOnTermination out of the
        // attachment: the instance listing's word is kept.
        assert_eq!(v.delete_on_termination, Some(true), "{v:?}");
        assert_eq!(v.device.as_deref(), Some("/dev/sda1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unattached_volume_is_listed_then_deleted() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "holder", 1)).await.expect("launch");
    let created = ec2
        .create_volume()
        .availability_zone("eu-west-1a")
        .size(3)
        .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Volume)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value("scratch")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create volume");
    let spare = created.volume_id().expect("a volume id").to_string();

    let volumes = p.list_volumes().await.expect("volumes");
    assert_eq!(
        volumes.len(),
        2,
        "the root volume and the spare: {volumes:?}"
    );
    let v = volumes.iter().find(|v| v.id == spare).expect("listed");
    assert_eq!(v.state, "available");
    assert!(v.is_unattached(), "{v:?}");
    assert_eq!(v.instance_id, None);
    assert_eq!(v.device, None);
    assert_eq!(v.name.as_deref(), Some("scratch"));
    assert_eq!(v.size_gb, Some(3));
    assert_eq!(v.volume_type.as_deref(), Some("gp3"));
    assert_eq!(v.summary(), "3 GiB gp3");
    // Joined into no instance: it is attached to none.
    let mut instances = p.list_instances().await.expect("list");
    attach_volumes(&mut instances, &volumes);
    assert!(
        instances
            .iter()
            .all(|i| i.volumes.iter().all(|v| v.id != spare))
    );

    // EC2 refuses to delete a volume in use; its code and words come through.
    let root = volumes
        .iter()
        .find(|v| v.instance_id.as_deref() == Some(ids[0].as_str()))
        .expect("the root volume");
    let err = p.delete_volume(&root.id).await.expect_err("in use");
    assert_eq!(err.code.as_deref(), Some("VolumeInUse"), "{err}");
    assert!(err.message.contains(&root.id), "{err}");

    p.delete_volume(&spare).await.expect("delete");
    let after = p.list_volumes().await.expect("volumes");
    assert!(after.iter().all(|v| v.id != spare), "{after:?}");
    assert!(
        after.iter().any(|v| v.id == root.id),
        "the root volume stays"
    );

    let err = p.delete_volume(&spare).await.expect_err("already gone");
    assert_eq!(err.code.as_deref(), Some("InvalidVolume.NotFound"), "{err}");
    assert!(
        err.to_string().starts_with("InvalidVolume.NotFound: "),
        "{err}"
    );
    assert!(!err.to_string().contains("testing"), "no secret in {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_instance_says_since_when() {
    let moto = MotoServer::start();
    let ec2 = ec2_client(&moto, "eu-west-1").await;
    let ami = some_ami(&ec2).await;
    let p = provider(&moto.url, "http://127.0.0.1:9", "eu-west-1").await;
    let ids = p.launch(&spec(&ami, "pause", 2)).await.expect("launch");
    let listed = p.list_instances().await.expect("list");
    // A running instance's StateTransitionReason is empty (moto and EC2).
    assert!(listed.iter().all(|i| i.state_since.is_none()), "{listed:?}");

    // moto writes the time to the second, as EC2 does.
    let before = Utc::now() - Duration::seconds(2);
    let out = p.power(&ids[..1], PowerAction::Stop).await;
    assert_eq!(out[0].result, Ok(()));
    let after = Utc::now() + Duration::seconds(2);
    let raw = ec2
        .describe_instances()
        .instance_ids(&ids[0])
        .send()
        .await
        .expect("describe");
    let reason = raw.reservations()[0].instances()[0]
        .state_transition_reason()
        .unwrap_or_default()
        .to_string();
    let listed = p.list_instances().await.expect("list");
    let stopped = listed.iter().find(|i| i.id == ids[0]).expect("listed");
    assert_eq!(stopped.state, InstanceState::Stopped, "{stopped:?}");
    let since = stopped
        .state_since
        .unwrap_or_else(|| panic!("no time read from {reason:?}"));
    assert!(before <= since && since <= after, "{since} from {reason:?}");
    let running = listed.iter().find(|i| i.id == ids[1]).expect("listed");
    assert_eq!(running.state_since, None);

    let out = p.power(&ids[..1], PowerAction::Start).await;
    assert_eq!(out[0].result, Ok(()));
    let listed = p.list_instances().await.expect("list");
    let started = listed.iter().find(|i| i.id == ids[0]).expect("listed");
    assert_eq!(
        started.state_since, None,
        "the stop's time is not the start's"
    );
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|k| format!("i-{k:017x}")).collect()
}

fn window() -> MetricsQuery {
    let end = Utc::now();
    MetricsQuery {
        instance_ids: Vec::new(),
        start: end - Duration::minutes(60),
        end,
        resolution: Resolution::Series,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_batched_500_queries_a_call() {
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let p = provider("http://127.0.0.1:9", &fake.url, "eu-west-1").await;
    let mut q = window();
    q.instance_ids = ids(600);
    let metrics = p.metrics(&q).await.expect("metrics");
    assert_eq!(fake.violations(), Vec::<String>::new());

    let calls = fake.calls();
    assert_eq!(
        calls.len(),
        3,
        "600 instances × 2 metrics in ⌈1200/500⌉ calls"
    );
    assert_eq!(
        calls.iter().map(|c| c.queries.len()).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );
    let mut asked: Vec<String> = calls
        .iter()
        .flat_map(|c| c.queries.iter())
        .filter(|q| q.metric == "CPUUtilization")
        .filter_map(|q| q.instance_id.clone())
        .collect();
    asked.sort();
    assert_eq!(asked, ids(600));
    for call in &calls {
        assert!(call.start < call.end);
        for query in &call.queries {
            // No listing told it about detailed monitoring: basic, 5 minutes.
            assert_eq!(query.period, 300);
            assert_eq!(query.namespace, "AWS/EC2");
            let want = if query.metric == "CPUUtilization" {
                "Average"
            } else {
                "Sum"
            };
            assert_eq!(query.stat, want);
        }
    }

    assert_eq!(metrics.len(), 600);
    let (id, m) = &metrics[0];
    let call = &calls[0];
    let expected = expected_timestamps(call.start, call.end, 300);
    assert!(!expected.is_empty());
    assert_eq!(m.cpu.period_secs, 300);
    assert_eq!(m.cpu.points.len(), expected.len());
    assert_eq!(m.net_in.points.len(), expected.len());
    for ((t, v), want_t) in m.cpu.points.iter().zip(&expected) {
        assert_eq!(t.timestamp(), *want_t);
        assert_eq!(*v, expected_value("CPUUtilization", id, *want_t));
    }
    let (t, v) = m.net_in.points[0];
    assert_eq!(v, expected_value("NetworkIn", id, t.timestamp()));

    // Nothing new can exist yet: no second bill.
    let again = p.metrics(&q).await.expect("metrics again");
    assert!(again.is_empty());
    assert_eq!(fake.calls().len(), 3);
    // Five minutes later, it asks again.
    let mut later = q.clone();
    later.end = q.end + Duration::minutes(5);
    later.start = q.start + Duration::minutes(5);
    assert_eq!(p.metrics(&later).await.expect("later").len(), 600);
    assert_eq!(fake.calls().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_ask_one_cpu_period_over_the_window_500_instances_a_call() {
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let p = provider("http://127.0.0.1:9", &fake.url, "eu-west-1").await;
    let end = Utc::now();
    let q = MetricsQuery::summary(ids(1200), end, Duration::minutes(60));
    let metrics = p.metrics(&q).await.expect("summaries");
    assert_eq!(fake.violations(), Vec::<String>::new());
    let calls = fake.calls();
    assert_eq!(
        calls.iter().map(|c| c.queries.len()).collect::<Vec<_>>(),
        vec![500, 500, 200],
        "one query per instance, ⌈1200/500⌉ calls"
    );
    for call in &calls {
        assert_eq!(call.end - call.start, 3600.0);
        for query in &call.queries {
            assert_eq!(query.metric, "CPUUtilization");
            assert_eq!(query.stat, "Average");
            assert_eq!(query.period, 3600, "one period over the window");
        }
    }
    assert_eq!(metrics.len(), 1200);
    for (id, m) in &metrics {
        assert!(m.net_in.points.is_empty(), "{id}: CPU only");
        assert!(m.cpu.points.len() <= 1, "{id}: one point: {m:?}");
        assert_eq!(m.cpu.period_secs, 3600);
    }
    // A summary does not make a series fresh, nor the reverse.
    let series = MetricsQuery::series(ids(1), end, Duration::minutes(60));
    assert_eq!(p.metrics(&series).await.expect("a series").len(), 1);
    assert!(
        p.metrics(&q).await.expect("again").is_empty(),
        "nothing new yet"
    );
    assert_eq!(fake.calls().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_next_token() {
    let fake = FakeCloudWatch::start(Behaviour {
        max_datapoints_per_page: Some(7),
        ..Behaviour::default()
    })
    .await;
    let p = provider("http://127.0.0.1:9", &fake.url, "eu-west-1").await;
    let mut q = window();
    q.instance_ids = ids(3);
    let metrics = p.metrics(&q).await.expect("metrics");
    let calls = fake.calls();
    assert!(calls.len() > 1, "paged answers");
    assert!(calls[1..].iter().all(|c| c.next_token.is_some()));
    assert_eq!(fake.violations(), Vec::<String>::new());
    let expected = expected_timestamps(calls[0].start, calls[0].end, 300).len();
    for (_, m) in &metrics {
        assert_eq!(m.cpu.points.len(), expected);
        assert_eq!(m.net_in.points.len(), expected);
        assert!(
            m.cpu.points.windows(2).all(|w| w[0].0 < w[1].0),
            "time order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_metrics_stay_empty_not_zero() {
    let all = ids(2);
    let fake = FakeCloudWatch::start(Behaviour {
        empty_for: vec![all[1].clone()],
        ..Behaviour::default()
    })
    .await;
    let p = provider("http://127.0.0.1:9", &fake.url, "eu-west-1").await;
    let mut q = window();
    q.instance_ids = all.clone();
    let metrics = p.metrics(&q).await.expect("metrics");
    let empty = metrics
        .iter()
        .find(|(id, _)| *id == all[1])
        .expect("answered");
    assert!(empty.1.cpu.points.is_empty());
    assert!(empty.1.net_in.points.is_empty());
    let full = metrics
        .iter()
        .find(|(id, _)| *id == all[0])
        .expect("answered");
    assert!(!full.1.cpu.points.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_then_reported() {
    let fake = FakeCloudWatch::start(Behaviour {
        throttle_first: 1,
        ..Behaviour::default()
    })
    .await;
    let p = provider("http://127.0.0.1:9", &fake.url, "eu-west-1").await;
    let mut q = window();
    q.instance_ids = ids(1);
    assert_eq!(p.metrics(&q).await.expect("retried").len(), 1);
    assert_eq!(fake.calls().len(), 2);

    let fake = FakeCloudWatch::start(Behaviour {
        always_throttle: true,
        ..Behaviour::default()
    })
    .await;
    let p = provider("http://127.0.0.1:9", &fake.url, "eu-west-1").await;
    let err = p.metrics(&q).await.expect_err("throttled");
    assert_eq!(err.code.as_deref(), Some("Throttling"), "{err}");
    assert_eq!(fake.calls().len(), 3, "bounded retries");
}
