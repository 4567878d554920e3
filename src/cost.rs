//! Cost safety: what an instance costs, and which instances and addresses
//! look forgotten. Plain functions on the model, no I/O.

use std::collections::BTreeMap;

use serde::Deserialize;

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
