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

/// A user's first try: the blocking client inside `#[tokio::main]` (here
/// `#[tokio::test]`). tokio refuses to start or drop a runtime on a thread
/// of another one and panicked ("Cannot start a runtime from within a
/// runtime"); the calls now work (blocking this thread) and the drop is clean.
#[tokio::test]
async fn inside_an_async_runtime_the_blocking_client_works_and_drops_without_a_panic() {
    // The mock answers from a runtime on a thread of its own: this test's
    // thread is blocked by each call.
    let (uri_tx, uri_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let mock = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/v3/bankid-no/auth"))
                .respond_with(json(
                    201,
                    serde_json::json!({"id": "b2", "status": "PENDING", "url": "https://x.example"}),
                ))
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v3/bankid-no/auth/b2"))
                .respond_with(json(
                    200,
                    serde_json::json!({"id": "b2", "status": "COMPLETED", "name": "C"}),
                ))
                .mount(&server)
                .await;
            server
        });
        uri_tx.send(server.uri()).unwrap();
        let _ = stop_rx.recv();
        drop(server);
    });
    let uri = uri_rx.recv().unwrap();

    let client = identisure::blocking::Client::new(support::client(&uri)).unwrap();
    let session = client.bankid_no().auth(Default::default()).unwrap();
    let outcome = session.wait(WaitOptions::default()).unwrap();
    assert!(matches!(outcome, Outcome::Completed(ref c) if c.name.as_deref() == Some("C")));
    let updates: Vec<_> = session.updates().collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(updates[0].as_ref().is_ok_and(|s| s.is_final()));
    // The last handles dropped on this runtime's thread: no panic.
    drop((session, client));

    stop_tx.send(()).unwrap();
    mock.join().unwrap();
}
