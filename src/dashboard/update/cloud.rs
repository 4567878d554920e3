//! The clock and the clouds' answers: refreshes when they are due, console
//! polls, and every worker [`Response`] applied to the model.

use chrono::{DateTime, Utc};

use crate::dashboard::action::{CloudId, Request, RequestId, Response};
use crate::dashboard::effect::Effect;
use crate::dashboard::model::{AppState, InstanceKey};
use crate::dashboard::overlays::{MessagePopup, Overlay};

/// Starts a refresh of every idle cloud whose time has come.
pub(super) fn on_tick(state: &mut AppState, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let second_changed = now.timestamp() != state.now.timestamp();
    state.now = now;
    for cloud in state.shown_clouds().collect::<Vec<_>>() {
        let due = state.clouds[cloud].next_refresh.is_none_or(|t| now >= t);
        if due && state.clouds[cloud].refreshing.is_none() {
            start_refresh(state, cloud, fx);
        }
    }
    poll_console(state, fx);
    // The fleet's summaries are planned once a second; the selected
    // instance's series after every action (see `update`).
    super::metrics::plan(state, second_changed, fx);
    // Ages, costs and expiries move with the clock alone.
    if state
        .costs
        .at
        .is_none_or(|t| now - t >= chrono::Duration::seconds(30))
    {
        state.recompute_costs();
        if state.forgotten_only {
            state.rebuild_view();
        }
    }
    if state.status.as_ref().is_some_and(|s| now >= s.until) {
        state.status = None;
        state.dirty = true;
    }
    if second_changed {
        // Ages and "refreshed Ns ago" move with the clock.
        state.dirty = true;
    }
}

fn start_refresh(state: &mut AppState, cloud: CloudId, fx: &mut Vec<Effect>) {
    if state.clouds[cloud].refreshing.is_some() {
        return;
    }
    let id = state.request_id();
    state.clouds[cloud].refreshing = Some(id);
    state.dirty = true;
    fx.push(Effect::Send {
        cloud,
        id,
        request: Request::Refresh,
    });
}

/// Asks for a refresh now, or right after the one under way.
pub(super) fn refresh_soon(state: &mut AppState, cloud: CloudId, fx: &mut Vec<Effect>) {
    if state.clouds[cloud].refreshing.is_some() {
        state.clouds[cloud].again = true;
    } else {
        start_refresh(state, cloud, fx);
    }
}

pub(super) fn poll_console(state: &mut AppState, fx: &mut Vec<Effect>) {
    let now = state.now;
    let lines = state.config.console_lines;
    let Some(view) = &state.console else { return };
    if view.request.is_some() || view.next_poll.is_some_and(|t| now < t) {
        return;
    }
    let (cloud, instance_id) = (view.key.cloud, view.key.id.clone());
    let id = state.request_id();
    if let Some(view) = state.console.as_mut() {
        view.request = Some(id);
    }
    fx.push(Effect::Send {
        cloud,
        id,
        request: Request::Console { instance_id, lines },
    });
}

pub(super) fn on_response(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    response: Response,
    fx: &mut Vec<Effect>,
) {
    // An endpoint removed while its worker was busy: nothing to show.
    if !state.clouds.get(cloud).is_some_and(|c| c.shown) {
        return;
    }
    state.dirty = true;
    let label = state.clouds[cloud].label.clone();
    match response {
        Response::Instances(result) => {
            // A listing older than the one shown would move the table back in time.
            if request < state.clouds[cloud].applied_list {
                return;
            }
            state.clouds[cloud].applied_list = request;
            state.clouds[cloud].listed_at = Some(state.now);
            match result {
                Ok(list) => {
                    state.clouds[cloud].error = None;
                    state.clouds[cloud].throttled = 0;
                    state.clouds[cloud].last_ok = Some(state.now);
                    state.set_instances(cloud, list);
                }
                Err(e) if e.is_throttled() => {
                    // Asking again at once would only prolong it: wait
                    // longer each time, and say so.
                    let c = &mut state.clouds[cloud];
                    c.throttled = c.throttled.saturating_add(1);
                    let wait = state.next_refresh_after(cloud);
                    state.clouds[cloud].error = Some(format!(
                        "{e} (throttled: next try in {})",
                        crate::domain::format::span(wait)
                    ));
                }
                Err(e) => state.clouds[cloud].error = Some(e.to_string()),
            }
        }
        Response::Volumes(result) => match result {
            Ok(volumes) => state.set_volumes(cloud, volumes),
            Err(e) => state.clouds[cloud].error = Some(format!("volumes: {e}")),
        },
        Response::Addresses(result) => match result {
            Ok(addresses) => {
                state.clouds[cloud].addresses = addresses;
                state.recompute_costs();
                super::release::poll(state, cloud, fx);
            }
            Err(e) => state.clouds[cloud].error = Some(format!("addresses: {e}")),
        },
        response @ Response::Metrics { .. } => {
            super::metrics::on_answer(state, cloud, request, response)
        }
        Response::RefreshDone => {
            let after = state.next_refresh_after(cloud);
            let now = state.now;
            let c = &mut state.clouds[cloud];
            if c.refreshing == Some(request) {
                c.refreshing = None;
                // A change asked for during the refresh goes at once, unless
                // the cloud is throttling us.
                let again = std::mem::take(&mut c.again) && c.throttled == 0;
                let from = c.listed_at.unwrap_or(now);
                c.next_refresh = if again { None } else { Some(from + after) };
            }
        }
        Response::RefreshSkipped => {
            // The worker still runs an older refresh; try again shortly
            // rather than showing "refreshing" for a request that never ran.
            let c = &mut state.clouds[cloud];
            if c.refreshing == Some(request) {
                c.refreshing = None;
                c.next_refresh = Some(state.now + chrono::Duration::seconds(1));
            }
        }
        Response::LaunchRefused(msg) => failed(state, "Launch refused", msg),
        Response::Launched(result) => match result {
            Ok(ids) => {
                for id in &ids {
                    state.launched.insert(InstanceKey {
                        cloud,
                        id: id.clone(),
                    });
                }
                if let Some(first) = ids.first() {
                    state.select_when_listed = Some(InstanceKey {
                        cloud,
                        id: first.clone(),
                    });
                }
                state.info(format!("launched on {label}: {}", ids.join(", ")));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => failed(state, "Launch failed", format!("{label}: {e}")),
        },
        Response::Terminated { ids, result } => match result {
            Ok(()) => {
                state.info(format!("terminating on {label}: {}", ids.join(", ")));
                refresh_soon(state, cloud, fx);
                super::release::on_terminated(state, cloud, request, true, fx);
                if state.quit_after.remove(&request) && state.quit_after.is_empty() {
                    state.quit = true;
                    fx.push(Effect::Quit);
                }
            }
            Err(e) => {
                super::release::on_terminated(state, cloud, request, false, fx);
                // Something still runs: stay, so the user sees it.
                state.quit_after.clear();
                failed(
                    state,
                    "Terminate failed",
                    format!("{label}: {}: {e}", ids.join(", ")),
                )
            }
        },
        Response::Powered { action, outcomes } => {
            let done: Vec<&str> = outcomes
                .iter()
                .filter(|o| o.result.is_ok())
                .map(|o| o.instance_id.as_str())
                .collect();
            let refused: Vec<String> = outcomes
                .iter()
                .filter_map(|o| {
                    o.result
                        .as_ref()
                        .err()
                        .map(|e| format!("{label}: {}: {e}", o.instance_id))
                })
                .collect();
            if !done.is_empty() {
                refresh_soon(state, cloud, fx);
            }
            if refused.is_empty() {
                state.info(format!("{} on {label}: {}", action.name(), done.join(", ")));
                // Asked from the quit reminder: quit once every cloud confirmed.
                if state.quit_after.remove(&request) && state.quit_after.is_empty() {
                    state.quit = true;
                    fx.push(Effect::Quit);
                }
            } else {
                // Something still runs: stay, so the user sees it.
                state.quit_after.clear();
                // Each refused id with the cloud's own words; the others went ahead.
                let mut lines = refused;
                if !done.is_empty() {
                    lines.push(format!(
                        "{} went ahead for {}",
                        action.name(),
                        done.join(", ")
                    ));
                }
                let title = format!("{} refused", action.name());
                state.error(format!("{title}: {}", lines[0]));
                MessagePopup::show(state, &title, lines, true);
            }
        }
        Response::IpAttached {
            instance_id,
            result,
        } => match result {
            Ok(addr) => {
                if !addr.reused {
                    state.allocated_here.insert((cloud, addr.ip.clone()));
                }
                let how = if addr.reused {
                    "reused a free address"
                } else {
                    "allocated a new address"
                };
                state.info(format!("attached {} to {instance_id} ({how})", addr.ip));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => failed(
                state,
                "Attach public IP failed",
                format!("{label}: {instance_id}: {e}"),
            ),
        },
        Response::IpDetached {
            instance_id,
            result,
        } => match result {
            Ok(ip) => {
                state.info(format!(
                    "detached {ip} from {instance_id}; the address stays allocated"
                ));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => failed(
                state,
                "Detach public IP failed",
                format!("{label}: {instance_id}: {e}"),
            ),
        },
        Response::AddressReleased { address_id, result } => match result {
            Ok(()) => {
                state.info(format!("released {address_id}"));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => failed(
                state,
                "Release address failed",
                format!("{label}: {address_id}: {e}"),
            ),
        },
        Response::VolumeDeleted { volume_id, result } => match result {
            Ok(()) => {
                state.info(format!("deleted volume {volume_id}"));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => failed(
                state,
                "Delete volume failed",
                format!("{label}: {volume_id}: {e}"),
            ),
        },
        Response::Doctor {
            instance_id,
            finding,
        } => {
            if finding.check == crate::doctor::Check::LoginUser
                && let Some(user) = &finding.value
            {
                state.login_users.insert(
                    InstanceKey {
                        cloud,
                        id: instance_id.clone(),
                    },
                    user.clone(),
                );
            }
            if let Some(crate::dashboard::overlays::Overlay::Doctor(popup)) = state.overlay.as_mut()
            {
                popup.on_finding(request, &instance_id, finding);
            }
        }
        Response::Console(result) => {
            let now = state.now;
            let poll = chrono::Duration::seconds(state.config.console_poll_secs.max(1) as i64);
            let Some(view) = state.console.as_mut() else {
                return;
            };
            if view.request != Some(request) {
                return;
            }
            view.request = None;
            view.next_poll = Some(now + poll);
            match result {
                Ok(out) if out.instance_id == view.key.id => {
                    view.error = None;
                    view.fetched_at = Some(out.fetched_at);
                    view.set_text(&out.text);
                }
                Ok(_) => {}
                Err(e) => view.error = Some(e.to_string()),
            }
        }
        Response::TagsSet {
            instance_id,
            tags,
            result,
        } => match result {
            Ok(()) => {
                let shown: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                state.info(format!("{instance_id}: {}", shown.join(", ")));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => failed(
                state,
                "Setting tags failed",
                format!("{label}: {instance_id}: {e}"),
            ),
        },
        Response::LaunchOptions(result) => {
            if let Some(overlay) = state.overlay.as_mut() {
                overlay.on_launch_options(request, result);
            }
        }
        Response::Regions(result) => {
            if let Some(Overlay::Picker(picker)) = state.overlay.as_mut() {
                picker.on_regions(request, result);
            }
            crate::dashboard::overlays::EndpointPicker::settle(state, fx);
        }
    }
}

/// A request failed: the popup tells the whole story, and the status line,
/// which still said what was under way ("launching …"), says it failed.
fn failed(state: &mut AppState, title: &str, line: String) {
    let mut short = title.chars();
    let short: String = short
        .next()
        .map(|first| first.to_lowercase().chain(short).collect())
        .unwrap_or_default();
    state.error(format!("{short}: {line}"));
    MessagePopup::show(state, title, vec![line], true);
}
