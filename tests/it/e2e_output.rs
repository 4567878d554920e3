//! What hytop writes to the terminal, byte for byte: tmux's `pipe-pane -O`
//! records the pane's output stream while hytop runs. Every frame is one
//! synchronized update (DEC mode 2026, begun and ended), and `y` sends the
//! selected id as an OSC 52 copy.

use std::time::{Duration, Instant};

use base64::Engine as _;
use hytop_testkit as support;

use support::tmux::{SESSION, Tmux, rows};

use super::e2e_tmux::{start_hytop, wait_listed};

const BEGIN: &str = "\x1b[?2026h";
const END: &str = "\x1b[?2026l";

/// Waits until the recorded output holds `done`, and returns it.
fn wait_output(
    t: &Tmux,
    path: &std::path::Path,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let start = Instant::now();
    loop {
        let bytes = std::fs::read(path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if done(&text) {
            return text;
        }
        if start.elapsed() > Duration::from_secs(20) {
            t.fail(
                &format!(
                    "waiting for {what} in the recorded output ({} bytes)",
                    bytes.len()
                ),
                &t.capture(),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn frames_are_synchronized_updates_and_y_copies_through_osc_52() {
    let t = start_hytop("output", 0.0, &[]);
    let screen = wait_listed(&t);
    let recorded = t.sandbox.path("output.bytes");
    t.run(&[
        "pipe-pane",
        "-O",
        "-t",
        SESSION,
        &format!("cat > '{}'", recorded.display()),
    ]);
    // A redraw after the recording started: the selection moves down.
    t.type_text("j");
    let selected = t.wait_until("the second row selected", |s| {
        rows(s).get(1).is_some_and(|r| r.selected)
    });
    let id = rows(&selected)[1].id.trim_end_matches('…').to_string();
    assert_ne!(
        rows(&screen).first().map(|r| r.id.clone()),
        Some(rows(&selected)[1].id.clone())
    );
    t.type_text("y");
    let out = wait_output(&t, &recorded, "an OSC 52 copy", |s| {
        s.contains("\x1b]52;c;")
    });

    // The copy: the whole id of the selected instance, base64 as OSC 52 has it.
    let start = out.find("\x1b]52;c;").expect("found") + "\x1b]52;c;".len();
    let len = out[start..].find('\x07').expect("the copy ends with BEL");
    let copied = base64::engine::general_purpose::STANDARD
        .decode(&out[start..start + len])
        .expect("base64");
    let copied = String::from_utf8(copied).expect("utf-8");
    assert!(copied.starts_with(&id), "copied {copied:?}, selected {id}");
    assert!(!copied.ends_with('…'), "the whole id, not the cut one");

    // Frames: each begun and ended once, never nested, and the table's
    // redraw inside one.
    // The recording may have started inside a frame: from the first begin.
    let from_begin = |s: &str| s.find(BEGIN).map(|at| s[at..].to_string());
    let out = wait_output(&t, &recorded, "the last frame ended", |s| {
        from_begin(s).is_some_and(|s| s.matches(BEGIN).count() == s.matches(END).count())
    });
    let out = from_begin(&out).expect("a frame");
    let out = out.as_str();
    let mut open = false;
    let mut frames = 0;
    let mut rest = out;
    while let Some(at) = [rest.find(BEGIN), rest.find(END)]
        .into_iter()
        .flatten()
        .min()
    {
        let begins = rest[at..].starts_with(BEGIN);
        assert_ne!(begins, open, "a frame begun twice or ended unbegun");
        open = begins;
        frames += usize::from(begins);
        rest = &rest[at + BEGIN.len()..];
    }
    assert!(!open, "the last frame ended");
    assert!(
        frames >= 2,
        "the move and the copy's status line: {frames} frames"
    );
    let outside: String = out
        .split(BEGIN)
        .map(|chunk| chunk.split_once(END).map_or(chunk, |(_, after)| after))
        .collect();
    // Between frames only the copy itself goes out.
    assert!(
        !outside.contains('│'),
        "drawing outside a frame: {outside:?}"
    );
}
