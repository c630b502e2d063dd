//! Callbacks: received by a small axum server in the test, signatures
//! verified with hmac on the raw body, retries after failures.

mod simulator_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use simulator_support::*;
use tokio::sync::mpsc;

struct Received {
    signature: String,
    content_type: String,
    body: Bytes,
}

#[derive(Clone)]
struct Receiver {
    tx: mpsc::UnboundedSender<Received>,
    /// How many requests to answer 500 before answering 204.
    failures_left: Arc<AtomicUsize>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let _ = r.tx.send(Received {
        signature: header("x-signature-sha256"),
        content_type: header("content-type"),
        body,
    });
    let fail = r
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A callback receiver on 127.0.0.1 that fails `failures` times first.
async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = Receiver {
        tx,
        failures_left: Arc::new(AtomicUsize::new(failures)),
    };
    let app = axum::Router::new()
        .route("/callback", axum::routing::post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a callback within 10 s")
        .expect("the receiver is running")
}

/// The check a relying party makes: HMAC-SHA256 over the raw bytes, keyed
/// with the account's secret key, base64 standard with padding.
fn signature_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[tokio::test]
async fn a_completed_session_is_posted_signed_with_the_accounts_secret() {
    let sim = start().await;
    let url = sim.url();
    let (callback_url, mut rx) = receiver(0).await;
    // Started by the second account: its own secret signs.
    let response = http()
        .post(format!("{url}/v3/bankid-se/auth"))
        .header("authorization", basic(OTHER_ACCOUNT, OTHER_SECRET))
        .json(&json!({ "callbackUrl": callback_url, "refId": "cb-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let started: Value = response.json().await.unwrap();

    let got = next(&mut rx).await;
    assert!(got.content_type.starts_with("application/json"));
    assert!(
        signature_valid(OTHER_SECRET, &got.body, &got.signature),
        "signature {}",
        got.signature
    );
    assert!(
        !signature_valid(SECRET, &got.body, &got.signature),
        "not another account's key"
    );
    assert!(
        got.signature.ends_with('=') && got.signature.len() == 44,
        "standard padded base64 of 32 bytes"
    );
    let mut tampered = got.body.to_vec();
    tampered[0] = b' ';
    assert!(!signature_valid(OTHER_SECRET, &tampered, &got.signature));

    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["status"], "COMPLETED");
    assert_eq!(body["id"], started["id"]);
    assert_eq!(body["refId"], "cb-1");
    let _: identisure::raw::types::BankIdSeSession = serde_json::from_value(body.clone()).unwrap();

    // Same shape as collect.
    let collected: Value = http()
        .get(format!(
            "{url}/v3/bankid-se/auth/{}",
            started["id"].as_str().unwrap()
        ))
        .header("authorization", basic(OTHER_ACCOUNT, OTHER_SECRET))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(collected, body);

    // Exactly one callback per session.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), rx.recv())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn cancelled_and_expired_sessions_are_posted_too_without_any_collect() {
    let sim = start().await;
    let url = sim.url();
    let (callback_url, mut rx) = receiver(0).await;
    let (_, manual) = post(
        url,
        "/v3/mitid/auth",
        json!({ "callbackUrl": callback_url, "refId": "sim:manual" }),
    )
    .await;
    let response = http()
        .delete(format!(
            "{url}/v3/mitid/auth/{}",
            manual["id"].as_str().unwrap()
        ))
        .header("authorization", basic(ACCOUNT, SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let got = next(&mut rx).await;
    assert!(signature_valid(SECRET, &got.body, &got.signature));
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(
        (
            body["id"].clone(),
            body["status"].clone(),
            body["error"].clone()
        ),
        (manual["id"].clone(), json!("FAILED"), json!("CANCELLED"))
    );

    let (_, expiring) = post(
        url,
        "/v3/ftn/age-verification",
        json!({ "minAge": 18, "maxAge": 99, "callbackUrl": callback_url, "refId": "sim:expire" }),
    )
    .await;
    let got = next(&mut rx).await; // at expire_after (3 s)
    assert!(signature_valid(SECRET, &got.body, &got.signature));
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["id"], expiring["id"]);
    assert_eq!(body["error"], "SESSION_TIMEOUT");
    assert!(sim.collect_log(expiring["id"].as_str().unwrap()).is_empty());
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_callback_again_with_backoff() {
    let sim = start().await;
    let url = sim.url();
    let (callback_url, mut rx) = receiver(2).await;
    let (_, s) = post(
        url,
        "/v3/vipps/auth",
        json!({ "callbackUrl": callback_url }),
    )
    .await;
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    let third = next(&mut rx).await;
    for got in [&first, &second, &third] {
        assert_eq!(got.body, first.body);
        assert_eq!(got.signature, first.signature);
        assert!(signature_valid(SECRET, &got.body, &got.signature));
    }
    let body: Value = serde_json::from_slice(&third.body).unwrap();
    assert_eq!(body["id"], s["id"]);
    assert_eq!(body["status"], "COMPLETED");
    // Delivered on the third try: no fourth.
    assert!(
        tokio::time::timeout(Duration::from_millis(600), rx.recv())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_unreachable_callback_url_does_not_disturb_the_session() {
    let sim = start().await;
    let url = sim.url();
    // A port nobody listens on (bound, then closed).
    let dead = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/callback", l.local_addr().unwrap())
    };
    let (_, s) = post(
        url,
        "/v3/freja/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN", "callbackUrl": dead }),
    )
    .await;
    let done = collect_until_done(
        url,
        &format!("/v3/freja/auth/{}", s["id"].as_str().unwrap()),
        3,
    )
    .await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["country"], "SWEDEN");
}

/// `complete_now` from a plain thread (outside the runtime) still sends the
/// callback, on the simulator's runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_now_from_another_thread_sends_the_callback() {
    let sim = start().await;
    let url = sim.url();
    let (callback_url, mut rx) = receiver(0).await;
    let (_, s) = post(
        url,
        "/v3/bankid-se/auth",
        json!({ "refId": "sim:manual", "callbackUrl": callback_url }),
    )
    .await;
    let handle = sim.simulator().clone();
    let id = s["id"].as_str().unwrap().to_string();
    let completed = std::thread::spawn(move || handle.complete_now(&id))
        .join()
        .unwrap();
    assert!(completed.is_some());
    let got = next(&mut rx).await;
    assert!(signature_valid(SECRET, &got.body, &got.signature));
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["status"], "COMPLETED");
}

/// A receiver answering 307 to another URL: the signed body (personal data)
/// must never be re-posted there; the redirect counts as a failed delivery.
#[tokio::test]
async fn a_redirecting_receiver_is_not_followed() {
    let sim = start().await;
    let url = sim.url();
    let (elsewhere, mut elsewhere_rx) = receiver(0).await;
    let redirects = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::post({
            let redirects = redirects.clone();
            let elsewhere = elsewhere.clone();
            move || {
                redirects.fetch_add(1, Ordering::SeqCst);
                let elsewhere = elsewhere.clone();
                async move {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(axum::http::header::LOCATION, elsewhere)],
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirecting = format!("http://{}/callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (_, s) = post(url, "/v3/vipps/auth", json!({ "callbackUrl": redirecting })).await;
    let done = collect_until_done(
        url,
        &format!("/v3/vipps/auth/{}", s["id"].as_str().unwrap()),
        3,
    )
    .await;
    assert_eq!(done["status"], "COMPLETED");
    // Every try (4, with backoff) reached the redirecting receiver only.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while redirects.load(Ordering::SeqCst) < 4 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(redirects.load(Ordering::SeqCst), 4, "retried as a failure");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), elsewhere_rx.recv())
            .await
            .is_err(),
        "nothing reached the redirect target"
    );
}
