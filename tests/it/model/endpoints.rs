//! Endpoints shown and hidden while hytop runs: the region, profile and
//! cloud pickers and the sweep, through `update` alone (the event loop
//! starts and stops the workers the effects name).

use hytop::cloud::Regions;
use hytop::cloud::endpoints::Endpoint;
use hytop::dashboard::effect::{Choice, ChoiceKind};
use hytop::dashboard::overlays::EndpointPicker;
use hytop::domain::model::CloudKind;
use hytop::report::{Answer, Progress, Sweep};

use super::*;

fn picker(state: &AppState) -> &EndpointPicker {
    match &state.overlay {
        Some(Overlay::Picker(p)) => p,
        other => panic!("expected a picker, got {other:?}"),
    }
}

/// Moves the picker's selection to `name`.
fn choose(state: &mut AppState, name: &str) {
    code(state, KeyCode::Home);
    for _ in 0..20 {
        let p = picker(state);
        let listed = match &p.choices {
            Some(Ok(list)) => list.clone(),
            other => panic!("no choices: {other:?}"),
        };
        if listed.get(p.selected).is_some_and(|c| c.name == name) {
            return;
        }
        key(state, 'j');
    }
    panic!("{name} is not offered");
}

fn starts(fx: &[Effect]) -> Vec<(String, Option<String>)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::StartEndpoints { cloud, region } => Some((cloud.clone(), region.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_region_picker_asks_the_selected_cloud_and_shows_or_hides_regions() {
    let mut state = fleet_state();
    select(&mut state, "web-1");
    let fx = shift(&mut state, 'R');
    let asked: Vec<(CloudId, RequestId)> = sends(&fx)
        .into_iter()
        .filter(|(_, _, r)| *r == Request::Regions)
        .map(|(c, id, _)| (c, id))
        .collect();
    assert_eq!(asked.len(), 1, "{fx:?}");
    let (cloud, request) = asked[0];
    assert_eq!(cloud, 0, "the selected instance's endpoint is asked");
    assert!(picker(&state).choices.is_none(), "asking…");

    let regions = Regions {
        all: vec!["ap-south-1".into(), "eu-west-1".into(), "us-east-1".into()],
        this: Some("eu-west-1".into()),
    };
    // A stale answer changes nothing.
    respond(
        &mut state,
        0,
        request + 100,
        Response::Regions(Ok(regions.clone())),
    );
    assert!(picker(&state).choices.is_none());
    respond(&mut state, 0, request, Response::Regions(Ok(regions)));

    choose(&mut state, "ap-south-1");
    let fx = code(&mut state, KeyCode::Enter);
    assert_eq!(
        starts(&fx),
        [("demo-aws".to_string(), Some("ap-south-1".to_string()))]
    );

    // Hiding a shown region stops its worker and drops only its rows.
    let lab_rows = state.instances[2].len();
    let before = names(&state);
    choose(&mut state, "eu-west-1");
    let fx = code(&mut state, KeyCode::Enter);
    assert!(fx.contains(&Effect::StopEndpoint(0)), "{fx:?}");
    assert!(!state.clouds[0].shown);
    assert!(names(&state).len() < before.len());
    assert!(!names(&state).contains(&"web-1".to_string()));
    assert_eq!(state.instances[2].len(), lab_rows, "lab keeps its servers");
    // Hidden is not gone: web-1, forgotten-db, web-2 and the one shutting down.
    assert_eq!(
        status(&state).1,
        "no longer shown: demo-aws/eu-west-1 — its 4 live instance(s) keep running there \
         (w finds them)"
    );
    // Its worker's late answers are dropped, and no refresh goes to it.
    listing(&mut state, 0, request + 1, vec![instance("i-late", "late")]);
    assert!(!names(&state).contains(&"late".to_string()));
    let fx = tick(&mut state, fixed_now() + secs(3600));
    assert!(refreshes(&fx).iter().all(|(c, _)| *c != 0), "{fx:?}");

    // The model's config names what is shown.
    assert_eq!(
        state.config.cloud("demo-aws").map(|c| c.regions.clone()),
        Some(vec!["us-east-1".to_string()])
    );
}

#[test]
fn a_picked_profile_becomes_a_cloud_of_its_own() {
    let mut state = fleet_state();
    state.demo = true;
    let fx = shift(&mut state, 'P');
    assert!(fx.is_empty(), "the demo reaches no real cloud: {fx:?}");
    assert!(
        status(&state)
            .1
            .contains("the demo shows simulated clouds only")
    );

    state.demo = false;
    let fx = shift(&mut state, 'P');
    let request = match fx.as_slice() {
        [
            Effect::LoadChoices {
                kind: ChoiceKind::Profiles,
                request,
            },
        ] => *request,
        other => panic!("expected a profile listing, got {other:?}"),
    };
    let choices = vec![
        Choice {
            name: "default".into(),
            detail: "eu-west-1".into(),
        },
        Choice {
            name: "lab".into(),
            detail: "ap-south-1".into(),
        },
    ];
    update(
        &mut state,
        Action::Choices {
            request,
            result: Ok(choices),
        },
    );
    choose(&mut state, "lab");
    let fx = code(&mut state, KeyCode::Enter);
    assert_eq!(
        starts(&fx),
        [("lab-2".to_string(), None)],
        "lab is the OpenStack cloud's name"
    );
    let added = state
        .config
        .cloud("lab-2")
        .expect("a cloud for the profile");
    assert_eq!(added.profile.as_deref(), Some("lab"));

    // The event loop shows it: ✓ from then on, and Enter hides it again.
    let id = state.add_cloud(Endpoint {
        cloud: "lab-2".into(),
        label: "lab/ap-south-1".into(),
        kind: CloudKind::Aws,
        region: "ap-south-1".into(),
        simulated: false,
    });
    let fx = code(&mut state, KeyCode::Enter);
    assert!(fx.contains(&Effect::StopEndpoint(id)), "{fx:?}");
    assert!(!state.clouds[id].shown);
}

#[test]
fn the_sweep_lists_what_lives_outside_the_table_and_adds_its_region() {
    let mut state = fleet_state();
    let fx = key(&mut state, 'w');
    let request = match fx.as_slice() {
        [Effect::Sweep(request)] => *request,
        other => panic!("expected a sweep, got {other:?}"),
    };
    let drawn = super::cloud_text::screen(&mut state);
    assert!(
        drawn.contains("sweeping: listing every account's regions…"),
        "{drawn}"
    );
    // Progress: a stale sweep's is dropped, the current one's is drawn.
    let progress = |answered, total| Progress { answered, total };
    for (request, progress) in [(request + 7, progress(9, 9)), (request, progress(3, 5))] {
        update(&mut state, Action::SweepProgress { request, progress });
    }
    let drawn = super::cloud_text::screen(&mut state);
    assert!(
        drawn.contains("sweeping: 3 of 5 unshown regions answered…"),
        "{drawn}"
    );
    // Another w while it runs starts no second sweep.
    code(&mut state, KeyCode::Esc);
    assert!(key(&mut state, 'w').is_empty());

    let mut stray = instance("i-0stray", "forgotten-gpu");
    stray.region = "ap-south-1".into();
    let swept = Sweep {
        answers: vec![Answer {
            endpoint: Some(Endpoint {
                cloud: "demo-aws".into(),
                label: "demo-aws/ap-south-1".into(),
                kind: CloudKind::Aws,
                region: "ap-south-1".into(),
                simulated: true,
            }),
            instances: vec![stray],
            unwatched: true,
            ..Answer::default()
        }],
        swept: vec![(
            "demo-aws".into(),
            vec!["ap-south-1".into(), "eu-west-1".into()],
        )],
        took: std::time::Duration::from_millis(1200),
    };
    update(
        &mut state,
        Action::Swept {
            request: request + 7,
            sweep: Box::new(swept.clone()),
        },
    );
    assert!(state.last_sweep.is_none(), "a stale sweep is dropped");
    update(
        &mut state,
        Action::Swept {
            request,
            sweep: Box::new(swept),
        },
    );
    assert_eq!(
        status(&state).1,
        "sweep: not shown but in use: demo-aws/ap-south-1 (w lists it)"
    );
    let found = state.last_sweep.clone().expect("kept");
    assert_eq!(found.regions.len(), 1);
    assert!(
        found.regions[0].lines[0].contains("forgotten-gpu i-0stray running")
            && found.regions[0].lines[0]
                .ends_with("running in ap-south-1, which hytop does not show"),
        "{found:?}"
    );
    assert!(found.summary.starts_with("swept 2 regions in 1.2 s"));

    // w shows it (and sweeps again); Enter adds the region.
    code(&mut state, KeyCode::Esc);
    let fx = key(&mut state, 'w');
    assert!(matches!(fx.as_slice(), [Effect::Sweep(_)]));
    let fx = code(&mut state, KeyCode::Enter);
    assert_eq!(
        starts(&fx),
        [("demo-aws".to_string(), Some("ap-south-1".to_string()))]
    );
}

#[test]
fn a_name_after_region_is_shown_once_the_account_lists_it_and_hidden_at_once() {
    let mut state = fleet_state();
    select(&mut state, "web-1");
    let regions = || Regions {
        all: vec!["ap-south-1".into(), "eu-west-1".into(), "us-east-1".into()],
        this: Some("eu-west-1".into()),
    };
    // The account is asked first: nothing starts before it answers.
    let asked = |fx: &[Effect]| -> Vec<RequestId> {
        sends(fx)
            .into_iter()
            .filter(|(c, _, r)| *c == 0 && *r == Request::Regions)
            .map(|(_, id, _)| id)
            .collect()
    };
    let fx = command_line(&mut state, "region ap-south-1");
    assert!(starts(&fx).is_empty(), "{fx:?}");
    let [request] = asked(&fx)[..] else {
        panic!("one Regions request: {fx:?}")
    };
    let fx = respond(&mut state, 0, request, Response::Regions(Ok(regions())));
    assert_eq!(
        starts(&fx),
        [("demo-aws".to_string(), Some("ap-south-1".to_string()))]
    );
    assert!(state.overlay.is_none(), "the picker did its job");

    // A typo starts nothing and leaves the picker open to pick from.
    let fx = command_line(&mut state, "region ap-soth-1");
    let [request] = asked(&fx)[..] else {
        panic!("one Regions request: {fx:?}")
    };
    let fx = respond(&mut state, 0, request, Response::Regions(Ok(regions())));
    assert!(starts(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        status(&state).1,
        "demo-aws's account has no region ap-soth-1: pick one"
    );
    let offered: Vec<String> = match &picker(&state).choices {
        Some(Ok(list)) => list.iter().map(|c| c.name.clone()).collect(),
        other => panic!("no choices: {other:?}"),
    };
    assert_eq!(offered, ["ap-south-1", "eu-west-1", "us-east-1"]);
    code(&mut state, KeyCode::Esc);

    // A shown region is hidden at once.
    let fx = command_line(&mut state, "region us-east-1");
    assert!(fx.contains(&Effect::StopEndpoint(1)), "{fx:?}");
    assert!(!state.clouds[1].shown);
    state.demo = true;
    let fx = command_line(&mut state, "profile lab");
    assert!(starts(&fx).is_empty());
    assert!(
        status(&state)
            .1
            .contains("the demo shows simulated clouds only")
    );
    let fx = command_line(&mut state, "region a b");
    assert!(fx.is_empty());
    assert!(
        status(&state).1.starts_with("usage: :region"),
        "{:?}",
        status(&state)
    );
}

#[test]
fn the_quit_reminder_names_launches_in_a_hidden_endpoint() {
    let mut state = fleet_state();
    // Nothing else to remind of: only what this session launched in
    // demo-aws/us-east-1, then hid.
    state.set_instances(0, Vec::new());
    state.set_instances(2, Vec::new());
    state.launched.insert(ikey(1, BATCH));
    let fx = command_line(&mut state, "region us-east-1");
    assert!(fx.contains(&Effect::StopEndpoint(1)), "{fx:?}");

    let fx = key(&mut state, 'q');
    assert!(!fx.contains(&Effect::Quit), "not quit without a word");
    let Some(Overlay::QuitReminder(reminder)) = &state.overlay else {
        panic!("expected the quit reminder, got {:?}", state.overlay);
    };
    assert!(reminder.instances.is_empty());
    let drawn = super::cloud_text::screen(&mut state);
    assert!(drawn.contains("no longer shown"), "{drawn}");
    assert!(drawn.contains("demo-aws/us-east-1 (1)"), "{drawn}");
    // Nothing listed to terminate or stop: only keep-and-quit and stay.
    assert!(!drawn.contains("terminate them"), "{drawn}");
    assert!(key(&mut state, 't').is_empty());
    assert!(matches!(state.overlay, Some(Overlay::QuitReminder(_))));
    let fx = key(&mut state, 'q');
    assert!(fx.contains(&Effect::Quit), "{fx:?}");

    // Launched but not listed yet when hidden: counted too; one a listing
    // showed terminated is not, even once gone from the listings.
    let mut state = fleet_state();
    state.launched.insert(ikey(1, BATCH));
    state.launched.insert(ikey(1, "i-0notlistedyet"));
    state.launched.insert(ikey(1, "i-0endedsince"));
    let mut ended = state.instances[1][0].clone();
    ended.id = "i-0endedsince".into();
    ended.state = hytop::domain::model::InstanceState::Terminated;
    let mut list = state.instances[1].clone();
    list.push(ended);
    state.set_instances(1, list.clone());
    list.pop();
    state.set_instances(1, list);
    command_line(&mut state, "region us-east-1");
    assert_eq!(state.hidden_launches(), [("demo-aws/us-east-1", 2)]);
    // Shown again, it is an endpoint like any other: nothing hidden to name.
    state.add_cloud(hytop::cloud::endpoints::Endpoint {
        cloud: "demo-aws".into(),
        label: "demo-aws/us-east-1".into(),
        kind: CloudKind::Aws,
        region: "us-east-1".into(),
        simulated: true,
    });
    assert!(state.hidden_launches().is_empty());
}
