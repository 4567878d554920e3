//! Tests of the keymap as a whole: the built-in keymap.toml, user keymaps
//! merged on top of it, and the located errors of bad ones. Key names have
//! their own tests in `key.rs`.

mod defaults;
mod errors;
mod merge;

use super::*;

fn key(s: &str) -> Key {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn user(text: &str) -> Result<KeymapFile, Located> {
    Keymap::parse(text, "~/.config/hytop/keymap.toml")
}

fn user_err(text: &str) -> String {
    match user(text) {
        Ok(file) => panic!("expected an error, parsed {file:?}"),
        Err(e) => e.to_string(),
    }
}

fn default_keymap() -> Keymap {
    Keymap::default_keymap().unwrap_or_else(|e| panic!("built-in keymap: {e}"))
}

fn shown(keys: Vec<&Key>) -> Vec<String> {
    keys.into_iter().map(Key::to_string).collect()
}
