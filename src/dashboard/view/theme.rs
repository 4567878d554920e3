//! Styles, with a monochrome variant for `NO_COLOR`. Every state also has a
//! symbol and a word, so nothing is told by colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::model::InstanceState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Honours <https://no-color.org>: any non-empty `NO_COLOR` turns colour off.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn state(&self, s: InstanceState) -> Style {
        match s {
            InstanceState::Running => self.fg(Color::Green),
            InstanceState::Pending => self.fg(Color::Yellow),
            InstanceState::Stopping => self.fg(Color::Magenta),
            InstanceState::Stopped => self.fg(Color::Gray),
            InstanceState::Terminated => self.fg(Color::DarkGray).add_modifier(Modifier::DIM),
            InstanceState::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    pub fn state_symbol(s: InstanceState) -> &'static str {
        match s {
            InstanceState::Running => "●",
            InstanceState::Pending => "◔",
            InstanceState::Stopping => "◑",
            InstanceState::Stopped => "○",
            InstanceState::Terminated => "✕",
            InstanceState::Error => "!",
        }
    }

    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn header_row(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn marked(&self) -> Style {
        self.fg(Color::LightCyan).add_modifier(Modifier::BOLD)
    }

    /// A row that looks forgotten: loud, but still readable when selected.
    pub fn flagged(&self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn busy(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn focus(&self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn spark_cpu(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn spark_net(&self) -> Style {
        self.fg(Color::Blue)
    }

    pub fn matched(&self) -> Style {
        self.fg(Color::Black)
            .bg(if self.color {
                Color::Yellow
            } else {
                Color::Reset
            })
            .add_modifier(if self.color {
                Modifier::empty()
            } else {
                Modifier::REVERSED
            })
    }
}
