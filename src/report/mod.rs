//! `hytop list` and `hytop check`: ask every cloud endpoint once, print,
//! exit. No terminal is taken and nothing is logged to stdout or stderr
//! (logs go to the log file as in the dashboard).
//!
//! The asking is [`ask_all`]; everything after it (rows, JSON, the table,
//! the check lines, the exit status) is plain functions on what the clouds
//! answered, testable without a cloud.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;
use tokio::time::Instant;

use crate::cli::Command;
use crate::cloud::endpoints::Built;
pub use crate::cloud::endpoints::Endpoint;
use crate::cloud::{MetricsQuery, Provider};
use crate::config::Config;
use crate::domain::cost::{self, CostConfig, Flag, Prices, Rate, Spent};
use crate::domain::format::sanitize;
use crate::domain::model::{Instance, InstanceMetrics, InstanceState, PublicAddress};

/// Exit status: everything was asked and nothing is flagged.
pub const EXIT_OK: u8 = 0;
/// Exit status of `check`: something is flagged.
pub const EXIT_FLAGGED: u8 = 1;
/// Exit status: a cloud could not be asked (or the config is unusable).
pub const EXIT_TROUBLE: u8 = 2;

/// What one endpoint answered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub endpoint: Option<Endpoint>,
    pub instances: Vec<Instance>,
    pub addresses: Vec<PublicAddress>,
    /// CPU (and network) of the instances old enough to be judged idle.
    pub metrics: HashMap<String, InstanceMetrics>,
    /// Why this endpoint (or part of it) could not be asked; any error makes
    /// the exit status 2.
    pub errors: Vec<String>,
    /// What could not be judged (metrics), said on stderr without failing.
    pub notes: Vec<String>,
}

impl Answer {
    fn label(&self) -> &str {
        self.endpoint.as_ref().map_or("?", |e| e.label.as_str())
    }

    fn sort_key(&self) -> (&str, &str) {
        self.endpoint
            .as_ref()
            .map_or(("", ""), |e| (e.cloud.as_str(), e.label.as_str()))
    }
}

/// What to ask each endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Instances only.
    List,
    /// Instances, addresses, and metrics of instances old enough to be idle.
    Check,
}

/// Asks every endpoint at once, each bounded by `timeout`; answers come back
/// in the order of `endpoints`.
pub async fn ask_all(
    endpoints: Vec<Built>,
    ask: Ask,
    timeout: Duration,
    rules: &CostConfig,
) -> Vec<Answer> {
    let deadline = Instant::now() + timeout;
    let asks = endpoints
        .into_iter()
        .map(|Built { endpoint, provider }| async move {
            tracing::info!(cloud = %endpoint.label, ?ask, "asking");
            let answer = ask_one(provider.as_ref(), ask, deadline, timeout, rules).await;
            Answer {
                endpoint: Some(endpoint),
                ..answer
            }
        });
    futures::future::join_all(asks).await
}

async fn ask_one(
    provider: &dyn Provider,
    ask: Ask,
    deadline: Instant,
    timeout: Duration,
    rules: &CostConfig,
) -> Answer {
    let mut answer = Answer::default();
    let timed_out = || {
        if timeout.subsec_millis() == 0 {
            format!("timed out after {} s", timeout.as_secs())
        } else {
            format!("timed out after {} ms", timeout.as_millis())
        }
    };
    match ask {
        Ask::List => match tokio::time::timeout_at(deadline, provider.list_instances()).await {
            Ok(Ok(instances)) => answer.instances = instances,
            Ok(Err(e)) => answer.errors.push(e.to_string()),
            Err(_) => answer.errors.push(timed_out()),
        },
        Ask::Check => {
            let both = futures::future::join(provider.list_instances(), provider.list_addresses());
            match tokio::time::timeout_at(deadline, both).await {
                Ok((instances, addresses)) => {
                    match instances {
                        Ok(list) => answer.instances = list,
                        Err(e) => answer.errors.push(e.to_string()),
                    }
                    match addresses {
                        Ok(list) => answer.addresses = list,
                        Err(e) => answer.errors.push(format!("public addresses: {e}")),
                    }
                }
                Err(_) => {
                    answer.errors.push(timed_out());
                    return answer;
                }
            }
            let now = Utc::now();
            let ids = idle_candidates(&answer.instances, now, rules);
            if ids.is_empty() {
                return answer;
            }
            let window = chrono::Duration::minutes(i64::from(rules.idle_after_mins));
            let query = MetricsQuery {
                instance_ids: ids,
                start: now - window,
                end: now,
            };
            match tokio::time::timeout_at(deadline, provider.metrics(&query)).await {
                Ok(Ok(metrics)) => answer.metrics = metrics.into_iter().collect(),
                Ok(Err(e)) => answer
                    .notes
                    .push(format!("idleness not judged, no metrics: {e}")),
                Err(_) => answer
                    .notes
                    .push(format!("idleness not judged, metrics {}", timed_out())),
            }
        }
    }
    answer
}

/// Ids of the instances that have been running for at least the idle window
/// (`idle_after_mins`), the only ones the idle rule can judge; none when the
/// rule is switched off (`idle_after_mins = 0`).
pub fn idle_candidates(
    instances: &[Instance],
    now: DateTime<Utc>,
    rules: &CostConfig,
) -> Vec<String> {
    if rules.idle_after_mins == 0 {
        return Vec::new();
    }
    let window = chrono::Duration::minutes(i64::from(rules.idle_after_mins));
    instances
        .iter()
        .filter(|i| i.state == InstanceState::Running && i.age(now).is_some_and(|a| a >= window))
        .map(|i| i.id.clone())
        .collect()
}

/// One flag of an instance, in `list --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagEntry {
    /// `old`, `expired` or `idle`.
    pub rule: &'static str,
    /// e.g. `running 3d 4h, longer than 8h`.
    pub reason: String,
}

/// One instance of `hytop list`: the objects of `--json` (field names are
/// stable), and the table's cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The `[[cloud]]` name.
    pub cloud: String,
    /// The endpoint's label (`default/eu-west-1`, `lab/RegionOne`).
    pub endpoint: String,
    /// `aws` or `openstack`.
    pub provider: &'static str,
    pub region: String,
    pub id: String,
    pub name: String,
    /// pending, running, stopping, stopped, terminated or error.
    pub state: InstanceState,
    /// The cloud's own word (`shutting-down`, `ACTIVE`, ...).
    pub cloud_state: String,
    /// Instance type or flavor.
    pub size: String,
    pub image: String,
    pub key_name: Option<String>,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    /// RFC 3339, UTC.
    pub launched_at: Option<String>,
    pub age_seconds: Option<i64>,
    pub vcpus: Option<u32>,
    pub memory_mb: Option<u64>,
    pub tags: BTreeMap<String, String>,
    /// Estimated on-demand $/h now (0 when not live); null when unknown
    /// (OpenStack flavors without a configured price).
    pub hourly_cost_usd: Option<f64>,
    /// Estimated $ since launch; null when unknown or not live.
    pub cost_so_far_usd: Option<f64>,
    pub flags: Vec<FlagEntry>,
    /// The table's AGE cell.
    #[serde(skip)]
    pub age_text: String,
    /// The table's COST cell (cost so far, as the dashboard shows it).
    #[serde(skip)]
    pub cost_text: String,
}

impl Row {
    pub fn new(
        endpoint: &Endpoint,
        instance: &Instance,
        metrics: Option<&InstanceMetrics>,
        now: DateTime<Utc>,
        prices: &Prices,
        rules: &CostConfig,
    ) -> Row {
        let age = instance.age(now).map(|d| d.max(chrono::Duration::zero()));
        let spent = cost::spent(instance, now, prices, rules);
        let flags = cost::instance_flags(instance, metrics, now, rules)
            .iter()
            .map(|f| FlagEntry {
                rule: f.short(),
                reason: f.reason_at(now, rules),
            })
            .collect();
        Row {
            cloud: endpoint.cloud.clone(),
            endpoint: endpoint.label.clone(),
            provider: instance.kind.label(),
            region: instance.region.clone(),
            id: instance.id.clone(),
            name: instance.name.clone(),
            state: instance.state,
            cloud_state: instance.raw_state.clone(),
            size: instance.size.clone(),
            image: instance.image.clone(),
            key_name: instance.key_name.clone(),
            public_ip: instance.public_ip.clone(),
            private_ip: instance.private_ip.clone(),
            launched_at: instance
                .launched_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            age_seconds: age.map(|d| d.num_seconds()),
            vcpus: instance.vcpus,
            memory_mb: instance.memory_mb,
            tags: instance.tags.clone(),
            hourly_cost_usd: match cost::rate(instance, prices, rules) {
                Rate::Dollars(d) => Some(d),
                Rate::Held { .. } | Rate::Unknown => None,
            },
            cost_so_far_usd: match spent {
                Spent::Dollars(d) => Some(d),
                Spent::Held { .. } | Spent::Unknown => None,
            },
            flags,
            age_text: age.map_or_else(|| "-".to_string(), crate::domain::format::age),
            cost_text: cost::format_spent(spent),
        }
    }

    fn sort_key(&self) -> (&str, &str, &str, &str) {
        (&self.cloud, &self.endpoint, &self.name, &self.id)
    }
}

/// The rows of every instance that was listed, sorted by cloud, endpoint,
/// name and id; flags judged with whatever metrics the answers carry.
pub fn rows(
    answers: &[Answer],
    now: DateTime<Utc>,
    prices: &Prices,
    rules: &CostConfig,
) -> Vec<Row> {
    let mut rows: Vec<Row> = answers
        .iter()
        .filter_map(|a| Some((a.endpoint.as_ref()?, a)))
        .flat_map(|(endpoint, a)| {
            a.instances
                .iter()
                .map(move |i| Row::new(endpoint, i, a.metrics.get(&i.id), now, prices, rules))
        })
        .collect();
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    rows
}

/// `list --json`: one pretty-printed JSON array of [`Row`]s.
pub fn render_json(rows: &[Row]) -> Result<String> {
    let mut text = serde_json::to_string_pretty(rows).wrap_err("cannot write the JSON")?;
    text.push('\n');
    Ok(text)
}

const TABLE_HEADER: [&str; 10] = [
    "CLOUD",
    "ENDPOINT",
    "NAME",
    "ID",
    "STATE",
    "TYPE",
    "PUBLIC-IP",
    "AGE",
    "EST.COST",
    "FLAGS",
];

/// `list`: a plain table, columns aligned with spaces, a header line first
/// (even without rows). Missing values are `-`.
pub fn render_table(rows: &[Row]) -> String {
    let dash = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_string(), sanitize);
    let mut lines: Vec<[String; 10]> = vec![TABLE_HEADER.map(str::to_string)];
    for row in rows {
        let flags: Vec<&str> = row.flags.iter().map(|f| f.rule).collect();
        lines.push([
            sanitize(&row.cloud),
            sanitize(&row.endpoint),
            cell(&row.name),
            sanitize(&row.id),
            row.state.as_str().to_string(),
            cell(&row.size),
            dash(&row.public_ip),
            row.age_text.clone(),
            row.cost_text.clone(),
            if flags.is_empty() {
                "-".to_string()
            } else {
                flags.join(",")
            },
        ]);
    }
    let mut widths = [0usize; 10];
    for line in &lines {
        for (w, c) in widths.iter_mut().zip(line) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (k, (c, w)) in line.iter().zip(widths).enumerate() {
            text.push_str(c);
            if k + 1 < line.len() {
                let pad = w - c.chars().count() + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// A table cell: terminal-safe, `-` when empty, and without inner spaces
/// (so a name with blanks does not shift the columns a script cuts).
fn cell(text: &str) -> String {
    let clean = sanitize(text);
    if clean.trim().is_empty() {
        "-".into()
    } else {
        clean.trim().replace(' ', "_")
    }
}

/// `check`: one line per flagged instance and per unassociated address, by
/// cloud and endpoint; instances by name and id, addresses by ip.
///
/// `<endpoint> <name> <id> <state> <age> <cost>: <reason>; <reason>`
/// `<endpoint> address <ip> (<id>): allocated but not associated`
pub fn check_lines(
    answers: &[Answer],
    now: DateTime<Utc>,
    prices: &Prices,
    rules: &CostConfig,
) -> Vec<String> {
    let mut order: Vec<&Answer> = answers.iter().collect();
    order.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut lines = Vec::new();
    for answer in order {
        let Some(endpoint) = &answer.endpoint else {
            continue;
        };
        let mut rows: Vec<Row> = answer
            .instances
            .iter()
            .map(|i| Row::new(endpoint, i, answer.metrics.get(&i.id), now, prices, rules))
            .filter(|r| !r.flags.is_empty())
            .collect();
        rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for row in rows {
            let reasons: Vec<&str> = row.flags.iter().map(|f| f.reason.as_str()).collect();
            lines.push(format!(
                "{} {} {} {} {} {}: {}",
                sanitize(&endpoint.label),
                cell(&row.name),
                sanitize(&row.id),
                row.state,
                row.age_text,
                row.cost_text,
                reasons.join("; ")
            ));
        }
        let mut addresses: Vec<&PublicAddress> = answer.addresses.iter().collect();
        addresses.sort_by(|a, b| (&a.ip, &a.id).cmp(&(&b.ip, &b.id)));
        for address in addresses {
            let reasons: Vec<String> = cost::address_flags(address)
                .iter()
                .map(|f: &Flag| f.reason_at(now, rules))
                .collect();
            if reasons.is_empty() {
                continue;
            }
            lines.push(format!(
                "{} address {} ({}): {}",
                sanitize(&endpoint.label),
                sanitize(&address.ip),
                sanitize(&address.id),
                reasons.join("; ")
            ));
        }
    }
    lines
}

/// What goes to stderr: `hytop: <endpoint>: <error>` per error and note.
pub fn problem_lines(answers: &[Answer]) -> Vec<String> {
    answers
        .iter()
        .flat_map(|a| {
            a.errors
                .iter()
                .chain(&a.notes)
                .map(move |e| format!("hytop: {}: {}", sanitize(a.label()), sanitize(e)))
        })
        .collect()
}

/// Whether some endpoint could not be (fully) asked.
pub fn any_failed(answers: &[Answer]) -> bool {
    answers.iter().any(|a| !a.errors.is_empty())
}

/// What a command prints and its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: Vec<String>,
    pub code: u8,
}

/// `list`: the table (or JSON) and 0, or 2 if an endpoint failed.
pub fn list_outcome(
    answers: &[Answer],
    json: bool,
    now: DateTime<Utc>,
    prices: &Prices,
    rules: &CostConfig,
) -> Result<Outcome> {
    let rows = rows(answers, now, prices, rules);
    let stdout = if json {
        render_json(&rows)?
    } else {
        render_table(&rows)
    };
    Ok(Outcome {
        stdout,
        stderr: problem_lines(answers),
        code: if any_failed(answers) {
            EXIT_TROUBLE
        } else {
            EXIT_OK
        },
    })
}

/// `check`: the flagged lines; 2 if an endpoint failed, else 1 if anything
/// is flagged, else 0 (and no output at all).
pub fn check_outcome(
    answers: &[Answer],
    now: DateTime<Utc>,
    prices: &Prices,
    rules: &CostConfig,
) -> Outcome {
    let lines = check_lines(answers, now, prices, rules);
    let code = if any_failed(answers) {
        EXIT_TROUBLE
    } else if !lines.is_empty() {
        EXIT_FLAGGED
    } else {
        EXIT_OK
    };
    let stdout = lines.iter().map(|l| format!("{l}\n")).collect();
    Outcome {
        stdout,
        stderr: problem_lines(answers),
        code,
    }
}

/// Keeps the `[[cloud]]`s named in `names` (all when empty); an unknown
/// name is an error listing the known ones.
pub fn select_clouds(config: &mut Config, names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    let known: Vec<&str> = config
        .clouds
        .iter()
        .map(|c| c.name.get_ref().as_str())
        .collect();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(format!(
            "no cloud named \"{unknown}\" in the config; known clouds: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    config.clouds.retain(|c| names.contains(c.name.get_ref()));
    Ok(())
}

/// Runs `list` or `check` on the (already selected) clouds of `config`.
pub async fn run(config: &Config, endpoints: Vec<Built>, command: &Command) -> Result<Outcome> {
    let providers = endpoints;
    let rules = &config.cost;
    let prices = Prices::embedded();
    match command {
        Command::List(args) => {
            let timeout = Duration::from_secs(args.scope.timeout);
            let answers = ask_all(providers, Ask::List, timeout, rules).await;
            list_outcome(&answers, args.json, Utc::now(), prices, rules)
        }
        Command::Check(args) => {
            let timeout = Duration::from_secs(args.scope.timeout);
            let answers = ask_all(providers, Ask::Check, timeout, rules).await;
            Ok(check_outcome(&answers, Utc::now(), prices, rules))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::cost::EXPIRES_TAG;
    use crate::domain::model::CloudKind;
    use crate::testutil::{fixed_now, instance, server};

    fn aws() -> Endpoint {
        Endpoint {
            cloud: "prod".into(),
            label: "default/eu-west-1".into(),
            kind: CloudKind::Aws,
            region: "eu-west-1".into(),
            simulated: false,
        }
    }

    fn lab() -> Endpoint {
        Endpoint {
            cloud: "lab".into(),
            label: "lab/RegionOne".into(),
            kind: CloudKind::OpenStack,
            region: "RegionOne".into(),
            simulated: false,
        }
    }

    fn answer(endpoint: Endpoint, instances: Vec<Instance>) -> Answer {
        Answer {
            endpoint: Some(endpoint),
            instances,
            ..Answer::default()
        }
    }

    fn aged(id: &str, name: &str, hours: i64) -> Instance {
        let mut i = instance(id, name);
        i.launched_at = Some(fixed_now() - Duration::hours(hours));
        i
    }

    fn quiet_cpu() -> InstanceMetrics {
        InstanceMetrics {
            cpu: crate::testutil::series(60, 60, 1.0, 0.0),
            ..InstanceMetrics::default()
        }
    }

    fn rules() -> CostConfig {
        CostConfig::default()
    }

    #[test]
    fn rows_are_sorted_and_carry_every_field() {
        let mut web = aged("i-2", "web", 2);
        web.public_ip = Some("203.0.113.9".into());
        web.size = "t3.micro".into();
        let old = aged("i-1", "db", 30);
        let svc = server("s-1", "svc", "ACTIVE");
        let answers = [answer(aws(), vec![web, old]), answer(lab(), vec![svc])];
        let rows = rows(&answers, fixed_now(), Prices::embedded(), &rules());
        let keys: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.cloud.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(keys, [("lab", "svc"), ("prod", "db"), ("prod", "web")]);

        let web = &rows[2];
        assert_eq!(web.provider, "aws");
        assert_eq!(web.endpoint, "default/eu-west-1");
        assert_eq!(web.age_seconds, Some(7200));
        assert_eq!(web.age_text, "2h00m");
        assert_eq!(web.launched_at.as_deref(), Some("2026-11-21T10:00:00Z"));
        assert_eq!(web.hourly_cost_usd, Some(0.0114));
        assert!(web.flags.is_empty());

        let db = &rows[1];
        assert_eq!(db.flags.len(), 1);
        assert_eq!(db.flags[0].rule, "old");
        assert_eq!(db.flags[0].reason, "running 1d 6h, longer than 8h");

        let svc = &rows[0];
        assert_eq!(svc.provider, "openstack");
        assert_eq!(svc.hourly_cost_usd, None, "a flavor without a price");
        assert_eq!(svc.cost_so_far_usd, None);
        assert_eq!(svc.cost_text, "2.0 vCPU·h");
        assert_eq!(svc.cloud_state, "ACTIVE");
        assert_eq!(svc.state, InstanceState::Running);
    }

    #[test]
    fn json_values_are_normalised() {
        let mut i = aged("i-1", "db", 30);
        i.tags
            .insert(EXPIRES_TAG.into(), "2026-11-21T11:00:00Z".into());
        let rows = rows(
            &[answer(aws(), vec![i])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let text = render_json(&rows).expect("json");
        let value: serde_json::Value = serde_json::from_str(&text).expect("parses");
        let object = value[0].as_object().expect("an object");
        // The full list of field names is the contract tests/cli.rs checks
        // through the binary; here, their values.
        assert_eq!(object.len(), 21, "{object:?}");
        assert_eq!(value[0]["state"], "running");
        assert_eq!(value[0]["public_ip"], serde_json::Value::Null);
        assert_eq!(value[0]["flags"][0]["rule"], "expired");
        assert_eq!(
            value[0]["flags"][0]["reason"],
            "expired 1h ago (hytop:expires)"
        );
        assert_eq!(value[0]["tags"][EXPIRES_TAG], "2026-11-21T11:00:00Z");
        assert_eq!(render_json(&[]).expect("json"), "[]\n");
    }

    #[test]
    fn table_is_aligned_with_a_header() {
        let mut web = aged("i-2", "web server", 2);
        web.public_ip = Some("203.0.113.9".into());
        let old = aged("i-0123456789", "db", 30);
        let rows = rows(
            &[answer(aws(), vec![web, old])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("CLOUD  ENDPOINT"), "{table}");
        let id_at = lines[0].find("ID").expect("ID column");
        assert_eq!(&lines[1][id_at..id_at + 12], "i-0123456789");
        assert_eq!(&lines[2][id_at..id_at + 3], "i-2");
        assert!(lines[1].ends_with(" old"), "{table}");
        assert!(lines[2].contains(" web_server "), "{table}");
        assert!(lines[2].contains(" 203.0.113.9 "), "{table}");
        assert!(lines[2].ends_with(" -"), "{table}");
        assert_eq!(render_table(&[]).lines().count(), 1);
    }

    #[test]
    fn table_cells_cannot_drive_the_terminal() {
        let i = aged("i-1", "evil\x1b[2Jname", 1);
        let rows = rows(
            &[answer(aws(), vec![i])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        assert!(!render_table(&rows).contains('\x1b'));
    }

    #[test]
    fn check_names_flagged_instances_and_addresses() {
        let young = aged("i-3", "fresh", 1);
        let old = aged("i-1", "db", 30);
        let idle = aged("i-2", "quiet", 2);
        let mut a = answer(aws(), vec![young, old, idle]);
        a.metrics.insert("i-2".into(), quiet_cpu());
        a.addresses = vec![
            PublicAddress {
                id: "eipalloc-9".into(),
                ip: "203.0.113.7".into(),
                instance_id: None,
                pool: None,
            },
            PublicAddress {
                id: "eipalloc-1".into(),
                ip: "203.0.113.8".into(),
                instance_id: Some("i-3".into()),
                pool: None,
            },
        ];
        let outcome = check_outcome(&[a], fixed_now(), Prices::embedded(), &rules());
        let lines: Vec<&str> = outcome.stdout.lines().collect();
        assert_eq!(
            lines,
            [
                "default/eu-west-1 db i-1 running 1d6h $0.19: running 1d 6h, longer than 8h",
                "default/eu-west-1 quiet i-2 running 2h00m $0.01: idle: 1.0 % CPU over the last hour",
                "default/eu-west-1 address 203.0.113.7 (eipalloc-9): allocated but not associated",
            ]
        );
        assert_eq!(outcome.code, EXIT_FLAGGED);
        assert!(outcome.stderr.is_empty());
    }

    #[test]
    fn check_joins_reasons() {
        let old = aged("i-1", "db", 30);
        let mut a = answer(aws(), vec![old]);
        a.metrics.insert("i-1".into(), quiet_cpu());
        let lines = check_lines(&[a], fixed_now(), Prices::embedded(), &rules());
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .ends_with(": running 1d 6h, longer than 8h; idle: 1.0 % CPU over the last hour"),
            "{lines:?}"
        );
    }

    #[test]
    fn check_is_quiet_when_nothing_is_flagged() {
        let mut stopped = aged("i-1", "db", 300);
        stopped.state = InstanceState::Stopped;
        let answers = [answer(aws(), vec![aged("i-2", "web", 1), stopped])];
        let outcome = check_outcome(&answers, fixed_now(), Prices::embedded(), &rules());
        assert_eq!(
            outcome,
            Outcome {
                stdout: String::new(),
                stderr: Vec::new(),
                code: EXIT_OK,
            }
        );
    }

    #[test]
    fn a_failed_endpoint_is_exit_2_and_the_rest_still_printed() {
        let mut failed = answer(lab(), Vec::new());
        failed.errors.push("500: Nova is down".into());
        let ok = answer(aws(), vec![aged("i-1", "db", 30)]);
        let answers = [failed, ok];
        let outcome = check_outcome(&answers, fixed_now(), Prices::embedded(), &rules());
        assert_eq!(outcome.code, EXIT_TROUBLE);
        assert_eq!(outcome.stderr, ["hytop: lab/RegionOne: 500: Nova is down"]);
        assert!(outcome.stdout.contains(" db i-1 "), "{}", outcome.stdout);

        let outcome =
            list_outcome(&answers, false, fixed_now(), Prices::embedded(), &rules()).expect("list");
        assert_eq!(outcome.code, EXIT_TROUBLE);
        assert_eq!(outcome.stdout.lines().count(), 2);
    }

    #[test]
    fn a_metrics_note_is_not_a_failure() {
        let mut a = answer(aws(), vec![aged("i-1", "web", 2)]);
        a.notes
            .push("idleness not judged, no metrics: AccessDenied".into());
        let outcome = check_outcome(&[a], fixed_now(), Prices::embedded(), &rules());
        assert_eq!(outcome.code, EXIT_OK);
        assert!(outcome.stdout.is_empty());
        assert_eq!(
            outcome.stderr,
            ["hytop: default/eu-west-1: idleness not judged, no metrics: AccessDenied"]
        );
    }

    #[test]
    fn list_never_shows_idle() {
        // List asks for no metrics, so answers carry none.
        let a = answer(aws(), vec![aged("i-1", "web", 2)]);
        let outcome =
            list_outcome(&[a], true, fixed_now(), Prices::embedded(), &rules()).expect("list");
        assert_eq!(outcome.code, EXIT_OK);
        let value: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("json");
        assert_eq!(value[0]["flags"], serde_json::json!([]));
    }

    #[test]
    fn idle_candidates_are_running_for_the_window() {
        let mut stopped = aged("i-4", "off", 3);
        stopped.state = InstanceState::Stopped;
        let mut unknown = aged("i-5", "mystery", 3);
        unknown.launched_at = None;
        let list = [
            aged("i-1", "old", 2),
            aged("i-2", "exactly", 1),
            {
                let mut i = aged("i-3", "young", 0);
                i.launched_at = Some(fixed_now() - Duration::minutes(59));
                i
            },
            stopped,
            unknown,
        ];
        assert_eq!(
            idle_candidates(&list, fixed_now(), &rules()),
            ["i-1", "i-2"]
        );
        let mut off = rules();
        off.idle_after_mins = 0;
        assert!(idle_candidates(&list, fixed_now(), &off).is_empty());
    }

    #[test]
    fn select_clouds_keeps_named_and_refuses_unknown() {
        let mut config = Config::demo().expect("demo");
        select_clouds(&mut config, &[]).expect("all");
        assert_eq!(config.clouds.len(), 2);
        let err = select_clouds(&mut config, &["nope".into()]).expect_err("unknown");
        assert_eq!(
            err,
            "no cloud named \"nope\" in the config; known clouds: demo-aws, lab"
        );
        select_clouds(&mut config, &["lab".into()]).expect("lab");
        let names: Vec<&str> = config
            .clouds
            .iter()
            .map(|c| c.name.get_ref().as_str())
            .collect();
        assert_eq!(names, ["lab"]);
    }

    #[tokio::test]
    async fn asks_the_simulator_and_times_out() {
        use crate::cloud::sim::{SimProvider, SimSettings, system_clock};
        let settings = |latency_ms| SimSettings {
            instances: 4,
            latency_ms,
            ..SimSettings::default()
        };
        let provider = |latency_ms| -> Built {
            let p = SimProvider::new(
                CloudKind::Aws,
                "sim",
                "eu-west-1",
                settings(latency_ms),
                system_clock(),
            );
            let endpoint = Endpoint {
                cloud: "sim".into(),
                label: p.label(),
                kind: CloudKind::Aws,
                region: "eu-west-1".into(),
                simulated: true,
            };
            Built {
                endpoint,
                provider: std::sync::Arc::new(p),
            }
        };
        let answers = ask_all(
            vec![provider(0), provider(5_000)],
            Ask::Check,
            std::time::Duration::from_millis(300),
            &rules(),
        )
        .await;
        assert_eq!(answers[0].instances.len(), 4);
        assert!(answers[0].errors.is_empty(), "{:?}", answers[0].errors);
        assert!(
            !answers[0].metrics.is_empty(),
            "days-old instances get metrics"
        );
        assert_eq!(answers[1].errors, ["timed out after 300 ms"]);
    }
}
