//! What Nova, Neutron and Glance can tell the doctor about a server
//! ([`crate::cloud::Provider::facts`]): its task and fault, the ingress
//! rules of its ports' security groups, whether its networks are routed to
//! the outside, its key pair and its image.
//!
//! The mappings from the services' JSON are pure functions over the
//! answers ([`status_facts`], [`security_groups`], [`image_facts`], ...),
//! so every shape the api-refs document is tested without a cloud.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::OpenStackProvider;
use super::session::{Call, Service, Session};
use crate::cloud::facts::{
    FactKind, Facts, ImageFacts, IngressRule, KeyPairFacts, NetworkFacts, Protocol, SecurityGroup,
    Source, StatusFacts,
};
use crate::cloud::{CloudError, CloudResult};
use crate::domain::model::Instance;

/// The `device_owner`s of a router's ports on a tenant network: a legacy
/// router's, a DVR router's and an HA router's
/// (`neutron_lib.constants.ROUTER_INTERFACE_OWNERS`).
pub const ROUTER_INTERFACE_OWNERS: [&str; 3] = [
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
];

/// What `instance.image` holds for a server booted from a volume
/// ([`super::to_instance`]): there is no image to ask Glance about.
const BOOTED_FROM_VOLUME: &str = "(volume)";

pub(super) async fn facts(
    provider: &OpenStackProvider,
    instance: &Instance,
    kind: FactKind,
) -> CloudResult<Facts> {
    let session = &provider.session;
    let id = instance.id.as_str();
    let facts = match kind {
        FactKind::Status => {
            let mv = provider.microversion().await?;
            let call =
                super::nova::versioned(Call::get(Service::Compute, format!("/servers/{id}")), mv);
            let body: Value = session
                .json(&call)
                .await
                .map_err(|e| context(e, &format!("server {id}")))?;
            Facts::Status(status_facts(body.get("server").unwrap_or(&Value::Null)))
        }
        FactKind::SecurityGroups => Facts::SecurityGroups(groups_of(session, id).await?),
        FactKind::Network => Facts::Network(network_of(provider, id).await?),
        FactKind::KeyPair => {
            let Some(name) = instance.key_name.as_deref().filter(|k| !k.is_empty()) else {
                return Ok(Facts::KeyPair(None));
            };
            let mv = provider.microversion().await?;
            let call = super::nova::versioned(
                Call::get(
                    Service::Compute,
                    format!("/os-keypairs/{}", path_segment(name)),
                ),
                mv,
            );
            match session.json::<Value>(&call).await {
                Ok(body) => Facts::KeyPair(keypair_facts(&body)),
                // Key pairs belong to a user: a teammate's key, or a
                // deleted one, is simply not there for us.
                Err(e) if is_not_found(&e) => Facts::KeyPair(None),
                Err(e) => return Err(context(e, &format!("key pair \"{name}\""))),
            }
        }
        FactKind::Image => {
            let image = instance.image.as_str();
            if image.is_empty() || image == BOOTED_FROM_VOLUME {
                return Ok(Facts::Image(None));
            }
            let call = Call::get(Service::Image, format!("/images/{}", path_segment(image)));
            match session.json::<Value>(&call).await {
                Ok(body) => Facts::Image(Some(image_facts(image, &body))),
                Err(e) if is_not_found(&e) => Facts::Image(None),
                Err(e) => return Err(context(e, &format!("image {image}"))),
            }
        }
    };
    Ok(facts)
}

fn is_not_found(e: &CloudError) -> bool {
    e.code
        .as_deref()
        .is_some_and(|c| c == "404" || c.starts_with("404 "))
}

/// The error with what was being asked in front, so a bare `404` or
/// `BadResponse` says which lookup it was.
fn context(e: CloudError, what: &str) -> CloudError {
    CloudError {
        message: format!("{what}: {}", e.message),
        ..e
    }
}

/// A name put into a URL path: key pair names may hold spaces (Nova allows
/// `[a-zA-Z0-9 ._@-]`), and nothing may end the path early.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A Neutron collection, every page, as raw JSON: the facts read a few
/// fields of documents hytop otherwise ignores.
async fn neutron_list(
    session: &Session,
    path: &str,
    collection: &str,
    filters: &[(&str, &str)],
) -> CloudResult<Vec<Value>> {
    super::neutron::list(session, path, collection, filters).await
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// -- status ------------------------------------------------------------------

/// Task state and fault of a Nova `server` document. Nova shows `fault`
/// only for ERROR (and DELETED) servers.
pub fn status_facts(server: &Value) -> StatusFacts {
    let fault = server.get("fault").and_then(|f| {
        let message = text(f, "message")?;
        Some(match f.get("code") {
            Some(Value::Number(n)) => format!("{message} ({n})"),
            Some(Value::String(c)) if !c.is_empty() => format!("{message} ({c})"),
            _ => message,
        })
    });
    StatusFacts {
        system: None,
        instance: None,
        task_state: text(server, "OS-EXT-STS:task_state"),
        fault,
    }
}

// -- security groups ---------------------------------------------------------

/// A Neutron rule's protocol: a name or an IANA number, as the user wrote
/// it (Neutron keeps `"6"` as `"6"`); `null` (and `any`) is every protocol.
pub fn protocol(value: &Value) -> Option<Protocol> {
    let word = match value {
        Value::Null => return None,
        Value::String(s) => s.trim().to_ascii_lowercase(),
        other => other.to_string(),
    };
    Some(match word.as_str() {
        "" | "any" => return None,
        "tcp" | "6" => Protocol::Tcp,
        "udp" | "17" => Protocol::Udp,
        // ICMPv6 is ICMP for the doctor: neither carries a port.
        "icmp" | "1" | "ipv6-icmp" | "icmpv6" | "58" => Protocol::Icmp,
        _ => Protocol::Other(word),
    })
}

fn port_number(value: Option<&Value>) -> Option<u16> {
    value
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
}

/// One Neutron `security_group_rule` as the doctor judges it; `None` for
/// an egress rule.
pub fn ingress_rule(rule: &Value) -> Option<IngressRule> {
    if rule.get("direction").and_then(Value::as_str) != Some("ingress") {
        return None;
    }
    let protocol = protocol(rule.get("protocol").unwrap_or(&Value::Null));
    let ports = match &protocol {
        // For ICMP the "range" is the ICMP type and code, not ports.
        Some(Protocol::Icmp) => None,
        _ => {
            let lo = port_number(rule.get("port_range_min"));
            let hi = port_number(rule.get("port_range_max"));
            match (lo, hi) {
                (None, None) => None,
                // Neutron fills a missing bound with the other one.
                (lo, hi) => {
                    let (lo, hi) = (lo.or(hi).unwrap_or(0), hi.or(lo).unwrap_or(u16::MAX));
                    Some((lo.min(hi), lo.max(hi)))
                }
            }
        }
    };
    let source = if let Some(prefix) = text(rule, "remote_ip_prefix") {
        Source::Cidr(prefix)
    } else if let Some(group) = text(rule, "remote_group_id") {
        Source::Group(group)
    } else if let Some(set) = text(rule, "remote_address_group_id") {
        // An address group is Neutron's named set of prefixes, what EC2
        // calls a managed prefix list: neither "anywhere" nor one prefix.
        Source::PrefixList(set)
    } else {
        Source::Anywhere(text(rule, "ethertype").unwrap_or_else(|| "IPv4".into()))
    };
    Some(IngressRule {
        protocol,
        ports,
        source,
        rule_id: text(rule, "id"),
    })
}

/// The groups `ids` (in that order) with their ingress rules, from the
/// `security_groups` and `security_group_rules` Neutron listed. A group
/// Neutron did not show keeps its id as its name.
pub fn security_groups(ids: &[String], groups: &[Value], rules: &[Value]) -> Vec<SecurityGroup> {
    ids.iter()
        .map(|id| {
            let name = groups
                .iter()
                .find(|g| g.get("id").and_then(Value::as_str) == Some(id))
                .and_then(|g| text(g, "name"))
                .unwrap_or_else(|| id.clone());
            let ingress = rules
                .iter()
                .filter(|r| r.get("security_group_id").and_then(Value::as_str) == Some(id))
                .filter_map(ingress_rule)
                .collect();
            SecurityGroup {
                id: id.clone(),
                name,
                ingress,
            }
        })
        .collect()
}

/// A port with port security off filters nothing: it stands for a group
/// whose one rule admits everything, so the doctor does not call the
/// server closed for being in no group.
pub fn unfiltered_port(port_id: &str) -> SecurityGroup {
    SecurityGroup {
        id: port_id.to_string(),
        name: format!("port {port_id} (port security off)"),
        ingress: vec![IngressRule {
            protocol: None,
            ports: None,
            source: Source::Anywhere("IPv4".into()),
            rule_id: None,
        }],
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

async fn ports_of(session: &Session, server_id: &str) -> CloudResult<Vec<Value>> {
    neutron_list(session, "/ports", "ports", &[("device_id", server_id)])
        .await
        .map_err(|e| context(e, &format!("ports of server {server_id}")))
}

/// The security groups of the server's ports: Neutron's, which are what
/// filters traffic (Nova's list is names only, and may be stale).
async fn groups_of(session: &Session, server_id: &str) -> CloudResult<Vec<SecurityGroup>> {
    let ports = ports_of(session, server_id).await?;
    let mut ids: Vec<String> = Vec::new();
    let mut unfiltered = Vec::new();
    for port in &ports {
        if port.get("port_security_enabled") == Some(&Value::Bool(false)) {
            if let Some(id) = text(port, "id") {
                unfiltered.push(unfiltered_port(&id));
            }
            continue;
        }
        for id in strings(port, "security_groups") {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let mut out = Vec::new();
    if !ids.is_empty() {
        // One listing each, filtered by id, instead of a GET per group.
        let by_id: Vec<(&str, &str)> = ids.iter().map(|id| ("id", id.as_str())).collect();
        let by_group: Vec<(&str, &str)> = ids
            .iter()
            .map(|id| ("security_group_id", id.as_str()))
            .collect();
        let (groups, rules) = tokio::join!(
            neutron_list(session, "/security-groups", "security_groups", &by_id),
            neutron_list(
                session,
                "/security-group-rules",
                "security_group_rules",
                &by_group
            ),
        );
        let groups = groups.map_err(|e| context(e, "security groups"))?;
        let rules = rules.map_err(|e| context(e, "security group rules"))?;
        out = security_groups(&ids, &groups, &rules);
    }
    out.extend(unfiltered);
    Ok(out)
}

// -- network -----------------------------------------------------------------

/// A router's name (else id) and the network its external gateway is on.
pub fn router_gateway(router: &Value) -> (String, Option<String>) {
    let name = text(router, "name")
        .or_else(|| text(router, "id"))
        .unwrap_or_else(|| "?".into());
    let external = router
        .get("external_gateway_info")
        .and_then(|g| text(g, "network_id"));
    (name, external)
}

async fn network_of(provider: &OpenStackProvider, server_id: &str) -> CloudResult<NetworkFacts> {
    let session = &provider.session;
    let ports = ports_of(session, server_id).await?;
    let mut network_ids: Vec<String> = Vec::new();
    for port in &ports {
        if let Some(net) = text(port, "network_id")
            && !network_ids.contains(&net)
        {
            network_ids.push(net);
        }
    }
    // Names make the finding readable; without them the ids do.
    let names = provider.network_names().await.ok();
    let networks = network_ids
        .iter()
        .map(|id| {
            names
                .and_then(|n| n.get(id))
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| id.clone())
        })
        .collect();
    let mut facts = NetworkFacts {
        networks,
        ..NetworkFacts::default()
    };
    if network_ids.is_empty() {
        return Ok(facts);
    }
    let mut filters: Vec<(&str, &str)> = ROUTER_INTERFACE_OWNERS
        .iter()
        .map(|o| ("device_owner", *o))
        .collect();
    filters.extend(network_ids.iter().map(|n| ("network_id", n.as_str())));
    let interfaces = neutron_list(session, "/ports", "ports", &filters)
        .await
        .map_err(|e| context(e, "router interfaces"))?;
    let routers: BTreeSet<String> = interfaces
        .iter()
        .filter_map(|p| text(p, "device_id"))
        .collect();
    for router_id in &routers {
        let call = Call::get(Service::Network, format!("/routers/{router_id}"));
        let router = match session.json::<Value>(&call).await {
            Ok(body) => body.get("router").cloned().unwrap_or(Value::Null),
            // Deleted since its port was listed.
            Err(e) if is_not_found(&e) => continue,
            Err(e) => return Err(context(e, &format!("router {router_id}"))),
        };
        match router_gateway(&router) {
            (name, Some(external)) => facts.routed_out.push((name, external)),
            (name, None) => facts.without_gateway.push(name),
        }
    }
    if facts.routed_out.is_empty() {
        facts.routed_out = routed_by_floating_ips(session, &ports).await?;
    }
    Ok(facts)
}

/// The routers Neutron chose for the floating IPs on these ports: it sets
/// a floating IP's `router_id` only to a router with a gateway to the
/// floating network and an interface on the port's subnet. This is how a
/// project sees a router it does not own (the admin's router on a shared
/// network), whose interface ports are hidden from it.
async fn routed_by_floating_ips(
    session: &Session,
    ports: &[Value],
) -> CloudResult<Vec<(String, String)>> {
    let port_ids: Vec<String> = ports.iter().filter_map(|p| text(p, "id")).collect();
    if port_ids.is_empty() {
        return Ok(Vec::new());
    }
    let filters: Vec<(&str, &str)> = port_ids.iter().map(|p| ("port_id", p.as_str())).collect();
    let fips = neutron_list(session, "/floatingips", "floatingips", &filters)
        .await
        .map_err(|e| context(e, "floating IPs of the server"))?;
    let mut routed: Vec<(String, String)> = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for fip in &fips {
        let (Some(router_id), Some(external)) =
            (text(fip, "router_id"), text(fip, "floating_network_id"))
        else {
            continue;
        };
        let name = match names.get(&router_id) {
            Some(n) => n.clone(),
            None => {
                let call = Call::get(Service::Network, format!("/routers/{router_id}"));
                // Another project's router answers 404: its id will do.
                let name = match session.json::<Value>(&call).await {
                    Ok(body) => body
                        .get("router")
                        .map(|r| router_gateway(r).0)
                        .unwrap_or_else(|| router_id.clone()),
                    Err(e) if is_not_found(&e) || e.code.as_deref() == Some("403") => {
                        router_id.clone()
                    }
                    Err(e) => return Err(context(e, &format!("router {router_id}"))),
                };
                names.insert(router_id.clone(), name.clone());
                name
            }
        };
        if !routed.iter().any(|(r, x)| r == &name && x == &external) {
            routed.push((name, external));
        }
    }
    Ok(routed)
}

// -- key pair and image ------------------------------------------------------

/// `{"keypair": {...}}` of `GET /os-keypairs/{name}`.
pub fn keypair_facts(body: &Value) -> Option<KeyPairFacts> {
    let kp = body.get("keypair")?;
    Some(KeyPairFacts {
        name: text(kp, "name")?,
        public_key: text(kp, "public_key"),
        fingerprint: text(kp, "fingerprint"),
    })
}

/// A Glance v2 image: its properties are top-level keys of the document.
pub fn image_facts(id: &str, image: &Value) -> ImageFacts {
    ImageFacts {
        id: text(image, "id").unwrap_or_else(|| id.to_string()),
        name: text(image, "name"),
        description: text(image, "description"),
        os_distro: text(image, "os_distro"),
        os_admin_user: text(image, "os_admin_user"),
    }
}

#[cfg(test)]
mod tests;
