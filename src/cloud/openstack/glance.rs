//! Glance (service type `image`): the images a server can boot from.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::nova::{Link, next_query};
use super::session::{Call, Service, Session};
use crate::cloud::CloudResult;

/// Glance's own page limit is 25; ask for bigger pages to save round trips.
const PAGE_SIZE: &str = "200";

#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ImagesPage {
    images: Vec<Image>,
    /// A path such as `/v2/images?marker=...`.
    #[serde(default)]
    next: Option<String>,
}

/// Active images, every page.
pub async fn list_images(session: &Session) -> CloudResult<Vec<Image>> {
    let mut out = Vec::new();
    let mut query = vec![
        ("status".to_string(), "active".to_string()),
        ("limit".to_string(), PAGE_SIZE.to_string()),
    ];
    loop {
        let mut call = Call::get(Service::Image, "/images");
        call.query = query.clone();
        let page: ImagesPage = session.json(&call).await?;
        let got = page.images.len();
        out.extend(page.images);
        let links: Vec<Link> = page
            .next
            .map(|href| Link {
                href,
                rel: "next".into(),
            })
            .into_iter()
            .collect();
        match next_query(&links) {
            Some(next) if got > 0 && next != query => query = next,
            _ => break,
        }
    }
    Ok(out)
}

/// Images whose name is exactly `name`.
pub async fn find_by_name(session: &Session, name: &str) -> CloudResult<Vec<Image>> {
    let call = Call::get(Service::Image, "/images").query("name", name);
    let page: ImagesPage = session.json(&call).await?;
    Ok(page.images)
}

/// Ids in one `id=in:` listing: 50 UUIDs keep the URL under 2 KB, which
/// every proxy in front of a Glance passes.
const IDS_PER_LISTING: usize = 50;

/// The names of those of `ids` (image UUIDs) Glance still shows this
/// project; deleted ones, and nameless ones, are left out. One listing
/// per [`IDS_PER_LISTING`] ids (`GET /v2/images?id=in:a,b`, the filter
/// Horizon uses for the same job); the default listing leaves out
/// community images and shares not yet accepted, which servers boot from
/// all the same, so the ids it did not list are then asked one by one,
/// a 404 meaning gone.
pub async fn image_names(
    session: &Session,
    ids: &[String],
) -> CloudResult<HashMap<String, String>> {
    let mut names = HashMap::new();
    let mut listed = HashSet::new();
    for chunk in ids.chunks(IDS_PER_LISTING) {
        let call = Call::get(Service::Image, "/images")
            .query("id", format!("in:{}", chunk.join(",")))
            .query("limit", chunk.len().to_string());
        let page: ImagesPage = session.json(&call).await?;
        for image in page.images {
            listed.insert(image.id.clone());
            names.extend(named(image));
        }
    }
    for id in ids.iter().filter(|id| !listed.contains(id.as_str())) {
        let call = Call::get(Service::Image, format!("/images/{id}"));
        match session.json::<Image>(&call).await {
            Ok(image) => names.extend(named(image)),
            Err(e) if e.code.as_deref().is_some_and(|c| c.starts_with("404")) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(names)
}

fn named(image: Image) -> Option<(String, String)> {
    let name = image.name.filter(|n| !n.trim().is_empty())?;
    Some((image.id, name))
}
