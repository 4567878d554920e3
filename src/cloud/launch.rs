//! Turns a launch template plus the user's edits into a [`LaunchSpec`],
//! refusing bad input before any request is sent.

use std::path::{Path, PathBuf};

use crate::config::Template;
use crate::domain::model::{LaunchSpec, USER_DATA_LIMIT};

use crate::domain::tags::{EXPIRES_TAG, OWNER_TAG, TEMPLATE_TAG};

/// What the launch popup confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchDraft {
    pub template: Template,
    pub region: String,
    pub name: String,
    pub count: u32,
    /// `hytop:owner`: who launched it (user@host).
    pub owner: String,
    /// `hytop:expires`, when the config gives launches a time to live.
    pub expires: Option<String>,
}

/// `user@host` of whoever runs hytop, for the `hytop:owner` tag.
pub fn owner() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// Expands a leading `~/` to the home directory.
pub fn expand_home(path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    path.to_path_buf()
}

/// Reads the user-data file and builds the spec; the error is shown as is.
pub fn prepare(draft: &LaunchDraft) -> Result<LaunchSpec, String> {
    let name = draft.name.trim();
    if name.is_empty() {
        return Err("the instance name is empty".into());
    }
    if draft.count == 0 {
        return Err("count must be at least 1".into());
    }
    let t = &draft.template;
    let user_data = match &t.user_data {
        None => None,
        Some(path) => {
            let path = expand_home(path);
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read user-data file {}: {e}", path.display()))?;
            if bytes.len() > USER_DATA_LIMIT {
                return Err(format!(
                    "user-data file {} is {} bytes; the limit is {USER_DATA_LIMIT} bytes (16 KB). Nothing was launched.",
                    path.display(),
                    bytes.len()
                ));
            }
            Some(bytes)
        }
    };
    let mut tags = t.tags.clone();
    tags.insert("Name".into(), name.to_string());
    tags.insert(TEMPLATE_TAG.into(), t.name.clone());
    tags.insert(OWNER_TAG.into(), draft.owner.clone());
    if let Some(expires) = &draft.expires {
        tags.insert(EXPIRES_TAG.into(), expires.clone());
    }
    Ok(LaunchSpec {
        region: draft.region.clone(),
        name: name.to_string(),
        count: draft.count,
        image: t.image.clone(),
        size: t.size.clone(),
        key_name: t.key_name.clone(),
        security_groups: t.security_groups.clone(),
        network: t.network.clone(),
        user_data,
        detailed_monitoring: t.detailed_monitoring,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn template(user_data: Option<PathBuf>) -> Template {
        let text = r#"
[[cloud]]
name = "sim"
provider = "simulator"
simulate = "aws"

[[template]]
name = "web"
cloud = "sim"
image = "ami-1"
size = "t2.nano"
key_name = "lab"
security_groups = ["sg-1"]
tags = { course = "cc" }
"#;
        let mut config = crate::config::Config::parse(text, "t.toml").expect("config");
        let mut t = config.templates.remove(0);
        t.user_data = user_data;
        t
    }

    fn draft(t: Template) -> LaunchDraft {
        LaunchDraft {
            template: t,
            region: "eu-west-1".into(),
            name: " web-1 ".into(),
            count: 2,
            owner: "alice@lab-pc".into(),
            expires: Some("2026-11-21T20:00:00Z".into()),
        }
    }

    #[test]
    fn builds_spec_with_tags_and_user_data() {
        let mut file = tempfile::NamedTempFile::new().expect("tmp");
        file.write_all(b"#!/bin/sh\necho hi\n").expect("write");
        let spec = prepare(&draft(template(Some(file.path().into())))).expect("spec");
        assert_eq!(spec.name, "web-1");
        assert_eq!(spec.count, 2);
        assert_eq!(
            spec.user_data.as_deref(),
            Some(&b"#!/bin/sh\necho hi\n"[..])
        );
        assert_eq!(spec.tags.get("Name").map(String::as_str), Some("web-1"));
        assert_eq!(spec.tags.get(TEMPLATE_TAG).map(String::as_str), Some("web"));
        assert_eq!(spec.tags.get("course").map(String::as_str), Some("cc"));
        assert_eq!(
            spec.tags.get("hytop:owner").map(String::as_str),
            Some("alice@lab-pc")
        );
        assert_eq!(
            spec.tags.get("hytop:expires").map(String::as_str),
            Some("2026-11-21T20:00:00Z")
        );
        assert_eq!(spec.security_groups, vec!["sg-1"]);
    }

    #[test]
    fn owner_is_user_at_host() {
        let owner = owner();
        let (user, host) = owner.split_once('@').expect("user@host");
        assert!(!user.is_empty() && !host.is_empty(), "{owner}");
    }

    #[test]
    fn user_data_at_limit_is_accepted_and_over_is_refused() {
        let mut ok = tempfile::NamedTempFile::new().expect("tmp");
        ok.write_all(&vec![b'a'; USER_DATA_LIMIT]).expect("write");
        assert!(prepare(&draft(template(Some(ok.path().into())))).is_ok());

        let mut big = tempfile::NamedTempFile::new().expect("tmp");
        big.write_all(&vec![b'a'; USER_DATA_LIMIT + 1])
            .expect("write");
        let err = prepare(&draft(template(Some(big.path().into())))).unwrap_err();
        assert!(
            err.contains("16385 bytes; the limit is 16384 bytes (16 KB)"),
            "{err}"
        );
        assert!(err.contains("Nothing was launched"), "{err}");
    }

    #[test]
    fn missing_user_data_file_is_an_error() {
        let err = prepare(&draft(template(Some("/nonexistent/ud.sh".into())))).unwrap_err();
        assert!(
            err.contains("cannot read user-data file /nonexistent/ud.sh"),
            "{err}"
        );
    }

    #[test]
    fn empty_name_and_zero_count_are_refused() {
        let mut d = draft(template(None));
        d.name = "  ".into();
        assert!(prepare(&d).is_err());
        let mut d = draft(template(None));
        d.count = 0;
        assert!(prepare(&d).is_err());
    }
}
