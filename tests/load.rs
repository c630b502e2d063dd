//! Load: 1,000 concurrent sessions from one client against the in-process
//! simulator (short timings): none lost or crossed, no collect faster than
//! the rate limit allows, memory bounded.

use std::collections::HashSet;
use std::time::Duration;

use identisure::{BankIdSe, Client, Outcome, WaitOptions};
use identisure_simulator::{Simulator, Timing};

const SESSIONS: usize = 1000;

/// Resident memory of this process in KiB (Linux), if readable.
fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts one session of a family chosen by `i` with its own refId, waits
/// for it, and returns (session id from the start, id and refId of the result).
async fn one(client: Client, i: usize) -> (String, String, Option<String>) {
    let ref_id = format!("sim:complete:load-{i}");
    let options = WaitOptions::default().timeout(Duration::from_secs(120));
    match i % 3 {
        0 => {
            let s = client
                .bankid_se()
                .auth(identisure::providers::bankid_se::AuthRequest::default().ref_id(ref_id))
                .await
                .expect("start");
            match s.wait(options).await.expect("wait") {
                Outcome::Completed(c) => (s.id().to_string(), c.id, c.ref_id),
                other => panic!("session {i}: {other:?}"),
            }
        }
        1 => {
            let s = client
                .mitid()
                .auth(identisure::providers::mitid::AuthRequest::default().ref_id(ref_id))
                .await
                .expect("start");
            match s.wait(options).await.expect("wait") {
                Outcome::Completed(c) => (s.id().to_string(), c.id, c.ref_id),
                other => panic!("session {i}: {other:?}"),
            }
        }
        _ => {
            let s = client
                .ftn()
                .auth(identisure::providers::ftn::AuthRequest::default().ref_id(ref_id))
                .await
                .expect("start");
            match s.wait(options).await.expect("wait") {
                Outcome::Completed(c) => (s.id().to_string(), c.id, c.ref_id),
                other => panic!("session {i}: {other:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_sessions_none_lost_or_crossed() {
    let sim = Simulator::builder()
        .seed(1000)
        .timing(Timing {
            step: Duration::from_millis(50),
            ..Timing::default()
        })
        .build()
        .spawn_local()
        .await
        .unwrap();
    let client = Client::builder()
        .credentials(
            identisure_simulator::DEMO_ACCOUNT_ID,
            identisure_simulator::DEMO_SECRET_KEY,
        )
        .base_url(sim.url())
        .build()
        .unwrap();

    // Warm up (connection pool, lazy statics) before the first reading.
    let _ = one(client.clone(), 0).await;
    let before = vm_rss_kib();

    let tasks: Vec<_> = (0..SESSIONS)
        .map(|i| tokio::spawn(one(client.clone(), i)))
        .collect();
    let mut started_ids = HashSet::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let (started, id, ref_id) = task.await.expect("no task panicked");
        assert_eq!(id, started, "session {i} got another session's result");
        assert_eq!(
            ref_id.as_deref(),
            Some(format!("sim:complete:load-{i}").as_str()),
            "session {i} got another session's refId"
        );
        assert!(started_ids.insert(started), "session id of {i} repeated");
    }
    assert_eq!(started_ids.len(), SESSIONS, "none lost");
    assert_eq!(
        sim.simulator().rate_limit_violations(),
        0,
        "no collect came less than a second after the previous one"
    );
    for id in started_ids.iter().take(50) {
        let log = sim.simulator().collect_log(id);
        assert!(!log.is_empty(), "session {id} was collected");
        for w in log.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_secs(1), "{log:?}");
        }
    }

    if let (Some(before), Some(after)) = (before, vm_rss_kib()) {
        // Generous: a thousand sessions, their connections and the
        // simulator's store (ended sessions are retained) in one process.
        let grown_mib = after.saturating_sub(before) / 1024;
        assert!(
            grown_mib < 256,
            "resident memory grew by {grown_mib} MiB ({before} → {after} KiB)"
        );
    }
    sim.shutdown().await;
}

/// A waiting session is mostly its `wait` future (a spawned task holds it
/// for minutes, thousands at once): it stays small. Futures passed by value
/// through nested async functions once made it 3.3 KB; a select of the
/// callback, the cancel and a timer 504 bytes (a 640-byte tokio task cell);
/// one loop holding a tokio timer and a `Notified` 264 (a 384-byte cell).
/// Now it holds keys with its session's wake-ups and its runtime's timer,
/// and a collect is boxed while it runs: 112 bytes, so that a task of
/// `async move { session.wait(..).await }` (16 more) fits tokio's 256-byte
/// cell (which takes a future of at most 144 bytes).
#[test]
fn a_waiting_session_keeps_a_small_future() {
    let client = Client::builder().credentials("a", "s").build().unwrap();
    let session = client.bankid_se().auth_session("abc").unwrap();
    let size = std::mem::size_of_val(&session.wait(WaitOptions::default()));
    assert!(size <= 112, "the wait future is {size} bytes");
    let task = {
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    };
    let size = std::mem::size_of_val(&task);
    assert!(size <= 128, "a task waiting on a session is {size} bytes");
    // A task's cell holds the larger of its future and its output: what a
    // waiting task returns (here with the time it ended) fits as well.
    let size = std::mem::size_of::<identisure::Result<(std::time::Instant, Outcome<BankIdSe>)>>();
    assert!(size <= 128, "a waiting task's output is {size} bytes");
    // The session handle itself is one pointer.
    assert_eq!(
        std::mem::size_of_val(&session),
        std::mem::size_of::<usize>()
    );
}
