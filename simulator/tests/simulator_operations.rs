//! Every one of the 56 operations of openapi.yaml, hit through the generated
//! raw client (the document upload, which progenitor cannot generate, through
//! reqwest multipart), and every answer parsed by the generated types.

mod simulator_support;

use std::collections::BTreeSet;

use identisure::raw::types;
use serde_json::json;
use simulator_support::*;

macro_rules! start {
    ($raw:expr, $hit:expr, $op:ident, $ty:ident, $body:expr) => {{
        let body: types::$ty = serde_json::from_value($body).expect(stringify!($ty));
        let response = $raw.$op(&body).await.expect(stringify!($op));
        assert_eq!(response.status().as_u16(), 201, stringify!($op));
        $hit.insert(stringify!($op).to_string());
        let pending = response.into_inner();
        assert!(matches!(pending.status, types::PendingStatus::Pending));
        serde_json::to_value(&pending).unwrap()
    }};
}

/// Collects through the family's typed method; (status, failure code).
macro_rules! collect {
    ($raw:expr, $hit:expr, $op:ident, $session:ident, $id:expr) => {{
        let id: types::SessionId = $id.parse().expect("an id");
        let response = $raw.$op(&id).await.expect(stringify!($op));
        assert_eq!(response.status().as_u16(), 200);
        $hit.insert(stringify!($op).to_string());
        match response.into_inner() {
            types::$session::Pending(_) => ("PENDING".to_string(), None),
            types::$session::Completed(_) => ("COMPLETED".to_string(), None),
            types::$session::Failed(f) => ("FAILED".to_string(), Some(f.error)),
        }
    }};
}

macro_rules! cancel {
    ($raw:expr, $hit:expr, $op:ident, $id:expr) => {{
        let id: types::SessionId = $id.parse().expect("an id");
        let response = $raw.$op(&id).await.expect(stringify!($op));
        assert_eq!(response.status().as_u16(), 204, stringify!($op));
        $hit.insert(stringify!($op).to_string());
    }};
}

/// Dispatches collect/cancel of a family by name (provider_family).
async fn collect_family(
    raw: &identisure::raw::Client,
    hit: &mut BTreeSet<String>,
    family: &str,
    id: &str,
) -> (String, Option<String>) {
    match family {
        "bankid_se_auth" => collect!(raw, hit, bankid_se_auth_collect, BankIdSeSession, id),
        "bankid_se_sign" => collect!(raw, hit, bankid_se_sign_collect, BankIdSeSession, id),
        "bankid_se_age" => collect!(
            raw,
            hit,
            bankid_se_age_verification_collect,
            AgeVerificationSession,
            id
        ),
        "bankid_no_auth" => collect!(raw, hit, bankid_no_auth_collect, BankIdNoSession, id),
        "bankid_no_sign" => collect!(raw, hit, bankid_no_sign_collect, BankIdNoSession, id),
        "bankid_no_age" => collect!(
            raw,
            hit,
            bankid_no_age_verification_collect,
            AgeVerificationSession,
            id
        ),
        "freja_auth" => collect!(raw, hit, freja_auth_collect, FrejaSession, id),
        "freja_sign" => collect!(raw, hit, freja_sign_collect, FrejaSession, id),
        "freja_age" => collect!(
            raw,
            hit,
            freja_age_verification_collect,
            AgeVerificationSession,
            id
        ),
        "mitid_auth" => collect!(raw, hit, mitid_auth_collect, MitIdSession, id),
        "mitid_sign" => collect!(raw, hit, mitid_sign_collect, MitIdSession, id),
        "mitid_age" => collect!(
            raw,
            hit,
            mitid_age_verification_collect,
            AgeVerificationSession,
            id
        ),
        "ftn_auth" => collect!(raw, hit, ftn_auth_collect, FtnSession, id),
        "ftn_age" => collect!(
            raw,
            hit,
            ftn_age_verification_collect,
            AgeVerificationSession,
            id
        ),
        "vipps_auth" => collect!(raw, hit, vipps_auth_collect, VippsSession, id),
        other => panic!("unknown family {other}"),
    }
}

async fn cancel_family(
    raw: &identisure::raw::Client,
    hit: &mut BTreeSet<String>,
    family: &str,
    id: &str,
) {
    match family {
        "bankid_se_auth" => cancel!(raw, hit, bankid_se_auth_cancel, id),
        "bankid_se_sign" => cancel!(raw, hit, bankid_se_sign_cancel, id),
        "bankid_se_age" => cancel!(raw, hit, bankid_se_age_verification_cancel, id),
        "bankid_no_auth" => cancel!(raw, hit, bankid_no_auth_cancel, id),
        "bankid_no_sign" => cancel!(raw, hit, bankid_no_sign_cancel, id),
        "bankid_no_age" => cancel!(raw, hit, bankid_no_age_verification_cancel, id),
        "freja_auth" => cancel!(raw, hit, freja_auth_cancel, id),
        "freja_sign" => cancel!(raw, hit, freja_sign_cancel, id),
        "freja_age" => cancel!(raw, hit, freja_age_verification_cancel, id),
        "mitid_auth" => cancel!(raw, hit, mitid_auth_cancel, id),
        "mitid_sign" => cancel!(raw, hit, mitid_sign_cancel, id),
        "mitid_age" => cancel!(raw, hit, mitid_age_verification_cancel, id),
        "ftn_auth" => cancel!(raw, hit, ftn_auth_cancel, id),
        "ftn_age" => cancel!(raw, hit, ftn_age_verification_cancel, id),
        "vipps_auth" => cancel!(raw, hit, vipps_auth_cancel, id),
        other => panic!("unknown family {other}"),
    }
}

fn spec_operation_ids() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&text).unwrap();
    let mut ids = BTreeSet::new();
    for (_path, item) in spec["paths"].as_object().unwrap() {
        for (_method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

#[tokio::test]
async fn all_56_operations_answer_and_parse_with_the_generated_types() {
    let sim = start().await;
    let url = sim.url();
    let raw = raw(url);
    let mut hit = BTreeSet::new();

    // Documents first: the BankID NO document signature needs one.
    let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf.clone())
            .file_name("contract.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let upload = http()
        .post(format!("{url}/document"))
        .header("authorization", basic(ACCOUNT, SECRET))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status().as_u16(), 201);
    let document: types::Document = upload.json().await.unwrap();
    hit.insert("document_upload".to_string());
    let fetched = raw
        .document_get(&document.id.as_str().parse().unwrap())
        .await
        .unwrap()
        .into_inner()
        .into_inner();
    hit.insert("document_get".to_string());
    let fetched: Vec<u8> =
        futures_util::TryStreamExt::try_concat(futures_util::TryStreamExt::map_ok(fetched, |b| {
            b.to_vec()
        }))
        .await
        .unwrap();
    assert_eq!(fetched, pdf, "the PDF bytes come back");
    let deleted = raw
        .document_delete(&document.id.as_str().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    hit.insert("document_delete".to_string());
    let gone = raw
        .document_get(&document.id.as_str().parse().unwrap())
        .await;
    assert!(
        matches!(gone, Err(identisure::raw::Error::ErrorResponse(ref e)) if e.status().as_u16() == 404)
    );
    // Upload it again for the BankID NO document signature below.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf.clone()).file_name("contract.pdf"),
    );
    let document: types::Document = http()
        .post(format!("{url}/document"))
        .header("authorization", basic(ACCOUNT, SECRET))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let verified = raw
        .bankid_se_verify(&types::BankIdSeVerifyRequest {
            qr_code: identisure_simulator::VERIFY_QR_CODE.parse().unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(verified.status().as_u16(), 200);
    hit.insert("bankid_se_verify".to_string());
    assert_eq!(
        verified.into_inner().name.as_deref(),
        Some("Astrid Lindqvist")
    );

    let age = || json!({ "minAge": 18, "maxAge": 120 });
    let mut sessions: Vec<(&str, serde_json::Value)> = vec![
        (
            "bankid_se_auth",
            start!(
                raw,
                hit,
                bankid_se_auth_start,
                BankIdSeAuthRequest,
                json!({ "refId": "op-1", "ipAddress": "192.0.2.1" })
            ),
        ),
        (
            "bankid_se_sign",
            start!(
                raw,
                hit,
                bankid_se_sign_start,
                BankIdSeSignRequest,
                json!({ "text": "I agree" })
            ),
        ),
        (
            "bankid_se_age",
            start!(
                raw,
                hit,
                bankid_se_age_verification_start,
                AgeVerificationRequest,
                age()
            ),
        ),
        (
            "bankid_se_auth",
            start!(
                raw,
                hit,
                bankid_se_phone_auth_start,
                BankIdSePhoneAuthRequest,
                json!({ "ssn": "198704122384", "callInitiator": "RP" })
            ),
        ),
        (
            "bankid_se_sign",
            start!(
                raw,
                hit,
                bankid_se_phone_sign_start,
                BankIdSePhoneSignRequest,
                json!({ "ssn": "198808087020", "text": "I agree", "callInitiator": "USER" })
            ),
        ),
        (
            "bankid_no_auth",
            start!(
                raw,
                hit,
                bankid_no_auth_start,
                BankIdNoAuthRequest,
                json!({ "redirectUrl": "https://example.com/done", "requestSsn": true })
            ),
        ),
        (
            "bankid_no_sign",
            start!(
                raw,
                hit,
                bankid_no_sign_start,
                BankIdNoSignRequest,
                json!({ "documents": [document.id] })
            ),
        ),
        (
            "bankid_no_age",
            start!(
                raw,
                hit,
                bankid_no_age_verification_start,
                AgeVerificationRequest,
                age()
            ),
        ),
        (
            "bankid_no_auth",
            start!(
                raw,
                hit,
                bankid_no_backchannel_auth_start,
                BankIdNoBackchannelAuthRequest,
                json!({ "ssn": "18039040049" })
            ),
        ),
        (
            "freja_auth",
            start!(
                raw,
                hit,
                freja_auth_start,
                FrejaAuthRequest,
                json!({ "ssn": "198704122384", "country": "SWEDEN" })
            ),
        ),
        (
            "freja_sign",
            start!(
                raw,
                hit,
                freja_sign_start,
                FrejaSignRequest,
                json!({ "ssn": "230586-264K", "country": "FINLAND", "text": "Hyväksyn" })
            ),
        ),
        (
            "freja_age",
            start!(
                raw,
                hit,
                freja_age_verification_start,
                AgeVerificationRequest,
                age()
            ),
        ),
        (
            "freja_auth",
            start!(
                raw,
                hit,
                freja_backchannel_auth_start,
                FrejaBackchannelAuthRequest,
                json!({ "ssn": "18039040049", "country": "NORWAY" })
            ),
        ),
        (
            "freja_sign",
            start!(
                raw,
                hit,
                freja_backchannel_sign_start,
                FrejaBackchannelSignRequest,
                json!({ "ssn": "240991-1238", "country": "DENMARK", "text": "Jeg accepterer" })
            ),
        ),
        (
            "mitid_auth",
            start!(
                raw,
                hit,
                mitid_auth_start,
                MitIdAuthRequest,
                json!({ "referenceText": "Log in to Example" })
            ),
        ),
        (
            "mitid_sign",
            start!(
                raw,
                hit,
                mitid_sign_start,
                MitIdSignRequest,
                json!({ "text": "Jeg accepterer" })
            ),
        ),
        (
            "mitid_age",
            start!(
                raw,
                hit,
                mitid_age_verification_start,
                AgeVerificationRequest,
                age()
            ),
        ),
        (
            "mitid_auth",
            start!(
                raw,
                hit,
                mitid_backchannel_auth_start,
                MitIdBackchannelAuthRequest,
                json!({ "ssn": "2409911238", "bindingMessage": "ABC-123" })
            ),
        ),
        (
            "ftn_auth",
            start!(
                raw,
                hit,
                ftn_auth_start,
                FtnAuthRequest,
                json!({ "requestEmail": true })
            ),
        ),
        (
            "ftn_age",
            start!(
                raw,
                hit,
                ftn_age_verification_start,
                AgeVerificationRequest,
                age()
            ),
        ),
        (
            "vipps_auth",
            start!(raw, hit, vipps_auth_start, VippsAuthRequest, json!({})),
        ),
        (
            "vipps_auth",
            start!(
                raw,
                hit,
                vipps_backchannel_auth_start,
                VippsBackchannelAuthRequest,
                json!({ "phone": "+4790881716" })
            ),
        ),
    ];
    assert_eq!(sessions.len(), 22);

    // First collect right after the start: still pending; then cancel.
    for (family, pending) in &sessions {
        let id = pending["id"].as_str().unwrap();
        let (status, _) = collect_family(&raw, &mut hit, family, id).await;
        assert_eq!(status, "PENDING", "{family}");
        cancel_family(&raw, &mut hit, family, id).await;
    }
    // A second collect, a second later: FAILED with CANCELLED.
    tokio::time::sleep(COLLECT_GAP).await;
    for (family, pending) in sessions.drain(..) {
        let id = pending["id"].as_str().unwrap();
        let (status, error) = collect_family(&raw, &mut hit, family, id).await;
        assert_eq!(
            (status.as_str(), error.as_deref()),
            ("FAILED", Some("CANCELLED")),
            "{family}"
        );
    }

    assert_eq!(hit.len(), 56, "operations hit: {hit:?}");
    assert_eq!(
        hit,
        spec_operation_ids(),
        "every operationId of openapi.yaml, no other"
    );
    assert_eq!(sim.rate_limit_violations(), 0);
}

#[tokio::test]
async fn start_answers_carry_the_realistic_pending_fields() {
    let sim = start().await;
    let url = sim.url();
    let is_uuid = |v: &serde_json::Value| {
        let s = v.as_str().unwrap_or_default();
        s.len() == 36 && s.chars().filter(|&c| c == '-').count() == 4 && s.as_bytes()[14] == b'4'
    };

    let (status, se) = post(url, "/v3/bankid-se/auth", json!({ "refId": "order-17" })).await;
    assert_eq!(status, 201);
    assert_eq!(se["refId"], "order-17");
    assert_eq!(se["hintCode"], "outstandingTransaction");
    for field in ["id", "qrStartToken", "qrStartSecret", "autoStartToken"] {
        assert!(is_uuid(&se[field]), "{field}: {}", se[field]);
    }
    assert_ne!(se["qrStartToken"], se["qrStartSecret"]);

    let (_, freja) = post(
        url,
        "/v3/freja/auth",
        json!({ "ssn": "198704122384", "country": "SWEDEN" }),
    )
    .await;
    assert!(is_uuid(&freja["autoStartToken"]));
    assert!(
        freja["qrData"]
            .as_str()
            .unwrap()
            .contains(freja["autoStartToken"].as_str().unwrap())
    );

    let (_, no) = post(url, "/v3/bankid-no/auth", json!({})).await;
    let page = no["url"].as_str().unwrap();
    assert_eq!(
        page,
        format!("{url}/sim/approve/{}", no["id"].as_str().unwrap())
    );
    assert!(!no["bindingMessage"].as_str().unwrap().is_empty());

    let (_, mitid) = post(
        url,
        "/v3/mitid/backchannel/auth",
        json!({ "ssn": "2409911238", "bindingMessage": "XK-42" }),
    )
    .await;
    assert_eq!(mitid["bindingMessage"], "XK-42");
    assert!(
        mitid.get("url").is_none(),
        "backchannel sessions have no url"
    );

    let (_, age) = post(
        url,
        "/v3/ftn/age-verification",
        json!({ "minAge": 20, "maxAge": 30 }),
    )
    .await;
    assert_eq!(
        (age["minAge"].as_u64(), age["maxAge"].as_u64()),
        (Some(20), Some(30))
    );
    assert!(age["url"].as_str().unwrap().starts_with(url));

    for path in ["/v3/vipps/auth", "/v3/ftn/auth", "/v3/mitid/auth"] {
        let (status, body) = post(url, path, json!({})).await;
        assert_eq!(status, 201);
        assert!(
            body["url"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{url}/sim/approve/")),
            "{path}"
        );
    }
}
