//! Endpoints, answers and instances the report's unit tests share.

use crate::cloud::endpoints::Endpoint;
use crate::domain::cost::CostConfig;
use crate::domain::model::{CloudKind, Instance};
use crate::report::ask::Answer;

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

pub fn rules() -> CostConfig {
    CostConfig::default()
}
