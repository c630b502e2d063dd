//! The `VerifiedCallback` extractor behind a real axum server on 127.0.0.1.
#![cfg(feature = "axum")]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use identisure::BankIdSe;
use identisure::callback::{CallbackSecret, SIGNATURE_HEADER, VerifiedCallback, sign_callback};

#[derive(Clone)]
struct AppState {
    secret: CallbackSecret,
    received: Arc<Mutex<Vec<String>>>,
}

impl FromRef<AppState> for CallbackSecret {
    fn from_ref(state: &AppState) -> Self {
        state.secret.clone()
    }
}

async fn handler(
    State(state): State<AppState>,
    // The typed state of the session, as collect reports it.
    VerifiedCallback(session): VerifiedCallback<identisure::State<BankIdSe>>,
) -> StatusCode {
    let id = match &session {
        identisure::State::Pending(p) => p.id.clone(),
        identisure::State::Completed(c) => c.id.clone(),
        identisure::State::Failed { details, .. } => details.id.clone(),
    };
    state.received.lock().unwrap().push(id);
    StatusCode::NO_CONTENT
}

async fn serve() -> (String, Arc<Mutex<Vec<String>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/callback", post(handler))
        .with_state(AppState {
            secret: CallbackSecret::new("account-secret"),
            received: received.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/callback"), received)
}

const COMPLETED: &str =
    r#"{"id":"sess-1","status":"COMPLETED","ssn":"199001011239","name":"Test Testsson"}"#;

#[tokio::test]
async fn extractor_accepts_genuine_and_refuses_the_rest() {
    let (url, received) = serve().await;
    let http = identisure::http_client_builder().build().unwrap();
    let secret = CallbackSecret::new("account-secret");
    let post = |body: &'static str, sig: Option<String>| {
        let mut req = http
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(sig) = sig {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        req.send()
    };

    // Genuine.
    let res = post(
        COMPLETED,
        Some(sign_callback(&secret, COMPLETED.as_bytes())),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(*received.lock().unwrap(), vec!["sess-1".to_string()]);

    // Missing signature.
    let res = post(COMPLETED, None).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("missing X-Signature-SHA256")
    );

    // Malformed signature.
    let res = post(COMPLETED, Some("not-base64!".into())).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("malformed"));

    // Signed with another key.
    let other = sign_callback(&CallbackSecret::new("someone-else"), COMPLETED.as_bytes());
    let res = post(COMPLETED, Some(other)).await.unwrap();
    assert_eq!(res.status(), 401);

    // Signature of a different body (tampered in transit).
    const TAMPERED: &str =
        r#"{"id":"sess-1","status":"COMPLETED","ssn":"199001011240","name":"Test Testsson"}"#;
    let res = post(TAMPERED, Some(sign_callback(&secret, COMPLETED.as_bytes())))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let text = res.text().await.unwrap();
    assert!(!text.contains("1990"), "{text}");

    // Genuine, but not a session: 400, body not echoed.
    const ODD: &str = r#"{"id":"x","status":"EXPLODED","ssn":"199001011239"}"#;
    let res = post(ODD, Some(sign_callback(&secret, ODD.as_bytes())))
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("199001011239") && !text.contains("EXPLODED"),
        "{text}"
    );

    // Only the genuine callback reached the handler.
    assert_eq!(received.lock().unwrap().len(), 1);
}
