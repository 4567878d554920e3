//! What Nova, Neutron and Glance can tell the doctor about a server
//! ([`crate::cloud::Provider::facts`]): its task and fault, the ingress
//! rules of its ports' security groups, whether its networks are routed to
//! the outside, its key pair and its image.
//!
//! The mappings from the services' JSON are pure functions over the
//! answers ([`status_facts`], [`security_groups`], [`image_facts`], ...),
//! so every shape the api-refs document is tested without a cloud.

use std::collections::{BTreeSet, HashMap};

use reqwest::header::HeaderName;
use serde_json::Value;

use super::OpenStackProvider;
use super::nova::{Link, Microversion, next_query};
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
            let call = versioned(Call::get(Service::Compute, format!("/servers/{id}")), mv);
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
            let call = versioned(
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

/// Nova's microversion headers, as every other compute call sends them.
fn versioned(call: Call, mv: Microversion) -> Call {
    call.header(
        HeaderName::from_static("openstack-api-version"),
        format!("compute {}", mv.header_value()),
    )
    .header(
        HeaderName::from_static("x-openstack-nova-api-version"),
        mv.header_value(),
    )
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

/// A Neutron collection, every page (`<collection>_links` `next`), as raw
/// JSON: the facts read a few fields of documents hytop otherwise ignores.
async fn neutron_list(
    session: &Session,
    path: &str,
    collection: &str,
    filters: &[(&str, &str)],
) -> CloudResult<Vec<Value>> {
    let mut out = Vec::new();
    let mut query: Vec<(String, String)> = filters
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    loop {
        let mut call = Call::get(Service::Network, path);
        call.query = query.clone();
        let mut page: Value = session.json(&call).await?;
        let items = match page.get_mut(collection).map(Value::take) {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => {
                return Err(CloudError::new(
                    "BadResponse",
                    format!("network answered {collection} that is not a list"),
                ));
            }
        };
        let got = items.len();
        out.extend(items);
        let links: Vec<Link> = page
            .get(format!("{collection}_links"))
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default();
        match next_query(&links) {
            // An empty page with a next link would loop forever.
            Some(next) if got > 0 && next != query => query = next,
            _ => break,
        }
    }
    Ok(out)
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
mod tests {
    use serde_json::json;

    use super::*;
    use crate::doctor::security::{PortAccess, access};

    /// neutron-lib `security-group-rules-list-response.json`: the rules
    /// of a `default` group (egress to anywhere, ingress only from its own
    /// members).
    fn default_group_rules() -> Value {
        json!({"security_group_rules": [
            {"direction": "egress", "ethertype": "IPv6", "id": "3c0e45ff-adaf-4124-b083-bf390e5482ff",
             "port_range_max": null, "port_range_min": null, "protocol": null,
             "remote_group_id": null, "remote_ip_prefix": null,
             "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
             "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"},
            {"direction": "egress", "ethertype": "IPv4", "id": "93aa42e5-80db-4581-9391-3a608bd0e448",
             "port_range_max": null, "port_range_min": null, "protocol": null,
             "remote_group_id": null, "remote_ip_prefix": null,
             "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
             "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"},
            {"direction": "ingress", "ethertype": "IPv6", "id": "c0b09f00-1d49-4e64-a0a7-8a186d928138",
             "port_range_max": null, "port_range_min": null, "protocol": null,
             "remote_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5", "remote_ip_prefix": null,
             "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
             "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"},
            {"direction": "ingress", "ethertype": "IPv4", "id": "f7d45c89-008e-4bab-88ad-d6811724c51c",
             "port_range_max": null, "port_range_min": null, "protocol": null,
             "remote_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5", "remote_ip_prefix": null,
             "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
             "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"}
        ]})
    }

    /// A rule shaped as neutron-lib's `security-group-rule-bulk-create-response.json`
    /// entries, with the fields a case changes.
    fn rule(changes: Value) -> Value {
        let mut r = json!({
            "direction": "ingress", "ethertype": "IPv4", "id": "2bc0accf-312e-429a-956e-e4407625eb62",
            "port_range_max": 80, "port_range_min": 80, "protocol": "tcp",
            "remote_group_id": null, "remote_ip_prefix": null,
            "security_group_id": "a7734e61-b545-452d-a3cd-0189cbd9747a",
            "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "revision_number": 1,
            "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550",
            "created_at": "2018-03-19T19:16:56Z", "updated_at": "2018-03-19T19:16:56Z",
            "description": "", "belongs_to_default_sg": false
        });
        for (k, v) in changes.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    }

    fn one_group(r: Value) -> Vec<SecurityGroup> {
        let id = "a7734e61-b545-452d-a3cd-0189cbd9747a".to_string();
        let groups = [json!({"id": id, "name": "lab-ssh"})];
        security_groups(&[id], &groups, &[r])
    }

    fn verdict(groups: &[SecurityGroup]) -> &'static str {
        match access(groups, 22) {
            PortAccess::Open(..) => "open",
            PortAccess::Inside(..) => "inside",
            PortAccess::Closed => "closed",
        }
    }

    #[test]
    fn the_default_group_lets_only_its_members_in() {
        let id = "85cc3048-abc3-43cc-89b3-377341426ac5".to_string();
        let rules = default_group_rules()["security_group_rules"]
            .as_array()
            .unwrap()
            .clone();
        let groups = [json!({"id": id, "name": "default"})];
        let got = security_groups(std::slice::from_ref(&id), &groups, &rules);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "default");
        assert_eq!(
            got[0].ingress,
            vec![
                IngressRule {
                    protocol: None,
                    ports: None,
                    source: Source::Group(id.clone()),
                    rule_id: Some("c0b09f00-1d49-4e64-a0a7-8a186d928138".into()),
                },
                IngressRule {
                    protocol: None,
                    ports: None,
                    source: Source::Group(id.clone()),
                    rule_id: Some("f7d45c89-008e-4bab-88ad-d6811724c51c".into()),
                },
            ],
            "egress rules are left out"
        );
        assert_eq!(verdict(&got), "inside");
    }

    /// A rule's changed fields, what it normalises to, how port 22 fares.
    type Case = (
        Value,
        Option<Protocol>,
        Option<(u16, u16)>,
        Source,
        &'static str,
    );

    #[test]
    fn every_rule_shape_is_normalised_and_judged() {
        let cases: Vec<Case> = vec![
            (
                json!({"port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}),
                Some(Protocol::Tcp),
                Some((22, 22)),
                Source::Cidr("0.0.0.0/0".into()),
                "open",
            ),
            (
                json!({"protocol": "6", "port_range_min": 20, "port_range_max": 30,
                       "remote_ip_prefix": "141.37.0.0/16"}),
                Some(Protocol::Tcp),
                Some((20, 30)),
                Source::Cidr("141.37.0.0/16".into()),
                "open",
            ),
            (
                json!({"ethertype": "IPv6", "port_range_min": 22, "port_range_max": 22}),
                Some(Protocol::Tcp),
                Some((22, 22)),
                Source::Anywhere("IPv6".into()),
                "open",
            ),
            (
                json!({"protocol": null, "port_range_min": null, "port_range_max": null}),
                None,
                None,
                Source::Anywhere("IPv4".into()),
                "open",
            ),
            (
                json!({"port_range_min": null, "port_range_max": null, "remote_ip_prefix": "10.0.0.0/8"}),
                Some(Protocol::Tcp),
                None,
                Source::Cidr("10.0.0.0/8".into()),
                "inside",
            ),
            (
                json!({"port_range_min": 22, "port_range_max": 22,
                       "remote_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5"}),
                Some(Protocol::Tcp),
                Some((22, 22)),
                Source::Group("85cc3048-abc3-43cc-89b3-377341426ac5".into()),
                "inside",
            ),
            (
                json!({"port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}),
                Some(Protocol::Tcp),
                Some((80, 80)),
                Source::Cidr("0.0.0.0/0".into()),
                "closed",
            ),
            (
                json!({"protocol": "udp", "port_range_min": 22, "port_range_max": 22,
                       "remote_ip_prefix": "0.0.0.0/0"}),
                Some(Protocol::Udp),
                Some((22, 22)),
                Source::Cidr("0.0.0.0/0".into()),
                "closed",
            ),
            (
                json!({"protocol": "17", "port_range_min": null, "port_range_max": null}),
                Some(Protocol::Udp),
                None,
                Source::Anywhere("IPv4".into()),
                "closed",
            ),
            (
                json!({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0,
                       "remote_ip_prefix": "0.0.0.0/0"}),
                Some(Protocol::Icmp),
                None,
                Source::Cidr("0.0.0.0/0".into()),
                "closed",
            ),
            (
                json!({"protocol": "1", "port_range_min": null, "port_range_max": null}),
                Some(Protocol::Icmp),
                None,
                Source::Anywhere("IPv4".into()),
                "closed",
            ),
            (
                json!({"protocol": "gre", "port_range_min": null, "port_range_max": null}),
                Some(Protocol::Other("gre".into())),
                None,
                Source::Anywhere("IPv4".into()),
                "closed",
            ),
            (
                json!({"protocol": "132", "port_range_min": null, "port_range_max": null}),
                Some(Protocol::Other("132".into())),
                None,
                Source::Anywhere("IPv4".into()),
                "closed",
            ),
        ];
        for (changes, protocol, ports, source, want) in cases {
            let groups = one_group(rule(changes.clone()));
            let got = &groups[0].ingress;
            assert_eq!(
                got,
                &vec![IngressRule {
                    protocol,
                    ports,
                    source,
                    rule_id: Some("2bc0accf-312e-429a-956e-e4407625eb62".into()),
                }],
                "{changes}"
            );
            assert_eq!(verdict(&groups), want, "{changes}");
        }
        // Egress never lets anything in, however wide.
        let egress = one_group(rule(json!({"direction": "egress", "protocol": null,
            "port_range_min": null, "port_range_max": null})));
        assert!(egress[0].ingress.is_empty());
        assert_eq!(verdict(&egress), "closed");
    }

    #[test]
    fn rules_go_to_their_group_and_groups_keep_the_ports_order() {
        let ssh = rule(json!({"port_range_min": 22, "port_range_max": 22,
            "remote_ip_prefix": "0.0.0.0/0"}));
        let mut rules = default_group_rules()["security_group_rules"]
            .as_array()
            .unwrap()
            .clone();
        rules.push(ssh);
        let ids = vec![
            "85cc3048-abc3-43cc-89b3-377341426ac5".to_string(),
            "a7734e61-b545-452d-a3cd-0189cbd9747a".to_string(),
            "0d0a2b1c-0000-4000-8000-000000000000".to_string(),
        ];
        let groups = [
            json!({"id": ids[1], "name": "lab-ssh"}),
            json!({"id": ids[0], "name": "default"}),
        ];
        let got = security_groups(&ids, &groups, &rules);
        let names: Vec<&str> = got.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["default", "lab-ssh", ids[2].as_str()]);
        assert_eq!(got[0].ingress.len(), 2);
        assert_eq!(got[1].ingress.len(), 1);
        assert!(got[2].ingress.is_empty());
        match access(&got, 22) {
            PortAccess::Open(g, r) => {
                assert_eq!(g.id, ids[1]);
                assert_eq!(
                    r.rule_id.as_deref(),
                    Some("2bc0accf-312e-429a-956e-e4407625eb62")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_address_group_is_a_named_set_of_prefixes() {
        let groups = one_group(rule(json!({"port_range_min": 22, "port_range_max": 22,
            "remote_address_group_id": "f2b9a1c6-0f0e-4b43-9c1e-7c1a2b3c4d5e"})));
        assert_eq!(
            groups[0].ingress[0].source,
            Source::PrefixList("f2b9a1c6-0f0e-4b43-9c1e-7c1a2b3c4d5e".into())
        );
    }

    #[test]
    fn a_port_without_port_security_lets_everything_in() {
        let g = unfiltered_port("p-1");
        assert_eq!(verdict(std::slice::from_ref(&g)), "open");
    }

    #[test]
    fn a_fault_and_a_task_come_from_the_server() {
        // Nova api-ref `servers-detail-resp` fault (an ERROR server).
        let server = json!({
            "status": "ERROR", "OS-EXT-STS:task_state": null,
            "fault": {"code": 500, "created": "2013-10-23T13:53:12Z",
                      "message": "No valid host was found. There are not enough hosts available."}
        });
        assert_eq!(
            status_facts(&server),
            StatusFacts {
                fault: Some(
                    "No valid host was found. There are not enough hosts available. (500)".into()
                ),
                ..StatusFacts::default()
            }
        );
        let rebooting = json!({"status": "REBOOT", "OS-EXT-STS:task_state": "rebooting"});
        assert_eq!(
            status_facts(&rebooting).task_state.as_deref(),
            Some("rebooting")
        );
        assert_eq!(
            status_facts(&json!({"status": "ACTIVE", "OS-EXT-STS:task_state": null})),
            StatusFacts::default()
        );
    }

    #[test]
    fn routers_with_and_without_a_gateway() {
        // neutron-lib `router-show-response.json`.
        let routed = json!({
            "admin_state_up": true, "description": "", "distributed": false,
            "external_gateway_info": {"enable_snat": true,
                "external_fixed_ips": [{"ip_address": "172.24.4.6",
                    "subnet_id": "b930d7f6-ceb7-40a0-8b81-a425dd994ccf"}],
                "network_id": "ae34051f-aa6c-4c75-abf5-50dc9ac99ef3"},
            "ha": false, "id": "f8a44de0-fc8e-45df-93c7-f79bf3b01c95", "name": "router1",
            "status": "ACTIVE"
        });
        assert_eq!(
            router_gateway(&routed),
            (
                "router1".to_string(),
                Some("ae34051f-aa6c-4c75-abf5-50dc9ac99ef3".to_string())
            )
        );
        let bare = json!({"id": "f8a44de0-fc8e-45df-93c7-f79bf3b01c95", "name": "",
            "external_gateway_info": null});
        assert_eq!(
            router_gateway(&bare),
            ("f8a44de0-fc8e-45df-93c7-f79bf3b01c95".to_string(), None)
        );
    }

    #[test]
    fn key_pairs_and_images_read_what_the_doctor_needs() {
        // Nova `doc/api_samples/os-keypairs/keypairs-get-resp.json`.
        let kp = json!({"keypair": {
            "created_at": "2014-05-07T12:06:13.681238", "deleted": false, "deleted_at": null,
            "fingerprint": "9d:00:f4:d7:26:6e:52:06:4c:c1:d3:1d:fd:06:66:01", "id": 1,
            "name": "keypair-3582d8b7-e588-4aad-b7f7-f4e76f0e4314",
            "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDYJrTVpcMwFqQy/oMvtUSRofZdSRHEwrsX8AYkRvn2ZnCXM+b6+GZ2NQuuWj+ocznlnwiGFQDsL/yeE+/kurqcPJFKKp60mToXIMyzioFxW88fJtwEWawHKAclbHWpR1t4fQ4DS+/sIbX/Yd9btlVQ2tpQjodGDbM9Tr9/+/3i6rcR+EoLqmbgCgAiGiVV6VbM2Zx79yUwd+GnQejHX8BlYZoOjCnt3NREsITcmWE9FVFy6TnLmahs3FkEO/QGgWGkaohAJlsgaVvSWGgDn2AujKYwyDokK3dXyeX3m2Vmc3ejiqPa/C4nRrCOlko5nSgV/9IXRx1ERImsqZnE9usB Generated by Nova\n",
            "updated_at": null, "user_id": "fake"
        }});
        let got = keypair_facts(&kp).unwrap();
        assert_eq!(got.name, "keypair-3582d8b7-e588-4aad-b7f7-f4e76f0e4314");
        assert_eq!(
            got.fingerprint.as_deref(),
            Some("9d:00:f4:d7:26:6e:52:06:4c:c1:d3:1d:fd:06:66:01")
        );
        assert!(got.public_key.unwrap().starts_with("ssh-rsa AAAAB3"));
        assert_eq!(keypair_facts(&json!({})), None);

        // Glance api-ref `image-show-response.json`, plus the properties an
        // image uploader sets (top-level keys, as every property is).
        let image = json!({
            "status": "active", "name": "cirros-0.3.2-x86_64-disk", "tags": [],
            "container_format": "bare", "created_at": "2014-05-05T17:15:10Z",
            "disk_format": "qcow2", "updated_at": "2014-05-05T17:15:11Z",
            "visibility": "public", "self": "/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27",
            "min_disk": 0, "protected": false, "id": "1bea47ed-f6a9-463b-b423-14b9cca9ad27",
            "file": "/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27/file",
            "checksum": "64d7c1cd2b6f60c92c14662941cb7913", "os_hash_algo": "sha512",
            "owner": "5ef70662f8b34079a6eddb8da9d75fe8", "size": 13167616, "min_ram": 0,
            "schema": "/v2/schemas/image", "virtual_size": null,
            "os_distro": "cirros", "os_admin_user": "cirros",
            "description": "CirrOS test image"
        });
        assert_eq!(
            image_facts("1bea47ed-f6a9-463b-b423-14b9cca9ad27", &image),
            ImageFacts {
                id: "1bea47ed-f6a9-463b-b423-14b9cca9ad27".into(),
                name: Some("cirros-0.3.2-x86_64-disk".into()),
                description: Some("CirrOS test image".into()),
                os_distro: Some("cirros".into()),
                os_admin_user: Some("cirros".into()),
            }
        );
        let plain = image_facts("x", &json!({"id": "x", "name": "bare"}));
        assert_eq!((plain.description, plain.os_distro), (None, None));
    }

    #[test]
    fn names_in_paths_are_escaped() {
        assert_eq!(path_segment("lab key/2"), "lab%20key%2F2");
        assert_eq!(path_segment("lab-key_1.pub"), "lab-key_1.pub");
    }
}
