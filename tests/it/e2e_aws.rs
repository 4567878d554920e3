//! End-to-end tests of the AWS provider: the real `hytop` binary in a real
//! terminal (the tmux harness of tests/support/tmux.rs), talking to a real
//! EC2 emulator (moto's server) and the in-process CloudWatch fake.
//!
//! hytop finds both only through aws-config's standard chain: static keys,
//! `AWS_REGION` and `AWS_ENDPOINT_URL_EC2` / `AWS_ENDPOINT_URL_CLOUDWATCH` in
//! its environment. It runs under `env -i` with `HOME` in the sandbox, so
//! neither the user's ~/.aws nor any `AWS_*` variable of the test's own
//! environment reaches it.
//!
//! Needs tmux and moto's server (`./scripts/test` creates .venv with it).

use hytop_testkit as support;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use support::TEST_REGION;
use support::cloudwatch::{Behaviour, FakeCloudWatch, expected_timestamps, expected_value};
use support::moto::MotoServer;
use support::tmux::{
    Pane, Row, Sandbox, Tmux, cloud_line, hytop_argv, launch_popup, line_with, popup, popup_text,
    row_named, rows, unique_name,
};

/// The `[[cloud]]` name, and the label hytop gives its one region (the AWS
/// provider labels a region by profile: "default" without one).
const CLOUD: &str = "e2e-moto";
const LABEL: &str = "default/eu-west-1";
const TEMPLATE: &str = "moto web";
/// The instances created in moto before hytop starts.
const PRECREATED: [&str; 3] = ["alpha-e2e", "bravo-e2e", "charlie-e2e"];

fn config_toml(image: &str) -> String {
    format!(
        r#"# hytop end-to-end test config (written by tests/it/e2e_aws.rs)

[[cloud]]
name = "{CLOUD}"
provider = "aws"
regions = ["{TEST_REGION}"]

[[template]]
name = "{TEMPLATE}"
cloud = "{CLOUD}"
region = "{TEST_REGION}"
image = "{image}"
size = "t2.nano"
instance_name = "web"
"#
    )
}

/// moto and the CloudWatch fake, and the runtime the fake and the SDK
/// client run on. The test body stays synchronous (it polls tmux).
struct Backends {
    /// Dropped before the runtime it serves on.
    fake: FakeCloudWatch,
    ec2: aws_sdk_ec2::Client,
    moto: MotoServer,
    rt: tokio::runtime::Runtime,
}

impl Backends {
    fn start() -> Backends {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let moto = MotoServer::start();
        let fake = rt.block_on(FakeCloudWatch::start(Behaviour::default()));
        let ec2 = rt.block_on(async {
            aws_sdk_ec2::Client::new(&support::aws_sdk_config(&moto.url).await)
        });
        Backends {
            fake,
            ec2,
            moto,
            rt,
        }
    }

    /// An AMI moto knows in the test region.
    fn some_ami(&self) -> String {
        let images = self
            .rt
            .block_on(self.ec2.describe_images().owners("amazon").send())
            .expect("describe images");
        images
            .images()
            .iter()
            .find_map(|i| i.image_id().map(str::to_string))
            .expect("moto has an AMI")
    }

    /// Runs one instance tagged `Name = name`; returns its id.
    fn run_instance(&self, image: &str, name: &str) -> String {
        use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};
        let out = self
            .rt
            .block_on(
                self.ec2
                    .run_instances()
                    .image_id(image)
                    .instance_type(InstanceType::T2Nano)
                    .min_count(1)
                    .max_count(1)
                    .tag_specifications(
                        TagSpecification::builder()
                            .resource_type(ResourceType::Instance)
                            .tags(Tag::builder().key("Name").value(name).build())
                            .build(),
                    )
                    .send(),
            )
            .expect("run instances");
        out.instances()
            .first()
            .and_then(|i| i.instance_id())
            .expect("an instance id")
            .to_string()
    }

    /// The state moto reports for an instance.
    fn state_of(&self, id: &str) -> Option<String> {
        let out = self
            .rt
            .block_on(self.ec2.describe_instances().instance_ids(id).send())
            .expect("describe instances");
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| i.state()?.name().map(|s| s.as_str().to_string()))
    }
}

/// The environment hytop runs with (under `env -i`): the sandbox's XDG
/// dirs, an empty home, the region, and `extra`.
fn aws_env(sandbox: &Sandbox, extra: &[(&'static str, String)]) -> Vec<(&'static str, PathBuf)> {
    let home = sandbox.path("home");
    fs::create_dir_all(&home).expect("home dir");
    let mut env = sandbox.env();
    env.push(("HOME", home));
    env.push(("AWS_REGION", PathBuf::from(TEST_REGION)));
    env.extend(extra.iter().map(|(k, v)| (*k, PathBuf::from(v))));
    env
}

/// Starts hytop on `config` with `extra` environment, isolated.
fn start_hytop(test: &str, config: &str, extra: &[(&'static str, String)]) -> Tmux {
    let sandbox = Sandbox::new(config);
    let env = aws_env(&sandbox, extra);
    let argv = hytop_argv(&sandbox, &[]);
    Tmux::start_isolated(test, sandbox, &env, &argv)
}

/// The " CPU 12.3 %  peak ..." title of the detail pane: the latest value.
fn detail_cpu(screen: &str) -> Option<String> {
    let line = line_with(screen, " CPU ");
    let rest = &line[line.find(" CPU ")? + " CPU ".len()..];
    let mut words = rest.split_whitespace();
    let value = words.next()?;
    (value.parse::<f64>().is_ok() && words.next() == Some("%")).then(|| value.to_string())
}

/// Whether the detail pane is about the instance `id` (its "id" field).
fn detail_shows(screen: &str, id: &str) -> bool {
    screen.lines().any(|l| {
        let words: Vec<&str> = l.split(|c: char| c.is_whitespace() || c == '│').collect();
        let words: Vec<&str> = words.into_iter().filter(|w| !w.is_empty()).collect();
        words.windows(2).any(|w| w == ["id", id])
    })
}

/// Whether the text `needle` is drawn dimmed (SGR 2) on the line of the
/// styled screen (`capture-pane -e`) that contains it.
fn drawn_dim(styled: &str, needle: &str) -> bool {
    let Some(line) = styled.lines().find(|l| l.contains(needle)) else {
        return false;
    };
    let before = &line[..line.find(needle).unwrap_or(0)];
    // The attributes in force where `needle` starts: every SGR since the
    // last reset.
    let mut dim = false;
    for seq in before.split("\x1b[").skip(1) {
        let Some(end) = seq.find('m') else { continue };
        let params = &seq[..end];
        if params.is_empty() || params.split(';').any(|p| p == "0") {
            dim = false;
        }
        for p in params.split(';') {
            match p {
                "2" => dim = true,
                "22" => dim = false,
                _ => {}
            }
        }
    }
    dim
}

/// The pre-created instances are listed running with their names; a launch
/// from the template (its name edited) appears running and selected, with
/// CloudWatch data in the detail pane; `X` names it and its id, `y`
/// terminates it, and its row stays listed, terminated and dimmed.
#[test]
fn lists_launches_and_terminates_on_moto() {
    let backends = Backends::start();
    let image = backends.some_ami();
    let precreated: Vec<(String, String)> = PRECREATED
        .iter()
        .map(|name| (name.to_string(), backends.run_instance(&image, name)))
        .collect();

    let t = start_hytop(
        "aws-moto",
        &config_toml(&image),
        &[
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL_EC2", backends.moto.url.clone()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", backends.fake.url.clone()),
        ],
    );

    let screen = t.wait_until("the pre-created instances running", |s| {
        cloud_line(s, LABEL).contains("✓ ok")
            && PRECREATED
                .iter()
                .all(|name| row_named(s, name).is_some_and(|r| r.state == "running"))
    });
    for (name, id) in &precreated {
        let row = row_named(&screen, name).expect("listed");
        assert_eq!(row.cloud, "AWS", "{screen}");
        assert_eq!(&row.id, id, "{name}'s id:\n{screen}");
    }
    assert_eq!(rows(&screen).len(), PRECREATED.len(), "{screen}");

    // The detail pane of the selected (first) instance shows the fake's CPU
    // values. (Metrics are asked for at most once a minute per region, so
    // an instance launched later would show "no data yet" for a while.)
    let first = rows(&screen)
        .into_iter()
        .find(|r| r.selected)
        .expect("a selected row");
    let screen = t.wait_until(&format!("CloudWatch data for {}", first.name), |s| {
        detail_shows(s, &first.id) && detail_cpu(s).is_some()
    });
    let shown = detail_cpu(&screen).expect("a CPU value");
    let served: BTreeSet<String> = backends
        .fake
        .calls()
        .iter()
        .flat_map(|call| {
            call.queries
                .iter()
                .filter(|q| {
                    q.metric == "CPUUtilization" && q.instance_id.as_deref() == Some(&first.id)
                })
                .flat_map(|q| expected_timestamps(call.start, call.end, q.period))
                .map(|ts| format!("{:.1}", expected_value("CPUUtilization", &first.id, ts)))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        served.contains(&shown),
        "the CPU value shown ({shown}) is one the fake served for {}: {served:?}\n{screen}",
        first.id
    );

    // Launch from the template, with a name of our own.
    let name = unique_name("moto");
    launch(&t, &name);
    let screen = t.wait_until(&format!("{name} running and selected"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running" && r.selected)
    });
    let row: Row = row_named(&screen, &name).expect("listed");
    assert_eq!(row.cloud, "AWS", "{screen}");
    assert!(row.id.starts_with("i-"), "an EC2 id: {row:?}");
    assert_eq!(
        backends.state_of(&row.id).as_deref(),
        Some("running"),
        "moto has it"
    );
    assert_eq!(rows(&screen).len(), PRECREATED.len() + 1, "{screen}");

    // Terminate it: the confirmation names it, its id and its cloud.
    t.type_text("X");
    let screen = t.wait_for("Terminate 1 instance(s)?");
    let lines = popup(&screen, "Terminate").expect("the confirmation popup");
    let line = lines.iter().find(|l| l.contains(&name));
    assert!(
        line.is_some_and(|l| l.contains(&row.id) && l.contains(LABEL)),
        "the confirmation names the instance, its id and cloud: {line:?}\n{screen}"
    );
    t.type_text("y");
    t.wait_gone("Terminate 1 instance(s)?");

    // AWS keeps terminated instances listed for a while: so does the table,
    // dimmed.
    let screen = t.wait_until(&format!("{name} terminated"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "terminated")
    });
    assert_eq!(
        backends.state_of(&row.id).as_deref(),
        Some("terminated"),
        "moto terminated it"
    );
    let styled = t.capture_styled();
    assert!(
        drawn_dim(&styled, &row.id),
        "the terminated row is dimmed:\n{}",
        styled.escape_debug()
    );
    for (other, id) in &precreated {
        assert!(
            row_named(&screen, other).is_some_and(|r| r.state == "running"),
            "{other} keeps running:\n{screen}"
        );
        assert!(
            !drawn_dim(&styled, id),
            "{other} is not dimmed:\n{}",
            styled.escape_debug()
        );
    }

    t.type_text("q");
    assert_eq!(t.wait_exit(), 0, "hytop's exit status");
    let violations = backends.fake.violations();
    assert!(
        violations.is_empty(),
        "CloudWatch requests the fake refused: {violations:#?}"
    );
    assert!(
        !backends.fake.calls().is_empty(),
        "hytop asked CloudWatch for metrics"
    );
}

/// Opens the launch popup on the (only) template, replaces the instance
/// name with `name` and launches.
fn launch(t: &Tmux, name: &str) {
    let form_shows =
        |what: String| move |s: &str| launch_popup(s).is_some_and(|(_, form)| form.contains(&what));
    t.type_text("c");
    let screen = t.wait_until("the launch popup with the template", |s| {
        launch_popup(s)
            .is_some_and(|(list, form)| list.contains(TEMPLATE) && form.contains("name web"))
    });
    let (_, form) = launch_popup(&screen).unwrap_or_default();
    assert!(
        form.contains(&format!("cloud {LABEL}")) && form.starts_with("name web count 1"),
        "the template shows its cloud and default name: {form}"
    );
    t.send_keys(&["Tab"]);
    t.wait_until("the name field focused", form_shows("name web█".into()));
    // ctrl-u does not clear popup fields: delete the default name key by key.
    t.send_keys(&["BSpace"; 8]);
    t.type_text(name);
    t.wait_until(
        "the new name typed",
        form_shows(format!("name {name}█ count")),
    );
    t.send_keys(&["Enter"]);
    t.wait_until("the launch popup closed", |s| popup(s, "Launch").is_none());
    if let Some(text) = popup_text(&t.capture(), "Launch failed") {
        panic!("the launch failed: {text}");
    }
}

/// Without any credentials (an empty home, no `AWS_*` but the region) the
/// cloud's header says how to configure them, and hytop keeps running
/// until `q`, which exits with status 0.
#[test]
fn no_credentials_is_reported_in_the_header() {
    // Nothing is launched: any AMI id does for the template.
    let t = start_hytop("aws-nocreds", &config_toml("ami-12c6146b"), &[]);
    let screen = t.wait_for("no AWS credentials found");
    let header = cloud_line(&screen, LABEL);
    assert!(
        header.contains("no AWS credentials found: run `aws configure` or set AWS_PROFILE"),
        "the cloud's header line explains: {header:?}\n{screen}"
    );
    assert!(rows(&screen).is_empty(), "nothing is listed:\n{screen}");
    // Still running: the next refresh fails the same way, the keys work.
    std::thread::sleep(std::time::Duration::from_secs(2));
    t.type_text("?");
    t.wait_for("Help — keys from keymap.toml");
    t.send_keys(&["Escape"]);
    // The whole final screen, not the first capture without the help
    // (tmux can show a half-drawn frame).
    t.wait_until("the help closed, the header still explaining", |s| {
        !s.contains("Help — keys from keymap.toml")
            && cloud_line(s, LABEL).contains("no AWS credentials found")
    });
    t.type_text("q");
    assert_eq!(t.wait_exit(), 0, "hytop's exit status");
}

/// `s` on a real cloud hands the terminal to the ssh program and takes it
/// back when it exits. A fake ssh records its arguments and reads a line
/// from the terminal: every key typed meanwhile reaches it, none hytop (the
/// `q` in the line would quit hytop if its input task still read). Nothing
/// connects anywhere: the fake only prints.
#[test]
fn ssh_suspends_the_screen_and_resumes() {
    let backends = Backends::start();
    let image = backends.some_ami();
    let id = backends.run_instance(&image, "ssh-e2e");

    let sandbox = Sandbox::new("");
    let args_file = sandbox.path("ssh-args");
    let read_file = sandbox.path("ssh-read");
    let fake = sandbox.script(
        "fake-ssh",
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\nprintf 'fake ssh, type a line: '\nread line\nprintf '%s\\n' \"$line\" > '{}'\n",            args_file.display(),
            read_file.display()
        ),
    );
    let config = format!(
        "{}\n[ssh]\nprogram = \"{}\"\nidentity_file = \"/keys/lab key.pem\"\n",
        config_toml(&image),
        fake.display()
    );
    fs::write(sandbox.config(), config).expect("write config.toml");
    let env = aws_env(
        &sandbox,
        &[
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL_EC2", backends.moto.url.clone()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", backends.fake.url.clone()),
        ],
    );
    let argv = hytop_argv(&sandbox, &[]);
    let t = Tmux::start_isolated("aws-ssh", sandbox, &env, &argv);

    let screen = t.wait_until("the instance running with a public IP", |s| {
        row_named(s, "ssh-e2e").is_some_and(|r| r.state == "running" && !r.public_ip.is_empty())
    });
    let target = row_named(&screen, "ssh-e2e").expect("listed");
    assert_eq!(target.id, id, "{screen}");
    assert!(target.selected, "the only instance is selected:\n{screen}");

    t.type_text("s");
    t.wait_for("fake ssh, type a line:");
    t.type_text("quit-q-from-ssh");
    t.send_keys(&["Enter"]);
    t.wait_for("ssh session ended");
    let screen = t.wait_until("the table back", |s| row_named(s, "ssh-e2e").is_some());
    assert!(matches!(t.pane(), Pane::Alive), "hytop quit:\n{screen}");

    let args = fs::read_to_string(&args_file).expect("fake ssh ran");
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        vec![
            "-i",
            "/keys/lab key.pem",
            "-o",
            &format!("HostKeyAlias={}", target.id),
            &format!("ec2-user@{}", target.public_ip)
        ]
    );
    let read = fs::read_to_string(&read_file).expect("fake ssh read a line");
    assert_eq!(read.trim_end(), "quit-q-from-ssh");
}
