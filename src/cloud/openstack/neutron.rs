//! Neutron (service type `network`): networks, security groups, ports and
//! floating IPs.

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::nova::{Link, next_query};
use super::session::{Call, Service, Session};
use crate::cloud::CloudResult;

#[derive(Debug, Clone, Deserialize)]
pub struct Network {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "router:external", default)]
    pub external: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FixedIp {
    pub ip_address: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Port {
    pub id: String,
    #[serde(default)]
    pub device_id: String,
    #[serde(default)]
    pub fixed_ips: Vec<FixedIp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PortDetails {
    #[serde(default)]
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FloatingIp {
    pub id: String,
    pub floating_ip_address: String,
    #[serde(default)]
    pub floating_network_id: String,
    #[serde(default)]
    pub port_id: Option<String>,
    /// Present where the `fip-port-details` extension is on (most clouds).
    #[serde(default)]
    pub port_details: Option<PortDetails>,
}

/// A whole collection, following `<collection>_links` where the cloud
/// paginates.
pub(super) async fn list<T: DeserializeOwned>(
    session: &Session,
    path: &str,
    collection: &str,
    filters: &[(&str, &str)],
) -> CloudResult<Vec<T>> {
    let mut out = Vec::new();
    let mut query: Vec<(String, String)> = filters
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    loop {
        let mut call = Call::get(Service::Network, path);
        call.query = query.clone();
        let mut page: Value = session.json(&call).await?;
        let items = page
            .get_mut(collection)
            .map(Value::take)
            .unwrap_or(Value::Array(Vec::new()));
        let batch: Vec<T> = serde_json::from_value(items).map_err(|e| {
            crate::cloud::CloudError::new(
                "BadResponse",
                format!("network answered {collection} hytop cannot read: {e}"),
            )
        })?;
        let got = batch.len();
        out.extend(batch);
        let links: Vec<Link> = page
            .get(format!("{collection}_links"))
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default();
        match next_query(&links) {
            Some(next) if got > 0 && next != query => query = next,
            _ => break,
        }
    }
    Ok(out)
}

pub async fn networks(session: &Session) -> CloudResult<Vec<Network>> {
    list(session, "/networks", "networks", &[]).await
}

pub async fn security_groups(
    session: &Session,
    project_id: Option<&str>,
) -> CloudResult<Vec<SecurityGroup>> {
    let filters: Vec<(&str, &str)> = project_id.map(|p| ("project_id", p)).into_iter().collect();
    list(session, "/security-groups", "security_groups", &filters).await
}

pub async fn ports_of(session: &Session, device_id: &str) -> CloudResult<Vec<Port>> {
    list(session, "/ports", "ports", &[("device_id", device_id)]).await
}

pub async fn floating_ips(
    session: &Session,
    filters: &[(&str, &str)],
) -> CloudResult<Vec<FloatingIp>> {
    list(session, "/floatingips", "floatingips", filters).await
}

/// The servers behind some ports, for floating IPs listed without
/// `port_details`: one request for all of them.
pub async fn port_devices(session: &Session, port_ids: &[&str]) -> CloudResult<Vec<Port>> {
    if port_ids.is_empty() {
        return Ok(Vec::new());
    }
    let filters: Vec<(&str, &str)> = port_ids.iter().map(|id| ("id", *id)).collect();
    list(session, "/ports", "ports", &filters).await
}

#[derive(Debug, Deserialize)]
struct OneFloatingIp {
    floatingip: FloatingIp,
}

pub async fn create_floating_ip(session: &Session, network_id: &str) -> CloudResult<FloatingIp> {
    let call = Call::new(Service::Network, Method::POST, "/floatingips")
        .json(json!({ "floatingip": { "floating_network_id": network_id } }));
    let created: OneFloatingIp = session.json(&call).await?;
    Ok(created.floatingip)
}

/// Associates to `port_id`, or disassociates with `None`.
pub async fn set_port(
    session: &Session,
    floating_ip_id: &str,
    port_id: Option<&str>,
) -> CloudResult<FloatingIp> {
    let call = Call::new(
        Service::Network,
        Method::PUT,
        format!("/floatingips/{floating_ip_id}"),
    )
    .json(json!({ "floatingip": { "port_id": port_id } }));
    let updated: OneFloatingIp = session.json(&call).await?;
    Ok(updated.floatingip)
}

pub async fn floating_ip(session: &Session, id: &str) -> CloudResult<FloatingIp> {
    let one: OneFloatingIp = session
        .json(&Call::get(Service::Network, format!("/floatingips/{id}")))
        .await?;
    Ok(one.floatingip)
}

pub async fn delete_floating_ip(session: &Session, id: &str) -> CloudResult<()> {
    session
        .send(&Call::new(
            Service::Network,
            Method::DELETE,
            format!("/floatingips/{id}"),
        ))
        .await
        .map(|_| ())
}
