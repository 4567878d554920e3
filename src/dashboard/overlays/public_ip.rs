//! The public IP popup of the selected instance: attach one (reusing a
//! free address, else allocating) or detach the one it has. Its keys are
//! the `[public_ip]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{Overlay, hint, popup_block};
use crate::dashboard::action::Request;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, Target};
use crate::dashboard::view::{Theme, centered, hints};
use crate::domain::model::CloudKind;

#[derive(Debug, Clone, PartialEq)]
pub struct IpPopup {
    pub target: Target,
    pub current_ip: Option<String>,
    /// Allocated but unassociated addresses of that cloud.
    pub free: Vec<String>,
}

impl From<IpPopup> for Overlay {
    fn from(popup: IpPopup) -> Overlay {
        Overlay::PublicIp(popup)
    }
}

impl IpPopup {
    /// Opens for the selected instance, even when others are marked:
    /// addresses go one at a time.
    pub fn open(state: &mut AppState) {
        let Some((key, inst)) = state.selected_instance() else {
            state.error("select an instance first");
            return;
        };
        let current_ip = inst.public_ip.clone();
        let target = Target {
            name: inst.name.clone(),
            cloud_label: state.clouds[key.cloud].label.clone(),
            state: inst.state,
            key,
        };
        let free = state.clouds[target.key.cloud]
            .addresses
            .iter()
            .filter(|a| a.instance_id.is_none())
            .map(|a| a.ip.clone())
            .collect();
        state.overlay = Some(
            IpPopup {
                target,
                current_ip,
                free,
            }
            .into(),
        );
    }

    pub(super) fn on_key(
        self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        let attached = self.current_ip.is_some();
        let instance_id = self.target.key.id.clone();
        let request = match state.keymap.lookup(Context::PublicIp, key) {
            Some(Command::Attach) if !attached => Request::AttachIp(instance_id),
            Some(Command::Detach) if attached => Request::DetachIp(instance_id),
            Some(Command::Confirm) if attached => Request::DetachIp(instance_id),
            Some(Command::Confirm) => Request::AttachIp(instance_id),
            Some(Command::Close) => return None,
            _ => return Some(self.into()),
        };
        let id = state.request_id();
        state.info(format!(
            "{} {}…",
            if attached {
                "detaching the address of"
            } else {
                "attaching an address to"
            },
            self.target.key.id
        ));
        fx.push(Effect::Send {
            cloud: self.target.key.cloud,
            id,
            request,
        });
        None
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let rect = centered(area, 76, 10);
        frame.render_widget(Clear, rect);
        let kind = state.clouds[self.target.key.cloud].kind;
        let what = match kind {
            CloudKind::Aws => "Elastic IP",
            CloudKind::OpenStack => "floating IP",
        };
        let keymap = &state.keymap;
        let close = hints::keys(
            keymap,
            Context::PublicIp,
            &[Command::Close],
            &[KeyCode::Esc],
            " / ",
        );
        let mut lines = vec![Line::from(format!(
            "{} ({}) on {}",
            self.target.name, self.target.key.id, self.target.cloud_label
        ))];
        lines.push(Line::from(""));
        let mut spans = Vec::new();
        match &self.current_ip {
            Some(ip) => {
                lines.push(Line::from(format!("public address: {ip}")));
                lines.push(Line::from(""));
                let detach = hints::keys(
                    keymap,
                    Context::PublicIp,
                    &[Command::Detach, Command::Confirm],
                    &[KeyCode::Char('d'), KeyCode::Enter],
                    " / ",
                );
                let text = format!(" detach this {what} (it stays allocated)   ");
                hint(&mut spans, detach, text, theme);
            }
            None => {
                let how = match self.free.first() {
                    Some(ip) => format!("reuses the free address {ip}"),
                    None => format!("allocates a new {what}"),
                };
                lines.push(Line::from(format!("no public address; attaching {how}")));
                lines.push(Line::from(""));
                let attach = hints::keys(
                    keymap,
                    Context::PublicIp,
                    &[Command::Attach, Command::Confirm],
                    &[KeyCode::Char('a'), KeyCode::Enter],
                    " / ",
                );
                let article = match kind {
                    CloudKind::Aws => "an Elastic IP",
                    CloudKind::OpenStack => "a floating IP",
                };
                hint(&mut spans, attach, format!(" attach {article}   "), theme);
            }
        }
        hint(&mut spans, close, " cancel".into(), theme);
        lines.push(Line::from(spans));
        // Wrapped between words, so a narrow terminal still shows the whole
        // id and the keys: at 60 columns the longest lines take two rows,
        // and the popup's 8 rows hold them.
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(popup_block(
                    &format!("Public IP ({what})"),
                    theme,
                    theme.border(),
                )),
            rect,
        );
    }
}
