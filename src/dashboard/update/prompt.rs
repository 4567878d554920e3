//! The one-line inputs in the footer: the filter, the `:` command line, the
//! console search and the hours to extend. Their keys are the `[prompt]`
//! section; printable characters are typed past the keymap.

use crossterm::event::KeyEvent;

use super::command_line;
use crate::dashboard::action::Request;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::input::typed_char;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, PromptKind};
use crate::domain::tags::{EXPIRES_TAG, extended_expiry};

pub(super) fn on_key(state: &mut AppState, event: &KeyEvent, fx: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    let kind = prompt.kind;
    if let Some(c) = typed_char(event) {
        prompt.text.push(c);
    } else {
        match state
            .keymap
            .lookup(Context::Prompt, &Key::from_event(event))
        {
            Some(Command::Cancel) => {
                state.prompt = None;
                // Leaving the filter input drops the filter it typed.
                if kind == PromptKind::Filter {
                    state.filter.clear();
                    state.rebuild_view();
                }
                return;
            }
            Some(Command::Confirm) => {
                let text = prompt.text.trim().to_string();
                state.prompt = None;
                submit(state, kind, text, fx);
                return;
            }
            Some(Command::DeleteBack) => {
                prompt.text.pop();
            }
            Some(Command::ClearLine) => prompt.text.clear(),
            _ => return,
        }
    }
    filter_as_typed(state);
}

/// Pasted text is typed, without its control characters.
pub(super) fn on_paste(state: &mut AppState, text: &str) {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if let Some(prompt) = state.prompt.as_mut() {
        prompt.text.push_str(&clean);
        filter_as_typed(state);
    }
}

/// The filter applies with every key typed.
fn filter_as_typed(state: &mut AppState) {
    if let Some(prompt) = &state.prompt
        && prompt.kind == PromptKind::Filter
    {
        state.filter = prompt.text.clone();
        state.rebuild_view();
    }
}

fn submit(state: &mut AppState, kind: PromptKind, text: String, fx: &mut Vec<Effect>) {
    match kind {
        PromptKind::Filter => {}
        PromptKind::Command => command_line::run(state, &text, fx),
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
        let value = extended_expiry(inst, now, hours);
        let tags = std::collections::BTreeMap::from([(EXPIRES_TAG.to_string(), value)]);
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
