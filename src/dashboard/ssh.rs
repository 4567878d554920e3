//! Builds the `ssh` command line for an instance.

use crate::config::{CloudConfig, Config};
use crate::doctor::{DoctorContext, key};
use crate::domain::model::Instance;

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

/// Login user, key file and host key alias, as the doctor knows them: the
/// launching template's user, else the cloud's, else `known_user` (what
/// the doctor read from the image), else the `[ssh]` defaults (course
/// images: `ec2-user` on AWS, `cloud` on OpenStack); the template's,
/// cloud's or `[ssh]` key file, else the first of `~/.ssh/<key>`,
/// `~/.ssh/<key>.pem`, `~/.aws/<key>.pem` that exists for the instance's
/// key pair. A key file ssh would refuse (readable by others) is an error
/// that says so and offers the doctor.
pub fn plan(
    config: &Config,
    cloud: Option<&CloudConfig>,
    inst: &Instance,
    known_user: Option<&str>,
) -> Result<SshPlan, String> {
    let address = inst.ssh_address().ok_or_else(|| {
        format!(
            "{} ({}) has no IP address yet (i attaches one; D runs the doctor)",
            inst.name, inst.id
        )
    })?;
    let ctx = DoctorContext::new(config, cloud, inst, "");
    let user = ctx
        .login_user
        .clone()
        .or_else(|| known_user.map(str::to_string))
        .unwrap_or_else(|| ctx.default_user.clone());
    let identity = match &ctx.identity_file {
        Some(file) => Some(ctx.expand(file)),
        None => inst.key_name.as_deref().and_then(|name| {
            key::candidates(&ctx, name)
                .into_iter()
                .find(|p| p.is_file())
        }),
    };
    let mut args = Vec::new();
    if let Some(key) = identity {
        if let Some(mode) = file_mode(&key)
            && key::mode_too_open(mode)
        {
            return Err(format!(
                "{} is readable by others, so ssh refuses it: chmod 600 {} (D runs the doctor)",
                key.display(),
                key.display()
            ));
        }
        args.push("-i".to_string());
        args.push(key.display().to_string());
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

/// The permission bits of `path`, where the platform has them.
fn file_mode(path: &std::path::Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).ok().map(|m| m.permissions().mode())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::CloudKind;
    use crate::domain::tags::TEMPLATE_TAG;
    use crate::testutil::instance;

    #[test]
    fn course_defaults_per_cloud() {
        let config = Config::default();
        let mut i = instance("i-1", "web");
        i.public_ip = Some("203.0.113.4".into());
        assert_eq!(
            plan(&config, None, &i, None).expect("plan").display(),
            "ssh -o HostKeyAlias=i-1 ec2-user@203.0.113.4"
        );
        i.kind = CloudKind::OpenStack;
        i.public_ip = None;
        i.private_ip = Some("192.168.0.7".into());
        assert_eq!(
            plan(&config, None, &i, None).expect("plan").display(),
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
            plan(&config, cloud, &i, None).expect("plan").display(),
            "ssh -i /keys/default.pem -o HostKeyAlias=i-1 admin@203.0.113.4"
        );
        i.tags.insert(TEMPLATE_TAG.into(), "web".into());
        assert_eq!(
            plan(&config, cloud, &i, None).expect("plan").display(),
            "ssh -i '/keys/my key.pem' -o HostKeyAlias=i-1 ubuntu@203.0.113.4"
        );
    }

    #[test]
    fn no_address_is_an_error() {
        let i = instance("i-1", "web");
        assert!(
            plan(&Config::default(), None, &i, None)
                .unwrap_err()
                .contains("no IP address yet")
        );
    }

    #[test]
    fn the_key_pair_names_the_key_file_and_a_loose_mode_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().expect("home");
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).expect("dir");
        let key = aws.join("lab-key.pem");
        std::fs::write(&key, "not a real key").expect("key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let mut config = Config::default();
        config.ssh.program = "ssh".into();
        let mut i = instance("i-1", "web");
        i.public_ip = Some("203.0.113.4".into());
        // DoctorContext reads HOME; this test gives the path directly.
        let ctx_home = home.path().to_path_buf();
        let found = key::candidates(
            &DoctorContext {
                home: Some(ctx_home.clone()),
                ..DoctorContext::new(&config, None, &i, "")
            },
            "lab-key",
        )
        .into_iter()
        .find(|p| p.is_file());
        assert_eq!(found.as_deref(), Some(key.as_path()));
        // The image's user, when the doctor read it, beats the default.
        let with_user = plan(&config, None, &i, Some("ubuntu")).expect("plan");
        assert!(
            with_user.display().ends_with(" ubuntu@203.0.113.4"),
            "{}",
            with_user.display()
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(file_mode(&key).map(key::mode_too_open), Some(true));
    }
}
