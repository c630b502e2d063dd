//! Every outcome of the test identities table, the session life cycle
//! (progress, cancel, expiry, conflict, approval page) and the person data
//! each provider reports.

mod simulator_support;

use std::time::Duration;

use identisure::raw::types;
use identisure_simulator::{RateLimit, Timing, test_persons};
use serde_json::{Value, json};
use sha2::Digest;
use simulator_support::*;

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fast steps, but manual sessions wait up to 30 s for their approval.
fn slow_expiry() -> Timing {
    Timing {
        expire_after: Duration::from_secs(30),
        ..fast_timing()
    }
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

#[tokio::test]
async fn a_bankid_se_session_moves_through_the_hint_codes_and_completes() {
    // Steps of 1.5 s; collects in the middle of each step (2.25 s, 3.75 s,
    // 5.25 s after the start), 1.5 s apart.
    let timing = Timing {
        step: Duration::from_millis(1500),
        expire_after: Duration::from_secs(30),
        ..fast_timing()
    };
    let sim = start_with(RateLimit::PerSession, timing, 1).await;
    let url = sim.url();
    let (status, started) = post(
        url,
        "/v3/bankid-se/auth",
        json!({ "refId": "r-1", "ipAddress": "192.0.2.7" }),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(started["hintCode"], "outstandingTransaction");
    let path = format!("/v3/bankid-se/auth/{}", id(&started));

    let mut seen = vec![];
    let mut wait = Duration::from_millis(2250);
    let done = loop {
        tokio::time::sleep(wait).await;
        wait = Duration::from_millis(1500);
        let (status, body) = get(url, &path).await;
        assert_eq!(status, 200);
        if body["status"] != "PENDING" {
            break body;
        }
        seen.push(body["hintCode"].as_str().unwrap().to_string());
        assert!(seen.len() < 6, "never completed: {seen:?}");
    };
    assert_eq!(seen, ["started", "userSign"]);

    // The shape is the generated COMPLETED type, with every field filled.
    let typed: types::BankIdSeSession = serde_json::from_value(done.clone()).unwrap();
    let types::BankIdSeSession::Completed(c) = typed else {
        panic!("not completed: {done}")
    };
    let astrid = &test_persons()[0];
    assert_eq!(c.ssn.as_ref().map(|s| s.expose()), Some(astrid.ssn()));
    assert_eq!(c.name.as_deref(), Some("Astrid Lindqvist"));
    assert_eq!(
        (c.given_name.as_deref(), c.surname.as_deref()),
        (Some("Astrid"), Some("Lindqvist"))
    );
    assert_eq!(c.ref_id.as_deref(), Some("r-1"));
    assert_eq!(c.risk.as_deref(), Some("low"));
    assert!(c.cert_start_date.is_some() && c.ocsp_response.is_some());
    let device = c.device.unwrap();
    assert_eq!(device.ip_address.as_deref(), Some("192.0.2.7"));
    assert!(device.uhi.is_some());
    let at = c.authenticated_at.unwrap();
    assert!(
        at.len() == 24 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
    assert!(c.signed_at.is_none());
    assert_eq!(sim.rate_limit_violations(), 0);
}

/// (ssn, scenario, expected status, error, hintCode)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const SSN_TABLE: [Row; 9] = [
    ("198704122384", "complete", "COMPLETED", None, None),
    ("198808087020", "complete-2", "COMPLETED", None, None),
    (
        "199206273840",
        "user-cancel",
        "FAILED",
        Some("CANCELLED"),
        Some("userCancel"),
    ),
    (
        "198110218263",
        "auth-failed",
        "FAILED",
        Some("AUTH_FAILED"),
        Some("certificateErr"),
    ),
    (
        "199505140492",
        "invalid-id",
        "FAILED",
        Some("INVALID_ID"),
        Some("startFailed"),
    ),
    (
        "197909303658",
        "conflict",
        "FAILED",
        Some("CONFLICT"),
        Some("cancelled"),
    ),
    (
        "198402292919",
        "internal-error",
        "FAILED",
        Some("INTERNAL_ERROR"),
        Some("startFailed"),
    ),
    (
        "199307175142",
        "unsupported-client",
        "FAILED",
        Some("UNSUPPORTED_CLIENT"),
        Some("startFailed"),
    ),
    (
        "196812031570",
        "expire",
        "FAILED",
        Some("SESSION_TIMEOUT"),
        Some("expiredTransaction"),
    ),
];

#[tokio::test]
async fn every_swedish_test_identity_produces_its_outcome() {
    let sim = start().await;
    let url = sim.url();
    let mut started = vec![];
    for (ssn, ..) in SSN_TABLE {
        let (status, body) = post(url, "/v3/bankid-se/auth", json!({ "ssn": ssn })).await;
        assert_eq!(status, 201, "{ssn}: {body}");
        started.push(body);
    }
    // The expiring one ends at 3 s: collect each until done, once a second.
    for ((ssn, scenario, status, error, hint), s) in SSN_TABLE.iter().zip(&started) {
        let done = collect_until_done(url, &format!("/v3/bankid-se/auth/{}", id(s)), 6).await;
        assert_eq!(done["status"], *status, "{scenario}: {done}");
        assert_eq!(done["error"].as_str(), *error, "{scenario}");
        assert_eq!(done["hintCode"].as_str(), *hint, "{scenario}");
        if *status == "COMPLETED" {
            assert_eq!(done["ssn"], *ssn, "completes as the person of that number");
        }
        let _: types::BankIdSeSession = serde_json::from_value(done).unwrap();
    }
}

#[tokio::test]
async fn the_slow_user_completes_late() {
    // Slow steps of 10 × 100 ms: the slow user completes after 3 s.
    let timing = Timing {
        slow_factor: 10,
        expire_after: Duration::from_secs(30),
        ..fast_timing()
    };
    let sim = start_with(RateLimit::PerSession, timing, 5).await;
    let url = sim.url();
    let started = std::time::Instant::now();
    let (_, slow) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "199003154730" })).await;
    let (_, normal) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "198704122384" })).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (_, body) = get(url, &format!("/v3/bankid-se/auth/{}", id(&normal))).await;
    assert_eq!(
        body["status"], "COMPLETED",
        "a normal user is done after 300 ms"
    );
    let (_, body) = get(url, &format!("/v3/bankid-se/auth/{}", id(&slow))).await;
    assert_eq!(body["status"], "PENDING");
    tokio::time::sleep(COLLECT_GAP).await;
    let done = collect_until_done(url, &format!("/v3/bankid-se/auth/{}", id(&slow)), 5).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["name"], "Johan Ek");
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[tokio::test]
async fn the_expiring_user_times_out_after_expire_after() {
    let sim = start().await; // expire_after: 3 s
    let url = sim.url();
    let started = std::time::Instant::now();
    let (_, expire) = post(
        url,
        "/v3/freja/auth",
        json!({ "ssn": "19681203-1570", "country": "SWEDEN" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let path = format!("/v3/freja/auth/{}", id(&expire));
    let (_, body) = get(url, &path).await;
    assert_eq!(body["status"], "PENDING");
    tokio::time::sleep(COLLECT_GAP).await;
    let done = collect_until_done(url, &path, 5).await;
    assert_eq!(
        (done["status"].as_str(), done["error"].as_str()),
        (Some("FAILED"), Some("SESSION_TIMEOUT"))
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(
        done.get("hintCode").is_none(),
        "hint codes are BankID SE only"
    );
}

#[tokio::test]
async fn ref_id_prefixes_select_every_scenario_in_flows_without_ssn() {
    let sim = start().await;
    let url = sim.url();
    let cases = [
        ("sim:complete", "COMPLETED", None),
        ("sim:user-cancel:order-1", "FAILED", Some("CANCELLED")),
        ("sim:auth-failed", "FAILED", Some("AUTH_FAILED")),
        ("sim:invalid-id", "FAILED", Some("INVALID_ID")),
        ("sim:conflict", "FAILED", Some("CONFLICT")),
        ("sim:internal-error", "FAILED", Some("INTERNAL_ERROR")),
        (
            "sim:unsupported-client",
            "FAILED",
            Some("UNSUPPORTED_CLIENT"),
        ),
        ("sim:expire", "FAILED", Some("SESSION_TIMEOUT")),
        ("sim:slow", "COMPLETED", None),
    ];
    let mut ids = vec![];
    for (ref_id, ..) in cases {
        let (status, body) = post(url, "/v3/mitid/auth", json!({ "refId": ref_id })).await;
        assert_eq!(status, 201);
        assert_eq!(body["refId"], ref_id, "refId echoed verbatim");
        ids.push(id(&body).to_string());
    }
    for ((ref_id, status, error), id) in cases.iter().zip(&ids) {
        let done = collect_until_done(url, &format!("/v3/mitid/auth/{id}"), 6).await;
        assert_eq!(done["status"], *status, "{ref_id}");
        assert_eq!(done["error"].as_str(), *error, "{ref_id}");
        assert_eq!(done["refId"], *ref_id);
        let _: types::MitIdSession = serde_json::from_value(done).unwrap();
    }

    let (status, body) = post(url, "/v3/ftn/auth", json!({ "refId": "sim:no-such-thing" })).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("refId: unknown simulator scenario `no-such-thing`")
    );
}

#[tokio::test]
async fn a_second_start_for_the_same_person_conflicts() {
    let sim = start().await;
    let url = sim.url();
    let (_, first) = post(
        url,
        "/v3/bankid-se/sign",
        json!({ "ssn": "198704122384", "text": "a" }),
    )
    .await;
    // Same person, written the short way: still the same person.
    let (status, body) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "870412-2384" })).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "ssn: a session is already in progress for this user"
    );
    let (_, first_now) = get(url, &format!("/v3/bankid-se/sign/{}", id(&first))).await;
    assert_eq!(first_now["status"], "FAILED");
    assert_eq!(first_now["error"], "CONFLICT");
    assert_eq!(first_now["hintCode"], "cancelled");
    // The other account's sessions and other providers are separate.
    let (status, _) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "198704122384" })).await;
    assert_eq!(status, 201, "nothing pending any more");
    let (status, _) = post(
        url,
        "/v3/freja/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN" }),
    )
    .await;
    assert_eq!(status, 201, "another provider");
}

#[tokio::test]
async fn delete_cancels_and_later_collects_show_cancelled() {
    let sim = start().await;
    let url = sim.url();
    let (_, s) = post(url, "/v3/bankid-se/auth", json!({ "refId": "sim:manual" })).await;
    let response = http()
        .delete(format!("{url}/v3/bankid-se/auth/{}", id(&s)))
        .header("authorization", basic(ACCOUNT, SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let (_, body) = get(url, &format!("/v3/bankid-se/auth/{}", id(&s))).await;
    assert_eq!(
        (body["status"].as_str(), body["error"].as_str()),
        (Some("FAILED"), Some("CANCELLED"))
    );
    assert_eq!(body["hintCode"], "cancelled");
    assert!(
        sim.complete_now(id(&s)).is_none(),
        "an ended session cannot complete"
    );
}

#[tokio::test]
async fn the_approval_page_approves_cancels_and_redirects() {
    let sim = start_with(RateLimit::PerSession, slow_expiry(), 2).await;
    let url = sim.url();
    let (_, approve_me) = post(
        url,
        "/v3/bankid-no/sign",
        json!({ "text": "Jeg <godtar>", "refId": "sim:manual" }),
    )
    .await;
    let page_url = approve_me["url"].as_str().unwrap().to_string();
    let page = http().get(&page_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(">Approve</button>") && html.contains(">Cancel</button>"));
    assert!(
        html.contains("Jeg &lt;godtar&gt;"),
        "the text to sign, escaped"
    );
    let binding = approve_me["bindingMessage"].as_str().unwrap();
    assert!(
        html.contains(&format!("<strong>{binding}</strong>")),
        "the binding message to compare"
    );
    assert!(
        !html.contains("<script") && !html.contains("<link") && !html.contains("src="),
        "self-contained"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, still) = get(url, &format!("/v3/bankid-no/sign/{}", id(&approve_me))).await;
    assert_eq!(
        still["status"], "PENDING",
        "manual sessions wait for the page"
    );
    let answer = http()
        .post(&page_url)
        .form(&[("action", "approve")])
        .send()
        .await
        .unwrap();
    assert!(answer.text().await.unwrap().contains("completed"));
    tokio::time::sleep(COLLECT_GAP).await;
    let (_, done) = get(url, &format!("/v3/bankid-no/sign/{}", id(&approve_me))).await;
    assert_eq!(done["status"], "COMPLETED");
    assert!(done["signedAt"].is_string());

    // Cancel, with a redirectUrl: the browser goes back to the app.
    let (_, cancel_me) = post(
        url,
        "/v3/vipps/auth",
        json!({ "refId": "sim:manual", "redirectUrl": "https://app.example/back?x=1" }),
    )
    .await;
    let no_redirects = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects
        .post(cancel_me["url"].as_str().unwrap())
        .form(&[("action", "cancel")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303);
    assert_eq!(answer.headers()["location"], "https://app.example/back?x=1");
    let (_, done) = get(url, &format!("/v3/vipps/auth/{}", id(&cancel_me))).await;
    assert_eq!(
        (done["status"].as_str(), done["error"].as_str()),
        (Some("FAILED"), Some("CANCELLED"))
    );

    let bad = http()
        .post(&page_url)
        .form(&[("action", "maybe")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let unknown = http()
        .get(format!("{url}/sim/approve/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn complete_now_flips_a_session_and_the_collect_log_records_arrivals() {
    let sim = start_with(RateLimit::PerSession, slow_expiry(), 2).await;
    let url = sim.url();
    let (_, s) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "197511086121" })).await;
    let path = format!("/v3/bankid-se/auth/{}", id(&s));
    let (_, first) = get(url, &path).await;
    assert_eq!(first["status"], "PENDING");
    let (status, _) = get(url, &path).await;
    assert_eq!(status, 429);
    let completed_at = sim.complete_now(id(&s)).expect("it was pending");
    tokio::time::sleep(COLLECT_GAP).await;
    let (_, done) = get(url, &path).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["name"], "Karin Holm");
    let log = sim.collect_log(id(&s));
    assert_eq!(log.len(), 3, "every collect is logged, 429 included");
    assert!(log[0] <= log[1] && log[1] <= completed_at && completed_at <= log[2]);
    assert!(log[2] - log[0] >= Duration::from_secs(1));
    assert!(sim.complete_now(id(&s)).is_none());
}

#[tokio::test]
async fn age_verification_compares_the_test_persons_age() {
    let sim = start().await;
    let url = sim.url();
    let astrid = test_persons()[0].age() as u64;
    let ingrid = test_persons()[1].age() as u64;
    let cases = [
        ("/v3/bankid-se/age-verification", 18, 120, true),
        ("/v3/bankid-se/age-verification", astrid + 1, 150, false),
        ("/v3/freja/age-verification", astrid, astrid, true),
        ("/v3/bankid-no/age-verification", 1, ingrid - 1, false),
        ("/v3/mitid/age-verification", 18, 99, true),
        ("/v3/ftn/age-verification", 18, 99, true),
    ];
    for (path, min, max, verified) in cases {
        let (status, s) = post(
            url,
            path,
            json!({ "minAge": min, "maxAge": max, "refId": "a" }),
        )
        .await;
        assert_eq!(status, 201);
        let done = collect_until_done(url, &format!("{path}/{}", id(&s)), 3).await;
        assert_eq!(done["status"], "COMPLETED");
        assert_eq!(done["ageVerified"], verified, "{path} {min}..={max}");
        assert!(
            done.get("ssn").is_none() && done.get("name").is_none(),
            "no personal data"
        );
        let _: types::AgeVerificationSession = serde_json::from_value(done).unwrap();
    }
}

#[tokio::test]
async fn each_provider_reports_its_own_fields() {
    let sim = start().await;
    let url = sim.url();
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(pdf.clone()));
    let doc: Value = http()
        .post(format!("{url}/document"))
        .header("authorization", basic(ACCOUNT, SECRET))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["hash"], sha256_hex(&pdf), "a real SHA-256 of the bytes");

    let starts = [
        (
            "/v3/bankid-se/sign",
            "/v3/bankid-se/sign",
            json!({ "text": "Sign me", "orgNumber": "5560000001", "requestAddress": true }),
        ),
        (
            "/v3/bankid-no/sign",
            "/v3/bankid-no/sign",
            json!({ "text": "Jeg godtar" }),
        ),
        (
            "/v3/bankid-no/sign",
            "/v3/bankid-no/sign",
            json!({ "documents": [doc["id"]] }),
        ),
        (
            "/v3/bankid-no/backchannel/auth",
            "/v3/bankid-no/auth",
            json!({ "ssn": "20123931743" }),
        ),
        (
            "/v3/mitid/sign",
            "/v3/mitid/sign",
            json!({ "text": "Jeg accepterer" }),
        ),
        (
            "/v3/ftn/auth",
            "/v3/ftn/auth",
            json!({ "requestEmail": true, "requestPhone": true }),
        ),
        (
            "/v3/freja/sign",
            "/v3/freja/sign",
            json!({ "ssn": "131052-308T", "country": "FINLAND", "text": "Hyväksyn",
                    "orgNumber": "556016-0680", "requestAddress": true }),
        ),
        (
            "/v3/vipps/backchannel/auth",
            "/v3/vipps/auth",
            json!({ "phone": "+47 908 81 716", "requestSsn": true }),
        ),
    ];
    let mut done = vec![];
    for (start_path, collect_path, body) in &starts {
        let (status, s) = post(url, start_path, body.clone()).await;
        assert_eq!(status, 201, "{start_path}: {s}");
        done.push(collect_until_done(url, &format!("{collect_path}/{}", id(&s)), 3).await);
    }
    for d in &done {
        assert_eq!(d["status"], "COMPLETED", "{d}");
    }
    let [se, no_text, no_docs, no_bc, mitid, ftn, freja, vipps] = &done[..] else {
        unreachable!()
    };

    assert!(se["signedAt"].is_string() && se.get("authenticatedAt").is_none());
    assert!(
        se["companySignatoryText"]
            .as_str()
            .unwrap()
            .contains("5560000001")
    );
    // The address as one line, as the provider's clients decode it.
    assert_eq!(se["address"], "Storgatan 12, 114 51 Stockholm");
    assert_eq!(se["stepUp"], json!({ "mrtd": false, "face": false }));
    assert!(se.get("bankId").is_none());

    assert_eq!(
        no_text["signResult"]["hash"],
        sha256_hex("Jeg godtar".as_bytes())
    );
    assert!(
        no_text["signResult"]["endUser"].is_string()
            && no_text["signResult"]["merchant"].is_string()
    );
    assert_eq!(
        no_docs["signedDocuments"],
        json!([{ "id": doc["id"], "hash": doc["hash"] }])
    );
    assert_eq!(
        no_bc["ssn"], "20123931743",
        "completes with the number given"
    );
    // A valid number that is no test person completes as its own person:
    // born when the number says, never another person's name.
    assert_eq!(no_bc["birthDate"], "1939-12-20");
    assert_ne!(no_bc["name"], "Ingrid Haugen");
    assert!(no_bc["pid"].is_string());
    for d in [no_text, no_docs, no_bc, mitid, ftn, vipps] {
        assert!(d["bankId"].as_str().is_some_and(|b| !b.is_empty()), "{d}");
    }

    assert_eq!(
        mitid["signResult"]["checksum"],
        sha256_hex("Jeg accepterer".as_bytes())
    );
    assert_eq!(mitid["name"], "Mette Sørensen");
    assert_eq!(mitid["ssn"], "240991-1238");

    assert_eq!(ftn["bankName"], "Nordea");
    assert_eq!(ftn["ssn"], "230586-264K");
    assert!(ftn["email"].is_string() && ftn["phone"].is_string());

    assert_eq!(freja["country"], "FINLAND");
    assert_eq!(freja["ssn"], "131052-308T");
    assert!(
        freja["companySignatoryText"]
            .as_str()
            .unwrap()
            .contains("556016-0680")
    );
    assert!(freja["address"].is_string());

    assert_eq!(vipps["phone"], "+4790881716");
    assert_eq!(vipps["ssn"], "18039040049");

    for (d, parse) in done.iter().zip([
        |v: Value| serde_json::from_value::<types::BankIdSeSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::BankIdNoSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::BankIdNoSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::BankIdNoSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::MitIdSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::FtnSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::FrejaSession>(v).is_ok(),
        |v: Value| serde_json::from_value::<types::VippsSession>(v).is_ok(),
    ]) {
        assert!(parse(d.clone()), "{d}");
    }
}

#[tokio::test]
async fn verify_accepts_any_code_and_the_same_code_gives_the_same_person() {
    let sim = start().await;
    let url = sim.url();
    let (status, body) = post(
        url,
        "/v3/bankid-se/verify",
        json!({ "qrCode": identisure_simulator::VERIFY_QR_CODE }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["ssn"], "198704122384");
    assert_eq!(
        body["age"].as_u64(),
        Some(u64::from(test_persons()[0].age()))
    );
    assert_eq!(body["verifiedAt"].as_str().unwrap().len(), 10);
    // Any other non-empty code: a Swedish test person, the same every time.
    let (status, first) = post(url, "/v3/bankid-se/verify", json!({ "qrCode": "qrdata" })).await;
    assert_eq!(status, 200, "{first}");
    let (_, again) = post(url, "/v3/bankid-se/verify", json!({ "qrCode": "qrdata" })).await;
    assert_eq!(first, again);
    let swedish: Vec<&str> = test_persons()
        .iter()
        .filter(|p| p.country() == "SE")
        .map(|p| p.ssn())
        .collect();
    assert!(swedish.contains(&first["ssn"].as_str().unwrap()), "{first}");
    let (status, body) = post(url, "/v3/bankid-se/verify", json!({ "qrCode": "" })).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("qrCode: shorter than 1")
    );
}

#[tokio::test]
async fn numbers_with_wrong_check_digits_are_accepted_with_a_warning() {
    let sim = start().await;
    let url = sim.url();
    let cases = [
        (
            "/v3/bankid-se/auth",
            json!({ "ssn": "198704122385" }),
            "check digit mismatch",
        ),
        (
            "/v3/bankid-no/backchannel/auth",
            json!({ "ssn": "20123931744" }),
            "check digit mismatch",
        ),
        (
            "/v3/freja/auth",
            json!({ "ssn": "230586-264X", "country": "FINLAND" }),
            "check digit mismatch",
        ),
        (
            "/v3/mitid/backchannel/auth",
            json!({ "ssn": "3213911238", "bindingMessage": "x" }),
            "invalid date",
        ),
    ];
    for (i, (path, body, rule)) in cases.iter().enumerate() {
        let (status, answer) = post(url, path, body.clone()).await;
        assert_eq!(status, 201, "{path}: {answer}");
        let warnings = sim.simulator().warnings();
        assert_eq!(warnings.len(), i + 1, "{warnings:?}");
        let last = warnings.last().unwrap();
        assert!(
            last.starts_with(&format!("{path}: ssn: {rule}")) && last.contains("accepted"),
            "{last}"
        );
        let number = body["ssn"].as_str().unwrap();
        assert!(
            !last.contains(number),
            "no personal number in a warning: {last}"
        );
    }
    // The number is kept as it was sent, and the session completes.
    let (_, started) = post(url, "/v3/bankid-se/auth", json!({ "ssn": "199001011234" })).await;
    let done = collect_until_done(url, &format!("/v3/bankid-se/auth/{}", id(&started)), 3).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["ssn"], "199001011234");
}

#[test]
fn the_documented_table_matches_the_library_list() {
    let identities = identisure_simulator::test_identities();
    assert_eq!(
        identities.len(),
        SSN_TABLE.len() + 2,
        "the table plus slow and manual"
    );
    for t in &identities {
        match t.name() {
            "slow" | "manual" => assert_eq!(t.failure_code(), None),
            name => {
                let row = SSN_TABLE
                    .iter()
                    .find(|r| r.1 == name)
                    .unwrap_or_else(|| panic!("{name} not in the table"));
                assert_eq!(
                    (row.0, row.3, row.4),
                    (t.ssn(), t.failure_code(), t.hint_code()),
                    "{name}"
                );
            }
        }
        assert_eq!(t.ref_id(), format!("sim:{}", t.name()));
    }
}
