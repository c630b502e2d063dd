//! Completion by signed callback: a [`Notifier`] that [`crate::Session::wait`]
//! and [`crate::Session::updates`] listen to.
//!
//! Give the notifier to the client ([`crate::ClientBuilder::notifier`]) and
//! hand it every callback your web server receives
//! ([`Notifier::deliver`], or the axum extractor [`NotifiedCallback`], or
//! the ready-made route [`Notifier::router`]). As soon as a **verified**
//! callback for a session arrives, a running `wait()` of that session ends
//! with the typed result from the callback body, without another collect.
//!
//! - Polling goes on as a fallback, at a slower cadence
//!   ([`NotifierBuilder::fallback_poll_interval`], default 5 s), so a lost
//!   callback still ends the wait. With a notifier, `wait()` sends its first
//!   collect only after that interval (the start already said PENDING).
//! - A callback that arrives before anyone waits on its session is kept for
//!   [`NotifierBuilder::keep_for`] (default 60 s), then dropped and counted
//!   as expired: callbacks of sessions nobody waits for expire.
//! - A callback whose signature is missing, malformed or wrong is dropped and
//!   counted ([`NotifierStats::rejected`]), never trusted.
//! - Only final states (COMPLETED, FAILED, or a status this crate does not
//!   know, which ends the wait with [`crate::Error::UnknownStatus`] as a
//!   collect would) end a wait; a PENDING callback is ignored.
//! - With [`NotifierBuilder::callback_url`], every start of the client that
//!   has no `callbackUrl` gets that one.
//!
//! With the `redis` feature, [`NotifierBuilder::connect_redis`] shares the
//! notifier between instances (see its documentation for what passes
//! through Redis and how long it stays there).
//!
//! ```
//! use identisure::Notifier;
//! use identisure::callback::{CallbackSecret, sign_callback};
//!
//! let secret = CallbackSecret::new("account-secret");
//! let notifier = Notifier::new(secret.clone());
//! let body = br#"{"id":"s1","status":"FAILED","error":"CANCELLED"}"#;
//! let delivered = notifier.deliver(body, Some(&sign_callback(&secret, body))).unwrap();
//! assert_eq!(delivered.session_id(), "s1");
//! // A forged callback is refused and counted.
//! assert!(notifier.deliver(body, Some(&sign_callback(&"other".into(), body))).is_err());
//! assert_eq!(notifier.stats().rejected, 1);
//! assert_eq!(notifier.stats().kept, 1);
//! ```
// Links to items of other features resolve on docs.rs (built with all of them).
#![cfg_attr(
    not(feature = "axum"),
    doc = "[`NotifiedCallback`]: https://docs.rs/identisure/latest/identisure/notifier/struct.NotifiedCallback.html"
)]
#![cfg_attr(
    not(feature = "axum"),
    doc = "[`Notifier::router`]: https://docs.rs/identisure/latest/identisure/notifier/struct.Notifier.html#method.router"
)]
#![cfg_attr(
    not(feature = "redis"),
    doc = "[`NotifierBuilder::connect_redis`]: https://docs.rs/identisure/latest/identisure/notifier/struct.NotifierBuilder.html#method.connect_redis"
)]

use std::borrow::Borrow;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A callback body: shared by the waits it ends (16 bytes where a `Bytes` is 32).
pub(crate) type Body = Arc<[u8]>;
use tokio::time::Instant;

use crate::callback::{CallbackError, CallbackSecret, verify_signature};
use crate::wakeup::Wakeups;

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisUnavailable;

#[cfg(feature = "axum")]
mod extract;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use extract::NotifiedCallback;

/// Default of [`NotifierBuilder::fallback_poll_interval`].
///
/// ```
/// assert_eq!(identisure::notifier::DEFAULT_FALLBACK_POLL_INTERVAL.as_secs(), 5);
/// ```
pub const DEFAULT_FALLBACK_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Default of [`NotifierBuilder::keep_for`].
///
/// ```
/// assert_eq!(identisure::notifier::DEFAULT_KEEP_FOR.as_secs(), 60);
/// ```
pub const DEFAULT_KEEP_FOR: Duration = Duration::from_secs(60);

/// Receives verified callbacks and ends the waits of their sessions.
/// Cheap to clone (one shared table).
///
/// ```
/// use identisure::{Client, Notifier};
/// let notifier = Notifier::new("account-secret".into());
/// let client = Client::builder().credentials("acct", "account-secret").notifier(notifier.clone()).build().unwrap();
/// assert!(client.notifier().is_some());
/// ```
#[derive(Clone)]
pub struct Notifier {
    pub(crate) shared: Arc<Shared>,
}

/// Configures a [`Notifier`].
///
/// ```
/// use std::time::Duration;
/// use identisure::Notifier;
///
/// let notifier = Notifier::builder("account-secret".into())
///     .fallback_poll_interval(Duration::from_secs(10))
///     .keep_for(Duration::from_secs(30))
///     .max_kept(10_000)
///     .callback_url("https://example.com/identisure/callback")
///     .unwrap()
///     .build();
/// assert_eq!(notifier.fallback_poll_interval(), Duration::from_secs(10));
/// ```
#[derive(Clone)]
pub struct NotifierBuilder {
    secret: CallbackSecret,
    fallback: Duration,
    keep_for: Duration,
    max_kept: usize,
    callback_url: Option<String>,
}

impl fmt::Debug for NotifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifierBuilder")
            .field("fallback", &self.fallback)
            .field("keep_for", &self.keep_for)
            .field("max_kept", &self.max_kept)
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}

impl NotifierBuilder {
    /// How often a waiting session is still collected while a notifier is
    /// configured (default 5 s; at least [`crate::MIN_COLLECT_INTERVAL`]).
    ///
    /// ```
    /// let n = identisure::Notifier::builder("k".into()).fallback_poll_interval(std::time::Duration::ZERO).build();
    /// assert_eq!(n.fallback_poll_interval(), identisure::MIN_COLLECT_INTERVAL);
    /// ```
    pub fn fallback_poll_interval(mut self, interval: Duration) -> Self {
        self.fallback = interval.max(crate::operations::MIN_COLLECT_INTERVAL);
        self
    }

    /// How long a callback is kept for a session nobody waits on yet
    /// (default 60 s). Also the TTL of the Redis key with the `redis`
    /// feature (at least one second there).
    ///
    /// ```
    /// let b = identisure::Notifier::builder("k".into()).keep_for(std::time::Duration::from_secs(5));
    /// # let _ = b;
    /// ```
    pub fn keep_for(mut self, keep: Duration) -> Self {
        self.keep_for = keep;
        self
    }

    /// At most this many callbacks are kept for sessions nobody waits on
    /// (default 100 000); beyond it the oldest are dropped (counted as
    /// expired).
    ///
    /// ```
    /// let b = identisure::Notifier::builder("k".into()).max_kept(1000);
    /// # let _ = b;
    /// ```
    pub fn max_kept(mut self, max: usize) -> Self {
        self.max_kept = max;
        self
    }

    /// Where the service should send callbacks: every start of a client
    /// using this notifier without a `callbackUrl` of its own gets this one.
    /// Refused ([`crate::Error::InvalidRequest`], field `callbackUrl`) unless
    /// it is an absolute http(s) URL.
    ///
    /// ```
    /// let err = identisure::Notifier::builder("k".into()).callback_url("not a url").unwrap_err();
    /// assert!(matches!(err, identisure::Error::InvalidRequest { ref field, .. } if field == "callbackUrl"));
    /// ```
    pub fn callback_url(mut self, url: impl Into<String>) -> crate::Result<Self> {
        let url = url.into();
        let ok = reqwest::Url::parse(&url)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !ok {
            return Err(crate::Error::invalid(
                "callbackUrl",
                "must be an absolute http(s) URL",
            ));
        }
        self.callback_url = Some(url);
        Ok(self)
    }

    /// Builds an in-process notifier (callbacks must reach this process).
    ///
    /// ```
    /// let n = identisure::Notifier::builder("k".into()).build();
    /// assert_eq!(n.stats().delivered, 0);
    /// ```
    pub fn build(self) -> Notifier {
        Notifier {
            shared: Arc::new(Shared {
                secret: self.secret,
                fallback: self.fallback,
                keep_for: self.keep_for,
                max_kept: self.max_kept,
                callback_url: self.callback_url,
                table: Mutex::new(Table::default()),
                delivered: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                expired: AtomicU64::new(0),
                #[cfg(feature = "redis")]
                redis: std::sync::OnceLock::new(),
            }),
        }
    }
}

/// Counters of a [`Notifier`].
///
/// ```
/// let stats = identisure::Notifier::new("k".into()).stats();
/// assert_eq!((stats.delivered, stats.rejected, stats.expired, stats.kept, stats.waiting), (0, 0, 0, 0, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NotifierStats {
    /// Verified final callbacks accepted (locally or through Redis).
    pub delivered: u64,
    /// Callbacks dropped because their signature was missing, malformed or
    /// wrong (or the signed body had no session id).
    pub rejected: u64,
    /// Callbacks dropped because nobody waited for them in time.
    pub expired: u64,
    /// Callbacks currently kept for sessions nobody waits on.
    pub kept: usize,
    /// Sessions currently waited on through this notifier.
    pub waiting: usize,
    /// With Redis: whether the subscription is up right now; `None` when the
    /// notifier has no Redis.
    pub redis_connected: Option<bool>,
    /// With Redis: how many times the subscription was re-established.
    pub redis_reconnects: u64,
}

/// What [`Notifier::deliver`] accepted.
///
/// ```
/// use identisure::callback::{CallbackSecret, sign_callback};
/// let secret = CallbackSecret::new("k");
/// let body = br#"{"id":"abc","status":"PENDING"}"#;
/// let d = identisure::Notifier::new(secret.clone()).deliver(body, Some(&sign_callback(&secret, body))).unwrap();
/// assert_eq!(d.session_id(), "abc");
/// assert!(!d.is_final());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    session_id: String,
    is_final: bool,
}

impl Delivered {
    /// The session the callback is about.
    ///
    /// ```
    /// # use identisure::callback::{CallbackSecret, sign_callback};
    /// # let s = CallbackSecret::new("k"); let b = br#"{"id":"x","status":"COMPLETED"}"#;
    /// let d = identisure::Notifier::new(s.clone()).deliver(b, Some(&sign_callback(&s, b))).unwrap();
    /// assert_eq!(d.session_id(), "x");
    /// ```
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Whether it ends the session (anything but PENDING); PENDING
    /// callbacks are accepted but end no wait.
    ///
    /// ```
    /// # use identisure::callback::{CallbackSecret, sign_callback};
    /// # let s = CallbackSecret::new("k"); let b = br#"{"id":"x","status":"COMPLETED"}"#;
    /// let d = identisure::Notifier::new(s.clone()).deliver(b, Some(&sign_callback(&s, b))).unwrap();
    /// assert!(d.is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        self.is_final
    }
}

/// A verified final callback: the raw body and its signature.
#[derive(Clone)]
pub(crate) struct Arrived {
    pub(crate) body: Body,
}

pub(crate) struct Shared {
    pub(crate) secret: CallbackSecret,
    pub(crate) fallback: Duration,
    pub(crate) keep_for: Duration,
    max_kept: usize,
    pub(crate) callback_url: Option<String>,
    table: Mutex<Table>,
    delivered: AtomicU64,
    pub(crate) rejected: AtomicU64,
    expired: AtomicU64,
    #[cfg(feature = "redis")]
    pub(crate) redis: std::sync::OnceLock<self::redis::Backend>,
}

#[derive(Default)]
struct Table {
    /// The slots of the sessions waited on or kept, found by session id
    /// (each slot holds its id: one copy, and an entry is one pointer).
    entries: HashSet<Entry>,
    /// Slots without waiters that hold a callback, by expiry (FIFO: the
    /// keep time is the same for all), with the keeping they were queued
    /// for (a slot waited on again and kept again has a newer one).
    kept: VecDeque<(Instant, u32, Arc<Slot>)>,
    kept_count: usize,
}

/// One session's final callback and the waits it wakes. Smaller than a
/// `tokio::sync::watch` channel (whose shared state holds nine `Notify`s):
/// a notifier may hold one per waiting session, 100,000 of them (with its
/// id, 128 bytes in the allocator).
struct Slot {
    id: Box<str>,
    state: Mutex<SlotState>,
    /// Woken when the callback arrives, and when a wait of the session is
    /// cancelled ([`Notifier::wake`]).
    wakeups: Wakeups,
}

#[derive(Default)]
struct SlotState {
    body: Option<Body>,
    /// The watches of it (changed under the table's lock).
    waiters: u32,
    /// Kept without waiters (changed under the table's lock).
    is_kept: bool,
    /// How many times it was kept: which queue item is current.
    keeping: u32,
}

impl Slot {
    fn new(id: &str, body: Option<Body>) -> Arc<Slot> {
        Arc::new(Slot {
            id: id.into(),
            state: Mutex::new(SlotState {
                body,
                ..SlotState::default()
            }),
            wakeups: Wakeups::default(),
        })
    }

    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn body(&self) -> Option<Body> {
        self.state().body.clone()
    }

    /// Stores the callback and wakes every wait; whether there was none before.
    fn set(&self, arrived: Arrived) -> bool {
        let first = self.state().body.replace(arrived.body).is_none();
        self.wakeups.wake_all();
        first
    }
}

/// A slot in the table, hashed and compared by its session id (so that the
/// table is looked up with a `&str`).
struct Entry(Arc<Slot>);

impl std::hash::Hash for Entry {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for Entry {}

impl Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        &self.0.id
    }
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("fallback_poll_interval", &self.shared.fallback)
            .field("keep_for", &self.shared.keep_for)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// An in-process notifier with the defaults, verifying with `secret`
    /// (the account's secret key).
    ///
    /// ```
    /// let n = identisure::Notifier::new("k".into());
    /// assert_eq!(n.fallback_poll_interval(), identisure::notifier::DEFAULT_FALLBACK_POLL_INTERVAL);
    /// ```
    pub fn new(secret: CallbackSecret) -> Notifier {
        Self::builder(secret).build()
    }

    /// Starts configuring a notifier.
    ///
    /// ```
    /// let n = identisure::Notifier::builder("k".into()).build();
    /// # let _ = n;
    /// ```
    pub fn builder(secret: CallbackSecret) -> NotifierBuilder {
        NotifierBuilder {
            secret,
            fallback: DEFAULT_FALLBACK_POLL_INTERVAL,
            keep_for: DEFAULT_KEEP_FOR,
            max_kept: 100_000,
            callback_url: None,
        }
    }

    /// The cadence of the polling fallback.
    ///
    /// ```
    /// assert_eq!(identisure::Notifier::new("k".into()).fallback_poll_interval().as_secs(), 5);
    /// ```
    pub fn fallback_poll_interval(&self) -> Duration {
        self.shared.fallback
    }

    /// The configured callback URL, if any.
    ///
    /// ```
    /// assert_eq!(identisure::Notifier::new("k".into()).callback_url(), None);
    /// ```
    pub fn callback_url(&self) -> Option<&str> {
        self.shared.callback_url.as_deref()
    }

    /// Hands a received callback to the notifier: the raw body bytes and the
    /// `X-Signature-SHA256` header (`None` when absent). The signature is
    /// checked on the raw bytes first (constant time); a refused callback
    /// is counted in [`NotifierStats::rejected`] and changes nothing.
    /// Answer the service `204` when this is `Ok`, `401` when
    /// [`CallbackError::is_unauthenticated`], `400` otherwise.
    ///
    /// With Redis, an accepted final callback is also published to the other
    /// instances (in the background; needs a tokio runtime).
    ///
    /// ```
    /// use identisure::Notifier;
    /// use identisure::callback::{CallbackError, CallbackSecret, sign_callback};
    ///
    /// let secret = CallbackSecret::new("k");
    /// let notifier = Notifier::new(secret.clone());
    /// assert_eq!(notifier.deliver(b"{}", None).unwrap_err(), CallbackError::MissingSignature);
    /// let body = br#"{"status":"COMPLETED"}"#;
    /// assert!(matches!(
    ///     notifier.deliver(body, Some(&sign_callback(&secret, body))),
    ///     Err(CallbackError::UndecodableBody { .. })
    /// ));
    /// assert_eq!(notifier.stats().rejected, 2);
    /// ```
    pub fn deliver(
        &self,
        raw_body: &[u8],
        signature: Option<&str>,
    ) -> Result<Delivered, CallbackError> {
        let delivered = self.shared.accept(raw_body, signature)?;
        #[cfg(feature = "redis")]
        if delivered.is_final
            && let Some(backend) = self.shared.redis.get()
        {
            backend.publish(
                &delivered.session_id,
                raw_body,
                signature.unwrap_or_default().trim(),
            );
        }
        Ok(delivered)
    }

    /// The counters.
    ///
    /// ```
    /// assert_eq!(identisure::Notifier::new("k".into()).stats().waiting, 0);
    /// ```
    pub fn stats(&self) -> NotifierStats {
        let now = Instant::now();
        let (kept, waiting) = {
            let mut table = self.shared.lock();
            self.shared.purge(&mut table, now);
            (
                table.kept_count,
                table.entries.len() - table.kept_count.min(table.entries.len()),
            )
        };
        #[allow(unused_mut)]
        let mut stats = NotifierStats {
            delivered: self.shared.delivered.load(Ordering::Relaxed),
            rejected: self.shared.rejected.load(Ordering::Relaxed),
            expired: self.shared.expired.load(Ordering::Relaxed),
            kept,
            waiting,
            redis_connected: None,
            redis_reconnects: 0,
        };
        #[cfg(feature = "redis")]
        if let Some(backend) = self.shared.redis.get() {
            stats.redis_connected = Some(backend.connected());
            stats.redis_reconnects = backend.reconnects();
        }
        stats
    }

    /// A router with one route, `POST path`, that delivers callbacks to this
    /// notifier and answers `204`, or `401`/`400` for a refused callback
    /// (feature `axum`). Merge it into your application's router.
    ///
    /// ```
    /// let notifier = identisure::Notifier::new("k".into());
    /// let app: axum::Router = notifier.router("/identisure/callback");
    /// # let _ = app;
    /// ```
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router(&self, path: &str) -> axum::Router {
        extract::router(self.clone(), path)
    }

    /// Registers interest in a session: the returned watch resolves when a
    /// final callback for it is (or was) delivered.
    pub(crate) fn watch(&self, session_id: &str) -> Watch {
        let now = Instant::now();
        let mut guard = self.shared.lock();
        let table = &mut *guard;
        self.shared.purge(table, now);
        let slot = match table.entries.get(session_id) {
            Some(entry) => entry.0.clone(),
            None => {
                let slot = Slot::new(session_id, None);
                table.entries.insert(Entry(slot.clone()));
                slot
            }
        };
        {
            let mut state = slot.state();
            state.waiters += 1;
            if std::mem::take(&mut state.is_kept) {
                // It was kept: now it is waited on (its queue item goes stale).
                table.kept_count -= 1;
            }
        }
        Watch {
            shared: self.shared.clone(),
            slot,
        }
    }

    /// Wakes the waits of a session (its cancel): they look at why.
    pub(crate) fn wake(&self, session_id: &str) {
        if let Some(entry) = self.shared.lock().entries.get(session_id) {
            entry.0.wakeups.wake_all();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Verifies, then records a final callback for its session.
    pub(crate) fn accept(
        &self,
        raw_body: &[u8],
        signature: Option<&str>,
    ) -> Result<Delivered, CallbackError> {
        if let Err(e) = verify_signature(&self.secret, signature, raw_body) {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "callback refused");
            return Err(e);
        }
        let (session_id, status) = match peek(raw_body) {
            Ok(p) => p,
            Err(e) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "signed callback without a session id");
                return Err(e);
            }
        };
        let is_final = status.as_deref() != Some("PENDING");
        if is_final {
            self.record(
                &session_id,
                Arrived {
                    body: Body::from(raw_body),
                },
                true,
            );
        }
        tracing::debug!(session_id = %session_id, is_final, "callback accepted");
        Ok(Delivered {
            session_id,
            is_final,
        })
    }

    /// Stores a verified final callback. `keep` false: only for sessions
    /// waited on here (callbacks relayed through Redis).
    pub(crate) fn record(&self, session_id: &str, arrived: Arrived, keep: bool) {
        let now = Instant::now();
        let mut guard = self.lock();
        let table = &mut *guard;
        self.purge(table, now);
        if let Some(entry) = table.entries.get(session_id) {
            if entry.0.set(arrived) {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        if !keep || self.max_kept == 0 {
            return;
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        let slot = Slot::new(session_id, Some(arrived.body));
        table.entries.insert(Entry(slot.clone()));
        self.keep(table, slot, now);
        while table.kept_count > self.max_kept {
            if !self.drop_oldest(table) {
                break;
            }
        }
    }

    /// The sessions waited on here that have no callback yet.
    #[cfg(feature = "redis")]
    pub(crate) fn waited_ids(&self) -> Vec<String> {
        self.lock()
            .entries
            .iter()
            .filter(|e| {
                let state = e.0.state();
                state.waiters > 0 && state.body.is_none()
            })
            .map(|e| e.0.id.to_string())
            .collect()
    }

    /// Queues a slot without waiters that holds a callback for expiry.
    fn keep(&self, table: &mut Table, slot: Arc<Slot>, now: Instant) {
        let keeping = {
            let mut state = slot.state();
            state.is_kept = true;
            state.keeping = state.keeping.wrapping_add(1);
            state.keeping
        };
        table.kept.push_back((now + self.keep_for, keeping, slot));
        table.kept_count += 1;
    }

    /// Drops kept callbacks whose time is up.
    fn purge(&self, table: &mut Table, now: Instant) {
        while table.kept.front().is_some_and(|(at, _, _)| *at <= now) {
            self.drop_oldest(table);
        }
    }

    /// Drops the front of the queue if it is still a kept entry.
    fn drop_oldest(&self, table: &mut Table) -> bool {
        let Some((_, keeping, slot)) = table.kept.pop_front() else {
            return false;
        };
        let current = {
            let state = slot.state();
            state.is_kept && state.keeping == keeping && state.waiters == 0
        };
        if current {
            remove(table, &slot);
            table.kept_count -= 1;
            self.expired.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
}

/// Removes `slot` from the table (if it is still the one for its id).
fn remove(table: &mut Table, slot: &Arc<Slot>) {
    if table
        .entries
        .get(&*slot.id)
        .is_some_and(|entry| Arc::ptr_eq(&entry.0, slot))
    {
        table.entries.remove(&*slot.id);
    }
}

/// The `id` and `status` of a signed body.
fn peek(raw_body: &[u8]) -> Result<(String, Option<String>), CallbackError> {
    #[derive(serde::Deserialize)]
    struct Peek {
        id: String,
        status: Option<serde_json::Value>,
    }
    let p: Peek = serde_json::from_slice(raw_body).map_err(|e| CallbackError::UndecodableBody {
        category: match e.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        },
        line: e.line(),
        column: e.column(),
    })?;
    if p.id.is_empty() {
        return Err(CallbackError::UndecodableBody {
            category: "data",
            line: 1,
            column: 1,
        });
    }
    Ok((p.id, p.status.and_then(|s| s.as_str().map(str::to_owned))))
}

/// Interest of one wait in one session; dropping it withdraws the interest.
pub(crate) struct Watch {
    shared: Arc<Shared>,
    slot: Arc<Slot>,
}

impl Watch {
    /// With Redis, looks up a callback that reached another instance before
    /// this watch was made (it is in a short-lived key); nothing without.
    /// Call once, before waiting.
    pub(crate) async fn look_up(&self) {
        #[cfg(feature = "redis")]
        if self.slot.body().is_none()
            && let Some(backend) = self.shared.redis.get()
        {
            // Boxed: once per wait, and no room in a waiting future.
            Box::pin(backend.look_up(&self.shared, &self.slot.id)).await;
        }
    }

    /// The raw body of the final callback, if one was delivered.
    pub(crate) fn body(&self) -> Option<Body> {
        self.slot.body()
    }

    /// Woken when the callback arrives or a wait of the session is
    /// cancelled (wake-ups without either happen: look again).
    pub(crate) fn wakeups(&self) -> &Wakeups {
        &self.slot.wakeups
    }

    /// The raw body of the final callback, once one was delivered (after
    /// [`Watch::look_up`]). Cancel-safe.
    pub(crate) async fn arrived(&self) -> Body {
        self.slot.wakeups.until(|| self.slot.body()).await
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut guard = self.shared.lock();
        let table = &mut *guard;
        let has_callback = {
            let mut state = self.slot.state();
            state.waiters = state.waiters.saturating_sub(1);
            if state.waiters > 0 {
                return;
            }
            state.body.is_some()
        };
        if has_callback && self.shared.max_kept > 0 {
            // Another wait of the same session may still come: keep it.
            self.shared.keep(table, self.slot.clone(), now);
        } else {
            remove(table, &self.slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::sign_callback;
    use crate::wakeup::tests::counter;

    fn signed(secret: &CallbackSecret, id: &str, status: &str) -> (Vec<u8>, String) {
        let body = format!(r#"{{"id":"{id}","status":"{status}","error":"CANCELLED"}}"#);
        let sig = sign_callback(secret, body.as_bytes());
        (body.into_bytes(), sig)
    }

    #[tokio::test]
    async fn a_kept_callback_ends_a_later_watch() {
        let secret = CallbackSecret::new("k");
        let n = Notifier::new(secret.clone());
        let (body, sig) = signed(&secret, "s1", "FAILED");
        n.deliver(&body, Some(&sig)).unwrap();
        assert_eq!(n.stats().kept, 1);
        let w = n.watch("s1");
        assert_eq!(n.stats().kept, 0);
        assert_eq!(n.stats().waiting, 1);
        assert_eq!(&w.arrived().await[..], &body[..]);
        drop(w);
        // Kept again for another wait of the same session.
        assert_eq!(n.stats().kept, 1);
        assert_eq!(n.stats().waiting, 0);
    }

    #[tokio::test]
    async fn pending_and_forged_callbacks_end_nothing() {
        let secret = CallbackSecret::new("k");
        let n = Notifier::new(secret.clone());
        let w = n.watch("s1");
        let (body, sig) = signed(&secret, "s1", "PENDING");
        assert!(!n.deliver(&body, Some(&sig)).unwrap().is_final());
        let (body, _) = signed(&secret, "s1", "FAILED");
        let forged = sign_callback(&CallbackSecret::new("other"), &body);
        assert_eq!(
            n.deliver(&body, Some(&forged)).unwrap_err(),
            CallbackError::WrongSignature
        );
        let ended = tokio::time::timeout(Duration::from_millis(50), w.arrived()).await;
        assert!(ended.is_err(), "nothing verified and final arrived");
        assert_eq!(n.stats().rejected, 1);
        assert_eq!(n.stats().delivered, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_callback_kept_again_expires_from_its_last_keeping_only() {
        let secret = CallbackSecret::new("k");
        let n = Notifier::builder(secret.clone())
            .keep_for(Duration::from_secs(10))
            .build();
        let (body, sig) = signed(&secret, "a", "COMPLETED");
        n.deliver(&body, Some(&sig)).unwrap();
        tokio::time::advance(Duration::from_secs(5)).await;
        // Waited on, then kept again: it expires 10 s from now, not from the
        // first keeping (whose queue item is stale).
        drop(n.watch("a"));
        assert_eq!(n.stats().kept, 1);
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!((n.stats().kept, n.stats().expired), (1, 0));
        let w = n.watch("a");
        assert_eq!(&w.body().unwrap()[..], &body[..]);
        drop(w);
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!((n.stats().kept, n.stats().expired), (0, 1));
    }

    #[test]
    fn a_wake_reaches_the_watches_of_its_session_only() {
        let n = Notifier::new(CallbackSecret::new("k"));
        let (a, b) = (n.watch("a"), n.watch("b"));
        let ((count_a, waker_a), (count_b, waker_b)) = (counter(), counter());
        let key = crate::wakeup::Key::of(&n);
        a.wakeups().register(key, &waker_a);
        b.wakeups().register(key, &waker_b);
        n.wake("a");
        n.wake("nobody");
        assert_eq!(count_a.0.load(Ordering::SeqCst), 1, "woken");
        assert_eq!(
            count_b.0.load(Ordering::SeqCst),
            0,
            "another session's watch woke"
        );
        assert!(a.body().is_none(), "a wake carries no callback");
    }

    #[tokio::test(start_paused = true)]
    async fn unclaimed_callbacks_expire_and_the_kept_count_is_bounded() {
        let secret = CallbackSecret::new("k");
        let n = Notifier::builder(secret.clone())
            .keep_for(Duration::from_secs(10))
            .max_kept(2)
            .build();
        for id in ["a", "b", "c"] {
            let (body, sig) = signed(&secret, id, "COMPLETED");
            n.deliver(&body, Some(&sig)).unwrap();
        }
        // The oldest went beyond the bound.
        assert_eq!(n.stats().kept, 2);
        assert_eq!(n.stats().expired, 1);
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(n.stats().kept, 0);
        assert_eq!(n.stats().expired, 3);
        // A wait started now finds nothing.
        let w = n.watch("b");
        assert!(
            tokio::time::timeout(Duration::from_secs(1), w.arrived())
                .await
                .is_err()
        );
    }
}
