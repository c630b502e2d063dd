//! Rust client for the Identisure v3 eID API: Swedish BankID, Freja eID,
//! Norwegian BankID, Vipps MobilePay, Danish MitID and the Finnish Trust
//! Network, behind one HTTP API.
//!
//! # Quick start
//!
//! Log a person in with Swedish BankID and wait for the result. This example
//! runs as a test against the embedded simulator (feature `simulator`); with
//! real credentials, build the client with [`Client::from_env`] or
//! [`Client::builder`] and nothing else changes.
//!
//! ```
//! # #[cfg(feature = "simulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sim = identisure::simulator::Simulator::builder()
//! #     .account("my-account", "my-secret")
//! #     .timing(identisure::simulator::Timing {
//! #         step: std::time::Duration::from_millis(200),
//! #         ..Default::default()
//! #     })
//! #     .build()
//! #     .spawn_local()
//! #     .await?;
//! use identisure::providers::bankid_se::AuthRequest;
//! use identisure::{Client, Outcome, WaitOptions};
//!
//! let client = Client::builder()
//!     .credentials("my-account", "my-secret")
//! #   .base_url(sim.url())
//!     .build()?;
//!
//! // Start: the PENDING answer carries what the user's app needs.
//! let session = client
//!     .bankid_se()
//!     .auth(AuthRequest::default().intent(identisure::text("Log in to Example")))
//!     .await?;
//! let pending = session.pending().expect("a started session");
//! let auto_start = pending.auto_start_token.as_deref().unwrap_or_default();
//! println!("open {}", identisure::launch::bankid_desktop_link(auto_start));
//!
//! // Collect until it ends (at most one collect per second).
//! match session.wait(WaitOptions::default()).await? {
//!     Outcome::Completed(person) => {
//!         println!("hello {}", person.name.as_deref().unwrap_or("?"));
//! #       assert_eq!(person.name.as_deref(), Some("Astrid Lindqvist"));
//!     }
//!     Outcome::Failed { code, hint_code, .. } => {
//!         println!("failed: {code} ({hint_code:?})");
//! #       unreachable!("the simulator's default person completes");
//!     }
//! }
//! # sim.shutdown().await;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "simulator"))]
//! # fn main() {}
//! ```
//!
//! Runnable programs for every provider family, the blocking API and
//! callbacks are in the repository's `examples/` directory; each runs against
//! the simulator with `cargo run --example <name> --features simulator`.
//!
//! # Concepts
//!
//! **Sessions.** Every flow (authentication, signature, phone, age
//! verification …) is a *session* on the service: a start (POST) answers
//! `PENDING` with the data the user needs (a BankID `autoStartToken` and QR
//! secret, a Freja `qrData`, or a `url` to redirect to for BankID NO, Vipps,
//! MitID and FTN); collects (GET) report its [`State`] until it is
//! `COMPLETED` (the person's data) or `FAILED` (a [`FailureCode`], and for
//! BankID a [`HintCode`]). The provider APIs ([`Client::bankid_se`],
//! [`Client::freja`], [`Client::bankid_no`], [`Client::vipps`],
//! [`Client::mitid`], [`Client::ftn`]) start sessions and return a
//! [`Session`]; the family type parameter ([`BankIdSe`], [`Freja`] …) picks
//! the types of its data. A session started elsewhere (another process, a
//! callback) is picked up again by its id (e.g.
//! `client.bankid_se().auth_session(id)`). [`Session::cancel`] ends it.
//!
//! **Collect and the rate limit.** The API allows one collect per second.
//! [`Session::wait`] and [`Session::updates`] keep two collects of one session
//! at least [`MIN_COLLECT_INTERVAL`] apart (all clones of a session share the
//! pacing; [`CollectLimit::PerClient`] spaces the collects of every session of
//! a client), wait out a 429's `Retry-After`, and retry 5xx and transport
//! failures of a collect with backoff ([`WaitOptions`]). A start is never
//! retried automatically: it would start a second session.
//!
//! **QR frames.** BankID's QR code changes every second: each frame is
//! `bankid.<qrStartToken>.<seconds>.<HMAC-SHA256(qrStartSecret, seconds)>`.
//! [`qr::BankIdQr`] computes the payloads from the PENDING answer
//! ([`qr::BankIdQr::from_pending`], [`qr::BankIdQr::current`]) or streams
//! them ([`qr::BankIdQr::frames`]); feature `qr` renders them as SVG, PNG or
//! terminal text ([`qr`]). [`launch`] builds the app links for the
//! same-device flow instead.
//!
//! **Callbacks.** With a `callbackUrl` in the start request, the service
//! POSTs the final session (the collect shape) to you, signed with
//! `X-Signature-SHA256` = base64(HMAC-SHA256(secret key, raw body)).
//! [`callback::verify_callback`] checks the signature in constant time before
//! parsing; with feature `axum`, `callback::VerifiedCallback` is the same as
//! an extractor. Parse the verified body with [`State::from_json`].
//!
//! **Errors.** Every call returns [`Result`] with one [`Error`] enum: an
//! invalid request field is refused before sending
//! ([`Error::InvalidRequest`] names the field and the rule), HTTP answers map
//! to variants ([`Error::Unauthorized`], [`Error::SessionNotFound`],
//! [`Error::AlreadyInProgress`], [`Error::RateLimited`], [`Error::Api`]),
//! and odd answers become [`Error::Decode`] or [`Error::UnknownStatus`].
//! [`Error::is_retryable`] tells which may succeed later. Personal numbers,
//! the secret key and the QR secret never appear in `Debug`, `Display`, logs
//! or errors ([`PersonalNumber`], [`QrStartSecret`], [`SecretKey`]).
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `blocking` | [`blocking::Client`](crate::blocking): the same calls for synchronous code |
//! | `qr` | QR rendering (`qr::render`: SVG, PNG, terminal) |
//! | `axum` | `callback::VerifiedCallback`, an axum extractor that verifies callbacks |
//! | `simulator` | `simulator`: the embedded simulator of the whole API, for tests and demos |
//! | `cli` | the `identisure` command-line tool (`qr`, `callback`, `id`, `simulate`) |
//!
//! # Layers
//!
//! The path of a request through this crate:
//! `openapi.yaml` → `build.rs` (progenitor) → [`raw`] (the generated client)
//! → the hand-written layer ([`Client`], [`providers`], [`Session`]) → you.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Missing docs on a public item fail the build (generated code in `raw`
// allows them there).
#![deny(missing_docs)]

pub mod callback;
mod codes;
#[cfg(any(feature = "simulator", feature = "web"))]
mod html;
pub mod launch;
pub mod messages;
pub mod national_id;
pub mod qr;
pub mod raw;
mod sensitive;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
mod transport;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web_login;

pub use codes::{FailureCode, HintCode};
pub use sensitive::{EmptyPersonalNumber, PersonalNumber, QrStartSecret};
pub use transport::{USER_AGENT, http_client_builder};

// client layer (issue 4)
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
mod error;
mod poll;
pub mod providers;
mod session;
mod validate;
pub use validate::{Age, Text, ZeroAge, age, text};

pub use client::{
    Client, ClientBuilder, CollectLimit, DEFAULT_MAX_RESPONSE_BYTES, Environment, SecretKey,
};
pub use error::{Error, Result, TransportKind};
pub use poll::{MIN_COLLECT_INTERVAL, WaitOptions};
pub use session::{
    AgeVerification, BankIdNo, BankIdSe, Family, Freja, Ftn, MitId, Outcome, Session, State, Vipps,
};

// scale (issue 12)
pub mod notifier;
pub use client::DEFAULT_MAX_IN_FLIGHT;
pub use notifier::Notifier;
