//! The header: what the clouds cost per hour, what is flagged, how many
//! instances are in each state, and one line per cloud endpoint.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, text};
use crate::dashboard::model::AppState;
use crate::domain::format;

/// Endpoints with a line of their own.
pub const HEADER_CLOUDS: usize = 6;

/// The header's height: the totals, a line per shown endpoint (at most
/// [`HEADER_CLOUDS`]) and one naming the rest.
pub fn height(state: &AppState) -> u16 {
    let shown = state.shown_clouds().count();
    let more = usize::from(shown > HEADER_CLOUDS);
    (shown.min(HEADER_CLOUDS) + more + 1) as u16
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let mut first = vec![Span::styled(" hytop ", theme.title())];
    if state.readonly {
        first.push(Span::styled("[READ-ONLY] ", theme.error()));
    }
    // Money and forgotten things first: they must not be cut off.
    let c = &state.costs.totals;
    let mut burn = state
        .config
        .cost
        .budget_usd
        .and_then(|b| c.budget_text(b))
        .unwrap_or_else(|| format!("≈ ${:.2}/h", c.dollars_per_hour));
    if c.held_vcpus > 0 {
        burn.push_str(&format!(" + {} vCPU", c.held_vcpus));
    }
    first.push(Span::styled(format!("{burn}  "), theme.title()));
    let flagged = c.flagged();
    if flagged > 0 {
        first.push(Span::styled(
            format!("! {flagged} flagged  "),
            theme.flagged(),
        ));
    }
    if state.forgotten_only {
        first.push(Span::styled("[forgotten only]  ", theme.flagged()));
    }
    if state.paused() {
        first.push(Span::styled(
            format!(
                "[idle: refreshing every {}, any key resumes]  ",
                format::span(chrono::Duration::seconds(
                    i64::try_from(state.config.idle_refresh_secs).unwrap_or(i64::MAX / 1000)
                ))
            ),
            theme.dim(),
        ));
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
    let shown: Vec<usize> = state.shown_clouds().collect();
    // Six lines at most; the rest are named on the last one.
    let (listed, rest) = shown.split_at(shown.len().min(HEADER_CLOUDS));
    for &i in listed {
        let cloud = &state.clouds[i];
        let count = state.instances.get(i).map(Vec::len).unwrap_or_default();
        let mut spans = vec![Span::raw(format!(
            " {}{}",
            text::pad(cloud.kind.short(), 4),
            text::pad(&text::truncate(&cloud.label, 25), 26)
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
                // The flagged ones, as the "! N flagged" total counts them.
                let free = state
                    .address_assessments
                    .get(i)
                    .map_or(0, |a| a.iter().filter(|a| a.is_flagged()).count());
                if free > 0 {
                    spans.push(Span::raw(format!("  {free} unassociated IP(s)")));
                }
                let loose = state
                    .volume_assessments
                    .get(i)
                    .map_or(0, |a| a.iter().filter(|a| a.is_flagged()).count());
                if loose > 0 {
                    spans.push(Span::raw(format!("  {loose} unattached volume(s)")));
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
    if !rest.is_empty() {
        let labels: Vec<&str> = rest
            .iter()
            .map(|&i| state.clouds[i].label.as_str())
            .collect();
        lines.push(Line::from(Span::styled(
            format!(" + {} more: {}", rest.len(), labels.join(", ")),
            theme.dim(),
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
