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
        session.pending().qr_start_secret.as_ref().unwrap().expose(),
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
        .call_initiator(identisure::providers::bankid_se::CallInitiator::Rp);
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
        .bankid_se_auth_collect(&"typed".parse().unwrap())
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

// ---- the simulator's logs, the CLI, the error paths ----------

#[path = "hostile/server.rs"]
mod server;

/// Collects the canary-free texts of one scenario and checks them.
fn assert_all_clean(what: &str, texts: &[String]) {
    for (i, t) in texts.iter().enumerate() {
        assert_clean(&format!("{what} #{i}"), t);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn canaries_stay_out_of_errors_of_oversized_redirected_cut_and_missing_answers() {
    use server::{Reply, hostile};
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let person = serde_json::json!({"id": "s", "status": "COMPLETED", "ssn": SSN, "qrStartSecret": QR_SECRET,
        "pad": "x".repeat(identisure::DEFAULT_MAX_RESPONSE_BYTES)});
    let elsewhere = hostile(vec![], vec![]).await;
    let location = format!(
        "http://127.0.0.1:{}/v3/steal?ssn={SSN}&secret={SECRET_KEY}",
        elsewhere.port
    );
    let replies = [
        Reply::json(200, person),
        Reply::raw(
            302,
            "text/html",
            format!("<a href=\"{location}\">{SSN}</a>"),
        )
        .with_header("location", location.clone()),
        Reply::Truncated {
            status: 200,
            declared: 4000,
            body: format!(
                r#"{{"id":"s","status":"COMPLETED","ssn":"{SSN}","qrStartSecret":"{QR_SECRET}""#
            )
            .into_bytes(),
        },
        Reply::Huge {
            status: 502,
            declared: 4 << 20,
        },
        Reply::raw(
            503,
            "text/html",
            format!("<html>upstream {SSN} {QR_SECRET} {SECRET_KEY}</html>"),
        ),
        Reply::json(
            200,
            serde_json::json!({"id": "s", "status": format!("X{SSN}")}),
        ),
        // A 404 with the API's body (a session not found) and without it
        // (a URL not found): the texts name the session or the URL only.
        Reply::json(
            404,
            serde_json::json!({"message": format!("no session for {SSN} {QR_SECRET}")}),
        ),
        Reply::raw(
            404,
            "text/html",
            format!("<html>{SSN} {QR_SECRET} {SECRET_KEY}</html>"),
        ),
        // Not covered: a server that puts a personal number in the `error`
        // code of a FAILED body; unknown codes are kept verbatim
        // (`FailureCode::Unknown`) and show in `Debug`.
    ];
    let mut printed = Vec::new();
    for reply in replies {
        let server = hostile(vec![], vec![reply]).await;
        let client = identisure::Client::builder()
            .credentials("acct-canary", SECRET_KEY)
            .base_url(&server.base)
            .build()
            .unwrap();
        match client
            .bankid_se()
            .auth_session("s")
            .unwrap()
            .collect()
            .await
        {
            Ok(state) => printed.push(format!("{state:?}")),
            Err(e) => {
                printed.push(format!("{e}"));
                printed.push(format!("{e:?}"));
            }
        }
    }
    // A start whose URL does not exist, answered with a personal number.
    let server = hostile(
        vec![Reply::json(
            404,
            serde_json::json!({"message": format!("no route for {SSN}")}),
        )],
        vec![],
    )
    .await;
    let client = identisure::Client::builder()
        .credentials("acct-canary", SECRET_KEY)
        .base_url(&server.base)
        .build()
        .unwrap();
    let request = identisure::providers::bankid_se::AuthRequest::default()
        .ssn(identisure::PersonalNumber::new(SSN).unwrap());
    let e = client.bankid_se().auth(request).await.unwrap_err();
    assert!(matches!(e, Error::EndpointNotFound { .. }), "{e:?}");
    printed.push(format!("{e}"));
    printed.push(format!("{e:?}"));
    // A transport failure: its text, its Debug and its whole source chain.
    let refused = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", probe.local_addr().unwrap());
        drop(probe);
        base
    };
    let client = identisure::Client::builder()
        .credentials("acct-canary", SECRET_KEY)
        .base_url(refused)
        .start_connect_retries(0)
        .build()
        .unwrap();
    let request = identisure::providers::bankid_se::AuthRequest::default()
        .ssn(identisure::PersonalNumber::new(SSN).unwrap());
    let e = client.bankid_se().auth(request).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    printed.push(format!("{e}"));
    printed.push(format!("{e:?}"));
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        printed.push(format!("{s} {s:?}"));
        source = s.source();
    }
    // A secret key put in the base URL is refused without being repeated.
    let e = identisure::Client::builder()
        .credentials("acct-canary", SECRET_KEY)
        .base_url(format!("https://acct-canary:{SECRET_KEY}@api.example"))
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e:?}");
    printed.push(format!("{e}"));
    printed.push(format!("{e:?}"));
    assert!(elsewhere.seen().is_empty(), "the redirect was not followed");
    assert_all_clean("error", &printed);
    drop(_guard);
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("identisure.call"), "{log}");
    assert_clean("TRACE log", &log);
}

#[tokio::test(flavor = "current_thread")]
async fn canaries_stay_out_of_the_simulators_trace_log() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = identisure_simulator::Simulator::builder()
        .account("acct-canary", SECRET_KEY)
        .timing(identisure_simulator::Timing {
            step: std::time::Duration::from_millis(30),
            ..Default::default()
        })
        .build()
        .spawn_local()
        .await
        .unwrap();
    let client = identisure::Client::builder()
        .credentials("acct-canary", SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    let session = client
        .bankid_se()
        .auth(AuthRequest::default().ssn(identisure::PersonalNumber::new(SSN).unwrap()))
        .await
        .unwrap();
    let qr_secret = session
        .pending()
        .qr_start_secret
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let outcome = session.wait(WaitOptions::default()).await.unwrap();
    let Outcome::Completed(person) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(person.ssn.as_ref().unwrap().expose(), SSN);
    // A second start for the same person while one is pending, and a wrong key.
    let again = client
        .bankid_se()
        .auth(AuthRequest::default().ssn(identisure::PersonalNumber::new(SSN).unwrap()))
        .await
        .unwrap();
    let err = client
        .bankid_se()
        .auth(AuthRequest::default().ssn(identisure::PersonalNumber::new(SSN).unwrap()))
        .await
        .unwrap_err();
    let printed = vec![
        format!("{outcome:?}"),
        format!("{again:?}"),
        format!("{err} {err:?}"),
        format!("{:?}", sim.simulator()),
    ];
    sim.shutdown().await;
    drop(_guard);
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_all_clean("printed", &printed);
    assert_clean("TRACE log", &log);
    assert!(!log.contains(&qr_secret), "the log leaks the qrStartSecret");
    assert!(printed.iter().all(|p| !p.contains(&qr_secret)));
}

// ---- every personal field of a completed session --------------------------

/// Every personal field the service reports (`PERSONAL_FIELDS` of
/// build/transforms.rs, the address in both shapes, the personal number),
/// filled with a canary in a COMPLETED body of each family: `{:?}` of the
/// decoded state and `Display` of the address show none of them, and every
/// value is still there to read.
#[test]
fn no_personal_field_of_a_completed_session_is_printed() {
    // The list build.rs applies, read from its source (declared once).
    let transforms = include_str!("../build/transforms.rs");
    let list = transforms
        .split("pub const PERSONAL_FIELDS: &[&str] = &[")
        .nth(1)
        .and_then(|rest| rest.split("];").next())
        .expect("PERSONAL_FIELDS in build/transforms.rs");
    let fields: Vec<&str> = list
        .split(',')
        .map(|f| f.trim().trim_matches('"'))
        .filter(|f| !f.is_empty())
        .collect();
    assert!(fields.len() >= 14 && fields.contains(&"name"), "{fields:?}");
    let canary = |field: &str| format!("canary-{field}-4417");
    let mut body = serde_json::json!({"id": "s1", "status": "COMPLETED", "ssn": SSN});
    for field in &fields {
        body[*field] = canary(field).into();
    }
    body["device"] = serde_json::json!({"ipAddress": canary("ipAddress"), "uhi": canary("uhi")});
    body["signResult"] = serde_json::json!({"endUser": canary("endUser")});
    let structured = serde_json::json!({"street": canary("street"),
        "postalCode": canary("postalCode"), "city": canary("city")});

    fn printed<F: identisure::Family>(body: &serde_json::Value) -> String {
        let state = State::<F>::from_json(body.to_string().as_bytes()).unwrap();
        assert!(matches!(state, State::Completed(_)), "{body}");
        format!("{state:?} {state:#?}")
    }
    let mut texts = Vec::new();
    for address in [serde_json::json!(canary("address")), structured] {
        body["address"] = address;
        texts.push(printed::<identisure::BankIdSe>(&body));
        texts.push(printed::<identisure::BankIdNo>(&body));
        texts.push(printed::<identisure::Freja>(&body));
        texts.push(printed::<identisure::Vipps>(&body));
        texts.push(printed::<identisure::MitId>(&body));
        texts.push(printed::<identisure::Ftn>(&body));
        let address: identisure::raw::types::Address =
            serde_json::from_value(body["address"].clone()).unwrap();
        texts.push(address.to_string());
        assert!(
            address.one_line().expose().contains("canary-"),
            "still readable"
        );
    }
    let verified: identisure::raw::types::BankIdSeVerifyResponse =
        serde_json::from_value(body.clone()).unwrap();
    texts.push(format!("{verified:?}"));

    for (i, text) in texts.iter().enumerate() {
        assert_clean(&format!("completed session #{i}"), text);
        assert!(
            !text.contains("canary-"),
            "completed session #{i} prints personal data: {text}"
        );
    }

    // The values are there, for the caller to read.
    let State::Completed(person) =
        State::<identisure::MitId>::from_json(body.to_string().as_bytes()).unwrap()
    else {
        panic!("completed")
    };
    assert_eq!(person.name.as_deref(), Some(canary("name").as_str()));
    assert_eq!(person.email.unwrap().expose(), canary("email"));
    assert_eq!(
        serde_json::to_value(person.given_name).unwrap(),
        serde_json::json!(canary("givenName")),
        "sent and received as the plain string"
    );
}
