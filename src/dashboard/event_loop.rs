//! The runtime: one `select!` loop that turns input, ticks and cloud answers
//! into actions, applies them with `update`, carries out the effects and
//! draws when something changed.

use std::task::Poll;
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::cloud::endpoints::Built;
use crate::cloud::launch;
use crate::config::Config;
use crate::dashboard::action::Action;
use crate::dashboard::effect::Effect;
use crate::dashboard::endpoints::{self, Workers};
use crate::dashboard::input::InputTask;
use crate::dashboard::keymap::Keymap;
use crate::dashboard::model::{AppState, CloudStatus};
use crate::dashboard::ssh::SshPlan;
use crate::dashboard::terminal::Tui;
use crate::dashboard::update::update;
use crate::dashboard::view::{self, Theme};

pub struct RunOptions {
    pub readonly: bool,
    /// `--demo`: pickers may add simulated clouds only.
    pub demo: bool,
}

/// How the dashboard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `q` (or ctrl-c, the quit reminder, ...).
    Quit,
    /// A signal from outside, by its number.
    Signal(i32),
}

impl Ended {
    /// The exit status: 0 for a quit; for a signal the shells' convention
    /// 128 + its number, so `timeout`, supervisors and scripts see that
    /// hytop was stopped rather than quit (the terminal is restored all
    /// the same).
    pub fn status(self) -> u8 {
        match self {
            Ended::Quit => 0,
            Ended::Signal(n) => u8::try_from(128 + n).unwrap_or(u8::MAX),
        }
    }
}

/// Every signal that would end hytop by default and can be caught, so it
/// ends hytop like `q` instead and the terminal is restored: a closed
/// terminal (SIGHUP), `kill` (SIGTERM), `kill -INT` / `timeout -s INT`
/// (in raw mode ctrl-c is a key, so SIGINT only comes from outside),
/// SIGQUIT (whose default would also dump core), the user signals and
/// SIGALRM. SIGPIPE is ignored by Rust's runtime anyway; SIGKILL and
/// SIGSTOP cannot be caught.
struct Ending {
    signals: Vec<(SignalKind, Signal)>,
}

impl Ending {
    fn watch() -> Result<Ending> {
        let kinds = [
            (SignalKind::hangup(), "SIGHUP"),
            (SignalKind::interrupt(), "SIGINT"),
            (SignalKind::quit(), "SIGQUIT"),
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::user_defined1(), "SIGUSR1"),
            (SignalKind::user_defined2(), "SIGUSR2"),
            (SignalKind::alarm(), "SIGALRM"),
        ];
        let mut signals = Vec::new();
        for (kind, name) in kinds {
            let watched = signal(kind).wrap_err_with(|| format!("cannot watch {name}"))?;
            signals.push((kind, watched));
        }
        Ok(Ending { signals })
    }

    /// The number of the next signal that arrives.
    async fn recv(&mut self) -> i32 {
        std::future::poll_fn(|cx| {
            for (kind, signal) in &mut self.signals {
                // `None` only once the runtime shuts down: no signal then.
                if let Poll::Ready(Some(())) = signal.poll_recv(cx) {
                    return Poll::Ready(kind.as_raw_value());
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Whether `signal` is one the terminal sends on a key (ctrl-c, ctrl-\)
/// while it is cooked: during ssh these go to ssh, which shares hytop's
/// process group, and must not end hytop too.
fn from_the_keyboard(signal: i32) -> bool {
    signal == SignalKind::interrupt().as_raw_value() || signal == SignalKind::quit().as_raw_value()
}

/// Runs the dashboard over `endpoints` (built once by the caller) until quit
/// or a signal.
pub async fn run(
    config: Config,
    keymap: Keymap,
    endpoints: Vec<Built>,
    options: RunOptions,
) -> Result<Ended> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut statuses = Vec::new();
    let mut workers = Workers::default();
    for (i, built) in endpoints.into_iter().enumerate() {
        statuses.push(CloudStatus::new(built.endpoint.clone()));
        workers.start(i, built, &tx);
    }
    let mut state = AppState::new(config, keymap, statuses, options.readonly, Utc::now());
    state.owner = launch::owner();
    state.demo = options.demo;
    let theme = Theme::from_env();

    // Watched before the terminal is taken: a signal in between would
    // otherwise leave it raw.
    let mut ending = Ending::watch()?;
    let mut tui = Tui::enter(state.config.mouse)?;
    let size = tui
        .terminal
        .size()
        .wrap_err("cannot read the terminal size")?;
    state.width = size.width;
    state.height = size.height;
    let mut input = Some(InputTask::spawn(tx.clone()));
    let mut ended = Ended::Quit;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    loop {
        if state.dirty {
            state.dirty = false;
            tui.draw(|frame| view::draw(frame, &mut state, &theme))?;
        }
        let first = tokio::select! {
            Some(action) = rx.recv() => action,
            _ = tick.tick() => Action::Tick(Utc::now()),
            signal = ending.recv() => {
                tracing::info!(signal, "ending on a signal");
                ended = Ended::Signal(signal);
                break;
            }
        };
        let mut effects = update(&mut state, first);
        // Coalesce a burst (a paste, a big refresh) into one draw.
        while let Ok(action) = rx.try_recv() {
            effects.extend(update(&mut state, action));
        }
        for effect in effects {
            match effect {
                Effect::Send { cloud, id, request } => match workers.get(cloud) {
                    Some(w) if w.send(id, request) => {}
                    Some(_) => state.error(format!(
                        "the worker of {} has stopped",
                        state.clouds[cloud].label
                    )),
                    None => state.error(format!("{} is not shown", state.clouds[cloud].label)),
                },
                Effect::StartEndpoints { cloud, region } => {
                    endpoints::start(&mut state, &mut workers, &tx, &cloud, region).await;
                }
                Effect::StopEndpoint(cloud) => workers.stop(cloud),
                Effect::LoadChoices { kind, request } => {
                    endpoints::load_choices(kind, request, tx.clone());
                }
                Effect::Sweep(request) => endpoints::sweep(&state, request, tx.clone()),
                Effect::Ssh(plan) => {
                    if let Some(task) = input.take() {
                        task.stop().await;
                    }
                    tui.suspend()?;
                    let (result, signalled) = run_ssh(&plan, &mut ending).await;
                    if let Some(signal) = signalled {
                        tracing::info!(signal, "ending on a signal that came during ssh");
                        ended = Ended::Signal(signal);
                        state.quit = true;
                        break;
                    }
                    tui.resume()?;
                    input = Some(InputTask::spawn(tx.clone()));
                    state.dirty = true;
                    let _ = tx.send(Action::SshFinished(result));
                }
                Effect::WriteTerminal(bytes) => {
                    if let Err(e) = tui.write_raw(&bytes) {
                        state.error(format!("copy failed: {e}"));
                    }
                }
                Effect::Quit => state.quit = true,
            }
        }
        if state.quit {
            break;
        }
    }
    if let Some(task) = input.take() {
        task.stop().await;
    }
    drop(tui);
    Ok(ended)
}

/// Runs ssh on the terminal hytop gave back, with the ending signal that
/// came meanwhile, if any: ssh keeps the terminal until it exits, and hytop
/// ends right after.
async fn run_ssh(
    plan: &SshPlan,
    ending: &mut Ending,
) -> (std::result::Result<i32, String>, Option<i32>) {
    tracing::info!(command = %plan.display(), "running ssh");
    println!("hytop: {}", plan.display());
    let ssh = tokio::process::Command::new(&plan.program)
        .args(&plan.args)
        .status();
    tokio::pin!(ssh);
    let mut signalled = None;
    loop {
        tokio::select! {
            status = &mut ssh => {
                let result = status
                    .map(|s| s.code().unwrap_or(-1))
                    .map_err(|e| format!("{}: {e}", plan.program));
                return (result, signalled);
            }
            signal = ending.recv() => {
                if !from_the_keyboard(signal) {
                    signalled = Some(signal);
                }
            }
        }
    }
}
