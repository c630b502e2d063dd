//! Started sessions: the PENDING data, and collect / cancel / wait / updates.
//!
//! One generic [`Session`] serves all six providers; a [`Family`] says which
//! generated types a provider's states have.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::client::{Body, Call, Client};
use crate::error::{Error, Result};
use crate::poll::{Pacer, WaitOptions};
use crate::raw::types;
use crate::{FailureCode, HintCode};

mod sealed {
    pub trait Sealed {}
}

/// The session types of one provider family. Implemented by the marker types
/// [`BankIdSe`], [`Freja`], [`BankIdNo`], [`Vipps`], [`MitId`], [`Ftn`] and
/// [`AgeVerification`]; sealed.
///
/// ```
/// use identisure::{Family, BankIdSe};
/// fn pending_type<F: Family>() -> &'static str { std::any::type_name::<F::Pending>() }
/// assert!(pending_type::<BankIdSe>().ends_with("BankIdSePending"));
/// ```
pub trait Family: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// The PENDING state (QR tokens, URL, binding message …).
    type Pending: DeserializeOwned + fmt::Debug + Clone + Send + Sync + 'static;
    /// The COMPLETED state (the person).
    type Completed: DeserializeOwned + fmt::Debug + Clone + Send + Sync + 'static;
    /// The FAILED state.
    type Failed: DeserializeOwned + fmt::Debug + Clone + Send + Sync + 'static;
    /// Session id of a pending state.
    fn pending_id(pending: &Self::Pending) -> &str;
    /// Progress hint of a pending state (Swedish BankID only).
    fn pending_hint(_pending: &Self::Pending) -> Option<HintCode> {
        None
    }
    /// Failure code and hint of a failed state.
    fn failure(failed: &Self::Failed) -> (FailureCode, Option<HintCode>);
}

macro_rules! family {
    ($(#[$m:meta])* $name:ident, $pending:ident, $completed:ident, $failed:ident, hint: $hint:expr, fhint: $fhint:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl Family for $name {
            type Pending = types::$pending;
            type Completed = types::$completed;
            type Failed = types::$failed;
            fn pending_id(pending: &Self::Pending) -> &str {
                &pending.id
            }
            fn pending_hint(pending: &Self::Pending) -> Option<HintCode> {
                #[allow(clippy::redundant_closure_call)]
                ($hint)(pending)
            }
            fn failure(failed: &Self::Failed) -> (FailureCode, Option<HintCode>) {
                #[allow(clippy::redundant_closure_call)]
                (FailureCode::parse(&failed.error), ($fhint)(failed))
            }
        }
    };
}

family!(
    /// Swedish BankID sessions (auth, sign, phone auth/sign).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::BankIdSe>> = None;
    /// ```
    BankIdSe, BankIdSePending, BankIdSeCompleted, BankIdSeFailed,
    hint: |p: &types::BankIdSePending| p.hint_code.as_deref().map(HintCode::parse),
    fhint: |f: &types::BankIdSeFailed| f.hint_code.as_deref().map(HintCode::parse)
);
family!(
    /// Freja eID sessions (auth, sign, backchannel auth/sign).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::Freja>> = None;
    /// ```
    Freja, FrejaPending, FrejaCompleted, FrejaFailed,
    hint: |_: &types::FrejaPending| None,
    fhint: |_: &types::FrejaFailed| None
);
family!(
    /// Norwegian BankID sessions (auth, sign, backchannel auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::BankIdNo>> = None;
    /// ```
    BankIdNo, BankIdNoPending, BankIdNoCompleted, BankIdNoFailed,
    hint: |_: &types::BankIdNoPending| None,
    fhint: |_: &types::BankIdNoFailed| None
);
family!(
    /// Vipps MobilePay sessions (auth, backchannel auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::Vipps>> = None;
    /// ```
    Vipps, VippsPending, VippsCompleted, VippsFailed,
    hint: |_: &types::VippsPending| None,
    fhint: |_: &types::VippsFailed| None
);
family!(
    /// MitID sessions (auth, sign, backchannel auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::MitId>> = None;
    /// ```
    MitId, MitIdPending, MitIdCompleted, MitIdFailed,
    hint: |_: &types::MitIdPending| None,
    fhint: |_: &types::MitIdFailed| None
);
family!(
    /// Finnish Trust Network sessions (auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::Ftn>> = None;
    /// ```
    Ftn, FtnPending, FtnCompleted, FtnFailed,
    hint: |_: &types::FtnPending| None,
    fhint: |_: &types::FtnFailed| None
);
family!(
    /// Age verification sessions (every provider offering one).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::AgeVerification>> = None;
    /// ```
    AgeVerification, AgeVerificationPending, AgeVerificationCompleted, AgeVerificationFailed,
    hint: |_: &types::AgeVerificationPending| None,
    fhint: |_: &types::AgeVerificationFailed| None
);

/// An address as one line of text, whichever shape the service sent it in
/// (decision `address-shape`: the provider's clients decode a string, our
/// earlier reading was an object; both decode).
///
/// ```
/// use identisure::raw::types::Address;
/// let text: Address = serde_json::from_str(r#""Storgatan 12, 114 51 Stockholm""#).unwrap();
/// assert_eq!(text.to_string(), "Storgatan 12, 114 51 Stockholm");
/// let fields: Address = serde_json::from_str(r#"{"street":"Storgatan 12","postalCode":"114 51","city":"Stockholm"}"#).unwrap();
/// assert_eq!(fields.to_string(), "Storgatan 12, 114 51 Stockholm");
/// ```
impl fmt::Display for types::Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            types::Address::AddressText(text) => f.write_str(text),
            types::Address::StructuredAddress(a) => {
                let town = [a.postal_code.as_deref(), a.city.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let parts: Vec<&str> = [
                    a.street.as_deref(),
                    Some(town.as_str()),
                    a.country.as_deref(),
                ]
                .into_iter()
                .flatten()
                .filter(|p| !p.is_empty())
                .collect();
                f.write_str(&parts.join(", "))
            }
        }
    }
}

/// Where a flow lives: the start path and the collect/cancel path (phone and
/// backchannel flows are collected through their auth/sign flow).
#[derive(Debug)]
pub(crate) struct Flow {
    pub start_op: &'static str,
    pub collect_op: &'static str,
    pub cancel_op: &'static str,
    pub start: &'static [&'static str],
    pub session: &'static [&'static str],
}

/// A state of a session, as collect (or a callback) reports it.
///
/// ```
/// use identisure::{BankIdSe, HintCode, State};
///
/// let body = br#"{"id":"s1","status":"PENDING","hintCode":"userSign"}"#;
/// let state = State::<BankIdSe>::from_json(body).unwrap();
/// assert!(matches!(state, State::Pending(ref p) if p.id == "s1"));
/// assert_eq!(state.hint_code(), Some(HintCode::UserSign));
/// ```
#[derive(Debug, Clone)]
pub enum State<F: Family> {
    /// Still waiting for the user.
    Pending(F::Pending),
    /// Done: the person's data.
    Completed(F::Completed),
    /// Ended without success.
    Failed {
        /// Why (unknown codes are kept in [`FailureCode::Unknown`]).
        code: FailureCode,
        /// The last BankID hint, when the provider reports one.
        hint_code: Option<HintCode>,
        /// The whole FAILED body (id, refId …).
        details: F::Failed,
    },
}

/// How a session ended.
///
/// ```
/// use identisure::{Ftn, FailureCode, Outcome, State};
///
/// let state = State::<Ftn>::from_json(br#"{"id":"s","status":"FAILED","error":"CANCELLED"}"#).unwrap();
/// let outcome = state.into_outcome().unwrap();
/// assert!(matches!(outcome, Outcome::Failed { code: FailureCode::Cancelled, .. }));
/// ```
#[derive(Debug, Clone)]
pub enum Outcome<F: Family> {
    /// The person's data.
    Completed(F::Completed),
    /// Ended without success.
    Failed {
        /// Why (unknown codes are kept in [`FailureCode::Unknown`]).
        code: FailureCode,
        /// The last BankID hint, when the provider reports one.
        hint_code: Option<HintCode>,
        /// The whole FAILED body (id, refId …).
        details: F::Failed,
    },
}

impl<F: Family> State<F> {
    /// Parses a session body (a collect answer or a callback body). An
    /// unknown `status` gives [`Error::UnknownStatus`]; a known status with
    /// a broken field gives [`Error::Decode`] naming that field.
    ///
    /// ```
    /// use identisure::{Error, Vipps, State};
    /// let err = State::<Vipps>::from_json(br#"{"id":"s","status":"EXPIRED"}"#).unwrap_err();
    /// assert!(matches!(err, Error::UnknownStatus(ref s) if s == "EXPIRED"));
    /// let err = State::<Vipps>::from_json(br#"{"status":"COMPLETED"}"#).unwrap_err();
    /// assert!(matches!(err, Error::Decode { field: Some(ref f), .. } if f == "id"));
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self> {
        decode_state(reqwest::StatusCode::OK, body)
    }

    /// The BankID hint code of a pending or failed state.
    ///
    /// ```
    /// use identisure::{Freja, State};
    /// let s = State::<Freja>::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert_eq!(s.hint_code(), None);
    /// ```
    pub fn hint_code(&self) -> Option<HintCode> {
        match self {
            State::Pending(p) => F::pending_hint(p),
            State::Failed { hint_code, .. } => hint_code.clone(),
            State::Completed(_) => None,
        }
    }

    /// Whether the session has ended (completed or failed).
    ///
    /// ```
    /// use identisure::{MitId, State};
    /// let s = State::<MitId>::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert!(!s.is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        !matches!(self, State::Pending(_))
    }

    /// The outcome of a final state; `None` while pending.
    ///
    /// ```
    /// use identisure::{BankIdNo, State};
    /// let s = State::<BankIdNo>::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert!(s.into_outcome().is_none());
    /// ```
    pub fn into_outcome(self) -> Option<Outcome<F>> {
        match self {
            State::Pending(_) => None,
            State::Completed(c) => Some(Outcome::Completed(c)),
            State::Failed {
                code,
                hint_code,
                details,
            } => Some(Outcome::Failed {
                code,
                hint_code,
                details,
            }),
        }
    }
}

/// The `status` of a JSON object body, when it is not one of the three known.
pub(crate) fn peek_unknown_status(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        status: Option<serde_json::Value>,
    }
    let peek: Peek = serde_json::from_slice(body).ok()?;
    let status = peek.status?;
    let status = status.as_str()?;
    match status {
        "PENDING" | "COMPLETED" | "FAILED" => None,
        other => Some(crate::error::sanitize(
            &other.chars().take(64).collect::<String>(),
        )),
    }
}

pub(crate) fn decode_state<F: Family>(
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<State<F>> {
    #[derive(serde::Deserialize)]
    struct Peek {
        status: serde_json::Value,
    }
    use crate::client::decode_body;
    // Fast path, one pass for the common answer: each variant struct accepts
    // only its own `status` value, so at most one of them parses, and a
    // collect answer is nearly always PENDING (tried first; a parse of the
    // wrong variant stops at its `status`).
    if let Ok(pending) = serde_json::from_slice(body) {
        return Ok(State::Pending(pending));
    }
    if let Ok(completed) = serde_json::from_slice(body) {
        return Ok(State::Completed(completed));
    }
    if let Ok(details) = serde_json::from_slice::<F::Failed>(body) {
        let (code, hint_code) = F::failure(&details);
        return Ok(State::Failed {
            code,
            hint_code,
            details,
        });
    }
    // Slow path, only for a body that none of them accepts, to say why:
    // first only the status (its absence or a wrong type is a Decode error
    // naming `status`), then the variant it names, field by field. The body
    // is read in place (no copy).
    let peek: Peek = decode_body(status, body)?;
    let state = match peek.status.as_str() {
        Some("PENDING") => State::Pending(decode_body(status, body)?),
        Some("COMPLETED") => State::Completed(decode_body(status, body)?),
        Some("FAILED") => {
            let details: F::Failed = decode_body(status, body)?;
            let (code, hint_code) = F::failure(&details);
            State::Failed {
                code,
                hint_code,
                details,
            }
        }
        Some(other) => {
            return Err(Error::UnknownStatus(crate::error::sanitize(
                &other.chars().take(64).collect::<String>(),
            )));
        }
        None => {
            return Err(Error::Decode {
                status: status.as_u16(),
                field: Some("status".into()),
                detail: "invalid type".into(),
                excerpt: crate::error::excerpt(body),
            });
        }
    };
    Ok(state)
}

/// A started session: its PENDING data and the ways to follow it.
///
/// Cloning is cheap; clones share the collect pacing (never two collects of
/// one session less than a second apart) and the cancelled flag.
///
/// ```no_run
/// # async fn run() -> identisure::Result<()> {
/// use identisure::{Client, Outcome, WaitOptions};
/// use identisure::raw::types::builder::BankIdSeAuthRequest;
///
/// let client = Client::from_env()?;
/// let session = client.bankid_se().auth(BankIdSeAuthRequest::default()).await?;
/// println!("autostart token: {:?}", session.pending().unwrap().auto_start_token);
/// match session.wait(WaitOptions::default()).await? {
///     Outcome::Completed(person) => println!("hello {:?}", person.name),
///     Outcome::Failed { code, .. } => println!("failed: {code}"),
/// }
/// # Ok(()) }
/// ```
pub struct Session<F: Family> {
    inner: Arc<SessionInner<F>>,
}

impl<F: Family> Clone for Session<F> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

/// What clones of a session share. Kept small: one of these lives for every
/// session an application holds (thousands at once in a busy service).
pub(crate) struct SessionInner<F: Family> {
    pub client: Client,
    pub flow: &'static Flow,
    /// The id of a session attached by id; empty (no allocation) when
    /// `pending` is there, whose `id` is the session id.
    attached_id: String,
    pub pending: Option<F::Pending>,
    pub pacer: Pacer,
    /// Set once by a cancel (never reset); `cancel_notify` wakes the waits.
    /// A flag and a `Notify` inline instead of a `watch` channel, whose
    /// shared state is a separate allocation of several hundred bytes.
    cancelled: AtomicBool,
    cancel_notify: tokio::sync::Notify,
}

impl<F: Family> SessionInner<F> {
    pub(crate) fn new(
        client: Client,
        flow: &'static Flow,
        id: String,
        pending: Option<F::Pending>,
    ) -> Self {
        // The id of a started session is already in its PENDING data.
        let attached_id = match &pending {
            Some(p) if F::pending_id(p) == id => String::new(),
            _ => id,
        };
        Self {
            client,
            flow,
            attached_id,
            pending,
            pacer: Pacer::default(),
            cancelled: AtomicBool::new(false),
            cancel_notify: tokio::sync::Notify::new(),
        }
    }

    /// The session id.
    pub(crate) fn id(&self) -> &str {
        match &self.pending {
            Some(p) if self.attached_id.is_empty() => F::pending_id(p),
            _ => &self.attached_id,
        }
    }

    /// Marks the session cancelled and wakes every wait of it.
    pub(crate) fn mark_cancelled(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.cancel_notify.notify_waiters();
    }

    /// Whether the session was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves when the session is cancelled (at once if it already was).
    pub(crate) async fn cancelled(&self) {
        // Created before the flag is read: a cancel in between still
        // completes it (`notify_waiters` reaches every `Notified` created
        // before the call, polled or not).
        let notified = self.cancel_notify.notified();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }
}

impl<F: Family> fmt::Debug for Session<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("flow", &self.inner.flow.start_op)
            .field("id", &self.inner.id())
            .field("pending", &self.inner.pending)
            .finish()
    }
}

impl<F: Family> Session<F> {
    pub(crate) fn new(
        client: Client,
        flow: &'static Flow,
        id: String,
        pending: Option<F::Pending>,
    ) -> Self {
        Self {
            inner: Arc::new(SessionInner::new(client, flow, id, pending)),
        }
    }

    /// Starts a session: one POST, sent again only when its connection
    /// could not be established (it provably never left), at most
    /// [`crate::ClientBuilder::start_connect_retries`] times.
    pub(crate) async fn start(
        client: &Client,
        flow: &'static Flow,
        mut body: serde_json::Value,
    ) -> Result<Self> {
        if let (Some(url), Some(map)) = (
            client.notifier().and_then(|n| n.callback_url()),
            body.as_object_mut(),
        ) && !map.contains_key("callbackUrl")
        {
            map.insert("callbackUrl".into(), url.into());
        }
        let mut attempt = 1;
        let answer = loop {
            let sent = client
                .send(
                    Call {
                        operation: flow.start_op,
                        method: Method::POST,
                        segments: flow.start,
                        id: None,
                        attempt,
                        accept: crate::client::ACCEPT_JSON,
                    },
                    Body::Json(&body),
                )
                .await;
            match sent {
                Err(Error::Transport {
                    kind: crate::TransportKind::Connect,
                }) if attempt <= client.start_connect_retries() => {
                    let delay = std::time::Duration::from_millis(200 << (attempt - 1).min(4));
                    tracing::debug!(
                        operation = flow.start_op,
                        attempt,
                        retry_in_ms = delay.as_millis() as u64,
                        "connection not established; the start never left, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => break other?,
            }
        };
        let pending: F::Pending = crate::client::decode(&answer)?;
        let id = F::pending_id(&pending).to_string();
        if id.is_empty() {
            return Err(Error::Decode {
                status: answer.status.as_u16(),
                field: Some("id".into()),
                detail: "empty session id".into(),
                excerpt: None,
            });
        }
        tracing::debug!(operation = flow.start_op, session_id = %id, "session started");
        Ok(Self::new(client.clone(), flow, id, Some(pending)))
    }

    /// The session id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let session = client.bankid_se().auth_session("abc").unwrap();
    /// assert_eq!(session.id(), "abc");
    /// ```
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The PENDING data the start answered with (QR tokens, URL, binding
    /// message …); `None` for a session attached by id (e.g.
    /// [`crate::providers::BankIdSeApi::auth_session`]).
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.freja().auth_session("abc").unwrap().pending().is_none());
    /// ```
    pub fn pending(&self) -> Option<&F::Pending> {
        self.inner.pending.as_ref()
    }

    /// Collects the current state once. Waits first when the previous collect
    /// of this session started less than a second ago; no retries (use
    /// [`Session::wait`] or [`Session::updates`] for that).
    ///
    /// ```no_run
    /// # async fn run(session: identisure::Session<identisure::BankIdSe>) -> identisure::Result<()> {
    /// let state = session.collect().await?;
    /// println!("hint: {:?}", state.hint_code());
    /// # Ok(()) }
    /// ```
    pub async fn collect(&self) -> Result<State<F>> {
        crate::poll::collect_once(&self.inner, 1).await
    }

    /// Cancels the session on the server and stops every running
    /// [`Session::wait`] and [`Session::updates`] of it (they end with
    /// [`Error::Cancelled`]). The request is sent once.
    ///
    /// ```no_run
    /// # async fn run(session: identisure::Session<identisure::Freja>) -> identisure::Result<()> {
    /// session.cancel().await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self) -> Result<()> {
        self.inner.mark_cancelled();
        cancel_request(&self.inner).await
    }

    /// Polls until the session completes or fails, at one collect per
    /// second; honours 429 `Retry-After`; retries 5xx and transport errors
    /// of collects with jittered backoff within the options' budget. At the
    /// deadline it cancels the session (best effort) and returns
    /// [`Error::WaitTimeout`]. An unknown status ends it with
    /// [`Error::UnknownStatus`].
    ///
    /// With a [`crate::Notifier`] on the client, a verified final callback
    /// for this session ends the wait at once with the callback's result
    /// (no further collect); collects then only serve as a fallback, the
    /// first one a fallback interval (default 5 s) after the call, the next
    /// ones as far apart.
    ///
    /// Dropping the returned future stops polling at once; it does **not**
    /// cancel the session on the server (call [`Session::cancel`] for that).
    ///
    /// ```no_run
    /// # async fn run(session: identisure::Session<identisure::MitId>) -> identisure::Result<()> {
    /// use std::time::Duration;
    /// let outcome = session.wait(identisure::WaitOptions::default().timeout(Duration::from_secs(120))).await?;
    /// # let _ = outcome; Ok(()) }
    /// ```
    pub fn wait(
        &self,
        options: WaitOptions,
    ) -> impl Future<Output = Result<Outcome<F>>> + Send + '_ {
        // The engine's future itself (not one awaiting it): this future is
        // what a waiting task holds, so it is kept small.
        crate::poll::wait(&self.inner, options)
    }

    /// The state changes of the session as a stream: the first state, every
    /// change of the BankID hint code, and the final state (then it ends).
    /// Polls like [`Session::wait`] with default [`WaitOptions`]; an error
    /// is the last item. Dropping the stream stops polling. With a
    /// [`crate::Notifier`], the first state is collected at once, later
    /// collects follow at the notifier's fallback cadence (so hint changes
    /// show up more slowly), and a verified final callback is the last item
    /// as soon as it arrives.
    ///
    /// ```no_run
    /// # async fn run(session: identisure::Session<identisure::BankIdSe>) -> identisure::Result<()> {
    /// use futures_util::StreamExt;
    /// let mut updates = std::pin::pin!(session.updates());
    /// while let Some(state) = updates.next().await {
    ///     println!("{:?}", state?.hint_code());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn updates(&self) -> impl futures_core::Stream<Item = Result<State<F>>> + Send + use<F> {
        self.updates_with(WaitOptions::default())
    }

    /// [`Session::updates`] with explicit options (deadline, retry budget).
    ///
    /// ```no_run
    /// # fn run(session: identisure::Session<identisure::Vipps>) {
    /// let updates = session.updates_with(identisure::WaitOptions::default().max_retries(2));
    /// # let _ = updates; }
    /// ```
    pub fn updates_with(
        &self,
        options: WaitOptions,
    ) -> impl futures_core::Stream<Item = Result<State<F>>> + Send + use<F> {
        crate::poll::updates(self.inner.clone(), options)
    }
}

pub(crate) async fn cancel_request<F: Family>(inner: &SessionInner<F>) -> Result<()> {
    inner
        .client
        .send(
            Call {
                operation: inner.flow.cancel_op,
                method: Method::DELETE,
                segments: inner.flow.session,
                id: Some(inner.id()),
                attempt: 1,
                accept: crate::client::ACCEPT_JSON,
            },
            Body::None,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner(pending: Option<types::BankIdSePending>, id: &str) -> SessionInner<BankIdSe> {
        let client = Client::builder().credentials("a", "s").build().unwrap();
        SessionInner::new(
            client,
            &crate::providers::bankid_se::AUTH,
            id.into(),
            pending,
        )
    }

    #[test]
    fn the_id_is_kept_once() {
        let pending: types::BankIdSePending =
            serde_json::from_str(r#"{"id":"s-1","status":"PENDING"}"#).unwrap();
        let started = inner(Some(pending.clone()), "s-1");
        assert_eq!(started.id(), "s-1");
        assert_eq!(started.attached_id.capacity(), 0, "no second copy");
        let attached = inner(None, "s-2");
        assert_eq!(attached.id(), "s-2");
        // Should an id ever differ from the PENDING data, the one given wins.
        assert_eq!(inner(Some(pending), "other").id(), "other");
    }

    #[tokio::test]
    async fn cancelled_resolves_for_a_cancel_before_or_during_the_wait() {
        let before = inner(None, "s");
        before.mark_cancelled();
        assert!(before.is_cancelled());
        tokio::time::timeout(std::time::Duration::from_secs(5), before.cancelled())
            .await
            .expect("already cancelled");

        let during = Arc::new(inner(None, "s"));
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
}
