//! The model driven through `update` only: no terminal, no workers. Every
//! test starts from `fleet_state()` (three simulated clouds, ten instances)
//! and feeds it keys, commands, ticks and cloud answers.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use hytop::cloud::{AttachedAddress, CloudError};
use hytop::dashboard::action::{Action, CloudId, Request, RequestId, Response};
use hytop::dashboard::command::{Command, Context};
use hytop::dashboard::keymap::Keymap;
use hytop::dashboard::model::{AppState, InstanceKey, Level, PromptKind, SortColumn};
use hytop::dashboard::overlays::{
    AddressesPopup, LaunchField, LaunchPopup, LeftAddress, Overlay, QuitReminder, TerminatePopup,
};
use hytop::dashboard::update::{Effect, update};
use hytop::domain::model::{ConsoleOutput, Instance, LaunchOptions};
use hytop::testutil::{fixed_now, fleet_state, instance};

// The fixture's instances (see `hytop::testutil::fleet_state`).
// Cloud 0, demo-aws/eu-west-1:
const WEB1: &str = "i-0a1b2c3d4e5f60718"; // web-1, running, public 203.0.113.10
const DB: &str = "i-0fedcba9876543210"; // forgotten-db, running, t3.small, 3d4h old
const WEB2: &str = "i-0123456789abcdef0"; // web-2, pending, no address
// Cloud 1, demo-aws/us-east-1:
const BATCH: &str = "i-0eeee1111ffff2222"; // batch-worker, running, no public IP
const OLD_BATCH: &str = "i-0dead0000beef1111"; // old-batch, terminated
// Cloud 2, lab (OpenStack):
const SERVICE: &str = "3f0c6b1e-8a59-4d2b-9c1e-5b7d2e4f6a80"; // service, public 198.51.100.23
const SERVICE2: &str = "9b2d4f6a-1c3e-4a5b-8d7f-0e1a2b3c4d5e"; // service-2, BUILD

/// The fixture's rows in the default sort (cloud, then label, then name).
const INITIAL_ORDER: [&str; 10] = [
    "forgotten-db",
    "scratch",
    "web-1",
    "web-2",
    "batch-worker",
    "old-batch",
    "broken",
    "experiment",
    "service",
    "service-2",
];

// ---------------------------------------------------------------- helpers

fn press(state: &mut AppState, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, modifiers)))
}

fn key(state: &mut AppState, c: char) -> Vec<Effect> {
    press(state, KeyCode::Char(c), KeyModifiers::NONE)
}

fn shift(state: &mut AppState, c: char) -> Vec<Effect> {
    press(state, KeyCode::Char(c), KeyModifiers::SHIFT)
}

fn ctrl(state: &mut AppState, c: char) -> Vec<Effect> {
    press(state, KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn code(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
    press(state, code, KeyModifiers::NONE)
}

/// Types text key by key, collecting every effect.
fn type_text(state: &mut AppState, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(key(state, c));
    }
    fx
}

fn run(state: &mut AppState, cmd: Command) -> Vec<Effect> {
    update(state, Action::Run(cmd))
}

fn tick(state: &mut AppState, at: DateTime<Utc>) -> Vec<Effect> {
    update(state, Action::Tick(at))
}

fn respond(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    response: Response,
) -> Vec<Effect> {
    update(
        state,
        Action::Response {
            cloud,
            request,
            response,
        },
    )
}

fn listing(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    list: Vec<Instance>,
) -> Vec<Effect> {
    respond(state, cloud, request, Response::Instances(Ok(list)))
}

/// `:` + the line + Enter.
fn command_line(state: &mut AppState, line: &str) -> Vec<Effect> {
    let mut fx = key(state, ':');
    assert_eq!(
        state.prompt.as_ref().map(|p| p.kind),
        Some(PromptKind::Command),
        "':' opens the command line"
    );
    fx.extend(type_text(state, line));
    fx.extend(code(state, KeyCode::Enter));
    fx
}

/// Names of the shown rows, in order.
fn names(state: &AppState) -> Vec<String> {
    (0..state.view.len())
        .map(|r| state.row(r).expect("row").1.name.clone())
        .collect()
}

fn selected_name(state: &AppState) -> Option<String> {
    state.selected_instance().map(|(_, i)| i.name.clone())
}

fn ikey(cloud: CloudId, id: &str) -> InstanceKey {
    InstanceKey {
        cloud,
        id: id.to_string(),
    }
}

/// Puts the cursor on the row showing `name`.
fn select(state: &mut AppState, name: &str) {
    let row = names(state)
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("{name} is not shown"));
    state.select_row(row);
    assert_eq!(selected_name(state).as_deref(), Some(name));
}

fn sends(fx: &[Effect]) -> Vec<(CloudId, RequestId, Request)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send { cloud, id, request } => Some((*cloud, *id, request.clone())),
            _ => None,
        })
        .collect()
}

/// (cloud, request id) of every refresh started.
fn refreshes(fx: &[Effect]) -> Vec<(CloudId, RequestId)> {
    sends(fx)
        .into_iter()
        .filter(|(_, _, r)| matches!(r, Request::Refresh))
        .map(|(c, id, _)| (c, id))
        .collect()
}

/// Request ids of every console poll started.
fn console_polls(fx: &[Effect]) -> Vec<RequestId> {
    sends(fx)
        .into_iter()
        .filter(|(_, _, r)| matches!(r, Request::Console { .. }))
        .map(|(_, id, _)| id)
        .collect()
}

fn status(state: &AppState) -> (Level, String) {
    let s = state.status.as_ref().expect("a status line");
    (s.level, s.text.clone())
}

fn message_text(state: &AppState) -> (String, bool, String) {
    match &state.overlay {
        Some(Overlay::Message(m)) => (m.title.clone(), m.is_error, m.lines.join("\n")),
        other => panic!("expected a message popup, got {other:?}"),
    }
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

/// A console log of `n` lines `line <i>`, with `extra` appended to some lines.
fn console_text(n: usize, extra: &[(usize, &str)]) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("line {i}"));
        if let Some((_, e)) = extra.iter().find(|(at, _)| *at == i) {
            text.push(' ');
            text.push_str(e);
        }
        text.push('\n');
    }
    text
}

fn console_answer(state: &mut AppState, request: RequestId, id: &str, text: &str) -> Vec<Effect> {
    let fetched_at = state.now;
    respond(
        state,
        0,
        request,
        Response::Console(Ok(ConsoleOutput {
            instance_id: id.to_string(),
            text: text.to_string(),
            fetched_at,
        })),
    )
}

/// Opens the console of web-1 and answers its first poll with `text`.
fn open_console(state: &mut AppState, text: &str) -> RequestId {
    select(state, "web-1");
    let fx = key(state, 'l');
    let polls = console_polls(&fx);
    assert_eq!(polls.len(), 1, "{fx:?}");
    console_answer(state, polls[0], WEB1, text);
    polls[0]
}

// ---------------------------------------------------------------- fixture

#[test]
fn fixture_starts_sorted_by_cloud_with_web1_selected() {
    let state = fleet_state();
    assert_eq!(names(&state), INITIAL_ORDER);
    assert_eq!(state.selected, Some(ikey(0, WEB1)));
    assert_eq!(state.cursor, 2);
    assert_eq!(state.sort, SortColumn::Cloud);
    assert!(state.clouds.iter().all(|c| c.refreshing.is_none()));
}

// ---------------------------------------------------------------- listings

#[test]
fn refresh_that_reorders_rows_keeps_the_selected_instance() {
    let mut state = fleet_state();
    let mut list = state.instances[0].clone();
    for i in &mut list {
        match i.name.as_str() {
            "forgotten-db" => i.name = "x-db".into(),
            "scratch" => i.name = "y-scratch".into(),
            _ => {}
        }
    }
    list.push(instance("i-0000000000000new1", "a-new"));
    listing(&mut state, 0, 5, list);

    assert_eq!(
        &names(&state)[..5],
        ["a-new", "web-1", "web-2", "x-db", "y-scratch"]
    );
    assert_eq!(state.selected, Some(ikey(0, WEB1)));
    assert_eq!(state.cursor, 1);
    assert_eq!(state.clouds[0].applied_list, 5);
}

#[test]
fn selected_instance_gone_keeps_the_cursor_line() {
    let mut state = fleet_state();
    select(&mut state, "web-2");
    assert_eq!(state.cursor, 3);
    let list: Vec<Instance> = state.instances[0]
        .iter()
        .filter(|i| i.id != WEB2)
        .cloned()
        .collect();
    listing(&mut state, 0, 5, list);
    assert_eq!(state.cursor, 3);
    assert_eq!(selected_name(&state).as_deref(), Some("batch-worker"));

    // On the last line, the cursor is clamped to the new last line.
    select(&mut state, "service-2");
    assert_eq!(state.cursor, 8);
    let list: Vec<Instance> = state.instances[2]
        .iter()
        .filter(|i| i.id != SERVICE2)
        .cloned()
        .collect();
    listing(&mut state, 2, 6, list);
    assert_eq!(state.view.len(), 8);
    assert_eq!(state.cursor, 7);
    assert_eq!(selected_name(&state).as_deref(), Some("service"));
}

#[test]
fn stale_listing_is_dropped() {
    let mut state = fleet_state();
    let mut list = state.instances[0].clone();
    list.retain(|i| i.id != DB);
    listing(&mut state, 0, 10, list);
    let before_instances = state.instances.clone();
    let before_view = names(&state);
    let before_selected = state.selected.clone();

    // An older listing (a slower, earlier request) would move the table back in time.
    listing(&mut state, 0, 9, Vec::new());
    assert_eq!(state.instances, before_instances);
    assert_eq!(names(&state), before_view);
    assert_eq!(state.selected, before_selected);
    assert_eq!(state.clouds[0].applied_list, 10);

    // An older failure does not mark the cloud in error either.
    respond(
        &mut state,
        0,
        8,
        Response::Instances(Err(CloudError::message("timeout"))),
    );
    assert_eq!(state.clouds[0].error, None);
    assert_eq!(state.instances, before_instances);
}

// ---------------------------------------------------------------- refresh scheduling

#[test]
fn tick_starts_one_refresh_per_idle_cloud() {
    let mut state = fleet_state();
    let due = fixed_now() + secs(8);
    // Not yet due (the fixture schedules every cloud 8 s ahead).
    assert!(refreshes(&tick(&mut state, due - secs(1))).is_empty());

    state.clouds[1].refreshing = Some(99);
    let fx = tick(&mut state, due);
    let started = refreshes(&fx);
    assert_eq!(
        started.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![0, 2],
        "{fx:?}"
    );
    assert_ne!(started[0].1, started[1].1, "request ids are unique");
    assert_eq!(state.clouds[0].refreshing, Some(started[0].1));
    assert_eq!(state.clouds[1].refreshing, Some(99));
    assert_eq!(state.clouds[2].refreshing, Some(started[1].1));
    for (_, _, request) in sends(&fx) {
        assert_eq!(request, Request::Refresh);
    }

    // Every cloud is busy now: later ticks start nothing.
    assert!(refreshes(&tick(&mut state, due + secs(1))).is_empty());
    assert!(refreshes(&tick(&mut state, due + secs(60))).is_empty());
}

#[test]
fn next_refresh_is_due_refresh_secs_after_done() {
    let mut state = fleet_state();
    let t0 = fixed_now() + secs(8);
    let started = refreshes(&tick(&mut state, t0));
    assert_eq!(started.len(), 3);
    let (cloud, id) = started[0];
    assert_eq!(cloud, 0);

    // A RefreshDone of another request does not end this refresh.
    respond(&mut state, 0, id + 100, Response::RefreshDone);
    assert_eq!(state.clouds[0].refreshing, Some(id));

    respond(&mut state, 0, id, Response::RefreshDone);
    let every = state.config.refresh_secs as i64;
    assert_eq!(every, 3, "the demo config refreshes every 3 s");
    assert_eq!(state.clouds[0].refreshing, None);
    assert_eq!(state.clouds[0].next_refresh, Some(t0 + secs(every)));

    let early = tick(&mut state, t0 + secs(every) - Duration::milliseconds(1));
    assert!(refreshes(&early).is_empty(), "{early:?}");
    let on_time = refreshes(&tick(&mut state, t0 + secs(every)));
    assert_eq!(on_time.len(), 1);
    assert_eq!(on_time[0].0, 0);
    assert!(on_time[0].1 > id);
}

#[test]
fn refresh_command_while_refreshing_reruns_right_after_done() {
    let mut state = fleet_state();
    let t0 = fixed_now() + secs(8);
    let started = refreshes(&tick(&mut state, t0));
    assert_eq!(started.len(), 3);

    // Nothing is sent twice: each cloud remembers to go again.
    let fx = run(&mut state, Command::Refresh);
    assert!(refreshes(&fx).is_empty(), "{fx:?}");
    assert!(state.clouds.iter().all(|c| c.again));

    respond(&mut state, 0, started[0].1, Response::RefreshDone);
    assert!(!state.clouds[0].again);
    assert_eq!(state.clouds[0].next_refresh, None);
    let again = refreshes(&tick(&mut state, t0 + Duration::milliseconds(250)));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, 0);
    assert_eq!(state.clouds[0].refreshing, Some(again[0].1));

    // Once done without a new request, the normal interval applies again.
    respond(&mut state, 0, again[0].1, Response::RefreshDone);
    assert!(state.clouds[0].next_refresh.is_some());
}

#[test]
fn refresh_command_when_idle_refreshes_every_cloud_now() {
    let mut state = fleet_state();
    let fx = key(&mut state, 'r');
    let started = refreshes(&fx);
    assert_eq!(
        started.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(state.clouds.iter().all(|c| !c.again));
}

#[test]
fn cloud_error_touches_only_that_cloud() {
    let mut state = fleet_state();
    let before0 = state.clouds[0].clone();
    let instances_before = state.instances.clone();

    respond(
        &mut state,
        2,
        5,
        Response::Instances(Err(CloudError::new("503", "Service Unavailable"))),
    );
    let error = state.clouds[2].error.clone().expect("cloud 2 in error");
    assert!(error.contains("Service Unavailable"), "{error}");
    assert_eq!(
        state.instances, instances_before,
        "old instances stay listed"
    );
    assert_eq!(names(&state), INITIAL_ORDER);
    assert_eq!(state.clouds[0], before0);
    assert_eq!(state.clouds[1].error, None);

    // Another cloud's success does not clear it.
    let list0 = state.instances[0].clone();
    listing(&mut state, 0, 6, list0);
    assert!(state.clouds[2].error.is_some());

    let now = fixed_now() + secs(30);
    tick(&mut state, now);
    let list2 = state.instances[2].clone();
    listing(&mut state, 2, 7, list2);
    assert_eq!(state.clouds[2].error, None);
    assert_eq!(state.clouds[2].last_ok, Some(now));
}

// ---------------------------------------------------------------- filter

#[test]
fn filter_narrows_live_and_enter_keeps_it() {
    let mut state = fleet_state();
    key(&mut state, '/');
    assert_eq!(
        state.prompt.as_ref().map(|p| p.kind),
        Some(PromptKind::Filter)
    );
    let mut shown = Vec::new();
    for c in "web-".chars() {
        key(&mut state, c);
        shown.push(state.view.len());
    }
    // "w" still matches every demo-aws row, "we" the eu-west-1 ones, "web" only the web servers.
    assert_eq!(shown, vec![6, 4, 2, 2]);
    assert_eq!(names(&state), ["web-1", "web-2"]);
    assert_eq!(state.filter, "web-");

    code(&mut state, KeyCode::Enter);
    assert!(state.prompt.is_none());
    assert_eq!(state.filter, "web-");
    assert_eq!(names(&state), ["web-1", "web-2"]);
}

#[test]
fn esc_in_the_filter_prompt_clears_the_filter() {
    let mut state = fleet_state();
    key(&mut state, '/');
    type_text(&mut state, "batch");
    assert_eq!(names(&state), ["batch-worker", "old-batch"]);
    code(&mut state, KeyCode::Esc);
    assert!(state.prompt.is_none());
    assert_eq!(state.filter, "");
    assert_eq!(names(&state), INITIAL_ORDER);
}

#[test]
fn backspace_in_the_filter_prompt_widens_the_view() {
    let mut state = fleet_state();
    key(&mut state, '/');
    type_text(&mut state, "web-1");
    assert_eq!(names(&state), ["web-1"]);
    code(&mut state, KeyCode::Backspace);
    assert_eq!(names(&state), ["web-1", "web-2"]);
}

#[test]
fn filter_matches_every_column() {
    let cases: &[(&str, &[&str])] = &[
        ("forgotten", &["forgotten-db"]),              // name
        ("i-0eeee1111", &["batch-worker"]),            // id
        ("203.0.113.10", &["web-1"]),                  // public IP
        ("192.168.0.31", &["experiment"]),             // private IP
        ("stopping", &["scratch"]),                    // normalised state word
        ("shutting-down", &["scratch"]),               // the cloud's own state word
        ("terminated", &["old-batch"]),                // state word
        ("us-east-1", &["batch-worker", "old-batch"]), // region
        ("t3.small", &["forgotten-db"]),               // instance type
        (
            "m1.tiny", // flavor
            &["broken", "experiment", "service", "service-2"],
        ),
    ];
    for (needle, expected) in cases {
        let mut state = fleet_state();
        key(&mut state, '/');
        type_text(&mut state, needle);
        code(&mut state, KeyCode::Enter);
        assert_eq!(names(&state), *expected, "filter {needle:?}");
    }
}

#[test]
fn filter_is_case_insensitive() {
    let mut state = fleet_state();
    let mut list = state.instances[1].clone();
    let mut admin = instance("i-0abcabcabcabcabc1", "Web-Admin");
    admin.region = "us-east-1".into();
    list.push(admin);
    listing(&mut state, 1, 5, list);

    for needle in ["WEB-", "web-", "wEb-"] {
        let mut s = state.clone();
        key(&mut s, '/');
        type_text(&mut s, needle);
        code(&mut s, KeyCode::Enter);
        assert_eq!(names(&s), ["web-1", "web-2", "Web-Admin"], "{needle}");
    }
    let mut s = state.clone();
    key(&mut s, '/');
    type_text(&mut s, "SHUTOFF");
    assert_eq!(names(&s), ["experiment"]);
}

#[test]
fn filter_matches_the_image_name_cleaned_like_every_cloud_string() {
    let mut state = fleet_state();
    let mut list = state.instances[2].clone();
    for server in &mut list {
        server.image_name = Some(match server.name.as_str() {
            // A hostile name cannot clear the screen, and reads as it means.
            "service" => "ubuntu\x1b[2J-22.04-lab".into(),
            _ => "cirros-0.6.2".into(),
        });
    }
    listing(&mut state, 2, 5, list);
    let service = state.instances[2]
        .iter()
        .find(|i| i.name == "service")
        .expect("listed");
    assert_eq!(service.image_name.as_deref(), Some("ubuntu-22.04-lab"));

    for (needle, expected) in [
        ("ubuntu-22.04", &["service"][..]),
        ("UBUNTU-22", &["service"]),
        ("cirros", &["broken", "experiment", "service-2"]),
    ] {
        let mut s = state.clone();
        key(&mut s, '/');
        type_text(&mut s, needle);
        code(&mut s, KeyCode::Enter);
        assert_eq!(names(&s), expected, "filter {needle:?}");
    }
    // The image id still matches, named or not.
    let mut s = state.clone();
    key(&mut s, '/');
    type_text(&mut s, "6a1e3c4f-0d0e");
    assert_eq!(names(&s), ["broken", "experiment", "service", "service-2"]);
}

#[test]
fn filter_keeps_the_selection_when_it_stays_shown() {
    let mut state = fleet_state();
    select(&mut state, "web-2");
    key(&mut state, '/');
    type_text(&mut state, "web");
    assert_eq!(state.selected, Some(ikey(0, WEB2)));
    assert_eq!(state.cursor, 1);
}

// ---------------------------------------------------------------- sort

#[test]
fn sort_next_and_reverse_order_the_view() {
    let mut state = fleet_state();
    run(&mut state, Command::SortNext);
    assert_eq!(state.sort, SortColumn::Region);
    assert_eq!(
        names(&state),
        [
            "forgotten-db",
            "scratch",
            "web-1",
            "web-2", // eu-west-1
            "broken",
            "experiment",
            "service",
            "service-2", // lab
            "batch-worker",
            "old-batch", // us-east-1
        ]
    );
    assert_eq!(selected_name(&state).as_deref(), Some("web-1"));
    assert_eq!(state.cursor, 2);

    run(&mut state, Command::SortReverse);
    assert!(state.sort_desc);
    // Only the sort column is reversed; ties stay in label/name order.
    assert_eq!(
        names(&state),
        [
            "batch-worker",
            "old-batch",
            "broken",
            "experiment",
            "service",
            "service-2",
            "forgotten-db",
            "scratch",
            "web-1",
            "web-2",
        ]
    );
    assert_eq!(state.selected, Some(ikey(0, WEB1)));
    assert_eq!(state.cursor, 8);

    // The same through the keymap: o = sort_next, O = sort_reverse.
    shift(&mut state, 'O');
    assert!(!state.sort_desc);
    key(&mut state, 'o');
    assert_eq!(state.sort, SortColumn::Name);
    assert_eq!(names(&state), BY_NAME);
}

/// The fixture's names in name order.
const BY_NAME: [&str; 10] = [
    "batch-worker",
    "broken",
    "experiment",
    "forgotten-db",
    "old-batch",
    "scratch",
    "service",
    "service-2",
    "web-1",
    "web-2",
];

#[test]
fn sort_next_walks_every_column_and_wraps() {
    let mut state = fleet_state();
    let mut seen = vec![state.sort];
    for _ in 0..SortColumn::ALL.len() {
        run(&mut state, Command::SortNext);
        seen.push(state.sort);
    }
    let n = SortColumn::ALL.len();
    assert_eq!(&seen[..n], SortColumn::ALL);
    assert_eq!(seen[n], SortColumn::Cloud);
}

#[test]
fn command_line_sorts() {
    let mut state = fleet_state();
    let fx = command_line(&mut state, "sort age desc");
    assert!(fx.is_empty());
    assert!(state.prompt.is_none());
    assert_eq!((state.sort, state.sort_desc), (SortColumn::Age, true));
    // Oldest first; the 2 h old ties go by cloud label, then name.
    assert_eq!(
        names(&state),
        [
            "forgotten-db", // 3d4h
            "experiment",   // 50h
            "broken",       // 26h
            "scratch",
            "web-1",
            "batch-worker",
            "old-batch",
            "service",
            "service-2", // 40 s
            "web-2",     // 12 s
        ]
    );

    command_line(&mut state, "sort name");
    assert_eq!((state.sort, state.sort_desc), (SortColumn::Name, false));
    assert_eq!(names(&state), BY_NAME);

    command_line(&mut state, "sort public-ip");
    assert_eq!(state.sort, SortColumn::PublicIp);
    assert_eq!(&names(&state)[..2], ["service", "web-1"]); // 198.51… < 203.0…
}

#[test]
fn unknown_command_line_sets_an_error() {
    let mut state = fleet_state();
    let fx = command_line(&mut state, "foo");
    assert!(fx.is_empty());
    let (level, text) = status(&state);
    assert_eq!(level, Level::Error);
    assert!(text.contains(":foo"), "{text}");
    assert_eq!(names(&state), INITIAL_ORDER);

    command_line(&mut state, "sort bogus");
    let (level, text) = status(&state);
    assert_eq!(level, Level::Error);
    assert!(text.contains("usage: :sort"), "{text}");
    assert_eq!(state.sort, SortColumn::Cloud);
}

// ---------------------------------------------------------------- keys

#[test]
fn keys_go_through_the_keymap() {
    let mut state = fleet_state();
    key(&mut state, 'j');
    assert_eq!(
        (state.cursor, selected_name(&state).as_deref()),
        (3, Some("web-2"))
    );
    key(&mut state, 'k');
    assert_eq!(state.cursor, 2);
    code(&mut state, KeyCode::Down);
    assert_eq!(state.cursor, 3);

    shift(&mut state, 'G');
    assert_eq!(state.cursor, 9);
    assert_eq!(selected_name(&state).as_deref(), Some("service-2"));
    key(&mut state, 'g');
    assert_eq!(state.cursor, 0);
    // Kitty-protocol terminals report shift+g as `g`+SHIFT: still the bottom.
    press(&mut state, KeyCode::Char('g'), KeyModifiers::SHIFT);
    assert_eq!(state.cursor, 9);
    // At the bottom, down stays there.
    key(&mut state, 'j');
    assert_eq!(state.cursor, 9);

    // A key release never runs a command.
    let release = KeyEvent::new_with_kind(
        KeyCode::Char('g'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    );
    assert!(update(&mut state, Action::Key(release)).is_empty());
    assert_eq!(state.cursor, 9);

    // An unbound key does nothing.
    assert!(key(&mut state, 'z').is_empty());
    assert_eq!(state.cursor, 9);
    assert!(!state.quit);

    assert_eq!(ctrl(&mut state, 'c'), vec![Effect::Quit]);
    assert!(state.quit);
}

#[test]
fn ctrl_c_quits_even_from_a_prompt_and_q_quits_the_table() {
    let mut state = fleet_state();
    key(&mut state, '/');
    assert_eq!(ctrl(&mut state, 'c'), vec![Effect::Quit]);
    assert!(state.quit);

    // forgotten-db runs for three days: `q` reminds first, `q` again quits.
    let mut state = fleet_state();
    assert!(key(&mut state, 'q').is_empty());
    assert!(matches!(state.overlay, Some(Overlay::QuitReminder(_))));
    assert_eq!(key(&mut state, 'q'), vec![Effect::Quit]);
    assert!(state.quit);
}

#[test]
fn page_keys_move_by_page_height() {
    let mut state = fleet_state();
    state.page_height = 4;
    state.select_row(0);
    ctrl(&mut state, 'd');
    assert_eq!(state.cursor, 4);
    code(&mut state, KeyCode::PageDown);
    assert_eq!(state.cursor, 8);
    code(&mut state, KeyCode::PageDown);
    assert_eq!(state.cursor, 9);
    ctrl(&mut state, 'u');
    assert_eq!(state.cursor, 5);
}

// ---------------------------------------------------------------- marks and terminate

#[test]
fn space_marks_and_moves_down() {
    let mut state = fleet_state();
    key(&mut state, ' ');
    assert_eq!(
        state.marks.iter().cloned().collect::<Vec<_>>(),
        [ikey(0, WEB1)]
    );
    assert_eq!(selected_name(&state).as_deref(), Some("web-2"));
    key(&mut state, ' ');
    assert_eq!(state.marks.len(), 2);
    assert!(state.marks.contains(&ikey(0, WEB2)));
    assert_eq!(state.cursor, 4);

    // Space on a marked row unmarks it.
    key(&mut state, 'k');
    key(&mut state, ' ');
    assert_eq!(
        state.marks.iter().cloned().collect::<Vec<_>>(),
        [ikey(0, WEB1)]
    );
}

#[test]
fn ctrl_a_marks_every_shown_row_then_unmarks_all() {
    let mut state = fleet_state();
    ctrl(&mut state, 'a');
    assert_eq!(state.marks.len(), 10);
    ctrl(&mut state, 'a');
    assert!(state.marks.is_empty());

    // Only what the filter shows.
    key(&mut state, '/');
    type_text(&mut state, "web");
    code(&mut state, KeyCode::Enter);
    ctrl(&mut state, 'a');
    assert_eq!(
        state.marks.iter().cloned().collect::<Vec<_>>(),
        [ikey(0, WEB2), ikey(0, WEB1)]
    );
    ctrl(&mut state, 'a');
    assert!(state.marks.is_empty());
}

#[test]
fn terminate_confirms_exactly_the_marked_instances() {
    let mut state = fleet_state();
    for name in [
        "web-1",
        "batch-worker",
        "old-batch",
        "service",
        "forgotten-db",
    ] {
        select(&mut state, name);
        key(&mut state, ' ');
    }
    assert_eq!(state.marks.len(), 5);

    let fx = shift(&mut state, 'X');
    assert!(fx.is_empty(), "nothing is sent before the confirmation");
    let Some(Overlay::Terminate(popup)) = state.overlay.clone() else {
        panic!("expected the terminate popup, got {:?}", state.overlay);
    };
    let targets = popup.targets;
    let shown: Vec<(CloudId, &str, &str)> = targets
        .iter()
        .map(|t| (t.key.cloud, t.key.id.as_str(), t.name.as_str()))
        .collect();
    // old-batch is already terminated: not offered.
    assert_eq!(
        shown,
        [
            (0, WEB1, "web-1"),
            (0, DB, "forgotten-db"),
            (1, BATCH, "batch-worker"),
            (2, SERVICE, "service"),
        ]
    );
    assert_eq!(targets[2].cloud_label, "demo-aws/us-east-1");

    // A refresh arrives while the popup is open: web-1 is renamed (rows
    // reorder) and service is gone from its cloud's listing.
    let mut list0 = state.instances[0].clone();
    for i in &mut list0 {
        if i.id == WEB1 {
            i.name = "aaa-web".into();
        }
    }
    listing(&mut state, 0, 20, list0);
    let list2: Vec<Instance> = state.instances[2]
        .iter()
        .filter(|i| i.id != SERVICE)
        .cloned()
        .collect();
    listing(&mut state, 2, 21, list2);
    assert_eq!(
        state.overlay,
        Some(Overlay::Terminate(TerminatePopup {
            targets: targets.clone(),
            // The service's floating IP outlives it; this session did not
            // allocate it, so it is kept unless asked.
            addresses: vec![LeftAddress {
                key: targets[3].key.clone(),
                address_id: "fip-1".into(),
                ip: "198.51.100.23".into(),
                hourly: None,
                release: false,
            }],
            scroll: 0
        }))
    );

    let fx = key(&mut state, 'y');
    assert!(state.overlay.is_none());
    let sent: Vec<(CloudId, Request)> = sends(&fx).into_iter().map(|(c, _, r)| (c, r)).collect();
    assert_eq!(
        sent,
        [
            (0, Request::Terminate(vec![WEB1.into(), DB.into()])),
            (1, Request::Terminate(vec![BATCH.into()])),
            (2, Request::Terminate(vec![SERVICE.into()])),
        ]
    );
    assert_eq!(fx.len(), 3);
    let ids: Vec<RequestId> = sends(&fx).iter().map(|(_, id, _)| *id).collect();
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "unique request ids");
    // The terminated instances are no longer marked; old-batch still is.
    assert_eq!(
        state.marks.iter().cloned().collect::<Vec<_>>(),
        [ikey(1, OLD_BATCH)]
    );
}

#[test]
fn terminate_without_marks_targets_the_selected_instance() {
    let mut state = fleet_state();
    shift(&mut state, 'X');
    let Some(Overlay::Terminate(popup)) = &state.overlay else {
        panic!("expected the terminate popup");
    };
    let targets = &popup.targets;
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].key, ikey(0, WEB1));
    let fx = key(&mut state, 'y');
    assert_eq!(
        sends(&fx)
            .into_iter()
            .map(|(c, _, r)| (c, r))
            .collect::<Vec<_>>(),
        [(0, Request::Terminate(vec![WEB1.into()]))]
    );
}

#[test]
fn terminate_declined_sends_nothing() {
    for decline in [KeyCode::Char('n'), KeyCode::Esc, KeyCode::Char('q')] {
        let mut state = fleet_state();
        key(&mut state, ' ');
        run(&mut state, Command::Terminate);
        assert!(matches!(state.overlay, Some(Overlay::Terminate(_))));
        // Unrelated keys neither confirm nor close.
        assert!(key(&mut state, 'j').is_empty());
        assert!(matches!(state.overlay, Some(Overlay::Terminate(_))));
        let fx = code(&mut state, decline);
        assert!(fx.is_empty(), "{decline:?}: {fx:?}");
        assert!(state.overlay.is_none(), "{decline:?}");
        assert_eq!(state.marks.len(), 1, "declining keeps the marks");
    }
}

/// The built-in keymap with `user` (a user's keymap.toml) merged on top.
fn remapped(state: &mut AppState, user: &str) {
    let mut keymap = Keymap::default_keymap().expect("default keymap");
    keymap.merge(Keymap::parse(user, "keymap.toml").expect("user keymap"));
    state.keymap = keymap;
}

#[test]
fn the_terminate_question_answers_to_a_remapped_confirm_section() {
    let user = "[confirm]\ny = \"none\"\nY = \"confirm\"\n";
    // `y` is unbound: the question stays open and nothing is sent.
    let mut state = fleet_state();
    remapped(&mut state, user);
    shift(&mut state, 'X');
    assert!(matches!(state.overlay, Some(Overlay::Terminate(_))));
    assert!(key(&mut state, 'y').is_empty());
    assert!(matches!(state.overlay, Some(Overlay::Terminate(_))));
    // `Y` confirms.
    let fx = shift(&mut state, 'Y');
    assert!(state.overlay.is_none());
    assert_eq!(
        sends(&fx)
            .into_iter()
            .map(|(c, _, r)| (c, r))
            .collect::<Vec<_>>(),
        [(0, Request::Terminate(vec![WEB1.into()]))]
    );
    // The same answer everywhere a yes/no is asked: the quit reminder...
    let mut state = fleet_state();
    remapped(&mut state, user);
    key(&mut state, 'q');
    key(&mut state, 't');
    assert!(key(&mut state, 'y').is_empty());
    assert!(matches!(
        state.overlay,
        Some(Overlay::QuitReminder(QuitReminder { confirm: true, .. }))
    ));
    assert!(!shift(&mut state, 'Y').is_empty());
    assert!(state.overlay.is_none());
    // ... and the address release (where any other answer keeps it).
    let mut state = fleet_state();
    remapped(&mut state, user);
    shift(&mut state, 'A');
    key(&mut state, 'j');
    shift(&mut state, 'R');
    assert!(key(&mut state, 'y').is_empty());
    assert!(matches!(
        state.overlay,
        Some(Overlay::Addresses(AddressesPopup { confirm: false, .. }))
    ));
    shift(&mut state, 'R');
    let fx = shift(&mut state, 'Y');
    assert!(
        matches!(
            sends(&fx).as_slice(),
            [(2, _, Request::ReleaseAddress(id))] if id == "fip-2"
        ),
        "{fx:?}"
    );
}

#[test]
fn popup_and_prompt_keys_can_be_remapped() {
    let user = "[public_ip]\na = \"none\"\n\"+\" = \"attach\"\n\
                [prompt]\n\"ctrl-g\" = \"cancel\"\n\
                [launch]\n\"ctrl-n\" = \"next_field\"\n\
                [quit]\nk = \"none\"\n";
    let mut state = fleet_state();
    remapped(&mut state, user);
    select(&mut state, "batch-worker");
    key(&mut state, 'i');
    assert!(key(&mut state, 'a').is_empty(), "a is unbound");
    assert!(state.overlay.is_some());
    let fx = key(&mut state, '+');
    assert_eq!(
        sends(&fx)
            .into_iter()
            .map(|(c, _, r)| (c, r))
            .collect::<Vec<_>>(),
        [(1, Request::AttachIp(BATCH.into()))]
    );

    // A remapped prompt key; printable characters are still typed.
    key(&mut state, '/');
    type_text(&mut state, "web");
    assert_eq!(state.filter, "web");
    ctrl(&mut state, 'g');
    assert!(state.prompt.is_none());
    assert_eq!(state.filter, "", "cancel clears the filter");

    key(&mut state, 'c');
    ctrl(&mut state, 'n');
    assert_eq!(launch_popup(&state).focus, LaunchField::Name);
    code(&mut state, KeyCode::Esc);

    // An unbound reminder key does nothing; q still keeps them and quits.
    key(&mut state, 'q');
    assert!(key(&mut state, 'k').is_empty());
    assert!(!state.quit);
    assert_eq!(key(&mut state, 'q'), vec![Effect::Quit]);
}

#[test]
fn help_shows_the_keys_of_the_place_it_was_opened_from_first() {
    let mut state = fleet_state();
    key(&mut state, '?');
    let Some(Overlay::Help(help)) = &state.overlay else {
        panic!("expected the help, got {:?}", state.overlay);
    };
    assert_eq!(help.from, Context::Table);
    let sections = help.sections();
    assert_eq!(sections[0], Context::Table);
    assert_eq!(sections.len(), Context::ALL.len(), "every section is shown");
    key(&mut state, 'q');
    assert!(state.overlay.is_none());

    open_console(&mut state, "boot\n");
    key(&mut state, '?');
    let Some(Overlay::Help(help)) = &state.overlay else {
        panic!("expected the help, got {:?}", state.overlay);
    };
    assert_eq!(help.from, Context::Console);
    let sections = help.sections();
    assert_eq!(sections[..2], [Context::Console, Context::Table]);
    assert_eq!(sections.len(), Context::ALL.len(), "every section is shown");
    // Closing the help goes back to the console.
    key(&mut state, '?');
    assert!(state.overlay.is_none());
    assert!(state.console.is_some());
}

#[test]
fn terminated_instances_are_not_offered() {
    let mut state = fleet_state();
    select(&mut state, "old-batch");
    let fx = shift(&mut state, 'X');
    assert!(fx.is_empty());
    assert!(state.overlay.is_none());
    let (level, text) = status(&state);
    assert_eq!(level, Level::Error);
    assert!(text.contains("nothing to terminate"), "{text}");
}

// ---------------------------------------------------------------- read-only

#[test]
fn readonly_refuses_every_cloud_change() {
    type Act = fn(&mut AppState) -> Vec<Effect>;
    let keys: [(&str, Act); 7] = [
        ("c", |s| key(s, 'c')),
        ("X", |s| shift(s, 'X')),
        ("i", |s| key(s, 'i')),
        ("launch", |s| run(s, Command::Launch)),
        ("terminate", |s| run(s, Command::Terminate)),
        ("public_ip", |s| run(s, Command::PublicIp)),
        (":launch", |s| command_line(s, "launch")),
    ];
    for (what, act) in keys {
        let mut state = fleet_state();
        state.readonly = true;
        key(&mut state, ' '); // a mark, so terminate would have targets
        let fx = act(&mut state);
        assert!(fx.is_empty(), "{what}: {fx:?}");
        assert!(state.overlay.is_none(), "{what}: {:?}", state.overlay);
        let (level, text) = status(&state);
        assert_eq!(level, Level::Error, "{what}");
        assert!(text.contains("read-only"), "{what}: {text}");
    }
}

#[test]
fn readonly_still_allows_looking() {
    let mut state = fleet_state();
    state.readonly = true;
    assert_eq!(refreshes(&key(&mut state, 'r')).len(), 3);
    assert_eq!(console_polls(&key(&mut state, 'l')).len(), 1);
}

// ---------------------------------------------------------------- public IP

#[test]
fn public_ip_popup_attaches_to_an_instance_without_one() {
    for confirm in [KeyCode::Char('a'), KeyCode::Enter] {
        let mut state = fleet_state();
        select(&mut state, "batch-worker");
        key(&mut state, 'i');
        let Some(Overlay::PublicIp(popup)) = &state.overlay else {
            panic!("expected the public IP popup, got {:?}", state.overlay);
        };
        assert_eq!(popup.target.key, ikey(1, BATCH));
        assert_eq!(popup.current_ip, None);
        // Detaching is not offered without an address.
        assert!(key(&mut state, 'd').is_empty());
        assert!(state.overlay.is_some());

        let fx = code(&mut state, confirm);
        assert!(state.overlay.is_none());
        let sent: Vec<(CloudId, Request)> =
            sends(&fx).into_iter().map(|(c, _, r)| (c, r)).collect();
        assert_eq!(sent, [(1, Request::AttachIp(BATCH.into()))], "{confirm:?}");
    }
}

#[test]
fn public_ip_popup_detaches_an_attached_address() {
    let mut state = fleet_state();
    key(&mut state, 'i'); // web-1 has 203.0.113.10
    let Some(Overlay::PublicIp(popup)) = &state.overlay else {
        panic!("expected the public IP popup");
    };
    assert_eq!(popup.current_ip.as_deref(), Some("203.0.113.10"));
    assert!(key(&mut state, 'a').is_empty(), "already attached");
    assert!(state.overlay.is_some());
    let fx = key(&mut state, 'd');
    assert!(state.overlay.is_none());
    let sent: Vec<(CloudId, Request)> = sends(&fx).into_iter().map(|(c, _, r)| (c, r)).collect();
    assert_eq!(sent, [(0, Request::DetachIp(WEB1.into()))]);
}

#[test]
fn public_ip_popup_lists_free_addresses_and_esc_closes() {
    let mut state = fleet_state();
    select(&mut state, "experiment");
    key(&mut state, 'i');
    let Some(Overlay::PublicIp(popup)) = &state.overlay else {
        panic!("expected the public IP popup");
    };
    assert_eq!(popup.free, ["198.51.100.40"]);
    assert!(code(&mut state, KeyCode::Esc).is_empty());
    assert!(state.overlay.is_none());
}

#[test]
fn failed_attach_shows_the_clouds_message() {
    let mut state = fleet_state();
    let fx = respond(
        &mut state,
        1,
        7,
        Response::IpAttached {
            instance_id: BATCH.into(),
            result: Err(CloudError::new(
                "AddressLimitExceeded",
                "The maximum number of addresses has been reached.",
            )),
        },
    );
    assert!(fx.is_empty());
    let (_, is_error, text) = message_text(&state);
    assert!(is_error);
    assert!(
        text.contains("The maximum number of addresses has been reached."),
        "{text}"
    );
    assert!(text.contains("AddressLimitExceeded"), "{text}");
    assert!(text.contains(BATCH), "{text}");
    assert!(text.contains("demo-aws/us-east-1"), "{text}");
    // Any of the usual keys closes it.
    code(&mut state, KeyCode::Enter);
    assert!(state.overlay.is_none());
}

#[test]
fn successful_attach_refreshes_that_cloud() {
    let mut state = fleet_state();
    let fx = respond(
        &mut state,
        1,
        7,
        Response::IpAttached {
            instance_id: BATCH.into(),
            result: Ok(AttachedAddress {
                ip: "203.0.113.77".into(),
                reused: true,
            }),
        },
    );
    assert_eq!(refreshes(&fx).iter().map(|r| r.0).collect::<Vec<_>>(), [1]);
    assert!(state.overlay.is_none());
    let (level, text) = status(&state);
    assert_eq!(level, Level::Info);
    assert!(text.contains("203.0.113.77"), "{text}");
}

/// With marks present, the public IP key still works on the instance under
/// the cursor: it edits one instance, the selected one.
#[test]
fn public_ip_with_marks_uses_the_selected_instance() {
    let mut state = fleet_state();
    key(&mut state, ' '); // marks web-1, cursor moves to web-2
    assert_eq!(selected_name(&state).as_deref(), Some("web-2"));
    key(&mut state, 'i');
    let Some(Overlay::PublicIp(popup)) = &state.overlay else {
        panic!(
            "expected the public IP popup for web-2, got {:?} / status {:?}",
            state.overlay, state.status
        );
    };
    assert_eq!(popup.target.key, ikey(0, WEB2));
}

// ---------------------------------------------------------------- launch

fn launch_popup(state: &AppState) -> LaunchPopup {
    match &state.overlay {
        Some(Overlay::Launch(p)) => p.as_ref().clone(),
        other => panic!("expected the launch popup, got {other:?}"),
    }
}

#[test]
fn launch_popup_edits_validates_and_confirms() {
    let mut state = fleet_state();
    let fx = key(&mut state, 'c');
    let popup = launch_popup(&state);
    assert_eq!(popup.template, 0);
    assert_eq!(popup.focus, LaunchField::Template);
    assert_eq!(popup.name, "web");
    assert_eq!(popup.count, "1");
    let sent = sends(&fx);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0, &sent[0].2), (0, &Request::LaunchOptions));
    assert_eq!(popup.options_request, Some(sent[0].1));

    // Name: Tab, then edit.
    code(&mut state, KeyCode::Tab);
    assert_eq!(launch_popup(&state).focus, LaunchField::Name);
    for _ in 0..3 {
        code(&mut state, KeyCode::Backspace);
    }
    // Letters that are bindings elsewhere (j, q, k) are text here.
    assert!(type_text(&mut state, "jqk-api").is_empty());
    assert_eq!(launch_popup(&state).name, "jqk-api");

    // Count: empty and zero are refused without sending anything.
    code(&mut state, KeyCode::Tab);
    assert_eq!(launch_popup(&state).focus, LaunchField::Count);
    code(&mut state, KeyCode::Backspace);
    assert_eq!(launch_popup(&state).count, "");
    assert!(code(&mut state, KeyCode::Enter).is_empty());
    let error = launch_popup(&state)
        .error
        .expect("an error for an empty count");
    assert!(error.contains("count"), "{error}");
    key(&mut state, 'x'); // not a digit: ignored
    key(&mut state, '0');
    assert_eq!(launch_popup(&state).count, "0");
    assert!(code(&mut state, KeyCode::Enter).is_empty());
    assert!(launch_popup(&state).error.is_some());

    code(&mut state, KeyCode::Backspace);
    key(&mut state, '3');
    let fx = code(&mut state, KeyCode::Enter);
    assert!(state.overlay.is_none());
    assert_eq!(fx.len(), 1, "{fx:?}");
    let Effect::Send {
        cloud,
        request: Request::Launch(draft),
        ..
    } = &fx[0]
    else {
        panic!("expected a launch, got {fx:?}");
    };
    assert_eq!(*cloud, 0);
    assert_eq!(draft.name, "jqk-api");
    assert_eq!(draft.count, 3);
    assert_eq!(draft.region, "eu-west-1");
    assert_eq!(draft.template, state.config.templates[0]);
    assert_eq!(draft.template.size, "t2.nano");
}

#[test]
fn launch_popup_refuses_an_empty_name() {
    let mut state = fleet_state();
    run(&mut state, Command::Launch);
    code(&mut state, KeyCode::Tab);
    for _ in 0..3 {
        code(&mut state, KeyCode::Backspace);
    }
    key(&mut state, ' ');
    assert!(code(&mut state, KeyCode::Enter).is_empty());
    let error = launch_popup(&state).error.expect("an error");
    assert!(error.contains("name"), "{error}");
}

#[test]
fn launch_template_switch_asks_its_cloud_for_options() {
    let mut state = fleet_state();
    let first = sends(&run(&mut state, Command::Launch))[0].1;

    // j on the template field: next template (us-east-1, count 2).
    let fx = key(&mut state, 'j');
    let popup = launch_popup(&state);
    assert_eq!(popup.template, 1);
    assert_eq!((popup.name.as_str(), popup.count.as_str()), ("worker", "2"));
    let sent = sends(&fx);
    assert_eq!((sent[0].0, &sent[0].2), (1, &Request::LaunchOptions));
    let second = sent[0].1;

    // The answer to the first template's request is stale now.
    let options = LaunchOptions::default();
    respond(
        &mut state,
        0,
        first,
        Response::LaunchOptions(Ok(options.clone())),
    );
    assert_eq!(launch_popup(&state).options, None);
    respond(
        &mut state,
        1,
        second,
        Response::LaunchOptions(Ok(options.clone())),
    );
    assert_eq!(launch_popup(&state).options, Some(options));

    // The OpenStack template has no region: the cloud's only one.
    let fx = code(&mut state, KeyCode::Down);
    assert_eq!(launch_popup(&state).template, 2);
    assert_eq!(sends(&fx)[0].0, 2);
    let fx = code(&mut state, KeyCode::Enter);
    let Effect::Send {
        cloud,
        request: Request::Launch(draft),
        ..
    } = &fx[0]
    else {
        panic!("expected a launch, got {fx:?}");
    };
    assert_eq!((*cloud, draft.region.as_str()), (2, "lab"));
    assert_eq!((draft.name.as_str(), draft.count), ("service", 1));
}

#[test]
fn launch_popup_esc_closes_without_sending() {
    let mut state = fleet_state();
    run(&mut state, Command::Launch);
    code(&mut state, KeyCode::Tab);
    assert!(code(&mut state, KeyCode::Esc).is_empty());
    assert!(state.overlay.is_none());
}

#[test]
fn launch_refused_shows_an_error_popup() {
    let mut state = fleet_state();
    let msg = "user-data file /tmp/ud.sh is 20000 bytes; the limit is 16384 bytes (16 KB). Nothing was launched.";
    let fx = respond(&mut state, 0, 7, Response::LaunchRefused(msg.into()));
    assert!(fx.is_empty());
    let (title, is_error, text) = message_text(&state);
    assert!(is_error);
    assert!(title.contains("Launch"), "{title}");
    assert_eq!(text, msg);
}

#[test]
fn failed_launch_shows_the_clouds_message() {
    let mut state = fleet_state();
    respond(
        &mut state,
        2,
        4,
        Response::Launched(Err(CloudError::new(
            "403",
            "Quota exceeded for instances: Requested 3, but already used 9 of 10 instances",
        ))),
    );
    let (_, is_error, text) = message_text(&state);
    assert!(is_error);
    assert!(text.contains("Quota exceeded for instances"), "{text}");
    assert!(text.contains("lab"), "{text}");
    assert!(state.launched.is_empty());
}

#[test]
fn launched_instances_are_recorded_and_selected_once_listed() {
    let mut state = fleet_state();
    let new1 = "i-0000000000000aaa1";
    let new2 = "i-0000000000000aaa2";
    let fx = respond(
        &mut state,
        0,
        30,
        Response::Launched(Ok(vec![new1.into(), new2.into()])),
    );
    assert_eq!(
        state.launched.iter().cloned().collect::<Vec<_>>(),
        [ikey(0, new1), ikey(0, new2)]
    );
    // The cloud is refreshed right away so the new instances show up.
    let started = refreshes(&fx);
    assert_eq!(started.iter().map(|r| r.0).collect::<Vec<_>>(), [0]);
    assert_eq!(state.selected, Some(ikey(0, WEB1)));

    // A listing that does not show them yet changes nothing.
    let old = state.instances[0].clone();
    listing(&mut state, 0, started[0].1, old.clone());
    assert_eq!(state.selected, Some(ikey(0, WEB1)));

    let mut list = old;
    let mut a = instance(new1, "web-3-1");
    a.state = hytop::domain::model::InstanceState::Pending;
    list.push(a);
    list.push(instance(new2, "web-3-2"));
    listing(&mut state, 0, started[0].1 + 10, list);
    assert_eq!(state.selected, Some(ikey(0, new1)));
    assert_eq!(selected_name(&state).as_deref(), Some("web-3-1"));
    assert_eq!(names(&state)[state.cursor], "web-3-1");

    // The next listing does not yank the cursor back.
    key(&mut state, 'g');
    let list = state.instances[0].clone();
    listing(&mut state, 0, started[0].1 + 11, list);
    assert_eq!(state.cursor, 0);
}

// ---------------------------------------------------------------- console

#[test]
fn console_opens_polls_and_drops_stale_answers() {
    let mut state = fleet_state();
    let fx = key(&mut state, 'l');
    let view = state.console.as_ref().expect("console open");
    assert_eq!(view.key, ikey(0, WEB1));
    assert_eq!(view.name, "web-1");
    let sent = sends(&fx);
    assert_eq!(sent.len(), 1);
    let (cloud, id, request) = sent[0].clone();
    assert_eq!(cloud, 0);
    assert_eq!(
        request,
        Request::Console {
            instance_id: WEB1.into(),
            lines: state.config.console_lines,
        }
    );
    assert_eq!(view.request, Some(id));

    // Not the poll under way: dropped.
    console_answer(&mut state, id + 1, WEB1, &console_text(5, &[]));
    let view = state.console.as_ref().expect("console open");
    assert!(view.lines.is_empty());
    assert_eq!(view.request, Some(id));

    // The right request but another instance's output: not shown.
    console_answer(&mut state, id, "i-0somethingelse000", "other\n");
    let view = state.console.as_ref().expect("console open");
    assert!(view.lines.is_empty());

    let mut state = fleet_state();
    let id = sends(&key(&mut state, 'l'))[0].1;
    console_answer(&mut state, id, WEB1, &console_text(5, &[]));
    let view = state.console.as_ref().expect("console open");
    assert_eq!(view.lines.len(), 5);
    assert_eq!(view.lines[4], "line 4");
    assert_eq!(view.request, None);

    // q closes the console, back to the table.
    key(&mut state, 'q');
    assert!(state.console.is_none());
    assert!(!state.quit);
}

#[test]
fn console_error_is_kept_in_the_view() {
    let mut state = fleet_state();
    let id = sends(&key(&mut state, 'l'))[0].1;
    respond(
        &mut state,
        0,
        id,
        Response::Console(Err(CloudError::new("409", "Instance is not ready"))),
    );
    let view = state.console.as_ref().expect("console open");
    let error = view.error.clone().expect("an error");
    assert!(error.contains("Instance is not ready"), "{error}");
}

#[test]
fn console_polls_again_only_after_console_poll_secs() {
    let mut state = fleet_state();
    open_console(&mut state, &console_text(5, &[]));
    let every = state.config.console_poll_secs as i64;
    assert_eq!(every, 2);
    assert_eq!(
        state.console.as_ref().expect("console").next_poll,
        Some(fixed_now() + secs(every))
    );
    let early = tick(
        &mut state,
        fixed_now() + secs(every) - Duration::milliseconds(1),
    );
    assert!(console_polls(&early).is_empty(), "{early:?}");
    let fx = tick(&mut state, fixed_now() + secs(every));
    let polls = console_polls(&fx);
    assert_eq!(polls.len(), 1);
    // While that poll is under way, no second one starts.
    assert!(console_polls(&tick(&mut state, fixed_now() + secs(10 * every))).is_empty());
    let sent = sends(&fx);
    assert_eq!(
        sent.iter()
            .find(|(_, id, _)| *id == polls[0])
            .map(|(c, _, _)| *c),
        Some(0)
    );
}

#[test]
fn console_follows_new_output_until_scrolled_up() {
    let mut state = fleet_state();
    open_console(&mut state, &console_text(50, &[]));
    let view = state.console.as_ref().expect("console");
    assert_eq!(view.height, 20);
    assert!(view.follow);
    assert_eq!(view.top, 30);
    assert_eq!(view.top, view.max_top());

    let mut at = fixed_now();
    let mut poll = |state: &mut AppState, lines: usize| {
        at += secs(2);
        let polls = console_polls(&tick(state, at));
        assert_eq!(polls.len(), 1);
        console_answer(state, polls[0], WEB1, &console_text(lines, &[]));
    };

    poll(&mut state, 60);
    let view = state.console.as_ref().expect("console");
    assert_eq!((view.top, view.max_top()), (40, 40));

    // Scrolling up stops following: new output does not move the view.
    key(&mut state, 'k');
    let view = state.console.as_ref().expect("console");
    assert_eq!(view.top, 39);
    assert!(!view.follow);
    poll(&mut state, 70);
    let view = state.console.as_ref().expect("console");
    assert_eq!(view.top, 39);
    assert_eq!(view.max_top(), 50);
    assert!(!view.follow);

    // G goes to the bottom and follows again.
    shift(&mut state, 'G');
    let view = state.console.as_ref().expect("console");
    assert!(view.follow);
    assert_eq!(view.top, 50);
    poll(&mut state, 80);
    let view = state.console.as_ref().expect("console");
    assert_eq!(view.top, 60);
    assert_eq!(view.top, view.max_top());

    // Bottom by its command name too, after g (top) stopped following.
    key(&mut state, 'g');
    assert!(!state.console.as_ref().expect("console").follow);
    run(&mut state, Command::Bottom);
    let view = state.console.as_ref().expect("console");
    assert!(view.follow);
    assert_eq!(view.top, view.max_top());
}

#[test]
fn console_search_jumps_to_matches_and_n_goes_to_the_next() {
    let mut state = fleet_state();
    open_console(
        &mut state,
        &console_text(50, &[(10, "ERROR disk full"), (25, "error: retrying")]),
    );
    assert_eq!(state.console.as_ref().expect("console").top, 30);

    key(&mut state, '/');
    assert_eq!(
        state.prompt.as_ref().map(|p| p.kind),
        Some(PromptKind::Search)
    );
    type_text(&mut state, "Error");
    assert!(code(&mut state, KeyCode::Enter).is_empty());
    assert!(state.prompt.is_none());
    let view = state.console.as_ref().expect("console");
    assert_eq!(view.search.as_deref(), Some("Error"));
    // From the view's top, wrapping: line 10, case-insensitively.
    assert_eq!(view.top, 10);
    assert!(!view.follow);

    key(&mut state, 'n');
    assert_eq!(state.console.as_ref().expect("console").top, 25);
    key(&mut state, 'n');
    assert_eq!(state.console.as_ref().expect("console").top, 10);
    shift(&mut state, 'N');
    assert_eq!(state.console.as_ref().expect("console").top, 25);

    // No match: an error, the view stays.
    key(&mut state, '/');
    press(&mut state, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut state, "kernel panic");
    code(&mut state, KeyCode::Enter);
    assert_eq!(state.console.as_ref().expect("console").top, 25);
    assert_eq!(status(&state).0, Level::Error);
}

/// Matches at lines 10 and 40 of 50, with 20 lines shown: the search shows
/// line 40 in the last screen (top 30); `n` must then go on to the next
/// match, wrapping to line 10.
#[test]
fn console_search_next_wraps_after_a_match_in_the_last_screen() {
    let mut state = fleet_state();
    open_console(
        &mut state,
        &console_text(50, &[(10, "ERROR one"), (40, "ERROR two")]),
    );
    key(&mut state, '/');
    type_text(&mut state, "error");
    code(&mut state, KeyCode::Enter);
    assert_eq!(state.console.as_ref().expect("console").top, 30);
    key(&mut state, 'n');
    assert_eq!(
        state.console.as_ref().expect("console").top,
        10,
        "n after the match at line 40 should wrap to the match at line 10"
    );
}

// ---------------------------------------------------------------- ssh

#[test]
fn ssh_in_the_demo_shows_the_command() {
    let mut state = fleet_state();
    assert!(
        state.clouds.iter().all(|c| c.simulated),
        "the fixture is the --demo fleet"
    );
    let fx = key(&mut state, 's');
    assert!(fx.is_empty(), "no ssh is run for a simulated cloud: {fx:?}");
    let (_, is_error, text) = message_text(&state);
    assert!(!is_error);
    assert!(
        text.lines()
            .any(|l| l.trim() == "ssh -o HostKeyAlias=i-0a1b2c3d4e5f60718 ec2-user@203.0.113.10"),
        "{text}"
    );

    let mut state = fleet_state();
    select(&mut state, "service");
    let fx = run(&mut state, Command::Ssh);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Ssh(_))),
        "no ssh for a simulated cloud: {fx:?}"
    );
    let (_, _, text) = message_text(&state);
    assert!(
        text.lines().any(|l| l.trim()
            == "ssh -o HostKeyAlias=3f0c6b1e-8a59-4d2b-9c1e-5b7d2e4f6a80 cloud@198.51.100.23"),
        "{text}"
    );
}

#[test]
fn ssh_outside_the_demo_is_an_effect() {
    let mut state = fleet_state();
    for cloud in &mut state.clouds {
        cloud.simulated = false;
    }
    let fx = key(&mut state, 's');
    assert_eq!(fx.len(), 1, "{fx:?}");
    let Effect::Ssh(plan) = &fx[0] else {
        panic!("expected ssh, got {fx:?}");
    };
    assert_eq!(
        plan.display(),
        "ssh -o HostKeyAlias=i-0a1b2c3d4e5f60718 ec2-user@203.0.113.10"
    );
    assert!(state.overlay.is_none());
}

#[test]
fn ssh_without_an_address_is_an_error() {
    let mut state = fleet_state();
    select(&mut state, "web-2");
    assert!(key(&mut state, 's').is_empty());
    assert!(state.overlay.is_none());
    let (level, text) = status(&state);
    assert_eq!(level, Level::Error);
    assert!(text.contains("no IP address"), "{text}");
}

// ---------------------------------------------------------------- resize and dirty

#[test]
fn resize_sets_the_size_and_redraws() {
    let mut state = fleet_state();
    state.dirty = false;
    let fx = update(
        &mut state,
        Action::Resize {
            width: 80,
            height: 24,
        },
    );
    assert!(fx.is_empty());
    assert_eq!((state.width, state.height), (80, 24));
    assert!(state.dirty);
}

#[test]
fn dirty_is_set_by_changes_only() {
    let mut state = fleet_state();
    state.dirty = false;
    // Within the same second, with nothing due, a tick changes nothing on screen.
    tick(&mut state, fixed_now() + Duration::milliseconds(500));
    assert!(!state.dirty);
    // A new second moves ages.
    tick(&mut state, fixed_now() + secs(1));
    assert!(state.dirty);

    state.dirty = false;
    let release = KeyEvent::new_with_kind(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    );
    update(&mut state, Action::Key(release));
    assert!(!state.dirty);

    key(&mut state, 'j');
    assert!(state.dirty);

    state.dirty = false;
    let list = state.instances[1].clone();
    listing(&mut state, 1, 5, list);
    assert!(state.dirty);

    state.dirty = false;
    update(&mut state, Action::Paste("web".into()));
    assert!(state.dirty);
}

#[test]
fn status_line_expires() {
    let mut state = fleet_state();
    command_line(&mut state, "foo");
    let until = state.status.as_ref().expect("status").until;
    tick(&mut state, until - secs(1));
    assert!(state.status.is_some());
    state.dirty = false;
    tick(&mut state, until);
    assert!(state.status.is_none());
    assert!(state.dirty);
}

#[test]
fn addresses_lists_every_cloud_and_releases_only_free_ones_after_asking() {
    let mut state = fleet_state();
    shift(&mut state, 'A');
    assert!(matches!(
        state.overlay,
        Some(Overlay::Addresses(AddressesPopup {
            selected: 0,
            confirm: false
        }))
    ));
    // The fixture: lab has 198.51.100.23 (in use) then 198.51.100.40 (free).
    let all: Vec<String> = state
        .all_addresses()
        .iter()
        .map(|(_, a)| a.ip.clone())
        .collect();
    assert_eq!(all, ["198.51.100.23", "198.51.100.40"]);

    // The associated one is refused, with a hint.
    let fx = shift(&mut state, 'R');
    assert!(fx.is_empty());
    let status = state.status.clone().expect("status");
    assert!(status.text.contains("detach it first"), "{}", status.text);

    // The free one asks first; n keeps it.
    key(&mut state, 'j');
    assert!(shift(&mut state, 'R').is_empty());
    assert!(matches!(
        state.overlay,
        Some(Overlay::Addresses(AddressesPopup {
            selected: 1,
            confirm: true
        }))
    ));
    assert!(key(&mut state, 'n').is_empty());
    assert!(matches!(
        state.overlay,
        Some(Overlay::Addresses(AddressesPopup { confirm: false, .. }))
    ));

    // y releases exactly that address on its cloud.
    shift(&mut state, 'R');
    let fx = key(&mut state, 'y');
    assert_eq!(fx.len(), 1, "{fx:?}");
    match &fx[0] {
        Effect::Send {
            cloud,
            request: Request::ReleaseAddress(id),
            ..
        } => {
            assert_eq!(*cloud, 2);
            assert_eq!(id, "fip-2");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(state.overlay.is_none());
}

#[test]
fn addresses_release_is_refused_in_readonly() {
    let mut state = fleet_state();
    state.readonly = true;
    shift(&mut state, 'A');
    key(&mut state, 'j');
    assert!(shift(&mut state, 'R').is_empty());
    assert!(key(&mut state, 'y').is_empty());
    let status = state.status.clone().expect("status");
    assert!(status.text.contains("read-only"), "{}", status.text);
}

#[test]
fn launch_form_switches_choices_among_what_the_cloud_lists() {
    use hytop::domain::model::Choice;
    let mut state = fleet_state();
    let fx = key(&mut state, 'c');
    let Some(Effect::Send { id, .. }) = fx.first() else {
        panic!("no options request: {fx:?}")
    };
    let template_image = launch_popup(&state).image.clone();
    // ←/→ before the cloud answered: a message, nothing changes.
    for _ in 0..3 {
        press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    }
    assert_eq!(launch_popup(&state).focus, LaunchField::Image);
    press(&mut state, KeyCode::Right, KeyModifiers::NONE);
    assert!(launch_popup(&state).error.is_some());
    assert_eq!(launch_popup(&state).image, template_image);

    let options = LaunchOptions {
        images: vec![
            Choice::new(template_image.clone(), "Amazon Linux 2023"),
            Choice::new("ami-0other", "Ubuntu 24.04"),
        ],
        sizes: vec![
            Choice::new("t2.nano", "t2.nano"),
            Choice::new("t3.small", "t3.small"),
        ],
        networks: Vec::new(),
        key_names: vec![
            Choice::new("lab-key", "lab-key"),
            Choice::new("my-key", "my-key"),
        ],
        security_groups: Vec::new(),
    };
    update(
        &mut state,
        Action::Response {
            cloud: 0,
            request: *id,
            response: Response::LaunchOptions(Ok(options)),
        },
    );
    press(&mut state, KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(launch_popup(&state).image, "ami-0other");
    assert_eq!(launch_popup(&state).error, None);
    press(&mut state, KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(launch_popup(&state).image, template_image, "wraps");
    press(&mut state, KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(launch_popup(&state).image, "ami-0other");

    press(&mut state, KeyCode::Tab, KeyModifiers::NONE); // size
    press(&mut state, KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(launch_popup(&state).size, "t3.small");
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE); // key
    press(&mut state, KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(launch_popup(&state).key_name.as_deref(), Some("my-key"));
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE); // network: nothing listed
    press(&mut state, KeyCode::Right, KeyModifiers::NONE);
    assert!(launch_popup(&state).error.is_some());

    let fx = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let Some(Effect::Send {
        request: Request::Launch(draft),
        ..
    }) = fx.first()
    else {
        panic!("no launch: {fx:?}")
    };
    assert_eq!(draft.template.image, "ami-0other");
    assert_eq!(draft.template.size, "t3.small");
    assert_eq!(draft.template.key_name.as_deref(), Some("my-key"));
    // Untouched choices stay as the template says.
    assert_eq!(
        draft.template.security_groups,
        state.config.templates[0].security_groups
    );
}

// ------------------------------------------------------------ cost safety

fn reminder_names(state: &AppState) -> Vec<String> {
    match &state.overlay {
        Some(Overlay::QuitReminder(r)) => {
            r.instances.iter().map(|i| i.target.name.clone()).collect()
        }
        other => panic!("no quit reminder: {other:?}"),
    }
}

#[test]
fn old_instances_are_flagged_and_the_forgotten_filter_shows_only_them() {
    let mut state = fleet_state();
    let db = state.instances[0].iter().position(|i| i.id == DB).unwrap();
    let flags = state.flags_of(0, db);
    assert!(
        flags.iter().any(|f| f.short() == "old"),
        "forgotten-db is 3 days old: {flags:?}"
    );
    let web = state.instances[0]
        .iter()
        .position(|i| i.id == WEB1)
        .unwrap();
    assert!(state.flags_of(0, web).is_empty(), "web-1 is 2 hours old");
    assert!(state.costs.totals.flagged_instances >= 1);
    assert!(state.costs.totals.dollars_per_hour > 0.0);

    shift(&mut state, 'F');
    assert!(state.forgotten_only);
    let shown: Vec<String> = (0..state.view.len())
        .filter_map(|r| state.row(r).map(|(_, i)| i.name.clone()))
        .collect();
    assert!(shown.contains(&"forgotten-db".to_string()), "{shown:?}");
    assert!(!shown.contains(&"web-1".to_string()), "{shown:?}");
    // `:forgotten` toggles the same filter.
    key(&mut state, ':');
    type_text(&mut state, "forgotten");
    code(&mut state, KeyCode::Enter);
    assert!(!state.forgotten_only);
    assert_eq!(state.view.len(), INITIAL_ORDER.len());
}

#[test]
fn a_past_expiry_tag_flags_and_a_future_one_protects() {
    let mut state = fleet_state();
    let mut list = state.instances[0].clone();
    let db = list.iter().position(|i| i.id == DB).unwrap();
    list[db].tags.insert(
        "hytop:expires".into(),
        (fixed_now() + Duration::hours(2)).to_rfc3339(),
    );
    let web = list.iter().position(|i| i.id == WEB1).unwrap();
    list[web]
        .tags
        .insert("cloud-nuke-after".into(), "2020-01-01T00:00:00Z".into());
    state.set_instances(0, list);
    let db = state.instances[0].iter().position(|i| i.id == DB).unwrap();
    let web = state.instances[0]
        .iter()
        .position(|i| i.id == WEB1)
        .unwrap();
    assert!(
        state.flags_of(0, db).iter().all(|f| f.short() != "old"),
        "{:?}",
        state.flags_of(0, db)
    );
    assert!(
        state
            .flags_of(0, web)
            .iter()
            .any(|f| f.short() == "expired")
    );
}

#[test]
fn quit_reminder_lists_session_launches_and_flagged_and_can_terminate_then_quit() {
    let mut state = fleet_state();
    state.launched.insert(InstanceKey {
        cloud: 0,
        id: WEB1.to_string(),
    });
    key(&mut state, 'q');
    let names = reminder_names(&state);
    assert!(names.contains(&"web-1".to_string()), "{names:?}");
    assert!(names.contains(&"forgotten-db".to_string()), "{names:?}");
    assert!(
        !names.contains(&"old-batch".to_string()),
        "terminated is not listed"
    );

    // Esc stays.
    code(&mut state, KeyCode::Esc);
    assert!(state.overlay.is_none());
    assert!(!state.quit);

    // t, then y: terminate requests go out; hytop quits once all are confirmed.
    key(&mut state, 'q');
    assert!(key(&mut state, 't').is_empty());
    let fx = key(&mut state, 'y');
    let sent: Vec<(CloudId, RequestId)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                cloud,
                id,
                request: Request::Terminate(_),
            } => Some((*cloud, *id)),
            _ => None,
        })
        .collect();
    assert!(!sent.is_empty());
    assert!(!state.quit);
    let mut quit = false;
    for (cloud, id) in sent {
        let fx = respond(
            &mut state,
            cloud,
            id,
            Response::Terminated {
                ids: vec![],
                result: Ok(()),
            },
        );
        quit = fx.contains(&Effect::Quit);
    }
    assert!(quit, "the last confirmation quits");
    assert!(state.quit);
}

#[test]
fn a_failed_termination_from_the_reminder_stays() {
    let mut state = fleet_state();
    key(&mut state, 'q');
    key(&mut state, 't');
    let fx = key(&mut state, 'y');
    let (cloud, id) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Send { cloud, id, .. } => Some((*cloud, *id)),
            _ => None,
        })
        .expect("a terminate");
    let fx = respond(
        &mut state,
        cloud,
        id,
        Response::Terminated {
            ids: vec![DB.into()],
            result: Err(CloudError::new("UnauthorizedOperation", "no")),
        },
    );
    assert!(!fx.contains(&Effect::Quit));
    assert!(!state.quit);
    assert!(matches!(state.overlay, Some(Overlay::Message(_))));
}

#[test]
fn extend_sets_a_later_expiry_on_each_target() {
    let mut state = fleet_state();
    // Select web-1 and extend it by 4 h.
    key(&mut state, '/');
    type_text(&mut state, "web-1");
    code(&mut state, KeyCode::Enter);
    shift(&mut state, 'E');
    assert!(matches!(
        state.prompt.as_ref().map(|p| p.kind),
        Some(PromptKind::ExtendHours)
    ));
    type_text(&mut state, "4");
    let fx = code(&mut state, KeyCode::Enter);
    let tags = fx
        .iter()
        .find_map(|e| match e {
            Effect::Send {
                request: Request::SetTags { instance_id, tags },
                ..
            } if instance_id == WEB1 => Some(tags.clone()),
            _ => None,
        })
        .expect("a SetTags for web-1");
    let want = (fixed_now() + Duration::hours(4))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert_eq!(tags.get("hytop:expires"), Some(&want));

    // Nonsense hours are refused.
    shift(&mut state, 'E');
    type_text(&mut state, "soon");
    assert!(code(&mut state, KeyCode::Enter).is_empty());
    assert!(
        state
            .status
            .as_ref()
            .is_some_and(|s| s.level == Level::Error)
    );
}

#[test]
fn launches_carry_owner_and_expiry_tags() {
    let mut state = fleet_state();
    key(&mut state, 'c');
    let fx = code(&mut state, KeyCode::Enter);
    let draft = fx
        .iter()
        .find_map(|e| match e {
            Effect::Send {
                request: Request::Launch(draft),
                ..
            } => Some(draft.clone()),
            _ => None,
        })
        .expect("a launch");
    let spec = hytop::cloud::launch::prepare(&draft).expect("spec");
    assert!(
        spec.tags
            .get("hytop:owner")
            .is_some_and(|o| o.contains('@'))
    );
    let ttl = state.config.cost.default_ttl_hours;
    let want = (fixed_now() + Duration::seconds((ttl * 3600.0) as i64))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert_eq!(spec.tags.get("hytop:expires"), Some(&want));
}

#[test]
fn sorting_by_cost_puts_the_dearest_first_and_no_figure_last() {
    let mut state = fleet_state();
    command_line(&mut state, "sort cost");
    assert_eq!(state.sort, SortColumn::Cost);
    let spent: Vec<Option<f64>> = state
        .view
        .iter()
        .map(|&(c, i)| state.assessment_of(c, i).expect("assessed").spent)
        .collect();
    let figures = spent.iter().take_while(|s| s.is_some()).count();
    assert!(figures >= 3, "{spent:?}");
    assert!(spent[figures..].iter().all(Option::is_none), "{spent:?}");
    let dollars: Vec<f64> = spent.iter().flatten().copied().collect();
    assert!(dollars.windows(2).all(|w| w[0] >= w[1]), "{dollars:?}");
    assert_eq!(names(&state)[0], "forgotten-db", "the oldest t3.small");
}

/// The dashboard and `hytop list`/`check` judge the same instances the same:
/// one cloud per kind with [`varied_fleet`] (every judgement) and an unused
/// address each, answered to the dashboard as its workers would.
#[test]
fn the_dashboard_and_the_report_give_the_same_flags_and_costs() {
    use hytop::dashboard::model::CloudStatus;
    use hytop::domain::cost::{Flag, Prices};
    use hytop::domain::model::{CloudKind, PublicAddress};
    use hytop::report::{self, Answer, EXIT_FLAGGED, Endpoint};
    use hytop::testutil::{varied_fleet, varied_rules};

    let endpoint = |cloud: &str, label: &str, kind, region: &str| Endpoint {
        cloud: cloud.into(),
        label: label.into(),
        kind,
        region: region.into(),
        simulated: false,
    };
    let endpoints = [
        endpoint("prod", "default/eu-west-1", CloudKind::Aws, "eu-west-1"),
        endpoint("lab", "lab/RegionOne", CloudKind::OpenStack, "RegionOne"),
    ];
    let address = |id: &str, ip: &str, instance: Option<&str>| PublicAddress {
        id: id.into(),
        ip: ip.into(),
        instance_id: instance.map(str::to_string),
        pool: None,
    };
    let mut answers: Vec<Answer> = endpoints
        .iter()
        .map(|e| Answer {
            endpoint: Some(e.clone()),
            ..Answer::default()
        })
        .collect();
    for (instance, metrics) in varied_fleet() {
        let answer = &mut answers[usize::from(instance.kind == CloudKind::OpenStack)];
        if let Some(m) = metrics {
            answer.metrics.insert(instance.id.clone(), m);
        }
        answer.instances.push(instance);
    }
    answers[0].addresses = vec![
        address("eipalloc-1", "203.0.113.7", None),
        address("eipalloc-2", "203.0.113.8", Some("i-fresh")),
    ];
    answers[1].addresses = vec![address("fip-1", "198.51.100.40", None)];

    // The dashboard, fed what the workers would send.
    let mut config = hytop::config::Config::default();
    config.cost = varied_rules(config.cost);
    let keymap = Keymap::default_keymap().expect("default keymap");
    let clouds = endpoints.iter().cloned().map(CloudStatus::new).collect();
    let mut state = AppState::new(config, keymap, clouds, false, fixed_now());
    for (cloud, answer) in answers.iter().enumerate() {
        listing(&mut state, cloud, 1, answer.instances.clone());
        respond(
            &mut state,
            cloud,
            2,
            Response::Addresses(Ok(answer.addresses.clone())),
        );
        let metrics = answer
            .metrics
            .iter()
            .map(|(id, m)| (id.clone(), m.clone()))
            .collect();
        respond(
            &mut state,
            cloud,
            3,
            Response::Metrics {
                resolution: hytop::cloud::Resolution::Summary,
                asked: answer.metrics.keys().cloned().collect(),
                result: Ok(metrics),
                interval: std::time::Duration::from_secs(60),
            },
        );
    }

    // The report, on the same answers.
    let now = fixed_now();
    let prices = Prices::embedded();
    let rules = state.config.cost.clone();
    let rows = report::rows(&answers, now, prices, &rules);
    let lines = report::check_lines(&answers, now, prices, &rules);
    assert_eq!(rows.len(), state.total_instances());

    // Every instance: the same $/h, $ so far, COST text, flags and reasons.
    let mut flagged = Vec::new();
    for (cloud, list) in state.instances.iter().enumerate() {
        for (idx, instance) in list.iter().enumerate() {
            let a = state.assessment_of(cloud, idx).expect("assessed");
            let id = &instance.id;
            let row = rows.iter().find(|r| &r.id == id).expect("a row");
            assert_eq!(row.hourly_cost_usd, a.hourly, "{id}");
            assert_eq!(row.cost_so_far_usd, a.spent, "{id}");
            assert_eq!(row.cost_text, a.spent_text(), "{id}");
            let shorts: Vec<&str> = a.flags.iter().map(Flag::short).collect();
            let rules_of_row: Vec<&str> = row.flags.iter().map(|f| f.rule).collect();
            assert_eq!(rules_of_row, shorts, "{id}");
            let reasons: Vec<&str> = row.flags.iter().map(|f| f.reason.as_str()).collect();
            assert_eq!(reasons, a.reasons(now, &rules), "{id}");
            if a.is_flagged() {
                // `check` names it with the dashboard's cost and reasons.
                let line = lines
                    .iter()
                    .find(|l| l.contains(&format!(" {id} ")))
                    .unwrap_or_else(|| panic!("no check line for {id}: {lines:#?}"));
                assert!(line.starts_with(&state.clouds[cloud].label), "{line}");
                assert!(
                    line.ends_with(&format!(
                        " {}: {}",
                        a.spent_text(),
                        a.reasons(now, &rules).join("; ")
                    )),
                    "{line}"
                );
                flagged.push((id.clone(), instance.state.is_live(), shorts.join(", ")));
            }
        }
    }
    // The fleet really covers every judgement, idle included (from metrics).
    let all_rules: std::collections::BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.flags.iter().map(|f| f.rule))
        .collect();
    assert_eq!(
        all_rules.into_iter().collect::<Vec<_>>(),
        ["expired", "idle", "old"]
    );

    // The header: the sums of the same figures.
    let totals = state.costs.totals;
    assert_eq!(state.costs.at, Some(now));
    // An associated address bills in its instance's rate; the free ones on top.
    let free_aws_addresses = answers[0]
        .addresses
        .iter()
        .filter(|a| a.instance_id.is_none())
        .count() as f64;
    let dollars: f64 = rows.iter().filter_map(|r| r.hourly_cost_usd).sum::<f64>()
        + free_aws_addresses * prices.address_hourly();
    assert!(
        (totals.dollars_per_hour - dollars).abs() < 1e-9,
        "{totals:?} vs {dollars}"
    );
    let unpriced_live = rows.iter().filter(|r| r.hourly_cost_usd.is_none());
    let held: u32 = unpriced_live.clone().filter_map(|r| r.vcpus).sum();
    assert!(held >= 1);
    assert_eq!(totals.held_vcpus, held);
    assert_eq!(
        totals.unpriced,
        unpriced_live
            .filter(|r| r.vcpus.is_none() && r.memory_mb.is_none())
            .count()
    );
    assert!(totals.unpriced >= 1);
    assert_eq!(
        totals.flagged_instances,
        rows.iter().filter(|r| !r.flags.is_empty()).count()
    );
    assert_eq!(totals.flagged_instances, flagged.len());
    let address_lines = lines.iter().filter(|l| l.contains(" address ")).count();
    assert_eq!(totals.flagged_addresses, address_lines);
    assert_eq!(address_lines, 2, "{lines:#?}");
    assert_eq!(lines.len(), totals.flagged());
    let outcome = report::check_outcome(&answers, now, prices, &rules);
    assert_eq!(outcome.code, EXIT_FLAGGED);
    assert_eq!(outcome.stdout.lines().count(), totals.flagged());

    // The forgotten filter shows exactly what `check` names.
    shift(&mut state, 'F');
    assert!(state.forgotten_only);
    let mut shown: Vec<String> = (0..state.view.len())
        .map(|r| state.row(r).expect("row").0.id)
        .collect();
    shown.sort();
    let mut named: Vec<String> = flagged.iter().map(|(id, ..)| id.clone()).collect();
    named.sort();
    assert_eq!(shown, named);

    // The quit reminder lists the live flagged ones, with the same cost
    // and flags (nothing was launched in this session).
    let reminded = state.quit_reminder();
    let mut listed: Vec<(String, String, String)> = reminded
        .iter()
        .map(|r| (r.target.key.id.clone(), r.spent.clone(), r.why.clone()))
        .collect();
    listed.sort();
    let mut want: Vec<(String, String, String)> = flagged
        .iter()
        .filter(|(_, live, _)| *live)
        .map(|(id, _, why)| {
            let row = rows.iter().find(|r| &r.id == id).expect("a row");
            (id.clone(), row.cost_text.clone(), why.clone())
        })
        .collect();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(listed, want);
}

mod cloud_text;
mod endpoints;
mod lifecycle;
mod outcomes;

#[test]
fn y_copies_the_selected_id_through_osc_52() {
    let mut state = fleet_state();
    let fx = key(&mut state, 'y');
    assert_eq!(
        fx,
        [Effect::WriteTerminal(
            "\x1b]52;c;aS0wYTFiMmMzZDRlNWY2MDcxOA==\x07".into()
        )],
        "the id i-0a1b2c3d4e5f60718, base64, for the terminal's clipboard"
    );
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains("copied i-0a1b2c3d4e5f60718"), "{status}");
}

#[test]
fn the_copy_menu_offers_what_the_instance_has() {
    use hytop::dashboard::overlays::CopyPopup;
    let mut state = fleet_state();
    run(&mut state, Command::CopyMenu);
    let Some(Overlay::Copy(CopyPopup { choices, .. })) = &state.overlay else {
        panic!("no copy menu: {:?}", state.overlay);
    };
    let what: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
    assert_eq!(
        what,
        ["id", "public IP", "private IP", "ssh command", "name"]
    );
    assert_eq!(
        choices[3].1,
        "ssh -o HostKeyAlias=i-0a1b2c3d4e5f60718 ec2-user@203.0.113.10"
    );
    // Down twice: the private IP, copied as OSC 52.
    key(&mut state, 'j');
    key(&mut state, 'j');
    let fx = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        fx,
        [Effect::WriteTerminal(
            "\x1b]52;c;MTcyLjMxLjQuMTA=\x07".into()
        )]
    );
    assert!(state.overlay.is_none());
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert_eq!(status, "copied the private IP: 172.31.4.10");
}
