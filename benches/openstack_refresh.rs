//! What one full refresh of 500 OpenStack servers costs: requests per
//! service and the time from start to the first full table, against a real
//! Keystone and the Nova / Neutron / Glance / Gnocchi fakes (which check
//! every token with that Keystone, as keystonemiddleware would).
//! Run: `./scripts/test --no-run && cargo bench --bench openstack_refresh`
//! (needs the .venv that scripts/test creates).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use hytop_testkit as support;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Duration, Utc};
use hytop::cloud::openstack::OpenStackProvider;
use hytop::cloud::openstack::clouds::{self, Sources};
use hytop::cloud::{MetricsQuery, Provider};
use hytop::domain::model::InstanceState;
use support::keystone::Keystone;
use support::openstack::{FakeOpenStack, FakeOptions, TokenCheck};

const SERVERS: usize = 500;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(measure());
}

fn diff(after: &BTreeMap<&'static str, u64>, before: &BTreeMap<&'static str, u64>) -> String {
    after
        .iter()
        .map(|(k, v)| (k, v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn measure() {
    let ks = tokio::task::spawn_blocking(Keystone::shared)
        .await
        .expect("keystone");
    let fake = FakeOpenStack::start(FakeOptions::with(TokenCheck::keystone(ks))).await;
    let endpoints = fake.endpoints();
    let user = tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&str, &str)> = endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
        ks.register_region("bench", &pairs);
        ks.new_user("bench")
    })
    .await
    .expect("register");
    fake.seed(&user.project_id, SERVERS);

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("clouds.yaml"),
        format!(
            "clouds:\n  bench:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: bench\n",
            ks.auth_url(),
            user.user_name,
            user.password,
            user.project_name
        ),
    )
    .expect("clouds.yaml");
    let sources = Sources {
        env: BTreeMap::new(),
        cwd: Some(dir.path().to_path_buf()),
        home: None,
    };
    let profile = clouds::find(&sources, "bench").expect("profile");

    let start = Instant::now();
    let provider =
        OpenStackProvider::new("bench", profile, Some("bench".into()), None).expect("provider");
    let instances = provider.list_instances().await.expect("list");
    let first_table = start.elapsed();
    provider.list_addresses().await.expect("addresses");
    let running: Vec<String> = instances
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .map(|i| i.id.clone())
        .collect();
    let end = Utc::now();
    let query = MetricsQuery::series(running.clone(), end, Duration::minutes(60));
    let metrics = provider.metrics(&query).await.expect("metrics");
    let first_full = start.elapsed();
    let first_counts = provider.request_counts();

    // A steady-state refresh: token, microversion and metric plans are known.
    let again = Instant::now();
    provider.list_instances().await.expect("list");
    provider.list_addresses().await.expect("addresses");
    provider.metrics(&query).await.expect("metrics");
    let steady = again.elapsed();
    let steady_counts = provider.request_counts();

    println!(
        "{} servers ({} running), {} with metrics",
        instances.len(),
        running.len(),
        metrics.len()
    );
    println!(
        "first refresh requests: {}",
        diff(&first_counts, &BTreeMap::new())
    );
    println!(
        "each later refresh:     {}",
        diff(&steady_counts, &first_counts)
    );
    println!(
        "time to the first full table (auth, version discovery, listing): {:.0} ms",
        first_table.as_secs_f64() * 1e3
    );
    println!(
        "time to the first full refresh (plus floating IPs and metrics): {:.0} ms",
        first_full.as_secs_f64() * 1e3
    );
    println!("a later full refresh: {:.0} ms", steady.as_secs_f64() * 1e3);
}
