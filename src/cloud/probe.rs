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
    crate::cloud::use_ring_for_tls();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::doctor::Verdict;

    /// A loopback HTTP server answering every request with `status`.
    async fn http(status: u16) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = conn.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            }
        });
        port
    }

    /// A loopback port nothing listens on.
    async fn closed() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        port
    }

    fn plan(ports: Vec<u16>, health_url: Option<String>) -> ProbePlan {
        ProbePlan {
            address: "127.0.0.1".into(),
            ports,
            health_url,
            timeout: Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn open_and_closed_ports_and_health_urls_on_loopback() {
        let ok = http(200).await;
        let broken = http(500).await;
        let shut = closed().await;

        let good = plan(
            vec![ok],
            Some(format!("http://127.0.0.1:{ok}/tweetservice")),
        );
        let results = over_network(&good).await;
        assert!(
            matches!(results[0], ProbeResult::Tcp { result: Ok(_), .. }),
            "{results:?}"
        );
        assert!(
            matches!(
                results[1],
                ProbeResult::Http {
                    result: Ok((200, _)),
                    ..
                }
            ),
            "{results:?}"
        );
        assert_eq!(
            crate::doctor::probe::judge(&good, &results).verdict,
            Verdict::Pass
        );

        let bad = plan(vec![ok, shut], Some(format!("http://127.0.0.1:{broken}/")));
        let results = over_network(&bad).await;
        match &results[1] {
            ProbeResult::Tcp {
                port,
                result: Err(why),
            } => {
                assert_eq!(*port, shut);
                assert!(why.starts_with("refused"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(
                results[2],
                ProbeResult::Http {
                    result: Ok((500, _)),
                    ..
                }
            ),
            "{results:?}"
        );
        let finding = crate::doctor::probe::judge(&bad, &results);
        assert_eq!(finding.verdict, Verdict::Fail);
        assert!(
            finding.reason.contains(&format!("{shut}/tcp")) && finding.reason.contains("GET 500"),
            "{}",
            finding.reason
        );

        let gone = plan(Vec::new(), Some(format!("http://127.0.0.1:{shut}/")));
        let results = over_network(&gone).await;
        assert!(
            matches!(&results[0], ProbeResult::Http { result: Err(_), .. }),
            "{results:?}"
        );
    }
}
