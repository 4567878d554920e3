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
        let mut hints = prompt_hints(state);
        let room = usize::from(area.width).saturating_sub(text::width(label) + CURSOR);
        let fits = text::width(&prompt.text) + text::width(&hints) <= room;
        // A long text keeps the hints while it still has a useful stretch
        // of the line; the end being typed matters more than the hints.
        if !fits && room.saturating_sub(text::width(&hints)) < MIN_TEXT {
            hints.clear();
        }
        let shown = tail(&prompt.text, room.saturating_sub(text::width(&hints)));
        let cursor_x = area.x + (text::width(label) + text::width(&shown)) as u16;
        frame.set_cursor_position((cursor_x.min(area.right().saturating_sub(1)), area.y));
        Line::from(vec![
            Span::styled(label, theme.key()),
            Span::raw(shown),
            Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled(hints, theme.dim()),
        ])
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

/// Columns of the drawn cursor block.
const CURSOR: usize = 1;
/// Below this many columns for the text the prompt's hints give way.
const MIN_TEXT: usize = 16;

/// The end of `s` that fits in `max` columns, by display width: all of it,
/// or `…` and as much of its end as fits (never half a wide character). The
/// cursor is always at the end, so scrolling the text left keeps it in view.
fn tail(s: &str, max: usize) -> String {
    if text::width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let room = max - 1;
    let mut used = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        start = i;
    }
    format!("…{}", &s[start..])
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

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn a_tail_is_cut_at_the_start_by_width() {
        assert_eq!(tail("filter", 10), "filter");
        assert_eq!(tail("a-long-filter", 8), "…-filter");
        // Two columns each: 5 columns hold the ellipsis and two of them.
        assert_eq!(tail("ウェブサーバー", 5), "…バー");
        assert_eq!(tail("ウェブサーバー", 6), "…バー");
        assert_eq!(tail("abc", 0), "");
    }
}
