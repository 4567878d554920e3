//! End-to-end test of the OpenStack provider: the real `hytop` binary in a
//! real terminal (tmux), against a real Keystone and the Nova / Neutron /
//! Glance / Gnocchi fakes.
//!
//! hytop finds the cloud only the way the `openstack` CLI would: a
//! `clouds.yaml` in `$XDG_CONFIG_HOME/openstack/` with the password in the
//! `secure.yaml` beside it. It runs under `env -i` with `HOME` in the sandbox.
//!
//! Needs tmux and the `.venv` that `./scripts/test` creates (keystone).

use hytop_testkit as support;

use std::fs;
use std::path::PathBuf;

use support::keystone::{Keystone, KeystoneUser};
use support::openstack::{FakeOpenStack, FakeOptions, Service, TokenCheck};
use support::tmux::{
    Sandbox, Tmux, cloud_line, hytop_argv, launch_popup, line_with, popup, popup_text, row_named,
    rows, unique_name,
};

const CLOUD: &str = "lab";
const TEMPLATE: &str = "lab small";

struct Backends {
    fake: FakeOpenStack,
    user: KeystoneUser,
    region: String,
    rt: tokio::runtime::Runtime,
}

impl Backends {
    fn start(tune: impl FnOnce(&mut FakeOptions)) -> Backends {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let ks = Keystone::shared();
        let mut options = FakeOptions::with(TokenCheck::keystone(ks));
        tune(&mut options);
        let fake = rt.block_on(FakeOpenStack::start(options));
        let region = unique_name("e2e");
        let endpoints = fake.endpoints();
        let pairs: Vec<(&str, &str)> = endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
        ks.register_region(&region, &pairs);
        let user = ks.new_user("e2e");
        Backends {
            fake,
            user,
            region,
            rt,
        }
    }

    fn label(&self) -> String {
        format!("{CLOUD}/{}", self.region)
    }
}

fn config_toml() -> String {
    format!(
        r#"# hytop end-to-end test config (written by tests/it/e2e_openstack.rs)
console_poll_secs = 1

[[cloud]]
name = "{CLOUD}"
provider = "openstack"
os_cloud = "{CLOUD}"

[[template]]
name = "{TEMPLATE}"
cloud = "{CLOUD}"
image = "cirros-0.6.2"
size = "m1.tiny"
key_name = "lab-key"
network = "private"
security_groups = ["default"]
instance_name = "web"
"#
    )
}

/// clouds.yaml without the password, secure.yaml with it, where the
/// openstack CLI looks for them; returns the environment hytop runs with.
fn write_cloud_files(sandbox: &Sandbox, b: &Backends) -> Vec<(&'static str, PathBuf)> {
    let dir = sandbox.path("config").join("openstack");
    fs::create_dir_all(&dir).expect("openstack config dir");
    fs::write(
        dir.join("clouds.yaml"),
        format!(
            "clouds:\n  {CLOUD}:\n    auth:\n      auth_url: {}\n      username: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: {}\n",
            Keystone::shared().auth_url(),
            b.user.user_name,
            b.user.project_name,
            b.region
        ),
    )
    .expect("clouds.yaml");
    fs::write(
        dir.join("secure.yaml"),
        format!(
            "clouds:\n  {CLOUD}:\n    auth:\n      password: {}\n",
            b.user.password
        ),
    )
    .expect("secure.yaml");
    let home = sandbox.path("home");
    fs::create_dir_all(&home).expect("home dir");
    let mut env = sandbox.env();
    env.push(("HOME", home));
    env
}

fn start_hytop(test: &str, b: &Backends) -> Tmux {
    let sandbox = Sandbox::new(&config_toml());
    let env = write_cloud_files(&sandbox, b);
    let argv = hytop_argv(&sandbox, &[]);
    Tmux::start_isolated(test, sandbox, &env, &argv)
}

/// The latest CPU value of the detail pane's title (" CPU 42.0 %  peak …").
fn detail_cpu(screen: &str) -> Option<String> {
    let line = line_with(screen, " CPU ");
    let rest = &line[line.find(" CPU ")? + " CPU ".len()..];
    let mut words = rest.split_whitespace();
    let value = words.next()?;
    (value.parse::<f64>().is_ok() && words.next() == Some("%")).then(|| value.to_string())
}

/// Servers are listed with Gnocchi's CPU; a launch from the template goes
/// BUILD → running; `i` `a` attaches a floating IP allocated from the only
/// external network; `l` shows the console; `X` `y` deletes the server.
#[test]
fn launches_attaches_shows_console_and_deletes_on_openstack() {
    let b = Backends::start(|o| o.build_polls = 2);
    let seeded = b.fake.seed(&b.user.project_id, 2);
    for id in &seeded {
        b.fake.set_cpu_percent(id, 42.0);
    }
    let label = b.label();
    let t = start_hytop("os-flow", &b);

    let screen = t.wait_until("the seeded servers running", |s| {
        cloud_line(s, &label).contains("✓ ok")
            && ["lab-vm-001", "lab-vm-002"]
                .iter()
                .all(|n| row_named(s, n).is_some_and(|r| r.state == "running"))
    });
    assert_eq!(rows(&screen).len(), 2, "{screen}");
    assert!(rows(&screen).iter().all(|r| r.cloud == "OS"), "{screen}");
    let screen = t.wait_until("Gnocchi's CPU in the detail pane", |s| {
        detail_cpu(s).is_some()
    });
    assert_eq!(detail_cpu(&screen).as_deref(), Some("42.0"), "{screen}");

    // Launch from the template under a name of our own.
    let name = unique_name("os");
    t.type_text("c");
    t.wait_until("the launch popup", |s| {
        launch_popup(s)
            .is_some_and(|(list, form)| list.contains(TEMPLATE) && form.contains("name web"))
    });
    t.send_keys(&["Tab"]);
    t.wait_until("the name field focused", |s| {
        launch_popup(s).is_some_and(|(_, form)| form.contains("name web█"))
    });
    t.send_keys(&["BSpace"; 8]);
    t.type_text(&name);
    t.wait_until("the new name typed", |s| {
        launch_popup(s).is_some_and(|(_, form)| form.contains(&format!("name {name}█")))
    });
    t.send_keys(&["Enter"]);
    t.wait_until("the launch popup closed", |s| popup(s, "Launch").is_none());
    if let Some(text) = popup_text(&t.capture(), "Launch failed") {
        panic!("the launch failed: {text}");
    }
    let screen = t.wait_until(&format!("{name} running and selected"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running" && r.selected)
    });
    let row = row_named(&screen, &name).expect("listed");
    let id = b
        .fake
        .server_ids(&b.user.project_id)
        .into_iter()
        .find(|i| i.starts_with(row.id.trim_end_matches('…')))
        .expect("Nova has it");
    let server = b.fake.server(&id).expect("server");
    assert_eq!(server["name"], name.as_str());
    assert_eq!(server["metadata"]["hytop:template"], TEMPLATE);

    // Attach a floating IP: none is free, one is allocated from i4labnet.
    t.type_text("i");
    let text = t.wait_until("the public IP popup", |s| popup(s, "Public IP").is_some());
    let text = popup_text(&text, "Public IP").unwrap_or_default();
    assert!(text.contains(&name), "{text}");
    t.type_text("a");
    let screen = t.wait_until(&format!("a floating IP on {name}"), |s| {
        row_named(s, &name).is_some_and(|r| r.public_ip != "-")
    });
    let ip = row_named(&screen, &name).expect("row").public_ip;
    let fips = b.fake.floating_ips();
    assert!(
        fips.iter()
            .any(|f| f["floating_ip_address"] == ip.as_str() && !f["port_id"].is_null()),
        "Neutron has {ip} associated: {fips:#?}"
    );

    // Its console, from os-getConsoleOutput.
    b.fake
        .console_set(&id, &format!("cloud-init: booting\n{name} login: \n"));
    t.type_text("l");
    let screen = t.wait_until("the console with the login prompt", |s| {
        s.contains("Console: ") && s.contains(&format!("{name} login:"))
    });
    let title = line_with(&screen, "Console: ");
    assert!(title.contains(&name), "{title}");
    assert!(screen.contains("cloud-init: booting"), "{screen}");
    t.send_keys(&["Escape"]);
    t.wait_until("the table again", |s| s.contains("┌ Instances"));

    // Delete it: deleting, then gone.
    t.type_text("X");
    t.wait_for("Terminate 1 instance(s)?");
    t.type_text("y");
    t.wait_gone("Terminate 1 instance(s)?");
    let screen = t.wait_until(&format!("{name} gone"), |s| row_named(s, &name).is_none());
    assert_eq!(rows(&screen).len(), 2, "{screen}");
    assert!(b.fake.server(&id).is_none(), "Nova deleted it");

    t.type_text("q");
    assert_eq!(t.wait_exit(), 0, "hytop's exit status");
    let log = t.sandbox.log_tail();
    assert!(!log.contains(&b.user.password), "no password in the log");
    drop(b.rt);
}

/// Nova answering 500 turns the cloud's line into Nova's own error while
/// the screen keeps working; when Nova recovers, so does the line.
#[test]
fn a_failing_nova_is_a_status_line() {
    let b = Backends::start(|_| {});
    let seeded = b.fake.seed(&b.user.project_id, 1);
    // Busy, so it is not flagged idle (that would make `q` remind first).
    b.fake.set_cpu_percent(&seeded[0], 50.0);
    let label = b.label();
    let t = start_hytop("os-fail", &b);
    t.wait_until("the server listed", |s| {
        cloud_line(s, &label).contains("✓ ok") && row_named(s, "lab-vm-001").is_some()
    });
    b.fake.fail(Service::Compute, 500);
    let screen = t.wait_until("the error line", |s| {
        cloud_line(s, &label).contains("error")
    });
    let line = cloud_line(&screen, &label);
    assert!(line.contains("500"), "{line}");
    t.type_text("?");
    t.wait_for("Help — keys from keymap.toml");
    t.send_keys(&["Escape"]);
    t.wait_gone("Help — keys from keymap.toml");
    b.fake.clear_failures();
    t.wait_until("recovered", |s| cloud_line(s, &label).contains("✓ ok"));
    t.type_text("q");
    assert_eq!(t.wait_exit(), 0, "hytop's exit status");
}

/// `C` lists the clouds of clouds.yaml (the config shows only a simulated
/// one); Enter shows `lab` — a real Keystone and the fakes — in the region
/// its clouds.yaml names, with its servers; Enter again hides it.
#[test]
fn the_cloud_picker_shows_a_cloud_of_clouds_yaml() {
    let b = Backends::start(|_| {});
    let seeded = b.fake.seed(&b.user.project_id, 2);
    let sandbox = Sandbox::new(
        "# written by tests/it/e2e_openstack.rs\n[[cloud]]\nname = \"sim\"\nprovider = \"simulator\"\nsimulate = \"aws\"\n[cloud.sim]\ninstances = 2\nlatency_ms = 20\n",
    );
    let env = write_cloud_files(&sandbox, &b);
    let argv = hytop_argv(&sandbox, &[]);
    let t = Tmux::start_isolated("os-cloud-picker", sandbox, &env, &argv);
    t.wait_until("the simulator listed", |s| {
        cloud_line(s, "sim/eu-west-1").contains("✓ ok")
    });
    assert_eq!(cloud_line(&t.capture(), &b.label()), "");

    t.type_text("C");
    let screen = t.wait_until("the clouds of clouds.yaml", |s| {
        popup_text(s, "OpenStack clouds").is_some_and(|p| p.contains(CLOUD))
    });
    let text = popup_text(&screen, "OpenStack clouds").unwrap_or_default();
    assert!(text.contains(&b.region), "its region is named: {screen}");
    assert!(!text.contains('✓'), "not shown yet: {screen}");
    assert!(!text.contains(&b.user.password), "no secret on screen");

    t.send_keys(&["Enter"]);
    let screen = t.wait_until("lab shown with its servers", |s| {
        cloud_line(s, &b.label()).contains("✓ ok 2 instances")
    });
    assert!(
        popup_text(&screen, "OpenStack clouds").is_some_and(|p| p.contains('✓')),
        "{screen}"
    );
    t.send_keys(&["Escape"]);
    let screen = t.wait_until("the picker closed", |s| {
        popup(s, "OpenStack clouds").is_none()
    });
    for id in &seeded {
        assert!(screen.contains(&id[..8]), "{id} listed:\n{screen}");
    }
    assert!(
        cloud_line(&screen, "sim/eu-west-1").contains("✓ ok"),
        "{screen}"
    );

    t.type_text("C");
    t.wait_until("the picker again", |s| {
        popup_text(s, "OpenStack clouds").is_some_and(|p| p.contains('✓'))
    });
    t.send_keys(&["Enter"]);
    t.wait_until("lab hidden", |s| cloud_line(s, &b.label()).is_empty());
    drop(t);
    drop(b.fake);
    drop(b.rt);
}
