//! Fake Cinder (block storage API v3) under `BASE/volume`:
//! `GET /v3[/{project_id}]/volumes[/detail]` (`limit`/`marker`, next link
//! when a page is full), `GET /v3[/{project_id}]/volumes/{id}` and
//! `DELETE /v3[/{project_id}]/volumes/{id}` (202, or 400 while attached).
//!
//! Checked against the cinder sources: bodies follow
//! `api-ref/source/v3/samples/volumes/volumes-list-detailed-response.json`
//! and `cinder/api/v3/views/volumes.py` at microversion 3.0 for a project
//! member (no `os-vol-host-attr:host`, no `migration_status`); attachments
//! as `_get_attachments` writes them; paging as `cinder/api/common.py`
//! (`osapi_max_limit`, a `next` link whenever `limit <= len(page)`, the
//! request's parameters with `marker` set to the last id, the project id in
//! the link only when the request had one); faults as `Fault` in
//! `cinder/api/openstack/wsgi.py` (`{"badRequest": {"code", "message"}}`,
//! the same names as Nova's); the project-less routes of 3.67 are routed
//! whatever the microversion, as `cinder/api/v3/router.py` does.

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use serde_json::{Value, json};

use super::nova::fault;
use super::world::{FakeVolume, World, naive_micros};
use super::{Ctx, Req, Shared, json_response, url_encode_pairs};

/// The newest block-storage microversion of the Cinder release mimicked.
pub const CINDER_MAX_MICROVERSION: &str = "3.71";

/// The statuses `DELETE` accepts without `force` (`cinder/volume/api.py`).
const DELETABLE: [&str; 5] = [
    "available",
    "error",
    "error_restoring",
    "error_extending",
    "error_managing",
];

fn version_v3(base: &str) -> Value {
    json!({
        "id": "v3.0",
        "status": "CURRENT",
        "version": CINDER_MAX_MICROVERSION,
        "min_version": "3.0",
        "updated": "2023-08-31T00:00:00Z",
        "links": [
            {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
            {"rel": "self", "href": format!("{base}/volume/v3/")}
        ],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.volume+json;version=3"
        }]
    })
}

/// `GET /volume/` (300 with the versions) and `GET /volume/v3/` (200),
/// without auth like cinder's version pipeline.
pub(crate) fn version_document(req: &Req) -> Option<Response> {
    if req.method != Method::GET {
        return None;
    }
    match req.rest.as_str() {
        "" | "/" => Some(json_response(
            300,
            &json!({"versions": [version_v3(&req.base)]}),
        )),
        "/v3" | "/v3/" => Some(json_response(
            200,
            &json!({"versions": [version_v3(&req.base)]}),
        )),
        _ => None,
    }
}

pub(crate) fn handle(shared: &Shared, ctx: &Ctx, req: &Req) -> Response {
    let mut response = route(shared, ctx, req);
    let headers = response.headers_mut();
    headers.insert(
        "openstack-api-version",
        HeaderValue::from_static("volume 3.0"),
    );
    headers.append("vary", HeaderValue::from_static("OpenStack-API-Version"));
    response
}

fn looks_like_project(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn route(shared: &Shared, ctx: &Ctx, req: &Req) -> Response {
    let segments = req.segments();
    let Some((&"v3", mut rest)) = segments.split_first() else {
        return fault(404, "The resource could not be found.");
    };
    // Every route exists with and without `/{project_id}`.
    let mut with_project = false;
    if let Some(first) = rest.first()
        && looks_like_project(first)
    {
        if *first != ctx.project_id {
            return fault(400, "Malformed request url");
        }
        with_project = true;
        rest = &rest[1..];
    }
    match (&req.method, rest) {
        (&Method::GET, ["volumes"]) => list_volumes(shared, ctx, req, with_project, false),
        (&Method::GET, ["volumes", "detail"]) => list_volumes(shared, ctx, req, with_project, true),
        (&Method::GET, ["volumes", id]) => {
            let world = shared.world();
            match find(&world, ctx, id) {
                Some(v) => json_response(
                    200,
                    &json!({"volume": render_volume(v, &req.base, with_project)}),
                ),
                None => not_found(id),
            }
        }
        (&Method::DELETE, ["volumes", id]) => delete_volume(shared, ctx, id),
        (_, ["volumes"] | ["volumes", _]) => {
            fault(405, "The method is not allowed for the requested URL.")
        }
        _ => fault(404, "The resource could not be found."),
    }
}

fn find<'w>(world: &'w World, ctx: &Ctx, id: &str) -> Option<&'w FakeVolume> {
    world
        .volumes
        .iter()
        .find(|v| v.id == id && v.project_id == ctx.project_id)
}

fn not_found(id: &str) -> Response {
    fault(404, &format!("Volume {id} could not be found."))
}

/// `.../volume/v3[/{project_id}]`, as the request was addressed.
fn prefix(base: &str, project_id: &str, with_project: bool) -> String {
    if with_project {
        format!("{base}/volume/v3/{project_id}")
    } else {
        format!("{base}/volume/v3")
    }
}

pub(crate) fn render_volume(v: &FakeVolume, base: &str, with_project: bool) -> Value {
    let attachments: Vec<Value> = v
        .attachment
        .iter()
        .map(|a| {
            json!({
                "id": v.id,
                "attachment_id": a.attachment_id,
                "volume_id": v.id,
                "server_id": a.server_id,
                "host_name": Value::Null,
                "device": a.device,
                "attached_at": naive_micros(a.attached_at),
            })
        })
        .collect();
    let href = format!(
        "{}/volumes/{}",
        prefix(base, &v.project_id, with_project),
        v.id
    );
    let bookmark = if with_project {
        format!("{base}/volume/{}/volumes/{}", v.project_id, v.id)
    } else {
        format!("{base}/volume/volumes/{}", v.id)
    };
    json!({
        "attachments": attachments,
        "availability_zone": "nova",
        "bootable": if v.bootable { "true" } else { "false" },
        "consistencygroup_id": Value::Null,
        "created_at": naive_micros(v.created),
        "description": Value::Null,
        "encrypted": false,
        "id": v.id,
        "links": [
            {"href": href, "rel": "self"},
            {"href": bookmark, "rel": "bookmark"}
        ],
        "metadata": {},
        "multiattach": false,
        "name": v.name,
        "os-vol-tenant-attr:tenant_id": v.project_id,
        "replication_status": Value::Null,
        "size": v.size,
        "snapshot_id": Value::Null,
        "source_volid": Value::Null,
        "status": v.status,
        "updated_at": v.updated.map(naive_micros),
        "user_id": v.user_id,
        "volume_type": v.volume_type,
    })
}

/// `_get_limit_param`: the default and the cap are `osapi_max_limit`.
fn parse_limit(req: &Req, max_limit: usize) -> Result<usize, Response> {
    let Some(text) = req.param("limit") else {
        return Ok(max_limit);
    };
    match text.trim().parse::<i64>() {
        Err(_) => Err(fault(400, "limit param must be an integer")),
        Ok(n) if n < 0 => Err(fault(400, "limit param must be positive")),
        Ok(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max_limit)),
    }
}

fn list_volumes(
    shared: &Shared,
    ctx: &Ctx,
    req: &Req,
    with_project: bool,
    detail: bool,
) -> Response {
    let world = shared.world();
    let limit = match parse_limit(req, world.cinder_max_limit) {
        Ok(l) => l,
        Err(r) => return r,
    };
    // Cinder's default sort: created_at desc, then id desc.
    let mut order: Vec<&FakeVolume> = world
        .volumes
        .iter()
        .filter(|v| v.project_id == ctx.project_id)
        .collect();
    order.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    let mut start = 0;
    if let Some(marker) = req.param("marker") {
        match order.iter().position(|v| v.id == marker) {
            Some(p) => start = p + 1,
            None => return not_found(marker),
        }
    }
    let page: Vec<&FakeVolume> = order[start..].iter().take(limit).copied().collect();
    let items: Vec<Value> = page
        .iter()
        .map(|v| {
            if detail {
                render_volume(v, &req.base, with_project)
            } else {
                json!({"id": v.id, "name": v.name, "links": []})
            }
        })
        .collect();
    let mut body = json!({ "volumes": items });
    if let Some(last) = page.last()
        && limit <= page.len()
    {
        let mut params: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "marker")
            .cloned()
            .collect();
        params.push(("marker".into(), last.id.clone()));
        let collection = if detail { "volumes/detail" } else { "volumes" };
        let href = format!(
            "{}/{collection}?{}",
            prefix(&req.base, &ctx.project_id, with_project),
            url_encode_pairs(&params)
        );
        body["volumes_links"] = json!([{"href": href, "rel": "next"}]);
    }
    json_response(200, &body)
}

fn delete_volume(shared: &Shared, ctx: &Ctx, id: &str) -> Response {
    let mut world = shared.world();
    let Some(volume) = find(&world, ctx, id) else {
        return not_found(id);
    };
    if volume.attachment.is_some() || !DELETABLE.contains(&volume.status.as_str()) {
        return fault(
            400,
            &format!(
                "Invalid volume: Volume status must be {} and must not be migrating, attached, \
                 belong to a group, have snapshots, awaiting a transfer, or be disassociated \
                 from snapshots after volume transfer.",
                DELETABLE.join(" or ")
            ),
        );
    }
    // The real one shows `deleting` until the backend is done; the fake's
    // backend is instant.
    world.volumes.retain(|v| v.id != id);
    super::empty_response(202)
}
