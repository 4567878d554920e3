//! The instance table. Only the visible window of rows is built, so 10,000
//! instances cost no more per frame than 50.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

use super::Theme;
use crate::format;
use crate::model::InstanceState;
use crate::state::{AppState, InstanceKey, SortColumn};

/// Column widths for the terminal width: ids are cut on narrow screens and
/// the private IP goes first when space runs out; the name takes the rest.
fn widths(width: u16, longest_id: usize) -> (Vec<Constraint>, bool) {
    let id = if width >= 150 {
        longest_id.clamp(2, 36)
    } else {
        longest_id.clamp(2, 19)
    } as u16;
    let show_private = width >= 104;
    let mut w = vec![
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(10),
        Constraint::Fill(1),
        Constraint::Length(id),
        Constraint::Length(13),
        Constraint::Length(9),
        Constraint::Length(15),
    ];
    if show_private {
        w.push(Constraint::Length(15));
    }
    w.push(Constraint::Length(7));
    (w, show_private)
}

pub fn draw(frame: &mut Frame, area: Rect, state: &mut AppState, theme: &Theme) {
    // Borders and the header row take three lines.
    let height = area.height.saturating_sub(3) as usize;
    state.page_height = height.max(1);
    let len = state.view.len();
    if state.cursor < state.offset {
        state.offset = state.cursor;
    } else if height > 0 && state.cursor >= state.offset + height {
        state.offset = state.cursor + 1 - height;
    }
    state.offset = state.offset.min(len.saturating_sub(height));

    let end = (state.offset + height).min(len);
    let longest_id = (state.offset..end)
        .filter_map(|r| state.row(r).map(|(_, i)| i.id.chars().count()))
        .max()
        .unwrap_or(10);
    let (widths, show_private) = widths(area.width, longest_id);
    let id_width = match widths.get(4) {
        Some(Constraint::Length(n)) => usize::from(*n),
        _ => 36,
    };
    let rows: Vec<Row> = (state.offset..end)
        .filter_map(|r| {
            let (key, inst) = state.row(r)?;
            Some(row(state, &key, inst, theme, id_width, show_private))
        })
        .collect();

    let arrow = if state.sort_desc { "↓" } else { "↑" };
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(
            SortColumn::ALL
                .iter()
                .filter(|c| show_private || **c != SortColumn::PrivateIp)
                .map(|c| {
                    let title = if *c == state.sort {
                        format!("{}{arrow}", c.title())
                    } else {
                        c.title().to_string()
                    };
                    Cell::from(title)
                }),
        ),
    )
    .style(theme.header_row());

    let mut title = vec![Span::styled(
        format!(
            " Instances {}",
            if len == state.total_instances() {
                format!("{len}")
            } else {
                format!("{len} of {}", state.total_instances())
            }
        ),
        theme.title(),
    )];
    if !state.filter.is_empty() {
        title.push(Span::raw(format!("  filter: {}", state.filter)));
    }
    title.push(Span::styled(
        format!("  sort: {} {arrow} ", state.sort.title().to_lowercase()),
        theme.dim(),
    ));
    if len > height && height > 0 {
        title.push(Span::styled(
            format!("[{}-{}] ", state.offset + 1, end),
            theme.dim(),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::from(title));

    let empty = len == 0;
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut table_state = TableState::default().with_selected(if empty {
        None
    } else {
        Some(state.cursor - state.offset)
    });
    frame.render_stateful_widget(table, area, &mut table_state);
    if empty {
        let msg = if state.total_instances() == 0 {
            "no instances (yet)"
        } else {
            "no instance matches the filter"
        };
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        frame.render_widget(
            ratatui::widgets::Paragraph::new(msg).style(theme.dim()),
            inner,
        );
    }
}

fn row<'a>(
    state: &AppState,
    key: &InstanceKey,
    inst: &'a crate::model::Instance,
    theme: &Theme,
    id_width: usize,
    show_private: bool,
) -> Row<'a> {
    let marked = state.marks.contains(key);
    let age = inst
        .age(state.now)
        .map(format::age)
        .unwrap_or_else(|| "-".into());
    let mut cells = vec![
        Cell::from(if marked { "*" } else { " " }).style(theme.marked()),
        Cell::from(inst.kind.short()),
        Cell::from(inst.region.as_str()),
        Cell::from(inst.name.as_str()),
        Cell::from(super::truncate(&inst.id, id_width)),
        Cell::from(format!(
            "{} {}",
            Theme::state_symbol(inst.state),
            inst.state
        ))
        .style(theme.state(inst.state)),
        Cell::from(inst.size.as_str()),
        Cell::from(inst.public_ip.as_deref().unwrap_or("-")),
    ];
    if show_private {
        cells.push(Cell::from(inst.private_ip.as_deref().unwrap_or("-")));
    }
    cells.push(Cell::from(age));
    let style = if inst.state == InstanceState::Terminated {
        theme.dim()
    } else if marked {
        theme.marked()
    } else {
        Style::new()
    };
    Row::new(cells).style(style)
}
