//! Everything before the first EC2 call: the HTTP client, the SDK
//! configuration of a profile and region, credentials, and the counter of
//! API calls. Credentials and endpoints come only through `aws-config`
//! (profiles, env, SSO, `AWS_ENDPOINT_URL*`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::complete::CompleteXml;
use crate::cloud::{CloudError, CloudResult};

/// The message for the most common first-run problem.
pub const NO_CREDENTIALS: &str = "no AWS credentials found: run `aws configure` or set AWS_PROFILE";

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
    /// e.g. endpoint), both counted by `counter`; EC2's answers must be
    /// complete documents (see `complete`).
    pub fn new(ec2: &SdkConfig, cloudwatch: &SdkConfig, counter: &CallCounter) -> AwsClients {
        AwsClients {
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(ec2)
                    .interceptor(counter.clone())
                    .interceptor(CompleteXml)
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

/// Fails early with one clear line when no credentials can be found.
pub(super) async fn check_credentials(config: &SdkConfig) -> CloudResult<()> {
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
