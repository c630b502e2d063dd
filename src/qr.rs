//! Swedish BankID animated QR codes.
//!
//! A BankID start response carries a `qrStartToken` and a `qrStartSecret`.
//! The QR code shown to the user changes every second: the payload for second
//! `t` (whole seconds since the start response arrived) is
//! `bankid.{qrStartToken}.{t}.{hex}`, where `hex` is the lowercase hex of
//! HMAC-SHA256(key = `qrStartSecret`, message = `t` in decimal).
//!
//! [`BankIdQr`] keeps the secret inside (it must never reach a browser) and
//! hands out payloads: [`BankIdQr::payload_at`], [`BankIdQr::current`] and a
//! once-per-second [`Stream`](futures_core::Stream) of frames,
//! [`BankIdQr::frames`]. With the `qr` feature, [`render`] turns any payload
//! (BankID frames, Freja's `qrData`) into SVG, PNG or a terminal drawing.
//!
//! ```
//! use std::time::Instant;
//! use identisure::QrStartSecret;
//! use identisure::qr::BankIdQr;
//!
//! let qr = BankIdQr::new(
//!     "67df3917-fa0d-44e5-b327-edcc928297f8",
//!     QrStartSecret::new("d28db9a7-4cde-429e-a983-359be676944c"),
//!     Instant::now(),
//! );
//! assert_eq!(
//!     qr.payload_at(0),
//!     "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.\
//!      dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
//! );
//! ```
// Links to items of other features resolve on docs.rs (built with all of them).
#![cfg_attr(
    not(feature = "qr"),
    doc = "[`render`]: https://docs.rs/identisure/latest/identisure/qr/render/index.html"
)]

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::QrStartSecret;
use crate::raw::types::BankIdSePending;

#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
pub mod render;

/// The animated QR code of one Swedish BankID order.
///
/// Built from the `qrStartToken`, the `qrStartSecret` and the [`Instant`] the
/// start response arrived. `Debug` shows the token (it is printed in every
/// QR code anyway) but never the secret.
///
/// ```
/// use std::time::Instant;
/// use identisure::qr::BankIdQr;
///
/// let qr = BankIdQr::new("token", "s3cr3t-value".into(), Instant::now());
/// let debug = format!("{qr:?}");
/// assert!(debug.contains("token"));
/// assert!(!debug.contains("s3cr3t-value"));
/// assert!(qr.current().starts_with("bankid.token.0."));
/// ```
#[derive(Clone)]
pub struct BankIdQr {
    token: String,
    secret: QrStartSecret,
    started: Instant,
}

/// What was missing from a pending BankID session to build a [`BankIdQr`].
/// Converts into [`crate::Error::MissingQrData`] (`?` works in a function
/// returning [`crate::Result`]).
///
/// ```
/// use identisure::qr::{BankIdQr, MissingQrData};
/// use identisure::raw::types::BankIdSePending;
///
/// let pending: BankIdSePending =
///     serde_json::from_str(r#"{"id":"s1","status":"PENDING","qrStartToken":"t"}"#).unwrap();
/// let err = BankIdQr::try_from(&pending).unwrap_err();
/// assert_eq!(err, MissingQrData::QrStartSecret);
/// assert!(err.to_string().starts_with("the pending BankID session has no qrStartSecret: "));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingQrData {
    /// `qrStartToken` is absent or empty.
    QrStartToken,
    /// `qrStartSecret` is absent or empty.
    QrStartSecret,
}

impl fmt::Display for MissingQrData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QrStartToken => f.write_str("the pending BankID session has no qrStartToken")?,
            Self::QrStartSecret => {
                f.write_str("the pending BankID session has no qrStartSecret")?
            }
        }
        f.write_str(
            ": build the QR code from the answer of an auth or sign start \
             (Session::pending); phone starts have none",
        )
    }
}

impl std::error::Error for MissingQrData {}

impl BankIdQr {
    /// A QR code for the order whose start response arrived at `started`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use identisure::{QrStartSecret, qr::BankIdQr};
    ///
    /// let qr = BankIdQr::new("token", QrStartSecret::new("secret"), Instant::now());
    /// assert_eq!(qr.token(), "token");
    /// ```
    pub fn new(qr_start_token: impl Into<String>, secret: QrStartSecret, started: Instant) -> Self {
        Self {
            token: qr_start_token.into(),
            secret,
            started,
        }
    }

    /// Builds the QR code from a start (or collect) response that arrived at
    /// `started`. Fails when the token or the secret is missing or empty.
    ///
    /// ```
    /// use std::time::Instant;
    /// use identisure::qr::BankIdQr;
    /// use identisure::raw::types::BankIdSePending;
    ///
    /// let pending: BankIdSePending = serde_json::from_str(
    ///     r#"{"id":"s1","status":"PENDING","qrStartToken":"t","qrStartSecret":"s"}"#,
    /// ).unwrap();
    /// let qr = BankIdQr::from_pending(&pending, Instant::now()).unwrap();
    /// assert!(qr.payload_at(3).starts_with("bankid.t.3."));
    /// ```
    pub fn from_pending(
        pending: &BankIdSePending,
        started: Instant,
    ) -> Result<Self, MissingQrData> {
        let token = pending
            .qr_start_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or(MissingQrData::QrStartToken)?;
        let secret = pending
            .qr_start_secret
            .as_ref()
            .filter(|s| !s.expose().is_empty())
            .ok_or(MissingQrData::QrStartSecret)?;
        Ok(Self::new(token, secret.clone(), started))
    }

    /// The `qrStartToken` (public: it is part of every payload).
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use identisure::qr::BankIdQr;
    /// let qr = BankIdQr::new("abc", "s".into(), Instant::now());
    /// assert_eq!(qr.token(), "abc");
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The instant the start response arrived (second 0).
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use identisure::qr::BankIdQr;
    /// let start = Instant::now();
    /// let qr = BankIdQr::new("abc", "s".into(), start);
    /// assert_eq!(qr.started(), start);
    /// ```
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Whole seconds elapsed since the start response arrived.
    ///
    /// ```
    /// # use std::time::{Duration, Instant};
    /// # use identisure::qr::BankIdQr;
    /// let qr = BankIdQr::new("abc", "s".into(), Instant::now() - Duration::from_millis(2500));
    /// assert!(qr.elapsed_seconds() >= 2);
    /// ```
    pub fn elapsed_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// The payload for second `t`: `bankid.{token}.{t}.{hex}`.
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use identisure::qr::BankIdQr;
    /// let qr = BankIdQr::new("tok", "s".into(), Instant::now());
    /// let p = qr.payload_at(12);
    /// assert!(p.starts_with("bankid.tok.12."));
    /// assert_eq!(p.rsplit('.').next().unwrap().len(), 64);
    /// ```
    pub fn payload_at(&self, t: u64) -> String {
        let time = t.to_string();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.expose().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(time.as_bytes());
        let code = mac.finalize().into_bytes();
        let mut payload = String::with_capacity(self.token.len() + time.len() + 73);
        payload.push_str("bankid.");
        payload.push_str(&self.token);
        payload.push('.');
        payload.push_str(&time);
        payload.push('.');
        push_hex(&mut payload, &code);
        payload
    }

    /// The payload for the current second.
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use identisure::qr::BankIdQr;
    /// let qr = BankIdQr::new("tok", "s".into(), Instant::now());
    /// assert_eq!(qr.current(), qr.payload_at(0));
    /// ```
    pub fn current(&self) -> String {
        self.payload_at(self.elapsed_seconds())
    }

    /// A [`Stream`](futures_core::Stream) of frames: the current one at once,
    /// then one at every whole second after the start (missed seconds are
    /// skipped, never bunched). It never ends: drop it when the order is no
    /// longer pending.
    ///
    /// # Panics
    ///
    /// When called outside a Tokio runtime with the time driver enabled
    /// (as every Tokio timer does).
    ///
    /// ```
    /// use std::time::Instant;
    /// use identisure::qr::BankIdQr;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let qr = BankIdQr::new("tok", "s".into(), Instant::now());
    /// let mut frames = qr.frames();
    /// let first = std::future::poll_fn(|cx| {
    ///     futures_core::Stream::poll_next(std::pin::Pin::new(&mut frames), cx)
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(first.seconds, 0);
    /// assert_eq!(first.payload, qr.payload_at(0));
    /// # }
    /// ```
    pub fn frames(&self) -> QrFrames {
        let start = tokio::time::Instant::from_std(self.started);
        let elapsed = tokio::time::Instant::now().saturating_duration_since(start);
        let first_tick = start + Duration::from_secs(elapsed.as_secs());
        let mut interval = tokio::time::interval_at(first_tick, Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        QrFrames {
            qr: self.clone(),
            start,
            interval,
        }
    }
}

impl TryFrom<&BankIdSePending> for BankIdQr {
    type Error = MissingQrData;

    /// Same as [`BankIdQr::from_pending`] with `started = Instant::now()`:
    /// call it as soon as the start response arrives.
    fn try_from(pending: &BankIdSePending) -> Result<Self, Self::Error> {
        Self::from_pending(pending, Instant::now())
    }
}

impl fmt::Debug for BankIdQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankIdQr")
            .field("token", &self.token)
            .field("secret", &self.secret)
            .field("started", &self.started)
            .finish()
    }
}

/// One frame of the animated QR code.
///
/// ```
/// let frame = identisure::qr::QrFrame { seconds: 1, payload: "bankid.t.1.00".into() };
/// assert_eq!(frame.seconds, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrFrame {
    /// Whole seconds since the start response arrived.
    pub seconds: u64,
    /// The text to encode in the QR code.
    pub payload: String,
}

/// The frame stream of [`BankIdQr::frames`].
///
/// ```
/// # use std::time::Instant;
/// # use identisure::qr::BankIdQr;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let frames: identisure::qr::QrFrames =
///     BankIdQr::new("t", "s".into(), Instant::now()).frames();
/// # drop(frames);
/// # }
/// ```
pub struct QrFrames {
    qr: BankIdQr,
    start: tokio::time::Instant,
    interval: tokio::time::Interval,
}

impl fmt::Debug for QrFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrFrames").field("qr", &self.qr).finish()
    }
}

impl futures_core::Stream for QrFrames {
    type Item = QrFrame;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<QrFrame>> {
        let this = self.get_mut();
        match this.interval.poll_tick(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => {
                let seconds = tokio::time::Instant::now()
                    .saturating_duration_since(this.start)
                    .as_secs();
                Poll::Ready(Some(QrFrame {
                    seconds,
                    payload: this.qr.payload_at(seconds),
                }))
            }
        }
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOKEN: &str = "67df3917-fa0d-44e5-b327-edcc928297f8";
    const SECRET: &str = "d28db9a7-4cde-429e-a983-359be676944c";

    fn reference() -> BankIdQr {
        BankIdQr::new(TOKEN, QrStartSecret::new(SECRET), Instant::now())
    }

    #[test]
    fn matches_bankid_reference_value() {
        assert_eq!(
            reference().payload_at(0),
            format!(
                "bankid.{TOKEN}.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
            )
        );
    }

    #[test]
    fn frames_differ_per_second() {
        let qr = reference();
        assert_ne!(qr.payload_at(0), qr.payload_at(1));
        assert_ne!(qr.payload_at(1), qr.payload_at(10));
    }

    #[test]
    fn current_follows_elapsed_time() {
        let qr = BankIdQr::new(
            TOKEN,
            SECRET.into(),
            Instant::now() - Duration::from_millis(3_200),
        );
        let t = qr.elapsed_seconds();
        assert!(t >= 3);
        let current = qr.current();
        // The second may tick over between the two calls.
        assert!(current == qr.payload_at(t) || current == qr.payload_at(t + 1));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let debug = format!("{:?}", reference());
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains(TOKEN));
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn from_pending_requires_token_and_secret() {
        let parse = |json: &str| serde_json::from_str::<BankIdSePending>(json).unwrap();
        let full = parse(
            r#"{"id":"a","status":"PENDING","qrStartToken":"67df3917-fa0d-44e5-b327-edcc928297f8","qrStartSecret":"d28db9a7-4cde-429e-a983-359be676944c"}"#,
        );
        let qr = BankIdQr::try_from(&full).unwrap();
        assert_eq!(qr.payload_at(0), reference().payload_at(0));

        let no_token = parse(r#"{"id":"a","status":"PENDING","qrStartSecret":"s"}"#);
        assert_eq!(
            BankIdQr::try_from(&no_token).unwrap_err(),
            MissingQrData::QrStartToken
        );
        let empty_token =
            parse(r#"{"id":"a","status":"PENDING","qrStartToken":"","qrStartSecret":"s"}"#);
        assert_eq!(
            BankIdQr::try_from(&empty_token).unwrap_err(),
            MissingQrData::QrStartToken
        );
        let no_secret = parse(r#"{"id":"a","status":"PENDING","qrStartToken":"t"}"#);
        assert_eq!(
            BankIdQr::try_from(&no_secret).unwrap_err(),
            MissingQrData::QrStartSecret
        );
        let empty_secret =
            parse(r#"{"id":"a","status":"PENDING","qrStartToken":"t","qrStartSecret":""}"#);
        assert_eq!(
            BankIdQr::try_from(&empty_secret).unwrap_err(),
            MissingQrData::QrStartSecret
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stream_yields_one_frame_per_second() {
        use std::future::poll_fn;
        let start = tokio::time::Instant::now();
        let qr = BankIdQr::new(TOKEN, SECRET.into(), start.into_std());
        let mut frames = qr.frames();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let frame = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut frames), cx))
                .await
                .unwrap();
            seen.push((frame.seconds, tokio::time::Instant::now() - start));
            assert_eq!(frame.payload, qr.payload_at(frame.seconds));
        }
        let seconds: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(seconds, vec![0, 1, 2, 3]);
        // Frames are spaced a whole second apart (paused clock: exact).
        for (i, (_, at)) in seen.iter().enumerate() {
            assert_eq!(*at, Duration::from_secs(i as u64));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stream_started_late_skips_to_the_current_second() {
        use std::future::poll_fn;
        let start = tokio::time::Instant::now();
        tokio::time::advance(Duration::from_millis(5_500)).await;
        let qr = BankIdQr::new(TOKEN, SECRET.into(), start.into_std());
        let mut frames = qr.frames();
        let first = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut frames), cx))
            .await
            .unwrap();
        assert_eq!(first.seconds, 5);
        let second = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut frames), cx))
            .await
            .unwrap();
        assert_eq!(second.seconds, 6);
        assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(6));
    }

    proptest! {
        #[test]
        fn payload_format(token in "[A-Za-z0-9-]{1,64}", secret in ".{0,64}", t in any::<u64>()) {
            let qr = BankIdQr::new(token.clone(), QrStartSecret::new(secret), Instant::now());
            let payload = qr.payload_at(t);
            let prefix = format!("bankid.{token}.{t}.");
            prop_assert!(payload.starts_with(&prefix));
            let hex = &payload[prefix.len()..];
            prop_assert_eq!(hex.len(), 64);
            prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            // Deterministic.
            prop_assert_eq!(&payload, &qr.payload_at(t));
        }

        #[test]
        fn hex_is_hmac_of_time(secret in "[a-z0-9-]{1,40}", t in 0u64..100_000) {
            let qr = BankIdQr::new("t", QrStartSecret::new(secret.clone()), Instant::now());
            let payload = qr.payload_at(t);
            let hex = payload.rsplit('.').next().unwrap();
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(t.to_string().as_bytes());
            let bytes: Vec<u8> = (0..32)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            prop_assert!(mac.verify_slice(&bytes).is_ok());
        }
    }
}
