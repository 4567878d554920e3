//! How long `hytop check --all-regions` takes to sweep every region moto's
//! server reports (one instance forgotten in ap-south-1, the config showing
//! eu-west-1 only), next to the plain `hytop check` of the one configured
//! region and to the loop a student would otherwise write: `aws ec2
//! describe-regions`, then `aws ec2 describe-instances --region R` for
//! each. Prints the medians, the regions swept and the ratio.
//!
//! Run: `./scripts/test --no-run && cargo bench --bench sweep`
//! (the .venv that scripts/test creates has moto and the aws CLI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benches fail loudly

use hytop_testkit as support;

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::InstanceType;
use support::moto::MotoServer;

const RUNS: usize = 5;
const CLI_RUNS: usize = 3;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let moto = MotoServer::start();
    runtime.block_on(support::moto::run_instances(&moto.url, 2));
    let stray = runtime.block_on(async {
        let config = support::aws_sdk_config(&moto.url)
            .await
            .into_builder()
            .region(aws_config::Region::new("ap-south-1"))
            .build();
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let images = ec2.describe_images().owners("amazon").send().await.unwrap();
        let image = images.images()[0].image_id().unwrap().to_string();
        let out = ec2
            .run_instances()
            .image_id(image)
            .instance_type(InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .unwrap();
        out.instances()[0].instance_id().unwrap().to_string()
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let config = dir.path().join("hytop.toml");
    std::fs::write(
        &config,
        format!(
            "[[cloud]]\nname = \"aws\"\nprovider = \"aws\"\nregions = [\"{}\"]\n",
            support::TEST_REGION
        ),
    )
    .expect("config");
    let env = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", support::TEST_REGION)
            .env("AWS_DEFAULT_REGION", support::TEST_REGION)
            .env("AWS_ENDPOINT_URL_EC2", &moto.url)
            .env("AWS_PAGER", "");
    };
    let hytop = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hytop"));
        cmd.arg("--config").arg(&config).args(args);
        env(&mut cmd);
        cmd.output().expect("run hytop")
    };

    let plain = median(RUNS, || {
        let out = hytop(&["check"]);
        assert_eq!(out.status.code(), Some(0), "fresh instances only");
    });
    let mut summary = String::new();
    let swept = median(RUNS, || {
        let out = hytop(&["check", "--all-regions"]);
        assert_eq!(out.status.code(), Some(1), "the stray is flagged");
        assert!(String::from_utf8_lossy(&out.stdout).contains(&stray));
        summary = String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
    });
    let regions: usize = summary
        .strip_prefix("hytop: swept ")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the summary names how many regions");

    let aws = support::keystone::venv().join("bin").join("aws");
    let loop_of_clis = median(CLI_RUNS, || {
        let mut list = Command::new(&aws);
        list.args([
            "ec2",
            "describe-regions",
            "--query",
            "Regions[].RegionName",
            "--output",
            "text",
        ]);
        env(&mut list);
        let out = list.output().expect("aws describe-regions");
        let names = String::from_utf8_lossy(&out.stdout).to_string();
        let mut found = false;
        for region in names.split_whitespace() {
            let mut each = Command::new(&aws);
            each.args([
                "ec2",
                "describe-instances",
                "--region",
                region,
                "--output",
                "json",
            ]);
            env(&mut each);
            let out = each.output().expect("aws describe-instances");
            found |= String::from_utf8_lossy(&out.stdout).contains(&stray);
        }
        assert!(found, "the loop finds the stray too");
    });

    println!(
        "moto's server, 2 instances in eu-west-1 (configured), 1 in ap-south-1; median of {RUNS} runs:"
    );
    println!(
        "  hytop check (the configured region)       {:>8.0} ms",
        ms(plain)
    );
    println!(
        "  hytop check --all-regions ({regions} regions)    {:>8.0} ms",
        ms(swept)
    );
    println!(
        "  aws describe-regions + describe-instances per region, in a loop (median of {CLI_RUNS}) {:>8.0} ms",
        ms(loop_of_clis)
    );
    println!(
        "  ratio (CLI loop / hytop --all-regions)    {:>8.1}×",
        loop_of_clis.as_secs_f64() / swept.as_secs_f64()
    );
    println!("  last summary: {summary}");
    drop(moto);
    drop(runtime);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}
