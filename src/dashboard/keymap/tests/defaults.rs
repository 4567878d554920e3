//! The built-in keymap.toml.

use super::*;
use crate::dashboard::command::{Command, Context};

#[test]
fn default_keymap_binds_every_command() {
    let keymap = default_keymap();
    for cmd in Command::ALL {
        let bound = Context::ALL
            .iter()
            .any(|ctx| !keymap.keys_for(*ctx, *cmd).is_empty());
        assert!(bound, "{cmd} has no key in the built-in keymap");
    }
}

#[test]
fn default_keymap_never_terminates_on_a_paging_key() {
    let keymap = default_keymap();
    for ctx in [Context::Table, Context::Console] {
        assert_eq!(keymap.lookup(ctx, &key("ctrl-d")), Some(Command::PageDown));
        assert_eq!(keymap.lookup(ctx, &key("ctrl-u")), Some(Command::PageUp));
    }
    assert_eq!(
        shown(keymap.keys_for(Context::Table, Command::Terminate)),
        ["X"]
    );
    assert!(
        keymap
            .keys_for(Context::Console, Command::Terminate)
            .is_empty()
    );
    assert_eq!(keymap.lookup(Context::Table, &key("x")), None);
}

#[test]
fn default_keymap_bindings() {
    let keymap = default_keymap();
    let table = |k: &str| keymap.lookup(Context::Table, &key(k));
    let console = |k: &str| keymap.lookup(Context::Console, &key(k));
    assert_eq!(table("j"), Some(Command::MoveDown));
    assert_eq!(table("Down"), Some(Command::MoveDown));
    assert_eq!(table("G"), Some(Command::Bottom));
    assert_eq!(table("g"), Some(Command::Top));
    assert_eq!(table("/"), Some(Command::Filter));
    assert_eq!(table(":"), Some(Command::CommandLine));
    assert_eq!(table("Esc"), Some(Command::ClearFilter));
    assert_eq!(table("Enter"), Some(Command::Describe));
    assert_eq!(table("?"), Some(Command::Help));
    assert_eq!(table("ctrl-c"), Some(Command::Quit));
    assert_eq!(table("c"), Some(Command::Launch));
    assert_eq!(table("i"), Some(Command::PublicIp));
    assert_eq!(table("l"), Some(Command::Console));
    assert_eq!(table("s"), Some(Command::Ssh));
    assert_eq!(table("r"), Some(Command::Refresh));
    assert_eq!(table("Space"), Some(Command::Mark));
    assert_eq!(table("ctrl-a"), Some(Command::MarkAll));
    assert_eq!(table("a"), None);
    assert_eq!(table("o"), Some(Command::SortNext));
    assert_eq!(table("O"), Some(Command::SortReverse));
    assert_eq!(console("f"), Some(Command::ToggleFollow));
    assert_eq!(console("/"), Some(Command::Search));
    assert_eq!(console("n"), Some(Command::SearchNext));
    assert_eq!(console("N"), Some(Command::SearchPrev));
    assert_eq!(console("Esc"), Some(Command::Close));
    assert_eq!(console("q"), Some(Command::Close));
    assert_eq!(console("End"), Some(Command::Bottom));

    let x = keymap.binding(Context::Table, &key("X"));
    assert_eq!(
        x.map(|b| b.description.as_str()),
        Some("Terminate the marked instances, or the selected one (asks first)")
    );
    let j = keymap.binding(Context::Table, &key("j"));
    assert_eq!(
        j.map(|b| b.description.as_str()),
        Some(Command::MoveDown.description())
    );
}

#[test]
fn keys_for_puts_the_footer_key_first() {
    let keymap = default_keymap();
    let keys = |ctx, cmd| shown(keymap.keys_for(ctx, cmd));
    assert_eq!(keys(Context::Table, Command::MoveDown), ["j", "Down"]);
    assert_eq!(
        keys(Context::Table, Command::PageDown),
        ["ctrl-d", "PageDown"]
    );
    assert_eq!(keys(Context::Table, Command::Bottom), ["G", "End"]);
    assert_eq!(keys(Context::Table, Command::Quit), ["q", "ctrl-c"]);
    assert_eq!(keys(Context::Console, Command::Close), ["q", "Esc"]);
    assert_eq!(keys(Context::Console, Command::ToggleFollow), ["f"]);
}

#[test]
fn bindings_follow_command_order() {
    let keymap = default_keymap();
    let table: Vec<(String, Command)> = keymap
        .bindings(Context::Table)
        .into_iter()
        .map(|b| (b.key.to_string(), b.command))
        .collect();
    assert_eq!(
        table[..6],
        [
            ("q".to_string(), Command::Quit),
            ("ctrl-c".to_string(), Command::Quit),
            ("?".to_string(), Command::Help),
            ("j".to_string(), Command::MoveDown),
            ("Down".to_string(), Command::MoveDown),
            ("k".to_string(), Command::MoveUp),
        ]
    );
    let commands: Vec<Command> = table.iter().map(|(_, c)| *c).collect();
    let mut sorted = commands.clone();
    sorted.sort();
    assert_eq!(commands, sorted);
    assert_eq!(table.len(), 32);
    assert_eq!(keymap.bindings(Context::Console).len(), 21);
}
