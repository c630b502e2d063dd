//! Every provider family's session state parses into the right variant and
//! nothing else; unknown statuses and malformed bodies are errors.

use identisure::raw::types::*;
use serde_json::{Value, json};

fn failed(extra: Value) -> Value {
    let mut v = json!({"id": "s-1", "refId": "r-1", "status": "FAILED", "error": "CANCELLED"});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

/// Parses `body` into the union and checks it picked `want`; also checks the
/// body is refused by the other two variant structs ("nothing else").
macro_rules! family {
    ($union:ident, $pending:ty, $completed:ty, $failed:ty, pending = $p:expr, completed = $c:expr, failed = $f:expr) => {{
        let p: $union = serde_json::from_value($p.clone()).expect("pending parses");
        assert!(matches!(p, $union::Pending(_)), "{p:?}");
        assert!(serde_json::from_value::<$completed>($p.clone()).is_err());
        assert!(serde_json::from_value::<$failed>($p.clone()).is_err());

        let c: $union = serde_json::from_value($c.clone()).expect("completed parses");
        assert!(matches!(c, $union::Completed(_)), "{c:?}");
        assert!(serde_json::from_value::<$pending>($c.clone()).is_err());
        assert!(serde_json::from_value::<$failed>($c.clone()).is_err());

        let f: $union = serde_json::from_value($f.clone()).expect("failed parses");
        assert!(matches!(f, $union::Failed(_)), "{f:?}");
        assert!(serde_json::from_value::<$pending>($f.clone()).is_err());
        assert!(serde_json::from_value::<$completed>($f.clone()).is_err());

        for status in ["EXPIRED", "pending", "", "COMPLETE"] {
            let mut odd = $p.clone();
            odd["status"] = json!(status);
            assert!(
                serde_json::from_value::<$union>(odd).is_err(),
                "status {status:?} must not parse as any variant"
            );
        }
        let mut no_status = $c.clone();
        no_status.as_object_mut().unwrap().remove("status");
        assert!(serde_json::from_value::<$union>(no_status).is_err());
        let mut wrong_type = $c.clone();
        wrong_type["id"] = json!(42);
        assert!(serde_json::from_value::<$union>(wrong_type).is_err());
        assert!(serde_json::from_str::<$union>("<html>502 Bad Gateway</html>").is_err());
        assert!(serde_json::from_str::<$union>("").is_err());
        (p, c, f)
    }};
}

#[test]
fn bankid_se() {
    let (p, c, f) = family!(
        BankIdSeSession,
        BankIdSePending,
        BankIdSeCompleted,
        BankIdSeFailed,
        pending = json!({"id": "s-1", "refId": "r-1", "status": "PENDING",
            "autoStartToken": "a1", "qrStartToken": "67df3917-fa0d-44e5-b327-edcc928297f8",
            "qrStartSecret": "d28db9a7-4cde-429e-a983-359be676944c", "hintCode": "outstandingTransaction",
            "somethingNew": {"servers": "may add fields"}}),
        completed = json!({"id": "s-1", "refId": "r-1", "status": "COMPLETED",
            "ssn": "199001011239", "name": "Anna Andersson", "givenName": "Anna", "surname": "Andersson",
            "certStartDate": "2024-01-01", "ocspResponse": "MIIH…", "risk": "low",
            "device": {"ipAddress": "192.0.2.1", "uhi": "OZvYM9VvyiAmG7NA5jU5zqGcVpLTd7Y8MOHn3c"},
            "stepUp": {"mrtd": true}, "address": {"street": "Storgatan 1", "city": "Stockholm"},
            "authenticatedAt": "2026-11-27T10:00:00Z"}),
        failed = failed(json!({"hintCode": "userCancel"}))
    );
    let BankIdSeSession::Pending(p) = p else {
        unreachable!()
    };
    assert_eq!(
        p.qr_start_secret.unwrap().expose(),
        "d28db9a7-4cde-429e-a983-359be676944c"
    );
    let BankIdSeSession::Completed(c) = c else {
        unreachable!()
    };
    assert_eq!(c.ssn.as_ref().unwrap().expose(), "199001011239");
    assert_eq!(
        c.device.unwrap().uhi.as_deref(),
        Some("OZvYM9VvyiAmG7NA5jU5zqGcVpLTd7Y8MOHn3c")
    );
    let BankIdSeSession::Failed(f) = f else {
        unreachable!()
    };
    assert_eq!(
        identisure::FailureCode::parse(&f.error),
        identisure::FailureCode::Cancelled
    );
    assert_eq!(f.hint_code.as_deref(), Some("userCancel"));
}

#[test]
fn freja() {
    family!(
        FrejaSession,
        FrejaPending,
        FrejaCompleted,
        FrejaFailed,
        pending = json!({"id": "f-1", "refId": "r", "status": "PENDING", "autoStartToken": "a", "qrData": "frejaeid://bindUserToTransaction?transactionReference=abc"}),
        completed = json!({"id": "f-1", "refId": "r", "status": "COMPLETED", "ssn": "199001011239",
            "name": "Anna Andersson", "givenName": "Anna", "surname": "Andersson", "country": "SWEDEN",
            "authenticatedAt": "2026-11-27T10:00:00Z"}),
        failed = failed(json!({"error": "SESSION_TIMEOUT"}))
    );
}

#[test]
fn bankid_no() {
    let (_, c, _) = family!(
        BankIdNoSession,
        BankIdNoPending,
        BankIdNoCompleted,
        BankIdNoFailed,
        pending = json!({"id": "n-1", "refId": "r", "status": "PENDING", "url": "https://example.test/login", "bindingMessage": "Brave Fox"}),
        completed = json!({"id": "n-1", "refId": "r", "status": "COMPLETED", "ssn": "20123931743",
            "name": "Ola Nordmann", "givenName": "Ola", "surname": "Nordmann", "birthDate": "1939-12-20",
            "signedAt": "2026-11-27T10:00:00Z",
            "signResult": {"endUser": "MIAG…", "merchant": "MIAG…", "hash": "abc"},
            "signedDocuments": [{"id": "d-1", "hash": "9f86d081"}]}),
        failed = failed(json!({"error": "AUTH_FAILED"}))
    );
    let BankIdNoSession::Completed(c) = c else {
        unreachable!()
    };
    assert_eq!(c.signed_documents.len(), 1);
    assert_eq!(c.sign_result.unwrap().hash.as_deref(), Some("abc"));
}

#[test]
fn vipps() {
    family!(
        VippsSession,
        VippsPending,
        VippsCompleted,
        VippsFailed,
        pending = json!({"id": "v-1", "refId": "r", "status": "PENDING", "url": "https://example.test/vipps"}),
        completed = json!({"id": "v-1", "refId": "r", "status": "COMPLETED", "ssn": "55074308332",
            "name": "Kari Nordmann", "givenName": "Kari", "surname": "Nordmann", "phone": "+4790881716",
            "email": "kari@example.test", "birthDate": "1943-07-15"}),
        failed = failed(json!({"error": "UNSUPPORTED_CLIENT"}))
    );
}

#[test]
fn mitid() {
    let (_, c, _) = family!(
        MitIdSession,
        MitIdPending,
        MitIdCompleted,
        MitIdFailed,
        pending = json!({"id": "m-1", "refId": "r", "status": "PENDING", "url": "https://example.test/mitid", "bindingMessage": "Blue Moon"}),
        completed = json!({"id": "m-1", "refId": "r", "status": "COMPLETED", "ssn": "0101901234",
            "name": "Mette Jensen", "givenName": "Mette", "surname": "Jensen", "birthDate": "1990-01-01",
            "signedAt": "2026-11-27T10:00:00Z", "signResult": {"checksum": "c0ffee"}}),
        failed = failed(json!({"error": "INVALID_ID"}))
    );
    let MitIdSession::Completed(c) = c else {
        unreachable!()
    };
    assert_eq!(c.sign_result.unwrap().checksum.as_deref(), Some("c0ffee"));
}

#[test]
fn ftn() {
    let (_, c, _) = family!(
        FtnSession,
        FtnPending,
        FtnCompleted,
        FtnFailed,
        pending = json!({"id": "t-1", "refId": "r", "status": "PENDING", "url": "https://example.test/ftn"}),
        completed = json!({"id": "t-1", "refId": "r", "status": "COMPLETED", "ssn": "131052-308T",
            "name": "Matti Meikäläinen", "givenName": "Matti", "surname": "Meikäläinen",
            "birthDate": "1952-10-13", "bankName": "Nordea"}),
        failed = failed(json!({"error": "INTERNAL_ERROR"}))
    );
    let FtnSession::Completed(c) = c else {
        unreachable!()
    };
    assert_eq!(c.bank_name.as_deref(), Some("Nordea"));
}

#[test]
fn age_verification() {
    let (_, c, _) = family!(
        AgeVerificationSession,
        AgeVerificationPending,
        AgeVerificationCompleted,
        AgeVerificationFailed,
        pending = json!({"id": "a-1", "status": "PENDING", "minAge": 18, "maxAge": 120, "url": "https://example.test/age"}),
        completed = json!({"id": "a-1", "status": "COMPLETED", "ageVerified": true}),
        failed = json!({"id": "a-1", "status": "FAILED", "error": "CANCELLED"})
    );
    let AgeVerificationSession::Completed(c) = c else {
        unreachable!()
    };
    assert_eq!(c.age_verified, Some(true));
}

#[test]
fn unknown_failure_codes_are_kept_not_rejected() {
    let f: BankIdSeSession =
        serde_json::from_value(failed(json!({"error": "BRAND_NEW_CODE"}))).unwrap();
    let BankIdSeSession::Failed(f) = f else {
        panic!("FAILED variant expected")
    };
    assert_eq!(
        identisure::FailureCode::parse(&f.error),
        identisure::FailureCode::Unknown("BRAND_NEW_CODE".into())
    );
}

#[test]
fn secrets_in_parsed_states_are_redacted_in_debug() {
    let p: BankIdSeSession = serde_json::from_value(json!({"id": "s", "status": "PENDING",
        "qrStartSecret": "canary-secret-4711"}))
    .unwrap();
    let c: BankIdSeSession = serde_json::from_value(json!({"id": "s", "status": "COMPLETED",
        "ssn": "199001011239"}))
    .unwrap();
    let printed = format!("{p:?} {c:?} {p:#?} {c:#?}");
    assert!(!printed.contains("canary-secret-4711"), "{printed}");
    assert!(!printed.contains("199001011239"), "{printed}");
}

/// Over real HTTP: a collect answering an unknown status or a malformed body
/// is an error a caller can match on, carrying the raw bytes for diagnosis.
#[tokio::test]
async fn unknown_status_over_http_is_a_matchable_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for body in [
        r#"{"id":"s-1","status":"EXPIRED"}"#,
        r#"{"id":"s-1","status":"#,
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await.unwrap();
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(reply.as_bytes()).await.unwrap();
        });
        let raw = identisure::raw::Client::new_with_client(
            &url,
            identisure::http_client_builder().build().unwrap(),
        );
        let err = raw
            .bankid_se_auth_collect(&"s-1".parse().unwrap())
            .await
            .unwrap_err();
        match err {
            identisure::raw::Error::InvalidResponsePayload(bytes, _) => {
                assert_eq!(&bytes[..], body.as_bytes())
            }
            other => panic!("expected InvalidResponsePayload, got {other:?}"),
        }
        server.await.unwrap();
    }
}
