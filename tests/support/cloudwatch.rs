//! An in-process fake of CloudWatch's `GetMetricData`, speaking the wire
//! format aws-sdk-cloudwatch really uses: Smithy RPC v2 CBOR.
//!
//! Wire facts it relies on (checked against the smithy-rs generated code of
//! aws-sdk-cloudwatch 1.140 / aws-smithy-cbor 0.64, and 1.102 / 0.61, and
//! the rpcv2Cbor spec at smithy.io):
//! - request: `POST /service/GraniteServiceVersion20100801/operation/GetMetricData`,
//!   `Content-Type: application/cbor`, `Smithy-Protocol: rpc-v2-cbor`,
//!   `Accept: application/cbor`, `X-Amzn-Query-Mode: true`; the body is one
//!   CBOR map (the SDK writes indefinite-length maps) with timestamps as tag 1
//!   around an f64 of epoch seconds.
//! - response: 200, the same content type and `Smithy-Protocol` header, a CBOR
//!   map `{MetricDataResults, NextToken?, Messages}`. `Values` must be CBOR
//!   floats (the SDK's `double()` rejects integers), and aws-smithy-cbor
//!   before 0.64 accepted only a float inside a tag-1 timestamp, so every
//!   number here is written as a 64-bit float.
//! - errors: 400 with a CBOR map `{__type, message}`; the SDK takes the code
//!   from `__type` (dropping anything before `#` and after `:`), then, as
//!   CloudWatch is `awsQueryCompatible`, overrides it from an
//!   `x-amzn-query-error: Code;Sender` header. The fake sends
//!   `__type: com.amazon.coral.availability#ThrottlingException` and
//!   `x-amzn-query-error: Throttling;Sender`, so the SDK sees the code
//!   [`THROTTLING_CODE`] (`Throttling`, the code CloudWatch's query protocol
//!   always used), which the standard retry classifier retries.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use ciborium::Value;

/// The one operation the fake serves.
pub const GET_METRIC_DATA_PATH: &str =
    "/service/GraniteServiceVersion20100801/operation/GetMetricData";
/// The error code the SDK reports for the fake's throttling answers.
pub const THROTTLING_CODE: &str = "Throttling";
const THROTTLING_TYPE: &str = "com.amazon.coral.availability#ThrottlingException";
const INVALID_NEXT_TOKEN_TYPE: &str = "com.amazonaws.cloudwatch#InvalidNextToken";
const INVALID_PARAMETER_TYPE: &str = "com.amazonaws.cloudwatch#InvalidParameterValueException";
/// CloudWatch's documented cap on queries per call.
pub const MAX_QUERIES: usize = 500;
/// CloudWatch's documented cap on datapoints per answer (it pages beyond).
pub const MAX_DATAPOINTS_PER_CALL: usize = 100_800;
const TOKEN_PREFIX: &str = "hytop-fake-cw";

/// How the fake answers.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// Split answers across `NextToken` pages of at most this many datapoints
    /// (counted over all queries). The request's `MaxDatapoints` also limits
    /// a page, as does CloudWatch's 100,800.
    pub max_datapoints_per_page: Option<usize>,
    /// Instance ids that have no datapoints (their results come back empty).
    pub empty_for: Vec<String>,
    /// Answer the first N calls with a throttling error.
    pub throttle_first: usize,
    /// Answer every call with a throttling error.
    pub always_throttle: bool,
}

/// One decoded `GetMetricData` request.
#[derive(Clone, Debug, PartialEq)]
pub struct GetMetricDataCall {
    pub queries: Vec<Query>,
    /// `StartTime`, epoch seconds (NaN if missing or not a tag-1 timestamp).
    pub start: f64,
    /// `EndTime`, epoch seconds (NaN if missing or not a tag-1 timestamp).
    pub end: f64,
    pub next_token: Option<String>,
    /// `Content-Type: application/cbor` and `Smithy-Protocol: rpc-v2-cbor`.
    pub headers_ok: bool,
    pub scan_by: Option<String>,
    pub max_datapoints: Option<i64>,
}

/// One `MetricDataQuery` of a call, flattened (only `MetricStat` queries are
/// understood; anything else is recorded as a violation).
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub id: String,
    pub namespace: String,
    pub metric: String,
    /// The value of the `InstanceId` dimension.
    pub instance_id: Option<String>,
    pub period: i64,
    pub stat: String,
    /// `ReturnData` (CloudWatch's default is true).
    pub return_data: bool,
    pub label: Option<String>,
}

struct FakeState {
    behaviour: Behaviour,
    calls: Vec<GetMetricDataCall>,
    violations: Vec<String>,
}

pub struct FakeCloudWatch {
    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub url: String,
    state: Arc<Mutex<FakeState>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeCloudWatch {
    /// Serves on a free loopback port, on the calling tokio runtime, until
    /// dropped.
    pub async fn start(behaviour: Behaviour) -> FakeCloudWatch {
        let state = Arc::new(Mutex::new(FakeState {
            behaviour,
            calls: Vec::new(),
            violations: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the CloudWatch fake");
        let addr: SocketAddr = listener.local_addr().expect("local address");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("CloudWatch fake server");
        });
        FakeCloudWatch {
            url: format!("http://{addr}"),
            state,
            server,
        }
    }

    /// Every request decoded so far, in order (throttled ones included).
    pub fn calls(&self) -> Vec<GetMetricDataCall> {
        self.lock().calls.clone()
    }

    /// Every check a request failed so far; tests assert this is empty.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Replaces the behaviour for the calls still to come (the throttling
    /// count keeps counting from the first call).
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.lock().behaviour = behaviour;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeCloudWatch {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The timestamps (epoch seconds) the fake has datapoints at for a query with
/// `period` over `[start, end)`, ascending: every multiple of `period` in the
/// range.
pub fn expected_timestamps(start: f64, end: f64, period: i64) -> Vec<i64> {
    let (first, count) = datapoint_range(start, end, period);
    (0..count).map(|i| first + i as i64 * period).collect()
}

/// The value the fake reports for `metric` of `instance_id` at `timestamp`
/// (the same whatever the statistic): deterministic, CPUUtilization in
/// [0, 100) with two decimals, NetworkIn whole bytes in [0, 10^8).
pub fn expected_value(metric: &str, instance_id: &str, timestamp: i64) -> f64 {
    let h = fnv1a(format!("{metric}/{instance_id}/{timestamp}").as_bytes());
    match metric {
        "CPUUtilization" => (h % 10_000) as f64 / 100.0,
        "NetworkIn" => (h % 100_000_000) as f64,
        _ => (h % 1_000) as f64,
    }
}

fn datapoint_range(start: f64, end: f64, period: i64) -> (i64, usize) {
    if period <= 0 || !start.is_finite() || !end.is_finite() || start >= end {
        return (0, 0);
    }
    let p = period as f64;
    let first = (start / p).ceil() * p;
    if first >= end {
        return (first as i64, 0);
    }
    let count = ((end - first) / p).ceil() as usize;
    (first as i64, count)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

async fn handle(
    State(state): State<Arc<Mutex<FakeState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let n = state.calls.len() + 1;
    if method != Method::POST || uri.path() != GET_METRIC_DATA_PATH {
        state.violations.push(format!(
            "request {n}: {method} {uri} is not GetMetricData (POST {GET_METRIC_DATA_PATH})"
        ));
        return error(
            StatusCode::NOT_FOUND,
            "com.amazonaws.cloudwatch#UnknownOperationException",
            "UnknownOperation",
            "the fake serves GetMetricData only",
        );
    }

    let mut violations = Vec::new();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = header("content-type");
    let protocol = header("smithy-protocol");
    let headers_ok = content_type == Some("application/cbor") && protocol == Some("rpc-v2-cbor");
    if content_type != Some("application/cbor") {
        violations.push(format!(
            "Content-Type is {content_type:?}, not \"application/cbor\""
        ));
    }
    if protocol != Some("rpc-v2-cbor") {
        violations.push(format!(
            "Smithy-Protocol is {protocol:?}, not \"rpc-v2-cbor\""
        ));
    }
    for forbidden in ["x-amz-target", "x-amzn-target"] {
        if headers.contains_key(forbidden) {
            violations.push(format!("rpcv2Cbor requests must not carry {forbidden}"));
        }
    }

    let decoded: Result<Value, _> = ciborium::from_reader(&body[..]);
    let root = match decoded {
        Ok(Value::Map(root)) => root,
        Ok(other) => {
            violations.push(format!("body is not a CBOR map: {other:?}"));
            return reject(&mut state, n, violations);
        }
        Err(e) => {
            violations.push(format!("body is not CBOR ({} bytes): {e}", body.len()));
            return reject(&mut state, n, violations);
        }
    };

    let call = decode_call(&root, headers_ok, &mut violations);
    check_call(&call, &mut violations);
    let throttle =
        state.behaviour.always_throttle || state.calls.len() < state.behaviour.throttle_first;
    let behaviour = state.behaviour.clone();
    state.calls.push(call.clone());
    let violation_count = violations.len();
    state
        .violations
        .extend(violations.into_iter().map(|v| format!("call {n}: {v}")));

    if throttle {
        return error(
            StatusCode::BAD_REQUEST,
            THROTTLING_TYPE,
            THROTTLING_CODE,
            "Rate exceeded",
        );
    }
    if violation_count > 0 && call.queries.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            INVALID_PARAMETER_TYPE,
            "InvalidParameterValue",
            "the request failed the fake's checks; see FakeCloudWatch::violations()",
        );
    }
    match answer(&call, &behaviour) {
        Ok(body) => cbor_response(StatusCode::OK, body, None),
        Err(message) => {
            state.violations.push(format!("call {n}: {message}"));
            error(
                StatusCode::BAD_REQUEST,
                INVALID_NEXT_TOKEN_TYPE,
                "InvalidNextToken",
                &message,
            )
        }
    }
}

fn reject(state: &mut FakeState, n: usize, violations: Vec<String>) -> Response {
    state
        .violations
        .extend(violations.into_iter().map(|v| format!("request {n}: {v}")));
    error(
        StatusCode::BAD_REQUEST,
        INVALID_PARAMETER_TYPE,
        "InvalidParameterValue",
        "the request body could not be decoded",
    )
}

fn field<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

fn text_field(
    map: &[(Value, Value)],
    key: &str,
    at: &str,
    violations: &mut Vec<String>,
) -> Option<String> {
    match field(map, key) {
        None => None,
        Some(Value::Text(s)) => Some(s.clone()),
        Some(other) => {
            violations.push(format!("{at}{key} is not a text string: {other:?}"));
            None
        }
    }
}

fn int_field(
    map: &[(Value, Value)],
    key: &str,
    at: &str,
    violations: &mut Vec<String>,
) -> Option<i64> {
    match field(map, key) {
        None => None,
        Some(Value::Integer(i)) => match i64::try_from(*i) {
            Ok(i) => Some(i),
            Err(_) => {
                violations.push(format!("{at}{key} is out of range"));
                None
            }
        },
        Some(other) => {
            violations.push(format!("{at}{key} is not an integer: {other:?}"));
            None
        }
    }
}

fn timestamp_field(map: &[(Value, Value)], key: &str, violations: &mut Vec<String>) -> f64 {
    match field(map, key) {
        None => {
            violations.push(format!("{key} is missing"));
            f64::NAN
        }
        Some(Value::Tag(1, inner)) => match inner.as_ref() {
            Value::Float(f) => *f,
            Value::Integer(i) => i128::from(*i) as f64,
            other => {
                violations.push(format!("{key}: tag 1 holds {other:?}, not a number"));
                f64::NAN
            }
        },
        Some(other) => {
            violations.push(format!(
                "{key} is {other:?}, not a tag-1 epoch-seconds timestamp"
            ));
            f64::NAN
        }
    }
}

fn decode_call(
    root: &[(Value, Value)],
    headers_ok: bool,
    violations: &mut Vec<String>,
) -> GetMetricDataCall {
    let mut queries = Vec::new();
    match field(root, "MetricDataQueries") {
        None => violations.push("MetricDataQueries is missing".to_string()),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("MetricDataQueries[{i}].");
                match item {
                    Value::Map(map) => queries.push(decode_query(map, &at, violations)),
                    other => violations.push(format!("{at} is not a map: {other:?}")),
                }
            }
        }
        Some(other) => violations.push(format!("MetricDataQueries is not an array: {other:?}")),
    }
    GetMetricDataCall {
        queries,
        start: timestamp_field(root, "StartTime", violations),
        end: timestamp_field(root, "EndTime", violations),
        next_token: text_field(root, "NextToken", "", violations),
        headers_ok,
        scan_by: text_field(root, "ScanBy", "", violations),
        max_datapoints: int_field(root, "MaxDatapoints", "", violations),
    }
}

fn decode_query(map: &[(Value, Value)], at: &str, violations: &mut Vec<String>) -> Query {
    let id = text_field(map, "Id", at, violations).unwrap_or_default();
    let at = if id.is_empty() {
        at.to_string()
    } else {
        format!("query {id:?}: ")
    };
    let return_data = match field(map, "ReturnData") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            violations.push(format!("{at}ReturnData is not a bool: {other:?}"));
            true
        }
    };
    let label = text_field(map, "Label", &at, violations);
    if field(map, "Expression").is_some() {
        violations.push(format!(
            "{at}has an Expression; the fake answers MetricStat queries only"
        ));
    }
    let mut query = Query {
        id,
        namespace: String::new(),
        metric: String::new(),
        instance_id: None,
        period: 0,
        stat: String::new(),
        return_data,
        label,
    };
    let Some(stat) = field(map, "MetricStat") else {
        violations.push(format!("{at}MetricStat is missing"));
        return query;
    };
    let Value::Map(stat) = stat else {
        violations.push(format!("{at}MetricStat is not a map"));
        return query;
    };
    query.period = int_field(stat, "Period", &at, violations).unwrap_or(0);
    query.stat = text_field(stat, "Stat", &at, violations).unwrap_or_default();
    match field(stat, "Metric") {
        Some(Value::Map(metric)) => {
            query.namespace = text_field(metric, "Namespace", &at, violations).unwrap_or_default();
            query.metric = text_field(metric, "MetricName", &at, violations).unwrap_or_default();
            match field(metric, "Dimensions") {
                None => {}
                Some(Value::Array(dimensions)) => {
                    for dimension in dimensions {
                        let Value::Map(dimension) = dimension else {
                            violations.push(format!("{at}a dimension is not a map"));
                            continue;
                        };
                        let name = text_field(dimension, "Name", &at, violations);
                        let value = text_field(dimension, "Value", &at, violations);
                        if name.as_deref() == Some("InstanceId") {
                            if query.instance_id.is_some() {
                                violations.push(format!("{at}has two InstanceId dimensions"));
                            }
                            query.instance_id = value;
                        }
                    }
                }
                Some(other) => {
                    violations.push(format!("{at}Dimensions is not an array: {other:?}"))
                }
            }
        }
        Some(other) => violations.push(format!("{at}MetricStat.Metric is not a map: {other:?}")),
        None => violations.push(format!("{at}MetricStat.Metric is missing")),
    }
    query
}

fn valid_query_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z')) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_call(call: &GetMetricDataCall, violations: &mut Vec<String>) {
    if call.queries.is_empty() {
        violations.push("no MetricDataQueries".to_string());
    }
    if call.queries.len() > MAX_QUERIES {
        violations.push(format!(
            "{} queries in one call (CloudWatch allows {MAX_QUERIES})",
            call.queries.len()
        ));
    }
    // Written so that a NaN (missing) time fails too.
    if call.start.partial_cmp(&call.end) != Some(std::cmp::Ordering::Less) {
        violations.push(format!(
            "StartTime {} is not before EndTime {}",
            call.start, call.end
        ));
    }
    if let Some(scan_by) = &call.scan_by
        && scan_by != "TimestampAscending"
        && scan_by != "TimestampDescending"
    {
        violations.push(format!("ScanBy {scan_by:?} is not a ScanBy value"));
    }
    if let Some(max) = call.max_datapoints
        && max <= 0
    {
        violations.push(format!("MaxDatapoints {max} is not positive"));
    }
    let mut seen = std::collections::HashSet::new();
    for q in &call.queries {
        let at = format!("query {:?}: ", q.id);
        if !valid_query_id(&q.id) {
            violations.push(format!("{at}Id must match ^[a-z][a-zA-Z0-9_]*$"));
        }
        if !seen.insert(q.id.as_str()) {
            violations.push(format!("{at}Id is used twice"));
        }
        if q.namespace != "AWS/EC2" {
            violations.push(format!(
                "{at}namespace {:?} is not \"AWS/EC2\"",
                q.namespace
            ));
        }
        if q.metric != "CPUUtilization" && q.metric != "NetworkIn" {
            violations.push(format!(
                "{at}metric {:?} is neither CPUUtilization nor NetworkIn",
                q.metric
            ));
        }
        if q.instance_id.is_none() {
            violations.push(format!("{at}has no InstanceId dimension"));
        }
        if q.period <= 0 || q.period % 60 != 0 {
            violations.push(format!(
                "{at}Period {} is not a positive multiple of 60",
                q.period
            ));
        }
        if q.stat.is_empty() {
            violations.push(format!("{at}Stat is missing"));
        }
    }
}

/// Builds the (page of the) answer to `call`, or the message of an
/// `InvalidNextToken` error.
fn answer(call: &GetMetricDataCall, behaviour: &Behaviour) -> Result<Cbor, String> {
    let returned: Vec<&Query> = call.queries.iter().filter(|q| q.return_data).collect();
    let ranges: Vec<(i64, usize)> = returned
        .iter()
        .map(|q| {
            let empty = match &q.instance_id {
                None => true,
                Some(id) => behaviour.empty_for.contains(id),
            };
            if empty {
                (0, 0)
            } else {
                datapoint_range(call.start, call.end, q.period)
            }
        })
        .collect();
    let total: usize = ranges.iter().map(|(_, n)| n).sum();
    let mut page = MAX_DATAPOINTS_PER_CALL;
    if let Some(max) = behaviour.max_datapoints_per_page {
        page = page.min(max.max(1));
    }
    if let Some(max) = call.max_datapoints
        && max > 0
    {
        page = page.min(max as usize);
    }

    let fingerprint = fingerprint(call);
    let offset = match &call.next_token {
        None => 0,
        Some(token) => parse_token(token, fingerprint, total)?,
    };
    let stop = (offset + page).min(total);
    let ascending = call.scan_by.as_deref() == Some("TimestampAscending");

    let mut results = Vec::new();
    let mut before = 0; // datapoints of the queries before this one
    for (q, (first, count)) in returned.iter().zip(&ranges) {
        // This query's datapoints in [offset, stop), as indexes into its own
        // series in the order asked for.
        let lo = offset.saturating_sub(before).min(*count);
        let hi = stop.saturating_sub(before).min(*count);
        let mut timestamps = Vec::new();
        let mut values = Vec::new();
        for i in lo..hi {
            let k = if ascending { i } else { count - 1 - i };
            let t = first + k as i64 * q.period;
            timestamps.push(Cbor::Timestamp(t as f64));
            values.push(Cbor::Float(expected_value(
                &q.metric,
                q.instance_id.as_deref().unwrap_or_default(),
                t,
            )));
        }
        let status = if hi < *count {
            "PartialData"
        } else {
            "Complete"
        };
        results.push(Cbor::Map(vec![
            ("Id", Cbor::text(&q.id)),
            ("Label", Cbor::text(q.label.as_deref().unwrap_or(&q.metric))),
            ("Timestamps", Cbor::Array(timestamps)),
            ("Values", Cbor::Array(values)),
            ("StatusCode", Cbor::text(status)),
        ]));
        before += count;
    }
    let mut body = vec![
        ("MetricDataResults", Cbor::Array(results)),
        ("Messages", Cbor::Array(Vec::new())),
    ];
    if stop < total {
        body.push((
            "NextToken",
            Cbor::Text(format!("{TOKEN_PREFIX}:{fingerprint:016x}:{stop}")),
        ));
    }
    Ok(Cbor::Map(body))
}

/// Ties a NextToken to the request it continues: same queries, same range.
fn fingerprint(call: &GetMetricDataCall) -> u64 {
    let mut text = String::new();
    for q in &call.queries {
        let _ = write!(text, "{q:?};");
    }
    let _ = write!(
        text,
        "{}|{}|{:?}|{:?}",
        call.start.to_bits(),
        call.end.to_bits(),
        call.scan_by,
        call.max_datapoints
    );
    fnv1a(text.as_bytes())
}

fn parse_token(token: &str, fingerprint: u64, total: usize) -> Result<usize, String> {
    let mut parts = token.split(':');
    let (Some(TOKEN_PREFIX), Some(fp), Some(offset), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("NextToken {token:?} was not issued by this fake"));
    };
    if u64::from_str_radix(fp, 16).ok() != Some(fingerprint) {
        return Err(format!(
            "NextToken {token:?} belongs to a different request (queries, StartTime, EndTime, \
             ScanBy and MaxDatapoints must stay the same while paging)"
        ));
    }
    match offset.parse::<usize>() {
        Ok(offset) if offset < total => Ok(offset),
        _ => Err(format!(
            "NextToken {token:?} points past the end of the data"
        )),
    }
}

fn error(status: StatusCode, type_: &str, query_code: &str, message: &str) -> Response {
    let body = Cbor::Map(vec![
        ("__type", Cbor::text(type_)),
        ("message", Cbor::text(message)),
    ]);
    cbor_response(status, body, Some(format!("{query_code};Sender")))
}

fn cbor_response(status: StatusCode, body: Cbor, query_error: Option<String>) -> Response {
    static REQUEST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let request_id = REQUEST.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut bytes = Vec::new();
    body.encode(&mut bytes);
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/cbor")
        .header("smithy-protocol", "rpc-v2-cbor")
        .header("x-amzn-requestid", format!("fake-cloudwatch-{request_id}"));
    if let Some(query_error) = query_error {
        builder = builder.header("x-amzn-query-error", query_error);
    }
    builder.body(Body::from(bytes)).expect("a valid response")
}

/// The little CBOR the answers need, written with definite lengths and every
/// number as a 64-bit float (what the SDK's decoder expects; ciborium would
/// shrink floats to half precision, which the rpcv2Cbor spec says servers
/// should not send).
enum Cbor {
    Map(Vec<(&'static str, Cbor)>),
    Array(Vec<Cbor>),
    Text(String),
    Float(f64),
    /// Tag 1 (epoch-seconds date/time) around a float.
    Timestamp(f64),
}

impl Cbor {
    fn text(s: &str) -> Cbor {
        Cbor::Text(s.to_string())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Map(pairs) => {
                head(out, 5, pairs.len() as u64);
                for (key, value) in pairs {
                    head(out, 3, key.len() as u64);
                    out.extend_from_slice(key.as_bytes());
                    value.encode(out);
                }
            }
            Cbor::Array(items) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    item.encode(out);
                }
            }
            Cbor::Text(s) => {
                head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Cbor::Float(f) => {
                out.push(0xfb);
                out.extend_from_slice(&f.to_be_bytes());
            }
            Cbor::Timestamp(t) => {
                head(out, 6, 1);
                Cbor::Float(*t).encode(out);
            }
        }
    }
}

/// A CBOR initial byte (and argument) for `major` type with argument `n`.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= u64::from(u16::MAX) {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}
