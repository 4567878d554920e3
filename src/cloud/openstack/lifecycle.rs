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
