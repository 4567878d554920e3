//! A cloud that cannot be asked (no region, a broken profile, ...): it shows
//! up as its own error line while the other clouds keep working.

use async_trait::async_trait;

use super::{
    AttachedAddress, CloudError, CloudResult, MetricsQuery, PowerAction, PowerOutcome, Provider,
};
use crate::domain::model::{
    CloudKind, ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, LaunchSpec, PublicAddress,
    Volume,
};

pub struct UnavailableProvider {
    kind: CloudKind,
    label: String,
    error: CloudError,
}

impl UnavailableProvider {
    pub fn new(kind: CloudKind, label: impl Into<String>, error: CloudError) -> Self {
        UnavailableProvider {
            kind,
            label: label.into(),
            error,
        }
    }

    fn fail<T>(&self) -> CloudResult<T> {
        Err(self.error.clone())
    }
}

#[async_trait]
impl Provider for UnavailableProvider {
    fn kind(&self) -> CloudKind {
        self.kind
    }

    fn label(&self) -> String {
        self.label.clone()
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        self.fail()
    }

    async fn metrics(&self, _: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        self.fail()
    }

    async fn launch(&self, _: &LaunchSpec) -> CloudResult<Vec<String>> {
        self.fail()
    }

    async fn terminate(&self, _: &[String]) -> CloudResult<()> {
        self.fail()
    }

    async fn power(&self, instance_ids: &[String], _: PowerAction) -> Vec<PowerOutcome> {
        PowerOutcome::for_all(instance_ids, &self.fail())
    }

    async fn attach_public_ip(&self, _: &str) -> CloudResult<AttachedAddress> {
        self.fail()
    }

    async fn detach_public_ip(&self, _: &str) -> CloudResult<String> {
        self.fail()
    }

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        self.fail()
    }

    async fn release_address(&self, _: &str) -> CloudResult<()> {
        self.fail()
    }

    async fn list_volumes(&self) -> CloudResult<Vec<Volume>> {
        self.fail()
    }

    async fn delete_volume(&self, _: &str) -> CloudResult<()> {
        self.fail()
    }

    async fn console_output(&self, _: &str, _: u32) -> CloudResult<ConsoleOutput> {
        self.fail()
    }

    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        self.fail()
    }

    async fn set_tags(
        &self,
        _: &str,
        _: &std::collections::BTreeMap<String, String>,
    ) -> CloudResult<()> {
        self.fail()
    }

    async fn regions(&self) -> CloudResult<super::Regions> {
        self.fail()
    }

    async fn facts(
        &self,
        _: &crate::domain::model::Instance,
        _: crate::cloud::facts::FactKind,
    ) -> crate::cloud::CloudResult<crate::cloud::facts::Facts> {
        self.fail()
    }
}
