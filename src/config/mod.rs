//! `config.toml`: refresh interval, clouds, launch templates, simulator settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub mod error;

use crate::cloud::sim::SimSettings;
use crate::domain::model::CloudKind;

/// The embedded configuration of `--demo`: the simulated hybrid cloud.
pub const DEMO_CONFIG: &str = include_str!("../../assets/demo.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds between two listings of one cloud.
    pub refresh_secs: u64,
    /// How far back the sparklines reach.
    pub metrics_window_mins: u32,
    /// How many lines of console output to ask for.
    pub console_lines: u32,
    /// Seconds between console polls while the console view is open.
    pub console_poll_secs: u64,
    pub ssh: SshConfig,
    /// Age, idle and price rules of cost safety.
    pub cost: crate::domain::cost::CostConfig,
    #[serde(rename = "cloud")]
    pub clouds: Vec<CloudConfig>,
    #[serde(rename = "template")]
    pub templates: Vec<Template>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            refresh_secs: 10,
            metrics_window_mins: 60,
            console_lines: 500,
            console_poll_secs: 2,
            ssh: SshConfig::default(),
            cost: crate::domain::cost::CostConfig::default(),
            clouds: Vec::new(),
            templates: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SshConfig {
    /// The ssh program to run.
    pub program: String,
    pub aws_user: String,
    pub openstack_user: String,
    /// Used when neither the template nor the cloud names a key file.
    pub identity_file: Option<PathBuf>,
    /// Extra arguments placed before the destination, e.g. `["-o", "ServerAliveInterval=30"]`.
    pub extra_args: Vec<String>,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            program: "ssh".into(),
            aws_user: CloudKind::Aws.default_login_user().into(),
            openstack_user: CloudKind::OpenStack.default_login_user().into(),
            identity_file: None,
            extra_args: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Aws,
    OpenStack,
    Simulator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Simulate {
    Aws,
    OpenStack,
}

impl From<Simulate> for CloudKind {
    fn from(s: Simulate) -> Self {
        match s {
            Simulate::Aws => CloudKind::Aws,
            Simulate::OpenStack => CloudKind::OpenStack,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfig {
    pub name: Spanned<String>,
    pub provider: Spanned<ProviderKind>,
    /// For `provider = "simulator"`: which cloud to imitate.
    #[serde(default)]
    pub simulate: Option<Simulate>,
    /// AWS profile (default: the default profile).
    #[serde(default)]
    pub profile: Option<String>,
    /// AWS regions, or the OpenStack region; one worker each.
    #[serde(default)]
    pub regions: Vec<String>,
    /// OpenStack: the `clouds.yaml` entry to use (default: the cloud's
    /// `name`; `"envvars"` means the `OS_*` variables of an openrc file).
    #[serde(default)]
    pub os_cloud: Option<String>,
    /// OpenStack: the external network (name or id) new floating IPs come
    /// from (default: the only external network).
    #[serde(default)]
    pub floating_pool: Option<String>,
    #[serde(default)]
    pub ssh_user: Option<String>,
    #[serde(default)]
    pub identity_file: Option<PathBuf>,
    #[serde(default)]
    pub sim: SimSettings,
}

impl CloudConfig {
    /// The kind of cloud its instances belong to.
    pub fn kind(&self) -> CloudKind {
        match *self.provider.get_ref() {
            ProviderKind::Aws => CloudKind::Aws,
            ProviderKind::OpenStack => CloudKind::OpenStack,
            ProviderKind::Simulator => self.simulate.unwrap_or(Simulate::Aws).into(),
        }
    }

    /// The regions to run a worker for; at least one.
    pub fn worker_regions(&self) -> Vec<String> {
        if self.regions.is_empty() {
            match self.kind() {
                CloudKind::Aws => vec!["eu-west-1".into()],
                CloudKind::OpenStack => vec![self.name.get_ref().clone()],
            }
        } else {
            self.regions.clone()
        }
    }
}

fn default_count() -> u32 {
    1
}

/// A launch template: everything `RunInstances` / `POST /servers` needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    /// Name of a `[[cloud]]` entry.
    pub cloud: Spanned<String>,
    /// Region of that cloud (default: its first).
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    pub image: String,
    pub size: String,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// Subnet id (AWS) or network id (OpenStack).
    #[serde(default)]
    pub network: Option<String>,
    /// A file whose content becomes the user-data (at most 16 KB).
    #[serde(default)]
    pub user_data: Option<PathBuf>,
    /// Name of the new instance(s); default: the template name.
    #[serde(default)]
    pub instance_name: Option<String>,
    #[serde(default = "default_count")]
    pub count: u32,
    #[serde(default)]
    pub detailed_monitoring: bool,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub login_user: Option<String>,
    #[serde(default)]
    pub identity_file: Option<PathBuf>,
}

pub use error::{Located, line_of, line_text};

/// A config problem, located in its file.
pub type ConfigError = Located;

impl Config {
    /// Parses and validates a config file's text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        let located = |span: std::ops::Range<usize>, message: String| {
            let line = line_of(text, span.start);
            ConfigError {
                file: source.to_string(),
                line: Some(line),
                message,
                snippet: line_text(text, line).map(String::into_boxed_str),
                ..ConfigError::default()
            }
        };
        let config: Config = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => located(span, e.message().trim().to_string()),
            None => ConfigError {
                file: source.to_string(),
                line: None,
                message: e.message().trim().to_string(),
                snippet: None,
                ..ConfigError::default()
            },
        })?;

        if config.refresh_secs == 0 {
            return Err(ConfigError {
                file: source.to_string(),
                line: text
                    .lines()
                    .position(|l| l.trim_start().starts_with("refresh_secs"))
                    .map(|i| i + 1),
                message: "refresh_secs must be at least 1".into(),
                snippet: None,
                ..ConfigError::default()
            });
        }

        let mut seen = std::collections::HashSet::new();
        for cloud in &config.clouds {
            let name = cloud.name.get_ref();
            if !seen.insert(name.clone()) {
                return Err(located(
                    cloud.name.span(),
                    format!("cloud \"{name}\" is defined twice"),
                ));
            }
            if *cloud.provider.get_ref() == ProviderKind::Simulator && cloud.simulate.is_none() {
                return Err(located(
                    cloud.provider.span(),
                    format!(
                        "cloud \"{name}\": a simulator needs `simulate = \"aws\"` or `simulate = \"openstack\"`"
                    ),
                ));
            }
            if !(0.0..=1.0).contains(&cloud.sim.failure_rate) {
                return Err(located(
                    cloud.name.span(),
                    format!("cloud \"{name}\": sim.failure_rate must be between 0.0 and 1.0"),
                ));
            }
        }

        for template in &config.templates {
            let cloud_name = template.cloud.get_ref();
            let Some(cloud) = config.cloud(cloud_name) else {
                let known: Vec<&str> = config
                    .clouds
                    .iter()
                    .map(|c| c.name.get_ref().as_str())
                    .collect();
                return Err(located(
                    template.cloud.span(),
                    format!(
                        "template \"{}\": cloud \"{cloud_name}\" is not configured (clouds: {})",
                        template.name,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            // An OpenStack cloud without `regions` takes them from
            // clouds.yaml, which is read when the cloud starts.
            let regions_known =
                *cloud.provider.get_ref() != ProviderKind::OpenStack || !cloud.regions.is_empty();
            if let Some(region) = &template.region
                && regions_known
            {
                let regions = cloud.worker_regions();
                if !regions.contains(region.get_ref()) {
                    return Err(located(
                        region.span(),
                        format!(
                            "template \"{}\": region \"{}\" is not one of cloud \"{cloud_name}\"'s regions ({})",
                            template.name,
                            region.get_ref(),
                            regions.join(", ")
                        ),
                    ));
                }
            }
            if template.count == 0 {
                return Err(located(
                    template.cloud.span(),
                    format!("template \"{}\": count must be at least 1", template.name),
                ));
            }
        }
        Ok(config)
    }

    /// Loads `path`; `Ok(None)` when the file does not exist.
    pub fn load(path: &Path) -> color_eyre::Result<Option<Config>> {
        use color_eyre::eyre::WrapErr;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).wrap_err_with(|| format!("cannot read {}", path.display()));
            }
        };
        Ok(Some(Config::parse(&text, &path.display().to_string())?))
    }

    /// What hytop shows without a config file: the default AWS profile in
    /// its region (when `aws` is set) and the named OpenStack clouds.
    pub fn default_clouds(aws: bool, openstack: &[String]) -> Config {
        let mut config = Config::default();
        let cloud = |name: &str, provider: ProviderKind, os_cloud: Option<String>| CloudConfig {
            name: Spanned::new(0..0, name.to_string()),
            provider: Spanned::new(0..0, provider),
            simulate: None,
            profile: None,
            regions: Vec::new(),
            os_cloud,
            floating_pool: None,
            ssh_user: None,
            identity_file: None,
            sim: SimSettings::default(),
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

    pub fn demo() -> Result<Config, ConfigError> {
        Config::parse(DEMO_CONFIG, "<built-in demo config>")
    }

    pub fn cloud(&self, name: &str) -> Option<&CloudConfig> {
        self.clouds.iter().find(|c| c.name.get_ref() == name)
    }
}

/// Where hytop keeps its files (honours `XDG_CONFIG_HOME` / `XDG_DATA_HOME`).
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Dirs {
    pub fn discover() -> color_eyre::Result<Dirs> {
        let dirs = directories::ProjectDirs::from("", "", "hytop").ok_or_else(|| {
            color_eyre::eyre::eyre!("cannot find a home directory for hytop's config and logs")
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_config_parses() {
        let config = Config::demo().expect("demo config");
        assert_eq!(config.clouds.len(), 2);
        assert!(!config.templates.is_empty());
        let aws = &config.clouds[0];
        assert_eq!(aws.kind(), CloudKind::Aws);
        assert_eq!(aws.worker_regions(), vec!["eu-west-1", "us-east-1"]);
        assert_eq!(config.clouds[1].kind(), CloudKind::OpenStack);
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../assets/config.example.toml");
        Config::parse(text, "config.example.toml").expect("example config");
    }

    #[test]
    fn empty_config_has_defaults() {
        let config = Config::parse("", "c.toml").expect("empty");
        assert_eq!(config, Config::default());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "refresh_secs = 5\n\n[ssh]\naws_usr = \"x\"\n";
        let err = Config::parse(text, "/home/u/.config/hytop/config.toml").unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("/home/u/.config/hytop/config.toml:4: "),
            "{shown}"
        );
        assert!(shown.contains("unknown field `aws_usr`"), "{shown}");
        assert!(shown.contains("aws_usr = \"x\""), "{shown}");
    }

    #[test]
    fn wrong_type_is_located() {
        let err = Config::parse("refresh_secs = \"soon\"\n", "c.toml").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.to_string().contains("refresh_secs"), "{err}");
    }

    #[test]
    fn template_with_unknown_cloud_is_refused() {
        let text = r#"
[[cloud]]
name = "sim"
provider = "simulator"
simulate = "aws"

[[template]]
name = "web"
cloud = "aws-prod"
image = "ami-1"
size = "t2.nano"
"#;
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(9));
        assert!(
            err.message
                .contains("cloud \"aws-prod\" is not configured (clouds: sim)"),
            "{err}"
        );
    }

    #[test]
    fn template_region_must_belong_to_cloud() {
        let text = r#"
[[cloud]]
name = "sim"
provider = "simulator"
simulate = "aws"
regions = ["eu-west-1"]

[[template]]
name = "web"
cloud = "sim"
region = "us-east-2"
image = "ami-1"
size = "t2.nano"
"#;
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(11));
        assert!(err.message.contains("region \"us-east-2\""), "{err}");
    }

    #[test]
    fn simulator_needs_a_flavour() {
        let text = "[[cloud]]\nname = \"x\"\nprovider = \"simulator\"\n";
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn line_of_counts_newlines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
