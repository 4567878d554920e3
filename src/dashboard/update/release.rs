//! Releasing the addresses the terminate question was told to release: a
//! cloud refuses to release an address still associated, so each waits for
//! its instance's terminate to succeed and for a listing that shows it
//! free, then goes to the worker. A failed terminate keeps its addresses.

use super::cloud::refresh_soon;
use crate::dashboard::action::{CloudId, Request, RequestId};
use crate::dashboard::effect::Effect;
use crate::dashboard::model::AppState;

/// The terminate `request` of `cloud` answered: its addresses wait for a
/// listing that shows them free, or stay allocated when it failed.
pub(super) fn on_terminated(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    ok: bool,
    fx: &mut Vec<Effect>,
) {
    let before = state.pending_releases.len();
    state
        .pending_releases
        .retain(|p| ok || p.cloud != cloud || p.after != request);
    if state.pending_releases.len() < before {
        state.error("terminate failed: its public addresses stay allocated");
    }
    for p in state
        .pending_releases
        .iter_mut()
        .filter(|p| p.cloud == cloud && p.after == request)
    {
        p.confirmed = true;
    }
    poll(state, cloud, fx);
    if state
        .pending_releases
        .iter()
        .any(|p| p.cloud == cloud && p.confirmed)
    {
        // The cloud lets go of the address as the instance shuts down:
        // look again now rather than at the next interval (only once, so
        // an address that stays associated never drives a refresh loop).
        refresh_soon(state, cloud, fx);
    }
}

/// Sends the releases of `cloud` whose address the last listing shows
/// free of its instance; drops those the cloud no longer lists.
pub(super) fn poll(state: &mut AppState, cloud: CloudId, fx: &mut Vec<Effect>) {
    let Some(status) = state.clouds.get(cloud) else {
        return;
    };
    let mut send = Vec::new();
    state.pending_releases.retain(|p| {
        if p.cloud != cloud || !p.confirmed {
            return true;
        }
        match status.addresses.iter().find(|a| a.id == p.address_id) {
            // Already gone (released elsewhere): nothing to do.
            None => false,
            Some(a) if a.instance_id.as_deref() == Some(p.instance_id.as_str()) => true,
            Some(_) => {
                send.push((p.address_id.clone(), p.ip.clone()));
                false
            }
        }
    });
    for (address_id, ip) in send {
        let id = state.request_id();
        state.info(format!("releasing {ip}, left by the terminated instance…"));
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::ReleaseAddress(address_id),
        });
    }
}
