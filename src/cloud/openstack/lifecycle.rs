//! Issue 11's lifecycle on OpenStack: stop, start, reboot (soft and hard),
//! shelve and unshelve, one `POST /servers/{id}/action` per server.

use futures::StreamExt;

use serde_json::Value;

use super::OpenStackProvider;
use super::nova::{self, Microversion};
use crate::cloud::{PowerAction, PowerOutcome};

/// Servers asked at once: Nova answers an action in a few milliseconds
/// after queueing it, and a small bound keeps a selection of hundreds from
/// opening hundreds of connections to a course's API node.
pub const CONCURRENT_ACTIONS: usize = 4;

/// One action request per server, [`CONCURRENT_ACTIONS`] at a time; the
/// outcomes come back in the order of `instance_ids`, each with its own
/// answer, so one server's 409 never hides another's success.
pub(super) async fn power(
    provider: &OpenStackProvider,
    instance_ids: &[String],
    action: PowerAction,
) -> Vec<PowerOutcome> {
    // Without a microversion no request can be made: every id gets the
    // one error that explains why.
    let mv = match provider.microversion().await {
        Ok(mv) => mv,
        Err(e) => {
            return instance_ids
                .iter()
                .map(|id| PowerOutcome {
                    instance_id: id.clone(),
                    result: Err(e.clone()),
                })
                .collect();
        }
    };
    let body = nova::power_body(action);
    // Owned ids: a closure over borrowed ones is not general enough for
    // the `Send` future `async_trait` needs.
    futures::stream::iter(instance_ids.iter().cloned())
        .map(|id| one(provider, mv, id, body.clone(), action))
        // `buffered`, not `buffer_unordered`: outcomes keep the ids' order.
        .buffered(CONCURRENT_ACTIONS)
        .collect()
        .await
}

async fn one(
    provider: &OpenStackProvider,
    mv: Microversion,
    id: String,
    body: Value,
    action: PowerAction,
) -> PowerOutcome {
    let result = nova::server_action(&provider.session, mv, &id, body).await;
    if let Err(e) = &result {
        tracing::info!(server = %id, action = action.name(), error = %e, "power action refused");
    }
    PowerOutcome {
        instance_id: id,
        result,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use hytop_testkit::faults::Reply;
    use serde_json::json;

    use super::*;
    use crate::cloud::openstack::body::on_faults;
    use crate::cloud::openstack::session::Session;

    fn provider(session: Session) -> OpenStackProvider {
        OpenStackProvider {
            name: "faults".into(),
            region: None,
            session,
            floating_pool: None,
            microversion: tokio::sync::OnceCell::new(),
            plans: tokio::sync::Mutex::new(Default::default()),
            vcpus: Mutex::new(HashMap::new()),
            network_names: tokio::sync::OnceCell::new(),
            image_names: Default::default(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn at_most_four_servers_are_asked_at_once_and_outcomes_keep_the_order() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (now, top) = (in_flight.clone(), most.clone());
        let (server, session) = on_faults::session(move |r| {
            if !r.path.ends_with("/action") {
                let doc = json!({"version": {"version": "2.96", "min_version": "2.1"}});
                return Reply::new(200, "application/json", doc.to_string());
            }
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            top.fetch_max(n, Ordering::SeqCst);
            // A slow API node, so that requests overlap if they can.
            std::thread::sleep(std::time::Duration::from_millis(150));
            now.fetch_sub(1, Ordering::SeqCst);
            if r.path.contains("/servers/vm-3/") {
                let body = json!({"conflictingRequest": {"code": 409, "message":
                    "Cannot 'stop' instance vm-3 while it is in vm_state stopped"}});
                return Reply::new(409, "application/json", body.to_string());
            }
            Reply::new(202, "text/html; charset=UTF-8", "")
        })
        .await;
        let ids: Vec<String> = (0..12).map(|i| format!("vm-{i}")).collect();
        let outcomes = power(&provider(session), &ids, PowerAction::Stop).await;

        let order: Vec<&str> = outcomes.iter().map(|o| o.instance_id.as_str()).collect();
        assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>());
        for o in &outcomes {
            if o.instance_id == "vm-3" {
                let e = o.result.clone().unwrap_err();
                assert_eq!(
                    e.to_string(),
                    "409 conflictingRequest: Cannot 'stop' instance vm-3 while it is in vm_state stopped"
                );
            } else {
                assert_eq!(o.result, Ok(()), "{}", o.instance_id);
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), CONCURRENT_ACTIONS);
        let actions = server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/action"))
            .count();
        assert_eq!(actions, 12, "one request per server");
    }
}
