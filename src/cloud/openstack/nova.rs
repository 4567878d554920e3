//! Nova (service type `compute`): servers, flavors, key pairs, console.

use std::collections::BTreeMap;

use reqwest::Method;
use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::{Call, Service, Session};
use crate::cloud::{CloudError, CloudResult, PowerAction};

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

/// Nova's microversion headers, as every compute call sends them.
pub(super) fn versioned(call: Call, mv: Microversion) -> Call {
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

/// One entry of `os-extended-volumes:volumes_attached`.
#[derive(Debug, Clone, Deserialize)]
pub struct AttachedVolume {
    pub id: String,
    /// Since microversion 2.3 (hytop asks for 2.47 where it can).
    #[serde(default)]
    pub delete_on_termination: Option<bool>,
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
    pub image: ImageRef,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub addresses: BTreeMap<String, Vec<ServerAddress>>,
    #[serde(default)]
    pub created: Option<String>,
    /// Last change of the server record: a state change, but also a rename
    /// or a metadata update.
    #[serde(default)]
    pub updated: Option<String>,
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
    #[serde(rename = "os-extended-volumes:volumes_attached", default)]
    pub volumes_attached: Vec<AttachedVolume>,
}

/// A server's `image`: `{"id": ..., "links": [...]}`, or `""` when it was
/// booted from a volume. Only the id is kept (a fleet's links add up).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum ImageRef {
    Image {
        #[serde(default)]
        id: Option<String>,
    },
    #[default]
    #[serde(skip)]
    None,
    Other(serde::de::IgnoredAny),
}

impl Server {
    pub fn image_id(&self) -> Option<&str> {
        match &self.image {
            ImageRef::Image { id: Some(id) } if !id.is_empty() => Some(id),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ServersPage {
    servers: Vec<Server>,
    #[serde(default)]
    servers_links: Vec<Link>,
}

/// Every server of the project, following Nova's `next` links, each turned
/// into a `T` by `each` as its page arrives: a fleet of thousands is never
/// held twice (Nova's shape and ours).
pub async fn list_servers<T>(
    session: &Session,
    mv: Microversion,
    mut each: impl FnMut(Server) -> T,
) -> CloudResult<Vec<T>> {
    let mut out: Vec<T> = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    loop {
        let mut call = versioned(Call::get(Service::Compute, "/servers/detail"), mv);
        call.query = query.clone();
        let page: ServersPage = session.json(&call).await?;
        let got = page.servers.len();
        out.extend(page.servers.into_iter().map(&mut each));
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

/// The body of `POST /servers/{id}/action` for a power action, exactly as
/// Nova's api-ref samples write it (`server-action-stop.json`,
/// `server-action-reboot.json`, `os-shelve.json`, `os-unshelve.json`): the
/// `null`s are what Nova documents, and an unshelve body with an object
/// would need microversion 2.77.
pub fn power_body(action: PowerAction) -> Value {
    match action {
        PowerAction::Stop => json!({ "os-stop": null }),
        PowerAction::Start => json!({ "os-start": null }),
        PowerAction::Reboot => json!({ "reboot": { "type": "SOFT" } }),
        PowerAction::HardReboot => json!({ "reboot": { "type": "HARD" } }),
        PowerAction::Shelve => json!({ "shelve": null }),
        PowerAction::Unshelve => json!({ "unshelve": null }),
    }
}

/// `POST /servers/{id}/action` with a body that Nova answers 202 and no
/// body (stop, start, reboot, shelve, unshelve). A refusal keeps Nova's
/// own text, e.g. `409 conflictingRequest: Cannot 'stop' instance … while
/// it is in vm_state stopped`.
pub async fn server_action(
    session: &Session,
    mv: Microversion,
    id: &str,
    body: Value,
) -> CloudResult<()> {
    let call = versioned(
        Call::new(
            Service::Compute,
            Method::POST,
            format!("/servers/{id}/action"),
        )
        .json(body),
        mv,
    );
    session.send(&call).await.map(|_| ())
}

#[derive(Debug, Deserialize)]
struct ConsoleOutput {
    output: String,
}

/// The most of a console answer hytop reads. Nova cuts the log to the
/// `length` lines it is asked for, but a cloud that ignores `length` sends
/// the whole log (megabytes for a chatty VM) on every poll of the console
/// view: only its end is kept.
pub const CONSOLE_LIMIT: usize = 1024 * 1024;

/// The last `lines` lines of the server's console log (at most about
/// [`CONSOLE_LIMIT`] bytes of it).
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
        .json(json!({ "os-getConsoleOutput": { "length": lines } }))
        .keep_tail(CONSOLE_LIMIT),
        mv,
    );
    let reply = session.send(&call).await?;
    if !reply.truncated {
        let out: ConsoleOutput = reply.json(Service::Compute)?;
        return Ok(out.output);
    }
    output_tail(&reply.body).ok_or_else(|| {
        CloudError::new(
            "BadResponse",
            format!(
                "compute sent more than {} KB of console log and its end cannot be read",
                CONSOLE_LIMIT / 1024
            ),
        )
    })
}

/// The whole lines at the end of the `output` string of a console answer
/// (`{"output": "..."}`) whose start was dropped: from the first newline
/// escape that surely is one to the string's closing quote.
fn output_tail(tail: &[u8]) -> Option<String> {
    let end = tail.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if tail[end] != b'}' {
        return None;
    }
    let quote = tail[..end].iter().rposition(|b| !b.is_ascii_whitespace())?;
    if tail[quote] != b'"' {
        return None;
    }
    // A backslash right after a non-backslash starts an escape, so `\n`
    // there is a newline (deeper in a run of backslashes it might be an
    // escaped backslash followed by an `n`).
    let newline = (1..quote.saturating_sub(1))
        .find(|&i| tail[i] == b'\\' && tail[i + 1] == b'n' && tail[i - 1] != b'\\')?;
    let mut string = Vec::with_capacity(quote - newline);
    string.push(b'"');
    string.extend_from_slice(&tail[newline + 2..quote]);
    string.push(b'"');
    serde_json::from_slice(&string).ok()
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
    use hytop_testkit::faults::Reply;

    use super::*;
    use crate::cloud::openstack::body::on_faults;

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

    /// `{"output": ...}` of `lines` numbered lines, JSON-escaped as Nova
    /// does (quotes, backslashes, tabs, non-ASCII).
    fn console_answer(lines: usize) -> Vec<u8> {
        let log: String = (1..=lines)
            .map(|i| format!("[{i:>7}] \"q\" \\ \t é line {i}\n"))
            .collect();
        serde_json::to_vec(&json!({ "output": log })).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_console_log_sent_whole_is_kept_to_its_last_megabyte() {
        let answer = console_answer(100_000);
        assert!(answer.len() > 3 * CONSOLE_LIMIT);
        let (server, session) =
            on_faults::session(move |_| Reply::new(200, "application/json", answer.clone())).await;
        let text = console_output(&session, Microversion(2, 1), "vm-1", 10)
            .await
            .unwrap();
        assert!(text.len() <= CONSOLE_LIMIT, "{} bytes kept", text.len());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 10_000, "whole lines of the last megabyte");
        assert!(lines[0].starts_with('['), "starts at a line: {}", lines[0]);
        assert_eq!(
            lines.last().copied(),
            Some("[ 100000] \"q\" \\ \t é line 100000")
        );
        let action = server
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with("/servers/vm-1/action"))
            .unwrap();
        let asked: Value = serde_json::from_slice(&action.body).unwrap();
        assert_eq!(asked, json!({ "os-getConsoleOutput": { "length": 10 } }));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_console_log_within_the_limit_is_read_whole() {
        let (_server, session) =
            on_faults::session(|_| Reply::new(200, "application/json", console_answer(3))).await;
        let text = console_output(&session, Microversion(2, 1), "vm-1", 10)
            .await
            .unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.starts_with("[      1]"), "{text}");
    }

    #[test]
    fn the_tail_starts_at_a_newline_that_surely_is_one() {
        // An escaped backslash before an "n" is text, not a newline.
        assert_eq!(
            output_tail(br#"xa\nb\\nc\nd"}"#).as_deref(),
            Some("b\\nc\nd")
        );
        // Deeper in a run of backslashes it is not sure: the next one is.
        assert_eq!(output_tail(br#"x\\\nlast\nz" }"#).as_deref(), Some("z"));
        assert_eq!(output_tail(br#"no newline at all"}"#), None);
        assert_eq!(output_tail(br#"\nnot the end"#), None);
    }
}
