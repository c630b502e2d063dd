//! The blocking client: the same calls, no runtime on the caller's side.
#![cfg(feature = "blocking")]

mod support;

use identisure::{Outcome, WaitOptions};
use support::{Script, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

#[test]
fn blocking_start_wait_and_updates_work_without_a_caller_runtime() {
    // Only the mock server needs a runtime; the client runs its own.
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let collects = Script::new(vec![
        json(
            200,
            serde_json::json!({"id": "b1", "status": "PENDING", "url": "https://x.example"}),
        ),
        json(
            200,
            serde_json::json!({"id": "b1", "status": "COMPLETED", "name": "B"}),
        ),
    ]);
    let server = server_rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/bankid-no/auth"))
            .respond_with(json(
                201,
                serde_json::json!({"id": "b1", "status": "PENDING", "url": "https://x.example"}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v3/bankid-no/auth/b1"))
            .respond_with(collects.clone())
            .mount(&server)
            .await;
        server
    });
    let client = identisure::blocking::Client::new(support::client(&server.uri())).unwrap();
    let session = client.bankid_no().auth(Default::default()).unwrap();
    assert_eq!(session.pending().url.as_deref(), Some("https://x.example"));
    let outcome = session.wait(WaitOptions::default()).unwrap();
    assert!(matches!(outcome, Outcome::Completed(ref c) if c.name.as_deref() == Some("B")));
    let gaps = collects.gaps();
    assert!(
        gaps.iter().all(|g| *g >= std::time::Duration::from_secs(1)),
        "{gaps:?}"
    );

    let again = client.bankid_no().auth_session("b1").unwrap();
    let states: Vec<_> = again.updates().collect::<Result<_, _>>().unwrap();
    assert_eq!(states.len(), 1);
    assert!(states[0].is_final());

    let err = client.documents().upload(b"hello".to_vec()).unwrap_err();
    assert!(matches!(err, identisure::Error::InvalidRequest { ref field, .. } if field == "file"));
    assert!(!format!("{client:?}").contains("test-secret"));
    server_rt.block_on(server.verify());
}

/// Any flow of the table by name, blocking: the same start and collects as
/// the typed call, JSON in and out.
#[test]
fn blocking_flow_by_name_starts_waits_and_attaches() {
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let collects = Script::new(vec![json(
        200,
        serde_json::json!({"id": "f1", "status": "COMPLETED", "name": "F"}),
    )]);
    let server = server_rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/ftn/auth"))
            .respond_with(json(
                201,
                serde_json::json!({"id": "f1", "status": "PENDING", "url": "https://ftn.example"}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v3/ftn/auth/f1"))
            .respond_with(collects.clone())
            .mount(&server)
            .await;
        server
    });
    let client = identisure::blocking::Client::new(support::client(&server.uri())).unwrap();
    let flow = client.flow("ftn/auth").unwrap();
    let started = flow.start_json(serde_json::json!({})).unwrap();
    assert_eq!(started.pending().json()["url"], "https://ftn.example");
    assert_eq!(started.session().id(), "f1");
    let state = started.session().wait(WaitOptions::default()).unwrap();
    assert_eq!(state.status(), identisure::flow::Status::Completed);
    assert_eq!(state.json()["name"], "F");

    let attached = flow.session("f1").unwrap();
    assert!(attached.collect().unwrap().is_final());
    // A body the typed request refuses is refused here too, nothing sent
    // (the start mock expects exactly one POST).
    let err = client
        .flow("ftn/auth")
        .unwrap()
        .start_json(serde_json::json!({"refId": 17}))
        .unwrap_err();
    assert!(
        matches!(err, identisure::Error::InvalidRequest { .. }),
        "{err}"
    );
}
