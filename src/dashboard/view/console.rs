//! The console log view: scrollable, following new output, searchable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::dashboard::model::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &mut AppState, theme: &Theme) {
    let now = state.now;
    let Some(view) = state.console.as_mut() else {
        return;
    };
    view.height = area.height.saturating_sub(2).max(1) as usize;
    if view.follow {
        view.top = view.max_top();
    }
    view.top = view.top.min(view.max_top());

    let mode = if view.follow { "following" } else { "paused" };
    let mut title = vec![
        Span::styled(
            format!(" Console: {} ({}) ", view.name, view.key.id),
            theme.title(),
        ),
        Span::styled(
            format!("[{mode}] "),
            if view.follow {
                theme.ok()
            } else {
                theme.busy()
            },
        ),
    ];
    if let Some(t) = view.fetched_at {
        title.push(Span::styled(
            format!("fetched {}s ago ", (now - t).num_seconds().max(0)),
            theme.dim(),
        ));
    }
    if view.request.is_some() {
        title.push(Span::styled("⟳ ", theme.busy()));
    }
    let end = (view.top + view.height).min(view.lines.len());
    let bottom = format!(
        " lines {}-{} of {} ",
        view.top + usize::from(end > 0),
        end,
        view.lines.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::from(title))
        .title_bottom(Line::from(Span::styled(bottom, theme.dim())));

    let needle = view.search.as_ref().map(|s| s.to_lowercase());
    let mut lines: Vec<Line> = Vec::with_capacity(view.height);
    if let Some(err) = &view.error {
        lines.push(Line::from(Span::styled(format!("✗ {err}"), theme.error())));
    }
    if view.lines.is_empty() && view.error.is_none() {
        let msg = if view.fetched_at.is_some() {
            "(no console output yet)"
        } else {
            "fetching console output…"
        };
        lines.push(Line::from(Span::styled(msg, theme.dim())));
    }
    for text in &view.lines[view.top..end] {
        lines.push(highlight(text, needle.as_deref(), theme));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Highlights every case-insensitive occurrence of `needle`.
fn highlight<'a>(text: &'a str, needle: Option<&str>, theme: &Theme) -> Line<'a> {
    let Some(needle) = needle.filter(|n| !n.is_empty()) else {
        return Line::from(text);
    };
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; then skip highlighting.
    if lower.len() != text.len() {
        return Line::from(text);
    }
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(needle) {
        let start = at + found;
        let end = start + needle.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            break;
        }
        spans.push(Span::raw(&text[at..start]));
        spans.push(Span::styled(&text[start..end], theme.matched()));
        at = end;
    }
    spans.push(Span::raw(&text[at..]));
    Line::from(spans)
}
