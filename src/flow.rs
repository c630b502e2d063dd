//! Any flow by name, JSON in and out: what a command line, a generic
//! endpoint or a configuration file needs, without a type per flow.
//!
//! A flow is named by its start path without `/v3/` (`bankid-se/auth`,
//! `freja/backchannel/sign`, `mitid/age-verification`); its sessions also by
//! the path they are collected at (`bankid-se/sign` for a phone signature).
//! A JSON body is checked exactly as the flow's typed request is (the same
//! generated rules, field and rule named), the session is followed by the
//! same engine, and states come back as [`AnyState`]: their status, codes
//! and the JSON the API answered.
//!
//! ```no_run
//! # async fn run(client: identisure::Client) -> identisure::Result<()> {
//! let flow = client.flow("freja/sign")?;
//! let started = flow.start_json(serde_json::json!({ "text": "I agree" })).await?;
//! println!("{}", started.pending().json());
//! let state = started.session().wait(Default::default()).await?;
//! println!("{:?}: {}", state.status(), state.json());
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::StreamExt as _;
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::operations::Flow;
use crate::poll::{Known, WaitOptions};
use crate::session::Session;
use crate::state::{Family, State};
use crate::{
    AgeVerification, BankIdNo, BankIdSe, FailureCode, Freja, Ftn, HintCode, MitId, Outcome, Vipps,
};

/// Where a session stands (the `status` of [`AnyState`]).
///
/// ```
/// assert_ne!(identisure::flow::Status::Pending, identisure::flow::Status::Completed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the user.
    Pending,
    /// Done: the JSON holds the person.
    Completed,
    /// Ended without success.
    Failed,
}

/// A state of a session of any flow: its status, its codes and its JSON
/// (the API's answer, decoded by the flow's types and serialized again: a
/// `qrStartSecret` is in it; redact before you print).
///
/// ```
/// use identisure::{BankIdSe, State};
/// use identisure::flow::{AnyState, Status};
/// let state: State<BankIdSe> = State::from_json(br#"{"id":"s","status":"PENDING","hintCode":"userSign"}"#).unwrap();
/// let any = AnyState::from(&state);
/// assert_eq!(any.status(), Status::Pending);
/// assert_eq!(any.json()["hintCode"], "userSign");
/// ```
#[derive(Debug, Clone)]
pub struct AnyState {
    status: Status,
    hint: Option<HintCode>,
    failure: Option<FailureCode>,
    json: serde_json::Value,
}

impl AnyState {
    /// Pending, completed or failed.
    ///
    /// ```
    /// # use identisure::{Ftn, State, flow::{AnyState, Status}};
    /// let s: State<Ftn> = State::from_json(br#"{"id":"s","status":"FAILED","error":"CANCELLED"}"#).unwrap();
    /// assert_eq!(AnyState::from(&s).status(), Status::Failed);
    /// ```
    pub fn status(&self) -> Status {
        self.status
    }

    /// The BankID hint code; `None` for other providers and when BankID
    /// sent none.
    ///
    /// ```
    /// # use identisure::{BankIdSe, HintCode, State, flow::AnyState};
    /// let s: State<BankIdSe> = State::from_json(br#"{"id":"s","status":"PENDING","hintCode":"started"}"#).unwrap();
    /// assert_eq!(AnyState::from(&s).hint_code(), Some(&HintCode::Started));
    /// ```
    pub fn hint_code(&self) -> Option<&HintCode> {
        self.hint.as_ref()
    }

    /// The failure code of a FAILED state; `None` otherwise.
    ///
    /// ```
    /// # use identisure::{FailureCode, Vipps, State, flow::AnyState};
    /// let s: State<Vipps> = State::from_json(br#"{"id":"s","status":"FAILED","error":"CANCELLED"}"#).unwrap();
    /// assert_eq!(AnyState::from(&s).failure_code(), Some(&FailureCode::Cancelled));
    /// ```
    pub fn failure_code(&self) -> Option<&FailureCode> {
        self.failure.as_ref()
    }

    /// The state as JSON (the API's field names).
    ///
    /// ```
    /// # use identisure::{MitId, State, flow::AnyState};
    /// let s: State<MitId> = State::from_json(br#"{"id":"s-1","status":"PENDING"}"#).unwrap();
    /// assert_eq!(AnyState::from(&s).json()["id"], "s-1");
    /// ```
    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// Whether the session has ended.
    ///
    /// ```
    /// # use identisure::{Freja, State, flow::AnyState};
    /// let s: State<Freja> = State::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert!(!AnyState::from(&s).is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        self.status != Status::Pending
    }
}

impl<F: Family> From<&State<F>> for AnyState
where
    F::Pending: Serialize,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    fn from(state: &State<F>) -> Self {
        let json = |v: &dyn erased_json::Json| v.to_json();
        match state {
            State::Pending(p) => AnyState {
                status: Status::Pending,
                hint: state.hint_code(),
                failure: None,
                json: json(p),
            },
            State::Completed(c) => AnyState {
                status: Status::Completed,
                hint: None,
                failure: None,
                json: json(c),
            },
            State::Failed {
                code,
                hint_code,
                details,
            } => AnyState {
                status: Status::Failed,
                hint: hint_code.clone(),
                failure: Some(code.clone()),
                json: json(details),
            },
        }
    }
}

mod erased_json {
    /// A value that serializes (object-safe).
    pub(super) trait Json {
        fn to_json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type BoxStream<T> = Pin<Box<dyn futures_core::Stream<Item = T> + Send>>;

/// A session of any family, behind one object.
trait Erased: Send + Sync {
    fn id(&self) -> &str;
    fn collect(&self) -> BoxFuture<'_, Result<AnyState>>;
    fn wait(&self, options: WaitOptions) -> BoxFuture<'_, Result<AnyState>>;
    fn updates(&self, options: WaitOptions) -> BoxStream<Result<AnyState>>;
    fn cancel(&self) -> BoxFuture<'_, Result<()>>;
}

impl<F: Family> Erased for Session<F>
where
    F::Pending: Serialize,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    fn id(&self) -> &str {
        Session::id(self)
    }

    fn collect(&self) -> BoxFuture<'_, Result<AnyState>> {
        Box::pin(async move { Session::collect(self).await.map(|s| AnyState::from(&s)) })
    }

    fn wait(&self, options: WaitOptions) -> BoxFuture<'_, Result<AnyState>> {
        Box::pin(async move {
            let state = match Session::wait(self, options).await? {
                Outcome::Completed(c) => State::<F>::Completed(*c),
                Outcome::Failed {
                    code,
                    hint_code,
                    details,
                } => State::Failed {
                    code,
                    hint_code,
                    details: *details,
                },
            };
            Ok(AnyState::from(&state))
        })
    }

    fn updates(&self, options: WaitOptions) -> BoxStream<Result<AnyState>> {
        Box::pin(
            self.updates_with(options)
                .map(|item| item.map(|s| AnyState::from(&s))),
        )
    }

    fn cancel(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(Session::cancel(self))
    }
}

/// A session of any flow (see the module docs). Cheap to clone.
///
/// ```no_run
/// # async fn run(client: identisure::Client) -> identisure::Result<()> {
/// let session = client.flow("bankid-se/auth")?.session("a-stored-id")?;
/// let state = session.collect().await?;
/// # let _ = state; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AnySession {
    inner: Arc<dyn Erased>,
    flow: &'static Flow,
}

impl std::fmt::Debug for AnySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnySession")
            .field("flow", &self.flow.start().id())
            .field("id", &self.id())
            .finish()
    }
}

impl AnySession {
    /// The session id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert_eq!(client.flow("ftn/auth").unwrap().session("x").unwrap().id(), "x");
    /// ```
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The flow it belongs to.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let session = client.flow("vipps/auth").unwrap().session("x").unwrap();
    /// assert_eq!(session.flow().provider(), identisure::Provider::Vipps);
    /// ```
    pub fn flow(&self) -> &'static Flow {
        self.flow
    }

    /// [`crate::Session::collect`]: the current state, once.
    ///
    /// ```no_run
    /// # async fn run(s: identisure::flow::AnySession) -> identisure::Result<()> {
    /// println!("{:?}", s.collect().await?.status());
    /// # Ok(()) }
    /// ```
    pub async fn collect(&self) -> Result<AnyState> {
        self.inner.collect().await
    }

    /// [`crate::Session::wait`]: the final state.
    ///
    /// ```no_run
    /// # async fn run(s: identisure::flow::AnySession) -> identisure::Result<()> {
    /// let state = s.wait(identisure::WaitOptions::default()).await?;
    /// # let _ = state; Ok(()) }
    /// ```
    pub async fn wait(&self, options: WaitOptions) -> Result<AnyState> {
        self.inner.wait(options).await
    }

    /// [`crate::Session::updates_with`]: the state changes, the final one last.
    ///
    /// ```no_run
    /// # async fn run(s: identisure::flow::AnySession) -> identisure::Result<()> {
    /// use futures_util::StreamExt;
    /// let mut updates = s.updates(identisure::WaitOptions::default());
    /// while let Some(state) = updates.next().await {
    ///     println!("{:?}", state?.status());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn updates(
        &self,
        options: WaitOptions,
    ) -> impl futures_core::Stream<Item = Result<AnyState>> + Send + use<> {
        self.inner.updates(options)
    }

    /// [`crate::Session::cancel`].
    ///
    /// ```no_run
    /// # async fn run(s: identisure::flow::AnySession) -> identisure::Result<()> {
    /// s.cancel().await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self) -> Result<()> {
        self.inner.cancel().await
    }
}

/// A session just started by [`FlowApi::start_json`]: the start's answer
/// and the session.
///
/// ```no_run
/// # async fn run(client: identisure::Client) -> identisure::Result<()> {
/// let started = client.flow("bankid-no/auth")?.start_json(serde_json::json!({})).await?;
/// println!("send the user to {}", started.pending().json()["url"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AnyStarted {
    pending: AnyState,
    session: AnySession,
}

impl AnyStarted {
    /// The start's PENDING answer.
    ///
    /// ```no_run
    /// # async fn run(started: identisure::flow::AnyStarted) {
    /// println!("{}", started.pending().json());
    /// # }
    /// ```
    pub fn pending(&self) -> &AnyState {
        &self.pending
    }

    /// The session, to follow it.
    ///
    /// ```no_run
    /// # async fn run(started: identisure::flow::AnyStarted) -> identisure::Result<()> {
    /// let state = started.session().wait(Default::default()).await?;
    /// # let _ = state; Ok(()) }
    /// ```
    pub fn session(&self) -> &AnySession {
        &self.session
    }
}

/// One flow of the API, from [`Client::flow`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let flow = client.flow("bankid-se/phone/sign").unwrap();
/// assert_eq!(flow.flow().start().path(), "/v3/bankid-se/phone/sign");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FlowApi<'a> {
    client: &'a Client,
    flow: &'static Flow,
}

/// The name of a flow: its start path without `/v3/`.
///
/// ```
/// let flow = identisure::operations::flows().next().unwrap();
/// assert!(!identisure::flow::name(flow).starts_with('/'));
/// ```
pub fn name(flow: &Flow) -> &'static str {
    let path = flow.start().path();
    path.strip_prefix("/v3/").unwrap_or(path)
}

/// The flow named by its start path without `/v3/` (`bankid-se/auth`,
/// `freja/backchannel/sign`), or by the path its sessions are collected at
/// (`bankid-se/sign` for a phone signature's sessions: the first flow of
/// that family). An unknown name is [`Error::InvalidRequest`] listing the
/// flows.
///
/// ```
/// let flow = identisure::flow::find("freja/sign").unwrap();
/// assert_eq!(flow.provider(), identisure::Provider::Freja);
/// assert!(identisure::flow::find("freja/nothing").is_err());
/// ```
pub fn find(name: &str) -> Result<&'static Flow> {
    let wanted = name.trim_matches('/').to_ascii_lowercase();
    let wanted = wanted.strip_prefix("v3/").unwrap_or(&wanted);
    let collected_at = |f: &Flow| {
        let path = f.collect().path();
        path.strip_prefix("/v3/")
            .unwrap_or(path)
            .trim_end_matches("/{id}")
            .to_string()
    };
    crate::operations::flows()
        .find(|f| self::name(f) == wanted)
        .or_else(|| crate::operations::flows().find(|f| collected_at(f) == wanted))
        .ok_or_else(|| {
            let known: Vec<&str> = crate::operations::flows().map(self::name).collect();
            Error::invalid("flow", format!("must be one of {}", known.join(", ")))
        })
}

/// Checks a JSON body for `operation` exactly as its typed request is
/// checked (the spec's rules, then the client's own: absolute URLs, IP
/// addresses), without sending anything; the body as it would be sent. A
/// field the request does not name is refused (it would be dropped).
///
/// ```
/// let sign = identisure::flow::find("bankid-se/sign").unwrap();
/// let err = identisure::flow::check_body(sign.start(), &serde_json::json!({})).unwrap_err();
/// assert!(err.to_string().contains("`text` is required"));
/// let ok = identisure::flow::check_body(sign.start(), &serde_json::json!({ "text": "I agree" })).unwrap();
/// assert_eq!(ok["text"], "I agree");
/// ```
pub fn check_body(
    operation: &crate::operations::Operation,
    body: &serde_json::Value,
) -> Result<serde_json::Value> {
    crate::requests::checked_body(operation.id(), body)
}

/// A JSON body as the API document reads it ([`read_body`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReadBody {
    /// The body as its typed request serializes it (every field the
    /// request names, checked by the spec's rules).
    pub body: serde_json::Value,
    /// Fields of the given body the request does not name, in the order
    /// given. The service may ignore or refuse them; the document does not
    /// say.
    pub unknown_fields: Vec<String>,
}

/// Reads a JSON body for `operation` as the API document does: the spec's
/// rules only (not the client's own stricter checks of [`check_body`]),
/// fields the request does not name listed instead of refused. What a
/// server of this API (a simulator, a proxy) accepts; a client sending a
/// body uses [`check_body`].
///
/// ```
/// let auth = identisure::flow::find("bankid-se/auth").unwrap();
/// let read = identisure::flow::read_body(auth.start(), &serde_json::json!({
///     "intent": "Log in", "colour": "blue",
/// })).unwrap();
/// assert_eq!(read.unknown_fields, ["colour"]);
/// assert_eq!(read.body["intent"], "Log in");
/// let sign = identisure::flow::find("bankid-se/sign").unwrap();
/// let err = identisure::flow::read_body(sign.start(), &serde_json::json!({})).unwrap_err();
/// assert!(err.to_string().contains("`text` is required"));
/// ```
pub fn read_body(
    operation: &crate::operations::Operation,
    body: &serde_json::Value,
) -> Result<ReadBody> {
    let (body, unknown_fields) = crate::requests::read_body(operation.id(), body)?;
    Ok(ReadBody {
        body,
        unknown_fields,
    })
}

impl Client {
    /// The flow `name` of this client (see [`find`]).
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.flow("mitid/age-verification").is_ok());
    /// let err = client.flow("mitid/nothing").unwrap_err();
    /// assert!(err.to_string().contains("mitid/auth"));
    /// ```
    pub fn flow(&self, name: &str) -> Result<FlowApi<'_>> {
        Ok(FlowApi {
            client: self,
            flow: find(name)?,
        })
    }
}

impl<F: Family> From<Session<F>> for AnySession
where
    F::Pending: Serialize,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    /// Forgets the family of a session (its flow's table entry stays).
    fn from(session: Session<F>) -> Self {
        let flow = session.flow();
        AnySession {
            inner: Arc::new(session),
            flow,
        }
    }
}

impl<F: Family> From<crate::Started<F>> for AnyStarted
where
    F::Pending: Serialize,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    /// Forgets the family of a session just started.
    fn from(started: crate::Started<F>) -> Self {
        let pending = AnyState::from(&State::<F>::Pending(started.pending().clone()));
        AnyStarted {
            pending,
            session: started.into_session().into(),
        }
    }
}

impl<'a> FlowApi<'a> {
    /// The API of a flow already found (the blocking client's).
    #[cfg(feature = "blocking")]
    pub(crate) fn of(client: &'a Client, flow: &'static Flow) -> Self {
        FlowApi { client, flow }
    }
}

impl FlowApi<'_> {
    /// The flow of the operation table.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert_eq!(client.flow("ftn/auth").unwrap().flow().provider(), identisure::Provider::Ftn);
    /// ```
    pub fn flow(&self) -> &'static Flow {
        self.flow
    }

    /// Starts the flow with a JSON body (one POST, never retried). The body
    /// is checked exactly as the flow's typed request: a field breaking a
    /// rule is [`Error::InvalidRequest`], nothing sent; a field the API does
    /// not name is refused too (it would be dropped otherwise).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let err = client.flow("bankid-se/sign").unwrap().start_json(serde_json::json!({})).await.unwrap_err();
    /// assert_eq!(err.to_string().contains("`text` is required"), true);
    /// # }
    /// ```
    pub async fn start_json(&self, body: serde_json::Value) -> Result<AnyStarted> {
        let body = crate::requests::checked_body(self.flow.start().id(), &body)?;
        match family_of(self.flow) {
            Kind::BankIdSe => start::<BankIdSe>(self.client, self.flow, body).await,
            Kind::BankIdNo => start::<BankIdNo>(self.client, self.flow, body).await,
            Kind::Freja => start::<Freja>(self.client, self.flow, body).await,
            Kind::MitId => start::<MitId>(self.client, self.flow, body).await,
            Kind::Ftn => start::<Ftn>(self.client, self.flow, body).await,
            Kind::Vipps => start::<Vipps>(self.client, self.flow, body).await,
            Kind::AgeVerification => start::<AgeVerification>(self.client, self.flow, body).await,
        }
    }

    /// A session of this flow by id (from a callback, a database).
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.flow("bankid-se/auth").unwrap().session("").is_err());
    /// ```
    pub fn session(&self, id: &str) -> Result<AnySession> {
        crate::validate::id(id)?;
        let id: Box<str> = id.into();
        let client = self.client.clone();
        // A session of family `F` attached by its id.
        fn attached<F: Family>(client: Client, flow: &'static Flow, id: Box<str>) -> Arc<dyn Erased>
        where
            Session<F>: Erased,
        {
            Arc::new(Session::<F>::new(client, flow, Known::Attached(id)))
        }
        let inner = match family_of(self.flow) {
            Kind::BankIdSe => attached::<BankIdSe>(client, self.flow, id),
            Kind::BankIdNo => attached::<BankIdNo>(client, self.flow, id),
            Kind::Freja => attached::<Freja>(client, self.flow, id),
            Kind::MitId => attached::<MitId>(client, self.flow, id),
            Kind::Ftn => attached::<Ftn>(client, self.flow, id),
            Kind::Vipps => attached::<Vipps>(client, self.flow, id),
            Kind::AgeVerification => attached::<AgeVerification>(client, self.flow, id),
        };
        Ok(AnySession {
            inner,
            flow: self.flow,
        })
    }
}

async fn start<F: Family>(
    client: &Client,
    flow: &'static Flow,
    body: serde_json::Value,
) -> Result<AnyStarted>
where
    F::Pending: Serialize,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    Ok(Session::<F>::start(client, flow, body).await?.into())
}

/// The session families, one per session schema of the spec.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    BankIdSe,
    BankIdNo,
    Freja,
    MitId,
    Ftn,
    Vipps,
    AgeVerification,
}

/// The family of a flow's sessions: age verification, or its provider's.
fn family_of(flow: &Flow) -> Kind {
    if flow.family() == "age_verification" {
        return Kind::AgeVerification;
    }
    match flow.provider() {
        crate::Provider::BankIdSe => Kind::BankIdSe,
        crate::Provider::BankIdNo => Kind::BankIdNo,
        crate::Provider::Freja => Kind::Freja,
        crate::Provider::MitId => Kind::MitId,
        crate::Provider::Ftn => Kind::Ftn,
        crate::Provider::Vipps => Kind::Vipps,
    }
}
