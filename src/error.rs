//! The one error type of the client layer, and how every failure maps into it.
//!
//! Nothing here ever prints a response body as is: excerpts of bodies that
//! could not be decoded are shortened and redacted (JSON values are replaced,
//! digits in other text are masked), and decode details name the field, not
//! the value.

use std::time::Duration;

use reqwest::StatusCode;

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
    /// The credentials were missing or wrong (HTTP 401).
    #[error("unauthorized: check the account id and secret key")]
    Unauthorized,
    /// The session id is unknown or the session expired (HTTP 404).
    #[error("session not found or expired")]
    SessionNotFound,
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
    /// assert!(!Error::SessionNotFound.is_retryable());
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

/// Maps a non-success answer (status, headers, body bytes).
pub(crate) fn from_status(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Error {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(sanitize));
    match status.as_u16() {
        401 => Error::Unauthorized,
        404 => Error::SessionNotFound,
        429 => Error::RateLimited {
            retry_after: retry_after(headers),
        },
        400 if message.as_deref().is_some_and(is_in_progress_message) => Error::AlreadyInProgress,
        status => Error::Api { status, message },
    }
}

/// A server text made safe to print: at most 200 characters, control
/// characters dropped, and every run of six or more digits (a personal
/// number echoed back) masked.
pub(crate) fn sanitize(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_control()).take(200).collect();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '-' || chars[i] == '+')
            {
                i += 1;
            }
            let run = &chars[start..i];
            if run.iter().filter(|c| c.is_ascii_digit()).count() >= 6 {
                out.extend(
                    run.iter()
                        .map(|c| if c.is_ascii_digit() { '#' } else { *c }),
                );
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_in_progress_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("in progress") || m.contains("already")
}

/// `Retry-After` in seconds (the HTTP-date form is not used by this API and
/// reads as absent).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// Maps a success answer whose body could not be decoded into `T`.
pub(crate) fn decode_error(
    status: StatusCode,
    body: &[u8],
    err: serde_path_to_error::Error<serde_json::Error>,
) -> Error {
    let path = err.path().to_string();
    let inner = err.inner();
    let detail = match inner.classify() {
        serde_json::error::Category::Eof if body.is_empty() => "empty body".to_string(),
        serde_json::error::Category::Eof => "truncated JSON".to_string(),
        serde_json::error::Category::Syntax => "not JSON".to_string(),
        serde_json::error::Category::Io => "read failure".to_string(),
        serde_json::error::Category::Data => data_detail(&inner.to_string()),
    };
    let field = match (path.as_str(), missing_field(&inner.to_string())) {
        (".", Some(f)) => Some(f),
        (".", None) => None,
        (p, Some(f)) => Some(format!("{p}.{f}")),
        (p, None) => Some(p.to_string()),
    };
    Error::Decode {
        status: status.as_u16(),
        field,
        detail,
        excerpt: excerpt(body),
    }
}

/// The kind of a serde data error, without the offending value.
fn data_detail(message: &str) -> String {
    for known in [
        "missing field",
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
        "unknown field",
        "duplicate field",
    ] {
        if message.starts_with(known) {
            return known.to_string();
        }
    }
    "invalid data".to_string()
}

/// serde reports a missing field as "missing field `name`" at the parent path.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// A short excerpt of a body that could not be decoded, with personal data
/// removed: JSON keeps its keys and shape but every string and number value
/// is replaced; other text keeps at most 80 characters with digits masked.
pub(crate) fn excerpt(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    const MAX: usize = 160;
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => redact_json(v).to_string(),
        Err(_) => mask_tokens(
            &String::from_utf8_lossy(body)
                .chars()
                .take(80)
                .collect::<String>(),
        ),
    };
    let mut short: String = text.chars().take(MAX).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    Some(short)
}

/// Masks every word (run of letters, digits, `-`, `_`) that contains a
/// digit: personal numbers, tokens and secrets, while `Bad Gateway` stays.
fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.extend(std::iter::repeat_n('#', word.chars().count()));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars().filter(|c| !c.is_control()) {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn redact_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(_) | Value::Number(_) => Value::String("…".into()),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    // `status` is no personal data and is what tells states apart.
                    let v = if k == "status" && v.is_string() {
                        v
                    } else {
                        redact_json(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// Maps every error of the generated client ([`crate::raw::Client`]), for
/// code that calls it directly.
///
/// ```
/// let raw_err: identisure::raw::Error<identisure::raw::types::ErrorResponse> =
///     identisure::raw::Error::InvalidRequest("id was not initialized".into());
/// let err = identisure::Error::from(raw_err);
/// assert!(matches!(err, identisure::Error::InvalidRequest { .. }));
/// ```
impl From<progenitor_client::Error<crate::raw::types::ErrorResponse>> for Error {
    fn from(e: progenitor_client::Error<crate::raw::types::ErrorResponse>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(msg) => {
                let (field, rule) = crate::validate::split_builder_message(&msg);
                Error::InvalidRequest { field, rule }
            }
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => e.into(),
            P::ErrorResponse(rv) => {
                let status = rv.status();
                let message = rv.message.as_deref().map(sanitize);
                let body = serde_json::to_vec(&serde_json::json!({ "message": message }))
                    .unwrap_or_default();
                from_status(status, rv.headers(), &body)
            }
            P::InvalidResponsePayload(bytes, err) => {
                // The generated client does not keep the status here.
                if let Some(status) = crate::session::peek_unknown_status(&bytes) {
                    return Error::UnknownStatus(status);
                }
                let detail = match err.classify() {
                    serde_json::error::Category::Eof if bytes.is_empty() => "empty body",
                    serde_json::error::Category::Data => "invalid data",
                    _ => "not JSON",
                };
                Error::Decode {
                    status: 0,
                    field: missing_field(&err.to_string()),
                    detail: detail.to_string(),
                    excerpt: excerpt(&bytes),
                }
            }
            P::UnexpectedResponse(response) => {
                let status = response.status();
                from_status(status, response.headers(), &[])
            }
            P::Custom(msg) => Error::Api {
                status: 0,
                message: Some(msg),
            },
        }
    }
}
