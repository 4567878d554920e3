//! Key names: what `j`, `G`, `ctrl-d`, `shift-Tab` or `PgDn` in keymap.toml
//! mean, how a key is written back for `?` help and footers, and which key a
//! terminal event stands for.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::suggest::suggest;

/// Modifier prefixes in the order [`Key`]'s `Display` writes them.
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT),
    ("super", KeyModifiers::SUPER),
    ("hyper", KeyModifiers::HYPER),
    ("meta", KeyModifiers::META),
];

/// Modifiers crossterm knows but a terminal never reports to hytop: they
/// come only with the kitty keyboard protocol, which hytop does not turn
/// on (and xterm's "meta" bit arrives as super- on a few named keys only).
/// A binding with one would never run, so it is refused.
const UNREPORTED: KeyModifiers = KeyModifiers::SUPER
    .union(KeyModifiers::HYPER)
    .union(KeyModifiers::META);

/// The highest function key crossterm decodes from a terminal without the
/// kitty keyboard protocol (`CSI 34 ~`); keyboards with F13 and up send
/// them that way.
const MAX_FUNCTION_KEY: u8 = 20;

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
    pub(super) fn sort_key(&self) -> (u8, u8, u32, bool) {
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
            if flag == KeyModifiers::META {
                let before = &s[..s.len() - rest.len()];
                return fail(format!(
                    "terminals do not report \"{head}-\" to hytop: the Meta key arrives as Alt, \
                     write \"{before}alt-{tail}\""
                ));
            }
            if UNREPORTED.contains(flag) {
                return fail(format!(
                    "terminals do not report \"{head}-\" to hytop (only ctrl-, alt- and shift-)"
                ));
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
        Ok(n) if (1..=MAX_FUNCTION_KEY).contains(&n) => Some(KeyCode::F(n)),
        _ => None,
    }
}

/// `F<digits>`, in range or not.
fn looks_like_function_key(name: &str) -> bool {
    name.strip_prefix(['f', 'F'])
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn unknown_key_message(name: &str) -> String {
    if looks_like_function_key(name) {
        return format!(
            "unknown key \"{name}\" (terminals report function keys F1 to F{MAX_FUNCTION_KEY})"
        );
    }
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
                "unknown key \"{name}\" (a key is a single character, F1 to F{MAX_FUNCTION_KEY} \
                 or one of {})",
                canonical.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn key(s: &str) -> Key {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
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
            "F13",
            "F20",
            "ctrl-F20",
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
            "unknown key \"hello\" (a key is a single character, F1 to F20 or one of Enter, \
             Esc, Space, Tab, BackTab, Backspace, Up, Down, Left, Right, PageUp, PageDown, \
             Home, End, Insert, Delete)"
        );
        assert!(err("F0").starts_with("unknown key \"F0\""));
        assert!(err("F+1").starts_with("unknown key \"F+1\""));
        assert!(err("F256").starts_with("unknown key \"F256\""));
        // Terminals report function keys up to F20 (crossterm decodes no
        // more without the kitty keyboard protocol, which hytop leaves off).
        assert_eq!(
            err("F21"),
            "unknown key \"F21\" (terminals report function keys F1 to F20)"
        );
        assert!(err("ctrl-F24").starts_with("unknown key \"F24\""));
        // Modifiers a terminal never reports to hytop: a binding with one
        // would never run.
        assert_eq!(
            err("meta-x"),
            "terminals do not report \"meta-\" to hytop: the Meta key arrives as Alt, \
             write \"alt-x\""
        );
        assert_eq!(
            err("ctrl-Super-Up"),
            "terminals do not report \"Super-\" to hytop (only ctrl-, alt- and shift-)"
        );
        assert!(err("hyper-k").starts_with("terminals do not report \"hyper-\""));
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
}
