//! The rules that say an instance or address looks forgotten (`[cost]` in
//! config.toml), and the [`Flag`]s they raise.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::format::{span, window};
use crate::domain::model::{
    CloudKind, Instance, InstanceMetrics, InstanceState, PublicAddress, Volume,
};
use crate::domain::tags::{Expiry, expiry};

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
    /// $/GB-month of volumes by type (`"gp3"`, a Cinder type) or
    /// `"<region>/<type>"`; wins over the EBS table of assets/prices.toml.
    pub volume_prices: BTreeMap<String, f64>,
    /// An OpenStack server stopped (SHUTOFF, SUSPENDED, PAUSED) longer than
    /// this still holds its flavor's vCPUs and RAM: flagged; 0 turns it off.
    pub stopped_hold_hours: f64,
    /// What the user may spend (e.g. the course's 10 USD): the header says
    /// how long it lasts at the current rate.
    pub budget_usd: Option<f64>,
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
            volume_prices: BTreeMap::new(),
            stopped_hold_hours: 24.0,
            budget_usd: None,
        }
    }
}

/// An idle verdict needs CPU data over at least this share of the window,
/// so a freshly collected handful of quiet points cannot condemn a VM.
const IDLE_MIN_COVERAGE: f64 = 0.8;

/// Why an instance or address looks forgotten.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// Live longer than max_age_hours, and no expiry tag in the future.
    TooOld { age: chrono::Duration },
    /// Past its expiry tag (`hytop:expires`, or `cloud-nuke-after`).
    Expired {
        tag: &'static str,
        at: DateTime<Utc>,
    },
    /// Running > idle_after_mins with average CPU < idle_cpu_percent over the
    /// last idle_after_mins.
    Idle { cpu_percent: f64 },
    /// An Elastic IP / floating IP allocated but not associated.
    Unassociated,
    /// An OpenStack server stopped longer than stopped_hold_hours: it still
    /// holds its flavor's vCPUs and RAM on a compute node and in the
    /// project's quota (shelving gives them back).
    StoppedHolding {
        stopped: chrono::Duration,
        vcpus: Option<u32>,
        memory_mb: Option<u64>,
    },
    /// A volume attached to nothing: it bills and serves no one.
    UnattachedVolume,
    /// Live in a region the config does not show, found by the sweep: the
    /// classic forgotten instance, flagged however young.
    Unwatched {
        region: String,
        state: crate::domain::model::InstanceState,
    },
}

impl Flag {
    /// `old`, `expired`, `idle`, `unused ip`, `held`, `unused vol`: the
    /// table's FLAGS cell.
    pub fn short(&self) -> &'static str {
        match self {
            Flag::TooOld { .. } => "old",
            Flag::Expired { .. } => "expired",
            Flag::Idle { .. } => "idle",
            Flag::Unassociated => "unused ip",
            Flag::StoppedHolding { .. } => "held",
            Flag::UnattachedVolume => "unused vol",
            Flag::Unwatched { .. } => "unwatched",
        }
    }

    /// The rule's stable name in `hytop list --json` and `check`: `old`,
    /// `expired`, `idle`, `unassociated`, `stopped_holding`,
    /// `unattached_volume`, `unwatched`.
    pub fn rule(&self) -> &'static str {
        match self {
            Flag::TooOld { .. }
            | Flag::Expired { .. }
            | Flag::Idle { .. }
            | Flag::Unwatched { .. } => self.short(),
            Flag::Unassociated => "unassociated",
            Flag::StoppedHolding { .. } => "stopped_holding",
            Flag::UnattachedVolume => "unattached_volume",
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
            Flag::StoppedHolding {
                stopped,
                vcpus,
                memory_mb,
            } => format!(
                "stopped {}, still holds {}: shelve or delete it",
                span(*stopped),
                held_resources(*vcpus, *memory_mb)
            ),
            Flag::UnattachedVolume => "allocated, attached to nothing".into(),
            Flag::Unwatched { region, state } => {
                format!("{state} in {region}, which hytop does not show")
            }
        }
    }

    /// The full reason at `now` under `rules`: `running 9h 12m, longer than
    /// 8h`, `expired 2h ago (hytop:expires)`, `idle: 1.2 % CPU over the last
    /// hour`, `allocated but not associated`.
    pub fn reason_at(&self, now: DateTime<Utc>, rules: &CostConfig) -> String {
        match self {
            Flag::TooOld { age } => match max_age(rules) {
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
                window(rules.idle_after_mins)
            ),
            Flag::Unassociated
            | Flag::StoppedHolding { .. }
            | Flag::UnattachedVolume
            | Flag::Unwatched { .. } => self.reason(),
        }
    }

    /// [`Flag::reason_at`] led by the flag's short name, once: `old:
    /// running 9h 12m, longer than 8h`, `idle: 1.2 % CPU over the last hour`.
    pub fn named_reason_at(&self, now: DateTime<Utc>, rules: &CostConfig) -> String {
        let short = self.short();
        let reason = self.reason_at(now, rules);
        match reason.strip_prefix(short) {
            Some(rest) if rest.starts_with(':') => reason,
            _ => format!("{short}: {reason}"),
        }
    }
}

/// `1 vCPU / 1 GB`, `2 vCPU / 0.5 GB`, `its flavor` (when unknown).
fn held_resources(vcpus: Option<u32>, memory_mb: Option<u64>) -> String {
    let gb = |mb: u64| {
        format!(
            "{} GB",
            crate::domain::format::trim_decimals(mb as f64 / 1024.0, 1)
        )
    };
    match (vcpus, memory_mb) {
        (Some(v), Some(mb)) => format!("{v} vCPU / {}", gb(mb)),
        (Some(v), None) => format!("{v} vCPU"),
        (None, Some(mb)) => gb(mb),
        (None, None) => "its flavor".into(),
    }
}

/// The configured age limit; zero, negative or absurd means "no limit".
fn max_age(rules: &CostConfig) -> Option<chrono::Duration> {
    let hours = rules.max_age_hours;
    if !(hours.is_finite() && hours > 0.0) {
        return None;
    }
    chrono::Duration::try_seconds((hours * 3600.0).round().min(i64::MAX as f64 / 2000.0) as i64)
}

/// The idle window, `None` when the idle rule is switched off
/// (`idle_after_mins = 0`).
pub fn idle_window(rules: &CostConfig) -> Option<chrono::Duration> {
    (rules.idle_after_mins > 0).then(|| chrono::Duration::minutes(i64::from(rules.idle_after_mins)))
}

/// Ids of the instances that have been running for at least the idle window
/// (`idle_after_mins`), the only ones the idle rule can judge; none when the
/// rule is switched off (`idle_after_mins = 0`).
pub fn idle_candidates(
    instances: &[Instance],
    now: DateTime<Utc>,
    rules: &CostConfig,
) -> Vec<String> {
    let Some(window) = idle_window(rules) else {
        return Vec::new();
    };
    instances
        .iter()
        .filter(|i| i.state == InstanceState::Running && i.age(now).is_some_and(|a| a >= window))
        .map(|i| i.id.clone())
        .collect()
}

/// Flags of an instance at `now`. Only live instances are flagged. An expiry
/// in the future protects from `TooOld`; one in the past is `Expired` and
/// then not also `TooOld`. `Idle` can come on top of either.
pub(super) fn instance_flags(
    instance: &Instance,
    metrics: Option<&InstanceMetrics>,
    now: DateTime<Utc>,
    rules: &CostConfig,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    if !instance.state.is_live() {
        flags.extend(stopped_holding(instance, now, rules));
        return flags;
    }
    match expiry(instance) {
        Some(Expiry { tag, at }) if at <= now => flags.push(Flag::Expired { tag, at }),
        Some(_) => {}
        None => {
            if let (Some(age), Some(limit)) = (instance.age(now), max_age(rules))
                && age > limit
            {
                flags.push(Flag::TooOld { age });
            }
        }
    }
    if let Some(cpu_percent) = idle_cpu(instance, metrics, now, rules) {
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
    rules: &CostConfig,
) -> Option<f64> {
    if instance.state != InstanceState::Running {
        return None;
    }
    let window = idle_window(rules)?;
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
    (average < rules.idle_cpu_percent).then_some(average)
}

/// Nova states in which a server keeps its place on a compute node (and in
/// the quota) without running; SHELVED_OFFLOADED gives it back.
const HOLDING_STATES: [&str; 3] = ["SHUTOFF", "SUSPENDED", "PAUSED"];

/// `StoppedHolding` for an OpenStack server stopped longer than the limit;
/// a server whose cloud does not say since when is not judged.
fn stopped_holding(instance: &Instance, now: DateTime<Utc>, rules: &CostConfig) -> Option<Flag> {
    if instance.kind != CloudKind::OpenStack
        || !HOLDING_STATES.contains(&instance.raw_state.as_str())
    {
        return None;
    }
    let hours = rules.stopped_hold_hours;
    if !(hours.is_finite() && hours > 0.0) {
        return None;
    }
    let limit = chrono::Duration::try_seconds((hours * 3600.0).round().min(1e12) as i64)?;
    let stopped = now - instance.state_since?;
    (stopped > limit).then_some(Flag::StoppedHolding {
        stopped,
        vcpus: instance.vcpus,
        memory_mb: instance.memory_mb,
    })
}

/// Flags of a volume: attached to nothing (unless it is being created or
/// deleted, which takes a moment).
pub(super) fn volume_flags(volume: &Volume) -> Vec<Flag> {
    if volume.is_unattached() && !matches!(volume.state.as_str(), "creating" | "deleting") {
        vec![Flag::UnattachedVolume]
    } else {
        Vec::new()
    }
}

/// Flags of an allocated public address.
pub(super) fn address_flags(address: &PublicAddress) -> Vec<Flag> {
    match address.instance_id.as_deref() {
        Some(id) if !id.trim().is_empty() => Vec::new(),
        _ => vec![Flag::Unassociated],
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::model::Series;
    use crate::domain::tags::{EXPIRES_TAG, NUKE_TAG};
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
                tag: EXPIRES_TAG,
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
                tag: NUKE_TAG,
                at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 30, 0).unwrap()
            }]
        );
        assert_eq!(
            flags[0].reason_at(now, &config()),
            "expired 1h 30m ago (cloud-nuke-after)"
        );
    }

    #[test]
    fn hytop_expires_in_the_future_wins_over_a_past_cloud_nuke_after() {
        let mut i = tagged(NUKE_TAG, "2026-11-21T10:00:00Z");
        i.tags
            .insert(EXPIRES_TAG.into(), "2026-11-22T10:00:00Z".into());
        assert_eq!(instance_flags(&i, None, fixed_now(), &config()), vec![]);
    }

    #[test]
    fn garbage_expiry_is_ignored() {
        let now = fixed_now();
        let i = tagged(EXPIRES_TAG, "tomorrow, promise");
        // Unprotected, so the age rule applies again.
        assert!(matches!(
            instance_flags(&i, None, now, &config())[..],
            [Flag::TooOld { .. }]
        ));
        // A valid cloud-nuke-after still counts.
        let mut i = tagged(EXPIRES_TAG, "");
        i.tags
            .insert(NUKE_TAG.into(), "2026-11-23T00:00:00Z".into());
        assert_eq!(instance_flags(&i, None, now, &config()), vec![]);
    }

    #[test]
    fn a_named_reason_names_its_flag_once() {
        let now = fixed_now();
        let idle = Flag::Idle { cpu_percent: 1.2 };
        assert_eq!(
            idle.named_reason_at(now, &config()),
            "idle: 1.2 % CPU over the last hour"
        );
        let old = Flag::TooOld {
            age: chrono::Duration::hours(9),
        };
        assert_eq!(
            old.named_reason_at(now, &config()),
            "old: running 9h, longer than 8h"
        );
        assert_eq!(
            Flag::Unassociated.named_reason_at(now, &config()),
            "unused ip: allocated but not associated"
        );
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
        // Switched off: never idle.
        let mut off = config();
        off.idle_after_mins = 0;
        assert_eq!(instance_flags(&aged(2.0), Some(&quiet), now, &off), vec![]);
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
        address.instance_id = Some("  ".into());
        assert_eq!(address_flags(&address), vec![Flag::Unassociated]);
        address.instance_id = Some("i-1".into());
        assert_eq!(address_flags(&address), vec![]);
    }

    #[test]
    fn idle_candidates_are_running_for_the_window() {
        let at = |hours: i64| fixed_now() - Duration::hours(hours);
        let with = |id: &str, launched: Option<DateTime<Utc>>, state: InstanceState| {
            let mut i = instance(id, id);
            i.launched_at = launched;
            i.state = state;
            i
        };
        let list = [
            with("i-1", Some(at(2)), InstanceState::Running),
            with("i-2", Some(at(1)), InstanceState::Running),
            with(
                "i-3",
                Some(fixed_now() - Duration::minutes(59)),
                InstanceState::Running,
            ),
            with("i-4", Some(at(3)), InstanceState::Stopped),
            with("i-5", None, InstanceState::Running),
        ];
        assert_eq!(
            idle_candidates(&list, fixed_now(), &config()),
            ["i-1", "i-2"]
        );
        let mut off = config();
        off.idle_after_mins = 0;
        assert!(idle_candidates(&list, fixed_now(), &off).is_empty());
        assert_eq!(idle_window(&off), None);
        assert_eq!(idle_window(&config()), Some(Duration::hours(1)));
    }

    #[test]
    fn a_server_stopped_longer_than_the_limit_holds_its_flavor() {
        let now = fixed_now();
        let mut s = server("s-1", "svc", "SHUTOFF");
        s.vcpus = Some(1);
        s.memory_mb = Some(1024);
        // The cloud does not say since when: not judged.
        assert_eq!(instance_flags(&s, None, now, &config()), vec![]);
        s.state_since = Some(now - Duration::hours(24) + Duration::seconds(1));
        assert_eq!(instance_flags(&s, None, now, &config()), vec![]);
        s.state_since = Some(now - Duration::hours(26));
        let flags = instance_flags(&s, None, now, &config());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].rule(), "stopped_holding");
        assert_eq!(flags[0].short(), "held");
        assert_eq!(
            flags[0].reason_at(now, &config()),
            "stopped 1d 2h, still holds 1 vCPU / 1 GB: shelve or delete it"
        );
        for status in ["SUSPENDED", "PAUSED"] {
            let mut t = s.clone();
            t.raw_state = status.into();
            assert_eq!(
                instance_flags(&t, None, now, &config()).len(),
                1,
                "{status}"
            );
        }
        // Offloaded, it holds nothing but its image.
        let mut t = s.clone();
        t.raw_state = "SHELVED_OFFLOADED".into();
        assert_eq!(instance_flags(&t, None, now, &config()), vec![]);
        // A stopped EC2 instance holds no compute (its volumes show as cost).
        let mut t = s.clone();
        t.kind = CloudKind::Aws;
        assert_eq!(instance_flags(&t, None, now, &config()), vec![]);
        // Zero turns the rule off.
        let off = CostConfig {
            stopped_hold_hours: 0.0,
            ..config()
        };
        assert_eq!(instance_flags(&s, None, now, &off), vec![]);
        // Without a flavor's figures it still says what to do.
        s.vcpus = None;
        s.memory_mb = None;
        let flags = instance_flags(&s, None, now, &config());
        assert_eq!(
            flags[0].reason(),
            "stopped 1d 2h, still holds its flavor: shelve or delete it"
        );
    }

    #[test]
    fn a_volume_attached_to_nothing_is_flagged() {
        let mut v = crate::testutil::gp3_volume("vol-1", 8, None);
        let flags = volume_flags(&v);
        assert_eq!(flags, vec![Flag::UnattachedVolume]);
        assert_eq!(flags[0].rule(), "unattached_volume");
        assert_eq!(flags[0].reason(), "allocated, attached to nothing");
        v.state = "creating".into();
        assert_eq!(volume_flags(&v), vec![]);
        v.state = "in-use".into();
        v.instance_id = Some("i-1".into());
        assert_eq!(volume_flags(&v), vec![]);
    }
}
