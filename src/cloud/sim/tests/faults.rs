//! Latency and simulated outages.

use super::*;

#[tokio::test]
async fn failure_rate_one_always_fails_and_changes_nothing() {
    let (p, _c) = aws_with(SimSettings {
        failure_rate: 1.0,
        ..quick()
    });
    for _ in 0..20 {
        let err = p.list_instances().await.expect_err("fails");
        assert_eq!(err.code.as_deref(), Some("SimulatedFailure"));
        assert!(err.message.contains("default/eu-west-1"), "{}", err.message);
    }
    assert!(p.launch(&spec(CloudKind::Aws, "x", 1)).await.is_err());
    assert!(p.launch_options().await.is_err());
    let world = p.world.lock().expect("world");
    assert_eq!(
        world.instances.len(),
        8,
        "the failed launch changed nothing"
    );
}

#[tokio::test]
async fn failure_rate_zero_never_fails() {
    let (p, _c) = aws_with(quick());
    for _ in 0..200 {
        p.list_instances().await.expect("never fails");
    }
    let (p, _c) = aws_with(SimSettings {
        failure_rate: 0.5,
        ..quick()
    });
    let mut failures = 0;
    for _ in 0..200 {
        if p.list_addresses().await.is_err() {
            failures += 1;
        }
    }
    assert!((50..150).contains(&failures), "{failures}");
}

#[tokio::test]
async fn latency_delays_every_call() {
    let (p, _c) = aws_with(SimSettings {
        latency_ms: 40,
        ..quick()
    });
    let start = std::time::Instant::now();
    p.list_instances().await.expect("list");
    assert!(start.elapsed() >= std::time::Duration::from_millis(40));
}
