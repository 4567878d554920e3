//! Finds OpenStack clouds the way the `openstack` CLI does: `clouds.yaml`
//! (with secrets merged from `secure.yaml`) in the current directory,
//! `~/.config/openstack/` and `/etc/openstack/`, selected by `OS_CLOUD`, and
//! the `OS_*` variables of a sourced openrc file as one more cloud.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde_norway::{Mapping, Value};

use self::yaml::{FieldError, RawAuth, RawCloud, YamlFile, deep_merge, line_of_path, read_yaml};
use crate::config::{Located, looks_secret};

mod yaml;

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
#[derive(Clone, Default)]
pub struct Sources {
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

/// `OS_PASSWORD` and the other credential variables print as a placeholder.
impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: BTreeMap<&str, &str> = self
            .env
            .iter()
            .map(|(k, v)| {
                let shown = if looks_secret(k) { "<redacted>" } else { v };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("Sources")
            .field("env", &env)
            .field("cwd", &self.cwd)
            .field("home", &self.home)
            .finish()
    }
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
        let mut regions = self.regions;
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
    secure: Option<YamlFile>,
    merged: Mapping,
}

fn load_files(sources: &Sources) -> Result<CloudsFile, CloudsError> {
    let file = match sources.first_file("OS_CLIENT_CONFIG_FILE", "clouds.yaml") {
        Some(path) => read_yaml(&path)?,
        None => None,
    };
    let secure = match sources.first_file("OS_CLIENT_SECURE_FILE", "secure.yaml") {
        Some(path) => read_yaml(&path)?,
        None => None,
    };
    let mut merged = Value::Mapping(file.as_ref().map(|f| f.clouds.clone()).unwrap_or_default());
    if let Some(secure) = &secure {
        deep_merge(&mut merged, &Value::Mapping(secure.clouds.clone()));
    }
    let merged = match merged {
        Value::Mapping(m) => m,
        _ => Mapping::new(),
    };
    Ok(CloudsFile {
        file,
        secure,
        merged,
    })
}

fn profile_from_file(
    files: &CloudsFile,
    name: &str,
    value: &Value,
) -> Result<CloudProfile, CloudsError> {
    // Each file's entry is read on its own first, so that a mistyped key is
    // located in the file, and at the line, that holds it.
    let present = [&files.file, &files.secure].into_iter().flatten();
    for f in present.clone() {
        if let Some(entry) = f.clouds.get(name) {
            RawCloud::from_value(entry).map_err(|e| f.locate(name, e))?;
        }
    }
    // The file that defines the cloud answers for what is missing.
    let Some(home) = present
        .clone()
        .find(|f| f.clouds.contains_key(name))
        .or_else(|| present.clone().next())
    else {
        return Err(Located::new("clouds.yaml", format!("cloud \"{name}\" has no file")).into());
    };
    let source = home.name();
    let line = line_of_path(&home.text, &["clouds", name]);
    let problem = |msg: String| {
        Located::new(&source, msg)
            .at_line(Some(line))
            .in_section(format!("cloud \"{name}\""))
    };
    let raw = RawCloud::from_value(value).map_err(|e: FieldError| home.locate(name, e))?;
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

/// Every cloud a picker can offer, whatever `OS_CLOUD` says: each
/// `clouds.yaml` entry, then [`ENV_CLOUD`] when openrc variables are set.
pub fn names(sources: &Sources) -> Result<Vec<String>, CloudsError> {
    let files = load_files(sources)?;
    let mut out: Vec<String> = files
        .merged
        .iter()
        .filter_map(|(key, _)| key.as_str().map(str::to_string))
        .collect();
    if let Ok(Some(_)) = profile_from_env(sources) {
        out.push(ENV_CLOUD.to_string());
    }
    Ok(out)
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
mod tests;
