//! User intents that keys can be bound to. Names are what `keymap.toml` uses.

use std::fmt;
use std::str::FromStr;

/// Where a binding applies: every place that takes keys has its own
/// section in `keymap.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// The instance table (the main screen).
    Table,
    /// The console log view.
    Console,
    /// The `?` help screen.
    Help,
    /// The describe view of one instance, and message popups.
    Describe,
    /// The one-line inputs: filter, `:` command line, console search, hours.
    Prompt,
    /// Every yes/no question (terminate, release, the quit reminder's terminate).
    Confirm,
    /// The launch form.
    Launch,
    /// The public IP popup.
    PublicIp,
    /// The list of public addresses.
    Addresses,
    /// The reminder of running instances shown on quit.
    Quit,
    /// The doctor popup of one instance.
    Doctor,
    /// The copy menu of one instance.
    Copy,
    /// The pickers of regions, profiles and clouds, and the sweep's findings.
    Picker,
}

impl Context {
    pub const ALL: [Context; 13] = [
        Context::Table,
        Context::Console,
        Context::Help,
        Context::Describe,
        Context::Prompt,
        Context::Confirm,
        Context::Launch,
        Context::PublicIp,
        Context::Addresses,
        Context::Quit,
        Context::Doctor,
        Context::Copy,
        Context::Picker,
    ];

    /// The section name in `keymap.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Context::Table => "table",
            Context::Console => "console",
            Context::Help => "help",
            Context::Describe => "describe",
            Context::Prompt => "prompt",
            Context::Confirm => "confirm",
            Context::Launch => "launch",
            Context::PublicIp => "public_ip",
            Context::Addresses => "addresses",
            Context::Quit => "quit",
            Context::Doctor => "doctor",
            Context::Copy => "copy",
            Context::Picker => "picker",
        }
    }

    /// What the help screen calls this place.
    pub fn title(self) -> &'static str {
        match self {
            Context::Table => "Instance table",
            Context::Console => "Console log",
            Context::Help => "Help screen",
            Context::Describe => "Describe view and messages",
            Context::Prompt => "Filter, command line and other inputs",
            Context::Confirm => "Questions (terminate, release, ...)",
            Context::Launch => "Launch form",
            Context::PublicIp => "Public IP popup",
            Context::Addresses => "Addresses and volumes",
            Context::Quit => "Quit reminder",
            Context::Doctor => "Doctor",
            Context::Copy => "Copy menu",
            Context::Picker => "Pickers (regions, profiles, clouds) and the sweep",
        }
    }
}

macro_rules! commands {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// A bindable user intent.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command {
            $($variant,)*
        }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The name used in `keymap.toml` and after `:`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Command::$variant => $name,)*
                }
            }

            /// The default description shown by `?`.
            pub fn description(self) -> &'static str {
                match self {
                    $(Command::$variant => $desc,)*
                }
            }
        }

        impl FromStr for Command {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Command::$variant),)*
                    _ => Err(()),
                }
            }
        }
    };
}

commands! {
    Quit => "quit", "Quit hytop";
    Help => "help", "Show every key binding";
    MoveDown => "down", "Move the selection down";
    MoveUp => "up", "Move the selection up";
    PageDown => "page_down", "Move down one page";
    PageUp => "page_up", "Move up one page";
    Top => "top", "Go to the first line";
    Bottom => "bottom", "Go to the last line";
    Filter => "filter", "Filter rows (matches any column)";
    CommandLine => "command", "Open the command line (:sort, :filter, :launch, ...)";
    ClearFilter => "clear", "Clear the filter and the marks";
    Describe => "describe", "Show every field and tag of the selected instance";
    Launch => "launch", "Launch instances from a template";
    Terminate => "terminate", "Terminate the marked instances (or the selected one)";
    Stop => "stop", "Stop the marked or selected instances (asks first; they keep their disks)";
    Start => "start", "Start the marked or selected stopped instances (asks first)";
    Reboot => "reboot", "Reboot the marked or selected instances (asks first)";
    HardReboot => "hard_reboot", "Hard-reboot (power cycle) the marked or selected servers: OpenStack only";
    Shelve => "shelve", "Shelve the marked or selected servers: frees their vCPUs and RAM (OpenStack)";
    Unshelve => "unshelve", "Unshelve the marked or selected shelved servers (OpenStack)";
    PublicIp => "public_ip", "Attach or detach a public IP (Elastic / floating IP)";
    Addresses => "addresses", "List public IPs and loose volumes; release or delete the unused";
    Forgotten => "forgotten", "Show only flagged instances (too old, expired, idle); again shows all";
    ExtendExpiry => "extend", "Extend the expiry (hytop:expires) of the marked or selected instances";
    Console => "console", "Tail the console log of the selected instance (doctor: at its first error)";
    Doctor => "doctor", "Why can't I reach it? State, address, groups, key, user, host key, boot log";
    Probe => "probe", "Doctor: connect to 22 and the service ports, GET the health URL";
    Ssh => "ssh", "ssh into the selected instance";
    CopyMenu => "copy_menu", "Choose what of the selected instance to copy: id, IPs, ssh command, name";
    Copy => "copy", "Copy the selected instance's id to the clipboard (OSC 52: over ssh, in tmux)";
    Refresh => "refresh", "Refresh every cloud now";
    Sweep => "sweep", "Sweep every region of every account for what the table does not show";
    Regions => "region", "Show or hide regions of the selected instance's account or cloud";
    Profiles => "profile", "Show or hide AWS profiles (from ~/.aws/config and credentials)";
    Clouds => "cloud", "Show or hide OpenStack clouds (clouds.yaml, openrc variables)";
    Toggle => "toggle", "Picker: show or hide the selected one; sweep: add its region to the table";
    Mark => "mark", "Mark or unmark the selected instance";
    MarkAll => "mark_all", "Mark every shown instance, or unmark all";
    SortNext => "sort_next", "Sort by the next column";
    SortReverse => "sort_reverse", "Reverse the sort order";
    ToggleFollow => "follow", "Console: follow new output";
    Search => "search", "Console: search the log";
    SearchNext => "search_next", "Console: go to the next match";
    SearchPrev => "search_prev", "Console: go to the previous match";
    Close => "close", "Close the view";
    Confirm => "confirm", "Yes / accept / submit";
    Cancel => "cancel", "No / cancel / leave without acting";
    NextField => "next_field", "Go to the next field";
    PrevField => "prev_field", "Go to the previous field";
    ChooseNext => "choose_next", "Switch to the next choice the cloud lists";
    ChoosePrev => "choose_prev", "Switch to the previous choice the cloud lists";
    Attach => "attach", "Attach a public IP (reuses a free one, else allocates)";
    Detach => "detach", "Detach the public IP (it stays allocated)";
    Release => "release", "Release the selected address or delete the selected loose volume (asks first)";
    ToggleRelease => "toggle_release", "Terminate question: also release the instances' public IPs, or keep them";
    DeleteBack => "delete_back", "Delete the character before the cursor";
    ClearLine => "clear_line", "Clear the input";
    KeepAndQuit => "keep_and_quit", "Keep the instances running and quit";
    Park => "park", "Stop the AWS ones and shelve the OpenStack ones, then quit (asks first)";
}

impl Command {
    /// The power action a lifecycle command asks for.
    pub fn power_action(self) -> Option<crate::cloud::PowerAction> {
        use crate::cloud::PowerAction;
        Some(match self {
            Command::Stop => PowerAction::Stop,
            Command::Start => PowerAction::Start,
            Command::Reboot => PowerAction::Reboot,
            Command::HardReboot => PowerAction::HardReboot,
            Command::Shelve => PowerAction::Shelve,
            Command::Unshelve => PowerAction::Unshelve,
            _ => return None,
        })
    }

    /// Commands that change a cloud, refused in `--readonly`.
    pub fn mutates_cloud(self) -> bool {
        matches!(
            self,
            Command::Launch
                | Command::Terminate
                | Command::Stop
                | Command::Start
                | Command::Reboot
                | Command::HardReboot
                | Command::Shelve
                | Command::Unshelve
                | Command::Park
                | Command::PublicIp
                | Command::ExtendExpiry
                | Command::Attach
                | Command::Detach
                | Command::Release
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Command::ALL {
            assert_eq!(c.name().parse::<Command>(), Ok(*c));
            assert!(!c.description().is_empty());
        }
        assert!("bogus".parse::<Command>().is_err());
    }
}
