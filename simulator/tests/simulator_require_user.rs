//! A simulator that waits for the user, as production does
//! (`SimulatorBuilder::require_user`, `identisure simulate --require-user`):
//! app flows wait for their QR code or autostart token to be presented
//! (`POST /sim/scan`), redirect flows for their page to be approved.

mod simulator_support;

use std::time::{Duration, Instant};

use identisure::qr::BankIdQr;
use identisure::raw::types::BankIdSePending;
use identisure_simulator::{RunningSimulator, ScanRefused, Simulator};
use serde_json::{Value, json};
use simulator_support::*;

async fn requiring_user() -> RunningSimulator {
    Simulator::builder()
        .account(ACCOUNT, SECRET)
        .timing(fast_timing())
        .require_user(true)
        .build()
        .spawn_local()
        .await
        .unwrap()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

/// Starts a BankID SE login; its answer and the QR frames computed from
/// it, as a relying party's page would.
async fn bankid_login(url: &str) -> (Value, BankIdQr) {
    let (status, started) = post(url, "/v3/bankid-se/auth", json!({})).await;
    assert_eq!(status, 201, "{started}");
    let pending: BankIdSePending = serde_json::from_value(started.clone()).unwrap();
    let qr = BankIdQr::from_pending(&pending, Instant::now()).unwrap();
    (started, qr)
}

async fn scan(url: &str, body: Value) -> (u16, Value) {
    let answer = http()
        .post(format!("{url}/sim/scan"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_unscanned_session_stays_pending_and_the_current_frame_completes_it() {
    let sim = requiring_user().await;
    let url = sim.url();
    let (started, qr) = bankid_login(url).await;
    let path = format!("/v3/bankid-se/auth/{}", id(&started));
    // Many steps (100 ms each) later, nobody has scanned: still waiting.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, pending) = get(url, &path).await;
    assert_eq!(pending["status"], "PENDING");
    assert_eq!(pending["hintCode"], "outstandingTransaction");

    let (status, answer) = scan(url, json!({ "qrCode": qr.current() })).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["sessionId"], id(&started));
    tokio::time::sleep(COLLECT_GAP).await;
    let done = collect_until_done(url, &path, 5).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    // The same code again: the order is no longer waiting.
    let (status, _) = scan(url, json!({ "qrCode": qr.current() })).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_stale_frame_and_a_forged_frame_are_refused() {
    let sim = requiring_user().await;
    let url = sim.url();
    let (started, qr) = bankid_login(url).await;

    // Computed with another secret (a wrong HMAC).
    let forged = BankIdQr::new(qr.token(), "not-the-secret".into(), qr.started()).current();
    let (status, answer) = scan(url, json!({ "qrCode": forged })).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("HMAC"),
        "{answer}"
    );
    // A frame of a time ahead of the order's.
    let (status, _) = scan(url, json!({ "qrCode": qr.payload_at(30) })).await;
    assert_eq!(status, 400);
    // Unknown orders.
    let (status, _) = scan(url, json!({ "qrCode": "bankid.nope.0.00" })).await;
    assert_eq!(status, 404);

    // The frame of second 0, presented when it is more than 2 s old.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let (status, answer) = scan(url, json!({ "qrCode": qr.payload_at(0) })).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("stale"),
        "{answer}"
    );
    // Nothing of it moved the session.
    let (_, pending) = get(url, &format!("/v3/bankid-se/auth/{}", id(&started))).await;
    assert_eq!(pending["hintCode"], "outstandingTransaction");
    // The Rust helper says the same.
    assert_eq!(
        sim.simulator().scan(&qr.payload_at(0)),
        Err(ScanRefused::Stale)
    );
    assert!(sim.simulator().scan(&qr.current()).is_ok());
}

#[tokio::test]
async fn the_autostart_token_and_freja_qr_data_let_the_session_complete() {
    let sim = requiring_user().await;
    let url = sim.url();
    let (started, _) = bankid_login(url).await;
    let (status, _) = scan(
        url,
        json!({ "autoStartToken": started["autoStartToken"].as_str().unwrap() }),
    )
    .await;
    assert_eq!(status, 200);
    let done = collect_until_done(url, &format!("/v3/bankid-se/auth/{}", id(&started)), 5).await;
    assert_eq!(done["status"], "COMPLETED");

    let (status, freja) = post(url, "/v3/freja/sign", json!({ "text": "I agree" })).await;
    assert_eq!(status, 201, "{freja}");
    let (status, _) = scan(url, json!({ "qrCode": freja["qrData"].as_str().unwrap() })).await;
    assert_eq!(status, 200);
    let done = collect_until_done(url, &format!("/v3/freja/sign/{}", id(&freja)), 5).await;
    assert_eq!(done["status"], "COMPLETED");

    // Neither field, or both: refused.
    let (status, _) = scan(url, json!({})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_redirect_flow_waits_for_its_page_and_only_its_approval_goes_back() {
    let sim = requiring_user().await;
    let url = sim.url();
    let (status, started) = post(
        url,
        "/v3/vipps/auth",
        json!({ "redirectUrl": "https://rp.example/back" }),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let path = format!("/v3/vipps/auth/{}", id(&started));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, pending) = get(url, &path).await;
    assert_eq!(pending["status"], "PENDING", "nobody opened the page");

    let page = started["url"].as_str().unwrap().to_string();
    let browser = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let approve = || browser.post(&page).form(&[("action", "approve")]).send();
    let first = approve().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "https://rp.example/back");
    tokio::time::sleep(COLLECT_GAP).await;
    let done = collect_until_done(url, &path, 5).await;
    assert_eq!(done["status"], "COMPLETED");
    // Someone else posting the same page later is not sent to the relying party.
    let later = approve().await.unwrap();
    assert_eq!(later.status(), 200);
}

#[tokio::test]
async fn backchannel_and_phone_starts_reach_the_app_directly() {
    let sim = requiring_user().await;
    let url = sim.url();
    let (status, started) = post(
        url,
        "/v3/freja/backchannel/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN" }),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let done = collect_until_done(url, &format!("/v3/freja/auth/{}", id(&started)), 5).await;
    assert_eq!(done["status"], "COMPLETED");
}

#[tokio::test]
async fn the_typed_client_with_the_rust_helper() {
    let sim = requiring_user().await;
    let client = identisure::Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(sim.url())
        .build()
        .unwrap();
    let login = client.bankid_se().auth(Default::default()).await.unwrap();
    let qr = BankIdQr::from_pending(login.pending(), Instant::now()).unwrap();
    let simulator = sim.simulator().clone();
    let phone = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        simulator.scan(&qr.current())
    });
    let outcome = login
        .wait(identisure::WaitOptions::default().timeout(Duration::from_secs(20)))
        .await
        .unwrap();
    assert!(phone.await.unwrap().is_ok());
    assert!(matches!(outcome, identisure::Outcome::Completed(_)));
}
