//! A stateful simulator of the whole Identisure v3 API (feature `simulator`),
//! for tests and demos without credentials or network: think stripe-mock,
//! but sessions progress, expire, get cancelled and call you back.
//!
//! - All 56 operations of `openapi.yaml`. Request bodies are decoded by the
//!   same generated types and rules the client sends them with, so the
//!   spec's constraints are enforced by one piece of code; a violation answers
//!   400 `{"message": "<field>: <rule>"}`. Where the API document and the
//!   provider's clients disagree, the recorded decisions decide ([`Reading`]).
//!   Rules of the simulator's own (check digits, phone formats, unknown
//!   fields) are only warnings ([`Simulator::warnings`]). Malformed JSON (400), oversized
//!   bodies (413), unknown paths (404) and wrong methods (405) answer JSON too.
//! - HTTP Basic auth against the configured accounts; by default the demo
//!   account [`DEMO_ACCOUNT_ID`] / [`DEMO_SECRET_KEY`] (`demo` / `demo-secret`).
//!   A session belongs to its account: other accounts get 404.
//! - Starts answer 201 with fresh UUID tokens (`qrStartToken`, `qrStartSecret`,
//!   `autoStartToken` for BankID SE; `qrData` + `autoStartToken` for Freja) or,
//!   for redirect flows, a `url` of the simulator's own approval page
//!   (`/sim/approve/{id}`, Approve and Cancel buttons).
//! - A session moves `outstandingTransaction` → `started` → `userSign` →
//!   COMPLETED, one [`Timing::step`] each (1 s by default), as a built-in
//!   [`TestPerson`] with a valid personnummer / fødselsnummer / CPR / HETU.
//! - Collecting one session twice within 1 s answers 429 with `Retry-After: 1`
//!   ([`RateLimit`]); violations are counted ([`Simulator::rate_limit_violations`]).
//! - Sessions expire after [`Timing::expire_after`] (FAILED, `SESSION_TIMEOUT`,
//!   hint `expiredTransaction`); DELETE cancels (204; FAILED, `CANCELLED`,
//!   hint `cancelled`). Ended sessions are forgotten after
//!   [`Timing::retention`] (then 404).
//! - Starting a second session for the same `ssn` (same account and provider)
//!   while one is pending answers 400 "already in progress" and ends the
//!   pending one with `CONFLICT` (hint `cancelled`), as BankID does.
//! - With `callbackUrl`, the final session JSON (the collect shape) is POSTed
//!   there with `X-Signature-SHA256` = base64(HMAC-SHA256(account secret, raw
//!   body)), tried up to 4 times with doubling backoff.
//! - Documents (`/document`, also at the official Rust client's
//!   `/v3/document`): upload a PDF (201 `{id, hash}`), download its bytes
//!   (`application/pdf`), delete it (204).
//! - Seeded ([`SimulatorBuilder::seed`]), every id and token repeats.
//!
//! # Test identities
//!
//! Choose an outcome with the `ssn` of a Swedish test identity (BankID SE,
//! Freja with `SWEDEN`) or, in any flow, with a `refId` of the form
//! `sim:<scenario>` (anything may follow after another `:`, e.g.
//! `sim:expire:order-17`; an unknown scenario name answers 400). The refId
//! wins when both are given. Failures happen where completion would have.
//!
//! | scenario (`refId`)         | Swedish test `ssn` | person          | outcome |
//! |----------------------------|--------------------|-----------------|---------|
//! | `sim:complete` (default)   | `198704122384`     | Astrid Lindqvist | COMPLETED after 3 steps |
//! | `sim:complete-2`           | `198808087020`     | Emma Strand     | COMPLETED after 3 steps |
//! | `sim:slow`                 | `199003154730`     | Johan Ek        | COMPLETED after 3 × `slow_factor` steps (a slow user) |
//! | `sim:manual`               | `197511086121`     | Karin Holm      | waits for Approve / Cancel on `/sim/approve/{id}` (or [`Simulator::complete_now`]) |
//! | `sim:user-cancel`          | `199206273840`     | Sara Nyberg     | FAILED `CANCELLED`, hint `userCancel` (the user cancels) |
//! | `sim:expire`               | `196812031570`     | Lars Åberg      | never answers: FAILED `SESSION_TIMEOUT`, hint `expiredTransaction` |
//! | `sim:auth-failed`          | `198110218263`     | Maria Lund      | FAILED `AUTH_FAILED`, hint `certificateErr` |
//! | `sim:invalid-id`           | `199505140492`     | Oskar Berg      | FAILED `INVALID_ID`, hint `startFailed` |
//! | `sim:conflict`             | `197909303658`     | Anders Wikström | FAILED `CONFLICT`, hint `cancelled` |
//! | `sim:internal-error`       | `198402292919`     | Per Dahl        | FAILED `INTERNAL_ERROR`, hint `startFailed` |
//! | `sim:unsupported-client`   | `199307175142`     | Linnea Sjöberg  | FAILED `UNSUPPORTED_CLIENT`, hint `startFailed` |
//!
//! Hint codes appear only in BankID SE sessions. Without a test identity a
//! session completes as the default person of its country: Astrid
//! Lindqvist (SE, `198704122384`), Ingrid Haugen (NO, `18039040049`,
//! BankID NO and Vipps), Mette Sørensen (DK, `240991-1238`, MitID), Aino
//! Virtanen (FI, `230586-264K`, FTN). A valid number that is no test person
//! completes as its own person (a name drawn from the number, its birth
//! date and age); a number with the shape of one but a wrong check digit or
//! date is accepted with a warning (the provider's test suites send such
//! numbers); a number without even the shape of one is refused naming
//! `ssn`. `refId` `sim:aged-<years>` completes as a person exactly that old
//! (for age checks on every bound). Age verification compares the person's
//! age with `minAge..=maxAge` (a bound left out is open). BankID SE `verify`
//! accepts any non-empty code: [`VERIFY_QR_CODE`] verifies as Astrid
//! Lindqvist, any other code as a Swedish test person chosen by the code
//! (the same code, the same person).
//!
//! With [`SimulatorBuilder::require_user`] sessions wait for the user as in
//! production: a QR session until its code is presented at `POST /sim/scan`
//! ([`Simulator::scan`]), a redirect flow until its page is approved.
//!
//! # Example
//!
//! ```
//! use identisure_simulator::{Simulator, Timing};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let sim = Simulator::builder()
//!     .account("my-account", "my-secret")
//!     .seed(42)
//!     .timing(Timing { step: Duration::from_millis(100), ..Timing::default() })
//!     .build()
//!     .spawn_local()
//!     .await?;
//! let answer = identisure::http_client_builder().build().unwrap()
//!     .post(format!("{}/v3/bankid-se/auth", sim.url()))
//!     .basic_auth("my-account", Some("my-secret"))
//!     .json(&serde_json::json!({ "refId": "sim:complete" }))
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(answer.status(), 201);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod approve;
mod builder;
mod callbacks;
mod clock;
mod decode;
mod error;
mod flows;
mod people;
mod render;
mod routes;
mod scenario;
mod server;
mod shared;
mod store;

use std::time::Duration;

pub use builder::SimulatorBuilder;
pub use people::{TestPerson, swedish_personal_number, test_persons};
pub use scenario::{TestIdentity, test_identities};
pub use server::{RunningSimulator, Simulator};
pub use store::ScanRefused;

use shared::Shared;

/// Account id of the demo account, used when no account is configured.
///
/// ```
/// assert_eq!(identisure_simulator::DEMO_ACCOUNT_ID, "demo");
/// ```
pub const DEMO_ACCOUNT_ID: &str = "demo";

/// Secret key of the demo account, used when no account is configured.
///
/// ```
/// assert_eq!(identisure_simulator::DEMO_SECRET_KEY, "demo-secret");
/// ```
pub const DEMO_SECRET_KEY: &str = "demo-secret";

/// The content of the one BankID digital ID card QR code that
/// `POST /v3/bankid-se/verify` accepts; it verifies as Astrid Lindqvist.
///
/// ```
/// assert!(identisure_simulator::VERIFY_QR_CODE.starts_with("bankid-idcard"));
/// ```
pub const VERIFY_QR_CODE: &str = "bankid-idcard.sim.1.8f2c0a9e4b7d4d2fa1c3e5b7d9f1a3c5";

/// How collects are rate-limited: at most one answered collect per second,
/// per session (the default, our reading of the documentation) or per
/// account (the stricter reading). A faster collect answers 429 with
/// `Retry-After: 1`.
///
/// ```
/// use identisure_simulator::{RateLimit, Simulator};
///
/// assert_eq!(RateLimit::default(), RateLimit::PerSession);
/// let _sim = Simulator::builder().rate_limit(RateLimit::PerAccount).build();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateLimit {
    /// One collect per second for each session.
    #[default]
    PerSession,
    /// One collect per second for each account, whatever the session.
    PerAccount,
}

/// Which reading of the API the simulator follows where the API document
/// and the provider's own clients disagree about what a request may hold.
///
/// The default follows the recorded decisions (MAINTAINING.md,
/// "Decisions"): the document decides where it speaks, unless all of the
/// provider's clients agree against it (Freja QR starts without
/// `ssn`/`country`, a Freja `country` outside the four Nordic ones); where
/// the clients disagree among themselves the document decides (`callInitiator`
/// written `user` is refused). [`Reading::Document`] is the document to the
/// letter; [`Reading::Clients`] accepts whatever any of the clients sends.
/// Checks of the simulator's own (check digits, phone formats, unknown
/// fields) never refuse in any reading: they are warnings
/// ([`Simulator::warnings`]).
///
/// ```
/// use identisure_simulator::{Reading, Simulator};
///
/// assert_eq!(Reading::default(), Reading::Decisions);
/// let _strict = Simulator::builder().reading(Reading::Document).build();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reading {
    /// The recorded decisions (the default): what the service accepts, as
    /// far as the document and the provider's clients tell.
    #[default]
    Decisions,
    /// The API document to the letter, where it is stricter than the clients.
    Document,
    /// Whatever any of the provider's clients sends.
    Clients,
}

/// How fast sessions move. Tests use short steps; the 1 s collect rule stays.
///
/// ```
/// use identisure_simulator::Timing;
/// use std::time::Duration;
///
/// let t = Timing { step: Duration::from_millis(100), ..Timing::default() };
/// assert_eq!(t.expire_after, Duration::from_secs(60));
/// assert_eq!(Timing::default().step, Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Time per hint code: a session completes after three steps.
    pub step: Duration,
    /// How many times slower the `slow` scenario is.
    pub slow_factor: u32,
    /// A session still pending this long after its start fails with
    /// `SESSION_TIMEOUT`.
    pub expire_after: Duration,
    /// How long an ended session stays readable; after that, 404.
    pub retention: Duration,
    /// Wait before retrying a failed callback (doubled each time).
    pub callback_backoff: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            step: Duration::from_secs(1),
            slow_factor: 5,
            expire_after: Duration::from_secs(60),
            retention: Duration::from_secs(600),
            callback_backoff: Duration::from_millis(500),
        }
    }
}
