//! The optional mouse (`mouse = true` in config.toml): a left click selects
//! a table row or picks a popup's choice, the wheel scrolls the table, the
//! console or the popup. The view records where the last frame drew what a
//! click can hit ([`Areas`]); this file maps a click there back to the
//! model, so all of it is tested without a terminal.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::model::AppState;
use crate::dashboard::overlays::{self, LaunchField, LaunchPopup, Overlay};
use crate::dashboard::update;

/// Console lines one wheel step scrolls: a log is read by the screenful,
/// one line a step would crawl. In the table a step moves the selection one
/// row, as j/k do.
const CONSOLE_LINES: usize = 3;

/// The table's rows as drawn: where, and which row of the view is on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRows {
    /// The drawn rows only (under the header, inside the border).
    pub area: Rect,
    /// The row of [`AppState::view`] drawn first (the scroll offset).
    pub first: usize,
}

impl TableRows {
    /// The row of the view drawn at `at`, if a row is drawn there.
    pub fn row_at(&self, at: Position) -> Option<usize> {
        self.area
            .contains(at)
            .then(|| self.first + usize::from(at.y - self.area.y))
    }
}

/// Where the last frame drew what a click can hit; reset at every draw, so
/// nothing stale is hit after the screen changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Areas {
    pub table: Option<TableRows>,
    /// The open popup's choices: where each is drawn and what a click does.
    pub popup: Vec<(Rect, Click)>,
}

/// What a click on a popup's choice does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// Copies choice `n` of the copy menu.
    Copy(usize),
    /// Picks template `n` in the launch form.
    Template(usize),
    /// Shows or hides choice `n` of a region, profile or cloud picker.
    Pick(usize),
    /// Adds the region of the sweep's finding `n`.
    Finding(usize),
    /// Presses the key bound to the command in the popup's section: a click
    /// on an answer does exactly what its key does.
    Press(Context, Command),
}

/// The events hytop acts on; the rest (motion, drags, releases, other
/// buttons) are dropped by the input task before they cost a redraw.
pub fn wanted(event: &MouseEvent) -> bool {
    matches!(
        event.kind,
        MouseEventKind::Down(MouseButton::Left)
            | MouseEventKind::ScrollDown
            | MouseEventKind::ScrollUp
    )
}

pub fn on_mouse(state: &mut AppState, event: MouseEvent, fx: &mut Vec<Effect>) {
    // The footer input keeps its focus: a click would leave it half typed.
    if !state.config.mouse || state.prompt.is_some() {
        return;
    }
    let at = Position::new(event.column, event.row);
    match event.kind {
        MouseEventKind::Down(MouseButton::Left) => click(state, at, fx),
        MouseEventKind::ScrollDown => wheel(state, Command::MoveDown, fx),
        MouseEventKind::ScrollUp => wheel(state, Command::MoveUp, fx),
        _ => {}
    }
}

fn click(state: &mut AppState, at: Position, fx: &mut Vec<Effect>) {
    if state.overlay.is_some() {
        // Outside the popup's choices nothing happens: a popup closes only
        // by its keys, so a stray click loses no answer.
        let hit = state
            .mouse
            .popup
            .iter()
            .find(|(rect, _)| rect.contains(at))
            .map(|(_, click)| *click);
        match hit {
            Some(Click::Copy(n)) => copy(state, n, fx),
            Some(Click::Template(n)) => template(state, n, fx),
            Some(Click::Pick(n)) => {
                if let Some(Overlay::Picker(picker)) = state.overlay.take() {
                    picker.pick(state, n, fx);
                }
                state.dirty = true;
            }
            Some(Click::Finding(n)) => {
                if let Some(Overlay::Sweep(popup)) = state.overlay.take() {
                    popup.pick(state, n, fx);
                }
                state.dirty = true;
            }
            Some(Click::Press(ctx, cmd)) => press(state, ctx, cmd, fx),
            None => {}
        }
        return;
    }
    if state.console.is_some() {
        return;
    }
    let row = state.mouse.table.and_then(|rows| rows.row_at(at));
    if let Some(row) = row.filter(|&r| r < state.view.len()) {
        state.select_row(row);
    }
}

fn wheel(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    if let Some(overlay) = &state.overlay {
        if let Some(ctx) = scroll_context(overlay) {
            press(state, ctx, cmd, fx);
        }
        return;
    }
    let steps = if state.console.is_some() {
        CONSOLE_LINES
    } else {
        1
    };
    for _ in 0..steps {
        update::run(state, cmd, fx);
    }
}

/// The section whose j/k scroll (or move in) the popup, for the popups
/// where that is all they do: in the launch form and the IP popup j/k pick
/// things, which a wheel turn must not do behind the user's back.
fn scroll_context(overlay: &Overlay) -> Option<Context> {
    match overlay {
        Overlay::Help(_) => Some(Context::Help),
        Overlay::Describe(_) | Overlay::Message(_) => Some(Context::Describe),
        Overlay::Copy(_) => Some(Context::Copy),
        Overlay::Terminate(_) | Overlay::Power(_) => Some(Context::Confirm),
        Overlay::Addresses(p) if !p.confirm => Some(Context::Addresses),
        Overlay::QuitReminder(p) if p.confirm || p.park => Some(Context::Confirm),
        Overlay::QuitReminder(_) => Some(Context::Quit),
        Overlay::Doctor(_) => Some(Context::Doctor),
        Overlay::Picker(_) | Overlay::Sweep(_) => Some(Context::Picker),
        _ => None,
    }
}

fn copy(state: &mut AppState, n: usize, fx: &mut Vec<Effect>) {
    let Some(Overlay::Copy(mut popup)) = state.overlay.take() else {
        return;
    };
    popup.selected = n.min(popup.choices.len().saturating_sub(1));
    popup.copy(state, fx);
    state.dirty = true;
}

fn template(state: &mut AppState, n: usize, fx: &mut Vec<Effect>) {
    let Some(Overlay::Launch(mut popup)) = state.overlay.take() else {
        return;
    };
    // The same template again keeps what its cloud listed: only the focus moves.
    if n == popup.template {
        popup.focus = LaunchField::Template;
    } else {
        popup.pick_template(state, n, fx);
    }
    state.overlay = Some(Overlay::Launch(popup));
    state.dirty = true;
}

/// As if the first key bound to `cmd` in `ctx` were pressed in the popup.
fn press(state: &mut AppState, ctx: Context, cmd: Command, fx: &mut Vec<Effect>) {
    let Some(key) = state.keymap.keys_for(ctx, cmd).first().copied().copied() else {
        return;
    };
    overlays::on_key(state, &KeyEvent::new(key.code(), key.modifiers()), fx);
    state.dirty = true;
}

/// Where the open popup drew its choices over `area` (the whole screen).
pub fn popup_areas(state: &AppState, area: Rect) -> Vec<(Rect, Click)> {
    match &state.overlay {
        Some(Overlay::Copy(popup)) => popup
            .choice_lines(area)
            .into_iter()
            .enumerate()
            .map(|(i, line)| (line, Click::Copy(i)))
            .collect(),
        Some(Overlay::Launch(_)) => LaunchPopup::template_lines(area, state.config.templates.len())
            .into_iter()
            .enumerate()
            .map(|(i, line)| (line, Click::Template(i)))
            .collect(),
        Some(Overlay::Picker(picker)) => picker
            .choice_lines(area)
            .into_iter()
            .map(|(i, line)| (line, Click::Pick(i)))
            .collect(),
        Some(Overlay::Sweep(popup)) => popup
            .finding_lines(area, state)
            .into_iter()
            .map(|(i, line)| (line, Click::Finding(i)))
            .collect(),
        Some(_) => overlays::answer_areas(state, area),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
