//! The one input task: terminal events become actions. It is stopped while
//! a child process (ssh) owns the terminal.
//!
//! Events come from crossterm's `EventStream` over its poll(2) reader (the
//! `use-dev-tty` feature, see Cargo.toml): the default mio reader reads 1 KB
//! per edge-triggered wakeup and leaves the rest of a long typed burst
//! unread until the next key, so Enter after it seemed to do nothing.

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::dashboard::action::Action;
use crate::dashboard::mouse;

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
                    Some(Ok(Event::Mouse(m))) if mouse::wanted(&m) => Action::Mouse(m),
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

/// The character a key types into a text field: a printable key without
/// ctrl. Such keys go past the keymap there, so `q` or `j` can be typed.
pub fn typed_char(event: &crossterm::event::KeyEvent) -> Option<char> {
    match event.code {
        crossterm::event::KeyCode::Char(c)
            if !event
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            Some(c)
        }
        _ => None,
    }
}
