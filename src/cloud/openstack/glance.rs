//! Glance (service type `image`): the images a server can boot from.

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
