//! The rows of `hytop list`: one per instance, with every judgement taken
//! from [`assess`], so they say what the dashboard says.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::cloud::endpoints::Endpoint;
use crate::domain::cost::{CostConfig, Flag, Prices, assess};
use crate::domain::format;
use crate::domain::model::{Instance, InstanceMetrics, InstanceState};
use crate::report::ask::Answer;

/// One flag of an instance, in `list --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagEntry {
    /// `old`, `expired`, `idle` or `stopped_holding`.
    pub rule: &'static str,
    /// e.g. `running 3d 4h, longer than 8h`.
    pub reason: String,
}

/// One volume of an instance, in `list --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeEntry {
    pub id: String,
    /// GiB; null when the volume listing did not say.
    pub size_gb: Option<u64>,
    /// `gp3`, ... or the Cinder type.
    #[serde(rename = "type")]
    pub volume_type: Option<String>,
    /// Null where the cloud does not say.
    pub delete_on_termination: Option<bool>,
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
    /// The image's name; null while the cloud has not told it (or the
    /// image is gone).
    pub image_name: Option<String>,
    pub key_name: Option<String>,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    /// RFC 3339, UTC.
    pub launched_at: Option<String>,
    pub age_seconds: Option<i64>,
    pub vcpus: Option<u32>,
    pub memory_mb: Option<u64>,
    pub tags: BTreeMap<String, String>,
    /// Its attached volumes.
    pub volumes: Vec<VolumeEntry>,
    /// Estimated $/h now: compute while live, plus its volumes and public
    /// IPv4 address, which bill even while it is stopped; null when the
    /// compute price is unknown (OpenStack flavors without a configured
    /// price).
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
        let assessment = assess(instance, metrics, now, prices, rules);
        let flags = assessment
            .flags
            .iter()
            .map(|f| FlagEntry {
                rule: f.rule(),
                reason: f.reason_at(now, rules),
            })
            .collect();
        Row {
            cloud: endpoint.cloud.clone(),
            endpoint: endpoint.label.clone(),
            provider: instance.kind.label(),
            region: instance.region.to_string(),
            id: instance.id.clone(),
            name: instance.name.clone(),
            state: instance.state,
            cloud_state: instance.raw_state.to_string(),
            size: instance.size.to_string(),
            image: instance.image.to_string(),
            image_name: instance.image_name.as_deref().map(str::to_string),
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
            volumes: instance
                .volumes
                .iter()
                .map(|v| VolumeEntry {
                    id: v.id.clone(),
                    size_gb: v.size_gb,
                    volume_type: v.volume_type.as_ref().map(|t| t.to_string()),
                    delete_on_termination: v.delete_on_termination,
                })
                .collect(),
            hourly_cost_usd: assessment.hourly,
            cost_so_far_usd: assessment.spent,
            flags,
            age_text: age.map_or_else(|| "-".to_string(), format::age),
            cost_text: assessment.spent_text(),
        }
    }

    /// The row of `instance` as `answer` listed it; flagged `unwatched`
    /// when the answer comes from a region hytop does not show (anything not
    /// terminated there: a stopped instance still bills for its volumes).
    pub(super) fn listed(
        endpoint: &Endpoint,
        answer: &Answer,
        instance: &Instance,
        now: DateTime<Utc>,
        prices: &Prices,
        rules: &CostConfig,
    ) -> Row {
        let metrics = answer.metrics.get(&instance.id);
        let mut row = Row::new(endpoint, instance, metrics, now, prices, rules);
        if answer.unwatched && instance.state != InstanceState::Terminated {
            let flag = Flag::Unwatched {
                region: endpoint.region.clone(),
                state: instance.state,
            };
            row.flags.push(FlagEntry {
                rule: flag.rule(),
                reason: flag.reason_at(now, rules),
            });
        }
        row
    }

    pub(super) fn sort_key(&self) -> (&str, &str, &str, &str) {
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
                .map(move |i| Row::listed(endpoint, a, i, now, prices, rules))
        })
        .collect();
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cost::Totals;
    use crate::domain::model::CloudKind;
    use crate::report::fixtures::{answer, aws, lab, rules};
    use crate::testutil::{aged, fixed_now, server, varied_fleet, varied_rules};

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
        // Compute, plus its public IPv4 address.
        assert_eq!(web.hourly_cost_usd, Some(0.0114 + 0.005));
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
    fn a_stopped_instance_still_costs_its_volume_and_address() {
        use crate::domain::model::Volume;
        let mut i = aged("i-1", "web", 2);
        i.state = InstanceState::Stopped;
        i.raw_state = "stopped".into();
        i.public_ip = Some("203.0.113.9".into());
        i.volumes = vec![Volume {
            device: Some("/dev/xvda".into()),
            delete_on_termination: Some(false),
            ..crate::testutil::gp3_volume("vol-1", 8, Some("i-1"))
        }];
        let rows = rows(
            &[answer(aws(), vec![i])],
            fixed_now(),
            Prices::embedded(),
            &rules(),
        );
        let want = 8.0 * 0.088 / 730.0 + 0.005;
        let got = rows[0].hourly_cost_usd.unwrap_or(0.0);
        assert!((got - want).abs() < 1e-9, "{got} != {want}");
        assert_eq!(rows[0].cost_so_far_usd, None, "not live");
        let json = serde_json::to_value(&rows[0].volumes).expect("json");
        assert_eq!(
            json,
            serde_json::json!([{
                "id": "vol-1", "size_gb": 8, "type": "gp3", "delete_on_termination": false
            }])
        );
    }

    #[test]
    fn rows_say_what_assess_says() {
        let now = fixed_now();
        let prices = Prices::embedded();
        let rules = varied_rules(rules());
        let mut seen = std::collections::BTreeSet::new();
        let mut totals = Totals::default();
        for (instance, metrics) in varied_fleet() {
            let endpoint = match instance.kind {
                CloudKind::Aws => aws(),
                CloudKind::OpenStack => lab(),
            };
            let a = assess(&instance, metrics.as_ref(), now, prices, &rules);
            let row = Row::new(&endpoint, &instance, metrics.as_ref(), now, prices, &rules);
            assert_eq!(row.hourly_cost_usd, a.hourly, "{}", instance.id);
            assert_eq!(row.cost_so_far_usd, a.spent, "{}", instance.id);
            assert_eq!(row.cost_text, a.spent_text(), "{}", instance.id);
            let rules_of_row: Vec<&str> = row.flags.iter().map(|f| f.rule).collect();
            let shorts: Vec<&str> = a.flags.iter().map(Flag::short).collect();
            assert_eq!(rules_of_row, shorts, "{}", instance.id);
            let reasons: Vec<&str> = row.flags.iter().map(|f| f.reason.as_str()).collect();
            assert_eq!(reasons, a.reasons(now, &rules), "{}", instance.id);
            seen.extend(shorts);
            totals.add(&a);
        }
        // The fleet really covers every judgement.
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["expired", "idle", "old"]
        );
        assert!(totals.unpriced >= 1 && totals.held_vcpus >= 1);
        assert!(totals.dollars_per_hour > 0.0);
    }

    #[test]
    fn check_lines_say_what_assess_says() {
        let now = fixed_now();
        let prices = Prices::embedded();
        let rules = rules();
        let fleet = varied_fleet();
        let mut a = answer(aws(), Vec::new());
        for (instance, metrics) in &fleet {
            if let Some(m) = metrics {
                a.metrics.insert(instance.id.clone(), m.clone());
            }
            a.instances.push(instance.clone());
        }
        let lines = crate::report::check::check_lines(&[a], now, prices, &rules);
        let flagged: Vec<&(Instance, Option<InstanceMetrics>)> = fleet
            .iter()
            .filter(|(i, m)| assess(i, m.as_ref(), now, prices, &rules).is_flagged())
            .collect();
        assert_eq!(lines.len(), flagged.len(), "{lines:#?}");
        for (instance, metrics) in flagged {
            let a = assess(instance, metrics.as_ref(), now, prices, &rules);
            let line = lines
                .iter()
                .find(|l| l.contains(&format!(" {} ", instance.id)))
                .unwrap_or_else(|| panic!("no line for {}: {lines:#?}", instance.id));
            assert!(
                line.ends_with(&format!(
                    " {}: {}",
                    a.spent_text(),
                    a.reasons(now, &rules).join("; ")
                )),
                "{line}"
            );
        }
    }
}
