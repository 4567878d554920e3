//! Popups over the main screen. Each file is one popup: its state, its
//! keys (looked up in its own `keymap.toml` section) and its drawing; this
//! file only dispatches to them.

pub mod addresses;
mod confirm;
pub mod copy;
pub mod describe;
pub mod doctor;
pub mod help;
pub mod launch;
pub mod message;
pub mod picker;
pub mod power;
pub mod public_ip;
pub mod quit_reminder;
pub mod sweep;
pub mod terminate;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

pub use self::addresses::AddressesPopup;
pub use self::copy::CopyPopup;
pub use self::describe::DescribePopup;
pub use self::doctor::DoctorPopup;
pub use self::help::HelpPopup;
pub use self::launch::{LaunchField, LaunchPopup};
pub use self::message::MessagePopup;
pub use self::picker::{EndpointPicker, PickerKind};
pub use self::power::PowerPopup;
pub use self::public_ip::IpPopup;
pub use self::quit_reminder::{QuitReminder, Reminded};
pub use self::sweep::{FoundRegion, SweepFound, SweepPopup, Sweeping};
pub use self::terminate::{LeftAddress, TerminatePopup};
use crate::cloud::CloudError;
use crate::dashboard::action::RequestId;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::input::typed_char;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::Theme;
use crate::domain::model::LaunchOptions;

/// The popup shown over the main screen, at most one at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help(HelpPopup),
    Describe(DescribePopup),
    Launch(Box<LaunchPopup>),
    Terminate(TerminatePopup),
    /// Stop, start, reboot, shelve or unshelve.
    Power(PowerPopup),
    PublicIp(IpPopup),
    /// Every public address of every cloud.
    Addresses(AddressesPopup),
    Message(MessagePopup),
    /// `q` while instances launched in this session, or flagged ones, still
    /// run: terminate them, keep them and quit, or stay.
    QuitReminder(QuitReminder),
    /// Why the selected instance may be unreachable.
    Doctor(DoctorPopup),
    /// What of the selected instance to copy.
    Copy(CopyPopup),
    /// Regions, profiles or clouds to show or hide.
    Picker(EndpointPicker),
    /// What the sweep found outside the shown endpoints.
    Sweep(SweepPopup),
}

impl Overlay {
    /// Handles one key; the popup to show afterwards, `None` to close it.
    fn on_key(
        self,
        state: &mut AppState,
        key: &Key,
        typed: Option<char>,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        match self {
            Overlay::Help(popup) => popup.on_key(state, key),
            Overlay::Describe(popup) => popup.on_key(state, key),
            Overlay::Launch(popup) => popup.on_key(state, key, typed, fx),
            Overlay::Terminate(popup) => popup.on_key(state, key, fx),
            Overlay::Power(popup) => popup.on_key(state, key, fx),
            Overlay::PublicIp(popup) => popup.on_key(state, key, fx),
            Overlay::Addresses(popup) => popup.on_key(state, key, fx),
            Overlay::Message(popup) => popup.on_key(state, key),
            Overlay::QuitReminder(popup) => popup.on_key(state, key, fx),
            Overlay::Doctor(popup) => popup.on_key(state, key, fx),
            Overlay::Copy(popup) => popup.on_key(state, key, fx),
            Overlay::Picker(popup) => popup.on_key(state, key, fx),
            Overlay::Sweep(popup) => popup.on_key(state, key, fx),
        }
    }

    /// Pasted text goes where typed text would.
    fn on_paste(&mut self, text: &str) {
        if let Overlay::Launch(popup) = self {
            popup.on_paste(text);
        }
    }

    /// A cloud listed what a launch can choose from; only the launch form
    /// that asked takes it.
    pub fn on_launch_options(
        &mut self,
        request: RequestId,
        result: Result<LaunchOptions, CloudError>,
    ) {
        if let Overlay::Launch(popup) = self {
            popup.on_options(request, result);
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        match self {
            Overlay::Help(popup) => popup.draw(frame, area, state, theme),
            Overlay::Describe(popup) => popup.draw(frame, area, state, theme),
            Overlay::Launch(popup) => popup.draw(frame, area, state, theme),
            Overlay::Terminate(popup) => popup.draw(frame, area, state, theme),
            Overlay::Power(popup) => popup.draw(frame, area, state, theme),
            Overlay::PublicIp(popup) => popup.draw(frame, area, state, theme),
            Overlay::Addresses(popup) => popup.draw(frame, area, state, theme),
            Overlay::Message(popup) => popup.draw(frame, area, state, theme),
            Overlay::QuitReminder(popup) => popup.draw(frame, area, state, theme),
            Overlay::Doctor(popup) => popup.draw(frame, area, state, theme),
            Overlay::Copy(popup) => popup.draw(frame, area, state, theme),
            Overlay::Picker(popup) => popup.draw(frame, area, state, theme),
            Overlay::Sweep(popup) => popup.draw(frame, area, state, theme),
        }
    }
}

/// A key pressed while a popup is open. The popup is taken out of the state
/// while it handles the key, so it can change both; a popup it opened (an
/// error message) replaces it.
pub fn on_key(state: &mut AppState, event: &KeyEvent, fx: &mut Vec<Effect>) {
    let Some(overlay) = state.overlay.take() else {
        return;
    };
    let kept = overlay.on_key(state, &Key::from_event(event), typed_char(event), fx);
    if state.overlay.is_none() {
        state.overlay = kept;
    }
}

/// Pasted text, for the open popup.
pub fn on_paste(state: &mut AppState, text: &str) {
    if let Some(overlay) = state.overlay.as_mut() {
        overlay.on_paste(text);
    }
}

/// Draws the open popup, if any, over `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    if let Some(overlay) = &state.overlay {
        overlay.draw(frame, area, state, theme);
    }
}

/// Where the open question drew its answers over `area`, for clicks.
pub fn answer_areas(state: &AppState, area: Rect) -> Vec<(Rect, crate::dashboard::mouse::Click)> {
    match &state.overlay {
        Some(Overlay::Terminate(popup)) => popup.answer_areas(area, state),
        Some(Overlay::Power(popup)) => popup.answer_areas(area, state),
        Some(Overlay::QuitReminder(popup)) => popup.answer_areas(area, state),
        Some(Overlay::Addresses(popup)) => popup.answer_areas(area, state),
        _ => Vec::new(),
    }
}

/// Where a scrolling popup (help, describe) is after `cmd`; `None` closes it.
fn scrolled(scroll: u16, cmd: Option<Command>) -> Option<u16> {
    Some(match cmd {
        Some(Command::MoveDown) => scroll.saturating_add(1),
        Some(Command::MoveUp) => scroll.saturating_sub(1),
        Some(Command::PageDown) => scroll.saturating_add(10),
        Some(Command::PageUp) => scroll.saturating_sub(10),
        Some(Command::Top) => 0,
        Some(Command::Close) => return None,
        _ => scroll,
    })
}

fn popup_block<'a>(title: &str, theme: &Theme, style: Style) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(format!(" {title} "), theme.title()))
}

/// What one hint of a hint line names: the commands, the keys usually
/// bound to them, and what they do (` select   `).
type Hint<'a> = (&'a [Command], &'a [crossterm::event::KeyCode], &'a str);

/// A popup's hint line in `ctx`: each hint's keys (as the keymap binds them;
/// `/` between the keys of several commands) then what they do; a hint no
/// key runs is left out.
fn hint_line(state: &AppState, theme: &Theme, ctx: Context, hints: &[Hint<'_>]) -> Line<'static> {
    let mut spans = Vec::new();
    for (cmds, usual, what) in hints {
        let sep = if cmds.len() > 1 { "/" } else { " / " };
        let keys = crate::dashboard::view::hints::keys(&state.keymap, ctx, cmds, usual, sep);
        hint(&mut spans, keys, (*what).to_string(), theme);
    }
    Line::from(spans)
}

/// Appends a hint (`key` then what it does) to a hint line, if a key runs it.
fn hint(spans: &mut Vec<Span<'static>>, keys: Option<String>, what: String, theme: &Theme) {
    if let Some(keys) = keys {
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(what));
    }
}
