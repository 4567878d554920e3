//! Which regions and profiles an AWS account offers: `DescribeRegions` for
//! the sweep and the `:region` picker, and the profiles of the shared
//! config files (read by aws-config's own loader, never by hand) for
//! `:profile`.

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_sdk_ec2::Client;
use aws_types::os_shim_internal::{Env, Fs};

use super::errors::ec2_error;
use crate::cloud::{CloudError, CloudResult};

/// The regions enabled for the account (`DescribeRegions` without
/// `AllRegions`: opt-in regions the account has not opted into are left
/// out, as asking them would only fail), sorted.
pub(super) async fn enabled_regions(ec2: &Client) -> CloudResult<Vec<String>> {
    let out = ec2.describe_regions().send().await.map_err(ec2_error)?;
    let mut names: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// One profile of `~/.aws/config` / `~/.aws/credentials`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileEntry {
    pub name: String,
    /// Its `region`, when it names one.
    pub region: Option<String>,
}

/// Every profile of the shared config and credentials files (honouring
/// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`), sorted by name.
pub async fn profiles() -> CloudResult<Vec<ProfileEntry>> {
    profiles_from(&Fs::real(), &Env::real()).await
}

async fn profiles_from(fs: &Fs, env: &Env) -> CloudResult<Vec<ProfileEntry>> {
    let set = aws_config::profile::load(
        fs,
        env,
        &EnvConfigFiles::default(),
        None::<Cow<'static, str>>,
    )
    .await
    .map_err(|e| CloudError::new("ProfileFile", format!("AWS profiles cannot be read: {e}")))?;
    let mut out: Vec<ProfileEntry> = set
        .profiles()
        .map(|name| ProfileEntry {
            name: name.to_string(),
            region: set
                .get_profile(name)
                .and_then(|p| p.get("region"))
                .map(str::to_string),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn profiles_come_from_both_files_with_their_regions() {
        let fs = Fs::from_slice(&[
            (
                "/home/u/.aws/config",
                "[default]\nregion = eu-west-1\n[profile lab]\nregion = ap-south-1\n[profile sso-only]\nsso_session = x\n",
            ),
            (
                "/home/u/.aws/credentials",
                "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n[ci]\naws_access_key_id = AKIB\naws_secret_access_key = t\n",
            ),
        ]);
        let env = Env::from_slice(&[("HOME", "/home/u")]);
        let got = profiles_from(&fs, &env).await.expect("profiles");
        let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ci", "default", "lab", "sso-only"]);
        let region = |n: &str| {
            got.iter()
                .find(|p| p.name == n)
                .and_then(|p| p.region.clone())
        };
        assert_eq!(region("lab").as_deref(), Some("ap-south-1"));
        assert_eq!(region("default").as_deref(), Some("eu-west-1"));
        assert_eq!(region("ci"), None);
    }

    #[tokio::test]
    async fn no_files_is_no_profiles() {
        let fs = Fs::from_slice(&[]);
        let env = Env::from_slice(&[("HOME", "/home/u")]);
        assert_eq!(profiles_from(&fs, &env).await.expect("empty"), []);
    }
}
