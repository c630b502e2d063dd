//! Started sessions: the handle a caller holds ([`Session`]), with its
//! PENDING data and collect / cancel / wait / updates. The polling itself is
//! the engine's (`poll.rs`); the states are `state.rs`'s.

use std::fmt;
use std::sync::Arc;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::operations::Flow;
use crate::poll::{Known, SessionInner, WaitOptions, cancel_request};
use crate::state::{Family, Outcome, State};
use crate::transport::Asked;

/// A started session: its PENDING data and the ways to follow it.
///
/// Cloning is cheap; clones share the collect pacing (never two collects of
/// one session less than a second apart) and the cancelled flag.
///
/// ```no_run
/// # async fn run() -> identisure::Result<()> {
/// use identisure::{Client, Outcome, WaitOptions};
/// use identisure::providers::bankid_se::AuthRequest;
///
/// let client = Client::from_env()?;
/// let session = client.bankid_se().auth(AuthRequest::default()).await?;
/// println!("autostart token: {:?}", session.pending().auto_start_token);
/// match session.wait(WaitOptions::default()).await? {
///     Outcome::Completed(person) => println!("hello {}", person.name.as_deref().unwrap_or_default()),
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

impl<F: Family> fmt::Debug for Session<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("flow", &self.inner.flow.start.id)
            .field("id", &self.inner.id())
            .field("pending", &self.inner.pending())
            .finish()
    }
}

impl<F: Family> Session<F> {
    pub(crate) fn new(client: Client, flow: &'static Flow, known: Known<F>) -> Self {
        Self {
            inner: Arc::new(SessionInner::new(client, flow, known)),
        }
    }

    /// Starts a session: one POST by the start's generated method, sent
    /// again only when its connection could not be established (refused, the host name not resolved, the
    /// TLS handshake failed: it provably never left), at most
    /// [`crate::ClientBuilder::start_connect_retries`] times.
    pub(crate) async fn start(
        client: &Client,
        flow: &'static Flow,
        mut body: serde_json::Value,
    ) -> Result<Started<F>> {
        if let (Some(url), Some(map)) = (
            client.notifier().and_then(|n| n.callback_url()),
            body.as_object_mut(),
        ) && !map.contains_key("callbackUrl")
        {
            map.insert("callbackUrl".into(), url.into());
        }
        let mut attempt = 1;
        let answer = loop {
            let asked = Asked {
                raw: client.sending(),
                operation: flow.start,
                id: None,
                attempt,
            };
            match F::start(asked, &body).await {
                // Refused, unresolved or no TLS: the start never left.
                Err(Error::Transport { kind, .. })
                    if kind.never_sent() && attempt <= client.start_connect_retries() =>
                {
                    let delay = std::time::Duration::from_millis(200 << (attempt - 1).min(4));
                    tracing::debug!(
                        operation = flow.start.id,
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
        let status = answer.status();
        // Any 2xx: decoded by the generated method, or (one the spec does
        // not list, or a body that does not fit) decoded again naming the
        // field that failed.
        let pending: F::Pending = answer.into_value(|p| p, crate::decode::decode_body)?;
        let id = F::pending_id(&pending).to_string();
        if id.is_empty() {
            return Err(Error::Decode {
                status: status.as_u16(),
                field: Some("id".into()),
                detail: "empty session id".into(),
                excerpt: None,
            });
        }
        tracing::debug!(operation = flow.start.id, session_id = %id, "session started");
        Ok(Started(Self::new(
            client.clone(),
            flow,
            Known::Started(pending),
        )))
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

    /// The flow of the operation table it belongs to.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let session = client.vipps().auth_session("abc").unwrap();
    /// assert_eq!(session.flow().provider(), identisure::Provider::Vipps);
    /// ```
    pub fn flow(&self) -> &'static crate::operations::Flow {
        self.inner.flow
    }

    /// The PENDING data the start answered with (QR tokens, URL, binding
    /// message …): `Some` for a session that came from a start (right after
    /// a start, [`Started::pending`] gives it without an `Option`), `None`
    /// for a session attached by id (e.g.
    /// [`crate::providers::BankIdSeApi::auth_session`]).
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.freja().auth_session("abc").unwrap().pending().is_none());
    /// ```
    pub fn pending(&self) -> Option<&F::Pending> {
        self.inner.pending()
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
    /// A session of a flow the API has no cancel operation for
    /// ([`crate::operations::Flow::cancel`] is `None`) answers
    /// [`Error::CancelUnsupported`]: nothing is sent and its waits go on.
    ///
    /// ```no_run
    /// # async fn run(session: identisure::Session<identisure::Freja>) -> identisure::Result<()> {
    /// session.cancel().await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self) -> Result<()> {
        if self.inner.flow.cancel.is_some() {
            self.inner.mark_cancelled();
        }
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

/// A session just started: what the start answered ([`Started::pending`]:
/// the QR tokens, the URL to send the user to, the binding message …),
/// and everything a [`Session`] does (it dereferences to one: `wait`,
/// `collect`, `cancel`, `updates`, `id`).
///
/// Keep it while you show the start data; keep only the [`Session`]
/// ([`Started::into_session`]) or just its id (to attach again later with
/// e.g. [`crate::providers::BankIdSeApi::auth_session`]) otherwise.
///
/// ```no_run
/// # async fn run(client: identisure::Client) -> identisure::Result<()> {
/// use identisure::providers::vipps::AuthRequest;
/// let started = client.vipps().auth(AuthRequest::default().redirect_url("https://rp.example/back")).await?;
/// println!("send the user to {:?}", started.pending().url);
/// let outcome = started.wait(identisure::WaitOptions::default()).await?;
/// # let _ = outcome; Ok(()) }
/// ```
pub struct Started<F: Family>(Session<F>);

impl<F: Family> Started<F> {
    /// The PENDING answer of the start.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let started = client.bankid_se().auth(Default::default()).await?;
    /// let qr = identisure::qr::BankIdQr::from_pending(started.pending(), std::time::Instant::now())?;
    /// println!("{}", qr.current());
    /// # Ok(()) }
    /// ```
    pub fn pending(&self) -> &F::Pending {
        self.0
            .pending()
            .expect("a Started session keeps the answer of its start")
    }

    /// The session, to follow it (also reachable through `Deref`).
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let started = client.ftn().auth(Default::default()).await?;
    /// let session: &identisure::Session<identisure::Ftn> = started.session();
    /// # let _ = session; Ok(()) }
    /// ```
    pub fn session(&self) -> &Session<F> {
        &self.0
    }

    /// The session alone.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let session = client.mitid().auth(Default::default()).await?.into_session();
    /// assert!(session.pending().is_some());
    /// # Ok(()) }
    /// ```
    pub fn into_session(self) -> Session<F> {
        self.0
    }
}

impl<F: Family> std::ops::Deref for Started<F> {
    type Target = Session<F>;
    fn deref(&self) -> &Session<F> {
        &self.0
    }
}

impl<F: Family> From<Started<F>> for Session<F> {
    fn from(started: Started<F>) -> Self {
        started.0
    }
}

impl<F: Family> Clone for Started<F> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<F: Family> fmt::Debug for Started<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Started").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::Provider;
    use crate::state::Vipps;

    /// Vipps auth as a spec without `DELETE /v3/vipps/auth/{id}` has it.
    static NO_CANCEL: Flow = Flow {
        provider: Provider::Vipps,
        name: "auth",
        family: "auth",
        start: &crate::operations::VIPPS_AUTH_START,
        collect: &crate::operations::VIPPS_AUTH_COLLECT,
        cancel: None,
    };

    #[tokio::test]
    async fn a_session_whose_flow_has_no_cancel_refuses_cancel_without_a_request() {
        // Nothing listens there: a request sent would be a transport error.
        let client = Client::builder()
            .credentials("a", "s")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let session = Session::<Vipps>::new(client, &NO_CANCEL, Known::Attached("s-1".into()));
        let err = session.cancel().await.unwrap_err();
        assert!(
            matches!(&err, Error::CancelUnsupported { flow } if flow == "vipps/auth"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("`vipps/auth` sessions cannot be cancelled"),
            "{err}"
        );
        // Its waits go on: the session was not marked cancelled.
        assert!(!session.inner.is_cancelled());
    }
}
