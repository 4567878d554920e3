//! How long `hytop list --json` takes next to what a student would type
//! otherwise: `aws ec2 describe-instances` plus `openstack server list`,
//! against the same emulators (moto's server with 1,000 EC2 instances, a
//! real Keystone with the Nova/Neutron/Glance/Gnocchi fakes holding 200
//! servers). Prints the median of a few runs of each and the ratio.
//!
//! Run: `./scripts/test --no-run && cargo bench --bench list_vs_cli`
//! (the .venv that scripts/test creates has moto, keystone, the openstack
//! CLI and the aws CLI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use hytop_testkit as support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::keystone::Keystone;
use support::moto::MotoServer;
use support::openstack::{FakeOpenStack, FakeOptions, TokenCheck};

const AWS_INSTANCES: usize = 1_000;
const OS_SERVERS: usize = 200;
const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let moto = MotoServer::start();
    let ks = Keystone::shared();
    let fake = runtime.block_on(FakeOpenStack::start(FakeOptions::with(
        TokenCheck::keystone(ks),
    )));
    let endpoints = fake.endpoints();
    let pairs: Vec<(&str, &str)> = endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
    ks.register_region("bench", &pairs);
    // The openstack CLI also wants an identity endpoint in its region.
    ks.register_region("bench", &[("identity", &ks.auth_url())]);
    let user = ks.new_user("bench");
    fake.seed(&user.project_id, OS_SERVERS);
    runtime.block_on(support::moto::run_instances(&moto.url, AWS_INSTANCES));

    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let xdg = dir.path().join("config");
    std::fs::create_dir_all(home.join(".aws")).expect("home");
    std::fs::create_dir_all(xdg.join("openstack")).expect("xdg");
    std::fs::write(
        xdg.join("openstack").join("clouds.yaml"),
        format!(
            "clouds:\n  lab:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: bench\n    identity_api_version: 3\n",
            ks.auth_url(),
            user.user_name,
            user.password,
            user.project_name
        ),
    )
    .expect("clouds.yaml");
    let config = dir.path().join("hytop.toml");
    std::fs::write(
        &config,
        format!(
            "[[cloud]]\nname = \"aws\"\nprovider = \"aws\"\nregions = [\"{}\"]\n\n[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\nos_cloud = \"lab\"\n",
            support::TEST_REGION
        ),
    )
    .expect("config");

    let venv = support::keystone::venv();
    let env = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &xdg)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", support::TEST_REGION)
            .env("AWS_DEFAULT_REGION", support::TEST_REGION)
            .env("AWS_ENDPOINT_URL_EC2", &moto.url)
            .env("AWS_PAGER", "")
            .env("OS_CLOUD", "lab");
    };

    let hytop = median(RUNS, || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hytop"));
        cmd.arg("--config").arg(&config).args(["list", "--json"]);
        env(&mut cmd);
        let out = run(cmd);
        let rows: serde_json::Value = serde_json::from_slice(&out).expect("hytop list --json");
        assert_eq!(
            rows.as_array().map(Vec::len),
            Some(AWS_INSTANCES + OS_SERVERS),
            "hytop lists every instance"
        );
    });
    let clis = median(RUNS, || {
        let mut aws = Command::new(venv.join("bin").join("aws"));
        aws.args(["ec2", "describe-instances", "--output", "json"]);
        env(&mut aws);
        let out = run(aws);
        let doc: serde_json::Value = serde_json::from_slice(&out).expect("aws output");
        let n: usize = doc["Reservations"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|r| r["Instances"].as_array().map_or(0, Vec::len))
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(n, AWS_INSTANCES, "the aws CLI lists every instance");
        let mut os = Command::new(venv.join("bin").join("openstack"));
        os.args(["server", "list", "-f", "json"]);
        env(&mut os);
        let out = run(os);
        let list: serde_json::Value = serde_json::from_slice(&out).expect("openstack output");
        assert_eq!(
            list.as_array().map(Vec::len),
            Some(OS_SERVERS),
            "openstack lists every server"
        );
    });
    println!(
        "{AWS_INSTANCES} EC2 instances (moto) + {OS_SERVERS} OpenStack servers (Keystone + fakes), median of {RUNS} runs:"
    );
    println!(
        "  hytop list --json                                  {:>7.0} ms",
        ms(hytop)
    );
    println!(
        "  aws ec2 describe-instances + openstack server list {:>7.0} ms",
        ms(clis)
    );
    println!(
        "  ratio (CLIs / hytop)                               {:>7.1}×",
        clis.as_secs_f64() / hytop.as_secs_f64()
    );
    drop(fake);
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

fn run(mut cmd: Command) -> Vec<u8> {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
