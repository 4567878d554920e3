//! Check 3: an ingress rule lets TCP 22 (and every service port) in from
//! outside, and which group and rule it is — or that none does, with the
//! command that adds one, real ids filled in.
//!
//! "Outside" is any public prefix (or "anywhere"): hytop cannot know the
//! user's address, but a rule only from a private range or only from
//! members of a group never lets a laptop in.

use std::net::IpAddr;

use crate::cloud::Provider;
use crate::cloud::facts::{FactKind, Facts, IngressRule, Protocol, SecurityGroup, Source};
use crate::doctor::{Check, DoctorContext, Finding, Verdict};
use crate::domain::model::CloudKind;

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    match provider
        .facts(&ctx.instance, FactKind::SecurityGroups)
        .await
    {
        Ok(Facts::SecurityGroups(groups)) => judge(ctx, &groups),
        Ok(other) => Finding::unknown(
            Check::SecurityGroups,
            format!("unexpected answer: {other:?}"),
        ),
        Err(e) => Finding::unasked(Check::SecurityGroups, &e),
    }
}

/// How one port fares against every rule of every group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortAccess<'a> {
    /// Open from outside by this rule of this group.
    Open(&'a SecurityGroup, &'a IngressRule),
    /// Only from inside (a private prefix or a group's members).
    Inside(&'a SecurityGroup, &'a IngressRule),
    Closed,
}

/// The best rule for TCP `port`: from anywhere first, then any public
/// prefix, then inside only.
pub fn access(groups: &[SecurityGroup], port: u16) -> PortAccess<'_> {
    let mut best: Option<(u8, &SecurityGroup, &IngressRule)> = None;
    for g in groups {
        for r in g.ingress.iter().filter(|r| admits_tcp(r, port)) {
            let rank = match &r.source {
                Source::Anywhere(_) => 3,
                Source::Cidr(c) if is_everywhere(c) => 3,
                Source::Cidr(c) if is_public(c) => 2,
                Source::PrefixList(_) => 2,
                Source::Cidr(_) | Source::Group(_) => 1,
            };
            if best.is_none_or(|(b, _, _)| rank > b) {
                best = Some((rank, g, r));
            }
        }
    }
    match best {
        Some((2.., g, r)) => PortAccess::Open(g, r),
        Some((_, g, r)) => PortAccess::Inside(g, r),
        None => PortAccess::Closed,
    }
}

/// Whether `rule` lets TCP to `port` in (from somewhere).
pub fn admits_tcp(rule: &IngressRule, port: u16) -> bool {
    let protocol = match &rule.protocol {
        None => true,
        Some(Protocol::Tcp) => true,
        Some(Protocol::Other(p)) => p == "6",
        Some(_) => false,
    };
    protocol && rule.ports.is_none_or(|(lo, hi)| lo <= port && port <= hi)
}

/// `0.0.0.0/0` or `::/0`.
fn is_everywhere(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// A prefix whose addresses are reachable from the internet (not private,
/// loopback or link-local).
fn is_public(cidr: &str) -> bool {
    let addr = cidr.split('/').next().unwrap_or(cidr).trim();
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => !(a.is_private() || a.is_loopback() || a.is_link_local()),
        Ok(IpAddr::V6(a)) => {
            let first = a.segments()[0];
            // fc00::/7 unique local, fe80::/10 link-local.
            !(a.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
        }
        Err(_) => false,
    }
}

/// `0.0.0.0/0`, `members of sg-1`, ...
fn from(source: &Source) -> String {
    match source {
        Source::Cidr(c) => c.clone(),
        Source::Group(g) => format!("members of {g}"),
        Source::PrefixList(p) => format!("prefix list {p}"),
        Source::Anywhere(family) => format!("anywhere ({family})"),
    }
}

fn group_word(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Aws => "sg",
        CloudKind::OpenStack => "security group",
    }
}

/// The command that opens `port` in `group` to the world.
pub fn fix_command(ctx: &DoctorContext, group: &SecurityGroup, port: u16) -> String {
    match ctx.instance.kind {
        CloudKind::Aws => format!(
            "aws ec2 authorize-security-group-ingress --region {} --group-id {} --protocol tcp --port {port} --cidr 0.0.0.0/0",
            ctx.instance.region, group.id
        ),
        CloudKind::OpenStack => format!(
            "openstack security group rule create --ingress --protocol tcp --dst-port {port} --remote-ip 0.0.0.0/0 {}",
            group.id
        ),
    }
}

/// Every port of `ctx` against `groups`: ✓ when all are open from outside.
pub fn judge(ctx: &DoctorContext, groups: &[SecurityGroup]) -> Finding {
    let word = group_word(ctx.instance.kind);
    if groups.is_empty() {
        return Finding::fail(
            Check::SecurityGroups,
            "the instance is in no security group: nothing lets traffic in",
        );
    }
    let mut lines = Vec::new();
    let mut closed = Vec::new();
    for port in ctx.ports() {
        match access(groups, port) {
            PortAccess::Open(g, r) => lines.push(format!(
                "{port}/tcp open to {} by {word} {}",
                from(&r.source),
                g.name
            )),
            PortAccess::Inside(g, r) => {
                lines.push(format!(
                    "{port}/tcp only from {} ({word} {}): not from outside",
                    from(&r.source),
                    g.name
                ));
                closed.push(port);
            }
            PortAccess::Closed => {
                let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                lines.push(format!(
                    "no rule of {} allows {port}/tcp from outside",
                    names.join(", ")
                ));
                closed.push(port);
            }
        }
    }
    let finding = match closed.first() {
        None => Finding {
            lines: Vec::new(),
            ..Finding::pass(Check::SecurityGroups, lines.join("; "))
        },
        Some(&port) => {
            let group = &groups[0];
            Finding::fail(Check::SecurityGroups, lines.join("; ")).with_fix(format!(
                "add a rule, e.g. {}",
                fix_command(ctx, group, port)
            ))
        }
    };
    debug_assert!(finding.verdict != Verdict::Unknown);
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: Option<Protocol>, ports: Option<(u16, u16)>, source: Source) -> IngressRule {
        IngressRule {
            protocol,
            ports,
            source,
            rule_id: None,
        }
    }

    fn group(name: &str, ingress: Vec<IngressRule>) -> SecurityGroup {
        SecurityGroup {
            id: format!("sg-{name}"),
            name: name.into(),
            ingress,
        }
    }

    fn cidr(c: &str) -> Source {
        Source::Cidr(c.into())
    }

    #[test]
    fn every_rule_shape_is_judged() {
        let tcp = Some(Protocol::Tcp);
        let cases: Vec<(IngressRule, &str)> = vec![
            (rule(tcp.clone(), Some((22, 22)), cidr("0.0.0.0/0")), "open"),
            (rule(tcp.clone(), Some((22, 22)), cidr("::/0")), "open"),
            (rule(tcp.clone(), Some((20, 30)), cidr("0.0.0.0/0")), "open"),
            (
                rule(tcp.clone(), Some((23, 30)), cidr("0.0.0.0/0")),
                "closed",
            ),
            (rule(None, None, cidr("0.0.0.0/0")), "open"),
            (
                rule(tcp.clone(), None, Source::Anywhere("IPv4".into())),
                "open",
            ),
            (
                rule(tcp.clone(), Some((22, 22)), cidr("141.37.0.0/16")),
                "open",
            ),
            (
                rule(tcp.clone(), Some((22, 22)), cidr("10.0.0.0/8")),
                "inside",
            ),
            (
                rule(tcp.clone(), Some((22, 22)), cidr("fd00::/8")),
                "inside",
            ),
            (
                rule(tcp.clone(), Some((22, 22)), Source::Group("sg-web".into())),
                "inside",
            ),
            (rule(Some(Protocol::Udp), None, cidr("0.0.0.0/0")), "closed"),
            (
                rule(Some(Protocol::Icmp), None, cidr("0.0.0.0/0")),
                "closed",
            ),
            (
                rule(
                    Some(Protocol::Other("6".into())),
                    Some((22, 22)),
                    cidr("0.0.0.0/0"),
                ),
                "open",
            ),
        ];
        for (r, want) in cases {
            let groups = [group("g", vec![r.clone()])];
            let got = match access(&groups, 22) {
                PortAccess::Open(..) => "open",
                PortAccess::Inside(..) => "inside",
                PortAccess::Closed => "closed",
            };
            assert_eq!(got, want, "{r:?}");
        }
    }

    #[test]
    fn the_widest_rule_of_any_group_wins() {
        let groups = [
            group(
                "inner",
                vec![rule(
                    Some(Protocol::Tcp),
                    Some((22, 22)),
                    cidr("10.0.0.0/8"),
                )],
            ),
            group(
                "lab-ssh",
                vec![rule(Some(Protocol::Tcp), Some((22, 22)), cidr("0.0.0.0/0"))],
            ),
        ];
        match access(&groups, 22) {
            PortAccess::Open(g, _) => assert_eq!(g.name, "lab-ssh"),
            other => panic!("{other:?}"),
        }
    }
}
