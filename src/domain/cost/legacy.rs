//! Kept for the dashboard until it uses assess: the old per-question
//! functions, now thin wrappers over [`assess`](super::assess) and the rules,
//! so even the old callers cannot disagree with `hytop check`. Remove this
//! file once `src/dashboard` reads [`Assessment`](super::Assessment)s.

use chrono::{DateTime, Utc};

use crate::domain::cost::assess::{assess, held_text, price_now};
use crate::domain::cost::prices::Prices;
use crate::domain::cost::rules::{self, CostConfig, Flag};
use crate::domain::format::dollars_coarse;
use crate::domain::model::{Instance, InstanceMetrics, PublicAddress};

/// What an instance costs per hour now (`Dollars(0.0)` when not live).
/// Kept for the dashboard until it uses assess.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Dollars(f64),
    /// OpenStack flavor without a price: what it holds.
    Held {
        vcpus: u32,
        memory_gb: f64,
    },
    Unknown,
}

/// Kept for the dashboard until it uses assess: [`Assessment::hourly`] and
/// [`Assessment::held`](super::Assessment::held) as one value.
///
/// [`Assessment::hourly`]: super::Assessment::hourly
pub fn rate(instance: &Instance, prices: &Prices, config: &CostConfig) -> Rate {
    match price_now(instance, prices, config) {
        (Some(d), _) => Rate::Dollars(d),
        (None, Some((vcpus, memory_gb))) => Rate::Held { vcpus, memory_gb },
        (None, None) => Rate::Unknown,
    }
}

/// What an instance has cost since launch. Kept for the dashboard until it
/// uses assess.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spent {
    Dollars(f64),
    Held { vcpu_hours: f64, gb_hours: f64 },
    Unknown,
}

/// Kept for the dashboard until it uses assess: [`assess`]'s `spent` and
/// `held` hours as one value.
pub fn spent(
    instance: &Instance,
    now: DateTime<Utc>,
    prices: &Prices,
    config: &CostConfig,
) -> Spent {
    let a = assess(instance, None, now, prices, config);
    if let Some(d) = a.spent {
        return Spent::Dollars(d);
    }
    match a.held.and_then(|h| Some((h.vcpu_hours()?, h.gb_hours()?))) {
        Some((vcpu_hours, gb_hours)) => Spent::Held {
            vcpu_hours,
            gb_hours,
        },
        None => Spent::Unknown,
    }
}

/// Kept for the dashboard until it uses assess ([`Assessment::hourly_text`]).
///
/// [`Assessment::hourly_text`]: super::Assessment::hourly_text
pub fn format_rate(rate: Rate) -> String {
    let (hourly, held) = match rate {
        Rate::Dollars(d) => (Some(d), None),
        Rate::Held { vcpus, memory_gb } => (
            None,
            Some(super::Held {
                vcpus,
                memory_gb,
                hours: None,
            }),
        ),
        Rate::Unknown => (None, None),
    };
    super::Assessment {
        hourly,
        held,
        ..super::Assessment::default()
    }
    .hourly_text()
}

/// Kept for the dashboard until it uses assess ([`Assessment::spent_text`]).
///
/// [`Assessment::spent_text`]: super::Assessment::spent_text
pub fn format_spent(spent: Spent) -> String {
    match spent {
        Spent::Dollars(d) => dollars_coarse(d),
        Spent::Held {
            vcpu_hours,
            gb_hours,
        } => held_text(vcpu_hours, gb_hours),
        Spent::Unknown => "-".into(),
    }
}

/// Kept for the dashboard until it uses assess ([`assess`]'s `flags`).
pub fn instance_flags(
    instance: &Instance,
    metrics: Option<&InstanceMetrics>,
    now: DateTime<Utc>,
    config: &CostConfig,
) -> Vec<Flag> {
    rules::instance_flags(instance, metrics, now, config)
}

/// Kept for the dashboard until it uses assess
/// ([`assess_address`](super::assess_address)'s `flags`).
pub fn address_flags(address: &PublicAddress) -> Vec<Flag> {
    rules::address_flags(address)
}
