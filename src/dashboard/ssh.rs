//! Builds the `ssh` command line for an instance.

use crate::cloud::launch::expand_home;
use crate::config::{CloudConfig, Config};
use crate::domain::model::{CloudKind, Instance};
use crate::domain::tags::TEMPLATE_TAG;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPlan {
    pub program: String,
    pub args: Vec<String>,
}

impl SshPlan {
    /// The command as a user would type it (shell-quoted where needed).
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@=,+~".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Login user and key file: the launching template's, else the cloud's, else
/// the `[ssh]` defaults (course images: `ec2-user` on AWS, `cloud` on OpenStack).
pub fn plan(
    config: &Config,
    cloud: Option<&CloudConfig>,
    inst: &Instance,
) -> Result<SshPlan, String> {
    let address = inst
        .ssh_address()
        .ok_or_else(|| format!("{} ({}) has no IP address yet", inst.name, inst.id))?;
    let template = inst
        .tags
        .get(TEMPLATE_TAG)
        .and_then(|name| config.templates.iter().find(|t| &t.name == name));
    let user = template
        .and_then(|t| t.login_user.clone())
        .or_else(|| cloud.and_then(|c| c.ssh_user.clone()))
        .unwrap_or_else(|| match inst.kind {
            CloudKind::Aws => config.ssh.aws_user.clone(),
            CloudKind::OpenStack => config.ssh.openstack_user.clone(),
        });
    let identity = template
        .and_then(|t| t.identity_file.clone())
        .or_else(|| cloud.and_then(|c| c.identity_file.clone()))
        .or_else(|| config.ssh.identity_file.clone());
    let mut args = Vec::new();
    if let Some(key) = identity {
        args.push("-i".to_string());
        args.push(expand_home(&key).display().to_string());
    }
    // Known by its id, not its address: an address reused by a later
    // instance never meets the old host key ("REMOTE HOST IDENTIFICATION
    // HAS CHANGED"), and a new one is asked about once.
    args.push("-o".to_string());
    args.push(format!("HostKeyAlias={}", inst.id));
    args.extend(config.ssh.extra_args.iter().cloned());
    args.push(format!("{user}@{address}"));
    Ok(SshPlan {
        program: config.ssh.program.clone(),
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::instance;

    #[test]
    fn course_defaults_per_cloud() {
        let config = Config::default();
        let mut i = instance("i-1", "web");
        i.public_ip = Some("203.0.113.4".into());
        assert_eq!(
            plan(&config, None, &i).expect("plan").display(),
            "ssh -o HostKeyAlias=i-1 ec2-user@203.0.113.4"
        );
        i.kind = CloudKind::OpenStack;
        i.public_ip = None;
        i.private_ip = Some("192.168.0.7".into());
        assert_eq!(
            plan(&config, None, &i).expect("plan").display(),
            "ssh -o HostKeyAlias=i-1 cloud@192.168.0.7"
        );
    }

    #[test]
    fn template_user_and_key_win() {
        let text = r#"
[ssh]
identity_file = "/keys/default.pem"

[[cloud]]
name = "sim"
provider = "simulator"
simulate = "aws"
ssh_user = "admin"

[[template]]
name = "web"
cloud = "sim"
image = "ami-1"
size = "t2.nano"
login_user = "ubuntu"
identity_file = "/keys/my key.pem"
"#;
        let config = Config::parse(text, "c.toml").expect("config");
        let cloud = config.cloud("sim");
        let mut i = instance("i-1", "web");
        i.public_ip = Some("203.0.113.4".into());
        assert_eq!(
            plan(&config, cloud, &i).expect("plan").display(),
            "ssh -i /keys/default.pem -o HostKeyAlias=i-1 admin@203.0.113.4"
        );
        i.tags.insert(TEMPLATE_TAG.into(), "web".into());
        assert_eq!(
            plan(&config, cloud, &i).expect("plan").display(),
            "ssh -i '/keys/my key.pem' -o HostKeyAlias=i-1 ubuntu@203.0.113.4"
        );
    }

    #[test]
    fn no_address_is_an_error() {
        let i = instance("i-1", "web");
        assert!(
            plan(&Config::default(), None, &i)
                .unwrap_err()
                .contains("no IP address yet")
        );
    }
}
