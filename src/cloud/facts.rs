//! What a cloud can tell about why an instance may be unreachable: the
//! facts the doctor (`src/doctor`) judges. Plain data; each provider fills
//! them from its own APIs ([`crate::cloud::Provider::facts`]).

use serde::Serialize;

/// Which facts to ask for; each is one (or a few) API calls, asked apart so
/// the doctor's popup fills in as they arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// AWS `DescribeInstanceStatus`; Nova's server (`status`, task state,
    /// `fault`).
    Status,
    /// The ingress rules of the instance's security groups.
    SecurityGroups,
    /// OpenStack: whether the network of the server's port reaches the
    /// floating pool through a router with an external gateway.
    Network,
    /// The instance's key pair as the cloud knows it.
    KeyPair,
    /// The instance's image: its name, description and distribution hints.
    Image,
}

/// One answer of [`crate::cloud::Provider::facts`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Facts {
    Status(StatusFacts),
    SecurityGroups(Vec<SecurityGroup>),
    Network(NetworkFacts),
    /// `None`: the instance has no key pair, or the cloud no longer knows it.
    KeyPair(Option<KeyPairFacts>),
    /// `None`: the cloud no longer knows the image.
    Image(Option<ImageFacts>),
}

/// AWS status checks, or Nova's task state and fault.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusFacts {
    /// EC2 `SystemStatus.Status` (`ok`, `impaired`, `initializing`,
    /// `insufficient-data`, `not-applicable`); `None` on OpenStack or when
    /// EC2 has no status for the instance (not running).
    pub system: Option<String>,
    /// EC2 `InstanceStatus.Status`, same words.
    pub instance: Option<String>,
    /// Nova `OS-EXT-STS:task_state` (`None`: no task under way).
    pub task_state: Option<String>,
    /// Nova `fault.message` (and code), when the server has one.
    pub fault: Option<String>,
}

/// A security group and its ingress rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub ingress: Vec<IngressRule>,
}

/// One ingress rule, normalised from EC2 `IpPermissions` or a Neutron
/// `security_group_rule`. An EC2 permission with several ranges becomes
/// one rule per range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressRule {
    /// `None`: every protocol (EC2 `-1`, Neutron `null`).
    pub protocol: Option<Protocol>,
    /// Inclusive port range; `None`: every port (also for all-protocol
    /// rules and Neutron's null range).
    pub ports: Option<(u16, u16)>,
    pub source: Source,
    /// The cloud's id of the rule, when it has one (Neutron).
    pub rule_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    /// Another protocol by the cloud's word or number.
    Other(String),
}

/// Where a rule lets traffic come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An IPv4 or IPv6 prefix (`0.0.0.0/0`, `::/0`, `10.0.0.0/8`).
    Cidr(String),
    /// Members of a security group (EC2 `UserIdGroupPairs`, Neutron
    /// `remote_group_id`): other instances, never the user's laptop.
    Group(String),
    /// EC2 prefix list (`pl-…`).
    PrefixList(String),
    /// Neutron: no remote prefix nor group, with this ethertype (`IPv4`,
    /// `IPv6`): from anywhere of that family.
    Anywhere(String),
}

/// OpenStack: does the server's network reach the floating pool?
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NetworkFacts {
    /// The networks of the server's ports, by id (and name where known).
    pub networks: Vec<String>,
    /// Routers with an interface on one of those networks and an external
    /// gateway: `(router name or id, external network id)`.
    pub routed_out: Vec<(String, String)>,
    /// Routers with an interface there but no external gateway.
    pub without_gateway: Vec<String>,
}

/// A key pair as the cloud keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPairFacts {
    pub name: String,
    /// The public key in OpenSSH format, where the cloud gives it (EC2
    /// `IncludePublicKey`, Nova `os-keypairs/{name}`).
    pub public_key: Option<String>,
    /// The cloud's fingerprint as it writes it (EC2: MD5 or SHA-1 of the
    /// private key for imported/created keys; Nova: MD5 hex).
    pub fingerprint: Option<String>,
}

/// What an image says about its login user.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImageFacts {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Glance `os_distro` (`ubuntu`, `debian`, `centos`, ...).
    pub os_distro: Option<String>,
    /// Glance `os_admin_user`.
    pub os_admin_user: Option<String>,
}

/// What a probe asks: TCP connects and one HTTP GET, each bounded by
/// `timeout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbePlan {
    pub address: String,
    pub ports: Vec<u16>,
    /// With `{ip}` already filled in.
    pub health_url: Option<String>,
    #[serde(skip)]
    pub timeout: std::time::Duration,
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeResult {
    /// A TCP connect: `Ok(latency ms)`, or why it failed (`refused`,
    /// `timed out after 3 s`, ...).
    Tcp {
        port: u16,
        result: Result<u64, String>,
    },
    /// An HTTP GET: `Ok((status, latency ms))` or why it failed.
    Http {
        url: String,
        result: Result<(u16, u64), String>,
    },
}
