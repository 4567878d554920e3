//! How the dashboard asks for metrics apart from its listings: the selected
//! instance's series first, then summaries of the fleet in bounded batches,
//! visible rows first, nothing before a new datapoint can exist, a back-off
//! after failures, and listings that never wait for any of it.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hytop::cloud::{CloudError, MetricsQuery, Resolution};
use hytop::dashboard::action::{Action, CloudId, Request, RequestId, Response};
use hytop::dashboard::command::Command;
use hytop::dashboard::model::AppState;
use hytop::dashboard::update::{Effect, update};
use hytop::domain::model::{InstanceMetrics, Series};
use hytop::testutil::{big_state, fixed_now, fleet_state};

fn metrics_sent(fx: &[Effect]) -> Vec<(CloudId, RequestId, MetricsQuery)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send {
                cloud,
                id,
                request: Request::Metrics(q),
            } => Some((*cloud, *id, q.clone())),
            _ => None,
        })
        .collect()
}

/// `n` instances, all old enough for the idle rule.
fn old_fleet(n: usize) -> AppState {
    let mut state = big_state(n);
    for list in &mut state.instances {
        for i in list.iter_mut() {
            i.launched_at = Some(fixed_now() - Duration::days(2));
        }
    }
    state
}

/// The refresh of `cloud` among the effects.
fn refresh_of(fx: &[Effect], cloud: CloudId) -> Option<RequestId> {
    fx.iter().find_map(|e| match e {
        Effect::Send {
            cloud: c,
            id,
            request: Request::Refresh,
        } if *c == cloud => Some(*id),
        _ => None,
    })
}

/// The listing of a refresh answers `listing`, then the refresh is done.
fn finish_refresh(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    listing: Result<Vec<hytop::domain::model::Instance>, CloudError>,
) {
    for response in [Response::Instances(listing), Response::RefreshDone] {
        update(
            state,
            Action::Response {
                cloud,
                request,
                response,
            },
        );
    }
}

fn tick(state: &mut AppState, at: DateTime<Utc>) -> Vec<Effect> {
    update(state, Action::Tick(at))
}

fn answer(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    query: &MetricsQuery,
    result: Result<Vec<(String, InstanceMetrics)>, CloudError>,
) -> Vec<Effect> {
    update(
        state,
        Action::Response {
            cloud,
            request,
            response: Response::Metrics {
                resolution: query.resolution,
                asked: query.instance_ids.clone(),
                result,
                interval: StdDuration::from_secs(60),
            },
        },
    )
}

/// A quiet CPU summary (one point, the whole window covered).
fn quiet(query: &MetricsQuery) -> Vec<(String, InstanceMetrics)> {
    let window = (query.end - query.start).num_seconds() as u32;
    query
        .instance_ids
        .iter()
        .map(|id| {
            let m = InstanceMetrics {
                cpu: Series {
                    period_secs: window,
                    points: vec![(query.end, 0.5)],
                },
                net_in: Series::default(),
                window_start: Some(query.start),
                window_end: Some(query.end),
            };
            (id.clone(), m)
        })
        .collect()
}

#[test]
fn a_new_selection_gets_its_series_at_once_and_one_at_a_time() {
    let mut state = fleet_state();
    // batch-worker on cloud 1 is running and has no series yet.
    let fx = update(&mut state, Action::Run(Command::MoveDown));
    let fx = [fx, update(&mut state, Action::Run(Command::MoveDown))].concat();
    let sent = metrics_sent(&fx);
    assert!(
        sent.iter()
            .all(|(_, _, q)| q.resolution == Resolution::Series),
        "{sent:?}"
    );
    assert!(sent.len() <= 2, "one per selection at most: {sent:?}");
    // Walk to every row: never two series requests of one cloud at once.
    let mut in_flight: Vec<(CloudId, RequestId)> =
        sent.iter().map(|(c, id, _)| (*c, *id)).collect();
    for _ in 0..state.view.len() {
        let fx = update(&mut state, Action::Run(Command::MoveDown));
        for (c, id, q) in metrics_sent(&fx) {
            assert_eq!(q.resolution, Resolution::Series);
            assert_eq!(q.instance_ids.len(), 1);
            assert!(
                !in_flight.iter().any(|(ic, _)| *ic == c),
                "a second series request on cloud {c} while one runs"
            );
            in_flight.push((c, id));
        }
    }
}

#[test]
fn the_selected_running_instance_is_asked_when_first_listed() {
    let mut state = fleet_state();
    // A fresh listing of cloud 1 whose running instance gets selected.
    let mut list = state.instances[1].clone();
    list[0].id = "i-0new0000000000000".into();
    state.select_when_listed = Some(hytop::dashboard::model::InstanceKey {
        cloud: 1,
        id: list[0].id.clone(),
    });
    let fx = update(
        &mut state,
        Action::Response {
            cloud: 1,
            request: 5,
            response: Response::Instances(Ok(list)),
        },
    );
    let sent = metrics_sent(&fx);
    assert_eq!(sent.len(), 1, "{fx:?}");
    let (cloud, _, q) = &sent[0];
    assert_eq!(*cloud, 1);
    assert_eq!(q.resolution, Resolution::Series);
    assert_eq!(q.instance_ids, ["i-0new0000000000000"]);
}

#[test]
fn a_fleet_is_summarised_in_bounded_batches_visible_rows_first() {
    // 3 clouds of 2,000 instances, all old enough for the idle rule.
    let mut state = old_fleet(6000);
    state.rebuild_view();
    state.page_height = 20;
    state.offset = 1000;
    let visible: Vec<String> = (1000..1020)
        .filter_map(|r| state.row(r))
        .map(|(k, _)| k.id)
        .collect();
    let t0 = fixed_now() + Duration::seconds(1);
    let fx = tick(&mut state, t0);
    let summaries: Vec<_> = metrics_sent(&fx)
        .into_iter()
        .filter(|(_, _, q)| q.resolution == Resolution::Summary)
        .collect();
    // Three per cloud, 500 instances each.
    assert_eq!(summaries.len(), 9, "{}", summaries.len());
    for (_, _, q) in &summaries {
        assert!(q.instance_ids.len() <= 500);
        assert_eq!(q.end - q.start, Duration::minutes(60), "the idle window");
    }
    // The rows on screen are in each cloud's first batch.
    for id in &visible {
        let first_batches: Vec<&MetricsQuery> = (0..3)
            .filter_map(|c| {
                summaries
                    .iter()
                    .find(|(sc, _, _)| *sc == c)
                    .map(|(_, _, q)| q)
            })
            .collect();
        assert!(
            first_batches.iter().any(|q| q.instance_ids.contains(id)),
            "visible {id} is not asked first"
        );
    }
    // All slots are busy: the next second asks nothing more.
    let more = metrics_sent(&tick(&mut state, t0 + Duration::seconds(1)));
    assert!(
        more.iter()
            .all(|(_, _, q)| q.resolution == Resolution::Series),
        "{} more summaries while three are under way",
        more.len()
    );
    // Answers free the slots: the next batches go, never one asked before.
    let mut asked: std::collections::HashSet<String> = summaries
        .iter()
        .flat_map(|(_, _, q)| q.instance_ids.iter().cloned())
        .collect();
    let mut now = t0 + Duration::seconds(2);
    let mut pending = summaries;
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 50, "the cycle never ends");
        for (c, id, q) in std::mem::take(&mut pending) {
            answer(&mut state, c, id, &q, Ok(quiet(&q)));
        }
        now += Duration::seconds(1);
        for (c, id, q) in metrics_sent(&tick(&mut state, now)) {
            if q.resolution != Resolution::Summary {
                continue;
            }
            for i in &q.instance_ids {
                assert!(asked.insert(i.clone()), "{i} asked twice in one cycle");
            }
            pending.push((c, id, q));
        }
    }
    // ⌈2,000 / 500⌉ = 4 requests per cloud for the whole fleet.
    for c in 0..3 {
        assert_eq!(state.clouds[c].metrics.sent_summaries, 4, "cloud {c}");
    }
    assert_eq!(asked.len(), 6000);
    // Every instance is judged idle from its summary alone.
    let idle = state
        .assessments
        .iter()
        .flatten()
        .filter(|a| a.flags.iter().any(|f| f.short() == "idle"))
        .count();
    assert_eq!(idle, 6000);
    // No new datapoint can exist yet: nothing is asked.
    let again = metrics_sent(&tick(&mut state, now + Duration::seconds(30)));
    assert!(
        again
            .iter()
            .all(|(_, _, q)| q.resolution != Resolution::Summary),
        "asked again within the interval"
    );
    // A minute later the cycle starts over.
    let later = metrics_sent(&tick(&mut state, now + Duration::seconds(61)));
    assert_eq!(
        later
            .iter()
            .filter(|(_, _, q)| q.resolution == Resolution::Summary)
            .count(),
        9
    );
}

#[test]
fn a_failure_backs_off_and_says_so() {
    let mut state = old_fleet(300);
    let t0 = fixed_now() + Duration::seconds(1);
    let sent: Vec<_> = metrics_sent(&tick(&mut state, t0))
        .into_iter()
        .filter(|(c, _, q)| *c == 0 && q.resolution == Resolution::Summary)
        .collect();
    assert_eq!(sent.len(), 1);
    let (c, id, q) = &sent[0];
    answer(
        &mut state,
        *c,
        *id,
        q,
        Err(CloudError::new("Throttling", "Rate exceeded")),
    );
    let line = state.clouds[0]
        .metrics_error
        .clone()
        .expect("an error line");
    assert!(line.contains("throttled") && line.contains("10s"), "{line}");
    // Nothing during the back-off, the same instances after it.
    let during = metrics_sent(&tick(&mut state, t0 + Duration::seconds(5)));
    assert!(during.iter().all(|(c, _, _)| *c != 0), "{during:?}");
    let after: Vec<_> = metrics_sent(&tick(&mut state, t0 + Duration::seconds(11)))
        .into_iter()
        .filter(|(c, _, q)| *c == 0 && q.resolution == Resolution::Summary)
        .collect();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].2.instance_ids, q.instance_ids);
    // A second failure doubles the wait.
    let (c, id, q) = &after[0];
    answer(&mut state, *c, *id, q, Err(CloudError::new("500", "boom")));
    let line = state.clouds[0]
        .metrics_error
        .clone()
        .expect("an error line");
    assert!(line.contains("20s"), "{line}");
    // Success clears it.
    let t = t0 + Duration::seconds(40);
    let retry: Vec<_> = metrics_sent(&tick(&mut state, t))
        .into_iter()
        .filter(|(c, _, q)| *c == 0 && q.resolution == Resolution::Summary)
        .collect();
    let (c, id, q) = &retry[0];
    answer(&mut state, *c, *id, q, Ok(quiet(q)));
    assert_eq!(state.clouds[0].metrics_error, None);
}

#[test]
fn listings_go_on_while_metrics_are_under_way() {
    let mut state = old_fleet(300);
    let due = state.clouds[0].next_refresh.expect("fixture schedules");
    let fx = tick(&mut state, due);
    assert!(!metrics_sent(&fx).is_empty(), "summaries asked");
    let refresh = refresh_of(&fx, 0).expect("cloud 0 refreshes");
    // The listing ends; metrics still run; the next listing is not held.
    let list = Ok(state.instances[0].clone());
    finish_refresh(&mut state, 0, refresh, list);
    assert!(state.clouds[0].metrics.in_flight(Resolution::Summary) > 0);
    let every = Duration::seconds(state.config.refresh_secs as i64);
    let fx = tick(&mut state, due + every);
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Send {
                cloud: 0,
                request: Request::Refresh,
                ..
            }
        )),
        "the next listing waits for the metrics: {fx:?}"
    );
}

#[test]
fn a_throttled_listing_backs_off_until_one_succeeds() {
    let mut state = fleet_state();
    state.config.refresh_secs = 10;
    let mut waits = Vec::new();
    let mut now = state.clouds[0].next_refresh.expect("fixture schedules");
    for round in 0..4 {
        let fx = tick(&mut state, now);
        let id = refresh_of(&fx, 0)
            .unwrap_or_else(|| panic!("round {round}: cloud 0 refreshes: {fx:?}"));
        let listing = if round < 3 {
            Err(CloudError::new(
                "RequestLimitExceeded",
                "Request limit exceeded.",
            ))
        } else {
            Ok(state.instances[0].clone())
        };
        finish_refresh(&mut state, 0, id, listing);
        let next = state.clouds[0].next_refresh.expect("scheduled");
        waits.push((next - now).num_seconds());
        if round < 3 {
            let line = state.clouds[0].error.clone().expect("an error line");
            assert!(line.contains("throttled: next try in"), "{line}");
        } else {
            assert_eq!(state.clouds[0].error, None);
        }
        now = next;
    }
    // refresh_secs is 10: 20, 40, 80, then back to 10 after a success.
    assert_eq!(waits, [20, 40, 80, 10]);
}

/// The header line of the screen at 120×36.
fn header(state: &mut AppState) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 36)).expect("terminal");
    let theme = hytop::dashboard::view::Theme { color: false };
    terminal
        .draw(|f| hytop::dashboard::view::draw(f, state, &theme))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..120).map(|x| buffer[(x, 0)].symbol()).collect()
}

#[test]
fn an_idle_terminal_refreshes_slowly_says_so_and_wakes_on_a_key() {
    let mut state = fleet_state();
    state.config.idle_refresh_secs = 300;
    assert!(
        !header(&mut state).contains("idle"),
        "{}",
        header(&mut state)
    );
    let later = fixed_now() + Duration::minutes(31);
    let fx = tick(&mut state, later);
    assert!(state.paused());
    let shown = header(&mut state);
    assert!(
        shown.contains("[idle: refreshing every 5m, any key resumes]"),
        "{shown}"
    );
    // The refreshes that were due still run; the next ones wait 5 minutes.
    for c in 0..state.clouds.len() {
        let id = refresh_of(&fx, c).unwrap_or_else(|| panic!("cloud {c} refreshes"));
        let list = Ok(state.instances[c].clone());
        finish_refresh(&mut state, c, id, list);
        assert_eq!(
            state.clouds[c].next_refresh,
            Some(later + Duration::minutes(5))
        );
    }
    assert!(refresh_of(&tick(&mut state, later + Duration::minutes(1)), 0).is_none());
    // Any key: every cloud at once, and the header forgets the pause.
    let fx = update(
        &mut state,
        Action::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('j'),
        )),
    );
    assert!(fx.iter().all(|e| !matches!(e, Effect::Quit)));
    assert!(!state.paused());
    assert!(!header(&mut state).contains("idle"));
    let fx = tick(
        &mut state,
        later + Duration::minutes(1) + Duration::seconds(1),
    );
    for c in 0..state.clouds.len() {
        assert!(refresh_of(&fx, c).is_some(), "cloud {c} refreshes at once");
    }
}

#[test]
fn a_slow_cycle_asks_the_never_asked_before_asking_the_head_again() {
    let mut state = old_fleet(6000);
    let t0 = fixed_now() + Duration::seconds(1);
    let first: Vec<_> = metrics_sent(&tick(&mut state, t0))
        .into_iter()
        .filter(|(c, _, q)| *c == 0 && q.resolution == Resolution::Summary)
        .collect();
    let asked: std::collections::HashSet<String> = first
        .iter()
        .flat_map(|(_, _, q)| q.instance_ids.iter().cloned())
        .collect();
    assert_eq!(asked.len(), 1500);
    // The answers take longer than the interval (a slow Gnocchi).
    let late = t0 + Duration::seconds(61);
    state.now = late;
    for (c, id, q) in &first {
        answer(&mut state, *c, *id, q, Ok(quiet(q)));
    }
    let next: Vec<String> = metrics_sent(&tick(&mut state, late + Duration::seconds(1)))
        .into_iter()
        .filter(|(c, _, q)| *c == 0 && q.resolution == Resolution::Summary)
        .flat_map(|(_, _, q)| q.instance_ids)
        .collect();
    let never: Vec<&String> = state.instances[0]
        .iter()
        .map(|i| &i.id)
        .filter(|id| !asked.contains(*id))
        .collect();
    assert_eq!(never.len(), 500);
    for id in never {
        assert!(
            next.contains(id),
            "{id} starves behind the head of the list"
        );
    }
}
