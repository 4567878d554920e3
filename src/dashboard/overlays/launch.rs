//! The launch form: a template, the name and count the user types, and
//! the image, size, key, network and security group switched among what the
//! template's cloud lists. Its keys are the `[launch]` section; printable
//! characters typed into the name and count go past the keymap.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::message::MessagePopup;
use super::{Overlay, popup_block};
use crate::cloud::CloudError;
use crate::cloud::launch::{LaunchDraft, expand_home};
use crate::config::Template;
use crate::dashboard::action::{CloudId, Request, RequestId};
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::Effect;
use crate::dashboard::keymap::Key;
use crate::dashboard::model::AppState;
use crate::dashboard::view::{Theme, centered, hints, text};
use crate::domain::cost::Prices;
use crate::domain::format::dollars_fine;
use crate::domain::model::{Choice, CloudKind, LaunchOptions, USER_DATA_LIMIT};
use crate::domain::tags::expires_value;

/// At most this many instances per launch.
const MAX_COUNT: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchField {
    Template,
    Name,
    Count,
    Image,
    Size,
    Key,
    Network,
    SecurityGroup,
}

impl LaunchField {
    /// The order Tab walks.
    pub const ORDER: [LaunchField; 8] = [
        LaunchField::Template,
        LaunchField::Name,
        LaunchField::Count,
        LaunchField::Image,
        LaunchField::Size,
        LaunchField::Key,
        LaunchField::Network,
        LaunchField::SecurityGroup,
    ];

    pub fn next(self) -> LaunchField {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    pub fn prev(self) -> LaunchField {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + Self::ORDER.len() - 1) % Self::ORDER.len()]
    }
}

/// The launch form: a template plus the user's edits. Name and count are
/// typed; image, size, key, network and security group start as the
/// template says and can be switched among what the cloud lists.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchPopup {
    pub template: usize,
    pub focus: LaunchField,
    pub name: String,
    pub count: String,
    pub image: String,
    pub size: String,
    pub key_name: Option<String>,
    pub network: Option<String>,
    pub security_groups: Vec<String>,
    pub error: Option<String>,
    /// What the template's cloud offers, once it answered.
    pub options: Option<LaunchOptions>,
    pub options_request: Option<RequestId>,
}

impl LaunchPopup {
    pub fn new(templates: &[Template], index: usize) -> LaunchPopup {
        let mut popup = LaunchPopup {
            template: 0,
            focus: LaunchField::Template,
            name: String::new(),
            count: String::new(),
            image: String::new(),
            size: String::new(),
            key_name: None,
            network: None,
            security_groups: Vec::new(),
            error: None,
            options: None,
            options_request: None,
        };
        popup.select(templates, index);
        popup
    }

    /// Switches template, resetting the editable fields to its defaults.
    pub fn select(&mut self, templates: &[Template], index: usize) {
        if let Some(t) = templates.get(index) {
            self.template = index;
            self.name = t.instance_name.clone().unwrap_or_else(|| t.name.clone());
            self.count = t.count.to_string();
            self.image = t.image.clone();
            self.size = t.size.clone();
            self.key_name = t.key_name.clone();
            self.network = t.network.clone();
            self.security_groups = t.security_groups.clone();
            self.error = None;
            self.options = None;
            self.options_request = None;
        }
    }

    /// Moves a choice field to the next (or previous) thing the cloud lists.
    pub fn cycle(&mut self, forward: bool) -> Result<(), String> {
        let Some(options) = &self.options else {
            return Err("the cloud has not listed its choices yet".into());
        };
        let (choices, current) = match self.focus {
            LaunchField::Image => (&options.images, Some(self.image.as_str())),
            LaunchField::Size => (&options.sizes, Some(self.size.as_str())),
            LaunchField::Key => (&options.key_names, self.key_name.as_deref()),
            LaunchField::Network => (&options.networks, self.network.as_deref()),
            LaunchField::SecurityGroup => (
                &options.security_groups,
                self.security_groups.first().map(String::as_str),
            ),
            _ => return Ok(()),
        };
        if choices.is_empty() {
            return Err("the cloud lists nothing to choose here".into());
        }
        let n = choices.len();
        let next = match current.and_then(|c| choices.iter().position(|x| x.id == c)) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => 0,
            None => n - 1,
        };
        let id = choices[next].id.clone();
        match self.focus {
            LaunchField::Image => self.image = id,
            LaunchField::Size => self.size = id,
            LaunchField::Key => self.key_name = Some(id),
            LaunchField::Network => self.network = Some(id),
            LaunchField::SecurityGroup => self.security_groups = vec![id],
            _ => {}
        }
        Ok(())
    }

    /// The template with the form's choices applied.
    pub fn applied(&self, template: &Template) -> Template {
        let mut t = template.clone();
        t.image = self.image.clone();
        t.size = self.size.clone();
        t.key_name = self.key_name.clone();
        t.network = self.network.clone();
        t.security_groups = self.security_groups.clone();
        t
    }
}

impl From<LaunchPopup> for Overlay {
    fn from(popup: LaunchPopup) -> Overlay {
        Overlay::Launch(Box::new(popup))
    }
}

impl LaunchPopup {
    /// Opens the form on the first template and asks its cloud what it
    /// offers; without templates, says how to add one.
    pub fn open(state: &mut AppState, fx: &mut Vec<Effect>) {
        if state.config.templates.is_empty() {
            MessagePopup::show(
                state,
                "No launch templates",
                vec!["Add a [[template]] to config.toml (see assets/config.example.toml).".into()],
                true,
            );
            return;
        }
        let mut popup = LaunchPopup::new(&state.config.templates, 0);
        popup.request_options(state, fx);
        state.overlay = Some(popup.into());
    }

    /// Asks the template's cloud for its images, sizes, keys, networks and
    /// security groups; only the newest answer is taken.
    fn request_options(&mut self, state: &mut AppState, fx: &mut Vec<Effect>) {
        let Some(template) = state.config.templates.get(self.template) else {
            return;
        };
        let Some(cloud) = state.template_cloud(template) else {
            return;
        };
        let id = state.request_id();
        self.options_request = Some(id);
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::LaunchOptions,
        });
    }

    /// The cloud listed its choices (or could not).
    pub(super) fn on_options(
        &mut self,
        request: RequestId,
        result: Result<LaunchOptions, CloudError>,
    ) {
        if self.options_request != Some(request) {
            return;
        }
        match result {
            Ok(options) => self.options = Some(options),
            Err(e) => self.error = Some(format!("cannot list launch options: {e}")),
        }
    }

    pub(super) fn on_key(
        mut self: Box<Self>,
        state: &mut AppState,
        key: &Key,
        typed: Option<char>,
        fx: &mut Vec<Effect>,
    ) -> Option<Overlay> {
        let focus = self.focus;
        match (focus, typed) {
            (LaunchField::Name, Some(c)) => {
                self.name.push(c);
                return Some(Overlay::Launch(self));
            }
            (LaunchField::Count, Some(c)) => {
                if c.is_ascii_digit() && self.count.len() < 3 {
                    self.count.push(c);
                }
                return Some(Overlay::Launch(self));
            }
            _ => {}
        }
        let templates = state.config.templates.len().max(1);
        let mut reselect = None;
        match state.keymap.lookup(Context::Launch, key) {
            Some(Command::Cancel) => return None,
            Some(Command::Confirm) => return self.confirm(state, fx),
            Some(Command::NextField) => self.focus = focus.next(),
            Some(Command::PrevField) => self.focus = focus.prev(),
            // On the template list up and down switch the template...
            Some(Command::MoveDown) if focus == LaunchField::Template => {
                reselect = Some((self.template + 1) % templates);
            }
            Some(Command::MoveUp) if focus == LaunchField::Template => {
                reselect = Some((self.template + templates - 1) % templates);
            }
            // ... elsewhere they walk the fields.
            Some(Command::MoveDown) => self.focus = focus.next(),
            Some(Command::MoveUp) => self.focus = focus.prev(),
            Some(Command::ChooseNext) => self.error = self.cycle(true).err(),
            Some(Command::ChoosePrev) => self.error = self.cycle(false).err(),
            Some(Command::DeleteBack) => match focus {
                LaunchField::Name => {
                    self.name.pop();
                }
                LaunchField::Count => {
                    self.count.pop();
                }
                _ => {}
            },
            _ => {}
        }
        if let Some(index) = reselect {
            self.pick_template(state, index, fx);
        }
        Some(Overlay::Launch(self))
    }

    /// Switches to template `index` and asks its cloud what it offers.
    pub(crate) fn pick_template(
        &mut self,
        state: &mut AppState,
        index: usize,
        fx: &mut Vec<Effect>,
    ) {
        self.focus = LaunchField::Template;
        self.select(&state.config.templates, index);
        self.request_options(state, fx);
    }

    /// The line each template is drawn on over `area`, in order; none when
    /// the list scrolls (more templates than lines), since where it
    /// scrolled to is the list widget's, not the form's.
    pub(crate) fn template_lines(area: Rect, templates: usize) -> Vec<Rect> {
        let inner = Block::bordered().inner(centered(area, 96, 19));
        let [list_area, _] =
            Layout::horizontal([Constraint::Length(26), Constraint::Min(30)]).areas(inner);
        let list = Block::default()
            .borders(Borders::RIGHT)
            .title("templates")
            .inner(list_area);
        if templates > usize::from(list.height) {
            return Vec::new();
        }
        (list.y..)
            .take(templates)
            .map(|y| Rect::new(list.x, y, list.width, 1))
            .collect()
    }

    /// Pasted text goes into the focused name or count (digits only).
    pub(super) fn on_paste(&mut self, text: &str) {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        match self.focus {
            LaunchField::Name => self.name.push_str(&clean),
            LaunchField::Count => self
                .count
                .extend(clean.chars().filter(char::is_ascii_digit)),
            _ => {}
        }
    }

    /// Checks the form and sends the launch; a mistake stays in the form.
    fn confirm(mut self: Box<Self>, state: &mut AppState, fx: &mut Vec<Effect>) -> Option<Overlay> {
        let Some(template) = state
            .config
            .templates
            .get(self.template)
            .map(|t| self.applied(t))
        else {
            return Some(Overlay::Launch(self));
        };
        let count: u32 = match self.count.parse() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => {
                self.error = Some(format!("count must be a number from 1 to {MAX_COUNT}"));
                return Some(Overlay::Launch(self));
            }
        };
        let name = self.name.trim().to_string();
        if name.is_empty() {
            self.error = Some("the name is empty".into());
            return Some(Overlay::Launch(self));
        }
        let Some(cloud) = state.template_cloud(&template) else {
            self.error = Some(format!("cloud {} is not running", template.cloud.get_ref()));
            return Some(Overlay::Launch(self));
        };
        let region = state.clouds[cloud].region.clone();
        let id = state.request_id();
        state.info(format!(
            "launching {count} × {name} on {}…",
            state.clouds[cloud].label
        ));
        let ttl = state.config.cost.default_ttl_hours;
        fx.push(Effect::Send {
            cloud,
            id,
            request: Request::Launch(Box::new(LaunchDraft {
                template,
                region,
                name,
                count,
                owner: state.owner.clone(),
                expires: (ttl > 0.0).then(|| expires_value(state.now, ttl)),
            })),
        });
        None
    }

    pub(super) fn draw(&self, frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
        let rect = centered(area, 96, 19);
        frame.render_widget(Clear, rect);
        let block = popup_block(&title(state), theme, theme.border());
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [list_area, form_area] =
            Layout::horizontal([Constraint::Length(26), Constraint::Min(30)]).areas(inner);

        let items: Vec<ListItem> = state
            .config
            .templates
            .iter()
            .map(|t| ListItem::new(text::truncate(&t.name, 24)))
            .collect();
        let focus_style = |f: LaunchField| {
            if self.focus == f {
                theme.focus()
            } else {
                theme.dim()
            }
        };
        let list = List::new(items)
            .block(
                Block::default()
                    .borders(Borders::RIGHT)
                    .border_style(theme.border())
                    .title(Span::styled(
                        "templates",
                        focus_style(LaunchField::Template),
                    )),
            )
            .highlight_style(theme.selected())
            .highlight_symbol("▶");
        let mut list_state = ListState::default().with_selected(Some(self.template));
        frame.render_stateful_widget(list, list_area, &mut list_state);

        let Some(t) = state.config.templates.get(self.template) else {
            return;
        };
        let cloud = state.template_cloud(t);
        let cloud_label = cloud
            .map(|c| state.clouds[c].label.clone())
            .unwrap_or_else(|| format!("{} (not running)", t.cloud.get_ref()));
        let options = self.options.as_ref();
        let described = |id: &str, choices: Option<&Vec<Choice>>| match choices
            .and_then(|c| c.iter().find(|c| c.id == id))
        {
            Some(c) if c.label != c.id => format!("{id}  ({})", c.label),
            _ => id.to_string(),
        };
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!(" {}", text::pad(k, 16)), theme.dim()),
                Span::raw(v),
            ])
        };
        let user_data = match &t.user_data {
            None => "-".to_string(),
            Some(path) => {
                let p = expand_home(path);
                match std::fs::metadata(&p) {
                    Ok(m) if m.len() as usize > USER_DATA_LIMIT => {
                        format!(
                            "{} ({} bytes: over the 16 KB limit!)",
                            path.display(),
                            m.len()
                        )
                    }
                    Ok(m) => format!("{} ({} bytes)", path.display(), m.len()),
                    Err(_) => format!("{} (not readable!)", path.display()),
                }
            }
        };
        let field = |label: &str, value: &str, f: LaunchField| {
            let cursor = if self.focus == f { "█" } else { "" };
            Line::from(vec![
                Span::styled(format!(" {}", text::pad(label, 16)), focus_style(f)),
                Span::raw(format!("{value}{cursor}")),
            ])
        };
        // Fields the cloud lists choices for: ←/→ switch when focused.
        let choice = |label: &str, value: String, f: LaunchField| {
            let focused = self.focus == f;
            Line::from(vec![
                Span::styled(format!(" {}", text::pad(label, 16)), focus_style(f)),
                Span::raw(if focused {
                    format!("◀ {value} ▶")
                } else {
                    value
                }),
            ])
        };
        let mut lines = vec![
            field("name", &self.name, LaunchField::Name),
            field("count", &self.count, LaunchField::Count),
            Line::from(""),
            row("cloud", cloud_label),
            choice(
                "image",
                described(&self.image, options.map(|o| &o.images)),
                LaunchField::Image,
            ),
            choice(
                "size",
                described(&self.size, options.map(|o| &o.sizes)),
                LaunchField::Size,
            ),
            row("cost", self.cost_text(state, cloud)),
            choice(
                "key",
                self.key_name
                    .as_deref()
                    .map(|k| described(k, options.map(|o| &o.key_names)))
                    .unwrap_or_else(|| "-".into()),
                LaunchField::Key,
            ),
            choice(
                "network/subnet",
                self.network
                    .as_deref()
                    .map(|n| described(n, options.map(|o| &o.networks)))
                    .unwrap_or_else(|| "-".into()),
                LaunchField::Network,
            ),
            choice(
                "security groups",
                if self.security_groups.is_empty() {
                    "-".into()
                } else {
                    self.security_groups
                        .iter()
                        .map(|g| described(g, options.map(|o| &o.security_groups)))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                LaunchField::SecurityGroup,
            ),
            row("user-data", user_data),
            row(
                "monitoring",
                if t.detailed_monitoring {
                    "detailed".into()
                } else {
                    "basic".into()
                },
            ),
            row("expires", expires_text(state)),
        ];
        if !t.tags.is_empty() {
            let tags: Vec<String> = t.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            lines.push(row("tags", tags.join(", ")));
        }
        if self.options.is_none() && self.options_request.is_some() && self.error.is_none() {
            lines.push(Line::from(Span::styled(
                " asking the cloud for images and sizes…",
                theme.dim(),
            )));
        }
        if let Some(err) = &self.error {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(format!(" ✗ {err}"), theme.error())));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), form_area);
    }
}

impl LaunchPopup {
    /// `$0.0114/h each (compute)`, `$0.0228/h for 2`, `holds 1 vCPU, 512
    /// MB` (an unpriced flavor, as the cloud labels it), or `no price known`.
    fn cost_text(&self, state: &AppState, cloud: Option<CloudId>) -> String {
        let Some(status) = cloud.and_then(|c| state.clouds.get(c)) else {
            return "-".into();
        };
        let rules = &state.config.cost;
        let price = match status.kind {
            CloudKind::Aws => Prices::embedded().aws_hourly(&status.region, &self.size, rules),
            CloudKind::OpenStack => rules.flavor_prices.get(&self.size).copied(),
        };
        let count: u32 = self.count.parse().unwrap_or(1).max(1);
        match price {
            Some(p) if count > 1 => format!(
                "{}/h for {count} ({}/h each, compute; volumes and IPv4 extra)",
                dollars_fine(p * f64::from(count)),
                dollars_fine(p)
            ),
            Some(p) => format!("{}/h (compute; volumes and IPv4 extra)", dollars_fine(p)),
            None => {
                let label = self
                    .options
                    .as_ref()
                    .and_then(|o| o.sizes.iter().find(|c| c.id == self.size))
                    .filter(|c| c.label != c.id)
                    .map(|c| c.label.clone());
                match (status.kind, label) {
                    (CloudKind::OpenStack, Some(l)) => format!("holds {l} while it exists"),
                    _ => "no price known (see [cost] in config.toml)".into(),
                }
            }
        }
    }
}

/// The `hytop:expires` the launch will carry: `2026-11-21 20:00 UTC (in
/// 8h)`, or why there is none.
fn expires_text(state: &AppState) -> String {
    let ttl = state.config.cost.default_ttl_hours;
    if !(ttl.is_finite() && ttl > 0.0) {
        return "no hytop:expires tag ([cost] default_ttl_hours = 0)".into();
    }
    let value = expires_value(state.now, ttl);
    match chrono::DateTime::parse_from_rfc3339(&value) {
        Ok(at) => format!(
            "{} (in {}, hytop:expires)",
            at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC"),
            crate::domain::format::span(at.with_timezone(&chrono::Utc) - state.now)
        ),
        Err(_) => value,
    }
}

/// The title names the form's keys, as bound.
fn title(state: &AppState) -> String {
    let keymap = &state.keymap;
    let key = |cmds: &[Command], usual: &[KeyCode]| {
        hints::keys(keymap, Context::Launch, cmds, usual, "/")
    };
    let parts = [
        (
            key(
                &[Command::MoveUp, Command::MoveDown],
                &[KeyCode::Up, KeyCode::Down],
            ),
            "template",
        ),
        (key(&[Command::NextField], &[KeyCode::Tab]), "next field"),
        (
            key(
                &[Command::ChoosePrev, Command::ChooseNext],
                &[KeyCode::Left, KeyCode::Right],
            ),
            "choose",
        ),
        (key(&[Command::Confirm], &[KeyCode::Enter]), "launch"),
        (key(&[Command::Cancel], &[KeyCode::Esc]), "cancel"),
    ];
    let shown: Vec<String> = parts
        .into_iter()
        .filter_map(|(keys, what)| Some(format!("{} {what}", keys?)))
        .collect();
    if shown.is_empty() {
        "Launch".to_string()
    } else {
        format!("Launch — {}", shown.join(", "))
    }
}
