//! The lifecycle end to end, in a real terminal on the simulated clouds:
//! stop → stopped → start → running on AWS, shelve → SHELVED_OFFLOADED →
//! unshelve → running on OpenStack, each asked first.

use hytop_testkit as support;

use support::tmux::{Tmux, popup, row_named, unique_name};

use crate::e2e_tmux::{launch_on_aws, start_hytop, wait_listed};

/// Presses `key`, checks the question names the instance, answers `y`.
fn ask_and_confirm(t: &Tmux, key: &str, title: &str, id: &str) {
    t.type_text(key);
    let screen = t.wait_for(&format!("{title} 1 instance(s)?"));
    let lines = popup(&screen, title).expect("the question");
    assert!(
        lines.iter().any(|l| l.contains(id)),
        "the question names {id}:\n{screen}"
    );
    t.type_text("y");
    t.wait_gone(&format!("{title} 1 instance(s)?"));
}

#[test]
fn aws_stop_then_start_from_the_keys() {
    let t = start_hytop("lifecycle-aws", 0.0, &[]);
    wait_listed(&t);
    let name = unique_name("cycle");
    launch_on_aws(&t, Some(&name));
    let screen = t.wait_until(&format!("{name} running"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running")
    });
    let id = row_named(&screen, &name).expect("listed").id;
    let id = id.trim_end_matches('…').to_string();

    ask_and_confirm(&t, "S", "Stop", &id);
    t.wait_until(&format!("{name} stopped"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "stopped")
    });
    ask_and_confirm(&t, "U", "Start", &id);
    t.wait_until(&format!("{name} running again"), |s| {
        row_named(s, &name).is_some_and(|r| r.state == "running")
    });
}

#[test]
fn openstack_shelve_then_unshelve_from_the_keys() {
    let t = start_hytop("lifecycle-os", 0.0, &[]);
    wait_listed(&t);
    // The first template is the OpenStack one.
    t.type_text("c");
    t.wait_until("the launch popup", |s| popup(s, "Launch").is_some());
    t.send_keys(&["Enter"]);
    t.wait_until("the launch popup closed", |s| popup(s, "Launch").is_none());
    let screen = t.wait_until("the new server selected and running", |s| {
        row_named(s, "service").is_some_and(|r| r.selected && r.state == "running")
    });
    let id = row_named(&screen, "service").expect("listed").id;
    let id = id.trim_end_matches('…').to_string();

    ask_and_confirm(&t, "Z", "Shelve", &id);
    t.wait_until(
        "the server shelved (SHELVED_OFFLOADED in the detail pane)",
        |s| {
            row_named(s, "service").is_some_and(|r| r.selected && r.state == "stopped")
                && s.contains("SHELVED_OFFLOADED")
        },
    );
    ask_and_confirm(&t, "W", "Unshelve", &id);
    t.wait_until("the server running again", |s| {
        row_named(s, "service").is_some_and(|r| r.selected && r.state == "running")
    });
}
