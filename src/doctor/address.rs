//! Check 2: a public (Elastic / floating) address, and on OpenStack a
//! router with an external gateway between the server's network and the
//! floating pool (else a floating IP cannot work).

use crate::cloud::Provider;
use crate::cloud::facts::{FactKind, Facts, NetworkFacts};
use crate::doctor::{Check, DoctorContext, Finding};
use crate::domain::model::CloudKind;

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    let inst = &ctx.instance;
    let Some(ip) = inst.public_ip.as_deref() else {
        return Finding::fail(Check::Address, "no public address")
            .with_fix("press i to attach one");
    };
    if inst.kind == CloudKind::Aws {
        return Finding::pass(Check::Address, format!("public address {ip}"));
    }
    match provider.facts(inst, FactKind::Network).await {
        Ok(Facts::Network(net)) => judge(ip, &net),
        Ok(other) => Finding::unknown(Check::Address, format!("unexpected answer: {other:?}")),
        Err(e) => Finding::unasked(Check::Address, &e),
    }
}

/// A floating IP works only through a router with an external gateway.
pub fn judge(ip: &str, net: &NetworkFacts) -> Finding {
    if let Some((router, external)) = net.routed_out.first() {
        return Finding::pass(
            Check::Address,
            format!("floating IP {ip}; router {router} routes its network to {external}"),
        );
    }
    let networks = if net.networks.is_empty() {
        "its network".to_string()
    } else {
        net.networks.join(", ")
    };
    match net.without_gateway.first() {
        Some(router) => Finding::fail(
            Check::Address,
            format!("floating IP {ip}, but router {router} of {networks} has no external gateway"),
        )
        .with_fix(format!("openstack router set --external-gateway <public network> {router}")),
        None if net.networks.is_empty() => {
            Finding::unknown(Check::Address, format!("floating IP {ip}; its port's network is unknown"))
        }
        None => Finding::fail(
            Check::Address,
            format!("floating IP {ip}, but no router connects {networks} to the outside"),
        )
        .with_fix(format!(
            "openstack router add subnet <router> <subnet of {networks}> (the router needs an external gateway)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Verdict;

    #[test]
    fn only_a_router_with_a_gateway_lets_a_floating_ip_work() {
        let routed = NetworkFacts {
            networks: vec!["lab-net".into()],
            routed_out: vec![("lab-router".into(), "public".into())],
            without_gateway: Vec::new(),
        };
        assert_eq!(judge("203.0.113.5", &routed).verdict, Verdict::Pass);
        let no_gateway = NetworkFacts {
            networks: vec!["lab-net".into()],
            routed_out: Vec::new(),
            without_gateway: vec!["lab-router".into()],
        };
        let f = judge("203.0.113.5", &no_gateway);
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(
            f.fix.as_deref().is_some_and(|x| x.contains("lab-router")),
            "{f:?}"
        );
        let none = NetworkFacts {
            networks: vec!["lab-net".into()],
            ..NetworkFacts::default()
        };
        assert_eq!(judge("203.0.113.5", &none).verdict, Verdict::Fail);
        assert_eq!(
            judge("203.0.113.5", &NetworkFacts::default()).verdict,
            Verdict::Unknown
        );
    }
}
