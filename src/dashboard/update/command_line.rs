//! The `:` command line: any command by name, plus `sort`, `filter`, `q`,
//! `q!`, and `region` / `profile` / `cloud` with a name.

use crate::dashboard::command::Command;
use crate::dashboard::effect::Effect;
use crate::dashboard::model::{AppState, SortColumn};

/// `:` commands: any command name, plus `sort`, `filter` and `q`. A line
/// that does not fit its command's usage changes nothing: it only says so.
pub(super) fn run(state: &mut AppState, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else { return };
    let rest: Vec<&str> = words.collect();
    match verb {
        "sort" => match sort_args(&rest) {
            Some((column, desc)) => {
                state.sort = column;
                state.sort_desc = desc;
                state.rebuild_view();
            }
            None => state.error(format!(
                "usage: :sort <{}> [asc|desc]",
                SORT_NAMES.join("|")
            )),
        },
        "filter" => {
            state.filter = rest.join(" ");
            state.rebuild_view();
        }
        // One name after a picker's command: hide it, or show it once its picker lists it.
        "region" | "profile" | "cloud" if rest.len() == 1 => {
            let kind = match verb {
                "region" => Command::Regions,
                "profile" => Command::Profiles,
                _ => Command::Clouds,
            };
            crate::dashboard::overlays::EndpointPicker::toggle_named(state, kind, rest[0], fx);
        }
        // `q!` quits without the reminder of running instances.
        "q!" | "quit!" if rest.is_empty() => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        _ => {
            let command = match verb {
                // `q!` only gets here with words after it: a usage error.
                "q" | "quit" | "q!" | "quit!" => Ok(Command::Quit),
                other => other.replace('-', "_").parse::<Command>(),
            };
            match command {
                Err(()) => state.error(format!("unknown command :{verb} (see ? for the list)")),
                // No other command takes words after it.
                Ok(_) if !rest.is_empty() => state.error(format!(
                    "usage: :{verb} (nothing after it; only :sort, :filter, :region, :profile \
                     and :cloud take more)"
                )),
                Ok(cmd) => super::run(state, cmd, fx),
            }
        }
    }
}

/// The column names `:sort` takes, as its usage line shows them.
const SORT_NAMES: [&str; 10] = [
    "cloud",
    "region",
    "name",
    "id",
    "state",
    "type",
    "public-ip",
    "private-ip",
    "age",
    "cost",
];

/// `<column> [asc|desc]`, nothing more.
fn sort_args(args: &[&str]) -> Option<(SortColumn, bool)> {
    let (column, direction) = match args {
        [column] => (column, None),
        [column, direction] => (column, Some(direction.to_ascii_lowercase())),
        _ => return None,
    };
    let column = SortColumn::parse(column)?;
    let desc = match direction.as_deref() {
        None | Some("asc" | "ascending") => false,
        Some("desc" | "descending") => true,
        Some(_) => return None,
    };
    Some((column, desc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_names_every_column_sort_takes() {
        for name in SORT_NAMES {
            assert!(SortColumn::parse(name).is_some(), "{name}");
        }
        for column in SortColumn::ALL {
            assert!(
                SORT_NAMES
                    .iter()
                    .any(|n| SortColumn::parse(n) == Some(column)),
                "{column:?} is missing from the usage"
            );
        }
    }
}
