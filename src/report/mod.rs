//! `hytop list`, `hytop check` and `hytop doctor`: ask every cloud endpoint once, print,
//! exit. No terminal is taken and nothing is logged to stdout or stderr
//! (logs go to the log file as in the dashboard).
//!
//! The asking is [`ask_all`] (the shared [`fetch`](crate::cloud::fetch)
//! sequence per endpoint); everything after it is plain functions on what
//! the clouds answered, testable without a cloud: [`rows`] (judged by
//! [`assess`](crate::domain::cost::assess), as the dashboard judges),
//! [`render_json`]/[`render_table`], [`check_lines`], the [`Outcome`]s, and
//! [`select_clouds`]. This module reads `cloud`, `domain` and `config`,
//! never `dashboard`.

mod ask;
mod check;
mod doctor;
#[cfg(test)]
mod fixtures;
mod outcome;
mod render;
mod rows;
mod select;
mod sweep;

use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::Result;

use crate::cli::Command;
use crate::cloud::endpoints::Built;
pub use crate::cloud::endpoints::Endpoint;
use crate::config::Config;
use crate::domain::cost::{CostConfig, Prices};
pub use ask::{Answer, Ask, ask_all};
pub use check::check_lines;
pub use outcome::{
    EXIT_FLAGGED, EXIT_OK, EXIT_TROUBLE, Outcome, any_failed, check_outcome, list_outcome,
    problem_lines,
};
pub use render::{render_json, render_table};
pub use rows::{FlagEntry, Row, rows};
pub use select::select_clouds;
pub use sweep::{Progress, SWEEP_CONCURRENCY, Sweep, sweep};

/// The sweep's summary (regions asked, time taken) as the first stderr line:
/// stdout stays the table, JSON or check lines scripts read.
fn with_summary(mut outcome: Outcome, swept: &Sweep) -> Outcome {
    outcome
        .stderr
        .insert(0, format!("hytop: {}", swept.summary()));
    outcome
}

/// A sweep for `list`/`check --all-regions`: on a terminal, stderr counts
/// the regions answered on one line, cleared when the sweep is done (a
/// script reading stderr sees only the summary).
async fn sweep_told(
    config: &Config,
    endpoints: Vec<Built>,
    ask: Ask,
    timeout: Duration,
    rules: &CostConfig,
) -> Sweep {
    use std::io::{IsTerminal, Write};
    if !std::io::stderr().is_terminal() {
        return sweep(config, endpoints, Some(ask), timeout, rules, &|_| {}).await;
    }
    let told = |p: Progress| {
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[Khytop: sweeping: {} of {} regions answered…",
            p.answered, p.total
        );
        let _ = err.flush();
    };
    let swept = sweep(config, endpoints, Some(ask), timeout, rules, &told).await;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[K");
    let _ = err.flush();
    swept
}

/// Runs `list` or `check` on the (already selected) clouds of `config`.
pub async fn run(config: &Config, endpoints: Vec<Built>, command: &Command) -> Result<Outcome> {
    let rules = &config.cost;
    let prices = Prices::embedded();
    match command {
        Command::List(args) => {
            let timeout = Duration::from_secs(args.scope.timeout);
            if args.all_regions {
                let swept = sweep_told(config, endpoints, Ask::List, timeout, rules).await;
                let outcome = list_outcome(&swept.answers, args.json, Utc::now(), prices, rules)?;
                return Ok(with_summary(outcome, &swept));
            }
            let answers = ask_all(endpoints, Ask::List, timeout, rules).await;
            list_outcome(&answers, args.json, Utc::now(), prices, rules)
        }
        Command::Check(args) => {
            let timeout = Duration::from_secs(args.scope.timeout);
            if args.all_regions {
                let swept = sweep_told(config, endpoints, Ask::Check, timeout, rules).await;
                let outcome = check_outcome(&swept.answers, Utc::now(), prices, rules);
                return Ok(with_summary(outcome, &swept));
            }
            let answers = ask_all(endpoints, Ask::Check, timeout, rules).await;
            Ok(check_outcome(&answers, Utc::now(), prices, rules))
        }
        Command::Doctor(args) => doctor::run(config, endpoints, args).await,
        // Printed by main before any cloud is built.
        Command::Completions(_) | Command::Man => Ok(Outcome {
            stdout: String::new(),
            stderr: Vec::new(),
            code: EXIT_OK,
        }),
    }
}
