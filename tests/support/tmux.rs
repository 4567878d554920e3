//! The tmux harness of the end-to-end tests: the real `hytop` binary in a
//! real terminal.
//!
//! Every test starts its own tmux server (`tmux -L <unique socket>`) with one
//! 120×40 pane running one program, types keys into it with `send-keys` and
//! reads the screen back with `capture-pane`. A [`Sandbox`] holds hytop's
//! config and XDG directories, so nothing of the user's ~/.config or
//! ~/.local is read or written.
//!
//! Waiting is always "poll the screen until it shows X"; the deadline is a
//! hang guard, never a performance assertion. On a timeout the test fails
//! with the last screen and the tail of hytop's log.
//!
//! tmux must be installed (CI installs it); without it these tests fail with
//! a message saying so instead of passing silently.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;

pub const WIDTH: u16 = 120;
pub const HEIGHT: u16 = 40;
/// How long any one wait may take before the test is declared hung.
pub const DEADLINE: Duration = Duration::from_secs(20);
pub const POLL: Duration = Duration::from_millis(100);
/// How long a screen that matched waits to be captured again.
pub const SETTLE: Duration = Duration::from_millis(30);
/// The tmux session every test runs hytop in.
pub const SESSION: &str = "e2e";

/// Server options: keep a pane whose program exited (to read its status and
/// last screen), no status line (so the pane really is 120×40).
pub const TMUX_CONF: &str = "\
set -g remain-on-exit on
set -g status off
";

/// Fails the test unless tmux can be run.
pub fn require_tmux() {
    let out = Command::new("tmux").arg("-V").output();
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`tmux -V` failed ({}): these end-to-end tests need a working tmux\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "cannot run tmux ({e}): the end-to-end tests (tests/e2e_*.rs) drive hytop \
             in a real terminal and need tmux installed (e.g. `apt-get install tmux`; \
             .ci/run installs it)"
        ),
    }
}

/// A temporary home for one hytop run: config.toml, XDG dirs, tmux.conf.
pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    pub fn new(config: &str) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("hytop-e2e-")
            .tempdir()
            .expect("temporary directory");
        for sub in ["config", "data"] {
            fs::create_dir_all(dir.path().join(sub)).expect("xdg dir");
        }
        fs::write(dir.path().join("config.toml"), config).expect("write config.toml");
        Sandbox { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// Writes an executable shell script `name` (a fake ssh, say) and
    /// returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(name);
        fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write script");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod script");
        path
    }

    /// The environment hytop runs with.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("XDG_CONFIG_HOME", self.path("config")),
            ("XDG_DATA_HOME", self.path("data")),
        ]
    }

    /// The last lines of hytop's log, for failure reports.
    pub fn log_tail(&self) -> String {
        let log = self.path("data").join("hytop").join("hytop.log");
        match fs::read_to_string(&log) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(30)..].join("\n")
            }
            Err(e) => format!("({}: {e})", log.display()),
        }
    }
}

/// The pane's program: running, or exited (tmux's `#{pane_dead_status}`,
/// when tmux recorded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pane {
    Alive,
    Dead(Option<i32>),
}

/// One tmux server, with one session running one program.
pub struct Tmux {
    pub socket: String,
    pub conf: PathBuf,
    pub sandbox: Sandbox,
}

impl Tmux {
    /// Starts `argv` (with `env` added) in a new detached 120×40 session of
    /// a tmux server of its own. The program inherits the environment of
    /// the test (through the tmux server) plus `TERM` and `env`.
    pub fn start<V: AsRef<OsStr>>(
        test: &str,
        sandbox: Sandbox,
        env: &[(&str, V)],
        argv: &[String],
    ) -> Tmux {
        Tmux::start_with(test, sandbox, env, argv, false)
    }

    /// Like [`Tmux::start`], but the program's environment is exactly `TERM`,
    /// the test's `PATH` (and locale, if set) and `env` (`env -i`): nothing
    /// else of the test's environment (say `AWS_PROFILE`) reaches it.
    pub fn start_isolated<V: AsRef<OsStr>>(
        test: &str,
        sandbox: Sandbox,
        env: &[(&str, V)],
        argv: &[String],
    ) -> Tmux {
        Tmux::start_with(test, sandbox, env, argv, true)
    }

    fn start_with<V: AsRef<OsStr>>(
        test: &str,
        sandbox: Sandbox,
        env: &[(&str, V)],
        argv: &[String],
        isolated: bool,
    ) -> Tmux {
        require_tmux();
        let conf = sandbox.path("tmux.conf");
        fs::write(&conf, TMUX_CONF).expect("write tmux.conf");
        let tmux = Tmux {
            socket: format!("hytop-e2e-{}-{test}", std::process::id()),
            conf,
            sandbox,
        };
        let mut args: Vec<String> = [
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &WIDTH.to_string(),
            "-y",
            &HEIGHT.to_string(),
            "env",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if isolated {
            args.push("-i".to_string());
            for inherited in ["PATH", "LANG", "LC_ALL", "LC_CTYPE"] {
                if let Some(value) = std::env::var_os(inherited) {
                    args.push(format!("{inherited}={}", value.to_string_lossy()));
                }
            }
        }
        args.push("TERM=xterm-256color".to_string());
        for (k, v) in env {
            args.push(format!("{k}={}", Path::new(v.as_ref()).display()));
        }
        // tmux 3.3a sometimes marks a pane dead without recording the exit
        // status (`#{pane_dead_status}` stays empty for good), so a shell
        // around the program also writes the status to a file.
        args.extend([
            "sh".to_string(),
            "-c".to_string(),
            r#""$@"; rc=$?; echo "$rc" > "$0"; exit "$rc""#.to_string(),
            tmux.status_file().display().to_string(),
        ]);
        args.extend(argv.iter().cloned());
        tmux.run(&args);
        tmux
    }

    pub fn status_file(&self) -> PathBuf {
        self.sandbox.path("exit-status")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-u")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.conf)
            // Running inside someone's tmux must not change which server we talk to.
            .env_remove("TMUX")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a tmux command, failing the test if tmux does.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux: {e}"));
        if !out.status.success() {
            let shown: Vec<String> = args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            panic!(
                "tmux {} failed ({}): {}",
                shown.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    /// Resizes the terminal (hytop gets a SIGWINCH).
    pub fn resize(&self, width: u16, height: u16) {
        self.run(&[
            "resize-window",
            "-t",
            &format!("{SESSION}:"),
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Presses keys by tmux name: "Enter", "Escape", "Tab", "BSpace", "C-u", "q".
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// The screen as text (trailing blanks of each line dropped by tmux).
    pub fn capture(&self) -> String {
        self.capture_and_state().0
    }

    /// The screen with its colours and attributes as SGR escape sequences
    /// (`capture-pane -e`).
    pub fn capture_styled(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-e", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format evaluated for the pane, e.g. `#{alternate_on}`.
    pub fn display(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", SESSION, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn pane(&self) -> Pane {
        parse_pane(&self.display(PANE_STATE))
    }

    /// Screen and pane state in one tmux call.
    pub fn capture_and_state(&self) -> (String, Pane) {
        let out = self.run(&[
            "capture-pane",
            "-p",
            "-t",
            SESSION,
            ";",
            "display-message",
            "-p",
            "-t",
            SESSION,
            PANE_STATE,
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let body = text.trim_end_matches('\n');
        let (screen, state) = body.rsplit_once('\n').unwrap_or(("", body));
        (format!("{screen}\n"), parse_pane(state))
    }

    /// Polls the screen until `done` holds on two captures in a row and
    /// returns the second. Fails with the last screen when the deadline
    /// passes, or at once when the program has exited and the screen can no
    /// longer change.
    ///
    /// Twice because tmux may be caught between two reads of one frame: a
    /// screen where `done` already holds can still miss the rest of that
    /// frame, which the caller's next assertion would then read.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut held = false;
        loop {
            let (screen, pane) = self.capture_and_state();
            if done(&screen) {
                if held {
                    return screen;
                }
                held = true;
                std::thread::sleep(SETTLE);
                continue;
            }
            held = false;
            if let Pane::Dead(status) = pane {
                self.fail(
                    &format!("waiting for {what}: the program exited (tmux status {status:?})"),
                    &screen,
                );
            }
            if start.elapsed() >= DEADLINE {
                self.fail(
                    &format!("timed out after {DEADLINE:?} waiting for {what}"),
                    &screen,
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Polls until the screen contains `text`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on the screen"), |s| s.contains(text))
    }

    /// Polls until `text` is no longer on the screen.
    pub fn wait_gone(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} to leave the screen"), |s| {
            !s.contains(text)
        })
    }

    /// Waits for the program to exit and returns its exit status: tmux's
    /// `#{pane_dead_status}`, checked against the wrapper's record of it.
    pub fn wait_exit(&self) -> i32 {
        let start = Instant::now();
        loop {
            if let Pane::Dead(from_tmux) = self.pane() {
                let recorded = fs::read_to_string(self.status_file())
                    .ok()
                    .and_then(|s| s.trim().parse::<i32>().ok());
                match (from_tmux, recorded) {
                    (Some(a), Some(b)) if a == b => return a,
                    // The tmux bug: the status is lost, the wrapper has it.
                    (None, Some(b)) => return b,
                    (from_tmux, recorded) => {
                        let screen = self.capture();
                        self.fail(
                            &format!(
                                "exit status: tmux says {from_tmux:?}, the wrapper recorded \
                                 {recorded:?}"
                            ),
                            &screen,
                        );
                    }
                }
            }
            if start.elapsed() >= DEADLINE {
                let screen = self.capture();
                self.fail(
                    &format!("timed out after {DEADLINE:?} waiting for the program to exit"),
                    &screen,
                );
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn fail(&self, what: &str, screen: &str) -> ! {
        panic!(
            "{what}\n\
             ---- last screen (tmux -L {socket}) ----\n{screen}\
             ---- end of screen ----\n\
             ---- last lines of hytop.log ----\n{log}\n",
            socket = self.socket,
            log = self.sandbox.log_tail(),
        )
    }
}

impl Drop for Tmux {
    /// Kills this test's tmux server (and with it hytop), and removes the
    /// socket file, which tmux leaves behind.
    fn drop(&mut self) {
        let socket = self
            .command()
            .args(["display-message", "-p", "#{socket_path}"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|path| path.ends_with(&self.socket));
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(path) = socket {
            let _ = fs::remove_file(path);
        }
    }
}

/// Parses `#{pane_dead}:#{pane_dead_status}`.
pub fn parse_pane(state: &str) -> Pane {
    match state.trim().split_once(':') {
        Some(("1", status)) => Pane::Dead(status.trim().parse().ok()),
        _ => Pane::Alive,
    }
}

pub const PANE_STATE: &str = "#{pane_dead}:#{pane_dead_status}";

pub use crate::hytop_bin;

/// hytop's command line for a sandbox: its config, `--refresh 1`, `extra`.
pub fn hytop_argv(sandbox: &Sandbox, extra: &[&str]) -> Vec<String> {
    let mut argv = vec![
        hytop_bin().to_string(),
        "--config".to_string(),
        sandbox.config().display().to_string(),
        "--refresh".to_string(),
        "1".to_string(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv
}

/// A name no generated instance has, short enough for the NAME column.
pub fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{:06x}",
        (nanos ^ std::process::id().rotate_left(13)) & 0xff_ffff
    )
}

// ---------------------------------------------------------------------------
// Reading the screen

/// One row of the instance table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub selected: bool,
    pub cloud: String,
    pub name: String,
    /// Cut with "…" when wider than the ID column (OpenStack UUIDs at 120 columns).
    pub id: String,
    pub state: String,
    pub public_ip: String,
    /// Drawn with the "!" of a forgotten-looking instance.
    pub flagged: bool,
    /// The COST column (an estimate, e.g. "$0.01", "2.0 vCPU·h", "-").
    pub cost: String,
}

/// The words of each line of the instance table (from the cloud column
/// on), with whether it is the selected one and whether it is flagged.
fn table_words(screen: &str) -> Vec<(bool, bool, Vec<&str>)> {
    screen
        .lines()
        .filter_map(|line| {
            let inner = line.strip_prefix('│')?;
            let selected = inner.starts_with('▶');
            let inner = inner.trim_start_matches('▶').trim_end_matches('│');
            // The mark ("*") and flag ("!") column comes before the cloud.
            let mut words = inner.split_whitespace().peekable();
            let mut flagged = false;
            while let Some(w) = words.peek() {
                if !w.chars().all(|c| c == '*' || c == '!') {
                    break;
                }
                flagged |= w.contains('!');
                words.next();
            }
            let words: Vec<&str> = words.collect();
            matches!(words.first(), Some(&("AWS" | "OS"))).then_some((selected, flagged, words))
        })
        .collect()
}

/// The words of each line of the instance table, with whether it is the
/// selected one. Meaningless while a popup covers the table.
pub fn table_lines(screen: &str) -> Vec<(bool, Vec<&str>)> {
    table_words(screen)
        .into_iter()
        .map(|(selected, _, words)| (selected, words))
        .collect()
}

/// The instance table's rows, as laid out at 120 columns.
pub fn rows(screen: &str) -> Vec<Row> {
    table_words(screen)
        .into_iter()
        .filter_map(|(selected, flagged, t)| {
            // cloud region name id symbol state type public-ip age cost
            if t.len() < 10 {
                return None;
            }
            Some(Row {
                selected,
                cloud: t[0].to_string(),
                name: t[2].to_string(),
                id: t[3].to_string(),
                state: t[5].to_string(),
                public_ip: t[7].to_string(),
                flagged,
                cost: t[9..].join(" "),
            })
        })
        .collect()
}

pub fn row_named(screen: &str, name: &str) -> Option<Row> {
    rows(screen).into_iter().find(|r| r.name == name)
}

pub fn row_with_id(screen: &str, id: &str) -> Option<Row> {
    rows(screen).into_iter().find(|r| r.id == id)
}

/// The header line of one cloud (" AWS e2e-aws/eu-west-1  ✓ ok ...").
pub fn cloud_line<'s>(screen: &'s str, label: &str) -> &'s str {
    screen
        .lines()
        .find(|l| !l.starts_with('│') && l.contains(label))
        .unwrap_or("")
}

/// The line of the screen that contains `needle`.
pub fn line_with<'s>(screen: &'s str, needle: &str) -> &'s str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

/// The text inside the popup whose title starts with `title`, one string
/// per line, without borders; `None` while no such popup is drawn.
pub fn popup(screen: &str, title: &str) -> Option<Vec<String>> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let head: Vec<char> = format!("┌ {title}").chars().collect();
    let (top, left) = lines.iter().enumerate().find_map(|(y, l)| {
        l.windows(head.len())
            .position(|w| w == head.as_slice())
            .map(|x| (y, x))
    })?;
    let right = left + lines[top][left..].iter().position(|c| *c == '┐')?;
    let mut out = Vec::new();
    for line in &lines[top + 1..] {
        if line.get(left) == Some(&'└') {
            return Some(out);
        }
        let end = right.min(line.len());
        let inner: String = line.get(left + 1..end).unwrap_or_default().iter().collect();
        out.push(inner.trim_end().to_string());
    }
    // No bottom border yet: a frame captured while it was being drawn (seen
    // under load), not a popup to read.
    None
}

/// A popup's text with its lines joined, so wrapped sentences read whole.
pub fn popup_text(screen: &str, title: &str) -> Option<String> {
    let lines = popup(screen, title)?;
    let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    Some(words.join(" "))
}

/// The launch popup's two columns, each joined: the template list and the form.
pub fn launch_popup(screen: &str) -> Option<(String, String)> {
    let lines = popup(screen, "Launch")?;
    let (mut list, mut form) = (Vec::new(), Vec::new());
    for line in &lines {
        let (left, right) = line.split_once('│').unwrap_or((line, ""));
        list.extend(left.split_whitespace());
        form.extend(right.split_whitespace());
    }
    Some((list.join(" "), form.join(" ")))
}

/// Waits for the popup titled `title` and returns its text, joined.
pub fn wait_popup(t: &Tmux, title: &str) -> String {
    let screen = t.wait_until(&format!("the {title:?} popup"), |s| {
        popup(s, title).is_some()
    });
    popup_text(&screen, title).unwrap_or_default()
}

/// The last line: status messages, prompts and key hints.
pub fn footer(screen: &str) -> &str {
    screen.trim_end_matches('\n').lines().last().unwrap_or("")
}

// ---------------------------------------------------------------------------
// Steps

/// Pins the table to the rows matching `needle` with the filter prompt,
/// and waits until exactly one row, selected, has the id `id`.
pub fn select_by_filter(t: &Tmux, needle: &str, id: &str) -> Row {
    t.type_text("/");
    t.wait_until("the filter prompt", |s| footer(s).starts_with('/'));
    // The prompt starts with the current filter: ctrl-u clears it.
    t.send_keys(&["C-u"]);
    t.type_text(needle);
    t.wait_until("the filter typed", |s| {
        footer(s).starts_with(&format!("/{needle}█"))
    });
    t.send_keys(&["Enter"]);
    let screen = t.wait_until(&format!("only {id} listed, selected"), |s| {
        let r = rows(s);
        !footer(s).starts_with('/') && r.len() == 1 && r[0].id == id && r[0].selected
    });
    rows(&screen).remove(0)
}

/// Runs a command that should end by itself (hytop refusing to start),
/// killing it after the deadline.
pub fn run_with_deadline(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hytop");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() >= DEADLINE {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "hytop did not exit within {DEADLINE:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(POLL);
    }
    child.wait_with_output().expect("output")
}
