//! Endpoints shown and hidden while hytop runs, end to end in a real
//! terminal on the simulator: `w` sweeps and finds the simulated account's
//! unshown region, Enter adds it to the table; `R` lists the account's
//! regions and hides one, the other endpoints untouched; `:region NAME`
//! refuses a name the account does not list.

use hytop_testkit as support;

use support::tmux::{Sandbox, Tmux, cloud_line, hytop_argv, popup, popup_text};

use super::e2e_tmux::{config_toml, wait_listed};

/// The e2e config, its AWS account with a region it does not show.
fn start(test: &str) -> Tmux {
    let config = config_toml(0.0).replacen(
        "address_pool = 3\n",
        "address_pool = 3\nunshown_regions = [\"ap-south-1\"]\n",
        1,
    );
    assert!(config.contains("unshown_regions"), "{config}");
    let sandbox = Sandbox::new(&config);
    let env = sandbox.env();
    let argv = hytop_argv(&sandbox, &[]);
    Tmux::start(test, sandbox, &env, &argv)
}

#[test]
fn the_sweep_finds_the_unshown_region_and_enter_adds_it() {
    let t = start("endpoints-sweep");
    let screen = wait_listed(&t);
    assert_eq!(
        cloud_line(&screen, "e2e-aws/ap-south-1"),
        "",
        "not shown yet"
    );

    t.type_text("w");
    let screen = t.wait_until("the sweep's findings", |s| {
        popup_text(s, "Sweep: every region").is_some_and(|p| p.contains("swept 3 regions"))
    });
    let found = popup_text(&screen, "Sweep: every region").unwrap_or_default();
    assert!(found.contains("e2e-aws/ap-south-1 not shown"), "{screen}");
    assert!(found.contains("which hytop does not show"), "{screen}");
    assert!(
        found.contains("e2e-aws: ap-south-1, eu-west-1; e2e-lab: lab"),
        "{screen}"
    );

    t.send_keys(&["Enter"]);
    let screen = t.wait_until("the region added and listed", |s| {
        cloud_line(s, "e2e-aws/ap-south-1").contains("✓ ok")
    });
    assert!(
        popup_text(&screen, "Sweep: every region").is_some_and(|p| p.contains("✓ shown now")),
        "{screen}"
    );
    t.send_keys(&["Escape"]);
    let screen = t.wait_until("the popup closed", |s| {
        popup(s, "Sweep: every region").is_none()
    });
    assert!(
        cloud_line(&screen, "e2e-aws/eu-west-1").contains("✓ ok"),
        "{screen}"
    );
    assert!(
        cloud_line(&screen, "e2e-lab/lab").contains("✓ ok"),
        "{screen}"
    );
}

#[test]
fn the_region_picker_adds_and_hides_regions() {
    let t = start("endpoints-region");
    wait_listed(&t);
    t.send_keys(&["Home"]);
    t.type_text("R");
    let screen = t.wait_until("the account's regions", |s| {
        popup_text(s, "Regions of e2e-aws").is_some_and(|p| p.contains("ap-south-1"))
    });
    let lines = popup(&screen, "Regions of e2e-aws").unwrap_or_default();
    let line = |name: &str| {
        lines
            .iter()
            .find(|l| l.contains(name))
            .cloned()
            .unwrap_or_default()
    };
    assert!(!line("ap-south-1").contains('✓'), "{screen}");
    assert!(line("eu-west-1").contains('✓'), "{screen}");

    // ap-south-1 is first: Enter shows it.
    t.send_keys(&["Enter"]);
    t.wait_until("ap-south-1 shown", |s| {
        cloud_line(s, "e2e-aws/ap-south-1").contains("✓ ok")
    });
    // eu-west-1 is next: Enter hides it; ap-south-1 and the lab stay.
    t.type_text("j");
    t.send_keys(&["Enter"]);
    let screen = t.wait_until("eu-west-1 hidden", |s| {
        cloud_line(s, "e2e-aws/eu-west-1").is_empty()
    });
    assert!(
        cloud_line(&screen, "e2e-aws/ap-south-1").contains("✓ ok"),
        "{screen}"
    );
    assert!(
        cloud_line(&screen, "e2e-lab/lab").contains("✓ ok"),
        "{screen}"
    );
    t.send_keys(&["Escape"]);
    let screen = t.wait_until("the picker closed", |s| {
        popup(s, "Regions of e2e-aws").is_none()
    });
    assert!(
        !screen.contains(" eu-west-1 "),
        "no row of the hidden region is left:\n{screen}"
    );
}

#[test]
fn the_region_command_catches_a_typo_and_shows_a_listed_name() {
    let t = start("endpoints-region-command");
    wait_listed(&t);
    t.send_keys(&["Home"]);
    t.type_text(":region ap-soth-1");
    t.send_keys(&["Enter"]);
    let screen = t.wait_until("the typo refused, the regions offered", |s| {
        s.contains("e2e-aws's account has no region ap-soth-1: pick one")
            && popup_text(s, "Regions of e2e-aws").is_some_and(|p| p.contains("ap-south-1"))
    });
    assert_eq!(cloud_line(&screen, "e2e-aws/ap-soth-1"), "", "{screen}");
    t.send_keys(&["Escape"]);
    t.wait_until("the picker closed", |s| {
        popup(s, "Regions of e2e-aws").is_none()
    });
    t.type_text(":region ap-south-1");
    t.send_keys(&["Enter"]);
    let screen = t.wait_until("ap-south-1 shown, no picker left open", |s| {
        cloud_line(s, "e2e-aws/ap-south-1").contains("✓ ok")
            && popup(s, "Regions of e2e-aws").is_none()
    });
    assert!(
        cloud_line(&screen, "e2e-aws/eu-west-1").contains("✓ ok"),
        "{screen}"
    );
}

/// `P` lists the profiles of a temporary AWS config file (read by
/// aws-config's loader) and Enter shows one in its own region, against
/// moto: its instance in ap-south-1 joins the table; Enter again hides it.
#[test]
fn the_profile_picker_shows_a_profile_of_the_aws_config_file() {
    use hytop_testkit::cloudwatch::{Behaviour, FakeCloudWatch};
    use hytop_testkit::moto::MotoServer;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let moto = MotoServer::start();
    let cloudwatch = rt.block_on(FakeCloudWatch::start(Behaviour::default()));
    let stray = rt.block_on(crate::cli::sweep::run_in(
        &moto.url,
        "ap-south-1",
        "lab-gpu",
    ));
    rt.block_on(crate::cli::sweep::run_in(
        &moto.url,
        "eu-west-1",
        "shown-web",
    ));

    let sandbox = Sandbox::new(
        "# written by tests/it/e2e_endpoints.rs\n[[cloud]]\nname = \"moto\"\nprovider = \"aws\"\nregions = [\"eu-west-1\"]\n",
    );
    let home = sandbox.path("home");
    std::fs::create_dir_all(&home).expect("home");
    let aws_file = sandbox.path("aws-config");
    std::fs::write(
        &aws_file,
        "[default]\nregion = eu-west-1\n\n[profile lab]\nregion = ap-south-1\n",
    )
    .expect("AWS config file");
    let mut env: Vec<(&str, std::path::PathBuf)> = sandbox.env();
    env.push(("HOME", home));
    env.push(("AWS_ACCESS_KEY_ID", "testing".into()));
    env.push(("AWS_SECRET_ACCESS_KEY", "testing".into()));
    env.push(("AWS_CONFIG_FILE", aws_file));
    env.push(("AWS_ENDPOINT_URL_EC2", moto.url.clone().into()));
    env.push(("AWS_ENDPOINT_URL_CLOUDWATCH", cloudwatch.url.clone().into()));
    let argv = hytop_argv(&sandbox, &[]);
    let t = Tmux::start_isolated("endpoints-profile", sandbox, &env, &argv);
    t.wait_until("moto listed", |s| {
        cloud_line(s, "default/eu-west-1").contains("✓ ok") && s.contains("shown-web")
    });

    t.type_text("P");
    let screen = t.wait_until("the profiles", |s| {
        popup_text(s, "AWS profiles").is_some_and(|p| p.contains("lab"))
    });
    let lines = popup(&screen, "AWS profiles").unwrap_or_default();
    let line = |name: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .cloned()
            .unwrap_or_default()
    };
    assert!(line("default").contains('✓'), "{screen}");
    assert!(line("default").contains("eu-west-1"), "{screen}");
    assert!(!line("lab").contains('✓'), "{screen}");
    assert!(line("lab").contains("ap-south-1"), "{screen}");

    t.type_text("j");
    t.send_keys(&["Enter"]);
    let screen = t.wait_until("the lab profile listed", |s| {
        cloud_line(s, "lab/ap-south-1").contains("✓ ok") && s.contains("lab-gpu")
    });
    assert!(screen.contains(&stray[..12]), "{screen}");
    assert!(
        cloud_line(&screen, "default/eu-west-1").contains("✓ ok"),
        "{screen}"
    );

    t.send_keys(&["Enter"]);
    let screen = t.wait_until("the lab profile hidden", |s| {
        cloud_line(s, "lab/ap-south-1").is_empty() && !s.contains("lab-gpu")
    });
    assert!(screen.contains("shown-web"), "{screen}");
    drop(t);
    drop(cloudwatch);
    drop(rt);
}

/// `hytop check --all-regions` on a terminal counts the regions answered
/// on one stderr line while it sweeps, and leaves only its summary.
#[test]
fn check_all_regions_counts_on_a_terminal_and_leaves_the_summary() {
    let config = config_toml(0.0)
        .replacen("latency_ms = 50\n", "latency_ms = 1500\n", 1)
        .replacen(
            "address_pool = 3\n",
            "address_pool = 3\nunshown_regions = [\"ap-south-1\", \"us-west-2\"]\n",
            1,
        );
    assert!(config.contains("latency_ms = 1500"), "{config}");
    let sandbox = Sandbox::new(&config);
    let env = sandbox.env();
    let argv = hytop_argv(&sandbox, &["check", "--all-regions"]);
    let t = Tmux::start("endpoints-check-progress", sandbox, &env, &argv);
    t.wait_until("the sweep counting", |s| {
        s.contains("hytop: sweeping: ") && s.contains(" of 4 regions answered…")
    });
    let code = t.wait_exit();
    let screen = t.capture();
    assert_eq!(code, 1, "strays in the unshown regions: {screen}");
    assert!(
        screen.contains("hytop: swept 4 regions in "),
        "the summary: {screen}"
    );
    assert!(
        !screen.contains("regions answered…"),
        "the count is cleared: {screen}"
    );
    // Lines wrap at the pane's width: the region's lines start with it.
    assert!(
        screen.lines().any(|l| l.starts_with("e2e-aws/ap-south-1 ")),
        "{screen}"
    );
}
