//! The command line.

use std::path::PathBuf;

use clap::Parser;

/// hytop: AWS EC2 and OpenStack instances in one live terminal dashboard.
///
/// Keys are listed by `?` inside hytop and in keymap.toml. Config and keymap
/// live in $XDG_CONFIG_HOME/hytop (usually ~/.config/hytop); logs go to
/// $XDG_DATA_HOME/hytop/hytop.log. Without a config file hytop shows your
/// AWS default profile and every OpenStack cloud the openstack CLI would
/// find (OS_CLOUD, clouds.yaml + secure.yaml, or a sourced openrc).
#[derive(Debug, Parser)]
#[command(name = "hytop", version, about, long_about)]
pub struct Cli {
    /// Run on the built-in simulated hybrid cloud (no account, no network).
    #[arg(long, conflicts_with = "config")]
    pub demo: bool,

    /// Use this config file instead of ~/.config/hytop/config.toml.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Use this keymap instead of ~/.config/hytop/keymap.toml.
    #[arg(long, value_name = "PATH")]
    pub keymap: Option<PathBuf>,

    /// Disable every action that changes a cloud (launch, terminate, IPs).
    #[arg(long)]
    pub readonly: bool,

    /// Seconds between two refreshes of each cloud (overrides the config).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh: Option<u64>,
}
