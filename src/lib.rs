//! A Rust client for the Identisure v3 eID API: Swedish BankID, Freja eID,
//! Norwegian BankID, Vipps MobilePay, Danish MitID and the Finnish Trust
//! Network, behind one HTTP API.
//!
//! ```no_run
//! use identisure::providers::bankid_se::AuthRequest;
//! use identisure::{Client, Outcome, WaitOptions, qr::BankIdQr};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?;
//! let login = client.bankid_se().auth(AuthRequest::default().intent("Log in to Example")).await?;
//! let qr = BankIdQr::from_pending(login.pending(), std::time::Instant::now())?;
//! println!("show this QR code (a new frame every second): {}", qr.current());
//! match login.wait(WaitOptions::default()).await? {
//!     Outcome::Completed(person) => println!("hello {}", person.name.as_deref().unwrap_or_default()),
//!     Outcome::Failed { code, .. } => println!("not logged in: {code}"),
//! }
//! # Ok(()) }
//! ```
//!
//! The README (on crates.io and in the repository) has the recipes: a QR
//! login on a page of your own (the crate `identisure-web`), signing by personal number, age
//! checks, verified callbacks in axum, resuming a session by id, testing
//! against the simulator (the crate `identisure-simulator`), and which
//! features to enable.
//!
//! # API concepts
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
//! **Errors.** Every call returns [`Result`] with one [`Error`] enum, whose
//! text says what happened and what to do: a bad configuration is refused
//! when the client is built ([`Error::Config`] names the setting or
//! environment variable), an invalid request field before sending
//! ([`Error::InvalidRequest`] names the field and the rule); HTTP answers map
//! to variants ([`Error::Unauthorized`], [`Error::SessionNotFound`] naming
//! the session, [`Error::EndpointNotFound`] for a URL that does not exist
//! (a wrong base URL), [`Error::AlreadyInProgress`], [`Error::RateLimited`],
//! [`Error::Api`]); a request without an answer is [`Error::Transport`]
//! (its [`TransportKind`], the method and URL, the underlying error as its
//! `source`); odd answers become [`Error::Decode`] or
//! [`Error::UnknownStatus`]. The QR helpers' errors convert into it too.
//! [`Error::is_retryable`] tells which may succeed later. Personal numbers,
//! the rest of a person's data, the secret key and the QR secret never
//! appear in `Debug`, `Display`, logs or errors ([`PersonalNumber`],
//! [`PersonalText`], [`QrStartSecret`], [`SecretKey`]): logging a completed
//! session with `{:?}` is safe, and `person.name.as_deref()` reads a name.
//!
#![cfg_attr(docsrs, feature(doc_cfg))]
// Missing docs on a public item fail the build (generated code in `raw`
// allows them there).
#![deny(missing_docs)]

// The modules by layer, from the bottom: each imports only modules of the
// layers below it (so the core has no import cycle).

// 1. Leaves, importing no module of the crate (the error type only the QR
//    helpers' error types, to convert them): the error type, redaction,
//    the hand-written wire types, the table of flows and the collect limit,
//    callback signatures, the server loop of the simulator and web demo.
pub mod callback;
mod error;
pub mod operations;
mod sensitive;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod serve;
mod wire;

// 2. Over the leaves: the API's codes, how answers map into errors, the
//    generated client (`openapi.yaml` → `build.rs` → `OUT_DIR/codegen.rs`)
//    and its hooks (bound, cap, span, error bodies), national identity
//    numbers, the wake-ups of waiting tasks, the callback notifier.
mod codes;
mod decode;
mod hooks;
pub mod national_id;
pub mod notifier;
pub mod raw;
mod wakeup;

// 3. Reading and checking: the states of a session, request rules and the
//    request builders generated from the spec, QR codes.
pub mod qr;
mod requests;
mod state;
mod validate;

// 4. Sending: every call of the layer by its generated method (which one:
//    `OUT_DIR/calls.rs`) and its errors mapped, then the client that owns
//    the generated clients; app links.
mod client;
pub mod launch;
mod transport;

// 5. Sessions: the polling engine, the handles above it, the provider APIs
//    (and any flow by name, JSON in and out); the user-facing messages.
pub mod flow;
pub mod messages;
mod poll;
pub mod providers;
mod session;

// 6. Built on all of it: the blocking client. (The web login is the crate
//    identisure-web, the simulator identisure-simulator, the command
//    identisure-cli: each uses only the public API.)
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;

pub use client::{
    Client, ClientBuilder, CollectLimit, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_RESPONSE_BYTES,
    Environment, SecretKey,
};
pub use codes::{FailureCode, HintCode};
pub use error::{Error, Result, TransportKind};
pub use notifier::Notifier;
pub use operations::{MIN_COLLECT_INTERVAL, Provider};
pub use poll::WaitOptions;
pub use sensitive::{EmptyPersonalNumber, PersonalNumber, PersonalText, QrStartSecret};
pub use session::{Session, Started};
pub use state::{
    AgeVerification, BankIdNo, BankIdSe, Family, Freja, Ftn, MitId, Outcome, State, Vipps,
};
pub use transport::{USER_AGENT, http_client_builder};
pub use wire::CallInitiator;

/// The README's code, compiled and run as doc-tests (the recipes use the
/// dev-dependencies identisure-web and identisure-simulator).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
