//! Commands on the instance table: moving, marking, sorting, filtering,
//! and opening the popups that act on the selected or marked instances.

use super::cloud;
use crate::dashboard::command::{Command, Context};
use crate::dashboard::effect::{ChoiceKind, Effect};
use crate::dashboard::model::{AppState, ConsoleView, InstanceKey, Prompt, PromptKind};
use crate::dashboard::overlays::{
    AddressesPopup, DescribePopup, EndpointPicker, HelpPopup, IpPopup, LaunchPopup, MessagePopup,
    PowerPopup, QuitReminder, TerminatePopup,
};

/// A command on the instance table.
pub(super) fn run(state: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let page = state.page_height.max(1);
    match cmd {
        Command::Quit => QuitReminder::open_or_quit(state, fx),
        Command::Help => HelpPopup::open(state, Context::Table),
        Command::MoveDown => state.select_row(state.cursor.saturating_add(1)),
        Command::MoveUp => state.select_row(state.cursor.saturating_sub(1)),
        Command::PageDown => state.select_row(state.cursor.saturating_add(page)),
        Command::PageUp => state.select_row(state.cursor.saturating_sub(page)),
        Command::Top => state.select_row(0),
        Command::Bottom => state.select_row(usize::MAX),
        Command::Filter => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Filter,
                text: state.filter.clone(),
            })
        }
        // Commands of the popups' and prompts' sections mean nothing here.
        Command::Confirm
        | Command::Cancel
        | Command::NextField
        | Command::PrevField
        | Command::ChooseNext
        | Command::ChoosePrev
        | Command::Attach
        | Command::Detach
        | Command::Release
        | Command::ToggleRelease
        | Command::Toggle
        | Command::Probe
        | Command::DeleteBack
        | Command::ClearLine
        | Command::KeepAndQuit
        | Command::Park => {}
        Command::CommandLine => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Command,
                text: String::new(),
            })
        }
        Command::ClearFilter => {
            state.marks.clear();
            if !state.filter.is_empty() {
                state.filter.clear();
                state.rebuild_view();
            }
        }
        Command::Describe => DescribePopup::open(state),
        Command::Launch => LaunchPopup::open(state, fx),
        Command::Terminate => TerminatePopup::open(state),
        Command::Stop
        | Command::Start
        | Command::Reboot
        | Command::HardReboot
        | Command::Shelve
        | Command::Unshelve => {
            if let Some(action) = cmd.power_action() {
                PowerPopup::open(state, action);
            }
        }
        Command::PublicIp => IpPopup::open(state),
        Command::ExtendExpiry => {
            if state.targets().iter().any(|t| t.state.is_live()) {
                state.prompt = Some(Prompt {
                    kind: PromptKind::ExtendHours,
                    text: String::new(),
                });
            } else {
                state.error("nothing to extend: select or mark a live instance");
            }
        }
        Command::Forgotten => {
            state.forgotten_only = !state.forgotten_only;
            state.rebuild_view();
            if state.forgotten_only {
                state.info("showing flagged instances only (F or :forgotten again shows all)");
            }
        }
        Command::Addresses => AddressesPopup::open(state),
        Command::Doctor => crate::dashboard::overlays::DoctorPopup::open(state, fx),
        Command::Console => {
            if let Some((key, inst)) = state.selected_instance() {
                let name = inst.name.clone();
                state.console = Some(ConsoleView::new(key, name));
                cloud::poll_console(state, fx);
            }
        }
        Command::Ssh => ssh(state, fx),
        Command::CopyMenu => crate::dashboard::overlays::CopyPopup::open(state),
        Command::Sweep => crate::dashboard::overlays::SweepPopup::open(state, fx),
        Command::Regions => EndpointPicker::open_regions(state, fx),
        Command::Profiles => EndpointPicker::open_local(state, ChoiceKind::Profiles, fx),
        Command::Clouds => EndpointPicker::open_local(state, ChoiceKind::Clouds, fx),
        Command::Copy => {
            if let Some((_, inst)) = state.selected_instance() {
                let id = inst.id.clone();
                match crate::dashboard::clipboard::osc52(&id) {
                    Some(bytes) => {
                        fx.push(Effect::WriteTerminal(bytes));
                        state.info(format!("copied {id} (the terminal's clipboard, OSC 52)"));
                    }
                    None => state.error("too long to copy"),
                }
            } else {
                state.error("select an instance first");
            }
        }
        Command::Refresh => {
            for cloud in state.shown_clouds().collect::<Vec<_>>() {
                cloud::refresh_soon(state, cloud, fx);
            }
            state.info("refreshing every cloud");
        }
        Command::Mark => {
            if let Some(key) = state.selected.clone() {
                if !state.marks.remove(&key) {
                    state.marks.insert(key);
                }
                state.select_row(state.cursor + 1);
            }
        }
        Command::MarkAll => {
            let shown: Vec<InstanceKey> = (0..state.view.len())
                .filter_map(|r| state.row(r).map(|(k, _)| k))
                .collect();
            if shown.iter().all(|k| state.marks.contains(k)) {
                state.marks.clear();
            } else {
                state.marks.extend(shown);
            }
        }
        Command::SortNext => {
            state.sort = state.sort.next();
            state.info(format!("sorted by {}", state.sort.title().to_lowercase()));
            state.rebuild_view();
        }
        Command::SortReverse => {
            state.sort_desc = !state.sort_desc;
            state.rebuild_view();
        }
        Command::Close => {}
        Command::ToggleFollow | Command::Search | Command::SearchNext | Command::SearchPrev => {}
    }
}

fn ssh(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some((key, inst)) = state.selected_instance() else {
        state.error("select an instance first");
        return;
    };
    let cloud = &state.clouds[key.cloud];
    let simulated = cloud.simulated;
    let cloud_config = state.config.cloud(&cloud.config_name);
    let known_user = state.login_users.get(&key).map(String::as_str);
    match crate::dashboard::ssh::plan(&state.config, cloud_config, inst, known_user) {
        Ok(plan) if simulated => {
            let shown = plan.display();
            MessagePopup::show(
                state,
                "ssh (simulated)",
                vec![
                    "This instance lives in hytop's simulator, so hytop does not run ssh.".into(),
                    "On a real cloud it would suspend the screen and run:".into(),
                    String::new(),
                    format!("  {shown}"),
                ],
                false,
            );
        }
        Ok(plan) => fx.push(Effect::Ssh(plan)),
        Err(e) => state.error(e),
    }
}
