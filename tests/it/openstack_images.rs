//! Image names in the OpenStack listing: Glance is asked once per image
//! (one `id=in:` listing, then by id what the listing leaves out), and
//! never again for what it answered, a deleted image included.

use hytop_testkit as support;

use hytop::cloud::Provider;
use support::openstack::world::{IMAGE_CIRROS, IMAGE_UBUNTU};
use support::openstack::{RecordedRequest, Service};

use super::openstack::Lab;

/// The Glance requests made since the last reset.
fn glance_requests(lab: &Lab) -> Vec<RecordedRequest> {
    lab.fake
        .requests()
        .into_iter()
        .filter(|r| r.service == Service::Image)
        .collect()
}

const DELETED_IMAGE: &str = "6f1c3a52-0000-4000-8000-00000000dead";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_name_images_asking_glance_once_per_image() {
    let lab = Lab::start(|_| {}, false).await;
    // Servers 4 and 8 boot from ubuntu, the others from cirros.
    let ids = lab.fake.seed(&lab.user.project_id, 8);
    let community = "lab-community-image";
    let community_id = {
        let mut world = lab.fake.world();
        let mut image = {
            let template = &world.images[0];
            support::openstack::world::Image {
                id: "0d9b4c1e-7a2f-4e6b-9c3d-5f8a1b2c3d4e".into(),
                name: community.into(),
                created: template.created,
                updated: template.updated,
                size: template.size,
                virtual_size: template.virtual_size,
                disk_format: template.disk_format.clone(),
                min_disk: 0,
                min_ram: 0,
                checksum: template.checksum.clone(),
                hash: template.hash.clone(),
                os_distro: "debian".into(),
                os_admin_user: None,
                description: None,
                visibility: "public".into(),
            }
        };
        image.visibility = "community".into();
        let id = image.id.clone();
        world.images.push(image);
        for server in world.servers.iter_mut() {
            if server.id == ids[1] {
                server.image_id = id.clone();
            } else if server.id == ids[2] {
                server.image_id = DELETED_IMAGE.into();
            }
        }
        id
    };
    let provider = lab.password_provider();
    lab.fake.reset_requests();

    let listed = provider.list_instances().await.expect("listing");
    let name_of = |id: &str| {
        listed
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.image_name.as_deref().map(str::to_string))
            .expect("listed")
    };
    assert_eq!(name_of(&ids[0]).as_deref(), Some(IMAGE_CIRROS));
    assert_eq!(name_of(&ids[3]).as_deref(), Some(IMAGE_UBUNTU));
    assert_eq!(name_of(&ids[1]).as_deref(), Some(community));
    assert_eq!(name_of(&ids[2]), None, "the image is gone");
    let cirros = listed.iter().find(|i| i.id == ids[0]).expect("listed");
    assert_eq!(
        cirros.image_text(),
        format!("{IMAGE_CIRROS} ({})", cirros.image)
    );

    // One listing for the four images, then by id the two it left out.
    let asked = glance_requests(&lab);
    let paths: Vec<(&str, &str)> = asked
        .iter()
        .map(|r| (r.path.as_str(), r.query.as_str()))
        .collect();
    assert_eq!(asked.len(), 3, "{paths:?}");
    let listing = &asked[0];
    assert_eq!(listing.path, "/image/v2/images", "{paths:?}");
    // UUIDs need no escaping; `:` and `,` may come escaped.
    let filter = listing
        .query
        .split('&')
        .find_map(|pair| pair.strip_prefix("id="))
        .expect("an id filter")
        .replace("%3A", ":")
        .replace("%2C", ",");
    let mut filtered: Vec<&str> = filter
        .strip_prefix("in:")
        .expect("in:")
        .split(',')
        .collect();
    filtered.sort_unstable();
    let cirros_id = lab.fake.image_id(IMAGE_CIRROS).expect("cirros");
    let ubuntu_id = lab.fake.image_id(IMAGE_UBUNTU).expect("ubuntu");
    let mut want = vec![
        cirros_id.as_str(),
        ubuntu_id.as_str(),
        community_id.as_str(),
        DELETED_IMAGE,
    ];
    want.sort_unstable();
    assert_eq!(filtered, want);
    let mut shown: Vec<(&str, u16)> = asked[1..]
        .iter()
        .map(|r| (r.path.as_str(), r.status))
        .collect();
    shown.sort_unstable();
    let community_path = format!("/image/v2/images/{community_id}");
    let deleted_path = format!("/image/v2/images/{DELETED_IMAGE}");
    let mut want = vec![(community_path.as_str(), 200), (deleted_path.as_str(), 404)];
    want.sort_unstable();
    assert_eq!(shown, want);

    // The next listing knows them all, the deleted one too.
    lab.fake.reset_requests();
    let again = provider.list_instances().await.expect("again");
    assert!(glance_requests(&lab).is_empty());
    let names = |list: &[hytop::domain::model::Instance]| {
        let mut n: Vec<(String, Option<String>)> = list
            .iter()
            .map(|i| (i.id.clone(), i.image_name.as_deref().map(str::to_string)))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&again), names(&listed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_glance_leaves_names_out_and_is_not_asked_each_refresh() {
    let lab = Lab::start(|_| {}, false).await;
    lab.fake.seed(&lab.user.project_id, 3);
    let provider = lab.password_provider();
    lab.fake.fail(Service::Image, 500);

    let listed = provider.list_instances().await.expect("the listing stands");
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|i| i.image_name.is_none()));
    assert!(listed.iter().all(|i| i.image_text() == i.image.as_str()));
    assert!(!glance_requests(&lab).is_empty());

    lab.fake.clear_failures();
    lab.fake.reset_requests();
    provider.list_instances().await.expect("again");
    assert!(
        glance_requests(&lab).is_empty(),
        "asked again at once: {:?}",
        glance_requests(&lab)
    );
}
