//! Serving a simulator: in the background for tests, or until a signal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::store::State;
use super::{Shared, SimulatorBuilder, render, routes};

/// The simulator: configure with [`Simulator::builder`], then serve it.
/// Cloning gives another handle on the same sessions.
///
/// ```
/// use identisure_simulator::Simulator;
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
    pub(crate) shared: Arc<Shared>,
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
    /// let sim = identisure_simulator::Simulator::builder().seed(1).build();
    /// # let _ = sim;
    /// ```
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// A simulator with all defaults (the demo account).
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::new();
    /// assert_eq!(sim.account_ids(), vec!["demo".to_string()]);
    /// ```
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// The configured account ids (never the secrets).
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::builder().account("a", "s").build();
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
    /// assert_eq!(identisure_simulator::Simulator::new().rate_limit_violations(), 0);
    /// ```
    pub fn rate_limit_violations(&self) -> u64 {
        self.shared.violations.load(Ordering::Relaxed)
    }

    /// How many sessions the simulator holds: those in progress and those
    /// ended less than [`Timing::retention`](super::Timing::retention) ago.
    /// Counting them before and after shows whether a request started one.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::Simulator::new().session_count(), 0);
    /// ```
    pub fn session_count(&self) -> usize {
        self.shared.lock().sessions.len()
    }

    /// The latest warnings (oldest first, at most 256): requests the
    /// simulator accepted although they broke a rule of its own that the
    /// API document does not state, e.g. a personal number with a wrong
    /// check digit. They never contain personal data.
    ///
    /// ```
    /// assert!(identisure_simulator::Simulator::new().warnings().is_empty());
    /// ```
    pub fn warnings(&self) -> Vec<String> {
        self.shared
            .warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Completes a pending session right now, whatever its scenario, and
    /// returns the instant it completed (for latency measurements); `None`
    /// when no pending session has this id. Its callback is sent.
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::new();
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

    /// The user's phone scans `qr_code`, the content of the QR code shown (a
    /// BankID frame computed from the session's `qrStartSecret`, or Freja's
    /// `qrData`), as `POST /sim/scan` does: the session's id, or why the app
    /// would refuse the code (a stale frame, a wrong HMAC …). A session of
    /// a simulator that requires the user
    /// ([`SimulatorBuilder::require_user`](super::SimulatorBuilder::require_user))
    /// only progresses after this.
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::builder().require_user(true).build();
    /// let refused = sim.scan("bankid.no-such-order.0.00").unwrap_err();
    /// assert_eq!(refused, identisure_simulator::ScanRefused::Unknown);
    /// ```
    pub fn scan(&self, qr_code: &str) -> Result<String, super::ScanRefused> {
        self.shared
            .lock()
            .scan(super::store::Scan::QrCode(qr_code), Instant::now())
    }

    /// The app is opened on the same device with the session's
    /// `autoStartToken` (see [`Simulator::scan`]).
    ///
    /// ```
    /// let sim = identisure_simulator::Simulator::new();
    /// assert!(sim.open_autostart("no-such-token").is_err());
    /// ```
    pub fn open_autostart(&self, auto_start_token: &str) -> Result<String, super::ScanRefused> {
        self.shared.lock().scan(
            super::store::Scan::AutoStartToken(auto_start_token),
            Instant::now(),
        )
    }

    /// When each collect of a session arrived (including those answered
    /// 429), oldest first; empty for an unknown id.
    ///
    /// ```
    /// assert!(identisure_simulator::Simulator::new().collect_log("x").is_empty());
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
    /// let _router: axum::Router = identisure_simulator::Simulator::new().router();
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
    /// let running = identisure_simulator::Simulator::new().spawn("127.0.0.1:0").await?;
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
        let server = tokio::spawn(identisure::serve::serve(listener, router, async move {
            let _ = stop_rx.await;
        }));
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
    /// let running = identisure_simulator::Simulator::new().spawn_local().await?;
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
    /// identisure_simulator::Simulator::new()
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
        let result = identisure::serve::serve(listener, self.router(), shutdown).await;
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
/// let running = identisure_simulator::Simulator::new().spawn_local().await?;
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
    /// let running = identisure_simulator::Simulator::new().spawn_local().await?;
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
    /// let running = identisure_simulator::Simulator::new().spawn_local().await?;
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
    /// let running = identisure_simulator::Simulator::new().spawn_local().await?;
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
    /// let running = identisure_simulator::Simulator::new().spawn_local().await?;
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
    /// identisure_simulator::Simulator::new().spawn_local().await?.shutdown().await;
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
