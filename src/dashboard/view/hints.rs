//! The key names that hint lines and popup titles show, read from the
//! keymap: a remapped key is shown as the user bound it, an unbound command
//! is not offered.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::dashboard::command::{Command, Context};
use crate::dashboard::keymap::{Key, Keymap};

/// The key `code` without modifiers.
pub fn plain(code: KeyCode) -> Key {
    Key::from_event(&KeyEvent::new(code, KeyModifiers::NONE))
}

/// The keys a hint names for `cmds` in `ctx`, joined by `sep`. For each
/// command: those of `usual` that still run it (so the built-in keymap
/// reads as it always has), else the first key bound to it. `None` when no
/// key runs any of them, and the hint is left out.
pub fn keys(
    keymap: &Keymap,
    ctx: Context,
    cmds: &[Command],
    usual: &[KeyCode],
    sep: &str,
) -> Option<String> {
    let mut shown: Vec<Key> = Vec::new();
    for cmd in cmds {
        let kept: Vec<Key> = usual
            .iter()
            .map(|code| plain(*code))
            .filter(|key| keymap.lookup(ctx, key) == Some(*cmd))
            .collect();
        if kept.is_empty() {
            shown.extend(keymap.keys_for(ctx, *cmd).first().map(|key| **key));
        } else {
            shown.extend(kept);
        }
    }
    (!shown.is_empty()).then(|| shown.iter().map(label).collect::<Vec<_>>().join(sep))
}

/// How a hint writes a key: arrows as arrows, everything else as keymap.toml does.
fn label(key: &Key) -> String {
    for (code, arrow) in [
        (KeyCode::Up, "↑"),
        (KeyCode::Down, "↓"),
        (KeyCode::Left, "←"),
        (KeyCode::Right, "→"),
    ] {
        if *key == plain(code) {
            return arrow.to_string();
        }
    }
    key.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keymap(user: &str) -> Keymap {
        let mut keymap = Keymap::default_keymap().expect("default keymap");
        keymap.merge(Keymap::parse(user, "test").expect("user keymap"));
        keymap
    }

    #[test]
    fn the_built_in_keys_read_as_they_always_have() {
        let keymap = keymap("");
        let cancel = keys(
            &keymap,
            Context::Confirm,
            &[Command::Cancel],
            &[KeyCode::Char('n'), KeyCode::Esc],
            " / ",
        );
        assert_eq!(cancel.as_deref(), Some("n / Esc"));
        let arrows = keys(
            &keymap,
            Context::Launch,
            &[Command::MoveUp, Command::MoveDown],
            &[KeyCode::Up, KeyCode::Down],
            "/",
        );
        assert_eq!(arrows.as_deref(), Some("↑/↓"));
    }

    #[test]
    fn a_remapped_key_is_shown_and_an_unbound_command_is_not() {
        let keymap =
            keymap("[confirm]\ny = \"none\"\nY = \"confirm\"\n[public_ip]\na = \"none\"\n");
        let confirm = keys(
            &keymap,
            Context::Confirm,
            &[Command::Confirm],
            &[KeyCode::Char('y')],
            " / ",
        );
        assert_eq!(confirm.as_deref(), Some("Y"));
        let attach = keys(
            &keymap,
            Context::PublicIp,
            &[Command::Attach],
            &[KeyCode::Char('a')],
            " / ",
        );
        assert_eq!(attach, None);
    }
}
