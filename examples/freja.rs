//! Freja eID: authenticate a Swedish user by personal number; the user
//! approves in the Freja app (QR code or app link).
//!
//! ```sh
//! cargo run --example freja --features simulator
//! ```
//!
//! Without `IDENTISURE_ACCOUNT_ID` it runs against the embedded simulator,
//! whose test person approves after a few seconds.

mod common;

use identisure::WaitOptions;
use identisure::launch::{FrejaEnvironment, freja_app_link};
use identisure::providers::freja::{AuthRequest, country};
use identisure::raw::types::FrejaRegistrationLevel;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let backend = common::Backend::connect().await?;

    // A simulator test identity; with the real service, the user's number.
    let ssn = std::env::var("EXAMPLE_SSN").unwrap_or_else(|_| "198704122384".into());
    let session = backend
        .client
        .freja()
        .auth(
            AuthRequest::default()
                .ssn(&ssn)
                .country(country::SWEDEN)
                .min_registration_level(FrejaRegistrationLevel::Extended),
        )
        .await?;
    let pending = session.pending();
    if let Some(qr) = pending.qr_data.as_deref() {
        println!("QR code content: {qr}");
    }
    if let Some(token) = pending.auto_start_token.as_deref() {
        println!(
            "same device: open {}",
            freja_app_link(token, FrejaEnvironment::Production)
        );
    }

    let outcome = session.wait(WaitOptions::default()).await?;
    common::report(outcome, |p| p.name.as_deref().map(String::from))?;
    backend.shutdown().await;
    Ok(())
}
