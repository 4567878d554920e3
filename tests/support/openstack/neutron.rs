//! Fake Neutron (networking API v2.0): networks, subnets, ports, security
//! groups and their rules (read), routers (read), floating IPs (list, create, associate/disassociate,
//! delete). Bodies follow neutron-lib's `api-ref/source/v2/samples`;
//! filtering, `fields`, sorting and the emulated pagination
//! (`<collection>_links` with `next`/`previous`) follow
//! `neutron/api/api_common.py`; errors are `{"NeutronError": {"type",
//! "message", "detail"}}` with neutron-lib's exception names and messages.

use axum::http::Method;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

use super::world::{
    FloatingIp, Port, Router, SecurityGroup, World, ip_string, parse_ip, uuid, zulu,
};
use super::{Ctx, Req, Shared, json_response, parse_bool, url_encode_pairs, webob_error};

pub(crate) fn error(status: u16, kind: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"NeutronError": {"type": kind, "message": message, "detail": ""}}),
    )
}

fn version_entry(base: &str) -> Value {
    json!({
        "status": "CURRENT",
        "id": "v2.0",
        "links": [{"href": format!("{base}/network/v2.0"), "rel": "self"}],
    })
}

/// `GET /network/` (versions) without auth, like neutron's versions app.
pub(crate) fn version_document(req: &Req) -> Option<Response> {
    if req.method != Method::GET {
        return None;
    }
    match req.rest.as_str() {
        "" | "/" => Some(json_response(
            200,
            &json!({"versions": [version_entry(&req.base)]}),
        )),
        _ => None,
    }
}

/// Collections the fake serves (other methods on them answer 405).
const COLLECTIONS: [&str; 7] = [
    "networks",
    "subnets",
    "ports",
    "security-groups",
    "security-group-rules",
    "floatingips",
    "routers",
];

pub(crate) fn handle(shared: &Shared, ctx: &Ctx, req: &Req) -> Response {
    let segments: Vec<String> = req
        .segments()
        .iter()
        .map(|s| s.strip_suffix(".json").unwrap_or(s).to_string())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some((&"v2.0", rest)) = segs.split_first() else {
        return webob_error(404, super::webob_explanation(404), req);
    };
    let m = &req.method;
    let mut world = shared.world();
    world.ensure_project(&ctx.project_id);
    match (m, rest) {
        // V2Controller.index: the core resources, only at `/v2.0/`.
        (&Method::GET, []) if req.rest.ends_with('/') => {
            let resources: Vec<Value> = [
                ("network", "networks"),
                ("subnet", "subnets"),
                ("subnetpool", "subnetpools"),
                ("port", "ports"),
            ]
            .iter()
            .map(|(name, collection)| {
                json!({
                    "name": name,
                    "collection": collection,
                    "links": [{"href": format!("{}/network/v2.0/{collection}", req.base), "rel": "self"}],
                })
            })
            .collect();
            json_response(200, &json!({"resources": resources}))
        }
        (&Method::GET, ["extensions"]) => {
            let aliases = [
                ("external-net", "Neutron external network"),
                ("router", "Neutron L3 Router"),
                ("security-group", "security-group"),
                ("fip-port-details", "Floating IP Port Details Extension"),
                ("standard-attr-description", "standard-attr-description"),
                ("standard-attr-revisions", "Resource revision numbers"),
                ("standard-attr-timestamp", "Resource timestamps"),
                (
                    "standard-attr-tag",
                    "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
                ),
                ("filter-validation", "Filter parameters validation"),
                ("empty-string-filtering", "Empty String Filtering Extension"),
                ("port-security", "Port Security"),
                ("binding", "Port Binding"),
                ("network_availability_zone", "Network Availability Zone"),
                (
                    "auto-allocated-topology",
                    "Auto Allocated Topology Services",
                ),
                ("pagination", "Pagination support"),
                ("sorting", "Sorting support"),
            ];
            let items: Vec<Value> = aliases
                .iter()
                .map(|(alias, name)| {
                    json!({"alias": alias, "name": name, "description": name, "links": [], "updated": "2013-01-20T00:00:00-00:00"})
                })
                .collect();
            json_response(200, &json!({"extensions": items}))
        }
        (&Method::GET, ["networks"]) => {
            let items = visible_networks(&world, ctx)
                .into_iter()
                .map(|i| render_network(&world, i))
                .collect();
            list(req, "networks", items, &NETWORK_ATTRS)
        }
        (&Method::GET, ["networks", id]) => match visible_networks(&world, ctx)
            .into_iter()
            .find(|&i| world.networks[i].id == *id)
        {
            Some(i) => show(req, "network", render_network(&world, i)),
            None => error(
                404,
                "NetworkNotFound",
                &format!("Network {id} could not be found."),
            ),
        },
        (&Method::GET, ["subnets"]) => {
            let items = visible_subnets(&world, ctx)
                .into_iter()
                .map(|i| render_subnet(&world, i))
                .collect();
            list(req, "subnets", items, &SUBNET_ATTRS)
        }
        (&Method::GET, ["subnets", id]) => match visible_subnets(&world, ctx)
            .into_iter()
            .find(|&i| world.subnets[i].id == *id)
        {
            Some(i) => show(req, "subnet", render_subnet(&world, i)),
            None => error(
                404,
                "SubnetNotFound",
                &format!("Subnet {id} could not be found."),
            ),
        },
        (&Method::GET, ["ports"]) => {
            let items = world
                .ports
                .iter()
                .filter(|p| ctx.is_admin || p.project_id == ctx.project_id)
                .map(|p| render_port(p, ctx.is_admin))
                .collect();
            list(req, "ports", items, &PORT_ATTRS)
        }
        (&Method::GET, ["ports", id]) => match world
            .ports
            .iter()
            .find(|p| p.id == *id && (ctx.is_admin || p.project_id == ctx.project_id))
        {
            Some(p) => show(req, "port", render_port(p, ctx.is_admin)),
            None => error(
                404,
                "PortNotFound",
                &format!("Port {id} could not be found."),
            ),
        },
        (&Method::GET, ["security-groups"]) => {
            let items = world
                .security_groups
                .iter()
                .filter(|g| ctx.is_admin || g.project_id == ctx.project_id)
                .map(render_security_group)
                .collect();
            list(req, "security_groups", items, &SG_ATTRS)
        }
        (&Method::GET, ["security-groups", id]) => match world
            .security_groups
            .iter()
            .find(|g| g.id == *id && (ctx.is_admin || g.project_id == ctx.project_id))
        {
            Some(g) => show(req, "security_group", render_security_group(g)),
            None => error(
                404,
                "SecurityGroupNotFound",
                &format!("Security group {id} does not exist"),
            ),
        },
        (&Method::GET, ["security-group-rules"]) => {
            let items = world
                .security_groups
                .iter()
                .filter(|g| ctx.is_admin || g.project_id == ctx.project_id)
                .flat_map(|g| {
                    render_security_group(g)["security_group_rules"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            list(req, "security_group_rules", items, &RULE_ATTRS)
        }
        (&Method::GET, ["routers"]) => {
            let items = world
                .routers
                .iter()
                .filter(|r| ctx.is_admin || r.project_id == ctx.project_id)
                .map(|r| render_router(&world, r, ctx.is_admin))
                .collect();
            list(req, "routers", items, &ROUTER_ATTRS)
        }
        (&Method::GET, ["routers", id]) => match world
            .routers
            .iter()
            .find(|r| r.id == *id && (ctx.is_admin || r.project_id == ctx.project_id))
        {
            Some(r) => show(req, "router", render_router(&world, r, ctx.is_admin)),
            None => error(
                404,
                "RouterNotFound",
                &format!("Router {id} could not be found"),
            ),
        },
        (&Method::GET, ["floatingips"]) => {
            let items = world
                .floating_ips
                .iter()
                .filter(|f| ctx.is_admin || f.project_id == ctx.project_id)
                .map(|f| render_floating_ip(&world, f))
                .collect();
            list(req, "floatingips", items, &FIP_ATTRS)
        }
        (&Method::GET, ["floatingips", id]) => match own_fip(&world, ctx, id) {
            Some(i) => show(
                req,
                "floatingip",
                render_floating_ip(&world, &world.floating_ips[i]),
            ),
            None => fip_not_found(id),
        },
        (&Method::POST, ["floatingips"]) => create_floating_ip(&mut world, ctx, req),
        (&Method::PUT, ["floatingips", id]) => update_floating_ip(&mut world, ctx, req, id),
        (&Method::DELETE, ["floatingips", id]) => match own_fip(&world, ctx, id) {
            Some(i) => {
                world.floating_ips.remove(i);
                super::empty_response(204)
            }
            None => fip_not_found(id),
        },
        (_, [c] | [c, _]) if COLLECTIONS.contains(c) => error(
            405,
            "HTTPMethodNotAllowed",
            "The method is not allowed for this resource.",
        ),
        _ => webob_error(404, super::webob_explanation(404), req),
    }
}

fn fip_not_found(id: &str) -> Response {
    error(
        404,
        "FloatingIPNotFound",
        &format!("Floating IP {id} could not be found"),
    )
}

fn own_fip(world: &World, ctx: &Ctx, id: &str) -> Option<usize> {
    world
        .floating_ips
        .iter()
        .position(|f| f.id == id && (ctx.is_admin || f.project_id == ctx.project_id))
}

fn visible_networks(world: &World, ctx: &Ctx) -> Vec<usize> {
    (0..world.networks.len())
        .filter(|&i| {
            let n = &world.networks[i];
            ctx.is_admin || n.shared || n.external || n.project_id == ctx.project_id
        })
        .collect()
}

fn visible_subnets(world: &World, ctx: &Ctx) -> Vec<usize> {
    let nets = visible_networks(world, ctx);
    (0..world.subnets.len())
        .filter(|&i| {
            nets.iter()
                .any(|&n| world.networks[n].id == world.subnets[i].network_id)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Rendering

const NETWORK_ATTRS: [&str; 23] = [
    "admin_state_up",
    "availability_zone_hints",
    "availability_zones",
    "created_at",
    "description",
    "id",
    "ipv4_address_scope",
    "ipv6_address_scope",
    "is_default",
    "l2_adjacency",
    "mtu",
    "name",
    "port_security_enabled",
    "project_id",
    "qos_policy_id",
    "revision_number",
    "router:external",
    "shared",
    "status",
    "subnets",
    "tags",
    "tenant_id",
    "updated_at",
];

fn render_network(world: &World, i: usize) -> Value {
    let n = &world.networks[i];
    json!({
        "admin_state_up": true,
        "availability_zone_hints": [],
        "availability_zones": ["nova"],
        "created_at": zulu(n.created),
        "description": "",
        "id": n.id,
        "ipv4_address_scope": Value::Null,
        "ipv6_address_scope": Value::Null,
        "is_default": n.external,
        "l2_adjacency": true,
        "mtu": n.mtu,
        "name": n.name,
        "port_security_enabled": true,
        "project_id": n.project_id,
        "qos_policy_id": Value::Null,
        "revision_number": 2,
        "router:external": n.external,
        "shared": n.shared,
        "status": "ACTIVE",
        "subnets": n.subnets,
        "tags": [],
        "tenant_id": n.project_id,
        "updated_at": zulu(n.created),
    })
}

const SUBNET_ATTRS: [&str; 23] = [
    "allocation_pools",
    "cidr",
    "created_at",
    "description",
    "dns_nameservers",
    "enable_dhcp",
    "gateway_ip",
    "host_routes",
    "id",
    "ip_version",
    "ipv6_address_mode",
    "ipv6_ra_mode",
    "name",
    "network_id",
    "project_id",
    "revision_number",
    "router:external",
    "segment_id",
    "service_types",
    "subnetpool_id",
    "tags",
    "tenant_id",
    "updated_at",
];

fn render_subnet(world: &World, i: usize) -> Value {
    let s = &world.subnets[i];
    let external = world.network(&s.network_id).is_some_and(|n| n.external);
    json!({
        "allocation_pools": [{"start": ip_string(s.pool_start), "end": ip_string(s.pool_end)}],
        "cidr": s.cidr(),
        "created_at": zulu(s.created),
        "description": "",
        "dns_nameservers": [],
        "enable_dhcp": !external,
        "gateway_ip": ip_string(s.gateway),
        "host_routes": [],
        "id": s.id,
        "ip_version": 4,
        "ipv6_address_mode": Value::Null,
        "ipv6_ra_mode": Value::Null,
        "name": s.name,
        "network_id": s.network_id,
        "project_id": s.project_id,
        "revision_number": 0,
        "router:external": external,
        "segment_id": Value::Null,
        "service_types": [],
        "subnetpool_id": Value::Null,
        "tags": [],
        "tenant_id": s.project_id,
        "updated_at": zulu(s.created),
    })
}

const PORT_ATTRS: [&str; 25] = [
    "admin_state_up",
    "allowed_address_pairs",
    "binding:vnic_type",
    "created_at",
    "data_plane_status",
    "description",
    "device_id",
    "device_owner",
    "extra_dhcp_opts",
    "fixed_ips",
    "id",
    "ip_allocation",
    "mac_address",
    "name",
    "network_id",
    "port_security_enabled",
    "project_id",
    "propagate_uplink_status",
    "qos_network_policy_id",
    "qos_policy_id",
    "revision_number",
    "security_groups",
    "status",
    "tags",
    "tenant_id",
];

fn render_port(p: &Port, admin: bool) -> Value {
    let mut body = json!({
        "admin_state_up": true,
        "allowed_address_pairs": [],
        "binding:vnic_type": "normal",
        "created_at": zulu(p.created),
        "data_plane_status": Value::Null,
        "description": "",
        "device_id": p.device_id,
        "device_owner": p.device_owner,
        "extra_dhcp_opts": [],
        "fixed_ips": p.fixed_ips.iter().map(|(subnet, addr)| json!({"subnet_id": subnet, "ip_address": ip_string(*addr)})).collect::<Vec<_>>(),
        "id": p.id,
        "ip_allocation": "immediate",
        "mac_address": p.mac,
        "name": "",
        "network_id": p.network_id,
        "port_security_enabled": true,
        "project_id": p.project_id,
        "propagate_uplink_status": false,
        "qos_network_policy_id": Value::Null,
        "qos_policy_id": Value::Null,
        "revision_number": p.revision,
        "security_groups": p.security_groups,
        "status": if p.active { "ACTIVE" } else { "DOWN" },
        "tags": [],
        "tenant_id": p.project_id,
        "updated_at": zulu(p.updated),
    });
    if admin {
        body["binding:host_id"] = json!("compute-1");
        body["binding:profile"] = json!({});
        body["binding:vif_details"] = json!({"port_filter": true});
        body["binding:vif_type"] = json!("ovs");
    }
    body
}

const SG_ATTRS: [&str; 12] = [
    "created_at",
    "description",
    "id",
    "name",
    "project_id",
    "revision_number",
    "security_group_rules",
    "shared",
    "stateful",
    "tags",
    "tenant_id",
    "updated_at",
];

const RULE_ATTRS: [&str; 18] = [
    "belongs_to_default_sg",
    "created_at",
    "description",
    "direction",
    "ethertype",
    "id",
    "normalized_cidr",
    "port_range_max",
    "port_range_min",
    "project_id",
    "protocol",
    "remote_address_group_id",
    "remote_group_id",
    "remote_ip_prefix",
    "revision_number",
    "security_group_id",
    "tenant_id",
    "updated_at",
];

fn render_security_group(g: &SecurityGroup) -> Value {
    let rules: Vec<Value> = g
        .rules
        .iter()
        .map(|r| {
            json!({
                "belongs_to_default_sg": g.name == "default",
                "created_at": zulu(g.created),
                "description": "",
                "direction": r.direction,
                "ethertype": r.ethertype,
                "id": r.id,
                "normalized_cidr": r.remote_ip_prefix,
                "port_range_max": r.port_max,
                "port_range_min": r.port_min,
                "project_id": g.project_id,
                "protocol": r.protocol,
                "remote_address_group_id": Value::Null,
                "remote_group_id": if r.remote_self { json!(g.id) } else { Value::Null },
                "remote_ip_prefix": r.remote_ip_prefix,
                "revision_number": 0,
                "security_group_id": g.id,
                "tenant_id": g.project_id,
                "updated_at": zulu(g.created),
            })
        })
        .collect();
    json!({
        "created_at": zulu(g.created),
        "description": g.description,
        "id": g.id,
        "name": g.name,
        "project_id": g.project_id,
        "revision_number": 1,
        "security_group_rules": rules,
        "shared": false,
        "stateful": true,
        "tags": [],
        "tenant_id": g.project_id,
        "updated_at": zulu(g.created),
    })
}

const ROUTER_ATTRS: [&str; 18] = [
    "admin_state_up",
    "availability_zone_hints",
    "availability_zones",
    "created_at",
    "description",
    "distributed",
    "external_gateway_info",
    "flavor_id",
    "ha",
    "id",
    "name",
    "project_id",
    "revision_number",
    "routes",
    "status",
    "tags",
    "tenant_id",
    "updated_at",
];

/// neutron-lib `router-show-response.json`; `distributed` and `ha` are
/// admin-only attributes (neutron's router policies).
fn render_router(world: &World, r: &Router, admin: bool) -> Value {
    let gateway = match &r.gateway_network_id {
        Some(net) => {
            let subnet = world
                .network(net)
                .and_then(|n| n.subnets.first().cloned())
                .unwrap_or_default();
            json!({
                "enable_snat": true,
                "external_fixed_ips": r
                    .gateway_ip
                    .map(|a| vec![json!({"ip_address": ip_string(a), "subnet_id": subnet})])
                    .unwrap_or_default(),
                "network_id": net,
            })
        }
        None => Value::Null,
    };
    let mut body = json!({
        "admin_state_up": true,
        "availability_zone_hints": [],
        "availability_zones": ["nova"],
        "created_at": zulu(r.created),
        "description": "",
        "external_gateway_info": gateway,
        "flavor_id": Value::Null,
        "id": r.id,
        "name": r.name,
        "project_id": r.project_id,
        "revision_number": 3,
        "routes": [],
        "status": "ACTIVE",
        "tags": [],
        "tenant_id": r.project_id,
        "updated_at": zulu(r.created),
    });
    if admin {
        body["distributed"] = json!(false);
        body["ha"] = json!(false);
    }
    body
}

const FIP_ATTRS: [&str; 18] = [
    "created_at",
    "description",
    "fixed_ip_address",
    "floating_ip_address",
    "floating_network_id",
    "id",
    "port_details",
    "port_forwardings",
    "port_id",
    "project_id",
    "qos_network_policy_id",
    "qos_policy_id",
    "revision_number",
    "router_id",
    "status",
    "tags",
    "tenant_id",
    "updated_at",
];

pub(crate) fn render_floating_ip(world: &World, f: &FloatingIp) -> Value {
    let port = f.port_id.as_deref().and_then(|p| world.port(p));
    let port_details = match port {
        Some(p) => json!({
            "name": "",
            "network_id": p.network_id,
            "mac_address": p.mac,
            "admin_state_up": true,
            "status": if p.active { "ACTIVE" } else { "DOWN" },
            "device_id": p.device_id,
            "device_owner": p.device_owner,
        }),
        None => Value::Null,
    };
    json!({
        "created_at": zulu(f.created),
        "description": f.description,
        "fixed_ip_address": f.fixed_ip.map(ip_string),
        "floating_ip_address": ip_string(f.address),
        "floating_network_id": f.network_id,
        "id": f.id,
        "port_details": port_details,
        "port_forwardings": [],
        "port_id": f.port_id,
        "project_id": f.project_id,
        "qos_network_policy_id": Value::Null,
        "qos_policy_id": Value::Null,
        "revision_number": f.revision,
        "router_id": f.router_id,
        "status": if f.port_id.is_some() { "ACTIVE" } else { "DOWN" },
        "tags": [],
        "tenant_id": f.project_id,
        "updated_at": zulu(f.updated),
    })
}

impl World {
    pub fn render_all_floating_ips(&self) -> Vec<Value> {
        self.floating_ips
            .iter()
            .map(|f| render_floating_ip(self, f))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Listing: filters, fields, sorting, pagination

const RESERVED: [&str; 6] = [
    "fields",
    "limit",
    "marker",
    "page_reverse",
    "sort_key",
    "sort_dir",
];

fn matches_filter(item: &Value, key: &str, values: &[&str]) -> Result<bool, Response> {
    let Some(field) = item.get(key) else {
        return Ok(false);
    };
    for v in values {
        let hit = match field {
            Value::String(s) => s == v,
            Value::Bool(b) => match parse_bool(v) {
                Some(parsed) => parsed == *b,
                None => {
                    return Err(error(
                        400,
                        "InvalidInput",
                        &format!(
                            "Invalid input for operation: '{v}' cannot be converted to boolean."
                        ),
                    ));
                }
            },
            Value::Number(n) => n.to_string() == *v,
            Value::Null => false,
            Value::Array(items) => {
                if key == "fixed_ips" {
                    // fixed_ips=ip_address=10.0.0.3 / fixed_ips=subnet_id=…
                    let (k, want) = v.split_once('=').unwrap_or(("ip_address", v));
                    items
                        .iter()
                        .any(|fip| fip.get(k).and_then(Value::as_str) == Some(want))
                } else {
                    items.iter().any(|x| x.as_str() == Some(v))
                }
            }
            Value::Object(_) => false,
        };
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

fn list(req: &Req, collection: &str, mut items: Vec<Value>, attrs: &[&str]) -> Response {
    // Filters (values of one key OR'ed; empty values dropped, as without
    // empty-string filtering).
    let mut keys: Vec<&str> = Vec::new();
    for (k, _) in &req.query {
        if !RESERVED.contains(&k.as_str()) && !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    let invalid: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !attrs.contains(k) && *k != "fixed_ips")
        .collect();
    if !invalid.is_empty() {
        let shown: Vec<String> = invalid.iter().map(|k| format!("'{k}'")).collect();
        return error(
            400,
            "HTTPBadRequest",
            &format!("[{}] is invalid attribute for filtering", shown.join(", ")),
        );
    }
    for key in keys {
        let values: Vec<&str> = req
            .params(key)
            .into_iter()
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            match matches_filter(&item, key, &values) {
                Ok(true) => kept.push(item),
                Ok(false) => {}
                Err(response) => return response,
            }
        }
        items = kept;
    }

    // Sorting.
    let sort_keys = req.params("sort_key");
    let sort_dirs = req.params("sort_dir");
    if sort_keys.len() != sort_dirs.len() {
        return error(
            400,
            "HTTPBadRequest",
            "The number of sort_keys and sort_dirs must be same",
        );
    }
    for dir in &sort_dirs {
        if *dir != "asc" && *dir != "desc" {
            return error(
                400,
                "HTTPBadRequest",
                &format!(
                    "['{dir}'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'"
                ),
            );
        }
    }
    let limit: usize = match req.param("limit") {
        None => 0,
        Some(l) => match l.parse::<usize>() {
            Ok(v) => v,
            Err(_) => {
                return error(
                    400,
                    "BadRequest",
                    &format!(
                        "Bad limit request: Limit must be an integer 0 or greater and not '{l}'."
                    ),
                );
            }
        },
    };
    let mut sorts: Vec<(String, bool)> = sort_keys
        .iter()
        .zip(&sort_dirs)
        .map(|(k, d)| (k.to_string(), *d == "asc"))
        .collect();
    if limit > 0 && !sorts.iter().any(|(k, _)| k == "id") {
        sorts.push(("id".into(), true));
    }
    if !sorts.is_empty() {
        items.sort_by(|a, b| {
            for (key, asc) in &sorts {
                let ord = compare_json(&a[key.as_str()], &b[key.as_str()]);
                let ord = if *asc { ord } else { ord.reverse() };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }

    // Pagination (PaginationEmulatedHelper).
    let page_reverse = req
        .param("page_reverse")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let marker = req.param("marker");
    let mut links = Vec::new();
    if limit > 0 {
        let page: Vec<Value> = if items.is_empty() {
            Vec::new()
        } else {
            let start = match marker {
                Some(m) => items.iter().position(|i| i["id"] == m),
                None => Some(if page_reverse { items.len() } else { 0 }),
            };
            match start {
                None => Vec::new(),
                Some(i) if page_reverse => items[i.saturating_sub(limit)..i].to_vec(),
                Some(i) => {
                    let i = if marker.is_some() { i + 1 } else { i };
                    items[i.min(items.len())..(i + limit).min(items.len())].to_vec()
                }
            }
        };
        let link = |marker_item: Option<&Value>, reverse: bool| -> String {
            let mut params: Vec<(String, String)> = req.query.clone();
            if let Some(pos) = params.iter().position(|(k, _)| k == "marker") {
                params.remove(pos);
            }
            if !reverse && let Some(pos) = params.iter().position(|(k, _)| k == "page_reverse") {
                params.remove(pos);
            }
            if let Some(item) = marker_item {
                params.retain(|(k, _)| k != "marker");
                params.push((
                    "marker".into(),
                    item["id"].as_str().unwrap_or("").to_string(),
                ));
            }
            if reverse {
                params.retain(|(k, _)| k != "page_reverse");
                params.push(("page_reverse".into(), "True".into()));
            }
            format!(
                "{}/network/v2.0/{}?{}",
                req.base,
                collection.replace('_', "-"),
                url_encode_pairs(&params)
            )
        };
        // api_common.get_pagination_links
        if page.len() >= limit || page_reverse {
            links.push(json!({"rel": "next", "href": link(page.last(), false)}));
        }
        if page.len() >= limit || !page_reverse {
            links.push(json!({"rel": "previous", "href": link(page.first(), true)}));
        }
        items = page;
    }

    let fields = req.params("fields");
    if !fields.is_empty() {
        items = items.into_iter().map(|i| only_fields(i, &fields)).collect();
    }
    let mut body = json!({ collection: items });
    if !links.is_empty() {
        body[format!("{collection}_links")] = Value::Array(links);
    }
    json_response(200, &body)
}

fn show(req: &Req, name: &str, item: Value) -> Response {
    let fields = req.params("fields");
    let item = if fields.is_empty() {
        item
    } else {
        only_fields(item, &fields)
    };
    json_response(200, &json!({ name: item }))
}

fn only_fields(item: Value, fields: &[&str]) -> Value {
    match item {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect(),
        ),
        other => other,
    }
}

fn compare_json(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
        (Value::Null, _) => std::cmp::Ordering::Less,
        (_, Value::Null) => std::cmp::Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

// ---------------------------------------------------------------------------
// Floating IPs

fn body_object<'a>(
    body: &'a Value,
    key: &str,
) -> Result<&'a serde_json::Map<String, Value>, Response> {
    body.get(key).and_then(Value::as_object).ok_or_else(|| {
        error(
            400,
            "HTTPBadRequest",
            &format!("Unable to find '{key}' in request body"),
        )
    })
}

/// The `device_owner`s of router interfaces (neutron-lib
/// `ROUTER_INTERFACE_OWNERS`).
const ROUTER_INTERFACE_OWNERS: [&str; 3] = [
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
];

/// Checks `port_id` for association and returns (port id, its fixed IPv4,
/// the router that will route it). The router is found as neutron's
/// `l3_db.get_router_for_floatingip` does: one with a gateway on the
/// floating IP's network and an interface on the fixed IP's subnet, else
/// `ExternalGatewayForFloatingIPNotFound`.
fn association(
    world: &World,
    ctx: &Ctx,
    fip: Option<&FloatingIp>,
    fip_address: u32,
    network_id: &str,
    port_id: &str,
    fixed_ip: Option<&str>,
) -> Result<(String, u32, String), Response> {
    let Some(port) = world
        .ports
        .iter()
        .find(|p| p.id == port_id && (ctx.is_admin || p.project_id == ctx.project_id))
    else {
        return Err(error(
            404,
            "PortNotFound",
            &format!("Port {port_id} could not be found."),
        ));
    };
    let fixed = match fixed_ip {
        Some(text) => match parse_ip(text) {
            Some(a) if port.fixed_ips.iter().any(|(_, x)| *x == a) => a,
            _ => {
                return Err(error(
                    400,
                    "BadRequest",
                    &format!(
                        "Bad floatingip request: Port {port_id} does not have fixed ip {text}."
                    ),
                ));
            }
        },
        None => match port.fixed_ips.first() {
            Some((_, a)) => *a,
            None => {
                return Err(error(
                    400,
                    "BadRequest",
                    &format!(
                        "Bad floatingip request: Cannot add floating IP to port {port_id} that has no fixed IPv4 addresses."
                    ),
                ));
            }
        },
    };
    if let Some(other) = world.floating_ips.iter().find(|f| {
        f.port_id.as_deref() == Some(port_id)
            && f.fixed_ip == Some(fixed)
            && f.network_id == network_id
            && fip.is_none_or(|me| me.id != f.id)
    }) {
        let _ = other;
        return Err(error(
            409,
            "FloatingIPPortAlreadyAssociated",
            &format!(
                "Cannot associate floating IP {} ({}) with port {port_id} using fixed IP {}, as that fixed IP already has a floating IP on external network {network_id}.",
                ip_string(fip_address),
                fip.map(|f| f.id.clone()).unwrap_or_default(),
                ip_string(fixed)
            ),
        ));
    }
    let subnet = port
        .fixed_ips
        .iter()
        .find(|(_, a)| *a == fixed)
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    let router = world.routers.iter().find(|r| {
        r.gateway_network_id.as_deref() == Some(network_id)
            && world.ports.iter().any(|p| {
                p.device_id == r.id
                    && ROUTER_INTERFACE_OWNERS.contains(&p.device_owner.as_str())
                    && p.fixed_ips.iter().any(|(s, _)| *s == subnet)
            })
    });
    let Some(router) = router else {
        return Err(error(
            404,
            "ExternalGatewayForFloatingIPNotFound",
            &format!(
                "External network {network_id} is not reachable from subnet {subnet}.  Therefore, cannot associate Port {port_id} with a Floating IP."
            ),
        ));
    };
    Ok((port_id.to_string(), fixed, router.id.clone()))
}

fn create_floating_ip(world: &mut World, ctx: &Ctx, req: &Req) -> Response {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(_) => {
            return error(400, "HTTPBadRequest", "Malformed JSON in request body.");
        }
    };
    let fip = match body_object(&body, "floatingip") {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(net_value) = fip.get("floating_network_id") else {
        return error(
            400,
            "HTTPBadRequest",
            "Failed to parse request. Required attribute 'floating_network_id' not specified",
        );
    };
    let net_id = net_value.as_str().unwrap_or_default().to_string();
    if uuid::Uuid::parse_str(&net_id).is_err() {
        return error(
            400,
            "HTTPBadRequest",
            &format!(
                "Invalid input for floating_network_id. Reason: '{}' is not a valid UUID.",
                net_value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| net_value.to_string())
            ),
        );
    }
    let Some(network) = world.network(&net_id) else {
        return error(
            404,
            "NetworkNotFound",
            &format!("Network {net_id} could not be found."),
        );
    };
    if !network.external {
        return error(
            400,
            "BadRequest",
            &format!("Bad floatingip request: Network {net_id} is not a valid external network."),
        );
    }
    let Some(subnet) = network.subnets.first().and_then(|s| world.subnet(s)) else {
        return error(
            400,
            "BadRequest",
            &format!("Bad floatingip request: Network {net_id} does not contain any IPv4 subnet."),
        );
    };
    let (pool_start, pool_end, subnet_id) = (subnet.pool_start, subnet.pool_end, subnet.id.clone());
    let taken: Vec<u32> = world
        .floating_ips
        .iter()
        .filter(|f| f.network_id == net_id)
        .map(|f| f.address)
        .collect();
    let address = match fip.get("floating_ip_address").and_then(Value::as_str) {
        Some(text) => {
            let Some(a) = parse_ip(text) else {
                return error(
                    400,
                    "HTTPBadRequest",
                    &format!(
                        "Invalid input for floating_ip_address. Reason: '{text}' is not a valid IP address."
                    ),
                );
            };
            if taken.contains(&a) {
                return error(
                    409,
                    "IpAddressAlreadyAllocated",
                    &format!("IP address {text} already allocated in subnet {subnet_id}"),
                );
            }
            if a < pool_start || a > pool_end {
                return error(
                    400,
                    "InvalidIpForNetwork",
                    &format!(
                        "IP address {text} is not a valid IP for any of the subnets on the specified network."
                    ),
                );
            }
            a
        }
        None => match (pool_start..=pool_end).find(|a| !taken.contains(a)) {
            Some(a) => a,
            None => {
                return error(
                    409,
                    "IpAddressGenerationFailure",
                    &format!("No more IP addresses available on network {net_id}."),
                );
            }
        },
    };
    let mut association_result = None;
    if let Some(port_id) = fip.get("port_id").and_then(Value::as_str) {
        match association(
            world,
            ctx,
            None,
            address,
            &net_id,
            port_id,
            fip.get("fixed_ip_address").and_then(Value::as_str),
        ) {
            Ok(a) => association_result = Some(a),
            Err(r) => return r,
        }
    }
    let now = Utc::now();
    let router_id = association_result.as_ref().map(|(_, _, r)| r.clone());
    let record = FloatingIp {
        id: uuid(),
        project_id: ctx.project_id.clone(),
        address,
        network_id: net_id,
        port_id: association_result.as_ref().map(|(p, _, _)| p.clone()),
        fixed_ip: association_result.map(|(_, a, _)| a),
        router_id,
        description: fip
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        created: now,
        updated: now,
        revision: 0,
    };
    let rendered = render_floating_ip(world, &record);
    world.floating_ips.push(record);
    json_response(201, &json!({"floatingip": rendered}))
}

fn update_floating_ip(world: &mut World, ctx: &Ctx, req: &Req, id: &str) -> Response {
    let body = match req.json_body() {
        Ok(b) => b,
        Err(_) => return error(400, "HTTPBadRequest", "Malformed JSON in request body."),
    };
    let update = match body_object(&body, "floatingip") {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(i) = own_fip(world, ctx, id) else {
        return fip_not_found(id);
    };
    let now = Utc::now();
    if let Some(port_value) = update.get("port_id") {
        match port_value {
            Value::Null => {
                let f = &mut world.floating_ips[i];
                f.port_id = None;
                f.fixed_ip = None;
                f.router_id = None;
            }
            Value::String(port_id) => {
                let current = &world.floating_ips[i];
                match association(
                    world,
                    ctx,
                    Some(current),
                    current.address,
                    &current.network_id.clone(),
                    port_id,
                    update.get("fixed_ip_address").and_then(Value::as_str),
                ) {
                    Ok((port, fixed, router)) => {
                        let f = &mut world.floating_ips[i];
                        f.port_id = Some(port);
                        f.fixed_ip = Some(fixed);
                        f.router_id = Some(router);
                    }
                    Err(r) => return r,
                }
            }
            other => {
                return error(
                    400,
                    "HTTPBadRequest",
                    &format!("Invalid input for port_id. Reason: '{other}' is not a valid UUID."),
                );
            }
        }
    }
    if let Some(d) = update.get("description").and_then(Value::as_str) {
        world.floating_ips[i].description = d.to_string();
    }
    let f = &mut world.floating_ips[i];
    f.updated = now;
    f.revision += 1;
    let rendered = render_floating_ip(world, &world.floating_ips[i]);
    json_response(200, &json!({"floatingip": rendered}))
}
