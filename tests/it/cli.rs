//! `hytop list` and `hytop check` through the real binary: on the built-in
//! simulator, on moto's EC2 (with the CloudWatch fake), and on a real
//! Keystone with the Nova/Neutron/Glance/Gnocchi fakes. The binary finds
//! every cloud only through its environment and files, as a user's would:
//! it runs with a cleared environment, `HOME` and the XDG dirs in a
//! temporary directory.
//!
//! The moto and OpenStack tests need the `.venv` that `./scripts/test`
//! creates (or `HYTOP_TEST_VENV`).

use hytop_testkit as support;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::TEST_REGION;
use support::cloudwatch::{Behaviour, FakeCloudWatch};
use support::keystone::{Keystone, KeystoneUser};
use support::moto::MotoServer;
use support::openstack::{FakeOpenStack, FakeOptions, Service, TokenCheck};

/// The fields every object of `list --json` has.
const FIELDS: [&str; 23] = [
    "cloud",
    "endpoint",
    "provider",
    "region",
    "id",
    "name",
    "state",
    "cloud_state",
    "size",
    "image",
    "image_name",
    "key_name",
    "public_ip",
    "private_ip",
    "launched_at",
    "age_seconds",
    "vcpus",
    "memory_mb",
    "tags",
    "volumes",
    "hourly_cost_usd",
    "cost_so_far_usd",
    "flags",
];

/// A temporary home: config.toml, XDG config and data dirs, HOME.
struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::Builder::new()
            .prefix("hytop-cli-")
            .tempdir()
            .expect("temporary directory");
        for sub in ["config", "data", "home"] {
            fs::create_dir_all(dir.path().join(sub)).expect("dir");
        }
        fs::write(dir.path().join("config.toml"), config).expect("config.toml");
        Home {
            dir,
            env: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> String {
        self.path("config.toml").display().to_string()
    }

    fn with(mut self, key: &str, value: impl Into<String>) -> Home {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Runs hytop with `args` and nothing of the test's environment but PATH.
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hytop"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output().expect("run hytop");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: started.elapsed(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `hytop --config <config.toml> <args>`.
    fn hytop(&self, args: &[&str]) -> Run {
        let config = self.config();
        let mut all = vec!["--config", config.as_str()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.path("data").join("hytop").join("hytop.log")).unwrap_or_default()
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
    args: Vec<String>,
}

impl Run {
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit status of hytop {:?}:\n{self:#?}",
            self.args
        );
        self
    }

    /// stdout as the JSON array of `list --json`.
    fn json(&self) -> Vec<Value> {
        match serde_json::from_str::<Value>(&self.stdout) {
            Ok(Value::Array(items)) => items,
            other => panic!("`list --json` printed no JSON array ({other:?}):\n{self:#?}"),
        }
    }
}

fn sim_config(clouds: &[(&str, &str)]) -> String {
    let mut text = String::from("# written by tests/it/cli.rs\n");
    for (name, sim) in clouds {
        // No latency unless the cloud sets its own.
        let latency = if sim.contains("latency_ms") {
            ""
        } else {
            "latency_ms = 0\n"
        };
        text.push_str(&format!(
            "\n[[cloud]]\nname = \"{name}\"\nprovider = \"simulator\"\nsimulate = \"aws\"\nregions = [\"eu-west-1\"]\n[cloud.sim]\nseed = 3\n{latency}{sim}\n"
        ));
    }
    text
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect()
}

fn assert_fields(item: &Value) {
    let object = item.as_object().expect("an object");
    let have: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = FIELDS.into_iter().collect();
    assert_eq!(have, want, "the fields of {item:#}");
}

// ---------------------------------------------------------------------------
// The simulator

#[test]
fn sim_list_json_has_every_field_and_flags_only_age() {
    let home = Home::new(&sim_config(&[("sim", "instances = 3")]));
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "", "nothing on stderr: {run:#?}");
    let items = run.json();
    assert_eq!(items.len(), 3, "{}", run.stdout);
    for item in &items {
        assert_fields(item);
        assert_eq!(item["cloud"], "sim");
        assert_eq!(item["endpoint"], "sim/eu-west-1");
        assert_eq!(item["provider"], "aws");
        assert_eq!(item["region"], "eu-west-1");
        assert!(
            item["id"].as_str().is_some_and(|id| id.starts_with("i-")),
            "{item:#}"
        );
        let state = item["state"].as_str().expect("state");
        assert!(
            [
                "pending",
                "running",
                "stopping",
                "stopped",
                "terminated",
                "error"
            ]
            .contains(&state),
            "{item:#}"
        );
        assert!(item["tags"].is_object(), "{item:#}");
        let launched = item["launched_at"].as_str().expect("launched_at");
        assert!(
            chrono::DateTime::parse_from_rfc3339(launched).is_ok(),
            "RFC 3339: {launched}"
        );
        assert!(item["age_seconds"].as_i64().is_some(), "{item:#}");
        for flag in item["flags"].as_array().expect("flags") {
            let rule = flag["rule"].as_str().expect("rule");
            assert!(
                ["old", "expired"].contains(&rule),
                "list judges no idleness: {flag}"
            );
            assert!(flag["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
    }
    // Sorted by cloud, endpoint, name, id.
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    // The days-old instance of the simulator's fleet is flagged old, priced.
    let old = items
        .iter()
        .find(|i| i["age_seconds"].as_i64().is_some_and(|a| a > 2 * 86_400))
        .expect("a days-old instance");
    assert_eq!(old["flags"][0]["rule"], "old", "{old:#}");
    assert!(
        old["flags"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("longer than 8h")),
        "{old:#}"
    );
    assert!(
        old["hourly_cost_usd"].as_f64().is_some_and(|d| d > 0.0),
        "{old:#}"
    );
    assert!(
        old["cost_so_far_usd"].as_f64().is_some_and(|d| d > 0.0),
        "{old:#}"
    );
    // Logs go to the log file, not to the terminal.
    assert!(
        home.log().contains("hytop command starting"),
        "log: {}",
        home.log()
    );
}

#[test]
fn sim_list_prints_an_aligned_table() {
    let home = Home::new(&sim_config(&[("sim", "instances = 3")]));
    let json = home.hytop(&["list", "--json"]);
    let items = json.expect_code(0).json();
    let run = home.hytop(&["list"]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three rows:\n{}", run.stdout);
    let header = lines[0];
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "CLOUD",
            "ENDPOINT",
            "NAME",
            "ID",
            "STATE",
            "TYPE",
            "PUBLIC-IP",
            "AGE",
            "EST.COST",
            "FLAGS"
        ]
    );
    let id_at = header.find("ID").expect("ID");
    for (line, item) in lines[1..].iter().zip(&items) {
        let id = item["id"].as_str().expect("id");
        assert_eq!(line.find(id), Some(id_at), "aligned:\n{}", run.stdout);
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..2], ["sim", "sim/eu-west-1"], "{line}");
        assert_eq!(words.len(), 10, "every cell filled: {line}");
    }
}

#[test]
fn sim_check_names_the_forgotten_and_exits_1() {
    let home = Home::new(&sim_config(&[("sim", "instances = 3")]));
    let items = home.hytop(&["list", "--json"]).json();
    let old = items
        .iter()
        .find(|i| i["age_seconds"].as_i64().is_some_and(|a| a > 2 * 86_400))
        .expect("a days-old instance");
    let old_id = old["id"].as_str().expect("id");

    let run = home.hytop(&["check"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "", "{run:#?}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(old_id))
        .unwrap_or_else(|| panic!("no line names {old_id}:\n{}", run.stdout));
    let name = old["name"].as_str().expect("name");
    assert!(
        line.starts_with(&format!("sim/eu-west-1 {name} {old_id} running ")),
        "{line}"
    );
    assert!(line.contains("longer than 8h"), "{line}");
    // The simulator's days-old instances idle: check fetched their metrics.
    assert!(
        line.contains("; idle: ") && line.contains("% CPU over the last hour"),
        "{line}"
    );
    // The simulator keeps one address allocated but unassociated.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("sim/eu-west-1 address ")
                && l.ends_with(": allocated but not associated")),
        "{}",
        run.stdout
    );
    // And one volume attached to nothing.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("sim/eu-west-1 volume old-scratch vol-")
                && l.ends_with("(30 GiB gp3, $0.0036/h): allocated, attached to nothing")),
        "{}",
        run.stdout
    );
    // Only flagged instances are named.
    for item in &items {
        let id = item["id"].as_str().expect("id");
        let flagged = !item["flags"].as_array().expect("flags").is_empty();
        if !flagged && item["state"] != "running" {
            assert!(
                !run.stdout.contains(id),
                "{id} is not flagged:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn demo_check_names_the_server_that_holds_its_flavor() {
    let home = Home::new("");
    let run = home.run(&["--demo", "check"]);
    run.expect_code(1);
    // The demo's db-1 has been SHUTOFF for three days.
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("lab/lab db-1 ") || l.starts_with("lab db-1 "))
        .unwrap_or_else(|| panic!("no line for db-1:\n{}", run.stdout));
    assert!(
        line.contains(" stopped ") && line.ends_with(": shelve or delete it"),
        "{line}"
    );
    assert!(line.contains("still holds 1 vCPU"), "{line}");
    let items = home.run(&["--demo", "list", "--json"]).json();
    let db = items
        .iter()
        .find(|i| i["cloud_state"] == "SHUTOFF" && i["name"] == "db-1")
        .expect("db-1 listed");
    assert_eq!(db["flags"][0]["rule"], "stopped_holding", "{db:#}");
}

/// The demo's instances by name and endpoint, from `list --json`.
fn demo_id(home: &Home, endpoint: &str, name: &str) -> String {
    let items = home.run(&["--demo", "list", "--json"]).json();
    items
        .iter()
        .find(|i| i["endpoint"] == endpoint && i["name"] == name)
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no {name} on {endpoint}"))
        .to_string()
}

#[test]
fn demo_doctor_exit_codes_say_what_it_found() {
    let home = Home::new("");
    // The test key the simulated key pair belongs to, as ssh wants it.
    let ssh = home.path("home").join(".ssh");
    fs::create_dir_all(&ssh).expect("~/.ssh");
    let key = ssh.join("lab-key");
    fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/keys/lab-key"),
        &key,
    )
    .expect("the test key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    // db-1 in eu-west-1 has a public address, 22 open, our key: nothing fails.
    let db = demo_id(&home, "demo-aws/eu-west-1", "db-1");
    let run = home.run(&["--demo", "doctor", &db, "--probe"]);
    run.expect_code(0);
    for line in [
        "✓ state ",
        "✓ address ",
        "✓ security groups 22/tcp open to 0.0.0.0/0 by sg lab-ssh",
        "✓ key ",
        "✓ login user ",
        "✓ probe ",
    ] {
        assert!(
            run.stdout.contains(line),
            "{line:?} missing:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("-----BEGIN"), "no key material");

    // cache-1 there keeps 22 closed: exit 1, with the command that opens it.
    let closed = demo_id(&home, "demo-aws/eu-west-1", "cache-1");
    let run = home.run(&["--demo", "doctor", &closed, "--json"]);
    run.expect_code(1);
    let report: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["exit_code"], 1);
    let checks = report["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 7, "no probe unless asked");
    let sg = checks
        .iter()
        .find(|c| c["check"] == "security_groups")
        .expect("the security groups");
    assert_eq!(sg["verdict"], "fail", "{sg:#}");
    assert!(
        sg["fix"].as_str().is_some_and(|f| f.contains(
            "aws ec2 authorize-security-group-ingress --region eu-west-1 --group-id sg-"
        )),
        "{sg:#}"
    );

    // A name three instances share: exit 2, each named by its id.
    let run = home.run(&["--demo", "doctor", "build-1"]);
    run.expect_code(2);
    assert!(
        run.stdout.starts_with("3 instances are called build-1"),
        "{run:#?}"
    );
    assert_eq!(run.stdout.lines().count(), 4, "{}", run.stdout);
    // Nobody of that name: exit 2, said on stderr.
    let run = home.run(&["--demo", "doctor", "nobody"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("no instance is called nobody"),
        "{run:#?}"
    );
}

#[test]
fn sim_check_is_quiet_when_nothing_is_flagged() {
    let home = Home::new(&sim_config(&[("empty", "instances = 0\naddress_pool = 0")]));
    let run = home.hytop(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "", "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(0);
    assert!(run.json().is_empty());
}

#[test]
fn sim_failures_are_exit_2_and_the_other_clouds_still_print() {
    let home = Home::new(&sim_config(&[
        ("good", "instances = 3"),
        ("down", "instances = 3\nfailure_rate = 1.0"),
    ]));
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(
            "hytop: down/eu-west-1: SimulatedFailure: simulated outage of down/eu-west-1"
        ),
        "{run:#?}"
    );
    let items = run.json();
    assert_eq!(items.len(), 3, "{}", run.stdout);
    assert!(items.iter().all(|i| i["cloud"] == "good"), "{}", run.stdout);

    let run = home.hytop(&["check"]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("hytop: down/eu-west-1: SimulatedFailure"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("longer than"),
        "what could be judged is printed: {run:#?}"
    );

    // Only the failing cloud: nothing to print, still exit 2.
    let run = home.hytop(&["check", "--cloud", "down"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("hytop: down/eu-west-1: SimulatedFailure"),
        "{run:#?}"
    );
}

#[test]
fn sim_a_cloud_that_does_not_answer_times_out() {
    let home = Home::new(&sim_config(&[
        ("fast", "instances = 2"),
        ("slow", "instances = 2\nlatency_ms = 20000"),
    ]));
    let run = home.hytop(&["list", "--timeout", "1"]);
    run.expect_code(2);
    assert!(
        run.took < Duration::from_secs(10),
        "gave up in time: {run:#?}"
    );
    assert!(
        run.stderr
            .contains("hytop: slow/eu-west-1: timed out after 1 s"),
        "{run:#?}"
    );
    assert_eq!(
        run.stdout.lines().count(),
        3,
        "the fast cloud is listed: {run:#?}"
    );
}

#[test]
fn cloud_filter_keeps_the_named_clouds() {
    let home = Home::new(&sim_config(&[
        ("one", "instances = 2"),
        ("two", "instances = 3"),
    ]));
    let all = home.hytop(&["list", "--json"]);
    assert_eq!(all.expect_code(0).json().len(), 5);
    let run = home.hytop(&["list", "--json", "--cloud", "two"]);
    let items = run.expect_code(0).json();
    assert_eq!(items.len(), 3, "{}", run.stdout);
    assert!(items.iter().all(|i| i["cloud"] == "two"));
    let run = home.hytop(&["list", "--json", "--cloud", "two", "--cloud", "one"]);
    assert_eq!(run.expect_code(0).json().len(), 5);

    let run = home.hytop(&["list", "--cloud", "three"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr.trim_end(),
        "hytop: no cloud named \"three\" in the config; known clouds: one, two"
    );
    home.hytop(&["check", "--cloud", "three"]).expect_code(2);
}

#[test]
fn demo_list_json_works_before_and_after_the_command() {
    let home = Home::new("");
    let after = home.run(&["list", "--demo", "--json"]);
    let before = home.run(&["--demo", "list", "--json"]);
    let after = after.expect_code(0).json();
    let before = before.expect_code(0).json();
    assert_eq!(ids(&after), ids(&before), "the demo's fleet is fixed");
    let clouds: BTreeSet<&str> = after.iter().filter_map(|i| i["cloud"].as_str()).collect();
    assert_eq!(clouds, BTreeSet::from(["demo-aws", "lab"]));
    let providers: BTreeSet<&str> = after
        .iter()
        .filter_map(|i| i["provider"].as_str())
        .collect();
    assert_eq!(providers, BTreeSet::from(["aws", "openstack"]));
    after.iter().for_each(assert_fields);

    let lab = home.run(&["--demo", "list", "--json", "--cloud", "lab"]);
    let lab = lab.expect_code(0).json();
    assert!(!lab.is_empty());
    assert!(lab.iter().all(|i| i["provider"] == "openstack"));
    // --demo and --config exclude each other wherever they are given.
    let run = home.run(&["list", "--demo", "--config", &home.config()]);
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{run:#?}");
}

#[test]
fn config_errors_are_exit_2() {
    let home = Home::new("refresh_secs = 0\n");
    let run = home.hytop(&["check"]);
    run.expect_code(2);
    assert!(
        run.stderr.starts_with("hytop: ") && run.stderr.contains("refresh_secs must be at least 1"),
        "{run:#?}"
    );
    assert_eq!(run.stdout, "");
    let missing = home.path("nope.toml").display().to_string();
    let run = home.run(&["list", "--config", &missing]);
    run.expect_code(2);
    assert!(run.stderr.contains("does not exist"), "{run:#?}");
    let run = Home::new("").hytop(&["list"]);
    run.expect_code(2);
    assert!(run.stderr.contains("no clouds configured"), "{run:#?}");
}

// ---------------------------------------------------------------------------
// AWS: moto's EC2 and the CloudWatch fake

fn aws_config(cost: &str) -> String {
    format!(
        "# written by tests/it/cli.rs\n{cost}\n[[cloud]]\nname = \"moto\"\nprovider = \"aws\"\nregions = [\"{TEST_REGION}\"]\n"
    )
}

struct Aws {
    /// Dropped before the runtime it serves on.
    cloudwatch: FakeCloudWatch,
    moto: MotoServer,
    ids: Vec<String>,
    rt: tokio::runtime::Runtime,
}

impl Aws {
    /// moto with two running instances, and the CloudWatch fake.
    fn start() -> Aws {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let moto = MotoServer::start();
        let cloudwatch = rt.block_on(FakeCloudWatch::start(Behaviour::default()));
        let ids = rt.block_on(async {
            let mut ids = Vec::new();
            for name in ["alpha-cli", "bravo-cli"] {
                ids.push(sweep::run_in(&moto.url, TEST_REGION, name).await);
            }
            ids
        });
        Aws {
            cloudwatch,
            moto,
            ids,
            rt,
        }
    }

    fn home(&self, config: &str) -> Home {
        Home::new(config)
            .with("AWS_ACCESS_KEY_ID", "testing")
            .with("AWS_SECRET_ACCESS_KEY", "testing")
            .with("AWS_REGION", TEST_REGION)
            .with("AWS_ENDPOINT_URL_EC2", self.moto.url.clone())
            .with("AWS_ENDPOINT_URL_CLOUDWATCH", self.cloudwatch.url.clone())
    }
}

#[test]
fn moto_list_json_shows_the_instances() {
    let aws = Aws::start();
    let home = aws.home(&aws_config(""));
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "", "{run:#?}");
    let items = run.json();
    assert_eq!(
        ids(&items),
        aws.ids.iter().cloned().collect(),
        "{}",
        run.stdout
    );
    for item in &items {
        assert_fields(item);
        assert_eq!(item["provider"], "aws");
        assert_eq!(item["cloud"], "moto");
        assert_eq!(item["endpoint"], format!("default/{TEST_REGION}"));
        assert_eq!(item["size"], "t3.micro");
        assert_eq!(item["state"], "running", "{item:#}");
        assert!(
            item["image_name"].as_str().is_some_and(|n| !n.is_empty()),
            "moto's AMIs are named: {item:#}"
        );
        assert_eq!(item["flags"], serde_json::json!([]), "fresh: {item:#}");
        // moto gives each instance an 8 GiB gp2 root volume and a public
        // IPv4 address: both bill on top of the t3.micro.
        assert_eq!(
            item["volumes"][0]["size_gb"], 8,
            "the root volume: {item:#}"
        );
        assert_eq!(item["volumes"][0]["type"], "gp2");
        assert_eq!(item["volumes"][0]["delete_on_termination"], true);
        let ipv4 = if item["public_ip"].is_string() {
            0.005
        } else {
            0.0
        };
        let want = 0.0114 + 8.0 * 0.11 / 730.0 + ipv4;
        let got = item["hourly_cost_usd"].as_f64().unwrap_or(0.0);
        assert!(
            (got - want).abs() < 1e-9,
            "t3.micro + 8 GiB gp2 + IPv4: {got} != {want}"
        );
    }
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["alpha-cli", "bravo-cli"]);

    let table = home.hytop(&["list"]);
    table.expect_code(0);
    assert!(
        aws.ids.iter().all(|id| table.stdout.contains(id)),
        "{}",
        table.stdout
    );
    drop(aws.rt);
}

#[test]
fn moto_a_stopped_instance_still_costs_and_a_loose_volume_is_flagged() {
    let aws = Aws::start();
    let stopped = aws.ids[0].clone();
    let loose = aws.rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&support::aws_sdk_config(&aws.moto.url).await);
        ec2.stop_instances()
            .instance_ids(&stopped)
            .send()
            .await
            .expect("stop");
        let made = ec2
            .create_volume()
            .availability_zone(format!("{TEST_REGION}a"))
            .size(100)
            .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
            .send()
            .await
            .expect("create volume");
        made.volume_id().expect("an id").to_string()
    });
    let home = aws.home(&aws_config(""));
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(0);
    let items = run.json();
    let item = items
        .iter()
        .find(|i| i["id"] == stopped.as_str())
        .expect("the stopped instance is listed");
    assert_eq!(item["state"], "stopped", "{item:#}");
    // No compute, but its 8 GiB gp2 root volume bills on (and an address
    // moto left it, if any).
    let ipv4 = if item["public_ip"].is_string() {
        0.005
    } else {
        0.0
    };
    let want = 8.0 * 0.11 / 730.0 + ipv4;
    let got = item["hourly_cost_usd"].as_f64().unwrap_or(0.0);
    assert!(got > 0.0, "a stopped instance still costs: {item:#}");
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
    assert_eq!(item["cost_so_far_usd"], Value::Null);

    let run = home.hytop(&["check"]);
    run.expect_code(1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&loose))
        .unwrap_or_else(|| panic!("no line for {loose}: {run:#?}"));
    assert_eq!(
        line,
        format!(
            "default/{TEST_REGION} volume {loose} (100 GiB gp3, $0.0121/h): allocated, attached to nothing"
        )
    );
    drop(aws.rt);
}

#[test]
fn moto_doctor_runs_every_check_and_exits_1() {
    let aws = Aws::start();
    let home = aws.home(&aws_config(""));
    let id = aws.ids[0].clone();
    let run = home.hytop(&["doctor", &id, "--json"]);
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"));
    assert_eq!(
        report["checks"].as_array().map(Vec::len),
        Some(7),
        "{report:#}"
    );
    assert_eq!(verdict_of(&report, "state"), "pass", "{report:#}");
    // moto lists these instances (launched without groups) in none.
    assert_eq!(verdict_of(&report, "security_groups"), "fail", "{report:#}");
    assert_eq!(report["exit_code"], 1, "{report:#}");
    run.expect_code(1);
    // The plain text says it in words (the fix with real group ids is
    // tests/it/aws_doctor.rs's, for an instance in moto's default group).
    let run = home.hytop(&["doctor", &id]);
    run.expect_code(1);
    for line in [
        "✗ security groups the instance is in no security group",
        "✗ key             the instance was launched without a key pair",
    ] {
        assert!(run.stdout.contains(line), "{line:?}: {run:#?}");
    }
    drop(aws.rt);
}

#[test]
fn moto_check_flags_instances_older_than_max_age() {
    let aws = Aws::start();
    // Fresh instances: not old, and too young to be judged idle.
    let run = aws.home(&aws_config("")).hytop(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "", "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
    assert!(
        aws.cloudwatch.calls().is_empty(),
        "no instance is old enough for metrics"
    );

    // A limit of a third of a second: both are old by now.
    std::thread::sleep(Duration::from_secs(1));
    let run = aws
        .home(&aws_config("[cost]\nmax_age_hours = 0.0001\n"))
        .hytop(&["check"]);
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:#?}");
    for (line, id) in lines.iter().zip(&aws.ids) {
        assert!(
            line.starts_with(&format!("default/{TEST_REGION} "))
                && line.contains(&format!(" {id} running ")),
            "{line}"
        );
        assert!(line.contains(", longer than 0s"), "{line}");
    }
    drop(aws.rt);
}

#[test]
fn an_incomplete_ec2_listing_is_exit_2_with_its_error() {
    use support::faults::{FaultServer, Reply, ec2};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let full = ec2::describe_instances(&[ec2::instance("i-0aaaaaaaaaaaaaaaa")], None);
    let cut = full.find("<instanceId>").expect("an id") + "<instanceId>i-0a".len();
    let cases = [
        ("cut inside <instanceId>", full[..cut].to_string()),
        (
            "no state",
            full.replace(
                "<instanceState><code>16</code><name>running</name></instanceState>",
                "",
            ),
        ),
        (
            "no launch time",
            full.replace("<launchTime>2026-01-05T10:00:00.000Z</launchTime>", ""),
        ),
        ("unclosed", full.replace("</DescribeInstancesResponse>", "")),
    ];
    for (what, body) in cases {
        assert_ne!(body, full, "{what}: the answer was changed");
        let server = rt.block_on(FaultServer::start(ec2::listing(move |_| {
            Reply::xml(200, body.clone())
        })));
        let home = Home::new(&aws_config(""))
            .with("AWS_ACCESS_KEY_ID", "testing")
            .with("AWS_SECRET_ACCESS_KEY", "testing")
            .with("AWS_REGION", TEST_REGION)
            .with("AWS_ENDPOINT_URL_EC2", server.url.clone())
            .with("AWS_ENDPOINT_URL_CLOUDWATCH", server.url.clone());
        let run = home.hytop(&["list", "--json"]);
        run.expect_code(2);
        assert!(
            run.stderr
                .contains(&format!("default/{TEST_REGION}: BadResponse: ")),
            "{what}: {run:#?}"
        );
        assert!(run.json().is_empty(), "{what}: nothing made up: {run:#?}");
    }
    drop(rt);
}

// ---------------------------------------------------------------------------
// OpenStack: a real Keystone and the Nova/Neutron/Glance/Gnocchi fakes

const OS_CLOUD: &str = "lab";

struct OpenStack {
    fake: FakeOpenStack,
    user: KeystoneUser,
    region: String,
    servers: Vec<String>,
    rt: tokio::runtime::Runtime,
}

impl OpenStack {
    /// Keystone with a region whose services are the fakes, and a user whose
    /// project has two servers.
    fn start() -> OpenStack {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let ks = Keystone::shared();
        let options = FakeOptions::with(TokenCheck::keystone(ks));
        let fake = rt.block_on(FakeOpenStack::start(options));
        let region = format!("cli-{}", uuid::Uuid::new_v4().simple());
        let endpoints = fake.endpoints();
        let pairs: Vec<(&str, &str)> = endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
        ks.register_region(&region, &pairs);
        let user = ks.new_user("cli");
        let servers = fake.seed(&user.project_id, 2);
        OpenStack {
            fake,
            user,
            region,
            servers,
            rt,
        }
    }

    fn label(&self) -> String {
        format!("{OS_CLOUD}/{}", self.region)
    }

    /// clouds.yaml and secure.yaml where the openstack CLI finds them.
    fn home(&self, cost: &str) -> Home {
        let home = Home::new(&format!(
            "# written by tests/it/cli.rs\n{cost}\n[[cloud]]\nname = \"{OS_CLOUD}\"\nprovider = \"openstack\"\n"
        ));
        let dir = home.path("config").join("openstack");
        fs::create_dir_all(&dir).expect("openstack config dir");
        fs::write(
            dir.join("clouds.yaml"),
            format!(
                "clouds:\n  {OS_CLOUD}:\n    auth:\n      auth_url: {}\n      username: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: {}\n",
                Keystone::shared().auth_url(),
                self.user.user_name,
                self.user.project_name,
                self.region
            ),
        )
        .expect("clouds.yaml");
        fs::write(
            dir.join("secure.yaml"),
            format!(
                "clouds:\n  {OS_CLOUD}:\n    auth:\n      password: {}\n",
                self.user.password
            ),
        )
        .expect("secure.yaml");
        home
    }
}

#[test]
fn openstack_list_json_shows_the_servers() {
    let os = OpenStack::start();
    let home = os.home("");
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "", "{run:#?}");
    let items = run.json();
    assert_eq!(
        ids(&items),
        os.servers.iter().cloned().collect(),
        "{}",
        run.stdout
    );
    for item in &items {
        assert_fields(item);
        assert_eq!(item["provider"], "openstack");
        assert_eq!(item["cloud"], OS_CLOUD);
        assert_eq!(item["endpoint"], os.label());
        assert_eq!(item["state"], "running");
        assert_eq!(item["cloud_state"], "ACTIVE");
        assert!(item["vcpus"].as_u64().is_some_and(|v| v >= 1), "{item:#}");
        assert!(item["memory_mb"].as_u64().is_some(), "{item:#}");
        assert_eq!(item["tags"]["course"], "i4lab", "Nova metadata: {item:#}");
        assert!(
            matches!(
                item["image_name"].as_str(),
                Some("cirros-0.6.2" | "ubuntu-24.04")
            ),
            "Glance's name: {item:#}"
        );
        assert_eq!(
            item["hourly_cost_usd"],
            Value::Null,
            "flavors have no price"
        );
    }
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["lab-vm-001", "lab-vm-002"]);
    assert!(
        !home.log().contains(&os.user.password),
        "no password in the log"
    );
    drop(os.rt);
}

/// The verdict of `check` in a `doctor --json` report.
fn verdict_of<'a>(report: &'a Value, check: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["check"] == check))
        .map(|f| &f["verdict"])
        .unwrap_or_else(|| panic!("no {check} in {report:#}"))
}

#[test]
fn openstack_doctor_runs_every_check_against_the_fakes() {
    let os = OpenStack::start();
    let home = os.home("");
    let id = os.servers[0].clone();
    let run = home.hytop(&["doctor", &id, "--json"]);
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"));
    assert_eq!(report["id"], id.as_str());
    assert_eq!(
        report["checks"].as_array().map(Vec::len),
        Some(7),
        "{report:#}"
    );
    assert_eq!(verdict_of(&report, "state"), "pass", "{report:#}");
    // Every check had its answer from the fakes: none could not be asked.
    assert_ne!(report["exit_code"], 2, "{report:#}");
    // No key file in this HOME: the key check says where it looked.
    assert_eq!(verdict_of(&report, "key"), "fail", "{report:#}");
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        !home.log().contains(&os.user.password),
        "no password in the log"
    );
    drop(os.rt);
}

#[test]
fn openstack_check_flags_old_servers_and_a_failing_nova_is_exit_2() {
    let os = OpenStack::start();
    // Busy servers, so only the age rule can flag them.
    for id in &os.servers {
        os.fake.set_cpu_percent(id, 50.0);
    }
    let run = os.home("").hytop(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "", "{run:#?}");

    let home = os.home("[cost]\nmax_age_hours = 1.0\n");
    let run = home.hytop(&["check"]);
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:#?}");
    for (line, (name, id)) in lines
        .iter()
        .zip(["lab-vm-001", "lab-vm-002"].iter().zip(&os.servers))
    {
        assert!(
            line.starts_with(&format!("{} {name} {id} running ", os.label())),
            "{line}"
        );
        assert!(line.contains(", longer than 1h"), "{line}");
        assert!(line.contains(" vCPU·h: "), "{line}");
    }

    // Nova down: the cloud's own error on stderr, exit 2.
    os.fake.fail(Service::Compute, 500);
    let run = home.hytop(&["check"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "", "{run:#?}");
    let prefix = format!("hytop: {}: ", os.label());
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with(&prefix) && l.contains("500")),
        "{run:#?}"
    );
    let run = home.hytop(&["list", "--json"]);
    run.expect_code(2);
    assert!(run.json().is_empty());
    assert!(run.stderr.contains(&prefix), "{run:#?}");
    drop(os.rt);
}

mod idleness;
mod secrets;
pub(crate) mod sweep;

#[test]
fn completions_for_every_shell_name_the_commands() {
    let home = Home::new("");
    for (shell, marker) in [
        ("bash", "complete -F _hytop"),
        ("zsh", "#compdef hytop"),
        ("fish", "complete -c hytop"),
    ] {
        let run = home.run(&["completions", shell]);
        run.expect_code(0);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        for word in ["list", "check", "doctor", "probe", "demo", "completions"] {
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
        assert_eq!(run.stderr, "", "{run:#?}");
    }
    home.run(&["completions", "powershell"]).expect_code(2);
}

#[test]
fn the_man_page_comes_from_the_same_definitions() {
    let home = Home::new("");
    let run = home.run(&["man"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..80.min(run.stdout.len())]
    );
    assert!(run.stdout.contains(".TH hytop 1"), "{}", run.stdout);
    for word in [
        "\\-\\-demo",
        "\\-\\-profile",
        "\\-\\-region",
        "doctor",
        "completions",
    ] {
        assert!(run.stdout.contains(word), "the man page lacks {word}");
    }
    assert_eq!(run.stderr, "", "{run:#?}");
}
