//! Console output: grows while booting, honours `lines`, freezes once stopped.

use super::*;

#[tokio::test]
async fn console_grows_while_booting_and_respects_lines() {
    let (p, clock) = aws_with(quick());
    let id = p
        .launch(&spec(CloudKind::Aws, "boot", 1))
        .await
        .expect("launch")
        .remove(0);
    let at0 = p.console_output(&id, 1000).await.expect("console");
    assert_eq!(at0.instance_id, id);
    assert_eq!(at0.fetched_at, clock.now());
    assert!(at0.text.starts_with("[    0.000"), "{}", at0.text);
    assert!(at0.text.contains("Linux version"));
    let n0 = at0.text.lines().count();
    clock.advance(3);
    let mid = p.console_output(&id, 1000).await.expect("console").text;
    let n1 = mid.lines().count();
    assert!(n1 > n0, "{n0} -> {n1}");
    assert!(mid.starts_with(&at0.text), "output only grows");
    assert!(!mid.contains("login:"));
    clock.advance(3);
    let up = p.console_output(&id, 1000).await.expect("console").text;
    assert!(up.contains("Cloud-init v. 23.4 finished"));
    assert!(up.contains("running user-data script (21 bytes)"));
    assert!(up.trim_end().ends_with("login:"), "{up}");
    let n2 = up.lines().count();
    clock.advance(12);
    let later = p.console_output(&id, 1000).await.expect("console").text;
    assert_eq!(later.lines().count(), n2 + 2, "one line every 5 s");
    assert!(later.starts_with(&up));
    let tail = p.console_output(&id, 3).await.expect("console").text;
    assert_eq!(tail.lines().count(), 3);
    assert!(later.ends_with(&tail));
    assert_eq!(p.console_output(&id, 0).await.expect("console").text, "");
}

#[tokio::test]
async fn console_of_a_days_old_instance_is_cheap_and_bounded() {
    let (p, clock) = aws_with(quick());
    let list = p.list_instances().await.expect("list");
    let old = list
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .max_by_key(|i| i.age(clock.now()))
        .expect("old");
    let out = p.console_output(&old.id, 50).await.expect("console").text;
    assert_eq!(out.lines().count(), 50);
    let last = out.lines().last().expect("a line");
    let secs: f64 = last[1..last.find(']').expect("stamp")]
        .trim()
        .parse()
        .expect("number");
    assert!(secs > 2.0 * 86_400.0, "{last}");
    let huge = p
        .console_output(&old.id, u32::MAX)
        .await
        .expect("console")
        .text;
    assert_eq!(huge.lines().count(), MAX_CONSOLE_LINES as usize);
}

#[tokio::test]
async fn console_freezes_after_terminate() {
    let (p, clock) = os_with(SimSettings {
        gone_secs: 600,
        stopping_secs: 60,
        ..quick()
    });
    let id = p
        .launch(&spec(CloudKind::OpenStack, "web", 1))
        .await
        .expect("launch")
        .remove(0);
    clock.advance(30);
    p.terminate(std::slice::from_ref(&id))
        .await
        .expect("terminate");
    let a = p.console_output(&id, 500).await.expect("console").text;
    assert!(a.trim_end().ends_with("reboot: Power down"), "{a}");
    assert!(a.contains("web login:"));
    clock.advance(30);
    let b = p.console_output(&id, 500).await.expect("console").text;
    assert_eq!(a, b);
    let error = p
        .list_instances()
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.state == InstanceState::Error)
        .expect("error");
    let err = p
        .console_output(&error.id, 10)
        .await
        .expect_err("not ready");
    assert_eq!(err.code.as_deref(), Some("409"));
}
