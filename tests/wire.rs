//! What the generated client really puts on the wire, read from a real TCP
//! connection on 127.0.0.1.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Accepts one connection, returns the raw request head, answers `reply`.
async fn capture_one(
    status: &'static str,
    reply: &'static str,
) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed before the request head ended");
            buf.extend_from_slice(&chunk[..n]);
        }
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
            reply.len(),
            reply,
        );
        socket.write_all(response.as_bytes()).await.unwrap();
        String::from_utf8(buf).unwrap()
    });
    (url, task)
}

#[tokio::test]
async fn no_undocumented_headers_reach_the_server() {
    let (url, server) = capture_one(
        "200 OK",
        r#"{"id":"s-1","status":"PENDING","hintCode":"outstandingTransaction"}"#,
    )
    .await;
    let http = identisure::http_client_builder().build().unwrap();
    let raw = identisure::raw::Client::new_with_client(&url, http);

    let id = "s-1".parse().unwrap();
    let session = raw.bankid_se_auth_collect(&id).await.unwrap();
    assert!(matches!(
        session.into_inner(),
        identisure::raw::types::BankIdSeSession::Pending(_)
    ));

    let head = server.await.unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("get /v3/bankid-se/auth/s-1 http/1.1\r\n"),
        "{head}"
    );
    assert!(
        !head.contains("api-version"),
        "the API does not document api-version: {head}"
    );
    assert!(head.contains("user-agent: identisure-rs/"), "{head}");
    assert!(head.contains("accept: application/json"), "{head}");
}

#[tokio::test]
async fn start_sends_the_validated_json_body() {
    let (url, server) = capture_one(
        "201 Created",
        r#"{"id":"s-2","status":"PENDING","qrStartToken":"t","qrStartSecret":"s","autoStartToken":"a"}"#,
    )
    .await;
    let http = identisure::http_client_builder().build().unwrap();
    let raw = identisure::raw::Client::new_with_client(&url, http);
    let body: identisure::raw::types::BankIdSeAuthRequest = serde_json::from_value(
        serde_json::json!({ "intent": "Log in to Example", "refId": "order-7" }),
    )
    .unwrap();
    let pending = raw.bankid_se_auth_start(&body).await.unwrap();
    assert_eq!(pending.id, "s-2");

    let head = server.await.unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("post /v3/bankid-se/auth http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(!head.contains("api-version"), "{head}");
}

#[test]
fn constraint_violations_are_refused_by_the_generated_types() {
    use identisure::raw::types::{BankIdSeAuthRequest, BankIdSeAuthRequestIntent};

    let err = BankIdSeAuthRequestIntent::try_from("x".repeat(2001)).unwrap_err();
    assert!(err.to_string().contains("2000"), "{err}");
    assert!(BankIdSeAuthRequestIntent::try_from(String::new()).is_err());
    assert!(BankIdSeAuthRequestIntent::try_from("x".repeat(2000)).is_ok());

    // The same types refuse such a body when decoding it (the simulator's side).
    let body = serde_json::json!({ "intent": "x".repeat(2001) });
    assert!(serde_json::from_value::<BankIdSeAuthRequest>(body).is_err());
    let body = serde_json::json!({ "ssn": "" });
    assert!(serde_json::from_value::<BankIdSeAuthRequest>(body).is_err());
    let body = serde_json::json!({ "intent": "Log in" });
    let ok = serde_json::from_value::<BankIdSeAuthRequest>(body).unwrap();
    assert!(!ok.pin_required, "pinRequired defaults to false");
}

/// The collect of a waiting session is built by the hooks, not by its
/// generated method (MAINTAINING.md, "How the client is built"): it must
/// send what the generated method sends, for every flow, below a base URL
/// with a path of its own too.
#[tokio::test]
async fn the_layers_collect_sends_what_the_generated_collect_sends() {
    let reply = r#"{"id":"s-1","status":"PENDING","hintCode":"outstandingTransaction"}"#;
    // The generated method's request, as the reference.
    let (url, server) = capture_one("200 OK", reply).await;
    let http = identisure::http_client_builder().build().unwrap();
    let raw = identisure::raw::Client::new_with_client(&format!("{url}/base"), http);
    raw.bankid_se_auth_collect(&"s-1".parse().unwrap())
        .await
        .unwrap();
    let generated = server.await.unwrap().to_ascii_lowercase();
    let header_names = |head: &str| {
        let mut names: Vec<String> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_string()))
            .filter(|n| n != "authorization")
            .collect();
        names.sort();
        names
    };

    for flow in identisure::operations::flows() {
        let (url, server) = capture_one("200 OK", reply).await;
        let client = identisure::Client::builder()
            .credentials("acct", "secret")
            .base_url(format!("{url}/base"))
            .build()
            .unwrap();
        // A flow's name is its start's path below `/v3/`.
        let name = flow.start().path().trim_start_matches("/v3/");
        let session = client.flow(name).unwrap().session("s-1").unwrap();
        // Only the request is looked at (the reply is BankID SE's).
        let _ = session.collect().await;
        let head = server.await.unwrap().to_ascii_lowercase();
        let path = flow.collect().path().replace("{id}", "s-1");
        assert!(
            head.starts_with(&format!("get /base{path} http/1.1\r\n")),
            "{name}: {head}"
        );
        if flow.collect().id() == "bankid_se_auth_collect" {
            assert_eq!(
                head.lines().next(),
                generated.lines().next(),
                "{name}: the request line"
            );
        }
        assert_eq!(
            header_names(&head),
            header_names(&generated),
            "{name}: {head}"
        );
        assert!(head.contains("accept: application/json"), "{head}");
    }
}
