//! Scale measurements (callbacks, Redis, bursts, memory) for `cargo xtask bench`: prints ONE JSON
//! object on stdout (progress goes to stderr).
//!
//! `cargo bench --bench scale --features simulator,axum[,redis] -- [--quick]`
//!
//! - `callback_detect_ms_p50/p95`: the simulator completes a session and
//!   sends its callback → `wait()` returns; callbacks received by this
//!   process (in-process notifier).
//! - `redis_detect_ms_p50/p95` (feature `redis` and a `redis-server` on
//!   PATH, else absent): the callback received by instance B, the wait in
//!   instance A (separate notifiers and Redis connections), through a
//!   `redis-server` started here on a free port.
//! - `collects_per_session_polling` / `_callbacks`: average collects per
//!   completed session (sessions completing after 3 × 1 s steps), without
//!   and with a notifier (fallback polling every 5 s).
//! - `burst_sessions_lost`: 10 000 starts (1 000 with `--quick`) launched at
//!   once from one client against a simulator in another process (this
//!   binary started again with `--serve-simulator`), each followed by a
//!   wait; a session is lost when its start or its wait fails.
//! - `waits_<mode>_*`: 100 000 sessions (10 000 with `--quick`) waiting at
//!   once in this process, against a simulator in another process whose
//!   sessions complete 3 steps after their start (steps long enough that all
//!   of them wait together), completions seen through callbacks with a
//!   polling fallback every 60 s; for `CollectLimit::PerClient` (`per_client`)
//!   and per-session pacing (`per_session`): sessions lost, resident memory
//!   growth (peak, and per 1 000 waiting), how late completion is seen
//!   (p50 / p99, an upper bound: from the start's send + 3 steps) and the
//!   peak of open sockets.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use identisure::callback::CallbackSecret;
use identisure::providers::bankid_se::AuthRequest;
use identisure::{Client, CollectLimit, Notifier, Outcome, WaitOptions};
use identisure_simulator::{Simulator, Timing};
use serde_json::{Map, Value, json};

/// Counts the bytes this process has allocated and not freed, beside the
/// resident memory (which also holds what the allocator keeps after the
/// starts' transient allocations are freed).
struct Counting;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only
// a counter is updated beside it.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract, unchanged.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract, unchanged.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, std::sync::atomic::Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract, unchanged.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> usize {
    LIVE.load(std::sync::atomic::Ordering::Relaxed)
}

#[path = "common/proc.rs"]
mod proc;
use proc::{open_sockets, vm_rss_kib};

const ACCOUNT: &str = "bench";
const SECRET: &str = "bench-secret";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if args.iter().any(|a| a == "--serve-simulator") {
        runtime.block_on(serve_simulator());
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--waits") {
        let n = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .expect("--waits N MODE");
        let limit = match args.get(at + 2).map(String::as_str) {
            Some("per_client") => Ok(CollectLimit::PerClient),
            Some("per_session") => Ok(CollectLimit::PerSession),
            other => Err(format!("unknown mode {other:?}")),
        };
        let figures = match limit.and_then(|limit| runtime.block_on(waiting(n, limit))) {
            Ok(figures) => Value::Object(figures.into_iter().collect()),
            Err(e) => json!({ "error": e }),
        };
        println!("IDENTISURE-WAITS {figures}");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let report = runtime.block_on(run(quick));
    println!("IDENTISURE-BENCH {}", Value::Object(report));
}

async fn run(quick: bool) -> Map<String, Value> {
    let mut report = Map::new();
    let detect_n = if quick { 40 } else { 400 };

    eprintln!("scale: callback detection ({detect_n} sessions)");
    let sim = simulator(Timing::default()).await;
    let (notifier, url) = served_notifier(None, Duration::from_secs(5)).await;
    let client = new_client(sim.url(), Some(notifier.clone()));
    let ms = detect(&sim, &client, &notifier, &url, detect_n).await;
    report.insert("callback_detect_ms_p50".into(), json!(percentile(&ms, 50)));
    report.insert("callback_detect_ms_p95".into(), json!(percentile(&ms, 95)));

    #[cfg(feature = "redis")]
    match redis_server::RedisServer::start() {
        Some(redis) => {
            eprintln!("scale: detection through Redis ({detect_n} sessions)");
            let (notifier_b, url_b) =
                served_notifier(Some(&redis.url()), Duration::from_secs(5)).await;
            let notifier_a = Notifier::builder(CallbackSecret::new(SECRET))
                .connect_redis(&redis.url())
                .await
                .expect("redis started here");
            let client_a = new_client(sim.url(), Some(notifier_a.clone()));
            let ms = detect(&sim, &client_a, &notifier_a, &url_b, detect_n).await;
            drop(notifier_b);
            report.insert("redis_detect_ms_p50".into(), json!(percentile(&ms, 50)));
            report.insert("redis_detect_ms_p95".into(), json!(percentile(&ms, 95)));
        }
        None => eprintln!("scale: redis-server not found; redis_detect_* skipped"),
    }
    #[cfg(not(feature = "redis"))]
    eprintln!("scale: built without feature redis; redis_detect_* skipped");

    let per_mode = if quick { 20 } else { 100 };
    eprintln!("scale: collects per session ({per_mode} sessions per mode)");
    let polling = collects_per_session(&sim, None, per_mode).await;
    let (notifier, url) = served_notifier(None, Duration::from_secs(5)).await;
    let callbacks = collects_per_session(&sim, Some((notifier, url)), per_mode).await;
    report.insert("collects_per_session_polling".into(), json!(polling));
    report.insert("collects_per_session_callbacks".into(), json!(callbacks));

    let burst = if quick { 1_000 } else { 10_000 };
    eprintln!("scale: burst of {burst} starts against a simulator in another process");
    report.insert("burst_sessions".into(), json!(burst));
    report.insert("burst_sessions_lost".into(), json!(burst_lost(burst).await));

    let waits = if quick { 10_000 } else { 100_000 };
    for mode in ["per_client", "per_session"] {
        eprintln!("scale: {waits} sessions waiting at once ({mode}, in a process of its own)");
        match waiting_process(waits, mode) {
            Ok(figures) => {
                for (key, value) in figures {
                    report.insert(format!("waits_{mode}_{key}"), value);
                }
            }
            Err(e) => eprintln!("scale: waits ({mode}) failed: {e}"),
        }
    }
    report
}

/// [`waiting`] in a process of its own (this binary with `--waits N MODE`):
/// its resident memory before the starts is that of a fresh process, not
/// one holding what an earlier measurement freed (the allocator keeps it,
/// and the next measurement's sessions would fill it without growing).
fn waiting_process(n: usize, mode: &str) -> Result<Map<String, Value>, String> {
    let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["--waits", &n.to_string(), mode])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("the waits process: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("IDENTISURE-WAITS "))
        .ok_or_else(|| format!("the waits process printed no figures ({})", output.status))?;
    match serde_json::from_str(line).map_err(|e| e.to_string())? {
        Value::Object(figures) if !figures.contains_key("error") => Ok(figures),
        other => Err(other["error"].to_string()),
    }
}

/// Starts per second while `waiting` starts its sessions (spread, so that
/// a start's send time is when the simulator starts its clock, within a
/// round trip).
const WAIT_STARTS_PER_S: usize = 2_500;

/// `n` sessions started at `WAIT_STARTS_PER_S` and all waiting at once: each
/// completes 3 steps after its start, a step being long enough that the
/// last start comes before the first completion.
async fn waiting(n: usize, limit: CollectLimit) -> Result<Vec<(String, Value)>, String> {
    let starting = Duration::from_secs_f64(n as f64 / WAIT_STARTS_PER_S as f64);
    // Three steps outlast the starts by a third.
    let step = (starting * 4 / 9).max(Duration::from_secs(2));
    let completes_after = step * 3;
    let (child, url) = simulator_process(step)?;
    let (notifier, _) = served_notifier(None, Duration::from_secs(60)).await;
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(&url)
        .collect_limit(limit)
        .notifier(notifier)
        .build()
        .map_err(|e| e.to_string())?;
    // Warm the pool and the allocator before the baseline.
    let warm = client
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .map_err(|e| e.to_string())?;
    drop(warm);
    // The harness's own list of the waits (a send time and a JoinHandle
    // each, 24 bytes), allocated and its pages touched before the baseline:
    // it is not what a session costs.
    let mut waits = Vec::with_capacity(n);
    waits
        .spare_capacity_mut()
        .fill_with(std::mem::MaybeUninit::zeroed);
    let rss_before = vm_rss_kib().ok_or("cannot read VmRSS")?;
    let live_before = live_bytes();

    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let (mut rss, mut sockets) = (0, 0);
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                rss = rss.max(vm_rss_kib().unwrap_or(0));
                sockets = sockets.max(open_sockets().unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (rss, sockets)
        })
    };
    let began = Instant::now();
    // Each start runs in a task of its own that ends once it has spawned the
    // wait's, so what stays is what a waiting session costs: its handle and
    // its wait. The start's task is detached and hands its wait over at once:
    // a JoinHandle kept until every start is sent would keep each finished
    // start task (its future's cell) alive until then, to be freed in holes
    // between the waits, which is the harness's memory, not a session's.
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut lost = Lost::default();
    let mut take = |started: Result<_, identisure::Error>, waits: &mut Vec<_>| match started {
        Ok(started) => waits.push(started),
        Err(e) => lost.add(e.to_string()),
    };
    for i in 0..n {
        // Paced: the i-th start is sent at i / rate.
        let due = began + Duration::from_secs_f64(i as f64 / WAIT_STARTS_PER_S as f64);
        tokio::time::sleep_until(due.into()).await;
        while let Ok(started) = started_rx.try_recv() {
            take(started, &mut waits);
        }
        let client = client.clone();
        let started_tx = started_tx.clone();
        tokio::spawn(async move {
            let sent = Instant::now();
            let started = client
                .bankid_se()
                .auth(AuthRequest::default())
                .await
                .map(|session| {
                    let wait = tokio::spawn(async move {
                        let outcome = session
                            .wait(WaitOptions::default().timeout(Duration::from_secs(900)))
                            .await?;
                        Ok::<_, identisure::Error>((Instant::now(), outcome))
                    });
                    (sent, wait)
                });
            let _ = started_tx.send(started);
        });
    }
    drop(started_tx);
    while let Some(started) = started_rx.recv().await {
        take(started, &mut waits);
    }
    // A start task that panicked sent nothing.
    for _ in waits.len() + lost.count..n {
        lost.add("a start task panicked".into());
    }
    let all_started = Instant::now();
    // All waiting together: the resident memory of n waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting_now = waits.iter().filter(|(_, w)| !w.is_finished()).count();
    let rss_waiting = vm_rss_kib().ok_or("cannot read VmRSS")?;
    let live_waiting = live_bytes().saturating_sub(live_before);
    let mut late_ms = Vec::with_capacity(n);
    for (sent, wait) in waits {
        match wait.await {
            Ok(Ok((seen, Outcome::Completed(_)))) => {
                let completed = sent + completes_after;
                late_ms.push(seen.saturating_duration_since(completed).as_secs_f64() * 1e3);
            }
            Ok(Ok((_, other))) => lost.add(format!("{other:?}")),
            Ok(Err(e)) => lost.add(e.to_string()),
            Err(e) => lost.add(e.to_string()),
        }
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let (rss_peak, sockets_peak) = sampler.await.map_err(|e| e.to_string())?;
    stop(child);
    if lost.count > 0 {
        eprintln!("scale: waits lost {}: {:?}", lost.count, lost.why);
    }
    let mb = |kib: u64| kib as f64 / 1024.0;
    let growth = mb(rss_waiting.saturating_sub(rss_before));
    Ok(vec![
        ("sessions".into(), json!(n)),
        ("waiting_together".into(), json!(waiting_now)),
        ("lost".into(), json!(lost.count)),
        ("rss_mb_growth".into(), json!(round2(growth))),
        (
            "rss_mb_growth_peak".into(),
            json!(round2(mb(rss_peak.saturating_sub(rss_before)))),
        ),
        (
            "rss_mb_per_1k".into(),
            json!(round2(growth / (waiting_now.max(1) as f64 / 1000.0))),
        ),
        (
            "heap_bytes_per_wait".into(),
            json!(live_waiting / waiting_now.max(1)),
        ),
        ("late_ms_p50".into(), json!(percentile(&late_ms, 50))),
        ("late_ms_p99".into(), json!(percentile(&late_ms, 99))),
        ("sockets_peak".into(), json!(sockets_peak)),
        (
            "starts_s".into(),
            json!(round2(all_started.duration_since(began).as_secs_f64())),
        ),
        ("step_ms".into(), json!(step.as_millis() as u64)),
    ])
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn simulator(timing: Timing) -> identisure_simulator::RunningSimulator {
    Simulator::builder()
        .account(ACCOUNT, SECRET)
        .timing(timing)
        .build()
        .spawn_local()
        .await
        .expect("the simulator binds 127.0.0.1:0")
}

/// A notifier (on Redis when `redis` is given) whose callback route is
/// served on 127.0.0.1; returns it and the callback URL.
async fn served_notifier(redis: Option<&str>, fallback: Duration) -> (Notifier, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    let builder = Notifier::builder(CallbackSecret::new(SECRET))
        .fallback_poll_interval(fallback)
        .callback_url(&url)
        .unwrap();
    let notifier = match redis {
        #[cfg(feature = "redis")]
        Some(redis) => builder.connect_redis(redis).await.expect("redis"),
        _ => builder.build(),
    };
    let router = notifier.router("/cb");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (notifier, url)
}

fn new_client(base: &str, notifier: Option<Notifier>) -> Client {
    let mut b = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(base);
    if let Some(n) = notifier {
        b = b.notifier(n);
    }
    b.build().expect("a client")
}

/// Milliseconds from `complete_now` to `wait()` returning, in batches of 20
/// concurrent waits.
async fn detect(
    sim: &identisure_simulator::RunningSimulator,
    client: &Client,
    notifier: &Notifier,
    callback_url: &str,
    n: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for batch in 0..n.div_ceil(20) {
        let size = 20.min(n - batch * 20);
        let mut waits = Vec::new();
        let before = notifier.stats().waiting;
        for _ in 0..size {
            let request = AuthRequest::default()
                .ref_id("sim:manual")
                .callback_url(callback_url.to_string());
            let session = client.bankid_se().auth(request).await.expect("start");
            let id = session.id().to_string();
            let task = tokio::spawn(async move {
                let outcome = session.wait(WaitOptions::default()).await;
                (Instant::now(), outcome)
            });
            waits.push((id, task));
        }
        while notifier.stats().waiting < before + size {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let mut done = Vec::new();
        for (id, task) in waits {
            let completed_at = sim.complete_now(&id).expect("pending");
            done.push((completed_at, task));
            // Spread the completions a little, as real users do.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for (completed_at, task) in done {
            let (returned_at, outcome) = task.await.unwrap();
            assert!(matches!(outcome, Ok(Outcome::Completed(_))), "{outcome:?}");
            out.push((returned_at - completed_at).as_secs_f64() * 1000.0);
        }
    }
    out
}

/// Average collects per session, each completing after three 1 s steps.
async fn collects_per_session(
    sim: &identisure_simulator::RunningSimulator,
    notifier: Option<(Notifier, String)>,
    n: usize,
) -> f64 {
    let client = new_client(sim.url(), notifier.as_ref().map(|(n, _)| n.clone()));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let session = client
                .bankid_se()
                .auth(AuthRequest::default())
                .await
                .expect("start");
            let outcome = session.wait(WaitOptions::default()).await;
            assert!(matches!(outcome, Ok(Outcome::Completed(_))), "{outcome:?}");
            session.id().to_string()
        }));
    }
    let mut total = 0usize;
    for t in tasks {
        total += sim.collect_log(&t.await.unwrap()).len();
    }
    total as f64 / n as f64
}

/// Starts `n` sessions at once and waits for them all; returns how many were
/// lost (start or wait failed, or not completed).
async fn burst_lost(n: usize) -> usize {
    let (child, url) =
        simulator_process(Duration::from_secs(1)).expect("the simulator process starts");
    let (notifier, _callback_url) = served_notifier(None, Duration::from_secs(5)).await;
    let client = Arc::new(new_client(&url, Some(notifier)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let session = client.bankid_se().auth(AuthRequest::default()).await?;
            session
                .wait(WaitOptions::default().timeout(Duration::from_secs(300)))
                .await
        }));
    }
    let mut lost = Lost::default();
    for t in tasks {
        match t.await {
            Ok(Ok(Outcome::Completed(_))) => {}
            Ok(Ok(other)) => lost.add(format!("{other:?}")),
            Ok(Err(e)) => lost.add(e.to_string()),
            Err(e) => lost.add(e.to_string()),
        }
    }
    eprintln!(
        "scale: burst done in {:.1} s, lost {} {:?}",
        started.elapsed().as_secs_f64(),
        lost.count,
        lost.why
    );
    stop(child);
    lost.count
}

/// Sessions lost, counted by what went wrong.
#[derive(Default)]
struct Lost {
    count: usize,
    why: std::collections::BTreeMap<String, usize>,
}

impl Lost {
    fn add(&mut self, why: String) {
        self.count += 1;
        *self.why.entry(why).or_default() += 1;
    }
}

/// This binary started again as a simulator (`--serve-simulator`) with
/// steps of `step`; returns it and the URL it printed.
fn simulator_process(step: Duration) -> Result<(std::process::Child, String), String> {
    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .arg("--serve-simulator")
        .arg(format!("--step-ms={}", step.as_millis()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("the simulator process: {e}"))?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let url = lines
        .next()
        .and_then(Result::ok)
        .ok_or("the simulator printed no URL")?;
    Ok((child, url))
}

/// Ends a simulator process of [`simulator_process`].
fn stop(mut child: std::process::Child) {
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"stop\n");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The child process: a simulator with 1 s steps (or `--step-ms=N`) until
/// stdin closes.
async fn serve_simulator() {
    let step = std::env::args()
        .find_map(|a| a.strip_prefix("--step-ms=")?.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis);
    let sim = simulator(Timing {
        step,
        expire_after: Duration::from_secs(3600),
        ..Timing::default()
    })
    .await;
    println!("{}", sim.url());
    let _ = std::io::stdout().flush();
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await
    .ok();
    sim.shutdown().await;
}

fn percentile(values: &[f64], p: usize) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p as f64 / 100.0) * v.len() as f64).ceil() as usize;
    let x = v[rank.clamp(1, v.len()) - 1];
    (x * 100.0).round() / 100.0
}

#[cfg(feature = "redis")]
mod redis_server {
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    /// A redis-server child on a free 127.0.0.1 port (killed on drop).
    pub struct RedisServer {
        port: u16,
        child: Child,
    }

    impl RedisServer {
        pub fn start() -> Option<RedisServer> {
            let path = std::env::var_os("PATH")?;
            let binary = std::env::split_paths(&path)
                .map(|d| d.join("redis-server"))
                .find(|p| p.is_file())?;
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .ok()?
                .local_addr()
                .ok()?
                .port();
            let child = Command::new(binary)
                .args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            for _ in 0..500 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(RedisServer { port, child });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            None
        }

        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}/", self.port)
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
