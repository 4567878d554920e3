//! Launch to running, terminate to gone, in the words of each cloud.

use super::*;

#[tokio::test]
async fn aws_launch_goes_pending_then_running() {
    let (p, clock) = aws_with(quick());
    let ids = p
        .launch(&spec(CloudKind::Aws, "web", 2))
        .await
        .expect("launch");
    assert_eq!(ids.len(), 2);
    let a = get(&p, &ids[0]).await.expect("listed");
    assert_eq!(
        (a.state, a.raw_state.as_str()),
        (InstanceState::Pending, "pending")
    );
    assert_eq!(a.name, "web-1");
    assert_eq!(a.tags.get("Name").map(String::as_str), Some("web-1"));
    assert_eq!(a.tags.get("course").map(String::as_str), Some("cc"));
    assert_eq!(a.launched_at, Some(clock.now()));
    assert!(a.detailed_monitoring);
    assert_eq!(a.public_ip, None);
    assert_eq!(get(&p, &ids[1]).await.expect("second").name, "web-2");
    clock.advance(5);
    assert_eq!(
        state(&p, &ids[0]).await.map(|s| s.0),
        Some(InstanceState::Pending)
    );
    clock.advance(1);
    assert_eq!(
        state(&p, &ids[0]).await,
        Some((InstanceState::Running, "running".to_string()))
    );
}

#[tokio::test]
async fn single_launch_keeps_plain_name() {
    let (p, _clock) = aws_with(quick());
    let ids = p
        .launch(&spec(CloudKind::Aws, "solo", 1))
        .await
        .expect("launch");
    assert_eq!(get(&p, &ids[0]).await.expect("listed").name, "solo");
}

#[tokio::test]
async fn openstack_launch_goes_build_then_active() {
    let (p, clock) = os_with(quick());
    let ids = p
        .launch(&spec(CloudKind::OpenStack, "node", 1))
        .await
        .expect("launch");
    assert!(is_uuid(&ids[0]));
    let i = get(&p, &ids[0]).await.expect("listed");
    assert_eq!(
        (i.state, i.raw_state.as_str(), i.name.as_str()),
        (InstanceState::Pending, "BUILD", "node")
    );
    assert!(!i.detailed_monitoring);
    clock.advance(6);
    let i = get(&p, &ids[0]).await.expect("listed");
    assert_eq!(
        (i.state, i.raw_state.as_str()),
        (InstanceState::Running, "ACTIVE")
    );
    assert_eq!(i.public_ip, None);
}

#[tokio::test]
async fn aws_terminate_shuts_down_then_terminated_then_gone() {
    let (p, clock) = aws_with(quick());
    let id = p
        .launch(&spec(CloudKind::Aws, "t", 1))
        .await
        .expect("launch")
        .remove(0);
    clock.advance(10);
    let attached = p.attach_public_ip(&id).await.expect("attach");
    p.terminate(std::slice::from_ref(&id))
        .await
        .expect("terminate");
    assert_eq!(
        state(&p, &id).await,
        Some((InstanceState::Stopping, "shutting-down".to_string()))
    );
    // The address went back to allocated-but-unassociated.
    let addresses = p.list_addresses().await.expect("addresses");
    let a = addresses
        .iter()
        .find(|a| a.ip == attached.ip)
        .expect("still allocated");
    assert_eq!(a.instance_id, None);
    assert_eq!(get(&p, &id).await.expect("listed").public_ip, None);
    clock.advance(4);
    assert_eq!(
        state(&p, &id).await,
        Some((InstanceState::Terminated, "terminated".to_string()))
    );
    // Terminating again is harmless, as in EC2.
    p.terminate(std::slice::from_ref(&id)).await.expect("again");
    clock.advance(59);
    assert_eq!(
        state(&p, &id).await.map(|s| s.0),
        Some(InstanceState::Terminated)
    );
    clock.advance(1);
    assert_eq!(state(&p, &id).await, None);
    let err = p
        .terminate(std::slice::from_ref(&id))
        .await
        .expect_err("gone");
    assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.NotFound"));
    assert_eq!(
        err.message,
        format!("The instance ID '{id}' does not exist")
    );
}

#[tokio::test]
async fn openstack_terminate_deletes_then_vanishes() {
    let (p, clock) = os_with(quick());
    let id = p
        .launch(&spec(CloudKind::OpenStack, "t", 1))
        .await
        .expect("launch")
        .remove(0);
    clock.advance(6);
    p.attach_public_ip(&id).await.expect("attach");
    p.terminate(std::slice::from_ref(&id))
        .await
        .expect("terminate");
    assert_eq!(
        state(&p, &id).await,
        Some((InstanceState::Stopping, "ACTIVE (deleting)".to_string()))
    );
    assert!(
        p.list_addresses()
            .await
            .expect("a")
            .iter()
            .all(|a| a.instance_id.as_ref() != Some(&id))
    );
    clock.advance(3);
    assert!(state(&p, &id).await.is_some());
    clock.advance(1);
    assert_eq!(state(&p, &id).await, None);
    let err = p.console_output(&id, 10).await.expect_err("gone");
    assert_eq!(err.code.as_deref(), Some("404"));
    assert_eq!(err.message, format!("Instance {id} could not be found."));
}

#[tokio::test]
async fn deleting_a_stopped_server_keeps_its_status_word() {
    let (p, _clock) = os_with(quick());
    let stopped = p
        .list_instances()
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.raw_state == "SHUTOFF")
        .expect("a stopped one");
    p.terminate(std::slice::from_ref(&stopped.id))
        .await
        .expect("terminate");
    assert_eq!(
        state(&p, &stopped.id).await,
        Some((InstanceState::Stopping, "SHUTOFF (deleting)".to_string()))
    );
}

#[tokio::test]
async fn terminate_with_unknown_id_changes_nothing() {
    let (p, _clock) = aws_with(quick());
    let list = p.list_instances().await.expect("list");
    let good = list[0].id.clone();
    let before = list[0].state;
    let err = p
        .terminate(&[
            good.clone(),
            "i-0000000000000dead".into(),
            "i-0000000000000beef".into(),
        ])
        .await
        .expect_err("unknown");
    assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.NotFound"));
    assert_eq!(
        err.message,
        "The instance IDs 'i-0000000000000dead, i-0000000000000beef' do not exist"
    );
    assert_eq!(state(&p, &good).await.map(|s| s.0), Some(before));
    let err = p
        .terminate(&["web-1".to_string()])
        .await
        .expect_err("malformed");
    assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.Malformed"));
}

#[tokio::test]
async fn unknown_ids_answer_like_the_clouds() {
    let (p, _c) = aws_with(quick());
    let err = p
        .attach_public_ip("i-0123456789abcdef0")
        .await
        .expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "InvalidInstanceID.NotFound: The instance ID 'i-0123456789abcdef0' does not exist"
    );
    let (p, _c) = os_with(quick());
    let err = p.detach_public_ip("nope").await.expect_err("unknown");
    assert_eq!(err.to_string(), "404: Instance nope could not be found.");
}
