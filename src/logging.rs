//! Logs go to a file in the data directory, never to the terminal.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines waiting for the writer thread at most.
const LOG_QUEUE_LINES: usize = 4096;

/// Starts file logging (`HYTOP_LOG` sets the filter, default `info`); keep
/// the guard alive until exit so the last lines are written.
pub fn init(data_dir: &Path) -> Result<WorkerGuard> {
    std::fs::create_dir_all(data_dir)
        .wrap_err_with(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let appender = tracing_appender::rolling::never(data_dir, "hytop.log");
    // The default queue holds 128,000 lines, preallocated (4 MB resident);
    // hytop logs a few lines a minute. A full queue drops lines, never blocks.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender);
    let filter = EnvFilter::try_from_env("HYTOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| color_eyre::eyre::eyre!("cannot start logging: {e}"))?;
    Ok(guard)
}
