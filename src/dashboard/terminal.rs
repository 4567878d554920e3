//! The one owner of the terminal: raw mode and the alternate screen are
//! entered by [`Tui::enter`] and always left again — on drop, on error and,
//! through the panic hook, before a panic message is printed.

use std::io::{self, Stdout, stdout};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::{Backend as _, CrosstermBackend};

pub type Backend = CrosstermBackend<Stdout>;

pub struct Tui {
    pub terminal: Terminal<Backend>,
    active: bool,
}

impl Tui {
    pub fn enter() -> Result<Tui> {
        let terminal =
            Terminal::new(CrosstermBackend::new(stdout())).wrap_err("cannot open the terminal")?;
        let mut tui = Tui {
            terminal,
            active: false,
        };
        tui.resume()?;
        Ok(tui)
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
            execute!(
                stdout(),
                EnterAlternateScreen,
                EnableBracketedPaste,
                cursor::Hide
            )
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

/// Leaves raw mode and the alternate screen; safe to call more than once.
pub fn restore() -> io::Result<()> {
    let raw = disable_raw_mode();
    let screen = execute!(
        stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    raw.and(screen)
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
