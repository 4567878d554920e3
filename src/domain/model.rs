//! The normalised cloud model every provider maps into and every view reads.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use super::text::Text;

/// Which kind of cloud an instance lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CloudKind {
    Aws,
    OpenStack,
}

impl CloudKind {
    pub fn label(self) -> &'static str {
        match self {
            CloudKind::Aws => "aws",
            CloudKind::OpenStack => "openstack",
        }
    }

    /// Short tag for narrow table columns.
    pub fn short(self) -> &'static str {
        match self {
            CloudKind::Aws => "AWS",
            CloudKind::OpenStack => "OS",
        }
    }

    /// The login user of the course images.
    pub fn default_login_user(self) -> &'static str {
        match self {
            CloudKind::Aws => "ec2-user",
            CloudKind::OpenStack => "cloud",
        }
    }
}

/// One state set for both clouds; the cloud's own word is kept in
/// [`Instance::raw_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceState {
    Pending,
    Running,
    Stopping,
    Stopped,
    Terminated,
    Error,
}

impl InstanceState {
    pub const ALL: [InstanceState; 6] = [
        InstanceState::Pending,
        InstanceState::Running,
        InstanceState::Stopping,
        InstanceState::Stopped,
        InstanceState::Terminated,
        InstanceState::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
            InstanceState::Terminated => "terminated",
            InstanceState::Error => "error",
        }
    }

    /// Maps an EC2 `InstanceState.Name`.
    pub fn from_ec2(name: &str) -> InstanceState {
        match name {
            "pending" => InstanceState::Pending,
            "running" => InstanceState::Running,
            // Shutting-down ends in terminated, but it still runs (and bills) now.
            "stopping" | "shutting-down" => InstanceState::Stopping,
            "stopped" => InstanceState::Stopped,
            "terminated" => InstanceState::Terminated,
            _ => InstanceState::Error,
        }
    }

    /// Maps a Nova server `status`, refined by `OS-EXT-STS:task_state`.
    pub fn from_nova(status: &str, task_state: Option<&str>) -> InstanceState {
        // While a power action runs Nova's status still names the state it
        // started from (ACTIVE while powering off or shelving, SHUTOFF while
        // powering on or hard rebooting, SHELVED_OFFLOADED while
        // unshelving): the task says where it is going.
        match task_state {
            Some(
                "deleting"
                | "powering-off"
                | "shelving"
                | "shelving_image_pending_upload"
                | "shelving_image_uploading"
                | "shelving_offloading",
            ) => return InstanceState::Stopping,
            Some(
                "powering-on"
                | "unshelving"
                | "spawning"
                | "rebooting_hard"
                | "reboot_pending_hard"
                | "reboot_started_hard",
            ) => return InstanceState::Pending,
            _ => {}
        }
        match status {
            "BUILD" | "REBUILD" | "REBOOT" | "HARD_REBOOT" | "PASSWORD" => InstanceState::Pending,
            "ACTIVE" | "RESIZE" | "VERIFY_RESIZE" | "REVERT_RESIZE" | "MIGRATING" | "RESCUE" => {
                InstanceState::Running
            }
            "SHUTOFF" | "PAUSED" | "SUSPENDED" | "SHELVED" | "SHELVED_OFFLOADED" => {
                InstanceState::Stopped
            }
            "DELETED" | "SOFT_DELETED" => InstanceState::Terminated,
            _ => InstanceState::Error,
        }
    }

    /// Whether an instance in this state holds (and usually bills for) compute.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            InstanceState::Pending | InstanceState::Running | InstanceState::Stopping
        )
    }
}

impl fmt::Display for InstanceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One VM, normalised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub kind: CloudKind,
    /// AWS profile or OpenStack cloud name.
    pub account: Text,
    /// AWS region, or the OpenStack region (often the cloud name when unset).
    pub region: Text,
    pub id: String,
    pub name: String,
    pub state: InstanceState,
    /// The cloud's own word for the state (`shutting-down`, `ACTIVE`, ...).
    pub raw_state: Text,
    /// Instance type or flavor name.
    pub size: Text,
    /// vCPUs and memory of the flavor, where the cloud says (OpenStack);
    /// what an OpenStack server holds when its flavor has no price.
    pub vcpus: Option<u32>,
    pub memory_mb: Option<u64>,
    /// Image id: AMI id, or Glance image UUID (`(volume)` for a server
    /// booted from a volume).
    pub image: Text,
    /// The image's name, where the cloud told it (the image may be gone,
    /// or not visible to this account).
    pub image_name: Option<Text>,
    pub key_name: Option<String>,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    pub launched_at: Option<DateTime<Utc>>,
    /// AWS tags or Nova metadata.
    pub tags: BTreeMap<String, String>,
    /// Whether the provider collects fine-grained metrics (AWS detailed monitoring).
    pub detailed_monitoring: bool,
    /// Cloud-specific facts for the describe view (subnet, VPC, security
    /// groups, Elastic IP association, ...), in display order.
    pub extra: Vec<(&'static str, Text)>,
    /// The volumes attached to it: the listing knows their ids (and, where
    /// the cloud says, whether they go with the instance); the volume
    /// listing adds size and type ([`attach_volumes`]).
    pub volumes: Vec<Volume>,
    /// When it entered its current state, where the cloud says (Nova's
    /// `updated`, EC2's `StateTransitionReason` time); how long a stopped
    /// server has held its flavor.
    pub state_since: Option<DateTime<Utc>>,
}

impl Instance {
    /// The address ssh should use: public first, else private.
    pub fn ssh_address(&self) -> Option<&str> {
        self.public_ip.as_deref().or(self.private_ip.as_deref())
    }

    /// `ubuntu-22.04 (5b6e3c1a-…)`: the image's name and id, or the id
    /// alone while no name is known.
    pub fn image_text(&self) -> String {
        match self.image_name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(name) if name != self.image.as_str() => format!("{name} ({})", self.image),
            _ => self.image.to_string(),
        }
    }

    /// Age at `now`, if the launch time is known.
    pub fn age(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.launched_at.map(|t| now - t)
    }
}

/// One series of datapoints, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Series {
    /// Seconds between datapoints.
    pub period_secs: u32,
    pub points: Vec<(DateTime<Utc>, f64)>,
}

impl Series {
    pub fn latest(&self) -> Option<f64> {
        self.points.last().map(|(_, v)| *v)
    }

    /// The series as one point: the mean of its points, at the time of the
    /// last, covering all their periods. What the idle rule needs of a
    /// fleet, in a fraction of the memory.
    pub fn summarised(&self) -> Series {
        let n = self.points.len();
        let Some(&(last, _)) = self.points.last() else {
            return self.clone();
        };
        let mean = self.points.iter().map(|(_, v)| v).sum::<f64>() / n as f64;
        Series {
            period_secs: self.period_secs.saturating_mul(n as u32),
            points: vec![(last, mean)],
        }
    }
}

/// The two metrics hytop shows for an instance, over one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstanceMetrics {
    /// CPU utilisation in percent.
    pub cpu: Series,
    /// Bytes received per period.
    pub net_in: Series,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
}

/// A public address the cloud has allocated to the project/account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicAddress {
    /// Allocation id (AWS) or floating IP id (OpenStack).
    pub id: String,
    pub ip: String,
    /// The instance it is associated to, if any.
    pub instance_id: Option<String>,
    pub pool: Option<String>,
}

/// A block-storage volume: an EBS volume (AWS) or a Cinder volume
/// (OpenStack). It bills by size whether or not its instance runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volume {
    pub id: String,
    /// The `Name` tag (AWS) or the volume's name (Cinder).
    pub name: Option<String>,
    /// GiB; `None` until the volume listing said.
    pub size_gb: Option<u64>,
    /// `gp3`, `gp2`, `io1`, ... (AWS) or the Cinder volume type.
    pub volume_type: Option<Text>,
    /// The cloud's own word: `in-use`, `available` (attached to nothing), ...
    pub state: Text,
    /// The instance it is attached to (the first, for multi-attach).
    pub instance_id: Option<String>,
    /// Where it is attached (`/dev/xvda`).
    pub device: Option<String>,
    /// Whether terminating the instance deletes it; `None` where unknown.
    pub delete_on_termination: Option<bool>,
}

impl Volume {
    /// Attached to nothing: it bills and serves no one.
    pub fn is_unattached(&self) -> bool {
        self.instance_id
            .as_deref()
            .is_none_or(|id| id.trim().is_empty())
    }

    /// `8 GiB gp3`, `8 GiB`, `gp3`, `volume`.
    pub fn summary(&self) -> String {
        match (self.size_gb, &self.volume_type) {
            (Some(gb), Some(t)) => format!("{gb} GiB {t}"),
            (Some(gb), None) => format!("{gb} GiB"),
            (None, Some(t)) => t.to_string(),
            (None, None) => "volume".into(),
        }
    }

    /// Survives its instance's termination (and keeps billing).
    pub fn outlives_instance(&self) -> bool {
        self.delete_on_termination == Some(false)
    }
}

/// Fills every instance's [`Instance::volumes`] from a volume listing of
/// its region: an entry the instance listing already has (by id) gets the
/// size, type and state; a volume attached to a listed instance that its
/// listing did not name is added. Volumes of unlisted instances are left
/// out; the unattached ones are [`Volume::is_unattached`] in `volumes`.
pub fn attach_volumes(instances: &mut [Instance], volumes: &[Volume]) {
    use std::collections::HashMap;
    let index: HashMap<String, usize> = instances
        .iter()
        .enumerate()
        .map(|(n, i)| (i.id.clone(), n))
        .collect();
    for volume in volumes {
        let Some(&n) = volume.instance_id.as_deref().and_then(|id| index.get(id)) else {
            continue;
        };
        let attached = &mut instances[n].volumes;
        match attached.iter_mut().find(|v| v.id == volume.id) {
            Some(known) => {
                let delete_on_termination =
                    volume.delete_on_termination.or(known.delete_on_termination);
                let device = volume.device.clone().or_else(|| known.device.take());
                *known = Volume {
                    delete_on_termination,
                    device,
                    ..volume.clone()
                };
            }
            None => attached.push(volume.clone()),
        }
    }
}

/// What one launch asks for; built from a template plus the user's edits.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSpec {
    pub region: String,
    pub name: String,
    pub count: u32,
    pub image: String,
    pub size: String,
    pub key_name: Option<String>,
    pub security_groups: Vec<String>,
    /// Subnet id (AWS) or network id (OpenStack).
    pub network: Option<String>,
    /// Raw user-data bytes; providers base64-encode them.
    pub user_data: Option<Vec<u8>>,
    pub detailed_monitoring: bool,
    pub tags: BTreeMap<String, String>,
}

/// One choice the launch form can offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

impl Choice {
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Self {
        Choice {
            id: id.into(),
            label: label.into(),
        }
    }
}

/// Everything the launch form can list for one cloud/region.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LaunchOptions {
    pub images: Vec<Choice>,
    pub sizes: Vec<Choice>,
    pub networks: Vec<Choice>,
    pub key_names: Vec<Choice>,
    pub security_groups: Vec<Choice>,
}

/// Console output as the cloud returned it (already decoded).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleOutput {
    pub instance_id: String,
    pub text: String,
    pub fetched_at: DateTime<Utc>,
}

/// Largest user-data (raw bytes) any launch accepts: EC2's limit.
pub const USER_DATA_LIMIT: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_states_normalise() {
        assert_eq!(InstanceState::from_ec2("pending"), InstanceState::Pending);
        assert_eq!(InstanceState::from_ec2("running"), InstanceState::Running);
        assert_eq!(
            InstanceState::from_ec2("shutting-down"),
            InstanceState::Stopping
        );
        assert_eq!(InstanceState::from_ec2("stopped"), InstanceState::Stopped);
        assert_eq!(
            InstanceState::from_ec2("terminated"),
            InstanceState::Terminated
        );
        assert_eq!(InstanceState::from_ec2("bogus"), InstanceState::Error);
    }

    #[test]
    fn nova_states_normalise() {
        assert_eq!(
            InstanceState::from_nova("BUILD", None),
            InstanceState::Pending
        );
        assert_eq!(
            InstanceState::from_nova("ACTIVE", None),
            InstanceState::Running
        );
        assert_eq!(
            InstanceState::from_nova("ACTIVE", Some("deleting")),
            InstanceState::Stopping
        );
        assert_eq!(
            InstanceState::from_nova("SHUTOFF", None),
            InstanceState::Stopped
        );
        assert_eq!(
            InstanceState::from_nova("ERROR", None),
            InstanceState::Error
        );
        assert_eq!(
            InstanceState::from_nova("DELETED", None),
            InstanceState::Terminated
        );
    }

    #[test]
    fn the_image_reads_by_name_with_its_id() {
        let mut i = crate::testutil::instance("i-1", "a");
        assert_eq!(i.image_text(), "ami-0abc");
        i.image_name = Some("ubuntu-22.04-lab".into());
        assert_eq!(i.image_text(), "ubuntu-22.04-lab (ami-0abc)");
        // Glance lets a name be the id, or blank: nothing to add then.
        for name in ["ami-0abc", " "] {
            i.image_name = Some(name.into());
            assert_eq!(i.image_text(), "ami-0abc", "{name:?}");
        }
    }

    fn volume(id: &str, instance: Option<&str>) -> Volume {
        Volume {
            id: id.into(),
            name: None,
            size_gb: Some(8),
            volume_type: Some("gp3".into()),
            state: if instance.is_some() {
                "in-use"
            } else {
                "available"
            }
            .into(),
            instance_id: instance.map(str::to_string),
            device: None,
            delete_on_termination: None,
        }
    }

    #[test]
    fn volume_listings_join_into_their_instances() {
        let mut a = crate::testutil::instance("i-1", "a");
        // The instance listing named its root volume without a size.
        a.volumes = vec![Volume {
            size_gb: None,
            volume_type: None,
            device: Some("/dev/xvda".into()),
            delete_on_termination: Some(true),
            ..volume("vol-root", Some("i-1"))
        }];
        let b = crate::testutil::instance("i-2", "b");
        let mut list = vec![a, b];
        let listed = [
            volume("vol-root", Some("i-1")),
            volume("vol-data", Some("i-2")),
            volume("vol-other", Some("i-9")),
            volume("vol-loose", None),
        ];
        attach_volumes(&mut list, &listed);
        let root = &list[0].volumes[0];
        assert_eq!(list[0].volumes.len(), 1);
        assert_eq!(root.size_gb, Some(8));
        assert_eq!(root.summary(), "8 GiB gp3");
        // What only the instance listing knew is kept.
        assert_eq!(root.device.as_deref(), Some("/dev/xvda"));
        assert_eq!(root.delete_on_termination, Some(true));
        let ids: Vec<&str> = list[1].volumes.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["vol-data"]);
        // Joining twice adds nothing.
        attach_volumes(&mut list, &listed);
        assert_eq!(list[1].volumes.len(), 1);
        assert!(listed[3].is_unattached() && !listed[0].is_unattached());
        assert!(!listed[0].outlives_instance());
    }

    #[test]
    fn ssh_prefers_public_address() {
        let mut i = crate::testutil::instance("i-1", "web");
        i.private_ip = Some("10.0.0.5".into());
        assert_eq!(i.ssh_address(), Some("10.0.0.5"));
        i.public_ip = Some("203.0.113.9".into());
        assert_eq!(i.ssh_address(), Some("203.0.113.9"));
    }
}
