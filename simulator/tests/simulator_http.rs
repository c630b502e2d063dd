//! The HTTP edges: authentication, account isolation, 400 field messages,
//! 404/405/413 as JSON, document upload checks, and the 1 s collect rule.

mod simulator_support;

use std::time::Duration;

use identisure_simulator::RateLimit;
use serde_json::{Value, json};
use simulator_support::*;

/// Sends a raw request; returns status, headers and the body as JSON (the
/// test fails when an error body is not JSON with a `message`).
async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    if status >= 400 {
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert!(
            body["message"].is_string(),
            "error body without message: {body}"
        );
    }
    (status, headers, body)
}

#[tokio::test]
async fn wrong_or_missing_credentials_answer_401() {
    let sim = start().await;
    let url = sim.url();
    let path = format!("{url}/v3/bankid-se/auth");
    let c = http();
    let (status, headers, _) = send(c.post(&path).json(&json!({}))).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    for auth in [
        basic(ACCOUNT, "wrong"),
        basic("nobody", SECRET),
        basic(ACCOUNT, OTHER_SECRET),
        "Basic !!!".into(),
        "Bearer x".into(),
        "Basic".into(),
    ] {
        let (status, _, body) = send(
            c.post(&path)
                .header("authorization", auth.as_str())
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, 401, "{auth}");
        assert!(!body["message"].as_str().unwrap().contains(SECRET));
    }
    let (status, ..) = send(c.get(format!("{url}/v3/bankid-se/auth/x"))).await;
    assert_eq!(status, 401);
    let (status, ..) = send(c.get(format!("{url}/v3/document/x"))).await;
    assert_eq!(status, 401);
    // The generated client sees the same.
    let wrong = raw_as(url, ACCOUNT, "nope");
    let err = wrong
        .vipps_auth_start(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn a_session_and_a_document_belong_to_their_account() {
    let sim = start().await;
    let url = sim.url();
    let (_, s) = post(
        url,
        "/v3/freja/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN" }),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    let other = |req: reqwest::RequestBuilder| {
        req.header("authorization", basic(OTHER_ACCOUNT, OTHER_SECRET))
    };
    let c = http();
    let (status, _, body) = send(other(c.get(format!("{url}/v3/freja/auth/{id}")))).await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("not found"));
    let (status, ..) = send(other(c.delete(format!("{url}/v3/freja/auth/{id}")))).await;
    assert_eq!(status, 404);
    // Not through another provider's or family's path either.
    let (status, ..) = get(url, &format!("/v3/freja/sign/{id}")).await;
    assert_eq!(status, 404);
    let (status, ..) = get(url, &format!("/v3/bankid-se/auth/{id}")).await;
    assert_eq!(status, 404);
    // The owner still sees it pending: the other account's cancel did nothing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, body) = get(url, &format!("/v3/freja/auth/{id}")).await;
    assert_eq!(status, 200);
    assert_ne!(body["error"], "CANCELLED");

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.5 x".to_vec()),
    );
    let (status, _, doc) = send(
        c.post(format!("{url}/v3/document"))
            .header("authorization", basic(ACCOUNT, SECRET))
            .multipart(form),
    )
    .await;
    assert_eq!(status, 201);
    let doc_id = doc["id"].as_str().unwrap();
    let (status, ..) = send(other(c.get(format!("{url}/v3/document/{doc_id}")))).await;
    assert_eq!(status, 404);
    // Nor can another account sign it.
    let (status, _, body) = send(
        other(c.post(format!("{url}/v3/bankid-no/sign"))).json(&json!({ "documents": [doc_id] })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "documents[0]: unknown document id");
    let (status, ..) = get(url, "/v3/document/unknown-id").await;
    assert_eq!(status, 404);
    let (status, ..) = get(url, "/v3/bankid-se/auth/unknown-id").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invalid_bodies_answer_400_naming_the_field_and_the_rule() {
    let sim = start().await;
    let url = sim.url();
    let long = "x".repeat(2001);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v3/bankid-se/auth",
            json!({ "intent": long }),
            "intent: must be at most 2000 characters",
        ),
        (
            "/v3/bankid-se/auth",
            json!({ "intent": "" }),
            "intent: must not be empty",
        ),
        (
            "/v3/bankid-se/auth",
            json!({ "pinRequired": "yes" }),
            "pinRequired: must be a boolean",
        ),
        (
            "/v3/bankid-se/auth",
            json!({ "callbackUrl": "not a url" }),
            "callbackUrl: must be an absolute URI",
        ),
        (
            "/v3/bankid-se/auth",
            json!({ "callbackUrl": "ftp://example.com/x" }),
            "callbackUrl: must be an http or https URL",
        ),
        ("/v3/bankid-se/sign", json!({}), "text: is required"),
        (
            "/v3/bankid-se/phone/auth",
            json!({ "ssn": "198704122384" }),
            "callInitiator: is required",
        ),
        (
            "/v3/bankid-se/phone/auth",
            json!({ "ssn": "198704122384", "callInitiator": "BOTH" }),
            "callInitiator: must be `USER` or `RP`",
        ),
        (
            "/v3/bankid-se/phone/sign",
            json!({ "ssn": "", "text": "t", "callInitiator": "RP" }),
            "ssn: ",
        ),
        (
            "/v3/freja/sign",
            json!({ "ssn": "198704122384", "country": "SWEDEN", "text": "" }),
            "text: must not be empty",
        ),
        (
            "/v3/freja/age-verification",
            json!({ "minAge": 0, "maxAge": 10 }),
            "minAge: ",
        ),
        (
            "/v3/mitid/auth",
            json!({ "referenceText": "100% sure" }),
            "referenceText: ",
        ),
        (
            "/v3/mitid/sign",
            json!({ "text": "x".repeat(601) }),
            "text: must be at most 600 characters",
        ),
        (
            "/v3/mitid/backchannel/auth",
            json!({ "ssn": "2409911238" }),
            "bindingMessage: is required",
        ),
        (
            "/v3/bankid-no/sign",
            json!({ "text": "x".repeat(119) }),
            "text: must be at most 118 characters",
        ),
        (
            "/v3/bankid-no/sign",
            json!({ "text": "a", "documents": ["d"] }),
            "text, documents: exactly one of them is required",
        ),
        (
            "/v3/bankid-no/sign",
            json!({}),
            "text, documents: exactly one of them is required",
        ),
        (
            "/v3/bankid-no/sign",
            json!({ "documents": [] }),
            "documents: must not be empty",
        ),
        (
            "/v3/bankid-no/auth",
            json!({ "redirectUrl": "relative/path" }),
            "redirectUrl: must be an absolute URI",
        ),
        (
            "/v3/vipps/backchannel/auth",
            json!({}),
            "phone: is required",
        ),
        ("/v3/bankid-se/verify", json!({}), "qrCode: is required"),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = post(url, path, body.clone()).await;
        assert_eq!(status, 400, "{path} {body}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with(expected),
            "{path} {body}: got {message:?}, expected {expected:?}"
        );
    }
}

#[tokio::test]
async fn malformed_bodies_unknown_paths_and_wrong_methods_answer_json() {
    let sim = start().await;
    let url = sim.url();
    let c = http();
    let auth = basic(ACCOUNT, SECRET);
    for raw_body in [
        "{",
        "not json",
        "",
        "{\"refId\": \"a\"} trailing",
        "[1]",
        "[{}]",
    ] {
        let (status, _, body) = send(
            c.post(format!("{url}/v3/bankid-se/auth"))
                .header("authorization", auth.as_str())
                .header("content-type", "application/json")
                .body(raw_body),
        )
        .await;
        assert_eq!(status, 400, "{raw_body:?}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("malformed JSON") || message.starts_with("body: "),
            "{message}"
        );
    }
    let (status, _, body) = send(
        c.get(format!("{url}/v3/no-such-provider/auth"))
            .header("authorization", auth.as_str()),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], "no such path");
    let (status, ..) = send(c.get(format!("{url}/"))).await;
    assert_eq!(status, 404);
    let (status, ..) = send(
        c.get(format!("{url}/v3/ftn/sign/abc"))
            .header("authorization", auth.as_str()),
    )
    .await;
    assert_eq!(status, 404, "FTN has no sign flow");
    for (method, path) in [
        (reqwest::Method::GET, "/v3/bankid-se/auth"),
        (reqwest::Method::PUT, "/v3/bankid-se/auth"),
        (reqwest::Method::POST, "/v3/bankid-se/auth/some-id"),
        (reqwest::Method::PATCH, "/v3/vipps/auth/some-id"),
        (reqwest::Method::PUT, "/document/some-id"),
        (reqwest::Method::PATCH, "/v3/document/some-id"),
        (reqwest::Method::GET, "/v3/bankid-se/verify"),
    ] {
        let (status, _, body) = send(
            c.request(method.clone(), format!("{url}{path}"))
                .header("authorization", auth.as_str()),
        )
        .await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(body["message"], "method not allowed on this path");
    }
    // 256 KiB is the JSON limit of this test simulator.
    let huge = json!({ "text": "x".repeat(300 * 1024) });
    let (status, _, body) = send(
        c.post(format!("{url}/v3/bankid-se/sign"))
            .header("authorization", auth.as_str())
            .json(&huge),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["message"], "request body too large");
    // And it keeps serving.
    let (status, _) = post(url, "/v3/vipps/auth", json!({})).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_document_upload_checks_the_pdf() {
    let sim = start().await;
    let url = sim.url();
    let c = http();
    let upload = |form: reqwest::multipart::Form| {
        c.post(format!("{url}/v3/document"))
            .header("authorization", basic(ACCOUNT, SECRET))
            .multipart(form)
    };
    let part = |bytes: Vec<u8>| reqwest::multipart::Part::bytes(bytes).file_name("a.pdf");

    let (status, _, body) = send(upload(
        reqwest::multipart::Form::new().part("file", part(b"GIF89a".to_vec())),
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "file: must be a PDF document (starting with %PDF-)"
    );
    let (status, _, body) = send(upload(
        reqwest::multipart::Form::new().part("other", part(b"%PDF-1.1".to_vec())),
    ))
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("file: is required")
    );
    let (status, _, body) = send(upload(
        reqwest::multipart::Form::new().part("file", part(Vec::new())),
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    // The test simulator accepts PDFs up to 64 KiB.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(70 * 1024, b' ');
    let (status, _, body) = send(upload(
        reqwest::multipart::Form::new().part("file", part(big)),
    ))
    .await;
    assert_eq!(status, 413, "{body}");
    let mut ok = b"%PDF-1.7\n".to_vec();
    ok.resize(60 * 1024, b' ');
    let (status, _, body) = send(upload(
        reqwest::multipart::Form::new().part("file", part(ok)),
    ))
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["hash"].as_str().unwrap().len(), 64);
    let (status, _, _) = send(
        c.post(format!("{url}/v3/document"))
            .header("authorization", basic(ACCOUNT, SECRET))
            .json(&json!({ "file": "x" })),
    )
    .await;
    assert_eq!(status, 400, "not multipart");
}

#[tokio::test]
async fn collects_closer_than_a_second_answer_429_with_retry_after() {
    let sim = start().await;
    let url = sim.url();
    let (_, s) = post(url, "/v3/bankid-se/auth", json!({ "refId": "sim:manual" })).await;
    let path = format!("{url}/v3/bankid-se/auth/{}", s["id"].as_str().unwrap());
    let (_, other) = post(
        url,
        "/v3/freja/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN" }),
    )
    .await;
    let other_path = format!("{url}/v3/freja/auth/{}", other["id"].as_str().unwrap());
    let c = http();
    let auth = basic(ACCOUNT, SECRET);

    let (status, ..) = send(c.get(&path).header("authorization", auth.as_str())).await;
    assert_eq!(status, 200);
    let (status, headers, body) = send(c.get(&path).header("authorization", auth.as_str())).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "1");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("1 request per second")
    );
    assert_eq!(sim.rate_limit_violations(), 1);
    // Per session: another session of the same account is not limited.
    let (status, ..) = send(c.get(&other_path).header("authorization", auth.as_str())).await;
    assert_eq!(status, 200);
    // Honouring Retry-After works.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, ..) = send(c.get(&path).header("authorization", auth.as_str())).await;
    assert_eq!(status, 200);
    assert_eq!(sim.rate_limit_violations(), 1);
    let log = sim.collect_log(s["id"].as_str().unwrap());
    assert_eq!(log.len(), 3);
    assert!(log[2] - log[0] >= Duration::from_secs(1));
    // Starts and cancels are not rate-limited.
    for _ in 0..3 {
        let (status, _) = post(url, "/v3/vipps/auth", json!({})).await;
        assert_eq!(status, 201);
    }
}

#[tokio::test]
async fn the_per_account_limit_counts_every_session_of_the_account() {
    let sim = start_with(RateLimit::PerAccount, fast_timing(), 3).await;
    let url = sim.url();
    let (_, a) = post(url, "/v3/vipps/auth", json!({})).await;
    let (_, b) = post(url, "/v3/vipps/auth", json!({})).await;
    let (status, _) = get(
        url,
        &format!("/v3/vipps/auth/{}", a["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = get(
        url,
        &format!("/v3/vipps/auth/{}", b["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 429, "another session, same account");
    // Another account has its own budget.
    let (_, c) = {
        let response = http()
            .post(format!("{url}/v3/vipps/auth"))
            .header("authorization", basic(OTHER_ACCOUNT, OTHER_SECRET))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    let response = http()
        .get(format!("{url}/v3/vipps/auth/{}", c["id"].as_str().unwrap()))
        .header("authorization", basic(OTHER_ACCOUNT, OTHER_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(sim.rate_limit_violations(), 1);
}

#[tokio::test]
async fn a_client_collecting_once_a_second_is_never_limited() {
    let sim = start().await;
    let url = sim.url();
    let (_, s) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "199003154730" })).await;
    let id = s["id"].as_str().unwrap();
    let done = collect_until_done(url, &format!("/v3/bankid-se/auth/{id}"), 5).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(sim.rate_limit_violations(), 0);
    let log = sim.collect_log(id);
    assert!(log.len() >= 2);
    for pair in log.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_secs(1),
            "spacing {:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn serve_runs_until_its_shutdown_future_resolves() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sim = identisure_simulator::Simulator::builder()
        .account(ACCOUNT, SECRET)
        .build();
    let server = tokio::spawn(sim.serve(addr, async {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}");
    let mut up = false;
    for _ in 0..100 {
        if let Ok(r) = http().get(format!("{url}/sim/health")).send().await {
            up = r.status().is_success();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "the simulator answers its health check");
    let (status, body) = post(&url, "/v3/bankid-no/auth", json!({})).await;
    assert_eq!(status, 201);
    assert!(
        body["url"].as_str().unwrap().starts_with(&url),
        "approval URLs name the served address"
    );
    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("stops")
        .unwrap();
    assert!(result.is_ok());
}

/// A bounded, seeded storm of mangled bodies against every start path:
/// every answer is 201 or a JSON 4xx, never a 5xx or a dropped connection.
#[tokio::test]
async fn mangled_bodies_never_crash_it() {
    use rand::{Rng, SeedableRng};
    let sim = start().await;
    let url = sim.url();
    let valid = [
        (
            "/v3/bankid-se/auth",
            r#"{"ssn":"198704122384","intent":"Log in","refId":"x"}"#,
        ),
        ("/v3/bankid-se/sign", r#"{"text":"I agree","digest":"abc"}"#),
        (
            "/v3/bankid-no/sign",
            r#"{"text":"Jeg godtar","redirectUrl":"https://a.example/"}"#,
        ),
        (
            "/v3/freja/sign",
            r#"{"ssn":"198704122384","country":"SWEDEN","text":"t"}"#,
        ),
        (
            "/v3/mitid/backchannel/auth",
            r#"{"ssn":"2409911238","bindingMessage":"b"}"#,
        ),
        ("/v3/ftn/age-verification", r#"{"minAge":18,"maxAge":99}"#),
        ("/v3/vipps/backchannel/auth", r#"{"phone":"+4790881716"}"#),
        ("/v3/bankid-se/verify", r#"{"qrCode":"abc"}"#),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let c = http();
    for round in 0..240 {
        let (path, body) = valid[round % valid.len()];
        let mut bytes = body.as_bytes().to_vec();
        for _ in 0..(1 + rng.next_u32() % 4) {
            let i = (rng.next_u32() as usize) % bytes.len();
            match rng.next_u32() % 4 {
                0 => bytes[i] = (rng.next_u32() % 256) as u8,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, b"{}[]\",:0\\\xff"[(rng.next_u32() % 10) as usize]),
                _ => {
                    bytes.remove(i);
                }
            };
            if bytes.is_empty() {
                bytes.push(b'{');
            }
        }
        let response = c
            .post(format!("{url}{path}"))
            .header("authorization", basic(ACCOUNT, SECRET))
            .header("content-type", "application/json")
            .body(bytes.clone())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "connection failed for {:?}: {e}",
                    String::from_utf8_lossy(&bytes)
                )
            });
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(
            matches!(status, 200 | 201 | 400 | 413),
            "{status} for {:?}",
            String::from_utf8_lossy(&bytes)
        );
        let answer: Value = serde_json::from_str(&text).expect("always JSON");
        if status >= 400 {
            assert!(answer["message"].is_string());
        }
    }
    let (status, _) = post(url, "/v3/vipps/auth", json!({})).await;
    assert_eq!(status, 201, "still serving");
}

/// The simulator's memory is bounded: sessions stored and bytes of
/// documents; beyond, a start or an upload answers 503 with a message.
#[tokio::test]
async fn sessions_and_documents_stored_are_bounded() {
    let sim = identisure_simulator::Simulator::builder()
        .account(ACCOUNT, SECRET)
        .max_sessions(3)
        .max_stored_bytes(30)
        .build()
        .spawn_local()
        .await
        .unwrap();
    let url = sim.url();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(url, "/v3/bankid-se/auth", json!({})).await.0);
    }
    assert_eq!(statuses, [201, 201, 201, 503]);
    let c = http();
    let (status, _, body) = send(
        c.post(format!("{url}/v3/bankid-se/auth"))
            .header("authorization", basic(ACCOUNT, SECRET))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 503);
    assert!(
        body["message"].as_str().unwrap().contains("3 sessions"),
        "{body}"
    );
    let upload = |bytes: &'static [u8]| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()));
        send(
            c.post(format!("{url}/v3/document"))
                .header("authorization", basic(ACCOUNT, SECRET))
                .multipart(form),
        )
    };
    assert_eq!(upload(b"%PDF-1.5 twenty bytes").await.0, 201);
    let (status, _, body) = upload(b"%PDF-1.5 more than ten").await;
    assert_eq!(status, 503);
    assert!(
        body["message"].as_str().unwrap().contains("30 bytes"),
        "{body}"
    );

    // The texts a session keeps count against the same budget.
    let sim = identisure_simulator::Simulator::builder()
        .account(ACCOUNT, SECRET)
        .max_stored_bytes(30)
        .build()
        .spawn_local()
        .await
        .unwrap();
    let url = sim.url();
    let start = |ref_id: &str| post(url, "/v3/bankid-se/auth", json!({ "refId": ref_id }));
    assert_eq!(start("twenty characters...").await.0, 201);
    let (status, body) = start("more than ten").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(start("under ten").await.0, 201);
}

#[tokio::test]
async fn a_client_with_one_v3_too_many_is_told_so_not_that_a_session_is_missing() {
    let sim = start().await;
    let wrong = identisure::Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(format!("{}/v3", sim.url()))
        .build()
        .unwrap();
    let err = wrong
        .bankid_se()
        .auth(Default::default())
        .await
        .unwrap_err();
    let url = format!("{}/v3/v3/bankid-se/auth", sim.url());
    assert!(
        matches!(&err, identisure::Error::EndpointNotFound { method, url: u, message: Some(_) }
            if method == "POST" && *u == url),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("POST {url} not found (HTTP 404")),
        "{text}"
    );
    assert!(text.contains("leave `/v3` out of the base URL"), "{text}");
    assert_eq!(sim.session_count(), 0, "nothing was started");
}
