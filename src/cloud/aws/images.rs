//! AMI names for the listing: one DescribeImages for the image ids its
//! instances hold that the provider's [`ImageNames`] does not know yet.
//!
//! [`ImageNames`]: crate::cloud::image_names::ImageNames

use std::collections::HashMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, Image};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors::ec2_error;
use crate::cloud::CloudResult;

/// Whether `id` can be asked of DescribeImages: one malformed id fails
/// the whole call.
pub(super) fn askable(id: &str) -> bool {
    id.starts_with("ami-")
}

/// The names of those of `ids` EC2 still shows this account; the others
/// (deregistered, private to another account) are left out.
pub(super) async fn names(ec2: &Client, ids: Vec<String>) -> CloudResult<HashMap<String, String>> {
    let by_id = ec2
        .describe_images()
        .set_image_ids(Some(ids.clone()))
        .send()
        .await;
    let images = match by_id {
        Ok(out) => out.images.unwrap_or_default(),
        // Asked by id, EC2 refuses the whole call for one AMI it no longer
        // knows (`InvalidAMIID.NotFound`) instead of leaving it out; the
        // same ids as a filter are answered with what still exists.
        Err(SdkError::ServiceError(e))
            if e.err()
                .code()
                .is_some_and(|c| c.starts_with("InvalidAMIID")) =>
        {
            ec2.describe_images()
                .filters(
                    Filter::builder()
                        .name("image-id")
                        .set_values(Some(ids))
                        .build(),
                )
                // By id EC2 shows deprecated AMIs anyway; by filter only when asked.
                .include_deprecated(true)
                .send()
                .await
                .map_err(ec2_error)?
                .images
                .unwrap_or_default()
        }
        Err(e) => return Err(ec2_error(e)),
    };
    Ok(images.iter().filter_map(named).collect())
}

fn named(image: &Image) -> Option<(String, String)> {
    let name = image.name().filter(|n| !n.trim().is_empty())?;
    Some((image.image_id()?.to_string(), name.to_string()))
}
