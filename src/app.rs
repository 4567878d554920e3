//! The runtime: one `select!` loop that turns input, ticks and cloud answers
//! into actions, applies them with `update`, carries out the effects and
//! draws when something changed.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::action::Action;
use crate::config::{Config, ProviderKind};
use crate::keymap::Keymap;
use crate::launch;
use crate::model::CloudKind;
use crate::provider::aws::{self, AwsProvider};
use crate::provider::openstack::OpenStackProvider;
use crate::provider::openstack::clouds;
use crate::provider::sim::{SimProvider, system_clock};
use crate::provider::unavailable::UnavailableProvider;
use crate::provider::{CloudError, Provider};
use crate::ssh::SshPlan;
use crate::state::{AppState, CloudStatus};
use crate::tui::{InputTask, Tui};
use crate::ui::{self, Theme};
use crate::update::{Effect, update};
use crate::worker::{self, WorkerHandle};

/// One provider per cloud endpoint (each AWS region is its own endpoint).
/// Only local files and the environment are read here: no network.
pub async fn build_providers(config: &Config) -> Result<Vec<(CloudStatus, Arc<dyn Provider>)>> {
    let mut out: Vec<(CloudStatus, Arc<dyn Provider>)> = Vec::new();
    for cloud in &config.clouds {
        let name = cloud.name.get_ref();
        match cloud.provider.get_ref() {
            ProviderKind::Simulator => {
                for (i, region) in cloud.worker_regions().into_iter().enumerate() {
                    let mut settings = cloud.sim.clone();
                    // Regions of one simulated account must not be copies of each other.
                    settings.seed = settings.seed.wrapping_add(i as u64 * 7919);
                    let provider =
                        SimProvider::new(cloud.kind(), name, &region, settings, system_clock());
                    let status =
                        CloudStatus::new(name, &region, provider.label(), cloud.kind(), true);
                    out.push((status, Arc::new(provider)));
                }
            }
            ProviderKind::Aws => {
                let profile = cloud.profile.clone();
                let regions = if cloud.regions.is_empty() {
                    aws::profile_region(profile.as_deref())
                        .await
                        .into_iter()
                        .collect()
                } else {
                    cloud.regions.clone()
                };
                if regions.is_empty() {
                    let label = format!("{}/?", profile.as_deref().unwrap_or("default"));
                    let error = if aws::nothing_configured() {
                        CloudError::new("NoCredentials", aws::NO_CREDENTIALS)
                    } else {
                        CloudError::new(
                            "NoRegion",
                            format!(
                                "no region for AWS profile {}: set `region` in ~/.aws/config, AWS_REGION, \
                             or `regions = [...]` for cloud \"{name}\" in hytop's config",
                                profile.as_deref().unwrap_or("default")
                            ),
                        )
                    };
                    let status = CloudStatus::new(name, "?", label.clone(), CloudKind::Aws, false);
                    out.push((
                        status,
                        Arc::new(UnavailableProvider::new(CloudKind::Aws, label, error)),
                    ));
                    continue;
                }
                for region in regions {
                    let provider = AwsProvider::new(profile.clone(), &region);
                    let status =
                        CloudStatus::new(name, &region, provider.label(), CloudKind::Aws, false);
                    out.push((status, Arc::new(provider)));
                }
            }
            ProviderKind::OpenStack => out.extend(openstack_providers(cloud)),
        }
    }
    if out.is_empty() {
        bail!(
            "no clouds configured: add a [[cloud]] to config.toml (see assets/config.example.toml) \
             or run `hytop --demo` for the simulated hybrid cloud"
        );
    }
    Ok(out)
}

/// One provider per region of an OpenStack cloud; a cloud whose
/// configuration is broken becomes an error line naming the problem.
fn openstack_providers(
    cloud: &crate::config::CloudConfig,
) -> Vec<(CloudStatus, Arc<dyn Provider>)> {
    let name = cloud.name.get_ref();
    let os_name = cloud.os_cloud.clone().unwrap_or_else(|| name.clone());
    let unavailable = |error: CloudError| -> (CloudStatus, Arc<dyn Provider>) {
        let status = CloudStatus::new(name, name, name.clone(), CloudKind::OpenStack, false);
        let provider = UnavailableProvider::new(CloudKind::OpenStack, name.clone(), error);
        (status, Arc::new(provider))
    };
    let profile = match clouds::find(&clouds::Sources::from_process(), &os_name) {
        Ok(p) => p,
        Err(e) => return vec![unavailable(CloudError::new("Config", e.to_string()))],
    };
    let regions: Vec<Option<String>> = if !cloud.regions.is_empty() {
        cloud.regions.iter().cloned().map(Some).collect()
    } else if !profile.regions.is_empty() {
        profile.regions.iter().cloned().map(Some).collect()
    } else {
        vec![None]
    };
    regions
        .into_iter()
        .map(|region| {
            match OpenStackProvider::new(
                name,
                profile.clone(),
                region.clone(),
                cloud.floating_pool.clone(),
            ) {
                Ok(provider) => {
                    let region = region.unwrap_or_else(|| name.clone());
                    let status = CloudStatus::new(
                        name,
                        &region,
                        provider.label(),
                        CloudKind::OpenStack,
                        false,
                    );
                    (status, Arc::new(provider) as Arc<dyn Provider>)
                }
                Err(e) => unavailable(CloudError::new("Config", e)),
            }
        })
        .collect()
}

pub struct RunOptions {
    pub readonly: bool,
    pub demo: bool,
}

pub async fn run(config: Config, keymap: Keymap, options: RunOptions) -> Result<()> {
    let providers = build_providers(&config).await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut statuses = Vec::new();
    let mut workers: Vec<WorkerHandle> = Vec::new();
    for (i, (status, provider)) in providers.into_iter().enumerate() {
        tracing::info!(cloud = %status.label, "starting worker");
        statuses.push(status);
        workers.push(worker::spawn(i, provider, tx.clone()));
    }
    let mut state = AppState::new(config, keymap, statuses, options.readonly, Utc::now());
    state.demo = options.demo;
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
                .draw(|frame| ui::draw(frame, &mut state, &theme))
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
                Effect::Launch { cloud, id, draft } => match launch::prepare(&draft) {
                    Ok(spec) => {
                        if let Some(w) = workers.get(cloud) {
                            w.send(id, crate::action::Request::Launch(spec));
                        }
                    }
                    Err(msg) => {
                        tracing::info!("launch refused: {msg}");
                        let _ = tx.send(Action::LaunchRefused(msg));
                    }
                },
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
