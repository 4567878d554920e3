//! Fake Nova (compute API v2.1 with microversions up to
//! [`super::NOVA_MAX_MICROVERSION`]): servers, flavors, key pairs, console
//! output. Bodies follow nova's `doc/api_samples` (servers v2.47, flavors,
//! os-keypairs, os-console-output, versions); behaviour follows nova's API
//! code (`nova/api/openstack/compute/servers.py`, `common.py`, `wsgi.py`).

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::lifecycle::{self, Power};
use super::world::{Phase, Server, World, ip_string, naive_micros, uuid, zulu};
use super::{
    Ctx, NOVA_MAX_MICROVERSION, Req, Shared, json_response, regex_search, url_encode_pairs,
    webob_error,
};

type Mv = (u32, u32);

const MIN_MV: Mv = (2, 1);

fn mv_string(mv: Mv) -> String {
    format!("{}.{}", mv.0, mv.1)
}

/// `{"<fault name>": {"code", "message"}}` with the status Nova uses.
pub(crate) fn fault(status: u16, message: &str) -> Response {
    let name = match status {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    };
    json_response(
        status,
        &json!({ name: {"code": status, "message": message} }),
    )
}

fn version_v21(base: &str) -> Value {
    json!({
        "id": "v2.1",
        "links": [{"href": format!("{base}/compute/v2.1/"), "rel": "self"}],
        "status": "CURRENT",
        "version": mv_string(NOVA_MAX_MICROVERSION),
        "min_version": "2.1",
        "updated": "2013-07-23T11:33:21Z",
    })
}

fn version_v20(base: &str) -> Value {
    json!({
        "id": "v2.0",
        "links": [{"href": format!("{base}/compute/v2/"), "rel": "self"}],
        "status": "DEPRECATED",
        "version": "",
        "min_version": "",
        "updated": "2025-07-04T12:00:00Z",
    })
}

fn with_media(mut version: Value) -> Value {
    version["links"].as_array_mut().expect("links").push(json!({
        "href": "http://docs.openstack.org/",
        "rel": "describedby",
        "type": "text/html",
    }));
    version["media-types"] = json!([{
        "base": "application/json",
        "type": format!("application/vnd.openstack.compute+json;version={}",
            if version["id"] == "v2.0" { "2" } else { "2.1" }),
    }]);
    version
}

/// `GET /compute/` (the versions list), `GET /compute/v2.1[/]` and
/// `GET /compute/v2[/]` (one version): Nova serves them without auth.
pub(crate) fn version_document(req: &Req) -> Option<Response> {
    if req.method != Method::GET {
        return None;
    }
    let base = &req.base;
    match req.rest.as_str() {
        "" | "/" => Some(json_response(
            200,
            &json!({"versions": [version_v20(base), version_v21(base)]}),
        )),
        "/v2.1" | "/v2.1/" => Some(json_response(
            200,
            &json!({"version": with_media(version_v21(base))}),
        )),
        "/v2" | "/v2/" => Some(json_response(
            200,
            &json!({"version": with_media(version_v20(base))}),
        )),
        _ => None,
    }
}

/// The requested microversion (`OpenStack-API-Version: compute X` wins over
/// `X-OpenStack-Nova-API-Version: X`), or Nova's 400/406.
fn microversion(req: &Req) -> Result<Mv, Response> {
    let mut requested: Option<String> = None;
    for value in req.headers.get_all("openstack-api-version") {
        let Ok(text) = value.to_str() else { continue };
        for item in text.split(',') {
            let mut parts = item.split_whitespace();
            if parts
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case("compute"))
                && let Some(v) = parts.next()
            {
                requested = Some(v.to_string());
            }
        }
    }
    if requested.is_none() {
        requested = req
            .header("x-openstack-nova-api-version")
            .map(|v| v.trim().to_string());
    }
    let Some(text) = requested else {
        return Ok(MIN_MV);
    };
    if text.eq_ignore_ascii_case("latest") {
        return Ok(NOVA_MAX_MICROVERSION);
    }
    let parsed = text.split_once('.').and_then(|(a, b)| {
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|c| c.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'))
        };
        (valid(a) && valid(b) && a != "0").then(|| (a.parse().ok(), b.parse().ok()))
    });
    let Some((Some(major), Some(minor))) = parsed else {
        return Err(fault(
            400,
            &format!(
                "API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum."
            ),
        ));
    };
    let mv = (major, minor);
    if mv < MIN_MV || mv > NOVA_MAX_MICROVERSION {
        return Err(fault(
            406,
            &format!(
                "Version {} is not supported by the API. Minimum is {} and maximum is {}.",
                mv_string(mv),
                mv_string(MIN_MV),
                mv_string(NOVA_MAX_MICROVERSION)
            ),
        ));
    }
    Ok(mv)
}

fn add_version_headers(response: &mut Response, mv: Mv) {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("compute {}", mv_string(mv))) {
        headers.insert("openstack-api-version", v);
    }
    if let Ok(v) = HeaderValue::from_str(&mv_string(mv)) {
        headers.insert("x-openstack-nova-api-version", v);
    }
    headers.append("vary", HeaderValue::from_static("OpenStack-API-Version"));
    headers.append(
        "vary",
        HeaderValue::from_static("X-OpenStack-Nova-API-Version"),
    );
}

pub(crate) fn handle(shared: &Shared, ctx: &Ctx, req: &Req) -> Response {
    let mv = match microversion(req) {
        Ok(mv) => mv,
        Err(response) => return response,
    };
    let mut response = route(shared, ctx, req, mv);
    add_version_headers(&mut response, mv);
    response
}

fn route(shared: &Shared, ctx: &Ctx, req: &Req, mv: Mv) -> Response {
    let segments = req.segments();
    let Some((&"v2.1", mut rest)) = segments.split_first() else {
        return webob_error(404, super::webob_explanation(404), req);
    };
    // Legacy URLs carry the project id: /v2.1/{project_id}/servers.
    if let Some(first) = rest.first()
        && first.len() == 32
        && first.bytes().all(|b| b.is_ascii_hexdigit())
    {
        if *first != ctx.project_id {
            return fault(
                400,
                &format!(
                    "Malformed request URL: URL's project_id '{first}' doesn't match Context's project_id '{}'",
                    ctx.project_id
                ),
            );
        }
        rest = &rest[1..];
    }
    let m = &req.method;
    match (m, rest) {
        (&Method::GET, ["servers"]) => list_servers(shared, ctx, req, mv, false),
        (&Method::GET, ["servers", "detail"]) => list_servers(shared, ctx, req, mv, true),
        (&Method::POST, ["servers"]) => create_server(shared, ctx, req, mv),
        (&Method::GET, ["servers", id]) => show_server(shared, ctx, req, mv, id),
        (&Method::DELETE, ["servers", id]) => delete_server(shared, ctx, id),
        (&Method::POST, ["servers", id, "action"]) => server_action(shared, ctx, req, mv, id),
        (&Method::GET, ["servers", id, "metadata"]) => server_metadata(shared, ctx, id),
        (&Method::POST, ["servers", id, "metadata"]) => update_metadata(shared, ctx, req, id),
        (&Method::GET, ["flavors"]) => list_flavors(shared, req, mv, false),
        (&Method::GET, ["flavors", "detail"]) => list_flavors(shared, req, mv, true),
        (&Method::GET, ["flavors", id]) => show_flavor(shared, req, mv, id),
        (&Method::GET, ["flavors", id, "os-extra-specs"]) => {
            let world = shared.world();
            match world.flavor(id) {
                Some(f) => json_response(200, &json!({"extra_specs": f.extra_specs})),
                None => fault(404, &format!("Flavor {id} could not be found.")),
            }
        }
        (&Method::GET, ["os-keypairs"]) => list_keypairs(shared, req, mv),
        (&Method::GET, ["os-keypairs", name]) => show_keypair(shared, ctx, mv, name),
        (
            _,
            ["servers"]
            | ["servers", "detail"]
            | ["servers", _]
            | ["flavors"]
            | ["flavors", _]
            | ["os-keypairs"]
            | ["os-keypairs", _],
        ) => fault(
            405,
            "The method specified is not allowed for this resource.",
        ),
        _ => webob_error(404, super::webob_explanation(404), req),
    }
}

// ---------------------------------------------------------------------------
// Servers

fn server_links(base: &str, id: &str) -> Value {
    json!([
        {"href": format!("{base}/compute/v2.1/servers/{id}"), "rel": "self"},
        {"href": format!("{base}/compute/servers/{id}"), "rel": "bookmark"},
    ])
}

fn host_id(project_id: &str, host: &str) -> String {
    super::world::hex_digest(&format!("{project_id}{host}"), 56)
}

/// The server's addresses: fixed IPs per network (port order), each port's
/// floating IP right after its fixed one.
fn addresses(world: &World, server: &Server) -> Value {
    let mut out = Map::new();
    if matches!(server.phase, Phase::Building { .. }) {
        return Value::Object(out);
    }
    for port_id in &server.port_ids {
        let Some(port) = world.port(port_id) else {
            continue;
        };
        let name = world
            .network(&port.network_id)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let entry = out
            .entry(name)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .expect("array");
        for (_, addr) in &port.fixed_ips {
            entry.push(json!({
                "OS-EXT-IPS-MAC:mac_addr": port.mac,
                "OS-EXT-IPS:type": "fixed",
                "addr": ip_string(*addr),
                "version": 4,
            }));
        }
        for fip in world
            .floating_ips
            .iter()
            .filter(|f| f.port_id.as_deref() == Some(port_id.as_str()))
        {
            entry.push(json!({
                "OS-EXT-IPS-MAC:mac_addr": port.mac,
                "OS-EXT-IPS:type": "floating",
                "addr": ip_string(fip.address),
                "version": 4,
            }));
        }
    }
    Value::Object(out)
}

/// Nova's status, vm_state, task_state and power_state of a server.
fn states(server: &Server) -> (&'static str, &'static str, Value, u8) {
    match server.phase {
        Phase::Building { .. } => ("BUILD", "building", json!("spawning"), 0),
        Phase::Active | Phase::Gone => {
            let (status, vm_state, task, power) = lifecycle::settled_states(server);
            (status, vm_state, json!(task), power)
        }
        Phase::Deleting { .. } => {
            if server.launched_at.is_some() {
                // A stopped or shelved server keeps its status while deleting.
                let (status, vm_state, _, power) = lifecycle::settled_states(server);
                (status, vm_state, json!("deleting"), power)
            } else {
                ("BUILD", "building", json!("deleting"), 0)
            }
        }
    }
}

pub(crate) fn status_of(server: &Server) -> &'static str {
    states(server).0
}

/// A server as `GET /servers/{id}` / `/servers/detail` show it at `mv`.
fn render_server(
    world: &World,
    base: &str,
    server: &Server,
    mv: Mv,
    admin: bool,
    show: bool,
) -> Value {
    let (status, vm_state, task_state, power_state) = states(server);
    let building = matches!(server.phase, Phase::Building { .. });
    // Shelve offload clears instance.host (and so hostId) until unshelve.
    let placed = lifecycle::has_host(server);
    let flavor = world.flavor(&server.flavor_id);
    let flavor_value = if mv >= (2, 47) {
        match flavor {
            Some(f) => json!({
                "original_name": f.name,
                "vcpus": f.vcpus,
                "ram": f.ram,
                "disk": f.disk,
                "ephemeral": f.ephemeral,
                "swap": f.swap,
                "extra_specs": f.extra_specs,
            }),
            None => json!({}),
        }
    } else {
        json!({
            "id": server.flavor_id,
            "links": [{"href": format!("{base}/compute/flavors/{}", server.flavor_id), "rel": "bookmark"}],
        })
    };
    let image_value = if server.image_id.is_empty() {
        json!("")
    } else {
        json!({
            "id": server.image_id,
            "links": [{"href": format!("{base}/compute/images/{}", server.image_id), "rel": "bookmark"}],
        })
    };
    let mut body = json!({
        "id": server.id,
        "name": server.name,
        "status": status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": server.metadata,
        "hostId": if placed { host_id(&server.project_id, &server.host) } else { String::new() },
        "image": image_value,
        "flavor": flavor_value,
        "created": zulu(server.created),
        "updated": zulu(server.updated),
        "addresses": addresses(world, server),
        "accessIPv4": server.access_ipv4,
        "accessIPv6": "",
        "links": server_links(base, &server.id),
        "key_name": server.key_name,
        "progress": 0,
        "config_drive": "",
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": "nova",
        "OS-EXT-STS:power_state": power_state,
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:vm_state": vm_state,
        "OS-SRV-USG:launched_at": server.launched_at.map(naive_micros),
        "OS-SRV-USG:terminated_at": Value::Null,
        // Before 2.3 an entry has only the id.
        "os-extended-volumes:volumes_attached": world
            .volumes_of(&server.id)
            .iter()
            .map(|v| {
                let delete = v.attachment.as_ref().is_some_and(|a| a.delete_on_termination);
                if mv >= (2, 3) {
                    json!({"id": v.id, "delete_on_termination": delete})
                } else {
                    json!({"id": v.id})
                }
            })
            .collect::<Vec<Value>>(),
    });
    let obj = body.as_object_mut().expect("object");
    // views/servers.py `_get_fault`: only for ERROR (and DELETED) servers;
    // `details` (a traceback) only for admins or codes other than 500.
    if vm_state == "error"
        && let Some((code, message, created)) = &server.fault
    {
        obj.insert(
            "fault".into(),
            json!({"code": code, "created": zulu(*created), "message": message}),
        );
    }
    if !building || !server.security_groups.is_empty() {
        obj.insert(
            "security_groups".into(),
            Value::Array(
                server
                    .security_groups
                    .iter()
                    .map(|n| json!({"name": n}))
                    .collect(),
            ),
        );
    }
    if admin {
        obj.insert(
            "OS-EXT-SRV-ATTR:host".into(),
            json!(placed.then_some(&server.host)),
        );
        obj.insert(
            "OS-EXT-SRV-ATTR:hypervisor_hostname".into(),
            json!(placed.then(|| format!("{}.lab", server.host))),
        );
        obj.insert(
            "OS-EXT-SRV-ATTR:instance_name".into(),
            json!(server.instance_name()),
        );
        if mv >= (2, 3) {
            obj.insert(
                "OS-EXT-SRV-ATTR:reservation_id".into(),
                json!(format!("r-{}", &server.id[..8])),
            );
            obj.insert("OS-EXT-SRV-ATTR:launch_index".into(), json!(0));
            obj.insert("OS-EXT-SRV-ATTR:kernel_id".into(), json!(""));
            obj.insert("OS-EXT-SRV-ATTR:ramdisk_id".into(), json!(""));
            obj.insert("OS-EXT-SRV-ATTR:root_device_name".into(), json!("/dev/vda"));
            obj.insert("OS-EXT-SRV-ATTR:user_data".into(), json!(server.user_data));
        }
        if mv >= (2, 16) {
            obj.insert("host_status".into(), json!("UP"));
        }
    }
    if mv >= (2, 3) && (admin || mv >= (2, 90)) {
        obj.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(server.name));
    }
    if mv >= (2, 9) {
        obj.insert("locked".into(), json!(false));
    }
    if mv >= (2, 19) {
        obj.insert("description".into(), Value::Null);
    }
    if mv >= (2, 26) {
        obj.insert("tags".into(), json!([]));
    }
    if mv >= (2, 63) {
        obj.insert("trusted_image_certificates".into(), Value::Null);
    }
    if mv >= (2, 71) && show {
        obj.insert("server_groups".into(), json!([]));
    }
    if mv >= (2, 73) {
        obj.insert("locked_reason".into(), Value::Null);
    }
    if mv >= (2, 96) {
        obj.insert("pinned_availability_zone".into(), Value::Null);
    }
    body
}

pub(crate) fn render_server_snapshot(world: &World, base: &str, id: &str) -> Option<Value> {
    let server = world.server(id).filter(|s| s.visible())?;
    Some(render_server(
        world,
        base,
        server,
        NOVA_MAX_MICROVERSION,
        false,
        true,
    ))
}

fn parse_limit(req: &Req, max_limit: usize) -> Result<usize, Response> {
    match req.param("limit") {
        None => Ok(max_limit),
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(text.parse::<usize>().unwrap_or(usize::MAX).min(max_limit))
        }
        Some(text) => Err(fault(
            400,
            &format!(
                "Invalid input for query parameters limit. Value: {text}. '{text}' does not match '^[0-9]*$'"
            ),
        )),
    }
}

/// Nova's `_get_next_link`: the request's parameters sorted by name (one
/// value each), `marker` set to the last item.
fn next_link(req: &Req, path: &str, marker: &str) -> String {
    let mut params: Vec<(String, String)> = req.query.clone();
    params.sort();
    let mut dedup: Vec<(String, String)> = Vec::new();
    for (k, v) in params {
        if let Some(existing) = dedup.iter_mut().find(|(ek, _)| *ek == k) {
            existing.1 = v;
        } else {
            dedup.push((k, v));
        }
    }
    if let Some(existing) = dedup.iter_mut().find(|(k, _)| k == "marker") {
        existing.1 = marker.to_string();
    } else {
        dedup.push(("marker".into(), marker.to_string()));
    }
    format!(
        "{}/compute/v2.1/{path}?{}",
        req.base,
        url_encode_pairs(&dedup)
    )
}

fn list_servers(shared: &Shared, ctx: &Ctx, req: &Req, mv: Mv, detail: bool) -> Response {
    let mut world = shared.world();
    let limit = match parse_limit(req, world.nova_max_limit) {
        Ok(l) => l,
        Err(r) => return r,
    };
    // Default sort: created_at desc, id desc (creation order breaks ties).
    let mut order: Vec<usize> = (0..world.servers.len())
        .filter(|&i| world.servers[i].visible() && world.servers[i].project_id == ctx.project_id)
        .collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (&world.servers[a], &world.servers[b]);
        sb.created.cmp(&sa.created).then(sb.seq.cmp(&sa.seq))
    });
    let mut start = 0;
    if let Some(marker) = req.param("marker") {
        match order.iter().position(|&i| world.servers[i].id == marker) {
            Some(p) => start = p + 1,
            None => return fault(400, &format!("marker [{marker}] not found")),
        }
    }
    let name = req.param("name").map(str::to_string);
    let status = req.param("status").map(str::to_ascii_uppercase);
    let flavor = req.param("flavor").map(str::to_string);
    let image = req.param("image").map(str::to_string);
    let ip = req.param("ip").map(str::to_string);
    let mut page: Vec<usize> = Vec::new();
    for &i in &order[start..] {
        if page.len() >= limit {
            break;
        }
        {
            let s = &world.servers[i];
            if name.as_ref().is_some_and(|n| !regex_search(n, &s.name))
                || flavor.as_ref().is_some_and(|f| *f != s.flavor_id)
                || image.as_ref().is_some_and(|im| *im != s.image_id)
            {
                continue;
            }
            if let Some(pattern) = &ip {
                let ips: Vec<String> = s
                    .port_ids
                    .iter()
                    .filter_map(|p| world.port(p))
                    .flat_map(|p| p.fixed_ips.iter().map(|(_, a)| ip_string(*a)))
                    .collect();
                if !ips.iter().any(|a| regex_search(pattern, a)) {
                    continue;
                }
            }
        }
        if !world.observe(i) {
            continue;
        }
        if let Some(st) = &status
            && status_of(&world.servers[i]) != st
        {
            continue;
        }
        page.push(i);
    }
    let items: Vec<Value> = page
        .iter()
        .map(|&i| {
            let s = &world.servers[i];
            if detail {
                render_server(&world, &req.base, s, mv, ctx.is_admin, false)
            } else {
                json!({"id": s.id, "links": server_links(&req.base, &s.id), "name": s.name})
            }
        })
        .collect();
    let mut body = json!({ "servers": items });
    if limit > 0 && page.len() == limit {
        let last = &world.servers[*page.last().expect("page")].id;
        let path = if detail { "servers/detail" } else { "servers" };
        body["servers_links"] = json!([{"href": next_link(req, path, last), "rel": "next"}]);
    }
    json_response(200, &body)
}

fn find_visible(world: &World, ctx: &Ctx, id: &str) -> Option<usize> {
    world
        .server_idx(id)
        .filter(|&i| world.servers[i].visible() && world.servers[i].project_id == ctx.project_id)
}

fn not_found(id: &str) -> Response {
    fault(404, &format!("Instance {id} could not be found."))
}

fn show_server(shared: &Shared, ctx: &Ctx, req: &Req, mv: Mv, id: &str) -> Response {
    let mut world = shared.world();
    let Some(i) = find_visible(&world, ctx, id) else {
        return not_found(id);
    };
    if !world.observe(i) {
        return not_found(id);
    }
    let body = render_server(&world, &req.base, &world.servers[i], mv, ctx.is_admin, true);
    json_response(200, &json!({ "server": body }))
}

fn delete_server(shared: &Shared, ctx: &Ctx, id: &str) -> Response {
    let mut world = shared.world();
    let Some(i) = find_visible(&world, ctx, id) else {
        return not_found(id);
    };
    if !matches!(world.servers[i].phase, Phase::Deleting { .. }) {
        world.start_delete(i);
    }
    super::empty_response(204)
}

fn server_metadata(shared: &Shared, ctx: &Ctx, id: &str) -> Response {
    let world = shared.world();
    let Some(i) = find_visible(&world, ctx, id) else {
        return not_found(id);
    };
    json_response(200, &json!({ "metadata": world.servers[i].metadata }))
}

/// `POST /servers/{id}/metadata`: adds or overwrites the given items and
/// answers with all of them; string values of at most 255 characters.
fn update_metadata(shared: &Shared, ctx: &Ctx, req: &Req, id: &str) -> Response {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(e) => return fault(400, &format!("Malformed request body: {e}")),
    };
    let Some(items) = body.get("metadata").and_then(Value::as_object) else {
        return fault(400, "Invalid input for field/attribute metadata.");
    };
    if let Some((key, _)) = items
        .iter()
        .find(|(k, v)| k.is_empty() || k.len() > 255 || v.as_str().is_none_or(|v| v.len() > 255))
    {
        return fault(
            400,
            &format!("Invalid input for field/attribute metadata. Value: {key}"),
        );
    }
    let mut world = shared.world();
    let Some(i) = find_visible(&world, ctx, id) else {
        return not_found(id);
    };
    for (k, v) in items {
        world.servers[i].metadata.insert(k.clone(), v.clone());
    }
    json_response(200, &json!({ "metadata": world.servers[i].metadata }))
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Number(n) => n.to_string(),
    }
}

fn invalid_field(field: &str, value: &Value, message: &str) -> Response {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    };
    fault(
        400,
        &format!("Invalid input for field/attribute {field}. Value: {shown}. {message}"),
    )
}

/// Python's `base64.b64decode` without `validate`: characters outside the
/// alphabet are dropped, then the padding must be right.
fn lenient_base64(text: &str) -> bool {
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/' || *c == '=')
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(kept.as_bytes())
        .is_ok()
}

fn create_server(shared: &Shared, ctx: &Ctx, req: &Req, mv: Mv) -> Response {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(_) => return fault(400, "Malformed request body"),
    };
    let Some(server) = body.get("server").filter(|s| s.is_object()) else {
        return fault(
            400,
            &format!(
                "Invalid input for field/attribute server. Value: {}. 'server' is a required property",
                python_repr(&body)
            ),
        );
    };
    let required = |key: &str| -> Result<&Value, Response> {
        server.get(key).ok_or_else(|| {
            invalid_field("server", server, &format!("'{key}' is a required property"))
        })
    };
    let name = match required("name") {
        Ok(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 255 => s.clone(),
        Ok(other @ Value::String(_)) => {
            return invalid_field("name", other, "String does not match the pattern.");
        }
        Ok(other) => {
            return invalid_field(
                "name",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            );
        }
        Err(r) => return r,
    };
    let flavor_ref = match required("flavorRef") {
        Ok(Value::String(s)) if !s.is_empty() => s.rsplit('/').next().unwrap_or(s).to_string(),
        Ok(Value::Number(n)) => n.to_string(),
        Ok(other) => {
            return invalid_field("flavorRef", other, "String does not match the pattern.");
        }
        Err(r) => return r,
    };
    let has_bdm = server.get("block_device_mapping_v2").is_some();
    let image_ref = match server.get("imageRef") {
        Some(Value::String(s)) if s.is_empty() && has_bdm => String::new(),
        Some(Value::String(s)) => {
            let id = s.rsplit('/').next().unwrap_or(s).to_string();
            if !is_uuid(&id) {
                return invalid_field("imageRef", &json!(s), &format!("'{s}' is not a 'uuid'"));
            }
            id
        }
        Some(other) => return invalid_field("imageRef", other, "is not of type 'string'"),
        None if has_bdm => String::new(),
        None => return invalid_field("server", server, "'imageRef' is a required property"),
    };
    if let Some(user_data) = server.get("user_data") {
        match user_data {
            Value::String(s) => {
                if s.len() > 65535 {
                    return invalid_field("user_data", user_data, &format!("'{s}' is too long"));
                }
                if !lenient_base64(s) {
                    return invalid_field(
                        "user_data",
                        user_data,
                        &format!("'{s}' is not a 'base64'"),
                    );
                }
            }
            Value::Null => {}
            other => {
                return invalid_field(
                    "user_data",
                    other,
                    &format!("{} is not of type 'string'", python_repr(other)),
                );
            }
        }
    }
    let metadata = match server.get("metadata") {
        None => Map::new(),
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if k.is_empty() || k.len() > 255 {
                    return invalid_field(
                        "metadata",
                        &Value::Object(map.clone()),
                        "Additional properties are not allowed",
                    );
                }
                match v {
                    Value::String(s) if s.len() <= 255 => {}
                    other => {
                        return invalid_field(
                            k,
                            other,
                            &format!("{} is not of type 'string'", python_repr(other)),
                        );
                    }
                }
            }
            map.clone()
        }
        Some(other) => {
            return invalid_field(
                "metadata",
                other,
                &format!("{} is not of type 'object'", python_repr(other)),
            );
        }
    };
    let count = |key: &str| -> Result<Option<u32>, Response> {
        match server.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v >= 1) => {
                Ok(Some(n.as_u64().unwrap_or(1) as u32))
            }
            Some(Value::String(s)) if s.parse::<u32>().is_ok_and(|v| v >= 1) => {
                Ok(s.parse::<u32>().ok())
            }
            Some(other) => Err(invalid_field(
                key,
                other,
                &format!("{} is less than the minimum of 1", python_repr(other)),
            )),
        }
    };
    let (min_count, max_count) = match (count("min_count"), count("max_count")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let min_count = min_count.unwrap_or(1);
    let max_count = max_count.unwrap_or(min_count);
    if min_count > max_count {
        return fault(400, "min_count must be <= max_count");
    }

    let mut world = shared.world();
    world.ensure_project(&ctx.project_id);
    if world.flavor(&flavor_ref).is_none() {
        return fault(400, &format!("Flavor {flavor_ref} could not be found."));
    }
    if !image_ref.is_empty() && world.image(&image_ref).is_none() {
        return fault(400, "Can not find requested image");
    }

    // Networks.
    let networks: Vec<String> = match server.get("networks") {
        None if mv >= (2, 37) => {
            return invalid_field("server", server, "'networks' is a required property");
        }
        None => vec![world.private_network().id.clone()],
        Some(Value::String(s)) if mv >= (2, 37) && s == "auto" => {
            vec![world.private_network().id.clone()]
        }
        Some(Value::String(s)) if mv >= (2, 37) && s == "none" => Vec::new(),
        Some(Value::Array(items)) => {
            let mut ids = Vec::new();
            for item in items {
                let Some(obj) = item.as_object() else {
                    return invalid_field("networks", item, "is not of type 'object'");
                };
                if let Some(port) = obj.get("port").and_then(Value::as_str) {
                    return fault(400, &format!("Port {port} could not be found."));
                }
                let Some(uuid_value) = obj.get("uuid") else {
                    return fault(
                        400,
                        "Bad networks format: network uuid is not in proper format",
                    );
                };
                let Some(net_id) = uuid_value.as_str() else {
                    return invalid_field("uuid", uuid_value, "is not of type 'string'");
                };
                if !is_uuid(net_id) {
                    return invalid_field(
                        "uuid",
                        uuid_value,
                        &format!("'{net_id}' is not a 'uuid'"),
                    );
                }
                match world.network(net_id) {
                    Some(net) if net.shared || net.external || net.project_id == ctx.project_id => {
                        if net.external && !ctx.is_admin {
                            return fault(
                                403,
                                &format!(
                                    "It is not allowed to create an interface on external network {net_id}"
                                ),
                            );
                        }
                        ids.push(net_id.to_string());
                    }
                    _ => return fault(400, &format!("Network {net_id} could not be found.")),
                }
            }
            ids
        }
        Some(other) => {
            return invalid_field(
                "networks",
                other,
                &format!(
                    "{} is not valid under any of the given schemas",
                    python_repr(other)
                ),
            );
        }
    };

    let key_name = match server.get("key_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => {
            if !world.keypairs.iter().any(|kp| kp.name == *k) {
                return fault(400, "Invalid key_name provided.");
            }
            Some(k.clone())
        }
        Some(other) => return invalid_field("key_name", other, "is not of type 'string'"),
    };
    let security_groups: Vec<String> = match server.get("security_groups") {
        None => vec!["default".to_string()],
        Some(Value::Array(items)) => {
            let mut names = Vec::new();
            for item in items {
                let Some(name) = item.get("name").and_then(Value::as_str) else {
                    return invalid_field("security_groups", item, "'name' is a required property");
                };
                let Some(group) = world.security_group_by_name(&ctx.project_id, name) else {
                    return fault(400, &format!("Security group {name} not found."));
                };
                let group_name = group.name.clone();
                if !names.contains(&group_name) {
                    names.push(group_name);
                }
            }
            names
        }
        Some(other) => return invalid_field("security_groups", other, "is not of type 'array'"),
    };
    let user_data = server
        .get("user_data")
        .and_then(Value::as_str)
        .map(str::to_string);

    let now = chrono::Utc::now();
    let mut first_id = String::new();
    for n in 1..=max_count {
        let server_name = if max_count > 1 {
            format!("{name}-{n}")
        } else {
            name.clone()
        };
        let idx = world.add_server(
            &ctx.project_id,
            &ctx.user_id,
            &server_name,
            &flavor_ref,
            &image_ref,
            key_name.clone(),
            metadata.clone(),
            security_groups.clone(),
            &networks,
            user_data.clone(),
            now,
            None,
        );
        if world.build_polls == 0 {
            world.activate(idx, now);
        }
        if n == 1 {
            first_id = world.servers[idx].id.clone();
        }
    }
    if server.get("return_reservation_id").and_then(Value::as_bool) == Some(true) {
        return json_response(
            202,
            &json!({"reservation_id": format!("r-{}", &uuid()[..8])}),
        );
    }
    let admin_pass: String = (0..12)
        .map(|_| {
            let chars = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            chars[fastrand::usize(..chars.len())] as char
        })
        .collect();
    let disk_config = server
        .get("OS-DCF:diskConfig")
        .and_then(Value::as_str)
        .unwrap_or("MANUAL");
    let body = json!({"server": {
        "id": first_id,
        "links": server_links(&req.base, &first_id),
        "OS-DCF:diskConfig": disk_config,
        "security_groups": security_groups.iter().map(|n| json!({"name": n})).collect::<Vec<_>>(),
        "adminPass": admin_pass,
    }});
    let mut response = json_response(202, &body);
    if let Ok(v) = HeaderValue::from_str(&format!("{}/compute/v2.1/servers/{first_id}", req.base)) {
        response.headers_mut().insert("location", v);
    }
    response
}

fn server_action(shared: &Shared, ctx: &Ctx, req: &Req, mv: Mv, id: &str) -> Response {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(_) => return fault(400, "Malformed request body"),
    };
    let mut world = shared.world();
    let Some(i) = find_visible(&world, ctx, id) else {
        return not_found(id);
    };
    // wsgi.py `action_peek`: exactly one key names the action.
    let Some(action) = body
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.keys().next().cloned())
    else {
        return fault(400, "Malformed request body");
    };
    match action.as_str() {
        "os-getConsoleOutput" => {
            let args = &body["os-getConsoleOutput"];
            let length: Option<i64> = match args.get("length") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v >= -1) => n.as_i64(),
                Some(Value::String(s)) if s.parse::<i64>().is_ok_and(|v| v >= -1) => s.parse().ok(),
                Some(other) => {
                    return invalid_field(
                        "length",
                        other,
                        &format!("{} is less than the minimum of -1", python_repr(other)),
                    );
                }
            };
            let server = &world.servers[i];
            if server.launched_at.is_none() {
                return fault(409, &format!("Instance {id} is not ready"));
            }
            let text = world.console_text(server);
            let length = length.filter(|_| !shared.options.console_ignores_length);
            // nova.compute.manager._tail_log (so -1 drops the first line).
            let output = match length {
                None => text,
                Some(0) => String::new(),
                Some(n) => {
                    let lines: Vec<&str> = text.split('\n').collect();
                    let take = if n > 0 {
                        &lines[lines.len().saturating_sub(n as usize)..]
                    } else {
                        &lines[(n.unsigned_abs() as usize).min(lines.len())..]
                    };
                    take.join("\n")
                }
            };
            let cleaned: String = output
                .chars()
                .filter(|c| !matches!(*c as u32, 0..=8 | 0x0b..=0x1f))
                .collect();
            json_response(200, &json!({"output": cleaned}))
        }
        "os-stop" | "os-start" | "reboot" | "shelve" | "unshelve" => {
            let power = match power_of(&action, &body[action.as_str()], mv) {
                Ok(p) => p,
                Err(response) => return response,
            };
            match world.power(i, power) {
                Ok(()) => super::empty_response(202),
                Err(message) => fault(409, &message),
            }
        }
        other => fault(400, &format!("There is no such action: {other}")),
    }
}

/// The power action of an action body, validated as Nova's schemas do
/// (`schemas/servers.py` `reboot`, `start_server`, `stop_server`;
/// `schemas/shelve.py`): `os-stop`, `os-start` and `shelve` take any
/// value, `unshelve` from 2.77 takes `null` or an object naming
/// `availability_zone`.
fn power_of(action: &str, args: &Value, mv: Mv) -> Result<Power, Response> {
    match action {
        "os-stop" => Ok(Power::Stop),
        "os-start" => Ok(Power::Start),
        "shelve" => Ok(Power::Shelve),
        "unshelve" => match args {
            Value::Object(o) if mv >= (2, 77) && !o.contains_key("availability_zone") => {
                Err(invalid_field(
                    "unshelve",
                    args,
                    "'availability_zone' is a required property",
                ))
            }
            Value::Null | Value::Object(_) => Ok(Power::Unshelve),
            _ if mv < (2, 77) => Ok(Power::Unshelve),
            other => Err(invalid_field(
                "unshelve",
                other,
                &format!("{} is not of type 'object', 'null'", python_repr(other)),
            )),
        },
        _ => {
            let Value::Object(o) = args else {
                return Err(invalid_field(
                    "reboot",
                    args,
                    &format!("{} is not of type 'object'", python_repr(args)),
                ));
            };
            match o.get("type") {
                None => Err(invalid_field(
                    "reboot",
                    args,
                    "'type' is a required property",
                )),
                Some(Value::String(t)) if t.eq_ignore_ascii_case("soft") && is_enum(t) => {
                    Ok(Power::SoftReboot)
                }
                Some(Value::String(t)) if t.eq_ignore_ascii_case("hard") && is_enum(t) => {
                    Ok(Power::HardReboot)
                }
                Some(other) => Err(invalid_field(
                    "type",
                    other,
                    &format!(
                        "{} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
                        python_repr(other)
                    ),
                )),
            }
        }
    }
}

/// The reboot types Nova's schema lists (not `hArD`).
fn is_enum(t: &str) -> bool {
    ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"].contains(&t)
}

// ---------------------------------------------------------------------------
// Flavors

fn flavor_links(base: &str, id: &str) -> Value {
    json!([
        {"href": format!("{base}/compute/v2.1/flavors/{id}"), "rel": "self"},
        {"href": format!("{base}/compute/flavors/{id}"), "rel": "bookmark"},
    ])
}

fn render_flavor(base: &str, f: &super::world::Flavor, mv: Mv) -> Value {
    let mut body = json!({
        "OS-FLV-DISABLED:disabled": false,
        "disk": f.disk,
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral,
        "os-flavor-access:is_public": true,
        "id": f.id,
        "links": flavor_links(base, &f.id),
        "name": f.name,
        "ram": f.ram,
        "swap": if mv >= (2, 75) || f.swap > 0 { json!(f.swap) } else { json!("") },
        "vcpus": f.vcpus,
        "rxtx_factor": 1.0,
    });
    if mv >= (2, 55) {
        body["description"] = Value::Null;
    }
    if mv >= (2, 61) {
        body["extra_specs"] = json!(f.extra_specs);
    }
    body
}

fn list_flavors(shared: &Shared, req: &Req, mv: Mv, detail: bool) -> Response {
    let world = shared.world();
    let limit = match parse_limit(req, world.nova_max_limit) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let min_disk: u32 = req
        .param("minDisk")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let min_ram: u32 = req
        .param("minRam")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut flavors: Vec<&super::world::Flavor> = world
        .flavors
        .iter()
        .filter(|f| f.disk >= min_disk && f.ram >= min_ram)
        .collect();
    flavors.sort_by(|a, b| a.id.cmp(&b.id));
    let mut start = 0;
    if let Some(marker) = req.param("marker") {
        match flavors.iter().position(|f| f.id == marker) {
            Some(p) => start = p + 1,
            None => return fault(400, &format!("marker [{marker}] not found")),
        }
    }
    let page: Vec<&super::world::Flavor> = flavors[start..].iter().take(limit).copied().collect();
    let items: Vec<Value> = page
        .iter()
        .map(|f| {
            if detail {
                render_flavor(&req.base, f, mv)
            } else {
                let mut v =
                    json!({"id": f.id, "links": flavor_links(&req.base, &f.id), "name": f.name});
                if mv >= (2, 55) {
                    v["description"] = Value::Null;
                }
                v
            }
        })
        .collect();
    let mut body = json!({"flavors": items});
    if limit > 0 && page.len() == limit {
        let path = if detail { "flavors/detail" } else { "flavors" };
        body["flavors_links"] =
            json!([{"href": next_link(req, path, &page[page.len() - 1].id), "rel": "next"}]);
    }
    json_response(200, &body)
}

fn show_flavor(shared: &Shared, req: &Req, mv: Mv, id: &str) -> Response {
    let world = shared.world();
    match world.flavor(id) {
        Some(f) => json_response(200, &json!({"flavor": render_flavor(&req.base, f, mv)})),
        None => fault(404, &format!("Flavor {id} could not be found.")),
    }
}

// ---------------------------------------------------------------------------
// Key pairs (visible to every user of the fake)

fn list_keypairs(shared: &Shared, req: &Req, mv: Mv) -> Response {
    let world = shared.world();
    let limit = if mv >= (2, 35) {
        match req.param("limit") {
            Some(l) => match l.parse::<usize>() {
                Ok(v) => Some(v),
                Err(_) => {
                    return fault(
                        400,
                        &format!(
                            "Invalid input for query parameters limit. Value: {l}. '{l}' does not match '^[0-9]*$'"
                        ),
                    );
                }
            },
            None => None,
        }
    } else {
        None
    };
    let mut keypairs: Vec<&super::world::KeyPair> = world.keypairs.iter().collect();
    keypairs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut start = 0;
    if mv >= (2, 35)
        && let Some(marker) = req.param("marker")
    {
        match keypairs.iter().position(|k| k.name == marker) {
            Some(p) => start = p + 1,
            None => return fault(400, &format!("marker [{marker}] not found")),
        }
    }
    let page: Vec<&super::world::KeyPair> = keypairs[start..]
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .copied()
        .collect();
    let items: Vec<Value> = page
        .iter()
        .map(|k| {
            let mut kp = json!({
                "name": k.name,
                "public_key": k.public_key,
                "fingerprint": k.fingerprint,
            });
            if mv >= (2, 2) {
                kp["type"] = json!("ssh");
            }
            json!({"keypair": kp})
        })
        .collect();
    let mut body = json!({"keypairs": items});
    if let Some(l) = limit
        && l > 0
        && page.len() == l
    {
        body["keypairs_links"] = json!([{
            "href": next_link(req, "os-keypairs", &page[page.len() - 1].name),
            "rel": "next",
        }]);
    }
    json_response(200, &body)
}

fn show_keypair(shared: &Shared, ctx: &Ctx, mv: Mv, name: &str) -> Response {
    let world = shared.world();
    let Some(k) = world.keypairs.iter().find(|k| k.name == name) else {
        return fault(
            404,
            &format!("Keypair {name} not found for user {}", ctx.user_id),
        );
    };
    let mut kp = json!({
        "name": k.name,
        "public_key": k.public_key,
        "fingerprint": k.fingerprint,
        "user_id": ctx.user_id,
        "deleted": false,
        "created_at": naive_micros(k.created),
        "updated_at": Value::Null,
        "deleted_at": Value::Null,
        "id": k.id,
    });
    if mv >= (2, 2) {
        kp["type"] = json!("ssh");
    }
    json_response(200, &json!({"keypair": kp}))
}
