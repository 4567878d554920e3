//! Cost safety: what an instance costs, and which instances and addresses
//! look forgotten. Plain functions on the model, no I/O.
//!
//! - [`prices`]: the embedded price table and the `[cost]` overrides;
//! - [`rules`]: `[cost]` ([`CostConfig`]) and the [`Flag`]s its rules raise;
//! - [`assess`](mod@assess): the one judgement, [`assess()`] →
//!   [`Assessment`], [`assess_address`] → [`AddressAssessment`], and their
//!   [`Totals`]; every view and `hytop list`/`check` read these.

pub mod assess;
pub mod prices;
pub mod rules;

pub use assess::{
    AddressAssessment, Assessment, Held, Storage, Totals, VolumeAssessment, assess, assess_address,
    assess_volume,
};
pub use prices::{PRICES_TOML, Prices};
pub use rules::{CostConfig, Flag, idle_candidates, idle_window};
