//! A TLS front for a plain-HTTP test server, with a certificate for
//! 127.0.0.1 signed by a throwaway "campus" CA (tests/support/tls/: the CA's
//! key was deleted after signing). It stands in for a university cloud whose
//! Keystone uses an internal CA.
//!
//! One thread per connection: read one HTTP/1.x request, pass it to the
//! upstream over a fresh connection, copy the answer back, close. Enough for
//! Keystone's one-request-per-connection HTTP/1.0 server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub struct TlsProxy {
    pub addr: SocketAddr,
}

/// The CA certificate that signed the proxy's certificate.
pub fn campus_ca() -> PathBuf {
    dir().join("ca.pem")
}

fn dir() -> PathBuf {
    crate::support_dir().join("tls")
}

impl TlsProxy {
    /// Serves TLS on a free loopback port, forwarding to `upstream`. The
    /// listener thread lives as long as the test process.
    pub fn start(upstream: SocketAddr) -> TlsProxy {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir().join("server.pem"))
                .expect("server.pem")
                .collect::<Result<_, _>>()
                .expect("server certificate");
        let key = PrivateKeyDer::from_pem_file(dir().join("server.key")).expect("server.key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                std::thread::spawn(move || {
                    // A client that refuses the certificate just hangs up.
                    let _ = serve(stream, config, upstream);
                });
            }
        });
        TlsProxy { addr }
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

fn serve(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    upstream: SocketAddr,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let request = read_request(&mut tls)?;
    let mut up = TcpStream::connect(upstream)?;
    up.set_read_timeout(Some(Duration::from_secs(30)))?;
    up.write_all(&request)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()?;
    Ok(())
}

/// One request: headers, then `Content-Length` bytes of body. The request
/// is passed on with `Connection: close`, so the answer ends at EOF.
fn read_request(tls: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while raw.len() < head_end + length {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let mut out = String::new();
    for line in head.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut request = out.into_bytes();
    request.extend_from_slice(&raw[head_end..]);
    Ok(request)
}
