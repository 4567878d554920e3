//! `update`: how every [`Action`] changes the [`AppState`], and which
//! [`Effect`]s (requests, ssh, quit) it asks the runtime to carry out.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::cloud::launch::LaunchDraft;
use crate::dashboard::action::{Action, CloudId, Request, RequestId, Response};
use crate::dashboard::command::{Command, Context};
pub use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{
    AppState, ConsoleView, InstanceKey, IpPopup, LaunchField, LaunchPopup, MessagePopup, Overlay,
    Prompt, PromptKind, QuitReminder, SortColumn, Target,
};
use crate::domain::model::InstanceState;

pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) => on_key(state, key, &mut fx),
        Action::Paste(text) => on_paste(state, &text),
        Action::Resize { width, height } => {
            state.width = width;
            state.height = height;
            state.dirty = true;
        }
        Action::Tick(now) => on_tick(state, now, &mut fx),
        Action::Run(cmd) => run(state, cmd, &mut fx),
        Action::Response {
            cloud,
            request,
            response,
        } => on_response(state, cloud, request, response, &mut fx),
        Action::SshFinished(result) => {
            match result {
                Ok(0) => state.info("ssh session ended"),
                Ok(code) => state.error(format!("ssh exited with status {code}")),
                Err(e) => state.error(format!("could not run ssh: {e}")),
            }
            state.dirty = true;
        }
    }
    fx
}

/// Starts a refresh of every idle cloud whose time has come.
fn on_tick(state: &mut AppState, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    let second_changed = now.timestamp() != state.now.timestamp();
    state.now = now;
    for cloud in 0..state.clouds.len() {
        let due = state.clouds[cloud].next_refresh.is_none_or(|t| now >= t);
        if due && state.clouds[cloud].refreshing.is_none() {
            start_refresh(state, cloud, fx);
        }
    }
    poll_console(state, fx);
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
        request: Request::Refresh {
            // The idle rule judges CPU over its own window: ask for at
            // least that much.
            metrics_window_mins: state
                .config
                .metrics_window_mins
                .max(state.config.cost.idle_after_mins),
        },
    });
}

/// Asks for a refresh now, or right after the one under way.
fn refresh_soon(state: &mut AppState, cloud: CloudId, fx: &mut Vec<Effect>) {
    if state.clouds[cloud].refreshing.is_some() {
        state.clouds[cloud].again = true;
    } else {
        start_refresh(state, cloud, fx);
    }
}

fn poll_console(state: &mut AppState, fx: &mut Vec<Effect>) {
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

fn on_response(
    state: &mut AppState,
    cloud: CloudId,
    request: RequestId,
    response: Response,
    fx: &mut Vec<Effect>,
) {
    if cloud >= state.clouds.len() {
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
            match result {
                Ok(list) => {
                    state.clouds[cloud].error = None;
                    state.clouds[cloud].last_ok = Some(state.now);
                    state.set_instances(cloud, list);
                }
                Err(e) => state.clouds[cloud].error = Some(e.to_string()),
            }
        }
        Response::Addresses(result) => match result {
            Ok(addresses) => {
                state.clouds[cloud].addresses = addresses;
                state.recompute_costs();
            }
            Err(e) => state.clouds[cloud].error = Some(format!("addresses: {e}")),
        },
        Response::Metrics(result) => match result {
            Ok(list) => {
                state.clouds[cloud].metrics_error = None;
                for (id, m) in list {
                    state.metrics.insert(InstanceKey { cloud, id }, m);
                }
                // Idle flags depend on the new CPU points.
                state.recompute_costs();
                if state.forgotten_only {
                    state.rebuild_view();
                }
            }
            Err(e) if e.code.as_deref() == Some(crate::cloud::openstack::NO_METRICS_SERVICE) => {
                state.clouds[cloud].metrics_error = None;
                state.clouds[cloud].metrics_note = Some(e.message);
            }
            Err(e) => state.clouds[cloud].metrics_error = Some(e.to_string()),
        },
        Response::RefreshDone => {
            let c = &mut state.clouds[cloud];
            if c.refreshing == Some(request) {
                c.refreshing = None;
                c.next_refresh = if std::mem::take(&mut c.again) {
                    None
                } else {
                    let every = state.config.refresh_secs.max(1) as i64;
                    Some(state.now + chrono::Duration::seconds(every))
                };
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
        Response::LaunchRefused(msg) => message(state, "Launch refused", vec![msg], true),
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
            Err(e) => message(state, "Launch failed", vec![format!("{label}: {e}")], true),
        },
        Response::Terminated { ids, result } => match result {
            Ok(()) => {
                state.info(format!("terminating on {label}: {}", ids.join(", ")));
                refresh_soon(state, cloud, fx);
                if state.quit_after.remove(&request) && state.quit_after.is_empty() {
                    state.quit = true;
                    fx.push(Effect::Quit);
                }
            }
            Err(e) => {
                // Something still runs: stay, so the user sees it.
                state.quit_after.clear();
                message(
                    state,
                    "Terminate failed",
                    vec![format!("{label}: {}: {e}", ids.join(", "))],
                    true,
                )
            }
        },
        Response::IpAttached {
            instance_id,
            result,
        } => match result {
            Ok(addr) => {
                let how = if addr.reused {
                    "reused a free address"
                } else {
                    "allocated a new address"
                };
                state.info(format!("attached {} to {instance_id} ({how})", addr.ip));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => message(
                state,
                "Attach public IP failed",
                vec![format!("{label}: {instance_id}: {e}")],
                true,
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
            Err(e) => message(
                state,
                "Detach public IP failed",
                vec![format!("{label}: {instance_id}: {e}")],
                true,
            ),
        },
        Response::AddressReleased { address_id, result } => match result {
            Ok(()) => {
                state.info(format!("released {address_id}"));
                refresh_soon(state, cloud, fx);
            }
            Err(e) => message(
                state,
                "Release address failed",
                vec![format!("{label}: {address_id}: {e}")],
                true,
            ),
        },
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
            Err(e) => message(
                state,
                "Setting tags failed",
                vec![format!("{label}: {instance_id}: {e}")],
                true,
            ),
        },
        Response::LaunchOptions(result) => {
            if let Some(Overlay::Launch(popup)) = state.overlay.as_mut()
                && popup.options_request == Some(request)
            {
                match result {
                    Ok(options) => popup.options = Some(options),
                    Err(e) => popup.error = Some(format!("cannot list launch options: {e}")),
                }
            }
        }
    }
}

fn message(state: &mut AppState, title: &str, lines: Vec<String>, is_error: bool) {
    state.overlay = Some(Overlay::Message(MessagePopup {
        title: title.to_string(),
        lines,
        is_error,
    }));
    state.dirty = true;
}

fn on_key(state: &mut AppState, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    state.dirty = true;
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        fx.push(Effect::Quit);
        state.quit = true;
        return;
    }
    if state.prompt.is_some() {
        on_prompt_key(state, key, fx);
        return;
    }
    if state.overlay.is_some() {
        on_overlay_key(state, key, fx);
        return;
    }
    let ctx = if state.console.is_some() {
        Context::Console
    } else {
        Context::Table
    };
    if let Some(cmd) = state.keymap.lookup(ctx, &Key::from_event(&key)) {
        run(state, cmd, fx);
    }
}

fn on_paste(state: &mut AppState, text: &str) {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if let Some(prompt) = state.prompt.as_mut() {
        prompt.text.push_str(&clean);
        if prompt.kind == PromptKind::Filter {
            state.filter = prompt.text.clone();
            state.rebuild_view();
        }
    } else if let Some(Overlay::Launch(popup)) = state.overlay.as_mut() {
        match popup.focus {
            LaunchField::Name => popup.name.push_str(&clean),
            LaunchField::Count => popup
                .count
                .extend(clean.chars().filter(char::is_ascii_digit)),
            _ => {}
        }
    }
    state.dirty = true;
}

/// Runs a user intent in the current context.
pub fn run(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    state.dirty = true;
    if cmd.mutates_cloud() && state.readonly {
        state.error(format!(
            "read-only mode: {} is disabled (started with --readonly)",
            cmd.name()
        ));
        return;
    }
    if state.console.is_some() {
        run_console(state, cmd, fx);
    } else {
        run_table(state, cmd, fx);
    }
}

fn run_table(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let page = state.page_height.max(1);
    match cmd {
        Command::Quit => {
            let instances = state.quit_reminder();
            if instances.is_empty() {
                state.quit = true;
                fx.push(Effect::Quit);
            } else {
                state.overlay = Some(Overlay::QuitReminder(QuitReminder {
                    instances,
                    confirm: false,
                }));
            }
        }
        Command::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Command::MoveDown => state.select_row(state.cursor.saturating_add(1)),
        Command::MoveUp => state.select_row(state.cursor.saturating_sub(1)),
        Command::PageDown => state.select_row(state.cursor.saturating_add(page)),
        Command::PageUp => state.select_row(state.cursor.saturating_sub(page)),
        Command::Top => state.select_row(0),
        Command::Bottom => state.select_row(usize::MAX),
        Command::Filter => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Filter,
                text: state.filter.clone(),
            })
        }
        // Commands of the popups' and prompts' sections mean nothing here.
        Command::Confirm
        | Command::Cancel
        | Command::NextField
        | Command::PrevField
        | Command::ChooseNext
        | Command::ChoosePrev
        | Command::Attach
        | Command::Detach
        | Command::Release
        | Command::DeleteBack
        | Command::ClearLine
        | Command::KeepAndQuit => {}
        Command::CommandLine => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Command,
                text: String::new(),
            })
        }
        Command::ClearFilter => {
            state.marks.clear();
            if !state.filter.is_empty() {
                state.filter.clear();
                state.rebuild_view();
            }
        }
        Command::Describe => {
            if let Some(key) = state.selected.clone() {
                state.overlay = Some(Overlay::Describe { key, scroll: 0 });
            }
        }
        Command::Launch => open_launch(state, fx),
        Command::Terminate => {
            let targets: Vec<_> = state
                .targets()
                .into_iter()
                .filter(|t| t.state != InstanceState::Terminated)
                .collect();
            if targets.is_empty() {
                state.error("nothing to terminate: select or mark a live instance");
            } else {
                state.overlay = Some(Overlay::Terminate(targets));
            }
        }
        Command::PublicIp => open_ip(state),
        Command::ExtendExpiry => {
            if state.targets().iter().any(|t| t.state.is_live()) {
                state.prompt = Some(Prompt {
                    kind: PromptKind::ExtendHours,
                    text: String::new(),
                });
            } else {
                state.error("nothing to extend: select or mark a live instance");
            }
        }
        Command::Forgotten => {
            state.forgotten_only = !state.forgotten_only;
            state.rebuild_view();
            if state.forgotten_only {
                state.info("showing flagged instances only (F or :forgotten again shows all)");
            }
        }
        Command::Addresses => {
            state.overlay = Some(Overlay::Addresses {
                selected: 0,
                confirm: false,
            })
        }
        Command::Console => {
            if let Some((key, inst)) = state.selected_instance() {
                let name = inst.name.clone();
                state.console = Some(ConsoleView::new(key, name));
                poll_console(state, fx);
            }
        }
        Command::Ssh => ssh(state, fx),
        Command::Refresh => {
            for cloud in 0..state.clouds.len() {
                refresh_soon(state, cloud, fx);
            }
            state.info("refreshing every cloud");
        }
        Command::Mark => {
            if let Some(key) = state.selected.clone() {
                if !state.marks.remove(&key) {
                    state.marks.insert(key);
                }
                state.select_row(state.cursor + 1);
            }
        }
        Command::MarkAll => {
            let shown: Vec<InstanceKey> = (0..state.view.len())
                .filter_map(|r| state.row(r).map(|(k, _)| k))
                .collect();
            if shown.iter().all(|k| state.marks.contains(k)) {
                state.marks.clear();
            } else {
                state.marks.extend(shown);
            }
        }
        Command::SortNext => {
            state.sort = state.sort.next();
            state.info(format!("sorted by {}", state.sort.title().to_lowercase()));
            state.rebuild_view();
        }
        Command::SortReverse => {
            state.sort_desc = !state.sort_desc;
            state.rebuild_view();
        }
        Command::Close => {}
        Command::ToggleFollow | Command::Search | Command::SearchNext | Command::SearchPrev => {}
    }
}

fn run_console(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let Some(view) = state.console.as_mut() else {
        return;
    };
    let page = view.height.max(1);
    match cmd {
        Command::Quit | Command::Close => state.console = None,
        Command::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Command::MoveDown => scroll_console(view, view.top.saturating_add(1)),
        Command::MoveUp => scroll_console(view, view.top.saturating_sub(1)),
        Command::PageDown => scroll_console(view, view.top.saturating_add(page)),
        Command::PageUp => scroll_console(view, view.top.saturating_sub(page)),
        Command::Top => scroll_console(view, 0),
        Command::Bottom => {
            view.follow = true;
            view.top = view.max_top();
        }
        Command::ToggleFollow => {
            view.follow = !view.follow;
            if view.follow {
                view.top = view.max_top();
            }
        }
        Command::Search | Command::Filter => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Search,
                text: view.search.clone().unwrap_or_default(),
            })
        }
        Command::SearchNext | Command::SearchPrev => {
            let found = view.jump_to_match(cmd == Command::SearchNext, false);
            if !found {
                let what = view.search.clone().unwrap_or_default();
                state.error(format!("not found: {what}"));
            }
        }
        Command::Refresh => {
            view.next_poll = None;
            poll_console(state, fx);
        }
        Command::CommandLine => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Command,
                text: String::new(),
            })
        }
        _ => {}
    }
}

/// Scrolling by hand stops following, so new output does not yank the view.
fn scroll_console(view: &mut ConsoleView, top: usize) {
    view.top = top.min(view.max_top());
    view.follow = view.top >= view.max_top();
}

fn open_launch(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.config.templates.is_empty() {
        message(
            state,
            "No launch templates",
            vec!["Add a [[template]] to config.toml (see assets/config.example.toml).".into()],
            true,
        );
        return;
    }
    let popup = LaunchPopup::new(&state.config.templates, 0);
    state.overlay = Some(Overlay::Launch(Box::new(popup)));
    request_launch_options(state, fx);
}

fn request_launch_options(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(Overlay::Launch(popup)) = &state.overlay else {
        return;
    };
    let Some(template) = state.config.templates.get(popup.template) else {
        return;
    };
    let Some(cloud) = state.template_cloud(template) else {
        return;
    };
    let id = state.request_id();
    if let Some(Overlay::Launch(popup)) = state.overlay.as_mut() {
        popup.options_request = Some(id);
    }
    fx.push(Effect::Send {
        cloud,
        id,
        request: Request::LaunchOptions,
    });
}

fn open_ip(state: &mut AppState) {
    // The selected instance, even when others are marked: IPs go one at a time.
    let Some((key, inst)) = state.selected_instance() else {
        state.error("select an instance first");
        return;
    };
    let target = Target {
        name: inst.name.clone(),
        cloud_label: state.clouds[key.cloud].label.clone(),
        state: inst.state,
        key,
    };
    let current_ip = state
        .instance(&target.key)
        .and_then(|i| i.public_ip.clone());
    let free = state.clouds[target.key.cloud]
        .addresses
        .iter()
        .filter(|a| a.instance_id.is_none())
        .map(|a| a.ip.clone())
        .collect();
    state.overlay = Some(Overlay::PublicIp(IpPopup {
        target,
        current_ip,
        free,
    }));
}

fn ssh(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some((key, inst)) = state.selected_instance() else {
        state.error("select an instance first");
        return;
    };
    let cloud = &state.clouds[key.cloud];
    let simulated = cloud.simulated;
    let cloud_config = state.config.cloud(&cloud.config_name);
    match crate::dashboard::ssh::plan(&state.config, cloud_config, inst) {
        Ok(plan) if simulated => {
            let shown = plan.display();
            message(
                state,
                "ssh (simulated)",
                vec![
                    "This instance lives in hytop's simulator, so hytop does not run ssh.".into(),
                    "On a real cloud it would suspend the screen and run:".into(),
                    String::new(),
                    format!("  {shown}"),
                ],
                false,
            );
        }
        Ok(plan) => fx.push(Effect::Ssh(plan)),
        Err(e) => state.error(e),
    }
}

fn on_prompt_key(state: &mut AppState, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    let kind = prompt.kind;
    match key.code {
        KeyCode::Esc => {
            state.prompt = None;
            if kind == PromptKind::Filter {
                state.filter.clear();
                state.rebuild_view();
            }
            return;
        }
        KeyCode::Enter => {
            let text = prompt.text.trim().to_string();
            state.prompt = None;
            match kind {
                PromptKind::Filter => {}
                PromptKind::Command => run_command_line(state, &text, fx),
                PromptKind::ExtendHours => extend_expiry(state, &text, fx),
                PromptKind::Search => {
                    if let Some(view) = state.console.as_mut() {
                        view.search = (!text.is_empty()).then_some(text);
                        view.match_line = None;
                        if view.search.is_some() && !view.jump_to_match(true, true) {
                            state.error("not found");
                        }
                    }
                }
            }
            return;
        }
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => prompt.text.clear(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => prompt.text.push(c),
        _ => return,
    }
    if kind == PromptKind::Filter {
        state.filter = prompt.text.clone();
        state.rebuild_view();
    }
}

/// Sets `hytop:expires` of every live target to `hours` past the later of
/// now and its current expiry.
fn extend_expiry(state: &mut AppState, text: &str, fx: &mut Vec<Effect>) {
    let hours = match text.trim().trim_end_matches('h').parse::<f64>() {
        Ok(h) if h > 0.0 && h <= 24.0 * 365.0 => h,
        _ => {
            state.error(format!(
                "extend by how many hours? \"{text}\" is not a number of hours"
            ));
            return;
        }
    };
    let now = state.now;
    let mut sent = 0;
    for target in state.targets() {
        if !target.state.is_live() {
            continue;
        }
        let Some(inst) = state.instance(&target.key) else {
            continue;
        };
        let value = crate::domain::cost::extended_expiry(inst, now, hours);
        let tags = std::collections::BTreeMap::from([(
            crate::domain::cost::EXPIRES_TAG.to_string(),
            value,
        )]);
        let id = state.request_id();
        fx.push(Effect::Send {
            cloud: target.key.cloud,
            id,
            request: Request::SetTags {
                instance_id: target.key.id.clone(),
                tags,
            },
        });
        sent += 1;
    }
    state.info(format!(
        "extending the expiry of {sent} instance(s) by {hours} h…"
    ));
}

/// `:` commands: any command name, plus `sort`, `filter` and `q`.
fn run_command_line(state: &mut AppState, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else { return };
    let rest: Vec<&str> = words.collect();
    match verb {
        "q" | "quit" => run(state, Command::Quit, fx),
        // Quits without the reminder of running instances.
        "q!" | "quit!" => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        "sort" => {
            let Some(column) = rest.first().and_then(|c| SortColumn::parse(c)) else {
                state.error("usage: :sort <cloud|region|name|id|state|type|public-ip|private-ip|age> [asc|desc]");
                return;
            };
            state.sort = column;
            state.sort_desc = rest.get(1).is_some_and(|d| d.starts_with("desc"));
            state.rebuild_view();
        }
        "filter" => {
            state.filter = rest.join(" ");
            state.rebuild_view();
        }
        other => match other.replace('-', "_").parse::<Command>() {
            Ok(cmd) => run(state, cmd, fx),
            Err(()) => state.error(format!("unknown command :{other} (see ? for the list)")),
        },
    }
}

fn on_overlay_key(state: &mut AppState, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(overlay) = state.overlay.as_mut() else {
        return;
    };
    let close = matches!(key.code, KeyCode::Esc);
    match overlay {
        Overlay::Help { scroll } | Overlay::Describe { scroll, .. } => match key.code {
            KeyCode::Char('j') | KeyCode::Down => *scroll = scroll.saturating_add(1),
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => *scroll = scroll.saturating_add(10),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
            KeyCode::Char('g') | KeyCode::Home => *scroll = 0,
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => {
                state.overlay = None
            }
            _ => {}
        },
        Overlay::Message(_) => {
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char(' ')
            ) {
                state.overlay = None;
            }
        }
        Overlay::QuitReminder(reminder) => {
            if reminder.confirm {
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => {
                        let targets: Vec<Target> = reminder
                            .instances
                            .iter()
                            .map(|r| r.target.clone())
                            .collect();
                        state.overlay = None;
                        let before = state.next_request;
                        terminate(state, targets, fx);
                        state.quit_after = (before..state.next_request).collect();
                        state.info("terminating; hytop quits when the clouds confirm");
                    }
                    KeyCode::Char('n') | KeyCode::Esc => reminder.confirm = false,
                    _ => {}
                }
            } else {
                match key.code {
                    KeyCode::Char('t') | KeyCode::Char('T') if !state.readonly => {
                        reminder.confirm = true
                    }
                    KeyCode::Char('q') | KeyCode::Char('k') => {
                        state.overlay = None;
                        state.quit = true;
                        fx.push(Effect::Quit);
                    }
                    KeyCode::Esc | KeyCode::Char('s') => state.overlay = None,
                    _ => {}
                }
            }
        }
        Overlay::Terminate(targets) => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                let targets = std::mem::take(targets);
                state.overlay = None;
                terminate(state, targets, fx);
            }
            KeyCode::Char('n') | KeyCode::Char('q') | KeyCode::Esc => state.overlay = None,
            _ => {}
        },
        Overlay::PublicIp(popup) => {
            let key_target = popup.target.key.clone();
            let attached = popup.current_ip.is_some();
            let request = match key.code {
                KeyCode::Char('a') if !attached => Some(Request::AttachIp(key_target.id.clone())),
                KeyCode::Char('d') if attached => Some(Request::DetachIp(key_target.id.clone())),
                KeyCode::Enter => Some(if attached {
                    Request::DetachIp(key_target.id.clone())
                } else {
                    Request::AttachIp(key_target.id.clone())
                }),
                _ => None,
            };
            if let Some(request) = request {
                state.overlay = None;
                let id = state.request_id();
                state.info(format!(
                    "{} {}…",
                    if attached {
                        "detaching the address of"
                    } else {
                        "attaching an address to"
                    },
                    key_target.id
                ));
                fx.push(Effect::Send {
                    cloud: key_target.cloud,
                    id,
                    request,
                });
            } else if close || key.code == KeyCode::Char('q') {
                state.overlay = None;
            }
        }
        Overlay::Addresses { selected, confirm } => {
            let (selected, confirm) = (*selected, *confirm);
            on_addresses_key(state, key, fx, selected, confirm);
        }
        Overlay::Launch(popup) => {
            let focus = popup.focus;
            on_launch_key(state, key, fx, close, focus);
        }
    }
}

/// The address list: move, ask before a release, release on `y`.
fn on_addresses_key(
    state: &mut AppState,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
    selected: usize,
    confirm: bool,
) {
    let count = state.all_addresses().len();
    let set = |state: &mut AppState, selected: usize, confirm: bool| {
        state.overlay = Some(Overlay::Addresses { selected, confirm });
    };
    match (key.code, confirm) {
        (KeyCode::Char('y') | KeyCode::Char('Y'), true) => {
            let chosen = state
                .all_addresses()
                .get(selected)
                .map(|(c, a)| (*c, a.id.clone(), a.ip.clone()));
            state.overlay = None;
            if let Some((cloud, id, ip)) = chosen {
                let rid = state.request_id();
                state.info(format!("releasing {ip}…"));
                fx.push(Effect::Send {
                    cloud,
                    id: rid,
                    request: Request::ReleaseAddress(id),
                });
            }
        }
        (_, true) => set(state, selected, false),
        (KeyCode::Char('j') | KeyCode::Down, false) => {
            set(state, (selected + 1).min(count.saturating_sub(1)), false)
        }
        (KeyCode::Char('k') | KeyCode::Up, false) => set(state, selected.saturating_sub(1), false),
        (KeyCode::Char('R'), false) => {
            let chosen = state
                .all_addresses()
                .get(selected)
                .map(|(_, a)| (a.ip.clone(), a.instance_id.clone()));
            match chosen {
                _ if state.readonly => state.error(
                    "read-only mode: releasing an address is disabled (started with --readonly)",
                ),
                Some((ip, Some(instance))) => state.error(format!(
                    "{ip} is associated with {instance}: detach it first (i)"
                )),
                Some(_) => set(state, selected, true),
                None => {}
            }
        }
        (KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter, false) => state.overlay = None,
        _ => {}
    }
}

fn on_launch_key(
    state: &mut AppState,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
    close: bool,
    focus: LaunchField,
) {
    if close {
        state.overlay = None;
        return;
    }
    let templates_len = state.config.templates.len();
    let mut reselect = None;
    {
        let Some(Overlay::Launch(popup)) = state.overlay.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Tab | KeyCode::Down
                if key.code == KeyCode::Tab || focus != LaunchField::Template =>
            {
                popup.focus = popup.focus.next();
            }
            KeyCode::BackTab | KeyCode::Up
                if key.code == KeyCode::BackTab || focus != LaunchField::Template =>
            {
                popup.focus = popup.focus.prev();
            }
            KeyCode::Left | KeyCode::Right => {
                popup.error = popup.cycle(key.code == KeyCode::Right).err();
            }
            KeyCode::Down | KeyCode::Char('j') if focus == LaunchField::Template => {
                reselect = Some((popup.template + 1) % templates_len.max(1));
            }
            KeyCode::Up | KeyCode::Char('k') if focus == LaunchField::Template => {
                reselect = Some((popup.template + templates_len.max(1) - 1) % templates_len.max(1));
            }
            KeyCode::Backspace => match focus {
                LaunchField::Name => {
                    popup.name.pop();
                }
                LaunchField::Count => {
                    popup.count.pop();
                }
                _ => {}
            },
            KeyCode::Char(c)
                if focus == LaunchField::Name && !key.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                popup.name.push(c);
            }
            KeyCode::Char(c)
                if focus == LaunchField::Count && c.is_ascii_digit() && popup.count.len() < 3 =>
            {
                popup.count.push(c);
            }
            KeyCode::Char('q') if !matches!(focus, LaunchField::Name | LaunchField::Count) => {
                state.overlay = None;
                return;
            }
            KeyCode::Enter => {
                confirm_launch(state, fx);
                return;
            }
            _ => {}
        }
    }
    if let Some(index) = reselect {
        let templates = state.config.templates.clone();
        if let Some(Overlay::Launch(popup)) = state.overlay.as_mut() {
            popup.select(&templates, index);
        }
        request_launch_options(state, fx);
    }
}

fn confirm_launch(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(Overlay::Launch(popup)) = state.overlay.as_ref() else {
        return;
    };
    let Some(template) = state
        .config
        .templates
        .get(popup.template)
        .map(|t| popup.applied(t))
    else {
        return;
    };
    let count: u32 = match popup.count.parse() {
        Ok(n) if (1..=20).contains(&n) => n,
        _ => {
            if let Some(Overlay::Launch(popup)) = state.overlay.as_mut() {
                popup.error = Some("count must be a number from 1 to 20".into());
            }
            return;
        }
    };
    let name = popup.name.trim().to_string();
    if name.is_empty() {
        if let Some(Overlay::Launch(popup)) = state.overlay.as_mut() {
            popup.error = Some("the name is empty".into());
        }
        return;
    }
    let Some(cloud) = state.template_cloud(&template) else {
        if let Some(Overlay::Launch(popup)) = state.overlay.as_mut() {
            popup.error = Some(format!("cloud {} is not running", template.cloud.get_ref()));
        }
        return;
    };
    let region = state.clouds[cloud].region.clone();
    state.overlay = None;
    let id = state.request_id();
    state.info(format!(
        "launching {count} × {name} on {}…",
        state.clouds[cloud].label
    ));
    fx.push(Effect::Send {
        cloud,
        id,
        request: Request::Launch(Box::new(LaunchDraft {
            template,
            region,
            name,
            count,
            owner: state.owner.clone(),
            expires: (state.config.cost.default_ttl_hours > 0.0).then(|| {
                crate::domain::cost::expires_value(state.now, state.config.cost.default_ttl_hours)
            }),
        })),
    });
}

/// Sends one terminate per cloud, by the ids the popup showed.
fn terminate(state: &mut AppState, targets: Vec<Target>, fx: &mut Vec<Effect>) {
    let mut by_cloud: std::collections::BTreeMap<CloudId, Vec<String>> = Default::default();
    for t in &targets {
        by_cloud
            .entry(t.key.cloud)
            .or_default()
            .push(t.key.id.clone());
        state.marks.remove(&t.key);
    }
    for (cloud, ids) in by_cloud {
        let id = state.request_id();
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::Terminate(ids),
        });
    }
    state.info(format!("terminating {} instance(s)…", targets.len()));
}
