//! A loopback HTTP/1.1 server that answers what a test scripts, byte for
//! byte: the wrong things a proxy, a broken middlebox or a half-dead
//! endpoint send (HTML error pages, plain text, truncated but well-framed
//! XML, answers whose connection closes mid-body), which no emulator sends.
//!
//! Every request is recorded (method, path, headers, body), so a test can
//! also check what the client asked for (e.g. EC2's `MaxResults`).
//!
//! Raw TCP rather than axum: a reply may declare a `Content-Length` it then
//! does not deliver, which a well-behaved server library refuses to do.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's `application/x-www-form-urlencoded` pairs (what the EC2
    /// query protocol sends), decoded.
    pub fn params(&self) -> Vec<(String, String)> {
        String::from_utf8_lossy(&self.body)
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(k), form_decode(v))
            })
            .collect()
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The EC2 (query protocol) operation, `Action=...`.
    pub fn action(&self) -> Option<String> {
        self.param("Action")
    }
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server sends back for one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub framing: Framing,
}

/// How the end of a reply's body is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` of the body.
    Exact,
    /// `Content-Length: n`, more than the body, and the connection closes
    /// after the body: mid-answer.
    CutOff(usize),
    /// No `Content-Length`: the body ends when the connection closes (so
    /// the client learns its size only by reading it).
    UntilClose,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            framing: Framing::Exact,
        }
    }

    /// EC2's content type.
    pub fn xml(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(status, "text/xml;charset=UTF-8", body)
    }

    /// Declares `declared` bytes but sends only the body, then closes.
    pub fn cut_off(mut self, declared: usize) -> Reply {
        self.framing = Framing::CutOff(declared);
        self
    }

    /// Sends no `Content-Length`; the body ends with the connection.
    pub fn until_close(mut self) -> Reply {
        self.framing = Framing::UntilClose;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Script = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct FaultServer {
    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub url: String,
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    /// Serves on a free loopback port, on the calling tokio runtime, until
    /// dropped; `script` decides every reply.
    pub async fn start(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault server");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let script = script.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    serve(stream, &*script, &recorded).await;
                });
            }
        });
        FaultServer {
            url: format!("http://{addr}"),
            addr,
            requests,
            task,
        }
    }

    /// Answers every request with `reply`.
    pub async fn always(reply: Reply) -> FaultServer {
        FaultServer::start(move |_| reply.clone()).await
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request, answers it and closes the connection (the reply says
/// `Connection: close`, so clients open a new one for the next request).
async fn serve(mut stream: TcpStream, script: &Script, recorded: &Mutex<Vec<Request>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    recorded
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request.clone());
    let reply = script(&request);
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match reply.framing {
        Framing::Exact => head.push_str(&format!("Content-Length: {}\r\n", reply.body.len())),
        Framing::CutOff(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        Framing::UntilClose => {}
    }
    head.push_str("Connection: close\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&reply.body).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = raw[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Whatever",
    }
}

/// EC2 answers as the query protocol writes them (checked against the
/// EC2 API reference's examples and moto's templates), to serve whole or
/// to cut apart.
pub mod ec2 {
    use super::{Reply, Request};

    const XMLNS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

    /// One running instance of a `reservationSet`'s `instancesSet`.
    pub fn instance(id: &str) -> String {
        format!(
            "<item><instanceId>{id}</instanceId><imageId>ami-0fault</imageId>\
             <instanceState><code>16</code><name>running</name></instanceState>\
             <privateDnsName>ip-10-0-0-1.eu-west-1.compute.internal</privateDnsName>\
             <instanceType>t2.nano</instanceType>\
             <launchTime>2026-01-05T10:00:00.000Z</launchTime>\
             <monitoring><state>disabled</state></monitoring>\
             <privateIpAddress>10.0.0.1</privateIpAddress>\
             <tagSet><item><key>Name</key><value>{id}-name</value></item></tagSet>\
             </item>"
        )
    }

    /// A `DescribeInstances` answer, one reservation per instance.
    pub fn describe_instances(instances: &[String], next_token: Option<&str>) -> String {
        let reservations: String = instances
            .iter()
            .enumerate()
            .map(|(n, i)| {
                format!(
                    "<item><reservationId>r-{n:017x}</reservationId>\
                     <ownerId>123456789012</ownerId><groupSet/>\
                     <instancesSet>{i}</instancesSet></item>"
                )
            })
            .collect();
        let token = next_token
            .map(|t| format!("<nextToken>{t}</nextToken>"))
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <DescribeInstancesResponse xmlns=\"{XMLNS}\">\
             <requestId>fault-0001</requestId>\
             <reservationSet>{reservations}</reservationSet>{token}\
             </DescribeInstancesResponse>"
        )
    }

    /// `DescribeAddresses` with no addresses.
    pub fn no_addresses() -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <DescribeAddressesResponse xmlns=\"{XMLNS}\">\
             <requestId>fault-0002</requestId><addressesSet/>\
             </DescribeAddressesResponse>"
        )
    }

    /// EC2's error document.
    pub fn error(code: &str, message: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>\
             </Errors><RequestID>fault-0003</RequestID></Response>"
        )
    }

    /// A script for `FaultServer::start`: no Elastic IPs (the listing asks
    /// for them first), `describe` for `DescribeInstances`, and an error
    /// for any other operation.
    pub fn listing(
        describe: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
        move |request| match request.action().as_deref() {
            Some("DescribeAddresses") => Reply::xml(200, no_addresses()),
            Some("DescribeInstances") => describe(request),
            other => Reply::xml(
                400,
                error(
                    "InvalidAction",
                    &format!("the fault server does not serve {other:?}"),
                ),
            ),
        }
    }
}
