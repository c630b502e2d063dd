//! `identisure_web::login::QrLogins` over real HTTP on 127.0.0.1: the routes of
//! examples/own_page.rs against the simulator, as a browser would use them.

use std::time::Duration;

use identisure::providers::{bankid_se, freja};
use identisure::{FailureCode, Provider};
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RunningSimulator, Simulator};
use identisure_web::login::{LoginStatus, QrLogins};

#[path = "../examples/own_page.rs"]
#[allow(dead_code)]
mod own_page;

async fn simulator() -> (RunningSimulator, identisure::Client) {
    let sim = Simulator::new().spawn_local().await.unwrap();
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    (sim, client)
}

/// An SVG of a QR code, ready to inline (that it encodes the payload given
/// is the renderer's own test, `qr::render`).
fn looks_like_a_qr_svg(svg: &str) -> bool {
    svg.starts_with("<svg") && svg.contains("viewBox") && svg.len() > 500
}

/// Reads an event stream until `done` (bounded); the raw text.
async fn read_events(mut answer: reqwest::Response, window: Duration) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, answer.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if text.contains("event: done") {
            break;
        }
    }
    text
}

#[tokio::test]
async fn a_page_of_your_own_shows_the_qr_and_messages_and_gets_the_person_once() {
    let (_sim, client) = simulator().await;
    let app = own_page::app(client);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Nothing without a login of this browser.
    let none = http
        .get(format!("{base}/login/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);

    let started = http.post(format!("{base}/login")).send().await.unwrap();
    assert_eq!(started.status(), 303);
    let cookie = started.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_string();

    let status: serde_json::Value = http
        .get(format!("{base}/login/status"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "pending", "{status}");
    // The example's store speaks Swedish, BankID's first language.
    assert_eq!(
        status["message"],
        "Starta BankID-appen och läs av QR-koden."
    );

    let events = http
        .get(format!("{base}/login/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let stream = read_events(events, Duration::from_secs(20)).await;
    assert!(stream.contains("event: qr"), "{stream}");
    assert!(stream.contains("data: <svg"), "{stream}");
    assert!(stream.contains("event: status"), "{stream}");
    assert!(
        stream.contains(r#"data: {"state":"completed","name":"Astrid Lindqvist"}"#),
        "{stream}"
    );
    // The QR secret and the personal number never reach the browser.
    assert!(!stream.contains("qrStartSecret") && !stream.contains("198704122384"));

    let finish = |cookie: String| {
        let http = http.clone();
        let url = format!("{base}/login/finish");
        async move { http.get(url).header("cookie", cookie).send().await.unwrap() }
    };
    let first = finish(cookie.clone()).await.text().await.unwrap();
    assert!(first.contains("Welcome, Astrid Lindqvist."), "{first}");
    // Once: a second finish (a replay, another tab) gets no person.
    let second = finish(cookie.clone()).await;
    assert_eq!(second.status(), 303);
}

#[tokio::test]
async fn qr_codes_status_cancel_and_expiry() {
    let (sim, client) = simulator().await;
    let logins = QrLogins::builder(client)
        .lang(identisure::messages::Lang::En)
        .timeout(Duration::from_secs(3))
        .build();

    // BankID: a new frame every second, rendered on the server.
    let id = logins
        .start_bankid(bankid_se::AuthRequest::default().ref_id("sim:manual"))
        .await
        .unwrap();
    let svg = logins.qr_svg(&id).await.unwrap();
    assert!(looks_like_a_qr_svg(&svg), "{svg}");
    assert!(matches!(
        logins.status(&id),
        Some(LoginStatus::Pending { .. })
    ));

    // Cancel: the login says so, the session upstream is cancelled too.
    logins.cancel(&id).await.unwrap();
    match logins.status(&id) {
        Some(LoginStatus::Failed { code, message }) => {
            assert_eq!(code, FailureCode::Cancelled);
            assert_eq!(message, "Action cancelled.");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        logins.qr_svg(&id).await.is_none(),
        "no QR code after the end"
    );
    assert!(logins.take_completed(&id).is_none());

    // Freja: the QR code of qrData.
    let freja_id = logins
        .start_freja(
            freja::AuthRequest::default()
                .ssn("197511086121")
                .country(freja::country::SWEDEN),
        )
        .await
        .unwrap();
    let freja_svg = logins.qr_svg(&freja_id).await.unwrap();
    assert!(looks_like_a_qr_svg(&freja_svg));
    match logins.status(&freja_id) {
        Some(LoginStatus::Pending { message, hint }) => {
            assert_eq!(message, "Scan the QR code with the Freja eID app.");
            assert!(hint.is_none());
        }
        other => panic!("{other:?}"),
    }

    // Nobody scans: after the timeout the login fails and its session is cancelled.
    let waited = tokio::time::Instant::now();
    loop {
        if let Some(LoginStatus::Failed { code, .. }) = logins.status(&freja_id) {
            assert_eq!(code, FailureCode::SessionTimeout);
            break;
        }
        assert!(waited.elapsed() < Duration::from_secs(30), "no timeout");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Unknown ids: nothing.
    let unknown = "0".repeat(32).parse().unwrap();
    assert!(logins.status(&unknown).is_none());
    assert!(logins.events(&unknown).is_none());
    assert!(logins.cancel(&unknown).await.is_ok());
    drop(sim);
}

#[tokio::test]
async fn a_full_store_starts_nothing_upstream() {
    let (sim, client) = simulator().await;
    let logins = QrLogins::builder(client).max_logins(1).build();
    logins
        .start_bankid(bankid_se::AuthRequest::default().ref_id("sim:manual"))
        .await
        .unwrap();
    let before = sim.simulator().session_count();
    let err = logins
        .start_bankid(bankid_se::AuthRequest::default().ref_id("sim:manual"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("max_logins"), "{err}");
    assert_eq!(sim.simulator().session_count(), before);
}

#[test]
fn the_person_leaves_out_the_personal_number() {
    let person = identisure_web::login::Person {
        name: "Astrid Lindqvist".into(),
        given_name: None,
        surname: None,
        personal_number: Some("198704122384".into()),
        provider: Provider::BankIdSe,
    };
    assert!(!format!("{person:?}").contains("1987"));
    let status = LoginStatus::Completed(Box::new(person));
    let json = serde_json::to_string(&status).unwrap();
    assert_eq!(json, r#"{"state":"completed","name":"Astrid Lindqvist"}"#);
}
