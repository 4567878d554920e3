//! The simulated instances and public addresses of one endpoint, and their
//! life cycle. States follow from the clock, evaluated on every call, so a
//! paused clock freezes the world; the first fleet follows from the seed.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::SimSettings;
use super::dialect::{Dialect, PowerChange, Refusal, SIM_KEY_NAME};
use crate::cloud::{AttachedAddress, CloudResult, PowerAction, PowerOutcome};
use crate::domain::model::{InstanceState, LaunchSpec};
use crate::domain::tags::EXPIRES_TAG;

/// Settings beyond this would overflow date arithmetic and mean nothing anyway.
const MAX_SETTING_SECS: u64 = 10 * 365 * 86_400;

/// Names of the first fleet, numbered when they run out.
const NAMES: [&str; 10] = [
    "web", "worker", "db", "cache", "lb", "grader", "build", "scratch", "test", "monitor",
];

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
    /// A reboot under way until then, and whether it is a hard one.
    pub reboot_until: Option<(DateTime<Utc>, bool)>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub failed: bool,
    /// Idle instances stay below 5 % CPU: what cost rules should flag.
    pub idle: bool,
    pub user_data_len: usize,
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

pub(super) struct World {
    pub dialect: Dialect,
    pub timing: Timing,
    pub instances: Vec<SimInstance>,
    pub addresses: Vec<SimAddress>,
    /// The public addresses this endpoint can ever hand out.
    pool: Vec<String>,
    /// Clouds never reuse ids, not even of long-gone instances.
    used_ids: HashSet<String>,
    next_private: u32,
    pub rng: Rng,
}

impl World {
    /// The first fleet of a seed: mostly running instances of all ages, some
    /// stopped, one booting, expiry tags in the past and in the future, and
    /// public addresses that leave one spare and one forgotten.
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
            pool: hosts.iter().map(|h| format!("{prefix}.{h}")).collect(),
            used_ids: HashSet::with_capacity(settings.instances),
            next_private,
            rng,
        };
        world.generate_fleet(settings.instances, now);
        world.generate_addresses(now);
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
            let launched_at = now - Duration::seconds(age_secs);
            let stopped_at = (i % 5 == 3 && !booting)
                .then(|| launched_at + Duration::seconds(age_secs * self.rng.i64(30..90) / 100));
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
                reboot_until: None,
                terminated_at: None,
                failed,
                idle: days_old,
                user_data_len,
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

    fn unique_id(&mut self, make: impl Fn(&mut Rng) -> String) -> String {
        loop {
            let id = make(&mut self.rng);
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn new_instance_id(&mut self) -> String {
        let dialect = self.dialect;
        self.unique_id(|rng| dialect.instance_id(rng))
    }

    fn new_address_id(&mut self) -> String {
        let dialect = self.dialect;
        self.unique_id(|rng| dialect.address_id(rng))
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
                reboot_until: None,
                terminated_at: None,
                failed: false,
                idle,
                user_data_len: spec.user_data.as_ref().map_or(0, Vec::len),
            });
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
        let (pending, stopping) = (self.timing.pending, self.timing.stopping);
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
                inst.reboot_until = None;
            }
            PowerChange::Reboot { hard } => {
                inst.reboot_until = Some((now + pending / 2, hard));
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
