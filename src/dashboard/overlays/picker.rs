//! The pickers that change which endpoints are shown while hytop runs:
//! `:region` (the regions of the selected instance's account, from
//! `DescribeRegions` or the OpenStack catalog), `:profile` (the AWS
//! profiles aws-config's own loader reads) and `:cloud` (clouds.yaml
//! entries and the openrc variables). Enter or Space shows or hides the
//! selected one; workers are started and stopped by the event loop, and
//! nothing of the other endpoints is lost. Keys: the `[picker]` section.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Overlay, popup_block};
use crate::cloud::{CloudResult, Regions};
use crate::config::{CloudConfig, ProviderKind};
use crate::dashboard::action::{CloudId, Request, RequestId};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::{Choice, ChoiceKind, Effect};
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, text};

/// What a picker picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerKind {
    /// Regions of one `[[cloud]]`.
    Regions {
        cloud: String,
    },
    Profiles,
    Clouds,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndpointPicker {
    pub kind: PickerKind,
    /// The request its choices answer.
    pub request: RequestId,
    /// `None` while they are being asked.
    pub choices: Option<Result<Vec<Choice>, String>>,
    /// Regions: the one the cloud's own endpoint asks (an OpenStack cloud
    /// configured without a region shows it under the cloud's name).
    pub this: Option<String>,
    pub selected: usize,
    /// `:region NAME` and the like: shown as soon as the choices list it.
    pub wanted: Option<String>,
}

impl From<EndpointPicker> for Overlay {
    fn from(popup: EndpointPicker) -> Overlay {
        Overlay::Picker(popup)
    }
}

impl EndpointPicker {
    fn new(kind: PickerKind, request: RequestId) -> EndpointPicker {
        EndpointPicker {
            kind,
            request,
            choices: None,
            this: None,
            selected: 0,
            wanted: None,
        }
    }

    /// `:region`: the regions of the selected instance's cloud (else the
    /// first shown one), asked of its worker.
    pub fn open_regions(state: &mut AppState, fx: &mut Vec<Effect>) {
        let cloud = state
            .selected_instance()
            .map(|(key, _)| key.cloud)
            .or_else(|| state.shown_clouds().next());
        let Some(cloud) = cloud else {
            state.error("no endpoint is shown: :profile or :cloud adds one");
            return;
        };
        let request = state.request_id();
        let name = state.clouds[cloud].config_name.clone();
        fx.push(Effect::Send {
            cloud,
            id: request,
            request: Request::Regions,
        });
        state.overlay = Some(Self::new(PickerKind::Regions { cloud: name }, request).into());
    }

    /// `:profile` and `:cloud`: read from local files by the event loop.
    pub fn open_local(state: &mut AppState, kind: ChoiceKind, fx: &mut Vec<Effect>) {
        if state.demo {
            // The demo never reaches a real cloud.
            state.error(
                "the demo shows simulated clouds only: :region works here; \
                 profiles and clouds are picked without --demo",
            );
            return;
        }
        let request = state.request_id();
        fx.push(Effect::LoadChoices { kind, request });
        let kind = match kind {
            ChoiceKind::Profiles => PickerKind::Profiles,
            ChoiceKind::Clouds => PickerKind::Clouds,
        };
        state.overlay = Some(Self::new(kind, request).into());
    }

    /// `:region NAME`, `:profile NAME`, `:cloud NAME`: hides `name` at once
    /// when it is shown; else opens the picker and shows `name` once the
    /// choices list it, so a typo is caught before any worker starts.
    pub fn toggle_named(state: &mut AppState, kind: Command, name: &str, fx: &mut Vec<Effect>) {
        let kind = match kind {
            Command::Regions => {
                let cloud = state
                    .selected_instance()
                    .map(|(key, _)| key.cloud)
                    .or_else(|| state.shown_clouds().next());
                let Some(cloud) = cloud else {
                    state.error("no endpoint is shown: :profile or :cloud adds one");
                    return;
                };
                PickerKind::Regions {
                    cloud: state.clouds[cloud].config_name.clone(),
                }
            }
            Command::Profiles | Command::Clouds if state.demo => {
                state.error("the demo shows simulated clouds only: :region works here");
                return;
            }
            Command::Profiles => PickerKind::Profiles,
            Command::Clouds => PickerKind::Clouds,
            _ => return,
        };
        let mut picker = Self::new(kind, 0);
        picker.choices = Some(Ok(vec![Choice {
            name: name.to_string(),
            detail: String::new(),
        }]));
        if !picker.endpoints_of(state, name).is_empty() {
            picker.toggle(state, fx);
            return;
        }
        match picker.kind {
            PickerKind::Regions { .. } => Self::open_regions(state, fx),
            PickerKind::Profiles => Self::open_local(state, ChoiceKind::Profiles, fx),
            PickerKind::Clouds => Self::open_local(state, ChoiceKind::Clouds, fx),
        }
        if let Some(Overlay::Picker(opened)) = state.overlay.as_mut() {
            opened.wanted = Some(name.to_string());
        }
    }

    /// A picker opened for a name ([`EndpointPicker::toggle_named`]) acts
    /// once its choices are in: shows the name and closes if they list it,
    /// else stays open and says they do not.
    pub fn settle(state: &mut AppState, fx: &mut Vec<Effect>) {
        let Some(Overlay::Picker(picker)) = state.overlay.as_mut() else {
            return;
        };
        let Some(choices) = &picker.choices else {
            return;
        };
        let Some(wanted) = picker.wanted.take() else {
            return;
        };
        let found = match choices {
            Ok(list) => list.iter().position(|c| c.name == wanted),
            Err(e) => {
                let e = e.clone();
                state.error(format!("cannot check {wanted}: {e}"));
                return;
            }
        };
        let Some(index) = found else {
            let missing = match &picker.kind {
                PickerKind::Regions { cloud } => {
                    format!("{cloud}'s account has no region {wanted}")
                }
                PickerKind::Profiles => format!("no AWS profile {wanted} in the AWS config files"),
                PickerKind::Clouds => {
                    format!("no cloud {wanted} in clouds.yaml or the OS_* variables")
                }
            };
            state.error(format!("{missing}: pick one"));
            return;
        };
        picker.selected = index;
        let picker = picker.clone();
        state.overlay = None;
        picker.toggle(state, fx);
    }

    /// A worker listed the regions this picker asked for.
    pub fn on_regions(&mut self, request: RequestId, result: CloudResult<Regions>) {
        if request != self.request {
            return;
        }
        self.choices = Some(match result {
            Ok(regions) => {
                self.this = regions.this;
                Ok(regions
                    .all
                    .into_iter()
                    .map(|name| Choice {
                        name,
                        detail: String::new(),
                    })
                    .collect())
            }
            Err(e) => Err(e.to_string()),
        });
    }

    /// The event loop read the profiles or clouds this picker asked for.
    pub fn on_choices(&mut self, request: RequestId, result: Result<Vec<Choice>, String>) {
        if request == self.request {
            self.choices = Some(result);
        }
    }

    fn listed(&self) -> &[Choice] {
        match &self.choices {
            Some(Ok(list)) => list,
            _ => &[],
        }
    }

    /// The shown endpoints that `choice` stands for.
    fn endpoints_of(&self, state: &AppState, choice: &str) -> Vec<CloudId> {
        let listed: Vec<&str> = self.listed().iter().map(|c| c.name.as_str()).collect();
        state
            .shown_clouds()
            .filter(|&id| {
                let status = &state.clouds[id];
                let config = state.config.cloud(&status.config_name);
                match &self.kind {
                    PickerKind::Regions { cloud } => {
                        status.config_name == *cloud
                            && (status.region == choice
                                || (self.this.as_deref() == Some(choice)
                                    && !listed.contains(&status.region.as_str())))
                    }
                    PickerKind::Profiles => config.is_some_and(|c| {
                        *c.provider.get_ref() == ProviderKind::Aws
                            && c.profile.as_deref().unwrap_or("default") == choice
                    }),
                    PickerKind::Clouds => config.is_some_and(|c| {
                        *c.provider.get_ref() == ProviderKind::OpenStack
                            && c.os_cloud.as_deref().unwrap_or(c.name.get_ref()) == choice
                    }),
                }
            })
            .collect()
    }

    /// Shows the selected choice, or hides what it stands for.
    fn toggle(&self, state: &mut AppState, fx: &mut Vec<Effect>) {
        let Some(choice) = self.listed().get(self.selected) else {
            return;
        };
        let name = choice.name.clone();
        let shown = self.endpoints_of(state, &name);
        if !shown.is_empty() {
            let labels: Vec<String> = shown
                .iter()
                .map(|&c| state.clouds[c].label.clone())
                .collect();
            // Hidden is not gone: say what keeps running (and billing) there.
            let live = shown
                .iter()
                .flat_map(|&c| &state.instances[c])
                .filter(|i| i.state.is_live())
                .count();
            for id in shown {
                state.remove_cloud(id);
                fx.push(Effect::StopEndpoint(id));
            }
            let still = if live > 0 {
                format!(" — its {live} live instance(s) keep running there (w finds them)")
            } else {
                String::new()
            };
            state.info(format!("no longer shown: {}{still}", labels.join(", ")));
            return;
        }
        let (cloud, region) = match &self.kind {
            PickerKind::Regions { cloud } => (cloud.clone(), Some(name.clone())),
            PickerKind::Profiles => (profile_cloud(state, &name), None),
            PickerKind::Clouds => (openstack_cloud(state, &name), None),
        };
        state.info(format!("adding {name}…"));
        fx.push(Effect::StartEndpoints { cloud, region });
    }

    pub(super) fn on_key(
        mut self,
        state: &mut AppState,
        key: &Key,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        match state.keymap.lookup(Context::Picker, key) {
            Some(Command::MoveDown) => {
                self.selected = (self.selected + 1).min(self.listed().len().saturating_sub(1));
            }
            Some(Command::MoveUp) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Toggle) => self.toggle(state, fx),
            Some(Command::Refresh) => {
                // A fresh picker of the same kind takes this one's place.
                match self.kind {
                    PickerKind::Regions { .. } => Self::open_regions(state, fx),
                    PickerKind::Profiles => Self::open_local(state, ChoiceKind::Profiles, fx),
                    PickerKind::Clouds => Self::open_local(state, ChoiceKind::Clouds, fx),
                }
                return None;
            }
            Some(Command::Close) => return None,
            _ => {}
        }
        Some(self.into())
    }

    fn title(&self) -> String {
        match &self.kind {
            PickerKind::Regions { cloud } => format!("Regions of {cloud}"),
            PickerKind::Profiles => "AWS profiles".into(),
            PickerKind::Clouds => "OpenStack clouds".into(),
        }
    }

    /// The choices drawn over `area`: the first one's index and how many.
    fn window(&self, area: Rect) -> (usize, usize) {
        let height = usize::from(area.height.saturating_sub(8)).max(3);
        let from = self.selected.saturating_sub(height - 1);
        let shown = self.listed().len().saturating_sub(from).min(height);
        (from, shown)
    }

    fn rect(&self, area: Rect) -> Rect {
        // The choices (or one line saying why there are none), a blank, the hints.
        let body = self.window(area).1.max(1) + 2;
        centered(area, 70, ((body + 2) as u16).min(area.height))
    }

    /// Where each drawn choice is, by its index: what a click picks.
    pub(crate) fn choice_lines(&self, area: Rect) -> Vec<(usize, Rect)> {
        let inner = self.rect(area).inner(ratatui::layout::Margin::new(1, 1));
        let (from, shown) = self.window(area);
        (0..shown)
            .filter_map(|k| {
                let y = inner.y.checked_add(u16::try_from(k).ok()?)?;
                (y < inner.bottom()).then_some((from + k, Rect::new(inner.x, y, inner.width, 1)))
            })
            .collect()
    }

    /// A click on choice `n`: selects it and shows or hides it, as Enter.
    pub(crate) fn pick(mut self, state: &mut AppState, n: usize, fx: &mut Vec<Effect>) {
        self.selected = n.min(self.listed().len().saturating_sub(1));
        self.toggle(state, fx);
        state.overlay = Some(self.into());
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let mut lines: Vec<Line> = Vec::new();
        match &self.choices {
            None => lines.push(Line::styled("asking…", theme.dim())),
            Some(Err(e)) => lines.push(Line::styled(e.clone(), theme.error())),
            Some(Ok(list)) if list.is_empty() => {
                lines.push(Line::styled("none found", theme.dim()));
            }
            Some(Ok(list)) => {
                let (from, shown) = self.window(area);
                for (i, choice) in list.iter().enumerate().skip(from).take(shown) {
                    let shown = !self.endpoints_of(state, &choice.name).is_empty();
                    let line = Line::from(vec![
                        Span::raw(if i == self.selected { "▶ " } else { "  " }),
                        Span::styled(if shown { "✓ " } else { "  " }, theme.ok()),
                        Span::raw(text::pad(&choice.name, 24)),
                        Span::styled(choice.detail.clone(), theme.dim()),
                    ]);
                    lines.push(if i == self.selected {
                        line.style(theme.selected())
                    } else {
                        line
                    });
                }
            }
        }
        lines.push(Line::from(""));
        lines.push(hint_line(state, theme, " show / hide   "));
        let rect = self.rect(area);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines).block(popup_block(&self.title(), theme, theme.border())),
            rect,
        );
    }
}

/// The hint line of a `[picker]` popup, `toggle` doing `what`.
pub(super) fn hint_line(state: &AppState, theme: &Theme, what: &str) -> Line<'static> {
    super::hint_line(
        state,
        theme,
        Context::Picker,
        &[
            (
                &[Command::MoveDown, Command::MoveUp],
                &[KeyCode::Char('j'), KeyCode::Char('k')],
                " select   ",
            ),
            (&[Command::Toggle], &[KeyCode::Enter], what),
            (&[Command::Refresh], &[KeyCode::Char('r')], " ask again   "),
            (&[Command::Close], &[KeyCode::Esc], " close"),
        ],
    )
}

/// The `[[cloud]]` that shows AWS profile `profile`: one the config has,
/// else a new one named after it.
fn profile_cloud(state: &mut AppState, profile: &str) -> String {
    let existing = state.config.clouds.iter().find(|c| {
        *c.provider.get_ref() == ProviderKind::Aws
            && c.profile.as_deref().unwrap_or("default") == profile
    });
    if let Some(c) = existing {
        return c.name.get_ref().clone();
    }
    let mut cloud = CloudConfig::plain(&free_name(state, profile), ProviderKind::Aws);
    cloud.profile = Some(profile.to_string());
    state.add_cloud_config(cloud)
}

/// The `[[cloud]]` that shows OpenStack cloud `name` of clouds.yaml.
fn openstack_cloud(state: &mut AppState, name: &str) -> String {
    let existing = state.config.clouds.iter().find(|c| {
        *c.provider.get_ref() == ProviderKind::OpenStack
            && c.os_cloud.as_deref().unwrap_or(c.name.get_ref()) == name
    });
    if let Some(c) = existing {
        return c.name.get_ref().clone();
    }
    let mut cloud = CloudConfig::plain(&free_name(state, name), ProviderKind::OpenStack);
    cloud.os_cloud = Some(name.to_string());
    state.add_cloud_config(cloud)
}

/// `name`, or `name-2`, `name-3`, ... when the config already has it.
fn free_name(state: &AppState, name: &str) -> String {
    let mut candidate = name.to_string();
    let mut n = 2;
    while state.config.cloud(&candidate).is_some() {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}
