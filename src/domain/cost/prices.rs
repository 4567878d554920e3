//! What things cost: the embedded on-demand price table, the `[cost]`
//! overrides on top of it, and public addresses.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::domain::cost::rules::CostConfig;
use crate::domain::model::{CloudKind, Instance, Volume};

/// The embedded on-demand price table (see its header for date, source and
/// what the figures leave out).
pub const PRICES_TOML: &str = include_str!("../../../assets/prices.toml");

/// AWS has charged this for every public IPv4 address since February 2024;
/// also the fallback so addresses never look free when the table is missing.
const PUBLIC_IPV4_PER_HOUR: f64 = 0.005;

/// A GB-month spread over an average month (365 × 24 / 12), as AWS's own
/// price examples do.
pub const HOURS_PER_MONTH: f64 = 730.0;

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
    /// $/GB-month by region and EBS volume type.
    #[serde(default)]
    volumes: BTreeMap<String, BTreeMap<String, f64>>,
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
    /// No table at all: every AWS instance without a config override has no
    /// price, which is honest, rather than being free, which would be wrong.
    fn default() -> Self {
        Prices {
            date: "unknown".into(),
            source: "none (no price table)".into(),
            regions: BTreeMap::new(),
            addresses: AddressPrices::default(),
            volumes: BTreeMap::new(),
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

    /// $/h for `instance` under `config` overrides, whatever its state: AWS:
    /// `config.prices` `"<region>/<type>"`, then `"<type>"`, then this table
    /// for the instance's region. OpenStack: `config.flavor_prices[flavor]`.
    pub fn hourly(&self, instance: &Instance, config: &CostConfig) -> Option<f64> {
        match instance.kind {
            CloudKind::Aws => self.aws_hourly(&instance.region, &instance.size, config),
            CloudKind::OpenStack => config
                .flavor_prices
                .get(instance.size.as_str())
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

    /// $/h of a volume of `kind` in `region` under `config` overrides:
    /// `config.volume_prices` `"<region>/<type>"`, then `"<type>"`, then (AWS)
    /// this table; `None` without a size, a type or a price.
    pub fn volume_hourly(
        &self,
        kind: CloudKind,
        region: &str,
        volume: &Volume,
        config: &CostConfig,
    ) -> Option<f64> {
        let gb = volume.size_gb? as f64;
        let kind_table = match kind {
            CloudKind::Aws => Some(&self.volumes),
            // Cinder volume types are the cloud's own names, not EBS's.
            CloudKind::OpenStack => None,
        };
        let volume_type = volume.volume_type.as_deref()?;
        let per_gb_month = config
            .volume_prices
            .get(&format!("{region}/{volume_type}"))
            .copied()
            .and_then(usable)
            .or_else(|| {
                config
                    .volume_prices
                    .get(volume_type)
                    .copied()
                    .and_then(usable)
            })
            .or_else(|| {
                kind_table?
                    .get(region)?
                    .get(volume_type)
                    .copied()
                    .and_then(usable)
            })?;
        Some(gb * per_gb_month / HOURS_PER_MONTH)
    }

    /// $/h of one AWS public IPv4 address, associated or not.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{instance, server};

    fn config() -> CostConfig {
        CostConfig::default()
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

    fn gp3(gb: u64) -> Volume {
        crate::testutil::gp3_volume("vol-1", gb, Some("i-1"))
    }

    #[test]
    fn volumes_cost_their_size_by_the_month() {
        let prices = Prices::embedded();
        let aws = CloudKind::Aws;
        let eight = prices.volume_hourly(aws, "eu-west-1", &gp3(8), &config());
        // 8 GiB x $0.088 / 730 h: the "$0.0010/h".
        assert!((eight.unwrap_or(0.0) - 0.000_964).abs() < 1e-6, "{eight:?}");
        let us = prices.volume_hourly(aws, "us-east-1", &gp3(100), &config());
        assert!((us.unwrap_or(0.0) - 100.0 * 0.08 / 730.0).abs() < 1e-9);
        assert_eq!(
            prices.volume_hourly(aws, "ap-nowhere-9", &gp3(8), &config()),
            None
        );
        let mut no_size = gp3(8);
        no_size.size_gb = None;
        assert_eq!(
            prices.volume_hourly(aws, "eu-west-1", &no_size, &config()),
            None
        );
        for region in ["eu-west-1", "us-east-1"] {
            for t in ["gp3", "gp2", "io1", "io2", "st1", "sc1", "standard"] {
                let mut v = gp3(1);
                v.volume_type = Some(t.into());
                assert!(
                    prices.volume_hourly(aws, region, &v, &config()).is_some(),
                    "{region}/{t}"
                );
            }
        }
    }

    #[test]
    fn volume_overrides_and_openstack_types() {
        let prices = Prices::embedded();
        let mut config = config();
        config.volume_prices.insert("gp3".into(), 0.073);
        let v = gp3(10);
        let got = prices.volume_hourly(CloudKind::Aws, "eu-west-1", &v, &config);
        assert!((got.unwrap_or(0.0) - 0.73 / 730.0).abs() < 1e-9);
        config.volume_prices.insert("eu-west-1/gp3".into(), 0.146);
        let got = prices.volume_hourly(CloudKind::Aws, "eu-west-1", &v, &config);
        assert!((got.unwrap_or(0.0) - 1.46 / 730.0).abs() < 1e-9);
        // A Cinder type has no list price, only the configured one.
        let mut cinder = gp3(10);
        cinder.volume_type = Some("__DEFAULT__".into());
        let none = self::config();
        assert_eq!(
            prices.volume_hourly(CloudKind::OpenStack, "RegionOne", &cinder, &none),
            None
        );
        let mut priced = self::config();
        priced.volume_prices.insert("__DEFAULT__".into(), 0.05);
        let got = prices.volume_hourly(CloudKind::OpenStack, "RegionOne", &cinder, &priced);
        assert!((got.unwrap_or(0.0) - 0.5 / 730.0).abs() < 1e-9);
        // The EBS table is not a Cinder price list, even for a type called gp3.
        assert_eq!(
            prices.volume_hourly(CloudKind::OpenStack, "eu-west-1", &gp3(8), &none),
            None
        );
    }

    #[test]
    fn flavor_prices_are_for_openstack_only() {
        let prices = Prices::embedded();
        let s = server("s-1", "svc", "ACTIVE");
        assert_eq!(prices.hourly(&s, &config()), None);
        let mut config = config();
        config.flavor_prices.insert("m1.tiny".into(), 0.01);
        assert_eq!(prices.hourly(&s, &config), Some(0.01));
        // AWS overrides are not flavor prices.
        let mut config = self::config();
        config.prices.insert("m1.tiny".into(), 0.5);
        assert_eq!(prices.hourly(&s, &config), None);
    }
}
