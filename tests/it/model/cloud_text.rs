//! Text a cloud sends is shown without its escape sequences: error lines,
//! a server's fault, messages and the console. A sequence goes whole; no
//! `[2J` is left behind for the screen.

use hytop::dashboard::view::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;

/// Nova's fault text as a hostile or broken cloud may send it, in both the
/// 7-bit (ESC [) and the 8-bit (CSI) forms.
const FAULT: &str = "No valid host \x1b[2J\x1b[5mBLINK\u{9b}0m was found";
const CLEAN: &str = "No valid host BLINK was found";

/// The whole screen as text, drawn by the dashboard's own view.
pub(super) fn screen(state: &mut AppState) -> String {
    let mut terminal = Terminal::new(TestBackend::new(140, 40)).expect("terminal");
    terminal
        .draw(|f| view::draw(f, state, &Theme { color: false }))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn no_remains(screen: &str) {
    for remains in ["[2J", "[5m", "0m was", "\u{9b}", "\x1b"] {
        assert!(
            !screen.contains(remains),
            "{remains:?} on screen:\n{screen}"
        );
    }
}

#[test]
fn a_servers_fault_is_shown_clean() {
    let mut state = fleet_state();
    let mut list = state.instances[2].clone();
    let broken = list
        .iter_mut()
        .find(|i| i.name == "broken")
        .expect("the fixture's server in ERROR");
    broken.extra.push(("fault", FAULT.into()));
    let id = state.request_id();
    listing(&mut state, 2, id, list);
    let broken = state.instances[2]
        .iter()
        .find(|i| i.name == "broken")
        .expect("still listed");
    let fault = broken.extra.iter().find(|(k, _)| *k == "fault");
    assert_eq!(fault.map(|(_, v)| v.as_str()), Some(CLEAN));

    select(&mut state, "broken");
    run(&mut state, Command::Describe);
    let shown = screen(&mut state);
    assert!(shown.contains(CLEAN), "{shown}");
    no_remains(&shown);
}

#[test]
fn a_clouds_error_line_and_messages_are_shown_clean() {
    let mut state = fleet_state();
    let id = state.request_id();
    respond(
        &mut state,
        1,
        id,
        Response::Instances(Err(CloudError::new("500\x1b[31m", FAULT))),
    );
    let error = state.clouds[1].error.clone().expect("an error line");
    assert_eq!(error, format!("500: {CLEAN}"));
    let shown = screen(&mut state);
    assert!(shown.contains(CLEAN), "{shown}");
    no_remains(&shown);

    let id = state.request_id();
    respond(
        &mut state,
        2,
        id,
        Response::Launched(Err(CloudError::new("500", FAULT))),
    );
    let (_, _, text) = message_text(&state);
    assert!(text.contains(CLEAN), "{text}");
    no_remains(&text);
    no_remains(&screen(&mut state));
}

#[test]
fn the_console_drops_whole_sequences() {
    let mut state = fleet_state();
    open_console(
        &mut state,
        "\x1b[2J\x1b[H[  OK  ] Started \x1b[0;1;39mcloud-init\x1b[0m.\n\u{9b}2Jboot \u{9d}0;title\u{9c}done\n",
    );
    let lines = state.console.as_ref().expect("console").lines.clone();
    assert_eq!(lines, ["[  OK  ] Started cloud-init.", "boot done"]);
}
