//! CPU and network metrics of a simulated instance: a pure function of the
//! instance and the time, aligned to the cloud's period and late by one
//! period like real monitoring, so tests can predict every point.

use chrono::{DateTime, Duration, Utc};

use super::hash::{fnv1a, mix, unit};
use super::world::SimInstance;
use crate::cloud::MetricsQuery;
use crate::domain::model::{InstanceMetrics, Series};

/// CloudWatch's per-series limit; also keeps days-long windows cheap.
pub(super) const MAX_POINTS: i64 = 1440;

/// The datapoints of `inst` in the query's window, as known at `now`;
/// `pending` is how long it took to boot (nothing is measured before).
pub(super) fn metrics_of(
    inst: &SimInstance,
    query: &MetricsQuery,
    period: i64,
    pending: Duration,
    now: DateTime<Utc>,
) -> InstanceMetrics {
    let empty = || Series {
        period_secs: period as u32,
        points: Vec::new(),
    };
    let mut out = InstanceMetrics {
        cpu: empty(),
        net_in: empty(),
        window_start: Some(query.start),
        window_end: Some(query.end),
    };
    if inst.failed {
        return out;
    }
    let run_start = inst.launched_at + pending;
    // A stop or terminate ends the data even when it lies ahead of `now`.
    let run_end = [inst.stopped_at, inst.terminated_at]
        .into_iter()
        .flatten()
        .min();
    let lo = query.start.max(run_start);
    // Fresh data arrives late: the newest complete period ends one period ago.
    let mut hi = (query.end.min(now).timestamp() - period).div_euclid(period) * period;
    if let Some(end) = run_end {
        hi = hi.min(ceil_secs(end) - 1);
    }
    let last = hi.div_euclid(period) * period;
    let first = ceil_to(ceil_secs(lo), period).max(last - (MAX_POINTS - 1) * period);
    let load = Load::of(inst);
    let mut t = first;
    while t <= last {
        if let Some(at) = DateTime::from_timestamp(t, 0) {
            out.cpu.points.push((at, load.cpu(t)));
            out.net_in.points.push((at, load.net_in(t, period)));
        }
        t += period;
    }
    out
}

fn ceil_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

fn ceil_to(x: i64, period: i64) -> i64 {
    (x + period - 1).div_euclid(period) * period
}

/// An instance's load profile; all values derive from its id so metrics are
/// a pure function of (instance, time).
struct Load {
    hash: u64,
    cpu_base: f64,
    cpu_wave: f64,
    cpu_noise: f64,
    /// Bytes per second.
    net_base: f64,
    wave_secs: f64,
    phase: f64,
}

impl Load {
    fn of(inst: &SimInstance) -> Load {
        let h = mix(fnv1a(inst.id.as_bytes()));
        let (cpu_base, cpu_wave, cpu_noise, net_base) = if inst.idle {
            // Even at the crest of wave and noise this stays below 3.2 %.
            (
                0.4 + unit(mix(h ^ 1)) * 1.6,
                0.6,
                1.0,
                300.0 + unit(mix(h ^ 2)) * 2700.0,
            )
        } else {
            (
                12.0 + unit(mix(h ^ 1)) * 45.0,
                5.0 + unit(mix(h ^ 3)) * 20.0,
                8.0,
                20_000.0 + unit(mix(h ^ 2)) * 380_000.0,
            )
        };
        Load {
            hash: h,
            cpu_base,
            cpu_wave,
            cpu_noise,
            net_base,
            wave_secs: 900.0 + unit(mix(h ^ 4)) * 2700.0,
            phase: unit(mix(h ^ 5)) * std::f64::consts::TAU,
        }
    }

    fn wave(&self, t: i64) -> f64 {
        (t as f64 / self.wave_secs * std::f64::consts::TAU + self.phase).sin()
    }

    fn noise(&self, t: i64, salt: u64) -> f64 {
        unit(mix(self.hash
            ^ salt
            ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            - 0.5
    }

    fn cpu(&self, t: i64) -> f64 {
        let v = self.cpu_base + self.cpu_wave * self.wave(t) + self.cpu_noise * self.noise(t, 11);
        (v.clamp(0.0, 100.0) * 100.0).round() / 100.0
    }

    fn net_in(&self, t: i64, period: i64) -> f64 {
        let factor = 1.0 + 0.4 * self.wave(t) + 0.6 * self.noise(t, 23);
        (self.net_base * factor.max(0.05) * period as f64).round()
    }
}
