//! What one full refresh of 1,000 EC2 instances costs: API calls per
//! operation and the time to the first full table, against moto's server
//! and the CloudWatch fake. Run: `./scripts/test --no-run && cargo bench --bench aws_refresh`
//! (needs the .venv that scripts/test creates).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use hytop_testkit as support;

use std::time::Instant;

use chrono::{Duration, Utc};
use hytop::cloud::aws::AwsProvider;
use hytop::cloud::{MetricsQuery, Provider};
use hytop::domain::model::InstanceState;
use support::cloudwatch::{Behaviour, FakeCloudWatch};
use support::moto::MotoServer;

const INSTANCES: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(measure());
}

async fn measure() {
    let moto = MotoServer::start();
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let config = support::aws_sdk_config(&moto.url).await;
    support::moto::run_instances(&moto.url, INSTANCES).await;

    let cw_config = support::aws_sdk_config(&fake.url).await;
    let provider = AwsProvider::with_configs(
        Some("bench".into()),
        support::TEST_REGION,
        &config,
        &cw_config,
    );
    let start = Instant::now();
    let instances = provider.list_instances().await.expect("list");
    let listed = start.elapsed();
    provider.list_addresses().await.expect("addresses");
    let running: Vec<String> = instances
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .map(|i| i.id.clone())
        .collect();
    let end = Utc::now();
    let metrics = provider
        .metrics(&MetricsQuery::series(
            running.clone(),
            end,
            Duration::minutes(60),
        ))
        .await
        .expect("metrics");
    let full = start.elapsed();

    println!(
        "one full refresh of {} instances ({} running):",
        instances.len(),
        running.len()
    );
    for (op, n) in provider.api_calls() {
        println!("  {op:<20} {n:>4} calls");
    }
    println!("  metrics for {} instances", metrics.len());
    println!(
        "time to the first full table (listing): {:.0} ms",
        listed.as_secs_f64() * 1e3
    );
    println!(
        "time to a full refresh (listing, addresses, metrics): {:.0} ms",
        full.as_secs_f64() * 1e3
    );
}
