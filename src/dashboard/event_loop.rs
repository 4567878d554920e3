//! The runtime: one `select!` loop that turns input, ticks and cloud answers
//! into actions, applies them with `update`, carries out the effects and
//! draws when something changed.

use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::cloud::endpoints::Built;
use crate::cloud::launch;
use crate::cloud::worker::{self, WorkerHandle};
use crate::config::Config;
use crate::dashboard::action::Action;
use crate::dashboard::effect::Effect;
use crate::dashboard::input::InputTask;
use crate::dashboard::keymap::Keymap;
use crate::dashboard::model::{AppState, CloudStatus};
use crate::dashboard::ssh::SshPlan;
use crate::dashboard::terminal::Tui;
use crate::dashboard::update::update;
use crate::dashboard::view::{self, Theme};

pub struct RunOptions {
    pub readonly: bool,
}

/// Runs the dashboard over `endpoints` (built once by the caller) until quit.
pub async fn run(
    config: Config,
    keymap: Keymap,
    endpoints: Vec<Built>,
    options: RunOptions,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut statuses = Vec::new();
    let mut workers: Vec<WorkerHandle> = Vec::new();
    for (i, built) in endpoints.into_iter().enumerate() {
        tracing::info!(cloud = %built.endpoint.label, "starting worker");
        statuses.push(CloudStatus::new(built.endpoint));
        workers.push(worker::spawn(i, built.provider, tx.clone()));
    }
    let mut state = AppState::new(config, keymap, statuses, options.readonly, Utc::now());
    state.owner = launch::owner();
    let theme = Theme::from_env();

    let mut tui = Tui::enter()?;
    let size = tui
        .terminal
        .size()
        .wrap_err("cannot read the terminal size")?;
    state.width = size.width;
    state.height = size.height;
    let mut input = Some(InputTask::spawn(tx.clone()));
    // A closed terminal (SIGHUP) or a `kill` (SIGTERM) ends hytop like `q`,
    // so the terminal is restored instead of left in raw mode.
    let mut hangup = signal(SignalKind::hangup()).wrap_err("cannot watch SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).wrap_err("cannot watch SIGTERM")?;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    loop {
        if state.dirty {
            state.dirty = false;
            tui.terminal
                .draw(|frame| view::draw(frame, &mut state, &theme))
                .wrap_err("cannot draw")?;
        }
        let first = tokio::select! {
            Some(action) = rx.recv() => action,
            _ = tick.tick() => Action::Tick(Utc::now()),
            _ = hangup.recv() => break,
            _ = terminate.recv() => break,
        };
        let mut effects = update(&mut state, first);
        // Coalesce a burst (a paste, a big refresh) into one draw.
        while let Ok(action) = rx.try_recv() {
            effects.extend(update(&mut state, action));
        }
        for effect in effects {
            match effect {
                Effect::Send { cloud, id, request } => {
                    if let Some(w) = workers.get(cloud)
                        && !w.send(id, request)
                    {
                        state.error(format!(
                            "the worker of {} has stopped",
                            state.clouds[cloud].label
                        ));
                    }
                }
                Effect::Ssh(plan) => {
                    if let Some(task) = input.take() {
                        task.stop().await;
                    }
                    tui.suspend()?;
                    let result = run_ssh(&plan).await;
                    tui.resume()?;
                    input = Some(InputTask::spawn(tx.clone()));
                    state.dirty = true;
                    let _ = tx.send(Action::SshFinished(result));
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
    Ok(())
}

async fn run_ssh(plan: &SshPlan) -> std::result::Result<i32, String> {
    tracing::info!(command = %plan.display(), "running ssh");
    println!("hytop: {}", plan.display());
    let status = tokio::process::Command::new(&plan.program)
        .args(&plan.args)
        .status()
        .await
        .map_err(|e| format!("{}: {e}", plan.program))?;
    Ok(status.code().unwrap_or(-1))
}
