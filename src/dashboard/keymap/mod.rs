//! Key bindings: which key runs which [`Command`] in which [`Context`].
//!
//! The built-in keymap is `keymap.toml` at the repository root, compiled in so
//! hytop always has one. A user keymap has the same format and only names the
//! keys it changes; it is validated as a whole before anything is merged, so a
//! mistake never leaves hytop half-configured.
//!
//! - `key`: key names (`j`, `ctrl-d`, `shift-Tab`) and terminal events.
//! - `written`: the file as serde reads it, every value with its span and
//!   nothing checked yet.
//! - `parse`: the file format's rules, checked in file order, each problem a
//!   [`Located`] error (`file:line: [section] key "k": message`).
//! - `suggest`: "did you mean" for every misspelt name.

mod key;
mod parse;
mod suggest;
mod written;

use std::collections::HashMap;
use std::path::Path;

pub use self::key::{Key, ParseKeyError};
use crate::config::error::Located;
use crate::dashboard::command::{Command, Context};

const DEFAULT_KEYMAP: &str = include_str!("../../../keymap.toml");
const DEFAULT_SOURCE: &str = "<built-in keymap.toml>";

/// One key bound to one command, as `?` help shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub command: Command,
    pub description: String,
}

/// A parsed, fully validated keymap file: bindings to add and keys to unbind,
/// to be applied with [`Keymap::merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapFile {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    context: Context,
    key: Key,
    /// `None` unbinds the key.
    binding: Option<Binding>,
}

/// Which command each key runs, per context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    contexts: HashMap<Context, HashMap<Key, Binding>>,
}

impl Keymap {
    /// The built-in keymap, `keymap.toml`.
    pub fn default_keymap() -> Result<Keymap, Located> {
        let mut keymap = Keymap {
            contexts: HashMap::new(),
        };
        keymap.merge(Keymap::parse(DEFAULT_KEYMAP, DEFAULT_SOURCE)?);
        Ok(keymap)
    }

    /// The built-in keymap with the user's keymap at `user_path` on top. A
    /// missing user file is not an error: most users never write one.
    pub fn load(user_path: Option<&Path>) -> color_eyre::Result<Keymap> {
        use color_eyre::eyre::WrapErr;
        let mut keymap = Keymap::default_keymap()?;
        let Some(path) = user_path else {
            return Ok(keymap);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keymap),
            Err(e) => {
                return Err(e).wrap_err_with(|| format!("cannot read keymap {}", path.display()));
            }
        };
        keymap.merge(Keymap::parse(&text, &path.display().to_string())?);
        Ok(keymap)
    }

    /// Parses and validates a keymap file's text; `source` names it in errors.
    /// The first problem in file order is reported, as
    /// `file:line: [section] key "k": message`.
    pub fn parse(text: &str, source: &str) -> Result<KeymapFile, Located> {
        parse::parse(text, source)
    }

    /// Applies a parsed keymap file: each key it names replaces (or, with
    /// `"none"`, removes) that key's binding; every other key is kept.
    pub fn merge(&mut self, file: KeymapFile) {
        for entry in file.entries {
            let bindings = self.contexts.entry(entry.context).or_default();
            match entry.binding {
                Some(binding) => {
                    bindings.insert(entry.key, binding);
                }
                None => {
                    bindings.remove(&entry.key);
                }
            }
        }
    }

    /// The command `key` runs in `ctx`, if any.
    pub fn lookup(&self, ctx: Context, key: &Key) -> Option<Command> {
        self.binding(ctx, key).map(|b| b.command)
    }

    /// Like [`Keymap::lookup`], with the description `?` help shows.
    pub fn binding(&self, ctx: Context, key: &Key) -> Option<&Binding> {
        self.contexts.get(&ctx)?.get(key)
    }

    /// Every binding of `ctx`, grouped by command in `Command::ALL` order,
    /// for `?` help.
    pub fn bindings(&self, ctx: Context) -> Vec<&Binding> {
        let mut bindings: Vec<&Binding> = self
            .contexts
            .get(&ctx)
            .map(|m| m.values().collect())
            .unwrap_or_default();
        // `Command`'s derived order is its declaration order, which is ALL's.
        bindings.sort_by_key(|b| (b.command, b.key.sort_key()));
        bindings
    }

    /// The keys that run `cmd` in `ctx`, the one a footer hint should show
    /// first (plain characters before named keys).
    pub fn keys_for(&self, ctx: Context, cmd: Command) -> Vec<&Key> {
        let mut keys: Vec<&Key> = self
            .contexts
            .get(&ctx)
            .map(|m| {
                m.values()
                    .filter(|b| b.command == cmd)
                    .map(|b| &b.key)
                    .collect()
            })
            .unwrap_or_default();
        keys.sort_by_key(|k| k.sort_key());
        keys
    }
}

#[cfg(test)]
mod tests;
