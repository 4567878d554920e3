//! Cost safety: what an instance costs, and which instances and addresses
//! look forgotten. Plain functions on the model, no I/O.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::domain::model::{CloudKind, Instance, InstanceMetrics, InstanceState, PublicAddress};

/// `[cost]` in config.toml.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostConfig {
    /// A running instance older than this is flagged, unless an expiry tag
    /// in the future protects it.
    pub max_age_hours: f64,
    /// Running longer than `idle_after_mins` with average CPU below this
    /// (percent) over the last `idle_after_mins` is flagged idle.
    pub idle_cpu_percent: f64,
    pub idle_after_mins: u32,
    /// `hytop:expires` of instances hytop launches: now + this.
    pub default_ttl_hours: f64,
    /// On-demand $/h overrides: `"t3.micro" = 0.0104` for every region, or
    /// `"eu-west-1/t3.micro" = 0.0114` for one.
    pub prices: BTreeMap<String, f64>,
    /// $/h of OpenStack flavors, by flavor name (they have no list price).
    pub flavor_prices: BTreeMap<String, f64>,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            max_age_hours: 8.0,
            idle_cpu_percent: 5.0,
            idle_after_mins: 60,
            default_ttl_hours: 8.0,
            prices: BTreeMap::new(),
            flavor_prices: BTreeMap::new(),
        }
    }
}

/// The embedded on-demand price table (see its header for date, source and
/// what the figures leave out).
pub const PRICES_TOML: &str = include_str!("../../../assets/prices.toml");

/// Expiry hytop writes on the instances it launches (RFC 3339).
pub const EXPIRES_TAG: &str = "hytop:expires";
/// Expiry gruntwork's cloud-nuke honours; respected so one tag serves both tools.
pub const NUKE_TAG: &str = "cloud-nuke-after";
/// Who launched an instance, so a forgotten one can be traced to a person.
pub const OWNER_TAG: &str = "hytop:owner";

/// AWS has charged this for every public IPv4 address since February 2024;
/// also the fallback so addresses never look free when the table is missing.
const PUBLIC_IPV4_PER_HOUR: f64 = 0.005;

/// An idle verdict needs CPU data over at least this share of the window,
/// so a freshly collected handful of quiet points cannot condemn a VM.
const IDLE_MIN_COVERAGE: f64 = 0.8;

/// AWS bills Linux per second but at least one minute per start.
const MIN_BILLED_SECS: i64 = 60;

/// A price table: $/h by region and instance type, plus addresses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    date: String,
    source: String,
    #[serde(default)]
    regions: BTreeMap<String, BTreeMap<String, f64>>,
    #[serde(default)]
    addresses: AddressPrices,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AddressPrices {
    public_ipv4_per_hour: f64,
}

impl Default for AddressPrices {
    fn default() -> Self {
        AddressPrices {
            public_ipv4_per_hour: PUBLIC_IPV4_PER_HOUR,
        }
    }
}

impl Default for Prices {
    /// No table at all: every AWS instance without a config override is
    /// `Unknown`, which is honest, rather than free, which would be wrong.
    fn default() -> Self {
        Prices {
            date: "unknown".into(),
            source: "none (no price table)".into(),
            regions: BTreeMap::new(),
            addresses: AddressPrices::default(),
        }
    }
}

impl Prices {
    /// Parses a table shaped like `assets/prices.toml`.
    pub fn parse(text: &str) -> Result<Prices, toml::de::Error> {
        toml::from_str(text)
    }

    /// The table built into the binary, parsed on first use.
    pub fn embedded() -> &'static Prices {
        static EMBEDDED: OnceLock<Prices> = OnceLock::new();
        EMBEDDED.get_or_init(|| match Prices::parse(PRICES_TOML) {
            Ok(prices) => prices,
            Err(e) => {
                // A unit test keeps this from happening; should it anyway,
                // the dashboard must still start, showing prices as unknown.
                tracing::error!("the embedded price table does not parse: {e}");
                Prices::default()
            }
        })
    }

    /// When the figures were taken (`YYYY-MM-DD`).
    pub fn date(&self) -> &str {
        &self.date
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Regions the table has prices for.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.regions.keys().map(String::as_str)
    }

    /// $/h for `instance` under `config` overrides: AWS: `config.prices`
    /// `"<region>/<type>"`, then `"<type>"`, then this table for the
    /// instance's region. OpenStack: `config.flavor_prices[flavor]`.
    pub fn hourly(&self, instance: &Instance, config: &CostConfig) -> Option<f64> {
        match instance.kind {
            CloudKind::Aws => self.aws_hourly(&instance.region, &instance.size, config),
            CloudKind::OpenStack => config
                .flavor_prices
                .get(&instance.size)
                .copied()
                .and_then(usable),
        }
    }

    /// $/h of an EC2 instance type in a region, with the same precedence as
    /// [`Prices::hourly`]; for showing a price before anything is launched.
    pub fn aws_hourly(
        &self,
        region: &str,
        instance_type: &str,
        config: &CostConfig,
    ) -> Option<f64> {
        config
            .prices
            .get(&format!("{region}/{instance_type}"))
            .copied()
            .and_then(usable)
            .or_else(|| config.prices.get(instance_type).copied().and_then(usable))
            .or_else(|| {
                self.regions
                    .get(region)
                    .and_then(|table| table.get(instance_type))
                    .copied()
                    .and_then(usable)
            })
    }

    /// $/h of one public IPv4 address, associated or not.
    pub fn address_hourly(&self) -> f64 {
        usable(self.addresses.public_ipv4_per_hour).unwrap_or(PUBLIC_IPV4_PER_HOUR)
    }
}

/// A price that is negative or not a number is a typo, not a discount:
/// treat it as absent instead of showing nonsense.
fn usable(price: f64) -> Option<f64> {
    if price.is_finite() && price >= 0.0 {
        Some(price)
    } else {
        tracing::debug!("ignoring unusable price {price}");
        None
    }
}

/// What an instance costs per hour now (only while it is live:
/// pending/running/stopping; `Dollars(0.0)` otherwise), as an estimate.
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

/// What an instance costs per hour now; see [`Rate`].
pub fn rate(instance: &Instance, prices: &Prices, config: &CostConfig) -> Rate {
    if !instance.state.is_live() {
        return Rate::Dollars(0.0);
    }
    if let Some(dollars) = prices.hourly(instance, config) {
        return Rate::Dollars(dollars);
    }
    match instance.kind {
        CloudKind::OpenStack if instance.vcpus.is_some() || instance.memory_mb.is_some() => {
            Rate::Held {
                vcpus: instance.vcpus.unwrap_or(0),
                memory_gb: instance.memory_mb.unwrap_or(0) as f64 / 1024.0,
            }
        }
        _ => Rate::Unknown,
    }
}

/// What an instance has cost since launch, as an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spent {
    Dollars(f64),
    Held { vcpu_hours: f64, gb_hours: f64 },
    Unknown,
}

/// Cost since launch until `now`: hours × [`rate`], at least one minute.
///
/// Only while live: a stopped or terminated instance's cost so far cannot be
/// told from the listing, so it is `Unknown`. EC2 resets the launch time on
/// every start, so for a restarted instance this is the current run only.
pub fn spent(
    instance: &Instance,
    now: DateTime<Utc>,
    prices: &Prices,
    config: &CostConfig,
) -> Spent {
    if !instance.state.is_live() {
        return Spent::Unknown;
    }
    let Some(launched) = instance.launched_at else {
        return Spent::Unknown;
    };
    let hours = (now - launched).num_seconds().max(MIN_BILLED_SECS) as f64 / 3600.0;
    match rate(instance, prices, config) {
        Rate::Dollars(per_hour) => Spent::Dollars(per_hour * hours),
        Rate::Held { vcpus, memory_gb } => Spent::Held {
            vcpu_hours: f64::from(vcpus) * hours,
            gb_hours: memory_gb * hours,
        },
        Rate::Unknown => Spent::Unknown,
    }
}

/// The sum of [`rate`] over many instances, for a fleet or cloud total.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// $/h of the instances with a price.
    pub dollars_per_hour: f64,
    /// What the live OpenStack servers without a flavor price hold.
    pub held_vcpus: u32,
    pub held_memory_gb: f64,
    /// Live instances whose price is unknown (the dollar sum leaves them out).
    pub unknown: usize,
}

pub fn total_rate<'a>(
    instances: impl IntoIterator<Item = &'a Instance>,
    prices: &Prices,
    config: &CostConfig,
) -> Totals {
    let mut totals = Totals::default();
    for instance in instances {
        match rate(instance, prices, config) {
            Rate::Dollars(d) => totals.dollars_per_hour += d,
            Rate::Held { vcpus, memory_gb } => {
                totals.held_vcpus = totals.held_vcpus.saturating_add(vcpus);
                totals.held_memory_gb += memory_gb;
            }
            Rate::Unknown => totals.unknown += 1,
        }
    }
    totals
}

/// `$0.0116/h`, `$0.17/h`, `$1.5k/h`, `1 vCPU, 0.5 GB`, `?` (unknown price).
pub fn format_rate(rate: Rate) -> String {
    match rate {
        Rate::Dollars(d) => format!("{}/h", dollars_fine(d)),
        Rate::Held { vcpus, memory_gb } => {
            format!("{vcpus} vCPU, {} GB", trim_decimals(memory_gb, 1))
        }
        Rate::Unknown => "?".into(),
    }
}

/// `$0.28`, `$342`, `$1.5k`, `12 vCPU·h`, `-` (unknown).
pub fn format_spent(spent: Spent) -> String {
    match spent {
        Spent::Dollars(d) => dollars_coarse(d),
        Spent::Held {
            vcpu_hours,
            gb_hours,
        } => {
            if vcpu_hours > 0.0 || gb_hours <= 0.0 {
                format!("{} vCPU·h", compact(vcpu_hours))
            } else {
                format!("{} GB·h", compact(gb_hours))
            }
        }
        Spent::Unknown => "-".into(),
    }
}

/// Hourly prices are small: keep up to four decimals so t2.nano and t3.nano
/// stay apart.
fn dollars_fine(d: f64) -> String {
    let d = if d.is_finite() { d.max(0.0) } else { 0.0 };
    if d == 0.0 {
        "$0".into()
    } else if d < 0.0001 {
        "<$0.0001".into()
    } else if d < 10.0 {
        let mut s = format!("{d:.4}");
        // Cents always shown, extra zeros not: $0.17, $0.085, $0.0116.
        while s.ends_with('0') && s.len() > s.find('.').map_or(0, |dot| dot + 3) {
            s.pop();
        }
        format!("${s}")
    } else if d < 1000.0 {
        format!("${d:.2}")
    } else {
        format!("${}", compact(d))
    }
}

/// Sums of money: cents at most, and short once large.
fn dollars_coarse(d: f64) -> String {
    let d = if d.is_finite() { d.max(0.0) } else { 0.0 };
    if d == 0.0 {
        "$0.00".into()
    } else if d < 0.01 {
        "<$0.01".into()
    } else if d < 100.0 {
        format!("${d:.2}")
    } else if d < 1000.0 {
        format!("${d:.0}")
    } else {
        format!("${}", compact(d))
    }
}

/// `2.0`, `12`, `1.5k`, `15k`, `1.2M`.
fn compact(x: f64) -> String {
    let x = if x.is_finite() { x.max(0.0) } else { 0.0 };
    let (value, suffix) = if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    if value < 10.0 {
        format!("{value:.1}{suffix}")
    } else {
        format!("{value:.0}{suffix}")
    }
}

fn trim_decimals(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Why an instance or address looks forgotten.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// Live longer than max_age_hours, and no expiry tag in the future.
    TooOld { age: chrono::Duration },
    /// Past its expiry tag (`hytop:expires`, or `cloud-nuke-after`).
    Expired { tag: String, at: DateTime<Utc> },
    /// Running > idle_after_mins with average CPU < idle_cpu_percent over the
    /// last idle_after_mins.
    Idle { cpu_percent: f64 },
    /// An Elastic IP / floating IP allocated but not associated.
    Unassociated,
}

impl Flag {
    /// `old`, `expired`, `idle`, `unused ip`.
    pub fn short(&self) -> &'static str {
        match self {
            Flag::TooOld { .. } => "old",
            Flag::Expired { .. } => "expired",
            Flag::Idle { .. } => "idle",
            Flag::Unassociated => "unused ip",
        }
    }

    /// The reason from the flag alone, which knows neither the current time
    /// nor the configured limits: `running 9h 12m without an expiry tag`,
    /// `expired at 2026-11-21 10:00 UTC (hytop:expires)`, `idle: 1.2 % CPU`,
    /// `allocated but not associated`. Prefer [`Flag::reason_at`].
    pub fn reason(&self) -> String {
        match self {
            Flag::TooOld { age } => format!("running {} without an expiry tag", span(*age)),
            Flag::Expired { tag, at } => {
                format!("expired at {} ({tag})", at.format("%Y-%m-%d %H:%M UTC"))
            }
            Flag::Idle { cpu_percent } => format!("idle: {cpu_percent:.1} % CPU"),
            Flag::Unassociated => "allocated but not associated".into(),
        }
    }

    /// The full reason at `now` under `config`: `running 9h 12m, longer than
    /// 8h`, `expired 2h ago (hytop:expires)`, `idle: 1.2 % CPU over the last
    /// hour`, `allocated but not associated`.
    pub fn reason_at(&self, now: DateTime<Utc>, config: &CostConfig) -> String {
        match self {
            Flag::TooOld { age } => match max_age(config) {
                Some(limit) => format!("running {}, longer than {}", span(*age), span(limit)),
                None => self.reason(),
            },
            Flag::Expired { tag, at } => {
                if *at <= now {
                    format!("expired {} ago ({tag})", span(now - *at))
                } else {
                    format!("expires in {} ({tag})", span(*at - now))
                }
            }
            Flag::Idle { cpu_percent } => format!(
                "idle: {cpu_percent:.1} % CPU over the last {}",
                window_words(config.idle_after_mins)
            ),
            Flag::Unassociated => self.reason(),
        }
    }
}

/// `45s`, `12m`, `9h 12m`, `8h`, `3d 4h`.
fn span(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins) = (secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `hour`, `2 h`, `30 min`.
fn window_words(mins: u32) -> String {
    match mins {
        60 => "hour".into(),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

/// The configured age limit; zero, negative or absurd means "no limit".
fn max_age(config: &CostConfig) -> Option<chrono::Duration> {
    let hours = config.max_age_hours;
    if !(hours.is_finite() && hours > 0.0) {
        return None;
    }
    chrono::Duration::try_seconds((hours * 3600.0).round().min(i64::MAX as f64 / 2000.0) as i64)
}

/// The expiry an instance carries: `hytop:expires` (RFC 3339), else
/// `cloud-nuke-after` (RFC 3339, as cloud-nuke writes it), with the tag name.
/// An unparseable value is ignored (logged at debug), so a garbage
/// `hytop:expires` does not hide a valid `cloud-nuke-after`.
pub fn expiry(instance: &Instance) -> Option<(String, DateTime<Utc>)> {
    [EXPIRES_TAG, NUKE_TAG].into_iter().find_map(|tag| {
        let value = instance.tags.get(tag)?;
        match DateTime::parse_from_rfc3339(value.trim()) {
            Ok(at) => Some((tag.to_string(), at.with_timezone(&Utc))),
            Err(e) => {
                tracing::debug!(
                    instance = %instance.id,
                    "ignoring tag {tag}={value:?}: not RFC 3339 ({e})"
                );
                None
            }
        }
    })
}

/// Flags of an instance at `now`. Only live instances are flagged. An expiry
/// in the future protects from `TooOld`; one in the past is `Expired` and
/// then not also `TooOld`. `Idle` can come on top of either.
pub fn instance_flags(
    instance: &Instance,
    metrics: Option<&InstanceMetrics>,
    now: DateTime<Utc>,
    config: &CostConfig,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    if !instance.state.is_live() {
        return flags;
    }
    match expiry(instance) {
        Some((tag, at)) if at <= now => flags.push(Flag::Expired { tag, at }),
        Some(_) => {}
        None => {
            if let (Some(age), Some(limit)) = (instance.age(now), max_age(config))
                && age > limit
            {
                flags.push(Flag::TooOld { age });
            }
        }
    }
    if let Some(cpu_percent) = idle_cpu(instance, metrics, now, config) {
        flags.push(Flag::Idle { cpu_percent });
    }
    flags
}

/// The average CPU over the idle window if it is below the threshold, judged
/// only with data over most of the window: no data never means idle.
fn idle_cpu(
    instance: &Instance,
    metrics: Option<&InstanceMetrics>,
    now: DateTime<Utc>,
    config: &CostConfig,
) -> Option<f64> {
    if instance.state != InstanceState::Running || config.idle_after_mins == 0 {
        return None;
    }
    let window = chrono::Duration::minutes(i64::from(config.idle_after_mins));
    if instance.age(now).is_some_and(|age| age < window) {
        return None;
    }
    let cpu = &metrics?.cpu;
    let start = now - window;
    let points: Vec<(DateTime<Utc>, f64)> = cpu
        .points
        .iter()
        .filter(|(t, v)| *t >= start && *t <= now && v.is_finite())
        .copied()
        .collect();
    let (first, last) = (points.first()?.0, points.last()?.0);
    let covered_secs = if cpu.period_secs > 0 {
        points.len() as f64 * f64::from(cpu.period_secs)
    } else {
        (last - first).num_seconds() as f64
    };
    if covered_secs < IDLE_MIN_COVERAGE * window.num_seconds() as f64 {
        return None;
    }
    let average = points.iter().map(|(_, v)| v).sum::<f64>() / points.len() as f64;
    (average < config.idle_cpu_percent).then_some(average)
}

/// Flags of an allocated public address.
pub fn address_flags(address: &PublicAddress) -> Vec<Flag> {
    match address.instance_id.as_deref() {
        Some(id) if !id.trim().is_empty() => Vec::new(),
        _ => vec![Flag::Unassociated],
    }
}

/// The `hytop:expires` value for an instance launched at `now` with TTL
/// `hours` (RFC 3339, seconds precision, UTC `Z`). A TTL that is negative or
/// not a number counts as zero: expiring at once is the safe mistake.
pub fn expires_value(now: DateTime<Utc>, hours: f64) -> String {
    // Ten years: beyond that a TTL is a typo, and chrono would overflow.
    const MAX_SECS: f64 = 10.0 * 366.0 * 86_400.0;
    let secs = if hours.is_finite() {
        (hours * 3600.0).round().clamp(0.0, MAX_SECS) as i64
    } else {
        0
    };
    let at = chrono::Duration::try_seconds(secs)
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(now);
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The new `hytop:expires` after extending by `hours`: from the later of
/// `now` and the current expiry, so extending an expired instance gives it
/// `hours` from now and extending a protected one adds to what it had.
pub fn extended_expiry(instance: &Instance, now: DateTime<Utc>, hours: f64) -> String {
    let base = match expiry(instance) {
        Some((_, at)) if at > now => at,
        _ => now,
    };
    expires_value(base, hours)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::model::Series;
    use crate::testutil::{fixed_now, instance, series, server};

    fn config() -> CostConfig {
        CostConfig::default()
    }

    fn aged(hours: f64) -> Instance {
        let mut i = instance("i-1", "web");
        i.launched_at = Some(fixed_now() - Duration::seconds((hours * 3600.0) as i64));
        i
    }

    fn tagged(tag: &str, value: &str) -> Instance {
        let mut i = aged(20.0);
        i.tags.insert(tag.into(), value.into());
        i
    }

    fn cpu(series: Series) -> InstanceMetrics {
        InstanceMetrics {
            cpu: series,
            ..InstanceMetrics::default()
        }
    }

    #[test]
    fn embedded_table_parses_and_states_date_and_source() {
        let prices = Prices::parse(PRICES_TOML).expect("embedded prices parse");
        assert!(
            chrono::NaiveDate::parse_from_str(prices.date(), "%Y-%m-%d").is_ok(),
            "date {:?}",
            prices.date()
        );
        assert!(prices.source().contains("AWS"));
        assert!(prices.source().contains("Linux"));
        assert!(PRICES_TOML.to_lowercase().contains("estimate"));
        assert_eq!(Prices::embedded(), &prices);
        assert_eq!(prices.address_hourly(), 0.005);
        let regions: Vec<&str> = prices.regions().collect();
        assert_eq!(regions, ["eu-west-1", "us-east-1"]);
        for (region, table) in &prices.regions {
            for (size, price) in table {
                assert!(*price > 0.0 && *price < 5.0, "{region}/{size} = {price}");
            }
        }
        for size in [
            "t2.nano",
            "t2.micro",
            "t2.small",
            "t2.medium",
            "t2.large",
            "t3.nano",
            "t3.micro",
            "t3.small",
            "t3.medium",
            "t3.large",
            "t3a.micro",
            "t3a.small",
            "t4g.nano",
            "t4g.micro",
            "t4g.small",
            "m5.large",
            "m5.xlarge",
            "m6i.large",
            "c5.large",
            "r5.large",
        ] {
            for region in ["eu-west-1", "us-east-1"] {
                assert!(
                    prices.aws_hourly(region, size, &config()).is_some(),
                    "{region}/{size} missing"
                );
            }
        }
    }

    #[test]
    fn a_broken_table_is_an_error_not_a_panic() {
        assert!(Prices::parse("date = 3").is_err());
        assert!(Prices::parse("date = \"x\"\nsource = \"y\"\nbogus = 1").is_err());
        let empty = Prices::default();
        assert_eq!(empty.hourly(&instance("i-1", "a"), &config()), None);
        assert_eq!(empty.address_hourly(), 0.005);
    }

    #[test]
    fn price_lookup_per_region() {
        let prices = Prices::embedded();
        let mut i = instance("i-1", "web");
        i.size = "t2.micro".into();
        assert_eq!(prices.hourly(&i, &config()), Some(0.0126));
        i.region = "us-east-1".into();
        assert_eq!(prices.hourly(&i, &config()), Some(0.0116));
        i.size = "t3.micro".into();
        assert_eq!(prices.hourly(&i, &config()), Some(0.0104));
        i.region = "eu-west-1".into();
        assert_eq!(prices.hourly(&i, &config()), Some(0.0114));
        i.region = "ap-nowhere-9".into();
        assert_eq!(prices.hourly(&i, &config()), None);
    }

    #[test]
    fn region_override_beats_type_override_beats_table() {
        let prices = Prices::embedded();
        let mut i = instance("i-1", "web");
        i.size = "t3.micro".into();
        let mut config = config();
        config.prices.insert("t3.micro".into(), 0.02);
        assert_eq!(prices.hourly(&i, &config), Some(0.02));
        config.prices.insert("eu-west-1/t3.micro".into(), 0.03);
        assert_eq!(prices.hourly(&i, &config), Some(0.03));
        // The region override is for its region only.
        i.region = "us-east-1".into();
        assert_eq!(prices.hourly(&i, &config), Some(0.02));
        // A nonsense override does not hide the table.
        let mut config = self::config();
        config.prices.insert("t3.micro".into(), -1.0);
        assert_eq!(prices.hourly(&i, &config), Some(0.0104));
    }

    #[test]
    fn unknown_type_is_unknown() {
        let prices = Prices::embedded();
        let mut i = instance("i-1", "web");
        i.size = "x9.huge".into();
        assert_eq!(rate(&i, prices, &config()), Rate::Unknown);
        assert_eq!(spent(&i, fixed_now(), prices, &config()), Spent::Unknown);
        assert_eq!(format_rate(Rate::Unknown), "?");
        assert_eq!(format_spent(Spent::Unknown), "-");
    }

    #[test]
    fn only_live_instances_cost() {
        let prices = Prices::embedded();
        let mut i = instance("i-1", "web");
        assert_eq!(rate(&i, prices, &config()), Rate::Dollars(0.0063));
        for (state, live) in [
            (InstanceState::Pending, true),
            (InstanceState::Stopping, true),
            (InstanceState::Stopped, false),
            (InstanceState::Terminated, false),
            (InstanceState::Error, false),
        ] {
            i.state = state;
            let r = rate(&i, prices, &config());
            let s = spent(&i, fixed_now(), prices, &config());
            if live {
                assert_eq!(r, Rate::Dollars(0.0063), "{state}");
                assert!(matches!(s, Spent::Dollars(d) if d > 0.0), "{state}");
            } else {
                assert_eq!(r, Rate::Dollars(0.0), "{state}");
                assert_eq!(s, Spent::Unknown, "{state}");
            }
        }
    }

    #[test]
    fn openstack_flavor_price_or_what_it_holds() {
        let prices = Prices::embedded();
        let s = server("s-1", "svc", "ACTIVE");
        assert_eq!(
            rate(&s, prices, &config()),
            Rate::Held {
                vcpus: 1,
                memory_gb: 0.5
            }
        );
        assert_eq!(
            spent(&s, fixed_now(), prices, &config()),
            Spent::Held {
                vcpu_hours: 2.0,
                gb_hours: 1.0
            }
        );
        assert_eq!(format_rate(rate(&s, prices, &config())), "1 vCPU, 0.5 GB");
        assert_eq!(
            format_spent(spent(&s, fixed_now(), prices, &config())),
            "2.0 vCPU·h"
        );

        let mut config = config();
        config.flavor_prices.insert("m1.tiny".into(), 0.01);
        assert_eq!(prices.hourly(&s, &config), Some(0.01));
        assert_eq!(rate(&s, prices, &config), Rate::Dollars(0.01));
        assert_eq!(
            spent(&s, fixed_now(), prices, &config),
            Spent::Dollars(0.02)
        );
        // AWS overrides are not flavor prices.
        let mut config = self::config();
        config.prices.insert("m1.tiny".into(), 0.5);
        assert_eq!(prices.hourly(&s, &config), None);

        let mut bare = server("s-2", "svc", "ACTIVE");
        bare.vcpus = None;
        bare.memory_mb = None;
        assert_eq!(rate(&bare, prices, &config), Rate::Unknown);
    }

    #[test]
    fn spent_for_a_three_hour_old_t3_micro() {
        let prices = Prices::embedded();
        let mut i = aged(3.0);
        i.size = "t3.micro".into();
        i.region = "us-east-1".into();
        let Spent::Dollars(d) = spent(&i, fixed_now(), prices, &config()) else {
            panic!("a priced instance has dollars spent");
        };
        assert!((d - 0.0312).abs() < 1e-9, "{d}");
        assert_eq!(format_spent(Spent::Dollars(d)), "$0.03");

        // Without a launch time nothing can be said.
        i.launched_at = None;
        assert_eq!(spent(&i, fixed_now(), prices, &config()), Spent::Unknown);
        // A fresh start bills a minute.
        i.launched_at = Some(fixed_now() - Duration::seconds(5));
        assert_eq!(
            spent(&i, fixed_now(), prices, &config()),
            Spent::Dollars(0.0104 / 60.0)
        );
    }

    #[test]
    fn totals_sum_rates() {
        let prices = Prices::embedded();
        let mut stopped = instance("i-2", "b");
        stopped.state = InstanceState::Stopped;
        let mut unknown = instance("i-3", "c");
        unknown.size = "x9.huge".into();
        let fleet = [
            instance("i-1", "a"),
            stopped,
            unknown,
            server("s-1", "svc", "ACTIVE"),
        ];
        let totals = total_rate(&fleet, prices, &config());
        assert!((totals.dollars_per_hour - 0.0063).abs() < 1e-12);
        assert_eq!(totals.unknown, 1);
        assert_eq!(totals.held_vcpus, 1);
        assert_eq!(totals.held_memory_gb, 0.5);
    }

    #[test]
    fn formats_are_short() {
        assert_eq!(format_rate(Rate::Dollars(0.0116)), "$0.0116/h");
        assert_eq!(format_rate(Rate::Dollars(0.085)), "$0.085/h");
        assert_eq!(format_rate(Rate::Dollars(0.17)), "$0.17/h");
        assert_eq!(format_rate(Rate::Dollars(1.0)), "$1.00/h");
        assert_eq!(format_rate(Rate::Dollars(0.0)), "$0/h");
        assert_eq!(format_rate(Rate::Dollars(32.77)), "$32.77/h");
        assert_eq!(format_rate(Rate::Dollars(1500.0)), "$1.5k/h");
        assert_eq!(format_rate(Rate::Dollars(f64::NAN)), "$0/h");
        assert_eq!(
            format_rate(Rate::Held {
                vcpus: 4,
                memory_gb: 8.0
            }),
            "4 vCPU, 8 GB"
        );
        assert_eq!(format_spent(Spent::Dollars(0.28)), "$0.28");
        assert_eq!(format_spent(Spent::Dollars(3.419)), "$3.42");
        assert_eq!(format_spent(Spent::Dollars(342.4)), "$342");
        assert_eq!(format_spent(Spent::Dollars(1523.0)), "$1.5k");
        assert_eq!(format_spent(Spent::Dollars(0.001)), "<$0.01");
        assert_eq!(format_spent(Spent::Dollars(0.0)), "$0.00");
        assert_eq!(
            format_spent(Spent::Held {
                vcpu_hours: 12.2,
                gb_hours: 6.0
            }),
            "12 vCPU·h"
        );
        assert_eq!(
            format_spent(Spent::Held {
                vcpu_hours: 0.0,
                gb_hours: 3.0
            }),
            "3.0 GB·h"
        );
    }

    #[test]
    fn age_just_under_and_over_the_limit() {
        let config = config();
        let now = fixed_now();
        let mut i = aged(8.0);
        i.launched_at = Some(now - Duration::hours(8) + Duration::seconds(1));
        assert_eq!(instance_flags(&i, None, now, &config), vec![]);
        i.launched_at = Some(now - Duration::hours(8) - Duration::seconds(1));
        let flags = instance_flags(&i, None, now, &config);
        assert_eq!(
            flags,
            vec![Flag::TooOld {
                age: Duration::hours(8) + Duration::seconds(1)
            }]
        );
        assert_eq!(flags[0].short(), "old");

        let i = aged(9.0 + 12.0 / 60.0);
        let flags = instance_flags(&i, None, now, &config);
        assert_eq!(
            flags[0].reason_at(now, &config),
            "running 9h 12m, longer than 8h"
        );
        assert_eq!(flags[0].reason(), "running 9h 12m without an expiry tag");

        // No launch time, no age.
        let mut i = aged(100.0);
        i.launched_at = None;
        assert_eq!(instance_flags(&i, None, now, &config), vec![]);
        // A zero limit switches the check off.
        let i = aged(100.0);
        let mut off = self::config();
        off.max_age_hours = 0.0;
        assert_eq!(instance_flags(&i, None, now, &off), vec![]);
    }

    #[test]
    fn future_expiry_protects_from_age() {
        let now = fixed_now();
        for tag in [EXPIRES_TAG, NUKE_TAG] {
            let i = tagged(tag, "2026-11-22T00:00:00Z");
            assert_eq!(instance_flags(&i, None, now, &config()), vec![], "{tag}");
        }
    }

    #[test]
    fn past_hytop_expires_is_expired_and_not_also_old() {
        let now = fixed_now();
        let i = tagged(EXPIRES_TAG, "2026-11-21T10:00:00Z");
        let flags = instance_flags(&i, None, now, &config());
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
        assert_eq!(
            flags,
            vec![Flag::Expired {
                tag: EXPIRES_TAG.into(),
                at
            }]
        );
        assert_eq!(flags[0].short(), "expired");
        assert_eq!(
            flags[0].reason_at(now, &config()),
            "expired 2h ago (hytop:expires)"
        );
        assert_eq!(
            flags[0].reason(),
            "expired at 2026-11-21 10:00 UTC (hytop:expires)"
        );
    }

    #[test]
    fn past_cloud_nuke_after_is_expired() {
        let now = fixed_now();
        // cloud-nuke writes Go's time.RFC3339; offsets are honoured.
        let i = tagged(NUKE_TAG, "2026-11-21T12:30:00+02:00");
        let flags = instance_flags(&i, None, now, &config());
        assert_eq!(
            flags,
            vec![Flag::Expired {
                tag: NUKE_TAG.into(),
                at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 30, 0).unwrap()
            }]
        );
        assert_eq!(
            flags[0].reason_at(now, &config()),
            "expired 1h 30m ago (cloud-nuke-after)"
        );
    }

    #[test]
    fn hytop_expires_wins_over_cloud_nuke_after() {
        let mut i = tagged(NUKE_TAG, "2026-11-21T10:00:00Z");
        i.tags
            .insert(EXPIRES_TAG.into(), "2026-11-22T10:00:00Z".into());
        assert_eq!(
            expiry(&i),
            Some((
                EXPIRES_TAG.to_string(),
                Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
            ))
        );
        assert_eq!(instance_flags(&i, None, fixed_now(), &config()), vec![]);
    }

    #[test]
    fn garbage_expiry_is_ignored() {
        let now = fixed_now();
        let i = tagged(EXPIRES_TAG, "tomorrow, promise");
        assert_eq!(expiry(&i), None);
        // Unprotected, so the age rule applies again.
        assert!(matches!(
            instance_flags(&i, None, now, &config())[..],
            [Flag::TooOld { .. }]
        ));
        // A valid cloud-nuke-after still counts.
        let mut i = tagged(EXPIRES_TAG, "");
        i.tags
            .insert(NUKE_TAG.into(), "2026-11-23T00:00:00Z".into());
        assert_eq!(expiry(&i).map(|(tag, _)| tag), Some(NUKE_TAG.to_string()));
        assert_eq!(instance_flags(&i, None, now, &config()), vec![]);
    }

    #[test]
    fn idle_with_enough_data() {
        let now = fixed_now();
        let i = aged(2.0);
        let quiet = cpu(series(60, 60, 1.2, 0.5));
        let flags = instance_flags(&i, Some(&quiet), now, &config());
        let [Flag::Idle { cpu_percent }] = flags[..] else {
            panic!("expected idle, got {flags:?}");
        };
        assert!(cpu_percent < 5.0 && cpu_percent > 0.5, "{cpu_percent}");
        assert_eq!(flags[0].short(), "idle");
        assert_eq!(
            Flag::Idle { cpu_percent: 1.2 }.reason_at(now, &config()),
            "idle: 1.2 % CPU over the last hour"
        );
        // Five-minute basic monitoring covers the window too.
        let basic = cpu(series(300, 12, 1.0, 0.5));
        assert_eq!(instance_flags(&i, Some(&basic), now, &config()).len(), 1);
    }

    #[test]
    fn idle_needs_data_over_most_of_the_window() {
        let now = fixed_now();
        let i = aged(2.0);
        assert_eq!(instance_flags(&i, None, now, &config()), vec![]);
        let empty = InstanceMetrics::default();
        assert_eq!(instance_flags(&i, Some(&empty), now, &config()), vec![]);
        // Half an hour of a one-hour window.
        let short = cpu(series(60, 30, 1.0, 0.5));
        assert_eq!(instance_flags(&i, Some(&short), now, &config()), vec![]);
        // 48 of 60 minutes is enough.
        let most = cpu(series(60, 48, 1.0, 0.5));
        assert_eq!(instance_flags(&i, Some(&most), now, &config()).len(), 1);
        // Old points outside the window do not count.
        let mut stale = cpu(series(60, 60, 1.0, 0.5));
        for (t, _) in &mut stale.cpu.points {
            *t -= Duration::hours(3);
        }
        assert_eq!(instance_flags(&i, Some(&stale), now, &config()), vec![]);
    }

    #[test]
    fn idle_needs_the_instance_up_for_the_window() {
        let now = fixed_now();
        let young = aged(0.5);
        let quiet = cpu(series(60, 60, 1.0, 0.5));
        assert_eq!(instance_flags(&young, Some(&quiet), now, &config()), vec![]);
    }

    #[test]
    fn busy_instance_is_not_idle() {
        let i = aged(2.0);
        let busy = cpu(series(60, 60, 40.0, 30.0));
        assert_eq!(
            instance_flags(&i, Some(&busy), fixed_now(), &config()),
            vec![]
        );
    }

    #[test]
    fn idle_combines_with_age() {
        let i = aged(20.0);
        let quiet = cpu(series(60, 60, 1.0, 0.5));
        let flags = instance_flags(&i, Some(&quiet), fixed_now(), &config());
        let shorts: Vec<&str> = flags.iter().map(Flag::short).collect();
        assert_eq!(shorts, ["old", "idle"]);
    }

    #[test]
    fn stopped_and_terminated_are_never_flagged() {
        let now = fixed_now();
        let quiet = cpu(series(60, 60, 1.0, 0.5));
        for state in [
            InstanceState::Stopped,
            InstanceState::Terminated,
            InstanceState::Error,
        ] {
            let mut i = tagged(EXPIRES_TAG, "2026-11-20T00:00:00Z");
            i.state = state;
            assert_eq!(instance_flags(&i, Some(&quiet), now, &config()), vec![]);
            let mut i = aged(100.0);
            i.state = state;
            assert_eq!(instance_flags(&i, Some(&quiet), now, &config()), vec![]);
        }
        let s = server("s-1", "svc", "SHUTOFF");
        assert_eq!(instance_flags(&s, None, now, &config()), vec![]);
    }

    #[test]
    fn unassociated_vs_associated_address() {
        let mut address = PublicAddress {
            id: "eipalloc-1".into(),
            ip: "203.0.113.7".into(),
            instance_id: None,
            pool: None,
        };
        let flags = address_flags(&address);
        assert_eq!(flags, vec![Flag::Unassociated]);
        assert_eq!(flags[0].short(), "unused ip");
        assert_eq!(flags[0].reason(), "allocated but not associated");
        address.instance_id = Some("i-1".into());
        assert_eq!(address_flags(&address), vec![]);
    }

    #[test]
    fn expires_value_is_rfc3339_seconds_utc() {
        let now = fixed_now() + Duration::milliseconds(250);
        assert_eq!(expires_value(now, 8.0), "2026-11-21T20:00:00Z");
        assert_eq!(expires_value(now, 1.5), "2026-11-21T13:30:00Z");
        assert_eq!(expires_value(now, -3.0), "2026-11-21T12:00:00Z");
        assert_eq!(expires_value(now, f64::INFINITY), "2026-11-21T12:00:00Z");
        // What hytop writes, hytop (and cloud-nuke) reads back.
        let i = tagged(EXPIRES_TAG, &expires_value(fixed_now(), 2.0));
        assert_eq!(
            expiry(&i).map(|(_, at)| at),
            Some(fixed_now() + Duration::hours(2))
        );
    }

    #[test]
    fn extended_expiry_from_the_past_and_the_future() {
        let now = fixed_now();
        let expired = tagged(EXPIRES_TAG, "2026-11-21T10:00:00Z");
        assert_eq!(extended_expiry(&expired, now, 4.0), "2026-11-21T16:00:00Z");
        let protected = tagged(EXPIRES_TAG, "2026-11-21T18:00:00Z");
        assert_eq!(
            extended_expiry(&protected, now, 4.0),
            "2026-11-21T22:00:00Z"
        );
        let untagged = aged(1.0);
        assert_eq!(extended_expiry(&untagged, now, 4.0), "2026-11-21T16:00:00Z");
        let nuked = tagged(NUKE_TAG, "2026-11-22T00:00:00Z");
        assert_eq!(extended_expiry(&nuked, now, 1.0), "2026-11-22T01:00:00Z");
    }

    #[test]
    fn spans_read_well() {
        assert_eq!(span(Duration::seconds(45)), "45s");
        assert_eq!(span(Duration::minutes(12)), "12m");
        assert_eq!(span(Duration::hours(8)), "8h");
        assert_eq!(span(Duration::minutes(9 * 60 + 12)), "9h 12m");
        assert_eq!(span(Duration::hours(76)), "3d 4h");
        assert_eq!(span(Duration::hours(48)), "2d");
        assert_eq!(window_words(60), "hour");
        assert_eq!(window_words(120), "2 h");
        assert_eq!(window_words(30), "30 min");
    }
}
