//! A real moto server (moto[server], pinned in tests/requirements.txt) per
//! test, standing in for the EC2 API.
//!
//! Point an SDK client's `endpoint_url` at [`MotoServer::url`] (no region or
//! service in the URL: moto takes the service and the region from the SigV4
//! credential scope of each request, so set the region on the SDK config).

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::http_request;

/// How long moto may take to answer its first request.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Port races (another process takes the port between our probe and moto's
/// bind) are retried this many times.
const START_ATTEMPTS: usize = 3;

pub struct MotoServer {
    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub url: String,
    pub addr: SocketAddr,
    child: Child,
    log_path: PathBuf,
    /// Holds the log file; removed when the server is dropped.
    _dir: tempfile::TempDir,
}

impl MotoServer {
    /// Starts `moto_server` on a free loopback port and waits until it
    /// answers. Blocking; panics (with moto's log) if it does not come up.
    pub fn start() -> MotoServer {
        let exe = moto_server_executable();
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(&exe) {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "moto_server ({}) did not start after {START_ATTEMPTS} attempts:\n\n{}",
            exe.display(),
            failures.join("\n\n")
        );
    }

    fn try_start(exe: &Path) -> Result<MotoServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("hytop-moto-")
            .tempdir()
            .expect("create a temp dir for moto's log");
        let log_path = dir.path().join("moto_server.log");
        let log = File::create(&log_path).expect("create moto's log file");
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        let mut server = MotoServer {
            url: format!("http://{addr}"),
            addr,
            child,
            log_path,
            _dir: dir,
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                // Dropping `server` reaps nothing more; the child is gone.
                return Err(format!(
                    "moto_server on port {port} exited with {status}; its log:\n{}",
                    server.log()
                ));
            }
            match http_request(addr, "GET", "/moto-api/", &[], b"", Duration::from_secs(5)) {
                Ok(response) if response.status == 200 => return Ok(server),
                _ => {}
            }
            if started.elapsed() > START_DEADLINE {
                panic!(
                    "moto_server on port {port} did not answer GET /moto-api/ within {:?}; its log:\n{}",
                    START_DEADLINE,
                    server.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Forgets every resource created so far (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let response = self.request("POST", "/moto-api/reset");
        assert_eq!(
            response.status,
            200,
            "POST /moto-api/reset answered {}: {}\nmoto's log:\n{}",
            response.status,
            response.text(),
            self.log()
        );
    }

    /// A plain request to moto (e.g. `GET /moto-api/data.json` to look at
    /// its state). Blocking; panics with moto's log if the request fails.
    pub fn request(&self, method: &str, path: &str) -> super::HttpResponse {
        http_request(self.addr, method, path, &[], b"", Duration::from_secs(30)).unwrap_or_else(
            |e| {
                panic!(
                    "{method} {path} to moto failed: {e}\nmoto's log:\n{}",
                    self.log()
                )
            },
        )
    }

    /// Everything moto printed so far (its request log and tracebacks).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log_path.display()))
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            // Shown with the failing test's output.
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!(
                "--- last lines of moto_server's log ({}) ---",
                self.log_path.display()
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// The `moto_server` to run: `$HYTOP_MOTO_SERVER`, else
/// `$HYTOP_TEST_VENV/bin/moto_server`, else `<repo>/.venv/bin/moto_server`.
pub fn moto_server_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("HYTOP_MOTO_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "HYTOP_MOTO_SERVER={} is not a file",
            path.display()
        );
        return path;
    }
    let mut candidates = Vec::new();
    if let Some(venv) = std::env::var_os("HYTOP_TEST_VENV") {
        candidates.push(PathBuf::from(venv).join("bin").join("moto_server"));
    }
    candidates.push(
        crate::repo_root()
            .join(".venv")
            .join("bin")
            .join("moto_server"),
    );
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return found.clone();
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    panic!(
        "moto_server not found (looked at {}). These tests need moto's server: run them with \
         ./scripts/test, which creates .venv with the packages in tests/requirements.txt and \
         then runs cargo test (or set HYTOP_MOTO_SERVER to a moto_server executable).",
        looked.join(", ")
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// Runs `n` t2.nano instances in the moto server at `url`, one per
/// reservation (so moto pages like EC2, by instance), 50 requests at a time.
pub async fn run_instances(url: &str, n: usize) {
    let config = super::aws_sdk_config(url).await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ami = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("images")
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("an AMI");
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let runs = chunk.iter().map(|_| {
            ec2.run_instances()
                .image_id(&ami)
                .instance_type(aws_sdk_ec2::types::InstanceType::T2Nano)
                .min_count(1)
                .max_count(1)
                .send()
        });
        for r in futures::future::join_all(runs).await {
            r.expect("run instance");
        }
    }
}
