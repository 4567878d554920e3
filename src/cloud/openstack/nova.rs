//! Nova (service type `compute`): servers, flavors, key pairs, console.

use std::collections::BTreeMap;

use reqwest::Method;
use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::{Call, Service, Session};
use crate::cloud::{CloudError, CloudResult};

/// The microversion that embeds the flavor (name, vCPUs) in the server
/// body, so a listing needs no flavor lookups.
pub const WANTED_MICROVERSION: (u32, u32) = (2, 47);

/// Nova's limit on base64-encoded user-data.
pub const USER_DATA_B64_LIMIT: usize = 65535;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion(pub u32, pub u32);

impl Microversion {
    pub fn parse(text: &str) -> Option<Microversion> {
        let (a, b) = text.split_once('.')?;
        Some(Microversion(a.parse().ok()?, b.parse().ok()?))
    }

    pub fn header_value(self) -> String {
        format!("{}.{}", self.0, self.1)
    }

    pub fn embeds_flavor(self) -> bool {
        (self.0, self.1) >= WANTED_MICROVERSION
    }
}

#[derive(Debug, Deserialize)]
struct VersionDoc {
    version: VersionInfo,
}

#[derive(Debug, Deserialize)]
struct VersionInfo {
    #[serde(default)]
    version: String,
    #[serde(default)]
    min_version: String,
}

/// Asks the compute endpoint which microversions it speaks and picks
/// [`WANTED_MICROVERSION`], or the newest one below it on an older cloud.
pub async fn negotiate(session: &Session) -> CloudResult<Microversion> {
    let doc: VersionDoc = session.json(&Call::get(Service::Compute, "/")).await?;
    let max = Microversion::parse(&doc.version.version);
    let min = Microversion::parse(&doc.version.min_version);
    let wanted = Microversion(WANTED_MICROVERSION.0, WANTED_MICROVERSION.1);
    Ok(match (min, max) {
        (_, Some(max)) if max < wanted => max,
        (Some(min), _) if min > wanted => min,
        (_, Some(_)) => wanted,
        // No microversions at all (a v2.0 endpoint): plain requests.
        _ => Microversion(2, 1),
    })
}

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

#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default)]
    pub rel: String,
}

/// The query string of a service's `next` link, re-applied to our own
/// endpoint: behind a proxy the link's host is often not one we can reach.
pub fn next_query(links: &[Link]) -> Option<Vec<(String, String)>> {
    let next = links.iter().find(|l| l.rel == "next")?;
    let query = next.href.split_once('?')?.1;
    Some(
        query
            .split('&')
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                Some((decode(k)?, decode(v)?))
            })
            .collect(),
    )
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[derive(Debug, Clone, Deserialize)]
pub struct FlavorRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub original_name: Option<String>,
    #[serde(default)]
    pub vcpus: Option<u32>,
    #[serde(default)]
    pub ram: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerAddress {
    pub addr: String,
    #[serde(default)]
    pub version: Option<u8>,
    #[serde(rename = "OS-EXT-IPS:type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedRef {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub status: String,
    #[serde(rename = "OS-EXT-STS:task_state", default)]
    pub task_state: Option<String>,
    #[serde(default)]
    pub flavor: Option<FlavorRef>,
    /// An object with the image id, or `""` for a server booted from a volume.
    #[serde(default)]
    pub image: Value,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub addresses: BTreeMap<String, Vec<ServerAddress>>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(rename = "OS-SRV-USG:launched_at", default)]
    pub launched_at: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub security_groups: Option<Vec<NamedRef>>,
    #[serde(rename = "OS-EXT-AZ:availability_zone", default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub fault: Option<Fault>,
}

impl Server {
    pub fn image_id(&self) -> Option<&str> {
        self.image
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Deserialize)]
struct ServersPage {
    servers: Vec<Server>,
    #[serde(default)]
    servers_links: Vec<Link>,
}

/// Every server of the project, following Nova's `next` links.
pub async fn list_servers(session: &Session, mv: Microversion) -> CloudResult<Vec<Server>> {
    let mut out: Vec<Server> = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    loop {
        let mut call = versioned(Call::get(Service::Compute, "/servers/detail"), mv);
        call.query = query.clone();
        let page: ServersPage = session.json(&call).await?;
        let got = page.servers.len();
        out.extend(page.servers);
        match next_query(&page.servers_links) {
            // An empty page with a next link would loop forever.
            Some(next) if got > 0 && next != query => query = next,
            _ => break,
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub vcpus: u32,
    #[serde(default)]
    pub ram: u64,
    #[serde(default)]
    pub disk: u64,
}

#[derive(Debug, Deserialize)]
struct Flavors {
    flavors: Vec<Flavor>,
}

pub async fn list_flavors(session: &Session, mv: Microversion) -> CloudResult<Vec<Flavor>> {
    let f: Flavors = session
        .json(&versioned(
            Call::get(Service::Compute, "/flavors/detail"),
            mv,
        ))
        .await?;
    Ok(f.flavors)
}

#[derive(Debug, Deserialize)]
pub struct Keypair {
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct KeypairEntry {
    keypair: Keypair,
}

#[derive(Debug, Deserialize)]
struct Keypairs {
    keypairs: Vec<KeypairEntry>,
}

pub async fn list_keypairs(session: &Session, mv: Microversion) -> CloudResult<Vec<Keypair>> {
    let k: Keypairs = session
        .json(&versioned(Call::get(Service::Compute, "/os-keypairs"), mv))
        .await?;
    Ok(k.keypairs.into_iter().map(|e| e.keypair).collect())
}

/// What `POST /servers` needs, with every name already resolved to an id.
pub struct CreateServer<'a> {
    pub name: &'a str,
    pub image_id: &'a str,
    pub flavor_id: &'a str,
    pub network_id: Option<&'a str>,
    pub key_name: Option<&'a str>,
    pub security_groups: &'a [String],
    /// Already base64-encoded.
    pub user_data: Option<&'a str>,
    pub metadata: &'a BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Created {
    server: CreatedServer,
}

#[derive(Debug, Deserialize)]
struct CreatedServer {
    id: String,
}

pub async fn create_server(
    session: &Session,
    mv: Microversion,
    spec: &CreateServer<'_>,
) -> CloudResult<String> {
    let mut server = json!({
        "name": spec.name,
        "imageRef": spec.image_id,
        "flavorRef": spec.flavor_id,
    });
    match spec.network_id {
        Some(net) => server["networks"] = json!([{ "uuid": net }]),
        // From 2.37 Nova wants to be told; "auto" is what Horizon does.
        None if mv >= Microversion(2, 37) => server["networks"] = json!("auto"),
        None => {}
    }
    if let Some(key) = spec.key_name {
        server["key_name"] = json!(key);
    }
    if !spec.security_groups.is_empty() {
        server["security_groups"] = Value::Array(
            spec.security_groups
                .iter()
                .map(|g| json!({ "name": g }))
                .collect(),
        );
    }
    if let Some(data) = spec.user_data {
        server["user_data"] = json!(data);
    }
    if !spec.metadata.is_empty() {
        server["metadata"] = json!(spec.metadata);
    }
    let call = versioned(
        Call::new(Service::Compute, Method::POST, "/servers").json(json!({ "server": server })),
        mv,
    );
    let created: Created = session.json(&call).await?;
    Ok(created.server.id)
}

pub async fn delete_server(session: &Session, mv: Microversion, id: &str) -> CloudResult<()> {
    let call = versioned(
        Call::new(Service::Compute, Method::DELETE, format!("/servers/{id}")),
        mv,
    );
    session.send(&call).await.map(|_| ())
}

/// Adds or overwrites metadata items, keeping the others
/// (`POST /servers/{id}/metadata`; `PUT` would replace them all).
pub async fn update_metadata(
    session: &Session,
    mv: Microversion,
    id: &str,
    items: &BTreeMap<String, String>,
) -> CloudResult<()> {
    let call = versioned(
        Call::new(
            Service::Compute,
            Method::POST,
            format!("/servers/{id}/metadata"),
        )
        .json(json!({ "metadata": items })),
        mv,
    );
    session.send(&call).await.map(|_| ())
}

#[derive(Debug, Deserialize)]
struct ConsoleOutput {
    output: String,
}

/// The last `lines` lines of the server's console log.
pub async fn console_output(
    session: &Session,
    mv: Microversion,
    id: &str,
    lines: u32,
) -> CloudResult<String> {
    let call = versioned(
        Call::new(
            Service::Compute,
            Method::POST,
            format!("/servers/{id}/action"),
        )
        .json(json!({ "os-getConsoleOutput": { "length": lines } })),
        mv,
    );
    let out: ConsoleOutput = session.json(&call).await?;
    Ok(out.output)
}

/// A refused launch, before any request.
pub fn user_data_too_large(encoded_len: usize) -> CloudError {
    CloudError::new(
        "UserDataTooLarge",
        format!(
            "user-data is {encoded_len} bytes base64-encoded; Nova accepts at most {USER_DATA_B64_LIMIT}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_keep_only_their_query() {
        let links = vec![Link {
            href: "http://internal:8774/v2.1/servers/detail?limit=2&marker=a%2Db".into(),
            rel: "next".into(),
        }];
        assert_eq!(
            next_query(&links),
            Some(vec![
                ("limit".to_string(), "2".to_string()),
                ("marker".to_string(), "a-b".to_string())
            ])
        );
        assert_eq!(next_query(&[]), None);
    }

    #[test]
    fn microversions_compare() {
        assert!(Microversion::parse("2.96").unwrap().embeds_flavor());
        assert!(!Microversion::parse("2.46").unwrap().embeds_flavor());
        assert!(Microversion(2, 9) < Microversion(2, 47));
    }
}
