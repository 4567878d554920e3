//! The instance table. Only the visible window of rows is built, so 10,000
//! instances cost no more per frame than 50.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{Theme, text};
use crate::dashboard::model::{AppState, InstanceKey, SortColumn};
use crate::dashboard::mouse::TableRows;
use crate::domain::cost::Assessment;
use crate::domain::format;
use crate::domain::model::{Instance, InstanceState};

/// The name always keeps at least this many columns.
const NAME_MIN: u16 = 14;

/// Which columns fit, and how wide the id column is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Columns {
    shown: Vec<(SortColumn, u16)>,
}

impl Columns {
    /// Fits the columns into `width` (the table's outer width): ids are cut
    /// to 19 (a whole EC2 id), the private IP goes, ids are cut to 13, then
    /// type, region, public IP and at last the id are dropped in that order; age and cost always stay (they are what makes
    /// a forgotten instance visible); the name takes what is left and never
    /// less than NAME_MIN.
    fn plan(width: u16, longest_id: usize) -> Columns {
        // Borders (2), selection symbol (1), mark + flag column (2) and its gap (1).
        let inner = width.saturating_sub(6);
        let full_id = longest_id.clamp(2, 36) as u16;
        let mut shown: Vec<(SortColumn, u16)> = vec![
            (SortColumn::Cloud, 5),
            (SortColumn::Region, 10),
            (SortColumn::Name, NAME_MIN),
            (SortColumn::Id, full_id),
            (SortColumn::State, 12),
            (SortColumn::Size, 9),
            (SortColumn::PublicIp, 15),
            (SortColumn::PrivateIp, 15),
            (SortColumn::Age, 6),
            (SortColumn::Cost, 10),
        ];
        let need = |cols: &[(SortColumn, u16)]| -> u16 {
            cols.iter().map(|(_, w)| *w).sum::<u16>() + cols.len().saturating_sub(1) as u16
        };
        // Whole EC2 ids (19) matter more than private IPs; UUIDs are cut.
        enum Step {
            CutId(u16),
            Drop(SortColumn),
        }
        let steps = [
            Step::CutId(19),
            Step::Drop(SortColumn::PrivateIp),
            Step::CutId(13),
            Step::Drop(SortColumn::Size),
            Step::Drop(SortColumn::Region),
            Step::Drop(SortColumn::PublicIp),
            Step::Drop(SortColumn::Id),
        ];
        for step in steps {
            if need(&shown) <= inner {
                break;
            }
            match step {
                Step::CutId(w) => {
                    if let Some(slot) = shown
                        .iter_mut()
                        .find(|(c, width)| *c == SortColumn::Id && *width > w)
                    {
                        slot.1 = w;
                    }
                }
                Step::Drop(column) => shown.retain(|(c, _)| *c != column),
            }
        }
        Columns { shown }
    }

    fn constraints(&self) -> Vec<Constraint> {
        std::iter::once(Constraint::Length(2))
            .chain(self.shown.iter().map(|(c, w)| {
                if *c == SortColumn::Name {
                    Constraint::Min(*w)
                } else {
                    Constraint::Length(*w)
                }
            }))
            .collect()
    }

    fn width_of(&self, column: SortColumn) -> usize {
        self.shown
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, w)| usize::from(*w))
            .unwrap_or(0)
    }
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
    state.mouse.table = Some(TableRows {
        // Inside the border, under the header row.
        area: Rect {
            x: area.x.saturating_add(1),
            y: area.y.saturating_add(2),
            width: area.width.saturating_sub(2),
            height: u16::try_from(end - state.offset).unwrap_or(u16::MAX),
        },
        first: state.offset,
    });
    let longest_id = (state.offset..end)
        .filter_map(|r| state.row(r).map(|(_, i)| text::width(&i.id)))
        .max()
        .unwrap_or(10);
    let columns = Columns::plan(area.width, longest_id);
    let rows: Vec<Row> = (state.offset..end)
        .filter_map(|r| {
            let (key, inst) = state.row(r)?;
            let (cloud, idx) = state.view.get(r).copied()?;
            let assessment = state.assessment_of(cloud, idx);
            Some(row(state, &key, inst, assessment, theme, &columns))
        })
        .collect();

    let arrow = if state.sort_desc { "↓" } else { "↑" };
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(columns.shown.iter().map(|(c, _)| {
            if *c == state.sort {
                Cell::from(format!("{}{arrow}", c.title()))
            } else {
                Cell::from(c.title())
            }
        })),
    )
    .style(theme.header_row());

    let total = state.total_instances();
    let mut title = vec![Span::styled(
        if len == total {
            format!(" Instances {len}")
        } else {
            format!(" Instances {len} of {total}")
        },
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
    let table = Table::new(rows, columns.constraints())
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶")
        .highlight_spacing(HighlightSpacing::Always);
    let mut table_state = TableState::default().with_selected(if empty {
        None
    } else {
        Some(state.cursor - state.offset)
    });
    frame.render_stateful_widget(table, area, &mut table_state);
    if empty {
        let msg = if total == 0 {
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
        frame.render_widget(Paragraph::new(msg).style(theme.dim()), inner);
    }
}

fn row<'a>(
    state: &AppState,
    key: &InstanceKey,
    inst: &'a Instance,
    assessment: Option<&Assessment>,
    theme: &Theme,
    columns: &Columns,
) -> Row<'a> {
    let marked = state.marks.contains(key);
    let flagged = assessment.is_some_and(Assessment::is_flagged);
    let mut cells = Vec::with_capacity(columns.shown.len() + 1);
    // The "!" marks a forgotten-looking row without relying on colour.
    cells.push(Cell::from(Line::from(vec![
        Span::styled(if marked { "*" } else { " " }, theme.marked()),
        Span::styled(if flagged { "!" } else { " " }, theme.flagged()),
    ])));
    for (column, _) in &columns.shown {
        cells.push(match column {
            SortColumn::Cloud => Cell::from(inst.kind.short()),
            SortColumn::Region => Cell::from(inst.region.as_str()),
            SortColumn::Name => Cell::from(inst.name.as_str()),
            SortColumn::Id => {
                Cell::from(text::truncate(&inst.id, columns.width_of(SortColumn::Id)))
            }
            SortColumn::State => Cell::from(format!(
                "{} {}",
                Theme::state_symbol(inst.state),
                inst.state
            ))
            .style(theme.state(inst.state)),
            SortColumn::Size => Cell::from(inst.size.as_str()),
            SortColumn::PublicIp => Cell::from(inst.public_ip.as_deref().unwrap_or("-")),
            SortColumn::PrivateIp => Cell::from(inst.private_ip.as_deref().unwrap_or("-")),
            SortColumn::Age => Cell::from(
                inst.age(state.now)
                    .map(format::age)
                    .unwrap_or_else(|| "-".into()),
            ),
            // The cached judgement: the header and `hytop list` say the same.
            SortColumn::Cost => {
                Cell::from(assessment.map_or_else(|| "-".to_string(), Assessment::spent_text))
            }
        });
    }
    let style = if inst.state == InstanceState::Terminated {
        theme.dim()
    } else if marked {
        theme.marked()
    } else if flagged {
        theme.flagged()
    } else {
        Style::new()
    };
    Row::new(cells).style(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &Columns) -> Vec<SortColumn> {
        c.shown.iter().map(|(c, _)| *c).collect()
    }

    fn total(c: &Columns) -> u16 {
        c.shown.iter().map(|(_, w)| *w).sum::<u16>() + c.shown.len() as u16 - 1 + 6
    }

    #[test]
    fn wide_screens_show_every_column_and_whole_uuids() {
        let c = Columns::plan(160, 36);
        assert_eq!(names(&c), SortColumn::ALL.to_vec());
        assert_eq!(c.width_of(SortColumn::Id), 36);
        assert!(total(&c) <= 160);
    }

    #[test]
    fn the_name_never_disappears() {
        for width in 40..=200 {
            let c = Columns::plan(width, 36);
            assert!(names(&c).contains(&SortColumn::Name), "width {width}");
            if width >= 60 {
                assert!(total(&c) <= width, "width {width}: {:?}", c);
            }
        }
    }

    #[test]
    fn columns_go_in_order_as_space_runs_out() {
        let c = Columns::plan(130, 36);
        assert_eq!(c.width_of(SortColumn::Id), 19);
        assert!(names(&c).contains(&SortColumn::PrivateIp));
        let c = Columns::plan(120, 36);
        assert_eq!(c.width_of(SortColumn::Id), 19);
        assert!(!names(&c).contains(&SortColumn::PrivateIp));
        assert!(names(&c).contains(&SortColumn::PublicIp));
        let c = Columns::plan(80, 36);
        assert!(!names(&c).contains(&SortColumn::PrivateIp));
        for kept in [
            SortColumn::Id,
            SortColumn::State,
            SortColumn::Age,
            SortColumn::Cost,
        ] {
            assert!(names(&c).contains(&kept), "{kept:?} at 80 columns");
        }
        let c = Columns::plan(60, 36);
        assert_eq!(
            names(&c),
            vec![
                SortColumn::Cloud,
                SortColumn::Name,
                SortColumn::State,
                SortColumn::Age,
                SortColumn::Cost
            ]
        );
    }
}
