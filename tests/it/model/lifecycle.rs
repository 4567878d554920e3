//! Stop, start, reboot, hard reboot, shelve and unshelve from the keys: the
//! question names every id and what its cost does, `y` sends one request
//! per cloud, each id's outcome comes back on its own.

use hytop::cloud::{CloudError, PowerAction, PowerOutcome};
use hytop::dashboard::overlays::PowerPopup;

use super::*;

fn popup(state: &AppState) -> &PowerPopup {
    match &state.overlay {
        Some(Overlay::Power(p)) => p,
        other => panic!("expected the power question, got {other:?}"),
    }
}

fn powers(fx: &[Effect]) -> Vec<(CloudId, Vec<String>, PowerAction)> {
    sends(fx)
        .into_iter()
        .filter_map(|(cloud, _, r)| match r {
            Request::Power { ids, action } => Some((cloud, ids, action)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_lifecycle_key_asks_first_and_y_sends_the_shown_ids() {
    for (c, action) in [
        ('S', PowerAction::Stop),
        ('U', PowerAction::Start),
        ('B', PowerAction::Reboot),
        ('H', PowerAction::HardReboot),
        ('Z', PowerAction::Shelve),
        ('W', PowerAction::Unshelve),
    ] {
        let mut state = fleet_state();
        select(&mut state, "web-1");
        let fx = shift(&mut state, c);
        assert!(powers(&fx).is_empty(), "{c}: nothing before the answer");
        let p = popup(&state);
        assert_eq!(p.action, action, "{c}");
        assert_eq!(p.targets.len(), 1);
        assert_eq!(p.targets[0].key.id, "i-0a1b2c3d4e5f60718");
        let fx = key(&mut state, 'y');
        assert_eq!(
            powers(&fx),
            [(0, vec!["i-0a1b2c3d4e5f60718".to_string()], action)],
            "{c}"
        );
        assert!(state.overlay.is_none());
    }
}

#[test]
fn the_question_says_what_each_cost_does_and_n_sends_nothing() {
    let mut state = fleet_state();
    select(&mut state, "web-1");
    shift(&mut state, 'S');
    let effect = &popup(&state).effects[0];
    assert!(
        effect.starts_with("saves $") && effect.ends_with("/h"),
        "{effect}"
    );
    assert!(powers(&key(&mut state, 'n')).is_empty());
    assert!(state.overlay.is_none());

    // An OpenStack server without a price still holds its flavor when stopped.
    select(&mut state, "service");
    shift(&mut state, 'S');
    let effect = &popup(&state).effects[0];
    assert_eq!(effect, "still holds 1 vCPU / 0.5 GB: shelve frees it");
    code(&mut state, KeyCode::Esc);
    shift(&mut state, 'Z');
    assert_eq!(
        popup(&state).effects[0],
        "frees 1 vCPU / 0.5 GB, keeps a snapshot"
    );
}

#[test]
fn marked_instances_on_two_clouds_go_to_each_clouds_worker() {
    let mut state = fleet_state();
    for name in ["web-1", "forgotten-db", "service"] {
        select(&mut state, name);
        run(&mut state, Command::Mark);
    }
    run(&mut state, Command::Reboot);
    assert_eq!(popup(&state).targets.len(), 3);
    let mut sent = powers(&key(&mut state, 'y'));
    sent.sort_by_key(|(cloud, _, _)| *cloud);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].0, 0);
    assert_eq!(sent[0].1.len(), 2);
    assert_eq!(sent[1].0, 2);
    assert!(state.marks.is_empty(), "acted-on marks are cleared");
}

#[test]
fn readonly_refuses_every_lifecycle_command() {
    let mut state = fleet_state();
    state.readonly = true;
    for cmd in [
        Command::Stop,
        Command::Start,
        Command::Reboot,
        Command::HardReboot,
        Command::Shelve,
        Command::Unshelve,
    ] {
        let fx = run(&mut state, cmd);
        assert!(fx.is_empty() && state.overlay.is_none(), "{cmd:?}");
        let (level, text) = status(&state);
        assert_eq!(level, Level::Error);
        assert!(text.contains("read-only"), "{text}");
    }
}

#[test]
fn each_id_gets_its_own_outcome_and_refusals_keep_the_clouds_words() {
    let mut state = fleet_state();
    let refusal = "Cannot 'stop' instance c4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70 while it is in vm_state stopped";
    let fx = respond(
        &mut state,
        2,
        40,
        Response::Powered {
            action: PowerAction::Stop,
            outcomes: vec![
                PowerOutcome {
                    instance_id: "3f0c6b1e-8a59-4d2b-9c1e-5b7d2e4f6a80".into(),
                    result: Ok(()),
                },
                PowerOutcome {
                    instance_id: "c4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70".into(),
                    result: Err(CloudError::new("409", refusal)),
                },
            ],
        },
    );
    assert_eq!(refreshes(&fx).len(), 1, "what went ahead is listed again");
    let (title, is_error, text) = message_text(&state);
    assert_eq!(title, "stop refused");
    assert!(is_error);
    assert!(text.contains(&format!("409: {refusal}")), "{text}");
    assert!(
        text.contains("stop went ahead for 3f0c6b1e-8a59-4d2b-9c1e-5b7d2e4f6a80"),
        "{text}"
    );
}

#[test]
fn the_quit_reminder_stops_aws_and_shelves_openstack_then_quits() {
    let mut state = fleet_state();
    key(&mut state, 'q');
    let listed: Vec<(CloudId, String)> = match &state.overlay {
        Some(Overlay::QuitReminder(r)) => r
            .instances
            .iter()
            .map(|i| (i.target.key.cloud, i.target.key.id.clone()))
            .collect(),
        other => panic!("expected the quit reminder, got {other:?}"),
    };
    assert!(!listed.is_empty());
    assert!(powers(&key(&mut state, 'p')).is_empty(), "p asks once more");
    let fx = key(&mut state, 'y');
    let sent = sends(&fx);
    let mut asked = Vec::new();
    for (cloud, id, request) in &sent {
        let Request::Power { ids, action } = request else {
            panic!("{request:?}")
        };
        let want = if state.clouds[*cloud].kind == hytop::domain::model::CloudKind::OpenStack {
            PowerAction::Shelve
        } else {
            PowerAction::Stop
        };
        assert_eq!(*action, want, "cloud {cloud}");
        asked.extend(ids.iter().map(|i| (*cloud, i.clone())));
        assert!(!state.quit, "hytop waits for the clouds");
        let outcomes = ids
            .iter()
            .map(|i| PowerOutcome {
                instance_id: i.clone(),
                result: Ok(()),
            })
            .collect();
        let fx = respond(
            &mut state,
            *cloud,
            *id,
            Response::Powered {
                action: *action,
                outcomes,
            },
        );
        let _ = fx;
    }
    asked.sort();
    let mut want = listed;
    want.sort();
    assert_eq!(asked, want, "every listed instance, nothing else");
    assert!(state.quit, "every cloud confirmed: hytop quits");
}

#[test]
fn terminate_names_an_address_the_instance_shows_before_the_address_listing_does() {
    // The refresh answers instances first: the table shows service's new
    // public IP while the address listing still has it free.
    let mut state = fleet_state();
    for a in &mut state.clouds[2].addresses {
        a.instance_id = None;
    }
    state.clouds[2]
        .addresses
        .push(hytop::domain::model::PublicAddress {
            id: "fip-9".into(),
            ip: "198.51.100.99".into(),
            instance_id: None,
            pool: None,
        });
    select(&mut state, "service");
    shift(&mut state, 'X');
    let Some(Overlay::Terminate(popup)) = &state.overlay else {
        panic!("expected the terminate question, got {:?}", state.overlay);
    };
    let left: Vec<(&str, &str)> = popup
        .addresses
        .iter()
        .map(|a| (a.address_id.as_str(), a.ip.as_str()))
        .collect();
    // Its own address, not the other free one.
    assert_eq!(left, [("fip-1", "198.51.100.23")]);
}
