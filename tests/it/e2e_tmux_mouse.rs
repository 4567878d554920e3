//! The optional mouse end to end: hytop in tmux with `mouse = true` turns
//! the pane's mouse modes on, and a click (an SGR mouse report, typed into
//! the pane as the terminal would send it) selects the row under it; the
//! wheel moves the selection. Without `mouse` the modes stay off, so the
//! terminal keeps selecting text.
//!
//! tmux's own `mouse` option is off (its default, and the harness does not
//! set it), so tmux does not take the reports for itself: `send-keys -H`
//! writes their bytes to hytop unchanged.

use hytop_testkit as support;

use support::tmux::{Sandbox, Tmux, hytop_argv, rows};

use super::e2e_tmux::{config_toml, start_hytop, wait_listed};

/// tmux's record of the pane's mouse modes: any-event tracking and SGR
/// coordinates, what crossterm's EnableMouseCapture asks for.
const MODES: &str = "#{mouse_any_flag}#{mouse_sgr_flag}";

/// Types an SGR mouse report: `button` at 0-based (`x`, `y`), pressed
/// (`M`) or released (`m`), the bytes a terminal sends.
fn report(t: &Tmux, button: u8, x: usize, y: usize, end: char) {
    let text = format!("\x1b[<{button};{};{}{end}", x + 1, y + 1);
    let mut args = vec![
        "send-keys".to_string(),
        "-t".into(),
        "e2e".into(),
        "-H".into(),
    ];
    args.extend(text.bytes().map(|b| format!("{b:02x}")));
    t.run(&args);
}

/// The 0-based screen line of the table row of instance `id`.
fn line_of(screen: &str, id: &str) -> usize {
    screen
        .lines()
        .position(|l| l.starts_with('│') && l.split_whitespace().any(|w| w == id))
        .unwrap_or_else(|| panic!("{id} not on the screen:\n{screen}"))
}

/// The id of the selected row (names repeat across the two clouds).
fn selected(screen: &str) -> Option<String> {
    rows(screen).into_iter().find(|r| r.selected).map(|r| r.id)
}

#[test]
fn a_click_selects_the_row_and_the_wheel_moves_on() {
    let sandbox = Sandbox::new(&format!("mouse = true\n{}", config_toml(0.0)));
    let env = sandbox.env();
    let argv = hytop_argv(&sandbox, &[]);
    let t = Tmux::start("mouse", sandbox, &env, &argv);
    let screen = wait_listed(&t);
    assert_eq!(t.display(MODES), "11", "mouse capture is on:\n{screen}");

    // The last row: the first one is selected at the start.
    let ids: Vec<String> = rows(&screen).into_iter().map(|r| r.id).collect();
    let target = ids.last().cloned().expect("listed");
    assert_ne!(selected(&screen).as_ref(), Some(&target), "{screen}");
    let y = line_of(&screen, &target);
    report(&t, 0, 30, y, 'M');
    report(&t, 0, 30, y, 'm');
    let screen = t.wait_until(&format!("{target} selected by the click"), |s| {
        selected(s).as_deref() == Some(target.as_str())
    });

    // The wheel (button 64 up, 65 down) moves the selection a row a step.
    let ids: Vec<String> = rows(&screen).into_iter().map(|r| r.id).collect();
    let at = ids.iter().position(|id| *id == target).expect("listed");
    let above = ids[at.checked_sub(1).expect("not the first row")].clone();
    report(&t, 64, 30, y, 'M');
    t.wait_until(&format!("{above} selected by the wheel"), |s| {
        selected(s).as_deref() == Some(above.as_str())
    });
}

#[test]
fn without_mouse_the_terminal_keeps_its_mouse() {
    let t = start_hytop("nomouse", 0.0, &[]);
    let screen = wait_listed(&t);
    assert_eq!(t.display(MODES), "00", "no mouse mode:\n{screen}");
}
