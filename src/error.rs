//! The one error type of the client layer. It imports no other module of
//! the crate except the QR helpers' own error types (which import nothing
//! of it): how an answer maps into it is `decode.rs` (status, headers,
//! body), how the generated client's errors do is `transport.rs`, and the
//! redaction its texts go through is `sensitive.rs`.

use std::time::Duration;

/// Result alias of this crate.
///
/// ```
/// fn check() -> identisure::Result<()> {
///     Ok(())
/// }
/// assert!(check().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the Identisure API.
///
/// Match on the variants; no string parsing needed. The `Display` text never
/// contains personal numbers, secrets or raw response bodies.
///
/// ```
/// use identisure::{Error, TransportKind};
///
/// let err = Error::InvalidRequest { field: "intent".into(), rule: "must be at most 2000 characters".into() };
/// assert_eq!(err.to_string(), "invalid request: `intent` must be at most 2000 characters");
/// assert!(!err.is_retryable());
/// assert!(Error::Transport { kind: TransportKind::Timeout }.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field broke a rule of the API; nothing was sent.
    #[error("invalid request: `{field}` {rule}")]
    InvalidRequest {
        /// The field as it is named on the wire (camelCase), e.g. `intent`.
        field: String,
        /// The rule it broke, e.g. `must be at most 2000 characters`.
        rule: String,
    },
    /// The client's configuration is incomplete or wrong: a missing account
    /// id or secret key, an unusable base URL, a bad value of an
    /// `IDENTISURE_*` variable. Raised by [`crate::ClientBuilder::build`]
    /// and [`crate::Client::from_env`]; nothing was sent.
    ///
    /// ```
    /// use identisure::{Client, Error};
    /// let err = Client::from_lookup(|_| None).unwrap_err();
    /// assert!(matches!(err, Error::Config { ref setting, .. } if setting == "IDENTISURE_ACCOUNT_ID"));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "IDENTISURE_ACCOUNT_ID is not set: set it to your account id, or use Client::builder().credentials(..)"
    /// );
    /// ```
    #[error("{setting} {problem}")]
    Config {
        /// The setting: a builder setting (`account_id`, `secret_key`,
        /// `base_url`, `max_in_flight`) or an environment variable
        /// (`IDENTISURE_ACCOUNT_ID`, `IDENTISURE_SECRET_KEY`,
        /// `IDENTISURE_BASE_URL`, `IDENTISURE_ENV`).
        setting: String,
        /// What is wrong with it and what to do, e.g. `is not set: set it
        /// to your account id, …`.
        problem: String,
    },
    /// The credentials were missing or wrong (HTTP 401).
    #[error("unauthorized: check the account id and secret key")]
    Unauthorized,
    /// A collect or cancel found no such session (HTTP 404 with the API's
    /// error body): the id is unknown, expired, or belongs to another
    /// account. Start a new session.
    ///
    /// ```
    /// let err = identisure::Error::SessionNotFound { id: Some("s-1".into()) };
    /// assert!(err.to_string().starts_with("session `s-1` not found (HTTP 404)"));
    /// ```
    #[error(
        "session {}not found (HTTP 404): the id is unknown, expired or belongs to another \
         account; start a new session",
        id.as_ref().map(|id| format!("`{id}` ")).unwrap_or_default()
    )]
    SessionNotFound {
        /// The session id, when known (`None` for an error of the generated
        /// client, [`crate::Client::raw`], which does not say which request
        /// failed).
        id: Option<String>,
    },
    /// A document download or delete found no such document (HTTP 404 with
    /// the API's error body). Upload it again.
    ///
    /// ```
    /// let err = identisure::Error::DocumentNotFound { id: "doc-1".into() };
    /// assert!(err.to_string().starts_with("document `doc-1` not found (HTTP 404)"));
    /// ```
    #[error(
        "document `{id}` not found (HTTP 404): the id is unknown, deleted, expired or belongs \
         to another account; upload the document again"
    )]
    DocumentNotFound {
        /// The document id.
        id: String,
    },
    /// The URL of a request does not exist (HTTP 404) where a session id
    /// cannot be the reason: a start, an upload or a verify, or any request
    /// answered by something that is not the API (an HTML page or an empty
    /// body instead of the API's JSON error). The base URL is most likely
    /// wrong, e.g. one `/v3` too many or another server.
    ///
    /// ```
    /// let err = identisure::Error::EndpointNotFound {
    ///     method: "POST".into(),
    ///     url: "http://127.0.0.1:7878/v3/v3/bankid-se/auth".into(),
    ///     message: None,
    /// };
    /// assert!(err.to_string().contains("leave `/v3` out of the base URL"));
    /// ```
    #[error("{}", not_found_text(method, url, message.as_deref()))]
    EndpointNotFound {
        /// The method of the request, e.g. `POST`.
        method: String,
        /// The URL that was not found (base URL and path).
        url: String,
        /// The server's `message` (redacted), when the body was the API's
        /// JSON error; `None` for an HTML page or an empty body, which
        /// means the server is not the API.
        message: Option<String>,
    },
    /// A session is already in progress for this user (HTTP 400).
    #[error("a session is already in progress for this user")]
    AlreadyInProgress,
    /// Too many requests (HTTP 429); wait `retry_after` (when the server said
    /// how long) or one second before the next call.
    #[error("rate limited{}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// The server's `Retry-After`, when present and readable.
        retry_after: Option<Duration>,
    },
    /// Any other answer with a non-success status.
    #[error("API error {status}{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Api {
        /// HTTP status code (0 for an error raised by a hook of the
        /// generated client).
        status: u16,
        /// The server's `message`, when the body was the documented JSON.
        message: Option<String>,
    },
    /// The request did not get an answer.
    #[error("transport error: {kind}")]
    Transport {
        /// What went wrong on the way.
        kind: TransportKind,
    },
    /// A success answer whose body does not have the documented shape.
    #[error(
        "undecodable response (status {status}){}: {detail}{}",
        field.as_ref().map(|f| format!(" at `{f}`")).unwrap_or_default(),
        excerpt.as_ref().map(|e| format!(" [body: {e}]")).unwrap_or_default()
    )]
    Decode {
        /// HTTP status code of the answer (0 when mapped from an error of
        /// the generated client, which does not keep it).
        status: u16,
        /// Path of the field that failed, e.g. `id` or `device.uhi`.
        field: Option<String>,
        /// What failed, without values (e.g. `missing field`, `invalid type`).
        detail: String,
        /// A short redacted excerpt of the body.
        excerpt: Option<String>,
    },
    /// A success answer's body was larger than
    /// [`crate::ClientBuilder::max_response_bytes`] (default 1 MiB); reading
    /// stopped at the cap. Not retried: the server (or a proxy) misbehaves.
    #[error("response body larger than {limit} bytes (status {status})")]
    ResponseTooLarge {
        /// HTTP status code of the answer.
        status: u16,
        /// The configured cap, in bytes.
        limit: usize,
    },
    /// The session reported a `status` this crate does not know.
    #[error("unknown session status `{0}`")]
    UnknownStatus(String),
    /// [`crate::Session::wait`] reached its deadline (the session was cancelled, best effort).
    #[error("timed out waiting for the session to finish")]
    WaitTimeout,
    /// The session was cancelled through [`crate::Session::cancel`] while waiting.
    #[error("the session was cancelled")]
    Cancelled,
    /// A BankID QR code was asked of a pending session without QR data
    /// ([`crate::qr::BankIdQr::from_pending`]).
    ///
    /// ```
    /// use identisure::qr::{BankIdQr, MissingQrData};
    /// use identisure::raw::types::BankIdSePending;
    ///
    /// fn qr(pending: &BankIdSePending) -> identisure::Result<BankIdQr> {
    ///     Ok(BankIdQr::try_from(pending)?)
    /// }
    /// let pending: BankIdSePending = serde_json::from_str(r#"{"id":"s1","status":"PENDING"}"#).unwrap();
    /// let err = qr(&pending).unwrap_err();
    /// assert!(matches!(err, identisure::Error::MissingQrData(MissingQrData::QrStartToken)));
    /// ```
    #[error(transparent)]
    MissingQrData(#[from] crate::qr::MissingQrData),
    /// A text could not be rendered as a QR image (feature `qr`,
    /// [`crate::qr::render`]).
    ///
    /// ```
    /// use identisure::qr::render::QrImage;
    ///
    /// fn svg(text: &str) -> identisure::Result<String> {
    ///     Ok(QrImage::new(text)?.to_svg())
    /// }
    /// let err = svg(&"x".repeat(5_000)).unwrap_err();
    /// assert!(matches!(err, identisure::Error::QrRender(_)));
    /// ```
    #[cfg(feature = "qr")]
    #[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
    #[error(transparent)]
    QrRender(#[from] crate::qr::render::RenderError),
}

/// Why a request got no answer.
///
/// ```
/// assert_eq!(identisure::TransportKind::Reset.to_string(), "connection reset");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be opened.
    Connect,
    /// The connect or request timeout elapsed.
    Timeout,
    /// The connection was closed or reset before the answer was complete.
    Reset,
    /// Anything else (TLS, protocol, a bad base URL …).
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connection failed",
            Self::Timeout => "timed out",
            Self::Reset => "connection reset",
            Self::Other => "other transport failure",
        })
    }
}

/// The text of [`Error::EndpointNotFound`].
fn not_found_text(method: &str, url: &str, message: Option<&str>) -> String {
    let what = match message {
        Some(m) => format!("{method} {url} not found (HTTP 404: \"{m}\")"),
        None => format!(
            "{method} {url} not found (HTTP 404), and the answer is not the Identisure API's \
             (no JSON error)"
        ),
    };
    let advice = if url.contains("/v3/v3/") {
        "leave `/v3` out of the base URL (every path starts with it), e.g. \
         https://api.idkollen.se"
    } else {
        "the base URL looks wrong; it should be the API's root without `/v3`, e.g. \
         https://api.idkollen.se"
    };
    format!("{what}: {advice}")
}

impl Error {
    /// Whether the same call may succeed later: rate limits, transport
    /// failures and 500/502/503/504. The polling engine retries these for
    /// collects; starts are never retried automatically.
    ///
    /// ```
    /// use identisure::Error;
    /// assert!(Error::Api { status: 503, message: None }.is_retryable());
    /// assert!(!Error::Api { status: 400, message: None }.is_retryable());
    /// assert!(Error::RateLimited { retry_after: None }.is_retryable());
    /// assert!(!Error::SessionNotFound { id: None }.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::Api { status, .. } => matches!(status, 408 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::InvalidRequest {
            field: field.into(),
            rule: rule.into(),
        }
    }

    pub(crate) fn config(setting: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Config {
            setting: setting.into(),
            problem: problem.into(),
        }
    }
}

/// A URL as errors print it: no user info, query or fragment (none is used
/// by this API; whatever a caller put there stays out of texts).
pub(crate) fn printable_url(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// Maps a transport failure of reqwest.
impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Transport {
            kind: transport_kind(&e),
        }
    }
}

pub(crate) fn transport_kind(e: &reqwest::Error) -> TransportKind {
    if e.is_timeout() {
        return TransportKind::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    return TransportKind::Reset;
                }
                K::TimedOut => return TransportKind::Timeout,
                K::ConnectionRefused => return TransportKind::Connect,
                _ => {}
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled() || h.is_closed())
        {
            return TransportKind::Reset;
        }
        source = s.source();
    }
    if e.is_connect() {
        TransportKind::Connect
    } else if e.is_body() || e.is_request() {
        TransportKind::Reset
    } else {
        TransportKind::Other
    }
}
