//! Swedish BankID: log in on another device (animated QR code) and then sign.
//!
//! ```sh
//! cargo run --example bankid_se --features simulator
//! ```
//!
//! Without `IDENTISURE_ACCOUNT_ID` in the environment it runs against the
//! embedded simulator, whose default test person approves after a few
//! seconds; with `IDENTISURE_ACCOUNT_ID`, `IDENTISURE_SECRET_KEY` and
//! `IDENTISURE_ENV=staging` it talks to the service, and you scan the QR
//! payload (render it with `identisure qr` or feature `qr`) with a test
//! BankID app.

mod common;

use std::time::Instant;

use futures_util::StreamExt as _;
use identisure::WaitOptions;
use identisure::messages::{Lang, UserMessage as _};
use identisure::providers::bankid_se::{AuthRequest, SignRequest};
use identisure::qr::BankIdQr;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let backend = common::Backend::connect().await?;
    let client = &backend.client;

    // 1. Authentication. Keep the instant the answer arrived: QR frames
    //    count seconds from it.
    let session = client
        .bankid_se()
        .auth(AuthRequest::default().intent("Log in to the example"))
        .await?;
    let started = Instant::now();
    let pending = session.pending();
    let qr = BankIdQr::from_pending(pending, started)?;
    if let Some(token) = pending.auto_start_token.as_deref() {
        println!(
            "same device: open {}",
            identisure::launch::bankid_desktop_link(token)
        );
    }

    // Each collect (one per second) tells how far the user got; show the
    // current QR frame and BankID's recommended text with it.
    let mut updates = Box::pin(session.updates());
    let mut last = None;
    while let Some(state) = updates.next().await {
        let state = state?;
        if !state.is_final() {
            // BankID's recommended text for the hint ("Start your BankID app." …).
            let text = state.hint_code().message(Lang::En);
            println!("QR {}\n   {text}", qr.current());
            continue;
        }
        last = state.into_outcome();
        break;
    }
    let outcome = last.ok_or("the updates ended without an outcome")?;
    common::report(outcome, |p| p.name.as_deref().map(String::from))?;

    // 2. Signature: the text the user sees in the app, then wait for it.
    let sign = client
        .bankid_se()
        .sign(SignRequest::default().text("I agree to the example's terms."))
        .await?;
    // Like the login, the signature waits until the user's app has the
    // order: show its own QR code (or its autostart link) again.
    let sign_qr = BankIdQr::from_pending(sign.pending(), Instant::now())?;
    println!(
        "signature started: session {}; scan QR {}",
        sign.id(),
        sign_qr.current()
    );
    let outcome = sign.wait(WaitOptions::default()).await?;
    if let identisure::Outcome::Failed {
        hint_code: Some(hint),
        ..
    } = &outcome
    {
        println!("BankID says: {}", hint.message(Lang::En));
    }
    common::report(outcome, |p| {
        p.signed_at
            .as_ref()
            .map(|at| format!("{} signed at {at}", p.name.as_deref().unwrap_or("?")))
    })?;

    backend.shutdown().await;
    Ok(())
}
