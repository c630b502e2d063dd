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

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use identisure::callback::CallbackSecret;
use identisure::providers::bankid_se::AuthRequest;
use identisure::{Client, Notifier, Outcome, WaitOptions};
use identisure_simulator::{Simulator, Timing};
use serde_json::{Map, Value, json};

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
    report
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
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve-simulator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the simulator process starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .next()
        .and_then(Result::ok)
        .expect("the simulator prints its URL");
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
    let mut lost = 0;
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    for t in tasks {
        match t.await {
            Ok(Ok(Outcome::Completed(_))) => {}
            Ok(Ok(other)) => {
                lost += 1;
                *errors.entry(format!("{other:?}")).or_default() += 1;
            }
            Ok(Err(e)) => {
                lost += 1;
                *errors.entry(e.to_string()).or_default() += 1;
            }
            Err(e) => {
                lost += 1;
                *errors.entry(e.to_string()).or_default() += 1;
            }
        }
    }
    eprintln!(
        "scale: burst done in {:.1} s, lost {lost} {errors:?}",
        started.elapsed().as_secs_f64()
    );
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"stop\n");
    }
    let _ = child.kill();
    let _ = child.wait();
    lost
}

/// The child process: a simulator with 1 s steps until stdin closes.
async fn serve_simulator() {
    let sim = simulator(Timing::default()).await;
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
