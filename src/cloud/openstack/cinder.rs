//! Cinder (service type `block-storage`, or `volumev3` / `volumev2`):
//! the project's volumes, and deleting one.

use reqwest::Method;
use serde::Deserialize;

use super::nova::{Link, next_query};
use super::session::{Call, Service, Session};
use crate::cloud::CloudResult;
use crate::domain::model::Volume;

#[derive(Debug, Deserialize)]
struct Attachment {
    #[serde(default)]
    server_id: Option<String>,
    #[serde(default)]
    device: Option<String>,
}

/// A volume of `GET /volumes/detail`, as the api-ref sample
/// `volumes-list-detailed-response.json` writes it; only what hytop shows.
#[derive(Debug, Deserialize)]
struct CinderVolume {
    id: String,
    /// `null` for a volume created without one.
    #[serde(default)]
    name: Option<String>,
    /// GiB.
    #[serde(default)]
    size: Option<u64>,
    /// The type's name (an id on some old clouds); `null` when untyped.
    #[serde(default)]
    volume_type: Option<String>,
    status: String,
    /// Only attachments in state `attached` are listed.
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Debug, Deserialize)]
struct VolumesPage {
    volumes: Vec<CinderVolume>,
    /// Present (rel `next`) whenever a page is full, even if nothing follows.
    #[serde(default)]
    volumes_links: Vec<Link>,
}

fn to_volume(v: CinderVolume) -> Volume {
    // Multi-attach lists one attachment per server: the first one stands
    // for the volume, as the model keeps one instance.
    let first = v.attachments.into_iter().next();
    let (instance_id, device) = match first {
        Some(a) => (
            a.server_id.filter(|s| !s.is_empty()),
            a.device.filter(|d| !d.is_empty()),
        ),
        None => (None, None),
    };
    Volume {
        id: v.id,
        name: v.name.filter(|n| !n.is_empty()),
        size_gb: v.size,
        volume_type: v.volume_type.filter(|t| !t.is_empty()).map(Into::into),
        state: v.status.into(),
        instance_id,
        device,
        // Cinder does not know; Nova's volumes_attached says.
        delete_on_termination: None,
    }
}

/// Every volume of the project, attached or not, following Cinder's `next`
/// links page by page.
pub async fn list_volumes(session: &Session) -> CloudResult<Vec<Volume>> {
    let mut out = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    loop {
        let mut call = Call::get(Service::BlockStorage, "/volumes/detail");
        call.query = query.clone();
        let page: VolumesPage = session.json(&call).await?;
        let got = page.volumes.len();
        out.extend(page.volumes.into_iter().map(to_volume));
        match next_query(&page.volumes_links) {
            // An empty page with a next link would loop forever.
            Some(next) if got > 0 && next != query => query = next,
            _ => break,
        }
    }
    Ok(out)
}

/// `DELETE /volumes/{id}` (202). A refusal keeps Cinder's own text, e.g.
/// `400 badRequest: Invalid volume: Volume status must be available or
/// error ...` for a volume still attached.
pub async fn delete_volume(session: &Session, id: &str) -> CloudResult<()> {
    let call = Call::new(
        Service::BlockStorage,
        Method::DELETE,
        format!("/volumes/{id}"),
    );
    session.send(&call).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_api_ref_sample_becomes_volumes() {
        // volumes-list-detailed-response.json, plus an attached volume as
        // Cinder's view builder writes its attachment.
        let body = json!({"volumes": [
            {
                "attachments": [],
                "availability_zone": "nova",
                "bootable": "false",
                "consistencygroup_id": null,
                "created_at": "2018-11-28T06:25:15.288987",
                "description": null,
                "encrypted": false,
                "id": "cb49b381-9012-40cb-b8ee-80c19a4801b5",
                "links": [],
                "metadata": {},
                "migration_status": null,
                "multiattach": false,
                "name": null,
                "os-vol-host-attr:host": null,
                "os-vol-tenant-attr:tenant_id": "89afd400-b646-4bbc-b12b-c0a4d63e5bd3",
                "replication_status": null,
                "size": 10,
                "snapshot_id": null,
                "source_volid": null,
                "status": "creating",
                "updated_at": null,
                "user_id": "c853ca26-e8ea-4797-8a52-ee124a013d0e",
                "volume_type": "__DEFAULT__"
            },
            {
                "attachments": [{
                    "id": "6edbc2f4-1507-44f8-ac0d-eed1d2608d38",
                    "attachment_id": "d8777f54-84cf-4809-a679-468ffed56cf1",
                    "volume_id": "6edbc2f4-1507-44f8-ac0d-eed1d2608d38",
                    "server_id": "f4fda93b-06e0-4743-8117-bc8bcecd651b",
                    "host_name": null,
                    "device": "/dev/vdb",
                    "attached_at": "2019-09-30T19:30:34.000000"
                }],
                "id": "6edbc2f4-1507-44f8-ac0d-eed1d2608d38",
                "name": "data",
                "size": 1,
                "status": "in-use",
                "volume_type": null
            }
        ]});
        let page: VolumesPage = serde_json::from_value(body).unwrap();
        let volumes: Vec<Volume> = page.volumes.into_iter().map(to_volume).collect();
        assert_eq!(volumes[0].name, None);
        assert_eq!(volumes[0].size_gb, Some(10));
        assert_eq!(volumes[0].volume_type.as_deref(), Some("__DEFAULT__"));
        assert_eq!(volumes[0].state.as_str(), "creating");
        assert!(volumes[0].is_unattached());
        assert_eq!(volumes[1].name.as_deref(), Some("data"));
        assert_eq!(volumes[1].volume_type, None);
        assert_eq!(
            volumes[1].instance_id.as_deref(),
            Some("f4fda93b-06e0-4743-8117-bc8bcecd651b")
        );
        assert_eq!(volumes[1].device.as_deref(), Some("/dev/vdb"));
        assert_eq!(volumes[1].delete_on_termination, None);
    }
}
