//! EC2: instances, Elastic IPs, tags, console output and what the launch
//! form offers, mapped into hytop's model.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Address, DomainType, Filter, InstanceType, ResourceType, RunInstancesMonitoringEnabled, Tag,
    TagSpecification,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::errors::{BAD_RESPONSE, ec2_error};
use crate::cloud::{AttachedAddress, CloudError, CloudResult};
use crate::domain::model::{
    Choice, CloudKind, ConsoleOutput, Instance, InstanceState, LaunchOptions, LaunchSpec,
    PublicAddress, USER_DATA_LIMIT, Volume,
};
use crate::domain::text::Text;

/// DescribeInstances page size: the largest EC2 allows (5 to 1000), so a
/// big account lists in as few calls as possible (each call counts against
/// the request rate limit). Only valid without `InstanceIds`, which the
/// listing never sends.
pub const PAGE_SIZE: i32 = 1000;

/// How long the addresses of a listing stay good for the `list_addresses`
/// of the same refresh.
const LISTED_ADDRESSES_TTL: Duration = Duration::from_secs(5);

/// Instance types offered by the launch form (DescribeInstanceTypes lists
/// hundreds; these are the ones a course budget allows).
const COMMON_TYPES: [&str; 10] = [
    "t2.nano",
    "t2.micro",
    "t2.small",
    "t2.medium",
    "t3.nano",
    "t3.micro",
    "t3.small",
    "t3.medium",
    "t3a.micro",
    "t3a.small",
];

/// The addresses the listing just fetched (for Elastic IP associations),
/// handed to the `list_addresses` that follows it in the same refresh
/// instead of asking again.
#[derive(Debug, Default)]
pub(super) struct ListedAddresses(Mutex<Option<(Instant, Vec<Address>)>>);

impl ListedAddresses {
    pub fn keep(&self, addresses: Vec<Address>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), addresses));
    }

    /// The kept addresses, once, if they are recent.
    pub fn take_fresh(&self) -> Option<Vec<Address>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .filter(|(at, _)| at.elapsed() < LISTED_ADDRESSES_TTL)
            .map(|(_, addresses)| addresses)
    }

    /// Forgets them: an address change is about to make them stale.
    pub fn forget(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// An id field as the API returned it; empty means absent (moto sends
/// `""` for a disassociated address).
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

pub(super) fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(t.secs(), t.subsec_nanos()).single()
}

/// The account's VPC Elastic IPs.
pub(super) async fn vpc_addresses(ec2: &Client) -> CloudResult<Vec<Address>> {
    let out = ec2
        .describe_addresses()
        .filters(Filter::builder().name("domain").values("vpc").build())
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(out.addresses().to_vec())
}

/// Every instance of the region, page by page, with its Elastic IP from
/// `addresses`.
pub(super) async fn describe_instances(
    ec2: &Client,
    account: &str,
    region: &str,
    addresses: &[Address],
) -> CloudResult<Vec<Instance>> {
    let eips: HashMap<String, String> = addresses
        .iter()
        .filter_map(|a| {
            Some((
                present(a.instance_id())?.to_string(),
                present(a.allocation_id())?.to_string(),
            ))
        })
        .collect();
    let mut pages = ec2
        .describe_instances()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(ec2_error)?;
        for reservation in page.reservations() {
            for i in reservation.instances() {
                out.push(to_instance(account, region, i, &eips)?);
            }
        }
    }
    Ok(out)
}

/// Maps one EC2 instance into the shared model. EC2 always sends an
/// instance's id, state and launch time: an instance without one is a
/// damaged answer, and the whole listing is refused rather than showing a
/// made-up row (or hiding a real one) in its place.
fn to_instance(
    account: &str,
    region: &str,
    i: &aws_sdk_ec2::types::Instance,
    eips: &HashMap<String, String>,
) -> CloudResult<Instance> {
    let id = present(i.instance_id())
        .ok_or_else(|| incomplete_instance("an instance id", None))?
        .to_string();
    let raw_state = i
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| incomplete_instance("a state", Some(&id)))?;
    let launched_at = i
        .launch_time()
        .and_then(to_chrono)
        .ok_or_else(|| incomplete_instance("a launch time", Some(&id)))?;
    let tags: BTreeMap<String, String> = i
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    let detailed = matches!(
        i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()),
        Some("enabled" | "pending")
    );
    let mut extra = Vec::new();
    if let Some(vpc) = i.vpc_id() {
        extra.push(("VPC", vpc.into()));
    }
    if let Some(subnet) = i.subnet_id() {
        extra.push(("subnet", subnet.into()));
    }
    let groups: Vec<String> = i
        .security_groups()
        .iter()
        .map(|g| match (g.group_id(), g.group_name()) {
            (Some(id), Some(name)) => format!("{id} ({name})"),
            (Some(id), None) => id.to_string(),
            (None, Some(name)) => name.to_string(),
            (None, None) => "?".to_string(),
        })
        .collect();
    if !groups.is_empty() {
        extra.push(("security groups", groups.join(", ").into()));
    }
    extra.push((
        "monitoring",
        i.monitoring()
            .and_then(|m| m.state())
            .map_or("-", |s| s.as_str())
            .into(),
    ));
    if let Some(allocation) = eips.get(&id) {
        extra.push(("Elastic IP", Text::unique(allocation.clone())));
    }
    if let Some(root) = present(i.root_device_name()) {
        let root = match i.root_device_type() {
            Some(kind) => format!("{root} ({})", kind.as_str()),
            None => root.to_string(),
        };
        extra.push(("root device", root.into()));
    }
    let volumes = block_device_volumes(&id, i.block_device_mappings());
    let state_since = present(i.state_transition_reason())
        .and_then(transition_time)
        // EC2 may keep the reason of an earlier state (a stop before the
        // last start): a time before the last start is not this state's.
        .filter(|since| *since >= launched_at);
    Ok(Instance {
        kind: CloudKind::Aws,
        account: account.into(),
        region: region.into(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        state: InstanceState::from_ec2(&raw_state),
        raw_state: raw_state.into(),
        size: i
            .instance_type()
            .map(|t| t.as_str())
            .unwrap_or_default()
            .into(),
        vcpus: None,
        memory_mb: None,
        image: i.image_id().unwrap_or_default().into(),
        // DescribeImages tells it, once per AMI (`images`).
        image_name: None,
        key_name: i.key_name().map(str::to_string),
        public_ip: i.public_ip_address().map(str::to_string),
        private_ip: i.private_ip_address().map(str::to_string),
        launched_at: Some(launched_at),
        tags,
        detailed_monitoring: detailed,
        id,
        volumes,
        state_since,
        extra,
    })
}

/// The EBS volumes an instance lists as its block devices: their ids,
/// devices and whether they go with it; size and type come from the
/// volume listing (`attach_volumes`). Instance-store devices have no
/// volume and are left out.
fn block_device_volumes(
    instance_id: &str,
    mappings: &[aws_sdk_ec2::types::InstanceBlockDeviceMapping],
) -> Vec<Volume> {
    mappings
        .iter()
        .filter_map(|m| {
            let ebs = m.ebs()?;
            Some(Volume {
                id: present(ebs.volume_id())?.to_string(),
                name: None,
                size_gb: None,
                volume_type: None,
                // What DescribeVolumes says of any attached volume, even
                // while attaching or detaching.
                state: Text::from("in-use"),
                instance_id: Some(instance_id.to_string()),
                device: present(m.device_name()).map(str::to_string),
                delete_on_termination: ebs.delete_on_termination(),
            })
        })
        .collect()
}

/// The time in an EC2 `StateTransitionReason`, which EC2 writes as
/// `User initiated (2026-11-21 10:00:00 GMT)` (moto: `... UTC)`); `None`
/// for a reason without one (`""`, `Server.InternalError`).
fn transition_time(reason: &str) -> Option<DateTime<Utc>> {
    reason
        .split('(')
        .skip(1)
        .filter_map(|part| part.split_once(')').map(|(inside, _)| inside.trim()))
        .find_map(|inside| {
            let naive = inside
                .strip_suffix(" GMT")
                .or_else(|| inside.strip_suffix(" UTC"))?;
            NaiveDateTime::parse_from_str(naive.trim(), "%Y-%m-%d %H:%M:%S").ok()
        })
        .map(|naive| naive.and_utc())
}

/// The error for a listed instance that lacks `what`.
fn incomplete_instance(what: &str, id: Option<&str>) -> CloudError {
    let which = id.map(|id| format!(" ({id})")).unwrap_or_default();
    CloudError::new(
        BAD_RESPONSE,
        format!(
            "the EC2 endpoint listed an instance{which} without {what}: the answer is damaged, so the listing is not used"
        ),
    )
}

/// Refuses user-data EC2 would refuse, before any call.
pub(super) fn check_user_data(spec: &LaunchSpec) -> CloudResult<()> {
    match &spec.user_data {
        Some(data) if data.len() > USER_DATA_LIMIT => Err(CloudError::new(
            "UserDataTooLarge",
            format!(
                "user-data is {} bytes; the limit is {USER_DATA_LIMIT} bytes",
                data.len()
            ),
        )),
        _ => Ok(()),
    }
}

/// `RunInstances`; the new instance ids.
pub(super) async fn run_instances(ec2: &Client, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
    let count = i32::try_from(spec.count).unwrap_or(i32::MAX);
    let tags: Vec<Tag> = spec
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    // Groups by id and by name (the default VPC takes names) go apart.
    let (ids, names): (Vec<&String>, Vec<&String>) = spec
        .security_groups
        .iter()
        .partition(|g| g.starts_with("sg-"));
    let mut run = ec2
        .run_instances()
        .image_id(&spec.image)
        .instance_type(InstanceType::from(spec.size.as_str()))
        .min_count(count)
        .max_count(count)
        .monitoring(
            RunInstancesMonitoringEnabled::builder()
                .enabled(spec.detailed_monitoring)
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(tags))
                .build(),
        )
        .set_key_name(spec.key_name.clone())
        .set_subnet_id(spec.network.clone());
    if !ids.is_empty() {
        run = run.set_security_group_ids(Some(ids.into_iter().cloned().collect()));
    }
    if !names.is_empty() {
        run = run.set_security_groups(Some(names.into_iter().cloned().collect()));
    }
    if let Some(data) = &spec.user_data {
        run = run.user_data(BASE64.encode(data));
    }
    let out = run.send().await.map_err(ec2_error)?;
    Ok(out
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect())
}

pub(super) async fn terminate_instances(ec2: &Client, instance_ids: &[String]) -> CloudResult<()> {
    ec2.terminate_instances()
        .set_instance_ids(Some(instance_ids.to_vec()))
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(())
}

/// Associates an Elastic IP with the instance: an allocated but free one
/// of `addresses` if there is one, else a new allocation.
pub(super) async fn attach(
    ec2: &Client,
    addresses: &[Address],
    instance_id: &str,
) -> CloudResult<AttachedAddress> {
    if let Some(a) = addresses
        .iter()
        .find(|a| present(a.instance_id()) == Some(instance_id))
    {
        return Err(CloudError::new(
            "Resource.AlreadyAssociated",
            format!(
                "{instance_id} already has the Elastic IP {}",
                a.public_ip().unwrap_or("?")
            ),
        ));
    }
    // An allocated but unassociated address costs money: use it first.
    let free = addresses
        .iter()
        .find(|a| present(a.association_id()).is_none() && present(a.instance_id()).is_none());
    let (allocation, ip, reused) = match free {
        Some(a) => (
            a.allocation_id().unwrap_or_default().to_string(),
            a.public_ip().unwrap_or_default().to_string(),
            true,
        ),
        None => {
            let out = ec2
                .allocate_address()
                .domain(DomainType::Vpc)
                .send()
                .await
                .map_err(ec2_error)?;
            (
                out.allocation_id().unwrap_or_default().to_string(),
                out.public_ip().unwrap_or_default().to_string(),
                false,
            )
        }
    };
    ec2.associate_address()
        .instance_id(instance_id)
        .allocation_id(&allocation)
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(AttachedAddress { ip, reused })
}

/// Disassociates the instance's Elastic IP (of `addresses`); its address.
pub(super) async fn detach(
    ec2: &Client,
    addresses: &[Address],
    instance_id: &str,
) -> CloudResult<String> {
    let Some(a) = addresses
        .iter()
        .find(|a| present(a.instance_id()) == Some(instance_id))
    else {
        return Err(CloudError::new(
            "InvalidAssociationID.NotFound",
            format!("{instance_id} has no Elastic IP to detach"),
        ));
    };
    let association = a.association_id().unwrap_or_default().to_string();
    ec2.disassociate_address()
        .association_id(association)
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(a.public_ip().unwrap_or_default().to_string())
}

pub(super) fn to_public_addresses(addresses: &[Address]) -> Vec<PublicAddress> {
    addresses
        .iter()
        .map(|a| PublicAddress {
            id: a.allocation_id().unwrap_or_default().to_string(),
            ip: a.public_ip().unwrap_or_default().to_string(),
            instance_id: present(a.instance_id()).map(str::to_string),
            pool: a.network_border_group().map(str::to_string),
        })
        .collect()
}

/// Releases an Elastic IP unless `addresses` says an instance holds it.
pub(super) async fn release(
    ec2: &Client,
    addresses: &[Address],
    address_id: &str,
) -> CloudResult<()> {
    // Releasing an address in use would cut an instance off the net;
    // AWS refuses too, but not every endpoint (emulators) does.
    if let Some(a) = addresses
        .iter()
        .find(|a| a.allocation_id() == Some(address_id))
        && let Some(instance) = present(a.instance_id())
    {
        return Err(CloudError::new(
            "InvalidIPAddress.InUse",
            format!(
                "{} is associated with {instance}: detach it first",
                a.public_ip().unwrap_or(address_id)
            ),
        ));
    }
    ec2.release_address()
        .allocation_id(address_id)
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(())
}

pub(super) async fn create_tags(
    ec2: &Client,
    instance_id: &str,
    tags: &BTreeMap<String, String>,
) -> CloudResult<()> {
    let tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    ec2.create_tags()
        .resources(instance_id)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(())
}

pub(super) async fn console_output(
    ec2: &Client,
    instance_id: &str,
    lines: u32,
) -> CloudResult<ConsoleOutput> {
    // The newest output needs a Nitro instance; older types refuse
    // `Latest`, and then the last buffered output is the best there is.
    let out = match ec2
        .get_console_output()
        .instance_id(instance_id)
        .latest(true)
        .send()
        .await
    {
        Ok(out) => out,
        Err(SdkError::ServiceError(e))
            if matches!(
                e.err().code(),
                Some("UnsupportedOperation" | "InvalidParameterValue" | "InvalidParameter")
            ) =>
        {
            ec2.get_console_output()
                .instance_id(instance_id)
                .send()
                .await
                .map_err(ec2_error)?
        }
        Err(e) => return Err(ec2_error(e)),
    };
    let text = match out.output() {
        Some(encoded) => {
            let bytes = BASE64
                .decode(encoded.trim())
                .map_err(|e| CloudError::new("BadConsoleOutput", e.to_string()))?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        None => String::new(),
    };
    Ok(ConsoleOutput {
        instance_id: instance_id.to_string(),
        text: crate::cloud::tail_lines(&text, lines),
        fetched_at: Utc::now(),
    })
}

/// The account's own images, key pairs, security groups and subnets, and
/// the instance types a course budget allows.
pub(super) async fn launch_options(ec2: &Client) -> CloudResult<LaunchOptions> {
    let (images, keys, groups, subnets) = tokio::join!(
        ec2.describe_images().owners("self").send(),
        ec2.describe_key_pairs().send(),
        ec2.describe_security_groups().send(),
        ec2.describe_subnets().send(),
    );
    let name_tag = |tags: &[Tag]| {
        tags.iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    Ok(LaunchOptions {
        images: images
            .map_err(ec2_error)?
            .images()
            .iter()
            .filter_map(|i| {
                Some(Choice::new(
                    i.image_id()?,
                    i.name().unwrap_or_else(|| i.image_id().unwrap_or_default()),
                ))
            })
            .collect(),
        sizes: COMMON_TYPES.iter().map(|t| Choice::new(*t, *t)).collect(),
        networks: subnets
            .map_err(ec2_error)?
            .subnets()
            .iter()
            .filter_map(|s| {
                let id = s.subnet_id()?;
                let label = format!(
                    "{} {} {}",
                    name_tag(s.tags()).unwrap_or_default(),
                    s.availability_zone().unwrap_or_default(),
                    s.cidr_block().unwrap_or_default()
                );
                Some(Choice::new(id, label.trim()))
            })
            .collect(),
        key_names: keys
            .map_err(ec2_error)?
            .key_pairs()
            .iter()
            .filter_map(|k| Some(Choice::new(k.key_name()?, k.key_name()?)))
            .collect(),
        security_groups: groups
            .map_err(ec2_error)?
            .security_groups()
            .iter()
            .filter_map(|g| {
                Some(Choice::new(
                    g.group_id()?,
                    g.group_name().unwrap_or_default(),
                ))
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{EbsInstanceBlockDevice, InstanceBlockDeviceMapping};

    use super::*;

    #[test]
    fn transition_times_are_read_in_utc() {
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).single();
        assert_eq!(
            transition_time("User initiated (2026-11-21 10:00:00 GMT)"),
            at
        );
        assert_eq!(
            transition_time("User initiated (2026-11-21 10:00:00 UTC)"),
            at
        );
        assert_eq!(
            transition_time("Service initiated (maintenance) (2026-11-21 10:00:00 GMT)"),
            at
        );
    }

    #[test]
    fn reasons_without_a_time_have_none() {
        for reason in [
            "",
            "User initiated",
            "Server.InternalError",
            "User initiated (maintenance)",
            "User initiated (2026-11-21 10:00:00",
            // Without its zone a time is not known to be UTC.
            "User initiated (2026-11-21 10:00:00)",
            "User initiated (2026-13-40 10:00:00 GMT)",
            "User initiated (2026-11-21T10:00:00Z)",
        ] {
            assert_eq!(transition_time(reason), None, "{reason:?}");
        }
    }

    fn stopped(reason: &str) -> aws_sdk_ec2::types::Instance {
        aws_sdk_ec2::types::Instance::builder()
            .instance_id("i-1")
            .state(
                aws_sdk_ec2::types::InstanceState::builder()
                    .name(aws_sdk_ec2::types::InstanceStateName::Stopped)
                    .build(),
            )
            .launch_time(aws_smithy_types::DateTime::from_secs(
                Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
                    .single()
                    .map_or(0, |t| t.timestamp()),
            ))
            .state_transition_reason(reason)
            .build()
    }

    #[test]
    fn state_since_is_the_reasons_time_unless_it_predates_the_last_start() {
        let map = |reason: &str| {
            to_instance("a", "r", &stopped(reason), &HashMap::new())
                .map(|i| i.state_since)
                .ok()
                .flatten()
        };
        assert_eq!(
            map("User initiated (2026-11-21 10:00:00 GMT)"),
            Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).single()
        );
        assert_eq!(map("User initiated (2026-11-20 10:00:00 GMT)"), None);
        assert_eq!(map(""), None);
    }

    #[test]
    fn block_devices_are_the_instances_ebs_volumes() {
        let ebs = |id: &str, delete: bool| {
            EbsInstanceBlockDevice::builder()
                .volume_id(id)
                .delete_on_termination(delete)
                .build()
        };
        let mappings = [
            InstanceBlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(ebs("vol-root", true))
                .build(),
            InstanceBlockDeviceMapping::builder()
                .device_name("/dev/sdb")
                .build(),
            InstanceBlockDeviceMapping::builder()
                .device_name("/dev/xvdf")
                .ebs(ebs("vol-data", false))
                .build(),
        ];
        let got = block_device_volumes("i-1", &mappings);
        let summary: Vec<(&str, Option<&str>, Option<bool>)> = got
            .iter()
            .map(|v| (v.id.as_str(), v.device.as_deref(), v.delete_on_termination))
            .collect();
        assert_eq!(
            summary,
            [
                ("vol-root", Some("/dev/xvda"), Some(true)),
                ("vol-data", Some("/dev/xvdf"), Some(false)),
            ]
        );
        assert!(got.iter().all(|v| v.instance_id.as_deref() == Some("i-1")));
        assert!(got[1].outlives_instance());
    }
}
