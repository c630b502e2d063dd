//! `identisure::flow`: every flow of the spec started by name with a JSON
//! body against the simulator, followed to its end, and found again by id.

use identisure::flow::Status;
use identisure::{Error, WaitOptions};
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator, Timing};
use serde_json::json;

/// A body each flow accepts (the simulator's default person completes).
fn body_for(name: &str) -> serde_json::Value {
    match name {
        n if n.ends_with("age-verification") => json!({ "minAge": 18 }),
        "bankid-se/sign" | "freja/sign" | "mitid/sign" | "bankid-no/sign" => {
            json!({ "text": "I agree" })
        }
        "bankid-se/phone/auth" => json!({ "ssn": "198704122384", "callInitiator": "RP" }),
        "bankid-se/phone/sign" => {
            json!({ "ssn": "198808087020", "text": "I agree", "callInitiator": "USER" })
        }
        "freja/backchannel/auth" => json!({ "ssn": "199003154730", "country": "SWEDEN" }),
        "freja/backchannel/sign" => {
            json!({ "ssn": "198808087020", "country": "SWEDEN", "text": "I agree" })
        }
        "bankid-no/backchannel/auth" => json!({ "ssn": "18039040049" }),
        "mitid/backchannel/auth" => json!({ "ssn": "2409911238", "bindingMessage": "ABC" }),
        "vipps/backchannel/auth" => json!({ "phone": "+4790881716" }),
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_flow_starts_from_json_and_completes() {
    let sim = Simulator::builder()
        .timing(Timing {
            step: std::time::Duration::from_millis(100),
            ..Timing::default()
        })
        .build()
        .spawn_local()
        .await
        .unwrap();
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    let mut started = Vec::new();
    for flow in identisure::operations::flows() {
        let name = identisure::flow::name(flow);
        let api = client.flow(name).unwrap();
        let s = api
            .start_json(body_for(name))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.pending().status(), Status::Pending, "{name}");
        assert!(s.pending().json()["id"].is_string(), "{name}");
        started.push((name, s));
    }
    assert_eq!(started.len(), 22);
    for (name, s) in &started {
        let state = s.session().wait(WaitOptions::default()).await.unwrap();
        assert_eq!(
            state.status(),
            Status::Completed,
            "{name}: {}",
            state.json()
        );
    }
    // The same sessions again, by their flow and id (a new handle: a second
    // past the last collect, the API's limit).
    tokio::time::sleep(identisure::MIN_COLLECT_INTERVAL).await;
    for (name, s) in &started {
        let again = client
            .flow(name)
            .unwrap()
            .session(s.session().id())
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(again.status(), Status::Completed, "{name}");
    }
}

#[tokio::test]
async fn a_body_is_checked_as_the_typed_request_before_anything_is_sent() {
    let client = identisure::Client::builder()
        .credentials("a", "s")
        // Nothing listens here: a request that were sent would fail to connect.
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let refused = |body: serde_json::Value, flow: &'static str| {
        let client = client.clone();
        async move {
            match client.flow(flow).unwrap().start_json(body).await {
                Err(Error::InvalidRequest { field, rule }) => (field, rule),
                other => panic!("{flow}: {other:?}"),
            }
        }
    };
    assert_eq!(
        refused(json!({ "intent": "" }), "bankid-se/auth").await,
        ("intent".into(), "must not be empty".into())
    );
    assert_eq!(
        refused(json!({ "intnet": "typo" }), "bankid-se/auth").await,
        ("intnet".into(), "is not a field of this request".into())
    );
    assert_eq!(
        refused(json!({ "text": "a", "documents": ["d"] }), "bankid-no/sign").await,
        (
            "text, documents".into(),
            "exactly one of them is required".into()
        )
    );
    assert_eq!(
        refused(json!({ "callbackUrl": "/relative" }), "ftn/auth")
            .await
            .0,
        "callbackUrl"
    );
    assert!(client.flow("nowhere/auth").is_err());
}
