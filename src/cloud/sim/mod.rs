//! The built-in simulated cloud behind `hytop --demo`.
//!
//! An in-memory [`world`] that answers like EC2 or Nova/Neutron would; the
//! [`dialect`] holds everything that differs between the two (words, ids,
//! error codes, catalogs), the [`console`] log and the [`metrics`] are pure
//! functions of instance and time so tests stay deterministic, and
//! [`provider`] answers the [`Provider`](crate::cloud::Provider) calls.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::cloud::{CloudError, CloudResult};
use crate::domain::model::{CloudKind, Instance, Volume};

mod console;
mod dialect;
mod doctor;
mod hash;
mod metrics;
mod provider;
mod world;

#[cfg(test)]
mod tests;

pub use dialect::{
    AWS_IMAGES, AWS_SECURITY_GROUPS, AWS_SIZES, AWS_SUBNETS, FLOATING_POOL, OPENSTACK_FLAVORS,
    OPENSTACK_IMAGES, OPENSTACK_NETWORKS, OPENSTACK_SECURITY_GROUPS, SIM_KEY_NAME,
};

use dialect::Dialect;
use world::{SimInstance, SimVolume, World};

/// The names DescribeImages gives the simulated AMIs: the launch form's
/// labels are friendlier, but the listing shows what the cloud calls them.
const AMI_NAMES: &[(&str, &str)] = &[
    (
        "ami-0a8e758f5e873d1c1",
        "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64",
    ),
    (
        "ami-0694d931cee176e7d",
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240927",
    ),
    ("ami-0c1c30571d2dae5c9", "debian-12-amd64-20240717-1811"),
];

/// The name the simulated cloud gives an image; Glance images are named
/// by their label already.
fn image_name(id: &str) -> Option<&'static str> {
    AMI_NAMES
        .iter()
        .chain(OPENSTACK_IMAGES)
        .find(|(i, _)| *i == id)
        .map(|(_, name)| *name)
}

/// Where the simulator reads "now"; tests inject a clock they can advance.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// How a simulated endpoint behaves (`[cloud.sim]` in `config.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSettings {
    pub seed: u64,
    /// Initial instances per simulated endpoint.
    pub instances: usize,
    /// Artificial latency of every call.
    pub latency_ms: u64,
    /// Chance (0.0..=1.0) that a call fails with a simulated outage.
    pub failure_rate: f64,
    /// Launch to running (AWS `pending`, Nova `BUILD`).
    pub pending_secs: u64,
    /// Terminate to terminated (AWS `shutting-down`, Nova task `deleting`).
    pub stopping_secs: u64,
    /// How long terminated AWS instances stay listed.
    pub gone_secs: u64,
    /// Public addresses the cloud can hand out.
    pub address_pool: usize,
    /// Regions the simulated account also has but the config does not show:
    /// the sweep (`--all-regions`, `:sweep`) and `:region` find them, each
    /// with one instance someone forgot there.
    pub unshown_regions: Vec<String>,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            seed: 1,
            instances: 8,
            latency_ms: 150,
            failure_rate: 0.0,
            pending_secs: 6,
            stopping_secs: 4,
            gone_secs: 60,
            address_pool: 4,
            unshown_regions: Vec::new(),
        }
    }
}

/// A seed of its own for a region of a simulated account.
pub fn region_seed(region: &str) -> u64 {
    hash::fnv1a(region.as_bytes())
}

/// The built-in simulated cloud endpoint.
pub struct SimProvider {
    dialect: Dialect,
    account: String,
    region: String,
    settings: SimSettings,
    clock: Clock,
    world: Mutex<World>,
    /// Every region of the simulated account, this one included.
    account_regions: Vec<String>,
}

impl SimProvider {
    /// kind: which cloud flavour to imitate; account: profile or cloud name;
    /// region: e.g. "eu-west-1" or "lab".
    pub fn new(
        kind: CloudKind,
        account: &str,
        region: &str,
        settings: SimSettings,
        clock: Clock,
    ) -> SimProvider {
        let seed =
            settings.seed ^ hash::fnv1a(format!("{}/{account}/{region}", kind.label()).as_bytes());
        let dialect = Dialect::of(kind);
        let world = World::generate(dialect, &settings, seed, clock());
        let mut account_regions = settings.unshown_regions.clone();
        account_regions.push(region.to_string());
        SimProvider {
            dialect,
            account: account.to_string(),
            region: region.to_string(),
            settings,
            clock,
            world: Mutex::new(world),
            account_regions,
        }
    }

    /// Says which regions the simulated account has (the configured ones
    /// besides this), so the sweep can tell shown from unshown.
    pub fn with_account_regions(mut self, regions: &[String]) -> SimProvider {
        self.account_regions.extend(regions.iter().cloned());
        self
    }

    /// Every region of the account, sorted.
    fn account_regions(&self) -> Vec<String> {
        let mut all = self.account_regions.clone();
        all.sort();
        all.dedup();
        all
    }

    /// Simulates the round trip, then rolls the dice for an outage; the world
    /// is only locked after the sleep so slow calls never block each other.
    async fn begin(&self) -> CloudResult<(MutexGuard<'_, World>, DateTime<Utc>)> {
        if self.settings.latency_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(self.settings.latency_ms)).await;
        }
        let mut world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        let now = (self.clock)();
        let rate = self.settings.failure_rate;
        // NaN compares false, so a nonsense rate means "never fails".
        if rate > 0.0 && world.rng.f64() < rate {
            return Err(CloudError::new(
                "SimulatedFailure",
                format!(
                    "simulated outage of {} (failure_rate {rate})",
                    self.dialect.label(&self.account, &self.region)
                ),
            ));
        }
        world.prune(now);
        Ok((world, now))
    }

    /// `volumes`: the ones attached to `inst`.
    fn to_instance(
        &self,
        world: &World,
        inst: &SimInstance,
        volumes: &[&SimVolume],
        now: DateTime<Utc>,
    ) -> Instance {
        let (state, raw_state) = world.state_of(inst, now);
        let resources = self.dialect.resources(&inst.size);
        Instance {
            kind: self.dialect.kind(),
            account: self.account.as_str().into(),
            region: self.region.as_str().into(),
            id: inst.id.clone(),
            name: inst.name.clone(),
            state,
            raw_state: raw_state.into(),
            size: inst.size.as_str().into(),
            vcpus: resources.map(|r| r.0),
            memory_mb: resources.map(|r| r.1),
            image: inst.image.as_str().into(),
            image_name: image_name(&inst.image).map(Into::into),
            key_name: inst.key_name.clone(),
            public_ip: world.address_of(&inst.id).map(|a| a.ip.clone()),
            private_ip: Some(inst.private_ip.clone()),
            launched_at: Some(inst.launched_at),
            tags: inst.tags.clone(),
            detailed_monitoring: inst.detailed_monitoring,
            extra: Vec::new(),
            volumes: volumes.iter().map(|v| self.to_volume(v)).collect(),
            state_since: world.state_since(inst, now),
        }
    }

    fn to_volume(&self, v: &SimVolume) -> Volume {
        let attached = v.instance_id.is_some();
        Volume {
            id: v.id.clone(),
            name: v.name.clone(),
            size_gb: Some(v.size_gb),
            volume_type: Some(v.volume_type.into()),
            state: self.dialect.volume_state(attached).into(),
            instance_id: v.instance_id.clone(),
            device: attached.then(|| v.device.to_string()),
            // Only an attachment says what becomes of a volume.
            delete_on_termination: attached.then_some(v.delete_on_termination),
        }
    }
}
