//! The detail pane: the selected instance's fields and its CPU and
//! NetworkIn sparklines.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::{Theme, text};
use crate::dashboard::model::{AppState, InstanceKey};
use crate::domain::cost::Assessment;
use crate::domain::format;
use crate::domain::model::{Instance, Series};

/// Columns of the fields, left of the sparklines.
const FIELDS_WIDTH: u16 = 46;
/// Columns of a field's label.
const LABEL_WIDTH: usize = 10;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some((key, inst)) = state.selected_instance() else {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(" Detail ");
        frame.render_widget(
            Paragraph::new("nothing selected")
                .style(theme.dim())
                .block(block),
            area,
        );
        return;
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(format!(" {} ", inst.name), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [fields, sparks] =
        Layout::horizontal([Constraint::Length(FIELDS_WIDTH), Constraint::Min(20)]).areas(inner);
    frame.render_widget(
        Paragraph::new(field_lines(state, &key, inst, theme)),
        fields,
    );

    let [cpu_area, net_area] =
        Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(sparks);
    let metrics = state.metrics.get(&key);
    let window = metrics.and_then(|m| Some((m.window_start?, m.window_end?)));
    let window_text = window
        .map(|(s, e)| format!("last {}", format::age(e - s)))
        .unwrap_or_default();
    // Why a sparkline is empty, when it is.
    let missing = if !inst.state.is_live() {
        "not running"
    } else if let Some(note) = &state.clouds[key.cloud].metrics_note {
        note.as_str()
    } else {
        "no data yet"
    };
    let cpu = metrics.map(|m| &m.cpu);
    let net = metrics.map(|m| &m.net_in);
    spark(
        frame,
        cpu_area,
        "CPU",
        cpu,
        |v| format!("{v:.1} %"),
        Some(100.0),
        &window_text,
        theme.spark_cpu(),
        theme,
        missing,
    );
    spark(
        frame,
        net_area,
        "NetworkIn",
        net,
        format::bytes,
        None,
        &window_text,
        theme.spark_net(),
        theme,
        missing,
    );
}

fn field_lines<'a>(
    state: &AppState,
    key: &InstanceKey,
    inst: &'a Instance,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let label = |k: &'static str| Span::styled(text::pad(k, LABEL_WIDTH), theme.dim());
    let state_text = if inst.raw_state == inst.state.as_str() {
        inst.state.to_string()
    } else {
        format!("{} (cloud: {})", inst.state, inst.raw_state)
    };
    let launched = match inst.launched_at {
        Some(t) => format!(
            "{} ({} ago)",
            t.format("%Y-%m-%d %H:%M UTC"),
            format::age(state.now - t)
        ),
        None => "-".into(),
    };
    // The cached judgement, as the table, the header and `hytop check` read it.
    let unknown = Assessment::default();
    let assessment = state.assessment(key).unwrap_or(&unknown);
    let rate = assessment.hourly_text();
    let held_hours = assessment
        .held
        .and_then(|h| Some((h.vcpu_hours()?, h.gb_hours()?)));
    let cost = match (assessment.spent, held_hours) {
        // An unpriced flavor: what it has held, in both units.
        (None, Some((vcpu_hours, gb_hours))) => {
            format!("{vcpu_hours:.1} vCPU·h {gb_hours:.1} GB·h ({rate})")
        }
        _ => format!("{} so far · {rate} (estimate)", assessment.spent_text()),
    };
    // A flagged instance's reasons matter more than its image.
    let image_or_flags = if !assessment.is_flagged() {
        // The name first: an AMI's long name cuts into its id, which the
        // describe view shows whole, one column clear of the sparkline. A
        // bare UUID takes the whole room.
        let room = usize::from(FIELDS_WIDTH) - LABEL_WIDTH;
        let image = match inst.image_name {
            Some(_) => text::truncate(&inst.image_text(), room - 1),
            None => inst.image.to_string(),
        };
        Line::from(vec![label("image"), Span::raw(image)])
    } else {
        let reasons: Vec<String> = assessment
            .flags
            .iter()
            .map(|f| f.named_reason_at(state.now, &state.config.cost))
            .collect();
        // One column clear of the sparkline; what does not fit is in the
        // describe view, each reason whole.
        let room = usize::from(FIELDS_WIDTH) - LABEL_WIDTH - 1;
        let all = reasons.join("; ");
        let shown = if text::width(&all) <= room {
            all
        } else {
            // The first reason, then the others by name and the key that
            // shows them whole.
            let shorts: Vec<&str> = assessment.flags.iter().skip(1).map(|f| f.short()).collect();
            let key = crate::dashboard::view::hints::keys(
                &state.keymap,
                crate::dashboard::command::Context::Table,
                &[crate::dashboard::command::Command::Describe],
                &[crossterm::event::KeyCode::Enter],
                "/",
            );
            let mut more = String::new();
            if !shorts.is_empty() {
                more.push_str(&format!(" + {}", shorts.join(", ")));
            }
            if let Some(key) = key {
                more.push_str(&format!(" ({key})"));
            }
            match room.checked_sub(text::width(&more)) {
                // Room for a useful part of the first reason.
                Some(left) if left >= 12 => {
                    format!("{}{more}", text::truncate(&reasons[0], left))
                }
                // Many flags: their names only.
                _ => {
                    let all: Vec<&str> = assessment.flags.iter().map(|f| f.short()).collect();
                    text::truncate(&all.join(", "), room)
                }
            }
        };
        Line::from(vec![
            Span::styled(text::pad("! flagged", LABEL_WIDTH), theme.flagged()),
            Span::styled(shown, theme.flagged()),
        ])
    };
    vec![
        Line::from(vec![label("id"), Span::raw(inst.id.as_str())]),
        Line::from(vec![
            label("cloud"),
            Span::raw(state.clouds[key.cloud].label.clone()),
        ]),
        Line::from(vec![
            label("state"),
            Span::styled(
                format!("{} {state_text}", Theme::state_symbol(inst.state)),
                theme.state(inst.state),
            ),
        ]),
        Line::from(vec![
            label("type"),
            Span::raw(format!(
                "{}  key {}",
                inst.size,
                inst.key_name.as_deref().unwrap_or("-")
            )),
        ]),
        image_or_flags,
        Line::from(vec![
            label("addresses"),
            Span::raw(format!(
                "{} / {}",
                inst.public_ip.as_deref().unwrap_or("no public IP"),
                inst.private_ip.as_deref().unwrap_or("-")
            )),
        ]),
        Line::from(vec![label("launched"), Span::raw(launched)]),
        Line::from(vec![label("cost"), Span::raw(cost)]),
        Line::from(vec![
            label("storage"),
            Span::raw(storage_text(inst, assessment)),
        ]),
    ]
}

/// `8 GiB gp3 $0.0010/h · IPv4 $0.0050/h`: what bills even while it is
/// stopped; `28 GiB` for several; `no volumes listed` without either.
fn storage_text(inst: &Instance, assessment: &Assessment) -> String {
    let mut parts = Vec::new();
    let storage = &assessment.storage;
    let volumes = match inst.volumes.as_slice() {
        [] => None,
        [one] => Some(one.summary()),
        // The describe view lists each one.
        _ => Some(format!("{} GiB", storage.gb)),
    };
    if let Some(v) = volumes {
        if storage.unpriced < inst.volumes.len() {
            parts.push(format!(
                "{v} {}/h",
                format::dollars_fine(storage.dollars_per_hour)
            ));
        } else {
            parts.push(v);
        }
    }
    if assessment.ipv4 > 0.0 {
        parts.push(format!("IPv4 {}/h", format::dollars_fine(assessment.ipv4)));
    }
    if parts.is_empty() {
        return "no volumes listed".into();
    }
    parts.join(" · ")
}

#[allow(clippy::too_many_arguments)]
fn spark(
    frame: &mut Frame,
    area: Rect,
    name: &str,
    series: Option<&Series>,
    show: impl Fn(f64) -> String,
    max: Option<f64>,
    window: &str,
    style: ratatui::style::Style,
    theme: &Theme,
    missing: &str,
) {
    let points = series.map(|s| s.points.as_slice()).unwrap_or_default();
    let peak = points.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let title = match series.and_then(Series::latest) {
        Some(v) => {
            let period = format::period(series.map(|s| s.period_secs).unwrap_or_default());
            format!(
                " {name} {}  peak {}  {window} · per {period} ",
                show(v),
                show(peak)
            )
        }
        None => format!(" {name}: {missing} "),
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border())
        .title(Span::styled(title, theme.dim()));
    let inner_width = area.width as usize;
    let shown = &points[points.len().saturating_sub(inner_width)..];
    // Sparklines take integers: keep one decimal of precision.
    let data: Vec<u64> = shown
        .iter()
        .map(|(_, v)| (v.max(0.0) * 10.0) as u64)
        .collect();
    let mut widget = Sparkline::default().block(block).data(&data).style(style);
    if let Some(max) = max {
        // A fixed scale keeps bars comparable between instances, but an idle
        // instance would show an empty line: zoom in to at least 10 % full scale.
        let scale = (peak * 1.25).clamp(10.0, max);
        widget = widget.max((scale * 10.0) as u64);
    }
    frame.render_widget(widget, area);
}
