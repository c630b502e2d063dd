//! `phase_detect_ms_p50` / `_p95` and `phase_rate_limit_violations`: 300
//! sessions started together (all in phase) against one mock on 127.0.0.1
//! that answers 429 to a collect arriving less than a second after that
//! session's previous answered one, and completes each session at a random
//! instant; how late `wait()` sees the completion. Beside it, measured the
//! same way in the same run, the official client's behaviour: a naive poller
//! on a bare reqwest client that sleeps exactly one second after every
//! answer (`phase_naive_ms_p50` / `_p95`, `phase_naive_violations`).
//!
//! The mock runs on a thread and runtime of its own and takes each arrival
//! when a request's headers are in (what a rate limiter measures). The two
//! pollers take turns, round by round, each with its own sessions.
//!
//! The completion instants are drawn once per round and given to both
//! pollers (a paired comparison: a difference between the two is theirs,
//! not their draws'), spread evenly over the window: one in each of
//! `SESSIONS` equal slices, at a random point of it, in random order. A
//! session's lateness is where its completion falls in its poller's
//! cycle; drawn independently, 900 instants put a p95 within about ±7 ms
//! of a cycle's 95 % by chance alone (one fixed seed gave the two pollers
//! samples 20 ms apart), spread evenly within about one slice of it.
//!
//! On 127.0.0.1 a round trip is a fraction of a millisecond, so counting
//! from the answer costs little there; `phase_rtt30_*` is the same case
//! with every answer sent 30 ms after the arrival is taken (a service
//! 30 ms away), where a poller that counts from the answer loses 30 ms a
//! cycle.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use identisure::{Outcome, WaitOptions};

use crate::support::{Ctx, Metrics, Rng, metric, ms, quantile, round, spawn_http_server};

/// Sessions started together, per round and poller.
const SESSIONS: usize = 300;

/// What the mock knows of one session.
struct Session {
    completes_at: Instant,
    last_answered: Option<Instant>,
    /// Gaps between answered collects, in ms.
    gaps: Vec<f64>,
}

#[derive(Default)]
struct Mock {
    /// How long an answer takes after its arrival is taken, in ms (the way
    /// back and the server's work after its clock).
    answer_after_ms: AtomicU64,
    sessions: Mutex<HashMap<String, Session>>,
    violations: AtomicU64,
    collects: AtomicU64,
}

impl Mock {
    fn answer(&self, id: &str) -> String {
        let now = Instant::now();
        self.collects.fetch_add(1, Ordering::Relaxed);
        let mut sessions = self.sessions.lock().expect("not poisoned");
        let Some(session) = sessions.get_mut(id) else {
            return reply("404 Not Found", r#"{"message":"no such session"}"#);
        };
        if session
            .last_answered
            .is_some_and(|last| now.saturating_duration_since(last) < Duration::from_secs(1))
        {
            self.violations.fetch_add(1, Ordering::Relaxed);
            return "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n"
                .into();
        }
        if let Some(last) = session.last_answered {
            session.gaps.push(ms(now - last));
        }
        session.last_answered = Some(now);
        let status = if now >= session.completes_at {
            "COMPLETED"
        } else {
            "PENDING"
        };
        reply(
            "200 OK",
            &format!(r#"{{"id":"{id}","status":"{status}","hintCode":"outstandingTransaction"}}"#),
        )
    }
}

fn reply(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Serves the mock on its own thread until the process ends: the session
/// id is the last segment of the request's path.
fn spawn_mock(mock: Arc<Mock>) -> Result<std::net::SocketAddr, String> {
    spawn_http_server(move |head| {
        let head = String::from_utf8_lossy(head);
        let id = head
            .split_whitespace()
            .nth(1)
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default();
        let answer = mock.answer(id);
        let after = mock.answer_after_ms.load(Ordering::Relaxed);
        async move {
            if after > 0 {
                tokio::time::sleep(Duration::from_millis(after)).await;
            }
            answer
        }
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Poller {
    Ours,
    Naive,
}

/// When each of a round's sessions completes after the round begins: 0.5–
/// 6.5 s (six cycles, so that what a cycle adds accumulates, and the edges
/// of the window, where the collects of all sessions fall together, weigh
/// little), one instant in each of `SESSIONS` equal slices of it, shuffled.
fn completions(rng: &mut Rng) -> Vec<Duration> {
    let (low, high) = (Duration::from_millis(500), Duration::from_millis(6_500));
    let slice = (high - low) / SESSIONS as u32;
    let mut at: Vec<Duration> = (0..SESSIONS as u32)
        .map(|i| low + slice * i + slice.mul_f64(rng.next_f64()))
        .collect();
    // Fisher–Yates: which session completes when is not its start order.
    for i in (1..at.len()).rev() {
        let j = ((rng.next_f64() * (i + 1) as f64) as usize).min(i);
        at.swap(i, j);
    }
    at
}

/// One round: `SESSIONS` sessions registered, then all polled at once,
/// each completing `completes_after` the round begins. The lateness of
/// each, and the gaps between each session's collects at the mock.
async fn round_of(
    poller: Poller,
    round: &str,
    mock: &Arc<Mock>,
    base: &str,
    ours: &identisure::Client,
    bare: &reqwest::Client,
    completes_after: &[Duration],
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let begin = Instant::now();
    let tag = if poller == Poller::Ours { "o" } else { "n" };
    let ids: Vec<(String, Instant)> = completes_after
        .iter()
        .enumerate()
        .map(|(i, after)| (format!("{round}-{tag}-{i}"), begin + *after))
        .collect();
    {
        let mut sessions = mock.sessions.lock().expect("not poisoned");
        for (id, at) in &ids {
            sessions.insert(
                id.clone(),
                Session {
                    completes_at: *at,
                    last_answered: None,
                    gaps: Vec::new(),
                },
            );
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (id, completes_at) in ids {
        let ours = ours.clone();
        let bare = bare.clone();
        let url = format!("{base}/v3/bankid-se/auth/{id}");
        tasks.spawn(async move {
            match poller {
                Poller::Ours => {
                    let session = ours
                        .bankid_se()
                        .auth_session(&id)
                        .map_err(|e| e.to_string())?;
                    let outcome = session
                        .wait(WaitOptions::default().timeout(Duration::from_secs(60)))
                        .await
                        .map_err(|e| e.to_string())?;
                    if !matches!(outcome, Outcome::Completed(_)) {
                        return Err("a session did not complete".to_string());
                    }
                }
                Poller::Naive => naive_wait(&bare, &url).await?,
            }
            Ok::<f64, String>(ms(Instant::now().saturating_duration_since(completes_at)))
        });
    }
    let mut late = Vec::with_capacity(SESSIONS);
    while let Some(joined) = tasks.join_next().await {
        late.push(joined.map_err(|e| e.to_string())??);
    }
    let sessions = mock.sessions.lock().expect("not poisoned");
    let gaps: Vec<f64> = sessions
        .iter()
        .filter(|(id, _)| id.starts_with(&format!("{round}-{tag}-")))
        .flat_map(|(_, s)| s.gaps.iter().copied())
        .collect();
    Ok((late, gaps))
}

/// The official client's loop: collect, and one second after the answer
/// collect again, until the session is final.
async fn naive_wait(bare: &reqwest::Client, url: &str) -> Result<(), String> {
    for _ in 0..120 {
        let response = bare
            .get(url)
            .basic_auth("bench", Some("bench-secret"))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            let value: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
            if value["status"] == "COMPLETED" {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err("the naive poller gave up".into())
}

pub async fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let mock = Arc::new(Mock::default());
    let addr = spawn_mock(mock.clone())?;
    let base = format!("http://{addr}");
    let bare = identisure::http_client_builder()
        .build()
        .map_err(|e| e.to_string())?;
    let mut metrics = Vec::new();
    for (prefix, answer_after_ms, rounds) in [
        ("phase", 0, ctx.pick(1, 3)),
        // More rounds at 30 ms: our first collects go out in waves of the
        // in-flight bound (64 a round trip: 0–150 ms), which shifts each
        // session's cycle by its own amount and so undoes part of the even
        // spread of the completions (two rounds gave p50s 18 ms apart).
        ("phase_rtt30", 30, ctx.pick(1, 4)),
    ] {
        mock.answer_after_ms
            .store(answer_after_ms, Ordering::Relaxed);
        // A client of its own per case: what it learnt of the round trip
        // to one service is not carried to another.
        let ours = identisure::Client::builder()
            .credentials("bench", "bench-secret")
            .base_url(&base)
            .build()
            .map_err(|e| e.to_string())?;
        let (m, violations) = measure(prefix, rounds, &mock, &base, &ours, &bare).await?;
        ctx.add_violations(violations);
        metrics.extend(m);
    }
    Ok(metrics)
}

/// `rounds` rounds of each poller; the metrics under `prefix`, and our
/// poller's 429s.
async fn measure(
    prefix: &str,
    rounds: usize,
    mock: &Arc<Mock>,
    base: &str,
    ours: &identisure::Client,
    bare: &reqwest::Client,
) -> Result<(Metrics, u64), String> {
    let mut rng = Rng::new(0x9a5e_0300);
    let (mut late_ours, mut late_naive) = (Vec::new(), Vec::new());
    let (mut violations_ours, mut violations_naive) = (0, 0);
    let (mut collects_ours, mut collects_naive) = (0, 0);
    let (mut gaps_ours, mut gaps_naive) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let completes_after = completions(&mut rng);
        // Alternate which goes first.
        let order = if round % 2 == 0 {
            [Poller::Ours, Poller::Naive]
        } else {
            [Poller::Naive, Poller::Ours]
        };
        for poller in order {
            let violations = mock.violations.load(Ordering::Relaxed);
            let collects = mock.collects.load(Ordering::Relaxed);
            let tag = format!("{prefix}-{round}");
            let (late, gaps) =
                round_of(poller, &tag, mock, base, ours, bare, &completes_after).await?;
            let violations = mock.violations.load(Ordering::Relaxed) - violations;
            let collects = mock.collects.load(Ordering::Relaxed) - collects;
            match poller {
                Poller::Ours => {
                    late_ours.extend(late);
                    gaps_ours.extend(gaps);
                    violations_ours += violations;
                    collects_ours += collects;
                }
                Poller::Naive => {
                    late_naive.extend(late);
                    gaps_naive.extend(gaps);
                    violations_naive += violations;
                    collects_naive += collects;
                }
            }
        }
    }
    let p = |v: &mut Vec<f64>, q| quantile(v, q);
    let (o50, o95, omax) = (
        p(&mut late_ours, 0.5),
        p(&mut late_ours, 0.95),
        p(&mut late_ours, 1.0),
    );
    let (n50, n95) = (p(&mut late_naive, 0.5), p(&mut late_naive, 0.95));
    let sessions = late_ours.len().max(1) as f64;
    let key = |name: &str| format!("{prefix}_{name}");
    let metrics = vec![
        metric(&key("detect_ms_p50"), round(o50, 1)),
        metric(&key("detect_ms_p95"), round(o95, 1)),
        metric(&key("detect_ms_max"), round(omax, 1)),
        metric(&key("rate_limit_violations"), violations_ours),
        metric(&key("naive_ms_p50"), round(n50, 1)),
        metric(&key("naive_ms_p95"), round(n95, 1)),
        metric(&key("naive_violations"), violations_naive),
        metric(&key("p50_ratio_naive"), round(o50 / n50, 3)),
        metric(&key("p95_ratio_naive"), round(o95 / n95, 3)),
        metric(
            &key("collects_per_session"),
            round(collects_ours as f64 / sessions, 2),
        ),
        metric(
            &key("naive_collects_per_session"),
            round(collects_naive as f64 / late_naive.len().max(1) as f64, 2),
        ),
        // The cadence at the server: gaps between one session's collects.
        metric(&key("gap_ms_p50"), round(p(&mut gaps_ours, 0.5), 1)),
        metric(&key("gap_ms_min"), round(p(&mut gaps_ours, 0.0), 1)),
        metric(&key("naive_gap_ms_p50"), round(p(&mut gaps_naive, 0.5), 1)),
        metric(&key("sessions"), SESSIONS as u64),
        metric(&key("rounds"), rounds as u64),
    ];
    Ok((metrics, violations_ours))
}
