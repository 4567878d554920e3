//! User intents that keys can be bound to. Names are what `keymap.toml` uses.

use std::fmt;
use std::str::FromStr;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// The instance table (the main screen).
    Table,
    /// The console log view.
    Console,
}

impl Context {
    pub const ALL: [Context; 2] = [Context::Table, Context::Console];

    pub fn name(self) -> &'static str {
        match self {
            Context::Table => "table",
            Context::Console => "console",
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
    PublicIp => "public_ip", "Attach or detach a public IP (Elastic / floating IP)";
    Addresses => "addresses", "List every public IP, release unassociated ones";
    Forgotten => "forgotten", "Show only flagged instances (too old, expired, idle); again shows all";
    ExtendExpiry => "extend", "Extend the expiry (hytop:expires) of the marked or selected instances";
    Console => "console", "Tail the console log of the selected instance";
    Ssh => "ssh", "ssh into the selected instance";
    Refresh => "refresh", "Refresh every cloud now";
    Mark => "mark", "Mark or unmark the selected instance";
    MarkAll => "mark_all", "Mark every shown instance, or unmark all";
    SortNext => "sort_next", "Sort by the next column";
    SortReverse => "sort_reverse", "Reverse the sort order";
    ToggleFollow => "follow", "Console: follow new output";
    Search => "search", "Console: search the log";
    SearchNext => "search_next", "Console: go to the next match";
    SearchPrev => "search_prev", "Console: go to the previous match";
    Close => "close", "Close the view";
}

impl Command {
    /// Commands that change a cloud, refused in `--readonly`.
    pub fn mutates_cloud(self) -> bool {
        matches!(
            self,
            Command::Launch | Command::Terminate | Command::PublicIp | Command::ExtendExpiry
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
