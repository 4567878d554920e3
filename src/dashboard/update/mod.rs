//! `update`: how every [`Action`] changes the [`AppState`], and which
//! [`Effect`]s (requests, ssh, quit) it asks the runtime to carry out.
//!
//! This file dispatches; the clouds' answers (their text first made fit
//! for the screen by [`clean`]) and the clock are in [`cloud`], the
//! table's and the console's commands in [`table`] and [`console`], the
//! footer inputs in [`prompt`] and [`command_line`], and each popup handles
//! its own keys in [`crate::dashboard::overlays`].

mod clean;
mod cloud;
mod command_line;
mod console;
mod metrics;
mod prompt;
mod release;
mod table;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::dashboard::action::Action;
use crate::dashboard::command::{Command, Context};
pub use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::overlays;

/// Asks for the open console view's output now (a popup that opened it,
/// such as the doctor's `l`).
pub fn poll_console(state: &mut AppState, fx: &mut Vec<Effect>) {
    cloud::poll_console(state, fx);
}

pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    if matches!(action, Action::Key(_) | Action::Paste(_) | Action::Mouse(_))
        && state.input_at(state.now)
    {
        state.info("welcome back: refreshing at the normal pace again");
    }
    match action {
        Action::Key(key) => on_key(state, key, &mut fx),
        Action::Paste(text) => on_paste(state, &text),
        Action::Mouse(event) => crate::dashboard::mouse::on_mouse(state, event, &mut fx),
        Action::Resize { width, height } => {
            state.width = width;
            state.height = height;
            state.dirty = true;
        }
        Action::Tick(now) => cloud::on_tick(state, now, &mut fx),
        Action::Run(cmd) => run(state, cmd, &mut fx),
        Action::Response {
            cloud,
            request,
            response,
        } => cloud::on_response(state, cloud, request, clean::response(response), &mut fx),
        Action::Choices { request, result } => {
            if let Some(overlays::Overlay::Picker(picker)) = state.overlay.as_mut() {
                picker.on_choices(request, result);
            }
            overlays::EndpointPicker::settle(state, &mut fx);
            state.dirty = true;
        }
        Action::SweepProgress { request, progress } => {
            overlays::SweepPopup::on_progress(state, request, progress);
        }
        Action::Swept { request, sweep } => {
            overlays::SweepPopup::on_swept(state, request, &sweep);
        }
        Action::SshFinished(result) => {
            match result {
                Ok(0) => state.info("ssh session ended"),
                Ok(code) => state.error(format!("ssh exited with status {code}")),
                Err(e) => state.error(format!("could not run ssh: {e}")),
            }
            state.dirty = true;
        }
    }
    // A new selection (a key, a listing) gets its sparklines at once.
    metrics::plan(state, false, &mut fx);
    fx
}

/// A key goes to the footer input if one is open, else to the popup if one
/// is open, else to the table or the console; each looks it up in its own
/// keymap section.
fn on_key(state: &mut AppState, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    state.dirty = true;
    // Not in the keymap: quitting must work from anywhere, whatever the
    // user's keymap says.
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        fx.push(Effect::Quit);
        state.quit = true;
        return;
    }
    if state.prompt.is_some() {
        prompt::on_key(state, &key, fx);
        return;
    }
    if state.overlay.is_some() {
        overlays::on_key(state, &key, fx);
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
    if state.prompt.is_some() {
        prompt::on_paste(state, text);
    } else {
        overlays::on_paste(state, text);
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
        console::run(state, cmd, fx);
    } else {
        table::run(state, cmd, fx);
    }
}
