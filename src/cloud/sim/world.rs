//! The simulated instances, volumes and public addresses of one endpoint,
//! and their life cycle. States follow from the clock, evaluated on every
//! call, so a paused clock freezes the world; the first fleet follows from
//! the seed.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::SimSettings;
use super::dialect::{Dialect, PowerChange, Refusal, SIM_KEY_NAME, VolumeShape};
use crate::cloud::{AttachedAddress, CloudResult, PowerAction, PowerOutcome};
use crate::domain::model::{InstanceState, LaunchSpec};
use crate::domain::tags::EXPIRES_TAG;

/// Settings beyond this would overflow date arithmetic and mean nothing anyway.
const MAX_SETTING_SECS: u64 = 10 * 365 * 86_400;

/// Names of the first fleet, numbered when they run out.
const NAMES: [&str; 10] = [
    "web", "worker", "db", "cache", "lb", "grader", "build", "scratch", "test", "monitor",
];

/// Which server of the first fleet is the one stopped for days, where the
/// dialect has one (the first that `generate_fleet` stops).
const LONG_STOPPED: usize = 3;
/// How long that server has been SHUTOFF.
const LONG_STOPPED_FOR: Duration = Duration::days(3);

/// The instance of the first fleet whose security group keeps port 22
/// closed, and the one whose user-data script fails at boot: what the
/// doctor finds in the demo (both run; neither is the booting one).
const SSH_CLOSED: usize = 2;
const USER_DATA_FAILS: usize = 4;

/// Volume ids come from a stream of their own so that adding volumes left
/// every instance id, address and launch of a seed as it was.
const VOLUME_SEED: u64 = 0x766f_6c75_6d65_7321;

/// The settings' durations, clamped once so date arithmetic cannot overflow.
pub(super) struct Timing {
    /// Launch to running (AWS `pending`, Nova `BUILD`).
    pub pending: Duration,
    /// Terminate to terminated (AWS `shutting-down`, Nova task `deleting`).
    pub stopping: Duration,
    /// How long terminated instances stay listed where the cloud does that.
    pub gone: Duration,
}

impl Timing {
    pub fn new(s: &SimSettings) -> Timing {
        let secs = |v: u64| Duration::seconds(v.min(MAX_SETTING_SECS) as i64);
        Timing {
            pending: secs(s.pending_secs),
            stopping: secs(s.stopping_secs),
            gone: secs(s.gone_secs),
        }
    }

    /// How long a reboot takes: half a boot.
    pub fn reboot(&self) -> Duration {
        self.pending / 2
    }
}

/// Where an instance is in its life, in words of neither cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Pending,
    Running,
    /// A stop (or shelve) is under way: AWS `stopping`, Nova task `powering-off`.
    Stopping,
    /// A reboot is under way: AWS stays `running`, Nova `REBOOT` / `HARD_REBOOT`.
    Rebooting {
        hard: bool,
    },
    Stopped,
    /// Nova `SHELVED_OFFLOADED`: holds nothing but its snapshot.
    Shelved,
    /// Nova `ERROR`: scheduling failed, it never booted.
    Failed,
    /// AWS `shutting-down`, Nova task `deleting`.
    ShuttingDown,
    Terminated,
    /// No longer listed.
    Gone,
}

pub(super) struct SimInstance {
    pub id: String,
    pub name: String,
    pub size: String,
    pub image: String,
    pub key_name: Option<String>,
    pub private_ip: String,
    pub tags: BTreeMap<String, String>,
    pub detailed_monitoring: bool,
    pub launched_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// When the stop (or shelve) that ends at `stopped_at` was asked.
    pub stop_began: Option<DateTime<Utc>>,
    /// It was shelved: once stopped it is `SHELVED_OFFLOADED`.
    pub shelved: bool,
    /// When a server already stopped was shelved, which offloads it at once.
    pub offloaded_at: Option<DateTime<Utc>>,
    /// A reboot under way until then, and whether it is a hard one.
    pub reboot_until: Option<(DateTime<Utc>, bool)>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub failed: bool,
    /// Idle instances stay below 5 % CPU: what cost rules should flag.
    pub idle: bool,
    pub user_data_len: usize,
    /// Its only security group lets nothing in from outside: what the
    /// doctor should find (port 22 closed).
    pub ssh_closed: bool,
    /// Its user-data script fails at boot: the doctor's boot-log check
    /// finds it, and the service it should start never answers.
    pub user_data_fails: bool,
}

impl SimInstance {
    /// The phase the instance would be in had nobody terminated it.
    fn life_phase(&self, t: &Timing, now: DateTime<Utc>) -> Phase {
        if self.failed {
            Phase::Failed
        } else if self.stopped_at.is_some_and(|at| at <= now) {
            if self.shelved {
                Phase::Shelved
            } else {
                Phase::Stopped
            }
        } else if self.stop_began.is_some_and(|at| at <= now) {
            Phase::Stopping
        } else if now < self.launched_at + t.pending {
            Phase::Pending
        } else {
            match self.reboot_until {
                Some((until, hard)) if now < until => Phase::Rebooting { hard },
                _ => Phase::Running,
            }
        }
    }

    /// The phase it had when its terminate began (running if it has none).
    fn phase_before_delete(&self, t: &Timing) -> Phase {
        self.terminated_at
            .map_or(Phase::Running, |at| self.life_phase(t, at))
    }

    fn phase(&self, dialect: Dialect, t: &Timing, now: DateTime<Utc>) -> Phase {
        match self.terminated_at {
            Some(at) if at <= now => {
                let since = now - at;
                if since < t.stopping {
                    Phase::ShuttingDown
                } else if dialect.lists_terminated() && since < t.stopping + t.gone {
                    Phase::Terminated
                } else {
                    Phase::Gone
                }
            }
            _ => self.life_phase(t, now),
        }
    }

    /// When it entered `phase`, the phase it is in: the time of the last
    /// transition the cloud shows.
    fn phase_began(&self, phase: Phase, dialect: Dialect, t: &Timing) -> Option<DateTime<Utc>> {
        let booted = self.launched_at + t.pending;
        match phase {
            Phase::Pending | Phase::Failed => Some(self.launched_at),
            Phase::Running => Some(match self.reboot_until {
                Some((until, _)) if dialect.reboot_is_a_state() => until.max(booted),
                _ => booted,
            }),
            Phase::Rebooting { .. } if dialect.reboot_is_a_state() => {
                self.reboot_until.map(|(until, _)| until - t.reboot())
            }
            Phase::Rebooting { .. } => Some(booted),
            Phase::Stopping => self.stop_began,
            Phase::Stopped => self.stopped_at,
            Phase::Shelved => self.offloaded_at.or(self.stopped_at),
            Phase::ShuttingDown => self.terminated_at,
            Phase::Terminated => self.terminated_at.map(|at| at + t.stopping),
            Phase::Gone => None,
        }
    }

    /// When it stopped running (stopped or terminated), if it did by `now`.
    pub fn end_of_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        [self.stopped_at, self.terminated_at]
            .into_iter()
            .flatten()
            .filter(|at| *at <= now)
            .min()
    }
}

pub(super) struct SimAddress {
    pub id: String,
    pub ip: String,
    pub instance_id: Option<String>,
}

/// An EBS or Cinder volume.
pub(super) struct SimVolume {
    pub id: String,
    pub name: Option<String>,
    pub size_gb: u64,
    pub volume_type: &'static str,
    /// The instance it is attached to, at `device`.
    pub instance_id: Option<String>,
    /// Only read while attached: a detached volume has no device.
    pub device: &'static str,
    /// Terminating its instance deletes it; otherwise it is detached and
    /// stays (and bills).
    pub delete_on_termination: bool,
}

impl SimVolume {
    fn attached(id: String, shape: VolumeShape, instance: &SimInstance) -> SimVolume {
        SimVolume {
            id,
            name: shape.name_suffix.map(|s| format!("{}{s}", instance.name)),
            size_gb: shape.size_gb,
            volume_type: shape.volume_type,
            instance_id: Some(instance.id.clone()),
            device: shape.device,
            delete_on_termination: shape.delete_on_termination,
        }
    }
}

pub(super) struct World {
    pub dialect: Dialect,
    pub timing: Timing,
    pub instances: Vec<SimInstance>,
    pub addresses: Vec<SimAddress>,
    pub volumes: Vec<SimVolume>,
    /// The public addresses this endpoint can ever hand out.
    pool: Vec<String>,
    /// Clouds never reuse ids, not even of long-gone resources.
    used_ids: HashSet<String>,
    next_private: u32,
    pub rng: Rng,
    volume_rng: Rng,
}

impl World {
    /// The first fleet of a seed: mostly running instances of all ages, some
    /// stopped, one booting, expiry tags in the past and in the future,
    /// volumes with one forgotten, and public addresses that leave one spare
    /// and one forgotten.
    pub fn generate(
        dialect: Dialect,
        settings: &SimSettings,
        seed: u64,
        now: DateTime<Utc>,
    ) -> World {
        let timing = Timing::new(settings);
        let mut rng = Rng::with_seed(seed);
        let mut hosts: Vec<u32> = (2..=254).collect();
        rng.shuffle(&mut hosts);
        hosts.truncate(settings.address_pool);
        let prefix = dialect.public_prefix();
        let next_private = dialect.first_private(&mut rng);
        let mut world = World {
            dialect,
            timing,
            instances: Vec::with_capacity(settings.instances),
            addresses: Vec::new(),
            volumes: Vec::new(),
            pool: hosts.iter().map(|h| format!("{prefix}.{h}")).collect(),
            used_ids: HashSet::with_capacity(settings.instances),
            next_private,
            rng,
            volume_rng: Rng::with_seed(seed ^ VOLUME_SEED),
        };
        world.generate_fleet(settings.instances, now);
        world.generate_addresses(now);
        world.generate_volumes();
        world
    }

    fn generate_fleet(&mut self, n: usize, now: DateTime<Utc>) {
        let dialect = self.dialect;
        let catalog = dialect.catalog();
        let name_offset = self.rng.usize(..NAMES.len());
        for i in 0..n {
            let booting = n >= 3 && i == n - 1;
            let days_old = i % 4 == 1 || i % 8 == 3;
            let age_secs = if booting {
                self.timing.pending.num_seconds() / 2
            } else if days_old {
                self.rng.i64(2 * 86_400..5 * 86_400)
            } else {
                self.rng.i64(15 * 60..20 * 3600)
            };
            // The one whose user-data fails booted recently enough that its
            // console (like AWS's, only the last output) still holds the boot.
            let age_secs = if i == USER_DATA_FAILS && !booting {
                age_secs.min(25 * 60)
            } else {
                age_secs
            };
            let mut launched_at = now - Duration::seconds(age_secs);
            let mut stopped_at = (i % 5 == 3 && !booting)
                .then(|| launched_at + Duration::seconds(age_secs * self.rng.i64(30..90) / 100));
            if dialect.has_long_stopped_server() && i == LONG_STOPPED && stopped_at.is_some() {
                let since = now - LONG_STOPPED_FOR;
                stopped_at = Some(since);
                launched_at = launched_at.min(since - Duration::hours(6));
            }
            let failed = dialect.boots_can_fail() && i % 7 == 6 && !booting;
            let name = format!(
                "{}-{}",
                NAMES[(name_offset + i) % NAMES.len()],
                i / NAMES.len() + 1
            );
            let mut tags = BTreeMap::new();
            if dialect.names_by_tag() {
                tags.insert("Name".to_string(), name.clone());
            }
            if i % 3 == 0 {
                // Half the expiry tags already lie in the past: forgotten instances.
                let hours = if i % 6 == 0 {
                    -self.rng.i64(1..30)
                } else {
                    self.rng.i64(2..48)
                };
                let at = now + Duration::hours(hours);
                tags.insert(
                    EXPIRES_TAG.to_string(),
                    at.format("%Y-%m-%dT%H:%M:00Z").to_string(),
                );
            }
            let size = if self.rng.bool() {
                catalog.sizes[0].0
            } else {
                catalog.sizes[self.rng.usize(..catalog.sizes.len())].0
            };
            let image = catalog.images[self.rng.usize(..catalog.images.len())].0;
            let id = self.new_instance_id();
            let private_ip = self.new_private_ip();
            let user_data_len = if self.rng.bool() {
                self.rng.usize(200..4000)
            } else {
                0
            };
            self.instances.push(SimInstance {
                id,
                name,
                size: size.to_string(),
                image: image.to_string(),
                key_name: Some(SIM_KEY_NAME.to_string()),
                private_ip,
                tags,
                detailed_monitoring: dialect.has_detailed_monitoring() && i % 3 == 1,
                launched_at,
                stopped_at,
                stop_began: None,
                shelved: false,
                offloaded_at: None,
                reboot_until: None,
                terminated_at: None,
                failed,
                idle: days_old,
                user_data_len: if i == USER_DATA_FAILS {
                    user_data_len.max(600)
                } else {
                    user_data_len
                },
                ssh_closed: i == SSH_CLOSED,
                user_data_fails: i == USER_DATA_FAILS,
            });
        }
    }

    /// One spare address always remains so the demo's first attach works;
    /// one more is allocated but unassociated: a forgotten, billed address.
    fn generate_addresses(&mut self, now: DateTime<Utc>) {
        let forgotten = usize::from(self.pool.len() >= 2);
        let budget = self.pool.len().saturating_sub(1 + forgotten);
        let holders: Vec<String> = self
            .instances
            .iter()
            .filter(|i| self.phase(i, now) == Phase::Running)
            .take(budget)
            .map(|i| i.id.clone())
            .collect();
        for holder in holders
            .into_iter()
            .map(Some)
            .chain((0..forgotten).map(|_| None))
        {
            if let Some(ip) = self.free_pool_ip() {
                let id = self.new_address_id();
                self.addresses.push(SimAddress {
                    id,
                    ip,
                    instance_id: holder,
                });
            }
        }
    }

    /// Every instance of the first fleet its volumes (a failed server never
    /// got its volume attached), then the one forgotten volume (not in an
    /// empty world: nobody ever used that account).
    fn generate_volumes(&mut self) {
        let dialect = self.dialect;
        let mut volumes = Vec::with_capacity(self.instances.len() + self.instances.len() / 4 + 1);
        for (i, inst) in self.instances.iter().enumerate() {
            if inst.failed {
                continue;
            }
            for shape in dialect.fleet_volumes(i) {
                let id = unique_id(&mut self.used_ids, &mut self.volume_rng, |rng| {
                    dialect.volume_id(rng)
                });
                volumes.push(SimVolume::attached(id, shape, inst));
            }
        }
        if self.instances.is_empty() {
            self.volumes = volumes;
            return;
        }
        let leftover = dialect.leftover_volume();
        let id = self.new_volume_id();
        volumes.push(SimVolume {
            id,
            name: Some(leftover.name.to_string()),
            size_gb: leftover.size_gb,
            volume_type: leftover.volume_type,
            instance_id: None,
            device: "",
            delete_on_termination: false,
        });
        self.volumes = volumes;
    }

    pub fn phase(&self, inst: &SimInstance, now: DateTime<Utc>) -> Phase {
        inst.phase(self.dialect, &self.timing, now)
    }

    /// The state shown for an instance and its cloud's word for it.
    pub fn state_of(&self, inst: &SimInstance, now: DateTime<Utc>) -> (InstanceState, String) {
        self.dialect.state(
            self.phase(inst, now),
            inst.phase_before_delete(&self.timing),
        )
    }

    /// When the instance entered the state shown for it.
    pub fn state_since(&self, inst: &SimInstance, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        inst.phase_began(self.phase(inst, now), self.dialect, &self.timing)
    }

    /// The attached volumes of every instance, in one pass: a listing maps
    /// thousands of instances and must not search the volumes for each.
    pub fn volumes_by_instance(&self) -> HashMap<&str, Vec<&SimVolume>> {
        let mut by_instance: HashMap<&str, Vec<&SimVolume>> = HashMap::new();
        for volume in &self.volumes {
            if let Some(id) = &volume.instance_id {
                by_instance.entry(id.as_str()).or_default().push(volume);
            }
        }
        by_instance
    }

    /// Forgets instances the cloud no longer lists.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let (dialect, timing) = (self.dialect, &self.timing);
        self.instances
            .retain(|i| i.phase(dialect, timing, now) != Phase::Gone);
    }

    /// Looks an instance up the way the cloud would reject a bad id.
    pub fn find(&self, id: &str) -> CloudResult<&SimInstance> {
        self.dialect.check_instance_id(id)?;
        self.instances
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| self.dialect.refuse(Refusal::UnknownInstance(id)))
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut SimInstance> {
        self.instances.iter_mut().find(|i| i.id == id)
    }

    /// Instances that count against the quota.
    pub fn live_instances(&self) -> usize {
        self.instances
            .iter()
            .filter(|i| i.terminated_at.is_none())
            .count()
    }

    pub fn address_of(&self, instance_id: &str) -> Option<&SimAddress> {
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

    fn new_instance_id(&mut self) -> String {
        let dialect = self.dialect;
        unique_id(&mut self.used_ids, &mut self.rng, |rng| {
            dialect.instance_id(rng)
        })
    }

    fn new_address_id(&mut self) -> String {
        let dialect = self.dialect;
        unique_id(&mut self.used_ids, &mut self.rng, |rng| {
            dialect.address_id(rng)
        })
    }

    fn new_volume_id(&mut self) -> String {
        let dialect = self.dialect;
        unique_id(&mut self.used_ids, &mut self.volume_rng, |rng| {
            dialect.volume_id(rng)
        })
    }

    fn new_private_ip(&mut self) -> String {
        let k = self.next_private;
        self.next_private = self.next_private.wrapping_add(1);
        self.dialect.private_ip(k)
    }

    /// Starts the instances of a checked `spec`; `-1`, `-2`, ... tell the
    /// names of several apart.
    pub fn launch(&mut self, spec: &LaunchSpec, now: DateTime<Utc>) -> Vec<String> {
        let dialect = self.dialect;
        let mut ids = Vec::new();
        for n in 1..=spec.count {
            let name = if spec.count > 1 {
                format!("{}-{n}", spec.name)
            } else {
                spec.name.clone()
            };
            let mut tags = spec.tags.clone();
            if (dialect.names_by_tag() && !name.is_empty()) || tags.contains_key("Name") {
                tags.insert("Name".into(), name.clone());
            }
            let id = self.new_instance_id();
            let private_ip = self.new_private_ip();
            let idle = self.rng.bool();
            let root = dialect
                .launch_volume()
                .map(|shape| (self.new_volume_id(), shape));
            self.instances.push(SimInstance {
                id: id.clone(),
                name,
                size: spec.size.clone(),
                image: spec.image.clone(),
                key_name: spec.key_name.clone(),
                private_ip,
                tags,
                detailed_monitoring: dialect.has_detailed_monitoring() && spec.detailed_monitoring,
                launched_at: now,
                stopped_at: None,
                stop_began: None,
                shelved: false,
                offloaded_at: None,
                reboot_until: None,
                terminated_at: None,
                failed: false,
                idle,
                user_data_len: spec.user_data.as_ref().map_or(0, Vec::len),
                ssh_closed: false,
                user_data_fails: false,
            });
            if let (Some((volume_id, shape)), Some(inst)) = (root, self.instances.last()) {
                self.volumes
                    .push(SimVolume::attached(volume_id, shape, inst));
            }
            ids.push(id);
        }
        ids
    }

    /// Stops, starts, reboots, shelves or unshelves each of `ids` that the
    /// cloud would let, with the cloud's own refusal for the others.
    pub fn power(
        &mut self,
        ids: &[String],
        action: PowerAction,
        now: DateTime<Utc>,
    ) -> Vec<PowerOutcome> {
        ids.iter()
            .map(|id| PowerOutcome {
                instance_id: id.clone(),
                result: self.power_one(id, action, now),
            })
            .collect()
    }

    fn power_one(&mut self, id: &str, action: PowerAction, now: DateTime<Utc>) -> CloudResult<()> {
        let dialect = self.dialect;
        if let Some(refusal) = dialect.lacks(action) {
            return Err(refusal);
        }
        let phase = self.phase(self.find(id)?, now);
        let (reboot, stopping) = (self.timing.reboot(), self.timing.stopping);
        let Some(change) = dialect.power_change(action, phase) else {
            return Err(dialect.refuse(Refusal::WrongState {
                instance: id,
                action,
                phase,
            }));
        };
        let Some(inst) = self.find_mut(id) else {
            return Err(dialect.refuse(Refusal::UnknownInstance(id)));
        };
        match change {
            PowerChange::Nothing => {}
            PowerChange::Stop { shelve } => {
                inst.shelved = shelve;
                if phase == Phase::Stopped {
                    // Shelving a stopped server offloads it at once.
                    inst.offloaded_at = Some(now);
                    return Ok(());
                }
                inst.stop_began = Some(now);
                inst.stopped_at = Some(now + stopping);
                inst.reboot_until = None;
            }
            PowerChange::Start => {
                // EC2 gives a started instance a new launch time; the boot
                // log and metrics begin again.
                inst.launched_at = now;
                inst.stopped_at = None;
                inst.stop_began = None;
                inst.shelved = false;
                inst.offloaded_at = None;
                inst.reboot_until = None;
            }
            PowerChange::Reboot { hard } => {
                inst.reboot_until = Some((now + reboot, hard));
            }
        }
        Ok(())
    }

    /// Terminates every instance of `ids`, or, when one is unknown, none.
    pub fn terminate(&mut self, ids: &[String], now: DateTime<Utc>) -> CloudResult<()> {
        self.dialect.check_terminate_ids(ids)?;
        // Check every id first so a bad one changes nothing, as EC2 does.
        let mut missing = Vec::new();
        for id in ids {
            self.dialect.check_instance_id(id)?;
            if !self.instances.iter().any(|i| &i.id == id) {
                missing.push(id.as_str());
            }
        }
        match missing.as_slice() {
            [] => {}
            [one] => return Err(self.dialect.refuse(Refusal::UnknownInstance(one))),
            many => return Err(self.dialect.refuse(Refusal::UnknownInstances(many))),
        }
        for id in ids {
            if let Some(inst) = self.find_mut(id)
                && inst.terminated_at.is_none()
            {
                inst.terminated_at = Some(now);
            }
            // Like an Elastic IP, the address outlives the instance: it stays
            // allocated (and billed) but unassociated.
            for address in self
                .addresses
                .iter_mut()
                .filter(|a| a.instance_id.as_ref() == Some(id))
            {
                address.instance_id = None;
            }
        }
        // One pass over the volumes for all ids: a fleet-wide terminate
        // must not scan every volume once per instance.
        let gone: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let ends_with = |v: &SimVolume| v.instance_id.as_deref().is_some_and(|i| gone.contains(i));
        // As EBS and Cinder do: a volume made to go with its instance is
        // deleted, any other is detached and stays (and bills).
        self.volumes
            .retain(|v| !(v.delete_on_termination && ends_with(v)));
        for volume in self.volumes.iter_mut().filter(|v| ends_with(v)) {
            volume.instance_id = None;
        }
        Ok(())
    }

    /// Gives a running instance a public address: a free allocated one if
    /// there is one, else a new one from the pool.
    pub fn attach(
        &mut self,
        instance_id: &str,
        now: DateTime<Utc>,
    ) -> CloudResult<AttachedAddress> {
        let dialect = self.dialect;
        let inst = self.find(instance_id)?;
        if let Some(address) = self.address_of(instance_id) {
            return Err(dialect.refuse(Refusal::AlreadyAssociated {
                instance: instance_id,
                ip: &address.ip,
            }));
        }
        let phase = self.phase(inst, now);
        if phase != Phase::Running {
            return Err(dialect.refuse(Refusal::NotRunning {
                instance: instance_id,
                phase,
            }));
        }
        if let Some(address) = self.addresses.iter_mut().find(|a| a.instance_id.is_none()) {
            address.instance_id = Some(instance_id.to_string());
            return Ok(AttachedAddress {
                ip: address.ip.clone(),
                reused: true,
            });
        }
        let Some(ip) = self.free_pool_ip() else {
            return Err(dialect.refuse(Refusal::PoolExhausted));
        };
        let id = self.new_address_id();
        self.addresses.push(SimAddress {
            id,
            ip: ip.clone(),
            instance_id: Some(instance_id.to_string()),
        });
        Ok(AttachedAddress { ip, reused: false })
    }

    /// Takes the public address off an instance, keeping it allocated.
    pub fn detach(&mut self, instance_id: &str) -> CloudResult<String> {
        self.find(instance_id)?;
        match self
            .addresses
            .iter_mut()
            .find(|a| a.instance_id.as_deref() == Some(instance_id))
        {
            Some(address) => {
                address.instance_id = None;
                Ok(address.ip.clone())
            }
            None => Err(self.dialect.refuse(Refusal::NothingAssociated(instance_id))),
        }
    }

    /// Gives an unassociated address back to the pool.
    pub fn release(&mut self, address_id: &str) -> CloudResult<()> {
        let Some(pos) = self.addresses.iter().position(|a| a.id == address_id) else {
            return Err(self.dialect.refuse(Refusal::UnknownAddress(address_id)));
        };
        let address = &self.addresses[pos];
        if let Some(instance) = &address.instance_id {
            return Err(self.dialect.refuse(Refusal::AddressInUse {
                ip: &address.ip,
                instance,
            }));
        }
        self.addresses.remove(pos);
        Ok(())
    }

    /// Deletes a volume attached to nothing.
    pub fn delete_volume(&mut self, volume_id: &str) -> CloudResult<()> {
        let Some(pos) = self.volumes.iter().position(|v| v.id == volume_id) else {
            return Err(self.dialect.refuse(Refusal::UnknownVolume(volume_id)));
        };
        if let Some(instance) = &self.volumes[pos].instance_id {
            return Err(self.dialect.refuse(Refusal::VolumeInUse {
                volume: volume_id,
                instance,
            }));
        }
        self.volumes.remove(pos);
        Ok(())
    }

    /// Adds or overwrites tags of one instance.
    pub fn set_tags(
        &mut self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        self.find(instance_id)?;
        if let Some(inst) = self.find_mut(instance_id) {
            inst.tags
                .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(())
    }
}

/// A fresh id from `rng`: clouds never reuse ids, not even of long-gone
/// resources.
fn unique_id(
    used: &mut HashSet<String>,
    rng: &mut Rng,
    make: impl Fn(&mut Rng) -> String,
) -> String {
    loop {
        let id = make(rng);
        if used.insert(id.clone()) {
            return id;
        }
    }
}
