//! In-process fakes of Nova, Neutron, Glance, Gnocchi and Cinder behind one axum
//! server, speaking the wire format of the official API references (the
//! request paths and parameters, the response bodies of the api-ref samples,
//! the services' own error bodies). Devstack-like layout under
//! [`FakeOpenStack::base_url`]:
//!
//! | service | catalog URL            | API root                 |
//! |---------|------------------------|--------------------------|
//! | compute | `BASE/compute/v2.1`    | same (microversions)     |
//! | network | `BASE/network`         | `BASE/network/v2.0`      |
//! | image   | `BASE/image`           | `BASE/image/v2`          |
//! | metric  | `BASE/metric`          | `BASE/metric/v1`         |
//! | block-storage | `BASE/volume/v3/$(project_id)s` | same ([`BlockStorage`]) |
//!
//! Version documents answer without a token (as the real services do, their
//! paste pipelines have no auth filter there); everything else checks
//! `X-Auth-Token` first ([`TokenCheck`]) and answers keystonemiddleware's 401.
//! Every request is recorded ([`FakeOpenStack::requests`]); [`FakeOpenStack::fail`]
//! makes a whole service answer an error in that service's error format.
//!
//! Wire facts, checked against the sources (nova, neutron, neutron-lib,
//! glance, gnocchi, keystonemiddleware, webob):
//! - Nova: fault bodies `{"<name>": {"code", "message"}}` (names from
//!   `nova/api/openstack/wsgi.py` `Fault._fault_names`, else `computeFault`);
//!   microversion headers echoed with `Vary`; 406 out of range.
//! - Neutron: `{"NeutronError": {"type": <exception class>, "message", "detail": ""}}`.
//! - Glance: webob's error rendering (JSON `{"message", "code": "404 Not Found",
//!   "title"}` if `Accept` prefers JSON, HTML for `*/*`/`text/html`, else plain text).
//! - Gnocchi: pecan's `{"code", "description", "title"}`.
//! - Cinder: the same fault names as Nova (`{"badRequest": {"code", "message"}}`).
//! - 401 (keystonemiddleware): `{"error": {"code": 401, "title": "Unauthorized",
//!   "message": "The request you have made requires authentication."}}` with
//!   `WWW-Authenticate: Keystone uri="<auth url>"`.

// Handlers bail out with the service's error response; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

mod cinder;
mod glance;
mod gnocchi;
mod lifecycle;
mod neutron;
mod nova;
pub mod world;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use world::World;

/// The newest compute microversion the fake speaks.
pub const NOVA_MAX_MICROVERSION: (u32, u32) = (2, 96);

/// How the fake decides whether an `X-Auth-Token` is valid.
#[derive(Clone, Debug)]
pub enum TokenCheck {
    /// Validate X-Auth-Token against a real Keystone: `GET {auth_url}/auth/tokens`
    /// with `X-Auth-Token: <admin token>` and `X-Subject-Token: <token>`;
    /// 200 → valid (the project is `token.project.id`), else 401. The fake
    /// gets its admin token itself by password auth with these credentials
    /// (renewed on 401). No caching, so a revocation is seen at once.
    /// `auth_url` may end in `/v3` or not.
    Keystone {
        auth_url: String,
        admin_user: String,
        admin_password: String,
        admin_project: String,
        domain: String,
    },
    /// Any non-empty token is valid, for this project (self-tests without Keystone).
    AnyToken { project_id: String },
}

impl TokenCheck {
    /// Validation against `keystone`, as its bootstrap admin.
    pub fn keystone(keystone: &super::keystone::Keystone) -> TokenCheck {
        let admin = keystone.admin();
        TokenCheck::Keystone {
            auth_url: keystone.auth_url(),
            admin_user: admin.user_name.clone(),
            admin_password: admin.password.clone(),
            admin_project: admin.project_name.clone(),
            domain: admin.domain_name.clone(),
        }
    }
}

/// The user id [`TokenCheck::AnyToken`] tokens belong to.
pub const ANY_TOKEN_USER_ID: &str = "5d2f0e4c7a6b4c1d9e8f7a6b5c4d3e2f";

pub use world::{DEFAULT_VOLUME_TYPE, NewVolume, SEED_VOLUME_GB};

/// How [`FakeOpenStack::endpoints`] registers Cinder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockStorage {
    /// `block-storage` at `BASE/volume/v3/$(project_id)s`: Keystone puts
    /// the token's project in, as devstack registers Cinder.
    WithProjectId,
    /// `block-storage` at `BASE/volume/v3` (the 3.67 style, no project id).
    WithoutProjectId,
    /// The older type name `volumev3`, with the project id.
    VolumeV3,
    /// Not in the catalog: a cloud without block storage.
    Absent,
}

#[derive(Clone, Debug)]
pub struct FakeOptions {
    pub token_check: TokenCheck,
    /// Page size cap of `/servers` and `/servers/detail` (Nova's `[api] max_limit`).
    pub nova_max_limit: usize,
    /// Page size cap and default of `/volumes/detail` (Cinder's `osapi_max_limit`).
    pub cinder_max_limit: usize,
    /// Whether and how the catalog lists Cinder.
    pub block_storage: BlockStorage,
    /// A new server stays BUILD for this many GETs of it or listings that
    /// include it, then turns ACTIVE (0: ACTIVE at once).
    pub build_polls: u32,
    /// After DELETE the server shows `task_state: "deleting"` for this many
    /// GETs/listings, then is gone (404) (0: gone at once).
    pub delete_polls: u32,
    /// Each step of a power action (`powering-off`, `rebooting`,
    /// `shelving`, then `shelving_offloading`, ...) shows for this many
    /// GETs/listings before the next (0: the action settles at once).
    pub action_polls: u32,
    /// Addresses in the external network's subnet allocation pool.
    pub floating_pool_size: usize,
    /// Granularities (seconds) of the Gnocchi archive policies.
    pub granularities: Vec<u32>,
    /// Informational: the test just does not register the metric endpoint.
    pub metric_service: bool,
    /// `os-getConsoleOutput` answers the whole log whatever `length` asks,
    /// as a cloud whose driver ignores it does.
    pub console_ignores_length: bool,
    /// Every `POST /metric/v1/aggregates` waits this long before it is
    /// served (a slow Gnocchi; the fleet bench uses 2 s). Other requests
    /// are not delayed. `None` (the default): no delay.
    pub aggregates_delay: Option<std::time::Duration>,
}

impl FakeOptions {
    /// Defaults (max_limit 1000, 2 build polls, 1 delete poll, 1 poll per
    /// power action step, 20 floating addresses, granularities 10 s, 60 s,
    /// 1 h) with this token check.
    pub fn with(token_check: TokenCheck) -> FakeOptions {
        FakeOptions {
            token_check,
            nova_max_limit: 1000,
            cinder_max_limit: 1000,
            block_storage: BlockStorage::WithProjectId,
            build_polls: 2,
            delete_polls: 1,
            action_polls: 1,
            floating_pool_size: 20,
            granularities: vec![10, 60, 3600],
            metric_service: true,
            console_ignores_length: false,
            aggregates_delay: None,
        }
    }

    /// [`TokenCheck::AnyToken`] for `project_id`, other fields default.
    pub fn any_token(project_id: &str) -> FakeOptions {
        Self::with(TokenCheck::AnyToken {
            project_id: project_id.to_string(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Compute,
    Network,
    Image,
    Metric,
    BlockStorage,
}

impl Service {
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Compute => "/compute",
            Service::Network => "/network",
            Service::Image => "/image",
            Service::Metric => "/metric",
            Service::BlockStorage => "/volume",
        }
    }

    pub fn service_type(self) -> &'static str {
        match self {
            Service::Compute => "compute",
            Service::Network => "network",
            Service::Image => "image",
            Service::Metric => "metric",
            Service::BlockStorage => "block-storage",
        }
    }
}

/// One request as the fake saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub service: Service,
    pub method: String,
    /// Full path, e.g. `/compute/v2.1/servers/detail`.
    pub path: String,
    /// Raw query string (without `?`), empty if none.
    pub query: String,
    pub status: u16,
    /// The `X-Auth-Token` it carried, so a test can revoke it in Keystone.
    pub token: Option<String>,
    /// The body of a compute request (what an action asked for); empty for
    /// the other services, whose bodies (Gnocchi's aggregates of a fleet)
    /// would only add up in a long bench.
    pub body: Bytes,
}

/// Who a valid token belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub project_id: String,
    pub user_id: String,
    pub is_admin: bool,
}

/// A parsed request, handed to the per-service handlers.
pub(crate) struct Req {
    pub method: Method,
    /// Path below the service prefix, e.g. `/v2.1/servers/detail`.
    pub rest: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Req {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Path segments of `rest` (empty segments dropped).
    pub fn segments(&self) -> Vec<&str> {
        self.rest.split('/').filter(|s| !s.is_empty()).collect()
    }

    pub fn json_body(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| e.to_string())
    }
}

pub(crate) struct Shared {
    pub options: FakeOptions,
    pub base: String,
    pub world: Mutex<World>,
    requests: Mutex<Vec<RecordedRequest>>,
    failures: Mutex<HashMap<Service, u16>>,
    admin_token: tokio::sync::Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running fakes. Dropping it stops the server.
pub struct FakeOpenStack {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpenStack {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeOpenStack {
    /// Binds 127.0.0.1 on a free port and serves on the current runtime.
    pub async fn start(options: FakeOptions) -> FakeOpenStack {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the OpenStack fakes to a loopback port");
        let addr = listener.local_addr().expect("local address");
        let base = format!("http://{addr}");
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("build the fake's Keystone client");
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new(&options)),
            options,
            base,
            requests: Mutex::new(Vec::new()),
            failures: Mutex::new(HashMap::new()),
            admin_token: tokio::sync::Mutex::new(None),
            http,
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenStack {
            shared,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Catalog URLs as devstack registers them:
    /// `[("compute", BASE/compute/v2.1), ("network", BASE/network),
    /// ("image", BASE/image), ("metric", BASE/metric),
    /// ("block-storage", BASE/volume/v3/$(project_id)s)]`, the last as
    /// [`FakeOptions::block_storage`] says.
    pub fn endpoints(&self) -> Vec<(&'static str, String)> {
        let base = &self.shared.base;
        let mut endpoints = vec![
            ("compute", format!("{base}/compute/v2.1")),
            ("network", format!("{base}/network")),
            ("image", format!("{base}/image")),
            ("metric", format!("{base}/metric")),
        ];
        match self.shared.options.block_storage {
            BlockStorage::WithProjectId => {
                endpoints.push(("block-storage", format!("{base}/volume/v3/$(project_id)s")))
            }
            BlockStorage::WithoutProjectId => {
                endpoints.push(("block-storage", format!("{base}/volume/v3")))
            }
            BlockStorage::VolumeV3 => {
                endpoints.push(("volumev3", format!("{base}/volume/v3/$(project_id)s")))
            }
            BlockStorage::Absent => {}
        }
        endpoints
    }

    /// `n` ACTIVE servers in `project_id` (names `lab-vm-001`… continuing
    /// the project's numbering), varied flavors and images, created over the
    /// past hours, each with a port and fixed IP on `private`, and Gnocchi
    /// `instance` + `instance_network_interface` resources. Returns their ids
    /// in name order.
    pub fn seed(&self, project_id: &str, n: usize) -> Vec<String> {
        self.shared.world().seed(project_id, n)
    }

    /// Gnocchi data such that `cpu` `rate:mean` at granularity G is
    /// `percent / 100 * vcpus * G * 1e9` (cumulative nanoseconds).
    pub fn set_cpu_percent(&self, server_id: &str, percent: f64) {
        self.shared.world().set_cpu_percent(server_id, percent);
    }

    /// `network.incoming.bytes` of the server's interface grows by this many
    /// bytes per second (so `rate:mean` at G is `bytes_per_sec * G`).
    pub fn set_net_in_rate(&self, server_id: &str, bytes_per_sec: f64) {
        self.shared
            .world()
            .set_net_in_rate(server_id, bytes_per_sec);
    }

    /// Every request to `service` (version documents included) answers
    /// `status` with that service's error body, until [`Self::clear_failures`].
    pub fn fail(&self, service: Service, status: u16) {
        self.shared
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(service, status);
    }

    pub fn clear_failures(&self) {
        self.shared
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn count(&self, service: Service) -> usize {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|r| r.service == service)
            .count()
    }

    pub fn reset_requests(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The server as `GET /servers/{id}` would show it at the newest
    /// microversion, without counting as a poll; None once it is gone.
    pub fn server(&self, id: &str) -> Option<Value> {
        let world = self.shared.world();
        nova::render_server_snapshot(&world, &self.shared.base, id)
    }

    /// Ids of the project's servers that Nova still shows (any status).
    pub fn server_ids(&self, project_id: &str) -> Vec<String> {
        self.shared.world().visible_server_ids(project_id)
    }

    /// Every floating IP (all projects), as Neutron shows them.
    pub fn floating_ips(&self) -> Vec<Value> {
        let world = self.shared.world();
        world.render_all_floating_ips()
    }

    /// A volume of `project_id` (Cinder's view, and Nova's
    /// `volumes_attached` if it is attached); returns its id.
    pub fn add_volume(&self, project_id: &str, spec: NewVolume) -> String {
        self.shared.world().add_volume(project_id, spec)
    }

    /// The project's volumes as `GET /v3/{project_id}/volumes/detail`
    /// shows them, newest first.
    pub fn volumes(&self, project_id: &str) -> Vec<Value> {
        let world = self.shared.world();
        let mut own: Vec<&world::FakeVolume> = world
            .volumes
            .iter()
            .filter(|v| v.project_id == project_id)
            .collect();
        own.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        own.into_iter()
            .map(|v| cinder::render_volume(v, &self.shared.base, true))
            .collect()
    }

    /// Replaces the server's console log.
    pub fn console_set(&self, server_id: &str, text: &str) {
        self.shared.world().console_set(server_id, text);
    }

    /// The shared state behind the fakes, for a test that shapes it
    /// (routers, security groups, a failed server) beyond [`Self::seed`].
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.shared.world()
    }

    /// Id of the network named `name` (`private`, `i4labnet`).
    pub fn network_id(&self, name: &str) -> Option<String> {
        self.shared.world().network_id_by_name(name)
    }

    /// Id of the image named `name`.
    pub fn image_id(&self, name: &str) -> Option<String> {
        self.shared.world().image_id_by_name(name)
    }

    /// Gnocchi id of the server's `instance_network_interface` resource.
    pub fn interface_resource_id(&self, server_id: &str) -> Option<String> {
        self.shared.world().interface_resource_id(server_id)
    }

    /// Gnocchi metric id of metric `name` on the server's `instance` resource.
    pub fn instance_metric_id(&self, server_id: &str, name: &str) -> Option<String> {
        self.shared.world().instance_metric_id(server_id, name)
    }
}

// ---------------------------------------------------------------------------
// Dispatch

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let raw_query = uri.query().unwrap_or("").to_string();
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(service) = classify(&path) else {
        return text_response(
            404,
            "404 Not Found\n\nThe resource could not be found.\n\n   ",
        );
    };
    let kept_body = if service == Service::Compute {
        body.clone()
    } else {
        Bytes::new()
    };
    let req = Req {
        method: method.clone(),
        rest: path[service.prefix().len()..].to_string(),
        query: parse_query(&raw_query),
        headers,
        body,
        base: shared.base.clone(),
    };
    let mut response = dispatch(&shared, service, &req).await;
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert("x-openstack-request-id", value.clone());
        if service == Service::Compute {
            response.headers_mut().insert("x-compute-request-id", value);
        }
    }
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(RecordedRequest {
            service,
            method: method.to_string(),
            path,
            query: raw_query,
            status: response.status().as_u16(),
            token,
            body: kept_body,
        });
    response
}

fn classify(path: &str) -> Option<Service> {
    [
        Service::Compute,
        Service::Network,
        Service::Image,
        Service::Metric,
        Service::BlockStorage,
    ]
    .into_iter()
    .find(|s| {
        let prefix = s.prefix();
        path == prefix || path.starts_with(&format!("{prefix}/"))
    })
}

async fn dispatch(shared: &Shared, service: Service, req: &Req) -> Response {
    let injected = shared
        .failures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&service)
        .copied();
    if let Some(status) = injected {
        return injected_failure(shared, service, status, req);
    }
    let version_doc = match service {
        Service::Compute => nova::version_document(req),
        Service::Network => neutron::version_document(req),
        Service::Image => glance::version_document(req),
        Service::Metric => gnocchi::version_document(req),
        Service::BlockStorage => cinder::version_document(req),
    };
    if let Some(response) = version_doc {
        return response;
    }
    let ctx = match authenticate(shared, req).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return unauthorized(shared),
        Err(response) => return response,
    };
    match service {
        Service::Compute => nova::handle(shared, &ctx, req),
        Service::Network => neutron::handle(shared, &ctx, req),
        Service::Image => glance::handle(shared, &ctx, req),
        Service::Metric => {
            gnocchi::delay_aggregates(shared, req).await;
            gnocchi::handle(shared, &ctx, req)
        }
        Service::BlockStorage => cinder::handle(shared, &ctx, req),
    }
}

fn injected_failure(shared: &Shared, service: Service, status: u16, req: &Req) -> Response {
    if status == 401 {
        return unauthorized(shared);
    }
    match service {
        Service::Compute => nova::fault(status, &default_message(status, service)),
        Service::Network => neutron::error(
            status,
            webob_class(status),
            &default_message(status, service),
        ),
        Service::Image => webob_error(status, &default_message(status, service), req),
        Service::Metric => gnocchi::error(status, Value::String(default_message(status, service))),
        Service::BlockStorage => nova::fault(status, &default_message(status, service)),
    }
}

/// What each service says for an unexpected failure with that status.
fn default_message(status: u16, service: Service) -> String {
    match (service, status) {
        (Service::Compute, 500) => "Unexpected API Error. Please report this at \
             http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n\
             <class 'oslo_messaging.exceptions.MessagingTimeout'>"
            .to_string(),
        (Service::Network, 500) => {
            "Request Failed: internal server error while processing your request.".to_string()
        }
        _ => webob_explanation(status).to_string(),
    }
}

// ---------------------------------------------------------------------------
// Authentication

fn unauthorized(shared: &Shared) -> Response {
    let uri = match &shared.options.token_check {
        TokenCheck::Keystone { auth_url, .. } => auth_url.clone(),
        TokenCheck::AnyToken { .. } => format!("{}/identity", shared.base),
    };
    let body = json!({"error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }});
    let mut response = json_response(401, &body);
    if let Ok(value) = HeaderValue::from_str(&format!("Keystone uri=\"{uri}\"")) {
        response.headers_mut().insert("www-authenticate", value);
    }
    response
}

/// Ok(Some) valid, Ok(None) invalid or missing, Err: Keystone unreachable (503).
async fn authenticate(shared: &Shared, req: &Req) -> Result<Option<Ctx>, Response> {
    let Some(token) = req.header("x-auth-token").filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    match &shared.options.token_check {
        TokenCheck::AnyToken { project_id } => Ok(Some(Ctx {
            project_id: project_id.clone(),
            user_id: ANY_TOKEN_USER_ID.to_string(),
            is_admin: false,
        })),
        TokenCheck::Keystone {
            auth_url,
            admin_user,
            admin_password,
            admin_project,
            domain,
        } => {
            let v3 = v3_url(auth_url);
            for attempt in 0..2 {
                let admin = match admin_token(
                    shared,
                    &v3,
                    admin_user,
                    admin_password,
                    admin_project,
                    domain,
                    attempt > 0,
                )
                .await
                {
                    Ok(t) => t,
                    Err(e) => return Err(keystone_unavailable(&e)),
                };
                let result = shared
                    .http
                    .get(format!("{v3}/auth/tokens"))
                    .header("X-Auth-Token", &admin)
                    .header("X-Subject-Token", token)
                    .header("Accept", "application/json")
                    .send()
                    .await;
                let response = match result {
                    Ok(r) => r,
                    Err(e) => return Err(keystone_unavailable(&e.to_string())),
                };
                match response.status().as_u16() {
                    200 => {
                        let body: Value = response.json().await.unwrap_or(Value::Null);
                        let project_id = body
                            .pointer("/token/project/id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        if project_id.is_empty() {
                            return Ok(None);
                        }
                        let user_id = body
                            .pointer("/token/user/id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        let is_admin = body
                            .pointer("/token/roles")
                            .and_then(Value::as_array)
                            .is_some_and(|roles| roles.iter().any(|r| r["name"] == "admin"));
                        return Ok(Some(Ctx {
                            project_id,
                            user_id,
                            is_admin,
                        }));
                    }
                    401 | 403 if attempt == 0 => continue,
                    _ => return Ok(None),
                }
            }
            Ok(None)
        }
    }
}

fn v3_url(auth_url: &str) -> String {
    let trimmed = auth_url.trim_end_matches('/');
    if trimmed.ends_with("/v3") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/v3")
    }
}

async fn admin_token(
    shared: &Shared,
    v3: &str,
    user: &str,
    password: &str,
    project: &str,
    domain: &str,
    fresh: bool,
) -> Result<String, String> {
    let mut cached = shared.admin_token.lock().await;
    if !fresh && let Some(token) = cached.as_ref() {
        return Ok(token.clone());
    }
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": domain}, "password": password,
        }}},
        "scope": {"project": {"name": project, "domain": {"name": domain}}},
    }});
    let response = shared
        .http
        .post(format!("{v3}/auth/tokens"))
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().as_u16() != 201 {
        return Err(format!("admin login answered {}", response.status()));
    }
    let token = response
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .ok_or("no X-Subject-Token in Keystone's answer")?
        .to_string();
    *cached = Some(token.clone());
    Ok(token)
}

fn keystone_unavailable(reason: &str) -> Response {
    eprintln!("openstack fake: cannot validate a token with Keystone: {reason}");
    let body = json!({"error": {
        "code": 503,
        "title": "Service Unavailable",
        "message": "The Keystone service is temporarily unavailable.",
    }});
    json_response(503, &body)
}

// ---------------------------------------------------------------------------
// Shared helpers

pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

pub(crate) fn empty_response(status: u16) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

pub(crate) fn text_response(status: u16, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

pub(crate) fn status_title(status: u16) -> &'static str {
    match status {
        300 => "Multiple Choices",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// webob's default explanation of a status.
pub(crate) fn webob_explanation(status: u16) -> &'static str {
    match status {
        400 => {
            "The server could not comply with the request since it is either malformed or \
             otherwise incorrect."
        }
        401 => {
            "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required."
        }
        403 => "Access was denied to this resource.",
        404 => "The resource could not be found.",
        405 => "The method is not allowed for this resource.",
        409 => "There was a conflict when trying to complete your request.",
        413 => "The request is larger than the server is willing or able to process.",
        429 => "The user has sent too many requests in a given amount of time.",
        500 => "The server has either erred or is incapable of performing the requested operation.",
        501 => "The server has not implemented the requested method.",
        502 => "Bad gateway.",
        503 => "The server is currently unavailable. Please try again at a later time.",
        504 => "The gateway has timed out.",
        _ => "An error occurred.",
    }
}

/// webob's exception class name for a status (Neutron's `type` of HTTP errors).
pub(crate) fn webob_class(status: u16) -> &'static str {
    match status {
        400 => "HTTPBadRequest",
        401 => "HTTPUnauthorized",
        403 => "HTTPForbidden",
        404 => "HTTPNotFound",
        405 => "HTTPMethodNotAllowed",
        409 => "HTTPConflict",
        413 => "HTTPRequestEntityTooLarge",
        429 => "HTTPTooManyRequests",
        500 => "HTTPInternalServerError",
        501 => "HTTPNotImplemented",
        502 => "HTTPBadGateway",
        503 => "HTTPServiceUnavailable",
        504 => "HTTPGatewayTimeout",
        _ => "HTTPError",
    }
}

/// How webob 1.8 renders an HTTP exception: it picks between `text/html` and
/// `application/json` by the request's `Accept` (ties go to HTML), falling
/// back to plain text when neither is acceptable or there is no `Accept`.
pub(crate) fn webob_error(status: u16, explanation: &str, req: &Req) -> Response {
    let title = status_title(status);
    let code = format!("{status} {title}");
    match webob_accept(req.header("accept")) {
        Some("application/json") => json_response(
            status,
            &json!({
                "message": format!("{explanation}<br /><br />\n\n\n"),
                "code": code,
                "title": title,
            }),
        ),
        Some(_) => {
            let html = format!(
                "<html>\n <head>\n  <title>{code}</title>\n </head>\n <body>\n  <h1>{code}</h1>\n  {explanation}<br /><br />\n\n\n\n </body>\n</html>"
            );
            let mut response = text_response(status, &html);
            response.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("text/html; charset=UTF-8"),
            );
            response
        }
        None => text_response(status, &format!("{code}\n\n{explanation}\n\n   ")),
    }
}

fn webob_accept(accept: Option<&str>) -> Option<&'static str> {
    let accept = accept?;
    let quality = |offer: &str| -> f64 {
        let (offer_type, offer_sub) = offer.split_once('/').unwrap_or((offer, ""));
        let mut best: Option<(u8, f64)> = None;
        for part in accept.split(',') {
            let mut pieces = part.split(';');
            let range = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f64>().ok())
                .unwrap_or(1.0);
            let (t, s) = range.split_once('/').unwrap_or((range.as_str(), ""));
            let specificity = if t == offer_type && s == offer_sub {
                3
            } else if t == offer_type && s == "*" {
                2
            } else if t == "*" && s == "*" {
                1
            } else {
                continue;
            };
            if best.is_none_or(|(spec, _)| specificity > spec) {
                best = Some((specificity, q));
            }
        }
        best.map(|(_, q)| q).unwrap_or(0.0)
    };
    let html = quality("text/html");
    let json = quality("application/json");
    if html <= 0.0 && json <= 0.0 {
        None
    } else if json > html {
        Some("application/json")
    } else {
        Some("text/html")
    }
}

/// Splits and percent-decodes a query string (`+` is a space).
pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (url_decode(k), url_decode(v))
        })
        .collect()
}

pub(crate) fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `urllib.parse.urlencode` (quote_plus, nothing safe but `_.-~`).
pub(crate) fn url_encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A tiny subset of Python's `re.search`: literals, `.`, `*`, `+`, `?`,
/// `^`/`$` anchors and `\` escapes (what Nova's `name`/`ip` filters get used with).
pub(crate) fn regex_search(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy)]
    enum Atom {
        Any,
        Char(char),
    }
    #[derive(Clone, Copy)]
    enum Rep {
        One,
        Star,
        Plus,
        Opt,
    }
    let mut chars: Vec<char> = pattern.chars().collect();
    let anchored_start = chars.first() == Some(&'^');
    if anchored_start {
        chars.remove(0);
    }
    let anchored_end =
        chars.last() == Some(&'$') && !(chars.len() >= 2 && chars[chars.len() - 2] == '\\');
    if anchored_end {
        chars.pop();
    }
    let mut items: Vec<(Atom, Rep)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let atom = match chars[i] {
            '.' => Atom::Any,
            '\\' if i + 1 < chars.len() => {
                i += 1;
                Atom::Char(chars[i])
            }
            c => Atom::Char(c),
        };
        i += 1;
        let rep = match chars.get(i) {
            Some('*') => Rep::Star,
            Some('+') => Rep::Plus,
            Some('?') => Rep::Opt,
            _ => Rep::One,
        };
        if !matches!(rep, Rep::One) {
            i += 1;
        }
        items.push((atom, rep));
    }
    let text: Vec<char> = text.chars().collect();
    fn atom_matches(atom: Atom, c: char) -> bool {
        match atom {
            Atom::Any => c != '\n',
            Atom::Char(x) => x == c,
        }
    }
    fn match_here(items: &[(Atom, Rep)], text: &[char], end: bool) -> bool {
        let Some(&(atom, rep)) = items.first() else {
            return !end || text.is_empty();
        };
        let rest = &items[1..];
        let (min, max) = match rep {
            Rep::One => (1, 1),
            Rep::Star => (0, usize::MAX),
            Rep::Plus => (1, usize::MAX),
            Rep::Opt => (0, 1),
        };
        let mut n = 0;
        while n < max && n < text.len() && atom_matches(atom, text[n]) {
            n += 1;
        }
        if n < min {
            return false;
        }
        (min..=n).rev().any(|k| match_here(rest, &text[k..], end))
    }
    if anchored_start {
        return match_here(&items, &text, anchored_end);
    }
    (0..=text.len()).any(|start| match_here(&items, &text[start..], anchored_end))
}

/// Shell-style wildcard match (`*`, `?`), as `fnmatch.fnmatch` on names.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|k| go(&p[1..], &t[k..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

/// A lenient bool as the services parse query strings.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}
