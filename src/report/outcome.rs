//! What `list` and `check` print, and their exit status.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;

use crate::domain::cost::{CostConfig, Prices};
use crate::domain::format::sanitize;
use crate::report::ask::Answer;
use crate::report::check::check_lines;
use crate::report::render::{render_json, render_table};
use crate::report::rows::rows;

/// Exit status: everything was asked and nothing is flagged.
pub const EXIT_OK: u8 = 0;
/// Exit status of `check`: something is flagged.
pub const EXIT_FLAGGED: u8 = 1;
/// Exit status: a cloud could not be asked (or the config is unusable).
pub const EXIT_TROUBLE: u8 = 2;

/// What a command prints and its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: Vec<String>,
    pub code: u8,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{InstanceState, PublicAddress};
    use crate::report::fixtures::{answer, aws, lab, rules};
    use crate::testutil::{aged, fixed_now, quiet_cpu};

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
    fn a_note_is_not_a_failure() {
        let mut a = answer(lab(), vec![aged("i-1", "web", 2)]);
        a.notes
            .push("idleness not judged: no metrics service".into());
        let outcome = check_outcome(&[a], fixed_now(), Prices::embedded(), &rules());
        assert_eq!(outcome.code, EXIT_OK);
        assert!(outcome.stdout.is_empty());
        assert_eq!(
            outcome.stderr,
            ["hytop: lab/RegionOne: idleness not judged: no metrics service"]
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
}
