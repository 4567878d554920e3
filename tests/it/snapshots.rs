//! Screen snapshots of the main views, rendered with ratatui's TestBackend.

use hytop::dashboard::action::Action;
use hytop::dashboard::command::Command;
use hytop::dashboard::keymap::Keymap;
use hytop::dashboard::model::{AppState, ConsoleView, InstanceKey};
use hytop::dashboard::overlays::{LaunchPopup, Overlay};
use hytop::dashboard::update::update;
use hytop::dashboard::view::{self, Theme};
use hytop::testutil::{fixed_now, fleet_state};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

const COLOR: Theme = Theme { color: true };

fn render(state: &mut AppState, width: u16, height: u16, theme: Theme) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| view::draw(f, state, &theme))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row, trailing blanks trimmed.
fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn screen(state: &mut AppState) -> String {
    text(&render(state, 120, 36, COLOR))
}

#[test]
fn table_with_detail_and_sparklines() {
    let mut state = fleet_state();
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn marked_rows_and_filter() {
    let mut state = fleet_state();
    update(&mut state, Action::Run(Command::Mark));
    update(&mut state, Action::Run(Command::Mark));
    state.filter = "web".into();
    state.rebuild_view();
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn console_view() {
    let mut state = fleet_state();
    let mut view = ConsoleView::new(
        InstanceKey {
            cloud: 0,
            id: "i-0a1b2c3d4e5f60718".into(),
        },
        "web-1".into(),
    );
    view.fetched_at = Some(fixed_now());
    let log: String = (0..60)
        .map(|i| format!("[   {i:>3}.000000] boot step {i}\n"))
        .collect::<String>()
        + "Cloud-init v. 23.4 finished\nweb-1 login:\n";
    view.search = Some("cloud-init".into());
    view.set_text(&log);
    state.console = Some(view);
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn launch_popup() {
    let mut state = fleet_state();
    let popup = LaunchPopup::new(&state.config.templates, 0);
    state.overlay = Some(Overlay::Launch(Box::new(popup)));
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn terminate_confirmation_names_instances() {
    let mut state = fleet_state();
    update(&mut state, Action::Run(Command::Mark));
    update(&mut state, Action::Run(Command::Mark));
    update(&mut state, Action::Run(Command::Terminate));
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn help_lists_bindings() {
    let mut state = fleet_state();
    update(&mut state, Action::Run(Command::Help));
    insta::assert_snapshot!(text(&render(&mut state, 120, 60, COLOR)));
}

#[test]
fn public_ip_popup() {
    let mut state = fleet_state();
    update(&mut state, Action::Run(Command::Bottom));
    update(&mut state, Action::Run(Command::PublicIp));
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn cloud_in_error() {
    let mut state = fleet_state();
    state.clouds[2].error =
        Some("SimulatedFailure: simulated outage of lab (failure_rate 1.00)".into());
    state.clouds[1].refreshing = Some(99);
    insta::assert_snapshot!(screen(&mut state));
}

/// The fleet with the name DescribeImages gave web-1's AMI (the selected row).
fn named_image() -> AppState {
    let mut state = fleet_state();
    let mut list = state.instances[0].clone();
    for i in &mut list {
        if i.name == "web-1" {
            i.image = "ami-0694d931cee176e7d".into();
            i.image_name = Some("ubuntu-22.04-lab".into());
        }
    }
    state.set_instances(0, list);
    state
}

#[test]
fn detail_pane_names_the_image() {
    let mut state = named_image();
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn describe_view_names_the_image() {
    let mut state = named_image();
    update(&mut state, Action::Run(Command::Describe));
    insta::assert_snapshot!(screen(&mut state));
}

/// forgotten-db, old, is made idle too (an hour at 1 % CPU): the detail
/// pane names the first reason and the other, the describe view both whole.
#[test]
fn describe_view_lists_every_flag_in_full() {
    let mut state = fleet_state();
    let row = (0..state.view.len())
        .find(|&r| state.row(r).is_some_and(|(_, i)| i.name == "forgotten-db"))
        .expect("forgotten-db listed");
    state.select_row(row);
    let key = state.selected.clone().expect("selected");
    state.metrics.insert(
        key.clone(),
        hytop::domain::model::InstanceMetrics {
            cpu: hytop::testutil::series(60, 60, 1.0, 0.0),
            ..Default::default()
        },
    );
    state.recompute_costs();
    let flags = state.assessment(&key).map_or(0, |a| a.flags.len());
    assert!(
        flags > 1,
        "flagged more than once: {:?}",
        state.assessment(&key)
    );
    let detail = screen(&mut state);
    update(&mut state, Action::Run(Command::Describe));
    let describe = screen(&mut state);
    assert_eq!(
        describe.matches("! flagged").count(),
        flags + 1,
        "{describe}"
    );
    insta::assert_snapshot!(format!("{detail}\n{describe}"));
}

#[test]
fn too_small_terminal() {
    let mut state = fleet_state();
    insta::assert_snapshot!(text(&render(&mut state, 50, 10, COLOR)));
}

#[test]
fn no_color_uses_no_colours() {
    let mut state = fleet_state();
    let buffer = render(&mut state, 120, 36, Theme { color: false });
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{:?}", cell);
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{:?}", cell);
    }
    // States stay readable without colour.
    let shown = text(&buffer);
    for word in [
        "● running",
        "◔ pending",
        "◑ stopping",
        "○ stopped",
        "✕ terminated",
        "! error",
    ] {
        assert!(shown.contains(word), "missing {word}");
    }
}

#[test]
fn addresses_popup() {
    let mut state = fleet_state();
    update(&mut state, Action::Run(Command::Addresses));
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn flagged_rows_with_the_forgotten_filter() {
    let mut state = fleet_state();
    // Select the flagged row, so the detail pane gives its reasons.
    update(&mut state, Action::Run(Command::Forgotten));
    insta::assert_snapshot!(screen(&mut state));
}

#[test]
fn quit_reminder_lists_running_instances() {
    let mut state = fleet_state();
    state.launched.insert(InstanceKey {
        cloud: 0,
        id: "i-0a1b2c3d4e5f60718".into(),
    });
    update(&mut state, Action::Run(Command::Quit));
    assert!(matches!(state.overlay, Some(Overlay::QuitReminder(_))));
    insta::assert_snapshot!(screen(&mut state));
}

/// The screen column where `needle` starts on row `y`, if it is there.
fn column_of(buffer: &Buffer, y: u16, needle: &str) -> Option<u16> {
    let width = buffer.area.width;
    (0..width).find(|&x| {
        let rest: String = (x..width).map(|x| buffer[(x, y)].symbol()).collect();
        rest.starts_with(needle)
    })
}

/// The rows on which `needle` appears.
fn rows_with(buffer: &Buffer, needle: &str) -> Vec<u16> {
    (0..buffer.area.height)
        .filter(|&y| column_of(buffer, y, needle).is_some())
        .collect()
}

#[test]
fn cjk_and_emoji_names_line_up() {
    let mut state = fleet_state();
    let mut list = state.instances[0].clone();
    for inst in &mut list {
        match inst.id.as_str() {
            "i-0a1b2c3d4e5f60718" => inst.name = "ウェブサーバー".into(),
            "i-0123456789abcdef0" => inst.name = "🚀 ロケット 🚀 発射台".into(),
            _ => {}
        }
    }
    state.set_instances(0, list);
    let ids = [
        "i-0a1b2c3d4e5f60718",
        "i-0123456789abcdef0",
        "i-0fedcba9876543210",
    ];

    // The table: every column after the name starts where the header says.
    let buffer = render(&mut state, 120, 36, COLOR);
    let header = rows_with(&buffer, "STATE")[0];
    let state_x = column_of(&buffer, header, "STATE").expect("STATE column");
    for id in ids {
        let y = rows_with(&buffer, id)[0];
        let x = column_of(&buffer, y, id).expect("id");
        assert_eq!(
            Some(x),
            column_of(&buffer, header, "ID"),
            "{id} under ID\n{}",
            text(&buffer)
        );
        let symbol = buffer[(state_x, y)].symbol().to_string();
        assert!(
            ["●", "◔"].contains(&symbol.as_str()),
            "{id}: the state starts under STATE, found {symbol:?}\n{}",
            text(&buffer)
        );
    }

    // The terminate question: the ids form one column.
    for name in ["ウェブサーバー", "🚀 ロケット 🚀 発射台", "forgotten-db"] {
        let row = (0..state.view.len())
            .find(|&r| state.row(r).is_some_and(|(_, i)| i.name == name))
            .expect("shown");
        state.select_row(row);
        update(&mut state, Action::Run(Command::Mark));
    }
    update(&mut state, Action::Run(Command::Terminate));
    let buffer = render(&mut state, 120, 36, COLOR);
    let columns: Vec<Option<u16>> = ids
        .iter()
        .map(|id| {
            let y = *rows_with(&buffer, id).last().expect("listed");
            column_of(&buffer, y, id)
        })
        .collect();
    assert!(
        columns.iter().all(|c| c.is_some() && *c == columns[0]),
        "{columns:?}\n{}",
        text(&buffer)
    );

    // The quit reminder: the cloud labels form one column.
    state.overlay = None;
    for id in ids {
        state.launched.insert(InstanceKey {
            cloud: 0,
            id: id.into(),
        });
    }
    update(&mut state, Action::Run(Command::Quit));
    let buffer = render(&mut state, 120, 36, COLOR);
    let labels: Vec<Option<u16>> = rows_with(&buffer, "launched now")
        .into_iter()
        .map(|y| column_of(&buffer, y, "demo-aws/eu-west-1"))
        .collect();
    assert!(labels.len() >= 3, "{}", text(&buffer));
    assert!(
        labels.iter().all(|c| *c == labels[0]),
        "{labels:?}\n{}",
        text(&buffer)
    );
}

#[test]
fn popups_name_the_keys_as_remapped() {
    let mut state = fleet_state();
    let mut keymap = Keymap::default_keymap().expect("default keymap");
    keymap.merge(
        Keymap::parse("[confirm]\ny = \"none\"\nY = \"confirm\"\n", "keymap.toml")
            .expect("user keymap"),
    );
    state.keymap = keymap;
    update(&mut state, Action::Run(Command::Terminate));
    let shown = screen(&mut state);
    assert!(
        shown.contains("Y terminate these    n / Esc keep them"),
        "{shown}"
    );
    assert!(!shown.contains("y terminate these"), "{shown}");
}

#[test]
fn help_from_the_console_shows_the_console_keys_first() {
    let mut state = fleet_state();
    state.console = Some(ConsoleView::new(
        InstanceKey {
            cloud: 0,
            id: "i-0a1b2c3d4e5f60718".into(),
        },
        "web-1".into(),
    ));
    update(&mut state, Action::Run(Command::Help));
    let buffer = render(&mut state, 120, 60, COLOR);
    let title = rows_with(&buffer, "Help — keys from keymap.toml")[0];
    let x = column_of(&buffer, title + 1, "Console log").expect("first section");
    assert!(x > 0, "{}", text(&buffer));
    let shown = text(&buffer);
    let console = shown.find("Console log").expect("console section");
    let table = shown.find("Instance table").expect("table section");
    assert!(console < table, "{shown}");
}

/// The footer row and the cursor after drawing `state` at `width`×`height`.
fn prompt_line(state: &mut AppState, width: u16, height: u16) -> (String, u16) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| view::draw(f, state, &COLOR))
        .expect("draw");
    let cursor = terminal.get_cursor_position().expect("cursor");
    let buffer = terminal.backend().buffer().clone();
    let y = height - 1;
    assert_eq!(cursor.y, y, "the cursor is on the prompt");
    // The row as shown: the cell after a wide character is covered by it.
    let mut line = String::new();
    let mut x = 0;
    while x < width {
        let symbol = buffer[(x, y)].symbol();
        line.push_str(symbol);
        x += hytop::dashboard::view::text::width(symbol).max(1) as u16;
    }
    // The cell under the cursor is the drawn block cursor.
    let x = cursor.x;
    assert!(
        x < width,
        "the cursor at {x} is off the {width}-column screen"
    );
    assert_eq!(
        buffer[(x, y)].symbol(),
        "█",
        "the cursor is drawn at {x}: {line}"
    );
    (line, x)
}

/// A filter longer than the prompt line scrolls: the end being typed and
/// the cursor stay in view, the cut start is marked with "…", and wide
/// characters are never split.
#[test]
fn a_long_filter_keeps_the_cursor_in_view() {
    for width in [60, 80, 120] {
        let mut state = fleet_state();
        update(&mut state, Action::Run(Command::Filter));
        let typed: String = (0..100).map(|i| format!("<{i:03}>")).collect();
        update(&mut state, Action::Paste(typed.clone()));
        let (line, x) = prompt_line(&mut state, width, 15);
        assert!(
            line.starts_with("/…") && line.contains("<098><099>█"),
            "the end of the filter is shown at {width} columns: {line:?}"
        );
        let before = line.split('█').next().unwrap_or_default();
        assert_eq!(
            x as usize,
            hytop::dashboard::view::text::width(before),
            "the cursor is where the block is drawn: {line:?}"
        );
        assert_eq!(state.filter, typed, "the filter is the whole text");

        // Wide characters: two columns each, never half of one.
        let mut state = fleet_state();
        update(&mut state, Action::Run(Command::Filter));
        let wide = "ウェブサーバー".repeat(10) + "終";
        update(&mut state, Action::Paste(wide.clone()));
        let (line, x) = prompt_line(&mut state, width, 15);
        let shown = line.trim_end();
        assert!(shown.starts_with("/…"), "{shown:?}");
        let before_cursor: String = shown
            .trim_start_matches('/')
            .trim_start_matches('…')
            .chars()
            .take_while(|c| *c != '█')
            .collect();
        assert!(
            wide.ends_with(&before_cursor) && before_cursor.ends_with('終'),
            "a whole tail of the text before the cursor: {shown:?}"
        );
        // TestBackend keeps a wide character in one cell and blanks the next.
        let columns = 2 + hytop::dashboard::view::text::width(&before_cursor);
        assert_eq!(x as usize, columns, "{shown:?}");
    }
}

// ---------------------------------------------------------------------------
// Questions at every size: the count, every id in full (or how many more
// there are), the keys.

/// The fleet and three more OpenStack servers (a wide CJK name, a long
/// name): 12 live instances, all marked.
fn twelve_marked() -> AppState {
    let mut state = fleet_state();
    let mut lab = state.instances[2].clone();
    for (id, name) in [
        (
            "0b8f7c4e-2a6d-4f1b-9e3c-7d5a1f2b3c4d",
            "データベースサーバー本番環境",
        ),
        (
            "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f",
            "a-very-long-instance-name-of-the-load-test-cluster",
        ),
        ("8e9f0a1b-2c3d-4e5f-9a6b-7c8d9e0f1a2b", "cache"),
    ] {
        lab.push(hytop::testutil::server(id, name, "ACTIVE"));
    }
    state.set_instances(2, lab);
    update(&mut state, Action::Run(Command::MarkAll));
    assert_eq!(state.targets().len(), 13, "12 live and one terminated");
    state
}

/// The ids and names of the 12 live instances.
fn live(state: &AppState) -> Vec<(String, String)> {
    state
        .targets()
        .into_iter()
        .filter(|t| t.state != hytop::domain::model::InstanceState::Terminated)
        .map(|t| (t.key.id, t.name))
        .collect()
}

/// The lines inside the popup titled `title` (without its borders, the
/// cell a wide character covers left out), checking that its borders are
/// whole: nothing runs off it.
fn popup_lines(buffer: &Buffer, title: &str) -> Option<Vec<String>> {
    let area = buffer.area;
    let head = format!("┌ {title}");
    let (top, left) = (0..area.height).find_map(|y| column_of(buffer, y, &head).map(|x| (y, x)))?;
    let right = (left + 1..area.width).find(|&x| buffer[(x, top)].symbol() == "┐")?;
    let mut lines = Vec::new();
    for y in top + 1..area.height {
        if buffer[(left, y)].symbol() == "└" {
            assert_eq!(buffer[(right, y)].symbol(), "┘", "the bottom right corner");
            return Some(lines);
        }
        assert_eq!(buffer[(left, y)].symbol(), "│", "the left border, row {y}");
        assert_eq!(
            buffer[(right, y)].symbol(),
            "│",
            "the right border, row {y}"
        );
        let mut line = String::new();
        let mut x = left + 1;
        while x < right {
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            x += hytop::dashboard::view::text::width(symbol).max(1) as u16;
        }
        lines.push(line.trim_end().to_string());
    }
    panic!("the {title:?} popup has no bottom border");
}

/// Checks the popup titled `title`: it says `count`, lists each of
/// `things` (id, name) with its id whole and its name whole or cut with
/// "…", or counts it in a "… and N more" / "N above" line, and shows
/// `keys`. Returns the ids it shows.
fn check_question(
    buffer: &Buffer,
    title: &str,
    count: &str,
    things: &[(String, String)],
    keys: &[&str],
    size: (u16, u16),
) -> Vec<String> {
    let screen = text(buffer);
    let lines = popup_lines(buffer, title)
        .unwrap_or_else(|| panic!("no {title:?} popup at {size:?}:\n{screen}"));
    let shown_popup = lines.join("\n");
    let joined = lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains(count),
        "{count:?} at {size:?}:\n{shown_popup}"
    );
    for key in keys {
        assert!(
            joined.contains(key),
            "the keys {key:?} at {size:?}:\n{shown_popup}"
        );
    }
    let mut shown = Vec::new();
    for (id, name) in things {
        let Some(line) = lines.iter().find(|l| l.contains(id.as_str())) else {
            continue;
        };
        shown.push(id.clone());
        let start: String = name.chars().take(2).collect();
        assert!(
            line.contains(name.as_str()) || line.contains(&start) && line.contains('…'),
            "{name:?} whole or cut with … next to {id} at {size:?}:\n{shown_popup}"
        );
    }
    // A cut id would show as a prefix followed by "…".
    for word in joined.split_whitespace() {
        let id_like = word.starts_with("i-0") || word.chars().nth(8) == Some('-');
        assert!(
            !id_like || !word.ends_with('…'),
            "a cut id {word:?} at {size:?}:\n{shown_popup}"
        );
    }
    let hidden = things.len() - shown.len();
    if hidden > 0 {
        let number_before = |what: &str| -> usize {
            joined
                .split(what)
                .next()
                .and_then(|before| before.split_whitespace().last())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let above = if joined.contains(" above") {
            number_before(" above")
        } else {
            0
        };
        let more = if joined.contains(" more") {
            number_before(" more")
        } else {
            0
        };
        assert_eq!(
            above + more,
            hidden,
            "the popup counts the {hidden} it does not show at {size:?}:\n{shown_popup}"
        );
        assert!(
            joined.contains("(j/k)") || joined.contains("(↓/↑)"),
            "the scroll keys at {size:?}:\n{shown_popup}"
        );
    }
    shown
}

const SIZES: [(u16, u16); 12] = [
    (60, 15),
    (60, 16),
    (61, 20),
    (64, 15),
    (70, 18),
    (80, 24),
    (90, 15),
    (100, 30),
    (120, 36),
    (120, 40),
    (150, 20),
    (200, 50),
];

#[test]
fn terminate_question_names_every_id_at_every_size() {
    for (w, h) in SIZES {
        let mut state = twelve_marked();
        update(
            &mut state,
            Action::Resize {
                width: w,
                height: h,
            },
        );
        update(&mut state, Action::Run(Command::Terminate));
        let things = live(&state);
        let mut seen: Vec<String> = Vec::new();
        // Scrolling with j shows every id, each in full.
        for _ in 0..things.len() {
            let buffer = render(&mut state, w, h, COLOR);
            for id in check_question(
                &buffer,
                "Terminate",
                "Terminate 12 instance(s)?",
                &things,
                &["y terminate these", "n / Esc keep them"],
                (w, h),
            ) {
                if !seen.contains(&id) {
                    seen.push(id);
                }
            }
            update(&mut state, Action::Key(key_event('j')));
        }
        assert_eq!(seen.len(), 12, "j shows every id at {w}×{h}: {seen:?}");
        // k scrolls back to the first.
        for _ in 0..things.len() {
            update(&mut state, Action::Key(key_event('k')));
        }
        let screen = text(&render(&mut state, w, h, COLOR));
        assert!(screen.contains(&things[0].0), "back at the top:\n{screen}");
    }
}

#[test]
fn quit_reminder_names_every_id_at_every_size() {
    for (w, h) in SIZES {
        let mut state = twelve_launched();
        let things: Vec<(String, String)> = state
            .quit_reminder()
            .into_iter()
            .map(|r| (r.target.key.id, r.target.name))
            .collect();
        let n = things.len();
        assert!(n >= 10, "{things:?}");
        update(
            &mut state,
            Action::Resize {
                width: w,
                height: h,
            },
        );
        update(&mut state, Action::Run(Command::Quit));
        let buffer = render(&mut state, w, h, COLOR);
        check_question(
            &buffer,
            "Quit?",
            &format!("{n} instance(s) still running"),
            &things,
            &[
                "t terminate them",
                "q keep them and quit",
                "Esc stay in hytop",
            ],
            (w, h),
        );
        update(&mut state, Action::Key(key_event('t')));
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..things.len() {
            let buffer = render(&mut state, w, h, COLOR);
            for id in check_question(
                &buffer,
                "Quit?",
                &format!("Terminate these {n}?"),
                &things,
                &["y terminate and quit", "n / Esc back"],
                (w, h),
            ) {
                if !seen.contains(&id) {
                    seen.push(id);
                }
            }
            update(&mut state, Action::Key(key_event('j')));
        }
        assert_eq!(seen.len(), n, "j shows every id at {w}×{h}: {seen:?}");
    }
}

/// [`twelve_marked`] with the 12 launched in this session instead of marked.
fn twelve_launched() -> AppState {
    let mut state = twelve_marked();
    let keys: Vec<InstanceKey> = state
        .targets()
        .into_iter()
        .filter(|t| t.state != hytop::domain::model::InstanceState::Terminated)
        .map(|t| t.key)
        .collect();
    state.marks.clear();
    state.launched.extend(keys);
    state
}

#[test]
fn release_question_names_the_address_at_every_size() {
    for (w, h) in SIZES {
        let mut state = fleet_state();
        state.clouds[2].addresses[1].id = "7a1c9e3b-5d2f-4b8a-9c6e-1f3d5b7a9c2e".into();
        update(
            &mut state,
            Action::Resize {
                width: w,
                height: h,
            },
        );
        update(&mut state, Action::Run(Command::Addresses));
        update(&mut state, Action::Key(key_event('j')));
        update(&mut state, Action::Key(key_event('R')));
        let buffer = render(&mut state, w, h, COLOR);
        let things = [(
            "7a1c9e3b-5d2f-4b8a-9c6e-1f3d5b7a9c2e".to_string(),
            "198.51.100.40".to_string(),
        )];
        let shown = check_question(
            &buffer,
            "Release",
            "Release 1 address",
            &things,
            &["y release", "n / Esc keep"],
            (w, h),
        );
        assert_eq!(shown.len(), 1, "{}", text(&buffer));
    }
}

#[test]
fn terminate_twelve_at_the_minimum_size() {
    let mut state = twelve_marked();
    update(
        &mut state,
        Action::Resize {
            width: 60,
            height: 15,
        },
    );
    update(&mut state, Action::Run(Command::Terminate));
    insta::assert_snapshot!(text(&render(&mut state, 60, 15, COLOR)));
}

#[test]
fn terminate_twelve_at_80_by_24() {
    let mut state = twelve_marked();
    update(
        &mut state,
        Action::Resize {
            width: 80,
            height: 24,
        },
    );
    update(&mut state, Action::Run(Command::Terminate));
    insta::assert_snapshot!(text(&render(&mut state, 80, 24, COLOR)));
}

#[test]
fn quit_reminder_twelve_at_the_minimum_size() {
    let mut state = twelve_launched();
    update(
        &mut state,
        Action::Resize {
            width: 60,
            height: 15,
        },
    );
    update(&mut state, Action::Run(Command::Quit));
    update(&mut state, Action::Key(key_event('t')));
    insta::assert_snapshot!(text(&render(&mut state, 60, 15, COLOR)));
}

fn key_event(c: char) -> crossterm::event::KeyEvent {
    let modifiers = if c.is_uppercase() {
        crossterm::event::KeyModifiers::SHIFT
    } else {
        crossterm::event::KeyModifiers::NONE
    };
    crossterm::event::KeyEvent::new(crossterm::event::KeyCode::Char(c), modifiers)
}

/// The public IP popup asks about one instance: at 60×15 it still names
/// it by its whole id and shows its keys, however long the name.
#[test]
fn public_ip_popup_at_the_minimum_size_keeps_the_id_and_keys() {
    let mut state = twelve_marked();
    state.marks.clear();
    let name = "a-very-long-instance-name-of-the-load-test-cluster";
    let row = (0..state.view.len())
        .find(|&r| state.row(r).is_some_and(|(_, i)| i.name == name))
        .expect("listed");
    state.select_row(row);
    update(
        &mut state,
        Action::Resize {
            width: 60,
            height: 15,
        },
    );
    update(&mut state, Action::Run(Command::PublicIp));
    let buffer = render(&mut state, 60, 15, COLOR);
    let lines = popup_lines(&buffer, "Public IP").expect("the popup");
    let joined = lines.join(" ");
    for shown in [
        "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f",
        "198.51.100.40",
        "a / Enter attach a floating IP",
        "Esc cancel",
    ] {
        assert!(joined.contains(shown), "{shown:?}:\n{}", lines.join("\n"));
    }
}

/// The doctor as its answers arrive: two checks answered, the rest asking.
#[test]
fn doctor_popup_fills_in_as_answers_arrive() {
    use hytop::dashboard::action::{Request, Response};
    use hytop::dashboard::effect::Effect;
    use hytop::doctor::{Check, Finding};
    let mut state = fleet_state();
    let fx = update(&mut state, Action::Run(Command::Doctor));
    let asked: Vec<(u64, Check)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                id,
                request: Request::Doctor { check, .. },
                ..
            } => Some((*id, *check)),
            _ => None,
        })
        .collect();
    assert_eq!(
        asked.len(),
        Check::AT_ONCE.len(),
        "every check but the probe"
    );
    let answer = |check: Check| -> Finding {
        match check {
            Check::State => Finding::pass(check, "running; system and instance reachability checks passed"),
            Check::SecurityGroups => Finding::fail(
                check,
                "no rule of default allows 22/tcp from outside",
            )
            .with_fix("add a rule, e.g. aws ec2 authorize-security-group-ingress --region eu-west-1 --group-id sg-0abc --protocol tcp --port 22 --cidr 0.0.0.0/0"),
            _ => Finding::unknown(check, "unused"),
        }
    };
    for (id, check) in asked {
        if matches!(check, Check::State | Check::SecurityGroups) {
            update(
                &mut state,
                Action::Response {
                    cloud: 0,
                    request: id,
                    response: Response::Doctor {
                        instance_id: "i-0a1b2c3d4e5f60718".into(),
                        finding: answer(check),
                    },
                },
            );
        }
    }
    // A stale answer (another request id) changes nothing.
    update(
        &mut state,
        Action::Response {
            cloud: 0,
            request: 9_999,
            response: Response::Doctor {
                instance_id: "i-0a1b2c3d4e5f60718".into(),
                finding: Finding::fail(Check::Key, "stale"),
            },
        },
    );
    let shown = screen(&mut state);
    assert!(!shown.contains("stale"), "{shown}");
    insta::assert_snapshot!(shown);
}

/// The header names every shown endpoint: six lines, then one naming the
/// rest; a hidden endpoint is not among them.
#[test]
fn the_header_names_every_shown_endpoint() {
    use hytop::cloud::endpoints::Endpoint;
    use hytop::domain::model::CloudKind;
    let mut state = fleet_state();
    for region in [
        "ap-south-1",
        "eu-central-1",
        "us-west-2",
        "sa-east-1",
        "ca-central-1",
    ] {
        state.add_cloud(Endpoint {
            cloud: "demo-aws".into(),
            label: format!("demo-aws/{region}"),
            kind: CloudKind::Aws,
            region: region.into(),
            simulated: true,
        });
    }
    state.remove_cloud(1);
    let shown = screen(&mut state);
    let header: Vec<&str> = shown.lines().take(8).collect();
    assert!(header[1].contains("demo-aws/eu-west-1"), "{shown}");
    assert!(!shown.contains("demo-aws/us-east-1"), "hidden: {shown}");
    assert!(header[6].contains("demo-aws/sa-east-1"), "{shown}");
    assert_eq!(
        header[7].trim(),
        "+ 1 more: demo-aws/ca-central-1",
        "{shown}"
    );
    assert!(
        header.iter().take(7).skip(1).all(|l| !l.contains('┌')),
        "{shown}"
    );
}
