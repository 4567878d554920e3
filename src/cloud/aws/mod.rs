//! AWS: EC2 for instances and Elastic IPs ([`ec2`]), EBS volumes
//! ([`volumes`]) and what the doctor asks ([`facts`]), CloudWatch for
//! metrics ([`cloudwatch`]), configuration and credentials through
//! `aws-config` ([`setup`]). One provider per (profile, region).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use tokio::sync::OnceCell;

use super::facts::{FactKind, Facts};
use super::image_names::ImageNames;
use super::{
    AttachedAddress, CloudResult, MetricsQuery, PowerAction, PowerOutcome, Provider, Regions,
};
use crate::domain::model::{
    CloudKind, ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, LaunchSpec, PublicAddress,
    Volume,
};

mod cloudwatch;
mod complete;
mod ec2;
mod errors;
mod facts;
mod images;
mod lifecycle;
mod regions;
mod setup;
mod volumes;

pub use cloudwatch::MAX_QUERIES;
pub use ec2::PAGE_SIZE;
pub use errors::BAD_RESPONSE;
pub(crate) use errors::is_throttling_code;
pub use lifecycle::{UNSUPPORTED, unsupported};
pub use regions::{ProfileEntry, profiles};
pub use setup::{
    AwsClients, CallCounter, NO_CREDENTIALS, http_client, load_config, nothing_configured,
    profile_region,
};
pub use volumes::VOLUME_PAGE_SIZE;

pub struct AwsProvider {
    profile: Option<String>,
    region: String,
    clients: OnceCell<AwsClients>,
    metrics: cloudwatch::MetricsCache,
    calls: CallCounter,
    listed_addresses: ec2::ListedAddresses,
    image_names: ImageNames,
}

impl AwsProvider {
    /// A provider that loads its configuration on first use (in its worker).
    pub fn new(profile: Option<String>, region: &str) -> AwsProvider {
        AwsProvider {
            profile,
            region: region.to_string(),
            clients: OnceCell::new(),
            metrics: cloudwatch::MetricsCache::default(),
            calls: CallCounter::default(),
            listed_addresses: ec2::ListedAddresses::default(),
            image_names: ImageNames::default(),
        }
    }

    /// A provider on configurations assembled elsewhere (one per service,
    /// so EC2 and CloudWatch may use different endpoints).
    pub fn with_configs(
        profile: Option<String>,
        region: &str,
        ec2: &SdkConfig,
        cloudwatch: &SdkConfig,
    ) -> AwsProvider {
        let provider = AwsProvider::new(profile, region);
        let clients = AwsClients::new(ec2, cloudwatch, &provider.calls);
        // A fresh cell cannot be full.
        let _ = provider.clients.set(clients);
        provider
    }

    /// API calls made so far, by operation.
    pub fn api_calls(&self) -> BTreeMap<String, u64> {
        self.calls.snapshot()
    }

    fn account(&self) -> &str {
        self.profile.as_deref().unwrap_or("default")
    }

    async fn clients(&self) -> CloudResult<&AwsClients> {
        self.clients
            .get_or_try_init(|| async {
                let config = load_config(self.profile.as_deref(), &self.region).await;
                setup::check_credentials(&config).await?;
                Ok(AwsClients::new(&config, &config, &self.calls))
            })
            .await
    }

    /// The EC2 client and the current Elastic IPs, for a call that changes
    /// them (so the addresses kept from the last listing go stale).
    async fn for_address_change(
        &self,
    ) -> CloudResult<(&AwsClients, Vec<aws_sdk_ec2::types::Address>)> {
        self.listed_addresses.forget();
        let c = self.clients().await?;
        let addresses = ec2::vpc_addresses(&c.ec2).await?;
        Ok((c, addresses))
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn kind(&self) -> CloudKind {
        CloudKind::Aws
    }

    fn label(&self) -> String {
        format!("{}/{}", self.account(), self.region)
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        let c = self.clients().await?;
        // Elastic IP associations are shown with the instance.
        let addresses = ec2::vpc_addresses(&c.ec2).await?;
        let mut out =
            ec2::describe_instances(&c.ec2, self.account(), &self.region, &addresses).await?;
        self.listed_addresses.keep(addresses);
        self.image_names
            .fill(&mut out, images::askable, |ids| images::names(&c.ec2, ids))
            .await;
        self.metrics.listed(&out);
        Ok(out)
    }

    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        let c = self.clients().await?;
        // Only instances whose next datapoint can exist by now: GetMetricData
        // is billed per metric asked for.
        let due = self.metrics.due(query);
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let results = cloudwatch::get_metric_data(&c.cloudwatch, &due, query).await?;
        Ok(self.metrics.fetched(due, results, query))
    }

    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
        ec2::check_user_data(spec)?;
        let c = self.clients().await?;
        ec2::run_instances(&c.ec2, spec).await
    }

    async fn terminate(&self, instance_ids: &[String]) -> CloudResult<()> {
        let c = self.clients().await?;
        ec2::terminate_instances(&c.ec2, instance_ids).await
    }

    async fn power(&self, instance_ids: &[String], action: PowerAction) -> Vec<PowerOutcome> {
        match self.clients().await {
            Ok(c) => lifecycle::power(&c.ec2, instance_ids, action).await,
            Err(e) => PowerOutcome::for_all(instance_ids, &Err(e)),
        }
    }

    async fn attach_public_ip(&self, instance_id: &str) -> CloudResult<AttachedAddress> {
        let (c, addresses) = self.for_address_change().await?;
        ec2::attach(&c.ec2, &addresses, instance_id).await
    }

    async fn detach_public_ip(&self, instance_id: &str) -> CloudResult<String> {
        let (c, addresses) = self.for_address_change().await?;
        ec2::detach(&c.ec2, &addresses, instance_id).await
    }

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        let addresses = match self.listed_addresses.take_fresh() {
            Some(addresses) => addresses,
            None => ec2::vpc_addresses(&self.clients().await?.ec2).await?,
        };
        Ok(ec2::to_public_addresses(&addresses))
    }

    async fn release_address(&self, address_id: &str) -> CloudResult<()> {
        let (c, addresses) = self.for_address_change().await?;
        ec2::release(&c.ec2, &addresses, address_id).await
    }

    async fn list_volumes(&self) -> CloudResult<Vec<Volume>> {
        let c = self.clients().await?;
        volumes::describe_volumes(&c.ec2).await
    }

    async fn delete_volume(&self, volume_id: &str) -> CloudResult<()> {
        let c = self.clients().await?;
        volumes::delete_volume(&c.ec2, volume_id).await
    }

    async fn set_tags(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let c = self.clients().await?;
        ec2::create_tags(&c.ec2, instance_id, tags).await
    }

    async fn regions(&self) -> CloudResult<Regions> {
        let c = self.clients().await?;
        Ok(Regions {
            all: regions::enabled_regions(&c.ec2).await?,
            this: Some(self.region.clone()),
        })
    }

    async fn facts(&self, instance: &Instance, kind: FactKind) -> CloudResult<Facts> {
        let c = self.clients().await?;
        facts::facts(&c.ec2, instance, kind).await
    }

    async fn console_output(&self, instance_id: &str, lines: u32) -> CloudResult<ConsoleOutput> {
        let c = self.clients().await?;
        ec2::console_output(&c.ec2, instance_id, lines).await
    }

    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        let c = self.clients().await?;
        ec2::launch_options(&c.ec2).await
    }
}
