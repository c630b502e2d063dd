//! The same client for synchronous code (feature `blocking`).
//!
//! [`Client`] owns a small tokio runtime and runs the async client on it; no
//! runtime is needed on the caller's side. In async code use
//! [`crate::Client`]: called from inside an async runtime, the blocking
//! client still works (each call on a thread of its own, where tokio would
//! otherwise panic) but blocks the calling thread, a worker of that runtime,
//! until the call ends.
//!
//! ```
//! let client = identisure::blocking::Client::new(
//!     identisure::Client::builder().credentials("acct", "secret").build().unwrap(),
//! )
//! .unwrap();
//! let err = client.bankid_se().sign(Default::default()).unwrap_err();
//! assert_eq!(err.to_string(), "invalid request: `text` is required");
//! ```

use std::fmt;
use std::sync::Arc;

use futures_util::StreamExt as _;

use crate::error::{Error, Result};
use crate::providers::bankid_se;
use crate::raw::types;
use crate::state::{Family, Outcome, State};
use crate::{TransportKind, WaitOptions};

/// The blocking client: cheap to clone (shares the runtime and the pool).
///
/// ```
/// let client = identisure::blocking::Client::from_lookup(|name| match name {
///     "IDENTISURE_ACCOUNT_ID" => Some("acct".into()),
///     "IDENTISURE_SECRET_KEY" => Some("secret".into()),
///     _ => None,
/// })
/// .unwrap();
/// assert_eq!(client.inner().base_url(), "https://api.idkollen.se");
/// ```
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    rt: Arc<Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("inner", &self.inner)
            .finish()
    }
}

/// The blocking client's own runtime (shared by its clones and sessions).
///
/// Used from a thread of another async runtime, where tokio refuses to
/// start or drop one (it panics), it still works: a call runs on a thread
/// of its own while the calling thread waits (blocked, as any blocking
/// call there is), and the last clone dropped there shuts it down without
/// blocking.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    /// Runs `future` to its end.
    fn run<T: Send>(
        &self,
        future: impl std::future::Future<Output = Result<T>> + Send,
    ) -> Result<T> {
        let Some(rt) = &self.0 else {
            unreachable!("the runtime is only taken when it is dropped");
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(future);
        }
        tracing::debug!(
            "blocking client used inside an async runtime: running the call on a thread of its own"
        );
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name("identisure-blocking".into())
                .spawn_scoped(scope, || rt.block_on(future))
                .map_err(os_failure)?;
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// The operating system refused a thread or a runtime (its I/O driver).
fn os_failure(e: std::io::Error) -> Error {
    Error::Transport {
        kind: TransportKind::Other,
        method: None,
        url: None,
        source: Box::new(e),
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            rt.shutdown_background();
        }
    }
}

impl Client {
    /// Wraps an async client (built with [`crate::Client::builder`]).
    ///
    /// ```
    /// let c = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let blocking = identisure::blocking::Client::new(c).unwrap();
    /// # let _ = blocking;
    /// ```
    pub fn new(client: crate::Client) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(os_failure)?;
        Ok(Self {
            inner: client,
            rt: Arc::new(Runtime(Some(rt))),
        })
    }

    /// [`crate::Client::from_env`], blocking.
    ///
    /// ```no_run
    /// let client = identisure::blocking::Client::from_env()?;
    /// # Ok::<(), identisure::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        Self::new(crate::Client::from_env()?)
    }

    /// [`crate::Client::from_lookup`], blocking.
    ///
    /// ```
    /// assert!(identisure::blocking::Client::from_lookup(|_| None).is_err());
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        Self::new(crate::Client::from_lookup(lookup)?)
    }

    /// The async client underneath (and through it [`crate::Client::raw`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _raw = c.inner().raw();
    /// ```
    pub fn inner(&self) -> &crate::Client {
        &self.inner
    }

    fn session<F: Family>(&self, s: crate::Session<F>) -> Session<F> {
        Session {
            inner: s,
            rt: self.rt.clone(),
        }
    }

    fn started<F: Family>(&self, s: crate::Started<F>) -> Started<F> {
        Started {
            pending_of: s.clone(),
            session: self.session(s.into_session()),
        }
    }

    /// Runs an async start to its end (the typed starts, `starts!`).
    pub(crate) fn block_start<F: Family>(
        &self,
        start: impl std::future::Future<Output = Result<crate::Started<F>>> + Send,
    ) -> Result<Started<F>> {
        Ok(self.started(self.rt.run(start)?))
    }

    /// A session by id, blocking (the typed attaches, `sessions!`).
    pub(crate) fn attached<F: Family>(&self, s: Result<crate::Session<F>>) -> Result<Session<F>> {
        Ok(self.session(s?))
    }
}

/// A started session, blocking: see [`crate::Session`].
///
/// ```no_run
/// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
/// let session = client.bankid_se().auth(Default::default())?;
/// let outcome = session.wait(identisure::WaitOptions::default())?;
/// # let _ = outcome; Ok(()) }
/// ```
pub struct Session<F: Family> {
    inner: crate::Session<F>,
    rt: Arc<Runtime>,
}

impl<F: Family> Clone for Session<F> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            rt: self.rt.clone(),
        }
    }
}

impl<F: Family> fmt::Debug for Session<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Session")
            .field(&self.inner)
            .finish()
    }
}

impl<F: Family> Session<F> {
    /// The session id.
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// assert_eq!(c.vipps().auth_session("x").unwrap().id(), "x");
    /// ```
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The PENDING data of the start: `Some` for a session that came from a
    /// start ([`Started::pending`] gives it without an `Option`), `None`
    /// when attached by id.
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// assert!(c.ftn().auth_session("x").unwrap().pending().is_none());
    /// ```
    pub fn pending(&self) -> Option<&F::Pending> {
        self.inner.pending()
    }

    /// [`crate::Session::collect`], blocking.
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::Session<identisure::BankIdSe>) -> identisure::Result<()> {
    /// let state = s.collect()?;
    /// # let _ = state; Ok(()) }
    /// ```
    pub fn collect(&self) -> Result<State<F>> {
        self.rt.run(self.inner.collect())
    }

    /// [`crate::Session::cancel`], blocking.
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::Session<identisure::Freja>) -> identisure::Result<()> {
    /// s.cancel()?;
    /// # Ok(()) }
    /// ```
    pub fn cancel(&self) -> Result<()> {
        self.rt.run(self.inner.cancel())
    }

    /// [`crate::Session::wait`], blocking (a cancel from another thread
    /// through a clone of this session stops it).
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::Session<identisure::MitId>) -> identisure::Result<()> {
    /// let outcome = s.wait(identisure::WaitOptions::default())?;
    /// # let _ = outcome; Ok(()) }
    /// ```
    pub fn wait(&self, options: WaitOptions) -> Result<Outcome<F>> {
        self.rt.run(self.inner.wait(options))
    }

    /// [`crate::Session::updates`] as an iterator.
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::Session<identisure::BankIdSe>) -> identisure::Result<()> {
    /// for state in s.updates() {
    ///     println!("{:?}", state?.hint_code());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn updates(&self) -> impl Iterator<Item = Result<State<F>>> + use<F> {
        let mut stream = Box::pin(self.inner.updates());
        let rt = self.rt.clone();
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let item = rt
                .run(async { Ok(stream.next().await) })
                .unwrap_or_else(|e| Some(Err(e)));
            done = !matches!(item, Some(Ok(_)));
            item
        })
    }
}

/// A session just started, blocking: see [`crate::Started`]. Dereferences
/// to the blocking [`Session`].
///
/// ```no_run
/// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
/// let started = client.bankid_se().auth(Default::default())?;
/// println!("autostart token: {:?}", started.pending().auto_start_token);
/// let outcome = started.wait(identisure::WaitOptions::default())?;
/// # let _ = outcome; Ok(()) }
/// ```
pub struct Started<F: Family> {
    pending_of: crate::Started<F>,
    session: Session<F>,
}

impl<F: Family> Started<F> {
    /// The PENDING answer of the start.
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// let started = client.vipps().auth(Default::default())?;
    /// println!("send the user to {:?}", started.pending().url);
    /// # Ok(()) }
    /// ```
    pub fn pending(&self) -> &F::Pending {
        self.pending_of.pending()
    }

    /// The session alone.
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// let session = client.ftn().auth(Default::default())?.into_session();
    /// # let _ = session; Ok(()) }
    /// ```
    pub fn into_session(self) -> Session<F> {
        self.session
    }
}

impl<F: Family> std::ops::Deref for Started<F> {
    type Target = Session<F>;
    fn deref(&self) -> &Session<F> {
        &self.session
    }
}

impl<F: Family> fmt::Debug for Started<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Started")
            .field(&self.session)
            .finish()
    }
}

/// Defines a blocking provider API: the struct and its accessor. Its
/// methods are defined with the async ones, from the same list
/// (`starts!` and `sessions!` in `src/providers/mod.rs`).
macro_rules! blocking_api {
    ($(#[$m:meta])* $name:ident = $accessor:ident;) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            pub(crate) client: &'a Client,
        }

        impl Client {
            #[doc = concat!("Blocking [`crate::Client::", stringify!($accessor), "`].")]
            ///
            /// ```
            /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
            #[doc = concat!("let _api = c.", stringify!($accessor), "();")]
            /// ```
            pub fn $accessor(&self) -> $name<'_> {
                $name { client: self }
            }
        }
    };
}

blocking_api! {
    /// Blocking Swedish BankID operations (see [`crate::providers::BankIdSeApi`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.bankid_se();
    /// ```
    BankIdSeApi = bankid_se;
}

impl BankIdSeApi<'_> {
    /// Blocking [`crate::providers::BankIdSeApi::verify`].
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_se::VerifyRequest;
    /// let person = client.bankid_se().verify(VerifyRequest::default().qr_code("…"))?;
    /// # let _ = person; Ok(()) }
    /// ```
    pub fn verify(
        &self,
        request: bankid_se::VerifyRequest,
    ) -> Result<types::BankIdSeVerifyResponse> {
        self.client
            .rt
            .run(self.client.inner.bankid_se().verify(request))
    }
}

blocking_api! {
    /// Blocking Freja eID operations (see [`crate::providers::FrejaApi`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.freja();
    /// ```
    FrejaApi = freja;
}

blocking_api! {
    /// Blocking Norwegian BankID operations (see [`crate::providers::BankIdNoApi`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.bankid_no();
    /// ```
    BankIdNoApi = bankid_no;
}

blocking_api! {
    /// Blocking Vipps operations (see [`crate::providers::VippsApi`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.vipps();
    /// ```
    VippsApi = vipps;
}

blocking_api! {
    /// Blocking MitID operations (see [`crate::providers::MitIdApi`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.mitid();
    /// ```
    MitIdApi = mitid;
}

blocking_api! {
    /// Blocking FTN operations (see [`crate::providers::FtnApi`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.ftn();
    /// ```
    FtnApi = ftn;
}

/// Blocking document operations (see [`crate::providers::DocumentsApi`]).
///
/// ```
/// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
/// assert!(c.documents().upload(b"no pdf".to_vec()).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DocumentsApi<'a> {
    client: &'a Client,
}

impl Client {
    /// Blocking [`crate::Client::documents`].
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let _api = c.documents();
    /// ```
    pub fn documents(&self) -> DocumentsApi<'_> {
        DocumentsApi { client: self }
    }
}

impl DocumentsApi<'_> {
    /// Blocking [`crate::providers::DocumentsApi::upload`].
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// let doc = client.documents().upload(std::fs::read("contract.pdf").unwrap())?;
    /// # let _ = doc; Ok(()) }
    /// ```
    pub fn upload(&self, pdf: impl Into<Vec<u8>>) -> Result<types::Document> {
        self.client
            .rt
            .run(self.client.inner.documents().upload(pdf.into()))
    }

    /// Blocking [`crate::providers::DocumentsApi::download`].
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// let pdf = client.documents().download("doc-1")?;
    /// # let _ = pdf; Ok(()) }
    /// ```
    pub fn download(&self, id: &str) -> Result<bytes::Bytes> {
        self.client
            .rt
            .run(self.client.inner.documents().download(id))
    }

    /// Blocking [`crate::providers::DocumentsApi::delete`].
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// client.documents().delete("doc-1")?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, id: &str) -> Result<()> {
        self.client.rt.run(self.client.inner.documents().delete(id))
    }
}

/// Blocking [`crate::flow::FlowApi`]: any flow of the operation table by
/// name, JSON in and out (a flow added to the spec is here without an edit).
///
/// ```
/// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
/// let err = c.flow("bankid-se/sign").unwrap().start_json(serde_json::json!({})).unwrap_err();
/// assert!(err.to_string().contains("`text` is required"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FlowApi<'a> {
    client: &'a Client,
    flow: &'static crate::operations::Flow,
}

impl Client {
    /// Blocking [`crate::Client::flow`]: the flow `name` (see
    /// [`crate::flow::find`]).
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// assert!(c.flow("mitid/age-verification").is_ok());
    /// assert!(c.flow("mitid/nothing").unwrap_err().to_string().contains("mitid/auth"));
    /// ```
    pub fn flow(&self, name: &str) -> Result<FlowApi<'_>> {
        Ok(FlowApi {
            client: self,
            flow: crate::flow::find(name)?,
        })
    }
}

impl FlowApi<'_> {
    /// The flow of the operation table.
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// assert_eq!(c.flow("ftn/auth").unwrap().flow().provider(), identisure::Provider::Ftn);
    /// ```
    pub fn flow(&self) -> &'static crate::operations::Flow {
        self.flow
    }

    /// Blocking [`crate::flow::FlowApi::start_json`]: starts the flow with a
    /// JSON body (one POST, never retried), checked as the typed request.
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// let started = client.flow("bankid-no/auth")?.start_json(serde_json::json!({}))?;
    /// println!("send the user to {}", started.pending().json()["url"]);
    /// let state = started.session().wait(identisure::WaitOptions::default())?;
    /// # let _ = state; Ok(()) }
    /// ```
    pub fn start_json(&self, body: serde_json::Value) -> Result<AnyStarted> {
        let api = crate::flow::FlowApi::of(&self.client.inner, self.flow);
        let started = self.client.rt.run(api.start_json(body))?;
        Ok(AnyStarted {
            pending: started.pending().clone(),
            session: AnySession {
                inner: started.session().clone(),
                rt: self.client.rt.clone(),
            },
        })
    }

    /// Blocking [`crate::flow::FlowApi::session`]: a session of this flow by id.
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// assert_eq!(c.flow("ftn/auth").unwrap().session("x").unwrap().id(), "x");
    /// assert!(c.flow("ftn/auth").unwrap().session("").is_err());
    /// ```
    pub fn session(&self, id: &str) -> Result<AnySession> {
        let api = crate::flow::FlowApi::of(&self.client.inner, self.flow);
        Ok(AnySession {
            inner: api.session(id)?,
            rt: self.client.rt.clone(),
        })
    }
}

/// Blocking [`crate::flow::AnySession`]: a session of any flow.
///
/// ```no_run
/// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
/// let session = client.flow("bankid-se/auth")?.session("a-stored-id")?;
/// println!("{:?}", session.collect()?.status());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AnySession {
    inner: crate::flow::AnySession,
    rt: Arc<Runtime>,
}

impl fmt::Debug for AnySession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::AnySession")
            .field(&self.inner)
            .finish()
    }
}

impl AnySession {
    /// The session id.
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// assert_eq!(c.flow("vipps/auth").unwrap().session("x").unwrap().id(), "x");
    /// ```
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The flow it belongs to.
    ///
    /// ```
    /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
    /// let s = c.flow("vipps/auth").unwrap().session("x").unwrap();
    /// assert_eq!(s.flow().provider(), identisure::Provider::Vipps);
    /// ```
    pub fn flow(&self) -> &'static crate::operations::Flow {
        self.inner.flow()
    }

    /// The current state, once.
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::AnySession) -> identisure::Result<()> {
    /// println!("{:?}", s.collect()?.status());
    /// # Ok(()) }
    /// ```
    pub fn collect(&self) -> Result<crate::flow::AnyState> {
        self.rt.run(self.inner.collect())
    }

    /// Waits for the final state.
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::AnySession) -> identisure::Result<()> {
    /// let state = s.wait(identisure::WaitOptions::default())?;
    /// assert!(state.is_final());
    /// # Ok(()) }
    /// ```
    pub fn wait(&self, options: WaitOptions) -> Result<crate::flow::AnyState> {
        self.rt.run(self.inner.wait(options))
    }

    /// Cancels the session.
    ///
    /// ```no_run
    /// # fn run(s: identisure::blocking::AnySession) -> identisure::Result<()> {
    /// s.cancel()?;
    /// # Ok(()) }
    /// ```
    pub fn cancel(&self) -> Result<()> {
        self.rt.run(self.inner.cancel())
    }
}

/// Blocking [`crate::flow::AnyStarted`]: the start's answer and the session.
///
/// ```no_run
/// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
/// let started = client.flow("freja/auth")?.start_json(serde_json::json!({}))?;
/// println!("{}", started.pending().json());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AnyStarted {
    pending: crate::flow::AnyState,
    session: AnySession,
}

impl AnyStarted {
    /// The start's PENDING answer.
    ///
    /// ```no_run
    /// # fn run(started: identisure::blocking::AnyStarted) {
    /// println!("{}", started.pending().json());
    /// # }
    /// ```
    pub fn pending(&self) -> &crate::flow::AnyState {
        &self.pending
    }

    /// The session, to follow it.
    ///
    /// ```no_run
    /// # fn run(started: identisure::blocking::AnyStarted) -> identisure::Result<()> {
    /// let state = started.session().wait(identisure::WaitOptions::default())?;
    /// # let _ = state; Ok(()) }
    /// ```
    pub fn session(&self) -> &AnySession {
        &self.session
    }
}
