//! AWS: EC2 for instances and Elastic IPs, CloudWatch for metrics. One
//! provider per (profile, region); credentials and endpoints come only
//! through `aws-config` (profiles, env, SSO, `AWS_ENDPOINT_URL*`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_ec2::types::{
    DomainType, Filter, InstanceType, ResourceType, RunInstancesMonitoringEnabled, Tag,
    TagSpecification,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::OnceCell;

use super::{AttachedAddress, CloudError, CloudResult, MetricsQuery, Provider};
use crate::domain::model::{
    Choice, CloudKind, ConsoleOutput, Instance, InstanceMetrics, InstanceState, LaunchOptions,
    LaunchSpec, PublicAddress, Series, USER_DATA_LIMIT,
};

/// DescribeInstances page size: bounded so one page never gets huge.
pub const PAGE_SIZE: i32 = 200;
/// GetMetricData takes at most 500 metric queries per call.
pub const MAX_QUERIES: usize = 500;

/// The message for the most common first-run problem.
pub const NO_CREDENTIALS: &str = "no AWS credentials found: run `aws configure` or set AWS_PROFILE";

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

/// Counts API calls (attempts, retries included) per operation, so the
/// cost of a refresh can be measured and logged.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    /// Calls so far, by operation name (`DescribeInstances`, ...).
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "hytop-call-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            *self
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(meta.name().to_string())
                .or_default() += 1;
        }
        Ok(())
    }
}

/// The SDK clients of one (profile, region).
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub ec2: aws_sdk_ec2::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl AwsClients {
    /// Clients for EC2 and CloudWatch (each may have its own configuration,
    /// e.g. endpoint), both counted by `counter`.
    pub fn new(ec2: &SdkConfig, cloudwatch: &SdkConfig, counter: &CallCounter) -> AwsClients {
        AwsClients {
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(ec2)
                    .interceptor(counter.clone())
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(cloudwatch)
                    .interceptor(counter.clone())
                    .build(),
            ),
        }
    }
}

/// The HTTP client of every AWS call: hyper 1 with rustls on ring.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Loads the standard AWS configuration for a profile and region, with
/// bounded retries (throttling and 5xx are retried by the SDK).
pub async fn load_config(profile: Option<&str>, region: &str) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(region.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

/// The region a profile names (env `AWS_REGION`/`AWS_DEFAULT_REGION` first),
/// without asking the instance metadata service.
pub async fn profile_region(profile: Option<&str>) -> Option<String> {
    let mut file = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(p) = profile {
        file = file.profile_name(p);
    }
    RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(file.build())
    .region()
    .await
    .map(|r| r.to_string())
}

/// True when neither the environment nor the shared files hold any AWS
/// setup: then "no credentials" explains more than "no region".
pub fn nothing_configured() -> bool {
    let env_set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ]
    .iter()
    .any(|k| env_set(k))
    {
        return false;
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    ![
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .into_iter()
    .flatten()
    .any(|p| p.exists())
}

/// An id field as the API returned it; empty means absent (moto sends
/// `""` for a disassociated address).
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// What the metrics cache remembers of an instance.
#[derive(Debug, Clone, Copy)]
struct Fetched {
    at: DateTime<Utc>,
    period: i32,
}

pub struct AwsProvider {
    profile: Option<String>,
    region: String,
    clients: OnceCell<AwsClients>,
    /// Detailed monitoring per instance, from the last listing: it decides
    /// the metric period (60 s detailed, 300 s basic).
    monitoring: Mutex<HashMap<String, bool>>,
    /// When each instance's metrics were last fetched.
    fetched: Mutex<HashMap<String, Fetched>>,
    calls: CallCounter,
    /// The addresses the listing just fetched (for Elastic IP associations),
    /// handed to the `list_addresses` that follows it in the same refresh
    /// instead of asking again.
    listed_addresses: Mutex<Option<(std::time::Instant, Vec<aws_sdk_ec2::types::Address>)>>,
}

impl AwsProvider {
    /// A provider that loads its configuration on first use (in its worker).
    pub fn new(profile: Option<String>, region: &str) -> AwsProvider {
        AwsProvider {
            profile,
            region: region.to_string(),
            clients: OnceCell::new(),
            monitoring: Mutex::new(HashMap::new()),
            fetched: Mutex::new(HashMap::new()),
            calls: CallCounter::default(),
            listed_addresses: Mutex::new(None),
        }
    }

    /// A provider on configurations assembled elsewhere (one per service,
    /// so EC2 and CloudWatch may use different endpoints).
    pub fn with_configs(
        profile: Option<String>,
        region: &str,
        ec2: &SdkConfig,
        cloudwatch: &SdkConfig,
    ) -> AwsProvider {
        let provider = AwsProvider::new(profile, region);
        let clients = AwsClients::new(ec2, cloudwatch, &provider.calls);
        // A fresh cell cannot be full.
        let _ = provider.clients.set(clients);
        provider
    }

    fn forget_listed_addresses(&self) {
        *self
            .listed_addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// API calls made so far, by operation.
    pub fn api_calls(&self) -> BTreeMap<String, u64> {
        self.calls.snapshot()
    }

    fn account(&self) -> &str {
        self.profile.as_deref().unwrap_or("default")
    }

    async fn clients(&self) -> CloudResult<&AwsClients> {
        self.clients
            .get_or_try_init(|| async {
                let config = load_config(self.profile.as_deref(), &self.region).await;
                check_credentials(&config).await?;
                Ok(AwsClients::new(&config, &config, &self.calls))
            })
            .await
    }

    async fn addresses(&self) -> CloudResult<Vec<aws_sdk_ec2::types::Address>> {
        let c = self.clients().await?;
        let out = c
            .ec2
            .describe_addresses()
            .filters(Filter::builder().name("domain").values("vpc").build())
            .send()
            .await
            .map_err(cloud_error)?;
        Ok(out.addresses().to_vec())
    }

    fn period_of(&self, instance_id: &str) -> i32 {
        let detailed = self
            .monitoring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(instance_id)
            .copied()
            .unwrap_or(false);
        if detailed { 60 } else { 300 }
    }
}

/// Fails early with one clear line when no credentials can be found.
async fn check_credentials(config: &SdkConfig) -> CloudResult<()> {
    use aws_credential_types::provider::ProvideCredentials;
    use aws_credential_types::provider::error::CredentialsError;
    let Some(provider) = config.credentials_provider() else {
        return Err(CloudError::new("NoCredentials", NO_CREDENTIALS));
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(CredentialsError::CredentialsNotLoaded(_)) => {
            Err(CloudError::new("NoCredentials", NO_CREDENTIALS))
        }
        Err(e) => {
            let text = format!("{}", DisplayErrorContext(&e));
            // The default chain ends at the instance metadata service: when
            // that is all that failed, nothing anywhere held credentials.
            if text.contains("IMDS") || text.contains("169.254.169.254") {
                Err(CloudError::new("NoCredentials", NO_CREDENTIALS))
            } else {
                // Expired SSO sessions and broken profiles explain
                // themselves; providers never put secrets in their errors.
                Err(CloudError::new("CredentialsError", text))
            }
        }
    }
}

/// Turns an SDK error into the line the user sees: the AWS error code and
/// message for service errors, a short reason otherwise.
pub fn cloud_error<E, R>(err: SdkError<E, R>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            CloudError {
                code: e.code().map(str::to_string),
                message: e
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{}", DisplayErrorContext(e))),
            }
        }
        SdkError::TimeoutError(_) => CloudError::new("Timeout", "the request to AWS timed out"),
        SdkError::DispatchFailure(failure) => {
            let what = if failure.is_timeout() {
                "timed out connecting to AWS"
            } else if failure.is_io() {
                "cannot reach the AWS endpoint"
            } else {
                "the request to AWS failed"
            };
            CloudError::new(
                "Unreachable",
                format!("{what}: {}", DisplayErrorContext(&err)),
            )
        }
        _ => {
            let text = format!("{}", DisplayErrorContext(&err));
            if text.contains("no credentials") || text.contains("CredentialsNotLoaded") {
                CloudError::new("NoCredentials", NO_CREDENTIALS)
            } else {
                CloudError::message(text)
            }
        }
    }
}

fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(t.secs(), t.subsec_nanos()).single()
}

fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

/// Maps one EC2 instance into the shared model.
fn to_instance(
    account: &str,
    region: &str,
    i: &aws_sdk_ec2::types::Instance,
    eips: &HashMap<String, String>,
) -> Instance {
    let tags: BTreeMap<String, String> = i
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    let raw_state = i
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| "unknown".into());
    let id = i.instance_id().unwrap_or_default().to_string();
    let detailed = matches!(
        i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()),
        Some("enabled" | "pending")
    );
    let mut extra = Vec::new();
    if let Some(vpc) = i.vpc_id() {
        extra.push(("VPC".to_string(), vpc.to_string()));
    }
    if let Some(subnet) = i.subnet_id() {
        extra.push(("subnet".to_string(), subnet.to_string()));
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
        extra.push(("security groups".to_string(), groups.join(", ")));
    }
    extra.push((
        "monitoring".to_string(),
        i.monitoring()
            .and_then(|m| m.state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "-".into()),
    ));
    if let Some(allocation) = eips.get(&id) {
        extra.push(("Elastic IP".to_string(), allocation.clone()));
    }
    Instance {
        kind: CloudKind::Aws,
        account: account.to_string(),
        region: region.to_string(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        state: InstanceState::from_ec2(&raw_state),
        raw_state,
        size: i
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        vcpus: None,
        memory_mb: None,
        image: i.image_id().unwrap_or_default().to_string(),
        key_name: i.key_name().map(str::to_string),
        public_ip: i.public_ip_address().map(str::to_string),
        private_ip: i.private_ip_address().map(str::to_string),
        launched_at: i.launch_time().and_then(to_chrono),
        tags,
        detailed_monitoring: detailed,
        id,
        extra,
    }
}

/// The metric queries of one instance: CPU average and NetworkIn sum.
fn queries_for(index: usize, instance_id: &str, period: i32) -> [MetricDataQuery; 2] {
    let query = |prefix: &str, metric: &str, stat: &str| {
        MetricDataQuery::builder()
            .id(format!("{prefix}{index}"))
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/EC2")
                            .metric_name(metric)
                            .dimensions(
                                Dimension::builder()
                                    .name("InstanceId")
                                    .value(instance_id)
                                    .build(),
                            )
                            .build(),
                    )
                    .period(period)
                    .stat(stat)
                    .build(),
            )
            .return_data(true)
            .build()
    };
    [
        query("cpu", "CPUUtilization", "Average"),
        query("net", "NetworkIn", "Sum"),
    ]
}

/// Rounds down to a multiple of `period` seconds.
fn align(t: DateTime<Utc>, period: i32) -> DateTime<Utc> {
    let p = i64::from(period.max(1));
    let secs = t.timestamp().div_euclid(p) * p;
    Utc.timestamp_opt(secs, 0).single().unwrap_or(t)
}

#[async_trait]
impl Provider for AwsProvider {
    fn kind(&self) -> CloudKind {
        CloudKind::Aws
    }

    fn label(&self) -> String {
        format!("{}/{}", self.account(), self.region)
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        let c = self.clients().await?;
        // Elastic IP associations are shown with the instance.
        let addresses = self.addresses().await?;
        let eips: HashMap<String, String> = addresses
            .iter()
            .filter_map(|a| {
                Some((
                    present(a.instance_id())?.to_string(),
                    present(a.allocation_id())?.to_string(),
                ))
            })
            .collect();
        let mut pages = c
            .ec2
            .describe_instances()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(cloud_error)?;
            for reservation in page.reservations() {
                for i in reservation.instances() {
                    out.push(to_instance(self.account(), &self.region, i, &eips));
                }
            }
        }
        *self
            .listed_addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), addresses));
        let mut monitoring = self.monitoring.lock().unwrap_or_else(|e| e.into_inner());
        monitoring.clear();
        monitoring.extend(out.iter().map(|i| (i.id.clone(), i.detailed_monitoring)));
        Ok(out)
    }

    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        let c = self.clients().await?;
        // Only instances whose next datapoint can exist by now: GetMetricData
        // is billed per metric asked for.
        let due: Vec<(String, i32)> = {
            let fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            query
                .instance_ids
                .iter()
                .map(|id| (id.clone(), self.period_of(id)))
                .filter(|(id, period)| {
                    fetched.get(id).is_none_or(|f| {
                        f.period != *period
                            || query.end - f.at >= chrono::Duration::seconds(i64::from(*period))
                    })
                })
                .collect()
        };
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let mut results: HashMap<String, InstanceMetrics> = HashMap::new();
        // Both periods share one window, aligned to the coarser one.
        for chunk in due.chunks(MAX_QUERIES / 2) {
            let queries: Vec<MetricDataQuery> = chunk
                .iter()
                .enumerate()
                .flat_map(|(n, (id, period))| queries_for(n, id, *period))
                .collect();
            let start = align(query.start, 300);
            let end = align(query.end, 60);
            let mut next: Option<String> = None;
            loop {
                let out = c
                    .cloudwatch
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(to_smithy(start))
                    .end_time(to_smithy(end))
                    .scan_by(ScanBy::TimestampAscending)
                    .set_next_token(next.clone())
                    .send()
                    .await
                    .map_err(cloud_error)?;
                for r in out.metric_data_results() {
                    let Some(qid) = r.id() else { continue };
                    let (is_cpu, n) = match (qid.strip_prefix("cpu"), qid.strip_prefix("net")) {
                        (Some(n), _) => (true, n),
                        (_, Some(n)) => (false, n),
                        _ => continue,
                    };
                    let Some((id, period)) = n.parse::<usize>().ok().and_then(|n| chunk.get(n))
                    else {
                        continue;
                    };
                    let entry = results
                        .entry(id.clone())
                        .or_insert_with(|| InstanceMetrics {
                            cpu: Series {
                                period_secs: *period as u32,
                                points: Vec::new(),
                            },
                            net_in: Series {
                                period_secs: *period as u32,
                                points: Vec::new(),
                            },
                            window_start: Some(start),
                            window_end: Some(end),
                        });
                    let series = if is_cpu {
                        &mut entry.cpu
                    } else {
                        &mut entry.net_in
                    };
                    series.points.extend(
                        r.timestamps()
                            .iter()
                            .zip(r.values())
                            .filter_map(|(t, v)| Some((to_chrono(t)?, *v))),
                    );
                }
                next = out.next_token().map(str::to_string);
                if next.is_none() {
                    break;
                }
            }
        }
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(due.len());
        for (id, period) in due {
            fetched.insert(
                id.clone(),
                Fetched {
                    at: query.end,
                    period,
                },
            );
            let mut m = results.remove(&id).unwrap_or_else(|| InstanceMetrics {
                cpu: Series {
                    period_secs: period as u32,
                    points: Vec::new(),
                },
                net_in: Series {
                    period_secs: period as u32,
                    points: Vec::new(),
                },
                window_start: Some(query.start),
                window_end: Some(query.end),
            });
            // Pages may come in any order; the sparkline wants time order.
            m.cpu.points.sort_by_key(|(t, _)| *t);
            m.net_in.points.sort_by_key(|(t, _)| *t);
            out.push((id, m));
        }
        Ok(out)
    }

    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
        if let Some(data) = &spec.user_data
            && data.len() > USER_DATA_LIMIT
        {
            return Err(CloudError::new(
                "UserDataTooLarge",
                format!(
                    "user-data is {} bytes; the limit is {USER_DATA_LIMIT} bytes",
                    data.len()
                ),
            ));
        }
        let c = self.clients().await?;
        let count = i32::try_from(spec.count).unwrap_or(i32::MAX);
        let tags: Vec<Tag> = spec
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let (ids, names): (Vec<&String>, Vec<&String>) = spec
            .security_groups
            .iter()
            .partition(|g| g.starts_with("sg-"));
        let mut run = c
            .ec2
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
        let out = run.send().await.map_err(cloud_error)?;
        Ok(out
            .instances()
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect())
    }

    async fn terminate(&self, instance_ids: &[String]) -> CloudResult<()> {
        let c = self.clients().await?;
        c.ec2
            .terminate_instances()
            .set_instance_ids(Some(instance_ids.to_vec()))
            .send()
            .await
            .map_err(cloud_error)?;
        Ok(())
    }

    async fn attach_public_ip(&self, instance_id: &str) -> CloudResult<AttachedAddress> {
        self.forget_listed_addresses();
        let c = self.clients().await?;
        let addresses = self.addresses().await?;
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
                let out = c
                    .ec2
                    .allocate_address()
                    .domain(DomainType::Vpc)
                    .send()
                    .await
                    .map_err(cloud_error)?;
                (
                    out.allocation_id().unwrap_or_default().to_string(),
                    out.public_ip().unwrap_or_default().to_string(),
                    false,
                )
            }
        };
        c.ec2
            .associate_address()
            .instance_id(instance_id)
            .allocation_id(&allocation)
            .send()
            .await
            .map_err(cloud_error)?;
        Ok(AttachedAddress { ip, reused })
    }

    async fn detach_public_ip(&self, instance_id: &str) -> CloudResult<String> {
        self.forget_listed_addresses();
        let c = self.clients().await?;
        let addresses = self.addresses().await?;
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
        c.ec2
            .disassociate_address()
            .association_id(association)
            .send()
            .await
            .map_err(cloud_error)?;
        Ok(a.public_ip().unwrap_or_default().to_string())
    }

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        let cached = self
            .listed_addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .filter(|(at, _)| at.elapsed() < Duration::from_secs(5))
            .map(|(_, addresses)| addresses);
        let addresses = match cached {
            Some(addresses) => addresses,
            None => self.addresses().await?,
        };
        Ok(addresses
            .iter()
            .map(|a| PublicAddress {
                id: a.allocation_id().unwrap_or_default().to_string(),
                ip: a.public_ip().unwrap_or_default().to_string(),
                instance_id: present(a.instance_id()).map(str::to_string),
                pool: a.network_border_group().map(str::to_string),
            })
            .collect())
    }

    async fn release_address(&self, address_id: &str) -> CloudResult<()> {
        self.forget_listed_addresses();
        let c = self.clients().await?;
        // Releasing an address in use would cut an instance off the net;
        // AWS refuses too, but not every endpoint (emulators) does.
        if let Some(a) = self
            .addresses()
            .await?
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
        c.ec2
            .release_address()
            .allocation_id(address_id)
            .send()
            .await
            .map_err(cloud_error)?;
        Ok(())
    }

    async fn set_tags(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let c = self.clients().await?;
        let tags: Vec<aws_sdk_ec2::types::Tag> = tags
            .iter()
            .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
            .collect();
        c.ec2
            .create_tags()
            .resources(instance_id)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(cloud_error)?;
        Ok(())
    }

    async fn console_output(&self, instance_id: &str, lines: u32) -> CloudResult<ConsoleOutput> {
        let c = self.clients().await?;
        // The newest output needs a Nitro instance; older types refuse
        // `Latest`, and then the last buffered output is the best there is.
        let out = match c
            .ec2
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
                c.ec2
                    .get_console_output()
                    .instance_id(instance_id)
                    .send()
                    .await
                    .map_err(cloud_error)?
            }
            Err(e) => return Err(cloud_error(e)),
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
            text: super::tail_lines(&text, lines),
            fetched_at: Utc::now(),
        })
    }

    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        let c = self.clients().await?;
        let (images, keys, groups, subnets) = tokio::join!(
            c.ec2.describe_images().owners("self").send(),
            c.ec2.describe_key_pairs().send(),
            c.ec2.describe_security_groups().send(),
            c.ec2.describe_subnets().send(),
        );
        let name_tag = |tags: &[Tag]| {
            tags.iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        Ok(LaunchOptions {
            images: images
                .map_err(cloud_error)?
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
                .map_err(cloud_error)?
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
                .map_err(cloud_error)?
                .key_pairs()
                .iter()
                .filter_map(|k| Some(Choice::new(k.key_name()?, k.key_name()?)))
                .collect(),
            security_groups: groups
                .map_err(cloud_error)?
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
}

/// The last `lines` lines of `text`.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_rounds_down_to_the_period() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 12, 7, 42).unwrap();
        assert_eq!(
            align(t, 60),
            Utc.with_ymd_and_hms(2026, 11, 21, 12, 7, 0).unwrap()
        );
        assert_eq!(
            align(t, 300),
            Utc.with_ymd_and_hms(2026, 11, 21, 12, 5, 0).unwrap()
        );
    }

    #[test]
    fn two_queries_per_instance_with_valid_ids() {
        let [cpu, net] = queries_for(7, "i-0abc", 300);
        assert_eq!(cpu.id(), Some("cpu7"));
        assert_eq!(net.id(), Some("net7"));
        let stat = cpu.metric_stat().unwrap();
        assert_eq!(stat.period(), Some(300));
        assert_eq!(stat.stat(), Some("Average"));
        let metric = stat.metric().unwrap();
        assert_eq!(metric.namespace(), Some("AWS/EC2"));
        assert_eq!(metric.metric_name(), Some("CPUUtilization"));
        assert_eq!(metric.dimensions()[0].value(), Some("i-0abc"));
        assert_eq!(net.metric_stat().unwrap().stat(), Some("Sum"));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(crate::cloud::tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(crate::cloud::tail_lines("a", 5), "a");
        assert_eq!(crate::cloud::tail_lines("", 5), "");
    }
}
