//! The body of every question: the yes/no popups (terminate, release an
//! address, the quit reminder's terminate) and the quit reminder that leads
//! to one. At every size hytop runs at, down to its 60×15 minimum, a
//! question shows how many things the answer acts on, the id of each whole
//! (the list scrolls, and a line says how many more there are and which
//! keys scroll), and its keys as bound. Names and labels give way first,
//! cut by display width with "…"; ids never are.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::popup_block;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::model::AppState;
use crate::dashboard::mouse::Click;
use crate::dashboard::view::{Theme, centered, hints, text};

/// Columns before each row of the list.
const INDENT: usize = 2;
/// Columns between two columns of the list.
const GAP: usize = 1;
/// Between two hints of the answer line.
const ANSWER_GAP: &str = "    ";
/// A name or label is cut to no fewer columns than this.
const MIN_TEXT: usize = 6;
/// A question is never wider than this, however wide the terminal.
const MAX_WIDTH: u16 = 100;
/// The rows a list keeps while blank lines and the note give way.
const MIN_ROWS: usize = 4;

/// How a part of a question is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Plain,
    Key,
    Dim,
    Flagged,
    Error,
}

impl Role {
    fn style(self, theme: &Theme) -> Style {
        match self {
            Role::Plain => Style::new(),
            Role::Key => theme.key(),
            Role::Dim => theme.dim(),
            Role::Flagged => theme.flagged(),
            Role::Error => theme.error(),
        }
    }
}

/// What a column holds, which decides how it gives way when space is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cells {
    /// Names and labels: cut with "…" by display width.
    Text,
    /// What the answer acts on (ids, addresses): never cut.
    Id,
    /// Right-aligned figures (age, cost): never cut.
    Figure,
}

pub(super) struct Column {
    pub cells: Vec<String>,
    pub kind: Cells,
    pub role: Role,
    /// What the note under the list calls an optional column; optional
    /// columns are left out, last first, before anything is cut.
    pub optional: Option<&'static str>,
}

impl Column {
    pub fn new(kind: Cells, role: Role, cells: Vec<String>) -> Column {
        Column {
            cells,
            kind,
            role,
            optional: None,
        }
    }

    /// The column may be left out; the note under the list names it `label`.
    pub fn optional(mut self, label: &'static str) -> Column {
        self.optional = Some(label);
        self
    }

    fn natural(&self) -> usize {
        self.cells.iter().map(|c| text::width(c)).max().unwrap_or(0)
    }

    fn narrowest(&self) -> usize {
        match self.kind {
            Cells::Text => self.natural().min(MIN_TEXT),
            Cells::Id | Cells::Figure => self.natural(),
        }
    }

    fn cell(&self, row: usize, width: usize) -> String {
        let cell = self.cells.get(row).map(String::as_str).unwrap_or("");
        match self.kind {
            Cells::Text => text::fit(cell, width),
            Cells::Id => text::pad(cell, width),
            Cells::Figure => text::pad_left(cell, width),
        }
    }
}

/// A question: its count, what it acts on, its keys.
pub(super) struct Question {
    pub title: String,
    /// The border's and the count's role.
    pub tone: Role,
    /// The count, first ("Terminate 12 instance(s)? ..."); wrapped to fit.
    pub head: String,
    /// What the answer acts on, one row each.
    pub columns: Vec<Column>,
    /// Said before the keys, as an error ("Terminate these 3?").
    pub ask: Option<String>,
    /// The keys (as bound), what each does, and what a click on it does.
    pub answers: Vec<(String, String, Click)>,
    /// The keys that scroll the list, as bound.
    pub scroll_keys: Option<String>,
}

/// Where everything of a question goes in one area.
struct Plan {
    rect: Rect,
    head: Vec<String>,
    /// Each column's width; `None` for a column left out.
    widths: Vec<Option<usize>>,
    first: usize,
    shown: usize,
    blank_under_head: bool,
    note: Option<String>,
    blank_over_answer: bool,
    answer: Vec<Vec<(String, Role)>>,
}

impl Question {
    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.cells.len())
    }

    /// The first row a list scrolled to `first` can start at in `area`.
    pub fn last_first(&self, area: Rect) -> usize {
        let plan = self.plan(area, 0);
        self.rows() - plan.shown
    }

    /// Where the list starts after `cmd` (j/k and friends), from `first`.
    pub fn scrolled(&self, area: Rect, first: usize, cmd: Command) -> usize {
        let last = self.last_first(area);
        let page = self.plan(area, 0).shown.max(1);
        let first = first.min(last);
        match cmd {
            Command::MoveDown => (first + 1).min(last),
            Command::MoveUp => first.saturating_sub(1),
            Command::PageDown => (first + page).min(last),
            Command::PageUp => first.saturating_sub(page),
            Command::Top => 0,
            Command::Bottom => last,
            _ => first,
        }
    }

    fn plan(&self, area: Rect, first: usize) -> Plan {
        let n = self.rows();
        let natural_row = INDENT
            + self
                .columns
                .iter()
                .map(|c| c.natural() + GAP)
                .sum::<usize>()
                .saturating_sub(GAP);
        let answer_line = self.answer_items();
        let one_line: usize = answer_line.iter().map(|i| width_of(i)).sum::<usize>()
            + ANSWER_GAP.len() * answer_line.len().saturating_sub(1);
        let every_column: Vec<Option<usize>> =
            self.columns.iter().map(|c| Some(c.natural())).collect();
        let note_width = self.note_for(&every_column).map_or(0, |n| text::width(&n));
        let wanted = [text::width(&self.head), natural_row, one_line, note_width]
            .into_iter()
            .max()
            .unwrap_or(0);
        let width = u16::try_from(wanted + 2)
            .unwrap_or(u16::MAX)
            .min(MAX_WIDTH)
            .min(area.width);
        let inner = usize::from(width.saturating_sub(2));

        let head = text::wrap(&self.head, inner);
        let widths = self.fit(inner.saturating_sub(INDENT));
        let note = self.note_for(&widths);
        let answer = pack(answer_line, inner);

        // What gives way, in order, when the list does not fit: the blank
        // under the count, the blank over the keys, the note.
        let avail = usize::from(area.height.saturating_sub(2));
        let budget = avail.saturating_sub(head.len() + answer.len());
        let has_note = note.is_some();
        let choices = [
            (true, true, has_note),
            (false, true, has_note),
            (false, false, has_note),
            (false, false, false),
        ];
        let rows_with = |(under, over, with_note): (bool, bool, bool)| {
            let extras = usize::from(under) + usize::from(over) + usize::from(with_note);
            if n + extras <= budget {
                n
            } else {
                // One line says how many more there are.
                budget.saturating_sub(extras + 1).max(1).min(n)
            }
        };
        let choice = choices
            .into_iter()
            .find(|c| rows_with(*c) >= n.min(MIN_ROWS))
            .unwrap_or((false, false, false));
        let shown = rows_with(choice);
        let (blank_under_head, blank_over_answer, with_note) = choice;
        let more = usize::from(shown < n);
        let height = head.len()
            + usize::from(blank_under_head)
            + shown
            + more
            + usize::from(with_note)
            + usize::from(blank_over_answer)
            + answer.len()
            + 2;
        let rect = centered(area, width, u16::try_from(height).unwrap_or(u16::MAX));
        Plan {
            rect,
            head,
            widths,
            first: first.min(n - shown),
            shown,
            blank_under_head,
            note: if with_note { note } else { None },
            blank_over_answer,
            answer,
        }
    }

    /// Each column's width in `room` columns: optional columns are left
    /// out (the last first) while even the cut row would not fit, then the
    /// widest name or label is cut a column at a time until the row fits.
    fn fit(&self, room: usize) -> Vec<Option<usize>> {
        let total = |widths: &[Option<usize>], least: bool| -> usize {
            let shown: Vec<usize> = widths
                .iter()
                .zip(&self.columns)
                .filter_map(|(w, c)| w.map(|w| if least { c.narrowest() } else { w }))
                .collect();
            shown.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1)
        };
        let mut widths: Vec<Option<usize>> =
            self.columns.iter().map(|c| Some(c.natural())).collect();
        for i in (0..self.columns.len()).rev() {
            if total(&widths, true) <= room {
                break;
            }
            if self.columns[i].optional.is_some() {
                widths[i] = None;
            }
        }
        while total(&widths, false) > room {
            let widest = (0..self.columns.len())
                .filter(|&i| {
                    self.columns[i].kind == Cells::Text
                        && widths[i].is_some_and(|w| w > self.columns[i].narrowest())
                })
                .max_by_key(|&i| widths[i]);
            // Only ids and figures are left when none is: they are not cut.
            let Some(w) = widest.and_then(|i| widths[i].as_mut()) else {
                break;
            };
            *w -= 1;
        }
        widths
    }

    /// The note naming the optional columns that are shown.
    fn note_for(&self, widths: &[Option<usize>]) -> Option<String> {
        let labels: Vec<&str> = self
            .columns
            .iter()
            .zip(widths)
            .filter_map(|(c, w)| w.and(c.optional))
            .collect();
        (!labels.is_empty()).then(|| format!("{}{}", " ".repeat(INDENT), labels.join(", ")))
    }

    fn answer_items(&self) -> Vec<Vec<(String, Role)>> {
        let mut items = Vec::new();
        if let Some(ask) = &self.ask {
            items.push(vec![(ask.clone(), Role::Error)]);
        }
        for (keys, what, _) in &self.answers {
            items.push(vec![
                (keys.clone(), Role::Key),
                (format!(" {what}"), Role::Plain),
            ]);
        }
        items
    }

    fn more_line(&self, plan: &Plan) -> String {
        let n = self.rows();
        let above = plan.first;
        let below = n - plan.first - plan.shown;
        let keys = self
            .scroll_keys
            .as_deref()
            .map(|k| format!(" ({k})"))
            .unwrap_or_default();
        let indent = " ".repeat(INDENT);
        match (above, below) {
            (0, below) => format!("{indent}… and {below} more{keys}"),
            (above, 0) => format!("{indent}… {above} above{keys}"),
            (above, below) => format!("{indent}… {above} above, {below} more{keys}"),
        }
    }

    /// Where each answer is drawn over `area` (its list scrolled to
    /// `first`), and what a click on it does; an answer cut off by a short
    /// screen has none.
    pub fn answer_areas(&self, area: Rect, first: usize) -> Vec<(Rect, Click)> {
        let plan = self.plan(area, first);
        let inner = plan.rect.inner(ratatui::layout::Margin::new(1, 1));
        let above = plan.head.len()
            + usize::from(plan.blank_under_head)
            + plan.shown
            + usize::from(plan.shown < self.rows())
            + usize::from(plan.note.is_some())
            + usize::from(plan.blank_over_answer);
        let items = self.answer_items();
        let widths: Vec<usize> = items.iter().map(|i| width_of(i)).collect();
        let asked = usize::from(self.ask.is_some());
        places(&widths, usize::from(inner.width))
            .into_iter()
            .zip(widths)
            .skip(asked)
            .zip(&self.answers)
            .filter_map(|(((line, column), width), (_, _, click))| {
                let y = inner.y.checked_add(u16::try_from(above + line).ok()?)?;
                let x = inner.x.checked_add(u16::try_from(column).ok()?)?;
                let width = u16::try_from(width)
                    .ok()?
                    .min(inner.right().saturating_sub(x));
                (y < inner.bottom() && width > 0).then_some((Rect::new(x, y, width, 1), *click))
            })
            .collect()
    }

    /// Draws the question over `area`, its list scrolled to `first`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, first: usize, theme: &Theme) {
        let plan = self.plan(area, first);
        frame.render_widget(Clear, plan.rect);
        let tone = self.tone.style(theme);
        let mut lines: Vec<Line> = plan
            .head
            .iter()
            .map(|l| Line::from(Span::styled(l.clone(), tone)))
            .collect();
        if plan.blank_under_head {
            lines.push(Line::from(""));
        }
        for row in plan.first..plan.first + plan.shown {
            let mut spans = vec![Span::raw(" ".repeat(INDENT))];
            for (column, width) in self.columns.iter().zip(&plan.widths) {
                if let Some(width) = width {
                    if spans.len() > 1 {
                        spans.push(Span::raw(" ".repeat(GAP)));
                    }
                    spans.push(Span::styled(
                        column.cell(row, *width),
                        column.role.style(theme),
                    ));
                }
            }
            lines.push(Line::from(spans));
        }
        if plan.shown < self.rows() {
            lines.push(Line::from(Span::raw(self.more_line(&plan))));
        }
        if let Some(note) = &plan.note {
            lines.push(Line::from(Span::styled(note.clone(), theme.dim())));
        }
        if plan.blank_over_answer {
            lines.push(Line::from(""));
        }
        for pieces in &plan.answer {
            let spans: Vec<Span> = pieces
                .iter()
                .map(|(s, role)| Span::styled(s.clone(), role.style(theme)))
                .collect();
            lines.push(Line::from(spans));
        }
        frame.render_widget(
            Paragraph::new(lines).block(popup_block(&self.title, theme, tone)),
            plan.rect,
        );
    }
}

fn width_of(item: &[(String, Role)]) -> usize {
    item.iter().map(|(s, _)| text::width(s)).sum()
}

/// `items` in lines of at most `width` columns, [`ANSWER_GAP`] between two
/// on one line; an item is never split.
fn pack(items: Vec<Vec<(String, Role)>>, width: usize) -> Vec<Vec<(String, Role)>> {
    let widths: Vec<usize> = items.iter().map(|i| width_of(i)).collect();
    let mut lines: Vec<Vec<(String, Role)>> = Vec::new();
    for (item, (line, _)) in items.into_iter().zip(places(&widths, width)) {
        match lines.get_mut(line) {
            Some(last) => {
                last.push((ANSWER_GAP.to_string(), Role::Plain));
                last.extend(item);
            }
            None => lines.push(item),
        }
    }
    lines
}

/// Where [`pack`] puts items `widths` wide: each one's line and column.
/// One function for drawing and clicking, so a click hits what is drawn.
fn places(widths: &[usize], width: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(widths.len());
    let mut used = 0;
    for &w in widths {
        match out.last() {
            Some(&(line, _)) if used + ANSWER_GAP.len() + w <= width => {
                out.push((line, used + ANSWER_GAP.len()));
                used += ANSWER_GAP.len() + w;
            }
            last => {
                out.push((last.map_or(0, |&(line, _)| line + 1), 0));
                used = w;
            }
        }
    }
    out
}

/// The `[confirm]` answers of a yes/no question, as bound: `yes` and `no`
/// say what each does.
pub(super) fn answers(state: &AppState, yes: &str, no: &str) -> Vec<(String, String, Click)> {
    let keymap = &state.keymap;
    let yes_keys = hints::keys(
        keymap,
        Context::Confirm,
        &[Command::Confirm],
        &[KeyCode::Char('y')],
        " / ",
    );
    let no_keys = hints::keys(
        keymap,
        Context::Confirm,
        &[Command::Cancel],
        &[KeyCode::Char('n'), KeyCode::Esc],
        " / ",
    );
    [
        (yes_keys, yes, Command::Confirm),
        (no_keys, no, Command::Cancel),
    ]
    .into_iter()
    .filter_map(|(keys, what, cmd)| {
        Some((keys?, what.to_string(), Click::Press(Context::Confirm, cmd)))
    })
    .collect()
}

/// The keys that scroll a question's list in `ctx`, as bound.
pub(super) fn scroll_keys(state: &AppState, ctx: Context) -> Option<String> {
    hints::keys(
        &state.keymap,
        ctx,
        &[Command::MoveDown, Command::MoveUp],
        &[KeyCode::Char('j'), KeyCode::Char('k')],
        "/",
    )
}

/// The whole screen, which questions are drawn over.
pub(super) fn screen(state: &AppState) -> Rect {
    Rect::new(0, 0, state.width, state.height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_by_width() {
        assert_eq!(text::wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(text::wrap("ウェブ ウェブ", 7), ["ウェブ", "ウェブ"]);
        assert_eq!(text::wrap("short", 20), ["short"]);
    }

    fn plain(s: &str) -> Vec<(String, Role)> {
        vec![(s.to_string(), Role::Plain)]
    }

    #[test]
    fn pack_keeps_hints_whole() {
        let lines = pack(vec![plain("aaaa"), plain("bbbb"), plain("cccc")], 12);
        let shown: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(s, _)| s.as_str()).collect())
            .collect();
        assert_eq!(shown, ["aaaa    bbbb", "cccc"]);
    }

    fn question(ids: &[&str], names: &[&str]) -> Question {
        Question {
            title: "Q".into(),
            tone: Role::Error,
            head: "Do it?".into(),
            columns: vec![
                Column::new(
                    Cells::Text,
                    Role::Plain,
                    names.iter().map(|s| s.to_string()).collect(),
                ),
                Column::new(
                    Cells::Id,
                    Role::Key,
                    ids.iter().map(|s| s.to_string()).collect(),
                ),
                Column::new(Cells::Figure, Role::Plain, vec!["1h".into(); ids.len()])
                    .optional("age"),
            ],
            ask: None,
            answers: vec![(
                "y".into(),
                "yes".into(),
                Click::Press(Context::Confirm, Command::Confirm),
            )],
            scroll_keys: Some("j/k".into()),
        }
    }

    #[test]
    fn names_are_cut_and_optional_columns_left_out_before_ids() {
        let id = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f";
        let q = question(&[id], &["a-very-long-name-indeed"]);
        // The name cut to 6, the id and the age need 6 + 1 + 36 + 1 + 2 =
        // 46 columns: in 45 the age goes and the name is cut to 8.
        assert_eq!(q.fit(45), [Some(8), Some(36), None]);
        assert_eq!(q.fit(46), [Some(6), Some(36), Some(2)]);
        // With room for all of it, nothing gives way.
        assert_eq!(q.fit(80), [Some(23), Some(36), Some(2)]);
    }

    #[test]
    fn a_long_list_scrolls_within_its_rows() {
        let ids: Vec<String> = (0..30).map(|i| format!("i-{i:017}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let q = question(&ids, &vec!["web"; 30]);
        let area = Rect::new(0, 0, 60, 15);
        let plan = q.plan(area, 0);
        assert!(plan.shown >= MIN_ROWS && plan.shown < 30, "{}", plan.shown);
        assert!(plan.rect.height <= 15);
        let last = q.last_first(area);
        assert_eq!(last + plan.shown, 30);
        assert_eq!(q.scrolled(area, last, Command::MoveDown), last);
        assert_eq!(q.scrolled(area, 0, Command::MoveUp), 0);
        assert_eq!(q.scrolled(area, 0, Command::MoveDown), 1);
        assert_eq!(
            q.more_line(&q.plan(area, 0)),
            format!("  … and {} more (j/k)", 30 - plan.shown)
        );
    }
}
