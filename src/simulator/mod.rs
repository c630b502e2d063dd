//! A stateful simulator of the whole Identisure v3 API (feature `simulator`),
//! for tests and demos without credentials or network: think stripe-mock,
//! but sessions progress, expire, get cancelled and call you back.
//!
//! - All 55 operations of `openapi.yaml`. Request bodies are decoded by the
//!   same generated types the client uses ([`crate::raw::types`]), so the
//!   spec's constraints are enforced by one piece of code; a violation answers
//!   400 `{"message": "<field>: <rule>"}`. Malformed JSON (400), oversized
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
//! Hint codes appear only in BankID SE sessions. Any other valid number
//! completes with that number as the default person of its country:
//! Astrid Lindqvist (SE, `198704122384`), Ingrid Haugen (NO, `18039040049`,
//! BankID NO and Vipps), Mette Sørensen (DK, `240991-1238`, MitID), Aino
//! Virtanen (FI, `230586-264K`, FTN). A number with a wrong check digit
//! answers 400. Age verification compares the person's [`TestPerson::age`]
//! with `minAge..=maxAge`. BankID SE `verify` knows one ID card,
//! [`VERIFY_QR_CODE`] (Astrid Lindqvist); any other code answers 400.
//!
//! # Example
//!
//! ```
//! use identisure::simulator::{Simulator, Timing};
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
mod callbacks;
mod clock;
mod decode;
mod error;
mod flows;
mod ids;
mod people;
mod render;
mod routes;
mod scenario;
mod store;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

pub use people::{TestPerson, test_persons};
pub use scenario::{TestIdentity, test_identities};

use store::{State, Store};

/// Account id of the demo account, used when no account is configured.
///
/// ```
/// assert_eq!(identisure::simulator::DEMO_ACCOUNT_ID, "demo");
/// ```
pub const DEMO_ACCOUNT_ID: &str = "demo";

/// Secret key of the demo account, used when no account is configured.
///
/// ```
/// assert_eq!(identisure::simulator::DEMO_SECRET_KEY, "demo-secret");
/// ```
pub const DEMO_SECRET_KEY: &str = "demo-secret";

/// The content of the one BankID digital ID card QR code that
/// `POST /v3/bankid-se/verify` accepts; it verifies as Astrid Lindqvist.
///
/// ```
/// assert!(identisure::simulator::VERIFY_QR_CODE.starts_with("bankid-idcard"));
/// ```
pub const VERIFY_QR_CODE: &str = "bankid-idcard.sim.1.8f2c0a9e4b7d4d2fa1c3e5b7d9f1a3c5";

/// How collects are rate-limited: at most one answered collect per second,
/// per session (the default, our reading of the documentation) or per
/// account (the stricter reading). A faster collect answers 429 with
/// `Retry-After: 1`.
///
/// ```
/// use identisure::simulator::{RateLimit, Simulator};
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

/// How fast sessions move. Tests use short steps; the 1 s collect rule stays.
///
/// ```
/// use identisure::simulator::Timing;
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

/// Configures a [`Simulator`].
///
/// ```
/// use identisure::simulator::{RateLimit, Simulator, Timing};
///
/// let sim = Simulator::builder()
///     .account("acct-1", "secret-1")
///     .account("acct-2", "secret-2")
///     .seed(7)
///     .timing(Timing::default())
///     .rate_limit(RateLimit::PerSession)
///     .max_body_bytes(64 * 1024)
///     .max_document_bytes(1024 * 1024)
///     .build();
/// assert_eq!(sim.rate_limit_violations(), 0);
/// ```
#[derive(Default)]
pub struct SimulatorBuilder {
    accounts: Vec<(String, String)>,
    seed: Option<u64>,
    timing: Timing,
    rate_limit: RateLimit,
    max_body: Option<usize>,
    max_document: Option<usize>,
    log_requests: bool,
}

impl std::fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorBuilder")
            .field(
                "accounts",
                &self.accounts.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("seed", &self.seed)
            .field("timing", &self.timing)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl SimulatorBuilder {
    /// Adds an account (id and secret key). Without any, the demo account
    /// ([`DEMO_ACCOUNT_ID`] / [`DEMO_SECRET_KEY`]) is used.
    ///
    /// ```
    /// let _sim = identisure::simulator::Simulator::builder().account("id", "secret").build();
    /// ```
    pub fn account(mut self, id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        self.accounts.push((id.into(), secret_key.into()));
        self
    }

    /// Seeds the generator of ids and tokens: the same seed and the same
    /// requests give the same answers. Without a seed, they are random.
    ///
    /// ```
    /// let _sim = identisure::simulator::Simulator::builder().seed(42).build();
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets how fast sessions move (see [`Timing`]).
    ///
    /// ```
    /// use identisure::simulator::{Simulator, Timing};
    /// let _sim = Simulator::builder().timing(Timing::default()).build();
    /// ```
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Sets the collect rate limit (see [`RateLimit`]).
    ///
    /// ```
    /// use identisure::simulator::{RateLimit, Simulator};
    /// let _sim = Simulator::builder().rate_limit(RateLimit::PerAccount).build();
    /// ```
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Largest JSON request body accepted (default 1 MiB); larger answers 413.
    ///
    /// ```
    /// let _sim = identisure::simulator::Simulator::builder().max_body_bytes(4096).build();
    /// ```
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// Largest PDF accepted by the document upload (default 10 MiB); larger
    /// answers 413.
    ///
    /// ```
    /// let _sim = identisure::simulator::Simulator::builder().max_document_bytes(1 << 20).build();
    /// ```
    pub fn max_document_bytes(mut self, bytes: usize) -> Self {
        self.max_document = Some(bytes);
        self
    }

    /// Prints one line per request on stderr (`POST /v3/bankid-se/auth -> 201`),
    /// for a standalone simulator. Off by default. Paths carry session ids
    /// only, never personal data.
    ///
    /// ```
    /// let _sim = identisure::simulator::Simulator::builder().log_requests(true).build();
    /// ```
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Builds the simulator; serve it with [`Simulator::spawn`],
    /// [`Simulator::spawn_local`] or [`Simulator::serve`].
    ///
    /// ```
    /// let sim = identisure::simulator::Simulator::builder().build();
    /// assert_eq!(sim.account_ids(), vec!["demo".to_string()]);
    /// ```
    pub fn build(self) -> Simulator {
        let accounts = if self.accounts.is_empty() {
            vec![(DEMO_ACCOUNT_ID.to_string(), DEMO_SECRET_KEY.to_string())]
        } else {
            self.accounts
        };
        let rng = match self.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => rand::make_rng::<StdRng>(),
        };
        Simulator {
            shared: Arc::new(Shared {
                accounts,
                timing: self.timing,
                rate_limit: self.rate_limit,
                max_body: self.max_body.unwrap_or(1 << 20),
                max_document: self.max_document.unwrap_or(10 << 20),
                log_requests: self.log_requests,
                store: Mutex::new(Store::new(rng)),
                violations: AtomicU64::new(0),
                base_url: OnceLock::new(),
                http: OnceLock::new(),
                runtime: OnceLock::new(),
            }),
        }
    }
}

/// State shared by the server tasks and the handles.
pub(crate) struct Shared {
    pub(crate) accounts: Vec<(String, String)>,
    pub(crate) timing: Timing,
    pub(crate) rate_limit: RateLimit,
    pub(crate) max_body: usize,
    pub(crate) max_document: usize,
    pub(crate) log_requests: bool,
    pub(crate) store: Mutex<Store>,
    pub(crate) violations: AtomicU64,
    pub(crate) base_url: OnceLock<String>,
    http: OnceLock<Option<reqwest::Client>>,
    /// The runtime the server runs on: callbacks are sent there, also when
    /// `complete_now` is called from outside it.
    runtime: OnceLock<tokio::runtime::Handle>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere must not take the simulator down with it.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map_or("http://127.0.0.1", String::as_str)
    }

    fn secret_of(&self, account: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|(id, _)| id == account)
            .map(|(_, s)| s.as_str())
    }

    /// Callbacks due for the sessions in `ended` (those with a callbackUrl).
    pub(crate) fn deliveries(
        &self,
        store: &Store,
        ended: &[String],
        now: Instant,
    ) -> Vec<callbacks::Delivery> {
        ended
            .iter()
            .filter_map(|id| store.sessions.get(id))
            .filter_map(|s| {
                let url = s.params.callback_url.clone()?;
                let secret = self.secret_of(&s.account)?;
                let json = render::session(s, now, &self.timing, self.base_url());
                let body = serde_json::to_vec(&json).ok()?;
                let signature = callbacks::sign(secret, &body);
                Some(callbacks::Delivery {
                    url,
                    body,
                    signature,
                })
            })
            .collect()
    }

    /// Sends callbacks in the background (needs a tokio runtime).
    pub(crate) fn send(&self, deliveries: Vec<callbacks::Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let runtime = match self.runtime.get() {
            Some(handle) => handle.clone(),
            None => match tokio::runtime::Handle::try_current() {
                Ok(handle) => handle,
                // Not served yet and not inside a runtime: nowhere to send from.
                Err(_) => return,
            },
        };
        let http = self
            .http
            .get_or_init(|| crate::http_client_builder().build().ok());
        let Some(http) = http else { return };
        for d in deliveries {
            callbacks::spawn(&runtime, http.clone(), d, self.timing.callback_backoff);
        }
    }

    /// One pass of the clock: advance, deliver callbacks, forget old sessions.
    fn tick(&self) {
        let now = Instant::now();
        let deliveries = {
            let mut store = self.lock();
            let ended = store.advance_all(now, &self.timing);
            store.purge(now, self.timing.retention);
            self.deliveries(&store, &ended, now)
        };
        self.send(deliveries);
    }
}

/// The simulator: configure with [`Simulator::builder`], then serve it.
/// Cloning gives another handle on the same sessions.
///
/// ```
/// use identisure::simulator::Simulator;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let running = Simulator::new().spawn_local().await?;
/// assert!(running.url().starts_with("http://127.0.0.1:"));
/// running.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("accounts", &self.account_ids())
            .field("timing", &self.shared.timing)
            .field("rate_limit", &self.shared.rate_limit)
            .finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// A builder with the defaults: the demo account, random ids, 1 s steps,
    /// per-session rate limit.
    ///
    /// ```
    /// let sim = identisure::simulator::Simulator::builder().seed(1).build();
    /// # let _ = sim;
    /// ```
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// A simulator with all defaults (the demo account).
    ///
    /// ```
    /// let sim = identisure::simulator::Simulator::new();
    /// assert_eq!(sim.account_ids(), vec!["demo".to_string()]);
    /// ```
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// The configured account ids (never the secrets).
    ///
    /// ```
    /// let sim = identisure::simulator::Simulator::builder().account("a", "s").build();
    /// assert_eq!(sim.account_ids(), vec!["a".to_string()]);
    /// ```
    pub fn account_ids(&self) -> Vec<String> {
        self.shared
            .accounts
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// How many collects were answered 429 so far: a well-behaved client
    /// keeps this at 0.
    ///
    /// ```
    /// assert_eq!(identisure::simulator::Simulator::new().rate_limit_violations(), 0);
    /// ```
    pub fn rate_limit_violations(&self) -> u64 {
        self.shared.violations.load(Ordering::Relaxed)
    }

    /// Completes a pending session right now, whatever its scenario, and
    /// returns the instant it completed (for latency measurements); `None`
    /// when no pending session has this id. Its callback is sent.
    ///
    /// ```
    /// let sim = identisure::simulator::Simulator::new();
    /// assert!(sim.complete_now("no-such-session").is_none());
    /// ```
    pub fn complete_now(&self, session_id: &str) -> Option<Instant> {
        let now = Instant::now();
        let deliveries = {
            let mut store = self.shared.lock();
            let session = store.sessions.get_mut(session_id)?;
            session.advance(now, &self.shared.timing);
            if !session.end(State::Completed { at: now }) {
                return None;
            }
            self.shared
                .deliveries(&store, &[session_id.to_string()], now)
        };
        self.shared.send(deliveries);
        Some(now)
    }

    /// When each collect of a session arrived (including those answered
    /// 429), oldest first; empty for an unknown id.
    ///
    /// ```
    /// assert!(identisure::simulator::Simulator::new().collect_log("x").is_empty());
    /// ```
    pub fn collect_log(&self, session_id: &str) -> Vec<Instant> {
        self.shared
            .lock()
            .sessions
            .get(session_id)
            .map(|s| s.collects.clone())
            .unwrap_or_default()
    }

    /// The axum router of the API, for embedding in your own server. The
    /// approval page URLs and session progress need [`Simulator::spawn`] or
    /// [`Simulator::serve`]; prefer those.
    ///
    /// ```
    /// let _router: axum::Router = identisure::simulator::Simulator::new().router();
    /// ```
    pub fn router(&self) -> axum::Router {
        routes::router(self.shared.clone())
    }

    /// Binds `addr` and serves in a background task (needs a tokio runtime);
    /// the handle tells the URL and stops the server.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = identisure::simulator::Simulator::new().spawn("127.0.0.1:0").await?;
    /// assert_eq!(running.url(), format!("http://{}", running.addr()));
    /// running.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn(
        self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<RunningSimulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let url = format!("http://{local}");
        let _ = self.shared.base_url.set(url.clone());
        let _ = self.shared.runtime.set(tokio::runtime::Handle::current());
        let ticker = self.spawn_ticker();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let router = self.router();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await
        });
        Ok(RunningSimulator {
            simulator: self,
            addr: local,
            url,
            stop: Some(stop_tx),
            server: Some(server),
            ticker,
        })
    }

    /// Serves on a free port of 127.0.0.1 in a background task: the usual
    /// start of a test.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = identisure::simulator::Simulator::new().spawn_local().await?;
    /// assert!(running.addr().ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn_local(self) -> std::io::Result<RunningSimulator> {
        self.spawn(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` and serves until `shutdown` resolves (e.g.
    /// `tokio::signal::ctrl_c()`), in the current task.
    ///
    /// ```no_run
    /// # #[tokio::main]
    /// # async fn main() -> std::io::Result<()> {
    /// identisure::simulator::Simulator::new()
    ///     .serve("127.0.0.1:7878", async { let _ = tokio::signal::ctrl_c().await; })
    ///     .await
    /// # }
    /// ```
    pub async fn serve(
        self,
        addr: impl tokio::net::ToSocketAddrs,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let _ = self
            .shared
            .base_url
            .set(format!("http://{}", listener.local_addr()?));
        let _ = self.shared.runtime.set(tokio::runtime::Handle::current());
        let ticker = self.spawn_ticker();
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await;
        ticker.abort();
        result
    }

    fn spawn_ticker(&self) -> tokio::task::JoinHandle<()> {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(20));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                shared.tick();
            }
        })
    }
}

/// A simulator serving in the background. Dereferences to [`Simulator`]
/// (for [`Simulator::complete_now`] and friends); dropping it stops the
/// server, [`RunningSimulator::shutdown`] stops it gracefully.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let running = identisure::simulator::Simulator::new().spawn_local().await?;
/// assert_eq!(running.rate_limit_violations(), 0);
/// assert!(running.approval_url("abc").ends_with("/sim/approve/abc"));
/// running.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct RunningSimulator {
    simulator: Simulator,
    addr: SocketAddr,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("url", &self.url)
            .field("simulator", &self.simulator)
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = identisure::simulator::Simulator::new().spawn_local().await?;
    /// assert!(!running.url().ends_with('/'));
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address it listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = identisure::simulator::Simulator::new().spawn_local().await?;
    /// assert_ne!(running.addr().port(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The approval page of a session (what redirect flows return as `url`;
    /// for QR flows, open it yourself to approve a `manual` session).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = identisure::simulator::Simulator::new().spawn_local().await?;
    /// assert_eq!(running.approval_url("id-1"), format!("{}/sim/approve/id-1", running.url()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn approval_url(&self, session_id: &str) -> String {
        render::approval_url(&self.url, session_id)
    }

    /// The simulator behind this server.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = identisure::simulator::Simulator::new().spawn_local().await?;
    /// let sim = running.simulator().clone();
    /// assert_eq!(sim.rate_limit_violations(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Stops accepting connections, lets running requests finish, and stops
    /// the session clock.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// identisure::simulator::Simulator::new().spawn_local().await?.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.ticker.abort();
    }
}

impl std::ops::Deref for RunningSimulator {
    type Target = Simulator;
    fn deref(&self) -> &Simulator {
        &self.simulator
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.ticker.abort();
    }
}
