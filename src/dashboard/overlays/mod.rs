//! Popups drawn over the main screen: help, describe, launch, terminate,
//! public IP and messages.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::{Theme, centered, truncate};
use crate::dashboard::command::Context;
use crate::dashboard::model::{
    AppState, InstanceKey, IpPopup, LaunchField, LaunchPopup, MessagePopup, Overlay, QuitReminder,
    Target,
};
use crate::domain::format;
use crate::domain::model::{Choice, USER_DATA_LIMIT};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(overlay) = &state.overlay else {
        return;
    };
    match overlay {
        Overlay::Help { scroll } => help(frame, area, state, *scroll, theme),
        Overlay::Describe { key, scroll } => describe(frame, area, state, key, *scroll, theme),
        Overlay::Launch(popup) => launch(frame, area, state, popup, theme),
        Overlay::Terminate(targets) => terminate(frame, area, targets, theme),
        Overlay::PublicIp(popup) => public_ip(frame, area, state, popup, theme),
        Overlay::Addresses { selected, confirm } => {
            addresses(frame, area, state, *selected, *confirm, theme)
        }
        Overlay::Message(msg) => message(frame, area, msg, theme),
        Overlay::QuitReminder(reminder) => quit_reminder(frame, area, state, reminder, theme),
    }
}

fn popup_block<'a>(title: &str, theme: &Theme, style: Style) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(format!(" {title} "), theme.title()))
}

fn help(frame: &mut Frame, area: Rect, state: &AppState, scroll: u16, theme: &Theme) {
    let mut lines = Vec::new();
    for ctx in [Context::Table, Context::Console] {
        lines.push(Line::from(Span::styled(
            match ctx {
                Context::Console => "Console view",
                _ => ctx.title(),
            },
            theme.header_row(),
        )));
        // One line per command: its keys side by side.
        let mut grouped: Vec<(Vec<String>, &crate::dashboard::keymap::Binding)> = Vec::new();
        for binding in state.keymap.bindings(ctx) {
            match grouped.last_mut() {
                Some((keys, first))
                    if first.command == binding.command
                        && first.description == binding.description =>
                {
                    keys.push(binding.key.to_string())
                }
                _ => grouped.push((vec![binding.key.to_string()], binding)),
            }
        }
        for (keys, binding) in grouped {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", keys.join(", ")), theme.key()),
                Span::raw(format!("{:<13}", binding.command.name())),
                Span::raw(binding.description.clone()),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        "In popups and prompts",
        theme.header_row(),
    )));
    for (k, d) in [
        ("Enter", "confirm / apply"),
        ("Esc", "cancel / close (clears the filter prompt)"),
        ("Tab", "launch form: next field"),
        (
            "← / →",
            "launch form: switch image, size, key, network, group",
        ),
        ("y / n", "terminate: confirm / keep"),
        ("a / d", "public IP: attach / detach"),
        ("ctrl-c", "quit from anywhere"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<18}"), theme.key()),
            Span::raw(d),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Commands after ':' — any name above, plus: sort <column> [desc], filter <text>, q",
        theme.dim(),
    )));
    let rect = centered(area, 104, area.height.saturating_sub(4));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(popup_block(
                "Help — keys from keymap.toml (j/k scroll, Esc close)",
                theme,
                theme.border(),
            ))
            .scroll((scroll, 0)),
        rect,
    );
}

fn describe(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    key: &InstanceKey,
    scroll: u16,
    theme: &Theme,
) {
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
            Span::styled(format!("{k:<20}"), theme.dim()),
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
        row("account / profile", inst.account.clone()),
        row("region", inst.region.clone()),
        row(
            "state",
            format!("{} (cloud: {})", inst.state, inst.raw_state),
        ),
        row("type / flavor", inst.size.clone()),
        row("image", inst.image.clone()),
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
        lines.push(row(k, v.clone()));
    }
    lines.extend([
        Line::from(""),
        Line::from(Span::styled(
            format!("tags / metadata ({})", inst.tags.len()),
            theme.header_row(),
        )),
    ]);
    for (k, v) in &inst.tags {
        lines.push(row(&format!("  {}", truncate(k, 17)), v.clone()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(popup_block("Describe (Esc close)", theme, theme.border()))
            .scroll((scroll, 0)),
        rect,
    );
}

fn launch(frame: &mut Frame, area: Rect, state: &AppState, popup: &LaunchPopup, theme: &Theme) {
    let rect = centered(area, 96, 19);
    frame.render_widget(Clear, rect);
    let block = popup_block(
        "Launch — ↑/↓ template, Tab next field, ←/→ choose, Enter launch, Esc cancel",
        theme,
        theme.border(),
    );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [list_area, form_area] =
        Layout::horizontal([Constraint::Length(26), Constraint::Min(30)]).areas(inner);

    let items: Vec<ListItem> = state
        .config
        .templates
        .iter()
        .map(|t| ListItem::new(truncate(&t.name, 24)))
        .collect();
    let focus_style = |f: LaunchField| {
        if popup.focus == f {
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
    let mut list_state = ListState::default().with_selected(Some(popup.template));
    frame.render_stateful_widget(list, list_area, &mut list_state);

    let Some(t) = state.config.templates.get(popup.template) else {
        return;
    };
    let cloud = state.template_cloud(t);
    let cloud_label = cloud
        .map(|c| state.clouds[c].label.clone())
        .unwrap_or_else(|| format!("{} (not running)", t.cloud.get_ref()));
    let options = popup.options.as_ref();
    let described = |id: &str, choices: Option<&Vec<Choice>>| match choices
        .and_then(|c| c.iter().find(|c| c.id == id))
    {
        Some(c) if c.label != c.id => format!("{id}  ({})", c.label),
        _ => id.to_string(),
    };
    let row = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<16}"), theme.dim()),
            Span::raw(v),
        ])
    };
    let user_data = match &t.user_data {
        None => "-".to_string(),
        Some(path) => {
            let p = crate::cloud::launch::expand_home(path);
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
        let cursor = if popup.focus == f { "█" } else { "" };
        Line::from(vec![
            Span::styled(format!(" {label:<16}"), focus_style(f)),
            Span::raw(format!("{value}{cursor}")),
        ])
    };
    // Fields the cloud lists choices for: ←/→ switch when focused.
    let choice = |label: &str, value: String, f: LaunchField| {
        let focused = popup.focus == f;
        Line::from(vec![
            Span::styled(format!(" {label:<16}"), focus_style(f)),
            Span::raw(if focused {
                format!("◀ {value} ▶")
            } else {
                value
            }),
        ])
    };
    let mut lines = vec![
        field("name", &popup.name, LaunchField::Name),
        field("count", &popup.count, LaunchField::Count),
        Line::from(""),
        row("cloud", cloud_label),
        choice(
            "image",
            described(&popup.image, options.map(|o| &o.images)),
            LaunchField::Image,
        ),
        choice(
            "size",
            described(&popup.size, options.map(|o| &o.sizes)),
            LaunchField::Size,
        ),
        choice(
            "key",
            popup
                .key_name
                .as_deref()
                .map(|k| described(k, options.map(|o| &o.key_names)))
                .unwrap_or_else(|| "-".into()),
            LaunchField::Key,
        ),
        choice(
            "network/subnet",
            popup
                .network
                .as_deref()
                .map(|n| described(n, options.map(|o| &o.networks)))
                .unwrap_or_else(|| "-".into()),
            LaunchField::Network,
        ),
        choice(
            "security groups",
            if popup.security_groups.is_empty() {
                "-".into()
            } else {
                popup
                    .security_groups
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
    ];
    if !t.tags.is_empty() {
        let tags: Vec<String> = t.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(row("tags", tags.join(", ")));
    }
    if popup.options.is_none() && popup.options_request.is_some() && popup.error.is_none() {
        lines.push(Line::from(Span::styled(
            " asking the cloud for images and sizes…",
            theme.dim(),
        )));
    }
    if let Some(err) = &popup.error {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(format!(" ✗ {err}"), theme.error())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), form_area);
}

fn terminate(frame: &mut Frame, area: Rect, targets: &[Target], theme: &Theme) {
    let h = (targets.len().min(15) + 7) as u16;
    let rect = centered(area, 90, h);
    frame.render_widget(Clear, rect);
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "Terminate {} instance(s)? This cannot be undone.",
                targets.len()
            ),
            theme.error(),
        )),
        Line::from(""),
    ];
    for t in targets.iter().take(15) {
        lines.push(Line::from(vec![
            Span::raw(format!("  {:<24} ", truncate(&t.name, 24))),
            Span::styled(format!("{:<38} ", t.key.id), theme.key()),
            Span::styled(truncate(&t.cloud_label, 22), theme.dim()),
        ]));
    }
    if targets.len() > 15 {
        lines.push(Line::from(format!("  … and {} more", targets.len() - 15)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.key()),
        Span::raw(" terminate these    "),
        Span::styled("n / Esc", theme.key()),
        Span::raw(" keep them"),
    ]));
    frame.render_widget(
        Paragraph::new(lines).block(popup_block("Terminate", theme, theme.error())),
        rect,
    );
}

fn quit_reminder(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    reminder: &QuitReminder,
    theme: &Theme,
) {
    let shown = reminder.instances.len().min(12);
    let rect = centered(area, 100, (shown + 8) as u16);
    frame.render_widget(Clear, rect);
    let n = reminder.instances.len();
    let mut lines = vec![
        Line::from(Span::styled(
            format!("{n} instance(s) still running — they keep costing money after hytop quits:"),
            theme.flagged(),
        )),
        Line::from(""),
    ];
    for r in reminder.instances.iter().take(shown) {
        let age = r.age.map(format::age).unwrap_or_else(|| "-".into());
        lines.push(Line::from(vec![
            Span::raw(format!("  {:<22} ", truncate(&r.target.name, 22))),
            Span::styled(
                format!("{:<22} ", truncate(&r.target.cloud_label, 22)),
                theme.dim(),
            ),
            Span::raw(format!("{age:>6} {:>8}  ", r.spent)),
            Span::styled(truncate(&r.why, 28), theme.flagged()),
        ]));
    }
    if n > shown {
        lines.push(Line::from(format!("  … and {} more", n - shown)));
    }
    lines.push(Line::from(Span::styled(
        "  age, cost so far (estimate), why listed",
        theme.dim(),
    )));
    lines.push(Line::from(""));
    lines.push(if reminder.confirm {
        Line::from(vec![
            Span::styled(format!("Terminate these {n}? "), theme.error()),
            Span::styled("y", theme.key()),
            Span::raw(" terminate and quit    "),
            Span::styled("n / Esc", theme.key()),
            Span::raw(" back"),
        ])
    } else {
        let mut keys = Vec::new();
        if !state.readonly {
            keys.push(Span::styled("t", theme.key()));
            keys.push(Span::raw(" terminate them    "));
        }
        keys.extend([
            Span::styled("q", theme.key()),
            Span::raw(" keep them and quit    "),
            Span::styled("Esc", theme.key()),
            Span::raw(" stay in hytop"),
        ]);
        Line::from(keys)
    });
    frame.render_widget(
        Paragraph::new(lines).block(popup_block("Quit?", theme, theme.flagged())),
        rect,
    );
}

fn public_ip(frame: &mut Frame, area: Rect, state: &AppState, popup: &IpPopup, theme: &Theme) {
    let rect = centered(area, 76, 10);
    frame.render_widget(Clear, rect);
    let kind = state.clouds[popup.target.key.cloud].kind;
    let what = match kind {
        crate::domain::model::CloudKind::Aws => "Elastic IP",
        crate::domain::model::CloudKind::OpenStack => "floating IP",
    };
    let mut lines = vec![Line::from(format!(
        "{} ({}) on {}",
        popup.target.name, popup.target.key.id, popup.target.cloud_label
    ))];
    lines.push(Line::from(""));
    match &popup.current_ip {
        Some(ip) => {
            lines.push(Line::from(format!("public address: {ip}")));
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled("d / Enter", theme.key()),
                Span::raw(format!(" detach this {what} (it stays allocated)   ")),
                Span::styled("Esc", theme.key()),
                Span::raw(" cancel"),
            ]));
        }
        None => {
            let how = match popup.free.first() {
                Some(ip) => format!("reuses the free address {ip}"),
                None => format!("allocates a new {what}"),
            };
            lines.push(Line::from(format!("no public address; attaching {how}")));
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled("a / Enter", theme.key()),
                Span::raw(format!(
                    " attach {}   ",
                    if kind == crate::domain::model::CloudKind::Aws {
                        "an Elastic IP"
                    } else {
                        "a floating IP"
                    }
                )),
                Span::styled("Esc", theme.key()),
                Span::raw(" cancel"),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(popup_block(
            &format!("Public IP ({what})"),
            theme,
            theme.border(),
        )),
        rect,
    );
}

fn addresses(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    selected: usize,
    confirm: bool,
    theme: &Theme,
) {
    let all = state.all_addresses();
    let h = (all.len().min(20) + 6) as u16;
    let rect = centered(area, 100, h);
    frame.render_widget(Clear, rect);
    let mut lines = Vec::new();
    if all.is_empty() {
        lines.push(Line::from(Span::styled(
            "no public addresses allocated",
            theme.dim(),
        )));
    }
    for (i, (cloud, a)) in all.iter().enumerate().take(20) {
        let used = match &a.instance_id {
            Some(id) => {
                let name = state
                    .instances
                    .get(*cloud)
                    .and_then(|list| list.iter().find(|inst| &inst.id == id))
                    .map(|inst| inst.name.clone())
                    .unwrap_or_default();
                Span::raw(format!("→ {} ({})", truncate(&name, 16), truncate(id, 19)))
            }
            None => Span::styled("unassociated (still allocated)", theme.error()),
        };
        let line = Line::from(vec![
            Span::raw(if i == selected { "▶" } else { " " }),
            Span::raw(format!("{:<16}", a.ip)),
            Span::styled(format!("{:<20} ", truncate(&a.id, 20)), theme.dim()),
            Span::styled(
                format!("{:<18} ", truncate(&state.clouds[*cloud].label, 18)),
                theme.dim(),
            ),
            used,
        ]);
        lines.push(if i == selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    lines.push(Line::from(""));
    if confirm {
        let ip = all.get(selected).map(|(_, a)| a.ip.as_str()).unwrap_or("?");
        lines.push(Line::from(vec![
            Span::styled(
                format!("Release {ip}? It goes back to the cloud's pool. "),
                theme.error(),
            ),
            Span::styled("y", theme.key()),
            Span::raw(" release   "),
            Span::styled("n / Esc", theme.key()),
            Span::raw(" keep"),
        ]));
    } else {
        lines.push(Line::from(vec![
            Span::styled("j/k", theme.key()),
            Span::raw(" select   "),
            Span::styled("R", theme.key()),
            Span::raw(" release an unassociated address (asks first)   "),
            Span::styled("Esc", theme.key()),
            Span::raw(" close"),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(popup_block("Public addresses", theme, theme.border())),
        rect,
    );
}

fn message(frame: &mut Frame, area: Rect, msg: &MessagePopup, theme: &Theme) {
    let width = msg
        .lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(20)
        .max(msg.title.len() + 6)
        .clamp(30, 100) as u16
        + 4;
    let rect = centered(area, width, msg.lines.len() as u16 + 4);
    frame.render_widget(Clear, rect);
    let style = if msg.is_error {
        theme.error()
    } else {
        theme.border()
    };
    let mut lines: Vec<Line> = msg.lines.iter().map(|l| Line::from(l.as_str())).collect();
    lines.push(Line::from(Span::styled("Enter / Esc: close", theme.dim())));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(popup_block(&msg.title, theme, style)),
        rect,
    );
}
