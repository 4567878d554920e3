//! The doctor's AWS facts against a real EC2 emulator (moto's server):
//! security groups as `DescribeSecurityGroups` really shapes them and
//! judged by `doctor::security::access`, key pairs imported and created,
//! status checks, the AMI, and then the doctor's checks end to end.
//!
//! What moto 5.2.5 answers, and these tests rely on: its `default` group
//! has no ingress rule at all (real EC2's admits its own members), every
//! running instance's status checks are `ok`/`ok` and a stopped one's
//! `not-applicable`, a launched instance gets a public address, and
//! unknown key names and AMIs are `InvalidKeyPair.NotFound` and
//! `InvalidAMIID.NotFound`.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::types::{
    Filter, InstanceType, IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair,
};
use hytop::cloud::Provider;
use hytop::cloud::aws::AwsProvider;
use hytop::cloud::facts::{
    FactKind, Facts, IngressRule, KeyPairFacts, NetworkFacts, Protocol, SecurityGroup, Source,
};
use hytop::doctor::security::{PortAccess, access};
use hytop::doctor::{Check, DoctorContext, Verdict};
use hytop::domain::model::{Instance, InstanceState};
use hytop_testkit::moto::MotoServer;

const REGION: &str = "eu-west-1";

/// A public key made for these tests alone; its private half was never
/// kept.
const TEST_PUBLIC_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIFgf/jOnsK7Nmmgi9mV0DEOWYIDBVRqKkbkIfzJRAC5 hytop-doctor-test";

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(hytop::cloud::aws::http_client())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// Moto, an SDK client on it for arranging the world, and the provider
/// under test (its CloudWatch goes nowhere: the doctor never asks it).
struct World {
    _moto: MotoServer,
    ec2: aws_sdk_ec2::Client,
    provider: AwsProvider,
    ami: String,
    vpc: String,
}

impl World {
    async fn start() -> World {
        let moto = MotoServer::start();
        let config = sdk_config(&moto.url).await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let provider = AwsProvider::with_configs(
            Some("test".into()),
            REGION,
            &config,
            &sdk_config("http://127.0.0.1:9").await,
        );
        let ami = ec2
            .describe_images()
            .owners("amazon")
            .send()
            .await
            .expect("describe images")
            .images()
            .iter()
            .find_map(|i| i.image_id().map(str::to_string))
            .expect("moto has an AMI");
        let vpc = ec2
            .describe_vpcs()
            .filters(Filter::builder().name("is-default").values("true").build())
            .send()
            .await
            .expect("describe vpcs")
            .vpcs()
            .iter()
            .find_map(|v| v.vpc_id().map(str::to_string))
            .expect("moto has a default VPC");
        World {
            _moto: moto,
            ec2,
            provider,
            ami,
            vpc,
        }
    }

    /// The default VPC's `default` group.
    async fn default_group(&self) -> String {
        self.ec2
            .describe_security_groups()
            .filters(
                Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .filters(Filter::builder().name("vpc-id").values(&self.vpc).build())
            .send()
            .await
            .expect("describe default group")
            .security_groups()
            .iter()
            .find_map(|g| g.group_id().map(str::to_string))
            .expect("the default VPC has a default group")
    }

    async fn group(&self, name: &str, ingress: Vec<IpPermission>) -> String {
        let id = self
            .ec2
            .create_security_group()
            .group_name(name)
            .description(format!("hytop doctor test: {name}"))
            .vpc_id(&self.vpc)
            .send()
            .await
            .expect("create security group")
            .group_id()
            .expect("group id")
            .to_string();
        if !ingress.is_empty() {
            self.ec2
                .authorize_security_group_ingress()
                .group_id(&id)
                .set_ip_permissions(Some(ingress))
                .send()
                .await
                .expect("authorize ingress");
        }
        id
    }

    /// Runs one t2.nano in `groups`, with `key`; its id.
    async fn run(&self, groups: &[&str], key: Option<&str>) -> String {
        let mut run = self
            .ec2
            .run_instances()
            .image_id(&self.ami)
            .instance_type(InstanceType::T2Nano)
            .min_count(1)
            .max_count(1)
            .set_key_name(key.map(str::to_string));
        for g in groups {
            run = run.security_group_ids(*g);
        }
        run.send()
            .await
            .expect("run instance")
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .expect("instance id")
            .to_string()
    }

    /// The instance as the provider lists it (what the doctor is given).
    async fn listed(&self, id: &str) -> Instance {
        self.provider
            .list_instances()
            .await
            .expect("list instances")
            .into_iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("{id} not listed"))
    }

    async fn groups_of(&self, instance: &Instance) -> Vec<SecurityGroup> {
        match self
            .provider
            .facts(instance, FactKind::SecurityGroups)
            .await
        {
            Ok(Facts::SecurityGroups(groups)) => groups,
            other => panic!("security groups of {}: {other:?}", instance.id),
        }
    }
}

fn tcp(from: i32, to: i32) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(from)
        .to_port(to)
}

fn v4(cidr: &str) -> IpRange {
    IpRange::builder().cidr_ip(cidr).build()
}

fn v6(cidr: &str) -> Ipv6Range {
    Ipv6Range::builder().cidr_ipv6(cidr).build()
}

fn rule(protocol: Option<Protocol>, ports: Option<(u16, u16)>, source: Source) -> IngressRule {
    IngressRule {
        protocol,
        ports,
        source,
        rule_id: None,
    }
}

/// Rules in a fixed order: moto need not keep the order they were added in.
fn sorted(rules: &[IngressRule]) -> Vec<String> {
    let set: BTreeSet<String> = rules.iter().map(|r| format!("{r:?}")).collect();
    set.into_iter().collect()
}

fn context(instance: Instance) -> DoctorContext {
    DoctorContext {
        instance,
        cloud_label: format!("test/{REGION}"),
        login_user: None,
        identity_file: None,
        default_user: "ec2-user".into(),
        service_ports: Vec::new(),
        health_url: None,
        home: None,
        console_lines: 100,
        probe_timeout: Duration::from_secs(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_22_open_to_the_world_and_closed_in_motos_default_group() {
    let w = World::start().await;
    let default = w.default_group().await;
    // What moto's default group really allows: nothing in (real EC2's
    // admits members of itself; either way not a laptop).
    let described = w
        .ec2
        .describe_security_groups()
        .group_ids(&default)
        .send()
        .await
        .expect("describe default");
    assert_eq!(
        described.security_groups()[0].ip_permissions(),
        &[],
        "moto's default group changed: {described:?}"
    );
    let ssh = w
        .group(
            "lab-ssh",
            vec![tcp(22, 22).ip_ranges(v4("0.0.0.0/0")).build()],
        )
        .await;
    let open = w.run(&[&ssh], None).await;
    let closed = w.run(&[&default], None).await;

    let open = w.listed(&open).await;
    let groups = w.groups_of(&open).await;
    assert_eq!(
        groups,
        vec![SecurityGroup {
            id: ssh.clone(),
            name: "lab-ssh".into(),
            ingress: vec![rule(
                Some(Protocol::Tcp),
                Some((22, 22)),
                Source::Cidr("0.0.0.0/0".into())
            )],
        }]
    );
    match access(&groups, 22) {
        PortAccess::Open(g, r) => {
            assert_eq!(g.id, ssh);
            assert_eq!(r.source, Source::Cidr("0.0.0.0/0".into()));
        }
        other => panic!("22 should be open: {other:?}"),
    }
    assert_eq!(access(&groups, 80), PortAccess::Closed);

    let closed = w.listed(&closed).await;
    let groups = w.groups_of(&closed).await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(
        (groups[0].id.as_str(), groups[0].name.as_str()),
        (default.as_str(), "default")
    );
    assert!(groups[0].ingress.is_empty(), "{groups:?}");
    assert!(
        !matches!(access(&groups, 22), PortAccess::Open(..)),
        "22 open in the default group: {groups:?}"
    );

    // One DescribeInstances by id and one DescribeSecurityGroups per ask
    // (besides the two listings).
    let calls = w.provider.api_calls();
    assert_eq!(calls.get("DescribeInstances"), Some(&4), "{calls:?}");
    assert_eq!(calls.get("DescribeSecurityGroups"), Some(&2), "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_references_ipv6_ranges_and_prefix_lists_as_moto_shapes_them() {
    let w = World::start().await;
    let web = w.group("lab-web", Vec::new()).await;
    let prefix_list = w
        .ec2
        .create_managed_prefix_list()
        .prefix_list_name("campus")
        .max_entries(2)
        .address_family("IPv4")
        .entries(
            aws_sdk_ec2::types::AddPrefixListEntry::builder()
                .cidr("141.37.0.0/16")
                .build(),
        )
        .send()
        .await
        .expect("create prefix list")
        .prefix_list()
        .and_then(|p| p.prefix_list_id())
        .expect("prefix list id")
        .to_string();
    let shapes = w
        .group(
            "lab-shapes",
            vec![
                // 22 from IPv6 only, and from a private IPv4 range.
                tcp(22, 22)
                    .ip_ranges(v4("10.0.0.0/8"))
                    .ipv6_ranges(v6("::/0"))
                    .build(),
                // Everything from the members of another group.
                IpPermission::builder()
                    .ip_protocol("-1")
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(&web).build())
                    .build(),
                // A port range by protocol number, from a public range.
                IpPermission::builder()
                    .ip_protocol("6")
                    .from_port(8000)
                    .to_port(8100)
                    .ip_ranges(v4("141.37.0.0/16"))
                    .build(),
                // 5432 from a prefix list.
                tcp(5432, 5432)
                    .prefix_list_ids(PrefixListId::builder().prefix_list_id(&prefix_list).build())
                    .build(),
                // Not TCP at all.
                IpPermission::builder()
                    .ip_protocol("icmp")
                    .from_port(-1)
                    .to_port(-1)
                    .ip_ranges(v4("0.0.0.0/0"))
                    .build(),
                IpPermission::builder()
                    .ip_protocol("udp")
                    .from_port(3000)
                    .to_port(3000)
                    .ip_ranges(v4("0.0.0.0/0"))
                    .build(),
            ],
        )
        .await;
    let id = w.run(&[&shapes, &web], None).await;
    let instance = w.listed(&id).await;
    let groups = w.groups_of(&instance).await;

    let ids: BTreeSet<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from([shapes.as_str(), web.as_str()]));
    let shaped = groups.iter().find(|g| g.id == shapes).expect("lab-shapes");
    assert_eq!(shaped.name, "lab-shapes");
    let tcp = Some(Protocol::Tcp);
    assert_eq!(
        sorted(&shaped.ingress),
        sorted(&[
            rule(
                tcp.clone(),
                Some((22, 22)),
                Source::Cidr("10.0.0.0/8".into())
            ),
            rule(tcp.clone(), Some((22, 22)), Source::Cidr("::/0".into())),
            rule(None, None, Source::Group(web.clone())),
            rule(
                tcp.clone(),
                Some((8000, 8100)),
                Source::Cidr("141.37.0.0/16".into())
            ),
            rule(
                tcp.clone(),
                Some((5432, 5432)),
                Source::PrefixList(prefix_list.clone())
            ),
            rule(Some(Protocol::Icmp), None, Source::Cidr("0.0.0.0/0".into())),
            rule(
                Some(Protocol::Udp),
                Some((3000, 3000)),
                Source::Cidr("0.0.0.0/0".into())
            ),
        ])
    );

    // 22: the IPv6 rule beats the private range.
    match access(&groups, 22) {
        PortAccess::Open(_, r) => assert_eq!(r.source, Source::Cidr("::/0".into())),
        other => panic!("22: {other:?}"),
    }
    // Within the range, from a public prefix: open; outside it, only the
    // members of lab-web.
    assert!(matches!(access(&groups, 8080), PortAccess::Open(..)));
    match access(&groups, 8200) {
        PortAccess::Inside(_, r) => assert_eq!(r.source, Source::Group(web.clone())),
        other => panic!("8200: {other:?}"),
    }
    match access(&groups, 5432) {
        PortAccess::Open(_, r) => assert_eq!(r.source, Source::PrefixList(prefix_list.clone())),
        other => panic!("5432: {other:?}"),
    }
    // UDP 3000 lets no TCP in.
    assert!(matches!(access(&groups, 3000), PortAccess::Inside(..)));

    // The doctor on the same groups: 22 and 8080 open, 3000 only inside.
    let mut ctx = context(instance);
    ctx.service_ports = vec![8080];
    let f = hytop::doctor::run(&w.provider, &ctx, Check::SecurityGroups).await;
    assert_eq!(f.verdict, Verdict::Pass, "{f:?}");
    ctx.service_ports = vec![8080, 3000];
    let f = hytop::doctor::run(&w.provider, &ctx, Check::SecurityGroups).await;
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.reason.contains("3000/tcp only from members of"), "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_pairs_imported_created_and_deleted() {
    let w = World::start().await;
    let imported = w
        .ec2
        .import_key_pair()
        .key_name("lab-imported")
        .public_key_material(aws_smithy_types::Blob::new(TEST_PUBLIC_KEY.as_bytes()))
        .send()
        .await
        .expect("import key pair");
    let created = w
        .ec2
        .create_key_pair()
        .key_name("lab-created")
        .send()
        .await
        .expect("create key pair");
    let with_imported = w.listed(&w.run(&[], Some("lab-imported")).await).await;
    let with_created = w.listed(&w.run(&[], Some("lab-created")).await).await;
    let without = w.listed(&w.run(&[], None).await).await;
    assert_eq!(with_imported.key_name.as_deref(), Some("lab-imported"));
    assert_eq!(without.key_name, None);

    let key_of = |i: Instance| {
        let p = &w.provider;
        async move {
            match p.facts(&i, FactKind::KeyPair).await {
                Ok(Facts::KeyPair(k)) => k,
                other => panic!("key pair of {}: {other:?}", i.id),
            }
        }
    };
    assert_eq!(
        key_of(with_imported.clone()).await,
        Some(KeyPairFacts {
            name: "lab-imported".into(),
            public_key: Some(TEST_PUBLIC_KEY.into()),
            fingerprint: imported.key_fingerprint().map(str::to_string),
        })
    );
    assert!(imported.key_fingerprint().is_some());

    let made = key_of(with_created.clone())
        .await
        .expect("created key known");
    assert_eq!(made.name, "lab-created");
    assert_eq!(
        made.fingerprint.as_deref(),
        created.key_fingerprint(),
        "the fingerprint CreateKeyPair gave"
    );
    let public = made
        .public_key
        .expect("moto gives a created key's public half");
    assert!(public.starts_with("ssh-rsa "), "{public}");

    // No key name: nothing to ask.
    let before = w.provider.api_calls().get("DescribeKeyPairs").copied();
    assert_eq!(key_of(without).await, None);
    assert_eq!(
        w.provider.api_calls().get("DescribeKeyPairs").copied(),
        before
    );

    // Deleted since launch: EC2's InvalidKeyPair.NotFound is "no key".
    w.ec2
        .delete_key_pair()
        .key_name("lab-created")
        .send()
        .await
        .expect("delete key pair");
    assert_eq!(key_of(with_created).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_checks_of_a_running_and_a_stopped_instance() {
    let w = World::start().await;
    let id = w.run(&[], None).await;
    let status = |i: Instance| {
        let p = &w.provider;
        async move {
            match p.facts(&i, FactKind::Status).await {
                Ok(Facts::Status(s)) => s,
                other => panic!("status of {}: {other:?}", i.id),
            }
        }
    };
    let running = w.listed(&id).await;
    let s = status(running.clone()).await;
    assert_eq!(
        (s.system.as_deref(), s.instance.as_deref()),
        (Some("ok"), Some("ok")),
        "{s:?}"
    );
    assert_eq!((s.task_state, s.fault), (None, None));
    let f = hytop::doctor::run(&w.provider, &context(running), Check::State).await;
    assert_eq!(f.verdict, Verdict::Pass, "{f:?}");

    w.ec2
        .stop_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("stop");
    let stopped = w.listed(&id).await;
    assert_eq!(stopped.state, InstanceState::Stopped);
    let s = status(stopped.clone()).await;
    assert_eq!(
        (s.system.as_deref(), s.instance.as_deref()),
        (Some("not-applicable"), Some("not-applicable")),
        "{s:?}"
    );
    let f = hytop::doctor::run(&w.provider, &context(stopped), Check::State).await;
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert_eq!(f.fix.as_deref(), Some("start it: U"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_facts_of_motos_ami_and_of_an_unknown_one() {
    let w = World::start().await;
    let described = w
        .ec2
        .describe_images()
        .image_ids(&w.ami)
        .send()
        .await
        .expect("describe image");
    let want = &described.images()[0];
    let instance = w.listed(&w.run(&[], None).await).await;
    assert_eq!(instance.image, w.ami);
    match w.provider.facts(&instance, FactKind::Image).await {
        Ok(Facts::Image(Some(image))) => {
            assert_eq!(image.id, w.ami);
            assert_eq!(image.name.as_deref(), want.name());
            assert_eq!(image.description.as_deref(), want.description());
            assert!(
                image.name.is_some() && image.description.is_some(),
                "{image:?}"
            );
            assert_eq!((image.os_distro, image.os_admin_user), (None, None));
        }
        other => panic!("image facts: {other:?}"),
    }
    let mut gone = instance.clone();
    gone.image = "ami-0123456789abcdef0".into();
    assert_eq!(
        w.provider.facts(&gone, FactKind::Image).await,
        Ok(Facts::Image(None))
    );

    // AWS needs no router: an empty answer, and no call for it.
    let calls = w.provider.api_calls();
    assert_eq!(
        w.provider.facts(&instance, FactKind::Network).await,
        Ok(Facts::Network(NetworkFacts::default()))
    );
    assert_eq!(w.provider.api_calls(), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_errors_keep_their_code_and_the_doctor_says_it_could_not_ask() {
    let w = World::start().await;
    let mut ghost = w.listed(&w.run(&[], None).await).await;
    ghost.id = "i-0000000000000dead".into();
    for kind in [FactKind::Status, FactKind::SecurityGroups] {
        let e = w
            .provider
            .facts(&ghost, kind)
            .await
            .expect_err("an unknown instance");
        assert_eq!(
            e.code.as_deref(),
            Some("InvalidInstanceID.NotFound"),
            "{kind:?}: {e}"
        );
        assert!(e.message.contains("i-0000000000000dead"), "{kind:?}: {e}");
    }
    let f = hytop::doctor::run(&w.provider, &context(ghost), Check::SecurityGroups).await;
    assert_eq!(f.verdict, Verdict::Unknown, "{f:?}");
    assert!(f.unasked, "{f:?}");
    assert!(f.reason.contains("InvalidInstanceID.NotFound"), "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_over_moto() {
    let w = World::start().await;
    let default = w.default_group().await;
    let ssh = w
        .group(
            "lab-ssh",
            vec![tcp(22, 22).ip_ranges(v4("0.0.0.0/0")).build()],
        )
        .await;
    let good = w.listed(&w.run(&[&ssh], None).await).await;
    let shut = w.listed(&w.run(&[&default], None).await).await;
    let ip = good.public_ip.clone().expect("moto gives a public address");

    let ctx = context(good);
    let state = hytop::doctor::run(&w.provider, &ctx, Check::State).await;
    assert_eq!(state.verdict, Verdict::Pass, "{state:?}");
    let address = hytop::doctor::run(&w.provider, &ctx, Check::Address).await;
    assert_eq!(address.verdict, Verdict::Pass, "{address:?}");
    assert!(address.reason.contains(&ip), "{address:?}");
    let groups = hytop::doctor::run(&w.provider, &ctx, Check::SecurityGroups).await;
    assert_eq!(groups.verdict, Verdict::Pass, "{groups:?}");
    assert!(
        groups
            .reason
            .contains("22/tcp open to 0.0.0.0/0 by sg lab-ssh"),
        "{groups:?}"
    );

    let ctx = context(shut);
    let groups = hytop::doctor::run(&w.provider, &ctx, Check::SecurityGroups).await;
    assert_eq!(groups.verdict, Verdict::Fail, "{groups:?}");
    assert!(!groups.unasked);
    let fix = groups.fix.as_deref().expect("a fix");
    assert!(
        fix.contains(&format!(
            "aws ec2 authorize-security-group-ingress --region {REGION} --group-id {default} --protocol tcp --port 22"
        )),
        "{fix}"
    );

    // Without a public address (moto gives one to every instance, so the
    // listing's is taken away) the address check fails before asking.
    let mut hidden = ctx.clone();
    hidden.instance.public_ip = None;
    let address = hytop::doctor::run(&w.provider, &hidden, Check::Address).await;
    assert_eq!(address.verdict, Verdict::Fail, "{address:?}");
}
