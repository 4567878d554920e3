//! What the status line says once a request is answered, and command lines
//! that are refused.

use super::*;

/// The one request in `fx`, with its cloud and id.
fn one_request(fx: &[Effect]) -> (CloudId, RequestId, Request) {
    let sent = sends(fx);
    assert_eq!(sent.len(), 1, "{fx:?}");
    sent.into_iter().next().expect("one request")
}

/// The status line no longer says `busy` (what was under way) but `outcome`.
fn replaced(state: &AppState, busy: &str, outcome: &str) {
    let (level, text) = status(state);
    assert!(!text.contains(busy), "still {busy:?}: {text}");
    assert!(!text.ends_with('…'), "still under way: {text}");
    assert_eq!(level, Level::Error, "{text}");
    assert!(text.contains(outcome), "{outcome:?} in {text:?}");
}

fn denied() -> CloudError {
    CloudError::new("403", "Policy does not allow this")
}

#[test]
fn a_refused_or_failed_launch_replaces_launching() {
    let mut state = fleet_state();
    run(&mut state, Command::Launch);
    let (cloud, id, request) = one_request(&code(&mut state, KeyCode::Enter));
    assert!(matches!(request, Request::Launch(_)), "{request:?}");
    assert!(
        status(&state).1.starts_with("launching"),
        "{:?}",
        status(&state)
    );
    let msg = "user-data file /tmp/ud.sh is 20000 bytes; the limit is 16384 bytes (16 KB). Nothing was launched.";
    respond(&mut state, cloud, id, Response::LaunchRefused(msg.into()));
    replaced(&state, "launching", "launch refused");
    // The popup keeps the whole story.
    assert_eq!(message_text(&state).2, msg);

    code(&mut state, KeyCode::Enter);
    run(&mut state, Command::Launch);
    let (cloud, id, _) = one_request(&code(&mut state, KeyCode::Enter));
    respond(&mut state, cloud, id, Response::Launched(Err(denied())));
    replaced(&state, "launching", "launch failed");
    assert!(status(&state).1.contains("Policy does not allow this"));
}

#[test]
fn a_failed_attach_or_detach_replaces_its_progress() {
    let mut state = fleet_state();
    select(&mut state, "experiment");
    key(&mut state, 'i');
    let (cloud, id, request) = one_request(&key(&mut state, 'a'));
    let Request::AttachIp(instance_id) = request else {
        panic!("{request:?}");
    };
    assert!(status(&state).1.starts_with("attaching an address"));
    respond(
        &mut state,
        cloud,
        id,
        Response::IpAttached {
            instance_id,
            result: Err(denied()),
        },
    );
    replaced(&state, "attaching", "attach public IP failed");

    code(&mut state, KeyCode::Enter);
    select(&mut state, "web-1");
    key(&mut state, 'i');
    let (cloud, id, request) = one_request(&key(&mut state, 'd'));
    let Request::DetachIp(instance_id) = request else {
        panic!("{request:?}");
    };
    assert!(status(&state).1.starts_with("detaching"));
    respond(
        &mut state,
        cloud,
        id,
        Response::IpDetached {
            instance_id,
            result: Err(denied()),
        },
    );
    replaced(&state, "detaching", "detach public IP failed");
}

#[test]
fn a_failed_terminate_release_or_extend_replaces_its_progress() {
    let mut state = fleet_state();
    select(&mut state, "web-2");
    shift(&mut state, 'X');
    let (cloud, id, request) = one_request(&key(&mut state, 'y'));
    let Request::Terminate(ids) = request else {
        panic!("{request:?}");
    };
    assert!(status(&state).1.starts_with("terminating"));
    respond(
        &mut state,
        cloud,
        id,
        Response::Terminated {
            ids,
            result: Err(denied()),
        },
    );
    replaced(&state, "terminating", "terminate failed");

    code(&mut state, KeyCode::Enter);
    shift(&mut state, 'A');
    key(&mut state, 'j');
    shift(&mut state, 'R');
    let (cloud, id, request) = one_request(&key(&mut state, 'y'));
    let Request::ReleaseAddress(address_id) = request else {
        panic!("{request:?}");
    };
    assert!(status(&state).1.starts_with("releasing"));
    respond(
        &mut state,
        cloud,
        id,
        Response::AddressReleased {
            address_id,
            result: Err(denied()),
        },
    );
    replaced(&state, "releasing", "release address failed");

    code(&mut state, KeyCode::Enter);
    select(&mut state, "web-1");
    shift(&mut state, 'E');
    type_text(&mut state, "2");
    let (cloud, id, request) = one_request(&code(&mut state, KeyCode::Enter));
    let Request::SetTags { instance_id, tags } = request else {
        panic!("{request:?}");
    };
    assert!(status(&state).1.starts_with("extending"));
    respond(
        &mut state,
        cloud,
        id,
        Response::TagsSet {
            instance_id,
            tags,
            result: Err(denied()),
        },
    );
    replaced(&state, "extending", "setting tags failed");
}

#[test]
fn a_command_line_usage_error_changes_nothing() {
    let mut state = fleet_state();
    command_line(&mut state, "sort age desc");
    let before = (state.sort, state.sort_desc, names(&state));
    for line in [
        "sort name desc extra",
        "sort name sideways",
        "sort name asc desc",
        "sort",
        "sort bogus desc",
    ] {
        let fx = command_line(&mut state, line);
        assert!(fx.is_empty(), "{line}: {fx:?}");
        let (level, text) = status(&state);
        assert_eq!(level, Level::Error, "{line}: {text}");
        assert!(text.starts_with("usage: :sort "), "{line}: {text}");
        assert_eq!(
            (state.sort, state.sort_desc, names(&state)),
            before,
            ":{line} changed the table"
        );
    }
    // Commands that take no words after them.
    for line in [
        "q now",
        "q! now",
        "quit please",
        "refresh all",
        "launch web",
        "forgotten 3",
    ] {
        state.status = None;
        let fx = command_line(&mut state, line);
        assert!(fx.is_empty(), "{line}: {fx:?}");
        assert!(!state.quit, "{line}");
        assert!(state.overlay.is_none(), "{line}: {:?}", state.overlay);
        assert!(!state.forgotten_only, "{line}");
        let (level, text) = status(&state);
        assert_eq!(level, Level::Error, "{line}: {text}");
        let verb = line.split(' ').next().unwrap_or_default();
        assert!(
            text.starts_with(&format!("usage: :{verb} ")),
            "{line}: {text}"
        );
    }
    // What is right still works, in its long spellings too.
    command_line(&mut state, "sort name descending");
    assert_eq!((state.sort, state.sort_desc), (SortColumn::Name, true));
    command_line(&mut state, "sort cost asc");
    assert_eq!((state.sort, state.sort_desc), (SortColumn::Cost, false));
}
