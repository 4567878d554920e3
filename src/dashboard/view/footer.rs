//! The footer: the open input, else the status line, else hints of the
//! most used keys.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Theme, hints, text};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::model::{AppState, Level, PromptKind};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    frame.render_widget(Clear, area);
    let line = if let Some(prompt) = &state.prompt {
        let label = match prompt.kind {
            PromptKind::Filter => "/",
            PromptKind::Command => ":",
            PromptKind::Search => "search /",
            PromptKind::ExtendHours => "extend expiry by hours: ",
        };
        let line = Line::from(vec![
            Span::styled(label, theme.key()),
            Span::raw(prompt.text.clone()),
            Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled(prompt_hints(state), theme.dim()),
        ]);
        let cursor_x = area.x + (text::width(label) + text::width(&prompt.text)) as u16;
        frame.set_cursor_position((cursor_x.min(area.right().saturating_sub(1)), area.y));
        line
    } else if let Some(status) = &state.status {
        let style = match status.level {
            Level::Info => theme.ok(),
            Level::Error => theme.error(),
        };
        let prefix = if status.level == Level::Error {
            "✗ "
        } else {
            ""
        };
        Line::from(Span::styled(format!("{prefix}{}", status.text), style))
    } else {
        key_hints(state, theme)
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn key_hints(state: &AppState, theme: &Theme) -> Line<'static> {
    let (ctx, cmds): (Context, &[Command]) = if state.console.is_some() {
        (
            Context::Console,
            &[
                Command::MoveDown,
                Command::ToggleFollow,
                Command::Search,
                Command::Bottom,
                Command::Close,
                Command::Help,
            ],
        )
    } else {
        (
            Context::Table,
            &[
                Command::Help,
                Command::Filter,
                Command::Launch,
                Command::Terminate,
                Command::PublicIp,
                Command::Console,
                Command::Ssh,
                Command::Mark,
                Command::SortNext,
                Command::Quit,
            ],
        )
    };
    let mut spans = Vec::new();
    for cmd in cmds {
        if let Some(key) = state.keymap.keys_for(ctx, *cmd).first() {
            spans.push(Span::styled(format!("{key}"), theme.key()));
            spans.push(Span::raw(format!(" {}  ", short_name(*cmd))));
        }
    }
    Line::from(spans)
}

fn short_name(cmd: Command) -> &'static str {
    match cmd {
        Command::MoveDown => "scroll",
        Command::ToggleFollow => "follow",
        Command::PublicIp => "ip",
        Command::SortNext => "sort",
        Command::Bottom => "end",
        other => other.name(),
    }
}

/// What Enter and Esc do in an input, as bound in `[prompt]`.
fn prompt_hints(state: &AppState) -> String {
    let keymap = &state.keymap;
    let shown: Vec<String> = [
        (Command::Confirm, KeyCode::Enter, "apply"),
        (Command::Cancel, KeyCode::Esc, "cancel"),
    ]
    .into_iter()
    .filter_map(|(cmd, usual, what)| {
        let keys = hints::keys(keymap, Context::Prompt, &[cmd], &[usual], " / ")?;
        Some(format!("{keys}: {what}"))
    })
    .collect();
    format!("   {}", shown.join("  "))
}
