//! Finds OpenStack clouds the way the `openstack` CLI does: `clouds.yaml`
//! (with secrets merged from `secure.yaml`) in the current directory,
//! `~/.config/openstack/` and `/etc/openstack/`, selected by `OS_CLOUD`, and
//! the `OS_*` variables of a sourced openrc file as one more cloud.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use serde_norway::{Mapping, Value};

use crate::config::Located;

/// The name openstacksdk gives the cloud made of `OS_*` variables.
pub const ENV_CLOUD: &str = "envvars";

/// A secret that never prints: `Debug` and `Display` show a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A user, project or domain named by id, or by name within a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Id(String),
    Name { name: String, domain: Domain },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Id(String),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    Password {
        user: Named,
        password: Secret,
        project: Named,
    },
    ApplicationCredential {
        /// By id, or by name together with its user.
        credential: AppCredentialRef,
        secret: Secret,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCredentialRef {
    Id(String),
    Name { name: String, user: Named },
}

/// Everything needed to talk to one cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudProfile {
    /// The `clouds.yaml` entry, or [`ENV_CLOUD`].
    pub name: String,
    /// Where it was found, for error messages.
    pub source: String,
    /// Keystone v3 root, ending in `/v3`.
    pub auth_url: String,
    pub auth: Auth,
    /// Regions to show; empty means whatever the catalog offers first.
    pub regions: Vec<String>,
    /// Catalog interface: `public` unless configured.
    pub interface: String,
    /// Extra CA bundle (PEM), e.g. a university's internal CA.
    pub cacert: Option<PathBuf>,
    /// `false` turns off TLS certificate checks (`verify: false` / `insecure`).
    pub verify: bool,
}

/// Where the files are looked for and what the environment says; tests
/// build one by hand, [`Sources::from_process`] reads the real ones.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl Sources {
    pub fn from_process() -> Sources {
        Sources {
            env: std::env::vars()
                .filter(|(k, _)| k.starts_with("OS_") || k == "XDG_CONFIG_HOME")
                .collect(),
            cwd: std::env::current_dir().ok(),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    fn var(&self, key: &str) -> Option<&str> {
        self.env
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(cwd) = &self.cwd {
            dirs.push(cwd.clone());
        }
        let user = self
            .var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")));
        if let Some(user) = user {
            dirs.push(user.join("openstack"));
        }
        dirs.push(PathBuf::from("/etc/openstack"));
        dirs
    }

    fn first_file(&self, override_var: &str, name: &str) -> Option<PathBuf> {
        if let Some(path) = self.var(override_var) {
            return Some(PathBuf::from(path));
        }
        self.dirs()
            .into_iter()
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    }
}

/// Why a cloud cannot be used. Never quotes the value of a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudsError {
    /// A problem in clouds.yaml, secure.yaml or the `OS_*` variables,
    /// located as precisely as the source allows.
    #[error(transparent)]
    Invalid(#[from] Located),
    /// No file and no variable defines the cloud.
    #[error("cloud \"{name}\" is not in {looked}{}", known_clouds(.known))]
    Unknown {
        name: String,
        /// The clouds.yaml read, or every place one was looked for.
        looked: String,
        known: Vec<String>,
    },
    /// [`ENV_CLOUD`] was asked for without a sourced openrc file.
    #[error("cloud \"{ENV_CLOUD}\" needs OS_AUTH_URL: source your openrc file first")]
    NoOpenrc,
}

fn known_clouds(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (clouds: {})", known.join(", "))
    }
}

struct YamlFile {
    path: PathBuf,
    text: String,
    clouds: Mapping,
}

fn read_yaml(path: &Path) -> Result<Option<YamlFile>, CloudsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Located::new(path.display().to_string(), e.to_string()).into()),
    };
    // The parser's messages say where, never what: a secret's text stays out.
    let value: Value = serde_norway::from_str(&text).map_err(|e| {
        Located::new(path.display().to_string(), e.to_string())
            .at_line(e.location().map(|l| l.line()))
    })?;
    let clouds = match value.get("clouds") {
        Some(Value::Mapping(m)) => m.clone(),
        Some(_) => {
            return Err(Located::new(
                path.display().to_string(),
                "must be a mapping of cloud names to settings",
            )
            .at_line(Some(line_of_key(&text, "clouds")))
            .at_key("clouds")
            .into());
        }
        None => Mapping::new(),
    };
    Ok(Some(YamlFile {
        path: path.to_path_buf(),
        text,
        clouds,
    }))
}

/// Line of the first `key:` in a YAML text (1 when absent), for messages.
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches(['"', '\'']);
            t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
        })
        .map_or(1, |i| i + 1)
}

/// Mappings merge key by key (secure.yaml adds a password to an auth block);
/// anything else in `over` replaces what `base` had.
fn deep_merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawAuth {
    auth_url: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    #[serde(deserialize_with = "password")]
    password: Option<String>,
    project_name: Option<String>,
    project_id: Option<String>,
    tenant_name: Option<String>,
    tenant_id: Option<String>,
    user_domain_name: Option<String>,
    user_domain_id: Option<String>,
    project_domain_name: Option<String>,
    project_domain_id: Option<String>,
    domain_name: Option<String>,
    domain_id: Option<String>,
    application_credential_id: Option<String>,
    application_credential_name: Option<String>,
    #[serde(deserialize_with = "credential_secret")]
    application_credential_secret: Option<String>,
}

fn password<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    secret_text(d, "auth.password")
}

fn credential_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    secret_text(d, "auth.application_credential_secret")
}

/// A secret's text. Serde's own type errors quote the value they got, so
/// a mistyped secret is refused here with its name only.
fn secret_text<'de, D: Deserializer<'de>>(d: D, name: &str) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(serde::de::Error::custom(format!(
            "{name} must be a string (quote it)"
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRegion {
    Name(String),
    Entry { name: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCloud {
    auth: RawAuth,
    auth_type: Option<String>,
    region_name: Option<String>,
    regions: Vec<RawRegion>,
    interface: Option<String>,
    cacert: Option<String>,
    verify: Option<bool>,
    insecure: Option<bool>,
    profile: Option<String>,
}

fn some(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.is_empty()).cloned()
}

impl RawCloud {
    /// Turns the raw settings into a profile; `problem` formats an error
    /// pointing at the cloud's definition.
    fn into_profile(
        self,
        name: &str,
        source: &str,
        problem: &dyn Fn(String) -> Located,
    ) -> Result<CloudProfile, Located> {
        if let Some(profile) = &self.profile {
            return Err(problem(format!(
                "vendor profile \"{profile}\" is not supported: write auth_url and region_name out"
            ))
            .at_key("profile"));
        }
        let a = &self.auth;
        let auth_url = some(&a.auth_url).ok_or_else(|| problem("no auth.auth_url".into()))?;
        let auth_url = identity_v3(&auth_url);
        let default_domain = |id: &Option<String>, name: &Option<String>| -> Domain {
            some(id)
                .map(Domain::Id)
                .or_else(|| some(name).map(Domain::Name))
                .or_else(|| some(&a.domain_id).map(Domain::Id))
                .or_else(|| some(&a.domain_name).map(Domain::Name))
                .unwrap_or_else(|| Domain::Id("default".into()))
        };
        let user = some(&a.user_id).map(Named::Id).or_else(|| {
            some(&a.username).map(|n| Named::Name {
                name: n,
                domain: default_domain(&a.user_domain_id, &a.user_domain_name),
            })
        });
        let auth_type = self.auth_type.as_deref().unwrap_or_else(|| {
            if a.application_credential_id.is_some() || a.application_credential_secret.is_some() {
                "v3applicationcredential"
            } else {
                "password"
            }
        });
        let auth = match auth_type {
            "password" | "v3password" => {
                let user =
                    user.ok_or_else(|| problem("no auth.username or auth.user_id".into()))?;
                let password = some(&a.password).ok_or_else(|| {
                    problem(
                        "no auth.password (put it in secure.yaml or clouds.yaml, or set OS_PASSWORD)"
                            .into(),
                    )
                })?;
                let project = some(&a.project_id)
                    .or_else(|| some(&a.tenant_id))
                    .map(Named::Id)
                    .or_else(|| {
                        some(&a.project_name)
                            .or_else(|| some(&a.tenant_name))
                            .map(|n| Named::Name {
                                name: n,
                                domain: default_domain(
                                    &a.project_domain_id,
                                    &a.project_domain_name,
                                ),
                            })
                    })
                    .ok_or_else(|| problem("no auth.project_name or auth.project_id".into()))?;
                Auth::Password {
                    user,
                    password: Secret::new(password),
                    project,
                }
            }
            "v3applicationcredential" => {
                let secret = some(&a.application_credential_secret)
                    .ok_or_else(|| problem("no auth.application_credential_secret".into()))?;
                let credential = match (
                    some(&a.application_credential_id),
                    some(&a.application_credential_name),
                ) {
                    (Some(id), _) => AppCredentialRef::Id(id),
                    (None, Some(name)) => AppCredentialRef::Name {
                        name,
                        user: user.ok_or_else(|| {
                            problem(
                                "an application credential by name needs auth.username or auth.user_id"
                                    .into(),
                            )
                        })?,
                    },
                    (None, None) => {
                        return Err(problem(
                            "no auth.application_credential_id or application_credential_name"
                                .into(),
                        ));
                    }
                };
                Auth::ApplicationCredential {
                    credential,
                    secret: Secret::new(secret),
                }
            }
            other => {
                return Err(problem(format!(
                    "auth_type \"{other}\" is not supported (use password or v3applicationcredential)"
                ))
                .at_key("auth_type"));
            }
        };
        let mut regions: Vec<String> = self
            .regions
            .into_iter()
            .map(|r| match r {
                RawRegion::Name(n) | RawRegion::Entry { name: n } => n,
            })
            .collect();
        if regions.is_empty()
            && let Some(r) = some(&self.region_name)
        {
            regions.push(r);
        }
        Ok(CloudProfile {
            name: name.to_string(),
            source: source.to_string(),
            auth_url,
            auth,
            regions,
            interface: some(&self.interface).unwrap_or_else(|| "public".into()),
            cacert: some(&self.cacert).map(PathBuf::from),
            verify: self.verify.unwrap_or(true) && !self.insecure.unwrap_or(false),
        })
    }
}

/// Keystone's v3 root for an `auth_url` given with or without the version.
pub fn identity_v3(auth_url: &str) -> String {
    let trimmed = auth_url.trim_end_matches('/');
    if trimmed.ends_with("/v3") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/v3")
    }
}

/// `clouds.yaml` merged with `secure.yaml`, as found from `sources`.
struct CloudsFile {
    file: Option<YamlFile>,
    merged: Mapping,
}

fn load_files(sources: &Sources) -> Result<CloudsFile, CloudsError> {
    let file = match sources.first_file("OS_CLIENT_CONFIG_FILE", "clouds.yaml") {
        Some(path) => read_yaml(&path)?,
        None => None,
    };
    let mut merged = Value::Mapping(file.as_ref().map(|f| f.clouds.clone()).unwrap_or_default());
    if let Some(path) = sources.first_file("OS_CLIENT_SECURE_FILE", "secure.yaml")
        && let Some(secure) = read_yaml(&path)?
    {
        deep_merge(&mut merged, &Value::Mapping(secure.clouds));
    }
    let merged = match merged {
        Value::Mapping(m) => m,
        _ => Mapping::new(),
    };
    Ok(CloudsFile { file, merged })
}

fn profile_from_file(
    files: &CloudsFile,
    name: &str,
    value: &Value,
) -> Result<CloudProfile, CloudsError> {
    let (source, line) = match &files.file {
        Some(f) => (f.path.display().to_string(), line_of_key(&f.text, name)),
        None => ("secure.yaml".to_string(), 1),
    };
    let problem = |msg: String| {
        Located::new(&source, msg)
            .at_line(Some(line))
            .in_section(format!("cloud \"{name}\""))
    };
    let raw: RawCloud =
        serde_norway::from_value(value.clone()).map_err(|e| problem(e.to_string()))?;
    Ok(raw.into_profile(name, &source, &problem)?)
}

/// The cloud made of `OS_*` variables, if `OS_AUTH_URL` is set.
fn profile_from_env(sources: &Sources) -> Result<Option<CloudProfile>, CloudsError> {
    let Some(auth_url) = sources.var("OS_AUTH_URL") else {
        return Ok(None);
    };
    let v = |k: &str| sources.var(k).map(str::to_string);
    let raw = RawCloud {
        auth: RawAuth {
            auth_url: Some(auth_url.to_string()),
            username: v("OS_USERNAME"),
            user_id: v("OS_USER_ID"),
            password: v("OS_PASSWORD"),
            project_name: v("OS_PROJECT_NAME"),
            project_id: v("OS_PROJECT_ID"),
            tenant_name: v("OS_TENANT_NAME"),
            tenant_id: v("OS_TENANT_ID"),
            user_domain_name: v("OS_USER_DOMAIN_NAME"),
            user_domain_id: v("OS_USER_DOMAIN_ID"),
            project_domain_name: v("OS_PROJECT_DOMAIN_NAME"),
            project_domain_id: v("OS_PROJECT_DOMAIN_ID"),
            domain_name: v("OS_DOMAIN_NAME"),
            domain_id: v("OS_DOMAIN_ID"),
            application_credential_id: v("OS_APPLICATION_CREDENTIAL_ID"),
            application_credential_name: v("OS_APPLICATION_CREDENTIAL_NAME"),
            application_credential_secret: v("OS_APPLICATION_CREDENTIAL_SECRET"),
        },
        auth_type: v("OS_AUTH_TYPE"),
        region_name: v("OS_REGION_NAME"),
        regions: Vec::new(),
        interface: v("OS_INTERFACE").or_else(|| {
            // The legacy spelling: `publicURL` means `public`.
            v("OS_ENDPOINT_TYPE").map(|t| t.trim_end_matches("URL").to_string())
        }),
        cacert: v("OS_CACERT"),
        verify: None,
        insecure: v("OS_INSECURE")
            .map(|s| matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "yes")),
        profile: None,
    };
    let source = "the OS_* environment variables (openrc)";
    let problem = |msg: String| Located::new(source, msg);
    Ok(Some(raw.into_profile(ENV_CLOUD, source, &problem)?))
}

/// The clouds shown when hytop's config does not list any: `OS_CLOUD` if
/// set, else every cloud of `clouds.yaml` plus the openrc variables.
/// Each entry is the cloud's name and its profile or the reason it is unusable.
pub fn discover(sources: &Sources) -> Vec<(String, Result<CloudProfile, CloudsError>)> {
    if let Some(name) = sources.var("OS_CLOUD") {
        return vec![(name.to_string(), find(sources, name))];
    }
    let mut out = Vec::new();
    match load_files(sources) {
        Ok(files) => {
            for (key, value) in &files.merged {
                if let Some(name) = key.as_str() {
                    out.push((name.to_string(), profile_from_file(&files, name, value)));
                }
            }
        }
        Err(e) => out.push(("clouds.yaml".to_string(), Err(e))),
    }
    match profile_from_env(sources) {
        Ok(Some(p)) => out.push((ENV_CLOUD.to_string(), Ok(p))),
        Ok(None) => {}
        Err(e) => out.push((ENV_CLOUD.to_string(), Err(e))),
    }
    out
}

/// One cloud by name: a `clouds.yaml` entry, or [`ENV_CLOUD`] for the
/// openrc variables.
pub fn find(sources: &Sources, name: &str) -> Result<CloudProfile, CloudsError> {
    if name == ENV_CLOUD {
        return profile_from_env(sources)?.ok_or(CloudsError::NoOpenrc);
    }
    let files = load_files(sources)?;
    match files.merged.get(name) {
        Some(value) => profile_from_file(&files, name, value),
        None => {
            let known: Vec<String> = files
                .merged
                .keys()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let looked = match &files.file {
                Some(f) => f.path.display().to_string(),
                None => {
                    let dirs: Vec<String> = sources
                        .dirs()
                        .iter()
                        .map(|d| d.join("clouds.yaml").display().to_string())
                        .collect();
                    format!("no clouds.yaml found ({})", dirs.join(", "))
                }
            };
            Err(CloudsError::Unknown {
                name: name.to_string(),
                looked,
                known,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(dir: &Path, env: &[(&str, &str)]) -> Sources {
        Sources {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: Some(dir.to_path_buf()),
            home: Some(dir.join("home")),
        }
    }

    const CLOUDS: &str = "\
clouds:
  lab:
    auth:
      auth_url: https://keystone.example.org:5000
      username: alice
      project_name: course
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    cacert: /etc/ssl/campus.pem
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.org:5000/v3/
      application_credential_id: abc
      application_credential_secret: s3cret
    regions: [north, {name: south}]
    interface: internal
    verify: false
";

    #[test]
    fn clouds_yaml_and_secure_yaml_merge() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("clouds.yaml"), CLOUDS).unwrap();
        std::fs::write(
            dir.path().join("secure.yaml"),
            "clouds:\n  lab:\n    auth:\n      password: hunter2\n",
        )
        .unwrap();
        let s = sources(dir.path(), &[]);
        let lab = find(&s, "lab").unwrap();
        assert_eq!(lab.auth_url, "https://keystone.example.org:5000/v3");
        assert_eq!(lab.regions, vec!["RegionOne".to_string()]);
        assert_eq!(lab.interface, "public");
        assert_eq!(lab.cacert, Some(PathBuf::from("/etc/ssl/campus.pem")));
        assert!(lab.verify);
        match &lab.auth {
            Auth::Password {
                user,
                password,
                project,
            } => {
                assert_eq!(
                    user,
                    &Named::Name {
                        name: "alice".into(),
                        domain: Domain::Name("Default".into())
                    }
                );
                assert_eq!(password.expose(), "hunter2");
                assert!(matches!(project, Named::Name { name, .. } if name == "course"));
            }
            other => panic!("{other:?}"),
        }
        // The secret never prints.
        assert!(!format!("{lab:?}").contains("hunter2"));

        let app = find(&s, "appcred").unwrap();
        assert_eq!(app.auth_url, "https://keystone.example.org:5000/v3");
        assert_eq!(app.regions, vec!["north".to_string(), "south".to_string()]);
        assert_eq!(app.interface, "internal");
        assert!(!app.verify);
        assert!(matches!(
            app.auth,
            Auth::ApplicationCredential { credential: AppCredentialRef::Id(ref id), .. } if id == "abc"
        ));

        let all = discover(&s);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["lab", "appcred"]);
    }

    #[test]
    fn user_config_dir_is_searched_and_os_cloud_selects() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("home/.config/openstack");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join("clouds.yaml"), CLOUDS).unwrap();
        let mut s = sources(dir.path(), &[("OS_CLOUD", "appcred")]);
        s.cwd = Some(dir.path().join("elsewhere"));
        let found = discover(&s);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.as_ref().unwrap().name, "appcred");
    }

    #[test]
    fn openrc_variables_make_a_cloud() {
        let dir = tempfile::tempdir().unwrap();
        let s = sources(
            dir.path(),
            &[
                ("OS_AUTH_URL", "http://10.0.0.1:5000/v3"),
                ("OS_USERNAME", "student"),
                ("OS_PASSWORD", "pw"),
                ("OS_PROJECT_ID", "p-123"),
                ("OS_USER_DOMAIN_NAME", "Default"),
                ("OS_REGION_NAME", "RegionOne"),
                ("OS_INTERFACE", "public"),
                ("OS_IDENTITY_API_VERSION", "3"),
                ("OS_CACERT", "/tmp/ca.pem"),
            ],
        );
        let found = discover(&s);
        assert_eq!(found.len(), 1);
        let p = found[0].1.as_ref().unwrap();
        assert_eq!(p.name, ENV_CLOUD);
        assert_eq!(p.regions, vec!["RegionOne".to_string()]);
        assert_eq!(p.cacert, Some(PathBuf::from("/tmp/ca.pem")));
        assert!(matches!(&p.auth, Auth::Password { project: Named::Id(id), .. } if id == "p-123"));
    }

    #[test]
    fn problems_name_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("clouds.yaml"),
            "clouds:\n  lab:\n    auth:\n      username: alice\n",
        )
        .unwrap();
        let s = sources(dir.path(), &[]);
        let err = find(&s, "lab").unwrap_err().to_string();
        assert!(
            err.contains("clouds.yaml:2: [cloud \"lab\"] no auth.auth_url"),
            "{err}"
        );

        let err = find(&s, "nope").unwrap_err().to_string();
        assert!(
            err.contains("cloud \"nope\" is not in") && err.contains("(clouds: lab)"),
            "{err}"
        );

        std::fs::write(dir.path().join("clouds.yaml"), "clouds:\n  lab: [\n").unwrap();
        let err = find(&s, "lab").unwrap_err().to_string();
        assert!(err.contains("clouds.yaml:"), "{err}");

        let env = sources(
            dir.path(),
            &[("OS_AUTH_URL", "http://x:5000"), ("OS_USERNAME", "u")],
        );
        let err = find(&env, ENV_CLOUD).unwrap_err().to_string();
        assert!(err.contains("OS_PASSWORD"), "{err}");
    }

    #[test]
    fn type_errors_never_show_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("clouds.yaml"), CLOUDS).unwrap();
        std::fs::write(
            dir.path().join("secure.yaml"),
            "clouds:\n  lab:\n    auth:\n      password: 918273645\n  appcred:\n    auth:\n      application_credential_secret: [s3cr3tpart]\n",
        )
        .unwrap();
        let s = sources(dir.path(), &[]);
        let err = find(&s, "lab").unwrap_err().to_string();
        assert!(!err.contains("918273645"), "{err}");
        assert!(err.contains("auth.password"), "{err}");
        let err = find(&s, "appcred").unwrap_err().to_string();
        assert!(!err.contains("s3cr3tpart"), "{err}");
        assert!(err.contains("application_credential_secret"), "{err}");
    }
}
