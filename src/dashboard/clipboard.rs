//! Copying through the terminal: OSC 52 asks the terminal emulator itself to
//! set its clipboard, so it works over ssh and inside tmux (whose default
//! `set-clipboard external` passes it on), with no X or Wayland here.

use base64::Engine as _;

/// Most terminals take at most about 100 kB of OSC 52; an id, an address
/// or an ssh command line is far below that.
pub const MAX_COPY_BYTES: usize = 64 * 1024;

/// The bytes that ask the terminal to put `text` on the clipboard (`c`),
/// BEL-terminated (the form xterm, kitty, iTerm2, WezTerm and tmux read);
/// `None` when the text is too long to send.
pub fn osc52(text: &str) -> Option<String> {
    if text.len() > MAX_COPY_BYTES {
        return None;
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    Some(format!("\x1b]52;c;{encoded}\x07"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_introducer_and_bel() {
        assert_eq!(
            osc52("i-0a1b2c3d4e5f60718").as_deref(),
            Some("\x1b]52;c;aS0wYTFiMmMzZDRlNWY2MDcxOA==\x07")
        );
        // A control character in the text cannot end the sequence early.
        let tricky = osc52("a\x07b\x1b").expect("short");
        assert_eq!(tricky.matches('\x07').count(), 1);
        assert_eq!(tricky.matches('\x1b').count(), 1);
        assert_eq!(osc52(&"x".repeat(MAX_COPY_BYTES + 1)), None);
    }
}
