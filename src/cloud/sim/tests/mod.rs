//! The simulator through its [`Provider`] calls, as hytop sees it; the
//! helpers here give every test a quick endpoint on a hand-driven clock.

pub(super) use std::collections::{BTreeMap, HashSet};
pub(super) use std::sync::{Arc, Mutex};

pub(super) use chrono::{DateTime, Duration, TimeZone, Utc};

pub(super) use super::console::MAX_CONSOLE_LINES;
pub(super) use super::metrics::MAX_POINTS;
pub(super) use super::*;
pub(super) use crate::cloud::{AttachedAddress, MetricsQuery, Provider};
pub(super) use crate::domain::model::{
    Choice, CloudKind, Instance, InstanceState, LaunchSpec, USER_DATA_LIMIT,
};

mod addresses;
mod console;
mod faults;
mod fleet;
mod launch;
mod lifecycle;
mod metrics;
mod power;
mod volumes;

/// A clock tests advance by hand.
pub(super) struct Manual(Arc<Mutex<DateTime<Utc>>>);

impl Manual {
    pub(super) fn new() -> (Manual, Clock) {
        let start = Utc
            .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .single()
            .expect("valid start");
        let cell = Arc::new(Mutex::new(start));
        let reader = Arc::clone(&cell);
        let clock: Clock = Arc::new(move || *reader.lock().expect("clock"));
        (Manual(cell), clock)
    }

    pub(super) fn advance(&self, secs: i64) {
        *self.0.lock().expect("clock") += Duration::seconds(secs);
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

pub(super) fn quick() -> SimSettings {
    SimSettings {
        latency_ms: 0,
        ..SimSettings::default()
    }
}

pub(super) fn aws_with(settings: SimSettings) -> (SimProvider, Manual) {
    let (manual, clock) = Manual::new();
    (
        SimProvider::new(CloudKind::Aws, "default", "eu-west-1", settings, clock),
        manual,
    )
}

pub(super) fn os_with(settings: SimSettings) -> (SimProvider, Manual) {
    let (manual, clock) = Manual::new();
    (
        SimProvider::new(CloudKind::OpenStack, "lab", "lab", settings, clock),
        manual,
    )
}

pub(super) fn spec(kind: CloudKind, name: &str, count: u32) -> LaunchSpec {
    let (image, size) = match kind {
        CloudKind::Aws => (AWS_IMAGES[0].0, "t2.nano"),
        CloudKind::OpenStack => (OPENSTACK_IMAGES[0].0, "m1.tiny"),
    };
    LaunchSpec {
        region: "eu-west-1".into(),
        name: name.into(),
        count,
        image: image.into(),
        size: size.into(),
        key_name: Some(SIM_KEY_NAME.into()),
        security_groups: Vec::new(),
        network: None,
        user_data: Some(b"#!/bin/sh\necho hello\n".to_vec()),
        detailed_monitoring: true,
        tags: BTreeMap::from([("course".to_string(), "cc".to_string())]),
    }
}

pub(super) async fn get(p: &SimProvider, id: &str) -> Option<Instance> {
    p.list_instances()
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.id == id)
}

pub(super) async fn state(p: &SimProvider, id: &str) -> Option<(InstanceState, String)> {
    get(p, id).await.map(|i| (i.state, i.raw_state.to_string()))
}

pub(super) fn is_hex(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

pub(super) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| is_hex(p))
}
