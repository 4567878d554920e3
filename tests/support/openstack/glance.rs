//! Fake Glance (image API v2): `GET /v2/images` (filters, sorting,
//! `limit`/`marker`, default page 25, `first`/`next`/`schema`) and
//! `GET /v2/images/{id}`. Bodies follow glance's
//! `api-ref/source/v2/samples/images-list-response.json`; paging follows
//! `glance/api/v2/images.py` (`next` is `/v2/images?<params>&marker=<last>`
//! when the page is full); errors are webob's ([`super::webob_error`]).

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::world::{ADMIN_PROJECT_ID, Image, zulu};
use super::{Ctx, Req, Shared, json_response, url_encode_pairs, webob_error};

/// Glance's `limit_param_default`.
pub const DEFAULT_LIMIT: usize = 25;
/// Glance's `api_limit_max`.
pub const MAX_LIMIT: usize = 1000;

/// `GET /image/` (300 Multiple Choices) and `GET /image/versions` (200),
/// without auth, like glance's version negotiation.
pub(crate) fn version_document(req: &Req) -> Option<Response> {
    if req.method != Method::GET {
        return None;
    }
    let status = match req.rest.as_str() {
        "" | "/" => 300,
        "/versions" | "/versions/" => 200,
        _ => return None,
    };
    let href = format!("{}/image/v2/", req.base);
    let mut versions =
        vec![json!({"id": "v2.17", "status": "CURRENT", "links": [{"rel": "self", "href": href}]})];
    for minor in (0..=16).rev() {
        versions.push(json!({
            "id": format!("v2.{minor}"),
            "status": "SUPPORTED",
            "links": [{"rel": "self", "href": href}],
        }));
    }
    Some(json_response(status, &json!({"versions": versions})))
}

pub(crate) fn handle(shared: &Shared, _ctx: &Ctx, req: &Req) -> Response {
    let segments = req.segments();
    match (&req.method, segments.as_slice()) {
        (&Method::GET, ["v2", "images"]) => list_images(shared, req),
        (&Method::GET, ["v2", "images", id]) => {
            let world = shared.world();
            match world.image(id) {
                Some(image) => json_response(200, &render_image(image)),
                None => webob_error(404, &format!("No image found with ID {id}"), req),
            }
        }
        (_, ["v2", "images"] | ["v2", "images", _]) => {
            webob_error(405, super::webob_explanation(405), req)
        }
        _ => webob_error(404, super::webob_explanation(404), req),
    }
}

fn render_image(i: &Image) -> Value {
    let mut body = json!({
        "status": "active",
        "name": i.name,
        "tags": [],
        "container_format": "bare",
        "created_at": zulu(i.created),
        "disk_format": i.disk_format,
        "updated_at": zulu(i.updated),
        "visibility": i.visibility,
        "self": format!("/v2/images/{}", i.id),
        "min_disk": i.min_disk,
        "protected": false,
        "id": i.id,
        "file": format!("/v2/images/{}/file", i.id),
        "checksum": i.checksum,
        "os_hash_algo": "sha512",
        "os_hash_value": i.hash,
        "os_hidden": false,
        "owner": ADMIN_PROJECT_ID,
        "size": i.size,
        "min_ram": i.min_ram,
        "schema": "/v2/schemas/image",
        "virtual_size": i.virtual_size,
        "os_distro": i.os_distro,
        "hw_disk_bus": "virtio",
    });
    // Properties are top-level keys, present only once set.
    if let Some(user) = &i.os_admin_user {
        body["os_admin_user"] = json!(user);
    }
    if let Some(text) = &i.description {
        body["description"] = json!(text);
    }
    body
}

const SORT_KEYS: [&str; 10] = [
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
    "min_disk",
    "min_ram",
];

/// A filter value: `in:a,b` or a plain value (`eq:` accepted too).
fn filter_matches(value: &Value, wanted: &str) -> bool {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => return false,
        other => other.to_string(),
    };
    if let Some(list) = wanted.strip_prefix("in:") {
        list.split(',').any(|w| w.trim_matches('"') == text)
    } else if let Some(w) = wanted.strip_prefix("eq:") {
        w == text
    } else if let Some(w) = wanted.strip_prefix("neq:") {
        w != text
    } else {
        wanted == text
    }
}

fn list_images(shared: &Shared, req: &Req) -> Response {
    let world = shared.world();
    let limit = match req.param("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<i64>() {
            Ok(v) if v < 0 => return webob_error(400, "limit param must be positive", req),
            Ok(v) => (v as usize).min(MAX_LIMIT),
            Err(_) => return webob_error(400, "limit param must be an integer", req),
        },
    };
    // Sorting: sort=key:dir,... or sort_key/sort_dir (default created_at desc, id desc).
    let mut sorts: Vec<(String, bool)> = Vec::new();
    if let Some(sort) = req.param("sort") {
        for part in sort.split(',') {
            let (key, dir) = part.split_once(':').unwrap_or((part, "desc"));
            sorts.push((key.trim().to_string(), dir.trim() == "asc"));
        }
    } else {
        let keys = req.params("sort_key");
        let dirs = req.params("sort_dir");
        for (i, key) in keys.iter().enumerate() {
            let dir = dirs.get(i).or(dirs.first()).copied().unwrap_or("desc");
            if dir != "asc" && dir != "desc" {
                return webob_error(400, &format!("Invalid sort direction: {dir}"), req);
            }
            sorts.push((key.to_string(), dir == "asc"));
        }
    }
    for (key, _) in &sorts {
        if !SORT_KEYS.contains(&key.as_str()) {
            return webob_error(
                400,
                &format!(
                    "Invalid sort key: {key}. It must be one of the following: {}.",
                    SORT_KEYS.join(", ")
                ),
                req,
            );
        }
    }
    if sorts.is_empty() {
        sorts.push(("created_at".into(), false));
    }
    if !sorts.iter().any(|(k, _)| k == "id") {
        let dir = sorts[0].1;
        sorts.push(("id".into(), dir));
    }

    let mut items: Vec<Value> = world.images.iter().map(render_image).collect();
    // glance/db/sqlalchemy/api.py: without a visibility filter, community
    // images of other projects are not listed (every image here is the
    // admin project's).
    if req.param("visibility").is_none() {
        items.retain(|i| i["visibility"] != "community");
    }
    for (key, value) in &req.query {
        match key.as_str() {
            "limit" | "marker" | "sort" | "sort_key" | "sort_dir" | "member_status" => {}
            "tag" => items.retain(|i| {
                i["tags"]
                    .as_array()
                    .is_some_and(|tags| tags.iter().any(|t| t == value.as_str()))
            }),
            "visibility" => {
                let allowed = ["public", "private", "shared", "community", "all"];
                if !allowed.contains(&value.as_str()) {
                    return webob_error(400, &format!("Invalid visibility value: {value}"), req);
                }
                if value != "all" {
                    items.retain(|i| i["visibility"] == value.as_str());
                }
            }
            "size_min" | "size_max" => {
                let Ok(bound) = value.parse::<u64>() else {
                    return webob_error(400, &format!("Invalid value for {key}: {value}"), req);
                };
                items.retain(|i| {
                    let size = i["size"].as_u64().unwrap_or(0);
                    if key == "size_min" {
                        size >= bound
                    } else {
                        size <= bound
                    }
                });
            }
            _ => items.retain(|i| filter_matches(&i[key.as_str()], value)),
        }
    }
    items.sort_by(|a, b| {
        for (key, asc) in &sorts {
            let (x, y) = (&a[key.as_str()], &b[key.as_str()]);
            let ord = match (x.as_u64(), y.as_u64()) {
                (Some(p), Some(q)) => p.cmp(&q),
                _ => x.as_str().unwrap_or("").cmp(y.as_str().unwrap_or("")),
            };
            let ord = if *asc { ord } else { ord.reverse() };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
    let mut start = 0;
    if let Some(marker) = req.param("marker") {
        match items.iter().position(|i| i["id"] == marker) {
            Some(p) => start = p + 1,
            None => return webob_error(400, &format!("No image found with ID {marker}"), req),
        }
    }
    let page: Vec<Value> = items[start..].iter().take(limit).cloned().collect();

    let mut params: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    // dict(request.params): one value per key (the last).
    let mut dedup: Vec<(String, String)> = Vec::new();
    for (k, v) in params.drain(..) {
        if let Some(e) = dedup.iter_mut().find(|(ek, _)| *ek == k) {
            e.1 = v;
        } else {
            dedup.push((k, v));
        }
    }
    let mut body = json!({
        "images": page,
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    });
    if !dedup.is_empty() {
        body["first"] = json!(format!("/v2/images?{}", url_encode_pairs(&dedup)));
    }
    if !page.is_empty() && page.len() == limit {
        let last = page[page.len() - 1]["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        dedup.push(("marker".into(), last));
        body["next"] = json!(format!("/v2/images?{}", url_encode_pairs(&dedup)));
    }
    json_response(200, &body)
}
