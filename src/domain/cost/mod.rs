//! Cost safety: what an instance costs, and which instances and addresses
//! look forgotten. Plain functions on the model, no I/O.
//!
//! - [`prices`]: the embedded price table and the `[cost]` overrides;
//! - [`rules`]: `[cost]` ([`CostConfig`]) and the [`Flag`]s its rules raise;
//! - [`assess`](mod@assess): the one judgement, [`assess()`] →
//!   [`Assessment`], [`assess_address`] → [`AddressAssessment`], and their
//!   [`Totals`]; every view and `hytop list`/`check` read these.

pub mod assess;
mod legacy;
pub mod prices;
pub mod rules;

pub use assess::{AddressAssessment, Assessment, Held, Totals, assess, assess_address};
pub use prices::{PRICES_TOML, Prices};
pub use rules::{CostConfig, Flag, idle_candidates, idle_window};

// Kept for the dashboard until it uses assess (and `domain::tags`).
pub use crate::domain::tags::{EXPIRES_TAG, NUKE_TAG, OWNER_TAG, expires_value, extended_expiry};
pub use legacy::{
    Rate, Spent, address_flags, format_rate, format_spent, instance_flags, rate, spent,
};

#[cfg(test)]
mod tests {
    //! The wrappers kept for the dashboard say what [`assess`] says; these
    //! tests go with them.
    use chrono::Duration;

    use super::*;
    use crate::domain::model::{InstanceState, PublicAddress};
    use crate::testutil::{fixed_now, instance, server};

    fn config() -> CostConfig {
        CostConfig::default()
    }

    #[test]
    fn wrappers_agree_with_assess() {
        let prices = Prices::embedded();
        let now = fixed_now();
        let mut stopped = instance("i-2", "b");
        stopped.state = InstanceState::Stopped;
        let mut unknown = instance("i-3", "c");
        unknown.size = "x9.huge".into();
        let mut old = instance("i-4", "d");
        old.launched_at = Some(now - Duration::hours(30));
        let mut bare = server("s-2", "svc", "ACTIVE");
        bare.vcpus = None;
        bare.memory_mb = None;
        let fleet = [
            instance("i-1", "a"),
            stopped,
            unknown,
            old,
            server("s-1", "svc", "ACTIVE"),
            bare,
        ];
        for i in &fleet {
            let a = assess(i, None, now, prices, &config());
            assert_eq!(format_rate(rate(i, prices, &config())), a.hourly_text());
            assert_eq!(
                format_spent(spent(i, now, prices, &config())),
                a.spent_text()
            );
            assert_eq!(instance_flags(i, None, now, &config()), a.flags);
            match rate(i, prices, &config()) {
                Rate::Dollars(d) => assert_eq!(a.hourly, Some(d)),
                Rate::Held { vcpus, memory_gb } => {
                    assert_eq!(a.hourly, None);
                    let held = a.held.expect("held");
                    assert_eq!((held.vcpus, held.memory_gb), (vcpus, memory_gb));
                }
                Rate::Unknown => assert!(a.is_unpriced()),
            }
            match spent(i, now, prices, &config()) {
                Spent::Dollars(d) => assert_eq!(a.spent, Some(d)),
                Spent::Held {
                    vcpu_hours,
                    gb_hours,
                } => {
                    let held = a.held.expect("held");
                    assert_eq!(held.vcpu_hours(), Some(vcpu_hours));
                    assert_eq!(held.gb_hours(), Some(gb_hours));
                }
                Spent::Unknown => assert_eq!(a.spent_text(), "-"),
            }
        }
        let address = PublicAddress {
            id: "eipalloc-1".into(),
            ip: "203.0.113.7".into(),
            instance_id: None,
            pool: None,
        };
        assert_eq!(
            address_flags(&address),
            assess_address(&address, crate::domain::model::CloudKind::Aws, prices).flags
        );
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
        assert_eq!(format_rate(Rate::Unknown), "?");
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
        assert_eq!(format_spent(Spent::Unknown), "-");
    }
}
