use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr};

use hytop::cli::{Cli, Command};
use hytop::cloud::endpoints::{self, Built};
use hytop::config::{Config, Dirs};
use hytop::dashboard::event_loop::{self, RunOptions};
use hytop::dashboard::keymap::Keymap;
use hytop::report;

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    if let Some(Command::Completions(args)) = &cli.command {
        // Needs no config, no clouds, no log: the script only.
        let _ = std::io::stdout()
            .lock()
            .write_all(hytop::cli::completions(args.shell).as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Man) = &cli.command {
        let _ = std::io::stdout()
            .lock()
            .write_all(hytop::cli::man_page().as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(command) = &cli.command {
        return Ok(run_command(&cli, command));
    }
    hytop::dashboard::terminal::install_hooks()?;
    let dirs = Dirs::discover()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;

    // Bad configuration is reported plainly, before the screen is taken.
    let (config, keymap, endpoints) = match runtime.block_on(load(&cli, &dirs)) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("hytop: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let _log = hytop::logging::init(&dirs.data_dir)?;
    tracing::info!(demo = cli.demo, readonly = cli.readonly, "hytop starting");

    let ended = runtime.block_on(event_loop::run(
        config,
        keymap,
        endpoints,
        RunOptions {
            readonly: cli.readonly,
            demo: cli.demo,
        },
    ))?;
    tracing::info!(?ended, "hytop done");
    // Workers may be mid-request; they hold nothing that needs a clean close.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    // The terminal is restored by now: a signal only shows in the status.
    Ok(ExitCode::from(ended.status()))
}

/// `hytop list` / `hytop check`: no terminal is taken and no keymap read;
/// every problem before the clouds are asked is exit status 2 with
/// `hytop: ...` on stderr (status 1 means "flagged" to `check`).
fn run_command(cli: &Cli, command: &Command) -> ExitCode {
    // Plain error reports; the dashboard's panic hook would write terminal
    // escapes to stdout.
    let _ = color_eyre::install();
    match try_run_command(cli, command) {
        Ok(outcome) => {
            // A closed pipe (`hytop list | head -1`) is not an error worth a word.
            let _ = std::io::stdout()
                .lock()
                .write_all(outcome.stdout.as_bytes());
            let mut stderr = std::io::stderr().lock();
            for line in &outcome.stderr {
                let _ = writeln!(stderr, "{line}");
            }
            ExitCode::from(outcome.code)
        }
        Err(e) => {
            eprintln!("hytop: {e:#}");
            ExitCode::from(report::EXIT_TROUBLE)
        }
    }
}

fn try_run_command(cli: &Cli, command: &Command) -> Result<report::Outcome> {
    let dirs = Dirs::discover()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let mut config = runtime.block_on(load_config(cli, &dirs))?;
    let scope = match command {
        Command::List(args) => &args.scope,
        Command::Check(args) => &args.scope,
        Command::Doctor(args) => &args.scope,
        Command::Completions(_) | Command::Man => {
            return Ok(report::Outcome {
                stdout: String::new(),
                stderr: Vec::new(),
                code: report::EXIT_OK,
            });
        }
    };
    report::select_clouds(&mut config, &scope.clouds).map_err(color_eyre::eyre::Report::msg)?;
    let _log = hytop::logging::init(&dirs.data_dir)?;
    tracing::info!(demo = cli.demo, ?command, "hytop command starting");
    let outcome = runtime.block_on(async {
        let endpoints = endpoints::build(&config).await?;
        report::run(&config, endpoints, command).await
    });
    tracing::info!(
        code = outcome.as_ref().ok().map(|o| o.code),
        "hytop command done"
    );
    // Timed-out requests may still be in flight; nothing of theirs matters now.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    outcome
}

/// The config, the keymap and every endpoint, each built once; fails before
/// the screen is taken if no cloud can be shown.
async fn load(cli: &Cli, dirs: &Dirs) -> Result<(Config, Keymap, Vec<Built>)> {
    let config = load_config(cli, dirs).await?;
    let keymap_path = cli.keymap.clone().unwrap_or_else(|| dirs.keymap_file());
    if cli.keymap.is_some() && !keymap_path.exists() {
        color_eyre::eyre::bail!("keymap file {} does not exist", keymap_path.display());
    }
    let keymap = Keymap::load(Some(&keymap_path))?;
    let endpoints = endpoints::build(&config).await?;
    Ok((config, keymap, endpoints))
}

/// The config of `--demo`, `--config PATH`, ~/.config/hytop/config.toml, or,
/// without any, the clouds found on this machine.
async fn load_config(cli: &Cli, dirs: &Dirs) -> Result<Config> {
    let mut config = hytop::config::discovery::load(cli.demo, cli.config.as_deref(), dirs)?;
    hytop::config::discovery::add_shown(&mut config, &cli.profiles, &cli.regions).await?;
    if let Some(secs) = cli.refresh {
        config.refresh_secs = secs;
    }
    Ok(config)
}
