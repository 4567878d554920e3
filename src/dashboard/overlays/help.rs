//! The `?` help screen, generated from the keymap: the section of the place
//! it was opened from first, then every other section. Its own keys are the
//! `[help]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Overlay, popup_block, scrolled};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::keymap::{Binding, Key, Keymap};
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, hints, text};

#[derive(Debug, Clone, PartialEq)]
pub struct HelpPopup {
    pub scroll: u16,
    /// Where `?` was pressed: its keys come first.
    pub from: Context,
}

impl From<HelpPopup> for Overlay {
    fn from(popup: HelpPopup) -> Overlay {
        Overlay::Help(popup)
    }
}

/// One line of the help: the keys that run one command the same way.
struct Group<'a> {
    keys: String,
    binding: &'a Binding,
}

impl HelpPopup {
    pub fn open(state: &mut AppState, from: Context) {
        state.overlay = Some(HelpPopup { scroll: 0, from }.into());
    }

    /// Every section, the one it was opened from first.
    pub fn sections(&self) -> Vec<Context> {
        std::iter::once(self.from)
            .chain(Context::ALL.into_iter().filter(|c| *c != self.from))
            .collect()
    }

    pub(super) fn on_key(mut self, state: &mut AppState, key: &Key) -> Option<Overlay> {
        self.scroll = scrolled(self.scroll, state.keymap.lookup(Context::Help, key))?;
        Some(self.into())
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let sections: Vec<(Context, Vec<Group>)> = self
            .sections()
            .into_iter()
            .map(|ctx| (ctx, groups(&state.keymap, ctx)))
            .collect();
        let all = || sections.iter().flat_map(|(_, groups)| groups);
        let keys_width = all().map(|g| text::width(&g.keys)).max().unwrap_or(0) + 2;
        let name_width = all()
            .map(|g| text::width(g.binding.command.name()))
            .max()
            .unwrap_or(0)
            + 1;
        let mut lines = Vec::new();
        for (ctx, groups) in &sections {
            lines.push(Line::from(Span::styled(ctx.title(), theme.header_row())));
            for group in groups {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {}", text::pad(&group.keys, keys_width)),
                        theme.key(),
                    ),
                    Span::raw(text::pad(group.binding.command.name(), name_width)),
                    Span::raw(group.binding.description.clone()),
                ]));
            }
            lines.push(Line::from(""));
        }
        for note in [
            "In the inputs and the launch form's name and count, other keys are typed.",
            "ctrl-c quits from anywhere.",
            "Commands after ':' — any name above, plus: sort <column> [desc], filter <text>, q",
        ] {
            lines.push(Line::from(Span::styled(note, theme.dim())));
        }
        let widest = lines.iter().map(Line::width).max().unwrap_or(0);
        let rect = centered(
            area,
            (widest + 2).max(104) as u16,
            area.height.saturating_sub(4),
        );
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .block(popup_block(&title(&state.keymap), theme, theme.border()))
                .scroll((self.scroll, 0)),
            rect,
        );
    }
}

/// The bindings of `ctx`, the keys of one command (with one description)
/// on one line.
fn groups(keymap: &Keymap, ctx: Context) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    for binding in keymap.bindings(ctx) {
        match groups.last_mut() {
            Some(group)
                if group.binding.command == binding.command
                    && group.binding.description == binding.description =>
            {
                group.keys.push_str(", ");
                group.keys.push_str(&binding.key.to_string());
            }
            _ => groups.push(Group {
                keys: binding.key.to_string(),
                binding,
            }),
        }
    }
    groups
}

/// The title names the help screen's own keys, as bound.
fn title(keymap: &Keymap) -> String {
    let scroll = hints::keys(
        keymap,
        Context::Help,
        &[Command::MoveDown, Command::MoveUp],
        &[KeyCode::Char('j'), KeyCode::Char('k')],
        "/",
    );
    let close = hints::keys(
        keymap,
        Context::Help,
        &[Command::Close],
        &[KeyCode::Esc],
        " / ",
    );
    let hints: Vec<String> = [(scroll, "scroll"), (close, "close")]
        .into_iter()
        .filter_map(|(keys, what)| Some(format!("{} {what}", keys?)))
        .collect();
    if hints.is_empty() {
        "Help — keys from keymap.toml".to_string()
    } else {
        format!("Help — keys from keymap.toml ({})", hints.join(", "))
    }
}
