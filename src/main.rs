use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr};

use hytop::app::{self, RunOptions};
use hytop::cli::Cli;
use hytop::config::{Config, Dirs};
use hytop::keymap::Keymap;

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    hytop::tui::install_hooks()?;
    let dirs = Dirs::discover()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;

    // Bad configuration is reported plainly, before the screen is taken.
    let (config, keymap) = match runtime.block_on(load(&cli, &dirs)) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("hytop: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let _log = hytop::logging::init(&dirs.data_dir)?;
    tracing::info!(demo = cli.demo, readonly = cli.readonly, "hytop starting");

    runtime.block_on(app::run(
        config,
        keymap,
        RunOptions {
            readonly: cli.readonly,
            demo: cli.demo,
        },
    ))?;
    // Workers may be mid-request; they hold nothing that needs a clean close.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(ExitCode::SUCCESS)
}

async fn load(cli: &Cli, dirs: &Dirs) -> Result<(Config, Keymap)> {
    let mut config = if cli.demo {
        Config::demo()?
    } else {
        let path = cli.config.clone().unwrap_or_else(|| dirs.config_file());
        match Config::load(&path)? {
            Some(config) => config,
            None if cli.config.is_some() => {
                color_eyre::eyre::bail!("config file {} does not exist", path.display())
            }
            None => {
                // Every OpenStack cloud the `openstack` CLI would find, and
                // AWS when it is set up (or when nothing else is, so the
                // screen says how to set it up).
                let sources = hytop::provider::openstack::clouds::Sources::from_process();
                let openstack: Vec<String> = hytop::provider::openstack::clouds::discover(&sources)
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect();
                let aws = !hytop::provider::aws::nothing_configured() || openstack.is_empty();
                Config::default_clouds(aws, &openstack)
            }
        }
    };
    if let Some(secs) = cli.refresh {
        config.refresh_secs = secs;
    }
    let keymap_path = cli.keymap.clone().unwrap_or_else(|| dirs.keymap_file());
    if cli.keymap.is_some() && !keymap_path.exists() {
        color_eyre::eyre::bail!("keymap file {} does not exist", keymap_path.display());
    }
    let keymap = Keymap::load(Some(&keymap_path))?;
    if !cli.demo {
        // Fail before taking the screen if no cloud can be shown.
        app::build_providers(&config).await?;
    }
    Ok((config, keymap))
}
