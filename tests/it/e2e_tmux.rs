//! End-to-end tests: the real `hytop` binary in a real terminal.
//!
//! Every test runs hytop on a small simulated hybrid cloud in a tmux server
//! of its own (the harness is tests/support/tmux.rs), types keys into it and
//! reads the screen back. hytop's config and data directories point into a
//! temporary directory, so nothing of the user's ~/.config or ~/.local is
//! read or written.
//!
//! tmux must be installed (CI installs it); without it these tests fail with
//! a message saying so instead of passing silently.

use hytop_testkit as support;

use std::fs;
use std::process::{Command, Stdio};

use support::tmux::{
    HEIGHT, Pane, Row, SESSION, Sandbox, Tmux, WIDTH, cloud_line, footer, hytop_argv, hytop_bin,
    launch_popup, line_with, popup, popup_text, row_named, row_with_id, rows, run_with_deadline,
    select_by_filter, table_lines, unique_name, wait_popup,
};

const AWS_LABEL: &str = "e2e-aws/eu-west-1";
const OS_LABEL: &str = "e2e-lab/lab";
const AWS_TEMPLATE: &str = "web (AWS eu-west-1)";

/// One simulated AWS region and one simulated OpenStack cloud, quick state
/// changes, a pool of three public addresses per cloud (one in use, one
/// allocated but free, one spare) and a launch template for each cloud.
/// Image, size, key, group and network ids are the ones of assets/demo.toml:
/// the simulator refuses unknown ones.
pub(crate) fn config_toml(os_failure_rate: f64) -> String {
    format!(
        r#"# hytop end-to-end test config (written by tests/it/e2e_tmux.rs)
console_poll_secs = 1

[[cloud]]
name = "e2e-aws"
provider = "simulator"
simulate = "aws"
regions = ["eu-west-1"]
[cloud.sim]
seed = 3
instances = 4
latency_ms = 50
pending_secs = 2
stopping_secs = 2
gone_secs = 5
address_pool = 3

[[cloud]]
name = "e2e-lab"
provider = "simulator"
simulate = "openstack"
regions = ["lab"]
[cloud.sim]
seed = 5
instances = 4
latency_ms = 50
failure_rate = {os_failure_rate:?}
pending_secs = 2
stopping_secs = 2
gone_secs = 5
address_pool = 3

[[template]]
name = "service (OpenStack lab)"
cloud = "e2e-lab"
image = "5b6e3c1a-9f2d-4c8e-a7b1-3d9e0f6a2c48"
size = "m1.tiny"
key_name = "lab-key"
security_groups = ["default"]
network = "3f9a1c7e-5d2b-4e8a-b6c0-9d1f2e3a4b57"
instance_name = "service"

[[template]]
name = "{AWS_TEMPLATE}"
cloud = "e2e-aws"
region = "eu-west-1"
image = "ami-0a8e758f5e873d1c1"
size = "t2.nano"
key_name = "lab-key"
security_groups = ["sg-0f4c2b9e1a7d35c68"]
network = "subnet-0b3f6a2c9d41e7a55"
instance_name = "web"
"#
    )
}

/// Starts hytop on the test config in its own tmux server.
pub(crate) fn start_hytop(test: &str, os_failure_rate: f64, extra: &[&str]) -> Tmux {
    let sandbox = Sandbox::new(&config_toml(os_failure_rate));
    let env = sandbox.env();
    let argv = hytop_argv(&sandbox, extra);
    Tmux::start(test, sandbox, &env, &argv)
}

// ---------------------------------------------------------------------------
// Steps shared by the tests

/// Waits until both clouds have been listed.
pub(crate) fn wait_listed(t: &Tmux) -> String {
    t.wait_until("both clouds to be listed", |s| {
        cloud_line(s, AWS_LABEL).contains("✓ ok")
            && cloud_line(s, OS_LABEL).contains("✓ ok")
            && !rows(s).is_empty()
    })
}

/// Opens the launch popup, picks the AWS template (the second one), and if
/// `name` is given replaces the instance name with it; then launches.
pub(crate) fn launch_on_aws(t: &Tmux, name: Option<&str>) {
    let form_shows =
        |what: String| move |s: &str| launch_popup(s).is_some_and(|(_, form)| form.contains(&what));
    t.type_text("c");
    t.wait_until("the launch popup", |s| popup(s, "Launch").is_some());
    t.type_text("j");
    let screen = t.wait_until("the AWS template picked", |s| {
        launch_popup(s).is_some_and(|(list, _)| list.contains(&format!("▶{AWS_TEMPLATE}")))
    });
    let (_, form) = launch_popup(&screen).unwrap_or_default();
    assert!(
        form.contains(&format!("cloud {AWS_LABEL}")) && form.starts_with("name web count 1"),
        "the AWS template shows its cloud and default name: {form}"
    );
    if let Some(name) = name {
        t.send_keys(&["Tab"]);
        t.wait_until("the name field focused", form_shows("name web█".into()));
        // ctrl-u does not clear popup fields: delete the default name key by key.
        t.send_keys(&["BSpace"; 8]);
        t.type_text(name);
        t.wait_until(
            "the new name typed",
            form_shows(format!("name {name}█ count")),
        );
    }
    t.send_keys(&["Enter"]);
    t.wait_until("the launch popup closed", |s| popup(s, "Launch").is_none());
}

// ---------------------------------------------------------------------------
// The tests

/// `c` launches from a template with an edited name; the new instance is
/// listed, selected and becomes running; `X` names it and its id; `y`
/// terminates it and it leaves the table once the cloud forgets it.
#[test]
fn launch_then_terminate() {
    let t = start_hytop("launch", 0.0, &[]);
    wait_listed(&t);
    let name = unique_name("run");
    launch_on_aws(&t, Some(&name));

    let screen = t.wait_until(&format!("{name} running"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running")
    });
    let row = row_named(&screen, &name).expect("listed");
    assert_eq!(row.cloud, "AWS", "{screen}");
    assert!(row.id.starts_with("i-0"), "an EC2 id: {row:?}");
    assert!(row.selected, "a fresh launch is selected:\n{screen}");

    t.type_text("X");
    let screen = t.wait_for("Terminate 1 instance(s)?");
    let lines = popup(&screen, "Terminate").expect("the confirmation popup");
    let line = lines.iter().find(|l| l.contains(&name));
    assert!(
        line.is_some_and(|l| l.contains(row.id.trim_end_matches('…')) && l.contains(AWS_LABEL)),
        "the confirmation names the instance, its id and cloud: {line:?}\n{screen}"
    );
    t.type_text("y");
    t.wait_gone("Terminate 1 instance(s)?");

    t.wait_until(&format!("{name} stopping or terminated"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "stopping" || r.state == "terminated")
    });
    // gone_secs = 5: the simulated EC2 forgets it, and so does the table.
    let screen = t.wait_until(&format!("{name} gone"), |s| {
        row_named(s, &name).is_none() && !s.contains(&name)
    });
    assert!(
        rows(&screen).iter().any(|r| r.cloud == "AWS"),
        "the other instances stay:\n{screen}"
    );
}

/// Attach, detach and pool exhaustion of public addresses on one cloud.
/// Each cloud starts with a pool of three: one held by an instance, one
/// allocated but free, one spare.
fn public_ip_flow(test: &str, cloud: &str, label: &str, kind: &str, prefix: &str, exhausted: &str) {
    let t = start_hytop(test, 0.0, &[]);
    wait_listed(&t);
    // The cloud's addresses are listed too (the free one is reported).
    t.wait_until(&format!("{label}'s free address"), |s| {
        cloud_line(s, label).contains("1 unassociated IP(s)")
    });
    // Three running instances of this cloud without an address (the
    // booting one of the generated fleet turns running after a second).
    let screen = t.wait_until(
        &format!("three running {cloud} instances without IP"),
        |s| {
            rows(s)
                .iter()
                .filter(|r| r.cloud == cloud && r.state == "running" && r.public_ip == "-")
                .count()
                >= 3
        },
    );
    let bare: Vec<Row> = rows(&screen)
        .into_iter()
        .filter(|r| r.cloud == cloud && r.state == "running" && r.public_ip == "-")
        .take(3)
        .collect();
    // The table cuts long ids with "…"; the part shown is unique enough.
    let needle = |r: &Row| r.id.trim_end_matches('…').to_string();

    // Attach to A: the popup offers the free address, the row shows it.
    let a = &bare[0];
    select_by_filter(&t, &needle(a), &a.id);
    t.type_text("i");
    let screen = t.wait_for(&format!("Public IP ({kind})"));
    let text = popup_text(&screen, "Public IP").unwrap_or_default();
    assert!(
        text.contains(&format!("{} ({}", a.name, needle(a))),
        "the popup names the instance and its id: {text}"
    );
    assert!(
        text.contains(&format!(
            "no public address; attaching reuses the free address {prefix}"
        )),
        "the popup names the free address it will reuse: {text}"
    );
    t.type_text("a");
    let screen = t.wait_until(&format!("an address on {}", a.id), |s| {
        row_with_id(s, &a.id).is_some_and(|r| r.public_ip.starts_with(prefix))
    });
    let ip = row_with_id(&screen, &a.id).expect("row").public_ip;

    // Detach it again: the row loses it, the address stays allocated.
    t.type_text("i");
    let text = wait_popup(&t, "Public IP");
    assert!(
        text.contains(&format!("public address: {ip}")) && text.contains("d / Enter detach"),
        "the popup offers to detach {ip}: {text}"
    );
    t.type_text("d");
    t.wait_until(&format!("{} without address", a.id), |s| {
        row_with_id(s, &a.id).is_some_and(|r| r.public_ip == "-")
    });

    // B reuses the freed address, C gets the spare: the pool is empty.
    for r in &bare[1..] {
        select_by_filter(&t, &needle(r), &r.id);
        t.type_text("i");
        let text = wait_popup(&t, "Public IP");
        assert!(text.contains("no public address; attaching"), "{text}");
        t.type_text("a");
        t.wait_until(&format!("an address on {}", r.id), |s| {
            row_with_id(s, &r.id).is_some_and(|row| row.public_ip.starts_with(prefix))
        });
    }

    // A asks for one more: the cloud's own error, in plain words.
    select_by_filter(&t, &needle(a), &a.id);
    t.type_text("i");
    let text = wait_popup(&t, "Public IP");
    assert!(
        text.contains("no public address; attaching allocates a new"),
        "no free address is left to reuse: {text}"
    );
    t.type_text("a");
    let text = wait_popup(&t, "Attach public IP failed");
    assert!(
        text.contains(&needle(a)) && text.contains(exhausted),
        "the cloud's error, about A: {text}"
    );
    t.send_keys(&["Escape"]);
    t.wait_until("the error closed, A still without an address", |s| {
        !s.contains("Attach public IP failed")
            && row_with_id(s, &a.id).is_some_and(|r| r.public_ip == "-")
    });
}

#[test]
fn public_ip_attach_detach_and_exhaust_aws() {
    public_ip_flow(
        "ip-aws",
        "AWS",
        AWS_LABEL,
        "Elastic IP",
        "203.0.113.",
        "The maximum number of addresses has been reached",
    );
}

#[test]
fn public_ip_attach_detach_and_exhaust_openstack() {
    public_ip_flow(
        "ip-os",
        "OS",
        OS_LABEL,
        "floating IP",
        "198.51.100.",
        "No more IP addresses available",
    );
}

/// `l` opens the console of the selected instance, following its output;
/// `k` pauses, `G` follows again, `Esc` goes back to the table.
#[test]
fn console_follows_and_closes() {
    let t = start_hytop("console", 0.0, &[]);
    wait_listed(&t);
    // Newest first; the youngest instance just booted, so its whole boot
    // log, login prompt included, fits on the screen.
    t.type_text(":");
    t.wait_until("the command prompt", |s| footer(s).starts_with(':'));
    t.type_text("sort age");
    t.send_keys(&["Enter"]);
    t.wait_for("sort: age");
    t.type_text("g");
    let screen = t.wait_until("the youngest instance selected and running", |s| {
        rows(s)
            .first()
            .is_some_and(|r| r.selected && r.state == "running")
    });
    let row = rows(&screen).remove(0);

    t.type_text("l");
    let screen = t.wait_until("the console with the login prompt", |s| {
        s.contains("login:") && s.contains("[following]")
    });
    let title = line_with(&screen, "Console: ");
    assert!(
        title.contains(&row.name) && title.contains(row.id.trim_end_matches('…')),
        "the console names the instance: {title:?}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("│[") && l.contains("] systemd[1]: ")),
        "kernel-stamped boot lines:\n{screen}"
    );
    assert!(!screen.contains("┌ Instances"), "the table is replaced");

    // A running instance logs a line every few seconds: the view follows.
    let total = |s: &str| -> Option<usize> {
        let at = s.find(" lines ")?;
        let rest = &s[at..];
        let of = rest.find(" of ")?;
        rest[of + 4..].split_whitespace().next()?.parse().ok()
    };
    let before = total(&screen).expect("a line count");
    let screen = t.wait_until("more console output", |s| {
        total(s).is_some_and(|n| n > before)
    });
    assert!(screen.contains("[following]"), "{screen}");

    t.send_keys(&["Escape"]);
    let screen = t.wait_for("┌ Instances");
    assert!(!screen.contains("Console: "), "{screen}");
    assert!(
        rows(&screen).iter().any(|r| r.selected && r.id == row.id),
        "the same instance is still selected:\n{screen}"
    );

    // The oldest instance has more output than fits: scrolling up pauses
    // following, G follows again.
    t.type_text("G");
    let screen = t.wait_until("the oldest instance selected", |s| {
        rows(s).last().is_some_and(|r| r.selected)
    });
    let old = rows(&screen).pop().expect("a row");
    t.type_text("l");
    let screen = t.wait_until("the console of the oldest instance", |s| {
        line_with(s, "Console: ").contains(&old.name)
            && s.contains("[following]")
            && total(s).is_some_and(|n| n > usize::from(HEIGHT))
    });
    assert!(
        screen.lines().any(|l| l.starts_with("│[")),
        "kernel-stamped lines:\n{screen}"
    );
    t.type_text("k");
    t.wait_for("[paused]");
    t.type_text("G");
    t.wait_for("[following]");
    t.send_keys(&["Escape"]);
    t.wait_for("┌ Instances");
}

/// `?` lists the bindings with keymap.toml's descriptions; `/web` keeps only
/// matching rows, Enter keeps the filter, Esc clears it.
#[test]
fn help_and_filter() {
    let t = start_hytop("help", 0.0, &[]);
    wait_listed(&t);

    t.type_text("?");
    // (key, command, description): X's description is keymap.toml's own,
    // not the built-in "Terminate the marked instances (or the selected one)".
    let expected = [
        (
            "X",
            "terminate",
            "Terminate the marked instances, or the selected one",
        ),
        ("c", "launch", "Launch instances from a template"),
        ("/", "filter", "Filter rows"),
        ("q", "quit", "Quit hytop"),
    ];
    let bound = |help: &[String], (key, command, what): (&str, &str, &str)| {
        help.iter().any(|l| {
            let words: Vec<&str> = l
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| !w.is_empty())
                .collect();
            words.contains(&key) && words.contains(&command) && l.contains(what)
        })
    };
    // A capture can catch a frame half drawn: wait for the whole list.
    let screen = t.wait_until("the help popup listing X, c, / and q", |s| {
        popup(s, "Help").is_some_and(|help| expected.iter().all(|e| bound(&help, *e)))
    });
    assert!(screen.contains("Help — keys from keymap.toml"), "{screen}");
    t.send_keys(&["Escape"]);
    t.wait_gone("Help — keys from keymap.toml");

    // A "web" instance to find, whatever the simulator generated.
    launch_on_aws(&t, None);
    let screen = t.wait_until("a web instance listed", |s| row_named(s, "web").is_some());
    let hidden: Vec<String> = rows(&screen)
        .into_iter()
        .filter(|r| !r.name.contains("web"))
        .map(|r| r.id)
        .collect();
    assert!(!hidden.is_empty(), "some rows do not match:\n{screen}");

    t.type_text("/web");
    let screen = t.wait_until("only web rows", |s| {
        let r = rows(s);
        footer(s).contains("/web█") && !r.is_empty() && r.iter().all(|r| r.name.contains("web"))
    });
    // The simulator may add or drop an instance between two screens: compare
    // the title with the header's total of the same screen.
    let total = screen
        .lines()
        .next()
        .and_then(|header| header.split("total ").nth(1))
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or_else(|| t.fail("the header's total", &screen));
    assert!(
        screen.contains(&format!(" of {total} ")) && screen.contains("filter: web"),
        "the title counts what the filter hides:\n{screen}"
    );
    t.send_keys(&["Enter"]);
    let screen = t.wait_until("the prompt closed", |s| !footer(s).contains("/web█"));
    assert!(
        screen.contains("filter: web"),
        "the filter stays:\n{screen}"
    );
    assert!(rows(&screen).iter().all(|r| r.name.contains("web")));

    t.send_keys(&["Escape"]);
    // Every row the filter hid is back (but one the simulator dropped
    // since). Waited for, not read off the first screen without the
    // filter: tmux may be captured while a frame is half written (the
    // title first, then the rows).
    t.wait_until("the rows the filter hid are back", |s| {
        !s.contains("filter: web")
            && rows(s).iter().filter(|r| hidden.contains(&r.id)).count() + 1 >= hidden.len()
    });
}

/// `q` exits with status 0 and gives the terminal back: normal screen,
/// visible cursor, cooked tty modes, bracketed paste off.
#[test]
fn quit_restores_the_terminal() {
    exit_restores_the_terminal("quit", 0, |t| {
        t.type_text("q");
        // Instances the simulator launched days ago make `q` remind first;
        // `q` again keeps them and quits.
        let screen = t.wait_until("the quit reminder or the exit", |s| {
            s.contains("Quit?") || s.contains("paste now:")
        });
        if screen.contains("Quit?") {
            t.type_text("q");
        }
    });
}

/// `q` with instances launched in this session still running lists them
/// (name, cloud, age, cost); Esc stays; `t` then `y` terminates the listed
/// instances and hytop exits once the clouds confirm.
#[test]
fn quit_reminds_of_running_instances_and_can_terminate_them() {
    let t = start_hytop("quit-reminder", 0.0, &[]);
    wait_listed(&t);
    let name = unique_name("left");
    launch_on_aws(&t, Some(&name));
    t.wait_until(&format!("{name} running"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running")
    });

    t.type_text("q");
    let text = wait_popup(&t, "Quit?");
    let line = text
        .lines()
        .find(|l| l.contains(&name))
        .unwrap_or_else(|| panic!("the reminder lists {name}: {text}"));
    assert!(
        line.contains(AWS_LABEL) && line.contains("launched now") && line.contains('$'),
        "name, cloud, age, cost and why: {line}"
    );
    assert!(
        text.contains("t terminate them") && text.contains("q keep them and quit"),
        "{text}"
    );

    // Esc stays in hytop.
    t.send_keys(&["Escape"]);
    t.wait_until(&format!("the question closed, {name} still listed"), |s| {
        !s.contains("Quit?") && row_named(s, &name).is_some()
    });

    // t asks, y terminates and quits once the clouds confirm.
    t.type_text("q");
    wait_popup(&t, "Quit?");
    t.type_text("t");
    let text = t.wait_until("the confirmation", |s| s.contains("Terminate these"));
    assert!(text.contains("y terminate and quit"), "{text}");
    t.type_text("y");
    assert_eq!(t.wait_exit(), 0, "hytop's exit status");
}

/// A signal from outside (`kill`, `timeout -s`, a supervisor) ends hytop
/// like `q`, but with the conventional status 128 + the signal's number:
/// the terminal is restored first. In raw mode ctrl-c is a key, so these
/// signals only ever come from another process.
fn signal_restores_the_terminal(test: &str, signal: &str, number: i32) {
    exit_restores_the_terminal(test, 128 + number, |t| {
        let config = t.sandbox.config().display().to_string();
        let killed = Command::new("pkill")
            // Anchored on the binary, so the wrapping shell is not matched.
            .args([
                &format!("-{signal}"),
                "-f",
                &format!("^{} --config {config}", hytop_bin()),
            ])
            .status()
            .expect("run pkill");
        assert!(killed.success(), "pkill found hytop");
    });
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("sigterm", "TERM", 15);
}

#[test]
fn sigint_restores_the_terminal() {
    signal_restores_the_terminal("sigint", "INT", 2);
}

#[test]
fn sigquit_restores_the_terminal() {
    signal_restores_the_terminal("sigquit", "QUIT", 3);
}

#[test]
fn sighup_restores_the_terminal() {
    signal_restores_the_terminal("sighup", "HUP", 1);
}

#[test]
fn sigusr1_restores_the_terminal() {
    signal_restores_the_terminal("sigusr1", "USR1", 10);
}

/// Runs hytop in a shell that reports what it left behind, ends it with
/// `end`, and checks the terminal is as it was and hytop's exit status is
/// `status`.
fn exit_restores_the_terminal(test: &str, status: i32, end: impl Fn(&Tmux)) {
    let sandbox = Sandbox::new(&config_toml(0.0));
    let env = sandbox.env();
    // A shell around hytop reports what hytop left behind, then waits for
    // a line of input (the paste check) and exits with hytop's status.
    let script = r#"before=$(stty -g)
"$@"
rc=$?
after=$(stty -g)
echo
echo "hytop exited with status $rc"
if [ "$before" = "$after" ]; then echo "tty modes: restored"; else echo "tty modes: CHANGED"; fi
stty -a
echo "paste now:"
IFS= read -r line
printf 'got [%s]\n' "$line" | cat -v
exit "$rc""#;
    let mut argv = vec![
        "sh".to_string(),
        "-c".to_string(),
        script.to_string(),
        "sh".to_string(),
    ];
    argv.extend(hytop_argv(&sandbox, &[]));
    let t = Tmux::start(test, sandbox, &env, &argv);

    let screen = wait_listed(&t);
    assert!(screen.contains("┌ Instances"), "{screen}");
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "hytop uses the alternate screen"
    );
    assert_eq!(t.display("#{cursor_flag}"), "0", "hytop hides the cursor");

    end(&t);
    let screen = t.wait_for("paste now:");
    assert!(screen.contains("tty modes: restored"), "{screen}");
    let words: Vec<&str> = screen.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            words.contains(&mode),
            "stty shows {mode} on again:\n{screen}"
        );
    }
    assert!(
        screen.contains(&format!("hytop exited with status {status}\n")),
        "hytop exits with status {status}:\n{screen}"
    );
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "back on the normal screen"
    );
    assert_eq!(t.display("#{cursor_flag}"), "1", "the cursor is visible");
    for drawn in ["┌ Instances", "hytop ●", AWS_LABEL, "│"] {
        assert!(
            !screen.contains(drawn),
            "nothing of hytop's screen remains ({drawn:?}):\n{screen}"
        );
    }

    // With bracketed paste still on, the paste would arrive as ^[[200~...^[[201~.
    t.run(&["set-buffer", "pasted"]);
    t.run(&["paste-buffer", "-p", "-t", SESSION]);
    t.send_keys(&["Enter"]);
    let screen = t.wait_for("got [");
    assert!(
        screen.contains("got [pasted]"),
        "bracketed paste is off again:\n{screen}"
    );
    assert_eq!(t.wait_exit(), status, "the exit status");
}

/// 20,000 characters typed in one burst (not a paste: tmux types them as
/// keys) all reach the filter prompt, and Enter right after them closes it.
/// A burst over about 2 KB used to stall: hytop read the terminal 1 KB at a
/// time and waited for more input before reading the rest.
#[test]
fn a_long_typed_burst_reaches_the_prompt() {
    let t = start_hytop("burst", 0.0, &[]);
    wait_listed(&t);
    t.type_text("/");
    t.wait_until("the filter prompt", |s| footer(s).starts_with('/'));
    t.send_keys(&["C-u"]);
    // 2,000 numbered blocks of 10 characters: where the text ends shows
    // whether any went missing.
    let typed: String = (0..2000).map(|i| format!("<{i:07}>,")).collect();
    assert_eq!(typed.len(), 20_000);
    // In chunks of 5,000: a tmux command must stay under 16 KB.
    for chunk in typed.as_bytes().chunks(5000) {
        t.type_text(std::str::from_utf8(chunk).expect("ASCII"));
    }
    t.send_keys(&["Enter"]);
    let screen = t.wait_until("the prompt closed by Enter", |s| {
        !footer(s).starts_with('/')
    });
    assert!(
        screen.contains("filter: <0000000>,<0000001>,"),
        "the filter holds the typed text:\n{screen}"
    );
    assert!(
        screen.contains("no instance matches the filter"),
        "{screen}"
    );

    // The prompt opens on the filter and shows its end at the cursor ...
    t.type_text("/");
    t.wait_until("the end of the filter at the cursor", |s| {
        footer(s).starts_with("/…") && footer(s).contains("<0001998>,<0001999>,█")
    });
    // ... and exactly 20,000 characters came: deleting all but the first
    // block (another burst, of 19,990 backspaces) leaves just that block.
    t.run(&["send-keys", "-t", SESSION, "-N", "19990", "BSpace"]);
    t.wait_until("the first block left", |s| {
        footer(s).starts_with("/<0000000>,█")
    });
    t.send_keys(&["Escape"]);
    t.wait_until("the prompt and the filter gone", |s| {
        !footer(s).starts_with('/') && !s.contains("filter: ")
    });
}

/// ctrl-c quits from inside a popup too, with status 0, off the alternate screen.
#[test]
fn ctrl_c_quits_from_a_popup() {
    let t = start_hytop("ctrl-c", 0.0, &[]);
    wait_listed(&t);
    t.type_text("c");
    t.wait_until("the launch popup", |s| popup(s, "Launch").is_some());
    t.send_keys(&["C-c"]);
    let status = t.wait_exit();
    let screen = t.capture();
    assert_eq!(status, 0, "{screen}\n{}", t.sandbox.log_tail());
    assert_eq!(t.display("#{alternate_on}"), "0");
    assert!(
        !screen.contains("┌ Instances") && !screen.contains("Launch — "),
        "{screen}"
    );
}

/// A keymap with a mistake stops hytop before it takes the screen, with
/// status 2 and the file, line and key of the mistake.
#[test]
fn bad_keymap_is_reported_with_file_line_and_key() {
    let sandbox = Sandbox::new(&config_toml(0.0));
    for (file, text, expected) in [
        (
            "unknown-action.toml",
            "# my keys\n[table]\nj = \"down\"\nx = \"terminat\"\n",
            ":4: [table] key \"x\": unknown action \"terminat\" (did you mean \"terminate\"?)",
        ),
        (
            "unknown-key.toml",
            "[console]\n\n\"ctrl-pgdwn\" = \"page_down\"\n",
            ":3: [console] key \"ctrl-pgdwn\": unknown key \"pgdwn\"",
        ),
    ] {
        let keymap = sandbox.path(file);
        fs::write(&keymap, text).expect("write keymap");
        let mut cmd = Command::new(hytop_bin());
        cmd.arg("--config")
            .arg(sandbox.config())
            .arg("--keymap")
            .arg(&keymap)
            .envs(sandbox.env())
            .stdin(Stdio::null());
        let out = run_with_deadline(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        let expected = format!("{}{expected}", keymap.display());
        assert!(
            stderr.contains(&expected),
            "{file}: expected {expected:?} in:\n{stderr}"
        );
        assert!(
            !stdout.contains("\x1b[?1049h"),
            "{file}: the screen was never taken: {stdout:?}"
        );
    }
}

/// A user keymap remaps every yes/no question: with `y` unbound and `Y` as
/// confirm in `[confirm]`, `X` `y` leaves the terminate question open (and the
/// instance running), `X` `Y` terminates. The popup names the key in force.
#[test]
fn confirm_keys_follow_the_keymap() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let keymap = dir.path().join("keymap.toml");
    fs::write(&keymap, "[confirm]\ny = \"none\"\nY = \"confirm\"\n").expect("write keymap");
    let keymap = keymap.display().to_string();
    let t = start_hytop("confirm-remap", 0.0, &["--keymap", &keymap]);
    let screen = wait_listed(&t);
    let target = rows(&screen)
        .into_iter()
        .find(|r| r.cloud == "AWS" && r.state == "running")
        .unwrap_or_else(|| t.fail("a running AWS instance", &screen));
    select_by_filter(&t, target.id.trim_end_matches('…'), &target.id);

    t.type_text("X");
    let screen = t.wait_for("Terminate 1 instance(s)?");
    let text = popup_text(&screen, "Terminate").unwrap_or_default();
    assert!(text.contains("Y terminate"), "the popup names Y:\n{text}");
    assert!(
        !text.contains("y terminate"),
        "the popup no longer names y:\n{text}"
    );

    t.type_text("y");
    // Give hytop time to act on the key, then check it did nothing.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let screen = t.capture();
    assert!(
        screen.contains("Terminate 1 instance(s)?"),
        "y is unbound: the question stays open:\n{screen}"
    );

    t.type_text("Y");
    t.wait_gone("Terminate 1 instance(s)?");
    t.wait_until(&format!("{} stopping or terminated", target.id), |s| {
        row_with_id(s, &target.id).is_some_and(|r| r.state == "stopping" || r.state == "terminated")
    });
}

/// With --readonly every change is refused with a clear message and no
/// confirmation or form ever opens.
#[test]
fn readonly_refuses_changes() {
    let t = start_hytop("readonly", 0.0, &["--readonly"]);
    let screen = wait_listed(&t);
    assert!(screen.contains("[READ-ONLY]"), "{screen}");
    let before = rows(&screen);

    t.type_text("X");
    let screen = t.wait_for("read-only mode: terminate is disabled (started with --readonly)");
    assert!(!screen.contains("Terminate 1 instance"), "{screen}");
    t.type_text("c");
    let screen = t.wait_for("read-only mode: launch is disabled");
    assert!(!screen.contains("Launch — "), "{screen}");
    t.type_text("i");
    let screen = t.wait_for("read-only mode: public_ip is disabled");
    assert!(!screen.contains("Public IP ("), "{screen}");
    // Nothing was launched or terminated: the same instances, none stopping.
    let ids = |rows: Vec<Row>| -> Vec<String> {
        let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    let after = rows(&screen);
    assert!(after.iter().all(|r| r.state != "stopping"), "{screen}");
    assert_eq!(ids(after), ids(before), "{screen}");
}

/// A cloud whose every call fails shows its error on its header line, while
/// the healthy cloud keeps being listed and refreshed.
#[test]
fn failing_cloud_does_not_stop_the_others() {
    let t = start_hytop("failing", 1.0, &[]);
    let screen = t.wait_until("the AWS rows and the OpenStack error", |s| {
        cloud_line(s, AWS_LABEL).contains("✓ ok")
            && cloud_line(s, OS_LABEL).contains("simulated outage")
            && rows(s).iter().any(|r| r.cloud == "AWS")
    });
    let os = cloud_line(&screen, OS_LABEL);
    assert!(os.contains("✗ error: "), "{os:?}");
    assert!(
        rows(&screen).iter().all(|r| r.cloud == "AWS"),
        "nothing is listed for the failing cloud:\n{screen}"
    );

    // AWS keeps answering: a launch there is listed, then refreshed to running.
    let name = unique_name("ok");
    launch_on_aws(&t, Some(&name));
    let screen = t.wait_until(&format!("{name} running"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running")
    });
    assert!(
        cloud_line(&screen, OS_LABEL).contains("simulated outage"),
        "the outage is still reported:\n{screen}"
    );

    // The failing cloud's launch fails in a popup, not in a crash.
    t.type_text("c");
    let screen = t.wait_until("the launch options error", |s| {
        launch_popup(s).is_some_and(|(_, form)| form.contains("cannot list launch options"))
    });
    let (_, text) = launch_popup(&screen).unwrap_or_default();
    assert!(
        text.contains(&format!("cloud {OS_LABEL}")) && text.contains("simulated outage"),
        "the OpenStack template is first; its cloud is down: {text}"
    );
    t.send_keys(&["Enter"]);
    let text = wait_popup(&t, "Launch failed");
    assert!(
        text.contains(OS_LABEL) && text.contains("simulated outage"),
        "{text}"
    );
    t.send_keys(&["Escape"]);
    t.wait_until("the error closed", |s| popup(s, "Launch failed").is_none());
}

/// Whether `word` is a whole instance id: `i-` and 17 hex digits (EC2) or a
/// UUID (OpenStack).
fn whole_id(word: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(rest) = word.strip_prefix("i-") {
        return rest.len() == 17 && hex(rest);
    }
    let parts: Vec<&str> = word.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p))
}

/// At hytop's minimum size, 60×15, the terminate question for a dozen
/// marked instances still says how many, lists each one's whole id (j
/// scrolls to the rest, and a line says how many more there are) and
/// shows its keys.
#[test]
fn terminate_question_at_60_by_15_names_every_id() {
    let sandbox = Sandbox::new(&config_toml(0.0).replace("instances = 4", "instances = 7"));
    let env = sandbox.env();
    let argv = hytop_argv(&sandbox, &[]);
    let t = Tmux::start("question", sandbox, &env, &argv);
    wait_listed(&t);
    t.resize(60, 15);
    t.wait_until("the table at 60 columns", |s| {
        s.lines()
            .any(|l| l.starts_with("┌ Instances") && l.chars().count() == 60)
    });
    t.send_keys(&["C-a"]);
    t.type_text("X");
    let screen = t.wait_until("the terminate question", |s| {
        popup(s, "Terminate").is_some_and(|lines| lines.iter().any(|l| l.contains("keep them")))
    });
    let text = popup_text(&screen, "Terminate").unwrap_or_default();
    let count: usize = text
        .split(" instance(s)?")
        .next()
        .and_then(|head| head.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| t.fail("the count of the question", &screen));
    assert!(
        count >= 10,
        "a dozen or so live instances are marked:\n{screen}"
    );
    assert!(
        text.contains("y terminate these") && text.contains("n / Esc keep them"),
        "the keys:\n{screen}"
    );
    assert!(
        text.contains(" more (j/k)"),
        "{count} rows do not fit in 15 lines: a line says how many more:\n{screen}"
    );

    // Each listed row has one whole id; j scrolls through all of them.
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..count {
        let screen = t.capture();
        let lines = popup(&screen, "Terminate").unwrap_or_else(|| t.fail("the question", &screen));
        for line in &lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(id) = words.iter().find(|w| whole_id(w))
                && !seen.iter().any(|s| s == id)
            {
                seen.push(id.to_string());
            }
            assert!(
                !words.iter().any(|w| (w.starts_with("i-")
                    || w.len() > 9 && w.as_bytes()[8] == b'-')
                    && w.ends_with('…')),
                "a cut id in {line:?}:\n{screen}"
            );
        }
        t.type_text("j");
        // The next screen shows one more id, until the end of the list.
        if seen.len() < count {
            t.wait_until("the list scrolled by j", |s| {
                popup(s, "Terminate").is_some_and(|lines| {
                    lines
                        .iter()
                        .filter_map(|l| l.split_whitespace().find(|w| whole_id(w)))
                        .any(|id| !seen.iter().any(|s| s == id))
                })
            });
        }
    }
    assert_eq!(seen.len(), count, "j showed every id: {seen:?}");
    t.send_keys(&["Escape"]);
    t.wait_until("the question closed", |s| popup(s, "Terminate").is_none());
}

/// Resizing the terminal redraws at the new size: too small a terminal
/// gets a plain message, and growing again brings the table back.
#[test]
fn resize_redraws_and_guards_tiny_terminals() {
    let t = start_hytop("resize", 0.0, &[]);
    wait_listed(&t);

    t.resize(50, 12);
    let screen = t.wait_for("hytop: terminal too small");
    assert!(
        screen.contains("need at least 60×15, have 50×12"),
        "{screen}"
    );
    assert!(table_lines(&screen).is_empty(), "{screen}");

    t.resize(WIDTH, HEIGHT);
    // The simulated fleet may gain or lose a row meanwhile (a boot, a
    // terminated instance forgotten): what matters is that rows are back.
    let screen = t.wait_until("the table back at full size", |s| {
        !s.contains("too small") && !rows(s).is_empty()
    });
    assert!(screen.contains("┌ Instances"), "{screen}");
}

/// 80×24 is the classic terminal size and well above hytop's 60×15 minimum;
/// the table should still say which instance each row is.
#[test]
fn names_stay_visible_at_80_columns() {
    let t = start_hytop("narrow", 0.0, &[]);
    let screen = wait_listed(&t);
    let names: Vec<String> = rows(&screen).into_iter().map(|r| r.name).collect();

    t.resize(80, 24);
    let screen = t.wait_until("the table redrawn at 80 columns", |s| {
        s.lines()
            .any(|l| l.starts_with('┌') && l.chars().count() == 80)
            && !table_lines(s).is_empty()
    });
    // The simulator launches now and then, so a row may be newer than the
    // 120-column screen: its name still has the simulator's shape.
    let sim_name = |w: &str| {
        w.rsplit_once('-').is_some_and(|(role, n)| {
            !role.is_empty()
                && role.chars().all(|c| c.is_ascii_lowercase())
                && n.parse::<u32>().is_ok()
        })
    };
    let lines = table_lines(&screen);
    for (_, words) in &lines {
        assert!(
            words.get(1).is_some_and(|w| sim_name(w)),
            "a row without its instance name right after the cloud {words:?}:\n{screen}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|(_, words)| words.iter().any(|w| names.iter().any(|n| n == w))),
        "the names of the wide screen are still shown:\n{screen}"
    );
}

/// Guards the harness itself: the pane is the size the layout checks assume.
#[test]
fn pane_is_120_by_40() {
    let t = start_hytop("size", 0.0, &[]);
    wait_listed(&t);
    assert_eq!(
        t.display("#{pane_width}x#{pane_height}"),
        format!("{WIDTH}x{HEIGHT}")
    );
}

/// A `provider = "simulator"` cloud in a normal config (no `--demo`) is
/// still made up: `s` shows the ssh command hytop would run and never runs
/// ssh against the simulator's address. (A real cloud running ssh is tested
/// on moto in e2e_aws.rs.)
#[test]
fn ssh_to_a_simulated_cloud_only_shows_the_command() {
    let sandbox = Sandbox::new("");
    let ran_file = sandbox.path("ssh-ran");
    let fake = sandbox.script(
        "fake-ssh",
        &format!("printf '%s\\n' \"$@\" > '{}'\n", ran_file.display()),
    );
    let config = format!(
        "{}\n[ssh]\nprogram = \"{}\"\nidentity_file = \"/keys/lab key.pem\"\n",
        config_toml(0.0),
        fake.display()
    );
    fs::write(sandbox.config(), config).expect("write config.toml");
    let env = sandbox.env();
    let argv = hytop_argv(&sandbox, &[]);
    let t = Tmux::start("ssh", sandbox, &env, &argv);

    let screen = wait_listed(&t);
    let target = rows(&screen)
        .into_iter()
        .find(|r| r.cloud == "AWS" && r.state == "running" && r.public_ip.starts_with("203."))
        .unwrap_or_else(|| t.fail("a running AWS instance with a public IP", &screen));
    // The table cuts long ids with "…"; the part shown is unique enough.
    select_by_filter(&t, target.id.trim_end_matches('…'), &target.id);

    t.type_text("s");
    let text = wait_popup(&t, "ssh (simulated)");
    let shown = format!(
        "{} -i '/keys/lab key.pem' -o HostKeyAlias={} ec2-user@{}",
        fake.display(),
        target.id,
        target.public_ip
    );
    assert!(text.contains(&shown), "the command is shown:\n{text}");
    assert!(matches!(t.pane(), Pane::Alive), "hytop quit:\n{text}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!ran_file.exists(), "ssh must not run for a simulated cloud");
}
