//! Completion by callback (in-process notifier), the client-wide
//! collect limit under 429, the bound on requests in flight, and which
//! start failures are retried.
#![cfg(feature = "axum")]

#[path = "../simulator/tests/simulator_support/mod.rs"]
mod simulator_support;
use simulator_support::{manual, until};
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use identisure::callback::{CallbackSecret, sign_callback};
use identisure::providers::bankid_se::AuthRequest;
use identisure::{Client, CollectLimit, Error, Notifier, Outcome, TransportKind, WaitOptions};
use identisure_simulator::{RateLimit, Timing};
use simulator_support::{ACCOUNT, SECRET};

/// Serves `router` on 127.0.0.1; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A notifier whose callback route is served here, and a client using it.
async fn notified_client(sim_url: &str, fallback: Duration) -> (Client, Notifier, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback_url = format!("http://{}/cb", listener.local_addr().unwrap());
    let notifier = Notifier::builder(CallbackSecret::new(SECRET))
        .fallback_poll_interval(fallback)
        .callback_url(&callback_url)
        .unwrap()
        .build();
    let router = notifier.router("/cb");
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(sim_url)
        .notifier(notifier.clone())
        .build()
        .unwrap();
    (client, notifier, callback_url)
}

#[tokio::test]
async fn a_verified_callback_ends_the_wait_without_any_collect() {
    let sim = simulator_support::start().await;
    let (client, notifier, _) = notified_client(sim.url(), Duration::from_secs(60)).await;
    let session = client.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    });
    until("the wait registers", || notifier.stats().waiting == 1).await;
    sim.complete_now(&id).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the callback ends the wait long before the 60 s fallback")
        .unwrap()
        .unwrap();
    match outcome {
        Outcome::Completed(person) => assert_eq!(person.id, id),
        other => panic!("unexpected {other:?}"),
    }
    assert!(sim.collect_log(&id).is_empty(), "no collect was needed");
    let stats = notifier.stats();
    assert_eq!(stats.delivered, 1);
    assert_eq!(stats.rejected, 0);
    assert_eq!(stats.waiting, 0);
}

#[tokio::test]
async fn a_callback_that_arrives_before_the_wait_is_kept_and_used() {
    let sim = simulator_support::start().await;
    let (client, notifier, _) = notified_client(sim.url(), Duration::from_secs(60)).await;
    let session = client.bankid_se().auth(manual()).await.unwrap();
    sim.complete_now(session.id()).unwrap();
    until("the callback is kept", || notifier.stats().kept == 1).await;
    let outcome = session.wait(WaitOptions::default()).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
    assert!(sim.collect_log(session.id()).is_empty());
}

/// With a notifier, a wait sleeps until the fallback collect: a cancel
/// still ends it at once, and its deadline (long before the fallback) ends
/// it with `WaitTimeout` and cancels the session on the server.
#[tokio::test]
async fn a_cancel_or_the_deadline_ends_a_wait_with_a_notifier_before_any_collect() {
    let sim = simulator_support::start().await;
    let (client, notifier, _) = notified_client(sim.url(), Duration::from_secs(60)).await;

    let session = client.bankid_se().auth(manual()).await.unwrap();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    });
    until("the wait registers", || notifier.stats().waiting == 1).await;
    session.cancel().await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the cancel ends the wait long before the 60 s fallback")
        .unwrap();
    assert!(matches!(ended, Err(Error::Cancelled)), "{ended:?}");
    assert!(sim.collect_log(session.id()).is_empty());

    let session = client.bankid_se().auth(manual()).await.unwrap();
    let started = Instant::now();
    let ended = tokio::time::timeout(
        Duration::from_secs(20),
        session.wait(WaitOptions::default().timeout(Duration::from_millis(1500))),
    )
    .await
    .expect("the deadline ends the wait long before the 60 s fallback");
    assert!(matches!(ended, Err(Error::WaitTimeout)), "{ended:?}");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(sim.collect_log(session.id()).is_empty());
    let state = client
        .bankid_se()
        .auth_session(session.id())
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(
        matches!(
            state,
            identisure::State::Failed {
                code: identisure::FailureCode::Cancelled,
                ..
            }
        ),
        "the deadline cancelled the session: {state:?}"
    );
    until("the waits are gone", || notifier.stats().waiting == 0).await;
}

#[tokio::test]
async fn a_lost_callback_still_ends_the_wait_by_polling_at_the_slower_cadence() {
    let sim = simulator_support::start_with(
        RateLimit::PerSession,
        Timing {
            step: Duration::from_millis(700),
            ..simulator_support::fast_timing()
        },
        7,
    )
    .await;
    // The callback URL points at a port where nobody listens.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/cb", dead.local_addr().unwrap());
    drop(dead);
    let notifier = Notifier::builder(CallbackSecret::new(SECRET))
        .fallback_poll_interval(Duration::from_millis(1500))
        .callback_url(dead_url)
        .unwrap()
        .build();
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(sim.url())
        .notifier(notifier.clone())
        .build()
        .unwrap();
    let session = client
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .unwrap();
    let started = Instant::now();
    let outcome = session.wait(WaitOptions::default()).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
    let log = sim.collect_log(session.id());
    assert!(!log.is_empty());
    // The first collect waited one fallback interval, and collects are at
    // least that far apart.
    assert!(log[0] - started >= Duration::from_millis(1500), "{log:?}");
    for w in log.windows(2) {
        assert!(w[1] - w[0] >= Duration::from_millis(1500), "{log:?}");
    }
    assert_eq!(notifier.stats().delivered, 0);
}

#[tokio::test]
async fn a_forged_callback_is_refused_counted_and_never_trusted() {
    let sim = simulator_support::start().await;
    let (client, notifier, callback_url) =
        notified_client(sim.url(), Duration::from_secs(60)).await;
    let session = client.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    });
    until("the wait registers", || notifier.stats().waiting == 1).await;
    // A forged FAILED, signed with another key, and one without signature.
    let body = format!(r#"{{"id":"{id}","status":"FAILED","error":"CANCELLED"}}"#);
    let http = identisure::http_client_builder().build().unwrap();
    let forged = sign_callback(&CallbackSecret::new("not-the-secret"), body.as_bytes());
    let answer = http
        .post(&callback_url)
        .header("X-Signature-SHA256", forged)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let answer = http.post(&callback_url).body(body).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(notifier.stats().rejected, 2);
    assert!(!waiting.is_finished());
    // The genuine completion still decides.
    sim.complete_now(&id).unwrap();
    let outcome = waiting.await.unwrap().unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
}

#[tokio::test]
async fn updates_end_with_the_state_of_the_callback() {
    use futures_util::StreamExt;
    let sim = simulator_support::start().await;
    let (client, notifier, _) = notified_client(sim.url(), Duration::from_secs(60)).await;
    let session = client.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let mut updates = Box::pin(session.updates());
    let first = updates.next().await.unwrap().unwrap();
    assert!(!first.is_final());
    let sim2 = sim.simulator().clone();
    let n = notifier.clone();
    tokio::spawn(async move {
        until("the stream listens", || n.stats().waiting == 1).await;
        sim2.complete_now(&id);
    });
    let last = tokio::time::timeout(Duration::from_secs(20), updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(last.is_final());
    assert!(updates.next().await.is_none());
    // One collect for the first state, none after it.
    assert_eq!(sim.collect_log(session.id()).len(), 1);
}

#[tokio::test]
async fn callbacks_for_sessions_nobody_waits_for_expire() {
    let secret = CallbackSecret::new(SECRET);
    let notifier = Notifier::builder(secret.clone())
        .keep_for(Duration::from_millis(100))
        .build();
    let body = br#"{"id":"nobody","status":"COMPLETED"}"#;
    notifier
        .deliver(body, Some(&sign_callback(&secret, body)))
        .unwrap();
    assert_eq!(notifier.stats().kept, 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let stats = notifier.stats();
    assert_eq!((stats.kept, stats.expired), (0, 1));
}

/// A 429 on one session's collect delays the next collect of every other
/// session of a client with `CollectLimit::PerClient`, by its Retry-After.
#[tokio::test]
async fn a_429_slows_every_session_sharing_the_client_wide_limit() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let limited = support::Script::new(vec![
        ResponseTemplate::new(429).insert_header("Retry-After", "2"),
    ]);
    let other = support::Script::new(vec![support::json(
        200,
        support::pending_se("b", "started"),
    )]);
    Mock::given(method("GET"))
        .and(path("/v3/bankid-se/auth/a"))
        .respond_with(limited.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/bankid-se/auth/b"))
        .respond_with(other.clone())
        .mount(&server)
        .await;
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(server.uri())
        .collect_limit(CollectLimit::PerClient)
        .build()
        .unwrap();
    let a = client.bankid_se().auth_session("a").unwrap();
    let b = client.bankid_se().auth_session("b").unwrap();
    assert!(matches!(a.collect().await, Err(Error::RateLimited { .. })));
    b.collect().await.unwrap();
    let gap = other.times()[0] - limited.times()[0];
    assert!(gap >= Duration::from_secs(2), "{gap:?}");
}

/// At most `max_in_flight` requests of one client are open at once; the
/// others queue and all succeed.
#[tokio::test]
async fn a_burst_queues_within_the_bound_on_requests_in_flight() {
    use axum::routing::get;
    let open = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (o, p) = (open.clone(), peak.clone());
    let router = axum::Router::new().route(
        "/v3/bankid-se/auth/{id}",
        get(
            move |axum::extract::Path(id): axum::extract::Path<String>| {
                let (o, p) = (o.clone(), p.clone());
                async move {
                    let now = o.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    o.fetch_sub(1, Ordering::SeqCst);
                    axum::Json(support::pending_se(&id, "started"))
                }
            },
        ),
    );
    let base = serve(router).await;
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(base)
        .max_in_flight(4)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let session = client.bankid_se().auth_session(&format!("s{i}")).unwrap();
        tasks.push(tokio::spawn(async move { session.collect().await }));
    }
    for t in tasks {
        assert!(!t.await.unwrap().unwrap().is_final());
    }
    let peak = peak.load(Ordering::SeqCst);
    assert!((1..=4).contains(&peak), "peak {peak}");
}

fn start_client(base: &str, retries: u32) -> Client {
    Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(base)
        .start_connect_retries(retries)
        .build()
        .unwrap()
}

/// A port that refuses connections for a while, then accepts one and
/// answers 201: the start goes through, and exactly one request arrived.
#[tokio::test]
async fn a_start_whose_connection_was_refused_is_sent_again() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        // Refused until this binds.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let k = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..k]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    if buf.len() >= end + 4 + len || k == 0 {
                        break;
                    }
                }
            }
            seen.fetch_add(1, Ordering::SeqCst);
            let body = support::pending_se("started-1", "outstandingTransaction").to_string();
            let resp = format!(
                "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(resp.as_bytes()).await.unwrap();
        }
    });
    let base = format!("http://{addr}");
    // Six retries (0.2 s, 0.4 s, … up to 3.2 s apart): room for a slow bind.
    let session = start_client(&base, 6)
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .unwrap();
    assert_eq!(session.id(), "started-1");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn without_retries_a_refused_start_fails_as_a_connect_error() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", probe.local_addr().unwrap());
    drop(probe);
    let err = start_client(&base, 0)
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A connection reset after the request arrived: the session may exist, so
/// the start fails and is never sent again.
#[tokio::test]
async fn a_start_reset_mid_request_is_returned_and_never_retried() {
    let (base, log) = support::raw_server(vec![support::Conn::Close]).await;
    let err = start_client(&base, 3)
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Reset,
                ..
            }
        ),
        "{err:?}"
    );
    // Give a (wrong) retry every chance to arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(log.lock().unwrap().len(), 1);
}
