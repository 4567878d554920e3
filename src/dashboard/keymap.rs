//! Key bindings: which key runs which [`Command`] in which [`Context`].
//!
//! The built-in keymap is `keymap.toml` at the repository root, compiled in so
//! hytop always has one. A user keymap has the same format and only names the
//! keys it changes; it is validated as a whole before anything is merged, so a
//! mistake never leaves hytop half-configured.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::config::line_of;
use crate::dashboard::command::{Command, Context};

const DEFAULT_KEYMAP: &str = include_str!("../../keymap.toml");
const DEFAULT_SOURCE: &str = "<built-in keymap.toml>";

/// The value that removes a binding instead of naming a command.
const UNBIND: &str = "none";

/// Modifier prefixes in the order [`Key`]'s `Display` writes them.
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT),
    ("super", KeyModifiers::SUPER),
    ("hyper", KeyModifiers::HYPER),
    ("meta", KeyModifiers::META),
];

/// Accepted spellings of modifier prefixes besides the canonical ones.
const MODIFIER_ALIASES: &[(&str, KeyModifiers)] = &[("control", KeyModifiers::CONTROL)];

/// Named keys. The first name listed for a code is its canonical spelling;
/// the order is also the order keys of the same command appear in `?` help.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Escape", KeyCode::Esc),
    ("Space", KeyCode::Char(' ')),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PgUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("PgDn", KeyCode::PageDown),
    ("PgDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Insert", KeyCode::Insert),
    ("Ins", KeyCode::Insert),
    ("Delete", KeyCode::Delete),
    ("Del", KeyCode::Delete),
];

/// A key with its modifiers, normalised so that a binding written in
/// `keymap.toml` and the event a terminal reports for it compare equal.
///
/// Normalisation: a character carries its own case, so SHIFT is folded into
/// it (`shift-g`, `G` and crossterm's `Char('G')`+SHIFT are all `G`), except
/// with ctrl, where case is ignored (`ctrl-D` is `ctrl-d`); Tab with SHIFT is
/// BackTab, and BackTab never keeps SHIFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let mut code = code;
        let mut modifiers = modifiers;
        match code {
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::CONTROL) {
                    // Legacy terminals send the same byte for ctrl-d and
                    // ctrl-shift-d, so only the lower case one can be bound
                    // reliably; "Ctrl-D" in a keymap means what docs mean by it.
                    code = KeyCode::Char(single_lowercase(c));
                } else if modifiers.contains(KeyModifiers::SHIFT) {
                    // Terminals speaking the kitty protocol report shift+g as
                    // `g`+SHIFT, legacy ones as `G`+SHIFT: both must be `G`.
                    code = KeyCode::Char(single_uppercase(c));
                }
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        Key { code, modifiers }
    }

    /// The key a terminal event stands for.
    ///
    /// This ignores [`KeyEvent::kind`]: callers must look up only
    /// `KeyEventKind::Press` events (and `Repeat`, if holding a key should
    /// repeat its command), never `Release`: with the kitty protocol's event
    /// types enabled, a release would run the command a second time.
    pub fn from_event(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    /// Human order: plain characters (`j`, `G`, `/`) first because they are
    /// what a footer hint should show, then modified characters (`ctrl-d`),
    /// then named keys (`Down`), then modified named keys.
    fn sort_key(&self) -> (u8, u8, u32, bool) {
        let (named, primary, upper) = match self.code {
            KeyCode::Char(' ') => (true, named_index(self.code), false),
            KeyCode::Char(c) => (false, u32::from(single_lowercase(c)), c.is_uppercase()),
            KeyCode::F(n) => (true, NAMED_KEYS.len() as u32 + u32::from(n), false),
            code => (true, named_index(code), false),
        };
        let rank = match (named, self.modifiers.is_empty()) {
            (false, true) => 0,
            (false, false) => 1,
            (true, true) => 2,
            (true, false) => 3,
        };
        (rank, self.modifiers.bits(), primary, upper)
    }
}

fn named_index(code: KeyCode) -> u32 {
    NAMED_KEYS
        .iter()
        .position(|(_, c)| *c == code)
        .map_or(u32::MAX, |i| i as u32)
}

fn single_uppercase(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn single_lowercase(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // BackTab is what users know as shift-Tab.
        let (code, modifiers) = match self.code {
            KeyCode::BackTab => (KeyCode::Tab, self.modifiers | KeyModifiers::SHIFT),
            code => (code, self.modifiers),
        };
        for (name, flag) in MODIFIERS {
            if modifiers.contains(*flag) {
                write!(f, "{name}-")?;
            }
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, c)| *c == code) {
            return f.write_str(name);
        }
        match code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            // Keys that cannot be written in a keymap still get a readable name.
            other => write!(f, "{other:?}"),
        }
    }
}

/// Why a key name does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseKeyError {
    message: String,
}

impl fmt::Display for ParseKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseKeyError {}

impl FromStr for Key {
    type Err = ParseKeyError;

    /// Parses `j`, `G`, `ctrl-d`, `Enter`, `pgdn`, `shift-Tab`, `F5`, ...:
    /// named keys and modifiers in any case, single characters as written.
    fn from_str(s: &str) -> Result<Key, ParseKeyError> {
        let fail = |message: String| Err(ParseKeyError { message });
        if s.is_empty() {
            return fail("empty key name".into());
        }
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = s;
        // A lone "-" or the "-" in "ctrl--" is the minus key, not a separator.
        while let Some((head, tail)) = rest.split_once('-') {
            let Some(flag) = modifier_named(head) else {
                break;
            };
            if tail.is_empty() {
                return fail(format!("missing key after \"{head}-\""));
            }
            if modifiers.contains(flag) {
                return fail(format!("modifier \"{head}\" given twice"));
            }
            modifiers |= flag;
            rest = tail;
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match named_key(rest) {
                Some(code) => code,
                None => return fail(unknown_key_message(rest)),
            },
        };
        if let KeyCode::Char(c) = code {
            // Which character shift makes of a digit or symbol depends on the
            // keyboard layout, and terminals send that character, not shift.
            if modifiers.contains(KeyModifiers::SHIFT) && !(c.is_lowercase() || c.is_uppercase()) {
                return fail(format!(
                    "\"shift-\" only goes with letters and named keys; write the character shift \
                     types instead of \"shift-{}\" (e.g. \"?\" rather than \"shift-/\")",
                    Key::new(code, KeyModifiers::NONE)
                ));
            }
        }
        Ok(Key::new(code, modifiers))
    }
}

fn modifier_named(name: &str) -> Option<KeyModifiers> {
    MODIFIERS
        .iter()
        .chain(MODIFIER_ALIASES)
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, flag)| *flag)
}

fn named_key(name: &str) -> Option<KeyCode> {
    if let Some((_, code)) = NAMED_KEYS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Some(*code);
    }
    let number = name.strip_prefix(['f', 'F'])?;
    // `u8::from_str` accepts "+5"; key names do not.
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match number.parse::<u8>() {
        Ok(n) if n >= 1 => Some(KeyCode::F(n)),
        _ => None,
    }
}

fn unknown_key_message(name: &str) -> String {
    let names = NAMED_KEYS.iter().map(|(n, _)| *n);
    match suggest(name, names) {
        Some(guess) => format!("unknown key \"{name}\" (did you mean \"{guess}\"?)"),
        None => {
            let canonical: Vec<&str> = NAMED_KEYS
                .iter()
                .enumerate()
                .filter(|(i, (_, code))| named_index(*code) == *i as u32)
                .map(|(_, (n, _))| *n)
                .collect();
            format!(
                "unknown key \"{name}\" (a key is a single character, F1, F2, ... or one of {})",
                canonical.join(", ")
            )
        }
    }
}

/// One key bound to one command, as `?` help shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub command: Command,
    pub description: String,
}

/// A keymap problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    /// The file, as the user should recognise it.
    pub source: String,
    /// 1-based; `None` when the TOML parser could not tell.
    pub line: Option<usize>,
    /// The `[context]` table the problem is in.
    pub context: Option<Context>,
    /// The key as written in the file.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(context) = self.context {
            write!(f, "[{}] ", context.name())?;
        }
        if let Some(key) = &self.key {
            write!(f, "key {key:?}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeymapError {}

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
    pub fn default_keymap() -> Result<Keymap, KeymapError> {
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
    /// The first problem in file order is reported.
    pub fn parse(text: &str, source: &str) -> Result<KeymapFile, KeymapError> {
        let located = |span: Range<usize>,
                       context: Option<Context>,
                       key: Option<&str>,
                       message: String| KeymapError {
            source: source.to_string(),
            line: Some(line_of(text, span.start)),
            context,
            key: key.map(str::to_string),
            message,
        };

        let root = DeTable::parse(text).map_err(|e| KeymapError {
            source: source.to_string(),
            line: e.span().map(|span| line_of(text, span.start)),
            context: None,
            key: None,
            message: syntax_message(text, &e),
        })?;

        let mut entries = Vec::new();
        for (name, value) in in_file_order(root.get_ref()) {
            let name_str: &str = name.get_ref();
            let context = Context::ALL.into_iter().find(|c| c.name() == name_str);
            let (context, table) = match (context, value.get_ref()) {
                (Some(context), DeValue::Table(table)) => (context, table),
                (Some(context), other) => {
                    return Err(located(
                        name.span(),
                        None,
                        None,
                        format!(
                            "\"{}\" must be a table of key bindings ([{}]), found {}",
                            context.name(),
                            context.name(),
                            other.type_str()
                        ),
                    ));
                }
                (None, DeValue::Table(_)) => {
                    let names = Context::ALL.iter().map(|c| c.name());
                    let hint = match suggest(name_str, names) {
                        Some(guess) => format!("did you mean [{guess}]?"),
                        None => format!("contexts: {}", context_list()),
                    };
                    return Err(located(
                        name.span(),
                        None,
                        None,
                        format!("unknown context [{name_str}] ({hint})"),
                    ));
                }
                (None, _) => {
                    return Err(located(
                        name.span(),
                        None,
                        Some(name_str),
                        format!(
                            "bindings go in a context table: put it under {}",
                            context_list()
                        ),
                    ));
                }
            };
            parse_context(context, table, text, &located, &mut entries)?;
        }
        Ok(KeymapFile { entries })
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

type Locate<'a> = dyn Fn(Range<usize>, Option<Context>, Option<&str>, String) -> KeymapError + 'a;

fn parse_context(
    context: Context,
    table: &DeTable<'_>,
    text: &str,
    located: &Locate<'_>,
    entries: &mut Vec<Entry>,
) -> Result<(), KeymapError> {
    // TOML sees `Down` and `down`, or `G` and `shift-g`, as different keys;
    // silently letting the later one win would hide a mistake.
    let mut seen: HashMap<Key, (&str, usize)> = HashMap::new();
    for (raw, value) in in_file_order(table) {
        let raw_key: &str = raw.get_ref();
        let err = |span: Range<usize>, message: String| {
            located(span, Some(context), Some(raw_key), message)
        };
        let key: Key = raw_key
            .parse()
            .map_err(|e: ParseKeyError| err(raw.span(), e.message))?;
        let line = line_of(text, raw.span().start);
        if let Some((first, first_line)) = seen.insert(key, (raw_key, line)) {
            return Err(err(
                raw.span(),
                format!("same key as {first:?} on line {first_line}"),
            ));
        }

        let (run, desc) = match value.get_ref() {
            DeValue::String(name) => (Spanned::new(value.span(), &**name), None),
            DeValue::Table(fields) => parse_fields(fields, value.span(), &err)?,
            other => {
                return Err(err(
                    value.span(),
                    format!(
                        "expected an action name or {{ run = \"...\", desc = \"...\" }}, found {}",
                        other.type_str()
                    ),
                ));
            }
        };
        let binding = if *run.get_ref() == UNBIND {
            None
        } else {
            let command: Command = run
                .get_ref()
                .parse()
                .map_err(|()| err(run.span(), unknown_action_message(run.get_ref())))?;
            let description = match desc {
                Some(desc) if !desc.trim().is_empty() => desc.to_string(),
                _ => command.description().to_string(),
            };
            Some(Binding {
                key,
                command,
                description,
            })
        };
        entries.push(Entry {
            context,
            key,
            binding,
        });
    }
    Ok(())
}

/// The `run` and `desc` of `key = { run = "...", desc = "..." }`.
fn parse_fields<'t>(
    fields: &'t DeTable<'_>,
    span: Range<usize>,
    err: &dyn Fn(Range<usize>, String) -> KeymapError,
) -> Result<(Spanned<&'t str>, Option<&'t str>), KeymapError> {
    const FIELDS: [&str; 2] = ["run", "desc"];
    let mut run = None;
    let mut desc = None;
    for (field, value) in in_file_order(fields) {
        let name: &str = field.get_ref();
        let slot = match name {
            "run" => &mut run,
            "desc" => &mut desc,
            _ => {
                let hint = match suggest(name, FIELDS.into_iter()) {
                    Some(guess) => format!("did you mean \"{guess}\"?"),
                    None => "fields: run, desc".to_string(),
                };
                return Err(err(
                    field.span(),
                    format!("unknown field \"{name}\" ({hint})"),
                ));
            }
        };
        match value.get_ref() {
            DeValue::String(s) => *slot = Some(Spanned::new(value.span(), &**s)),
            other => {
                return Err(err(
                    value.span(),
                    format!("\"{name}\" must be a string, found {}", other.type_str()),
                ));
            }
        }
    }
    match run {
        Some(run) => Ok((run, desc.map(|d| *d.get_ref()))),
        None => Err(err(
            span,
            "missing field \"run\" (the action to run)".to_string(),
        )),
    }
}

/// The toml crate's message, plus the text it points at: its messages (e.g.
/// "duplicate key") do not say which key.
fn syntax_message(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim();
    let at = error
        .span()
        .and_then(|span| text.get(span))
        .filter(|at| !at.trim().is_empty() && !at.contains('\n') && at.chars().count() <= 40);
    match at {
        Some(at) => format!("{message} (at {at:?})"),
        None => message.to_string(),
    }
}

fn unknown_action_message(name: &str) -> String {
    let names = Command::ALL.iter().map(|c| c.name());
    match suggest(name, names.clone().chain([UNBIND])) {
        Some(guess) => format!("unknown action \"{name}\" (did you mean \"{guess}\"?)"),
        None => format!(
            "unknown action \"{name}\" (actions: {}, or \"{UNBIND}\" to unbind)",
            names.collect::<Vec<_>>().join(", ")
        ),
    }
}

fn context_list() -> String {
    Context::ALL
        .iter()
        .map(|c| format!("[{}]", c.name()))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A table's entries in the order they appear in the file, which is the
/// order a user reads errors in (the map itself is sorted by name).
fn in_file_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// The candidate closest to `input` (ignoring case), if it is close enough to
/// be a typo rather than a different word.
fn suggest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_lowercase();
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(&input, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: Levenshtein plus swaps of neighbours,
/// the most common typo (`tabel`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn key(s: &str) -> Key {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn user(text: &str) -> Result<KeymapFile, KeymapError> {
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

    #[test]
    fn canonical_names_round_trip() {
        for name in [
            "j",
            "G",
            "/",
            "?",
            ":",
            "-",
            "ctrl--",
            "ctrl-d",
            "ctrl-alt-Up",
            "alt-x",
            "alt-G",
            "shift-Tab",
            "shift-Up",
            "ctrl-Space",
            "Enter",
            "Esc",
            "Space",
            "Tab",
            "Backspace",
            "Up",
            "Down",
            "Left",
            "Right",
            "PageUp",
            "PageDown",
            "Home",
            "End",
            "Insert",
            "Delete",
            "F1",
            "F12",
            "super-hyper-meta-k",
        ] {
            assert_eq!(key(name).to_string(), name, "round trip of {name:?}");
        }
    }

    #[test]
    fn aliases_and_case_normalise() {
        for (written, canonical) in [
            ("enter", "Enter"),
            ("RETURN", "Enter"),
            ("escape", "Esc"),
            ("ESC", "Esc"),
            ("pagedown", "PageDown"),
            ("PgDn", "PageDown"),
            ("pgdown", "PageDown"),
            ("pgup", "PageUp"),
            ("del", "Delete"),
            ("ins", "Insert"),
            ("space", "Space"),
            (" ", "Space"),
            ("f5", "F5"),
            ("Ctrl-D", "ctrl-d"),
            ("control-d", "ctrl-d"),
            ("ctrl-shift-d", "ctrl-d"),
            ("ctrl-alt-X", "ctrl-alt-x"),
            ("shift-g", "G"),
            ("shift-G", "G"),
            ("alt-shift-x", "alt-X"),
            ("BackTab", "shift-Tab"),
            ("SHIFT-tab", "shift-Tab"),
            ("alt-ctrl-up", "ctrl-alt-Up"),
        ] {
            assert_eq!(key(written).to_string(), canonical, "{written:?}");
        }
        assert_eq!(key("G"), Key::new(KeyCode::Char('G'), KeyModifiers::NONE));
        assert_ne!(key("g"), key("G"));
        assert_eq!(
            key("ctrl-d"),
            Key::new(KeyCode::Char('d'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            key("space"),
            Key::new(KeyCode::Char(' '), KeyModifiers::NONE)
        );
    }

    #[test]
    fn bad_key_names_say_why() {
        let err = |s: &str| match s.parse::<Key>() {
            Ok(k) => panic!("{s:?} parsed as {k}"),
            Err(e) => e.to_string(),
        };
        assert_eq!(err(""), "empty key name");
        assert_eq!(err("ctrl-"), "missing key after \"ctrl-\"");
        assert_eq!(err("ctrl-CTRL-x"), "modifier \"CTRL\" given twice");
        assert_eq!(
            err("pgdwn"),
            "unknown key \"pgdwn\" (did you mean \"PgDn\"?)"
        );
        assert_eq!(
            err("escpae"),
            "unknown key \"escpae\" (did you mean \"Escape\"?)"
        );
        assert_eq!(
            err("hello"),
            "unknown key \"hello\" (a key is a single character, F1, F2, ... or one of Enter, \
             Esc, Space, Tab, BackTab, Backspace, Up, Down, Left, Right, PageUp, PageDown, \
             Home, End, Insert, Delete)"
        );
        assert!(err("F0").starts_with("unknown key \"F0\""));
        assert!(err("F+1").starts_with("unknown key \"F+1\""));
        assert!(err("F256").starts_with("unknown key \"F256\""));
        assert!(err("page-down").starts_with("unknown key \"page-down\""));
        assert_eq!(
            err("shift-/"),
            "\"shift-\" only goes with letters and named keys; write the character shift types \
             instead of \"shift-/\" (e.g. \"?\" rather than \"shift-/\")"
        );
        assert!(err("shift-1").contains("instead of \"shift-1\""));
    }

    #[test]
    fn terminal_events_normalise_to_keymap_keys() {
        let ev = |code, modifiers| Key::from_event(&KeyEvent::new(code, modifiers));
        // Legacy terminals: the character is already upper case.
        assert_eq!(ev(KeyCode::Char('G'), KeyModifiers::SHIFT), key("G"));
        // Kitty protocol without alternate keys: shift is reported separately.
        assert_eq!(ev(KeyCode::Char('g'), KeyModifiers::SHIFT), key("G"));
        assert_eq!(ev(KeyCode::Char('g'), KeyModifiers::NONE), key("g"));
        assert_eq!(ev(KeyCode::Char('?'), KeyModifiers::SHIFT), key("?"));
        assert_eq!(ev(KeyCode::Char('d'), KeyModifiers::CONTROL), key("ctrl-d"));
        // Kitty protocol: ctrl-shift-d; legacy terminals cannot tell it apart.
        assert_eq!(
            ev(
                KeyCode::Char('D'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            ),
            key("ctrl-d")
        );
        assert_eq!(
            ev(KeyCode::Char('x'), KeyModifiers::ALT | KeyModifiers::SHIFT),
            key("alt-X")
        );
        assert_eq!(ev(KeyCode::BackTab, KeyModifiers::SHIFT), key("shift-Tab"));
        assert_eq!(ev(KeyCode::Tab, KeyModifiers::SHIFT), key("shift-Tab"));
        assert_eq!(ev(KeyCode::Char(' '), KeyModifiers::NONE), key("Space"));
        assert_eq!(ev(KeyCode::Up, KeyModifiers::SHIFT), key("shift-Up"));
        assert_ne!(ev(KeyCode::Up, KeyModifiers::SHIFT), key("Up"));
        assert_eq!(ev(KeyCode::F(1), KeyModifiers::NONE).to_string(), "F1");

        // Kind and state do not change which key it is.
        let release = KeyEvent::new_with_kind_and_state(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
            KeyEventState::NUM_LOCK,
        );
        assert_eq!(Key::from_event(&release), key("q"));
    }

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

    #[test]
    fn user_keymap_overrides_only_the_keys_it_names() {
        let mut keymap = default_keymap();
        let file =
            user("[table]\nj = \"up\"\nd = \"terminate\"\n").unwrap_or_else(|e| panic!("{e}"));
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
    fn unknown_action_suggests_the_closest() {
        assert_eq!(
            user_err("# my keys\n\n[table]\nj = \"down\"\n\n\nX = \"terminat\"\n"),
            "~/.config/hytop/keymap.toml:7: [table] key \"X\": unknown action \"terminat\" \
             (did you mean \"terminate\"?)"
        );
        assert_eq!(
            user_err("[console]\nx = { run = \"serch\" }\n"),
            "~/.config/hytop/keymap.toml:2: [console] key \"x\": unknown action \"serch\" \
             (did you mean \"search\"?)"
        );
    }

    #[test]
    fn errors_carry_their_location_as_fields() {
        let err = match user("[console]\nq = \"quit\"\n\n[table]\n\"ctrl-x\" = \"nope\"\n") {
            Ok(file) => panic!("parsed {file:?}"),
            Err(e) => e,
        };
        assert_eq!(err.source, "~/.config/hytop/keymap.toml");
        assert_eq!(err.line, Some(5));
        assert_eq!(err.context, Some(Context::Table));
        assert_eq!(err.key.as_deref(), Some("ctrl-x"));
        assert_eq!(
            err.message,
            "unknown action \"nope\" (did you mean \"none\"?)"
        );
    }

    #[test]
    fn unknown_action_without_a_close_match_lists_them() {
        assert_eq!(
            user_err("[table]\nz = \"frobnicate\"\n"),
            "~/.config/hytop/keymap.toml:2: [table] key \"z\": unknown action \"frobnicate\" \
             (actions: quit, help, down, up, page_down, page_up, top, bottom, filter, command, \
             clear, describe, launch, terminate, public_ip, addresses, forgotten, extend, console, ssh, refresh, \
             mark, mark_all, sort_next, sort_reverse, follow, search, search_next, search_prev, \
             close, confirm, cancel, next_field, prev_field, choose_next, choose_prev, attach, \
             detach, release, delete_back, clear_line, keep_and_quit, \
             or \"none\" to unbind)"
        );
    }

    #[test]
    fn bad_key_name_is_located() {
        assert_eq!(
            user_err("[table]\nj = \"down\"\n\"ctrl-pgdwn\" = \"page_down\"\n"),
            "~/.config/hytop/keymap.toml:3: [table] key \"ctrl-pgdwn\": unknown key \"pgdwn\" \
             (did you mean \"PgDn\"?)"
        );
    }

    #[test]
    fn wrong_value_type_is_located() {
        assert_eq!(
            user_err("[console]\n\nj = 3\n"),
            "~/.config/hytop/keymap.toml:3: [console] key \"j\": expected an action name or \
             { run = \"...\", desc = \"...\" }, found integer"
        );
        assert_eq!(
            user_err("[table]\nj = [\"down\"]\n"),
            "~/.config/hytop/keymap.toml:2: [table] key \"j\": expected an action name or \
             { run = \"...\", desc = \"...\" }, found array"
        );
    }

    #[test]
    fn inline_table_fields_are_checked() {
        assert_eq!(
            user_err("[table]\nX = { run = \"terminate\", descr = \"Bye\" }\n"),
            "~/.config/hytop/keymap.toml:2: [table] key \"X\": unknown field \"descr\" \
             (did you mean \"desc\"?)"
        );
        assert_eq!(
            user_err("[table]\nX = { command = \"terminate\" }\n"),
            "~/.config/hytop/keymap.toml:2: [table] key \"X\": unknown field \"command\" \
             (fields: run, desc)"
        );
        assert_eq!(
            user_err("[table]\nX = { desc = \"Bye\" }\n"),
            "~/.config/hytop/keymap.toml:2: [table] key \"X\": missing field \"run\" \
             (the action to run)"
        );
        assert_eq!(
            user_err("[table]\nX = { run = \"terminate\", desc = 1 }\n"),
            "~/.config/hytop/keymap.toml:2: [table] key \"X\": \"desc\" must be a string, \
             found integer"
        );
        assert_eq!(
            user_err("[table.X]\nrun = \"terminate\"\n\ndesc = true\n"),
            "~/.config/hytop/keymap.toml:4: [table] key \"X\": \"desc\" must be a string, \
             found boolean"
        );
    }

    #[test]
    fn unknown_context_is_located() {
        assert_eq!(
            user_err("[table]\nj = \"down\"\n\n[tabel]\nk = \"up\"\n"),
            "~/.config/hytop/keymap.toml:4: unknown context [tabel] (did you mean [table]?)"
        );
        let contexts = "[table] or [console] or [help] or [describe] or [prompt] or [confirm] \
                        or [launch] or [public_ip] or [addresses] or [quit]";
        assert_eq!(
            user_err("[popup]\nq = \"close\"\n"),
            format!(
                "~/.config/hytop/keymap.toml:1: unknown context [popup] (contexts: {contexts})"
            )
        );
        assert_eq!(
            user_err("# oops\nj = \"down\"\n"),
            format!(
                "~/.config/hytop/keymap.toml:2: key \"j\": bindings go in a context table: \
                 put it under {contexts}"
            )
        );
        assert_eq!(
            user_err("console = \"close\"\n"),
            "~/.config/hytop/keymap.toml:1: \"console\" must be a table of key bindings \
             ([console]), found string"
        );
    }

    #[test]
    fn same_key_written_twice_is_rejected() {
        assert_eq!(
            user_err("[table]\nDown = \"down\"\ndown = \"up\"\n"),
            "~/.config/hytop/keymap.toml:3: [table] key \"down\": same key as \"Down\" on line 2"
        );
        assert_eq!(
            user_err("[console]\n\" \" = \"follow\"\n\nspace = \"close\"\n"),
            "~/.config/hytop/keymap.toml:4: [console] key \"space\": same key as \" \" on line 2"
        );
        // The same key in two contexts is two bindings.
        assert!(user("[table]\nz = \"down\"\n[console]\nz = \"down\"\n").is_ok());
    }

    #[test]
    fn toml_syntax_errors_keep_file_and_line() {
        let err = match user("[table]\nj = \"down\"\nk = up\n") {
            Ok(file) => panic!("parsed {file:?}"),
            Err(e) => e,
        };
        assert_eq!(err.line, Some(3));
        assert_eq!(err.context, None);
        assert_eq!(err.key, None);
        assert_eq!(
            err.to_string(),
            "~/.config/hytop/keymap.toml:3: string values must be quoted, expected literal \
             string (at \"up\")"
        );
        assert_eq!(
            user_err("[table]\nj = \"down\"\nj = \"up\"\n"),
            "~/.config/hytop/keymap.toml:3: duplicate key (at \"j\")"
        );
        assert_eq!(
            user_err("[table]\nj = \"down\"\n\n[table]\n"),
            "~/.config/hytop/keymap.toml:4: duplicate key (at \"table\")"
        );
        assert_eq!(
            user_err("[table\nj = \"down\"\n"),
            "~/.config/hytop/keymap.toml:1: unclosed table, expected `]`"
        );
    }

    #[test]
    fn first_error_in_file_order_wins() {
        // The parser's map is sorted by name ("a" < "z"); the file is not.
        assert_eq!(
            user_err("[table]\nz = \"bogus1\"\na = \"bogus2\"\n")
                .split(':')
                .nth(1),
            Some("2")
        );
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
        assert!(err.downcast_ref::<KeymapError>().is_some());
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
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("tabel", "table"), 1);
        assert_eq!(edit_distance("terminat", "terminate"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(suggest("xyz", ["quit", "help"].into_iter()), None);
        assert_eq!(suggest("QUTI", ["quit", "help"].into_iter()), Some("quit"));
    }
}
