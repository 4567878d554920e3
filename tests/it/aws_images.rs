//! AMI names in the EC2 listing, against moto's server: one DescribeImages
//! for the AMIs a listing holds, none for the ones already asked about,
//! deregistered ones included.

use hytop_testkit as support;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::types::InstanceType;
use hytop::cloud::Provider;
use hytop::cloud::aws::AwsProvider;
use hytop::domain::model::Instance;
use support::moto::MotoServer;

async fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(hytop::cloud::aws::http_client())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

async fn setup(moto: &MotoServer, region: &str) -> (aws_sdk_ec2::Client, AwsProvider) {
    let config = sdk_config(&moto.url, region).await;
    // CloudWatch is not asked by a listing.
    let cloudwatch = sdk_config("http://127.0.0.1:9", region).await;
    let provider = AwsProvider::with_configs(Some("test".into()), region, &config, &cloudwatch);
    (aws_sdk_ec2::Client::new(&config), provider)
}

async fn run(ec2: &aws_sdk_ec2::Client, ami: &str) -> String {
    ec2.run_instances()
        .image_id(ami)
        .instance_type(InstanceType::T2Nano)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("run instances")
        .instances()[0]
        .instance_id()
        .expect("an id")
        .to_string()
}

async fn create_image(ec2: &aws_sdk_ec2::Client, instance: &str, name: &str) -> String {
    ec2.create_image()
        .instance_id(instance)
        .name(name)
        .send()
        .await
        .expect("create image")
        .image_id()
        .expect("an AMI id")
        .to_string()
}

fn image_name_of(list: &[Instance], id: &str) -> Option<String> {
    list.iter()
        .find(|i| i.id == id)
        .expect("listed")
        .image_name
        .as_deref()
        .map(str::to_string)
}

fn describe_images_calls(p: &AwsProvider) -> u64 {
    p.api_calls().get("DescribeImages").copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_name_amis_with_one_describe_images_per_new_ami() {
    let moto = MotoServer::start();
    let (ec2, p) = setup(&moto, "eu-west-1").await;
    let amazon = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("describe images")
        .images()
        .iter()
        .find(|i| i.name().is_some_and(|n| !n.is_empty()))
        .cloned()
        .expect("moto has a named AMI");
    let (amazon_id, amazon_name) = (
        amazon.image_id().expect("id").to_string(),
        amazon.name().expect("name").to_string(),
    );
    let base = run(&ec2, &amazon_id).await;
    let golden = create_image(&ec2, &base, "ubuntu-22.04-lab").await;
    let from_golden = run(&ec2, &golden).await;
    let doomed = create_image(&ec2, &base, "soon-gone").await;
    let from_doomed = run(&ec2, &doomed).await;
    ec2.deregister_image()
        .image_id(&doomed)
        .send()
        .await
        .expect("deregister");

    let first = p.list_instances().await.expect("listing");
    assert_eq!(image_name_of(&first, &base), Some(amazon_name.clone()));
    assert_eq!(
        image_name_of(&first, &from_golden).as_deref(),
        Some("ubuntu-22.04-lab")
    );
    assert_eq!(image_name_of(&first, &from_doomed), None, "deregistered");
    let golden_instance = first.iter().find(|i| i.id == from_golden).expect("listed");
    assert_eq!(
        golden_instance.image_text(),
        format!("ubuntu-22.04-lab ({golden})")
    );
    assert_eq!(describe_images_calls(&p), 1, "{:?}", p.api_calls());

    // Nothing new: no DescribeImages, and the same names.
    let second = p.list_instances().await.expect("again");
    assert_eq!(describe_images_calls(&p), 1, "{:?}", p.api_calls());
    for i in &first {
        assert_eq!(
            image_name_of(&second, &i.id),
            i.image_name.as_deref().map(str::to_string)
        );
    }

    // A new AMI in the fleet is asked about, once.
    let fresh = create_image(&ec2, &base, "debian-12-lab").await;
    let from_fresh = run(&ec2, &fresh).await;
    let third = p.list_instances().await.expect("third");
    assert_eq!(
        image_name_of(&third, &from_fresh).as_deref(),
        Some("debian-12-lab")
    );
    assert_eq!(
        image_name_of(&third, &from_golden).as_deref(),
        Some("ubuntu-22.04-lab")
    );
    assert_eq!(describe_images_calls(&p), 2, "{:?}", p.api_calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ami_ec2_never_knew_is_asked_once_and_does_not_fail_the_listing() {
    let moto = MotoServer::start();
    let (ec2, p) = setup(&moto, "us-east-1").await;
    // moto launches from any AMI id; asked by id, EC2 answers
    // InvalidAMIID.NotFound for the whole call.
    let unknown = run(&ec2, "ami-0123456789abcdef0").await;
    let refused = ec2
        .describe_images()
        .image_ids("ami-0123456789abcdef0")
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");

    let first = p.list_instances().await.expect("the listing stands");
    assert_eq!(image_name_of(&first, &unknown), None);
    let first_calls = describe_images_calls(&p);
    // By id (refused), then the same id as a filter (answered: none).
    assert_eq!(first_calls, 2, "{:?}", p.api_calls());
    let again = p.list_instances().await.expect("again");
    assert_eq!(image_name_of(&again, &unknown), None);
    assert_eq!(
        describe_images_calls(&p),
        first_calls,
        "remembered as unknown"
    );
}
