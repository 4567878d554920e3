//! A real Keystone (PyPI `keystone`, pinned in tests/requirements.txt) on
//! loopback, for the OpenStack tests: hytop authenticates against it, and the
//! fake Nova/Neutron/Glance/Gnocchi validate its tokens with it.
//!
//! - [`Keystone::shared`]: one Keystone per test process, started on first
//!   use (tokens live an hour). Tests isolate themselves with
//!   [`Keystone::new_user`] (a fresh project and user) and their own region
//!   name in [`Keystone::register_region`].
//! - [`Keystone::start_with_token_lifetime`]: a private Keystone, for tests
//!   about token expiry; killed when dropped.
//!
//! How it runs: `keystone-manage` (db_sync, credential_setup, bootstrap)
//! builds a SQLite database once into a template directory under
//! `<target>/tmp`, keyed by the venv's Keystone, so later test
//! processes skip those ~10 s. Each instance gets a copy of that database, its
//! own freshly generated Fernet token keys (tokens of one instance are never
//! valid on another), and is served by `tests/support/keystone_server.py`
//! (Keystone's Flask WSGI app in a threaded wsgiref server). The server exits
//! when its stdin closes, so the `static` shared instance dies with the test
//! process.
//!
//! Every method blocks (plain HTTP/1.1 through [`super::http_request`]); from
//! an async test call them before the runtime work or in `spawn_blocking`.
//! They may be called from several test threads at once.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use serde_json::{Value, json};

use super::{HttpResponse, http_request};

/// Token lifetime of [`Keystone::shared`].
pub const SHARED_TOKEN_LIFETIME_SECS: u32 = 3600;
/// Password of the bootstrap `admin` user (in the template database).
pub const ADMIN_PASSWORD: &str = "hytop-admin-password";
/// Password of [`Keystone::student`].
pub const STUDENT_PASSWORD: &str = "hytop-student-password";

/// How long Keystone may take to answer its first request.
const START_DEADLINE: Duration = Duration::from_secs(90);
/// Port races (another process takes the port between our probe and the
/// server's bind) are retried this many times.
const START_ATTEMPTS: usize = 3;
/// Timeout of one request to Keystone.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The admin token is renewed when older than this (or than a third of the
/// token lifetime, whichever is shorter).
const ADMIN_TOKEN_MAX_AGE: Duration = Duration::from_secs(240);
/// Identity endpoint URL that `bootstrap` writes into the template; each
/// instance replaces it with its own URL once it is up.
const PLACEHOLDER_AUTH_URL: &str = "http://127.0.0.1:9/v3";
/// Silences the 10-line `EventletDeprecationWarning` that importing
/// oslo.service prints (it is a plain `Warning`, so it is matched by module).
const PYTHON_WARNINGS: &str = "ignore::Warning:oslo_service.backend._eventlet.loopingcall";
/// Bumped whenever the template's contents change, so stale caches are ignored.
const TEMPLATE_FORMAT: u32 = 1;

/// A user that can authenticate, with the project it is a member of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeystoneUser {
    pub user_id: String,
    pub user_name: String,
    pub password: String,
    pub project_id: String,
    pub project_name: String,
    /// Domain of both the user and the project: always `"Default"`.
    pub domain_name: String,
}

/// What `GET /v3/auth/tokens` says about a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidToken {
    pub user_id: String,
    /// Empty for a token that is not project-scoped.
    pub project_id: String,
    /// As Keystone writes it, e.g. `2026-01-01T12:00:00.000000Z`.
    pub expires_at: String,
}

pub struct Keystone {
    addr: SocketAddr,
    token_lifetime: Duration,
    admin: KeystoneUser,
    student: KeystoneUser,
    member_role_id: String,
    /// (token, when it was issued).
    admin_token: Mutex<Option<(String, Instant)>>,
    /// Serialises [`Keystone::register_region`]; holds service type -> id.
    services: Mutex<HashMap<String, String>>,
    /// Makes the names of [`Keystone::new_user`] unique.
    counter: AtomicU64,
    log_path: PathBuf,
    /// Closed first on drop: the server exits on stdin EOF.
    stdin: Option<ChildStdin>,
    child: Child,
    /// Database, keys, config and log; removed on drop (the server removes
    /// it itself when its stdin closes, which covers the `static` instance).
    _dir: tempfile::TempDir,
}

impl Keystone {
    /// The Keystone of this test process (tokens live
    /// [`SHARED_TOKEN_LIFETIME_SECS`]), started on first call. Blocking;
    /// panics with Keystone's log if it cannot start.
    pub fn shared() -> &'static Keystone {
        static SHARED: OnceLock<Keystone> = OnceLock::new();
        SHARED.get_or_init(|| Keystone::start_with_token_lifetime(SHARED_TOKEN_LIFETIME_SECS))
    }

    /// A private Keystone whose tokens live `secs` seconds; stopped when
    /// dropped. Blocking; panics with Keystone's log if it cannot start.
    pub fn start_with_token_lifetime(secs: u32) -> Keystone {
        let started = Instant::now();
        let venv = venv();
        let template = template(&venv);
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(&venv, template, secs) {
                Ok(keystone) => {
                    // Captured by the test harness; shown with --nocapture.
                    eprintln!(
                        "keystone: instance on {} (token lifetime {secs} s) ready in {:?}",
                        keystone.addr,
                        started.elapsed()
                    );
                    return keystone;
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "Keystone did not start after {START_ATTEMPTS} attempts:\n\n{}",
            failures.join("\n\n")
        );
    }

    fn try_start(venv: &Path, template: &Path, secs: u32) -> Result<Keystone, String> {
        let dir = tempfile::Builder::new()
            .prefix("hytop-keystone-")
            .tempdir()
            .expect("create a temp dir for Keystone");
        let root = dir.path();
        fs::copy(template.join("keystone.db"), root.join("keystone.db"))
            .expect("copy the template database");
        copy_dir(
            &template.join("credential-keys"),
            &root.join("credential-keys"),
        );
        write_fernet_keys(&root.join("fernet-keys"));
        let config = root.join("keystone.conf");
        fs::write(&config, config_text(root, secs)).expect("write keystone.conf");
        let log_path = root.join("keystone.log");
        // Append mode: Keystone's own log handler appends to the same file.
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("create Keystone's log file");

        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let python = venv.join("bin").join("python");
        let mut child = Command::new(&python)
            .arg(server_script())
            .arg(&config)
            .arg(port.to_string())
            .arg(root)
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONWARNINGS", PYTHON_WARNINGS)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("clone log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        let stdin = child.stdin.take();

        let lifetime = Duration::from_secs(u64::from(secs));
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "keystone_server.py on port {port} exited with {status}; its log:\n{}",
                    read_log(&log_path)
                ));
            }
            if let Ok(response) = http_request(addr, "GET", "/v3", &[], b"", Duration::from_secs(5))
            {
                // keystone_server.py names its config file in every answer.
                if response.header("x-hytop-keystone-config") != Some(&*config.to_string_lossy()) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "port {port} is served by another process (it answered GET /v3 with {} {:?})",
                        response.status,
                        response.text()
                    ));
                }
                if response.status == 200 {
                    break;
                }
            }
            if started.elapsed() > START_DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "Keystone on port {port} did not answer GET /v3 within {START_DEADLINE:?}; its log:\n{}",
                    read_log(&log_path)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }

        // Who the bootstrap admin is (ids differ per template).
        let admin_name = KeystoneUser {
            user_id: String::new(),
            user_name: "admin".into(),
            password: ADMIN_PASSWORD.into(),
            project_id: String::new(),
            project_name: "admin".into(),
            domain_name: "Default".into(),
        };
        let mut keystone = Keystone {
            addr,
            token_lifetime: lifetime,
            admin: admin_name,
            student: KeystoneUser {
                user_id: String::new(),
                user_name: String::new(),
                password: String::new(),
                project_id: String::new(),
                project_name: String::new(),
                domain_name: String::new(),
            },
            member_role_id: String::new(),
            admin_token: Mutex::new(None),
            services: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            log_path,
            stdin,
            child,
            _dir: dir,
        };
        let (token, body) = keystone
            .authenticate(&password_auth_by_name(&keystone.admin))
            .unwrap_or_else(|(status, text)| {
                keystone.fail(&format!("admin login answered {status}: {text}"))
            });
        keystone.admin.user_id = str_at(&body, "/token/user/id");
        keystone.admin.project_id = str_at(&body, "/token/project/id");
        *keystone.admin_token.lock().unwrap() = Some((token, Instant::now()));

        keystone.fix_identity_endpoints();
        keystone.member_role_id = keystone.role_id("member");
        keystone.student = keystone.create_user("lab", "student", STUDENT_PASSWORD);
        Ok(keystone)
    }

    /// `http://127.0.0.1:PORT/v3`, the `auth_url` of a clouds.yaml.
    pub fn auth_url(&self) -> String {
        format!("http://{}/v3", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How long this instance's tokens live.
    pub fn token_lifetime(&self) -> Duration {
        self.token_lifetime
    }

    /// The bootstrap admin (role `admin` on project `admin`, and on the system).
    pub fn admin(&self) -> &KeystoneUser {
        &self.admin
    }

    /// User `student` with role `member` on project `lab` (domain Default).
    pub fn student(&self) -> &KeystoneUser {
        &self.student
    }

    /// A fresh project and user (names `<prefix>-<n>-project` and
    /// `<prefix>-<n>`), the user with role `member` on the project.
    pub fn new_user(&self, prefix: &str) -> KeystoneUser {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let user_name = format!("{prefix}-{n}");
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        self.create_user(&format!("{user_name}-project"), &user_name, &password)
    }

    fn create_user(&self, project_name: &str, user_name: &str, password: &str) -> KeystoneUser {
        let project = self.admin_call(
            "POST",
            "/v3/projects",
            Some(&json!({"project": {"name": project_name, "domain_id": "default", "enabled": true}})),
            &[201],
        );
        let project_id = str_at(&project, "/project/id");
        let user = self.admin_call(
            "POST",
            "/v3/users",
            Some(&json!({"user": {
                "name": user_name,
                "password": password,
                "domain_id": "default",
                "default_project_id": project_id,
                "enabled": true,
            }})),
            &[201],
        );
        let user_id = str_at(&user, "/user/id");
        self.admin_call(
            "PUT",
            &format!(
                "/v3/projects/{project_id}/users/{user_id}/roles/{}",
                self.member_role_id
            ),
            None,
            &[204],
        );
        KeystoneUser {
            user_id,
            user_name: user_name.into(),
            password: password.into(),
            project_id,
            project_name: project_name.into(),
            domain_name: "Default".into(),
        }
    }

    /// Creates region `region` if missing, the services (compute "nova",
    /// network "neutron", image "glance", metric "gnocchi"; any other type
    /// named after itself) if missing, and a public and an internal endpoint
    /// in `region` for each `(service type, url)`. Calling it again for the
    /// same region and type updates the URL.
    pub fn register_region(&self, region: &str, endpoints: &[(&str, &str)]) {
        let mut services = self.services.lock().unwrap_or_else(|e| e.into_inner());
        if services.is_empty() {
            for (kind, _) in KNOWN_SERVICES {
                self.ensure_service(&mut services, kind);
            }
        }
        let existing = self.admin_request("GET", &format!("/v3/regions/{region}"), None);
        match existing.status {
            200 => {}
            404 => {
                self.admin_call(
                    "POST",
                    "/v3/regions",
                    Some(&json!({"region": {"id": region, "description": "hytop test region"}})),
                    &[201],
                );
            }
            status => self.fail(&format!(
                "GET /v3/regions/{region} answered {status}: {}",
                existing.text()
            )),
        }
        for (kind, url) in endpoints {
            let service_id = self.ensure_service(&mut services, kind);
            for interface in ["public", "internal"] {
                let found = self.admin_call(
                    "GET",
                    &format!(
                        "/v3/endpoints?service_id={service_id}&interface={interface}&region_id={region}"
                    ),
                    None,
                    &[200],
                );
                let found = found["endpoints"].as_array().cloned().unwrap_or_default();
                if let Some(endpoint) = found.first() {
                    if endpoint["url"] != *url {
                        self.admin_call(
                            "PATCH",
                            &format!("/v3/endpoints/{}", str_at(endpoint, "/id")),
                            Some(&json!({"endpoint": {"url": url}})),
                            &[200],
                        );
                    }
                } else {
                    self.admin_call(
                        "POST",
                        "/v3/endpoints",
                        Some(&json!({"endpoint": {
                            "service_id": service_id,
                            "interface": interface,
                            "region_id": region,
                            "url": url,
                            "enabled": true,
                        }})),
                        &[201],
                    );
                }
            }
        }
    }

    fn ensure_service(&self, services: &mut HashMap<String, String>, kind: &str) -> String {
        if let Some(id) = services.get(kind) {
            return id.clone();
        }
        let listed = self.admin_call("GET", &format!("/v3/services?type={kind}"), None, &[200]);
        let id = match listed["services"].as_array().and_then(|s| s.first()) {
            Some(service) => str_at(service, "/id"),
            None => {
                let name = KNOWN_SERVICES
                    .iter()
                    .find(|(k, _)| k == &kind)
                    .map_or(kind, |(_, name)| name);
                let created = self.admin_call(
                    "POST",
                    "/v3/services",
                    Some(&json!({"service": {"type": kind, "name": name, "enabled": true}})),
                    &[201],
                );
                str_at(&created, "/service/id")
            }
        };
        services.insert(kind.to_string(), id.clone());
        id
    }

    /// `POST /v3/users/{id}/application_credentials` with a project-scoped
    /// token of `user`; returns (id, secret). `name` must be new for the user.
    pub fn create_application_credential(
        &self,
        user: &KeystoneUser,
        name: &str,
    ) -> (String, String) {
        let token = self.password_token(user);
        let body = json!({"application_credential": {"name": name}});
        let response = self.request(
            "POST",
            &format!("/v3/users/{}/application_credentials", user.user_id),
            Some(&token),
            &[],
            Some(&body),
        );
        let body = self.expect_json(&response, "POST application_credentials", &[201]);
        (
            str_at(&body, "/application_credential/id"),
            str_at(&body, "/application_credential/secret"),
        )
    }

    /// A project-scoped password token (X-Subject-Token) for `user`.
    pub fn password_token(&self, user: &KeystoneUser) -> String {
        self.authenticate(&password_auth_by_name(user))
            .unwrap_or_else(|(status, text)| {
                self.fail(&format!(
                    "password login of {} answered {status}: {text}",
                    user.user_name
                ))
            })
            .0
    }

    /// `POST /v3/auth/tokens` with `body` (a whole `{"auth": ...}` request):
    /// on 201, (X-Subject-Token, the response's JSON, `{"token": ...}`); else
    /// (status, response text).
    pub fn authenticate(&self, body: &Value) -> Result<(String, Value), (u16, String)> {
        let response = self.request("POST", "/v3/auth/tokens", None, &[], Some(body));
        if response.status != 201 {
            return Err((response.status, response.text()));
        }
        let token = response
            .header("x-subject-token")
            .unwrap_or_else(|| self.fail("POST /v3/auth/tokens gave no X-Subject-Token"))
            .to_string();
        let json = self.expect_json(&response, "POST /v3/auth/tokens", &[201]);
        Ok((token, json))
    }

    /// `GET /v3/auth/tokens` with the admin token: None when Keystone says
    /// the token is invalid (expired, revoked, garbage).
    pub fn validate(&self, token: &str) -> Option<ValidToken> {
        let body = self.validate_json(token)?;
        Some(ValidToken {
            user_id: str_at(&body, "/token/user/id"),
            project_id: body
                .pointer("/token/project/id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            expires_at: str_at(&body, "/token/expires_at"),
        })
    }

    /// Like [`Keystone::validate`], but the whole response (`{"token":
    /// {...}}`, with roles and catalog).
    pub fn validate_json(&self, token: &str) -> Option<Value> {
        for attempt in 0..2 {
            let admin = self.admin_token(attempt > 0);
            let response = self.request(
                "GET",
                "/v3/auth/tokens",
                Some(&admin),
                &[("X-Subject-Token", token)],
                None,
            );
            match response.status {
                200 => return Some(self.expect_json(&response, "GET /v3/auth/tokens", &[200])),
                404 => return None,
                // Our admin token may have expired (short lifetimes): retry
                // once with a new one; a 401 then is about `token`.
                401 => continue,
                status => self.fail(&format!(
                    "GET /v3/auth/tokens answered {status}: {}",
                    response.text()
                )),
            }
        }
        None
    }

    /// `DELETE /v3/auth/tokens`: revokes `token` (no-op if already invalid).
    pub fn revoke(&self, token: &str) {
        let response = self.request(
            "DELETE",
            "/v3/auth/tokens",
            Some(&self.admin_token(false)),
            &[("X-Subject-Token", token)],
            None,
        );
        if !matches!(response.status, 204 | 404) {
            self.fail(&format!(
                "DELETE /v3/auth/tokens answered {}: {}",
                response.status,
                response.text()
            ));
        }
    }

    /// Everything Keystone logged so far.
    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }

    /// A request as the admin (project-scoped token of [`Keystone::admin`]).
    pub fn admin_request(&self, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        let token = self.admin_token(false);
        self.request(method, path, Some(&token), &[], body)
    }

    /// A request to Keystone with an optional X-Auth-Token; panics (with
    /// the log) only if the request itself fails.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> HttpResponse {
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("Accept", "application/json")];
        if body.is_some() {
            all.push(("Content-Type", "application/json"));
        }
        if let Some(token) = token {
            all.push(("X-Auth-Token", token));
        }
        all.extend_from_slice(headers);
        http_request(
            self.addr,
            method,
            path,
            &all,
            payload.as_bytes(),
            REQUEST_TIMEOUT,
        )
        .unwrap_or_else(|e| self.fail(&format!("{method} {path} to Keystone failed: {e}")))
    }

    fn admin_call(&self, method: &str, path: &str, body: Option<&Value>, ok: &[u16]) -> Value {
        let response = self.admin_request(method, path, body);
        self.expect_json(&response, &format!("{method} {path}"), ok)
    }

    /// The response's JSON (Null for an empty body) if its status is in `ok`.
    fn expect_json(&self, response: &HttpResponse, what: &str, ok: &[u16]) -> Value {
        if !ok.contains(&response.status) {
            self.fail(&format!(
                "{what} answered {}: {}",
                response.status,
                response.text()
            ));
        }
        if response.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            self.fail(&format!(
                "{what} answered invalid JSON ({e}): {}",
                response.text()
            ))
        })
    }

    /// A cached project-scoped admin token, renewed when old (or `fresh`).
    fn admin_token(&self, fresh: bool) -> String {
        let max_age = ADMIN_TOKEN_MAX_AGE.min(self.token_lifetime / 3);
        let mut cached = self.admin_token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, issued)) = cached.as_ref()
            && !fresh
            && issued.elapsed() < max_age
        {
            return token.clone();
        }
        let issued = Instant::now();
        let token = self.password_token(&self.admin);
        *cached = Some((token.clone(), issued));
        token
    }

    fn role_id(&self, name: &str) -> String {
        let roles = self.admin_call("GET", &format!("/v3/roles?name={name}"), None, &[200]);
        roles
            .pointer("/roles/0/id")
            .and_then(Value::as_str)
            .unwrap_or_else(|| self.fail(&format!("no role {name:?}: {roles}")))
            .to_string()
    }

    /// Points the identity endpoints `bootstrap` made at this instance.
    fn fix_identity_endpoints(&self) {
        let endpoints = self.admin_call("GET", "/v3/endpoints", None, &[200]);
        for endpoint in endpoints["endpoints"].as_array().into_iter().flatten() {
            if endpoint["url"] == PLACEHOLDER_AUTH_URL {
                self.admin_call(
                    "PATCH",
                    &format!("/v3/endpoints/{}", str_at(endpoint, "/id")),
                    Some(&json!({"endpoint": {"url": self.auth_url()}})),
                    &[200],
                );
            }
        }
    }

    fn fail(&self, message: &str) -> ! {
        panic!("{message}\nKeystone's log:\n{}", tail(&self.log(), 80));
    }
}

impl Drop for Keystone {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of Keystone's log ({}) ---\n{}",
                self.log_path.display(),
                tail(&self.log(), 60)
            );
        }
    }
}

/// Service types [`Keystone::register_region`] knows, with their names.
const KNOWN_SERVICES: [(&str, &str); 4] = [
    ("compute", "nova"),
    ("network", "neutron"),
    ("image", "glance"),
    ("metric", "gnocchi"),
];

/// A password `auth` body scoped to the user's project by name and domain.
pub fn password_auth_by_name(user: &KeystoneUser) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user.user_name,
            "domain": {"name": user.domain_name},
            "password": user.password,
        }}},
        "scope": {"project": {"name": user.project_name, "domain": {"name": user.domain_name}}},
    }})
}

/// A password `auth` body scoped to the user's project by id.
pub fn password_auth_by_id(user: &KeystoneUser) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": user.user_id,
            "password": user.password,
        }}},
        "scope": {"project": {"id": user.project_id}},
    }})
}

/// An application-credential `auth` body.
pub fn application_credential_auth(id: &str, secret: &str) -> Value {
    json!({"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": id, "secret": secret},
    }}})
}

fn str_at(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in Keystone's answer: {value}"))
        .to_string()
}

fn config_text(root: &Path, token_secs: u32) -> String {
    let path = |name: &str| root.join(name).display().to_string();
    format!(
        "[DEFAULT]\n\
         debug = false\n\
         log_file = {log}\n\
         use_stderr = false\n\
         \n\
         [database]\n\
         connection = sqlite:///{db}\n\
         \n\
         [token]\n\
         provider = fernet\n\
         expiration = {token_secs}\n\
         \n\
         [fernet_tokens]\n\
         key_repository = {fernet}\n\
         \n\
         [fernet_receipts]\n\
         key_repository = {fernet}\n\
         \n\
         [credential]\n\
         key_repository = {credential}\n\
         \n\
         [identity]\n\
         # bcrypt's minimum cost: every login and user creation hashes.\n\
         password_hash_rounds = 4\n\
         # bcrypt's limit (a larger limit makes Keystone warn on every login).\n\
         max_password_length = 72\n\
         \n\
         [cache]\n\
         # In-process cache: without it each authenticated request makes ~200\n\
         # SQL queries (0.4 s); Keystone invalidates it on revocation and on\n\
         # catalog or assignment changes, and checks expiry on every use.\n\
         enabled = true\n\
         backend = dogpile.cache.memory\n",
        log = path("keystone.log"),
        db = path("keystone.db"),
        fernet = path("fernet-keys"),
        credential = path("credential-keys"),
    )
}

/// Writes a Fernet key repository as `keystone-manage fernet_setup` would
/// (a staged key `0` and a primary key `1`, each urlsafe base64 of 32 random
/// bytes), without the 2 s of starting Python.
fn write_fernet_keys(dir: &Path) {
    fs::create_dir(dir).expect("create the Fernet key repository");
    set_private(dir);
    for name in ["0", "1"] {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        let key = base64::engine::general_purpose::URL_SAFE.encode(&bytes);
        let mut file = File::create(dir.join(name)).expect("create a Fernet key");
        file.write_all(key.as_bytes()).expect("write a Fernet key");
    }
}

/// Keystone warns about world-readable key repositories.
fn set_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .expect("restrict a key repository's permissions");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir(to).expect("create a key repository copy");
    set_private(to);
    for entry in fs::read_dir(from).expect("read the template's key repository") {
        let entry = entry.expect("read the template's key repository");
        fs::copy(entry.path(), to.join(entry.file_name())).expect("copy a key");
    }
}

/// The bootstrapped template (database and credential keys), built once per
/// venv into `<target>/tmp` and reused by later test processes.
fn template(venv: &Path) -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let manage = venv.join("bin").join("keystone-manage");
        let meta = fs::metadata(&manage).expect("stat keystone-manage");
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .unwrap_or_default();
        let key = format!(
            "{TEMPLATE_FORMAT}|{}|{}|{}|{ADMIN_PASSWORD}|{}",
            fs::canonicalize(&manage)
                .unwrap_or(manage.clone())
                .display(),
            modified.as_nanos(),
            meta.len(),
            config_text(Path::new("/"), 0),
        );
        let cache = crate::target_tmpdir();
        let dir = cache.join(format!("keystone-template-{:016x}", fnv1a(key.as_bytes())));
        if dir.join("keystone.db").is_file() {
            return dir;
        }
        let started = Instant::now();
        fs::create_dir_all(&cache).expect("create <target>/tmp");
        let building = tempfile::Builder::new()
            .prefix("keystone-template-building-")
            .tempdir_in(&cache)
            .expect("create a temp dir for the Keystone template");
        build_template(&manage, building.path());
        // Atomic: a concurrent test process either sees no template or a
        // whole one. If another process won the race, use theirs.
        let building = building.keep();
        if fs::rename(&building, &dir).is_err() {
            let _ = fs::remove_dir_all(&building);
            assert!(
                dir.join("keystone.db").is_file(),
                "cannot move the Keystone template into {}",
                dir.display()
            );
        }
        eprintln!(
            "keystone: built template {} in {:?}",
            dir.display(),
            started.elapsed()
        );
        dir
    })
}

fn build_template(manage: &Path, root: &Path) {
    let config = root.join("keystone.conf");
    fs::write(&config, config_text(root, SHARED_TOKEN_LIFETIME_SECS))
        .expect("write the template's keystone.conf");
    let user = id_output("-un");
    let group = id_output("-gn");
    let run = |args: &[&str]| {
        Command::new(manage)
            .arg("--config-file")
            .arg(&config)
            .args(args)
            .env("PYTHONWARNINGS", PYTHON_WARNINGS)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", manage.display()))
    };
    let check = |what: &str, output: std::io::Result<Output>| {
        let output = output.unwrap_or_else(|e| panic!("keystone-manage {what}: {e}"));
        assert!(
            output.status.success(),
            "keystone-manage {what} failed ({}):\n{}{}\nKeystone's log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            tail(&read_log(&root.join("keystone.log")), 60)
        );
    };
    // Independent steps run side by side: each spends ~2 s importing Keystone.
    let db_sync = run(&["db_sync"]);
    let credential_setup = run(&[
        "credential_setup",
        "--keystone-user",
        &user,
        "--keystone-group",
        &group,
    ]);
    check("db_sync", db_sync.wait_with_output());
    check("credential_setup", credential_setup.wait_with_output());
    // bootstrap insists on a token key repository; instances get their own.
    write_fernet_keys(&root.join("fernet-keys"));
    let bootstrap = run(&[
        "bootstrap",
        "--bootstrap-password",
        ADMIN_PASSWORD,
        "--bootstrap-username",
        "admin",
        "--bootstrap-project-name",
        "admin",
        "--bootstrap-role-name",
        "admin",
        "--bootstrap-service-name",
        "keystone",
        "--bootstrap-region-id",
        "RegionOne",
        "--bootstrap-public-url",
        PLACEHOLDER_AUTH_URL,
        "--bootstrap-internal-url",
        PLACEHOLDER_AUTH_URL,
        "--bootstrap-admin-url",
        PLACEHOLDER_AUTH_URL,
    ]);
    check("bootstrap", bootstrap.wait_with_output());
}

fn id_output(flag: &str) -> String {
    let output = Command::new("id")
        .arg(flag)
        .output()
        .unwrap_or_else(|e| panic!("cannot run id {flag}: {e}"));
    assert!(output.status.success(), "id {flag} failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A hash that is stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The venv with Keystone: `$HYTOP_TEST_VENV`, else `<repo>/.venv`.
pub fn venv() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(venv) = std::env::var_os("HYTOP_TEST_VENV") {
        candidates.push(PathBuf::from(venv));
    }
    candidates.push(crate::repo_root().join(".venv"));
    if let Some(found) = candidates
        .iter()
        .find(|v| v.join("bin").join("keystone-manage").is_file())
    {
        return found.clone();
    }
    let looked: Vec<String> = candidates
        .iter()
        .map(|p| p.join("bin").join("keystone-manage").display().to_string())
        .collect();
    panic!(
        "keystone-manage not found (looked at {}). These tests need Keystone: run them with \
         ./scripts/test, which creates .venv with the packages in tests/requirements.txt and \
         then runs cargo test (or set HYTOP_TEST_VENV to a venv with them).",
        looked.join(", ")
    );
}

fn server_script() -> PathBuf {
    crate::support_dir().join("keystone_server.py")
}

fn read_log(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}
