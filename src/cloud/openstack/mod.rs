//! The OpenStack provider: Keystone v3, Nova, Neutron, Glance, Gnocchi and
//! Cinder over a small REST client of our own (one module per service).

mod body;
pub mod cinder;
pub mod clouds;
pub mod facts;
pub mod glance;
pub mod gnocchi;
mod lifecycle;
pub mod neutron;
pub mod nova;
mod server;
pub mod session;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use base64::Engine;
use chrono::Utc;
use serde_json::json;

use self::clouds::CloudProfile;
use self::nova::Microversion;
pub use self::server::{parse_nova_time, to_instance};
use self::session::{Service, Session};
use super::image_names::ImageNames;
use super::{
    AttachedAddress, CloudError, CloudResult, MetricsQuery, PowerAction, PowerOutcome, Provider,
    Resolution,
};
use crate::domain::model::{
    Choice, CloudKind, ConsoleOutput, Instance, InstanceMetrics, LaunchOptions, LaunchSpec,
    PublicAddress, Volume,
};

/// Error code of a cloud whose catalog has no `metric` service; the
/// detail pane says so quietly instead of showing an error.
pub const NO_METRICS_SERVICE: &str = "NoMetricsService";

/// Error code of a delete on a cloud whose catalog has no block storage.
pub const NO_BLOCK_STORAGE: &str = "NoBlockStorage";

#[derive(Default)]
struct MetricsPlans {
    cpu: Option<gnocchi::Plan>,
    net: Option<gnocchi::Plan>,
}

pub struct OpenStackProvider {
    /// The `[[cloud]]` name in hytop's config.
    name: String,
    region: Option<String>,
    session: Session,
    /// External network (name or id) new floating IPs come from.
    floating_pool: Option<String>,
    microversion: tokio::sync::OnceCell<Microversion>,
    plans: tokio::sync::Mutex<MetricsPlans>,
    /// vCPUs per server from the last listing, for CPU percent.
    vcpus: Mutex<HashMap<String, u32>>,
    /// Network names by id, for the pool column of floating IPs.
    network_names: tokio::sync::OnceCell<HashMap<String, String>>,
    image_names: ImageNames,
}

impl OpenStackProvider {
    pub fn new(
        name: &str,
        profile: CloudProfile,
        region: Option<String>,
        floating_pool: Option<String>,
    ) -> Result<OpenStackProvider, String> {
        Ok(OpenStackProvider {
            name: name.to_string(),
            session: Session::new(profile, region.clone())?,
            region,
            floating_pool,
            microversion: tokio::sync::OnceCell::new(),
            plans: tokio::sync::Mutex::new(MetricsPlans::default()),
            vcpus: Mutex::new(HashMap::new()),
            network_names: tokio::sync::OnceCell::new(),
            image_names: ImageNames::default(),
        })
    }

    /// Requests sent so far per service type (for benches and tests).
    pub fn request_counts(&self) -> BTreeMap<&'static str, u64> {
        self.session.request_counts()
    }

    fn region_label(&self) -> &str {
        self.region.as_deref().unwrap_or(&self.name)
    }

    async fn microversion(&self) -> CloudResult<Microversion> {
        self.microversion
            .get_or_try_init(|| nova::negotiate(&self.session))
            .await
            .copied()
    }

    async fn project_filter(&self) -> CloudResult<Option<String>> {
        self.session.project_id().await
    }

    async fn network_names(&self) -> CloudResult<&HashMap<String, String>> {
        self.network_names
            .get_or_try_init(|| async {
                Ok(neutron::networks(&self.session)
                    .await?
                    .into_iter()
                    .map(|n| (n.id, n.name))
                    .collect())
            })
            .await
    }

    /// The server's first port with an address: where a floating IP goes.
    async fn port_of(&self, server_id: &str) -> CloudResult<neutron::Port> {
        neutron::ports_of(&self.session, server_id)
            .await?
            .into_iter()
            .find(|p| !p.fixed_ips.is_empty())
            .ok_or_else(|| {
                CloudError::new(
                    "NoPort",
                    format!("server {server_id} has no network port yet (still building?)"),
                )
            })
    }

    /// The external network new floating IPs come from: the configured
    /// pool, else the only external network there is.
    async fn pool(&self) -> CloudResult<neutron::Network> {
        let external: Vec<neutron::Network> = neutron::networks(&self.session)
            .await?
            .into_iter()
            .filter(|n| n.external)
            .collect();
        if let Some(pool) = &self.floating_pool {
            return external
                .into_iter()
                .find(|n| &n.id == pool || &n.name == pool)
                .ok_or_else(|| {
                    CloudError::new(
                        "NoPool",
                        format!(
                            "floating IP pool \"{pool}\" is not an external network of this cloud"
                        ),
                    )
                });
        }
        match external.len() {
            0 => Err(CloudError::new(
                "NoPool",
                "this cloud has no external network to take a floating IP from",
            )),
            1 => external.into_iter().next().ok_or_else(|| {
                CloudError::new("NoPool", "the external network vanished while choosing")
            }),
            _ => Err(CloudError::new(
                "NoPool",
                format!(
                    "several external networks ({}): set floating_pool for cloud \"{}\" in hytop's config",
                    external
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.name
                ),
            )),
        }
    }

    async fn resolve_image(&self, image: &str) -> CloudResult<String> {
        if looks_like_uuid(image) {
            return Ok(image.to_string());
        }
        let found = glance::find_by_name(&self.session, image).await?;
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(CloudError::new(
                "NoImage",
                format!("no image is named \"{image}\""),
            )),
            _ => Err(CloudError::new(
                "AmbiguousImage",
                format!(
                    "{} images are named \"{image}\": use the image id",
                    found.len()
                ),
            )),
        }
    }

    async fn resolve_flavor(&self, mv: Microversion, size: &str) -> CloudResult<String> {
        nova::list_flavors(&self.session, mv)
            .await?
            .into_iter()
            .find(|f| f.id == size || f.name == size)
            .map(|f| f.id)
            .ok_or_else(|| CloudError::new("NoFlavor", format!("no flavor is named \"{size}\"")))
    }

    async fn resolve_network(&self, network: &str) -> CloudResult<String> {
        if looks_like_uuid(network) {
            return Ok(network.to_string());
        }
        let found: Vec<neutron::Network> = neutron::networks(&self.session)
            .await?
            .into_iter()
            .filter(|n| n.name == network)
            .collect();
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(CloudError::new(
                "NoNetwork",
                format!("no network is named \"{network}\""),
            )),
            _ => Err(CloudError::new(
                "AmbiguousNetwork",
                format!("several networks are named \"{network}\": use the network id"),
            )),
        }
    }

    async fn plans(
        &self,
        ids: &[String],
        window_secs: i64,
    ) -> CloudResult<(Option<gnocchi::Plan>, Option<gnocchi::Plan>)> {
        let mut plans = self.plans.lock().await;
        // A few servers are enough to find one that already has the metric.
        let sample: Vec<&String> = ids.iter().take(20).collect();
        if plans.cpu.is_none() {
            plans.cpu = gnocchi::plan(
                &self.session,
                gnocchi::INSTANCE,
                json!({ "in": { "id": sample } }),
                gnocchi::CPU_METRIC,
                window_secs,
            )
            .await?;
        }
        if plans.net.is_none() {
            plans.net = gnocchi::plan(
                &self.session,
                gnocchi::INTERFACE,
                json!({ "in": { "instance_id": sample } }),
                gnocchi::NET_IN_METRIC,
                window_secs,
            )
            .await?;
        }
        Ok((plans.cpu.clone(), plans.net.clone()))
    }

    async fn forget_plans(&self) {
        *self.plans.lock().await = MetricsPlans::default();
    }
}

fn looks_like_uuid(text: &str) -> bool {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

#[async_trait]
impl Provider for OpenStackProvider {
    fn kind(&self) -> CloudKind {
        CloudKind::OpenStack
    }

    fn label(&self) -> String {
        match &self.region {
            Some(r) => format!("{}/{r}", self.name),
            None => self.name.clone(),
        }
    }

    fn metrics_interval(&self) -> std::time::Duration {
        let secs = self
            .plans
            .try_lock()
            .ok()
            .and_then(|p| p.cpu.as_ref().map(|c| c.granularity))
            .unwrap_or(60);
        std::time::Duration::from_secs(u64::from(secs.max(10)))
    }

    fn summary_interval(&self, window: chrono::Duration) -> std::time::Duration {
        let secs = self
            .plans
            .try_lock()
            .ok()
            .and_then(|p| {
                p.cpu
                    .as_ref()
                    .map(|c| c.coarse(window.num_seconds()).granularity)
            })
            .unwrap_or(60);
        std::time::Duration::from_secs(u64::from(secs.max(10)))
    }

    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        let mv = self.microversion().await?;
        let mut vcpus = HashMap::new();
        let (name, region) = (&self.name, self.region_label());
        let mut out = nova::list_servers(&self.session, mv, |s| {
            if let Some(n) = s.flavor.as_ref().and_then(|f| f.vcpus) {
                vcpus.insert(s.id.clone(), n);
            }
            to_instance(name, region, &s)
        })
        .await?;
        *self.vcpus.lock().unwrap_or_else(|e| e.into_inner()) = vcpus;
        self.image_names
            .fill(&mut out, looks_like_uuid, |ids| async move {
                glance::image_names(&self.session, &ids).await
            })
            .await;
        Ok(out)
    }

    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        if self.session.endpoint(Service::Metric).await?.is_none() {
            return Err(CloudError::new(NO_METRICS_SERVICE, "no metrics service"));
        }
        let ids = &query.instance_ids;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let window = (query.end - query.start).num_seconds().max(60);
        let (cpu_plan, net_plan) = self.plans(ids, window).await?;
        // A summary is CPU only, at the coarsest granularity that serves.
        let summary = query.resolution == Resolution::Summary;
        let (cpu_plan, net_plan) = if summary {
            (cpu_plan.map(|p| p.coarse(window)), None)
        } else {
            (cpu_plan, net_plan)
        };
        let cpu = async {
            match &cpu_plan {
                Some(p) => gnocchi::cpu(&self.session, p, ids, query.start, query.end).await,
                None => Ok(HashMap::new()),
            }
        };
        let net = async {
            match &net_plan {
                Some(p) => gnocchi::net_in(&self.session, p, ids, query.start, query.end).await,
                None => Ok(HashMap::new()),
            }
        };
        let (cpu, net) = tokio::join!(cpu, net);
        let (mut cpu, mut net) = match (cpu, net) {
            (Ok(c), Ok(n)) => (c, n),
            (Err(e), _) | (_, Err(e)) => {
                // A policy change (or a server on another policy) makes the
                // planned granularity wrong: plan again next time.
                if e.code.as_deref().is_some_and(|c| c.starts_with("400")) {
                    self.forget_plans().await;
                }
                return Err(e);
            }
        };
        let vcpus = self.vcpus.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let cpu_period = cpu_plan.as_ref().map_or(60, |p| p.granularity);
        let net_period = net_plan.as_ref().map_or(60, |p| p.granularity);
        Ok(ids
            .iter()
            .map(|id| {
                let n = vcpus.get(id).copied().unwrap_or(1);
                let cpu_points = cpu
                    .remove(id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(t, ns)| (t, gnocchi::cpu_percent(ns, cpu_period, n)))
                    .collect();
                let cpu = gnocchi::series(cpu_period, cpu_points);
                let metrics = InstanceMetrics {
                    cpu: if summary { cpu.summarised() } else { cpu },
                    net_in: gnocchi::series(net_period, net.remove(id).unwrap_or_default()),
                    window_start: Some(query.start),
                    window_end: Some(query.end),
                };
                (id.clone(), metrics)
            })
            .collect())
    }

    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
        let user_data = spec
            .user_data
            .as_ref()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d));
        if let Some(encoded) = &user_data
            && encoded.len() > nova::USER_DATA_B64_LIMIT
        {
            return Err(nova::user_data_too_large(encoded.len()));
        }
        let mv = self.microversion().await?;
        let image_id = self.resolve_image(&spec.image).await?;
        let flavor_id = self.resolve_flavor(mv, &spec.size).await?;
        let network_id = match &spec.network {
            Some(n) => Some(self.resolve_network(n).await?),
            None => None,
        };
        // Nova metadata is the tag store; it keeps at most 255 characters a value.
        let metadata: BTreeMap<String, String> = spec
            .tags
            .iter()
            .filter(|(k, _)| k.as_str() != "Name")
            .map(|(k, v)| (k.clone(), v.chars().take(255).collect()))
            .collect();
        let mut ids = Vec::new();
        for i in 0..spec.count.max(1) {
            let name = if spec.count > 1 {
                format!("{}-{}", spec.name, i + 1)
            } else {
                spec.name.clone()
            };
            let id = nova::create_server(
                &self.session,
                mv,
                &nova::CreateServer {
                    name: &name,
                    image_id: &image_id,
                    flavor_id: &flavor_id,
                    network_id: network_id.as_deref(),
                    key_name: spec.key_name.as_deref(),
                    security_groups: &spec.security_groups,
                    user_data: user_data.as_deref(),
                    metadata: &metadata,
                },
            )
            .await
            .map_err(|e| {
                if ids.is_empty() {
                    e
                } else {
                    CloudError {
                        message: format!("{} (after launching {})", e.message, ids.join(", ")),
                        ..e
                    }
                }
            })?;
            ids.push(id);
        }
        Ok(ids)
    }

    async fn terminate(&self, instance_ids: &[String]) -> CloudResult<()> {
        let mv = self.microversion().await?;
        let mut failures = Vec::new();
        for id in instance_ids {
            if let Err(e) = nova::delete_server(&self.session, mv, id).await {
                failures.push(format!("{id}: {e}"));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(CloudError::message(failures.join("; ")))
        }
    }

    async fn power(&self, instance_ids: &[String], action: PowerAction) -> Vec<PowerOutcome> {
        lifecycle::power(self, instance_ids, action).await
    }

    async fn attach_public_ip(&self, instance_id: &str) -> CloudResult<AttachedAddress> {
        let port = self.port_of(instance_id).await?;
        let on_port = neutron::floating_ips(&self.session, &[("port_id", &port.id)]).await?;
        if let Some(existing) = on_port.first() {
            return Err(CloudError::new(
                "AlreadyAssociated",
                format!(
                    "server {instance_id} already has floating IP {}",
                    existing.floating_ip_address
                ),
            ));
        }
        let project = self.project_filter().await?;
        let filters: Vec<(&str, &str)> = project
            .as_deref()
            .map(|p| ("project_id", p))
            .into_iter()
            .collect();
        let pool_id = match &self.floating_pool {
            Some(_) => Some(self.pool().await?.id),
            None => None,
        };
        // Reuse before allocating: public addresses are scarce.
        let free = neutron::floating_ips(&self.session, &filters)
            .await?
            .into_iter()
            .find(|f| {
                f.port_id.is_none() && pool_id.as_ref().is_none_or(|p| &f.floating_network_id == p)
            });
        let (fip, reused) = match free {
            Some(f) => (f, true),
            None => {
                let pool = match pool_id {
                    Some(id) => id,
                    None => self.pool().await?.id,
                };
                (
                    neutron::create_floating_ip(&self.session, &pool).await?,
                    false,
                )
            }
        };
        let associated = neutron::set_port(&self.session, &fip.id, Some(&port.id)).await?;
        Ok(AttachedAddress {
            ip: associated.floating_ip_address,
            reused,
        })
    }

    async fn detach_public_ip(&self, instance_id: &str) -> CloudResult<String> {
        let ports = neutron::ports_of(&self.session, instance_id).await?;
        for port in &ports {
            let on_port = neutron::floating_ips(&self.session, &[("port_id", &port.id)]).await?;
            if let Some(fip) = on_port.into_iter().next() {
                neutron::set_port(&self.session, &fip.id, None).await?;
                return Ok(fip.floating_ip_address);
            }
        }
        Err(CloudError::new(
            "NotAssociated",
            format!("server {instance_id} has no floating IP"),
        ))
    }

    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        let project = self.project_filter().await?;
        let filters: Vec<(&str, &str)> = project
            .as_deref()
            .map(|p| ("project_id", p))
            .into_iter()
            .collect();
        let fips = neutron::floating_ips(&self.session, &filters).await?;
        // Clouds without port details need one ports request to name servers.
        let unknown: Vec<&str> = fips
            .iter()
            .filter(|f| f.port_details.is_none())
            .filter_map(|f| f.port_id.as_deref())
            .collect();
        let devices: HashMap<String, String> = neutron::port_devices(&self.session, &unknown)
            .await?
            .into_iter()
            .map(|p| (p.id, p.device_id))
            .collect();
        let names = self.network_names().await.ok();
        Ok(fips
            .into_iter()
            .map(|f| {
                let instance_id = f.port_id.as_ref().and_then(|port| {
                    f.port_details
                        .as_ref()
                        .and_then(|d| d.device_id.clone())
                        .or_else(|| devices.get(port).cloned())
                        .filter(|d| !d.is_empty())
                });
                PublicAddress {
                    pool: Some(
                        names
                            .and_then(|n| n.get(&f.floating_network_id).cloned())
                            .unwrap_or_else(|| f.floating_network_id.clone()),
                    ),
                    id: f.id,
                    ip: f.floating_ip_address,
                    instance_id,
                }
            })
            .collect())
    }

    async fn release_address(&self, address_id: &str) -> CloudResult<()> {
        let fip = neutron::floating_ip(&self.session, address_id).await?;
        if let Some(port) = &fip.port_id {
            return Err(CloudError::new(
                "InUse",
                format!(
                    "floating IP {} is associated (port {port}): detach it first",
                    fip.floating_ip_address
                ),
            ));
        }
        neutron::delete_floating_ip(&self.session, address_id).await
    }

    async fn list_volumes(&self) -> CloudResult<Vec<Volume>> {
        // Many small clouds run without Cinder: nothing to list, nothing to say.
        if self
            .session
            .endpoint(Service::BlockStorage)
            .await?
            .is_none()
        {
            return Ok(Vec::new());
        }
        cinder::list_volumes(&self.session).await
    }

    async fn delete_volume(&self, volume_id: &str) -> CloudResult<()> {
        if self
            .session
            .endpoint(Service::BlockStorage)
            .await?
            .is_none()
        {
            return Err(CloudError::new(
                NO_BLOCK_STORAGE,
                format!(
                    "this cloud has no block-storage service (the catalog of cloud \"{}\" lists no block-storage, volumev3 or volumev2 endpoint{})",
                    self.name,
                    self.region
                        .as_ref()
                        .map(|r| format!(" in region {r}"))
                        .unwrap_or_default()
                ),
            ));
        }
        cinder::delete_volume(&self.session, volume_id).await
    }

    async fn set_tags(
        &self,
        instance_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let mv = self.microversion().await?;
        nova::update_metadata(&self.session, mv, instance_id, tags).await
    }

    async fn regions(&self) -> CloudResult<crate::cloud::Regions> {
        let (all, this) = self.session.compute_regions().await?;
        Ok(crate::cloud::Regions { all, this })
    }

    async fn facts(
        &self,
        instance: &Instance,
        kind: crate::cloud::facts::FactKind,
    ) -> CloudResult<crate::cloud::facts::Facts> {
        facts::facts(self, instance, kind).await
    }

    async fn console_output(&self, instance_id: &str, lines: u32) -> CloudResult<ConsoleOutput> {
        let mv = self.microversion().await?;
        // Nova keeps the last `length` pieces of the log split at newlines;
        // a log ending in a newline makes the last piece empty, so ask for
        // one more and trim to what was wanted.
        let text = nova::console_output(&self.session, mv, instance_id, lines + 1).await?;
        Ok(ConsoleOutput {
            instance_id: instance_id.to_string(),
            text: super::tail_lines(&text, lines),
            fetched_at: Utc::now(),
        })
    }

    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        let mv = self.microversion().await?;
        let project = self.project_filter().await?;
        let (images, flavors, keys, networks, groups) = tokio::join!(
            glance::list_images(&self.session),
            nova::list_flavors(&self.session, mv),
            nova::list_keypairs(&self.session, mv),
            neutron::networks(&self.session),
            neutron::security_groups(&self.session, project.as_deref()),
        );
        let mut images: Vec<Choice> = images?
            .into_iter()
            .map(|i| {
                let label = i.name.clone().unwrap_or_else(|| i.id.clone());
                Choice::new(i.id, label)
            })
            .collect();
        images.sort_by(|a, b| a.label.cmp(&b.label));
        let mut flavors = flavors?;
        flavors.sort_by_key(|f| (f.vcpus, f.ram, f.name.clone()));
        let sizes = flavors
            .into_iter()
            .map(|f| {
                let label = format!("{} ({} vCPU, {} MB)", f.name, f.vcpus, f.ram);
                Choice::new(f.name, label)
            })
            .collect();
        let key_names = keys?
            .into_iter()
            .map(|k| Choice::new(k.name.clone(), k.name))
            .collect();
        let networks = networks?
            .into_iter()
            .filter(|n| !n.external)
            .map(|n| Choice::new(n.id, n.name))
            .collect();
        let mut seen = std::collections::HashSet::new();
        let security_groups = groups?
            .into_iter()
            .filter(|g| seen.insert(g.name.clone()))
            .map(|g| Choice::new(g.name.clone(), g.name))
            .collect();
        Ok(LaunchOptions {
            images,
            sizes,
            networks,
            key_names,
            security_groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_told_from_names() {
        assert!(looks_like_uuid("70a599e0-31e7-49b7-b260-868f441e862b"));
        assert!(!looks_like_uuid("cirros-0.6.2"));
    }
}
