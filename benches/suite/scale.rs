//! `concurrent_sessions` and `rss_mb_per_1k_sessions`: ten thousand sessions
//! waiting at once in this process, against a simulator in a child process
//! (so this process's memory is the client's alone), and the growth of the
//! resident memory per thousand waiting sessions.
//!
//! Also recorded: the peak number of sockets the client held (HTTP/1.1 has
//! one request per connection at a time, so this is the peak of collects in
//! flight) and the starts per second through the client.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use identisure::WaitOptions;
use identisure_simulator::Simulator;

use crate::support::{
    Ctx, Metrics, demo_client, metric, open_sockets, patient_timing, round, vm_rss_kib,
};

/// Argument that makes the bench binary serve a simulator instead.
pub const CHILD_FLAG: &str = "--simulator-child";

/// Child mode: serve a simulator, print its URL, and on a line (or end of
/// input) print the rate-limit violations and exit.
pub fn simulator_child() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let sim = Simulator::builder()
            .timing(patient_timing())
            .build()
            .spawn_local()
            .await
            .expect("the simulator binds 127.0.0.1");
        println!("{}", sim.url());
        let _ = std::io::stdout().flush();
        let _ = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await;
        println!("{}", sim.rate_limit_violations());
        let _ = std::io::stdout().flush();
    });
    // Waiting collects of the parent are not drained: just go.
    std::process::exit(0);
}

/// The child process; killed when dropped.
struct Child {
    process: std::process::Child,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Child {
    fn spawn() -> Result<(Self, String), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut process = Command::new(exe)
            .arg(CHILD_FLAG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the simulator process: {e}"))?;
        let stdout = process.stdout.take().ok_or("no stdout")?;
        let mut child = Child {
            process,
            stdout: BufReader::new(stdout),
        };
        let url = child.line()?;
        Ok((child, url))
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.is_empty() {
            return Err("the simulator process ended early".into());
        }
        Ok(line.trim().to_string())
    }

    fn violations(&mut self) -> Result<u64, String> {
        let stdin = self.process.stdin.as_mut().ok_or("no stdin")?;
        stdin.write_all(b"stats\n").map_err(|e| e.to_string())?;
        let line = self.line()?;
        line.parse().map_err(|_| format!("not a count: {line}"))
    }
}

pub async fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let sessions: usize = 10_000;
    let hold = Duration::from_secs(ctx.pick(4, 10));
    let (mut child, url) = Child::spawn()?;
    let client = demo_client(&url)?;

    // Warm up (connection pool, TLS provider, allocator) before the baseline.
    let warm = client
        .bankid_se()
        .auth(identisure::providers::bankid_se::AuthRequest::default().ref_id("sim:manual:warm"))
        .await
        .map_err(|e| e.to_string())?;
    warm.collect().await.map_err(|e| e.to_string())?;
    drop(warm);
    let rss_before = vm_rss_kib().ok_or("cannot read VmRSS")?;

    let started = Instant::now();
    let all: Vec<_> = futures_util::stream::iter(0..sessions)
        .map(|i| {
            let client = client.clone();
            async move {
                let request = identisure::providers::bankid_se::AuthRequest::default()
                    .ref_id(format!("sim:manual:scale-{i}"));
                client
                    .bankid_se()
                    .auth(request)
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    let start_secs = started.elapsed().as_secs_f64();
    // The handles alone (the PENDING data of each session), before any wait.
    let rss_started = vm_rss_kib().ok_or("cannot read VmRSS")?;
    let sockets_after_starts = open_sockets().unwrap_or(0);
    let wait_future_bytes = std::mem::size_of_val(&all[0].wait(WaitOptions::default()));

    // The waits begin spread over one second (as logins arrive), then hold.
    let mut waits = Vec::with_capacity(sessions);
    let chunks = 50;
    for chunk in all.chunks(sessions.div_ceil(chunks)) {
        for session in chunk {
            let session = session.clone();
            waits.push(tokio::spawn(async move {
                session.wait(WaitOptions::default().no_timeout()).await
            }));
        }
        tokio::time::sleep(Duration::from_secs(1) / chunks as u32).await;
    }
    drop(all);
    let held = Instant::now();
    let mut peak_sockets = 0;
    let mut rss_during = 0;
    while held.elapsed() < hold {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak_sockets = peak_sockets.max(open_sockets().unwrap_or(0));
        rss_during = rss_during.max(vm_rss_kib().unwrap_or(0));
    }
    let rss_after = vm_rss_kib().ok_or("cannot read VmRSS")?;
    let waiting = waits.iter().filter(|w| !w.is_finished()).count();
    let mut ended = Vec::new();
    for w in waits.iter_mut().filter(|w| w.is_finished()).take(3) {
        ended.push(match w.await {
            Ok(Ok(outcome)) => format!("{outcome:?}"),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        });
    }
    let violations = child.violations()?;
    ctx.add_violations(violations);
    for w in &waits {
        w.abort();
    }
    drop(child);
    let growth_mb = rss_after.saturating_sub(rss_before) as f64 / 1024.0;
    let mut metrics = vec![
        metric("concurrent_sessions", waiting as u64),
        metric(
            "rss_mb_per_1k_sessions",
            round(growth_mb / (waiting.max(1) as f64 / 1000.0), 3),
        ),
        metric(
            "rss_mb_growth_peak",
            round(rss_during.saturating_sub(rss_before) as f64 / 1024.0, 1),
        ),
        metric("concurrent_peak_sockets", peak_sockets as u64),
        metric("sockets_after_starts", sockets_after_starts as u64),
        metric(
            "rss_mb_per_1k_started_sessions",
            round(
                rss_started.saturating_sub(rss_before) as f64 / 1024.0 / (sessions as f64 / 1000.0),
                3,
            ),
        ),
        metric("wait_future_bytes", wait_future_bytes as u64),
        metric(
            "client_starts_per_s",
            round(sessions as f64 / start_secs, 0),
        ),
        metric("concurrent_hold_s", hold.as_secs()),
    ];
    if !ended.is_empty() {
        metrics.push(metric(
            "concurrent_sessions_ended_early",
            serde_json::json!(ended),
        ));
    }
    Ok(metrics)
}
