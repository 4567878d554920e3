use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use super::{Areas, TableRows};
use crate::dashboard::action::{Action, Request};
use crate::dashboard::clipboard::osc52;
use crate::dashboard::command::Command;
use crate::dashboard::effect::Effect;
use crate::dashboard::model::{AppState, ConsoleView};
use crate::dashboard::overlays::{CopyPopup, Overlay, TerminatePopup};
use crate::dashboard::update::update;
use crate::dashboard::view::{self, Theme};
use crate::testutil::fleet_state;

fn mouse_state() -> AppState {
    let mut state = fleet_state();
    state.config.mouse = true;
    state
}

fn event(kind: MouseEventKind, column: u16, row: u16) -> Action {
    Action::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(state: &mut AppState, column: u16, row: u16) -> Vec<Effect> {
    update(
        state,
        event(MouseEventKind::Down(MouseButton::Left), column, row),
    )
}

/// Draws the screen as the terminal would, recording the clickable areas;
/// returns its lines.
fn draw(state: &mut AppState) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(state.width, state.height)).expect("tty");
    terminal
        .draw(|f| view::draw(f, state, &Theme { color: false }))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect()
        })
        .collect()
}

/// The row and column where `text` is drawn.
fn find(lines: &[String], text: &str) -> (u16, u16) {
    for (y, line) in lines.iter().enumerate() {
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count();
            return (u16::try_from(x).expect("x"), u16::try_from(y).expect("y"));
        }
    }
    panic!("{text:?} not on the screen:\n{}", lines.join("\n"))
}

fn selected_name(state: &AppState) -> String {
    state
        .selected_instance()
        .map(|(_, i)| i.name.clone())
        .unwrap_or_default()
}

#[test]
fn a_click_selects_the_row_drawn_there_given_the_offset() {
    let mut state = mouse_state();
    assert!(state.view.len() >= 8);
    // Rows 3.. drawn from line 10 on: line 12 shows row 5.
    state.mouse = Areas {
        table: Some(TableRows {
            area: Rect::new(1, 10, 100, 5),
            first: 3,
        }),
        popup: Vec::new(),
    };
    click(&mut state, 40, 12);
    assert_eq!(state.cursor, 5);
    assert_eq!(state.selected, state.row(5).map(|(k, _)| k));
    assert!(state.selection_chosen);
}

#[test]
fn a_click_on_a_drawn_row_selects_its_instance() {
    let mut state = mouse_state();
    let lines = draw(&mut state);
    let (x, y) = find(&lines, "batch-worker");
    assert_ne!(selected_name(&state), "batch-worker");
    click(&mut state, x, y);
    assert_eq!(selected_name(&state), "batch-worker");

    // Scrolled: the table of a short screen shows a window of the rows.
    state.height = 16;
    state.select_row(usize::MAX);
    let lines = draw(&mut state);
    assert!(state.offset > 0, "scrolled to the last row");
    let name = state.row(state.offset).map(|(_, i)| i.name.clone());
    let name = name.expect("a first drawn row");
    let (x, y) = find(&lines, &format!(" {name} "));
    click(&mut state, x, y);
    assert_eq!(state.cursor, state.offset);
    assert_eq!(selected_name(&state), name);
}

#[test]
fn clicks_outside_the_rows_do_nothing() {
    let mut state = mouse_state();
    let lines = draw(&mut state);
    let before = (state.cursor, state.selected.clone());
    let (x, header) = find(&lines, "NAME");
    let rows = state.mouse.table.expect("the table was drawn");
    let below = rows.area.bottom();
    for (x, y) in [(x, header), (x, header - 1), (x, below), (0, rows.area.y)] {
        let fx = click(&mut state, x, y);
        assert!(fx.is_empty(), "{fx:?}");
        assert_eq!((state.cursor, state.selected.clone()), before, "({x}, {y})");
    }
}

#[test]
fn without_mouse_in_the_config_events_change_nothing() {
    let mut state = fleet_state();
    assert!(!state.config.mouse);
    let lines = draw(&mut state);
    let (x, y) = find(&lines, "batch-worker");
    let before = state.cursor;
    click(&mut state, x, y);
    update(&mut state, event(MouseEventKind::ScrollDown, x, y));
    assert_eq!(state.cursor, before);
}

#[test]
fn the_wheel_moves_the_selection() {
    let mut state = mouse_state();
    state.select_row(0);
    draw(&mut state);
    update(&mut state, event(MouseEventKind::ScrollDown, 10, 10));
    update(&mut state, event(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(state.cursor, 2);
    update(&mut state, event(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(state.cursor, 1);
    assert_eq!(state.selected, state.row(1).map(|(k, _)| k));
    update(&mut state, event(MouseEventKind::ScrollUp, 10, 10));
    update(&mut state, event(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(state.cursor, 0, "the first row stops the wheel");
    // Motion and other buttons are not even sent by the input task.
    let moved = MouseEvent {
        kind: MouseEventKind::Moved,
        column: 1,
        row: 1,
        modifiers: KeyModifiers::NONE,
    };
    assert!(!super::wanted(&moved));
}

#[test]
fn the_wheel_scrolls_the_open_console() {
    let mut state = mouse_state();
    let (key, inst) = state.selected_instance().expect("a selection");
    let mut console = ConsoleView::new(key, inst.name.clone());
    let log: String = (0..100).map(|n| format!("line {n}\n")).collect();
    console.set_text(&log);
    state.console = Some(console);
    draw(&mut state);
    let bottom = state.console.as_ref().map(|c| c.top).expect("open");
    assert!(bottom > 10);
    update(&mut state, event(MouseEventKind::ScrollUp, 10, 10));
    let view = state.console.as_ref().expect("still open");
    assert_eq!(view.top, bottom - super::CONSOLE_LINES);
    assert!(!view.follow, "scrolling back pauses following");
    update(&mut state, event(MouseEventKind::ScrollDown, 10, 10));
    let view = state.console.as_ref().expect("still open");
    assert_eq!(view.top, bottom);
    // The table under it is not moved, and clicks do nothing there.
    let cursor = state.cursor;
    click(&mut state, 10, 10);
    assert_eq!(state.cursor, cursor);
    assert!(state.console.is_some());
}

#[test]
fn a_click_on_a_copy_choice_copies_it() {
    let mut state = mouse_state();
    let web = state
        .view
        .iter()
        .position(|&(c, i)| state.instances[c][i].name == "web-1");
    state.select_row(web.expect("web-1 listed"));
    CopyPopup::open(&mut state);
    let lines = draw(&mut state);
    let (x, y) = find(&lines, "private IP");
    // Beside the choices, inside the popup or not: nothing.
    let (title_x, title_y) = find(&lines, "Copy from web-1");
    assert!(click(&mut state, title_x, title_y).is_empty());
    assert!(click(&mut state, 0, y).is_empty());
    assert!(matches!(state.overlay, Some(Overlay::Copy(_))));

    let fx = click(&mut state, x + 20, y);
    let bytes = osc52("172.31.4.10").expect("short");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::WriteTerminal(b) if *b == bytes)),
        "{fx:?}"
    );
    assert_eq!(state.overlay, None, "the menu closes, as after Enter");
}

#[test]
fn a_click_on_an_answer_answers_the_question() {
    let mut state = mouse_state();
    TerminatePopup::open(&mut state);
    let lines = draw(&mut state);
    let (x, y) = find(&lines, "keep them");
    let fx = click(&mut state, x, y);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(state.overlay, None, "no is an answer too");

    TerminatePopup::open(&mut state);
    let lines = draw(&mut state);
    // The wheel scrolls nothing here (one target) and answers nothing.
    update(&mut state, event(MouseEventKind::ScrollDown, 10, 10));
    assert!(matches!(state.overlay, Some(Overlay::Terminate(_))));
    let (x, y) = find(&lines, "terminate these");
    let fx = click(&mut state, x, y);
    let id = state.selected.clone().map(|k| k.id).expect("a selection");
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Send { request: Request::Terminate(ids), .. } if *ids == vec![id.clone()]
        )),
        "{fx:?}"
    );
    assert_eq!(state.overlay, None);
}

#[test]
fn the_answer_areas_follow_the_drawn_hints() {
    let mut state = mouse_state();
    update(&mut state, Action::Run(Command::Stop));
    let lines = draw(&mut state);
    let areas = state.mouse.popup.clone();
    assert_eq!(areas.len(), 2, "{areas:?}");
    for (rect, _) in &areas {
        let line = &lines[usize::from(rect.y)];
        let shown: String = line
            .chars()
            .skip(usize::from(rect.x))
            .take(usize::from(rect.width))
            .collect();
        assert!(
            shown == "y stop these" || shown == "n / Esc cancel",
            "{shown:?} in {line:?}"
        );
    }
}

#[test]
fn a_click_on_a_template_picks_it() {
    let mut state = mouse_state();
    assert!(state.config.templates.len() >= 2);
    update(&mut state, Action::Run(Command::Launch));
    let second = state.config.templates[1].name.clone();
    let shown = crate::dashboard::view::text::truncate(&second, 24);
    let lines = draw(&mut state);
    let (x, y) = find(&lines, &shown);
    let fx = click(&mut state, x, y);
    let Some(Overlay::Launch(popup)) = &state.overlay else {
        panic!("the launch form stays open: {:?}", state.overlay);
    };
    assert_eq!(popup.template, 1);
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Send {
                request: Request::LaunchOptions,
                ..
            }
        )),
        "the new template's cloud is asked what it offers: {fx:?}"
    );
    // The form's own lines are not choices.
    let (x, y) = find(&lines, "count");
    assert!(click(&mut state, x, y).is_empty());
}

#[test]
fn a_click_on_a_region_shows_it() {
    use crate::cloud::Regions;
    use crate::dashboard::action::Response;
    let mut state = mouse_state();
    let mut fx = Vec::new();
    crate::dashboard::overlays::EndpointPicker::open_regions(&mut state, &mut fx);
    let request = match fx.as_slice() {
        [Effect::Send { id, .. }] => *id,
        other => panic!("expected the regions request, got {other:?}"),
    };
    let cloud = match fx.as_slice() {
        [Effect::Send { cloud, .. }] => *cloud,
        _ => unreachable!(),
    };
    update(
        &mut state,
        Action::Response {
            cloud,
            request,
            response: Response::Regions(Ok(Regions {
                all: vec!["ap-south-1".into(), "eu-west-1".into(), "us-east-1".into()],
                this: None,
            })),
        },
    );
    let lines = draw(&mut state);
    let (x, y) = find(&lines, "✓ us-east-1");
    let fx = click(&mut state, x, y);
    // us-east-1 is shown: a click hides it, as Enter on it would.
    assert!(fx.contains(&Effect::StopEndpoint(1)), "{fx:?}");
    assert!(!state.clouds[1].shown);
    let lines = draw(&mut state);
    let (x, y) = find(&lines, "ap-south-1");
    let fx = click(&mut state, x, y);
    assert!(
        fx.contains(&Effect::StartEndpoints {
            cloud: "demo-aws".into(),
            region: Some("ap-south-1".into()),
        }),
        "{fx:?}"
    );
}

#[test]
fn the_sweep_scrolls_to_the_selected_finding_and_a_click_adds_its_region() {
    use crate::dashboard::overlays::{FoundRegion, SweepFound, SweepPopup};
    use crossterm::event::{KeyCode, KeyEvent};
    let mut state = mouse_state();
    let regions: Vec<FoundRegion> = (0..12)
        .map(|i| FoundRegion {
            cloud: "demo-aws".into(),
            region: format!("xx-{i}"),
            label: format!("demo-aws/xx-{i}"),
            lines: (0..3)
                .map(|k| {
                    format!(
                        "demo-aws/xx-{i} stray-{k} i-0{i}{k} running: which hytop does not show"
                    )
                })
                .collect(),
        })
        .collect();
    state.last_sweep = Some(SweepFound {
        summary: "swept 13 regions in 1.0 s".into(),
        regions,
        errors: Vec::new(),
        at: state.now,
    });
    state.overlay = Some(SweepPopup::default().into());
    let lines = draw(&mut state);
    let screen = lines.join("\n");
    assert!(screen.contains("▶ demo-aws/xx-0 "), "{screen}");
    assert!(
        !screen.contains("demo-aws/xx-11 "),
        "more than fits: {screen}"
    );
    assert!(screen.contains("Enter"), "the hints stay drawn: {screen}");

    for _ in 0..11 {
        update(
            &mut state,
            Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
        );
    }
    let lines = draw(&mut state);
    let screen = lines.join("\n");
    assert!(
        screen.contains("▶ demo-aws/xx-11 "),
        "scrolled to it: {screen}"
    );
    assert!(!screen.contains("demo-aws/xx-0 "), "{screen}");

    let (x, y) = find(&lines, "demo-aws/xx-10 ");
    let fx = click(&mut state, x, y);
    assert_eq!(
        fx,
        [Effect::StartEndpoints {
            cloud: "demo-aws".into(),
            region: Some("xx-10".into()),
        }]
    );
    let Some(Overlay::Sweep(popup)) = &state.overlay else {
        panic!("the findings stay open");
    };
    assert_eq!(popup.selected, 10);
    // Outside the heads a click adds nothing.
    let (x, y) = find(&lines, "stray-1 i-0101");
    assert!(click(&mut state, x, y).is_empty());
}
