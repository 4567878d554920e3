//! Reading clouds.yaml and secure.yaml: the YAML text, the settings of one
//! cloud taken from it key by key, and where a key is in the text.
//!
//! The settings are read by hand rather than with serde's derive: serde's
//! type errors quote the value they got (``invalid type: integer `7395`,
//! expected a string``), and a value here may be a password. Every message
//! below names the key and the kind of value, never the value.

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use crate::config::{Located, looks_secret, without_quoted};

pub(super) struct YamlFile {
    pub path: PathBuf,
    pub text: String,
    pub clouds: Mapping,
}

impl YamlFile {
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// The problem `e` of cloud `name`'s entry in this file, at its key's line.
    pub fn locate(&self, name: &str, e: FieldError) -> Located {
        let mut path = vec!["clouds", name];
        path.extend(e.path.iter().map(String::as_str));
        let located = Located::new(self.name(), e.message)
            .at_line(Some(line_of_path(&self.text, &path)))
            .in_section(format!("cloud \"{name}\""));
        if e.path.is_empty() {
            located
        } else {
            located.at_key(e.path.join("."))
        }
    }
}

pub(super) fn read_yaml(path: &Path) -> Result<Option<YamlFile>, Located> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Located::new(path.display().to_string(), e.to_string())),
    };
    // libyaml's messages are fixed texts, but a tagged scalar that does not
    // parse is quoted (`password: !!int 7395x`): whatever the parser quotes
    // stays out, and its message keeps the path of keys and the position.
    let value: Value = serde_norway::from_str(&text).map_err(|e| {
        Located::new(path.display().to_string(), without_quoted(&e.to_string()))
            .at_line(e.location().map(|l| l.line()))
    })?;
    let clouds = match value.get("clouds") {
        Some(Value::Mapping(m)) => m.clone(),
        Some(_) => {
            return Err(Located::new(
                path.display().to_string(),
                "must be a mapping of cloud names to settings",
            )
            .at_line(Some(line_of_path(&text, &["clouds"])))
            .at_key("clouds"));
        }
        None => Mapping::new(),
    };
    Ok(Some(YamlFile {
        path: path.to_path_buf(),
        text,
        clouds,
    }))
}

/// The key of a block-style `key: value` (or `key:`) line, unquoted.
fn key_of_line(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let (key, rest) = match t.chars().next()? {
        q @ ('"' | '\'') => {
            let end = t[1..].find(q)? + 1;
            (&t[1..end], &t[end + 1..])
        }
        _ => {
            let colon = t
                .find(": ")
                .or_else(|| t.ends_with(':').then(|| t.len() - 1))?;
            (&t[..colon], &t[colon..])
        }
    };
    let rest = rest.trim_start();
    (rest.starts_with(':') && !key.is_empty()).then_some(key)
}

/// The 1-based line of the key at `path` (`["clouds", "lab", "auth",
/// "password"]`) in a block-style YAML text; where the path cannot be
/// followed (a flow mapping, a key not in this file), the line of the
/// deepest key found, else 1.
pub(super) fn line_of_path(text: &str, path: &[&str]) -> usize {
    let mut found = 1;
    let mut depth = 0;
    // Indentation of the matched parent, and of its children once seen.
    let mut parent: Option<usize> = None;
    let mut children: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if let Some(p) = parent {
            if indent <= p {
                // Left the parent's block without finding the next key.
                break;
            }
            let level = *children.get_or_insert(indent);
            if indent != level {
                continue;
            }
        } else if indent != 0 {
            continue;
        }
        if key_of_line(line) == Some(path[depth]) {
            found = i + 1;
            depth += 1;
            if depth == path.len() {
                break;
            }
            parent = Some(indent);
            children = None;
        }
    }
    found
}

/// Mappings merge key by key (secure.yaml adds a password to an auth block);
/// anything else in `over` replaces what `base` had.
pub(super) fn deep_merge(base: &mut Value, over: &Value) {
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

/// A setting of the wrong kind: the keys leading to it below the cloud
/// (`["auth", "password"]`; empty for the cloud's entry itself) and what is
/// wrong, without its value.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct FieldError {
    pub path: Vec<String>,
    pub message: String,
}

impl FieldError {
    fn at(path: &[&str], message: String) -> FieldError {
        FieldError {
            path: path.iter().map(|s| s.to_string()).collect(),
            message,
        }
    }
}

/// What kind of value `v` is, for a message that must not show it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number with a fraction",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Text settings; `None` when absent or empty (`password:`).
fn text(map: &Mapping, path: &[&str]) -> Result<Option<String>, FieldError> {
    let Some(key) = path.last() else {
        return Ok(None);
    };
    match map.get(*key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            // YAML reads `password: 0123` as a number; only quotes keep the text.
            let quote = match other {
                Value::Bool(_) | Value::Number(_) => ": write it in quotes",
                _ => "",
            };
            let hidden = if looks_secret(key) {
                " (its value is not shown)"
            } else {
                ""
            };
            Err(FieldError::at(
                path,
                format!("must be a string, not {}{quote}{hidden}", kind(other)),
            ))
        }
    }
}

fn flag(map: &Mapping, path: &[&str]) -> Result<Option<bool>, FieldError> {
    let Some(key) = path.last() else {
        return Ok(None);
    };
    match map.get(*key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(FieldError::at(
            path,
            format!("must be true or false, not {}", kind(other)),
        )),
    }
}

/// `regions: [north, {name: south}]`.
fn regions(map: &Mapping) -> Result<Vec<String>, FieldError> {
    let problem = |what: &str| {
        FieldError::at(
            &["regions"],
            format!("must be a list of region names or {{name: ...}} entries, {what}"),
        )
    };
    match map.get("regions") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Mapping(m) => match m.get("name") {
                    Some(Value::String(s)) => Ok(s.clone()),
                    _ => Err(problem("an entry has no name")),
                },
                other => Err(problem(&format!("not {}", kind(other)))),
            })
            .collect(),
        Some(other) => Err(problem(&format!("not {}", kind(other)))),
    }
}

/// The `auth` block of a cloud. No `Debug`: it holds the secrets in clear.
#[derive(Default)]
pub(super) struct RawAuth {
    pub auth_url: Option<String>,
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub password: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub tenant_name: Option<String>,
    pub tenant_id: Option<String>,
    pub user_domain_name: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_domain_name: Option<String>,
    pub project_domain_id: Option<String>,
    pub domain_name: Option<String>,
    pub domain_id: Option<String>,
    pub application_credential_id: Option<String>,
    pub application_credential_name: Option<String>,
    pub application_credential_secret: Option<String>,
}

impl RawAuth {
    fn from_value(value: Option<&Value>) -> Result<RawAuth, FieldError> {
        let map = match value {
            None | Some(Value::Null) => return Ok(RawAuth::default()),
            Some(Value::Mapping(m)) => m,
            Some(other) => {
                return Err(FieldError::at(
                    &["auth"],
                    format!(
                        "must be a mapping of auth_url, username, ..., not {} (its value is not shown)",
                        kind(other)
                    ),
                ));
            }
        };
        // Keys this reader does not use are ignored, as openstacksdk
        // ignores them; a mistyped one of them cannot show here.
        let t = |key: &str| text(map, &["auth", key]);
        Ok(RawAuth {
            auth_url: t("auth_url")?,
            username: t("username")?,
            user_id: t("user_id")?,
            password: t("password")?,
            project_name: t("project_name")?,
            project_id: t("project_id")?,
            tenant_name: t("tenant_name")?,
            tenant_id: t("tenant_id")?,
            user_domain_name: t("user_domain_name")?,
            user_domain_id: t("user_domain_id")?,
            project_domain_name: t("project_domain_name")?,
            project_domain_id: t("project_domain_id")?,
            domain_name: t("domain_name")?,
            domain_id: t("domain_id")?,
            application_credential_id: t("application_credential_id")?,
            application_credential_name: t("application_credential_name")?,
            application_credential_secret: t("application_credential_secret")?,
        })
    }
}

/// One cloud's settings as written (or as the `OS_*` variables give them).
#[derive(Default)]
pub(super) struct RawCloud {
    pub auth: RawAuth,
    pub auth_type: Option<String>,
    pub region_name: Option<String>,
    pub regions: Vec<String>,
    pub interface: Option<String>,
    pub cacert: Option<String>,
    pub verify: Option<bool>,
    pub insecure: Option<bool>,
    pub profile: Option<String>,
}

impl RawCloud {
    /// A cloud's entry of clouds.yaml / secure.yaml (or both merged).
    pub fn from_value(value: &Value) -> Result<RawCloud, FieldError> {
        let map = match value {
            Value::Mapping(m) => m,
            Value::Null => return Ok(RawCloud::default()),
            other => {
                return Err(FieldError::at(
                    &[],
                    format!(
                        "the cloud's settings must be a mapping (auth, region_name, ...), not {} (its value is not shown)",
                        kind(other)
                    ),
                ));
            }
        };
        let t = |key: &str| text(map, &[key]);
        Ok(RawCloud {
            auth: RawAuth::from_value(map.get("auth"))?,
            auth_type: t("auth_type")?,
            region_name: t("region_name")?,
            regions: regions(map)?,
            interface: t("interface")?,
            cacert: t("cacert")?,
            verify: flag(map, &["verify"])?,
            insecure: flag(map, &["insecure"])?,
            profile: t("profile")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# comment
clouds:
  other:
    auth:
      password: x
  lab:
    region_name: r

    auth:
      \"username\": alice
      password: 1234
    verify: false
";

    #[test]
    fn paths_are_followed_by_indentation() {
        assert_eq!(line_of_path(TEXT, &["clouds"]), 2);
        assert_eq!(line_of_path(TEXT, &["clouds", "lab"]), 6);
        assert_eq!(
            line_of_path(TEXT, &["clouds", "lab", "auth", "password"]),
            11
        );
        assert_eq!(
            line_of_path(TEXT, &["clouds", "lab", "auth", "username"]),
            10
        );
        assert_eq!(
            line_of_path(TEXT, &["clouds", "other", "auth", "password"]),
            5
        );
        // Not in lab's block: the deepest key found.
        assert_eq!(line_of_path(TEXT, &["clouds", "lab", "cacert"]), 6);
        assert_eq!(line_of_path(TEXT, &["clouds", "nope"]), 2);
        let flow = "clouds:\n  lab:\n    auth: {password: 1}\n";
        assert_eq!(
            line_of_path(flow, &["clouds", "lab", "auth", "password"]),
            3
        );
    }

    #[test]
    fn a_mistyped_secret_is_named_never_shown() {
        for value in [
            "918273",
            "9182.73",
            "[918273]",
            "{a: 918273}",
            "true",
            "!x 918273",
        ] {
            let yaml = format!("auth:\n  password: {value}\n");
            let v: Value = serde_norway::from_str(&yaml).unwrap();
            let Err(e) = RawCloud::from_value(&v) else {
                panic!("{value} accepted");
            };
            assert_eq!(e.path, ["auth", "password"]);
            assert!(!e.message.contains("918273"), "{}", e.message);
            assert!(e.message.contains("must be a string"), "{}", e.message);
        }
        let v: Value = serde_norway::from_str("auth: \"918273\"").unwrap();
        let e = RawCloud::from_value(&v).err().unwrap();
        assert_eq!(e.path, ["auth"]);
        assert!(!e.message.contains("918273"), "{}", e.message);
    }

    #[test]
    fn settings_are_read_key_by_key() {
        let v: Value = serde_norway::from_str(
            "auth: {auth_url: u, password: pw}\nregions: [a, {name: b}]\nverify: false\n",
        )
        .unwrap();
        let raw = RawCloud::from_value(&v).unwrap();
        assert_eq!(raw.auth.password.as_deref(), Some("pw"));
        assert_eq!(raw.regions, ["a", "b"]);
        assert_eq!(raw.verify, Some(false));
        let v: Value = serde_norway::from_str("verify: \"no\"\n").unwrap();
        let e = RawCloud::from_value(&v).err().unwrap();
        assert_eq!(e.path, ["verify"]);
        let v: Value = serde_norway::from_str("regions: [[a]]\n").unwrap();
        assert_eq!(RawCloud::from_value(&v).err().unwrap().path, ["regions"]);
    }
}
