//! Fake Gnocchi (metric API v1) with the resources Ceilometer would have
//! created for the fake's servers: `instance` (metrics `cpu`, `vcpus`,
//! `memory`, `memory.usage`) and `instance_network_interface` (attribute
//! `instance_id`; metrics `network.{incoming,outgoing}.{bytes,packets}`).
//!
//! Endpoints: archive policies, metrics and their measures, resources,
//! resource search and `POST /v1/aggregates`, whose request validation,
//! granularity checks and response shapes follow
//! `gnocchi/rest/aggregates/api.py` and `processor.py` (`aggregated()`):
//! `{"measures": {"<resource id>": {"<metric>": {"<agg>": [[ts, gran, v]…]}}}}`,
//! `{"measures": {"aggregated": […]}}` after an `aggregate` operation, a
//! list of `{"group", "measures": {"measures": …}}` with `groupby`.
//! Timestamps are `numpy.datetime_as_string(unit='s') + "+00:00"`,
//! granularities float seconds; errors are `{"code", "description", "title"}`.
//!
//! Data: each granularity G behaves as if Ceilometer sampled once per G
//! (aligned to G), from the server's launch to now (or its deletion), and
//! the archive keeps `points` samples: cumulative metrics grow linearly at
//! the server's rate, so `rate:mean` is `rate × G` at every point after the
//! first.

use axum::http::Method;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::world::{
    ArchivePolicy, CEILOMETER_USER_ID, GMetric, GResource, MetricKind, SERVICE_PROJECT_ID, World,
    gnocchi_time, gnocchi_ts,
};
use super::{Ctx, Req, Shared, glob_match, json_response, parse_bool, status_title};

pub(crate) fn error(status: u16, description: Value) -> Response {
    json_response(
        status,
        &json!({"code": status, "description": description, "title": status_title(status)}),
    )
}

fn bad_request(description: Value) -> Response {
    error(400, description)
}

/// `GET /metric/` without auth.
pub(crate) fn version_document(req: &Req) -> Option<Response> {
    if req.method != Method::GET || !matches!(req.rest.as_str(), "" | "/") {
        return None;
    }
    Some(json_response(
        200,
        &json!({
            "build": "4.6.0",
            "versions": [{
                "status": "CURRENT",
                "links": [{"rel": "self", "href": format!("{}/metric/v1/", req.base)}],
                "id": "v1.0",
                "updated": "2015-03-19",
            }],
        }),
    ))
}

const RESOURCE_TYPES: [(&str, &[&str]); 3] = [
    ("generic", &[]),
    (
        "instance",
        &[
            "display_name",
            "flavor_id",
            "flavor_name",
            "host",
            "image_ref",
            "server_group",
            "launched_at",
            "created_at",
            "deleted_at",
        ],
    ),
    ("instance_network_interface", &["name", "instance_id"]),
];

fn known_type(name: &str) -> bool {
    RESOURCE_TYPES.iter().any(|(t, _)| *t == name)
}

/// Waits [`super::FakeOptions::aggregates_delay`] if `req` is a `POST
/// /v1/aggregates` (after authentication, before the world is locked, so
/// delayed requests run side by side and nothing else waits for them).
pub(crate) async fn delay_aggregates(shared: &Shared, req: &Req) {
    let Some(delay) = shared.options.aggregates_delay else {
        return;
    };
    if req.method == Method::POST && req.segments() == ["v1", "aggregates"] {
        tokio::time::sleep(delay).await;
    }
}

pub(crate) fn handle(shared: &Shared, ctx: &Ctx, req: &Req) -> Response {
    let segments = req.segments();
    let Some((&"v1", rest)) = segments.split_first() else {
        return error(404, json!("The resource could not be found."));
    };
    let world = shared.world();
    let get = req.method == Method::GET;
    let post = req.method == Method::POST;
    match rest {
        [] if get => {
            let base = format!("{}/metric/v1", req.base);
            let mut links = vec![json!({"rel": "self", "href": base})];
            for name in [
                "aggregates",
                "aggregation",
                "archive_policy",
                "archive_policy_rule",
                "batch",
                "capabilities",
                "influxdb",
                "metric",
                "resource",
                "resource_type",
                "search",
                "status",
            ] {
                links.push(json!({"rel": name, "href": format!("{base}/{name}")}));
            }
            json_response(200, &json!({"version": "1.0", "links": links}))
        }
        ["archive_policy"] if get => json_response(
            200,
            &Value::Array(world.policies.iter().map(render_policy).collect()),
        ),
        ["archive_policy", name] if get => match world.policy(name) {
            Some(p) => json_response(200, &render_policy(p)),
            None => error(404, json!(format!("Archive policy {name} does not exist"))),
        },
        ["resource_type"] if get => {
            let types: Vec<Value> = RESOURCE_TYPES
                .iter()
                .map(|(name, attrs)| {
                    let attributes: Map<String, Value> = attrs
                        .iter()
                        .map(|a| {
                            (
                                a.to_string(),
                                json!({"type": "string", "required": false, "min_length": 0, "max_length": 255}),
                            )
                        })
                        .collect();
                    json!({"name": name, "state": "active", "attributes": attributes})
                })
                .collect();
            json_response(200, &Value::Array(types))
        }
        ["metric", id] if get => match visible_metric(&world, ctx, id) {
            Ok(m) => json_response(200, &render_metric(&world, m)),
            Err(r) => r,
        },
        ["metric", id, "measures"] if get => match visible_metric(&world, ctx, id) {
            Ok(m) => metric_measures(&world, req, m),
            Err(r) => r,
        },
        ["resource", kind] if get => {
            if !known_type(kind) {
                return error(404, json!(format!("Resource type {kind} does not exist")));
            }
            let details = req.param("details").and_then(parse_bool).unwrap_or(false);
            let items: Vec<Value> = world
                .resources
                .iter()
                .filter(|r| resource_visible(r, ctx) && (*kind == "generic" || r.kind == *kind))
                .map(|r| render_resource(r, kind, true, details))
                .collect();
            json_response(200, &Value::Array(items))
        }
        ["resource", kind, id] if get => match find_resource(&world, ctx, kind, id) {
            Ok(r) => json_response(200, &render_resource(r, kind, true, false)),
            Err(resp) => resp,
        },
        ["resource", kind, id, "metric", name] if get => {
            match find_resource(&world, ctx, kind, id)
                .and_then(|r| resource_metric(&world, r, name))
            {
                Ok(m) => json_response(200, &render_metric(&world, m)),
                Err(resp) => resp,
            }
        }
        ["resource", kind, id, "metric", name, "measures"] if get => {
            match find_resource(&world, ctx, kind, id)
                .and_then(|r| resource_metric(&world, r, name))
            {
                Ok(m) => metric_measures(&world, req, m),
                Err(resp) => resp,
            }
        }
        ["search", "resource", kind] if post => search_resources(&world, ctx, req, kind),
        ["aggregates"] if post => aggregates(&world, ctx, req),
        ["archive_policy"]
        | ["archive_policy", _]
        | ["metric", _]
        | ["metric", _, "measures"]
        | ["resource", ..]
        | ["search", ..]
        | ["aggregates"] => error(
            405,
            json!("The method POST is not allowed for this resource."),
        ),
        _ => error(404, json!("The resource could not be found.")),
    }
}

// ---------------------------------------------------------------------------
// Rendering

/// Python's `str(datetime.timedelta(seconds=s))`.
fn timedelta_str(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let hms = format!("{}:{:02}:{:02}", rest / 3600, (rest % 3600) / 60, rest % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        d => format!("{d} days, {hms}"),
    }
}

fn render_policy(p: &ArchivePolicy) -> Value {
    json!({
        "name": p.name,
        "back_window": 0,
        "definition": p.definition.iter().map(|&(g, points)| json!({
            "timespan": timedelta_str(u64::from(g) * u64::from(points)),
            "granularity": timedelta_str(u64::from(g)),
            "points": points,
        })).collect::<Vec<_>>(),
        "aggregation_methods": p.aggregation_methods,
    })
}

fn creator() -> String {
    format!("{CEILOMETER_USER_ID}:{SERVICE_PROJECT_ID}")
}

fn render_resource(r: &GResource, as_type: &str, with_metrics: bool, details: bool) -> Value {
    let mut obj = Map::new();
    obj.insert("id".into(), json!(r.id));
    obj.insert("type".into(), json!(r.kind));
    obj.insert("project_id".into(), json!(r.project_id));
    obj.insert("user_id".into(), json!(r.user_id));
    obj.insert("original_resource_id".into(), json!(r.original_resource_id));
    obj.insert("started_at".into(), json!(gnocchi_time(r.started_at)));
    obj.insert("revision_start".into(), json!(gnocchi_time(r.started_at)));
    obj.insert(
        "ended_at".into(),
        r.ended_at
            .map(|t| json!(gnocchi_time(t)))
            .unwrap_or(Value::Null),
    );
    obj.insert("revision_end".into(), Value::Null);
    obj.insert("creator".into(), json!(creator()));
    obj.insert("created_by_user_id".into(), json!(CEILOMETER_USER_ID));
    obj.insert("created_by_project_id".into(), json!(SERVICE_PROJECT_ID));
    if as_type != "generic" || details {
        for (k, v) in &r.attrs {
            obj.insert(k.clone(), v.clone());
        }
    }
    if with_metrics {
        let metrics: Map<String, Value> = r
            .metrics
            .iter()
            .map(|(name, id)| (name.clone(), json!(id)))
            .collect();
        obj.insert("metrics".into(), Value::Object(metrics));
    }
    Value::Object(obj)
}

fn render_metric(world: &World, m: &GMetric) -> Value {
    let resource = world
        .resources
        .iter()
        .find(|r| r.id == m.resource_id)
        .map(|r| render_resource(r, r.kind, false, false))
        .unwrap_or(Value::Null);
    json!({
        "id": m.id,
        "name": m.name,
        "unit": m.unit,
        "creator": creator(),
        "created_by_user_id": CEILOMETER_USER_ID,
        "created_by_project_id": SERVICE_PROJECT_ID,
        "resource": resource,
        "archive_policy": world.policy(m.policy).map(render_policy).unwrap_or(Value::Null),
    })
}

fn resource_visible(r: &GResource, ctx: &Ctx) -> bool {
    ctx.is_admin || r.project_id == ctx.project_id
}

fn find_resource<'a>(
    world: &'a World,
    ctx: &Ctx,
    kind: &str,
    id: &str,
) -> Result<&'a GResource, Response> {
    if !known_type(kind) {
        return Err(error(
            404,
            json!(format!("Resource type {kind} does not exist")),
        ));
    }
    let wanted = id.to_ascii_lowercase();
    let Some(r) = world.resources.iter().find(|r| {
        (kind == "generic" || r.kind == kind) && (r.id == wanted || r.original_resource_id == id)
    }) else {
        return Err(error(404, json!(format!("Resource {id} does not exist"))));
    };
    if !resource_visible(r, ctx) {
        return Err(error(403, json!("Access was denied to this resource.")));
    }
    Ok(r)
}

fn resource_metric<'a>(
    world: &'a World,
    r: &GResource,
    name: &str,
) -> Result<&'a GMetric, Response> {
    r.metrics
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, id)| world.metrics.get(id))
        .ok_or_else(|| error(404, json!(format!("Metric {name} does not exist"))))
}

fn visible_metric<'a>(world: &'a World, ctx: &Ctx, id: &str) -> Result<&'a GMetric, Response> {
    let Some(m) = world.metrics.get(&id.to_ascii_lowercase()) else {
        return Err(error(404, json!(format!("Metric {id} does not exist"))));
    };
    let visible = world
        .resources
        .iter()
        .find(|r| r.id == m.resource_id)
        .is_some_and(|r| resource_visible(r, ctx));
    if !visible {
        return Err(error(403, json!("Access was denied to this resource.")));
    }
    Ok(m)
}

// ---------------------------------------------------------------------------
// Time and timespan parsing (gnocchi.utils.to_timestamp / to_timespan)

fn parse_timespan(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = if let Ok(v) = t.parse::<f64>() {
        v
    } else {
        let split = t
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| "Unable to parse timespan".to_string())?;
        let (num, unit) = t.split_at(split);
        let n: f64 = num
            .trim()
            .parse()
            .map_err(|_| "Unable to parse timespan".to_string())?;
        let mult = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "w" | "week" | "weeks" => 604_800.0,
            _ => return Err("Unable to parse timespan".into()),
        };
        n * mult
    };
    if value <= 0.0 {
        return Err("Timespan must be positive".into());
    }
    Ok(value)
}

fn parse_timestamp(text: &str) -> Option<f64> {
    let t = text.trim();
    let now = Utc::now().timestamp_micros() as f64 / 1e6;
    if t.eq_ignore_ascii_case("now") {
        return Some(now);
    }
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    if let Some(rest) = t.strip_prefix('-') {
        return parse_timespan(rest).ok().map(|s| now - s);
    }
    if let Some(rest) = t.strip_prefix('+') {
        return parse_timespan(rest).ok().map(|s| now + s);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_micros() as f64 / 1e6);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(t, fmt) {
            return Some(dt.timestamp_micros() as f64 / 1e6);
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt.and_utc().timestamp_micros() as f64 / 1e6);
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp() as f64)
}

struct Window {
    start: Option<f64>,
    stop: Option<f64>,
    granularity: Option<f64>,
}

fn parse_window(req: &Req) -> Result<Window, Response> {
    let arg_error = |detail: &str, reason: &str| {
        bad_request(json!({"cause": "Argument value error", "detail": detail, "reason": reason}))
    };
    let start = match req.param("start") {
        None => None,
        Some(s) => Some(
            parse_timestamp(s)
                .ok_or_else(|| arg_error("start", "Must be a datetime or a timestamp"))?,
        ),
    };
    let stop = match req.param("stop") {
        None => None,
        Some(s) => Some(
            parse_timestamp(s)
                .ok_or_else(|| arg_error("stop", "Must be a datetime or a timestamp"))?,
        ),
    };
    let granularity = match req.param("granularity") {
        None => None,
        Some(g) => Some(parse_timespan(g).map_err(|e| arg_error("granularity", &e))?),
    };
    Ok(Window {
        start,
        stop,
        granularity,
    })
}

// ---------------------------------------------------------------------------
// Data

fn is_cumulative(kind: MetricKind) -> bool {
    matches!(
        kind,
        MetricKind::Cpu
            | MetricKind::NetInBytes
            | MetricKind::NetOutBytes
            | MetricKind::NetInPackets
            | MetricKind::NetOutPackets
    )
}

/// (per-second growth of a cumulative metric, or the gauge's value).
fn metric_level(world: &World, m: &GMetric) -> Option<f64> {
    let s = world.server(&m.server_id)?;
    let flavor = world.flavor(&s.flavor_id);
    let vcpus = f64::from(flavor.map(|f| f.vcpus).unwrap_or(1));
    let ram = f64::from(flavor.map(|f| f.ram).unwrap_or(512));
    Some(match m.kind {
        MetricKind::Cpu => s.cpu_percent / 100.0 * vcpus * 1e9,
        MetricKind::NetInBytes => s.net_in_rate,
        MetricKind::NetOutBytes => s.net_out_rate,
        MetricKind::NetInPackets => s.net_in_rate / 1000.0,
        MetricKind::NetOutPackets => s.net_out_rate / 1000.0,
        MetricKind::Vcpus => vcpus,
        MetricKind::Memory => ram,
        MetricKind::MemoryUsage => {
            (ram * (0.3 + 0.5 * s.cpu_percent.clamp(0.0, 100.0) / 100.0)).round()
        }
    })
}

fn floor_to(t: f64, g: i64) -> i64 {
    (t.floor() as i64).div_euclid(g) * g
}

/// The stored points of metric `m` for (granularity, aggregation), within
/// [floor(start, g), stop).
fn series(
    world: &World,
    m: &GMetric,
    g: u32,
    agg: &str,
    start: Option<f64>,
    stop: Option<f64>,
) -> Vec<(i64, f64)> {
    let Some(server) = world.server(&m.server_id) else {
        return Vec::new();
    };
    let Some(launched) = server.launched_at else {
        return Vec::new();
    };
    let Some(level) = metric_level(world, m) else {
        return Vec::new();
    };
    let Some(policy) = world.policy(m.policy) else {
        return Vec::new();
    };
    let Some(&(_, points)) = policy.definition.iter().find(|(pg, _)| *pg == g) else {
        return Vec::new();
    };
    let gi = i64::from(g);
    let now = Utc::now().timestamp_micros() as f64 / 1e6;
    let launched_s = launched.timestamp_micros() as f64 / 1e6;
    let end_s = server
        .deleted_at
        .map(|t| t.timestamp_micros() as f64 / 1e6)
        .unwrap_or(now)
        .min(now);
    let first_sample = -floor_to(-launched_s, gi); // ceil to g
    let last_sample = floor_to(end_s, gi);
    let oldest_kept = floor_to(now, gi) - (i64::from(points) - 1) * gi;
    let rate = agg == "rate:mean";
    let mut lo = first_sample.max(oldest_kept);
    if rate {
        lo = lo.max(first_sample + gi);
    }
    if let Some(s) = start {
        lo = lo.max(floor_to(s, gi));
    }
    // Align lo up to the grid.
    lo = -floor_to(-(lo as f64), gi);
    let mut out = Vec::new();
    let mut t = lo;
    while t <= last_sample {
        if stop.is_some_and(|s| (t as f64) >= s) {
            break;
        }
        let value = if is_cumulative(m.kind) {
            if rate {
                level * f64::from(g)
            } else {
                level * (t as f64 - launched_s)
            }
        } else if rate {
            0.0
        } else {
            level
        };
        out.push((t, value));
        t += gi;
    }
    out
}

fn metric_measures(world: &World, req: &Req, m: &GMetric) -> Response {
    let window = match parse_window(req) {
        Ok(w) => w,
        Err(r) => return r,
    };
    if req.param("resample").is_some() {
        if window.granularity.is_none() {
            return bad_request(json!("A granularity must be specified to resample"));
        }
        return error(
            501,
            json!("Sorry, this Gnocchi server does not implement this feature 😞"),
        );
    }
    let agg = req.param("aggregation").unwrap_or("mean");
    let Some(policy) = world.policy(m.policy) else {
        return error(404, json!(format!("Metric {} does not exist", m.id)));
    };
    if !policy.aggregation_methods.contains(&agg) {
        return error(
            404,
            json!({
                "cause": "Aggregation method does not exist for this metric",
                "detail": {"metric": m.id, "aggregation_method": agg},
            }),
        );
    }
    let mut grans: Vec<u32> = match window.granularity {
        None => policy.definition.iter().map(|(g, _)| *g).collect(),
        Some(g) => {
            let found = policy
                .definition
                .iter()
                .map(|(pg, _)| *pg)
                .find(|pg| f64::from(*pg) == g);
            match found {
                Some(pg) => vec![pg],
                None => {
                    return error(
                        404,
                        json!(format!(
                            "Aggregation method '{agg}' at granularity '{}' for metric {} does not exist",
                            py_float(g),
                            m.id
                        )),
                    );
                }
            }
        }
    };
    grans.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    for g in grans {
        for (t, v) in series(world, m, g, agg, window.start, window.stop) {
            out.push(json!([gnocchi_ts(t), f64::from(g), v]));
        }
    }
    json_response(200, &Value::Array(out))
}

/// Python's `str(float)` for the values that appear in messages.
fn py_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

// ---------------------------------------------------------------------------
// Resource search filters

fn search_filter_from(value: &Value) -> Result<Value, Response> {
    match value {
        Value::String(text) => {
            parse_query_filter(text).map_err(|e| bad_request(json!(format!("Invalid filter: {e}"))))
        }
        Value::Object(_) => Ok(value.clone()),
        Value::Null => Ok(json!({})),
        other => Err(bad_request(json!({
            "cause": "Invalid input",
            "reason": format!("expected a dictionary for dictionary value @ data['search'], got {other}"),
            "detail": ["search"],
        }))),
    }
}

fn invalid_input(reason: &str, detail: &[&str]) -> Response {
    bad_request(json!({"cause": "Invalid input", "reason": reason, "detail": detail}))
}

/// Normalises an attribute value for comparison: timestamps to epoch.
fn comparable(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            if s.len() >= 10 && s.as_bytes()[4] == b'-' {
                parse_timestamp(s)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn values_equal(attr: &str, item: &Value, wanted: &Value) -> bool {
    if (attr == "id" || attr.ends_with("_id"))
        && let (Some(a), Some(b)) = (item.as_str(), wanted.as_str())
    {
        return a.eq_ignore_ascii_case(b)
            || a.replace('-', "").eq_ignore_ascii_case(&b.replace('-', ""));
    }
    if let (Some(a), Some(b)) = (comparable(item), comparable(wanted)) {
        return a == b;
    }
    match (item, wanted) {
        (Value::String(a), Value::Number(b)) => a == &b.to_string(),
        _ => item == wanted,
    }
}

fn order(item: &Value, wanted: &Value) -> Option<std::cmp::Ordering> {
    if let (Some(a), Some(b)) = (comparable(item), comparable(wanted)) {
        return a.partial_cmp(&b);
    }
    match (item, wanted) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn like(pattern: &str, text: &str) -> bool {
    let glob: String = pattern
        .chars()
        .map(|c| match c {
            '%' => '*',
            '_' => '?',
            other => other,
        })
        .collect();
    glob_match(&glob, text)
}

fn eval_filter(filter: &Value, item: &Value, kind: &str) -> Result<bool, Response> {
    let Some(map) = filter.as_object() else {
        return Err(invalid_input("expected a dictionary", &[]));
    };
    if map.is_empty() {
        return Ok(true);
    }
    if map.len() > 1 {
        return Err(invalid_input("length of value must be at most 1", &[]));
    }
    let (op, arg) = map.iter().next().expect("one entry");
    match op.as_str() {
        "and" | "∧" | "or" | "∨" => {
            let Some(subs) = arg.as_array().filter(|a| !a.is_empty()) else {
                return Err(invalid_input(
                    &format!(
                        "length of value must be at least 1 for dictionary value @ data['{op}']"
                    ),
                    &[op],
                ));
            };
            let and = op == "and" || op == "∧";
            for sub in subs {
                let hit = eval_filter(sub, item, kind)?;
                if and && !hit {
                    return Ok(false);
                }
                if !and && hit {
                    return Ok(true);
                }
            }
            Ok(and)
        }
        "not" => Ok(!eval_filter(arg, item, kind)?),
        _ => {
            let Some(cond) = arg.as_object().filter(|c| c.len() == 1) else {
                return Err(invalid_input(
                    &format!(
                        "length of value must be at most 1 for dictionary value @ data['{op}']"
                    ),
                    &[op],
                ));
            };
            let (attr, wanted) = cond.iter().next().expect("one entry");
            let Some(actual) = item.get(attr) else {
                return Err(bad_request(json!(format!(
                    "Resource type {kind} has no {attr} attribute"
                ))));
            };
            let result = match op.as_str() {
                "=" | "==" | "eq" => values_equal(attr, actual, wanted),
                "!=" | "≠" | "ne" => !values_equal(attr, actual, wanted),
                "in" => match wanted.as_array() {
                    Some(list) if !list.is_empty() => {
                        list.iter().any(|w| values_equal(attr, actual, w))
                    }
                    _ => {
                        return Err(invalid_input(
                            &format!("expected a list for dictionary value @ data['in']['{attr}']"),
                            &["in", attr],
                        ));
                    }
                },
                "like" => match (actual.as_str(), wanted.as_str()) {
                    (Some(a), Some(w)) => like(w, a),
                    _ => false,
                },
                "<" | "lt" => order(actual, wanted) == Some(std::cmp::Ordering::Less),
                ">" | "gt" => order(actual, wanted) == Some(std::cmp::Ordering::Greater),
                "<=" | "≤" | "le" => matches!(
                    order(actual, wanted),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                ),
                ">=" | "≥" | "ge" => matches!(
                    order(actual, wanted),
                    Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                ),
                other => {
                    return Err(invalid_input(
                        &format!("extra keys not allowed @ data['{other}']"),
                        &[other],
                    ));
                }
            };
            Ok(result)
        }
    }
}

/// The query-string filter syntax (`QueryStringSearchAttrFilter`):
/// `attr op value` joined by `and`/`or`, `not`, parentheses, `[lists]`.
fn parse_query_filter(text: &str) -> Result<Value, String> {
    #[derive(Clone, Debug, PartialEq)]
    enum Tok {
        Open,
        Close,
        LBracket,
        RBracket,
        Comma,
        Word(String),
        Quoted(String),
    }
    let mut toks = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                toks.push(Tok::Open);
                i += 1;
            }
            ')' => {
                toks.push(Tok::Close);
                i += 1;
            }
            '[' => {
                toks.push(Tok::LBracket);
                i += 1;
            }
            ']' => {
                toks.push(Tok::RBracket);
                i += 1;
            }
            ',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            '\'' | '"' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    s.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("unterminated string".into());
                }
                i += 1;
                toks.push(Tok::Quoted(s));
            }
            '=' | '!' | '<' | '>' | '≠' | '≥' | '≤' => {
                let mut s = c.to_string();
                i += 1;
                if i < chars.len() && chars[i] == '=' {
                    s.push('=');
                    i += 1;
                }
                toks.push(Tok::Word(s));
            }
            _ => {
                let mut s = String::new();
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !"()[],=!<>'\"≠≥≤".contains(chars[i])
                {
                    s.push(chars[i]);
                    i += 1;
                }
                toks.push(Tok::Word(s));
            }
        }
    }
    const OPS: [&str; 18] = [
        ">=", "<=", "!=", ">", "<", "=", "==", "eq", "ne", "lt", "gt", "ge", "le", "in", "like",
        "≠", "≥", "≤",
    ];
    struct P {
        toks: Vec<Tok>,
        pos: usize,
    }
    impl P {
        fn peek_word(&self) -> Option<&str> {
            match self.toks.get(self.pos) {
                Some(Tok::Word(w)) => Some(w.as_str()),
                _ => None,
            }
        }
        fn term(&mut self) -> Result<Value, String> {
            let tok = self.toks.get(self.pos).cloned().ok_or("expected a term")?;
            self.pos += 1;
            Ok(match tok {
                Tok::Quoted(s) => json!(s),
                Tok::Word(w) => match w.as_str() {
                    "None" | "none" | "null" => Value::Null,
                    "True" | "true" => json!(true),
                    "False" | "false" => json!(false),
                    _ => {
                        if uuid::Uuid::parse_str(&w).is_err()
                            && let Ok(n) = w.parse::<f64>()
                        {
                            json!(n)
                        } else {
                            json!(w)
                        }
                    }
                },
                Tok::LBracket => {
                    let mut items = Vec::new();
                    if self.toks.get(self.pos) == Some(&Tok::RBracket) {
                        self.pos += 1;
                        return Ok(Value::Array(items));
                    }
                    loop {
                        items.push(self.term()?);
                        match self.toks.get(self.pos) {
                            Some(Tok::Comma) => self.pos += 1,
                            Some(Tok::RBracket) => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err("expected ',' or ']'".into()),
                        }
                    }
                    Value::Array(items)
                }
                other => return Err(format!("unexpected {other:?}")),
            })
        }
        fn primary(&mut self) -> Result<Value, String> {
            if self.toks.get(self.pos) == Some(&Tok::Open) {
                self.pos += 1;
                let e = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err("expected ')'".into());
                }
                self.pos += 1;
                return Ok(e);
            }
            if self.peek_word() == Some("not") {
                self.pos += 1;
                let inner = self.primary()?;
                return Ok(json!({"not": inner}));
            }
            let left = self.term()?;
            let op = self
                .peek_word()
                .filter(|w| OPS.contains(w))
                .ok_or("expected an operator")?
                .to_string();
            self.pos += 1;
            let right = self.term()?;
            let attr = left.as_str().ok_or("expected an attribute name")?;
            Ok(json!({ op: { attr: right } }))
        }
        fn and(&mut self) -> Result<Value, String> {
            let mut items = vec![self.primary()?];
            while matches!(self.peek_word(), Some("and" | "∧")) {
                self.pos += 1;
                items.push(self.primary()?);
            }
            Ok(if items.len() == 1 {
                items.pop().expect("one")
            } else {
                json!({ "and": items })
            })
        }
        fn or(&mut self) -> Result<Value, String> {
            let mut items = vec![self.and()?];
            while matches!(self.peek_word(), Some("or" | "∨")) {
                self.pos += 1;
                items.push(self.and()?);
            }
            Ok(if items.len() == 1 {
                items.pop().expect("one")
            } else {
                json!({ "or": items })
            })
        }
    }
    let mut p = P { toks, pos: 0 };
    let value = p.or()?;
    if p.pos != p.toks.len() {
        return Err("unexpected trailing input".into());
    }
    Ok(value)
}

/// Resources of `kind` the caller may see that match `filter`.
fn search<'a>(
    world: &'a World,
    ctx: &Ctx,
    kind: &str,
    filter: &Value,
) -> Result<Vec<&'a GResource>, Response> {
    let mut out = Vec::new();
    for r in world
        .resources
        .iter()
        .filter(|r| resource_visible(r, ctx) && (kind == "generic" || r.kind == kind))
    {
        let item = render_resource(r, kind, false, false);
        if eval_filter(filter, &item, kind)? {
            out.push(r);
        }
    }
    // RESOURCE_DEFAULT_PAGINATION: revision_start asc, started_at asc.
    out.sort_by_key(|r| r.started_at);
    Ok(out)
}

fn search_resources(world: &World, ctx: &Ctx, req: &Req, kind: &str) -> Response {
    if !known_type(kind) {
        return error(404, json!(format!("Resource type {kind} does not exist")));
    }
    let filter = if !req.body.is_empty() {
        match req.json_body() {
            Ok(v) => match search_filter_from(&v) {
                Ok(f) => f,
                Err(r) => return r,
            },
            Err(e) => {
                return bad_request(json!({
                    "cause": "Unable to decode body",
                    "reason": e,
                }));
            }
        }
    } else if let Some(f) = req.param("filter") {
        match parse_query_filter(f) {
            Ok(v) => v,
            Err(e) => return bad_request(json!(format!("Invalid filter: {e}"))),
        }
    } else {
        json!({})
    };
    let details = req.param("details").and_then(parse_bool).unwrap_or(false);
    match search(world, ctx, kind, &filter) {
        Ok(found) => {
            let limit: usize = req
                .param("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(1000);
            let items: Vec<Value> = found
                .into_iter()
                .take(limit)
                .map(|r| render_resource(r, kind, true, details))
                .collect();
            json_response(200, &Value::Array(items))
        }
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------
// Aggregates

#[derive(Clone, Debug)]
enum Node {
    Metric(Vec<(String, String)>),
    Aggregate(String, Box<Node>),
    Binary(String, Box<Node>, Box<Node>),
    Unary(String, Box<Node>),
    Number(f64),
}

const AGGS: [&str; 8] = ["mean", "median", "std", "min", "max", "sum", "var", "count"];
const BINARY: [&str; 30] = [
    "=", "==", "eq", "<", "lt", ">", "gt", "<=", "≤", "le", ">=", "≥", "ge", "!=", "≠", "ne", "%",
    "mod", "+", "add", "-", "sub", "*", "×", "mul", "/", "÷", "div", "**", "^",
];
const UNARY: [&str; 11] = [
    "abs",
    "absolute",
    "neg",
    "negative",
    "cos",
    "sin",
    "tan",
    "floor",
    "ceil",
    "rateofchange",
    "rateofchangesec",
];

fn is_agg(name: &str) -> bool {
    AGGS.contains(&name)
        || name
            .strip_prefix("rate:")
            .is_some_and(|a| AGGS.contains(&a))
}

/// pyparsing's `nestedExpr` on the string form: `(aggregate mean (metric cpu mean))`.
fn parse_sexpr(text: &str) -> Result<Value, String> {
    let mut stack: Vec<Vec<Value>> = Vec::new();
    let mut result: Option<Value> = None;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if result.is_some() && stack.is_empty() {
            break; // asList()[0]: the first expression only
        }
        match c {
            '(' => {
                stack.push(Vec::new());
                i += 1;
            }
            ')' => {
                let done = stack.pop().ok_or("Expected \"(\"")?;
                let value = Value::Array(done);
                match stack.last_mut() {
                    Some(parent) => parent.push(value),
                    None => result = Some(value),
                }
                i += 1;
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                s.push(quote);
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    s.push(chars[i]);
                    i += 1;
                }
                s.push(quote);
                i += 1;
                stack.last_mut().ok_or("Expected \"(\"")?.push(json!(s));
            }
            _ => {
                let mut s = String::new();
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && chars[i] != '('
                    && chars[i] != ')'
                {
                    s.push(chars[i]);
                    i += 1;
                }
                stack
                    .last_mut()
                    .ok_or_else(|| format!("Expected \"(\", found '{s}'"))?
                    .push(json!(s));
            }
        }
    }
    if !stack.is_empty() {
        return Err("Expected \")\"".into());
    }
    result.ok_or_else(|| "Expected \"(\"".to_string())
}

fn parse_node(v: &Value, top: bool) -> Result<Node, String> {
    if !top {
        match v {
            Value::Number(n) => return Ok(Node::Number(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => {
                return s
                    .parse::<f64>()
                    .map(Node::Number)
                    .map_err(|_| format!("expected float, got '{s}'"));
            }
            _ => {}
        }
    }
    let Some(items) = v.as_array() else {
        return Err(format!("Expected a tuple/list, got a {}", json_type(v)));
    };
    let Some(op) = items.first().and_then(Value::as_str) else {
        return Err("Operation must not be empty".into());
    };
    let args = &items[1..];
    match op {
        "metric" => {
            if args.is_empty() {
                return Err("Operation need at least one argument".into());
            }
            let pair = |x: &Value| -> Option<(String, String)> {
                let a = x.as_array()?;
                match a.as_slice() {
                    [Value::String(m), Value::String(agg)] => Some((m.clone(), agg.clone())),
                    _ => None,
                }
            };
            if args[0].is_array() {
                let refs: Option<Vec<(String, String)>> = args.iter().map(pair).collect();
                refs.map(Node::Metric)
                    .ok_or_else(|| "invalid list value for metric".into())
            } else {
                match args {
                    [Value::String(m), Value::String(agg)] => {
                        Ok(Node::Metric(vec![(m.clone(), agg.clone())]))
                    }
                    _ => Err("'metric' operation invalid".into()),
                }
            }
        }
        "aggregate" => match args {
            [Value::String(agg), sub] if is_agg(agg) => Ok(Node::Aggregate(
                agg.clone(),
                Box::new(parse_node(sub, false)?),
            )),
            _ => Err("'aggregate' operation invalid".into()),
        },
        "resample" | "rolling" | "clip" | "clip_min" | "clip_max" => Err(format!(
            "'{op}' operation is not supported by this fake Gnocchi"
        )),
        _ if BINARY.contains(&op) => match args {
            [a, b] => Ok(Node::Binary(
                op.to_string(),
                Box::new(parse_node(a, false)?),
                Box::new(parse_node(b, false)?),
            )),
            _ => Err(format!("'{op}' operation invalid")),
        },
        _ if UNARY.contains(&op) => match args {
            [a] => Ok(Node::Unary(op.to_string(), Box::new(parse_node(a, false)?))),
            _ => Err(format!("'{op}' operation invalid")),
        },
        _ => Err(format!("'{op}' operation invalid")),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn references(node: &Node, out: &mut Vec<(String, String)>) {
    match node {
        Node::Metric(refs) => {
            for r in refs {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        Node::Aggregate(_, sub) | Node::Unary(_, sub) => references(sub, out),
        Node::Binary(_, a, b) => {
            references(a, out);
            references(b, out);
        }
        Node::Number(_) => {}
    }
}

/// One time series to aggregate: a metric with an aggregation method.
struct Ref<'a> {
    metric: &'a GMetric,
    aggregation: String,
    /// The resource, when referenced by name through a resource search.
    resource_id: Option<String>,
    /// [wildcard or name, aggregation], what `(metric …)` nodes select on.
    lookup: (String, String),
}

impl Ref<'_> {
    fn name(&self) -> String {
        if self.resource_id.is_some() {
            self.metric.name.clone()
        } else {
            self.metric.id.clone()
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Fill {
    None,
    Dropna,
    Null,
    Ffill,
    Bfill,
    FullFfill,
    FullBfill,
    Value(f64),
}

impl Fill {
    fn drops(self) -> bool {
        matches!(
            self,
            Fill::Dropna | Fill::Ffill | Fill::Bfill | Fill::FullFfill | Fill::FullBfill
        )
    }
}

enum Vals {
    Scalar(f64),
    /// Columns (one per series) and the refs they come from.
    Grid(Vec<Vec<f64>>, Vec<usize>),
}

struct Evaluated {
    times: Vec<i64>,
    vals: Vals,
    aggregated: bool,
}

fn unaggregable(detail: Value, reason: &str) -> Response {
    bad_request(json!({
        "cause": "Metrics cannot be aggregated",
        "reason": reason,
        "detail": detail,
    }))
}

fn reduce(agg: &str, values: &[f64]) -> f64 {
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = present.len() as f64;
    match agg {
        "count" => n,
        "sum" => present.iter().sum(),
        _ if present.is_empty() => f64::NAN,
        "mean" => present.iter().sum::<f64>() / n,
        "min" => present.iter().copied().fold(f64::INFINITY, f64::min),
        "max" => present.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "median" => {
            let mut s = present.clone();
            s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            let mid = s.len() / 2;
            if s.len().is_multiple_of(2) {
                (s[mid - 1] + s[mid]) / 2.0
            } else {
                s[mid]
            }
        }
        "std" | "var" => {
            let mean = present.iter().sum::<f64>() / n;
            let var = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            if agg == "std" { var.sqrt() } else { var }
        }
        _ => f64::NAN,
    }
}

fn binary(op: &str, a: f64, b: f64) -> f64 {
    let truth = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        "=" | "==" | "eq" => truth(a == b),
        "!=" | "≠" | "ne" => truth(a != b),
        "<" | "lt" => truth(a < b),
        ">" | "gt" => truth(a > b),
        "<=" | "≤" | "le" => truth(a <= b),
        ">=" | "≥" | "ge" => truth(a >= b),
        "%" | "mod" => a.rem_euclid(b),
        "+" | "add" => a + b,
        "-" | "sub" => a - b,
        "*" | "×" | "mul" => a * b,
        "/" | "÷" | "div" => a / b,
        "**" | "^" => a.powf(b),
        _ => f64::NAN,
    }
}

fn evaluate(
    node: &Node,
    g: f64,
    times: &[i64],
    columns: &[Vec<f64>],
    lookups: &[(String, String)],
) -> Result<Evaluated, Response> {
    match node {
        Node::Number(n) => Ok(Evaluated {
            times: times.to_vec(),
            vals: Vals::Scalar(*n),
            aggregated: false,
        }),
        Node::Metric(keys) => {
            let idx: Vec<usize> = (0..lookups.len())
                .filter(|&i| keys.contains(&lookups[i]))
                .collect();
            Ok(Evaluated {
                times: times.to_vec(),
                vals: Vals::Grid(idx.iter().map(|&i| columns[i].clone()).collect(), idx),
                aggregated: false,
            })
        }
        Node::Aggregate(agg, sub) => {
            let e = evaluate(sub, g, times, columns, lookups)?;
            let Vals::Grid(cols, _) = e.vals else {
                return Err(bad_request(json!("Cannot aggregate a number")));
            };
            let base = agg.strip_prefix("rate:").unwrap_or(agg);
            let mut col: Vec<f64> = (0..e.times.len())
                .map(|t| {
                    let row: Vec<f64> = cols.iter().map(|c| c[t]).collect();
                    reduce(base, &row)
                })
                .collect();
            let mut times = e.times;
            if agg.starts_with("rate:") {
                col = col.windows(2).map(|w| w[1] - w[0]).collect();
                times = times.into_iter().skip(1).collect();
            }
            Ok(Evaluated {
                times,
                vals: Vals::Grid(vec![col], Vec::new()),
                aggregated: true,
            })
        }
        Node::Unary(op, sub) => {
            let e = evaluate(sub, g, times, columns, lookups)?;
            let f = |v: f64| match op.as_str() {
                "abs" | "absolute" => v.abs(),
                "neg" | "negative" => -v,
                "cos" => v.cos(),
                "sin" => v.sin(),
                "tan" => v.tan(),
                "floor" => v.floor(),
                "ceil" => v.ceil(),
                _ => v,
            };
            match (op.as_str(), e.vals) {
                ("rateofchange" | "rateofchangesec", Vals::Grid(cols, idx)) => {
                    let div = if op == "rateofchangesec" { g } else { 1.0 };
                    let cols = cols
                        .iter()
                        .map(|c| c.windows(2).map(|w| (w[1] - w[0]) / div).collect())
                        .collect();
                    Ok(Evaluated {
                        times: e.times.into_iter().skip(1).collect(),
                        vals: Vals::Grid(cols, idx),
                        aggregated: e.aggregated,
                    })
                }
                (_, Vals::Grid(cols, idx)) => Ok(Evaluated {
                    times: e.times,
                    vals: Vals::Grid(
                        cols.iter()
                            .map(|c| c.iter().map(|v| f(*v)).collect())
                            .collect(),
                        idx,
                    ),
                    aggregated: e.aggregated,
                }),
                (_, Vals::Scalar(v)) => Ok(Evaluated {
                    times: e.times,
                    vals: Vals::Scalar(f(v)),
                    aggregated: e.aggregated,
                }),
            }
        }
        Node::Binary(op, a, b) => {
            let x = evaluate(a, g, times, columns, lookups)?;
            let y = evaluate(b, g, times, columns, lookups)?;
            let aggregated = x.aggregated || y.aggregated;
            match (x.vals, y.vals) {
                (Vals::Scalar(p), Vals::Scalar(q)) => Ok(Evaluated {
                    times: x.times,
                    vals: Vals::Scalar(binary(op, p, q)),
                    aggregated,
                }),
                (Vals::Grid(cols, idx), Vals::Scalar(q)) => Ok(Evaluated {
                    times: x.times,
                    vals: Vals::Grid(
                        cols.iter()
                            .map(|c| c.iter().map(|v| binary(op, *v, q)).collect())
                            .collect(),
                        idx,
                    ),
                    aggregated,
                }),
                (Vals::Scalar(p), Vals::Grid(cols, idx)) => Ok(Evaluated {
                    times: y.times,
                    vals: Vals::Grid(
                        cols.iter()
                            .map(|c| c.iter().map(|v| binary(op, p, *v)).collect())
                            .collect(),
                        idx,
                    ),
                    aggregated,
                }),
                (Vals::Grid(c1, i1), Vals::Grid(c2, _)) => {
                    if x.times != y.times
                        || (c1.len() != c2.len() && c1.len() != 1 && c2.len() != 1)
                    {
                        return Err(unaggregable(
                            json!(
                                lookups
                                    .iter()
                                    .map(|(m, a)| json!([m, a]))
                                    .collect::<Vec<_>>()
                            ),
                            "Can't compute timeseries with different granularity",
                        ));
                    }
                    let n = c1.len().max(c2.len());
                    let cols = (0..n)
                        .map(|k| {
                            let p = &c1[if c1.len() == 1 { 0 } else { k }];
                            let q = &c2[if c2.len() == 1 { 0 } else { k }];
                            p.iter().zip(q).map(|(u, v)| binary(op, *u, *v)).collect()
                        })
                        .collect();
                    Ok(Evaluated {
                        times: x.times,
                        vals: Vals::Grid(cols, i1),
                        aggregated: true,
                    })
                }
            }
        }
    }
}

fn forward_fill(col: &mut [f64]) {
    let mut last = f64::NAN;
    for v in col.iter_mut() {
        if v.is_nan() {
            *v = last;
        } else {
            last = *v;
        }
    }
}

fn backward_fill(col: &mut [f64]) {
    let mut next = f64::NAN;
    for v in col.iter_mut().rev() {
        if v.is_nan() {
            *v = next;
        } else {
            next = *v;
        }
    }
}

fn point(t: i64, g: f64, v: f64) -> Value {
    let value = if v.is_finite() { json!(v) } else { Value::Null };
    json!([gnocchi_ts(t), g, value])
}

/// `processor.get_measures` + `aggregated()`: the `measures` value.
fn get_measures(
    world: &World,
    refs: &[Ref<'_>],
    node: &Node,
    window: &Window,
    needed_overlap: Option<f64>,
    fill: Fill,
) -> Result<Value, Response> {
    // Granularities: the requested one, else those all the refs have.
    let policies: Vec<&ArchivePolicy> = refs
        .iter()
        .map(|r| world.policy(r.metric.policy).expect("policy"))
        .collect();
    let grans: Vec<f64> = match window.granularity {
        Some(g) => vec![g],
        None => {
            let mut common: Vec<f64> = Vec::new();
            for &(g, _) in &policies[0].definition {
                let g = f64::from(g);
                if policies
                    .iter()
                    .all(|p| p.definition.iter().any(|(pg, _)| f64::from(*pg) == g))
                {
                    common.push(g);
                }
            }
            if common.is_empty() {
                return Err(unaggregable(
                    json!(
                        refs.iter()
                            .map(|r| json!([r.name(), r.aggregation]))
                            .collect::<Vec<_>>()
                    ),
                    "No granularity match",
                ));
            }
            common
        }
    };
    let mut missing = Vec::new();
    for (r, p) in refs.iter().zip(&policies) {
        if !p.aggregation_methods.contains(&r.aggregation.as_str()) {
            return Err(error(
                404,
                json!({
                    "cause": "Metrics with unknown aggregation",
                    "detail": [[r.metric.id, r.aggregation]],
                }),
            ));
        }
        for &g in &grans {
            if !p.definition.iter().any(|(pg, _)| f64::from(*pg) == g) {
                missing.push(json!([r.name(), r.aggregation, g]));
                break;
            }
        }
    }
    if !missing.is_empty() {
        return Err(unaggregable(
            Value::Array(missing),
            "Granularities are missing",
        ));
    }

    let lookups: Vec<(String, String)> = refs.iter().map(|r| r.lookup.clone()).collect();
    let mut grans_desc = grans.clone();
    grans_desc.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
    let mut aggregated_out: Vec<Value> = Vec::new();
    let mut per_ref: Vec<Vec<Value>> = vec![Vec::new(); refs.len()];
    let mut is_aggregated = false;
    for g in grans_desc {
        let gu = g as u32;
        let all: Vec<Vec<(i64, f64)>> = refs
            .iter()
            .map(|r| {
                series(
                    world,
                    r.metric,
                    gu,
                    &r.aggregation,
                    window.start,
                    window.stop,
                )
            })
            .collect();
        let mut times: Vec<i64> = all.iter().flatten().map(|(t, _)| *t).collect();
        times.sort_unstable();
        times.dedup();
        let filler = match fill {
            Fill::Value(v) => v,
            _ => f64::NAN,
        };
        let mut columns: Vec<Vec<f64>> = all
            .iter()
            .map(|s| {
                let mut col = vec![filler; times.len()];
                for (t, v) in s {
                    if let Ok(i) = times.binary_search(t) {
                        col[i] = *v;
                    }
                }
                col
            })
            .collect();
        for col in columns.iter_mut() {
            match fill {
                Fill::Ffill => forward_fill(col),
                Fill::Bfill => backward_fill(col),
                Fill::FullFfill => {
                    forward_fill(col);
                    backward_fill(col);
                }
                Fill::FullBfill => {
                    backward_fill(col);
                    forward_fill(col);
                }
                _ => {}
            }
        }
        if fill == Fill::None {
            let needed = needed_overlap.unwrap_or(100.0);
            let overlap: Vec<usize> = (0..times.len())
                .filter(|&t| columns.iter().all(|c| !c[t].is_nan()))
                .collect();
            if overlap.is_empty() && needed > 0.0 {
                return Err(unaggregable(
                    json!(
                        lookups
                            .iter()
                            .map(|(m, a)| json!([m, a]))
                            .collect::<Vec<_>>()
                    ),
                    "No overlap",
                ));
            }
            if !times.is_empty() {
                let (mut lo, mut hi) = (0, times.len());
                if window.stop.is_none()
                    && let Some(&last) = overlap.last()
                {
                    hi = last + 1;
                }
                if window.start.is_none()
                    && let Some(&first) = overlap.first()
                {
                    lo = first;
                }
                times = times[lo..hi].to_vec();
                for col in columns.iter_mut() {
                    *col = col[lo..hi].to_vec();
                }
                let percent = overlap.len() as f64 * 100.0 / times.len() as f64;
                if percent < needed {
                    return Err(unaggregable(
                        json!(
                            lookups
                                .iter()
                                .map(|(m, a)| json!([m, a]))
                                .collect::<Vec<_>>()
                        ),
                        &format!(
                            "Less than {needed:.6}% of datapoints overlap in this timespan ({percent:.2}%)"
                        ),
                    ));
                }
            }
        }
        let e = evaluate(node, g, &times, &columns, &lookups)?;
        is_aggregated |= e.aggregated;
        match e.vals {
            Vals::Scalar(v) => {
                for t in &e.times {
                    aggregated_out.push(point(*t, g, v));
                }
            }
            Vals::Grid(cols, idx) => {
                if e.aggregated {
                    if let Some(col) = cols.first() {
                        for (t, v) in e.times.iter().zip(col) {
                            if fill.drops() && !v.is_finite() {
                                continue;
                            }
                            aggregated_out.push(point(*t, g, *v));
                        }
                    }
                } else {
                    for (col, &ri) in cols.iter().zip(&idx) {
                        for (t, v) in e.times.iter().zip(col) {
                            if fill.drops() && !v.is_finite() {
                                continue;
                            }
                            per_ref[ri].push(point(*t, g, *v));
                        }
                    }
                }
            }
        }
    }
    if is_aggregated {
        return Ok(json!({"aggregated": aggregated_out}));
    }
    let mut out = Map::new();
    for (r, points) in refs.iter().zip(per_ref) {
        let (outer, inner) = match &r.resource_id {
            Some(rid) => (rid.clone(), Some(r.metric.name.clone())),
            None => (r.metric.id.clone(), None),
        };
        let entry = out
            .entry(outer)
            .or_insert_with(|| Value::Object(Map::new()));
        let target = match inner {
            Some(name) => entry
                .as_object_mut()
                .expect("object")
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new())),
            None => entry,
        };
        let list = target
            .as_object_mut()
            .expect("object")
            .entry(r.aggregation.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        list.as_array_mut().expect("array").extend(points);
    }
    Ok(Value::Object(out))
}

fn parse_fill(text: &str) -> Result<Fill, Response> {
    Ok(match text {
        "null" => Fill::Null,
        "dropna" => Fill::Dropna,
        "ffill" => Fill::Ffill,
        "bfill" => Fill::Bfill,
        "full_ffill" => Fill::FullFfill,
        "full_bfill" => Fill::FullBfill,
        other => match other.parse::<f64>() {
            Ok(v) => Fill::Value(v),
            Err(_) => {
                return Err(bad_request(json!({
                    "cause": "Argument value error",
                    "detail": "fill",
                    "reason": "Must be a float, 'dropna', 'null', 'ffill', 'bfill', 'full_ffill' or 'full_bfill'",
                })));
            }
        },
    })
}

/// `Metric ['a', 'b'] does not exist` (a Python list's repr).
fn no_such_metric(names: &[(String, String)]) -> Response {
    let mut unique: Vec<String> = names.iter().map(|(m, _)| m.clone()).collect();
    unique.sort();
    unique.dedup();
    let shown: Vec<String> = unique.iter().map(|m| format!("'{m}'")).collect();
    error(
        404,
        json!(format!("Metric [{}] does not exist", shown.join(", "))),
    )
}

/// `_get_measures_by_name`: the refs of these resources' metrics matching
/// the (wildcard, aggregation) references.
fn refs_for_resources<'a>(
    world: &'a World,
    resources: &[&GResource],
    wanted: &[(String, String)],
) -> Vec<Ref<'a>> {
    let mut refs = Vec::new();
    for r in resources {
        for (wildcard, agg) in wanted {
            for (name, id) in &r.metrics {
                if glob_match(wildcard, name)
                    && let Some(m) = world.metrics.get(id)
                {
                    refs.push(Ref {
                        metric: m,
                        aggregation: agg.clone(),
                        resource_id: Some(r.id.clone()),
                        lookup: (wildcard.clone(), agg.clone()),
                    });
                }
            }
        }
    }
    refs
}

fn aggregates(world: &World, ctx: &Ctx, req: &Req) -> Response {
    let details = match req.param("details").map(parse_bool) {
        None => false,
        Some(Some(b)) => b,
        Some(None) => {
            return bad_request(json!(format!(
                "Unable to parse `details': Unrecognized value '{}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
                req.param("details").unwrap_or("")
            )));
        }
    };
    let needed_overlap = match req.param("needed_overlap") {
        None => None,
        Some(v) => match v.parse::<f64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return bad_request(json!({
                    "cause": "Argument value error",
                    "detail": "needed_overlap",
                    "reason": "Must be a number",
                }));
            }
        },
    };
    let window = match parse_window(req) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let fill = match req.param("fill") {
        Some(f) => match parse_fill(f) {
            Ok(f) => f,
            Err(r) => return r,
        },
        None if needed_overlap.is_none() => Fill::Dropna,
        None => Fill::None,
    };
    let content_type = req.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        return error(
            415,
            json!(
                "The server could not process the request because the media type is not supported."
            ),
        );
    }
    let body = match req.json_body() {
        Ok(b) => b,
        Err(e) => {
            return bad_request(json!({"cause": "Unable to decode body", "reason": e}));
        }
    };
    let Some(obj) = body.as_object() else {
        return invalid_input("expected a dictionary", &[]);
    };
    let Some(ops_value) = obj.get("operations") else {
        return invalid_input(
            "required key not provided @ data['operations']",
            &["operations"],
        );
    };
    for key in obj.keys() {
        if !["operations", "resource_type", "search"].contains(&key.as_str()) {
            return invalid_input(&format!("extra keys not allowed @ data['{key}']"), &[key]);
        }
    }
    let ops_json = match ops_value {
        Value::String(text) => match parse_sexpr(text) {
            Ok(v) => v,
            Err(e) => {
                return bad_request(json!({
                    "cause": "Invalid operations",
                    "reason": "Fail to parse the operations string",
                    "detail": e,
                }));
            }
        },
        other => other.clone(),
    };
    let node = match parse_node(&ops_json, true) {
        Ok(n) => n,
        Err(reason) => return invalid_input(&reason, &["operations"]),
    };
    let mut wanted = Vec::new();
    references(&node, &mut wanted);
    if wanted.is_empty() {
        return bad_request(json!({
            "cause": "Operations is invalid",
            "reason": "At least one 'metric' is required",
            "detail": ops_json,
        }));
    }

    if let Some(kind_value) = obj.get("resource_type") {
        let Some(kind) = kind_value.as_str() else {
            return invalid_input(
                "expected str for dictionary value @ data['resource_type']",
                &["resource_type"],
            );
        };
        if !known_type(kind) {
            return bad_request(json!({"cause": "Resource type does not exist", "detail": kind}));
        }
        let Some(search_value) = obj.get("search") else {
            return invalid_input("required key not provided @ data['search']", &["search"]);
        };
        let filter = match search_filter_from(search_value) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let resources = match search(world, ctx, kind, &filter) {
            Ok(r) => r,
            Err(r) => return r,
        };
        let mut groupby: Vec<String> = req
            .params("groupby")
            .iter()
            .map(|s| s.to_string())
            .collect();
        groupby.sort();
        groupby.dedup();
        let render = |r: &GResource| render_resource(r, kind, false, false);
        if groupby.is_empty() {
            let refs = refs_for_resources(world, &resources, &wanted);
            if refs.is_empty() {
                return no_such_metric(&wanted);
            }
            return match get_measures(world, &refs, &node, &window, needed_overlap, fill) {
                Ok(measures) => {
                    let mut body = json!({"measures": measures});
                    if details {
                        body["references"] =
                            Value::Array(resources.iter().map(|r| render(r)).collect());
                    }
                    json_response(200, &body)
                }
                Err(r) => r,
            };
        }
        // Group by attribute values (sorted by the groupby attributes).
        let mut keyed: Vec<(Vec<(String, Value)>, &GResource)> = Vec::new();
        for r in &resources {
            let item = render(r);
            let mut key = Vec::new();
            for attr in &groupby {
                match item.get(attr) {
                    Some(v) => key.push((attr.clone(), v.clone())),
                    None => {
                        return bad_request(json!(format!(
                            "Invalid pagination: `Sort key supplied is invalid: {attr}'"
                        )));
                    }
                }
            }
            keyed.push((key, r));
        }
        let key_text = |k: &[(String, Value)]| -> Vec<String> {
            k.iter()
                .map(|(_, v)| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect()
        };
        keyed.sort_by_key(|(k, _)| key_text(k));
        let mut results = Vec::new();
        let mut i = 0;
        while i < keyed.len() {
            let mut j = i;
            while j < keyed.len() && keyed[j].0 == keyed[i].0 {
                j += 1;
            }
            let members: Vec<&GResource> = keyed[i..j].iter().map(|(_, r)| *r).collect();
            let refs = refs_for_resources(world, &members, &wanted);
            if !refs.is_empty() {
                match get_measures(world, &refs, &node, &window, needed_overlap, fill) {
                    Ok(measures) => {
                        let mut inner = json!({"measures": measures});
                        if details {
                            inner["references"] =
                                Value::Array(members.iter().map(|r| render(r)).collect());
                        }
                        let group: Map<String, Value> = keyed[i].0.iter().cloned().collect();
                        results.push(json!({"group": group, "measures": inner}));
                    }
                    Err(r) => return r,
                }
            }
            i = j;
        }
        if results.is_empty() {
            return no_such_metric(&wanted);
        }
        return json_response(200, &Value::Array(results));
    }

    // References by metric id.
    let mut refs = Vec::new();
    for (id, agg) in &wanted {
        if uuid::Uuid::parse_str(id).is_err() {
            return bad_request(json!({
                "cause": "Invalid metric references",
                "reason": format!("badly formed hexadecimal UUID string: {id}"),
                "detail": wanted.iter().map(|(m, a)| json!([m, a])).collect::<Vec<_>>(),
            }));
        }
        let _ = agg;
    }
    let missing: Vec<&String> = wanted
        .iter()
        .map(|(m, _)| m)
        .filter(|m| !world.metrics.contains_key(&m.to_ascii_lowercase()))
        .collect();
    if !missing.is_empty() {
        return error(
            404,
            json!({
                "cause": "Unknown metrics",
                "reason": "Provided metrics don't exists",
                "detail": missing,
            }),
        );
    }
    for (id, agg) in &wanted {
        let m = &world.metrics[&id.to_ascii_lowercase()];
        let visible = world
            .resources
            .iter()
            .find(|r| r.id == m.resource_id)
            .is_some_and(|r| resource_visible(r, ctx));
        if !visible {
            return error(403, json!("Access was denied to this resource."));
        }
        refs.push(Ref {
            metric: m,
            aggregation: agg.clone(),
            resource_id: None,
            lookup: (id.clone(), agg.clone()),
        });
    }
    match get_measures(world, &refs, &node, &window, needed_overlap, fill) {
        Ok(measures) => {
            let mut body = json!({"measures": measures});
            if details {
                body["references"] = Value::Array(
                    refs.iter()
                        .map(|r| render_metric(world, r.metric))
                        .collect(),
                );
            }
            json_response(200, &body)
        }
        Err(r) => r,
    }
}
