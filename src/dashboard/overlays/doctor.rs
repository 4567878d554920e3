//! The doctor popup: every reason the selected instance may be unreachable,
//! checked at once on its cloud's worker (see `src/doctor`), each line
//! filled in as its answer arrives. Its keys are the `[doctor]` section:
//! the probe (which connects to the instance) runs only when asked, and `l`
//! opens the console at the boot log's first error.

use std::collections::BTreeMap;

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{Overlay, hint, popup_block};
use crate::dashboard::action::{Request, RequestId};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::{AppState, ConsoleView, InstanceKey};
use crate::dashboard::view::{Theme, centered, hints, text};
use crate::doctor::{Check, DoctorContext, Finding, Verdict};

#[derive(Debug, Clone, PartialEq)]
pub struct DoctorPopup {
    pub key: InstanceKey,
    pub name: String,
    /// What each check found so far.
    pub findings: BTreeMap<Check, Finding>,
    /// The checks asked and not answered yet, by request.
    pub asked: BTreeMap<RequestId, Check>,
    /// The first line shown (j/k scroll).
    pub scroll: u16,
}

impl From<DoctorPopup> for Overlay {
    fn from(popup: DoctorPopup) -> Overlay {
        Overlay::Doctor(popup)
    }
}

impl DoctorPopup {
    /// Opens the doctor for the selected instance and asks every check but
    /// the probe.
    pub fn open(state: &mut AppState, fx: &mut Vec<Effect>) {
        let Some((key, inst)) = state.selected_instance() else {
            state.error("nothing selected: select an instance to examine");
            return;
        };
        let mut popup = DoctorPopup {
            key: key.clone(),
            name: inst.name.clone(),
            findings: BTreeMap::new(),
            asked: BTreeMap::new(),
            scroll: 0,
        };
        for check in Check::AT_ONCE {
            popup.ask(state, check, fx);
        }
        state.overlay = Some(popup.into());
    }

    /// Sends one check to the instance's cloud worker.
    fn ask(&mut self, state: &mut AppState, check: Check, fx: &mut Vec<Effect>) {
        let Some(context) = context(state, &self.key) else {
            return;
        };
        let id = state.request_id();
        self.asked.insert(id, check);
        self.findings.remove(&check);
        fx.push(Effect::Send {
            cloud: self.key.cloud,
            id,
            request: Request::Doctor {
                context: Box::new(context),
                check,
            },
        });
    }

    /// A finding arrived: kept if this popup asked for it.
    pub fn on_finding(&mut self, request: RequestId, instance_id: &str, finding: Finding) {
        if instance_id != self.key.id {
            return;
        }
        if let Some(check) = self.asked.remove(&request)
            && check == finding.check
        {
            self.findings.insert(check, finding);
        }
    }

    pub(super) fn on_key(
        mut self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        match state.keymap.lookup(Context::Doctor, key) {
            Some(Command::Probe) => {
                if state.readonly {
                    state.error("read-only mode: probing is disabled (started with --readonly)");
                } else {
                    self.ask(state, Check::Probe, fx);
                }
            }
            Some(Command::Refresh) => {
                let probed = self.findings.contains_key(&Check::Probe);
                for check in Check::AT_ONCE {
                    self.ask(state, check, fx);
                }
                if probed {
                    self.ask(state, Check::Probe, fx);
                }
            }
            Some(Command::Console) => {
                let first = self
                    .findings
                    .get(&Check::BootLog)
                    .filter(|f| f.verdict == Verdict::Fail)
                    .and_then(|f| f.lines.first().cloned());
                let view = match first {
                    Some(line) => {
                        ConsoleView::at_line(self.key.clone(), self.name.clone(), line.trim())
                    }
                    None => ConsoleView::new(self.key.clone(), self.name.clone()),
                };
                state.console = Some(view);
                crate::dashboard::update::poll_console(state, fx);
                return None;
            }
            Some(Command::MoveDown) => self.scroll = self.scroll.saturating_add(1),
            Some(Command::MoveUp) => self.scroll = self.scroll.saturating_sub(1),
            Some(Command::Close) => return None,
            _ => {}
        }
        Some(self.into())
    }

    /// The popup's lines: one per check with its verdict and reason, its
    /// fix and extra lines under it.
    pub fn lines<'a>(&self, theme: &Theme) -> Vec<Line<'a>> {
        let mut lines = Vec::new();
        let mut shown: Vec<Check> = Check::AT_ONCE.to_vec();
        if self.findings.contains_key(&Check::Probe)
            || self.asked.values().any(|c| *c == Check::Probe)
        {
            shown.push(Check::Probe);
        }
        for check in shown {
            let title = text::pad(check.title(), 16);
            match self.findings.get(&check) {
                None => lines.push(Line::from(vec![
                    Span::styled("… ", theme.busy()),
                    Span::styled(title, theme.dim()),
                    Span::styled("asking…", theme.dim()),
                ])),
                Some(f) => {
                    let style = match f.verdict {
                        Verdict::Pass => theme.ok(),
                        Verdict::Fail => theme.error(),
                        Verdict::Unknown => theme.flagged(),
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{} ", f.verdict.symbol()), style),
                        Span::styled(title, theme.header_row()),
                        Span::raw(f.reason.clone()),
                    ]));
                    for extra in &f.lines {
                        lines.push(Line::from(Span::styled(
                            format!("    {extra}"),
                            theme.dim(),
                        )));
                    }
                    if let Some(fix) = &f.fix {
                        lines.push(Line::from(vec![
                            Span::raw("    → "),
                            Span::styled(fix.clone(), theme.focus()),
                        ]));
                    }
                }
            }
        }
        lines
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let mut lines = self.lines(theme);
        // As tall as its (wrapped) lines, never taller than the screen.
        let inner_width = usize::from(area.width.min(110).saturating_sub(2)).max(1);
        let wrapped: usize = lines
            .iter()
            .map(|l| l.width().div_ceil(inner_width).max(1))
            .sum();
        let height = u16::try_from(wrapped + 4).unwrap_or(u16::MAX);
        let rect = centered(area, 110, height.min(area.height.saturating_sub(2)));
        frame.render_widget(Clear, rect);
        lines.push(Line::from(""));
        let keymap = &state.keymap;
        let mut spans = Vec::new();
        let key = |cmd: Command, usual: KeyCode| {
            hints::keys(keymap, Context::Doctor, &[cmd], &[usual], " / ")
        };
        hint(
            &mut spans,
            key(Command::Probe, KeyCode::Char('p')),
            " probe (connects to it)   ".into(),
            theme,
        );
        hint(
            &mut spans,
            key(Command::Console, KeyCode::Char('l')),
            " console   ".into(),
            theme,
        );
        hint(
            &mut spans,
            key(Command::Refresh, KeyCode::Char('r')),
            " check again   ".into(),
            theme,
        );
        hint(
            &mut spans,
            key(Command::Close, KeyCode::Esc),
            " close".into(),
            theme,
        );
        lines.push(Line::from(spans));
        let title = format!("Doctor: {} ({})", self.name, self.key.id);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(popup_block(&title, theme, theme.border()))
                .scroll((self.scroll, 0)),
            rect,
        );
    }
}

/// What the checks of `key`'s instance need from the dashboard's state.
fn context(state: &AppState, key: &InstanceKey) -> Option<DoctorContext> {
    let inst = state.instance(key)?;
    let status = state.clouds.get(key.cloud)?;
    let cloud = state.config.cloud(&status.config_name);
    Some(DoctorContext::new(
        &state.config,
        cloud,
        inst,
        &status.label,
    ))
}
