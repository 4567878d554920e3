//! Stop, start, reboot, shelve and unshelve, in the words of each cloud,
//! with each cloud's refusal where the state does not allow the action.

use super::*;
use crate::cloud::PowerAction;

/// A running instance of a fresh simulated cloud (default timings: 6 s
/// pending, 4 s stopping).
async fn running(p: &SimProvider, clock: &Manual, kind: CloudKind) -> String {
    let ids = p.launch(&spec(kind, "web", 1)).await.expect("launch");
    clock.advance(6);
    assert_eq!(
        state(p, &ids[0]).await.map(|s| s.0),
        Some(InstanceState::Running)
    );
    ids[0].clone()
}

async fn act(p: &SimProvider, id: &str, action: PowerAction) -> CloudResult<()> {
    let mut out = p.power(&[id.to_string()], action).await;
    assert_eq!(out.len(), 1);
    let one = out.remove(0);
    assert_eq!(one.instance_id, id);
    one.result
}

fn words(s: Option<(InstanceState, String)>) -> (InstanceState, String) {
    s.expect("listed")
}

#[tokio::test]
async fn aws_stop_start_reboot_in_ec2_words() {
    let (p, clock) = aws_with(quick());
    let id = running(&p, &clock, CloudKind::Aws).await;
    act(&p, &id, PowerAction::Stop).await.expect("stop");
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Stopping, "stopping".into())
    );
    clock.advance(4);
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Stopped, "stopped".into())
    );
    // EC2 takes a second stop as done, and refuses a reboot of a stopped instance.
    act(&p, &id, PowerAction::Stop).await.expect("stop again");
    let e = act(&p, &id, PowerAction::Reboot)
        .await
        .expect_err("reboot stopped");
    assert_eq!(e.code.as_deref(), Some("IncorrectInstanceState"));
    assert!(
        e.message.contains(&id) && e.message.contains("rebooted"),
        "{e}"
    );

    act(&p, &id, PowerAction::Start).await.expect("start");
    let started = get(&p, &id).await.expect("listed");
    assert_eq!(started.state, InstanceState::Pending);
    assert_eq!(
        started.launched_at,
        Some(clock.now()),
        "EC2 gives a new launch time"
    );
    clock.advance(6);
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Running, "running".into())
    );
    act(&p, &id, PowerAction::Reboot).await.expect("reboot");
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Running, "running".into())
    );
    for action in [
        PowerAction::HardReboot,
        PowerAction::Shelve,
        PowerAction::Unshelve,
    ] {
        let e = act(&p, &id, action).await.expect_err("EC2 lacks it");
        assert_eq!(e.code.as_deref(), Some(crate::cloud::aws::UNSUPPORTED));
    }
}

#[tokio::test]
async fn nova_stop_start_reboot_shelve_unshelve_in_nova_words() {
    let (p, clock) = os_with(quick());
    let id = running(&p, &clock, CloudKind::OpenStack).await;
    act(&p, &id, PowerAction::Stop).await.expect("stop");
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Stopping, "ACTIVE (powering-off)".into())
    );
    clock.advance(4);
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Stopped, "SHUTOFF".into())
    );
    let e = act(&p, &id, PowerAction::Stop)
        .await
        .expect_err("Nova refuses");
    assert_eq!(e.code.as_deref(), Some("409"));
    assert_eq!(
        e.message,
        format!("Cannot 'stop' instance {id} while it is in vm_state stopped")
    );
    act(&p, &id, PowerAction::Start).await.expect("start");
    clock.advance(6);
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Running, "ACTIVE".into())
    );

    act(&p, &id, PowerAction::Reboot).await.expect("soft");
    assert_eq!(words(state(&p, &id).await).1, "REBOOT");
    act(&p, &id, PowerAction::HardReboot).await.expect("hard");
    assert_eq!(words(state(&p, &id).await).1, "HARD_REBOOT");
    clock.advance(3);
    assert_eq!(words(state(&p, &id).await).1, "ACTIVE");

    act(&p, &id, PowerAction::Shelve).await.expect("shelve");
    clock.advance(4);
    assert_eq!(
        words(state(&p, &id).await),
        (InstanceState::Stopped, "SHELVED_OFFLOADED".into())
    );
    let e = act(&p, &id, PowerAction::Start)
        .await
        .expect_err("start a shelved server");
    assert!(e.message.contains("vm_state shelved_offloaded"), "{e}");
    act(&p, &id, PowerAction::Unshelve).await.expect("unshelve");
    clock.advance(6);
    assert_eq!(words(state(&p, &id).await).1, "ACTIVE");
}

#[tokio::test]
async fn one_refusal_leaves_the_other_ids_their_own_outcome() {
    let (p, clock) = os_with(quick());
    let a = running(&p, &clock, CloudKind::OpenStack).await;
    let b = running(&p, &clock, CloudKind::OpenStack).await;
    act(&p, &b, PowerAction::Stop).await.expect("stop b");
    clock.advance(4);
    let out = p
        .power(&[a.clone(), b.clone(), "no-such".into()], PowerAction::Stop)
        .await;
    let ids: Vec<&str> = out.iter().map(|o| o.instance_id.as_str()).collect();
    assert_eq!(ids, [a.as_str(), b.as_str(), "no-such"]);
    assert!(out[0].result.is_ok(), "{out:?}");
    assert_eq!(
        out[1].result.as_ref().err().and_then(|e| e.code.as_deref()),
        Some("409")
    );
    assert!(out[2].result.is_err());
    clock.advance(4);
    assert_eq!(
        state(&p, &a).await.map(|s| s.0),
        Some(InstanceState::Stopped)
    );
}
