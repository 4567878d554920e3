//! Reading `config.toml`: serde does the parsing, then the rules serde
//! cannot express are checked (names unique, templates point at configured
//! clouds and regions, ...). Every problem is a [`Located`] naming the
//! line, the table and the key.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use super::error::{Located, line_of, line_text, looks_secret, without_quoted};
use super::{Config, ConfigError, DEMO_CONFIG, ProviderKind};

impl Config {
    /// Parses and validates a config file's text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => parse_error(text, source, span, message),
                None => Located::new(source, message),
            }
        })?;
        Checker { text, source }.check(&config)?;
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

    /// The simulated hybrid cloud of `hytop --demo`.
    pub fn demo() -> Result<Config, ConfigError> {
        Config::parse(DEMO_CONFIG, "<built-in demo config>")
    }
}

/// A parser error at `span`, with the table it is in, the key of its line
/// and the line itself. config.toml has no credential keys, but a user may
/// put one there by mistake: such a line is never shown, nor a value the
/// parser quotes from it.
fn parse_error(text: &str, source: &str, span: Range<usize>, message: String) -> Located {
    let line = line_of(text, span.start);
    let line_text = line_text(text, line);
    let key = line_text.as_deref().and_then(key_of_line);
    let secret =
        key.as_deref().is_some_and(looks_secret) || line_text.as_deref().is_some_and(looks_secret);
    let mut error = if secret {
        Located::new(source, without_values(&message))
    } else {
        Located::new(source, message).with_snippet(line_text)
    }
    .at_line(Some(line));
    if let Some(section) = table_of_line(text, line) {
        error = error.in_section(section);
    }
    if let Some(key) = key {
        error = error.at_key(key);
    }
    error
}

/// A parser message about a line that may hold a credential, without any
/// text it quotes from that line. An unknown field's message quotes only
/// key names, and gets a word on where credentials belong.
fn without_values(message: &str) -> String {
    if message.starts_with("unknown field") {
        return format!(
            "{message} (credentials do not belong in config.toml: AWS keys go in \
             ~/.aws/credentials, OpenStack passwords in clouds.yaml or secure.yaml)"
        );
    }
    // The parser's first line says what is wrong; the rest may show the text.
    let out = without_quoted(message.lines().next().unwrap_or_default());
    format!(
        "{} (the line is not shown: its key looks like a credential)",
        out.trim()
    )
}

/// The name of a `[table]` or `[[array]]` header line.
fn header_name(line: &str) -> Option<&str> {
    let t = line.trim();
    let inner = t.strip_prefix("[[").and_then(|r| r.split("]]").next());
    let inner = inner.or_else(|| t.strip_prefix('[').and_then(|r| r.split(']').next()))?;
    Some(inner.trim())
}

/// The table a 1-based line belongs to: the last header above it (a header
/// line itself belongs to the table above it).
fn table_of_line(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line.saturating_sub(1))
        .filter_map(header_name)
        .last()
        .map(str::to_string)
}

/// The key of a `key = value` line, as written (dotted keys stay dotted).
fn key_of_line(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with('[') || t.starts_with('#') {
        return None;
    }
    let (key, _) = t.split_once('=')?;
    let key = key.trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_string())
}

/// The 1-based line of `key = ...` in the `[[...]]` entry around `offset`
/// (its sub-tables included), for keys serde gives no position.
fn line_of_key_in_entry(text: &str, offset: usize, key: &str) -> Option<usize> {
    let at = line_of(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let is_entry = |l: &&str| l.trim_start().starts_with("[[");
    let start = lines[..at.min(lines.len())]
        .iter()
        .rposition(is_entry)
        .unwrap_or(0);
    let end = lines[at.min(lines.len())..]
        .iter()
        .position(is_entry)
        .map_or(lines.len(), |p| p + at);
    (start..end)
        .find(|&i| key_of_line(lines[i]).as_deref() == Some(key))
        .map(|i| i + 1)
}

/// The rules of a parsed config, each broken one located in `text`.
struct Checker<'a> {
    text: &'a str,
    source: &'a str,
}

impl Checker<'_> {
    fn at(&self, offset: usize, section: String, key: &str, message: String) -> Located {
        self.at_line(line_of(self.text, offset), section, key, message)
    }

    fn at_line(&self, line: usize, section: String, key: &str, message: String) -> Located {
        Located::new(self.source, message)
            .at_line(Some(line))
            .in_section(section)
            .at_key(key)
            .with_snippet(line_text(self.text, line))
    }

    fn check(&self, config: &Config) -> Result<(), ConfigError> {
        if config.refresh_secs == 0 {
            let line = self
                .text
                .lines()
                .position(|l| l.trim_start().starts_with("refresh_secs"))
                .map(|i| i + 1);
            return Err(Located::new(self.source, "refresh_secs must be at least 1")
                .at_line(line)
                .at_key("refresh_secs"));
        }
        self.check_clouds(config)?;
        self.check_templates(config)
    }

    fn check_clouds(&self, config: &Config) -> Result<(), ConfigError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for cloud in &config.clouds {
            let name = cloud.name.get_ref();
            let section = format!("cloud \"{name}\"");
            let offset = cloud.name.span().start;
            if let Some(first) = seen.insert(name, line_of(self.text, offset)) {
                return Err(self.at(
                    offset,
                    section,
                    "name",
                    format!("cloud \"{name}\" is defined twice (first on line {first})"),
                ));
            }
            if *cloud.provider.get_ref() == ProviderKind::Simulator && cloud.simulate.is_none() {
                return Err(self.at(
                    cloud.provider.span().start,
                    section,
                    "provider",
                    "a simulator needs `simulate = \"aws\"` or `simulate = \"openstack\"`".into(),
                ));
            }
            if cloud.refresh_secs == Some(0) {
                let line = line_of_key_in_entry(self.text, offset, "refresh_secs")
                    .unwrap_or_else(|| line_of(self.text, offset));
                return Err(self.at_line(
                    line,
                    section,
                    "refresh_secs",
                    "must be at least 1".into(),
                ));
            }
            if !(0.0..=1.0).contains(&cloud.sim.failure_rate) {
                let line = line_of_key_in_entry(self.text, offset, "failure_rate")
                    .unwrap_or_else(|| line_of(self.text, offset));
                return Err(self.at_line(
                    line,
                    section,
                    "sim.failure_rate",
                    "must be between 0.0 and 1.0".into(),
                ));
            }
        }
        Ok(())
    }

    fn check_templates(&self, config: &Config) -> Result<(), ConfigError> {
        for template in &config.templates {
            let section = format!("template \"{}\"", template.name);
            let cloud_name = template.cloud.get_ref();
            let Some(cloud) = config.cloud(cloud_name) else {
                let known: Vec<&str> = config
                    .clouds
                    .iter()
                    .map(|c| c.name.get_ref().as_str())
                    .collect();
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                return Err(self.at(
                    template.cloud.span().start,
                    section,
                    "cloud",
                    format!("cloud \"{cloud_name}\" is not configured (clouds: {known})"),
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
                    return Err(self.at(
                        region.span().start,
                        section,
                        "region",
                        format!(
                            "region \"{}\" is not one of cloud \"{cloud_name}\"'s regions ({})",
                            region.get_ref(),
                            regions.join(", ")
                        ),
                    ));
                }
            }
            if template.count == 0 {
                let offset = template.cloud.span().start;
                let line = line_of_key_in_entry(self.text, offset, "count")
                    .unwrap_or_else(|| line_of(self.text, offset));
                return Err(self.at_line(line, section, "count", "must be at least 1".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::CloudKind;

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
        assert_eq!(err.section.as_deref(), Some("ssh"));
        assert_eq!(err.key.as_deref(), Some("aws_usr"));
        assert!(
            shown.starts_with("/home/u/.config/hytop/config.toml:4: [ssh] key \"aws_usr\": "),
            "{shown}"
        );
    }

    #[test]
    fn a_credential_put_in_config_toml_is_never_shown() {
        let cases = [
            // Not a config key at all: AWS keys belong in ~/.aws/credentials.
            "[[cloud]]\nname = \"aws\"\nprovider = \"aws\"\naws_secret_access_key = \"wJalr73951824\"\n",
            "[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\npassword = 73951824\n",
            // A tag value of the wrong type: serde quotes what it got.
            "[[cloud]]\nname = \"aws\"\nprovider = \"aws\"\n[[template]]\nname = \"t\"\ncloud = \"aws\"\nimage = \"i\"\nsize = \"s\"\n[template.tags]\napi_token = 73951824\n",
            // Not even TOML: the line cannot be parsed.
            "[[cloud]]\nname = \"aws\"\nprovider = \"aws\"\nos_password = 73951824abc\n",
        ];
        for text in cases {
            let err = Config::parse(text, "c.toml").unwrap_err();
            let shown = err.to_string();
            assert!(!shown.contains("73951824"), "{shown}");
            assert_eq!(err.line, Some(text.lines().count()), "{shown}");
            assert!(err.key.as_deref().is_some_and(looks_secret), "{shown}");
            assert_eq!(err.snippet, None, "{shown}");
        }
        let err = Config::parse(cases[0], "c.toml").unwrap_err().to_string();
        assert!(
            err.contains("unknown field `aws_secret_access_key`"),
            "{err}"
        );
        assert!(err.contains("~/.aws/credentials"), "{err}");
    }

    #[test]
    fn wrong_type_is_located() {
        let err = Config::parse("refresh_secs = \"soon\"\n", "c.toml").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.to_string().contains("refresh_secs"), "{err}");
        assert_eq!(err.key.as_deref(), Some("refresh_secs"));
        assert_eq!(err.section, None);
    }

    #[test]
    fn mouse_is_a_bool_and_off_by_default() {
        assert!(!Config::default().mouse);
        let config = Config::parse("mouse = true\n", "c.toml").expect("mouse = true");
        assert!(config.mouse);
        let err = Config::parse("refresh_secs = 5\nmouse = \"yes\"\n", "c.toml").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert_eq!(err.key.as_deref(), Some("mouse"));
        let shown = err.to_string();
        assert!(shown.contains("expected a boolean"), "{shown}");
        // Misplaced under a table, it is an unknown key there.
        let err = Config::parse("[ssh]\nmouse = true\n", "c.toml").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("mouse"), "{err}");
        assert!(err.to_string().contains("unknown field `mouse`"), "{err}");
    }

    #[test]
    fn errors_in_array_tables_name_the_table() {
        let text = "[[cloud]]\nname = \"x\"\nprovider = \"simulator\"\nsimulate = \"aws\"\n\n[cloud.sim]\nsede = 3\n";
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(7));
        assert_eq!(err.section.as_deref(), Some("cloud.sim"));
        assert_eq!(err.key.as_deref(), Some("sede"));
    }

    #[test]
    fn refresh_of_zero_is_refused() {
        let text = "[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\nrefresh_secs = 0\n";
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(4), "{err}");
        assert_eq!(err.key.as_deref(), Some("refresh_secs"));
        let ok = "[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\nrefresh_secs = 60\n";
        let config = Config::parse(ok, "c.toml").expect("a cloud's own refresh_secs");
        assert_eq!(config.clouds[0].refresh_secs, Some(60));
        let err = Config::parse("\nrefresh_secs = 0\n", "c.toml").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.key.as_deref(), Some("refresh_secs"));
        assert!(
            err.to_string().contains("refresh_secs must be at least 1"),
            "{err}"
        );
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
        assert_eq!(err.section.as_deref(), Some("template \"web\""));
        assert_eq!(err.key.as_deref(), Some("cloud"));
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
        assert_eq!(err.key.as_deref(), Some("region"));
    }

    #[test]
    fn template_count_is_located_at_its_key() {
        let text = "[[cloud]]\nname = \"sim\"\nprovider = \"simulator\"\nsimulate = \"aws\"\n\n\
                    [[template]]\nname = \"web\"\ncloud = \"sim\"\nimage = \"ami-1\"\nsize = \"t2.nano\"\ncount = 0\n\n\
                    [template.tags]\ncount = \"x\"\n";
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(11), "{err}");
        assert_eq!(err.key.as_deref(), Some("count"));
        assert_eq!(err.section.as_deref(), Some("template \"web\""));
    }

    #[test]
    fn simulator_needs_a_flavour() {
        let text = "[[cloud]]\nname = \"x\"\nprovider = \"simulator\"\n";
        let err = Config::parse(text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.key.as_deref(), Some("provider"));
    }

    #[test]
    fn clouds_are_named_once_and_failure_rates_are_chances() {
        let twice = "[[cloud]]\nname = \"x\"\nprovider = \"aws\"\n\n[[cloud]]\nname = \"x\"\nprovider = \"aws\"\n";
        let err = Config::parse(twice, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(6));
        assert!(
            err.message.contains("defined twice (first on line 2)"),
            "{err}"
        );
        let rate = "[[cloud]]\nname = \"x\"\nprovider = \"simulator\"\nsimulate = \"aws\"\n\
                    [cloud.sim]\nseed = 2\nfailure_rate = 1.5\n";
        let err = Config::parse(rate, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(7), "{err}");
        assert_eq!(err.section.as_deref(), Some("cloud \"x\""));
        assert_eq!(err.key.as_deref(), Some("sim.failure_rate"));
    }

    #[test]
    fn line_of_counts_newlines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
