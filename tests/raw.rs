//! `Client::raw()` sends through the same hooks as the layer's own calls
//! (`src/hooks.rs`): its answers are capped with the typed error, it counts
//! in the bound on requests in flight, a start's `200` decodes, and its
//! calls are traced by the span `identisure.call`. Against the programmable
//! server of tests/hostile.rs.

#[path = "hostile/server.rs"]
mod server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use identisure::{Error, TransportKind};
use serde_json::json;
use server::{Reply, hostile};

fn client(base: &str, max_in_flight: usize) -> identisure::Client {
    logs();
    identisure::Client::builder()
        .credentials("acct-raw", "raw-secret")
        .base_url(base)
        .request_timeout(Duration::from_millis(800))
        .max_in_flight(max_in_flight)
        .max_response_bytes(4096)
        .build()
        .unwrap()
}

fn pending(status: u16) -> Reply {
    Reply::json(
        status,
        json!({"id": "s", "status": "PENDING", "hintCode": "outstandingTransaction",
               "autoStartToken": "ast", "qrStartToken": "qst", "qrStartSecret": "qss"}),
    )
}

#[tokio::test]
async fn a_raw_answer_past_the_cap_is_the_typed_size_error() {
    let server = hostile(vec![], vec![Reply::Endless]).await;
    let c = client(&server.base, 4);
    let e: Error = c
        .raw()
        .bankid_se_auth_collect(&"s".parse().unwrap())
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(
            e,
            Error::ResponseTooLarge {
                status: 200,
                limit: 4096
            }
        ),
        "{e:?}"
    );
    let server = hostile(
        vec![Reply::Huge {
            status: 201,
            declared: 1 << 20,
        }],
        vec![],
    )
    .await;
    let e: Error = client(&server.base, 4)
        .raw()
        .bankid_se_auth_start(&identisure::raw::types::BankIdSeAuthRequest::default())
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(e, Error::ResponseTooLarge { status: 201, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_raw_start_answered_200_decodes() {
    let server = hostile(vec![pending(200)], vec![]).await;
    let answer = client(&server.base, 4)
        .raw()
        .bankid_se_auth_start(&identisure::raw::types::BankIdSeAuthRequest::default())
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.id, "s");
}

/// With one request in flight allowed, a raw call that hangs holds the
/// permit: the layer's collect leaves only after it ends.
#[tokio::test]
async fn raw_calls_count_in_the_bound_on_requests_in_flight() {
    let server = hostile(vec![], vec![Reply::Hang, pending(200)]).await;
    let c = client(&server.base, 1);
    let raw = c.raw().clone();
    let hanging =
        tokio::spawn(async move { raw.bankid_se_auth_collect(&"h".parse().unwrap()).await });
    // The raw call holds the permit before the layer's asks for it.
    while server.count("GET") == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let asked = Instant::now();
    let session = c.bankid_se().auth_session("s").unwrap();
    session.collect().await.unwrap();
    let e: Error = hanging.await.unwrap().unwrap_err().into();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    let gaps = server.get_gaps();
    assert!(gaps[0] >= Duration::from_millis(600), "{gaps:?}");
    assert!(asked.elapsed() >= Duration::from_millis(500));
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of every test of this file: one global subscriber (a
/// thread-local one would race with the other tests over the callsites'
/// cached interest).
fn logs() -> &'static Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
}

#[tokio::test]
async fn a_raw_call_is_traced_by_its_span() {
    let logs = logs();
    let server = hostile(vec![], vec![pending(200)]).await;
    client(&server.base, 4)
        .raw()
        .bankid_se_auth_collect(&"traced-1".parse().unwrap())
        .await
        .unwrap();
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let answered = log
        .lines()
        .find(|l| l.contains("session_id=\"traced-1\"") && l.contains("answer received"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        answered.contains("identisure.call{operation=\"bankid_se_auth_collect\"")
            && answered.contains("status=200"),
        "{answered}"
    );
    assert!(!log.contains("raw-secret"), "{log}");
}

/// The span of each collect of a wait says which attempt of that collect it
/// is: 1, and 2 for its retry after a 503; not how many collects the wait
/// has made so far.
#[tokio::test]
async fn a_waits_collect_spans_count_the_attempts_of_each_collect() {
    use identisure::providers::bankid_se::AuthRequest;
    let logs = logs();
    let id = "attempts-1";
    let pending = |status: u16| {
        Reply::json(
            status,
            json!({"id": id, "status": "PENDING", "hintCode": "outstandingTransaction",
                   "autoStartToken": "ast", "qrStartToken": "qst", "qrStartSecret": "qss"}),
        )
    };
    let completed = Reply::json(200, json!({"id": id, "status": "COMPLETED"}));
    let unavailable = Reply::json(503, json!({"message": "try again"}));
    let server = hostile(
        vec![pending(201)],
        vec![pending(200), unavailable, pending(200), completed],
    )
    .await;
    let client = client(&server.base, 4);
    let session = client
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .unwrap();
    let outcome = session
        .wait(identisure::WaitOptions::default())
        .await
        .unwrap();
    assert!(matches!(outcome, identisure::Outcome::Completed(_)));
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let attempts: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("bankid_se_auth_collect")
                && l.contains(&format!("session_id=\"{id}\""))
                && l.contains("answer received")
        })
        .filter_map(|l| l.split("attempt=").nth(1)?.split(['}', ' ']).next())
        .collect();
    assert_eq!(attempts, ["1", "1", "2", "1"], "{log}");
}
