//! The `:` command line: any command by name, plus `sort`, `filter`, `q`
//! and `q!`.

use crate::dashboard::command::Command;
use crate::dashboard::effect::Effect;
use crate::dashboard::model::{AppState, SortColumn};

/// `:` commands: any command name, plus `sort`, `filter` and `q`.
pub(super) fn run(state: &mut AppState, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else { return };
    let rest: Vec<&str> = words.collect();
    match verb {
        "q" | "quit" => super::run(state, Command::Quit, fx),
        // Quits without the reminder of running instances.
        "q!" | "quit!" => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        "sort" => {
            let Some(column) = rest.first().and_then(|c| SortColumn::parse(c)) else {
                state.error("usage: :sort <cloud|region|name|id|state|type|public-ip|private-ip|age> [asc|desc]");
                return;
            };
            state.sort = column;
            state.sort_desc = rest.get(1).is_some_and(|d| d.starts_with("desc"));
            state.rebuild_view();
        }
        "filter" => {
            state.filter = rest.join(" ");
            state.rebuild_view();
        }
        other => match other.replace('-', "_").parse::<Command>() {
            Ok(cmd) => super::run(state, cmd, fx),
            Err(()) => state.error(format!("unknown command :{other} (see ? for the list)")),
        },
    }
}
