//! The tags hytop writes and reads on instances: who launched it, from which
//! template, and until when it may live (its own `hytop:expires`, or
//! cloud-nuke's `cloud-nuke-after`, so one tag serves both tools).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::domain::model::Instance;

/// Expiry hytop writes on the instances it launches (RFC 3339).
pub const EXPIRES_TAG: &str = "hytop:expires";
/// Expiry gruntwork's cloud-nuke honours; respected so one tag serves both tools.
pub const NUKE_TAG: &str = "cloud-nuke-after";
/// Who launched an instance, so a forgotten one can be traced to a person.
pub const OWNER_TAG: &str = "hytop:owner";
/// Which template launched an instance (for ssh defaults).
pub const TEMPLATE_TAG: &str = "hytop:template";

/// When an instance expires, and which tag says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// [`EXPIRES_TAG`] or [`NUKE_TAG`].
    pub tag: &'static str,
    pub at: DateTime<Utc>,
}

/// The expiry an instance carries: `hytop:expires` (RFC 3339), else
/// `cloud-nuke-after` (RFC 3339, as cloud-nuke writes it). An unparseable
/// value is ignored (logged at debug), so a garbage `hytop:expires` does not
/// hide a valid `cloud-nuke-after`.
pub fn expiry(instance: &Instance) -> Option<Expiry> {
    [EXPIRES_TAG, NUKE_TAG].into_iter().find_map(|tag| {
        let value = instance.tags.get(tag)?;
        match DateTime::parse_from_rfc3339(value.trim()) {
            Ok(at) => Some(Expiry {
                tag,
                at: at.with_timezone(&Utc),
            }),
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
        Some(Expiry { at, .. }) if at > now => at,
        _ => now,
    };
    expires_value(base, hours)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::testutil::{fixed_now, instance};

    fn tagged(tag: &str, value: &str) -> Instance {
        let mut i = instance("i-1", "web");
        i.launched_at = Some(fixed_now() - Duration::hours(20));
        i.tags.insert(tag.into(), value.into());
        i
    }

    #[test]
    fn hytop_expires_wins_over_cloud_nuke_after() {
        let mut i = tagged(NUKE_TAG, "2026-11-21T10:00:00Z");
        i.tags
            .insert(EXPIRES_TAG.into(), "2026-11-22T10:00:00Z".into());
        assert_eq!(
            expiry(&i),
            Some(Expiry {
                tag: EXPIRES_TAG,
                at: Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
            })
        );
    }

    #[test]
    fn cloud_nuke_offsets_are_honoured() {
        let i = tagged(NUKE_TAG, "2026-11-21T12:30:00+02:00");
        assert_eq!(
            expiry(&i),
            Some(Expiry {
                tag: NUKE_TAG,
                at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 30, 0).unwrap()
            })
        );
    }

    #[test]
    fn garbage_expiry_is_ignored() {
        let i = tagged(EXPIRES_TAG, "tomorrow, promise");
        assert_eq!(expiry(&i), None);
        // A valid cloud-nuke-after still counts.
        let mut i = tagged(EXPIRES_TAG, "");
        i.tags
            .insert(NUKE_TAG.into(), "2026-11-23T00:00:00Z".into());
        assert_eq!(expiry(&i).map(|e| e.tag), Some(NUKE_TAG));
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
            expiry(&i).map(|e| e.at),
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
        let mut untagged = instance("i-1", "web");
        untagged.launched_at = Some(now - Duration::hours(1));
        assert_eq!(extended_expiry(&untagged, now, 4.0), "2026-11-21T16:00:00Z");
        let nuked = tagged(NUKE_TAG, "2026-11-22T00:00:00Z");
        assert_eq!(extended_expiry(&nuked, now, 1.0), "2026-11-22T01:00:00Z");
    }
}
