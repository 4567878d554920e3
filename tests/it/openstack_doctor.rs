//! The doctor's facts on OpenStack (`Provider::facts`): Nova's task and
//! fault, the ports' security groups, the routers of the server's
//! networks, its key pair and image, from the Nova / Neutron / Glance
//! fakes behind the real Keystone (the `Lab` of `openstack.rs`), and the
//! doctor's verdicts on them.

use std::collections::BTreeMap;
use std::time::Duration;

use hytop::cloud::facts::{
    FactKind, Facts, ImageFacts, IngressRule, KeyPairFacts, NetworkFacts, Protocol, Source,
    StatusFacts,
};
use hytop::cloud::openstack::OpenStackProvider;
use hytop::cloud::{PowerAction, Provider};
use hytop::doctor::{self, Check, DoctorContext, Verdict};
use hytop::domain::model::{Instance, LaunchSpec};
use hytop_testkit::openstack::Service;
use hytop_testkit::openstack::world::{KEYPAIR_NAME, NETWORK_EXTERNAL, SgRule, uuid};

use crate::openstack::Lab;

async fn lab() -> Lab {
    Lab::start(
        |o| {
            o.build_polls = 0;
            o.action_polls = 50;
        },
        false,
    )
    .await
}

async fn instance(provider: &OpenStackProvider, id: &str) -> Instance {
    provider
        .list_instances()
        .await
        .expect("listing")
        .into_iter()
        .find(|i| i.id == id)
        .expect("listed")
}

async fn facts(provider: &OpenStackProvider, inst: &Instance, kind: FactKind) -> Facts {
    provider
        .facts(inst, kind)
        .await
        .unwrap_or_else(|e| panic!("{kind:?} of {}: {e}", inst.id))
}

fn context(instance: Instance) -> DoctorContext {
    DoctorContext {
        instance,
        cloud_label: "lab".into(),
        login_user: None,
        identity_file: None,
        default_user: "cloud".into(),
        service_ports: Vec::new(),
        health_url: None,
        home: None,
        console_lines: 50,
        probe_timeout: Duration::from_secs(1),
    }
}

/// Launches one server through the provider (the fake makes it ACTIVE at
/// once) and returns its id.
async fn launch(
    lab: &Lab,
    provider: &OpenStackProvider,
    name: &str,
    groups: &[&str],
    network: &str,
) -> String {
    let spec = LaunchSpec {
        region: String::new(),
        name: name.into(),
        count: 1,
        image: "cirros-0.6.2".into(),
        size: "m1.tiny".into(),
        key_name: Some(KEYPAIR_NAME.into()),
        security_groups: groups.iter().map(|g| g.to_string()).collect(),
        network: Some(network.into()),
        user_data: None,
        detailed_monitoring: false,
        tags: BTreeMap::new(),
    };
    let ids = provider.launch(&spec).await.expect("launch");
    assert!(lab.fake.server(&ids[0]).is_some());
    ids[0].clone()
}

/// `lab-ssh`: 22/tcp from 0.0.0.0/0 (and the egress rules Neutron gives
/// every new group); returns (group id, rule id).
fn add_lab_ssh(lab: &Lab) -> (String, String) {
    let egress = |ethertype| SgRule {
        id: uuid(),
        direction: "egress",
        ethertype,
        protocol: None,
        port_min: None,
        port_max: None,
        remote_ip_prefix: None,
        remote_self: false,
    };
    let rule_id = uuid();
    let ssh = SgRule {
        id: rule_id.clone(),
        direction: "ingress",
        ethertype: "IPv4",
        protocol: Some("tcp"),
        port_min: Some(22),
        port_max: Some(22),
        remote_ip_prefix: Some("0.0.0.0/0"),
        remote_self: false,
    };
    let id = lab.fake.world().add_security_group(
        &lab.user.project_id,
        "lab-ssh",
        "ssh for the lab",
        vec![egress("IPv4"), egress("IPv6"), ssh],
    );
    (id, rule_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_facts_show_the_task_and_the_fault() {
    let lab = lab().await;
    let provider = lab.password_provider();
    let ids = lab.fake.seed(&lab.user.project_id, 3);

    let fine = instance(&provider, &ids[0]).await;
    assert_eq!(
        facts(&provider, &fine, FactKind::Status).await,
        Facts::Status(StatusFacts::default())
    );
    assert_eq!(
        doctor::run(&provider, &context(fine), Check::State)
            .await
            .verdict,
        Verdict::Pass
    );

    let outcome = provider.power(&[ids[1].clone()], PowerAction::Reboot).await;
    assert_eq!(outcome[0].result, Ok(()));
    let rebooting = instance(&provider, &ids[1]).await;
    let Facts::Status(status) = facts(&provider, &rebooting, FactKind::Status).await else {
        panic!("not status facts");
    };
    assert_eq!(status.task_state.as_deref(), Some("rebooting"));
    assert_eq!(status.fault, None);

    lab.fake.world().fail_server(
        &ids[2],
        500,
        "No valid host was found. There are not enough hosts available.",
    );
    let failed = instance(&provider, &ids[2]).await;
    assert_eq!(failed.raw_state, "ERROR");
    assert_eq!(
        facts(&provider, &failed, FactKind::Status).await,
        Facts::Status(StatusFacts {
            fault: Some(
                "No valid host was found. There are not enough hosts available. (500)".into()
            ),
            ..StatusFacts::default()
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_groups_come_from_the_ports_and_decide_port_22() {
    let lab = lab().await;
    let provider = lab.password_provider();
    let (ssh_id, ssh_rule) = add_lab_ssh(&lab);
    let open = launch(&lab, &provider, "web-1", &["default", "lab-ssh"], "private").await;
    let closed = launch(&lab, &provider, "web-2", &["default"], "private").await;
    let (default_id, default_rules) = {
        let world = lab.fake.world();
        let g = world
            .security_group_by_name(&lab.user.project_id, "default")
            .expect("default group");
        let ingress: Vec<String> = g
            .rules
            .iter()
            .filter(|r| r.direction == "ingress")
            .map(|r| r.id.clone())
            .collect();
        (g.id.clone(), ingress)
    };

    let inst = instance(&provider, &open).await;
    let Facts::SecurityGroups(groups) = facts(&provider, &inst, FactKind::SecurityGroups).await
    else {
        panic!("not security groups");
    };
    let names: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g.id.as_str(), g.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (default_id.as_str(), "default"),
            (ssh_id.as_str(), "lab-ssh")
        ]
    );
    // `default` lets in only its own members, of both families.
    assert_eq!(
        groups[0].ingress,
        default_rules
            .iter()
            .map(|id| IngressRule {
                protocol: None,
                ports: None,
                source: Source::Group(default_id.clone()),
                rule_id: Some(id.clone()),
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        groups[1].ingress,
        vec![IngressRule {
            protocol: Some(Protocol::Tcp),
            ports: Some((22, 22)),
            source: Source::Cidr("0.0.0.0/0".into()),
            rule_id: Some(ssh_rule),
        }]
    );
    let pass = doctor::run(&provider, &context(inst), Check::SecurityGroups).await;
    assert_eq!(pass.verdict, Verdict::Pass, "{pass:?}");
    assert!(pass.reason.contains("lab-ssh"), "{}", pass.reason);

    let inst = instance(&provider, &closed).await;
    lab.fake.reset_requests();
    let fail = doctor::run(&provider, &context(inst), Check::SecurityGroups).await;
    assert_eq!(fail.verdict, Verdict::Fail, "{fail:?}");
    assert!(
        fail.reason.contains("only from members of"),
        "{}",
        fail.reason
    );
    let fix = fail.fix.expect("a fix");
    assert!(
        fix.ends_with(&format!("--dst-port 22 --remote-ip 0.0.0.0/0 {default_id}")),
        "{fix}"
    );
    // Two listings (groups by id, rules by group) after the ports, not a
    // request per group or rule.
    let mut asked: Vec<String> = lab
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.contains("/security-group"))
        .map(|r| r.path.clone())
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "/network/v2.0/security-group-rules",
            "/network/v2.0/security-groups"
        ]
        .map(String::from)
        .to_vec(),
        "{asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_check_follows_the_router_of_the_network() {
    let lab = lab().await;
    let provider = lab.password_provider();
    let project = lab.user.project_id.clone();
    let external = lab.fake.network_id(NETWORK_EXTERNAL).expect("external");
    let lab_router = {
        let mut world = lab.fake.world();
        let lab_net = world.add_network(&project, "lab-net", 10);
        let dark_net = world.add_network(&project, "dark-net", 11);
        let lab_router = world.add_router(
            &project,
            "lab-router",
            &lab_net,
            Some(&external),
            "network:router_interface",
        );
        // A DVR router's interface has its own device_owner.
        world.add_router(
            &project,
            "dark-router",
            &dark_net,
            None,
            "network:router_interface_distributed",
        );
        lab_router
    };
    let routed = launch(&lab, &provider, "routed", &["default"], "lab-net").await;
    let dark = launch(&lab, &provider, "dark", &["default"], "dark-net").await;

    // Neutron routes the floating IP through lab-router.
    let attached = provider.attach_public_ip(&routed).await.expect("attach");
    let fip = lab
        .fake
        .floating_ips()
        .into_iter()
        .find(|f| f["floating_ip_address"] == attached.ip.as_str())
        .expect("floating IP");
    assert_eq!(fip["router_id"], lab_router.as_str());
    let inst = instance(&provider, &routed).await;
    assert_eq!(inst.public_ip.as_deref(), Some(attached.ip.as_str()));
    assert_eq!(
        facts(&provider, &inst, FactKind::Network).await,
        Facts::Network(NetworkFacts {
            networks: vec!["lab-net".into()],
            routed_out: vec![("lab-router".into(), external.clone())],
            without_gateway: Vec::new(),
        })
    );
    let pass = doctor::run(&provider, &context(inst), Check::Address).await;
    assert_eq!(pass.verdict, Verdict::Pass, "{pass:?}");
    assert!(pass.reason.contains("lab-router"), "{}", pass.reason);

    // Neutron refuses a floating IP there, as a router without a gateway
    // cannot carry it.
    let refused = provider
        .attach_public_ip(&dark)
        .await
        .expect_err("no route");
    assert_eq!(
        refused.code.as_deref(),
        Some("404 ExternalGatewayForFloatingIPNotFound"),
        "{refused}"
    );
    let mut inst = instance(&provider, &dark).await;
    assert_eq!(
        facts(&provider, &inst, FactKind::Network).await,
        Facts::Network(NetworkFacts {
            networks: vec!["dark-net".into()],
            routed_out: Vec::new(),
            without_gateway: vec!["dark-router".into()],
        })
    );
    // As if an address were there (one associated elsewhere, say): the
    // router is what fails.
    inst.public_ip = Some("172.24.4.99".into());
    let fail = doctor::run(&provider, &context(inst), Check::Address).await;
    assert_eq!(fail.verdict, Verdict::Fail, "{fail:?}");
    assert!(
        fail.fix
            .as_deref()
            .is_some_and(|f| f.ends_with("dark-router")),
        "{fail:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_network_is_seen_routed_through_its_floating_ip() {
    let lab = lab().await;
    let provider = lab.password_provider();
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let external = lab.fake.network_id(NETWORK_EXTERNAL).expect("external");
    let admin_router = lab.fake.world().router_id.clone();
    // The admin's router1 serves the shared network; its interface port is
    // not the project's, so only the floating IP's router_id shows it.
    let inst = instance(&provider, &ids[0]).await;
    assert_eq!(
        facts(&provider, &inst, FactKind::Network).await,
        Facts::Network(NetworkFacts {
            networks: vec!["private".into()],
            ..NetworkFacts::default()
        })
    );
    provider.attach_public_ip(&ids[0]).await.expect("attach");
    let inst = instance(&provider, &ids[0]).await;
    assert_eq!(
        facts(&provider, &inst, FactKind::Network).await,
        Facts::Network(NetworkFacts {
            networks: vec!["private".into()],
            routed_out: vec![(admin_router, external)],
            without_gateway: Vec::new(),
        })
    );
    let pass = doctor::run(&provider, &context(inst), Check::Address).await;
    assert_eq!(pass.verdict, Verdict::Pass, "{pass:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_pair_facts_and_a_missing_key_pair() {
    let lab = lab().await;
    let provider = lab.password_provider();
    // Seeded servers 1 and 2 have lab-key, 3 has none.
    let ids = lab.fake.seed(&lab.user.project_id, 3);
    let (public_key, fingerprint) = {
        let world = lab.fake.world();
        let k = &world.keypairs[0];
        (k.public_key.clone(), k.fingerprint.clone())
    };
    let with_key = instance(&provider, &ids[0]).await;
    assert_eq!(
        facts(&provider, &with_key, FactKind::KeyPair).await,
        Facts::KeyPair(Some(KeyPairFacts {
            name: KEYPAIR_NAME.into(),
            public_key: Some(public_key),
            fingerprint: Some(fingerprint),
        }))
    );
    let without = instance(&provider, &ids[2]).await;
    assert_eq!(without.key_name, None);
    assert_eq!(
        facts(&provider, &without, FactKind::KeyPair).await,
        Facts::KeyPair(None)
    );

    lab.fake.reset_requests();
    let mut gone = with_key.clone();
    gone.key_name = Some("deleted key".into());
    assert_eq!(
        facts(&provider, &gone, FactKind::KeyPair).await,
        Facts::KeyPair(None)
    );
    let asked = lab.fake.requests();
    assert!(
        asked
            .iter()
            .any(|r| r.path.ends_with("/os-keypairs/deleted%20key") && r.status == 404),
        "{asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_facts_read_glance_properties() {
    let lab = lab().await;
    let provider = lab.password_provider();
    // Seeded server 4 boots ubuntu, the others cirros.
    let ids = lab.fake.seed(&lab.user.project_id, 4);
    let ubuntu = instance(&provider, &ids[3]).await;
    assert_eq!(
        facts(&provider, &ubuntu, FactKind::Image).await,
        Facts::Image(Some(ImageFacts {
            id: lab.fake.image_id("ubuntu-24.04").expect("ubuntu"),
            name: Some("ubuntu-24.04".into()),
            description: Some("Ubuntu 24.04 LTS (Noble Numbat) cloud image".into()),
            os_distro: Some("ubuntu".into()),
            os_admin_user: Some("ubuntu".into()),
        }))
    );
    let cirros = instance(&provider, &ids[0]).await;
    let Facts::Image(Some(image)) = facts(&provider, &cirros, FactKind::Image).await else {
        panic!("cirros is known");
    };
    assert_eq!(image.name.as_deref(), Some("cirros-0.6.2"));
    assert_eq!(image.description, None);

    let mut deleted = cirros.clone();
    deleted.image = "6f1c3a52-0000-4000-8000-00000000dead".into();
    assert_eq!(
        facts(&provider, &deleted, FactKind::Image).await,
        Facts::Image(None)
    );

    lab.fake.reset_requests();
    let mut from_volume = cirros.clone();
    from_volume.image = "(volume)".into();
    assert_eq!(
        facts(&provider, &from_volume, FactKind::Image).await,
        Facts::Image(None)
    );
    assert_eq!(lab.fake.count(Service::Image), 0, "no image to ask about");
}
