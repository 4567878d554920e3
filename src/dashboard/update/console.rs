//! Commands in the console log view: scrolling, following and searching.

use super::cloud;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::model::{AppState, ConsoleView, Prompt, PromptKind};
use crate::dashboard::overlays::HelpPopup;

/// A command in the console view.
pub(super) fn run(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let Some(view) = state.console.as_mut() else {
        return;
    };
    let page = view.height.max(1);
    match cmd {
        Command::Quit | Command::Close => state.console = None,
        Command::Help => HelpPopup::open(state, Context::Console),
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
            cloud::poll_console(state, fx);
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
