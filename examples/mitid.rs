//! MitID (Denmark): a redirect flow. The start answers a `url`; send the user's
//! browser there, and collect until the user is back (or take the result
//! from a callback, see the `callbacks` example).
//!
//! ```sh
//! cargo run --example mitid --features simulator
//! ```
//!
//! Without `IDENTISURE_ACCOUNT_ID` it runs against the embedded simulator:
//! its test person completes after a few seconds by itself (the URL is the
//! simulator's approval page, which you may open to approve or cancel).

mod common;

use identisure::WaitOptions;
use identisure::providers::mitid::AuthRequest;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let backend = common::Backend::connect().await?;

    let session = backend
        .client
        .mitid()
        .auth(
            AuthRequest::default()
                .redirect_url("https://rp.example/back")
                .request_email(true),
        )
        .await?;
    let pending = session.pending();
    let url = pending
        .url
        .as_deref()
        .ok_or("MitID answered without a url")?;
    println!("send the user to {url}");

    let outcome = session.wait(WaitOptions::default()).await?;
    common::report(outcome, |p| {
        Some(format!(
            "{} <{}>",
            p.name.as_deref().unwrap_or("?"),
            p.email.as_deref().unwrap_or("no e-mail")
        ))
    })?;
    backend.shutdown().await;
    Ok(())
}
