//! Probes over the network: a TCP connect per port and an HTTP GET, each
//! bounded by the plan's timeout. What real providers answer to
//! [`crate::cloud::Provider::probe`]; the simulator answers itself and
//! never touches the network.

use std::time::Instant;

use tokio::net::TcpStream;

use crate::cloud::facts::{ProbePlan, ProbeResult};

/// Every port of `plan`, then its health URL, all at once.
pub async fn over_network(plan: &ProbePlan) -> Vec<ProbeResult> {
    let tcp = plan.ports.iter().map(|&port| async move {
        ProbeResult::Tcp {
            port,
            result: connect(&plan.address, port, plan.timeout).await,
        }
    });
    let mut results = futures::future::join_all(tcp).await;
    if let Some(url) = &plan.health_url {
        results.push(ProbeResult::Http {
            url: url.clone(),
            result: get(url, plan.timeout).await,
        });
    }
    results
}

async fn connect(address: &str, port: u16, timeout: std::time::Duration) -> Result<u64, String> {
    let started = Instant::now();
    let target = if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    };
    match tokio::time::timeout(timeout, TcpStream::connect(&target)).await {
        Ok(Ok(_)) => Ok(started.elapsed().as_millis() as u64),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err("refused (nothing listens, or a firewall rejects it)".into())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "timed out after {} s (a security group or firewall drops it)",
            timeout.as_secs_f64()
        )),
    }
}

async fn get(url: &str, timeout: std::time::Duration) -> Result<(u16, u64), String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let started = Instant::now();
    match client.get(url).send().await {
        Ok(resp) => Ok((resp.status().as_u16(), started.elapsed().as_millis() as u64)),
        Err(e) if e.is_timeout() => Err(format!("timed out after {} s", timeout.as_secs_f64())),
        Err(e) if e.is_connect() => Err("connection failed".into()),
        Err(e) => Err(e.without_url().to_string()),
    }
}
