//! The built-in simulated cloud behind `hytop --demo`.
//!
//! An in-memory world that answers like EC2 or Nova/Neutron would: states
//! follow from the clock (evaluated lazily on every call, so a paused clock
//! freezes the world), public addresses come from a small pool, console
//! output grows while an instance boots and metrics are a pure function of
//! instance and time so tests stay deterministic.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;
use serde::Deserialize;

use super::{AttachedAddress, CloudError, CloudResult, MetricsQuery, Provider};
use crate::domain::model::{
    Choice, CloudKind, ConsoleOutput, Instance, InstanceMetrics, InstanceState, LaunchOptions,
    LaunchSpec, PublicAddress, Series, USER_DATA_LIMIT,
};

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
        }
    }
}

/// AMIs the AWS simulator accepts (templates of the demo config name these).
pub const AWS_IMAGES: &[(&str, &str)] = &[
    ("ami-0a8e758f5e873d1c1", "Amazon Linux 2023"),
    ("ami-0694d931cee176e7d", "Ubuntu 22.04 LTS"),
    ("ami-0c1c30571d2dae5c9", "Debian 12"),
];
/// Instance types the AWS simulator accepts.
pub const AWS_SIZES: &[(&str, &str)] = &[
    ("t2.nano", "t2.nano (1 vCPU, 0.5 GiB)"),
    ("t2.micro", "t2.micro (1 vCPU, 1 GiB)"),
    ("t3.micro", "t3.micro (2 vCPU, 1 GiB)"),
    ("t3.small", "t3.small (2 vCPU, 2 GiB)"),
];
/// Subnets of the AWS simulator's default VPC.
pub const AWS_SUBNETS: &[(&str, &str)] = &[
    ("subnet-0b3f6a2c9d41e7a55", "default (zone a)"),
    ("subnet-07e29c1d4a8b6f310", "default (zone b)"),
];
/// Security groups of the AWS simulator.
pub const AWS_SECURITY_GROUPS: &[(&str, &str)] = &[
    ("sg-0f4c2b9e1a7d35c68", "default"),
    ("sg-03a9d7e5b1c4f2e80", "lab-ssh-web"),
];
/// Glance images of the OpenStack simulator.
pub const OPENSTACK_IMAGES: &[(&str, &str)] = &[
    ("5b6e3c1a-9f2d-4c8e-a7b1-3d9e0f6a2c48", "ubuntu-22.04"),
    ("c2f8a4d1-7e3b-4a9c-b5d6-1e0f9a8b7c63", "debian-12"),
    ("8d1e6f0a-2b4c-4e7d-9a3f-6c5b0e1d2a97", "cirros-0.6.2"),
];
/// Nova flavors of the OpenStack simulator (their id is their name).
pub const OPENSTACK_FLAVORS: &[(&str, &str)] = &[
    ("m1.tiny", "m1.tiny (1 vCPU, 512 MB)"),
    ("i4.tiny", "i4.tiny (1 vCPU, 1 GB)"),
    ("m1.small", "m1.small (1 vCPU, 2 GB)"),
];
/// vCPUs and memory (MB) of a simulated OpenStack flavor; AWS instance
/// types are priced instead.
fn flavor_resources(kind: CloudKind, flavor: &str) -> Option<(u32, u64)> {
    if kind != CloudKind::OpenStack {
        return None;
    }
    match flavor {
        "m1.tiny" => Some((1, 512)),
        "i4.tiny" => Some((1, 1024)),
        "m1.small" => Some((1, 2048)),
        _ => None,
    }
}

/// Neutron networks instances can be launched into.
pub const OPENSTACK_NETWORKS: &[(&str, &str)] =
    &[("3f9a1c7e-5d2b-4e8a-b6c0-9d1f2e3a4b57", "lab-internal")];
/// Nova takes security groups by name.
pub const OPENSTACK_SECURITY_GROUPS: &[(&str, &str)] =
    &[("default", "default"), ("ssh", "ssh"), ("web", "web")];
/// The key pair both simulated clouds know.
pub const SIM_KEY_NAME: &str = "lab-key";
/// The external network floating IPs come from.
pub const FLOATING_POOL: &str = "i4labnet";

/// CloudWatch detailed monitoring granularity; the demo uses it for all.
const AWS_PERIOD_SECS: i64 = 60;
/// The finest Gnocchi granularity of the course's cloud.
const OPENSTACK_PERIOD_SECS: i64 = 10;
/// CloudWatch's per-series limit; also keeps days-long windows cheap.
const MAX_POINTS: i64 = 1440;
/// A journal-like console line every this often once running, so follow mode moves.
const CONSOLE_TICK_MS: i64 = 5_000;
/// AWS returns at most 64 KB of console; this keeps a huge `lines` equally cheap.
const MAX_CONSOLE_LINES: u64 = 10_000;
/// Instances a project may run beyond its initial fleet (the course's quota is small).
const QUOTA_HEADROOM: usize = 20;
/// Settings beyond this would overflow date arithmetic and mean nothing anyway.
const MAX_SETTING_SECS: u64 = 10 * 365 * 86_400;

/// The built-in simulated cloud endpoint.
pub struct SimProvider {
    kind: CloudKind,
    account: String,
    region: String,
    settings: SimSettings,
    timing: Timing,
    clock: Clock,
    world: Mutex<World>,
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
        let seed = settings.seed ^ fnv1a(format!("{}/{account}/{region}", kind.label()).as_bytes());
        let timing = Timing::new(&settings);
        let now = clock();
        let world = World::generate(kind, &settings, &timing, seed, now);
        SimProvider {
            kind,
            account: account.to_string(),
            region: region.to_string(),
            settings,
            timing,
            clock,
            world: Mutex::new(world),
        }
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
                format!("simulated outage of {} (failure_rate {rate})", self.label()),
            ));
        }
        world.prune(self.kind, &self.timing, now);
        Ok((world, now))
    }

    fn to_instance(&self, world: &World, inst: &SimInstance, now: DateTime<Utc>) -> Instance {
        let (state, raw_state) = self.state_of(inst, now);
        Instance {
            kind: self.kind,
            account: self.account.clone(),
            region: self.region.clone(),
            id: inst.id.clone(),
            name: inst.name.clone(),
            state,
            raw_state,
            size: inst.size.clone(),
            vcpus: flavor_resources(self.kind, &inst.size).map(|r| r.0),
            memory_mb: flavor_resources(self.kind, &inst.size).map(|r| r.1),
            image: inst.image.clone(),
            key_name: inst.key_name.clone(),
            public_ip: world.address_of(&inst.id).map(|a| a.ip.clone()),
            private_ip: Some(inst.private_ip.clone()),
            launched_at: Some(inst.launched_at),
            tags: inst.tags.clone(),
            detailed_monitoring: inst.detailed_monitoring,
            extra: Vec::new(),
        }
    }

    fn state_of(&self, inst: &SimInstance, now: DateTime<Utc>) -> (InstanceState, String) {
        let phase = inst.phase(self.kind, &self.timing, now);
        match self.kind {
            CloudKind::Aws => {
                let word = match phase {
                    Phase::Pending => "pending",
                    Phase::Running => "running",
                    Phase::Stopped => "stopped",
                    // EC2 has no failed boot state the course ever sees.
                    Phase::Failed => "stopped",
                    Phase::ShuttingDown => "shutting-down",
                    Phase::Terminated | Phase::Gone => "terminated",
                };
                (InstanceState::from_ec2(word), word.to_string())
            }
            CloudKind::OpenStack => match phase {
                Phase::ShuttingDown => {
                    // Nova keeps the status it had and only sets the task.
                    let before = inst
                        .terminated_at
                        .map_or(Phase::Running, |at| inst.life_phase(&self.timing, at));
                    let status = nova_status(before);
                    (
                        InstanceState::from_nova(status, Some("deleting")),
                        format!("{status} (deleting)"),
                    )
                }
                other => {
                    let status = nova_status(other);
                    (InstanceState::from_nova(status, None), status.to_string())
                }
            },
        }
    }

    fn not_found(&self, id: &str) -> CloudError {
        match self.kind {
            CloudKind::Aws => CloudError::new(
                "InvalidInstanceID.NotFound",
                format!("The instance ID '{id}' does not exist"),
            ),
            CloudKind::OpenStack => {
                CloudError::new("404", format!("Instance {id} could not be found."))
            }
        }
    }

    /// Looks an instance up the way the cloud would reject a bad id.
    fn find<'w>(&self, world: &'w World, id: &str) -> CloudResult<&'w SimInstance> {
        if self.kind == CloudKind::Aws && !id.starts_with("i-") {
            return Err(CloudError::new(
                "InvalidInstanceID.Malformed",
                format!("Invalid id: \"{id}\""),
            ));
        }
        world
            .instances
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| self.not_found(id))
    }

    fn catalog(&self) -> Catalog {
        Catalog::of(self.kind)
    }

    fn validate_launch(&self, world: &World, spec: &LaunchSpec) -> CloudResult<()> {
        let aws = self.kind == CloudKind::Aws;
        let bad = |aws_code: &str, aws_msg: String, os_msg: String| match self.kind {
            CloudKind::Aws => CloudError::new(aws_code, aws_msg),
            CloudKind::OpenStack => CloudError::new("400", os_msg),
        };
        if spec.count == 0 {
            return Err(bad(
                "InvalidParameterValue",
                "Invalid value '0' for MinCount. Must be at least 1.".into(),
                "Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1".into(),
            ));
        }
        if !aws && spec.name.trim().is_empty() {
            return Err(CloudError::new(
                "400",
                "Invalid input for field/attribute name. Value: ''. '' is too short",
            ));
        }
        if let Some(data) = &spec.user_data
            && data.len() > USER_DATA_LIMIT
        {
            return Err(bad(
                "InvalidParameterValue",
                format!(
                    "User data is limited to {USER_DATA_LIMIT} bytes (this one has {} bytes)",
                    data.len()
                ),
                format!(
                    "User data too large. User data must be no larger than {USER_DATA_LIMIT} bytes. Your data is {} bytes",
                    data.len()
                ),
            ));
        }
        let catalog = self.catalog();
        if aws && !spec.image.starts_with("ami-") {
            return Err(CloudError::new(
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{}\" (expecting \"ami-...\")", spec.image),
            ));
        }
        if !has_id(catalog.images, &spec.image) {
            return Err(bad(
                "InvalidAMIID.NotFound",
                format!("The image id '[{}]' does not exist", spec.image),
                format!("Image {} could not be found.", spec.image),
            ));
        }
        if !has_id(catalog.sizes, &spec.size) {
            return Err(bad(
                "InvalidParameterValue",
                format!("Invalid value '{}' for InstanceType.", spec.size),
                "Invalid flavorRef provided.".into(),
            ));
        }
        if let Some(key) = &spec.key_name
            && key != SIM_KEY_NAME
        {
            return Err(bad(
                "InvalidKeyPair.NotFound",
                format!("The key pair '{key}' does not exist"),
                "Invalid key_name provided.".into(),
            ));
        }
        if let Some(net) = &spec.network
            && !has_id(catalog.networks, net)
        {
            return Err(bad(
                "InvalidSubnetID.NotFound",
                format!("The subnet ID '{net}' does not exist"),
                format!("Network {net} could not be found."),
            ));
        }
        // EC2 also takes group names in the default VPC, so accept both.
        if let Some(group) = spec.security_groups.iter().find(|g| {
            !catalog
                .security_groups
                .iter()
                .any(|(id, name)| id == g || name == g)
        }) {
            return Err(bad(
                "InvalidGroup.NotFound",
                format!("The security group '{group}' does not exist"),
                format!("Security group {group} not found."),
            ));
        }
        let quota = self.settings.instances.saturating_add(QUOTA_HEADROOM);
        let used = world
            .instances
            .iter()
            .filter(|i| i.terminated_at.is_none())
            .count();
        let requested = usize::try_from(spec.count).unwrap_or(usize::MAX);
        if used.saturating_add(requested) > quota {
            return Err(match self.kind {
                CloudKind::Aws => CloudError::new(
                    "InstanceLimitExceeded",
                    format!(
                        "Your quota allows for {} more running instance(s). You requested at least {requested}.",
                        quota.saturating_sub(used)
                    ),
                ),
                CloudKind::OpenStack => CloudError::new(
                    "403",
                    format!(
                        "Quota exceeded for instances: Requested {requested}, but already used {used} of {quota} instances"
                    ),
                ),
            });
        }
        Ok(())
    }

    fn console_text(&self, inst: &SimInstance, now: DateTime<Utc>, lines: u32) -> String {
        let pending_ms = self.timing.pending.num_milliseconds();
        let cutoff = [inst.stopped_at, inst.terminated_at]
            .into_iter()
            .flatten()
            .filter(|at| *at <= now)
            .min();
        let end = cutoff.unwrap_or(now);
        let elapsed_ms = (end - inst.launched_at).num_milliseconds();
        if elapsed_ms < 0 {
            return String::new();
        }
        let boot = boot_script(self.kind, inst, pending_ms);
        let boot_len = i64::try_from(boot.len()).unwrap_or(i64::MAX);
        let boot_at = |k: i64| -> i64 {
            if boot_len <= 1 {
                pending_ms
            } else {
                pending_ms.saturating_mul(k) / (boot_len - 1)
            }
        };
        let visible_boot = (0..boot_len)
            .take_while(|&k| boot_at(k) <= elapsed_ms)
            .count() as u64;
        let periodic = if elapsed_ms >= pending_ms {
            ((elapsed_ms - pending_ms) / CONSOLE_TICK_MS) as u64
        } else {
            0
        };
        let shutdown: &[&str] = if cutoff.is_some() {
            &[
                "systemd[1]: Stopping app.service - Course demo service...",
                "systemd-shutdown[1]: Syncing filesystems and block devices.",
                "reboot: Power down",
            ]
        } else {
            &[]
        };
        let total = visible_boot + periodic + shutdown.len() as u64;
        let take = total.min(u64::from(lines)).min(MAX_CONSOLE_LINES);
        let hash = fnv1a(inst.id.as_bytes());
        let mut text = String::new();
        for index in total - take..total {
            let line = if index < visible_boot {
                let k = index as usize;
                let (stamped, body) = &boot[k];
                if *stamped {
                    format!("{}{body}", stamp(boot_at(k as i64), k as u64))
                } else {
                    body.clone()
                }
            } else if index < visible_boot + periodic {
                let j = index - visible_boot;
                let at = pending_ms + (j as i64 + 1) * CONSOLE_TICK_MS;
                format!("{}{}", stamp(at, j), periodic_line(self.kind, hash, j))
            } else {
                let s = (index - visible_boot - periodic) as usize;
                format!("{}{}", stamp(elapsed_ms, s as u64), shutdown[s])
            };
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    fn metrics_of(
        &self,
        inst: &SimInstance,
        query: &MetricsQuery,
        now: DateTime<Utc>,
    ) -> InstanceMetrics {
        let period = self.period_secs();
        let mut out = InstanceMetrics {
            cpu: Series {
                period_secs: period as u32,
                points: Vec::new(),
            },
            net_in: Series {
                period_secs: period as u32,
                points: Vec::new(),
            },
            window_start: Some(query.start),
            window_end: Some(query.end),
        };
        if inst.failed {
            return out;
        }
        let run_start = inst.launched_at + self.timing.pending;
        let run_end = [inst.stopped_at, inst.terminated_at]
            .into_iter()
            .flatten()
            .min();
        let lo = query.start.max(run_start);
        // Fresh data arrives late: the newest complete period ends one period ago.
        let mut hi = (query.end.min(now).timestamp() - period).div_euclid(period) * period;
        if let Some(end) = run_end {
            hi = hi.min(ceil_secs(end) - 1);
        }
        let last = hi.div_euclid(period) * period;
        let first = ceil_to(ceil_secs(lo), period).max(last - (MAX_POINTS - 1) * period);
        let load = Load::of(inst);
        let mut t = first;
        while t <= last {
            if let Some(at) = DateTime::from_timestamp(t, 0) {
                out.cpu.points.push((at, load.cpu(t)));
                out.net_in.points.push((at, load.net_in(t, period)));
            }
            t += period;
        }
        out
    }

    fn period_secs(&self) -> i64 {
        match self.kind {
            CloudKind::Aws => AWS_PERIOD_SECS,
            CloudKind::OpenStack => OPENSTACK_PERIOD_SECS,
        }
    }
}

#[async_trait]
impl Provider for SimProvider {
    fn kind(&self) -> CloudKind {
        self.kind
    }

    fn label(&self) -> String {
        if self.kind == CloudKind::OpenStack && self.account == self.region {
            self.account.clone()
        } else {
            format!("{}/{}", self.account, self.region)
        }
    }

    fn metrics_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.period_secs() as u64)
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        let (world, now) = self.begin().await?;
        Ok(world
            .instances
            .iter()
            .map(|i| self.to_instance(&world, i, now))
            .collect())
    }

    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        let (world, now) = self.begin().await?;
        // The demo may hold thousands of instances; avoid a quadratic lookup.
        let by_id: HashMap<&str, &SimInstance> =
            world.instances.iter().map(|i| (i.id.as_str(), i)).collect();
        // Like CloudWatch, unknown ids simply have no data.
        Ok(query
            .instance_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .map(|inst| (inst.id.clone(), self.metrics_of(inst, query, now)))
            .collect())
    }

    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
        let (mut world, now) = self.begin().await?;
        self.validate_launch(&world, spec)?;
        let mut ids = Vec::new();
        for n in 1..=spec.count {
            let name = if spec.count > 1 {
                format!("{}-{n}", spec.name)
            } else {
                spec.name.clone()
            };
            let mut tags = spec.tags.clone();
            if (self.kind == CloudKind::Aws && !name.is_empty()) || tags.contains_key("Name") {
                tags.insert("Name".into(), name.clone());
            }
            let id = world.new_instance_id(self.kind);
            let private_ip = world.new_private_ip(self.kind);
            let idle = world.rng.bool();
            world.instances.push(SimInstance {
                id: id.clone(),
                name,
                size: spec.size.clone(),
                image: spec.image.clone(),
                key_name: spec.key_name.clone(),
                private_ip,
                tags,
                detailed_monitoring: self.kind == CloudKind::Aws && spec.detailed_monitoring,
                launched_at: now,
                stopped_at: None,
                terminated_at: None,
                failed: false,
                idle,
                user_data_len: spec.user_data.as_ref().map_or(0, Vec::len),
            });
            ids.push(id);
        }
        Ok(ids)
    }

    async fn terminate(&self, instance_ids: &[String]) -> CloudResult<()> {
        let (mut world, now) = self.begin().await?;
        if instance_ids.is_empty() && self.kind == CloudKind::Aws {
            return Err(CloudError::new(
                "MissingParameter",
                "The request must contain the parameter InstanceId",
            ));
        }
        // Check every id first so a bad one changes nothing, as EC2 does.
        let mut missing = Vec::new();
        for id in instance_ids {
            match self.find(&world, id) {
                Ok(_) => {}
                Err(e) if e.code.as_deref() == Some("InvalidInstanceID.Malformed") => {
                    return Err(e);
                }
                Err(e) => missing.push((id.as_str(), e)),
            }
        }
        match missing.len() {
            0 => {}
            1 => return Err(missing.remove(0).1),
            _ => {
                let list: Vec<&str> = missing.iter().map(|(id, _)| *id).collect();
                return Err(match self.kind {
                    CloudKind::Aws => CloudError::new(
                        "InvalidInstanceID.NotFound",
                        format!("The instance IDs '{}' do not exist", list.join(", ")),
                    ),
                    CloudKind::OpenStack => missing.remove(0).1,
                });
            }
        }
        for id in instance_ids {
            if let Some(inst) = world.instances.iter_mut().find(|i| &i.id == id)
                && inst.terminated_at.is_none()
            {
                inst.terminated_at = Some(now);
            }
            // Like an Elastic IP, the address outlives the instance: it stays
            // allocated (and billed) but unassociated.
            for address in world
                .addresses
                .iter_mut()
                .filter(|a| a.instance_id.as_ref() == Some(id))
            {
                address.instance_id = None;
            }
        }
        Ok(())
    }

    async fn attach_public_ip(&self, instance_id: &str) -> CloudResult<AttachedAddress> {
        let (mut world, now) = self.begin().await?;
        let inst = self.find(&world, instance_id)?;
        if let Some(address) = world.address_of(instance_id) {
            return Err(match self.kind {
                CloudKind::Aws => CloudError::new(
                    "Resource.AlreadyAssociated",
                    format!(
                        "The instance '{instance_id}' already has the public address {}.",
                        address.ip
                    ),
                ),
                CloudKind::OpenStack => CloudError::new(
                    "409",
                    format!(
                        "Server {instance_id} already has floating IP {}.",
                        address.ip
                    ),
                ),
            });
        }
        let phase = inst.phase(self.kind, &self.timing, now);
        if phase != Phase::Running {
            return Err(match self.kind {
                CloudKind::Aws => CloudError::new(
                    "IncorrectInstanceState",
                    format!(
                        "The {} instance '{instance_id}' is not in a valid state for this operation.",
                        self.state_of(inst, now).1
                    ),
                ),
                CloudKind::OpenStack => CloudError::new(
                    "409",
                    format!(
                        "Cannot 'associate floating IP' instance {instance_id} while it is in vm_state {}",
                        nova_vm_state(phase)
                    ),
                ),
            });
        }
        if let Some(address) = world.addresses.iter_mut().find(|a| a.instance_id.is_none()) {
            address.instance_id = Some(instance_id.to_string());
            return Ok(AttachedAddress {
                ip: address.ip.clone(),
                reused: true,
            });
        }
        let Some(ip) = world.free_pool_ip() else {
            return Err(match self.kind {
                CloudKind::Aws => CloudError::new(
                    "AddressLimitExceeded",
                    "The maximum number of addresses has been reached.",
                ),
                CloudKind::OpenStack => CloudError::new(
                    "409",
                    format!("No more IP addresses available on network {FLOATING_POOL}."),
                ),
            });
        };
        let id = world.new_address_id(self.kind);
        world.addresses.push(SimAddress {
            id,
            ip: ip.clone(),
            instance_id: Some(instance_id.to_string()),
        });
        Ok(AttachedAddress { ip, reused: false })
    }

    async fn detach_public_ip(&self, instance_id: &str) -> CloudResult<String> {
        let (mut world, _now) = self.begin().await?;
        self.find(&world, instance_id)?;
        match world
            .addresses
            .iter_mut()
            .find(|a| a.instance_id.as_deref() == Some(instance_id))
        {
            Some(address) => {
                address.instance_id = None;
                Ok(address.ip.clone())
            }
            None => Err(match self.kind {
                CloudKind::Aws => CloudError::new(
                    "InvalidAssociationID.NotFound",
                    format!(
                        "There is no Elastic IP address associated with instance '{instance_id}'."
                    ),
                ),
                CloudKind::OpenStack => CloudError::new(
                    "404",
                    format!("No floating IP is associated with server {instance_id}."),
                ),
            }),
        }
    }

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        let (world, _now) = self.begin().await?;
        let pool = match self.kind {
            CloudKind::Aws => "amazon",
            CloudKind::OpenStack => FLOATING_POOL,
        };
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
        let Some(pos) = world.addresses.iter().position(|a| a.id == address_id) else {
            return Err(match self.kind {
                CloudKind::Aws => CloudError::new(
                    "InvalidAllocationID.NotFound",
                    format!("The allocation ID '{address_id}' does not exist"),
                ),
                CloudKind::OpenStack => CloudError::new(
                    "404",
                    format!("Floating IP {address_id} could not be found."),
                ),
            });
        };
        if let Some(instance) = &world.addresses[pos].instance_id {
            let ip = &world.addresses[pos].ip;
            return Err(match self.kind {
                CloudKind::Aws => {
                    CloudError::new("InvalidIPAddress.InUse", format!("Address {ip} is in use."))
                }
                CloudKind::OpenStack => CloudError::new(
                    "409",
                    format!(
                        "Floating IP {ip} is associated with server {instance}; detach it first."
                    ),
                ),
            });
        }
        world.addresses.remove(pos);
        Ok(())
    }

    async fn set_tags(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let (mut world, _now) = self.begin().await?;
        self.find(&world, instance_id)?;
        if let Some(inst) = world.instances.iter_mut().find(|i| i.id == instance_id) {
            inst.tags
                .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(())
    }

    async fn console_output(&self, instance_id: &str, lines: u32) -> CloudResult<ConsoleOutput> {
        let (world, now) = self.begin().await?;
        let inst = self.find(&world, instance_id)?;
        if inst.failed {
            // A server that never got a host has no console to read.
            return Err(CloudError::new(
                "409",
                format!("Instance {instance_id} is not ready"),
            ));
        }
        Ok(ConsoleOutput {
            instance_id: instance_id.to_string(),
            text: self.console_text(inst, now, lines),
            fetched_at: now,
        })
    }

    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        let (_world, _now) = self.begin().await?;
        let catalog = self.catalog();
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

/// The settings' durations, clamped once so date arithmetic cannot overflow.
struct Timing {
    pending: Duration,
    stopping: Duration,
    gone: Duration,
}

impl Timing {
    fn new(s: &SimSettings) -> Timing {
        let secs = |v: u64| Duration::seconds(v.min(MAX_SETTING_SECS) as i64);
        Timing {
            pending: secs(s.pending_secs),
            stopping: secs(s.stopping_secs),
            gone: secs(s.gone_secs),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Pending,
    Running,
    Stopped,
    /// Nova `ERROR`: scheduling failed, it never booted.
    Failed,
    /// AWS `shutting-down`, Nova task `deleting`.
    ShuttingDown,
    Terminated,
    Gone,
}

fn nova_status(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "BUILD",
        Phase::Running | Phase::ShuttingDown => "ACTIVE",
        Phase::Stopped => "SHUTOFF",
        Phase::Failed => "ERROR",
        Phase::Terminated | Phase::Gone => "DELETED",
    }
}

fn nova_vm_state(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "building",
        Phase::Running | Phase::ShuttingDown => "active",
        Phase::Stopped => "stopped",
        Phase::Failed => "error",
        Phase::Terminated | Phase::Gone => "deleted",
    }
}

struct SimInstance {
    id: String,
    name: String,
    size: String,
    image: String,
    key_name: Option<String>,
    private_ip: String,
    tags: BTreeMap<String, String>,
    detailed_monitoring: bool,
    launched_at: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    terminated_at: Option<DateTime<Utc>>,
    failed: bool,
    /// Idle instances stay below 5 % CPU: what cost rules should flag.
    idle: bool,
    user_data_len: usize,
}

impl SimInstance {
    /// The phase the instance would be in had nobody terminated it.
    fn life_phase(&self, t: &Timing, now: DateTime<Utc>) -> Phase {
        if self.failed {
            Phase::Failed
        } else if self.stopped_at.is_some_and(|at| at <= now) {
            Phase::Stopped
        } else if now < self.launched_at + t.pending {
            Phase::Pending
        } else {
            Phase::Running
        }
    }

    fn phase(&self, kind: CloudKind, t: &Timing, now: DateTime<Utc>) -> Phase {
        match self.terminated_at {
            Some(at) if at <= now => {
                let since = now - at;
                if since < t.stopping {
                    Phase::ShuttingDown
                } else if kind == CloudKind::Aws && since < t.stopping + t.gone {
                    Phase::Terminated
                } else {
                    // Nova forgets a server as soon as the delete is done.
                    Phase::Gone
                }
            }
            _ => self.life_phase(t, now),
        }
    }
}

struct SimAddress {
    id: String,
    ip: String,
    instance_id: Option<String>,
}

struct World {
    instances: Vec<SimInstance>,
    addresses: Vec<SimAddress>,
    /// The public addresses this endpoint can ever hand out.
    pool: Vec<String>,
    /// Clouds never reuse ids, not even of long-gone instances.
    used_ids: HashSet<String>,
    next_private: u32,
    rng: Rng,
}

impl World {
    fn generate(
        kind: CloudKind,
        settings: &SimSettings,
        timing: &Timing,
        seed: u64,
        now: DateTime<Utc>,
    ) -> World {
        let mut rng = Rng::with_seed(seed);
        let prefix = match kind {
            CloudKind::Aws => "203.0.113",
            CloudKind::OpenStack => "198.51.100",
        };
        let mut hosts: Vec<u32> = (2..=254).collect();
        rng.shuffle(&mut hosts);
        hosts.truncate(settings.address_pool);
        let next_private = match kind {
            CloudKind::Aws => rng.u32(0..4000),
            CloudKind::OpenStack => 0,
        };
        let mut world = World {
            instances: Vec::with_capacity(settings.instances),
            addresses: Vec::new(),
            pool: hosts.iter().map(|h| format!("{prefix}.{h}")).collect(),
            used_ids: HashSet::with_capacity(settings.instances),
            next_private,
            rng,
        };
        let catalog = Catalog::of(kind);
        let n = settings.instances;
        let name_offset = world.rng.usize(..NAMES.len());
        for i in 0..n {
            let booting = n >= 3 && i == n - 1;
            let days_old = i % 4 == 1 || i % 8 == 3;
            let age_secs = if booting {
                timing.pending.num_seconds() / 2
            } else if days_old {
                world.rng.i64(2 * 86_400..5 * 86_400)
            } else {
                world.rng.i64(15 * 60..20 * 3600)
            };
            let launched_at = now - Duration::seconds(age_secs);
            let stopped_at = (i % 5 == 3 && !booting)
                .then(|| launched_at + Duration::seconds(age_secs * world.rng.i64(30..90) / 100));
            let failed = kind == CloudKind::OpenStack && i % 7 == 6 && !booting;
            let name = format!(
                "{}-{}",
                NAMES[(name_offset + i) % NAMES.len()],
                i / NAMES.len() + 1
            );
            let mut tags = BTreeMap::new();
            if kind == CloudKind::Aws {
                tags.insert("Name".to_string(), name.clone());
            }
            if i % 3 == 0 {
                // Half the expiry tags already lie in the past: forgotten instances.
                let hours = if i % 6 == 0 {
                    -world.rng.i64(1..30)
                } else {
                    world.rng.i64(2..48)
                };
                let at = now + Duration::hours(hours);
                tags.insert(
                    "hytop:expires".to_string(),
                    at.format("%Y-%m-%dT%H:%M:00Z").to_string(),
                );
            }
            let size = if world.rng.bool() {
                catalog.sizes[0].0
            } else {
                catalog.sizes[world.rng.usize(..catalog.sizes.len())].0
            };
            let image = catalog.images[world.rng.usize(..catalog.images.len())].0;
            let id = world.new_instance_id(kind);
            let private_ip = world.new_private_ip(kind);
            let user_data_len = if world.rng.bool() {
                world.rng.usize(200..4000)
            } else {
                0
            };
            world.instances.push(SimInstance {
                id,
                name,
                size: size.to_string(),
                image: image.to_string(),
                key_name: Some(SIM_KEY_NAME.to_string()),
                private_ip,
                tags,
                detailed_monitoring: kind == CloudKind::Aws && i % 3 == 1,
                launched_at,
                stopped_at,
                terminated_at: None,
                failed,
                idle: days_old,
                user_data_len,
            });
        }
        // One spare address always remains so the demo's first attach works;
        // one more is allocated but unassociated: a forgotten, billed address.
        let forgotten = usize::from(world.pool.len() >= 2);
        let budget = world.pool.len().saturating_sub(1 + forgotten);
        let holders: Vec<String> = world
            .instances
            .iter()
            .filter(|i| i.phase(kind, timing, now) == Phase::Running)
            .take(budget)
            .map(|i| i.id.clone())
            .collect();
        for holder in holders
            .into_iter()
            .map(Some)
            .chain((0..forgotten).map(|_| None))
        {
            if let Some(ip) = world.free_pool_ip() {
                let id = world.new_address_id(kind);
                world.addresses.push(SimAddress {
                    id,
                    ip,
                    instance_id: holder,
                });
            }
        }
        world
    }

    fn prune(&mut self, kind: CloudKind, timing: &Timing, now: DateTime<Utc>) {
        self.instances
            .retain(|i| i.phase(kind, timing, now) != Phase::Gone);
    }

    fn address_of(&self, instance_id: &str) -> Option<&SimAddress> {
        self.addresses
            .iter()
            .find(|a| a.instance_id.as_deref() == Some(instance_id))
    }

    fn free_pool_ip(&self) -> Option<String> {
        self.pool
            .iter()
            .find(|ip| !self.addresses.iter().any(|a| &a.ip == *ip))
            .cloned()
    }

    fn unique_id(&mut self, make: impl Fn(&mut Rng) -> String) -> String {
        loop {
            let id = make(&mut self.rng);
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn new_instance_id(&mut self, kind: CloudKind) -> String {
        match kind {
            CloudKind::Aws => self.unique_id(|rng| format!("i-0{:016x}", rng.u64(..))),
            CloudKind::OpenStack => self.unique_id(uuid),
        }
    }

    fn new_address_id(&mut self, kind: CloudKind) -> String {
        match kind {
            CloudKind::Aws => self.unique_id(|rng| format!("eipalloc-0{:016x}", rng.u64(..))),
            CloudKind::OpenStack => self.unique_id(uuid),
        }
    }

    fn new_private_ip(&mut self, kind: CloudKind) -> String {
        let k = self.next_private;
        self.next_private = self.next_private.wrapping_add(1);
        match kind {
            CloudKind::Aws => format!("172.31.{}.{}", (k / 250) % 256, 4 + k % 250),
            CloudKind::OpenStack => format!("192.168.{}.{}", (k / 240) % 256, 10 + k % 240),
        }
    }
}

const NAMES: [&str; 10] = [
    "web", "worker", "db", "cache", "lb", "grader", "build", "scratch", "test", "monitor",
];

struct Catalog {
    images: &'static [(&'static str, &'static str)],
    sizes: &'static [(&'static str, &'static str)],
    networks: &'static [(&'static str, &'static str)],
    security_groups: &'static [(&'static str, &'static str)],
}

impl Catalog {
    fn of(kind: CloudKind) -> Catalog {
        match kind {
            CloudKind::Aws => Catalog {
                images: AWS_IMAGES,
                sizes: AWS_SIZES,
                networks: AWS_SUBNETS,
                security_groups: AWS_SECURITY_GROUPS,
            },
            CloudKind::OpenStack => Catalog {
                images: OPENSTACK_IMAGES,
                sizes: OPENSTACK_FLAVORS,
                networks: OPENSTACK_NETWORKS,
                security_groups: OPENSTACK_SECURITY_GROUPS,
            },
        }
    }
}

fn has_id(list: &[(&str, &str)], id: &str) -> bool {
    list.iter().any(|(i, _)| *i == id)
}

fn image_label(id: &str) -> &'static str {
    AWS_IMAGES
        .iter()
        .chain(OPENSTACK_IMAGES)
        .find(|(i, _)| *i == id)
        .map_or("Linux", |(_, label)| label)
}

/// A random (version 4) UUID, formatted by hand to avoid a dependency.
fn uuid(rng: &mut Rng) -> String {
    let a = (rng.u64(..) & !0xF000) | 0x4000;
    let b = (rng.u64(..) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// splitmix64's finaliser: turns neighbouring inputs into unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform value in [0, 1) from hash bits.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn ceil_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

fn ceil_to(x: i64, period: i64) -> i64 {
    (x + period - 1).div_euclid(period) * period
}

/// An instance's load profile; all values derive from its id so metrics are
/// a pure function of (instance, time).
struct Load {
    hash: u64,
    cpu_base: f64,
    cpu_wave: f64,
    cpu_noise: f64,
    /// Bytes per second.
    net_base: f64,
    wave_secs: f64,
    phase: f64,
}

impl Load {
    fn of(inst: &SimInstance) -> Load {
        let h = mix(fnv1a(inst.id.as_bytes()));
        let (cpu_base, cpu_wave, cpu_noise, net_base) = if inst.idle {
            // Even at the crest of wave and noise this stays below 3.2 %.
            (
                0.4 + unit(mix(h ^ 1)) * 1.6,
                0.6,
                1.0,
                300.0 + unit(mix(h ^ 2)) * 2700.0,
            )
        } else {
            (
                12.0 + unit(mix(h ^ 1)) * 45.0,
                5.0 + unit(mix(h ^ 3)) * 20.0,
                8.0,
                20_000.0 + unit(mix(h ^ 2)) * 380_000.0,
            )
        };
        Load {
            hash: h,
            cpu_base,
            cpu_wave,
            cpu_noise,
            net_base,
            wave_secs: 900.0 + unit(mix(h ^ 4)) * 2700.0,
            phase: unit(mix(h ^ 5)) * std::f64::consts::TAU,
        }
    }

    fn wave(&self, t: i64) -> f64 {
        (t as f64 / self.wave_secs * std::f64::consts::TAU + self.phase).sin()
    }

    fn noise(&self, t: i64, salt: u64) -> f64 {
        unit(mix(self.hash
            ^ salt
            ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            - 0.5
    }

    fn cpu(&self, t: i64) -> f64 {
        let v = self.cpu_base + self.cpu_wave * self.wave(t) + self.cpu_noise * self.noise(t, 11);
        (v.clamp(0.0, 100.0) * 100.0).round() / 100.0
    }

    fn net_in(&self, t: i64, period: i64) -> f64 {
        let factor = 1.0 + 0.4 * self.wave(t) + 0.6 * self.noise(t, 23);
        (self.net_base * factor.max(0.05) * period as f64).round()
    }
}

/// A kernel-style `[   12.345678] ` prefix; the jitter keeps stamps distinct.
fn stamp(ms: i64, jitter: u64) -> String {
    let micros = (ms.rem_euclid(1000) * 1000) as u64 + (jitter * 137) % 1000;
    format!("[{:>5}.{:06}] ", ms.div_euclid(1000), micros)
}

/// The boot log, `(kernel-stamped, text)` per line; the lines are spread over
/// the pending period and the last one (the login prompt) appears when the
/// instance becomes running.
fn boot_script(kind: CloudKind, inst: &SimInstance, pending_ms: i64) -> Vec<(bool, String)> {
    let aws = kind == CloudKind::Aws;
    let host = match kind {
        CloudKind::Aws => format!("ip-{}", inst.private_ip.replace('.', "-")),
        CloudKind::OpenStack => {
            let h: String = inst
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            if h.is_empty() {
                format!("host-{}", inst.private_ip.replace('.', "-"))
            } else {
                h
            }
        }
    };
    let os = image_label(&inst.image);
    let amazon = os.starts_with("Amazon");
    let kernel = if amazon {
        "6.1.112-124.190.amzn2023.x86_64"
    } else {
        "5.15.0-122-generic"
    };
    let xen = aws && inst.size.starts_with("t2.");
    let (mask, datasource) = if aws {
        ("255.255.240.0", "DataSourceEc2Local")
    } else {
        ("255.255.255.0", "DataSourceOpenStackLocal")
    };
    let mac = {
        let h = fnv1a(inst.id.as_bytes());
        format!(
            "fa:16:3e:{:02x}:{:02x}:{:02x}",
            (h >> 8) & 0xFF,
            (h >> 16) & 0xFF,
            (h >> 24) & 0xFF
        )
    };
    let k = |s: String| (true, s);
    let mut lines = vec![
        k(format!("Linux version {kernel} (builder@buildhost) (gcc 11.4.1) #1 SMP PREEMPT_DYNAMIC")),
        k(format!(
            "Command line: BOOT_IMAGE=/boot/vmlinuz-{kernel} root=LABEL=/ ro console=tty0 console=ttyS0,115200n8"
        )),
        k(format!(
            "Hypervisor detected: {}",
            if xen { "Xen HVM" } else { "KVM" }
        )),
        k("BIOS-provided physical RAM map:".into()),
        k("Memory: 447532K/523900K available (16384K kernel code, 4096K rwdata)".into()),
        k("smpboot: CPU0: Intel(R) Xeon(R) CPU E5-2676 v3 @ 2.40GHz (family: 0x6, model: 0x3f)".into()),
        k(format!(
            "clocksource: Switched to clocksource {}",
            if xen { "xen" } else { "kvm-clock" }
        )),
        k("Freeing unused kernel image (initmem) memory: 2804K".into()),
        k("Run /init as init process".into()),
        k(if xen {
            "xen_netfront: Initialising Xen virtual ethernet driver".into()
        } else {
            "virtio_net virtio0 ens3: renamed from eth0".into()
        }),
        k("EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.".into()),
        k("systemd[1]: systemd 252 running in system mode (+PAM +AUDIT +SELINUX)".into()),
        k(format!("systemd[1]: Hostname set to <{host}>.")),
        k("systemd[1]: Reached target sysinit.target - System Initialization.".into()),
        k("cloud-init[612]: Cloud-init v. 23.4 running 'init-local'.".into()),
        k("cloud-init[655]: Cloud-init v. 23.4 running 'init'.".into()),
        (false, "ci-info: ++++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++++".into()),
        (false, "ci-info: | Device |  Up  |    Address     |      Mask     | Scope  |     Hw-Address    |".into()),
        (false, format!("ci-info: |  eth0  | True | {:<14} | {mask} | global | {mac} |", inst.private_ip)),
        k("cloud-init[655]: Generating public/private ed25519 key pair.".into()),
        k("systemd[1]: Started sshd.service - OpenSSH server daemon.".into()),
        k("cloud-init[801]: Cloud-init v. 23.4 running 'modules:config'.".into()),
        k("cloud-init[842]: Cloud-init v. 23.4 running 'modules:final'.".into()),
    ];
    if inst.user_data_len > 0 {
        lines.push(k(format!(
            "cloud-init[842]: running user-data script ({} bytes)",
            inst.user_data_len
        )));
    }
    // The course image ships the service; user-data only configures it.
    lines.push(k(
        "systemd[1]: Started app.service - Course demo service.".into()
    ));
    let up = pending_ms as f64 / 1000.0;
    let done_at = inst.launched_at + Duration::milliseconds(pending_ms);
    lines.push(k(format!(
        "cloud-init[842]: Cloud-init v. 23.4 finished at {}. Datasource {datasource}.  Up {up:.2} seconds",
        done_at.format("%a, %d %b %Y %H:%M:%S +0000")
    )));
    lines.push((false, String::new()));
    if amazon {
        lines.push((false, "Amazon Linux 2023.6.20241031".into()));
        lines.push((false, format!("Kernel {kernel} on an x86_64 (ttyS0)")));
    } else {
        lines.push((false, format!("{os} {host} ttyS0")));
    }
    lines.push((false, String::new()));
    lines.push((false, format!("{host} login: ")));
    lines
}

/// The `j`-th journal-like line after boot, a pure function of (instance, j).
fn periodic_line(kind: CloudKind, hash: u64, j: u64) -> String {
    let r = mix(hash ^ j.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let pid = 700 + hash % 300;
    // A fixed rhythm (a timer every minute, a clock sync every ten) between
    // the service's own chatter reads like a real journal.
    match (j % 12, j % 120) {
        (_, 60) => format!(
            "chronyd[{}]: Selected source {}",
            400 + hash % 100,
            match kind {
                CloudKind::Aws => "169.254.169.123",
                CloudKind::OpenStack => "192.168.0.1",
            }
        ),
        (0, _) => {
            "systemd[1]: Starting sysstat-collect.service - system activity accounting tool..."
                .into()
        }
        (1, _) => "systemd[1]: sysstat-collect.service: Deactivated successfully.".into(),
        _ => match r % 3 {
            0 => format!("app[{pid}]: GET /health 200 {}ms", 1 + (r >> 8) % 40),
            1 => format!(
                "app[{pid}]: served {} requests in the last 5s",
                (r >> 8) % 200
            ),
            _ => format!("app[{pid}]: heartbeat {j} ok"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::TimeZone;

    /// A clock tests advance by hand.
    struct Manual(Arc<Mutex<DateTime<Utc>>>);

    impl Manual {
        fn new() -> (Manual, Clock) {
            let start = Utc
                .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
                .single()
                .expect("valid start");
            let cell = Arc::new(Mutex::new(start));
            let reader = Arc::clone(&cell);
            let clock: Clock = Arc::new(move || *reader.lock().expect("clock"));
            (Manual(cell), clock)
        }

        fn advance(&self, secs: i64) {
            *self.0.lock().expect("clock") += Duration::seconds(secs);
        }

        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().expect("clock")
        }
    }

    fn quick() -> SimSettings {
        SimSettings {
            latency_ms: 0,
            ..SimSettings::default()
        }
    }

    fn aws_with(settings: SimSettings) -> (SimProvider, Manual) {
        let (manual, clock) = Manual::new();
        (
            SimProvider::new(CloudKind::Aws, "default", "eu-west-1", settings, clock),
            manual,
        )
    }

    fn os_with(settings: SimSettings) -> (SimProvider, Manual) {
        let (manual, clock) = Manual::new();
        (
            SimProvider::new(CloudKind::OpenStack, "lab", "lab", settings, clock),
            manual,
        )
    }

    fn spec(kind: CloudKind, name: &str, count: u32) -> LaunchSpec {
        let (image, size) = match kind {
            CloudKind::Aws => (AWS_IMAGES[0].0, "t2.nano"),
            CloudKind::OpenStack => (OPENSTACK_IMAGES[0].0, "m1.tiny"),
        };
        LaunchSpec {
            region: "eu-west-1".into(),
            name: name.into(),
            count,
            image: image.into(),
            size: size.into(),
            key_name: Some(SIM_KEY_NAME.into()),
            security_groups: Vec::new(),
            network: None,
            user_data: Some(b"#!/bin/sh\necho hello\n".to_vec()),
            detailed_monitoring: true,
            tags: BTreeMap::from([("course".to_string(), "cc".to_string())]),
        }
    }

    async fn get(p: &SimProvider, id: &str) -> Option<Instance> {
        p.list_instances()
            .await
            .expect("list")
            .into_iter()
            .find(|i| i.id == id)
    }

    async fn state(p: &SimProvider, id: &str) -> Option<(InstanceState, String)> {
        get(p, id).await.map(|i| (i.state, i.raw_state))
    }

    fn is_hex(s: &str) -> bool {
        s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    }

    fn is_uuid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && parts.iter().all(|p| is_hex(p))
    }

    #[test]
    fn settings_default_and_deserialize() {
        let d = SimSettings::default();
        assert_eq!(
            (
                d.seed,
                d.instances,
                d.latency_ms,
                d.pending_secs,
                d.stopping_secs,
                d.gone_secs,
                d.address_pool
            ),
            (1, 8, 150, 6, 4, 60, 4)
        );
        assert_eq!(d.failure_rate, 0.0);
        let s: SimSettings = toml::from_str("seed = 7\nfailure_rate = 0.25").expect("parse");
        assert_eq!(s.seed, 7);
        assert_eq!(s.failure_rate, 0.25);
        assert_eq!(s.instances, 8);
        assert!(toml::from_str::<SimSettings>("bogus = 1").is_err());
    }

    #[test]
    fn labels() {
        let clock = system_clock();
        let aws = SimProvider::new(
            CloudKind::Aws,
            "default",
            "eu-west-1",
            quick(),
            clock.clone(),
        );
        assert_eq!(aws.label(), "default/eu-west-1");
        assert_eq!(aws.kind(), CloudKind::Aws);
        assert_eq!(aws.metrics_interval(), std::time::Duration::from_secs(60));
        let os = SimProvider::new(CloudKind::OpenStack, "lab", "lab", quick(), clock.clone());
        assert_eq!(os.label(), "lab");
        assert_eq!(os.metrics_interval(), std::time::Duration::from_secs(10));
        let os2 = SimProvider::new(CloudKind::OpenStack, "lab", "RegionOne", quick(), clock);
        assert_eq!(os2.label(), "lab/RegionOne");
    }

    #[tokio::test]
    async fn aws_initial_fleet_looks_like_ec2() {
        let (p, clock) = aws_with(quick());
        let list = p.list_instances().await.expect("list");
        assert_eq!(list.len(), 8);
        let now = clock.now();
        for i in &list {
            assert!(
                i.id.starts_with("i-") && i.id.len() == 19 && is_hex(&i.id[2..]),
                "{}",
                i.id
            );
            assert!(i.image.starts_with("ami-"));
            assert!(AWS_SIZES.iter().any(|(s, _)| *s == i.size));
            assert_eq!(i.key_name.as_deref(), Some("lab-key"));
            assert!(
                i.private_ip
                    .as_deref()
                    .is_some_and(|ip| ip.starts_with("172.31."))
            );
            assert_eq!(i.tags.get("Name"), Some(&i.name));
            assert_eq!(InstanceState::from_ec2(&i.raw_state), i.state);
            assert_eq!(
                (i.kind, i.account.as_str(), i.region.as_str()),
                (CloudKind::Aws, "default", "eu-west-1")
            );
            if let Some(ip) = &i.public_ip {
                assert!(ip.starts_with("203.0.113."));
            }
        }
        let running = list
            .iter()
            .filter(|i| i.state == InstanceState::Running)
            .count();
        assert!(running >= 5, "mostly running: {running}");
        assert!(list.iter().any(|i| i.state == InstanceState::Stopped));
        assert!(list.iter().any(|i| i.state == InstanceState::Pending));
        assert!(list.iter().any(|i| i.detailed_monitoring));
        assert!(list.iter().any(|i| !i.detailed_monitoring));
        let days_old = list
            .iter()
            .filter(|i| {
                i.age(now)
                    .is_some_and(|a| a >= Duration::days(2) && a <= Duration::days(5))
            })
            .count();
        assert!(days_old >= 2, "days-old instances: {days_old}");
        let expiries: Vec<DateTime<Utc>> = list
            .iter()
            .filter_map(|i| i.tags.get("hytop:expires"))
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .expect("rfc3339")
                    .with_timezone(&Utc)
            })
            .collect();
        assert!(expiries.iter().any(|t| *t < now), "an expired one");
        assert!(expiries.iter().any(|t| *t > now), "a future one");
        // Names are unique, ids are unique.
        let ids: HashSet<&str> = list.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), list.len());
    }

    #[tokio::test]
    async fn initial_addresses_leave_a_spare_and_a_forgotten_one() {
        let (p, _clock) = aws_with(quick());
        let addresses = p.list_addresses().await.expect("addresses");
        assert_eq!(addresses.len(), 3, "pool of 4 minus one spare");
        assert_eq!(
            addresses.iter().filter(|a| a.instance_id.is_none()).count(),
            1
        );
        let list = p.list_instances().await.expect("list");
        for a in &addresses {
            assert!(
                a.id.starts_with("eipalloc-0") && a.id.len() == 26,
                "{}",
                a.id
            );
            assert!(a.ip.starts_with("203.0.113."));
            assert_eq!(a.pool.as_deref(), Some("amazon"));
            if let Some(holder) = &a.instance_id {
                let inst = list
                    .iter()
                    .find(|i| &i.id == holder)
                    .expect("holder exists");
                assert_eq!(inst.public_ip.as_ref(), Some(&a.ip));
                assert_eq!(inst.state, InstanceState::Running);
            }
        }
        let with_ip = list.iter().filter(|i| i.public_ip.is_some()).count();
        assert_eq!(with_ip, 2);
    }

    #[tokio::test]
    async fn fleet_is_deterministic_per_seed_and_differs_per_region() {
        let (a, _) = aws_with(quick());
        let (b, _) = aws_with(quick());
        let la = a.list_instances().await.expect("a");
        let lb = b.list_instances().await.expect("b");
        assert_eq!(la, lb);
        let (_manual, clock) = Manual::new();
        let other = SimProvider::new(CloudKind::Aws, "default", "us-east-1", quick(), clock);
        let lo = other.list_instances().await.expect("other");
        assert_ne!(
            la.iter().map(|i| &i.id).collect::<Vec<_>>(),
            lo.iter().map(|i| &i.id).collect::<Vec<_>>()
        );
        let (seeded, _) = aws_with(SimSettings { seed: 2, ..quick() });
        let ls = seeded.list_instances().await.expect("seeded");
        assert_ne!(la[0].id, ls[0].id);
    }

    #[tokio::test]
    async fn openstack_fleet_looks_like_nova() {
        let (p, _clock) = os_with(quick());
        let list = p.list_instances().await.expect("list");
        assert_eq!(list.len(), 8);
        for i in &list {
            assert!(is_uuid(&i.id), "{}", i.id);
            assert!(is_uuid(&i.image), "{}", i.image);
            assert!(OPENSTACK_FLAVORS.iter().any(|(f, _)| *f == i.size));
            assert!(
                i.private_ip
                    .as_deref()
                    .is_some_and(|ip| ip.starts_with("192.168.0."))
            );
            assert!(
                ["BUILD", "ACTIVE", "SHUTOFF", "ERROR"].contains(&i.raw_state.as_str()),
                "{}",
                i.raw_state
            );
            assert_eq!(InstanceState::from_nova(&i.raw_state, None), i.state);
            assert!(!i.detailed_monitoring);
            if let Some(ip) = &i.public_ip {
                assert!(ip.starts_with("198.51.100."));
            }
        }
        assert!(list.iter().any(|i| i.raw_state == "ERROR"));
        assert!(list.iter().any(|i| i.raw_state == "SHUTOFF"));
        assert!(list.iter().any(|i| i.raw_state == "BUILD"));
        let addresses = p.list_addresses().await.expect("addresses");
        assert!(
            addresses
                .iter()
                .all(|a| is_uuid(&a.id) && a.pool.as_deref() == Some("i4labnet"))
        );
    }

    #[tokio::test]
    async fn aws_launch_goes_pending_then_running() {
        let (p, clock) = aws_with(quick());
        let ids = p
            .launch(&spec(CloudKind::Aws, "web", 2))
            .await
            .expect("launch");
        assert_eq!(ids.len(), 2);
        let a = get(&p, &ids[0]).await.expect("listed");
        assert_eq!(
            (a.state, a.raw_state.as_str()),
            (InstanceState::Pending, "pending")
        );
        assert_eq!(a.name, "web-1");
        assert_eq!(a.tags.get("Name").map(String::as_str), Some("web-1"));
        assert_eq!(a.tags.get("course").map(String::as_str), Some("cc"));
        assert_eq!(a.launched_at, Some(clock.now()));
        assert!(a.detailed_monitoring);
        assert_eq!(a.public_ip, None);
        assert_eq!(get(&p, &ids[1]).await.expect("second").name, "web-2");
        clock.advance(5);
        assert_eq!(
            state(&p, &ids[0]).await.map(|s| s.0),
            Some(InstanceState::Pending)
        );
        clock.advance(1);
        assert_eq!(
            state(&p, &ids[0]).await,
            Some((InstanceState::Running, "running".to_string()))
        );
    }

    #[tokio::test]
    async fn single_launch_keeps_plain_name() {
        let (p, _clock) = aws_with(quick());
        let ids = p
            .launch(&spec(CloudKind::Aws, "solo", 1))
            .await
            .expect("launch");
        assert_eq!(get(&p, &ids[0]).await.expect("listed").name, "solo");
    }

    #[tokio::test]
    async fn openstack_launch_goes_build_then_active() {
        let (p, clock) = os_with(quick());
        let ids = p
            .launch(&spec(CloudKind::OpenStack, "node", 1))
            .await
            .expect("launch");
        assert!(is_uuid(&ids[0]));
        let i = get(&p, &ids[0]).await.expect("listed");
        assert_eq!(
            (i.state, i.raw_state.as_str(), i.name.as_str()),
            (InstanceState::Pending, "BUILD", "node")
        );
        assert!(!i.detailed_monitoring);
        clock.advance(6);
        let i = get(&p, &ids[0]).await.expect("listed");
        assert_eq!(
            (i.state, i.raw_state.as_str()),
            (InstanceState::Running, "ACTIVE")
        );
        assert_eq!(i.public_ip, None);
    }

    #[tokio::test]
    async fn aws_terminate_shuts_down_then_terminated_then_gone() {
        let (p, clock) = aws_with(quick());
        let id = p
            .launch(&spec(CloudKind::Aws, "t", 1))
            .await
            .expect("launch")
            .remove(0);
        clock.advance(10);
        let attached = p.attach_public_ip(&id).await.expect("attach");
        p.terminate(std::slice::from_ref(&id))
            .await
            .expect("terminate");
        assert_eq!(
            state(&p, &id).await,
            Some((InstanceState::Stopping, "shutting-down".to_string()))
        );
        // The address went back to allocated-but-unassociated.
        let addresses = p.list_addresses().await.expect("addresses");
        let a = addresses
            .iter()
            .find(|a| a.ip == attached.ip)
            .expect("still allocated");
        assert_eq!(a.instance_id, None);
        assert_eq!(get(&p, &id).await.expect("listed").public_ip, None);
        clock.advance(4);
        assert_eq!(
            state(&p, &id).await,
            Some((InstanceState::Terminated, "terminated".to_string()))
        );
        // Terminating again is harmless, as in EC2.
        p.terminate(std::slice::from_ref(&id)).await.expect("again");
        clock.advance(59);
        assert_eq!(
            state(&p, &id).await.map(|s| s.0),
            Some(InstanceState::Terminated)
        );
        clock.advance(1);
        assert_eq!(state(&p, &id).await, None);
        let err = p
            .terminate(std::slice::from_ref(&id))
            .await
            .expect_err("gone");
        assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.NotFound"));
        assert_eq!(
            err.message,
            format!("The instance ID '{id}' does not exist")
        );
    }

    #[tokio::test]
    async fn openstack_terminate_deletes_then_vanishes() {
        let (p, clock) = os_with(quick());
        let id = p
            .launch(&spec(CloudKind::OpenStack, "t", 1))
            .await
            .expect("launch")
            .remove(0);
        clock.advance(6);
        p.attach_public_ip(&id).await.expect("attach");
        p.terminate(std::slice::from_ref(&id))
            .await
            .expect("terminate");
        assert_eq!(
            state(&p, &id).await,
            Some((InstanceState::Stopping, "ACTIVE (deleting)".to_string()))
        );
        assert!(
            p.list_addresses()
                .await
                .expect("a")
                .iter()
                .all(|a| a.instance_id.as_ref() != Some(&id))
        );
        clock.advance(3);
        assert!(state(&p, &id).await.is_some());
        clock.advance(1);
        assert_eq!(state(&p, &id).await, None);
        let err = p.console_output(&id, 10).await.expect_err("gone");
        assert_eq!(err.code.as_deref(), Some("404"));
        assert_eq!(err.message, format!("Instance {id} could not be found."));
    }

    #[tokio::test]
    async fn deleting_a_stopped_server_keeps_its_status_word() {
        let (p, _clock) = os_with(quick());
        let stopped = p
            .list_instances()
            .await
            .expect("list")
            .into_iter()
            .find(|i| i.raw_state == "SHUTOFF")
            .expect("a stopped one");
        p.terminate(std::slice::from_ref(&stopped.id))
            .await
            .expect("terminate");
        assert_eq!(
            state(&p, &stopped.id).await,
            Some((InstanceState::Stopping, "SHUTOFF (deleting)".to_string()))
        );
    }

    #[tokio::test]
    async fn terminate_with_unknown_id_changes_nothing() {
        let (p, _clock) = aws_with(quick());
        let list = p.list_instances().await.expect("list");
        let good = list[0].id.clone();
        let before = list[0].state;
        let err = p
            .terminate(&[
                good.clone(),
                "i-0000000000000dead".into(),
                "i-0000000000000beef".into(),
            ])
            .await
            .expect_err("unknown");
        assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.NotFound"));
        assert_eq!(
            err.message,
            "The instance IDs 'i-0000000000000dead, i-0000000000000beef' do not exist"
        );
        assert_eq!(state(&p, &good).await.map(|s| s.0), Some(before));
        let err = p
            .terminate(&["web-1".to_string()])
            .await
            .expect_err("malformed");
        assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.Malformed"));
    }

    #[tokio::test]
    async fn unknown_ids_answer_like_the_clouds() {
        let (p, _c) = aws_with(quick());
        let err = p
            .attach_public_ip("i-0123456789abcdef0")
            .await
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "InvalidInstanceID.NotFound: The instance ID 'i-0123456789abcdef0' does not exist"
        );
        let (p, _c) = os_with(quick());
        let err = p.detach_public_ip("nope").await.expect_err("unknown");
        assert_eq!(err.to_string(), "404: Instance nope could not be found.");
    }

    async fn running_without_ip(p: &SimProvider) -> Vec<String> {
        p.list_instances()
            .await
            .expect("list")
            .into_iter()
            .filter(|i| i.state == InstanceState::Running && i.public_ip.is_none())
            .map(|i| i.id)
            .collect()
    }

    #[tokio::test]
    async fn attach_reuses_then_allocates_then_runs_out() {
        let (p, _c) = aws_with(quick());
        let free = running_without_ip(&p).await;
        assert!(free.len() >= 3, "{free:?}");
        let forgotten = p
            .list_addresses()
            .await
            .expect("a")
            .into_iter()
            .find(|a| a.instance_id.is_none())
            .expect("forgotten");
        let first = p.attach_public_ip(&free[0]).await.expect("reuse");
        assert_eq!(
            first,
            AttachedAddress {
                ip: forgotten.ip.clone(),
                reused: true
            }
        );
        let second = p.attach_public_ip(&free[1]).await.expect("allocate");
        assert!(!second.reused);
        assert!(second.ip.starts_with("203.0.113."));
        assert_ne!(second.ip, first.ip);
        assert_eq!(p.list_addresses().await.expect("a").len(), 4);
        let err = p.attach_public_ip(&free[2]).await.expect_err("exhausted");
        assert_eq!(err.code.as_deref(), Some("AddressLimitExceeded"));
        assert_eq!(
            err.message,
            "The maximum number of addresses has been reached."
        );
        assert_eq!(
            get(&p, &free[1]).await.expect("i").public_ip,
            Some(second.ip.clone())
        );
        let err = p
            .attach_public_ip(&free[1])
            .await
            .expect_err("already has one");
        assert_eq!(err.code.as_deref(), Some("Resource.AlreadyAssociated"));
        assert!(err.message.contains(&second.ip), "{}", err.message);
    }

    #[tokio::test]
    async fn openstack_pool_exhaustion_says_what_neutron_says() {
        let (p, _c) = os_with(SimSettings {
            address_pool: 0,
            ..quick()
        });
        assert!(p.list_addresses().await.expect("a").is_empty());
        let id = running_without_ip(&p).await.remove(0);
        let err = p.attach_public_ip(&id).await.expect_err("no pool");
        assert_eq!(
            err.to_string(),
            "409: No more IP addresses available on network i4labnet."
        );
    }

    #[tokio::test]
    async fn attach_needs_a_running_instance() {
        let (p, _c) = aws_with(quick());
        let pending = p
            .launch(&spec(CloudKind::Aws, "p", 1))
            .await
            .expect("launch")
            .remove(0);
        let err = p.attach_public_ip(&pending).await.expect_err("pending");
        assert_eq!(err.code.as_deref(), Some("IncorrectInstanceState"));
        assert_eq!(
            err.message,
            format!("The pending instance '{pending}' is not in a valid state for this operation.")
        );
        let (p, _c) = os_with(quick());
        let error = p
            .list_instances()
            .await
            .expect("list")
            .into_iter()
            .find(|i| i.state == InstanceState::Error)
            .expect("an ERROR one");
        let err = p
            .attach_public_ip(&error.id)
            .await
            .expect_err("error state");
        assert_eq!(err.code.as_deref(), Some("409"));
        assert!(err.message.contains("vm_state error"), "{}", err.message);
    }

    #[tokio::test]
    async fn detach_keeps_address_allocated_and_release_frees_it() {
        let (p, _c) = aws_with(quick());
        let holder = p
            .list_instances()
            .await
            .expect("list")
            .into_iter()
            .find(|i| i.public_ip.is_some())
            .expect("one with ip");
        let ip = holder.public_ip.clone().expect("ip");
        let address = p
            .list_addresses()
            .await
            .expect("a")
            .into_iter()
            .find(|a| a.ip == ip)
            .expect("its address");
        let err = p.release_address(&address.id).await.expect_err("in use");
        assert_eq!(
            err.to_string(),
            format!("InvalidIPAddress.InUse: Address {ip} is in use.")
        );
        assert_eq!(p.detach_public_ip(&holder.id).await.expect("detach"), ip);
        assert_eq!(get(&p, &holder.id).await.expect("i").public_ip, None);
        let after = p.list_addresses().await.expect("a");
        assert_eq!(after.len(), 3);
        assert_eq!(
            after.iter().find(|a| a.ip == ip).expect("kept").instance_id,
            None
        );
        let err = p
            .detach_public_ip(&holder.id)
            .await
            .expect_err("nothing attached");
        assert_eq!(err.code.as_deref(), Some("InvalidAssociationID.NotFound"));
        p.release_address(&address.id).await.expect("release");
        let after = p.list_addresses().await.expect("a");
        assert_eq!(after.len(), 2);
        assert!(after.iter().all(|a| a.id != address.id));
        let err = p
            .release_address(&address.id)
            .await
            .expect_err("released twice");
        assert_eq!(err.code.as_deref(), Some("InvalidAllocationID.NotFound"));
        // Released addresses go back to the pool: four can be held again.
        let free = running_without_ip(&p).await;
        for id in &free[..3] {
            p.attach_public_ip(id).await.expect("attach");
        }
        assert_eq!(p.list_addresses().await.expect("a").len(), 4);
    }

    #[tokio::test]
    async fn launch_validates_like_a_cloud() {
        let (p, _c) = aws_with(quick());
        let before = p.list_instances().await.expect("list").len();
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.image = "ami-0000000000000000".into();
        let err = p.launch(&s).await.expect_err("image");
        assert_eq!(err.code.as_deref(), Some("InvalidAMIID.NotFound"));
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.size = "m5.24xlarge".into();
        let err = p.launch(&s).await.expect_err("size");
        assert_eq!(
            err.to_string(),
            "InvalidParameterValue: Invalid value 'm5.24xlarge' for InstanceType."
        );
        let s = spec(CloudKind::Aws, "x", 0);
        assert_eq!(
            p.launch(&s).await.expect_err("count").code.as_deref(),
            Some("InvalidParameterValue")
        );
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.user_data = Some(vec![b'a'; USER_DATA_LIMIT + 1]);
        let err = p.launch(&s).await.expect_err("user data");
        assert_eq!(err.code.as_deref(), Some("InvalidParameterValue"));
        assert!(err.message.contains("16384"), "{}", err.message);
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.key_name = Some("other".into());
        assert_eq!(
            p.launch(&s).await.expect_err("key").code.as_deref(),
            Some("InvalidKeyPair.NotFound")
        );
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.security_groups = vec!["sg-nope".into()];
        assert_eq!(
            p.launch(&s).await.expect_err("sg").code.as_deref(),
            Some("InvalidGroup.NotFound")
        );
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.network = Some("subnet-nope".into());
        assert_eq!(
            p.launch(&s).await.expect_err("subnet").code.as_deref(),
            Some("InvalidSubnetID.NotFound")
        );
        let s = spec(CloudKind::Aws, "x", 1000);
        assert_eq!(
            p.launch(&s).await.expect_err("quota").code.as_deref(),
            Some("InstanceLimitExceeded")
        );
        assert_eq!(
            p.list_instances().await.expect("list").len(),
            before,
            "nothing launched"
        );
        // Exactly at the limit, with known groups by id and by name, is fine.
        let mut s = spec(CloudKind::Aws, "x", 1);
        s.user_data = Some(vec![b'a'; USER_DATA_LIMIT]);
        s.security_groups = vec![AWS_SECURITY_GROUPS[0].0.into(), "lab-ssh-web".into()];
        s.network = Some(AWS_SUBNETS[1].0.into());
        assert_eq!(p.launch(&s).await.expect("at limit").len(), 1);
    }

    #[tokio::test]
    async fn openstack_launch_errors_are_400s() {
        let (p, _c) = os_with(quick());
        let mut s = spec(CloudKind::OpenStack, "x", 1);
        s.image = AWS_IMAGES[0].0.into();
        let err = p.launch(&s).await.expect_err("image");
        assert_eq!(
            err.to_string(),
            format!("400: Image {} could not be found.", AWS_IMAGES[0].0)
        );
        let mut s = spec(CloudKind::OpenStack, "x", 1);
        s.size = "t2.nano".into();
        assert_eq!(
            p.launch(&s).await.expect_err("flavor").to_string(),
            "400: Invalid flavorRef provided."
        );
        let mut s = spec(CloudKind::OpenStack, "x", 1);
        s.user_data = Some(vec![0; USER_DATA_LIMIT + 1]);
        assert_eq!(
            p.launch(&s).await.expect_err("user data").code.as_deref(),
            Some("400")
        );
        let s = spec(CloudKind::OpenStack, "", 1);
        assert_eq!(
            p.launch(&s).await.expect_err("name").code.as_deref(),
            Some("400")
        );
        let mut s = spec(CloudKind::OpenStack, "ok", 1);
        s.network = Some(OPENSTACK_NETWORKS[0].0.into());
        s.security_groups = vec!["ssh".into()];
        assert_eq!(p.launch(&s).await.expect("launch").len(), 1);
    }

    #[tokio::test]
    async fn console_grows_while_booting_and_respects_lines() {
        let (p, clock) = aws_with(quick());
        let id = p
            .launch(&spec(CloudKind::Aws, "boot", 1))
            .await
            .expect("launch")
            .remove(0);
        let at0 = p.console_output(&id, 1000).await.expect("console");
        assert_eq!(at0.instance_id, id);
        assert_eq!(at0.fetched_at, clock.now());
        assert!(at0.text.starts_with("[    0.000"), "{}", at0.text);
        assert!(at0.text.contains("Linux version"));
        let n0 = at0.text.lines().count();
        clock.advance(3);
        let mid = p.console_output(&id, 1000).await.expect("console").text;
        let n1 = mid.lines().count();
        assert!(n1 > n0, "{n0} -> {n1}");
        assert!(mid.starts_with(&at0.text), "output only grows");
        assert!(!mid.contains("login:"));
        clock.advance(3);
        let up = p.console_output(&id, 1000).await.expect("console").text;
        assert!(up.contains("Cloud-init v. 23.4 finished"));
        assert!(up.contains("running user-data script (21 bytes)"));
        assert!(up.trim_end().ends_with("login:"), "{up}");
        let n2 = up.lines().count();
        clock.advance(12);
        let later = p.console_output(&id, 1000).await.expect("console").text;
        assert_eq!(later.lines().count(), n2 + 2, "one line every 5 s");
        assert!(later.starts_with(&up));
        let tail = p.console_output(&id, 3).await.expect("console").text;
        assert_eq!(tail.lines().count(), 3);
        assert!(later.ends_with(&tail));
        assert_eq!(p.console_output(&id, 0).await.expect("console").text, "");
    }

    #[tokio::test]
    async fn console_of_a_days_old_instance_is_cheap_and_bounded() {
        let (p, clock) = aws_with(quick());
        let list = p.list_instances().await.expect("list");
        let old = list
            .iter()
            .filter(|i| i.state == InstanceState::Running)
            .max_by_key(|i| i.age(clock.now()))
            .expect("old");
        let out = p.console_output(&old.id, 50).await.expect("console").text;
        assert_eq!(out.lines().count(), 50);
        let last = out.lines().last().expect("a line");
        let secs: f64 = last[1..last.find(']').expect("stamp")]
            .trim()
            .parse()
            .expect("number");
        assert!(secs > 2.0 * 86_400.0, "{last}");
        let huge = p
            .console_output(&old.id, u32::MAX)
            .await
            .expect("console")
            .text;
        assert_eq!(huge.lines().count(), MAX_CONSOLE_LINES as usize);
    }

    #[tokio::test]
    async fn console_freezes_after_terminate() {
        let (p, clock) = os_with(SimSettings {
            gone_secs: 600,
            stopping_secs: 60,
            ..quick()
        });
        let id = p
            .launch(&spec(CloudKind::OpenStack, "web", 1))
            .await
            .expect("launch")
            .remove(0);
        clock.advance(30);
        p.terminate(std::slice::from_ref(&id))
            .await
            .expect("terminate");
        let a = p.console_output(&id, 500).await.expect("console").text;
        assert!(a.trim_end().ends_with("reboot: Power down"), "{a}");
        assert!(a.contains("web login:"));
        clock.advance(30);
        let b = p.console_output(&id, 500).await.expect("console").text;
        assert_eq!(a, b);
        let error = p
            .list_instances()
            .await
            .expect("list")
            .into_iter()
            .find(|i| i.state == InstanceState::Error)
            .expect("error");
        let err = p
            .console_output(&error.id, 10)
            .await
            .expect_err("not ready");
        assert_eq!(err.code.as_deref(), Some("409"));
    }

    fn query(ids: Vec<String>, start: DateTime<Utc>, end: DateTime<Utc>) -> MetricsQuery {
        MetricsQuery {
            instance_ids: ids,
            start,
            end,
        }
    }

    #[tokio::test]
    async fn metrics_are_deterministic_aligned_and_vary() {
        let (p, clock) = aws_with(quick());
        let list = p.list_instances().await.expect("list");
        let running: Vec<String> = list
            .iter()
            .filter(|i| i.state == InstanceState::Running)
            .map(|i| i.id.clone())
            .collect();
        let now = clock.now();
        let q = query(running.clone(), now - Duration::minutes(10), now);
        let a = p.metrics(&q).await.expect("metrics");
        let b = p.metrics(&q).await.expect("metrics");
        assert_eq!(a, b);
        assert_eq!(a.len(), running.len());
        for (id, m) in &a {
            assert_eq!(m.cpu.period_secs, 60);
            assert_eq!(m.window_start, Some(q.start));
            assert_eq!(m.window_end, Some(q.end));
            let launched = list
                .iter()
                .find(|i| &i.id == id)
                .and_then(|i| i.launched_at)
                .expect("t");
            assert!(!m.cpu.points.is_empty(), "{id}");
            assert_eq!(m.cpu.points.len(), m.net_in.points.len());
            for ((t, cpu), (t2, net)) in m.cpu.points.iter().zip(&m.net_in.points) {
                assert_eq!(t, t2);
                assert_eq!(t.timestamp() % 60, 0);
                assert!(*t >= q.start && *t >= launched);
                assert!(*t <= q.end - Duration::seconds(60));
                assert!((0.0..=100.0).contains(cpu));
                assert!(*net >= 1_000.0 && *net < 100_000_000.0, "{net}");
            }
            let cpus: Vec<f64> = m.cpu.points.iter().map(|p| p.1).collect();
            assert!(
                cpus.windows(2).any(|w| w[0] != w[1]),
                "varies over time: {cpus:?}"
            );
        }
        // Start 12:00:00 exactly minus 10 min: points 11:50 .. 11:59.
        assert_eq!(a[0].1.cpu.points.len(), 10);
        assert!(
            a.iter()
                .any(|(_, m)| m.cpu.points.iter().all(|p| p.1 < 5.0)),
            "some instance is idle"
        );
        assert!(
            a.iter()
                .any(|(_, m)| m.cpu.points.iter().any(|p| p.1 > 10.0))
        );
        // Later, the same window gives the same values; a newer window moves on.
        clock.advance(120);
        assert_eq!(p.metrics(&q).await.expect("metrics"), a);
        let q2 = query(running, clock.now() - Duration::minutes(10), clock.now());
        let c = p.metrics(&q2).await.expect("metrics");
        assert_eq!(
            c[0].1.cpu.points.last().map(|p| p.0),
            Some(now + Duration::seconds(60))
        );
        assert_eq!(c[0].1.cpu.points[..8], a[0].1.cpu.points[2..]);
    }

    #[tokio::test]
    async fn metrics_skip_pending_unknown_and_future() {
        let (p, clock) = os_with(quick());
        let id = p
            .launch(&spec(CloudKind::OpenStack, "m", 1))
            .await
            .expect("launch")
            .remove(0);
        let now = clock.now();
        let q = query(
            vec![id.clone(), "unknown".into()],
            now - Duration::minutes(5),
            now,
        );
        let m = p.metrics(&q).await.expect("metrics");
        assert_eq!(m.len(), 1, "unknown ids are absent");
        assert_eq!(m[0].1.cpu.period_secs, 10);
        assert!(m[0].1.cpu.points.is_empty(), "pending has no data");
        clock.advance(60);
        // Asking beyond now gives nothing from the future.
        let q = query(vec![id.clone()], now, clock.now() + Duration::hours(1));
        let m = p.metrics(&q).await.expect("metrics");
        let times: Vec<i64> = m[0]
            .1
            .cpu
            .points
            .iter()
            .map(|p| (p.0 - now).num_seconds())
            .collect();
        // Running from +6 s; data up to one period before now (+60 s).
        assert_eq!(times, vec![10, 20, 30, 40, 50]);
    }

    #[tokio::test]
    async fn metrics_stop_when_terminated_and_are_capped() {
        let (p, clock) = aws_with(quick());
        let list = p.list_instances().await.expect("list");
        let stopped = list
            .iter()
            .find(|i| i.state == InstanceState::Stopped)
            .expect("stopped");
        let now = clock.now();
        let q = query(vec![stopped.id.clone()], now - Duration::minutes(30), now);
        assert!(p.metrics(&q).await.expect("m")[0].1.cpu.points.is_empty());
        let old = list
            .iter()
            .filter(|i| i.state == InstanceState::Running)
            .max_by_key(|i| now - i.launched_at.expect("t"))
            .expect("old");
        let q = query(vec![old.id.clone()], now - Duration::days(10), now);
        let m = p.metrics(&q).await.expect("m");
        assert_eq!(m[0].1.cpu.points.len(), MAX_POINTS as usize);
        p.terminate(std::slice::from_ref(&old.id))
            .await
            .expect("terminate");
        clock.advance(30);
        let q = query(
            vec![old.id.clone()],
            now - Duration::minutes(5),
            clock.now(),
        );
        let m = p.metrics(&q).await.expect("m");
        let last = m[0].1.cpu.points.last().expect("points").0;
        assert!(last < now, "no data after terminate: {last}");
    }

    #[tokio::test]
    async fn failure_rate_one_always_fails_and_changes_nothing() {
        let (p, _c) = aws_with(SimSettings {
            failure_rate: 1.0,
            ..quick()
        });
        for _ in 0..20 {
            let err = p.list_instances().await.expect_err("fails");
            assert_eq!(err.code.as_deref(), Some("SimulatedFailure"));
            assert!(err.message.contains("default/eu-west-1"), "{}", err.message);
        }
        assert!(p.launch(&spec(CloudKind::Aws, "x", 1)).await.is_err());
        assert!(p.launch_options().await.is_err());
        let world = p.world.lock().expect("world");
        assert_eq!(
            world.instances.len(),
            8,
            "the failed launch changed nothing"
        );
    }

    #[tokio::test]
    async fn failure_rate_zero_never_fails() {
        let (p, _c) = aws_with(quick());
        for _ in 0..200 {
            p.list_instances().await.expect("never fails");
        }
        let (p, _c) = aws_with(SimSettings {
            failure_rate: 0.5,
            ..quick()
        });
        let mut failures = 0;
        for _ in 0..200 {
            if p.list_addresses().await.is_err() {
                failures += 1;
            }
        }
        assert!((50..150).contains(&failures), "{failures}");
    }

    #[tokio::test]
    async fn latency_delays_every_call() {
        let (p, _c) = aws_with(SimSettings {
            latency_ms: 40,
            ..quick()
        });
        let start = std::time::Instant::now();
        p.list_instances().await.expect("list");
        assert!(start.elapsed() >= std::time::Duration::from_millis(40));
    }

    #[tokio::test]
    async fn launch_options_list_what_launch_accepts() {
        for (p, _c) in [aws_with(quick()), os_with(quick())] {
            let o = p.launch_options().await.expect("options");
            assert!(o.images.len() >= 3 && o.sizes.len() >= 3);
            assert!(!o.networks.is_empty() && !o.security_groups.is_empty());
            assert_eq!(o.key_names, vec![Choice::new("lab-key", "lab-key")]);
            let kind = p.kind();
            let mut s = spec(kind, "opt", 1);
            s.image = o.images[1].id.clone();
            s.size = o.sizes[2].id.clone();
            s.network = Some(o.networks[0].id.clone());
            s.security_groups = vec![o.security_groups[0].id.clone()];
            p.launch(&s).await.expect("launch with listed options");
        }
        let (aws, _c) = aws_with(quick());
        let o = aws.launch_options().await.expect("options");
        assert!(o.images.iter().all(|c| c.id.starts_with("ami-")));
        assert!(o.images.iter().any(|c| c.label == "Amazon Linux 2023"));
        assert!(o.networks.iter().all(|c| c.id.starts_with("subnet-")));
        assert!(o.security_groups.iter().all(|c| c.id.starts_with("sg-")));
        let (os, _c) = os_with(quick());
        let o = os.launch_options().await.expect("options");
        assert!(o.images.iter().all(|c| is_uuid(&c.id)));
        assert!(o.images.iter().any(|c| c.label == "ubuntu-22.04"));
        assert!(o.sizes.iter().any(|c| c.id == "i4.tiny"));
        assert_eq!(o.networks[0].label, "lab-internal");
    }

    #[test]
    fn large_fleets_get_unique_ids_and_addresses() {
        let (_m, clock) = Manual::new();
        let p = SimProvider::new(
            CloudKind::OpenStack,
            "lab",
            "lab",
            SimSettings {
                instances: 600,
                ..quick()
            },
            clock,
        );
        let world = p.world.lock().expect("world");
        let ips: HashSet<&str> = world
            .instances
            .iter()
            .map(|i| i.private_ip.as_str())
            .collect();
        assert_eq!(ips.len(), 600);
        assert!(
            world
                .instances
                .iter()
                .all(|i| !i.private_ip.ends_with(".255"))
        );
    }
}
