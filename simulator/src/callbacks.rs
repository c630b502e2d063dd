//! Callbacks: the final session JSON POSTed to `callbackUrl`, signed with
//! `X-Signature-SHA256` = base64(HMAC-SHA256(account secret, raw body)).

use std::time::Duration;

use identisure::callback::{CallbackSecret, SIGNATURE_HEADER, sign_callback};

/// How many times a callback is tried in all.
pub(crate) const ATTEMPTS: u32 = 4;

/// base64 (standard, padded) of HMAC-SHA256(key = `secret`, message = `body`):
/// the helpers' [`sign_callback`], so signing has one implementation.
pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    sign_callback(&CallbackSecret::new(secret), body)
}

/// One callback to deliver.
pub(crate) struct Delivery {
    pub(crate) url: String,
    pub(crate) body: Vec<u8>,
    pub(crate) signature: String,
}

/// Sends `delivery` in the background: up to [`ATTEMPTS`] tries, waiting
/// `backoff`, then twice as long, and so on, after each failure (a transport
/// error or a non-2xx answer).
pub(crate) fn spawn(
    runtime: &tokio::runtime::Handle,
    http: reqwest::Client,
    delivery: Delivery,
    backoff: Duration,
) {
    runtime.spawn(async move {
        let mut wait = backoff;
        for attempt in 1..=ATTEMPTS {
            let sent = http
                .post(&delivery.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, &delivery.signature)
                .body(delivery.body.clone())
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            if matches!(&sent, Ok(r) if r.status().is_success()) || attempt == ATTEMPTS {
                return;
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn signature_is_standard_padded_base64_of_the_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = sign("Jefe", b"what do ya want for nothing?");
        let expected_hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&sig)
            .unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected_hex);
        assert!(sig.ends_with('='));
    }
}
