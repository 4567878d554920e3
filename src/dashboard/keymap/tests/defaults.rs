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
    assert_eq!(table.len(), 45);
    assert_eq!(keymap.bindings(Context::Console).len(), 21);
}

#[test]
fn every_section_of_the_built_in_keymap_parses_and_binds_keys() {
    let written::Document(sections) =
        toml::from_str(DEFAULT_KEYMAP).unwrap_or_else(|e| panic!("{e}"));
    let mut names: Vec<&str> = sections
        .keys()
        .map(|name| name.get_ref().as_str())
        .collect();
    let mut expected: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
    names.sort_unstable();
    expected.sort_unstable();
    assert_eq!(names, expected, "keymap.toml has one section per context");

    let file = Keymap::parse(DEFAULT_KEYMAP, DEFAULT_SOURCE).unwrap_or_else(|e| panic!("{e}"));
    let keymap = default_keymap();
    for ctx in Context::ALL {
        assert!(
            file.entries
                .iter()
                .any(|e| e.context == ctx && e.binding.is_some()),
            "[{}] binds no key",
            ctx.name()
        );
        assert!(
            !keymap.bindings(ctx).is_empty(),
            "[{}] binds no key",
            ctx.name()
        );
    }
}

#[test]
fn popup_sections_bind_todays_keys() {
    let keymap = default_keymap();
    let section = |ctx| -> Vec<String> {
        keymap
            .bindings(ctx)
            .into_iter()
            .map(|b| format!("{}={}", b.key, b.command))
            .collect()
    };
    let scrolling = [
        "j=down",
        "Down=down",
        "k=up",
        "Up=up",
        "Space=page_down",
        "PageDown=page_down",
        "PageUp=page_up",
        "g=top",
        "Home=top",
        "?=close",
        "q=close",
        "Enter=close",
        "Esc=close",
    ];
    assert_eq!(section(Context::Help), scrolling);
    assert_eq!(section(Context::Describe), scrolling);
    assert_eq!(
        section(Context::Prompt),
        [
            "Enter=confirm",
            "Esc=cancel",
            "Backspace=delete_back",
            "ctrl-u=clear_line"
        ]
    );
    assert_eq!(
        section(Context::Confirm),
        [
            "j=down",
            "Down=down",
            "k=up",
            "Up=up",
            "y=confirm",
            "Y=confirm",
            "n=cancel",
            "q=cancel",
            "Esc=cancel",
            "r=toggle_release"
        ]
    );
    assert_eq!(
        section(Context::Launch),
        [
            "j=down",
            "Down=down",
            "k=up",
            "Up=up",
            "Enter=confirm",
            "q=cancel",
            "Esc=cancel",
            "Tab=next_field",
            "shift-Tab=prev_field",
            "Right=choose_next",
            "Left=choose_prev",
            "Backspace=delete_back",
        ]
    );
    assert_eq!(
        section(Context::PublicIp),
        [
            "q=close",
            "Esc=close",
            "Enter=confirm",
            "a=attach",
            "d=detach"
        ]
    );
    assert_eq!(
        section(Context::Addresses),
        [
            "j=down",
            "Down=down",
            "k=up",
            "Up=up",
            "q=close",
            "Enter=close",
            "Esc=close",
            "R=release"
        ]
    );
    assert_eq!(
        section(Context::Quit),
        [
            "Down=down",
            "Up=up",
            "t=terminate",
            "T=terminate",
            "s=cancel",
            "Esc=cancel",
            "k=keep_and_quit",
            "q=keep_and_quit",
            "p=park"
        ]
    );
}

#[test]
fn keymap_toml_header_describes_every_section() {
    let header: Vec<&str> = DEFAULT_KEYMAP
        .lines()
        .take_while(|line| line.starts_with('#') || line.trim().is_empty())
        .collect();
    for ctx in Context::ALL {
        let entry = format!("#   [{}]", ctx.name());
        assert!(
            header.iter().any(|line| line.starts_with(&entry)),
            "keymap.toml's header does not describe [{}]",
            ctx.name()
        );
    }
    assert!(
        header
            .iter()
            .any(|line| line.contains("Printable characters are typed"))
    );
}
