//! Fleet scale (issue 10): the real dashboard pipeline (workers, `update`,
//! the metrics planner, the view) driven headlessly over three fleets:
//!
//! 1. 10,000 servers on the OpenStack fakes with a real Keystone, every
//!    Gnocchi aggregates request delayed 2 s (`FakeOptions::aggregates_delay`);
//! 2. moto + the CloudWatch fake ([`AWS_INSTANCES`] instances);
//! 3. the simulator with 10,000 instances.
//!
//! For each: the table's age while metrics are fetched, the time from
//! selecting a row far down the list to its sparklines, metric-service
//! requests per full summary cycle and in a quiet window after it, the
//! resident memory of the real `hytop` binary (in tmux) against the same
//! backends, and the frame time with the fleet listed. A loop like
//! `event_loop.rs` feeds `Action::Tick` every 250 ms and every worker answer
//! into `update`, sends what `Effect::Send` asks and draws into a
//! `TestBackend` when the state is dirty. Nothing here connects anywhere but
//! 127.0.0.1. Run: `cargo bench --bench fleet` (needs tmux and the .venv that
//! scripts/test creates; `HYTOP_TEST_VENV` points elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benches fail loudly

use hytop_testkit as support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use hytop::cloud::aws::AwsProvider;
use hytop::cloud::endpoints::{self, Built, Endpoint};
use hytop::cloud::openstack::OpenStackProvider;
use hytop::cloud::openstack::clouds::{self, Sources};
use hytop::cloud::worker::{self, WorkerHandle};
use hytop::cloud::{Provider, Resolution};
use hytop::config::Config;
use hytop::dashboard::action::{Action, Request, RequestId, Response};
use hytop::dashboard::effect::Effect;
use hytop::dashboard::keymap::Keymap;
use hytop::dashboard::model::{AppState, CloudStatus, InstanceKey};
use hytop::dashboard::update::update;
use hytop::dashboard::view::{self, Theme};
use hytop::domain::cost::idle_candidates;
use hytop::domain::model::{CloudKind, InstanceState};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::cloudwatch::{Behaviour, FakeCloudWatch};
use support::keystone::Keystone;
use support::moto::MotoServer;
use support::openstack::{FakeOpenStack, FakeOptions, TokenCheck};
use support::tmux::{Sandbox, Tmux};
use tokio::sync::mpsc;

const OS_SERVERS: usize = 10_000;
const AWS_INSTANCES: usize = 2_000;
const SIM_INSTANCES: usize = 10_000;
const GNOCCHI_DELAY: Duration = Duration::from_secs(2);
/// The terminal the headless loop draws into (as the render bench).
const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;
/// Hang guards, never targets.
const LISTING_LIMIT: Duration = Duration::from_secs(180);
const CYCLE_LIMIT: Duration = Duration::from_secs(120);
const SPARKLINE_LIMIT: Duration = Duration::from_secs(30);
const SELECTIONS: usize = 5;
const FRAMES: usize = 200;
/// How long the real hytop keeps fetching metrics before its memory is read.
const METRICS_WHILE: Duration = Duration::from_secs(20);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    let machine = machine();
    println!("fleet bench on {machine}, hytop binary {}", binary_note());
    let mut all = Vec::new();
    runtime.block_on(async {
        if wanted("sim") {
            all.push(simulator().await);
        }
        if wanted("aws") {
            all.push(aws().await);
        }
        if wanted("openstack") {
            all.push(openstack().await);
        }
    });
    print_table(&all);
}

// ---------------------------------------------------------------------------
// The headless dashboard

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Refresh,
    Series,
    Summary,
    Other,
}

/// One dashboard over some endpoints: the state, one worker per endpoint,
/// and what the bench watches go by.
struct Driver {
    state: AppState,
    workers: Vec<WorkerHandle>,
    rx: mpsc::UnboundedReceiver<Action>,
    tick: tokio::time::Interval,
    terminal: Terminal<TestBackend>,
    theme: Theme,
    sent: HashMap<RequestId, (Instant, Kind)>,
    /// Refresh sent → its listing answered.
    listings: Vec<Duration>,
    series_rtt: Vec<Duration>,
    summary_rtt: Vec<Duration>,
    /// Max of (now - last_ok) at ticks with metrics in flight.
    max_age: chrono::Duration,
    age_samples: usize,
    /// Answers that matched nothing the state waited for.
    stale: usize,
    draws: usize,
}

impl Driver {
    fn new(config: Config, built: &[Built]) -> Driver {
        let (tx, rx) = mpsc::unbounded_channel::<Action>();
        let mut statuses = Vec::new();
        let mut workers = Vec::new();
        for (i, b) in built.iter().enumerate() {
            statuses.push(CloudStatus::new(b.endpoint.clone()));
            workers.push(worker::spawn(i, Arc::clone(&b.provider), tx.clone()));
        }
        let keymap = Keymap::default_keymap().expect("default keymap");
        let mut state = AppState::new(config, keymap, statuses, false, Utc::now());
        state.width = WIDTH;
        state.height = HEIGHT;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        Driver {
            state,
            workers,
            rx,
            tick,
            terminal: Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"),
            theme: Theme { color: true },
            sent: HashMap::new(),
            listings: Vec::new(),
            series_rtt: Vec::new(),
            summary_rtt: Vec::new(),
            max_age: chrono::Duration::zero(),
            age_samples: 0,
            stale: 0,
            draws: 0,
        }
    }

    /// One turn of the event loop: draw if dirty, one action (an answer or
    /// a tick) and the burst behind it, then the effects.
    async fn step(&mut self) {
        if self.state.dirty {
            self.state.dirty = false;
            let (state, theme) = (&mut self.state, &self.theme);
            self.terminal
                .draw(|f| view::draw(f, state, theme))
                .expect("draw");
            self.draws += 1;
        }
        let first = tokio::select! {
            Some(action) = self.rx.recv() => action,
            _ = self.tick.tick() => {
                let now = Utc::now();
                self.sample_age(now);
                Action::Tick(now)
            }
        };
        let mut fx = self.apply(first);
        while let Ok(action) = self.rx.try_recv() {
            fx.extend(self.apply(action));
        }
        self.carry_out(fx);
    }

    fn sample_age(&mut self, now: chrono::DateTime<Utc>) {
        for c in &self.state.clouds {
            if c.metrics.in_flight.is_empty() {
                continue;
            }
            if let Some(ok) = c.last_ok {
                self.max_age = self.max_age.max(now - ok);
                self.age_samples += 1;
            }
        }
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        if let Action::Response {
            cloud,
            request,
            response,
        } = &action
        {
            let sent = self.sent.get(request).copied();
            match response {
                Response::Instances(_) => {
                    if let Some((at, Kind::Refresh)) = sent {
                        self.listings.push(at.elapsed());
                    }
                    if *request < self.state.clouds[*cloud].applied_list {
                        self.stale += 1;
                    }
                }
                Response::Metrics { .. } => {
                    if !self.state.clouds[*cloud]
                        .metrics
                        .in_flight
                        .contains_key(request)
                    {
                        self.stale += 1;
                    }
                    match sent {
                        Some((at, Kind::Series)) => self.series_rtt.push(at.elapsed()),
                        Some((at, Kind::Summary)) => self.summary_rtt.push(at.elapsed()),
                        _ => {}
                    }
                    self.sent.remove(request);
                }
                Response::RefreshDone | Response::RefreshSkipped => {
                    self.sent.remove(request);
                }
                _ => {}
            }
        }
        update(&mut self.state, action)
    }

    fn carry_out(&mut self, fx: Vec<Effect>) {
        for effect in fx {
            if let Effect::Send { cloud, id, request } = effect {
                let kind = match &request {
                    Request::Refresh => Kind::Refresh,
                    Request::Metrics(q) if q.resolution == Resolution::Series => Kind::Series,
                    Request::Metrics(_) => Kind::Summary,
                    _ => Kind::Other,
                };
                self.sent.insert(id, (Instant::now(), kind));
                assert!(self.workers[cloud].send(id, request), "worker stopped");
            }
        }
    }

    /// Steps until `done` or `limit`; the time it took, or None.
    async fn until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&AppState) -> bool,
    ) -> Option<Duration> {
        let start = Instant::now();
        while !done(&self.state) {
            if start.elapsed() > limit {
                return None;
            }
            self.step().await;
        }
        Some(start.elapsed())
    }

    async fn run_for(&mut self, span: Duration) {
        let start = Instant::now();
        while start.elapsed() < span {
            self.step().await;
        }
    }

    fn listed(&self) -> usize {
        self.state.instances.iter().map(Vec::len).sum()
    }

    /// Runs an update that changes nothing but lets the planner run (a
    /// resize to the same size), as a key would.
    fn nudge(&mut self) {
        let fx = update(
            &mut self.state,
            Action::Resize {
                width: WIDTH,
                height: HEIGHT,
            },
        );
        self.carry_out(fx);
    }
}

// ---------------------------------------------------------------------------
// What one fleet measures

#[derive(Default)]
struct Figures {
    fleet: String,
    listed: usize,
    candidates: usize,
    refresh_secs: u64,
    /// The schedule's interval between two summaries of one instance.
    interval_secs: i64,
    listings: Vec<Duration>,
    max_age: Option<chrono::Duration>,
    age_samples: usize,
    series_rtt: Vec<Duration>,
    summary_rtt: Vec<Duration>,
    sparklines: Vec<Option<Duration>>,
    /// Selections made while summaries were in flight.
    during_summaries: usize,
    cycle: Option<Duration>,
    cycle_note: String,
    /// Metric-service requests in the first full cycle (everything the
    /// service was asked, planning included), and how many of those the
    /// target allows.
    cycle_requests: u64,
    cycle_target: u64,
    cycle_detail: String,
    quiet_window: Duration,
    quiet_requests: u64,
    quiet_detail: String,
    rss: Option<(u64, u64)>,
    rss_note: String,
    frame_median: Duration,
    frame_p99: Duration,
    stale: usize,
}

/// Metric-service requests so far, a breakdown for the report, and what
/// the target is computed from besides the candidates (CloudWatch queries).
type Counter = Box<dyn Fn(&AppState) -> (u64, String, u64) + Send>;

async fn measure(
    fleet: &str,
    config: &Config,
    built: &[Built],
    counter: Counter,
    target: impl Fn(usize, u64) -> u64,
) -> Figures {
    let mut f = Figures {
        fleet: fleet.to_string(),
        refresh_secs: config.refresh_secs,
        ..Figures::default()
    };
    println!("[{fleet}] run A: first listing, one full summary cycle, a quiet window");
    let mut d = Driver::new(config.clone(), built);
    let (before, _, units_before) = counter(&d.state);
    let listed = d
        .until(LISTING_LIMIT, |s| {
            s.clouds.iter().all(|c| c.last_ok.is_some())
        })
        .await;
    f.listed = d.listed();
    println!(
        "[{fleet}]   listed {} in {:?}",
        f.listed,
        listed.map(|t| format!("{:.2} s", t.as_secs_f64()))
    );
    let cycle_start = Instant::now();
    let now = d.state.now;
    let candidates: Vec<(usize, String)> = (0..d.state.clouds.len())
        .flat_map(|c| {
            idle_candidates(&d.state.instances[c], now, &d.state.config.cost)
                .into_iter()
                .map(move |id| (c, id))
        })
        .collect();
    f.candidates = candidates.len();
    // Every candidate asked once since the listing...
    let all_asked = |s: &AppState| {
        candidates
            .iter()
            .all(|(c, id)| s.clouds[*c].metrics.summary_asked.contains_key(id))
    };
    let asked = d.until(CYCLE_LIMIT, all_asked).await;
    if asked.is_some() {
        // ...and every summary sent by then answered.
        let pending: HashSet<RequestId> = d
            .state
            .clouds
            .iter()
            .flat_map(|c| c.metrics.in_flight.keys().copied())
            .collect();
        d.until(CYCLE_LIMIT, |s| {
            s.clouds
                .iter()
                .all(|c| c.metrics.in_flight.keys().all(|k| !pending.contains(k)))
        })
        .await;
        f.cycle = Some(cycle_start.elapsed());
    } else {
        let n = candidates
            .iter()
            .filter(|(c, id)| d.state.clouds[*c].metrics.summary_asked.contains_key(id))
            .count();
        f.cycle_note = format!(
            "not finished after {} s: {n} of {} candidates asked",
            CYCLE_LIMIT.as_secs(),
            candidates.len()
        );
    }
    let (after, detail, units) = counter(&d.state);
    f.cycle_requests = after - before;
    f.cycle_target = target(f.candidates, units - units_before);
    f.cycle_detail = detail;
    f.interval_secs = d.state.clouds[0].metrics.interval.num_seconds();
    f.summary_rtt.clone_from(&d.summary_rtt);
    // A window shorter than the interval: nothing is due again yet.
    f.quiet_window =
        Duration::from_secs(u64::try_from((f.interval_secs / 2).clamp(1, 10)).expect("positive"));
    let (q0, d0, _) = counter(&d.state);
    d.run_for(f.quiet_window).await;
    let (q1, d1, _) = counter(&d.state);
    f.quiet_requests = q1 - q0;
    f.quiet_detail = format!("{d0} → {d1}");
    println!(
        "[{fleet}]   cycle {:?} {}: {} requests ({}); quiet {} s: {}",
        f.cycle.map(|t| format!("{:.1} s", t.as_secs_f64())),
        f.cycle_note,
        f.cycle_requests,
        f.cycle_detail,
        f.quiet_window.as_secs(),
        f.quiet_requests
    );
    let (median, p99) = frame_times(&mut d.state);
    f.frame_median = median;
    f.frame_p99 = p99;
    let mut listings = std::mem::take(&mut d.listings);
    let mut max_age = d.max_age;
    let mut age_samples = d.age_samples;
    let mut series_rtt = std::mem::take(&mut d.series_rtt);
    let mut stale = d.stale;
    drop(d);

    println!("[{fleet}] run B: rows far down the list selected while summaries are fetched");
    let mut d = Driver::new(config.clone(), built);
    d.until(LISTING_LIMIT, |s| {
        s.clouds.iter().all(|c| c.last_ok.is_some())
    })
    .await;
    for k in 0..SELECTIONS {
        let rows = d.state.view.len();
        let mut row = rows * (2 * k + 5) / (2 * SELECTIONS + 5);
        // A running instance whose series is not held yet.
        while row < rows {
            let Some((key, i)) = d.state.row(row) else {
                break;
            };
            if i.state == InstanceState::Running && !d.state.metrics.contains_key(&key) {
                break;
            }
            row += 1;
        }
        if row >= rows {
            f.sparklines.push(None);
            continue;
        }
        if d.state
            .clouds
            .iter()
            .any(|c| c.metrics.in_flight(Resolution::Summary) > 0)
        {
            f.during_summaries += 1;
        }
        d.state.select_row(row);
        let key: InstanceKey = d.state.selected.clone().expect("a selection");
        d.nudge();
        let took = d
            .until(SPARKLINE_LIMIT, |s| s.metrics.contains_key(&key))
            .await;
        println!(
            "[{fleet}]   row {row}/{rows} ({}): {:?}",
            key.id,
            took.map(|t| format!("{:.2} s", t.as_secs_f64()))
        );
        f.sparklines.push(took);
    }
    listings.append(&mut d.listings);
    max_age = max_age.max(d.max_age);
    age_samples += d.age_samples;
    series_rtt.append(&mut d.series_rtt);
    stale += d.stale;
    f.summary_rtt.extend(d.summary_rtt.iter().copied());
    f.listings = listings;
    f.max_age = (age_samples > 0).then_some(max_age);
    f.age_samples = age_samples;
    f.series_rtt = series_rtt;
    f.stale = stale;
    drop(d);
    f
}

/// Median and p99 of [`FRAMES`] draws of the whole screen.
fn frame_times(state: &mut AppState) -> (Duration, Duration) {
    let theme = Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    state.select_row(state.view.len() / 2);
    let mut times: Vec<Duration> = (0..FRAMES)
        .map(|_| {
            let start = Instant::now();
            terminal
                .draw(|f| view::draw(f, state, &theme))
                .expect("draw");
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[FRAMES / 2], times[FRAMES * 99 / 100])
}

// ---------------------------------------------------------------------------
// The real binary's memory

/// Starts `hytop --config` in tmux with `env`, waits for `total {n}` in the
/// header and [`METRICS_WHILE`] more, and reads VmRSS / VmHWM (kB).
async fn rss_of_hytop(
    name: &str,
    sandbox: Sandbox,
    env: Vec<(&'static str, PathBuf)>,
    n: usize,
) -> (Option<(u64, u64)>, String) {
    let argv = vec![
        support::hytop_bin().to_string(),
        "--config".to_string(),
        sandbox.config().display().to_string(),
    ];
    let tmux = Tmux::start_isolated(&format!("fleet-{name}"), sandbox, &env, &argv);
    let start = Instant::now();
    let needle = format!("total {n}");
    let tmux = Arc::new(tmux);
    loop {
        let t = Arc::clone(&tmux);
        let screen = tokio::task::spawn_blocking(move || t.capture())
            .await
            .expect("capture");
        if screen.contains(&needle) {
            break;
        }
        if start.elapsed() > LISTING_LIMIT {
            let tail = tmux.sandbox.log_tail();
            return (
                None,
                format!("`{needle}` never shown; screen:\n{screen}\nlog:\n{tail}"),
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let listed = start.elapsed();
    tokio::time::sleep(METRICS_WHILE).await;
    let t = Arc::clone(&tmux);
    let screen = tokio::task::spawn_blocking(move || t.capture())
        .await
        .expect("capture");
    let pane_pid = tmux.display("#{pane_pid}").trim().to_string();
    let children = std::fs::read_to_string(format!("/proc/{pane_pid}/task/{pane_pid}/children"))
        .unwrap_or_default();
    let Some(pid) = children.split_whitespace().next().map(str::to_string) else {
        return (None, format!("no child of the pane's shell {pane_pid}"));
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    let header: Vec<&str> = screen.lines().take(3).collect();
    let note = format!(
        "pid {pid}, header shown after {:.1} s; header: {}",
        listed.as_secs_f64(),
        header
            .join(" / ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(hwm)) => (Some((rss, hwm)), note),
        _ => (None, format!("no VmRSS in /proc/{pid}/status; {note}")),
    }
}

fn sandbox_env(sandbox: &Sandbox) -> Vec<(&'static str, PathBuf)> {
    let home = sandbox.path("home");
    std::fs::create_dir_all(&home).expect("home dir");
    let mut env = sandbox.env();
    env.push(("HOME", home));
    env
}

// ---------------------------------------------------------------------------
// The three fleets

async fn simulator() -> Figures {
    let text = format!(
        "refresh_secs = 3\n\n[[cloud]]\nname = \"sim\"\nprovider = \"simulator\"\nsimulate = \"aws\"\nregions = [\"eu-west-1\"]\n[cloud.sim]\nseed = 7\ninstances = {SIM_INSTANCES}\nlatency_ms = 300\n"
    );
    let config = Config::parse(&text, "fleet-sim.toml").expect("sim config");
    let built = endpoints::build(&config).await.expect("endpoints");
    let counter: Counter = Box::new(|s: &AppState| {
        let m = &s.clouds[0].metrics;
        (
            m.sent_summaries + m.sent_series,
            format!("{} summary + {} series", m.sent_summaries, m.sent_series),
            0,
        )
    });
    let mut f = measure(
        "simulator",
        &config,
        &built,
        counter,
        |n, _| n.div_ceil(250) as u64 + 1, // the batches, and the selected row's series
    )
    .await;
    let sandbox = Sandbox::new(&text);
    let env = sandbox_env(&sandbox);
    (f.rss, f.rss_note) = rss_of_hytop("sim", sandbox, env, f.listed).await;
    f
}

async fn aws() -> Figures {
    let moto = tokio::task::spawn_blocking(MotoServer::start)
        .await
        .expect("moto");
    let fake = Arc::new(FakeCloudWatch::start(Behaviour::default()).await);
    let started = Instant::now();
    support::moto::run_instances(&moto.url, AWS_INSTANCES).await;
    println!(
        "[aws] {AWS_INSTANCES} instances run in moto in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The idle window counts from the last instance's launch.
    let made = Instant::now();
    let ec2 = support::aws_sdk_config(&moto.url).await;
    let cw = support::aws_sdk_config(&fake.url).await;
    let provider = AwsProvider::with_configs(None, support::TEST_REGION, &ec2, &cw);
    let provider: Arc<dyn Provider> = Arc::new(provider);
    let label = provider.label();
    let built = vec![Built {
        endpoint: Endpoint {
            cloud: "bench-aws".into(),
            label,
            kind: CloudKind::Aws,
            region: support::TEST_REGION.into(),
            simulated: false,
        },
        provider,
    }];
    // moto launches every instance now: a one-minute idle window makes
    // them idle candidates a minute later, as an hour-old fleet would be.
    let text = format!(
        "[cost]\nidle_after_mins = 1\n\n[[cloud]]\nname = \"bench-aws\"\nprovider = \"aws\"\nregions = [\"{}\"]\n",
        support::TEST_REGION
    );
    let config = Config::parse(&text, "fleet-aws.toml").expect("aws config");
    let wait = Duration::from_secs(65).saturating_sub(made.elapsed());
    println!(
        "[aws] waiting {:.0} s for the idle window",
        wait.as_secs_f64()
    );
    tokio::time::sleep(wait).await;
    let calls = {
        let fake = Arc::clone(&fake);
        move |_: &AppState| {
            let calls = fake.calls();
            let queries: usize = calls.iter().map(|c| c.queries.len()).sum();
            (
                calls.len() as u64,
                format!("{} GetMetricData, {queries} queries", calls.len()),
                queries as u64,
            )
        }
    };
    // GetMetricData takes 500 queries: ⌈queries / 500⌉ calls.
    let mut f = measure("aws", &config, &built, Box::new(calls), |_, queries| {
        queries.div_ceil(500)
    })
    .await;
    let sandbox = Sandbox::new(&text);
    let mut env = sandbox_env(&sandbox);
    for (k, v) in [
        ("AWS_REGION", support::TEST_REGION.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_ENDPOINT_URL_EC2", moto.url.clone()),
        ("AWS_ENDPOINT_URL_CLOUDWATCH", fake.url.clone()),
    ] {
        env.push((k, PathBuf::from(v)));
    }
    (f.rss, f.rss_note) = rss_of_hytop("aws", sandbox, env, f.listed).await;
    drop(fake);
    drop(moto);
    f
}

async fn openstack() -> Figures {
    let ks = tokio::task::spawn_blocking(Keystone::shared)
        .await
        .expect("keystone");
    let mut options = FakeOptions::with(TokenCheck::keystone(ks));
    options.aggregates_delay = Some(GNOCCHI_DELAY);
    let fake = FakeOpenStack::start(options).await;
    let endpoints = fake.endpoints();
    let region = support::tmux::unique_name("fleet");
    let region2 = region.clone();
    let user = tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&str, &str)> = endpoints.iter().map(|(k, u)| (*k, u.as_str())).collect();
        ks.register_region(&region2, &pairs);
        ks.new_user("fleet")
    })
    .await
    .expect("register");
    let seeded = Instant::now();
    fake.seed(&user.project_id, OS_SERVERS);
    println!(
        "[openstack] {OS_SERVERS} servers seeded in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let clouds_yaml = format!(
        "clouds:\n  lab:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      project_name: {}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: {region}\n",
        ks.auth_url(),
        user.user_name,
        user.password,
        user.project_name
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("clouds.yaml"), &clouds_yaml).expect("clouds.yaml");
    let sources = Sources {
        env: BTreeMap::new(),
        cwd: Some(dir.path().to_path_buf()),
        home: None,
    };
    let profile = clouds::find(&sources, "lab").expect("profile");
    let provider =
        OpenStackProvider::new("lab", profile, Some(region.clone()), None).expect("provider");
    let provider = Arc::new(provider);
    let counts = Arc::clone(&provider);
    let as_dyn: Arc<dyn Provider> = provider;
    let built = vec![Built {
        endpoint: Endpoint {
            cloud: "lab".into(),
            label: as_dyn.label(),
            kind: CloudKind::OpenStack,
            region: region.clone(),
            simulated: false,
        },
        provider: as_dyn,
    }];
    let text = "[[cloud]]\nname = \"lab\"\nprovider = \"openstack\"\nos_cloud = \"lab\"\n";
    let config = Config::parse(text, "fleet-openstack.toml").expect("openstack config");
    let fake = Arc::new(fake);
    let requests = Arc::clone(&fake);
    let counter: Counter = Box::new(move |_: &AppState| {
        let metric = counts.request_counts().get("metric").copied().unwrap_or(0);
        let aggregates = requests
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/aggregates"))
            .count();
        (
            metric,
            format!("{metric} metric requests, {aggregates} aggregates POSTs at the fake"),
            0,
        )
    });
    // Summaries are CPU only: one aggregates request per 250 servers; the
    // selected row's series adds CPU + network; planning, one search and one
    // metric read per metric.
    let mut f = measure("openstack", &config, &built, counter, |n, _| {
        n.div_ceil(250) as u64 + 2 + 4
    })
    .await;
    let sandbox = Sandbox::new(text);
    let os_dir = sandbox.path("config").join("openstack");
    std::fs::create_dir_all(&os_dir).expect("openstack dir");
    std::fs::write(os_dir.join("clouds.yaml"), &clouds_yaml).expect("clouds.yaml");
    let env = sandbox_env(&sandbox);
    (f.rss, f.rss_note) = rss_of_hytop("openstack", sandbox, env, f.listed).await;
    f
}

// ---------------------------------------------------------------------------
// Reporting

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median(v: &[Duration]) -> Option<Duration> {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied()
}

fn print_table(all: &[Figures]) {
    println!();
    println!("| fleet | figure | target | measured |");
    println!("|---|---|---|---|");
    for f in all {
        let listing_max = f.listings.iter().max().copied().unwrap_or_default();
        let listing_med = median(&f.listings).unwrap_or_default();
        let series = median(&f.series_rtt).unwrap_or_default();
        let summary = median(&f.summary_rtt).unwrap_or_default();
        let name = format!(
            "{} ({} listed, {} idle candidates)",
            f.fleet, f.listed, f.candidates
        );
        let age_target = Duration::from_secs(f.refresh_secs) + listing_max;
        println!(
            "| {name} | table age while metrics are fetched (max of {} samples) | ≤ refresh {} s + listing {} = {} | {} |",
            f.age_samples,
            f.refresh_secs,
            secs(listing_max),
            secs(age_target),
            f.max_age
                .map(|a| format!("{:.2} s", a.num_milliseconds() as f64 / 1e3))
                .unwrap_or("no sample".into())
        );
        println!(
            "| {name} | listing time (refresh sent → listing answered), median / max of {} | – | {} / {} |",
            f.listings.len(),
            secs(listing_med),
            secs(listing_max)
        );
        println!(
            "| {name} | metrics round trip: series / summary (median) | – | {} / {} |",
            secs(series),
            secs(summary)
        );
        let shown: Vec<Duration> = f.sparklines.iter().flatten().copied().collect();
        let missing = f.sparklines.iter().filter(|s| s.is_none()).count();
        println!(
            "| {name} | selection → sparklines, median / max of {} ({} while summaries were in flight{}) | ≤ 1.5 s + round trip {} = {} | {} / {} |",
            f.sparklines.len(),
            f.during_summaries,
            if missing > 0 {
                format!(", {missing} never within {} s", SPARKLINE_LIMIT.as_secs())
            } else {
                String::new()
            },
            secs(series),
            secs(Duration::from_millis(1500) + series),
            median(&shown).map(secs).unwrap_or("–".into()),
            shown.iter().max().copied().map(secs).unwrap_or("–".into()),
        );
        println!(
            "| {name} | metric requests in the first full summary cycle ({}) | ≤ {} | {} ({}) |",
            f.cycle
                .map(|c| format!("{:.1} s", c.as_secs_f64()))
                .unwrap_or_else(|| f.cycle_note.clone()),
            f.cycle_target,
            f.cycle_requests,
            f.cycle_detail
        );
        println!(
            "| {name} | metric requests in the next {} s (interval {} s) | 0 | {} ({}) |",
            f.quiet_window.as_secs(),
            f.interval_secs,
            f.quiet_requests,
            f.quiet_detail
        );
        println!(
            "| {name} | resident memory of `hytop` (VmRSS / VmHWM) | ≤ 60 MB (real providers) | {} |",
            f.rss
                .map(|(rss, hwm)| format!(
                    "{:.1} MB / {:.1} MB",
                    rss as f64 / 1024.0,
                    hwm as f64 / 1024.0
                ))
                .unwrap_or_else(|| format!("not measured: {}", f.rss_note))
        );
        println!(
            "| {name} | frame time, {WIDTH}×{HEIGHT}, median / p99 of {FRAMES} | ≤ 1 ms | {:.3} ms / {:.3} ms |",
            f.frame_median.as_secs_f64() * 1e3,
            f.frame_p99.as_secs_f64() * 1e3
        );
        println!("| {name} | stale answers seen | – | {} |", f.stale);
    }
    for f in all {
        println!("{}: hytop {}", f.fleet, f.rss_note);
    }
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    format!("{cpus} CPUs ({model})")
}

fn binary_note() -> String {
    let bin = support::hytop_bin();
    let size = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
    format!("{bin} ({:.1} MB)", size as f64 / 1e6)
}
