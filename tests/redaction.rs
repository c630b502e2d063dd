//! Canary personal numbers and secrets must appear nowhere: not in formatted
//! errors, not in `Debug` of public values, not in TRACE logs.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use identisure::providers::bankid_se::{AuthRequest, PhoneAuthRequest};
use identisure::{Error, Outcome, State, WaitOptions};
use support::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SSN: &str = "198507099805";
const QR_SECRET: &str = "c4aa7e00-5ecb-4e7a-9d5e-e7c4aa7e0000";
const SECRET_KEY: &str = "secretkey-canary-77aa";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("acct-canary:{SECRET_KEY}"));
    for canary in [SSN, "19850709", QR_SECRET, SECRET_KEY, basic.as_str()] {
        assert!(!text.contains(canary), "{what} leaks {canary}: {text}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn canaries_appear_in_no_error_debug_output_or_trace_log() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    let pending = serde_json::json!({"id": "s1", "status": "PENDING", "hintCode": "outstandingTransaction",
        "autoStartToken": "t", "qrStartToken": "q", "qrStartSecret": QR_SECRET});
    Mock::given(method("POST"))
        .and(path("/v3/bankid-se/auth"))
        .respond_with(json(201, pending.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/bankid-se/phone/auth"))
        .respond_with(json(
            400,
            serde_json::json!({"message": format!("invalid ssn {SSN}")}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/bankid-se/auth/s1"))
        .respond_with(json(
            200,
            serde_json::json!({"id": "s1", "status": "COMPLETED", "ssn": SSN, "name": "N"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/bankid-se/auth/broken"))
        .respond_with(json(
            200,
            serde_json::json!({"status": "COMPLETED", "ssn": SSN}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/bankid-se/auth/typed"))
        .respond_with(json(
            200,
            serde_json::json!({"id": "typed", "status": "COMPLETED", "ssn": 198507099805u64}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/bankid-se/auth/html"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(format!("<html>{SSN} {QR_SECRET}</html>")),
        )
        .mount(&server)
        .await;

    let client = identisure::Client::builder()
        .credentials("acct-canary", SECRET_KEY)
        .base_url(server.uri())
        .build()
        .unwrap();
    let mut printed = vec![
        format!("{client:?}"),
        format!("{:?}", identisure::SecretKey::new(SECRET_KEY)),
    ];

    let request = AuthRequest::default().ssn(identisure::PersonalNumber::new(SSN).unwrap());
    printed.push(format!("{request:?}"));
    let session = client.bankid_se().auth(request).await.unwrap();
    assert_eq!(
        session
            .pending()
            .unwrap()
            .qr_start_secret
            .as_ref()
            .unwrap()
            .expose(),
        QR_SECRET
    );
    printed.push(format!("{session:?}"));
    printed.push(format!("{:?}", session.pending()));
    let outcome = session.wait(WaitOptions::default()).await.unwrap();
    printed.push(format!("{outcome:?}"));
    let Outcome::Completed(person) = outcome else {
        panic!()
    };
    assert_eq!(
        person.ssn.unwrap().expose(),
        SSN,
        "the value is there, only never printed"
    );
    let state = State::<identisure::BankIdSe>::from_json(pending.to_string().as_bytes()).unwrap();
    printed.push(format!("{state:?}"));

    let phone = PhoneAuthRequest::default()
        .ssn(SSN)
        .call_initiator(identisure::raw::types::CallInitiator::Rp);
    printed.push(format!("{phone:?}"));
    let mut errors = vec![client.bankid_se().phone_auth(phone).await.unwrap_err()];
    for id in ["broken", "typed", "html"] {
        errors.push(
            client
                .bankid_se()
                .auth_session(id)
                .unwrap()
                .collect()
                .await
                .unwrap_err(),
        );
    }
    assert!(matches!(errors[0], Error::Api { status: 400, .. }));
    assert!(
        errors[1..]
            .iter()
            .all(|e| matches!(e, Error::Decode { .. })),
        "{errors:?}"
    );
    let raw_err: Error = client
        .raw()
        .bankid_se_auth_collect()
        .id("typed")
        .send()
        .await
        .unwrap_err()
        .into();
    errors.push(raw_err);
    for e in &errors {
        printed.push(format!("{e}"));
        printed.push(format!("{e:?}"));
    }

    for (i, text) in printed.iter().enumerate() {
        assert_clean(&format!("printed value #{i}"), text);
    }
    drop(_guard);
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("identisure.call"),
        "spans were captured: {log}"
    );
    assert!(
        log.contains("bankid_se_auth_collect") && log.contains("session_id=s1"),
        "{log}"
    );
    assert!(log.contains("status=200"), "{log}");
    assert_clean("TRACE log", &log);
}
