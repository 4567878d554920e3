//! Reading an answer's body with a bound: every OpenStack answer is read
//! chunk by chunk and refused beyond [`MAX_BODY`], or, for a console log,
//! only its tail kept, so a broken endpoint can neither make hytop hold
//! gigabytes nor grow it on every poll.

use crate::cloud::{CloudError, CloudResult};

use super::session::{Service, transport_error};

/// The most of any answer hytop reads: far above a real one (a page of
/// 1000 Nova servers is a few MB), low enough that a broken or hostile
/// endpoint cannot make hytop hold gigabytes, or grow on every refresh.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// How much of an answer to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// Refuse an answer larger than this many bytes.
    Refuse(usize),
    /// Keep only the last this-many bytes of a larger answer (a console
    /// log, whose end is what matters); [`Reply::truncated`](super::session::Reply::truncated) says so.
    KeepTail(usize),
}

/// Reads an answer's body chunk by chunk, never holding more than about
/// twice the limit: refused beyond it, or only its tail kept. Whether the
/// start was dropped comes with the bytes.
pub(super) async fn read_body(
    mut response: reqwest::Response,
    limit: BodyLimit,
    service: Service,
) -> CloudResult<(Vec<u8>, bool)> {
    let too_large = |cap: usize| {
        CloudError::new(
            "TooLarge",
            format!(
                "{} sent an answer larger than {}: hytop reads no more than that",
                service.catalog_type(),
                size_text(cap)
            ),
        )
    };
    let cap = match limit {
        BodyLimit::Refuse(cap) | BodyLimit::KeepTail(cap) => cap,
    };
    // A declared length says it all before anything is read.
    if let BodyLimit::Refuse(cap) = limit
        && response.content_length().is_some_and(|n| n > cap as u64)
    {
        return Err(too_large(cap));
    }
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(service, &e))?
    {
        body.extend_from_slice(&chunk);
        match limit {
            BodyLimit::Refuse(_) if body.len() > cap => return Err(too_large(cap)),
            // Dropping the start only once it is as long as the tail keeps
            // the copying linear in the size of the answer.
            BodyLimit::KeepTail(_) if body.len() > 2 * cap => {
                body.drain(..body.len() - cap);
                truncated = true;
            }
            _ => {}
        }
    }
    if body.len() > cap {
        body.drain(..body.len() - cap);
        truncated = true;
    }
    Ok((body, truncated))
}

/// `32 MB`, `1 MB`, `512 KB`, `100 bytes`.
fn size_text(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// A session on a fault server (tests/support/faults.rs) that is both its
/// Keystone and its compute service, for tests of what a session reads.
#[cfg(test)]
pub(super) mod on_faults {
    use std::sync::{Arc, OnceLock};

    use hytop_testkit::faults::{FaultServer, Reply, Request};

    use serde_json::json;

    use crate::cloud::openstack::clouds::{Auth, CloudProfile, Named, Secret};
    use crate::cloud::openstack::session::Session;

    /// `compute` answers every request but the authentication.
    pub async fn session(
        compute: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> (FaultServer, Session) {
        // The catalog names the server's own URL, known once it listens.
        let base = Arc::new(OnceLock::<String>::new());
        let catalog_base = base.clone();
        let server = FaultServer::start(move |r: &Request| {
            if !r.path.ends_with("/auth/tokens") {
                return compute(r);
            }
            let url = format!(
                "{}/compute",
                catalog_base.get().cloned().unwrap_or_default()
            );
            let token = json!({ "token": {
                "expires_at": "2099-01-01T00:00:00Z",
                "project": { "id": "p" },
                "catalog": [{ "type": "compute", "endpoints": [
                    { "interface": "public", "region_id": "r", "url": url }
                ]}]
            }});
            Reply::new(201, "application/json", token.to_string())
                .header("X-Subject-Token", "fault-token")
        })
        .await;
        let _ = base.set(server.url.clone());
        let profile = CloudProfile {
            name: "faults".into(),
            source: "a test".into(),
            auth_url: format!("{}/v3", server.url),
            auth: Auth::Password {
                user: Named::Id("u".into()),
                password: Secret::new("pw"),
                project: Named::Id("p".into()),
            },
            regions: Vec::new(),
            interface: "public".into(),
            cacert: None,
            verify: true,
        };
        let session = Session::new(profile, None).unwrap();
        (server, session)
    }
}

#[cfg(test)]
mod tests {
    use hytop_testkit::faults::Reply as FaultReply;

    use super::*;
    use crate::cloud::openstack::session::Call;

    /// A JSON document of `len` bytes.
    fn json_of(len: usize) -> Vec<u8> {
        let mut doc = br#"{"x": ""#.to_vec();
        doc.resize(len - 2, b'a');
        doc.extend_from_slice(br#""}"#);
        doc
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_are_read_up_to_the_cap() {
        let (_server, session) = on_faults::session(|r| {
            let len = if r.path.ends_with("/big") {
                MAX_BODY + 1
            } else {
                MAX_BODY
            };
            let reply = FaultReply::new(200, "application/json", json_of(len));
            // Without a length the size shows only while reading.
            if r.path.contains("/unsized") {
                reply.until_close()
            } else {
                reply
            }
        })
        .await;
        for path in ["/at-cap", "/unsized/at-cap"] {
            let reply = session
                .send(&Call::get(Service::Compute, path))
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(reply.body.len(), MAX_BODY, "{path}");
            assert!(!reply.truncated);
        }
        for path in ["/big", "/unsized/big"] {
            let err = session
                .send(&Call::get(Service::Compute, path))
                .await
                .err()
                .unwrap_or_else(|| panic!("{path}: refused"));
            assert_eq!(err.code.as_deref(), Some("TooLarge"), "{path}: {err}");
            assert_eq!(
                err.message,
                "compute sent an answer larger than 32 MB: hytop reads no more than that"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tail_call_keeps_the_end_of_a_larger_answer() {
        let body: Vec<u8> = (0..3_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let sent = body.clone();
        let (_server, session) = on_faults::session(move |_| {
            FaultReply::new(200, "text/plain", sent.clone()).until_close()
        })
        .await;
        let call = Call::get(Service::Compute, "/log").keep_tail(1000);
        let reply = session.send(&call).await.unwrap();
        assert!(reply.truncated);
        assert_eq!(reply.body, body[body.len() - 1000..]);
        let whole = Call::get(Service::Compute, "/log").keep_tail(body.len());
        let reply = session.send(&whole).await.unwrap();
        assert!(!reply.truncated);
        assert_eq!(reply.body, body);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(MAX_BODY), "32 MB");
        assert_eq!(size_text(512 * 1024), "512 KB");
        assert_eq!(size_text(100), "100 bytes");
    }
}
