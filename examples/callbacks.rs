//! Callbacks: instead of (or beside) collecting, let the service POST the
//! final session to your `callbackUrl`, and verify its `X-Signature-SHA256`
//! before trusting a byte of it.
//!
//! ```sh
//! cargo run --example callbacks --features simulator
//! ```
//!
//! Without `IDENTISURE_ACCOUNT_ID` it runs against the embedded simulator,
//! which calls the local receiver this example starts on 127.0.0.1. With the
//! real service the callback URL must be reachable from the internet: set
//! `EXAMPLE_CALLBACK_URL` to a public URL (e.g. a tunnel) that forwards to
//! `EXAMPLE_CALLBACK_LISTEN` (default `127.0.0.1:3000`), path `/callback`.
//!
//! With feature `axum`, `identisure::callback::VerifiedCallback<T>` does the
//! verification as an axum extractor; this example does it by hand with
//! [`verify_signature`], which works with any web framework.

mod common;

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use identisure::callback::{CallbackSecret, SIGNATURE_HEADER, verify_signature};
use identisure::providers::bankid_se::AuthRequest;
use identisure::{BankIdSe, Outcome, State};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let backend = common::Backend::connect().await?;
    let secret = CallbackSecret::new(backend.secret_key());

    // The receiver: verify the signature on the raw body, then parse it.
    let listen = match backend.simulator {
        Some(_) => "127.0.0.1:0".to_string(),
        None => std::env::var("EXAMPLE_CALLBACK_LISTEN").unwrap_or("127.0.0.1:3000".into()),
    };
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let callback_url = match backend.simulator {
        Some(_) => format!("http://{}/callback", listener.local_addr()?),
        None => std::env::var("EXAMPLE_CALLBACK_URL")
            .map_err(|_| "set EXAMPLE_CALLBACK_URL to a public URL forwarding to this host")?,
    };
    let (tx, mut rx) = mpsc::channel::<State<BankIdSe>>(4);
    let app = axum::Router::new().route(
        "/callback",
        post(move |headers: HeaderMap, body: Bytes| {
            let (secret, tx) = (secret.clone(), tx.clone());
            async move {
                let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
                if let Err(e) = verify_signature(&secret, signature, &body) {
                    eprintln!("rejected a callback: {e}");
                    return StatusCode::UNAUTHORIZED;
                }
                match State::<BankIdSe>::from_json(&body) {
                    Ok(state) => {
                        let _ = tx.send(state).await;
                        StatusCode::OK
                    }
                    Err(e) => {
                        eprintln!("a signed callback that does not parse: {e}");
                        StatusCode::BAD_REQUEST
                    }
                }
            }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("receiving callbacks at {callback_url}");

    // Start with the callback URL; no collect loop needed.
    let session = backend
        .client
        .bankid_se()
        .auth(AuthRequest::default().callback_url(callback_url))
        .await?;
    println!("started session {}; waiting for its callback", session.id());

    let state = tokio::time::timeout(Duration::from_secs(120), rx.recv())
        .await
        .map_err(|_| "no callback within two minutes")?
        .ok_or("the receiver stopped")?;
    server.abort();
    match state.into_outcome() {
        Some(Outcome::Completed(person)) => println!(
            "callback: completed by {}",
            person.name.as_deref().unwrap_or("(no name)")
        ),
        Some(Outcome::Failed { code, .. }) => {
            return Err(format!("callback: failed: {code}").into());
        }
        None => return Err("the callback carried a pending session".into()),
    }
    backend.shutdown().await;
    Ok(())
}
