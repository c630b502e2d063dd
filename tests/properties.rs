//! Property tests that the unit tests of the modules do not already cover:
//! request validation around the spec's limits (through the real client,
//! so "valid" means it got as far as trying to connect), flipped bytes of a
//! callback *signature*, QR payloads never carrying the secret, and national
//! id parsing of arbitrary text (no panic, nothing echoed, valid numbers
//! redacted in `Debug`).
//!
//! Already covered elsewhere: flipped body bits and sign/verify round trips
//! (src/callback.rs), the QR payload format and HMAC (src/qr.rs), valid and
//! single-digit-changed numbers of every country (src/national_id/*).

use base64::Engine as _;
use identisure::callback::{CallbackSecret, sign_callback, verify_signature};
use identisure::providers::{bankid_no, bankid_se, freja, mitid};
use identisure::{Client, Error, TransportKind};
use proptest::prelude::*;

/// A client whose requests cannot be delivered: a valid request ends in a
/// connect error, an invalid one is refused before that.
fn client() -> &'static Client {
    static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(new_client)
}

fn new_client() -> Client {
    // Port 1 (tcpmux) has no listener here: a connection is refused at
    // once. (A port probed free and released could be taken by another
    // test binary meanwhile, which would then hold every request until
    // its timeout.)
    Client::builder()
        .credentials("acct", "secret")
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap()
}

fn run<T: std::fmt::Debug>(fut: impl Future<Output = identisure::Result<T>>) -> Error {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap()
        })
        .block_on(fut)
        .unwrap_err()
}

/// Checks the client's verdict on a value of `len` characters for a field
/// allowed `min..=max` characters.
fn verdict(
    err: Error,
    field: &str,
    len: usize,
    min: usize,
    max: usize,
) -> Result<(), TestCaseError> {
    if (min..=max).contains(&len) {
        prop_assert!(
            matches!(
                err,
                Error::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            ),
            "{field} of {len} chars should pass validation: {err:?}"
        );
    } else {
        let rule = if len > max {
            format!("must be at most {max} characters")
        } else if min <= 1 {
            "must not be empty".to_string()
        } else {
            format!("must be at least {min} characters")
        };
        match &err {
            Error::InvalidRequest { field: f, rule: r } => {
                prop_assert_eq!(f.as_str(), field);
                prop_assert_eq!(r, &rule);
            }
            other => prop_assert!(false, "{field} of {len} chars: {other:?}"),
        }
    }
    Ok(())
}

/// Lengths at and around the limits, and some in between.
fn length(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        Just(1),
        Just(max - 1),
        Just(max),
        Just(max + 1),
        0..=max + 3,
    ]
}

/// `len` characters, some of them multi-byte (limits count characters).
fn string(len: usize, seed: u8) -> String {
    const CHARS: [char; 6] = ['a', 'Å', 'ø', '€', '😀', ' '];
    (0..len)
        .map(|i| CHARS[(i + usize::from(seed)) % CHARS.len()])
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn bankid_se_intent_is_1_to_2000_chars(len in length(2000), seed in any::<u8>()) {
        let s = string(len, seed);
        let err = run(client().bankid_se().auth(bankid_se::AuthRequest::default().intent(s.as_str())));
        verdict(err, "intent", len, 1, 2000)?;
    }

    #[test]
    fn bankid_se_sign_text_is_at_most_50000_chars(len in length(50_000), seed in any::<u8>()) {
        let s = string(len, seed);
        let err = run(client().bankid_se().sign(bankid_se::SignRequest::default().text(s.as_str())));
        // The spec sets no minimum (an empty text is the server's to refuse).
        verdict(err, "text", len, 0, 50_000)?;
    }

    #[test]
    fn bankid_se_sign_digest_is_1_to_2000_chars(len in length(2000), seed in any::<u8>()) {
        let s = string(len, seed);
        let err = run(client().bankid_se().sign(bankid_se::SignRequest::default().text("ok").digest(s.as_str())));
        verdict(err, "digest", len, 1, 2000)?;
    }

    #[test]
    fn mitid_sign_text_is_1_to_600_chars(len in length(600), seed in any::<u8>()) {
        let s = string(len, seed);
        let err = run(client().mitid().sign(mitid::SignRequest::default().text(s.as_str())));
        verdict(err, "text", len, 1, 600)?;
    }

    #[test]
    fn bankid_no_sign_text_is_at_most_118_chars(len in length(118), seed in any::<u8>()) {
        let s = string(len, seed);
        let err = run(client().bankid_no().sign(bankid_no::TextSignRequest::default().text(s.as_str())));
        // The spec sets no minimum.
        verdict(err, "text", len, 0, 118)?;
    }

    #[test]
    fn freja_sign_text_must_not_be_empty(len in 0usize..4, seed in any::<u8>()) {
        let s = string(len, seed);
        let request = freja::SignRequest::default()
            .text(s.as_str());
        let err = run(client().freja().sign(request));
        verdict(err, "text", len, 1, usize::MAX - 1)?;
    }

    /// `referenceText`: at most 130 characters, none of them `%` or `<`.
    #[test]
    fn mitid_reference_text_length_and_pattern(len in length(130), seed in any::<u8>(), bad in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec!['%', '<'])))) {
        let mut chars: Vec<char> = string(len, seed).chars().collect();
        let has_bad = match bad {
            Some((at, c)) if !chars.is_empty() => {
                let i = at.index(chars.len());
                chars[i] = c;
                true
            }
            _ => false,
        };
        let s: String = chars.into_iter().collect();
        let err = run(client().mitid().auth(mitid::AuthRequest::default().reference_text(s.as_str())));
        if has_bad && len <= 130 {
            prop_assert!(
                matches!(err, Error::InvalidRequest { ref field, ref rule } if field == "referenceText" && rule == "must not contain `%` or `<`"),
                "{err:?}"
            );
        } else if !has_bad {
            // No minimum: an empty reference text is allowed.
            verdict(err, "referenceText", len, 0, 130)?;
        } else {
            prop_assert!(matches!(err, Error::InvalidRequest { ref field, .. } if field == "referenceText"), "{err:?}");
        }
    }

    /// `minAge` and `maxAge`: at least 1 each, and otherwise unrelated
    /// (decision `age-verification-bounds`).
    #[test]
    fn age_limits_are_at_least_one(min in prop_oneof![Just(0u64), Just(1), any::<u64>()], max in prop_oneof![Just(0u64), Just(1), any::<u64>()]) {
        let request = identisure::providers::AgeVerificationRequest::default().min_age(min).max_age(max);
        let err = run(client().ftn().age_verification(request));
        match (min, max) {
            (0, 0) => prop_assert!(matches!(err, Error::InvalidRequest { ref field, ref rule } if (field == "minAge" || field == "maxAge") && rule == "must be at least 1"), "{err:?}"),
            (0, _) => prop_assert!(matches!(err, Error::InvalidRequest { ref field, ref rule } if field == "minAge" && rule == "must be at least 1"), "{err:?}"),
            (_, 0) => prop_assert!(matches!(err, Error::InvalidRequest { ref field, ref rule } if field == "maxAge" && rule == "must be at least 1"), "{err:?}"),
            _ => prop_assert!(matches!(err, Error::Transport { kind: TransportKind::Connect, .. }), "{err:?}"),
        }
    }
}

proptest! {
    /// Any change of one character of the signature header (to another
    /// base64 character) is refused.
    #[test]
    fn any_changed_signature_character_is_refused(
        key in ".{1,40}",
        body in proptest::collection::vec(any::<u8>(), 0..256),
        at in any::<prop::sample::Index>(),
        to in prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".to_vec()),
    ) {
        let secret = CallbackSecret::new(key);
        let good = sign_callback(&secret, &body);
        let mut sig = good.clone().into_bytes();
        let i = at.index(43); // the 44th character is the `=` padding
        prop_assume!(sig[i] != to);
        sig[i] = to;
        let sig = String::from_utf8(sig).unwrap();
        prop_assert!(verify_signature(&secret, Some(&sig), &body).is_err());
    }

    /// Any flipped bit of the decoded signature is refused as a wrong
    /// signature; shortened or lengthened signatures as malformed.
    #[test]
    fn any_flipped_signature_bit_is_refused(
        body in proptest::collection::vec(any::<u8>(), 0..256),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        cut in 1usize..32,
    ) {
        let secret = CallbackSecret::new("callback-key");
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut raw = b64.decode(sign_callback(&secret, &body)).unwrap();
        let i = at.index(raw.len());
        raw[i] ^= 1 << bit;
        prop_assert_eq!(
            verify_signature(&secret, Some(&b64.encode(&raw)), &body),
            Err(identisure::callback::CallbackError::WrongSignature)
        );
        raw[i] ^= 1 << bit;
        prop_assert!(verify_signature(&secret, Some(&b64.encode(&raw[..32 - cut])), &body).is_err());
        let mut long = raw.clone();
        long.push(0);
        prop_assert!(verify_signature(&secret, Some(&b64.encode(&long)), &body).is_err());
        // The untouched signature still verifies (the test changed only copies).
        prop_assert!(verify_signature(&secret, Some(&b64.encode(&raw)), &body).is_ok());
    }

    /// Another key never verifies.
    #[test]
    fn another_key_is_refused(a in ".{1,20}", b in ".{1,20}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assume!(a != b);
        let sig = sign_callback(&CallbackSecret::new(a), &body);
        prop_assert!(verify_signature(&CallbackSecret::new(b), Some(&sig), &body).is_err());
    }

    /// The QR payload never carries the secret, and frames of different
    /// seconds differ.
    #[test]
    fn qr_payload_never_carries_the_secret(secret in "[a-f0-9-]{16,40}", t in 0u64..10_000) {
        let qr = identisure::qr::BankIdQr::new(
            "67df3917-fa0d-44e5-b327-edcc928297f8",
            identisure::QrStartSecret::new(secret.clone()),
            std::time::Instant::now(),
        );
        let payload = qr.payload_at(t);
        prop_assert!(!payload.contains(&secret));
        prop_assert_ne!(payload, qr.payload_at(t + 1));
        let shown = format!("{:?}", qr);
        prop_assert!(!shown.contains(&secret));
    }

    /// Parsing any text as a national id of any country never panics, and
    /// neither the error nor the parsed value's `Debug` shows the digits.
    #[test]
    fn national_id_parsing_of_any_text(input in prop_oneof![".{0,20}", "[0-9+\\-A-Y]{8,14}"]) {
        use identisure::national_id::{Country, NationalId};
        for country in [Country::Se, Country::No, Country::Dk, Country::Fi] {
            match NationalId::parse(country, &input) {
                Ok(id) => {
                    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
                    prop_assert!(!format!("{id:?}").contains(&digits), "{:?}", id);
                }
                Err(e) => {
                    let shown = format!("{e} {e:?}");
                    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
                    prop_assert!(digits.len() < 4 || !shown.contains(&digits), "{}", shown);
                }
            }
        }
    }
}
