//! A seeded simulator repeats every id and token; different seeds differ.

mod simulator_support;

use identisure_simulator::RateLimit;
use serde_json::{Value, json};
use simulator_support::*;

/// The same requests against a simulator seeded with `seed`; the answers
/// without the parts that name the server's port.
async fn run(seed: u64) -> Vec<Value> {
    let sim = start_with(RateLimit::PerSession, fast_timing(), seed).await;
    let url = sim.url();
    let mut answers = vec![];
    for (path, body) in [
        ("/v3/bankid-se/auth", json!({})),
        (
            "/v3/freja/sign",
            json!({ "ssn": "198704122384", "country": "SWEDEN", "text": "t" }),
        ),
        ("/v3/bankid-no/auth", json!({})),
        (
            "/v3/bankid-se/sign",
            json!({ "text": "t", "refId": "sim:complete" }),
        ),
    ] {
        let (status, mut answer) = post(url, path, body).await;
        assert_eq!(status, 201);
        if let Some(page) = answer.get_mut("url") {
            *page = json!(page.as_str().unwrap().replace(url, ""));
        }
        answers.push(answer);
    }
    let done = collect_until_done(
        url,
        &format!("/v3/bankid-se/sign/{}", answers[3]["id"].as_str().unwrap()),
        3,
    )
    .await;
    let mut done = done;
    done.as_object_mut().unwrap().remove("signedAt");
    answers.push(done);
    answers
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_tokens() {
    let (a, b, c) = tokio::join!(run(42), run(42), run(43));
    assert_eq!(a, b);
    assert_eq!(a[0]["id"], b[0]["id"]);
    assert_ne!(a[0]["id"], c[0]["id"]);
    assert_ne!(a[0]["qrStartSecret"], c[0]["qrStartSecret"]);
    assert_ne!(a[4]["ocspResponse"], c[4]["ocspResponse"]);
    // Within one run, every token is fresh.
    let tokens: std::collections::BTreeSet<&str> = a
        .iter()
        .flat_map(|v| {
            ["id", "qrStartToken", "qrStartSecret", "autoStartToken"].map(|k| v[k].as_str())
        })
        .flatten()
        .collect();
    assert_eq!(
        tokens.len(),
        4 + 4 + 2 + 1,
        "BankID SE: id + 3 tokens, twice; Freja: id + autoStartToken; BankID NO: id"
    );
}

#[tokio::test]
async fn without_a_seed_ids_differ_between_simulators() {
    let a = identisure_simulator::Simulator::new()
        .spawn_local()
        .await
        .unwrap();
    let b = identisure_simulator::Simulator::new()
        .spawn_local()
        .await
        .unwrap();
    let mut ids = vec![];
    for sim in [&a, &b] {
        let answer: Value = http()
            .post(format!("{}/v3/vipps/auth", sim.url()))
            .header(
                "authorization",
                basic(
                    identisure_simulator::DEMO_ACCOUNT_ID,
                    identisure_simulator::DEMO_SECRET_KEY,
                ),
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(answer["id"].as_str().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1]);
}
