//! The facts' mappings over real api-ref bodies.
use serde_json::json;

use super::*;
use crate::doctor::security::{PortAccess, access};

/// neutron-lib `security-group-rules-list-response.json`: the rules
/// of a `default` group (egress to anywhere, ingress only from its own
/// members).
fn default_group_rules() -> Value {
    json!({"security_group_rules": [
        {"direction": "egress", "ethertype": "IPv6", "id": "3c0e45ff-adaf-4124-b083-bf390e5482ff",
         "port_range_max": null, "port_range_min": null, "protocol": null,
         "remote_group_id": null, "remote_ip_prefix": null,
         "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
         "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"},
        {"direction": "egress", "ethertype": "IPv4", "id": "93aa42e5-80db-4581-9391-3a608bd0e448",
         "port_range_max": null, "port_range_min": null, "protocol": null,
         "remote_group_id": null, "remote_ip_prefix": null,
         "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
         "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"},
        {"direction": "ingress", "ethertype": "IPv6", "id": "c0b09f00-1d49-4e64-a0a7-8a186d928138",
         "port_range_max": null, "port_range_min": null, "protocol": null,
         "remote_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5", "remote_ip_prefix": null,
         "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
         "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"},
        {"direction": "ingress", "ethertype": "IPv4", "id": "f7d45c89-008e-4bab-88ad-d6811724c51c",
         "port_range_max": null, "port_range_min": null, "protocol": null,
         "remote_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5", "remote_ip_prefix": null,
         "security_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5",
         "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550"}
    ]})
}

/// A rule shaped as neutron-lib's `security-group-rule-bulk-create-response.json`
/// entries, with the fields a case changes.
fn rule(changes: Value) -> Value {
    let mut r = json!({
        "direction": "ingress", "ethertype": "IPv4", "id": "2bc0accf-312e-429a-956e-e4407625eb62",
        "port_range_max": 80, "port_range_min": 80, "protocol": "tcp",
        "remote_group_id": null, "remote_ip_prefix": null,
        "security_group_id": "a7734e61-b545-452d-a3cd-0189cbd9747a",
        "project_id": "e4f50856753b4dc6afee5fa6b9b6c550", "revision_number": 1,
        "tenant_id": "e4f50856753b4dc6afee5fa6b9b6c550",
        "created_at": "2018-03-19T19:16:56Z", "updated_at": "2018-03-19T19:16:56Z",
        "description": "", "belongs_to_default_sg": false
    });
    for (k, v) in changes.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn one_group(r: Value) -> Vec<SecurityGroup> {
    let id = "a7734e61-b545-452d-a3cd-0189cbd9747a".to_string();
    let groups = [json!({"id": id, "name": "lab-ssh"})];
    security_groups(&[id], &groups, &[r])
}

fn verdict(groups: &[SecurityGroup]) -> &'static str {
    match access(groups, 22) {
        PortAccess::Open(..) => "open",
        PortAccess::Inside(..) => "inside",
        PortAccess::Closed => "closed",
    }
}

#[test]
fn the_default_group_lets_only_its_members_in() {
    let id = "85cc3048-abc3-43cc-89b3-377341426ac5".to_string();
    let rules = default_group_rules()["security_group_rules"]
        .as_array()
        .unwrap()
        .clone();
    let groups = [json!({"id": id, "name": "default"})];
    let got = security_groups(std::slice::from_ref(&id), &groups, &rules);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name, "default");
    assert_eq!(
        got[0].ingress,
        vec![
            IngressRule {
                protocol: None,
                ports: None,
                source: Source::Group(id.clone()),
                rule_id: Some("c0b09f00-1d49-4e64-a0a7-8a186d928138".into()),
            },
            IngressRule {
                protocol: None,
                ports: None,
                source: Source::Group(id.clone()),
                rule_id: Some("f7d45c89-008e-4bab-88ad-d6811724c51c".into()),
            },
        ],
        "egress rules are left out"
    );
    assert_eq!(verdict(&got), "inside");
}

/// A rule's changed fields, what it normalises to, how port 22 fares.
type Case = (
    Value,
    Option<Protocol>,
    Option<(u16, u16)>,
    Source,
    &'static str,
);

#[test]
fn every_rule_shape_is_normalised_and_judged() {
    let cases: Vec<Case> = vec![
        (
            json!({"port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}),
            Some(Protocol::Tcp),
            Some((22, 22)),
            Source::Cidr("0.0.0.0/0".into()),
            "open",
        ),
        (
            json!({"protocol": "6", "port_range_min": 20, "port_range_max": 30,
                   "remote_ip_prefix": "141.37.0.0/16"}),
            Some(Protocol::Tcp),
            Some((20, 30)),
            Source::Cidr("141.37.0.0/16".into()),
            "open",
        ),
        (
            json!({"ethertype": "IPv6", "port_range_min": 22, "port_range_max": 22}),
            Some(Protocol::Tcp),
            Some((22, 22)),
            Source::Anywhere("IPv6".into()),
            "open",
        ),
        (
            json!({"protocol": null, "port_range_min": null, "port_range_max": null}),
            None,
            None,
            Source::Anywhere("IPv4".into()),
            "open",
        ),
        (
            json!({"port_range_min": null, "port_range_max": null, "remote_ip_prefix": "10.0.0.0/8"}),
            Some(Protocol::Tcp),
            None,
            Source::Cidr("10.0.0.0/8".into()),
            "inside",
        ),
        (
            json!({"port_range_min": 22, "port_range_max": 22,
                   "remote_group_id": "85cc3048-abc3-43cc-89b3-377341426ac5"}),
            Some(Protocol::Tcp),
            Some((22, 22)),
            Source::Group("85cc3048-abc3-43cc-89b3-377341426ac5".into()),
            "inside",
        ),
        (
            json!({"port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}),
            Some(Protocol::Tcp),
            Some((80, 80)),
            Source::Cidr("0.0.0.0/0".into()),
            "closed",
        ),
        (
            json!({"protocol": "udp", "port_range_min": 22, "port_range_max": 22,
                   "remote_ip_prefix": "0.0.0.0/0"}),
            Some(Protocol::Udp),
            Some((22, 22)),
            Source::Cidr("0.0.0.0/0".into()),
            "closed",
        ),
        (
            json!({"protocol": "17", "port_range_min": null, "port_range_max": null}),
            Some(Protocol::Udp),
            None,
            Source::Anywhere("IPv4".into()),
            "closed",
        ),
        (
            json!({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0,
                   "remote_ip_prefix": "0.0.0.0/0"}),
            Some(Protocol::Icmp),
            None,
            Source::Cidr("0.0.0.0/0".into()),
            "closed",
        ),
        (
            json!({"protocol": "1", "port_range_min": null, "port_range_max": null}),
            Some(Protocol::Icmp),
            None,
            Source::Anywhere("IPv4".into()),
            "closed",
        ),
        (
            json!({"protocol": "gre", "port_range_min": null, "port_range_max": null}),
            Some(Protocol::Other("gre".into())),
            None,
            Source::Anywhere("IPv4".into()),
            "closed",
        ),
        (
            json!({"protocol": "132", "port_range_min": null, "port_range_max": null}),
            Some(Protocol::Other("132".into())),
            None,
            Source::Anywhere("IPv4".into()),
            "closed",
        ),
    ];
    for (changes, protocol, ports, source, want) in cases {
        let groups = one_group(rule(changes.clone()));
        let got = &groups[0].ingress;
        assert_eq!(
            got,
            &vec![IngressRule {
                protocol,
                ports,
                source,
                rule_id: Some("2bc0accf-312e-429a-956e-e4407625eb62".into()),
            }],
            "{changes}"
        );
        assert_eq!(verdict(&groups), want, "{changes}");
    }
    // Egress never lets anything in, however wide.
    let egress = one_group(rule(json!({"direction": "egress", "protocol": null,
        "port_range_min": null, "port_range_max": null})));
    assert!(egress[0].ingress.is_empty());
    assert_eq!(verdict(&egress), "closed");
}

#[test]
fn rules_go_to_their_group_and_groups_keep_the_ports_order() {
    let ssh = rule(json!({"port_range_min": 22, "port_range_max": 22,
        "remote_ip_prefix": "0.0.0.0/0"}));
    let mut rules = default_group_rules()["security_group_rules"]
        .as_array()
        .unwrap()
        .clone();
    rules.push(ssh);
    let ids = vec![
        "85cc3048-abc3-43cc-89b3-377341426ac5".to_string(),
        "a7734e61-b545-452d-a3cd-0189cbd9747a".to_string(),
        "0d0a2b1c-0000-4000-8000-000000000000".to_string(),
    ];
    let groups = [
        json!({"id": ids[1], "name": "lab-ssh"}),
        json!({"id": ids[0], "name": "default"}),
    ];
    let got = security_groups(&ids, &groups, &rules);
    let names: Vec<&str> = got.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["default", "lab-ssh", ids[2].as_str()]);
    assert_eq!(got[0].ingress.len(), 2);
    assert_eq!(got[1].ingress.len(), 1);
    assert!(got[2].ingress.is_empty());
    match access(&got, 22) {
        PortAccess::Open(g, r) => {
            assert_eq!(g.id, ids[1]);
            assert_eq!(
                r.rule_id.as_deref(),
                Some("2bc0accf-312e-429a-956e-e4407625eb62")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_address_group_is_a_named_set_of_prefixes() {
    let groups = one_group(rule(json!({"port_range_min": 22, "port_range_max": 22,
        "remote_address_group_id": "f2b9a1c6-0f0e-4b43-9c1e-7c1a2b3c4d5e"})));
    assert_eq!(
        groups[0].ingress[0].source,
        Source::PrefixList("f2b9a1c6-0f0e-4b43-9c1e-7c1a2b3c4d5e".into())
    );
}

#[test]
fn a_port_without_port_security_lets_everything_in() {
    let g = unfiltered_port("p-1");
    assert_eq!(verdict(std::slice::from_ref(&g)), "open");
}

#[test]
fn a_fault_and_a_task_come_from_the_server() {
    // Nova api-ref `servers-detail-resp` fault (an ERROR server).
    let server = json!({
        "status": "ERROR", "OS-EXT-STS:task_state": null,
        "fault": {"code": 500, "created": "2013-10-23T13:53:12Z",
                  "message": "No valid host was found. There are not enough hosts available."}
    });
    assert_eq!(
        status_facts(&server),
        StatusFacts {
            fault: Some(
                "No valid host was found. There are not enough hosts available. (500)".into()
            ),
            ..StatusFacts::default()
        }
    );
    let rebooting = json!({"status": "REBOOT", "OS-EXT-STS:task_state": "rebooting"});
    assert_eq!(
        status_facts(&rebooting).task_state.as_deref(),
        Some("rebooting")
    );
    assert_eq!(
        status_facts(&json!({"status": "ACTIVE", "OS-EXT-STS:task_state": null})),
        StatusFacts::default()
    );
}

#[test]
fn routers_with_and_without_a_gateway() {
    // neutron-lib `router-show-response.json`.
    let routed = json!({
        "admin_state_up": true, "description": "", "distributed": false,
        "external_gateway_info": {"enable_snat": true,
            "external_fixed_ips": [{"ip_address": "172.24.4.6",
                "subnet_id": "b930d7f6-ceb7-40a0-8b81-a425dd994ccf"}],
            "network_id": "ae34051f-aa6c-4c75-abf5-50dc9ac99ef3"},
        "ha": false, "id": "f8a44de0-fc8e-45df-93c7-f79bf3b01c95", "name": "router1",
        "status": "ACTIVE"
    });
    assert_eq!(
        router_gateway(&routed),
        (
            "router1".to_string(),
            Some("ae34051f-aa6c-4c75-abf5-50dc9ac99ef3".to_string())
        )
    );
    let bare = json!({"id": "f8a44de0-fc8e-45df-93c7-f79bf3b01c95", "name": "",
        "external_gateway_info": null});
    assert_eq!(
        router_gateway(&bare),
        ("f8a44de0-fc8e-45df-93c7-f79bf3b01c95".to_string(), None)
    );
}

#[test]
fn key_pairs_and_images_read_what_the_doctor_needs() {
    // Nova `doc/api_samples/os-keypairs/keypairs-get-resp.json`.
    let kp = json!({"keypair": {
        "created_at": "2014-05-07T12:06:13.681238", "deleted": false, "deleted_at": null,
        "fingerprint": "9d:00:f4:d7:26:6e:52:06:4c:c1:d3:1d:fd:06:66:01", "id": 1,
        "name": "keypair-3582d8b7-e588-4aad-b7f7-f4e76f0e4314",
        "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDYJrTVpcMwFqQy/oMvtUSRofZdSRHEwrsX8AYkRvn2ZnCXM+b6+GZ2NQuuWj+ocznlnwiGFQDsL/yeE+/kurqcPJFKKp60mToXIMyzioFxW88fJtwEWawHKAclbHWpR1t4fQ4DS+/sIbX/Yd9btlVQ2tpQjodGDbM9Tr9/+/3i6rcR+EoLqmbgCgAiGiVV6VbM2Zx79yUwd+GnQejHX8BlYZoOjCnt3NREsITcmWE9FVFy6TnLmahs3FkEO/QGgWGkaohAJlsgaVvSWGgDn2AujKYwyDokK3dXyeX3m2Vmc3ejiqPa/C4nRrCOlko5nSgV/9IXRx1ERImsqZnE9usB Generated by Nova\n",
        "updated_at": null, "user_id": "fake"
    }});
    let got = keypair_facts(&kp).unwrap();
    assert_eq!(got.name, "keypair-3582d8b7-e588-4aad-b7f7-f4e76f0e4314");
    assert_eq!(
        got.fingerprint.as_deref(),
        Some("9d:00:f4:d7:26:6e:52:06:4c:c1:d3:1d:fd:06:66:01")
    );
    assert!(got.public_key.unwrap().starts_with("ssh-rsa AAAAB3"));
    assert_eq!(keypair_facts(&json!({})), None);

    // Glance api-ref `image-show-response.json`, plus the properties an
    // image uploader sets (top-level keys, as every property is).
    let image = json!({
        "status": "active", "name": "cirros-0.3.2-x86_64-disk", "tags": [],
        "container_format": "bare", "created_at": "2014-05-05T17:15:10Z",
        "disk_format": "qcow2", "updated_at": "2014-05-05T17:15:11Z",
        "visibility": "public", "self": "/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27",
        "min_disk": 0, "protected": false, "id": "1bea47ed-f6a9-463b-b423-14b9cca9ad27",
        "file": "/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27/file",
        "checksum": "64d7c1cd2b6f60c92c14662941cb7913", "os_hash_algo": "sha512",
        "owner": "5ef70662f8b34079a6eddb8da9d75fe8", "size": 13167616, "min_ram": 0,
        "schema": "/v2/schemas/image", "virtual_size": null,
        "os_distro": "cirros", "os_admin_user": "cirros",
        "description": "CirrOS test image"
    });
    assert_eq!(
        image_facts("1bea47ed-f6a9-463b-b423-14b9cca9ad27", &image),
        ImageFacts {
            id: "1bea47ed-f6a9-463b-b423-14b9cca9ad27".into(),
            name: Some("cirros-0.3.2-x86_64-disk".into()),
            description: Some("CirrOS test image".into()),
            os_distro: Some("cirros".into()),
            os_admin_user: Some("cirros".into()),
        }
    );
    let plain = image_facts("x", &json!({"id": "x", "name": "bare"}));
    assert_eq!((plain.description, plain.os_distro), (None, None));
}

#[test]
fn names_in_paths_are_escaped() {
    assert_eq!(path_segment("lab key/2"), "lab%20key%2F2");
    assert_eq!(path_segment("lab-key_1.pub"), "lab-key_1.pub");
}
