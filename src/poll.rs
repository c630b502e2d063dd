//! The one polling engine, shared by every provider.
//!
//! Rules it keeps:
//! - the server never receives two collects of one session less than
//!   [`MIN_COLLECT_INTERVAL`] (1 s) apart, and the cadence does not drift: the
//!   next collect is counted from when the previous one was *sent*, plus
//!   what that one may have lost on its way beyond the fastest round trip
//!   seen (a connect, queueing), plus a small margin ([`next_collect_at`]);
//! - a 429 waits `Retry-After` (or 1 s) and goes on;
//! - 5xx and transport errors of a collect are retried with jittered
//!   exponential backoff, at most [`WaitOptions::max_retries`] in a row;
//! - starts are never retried (they are not sent through here);
//! - a deadline ends the wait with [`Error::WaitTimeout`] and a best-effort
//!   cancel; [`crate::Session::cancel`] and dropping the future stop polling;
//! - an unknown status ends the wait with [`Error::UnknownStatus`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::hooks::Timing;
use crate::notifier::Watch;
use crate::operations::{Flow, MIN_COLLECT_INTERVAL};
use crate::state::{Family, Outcome, State, decode_state};
use crate::transport::Asked;
use crate::wakeup::{Alarm, Key, Wakeups};

/// How [`crate::Session::wait`] and [`crate::Session::updates`] poll.
///
/// ```
/// use std::time::Duration;
/// use identisure::WaitOptions;
///
/// let options = WaitOptions::default()
///     .timeout(Duration::from_secs(180))
///     .max_retries(3)
///     .cancel_on_timeout(true);
/// assert_eq!(options.get_timeout(), Some(Duration::from_secs(180)));
/// assert_eq!(WaitOptions::default().no_timeout().get_timeout(), None);
/// ```
#[derive(Debug, Clone)]
pub struct WaitOptions {
    timeout: Option<Duration>,
    max_retries: u32,
    cancel_on_timeout: bool,
}

impl Default for WaitOptions {
    /// Ten minutes, five retries in a row, cancel at the deadline.
    fn default() -> Self {
        Self {
            timeout: Some(Duration::from_secs(600)),
            max_retries: 5,
            cancel_on_timeout: true,
        }
    }
}

impl WaitOptions {
    /// The deadline, counted from the call to `wait` (default 10 minutes).
    ///
    /// ```
    /// let o = identisure::WaitOptions::default().timeout(std::time::Duration::from_secs(60));
    /// # let _ = o;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No deadline: wait until the session ends (the server ends sessions
    /// that the user abandons).
    ///
    /// ```
    /// assert!(identisure::WaitOptions::default().no_timeout().get_timeout().is_none());
    /// ```
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The configured deadline.
    ///
    /// ```
    /// assert!(identisure::WaitOptions::default().get_timeout().is_some());
    /// ```
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// How many 5xx/transport failures of collect in a row are retried
    /// (default 5). Rate limiting (429) is always waited out, not counted.
    ///
    /// ```
    /// let o = identisure::WaitOptions::default().max_retries(0);
    /// # let _ = o;
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Whether to cancel the session when the deadline is reached (default
    /// true; best effort, bounded by five seconds).
    ///
    /// ```
    /// let o = identisure::WaitOptions::default().cancel_on_timeout(false);
    /// # let _ = o;
    /// ```
    pub fn cancel_on_timeout(mut self, cancel: bool) -> Self {
        self.cancel_on_timeout = cancel;
        self
    }
}

/// What clones of a session share. Kept small: one of these lives for every
/// session an application holds (thousands at once in a busy service).
pub(crate) struct SessionInner<F: Family> {
    pub client: Client,
    pub flow: &'static Flow,
    known: Known<F>,
    pub pacer: Pacer,
    /// Set once by a cancel (never reset).
    cancelled: AtomicBool,
    /// A collect of the session is under way (its clones take turns).
    collecting: AtomicBool,
    /// Wakes the waits of the session: its cancel, and the end of a collect
    /// (its clones take turns). Flags and a list of wakers inline instead
    /// of a `watch` channel, whose shared state is a separate allocation of
    /// several hundred bytes; woken, a wait looks at why.
    pub wakeups: Wakeups,
}

impl<F: Family> SessionInner<F> {
    pub(crate) fn new(client: Client, flow: &'static Flow, known: Known<F>) -> Self {
        Self {
            client,
            flow,
            known,
            pacer: Pacer::default(),
            cancelled: AtomicBool::new(false),
            collecting: AtomicBool::new(false),
            wakeups: Wakeups::default(),
        }
    }

    /// The session id.
    pub(crate) fn id(&self) -> &str {
        match &self.known {
            Known::Started(pending) => F::pending_id(pending),
            Known::Attached(id) => id,
        }
    }

    /// What the start answered (`None` for a session attached by id).
    pub(crate) fn pending(&self) -> Option<&F::Pending> {
        match &self.known {
            Known::Started(pending) => Some(pending),
            Known::Attached(_) => None,
        }
    }

    /// Marks the session cancelled and wakes every wait of it (with a
    /// notifier, a waiting wait listens to its session's callback slot).
    pub(crate) fn mark_cancelled(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.wakeups.wake_all();
        if let Some(notifier) = self.client.notifier() {
            notifier.wake(self.id());
        }
    }

    /// Whether the session was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves when the session is cancelled (at once if it already was).
    pub(crate) async fn cancelled(&self) {
        self.wakeups
            .until(|| self.is_cancelled().then_some(()))
            .await;
    }

    /// Waits for the session's turn to collect (its clones take turns),
    /// held until the returned turn is dropped.
    async fn collect_turn(&self) -> Turn<'_> {
        self.wakeups
            .until(|| {
                let free = !self.collecting.swap(true, Ordering::Acquire);
                // Made only when taken: dropping a turn gives it back.
                free.then(|| Turn {
                    busy: &self.collecting,
                    wakeups: &self.wakeups,
                })
            })
            .await
    }
}

/// A session's turn to collect: ends when dropped (also when the collect is).
struct Turn<'a> {
    busy: &'a AtomicBool,
    wakeups: &'a Wakeups,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.busy.store(false, Ordering::Release);
        self.wakeups.wake_all();
    }
}

/// What a session handle knows of its session: the PENDING data of a
/// session it started (whose `id` is the session id: one copy), or the id
/// of a session attached by id.
pub(crate) enum Known<F: Family> {
    Started(F::Pending),
    Attached(Box<str>),
}

/// Sends the cancel of the session; nothing when its flow has no cancel
/// operation ([`Error::CancelUnsupported`]).
pub(crate) async fn cancel_request<F: Family>(inner: &SessionInner<F>) -> Result<()> {
    let Some(operation) = inner.flow.cancel else {
        return Err(Error::CancelUnsupported {
            flow: format!("{}/{}", inner.flow.provider.segment(), inner.flow.family),
        });
    };
    let asked = Asked {
        raw: inner.client.sending(),
        operation,
        id: Some(inner.id()),
        attempt: 1,
    };
    crate::transport::cancel(asked).await.map(|_| ())
}

/// Collect pacing of one session: when the next collect may start (see
/// [`collect_once`]), as nanoseconds after its client's epoch plus one (0:
/// at once). An atomic, not a mutex around an `Instant`: 16 bytes less in
/// every session.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    next_start: std::sync::atomic::AtomicU64,
}

impl Pacer {
    /// When the next collect may start (`None`: at once).
    fn next_start(&self, epoch: Instant) -> Option<Instant> {
        match self.next_start.load(Ordering::Acquire) {
            0 => None,
            n => Some(epoch + Duration::from_nanos(n - 1)),
        }
    }

    /// A time before the epoch is past: kept as the epoch.
    fn set_next_start(&self, epoch: Instant, at: Option<Instant>) {
        let n = at.map_or(0, |at| {
            let nanos = at.saturating_duration_since(epoch).as_nanos();
            u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1
        });
        self.next_start.store(n, Ordering::Release);
    }
}

/// The least margin added to a collect's pacing: also the resolution of
/// tokio's timers.
const PACING_MARGIN_MIN: Duration = Duration::from_millis(1);
/// The most margin added to a collect's pacing.
const PACING_MARGIN_MAX: Duration = Duration::from_millis(20);

/// When the next collect of a session may be sent, after one that reached
/// the server and was answered with `timing`, given the client's fastest
/// round trip on an established connection so far (`floor`).
///
/// What the server checks is the gap between the *arrival* times of two
/// collects. A request sent at `sent` arrives `sent + out`, where `out` is
/// its way there: the HTTP client's connection pool, a connect and TLS
/// handshake when a new connection is opened, the network, and queueing in
/// front of the server's clock. Two collects sent a second apart arrive
/// `1 s + out₂ − out₁` apart: a first one slow to arrive makes the gap at
/// the server *shorter*. We only see `sent` and `answered`, and
/// `round_trip = answered − sent = out + back` (`back`: the server's work
/// after its clock, and the way back).
///
/// - Counting from the previous *answer* (`answered + 1 s`, what this crate
///   did before) is always safe, the arrival being before the answer, but
///   adds each cycle's whole round trip and queueing to the cadence: with
///   300 sessions in phase completions were seen 550 / 973 ms late (p50 /
///   p95) instead of ≈ 500 / 950.
/// - Counting from the previous *send* plus one second alone is not safe:
///   the first request of a connection carries the connect (and TLS), and a
///   collect queued behind others (the client's pool, the server's accept
///   queue) arrives late, so the next one, sent on a warm connection, lands
///   less than a second after it.
/// - `answered − round_trip / 2 + 1 s` (the arrival estimated as the middle
///   of the round trip) is not safe either: a connect or a queue lies on
///   the way *there*, so `out` can be nearly the whole round trip.
///
/// So: `sent + 1 s + excess + margin`, where `excess = round_trip − floor`
/// is what this request took beyond the fastest warm round trip (a connect,
/// queueing, on either way, unknown which: counted whole). The floor is
/// taken only over requests answered on a connection that had answered
/// before (no connect or TLS handshake in them), and only once there are
/// four of them (one of them alone may have queued on its way); until
/// then, and for a request answered on a new connection, `excess` is the
/// whole round trip (as counting from the answer). Then the
/// server sees `1 s + back₁ + out₂ − floor + margin` between the two: at
/// least a second as long as the way back of one collect and the way there
/// of the next together are not faster (by more than the margin) than the
/// fastest round trip seen. The margin, an eighth of that round trip within
/// 1–20 ms, covers their jitter. On a steady connection the cadence is
/// `1 s + margin`: no round trip, no queueing accumulates. A 429 is
/// different: its `Retry-After` (at least a second) is counted from the
/// answer, as is the next collect after a request that failed (no timing).
pub(crate) fn next_collect_at(timing: &Timing, floor: Option<Duration>) -> Instant {
    let floor = floor.unwrap_or_default();
    let margin = (floor / 8).clamp(PACING_MARGIN_MIN, PACING_MARGIN_MAX);
    let round_trip = timing.round_trip();
    let excess = if timing.warm {
        round_trip.saturating_sub(floor)
    } else {
        round_trip
    };
    timing.sent + MIN_COLLECT_INTERVAL + excess + margin
}

/// One collect of `inner`, started no earlier than its pacing allows. The
/// session's turn is held during the request, so clones of a session
/// cannot collect concurrently.
pub(crate) async fn collect_once<F: Family>(
    inner: &SessionInner<F>,
    attempt: u32,
) -> Result<State<F>> {
    let _turn = inner.collect_turn().await;
    // With `CollectLimit::PerClient`, every session of the client also
    // takes turns on one client-wide gate (always locked second).
    let mut gate = match inner.client.collect_gate() {
        Some(gate) => Some(gate.lock().await),
        None => None,
    };
    let at = [
        inner.pacer.next_start(inner.client.epoch()),
        gate.as_deref().copied().flatten(),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
    // What a request needs lives on the heap only while it runs
    // (`transport::call` boxes it), so a session sleeping until its next
    // collect keeps a small future.
    let (result, timing) = timed_collect(inner, attempt).await;
    // See `next_collect_at`. With `CollectLimit::PerClient`, the gate is
    // paced the same way (the next collect is another session's), and a
    // 429 (and its Retry-After) slows every session of the client.
    let until = match (&result, timing) {
        (Err(Error::RateLimited { retry_after }), _) => {
            let wait = retry_after
                .unwrap_or(MIN_COLLECT_INTERVAL)
                .max(MIN_COLLECT_INTERVAL);
            tracing::debug!(session_id = %inner.id(), wait_ms = wait.as_millis() as u64, "rate limited");
            Instant::now() + wait
        }
        (_, Some(timing)) => next_collect_at(&timing, inner.client.sending().hooks().rtt_floor()),
        (_, None) => Instant::now() + MIN_COLLECT_INTERVAL,
    };
    inner
        .pacer
        .set_next_start(inner.client.epoch(), Some(until));
    if let Some(gate) = gate.as_deref_mut() {
        *gate = Some(until);
    }
    result
}

/// One collect: its state, and when it went out and came back (when it
/// was answered with a success).
async fn timed_collect<F: Family>(
    inner: &SessionInner<F>,
    attempt: u32,
) -> (Result<State<F>>, Option<Timing>) {
    let raw = inner.client.sending();
    let (operation, id) = (inner.flow.collect, inner.id());
    let asked = Asked {
        raw,
        operation,
        id: Some(id),
        attempt,
    };
    match crate::transport::call(asked, crate::hooks::collect(raw, operation, id, attempt)).await {
        // Decoded in one pass; an answer that does not decode says why (an
        // unknown status, the field that failed).
        Ok(answer) => {
            let (status, timing) = (answer.status(), answer.timing());
            let state = answer.into_value(
                |body| decode_state(status, &body),
                |status, body| Ok(decode_state(status, body)),
            );
            (state.and_then(|state| state), timing)
        }
        Err(e) => (Err(e), None),
    }
}

/// Collects until one call succeeds: waits out 429s, retries retryable
/// failures with backoff within the budget.
async fn collect_retrying<F: Family>(
    inner: &SessionInner<F>,
    max_retries: u32,
) -> Result<State<F>> {
    let mut failures = 0u32;
    let mut not_before = None;
    // The attempt of this collect (the span's `attempt`): 1, then each
    // retry after a failure or a 429.
    let mut attempt = 0u32;
    loop {
        // A backoff or fallback delay is slept before taking the locks, so
        // that it never holds up other sessions sharing a client-wide gate.
        if let Some(at) = not_before.take() {
            tokio::time::sleep_until(at).await;
        }
        attempt += 1;
        match collect_once(inner, attempt).await {
            Ok(state) => return Ok(state),
            Err(Error::RateLimited { .. }) => continue,
            Err(e) if e.is_retryable() && failures < max_retries => {
                failures += 1;
                let delay = backoff(failures);
                tracing::debug!(session_id = %inner.id(), error = %e, retry_in_ms = delay.as_millis() as u64, "collect failed; retrying");
                not_before = Some(Instant::now() + delay);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Exponential backoff from 1 s, capped at 30 s, with jitter in [50 %, 100 %].
fn backoff(failures: u32) -> Duration {
    let base =
        Duration::from_secs(1u64 << failures.saturating_sub(1).min(5)).min(Duration::from_secs(30));
    base.mul_f64(0.5 + 0.5 * random_fraction())
}

fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The deadline passed: cancel (best effort, bounded by five seconds) when
/// the options say so, and end with `WaitTimeout`.
async fn deadline_reached<F: Family, T>(
    inner: &SessionInner<F>,
    cancel_on_timeout: bool,
) -> Result<T> {
    tracing::debug!(session_id = %inner.id(), "wait deadline reached");
    if cancel_on_timeout {
        inner.mark_cancelled();
        match tokio::time::timeout(Duration::from_secs(5), cancel_request(inner)).await {
            Ok(Ok(())) => {
                tracing::debug!(session_id = %inner.id(), "cancelled after timeout")
            }
            Ok(Err(e)) => {
                tracing::debug!(session_id = %inner.id(), error = %e, "cancel after timeout failed")
            }
            Err(_) => {
                tracing::debug!(session_id = %inner.id(), "cancel after timeout timed out")
            }
        }
    }
    Err(Error::WaitTimeout)
}

/// Waits for the final state, one loop for both ways of waiting: without
/// a notifier, a collect as soon as the session's pacing allows; with one,
/// a verified final callback, or a fallback collect every fallback
/// interval.
///
/// What a waiting session holds is this future alone, thousands at once
/// for minutes: 112 bytes, so that a caller's `async move {
/// session.wait(..).await }` fits tokio's 256-byte task cell. Between
/// collects it holds no timer and no notification of its own ([`Waiting`]:
/// keys with the wake-ups of its session or callback slot and with the
/// runtime's timer, see [`crate::wakeup`]), the watch and the deadline. A
/// collect (with its retries, its 429s and its race with the callback, the
/// cancel and the deadline) is boxed, on the heap only while it runs
/// ([`collect_or_woken`]). The history: 3.3 KB with futures passed by value
/// through nested async functions; 504 bytes (a 640-byte cell) as a select
/// of a callback, a cancel and a timer; 264 (a 384-byte cell) holding a
/// tokio timer and a `Notified`.
// Not an `async fn`: that stores its arguments in its future as well as
// the locals made of them; only what the loop needs is moved into it.
#[allow(clippy::manual_async_fn)]
pub(crate) fn wait<F: Family>(
    inner: &SessionInner<F>,
    options: WaitOptions,
) -> impl Future<Output = Result<Outcome<F>>> + Send + '_ {
    // Made here, not in the future: the future then holds each value once.
    let mut waiting = Waiting {
        inner,
        // Counted from the call to `wait`.
        deadline: options.timeout.map(|t| Instant::now() + t),
        watch: inner.client.notifier().map(|n| n.watch(inner.id())),
        next: None,
        alarm: Alarm::default(),
        max_retries: options.max_retries,
        cancel_on_timeout: options.cancel_on_timeout,
        ignore_callback: false,
    };
    async move {
        if waiting.inner.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if let Some(watch) = &waiting.watch {
            watch.look_up().await;
        }
        loop {
            // Only whether to collect outlives the match: nothing of why it
            // woke takes room across the awaits below.
            let collect = match std::future::poll_fn(|cx| waiting.poll_woken(cx)).await {
                Woken::Cancelled => return Err(Error::Cancelled),
                Woken::Callback(body) => {
                    let inner = waiting.inner;
                    tracing::debug!(session_id = %inner.id(), "final state from a verified callback");
                    match decode_state::<F>(reqwest::StatusCode::OK, &body)?.into_outcome() {
                        Some(outcome) => return Ok(outcome),
                        // Only final callbacks are recorded: never spin on it.
                        None => waiting.ignore_callback = true,
                    }
                    continue;
                }
                Woken::Deadline => false,
                Woken::Due => true,
            };
            if !collect {
                // Rare, and boxed so that it takes no room in a waiting future.
                let (inner, cancel) = (waiting.inner, waiting.cancel_on_timeout);
                return Box::pin(deadline_reached(inner, cancel)).await;
            }
            let collect = Box::pin(waiting.collect()).await?;
            if let Some(outcome) = collect.and_then(State::into_outcome) {
                return Ok(outcome);
            }
            waiting.next = None;
        }
    }
}

/// A waiting session: what its wait holds between collects. No timer and
/// no notification of its own: a key with the wake-ups of its session (or,
/// with a notifier, of its callback's slot, which a cancel wakes too) and
/// an [`Alarm`] with the runtime's timer.
struct Waiting<'a, F: Family> {
    inner: &'a SessionInner<F>,
    deadline: Option<Instant>,
    watch: Option<Watch>,
    /// When the next collect is due (`None`: to be worked out).
    next: Option<Instant>,
    alarm: Alarm,
    max_retries: u32,
    cancel_on_timeout: bool,
    /// Set after a callback that was not final (only final ones are
    /// recorded): never spin on it.
    ignore_callback: bool,
}

/// Why a waiting session woke (and stopped waiting).
enum Woken {
    Cancelled,
    Callback(crate::notifier::Body),
    Deadline,
    /// The next collect is due.
    Due,
}

impl<F: Family> Waiting<'_, F> {
    fn wakeups(&self) -> &Wakeups {
        match &self.watch {
            Some(watch) => watch.wakeups(),
            None => &self.inner.wakeups,
        }
    }

    /// The registration's key: the address of this state, which does not
    /// move while it waits (its future is pinned) and is unique among the
    /// live ones.
    fn key(&self) -> Key {
        Key::of(self)
    }

    /// Its due collect, raced by its callback (unless ignored), a cancel and
    /// the deadline ([`collect_or_woken`]).
    fn collect(&self) -> impl Future<Output = Result<Option<State<F>>>> + Send + '_ {
        let watching = self.watch.as_ref().filter(|_| !self.ignore_callback);
        collect_or_woken(self.inner, self.max_retries, self.deadline, watching)
    }

    /// Ready when it stops waiting; else registered to be woken by an event
    /// of its session (before it looks: an event in between wakes it) and
    /// at its next collect or deadline, whichever comes first.
    fn poll_woken(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Woken> {
        self.wakeups().register(self.key(), cx.waker());
        match self.look() {
            Ok(woken) => {
                self.wakeups().forget(self.key());
                self.alarm.clear();
                std::task::Poll::Ready(woken)
            }
            Err(wake_at) => {
                self.alarm.set(wake_at, cx.waker());
                std::task::Poll::Pending
            }
        }
    }

    /// Why it stops waiting, or when to look again: the next collect or
    /// the deadline, whichever comes first.
    fn look(&mut self) -> std::result::Result<Woken, Instant> {
        if self.inner.is_cancelled() {
            return Ok(Woken::Cancelled);
        }
        if let Some(body) = self
            .watch
            .as_ref()
            .filter(|_| !self.ignore_callback)
            .and_then(Watch::body)
        {
            return Ok(Woken::Callback(body));
        }
        let now = Instant::now();
        if self.deadline.is_some_and(|at| at <= now) {
            return Ok(Woken::Deadline);
        }
        let next = *self.next.get_or_insert_with(|| next_collect(self.inner));
        if next <= now {
            return Ok(Woken::Due);
        }
        Err(self.deadline.map_or(next, |at| at.min(next)))
    }
}

impl<F: Family> Waiting<'_, F> {
    /// Its watch, given back (for the next wait of a stream of updates),
    /// its registration withdrawn first.
    fn release_watch(&mut self) -> Option<Watch> {
        self.wakeups().forget(self.key());
        self.watch.take()
    }
}

impl<F: Family> Drop for Waiting<'_, F> {
    fn drop(&mut self) {
        self.wakeups().forget(self.key());
    }
}

/// When the next collect of a waiting session is due: with a notifier, a
/// fallback interval from now (also the first: the start already said
/// PENDING); without, when its pacing allows (at once if it does). Should
/// a clone's collect be under way then, the collect waits its turn.
fn next_collect<F: Family>(inner: &SessionInner<F>) -> Instant {
    let now = Instant::now();
    if let Some(notifier) = inner.client.notifier() {
        return now + notifier.fallback_poll_interval();
    }
    let gate = inner
        .client
        .collect_gate()
        .and_then(|g| *g.try_lock().ok()?);
    [inner.pacer.next_start(inner.client.epoch()), gate]
        .into_iter()
        .flatten()
        .fold(now, Instant::max)
}

/// One collect of a waiting session (with its retries), raced by the
/// callback, the cancel and the deadline: the state collected, or `None`
/// when one of the others came first (the waiting loop looks at which).
async fn collect_or_woken<F: Family>(
    inner: &SessionInner<F>,
    max_retries: u32,
    deadline: Option<Instant>,
    watch: Option<&Watch>,
) -> Result<Option<State<F>>> {
    let deadline_passed = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    let callback = async {
        match watch {
            Some(watch) => drop(watch.arrived().await),
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = callback => Ok(None),
        state = collect_retrying(inner, max_retries) => state.map(Some),
        () = inner.cancelled() => Ok(None),
        () = deadline_passed => Ok(None),
    }
}

/// A stream of updates between two items: what the next one's wait starts
/// from.
struct Updates<F: Family> {
    inner: Arc<SessionInner<F>>,
    options: WaitOptions,
    deadline: Option<Instant>,
    watch: Option<Watch>,
    /// A callback that was not final came (only final ones are recorded):
    /// never spin on it.
    ignore_callback: bool,
    /// The hint of the last state reported (`None`: none reported yet).
    last_hint: Option<Option<crate::HintCode>>,
    done: bool,
}

/// The states of a session as a stream ([`crate::Session::updates`]): each
/// item waits as [`wait`] does (the same [`Waiting`]: its pacing, its
/// callback, its cancel and deadline), except that the first state is
/// collected at once and that a PENDING state with a new hint is an item.
pub(crate) fn updates<F: Family>(
    inner: Arc<SessionInner<F>>,
    options: WaitOptions,
) -> impl futures_core::Stream<Item = Result<State<F>>> + Send + 'static {
    let start = Updates {
        // Counted from the call, as a wait's.
        deadline: options.timeout.map(|t| Instant::now() + t),
        watch: inner.client.notifier().map(|n| n.watch(inner.id())),
        inner,
        options,
        ignore_callback: false,
        last_hint: None,
        done: false,
    };
    futures_util::stream::unfold(start, |mut st| async move {
        if st.done {
            return None;
        }
        let next = next_update(&mut st).await;
        st.done = !matches!(next, Ok(State::Pending(_)));
        Some((next, st))
    })
}

/// The next item of a stream of updates.
async fn next_update<F: Family>(st: &mut Updates<F>) -> Result<State<F>> {
    let first = st.last_hint.is_none();
    if first && let Some(watch) = &st.watch {
        watch.look_up().await;
    }
    let mut waiting = Waiting {
        inner: &st.inner,
        deadline: st.deadline,
        watch: st.watch.take(),
        // The first state at once (when the pacing allows); then as a wait
        // collects (with a notifier, at its fallback cadence).
        next: first.then(Instant::now),
        alarm: Alarm::default(),
        max_retries: st.options.max_retries,
        cancel_on_timeout: st.options.cancel_on_timeout,
        ignore_callback: st.ignore_callback,
    };
    let next = loop {
        match std::future::poll_fn(|cx| waiting.poll_woken(cx)).await {
            Woken::Cancelled => break Err(Error::Cancelled),
            Woken::Callback(body) => {
                tracing::debug!(session_id = %st.inner.id(), "final state from a verified callback");
                match decode_state::<F>(reqwest::StatusCode::OK, &body) {
                    Ok(state) if !state.is_final() => waiting.ignore_callback = true,
                    decoded => break decoded,
                }
            }
            Woken::Deadline => {
                let (inner, cancel) = (waiting.inner, waiting.cancel_on_timeout);
                break Box::pin(deadline_reached(inner, cancel)).await;
            }
            Woken::Due => match Box::pin(waiting.collect()).await {
                Ok(Some(state)) => {
                    let hint = state.hint_code();
                    if state.is_final() || st.last_hint.as_ref() != Some(&hint) {
                        st.last_hint = Some(hint);
                        break Ok(state);
                    }
                    waiting.next = None;
                }
                // The callback, the cancel or the deadline came first.
                Ok(None) => waiting.next = None,
                Err(e) => break Err(e),
            },
        }
    };
    // What the next item's wait starts from.
    st.ignore_callback = waiting.ignore_callback;
    st.watch = waiting.release_watch();
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::types;
    use crate::state::BankIdSe;

    fn inner(known: Known<BankIdSe>) -> SessionInner<BankIdSe> {
        let client = Client::builder().credentials("a", "s").build().unwrap();
        SessionInner::new(client, &crate::operations::BANKID_SE_AUTH, known)
    }

    fn attached(id: &str) -> SessionInner<BankIdSe> {
        inner(Known::Attached(id.into()))
    }

    #[test]
    fn the_id_is_kept_once_and_the_handle_stays_small() {
        let pending: types::BankIdSePending =
            serde_json::from_str(r#"{"id":"s-1","status":"PENDING"}"#).unwrap();
        let started = inner(Known::Started(pending));
        assert_eq!(started.id(), "s-1");
        assert_eq!(started.pending().map(|p| p.id.as_str()), Some("s-1"));
        let attached = attached("s-2");
        assert_eq!(attached.id(), "s-2");
        assert!(attached.pending().is_none());
        // The id of an attached session sits where the PENDING data would.
        assert_eq!(
            std::mem::size_of::<Known<BankIdSe>>(),
            std::mem::size_of::<types::BankIdSePending>()
        );
        // With the `Arc`'s two counts at most 232 bytes: within a 240-byte
        // block of glibc's allocator (a size plus 8, in steps of 16) for
        // every session an application holds.
        let shared = std::mem::size_of::<std::sync::Arc<()>>() * 2
            + std::mem::size_of::<SessionInner<BankIdSe>>();
        assert!(shared <= 232, "{shared} bytes");
    }

    #[tokio::test]
    async fn cancelled_resolves_for_a_cancel_before_or_during_the_wait() {
        let before = attached("s");
        before.mark_cancelled();
        assert!(before.is_cancelled());
        tokio::time::timeout(std::time::Duration::from_secs(5), before.cancelled())
            .await
            .expect("already cancelled");

        let during = Arc::new(attached("s"));
        let waiting = tokio::spawn({
            let during = during.clone();
            async move { during.cancelled().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        during.mark_cancelled();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken by the cancel")
            .unwrap();
    }

    #[test]
    fn backoff_grows_from_one_second_to_thirty_with_jitter() {
        for failures in 1..10u32 {
            let base =
                Duration::from_secs(1u64 << (failures - 1).min(5)).min(Duration::from_secs(30));
            let d = backoff(failures);
            assert!(d >= base / 2 && d <= base, "{failures}: {d:?} of {base:?}");
        }
    }

    #[test]
    fn wait_options_default_to_ten_minutes_five_retries_and_a_cancel() {
        let o = WaitOptions::default();
        assert_eq!(o.get_timeout(), Some(Duration::from_secs(600)));
        assert_eq!(o.max_retries, 5);
        assert!(o.cancel_on_timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn two_collects_of_one_session_start_at_least_a_second_apart() {
        // Nothing listens on port 1: each collect fails at once, which is
        // enough to see when the next one may start.
        let client = Client::builder()
            .credentials("a", "s")
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap();
        let s = SessionInner::<BankIdSe>::new(
            client,
            &crate::operations::BANKID_SE_AUTH,
            Known::Attached("s".into()),
        );
        let t0 = Instant::now();
        let _ = collect_once(&s, 1).await;
        let first_done = Instant::now();
        let _ = collect_once(&s, 2).await;
        assert!(Instant::now() - first_done >= MIN_COLLECT_INTERVAL);
        assert!(
            first_done - t0 < MIN_COLLECT_INTERVAL,
            "the first one does not wait"
        );
    }

    /// A collect endpoint on 127.0.0.1 for paused time: the `n`-th request
    /// (counted over all sessions) takes `out(n)` to "arrive" (its arrival is
    /// recorded after that, as a server behind a slow way there would), and
    /// its answer `back(n)` more. A collect of a session arriving less than
    /// a second after its previous answered one is answered 429, as the API
    /// does.
    struct Mock {
        url: String,
        /// Per session id: the arrival of each collect, and whether it was
        /// answered 429.
        arrivals: Arrivals,
    }

    type Arrivals = Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<(Instant, bool)>>>>;

    type Delay = fn(usize) -> Duration;

    async fn mock(out: Delay, back: Delay) -> Mock {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let arrivals = Arrivals::default();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let recorded = arrivals.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    continue;
                };
                let (arrivals, count) = (recorded.clone(), count.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end + 4);
                        let id = head
                            .split_whitespace()
                            .nth(1)
                            .and_then(|path| path.rsplit('/').next())
                            .unwrap_or_default()
                            .to_string();
                        let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(out(n)).await;
                        let now = Instant::now();
                        let limited = {
                            let mut arrivals = arrivals.lock().unwrap();
                            let seen = arrivals.entry(id.clone()).or_default();
                            let last = seen.iter().rev().find(|(_, limited)| !limited);
                            let limited =
                                last.is_some_and(|(at, _)| now - *at < MIN_COLLECT_INTERVAL);
                            seen.push((now, limited));
                            limited
                        };
                        tokio::time::sleep(back(n)).await;
                        let answer = if limited {
                            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n"
                                .to_string()
                        } else {
                            let body = format!(r#"{{"id":"{id}","status":"PENDING"}}"#);
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            )
                        };
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Mock { url, arrivals }
    }

    impl Mock {
        fn session(&self, client: &Client, id: &str) -> SessionInner<BankIdSe> {
            SessionInner::new(
                client.clone(),
                &crate::operations::BANKID_SE_AUTH,
                Known::Attached(id.into()),
            )
        }

        fn client(&self) -> Client {
            Client::builder()
                .credentials("a", "s")
                .base_url(&self.url)
                .build()
                .unwrap()
        }

        fn arrivals(&self, id: &str) -> Vec<(Instant, bool)> {
            self.arrivals
                .lock()
                .unwrap()
                .get(id)
                .cloned()
                .unwrap_or_default()
        }

        /// Other sessions' collects, one each, so that the client has the
        /// warm round trips it learns its floor from (as the starts and
        /// collects of other logins would give it).
        async fn warm_up(&self, client: &Client) {
            for i in 0..5 {
                collect_once(&self.session(client, &format!("warm-{i}")), 1)
                    .await
                    .unwrap();
            }
        }
    }

    fn gaps(arrivals: &[(Instant, bool)]) -> Vec<Duration> {
        arrivals.windows(2).map(|w| w[1].0 - w[0].0).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn updates_collect_at_the_cadence_and_end_at_the_deadline_or_a_cancel() {
        use futures_util::StreamExt;
        let mock = mock(|_| Duration::ZERO, |_| Duration::ZERO).await;
        let client = mock.client();

        // Always PENDING with the same hint: the first state, then nothing
        // new until the deadline.
        let timed = Arc::new(mock.session(&client, "timed"));
        let options = WaitOptions::default()
            .timeout(Duration::from_millis(3_500))
            .cancel_on_timeout(false);
        let items: Vec<_> = updates(timed, options).collect().await;
        assert_eq!(items.len(), 2, "the first state and the timeout");
        assert!(matches!(items[0], Ok(State::Pending(_))));
        assert!(matches!(items[1], Err(Error::WaitTimeout)));
        let arrivals = mock.arrivals("timed");
        assert!(
            (3..=4).contains(&arrivals.len()),
            "a collect a second until the deadline: {arrivals:?}"
        );
        assert!(arrivals.iter().all(|(_, limited)| !limited), "no 429");
        assert!(gaps(&arrivals).iter().all(|g| *g >= MIN_COLLECT_INTERVAL));

        let cancelled = Arc::new(mock.session(&client, "cancelled"));
        let mut stream = Box::pin(updates(cancelled.clone(), WaitOptions::default()));
        assert!(matches!(stream.next().await, Some(Ok(State::Pending(_)))));
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            cancelled.mark_cancelled();
        });
        assert!(matches!(stream.next().await, Some(Err(Error::Cancelled))));
        assert!(stream.next().await.is_none(), "an error is the last item");
    }

    #[tokio::test(start_paused = true)]
    async fn clones_of_a_session_take_turns_and_keep_the_cadence() {
        // Answers take 300 ms: two clones collecting at once would overlap.
        let mock = mock(|_| Duration::ZERO, |_| Duration::from_millis(300)).await;
        let client = mock.client();
        mock.warm_up(&client).await;
        let s = Arc::new(mock.session(&client, "s"));
        let clones: Vec<_> = (0..3)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    for attempt in 1..=3 {
                        collect_once(&s, attempt).await.unwrap();
                    }
                })
            })
            .collect();
        for clone in clones {
            clone.await.unwrap();
        }
        let arrivals = mock.arrivals("s");
        assert_eq!(arrivals.len(), 9);
        assert!(arrivals.iter().all(|(_, limited)| !limited), "no 429");
        let gaps = gaps(&arrivals);
        assert!(gaps.iter().all(|g| *g >= MIN_COLLECT_INTERVAL), "{gaps:?}");
        assert!(
            !s.collecting.load(Ordering::SeqCst),
            "the turn is given back"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_collect_dropped_midway_gives_its_turn_back() {
        let mock = mock(|_| Duration::ZERO, |_| Duration::from_secs(5)).await;
        let client = mock.client();
        let s = mock.session(&client, "s");
        let dropped = tokio::time::timeout(Duration::from_secs(1), collect_once(&s, 1)).await;
        assert!(dropped.is_err(), "still waiting for its answer");
        // The next collect is not held up by the dropped one's turn.
        tokio::time::timeout(Duration::from_secs(20), collect_once(&s, 2))
            .await
            .expect("the turn was given back")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_does_not_slow_the_cadence() {
        // Every answer comes 300 ms after the server took the collect in.
        let mock = mock(|_| Duration::ZERO, |_| Duration::from_millis(300)).await;
        let client = mock.client();
        mock.warm_up(&client).await;
        let s = mock.session(&client, "s");
        let cycles = 10;
        for attempt in 1..=cycles {
            collect_once(&s, attempt).await.unwrap();
        }
        let arrivals = mock.arrivals("s");
        assert_eq!(arrivals.len(), cycles as usize);
        assert!(arrivals.iter().all(|(_, limited)| !limited), "no 429");
        let gaps = gaps(&arrivals);
        assert!(gaps.iter().all(|g| *g >= MIN_COLLECT_INTERVAL), "{gaps:?}");
        // Counted from the answer, each cycle took 1.3 s; from the send,
        // 1 s and the margin.
        let small = Duration::from_millis(25);
        assert!(
            gaps.iter().all(|g| *g <= MIN_COLLECT_INTERVAL + small),
            "{gaps:?}"
        );
        let span = arrivals[arrivals.len() - 1].0 - arrivals[0].0;
        assert!(
            span <= (MIN_COLLECT_INTERVAL + small) * (cycles - 1),
            "{span:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_collect_slow_to_arrive_never_brings_the_next_within_a_second() {
        // Some collects are slow on their way to the server (a connect, a
        // queue); the one after each arrives at once.
        fn out(n: usize) -> Duration {
            match n {
                // the first five are the warm-up, then this session's
                5 => Duration::from_millis(300),
                9 => Duration::from_millis(300),
                11 => Duration::from_millis(120),
                12 => Duration::from_millis(5),
                14 => Duration::from_millis(900),
                _ => Duration::ZERO,
            }
        }
        let mock = mock(out, |_| Duration::ZERO).await;
        let client = mock.client();
        mock.warm_up(&client).await;
        let s = mock.session(&client, "s");
        for attempt in 1..=12 {
            collect_once(&s, attempt).await.unwrap();
        }
        let arrivals = mock.arrivals("s");
        assert!(arrivals.iter().all(|(_, limited)| !limited), "{arrivals:?}");
        let gaps = gaps(&arrivals);
        assert!(gaps.iter().all(|g| *g >= MIN_COLLECT_INTERVAL), "{gaps:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_connect_during_a_collect_is_counted_whole() {
        let sent = Instant::now();
        let timing = |warm| Timing {
            sent,
            answered: sent + Duration::from_millis(80),
            warm,
        };
        let floor = Some(Duration::from_millis(16));
        // Warm: only what it took beyond the floor, and the margin (2 ms).
        assert_eq!(
            next_collect_at(&timing(true), floor) - sent,
            Duration::from_millis(1_000 + 64 + 2)
        );
        // Answered on a new connection: the whole round trip.
        assert_eq!(
            next_collect_at(&timing(false), floor) - sent,
            Duration::from_millis(1_000 + 80 + 2)
        );
        // No floor yet: the whole round trip and the least margin.
        assert_eq!(
            next_collect_at(&timing(true), None) - sent,
            Duration::from_millis(1_000 + 80 + 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_waits_its_retry_after_from_the_answer() {
        let mock = mock(|_| Duration::ZERO, |_| Duration::ZERO).await;
        let client = mock.client();
        mock.warm_up(&client).await;
        let s = mock.session(&client, "s");
        collect_once(&s, 1).await.unwrap();
        // Pretend the pacing lost track (as when another process collects
        // the same session): the server answers 429 with Retry-After: 1.
        s.pacer.set_next_start(s.client.epoch(), None);
        let limited = collect_once(&s, 2).await.unwrap_err();
        assert!(matches!(limited, Error::RateLimited { .. }), "{limited}");
        let answered = Instant::now();
        collect_once(&s, 3).await.unwrap();
        assert!(Instant::now() - answered >= MIN_COLLECT_INTERVAL);
        let arrivals = mock.arrivals("s");
        assert_eq!(
            arrivals.iter().map(|a| a.1).collect::<Vec<_>>(),
            [false, true, false]
        );
    }
}
