//! Endpoints added and removed while hytop runs (`:region`, `:profile`,
//! `:cloud`, the sweep). A removed endpoint keeps its slot, so every
//! [`CloudId`] stays valid: it is only hidden, its data dropped and its
//! worker stopped; adding it again revives the slot.
//!
//! The model's [`Config`](crate::config::Config) follows: a `[[cloud]]`'s
//! `regions` always name what is shown of it, so building the config's
//! endpoints gives exactly the shown ones (the sweep relies on it).

use crate::cloud::endpoints::Endpoint;
use crate::config::CloudConfig;
use crate::dashboard::action::CloudId;
use crate::dashboard::model::{AppState, CloudStatus};

impl AppState {
    /// The ids of the endpoints shown, in order.
    pub fn shown_clouds(&self) -> impl Iterator<Item = CloudId> + '_ {
        (0..self.clouds.len()).filter(|&c| self.clouds[c].shown)
    }

    /// The shown endpoint of `cloud` (a `[[cloud]]` name) in `region`.
    pub fn shown_endpoint(&self, cloud: &str, region: &str) -> Option<CloudId> {
        self.shown_clouds()
            .find(|&c| self.clouds[c].config_name == cloud && self.clouds[c].region == region)
    }

    /// Shows `endpoint` (its worker is started by the caller under the id
    /// returned): a hidden slot with the same label comes back, else a new
    /// one is added. Answers of an earlier worker of a revived slot are
    /// stale from here on.
    pub fn add_cloud(&mut self, endpoint: Endpoint) -> CloudId {
        let revived = (0..self.clouds.len())
            .find(|&c| !self.clouds[c].shown && self.clouds[c].label == endpoint.label);
        let mut status = CloudStatus::new(endpoint);
        status.applied_list = self.request_id();
        let id = match revived {
            Some(id) => {
                self.clouds[id] = status;
                id
            }
            None => {
                self.clouds.push(status);
                self.instances.push(Vec::new());
                self.haystacks.push(Vec::new());
                self.assessments.push(Vec::new());
                self.address_assessments.push(Vec::new());
                self.volume_assessments.push(Vec::new());
                self.summaries.push(Default::default());
                self.clouds.len() - 1
            }
        };
        self.config_shows(id, true);
        self.dirty = true;
        id
    }

    /// Hides endpoint `cloud` and drops what it listed; its worker is
    /// stopped by the caller. The other endpoints keep everything.
    pub fn remove_cloud(&mut self, cloud: CloudId) {
        if !self.clouds.get(cloud).is_some_and(|c| c.shown) {
            return;
        }
        self.config_shows(cloud, false);
        // This session's launches there that run, or that no listing has
        // shown yet (hidden right after the launch).
        let listed = &self.instances[cloud];
        let hidden_launches = self
            .launched
            .iter()
            .filter(|k| k.cloud == cloud && !self.launched_ended.contains(k))
            .filter(|k| match listed.iter().find(|i| i.id == k.id) {
                Some(i) => i.state.is_live(),
                None => true,
            })
            .count();
        let status = &mut self.clouds[cloud];
        status.shown = false;
        status.hidden_launches = hidden_launches;
        status.refreshing = None;
        status.error = None;
        status.metrics_error = None;
        status.addresses.clear();
        status.volumes.clear();
        // `launched` keeps its keys: shown again, the slot's instances are
        // this session's again for the quit reminder.
        self.allocated_here.retain(|(c, _)| *c != cloud);
        self.pending_releases.retain(|r| r.cloud != cloud);
        if self.console.as_ref().is_some_and(|v| v.key.cloud == cloud) {
            self.console = None;
        }
        self.set_instances(cloud, Vec::new());
        self.address_assessments[cloud].clear();
        self.volume_assessments[cloud].clear();
        self.recompute_costs();
        self.dirty = true;
    }

    /// The hidden endpoints holding instances this session launched (live
    /// when hidden), by label, with how many.
    pub fn hidden_launches(&self) -> Vec<(&str, usize)> {
        self.clouds
            .iter()
            .filter(|c| !c.shown && c.hidden_launches > 0)
            .map(|c| (c.label.as_str(), c.hidden_launches))
            .collect()
    }

    /// Keeps the `regions` of the endpoint's `[[cloud]]` naming what is shown.
    fn config_shows(&mut self, cloud: CloudId, shown: bool) {
        let status = &self.clouds[cloud];
        let (name, region) = (status.config_name.clone(), status.region.clone());
        let mut regions: Vec<String> = self
            .shown_clouds()
            .filter(|&c| c != cloud && self.clouds[c].config_name == name)
            .map(|c| self.clouds[c].region.clone())
            .collect();
        if shown {
            regions.push(region);
        }
        if let Some(config) = self
            .config
            .clouds
            .iter_mut()
            .find(|c| *c.name.get_ref() == name)
        {
            config.regions = regions;
        }
    }

    /// Adds `cloud` to the config (a profile or clouds.yaml entry picked
    /// while running) unless one of that name is there; its name as kept.
    pub fn add_cloud_config(&mut self, cloud: CloudConfig) -> String {
        let name = cloud.name.get_ref().clone();
        if self.config.cloud(&name).is_none() {
            self.config.clouds.push(cloud);
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use crate::cloud::endpoints::Endpoint;
    use crate::domain::model::CloudKind;
    use crate::testutil::{fleet_state, instance};

    fn endpoint(cloud: &str, region: &str) -> Endpoint {
        Endpoint {
            cloud: cloud.into(),
            label: format!("{cloud}/{region}"),
            kind: CloudKind::Aws,
            region: region.into(),
            simulated: true,
        }
    }

    #[test]
    fn an_added_endpoint_gets_a_new_slot_and_a_removed_one_keeps_it() {
        let mut state = fleet_state();
        let rows = state.view.len();
        let lab = state.instances[2].clone();
        let id = state.add_cloud(endpoint("demo-aws", "ap-south-1"));
        assert_eq!(id, 3);
        assert_eq!(state.instances.len(), 4);
        let regions = |s: &crate::dashboard::model::AppState| {
            s.config.cloud("demo-aws").map(|c| c.regions.clone())
        };
        assert_eq!(
            regions(&state),
            Some(vec![
                "eu-west-1".into(),
                "us-east-1".into(),
                "ap-south-1".into()
            ])
        );
        state.set_instances(id, vec![instance("i-9", "stray")]);
        assert_eq!(state.view.len(), rows + 1);

        state.remove_cloud(id);
        assert!(!state.clouds[id].shown);
        assert_eq!(state.view.len(), rows, "its instances left the table");
        assert_eq!(state.instances[2], lab, "the other endpoints keep theirs");
        assert_eq!(state.shown_clouds().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(
            regions(&state),
            Some(vec!["eu-west-1".into(), "us-east-1".into()])
        );

        // Shown again: the same slot, and the old worker's answers are stale.
        let before = state.next_request;
        assert_eq!(state.add_cloud(endpoint("demo-aws", "ap-south-1")), id);
        assert!(state.clouds[id].shown);
        assert!(state.clouds[id].applied_list >= before);
        assert_eq!(state.shown_endpoint("demo-aws", "ap-south-1"), Some(id));
    }
}
