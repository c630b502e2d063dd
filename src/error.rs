//! The one error type of the client layer, and the texts it prints. It
//! imports no other module of the crate except the QR helpers' own error
//! types (which import nothing of it): how an answer maps into it is
//! `decode.rs` (status, headers, body), how the generated client's errors do
//! is `transport.rs`, and the redaction its texts go through is
//! `sensitive.rs`.
//!
//! Every `Display` text says what happened and what to do about it, on one
//! line. A text names the request (method and URL: the base URL, the path
//! and a session or document id, never credentials) but never a personal
//! number, a secret or a raw body.

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
/// Match on the variants; no string parsing needed. The `Display` text says
/// what happened and what to do; it never contains personal numbers, secrets
/// or raw response bodies. A transport failure keeps the underlying error as
/// its [`source`](std::error::Error::source).
///
/// ```
/// use identisure::{Error, TransportKind};
///
/// let err = Error::InvalidRequest { field: "intent".into(), rule: "must be at most 2000 characters".into() };
/// assert_eq!(err.to_string(), "invalid request: `intent` must be at most 2000 characters");
/// assert!(!err.is_retryable());
/// let err = Error::Transport {
///     kind: TransportKind::Timeout,
///     method: Some("GET".into()),
///     url: Some("https://api.idkollen.se/v3/freja/auth/s1".into()),
///     source: "operation timed out".into(),
/// };
/// assert!(err.is_retryable());
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field broke a rule of the API; nothing was sent. Fix the
    /// value of `field`.
    ///
    /// ```
    /// use identisure::Error;
    /// let err = Error::InvalidRequest { field: "intent".into(), rule: "must not be empty".into() };
    /// assert_eq!(err.to_string(), "invalid request: `intent` must not be empty");
    /// ```
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
    /// The API refused the credentials (HTTP 401).
    ///
    /// ```
    /// let text = identisure::Error::Unauthorized.to_string();
    /// assert!(text.starts_with("unauthorized (HTTP 401): check the account id and secret key"));
    /// ```
    #[error(
        "unauthorized (HTTP 401): check the account id and secret key, and that they are for \
         this environment (staging or production)"
    )]
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
    /// A session is already in progress for this user (HTTP 400). Cancel it
    /// or wait for it to end, then start again.
    ///
    /// ```
    /// let text = identisure::Error::AlreadyInProgress.to_string();
    /// assert!(text.starts_with("a session is already in progress for this user"));
    /// ```
    #[error(
        "a session is already in progress for this user (HTTP 400): wait for it to end or \
         cancel it, then start again"
    )]
    AlreadyInProgress,
    /// Too many requests (HTTP 429); wait `retry_after` (when the server said
    /// how long) or one second before the next call. [`crate::Session::wait`]
    /// does so by itself.
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = identisure::Error::RateLimited { retry_after: Some(Duration::from_secs(2)) };
    /// assert_eq!(err.to_string(), "rate limited (HTTP 429): wait 2000 ms before the next request");
    /// ```
    #[error(
        "rate limited (HTTP 429): wait {} before the next request",
        retry_after.map(|d| format!("{} ms", d.as_millis())).unwrap_or_else(|| "a second".into())
    )]
    RateLimited {
        /// The server's `Retry-After`, when present and readable.
        retry_after: Option<Duration>,
    },
    /// Any other answer with a non-success status (a 3xx, which is never
    /// followed, a 4xx other than the above, a 5xx).
    ///
    /// ```
    /// let err = identisure::Error::Api { status: 503, message: Some("down".into()) };
    /// assert_eq!(
    ///     err.to_string(),
    ///     "HTTP 503 from the server: \"down\": a server or gateway error; try again later"
    /// );
    /// ```
    #[error("{}", api_text(*status, message.as_deref()))]
    Api {
        /// HTTP status code (0 for an error raised by a hook of the
        /// generated client).
        status: u16,
        /// The server's `message` (redacted), when the body was the
        /// documented JSON.
        message: Option<String>,
    },
    /// The request got no (complete) answer: see `kind`, and the underlying
    /// error in `source` ([`std::error::Error::source`] returns it, for a
    /// request a `reqwest::Error`).
    ///
    /// ```
    /// use identisure::{Error, TransportKind};
    /// let err = Error::Transport {
    ///     kind: TransportKind::Connect,
    ///     method: Some("POST".into()),
    ///     url: Some("http://127.0.0.1:9/v3/bankid-se/auth".into()),
    ///     source: "connection refused".into(),
    /// };
    /// assert!(err.to_string().starts_with("could not connect (POST http://127.0.0.1:9/v3/bankid-se/auth): "));
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    #[error("{}", transport_text(*kind, method.as_deref(), url.as_deref()))]
    Transport {
        /// What went wrong on the way.
        kind: TransportKind,
        /// The method of the request, e.g. `POST` (`None` when not known,
        /// e.g. for an error of the generated client).
        method: Option<String>,
        /// The URL of the request (`None` when no request was under way).
        url: Option<String>,
        /// The underlying error (a `reqwest::Error` for a request).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A success answer whose body does not have the documented shape.
    ///
    /// ```
    /// let err = identisure::Error::Decode {
    ///     status: 200,
    ///     field: Some("id".into()),
    ///     detail: "missing field".into(),
    ///     excerpt: None,
    /// };
    /// assert!(err.to_string().starts_with("undecodable response (HTTP 200) at `id`: missing field: "));
    /// ```
    #[error(
        "undecodable response{}{}: {detail}{}: the server is not the Identisure API, or it \
         answers in a way this version of identisure does not know; check the base URL",
        if *status == 0 { String::new() } else { format!(" (HTTP {status})") },
        field.as_ref().map(|f| format!(" at `{f}`")).unwrap_or_default(),
        excerpt.as_ref().map(|e| format!(" [body: {e}]")).unwrap_or_default()
    )]
    Decode {
        /// HTTP status code of the answer (0 when mapped from an error of
        /// the generated client, which does not keep it).
        status: u16,
        /// Path of the field that failed, e.g. `id` or `device.uhi`; `None`
        /// when the decoder could not name one (e.g. an empty body, not JSON).
        field: Option<String>,
        /// What failed, without values (e.g. `missing field`, `invalid type`).
        detail: String,
        /// A short redacted excerpt of the body; `None` when the body was
        /// empty or the problem was found after decoding (an empty session
        /// id, a start answer without its QR data).
        excerpt: Option<String>,
    },
    /// A success answer's body was larger than
    /// [`crate::ClientBuilder::max_response_bytes`] (default 1 MiB); reading
    /// stopped at the cap. Not retried: the server (or a proxy) misbehaves.
    ///
    /// ```
    /// let err = identisure::Error::ResponseTooLarge { status: 200, limit: 1024 };
    /// assert!(err.to_string().starts_with("response body larger than 1024 bytes (HTTP 200)"));
    /// ```
    #[error(
        "response body larger than {limit} bytes (HTTP {status}), not read: raise \
         ClientBuilder::max_response_bytes for large documents, otherwise the server \
         misbehaves"
    )]
    ResponseTooLarge {
        /// HTTP status code of the answer.
        status: u16,
        /// The configured cap, in bytes.
        limit: usize,
    },
    /// The session reported a `status` this crate does not know (redacted).
    ///
    /// ```
    /// let err = identisure::Error::UnknownStatus("PAUSED".into());
    /// assert!(err.to_string().starts_with("unknown session status `PAUSED`"));
    /// ```
    #[error(
        "unknown session status `{0}`: this version of identisure does not know it; update \
         identisure"
    )]
    UnknownStatus(String),
    /// [`crate::Session::wait`] reached its deadline
    /// ([`crate::WaitOptions::timeout`]; the session was cancelled, best
    /// effort, unless [`crate::WaitOptions::cancel_on_timeout`] said not to).
    ///
    /// ```
    /// let text = identisure::Error::WaitTimeout.to_string();
    /// assert!(text.starts_with("timed out waiting for the session to finish"));
    /// ```
    #[error(
        "timed out waiting for the session to finish (WaitOptions::timeout): start a new \
         session, or wait longer"
    )]
    WaitTimeout,
    /// The session was cancelled through [`crate::Session::cancel`] while
    /// waiting.
    ///
    /// ```
    /// let text = identisure::Error::Cancelled.to_string();
    /// assert!(text.starts_with("the session was cancelled"));
    /// ```
    #[error("the session was cancelled (Session::cancel): start a new session to try again")]
    Cancelled,
    /// [`crate::Session::cancel`] on a session whose flow the API cannot
    /// cancel: its spec has no cancel operation for these sessions, so
    /// nothing was sent and the session goes on until the user finishes it
    /// or it times out. Stop waiting for it (drop the wait) instead.
    ///
    /// ```
    /// let err = identisure::Error::CancelUnsupported { flow: "vipps/auth".into() };
    /// assert!(err.to_string().starts_with("`vipps/auth` sessions cannot be cancelled"));
    /// ```
    #[error(
        "`{flow}` sessions cannot be cancelled: the API has no cancel operation for them, so \
         nothing was sent; the session ends when the user finishes it or it times out (drop the \
         wait to stop waiting)"
    )]
    CancelUnsupported {
        /// The provider and the flow of the session, e.g. `vipps/auth`.
        flow: String,
    },
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

/// What `main() -> Result<(), Box<dyn std::error::Error>>` prints (it
/// prints an error with `Debug`): the variant to match on, what happened
/// and what to do (the `Display` text), then its causes, on the same line
/// (one a line with `{:#?}`). No more than `Display` and the sources say,
/// so nothing personal or secret.
///
/// ```
/// let err = identisure::Error::Unauthorized;
/// assert!(format!("{err:?}").starts_with("Unauthorized: unauthorized (HTTP 401): check the account id"));
/// ```
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {self}", self.variant())?;
        let mut source = std::error::Error::source(self);
        let mut first = true;
        while let Some(cause) = source {
            match (f.alternate(), first) {
                (true, true) => write!(f, "\n\nCaused by:\n    {cause}")?,
                (true, false) => write!(f, "\n    {cause}")?,
                (false, true) => write!(f, " (caused by: {cause}")?,
                (false, false) => write!(f, ": {cause}")?,
            }
            first = false;
            source = cause.source();
        }
        if !first && !f.alternate() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl Error {
    /// The variant's name, as matched on.
    fn variant(&self) -> &'static str {
        match self {
            Error::InvalidRequest { .. } => "InvalidRequest",
            Error::Config { .. } => "Config",
            Error::Unauthorized => "Unauthorized",
            Error::SessionNotFound { .. } => "SessionNotFound",
            Error::DocumentNotFound { .. } => "DocumentNotFound",
            Error::EndpointNotFound { .. } => "EndpointNotFound",
            Error::AlreadyInProgress => "AlreadyInProgress",
            Error::RateLimited { .. } => "RateLimited",
            Error::Api { .. } => "Api",
            Error::Transport { .. } => "Transport",
            Error::Decode { .. } => "Decode",
            Error::ResponseTooLarge { .. } => "ResponseTooLarge",
            Error::UnknownStatus(_) => "UnknownStatus",
            Error::WaitTimeout => "WaitTimeout",
            Error::Cancelled => "Cancelled",
            Error::CancelUnsupported { .. } => "CancelUnsupported",
            Error::MissingQrData(_) => "MissingQrData",
            #[cfg(feature = "qr")]
            Error::QrRender(_) => "QrRender",
        }
    }
}

/// Why a request got no (complete) answer.
///
/// ```
/// assert_eq!(identisure::TransportKind::Reset.to_string(), "connection reset");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be opened: refused (nothing listens on the
    /// port) or the host is unreachable. The request was not sent.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Connect.to_string(), "could not connect");
    /// ```
    Connect,
    /// The host name of the base URL could not be resolved (or is no valid
    /// DNS name). The request was not sent.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Dns.to_string(), "could not resolve the host name");
    /// ```
    Dns,
    /// The TLS handshake failed: the port does not speak TLS (it closed the
    /// connection or answered something else), or the certificate was
    /// refused. The request was not sent.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Tls.to_string(), "TLS handshake failed");
    /// ```
    Tls,
    /// The connect or request timeout elapsed. The request may have
    /// arrived.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Timeout.to_string(), "timed out");
    /// ```
    Timeout,
    /// The connection was closed or reset before the answer was complete.
    /// The request may have arrived.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Reset.to_string(), "connection reset");
    /// ```
    Reset,
    /// The server answered something that is not HTTP (e.g. `http://` sent
    /// to a TLS port, or a port of another protocol). The request may have
    /// arrived.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Protocol.to_string(), "not an HTTP answer");
    /// ```
    Protocol,
    /// Anything else; the source error says what.
    ///
    /// ```
    /// assert_eq!(identisure::TransportKind::Other.to_string(), "request failed");
    /// ```
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect",
            Self::Dns => "could not resolve the host name",
            Self::Tls => "TLS handshake failed",
            Self::Timeout => "timed out",
            Self::Reset => "connection reset",
            Self::Protocol => "not an HTTP answer",
            Self::Other => "request failed",
        })
    }
}

impl TransportKind {
    /// Whether the request provably never left: the connection (TCP, then
    /// TLS) was not established, so a start may be sent again.
    pub(crate) fn never_sent(self) -> bool {
        matches!(self, Self::Connect | Self::Dns | Self::Tls)
    }

    /// What to do about it.
    fn advice(self) -> &'static str {
        match self {
            Self::Connect => {
                "nothing accepted the connection; check the host and port of the base URL and \
                 that the server is running"
            }
            Self::Dns => "check the host of the base URL, and this machine's DNS and network",
            Self::Tls => {
                "check that the base URL's port serves https (or use http:// for a local \
                 server) and that its certificate is valid for the host"
            }
            Self::Timeout => {
                "no answer within ClientBuilder::connect_timeout / request_timeout; the server \
                 or the network is slow or down, try again later"
            }
            Self::Reset => {
                "the connection closed before the answer was complete; try again (a start may \
                 have created a session)"
            }
            Self::Protocol => {
                "check the scheme and port of the base URL (the API speaks https:// on port 443)"
            }
            Self::Other => "see the source error",
        }
    }
}

/// The text of [`Error::Transport`].
fn transport_text(kind: TransportKind, method: Option<&str>, url: Option<&str>) -> String {
    let request = match (method, url) {
        (Some(m), Some(u)) => format!(" ({m} {u})"),
        (None, Some(u)) => format!(" ({u})"),
        (Some(m), None) => format!(" ({m})"),
        (None, None) => String::new(),
    };
    format!("{kind}{request}: {}", kind.advice())
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

/// The text of [`Error::Api`].
fn api_text(status: u16, message: Option<&str>) -> String {
    let message = message.map(|m| format!(": \"{m}\"")).unwrap_or_default();
    if status == 0 {
        return format!("error from a hook of the generated client{message}");
    }
    let advice = match status {
        300..=399 => {
            "a redirect, which is never followed (the credentials must not reach another \
             host); check the base URL (https://, the API's host)"
        }
        400 => "the API refused the request; check what its message names",
        403 => "the account may not use this operation; check the account and the environment",
        405 => "method not allowed; check the base URL (the API's root, without `/v3`)",
        408 | 500 | 502 | 503 | 504 => "a server or gateway error; try again later",
        s if s < 500 => "the request was refused",
        _ => "a server error",
    };
    format!("HTTP {status} from the server{message}: {advice}")
}

impl Error {
    /// Whether the same call may succeed later: rate limits, transport
    /// failures and 408/500/502/503/504. The polling engine retries these
    /// for collects; starts are never retried automatically (except when
    /// the connection could not even be opened).
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

    /// A failure of reqwest on the request `method` (when known) to `url`
    /// (else the URL reqwest names). The URL is printed by this error, so it
    /// is taken out of the source.
    pub(crate) fn transport(
        e: reqwest::Error,
        method: Option<&str>,
        url: Option<&reqwest::Url>,
    ) -> Self {
        let kind = transport_kind(&e);
        let url = url.or(e.url()).map(printable_url);
        Error::Transport {
            kind,
            method: method.map(str::to_string),
            url,
            source: Box::new(e.without_url()),
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

/// A personal number that does not parse, as the request field it would
/// fill (`ssn`): `?` on [`crate::national_id`]'s parsers works in a function
/// returning [`crate::Result`]. The number itself is never in the error.
///
/// ```
/// use identisure::national_id::se::Personnummer;
///
/// fn who(form_value: &str) -> identisure::Result<Personnummer> {
///     Ok(Personnummer::parse(form_value)?)
/// }
/// let err = who("19870412-2385").unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: `ssn` is not a valid personal identity number: check digit mismatch");
/// assert!(matches!(err, identisure::Error::InvalidRequest { ref field, .. } if field == "ssn"));
/// ```
impl From<crate::national_id::NationalIdError> for Error {
    fn from(e: crate::national_id::NationalIdError) -> Self {
        Error::InvalidRequest {
            field: "ssn".into(),
            rule: format!("is not a valid personal identity number: {e}"),
        }
    }
}

/// Maps a failure of reqwest (e.g. of the generated client's
/// `CommunicationError`), naming the URL reqwest knows.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let url = format!("http://{}/", probe.local_addr().unwrap());
/// drop(probe);
/// let raw = identisure::raw::Client::new(url.trim_end_matches('/'));
/// let e = match raw.bankid_se_auth_collect(&"s".parse().unwrap()).await {
///     Err(identisure::raw::Error::CommunicationError(e)) => e,
///     other => panic!("{other:?}"),
/// };
/// let err = identisure::Error::from(e);
/// assert!(matches!(err, identisure::Error::Transport { kind: identisure::TransportKind::Connect, .. }));
/// assert!(err.to_string().contains(&url));
/// # }
/// ```
impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::transport(e, None, None)
    }
}

pub(crate) fn transport_kind(e: &reqwest::Error) -> TransportKind {
    if e.is_timeout() {
        return TransportKind::Timeout;
    }
    if e.is_connect() {
        // Within the connector (DNS, TCP, TLS): the request never left.
        return if e.is_dns() || is_invalid_host_name(e) {
            TransportKind::Dns
        } else if is_tls_failure(e) {
            TransportKind::Tls
        } else {
            TransportKind::Connect
        };
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
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_parse() {
                return TransportKind::Protocol;
            }
            if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
                return TransportKind::Reset;
            }
        }
        source = s.source();
    }
    if e.is_body() || e.is_request() {
        TransportKind::Reset
    } else {
        TransportKind::Other
    }
}

/// Whether the host name could not even be asked for: it is no valid DNS
/// name (rustls refuses it as the name to verify the certificate against).
fn is_invalid_host_name(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<rustls::pki_types::InvalidDnsNameError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether a connect failure happened in the TLS handshake: rustls refused
/// what the server sent (its certificate, or bytes that are not TLS), or the
/// server closed the connection during the handshake (tokio-rustls reports
/// that as "tls handshake eof"). The TLS layer's errors travel as
/// `io::Error`s wrapping each other, whose `source()` skips the wrapped
/// error: they are unwrapped with `get_ref`.
fn is_tls_failure(e: &reqwest::Error) -> bool {
    fn tls(err: &(dyn std::error::Error + 'static)) -> bool {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        match err.downcast_ref::<std::io::Error>() {
            Some(io) => {
                io.to_string().starts_with("tls handshake")
                    || io.get_ref().is_some_and(|inner| tls(inner))
            }
            None => false,
        }
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if tls(s) {
            return true;
        }
        source = s.source();
    }
    false
}
