//! Shared helpers of the simulator tests: a fast simulator on 127.0.0.1 and
//! clients for it (the generated raw client, and plain reqwest).
#![allow(dead_code)]

use std::time::Duration;

use base64::Engine as _;
use identisure_simulator::{RateLimit, RunningSimulator, Simulator, Timing};

pub const ACCOUNT: &str = "test-account";
pub const SECRET: &str = "test-secret";
pub const OTHER_ACCOUNT: &str = "other-account";
pub const OTHER_SECRET: &str = "other-secret";

/// The collect rule of the API (and the simulator): at most one per second.
pub const COLLECT_GAP: Duration = Duration::from_millis(1100);

/// Short steps (a session completes after 300 ms), expiry after 3 s.
pub fn fast_timing() -> Timing {
    Timing {
        step: Duration::from_millis(100),
        slow_factor: 5,
        expire_after: Duration::from_secs(3),
        retention: Duration::from_secs(60),
        callback_backoff: Duration::from_millis(50),
    }
}

pub async fn start_with(rate_limit: RateLimit, timing: Timing, seed: u64) -> RunningSimulator {
    Simulator::builder()
        .account(ACCOUNT, SECRET)
        .account(OTHER_ACCOUNT, OTHER_SECRET)
        .seed(seed)
        .timing(timing)
        .rate_limit(rate_limit)
        .max_body_bytes(256 * 1024)
        .max_document_bytes(64 * 1024)
        .build()
        .spawn_local()
        .await
        .expect("the simulator binds 127.0.0.1:0")
}

pub async fn start() -> RunningSimulator {
    start_with(RateLimit::PerSession, fast_timing(), 42).await
}

pub fn basic(id: &str, secret: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    format!("Basic {token}")
}

/// The generated raw client, authenticated as `id` / `secret`.
pub fn raw_as(url: &str, id: &str, secret: &str) -> identisure::raw::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        basic(id, secret).parse().unwrap(),
    );
    let http = identisure::http_client_builder()
        .default_headers(headers)
        .build()
        .unwrap();
    identisure::raw::Client::new_with_client(url, http)
}

pub fn raw(url: &str) -> identisure::raw::Client {
    raw_as(url, ACCOUNT, SECRET)
}

/// Plain reqwest, no credentials.
pub fn http() -> reqwest::Client {
    identisure::http_client_builder().build().unwrap()
}

/// POSTs JSON as the test account; returns status and JSON body.
pub async fn post(url: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = http()
        .post(format!("{url}{path}"))
        .header("authorization", basic(ACCOUNT, SECRET))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// GETs as the test account; returns status and JSON body.
pub async fn get(url: &str, path: &str) -> (u16, serde_json::Value) {
    let response = http()
        .get(format!("{url}{path}"))
        .header("authorization", basic(ACCOUNT, SECRET))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Collects `path` once a second (the API's rule) until the session leaves
/// PENDING; returns the final JSON. Gives up after `max` collects.
pub async fn collect_until_done(url: &str, path: &str, max: usize) -> serde_json::Value {
    tokio::time::sleep(Duration::from_millis(350)).await;
    for _ in 0..max {
        let (status, body) = get(url, path).await;
        assert_eq!(status, 200, "collect {path}: {body}");
        if body["status"] != "PENDING" {
            return body;
        }
        tokio::time::sleep(COLLECT_GAP).await;
    }
    panic!("{path} still pending after {max} collects");
}

/// A BankID SE auth request the simulator leaves pending until told
/// (`sim:manual`).
pub fn manual() -> identisure::providers::bankid_se::AuthRequest {
    identisure::providers::bankid_se::AuthRequest::default().ref_id("sim:manual")
}

/// Waits until `cond` holds, checking every 10 ms, for at most 15 s (then
/// panics naming `what`).
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}
