//! Endpoints, answers and instances the report's unit tests share.

use chrono::Duration;

use crate::cloud::endpoints::Endpoint;
use crate::domain::cost::CostConfig;
use crate::domain::model::{CloudKind, Instance, InstanceMetrics};
use crate::report::ask::Answer;
use crate::testutil::{fixed_now, instance};

pub fn aws() -> Endpoint {
    Endpoint {
        cloud: "prod".into(),
        label: "default/eu-west-1".into(),
        kind: CloudKind::Aws,
        region: "eu-west-1".into(),
        simulated: false,
    }
}

pub fn lab() -> Endpoint {
    Endpoint {
        cloud: "lab".into(),
        label: "lab/RegionOne".into(),
        kind: CloudKind::OpenStack,
        region: "RegionOne".into(),
        simulated: false,
    }
}

pub fn answer(endpoint: Endpoint, instances: Vec<Instance>) -> Answer {
    Answer {
        endpoint: Some(endpoint),
        instances,
        ..Answer::default()
    }
}

/// A running t2.nano in eu-west-1 launched `hours` before `fixed_now`.
pub fn aged(id: &str, name: &str, hours: i64) -> Instance {
    let mut i = instance(id, name);
    i.launched_at = Some(fixed_now() - Duration::hours(hours));
    i
}

/// An hour of 1 % CPU.
pub fn quiet_cpu() -> InstanceMetrics {
    InstanceMetrics {
        cpu: crate::testutil::series(60, 60, 1.0, 0.0),
        ..InstanceMetrics::default()
    }
}

pub fn rules() -> CostConfig {
    CostConfig::default()
}
