//! `--all-regions`: the sweep finds what lives in regions the config does
//! not name (moto keeps one backend per region; Keystone's catalog lists
//! each OpenStack region).

use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};

use super::{Aws, aws_config, ids};

/// Launches one t3.micro named `name` in `region` of moto.
pub(crate) async fn run_in(url: &str, region: &str, name: &str) -> String {
    let config = hytop_testkit::aws_sdk_config(url)
        .await
        .into_builder()
        .region(aws_config::Region::new(region.to_string()))
        .build();
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let images = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("describe images");
    let image = images
        .images()
        .iter()
        .find_map(|i| i.image_id())
        .expect("moto has an AMI in every region")
        .to_string();
    let out = ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .tags(Tag::builder().key("Name").value(name).build())
                .build(),
        )
        .send()
        .await
        .expect("run instances");
    out.instances()
        .first()
        .and_then(|i| i.instance_id())
        .expect("an instance id")
        .to_string()
}

#[test]
fn moto_check_all_regions_finds_an_instance_in_another_region() {
    let aws = Aws::start();
    let stray = aws
        .rt
        .block_on(run_in(&aws.moto.url, "ap-south-1", "forgotten-gpu"));
    // The config names eu-west-1 only; its two instances are fresh.
    let home = aws.home(&aws_config(""));
    let plain = home.hytop(&["check"]);
    plain.expect_code(0);
    assert!(!plain.stdout.contains(&stray), "{plain:#?}");

    let swept = home.hytop(&["check", "--all-regions"]);
    swept.expect_code(1);
    let lines: Vec<&str> = swept.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the stray is flagged: {swept:#?}");
    assert!(
        lines[0].starts_with(&format!(
            "default/ap-south-1 forgotten-gpu {stray} running "
        )),
        "{swept:#?}"
    );
    assert!(
        lines[0].ends_with(": running in ap-south-1, which hytop does not show"),
        "{swept:#?}"
    );
    // stderr says which regions were swept and how long it took.
    let summary = swept.stderr.lines().next().unwrap_or_default();
    assert!(summary.starts_with("hytop: swept "), "{swept:#?}");
    assert!(summary.contains(" s: moto: "), "{swept:#?}");
    for region in ["ap-south-1", "eu-west-1", "us-east-1"] {
        assert!(summary.contains(region), "{region} swept: {summary}");
    }
    assert_eq!(swept.stderr.lines().count(), 1, "no errors: {swept:#?}");

    let listed = home.hytop(&["list", "--all-regions", "--json"]);
    listed.expect_code(0);
    let items = listed.json();
    let mut want = aws.ids.clone();
    want.push(stray.clone());
    assert_eq!(ids(&items), want.into_iter().collect(), "{}", listed.stdout);
    let item = items
        .iter()
        .find(|i| i["id"] == stray.as_str())
        .expect("the stray is listed");
    assert_eq!(item["region"], "ap-south-1");
    assert_eq!(item["flags"][0]["rule"], "unwatched", "{item:#}");
    for shown in items.iter().filter(|i| i["id"] != stray.as_str()) {
        assert_eq!(shown["flags"], serde_json::json!([]), "{shown:#}");
    }
    drop(aws.rt);
}

/// A private Keystone (the shared one's catalog holds every test's region)
/// whose catalog has two regions, each served by its own fakes; the config
/// shows only the first.
#[test]
fn openstack_check_all_regions_sweeps_the_catalog() {
    use hytop_testkit::keystone::Keystone;
    use hytop_testkit::openstack::{FakeOpenStack, FakeOptions, TokenCheck};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ks = Keystone::start_with_token_lifetime(3600);
    let shown = rt.block_on(FakeOpenStack::start(FakeOptions::with(
        TokenCheck::keystone(&ks),
    )));
    let other = rt.block_on(FakeOpenStack::start(FakeOptions::with(
        TokenCheck::keystone(&ks),
    )));
    for (region, fake) in [("RegionOne", &shown), ("RegionTwo", &other)] {
        let endpoints = fake.endpoints();
        let pairs: Vec<(&str, &str)> = endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
        ks.register_region(region, &pairs);
    }
    let user = ks.new_user("sweep");
    let strays = other.seed(&user.project_id, 1);
    let home = super::Home::new(
        "# written by tests/it/cli/sweep.rs\n[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\n",
    );
    let dir = home.path("config").join("openstack");
    std::fs::create_dir_all(&dir).expect("openstack config dir");
    std::fs::write(
        dir.join("clouds.yaml"),
        format!(
            "clouds:\n  lab:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n",
            ks.auth_url(),
            user.user_name,
            user.password,
            user.project_name,
        ),
    )
    .expect("clouds.yaml");

    let plain = home.hytop(&["check"]);
    plain.expect_code(0);

    let swept = home.hytop(&["check", "--all-regions"]);
    swept.expect_code(1);
    let lines: Vec<&str> = swept.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{swept:#?}");
    assert!(
        lines[0].starts_with("lab/RegionTwo ") && lines[0].contains(&strays[0]),
        "{swept:#?}"
    );
    assert!(
        lines[0].ends_with(", which hytop does not show"),
        "{swept:#?}"
    );
    assert_eq!(
        swept.stderr.lines().next().map(|l| l.split(" in ").next()),
        Some(Some("hytop: swept 2 regions")),
        "{swept:#?}"
    );
    assert!(
        swept.stderr.contains(": lab: RegionOne, RegionTwo"),
        "{swept:#?}"
    );
    drop(shown);
    drop(other);
    drop(rt);
}

/// `--profile` shows a profile of a temporary AWS config file in its own
/// region; `--region` adds a region to the configured cloud.
#[test]
fn moto_profile_and_region_flags_show_more_at_start() {
    let aws = Aws::start();
    let stray = aws
        .rt
        .block_on(run_in(&aws.moto.url, "ap-south-1", "lab-gpu"));
    let mut home = super::Home::new(&aws_config(""));
    let aws_file = home.path("home").join("aws-config");
    std::fs::write(
        &aws_file,
        "[default]\nregion = eu-west-1\n\n[profile lab]\nregion = ap-south-1\n",
    )
    .expect("AWS config file");
    // No AWS_REGION: it would outrank the profile's region.
    home = home
        .with("AWS_ACCESS_KEY_ID", "testing")
        .with("AWS_SECRET_ACCESS_KEY", "testing")
        .with("AWS_CONFIG_FILE", aws_file.display().to_string())
        .with("AWS_ENDPOINT_URL_EC2", aws.moto.url.clone())
        .with("AWS_ENDPOINT_URL_CLOUDWATCH", aws.cloudwatch.url.clone());

    let plain = home.hytop(&["list", "--json"]);
    plain.expect_code(0);
    assert!(!plain.stdout.contains(&stray), "{plain:#?}");

    let with_profile = home.hytop(&["list", "--profile", "lab", "--json"]);
    with_profile.expect_code(0);
    let items = with_profile.json();
    let item = items
        .iter()
        .find(|i| i["id"] == stray.as_str())
        .unwrap_or_else(|| panic!("the profile's region is shown: {with_profile:#?}"));
    assert_eq!(item["cloud"], "lab");
    assert_eq!(item["endpoint"], "lab/ap-south-1");
    assert_eq!(
        item["flags"],
        serde_json::json!([]),
        "shown, so not unwatched"
    );
    assert_eq!(
        items.len(),
        3,
        "the configured region too: {with_profile:#?}"
    );

    let with_region = home.hytop(&["list", "--region", "ap-south-1", "--json"]);
    with_region.expect_code(0);
    let items = with_region.json();
    let item = items
        .iter()
        .find(|i| i["id"] == stray.as_str())
        .unwrap_or_else(|| panic!("the region is shown: {with_region:#?}"));
    assert_eq!(item["endpoint"], "default/ap-south-1");
    assert_eq!(item["cloud"], "moto");
    drop(aws.rt);
}
