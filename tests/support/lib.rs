//! Test doubles shared by the integration tests.
//!
//! - [`moto::MotoServer`]: a real moto server (the EC2 API) per test, from the
//!   `.venv` that `./scripts/test` creates.
//! - [`cloudwatch::FakeCloudWatch`]: an in-process CloudWatch `GetMetricData`
//!   endpoint that decodes the SDK's Smithy RPC v2 CBOR requests and checks them.
//! - [`keystone::Keystone`]: a real Keystone (PyPI `keystone`) on loopback.
//! - [`openstack::FakeOpenStack`]: in-process Nova, Neutron, Glance and Gnocchi
//!   that accept Keystone's tokens and answer in the api-ref's wire format.
//! - [`faults::FaultServer`]: answers what a test scripts (truncated XML, HTML
//!   error pages, cut-off connections) and records what it was asked.
//! - [`tls::TlsProxy`]: HTTPS in front of a test server, signed by a test CA.
//! - [`tmux::Tmux`]: hytop in a real terminal, driven and read through tmux.
//!
//! A dev-only crate (`tests/support`, package `hytop-testkit`) so that it is
//! compiled once and shared by the integration tests (`tests/it`) and the
//! benches; the integration tests name it `support`.

pub mod cloudwatch;
pub mod faults;
pub mod keystone;
pub mod moto;
pub mod openstack;
pub mod tls;
pub mod tmux;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Region the tests use. moto reads the region from the SigV4 credential
/// scope, so it only has to be set on the SDK config, never in a URL.
pub const TEST_REGION: &str = "eu-west-1";

/// The repository's root, where `./scripts/test` creates `.venv`. This crate
/// lives in `<root>/tests/support`.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support lies two levels below the repository root")
}

/// This crate's own directory: the Keystone launcher script and the TLS
/// test certificates are files next to the code that uses them.
pub fn support_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The profile directory of the build that made the running test or bench
/// executable (`<target>/debug`, `<target>/release`, ...): cargo puts that
/// executable in its `deps/` and the package's binaries in it.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the running test executable");
    exe.parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} is not in <profile>/deps/", exe.display()))
        .to_path_buf()
}

/// The `hytop` binary under test. `env!("CARGO_BIN_EXE_hytop")` only works in
/// hytop's own test and bench targets, not in this library, but `cargo test`
/// and `cargo bench` also set it in the environment of the executables they
/// run; a test executable started by hand finds the binary next to its
/// `deps/` directory, where cargo built it.
pub fn hytop_bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var("CARGO_BIN_EXE_hytop") {
        Ok(path) => path,
        Err(_) => profile_dir().join("hytop").display().to_string(),
    })
}

/// A directory for files that outlive one test run (what cargo calls
/// `CARGO_TARGET_TMPDIR`, `<target>/tmp`, which it only tells the test and
/// bench targets of the package under test at compile time).
pub fn target_tmpdir() -> PathBuf {
    let profile = profile_dir();
    profile
        .parent()
        .unwrap_or_else(|| panic!("{} has no parent target directory", profile.display()))
        .join("tmp")
}

/// The HTTP client hytop's AWS crates need: they are built without default
/// features, so the SDK has no client of its own. Speaks plain HTTP as well
/// as HTTPS, which is what the local fakes need.
pub fn aws_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Static test credentials (moto accepts any; the CloudWatch fake ignores them).
pub fn test_credentials() -> aws_sdk_ec2::config::Credentials {
    aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "hytop-tests")
}

/// An `SdkConfig` whose every service talks to `endpoint_url` (a fake's or
/// moto's `url`), in [`TEST_REGION`], with static credentials and
/// [`aws_http_client`]. Retries keep the SDK's standard mode and 3 attempts
/// but back off for milliseconds instead of seconds, so throttling tests stay
/// fast.
pub async fn aws_sdk_config(endpoint_url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(TEST_REGION))
        .credentials_provider(test_credentials())
        .endpoint_url(endpoint_url)
        .http_client(aws_http_client())
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .load()
        .await
}

/// An EC2 client talking to `ec2_url` (moto) and a CloudWatch client talking
/// to `cloudwatch_url` (the fake), both configured as [`aws_sdk_config`].
pub async fn aws_clients(
    ec2_url: &str,
    cloudwatch_url: &str,
) -> (aws_sdk_ec2::Client, aws_sdk_cloudwatch::Client) {
    let config = aws_sdk_config(ec2_url).await;
    let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(&config)
        .endpoint_url(cloudwatch_url)
        .build();
    (
        aws_sdk_ec2::Client::new(&config),
        aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
    )
}

/// A plain HTTP/1.1 response, as [`http_request`] read it.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names are lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One blocking HTTP/1.1 request over a fresh connection (`Connection:
/// close`), for readiness probes and for hand-made requests in tests. Not for
/// use on an async runtime's thread (wrap it in `spawn_blocking`).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "malformed HTTP response: {:?}",
                String::from_utf8_lossy(&raw[..raw.len().min(200)])
            ),
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
