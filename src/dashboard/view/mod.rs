//! Drawing: a pure function of the state (plus the scroll positions it keeps).

mod console;
mod detail;
mod popups;
mod table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::dashboard::command::{Command, Context};
use crate::dashboard::model::{AppState, Level, PromptKind};
use crate::domain::format;
pub use theme::Theme;

/// Below this the screen cannot show a useful table.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn draw(frame: &mut Frame, state: &mut AppState, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let header_lines = (state.clouds.len().min(6) + 1) as u16;
    let show_detail = state.console.is_none() && area.height >= 24;
    let [header, body, detail_area, footer] = Layout::vertical([
        Constraint::Length(header_lines),
        Constraint::Min(5),
        Constraint::Length(if show_detail { 10 } else { 0 }),
        Constraint::Length(1),
    ])
    .areas(area);

    draw_header(frame, header, state, theme);
    if state.console.is_some() {
        console::draw(frame, body, state, theme);
    } else {
        table::draw(frame, body, state, theme);
        if show_detail {
            detail::draw(frame, detail_area, state, theme);
        }
    }
    draw_footer(frame, footer, state, theme);
    popups::draw(frame, area, state, theme);
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("hytop: terminal too small"),
        Line::from(format!(
            "need at least {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
            area.width, area.height
        )),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn draw_header(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let mut first = vec![Span::styled(" hytop ", theme.title())];
    if state.readonly {
        first.push(Span::styled("[READ-ONLY] ", theme.error()));
    }
    // Money and forgotten things first: they must not be cut off.
    let c = &state.costs;
    let mut burn = format!("≈ ${:.2}/h", c.dollars_per_hour);
    if c.held_vcpus > 0 {
        burn.push_str(&format!(" + {} vCPU", c.held_vcpus));
    }
    first.push(Span::styled(format!("{burn}  "), theme.title()));
    let flagged = c.flagged_instances + c.flagged_addresses;
    if flagged > 0 {
        first.push(Span::styled(
            format!("! {flagged} flagged  "),
            theme.flagged(),
        ));
    }
    if state.forgotten_only {
        first.push(Span::styled("[forgotten only]  ", theme.flagged()));
    }

    for (s, n) in state.state_counts() {
        if n > 0 {
            first.push(Span::styled(
                format!("{} {} {n}  ", Theme::state_symbol(s), s.as_str()),
                theme.state(s),
            ));
        }
    }
    first.push(Span::raw(format!("total {}", state.total_instances())));

    if !state.marks.is_empty() {
        first.push(Span::styled(
            format!("  marked {}", state.marks.len()),
            theme.marked(),
        ));
    }
    let mut lines = vec![Line::from(first)];
    for (i, cloud) in state.clouds.iter().enumerate().take(6) {
        let count = state.instances.get(i).map(Vec::len).unwrap_or_default();
        let mut spans = vec![Span::raw(format!(
            " {:<4}{:<26}",
            cloud.kind.short(),
            truncate(&cloud.label, 25)
        ))];
        if cloud.refreshing.is_some() {
            spans.push(Span::styled("⟳ refreshing ", theme.busy()));
        }
        match (&cloud.error, cloud.last_ok) {
            (Some(err), _) => {
                spans.push(Span::styled("✗ error: ", theme.error()));
                spans.push(Span::styled(err.clone(), theme.error()));
            }
            (None, Some(t)) => {
                spans.push(Span::styled("✓ ok ", theme.ok()));
                spans.push(Span::styled(
                    format!(
                        "{count} instances, refreshed {} ago",
                        format::age(state.now - t)
                    ),
                    theme.dim(),
                ));
                let free = cloud
                    .addresses
                    .iter()
                    .filter(|a| a.instance_id.is_none())
                    .count();
                if free > 0 {
                    spans.push(Span::raw(format!("  {free} unassociated IP(s)")));
                }
                if let Some(e) = &cloud.metrics_error {
                    spans.push(Span::styled(format!("  metrics: {e}"), theme.error()));
                }
            }
            (None, None) if cloud.refreshing.is_none() => {
                spans.push(Span::styled("… waiting", theme.dim()));
            }
            (None, None) => {}
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
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
            Span::styled("   Enter: apply  Esc: cancel", theme.dim()),
        ]);
        let cursor_x = area.x + (label.chars().count() + prompt.text.chars().count()) as u16;
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
        hints(state, theme)
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn hints(state: &AppState, theme: &Theme) -> Line<'static> {
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

/// Cuts to `max` characters, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
