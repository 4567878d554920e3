//! `hytop check`'s lines: the flagged instances, the unused addresses and
//! volumes,
//! judged by [`assess`](crate::domain::cost::assess) and
//! [`assess_address`] like the dashboard.

use chrono::{DateTime, Utc};

use crate::domain::cost::{CostConfig, Flag, Prices, assess_address, assess_volume};
use crate::domain::format::sanitize;
use crate::domain::model::{PublicAddress, Volume};
use crate::report::ask::Answer;
use crate::report::render::cell;
use crate::report::rows::Row;

/// `check`: one line per flagged instance and per unassociated address, by
/// cloud and endpoint; instances by name and id, addresses by ip.
///
/// `<endpoint> <name> <id> <state> <age> <cost>: <reason>; <reason>`
/// `<endpoint> address <ip> (<id>): allocated but not associated`
/// `<endpoint> volume [<name>] <id> (<size> <type>, <$/h>): allocated, attached to nothing`
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
            .map(|i| Row::listed(endpoint, answer, i, now, prices, rules))
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
            let assessment = assess_address(address, endpoint.kind, prices);
            if !assessment.is_flagged() {
                continue;
            }
            lines.push(format!(
                "{} address {} ({}): {}",
                sanitize(&endpoint.label),
                sanitize(&address.ip),
                sanitize(&address.id),
                reasons(&assessment.flags, now, rules)
            ));
        }
        let mut volumes: Vec<&Volume> = answer.volumes.iter().collect();
        volumes.sort_by(|a, b| a.id.cmp(&b.id));
        for volume in volumes {
            let assessment = assess_volume(volume, endpoint.kind, &endpoint.region, prices, rules);
            if !assessment.is_flagged() {
                continue;
            }
            let name = volume
                .name
                .as_deref()
                .filter(|n| !n.is_empty())
                .map(|n| format!(" {}", cell(n)))
                .unwrap_or_default();
            lines.push(format!(
                "{} volume{name} {} ({}, {}): {}",
                sanitize(&endpoint.label),
                sanitize(&volume.id),
                sanitize(&volume.summary()),
                assessment.hourly_text(),
                reasons(&assessment.flags, now, rules)
            ));
        }
    }
    lines
}

/// Every flag's reason at `now`, `; `-separated.
fn reasons(flags: &[Flag], now: DateTime<Utc>, rules: &CostConfig) -> String {
    let reasons: Vec<String> = flags.iter().map(|f| f.reason_at(now, rules)).collect();
    reasons.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{answer, aws, rules};
    use crate::testutil::{aged, fixed_now, quiet_cpu};

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
}
