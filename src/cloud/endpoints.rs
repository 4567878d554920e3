//! Builds every cloud endpoint of a [`Config`] once per process: one
//! provider per AWS region of a `[[cloud]]`, per OpenStack cloud region, per
//! simulated region. Only local files and the environment are read here, no
//! network; a cloud whose configuration is broken becomes an endpoint that
//! answers every request with that error, so it shows as the cloud's line.

use std::sync::Arc;

use crate::cloud::aws::{self, AwsProvider};
use crate::cloud::openstack::OpenStackProvider;
use crate::cloud::openstack::clouds;
use crate::cloud::sim::{SimProvider, SimSettings, system_clock};
use crate::cloud::unavailable::UnavailableProvider;
use crate::cloud::{CloudError, Provider};
use crate::config::{CloudConfig, Config, ProviderKind};
use crate::domain::model::CloudKind;

/// One cloud endpoint as every part of hytop names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The `[[cloud]]` name from the config.
    pub cloud: String,
    /// e.g. `default/eu-west-1`, `lab/RegionOne`.
    pub label: String,
    pub kind: CloudKind,
    pub region: String,
    /// The built-in simulator answers for this endpoint: the one truth that
    /// ssh (and anything else that would reach a made-up address) reads.
    pub simulated: bool,
}

/// An endpoint with the provider that speaks to it.
#[derive(Clone)]
pub struct Built {
    pub endpoint: Endpoint,
    pub provider: Arc<dyn Provider>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Why no endpoint could be built at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no clouds configured: add a [[cloud]] to config.toml (see assets/config.example.toml) \
     or run `hytop --demo` for the simulated hybrid cloud"
)]
pub struct NoClouds;

/// Every endpoint of `config`, in config order.
pub async fn build(config: &Config) -> Result<Vec<Built>, NoClouds> {
    let mut out = Vec::new();
    for cloud in &config.clouds {
        out.extend(build_cloud(cloud).await);
    }
    if out.is_empty() {
        return Err(NoClouds);
    }
    Ok(out)
}

/// Every endpoint of one `[[cloud]]`: its regions, else the profile's
/// region (AWS) or clouds.yaml's (OpenStack). Reads local files only.
pub async fn build_cloud(cloud: &CloudConfig) -> Vec<Built> {
    match cloud.provider.get_ref() {
        ProviderKind::Simulator => simulated(cloud),
        ProviderKind::Aws => aws_endpoints(cloud).await,
        ProviderKind::OpenStack => openstack_endpoints(cloud),
    }
}

fn built(
    cloud: &str,
    region: &str,
    kind: CloudKind,
    simulated: bool,
    provider: Arc<dyn Provider>,
) -> Built {
    Built {
        endpoint: Endpoint {
            cloud: cloud.to_string(),
            label: provider.label(),
            kind,
            region: region.to_string(),
            simulated,
        },
        provider,
    }
}

fn simulated(cloud: &CloudConfig) -> Vec<Built> {
    let regions = cloud.worker_regions();
    regions
        .iter()
        .enumerate()
        .map(|(i, region)| {
            let mut settings = cloud.sim.clone();
            // Regions of one simulated account must not be copies of each other.
            settings.seed = settings.seed.wrapping_add(i as u64 * 7919);
            simulated_region(cloud, region, settings, &regions)
        })
        .collect()
}

fn simulated_region(
    cloud: &CloudConfig,
    region: &str,
    settings: SimSettings,
    shown: &[String],
) -> Built {
    let name = cloud.name.get_ref();
    let provider = SimProvider::new(cloud.kind(), name, region, settings, system_clock())
        .with_account_regions(shown);
    built(name, region, cloud.kind(), true, Arc::new(provider))
}

/// The endpoint of `cloud` in `region`, one its config may not name: for
/// the sweep and for endpoints added while the dashboard runs. Reads local
/// files only (an OpenStack cloud's clouds.yaml), never the network.
pub fn for_region(cloud: &CloudConfig, region: &str) -> Built {
    let name = cloud.name.get_ref();
    match cloud.provider.get_ref() {
        ProviderKind::Simulator => {
            let shown = cloud.worker_regions();
            let mut settings = cloud.sim.clone();
            if !shown.iter().any(|r| r == region) {
                // A region nobody looks at: one instance someone forgot
                // there (and the forgotten volume every world has).
                settings.instances = 1;
                settings.seed ^= crate::cloud::sim::region_seed(region);
            }
            simulated_region(cloud, region, settings, &shown)
        }
        ProviderKind::Aws => {
            let provider = AwsProvider::new(cloud.profile.clone(), region);
            built(name, region, CloudKind::Aws, false, Arc::new(provider))
        }
        ProviderKind::OpenStack => {
            let os_name = cloud.os_cloud.clone().unwrap_or_else(|| name.clone());
            let made = clouds::find(&clouds::Sources::from_process(), &os_name)
                .map_err(|e| e.to_string())
                .and_then(|profile| {
                    OpenStackProvider::new(
                        name,
                        profile,
                        // The cloud's own name stands for "no region".
                        (region != name).then(|| region.to_string()),
                        cloud.floating_pool.clone(),
                    )
                });
            let provider: Arc<dyn Provider> = match made {
                Ok(p) => Arc::new(p),
                Err(e) => Arc::new(UnavailableProvider::new(
                    CloudKind::OpenStack,
                    format!("{name}/{region}"),
                    CloudError::new("Config", e),
                )),
            };
            built(name, region, CloudKind::OpenStack, false, provider)
        }
    }
}

async fn aws_endpoints(cloud: &CloudConfig) -> Vec<Built> {
    let name = cloud.name.get_ref();
    let profile = cloud.profile.clone();
    let regions: Vec<String> = if cloud.regions.is_empty() {
        aws::profile_region(profile.as_deref())
            .await
            .into_iter()
            .collect()
    } else {
        cloud.regions.clone()
    };
    if regions.is_empty() {
        let profile = profile.as_deref().unwrap_or("default");
        let label = format!("{profile}/?");
        let error = if aws::nothing_configured() {
            CloudError::new("NoCredentials", aws::NO_CREDENTIALS)
        } else {
            CloudError::new(
                "NoRegion",
                format!(
                    "no region for AWS profile {profile}: set `region` in ~/.aws/config, AWS_REGION, \
                     or `regions = [...]` for cloud \"{name}\" in hytop's config"
                ),
            )
        };
        let provider = UnavailableProvider::new(CloudKind::Aws, label, error);
        return vec![built(name, "?", CloudKind::Aws, false, Arc::new(provider))];
    }
    regions
        .into_iter()
        .map(|region| {
            let provider = AwsProvider::new(profile.clone(), &region);
            built(name, &region, CloudKind::Aws, false, Arc::new(provider))
        })
        .collect()
}

/// One endpoint per region of an OpenStack cloud.
fn openstack_endpoints(cloud: &CloudConfig) -> Vec<Built> {
    let name = cloud.name.get_ref();
    let os_name = cloud.os_cloud.clone().unwrap_or_else(|| name.clone());
    let unavailable = |error: CloudError| -> Built {
        let provider = UnavailableProvider::new(CloudKind::OpenStack, name.clone(), error);
        built(name, name, CloudKind::OpenStack, false, Arc::new(provider))
    };
    let profile = match clouds::find(&clouds::Sources::from_process(), &os_name) {
        Ok(p) => p,
        Err(e) => return vec![unavailable(CloudError::new("Config", e.to_string()))],
    };
    let regions: Vec<Option<String>> = if !cloud.regions.is_empty() {
        // An endpoint without a region is shown under the cloud's name; the
        // dashboard writes that name back when regions are added at runtime.
        cloud
            .regions
            .iter()
            .map(|r| (r != name).then(|| r.clone()))
            .collect()
    } else if !profile.regions.is_empty() {
        profile.regions.iter().cloned().map(Some).collect()
    } else {
        vec![None]
    };
    regions
        .into_iter()
        .map(|region| {
            match OpenStackProvider::new(
                name,
                profile.clone(),
                region.clone(),
                cloud.floating_pool.clone(),
            ) {
                Ok(provider) => {
                    let region = region.unwrap_or_else(|| name.clone());
                    built(
                        name,
                        &region,
                        CloudKind::OpenStack,
                        false,
                        Arc::new(provider),
                    )
                }
                Err(e) => unavailable(CloudError::new("Config", e)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example config mixes real clouds with `provider = "simulator"`
    /// ones, without `--demo`: only the simulated endpoints say so.
    #[tokio::test]
    async fn simulated_endpoints_of_a_normal_config_say_so() {
        let text = include_str!("../../assets/config.example.toml");
        let config = Config::parse(text, "config.example.toml").expect("the example parses");
        let built = build(&config).await.expect("endpoints");
        let simulated = |cloud: &str| -> Vec<bool> {
            built
                .iter()
                .filter(|b| b.endpoint.cloud == cloud)
                .map(|b| b.endpoint.simulated)
                .collect()
        };
        assert_eq!(simulated("sim-aws"), [true, true]);
        assert_eq!(simulated("sim-lab"), [true]);
        assert_eq!(simulated("aws"), [false]);
        assert_eq!(simulated("lab"), [false]);
        let labels: Vec<&str> = built.iter().map(|b| b.endpoint.label.as_str()).collect();
        assert!(labels.contains(&"sim-aws/us-east-1"), "{labels:?}");
    }

    #[tokio::test]
    async fn no_cloud_at_all_is_an_error() {
        let config = Config::parse("", "empty.toml").expect("an empty config parses");
        assert_eq!(build(&config).await.err(), Some(NoClouds));
    }
}
