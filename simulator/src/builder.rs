//! Configuration of a simulator.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::store::Store;
use super::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RateLimit, Reading, Shared, Simulator, Timing};

/// Configures a [`Simulator`].
///
/// ```
/// use identisure_simulator::{RateLimit, Simulator, Timing};
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
    reading: Reading,
    require_user: bool,
    max_body: Option<usize>,
    max_document: Option<usize>,
    max_sessions: Option<usize>,
    max_stored_bytes: Option<usize>,
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
            .field("reading", &self.reading)
            .field("require_user", &self.require_user)
            .finish_non_exhaustive()
    }
}

impl SimulatorBuilder {
    /// Adds an account (id and secret key). Without any, the demo account
    /// ([`DEMO_ACCOUNT_ID`] / [`DEMO_SECRET_KEY`]) is used.
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().account("id", "secret").build();
    /// ```
    pub fn account(mut self, id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        self.accounts.push((id.into(), secret_key.into()));
        self
    }

    /// Seeds the generator of ids and tokens: the same seed and the same
    /// requests give the same answers. Without a seed, they are random.
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().seed(42).build();
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets how fast sessions move (see [`Timing`]).
    ///
    /// ```
    /// use identisure_simulator::{Simulator, Timing};
    /// let _sim = Simulator::builder().timing(Timing::default()).build();
    /// ```
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Sets the collect rate limit (see [`RateLimit`]).
    ///
    /// ```
    /// use identisure_simulator::{RateLimit, Simulator};
    /// let _sim = Simulator::builder().rate_limit(RateLimit::PerAccount).build();
    /// ```
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Makes sessions wait for the user, as production does (default off:
    /// sessions progress by themselves). A BankID SE or Freja session shown
    /// as a QR code (or opened with its autostart token) stays
    /// `outstandingTransaction` until the user's phone presents the code:
    /// `POST /sim/scan` with `{"qrCode": "<the frame shown>"}` or
    /// `{"autoStartToken": "…"}`, or [`Simulator::scan`] in Rust. The phone
    /// checks a BankID frame as the app does: its HMAC under the session's
    /// `qrStartSecret`, and its age (a frame more than 2 s old is stale).
    /// A redirect flow (Norwegian BankID, Vipps, MitID, FTN, age
    /// verification) waits until its `url` is opened and approved. Phone and
    /// backchannel starts reach the user's app directly and progress as before.
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::builder().require_user(true).build();
    /// # let _ = sim;
    /// ```
    pub fn require_user(mut self, on: bool) -> Self {
        self.require_user = on;
        self
    }

    /// Sets which reading of the API decides where the API document and the
    /// provider's clients disagree (see [`Reading`]; the document by default).
    ///
    /// ```
    /// use identisure_simulator::{Reading, Simulator};
    /// let _sim = Simulator::builder().reading(Reading::Clients).build();
    /// ```
    pub fn reading(mut self, reading: Reading) -> Self {
        self.reading = reading;
        self
    }

    /// Largest JSON request body accepted (default 1 MiB); larger answers 413.
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().max_body_bytes(4096).build();
    /// ```
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// Largest PDF accepted by the document upload (default 10 MiB); larger
    /// answers 413.
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().max_document_bytes(1 << 20).build();
    /// ```
    pub fn max_document_bytes(mut self, bytes: usize) -> Self {
        self.max_document = Some(bytes);
        self
    }

    /// At most this many sessions stored (in progress, or ended and kept
    /// for [`Timing::retention`](super::Timing::retention)); a start beyond
    /// answers 503 (default 200 000).
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().max_sessions(1000).build();
    /// ```
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = Some(sessions);
        self
    }

    /// At most this many bytes kept in all: uploaded PDFs and the text
    /// sessions remember from their start requests (texts to sign, URLs,
    /// references). A start or an upload beyond answers 503 (default
    /// 256 MiB). Both are forgotten [`Timing::retention`](super::Timing::retention)
    /// after their session ends or their upload.
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().max_stored_bytes(64 << 20).build();
    /// ```
    pub fn max_stored_bytes(mut self, bytes: usize) -> Self {
        self.max_stored_bytes = Some(bytes);
        self
    }

    /// Prints one line per request on stderr (`POST /v3/bankid-se/auth -> 201`),
    /// for a standalone simulator. Off by default. Paths carry session ids
    /// only, never personal data.
    ///
    /// ```
    /// let _sim = identisure_simulator::Simulator::builder().log_requests(true).build();
    /// ```
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Builds the simulator; serve it with [`Simulator::spawn`],
    /// [`Simulator::spawn_local`] or [`Simulator::serve`].
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::builder().build();
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
                reading: self.reading,
                require_user: self.require_user,
                warnings: Mutex::new(std::collections::VecDeque::new()),
                max_body: self.max_body.unwrap_or(1 << 20),
                max_document: self.max_document.unwrap_or(10 << 20),
                max_sessions: self.max_sessions.unwrap_or(200_000),
                max_stored_bytes: self.max_stored_bytes.unwrap_or(256 << 20),
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
