//! EBS volumes: one listing of every volume of the region (attached or
//! not), and deleting one.

use aws_sdk_ec2::Client;

use super::errors::{BAD_RESPONSE, ec2_error};
use crate::cloud::{CloudError, CloudResult};
use crate::domain::model::Volume;
use crate::domain::text::Text;

/// DescribeVolumes page size: the largest EC2 allows (5 to 500; it
/// answers at most 500 whatever is asked), so a big account lists in few
/// calls. Only valid without `VolumeIds`, which the listing never sends.
pub const VOLUME_PAGE_SIZE: i32 = 500;

/// Every volume of the region, page by page.
pub(super) async fn describe_volumes(ec2: &Client) -> CloudResult<Vec<Volume>> {
    let mut pages = ec2
        .describe_volumes()
        .max_results(VOLUME_PAGE_SIZE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(ec2_error)?;
        for v in page.volumes() {
            out.push(to_volume(v)?);
        }
    }
    Ok(out)
}

/// Maps one EBS volume into the shared model. EC2 always sends a volume's
/// id and state: as with instances (`ec2::to_instance`), a volume without
/// them is a damaged answer and the whole listing is refused, rather than
/// a row that cannot be joined, shown truthfully or deleted.
fn to_volume(v: &aws_sdk_ec2::types::Volume) -> CloudResult<Volume> {
    let id = v
        .volume_id()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| incomplete_volume("a volume id", None))?
        .to_string();
    let state = v
        .state()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete_volume("a state", Some(&id)))?;
    // A detached attachment can linger in the list for a moment after
    // DetachVolume; it no longer ties the volume to that instance.
    let attachment = v.attachments().iter().find(|a| {
        a.state().map(|s| s.as_str()) != Some("detached")
            && a.instance_id().is_some_and(|i| !i.is_empty())
    });
    Ok(Volume {
        name: v
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        // A negative size is no size.
        size_gb: v.size().and_then(|s| u64::try_from(s).ok()),
        volume_type: v
            .volume_type()
            .map(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(Text::from),
        state: Text::from(state),
        instance_id: attachment.and_then(|a| a.instance_id()).map(str::to_string),
        device: attachment
            .and_then(|a| a.device())
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        delete_on_termination: attachment.and_then(|a| a.delete_on_termination()),
        id,
    })
}

/// The error for a listed volume that lacks `what`.
fn incomplete_volume(what: &str, id: Option<&str>) -> CloudError {
    let which = id.map(|id| format!(" ({id})")).unwrap_or_default();
    CloudError::new(
        BAD_RESPONSE,
        format!(
            "the EC2 endpoint listed a volume{which} without {what}: the answer is damaged, so the listing is not used"
        ),
    )
}

/// `DeleteVolume`. EC2 itself refuses a volume in use (`VolumeInUse`) or
/// unknown (`InvalidVolume.NotFound`); its code and words are the error.
pub(super) async fn delete_volume(ec2: &Client, volume_id: &str) -> CloudResult<()> {
    ec2.delete_volume()
        .volume_id(volume_id)
        .send()
        .await
        .map_err(ec2_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{Tag, VolumeAttachment, VolumeAttachmentState, VolumeState};

    use super::*;

    fn attachment(instance: &str, state: VolumeAttachmentState) -> VolumeAttachment {
        VolumeAttachment::builder()
            .instance_id(instance)
            .device("/dev/xvdf")
            .delete_on_termination(false)
            .state(state)
            .build()
    }

    #[test]
    fn a_volume_maps_its_name_size_type_and_first_live_attachment() {
        let v = aws_sdk_ec2::types::Volume::builder()
            .volume_id("vol-1")
            .size(8)
            .volume_type("gp3".into())
            .state(VolumeState::InUse)
            .tags(Tag::builder().key("Name").value("data").build())
            .attachments(attachment("i-old", VolumeAttachmentState::Detached))
            .attachments(attachment("i-1", VolumeAttachmentState::Attached))
            .build();
        let got = to_volume(&v).expect("complete");
        assert_eq!(got.id, "vol-1");
        assert_eq!(got.name.as_deref(), Some("data"));
        assert_eq!(got.size_gb, Some(8));
        assert_eq!(got.volume_type.as_deref(), Some("gp3"));
        assert_eq!(got.state, "in-use");
        assert_eq!(got.instance_id.as_deref(), Some("i-1"));
        assert_eq!(got.device.as_deref(), Some("/dev/xvdf"));
        assert_eq!(got.delete_on_termination, Some(false));
        assert!(!got.is_unattached());
    }

    #[test]
    fn an_unattached_volume_has_no_instance() {
        let v = aws_sdk_ec2::types::Volume::builder()
            .volume_id("vol-2")
            .state(VolumeState::Available)
            .build();
        let got = to_volume(&v).expect("complete");
        assert!(got.is_unattached());
        assert_eq!(got.name, None);
        assert_eq!(got.size_gb, None);
        assert_eq!(got.delete_on_termination, None);
    }

    #[test]
    fn a_volume_without_id_or_state_refuses_the_listing() {
        let no_id = aws_sdk_ec2::types::Volume::builder()
            .state(VolumeState::Available)
            .build();
        let e = to_volume(&no_id).expect_err("no id");
        assert_eq!(e.code.as_deref(), Some(BAD_RESPONSE));
        assert!(e.message.contains("without a volume id"), "{e}");
        let no_state = aws_sdk_ec2::types::Volume::builder()
            .volume_id("vol-3")
            .build();
        let e = to_volume(&no_state).expect_err("no state");
        assert!(e.message.contains("(vol-3) without a state"), "{e}");
    }
}
