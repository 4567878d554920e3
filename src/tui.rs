//! The one owner of the terminal: raw mode and the alternate screen are
//! entered by [`Tui::enter`] and always left again — on drop, on error and,
//! through the panic hook, before a panic message is printed.

use std::io::{self, Stdout, stdout};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event, EventStream};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::action::Action;

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
            self.terminal
                .clear()
                .wrap_err("cannot clear the terminal")?;
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

/// The one input task: terminal events become actions.
pub struct InputTask {
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

impl InputTask {
    pub fn spawn(actions: mpsc::UnboundedSender<Action>) -> InputTask {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let mut events = EventStream::new();
            loop {
                let event = tokio::select! {
                    _ = &mut stopped => break,
                    event = events.next() => event,
                };
                let action = match event {
                    Some(Ok(Event::Key(key))) => Action::Key(key),
                    Some(Ok(Event::Resize(width, height))) => Action::Resize { width, height },
                    Some(Ok(Event::Paste(text))) => Action::Paste(text),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        tracing::error!("terminal input failed: {e}");
                        break;
                    }
                    None => break,
                };
                if actions.send(action).is_err() {
                    break;
                }
            }
        });
        InputTask {
            stop: Some(stop),
            handle,
        }
    }

    /// Stops reading the terminal, so a child process (ssh) gets every key.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.handle.await;
    }
}
