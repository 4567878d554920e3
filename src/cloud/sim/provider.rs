//! The [`Provider`] calls of a simulated endpoint: each one waits its
//! latency, may fail with an outage, and then asks the world.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;

use super::SimProvider;
use super::console::console_text;
use super::dialect::{Refusal, SIM_KEY_NAME, has_id};
use super::metrics::metrics_of;
use super::world::{SimInstance, World};
use crate::cloud::facts::{FactKind, Facts, ProbePlan, ProbeResult};
use crate::cloud::{
    AttachedAddress, CloudError, CloudResult, MetricsQuery, PowerAction, PowerOutcome, Provider,
    Regions, Resolution,
};
use crate::domain::model::{
    Choice, CloudKind, ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, LaunchSpec,
    PublicAddress, USER_DATA_LIMIT, Volume,
};

/// Instances a project may run beyond its initial fleet (the course's quota is small).
const QUOTA_HEADROOM: usize = 20;

impl SimProvider {
    /// Refuses a launch the way the cloud would, before anything starts.
    fn check_launch(&self, world: &World, spec: &LaunchSpec) -> CloudResult<()> {
        let dialect = self.dialect;
        let refuse = |refusal| Err(dialect.refuse(refusal));
        if spec.count == 0 {
            return refuse(Refusal::ZeroCount);
        }
        dialect.check_name(&spec.name)?;
        if let Some(data) = &spec.user_data
            && data.len() > USER_DATA_LIMIT
        {
            return refuse(Refusal::UserDataTooLarge(data.len()));
        }
        let catalog = dialect.catalog();
        dialect.check_image_id(&spec.image)?;
        if !has_id(catalog.images, &spec.image) {
            return refuse(Refusal::UnknownImage(&spec.image));
        }
        if !has_id(catalog.sizes, &spec.size) {
            return refuse(Refusal::UnknownSize(&spec.size));
        }
        if let Some(key) = &spec.key_name
            && key != SIM_KEY_NAME
        {
            return refuse(Refusal::UnknownKey(key));
        }
        if let Some(net) = &spec.network
            && !has_id(catalog.networks, net)
        {
            return refuse(Refusal::UnknownNetwork(net));
        }
        // EC2 also takes group names in the default VPC, so accept both.
        if let Some(group) = spec.security_groups.iter().find(|g| {
            !catalog
                .security_groups
                .iter()
                .any(|(id, name)| id == g || name == g)
        }) {
            return refuse(Refusal::UnknownSecurityGroup(group));
        }
        let quota = self.settings.instances.saturating_add(QUOTA_HEADROOM);
        let used = world.live_instances();
        let requested = usize::try_from(spec.count).unwrap_or(usize::MAX);
        if used.saturating_add(requested) > quota {
            return refuse(Refusal::Quota {
                requested,
                used,
                quota,
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for SimProvider {
    fn kind(&self) -> CloudKind {
        self.dialect.kind()
    }

    fn label(&self) -> String {
        self.dialect.label(&self.account, &self.region)
    }

    fn metrics_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.dialect.metrics_period_secs() as u64)
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        let (world, now) = self.begin().await?;
        let volumes = world.volumes_by_instance();
        Ok(world
            .instances
            .iter()
            .map(|i| {
                let attached = volumes.get(i.id.as_str()).map_or(&[][..], Vec::as_slice);
                self.to_instance(&world, i, attached, now)
            })
            .collect())
    }

    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        let (world, now) = self.begin().await?;
        let period = self.dialect.metrics_period_secs();
        // The demo may hold thousands of instances; avoid a quadratic lookup.
        let by_id: HashMap<&str, &SimInstance> =
            world.instances.iter().map(|i| (i.id.as_str(), i)).collect();
        // Like CloudWatch, unknown ids simply have no data.
        Ok(query
            .instance_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .map(|inst| {
                let mut m = metrics_of(inst, query, period, world.timing.pending, now);
                if query.resolution == Resolution::Summary {
                    m.cpu = m.cpu.summarised();
                    m.net_in.points = Vec::new();
                }
                (inst.id.clone(), m)
            })
            .collect())
    }

    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
        let (mut world, now) = self.begin().await?;
        self.check_launch(&world, spec)?;
        Ok(world.launch(spec, now))
    }

    async fn terminate(&self, instance_ids: &[String]) -> CloudResult<()> {
        let (mut world, now) = self.begin().await?;
        world.terminate(instance_ids, now)
    }

    async fn power(&self, instance_ids: &[String], action: PowerAction) -> Vec<PowerOutcome> {
        match self.begin().await {
            Ok((mut world, now)) => world.power(instance_ids, action, now),
            // A simulated outage fails every id of the call alike.
            Err(e) => PowerOutcome::for_all(instance_ids, &Err(e)),
        }
    }

    async fn attach_public_ip(&self, instance_id: &str) -> CloudResult<AttachedAddress> {
        let (mut world, now) = self.begin().await?;
        world.attach(instance_id, now)
    }

    async fn detach_public_ip(&self, instance_id: &str) -> CloudResult<String> {
        let (mut world, _now) = self.begin().await?;
        world.detach(instance_id)
    }

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        let (world, _now) = self.begin().await?;
        let pool = self.dialect.address_pool();
        Ok(world
            .addresses
            .iter()
            .map(|a| PublicAddress {
                id: a.id.clone(),
                ip: a.ip.clone(),
                instance_id: a.instance_id.clone(),
                pool: Some(pool.to_string()),
            })
            .collect())
    }

    async fn release_address(&self, address_id: &str) -> CloudResult<()> {
        let (mut world, _now) = self.begin().await?;
        world.release(address_id)
    }

    async fn list_volumes(&self) -> CloudResult<Vec<Volume>> {
        let (world, _now) = self.begin().await?;
        Ok(world.volumes.iter().map(|v| self.to_volume(v)).collect())
    }

    async fn delete_volume(&self, volume_id: &str) -> CloudResult<()> {
        let (mut world, _now) = self.begin().await?;
        world.delete_volume(volume_id)
    }

    async fn set_tags(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let (mut world, _now) = self.begin().await?;
        world.set_tags(instance_id, tags)
    }

    async fn regions(&self) -> CloudResult<Regions> {
        let _ = self.begin().await?;
        Ok(Regions {
            all: self.account_regions(),
            this: Some(self.region.clone()),
        })
    }

    async fn facts(&self, instance: &Instance, kind: FactKind) -> CloudResult<Facts> {
        let (world, now) = self.begin().await?;
        let inst = world.find(&instance.id)?;
        super::doctor::facts(&world, inst, now, kind)
    }

    async fn probe(&self, instance: &Instance, plan: &ProbePlan) -> Vec<ProbeResult> {
        // A probe of a simulated instance never leaves the process.
        let (world, now) = match self.begin().await {
            Ok(begun) => begun,
            Err(e) => {
                return plan
                    .ports
                    .iter()
                    .map(|&port| ProbeResult::Tcp {
                        port,
                        result: Err(e.to_string()),
                    })
                    .collect();
            }
        };
        match world.find(&instance.id) {
            Ok(inst) => super::doctor::probe(&world, inst, now, plan),
            Err(e) => plan
                .ports
                .iter()
                .map(|&port| ProbeResult::Tcp {
                    port,
                    result: Err(e.to_string()),
                })
                .collect(),
        }
    }

    async fn console_output(&self, instance_id: &str, lines: u32) -> CloudResult<ConsoleOutput> {
        let (world, now) = self.begin().await?;
        let inst = world.find(instance_id)?;
        if inst.failed {
            // A server that never got a host has no console to read.
            return Err(CloudError::new(
                "409",
                format!("Instance {instance_id} is not ready"),
            ));
        }
        Ok(ConsoleOutput {
            instance_id: instance_id.to_string(),
            text: console_text(self.dialect, inst, world.timing.pending, now, lines),
            fetched_at: now,
        })
    }

    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        let (_world, _now) = self.begin().await?;
        let catalog = self.dialect.catalog();
        let choices = |list: &[(&str, &str)]| -> Vec<Choice> {
            list.iter()
                .map(|(id, label)| Choice::new(*id, *label))
                .collect()
        };
        Ok(LaunchOptions {
            images: choices(catalog.images),
            sizes: choices(catalog.sizes),
            networks: choices(catalog.networks),
            key_names: vec![Choice::new(SIM_KEY_NAME, SIM_KEY_NAME)],
            security_groups: choices(catalog.security_groups),
        })
    }
}
