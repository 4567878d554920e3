//! Drawing: a pure function of the state (plus the scroll positions it
//! keeps). This file lays the screen out; each part draws itself, and each
//! popup draws itself in [`crate::dashboard::overlays`].

mod console;
mod detail;
mod footer;
mod header;
pub mod hints;
mod table;
pub mod text;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::dashboard::model::AppState;
use crate::dashboard::overlays;
pub use theme::Theme;

/// Below this the screen cannot show a useful table.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn draw(frame: &mut Frame, state: &mut AppState, theme: &Theme) {
    let area = frame.area();
    state.mouse = Default::default();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let header_lines = header::height(state);
    let show_detail = state.console.is_none() && area.height >= 24;
    let [header_area, body, detail_area, footer_area] = Layout::vertical([
        Constraint::Length(header_lines),
        Constraint::Min(5),
        Constraint::Length(if show_detail { 11 } else { 0 }),
        Constraint::Length(1),
    ])
    .areas(area);

    header::draw(frame, header_area, state, theme);
    if state.console.is_some() {
        console::draw(frame, body, state, theme);
    } else {
        table::draw(frame, body, state, theme);
        if show_detail {
            detail::draw(frame, detail_area, state, theme);
        }
    }
    footer::draw(frame, footer_area, state, theme);
    overlays::draw(frame, area, state, theme);
    // A question's layout is planned again to find its answers: only for
    // a mouse that can click them.
    if state.config.mouse {
        state.mouse.popup = crate::dashboard::mouse::popup_areas(state, area);
    }
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
