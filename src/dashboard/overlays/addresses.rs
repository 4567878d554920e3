//! Everything that bills beside instances: every public address of every
//! cloud, then every volume attached to nothing; releasing an unassociated
//! address or deleting a loose volume (after asking in `[confirm]`). Its
//! keys are the `[addresses]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::confirm::{self, Cells, Column, Question, Role};
use super::{Overlay, hint, popup_block};
use crate::dashboard::action::{CloudId, Request};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, hints, text};
use crate::domain::cost::{Prices, assess_volume};
use crate::domain::format::dollars_fine;
use crate::domain::model::{PublicAddress, Volume};

/// At most this many lines are listed at once; the list scrolls.
const SHOWN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressesPopup {
    /// Index into [`entries`]: the addresses, then the loose volumes.
    pub selected: usize,
    /// Release (or delete) was asked for: the popup asks once more.
    pub confirm: bool,
}

/// One line of the popup.
#[derive(Debug, Clone, Copy)]
enum Entry<'a> {
    Address(CloudId, &'a PublicAddress),
    Volume(CloudId, &'a Volume),
}

/// What the popup lists, in order: [`AppState::all_addresses`], then
/// [`AppState::loose_volumes`].
fn entries(state: &AppState) -> Vec<Entry<'_>> {
    let addresses = state
        .all_addresses()
        .into_iter()
        .map(|(c, a)| Entry::Address(c, a));
    let volumes = state
        .loose_volumes()
        .into_iter()
        .map(|(c, v)| Entry::Volume(c, v));
    addresses.chain(volumes).collect()
}

impl From<AddressesPopup> for Overlay {
    fn from(popup: AddressesPopup) -> Overlay {
        Overlay::Addresses(popup)
    }
}

impl AddressesPopup {
    pub fn open(state: &mut AppState) {
        state.overlay = Some(
            AddressesPopup {
                selected: 0,
                confirm: false,
            }
            .into(),
        );
    }

    pub(super) fn on_key(
        mut self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        if self.confirm {
            // Any answer but yes keeps the address.
            if state.keymap.lookup(Context::Confirm, key) != Some(Command::Confirm) {
                self.confirm = false;
                return Some(self.into());
            }
            let chosen = match entries(state).get(self.selected) {
                Some(Entry::Address(c, a)) => Some((
                    *c,
                    format!("releasing {}…", a.ip),
                    Request::ReleaseAddress(a.id.clone()),
                )),
                Some(Entry::Volume(c, v)) => Some((
                    *c,
                    format!("deleting volume {}…", v.id),
                    Request::DeleteVolume(v.id.clone()),
                )),
                None => None,
            };
            if let Some((cloud, info, request)) = chosen {
                let rid = state.request_id();
                state.info(info);
                fx.push(Effect::Send {
                    cloud,
                    id: rid,
                    request,
                });
            }
            return None;
        }
        let count = entries(state).len();
        match state.keymap.lookup(Context::Addresses, key) {
            Some(Command::MoveDown) => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1))
            }
            Some(Command::MoveUp) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Release) => {
                let refusal = match entries(state).get(self.selected) {
                    _ if state.readonly => Some(
                        "read-only mode: releasing an address or deleting a volume is disabled (started with --readonly)"
                            .to_string(),
                    ),
                    Some(Entry::Address(_, a)) => a.instance_id.as_ref().map(|instance| {
                        format!("{} is associated with {instance}: detach it first (i)", a.ip)
                    }),
                    Some(Entry::Volume(..)) => None,
                    None => Some(String::new()),
                };
                match refusal {
                    None => self.confirm = true,
                    Some(why) if !why.is_empty() => state.error(why),
                    Some(_) => {}
                }
            }
            Some(Command::Close) => return None,
            _ => {}
        }
        Some(self.into())
    }

    /// The answers of the question, while it is asked.
    pub(super) fn answer_areas(
        &self,
        area: Rect,
        state: &AppState,
    ) -> Vec<(Rect, crate::dashboard::mouse::Click)> {
        match entries(state).get(self.selected) {
            Some(entry) if self.confirm => question(state, entry).answer_areas(area, 0),
            _ => Vec::new(),
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let all = entries(state);
        // The question replaces the list: it names the one thing whole.
        if self.confirm
            && let Some(entry) = all.get(self.selected)
        {
            question(state, entry).draw(frame, area, 0, theme);
            return;
        }
        let h = (all.len().clamp(1, SHOWN) + 6) as u16;
        let rect = centered(area, 100, h);
        frame.render_widget(Clear, rect);
        let mut lines = Vec::new();
        if all.is_empty() {
            lines.push(Line::from(Span::styled(
                "no public addresses allocated, no volume attached to nothing",
                theme.dim(),
            )));
        }
        // The selected line always shows.
        let first = self.selected.saturating_sub(SHOWN - 1);
        for (i, entry) in all.iter().enumerate().skip(first).take(SHOWN) {
            let line = match entry {
                Entry::Address(cloud, a) => address_line(state, *cloud, a, theme),
                Entry::Volume(cloud, v) => volume_line(state, *cloud, v, theme),
            };
            let line = Line::from(
                std::iter::once(Span::raw(if i == self.selected { "▶" } else { " " }))
                    .chain(line)
                    .collect::<Vec<_>>(),
            );
            lines.push(if i == self.selected {
                line.style(theme.selected())
            } else {
                line
            });
        }
        lines.push(Line::from(""));
        let keymap = &state.keymap;
        let mut spans = Vec::new();
        let select = hints::keys(
            keymap,
            Context::Addresses,
            &[Command::MoveDown, Command::MoveUp],
            &[KeyCode::Char('j'), KeyCode::Char('k')],
            "/",
        );
        hint(&mut spans, select, " select   ".into(), theme);
        let release = hints::keys(
            keymap,
            Context::Addresses,
            &[Command::Release],
            &[KeyCode::Char('R')],
            " / ",
        );
        let what = " release an unassociated address / delete a loose volume (asks first)   ";
        hint(&mut spans, release, what.into(), theme);
        let close = hints::keys(
            keymap,
            Context::Addresses,
            &[Command::Close],
            &[KeyCode::Esc],
            " / ",
        );
        hint(&mut spans, close, " close".into(), theme);
        lines.push(Line::from(spans));
        frame.render_widget(
            Paragraph::new(lines).block(popup_block(
                "Addresses and volumes",
                theme,
                theme.border(),
            )),
            rect,
        );
    }
}

/// `203.0.113.7  eipalloc-…  demo-aws/eu-west-1  → web-1 (i-…)`.
fn address_line<'a>(
    state: &AppState,
    cloud: CloudId,
    a: &PublicAddress,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let used = match &a.instance_id {
        Some(id) => {
            let name = state
                .instances
                .get(cloud)
                .and_then(|list| list.iter().find(|inst| &inst.id == id))
                .map(|inst| inst.name.clone())
                .unwrap_or_default();
            Span::raw(format!(
                "→ {} ({})",
                text::truncate(&name, 16),
                text::truncate(id, 19)
            ))
        }
        None => Span::styled("unassociated (still allocated)", theme.error()),
    };
    vec![
        Span::raw(text::pad(&a.ip, 16)),
        Span::styled(format!("{} ", text::fit(&a.id, 20)), theme.dim()),
        Span::styled(
            format!("{} ", text::fit(&state.clouds[cloud].label, 18)),
            theme.dim(),
        ),
        used,
    ]
}

/// `vol 20 GiB gp3  vol-…  demo-aws/eu-west-1  attached to nothing · $0.0024/h`.
fn volume_line<'a>(state: &AppState, cloud: CloudId, v: &Volume, theme: &Theme) -> Vec<Span<'a>> {
    let status = &state.clouds[cloud];
    let a = assess_volume(
        v,
        status.kind,
        &status.region,
        Prices::embedded(),
        &state.config.cost,
    );
    let rate = a
        .hourly
        .map(|d| format!(" · {}/h", dollars_fine(d)))
        .unwrap_or_default();
    let name = v
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| format!(" {}", text::truncate(n, 16)))
        .unwrap_or_default();
    vec![
        Span::raw(text::pad(&format!("vol {}", v.summary()), 16)),
        Span::styled(format!("{} ", text::fit(&v.id, 20)), theme.dim()),
        Span::styled(format!("{} ", text::fit(&status.label, 18)), theme.dim()),
        Span::styled(format!("attached to nothing{rate}{name}"), theme.error()),
    ]
}

/// The confirmation of a release or a delete, naming the one thing whole.
fn question(state: &AppState, entry: &Entry<'_>) -> Question {
    match entry {
        Entry::Address(cloud, address) => Question {
            title: "Release address".into(),
            tone: Role::Error,
            head: "Release 1 address? It goes back to the cloud's pool.".into(),
            columns: vec![
                Column::new(Cells::Id, Role::Plain, vec![address.ip.clone()]),
                Column::new(Cells::Id, Role::Key, vec![address.id.clone()]),
                Column::new(
                    Cells::Text,
                    Role::Dim,
                    vec![state.clouds[*cloud].label.clone()],
                ),
            ],
            ask: None,
            answers: confirm::answers(state, "release", "keep"),
            scroll_keys: None,
        },
        Entry::Volume(cloud, volume) => Question {
            title: "Delete volume".into(),
            tone: Role::Error,
            head: "Delete 1 volume? Its data is gone for good.".into(),
            columns: vec![
                Column::new(Cells::Text, Role::Plain, vec![volume.summary()]),
                Column::new(Cells::Id, Role::Key, vec![volume.id.clone()]),
                Column::new(
                    Cells::Text,
                    Role::Dim,
                    vec![state.clouds[*cloud].label.clone()],
                ),
            ],
            ask: None,
            answers: confirm::answers(state, "delete", "keep"),
            scroll_keys: None,
        },
    }
}
