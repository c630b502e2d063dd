//! Verifying the callbacks the service POSTs to your `callbackUrl`.
//!
//! Each callback carries the session JSON (the same shape as a collect) and
//! the header `X-Signature-SHA256`: the standard, padded base64 of
//! HMAC-SHA256(key = your account's secret key, message = the raw body).
//! [`verify_callback`] checks the signature on the raw bytes, in constant
//! time, before parsing anything. With the `axum` feature,
//! [`VerifiedCallback`] does the same as an extractor.
//!
//! ```
//! use identisure::callback::{CallbackSecret, sign_callback, verify_callback};
//! use identisure::raw::types::BankIdSeSession;
//!
//! let secret = CallbackSecret::new("my-account-secret");
//! let body = br#"{"id":"s1","status":"FAILED","error":"CANCELLED"}"#;
//! let signature = sign_callback(&secret, body);
//!
//! let session: BankIdSeSession = verify_callback(&secret, Some(&signature), body).unwrap();
//! assert!(matches!(session, BankIdSeSession::Failed(_)));
//! assert!(verify_callback::<BankIdSeSession>(&secret, None, body).is_err());
//! ```
// Links to items of other features resolve on docs.rs (built with all of them).
#![cfg_attr(
    not(feature = "axum"),
    doc = "[`VerifiedCallback`]: https://docs.rs/identisure/latest/identisure/callback/struct.VerifiedCallback.html"
)]

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

/// The name of the signature header.
///
/// ```
/// assert_eq!(identisure::callback::SIGNATURE_HEADER, "X-Signature-SHA256");
/// ```
pub const SIGNATURE_HEADER: &str = "X-Signature-SHA256";

/// The account secret key that signs callbacks (the password of the API's
/// Basic auth). Cheap to clone; `Debug` and `Display` redact it.
///
/// ```
/// use identisure::callback::CallbackSecret;
///
/// let secret = CallbackSecret::new("k3y-value");
/// assert_eq!(format!("{secret:?}"), "CallbackSecret(<redacted>)");
/// assert!(!secret.to_string().contains("k3y-value"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackSecret(Arc<str>);

impl CallbackSecret {
    /// Wraps the account's secret key.
    ///
    /// ```
    /// let secret = identisure::callback::CallbackSecret::new(String::from("k"));
    /// # let _ = secret;
    /// ```
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Arc::from(secret.into()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_bytes())
            .expect("HMAC accepts keys of any length")
    }
}

impl From<&str> for CallbackSecret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for CallbackSecret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackSecret(<redacted>)")
    }
}

impl fmt::Display for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted callback secret>")
    }
}

/// Why a callback was refused. None of the variants carries body content,
/// which may hold personal data.
///
/// ```
/// use identisure::callback::{CallbackError, CallbackSecret, verify_signature};
///
/// let secret = CallbackSecret::new("k");
/// assert_eq!(verify_signature(&secret, None, b"{}"), Err(CallbackError::MissingSignature));
/// assert_eq!(
///     verify_signature(&secret, Some("not base64!"), b"{}"),
///     Err(CallbackError::MalformedSignature)
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// No `X-Signature-SHA256` header.
    MissingSignature,
    /// The header is not standard base64 of 32 bytes.
    MalformedSignature,
    /// The signature does not match the body: not from the service, or
    /// altered, or signed with another key.
    WrongSignature,
    /// The signature is genuine but the body is not the expected JSON.
    UndecodableBody {
        /// What kind of problem: `"syntax"`, `"data"` (valid JSON of another
        /// shape) or `"eof"` (truncated).
        category: &'static str,
        /// Line of the problem in the body.
        line: usize,
        /// Column of the problem in the body.
        column: usize,
    },
}

impl CallbackError {
    /// Whether the sender could not be authenticated (missing, malformed or
    /// wrong signature), as opposed to a genuine but unreadable body.
    ///
    /// ```
    /// use identisure::callback::CallbackError;
    /// assert!(CallbackError::WrongSignature.is_unauthenticated());
    /// ```
    pub fn is_unauthenticated(&self) -> bool {
        !matches!(self, Self::UndecodableBody { .. })
    }
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSignature => write!(f, "missing {SIGNATURE_HEADER} header"),
            Self::MalformedSignature => write!(
                f,
                "malformed {SIGNATURE_HEADER} header (expected base64 of a 32-byte HMAC-SHA256)"
            ),
            Self::WrongSignature => f.write_str("signature does not match the body"),
            Self::UndecodableBody {
                category,
                line,
                column,
            } => write!(
                f,
                "signed body is not the expected session JSON ({category} error at line {line}, column {column})"
            ),
        }
    }
}

impl std::error::Error for CallbackError {}

/// The `X-Signature-SHA256` value for `body`: standard padded base64 of
/// HMAC-SHA256(secret, body). What the service sends; useful for tests and
/// simulators.
///
/// ```
/// use identisure::callback::{CallbackSecret, sign_callback};
///
/// let sig = sign_callback(&CallbackSecret::new("key"), b"The quick brown fox jumps over the lazy dog");
/// assert_eq!(sig, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
/// ```
pub fn sign_callback(secret: &CallbackSecret, body: &[u8]) -> String {
    let mut mac = secret.mac();
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks the signature of a raw callback body without parsing it.
///
/// `signature_header` is the header's value (`None` when absent); leading and
/// trailing whitespace is ignored. The comparison is constant-time
/// (`hmac`'s `verify_slice`).
///
/// ```
/// use identisure::callback::{CallbackError, CallbackSecret, sign_callback, verify_signature};
///
/// let secret = CallbackSecret::new("k");
/// let sig = sign_callback(&secret, b"body");
/// assert_eq!(verify_signature(&secret, Some(&sig), b"body"), Ok(()));
/// assert_eq!(verify_signature(&secret, Some(&sig), b"b0dy"), Err(CallbackError::WrongSignature));
/// ```
pub fn verify_signature(
    secret: &CallbackSecret,
    signature_header: Option<&str>,
    raw_body: &[u8],
) -> Result<(), CallbackError> {
    let header = signature_header.ok_or(CallbackError::MissingSignature)?;
    let signature = STANDARD
        .decode(header.trim())
        .map_err(|_| CallbackError::MalformedSignature)?;
    if signature.len() != 32 {
        return Err(CallbackError::MalformedSignature);
    }
    let mut mac = secret.mac();
    mac.update(raw_body);
    mac.verify_slice(&signature)
        .map_err(|_| CallbackError::WrongSignature)
}

/// Verifies a callback and parses it as `T` (e.g.
/// [`BankIdSeSession`](crate::raw::types::BankIdSeSession)): signature first,
/// on the raw bytes; only a genuine body is parsed.
///
/// ```
/// use identisure::callback::{CallbackError, CallbackSecret, sign_callback, verify_callback};
/// use identisure::raw::types::FrejaSession;
///
/// let secret = CallbackSecret::new("k");
/// let body = br#"{"id":"s","status":"PENDING"}"#;
/// let sig = sign_callback(&secret, body);
/// assert!(verify_callback::<FrejaSession>(&secret, Some(&sig), body).is_ok());
///
/// let other = CallbackSecret::new("other");
/// assert_eq!(
///     verify_callback::<FrejaSession>(&other, Some(&sig), body).unwrap_err(),
///     CallbackError::WrongSignature
/// );
/// ```
pub fn verify_callback<T: DeserializeOwned>(
    secret: &CallbackSecret,
    signature_header: Option<&str>,
    raw_body: &[u8],
) -> Result<T, CallbackError> {
    verify_signature(secret, signature_header, raw_body)?;
    serde_json::from_slice(raw_body).map_err(|e| CallbackError::UndecodableBody {
        category: match e.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        },
        line: e.line(),
        column: e.column(),
    })
}

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
mod extract;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use extract::{CallbackRejection, VerifiedCallback};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::types::BankIdSeSession;
    use proptest::prelude::*;

    const BODY: &[u8] =
        br#"{"id":"abc","status":"COMPLETED","ssn":"199001011239","name":"Test Testsson"}"#;

    #[test]
    fn genuine_callback_parses() {
        let secret = CallbackSecret::new("s3cret");
        let sig = sign_callback(&secret, BODY);
        let session: BankIdSeSession = verify_callback(&secret, Some(&sig), BODY).unwrap();
        match session {
            BankIdSeSession::Completed(c) => {
                assert_eq!(c.id, "abc");
                assert_eq!(c.ssn.unwrap().expose(), "199001011239");
            }
            other => panic!("unexpected {other:?}"),
        }
        // Surrounding whitespace in the header is tolerated.
        let padded = format!("  {sig}\t");
        assert!(verify_callback::<BankIdSeSession>(&secret, Some(&padded), BODY).is_ok());
    }

    #[test]
    fn distinct_errors() {
        let secret = CallbackSecret::new("s3cret");
        let sig = sign_callback(&secret, BODY);
        let check = |h: Option<&str>, b: &[u8]| verify_callback::<BankIdSeSession>(&secret, h, b);
        assert_eq!(
            check(None, BODY).unwrap_err(),
            CallbackError::MissingSignature
        );
        assert_eq!(
            check(Some(""), BODY).unwrap_err(),
            CallbackError::MalformedSignature
        );
        assert_eq!(
            check(Some("%%%"), BODY).unwrap_err(),
            CallbackError::MalformedSignature
        );
        // Valid base64, wrong length.
        assert_eq!(
            check(Some("AAAA"), BODY).unwrap_err(),
            CallbackError::MalformedSignature
        );
        // URL-safe alphabet or missing padding is not what the service sends.
        let unpadded = sig.trim_end_matches('=');
        assert_eq!(
            check(Some(unpadded), BODY).unwrap_err(),
            CallbackError::MalformedSignature
        );
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            check(Some(&sig), &tampered).unwrap_err(),
            CallbackError::WrongSignature
        );
        let other = sign_callback(&CallbackSecret::new("other"), BODY);
        assert_eq!(
            check(Some(&other), BODY).unwrap_err(),
            CallbackError::WrongSignature
        );
    }

    #[test]
    fn signature_is_checked_before_parsing() {
        let secret = CallbackSecret::new("k");
        // Garbage body with a wrong signature: the signature error wins.
        let err = verify_callback::<BankIdSeSession>(
            &secret,
            Some(&sign_callback(&secret, b"x")),
            b"not json",
        )
        .unwrap_err();
        assert_eq!(err, CallbackError::WrongSignature);
    }

    #[test]
    fn undecodable_body_never_echoes_content() {
        let secret = CallbackSecret::new("k");
        // Genuine but of an unknown status; contains a personal number.
        let body = br#"{"id":"a","status":"EXPLODED","ssn":"199001011239"}"#;
        let err =
            verify_callback::<BankIdSeSession>(&secret, Some(&sign_callback(&secret, body)), body)
                .unwrap_err();
        assert!(matches!(
            err,
            CallbackError::UndecodableBody {
                category: "data",
                ..
            }
        ));
        assert!(!err.is_unauthenticated());
        let text = format!("{err} {err:?}");
        assert!(!text.contains("199001011239"), "{text}");
        assert!(!text.contains("EXPLODED"), "{text}");

        let body = br#"{"id":"19900101123"#;
        let err =
            verify_callback::<BankIdSeSession>(&secret, Some(&sign_callback(&secret, body)), body)
                .unwrap_err();
        assert!(matches!(
            err,
            CallbackError::UndecodableBody {
                category: "eof",
                ..
            }
        ));
        assert!(!format!("{err} {err:?}").contains("1990"));
    }

    #[test]
    fn secret_is_redacted() {
        let secret = CallbackSecret::new("super-secret-key");
        assert!(!format!("{secret:?} {secret}").contains("super-secret-key"));
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(key in ".{0,40}", body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let secret = CallbackSecret::new(key);
            let sig = sign_callback(&secret, &body);
            prop_assert_eq!(sig.len(), 44);
            prop_assert!(sig.ends_with('='));
            prop_assert_eq!(verify_signature(&secret, Some(&sig), &body), Ok(()));
        }

        #[test]
        fn any_flipped_bit_is_refused(body in proptest::collection::vec(any::<u8>(), 1..128), idx in any::<prop::sample::Index>(), bit in 0u8..8) {
            let secret = CallbackSecret::new("k");
            let sig = sign_callback(&secret, &body);
            let mut changed = body.clone();
            let i = idx.index(changed.len());
            changed[i] ^= 1 << bit;
            prop_assert_eq!(verify_signature(&secret, Some(&sig), &changed), Err(CallbackError::WrongSignature));
        }
    }
}
