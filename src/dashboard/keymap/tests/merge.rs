//! User keymaps merged on the built-in one, and loading them from disk.

use super::*;
use crate::dashboard::command::{Command, Context};

#[test]
fn user_keymap_overrides_only_the_keys_it_names() {
    let mut keymap = default_keymap();
    let file = user("[table]\nj = \"up\"\nd = \"terminate\"\n").unwrap_or_else(|e| panic!("{e}"));
    keymap.merge(file);
    assert_eq!(
        keymap.lookup(Context::Table, &key("j")),
        Some(Command::MoveUp)
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("d")),
        Some(Command::Terminate)
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("Down")),
        Some(Command::MoveDown)
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("X")),
        Some(Command::Terminate)
    );
    assert_eq!(
        keymap.lookup(Context::Console, &key("j")),
        Some(Command::MoveDown)
    );
    assert_eq!(
        shown(keymap.keys_for(Context::Table, Command::Terminate)),
        ["d", "X"]
    );
    assert_eq!(
        shown(keymap.keys_for(Context::Table, Command::MoveDown)),
        ["Down"]
    );
}

#[test]
fn user_keymap_matches_keys_however_written() {
    let mut keymap = default_keymap();
    keymap.merge(
        user("[table]\n\"shift-x\" = \"launch\"\nDOWN = \"up\"\n")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("X")),
        Some(Command::Launch)
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("Down")),
        Some(Command::MoveUp)
    );
}

#[test]
fn none_unbinds() {
    let mut keymap = default_keymap();
    keymap.merge(
        user("[table]\nX = \"none\"\n\n[console]\nq = { run = \"none\" }\nz = \"none\"\n")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(keymap.lookup(Context::Table, &key("X")), None);
    assert!(
        keymap
            .keys_for(Context::Table, Command::Terminate)
            .is_empty()
    );
    assert_eq!(keymap.lookup(Context::Console, &key("q")), None);
    assert_eq!(
        shown(keymap.keys_for(Context::Console, Command::Close)),
        ["Esc"]
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("q")),
        Some(Command::Quit)
    );
}

#[test]
fn inline_table_sets_the_description() {
    let mut keymap = default_keymap();
    keymap.merge(
        user(
            "[console]\nx = { run = \"close\", desc = \"Back to the table\" }\n\
             y = { run = \"close\" }\nw = { run = \"close\", desc = \"  \" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let desc = |k: &str| {
        keymap
            .binding(Context::Console, &key(k))
            .map(|b| (b.command, b.description.clone()))
    };
    assert_eq!(
        desc("x"),
        Some((Command::Close, "Back to the table".to_string()))
    );
    assert_eq!(
        desc("y"),
        Some((Command::Close, Command::Close.description().to_string()))
    );
    assert_eq!(
        desc("w"),
        Some((Command::Close, Command::Close.description().to_string()))
    );
}

#[test]
fn sub_table_form_works_like_an_inline_table() {
    let file = user("[table.X]\nrun = \"launch\"\ndesc = \"New ones\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut keymap = default_keymap();
    keymap.merge(file);
    let x = keymap.binding(Context::Table, &key("X"));
    assert_eq!(
        x.map(|b| (b.command, b.description.as_str())),
        Some((Command::Launch, "New ones"))
    );
}

#[test]
fn empty_user_keymap_changes_nothing() {
    let mut keymap = default_keymap();
    keymap.merge(user("# nothing yet\n[table]\n").unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(keymap, default_keymap());
}

#[test]
fn load_without_a_user_file_is_the_default() {
    let keymap = Keymap::load(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(keymap, default_keymap());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("keymap.toml");
    let keymap = Keymap::load(Some(&missing)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(keymap, default_keymap());
}

#[test]
fn load_merges_the_user_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, "[table]\nX = \"none\"\nD = \"terminate\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::load(Some(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        shown(keymap.keys_for(Context::Table, Command::Terminate)),
        ["D"]
    );
    assert_eq!(
        keymap.lookup(Context::Table, &key("j")),
        Some(Command::MoveDown)
    );
}

#[test]
fn load_rejects_a_bad_user_file_with_its_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, "[table]\nj = \"up\"\nX = \"terminat\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = match Keymap::load(Some(&path)) {
        Ok(_) => panic!("a bad keymap loaded"),
        Err(e) => e,
    };
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: [table] key \"X\": unknown action \"terminat\" (did you mean \"terminate\"?)",
            path.display()
        )
    );
    assert!(err.downcast_ref::<Located>().is_some());
}

#[test]
fn load_reports_an_unreadable_file_with_its_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A directory exists but cannot be read as a file.
    let err = match Keymap::load(Some(dir.path())) {
        Ok(_) => panic!("a directory loaded as a keymap"),
        Err(e) => e,
    };
    assert_eq!(
        err.to_string(),
        format!("cannot read keymap {}", dir.path().display())
    );
    assert!(err.downcast_ref::<std::io::Error>().is_some());
}

#[test]
fn confirm_can_take_capital_y_only() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut keymap = default_keymap();
    keymap.merge(
        user("[confirm]\ny = \"none\"\nY = \"confirm\"\n").unwrap_or_else(|e| panic!("{e}")),
    );
    let confirm = |k: &str| keymap.lookup(Context::Confirm, &key(k));
    assert_eq!(confirm("y"), None);
    assert_eq!(confirm("Y"), Some(Command::Confirm));
    assert_eq!(confirm("n"), Some(Command::Cancel));
    assert_eq!(confirm("Esc"), Some(Command::Cancel));
    assert_eq!(
        shown(keymap.keys_for(Context::Confirm, Command::Confirm)),
        ["Y"]
    );
    // As the terminal reports them: `y`, and shift+y from a legacy terminal.
    let event = |code, modifiers| Key::from_event(&KeyEvent::new(code, modifiers));
    assert_eq!(
        keymap.lookup(
            Context::Confirm,
            &event(KeyCode::Char('y'), KeyModifiers::NONE)
        ),
        None
    );
    assert_eq!(
        keymap.lookup(
            Context::Confirm,
            &event(KeyCode::Char('Y'), KeyModifiers::SHIFT)
        ),
        Some(Command::Confirm)
    );
    // Only [confirm] changed: `n` still finds the next match in the console.
    assert_eq!(
        keymap.lookup(Context::Console, &key("n")),
        Some(Command::SearchNext)
    );
}

#[test]
fn every_section_takes_user_bindings() {
    for ctx in Context::ALL {
        let mut keymap = default_keymap();
        let text = format!("[{}]\nF5 = \"refresh\"\n", ctx.name());
        keymap.merge(user(&text).unwrap_or_else(|e| panic!("[{}]: {e}", ctx.name())));
        assert_eq!(
            keymap.lookup(ctx, &key("F5")),
            Some(Command::Refresh),
            "[{}]",
            ctx.name()
        );
    }
}
