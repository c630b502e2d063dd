//! QR logins on a page of your own (feature `web`): the pieces the ready
//! [`crate`] is made of, for an app with its own design.
//!
//! [`QrLogins`] keeps the logins in progress (Swedish BankID's animated QR
//! code, Freja's QR code) in memory with an expiry, follows each session in
//! the background, and gives your routes what a page needs:
//!
//! - [`QrLogins::qr_svg`]: the current QR code as SVG (BankID's changes
//!   every second; it is computed on the server, so `qrStartSecret` never
//!   reaches the browser);
//! - [`QrLogins::status`]: where the login stands, with BankID's message for
//!   the user (serializes to JSON for a page that polls);
//! - [`QrLogins::events`]: the same pushed as Server-Sent Events (`qr` every
//!   second, `status` on change, `done` at the end), an axum response;
//! - [`QrLogins::take_completed`]: the person, once, for your own session.
//!
//! Each login has an unguessable [`LoginId`] (128 random bits, not the
//! session id). Keep it where only the browser that started the login can
//! present it (your session, an `HttpOnly` cookie): whoever holds it can
//! read the QR code and the result.
//!
//! ```no_run
//! use axum::extract::{Path, State};
//! use axum::response::{IntoResponse, Response};
//! use axum::routing::{get, post};
//! use identisure_web::login::{LoginId, QrLogins};
//! use identisure::providers::bankid_se::AuthRequest;
//!
//! async fn start(State(logins): State<QrLogins>) -> Result<String, String> {
//!     let id = logins.start_bankid(AuthRequest::default().intent("Log in to Example")).await
//!         .map_err(|e| e.to_string())?;
//!     Ok(id.to_string()) // better: keep it in your session
//! }
//!
//! async fn events(State(logins): State<QrLogins>, Path(id): Path<LoginId>) -> Response {
//!     logins.events(&id).unwrap_or_else(|| axum::http::StatusCode::NOT_FOUND.into_response())
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let logins = QrLogins::new(identisure::Client::from_env()?);
//! let app: axum::Router = axum::Router::new()
//!     .route("/login", post(start))
//!     .route("/login/{id}/events", get(events))
//!     .with_state(logins);
//! # let _ = app; Ok(()) }
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use tokio::sync::watch;

use identisure::messages::{Lang, LaunchMethod, MessageContext, UserMessage, failure_message};
use identisure::providers::{bankid_se, freja};
use identisure::qr::render::QrImage;
use identisure::qr::{BankIdQr, QrFrame, QrFrames};
use identisure::raw::types;
use identisure::{
    Client, Error, FailureCode, Family, HintCode, Outcome, Provider, Result, Started,
};

/// The person of a completed login.
///
/// Personal data: `Debug` prints only the provider; read the name with
/// [`PersonalText::expose`](identisure::PersonalText::expose) (or as a `str`).
///
/// ```
/// let person = identisure_web::login::Person {
///     name: "Astrid Lindqvist".into(),
///     given_name: Some("Astrid".into()),
///     surname: Some("Lindqvist".into()),
///     personal_number: None,
///     provider: identisure::Provider::BankIdSe,
/// };
/// assert_eq!(person.name.expose(), "Astrid Lindqvist");
/// assert!(!format!("{person:?}").contains("Astrid"));
/// ```
#[derive(Clone)]
pub struct Person {
    /// The full name (the given name and surname joined when the provider
    /// sends no full name).
    pub name: identisure::PersonalText,
    /// The given name; `None` when the provider did not report it.
    pub given_name: Option<identisure::PersonalText>,
    /// The surname; `None` when the provider did not report it.
    pub surname: Option<identisure::PersonalText>,
    /// The personal number; `None` when the provider did not report one
    /// (Vipps, and a BankID NO redirect authentication, report it only when
    /// the start asked for it with `requestSsn`).
    pub personal_number: Option<identisure::PersonalNumber>,
    /// Who identified the person.
    pub provider: Provider,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// A completed session's person.
pub(crate) trait ToPerson {
    fn to_person(&self, provider: Provider) -> Person;
}

macro_rules! to_person {
    ($($t:ident),*) => {$(
        impl ToPerson for types::$t {
            fn to_person(&self, provider: Provider) -> Person {
                let joined = [self.given_name.as_deref(), self.surname.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                Person {
                    name: self
                        .name
                        .clone()
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or(joined.into()),
                    given_name: self.given_name.clone(),
                    surname: self.surname.clone(),
                    personal_number: self.ssn.clone(),
                    provider,
                }
            }
        }
    )*};
}
to_person!(
    BankIdSeCompleted,
    FrejaCompleted,
    BankIdNoCompleted,
    VippsCompleted,
    MitIdCompleted,
    FtnCompleted
);

/// The id of a login of [`QrLogins`]: 128 random bits in hex, unguessable
/// (it is the only key to the login). Parses from a path segment.
///
/// ```
/// let id: identisure_web::login::LoginId = "0123456789abcdef0123456789abcdef".parse().unwrap();
/// assert_eq!(id.to_string(), "0123456789abcdef0123456789abcdef");
/// assert!("not-an-id".parse::<identisure_web::login::LoginId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct LoginId(String);

impl LoginId {
    fn new() -> Self {
        Self(format!("{:032x}", rand::random::<u128>()))
    }
}

impl std::fmt::Display for LoginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A text that is no [`LoginId`].
///
/// ```
/// let err = "x".parse::<identisure_web::login::LoginId>().unwrap_err();
/// assert_eq!(err.to_string(), "not a login id (32 hexadecimal digits)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotALoginId;

impl std::fmt::Display for NotALoginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a login id (32 hexadecimal digits)")
    }
}

impl std::error::Error for NotALoginId {}

impl std::str::FromStr for LoginId {
    type Err = NotALoginId;
    fn from_str(s: &str) -> std::result::Result<Self, NotALoginId> {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(NotALoginId)
        }
    }
}

impl TryFrom<String> for LoginId {
    type Error = NotALoginId;
    fn try_from(s: String) -> std::result::Result<Self, NotALoginId> {
        s.parse()
    }
}

impl From<LoginId> for String {
    fn from(id: LoginId) -> Self {
        id.0
    }
}

/// Where a login stands. Serializes for a page that polls:
/// `{"state":"pending","message":"…"}`, `{"state":"completed","name":"…"}`
/// (the name only, never the personal number), `{"state":"failed","code":"CANCELLED","message":"…"}`.
///
/// ```
/// use identisure_web::login::LoginStatus;
/// let status = LoginStatus::Pending { message: "Start your BankID app.".into(), hint: None };
/// assert_eq!(serde_json::to_value(&status).unwrap()["state"], "pending");
/// ```
#[derive(Clone, Debug)]
pub enum LoginStatus {
    /// Waiting for the user; the message to show now.
    Pending {
        /// BankID's recommended text for the current hint (Freja: a fixed
        /// prompt), in the language of [`QrLoginsBuilder::lang`].
        message: String,
        /// The BankID hint code; `None` for Freja and before the first one.
        hint: Option<HintCode>,
    },
    /// The person logged in.
    Completed(Box<Person>),
    /// Ended without success (cancelled, timed out, refused, an error).
    Failed {
        /// Why.
        code: FailureCode,
        /// What to tell the user.
        message: String,
    },
}

impl LoginStatus {
    /// Whether the login ended (completed or failed).
    ///
    /// ```
    /// use identisure::FailureCode;
    /// use identisure_web::login::LoginStatus;
    /// assert!(LoginStatus::Failed { code: FailureCode::Cancelled, message: String::new() }.is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Pending { .. })
    }
}

impl serde::Serialize for LoginStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(None)?;
        match self {
            Self::Pending { message, .. } => {
                map.serialize_entry("state", "pending")?;
                map.serialize_entry("message", message)?;
            }
            Self::Completed(person) => {
                map.serialize_entry("state", "completed")?;
                map.serialize_entry("name", &person.name)?;
            }
            Self::Failed { code, message } => {
                map.serialize_entry("state", "failed")?;
                map.serialize_entry("code", &code.to_string())?;
                map.serialize_entry("message", message)?;
            }
        }
        map.end()
    }
}

/// Renders a QR payload as SVG, without an XML declaration (ready to
/// inline in HTML, valid as `image/svg+xml`); empty when it cannot be
/// encoded.
pub(crate) fn svg_of(payload: &str) -> String {
    QrImage::new(payload)
        .map(|image| {
            let svg = image.to_svg();
            match svg.find("<svg") {
                Some(0) | None => svg,
                Some(i) => svg[i..].to_string(),
            }
        })
        .unwrap_or_default()
}

/// The animated BankID QR code of one login, each second's frame rendered
/// once whatever the number of readers.
pub(crate) struct AnimatedQr {
    qr: BankIdQr,
    latest: tokio::sync::Mutex<Option<(u64, Arc<str>)>>,
}

impl AnimatedQr {
    pub(crate) fn new(qr: BankIdQr) -> Self {
        Self {
            qr,
            latest: tokio::sync::Mutex::new(None),
        }
    }

    /// The frames' source (token, secret, start time).
    pub(crate) fn qr(&self) -> &BankIdQr {
        &self.qr
    }

    /// A new frame every second, from now on.
    pub(crate) fn frames(&self) -> QrFrames {
        self.qr.frames()
    }

    /// The SVG of `frame` (or of a later one another reader rendered):
    /// rendered off the async workers (the mask choice costs a few hundred
    /// microseconds) while the others wait for it.
    pub(crate) async fn svg(&self, frame: QrFrame) -> Option<(u64, Arc<str>)> {
        let mut latest = self.latest.lock().await;
        if let Some((seconds, svg)) = &*latest
            && *seconds >= frame.seconds
        {
            return Some((*seconds, svg.clone()));
        }
        let payload = frame.payload;
        let svg = tokio::task::spawn_blocking(move || svg_of(&payload))
            .await
            .unwrap_or_default();
        if svg.is_empty() {
            return None;
        }
        let rendered = (frame.seconds, Arc::<str>::from(svg));
        *latest = Some(rendered.clone());
        Some(rendered)
    }

    /// The SVG of the current frame.
    pub(crate) async fn current_svg(&self) -> Option<Arc<str>> {
        let seconds = self.qr.elapsed_seconds();
        let frame = QrFrame {
            seconds,
            payload: self.qr.payload_at(seconds),
        };
        self.svg(frame).await.map(|(_, svg)| svg)
    }
}

/// The QR code of a login.
enum Code {
    Animated(AnimatedQr),
    Fixed(Arc<str>),
}

struct Entry {
    created: Instant,
    code: Code,
    status: watch::Sender<LoginStatus>,
    session: Box<dyn Fn() -> futures_util::future::BoxFuture<'static, Result<()>> + Send + Sync>,
    taken: AtomicBool,
}

struct Inner {
    client: Client,
    lang: Lang,
    timeout: Duration,
    retention: Duration,
    max_logins: usize,
    logins: Mutex<HashMap<LoginId, Arc<Entry>>>,
}

/// QR logins in progress, for a page of your own; see the module docs.
/// Cheap to clone (an `Arc`): put it in your axum state.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let logins = identisure_web::login::QrLogins::new(client);
/// assert!(logins.status(&"0".repeat(32).parse().unwrap()).is_none());
/// # }
/// ```
#[derive(Clone)]
pub struct QrLogins {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for QrLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrLogins")
            .field("lang", &self.inner.lang)
            .field("timeout", &self.inner.timeout)
            .field("logins", &self.lock().len())
            .finish_non_exhaustive()
    }
}

/// How [`QrLogins`] behaves; from [`QrLogins::builder`].
///
/// ```
/// use std::time::Duration;
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let logins = identisure_web::login::QrLogins::builder(client)
///     .lang(identisure::messages::Lang::En)
///     .timeout(Duration::from_secs(120))
///     .build();
/// # let _ = logins;
/// ```
#[derive(Debug)]
pub struct QrLoginsBuilder {
    client: Client,
    lang: Lang,
    timeout: Duration,
    retention: Duration,
    max_logins: usize,
}

impl QrLoginsBuilder {
    /// The language of the messages (default Swedish).
    ///
    /// ```
    /// # let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let b = identisure_web::login::QrLogins::builder(client).lang(identisure::messages::Lang::En);
    /// # let _ = b;
    /// ```
    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// How long a login may wait for the user before it is cancelled
    /// (default 3 minutes).
    ///
    /// ```
    /// # let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let b = identisure_web::login::QrLogins::builder(client).timeout(std::time::Duration::from_secs(60));
    /// # let _ = b;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a finished login stays readable (default 10 minutes).
    ///
    /// ```
    /// # let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let b = identisure_web::login::QrLogins::builder(client).retention(std::time::Duration::from_secs(60));
    /// # let _ = b;
    /// ```
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// At most this many logins kept at once (default 10,000); a start
    /// beyond them is refused with [`Error::Api`] status 503 before
    /// anything is sent upstream.
    ///
    /// ```
    /// # let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let b = identisure_web::login::QrLogins::builder(client).max_logins(100);
    /// # let _ = b;
    /// ```
    pub fn max_logins(mut self, max: usize) -> Self {
        self.max_logins = max;
        self
    }

    /// The store.
    ///
    /// ```
    /// # let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let logins = identisure_web::login::QrLogins::builder(client).build();
    /// # let _ = logins;
    /// ```
    pub fn build(self) -> QrLogins {
        QrLogins {
            inner: Arc::new(Inner {
                client: self.client,
                lang: self.lang,
                timeout: self.timeout,
                retention: self.retention,
                max_logins: self.max_logins,
                logins: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl QrLogins {
    /// A store with the defaults (Swedish messages, 3 minutes to log in,
    /// results kept 10 minutes, at most 10,000 logins).
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let logins = identisure_web::login::QrLogins::new(client);
    /// # let _ = logins;
    /// ```
    pub fn new(client: Client) -> Self {
        Self::builder(client).build()
    }

    /// A store with options; see [`QrLoginsBuilder`].
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let logins = identisure_web::login::QrLogins::builder(client).build();
    /// # let _ = logins;
    /// ```
    pub fn builder(client: Client) -> QrLoginsBuilder {
        QrLoginsBuilder {
            client,
            lang: Lang::Sv,
            timeout: Duration::from_secs(180),
            retention: Duration::from_secs(600),
            max_logins: 10_000,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<LoginId, Arc<Entry>>> {
        self.inner.logins.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, id: &LoginId) -> Option<Arc<Entry>> {
        let entry = self.lock().get(id).cloned()?;
        (entry.created.elapsed() < self.inner.timeout + self.inner.retention).then_some(entry)
    }

    /// Room for one more login: forgets expired ones first.
    fn make_room(&self) -> Result<()> {
        let keep = self.inner.timeout + self.inner.retention;
        let mut logins = self.lock();
        logins.retain(|_, e| e.created.elapsed() < keep);
        if logins.len() >= self.inner.max_logins {
            return Err(Error::Api {
                status: 503,
                message: Some(format!(
                    "{} QR logins are in progress, the most this store keeps \
                     (QrLoginsBuilder::max_logins): try again later",
                    self.inner.max_logins
                )),
            });
        }
        Ok(())
    }

    /// Starts a Swedish BankID login shown as an animated QR code (one
    /// POST, never retried) and follows it in the background.
    ///
    /// ```no_run
    /// # async fn run(logins: identisure_web::login::QrLogins) -> identisure::Result<()> {
    /// use identisure::providers::bankid_se::AuthRequest;
    /// let id = logins.start_bankid(AuthRequest::default().intent("Log in to Example")).await?;
    /// # let _ = id; Ok(()) }
    /// ```
    pub async fn start_bankid(&self, request: bankid_se::AuthRequest) -> Result<LoginId> {
        self.make_room()?;
        let started = self.inner.client.bankid_se().auth(request).await?;
        let qr = match BankIdQr::from_pending(started.pending(), Instant::now()) {
            Ok(qr) => qr,
            Err(missing) => {
                let _ = started.cancel().await;
                return Err(missing.into());
            }
        };
        Ok(self.follow(
            Provider::BankIdSe,
            started,
            Code::Animated(AnimatedQr::new(qr)),
        ))
    }

    /// Starts a Freja eID login shown as a QR code (one POST, never
    /// retried) and follows it in the background.
    ///
    /// ```no_run
    /// # async fn run(logins: identisure_web::login::QrLogins) -> identisure::Result<()> {
    /// use identisure::providers::freja::AuthRequest;
    /// let id = logins.start_freja(AuthRequest::default()).await?;
    /// # let _ = id; Ok(()) }
    /// ```
    pub async fn start_freja(&self, request: freja::AuthRequest) -> Result<LoginId> {
        self.make_room()?;
        let started = self.inner.client.freja().auth(request).await?;
        let svg = started
            .pending()
            .qr_data
            .as_deref()
            .map(svg_of)
            .filter(|svg| !svg.is_empty());
        let Some(svg) = svg else {
            let _ = started.cancel().await;
            return Err(missing_qr_data("the pending session has no usable qrData"));
        };
        Ok(self.follow(Provider::Freja, started, Code::Fixed(svg.into())))
    }

    fn follow<F: Family>(&self, provider: Provider, started: Started<F>, code: Code) -> LoginId
    where
        F::Completed: ToPerson,
    {
        let lang = self.inner.lang;
        let hint = identisure::State::<F>::Pending(started.pending().clone()).hint_code();
        let session = started.into_session();
        let (status, _) = watch::channel(LoginStatus::Pending {
            message: pending_message(provider, hint.clone(), lang),
            hint,
        });
        let canceller = session.clone();
        let entry = Arc::new(Entry {
            created: Instant::now(),
            code,
            status,
            session: Box::new(move || {
                let s = canceller.clone();
                Box::pin(async move { s.cancel().await })
            }),
            taken: AtomicBool::new(false),
        });
        let id = LoginId::new();
        self.lock().insert(id.clone(), entry.clone());
        let options = identisure::WaitOptions::default().timeout(self.inner.timeout);
        tokio::spawn(async move {
            let mut updates = std::pin::pin!(session.updates_with(options));
            while let Some(update) = updates.next().await {
                let state = match update {
                    Ok(state) => state,
                    Err(e) => {
                        entry.finish(failed_by(&e, lang));
                        return;
                    }
                };
                let hint = state.hint_code();
                match state.into_outcome() {
                    // Still pending: the message of its (new) hint.
                    None => entry.set_pending(pending_message(provider, hint.clone(), lang), hint),
                    Some(Outcome::Completed(done)) => {
                        entry.finish(LoginStatus::Completed(Box::new(done.to_person(provider))));
                        return;
                    }
                    Some(Outcome::Failed {
                        code, hint_code, ..
                    }) => {
                        let context = MessageContext {
                            launch: LaunchMethod::QrCode,
                            ..MessageContext::default()
                        };
                        let message =
                            failure_message(&code, hint_code.as_ref(), context).text(lang);
                        entry.finish(LoginStatus::Failed {
                            code,
                            message: message.to_string(),
                        });
                        return;
                    }
                }
            }
        });
        id
    }

    /// Where the login stands; `None` for an unknown or expired id.
    ///
    /// ```no_run
    /// # fn run(logins: identisure_web::login::QrLogins, id: identisure_web::login::LoginId) {
    /// if let Some(status) = logins.status(&id) {
    ///     println!("{}", serde_json::to_string(&status).unwrap());
    /// }
    /// # }
    /// ```
    pub fn status(&self, id: &LoginId) -> Option<LoginStatus> {
        Some(self.get(id)?.status.borrow().clone())
    }

    /// The current QR code as an SVG document; `None` for an unknown or
    /// expired id, or once the login ended.
    ///
    /// ```no_run
    /// # async fn run(logins: identisure_web::login::QrLogins, id: identisure_web::login::LoginId) {
    /// if let Some(svg) = logins.qr_svg(&id).await {
    ///     println!("{} bytes of SVG", svg.len());
    /// }
    /// # }
    /// ```
    pub async fn qr_svg(&self, id: &LoginId) -> Option<String> {
        let entry = self.get(id)?;
        if entry.status.borrow().is_final() {
            return None;
        }
        match &entry.code {
            Code::Animated(qr) => qr.current_svg().await.map(|svg| svg.to_string()),
            Code::Fixed(svg) => Some(svg.to_string()),
        }
    }

    /// The login pushed as Server-Sent Events, an axum response: `qr` (the
    /// SVG of the current frame, each second for BankID, once for Freja),
    /// `status` (the message, when it changes) and `done` (the final
    /// status as JSON, see [`LoginStatus`]; the stream ends after it).
    /// `None` for an unknown or expired id.
    ///
    /// In the page: `new EventSource("/login/ID/events")`, then
    /// `addEventListener("qr", e => box.innerHTML = e.data)`.
    ///
    /// ```no_run
    /// # fn run(logins: identisure_web::login::QrLogins, id: identisure_web::login::LoginId) -> axum::response::Response {
    /// use axum::response::IntoResponse;
    /// logins.events(&id).unwrap_or_else(|| axum::http::StatusCode::NOT_FOUND.into_response())
    /// # }
    /// ```
    pub fn events(&self, id: &LoginId) -> Option<Response> {
        let entry = self.get(id)?;
        let stream = event_stream(entry);
        let mut response = Sse::new(stream)
            .keep_alive(KeepAlive::default())
            .into_response();
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        Some(response)
    }

    /// Cancels the login (and its session upstream; the request is sent
    /// once). Nothing happens for an unknown or finished login.
    ///
    /// ```no_run
    /// # async fn run(logins: identisure_web::login::QrLogins, id: identisure_web::login::LoginId) -> identisure::Result<()> {
    /// logins.cancel(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self, id: &LoginId) -> Result<()> {
        let Some(entry) = self.get(id) else {
            return Ok(());
        };
        let message = identisure::messages::Rfa::Rfa6
            .text(self.inner.lang)
            .to_string();
        if entry.finish(LoginStatus::Failed {
            code: FailureCode::Cancelled,
            message,
        }) {
            (entry.session)().await?;
        }
        Ok(())
    }

    /// The person of a completed login, once: later calls (and calls for
    /// a login in progress, failed or unknown) give `None`. Start your own
    /// session with it.
    ///
    /// ```no_run
    /// # fn run(logins: identisure_web::login::QrLogins, id: identisure_web::login::LoginId) {
    /// if let Some(person) = logins.take_completed(&id) {
    ///     println!("welcome, {}", person.name.expose());
    /// }
    /// # }
    /// ```
    pub fn take_completed(&self, id: &LoginId) -> Option<Person> {
        let entry = self.get(id)?;
        let LoginStatus::Completed(person) = entry.status.borrow().clone() else {
            return None;
        };
        (!entry.taken.swap(true, Ordering::SeqCst)).then_some(*person)
    }
}

impl Entry {
    /// Shows `message` while pending (no change when it is the same).
    fn set_pending(&self, message: String, hint: Option<HintCode>) {
        self.status.send_if_modified(|current| match current {
            LoginStatus::Pending { message: old, .. } if *old != message => {
                *current = LoginStatus::Pending { message, hint };
                true
            }
            _ => false,
        });
    }

    /// Ends the login unless it ended already; true when this call did.
    fn finish(&self, status: LoginStatus) -> bool {
        self.status.send_if_modified(|current| {
            if current.is_final() {
                false
            } else {
                *current = status;
                true
            }
        })
    }
}

/// A start answer without the QR code's data: the session is cancelled.
fn missing_qr_data(detail: &str) -> Error {
    Error::Decode {
        status: 201,
        field: None,
        detail: detail.to_string(),
        excerpt: None,
    }
}

/// The message while pending.
pub(crate) fn pending_message(provider: Provider, hint: Option<HintCode>, lang: Lang) -> String {
    if provider == Provider::BankIdSe {
        let context = MessageContext {
            launch: LaunchMethod::QrCode,
            ..MessageContext::default()
        };
        hint.message_in(lang, context).to_string()
    } else {
        lang.pick(
            "Skanna QR-koden med Freja eID-appen.",
            "Scan the QR code with the Freja eID app.",
        )
        .to_string()
    }
}

/// A wait that ended in an error.
fn failed_by(e: &Error, lang: Lang) -> LoginStatus {
    let (code, rfa) = match e {
        Error::WaitTimeout => (FailureCode::SessionTimeout, identisure::messages::Rfa::Rfa8),
        Error::Cancelled => (FailureCode::Cancelled, identisure::messages::Rfa::Rfa6),
        _ => (FailureCode::InternalError, identisure::messages::Rfa::Rfa5),
    };
    LoginStatus::Failed {
        code,
        message: rfa.text(lang).to_string(),
    }
}

struct Events {
    entry: Arc<Entry>,
    status: watch::Receiver<LoginStatus>,
    frames: Option<QrFrames>,
    first: bool,
    fixed_sent: bool,
    done: bool,
}

fn event_stream(
    entry: Arc<Entry>,
) -> impl futures_core::Stream<Item = std::result::Result<Event, Infallible>> + Send + 'static {
    let frames = match &entry.code {
        Code::Animated(qr) => Some(qr.frames()),
        Code::Fixed(_) => None,
    };
    let state = Events {
        status: entry.status.subscribe(),
        entry,
        frames,
        first: true,
        fixed_sent: false,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if st.first {
            st.first = false;
            let status = st.status.borrow_and_update().clone();
            return Some((Ok(status_event(&mut st, &status)), st));
        }
        if !st.fixed_sent
            && let Code::Fixed(svg) = &st.entry.code
        {
            st.fixed_sent = true;
            let event = Event::default().event("qr").data(&**svg);
            return Some((Ok(event), st));
        }
        loop {
            tokio::select! {
                changed = st.status.changed() => {
                    let status = match changed {
                        Ok(()) => st.status.borrow_and_update().clone(),
                        Err(_) => LoginStatus::Failed { code: FailureCode::InternalError, message: String::new() },
                    };
                    return Some((Ok(status_event(&mut st, &status)), st));
                }
                frame = next_frame(&mut st.frames) => {
                    let Code::Animated(qr) = &st.entry.code else { continue };
                    let Some((seconds, svg)) = qr.svg(frame).await else { continue };
                    let event = Event::default().event("qr").id(seconds.to_string()).data(&*svg);
                    return Some((Ok(event), st));
                }
            }
        }
    })
}

fn status_event(st: &mut Events, status: &LoginStatus) -> Event {
    match status {
        LoginStatus::Pending { message, .. } => Event::default().event("status").data(message),
        done => {
            st.done = true;
            st.frames = None;
            let json = serde_json::to_string(done).unwrap_or_default();
            Event::default().event("done").data(json)
        }
    }
}

pub(crate) async fn next_frame(frames: &mut Option<QrFrames>) -> QrFrame {
    match frames {
        Some(frames) => match frames.next().await {
            Some(frame) => frame,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
