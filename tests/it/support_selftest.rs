//! Tests of the test doubles in tests/support themselves, driven by the real
//! AWS SDK clients hytop uses. Run with `./scripts/test --test it support_selftest`
//! (moto comes from the .venv that script creates).

use hytop_testkit as support;

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat, ScanBy, StatusCode,
};
use ciborium::Value;
use support::cloudwatch::{
    Behaviour, FakeCloudWatch, GET_METRIC_DATA_PATH, Query, THROTTLING_CODE, expected_timestamps,
    expected_value,
};
use support::moto::MotoServer;

// ---------------------------------------------------------------- moto

#[tokio::test]
async fn moto_runs_and_describes_instances_for_the_ec2_sdk() {
    let moto = MotoServer::start();
    let ec2 = aws_sdk_ec2::Client::new(&support::aws_sdk_config(&moto.url).await);

    let images = ec2
        .describe_images()
        .owners("amazon")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("amzn2-ami-hvm-*")
                .build(),
        )
        .send()
        .await
        .expect("DescribeImages");
    let ami = images
        .images()
        .first()
        .and_then(|i| i.image_id())
        .expect("moto has Amazon Linux 2 images")
        .to_string();

    let run = ec2
        .run_instances()
        .image_id(&ami)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(2)
        .max_count(2)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value("selftest")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("RunInstances");
    let mut launched: Vec<String> = run
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    launched.sort();
    assert_eq!(launched.len(), 2);

    let described = ec2
        .describe_instances()
        .send()
        .await
        .expect("DescribeInstances");
    let instances: Vec<_> = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    let mut ids: Vec<String> = instances
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    ids.sort();
    assert_eq!(ids, launched);
    for instance in &instances {
        assert_eq!(instance.image_id(), Some(ami.as_str()));
        assert_eq!(
            instance.instance_type(),
            Some(&aws_sdk_ec2::types::InstanceType::T3Micro)
        );
        let zone = instance
            .placement()
            .and_then(|p| p.availability_zone())
            .unwrap_or_default();
        assert!(
            zone.starts_with(support::TEST_REGION),
            "moto took the region from the credential scope: {zone}"
        );
        let name = instance
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value());
        assert_eq!(name, Some("selftest"));
    }

    moto.reset();
    let after_reset = ec2
        .describe_instances()
        .send()
        .await
        .expect("DescribeInstances after reset");
    assert!(
        after_reset.reservations().is_empty(),
        "reset forgets instances: {after_reset:?}"
    );
}

#[test]
fn moto_keeps_regions_apart_and_stops_on_drop() {
    let moto = MotoServer::start();
    let addr = moto.addr;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let in_region = aws_sdk_ec2::Client::new(&support::aws_sdk_config(&moto.url).await);
        in_region
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .expect("RunInstances");
        let other_config =
            aws_sdk_ec2::config::Builder::from(&support::aws_sdk_config(&moto.url).await)
                .region(aws_sdk_ec2::config::Region::new("us-east-1"))
                .build();
        let other = aws_sdk_ec2::Client::from_conf(other_config);
        let elsewhere = other.describe_instances().send().await.unwrap();
        assert!(elsewhere.reservations().is_empty());
        let here = in_region.describe_instances().send().await.unwrap();
        assert_eq!(here.reservations().len(), 1);
    });
    assert!(moto.log().contains("POST / HTTP/1.1"), "{}", moto.log());
    drop(moto);
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "moto still listens on {addr} after drop"
    );
}

// ---------------------------------------------------------------- both

#[tokio::test]
async fn moto_instances_have_metrics_in_the_cloudwatch_fake() {
    let moto = MotoServer::start();
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let (ec2, cw) = support::aws_clients(&moto.url, &fake.url).await;
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances");
    let id = run.instances()[0].instance_id().unwrap().to_string();
    let out = cw
        .get_metric_data()
        .metric_data_queries(query("cpu_0", "CPUUtilization", &id, 60, "Average"))
        .start_time(DateTime::from_secs(T0))
        .end_time(DateTime::from_secs(T0 + 180))
        .send()
        .await
        .expect("GetMetricData");
    let values = out.metric_data_results()[0].values().to_vec();
    let expected: Vec<f64> = [T0 + 120, T0 + 60, T0]
        .iter()
        .map(|t| expected_value("CPUUtilization", &id, *t))
        .collect();
    assert_eq!(values, expected);
    assert_eq!(
        fake.calls()[0].queries[0].instance_id.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
}

// ---------------------------------------------------------------- CloudWatch

/// 2024-01-01T00:00:00Z, a multiple of every period used here.
const T0: i64 = 1_704_067_200;

async fn cloudwatch(fake: &FakeCloudWatch) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&support::aws_sdk_config(&fake.url).await)
}

fn query(id: &str, metric: &str, instance: &str, period: i32, stat: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/EC2")
                        .metric_name(metric)
                        .dimensions(
                            Dimension::builder()
                                .name("InstanceId")
                                .value(instance)
                                .build(),
                        )
                        .build(),
                )
                .period(period)
                .stat(stat)
                .build(),
        )
        .return_data(true)
        .build()
}

fn points(result: &MetricDataResult) -> Vec<(i64, f64)> {
    result
        .timestamps()
        .iter()
        .map(|t| t.secs())
        .zip(result.values().iter().copied())
        .collect()
}

fn expected_points(
    metric: &str,
    instance: &str,
    start: i64,
    end: i64,
    period: i64,
) -> Vec<(i64, f64)> {
    expected_timestamps(start as f64, end as f64, period)
        .into_iter()
        .map(|t| (t, expected_value(metric, instance, t)))
        .collect()
}

#[tokio::test]
async fn cloudwatch_fake_decodes_the_sdk_request_and_answers_it() {
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let cw = cloudwatch(&fake).await;
    let (start, end) = (T0, T0 + 3600);

    let out = cw
        .get_metric_data()
        .metric_data_queries(query("cpu_0", "CPUUtilization", "i-0aaa", 300, "Average"))
        .metric_data_queries(query("net_0", "NetworkIn", "i-0bbb", 60, "Sum"))
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("GetMetricData");

    assert_eq!(fake.violations(), Vec::<String>::new());
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert!(call.headers_ok);
    assert_eq!((call.start, call.end), (start as f64, end as f64));
    assert_eq!(call.next_token, None);
    assert_eq!(call.scan_by.as_deref(), Some("TimestampAscending"));
    assert_eq!(
        call.queries,
        vec![
            Query {
                id: "cpu_0".into(),
                namespace: "AWS/EC2".into(),
                metric: "CPUUtilization".into(),
                instance_id: Some("i-0aaa".into()),
                period: 300,
                stat: "Average".into(),
                return_data: true,
                label: None,
            },
            Query {
                id: "net_0".into(),
                namespace: "AWS/EC2".into(),
                metric: "NetworkIn".into(),
                instance_id: Some("i-0bbb".into()),
                period: 60,
                stat: "Sum".into(),
                return_data: true,
                label: None,
            },
        ]
    );

    assert_eq!(out.next_token(), None);
    let results = out.metric_data_results();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].id(), Some("cpu_0"));
    assert_eq!(results[0].label(), Some("CPUUtilization"));
    assert_eq!(results[0].status_code(), Some(&StatusCode::Complete));
    let cpu = points(&results[0]);
    assert_eq!(cpu.len(), 12);
    assert_eq!(
        cpu,
        expected_points("CPUUtilization", "i-0aaa", start, end, 300)
    );
    assert_eq!(cpu[0].0, start);
    assert!(cpu.iter().all(|(_, v)| (0.0..100.0).contains(v)));
    assert_eq!(results[1].id(), Some("net_0"));
    let net = points(&results[1]);
    assert_eq!(net.len(), 60);
    assert_eq!(net, expected_points("NetworkIn", "i-0bbb", start, end, 60));
    assert!(net.iter().all(|(_, v)| *v >= 0.0 && v.fract() == 0.0));
}

#[tokio::test]
async fn cloudwatch_fake_scans_newest_first_by_default_and_skips_empty_instances() {
    let fake = FakeCloudWatch::start(Behaviour {
        empty_for: vec!["i-0empty".into()],
        ..Behaviour::default()
    })
    .await;
    let cw = cloudwatch(&fake).await;
    let out = cw
        .get_metric_data()
        .metric_data_queries(query(
            "cpu_full",
            "CPUUtilization",
            "i-0full",
            60,
            "Maximum",
        ))
        .metric_data_queries(query(
            "cpu_empty",
            "CPUUtilization",
            "i-0empty",
            60,
            "Maximum",
        ))
        // Not aligned: datapoints fall on the minutes inside the range.
        .start_time(DateTime::from_secs_f64(T0 as f64 + 30.5))
        .end_time(DateTime::from_secs(T0 + 300))
        .send()
        .await
        .expect("GetMetricData");
    assert_eq!(fake.violations(), Vec::<String>::new());
    let results = out.metric_data_results();
    let full = points(&results[0]);
    let times: Vec<i64> = full.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![T0 + 240, T0 + 180, T0 + 120, T0 + 60]);
    assert_eq!(results[1].id(), Some("cpu_empty"));
    assert!(results[1].timestamps().is_empty() && results[1].values().is_empty());
    assert_eq!(results[1].status_code(), Some(&StatusCode::Complete));
}

#[tokio::test]
async fn cloudwatch_fake_pages_with_next_token() {
    let fake = FakeCloudWatch::start(Behaviour {
        max_datapoints_per_page: Some(5),
        ..Behaviour::default()
    })
    .await;
    let cw = cloudwatch(&fake).await;
    let (start, end) = (T0, T0 + 3600);

    let pages: Vec<_> = cw
        .get_metric_data()
        .metric_data_queries(query("a", "CPUUtilization", "i-1", 300, "Average"))
        .metric_data_queries(query("b", "NetworkIn", "i-2", 300, "Average"))
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .scan_by(ScanBy::TimestampAscending)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .expect("all pages");

    // 2 queries x 12 datapoints, 5 a page.
    assert_eq!(pages.len(), 5);
    let calls = fake.calls();
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[0].next_token, None);
    assert!(calls[1..].iter().all(|c| c.next_token.is_some()));
    assert_eq!(fake.violations(), Vec::<String>::new());

    let mut merged: std::collections::BTreeMap<String, Vec<(i64, f64)>> = Default::default();
    for (i, page) in pages.iter().enumerate() {
        let ids: Vec<_> = page.metric_data_results().iter().map(|r| r.id()).collect();
        assert_eq!(
            ids,
            vec![Some("a"), Some("b")],
            "every page names every query"
        );
        assert_eq!(page.next_token().is_some(), i + 1 < pages.len());
        for result in page.metric_data_results() {
            assert!(result.values().len() <= 5);
            merged
                .entry(result.id().unwrap().to_string())
                .or_default()
                .extend(points(result));
        }
    }
    assert_eq!(
        merged["a"],
        expected_points("CPUUtilization", "i-1", start, end, 300)
    );
    assert_eq!(
        merged["b"],
        expected_points("NetworkIn", "i-2", start, end, 300)
    );
    // "a" is complete on page 3 (datapoints 10..15 hold a's last two).
    assert_eq!(
        pages[1].metric_data_results()[0].status_code(),
        Some(&StatusCode::PartialData)
    );
    assert_eq!(
        pages[2].metric_data_results()[0].status_code(),
        Some(&StatusCode::Complete)
    );
}

#[tokio::test]
async fn cloudwatch_fake_rejects_a_next_token_from_another_request() {
    let fake = FakeCloudWatch::start(Behaviour {
        max_datapoints_per_page: Some(2),
        ..Behaviour::default()
    })
    .await;
    let cw = cloudwatch(&fake).await;
    let first = cw
        .get_metric_data()
        .metric_data_queries(query("a", "CPUUtilization", "i-1", 60, "Average"))
        .start_time(DateTime::from_secs(T0))
        .end_time(DateTime::from_secs(T0 + 600))
        .send()
        .await
        .unwrap();
    let token = first.next_token().expect("a second page").to_string();
    let err = cw
        .get_metric_data()
        .metric_data_queries(query("a", "CPUUtilization", "i-1", 60, "Average"))
        .start_time(DateTime::from_secs(T0))
        .end_time(DateTime::from_secs(T0 + 1200))
        .next_token(token)
        .send()
        .await
        .expect_err("the token belongs to another time range");
    assert_eq!(err.code(), Some("InvalidNextToken"));
    assert!(
        err.into_service_error().is_invalid_next_token(),
        "the SDK maps it to its modelled error"
    );
    let violations = fake.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].contains("different request"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn cloudwatch_fake_throttles_and_the_sdk_retries() {
    let fake = FakeCloudWatch::start(Behaviour {
        throttle_first: 1,
        ..Behaviour::default()
    })
    .await;
    let cw = cloudwatch(&fake).await;
    let out = cw
        .get_metric_data()
        .metric_data_queries(query("cpu", "CPUUtilization", "i-1", 60, "Average"))
        .start_time(DateTime::from_secs(T0))
        .end_time(DateTime::from_secs(T0 + 120))
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(out.metric_data_results()[0].values().len(), 2);
    let calls = fake.calls();
    assert_eq!(calls.len(), 2, "one throttled call, one retry");
    assert_eq!(calls[0], calls[1]);
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn cloudwatch_fake_always_throttling_gives_the_throttling_code() {
    let fake = FakeCloudWatch::start(Behaviour {
        always_throttle: true,
        ..Behaviour::default()
    })
    .await;
    let cw = cloudwatch(&fake).await;
    let err = cw
        .get_metric_data()
        .metric_data_queries(query("cpu", "CPUUtilization", "i-1", 60, "Average"))
        .start_time(DateTime::from_secs(T0))
        .end_time(DateTime::from_secs(T0 + 120))
        .send()
        .await
        .expect_err("always throttled");
    assert_eq!(err.code(), Some(THROTTLING_CODE), "{err:?}");
    assert_eq!(err.message(), Some("Rate exceeded"));
    assert_eq!(
        fake.calls().len(),
        3,
        "the SDK tried 3 times (support::aws_sdk_config)"
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn cloudwatch_fake_records_violations() {
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let cw = cloudwatch(&fake).await;
    let bad_namespace = MetricDataQuery::builder()
        .id("Upper")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/EBS")
                        .metric_name("VolumeReadOps")
                        .build(),
                )
                .period(90)
                .build(),
        )
        .build();
    let _ = cw
        .get_metric_data()
        .metric_data_queries(bad_namespace)
        .metric_data_queries(query("dup", "CPUUtilization", "i-1", 60, "Average"))
        .metric_data_queries(query("dup", "NetworkIn", "i-1", 60, "Average"))
        .start_time(DateTime::from_secs(T0 + 60))
        .end_time(DateTime::from_secs(T0))
        .send()
        .await;
    let violations = fake.violations().join("\n");
    for expected in [
        "Id must match",
        "namespace \"AWS/EBS\"",
        "metric \"VolumeReadOps\"",
        "no InstanceId dimension",
        "Period 90",
        "Stat is missing",
        "Id is used twice",
        "is not before EndTime",
    ] {
        assert!(
            violations.contains(expected),
            "{expected:?} not in:\n{violations}"
        );
    }
}

/// What the SDK cannot show: the raw bytes. Integer timestamps and definite
/// maps are decoded, missing headers are flagged, and the answer carries
/// tag-1 float timestamps and the protocol headers.
#[tokio::test]
async fn cloudwatch_fake_on_the_wire() {
    let fake = FakeCloudWatch::start(Behaviour::default()).await;
    let addr: SocketAddr = fake.url.trim_start_matches("http://").parse().unwrap();
    let text = |s: &str| Value::Text(s.into());
    let request = Value::Map(vec![
        (
            text("MetricDataQueries"),
            Value::Array(vec![Value::Map(vec![
                (text("Id"), text("q1")),
                (
                    text("MetricStat"),
                    Value::Map(vec![
                        (
                            text("Metric"),
                            Value::Map(vec![
                                (text("Namespace"), text("AWS/EC2")),
                                (text("MetricName"), text("CPUUtilization")),
                                (
                                    text("Dimensions"),
                                    Value::Array(vec![Value::Map(vec![
                                        (text("Name"), text("InstanceId")),
                                        (text("Value"), text("i-1")),
                                    ])]),
                                ),
                            ]),
                        ),
                        (text("Period"), Value::Integer(60.into())),
                        (text("Stat"), text("Average")),
                    ]),
                ),
            ])]),
        ),
        (
            text("StartTime"),
            Value::Tag(1, Box::new(Value::Integer(T0.into()))),
        ),
        (
            text("EndTime"),
            Value::Tag(1, Box::new(Value::Integer((T0 + 120).into()))),
        ),
    ]);
    let mut body = Vec::new();
    ciborium::into_writer(&request, &mut body).unwrap();

    let response = tokio::task::spawn_blocking(move || {
        support::http_request(
            addr,
            "POST",
            GET_METRIC_DATA_PATH,
            &[("Content-Type", "application/cbor")],
            &body,
            Duration::from_secs(10),
        )
    })
    .await
    .unwrap()
    .expect("a response");

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/cbor"));
    assert_eq!(response.header("smithy-protocol"), Some("rpc-v2-cbor"));
    let calls = fake.calls();
    assert_eq!(
        (calls[0].start, calls[0].end),
        (T0 as f64, (T0 + 120) as f64)
    );
    assert!(!calls[0].headers_ok);
    let violations = fake.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("Smithy-Protocol"), "{violations:?}");

    let answer: Value = ciborium::from_reader(&response.body[..]).unwrap();
    let results = lookup(&answer, "MetricDataResults").as_array().unwrap();
    let timestamps = lookup(&results[0], "Timestamps").as_array().unwrap();
    // Newest first, each a tag-1 float.
    assert_eq!(
        timestamps,
        &vec![
            Value::Tag(1, Box::new(Value::Float((T0 + 60) as f64))),
            Value::Tag(1, Box::new(Value::Float(T0 as f64))),
        ]
    );
    // A 64-bit float on the wire: 0xfb and 8 bytes after the tag.
    let mut expected = vec![0xc1, 0xfb];
    expected.extend_from_slice(&((T0 + 60) as f64).to_be_bytes());
    assert!(
        response.body.windows(expected.len()).any(|w| w == expected),
        "timestamps are written as tag 1 + f64"
    );
}

fn lookup<'a>(value: &'a Value, key: &str) -> &'a Value {
    value
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some(key)))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key} in {value:?}"))
}
