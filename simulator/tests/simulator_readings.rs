//! What the simulator accepts and answers in its default reading (the
//! recorded decisions: the provider's clients win where all of them agree
//! against the API document), in the document's strict reading and in the
//! clients' reading; and persons consistent with their numbers.

mod simulator_support;

use identisure_simulator::{Reading, Simulator, swedish_personal_number};
use serde_json::{Value, json};
use simulator_support::*;

async fn with_reading(reading: Reading) -> identisure_simulator::RunningSimulator {
    Simulator::builder()
        .account(ACCOUNT, SECRET)
        .timing(fast_timing())
        .reading(reading)
        .build()
        .spawn_local()
        .await
        .unwrap()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

#[tokio::test]
async fn what_all_the_clients_send_is_accepted_by_default() {
    let sim = start().await;
    let url = sim.url();
    // BankID NO sign with the four request fields the Python, TypeScript
    // and C# clients send (decision `bankid-no-sign-request-fields`).
    let four = json!({
        "text": "Jeg godtar", "requestSsn": true, "requestPhone": true,
        "requestEmail": true, "requestAddress": true,
    });
    let (status, answer) = post(url, "/v3/bankid-no/sign", four).await;
    assert_eq!(status, 201, "{answer}");
    let done = collect_until_done(url, &format!("/v3/bankid-no/sign/{}", id(&answer)), 5).await;
    assert!(
        done["phone"].is_string() && done["email"].is_string(),
        "{done}"
    );
    assert!(done["address"].is_string(), "{done}");

    // A field the document does not name: ignored with a warning, never refused.
    let (status, answer) = post(
        url,
        "/v3/bankid-se/auth",
        json!({ "refId": "r", "colour": "red" }),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let warnings = sim.simulator().warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("colour: not a field of this request")),
        "{warnings:?}"
    );

    // A Freja QR start without ssn and country, as all nine clients send it.
    let (status, answer) = post(url, "/v3/freja/auth", json!({})).await;
    assert_eq!(status, 201, "{answer}");
    assert!(answer["qrData"].is_string() && answer["autoStartToken"].is_string());
    let (status, answer) = post(url, "/v3/freja/sign", json!({ "text": "I agree" })).await;
    assert_eq!(status, 201, "{answer}");
    // Any country name the clients send, with a warning.
    let (status, answer) = post(
        url,
        "/v3/freja/backchannel/auth",
        json!({ "ssn": "190001011234", "country": "SE" }),
    )
    .await;
    assert_eq!(status, 201, "{answer}");

    // Age bounds are both optional and unrelated in the document.
    let (status, answer) = post(url, "/v3/ftn/age-verification", json!({})).await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test]
async fn a_freja_backchannel_pending_carries_the_app_tokens() {
    let sim = start().await;
    let url = sim.url();
    let (status, started) = post(
        url,
        "/v3/freja/backchannel/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN" }),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    assert!(started["autoStartToken"].is_string(), "{started}");
    assert!(started["qrData"].is_string(), "{started}");
    // Collected too, through the auth family.
    let (_, pending) = get(url, &format!("/v3/freja/auth/{}", id(&started))).await;
    assert!(pending["qrData"].is_string(), "{pending}");
}

#[tokio::test]
async fn the_documents_strict_reading_and_the_clients_reading() {
    let strict = with_reading(Reading::Document).await;
    let (status, answer) = post(strict.url(), "/v3/freja/auth", json!({})).await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("ssn: is required")
    );
    let (status, _) = post(
        strict.url(),
        "/v3/freja/auth",
        json!({ "ssn": "198704122384", "country": "SPAIN" }),
    )
    .await;
    assert_eq!(status, 400);

    // The clients disagree about `callInitiator: user`: the document decides
    // by default; the clients' reading accepts it.
    let user = json!({ "ssn": "198704122384", "callInitiator": "user" });
    let default = start().await;
    let (status, answer) = post(default.url(), "/v3/bankid-se/phone/auth", user.clone()).await;
    assert_eq!(status, 400, "{answer}");
    let lenient = with_reading(Reading::Clients).await;
    let (status, answer) = post(lenient.url(), "/v3/bankid-se/phone/auth", user).await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test]
async fn a_number_without_the_shape_of_one_is_refused_naming_ssn() {
    let sim = start().await;
    let url = sim.url();
    let cases = [
        ("/v3/bankid-se/auth", json!({ "ssn": "abc" })),
        (
            "/v3/bankid-se/sign",
            json!({ "ssn": "19870412", "text": "t" }),
        ),
        (
            "/v3/bankid-no/backchannel/auth",
            json!({ "ssn": "1803904004" }),
        ),
        (
            "/v3/mitid/backchannel/auth",
            json!({ "ssn": "24-09-91-1238", "bindingMessage": "x" }),
        ),
        (
            "/v3/freja/backchannel/auth",
            json!({ "ssn": "230586264K", "country": "FINLAND" }),
        ),
    ];
    for (path, body) in cases {
        let (status, answer) = post(url, path, body.clone()).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.starts_with("ssn: must be a "), "{message}");
        assert!(
            !message.contains(body["ssn"].as_str().unwrap()),
            "{message}"
        );
    }
    assert_eq!(sim.simulator().session_count(), 0, "nothing started");
    // The provider's own test suites send numbers of the right shape that
    // are no valid numbers: accepted, with a warning.
    for (path, body) in [
        (
            "/v3/bankid-no/backchannel/auth",
            json!({ "ssn": "12345678901" }),
        ),
        (
            "/v3/mitid/backchannel/auth",
            json!({ "ssn": "1234567890", "bindingMessage": "x" }),
        ),
    ] {
        let (status, answer) = post(url, path, body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
}

#[tokio::test]
async fn a_valid_number_that_is_no_test_person_completes_as_its_own_person() {
    let sim = start().await;
    let url = sim.url();
    let number = "199001010017";
    let mut names = Vec::new();
    for _ in 0..2 {
        let (status, started) = post(url, "/v3/bankid-se/auth", json!({ "ssn": number })).await;
        assert_eq!(status, 201, "{started}");
        let done =
            collect_until_done(url, &format!("/v3/bankid-se/auth/{}", id(&started)), 5).await;
        assert_eq!(done["status"], "COMPLETED");
        assert_eq!(done["ssn"], number);
        names.push(done["name"].as_str().unwrap().to_string());
    }
    assert_eq!(names[0], names[1], "the same number, the same person");
    let built_in: Vec<String> = identisure_simulator::test_persons()
        .iter()
        .map(|p| p.name())
        .collect();
    assert!(!built_in.contains(&names[0]), "{names:?}");
}

#[tokio::test]
async fn every_age_bound_has_a_person() {
    let sim = start().await;
    let url = sim.url();
    // `sim:aged-<years>`: a person exactly that old today, in any flow.
    let cases = [
        ("sim:aged-17", json!({ "minAge": 18 }), false),
        ("sim:aged-18", json!({ "minAge": 18 }), true),
        ("sim:aged-17", json!({ "maxAge": 17 }), true),
        ("sim:aged-18", json!({ "maxAge": 17 }), false),
        ("sim:aged-12", json!({ "minAge": 13, "maxAge": 19 }), false),
        ("sim:aged-70", json!({ "minAge": 65 }), true),
        ("sim:aged-0", json!({ "maxAge": 1 }), true),
    ];
    let mut started = Vec::new();
    for (ref_id, mut bounds, verified) in cases {
        bounds["refId"] = json!(ref_id);
        let (status, answer) = post(url, "/v3/freja/age-verification", bounds.clone()).await;
        assert_eq!(status, 201, "{answer}");
        started.push((id(&answer).to_string(), bounds, verified));
    }
    for (id, bounds, verified) in started {
        let done = collect_until_done(url, &format!("/v3/freja/age-verification/{id}"), 5).await;
        assert_eq!(done["ageVerified"], verified, "{bounds}: {done}");
    }
    // The built-in persons for age checks by number, in an auth flow.
    let child = identisure_simulator::test_persons()
        .iter()
        .find(|p| p.name() == "Alva Nord")
        .expect("a child among the test persons");
    assert!(child.age() < 18);
    let (status, answer) = post(
        url,
        "/v3/bankid-se/age-verification",
        json!({ "refId": "sim:aged-x" }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(swedish_personal_number((2012, 3, 14)), child.ssn());
}
