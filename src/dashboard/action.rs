//! Everything that can happen to the app: user input, timer ticks and cloud
//! answers are all values of [`Action`], handled by [`crate::dashboard::event_loop::update`].

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

pub use crate::cloud::worker::{Answer, CloudId, Request, RequestId, Response};
use crate::dashboard::command::Command;

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Paste(String),
    /// A click or a wheel turn (only with `mouse = true`).
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved: refreshes and console polls may be due.
    Tick(DateTime<Utc>),
    /// A user intent from a key binding or the command line.
    Run(Command),
    /// A cloud worker answered.
    Response {
        cloud: CloudId,
        request: RequestId,
        response: Response,
    },
    /// The ssh child exited (the TUI is back).
    SshFinished(Result<i32, String>),
    /// What a picker offers, read from local files.
    Choices {
        request: RequestId,
        result: Result<Vec<crate::dashboard::effect::Choice>, String>,
    },
    /// How far the sweep `request` has come.
    SweepProgress {
        request: RequestId,
        progress: crate::report::Progress,
    },
    /// The sweep of every region is done.
    Swept {
        request: RequestId,
        sweep: Box<crate::report::Sweep>,
    },
}

impl From<Answer> for Action {
    fn from(answer: Answer) -> Action {
        Action::Response {
            cloud: answer.cloud,
            request: answer.request,
            response: answer.response,
        }
    }
}
