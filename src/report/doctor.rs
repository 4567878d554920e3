//! `hytop doctor NAME-OR-ID`: finds the instance on every endpoint, runs
//! the doctor's checks (the probe only with `--probe`) at once, prints them
//! and exits 0 (nothing failed), 1 (a check failed) or 2 (a cloud could
//! not be asked, or the name is unknown or ambiguous).

use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use crate::cli::DoctorArgs;
use crate::cloud::endpoints::Built;
use crate::config::Config;
use crate::doctor::{self, Check, DoctorContext, Finding};
use crate::domain::format::sanitize;
use crate::report::ask::{Ask, ask_all};
use crate::report::outcome::{EXIT_TROUBLE, Outcome, problem_lines};

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Report<'a> {
    endpoint: &'a str,
    id: &'a str,
    name: &'a str,
    checks: &'a [Finding],
    exit_code: i32,
}

pub(super) async fn run(
    config: &Config,
    endpoints: Vec<Built>,
    args: &DoctorArgs,
) -> Result<Outcome> {
    let timeout = Duration::from_secs(args.scope.timeout);
    let providers: Vec<_> = endpoints
        .iter()
        .map(|b| (b.endpoint.clone(), b.provider.clone()))
        .collect();
    let answers = ask_all(endpoints, Ask::List, timeout, &config.cost).await;
    let mut stderr = problem_lines(&answers);
    let wanted = args.instance.trim();
    let mut candidates = Vec::new();
    for answer in &answers {
        for inst in &answer.instances {
            if inst.id == wanted || inst.name == wanted {
                candidates.push((answer, inst));
            }
        }
    }
    // An exact id beats names that happen to equal it.
    if let Some(by_id) = candidates.iter().find(|(_, i)| i.id == wanted).copied() {
        candidates = vec![by_id];
    }
    let (answer, inst) = match candidates.as_slice() {
        [one] => *one,
        [] => {
            stderr.push(format!("hytop: no instance is called {}", sanitize(wanted)));
            return Ok(Outcome {
                stdout: String::new(),
                stderr,
                code: EXIT_TROUBLE,
            });
        }
        many => {
            let mut stdout = format!(
                "{} instances are called {}; name one by its id:\n",
                many.len(),
                sanitize(wanted)
            );
            for (a, i) in many {
                stdout.push_str(&format!(
                    "  {} {} {}\n",
                    sanitize(a.label()),
                    sanitize(&i.id),
                    i.state
                ));
            }
            return Ok(Outcome {
                stdout,
                stderr,
                code: EXIT_TROUBLE,
            });
        }
    };
    let endpoint = answer
        .endpoint
        .as_ref()
        .ok_or_else(|| color_eyre::eyre::eyre!("an answer without its endpoint"))?;
    let provider = providers
        .iter()
        .find(|(e, _)| e == endpoint)
        .map(|(_, p)| p.clone())
        .ok_or_else(|| color_eyre::eyre::eyre!("no provider for {}", endpoint.label))?;
    let cloud = config.cloud(&endpoint.cloud);
    let context = DoctorContext::new(config, cloud, inst, &endpoint.label);
    let mut checks: Vec<Check> = Check::AT_ONCE.to_vec();
    if args.probe {
        checks.push(Check::Probe);
    }
    let runs = checks
        .iter()
        .map(|&check| doctor::run(provider.as_ref(), &context, check));
    let findings = tokio::time::timeout(timeout, futures::future::join_all(runs))
        .await
        .wrap_err_with(|| format!("the checks of {} timed out", inst.id))?;
    let code = doctor::exit_code(&findings);
    let stdout = if args.json {
        let report = Report {
            endpoint: &endpoint.label,
            id: &inst.id,
            name: &inst.name,
            checks: &findings,
            exit_code: code,
        };
        let mut text = serde_json::to_string_pretty(&report).wrap_err("cannot write the JSON")?;
        text.push('\n');
        text
    } else {
        render(&endpoint.label, &inst.name, &inst.id, &findings)
    };
    Ok(Outcome {
        stdout,
        stderr,
        code: u8::try_from(code).unwrap_or(EXIT_TROUBLE),
    })
}

/// The checks as the popup shows them, one block each.
pub(super) fn render(endpoint: &str, name: &str, id: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "doctor: {} ({}) on {}\n",
        sanitize(name),
        sanitize(id),
        sanitize(endpoint)
    );
    for f in findings {
        out.push_str(&format!(
            "{} {:<16}{}\n",
            f.verdict.symbol(),
            f.check.title(),
            sanitize(&f.reason)
        ));
        for line in &f.lines {
            out.push_str(&format!("    {}\n", sanitize(line)));
        }
        if let Some(fix) = &f.fix {
            out.push_str(&format!("    → {}\n", sanitize(fix)));
        }
    }
    out
}
