//! The AWS provider against answers no emulator gives: EC2 listings cut
//! short but well framed, HTML and plain-text error pages of proxies,
//! garbage, connections closed mid-answer, sustained throttling. They come
//! from the fault server of tests/support/faults.rs, which also records what
//! hytop asked.

use hytop_testkit as support;

use std::time::Duration;

use aws_sdk_ec2::config::Credentials;
use hytop::cloud::aws::{AwsProvider, VOLUME_PAGE_SIZE};
use hytop::cloud::{CloudError, MetricsQuery, Provider};
use support::faults::{FaultServer, Reply, Request, ec2};

/// Credentials no answer may ever show: distinctive, so a leak is found.
const ACCESS_KEY: &str = "AKIAFAULTTESTKEY0001";
const SECRET_KEY: &str = "faultSecretKey/DoNotShow0123456789abcdefgh";
const SESSION_TOKEN: &str = "FaultSessionTokenDoNotShow0123456789";

/// An SDK configuration talking to `url`, with the credentials above and
/// the SDK's standard retries backing off for milliseconds.
async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(support::TEST_REGION))
        .credentials_provider(Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            Some(SESSION_TOKEN.to_string()),
            None,
            "faults",
        ))
        .endpoint_url(url)
        .http_client(support::aws_http_client())
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .load()
        .await
}

/// A provider whose EC2 and CloudWatch calls both go to `server`.
async fn provider(server: &FaultServer) -> AwsProvider {
    let config = sdk_config(&server.url).await;
    AwsProvider::with_configs(
        Some("faults".into()),
        support::TEST_REGION,
        &config,
        &config,
    )
}

fn two_instances() -> String {
    ec2::describe_instances(
        &[
            ec2::instance("i-0aaaaaaaaaaaaaaaa"),
            ec2::instance("i-0bbbbbbbbbbbbbbbb"),
        ],
        None,
    )
}

/// The listing the fault server gives for `DescribeInstances`.
async fn listing_of(body: String) -> (FaultServer, Result<usize, CloudError>) {
    let server = FaultServer::start(ec2::listing(move |_| Reply::xml(200, body.clone()))).await;
    let listed = provider(&server).await.list_instances().await;
    (server, listed.map(|l| l.len()))
}

/// Checks that an error reads as a sentence, with no debug dump of the
/// SDK's types and none of the request's secrets.
fn assert_plain(err: &CloudError, requests: &[Request]) {
    let text = err.to_string();
    // Shown with a failing test's output (and with --nocapture).
    eprintln!("the error reads: {text}");
    for dump in ["Unhandled", "ErrorMetadata", "{ ", "Error {", "Some("] {
        assert!(!text.contains(dump), "debug dump ({dump:?}) in: {text}");
    }
    for secret in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
        assert!(!text.contains(secret), "secret in: {text}");
    }
    for r in requests {
        let auth = r.header("authorization").expect("a signed request");
        let signature = auth.rsplit("Signature=").next().expect("a SigV4 signature");
        assert!(signature.len() >= 32, "{auth}");
        assert!(!text.contains(signature), "signature in: {text}");
    }
    assert!(text.len() < 400, "one line, not a dump: {text}");
}

// ------------------------------------------------------------- A: listings

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_listing_is_listed() {
    // The control for the cut-apart answers below: whole, the same
    // document is a good listing.
    let (_server, listed) = listing_of(two_instances()).await;
    assert_eq!(listed, Ok(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_cut_inside_an_instance_id_is_an_error() {
    let full = two_instances();
    let cut = full.find("<instanceId>i-0bbb").expect("second id") + "<instanceId>i-0b".len();
    let (server, listed) = listing_of(full[..cut].to_string()).await;
    let err = listed.expect_err("a cut-off listing is not a listing");
    assert_eq!(err.code.as_deref(), Some("BadResponse"), "{err}");
    assert!(
        err.message.contains("200 OK from the EC2 endpoint"),
        "{err}"
    );
    assert!(err.message.contains("<instanceId>"), "names where: {err}");
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_without_its_closing_tag_is_an_error() {
    let full = two_instances();
    let open = full.replace("</DescribeInstancesResponse>", "");
    let (server, listed) = listing_of(open).await;
    let err = listed.expect_err("an unclosed document is not a listing");
    assert!(err.message.contains("<DescribeInstancesResponse>"), "{err}");
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_without_state_id_or_launch_time_fails_the_listing() {
    let cases = [
        (
            "<instanceState><code>16</code><name>running</name></instanceState>",
            "state",
        ),
        (
            "<instanceId>i-0bbbbbbbbbbbbbbbb</instanceId>",
            "instance id",
        ),
        (
            "<launchTime>2026-01-05T10:00:00.000Z</launchTime>",
            "launch time",
        ),
    ];
    for (field, named) in cases {
        let first = ec2::instance("i-0aaaaaaaaaaaaaaaa");
        let second = ec2::instance("i-0bbbbbbbbbbbbbbbb").replacen(field, "", 1);
        assert!(!second.contains(field), "{field} removed");
        let body = ec2::describe_instances(&[first, second], None);
        let (server, listed) = listing_of(body).await;
        let err = listed.expect_err(named);
        assert_eq!(err.code.as_deref(), Some("BadResponse"), "{err}");
        assert!(err.message.contains(named), "names the {named}: {err}");
        assert_plain(&err, &server.requests());
    }
}

// ------------------------------------------------ B: answers not from AWS

/// The first DescribeInstances error for a server answering `reply` to it.
async fn describe_error(reply: Reply) -> (FaultServer, CloudError) {
    let server = FaultServer::start(ec2::listing(move |_| reply.clone())).await;
    let err = provider(&server)
        .await
        .list_instances()
        .await
        .expect_err("not a listing");
    (server, err)
}

const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_html_page_is_its_status_and_first_line() {
    let (server, err) = describe_error(Reply::new(502, "text/html", NGINX_502)).await;
    assert_eq!(
        err.to_string(),
        "502: Bad Gateway from the EC2 endpoint: nginx/1.24.0"
    );
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_errors_are_their_status_and_first_line() {
    let (server, err) = describe_error(Reply::new(
        503,
        "text/plain",
        "upstream connect error or disconnect/reset before headers\nreset reason: overflow\n",
    ))
    .await;
    assert_eq!(
        err.to_string(),
        "503: Service Unavailable from the EC2 endpoint: upstream connect error or disconnect/reset before headers"
    );
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_with_200_is_a_bad_response() {
    let (server, err) = describe_error(Reply::new(
        200,
        "text/plain",
        "hello from the captive portal\n<<<>>>",
    ))
    .await;
    assert_eq!(err.code.as_deref(), Some("BadResponse"), "{err}");
    assert!(
        err.message.starts_with("200 OK from the EC2 endpoint"),
        "{err}"
    );
    assert!(
        err.message.contains("hello from the captive portal"),
        "{err}"
    );
    assert_plain(&err, &server.requests());

    // Well-formed, but not EC2's.
    let (server, err) = describe_error(Reply::xml(200, "<html><body>Welcome</body></html>")).await;
    assert_eq!(err.code.as_deref(), Some("BadResponse"), "{err}");
    assert!(err.message.contains("Welcome"), "{err}");
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_mid_answer_is_a_plain_error() {
    let full = two_instances();
    let half = full[..full.len() / 2].to_string();
    let (server, err) = describe_error(Reply::xml(200, half).cut_off(full.len())).await;
    assert!(err.message.contains("EC2 endpoint"), "{err}");
    assert!(err.message.contains("closed"), "{err}");
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_echoing_the_request_never_shows_its_credentials() {
    // Some proxies print the request they refused, headers and all.
    let server = FaultServer::start(ec2::listing(|r: &Request| {
        let echo = format!(
            "<html><body><p>refused: Authorization: {} X-Amz-Security-Token: {}</p></body></html>",
            r.header("authorization").unwrap_or_default(),
            r.header("x-amz-security-token").unwrap_or_default()
        );
        Reply::new(502, "text/html", echo)
    }))
    .await;
    let err = provider(&server)
        .await
        .list_instances()
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("502: Bad Gateway from the EC2 endpoint"),
        "{err}"
    );
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_html_errors_are_plain_too() {
    let server = FaultServer::always(Reply::new(502, "text/html", NGINX_502)).await;
    let end = chrono::Utc::now();
    let query = MetricsQuery::series(
        vec!["i-0aaaaaaaaaaaaaaaa".into()],
        end,
        chrono::Duration::minutes(30),
    );
    let err = provider(&server)
        .await
        .metrics(&query)
        .await
        .expect_err("not CloudWatch");
    assert_eq!(
        err.to_string(),
        "502: Bad Gateway from the CloudWatch endpoint: nginx/1.24.0"
    );
    assert_plain(&err, &server.requests());
}

// ------------------------------------------------------------- D: paging

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_ask_for_the_largest_page_and_follow_next_token() {
    let server = FaultServer::start(ec2::listing(|r: &Request| {
        let body = match r.param("NextToken").as_deref() {
            None => ec2::describe_instances(
                &[
                    ec2::instance("i-0aaaaaaaaaaaaaaaa"),
                    ec2::instance("i-0bbbbbbbbbbbbbbbb"),
                ],
                Some("page-2"),
            ),
            Some("page-2") => {
                ec2::describe_instances(&[ec2::instance("i-0cccccccccccccccc")], None)
            }
            Some(other) => ec2::error("InvalidParameterValue", &format!("token {other}")),
        };
        Reply::xml(200, body)
    }))
    .await;
    let listed = provider(&server)
        .await
        .list_instances()
        .await
        .expect("two pages");
    let ids: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "i-0aaaaaaaaaaaaaaaa",
            "i-0bbbbbbbbbbbbbbbb",
            "i-0cccccccccccccccc"
        ]
    );
    let pages: Vec<Request> = server
        .requests()
        .into_iter()
        .filter(|r| r.action().as_deref() == Some("DescribeInstances"))
        .collect();
    assert_eq!(pages.len(), 2);
    for page in &pages {
        assert_eq!(page.param("MaxResults").as_deref(), Some("1000"));
        assert!(
            page.params()
                .iter()
                .all(|(k, _)| !k.starts_with("InstanceId")),
            "MaxResults cannot go with InstanceIds"
        );
    }
    assert_eq!(pages[0].param("NextToken"), None);
    assert_eq!(pages[1].param("NextToken").as_deref(), Some("page-2"));
}

/// One attached EBS volume of a `volumeSet`, as the EC2 API reference's
/// DescribeVolumes example writes it.
fn volume_item(id: &str) -> String {
    format!(
        "<item><volumeId>{id}</volumeId><size>8</size><snapshotId/>\
         <availabilityZone>eu-west-1a</availabilityZone><status>in-use</status>\
         <createTime>2026-01-05T10:00:00.000Z</createTime>\
         <attachmentSet><item><volumeId>{id}</volumeId>\
         <instanceId>i-0aaaaaaaaaaaaaaaa</instanceId><device>/dev/xvda</device>\
         <status>attached</status><attachTime>2026-01-05T10:00:00.000Z</attachTime>\
         <deleteOnTermination>false</deleteOnTermination></item></attachmentSet>\
         <volumeType>gp3</volumeType><encrypted>false</encrypted>\
         <tagSet><item><key>Name</key><value>{id}-name</value></item></tagSet></item>"
    )
}

fn describe_volumes(items: &[String], next_token: Option<&str>) -> String {
    let token = next_token
        .map(|t| format!("<nextToken>{t}</nextToken>"))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
         <requestId>fault-0004</requestId><volumeSet>{}</volumeSet>{token}\
         </DescribeVolumesResponse>",
        items.concat()
    )
}

/// A fault server answering DescribeVolumes with `describe`.
async fn volumes_server(
    describe: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> FaultServer {
    FaultServer::start(move |r: &Request| match r.action().as_deref() {
        Some("DescribeVolumes") => describe(r),
        other => Reply::xml(
            400,
            ec2::error("InvalidAction", &format!("not served: {other:?}")),
        ),
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_listings_ask_for_the_largest_page_and_follow_next_token() {
    // moto answers every volume at once, whatever MaxResults says: paging
    // is only seen here.
    let server = volumes_server(|r: &Request| {
        let body = match r.param("NextToken").as_deref() {
            None => describe_volumes(
                &[
                    volume_item("vol-0aaaaaaaaaaaaaaaa"),
                    volume_item("vol-0bbbbbbbbbbbbbbbb"),
                ],
                Some("page-2"),
            ),
            Some("page-2") => describe_volumes(&[volume_item("vol-0cccccccccccccccc")], None),
            Some(other) => ec2::error("InvalidParameterValue", &format!("token {other}")),
        };
        Reply::xml(200, body)
    })
    .await;
    let listed = provider(&server)
        .await
        .list_volumes()
        .await
        .expect("two pages");
    let ids: Vec<&str> = listed.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "vol-0aaaaaaaaaaaaaaaa",
            "vol-0bbbbbbbbbbbbbbbb",
            "vol-0cccccccccccccccc"
        ]
    );
    let v = &listed[0];
    assert_eq!(v.name.as_deref(), Some("vol-0aaaaaaaaaaaaaaaa-name"));
    assert_eq!(v.size_gb, Some(8));
    assert_eq!(v.volume_type.as_deref(), Some("gp3"));
    assert_eq!(v.state, "in-use");
    assert_eq!(v.instance_id.as_deref(), Some("i-0aaaaaaaaaaaaaaaa"));
    assert_eq!(v.device.as_deref(), Some("/dev/xvda"));
    assert_eq!(v.delete_on_termination, Some(false));
    assert!(v.outlives_instance());

    let pages = server.requests();
    assert_eq!(pages.len(), 2, "one call a page");
    assert_eq!(VOLUME_PAGE_SIZE, 500, "the largest page EC2 answers");
    for page in &pages {
        assert_eq!(page.action().as_deref(), Some("DescribeVolumes"));
        assert_eq!(page.param("MaxResults").as_deref(), Some("500"));
        assert!(
            page.params()
                .iter()
                .all(|(k, _)| !k.starts_with("VolumeId")),
            "MaxResults cannot go with VolumeIds"
        );
    }
    assert_eq!(pages[0].param("NextToken"), None);
    assert_eq!(pages[1].param("NextToken").as_deref(), Some("page-2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_without_an_id_fails_the_listing() {
    let server = volumes_server(|_| {
        let damaged = volume_item("vol-0bbbbbbbbbbbbbbbb").replacen(
            "<volumeId>vol-0bbbbbbbbbbbbbbbb</volumeId>",
            "",
            1,
        );
        Reply::xml(
            200,
            describe_volumes(&[volume_item("vol-0aaaaaaaaaaaaaaaa"), damaged], None),
        )
    })
    .await;
    let err = provider(&server)
        .await
        .list_volumes()
        .await
        .expect_err("a damaged listing is not used");
    assert_eq!(err.code.as_deref(), Some("BadResponse"), "{err}");
    assert!(err.message.contains("without a volume id"), "{err}");
    assert_plain(&err, &server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_volume_refusal_is_its_code_and_message() {
    let server = FaultServer::start(|_: &Request| {
        Reply::xml(
            400,
            ec2::error(
                "VolumeInUse",
                "Volume vol-0aaaaaaaaaaaaaaaa is currently attached to i-0aaaaaaaaaaaaaaaa",
            ),
        )
    })
    .await;
    let err = provider(&server)
        .await
        .delete_volume("vol-0aaaaaaaaaaaaaaaa")
        .await
        .expect_err("refused");
    assert_eq!(err.code.as_deref(), Some("VolumeInUse"), "{err}");
    assert_eq!(
        err.to_string(),
        "VolumeInUse: Volume vol-0aaaaaaaaaaaaaaaa is currently attached to i-0aaaaaaaaaaaaaaaa"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "a refusal is not retried");
    assert_eq!(requests[0].action().as_deref(), Some("DeleteVolume"));
    assert_eq!(
        requests[0].param("VolumeId").as_deref(),
        Some("vol-0aaaaaaaaaaaaaaaa")
    );
    assert_plain(&err, &requests);
}

// ------------------------------------------------------- E: throttling

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_throttling_is_recognisable() {
    let (server, err) = describe_error(Reply::xml(
        503,
        ec2::error("RequestLimitExceeded", "Request limit exceeded."),
    ))
    .await;
    assert_eq!(
        err.to_string(),
        "RequestLimitExceeded: Request limit exceeded."
    );
    assert!(err.is_throttled(), "{err}");
    let attempts = server
        .requests()
        .iter()
        .filter(|r| r.action().as_deref() == Some("DescribeInstances"))
        .count();
    assert_eq!(attempts, 3, "the SDK's bounded retries, then the error");

    // A load balancer shedding load, without an AWS error document.
    let (_server, err) = describe_error(Reply::new(429, "text/plain", "slow down\n")).await;
    assert_eq!(
        err.to_string(),
        "429: Too Many Requests from the EC2 endpoint: slow down"
    );
    assert!(err.is_throttled(), "{err}");

    // Not every failure is a reason to back off.
    let (_server, err) = describe_error(Reply::new(502, "text/html", NGINX_502)).await;
    assert!(!err.is_throttled(), "{err}");
    let (_server, err) = describe_error(Reply::xml(
        400,
        ec2::error("UnauthorizedOperation", "You are not authorized."),
    ))
    .await;
    assert!(!err.is_throttled(), "{err}");
}
