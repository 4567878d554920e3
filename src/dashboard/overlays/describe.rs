//! The describe view: every field and tag of one instance, scrollable. Its
//! keys are the `[describe]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Overlay, popup_block, scrolled};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, InstanceKey};
use crate::dashboard::view::{Theme, centered, hints, text};
use crate::domain::format;

#[derive(Debug, Clone, PartialEq)]
pub struct DescribePopup {
    pub key: InstanceKey,
    pub scroll: u16,
}

impl From<DescribePopup> for Overlay {
    fn from(popup: DescribePopup) -> Overlay {
        Overlay::Describe(popup)
    }
}

impl DescribePopup {
    /// Describes the selected instance, if any.
    pub fn open(state: &mut AppState) {
        if let Some(key) = state.selected.clone() {
            state.overlay = Some(DescribePopup { key, scroll: 0 }.into());
        }
    }

    pub(super) fn on_key(mut self, state: &mut AppState, key: &Key) -> Option<Overlay> {
        self.scroll = scrolled(self.scroll, state.keymap.lookup(Context::Describe, key))?;
        Some(self.into())
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let key = &self.key;
        let rect = centered(area, 80, area.height.saturating_sub(4));
        frame.render_widget(Clear, rect);
        let Some(inst) = state.instance(key) else {
            frame.render_widget(
                Paragraph::new("this instance is gone").block(popup_block(
                    "Describe",
                    theme,
                    theme.border(),
                )),
                rect,
            );
            return;
        };
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(text::pad(k, 20), theme.dim()),
                Span::raw(v),
            ])
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let mut lines = vec![
            row("name", inst.name.clone()),
            row("id", inst.id.clone()),
            row(
                "cloud",
                format!("{} ({})", state.clouds[key.cloud].label, inst.kind.label()),
            ),
            row("account / profile", inst.account.to_string()),
            row("region", inst.region.to_string()),
            row(
                "state",
                format!("{} (cloud: {})", inst.state, inst.raw_state),
            ),
            row("type / flavor", inst.size.to_string()),
            row("image", inst.image.to_string()),
            // Its own row: AMI names run long, and the id must stay whole.
            row(
                "image name",
                inst.image_name
                    .as_deref()
                    .map_or_else(|| "-".into(), str::to_string),
            ),
            row("key name", opt(&inst.key_name)),
            row("public IP", opt(&inst.public_ip)),
            row("private IP", opt(&inst.private_ip)),
            row(
                "launched",
                inst.launched_at
                    .map(|t| format!("{} ({} ago)", t.to_rfc3339(), format::age(state.now - t)))
                    .unwrap_or_else(|| "-".into()),
            ),
            row(
                "detailed monitoring",
                if inst.detailed_monitoring {
                    "on".into()
                } else {
                    "off".into()
                },
            ),
            row(
                "launched by hytop",
                if state.launched.contains(key) {
                    "yes, this session".into()
                } else {
                    "no".into()
                },
            ),
        ];
        for (k, v) in &inst.extra {
            lines.push(row(k, v.to_string()));
        }
        if let Some(a) = state.assessment(key) {
            lines.push(row("cost now", cost_parts(a)));
            // Every reason in full: the detail pane has room for the first.
            for flag in &a.flags {
                lines.push(Line::from(vec![
                    Span::styled(text::pad("! flagged", 20), theme.flagged()),
                    Span::styled(
                        flag.named_reason_at(state.now, &state.config.cost),
                        theme.flagged(),
                    ),
                ]));
            }
        }
        lines.extend([
            Line::from(""),
            Line::from(Span::styled(
                format!("volumes ({})", inst.volumes.len()),
                theme.header_row(),
            )),
        ]);
        let prices = crate::domain::cost::Prices::embedded();
        for v in &inst.volumes {
            let rate = prices
                .volume_hourly(inst.kind, &inst.region, v, &state.config.cost)
                .map(|d| format!(" · {}/h", format::dollars_fine(d)))
                .unwrap_or_default();
            let fate = match v.delete_on_termination {
                Some(true) => " · deleted with the instance",
                Some(false) => " · kept (and billed) after terminate",
                None => "",
            };
            lines.push(row(
                &format!("  {}", text::truncate(&v.id, 17)),
                format!(
                    "{} {}{rate}{fate}",
                    v.summary(),
                    v.device.as_deref().unwrap_or("")
                ),
            ));
        }
        lines.extend([
            Line::from(""),
            Line::from(Span::styled(
                format!("tags / metadata ({})", inst.tags.len()),
                theme.header_row(),
            )),
        ]);
        for (k, v) in &inst.tags {
            lines.push(row(&format!("  {}", text::truncate(k, 17)), v.clone()));
        }
        let close = hints::keys(
            &state.keymap,
            Context::Describe,
            &[Command::Close],
            &[KeyCode::Esc],
            " / ",
        );
        let title = match close {
            Some(keys) => format!("Describe ({keys} close)"),
            None => "Describe".to_string(),
        };
        frame.render_widget(
            Paragraph::new(lines)
                .block(popup_block(&title, theme, theme.border()))
                .scroll((self.scroll, 0)),
            rect,
        );
    }
}

/// `compute $0.0114/h + volumes $0.0010/h + IPv4 $0.005/h = $0.0174/h`.
fn cost_parts(a: &crate::domain::cost::Assessment) -> String {
    let fine = format::dollars_fine;
    let mut parts = vec![match a.compute {
        Some(c) => format!("compute {}/h", fine(c)),
        None => format!("compute {}", a.hourly_text()),
    }];
    if a.storage.dollars_per_hour > 0.0 || a.storage.unpriced > 0 {
        let unpriced = if a.storage.unpriced > 0 {
            format!(" ({} unpriced)", a.storage.unpriced)
        } else {
            String::new()
        };
        parts.push(format!(
            "volumes {}/h{unpriced}",
            fine(a.storage.dollars_per_hour)
        ));
    }
    if a.ipv4 > 0.0 {
        parts.push(format!("IPv4 {}/h", fine(a.ipv4)));
    }
    match a.hourly {
        Some(total) if parts.len() > 1 => {
            format!("{} = {}/h (estimate)", parts.join(" + "), fine(total))
        }
        _ => format!("{} (estimate)", parts.join(" + ")),
    }
}
