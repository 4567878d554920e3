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

/// Opens `A` and says whether it lists `ip`.
fn addresses_list(t: &Tmux, ip: &str) -> bool {
    t.type_text("A");
    let screen = t.wait_until("the addresses and volumes popup", |s| {
        popup(s, "Addresses and volumes").is_some()
    });
    let listed = popup(&screen, "Addresses and volumes")
        .expect("the popup")
        .iter()
        .any(|l| l.contains(ip));
    t.send_keys(&["Escape"]);
    t.wait_until("the popup closed", |s| {
        popup(s, "Addresses and volumes").is_none()
    });
    listed
}

#[test]
fn aws_terminate_releases_the_ip_it_leaves_behind() {
    let t = start_hytop("terminate-release", 0.0, &[]);
    wait_listed(&t);
    let name = unique_name("leaver");
    launch_on_aws(&t, Some(&name));
    t.wait_until(&format!("{name} running and selected"), |s| {
        row_named(s, &name).is_some_and(|r| r.selected && r.state == "running")
    });
    t.type_text("i");
    t.wait_until("the public IP popup", |s| popup(s, "Public IP").is_some());
    t.type_text("a");
    let screen = t.wait_until(&format!("an address on {name}"), |s| {
        row_named(s, &name).is_some_and(|r| r.public_ip != "-")
    });
    let row = row_named(&screen, &name).expect("listed");
    let ip = row.public_ip;
    let id = row.id.trim_end_matches('…').to_string();
    assert!(addresses_list(&t, &ip), "{ip} is allocated");

    t.type_text("X");
    let screen = t.wait_for("Terminate 1 instance(s)?");
    let lines = popup(&screen, "Terminate").expect("the question");
    assert!(lines.iter().any(|l| l.contains(&id)), "{screen}");
    // The simulator reused its free address, so this session did not
    // allocate it: kept unless asked. `r` asks.
    let says = |what: &str| {
        let what = what.to_string();
        move |s: &str| {
            popup(s, "Terminate").is_some_and(|lines| lines.iter().any(|l| l.contains(&what)))
        }
    };
    t.wait_until(
        "the question says the IP stays",
        says(&format!("IP {ip} stays")),
    );
    t.type_text("r");
    t.wait_until(
        "the question says the IP is released",
        says(&format!("IP {ip} released")),
    );
    t.type_text("y");
    t.wait_gone("Terminate 1 instance(s)?");
    t.wait_until(&format!("{name} terminated"), |s| {
        row_named(s, &name).is_none_or(|r| r.state == "terminated")
    });
    // Released once the cloud let go of it: gone from the list.
    let mut released = false;
    for _ in 0..30 {
        if !addresses_list(&t, &ip) {
            released = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(released, "{ip} was not released:\n{}", t.capture());
}

#[test]
fn the_doctor_fills_in_then_probes_on_the_simulator() {
    let t = start_hytop("doctor", 0.0, &[]);
    wait_listed(&t);
    let name = unique_name("doc");
    launch_on_aws(&t, Some(&name));
    t.wait_until(&format!("{name} running and selected"), |s| {
        row_named(s, &name).is_some_and(|r| r.selected && r.state == "running")
    });
    t.type_text("D");
    let title = "Doctor: ";
    let screen = t.wait_until("every check answered", |s| {
        popup(s, title).is_some_and(|lines| {
            let text = lines.join("\n");
            !text.contains("asking…") && text.contains("boot log")
        })
    });
    let text = popup(&screen, title).expect("the doctor").join("\n");
    assert!(text.contains("✓ state"), "{text}");
    assert!(
        text.contains("security groups") && text.contains("22/tcp open to 0.0.0.0/0"),
        "{text}"
    );
    // Not probed until asked.
    assert!(!text.contains("probe  "), "{text}");
    t.type_text("p");
    let screen = t.wait_until("the probe answered", |s| {
        popup(s, title).is_some_and(|lines| lines.iter().any(|l| l.contains("22/tcp open (")))
    });
    let text = popup(&screen, title).expect("the doctor").join("\n");
    assert!(text.contains("✓ probe"), "{text}");
    t.send_keys(&["Escape"]);
    t.wait_until("the doctor closed", |s| popup(s, title).is_none());
}

#[test]
fn the_doctor_on_a_simulated_openstack_server() {
    let t = start_hytop("doctor-os", 0.0, &[]);
    wait_listed(&t);
    // The first template is the OpenStack one.
    t.type_text("c");
    t.wait_until("the launch popup", |s| popup(s, "Launch").is_some());
    t.send_keys(&["Enter"]);
    t.wait_until("the launch popup closed", |s| popup(s, "Launch").is_none());
    t.wait_until("the new server selected and running", |s| {
        row_named(s, "service").is_some_and(|r| r.selected && r.state == "running")
    });
    t.type_text("D");
    let title = "Doctor: service";
    let screen = t.wait_until("every check answered", |s| {
        popup(s, title).is_some_and(|lines| !lines.join("\n").contains("asking…"))
    });
    let text = popup(&screen, title).expect("the doctor").join("\n");
    assert!(
        text.contains("✓ state           ACTIVE, no task, no fault"),
        "{text}"
    );
    assert!(
        text.contains("22/tcp open to 0.0.0.0/0 by security group lab-ssh"),
        "{text}"
    );
    assert!(text.contains("login user"), "{text}");
    t.send_keys(&["Escape"]);
    t.wait_until("the doctor closed", |s| popup(s, title).is_none());
}
