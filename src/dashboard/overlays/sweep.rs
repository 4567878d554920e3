//! `:sweep` (`w`): every region of every account asked in the background,
//! as `hytop check --all-regions` does, and what lives outside the shown
//! endpoints listed here in `check`'s own lines. Enter adds the selected
//! region to the table until hytop quits. Keys: the `[picker]` section.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::picker::hint_line;
use super::{Overlay, popup_block};
use crate::dashboard::action::RequestId;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, text};
use crate::domain::cost::Prices;
use crate::domain::format::sanitize;
use crate::report::{Progress, Sweep, check_lines};

/// A region the sweep found something in that the table does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRegion {
    /// The `[[cloud]]` name.
    pub cloud: String,
    pub region: String,
    pub label: String,
    /// `check`'s lines for it: instances, loose addresses and volumes.
    pub lines: Vec<String>,
}

/// What the last sweep found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepFound {
    /// `swept 4 regions in 2.5 s: …`
    pub summary: String,
    pub regions: Vec<FoundRegion>,
    /// Regions (or accounts) that could not be asked.
    pub errors: Vec<String>,
    pub at: DateTime<Utc>,
}

impl SweepFound {
    pub fn new(sweep: &Sweep, now: DateTime<Utc>, state: &AppState) -> SweepFound {
        let rules = &state.config.cost;
        let mut regions = Vec::new();
        let mut errors = Vec::new();
        for answer in &sweep.answers {
            let Some(endpoint) = &answer.endpoint else {
                continue;
            };
            errors.extend(
                answer
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", sanitize(&endpoint.label), sanitize(e))),
            );
            if !answer.unwatched {
                continue;
            }
            let lines = check_lines(std::slice::from_ref(answer), now, Prices::embedded(), rules);
            if !lines.is_empty() {
                regions.push(FoundRegion {
                    cloud: endpoint.cloud.clone(),
                    region: endpoint.region.clone(),
                    label: endpoint.label.clone(),
                    lines,
                });
            }
        }
        SweepFound {
            summary: sweep.summary(),
            regions,
            errors,
            at: now,
        }
    }

    /// The status line once it is done.
    pub fn status(&self) -> String {
        if self.regions.is_empty() {
            format!(
                "sweep: nothing outside the shown endpoints ({})",
                self.summary
            )
        } else {
            let labels: Vec<&str> = self.regions.iter().map(|r| r.label.as_str()).collect();
            format!(
                "sweep: not shown but in use: {} (w lists it)",
                labels.join(", ")
            )
        }
    }
}

/// The sweep under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sweeping {
    pub request: RequestId,
    /// None until every account's regions are listed.
    pub progress: Option<Progress>,
}

impl Sweeping {
    /// `sweeping: 5 of 14 unshown regions answered…` (the shown ones are
    /// the table's).
    pub fn describe(&self) -> String {
        match self.progress {
            None => "sweeping: listing every account's regions…".to_string(),
            Some(Progress { answered, total }) => {
                format!("sweeping: {answered} of {total} unshown regions answered…")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepPopup {
    pub selected: usize,
}

impl From<SweepPopup> for Overlay {
    fn from(popup: SweepPopup) -> Overlay {
        Overlay::Sweep(popup)
    }
}

impl SweepPopup {
    /// Opens the findings and starts a sweep unless one is under way.
    pub fn open(state: &mut AppState, fx: &mut Vec<Effect>) {
        if state.sweeping.is_none() {
            let request = state.request_id();
            state.sweeping = Some(Sweeping {
                request,
                progress: None,
            });
            fx.push(Effect::Sweep(request));
        }
        state.overlay = Some(SweepPopup::default().into());
    }

    /// How far the sweep `request` has come, for the popup.
    pub fn on_progress(state: &mut AppState, request: RequestId, progress: Progress) {
        if let Some(sweeping) = state.sweeping.as_mut()
            && sweeping.request == request
        {
            sweeping.progress = Some(progress);
            state.dirty = true;
        }
    }

    /// The sweep `request` is done: kept for the popup, said on the status line.
    pub fn on_swept(state: &mut AppState, request: RequestId, sweep: &Sweep) {
        if state.sweeping.map(|s| s.request) != Some(request) {
            return;
        }
        state.sweeping = None;
        let found = SweepFound::new(sweep, state.now, state);
        state.info(found.status());
        state.last_sweep = Some(found);
        state.dirty = true;
    }

    fn regions(state: &AppState) -> &[FoundRegion] {
        state
            .last_sweep
            .as_ref()
            .map_or(&[], |f| f.regions.as_slice())
    }

    /// Adds the selected finding's region to the table.
    fn add_selected(&self, state: &mut AppState, fx: &mut Vec<Effect>) {
        let Some(found) = Self::regions(state).get(self.selected).cloned() else {
            return;
        };
        if state.shown_endpoint(&found.cloud, &found.region).is_some() {
            state.info(format!("{} is shown already", found.label));
        } else {
            state.info(format!("adding {} until hytop quits…", found.label));
            fx.push(Effect::StartEndpoints {
                cloud: found.cloud,
                region: Some(found.region),
            });
        }
    }

    /// A click on finding `n`: selects it and adds its region, as Enter.
    pub fn pick(mut self, state: &mut AppState, n: usize, fx: &mut Vec<Effect>) {
        self.selected = n.min(Self::regions(state).len().saturating_sub(1));
        self.add_selected(state, fx);
        state.overlay = Some(self.into());
    }

    pub(super) fn on_key(
        mut self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        let count = Self::regions(state).len();
        match state.keymap.lookup(Context::Picker, key) {
            Some(Command::MoveDown) => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1));
            }
            Some(Command::MoveUp) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Toggle) => self.add_selected(state, fx),
            Some(Command::Refresh) => {
                Self::open(state, fx);
                return None;
            }
            Some(Command::Close) => return None,
            _ => {}
        }
        Some(self.into())
    }

    /// The popup's rows, wrapped to its width so every row is one screen
    /// line (clicks and scrolling need to know where each finding is).
    fn layout(&self, area: Rect, state: &AppState, theme: &Theme) -> Layout {
        let inner = usize::from(centered(area, 90, 3).width.saturating_sub(2)).max(1);
        let mut rows: Vec<Line<'static>> = Vec::new();
        let mut heads = Vec::new();
        let wrapped = |rows: &mut Vec<Line<'static>>, indent: &str, s: &str, style| {
            let width = inner.saturating_sub(indent.len()).max(1);
            for row in text::wrap(s, width) {
                rows.push(Line::styled(format!("{indent}{row}"), style));
            }
        };
        if let Some(sweeping) = state.sweeping {
            wrapped(&mut rows, "", &sweeping.describe(), theme.busy());
        }
        if let Some(found) = &state.last_sweep {
            wrapped(&mut rows, "", &found.summary, theme.dim());
            if found.regions.is_empty() {
                rows.push(Line::styled(
                    "nothing outside the shown endpoints",
                    theme.ok(),
                ));
            }
            for (i, region) in found.regions.iter().enumerate() {
                let shown = state
                    .shown_endpoint(&region.cloud, &region.region)
                    .is_some();
                let head = Line::from(vec![
                    Span::raw(if i == self.selected { "▶ " } else { "  " }),
                    Span::styled(region.label.clone(), theme.flagged()),
                    Span::styled(
                        if shown {
                            "  ✓ shown now"
                        } else {
                            "  not shown"
                        },
                        theme.dim(),
                    ),
                ]);
                heads.push(rows.len());
                rows.push(if i == self.selected {
                    head.style(theme.selected())
                } else {
                    head
                });
                for line in &region.lines {
                    wrapped(&mut rows, "    ", line, ratatui::style::Style::default());
                }
            }
            for error in &found.errors {
                wrapped(&mut rows, "", error, theme.error());
            }
        }
        // The rows, a blank line and the hints, in the border.
        let height = (rows.len() + 4).min(usize::from(area.height));
        let rect = centered(area, 90, u16::try_from(height).unwrap_or(u16::MAX));
        let visible = usize::from(rect.height.saturating_sub(4));
        // The selected finding's block in view, from its head where it is
        // longer than the popup.
        let scroll = match heads.get(self.selected) {
            Some(&head) => {
                let end = heads.get(self.selected + 1).copied().unwrap_or(rows.len());
                if end <= visible {
                    0
                } else {
                    head.min(rows.len().saturating_sub(visible))
                }
            }
            None => 0,
        };
        Layout {
            rect,
            rows,
            heads,
            scroll,
            visible,
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let layout = self.layout(area, state, theme);
        let rect = layout.rect;
        frame.render_widget(Clear, rect);
        let block = popup_block("Sweep: every region", theme, theme.border());
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let list = Rect {
            height: u16::try_from(layout.visible).unwrap_or(u16::MAX),
            ..inner
        };
        let rows: Vec<Line> = layout
            .rows
            .into_iter()
            .skip(layout.scroll)
            .take(layout.visible)
            .collect();
        frame.render_widget(Paragraph::new(rows), list);
        if inner.height > 0 {
            let hints = Rect {
                y: inner.bottom() - 1,
                height: 1,
                ..inner
            };
            frame.render_widget(
                Paragraph::new(hint_line(state, theme, " add to the table   ")),
                hints,
            );
        }
    }

    /// Where each finding's head line is drawn, by its index: what a click
    /// adds.
    pub(crate) fn finding_lines(&self, area: Rect, state: &AppState) -> Vec<(usize, Rect)> {
        let layout = self.layout(area, state, &Theme { color: false });
        let inner = layout.rect.inner(ratatui::layout::Margin::new(1, 1));
        layout
            .heads
            .iter()
            .enumerate()
            .filter(|&(_, &row)| row >= layout.scroll && row < layout.scroll + layout.visible)
            .filter_map(|(i, &row)| {
                let y = inner
                    .y
                    .checked_add(u16::try_from(row - layout.scroll).ok()?)?;
                Some((i, Rect::new(inner.x, y, inner.width, 1)))
            })
            .collect()
    }
}

/// The sweep popup laid out over the screen.
struct Layout {
    rect: Rect,
    rows: Vec<Line<'static>>,
    /// The row of each finding's head line.
    heads: Vec<usize>,
    /// The first row shown.
    scroll: usize,
    /// How many rows the list shows (the border and hints apart).
    visible: usize,
}
