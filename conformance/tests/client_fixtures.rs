//! The JSON bodies of the provider's own test suites (C#, Dart, Go, PHP,
//! Ruby, Swift in `idkollen/idk-clients`, carried into `fixtures/`):
//!
//! - every response body a test mocks decodes with our types (a session
//!   body as the state of its provider family, whatever its status; the
//!   verify answer, the upload answer and error bodies as theirs), and the
//!   non-JSON answers (the PDF bytes of a download, a bodiless 204) go
//!   through our client from a local server;
//! - every request body a test sends is accepted by our client (decoded into
//!   our request types, validated by the builders, sent) and, sent as the
//!   exact bytes, by the simulator.
//!
//! Paths the tests made up to exercise their transport (`/v3/ping`,
//! `/v3/things`) are no operations of the API: only their error bodies are
//! decoded.

use conformance::{ACCOUNT, Checks, Fixture, SECRET};
use identisure::providers::{bankid_no, bankid_se, freja, mitid, vipps};
use identisure::raw::types;
use identisure::{AgeVerification, BankIdNo, BankIdSe, Client, Freja, Ftn, MitId, State, Vipps};
use identisure_simulator::{Reading, RunningSimulator};
use serde_json::Value;

fn our_client(base: &str) -> Client {
    Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(base)
        .build()
        .expect("client")
}

/// A response body decoded with our type for its path.
fn decode_response(f: &Fixture, body: &Value) -> Result<(), String> {
    let bytes = serde_json::to_vec(body).unwrap();
    let path = f.path.as_str();
    let err = |e: identisure::Error| e.to_string();
    if f.status.is_some_and(|s| s >= 400) {
        let e: types::ErrorResponse = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        return e.message.map(|_| ()).ok_or_else(|| "no message".into());
    }
    let session = |family: &str| -> Result<(), String> {
        match family {
            "age" => State::<AgeVerification>::from_json(&bytes)
                .map(|_| ())
                .map_err(err),
            "bankid-se" => State::<BankIdSe>::from_json(&bytes)
                .map(|_| ())
                .map_err(err),
            "bankid-no" => State::<BankIdNo>::from_json(&bytes)
                .map(|_| ())
                .map_err(err),
            "freja" => State::<Freja>::from_json(&bytes).map(|_| ()).map_err(err),
            "mitid" => State::<MitId>::from_json(&bytes).map(|_| ()).map_err(err),
            "ftn" => State::<Ftn>::from_json(&bytes).map(|_| ()).map_err(err),
            "vipps" => State::<Vipps>::from_json(&bytes).map(|_| ()).map_err(err),
            other => Err(format!("no family {other}")),
        }
    };
    if path == "/v3/bankid-se/verify" {
        serde_json::from_slice::<types::BankIdSeVerifyResponse>(&bytes)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else if path == "/document" || path == "/v3/document" {
        serde_json::from_slice::<types::Document>(&bytes)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else if path.contains("/age-verification") {
        session("age")
    } else {
        let provider = path
            .trim_start_matches("/v3/")
            .split('/')
            .next()
            .unwrap_or_default();
        session(provider)
    }
}

/// A non-JSON answer (PDF bytes, an empty 204) served from 127.0.0.1 and
/// read by our client.
async fn through_our_client(f: &Fixture) -> Result<(), String> {
    let pdf = b"%PDF-binary-bytes".to_vec();
    let status = f.status.unwrap_or(200);
    let body = pdf.clone();
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            let status = axum::http::StatusCode::from_u16(status).unwrap();
            if status == axum::http::StatusCode::NO_CONTENT {
                status.into_response()
            } else {
                (status, [("content-type", "application/pdf")], body).into_response()
            }
        }
    });
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let c = our_client(&base);
    let id = f.path.rsplit('/').next().unwrap_or_default();
    let result = match (f.method.as_str(), f.path.as_str()) {
        ("GET", p) if p.starts_with("/document/") || p.starts_with("/v3/document/") => {
            let bytes = c
                .documents()
                .download(id)
                .await
                .map_err(|e| e.to_string())?;
            if bytes[..] == pdf[..] {
                Ok(())
            } else {
                Err("other bytes".into())
            }
        }
        ("DELETE", p) if p.starts_with("/document/") => {
            c.documents().delete(id).await.map_err(|e| e.to_string())
        }
        ("DELETE", p) if p.starts_with("/v3/bankid-se/auth/") => {
            let session = c.bankid_se().auth_session(id).map_err(|e| e.to_string())?;
            session.cancel().await.map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "no way to read {} {} through the client",
            f.method, f.path
        )),
    };
    server.abort();
    result
}

/// The label of a request body in check names (what a divergence names).
fn label(f: &Fixture, body: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(v) = body.get("callInitiator").and_then(Value::as_str) {
        parts.push(format!("callInitiator {v}"));
    }
    if let Some(v) = body.get("country").and_then(Value::as_str) {
        parts.push(format!("country {v}"));
    }
    if f.path.starts_with("/v3/freja/")
        && !f.path.contains("backchannel")
        && body.get("ssn").is_none()
    {
        parts.push("without ssn".into());
    }
    if f.path.starts_with("/v3/freja/")
        && !f.path.contains("backchannel")
        && body.get("ssn").is_some()
        && body.get("country").is_none()
    {
        parts.push("without country".into());
    }
    if body.is_array() {
        parts.push("body []".into());
    }
    parts.join(", ")
}

/// A request body sent through our client (decoded into our request type,
/// builder validation, POST) to the simulator; the session is cancelled
/// right away (the tests reuse one personal number, and a second start for a
/// number with a session in progress is refused, as BankID does).
async fn send_with_our_client(c: &Client, path: &str, body: &Value) -> Result<(), String> {
    // PHP sends a request without fields as `[]`: for a typed client that is `{}`.
    let body = if body.as_array().is_some_and(|a| a.is_empty()) {
        serde_json::json!({})
    } else {
        body.clone()
    };
    fn typed<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, String> {
        serde_json::from_value(body).map_err(|e| format!("our request type refuses it: {e}"))
    }
    let e = |e: identisure::Error| e.to_string();
    match path {
        "/v3/bankid-se/auth" => {
            let r: types::BankIdSeAuthRequest = typed(body)?;
            c.bankid_se()
                .auth(bankid_se::AuthRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/bankid-se/phone/auth" => {
            let r: types::BankIdSePhoneAuthRequest = typed(body)?;
            c.bankid_se()
                .phone_auth(r.into())
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/bankid-se/verify" => {
            let r: types::BankIdSeVerifyRequest = typed(body)?;
            c.bankid_se().verify(r.into()).await.map(|_| ()).map_err(e)
        }
        "/v3/bankid-no/auth" => {
            let r: types::BankIdNoAuthRequest = typed(body)?;
            c.bankid_no()
                .auth(bankid_no::AuthRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/bankid-no/backchannel/auth" => {
            let r: types::BankIdNoBackchannelAuthRequest = typed(body)?;
            c.bankid_no()
                .backchannel_auth(r.into())
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/freja/sign" => {
            let r: types::FrejaSignRequest = typed(body)?;
            c.freja()
                .sign(freja::SignRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/freja/backchannel/auth" => {
            let r: types::FrejaBackchannelAuthRequest = typed(body)?;
            c.freja()
                .backchannel_auth(freja::BackchannelAuthRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/bankid-no/sign" => {
            let r: types::BankIdNoTextSignRequest = typed(body)?;
            c.bankid_no()
                .sign(bankid_no::TextSignRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/freja/auth" => {
            let r: types::FrejaAuthRequest = typed(body)?;
            c.freja()
                .auth(freja::AuthRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/freja/backchannel/sign" => {
            let r: types::FrejaBackchannelSignRequest = typed(body)?;
            c.freja()
                .backchannel_sign(r.into())
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/mitid/backchannel/auth" => {
            let r: types::MitIdBackchannelAuthRequest = typed(body)?;
            c.mitid()
                .backchannel_auth(r.into())
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/mitid/sign" => {
            let r: types::MitIdSignRequest = typed(body)?;
            c.mitid()
                .sign(mitid::SignRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/ftn/age-verification" => {
            let r: types::AgeVerificationRequest = typed(body)?;
            c.ftn()
                .age_verification(r.into())
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/vipps/auth" => {
            let r: types::VippsAuthRequest = typed(body)?;
            c.vipps()
                .auth(vipps::AuthRequest::from(r))
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        "/v3/vipps/backchannel/auth" => {
            let r: types::VippsBackchannelAuthRequest = typed(body)?;
            c.vipps()
                .backchannel_auth(r.into())
                .await
                .map_err(e)?
                .cancel()
                .await
                .map_err(e)
        }
        other => Err(format!("no start of our client for {other}: add it here")),
    }
}

/// The exact bytes a test sends, posted to the simulator; its answer must
/// carry every field in `requires`.
async fn send_raw(
    sim: &RunningSimulator,
    path: &str,
    body: &Value,
    requires: &[String],
) -> Result<(), String> {
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", sim.url()))
        .basic_auth(ACCOUNT, Some(SECRET))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap_or_default();
    if path == "/v3/bankid-se/verify" {
        return if status == 200 {
            Ok(())
        } else {
            Err(format!("{status} {text}"))
        };
    }
    if status != 201 {
        return Err(format!("{status} {text}"));
    }
    let answer = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
    let missing: Vec<&String> = requires
        .iter()
        .filter(|field| answer.get(field.as_str()).is_none_or(Value::is_null))
        .collect();
    // Cancelled right away, like the sessions our client starts.
    let id = answer["id"].as_str().map(String::from);
    let session = path.replace("/backchannel/", "/").replace("/phone/", "/");
    let cancelled = reqwest::Client::new()
        .delete(format!("{}{session}/{}", sim.url(), id.unwrap_or_default()))
        .basic_auth(ACCOUNT, Some(SECRET))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !missing.is_empty() {
        return Err(format!(
            "the answer lacks {missing:?}, which the client requires"
        ));
    }
    if cancelled.status().is_success() {
        Ok(())
    } else {
        Err(format!("cancel answered {}", cancelled.status()))
    }
}

/// Our client's multipart upload, accepted by the simulator (the fixtures
/// describe the tests' multipart bodies without their bytes).
async fn upload(c: &Client) -> Result<(), String> {
    c.documents()
        .upload(b"%PDF-1.4\n% fixture\n".to_vec())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn suite(reading: Reading) -> Checks {
    let sim = conformance::simulator(reading).await;
    let c = our_client(sim.url());
    let k = Checks::default();
    let fixtures = conformance::fixtures();
    assert!(
        fixtures.len() >= 150,
        "the fixtures are all there: {}",
        fixtures.len()
    );
    for (file, i, f) in &fixtures {
        let at = format!("{file}#{i}");
        let synthetic = f.path == "/v3/ping" || f.path == "/v3/things";
        match (f.direction.as_str(), &f.body) {
            ("response", Some(body)) => {
                let name = format!(
                    "fixture response {} {} {} ({at})",
                    f.method,
                    f.path,
                    f.status.unwrap_or(200)
                );
                if synthetic && f.status.is_none_or(|s| s < 400) {
                    // A made-up transport probe ({"ok": true}): no type of the API.
                    continue;
                }
                k.record(
                    format!("{name}: decodes with our types"),
                    decode_response(f, body),
                );
            }
            ("response", None) => {
                let name = format!(
                    "fixture response {} {} {} ({at})",
                    f.method,
                    f.path,
                    f.status.unwrap_or(200)
                );
                k.record(
                    format!("{name}: our client reads it"),
                    through_our_client(f).await,
                );
            }
            ("request", Some(body)) => {
                let what = format!("{} {} {} ({at})", f.method, f.path, label(f, body));
                k.record(
                    format!("fixture request (our client) {what}: validated and sent"),
                    send_with_our_client(&c, &f.path, body).await,
                );
                k.record(
                    format!("fixture request (simulator) {what}: the exact body is accepted"),
                    send_raw(&sim, &f.path, body, &f.requires).await,
                );
            }
            ("request", None) => {
                let name = format!("fixture request {} {} multipart ({at})", f.method, f.path);
                k.record(
                    format!("{name}: our client's upload is accepted"),
                    upload(&c).await,
                );
            }
            (other, _) => panic!("{at}: unknown direction {other}"),
        }
    }
    sim.shutdown().await;
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_test_suites_bodies_as_the_document_reads() {
    let k = suite(Reading::Document).await;
    k.finish(
        "official test suites' bodies",
        Reading::Document,
        &[
            "fixture request (simulator) POST /v3/bankid-se/phone/auth callInitiator user",
            "fixture request (simulator) POST /v3/freja/auth without ssn",
            "fixture request (our client) POST /v3/freja/auth without ssn",
            "fixture request (simulator) POST /v3/freja/backchannel/sign country SE",
            "fixture request (our client) POST /v3/freja/backchannel/sign country SE",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_test_suites_bodies_in_the_default_reading() {
    let k = suite(Reading::Decisions).await;
    k.finish(
        "official test suites' bodies",
        Reading::Decisions,
        &["fixture request (simulator) POST /v3/bankid-se/phone/auth callInitiator user"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_test_suites_bodies_with_the_clients_reading() {
    let k = suite(Reading::Clients).await;
    k.finish("official test suites' bodies", Reading::Clients, &[]);
}
