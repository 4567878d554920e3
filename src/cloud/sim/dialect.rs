//! Everything that differs between the simulated EC2 and the simulated Nova:
//! what they offer (images, sizes, networks), how their ids and addresses
//! look, the words of their states, how long they list deleted instances
//! and how they say no. The rest of the simulator is written once for both.

use fastrand::Rng;

use super::world::Phase;
use crate::cloud::{CloudError, CloudResult, PowerAction};
use crate::domain::model::{CloudKind, InstanceState, USER_DATA_LIMIT};

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
/// vCPUs and memory (MB) of each simulated Nova flavor.
const OPENSTACK_FLAVOR_RESOURCES: &[(&str, u32, u64)] = &[
    ("m1.tiny", 1, 512),
    ("i4.tiny", 1, 1024),
    ("m1.small", 1, 2048),
];
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

/// What one simulated cloud offers to launch, as `(id, label)` pairs.
pub(super) struct Catalog {
    pub images: &'static [(&'static str, &'static str)],
    pub sizes: &'static [(&'static str, &'static str)],
    pub networks: &'static [(&'static str, &'static str)],
    pub security_groups: &'static [(&'static str, &'static str)],
}

const EC2_CATALOG: Catalog = Catalog {
    images: AWS_IMAGES,
    sizes: AWS_SIZES,
    networks: AWS_SUBNETS,
    security_groups: AWS_SECURITY_GROUPS,
};

const NOVA_CATALOG: Catalog = Catalog {
    images: OPENSTACK_IMAGES,
    sizes: OPENSTACK_FLAVORS,
    networks: OPENSTACK_NETWORKS,
    security_groups: OPENSTACK_SECURITY_GROUPS,
};

pub(super) fn has_id(list: &[(&str, &str)], id: &str) -> bool {
    list.iter().any(|(i, _)| *i == id)
}

/// The operating system an image id stands for, in either cloud.
pub(super) fn image_label(id: &str) -> &'static str {
    AWS_IMAGES
        .iter()
        .chain(OPENSTACK_IMAGES)
        .find(|(i, _)| *i == id)
        .map_or("Linux", |(_, label)| label)
}

/// Something the simulated cloud refuses, in neutral words; each dialect
/// says it the way its cloud would ([`Dialect::refuse`]).
#[derive(Debug, Clone, Copy)]
pub(super) enum Refusal<'a> {
    UnknownInstance(&'a str),
    /// Several unknown ids in one call.
    UnknownInstances(&'a [&'a str]),
    ZeroCount,
    UserDataTooLarge(usize),
    UnknownImage(&'a str),
    UnknownSize(&'a str),
    UnknownKey(&'a str),
    UnknownNetwork(&'a str),
    UnknownSecurityGroup(&'a str),
    Quota {
        requested: usize,
        used: usize,
        quota: usize,
    },
    AlreadyAssociated {
        instance: &'a str,
        ip: &'a str,
    },
    NotRunning {
        instance: &'a str,
        phase: Phase,
    },
    /// A power action the instance's state does not allow.
    WrongState {
        instance: &'a str,
        action: PowerAction,
        phase: Phase,
    },
    PoolExhausted,
    NothingAssociated(&'a str),
    UnknownAddress(&'a str),
    AddressInUse {
        ip: &'a str,
        instance: &'a str,
    },
    UnknownVolume(&'a str),
    /// Deleting a volume still attached to an instance.
    VolumeInUse {
        volume: &'a str,
        instance: &'a str,
    },
}

/// What a simulated volume is made as; its id comes from the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct VolumeShape {
    pub size_gb: u64,
    pub volume_type: &'static str,
    pub device: &'static str,
    pub delete_on_termination: bool,
    /// Appended to the instance's name to name the volume; `None` leaves
    /// it unnamed, as EBS roots made at launch are.
    pub name_suffix: Option<&'static str>,
}

/// An EBS root as a launch from the course AMIs makes it: it goes with the
/// instance.
const EC2_ROOT: VolumeShape = VolumeShape {
    size_gb: 8,
    volume_type: "gp3",
    device: "/dev/xvda",
    delete_on_termination: true,
    name_suffix: None,
};
/// A data volume attached later: EC2 keeps it when the instance goes.
const EC2_DATA: VolumeShape = VolumeShape {
    size_gb: 20,
    volume_type: "gp3",
    device: "/dev/sdf",
    delete_on_termination: false,
    name_suffix: Some("-data"),
};
/// The Cinder type of a cloud that defines none of its own.
const CINDER_TYPE: &str = "__DEFAULT__";
/// A Cinder volume attached to a server: Nova detaches it on delete and
/// Cinder keeps it.
const CINDER_DATA: VolumeShape = VolumeShape {
    size_gb: 10,
    volume_type: CINDER_TYPE,
    device: "/dev/vdb",
    delete_on_termination: false,
    name_suffix: Some("-data"),
};
/// The world's forgotten volume, attached to nothing and billed all the same.
pub(super) struct Leftover {
    pub name: &'static str,
    pub size_gb: u64,
    pub volume_type: &'static str,
}

/// What a power action changes in a simulated instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PowerChange {
    /// Already where the action leads (EC2 accepts it).
    Nothing,
    Stop {
        shelve: bool,
    },
    Start,
    Reboot {
        hard: bool,
    },
}

/// Which cloud a simulated endpoint imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// AWS EC2 (with Elastic IPs and CloudWatch).
    Ec2,
    /// OpenStack Nova (with Neutron floating IPs and Gnocchi).
    Nova,
}

/// CloudWatch detailed monitoring granularity; the demo uses it for all.
const EC2_PERIOD_SECS: i64 = 60;
/// The finest Gnocchi granularity of the course's cloud.
const NOVA_PERIOD_SECS: i64 = 10;

impl Dialect {
    pub fn of(kind: CloudKind) -> Dialect {
        match kind {
            CloudKind::Aws => Dialect::Ec2,
            CloudKind::OpenStack => Dialect::Nova,
        }
    }

    pub fn kind(self) -> CloudKind {
        match self {
            Dialect::Ec2 => CloudKind::Aws,
            Dialect::Nova => CloudKind::OpenStack,
        }
    }

    pub fn catalog(self) -> &'static Catalog {
        match self {
            Dialect::Ec2 => &EC2_CATALOG,
            Dialect::Nova => &NOVA_CATALOG,
        }
    }

    /// vCPUs and memory (MB) of a size, where the cloud lists them (Nova
    /// flavors); AWS instance types are priced instead.
    pub fn resources(self, size: &str) -> Option<(u32, u64)> {
        match self {
            Dialect::Ec2 => None,
            Dialect::Nova => OPENSTACK_FLAVOR_RESOURCES
                .iter()
                .find(|(name, _, _)| *name == size)
                .map(|(_, vcpus, mb)| (*vcpus, *mb)),
        }
    }

    /// `default/eu-west-1`; an OpenStack cloud whose only region carries its
    /// own name is just `lab`.
    pub fn label(self, account: &str, region: &str) -> String {
        match self {
            Dialect::Nova if account == region => account.to_string(),
            _ => format!("{account}/{region}"),
        }
    }

    pub fn metrics_period_secs(self) -> i64 {
        match self {
            Dialect::Ec2 => EC2_PERIOD_SECS,
            Dialect::Nova => NOVA_PERIOD_SECS,
        }
    }

    /// The pool a public address comes from.
    pub fn address_pool(self) -> &'static str {
        match self {
            Dialect::Ec2 => "amazon",
            Dialect::Nova => FLOATING_POOL,
        }
    }

    /// EC2 keeps listing terminated instances for a while; Nova forgets a
    /// server as soon as its delete is done.
    pub fn lists_terminated(self) -> bool {
        self == Dialect::Ec2
    }

    /// EC2 names an instance through its `Name` tag; Nova has a name field.
    pub fn names_by_tag(self) -> bool {
        self == Dialect::Ec2
    }

    /// Only CloudWatch knows detailed monitoring.
    pub fn has_detailed_monitoring(self) -> bool {
        self == Dialect::Ec2
    }

    /// Nova servers can end in `ERROR` when scheduling fails; EC2 has no
    /// failed boot state the course ever sees.
    pub fn boots_can_fail(self) -> bool {
        self == Dialect::Nova
    }

    /// EC2 rejects an instance id of the wrong shape before looking it up;
    /// to Nova any string is an id that may not exist.
    pub fn check_instance_id(self, id: &str) -> CloudResult<()> {
        match self {
            Dialect::Ec2 if !id.starts_with("i-") => Err(CloudError::new(
                "InvalidInstanceID.Malformed",
                format!("Invalid id: \"{id}\""),
            )),
            _ => Ok(()),
        }
    }

    /// EC2 wants at least one id to terminate; Nova is asked once per
    /// server, so no ids means no request.
    pub fn check_terminate_ids(self, ids: &[String]) -> CloudResult<()> {
        match self {
            Dialect::Ec2 if ids.is_empty() => Err(CloudError::new(
                "MissingParameter",
                "The request must contain the parameter InstanceId",
            )),
            _ => Ok(()),
        }
    }

    /// Nova refuses a server without a name; EC2 instances need none.
    pub fn check_name(self, name: &str) -> CloudResult<()> {
        match self {
            Dialect::Nova if name.trim().is_empty() => Err(CloudError::new(
                "400",
                "Invalid input for field/attribute name. Value: ''. '' is too short",
            )),
            _ => Ok(()),
        }
    }

    /// EC2 rejects an image id of the wrong shape before looking it up.
    pub fn check_image_id(self, image: &str) -> CloudResult<()> {
        match self {
            Dialect::Ec2 if !image.starts_with("ami-") => Err(CloudError::new(
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{image}\" (expecting \"ami-...\")"),
            )),
            _ => Ok(()),
        }
    }

    pub fn instance_id(self, rng: &mut Rng) -> String {
        match self {
            Dialect::Ec2 => format!("i-0{:016x}", rng.u64(..)),
            Dialect::Nova => random_uuid(rng),
        }
    }

    pub fn volume_id(self, rng: &mut Rng) -> String {
        match self {
            Dialect::Ec2 => format!("vol-0{:016x}", rng.u64(..)),
            Dialect::Nova => random_uuid(rng),
        }
    }

    /// The volume a launch creates: EC2 boots from an EBS root; Nova boots
    /// the course images on the flavor's ephemeral disk, no Cinder volume.
    pub fn launch_volume(self) -> Option<VolumeShape> {
        match self {
            Dialect::Ec2 => Some(EC2_ROOT),
            Dialect::Nova => None,
        }
    }

    /// The volumes of the `i`-th instance of the first fleet: every EC2
    /// instance its root and every fifth a data volume too; a few Nova
    /// servers a Cinder data volume.
    pub fn fleet_volumes(self, i: usize) -> impl Iterator<Item = VolumeShape> {
        let (root, data) = match self {
            Dialect::Ec2 => (Some(EC2_ROOT), i.is_multiple_of(5).then_some(EC2_DATA)),
            Dialect::Nova => (
                None,
                (i.is_multiple_of(3) || i % 4 == 2).then_some(VolumeShape {
                    // Sizes vary so the volume costs differ in the demo.
                    size_gb: if i.is_multiple_of(3) { 10 } else { 20 },
                    ..CINDER_DATA
                }),
            ),
        };
        root.into_iter().chain(data)
    }

    /// The one volume of the first fleet attached to nothing.
    pub fn leftover_volume(self) -> Leftover {
        match self {
            Dialect::Ec2 => Leftover {
                name: "old-scratch",
                size_gb: 30,
                volume_type: "gp3",
            },
            Dialect::Nova => Leftover {
                name: "results-backup",
                size_gb: 15,
                volume_type: CINDER_TYPE,
            },
        }
    }

    /// The status both EBS and Cinder give a volume.
    pub fn volume_state(self, attached: bool) -> &'static str {
        if attached { "in-use" } else { "available" }
    }

    /// Nova keeps a SHUTOFF server's vCPUs and memory on its host (and in
    /// the quota): the first fleet has one stopped for days to show it.
    pub fn has_long_stopped_server(self) -> bool {
        self == Dialect::Nova
    }

    /// Nova shows a reboot as a status of its own (`REBOOT`); an EC2
    /// instance stays `running` through one.
    pub fn reboot_is_a_state(self) -> bool {
        self == Dialect::Nova
    }

    pub fn address_id(self, rng: &mut Rng) -> String {
        match self {
            Dialect::Ec2 => format!("eipalloc-0{:016x}", rng.u64(..)),
            Dialect::Nova => random_uuid(rng),
        }
    }

    /// The first 24 bits of the public addresses (documentation ranges).
    pub fn public_prefix(self) -> &'static str {
        match self {
            Dialect::Ec2 => "203.0.113",
            Dialect::Nova => "198.51.100",
        }
    }

    /// Where private addresses start counting: a default VPC has handed out
    /// some already, a fresh project network has not.
    pub fn first_private(self, rng: &mut Rng) -> u32 {
        match self {
            Dialect::Ec2 => rng.u32(0..4000),
            Dialect::Nova => 0,
        }
    }

    /// The `k`-th private address of the network.
    pub fn private_ip(self, k: u32) -> String {
        match self {
            Dialect::Ec2 => format!("172.31.{}.{}", (k / 250) % 256, 4 + k % 250),
            Dialect::Nova => format!("192.168.{}.{}", (k / 240) % 256, 10 + k % 240),
        }
    }

    /// The state shown for a phase, and the cloud's own word for it;
    /// `before_delete` is the phase a Nova server had when its delete began
    /// (Nova keeps that status and only sets the task).
    pub fn state(self, phase: Phase, before_delete: Phase) -> (InstanceState, String) {
        match self {
            Dialect::Ec2 => {
                let word = ec2_state(phase);
                (InstanceState::from_ec2(word), word.to_string())
            }
            Dialect::Nova => match phase {
                // Nova's status stays ACTIVE while its task powers it off.
                Phase::Stopping => (InstanceState::Stopping, "ACTIVE (powering-off)".into()),
                Phase::ShuttingDown => {
                    let status = nova_status(before_delete);
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

    /// The host name the guest gives itself.
    pub fn host_name(self, name: &str, private_ip: &str) -> String {
        let from_ip = |prefix: &str| format!("{prefix}-{}", private_ip.replace('.', "-"));
        match self {
            Dialect::Ec2 => from_ip("ip"),
            Dialect::Nova => {
                let h: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect();
                if h.is_empty() { from_ip("host") } else { h }
            }
        }
    }

    /// Older EC2 types (t2) run on Xen; everything else here is KVM.
    pub fn runs_on_xen(self, size: &str) -> bool {
        self == Dialect::Ec2 && size.starts_with("t2.")
    }

    /// The netmask and cloud-init datasource of the guest's network.
    pub fn network_and_datasource(self) -> (&'static str, &'static str) {
        match self {
            Dialect::Ec2 => ("255.255.240.0", "DataSourceEc2Local"),
            Dialect::Nova => ("255.255.255.0", "DataSourceOpenStackLocal"),
        }
    }

    /// The time server a guest syncs with.
    pub fn time_server(self) -> &'static str {
        match self {
            Dialect::Ec2 => "169.254.169.123",
            Dialect::Nova => "192.168.0.1",
        }
    }

    /// The refusal of an action this cloud does not have at all (EC2 has
    /// no hard reboot and no shelve), as the real provider says it.
    pub fn lacks(self, action: PowerAction) -> Option<CloudError> {
        match self {
            Dialect::Ec2 => crate::cloud::aws::unsupported(action),
            Dialect::Nova => None,
        }
    }

    /// What `action` does to an instance in `phase`; `None` when the cloud
    /// refuses it there. EC2 takes a stop of a stopped instance (or a start
    /// of a running one) as done; Nova refuses it with 409.
    pub fn power_change(self, action: PowerAction, phase: Phase) -> Option<PowerChange> {
        use Phase::*;
        use PowerAction::*;
        let ec2 = self == Dialect::Ec2;
        Some(match (action, phase) {
            (Stop, Running | Pending | Rebooting { .. }) => PowerChange::Stop { shelve: false },
            (Stop, Stopped | Stopping | Failed) if ec2 => PowerChange::Nothing,
            (Start, Stopped) => PowerChange::Start,
            (Start, Running | Pending | Rebooting { .. }) if ec2 => PowerChange::Nothing,
            (Reboot, Running) => PowerChange::Reboot { hard: false },
            (HardReboot, Running | Rebooting { .. }) if !ec2 => PowerChange::Reboot { hard: true },
            (Shelve, Running | Stopped) if !ec2 => PowerChange::Stop { shelve: true },
            (Unshelve, Shelved) if !ec2 => PowerChange::Start,
            _ => return None,
        })
    }

    /// The error the cloud answers `refusal` with, word for word.
    pub fn refuse(self, refusal: Refusal<'_>) -> CloudError {
        match self {
            Dialect::Ec2 => ec2_refusal(refusal),
            Dialect::Nova => nova_refusal(refusal),
        }
    }
}

fn ec2_state(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "pending",
        // An EC2 reboot never leaves `running`.
        Phase::Running | Phase::Rebooting { .. } => "running",
        Phase::Stopping => "stopping",
        // EC2 has no failed boot state the course ever sees, nor shelving.
        Phase::Stopped | Phase::Shelved | Phase::Failed => "stopped",
        Phase::ShuttingDown => "shutting-down",
        Phase::Terminated | Phase::Gone => "terminated",
    }
}

fn nova_status(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "BUILD",
        Phase::Running | Phase::ShuttingDown | Phase::Stopping => "ACTIVE",
        Phase::Rebooting { hard: false } => "REBOOT",
        Phase::Rebooting { hard: true } => "HARD_REBOOT",
        Phase::Stopped => "SHUTOFF",
        Phase::Shelved => "SHELVED_OFFLOADED",
        Phase::Failed => "ERROR",
        Phase::Terminated | Phase::Gone => "DELETED",
    }
}

/// The method name Nova's conflict message uses for an action.
fn nova_action(action: PowerAction) -> &'static str {
    match action {
        PowerAction::Stop => "stop",
        PowerAction::Start => "start",
        PowerAction::Reboot | PowerAction::HardReboot => "reboot",
        PowerAction::Shelve => "shelve",
        PowerAction::Unshelve => "unshelve",
    }
}

fn nova_vm_state(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "building",
        Phase::Running | Phase::ShuttingDown | Phase::Stopping | Phase::Rebooting { .. } => {
            "active"
        }
        Phase::Stopped => "stopped",
        Phase::Shelved => "shelved_offloaded",
        Phase::Failed => "error",
        Phase::Terminated | Phase::Gone => "deleted",
    }
}

fn ec2_refusal(refusal: Refusal<'_>) -> CloudError {
    let e = |code: &str, message: String| CloudError::new(code, message);
    match refusal {
        Refusal::UnknownInstance(id) => e(
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{id}' does not exist"),
        ),
        Refusal::UnknownInstances(ids) => e(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", ids.join(", ")),
        ),
        Refusal::ZeroCount => e(
            "InvalidParameterValue",
            "Invalid value '0' for MinCount. Must be at least 1.".to_string(),
        ),
        Refusal::UserDataTooLarge(len) => e(
            "InvalidParameterValue",
            format!("User data is limited to {USER_DATA_LIMIT} bytes (this one has {len} bytes)"),
        ),
        Refusal::UnknownImage(image) => e(
            "InvalidAMIID.NotFound",
            format!("The image id '[{image}]' does not exist"),
        ),
        Refusal::UnknownSize(size) => e(
            "InvalidParameterValue",
            format!("Invalid value '{size}' for InstanceType."),
        ),
        Refusal::UnknownKey(key) => e(
            "InvalidKeyPair.NotFound",
            format!("The key pair '{key}' does not exist"),
        ),
        Refusal::UnknownNetwork(net) => e(
            "InvalidSubnetID.NotFound",
            format!("The subnet ID '{net}' does not exist"),
        ),
        Refusal::UnknownSecurityGroup(group) => e(
            "InvalidGroup.NotFound",
            format!("The security group '{group}' does not exist"),
        ),
        Refusal::Quota {
            requested,
            used,
            quota,
        } => e(
            "InstanceLimitExceeded",
            format!(
                "Your quota allows for {} more running instance(s). You requested at least {requested}.",
                quota.saturating_sub(used)
            ),
        ),
        Refusal::AlreadyAssociated { instance, ip } => e(
            "Resource.AlreadyAssociated",
            format!("The instance '{instance}' already has the public address {ip}."),
        ),
        Refusal::NotRunning { instance, phase } => e(
            "IncorrectInstanceState",
            format!(
                "The {} instance '{instance}' is not in a valid state for this operation.",
                ec2_state(phase)
            ),
        ),
        Refusal::WrongState {
            instance, action, ..
        } => e(
            "IncorrectInstanceState",
            format!(
                "The instance '{instance}' is not in a state from which it can be {}.",
                match action {
                    PowerAction::Stop => "stopped",
                    PowerAction::Start => "started",
                    _ => "rebooted",
                }
            ),
        ),
        Refusal::PoolExhausted => e(
            "AddressLimitExceeded",
            "The maximum number of addresses has been reached.".to_string(),
        ),
        Refusal::NothingAssociated(instance) => e(
            "InvalidAssociationID.NotFound",
            format!("There is no Elastic IP address associated with instance '{instance}'."),
        ),
        Refusal::UnknownAddress(id) => e(
            "InvalidAllocationID.NotFound",
            format!("The allocation ID '{id}' does not exist"),
        ),
        Refusal::AddressInUse { ip, .. } => {
            e("InvalidIPAddress.InUse", format!("Address {ip} is in use."))
        }
        Refusal::UnknownVolume(id) => e(
            "InvalidVolume.NotFound",
            format!("The volume '{id}' does not exist."),
        ),
        Refusal::VolumeInUse { volume, instance } => e(
            "VolumeInUse",
            format!("Volume {volume} is currently attached to {instance}"),
        ),
    }
}

fn nova_refusal(refusal: Refusal<'_>) -> CloudError {
    // Nova and Neutron answer with the HTTP status as the only code.
    let bad_request = |message: String| CloudError::new("400", message);
    let conflict = |message: String| CloudError::new("409", message);
    let not_found = |message: String| CloudError::new("404", message);
    match refusal {
        Refusal::UnknownInstance(id) => not_found(format!("Instance {id} could not be found.")),
        // Nova deletes one server per request and stops at the first unknown one.
        Refusal::UnknownInstances(ids) => not_found(format!(
            "Instance {} could not be found.",
            ids.first().copied().unwrap_or_default()
        )),
        Refusal::ZeroCount => bad_request(
            "Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1"
                .into(),
        ),
        Refusal::UserDataTooLarge(len) => bad_request(format!(
            "User data too large. User data must be no larger than {USER_DATA_LIMIT} bytes. Your data is {len} bytes"
        )),
        Refusal::UnknownImage(image) => {
            bad_request(format!("Image {image} could not be found."))
        }
        Refusal::UnknownSize(_) => bad_request("Invalid flavorRef provided.".into()),
        Refusal::UnknownKey(_) => bad_request("Invalid key_name provided.".into()),
        Refusal::UnknownNetwork(net) => bad_request(format!("Network {net} could not be found.")),
        Refusal::UnknownSecurityGroup(group) => {
            bad_request(format!("Security group {group} not found."))
        }
        Refusal::Quota {
            requested,
            used,
            quota,
        } => CloudError::new(
            "403",
            format!(
                "Quota exceeded for instances: Requested {requested}, but already used {used} of {quota} instances"
            ),
        ),
        Refusal::AlreadyAssociated { instance, ip } => {
            conflict(format!("Server {instance} already has floating IP {ip}."))
        }
        Refusal::NotRunning { instance, phase } => conflict(format!(
            "Cannot 'associate floating IP' instance {instance} while it is in vm_state {}",
            nova_vm_state(phase)
        )),
        Refusal::WrongState {
            instance,
            action,
            phase,
        } => conflict(format!(
            "Cannot '{}' instance {instance} while it is in vm_state {}",
            nova_action(action),
            nova_vm_state(phase)
        )),
        Refusal::PoolExhausted => conflict(format!(
            "No more IP addresses available on network {FLOATING_POOL}."
        )),
        Refusal::NothingAssociated(instance) => not_found(format!(
            "No floating IP is associated with server {instance}."
        )),
        Refusal::UnknownAddress(id) => not_found(format!("Floating IP {id} could not be found.")),
        Refusal::AddressInUse { ip, instance } => conflict(format!(
            "Floating IP {ip} is associated with server {instance}; detach it first."
        )),
        Refusal::UnknownVolume(id) => not_found(format!("Volume {id} could not be found.")),
        // Cinder names every reason a volume may not be deleted at once.
        Refusal::VolumeInUse { .. } => bad_request(
            "Invalid volume: Volume status must be available or error or error_restoring or \
             error_extending or error_managing and must not be migrating, attached, belong to a \
             group, have snapshots, awaiting a transfer, or be disassociated from snapshots after \
             volume transfer."
                .into(),
        ),
    }
}

/// A version 4 UUID from the world's seeded generator, so the ids of a
/// seed are the same on every run.
fn random_uuid(rng: &mut Rng) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.u64(..).to_be_bytes());
    bytes[8..].copy_from_slice(&rng.u64(..).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_follow_the_seed() {
        let a = random_uuid(&mut Rng::with_seed(7));
        assert_eq!(a, random_uuid(&mut Rng::with_seed(7)));
        assert_ne!(a, random_uuid(&mut Rng::with_seed(8)));
        let parsed = uuid::Uuid::parse_str(&a).expect("a uuid");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a, a.to_ascii_lowercase());
    }

    #[test]
    fn every_phase_has_words_in_both_dialects() {
        for phase in [
            Phase::Pending,
            Phase::Running,
            Phase::Stopped,
            Phase::Failed,
            Phase::ShuttingDown,
            Phase::Terminated,
            Phase::Gone,
        ] {
            let (state, word) = Dialect::Ec2.state(phase, Phase::Running);
            assert_eq!(InstanceState::from_ec2(&word), state);
            let (_, word) = Dialect::Nova.state(phase, Phase::Stopped);
            assert!(!word.is_empty());
        }
        assert_eq!(
            Dialect::Nova.state(Phase::ShuttingDown, Phase::Stopped).1,
            "SHUTOFF (deleting)"
        );
    }

    #[test]
    fn nova_flavors_list_their_resources() {
        for (flavor, _) in OPENSTACK_FLAVORS {
            assert!(Dialect::Nova.resources(flavor).is_some(), "{flavor}");
        }
        assert_eq!(Dialect::Nova.resources("m1.small"), Some((1, 2048)));
        assert_eq!(Dialect::Ec2.resources("m1.small"), None);
    }
}
