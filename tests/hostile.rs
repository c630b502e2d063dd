//! Hostile server answers through the typed client, end to end (one start,
//! then `wait`), against a programmable TCP server on 127.0.0.1.
//!
//! Every case checks: the documented error or outcome, no panic, exactly one
//! start (POST), collects never less than a second apart (server-side receive
//! times), and an end within the configured time (a generous test-level
//! deadline, never an upper bound on speed). Simple mappings of single
//! collects are in tests/client.rs; these run the whole flow.

#[path = "hostile/server.rs"]
mod server;

use std::time::{Duration, Instant};

use identisure::providers::bankid_se::AuthRequest;
use identisure::{BankIdSe, Error, FailureCode, HintCode, Outcome, TransportKind, WaitOptions};
use serde_json::json;
use server::{Hostile, Reply, hostile};

const SECOND: Duration = Duration::from_secs(1);
/// Far above anything a case needs; only there so a hang fails the test.
const TEST_DEADLINE: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_millis(800);

fn client(base: &str) -> identisure::Client {
    identisure::Client::builder()
        .credentials("acct-hostile", "hostile-secret")
        .base_url(base)
        .request_timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

fn pending(id: &str) -> Reply {
    Reply::json(
        201,
        json!({"id": id, "status": "PENDING", "hintCode": "outstandingTransaction",
               "autoStartToken": "ast", "qrStartToken": "qst", "qrStartSecret": "qss"}),
    )
}

fn completed(id: &str) -> Reply {
    Reply::json(
        200,
        json!({"id": id, "status": "COMPLETED", "name": "Hostile Test", "givenName": "Hostile"}),
    )
}

/// One start, then `wait(options)`; the start's error or the wait's result.
async fn flow(server: &Hostile, options: WaitOptions) -> Result<Outcome<BankIdSe>, Error> {
    let client = client(&server.base);
    let run = async {
        let session = client.bankid_se().auth(AuthRequest::default()).await?;
        session.wait(options).await
    };
    tokio::time::timeout(TEST_DEADLINE, run)
        .await
        .expect("the flow ended within the test deadline")
}

/// The invariants of every case.
fn check_invariants(server: &Hostile) {
    assert_eq!(
        server.count("POST"),
        1,
        "exactly one start: {:?}",
        server.seen()
    );
    for gap in server.get_gaps() {
        assert!(
            gap >= SECOND,
            "collects {gap:?} apart: {:?}",
            server.get_gaps()
        );
    }
}

async fn start_fails_with(start: Reply) -> Error {
    let server = hostile(vec![start], vec![completed("s")]).await;
    let err = flow(&server, WaitOptions::default()).await.unwrap_err();
    check_invariants(&server);
    assert_eq!(server.count("GET"), 0, "no collect after a failed start");
    err
}

fn is_transport(err: &Error, kind: TransportKind) -> bool {
    matches!(err, Error::Transport { kind: k, .. } if *k == kind)
}

// ---- start answers ----------------------------------------------------------

#[tokio::test]
async fn start_html_error_page_from_a_proxy_is_an_api_error() {
    let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><hr>nginx</body></html>";
    let err = start_fails_with(Reply::raw(502, "text/html", page)).await;
    assert!(
        matches!(
            err,
            Error::Api {
                status: 502,
                message: None
            }
        ),
        "{err:?}"
    );
    let err = start_fails_with(Reply::raw(401, "text/html", "<html>Login required</html>")).await;
    assert!(matches!(err, Error::Unauthorized), "{err:?}");
}

#[tokio::test]
async fn start_html_page_with_a_success_status_is_a_decode_error() {
    let err = start_fails_with(Reply::raw(200, "text/html", "<html>captive portal</html>")).await;
    assert!(
        matches!(err, Error::Decode { status: 200, ref detail, .. } if detail == "not JSON"),
        "{err:?}"
    );
}

#[tokio::test]
async fn start_empty_and_truncated_bodies() {
    let err = start_fails_with(Reply::raw(201, "application/json", "")).await;
    assert!(
        matches!(err, Error::Decode { status: 201, ref detail, .. } if detail == "empty body"),
        "{err:?}"
    );
    // Complete HTTP, JSON cut short.
    let err = start_fails_with(Reply::raw(
        201,
        "application/json",
        r#"{"id":"s","status":"PEN"#,
    ))
    .await;
    assert!(
        matches!(err, Error::Decode { ref detail, .. } if detail == "truncated JSON"),
        "{err:?}"
    );
    // Content-Length promises more than arrives, then the connection closes.
    let err = start_fails_with(Reply::Truncated {
        status: 201,
        declared: 500,
        body: br#"{"id":"s","status":"PENDING""#.to_vec(),
    })
    .await;
    assert!(is_transport(&err, TransportKind::Reset), "{err:?}");
    // A failure while reading the body names the request too, and keeps
    // reqwest's error as its source.
    assert!(
        matches!(&err, Error::Transport { method: Some(m), url: Some(u), .. }
            if m == "POST" && u.ends_with("/v3/bankid-se/auth")),
        "{err:?}"
    );
    let source = std::error::Error::source(&err).expect("a source");
    assert!(
        source.downcast_ref::<reqwest::Error>().is_some(),
        "{source:?}"
    );
}

#[tokio::test]
async fn start_wrong_json_types_name_the_field() {
    for (body, field, detail) in [
        (json!({"id": 42, "status": "PENDING"}), "id", "invalid type"),
        (json!({"status": "PENDING"}), "id", "missing field"),
        (json!(["id", "status"]), ".", "invalid length"),
        (json!(null), ".", "invalid type"),
        (
            json!({"id": "s", "status": "PENDING", "hintCode": ["x"]}),
            "hintCode",
            "invalid type",
        ),
    ] {
        let err = start_fails_with(Reply::json(201, body.clone())).await;
        match err {
            Error::Decode {
                field: f,
                detail: d,
                ..
            } => {
                assert_eq!(d, detail, "{body}");
                if field != "." {
                    assert_eq!(f.as_deref(), Some(field), "{body}");
                }
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn start_deeply_nested_or_binary_bodies_do_not_panic() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = start_fails_with(Reply::raw(201, "application/json", deep)).await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let err = start_fails_with(Reply::raw(
        201,
        "application/json",
        vec![0xff, 0xfe, 0x00, 0x7b],
    ))
    .await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn start_429_is_never_retried_with_or_without_retry_after() {
    let err = start_fails_with(Reply::json(429, json!({"message": "slow down"}))).await;
    assert!(
        matches!(err, Error::RateLimited { retry_after: None }),
        "{err:?}"
    );
    let err =
        start_fails_with(Reply::raw(429, "text/plain", "").with_header("retry-after", "1")).await;
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d) } if d == SECOND),
        "{err:?}"
    );
}

#[tokio::test]
async fn start_5xx_reset_garbage_are_never_retried() {
    for reply in [
        Reply::json(500, json!({"message": "internal"})),
        Reply::json(503, json!({})).with_header("retry-after", "0"),
        Reply::raw(504, "text/html", "<html>Gateway Timeout</html>"),
    ] {
        let err = start_fails_with(reply).await;
        assert!(
            matches!(
                err,
                Error::Api {
                    status: 500..=504,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = start_fails_with(Reply::Reset).await;
    assert!(is_transport(&err, TransportKind::Reset), "{err:?}");
    // An answer that is not HTTP (e.g. a port of another protocol) says so.
    let err = start_fails_with(Reply::Garbage).await;
    assert!(is_transport(&err, TransportKind::Protocol), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("not an HTTP answer (POST http://127.0.0.1:")
            && text.contains("/v3/bankid-se/auth): check the scheme and port of the base URL"),
        "{text}"
    );
}

#[tokio::test]
async fn start_that_never_answers_ends_at_the_request_timeout() {
    let began = Instant::now();
    let err = start_fails_with(Reply::Hang).await;
    assert!(is_transport(&err, TransportKind::Timeout), "{err:?}");
    assert!(began.elapsed() >= REQUEST_TIMEOUT);
}

#[tokio::test]
async fn start_body_that_trickles_forever_ends_at_the_request_timeout() {
    let began = Instant::now();
    let err = start_fails_with(Reply::Trickle).await;
    assert!(is_transport(&err, TransportKind::Timeout), "{err:?}");
    assert!(began.elapsed() >= REQUEST_TIMEOUT);
}

#[tokio::test]
async fn oversized_start_bodies_are_refused_at_the_cap() {
    let limit = identisure::DEFAULT_MAX_RESPONSE_BYTES;
    // Announced by Content-Length: refused before reading.
    let err = start_fails_with(Reply::Huge {
        status: 201,
        declared: 64 << 20,
    })
    .await;
    assert!(
        matches!(err, Error::ResponseTooLarge { status: 201, limit: l } if l == limit),
        "{err:?}"
    );
    // A valid JSON start padded past the cap, Content-Length exact.
    let mut body = br#"{"id":"s","status":"PENDING","pad":""#.to_vec();
    body.extend(std::iter::repeat_n(b'x', limit));
    body.extend_from_slice(br#""}"#);
    let err = start_fails_with(Reply::raw(201, "application/json", body)).await;
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    assert!(!err.is_retryable());
    // An error page larger than the cap is cut and still maps by status.
    let err = start_fails_with(Reply::Huge {
        status: 502,
        declared: 8 << 20,
    })
    .await;
    assert!(matches!(err, Error::Api { status: 502, .. }), "{err:?}");
}

#[tokio::test]
async fn a_smaller_configured_cap_is_honoured() {
    let server = hostile(
        vec![Reply::json(
            201,
            json!({"id": "s", "status": "PENDING", "pad": "y".repeat(5000)}),
        )],
        vec![completed("s")],
    )
    .await;
    let client = identisure::Client::builder()
        .credentials("a", "s")
        .base_url(&server.base)
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let err = client
        .bankid_se()
        .auth(AuthRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 4096, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("4096"), "{err}");
    check_invariants(&server);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_credentials_stay_home() {
    for status in [301u16, 302, 307, 308] {
        let elsewhere = hostile(vec![pending("stolen")], vec![completed("stolen")]).await;
        let target = format!("http://127.0.0.1:{}/v3/bankid-se/auth", elsewhere.port);
        let redirect = Reply::raw(status, "text/plain", "").with_header("location", target.clone());
        // Redirect of the start.
        let server = hostile(vec![redirect.clone()], vec![completed("s")]).await;
        let err = flow(&server, WaitOptions::default()).await.unwrap_err();
        assert!(
            matches!(err, Error::Api { status: s, .. } if s == status),
            "{err:?}"
        );
        check_invariants(&server);
        assert!(
            server.seen()[0]
                .authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic ")),
            "the real server got the credentials"
        );
        // Redirect of a collect.
        let server = hostile(vec![pending("s")], vec![redirect]).await;
        let err = flow(&server, WaitOptions::default()).await.unwrap_err();
        assert!(
            matches!(err, Error::Api { status: s, .. } if s == status),
            "{err:?}"
        );
        check_invariants(&server);
        assert_eq!(server.count("GET"), 1, "a redirect is not retried");
        assert!(
            elsewhere.seen().is_empty(),
            "the other host got a request (Authorization: {:?})",
            elsewhere
                .seen()
                .iter()
                .map(|s| s.authorization.is_some())
                .collect::<Vec<_>>()
        );
    }
}

// ---- collect answers during wait --------------------------------------------

#[tokio::test]
async fn unknown_fields_hints_and_failure_codes_are_kept() {
    let server = hostile(
        vec![Reply::json(
            201,
            json!({"id": "s", "status": "PENDING", "brandNew": {"x": [1, 2]}, "hintCode": "hintFromTheFuture"}),
        )],
        vec![
            Reply::json(200, json!({"id": "s", "status": "PENDING", "hintCode": "somethingNew", "extra": true})),
            Reply::json(
                200,
                json!({"id": "s", "status": "FAILED", "error": "NEVER_SEEN_BEFORE", "hintCode": "newHint", "more": null}),
            ),
        ],
    )
    .await;
    let outcome = flow(&server, WaitOptions::default()).await.unwrap();
    match outcome {
        Outcome::Failed {
            code, hint_code, ..
        } => {
            assert_eq!(code, FailureCode::Unknown("NEVER_SEEN_BEFORE".into()));
            assert_eq!(hint_code, Some(HintCode::Unknown("newHint".into())));
        }
        other => panic!("{other:?}"),
    }
    check_invariants(&server);
    assert_eq!(server.count("GET"), 2);
}

#[tokio::test]
async fn an_unknown_status_ends_the_wait_without_looping() {
    let server = hostile(
        vec![pending("s")],
        vec![Reply::json(200, json!({"id": "s", "status": "ON_HOLD"}))],
    )
    .await;
    let err = flow(&server, WaitOptions::default()).await.unwrap_err();
    assert!(
        matches!(err, Error::UnknownStatus(ref s) if s == "ON_HOLD"),
        "{err:?}"
    );
    check_invariants(&server);
    assert_eq!(server.count("GET"), 1);
}

#[tokio::test]
async fn a_wrong_typed_collect_ends_the_wait_with_a_decode_error() {
    let server = hostile(
        vec![pending("s")],
        vec![Reply::json(
            200,
            json!({"id": "s", "status": "COMPLETED", "name": 7}),
        )],
    )
    .await;
    let err = flow(&server, WaitOptions::default()).await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { field: Some(ref f), .. } if f == "name"),
        "{err:?}"
    );
    check_invariants(&server);
    assert_eq!(server.count("GET"), 1, "a decode error is not retried");
}

#[tokio::test]
async fn wait_rides_out_429_with_and_without_retry_after() {
    let server = hostile(
        vec![pending("s")],
        vec![
            Reply::raw(429, "text/plain", "").with_header("retry-after", "2"),
            Reply::json(429, json!({"message": "too many"})),
            Reply::raw(429, "text/html", "<html>429</html>").with_header("retry-after", "soon"),
            completed("s"),
        ],
    )
    .await;
    let outcome = flow(&server, WaitOptions::default()).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
    check_invariants(&server);
    let gaps = server.get_gaps();
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    assert!(gaps[0] >= 2 * SECOND, "Retry-After: 2 honoured: {gaps:?}");
}

#[tokio::test]
async fn wait_retries_a_burst_of_5xx_and_resets_then_completes() {
    let server = hostile(
        vec![pending("s")],
        vec![
            Reply::raw(502, "text/html", "<html>Bad Gateway</html>"),
            Reply::Reset,
            Reply::json(503, json!({"message": "maintenance"})),
            completed("s"),
        ],
    )
    .await;
    let outcome = flow(&server, WaitOptions::default()).await.unwrap();
    assert!(
        matches!(outcome, Outcome::Completed(ref c) if c.name.as_deref() == Some("Hostile Test"))
    );
    check_invariants(&server);
    assert_eq!(server.count("GET"), 4);
}

#[tokio::test]
async fn wait_gives_up_after_the_retry_budget_of_5xx() {
    let server = hostile(
        vec![pending("s")],
        vec![Reply::json(500, json!({"message": "down"}))],
    )
    .await;
    let err = flow(&server, WaitOptions::default().max_retries(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    check_invariants(&server);
    assert_eq!(server.count("GET"), 2, "one try plus one retry");
}

#[tokio::test]
async fn a_collect_that_never_answers_is_bounded() {
    let server = hostile(vec![pending("s")], vec![Reply::Hang]).await;
    let err = flow(&server, WaitOptions::default().max_retries(1))
        .await
        .unwrap_err();
    assert!(is_transport(&err, TransportKind::Timeout), "{err:?}");
    check_invariants(&server);
    assert_eq!(server.count("GET"), 2);
}

#[tokio::test]
async fn a_collect_that_trickles_forever_ends_at_the_wait_deadline_with_a_cancel() {
    let began = Instant::now();
    let server = hostile(vec![pending("s")], vec![Reply::Trickle]).await;
    let err = flow(
        &server,
        WaitOptions::default().timeout(Duration::from_secs(2)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout), "{err:?}");
    assert!(began.elapsed() >= Duration::from_secs(2));
    check_invariants(&server);
    assert_eq!(
        server.count("DELETE"),
        1,
        "the session was cancelled at the deadline"
    );
}

#[tokio::test]
async fn an_endless_collect_body_stops_at_the_cap() {
    let server = hostile(vec![pending("s")], vec![Reply::Endless]).await;
    let err = flow(&server, WaitOptions::default()).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { status: 200, .. }),
        "{err:?}"
    );
    check_invariants(&server);
    assert_eq!(server.count("GET"), 1, "an oversized answer is not retried");
}

#[tokio::test]
async fn a_completed_person_with_extra_data_is_read_in_full() {
    let server = hostile(
        vec![pending("s")],
        vec![
            Reply::json(
                200,
                json!({"id": "s", "status": "PENDING", "hintCode": "userSign"}),
            ),
            Reply::json(
                200,
                json!({"id": "s", "status": "COMPLETED", "ssn": "198507099805", "name": "A B",
                       "device": {"ipAddress": "127.0.0.1", "uhi": "u", "future": 1},
                       "stepUp": {"mrtd": true}, "unknownBlock": {"deep": [{"x": 1}]}}),
            ),
        ],
    )
    .await;
    let outcome = flow(&server, WaitOptions::default()).await.unwrap();
    let Outcome::Completed(person) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(person.ssn.unwrap().expose(), "198507099805");
    check_invariants(&server);
}
