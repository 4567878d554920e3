//! A Nova server body turned into hytop's [`Instance`].

use chrono::{DateTime, NaiveDateTime, Utc};

use super::nova;
use crate::domain::model::{CloudKind, Instance, InstanceState, Volume};

/// Nova writes `created` as RFC 3339 but `launched_at` without a zone
/// (`2013-09-23T13:53:12.000000`, UTC).
pub fn parse_nova_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

pub fn to_instance(account: &str, region: &str, s: &nova::Server) -> Instance {
    let mut public_ip = None;
    let mut private_ip = None;
    let mut networks = Vec::new();
    for (net, addrs) in &s.addresses {
        let mut shown = Vec::new();
        for a in addrs {
            let floating = a.kind.as_deref() == Some("floating");
            if floating {
                public_ip.get_or_insert_with(|| a.addr.clone());
                shown.push(format!("{} (floating)", a.addr));
            } else {
                // Prefer IPv4 for ssh: course networks route it.
                if private_ip.is_none() || (a.version == Some(4) && !private_ip_is_v4(&private_ip))
                {
                    private_ip = Some(a.addr.clone());
                }
                shown.push(a.addr.clone());
            }
        }
        networks.push(format!("{net}: {}", shown.join(", ")));
    }
    let flavor = s.flavor.as_ref();
    let size = flavor
        .and_then(|f| f.original_name.clone().or_else(|| f.id.clone()))
        .unwrap_or_else(|| "?".into());
    let mut extra = Vec::new();
    if let Some(f) = flavor
        && let (Some(vcpus), Some(ram)) = (f.vcpus, f.ram)
    {
        extra.push(("flavor", format!("{size} · {vcpus} vCPU · {ram} MB").into()));
    }
    if !networks.is_empty() {
        extra.push((
            "networks",
            crate::domain::text::Text::unique(networks.join("; ")),
        ));
    }
    if let Some(groups) = &s.security_groups {
        let mut names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        names.dedup();
        extra.push(("security groups", names.join(", ").into()));
    }
    if let Some(az) = &s.availability_zone {
        extra.push(("availability zone", az.into()));
    }
    if let Some(task) = &s.task_state {
        extra.push(("task", task.into()));
    }
    if let Some(project) = &s.tenant_id {
        extra.push(("project", project.into()));
    }
    if let Some(fault) = &s.fault
        && !fault.message.is_empty()
    {
        extra.push((
            "fault",
            crate::domain::text::Text::unique(fault.message.clone()),
        ));
    }
    Instance {
        kind: CloudKind::OpenStack,
        account: account.into(),
        region: region.into(),
        id: s.id.clone(),
        name: s.name.clone(),
        state: InstanceState::from_nova(&s.status, s.task_state.as_deref()),
        raw_state: s.status.as_str().into(),
        size: size.into(),
        vcpus: flavor.and_then(|f| f.vcpus),
        memory_mb: flavor.and_then(|f| f.ram),
        image: s.image_id().unwrap_or("(volume)").into(),
        // Glance tells it, once per image (`glance::image_names`).
        image_name: None,
        key_name: s.key_name.clone().filter(|k| !k.is_empty()),
        public_ip,
        private_ip,
        launched_at: s
            .launched_at
            .as_deref()
            .and_then(parse_nova_time)
            .or_else(|| s.created.as_deref().and_then(parse_nova_time)),
        tags: s.metadata.clone(),
        detailed_monitoring: false,
        volumes: s
            .volumes_attached
            .iter()
            .map(|v| Volume {
                id: v.id.clone(),
                name: None,
                size_gb: None,
                volume_type: None,
                // Attached is all Nova says; Cinder's listing gives the
                // real status (attach_volumes), where the cloud has Cinder.
                state: "in-use".into(),
                instance_id: Some(s.id.clone()),
                device: None,
                delete_on_termination: v.delete_on_termination,
            })
            .collect(),
        // Nova has no state-change time of its own; `updated` moves with
        // every state change (and with renames and metadata edits, which
        // are rare next to how long a server sits stopped).
        state_since: s.updated.as_deref().and_then(parse_nova_time),
        extra,
    }
}

fn private_ip_is_v4(ip: &Option<String>) -> bool {
    ip.as_deref().is_some_and(|i| i.contains('.'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nova_times_with_and_without_a_zone() {
        let a = parse_nova_time("2013-09-23T13:53:12.000000").unwrap();
        let b = parse_nova_time("2013-09-23T13:53:12Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_nova_time("yesterday").is_none());
    }

    #[test]
    fn a_server_body_becomes_an_instance() {
        let body = json!({
            "id": "9168b536-cd40-4630-b43f-b259807c6e87",
            "name": "new-server-test",
            "status": "ACTIVE",
            "OS-EXT-STS:task_state": null,
            "flavor": {"original_name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1,
                       "ephemeral": 0, "swap": 0, "extra_specs": {}},
            "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": []},
            "key_name": null,
            "addresses": {"private": [
                {"addr": "192.168.1.30", "version": 4, "OS-EXT-IPS:type": "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": "00:0c:29:0d:11:74"},
                {"addr": "172.24.4.7", "version": 4, "OS-EXT-IPS:type": "floating",
                 "OS-EXT-IPS-MAC:mac_addr": "00:0c:29:0d:11:74"}
            ]},
            "created": "2017-02-14T19:24:42Z",
            "updated": "2017-02-14T19:24:43Z",
            "OS-SRV-USG:launched_at": "2017-02-14T19:24:45.000000",
            "os-extended-volumes:volumes_attached": [
                {"id": "6edbc2f4-1507-44f8-ac0d-eed1d2608d38", "delete_on_termination": false}
            ],
            "metadata": {"My Server Name": "Apache1"},
            "security_groups": [{"name": "default"}],
            "OS-EXT-AZ:availability_zone": "nova",
            "tenant_id": "6f70656e737461636b20342065766572"
        });
        let server: nova::Server = serde_json::from_value(body).unwrap();
        let i = to_instance("lab", "RegionOne", &server);
        assert_eq!(i.state, InstanceState::Running);
        assert_eq!(i.size, "m1.tiny");
        assert_eq!(i.public_ip.as_deref(), Some("172.24.4.7"));
        assert_eq!(i.private_ip.as_deref(), Some("192.168.1.30"));
        assert_eq!(i.image, "70a599e0-31e7-49b7-b260-868f441e862b");
        assert_eq!(i.key_name, None);
        assert_eq!(i.launched_at, parse_nova_time("2017-02-14T19:24:45Z"));
        assert_eq!(i.state_since, parse_nova_time("2017-02-14T19:24:43Z"));
        assert_eq!(i.volumes.len(), 1);
        assert_eq!(i.volumes[0].id, "6edbc2f4-1507-44f8-ac0d-eed1d2608d38");
        assert_eq!(i.volumes[0].delete_on_termination, Some(false));
        assert_eq!(i.volumes[0].instance_id.as_deref(), Some(i.id.as_str()));
        assert_eq!(
            i.tags.get("My Server Name").map(String::as_str),
            Some("Apache1")
        );
        assert!(
            i.extra
                .iter()
                .any(|(k, v)| *k == "flavor" && v.contains("1 vCPU"))
        );
    }
}
