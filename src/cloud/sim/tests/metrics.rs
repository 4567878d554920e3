//! Metrics: deterministic, aligned, late by one period, never from the future.

use super::*;

fn query(ids: Vec<String>, start: DateTime<Utc>, end: DateTime<Utc>) -> MetricsQuery {
    MetricsQuery {
        instance_ids: ids,
        start,
        end,
        resolution: crate::cloud::Resolution::Series,
    }
}

#[tokio::test]
async fn metrics_are_deterministic_aligned_and_vary() {
    let (p, clock) = aws_with(quick());
    let list = p.list_instances().await.expect("list");
    let running: Vec<String> = list
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .map(|i| i.id.clone())
        .collect();
    let now = clock.now();
    let q = query(running.clone(), now - Duration::minutes(10), now);
    let a = p.metrics(&q).await.expect("metrics");
    let b = p.metrics(&q).await.expect("metrics");
    assert_eq!(a, b);
    assert_eq!(a.len(), running.len());
    for (id, m) in &a {
        assert_eq!(m.cpu.period_secs, 60);
        assert_eq!(m.window_start, Some(q.start));
        assert_eq!(m.window_end, Some(q.end));
        let launched = list
            .iter()
            .find(|i| &i.id == id)
            .and_then(|i| i.launched_at)
            .expect("t");
        assert!(!m.cpu.points.is_empty(), "{id}");
        assert_eq!(m.cpu.points.len(), m.net_in.points.len());
        for ((t, cpu), (t2, net)) in m.cpu.points.iter().zip(&m.net_in.points) {
            assert_eq!(t, t2);
            assert_eq!(t.timestamp() % 60, 0);
            assert!(*t >= q.start && *t >= launched);
            assert!(*t <= q.end - Duration::seconds(60));
            assert!((0.0..=100.0).contains(cpu));
            assert!(*net >= 1_000.0 && *net < 100_000_000.0, "{net}");
        }
        let cpus: Vec<f64> = m.cpu.points.iter().map(|p| p.1).collect();
        assert!(
            cpus.windows(2).any(|w| w[0] != w[1]),
            "varies over time: {cpus:?}"
        );
    }
    // Start 12:00:00 exactly minus 10 min: points 11:50 .. 11:59.
    assert_eq!(a[0].1.cpu.points.len(), 10);
    assert!(
        a.iter()
            .any(|(_, m)| m.cpu.points.iter().all(|p| p.1 < 5.0)),
        "some instance is idle"
    );
    assert!(
        a.iter()
            .any(|(_, m)| m.cpu.points.iter().any(|p| p.1 > 10.0))
    );
    // Later, the same window gives the same values; a newer window moves on.
    clock.advance(120);
    assert_eq!(p.metrics(&q).await.expect("metrics"), a);
    let q2 = query(running, clock.now() - Duration::minutes(10), clock.now());
    let c = p.metrics(&q2).await.expect("metrics");
    assert_eq!(
        c[0].1.cpu.points.last().map(|p| p.0),
        Some(now + Duration::seconds(60))
    );
    assert_eq!(c[0].1.cpu.points[..8], a[0].1.cpu.points[2..]);
}

#[tokio::test]
async fn metrics_skip_pending_unknown_and_future() {
    let (p, clock) = os_with(quick());
    let id = p
        .launch(&spec(CloudKind::OpenStack, "m", 1))
        .await
        .expect("launch")
        .remove(0);
    let now = clock.now();
    let q = query(
        vec![id.clone(), "unknown".into()],
        now - Duration::minutes(5),
        now,
    );
    let m = p.metrics(&q).await.expect("metrics");
    assert_eq!(m.len(), 1, "unknown ids are absent");
    assert_eq!(m[0].1.cpu.period_secs, 10);
    assert!(m[0].1.cpu.points.is_empty(), "pending has no data");
    clock.advance(60);
    // Asking beyond now gives nothing from the future.
    let q = query(vec![id.clone()], now, clock.now() + Duration::hours(1));
    let m = p.metrics(&q).await.expect("metrics");
    let times: Vec<i64> = m[0]
        .1
        .cpu
        .points
        .iter()
        .map(|p| (p.0 - now).num_seconds())
        .collect();
    // Running from +6 s; data up to one period before now (+60 s).
    assert_eq!(times, vec![10, 20, 30, 40, 50]);
}

#[tokio::test]
async fn metrics_stop_when_terminated_and_are_capped() {
    let (p, clock) = aws_with(quick());
    let list = p.list_instances().await.expect("list");
    let stopped = list
        .iter()
        .find(|i| i.state == InstanceState::Stopped)
        .expect("stopped");
    let now = clock.now();
    let q = query(vec![stopped.id.clone()], now - Duration::minutes(30), now);
    assert!(p.metrics(&q).await.expect("m")[0].1.cpu.points.is_empty());
    let old = list
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .max_by_key(|i| now - i.launched_at.expect("t"))
        .expect("old");
    let q = query(vec![old.id.clone()], now - Duration::days(10), now);
    let m = p.metrics(&q).await.expect("m");
    assert_eq!(m[0].1.cpu.points.len(), MAX_POINTS as usize);
    p.terminate(std::slice::from_ref(&old.id))
        .await
        .expect("terminate");
    clock.advance(30);
    let q = query(
        vec![old.id.clone()],
        now - Duration::minutes(5),
        clock.now(),
    );
    let m = p.metrics(&q).await.expect("m");
    let last = m[0].1.cpu.points.last().expect("points").0;
    assert!(last < now, "no data after terminate: {last}");
}
