//! Cloud workers driving the real simulator. Every receive is bounded by a
//! generous timeout: it only guards against a hang, it never measures speed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use chrono::Utc;
use hytop::cloud::launch::LaunchDraft;
use hytop::cloud::sim::{AWS_IMAGES, SIM_KEY_NAME, SimProvider, SimSettings, system_clock};
use hytop::cloud::worker::{WorkerHandle, spawn};
use hytop::cloud::{AttachedAddress, CloudResult, MetricsQuery, Provider, Resolution};
use hytop::config::Template;
use hytop::dashboard::action::{Action, CloudId, Request, RequestId, Response};
use hytop::domain::model::{
    CloudKind, ConsoleOutput, Instance, InstanceMetrics, InstanceState, LaunchOptions, LaunchSpec,
    PublicAddress, USER_DATA_LIMIT,
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::timeout;

/// Far longer than any answer takes; only a hung worker reaches it.
const GUARD: Duration = Duration::from_secs(30);

const REFRESH: Request = Request::Refresh;

fn sim(region: &str, latency_ms: u64, failure_rate: f64) -> Arc<SimProvider> {
    Arc::new(SimProvider::new(
        CloudKind::Aws,
        "test",
        region,
        SimSettings {
            latency_ms,
            failure_rate,
            ..SimSettings::default()
        },
        system_clock(),
    ))
}

/// The next answer of any worker on the channel.
async fn next(rx: &mut UnboundedReceiver<Action>) -> (CloudId, RequestId, Response) {
    let action = timeout(GUARD, rx.recv())
        .await
        .expect("a worker answers (guard against a hang)")
        .expect("the channel stays open");
    match action {
        Action::Response {
            cloud,
            request,
            response,
        } => (cloud, request, response),
        other => panic!("workers only send responses, got {other:?}"),
    }
}

/// Every answer to one refresh, up to and including its RefreshDone; answers
/// to anything else on the way are a test error.
async fn refresh_answers(
    rx: &mut UnboundedReceiver<Action>,
    cloud: CloudId,
    request: RequestId,
) -> Vec<Response> {
    let mut out = Vec::new();
    loop {
        let (c, r, response) = next(rx).await;
        assert_eq!((c, r), (cloud, request), "unexpected answer {response:?}");
        let done = matches!(response, Response::RefreshDone);
        out.push(response);
        if done {
            return out;
        }
    }
}

fn kinds(responses: &[Response]) -> Vec<&'static str> {
    responses
        .iter()
        .map(|r| match r {
            Response::Instances(Ok(_)) => "instances",
            Response::Instances(Err(_)) => "instances-err",
            Response::Addresses(Ok(_)) => "addresses",
            Response::Addresses(Err(_)) => "addresses-err",
            Response::Volumes(Ok(_)) => "volumes",
            Response::Volumes(Err(_)) => "volumes-err",
            Response::Metrics { result: Ok(_), .. } => "metrics",
            Response::Metrics { result: Err(_), .. } => "metrics-err",
            Response::RefreshDone => "done",
            Response::RefreshSkipped => "skipped",
            _ => "other",
        })
        .collect()
}

/// Nothing more arrives for a moment (a missing message could only make this pass).
async fn assert_quiet(rx: &mut UnboundedReceiver<Action>) {
    if let Ok(Some(action)) = timeout(Duration::from_millis(200), rx.recv()).await {
        panic!("unexpected extra answer {action:?}");
    }
}

fn send(worker: &WorkerHandle, id: RequestId, request: Request) {
    assert!(worker.send(id, request), "the worker is running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_answers_listing_addresses_and_done() {
    let (tx, mut rx) = unbounded_channel();
    let provider = sim("eu-west-1", 5, 0.0);
    let worker = spawn(7, provider.clone(), tx);
    assert_eq!(worker.cloud, 7);
    send(&worker, 42, REFRESH);

    let answers = refresh_answers(&mut rx, 7, 42).await;
    assert_eq!(
        kinds(&answers),
        ["instances", "volumes", "addresses", "done"]
    );
    let Response::Instances(Ok(list)) = &answers[0] else {
        unreachable!()
    };
    assert_eq!(list.len(), SimSettings::default().instances);
    let running: BTreeSet<&str> = list
        .iter()
        .filter(|i| i.state == InstanceState::Running)
        .map(|i| i.id.as_str())
        .collect();
    assert!(!running.is_empty());
    assert!(
        running.len() < list.len(),
        "the fleet has non-running instances"
    );

    let Response::Addresses(Ok(addresses)) = &answers[2] else {
        unreachable!()
    };
    assert!(!addresses.is_empty());
    // Every associated address belongs to a listed instance.
    for a in addresses {
        if let Some(id) = &a.instance_id {
            assert!(list.iter().any(|i| &i.id == id), "{a:?}");
        }
    }

    // Metrics are asked apart: a summary of the running instances.
    let asked: Vec<String> = running.iter().map(|s| s.to_string()).collect();
    let query = MetricsQuery::summary(asked.clone(), Utc::now(), chrono::Duration::hours(1));
    send(&worker, 43, Request::Metrics(query));
    let (cloud, request, response) = next(&mut rx).await;
    assert_eq!((cloud, request), (7, 43));
    let Response::Metrics {
        resolution,
        asked: echoed,
        result: Ok(metrics),
        interval,
    } = response
    else {
        panic!("{response:?}")
    };
    assert_eq!(resolution, Resolution::Summary);
    assert_eq!(echoed, asked);
    assert_eq!(
        interval,
        provider.summary_interval(chrono::Duration::hours(1))
    );
    let measured: BTreeSet<&str> = metrics.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(measured, running);
    for (id, m) in &metrics {
        assert!(m.cpu.points.len() <= 1, "{id}: a summary is one point");
        assert!(m.net_in.points.is_empty(), "{id}: a summary is CPU only");
    }
    assert_quiet(&mut rx).await;
}

/// The simulator, with metrics that take `delay` to answer.
struct SlowMetrics {
    inner: Arc<SimProvider>,
    delay: Duration,
}

#[async_trait::async_trait]
impl Provider for SlowMetrics {
    fn kind(&self) -> CloudKind {
        self.inner.kind()
    }
    fn label(&self) -> String {
        self.inner.label()
    }
    async fn list_instances(&self) -> CloudResult<Vec<Instance>> {
        self.inner.list_instances().await
    }
    async fn metrics(&self, query: &MetricsQuery) -> CloudResult<Vec<(String, InstanceMetrics)>> {
        tokio::time::sleep(self.delay).await;
        self.inner.metrics(query).await
    }
    async fn launch(&self, spec: &LaunchSpec) -> CloudResult<Vec<String>> {
        self.inner.launch(spec).await
    }
    async fn terminate(&self, ids: &[String]) -> CloudResult<()> {
        self.inner.terminate(ids).await
    }
    async fn power(
        &self,
        ids: &[String],
        action: hytop::cloud::PowerAction,
    ) -> Vec<hytop::cloud::PowerOutcome> {
        self.inner.power(ids, action).await
    }
    async fn attach_public_ip(&self, id: &str) -> CloudResult<AttachedAddress> {
        self.inner.attach_public_ip(id).await
    }
    async fn detach_public_ip(&self, id: &str) -> CloudResult<String> {
        self.inner.detach_public_ip(id).await
    }
    async fn list_addresses(&self) -> CloudResult<Vec<PublicAddress>> {
        self.inner.list_addresses().await
    }
    async fn release_address(&self, id: &str) -> CloudResult<()> {
        self.inner.release_address(id).await
    }

    async fn list_volumes(&self) -> hytop::cloud::CloudResult<Vec<hytop::domain::model::Volume>> {
        Ok(Vec::new())
    }

    async fn delete_volume(&self, _: &str) -> hytop::cloud::CloudResult<()> {
        Err(hytop::cloud::CloudError::message(
            "this test cloud has no volumes",
        ))
    }
    async fn console_output(&self, id: &str, lines: u32) -> CloudResult<ConsoleOutput> {
        self.inner.console_output(id, lines).await
    }
    async fn launch_options(&self) -> CloudResult<LaunchOptions> {
        self.inner.launch_options().await
    }
    async fn set_tags(&self, id: &str, tags: &BTreeMap<String, String>) -> CloudResult<()> {
        self.inner.set_tags(id, tags).await
    }

    async fn facts(
        &self,
        _: &hytop::domain::model::Instance,
        _: hytop::cloud::facts::FactKind,
    ) -> hytop::cloud::CloudResult<hytop::cloud::facts::Facts> {
        Err(hytop::cloud::CloudError::message(
            "this test cloud has no facts",
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_metrics_never_delay_a_listing() {
    let (tx, mut rx) = unbounded_channel();
    let provider = Arc::new(SlowMetrics {
        inner: sim("eu-west-1", 5, 0.0),
        delay: Duration::from_secs(3),
    });
    let worker = spawn(0, provider, tx);
    let ids = vec!["i-0".to_string()];
    send(
        &worker,
        1,
        Request::Metrics(MetricsQuery::series(
            ids,
            Utc::now(),
            chrono::Duration::hours(1),
        )),
    );
    send(&worker, 2, REFRESH);
    send(&worker, 3, REFRESH);
    // The refresh is done (and a second one, asked after it, too) before
    // the metrics asked first answer.
    let mut order = Vec::new();
    while order.len() < 6 {
        let (_, request, response) = next(&mut rx).await;
        if request == 2 && matches!(response, Response::RefreshDone) {
            send(&worker, 4, REFRESH);
        }
        order.push((request, kinds(std::slice::from_ref(&response))[0]));
    }
    assert_eq!(
        order,
        [
            (3, "skipped"),
            (2, "instances"),
            (2, "volumes"),
            (2, "addresses"),
            (2, "done"),
            (4, "instances")
        ],
        "the listing waited for the metrics"
    );
    let rest: Vec<_> = [
        next(&mut rx).await,
        next(&mut rx).await,
        next(&mut rx).await,
    ]
    .into_iter()
    .map(|(_, r, response)| (r, kinds(std::slice::from_ref(&response))[0]))
    .collect();
    assert_eq!(rest, [(4, "volumes"), (4, "addresses"), (4, "done")]);
    let (_, request, response) = next(&mut rx).await;
    assert_eq!(request, 1);
    assert!(matches!(response, Response::Metrics { .. }), "{response:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_asked_while_one_runs_is_skipped() {
    let (tx, mut rx) = unbounded_channel();
    // 300 ms per call: the first refresh (three calls) is still running.
    let worker = spawn(1, sim("eu-west-1", 300, 0.0), tx);
    send(&worker, 1, REFRESH);
    send(&worker, 2, REFRESH);

    let (cloud, request, response) = next(&mut rx).await;
    assert_eq!((cloud, request), (1, 2));
    assert!(matches!(response, Response::RefreshSkipped), "{response:?}");
    let answers = refresh_answers(&mut rx, 1, 1).await;
    assert_eq!(kinds(&answers)[0], "instances");
    assert_eq!(kinds(&answers).last(), Some(&"done"));
    assert!(!kinds(&answers).contains(&"skipped"));

    // Once done, the next refresh runs again.
    send(&worker, 3, REFRESH);
    let answers = refresh_answers(&mut rx, 1, 3).await;
    assert_eq!(kinds(&answers)[0], "instances");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_cloud_never_delays_another() {
    let (tx, mut rx) = unbounded_channel();
    let slow = spawn(0, sim("eu-west-1", 1500, 0.0), tx.clone());
    let fast = spawn(1, sim("us-east-1", 0, 0.0), tx);
    send(&slow, 10, REFRESH);
    send(&fast, 20, REFRESH);

    let mut order = Vec::new();
    while !order.contains(&(1, 20, "done")) || !order.contains(&(0, 10, "instances")) {
        let (cloud, request, response) = next(&mut rx).await;
        order.push((cloud, request, kinds(std::slice::from_ref(&response))[0]));
    }
    let fast_done = order
        .iter()
        .position(|e| *e == (1, 20, "done"))
        .expect("the fast cloud finished");
    let slow_listing = order
        .iter()
        .position(|e| *e == (0, 10, "instances"))
        .expect("the slow cloud listed");
    assert!(fast_done < slow_listing, "{order:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_cloud_answers_its_error_and_done_while_the_other_succeeds() {
    let (tx, mut rx) = unbounded_channel();
    let down = spawn(0, sim("eu-west-1", 5, 1.0), tx.clone());
    let up = spawn(1, sim("us-east-1", 5, 0.0), tx);
    send(&down, 1, REFRESH);
    send(&up, 2, REFRESH);

    let mut answers: [Vec<Response>; 2] = [Vec::new(), Vec::new()];
    let mut done = 0;
    while done < 2 {
        let (cloud, request, response) = next(&mut rx).await;
        assert_eq!(request, [1, 2][cloud]);
        if matches!(response, Response::RefreshDone) {
            done += 1;
        }
        answers[cloud].push(response);
    }
    assert_eq!(kinds(&answers[0]), ["instances-err", "done"]);
    let Response::Instances(Err(e)) = &answers[0][0] else {
        unreachable!()
    };
    assert!(e.to_string().contains("simulated outage"), "{e}");
    assert_eq!(
        kinds(&answers[1]),
        ["instances", "volumes", "addresses", "done"]
    );

    // A failed refresh does not leave the worker stuck in "refreshing".
    send(&down, 3, REFRESH);
    let again = refresh_answers(&mut rx, 0, 3).await;
    assert_eq!(kinds(&again), ["instances-err", "done"]);
}

fn launch_draft(count: u32, user_data: Option<&std::path::Path>) -> Box<LaunchDraft> {
    let mut template: Template = toml::from_str(&format!(
        "name = \"probe\"\ncloud = \"sim\"\nimage = \"{}\"\nsize = \"t2.nano\"\nkey_name = \"{SIM_KEY_NAME}\"\n",
        AWS_IMAGES[0].0
    ))
    .expect("a template");
    template.user_data = user_data.map(std::path::Path::to_path_buf);
    Box::new(LaunchDraft {
        template,
        region: "eu-west-1".into(),
        name: "probe".into(),
        count,
        owner: "tester@lab".into(),
        expires: None,
    })
}

/// Sends one request and returns its single answer.
async fn ask(
    worker: &WorkerHandle,
    rx: &mut UnboundedReceiver<Action>,
    id: RequestId,
    request: Request,
) -> Response {
    send(worker, id, request);
    let (cloud, request, response) = next(rx).await;
    assert_eq!((cloud, request), (worker.cloud, id), "{response:?}");
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_answer_their_responses_with_the_right_ids() {
    let (tx, mut rx) = unbounded_channel();
    let provider = sim("eu-west-1", 5, 0.0);
    let worker = spawn(3, provider.clone(), tx);
    let listed = provider.list_instances().await.expect("listing");
    let target = listed
        .iter()
        .find(|i| i.state == InstanceState::Running && i.public_ip.is_none())
        .expect("a running instance without a public IP")
        .id
        .clone();

    // Launch.
    let Response::Launched(Ok(new_ids)) =
        ask(&worker, &mut rx, 10, Request::Launch(launch_draft(2, None))).await
    else {
        panic!("expected Launched(Ok)");
    };
    assert_eq!(new_ids.len(), 2);
    assert!(new_ids.iter().all(|id| id.starts_with("i-")));
    let now_listed = provider.list_instances().await.expect("listing");
    for id in &new_ids {
        assert!(now_listed.iter().any(|i| &i.id == id), "{id} is listed");
    }

    // Too much user-data is refused by the worker, before any request.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let big = dir.path().join("user-data.sh");
    std::fs::write(&big, vec![b'#'; USER_DATA_LIMIT + 1]).expect("user-data written");
    let before = provider.list_instances().await.expect("listing").len();
    let Response::LaunchRefused(msg) = ask(
        &worker,
        &mut rx,
        12,
        Request::Launch(launch_draft(1, Some(&big))),
    )
    .await
    else {
        panic!("expected LaunchRefused");
    };
    assert!(msg.contains("limit is 16384 bytes"), "{msg}");
    let after = provider.list_instances().await.expect("listing").len();
    assert_eq!(before, after, "nothing was launched");

    // Terminate echoes the ids it was given.
    let Response::Terminated { ids, result } =
        ask(&worker, &mut rx, 11, Request::Terminate(new_ids.clone())).await
    else {
        panic!("expected Terminated");
    };
    assert_eq!(ids, new_ids);
    assert_eq!(result, Ok(()));

    // Attach, then detach the same address.
    let Response::IpAttached {
        instance_id,
        result,
    } = ask(&worker, &mut rx, 12, Request::AttachIp(target.clone())).await
    else {
        panic!("expected IpAttached");
    };
    assert_eq!(instance_id, target);
    let attached = result.expect("attach works on a running instance");
    assert!(attached.ip.starts_with("203.0.113."), "{attached:?}");

    let Response::IpDetached {
        instance_id,
        result,
    } = ask(&worker, &mut rx, 13, Request::DetachIp(target.clone())).await
    else {
        panic!("expected IpDetached");
    };
    assert_eq!(instance_id, target);
    assert_eq!(result, Ok(attached.ip.clone()));

    // Console output of that instance, bounded by `lines`.
    let Response::Console(result) = ask(
        &worker,
        &mut rx,
        14,
        Request::Console {
            instance_id: target.clone(),
            lines: 5,
        },
    )
    .await
    else {
        panic!("expected Console");
    };
    let out = result.expect("console output");
    assert_eq!(out.instance_id, target);
    let n = out.text.lines().count();
    assert!((1..=5).contains(&n), "{n} lines");

    // Launch options.
    let Response::LaunchOptions(result) = ask(&worker, &mut rx, 15, Request::LaunchOptions).await
    else {
        panic!("expected LaunchOptions");
    };
    let options = result.expect("options");
    assert!(options.images.iter().any(|c| c.id == AWS_IMAGES[0].0));

    // Releasing the now free address.
    let addresses = provider.list_addresses().await.expect("addresses");
    let free = addresses
        .iter()
        .find(|a| a.ip == attached.ip)
        .expect("the detached address stays allocated");
    assert_eq!(free.instance_id, None);
    let Response::AddressReleased { address_id, result } = ask(
        &worker,
        &mut rx,
        16,
        Request::ReleaseAddress(free.id.clone()),
    )
    .await
    else {
        panic!("expected AddressReleased");
    };
    assert_eq!(address_id, free.id);
    assert_eq!(result, Ok(()));

    // A failing terminate still answers Terminated, with the cloud's error.
    let bogus = vec!["i-0ffffffffffffffff".to_string()];
    let Response::Terminated { ids, result } =
        ask(&worker, &mut rx, 17, Request::Terminate(bogus.clone())).await
    else {
        panic!("expected Terminated");
    };
    assert_eq!(ids, bogus);
    let e = result.expect_err("unknown id");
    assert_eq!(e.code.as_deref(), Some("InvalidInstanceID.NotFound"));
    assert_quiet(&mut rx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_refresh_never_delays_a_terminate() {
    let (tx, mut rx) = unbounded_channel();
    let provider = sim("eu-west-1", 300, 0.0);
    let victim = provider
        .list_instances()
        .await
        .expect("listing")
        .into_iter()
        .find(|i| i.state == InstanceState::Running)
        .expect("a running instance")
        .id;
    let worker = spawn(4, provider, tx);
    send(&worker, 1, REFRESH);
    send(&worker, 2, Request::Terminate(vec![victim]));

    let mut order = Vec::new();
    while !order.contains(&(1, "done")) || !order.contains(&(2, "other")) {
        let (_, request, response) = next(&mut rx).await;
        order.push((request, kinds(std::slice::from_ref(&response))[0]));
    }
    let terminated = order.iter().position(|e| *e == (2, "other"));
    let refreshed = order.iter().position(|e| *e == (1, "done"));
    assert!(terminated < refreshed, "{order:?}");
}
