//! How often each cloud is listed: its own `refresh_secs` (or the global
//! one), slowed to `idle_refresh_secs` after `idle_pause_mins` without a
//! key (a forgotten lab terminal should not poll a cloud all night), and
//! backed off while the cloud throttles us.

use chrono::{DateTime, Duration, Utc};

use super::AppState;
use crate::dashboard::action::CloudId;

/// The longest a throttled cloud waits between two listings.
const MAX_THROTTLED_WAIT_SECS: i64 = 300;

impl AppState {
    /// No key for `idle_pause_mins`: refreshes run at the slow pace.
    pub fn paused(&self) -> bool {
        let mins = self.config.idle_pause_mins;
        mins > 0 && self.now - self.last_input >= Duration::minutes(i64::from(mins))
    }

    /// The cloud's own interval, from its `[[cloud]]` entry or the global one.
    pub fn refresh_every(&self, cloud: CloudId) -> Duration {
        let name = self.clouds.get(cloud).map(|c| c.config_name.as_str());
        let secs = self
            .config
            .clouds
            .iter()
            .find(|c| Some(c.name.get_ref().as_str()) == name)
            .and_then(|c| c.refresh_secs)
            .unwrap_or(self.config.refresh_secs)
            .max(1);
        Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
    }

    /// How long after a finished listing the next one starts.
    pub fn next_refresh_after(&self, cloud: CloudId) -> Duration {
        let mut every = self.refresh_every(cloud);
        if self.paused() {
            let slow = i64::try_from(self.config.idle_refresh_secs).unwrap_or(i64::MAX / 1000);
            every = every.max(Duration::seconds(slow));
        }
        let throttled = self.clouds.get(cloud).map_or(0, |c| c.throttled);
        if throttled > 0 {
            every = every.max(throttled_wait(every, throttled));
        }
        every
    }

    /// A key came: remembers when, and if refreshes were paused, asks every
    /// cloud again now. True if it woke them.
    pub fn input_at(&mut self, now: DateTime<Utc>) -> bool {
        let was_paused = self.paused();
        self.last_input = now.max(self.now);
        if was_paused {
            for c in &mut self.clouds {
                if c.throttled == 0 {
                    c.next_refresh = None;
                }
            }
        }
        was_paused
    }
}

/// Doubles `every` per throttled listing in a row, up to five minutes (or
/// `every`, if that is longer already).
pub fn throttled_wait(every: Duration, throttled: u32) -> Duration {
    let factor = 1_i64 << throttled.min(8);
    let secs = every.num_seconds().saturating_mul(factor);
    Duration::seconds(secs.min(MAX_THROTTLED_WAIT_SECS.max(every.num_seconds())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fixed_now, fleet_state};

    #[test]
    fn throttled_waits_double_up_to_five_minutes() {
        let waits: Vec<i64> = (1..=7)
            .map(|n| throttled_wait(Duration::seconds(10), n).num_seconds())
            .collect();
        assert_eq!(waits, [20, 40, 80, 160, 300, 300, 300]);
        // A slow cloud is never asked more often than its own interval.
        assert_eq!(throttled_wait(Duration::seconds(600), 1).num_seconds(), 600);
    }

    #[test]
    fn idle_terminals_refresh_slowly_until_a_key() {
        let mut state = fleet_state();
        state.config.refresh_secs = 10;
        state.last_input = fixed_now();
        state.now = fixed_now() + Duration::minutes(29);
        assert!(!state.paused());
        assert_eq!(state.next_refresh_after(0), Duration::seconds(10));
        state.now = fixed_now() + Duration::minutes(30);
        assert!(state.paused());
        assert_eq!(state.next_refresh_after(0), Duration::seconds(300));
        for c in &mut state.clouds {
            c.next_refresh = Some(state.now + Duration::seconds(200));
        }
        assert!(state.input_at(state.now));
        assert!(!state.paused());
        assert!(state.clouds.iter().all(|c| c.next_refresh.is_none()));
        // Off when idle_pause_mins = 0.
        state.config.idle_pause_mins = 0;
        state.now = fixed_now() + Duration::days(3);
        assert!(!state.paused());
    }
}
