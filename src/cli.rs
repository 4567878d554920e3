//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// hytop: AWS EC2 and OpenStack instances in one live terminal dashboard.
///
/// Keys are listed by `?` inside hytop and in keymap.toml. Config and keymap
/// live in $XDG_CONFIG_HOME/hytop (usually ~/.config/hytop); logs go to
/// $XDG_DATA_HOME/hytop/hytop.log. Without a config file hytop shows your
/// AWS default profile and every OpenStack cloud the openstack CLI would
/// find (OS_CLOUD, clouds.yaml + secure.yaml, or a sourced openrc).
///
/// Without a command hytop opens the dashboard; `hytop list`, `hytop check`
/// and `hytop doctor` print once and exit, for scripts, cron and your
/// shell's profile.
#[derive(Debug, Parser)]
#[command(name = "hytop", version, about, long_about)]
pub struct Cli {
    /// Run on the built-in simulated hybrid cloud (no account, no network).
    #[arg(long, global = true, conflicts_with = "config")]
    pub demo: bool,

    /// Use this config file instead of ~/.config/hytop/config.toml.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Use this keymap instead of ~/.config/hytop/keymap.toml.
    #[arg(long, value_name = "PATH")]
    pub keymap: Option<PathBuf>,

    /// Disable every action that changes a cloud (launch, terminate, IPs).
    #[arg(long)]
    pub readonly: bool,

    /// Also show this AWS profile (its region, or those of --region); the
    /// same as picking it with `:profile`. Repeatable.
    #[arg(
        long = "profile",
        global = true,
        value_name = "NAME",
        conflicts_with = "demo"
    )]
    pub profiles: Vec<String>,

    /// Also show this AWS region: in the --profile ones, else in every AWS
    /// cloud of the config; the same as picking it with `:region`.
    /// Repeatable.
    #[arg(long = "region", global = true, value_name = "NAME")]
    pub regions: Vec<String>,

    /// Seconds between two refreshes of each cloud (overrides the config).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh: Option<u64>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The non-interactive commands: they ask every cloud once, print, and exit.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Print every instance of every cloud once, as a table or JSON.
    ///
    /// Flags shown are the age and expiry rules only (no metrics are
    /// fetched, so `idle` is never shown here; `hytop check` judges it).
    /// Exit status: 0, or 2 if a cloud could not be asked (the others are
    /// still printed; the cloud's error goes to stderr).
    List(ListArgs),
    /// Print the instances, public addresses and volumes that look forgotten.
    ///
    /// One line per flagged instance (too old, past its expiry tag, idle,
    /// stopped but holding its flavor, or with --all-regions in a region
    /// hytop does not show), per allocated but unassociated address and per
    /// volume attached to nothing; nothing at all when
    /// nothing is flagged. Exit status: 0 nothing flagged, 1 something
    /// flagged, 2 a cloud could not be asked (what could be judged is still
    /// printed). Made for ~/.profile and cron:
    /// `hytop check || echo "hytop: instances still running"`.
    Check(CheckArgs),
    /// Say why an instance cannot be reached: state, address, security
    /// groups, key, login user, host key and boot log, each ✓ / ✗ / ? with
    /// its reason and fix.
    ///
    /// NAME-OR-ID is an instance id or a (unique) name. Exit status: 0 no
    /// check failed (a ? is not a failure), 1 a check failed, 2 a cloud
    /// could not be asked or the name is ambiguous (the candidates are
    /// listed) or unknown.
    Doctor(DoctorArgs),
    /// Print a shell completion script: `hytop completions bash >
    /// ~/.local/share/bash-completion/completions/hytop` (see README).
    Completions(CompletionsArgs),
    /// Print the man page (roff): `hytop man > ~/.local/share/man/man1/hytop.1`.
    Man,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `hytop completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The completion script of `shell`, from the same definitions as `--help`.
pub fn completions(shell: Shell) -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut cmd, "hytop", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The man page (roff), from the same definitions as `--help`.
pub fn man_page() -> String {
    use clap::CommandFactory;
    let mut out = Vec::new();
    // Rendering into memory cannot fail.
    let _ = clap_mangen::Man::new(Cli::command()).render(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Which clouds to ask, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Scope {
    /// Only this `[[cloud]]` of the config (by its `name`); repeatable.
    #[arg(long = "cloud", value_name = "NAME")]
    pub clouds: Vec<String>,

    /// Give up on a cloud that has not answered after this many seconds.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub timeout: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ListArgs {
    /// Print one JSON array of instances instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Also every other region of each account (AWS DescribeRegions, the
    /// OpenStack catalog); what lives there is flagged `unwatched`.
    #[arg(long)]
    pub all_regions: bool,

    #[command(flatten)]
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CheckArgs {
    /// Sweep every region of each account (AWS DescribeRegions, the
    /// OpenStack catalog), not only the configured ones: anything live in a
    /// region hytop does not show is flagged `unwatched` (exit 1).
    #[arg(long)]
    pub all_regions: bool,

    #[command(flatten)]
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DoctorArgs {
    /// The instance: its id, or its name when only one has it.
    #[arg(value_name = "NAME-OR-ID")]
    pub instance: String,

    /// Also connect to port 22 and the template's service ports and GET its
    /// health URL (short timeouts).
    #[arg(long)]
    pub probe: bool,

    /// Print the checks as one JSON object.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub scope: Scope,
}
