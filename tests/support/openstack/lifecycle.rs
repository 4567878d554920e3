//! Nova's power actions on the fake's servers: `os-stop`, `os-start`,
//! `reboot` (SOFT / HARD), `shelve` and `unshelve`.
//!
//! What is allowed when follows `nova/compute/api.py` (the
//! `check_instance_host` and `check_instance_state` decorators of `stop`,
//! `start`, `_soft_reboot`, `_hard_reboot`, `shelve`, `unshelve`); the
//! refusal texts follow `nova/api/openstack/common.py`
//! `raise_http_conflict_for_instance_invalid_state` and
//! `nova/exception.py` `InstanceNotReady`; the statuses follow
//! `common._STATE_MAP`; the steps follow `nova/compute/manager.py` with
//! `shelved_offload_time = 0` (Nova's default: shelve offloads at once).
//! Each step is shown for `action_polls` observations (GETs or listings
//! that include the server), as a build is for `build_polls`.

use super::world::{Phase, Server, World};

/// `OS-EXT-STS:power_state` values (`nova/compute/power_state.py`).
pub const POWER_RUNNING: u8 = 1;
pub const POWER_SHUTDOWN: u8 = 4;

/// The vm_states a launched server of the fake can be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmState {
    Active,
    Stopped,
    Shelved,
    ShelvedOffloaded,
    /// A failed server ([`World::fail_server`]): status `ERROR`, with a
    /// `fault`.
    Error,
}

impl VmState {
    pub fn name(self) -> &'static str {
        match self {
            VmState::Active => "active",
            VmState::Stopped => "stopped",
            VmState::Shelved => "shelved",
            VmState::ShelvedOffloaded => "shelved_offloaded",
            VmState::Error => "error",
        }
    }
}

/// A power action under way: its task_state, shown for `polls_left` more
/// observations, then [`World::finish_task`] takes the next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    pub state: &'static str,
    pub polls_left: u32,
}

/// The power actions, by the name Nova's API layer gives them in a 409
/// (`'stop'`, not `'os-stop'`: `servers.py` `_stop` passes `'stop'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    Stop,
    Start,
    SoftReboot,
    HardReboot,
    Shelve,
    Unshelve,
}

impl Power {
    fn api_name(self) -> &'static str {
        match self {
            Power::Stop => "stop",
            Power::Start => "start",
            Power::SoftReboot | Power::HardReboot => "reboot",
            Power::Shelve => "shelve",
            Power::Unshelve => "unshelve",
        }
    }

    /// The task_state the compute API sets before it casts to the host.
    fn first_task(self) -> &'static str {
        match self {
            Power::Stop => "powering-off",
            Power::Start => "powering-on",
            Power::SoftReboot => "rebooting",
            Power::HardReboot => "rebooting_hard",
            Power::Shelve => "shelving",
            Power::Unshelve => "unshelving",
        }
    }
}

/// `task_states.ALLOW_REBOOT`: what a HARD reboot may interrupt.
const ALLOW_HARD_REBOOT_TASKS: [&str; 8] = [
    "rebooting",
    "reboot_pending",
    "reboot_started",
    "resuming",
    "rebooting_hard",
    "unpausing",
    "pausing",
    "suspending",
];

/// Nova's `(status, vm_state, task_state, power_state)` of a server that
/// is neither building nor gone (`common._STATE_MAP`).
pub fn settled_states(server: &Server) -> (&'static str, &'static str, Option<&'static str>, u8) {
    let task = server.task.map(|t| t.state);
    let status = match (server.vm_state, task) {
        (VmState::Active, Some("rebooting" | "reboot_pending" | "reboot_started")) => "REBOOT",
        (
            VmState::Active,
            Some("rebooting_hard" | "reboot_pending_hard" | "reboot_started_hard"),
        ) => "HARD_REBOOT",
        (VmState::Active, _) => "ACTIVE",
        (VmState::Stopped, _) => "SHUTOFF",
        (VmState::Shelved, _) => "SHELVED",
        (VmState::ShelvedOffloaded, _) => "SHELVED_OFFLOADED",
        (VmState::Error, _) => "ERROR",
    };
    (status, server.vm_state.name(), task, server.power_state)
}

/// Whether the server is on a compute host (`instance.host` set): not
/// while building, not once shelve offloaded it.
pub fn has_host(server: &Server) -> bool {
    !matches!(server.phase, Phase::Building { .. }) && server.vm_state != VmState::ShelvedOffloaded
}

impl World {
    /// Starts `action` on server `idx`, or refuses it with the 409 text Nova
    /// gives, checked in the order of Nova's decorators (host, vm_state,
    /// task_state).
    pub fn power(&mut self, idx: usize, action: Power) -> Result<(), String> {
        let server = &self.servers[idx];
        let id = server.id.clone();
        let name = action.api_name();
        let building = matches!(server.phase, Phase::Building { .. });
        // `stop` and `start` are decorated with check_instance_host.
        if matches!(action, Power::Stop | Power::Start) && !has_host(server) {
            return Err(format!("Instance {id} is not ready"));
        }
        let vm = if building {
            "building"
        } else {
            server.vm_state.name()
        };
        let allowed: &[VmState] = match action {
            // vm_states ERROR is allowed too; the fake has no ERROR server.
            Power::Stop => &[VmState::Active],
            Power::Start => &[VmState::Stopped],
            Power::SoftReboot => &[VmState::Active],
            Power::HardReboot => &[VmState::Active, VmState::Stopped],
            Power::Shelve => &[VmState::Active, VmState::Stopped],
            Power::Unshelve => &[VmState::Shelved, VmState::ShelvedOffloaded],
        };
        if building || !allowed.contains(&server.vm_state) {
            return Err(invalid_state(name, &id, "vm_state", vm));
        }
        let task = match server.phase {
            Phase::Deleting { .. } => Some("deleting"),
            _ => server.task.map(|t| t.state),
        };
        let task_allowed = match (action, task) {
            (_, None) => true,
            (Power::HardReboot, Some(t)) => ALLOW_HARD_REBOOT_TASKS.contains(&t),
            _ => false,
        };
        if let (false, Some(t)) = (task_allowed, task) {
            return Err(invalid_state(name, &id, "task_state", t));
        }
        self.servers[idx].updated = chrono::Utc::now();
        self.begin_task(idx, action.first_task(), self.action_polls);
        Ok(())
    }

    /// Sets a task_state for `polls` more observations (with
    /// `action_polls` 0 the step finishes at once, and so on to a settled
    /// state).
    fn begin_task(&mut self, idx: usize, state: &'static str, polls: u32) {
        self.servers[idx].task = Some(Task {
            state,
            polls_left: polls,
        });
        if self.action_polls == 0 {
            self.finish_task(idx);
        }
    }

    /// One observation of a server with a task: counts it down, or takes
    /// the task's next step.
    pub fn observe_task(&mut self, idx: usize) {
        let Some(task) = self.servers[idx].task else {
            return;
        };
        if task.polls_left > 0 {
            self.servers[idx].task = Some(Task {
                polls_left: task.polls_left - 1,
                ..task
            });
        } else {
            self.finish_task(idx);
        }
    }

    /// What the compute host does when a task's step is over. A next step
    /// begins during an observation, which already counts as its first.
    fn finish_task(&mut self, idx: usize) {
        let next_polls = self.action_polls.saturating_sub(1);
        let Some(task) = self.servers[idx].task.take() else {
            return;
        };
        let now = chrono::Utc::now();
        let server = &mut self.servers[idx];
        server.updated = now;
        match task.state {
            "powering-off" => {
                server.vm_state = VmState::Stopped;
                server.power_state = POWER_SHUTDOWN;
            }
            // A hard reboot of a stopped server starts it (reboot_instance
            // ends in vm_states.ACTIVE whatever it began in).
            "powering-on" | "rebooting" | "rebooting_hard" | "spawning" => {
                server.vm_state = VmState::Active;
                server.power_state = POWER_RUNNING;
            }
            // _shelve_instance: snapshot, power off, vm_state SHELVED with
            // task shelving_offloading when shelved_offload_time is 0.
            "shelving" => {
                server.vm_state = VmState::Shelved;
                server.power_state = POWER_SHUTDOWN;
                self.begin_task(idx, "shelving_offloading", next_polls);
            }
            // _shelve_offload_instance: off the host, task None.
            "shelving_offloading" => {
                server.vm_state = VmState::ShelvedOffloaded;
                server.power_state = POWER_SHUTDOWN;
            }
            // _unshelve_instance: scheduled again, then spawning.
            "unshelving" => self.begin_task(idx, "spawning", next_polls),
            _ => {}
        }
    }
}

/// `common.raise_http_conflict_for_instance_invalid_state`.
fn invalid_state(action: &str, id: &str, attr: &str, state: &str) -> String {
    format!("Cannot '{action}' instance {id} while it is in {attr} {state}")
}
