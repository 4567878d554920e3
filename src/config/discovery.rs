//! Which configuration hytop runs with: `--demo`, the file given with
//! `--config`, the user's `config.toml`, or, without any, the clouds found
//! on this machine (the ones the `openstack` CLI would use, and AWS when it
//! is set up). Also where hytop keeps its files.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, bail, eyre};

use super::{CloudConfig, Config, ProviderKind};
use crate::cloud::aws;
use crate::cloud::openstack::clouds;

/// Where hytop keeps its files (honours `XDG_CONFIG_HOME` / `XDG_DATA_HOME`).
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Dirs {
    pub fn discover() -> Result<Dirs> {
        let dirs = directories::ProjectDirs::from("", "", "hytop")
            .ok_or_else(|| eyre!("cannot find a home directory for hytop's config and logs"))?;
        Ok(Dirs {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn keymap_file(&self) -> PathBuf {
        self.config_dir.join("keymap.toml")
    }
}

/// The config of `--demo` (`demo`), of `--config PATH` (`given`, which must
/// exist), of the user's config.toml, or, without any, of the clouds found
/// on this machine.
pub fn load(demo: bool, given: Option<&Path>, dirs: &Dirs) -> Result<Config> {
    if demo {
        return Ok(Config::demo()?);
    }
    let path = given.map_or_else(|| dirs.config_file(), Path::to_path_buf);
    match Config::load(&path)? {
        Some(config) => Ok(config),
        None if given.is_some() => bail!("config file {} does not exist", path.display()),
        None => Ok(found_on_this_machine()),
    }
}

/// `--profile` and `--region`: what the pickers would add, added at start.
/// Each profile gets the AWS `[[cloud]]` that already uses it, else a new
/// one named after it; each region is added to the clouds of those
/// profiles, or without `--profile` to every AWS cloud (simulated ones
/// too). A cloud that named no region keeps its profile's region besides.
pub async fn add_shown(config: &mut Config, profiles: &[String], regions: &[String]) -> Result<()> {
    let is_aws = |c: &CloudConfig| c.kind() == crate::domain::model::CloudKind::Aws;
    let mut targets: Vec<String> = Vec::new();
    for profile in profiles {
        let found = config.clouds.iter().find(|c| {
            *c.provider.get_ref() == ProviderKind::Aws
                && c.profile.as_deref().unwrap_or("default") == profile
        });
        let name = match found {
            Some(c) => c.name.get_ref().clone(),
            None => {
                let mut name = profile.clone();
                let mut n = 2;
                while config.cloud(&name).is_some() {
                    name = format!("{profile}-{n}");
                    n += 1;
                }
                let mut cloud = CloudConfig::plain(&name, ProviderKind::Aws);
                cloud.profile = Some(profile.clone());
                config.clouds.push(cloud);
                name
            }
        };
        targets.push(name);
    }
    if regions.is_empty() {
        return Ok(());
    }
    if targets.is_empty() {
        targets = config
            .clouds
            .iter()
            .filter(|c| is_aws(c))
            .map(|c| c.name.get_ref().clone())
            .collect();
    }
    if targets.is_empty() {
        bail!("--region is for AWS clouds, and the config has none (add --profile)");
    }
    for name in targets {
        let Some(cloud) = config.clouds.iter_mut().find(|c| *c.name.get_ref() == name) else {
            continue;
        };
        if cloud.regions.is_empty() && *cloud.provider.get_ref() == ProviderKind::Aws {
            cloud.regions = aws::profile_region(cloud.profile.as_deref())
                .await
                .into_iter()
                .collect();
        } else if cloud.regions.is_empty() {
            cloud.regions = cloud.worker_regions();
        }
        for region in regions {
            if !cloud.regions.contains(region) {
                cloud.regions.push(region.clone());
            }
        }
    }
    Ok(())
}

/// Every OpenStack cloud the `openstack` CLI would find, and AWS when it is
/// set up (or when nothing else is, so the screen says how to set it up).
pub fn found_on_this_machine() -> Config {
    let sources = clouds::Sources::from_process();
    let openstack: Vec<String> = clouds::discover(&sources)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let aws = !aws::nothing_configured() || openstack.is_empty();
    Config::default_clouds(aws, &openstack)
}

impl Config {
    /// What hytop shows without a config file: the default AWS profile in
    /// its region (when `aws` is set) and the named OpenStack clouds.
    pub fn default_clouds(aws: bool, openstack: &[String]) -> Config {
        let mut config = Config::default();
        let cloud = |name: &str, provider: ProviderKind, os_cloud: Option<String>| CloudConfig {
            os_cloud,
            ..CloudConfig::plain(name, provider)
        };
        if aws {
            config.clouds.push(cloud("aws", ProviderKind::Aws, None));
        }
        for name in openstack {
            config
                .clouds
                .push(cloud(name, ProviderKind::OpenStack, Some(name.clone())));
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::CloudKind;

    fn dirs_in(dir: &Path) -> Dirs {
        Dirs {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        }
    }

    #[test]
    fn default_clouds_are_aws_and_each_openstack_cloud() {
        let config = Config::default_clouds(true, &["lab".to_string(), "envvars".to_string()]);
        let names: Vec<&str> = config
            .clouds
            .iter()
            .map(|c| c.name.get_ref().as_str())
            .collect();
        assert_eq!(names, ["aws", "lab", "envvars"]);
        assert_eq!(config.clouds[0].kind(), CloudKind::Aws);
        assert_eq!(config.clouds[1].os_cloud.as_deref(), Some("lab"));
        assert!(Config::default_clouds(false, &[]).clouds.is_empty());
    }

    #[test]
    fn demo_given_and_user_files_are_chosen_in_that_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = dirs_in(dir.path());
        std::fs::create_dir_all(&dirs.config_dir).expect("mkdir");
        std::fs::write(dirs.config_file(), "refresh_secs = 7\n").expect("write");
        let given = dir.path().join("given.toml");
        std::fs::write(&given, "refresh_secs = 9\n").expect("write");

        assert_eq!(
            load(true, Some(&given), &dirs).expect("demo"),
            Config::demo().expect("demo")
        );
        assert_eq!(
            load(false, Some(&given), &dirs)
                .expect("given")
                .refresh_secs,
            9
        );
        assert_eq!(load(false, None, &dirs).expect("user").refresh_secs, 7);
    }

    #[test]
    fn a_given_file_must_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.toml");
        let err = load(false, Some(&missing), &dirs_in(dir.path())).expect_err("missing");
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[tokio::test]
    async fn profile_and_region_flags_add_what_the_pickers_would() {
        let mut config = Config::demo().expect("demo");
        add_shown(&mut config, &[], &["ap-south-1".to_string()])
            .await
            .expect("a region for the AWS clouds");
        let regions = |c: &Config, name: &str| c.cloud(name).map(|c| c.regions.clone());
        assert_eq!(
            regions(&config, "demo-aws"),
            Some(vec![
                "eu-west-1".into(),
                "us-east-1".into(),
                "ap-south-1".into()
            ])
        );
        assert_eq!(
            regions(&config, "lab"),
            Some(vec!["lab".into()]),
            "OpenStack untouched"
        );

        add_shown(
            &mut config,
            &["lab".to_string()],
            &["eu-central-1".to_string()],
        )
        .await
        .expect("a profile");
        let added = config.cloud("lab-2").expect("lab is taken: lab-2");
        assert_eq!(added.profile.as_deref(), Some("lab"));
        assert!(added.regions.contains(&"eu-central-1".to_string()));
        assert!(
            !regions(&config, "demo-aws")
                .unwrap_or_default()
                .contains(&"eu-central-1".to_string()),
            "with --profile, --region is for that profile only"
        );

        let mut openstack_only = Config::default_clouds(false, &["lab".to_string()]);
        let refused = add_shown(&mut openstack_only, &[], &["ap-south-1".to_string()]).await;
        assert!(refused.is_err());
    }
}
