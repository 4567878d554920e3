//! An authenticated session with one OpenStack cloud: Keystone v3 tokens,
//! the service catalog, and requests that renew the token before it expires
//! and re-authenticate once when a service answers 401.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::body::{BodyLimit, MAX_BODY, read_body};
use super::clouds::{AppCredentialRef, Auth, CloudProfile, Domain, Named, Secret};
use crate::cloud::{CloudError, CloudResult};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The OpenStack services hytop talks to, by catalog type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    Identity,
    Compute,
    Network,
    Image,
    Metric,
    /// Cinder.
    BlockStorage,
}

impl Service {
    pub fn catalog_type(self) -> &'static str {
        match self {
            Service::Identity => "identity",
            Service::Compute => "compute",
            Service::Network => "network",
            Service::Image => "image",
            Service::Metric => "metric",
            Service::BlockStorage => "block-storage",
        }
    }

    /// The catalog types that serve it, preferred first: Cinder is still
    /// registered as `volumev3` (or only `volumev2`) on many clouds.
    fn catalog_types(self) -> &'static [&'static str] {
        match self {
            Service::Identity => &["identity"],
            Service::Compute => &["compute"],
            Service::Network => &["network"],
            Service::Image => &["image"],
            Service::Metric => &["metric"],
            Service::BlockStorage => &["block-storage", "volumev3", "volumev2"],
        }
    }

    /// The API version the clients here speak, appended to an unversioned
    /// catalog URL (Nova's catalog URL already carries `/v2.1`).
    fn version_suffix(self) -> &'static str {
        match self {
            // Cinder's URL is completed by `block_storage_url`.
            Service::Identity | Service::Compute | Service::BlockStorage => "",
            Service::Network => "/v2.0",
            Service::Image => "/v2",
            Service::Metric => "/v1",
        }
    }
}

#[derive(Debug, Deserialize)]
struct CatalogEndpoint {
    interface: String,
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
    url: String,
}

#[derive(Debug, Deserialize)]
struct CatalogEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<CatalogEndpoint>,
}

#[derive(Debug, Deserialize)]
struct TokenProject {
    id: String,
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    expires_at: DateTime<Utc>,
    #[serde(default)]
    issued_at: Option<DateTime<Utc>>,
    #[serde(default)]
    project: Option<TokenProject>,
    #[serde(default)]
    catalog: Vec<CatalogEntry>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    token: TokenBody,
}

struct Token {
    value: Secret,
    renew_at: DateTime<Utc>,
    project_id: Option<String>,
    catalog: Vec<CatalogEntry>,
}

/// What a service answered.
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// The start of the body was dropped ([`BodyLimit::KeepTail`]).
    pub truncated: bool,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self, service: Service) -> CloudResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            CloudError::new(
                "BadResponse",
                format!(
                    "{} answered with a body hytop cannot read: {e}",
                    service.catalog_type()
                ),
            )
        })
    }
}

/// One request, relative to the service's endpoint (or an absolute URL the
/// service itself gave, such as a `next` link).
pub struct Call {
    pub service: Service,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub headers: Vec<(HeaderName, String)>,
    /// How much of the answer to read; [`MAX_BODY`] unless said otherwise.
    pub limit: BodyLimit,
}

impl Call {
    pub fn get(service: Service, path: impl Into<String>) -> Call {
        Call {
            service,
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            limit: BodyLimit::Refuse(MAX_BODY),
        }
    }

    pub fn new(service: Service, method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            ..Call::get(service, path)
        }
    }

    pub fn query(mut self, key: &str, value: impl Into<String>) -> Call {
        self.query.push((key.to_string(), value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Call {
        self.headers.push((name, value.into()));
        self
    }

    /// Keeps only the last `bytes` of a larger answer.
    pub fn keep_tail(mut self, bytes: usize) -> Call {
        self.limit = BodyLimit::KeepTail(bytes);
        self
    }
}

pub struct Session {
    http: reqwest::Client,
    profile: CloudProfile,
    region: Option<String>,
    token: tokio::sync::Mutex<Option<Arc<Token>>>,
    requests: Mutex<BTreeMap<&'static str, u64>>,
}

/// Builds the HTTP client for a cloud: its CA bundle, or no certificate
/// checks at all where the cloud's config says `verify: false`.
fn http_client(profile: &CloudProfile) -> Result<reqwest::Client, String> {
    crate::cloud::use_ring_for_tls();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("hytop/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &profile.cacert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read cacert {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("cacert {} holds no usable certificate: {e}", path.display()))?;
        // A file without any PEM block parses as an empty bundle: say so
        // rather than silently trusting nothing extra.
        if certs.is_empty() {
            return Err(format!(
                "cacert {} holds no usable certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)",
                path.display()
            ));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if !profile.verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTPS for cloud \"{}\": {e}", profile.name))
}

impl Session {
    pub fn new(profile: CloudProfile, region: Option<String>) -> Result<Session, String> {
        Ok(Session {
            http: http_client(&profile)?,
            profile,
            region,
            token: tokio::sync::Mutex::new(None),
            requests: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn profile(&self) -> &CloudProfile {
        &self.profile
    }

    /// Requests sent so far, per service type (authentication counts as
    /// `identity`); retries count again.
    pub fn request_counts(&self) -> BTreeMap<&'static str, u64> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn count(&self, service: Service) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(service.catalog_type())
            .or_insert(0) += 1;
    }

    fn auth_body(&self) -> Value {
        fn domain(d: &Domain) -> Value {
            match d {
                Domain::Id(id) => json!({ "id": id }),
                Domain::Name(name) => json!({ "name": name }),
            }
        }
        fn named(n: &Named) -> Value {
            match n {
                Named::Id(id) => json!({ "id": id }),
                Named::Name { name, domain: d } => json!({ "name": name, "domain": domain(d) }),
            }
        }
        match &self.profile.auth {
            Auth::Password {
                user,
                password,
                project,
            } => {
                let mut user = named(user);
                user["password"] = json!(password.expose());
                json!({ "auth": {
                    "identity": { "methods": ["password"], "password": { "user": user } },
                    "scope": { "project": named(project) }
                }})
            }
            Auth::ApplicationCredential { credential, secret } => {
                let mut cred = match credential {
                    AppCredentialRef::Id(id) => json!({ "id": id }),
                    AppCredentialRef::Name { name, user } => {
                        json!({ "name": name, "user": named(user) })
                    }
                };
                cred["secret"] = json!(secret.expose());
                json!({ "auth": { "identity": {
                    "methods": ["application_credential"],
                    "application_credential": cred
                }}})
            }
        }
    }

    async fn authenticate(&self) -> CloudResult<Arc<Token>> {
        let url = format!("{}/auth/tokens", self.profile.auth_url);
        self.count(Service::Identity);
        let response = self
            .http
            .post(&url)
            .json(&self.auth_body())
            .send()
            .await
            .map_err(|e| transport_error(Service::Identity, &e))?;
        let status = response.status();
        let token = response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (body, _) = read_body(response, BodyLimit::Refuse(MAX_BODY), Service::Identity).await?;
        if !status.is_success() {
            let mut err = error_from_body(status, &body);
            err.message = format!(
                "Keystone refused the credentials of cloud \"{}\" ({}): {}",
                self.profile.name, self.profile.source, err.message
            );
            return Err(err);
        }
        let Some(value) = token else {
            return Err(CloudError::new(
                "BadResponse",
                "Keystone answered without an X-Subject-Token header",
            ));
        };
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            CloudError::new(
                "BadResponse",
                format!("Keystone's token body cannot be read: {e}"),
            )
        })?;
        let t = parsed.token;
        let now = Utc::now();
        let lifetime = t.expires_at - t.issued_at.unwrap_or(now);
        // Renew ahead of expiry so no request goes out with a dying token.
        let margin = (lifetime / 4).min(chrono::Duration::seconds(60));
        tracing::debug!(cloud = %self.profile.name, expires_at = %t.expires_at, "authenticated");
        Ok(Arc::new(Token {
            value: Secret::new(value),
            renew_at: t.expires_at - margin,
            project_id: t.project.map(|p| p.id),
            catalog: t.catalog,
        }))
    }

    /// The current token, authenticating when there is none or it is due
    /// for renewal.
    async fn token(&self) -> CloudResult<Arc<Token>> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref()
            && Utc::now() < t.renew_at
        {
            return Ok(t.clone());
        }
        let fresh = self.authenticate().await?;
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// Forgets `stale` (if it is still the current token) after a 401.
    async fn drop_token(&self, stale: &Arc<Token>) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, stale)) {
            *slot = None;
        }
    }

    pub async fn project_id(&self) -> CloudResult<Option<String>> {
        Ok(self.token().await?.project_id.clone())
    }

    fn endpoint_in(&self, token: &Token, service: Service) -> Option<String> {
        let interface = self.profile.interface.trim_end_matches("URL");
        let (kind, endpoint) = service.catalog_types().iter().find_map(|kind| {
            let entry = token.catalog.iter().find(|e| e.kind == *kind)?;
            let endpoint = entry.endpoints.iter().find(|e| {
                e.interface == interface
                    && self.region.as_deref().is_none_or(|r| {
                        e.region_id.as_deref() == Some(r) || e.region.as_deref() == Some(r)
                    })
            })?;
            Some((*kind, endpoint))
        })?;
        let url = endpoint.url.trim_end_matches('/');
        if service == Service::BlockStorage {
            return Some(block_storage_url(url, kind, token.project_id.as_deref()));
        }
        let suffix = service.version_suffix();
        Some(if suffix.is_empty() || url.ends_with(suffix) {
            url.to_string()
        } else {
            format!("{url}{suffix}")
        })
    }

    /// Every region of the catalog with a compute endpoint on this
    /// session's interface, sorted, and the one this session's own lookups
    /// land in (its configured region, else the first compute endpoint's).
    pub async fn compute_regions(&self) -> CloudResult<(Vec<String>, Option<String>)> {
        let token = self.token().await?;
        let interface = self.profile.interface.trim_end_matches("URL");
        let endpoints: Vec<&CatalogEndpoint> = token
            .catalog
            .iter()
            .filter(|e| e.kind == Service::Compute.catalog_type())
            .flat_map(|e| &e.endpoints)
            .filter(|e| e.interface == interface)
            .collect();
        let region_of = |e: &CatalogEndpoint| e.region_id.clone().or_else(|| e.region.clone());
        let mut all: Vec<String> = endpoints.iter().filter_map(|e| region_of(e)).collect();
        all.sort();
        all.dedup();
        let this = self
            .region
            .clone()
            .or_else(|| endpoints.first().and_then(|e| region_of(e)));
        Ok((all, this))
    }

    /// The service's versioned endpoint, or `None` if the catalog lists none
    /// for this interface and region.
    pub async fn endpoint(&self, service: Service) -> CloudResult<Option<String>> {
        let token = self.token().await?;
        Ok(self.endpoint_in(&token, service))
    }

    fn missing_endpoint(&self, service: Service) -> CloudError {
        CloudError::new(
            "NoEndpoint",
            format!(
                "the catalog of cloud \"{}\" has no {} endpoint (interface {}{})",
                self.profile.name,
                service.catalog_type(),
                self.profile.interface,
                self.region
                    .as_ref()
                    .map(|r| format!(", region {r}"))
                    .unwrap_or_default()
            ),
        )
    }

    /// Sends `call`, re-authenticating and retrying once on a 401. Any
    /// other non-2xx answer becomes an error carrying the service's message.
    pub async fn send(&self, call: &Call) -> CloudResult<Reply> {
        let mut retried = false;
        loop {
            let token = self.token().await?;
            let base = self
                .endpoint_in(&token, call.service)
                .ok_or_else(|| self.missing_endpoint(call.service))?;
            let url = if call.path.starts_with("http://") || call.path.starts_with("https://") {
                call.path.clone()
            } else {
                format!("{base}{}", call.path)
            };
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(token.value.expose()) {
                headers.insert("x-auth-token", v);
            }
            for (name, value) in &call.headers {
                if let Ok(v) = HeaderValue::from_str(value) {
                    headers.insert(name.clone(), v);
                }
            }
            let mut request = self
                .http
                .request(call.method.clone(), &url)
                .headers(headers)
                .header("accept", "application/json");
            if !call.query.is_empty() {
                request = request.query(&call.query);
            }
            if let Some(body) = &call.body {
                request = request.json(body);
            }
            self.count(call.service);
            let response = request
                .send()
                .await
                .map_err(|e| transport_error(call.service, &e))?;
            let status = response.status();
            let (body, truncated) = read_body(response, call.limit, call.service).await?;
            if status == StatusCode::UNAUTHORIZED && !retried {
                tracing::info!(cloud = %self.profile.name, service = call.service.catalog_type(), "401: re-authenticating");
                self.drop_token(&token).await;
                retried = true;
                continue;
            }
            if !status.is_success() {
                return Err(error_from_body(status, &body));
            }
            return Ok(Reply {
                status,
                body,
                truncated,
            });
        }
    }

    pub async fn json<T: DeserializeOwned>(&self, call: &Call) -> CloudResult<T> {
        self.send(call).await?.json(call.service)
    }
}

/// Cinder's API root with the project id in it. The catalog normally gives
/// `.../v3/{project_id}` already; a cloud that registers `.../v3` (Cinder
/// 3.67+ routes both) or an unversioned URL gets the token's project
/// appended, which every Cinder release routes, instead of relying on a
/// microversion the cloud may not have.
fn block_storage_url(url: &str, kind: &str, project_id: Option<&str>) -> String {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let is_version = |s: &str| {
        s.strip_prefix('v').is_some_and(|n| {
            !n.is_empty()
                && n.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    let Some(project) = project_id else {
        return url.to_string();
    };
    match segments.iter().rposition(|s| is_version(s)) {
        Some(last) if last + 1 == segments.len() => format!("{url}/{project}"),
        Some(_) => url.to_string(),
        None => {
            let version = if kind == "volumev2" { "v2" } else { "v3" };
            format!("{url}/{version}/{project}")
        }
    }
}

pub(super) fn transport_error(service: Service, e: &reqwest::Error) -> CloudError {
    let host = e
        .url()
        .map(|u| {
            format!(
                "{}{}",
                u.host_str().unwrap_or("?"),
                u.port().map(|p| format!(":{p}")).unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "?".into());
    let what = service.catalog_type();
    if e.is_timeout() {
        CloudError::new(
            "Timeout",
            format!("{what} at {host} did not answer in time"),
        )
    } else if e.is_connect() {
        // The source chain says why (refused, DNS, certificate).
        let mut cause = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        CloudError::new(
            "Unreachable",
            format!("cannot reach {what} at {host}: {cause}"),
        )
    } else {
        CloudError::new("Unreachable", format!("{what} at {host}: {e}"))
    }
}

/// The service's own error text from any of the shapes OpenStack services
/// use: Nova's `{"itemNotFound": {"message", "code"}}`, Neutron's
/// `{"NeutronError": {"type", "message"}}`, Keystone's `{"error": {...}}`,
/// webob's `{"title", "description"}`, or plain text / HTML.
pub fn error_from_body(status: StatusCode, body: &[u8]) -> CloudError {
    let code = status.as_u16().to_string();
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let text = |v: &Value| v.as_str().map(str::to_string);
        if let Some(obj) = v.as_object() {
            if let Some(m) = obj.get("message").and_then(text) {
                return CloudError::new(code, m);
            }
            if let Some(d) = obj.get("description").and_then(text) {
                return CloudError::new(code, d);
            }
            if obj.len() == 1
                && let Some((key, inner)) = obj.iter().next()
                && let Some(m) = inner.get("message").and_then(text)
            {
                let kind = inner
                    .get("type")
                    .and_then(text)
                    .or_else(|| (key != "error").then(|| key.clone()))
                    .or_else(|| inner.get("title").and_then(text));
                let code = match kind {
                    Some(k) => format!("{code} {k}"),
                    None => code,
                };
                return CloudError::new(code, m);
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let plain = strip_tags(&text);
    let line = plain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let reason = status.canonical_reason().unwrap_or("error");
    let message = if line.is_empty() {
        reason.to_string()
    } else {
        line.chars().take(200).collect()
    };
    CloudError::new(code, message)
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway self-signed CA (no key kept anywhere), for parsing only.
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBhzCCAS2gAwIBAgIUPdlVxu+wLZa6LHd5RDxyPSgdfu4wCgYIKoZIzj0EAwIw\nGDEWMBQGA1UEAwwNaHl0b3AtdGVzdC1jYTAgFw0yNjExMjExNTMwMzRaGA8yMTI2\nMTAyODE1MzAzNFowGDEWMBQGA1UEAwwNaHl0b3AtdGVzdC1jYTBZMBMGByqGSM49\nAgEGCCqGSM49AwEHA0IABINdA1MZcembP/RsMEAlWvixobtW6XV+UmeGNa6GDRpb\n/QLupXeOpDPCEEtpY2zFcUncylgvjTIiQA1ku51McO+jUzBRMB0GA1UdDgQWBBSl\nczEdQ2HN/3nJPrwO1fMdYdDKPTAfBgNVHSMEGDAWgBSlczEdQ2HN/3nJPrwO1fMd\nYdDKPTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHASbxgbTzia\nKFVyN6bDaMWzMzHvB3plB5rkhRIDY56EAiEAsJErr/VRzUJ5DgFP5hWukffqmDER\nTUrnR/HPMinnoVk=\n-----END CERTIFICATE-----\n";

    fn profile() -> CloudProfile {
        CloudProfile {
            name: "lab".into(),
            source: "clouds.yaml".into(),
            auth_url: "https://keystone.example.edu:5000/v3".into(),
            auth: Auth::Password {
                user: Named::Id("u".into()),
                password: Secret::new("pw"),
                project: Named::Id("p".into()),
            },
            regions: Vec::new(),
            interface: "public".into(),
            cacert: None,
            verify: true,
        }
    }

    #[test]
    fn ca_bundles_are_read_and_bad_ones_named() {
        let mut p = profile();
        p.cacert = Some("/nonexistent/campus-ca.pem".into());
        let err = Session::new(p, None).err().expect("refused");
        assert!(
            err.contains("cannot read cacert /nonexistent/campus-ca.pem"),
            "{err}"
        );

        let dir = tempfile::tempdir().expect("tmp");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").expect("write");
        let mut p = profile();
        p.cacert = Some(junk);
        let err = Session::new(p, None).err().expect("refused");
        assert!(err.contains("holds no usable certificate"), "{err}");

        // A real (self-signed, test-only) CA certificate is taken.
        let good = dir.path().join("campus-ca.pem");
        std::fs::write(&good, TEST_CA).expect("write");
        let mut p = profile();
        p.cacert = Some(good);
        assert!(Session::new(p, None).is_ok());

        // verify: false builds a client that skips certificate checks.
        let mut p = profile();
        p.verify = false;
        assert!(Session::new(p, None).is_ok());
    }

    #[test]
    fn block_storage_urls_get_the_project_where_the_catalog_left_it_out() {
        let p = Some("8f0e3c");
        assert_eq!(
            block_storage_url("http://c.lab/volume/v3/8f0e3c", "block-storage", p),
            "http://c.lab/volume/v3/8f0e3c"
        );
        assert_eq!(
            block_storage_url("http://c.lab/volume/v3", "block-storage", p),
            "http://c.lab/volume/v3/8f0e3c"
        );
        assert_eq!(
            block_storage_url("https://c.lab:8776/v2/8f0e3c", "volumev2", p),
            "https://c.lab:8776/v2/8f0e3c"
        );
        assert_eq!(
            block_storage_url("https://c.lab:8776", "volumev3", p),
            "https://c.lab:8776/v3/8f0e3c"
        );
        assert_eq!(
            block_storage_url("https://c.lab:8776", "volumev2", p),
            "https://c.lab:8776/v2/8f0e3c"
        );
        // A hostname that looks like a version is not one.
        assert_eq!(
            block_storage_url("http://v3/volume", "block-storage", p),
            "http://v3/volume/v3/8f0e3c"
        );
        assert_eq!(
            block_storage_url("http://c.lab/volume/v3", "block-storage", None),
            "http://c.lab/volume/v3"
        );
    }

    #[test]
    fn an_unreadable_body_is_a_bad_response() {
        let reply = Reply {
            status: StatusCode::OK,
            body: b"<html>proxy error</html>".to_vec(),
            truncated: false,
        };
        let err = reply
            .json::<serde_json::Value>(Service::Compute)
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some("BadResponse"));
        assert!(
            err.message.starts_with("compute answered with a body"),
            "{err}"
        );
    }

    #[test]
    fn error_bodies_of_every_service_give_their_message() {
        let nova =
            br#"{"itemNotFound": {"code": 404, "message": "Instance abc could not be found."}}"#;
        let e = error_from_body(StatusCode::NOT_FOUND, nova);
        assert_eq!(
            e.to_string(),
            "404 itemNotFound: Instance abc could not be found."
        );

        let neutron = br#"{"NeutronError": {"type": "IpAddressGenerationFailure", "message": "No more IP addresses available on network x.", "detail": ""}}"#;
        let e = error_from_body(StatusCode::CONFLICT, neutron);
        assert_eq!(
            e.to_string(),
            "409 IpAddressGenerationFailure: No more IP addresses available on network x."
        );

        let keystone = br#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#;
        let e = error_from_body(StatusCode::UNAUTHORIZED, keystone);
        assert_eq!(
            e.to_string(),
            "401 Unauthorized: The request you have made requires authentication."
        );

        let gnocchi =
            br#"{"code": 404, "description": "Metric cpu does not exist", "title": "Not Found"}"#;
        let e = error_from_body(StatusCode::NOT_FOUND, gnocchi);
        assert_eq!(e.to_string(), "404: Metric cpu does not exist");

        let glance = b"<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID x<br /><br />\n\n\n\n </body>\n</html>";
        let e = error_from_body(StatusCode::NOT_FOUND, glance);
        assert!(e.message.contains("No image found with ID x"), "{e}");

        let e = error_from_body(StatusCode::BAD_GATEWAY, b"");
        assert_eq!(e.to_string(), "502: Bad Gateway");
    }
}
