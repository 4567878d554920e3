//! The state behind the fakes: what Nova, Neutron, Glance, Gnocchi and
//! Cinder share (a server's port is Neutron's, its metrics are Gnocchi's,
//! its attached volumes are Cinder's).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::FakeOptions;
use super::lifecycle::{POWER_RUNNING, Task, VmState};

pub const FLAVOR_M1_TINY: &str = "1";
pub const FLAVOR_M1_SMALL: &str = "2";
pub const FLAVOR_M1_MEDIUM: &str = "3";
pub const FLAVOR_I4_TINY: &str = "42";
pub const IMAGE_CIRROS: &str = "cirros-0.6.2";
pub const IMAGE_UBUNTU: &str = "ubuntu-24.04";
/// Images Glance lists (more than its default page of 25).
pub const IMAGE_COUNT: usize = 30;
pub const KEYPAIR_NAME: &str = "lab-key";
pub const NETWORK_PRIVATE: &str = "private";
pub const NETWORK_EXTERNAL: &str = "i4labnet";
/// Owner of the shared resources (images, networks, router).
pub const ADMIN_PROJECT_ID: &str = "0c1f5d2e3b4a49c8a7d6e5f4c3b2a190";
/// The Ceilometer service user that "creates" Gnocchi resources.
pub const CEILOMETER_USER_ID: &str = "7e1b2c3d4e5f40718293a4b5c6d7e8f9";
pub const SERVICE_PROJECT_ID: &str = "9a8b7c6d5e4f43218765fedcba987654";
pub const POLICY_LOW: &str = "ceilometer-low";
pub const POLICY_LOW_RATE: &str = "ceilometer-low-rate";

pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: u32,
    pub ram: u32,
    pub disk: u32,
    pub ephemeral: u32,
    pub swap: u32,
    pub extra_specs: BTreeMap<String, String>,
}

pub struct Image {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub size: u64,
    pub virtual_size: u64,
    pub disk_format: String,
    pub min_disk: u32,
    pub min_ram: u32,
    pub checksum: String,
    pub hash: String,
    pub os_distro: String,
    /// Glance property `os_admin_user` (absent when `None`).
    pub os_admin_user: Option<String>,
    /// Glance property `description` (absent when `None`).
    pub description: Option<String>,
    /// `public`, `community`, ...: Glance's default listing leaves
    /// community images out, `GET /v2/images/{id}` shows them.
    pub visibility: String,
}

pub struct KeyPair {
    pub id: u32,
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
    pub created: DateTime<Utc>,
}

pub struct Network {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub shared: bool,
    pub external: bool,
    pub subnets: Vec<String>,
    pub mtu: u32,
    pub created: DateTime<Utc>,
}

pub struct Subnet {
    pub id: String,
    pub name: String,
    pub network_id: String,
    pub project_id: String,
    pub network_addr: u32,
    pub prefix: u32,
    pub gateway: u32,
    pub pool_start: u32,
    pub pool_end: u32,
    pub created: DateTime<Utc>,
}

impl Subnet {
    pub fn cidr(&self) -> String {
        format!("{}/{}", ip_string(self.network_addr), self.prefix)
    }
}

pub struct Port {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub device_id: String,
    pub device_owner: String,
    pub mac: String,
    /// (subnet id, address)
    pub fixed_ips: Vec<(String, u32)>,
    pub security_groups: Vec<String>,
    pub active: bool,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub revision: u32,
}

/// A Neutron router: its interfaces are ports with a router `device_owner`
/// and the router's id as `device_id` ([`World::add_router`]).
pub struct Router {
    pub id: String,
    pub name: String,
    pub project_id: String,
    /// The external network of `external_gateway_info`, if it has a gateway.
    pub gateway_network_id: Option<String>,
    /// Its address on the external network, with the gateway.
    pub gateway_ip: Option<u32>,
    pub created: DateTime<Utc>,
}

pub struct SgRule {
    pub id: String,
    pub direction: &'static str,
    pub ethertype: &'static str,
    pub protocol: Option<&'static str>,
    pub port_min: Option<u16>,
    pub port_max: Option<u16>,
    pub remote_ip_prefix: Option<&'static str>,
    /// Remote group is the rule's own group.
    pub remote_self: bool,
}

pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub project_id: String,
    pub rules: Vec<SgRule>,
    pub created: DateTime<Utc>,
}

pub struct FloatingIp {
    pub id: String,
    pub project_id: String,
    pub address: u32,
    pub network_id: String,
    pub port_id: Option<String>,
    pub fixed_ip: Option<u32>,
    pub router_id: Option<String>,
    pub description: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub revision: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Building { polls_left: u32 },
    Active,
    Deleting { polls_left: u32 },
    Gone,
}

pub struct Server {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    pub flavor_id: String,
    pub image_id: String,
    pub key_name: Option<String>,
    pub metadata: Map<String, Value>,
    pub security_groups: Vec<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub phase: Phase,
    /// Where power actions left a launched server (ACTIVE while building).
    pub vm_state: VmState,
    /// The power action under way, if any.
    pub task: Option<Task>,
    /// `OS-EXT-STS:power_state` once launched.
    pub power_state: u8,
    /// Creation order, Nova's tie breaker after `created`.
    pub seq: u64,
    /// `instance-%08x`.
    pub instance_index: u64,
    pub host: String,
    pub port_ids: Vec<String>,
    pub user_data: Option<String>,
    pub console: Option<String>,
    pub cpu_percent: f64,
    pub net_in_rate: f64,
    pub net_out_rate: f64,
    pub access_ipv4: String,
    /// Nova's instance fault `(code, message)`, shown while ERROR.
    pub fault: Option<(u16, String, DateTime<Utc>)>,
}

impl Server {
    pub fn instance_name(&self) -> String {
        format!("instance-{:08x}", self.instance_index)
    }

    pub fn visible(&self) -> bool {
        self.phase != Phase::Gone
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Cpu,
    Vcpus,
    Memory,
    MemoryUsage,
    NetInBytes,
    NetOutBytes,
    NetInPackets,
    NetOutPackets,
}

/// Where a volume is attached (Cinder's attachment and Nova's block device
/// mapping in one).
pub struct VolumeAttachment {
    pub attachment_id: String,
    pub server_id: String,
    pub device: String,
    pub attached_at: DateTime<Utc>,
    /// Nova's BDM flag: deleting the server deletes the volume.
    pub delete_on_termination: bool,
}

pub struct FakeVolume {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub name: Option<String>,
    /// GiB.
    pub size: u64,
    pub volume_type: String,
    /// `available`, `in-use`, `error`, ...
    pub status: String,
    pub bootable: bool,
    pub attachment: Option<VolumeAttachment>,
    pub created: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
}

/// What [`World::add_volume`] creates.
#[derive(Clone, Debug)]
pub struct NewVolume {
    pub name: Option<String>,
    pub size: u64,
    pub volume_type: String,
    /// Attached to this server (`in-use`), else `available`.
    pub server_id: Option<String>,
    pub delete_on_termination: bool,
}

impl NewVolume {
    /// `size` GiB of `__DEFAULT__` (the type every Cinder has), attached to nothing.
    pub fn sized(size: u64) -> NewVolume {
        NewVolume {
            name: None,
            size,
            volume_type: DEFAULT_VOLUME_TYPE.into(),
            server_id: None,
            delete_on_termination: false,
        }
    }
}

/// The volume type Cinder creates at install.
pub const DEFAULT_VOLUME_TYPE: &str = "__DEFAULT__";
/// Size of the volume [`World::seed`] attaches to a project's first server.
pub const SEED_VOLUME_GB: u64 = 10;

pub struct GResource {
    pub id: String,
    pub kind: &'static str,
    pub server_id: String,
    pub project_id: String,
    pub user_id: String,
    pub original_resource_id: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub attrs: Map<String, Value>,
    /// (name, metric id)
    pub metrics: Vec<(String, String)>,
}

pub struct GMetric {
    pub id: String,
    pub name: String,
    pub unit: &'static str,
    pub resource_id: String,
    pub policy: &'static str,
    pub kind: MetricKind,
    pub server_id: String,
    pub created: DateTime<Utc>,
}

pub struct ArchivePolicy {
    pub name: &'static str,
    pub aggregation_methods: Vec<&'static str>,
    /// (granularity seconds, points)
    pub definition: Vec<(u32, u32)>,
}

pub struct World {
    pub build_polls: u32,
    pub delete_polls: u32,
    pub action_polls: u32,
    pub nova_max_limit: usize,
    /// Cinder's `osapi_max_limit`.
    pub cinder_max_limit: usize,
    pub flavors: Vec<Flavor>,
    pub images: Vec<Image>,
    pub keypairs: Vec<KeyPair>,
    pub networks: Vec<Network>,
    pub subnets: Vec<Subnet>,
    pub ports: Vec<Port>,
    pub security_groups: Vec<SecurityGroup>,
    pub floating_ips: Vec<FloatingIp>,
    /// The admin's router between `private` and `i4labnet`, which routes
    /// every floating IP of the fake ([`World::routers`] has it).
    pub router_id: String,
    pub routers: Vec<Router>,
    pub servers: Vec<Server>,
    server_index: HashMap<String, usize>,
    pub volumes: Vec<FakeVolume>,
    pub resources: Vec<GResource>,
    pub metrics: HashMap<String, GMetric>,
    pub policies: Vec<ArchivePolicy>,
    seq: u64,
    next_fixed_ip: u32,
    mac_counter: u32,
    seeded: HashMap<String, usize>,
}

impl World {
    pub fn new(options: &FakeOptions) -> World {
        let now = Utc::now();
        let flavor = |id: &str, name: &str, vcpus, ram, disk, specs: &[(&str, &str)]| Flavor {
            id: id.into(),
            name: name.into(),
            vcpus,
            ram,
            disk,
            ephemeral: 0,
            swap: 0,
            extra_specs: specs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let flavors = vec![
            flavor(FLAVOR_M1_TINY, "m1.tiny", 1, 512, 1, &[]),
            flavor(FLAVOR_M1_SMALL, "m1.small", 2, 2048, 20, &[]),
            flavor(FLAVOR_M1_MEDIUM, "m1.medium", 2, 4096, 40, &[]),
            flavor("4", "m1.large", 4, 8192, 80, &[]),
            flavor(
                FLAVOR_I4_TINY,
                "i4.tiny",
                1,
                1024,
                5,
                &[("hw:cpu_policy", "shared")],
            ),
            flavor(
                "84",
                "i4.small",
                2,
                2048,
                10,
                &[("hw:cpu_policy", "shared"), ("hw_rng:allowed", "True")],
            ),
        ];

        let mut names: Vec<(String, String, u64, u32)> = vec![
            (IMAGE_CIRROS.into(), "cirros".into(), 21_430_272, 0),
            (IMAGE_UBUNTU.into(), "ubuntu".into(), 593_690_624, 3),
            ("debian-12".into(), "debian".into(), 356_974_592, 2),
            ("fedora-40".into(), "fedora".into(), 412_221_440, 5),
            ("rocky-9.4".into(), "rocky".into(), 597_688_320, 10),
            ("alpine-3.20".into(), "alpine".into(), 117_702_656, 1),
        ];
        let mut k = 1;
        while names.len() < IMAGE_COUNT {
            names.push((
                format!("lab-snapshot-{k:02}"),
                "ubuntu".into(),
                700_000_000 + k as u64 * 1_048_576,
                5,
            ));
            k += 1;
        }
        let images = names
            .into_iter()
            .enumerate()
            .map(|(i, (name, distro, size, min_disk))| {
                let created = now - Duration::days(60) + Duration::hours(i as i64 * 7);
                Image {
                    id: uuid(),
                    name,
                    created,
                    updated: created + Duration::seconds(42),
                    size,
                    virtual_size: size * 4,
                    disk_format: "qcow2".into(),
                    min_disk,
                    min_ram: 0,
                    checksum: hex_digest(&format!("md5-{i}"), 32),
                    hash: hex_digest(&format!("sha512-{i}"), 128),
                    // Cloud images name their login user; uploaded
                    // snapshots mostly do not.
                    os_admin_user: match distro.as_str() {
                        "cirros" | "ubuntu" | "debian" | "fedora" | "rocky" => {
                            (i < 6).then(|| distro.clone())
                        }
                        _ => None,
                    },
                    description: match distro.as_str() {
                        "ubuntu" if i < 6 => {
                            Some("Ubuntu 24.04 LTS (Noble Numbat) cloud image".into())
                        }
                        _ => None,
                    },
                    os_distro: distro,
                    visibility: "public".into(),
                }
            })
            .collect();

        let keypairs = vec![KeyPair {
            id: 1,
            name: KEYPAIR_NAME.into(),
            public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh5dG9wLWxhYi1rZXktZm9yLXRlc3RzLW9ubHk student@lab\n".into(),
            fingerprint: "3f:9a:1c:7e:52:b0:4d:8e:6a:21:f3:c9:0b:77:d4:5e".into(),
            created: now - Duration::days(30),
        }];

        let private_id = uuid();
        let external_id = uuid();
        let private_subnet = Subnet {
            id: uuid(),
            name: "private-subnet".into(),
            network_id: private_id.clone(),
            project_id: ADMIN_PROJECT_ID.into(),
            network_addr: ip(10, 0, 0, 0),
            prefix: 16,
            gateway: ip(10, 0, 0, 1),
            pool_start: ip(10, 0, 0, 2),
            pool_end: ip(10, 0, 255, 254),
            created: now - Duration::days(90),
        };
        let size = options.floating_pool_size.max(1) as u32;
        let (ext_net, ext_prefix) = if size <= 240 {
            (ip(172, 24, 4, 0), 24)
        } else {
            (ip(172, 24, 0, 0), 16)
        };
        let external_subnet = Subnet {
            id: uuid(),
            name: "i4labnet-subnet".into(),
            network_id: external_id.clone(),
            project_id: ADMIN_PROJECT_ID.into(),
            network_addr: ext_net,
            prefix: ext_prefix,
            gateway: ext_net + 1,
            pool_start: ext_net + 10,
            pool_end: ext_net + 10 + size - 1,
            created: now - Duration::days(90),
        };
        let networks = vec![
            Network {
                id: private_id,
                name: NETWORK_PRIVATE.into(),
                project_id: ADMIN_PROJECT_ID.into(),
                shared: true,
                external: false,
                subnets: vec![private_subnet.id.clone()],
                mtu: 1442,
                created: now - Duration::days(90),
            },
            Network {
                id: external_id,
                name: NETWORK_EXTERNAL.into(),
                project_id: ADMIN_PROJECT_ID.into(),
                shared: false,
                external: true,
                subnets: vec![external_subnet.id.clone()],
                mtu: 1500,
                created: now - Duration::days(90),
            },
        ];

        let mut grans: Vec<u32> = options
            .granularities
            .iter()
            .copied()
            .filter(|g| *g > 0)
            .collect();
        grans.sort_unstable();
        grans.dedup();
        let definition: Vec<(u32, u32)> = grans
            .iter()
            .map(|&g| {
                let timespan: u32 = if g < 60 {
                    86_400
                } else if g < 3600 {
                    7 * 86_400
                } else {
                    365 * 86_400
                };
                (g, (timespan / g).max(1))
            })
            .collect();
        let policies = vec![
            ArchivePolicy {
                name: POLICY_LOW,
                aggregation_methods: vec!["mean"],
                definition: definition.clone(),
            },
            ArchivePolicy {
                name: POLICY_LOW_RATE,
                aggregation_methods: vec!["mean", "rate:mean"],
                definition,
            },
        ];

        let router_id = uuid();
        let mut world = World {
            build_polls: options.build_polls,
            delete_polls: options.delete_polls,
            action_polls: options.action_polls,
            nova_max_limit: options.nova_max_limit.max(1),
            cinder_max_limit: options.cinder_max_limit.max(1),
            flavors,
            images,
            keypairs,
            networks,
            subnets: vec![private_subnet, external_subnet],
            ports: Vec::new(),
            security_groups: Vec::new(),
            floating_ips: Vec::new(),
            router_id: router_id.clone(),
            routers: Vec::new(),
            servers: Vec::new(),
            server_index: HashMap::new(),
            volumes: Vec::new(),
            resources: Vec::new(),
            metrics: HashMap::new(),
            policies,
            seq: 0,
            next_fixed_ip: ip(10, 0, 0, 10),
            mac_counter: 0x10_0000,
            seeded: HashMap::new(),
        };
        // As devstack sets it up: the admin's router1 with a gateway on the
        // public network and an interface on the shared private one (whose
        // port other projects do not see).
        let private = world.private_network().id.clone();
        let external = world
            .networks
            .iter()
            .find(|n| n.external)
            .map(|n| n.id.clone());
        world.add_router_with_id(
            router_id,
            ADMIN_PROJECT_ID,
            "router1",
            &private,
            external.as_deref(),
            "network:router_interface",
        );
        world
    }

    // -- lookups -------------------------------------------------------------

    pub fn flavor(&self, id: &str) -> Option<&Flavor> {
        self.flavors.iter().find(|f| f.id == id)
    }

    pub fn image(&self, id: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.id == id)
    }

    pub fn image_id_by_name(&self, name: &str) -> Option<String> {
        self.images
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.id.clone())
    }

    pub fn network(&self, id: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.id == id)
    }

    pub fn network_id_by_name(&self, name: &str) -> Option<String> {
        self.networks
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.id.clone())
    }

    pub fn private_network(&self) -> &Network {
        self.networks.iter().find(|n| !n.external).expect("private")
    }

    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.id == id)
    }

    pub fn port(&self, id: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.id == id)
    }

    pub fn server_idx(&self, id: &str) -> Option<usize> {
        self.server_index.get(id).copied()
    }

    pub fn server(&self, id: &str) -> Option<&Server> {
        self.server_idx(id).map(|i| &self.servers[i])
    }

    pub fn visible_server_ids(&self, project_id: &str) -> Vec<String> {
        self.servers
            .iter()
            .filter(|s| s.visible() && s.project_id == project_id)
            .map(|s| s.id.clone())
            .collect()
    }

    pub fn policy(&self, name: &str) -> Option<&ArchivePolicy> {
        self.policies.iter().find(|p| p.name == name)
    }

    pub fn interface_resource_id(&self, server_id: &str) -> Option<String> {
        self.resources
            .iter()
            .find(|r| r.server_id == server_id && r.kind == "instance_network_interface")
            .map(|r| r.id.clone())
    }

    pub fn instance_metric_id(&self, server_id: &str, name: &str) -> Option<String> {
        self.resources
            .iter()
            .find(|r| r.server_id == server_id && r.kind == "instance")
            .and_then(|r| r.metrics.iter().find(|(n, _)| n == name))
            .map(|(_, id)| id.clone())
    }

    /// Security groups of a project, creating `default` and `ssh` on first
    /// use (Neutron creates `default` lazily too).
    pub fn ensure_project(&mut self, project_id: &str) {
        if self
            .security_groups
            .iter()
            .any(|g| g.project_id == project_id)
        {
            return;
        }
        let now = Utc::now();
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
        let from_group = |ethertype| SgRule {
            id: uuid(),
            direction: "ingress",
            ethertype,
            protocol: None,
            port_min: None,
            port_max: None,
            remote_ip_prefix: None,
            remote_self: true,
        };
        self.security_groups.push(SecurityGroup {
            id: uuid(),
            name: "default".into(),
            description: "Default security group".into(),
            project_id: project_id.into(),
            rules: vec![
                egress("IPv4"),
                egress("IPv6"),
                from_group("IPv4"),
                from_group("IPv6"),
            ],
            created: now,
        });
        self.security_groups.push(SecurityGroup {
            id: uuid(),
            name: "ssh".into(),
            description: "SSH from anywhere".into(),
            project_id: project_id.into(),
            rules: vec![
                egress("IPv4"),
                egress("IPv6"),
                SgRule {
                    id: uuid(),
                    direction: "ingress",
                    ethertype: "IPv4",
                    protocol: Some("tcp"),
                    port_min: Some(22),
                    port_max: Some(22),
                    remote_ip_prefix: Some("0.0.0.0/0"),
                    remote_self: false,
                },
            ],
            created: now,
        });
    }

    /// A security group of `project_id` with these rules (`remote_self`
    /// rules name the group itself); returns its id.
    pub fn add_security_group(
        &mut self,
        project_id: &str,
        name: &str,
        description: &str,
        rules: Vec<SgRule>,
    ) -> String {
        self.ensure_project(project_id);
        let id = uuid();
        self.security_groups.push(SecurityGroup {
            id: id.clone(),
            name: name.into(),
            description: description.into(),
            project_id: project_id.into(),
            rules,
            created: Utc::now(),
        });
        id
    }

    /// A network of `project_id` with one subnet `192.168.<third>.0/24`
    /// (gateway `.1`, pool `.2`–`.254`); returns the network id.
    pub fn add_network(&mut self, project_id: &str, name: &str, third: u32) -> String {
        let now = Utc::now();
        let network_id = uuid();
        let subnet = Subnet {
            id: uuid(),
            name: format!("{name}-subnet"),
            network_id: network_id.clone(),
            project_id: project_id.into(),
            network_addr: ip(192, 168, third, 0),
            prefix: 24,
            gateway: ip(192, 168, third, 1),
            pool_start: ip(192, 168, third, 2),
            pool_end: ip(192, 168, third, 254),
            created: now,
        };
        self.networks.push(Network {
            id: network_id.clone(),
            name: name.into(),
            project_id: project_id.into(),
            shared: false,
            external: false,
            subnets: vec![subnet.id.clone()],
            mtu: 1442,
            created: now,
        });
        self.subnets.push(subnet);
        network_id
    }

    /// A router of `project_id` with an interface (a port owned by
    /// `device_owner`, e.g. `network:router_interface`, at the subnet's
    /// gateway address) on `network_id`, and a gateway on `external` if
    /// given; returns the router id.
    pub fn add_router(
        &mut self,
        project_id: &str,
        name: &str,
        network_id: &str,
        external: Option<&str>,
        device_owner: &str,
    ) -> String {
        self.add_router_with_id(uuid(), project_id, name, network_id, external, device_owner)
    }

    fn add_router_with_id(
        &mut self,
        id: String,
        project_id: &str,
        name: &str,
        network_id: &str,
        external: Option<&str>,
        device_owner: &str,
    ) -> String {
        let now = Utc::now();
        let gateway_ip = external.and_then(|net| {
            let subnet = self.network(net)?.subnets.first()?;
            let subnet = self.subnet(subnet)?;
            // Below the floating pool, as Neutron's first allocation is.
            Some(subnet.gateway + 1)
        });
        self.routers.push(Router {
            id: id.clone(),
            name: name.into(),
            project_id: project_id.into(),
            gateway_network_id: external.map(str::to_string),
            gateway_ip,
            created: now,
        });
        let subnet = self
            .network(network_id)
            .and_then(|n| n.subnets.first())
            .and_then(|s| self.subnet(s))
            .map(|s| (s.id.clone(), s.gateway));
        let mac = self.new_mac();
        self.ports.push(Port {
            id: uuid(),
            network_id: network_id.into(),
            project_id: project_id.into(),
            device_id: id.clone(),
            device_owner: device_owner.into(),
            mac,
            fixed_ips: subnet.into_iter().collect(),
            security_groups: Vec::new(),
            active: true,
            created: now,
            updated: now,
            revision: 3,
        });
        id
    }

    /// Puts the server into ERROR with this instance fault, as a failed
    /// build or a lost compute host leaves it.
    pub fn fail_server(&mut self, server_id: &str, code: u16, message: &str) {
        if let Some(idx) = self.server_idx(server_id) {
            let s = &mut self.servers[idx];
            s.vm_state = VmState::Error;
            s.task = None;
            s.fault = Some((code, message.into(), Utc::now()));
        }
    }

    pub fn security_group_by_name(&self, project_id: &str, name: &str) -> Option<&SecurityGroup> {
        self.security_groups
            .iter()
            .find(|g| g.project_id == project_id && (g.name == name || g.id == name))
    }

    // -- servers -------------------------------------------------------------

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn new_mac(&mut self) -> String {
        self.mac_counter += 1;
        let m = self.mac_counter;
        format!(
            "fa:16:3e:{:02x}:{:02x}:{:02x}",
            (m >> 16) & 0xff,
            (m >> 8) & 0xff,
            m & 0xff
        )
    }

    /// A port with a fixed IP on `network_id` for server `server_id`.
    pub fn create_port(
        &mut self,
        network_id: &str,
        project_id: &str,
        server_id: &str,
        security_groups: &[String],
        created: DateTime<Utc>,
        active: bool,
    ) -> String {
        let subnet_id = self
            .network(network_id)
            .and_then(|n| n.subnets.first().cloned())
            .unwrap_or_default();
        let pool = self.subnet(&subnet_id).map(|s| (s.pool_start, s.pool_end));
        let address = match pool {
            // Networks of their own number their ports from their pool.
            Some((start, end)) if !(start..=end).contains(&self.next_fixed_ip) => {
                let taken: Vec<u32> = self
                    .ports
                    .iter()
                    .flat_map(|p| p.fixed_ips.iter())
                    .filter(|(s, _)| *s == subnet_id)
                    .map(|(_, a)| *a)
                    .collect();
                (start..=end).find(|a| !taken.contains(a)).unwrap_or(start)
            }
            _ => {
                self.next_fixed_ip += 1;
                self.next_fixed_ip - 1
            }
        };
        let sg_ids: Vec<String> = security_groups
            .iter()
            .filter_map(|name| {
                self.security_group_by_name(project_id, name)
                    .map(|g| g.id.clone())
            })
            .collect();
        let port = Port {
            id: uuid(),
            network_id: network_id.into(),
            project_id: project_id.into(),
            device_id: server_id.into(),
            device_owner: "compute:nova".into(),
            mac: self.new_mac(),
            fixed_ips: vec![(subnet_id, address)],
            security_groups: sg_ids,
            active,
            created,
            updated: created,
            revision: if active { 4 } else { 1 },
        };
        let id = port.id.clone();
        self.ports.push(port);
        id
    }

    /// Adds a server (and its ports and Gnocchi resources); returns its index.
    #[allow(clippy::too_many_arguments)]
    pub fn add_server(
        &mut self,
        project_id: &str,
        user_id: &str,
        name: &str,
        flavor_id: &str,
        image_id: &str,
        key_name: Option<String>,
        metadata: Map<String, Value>,
        security_groups: Vec<String>,
        network_ids: &[String],
        user_data: Option<String>,
        created: DateTime<Utc>,
        launched_at: Option<DateTime<Utc>>,
    ) -> usize {
        self.ensure_project(project_id);
        let id = uuid();
        let seq = self.next_seq();
        let active = launched_at.is_some();
        let phase = if active {
            Phase::Active
        } else {
            Phase::Building {
                polls_left: self.build_polls,
            }
        };
        let port_ids: Vec<String> = network_ids
            .iter()
            .map(|net| self.create_port(net, project_id, &id, &security_groups, created, active))
            .collect();
        let index = seq;
        let server = Server {
            id: id.clone(),
            name: name.into(),
            project_id: project_id.into(),
            user_id: user_id.into(),
            flavor_id: flavor_id.into(),
            image_id: image_id.into(),
            key_name,
            metadata,
            security_groups,
            created,
            updated: launched_at.unwrap_or(created),
            launched_at,
            deleted_at: None,
            phase,
            vm_state: VmState::Active,
            task: None,
            power_state: POWER_RUNNING,
            seq,
            instance_index: index,
            host: format!("compute-{}", (seq % 3) + 1),
            port_ids,
            user_data,
            console: None,
            cpu_percent: 5.0 + ((seq * 37) % 60) as f64,
            net_in_rate: 2_000.0 + ((seq * 911) % 50_000) as f64,
            net_out_rate: 700.0 + ((seq * 313) % 20_000) as f64,
            access_ipv4: String::new(),
            fault: None,
        };
        self.servers.push(server);
        let idx = self.servers.len() - 1;
        self.server_index.insert(id, idx);
        self.add_gnocchi_resources(idx);
        idx
    }

    fn add_gnocchi_resources(&mut self, idx: usize) {
        let s = &self.servers[idx];
        let flavor = self.flavor(&s.flavor_id);
        let flavor_name = flavor.map(|f| f.name.clone()).unwrap_or_default();
        let server_id = s.id.clone();
        let project_id = s.project_id.clone();
        let user_id = s.user_id.clone();
        let started = s.created;
        let mut attrs = Map::new();
        attrs.insert("display_name".into(), json!(s.name));
        attrs.insert("flavor_id".into(), json!(s.flavor_id));
        attrs.insert("flavor_name".into(), json!(flavor_name));
        attrs.insert("host".into(), json!(s.host));
        attrs.insert("image_ref".into(), json!(s.image_id));
        attrs.insert("server_group".into(), Value::Null);
        attrs.insert("created_at".into(), json!(gnocchi_time(s.created)));
        attrs.insert(
            "launched_at".into(),
            s.launched_at
                .map(|t| json!(gnocchi_time(t)))
                .unwrap_or(Value::Null),
        );
        attrs.insert("deleted_at".into(), Value::Null);
        let instance_name = s.instance_name();
        let port_id = s.port_ids.first().cloned();

        let instance_metrics = [
            ("cpu", "ns", POLICY_LOW_RATE, MetricKind::Cpu),
            ("vcpus", "vcpu", POLICY_LOW, MetricKind::Vcpus),
            ("memory", "MB", POLICY_LOW, MetricKind::Memory),
            ("memory.usage", "MB", POLICY_LOW, MetricKind::MemoryUsage),
        ];
        let metrics = self.make_metrics(&server_id, &server_id, started, &instance_metrics);
        self.resources.push(GResource {
            id: server_id.clone(),
            kind: "instance",
            server_id: server_id.clone(),
            project_id: project_id.clone(),
            user_id: user_id.clone(),
            original_resource_id: server_id.clone(),
            started_at: started,
            ended_at: None,
            attrs,
            metrics,
        });

        if let Some(port_id) = port_id {
            let tap = format!("tap{}", &port_id[..11]);
            let resource_id = uuid();
            let nic_metrics = [
                (
                    "network.incoming.bytes",
                    "B",
                    POLICY_LOW_RATE,
                    MetricKind::NetInBytes,
                ),
                (
                    "network.outgoing.bytes",
                    "B",
                    POLICY_LOW_RATE,
                    MetricKind::NetOutBytes,
                ),
                (
                    "network.incoming.packets",
                    "packet",
                    POLICY_LOW_RATE,
                    MetricKind::NetInPackets,
                ),
                (
                    "network.outgoing.packets",
                    "packet",
                    POLICY_LOW_RATE,
                    MetricKind::NetOutPackets,
                ),
            ];
            let metrics = self.make_metrics(&resource_id, &server_id, started, &nic_metrics);
            let mut attrs = Map::new();
            attrs.insert("name".into(), json!(tap));
            attrs.insert("instance_id".into(), json!(server_id));
            self.resources.push(GResource {
                id: resource_id,
                kind: "instance_network_interface",
                server_id: server_id.clone(),
                project_id,
                user_id,
                original_resource_id: format!("{instance_name}-{server_id}-{tap}"),
                started_at: started,
                ended_at: None,
                attrs,
                metrics,
            });
        }
    }

    fn make_metrics(
        &mut self,
        resource_id: &str,
        server_id: &str,
        created: DateTime<Utc>,
        specs: &[(&str, &'static str, &'static str, MetricKind)],
    ) -> Vec<(String, String)> {
        specs
            .iter()
            .map(|&(name, unit, policy, kind)| {
                let id = uuid();
                self.metrics.insert(
                    id.clone(),
                    GMetric {
                        id: id.clone(),
                        name: name.into(),
                        unit,
                        resource_id: resource_id.into(),
                        policy,
                        kind,
                        server_id: server_id.into(),
                        created,
                    },
                );
                (name.to_string(), id)
            })
            .collect()
    }

    pub fn seed(&mut self, project_id: &str, n: usize) -> Vec<String> {
        let now = Utc::now();
        let first = *self.seeded.get(project_id).unwrap_or(&0);
        self.seeded.insert(project_id.into(), first + n);
        let span = Duration::hours(6);
        // Creation times spread over the past 6 hours, oldest first.
        let step_ms = (span.num_milliseconds() / n.max(1) as i64).max(1_000);
        let flavor_cycle = [
            FLAVOR_M1_TINY,
            FLAVOR_M1_SMALL,
            FLAVOR_I4_TINY,
            FLAVOR_M1_MEDIUM,
            FLAVOR_M1_TINY,
            FLAVOR_I4_TINY,
        ];
        let cirros = self.image_id_by_name(IMAGE_CIRROS).unwrap_or_default();
        let ubuntu = self.image_id_by_name(IMAGE_UBUNTU).unwrap_or_default();
        let private = self.private_network().id.clone();
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let number = first + i + 1;
            let created = now - Duration::milliseconds(step_ms * (n - i) as i64 + 60_000);
            let launched = created + Duration::seconds(18 + (number % 20) as i64);
            let image = if number.is_multiple_of(4) {
                &ubuntu
            } else {
                &cirros
            };
            let key = (!number.is_multiple_of(3)).then(|| KEYPAIR_NAME.to_string());
            let groups = if number.is_multiple_of(2) {
                vec!["default".to_string(), "ssh".to_string()]
            } else {
                vec!["default".to_string()]
            };
            let mut metadata = Map::new();
            metadata.insert("course".into(), json!("i4lab"));
            let idx = self.add_server(
                project_id,
                super::ANY_TOKEN_USER_ID,
                &format!("lab-vm-{number:03}"),
                flavor_cycle[(number - 1) % flavor_cycle.len()],
                &image.clone(),
                key,
                metadata,
                groups,
                std::slice::from_ref(&private),
                None,
                created,
                Some(launched),
            );
            ids.push(self.servers[idx].id.clone());
        }
        // A project's first server carries a data volume, as a course VM
        // with a volume for its service's state would.
        if first == 0
            && let Some(server_id) = ids.first()
        {
            self.add_volume(
                project_id,
                NewVolume {
                    name: Some("lab-data".into()),
                    server_id: Some(server_id.clone()),
                    ..NewVolume::sized(SEED_VOLUME_GB)
                },
            );
        }
        ids
    }

    /// A volume of `project_id`, created a minute ago (later ones sort
    /// first, as Cinder lists newest first); returns its id.
    pub fn add_volume(&mut self, project_id: &str, spec: NewVolume) -> String {
        let now = Utc::now();
        let seq = self.next_seq();
        // Distinct creation times keep Cinder's order (created_at desc) stable.
        let created = now - Duration::seconds(60) + Duration::milliseconds(seq as i64);
        let id = uuid();
        let attachment = spec.server_id.map(|server_id| {
            let taken = self
                .volumes
                .iter()
                .filter(|v| {
                    v.attachment
                        .as_ref()
                        .is_some_and(|a| a.server_id == server_id)
                })
                .count();
            VolumeAttachment {
                attachment_id: uuid(),
                server_id,
                // vda is the root disk.
                device: format!("/dev/vd{}", (b'b' + taken as u8) as char),
                attached_at: created,
                delete_on_termination: spec.delete_on_termination,
            }
        });
        self.volumes.push(FakeVolume {
            id: id.clone(),
            project_id: project_id.into(),
            user_id: super::ANY_TOKEN_USER_ID.into(),
            name: spec.name,
            size: spec.size,
            volume_type: spec.volume_type,
            status: if attachment.is_some() {
                "in-use".into()
            } else {
                "available".into()
            },
            bootable: false,
            attachment,
            created,
            updated: Some(created),
        });
        id
    }

    /// The volumes attached to a server, in attachment order.
    pub fn volumes_of(&self, server_id: &str) -> Vec<&FakeVolume> {
        let mut attached: Vec<&FakeVolume> = self
            .volumes
            .iter()
            .filter(|v| {
                v.attachment
                    .as_ref()
                    .is_some_and(|a| a.server_id == server_id)
            })
            .collect();
        attached.sort_by_key(|v| v.attachment.as_ref().map(|a| a.attached_at));
        attached
    }

    /// Advances a server's lifecycle by one observation (a GET of it or a
    /// listing that includes it). Returns false if it is (now) gone.
    pub fn observe(&mut self, idx: usize) -> bool {
        let now = Utc::now();
        match self.servers[idx].phase {
            Phase::Building { polls_left } => {
                if polls_left > 0 {
                    self.servers[idx].phase = Phase::Building {
                        polls_left: polls_left - 1,
                    };
                } else {
                    self.activate(idx, now);
                }
                true
            }
            Phase::Active => {
                self.observe_task(idx);
                true
            }
            Phase::Deleting { polls_left } => {
                if polls_left > 0 {
                    self.servers[idx].phase = Phase::Deleting {
                        polls_left: polls_left - 1,
                    };
                    true
                } else {
                    self.finish_delete(idx, now);
                    false
                }
            }
            Phase::Gone => false,
        }
    }

    pub fn activate(&mut self, idx: usize, now: DateTime<Utc>) {
        let server = &mut self.servers[idx];
        server.phase = Phase::Active;
        server.launched_at = Some(now);
        server.updated = now;
        let id = server.id.clone();
        let port_ids = server.port_ids.clone();
        for port in self.ports.iter_mut().filter(|p| port_ids.contains(&p.id)) {
            port.active = true;
            port.updated = now;
            port.revision += 3;
        }
        for r in self.resources.iter_mut().filter(|r| r.server_id == id) {
            if r.kind == "instance" {
                r.attrs
                    .insert("launched_at".into(), json!(gnocchi_time(now)));
            }
        }
    }

    /// DELETE /servers/{id}: starts the delete (or finishes it at once).
    pub fn start_delete(&mut self, idx: usize) {
        let now = Utc::now();
        self.servers[idx].updated = now;
        if self.delete_polls == 0 {
            self.finish_delete(idx, now);
        } else {
            self.servers[idx].phase = Phase::Deleting {
                polls_left: self.delete_polls,
            };
        }
    }

    fn finish_delete(&mut self, idx: usize, now: DateTime<Utc>) {
        let server = &mut self.servers[idx];
        server.phase = Phase::Gone;
        server.deleted_at = Some(now);
        server.updated = now;
        let id = server.id.clone();
        let port_ids = std::mem::take(&mut server.port_ids);
        // Neutron disassociates floating IPs of deleted ports.
        for fip in self.floating_ips.iter_mut() {
            if fip.port_id.as_ref().is_some_and(|p| port_ids.contains(p)) {
                fip.port_id = None;
                fip.fixed_ip = None;
                fip.router_id = None;
                fip.updated = now;
                fip.revision += 1;
            }
        }
        self.ports.retain(|p| !port_ids.contains(&p.id));
        // Nova detaches the server's volumes, deleting those whose block
        // device mapping says so.
        self.volumes.retain(|v| {
            !v.attachment
                .as_ref()
                .is_some_and(|a| a.server_id == id && a.delete_on_termination)
        });
        for v in self.volumes.iter_mut() {
            if v.attachment.as_ref().is_some_and(|a| a.server_id == id) {
                v.attachment = None;
                v.status = "available".into();
                v.updated = Some(now);
            }
        }
        for r in self.resources.iter_mut().filter(|r| r.server_id == id) {
            r.ended_at = Some(now);
            if r.kind == "instance" {
                r.attrs
                    .insert("deleted_at".into(), json!(gnocchi_time(now)));
            }
        }
    }

    pub fn set_cpu_percent(&mut self, server_id: &str, percent: f64) {
        if let Some(i) = self.server_idx(server_id) {
            self.servers[i].cpu_percent = percent;
        }
    }

    pub fn set_net_in_rate(&mut self, server_id: &str, bytes_per_sec: f64) {
        if let Some(i) = self.server_idx(server_id) {
            self.servers[i].net_in_rate = bytes_per_sec;
        }
    }

    pub fn console_set(&mut self, server_id: &str, text: &str) {
        if let Some(i) = self.server_idx(server_id) {
            self.servers[i].console = Some(text.to_string());
        }
    }

    /// The console log Nova would return (a made-up boot log by default).
    pub fn console_text(&self, server: &Server) -> String {
        if let Some(text) = &server.console {
            return text.clone();
        }
        let ip = server
            .port_ids
            .first()
            .and_then(|p| self.port(p))
            .and_then(|p| p.fixed_ips.first())
            .map(|(_, a)| ip_string(*a))
            .unwrap_or_default();
        let mut lines = vec![
            "[    0.000000] Linux version 6.1.0-21-amd64 (debian-kernel@lists.debian.org)".to_string(),
            "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz root=LABEL=cloudimg-rootfs ro console=tty1 console=ttyS0".to_string(),
            "[    0.412345] x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'".to_string(),
            "[    1.023456] virtio_net virtio0 ens3: renamed from eth0".to_string(),
            "[    2.345678] EXT4-fs (vda1): mounted filesystem with ordered data mode.".to_string(),
            "[  OK  ] Started Journal Service.".to_string(),
            "[  OK  ] Reached target Network.".to_string(),
            format!("cloud-init[512]: Cloud-init v. 24.1 running 'init' at {}. Up 4.12 seconds.", server.created.format("%a, %d %b %Y %H:%M:%S +0000")),
            "cloud-init[512]: ci-info: ++++++++++++++++++++++++Net device info+++++++++++++++++++++++".to_string(),
            format!("cloud-init[512]: ci-info: |  ens3  | True |  {ip}  | 255.255.0.0 | global |"),
            "cloud-init[512]: ci-info: ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++".to_string(),
            "[  OK  ] Started OpenBSD Secure Shell server.".to_string(),
        ];
        for i in 0..20 {
            lines.push(format!(
                "[  {:>3}.{:06}] systemd[1]: Started unit-{i:02}.service.",
                5 + i,
                (i * 7919) % 1_000_000
            ));
        }
        lines.push(format!(
            "cloud-init[801]: Cloud-init v. 24.1 finished. Datasource DataSourceOpenStackLocal. Up 21.{:02} seconds",
            server.seq % 100
        ));
        lines.push(String::new());
        lines.push(format!("{} login: ", server.name));
        lines.join("\n")
    }
}

// ---------------------------------------------------------------------------
// Helpers

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub const fn ip(a: u32, b: u32, c: u32, d: u32) -> u32 {
    (a << 24) | (b << 16) | (c << 8) | d
}

pub fn ip_string(addr: u32) -> String {
    format!(
        "{}.{}.{}.{}",
        addr >> 24,
        (addr >> 16) & 0xff,
        (addr >> 8) & 0xff,
        addr & 0xff
    )
}

pub fn parse_ip(s: &str) -> Option<u32> {
    let parts: Vec<u32> = s
        .split('.')
        .map(|p| p.parse::<u32>().ok().filter(|n| *n < 256))
        .collect::<Option<Vec<_>>>()?;
    (parts.len() == 4).then(|| ip(parts[0], parts[1], parts[2], parts[3]))
}

/// A deterministic pseudo hex digest (not a real hash) of `len` characters.
pub fn hex_digest(seed: &str, len: usize) -> String {
    let mut state: u64 = seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut out = String::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push_str(&format!("{state:016x}"));
    }
    out.truncate(len);
    out
}

/// `2017-02-14T19:24:42Z` (Nova `created`/`updated`, Neutron, Glance).
pub fn zulu(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2017-02-14T19:24:43.891568` (Nova `launched_at`, key pairs).
pub fn naive_micros(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Python's `datetime.isoformat()` of an aware UTC datetime (Gnocchi resources).
pub fn gnocchi_time(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

/// `numpy.datetime_as_string(unit='s') + "+00:00"` (Gnocchi measures).
pub fn gnocchi_ts(epoch: i64) -> String {
    Utc.timestamp_opt(epoch, 0)
        .single()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        .unwrap_or_default()
}
