//! Which metrics to ask, and when, apart from the listings so that a slow
//! metrics service never delays the table (and the reverse):
//!
//! 1. the selected instance's full series (its sparklines), as soon as it
//!    is selected or first listed;
//! 2. a CPU summary over the idle window of every instance the idle rule
//!    can judge, visible rows first, in batches of [`BATCH`] with at most
//!    [`MAX_IN_FLIGHT`] under way per cloud;
//!
//! and nothing for an instance before a new datapoint can exist, nothing
//! during a back-off after a failure.

use chrono::{DateTime, Duration, Utc};

use crate::cloud::{MetricsQuery, Resolution};
use crate::dashboard::action::{CloudId, Request, Response};
use crate::dashboard::effect::Effect;
use crate::dashboard::model::AppState;
use crate::domain::cost::idle_window;
use crate::domain::model::InstanceState;

/// Instances per summary request: one CloudWatch `GetMetricData` call (500
/// queries, one per instance for a summary); the OpenStack provider splits
/// it into Gnocchi aggregates calls of 250 resources. Either way a cycle
/// costs ⌈instances / 500⌉ CloudWatch or ⌈servers / 250⌉ Gnocchi requests.
pub const BATCH: usize = 500;

/// Summary requests under way per cloud at most: a few, so a fleet's first
/// cycle is quick without flooding the metrics service.
pub const MAX_IN_FLIGHT: usize = 3;

/// Asks the selected instance's series if due; with `fleet`, also the
/// summaries that are due.
pub(super) fn plan(state: &mut AppState, fleet: bool, fx: &mut Vec<Effect>) {
    for cloud in state.shown_clouds().collect::<Vec<_>>() {
        plan_series(state, cloud, fx);
        if fleet {
            plan_summaries(state, cloud, fx);
        }
    }
}

/// The window of the sparklines; the idle rule judges CPU over its own,
/// so at least that much.
fn series_window(state: &AppState) -> Duration {
    Duration::minutes(i64::from(
        state
            .config
            .metrics_window_mins
            .max(state.config.cost.idle_after_mins)
            .max(1),
    ))
}

fn plan_series(state: &mut AppState, cloud: CloudId, fx: &mut Vec<Effect>) {
    let now = state.now;
    let Some(selected) = state.selected.as_ref().filter(|k| k.cloud == cloud) else {
        return;
    };
    let Some(instance) = state.instance(selected) else {
        return;
    };
    if instance.state != InstanceState::Running {
        return;
    }
    let schedule = &state.clouds[cloud].metrics;
    // One at a time: a held `j` must not queue a request per row passed.
    if !schedule.may_ask(now)
        || schedule.in_flight(Resolution::Series) > 0
        || !schedule.due(schedule.series_asked.get(&selected.id), now)
    {
        return;
    }
    let ids = vec![selected.id.clone()];
    let query = MetricsQuery::series(ids.clone(), now, series_window(state));
    send(state, cloud, query, &ids, fx);
}

fn plan_summaries(state: &mut AppState, cloud: CloudId, fx: &mut Vec<Effect>) {
    let now = state.now;
    let Some(window) = idle_window(&state.config.cost) else {
        // The idle rule is off: nothing needs a summary.
        return;
    };
    let schedule = &state.clouds[cloud].metrics;
    if !schedule.may_ask(now) {
        return;
    }
    let slots = MAX_IN_FLIGHT.saturating_sub(schedule.in_flight(Resolution::Summary));
    if slots == 0 {
        return;
    }
    let want = slots * BATCH;
    // An idle terminal's flags stay current, at the slow pace.
    let gap = if state.paused() {
        let slow = i64::try_from(state.config.idle_refresh_secs).unwrap_or(i64::MAX / 1000);
        schedule.summary_interval.max(Duration::seconds(slow))
    } else {
        schedule.summary_interval
    };
    let instances = &state.instances[cloud];
    // When each judgeable instance was last asked (`None`: never); others
    // are left out.
    let due = |idx: usize| -> Option<Option<DateTime<Utc>>> {
        let i = instances.get(idx)?;
        if i.state != InstanceState::Running || i.age(now).is_none_or(|age| age < window) {
            return None;
        }
        match schedule.summary_asked.get(&i.id) {
            Some(t) if now - *t < gap => None,
            asked => Some(asked.copied()),
        }
    };
    let mut picked: Vec<usize> = Vec::new();
    // The rows on screen first: their flags are what the user reads now.
    let shown = state
        .view
        .iter()
        .skip(state.offset)
        .take(state.page_height.max(1));
    for &(c, idx) in shown {
        if c == cloud && picked.len() < want && due(idx).is_some() {
            picked.push(idx);
        }
    }
    // Then the longest unasked, never-asked first: a cycle slower than the
    // interval must not ask the head of the list again before its tail.
    let first: std::collections::HashSet<usize> = picked.iter().copied().collect();
    let mut rest: Vec<(Option<DateTime<Utc>>, usize)> = (0..instances.len())
        .filter(|idx| !first.contains(idx))
        .filter_map(|idx| due(idx).map(|asked| (asked, idx)))
        .collect();
    let room = want.saturating_sub(picked.len());
    if rest.len() > room && room > 0 {
        rest.select_nth_unstable(room - 1);
    }
    rest.truncate(room);
    rest.sort_unstable();
    picked.extend(rest.into_iter().map(|(_, idx)| idx));
    let ids: Vec<String> = picked.iter().map(|&i| instances[i].id.clone()).collect();
    for chunk in ids.chunks(BATCH) {
        let query = MetricsQuery::summary(chunk.to_vec(), now, window);
        send(state, cloud, query, chunk, fx);
    }
}

fn send(
    state: &mut AppState,
    cloud: CloudId,
    query: MetricsQuery,
    ids: &[String],
    fx: &mut Vec<Effect>,
) {
    let id = state.request_id();
    let now = state.now;
    state.clouds[cloud]
        .metrics
        .sent(id, query.resolution, ids, now);
    fx.push(Effect::Send {
        cloud,
        id,
        request: Request::Metrics(query),
    });
}

/// Applies a metrics answer.
pub(super) fn on_answer(
    state: &mut AppState,
    cloud: CloudId,
    request: crate::dashboard::action::RequestId,
    response: Response,
) {
    let Response::Metrics {
        resolution,
        asked,
        result,
        interval,
    } = response
    else {
        return;
    };
    let now = state.now;
    state.clouds[cloud].metrics.answered(
        request,
        resolution,
        &asked,
        result.is_err(),
        interval,
        now,
    );
    match result {
        Ok(list) => {
            state.clouds[cloud].metrics_error = None;
            state.apply_metrics(cloud, resolution, list);
            // Idle flags depend on the new CPU points.
            state.recompute_costs();
            if state.forgotten_only {
                state.rebuild_view();
            }
        }
        Err(e) if e.code.as_deref() == Some(crate::cloud::openstack::NO_METRICS_SERVICE) => {
            let c = &mut state.clouds[cloud];
            c.metrics_error = None;
            c.metrics_note = Some(e.message);
            c.metrics.unavailable = true;
        }
        Err(e) => {
            let c = &mut state.clouds[cloud];
            let wait = c
                .metrics
                .retry_at
                .map(|t| crate::domain::format::span(t - now))
                .unwrap_or_default();
            let why = if e.is_throttled() {
                "throttled"
            } else {
                "failed"
            };
            c.metrics_error = Some(format!("{e} ({why}; next try in {wait})"));
        }
    }
}
