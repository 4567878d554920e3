//! What EC2 tells the doctor about one instance ([`crate::cloud::facts`]):
//! its status checks, its security groups' ingress rules, its key pair and
//! its image. Each kind is its own call (or two), so one slow or refused
//! answer holds up no other check.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Image, InstanceStatus, IpPermission, KeyPairInfo, SecurityGroup as Ec2SecurityGroup,
};

use super::errors::ec2_error;
use crate::cloud::CloudResult;
use crate::cloud::facts::{
    FactKind, Facts, ImageFacts, IngressRule, KeyPairFacts, NetworkFacts, Protocol, SecurityGroup,
    Source, StatusFacts,
};
use crate::domain::model::Instance;

/// EC2's code for a key name it does not know (deleted since launch).
const KEY_NOT_FOUND: &str = "InvalidKeyPair.NotFound";

/// EC2's codes for an image id it no longer knows: deregistered long ago
/// (`NotFound`) or just now (`Unavailable`).
const IMAGE_GONE: [&str; 2] = ["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"];

pub(super) async fn facts(ec2: &Client, instance: &Instance, kind: FactKind) -> CloudResult<Facts> {
    match kind {
        FactKind::Status => status(ec2, &instance.id).await.map(Facts::Status),
        FactKind::SecurityGroups => security_groups(ec2, &instance.id)
            .await
            .map(Facts::SecurityGroups),
        // A public address on EC2 needs no router of the user's making (the
        // VPC's internet gateway comes with the default VPC), so there is
        // nothing to ask; the doctor's address check does not ask either.
        FactKind::Network => Ok(Facts::Network(NetworkFacts::default())),
        FactKind::KeyPair => match instance.key_name.as_deref().filter(|k| !k.is_empty()) {
            Some(name) => key_pair(ec2, name).await.map(Facts::KeyPair),
            None => Ok(Facts::KeyPair(None)),
        },
        FactKind::Image => match Some(instance.image.as_str()).filter(|i| !i.is_empty()) {
            Some(id) => image(ec2, id).await.map(Facts::Image),
            None => Ok(Facts::Image(None)),
        },
    }
}

/// `DescribeInstanceStatus` for one instance, stopped ones included
/// (without `IncludeAllInstances` EC2 answers nothing for them).
async fn status(ec2: &Client, instance_id: &str) -> CloudResult<StatusFacts> {
    let out = ec2
        .describe_instance_status()
        .instance_ids(instance_id)
        .include_all_instances(true)
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(to_status(instance_id, out.instance_statuses()))
}

/// The status checks of `instance_id` among `statuses`; none when EC2 has
/// none for it (an instance that has just been launched or is gone).
pub(super) fn to_status(instance_id: &str, statuses: &[InstanceStatus]) -> StatusFacts {
    let Some(s) = statuses
        .iter()
        .find(|s| s.instance_id() == Some(instance_id))
    else {
        return StatusFacts::default();
    };
    let word = |summary: Option<&aws_sdk_ec2::types::InstanceStatusSummary>| {
        summary
            .and_then(|x| x.status())
            .map(|x| x.as_str().to_string())
            .filter(|x| !x.is_empty())
    };
    StatusFacts {
        system: word(s.system_status()),
        instance: word(s.instance_status()),
        ..StatusFacts::default()
    }
}

/// The instance's groups (from `DescribeInstances` by id: the listing keeps
/// them only as display text), then their rules, in the instance's order.
async fn security_groups(ec2: &Client, instance_id: &str) -> CloudResult<Vec<SecurityGroup>> {
    let out = ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .map_err(ec2_error)?;
    let mut ids: Vec<String> = Vec::new();
    for i in out.reservations().iter().flat_map(|r| r.instances()) {
        if i.instance_id() != Some(instance_id) {
            continue;
        }
        for id in i.security_groups().iter().filter_map(|g| g.group_id()) {
            if !id.is_empty() && !ids.iter().any(|known| known == id) {
                ids.push(id.to_string());
            }
        }
    }
    if ids.is_empty() {
        // DescribeSecurityGroups without ids lists every group of the
        // region: none of them would be this instance's.
        return Ok(Vec::new());
    }
    let out = ec2
        .describe_security_groups()
        .set_group_ids(Some(ids.clone()))
        .send()
        .await
        .map_err(ec2_error)?;
    let groups = out.security_groups();
    Ok(ids
        .iter()
        .filter_map(|id| groups.iter().find(|g| g.group_id() == Some(id.as_str())))
        .map(to_group)
        .collect())
}

/// One EC2 security group with its ingress rules normalised.
pub(super) fn to_group(g: &Ec2SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        id: g.group_id().unwrap_or_default().to_string(),
        name: g
            .group_name()
            .filter(|n| !n.is_empty())
            .or(g.group_id())
            .unwrap_or_default()
            .to_string(),
        ingress: g.ip_permissions().iter().flat_map(ingress_rules).collect(),
    }
}

/// One EC2 permission as one rule per source it names. A permission that
/// names no source lets nothing in, so it gives no rule.
pub(super) fn ingress_rules(p: &IpPermission) -> Vec<IngressRule> {
    let protocol = protocol(p.ip_protocol().unwrap_or("-1"));
    // Ports mean something only for TCP and UDP: for ICMP EC2 puts the
    // type and code in FromPort/ToPort, and `-1` rules have none.
    let ports = match protocol {
        Some(Protocol::Tcp | Protocol::Udp) => port_range(p.from_port(), p.to_port()),
        _ => None,
    };
    let mut sources: Vec<Source> = Vec::new();
    sources.extend(
        p.ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip())
            .map(|c| Source::Cidr(c.to_string())),
    );
    sources.extend(
        p.ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6())
            .map(|c| Source::Cidr(c.to_string())),
    );
    sources.extend(
        p.user_id_group_pairs()
            .iter()
            // A default-VPC pair may name the group only.
            .filter_map(|g| g.group_id().or(g.group_name()))
            .map(|g| Source::Group(g.to_string())),
    );
    sources.extend(
        p.prefix_list_ids()
            .iter()
            .filter_map(|l| l.prefix_list_id())
            .map(|l| Source::PrefixList(l.to_string())),
    );
    sources
        .into_iter()
        .map(|source| IngressRule {
            protocol: protocol.clone(),
            ports,
            source,
            // IpPermissions carry no rule ids (DescribeSecurityGroupRules
            // does, one call more for nothing the doctor shows).
            rule_id: None,
        })
        .collect()
}

/// EC2's protocol word or number; `None` for every protocol (`-1`).
fn protocol(word: &str) -> Option<Protocol> {
    match word.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => None,
        "tcp" | "6" => Some(Protocol::Tcp),
        "udp" | "17" => Some(Protocol::Udp),
        "icmp" | "1" => Some(Protocol::Icmp),
        other => Some(Protocol::Other(other.to_string())),
    }
}

/// `FromPort`..`ToPort`; `None` (every port) when either is absent or `-1`.
fn port_range(from: Option<i32>, to: Option<i32>) -> Option<(u16, u16)> {
    let from = u16::try_from(from?).ok()?;
    let to = u16::try_from(to?).ok()?;
    Some((from, to))
}

/// `DescribeKeyPairs` for one name, with its public key.
async fn key_pair(ec2: &Client, name: &str) -> CloudResult<Option<KeyPairFacts>> {
    let out = ec2
        .describe_key_pairs()
        .key_names(name)
        .include_public_key(true)
        .send()
        .await
        .map_err(ec2_error);
    match out {
        Ok(out) => Ok(to_key_pair(name, out.key_pairs())),
        Err(e) if e.code.as_deref() == Some(KEY_NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The key pair called `name` among `pairs`.
pub(super) fn to_key_pair(name: &str, pairs: &[KeyPairInfo]) -> Option<KeyPairFacts> {
    let k = pairs.iter().find(|k| k.key_name() == Some(name))?;
    let text = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    Some(KeyPairFacts {
        name: name.to_string(),
        public_key: text(k.public_key()),
        fingerprint: text(k.key_fingerprint()),
    })
}

/// `DescribeImages` for one id.
async fn image(ec2: &Client, id: &str) -> CloudResult<Option<ImageFacts>> {
    let out = ec2
        .describe_images()
        .image_ids(id)
        .send()
        .await
        .map_err(ec2_error);
    match out {
        Ok(out) => Ok(to_image(id, out.images())),
        Err(e) if e.code.as_deref().is_some_and(|c| IMAGE_GONE.contains(&c)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The image `id` among `images`. EC2 images carry no distribution field:
/// the name and description are what hints at the login user.
pub(super) fn to_image(id: &str, images: &[Image]) -> Option<ImageFacts> {
    let i = images.iter().find(|i| i.image_id() == Some(id))?;
    let text = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(String::from);
    Some(ImageFacts {
        id: id.to_string(),
        name: text(i.name()),
        description: text(i.description()),
        os_distro: None,
        os_admin_user: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::security::{PortAccess, access};
    use aws_sdk_ec2::types::{
        InstanceStatusSummary, IpRange, Ipv6Range, PrefixListId, SummaryStatus, UserIdGroupPair,
    };

    fn cidr(c: &str) -> Source {
        Source::Cidr(c.into())
    }

    fn rule(protocol: Option<Protocol>, ports: Option<(u16, u16)>, source: Source) -> IngressRule {
        IngressRule {
            protocol,
            ports,
            source,
            rule_id: None,
        }
    }

    fn ec2_group(id: &str, name: &str, permissions: Vec<IpPermission>) -> Ec2SecurityGroup {
        Ec2SecurityGroup::builder()
            .group_id(id)
            .group_name(name)
            .set_ip_permissions(Some(permissions))
            .build()
    }

    fn tcp(from: i32, to: i32) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(from)
            .to_port(to)
    }

    fn v4(c: &str) -> IpRange {
        IpRange::builder().cidr_ip(c).build()
    }

    fn verdict(groups: &[SecurityGroup], port: u16) -> &'static str {
        match access(groups, port) {
            PortAccess::Open(..) => "open",
            PortAccess::Inside(..) => "inside",
            PortAccess::Closed => "closed",
        }
    }

    #[test]
    fn all_protocols_have_no_protocol_and_no_ports() {
        let p = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(v4("0.0.0.0/0"))
            .build();
        assert_eq!(ingress_rules(&p), vec![rule(None, None, cidr("0.0.0.0/0"))]);
        let groups = [to_group(&ec2_group("sg-1", "wide", vec![p]))];
        assert_eq!(verdict(&groups, 22), "open");
        assert_eq!(verdict(&groups, 8080), "open");
    }

    #[test]
    fn port_ranges_and_protocol_numbers_are_normalised() {
        let range = tcp(8000, 8100).ip_ranges(v4("141.37.0.0/16")).build();
        assert_eq!(
            ingress_rules(&range),
            vec![rule(
                Some(Protocol::Tcp),
                Some((8000, 8100)),
                cidr("141.37.0.0/16")
            )]
        );
        let by_number = IpPermission::builder()
            .ip_protocol("6")
            .from_port(22)
            .to_port(22)
            .ip_ranges(v4("0.0.0.0/0"))
            .build();
        assert_eq!(
            ingress_rules(&by_number),
            vec![rule(Some(Protocol::Tcp), Some((22, 22)), cidr("0.0.0.0/0"))]
        );
        let udp = IpPermission::builder()
            .ip_protocol("17")
            .from_port(53)
            .to_port(53)
            .ip_ranges(v4("0.0.0.0/0"))
            .build();
        assert_eq!(
            ingress_rules(&udp)[0].protocol,
            Some(Protocol::Udp),
            "{udp:?}"
        );
        // ICMP's type and code are not ports.
        let icmp = IpPermission::builder()
            .ip_protocol("icmp")
            .from_port(8)
            .to_port(-1)
            .ip_ranges(v4("0.0.0.0/0"))
            .build();
        assert_eq!(
            ingress_rules(&icmp),
            vec![rule(Some(Protocol::Icmp), None, cidr("0.0.0.0/0"))]
        );
        let esp = IpPermission::builder()
            .ip_protocol("50")
            .ip_ranges(v4("0.0.0.0/0"))
            .build();
        assert_eq!(
            ingress_rules(&esp),
            vec![rule(
                Some(Protocol::Other("50".into())),
                None,
                cidr("0.0.0.0/0")
            )]
        );
        // TCP with -1 ports (or none) is every port.
        let every = tcp(-1, -1).ip_ranges(v4("0.0.0.0/0")).build();
        assert_eq!(ingress_rules(&every)[0].ports, None);
        let unset = IpPermission::builder()
            .ip_protocol("tcp")
            .ip_ranges(v4("0.0.0.0/0"))
            .build();
        assert_eq!(ingress_rules(&unset)[0].ports, None);

        let groups = [to_group(&ec2_group(
            "sg-1",
            "lab",
            vec![range, udp, icmp, esp],
        ))];
        assert_eq!(verdict(&groups, 8080), "open");
        assert_eq!(verdict(&groups, 22), "closed");
        assert_eq!(verdict(&groups, 53), "closed", "UDP is not TCP");
    }

    #[test]
    fn every_range_of_a_permission_is_its_own_rule() {
        let p = tcp(22, 22)
            .ip_ranges(v4("10.0.0.0/8"))
            .ip_ranges(v4("0.0.0.0/0"))
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
            .build();
        let tcp22 = |s| rule(Some(Protocol::Tcp), Some((22, 22)), s);
        assert_eq!(
            ingress_rules(&p),
            vec![
                tcp22(cidr("10.0.0.0/8")),
                tcp22(cidr("0.0.0.0/0")),
                tcp22(cidr("::/0"))
            ]
        );
        let groups = [to_group(&ec2_group("sg-1", "ssh", vec![p]))];
        match access(&groups, 22) {
            PortAccess::Open(g, r) => {
                assert_eq!(g.id, "sg-1");
                assert_eq!(r.source, cidr("0.0.0.0/0"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ipv6_only_is_open_from_outside() {
        let p = tcp(22, 22)
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
            .build();
        let groups = [to_group(&ec2_group("sg-6", "v6", vec![p]))];
        assert_eq!(
            groups[0].ingress,
            vec![rule(Some(Protocol::Tcp), Some((22, 22)), cidr("::/0"))]
        );
        assert_eq!(verdict(&groups, 22), "open");
        let private = tcp(22, 22)
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("fd00:1::/64").build())
            .build();
        let groups = [to_group(&ec2_group("sg-7", "ula", vec![private]))];
        assert_eq!(verdict(&groups, 22), "inside");
    }

    #[test]
    fn group_references_only_admit_members() {
        let p = IpPermission::builder()
            .ip_protocol("-1")
            .user_id_group_pairs(
                UserIdGroupPair::builder()
                    .user_id("123456789012")
                    .group_id("sg-web")
                    .build(),
            )
            .user_id_group_pairs(UserIdGroupPair::builder().group_name("legacy").build())
            .build();
        assert_eq!(
            ingress_rules(&p),
            vec![
                rule(None, None, Source::Group("sg-web".into())),
                rule(None, None, Source::Group("legacy".into()))
            ]
        );
        let groups = [to_group(&ec2_group("sg-db", "db", vec![p]))];
        assert_eq!(verdict(&groups, 22), "inside");
    }

    #[test]
    fn prefix_lists_count_as_outside() {
        let p = tcp(22, 22)
            .prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-lab").build())
            .build();
        assert_eq!(
            ingress_rules(&p),
            vec![rule(
                Some(Protocol::Tcp),
                Some((22, 22)),
                Source::PrefixList("pl-lab".into())
            )]
        );
        let groups = [to_group(&ec2_group("sg-pl", "campus", vec![p]))];
        assert_eq!(verdict(&groups, 22), "open");
    }

    #[test]
    fn a_group_without_ingress_is_closed() {
        // What moto's (and a fresh VPC's) default group looks like to a
        // laptop: at most its own members get in.
        let empty = to_group(&ec2_group("sg-d", "default", Vec::new()));
        assert!(empty.ingress.is_empty());
        assert_eq!(verdict(&[empty], 22), "closed");
        let no_source = tcp(22, 22).build();
        assert!(ingress_rules(&no_source).is_empty());
        let unnamed = to_group(&Ec2SecurityGroup::builder().group_id("sg-x").build());
        assert_eq!(unnamed.name, "sg-x");
    }

    #[test]
    fn status_words_come_through_as_ec2_writes_them() {
        let summary = |s: &str| {
            InstanceStatusSummary::builder()
                .status(SummaryStatus::from(s))
                .build()
        };
        let statuses = vec![
            InstanceStatus::builder()
                .instance_id("i-other")
                .system_status(summary("impaired"))
                .build(),
            InstanceStatus::builder()
                .instance_id("i-1")
                .system_status(summary("ok"))
                .instance_status(summary("initializing"))
                .build(),
        ];
        let s = to_status("i-1", &statuses);
        assert_eq!(s.system.as_deref(), Some("ok"));
        assert_eq!(s.instance.as_deref(), Some("initializing"));
        assert_eq!(s.task_state, None);
        assert_eq!(
            to_status("i-2", &statuses),
            StatusFacts::default(),
            "no status for an instance EC2 does not list"
        );
        let half = [InstanceStatus::builder()
            .instance_id("i-3")
            .instance_status(summary("not-applicable"))
            .build()];
        let s = to_status("i-3", &half);
        assert_eq!(
            (s.system, s.instance.as_deref()),
            (None, Some("not-applicable"))
        );
    }

    #[test]
    fn key_pairs_and_images_by_name_and_id() {
        let pairs = [KeyPairInfo::builder()
            .key_name("lab")
            .public_key("ssh-ed25519 AAAA test\n")
            .key_fingerprint("ab:cd")
            .build()];
        assert_eq!(
            to_key_pair("lab", &pairs),
            Some(KeyPairFacts {
                name: "lab".into(),
                public_key: Some("ssh-ed25519 AAAA test".into()),
                fingerprint: Some("ab:cd".into()),
            })
        );
        assert_eq!(to_key_pair("other", &pairs), None);
        let images = [Image::builder()
            .image_id("ami-1")
            .name("al2023-ami")
            .description("")
            .build()];
        let i = to_image("ami-1", &images).expect("found");
        assert_eq!(i.name.as_deref(), Some("al2023-ami"));
        assert_eq!(i.description, None, "an empty description is none");
        assert_eq!(to_image("ami-2", &images), None);
        assert_eq!(to_image("ami-1", &[]), None);
    }
}
