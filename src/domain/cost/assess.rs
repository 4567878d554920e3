//! The one judgement of an instance: what it costs now, what it has cost
//! since launch, and why it looks forgotten. The table, the header, the
//! detail pane, the forgotten filter, the quit reminder, `hytop list` and
//! `hytop check` all read [`assess`] (and [`assess_address`], [`Totals`]),
//! so they cannot disagree.

use chrono::{DateTime, Utc};

use crate::domain::cost::prices::Prices;
use crate::domain::cost::rules::{self, CostConfig, Flag};
use crate::domain::format::{compact, dollars_coarse, dollars_fine, trim_decimals};
use crate::domain::model::{CloudKind, Instance, InstanceMetrics, PublicAddress, Volume};

/// AWS bills Linux per second but at least one minute per start.
const MIN_BILLED_SECS: i64 = 60;

/// What hytop judges about one instance at one moment; estimates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    /// Everything it bills per hour now: [`Assessment::compute`], plus its
    /// priced volumes and its public IPv4 address, which bill even while it
    /// is stopped; `None` when the compute price of a live instance is
    /// unknown (unknown type or region, an OpenStack flavor without a
    /// configured price).
    pub hourly: Option<f64>,
    /// On-demand compute $/h: `Some(0.0)` when the instance is not live
    /// (pending, running, stopping), `None` when unknown.
    pub compute: Option<f64>,
    /// What its attached volumes bill, priced or not.
    pub storage: Storage,
    /// $/h of its public IPv4 address (AWS charges every one); 0 without
    /// one, and on OpenStack.
    pub ipv4: f64,
    /// $ since launch: `None` when not live (a stopped instance's past cost
    /// cannot be told from the listing), without a launch time, or without a
    /// price. EC2 resets the launch time on every start, so for a restarted
    /// instance this is the current run only.
    pub spent: Option<f64>,
    /// What a live OpenStack server whose flavor has no price holds instead;
    /// `None` for everything else.
    pub held: Option<Held>,
    /// Why it looks forgotten; empty when it does not.
    pub flags: Vec<Flag>,
}

/// The attached volumes of an instance, as billed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Storage {
    /// $/h of the volumes with a price.
    pub dollars_per_hour: f64,
    /// GiB of all volumes whose size is known.
    pub gb: u64,
    /// Volumes without a price (no size, type or price for it).
    pub unpriced: usize,
}

/// The compute a live, unpriced OpenStack server holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Held {
    pub vcpus: u32,
    pub memory_gb: f64,
    /// Hours held since launch (at least one billed minute); `None` without a
    /// launch time.
    pub hours: Option<f64>,
}

impl Held {
    /// vCPU·h since launch.
    pub fn vcpu_hours(&self) -> Option<f64> {
        self.hours.map(|h| f64::from(self.vcpus) * h)
    }

    /// GB·h since launch.
    pub fn gb_hours(&self) -> Option<f64> {
        self.hours.map(|h| self.memory_gb * h)
    }
}

impl Assessment {
    pub fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }

    /// Neither a price nor what it holds is known (only live instances: the
    /// others cost nothing now).
    pub fn is_unpriced(&self) -> bool {
        self.hourly.is_none() && self.held.is_none()
    }

    /// `$0.0116/h`, `$0/h` (not live), `1 vCPU, 0.5 GB` (held), `?` (no price).
    pub fn hourly_text(&self) -> String {
        match (self.hourly, self.held) {
            (Some(d), _) => format!("{}/h", dollars_fine(d)),
            (None, Some(held)) => {
                format!(
                    "{} vCPU, {} GB",
                    held.vcpus,
                    trim_decimals(held.memory_gb, 1)
                )
            }
            (None, None) => "?".into(),
        }
    }

    /// `$0.28`, `$1.5k`, `12 vCPU·h` (held; `GB·h` when it holds no vCPU),
    /// `-` (unknown).
    pub fn spent_text(&self) -> String {
        if let Some(d) = self.spent {
            return dollars_coarse(d);
        }
        match self
            .held
            .and_then(|h| Some((h.vcpu_hours()?, h.gb_hours()?)))
        {
            Some((vcpu_hours, gb_hours)) => held_text(vcpu_hours, gb_hours),
            None => "-".into(),
        }
    }

    /// Each flag's full reason at `now` under `rules` ([`Flag::reason_at`]).
    pub fn reasons(&self, now: DateTime<Utc>, rules: &CostConfig) -> Vec<String> {
        self.flags.iter().map(|f| f.reason_at(now, rules)).collect()
    }
}

/// Judges `instance` at `now`: $/h under `prices` and the `rules`'
/// overrides, $ since launch, and the flags of `rules` (idle only with
/// `metrics`: no data never means idle).
pub fn assess(
    instance: &Instance,
    metrics: Option<&InstanceMetrics>,
    now: DateTime<Utc>,
    prices: &Prices,
    rules: &CostConfig,
) -> Assessment {
    let flags = rules::instance_flags(instance, metrics, now, rules);
    let (compute, held) = price_now(instance, prices, rules);
    let storage = storage(instance, prices, rules);
    let ipv4 = ipv4_hourly(instance, prices);
    let hourly = compute.map(|c| c + storage.dollars_per_hour + ipv4);
    let hours = billed_hours(instance, now);
    let held = held.map(|(vcpus, memory_gb)| Held {
        vcpus,
        memory_gb,
        hours,
    });
    let spent = match (instance.state.is_live(), hourly, hours) {
        (true, Some(per_hour), Some(hours)) => Some(per_hour * hours),
        _ => None,
    };
    Assessment {
        hourly,
        compute,
        storage,
        ipv4,
        spent,
        held,
        flags,
    }
}

/// What the volumes attached to `instance` bill.
pub fn storage(instance: &Instance, prices: &Prices, rules: &CostConfig) -> Storage {
    let mut storage = Storage::default();
    for volume in &instance.volumes {
        storage.gb += volume.size_gb.unwrap_or(0);
        match prices.volume_hourly(instance.kind, &instance.region, volume, rules) {
            Some(d) => storage.dollars_per_hour += d,
            None => storage.unpriced += 1,
        }
    }
    storage
}

/// $/h of the public IPv4 address of `instance`: AWS charges every one,
/// running or stopped (an Elastic IP stays with a stopped instance).
fn ipv4_hourly(instance: &Instance, prices: &Prices) -> f64 {
    match (instance.kind, &instance.public_ip) {
        (CloudKind::Aws, Some(ip)) if ip.contains('.') => prices.address_hourly(),
        _ => 0.0,
    }
}

/// $/h now and, for an unpriced OpenStack server, the (vCPUs, GB) it holds.
fn price_now(
    instance: &Instance,
    prices: &Prices,
    rules: &CostConfig,
) -> (Option<f64>, Option<(u32, f64)>) {
    if !instance.state.is_live() {
        return (Some(0.0), None);
    }
    if let Some(dollars) = prices.hourly(instance, rules) {
        return (Some(dollars), None);
    }
    match instance.kind {
        CloudKind::OpenStack if instance.vcpus.is_some() || instance.memory_mb.is_some() => (
            None,
            Some((
                instance.vcpus.unwrap_or(0),
                instance.memory_mb.unwrap_or(0) as f64 / 1024.0,
            )),
        ),
        _ => (None, None),
    }
}

/// Hours since launch as billed (at least a minute); `None` when not live or
/// without a launch time.
fn billed_hours(instance: &Instance, now: DateTime<Utc>) -> Option<f64> {
    if !instance.state.is_live() {
        return None;
    }
    let launched = instance.launched_at?;
    Some((now - launched).num_seconds().max(MIN_BILLED_SECS) as f64 / 3600.0)
}

/// `12 vCPU·h`, or `3.0 GB·h` when nothing but memory was held.
fn held_text(vcpu_hours: f64, gb_hours: f64) -> String {
    if vcpu_hours > 0.0 || gb_hours <= 0.0 {
        format!("{} vCPU·h", compact(vcpu_hours))
    } else {
        format!("{} GB·h", compact(gb_hours))
    }
}

/// What hytop judges about one allocated public address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressAssessment {
    /// $/h, associated or not: AWS charges every public IPv4 address;
    /// `None` where hytop knows no price (OpenStack floating IPs).
    pub hourly: Option<f64>,
    /// `Unassociated` when it is allocated but not in use.
    pub flags: Vec<Flag>,
    /// Associated with an instance, whose [`Assessment::ipv4`] bills it:
    /// [`Totals`] does not count it twice.
    pub with_instance: bool,
}

impl AddressAssessment {
    pub fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }
}

/// Judges an address of a cloud of `kind`.
pub fn assess_address(
    address: &PublicAddress,
    kind: CloudKind,
    prices: &Prices,
) -> AddressAssessment {
    AddressAssessment {
        hourly: match kind {
            CloudKind::Aws => Some(prices.address_hourly()),
            CloudKind::OpenStack => None,
        },
        flags: rules::address_flags(address),
        with_instance: address
            .instance_id
            .as_deref()
            .is_some_and(|id| !id.trim().is_empty()),
    }
}

/// What hytop judges about one volume attached to nothing (the attached
/// ones are part of their instance's [`Assessment`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeAssessment {
    /// $/h of its size; `None` without a price (most Cinder types).
    pub hourly: Option<f64>,
    /// `UnattachedVolume` when it is attached to nothing.
    pub flags: Vec<Flag>,
}

impl VolumeAssessment {
    pub fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }

    /// `$0.0010/h`, or `price unknown` (a region or Cinder type without one).
    pub fn hourly_text(&self) -> String {
        match self.hourly {
            Some(d) => format!("{}/h", dollars_fine(d)),
            None => "price unknown".into(),
        }
    }
}

/// Judges a volume of a cloud of `kind` in `region`.
pub fn assess_volume(
    volume: &Volume,
    kind: CloudKind,
    region: &str,
    prices: &Prices,
    rules: &CostConfig,
) -> VolumeAssessment {
    VolumeAssessment {
        hourly: prices.volume_hourly(kind, region, volume, rules),
        flags: rules::volume_flags(volume),
    }
}

/// Sums of assessments, for a fleet or one cloud: what the header shows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// $/h of the priced instances (volumes and addresses included), the
    /// free addresses and the volumes attached to nothing.
    pub dollars_per_hour: f64,
    /// What the live OpenStack servers without a flavor price hold.
    pub held_vcpus: u32,
    pub held_memory_gb: f64,
    /// Live instances with no price at all (the dollar sum leaves them out).
    pub unpriced: usize,
    pub flagged_instances: usize,
    pub flagged_addresses: usize,
    pub flagged_volumes: usize,
}

impl Totals {
    /// The totals of these instance and address assessments.
    pub fn of<'a>(
        instances: impl IntoIterator<Item = &'a Assessment>,
        addresses: impl IntoIterator<Item = &'a AddressAssessment>,
    ) -> Totals {
        let mut totals = Totals::default();
        for a in instances {
            totals.add(a);
        }
        for a in addresses {
            totals.add_address(a);
        }
        totals
    }

    pub fn add(&mut self, a: &Assessment) {
        match (a.hourly, a.held) {
            (Some(d), _) => self.dollars_per_hour += d,
            (None, held) => {
                // Its compute is unknown; what it holds beside is not.
                self.dollars_per_hour += a.storage.dollars_per_hour + a.ipv4;
                match held {
                    Some(held) => {
                        self.held_vcpus = self.held_vcpus.saturating_add(held.vcpus);
                        self.held_memory_gb += held.memory_gb;
                    }
                    None => self.unpriced += 1,
                }
            }
        }
        if a.is_flagged() {
            self.flagged_instances += 1;
        }
    }

    pub fn add_address(&mut self, a: &AddressAssessment) {
        if let Some(d) = a.hourly
            && !a.with_instance
        {
            self.dollars_per_hour += d;
        }
        if a.is_flagged() {
            self.flagged_addresses += 1;
        }
    }

    /// A volume attached to nothing (attached ones are in their instance).
    pub fn add_volume(&mut self, a: &VolumeAssessment) {
        if let Some(d) = a.hourly {
            self.dollars_per_hour += d;
        }
        if a.is_flagged() {
            self.flagged_volumes += 1;
        }
    }

    /// `$10: 55 h at ≈ $0.18/h`: how long `budget` lasts at this rate
    /// (`2d 7h` past two days, `∞` at nothing an hour); `None` for a budget
    /// that is no amount.
    pub fn budget_text(&self, budget: f64) -> Option<String> {
        if !(budget.is_finite() && budget > 0.0) {
            return None;
        }
        let rate = self.dollars_per_hour;
        // Rounded down: a budget must not last longer on screen than in fact.
        let lasts = if rate > 0.0 && rate.is_finite() {
            let hours = budget / rate;
            if hours >= 100.0 {
                let h = hours.floor() as i64;
                format!("{}d {}h", h / 24, h % 24)
            } else if hours >= 10.0 {
                format!("{} h", hours.floor())
            } else {
                format!("{} h", trim_decimals((hours * 10.0).floor() / 10.0, 1))
            }
        } else {
            "∞".to_string()
        };
        let amount = if budget.fract() == 0.0 && budget < 1e9 {
            format!("${budget:.0}")
        } else {
            format!("${budget:.2}")
        };
        Some(format!("{amount}: {lasts} at ≈ ${rate:.2}/h"))
    }

    /// Flagged instances, addresses and volumes together.
    pub fn flagged(&self) -> usize {
        self.flagged_instances + self.flagged_addresses + self.flagged_volumes
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::model::InstanceState;
    use crate::domain::tags::EXPIRES_TAG;
    use crate::testutil::{fixed_now, instance, series, server};

    fn rules() -> CostConfig {
        CostConfig::default()
    }

    fn aged(hours: f64) -> Instance {
        let mut i = instance("i-1", "web");
        i.launched_at = Some(fixed_now() - Duration::seconds((hours * 3600.0) as i64));
        i
    }

    fn judge(i: &Instance) -> Assessment {
        assess(i, None, fixed_now(), Prices::embedded(), &rules())
    }

    /// An assessment with these figures only, to check its texts.
    fn figures(hourly: Option<f64>, spent: Option<f64>, held: Option<Held>) -> Assessment {
        Assessment {
            hourly,
            spent,
            held,
            ..Assessment::default()
        }
    }

    #[test]
    fn texts_are_short() {
        let hourly = |d: f64| figures(Some(d), None, None).hourly_text();
        assert_eq!(hourly(0.0116), "$0.0116/h");
        assert_eq!(hourly(0.085), "$0.085/h");
        assert_eq!(hourly(0.17), "$0.17/h");
        assert_eq!(hourly(1.0), "$1.00/h");
        assert_eq!(hourly(0.0), "$0/h");
        assert_eq!(hourly(32.77), "$32.77/h");
        assert_eq!(hourly(1500.0), "$1.5k/h");
        assert_eq!(hourly(f64::NAN), "$0/h");
        let held = |vcpus: u32, memory_gb: f64, hours: Option<f64>| Held {
            vcpus,
            memory_gb,
            hours,
        };
        assert_eq!(
            figures(None, None, Some(held(4, 8.0, None))).hourly_text(),
            "4 vCPU, 8 GB"
        );
        assert_eq!(figures(None, None, None).hourly_text(), "?");
        let spent = |d: f64| figures(Some(0.0), Some(d), None).spent_text();
        assert_eq!(spent(0.28), "$0.28");
        assert_eq!(spent(3.419), "$3.42");
        assert_eq!(spent(342.4), "$342");
        assert_eq!(spent(1523.0), "$1.5k");
        assert_eq!(spent(0.001), "<$0.01");
        assert_eq!(spent(0.0), "$0.00");
        // 12.2 vCPU·h, 6 GB·h.
        assert_eq!(
            figures(None, None, Some(held(2, 1.0, Some(6.1)))).spent_text(),
            "12 vCPU·h"
        );
        // 0 vCPU·h, 3 GB·h.
        assert_eq!(
            figures(None, None, Some(held(0, 1.5, Some(2.0)))).spent_text(),
            "3.0 GB·h"
        );
        assert_eq!(figures(None, None, None).spent_text(), "-");
        // Dollars win over what is held.
        assert_eq!(
            figures(Some(0.01), Some(0.02), Some(held(1, 1.0, Some(2.0)))).spent_text(),
            "$0.02"
        );
    }

    #[test]
    fn unknown_type_has_no_price() {
        let mut i = instance("i-1", "web");
        i.size = "x9.huge".into();
        let a = judge(&i);
        assert_eq!(a.hourly, None);
        assert_eq!(a.spent, None);
        assert_eq!(a.held, None);
        assert!(a.is_unpriced());
        assert_eq!(a.hourly_text(), "?");
        assert_eq!(a.spent_text(), "-");
    }

    #[test]
    fn only_live_instances_cost() {
        let mut i = instance("i-1", "web");
        assert_eq!(judge(&i).hourly, Some(0.0063));
        for (state, live) in [
            (InstanceState::Pending, true),
            (InstanceState::Stopping, true),
            (InstanceState::Stopped, false),
            (InstanceState::Terminated, false),
            (InstanceState::Error, false),
        ] {
            i.state = state;
            let a = judge(&i);
            if live {
                assert_eq!(a.hourly, Some(0.0063), "{state}");
                assert!(a.spent.is_some_and(|d| d > 0.0), "{state}");
            } else {
                assert_eq!(a.hourly, Some(0.0), "{state}");
                assert_eq!(a.spent, None, "{state}");
                assert_eq!(a.hourly_text(), "$0/h");
                assert_eq!(a.spent_text(), "-");
            }
            assert!(!a.is_unpriced(), "{state}");
        }
        // Not live and unpriced costs nothing now, and is not "unpriced".
        let mut s = server("s-1", "svc", "SHUTOFF");
        s.vcpus = None;
        assert_eq!(judge(&s).hourly, Some(0.0));
        assert_eq!(judge(&s).held, None);
    }

    #[test]
    fn openstack_flavor_price_or_what_it_holds() {
        let s = server("s-1", "svc", "ACTIVE");
        let a = judge(&s);
        assert_eq!(a.hourly, None);
        assert_eq!(a.spent, None);
        assert_eq!(
            a.held,
            Some(Held {
                vcpus: 1,
                memory_gb: 0.5,
                hours: Some(2.0)
            })
        );
        let held = a.held.expect("held");
        assert_eq!(held.vcpu_hours(), Some(2.0));
        assert_eq!(held.gb_hours(), Some(1.0));
        assert!(!a.is_unpriced());
        assert_eq!(a.hourly_text(), "1 vCPU, 0.5 GB");
        assert_eq!(a.spent_text(), "2.0 vCPU·h");

        let mut rules = rules();
        rules.flavor_prices.insert("m1.tiny".into(), 0.01);
        let a = assess(&s, None, fixed_now(), Prices::embedded(), &rules);
        assert_eq!(a.hourly, Some(0.01));
        assert_eq!(a.spent, Some(0.02));
        assert_eq!(a.held, None);

        // Memory only: GB·h.
        let mut memory_only = server("s-3", "svc", "ACTIVE");
        memory_only.vcpus = None;
        memory_only.memory_mb = Some(3 * 1024);
        memory_only.launched_at = Some(fixed_now() - Duration::hours(1));
        assert_eq!(judge(&memory_only).spent_text(), "3.0 GB·h");
        assert_eq!(judge(&memory_only).hourly_text(), "0 vCPU, 3 GB");

        // Without flavor facts nothing is known.
        let mut bare = server("s-2", "svc", "ACTIVE");
        bare.vcpus = None;
        bare.memory_mb = None;
        assert!(judge(&bare).is_unpriced());
        // Without a launch time it still holds, for no known time.
        let mut unknown_start = server("s-4", "svc", "ACTIVE");
        unknown_start.launched_at = None;
        let a = judge(&unknown_start);
        assert_eq!(a.held.map(|h| h.hours), Some(None));
        assert_eq!(a.spent_text(), "-");
        assert_eq!(a.hourly_text(), "1 vCPU, 0.5 GB");
    }

    #[test]
    fn spent_for_a_three_hour_old_t3_micro() {
        let mut i = aged(3.0);
        i.size = "t3.micro".into();
        i.region = "us-east-1".into();
        let Some(d) = judge(&i).spent else {
            panic!("a priced instance has dollars spent");
        };
        assert!((d - 0.0312).abs() < 1e-9, "{d}");
        assert_eq!(judge(&i).spent_text(), "$0.03");
        assert_eq!(judge(&i).hourly_text(), "$0.0104/h");

        // Without a launch time nothing can be said.
        i.launched_at = None;
        assert_eq!(judge(&i).spent, None);
        assert_eq!(judge(&i).hourly, Some(0.0104));
        // A fresh start bills a minute.
        i.launched_at = Some(fixed_now() - Duration::seconds(5));
        assert_eq!(judge(&i).spent, Some(0.0104 / 60.0));
    }

    #[test]
    fn assess_flags_with_and_without_metrics() {
        let i = aged(20.0);
        let quiet = InstanceMetrics {
            cpu: series(60, 60, 1.0, 0.0),
            ..InstanceMetrics::default()
        };
        let a = assess(&i, Some(&quiet), fixed_now(), Prices::embedded(), &rules());
        let shorts: Vec<&str> = a.flags.iter().map(Flag::short).collect();
        assert_eq!(shorts, ["old", "idle"]);
        assert!(a.is_flagged());
        assert_eq!(
            a.reasons(fixed_now(), &rules()),
            [
                "running 20h, longer than 8h",
                "idle: 1.0 % CPU over the last hour"
            ]
        );
        // No metrics: age only.
        assert_eq!(judge(&i).flags.len(), 1);
        // A future expiry protects.
        let mut protected = aged(20.0);
        protected
            .tags
            .insert(EXPIRES_TAG.into(), "2026-11-22T00:00:00Z".into());
        assert!(!judge(&protected).is_flagged());
        // Flags do not change the money.
        assert_eq!(a.hourly, judge(&aged(20.0)).hourly);
        assert_eq!(a.spent, judge(&aged(20.0)).spent);
    }

    #[test]
    fn addresses_cost_on_aws_and_are_flagged_when_unused() {
        let prices = Prices::embedded();
        let mut address = PublicAddress {
            id: "eipalloc-1".into(),
            ip: "203.0.113.7".into(),
            instance_id: None,
            pool: None,
        };
        let a = assess_address(&address, CloudKind::Aws, prices);
        assert_eq!(a.hourly, Some(0.005));
        assert_eq!(a.flags, vec![Flag::Unassociated]);
        assert!(a.is_flagged());
        let fip = assess_address(&address, CloudKind::OpenStack, prices);
        assert_eq!(fip.hourly, None);
        assert!(fip.is_flagged());
        address.instance_id = Some("i-1".into());
        assert!(!assess_address(&address, CloudKind::Aws, prices).is_flagged());
    }

    #[test]
    fn totals_sum_assessments() {
        let mut stopped = instance("i-2", "b");
        stopped.state = InstanceState::Stopped;
        let mut unknown = instance("i-3", "c");
        unknown.size = "x9.huge".into();
        let old = aged(30.0);
        // i-1 holds the associated Elastic IP below: it bills in i-1's rate.
        let mut with_ip = instance("i-1", "a");
        with_ip.public_ip = Some("203.0.113.7".into());
        let fleet = [
            with_ip,
            stopped,
            unknown,
            server("s-1", "svc", "ACTIVE"),
            old,
        ];
        let assessed: Vec<Assessment> = fleet.iter().map(judge).collect();
        let address = |instance_id: Option<&str>| PublicAddress {
            id: "eipalloc-1".into(),
            ip: "203.0.113.7".into(),
            instance_id: instance_id.map(str::to_string),
            pool: None,
        };
        let prices = Prices::embedded();
        let addresses = [
            assess_address(&address(None), CloudKind::Aws, prices),
            assess_address(&address(Some("i-1")), CloudKind::Aws, prices),
            assess_address(&address(None), CloudKind::OpenStack, prices),
        ];
        let totals = Totals::of(&assessed[..4], []);
        assert!((totals.dollars_per_hour - (0.0063 + 0.005)).abs() < 1e-12);
        assert_eq!(totals.unpriced, 1);
        assert_eq!(totals.held_vcpus, 1);
        assert_eq!(totals.held_memory_gb, 0.5);
        assert_eq!(totals.flagged(), 0);

        // The associated address is not counted twice.
        let totals = Totals::of(&assessed, &addresses);
        assert!((totals.dollars_per_hour - (2.0 * 0.0063 + 2.0 * 0.005)).abs() < 1e-12);
        assert_eq!(totals.flagged_instances, 1);
        assert_eq!(totals.flagged_addresses, 2);
        assert_eq!(totals.flagged(), 3);
    }

    #[test]
    fn volumes_and_the_address_bill_while_stopped() {
        let gp3 = |id: &str, gb: u64| crate::testutil::gp3_volume(id, gb, Some("i-1"));
        let mut i = aged(2.0);
        i.size = "t3.micro".into();
        i.public_ip = Some("203.0.113.9".into());
        i.volumes = vec![gp3("vol-1", 8), gp3("vol-2", 20)];
        let storage = 28.0 * 0.088 / 730.0;
        let running = judge(&i);
        assert_eq!(running.compute, Some(0.0114));
        assert!((running.storage.dollars_per_hour - storage).abs() < 1e-12);
        assert_eq!(running.storage.gb, 28);
        assert_eq!(running.ipv4, 0.005);
        let total = running.hourly.unwrap_or(0.0);
        assert!(
            (total - (0.0114 + storage + 0.005)).abs() < 1e-12,
            "{total}"
        );

        i.state = InstanceState::Stopped;
        let stopped = judge(&i);
        assert_eq!(stopped.compute, Some(0.0));
        let total = stopped.hourly.unwrap_or(0.0);
        assert!((total - (storage + 0.005)).abs() < 1e-12, "{total}");
        assert!(total > 0.0, "a stopped instance still costs");
        assert_eq!(stopped.spent, None);

        // An unpriced type: the rate is unknown, what it holds beside is
        // still summed by the header.
        i.state = InstanceState::Running;
        i.size = "x9.huge".into();
        let unknown = judge(&i);
        assert_eq!(unknown.hourly, None);
        let totals = Totals::of([&unknown], []);
        assert!((totals.dollars_per_hour - (storage + 0.005)).abs() < 1e-12);
        assert_eq!(totals.unpriced, 1);

        // A loose volume counts in the totals and is flagged.
        let loose = crate::testutil::gp3_volume("vol-3", 100, None);
        let judged = assess_volume(
            &loose,
            CloudKind::Aws,
            "eu-west-1",
            Prices::embedded(),
            &rules(),
        );
        assert!(judged.is_flagged());
        let mut totals = Totals::default();
        totals.add_volume(&judged);
        assert!((totals.dollars_per_hour - 100.0 * 0.088 / 730.0).abs() < 1e-12);
        assert_eq!(totals.flagged(), 1);
        assert_eq!(judged.hourly_text(), "$0.0121/h");
    }

    #[test]
    fn a_budget_lasts_so_many_hours_at_the_rate() {
        let at = |rate: f64| Totals {
            dollars_per_hour: rate,
            ..Totals::default()
        };
        assert_eq!(
            at(0.18).budget_text(10.0).as_deref(),
            Some("$10: 55 h at ≈ $0.18/h")
        );
        assert_eq!(
            at(2.5).budget_text(10.0).as_deref(),
            Some("$10: 4 h at ≈ $2.50/h")
        );
        assert_eq!(
            at(1.6).budget_text(10.0).as_deref(),
            Some("$10: 6.2 h at ≈ $1.60/h")
        );
        assert_eq!(
            at(0.05).budget_text(10.0).as_deref(),
            Some("$10: 8d 8h at ≈ $0.05/h")
        );
        assert_eq!(
            at(0.0).budget_text(10.0).as_deref(),
            Some("$10: ∞ at ≈ $0.00/h")
        );
        assert_eq!(
            at(0.18).budget_text(12.5).as_deref(),
            Some("$12.50: 69 h at ≈ $0.18/h")
        );
        assert_eq!(at(0.18).budget_text(0.0), None);
        assert_eq!(at(0.18).budget_text(f64::NAN), None);
    }
}
