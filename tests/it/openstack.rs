//! The OpenStack provider against a real Keystone (tests/support/keystone.rs)
//! and the Nova / Neutron / Glance / Gnocchi fakes of tests/support/openstack,
//! which validate every token with that Keystone.
//!
//! The provider is built the way hytop builds it: from a `clouds.yaml`
//! found in a directory, through `clouds::find`. Each test has its own
//! Keystone project and user and its own catalog region, so tests sharing
//! the one Keystone never see each other's servers or endpoints.
//!
//! Needs the `.venv` that `./scripts/test` creates (keystone from PyPI).

use hytop_testkit as support;

use std::collections::BTreeMap;

use chrono::Utc;
use hytop::cloud::openstack::OpenStackProvider;
use hytop::cloud::openstack::clouds::{self, Sources};
use hytop::cloud::{MetricsQuery, Provider, Resolution};
use hytop::domain::model::{InstanceState, LaunchSpec};
use support::keystone::{Keystone, KeystoneUser};
use support::openstack::{FakeOpenStack, FakeOptions, Service, TokenCheck};

pub(crate) struct Lab {
    pub(crate) fake: FakeOpenStack,
    region: String,
    pub(crate) user: KeystoneUser,
    dir: tempfile::TempDir,
}

fn keystone() -> &'static Keystone {
    Keystone::shared()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

impl Lab {
    /// Fakes for a fresh project, registered in a region of their own;
    /// `metric` false leaves Gnocchi out of the catalog.
    pub(crate) async fn start(tune: impl FnOnce(&mut FakeOptions), metric: bool) -> Lab {
        let ks = tokio::task::spawn_blocking(keystone)
            .await
            .expect("keystone");
        let mut options = FakeOptions::with(TokenCheck::keystone(ks));
        tune(&mut options);
        let fake = FakeOpenStack::start(options).await;
        let region = unique("r");
        let endpoints: Vec<(&'static str, String)> = fake
            .endpoints()
            .into_iter()
            .filter(|(kind, _)| metric || *kind != "metric")
            .collect();
        let region_for = region.clone();
        let user = tokio::task::spawn_blocking(move || {
            let pairs: Vec<(&str, &str)> =
                endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
            ks.register_region(&region_for, &pairs);
            ks.new_user("os")
        })
        .await
        .expect("register");
        Lab {
            fake,
            region,
            user,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn write_clouds_yaml(&self, auth: &str) {
        let yaml = format!(
            "clouds:\n  lab:\n    auth:\n      auth_url: {}\n{auth}    region_name: {}\n    interface: public\n",
            keystone().auth_url(),
            self.region
        );
        std::fs::write(self.dir.path().join("clouds.yaml"), yaml).expect("write clouds.yaml");
    }

    fn password_auth(&self) -> String {
        format!(
            "      username: {}\n      password: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n",
            self.user.user_name, self.user.password, self.user.project_name
        )
    }

    /// The provider hytop would build for cloud "lab" of this clouds.yaml.
    fn provider(&self) -> OpenStackProvider {
        let sources = Sources {
            env: BTreeMap::new(),
            cwd: Some(self.dir.path().to_path_buf()),
            home: None,
        };
        let profile = clouds::find(&sources, "lab").expect("clouds.yaml entry");
        OpenStackProvider::new("lab", profile, Some(self.region.clone()), None).expect("provider")
    }

    pub(crate) fn password_provider(&self) -> OpenStackProvider {
        self.write_clouds_yaml(&self.password_auth());
        self.provider()
    }

    fn spec(&self, name: &str) -> LaunchSpec {
        LaunchSpec {
            region: self.region.clone(),
            name: name.to_string(),
            count: 1,
            image: "cirros-0.6.2".into(),
            size: "m1.tiny".into(),
            key_name: Some("lab-key".into()),
            security_groups: vec!["default".into()],
            network: Some("private".into()),
            user_data: Some(b"#!/bin/sh\necho hello\n".to_vec()),
            detailed_monitoring: false,
            tags: BTreeMap::from([("hytop:template".to_string(), "os small".to_string())]),
        }
    }
}

fn count_of(counts: &BTreeMap<&'static str, u64>, service: &str) -> u64 {
    counts.get(service).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_auth_lists_every_page_of_the_project() {
    let lab = Lab::start(|o| o.nova_max_limit = 40, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 100);
    // Another project's servers stay out of the listing.
    let other = tokio::task::spawn_blocking(|| keystone().new_user("other"))
        .await
        .unwrap();
    lab.fake.seed(&other.project_id, 5);

    let provider = lab.password_provider();
    let listed = provider.list_instances().await.expect("listing");
    assert_eq!(listed.len(), 100);
    let mut got: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
    got.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    let first = listed
        .iter()
        .find(|i| i.name == "lab-vm-001")
        .expect("named");
    assert_eq!(first.state, InstanceState::Running);
    assert_eq!(first.region, lab.region);
    assert!(first.private_ip.is_some(), "{first:?}");
    assert!(first.launched_at.is_some_and(|t| t < Utc::now()));
    assert_ne!(first.size, "?", "the flavor name comes in the body (2.47)");

    // 100 servers at 40 a page: 3 pages, after one version document.
    let counts = provider.request_counts();
    assert_eq!(count_of(&counts, "identity"), 1, "{counts:?}");
    assert_eq!(count_of(&counts, "compute"), 1 + 3, "{counts:?}");
    let listings: Vec<_> = lab
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/servers/detail"))
        .collect();
    assert_eq!(listings.len(), 3);
    assert!(listings.iter().all(|r| r.status == 200));

    // A second listing reuses the token and the negotiated microversion.
    provider.list_instances().await.expect("again");
    let counts = provider.request_counts();
    assert_eq!(count_of(&counts, "identity"), 1, "{counts:?}");
    assert_eq!(count_of(&counts, "compute"), 1 + 6, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_credentials_are_scoped_to_their_project() {
    let lab = Lab::start(|_| {}, true).await;
    lab.fake.seed(&lab.user.project_id, 3);
    let user = lab.user.clone();
    let (id, secret) = tokio::task::spawn_blocking(move || {
        keystone().create_application_credential(&user, "hytop-test")
    })
    .await
    .unwrap();
    lab.write_clouds_yaml(&format!(
        "      application_credential_id: {id}\n      application_credential_secret: {secret}\n"
    ));
    // auth_type is implied by the application credential fields.
    let provider = lab.provider();
    let listed = provider.list_instances().await.expect("listing");
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|i| i.account == "lab"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_names_the_cloud_and_never_the_password() {
    let lab = Lab::start(|_| {}, true).await;
    lab.write_clouds_yaml(&lab.password_auth().replace(
        &format!("password: {}", lab.user.password),
        "password: not-the-Secret-42",
    ));
    let err = lab.provider().list_instances().await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("401"), "{text}");
    assert!(text.contains("cloud \"lab\""), "{text}");
    assert!(!text.contains("not-the-Secret-42"), "{text}");
    assert_eq!(lab.fake.requests().len(), 0, "no service was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_missing_from_the_catalog_is_reported() {
    let lab = Lab::start(|_| {}, true).await;
    lab.write_clouds_yaml(&lab.password_auth());
    let sources = Sources {
        env: BTreeMap::new(),
        cwd: Some(lab.dir.path().to_path_buf()),
        home: None,
    };
    let profile = clouds::find(&sources, "lab").unwrap();
    let provider =
        OpenStackProvider::new("lab", profile, Some("nowhere".into()), None).expect("provider");
    let err = provider.list_instances().await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("NoEndpoint"));
    assert!(
        err.message.contains("compute endpoint") && err.message.contains("region nowhere"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_goes_build_to_active_and_delete_removes_it() {
    let lab = Lab::start(
        |o| {
            o.build_polls = 2;
            o.delete_polls = 1;
        },
        true,
    )
    .await;
    let provider = lab.password_provider();
    let ids = provider.launch(&lab.spec("web-1")).await.expect("launch");
    assert_eq!(ids.len(), 1);
    let id = &ids[0];

    // The extend key's later expiry goes into the metadata, keeping the rest.
    let later = BTreeMap::from([(
        "hytop:expires".to_string(),
        "2030-01-01T00:00:00Z".to_string(),
    )]);
    provider.set_tags(id, &later).await.expect("metadata");

    let server = lab.fake.server(id).expect("created");
    assert_eq!(server["metadata"]["hytop:expires"], "2030-01-01T00:00:00Z");
    assert_eq!(server["name"], "web-1");
    assert_eq!(server["key_name"], "lab-key");
    assert_eq!(server["metadata"]["hytop:template"], "os small");
    assert_eq!(server["flavor"]["original_name"], "m1.tiny");
    let image = lab.fake.image_id("cirros-0.6.2").unwrap();
    assert_eq!(server["image"]["id"], image.as_str());
    let create = lab
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/servers"))
        .expect("a create request");
    assert_eq!(create.status, 202);

    let mut states = Vec::new();
    for _ in 0..4 {
        let listed = provider.list_instances().await.expect("listing");
        let me = listed.iter().find(|i| &i.id == id).expect("listed");
        states.push(me.state);
    }
    assert_eq!(states[0], InstanceState::Pending, "{states:?}");
    assert_eq!(
        *states.last().unwrap(),
        InstanceState::Running,
        "{states:?}"
    );

    provider
        .terminate(std::slice::from_ref(id))
        .await
        .expect("delete");
    let listed = provider.list_instances().await.expect("listing");
    let me = listed.iter().find(|i| &i.id == id).expect("still deleting");
    assert_eq!(me.state, InstanceState::Stopping);
    let listed = provider.list_instances().await.expect("listing");
    assert!(listed.iter().all(|i| &i.id != id), "gone after deleting");

    // Deleting it again is Nova's own 404.
    let err = provider
        .terminate(std::slice::from_ref(id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404 itemNotFound"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_data_is_base64_and_oversize_is_refused_before_any_request() {
    let lab = Lab::start(|o| o.build_polls = 0, true).await;
    let provider = lab.password_provider();
    let ids = provider.launch(&lab.spec("ud")).await.expect("launch");
    let create = lab
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/servers"))
        .expect("a create request");
    assert_eq!(create.status, 202, "{ids:?}");

    lab.fake.reset_requests();
    let before = provider.request_counts();
    let mut big = lab.spec("too-big");
    big.user_data = Some(vec![b'x'; 60 * 1024]);
    let err = provider.launch(&big).await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UserDataTooLarge"), "{err}");
    assert!(lab.fake.requests().is_empty());
    assert_eq!(provider.request_counts(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floating_ips_are_reused_before_allocated_until_the_pool_runs_out() {
    let lab = Lab::start(
        |o| {
            o.floating_pool_size = 2;
        },
        true,
    )
    .await;
    let ids = lab.fake.seed(&lab.user.project_id, 3);
    let provider = lab.password_provider();

    let first = provider.attach_public_ip(&ids[0]).await.expect("attach a");
    assert!(!first.reused, "nothing to reuse yet");
    let listed = provider.list_instances().await.unwrap();
    let a = listed.iter().find(|i| i.id == ids[0]).unwrap();
    assert_eq!(a.public_ip.as_deref(), Some(first.ip.as_str()));

    // Already associated: refused, nothing allocated.
    let err = provider.attach_public_ip(&ids[0]).await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("AlreadyAssociated"));

    let addresses = provider.list_addresses().await.unwrap();
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].instance_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(addresses[0].pool.as_deref(), Some("i4labnet"));

    // An associated address cannot be released.
    let err = provider
        .release_address(&addresses[0].id)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("InUse"));

    let detached = provider.detach_public_ip(&ids[0]).await.expect("detach");
    assert_eq!(detached, first.ip);
    let addresses = provider.list_addresses().await.unwrap();
    assert_eq!(addresses[0].instance_id, None, "kept, unassociated");

    let reused = provider.attach_public_ip(&ids[1]).await.expect("attach b");
    assert!(reused.reused);
    assert_eq!(reused.ip, first.ip);

    let second = provider
        .attach_public_ip(&ids[0])
        .await
        .expect("attach a again");
    assert!(!second.reused);
    assert_ne!(second.ip, first.ip);

    // Two addresses in the pool, both taken.
    let err = provider.attach_public_ip(&ids[2]).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("409") || text.starts_with("400"), "{text}");
    assert!(
        text.to_lowercase().contains("ip address"),
        "Neutron's own words: {text}"
    );

    // Detach and release: the address is gone from the project.
    provider.detach_public_ip(&ids[1]).await.expect("detach b");
    let free = provider
        .list_addresses()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.instance_id.is_none())
        .expect("a free address");
    provider.release_address(&free.id).await.expect("release");
    let left = provider.list_addresses().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(lab.fake.floating_ips().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_output_is_tailed_to_the_asked_length() {
    let lab = Lab::start(|_| {}, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let text: String = (1..=100).map(|i| format!("boot line {i}\n")).collect();
    lab.fake.console_set(&ids[0], &text);
    let provider = lab.password_provider();
    let out = provider.console_output(&ids[0], 10).await.expect("console");
    let lines: Vec<&str> = out.text.lines().collect();
    assert_eq!(lines.len(), 10, "{lines:?}");
    assert_eq!(lines[0], "boot line 91");
    assert_eq!(lines[9], "boot line 100");
    let action = lab
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/action"))
        .expect("an action request");
    assert_eq!(action.method, "POST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_console_log_sent_whole_is_cut_to_its_tail() {
    // A cloud that ignores `length` sends all of a chatty VM's log on every
    // poll; hytop keeps the end (1 MB of it) and shows the asked lines.
    let lab = Lab::start(|o| o.console_ignores_length = true, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let text: String = (1..=250_000)
        .map(|i| format!("[{i:>8}] \"quoted\" \\ tab\t and ünïcode line {i}\n"))
        .collect();
    assert!(text.len() > 10 * 1024 * 1024);
    lab.fake.console_set(&ids[0], &text);
    let provider = lab.password_provider();
    let out = provider.console_output(&ids[0], 10).await.expect("console");
    let want: Vec<String> = (249_991..=250_000)
        .map(|i| format!("[{i:>8}] \"quoted\" \\ tab\t and ünïcode line {i}"))
        .collect();
    assert_eq!(out.text.lines().collect::<Vec<_>>(), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnocchi_cpu_and_network_for_all_servers_in_few_requests() {
    let lab = Lab::start(|o| o.granularities = vec![10, 60, 3600], true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 30);
    for (i, id) in ids.iter().enumerate() {
        lab.fake.set_cpu_percent(id, 10.0 + i as f64);
        lab.fake.set_net_in_rate(id, 1000.0 * (i + 1) as f64);
    }
    let provider = lab.password_provider();
    provider.list_instances().await.expect("listing");
    let end = Utc::now();
    let query = MetricsQuery {
        instance_ids: ids.clone(),
        start: end - chrono::Duration::minutes(60),
        end,
        resolution: Resolution::Series,
    };
    lab.fake.reset_requests();
    let metrics = provider.metrics(&query).await.expect("metrics");
    assert_eq!(metrics.len(), 30);
    for (i, id) in ids.iter().enumerate() {
        let (_, m) = metrics
            .iter()
            .find(|(mid, _)| mid == id)
            .expect("each server");
        assert_eq!(m.cpu.period_secs, 60, "an hour at 60 s granularity");
        let cpu = m.cpu.latest().expect("cpu points");
        assert!(
            (cpu - (10.0 + i as f64)).abs() < 0.01,
            "{id}: {cpu} % of its vCPUs"
        );
        let net = m.net_in.latest().expect("net points");
        let want = 1000.0 * (i + 1) as f64 * 60.0;
        assert!((net - want).abs() < 1.0, "{id}: {net} bytes per minute");
    }
    // Planning (a search and a metric per kind) happens once; the data is
    // one aggregates request per kind for all 30 servers.
    let first_round = lab.fake.count(Service::Metric);
    assert_eq!(first_round, 4 + 2, "{:#?}", lab.fake.requests());
    lab.fake.reset_requests();
    provider.metrics(&query).await.expect("again");
    assert_eq!(lab.fake.count(Service::Metric), 2);
    assert!(
        lab.fake
            .requests()
            .iter()
            .all(|r| r.path.ends_with("/aggregates") && r.status == 200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnocchi_summaries_are_cpu_only_at_a_coarse_granularity_250_servers_a_call() {
    let lab = Lab::start(|o| o.granularities = vec![10, 60, 300, 3600], true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 600);
    for (i, id) in ids.iter().enumerate() {
        lab.fake.set_cpu_percent(id, 1.0 + (i % 3) as f64);
    }
    let provider = lab.password_provider();
    provider.list_instances().await.expect("listing");
    let window = chrono::Duration::minutes(60);
    let query = MetricsQuery::summary(ids.clone(), Utc::now(), window);
    // Plans first (a search and a metric per kind), then only the data.
    provider.metrics(&query).await.expect("planned");
    lab.fake.reset_requests();
    let metrics = provider.metrics(&query).await.expect("summaries");
    assert_eq!(metrics.len(), 600);
    for (i, id) in ids.iter().enumerate() {
        let (_, m) = metrics
            .iter()
            .find(|(mid, _)| mid == id)
            .expect("each server");
        assert!(m.net_in.points.is_empty(), "a summary is CPU only");
        assert!(m.cpu.points.len() <= 1, "one point at most: {m:?}");
        if m.cpu.points.is_empty() {
            // Not running long enough (or not running) for a rate yet.
            assert!(i >= 300, "an hours-old server has data: {m:?}");
            continue;
        }
        let cpu = m.cpu.latest().expect("a mean");
        assert!((cpu - (1.0 + (i % 3) as f64)).abs() < 0.01, "{id}: {cpu}");
        // The points it averaged are 300 s each; for the older half of the
        // fleet (seeded over the last 6 hours, oldest first) they cover
        // most of the hour.
        assert!(
            m.cpu.period_secs % 300 == 0 && m.cpu.period_secs <= 3900,
            "{m:?}"
        );
        if i < 300 {
            assert!(m.cpu.period_secs >= 2400, "{m:?}");
        }
    }
    let calls = lab.fake.requests();
    // ⌈600 / 250⌉ aggregates calls, all of `cpu` at the 5-minute granularity.
    assert_eq!(calls.len(), 3, "{calls:#?}");
    for call in &calls {
        assert!(call.path.ends_with("/aggregates"), "{call:?}");
        assert!(call.query.contains("granularity=300"), "{call:?}");
    }
    assert_eq!(
        provider.summary_interval(window),
        std::time::Duration::from_secs(300),
        "no new 5-minute datapoint sooner"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_metric_service_in_the_catalog_is_a_quiet_note() {
    let lab = Lab::start(|_| {}, false).await;
    let ids = lab.fake.seed(&lab.user.project_id, 2);
    let provider = lab.password_provider();
    assert_eq!(provider.list_instances().await.unwrap().len(), 2);
    let end = Utc::now();
    let err = provider
        .metrics(&MetricsQuery {
            instance_ids: ids,
            start: end - chrono::Duration::minutes(60),
            end,
            resolution: Resolution::Series,
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some(hytop::cloud::openstack::NO_METRICS_SERVICE)
    );
    assert_eq!(err.message, "no metrics service");
    assert_eq!(lab.fake.count(Service::Metric), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_reports_its_own_error_and_the_rest_keeps_working() {
    let lab = Lab::start(|_| {}, true).await;
    lab.fake.seed(&lab.user.project_id, 2);
    let provider = lab.password_provider();
    provider.list_instances().await.expect("listing");

    lab.fake.fail(Service::Compute, 500);
    let err = provider.list_instances().await.unwrap_err();
    assert!(err.to_string().starts_with("500"), "{err}");
    // Neutron still answers.
    provider.list_addresses().await.expect("addresses");

    lab.fake.clear_failures();
    assert_eq!(provider.list_instances().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_options_list_what_the_project_can_use() {
    let lab = Lab::start(|_| {}, true).await;
    let provider = lab.password_provider();
    let options = provider.launch_options().await.expect("options");
    // Glance pages at 25 by default; every image arrives.
    assert!(options.images.len() > 25, "{}", options.images.len());
    assert!(options.images.iter().any(|c| c.label == "cirros-0.6.2"));
    assert!(options.sizes.iter().any(|c| c.id == "m1.tiny"));
    assert!(options.key_names.iter().any(|c| c.id == "lab-key"));
    // Only internal networks are launch targets.
    assert!(options.networks.iter().any(|c| c.label == "private"));
    assert!(options.networks.iter().all(|c| c.label != "i4labnet"));
    assert!(options.security_groups.iter().any(|c| c.id == "default"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_mid_session_is_replaced_and_the_request_succeeds() {
    let lab = Lab::start(|_| {}, true).await;
    lab.fake.seed(&lab.user.project_id, 2);
    let provider = lab.password_provider();
    provider.list_instances().await.expect("listing");
    let used = lab
        .fake
        .requests()
        .into_iter()
        .find_map(|r| r.token)
        .expect("the provider's token");
    tokio::task::spawn_blocking({
        let used = used.clone();
        move || keystone().revoke(&used)
    })
    .await
    .unwrap();
    lab.fake.reset_requests();

    // Keystone now refuses the token: the fake answers 401, the provider
    // authenticates again and repeats the request.
    assert_eq!(provider.list_instances().await.expect("listing").len(), 2);
    let seen: Vec<(u16, Option<String>)> = lab
        .fake
        .requests()
        .into_iter()
        .map(|r| (r.status, r.token))
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], (401, Some(used.clone())));
    assert_eq!(seen[1].0, 200);
    assert_ne!(seen[1].1.as_deref(), Some(used.as_str()), "a new token");
    assert_eq!(count_of(&provider.request_counts(), "identity"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_renewed_before_it_expires() {
    // A Keystone of its own whose tokens live 8 s.
    let ks = tokio::task::spawn_blocking(|| Keystone::start_with_token_lifetime(8))
        .await
        .unwrap();
    let ks = std::sync::Arc::new(ks);
    let fake = FakeOpenStack::start(FakeOptions::with(TokenCheck::keystone(&ks))).await;
    let endpoints = fake.endpoints();
    let user = tokio::task::spawn_blocking({
        let ks = ks.clone();
        move || {
            let pairs: Vec<(&str, &str)> =
                endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
            ks.register_region("short", &pairs);
            ks.new_user("short")
        }
    })
    .await
    .unwrap();
    fake.seed(&user.project_id, 1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clouds.yaml"),
        format!(
            "clouds:\n  short:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_id: {}\n      user_domain_name: Default\n    region_name: short\n",
            ks.auth_url(),
            user.user_name,
            user.password,
            user.project_id
        ),
    )
    .unwrap();
    let sources = Sources {
        env: BTreeMap::new(),
        cwd: Some(dir.path().to_path_buf()),
        home: None,
    };
    let profile = clouds::find(&sources, "short").unwrap();
    let provider = OpenStackProvider::new("short", profile, Some("short".into()), None).unwrap();
    provider.list_instances().await.expect("listing");
    // Past the renewal point (a quarter of the lifetime before expiry),
    // before the expiry itself: the provider renews instead of being refused.
    tokio::time::sleep(std::time::Duration::from_millis(6500)).await;
    provider.list_instances().await.expect("listing");
    assert_eq!(count_of(&provider.request_counts(), "identity"), 2);
    assert!(
        fake.requests().iter().all(|r| r.status != 401),
        "{:#?}",
        fake.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_behind_an_internal_ca_needs_cacert_or_verify_false() {
    let lab = Lab::start(|_| {}, true).await;
    lab.fake.seed(&lab.user.project_id, 1);
    let proxy = support::tls::TlsProxy::start(keystone().addr());
    let write = |extra: &str| {
        let yaml = format!(
            "clouds:\n  lab:\n    auth:\n      auth_url: {}/v3\n{}    region_name: {}\n{extra}",
            proxy.url(),
            lab.password_auth(),
            lab.region
        );
        std::fs::write(lab.dir.path().join("clouds.yaml"), yaml).expect("clouds.yaml");
    };

    // The campus CA is not a public root: refused, and the line says why.
    write("");
    let err = lab.provider().list_instances().await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("Unreachable"), "{err}");
    assert!(err.message.to_lowercase().contains("certificate"), "{err}");

    // With the CA bundle, over real TLS.
    write(&format!(
        "    cacert: {}\n",
        support::tls::campus_ca().display()
    ));
    assert_eq!(
        lab.provider()
            .list_instances()
            .await
            .expect("listing")
            .len(),
        1
    );

    // Or without checks at all.
    write("    verify: false\n");
    assert_eq!(
        lab.provider()
            .list_instances()
            .await
            .expect("listing")
            .len(),
        1
    );
}
