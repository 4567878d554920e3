//! The one owner of the terminal: raw mode and the alternate screen are
//! entered by [`Tui::enter`] and always left again — on drop, on error and,
//! through the panic hook, before a panic message is printed. With
//! `mouse = true` the mouse is captured while hytop owns the terminal and
//! given back with it.

use std::io::{self, BufWriter, Stdout, Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, queue};
use ratatui::backend::{Backend as _, CrosstermBackend};
use ratatui::{Frame, Terminal};

/// Stdout is line-buffered and a frame has no newlines: unbuffered, a full
/// repaint would leave in 1 KiB pieces and a terminal (or tmux, or ssh)
/// could show half a frame. A frame of a large screen fits in this.
const FRAME_BUFFER: usize = 256 * 1024;

pub type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// The mouse is captured now: [`restore`] gives it back. Global because
/// the panic hook restores without a [`Tui`] at hand.
static MOUSE_CAPTURED: AtomicBool = AtomicBool::new(false);

pub struct Tui {
    pub terminal: Terminal<Backend>,
    active: bool,
    /// Capture the mouse whenever the terminal is taken (`mouse = true`).
    mouse: bool,
}

impl Tui {
    pub fn enter(mouse: bool) -> Result<Tui> {
        let out = BufWriter::with_capacity(FRAME_BUFFER, stdout());
        let terminal =
            Terminal::new(CrosstermBackend::new(out)).wrap_err("cannot open the terminal")?;
        let mut tui = Tui {
            terminal,
            active: false,
            mouse,
        };
        tui.resume()?;
        Ok(tui)
    }

    /// Draws one frame, sent in one write inside a synchronized update
    /// (DEC mode 2026): terminals that know it show the frame at once, the
    /// others ignore the two sequences.
    pub fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> Result<()> {
        // Sent at once, not buffered: a render that panics must not leave
        // it in the frame buffer, to be flushed after the terminal is given
        // back. `restore` ends an update left open.
        let mut begin = stdout();
        queue!(begin, BeginSynchronizedUpdate)
            .and_then(|()| begin.flush())
            .wrap_err("cannot draw")?;
        self.terminal.draw(render).wrap_err("cannot draw")?;
        // `draw` flushed the frame; the end marker goes right after it.
        let out = self.terminal.backend_mut();
        queue!(out, EndSynchronizedUpdate)
            .and_then(|()| Write::flush(out))
            .wrap_err("cannot draw")
    }

    /// Writes `bytes` to the terminal as they are (an OSC 52 copy): not
    /// drawn, so no frame changes.
    pub fn write_raw(&mut self, bytes: &str) -> Result<()> {
        use std::io::Write as _;
        let mut out = stdout();
        out.write_all(bytes.as_bytes())
            .and_then(|()| out.flush())
            .wrap_err("cannot write to the terminal")
    }

    /// Gives the terminal back (for ssh); [`Tui::resume`] takes it again.
    pub fn suspend(&mut self) -> Result<()> {
        if self.active {
            restore().wrap_err("cannot restore the terminal")?;
            self.active = false;
        }
        Ok(())
    }

    pub fn resume(&mut self) -> Result<()> {
        if !self.active {
            enable_raw_mode().wrap_err("cannot switch the terminal to raw mode")?;
            // Marked before the bytes go out: a capture half sent must
            // still be undone by `restore`.
            MOUSE_CAPTURED.store(self.mouse, Ordering::SeqCst);
            let mut out = stdout();
            write_take(&mut out, self.mouse)
                .and_then(|()| out.flush())
                .wrap_err("cannot enter the alternate screen")?;
            self.active = true;
            // Not `Terminal::clear`: it asks the terminal for the cursor
            // position, and an answer that comes late (right after ssh gave
            // the terminal back) fails the resume and is echoed as text.
            // Clearing the screen and both buffers repaints the next frame
            // in full without asking anything.
            self.terminal
                .backend_mut()
                .clear()
                .wrap_err("cannot clear the terminal")?;
            self.terminal.swap_buffers();
        }
        Ok(())
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.active {
            let _ = restore();
        }
    }
}

/// Leaves raw mode and the alternate screen and gives the mouse back;
/// safe to call more than once.
pub fn restore() -> io::Result<()> {
    let raw = disable_raw_mode();
    let mouse = MOUSE_CAPTURED.swap(false, Ordering::SeqCst);
    let mut out = stdout();
    let screen = write_give_back(&mut out, mouse).and_then(|()| out.flush());
    raw.and(screen)
}

/// What taking the terminal writes to it: the mouse is captured only when
/// asked for, so without `mouse = true` the terminal keeps selecting text.
fn write_take(out: &mut impl Write, mouse: bool) -> io::Result<()> {
    queue!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if mouse {
        queue!(out, EnableMouseCapture)?;
    }
    Ok(())
}

/// What giving the terminal back writes to it, the mouse first so nothing
/// the user clicks meanwhile reaches the shell as escape codes.
fn write_give_back(out: &mut impl Write, mouse: bool) -> io::Result<()> {
    // A frame cut short (an error, a panic while drawing) would otherwise
    // keep the terminal from showing anything until it times out.
    queue!(out, EndSynchronizedUpdate)?;
    if mouse {
        queue!(out, DisableMouseCapture)?;
    }
    queue!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    )
}

/// Installs color-eyre's hooks, with a panic hook that restores the terminal
/// before anything is printed.
pub fn install_hooks() -> Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    std::panic::set_hook(Box::new(move |info| {
        let _ = restore();
        tracing::error!("panic: {info}");
        eprintln!("{}", panic_hook.panic_report(info));
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).expect("written to memory");
        String::from_utf8(out).expect("escape codes are ASCII")
    }

    /// X10 clicks, any motion and SGR coordinates: what EnableMouseCapture
    /// switches on.
    const CAPTURE: [&str; 3] = ["\x1b[?1000h", "\x1b[?1003h", "\x1b[?1006h"];

    #[test]
    fn the_mouse_is_captured_only_when_configured() {
        let off = written(|out| write_take(out, false));
        assert!(off.contains("\x1b[?1049h"), "the alternate screen: {off:?}");
        assert!(!off.contains("\x1b[?100"), "no mouse mode at all: {off:?}");
        let on = written(|out| write_take(out, true));
        for mode in CAPTURE {
            assert!(on.contains(mode), "{mode:?} in {on:?}");
        }
    }

    #[test]
    fn giving_the_terminal_back_releases_the_mouse() {
        let off = written(|out| write_give_back(out, false));
        assert!(!off.contains("\x1b[?100"), "{off:?}");
        let on = written(|out| write_give_back(out, true));
        for mode in CAPTURE.map(|m| m.replace('h', "l")) {
            assert!(on.contains(&mode), "{mode:?} in {on:?}");
        }
        assert!(on.contains("\x1b[?1049l"), "{on:?}");
        assert!(
            off.starts_with("\x1b[?2026l"),
            "a synchronized update left open ends first: {off:?}"
        );
    }
}
