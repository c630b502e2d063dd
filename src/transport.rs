//! The hand-written layer's side of sending: the reqwest client underneath
//! (rustls with `ring`, no OpenSSL), and [`call`], the one way a call of the
//! layer is sent: a generated operation method's future, run within the
//! call's scope (`hooks.rs`: the bound on requests in flight, the cap, the
//! span), boxed, its answer or error mapped into [`Error`]. Which generated
//! method sends a start or a cancel of the operation table is
//! `OUT_DIR/calls.rs` (`build/calls.rs`): the [`Start`] implementations of
//! the generated PENDING types, and [`cancel`]. A collect is built by the
//! hooks (`hooks::collect`) and sent through [`call`] too.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use progenitor_client::ClientInfo as _;
use reqwest::StatusCode;

use crate::decode::{Target, from_message, from_status};
use crate::error::{Error, Result};
use crate::hooks::{Timing, TooLarge};
use crate::operations::Operation;
use crate::raw::ResponseValue;
use crate::sensitive::{excerpt, sanitize};

/// A `reqwest::ClientBuilder` ready for this crate: rustls with the `ring`
/// crypto provider (installed as the process default when none is set yet),
/// and the `identisure-rs/<version>` user agent.
///
/// ```
/// let http = identisure::http_client_builder().build().unwrap();
/// let raw = identisure::raw::Client::new_with_client("http://127.0.0.1:1", http);
/// # let _ = raw;
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread installing one is fine.
        // rustls 0.23.48 deprecates its built-in *ring* provider (no
        // post-quantum key exchange; `rustls-ring` takes over in 0.24). It
        // is still the provider this crate chose for building everywhere
        // without a C toolchain; an application that wants aws-lc-rs installs
        // it as the process default first and this line does nothing.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    }
    reqwest::Client::builder().user_agent(USER_AGENT)
}

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("identisure-rs/", env!("CARGO_PKG_VERSION"));

/// The generated client's error.
type RawError = crate::raw::Error<crate::raw::types::ErrorResponse>;

/// One call of the layer: the generated client it goes through, which
/// operation of the table, the id its path takes, and which attempt.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    pub raw: &'a crate::raw::Client,
    pub operation: &'static Operation,
    /// The `{id}` of the path (a session or document id).
    pub id: Option<&'a str>,
    pub attempt: u32,
}

impl Asked<'_> {
    /// The URL the generated method sends to, as it builds it (for errors
    /// naming the request).
    fn url(&self) -> Option<reqwest::Url> {
        let path = match self.id {
            Some(id) => self
                .operation
                .path()
                .replace("{id}", &progenitor_client::encode_path(id)),
            None => self.operation.path().to_string(),
        };
        reqwest::Url::parse(&format!("{}{path}", self.raw.baseurl())).ok()
    }

    /// What its `{id}` names.
    fn target(&self) -> Target<'_> {
        match self.id {
            None => Target::None,
            Some(id) if self.operation.id().starts_with("document_") => Target::Document(id),
            Some(id) => Target::Session(id),
        }
    }
}

/// The success answer of a call: its status, when it went out and came
/// back (the collect pacing of `src/poll.rs`), and its value or body.
pub struct Answered<T> {
    status: StatusCode,
    timing: Option<Timing>,
    decoded: Decoded<T>,
}

enum Decoded<T> {
    /// Decoded by the generated method.
    Value(T),
    /// Not decoded by it: its body did not fit the generated type, or its
    /// (2xx) status is not one the spec lists. The body as received (capped).
    Body(Bytes),
}

impl<T> Answered<T> {
    /// The status of the answer.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// When it was sent and answered, as the hooks saw it.
    pub(crate) fn timing(&self) -> Option<Timing> {
        self.timing
    }

    /// The value: the generated method's, through `typed`, or the kept body
    /// decoded again by `decode`, which names the field that failed (the
    /// error path only).
    pub(crate) fn into_value<U>(
        self,
        typed: impl FnOnce(T) -> U,
        decode: impl FnOnce(StatusCode, &[u8]) -> Result<U>,
    ) -> Result<U> {
        match self.decoded {
            Decoded::Value(value) => Ok(typed(value)),
            Decoded::Body(body) => decode(self.status, &body),
        }
    }
}

/// A call under way: boxed, so that a request's state lives on the heap
/// only while it runs (a session waiting between collects keeps a small
/// future; this matters with thousands of sessions waiting at once), one
/// allocation per request.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<Answered<T>>> + Send + 'a>>;

/// Sends one call: `send` is the generated method's future (or, for the
/// upload the generator cannot make, one going through the same hooks).
/// Sent exactly once; a non-2xx answer becomes its typed [`Error`].
pub(crate) fn call<'a, T: Send + 'a>(
    asked: Asked<'a>,
    send: impl Future<Output = std::result::Result<ResponseValue<T>, RawError>> + Send + 'a,
) -> Call<'a, T> {
    use futures_util::FutureExt as _;
    // Chained, not an `async move` block awaiting `send`: the block would
    // hold `send` twice (captured, then awaited), and this is the future
    // that is boxed.
    Box::pin(
        crate::hooks::scope(asked.attempt, send)
            .then(move |(result, answer)| answered(result, answer, asked)),
    )
}

/// A start body that is not its generated request type: never sent.
pub(crate) fn unsendable<'a, T: Send + 'a>(asked: Asked<'a>, _: serde_json::Error) -> Call<'a, T> {
    let id = asked.operation.id();
    refused(Error::invalid("body", format!("is not a body of `{id}`")))
}

/// The id of the session `asked` names, as the generated methods take it.
/// The layer checked it before (`validate::id`); an id the generated type
/// still refuses is an invalid `id`, never sent.
pub(crate) fn session_id(asked: &Asked<'_>) -> Result<crate::raw::types::SessionId> {
    asked.id.unwrap_or_default().parse().map_err(|e| {
        let rule = crate::validate::known_rule(&format!("{e}"));
        Error::invalid("id", rule.unwrap_or_else(|| "is invalid".to_string()))
    })
}

/// A call refused before sending: its error, as a call.
pub(crate) fn refused<'a, T: Send + 'a>(error: Error) -> Call<'a, T> {
    Box::pin(std::future::ready(Err(error)))
}

/// An operation of the table the generated client has no method for.
pub(crate) fn not_generated<'a, T: Send + 'a>(asked: Asked<'a>) -> Call<'a, T> {
    let id = asked.operation.id();
    refused(Error::invalid(
        "operation",
        format!("`{id}` is not one the generated client sends"),
    ))
}

/// A generated start answer (a family's PENDING state): sends the start
/// `asked` names with its generated method.
pub trait Start: Sized + Send + 'static {
    fn start<'a>(asked: Asked<'a>, body: &serde_json::Value) -> Call<'a, Self>;
}

include!(concat!(env!("OUT_DIR"), "/calls.rs"));

/// The answer of a generated method, mapped: its value, a success answer it
/// did not decode (kept for decoding again), or the error.
async fn answered<T>(
    result: std::result::Result<ResponseValue<T>, RawError>,
    answer: Option<(StatusCode, Timing)>,
    asked: Asked<'_>,
) -> Result<Answered<T>> {
    let asked = &asked;
    let timing = answer.map(|(_, timing)| timing);
    match result {
        Ok(value) => Ok(Answered {
            status: value.status(),
            timing,
            decoded: Decoded::Value(value.into_inner()),
        }),
        Err(RawError::InvalidResponsePayload(body, _)) => Ok(Answered {
            status: answer.map_or(StatusCode::OK, |(status, _)| status),
            timing,
            decoded: Decoded::Body(body),
        }),
        Err(RawError::UnexpectedResponse(response)) => {
            let status = response.status();
            if status.is_success() {
                // Any 2xx decodes, listed in the spec or not.
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| body_error(e, Some(asked)))?;
                return Ok(Answered {
                    status,
                    timing,
                    decoded: Decoded::Body(body),
                });
            }
            // The hooks read it already (cut at the cap).
            let (headers, url) = (response.headers().clone(), response.url().clone());
            let body = response.bytes().await.unwrap_or_default();
            let asked = crate::decode::Asked {
                method: asked.operation.method(),
                url: &url,
                target: asked.target(),
            };
            Err(from_status(status, &headers, &body, Some(&asked)))
        }
        Err(e) => Err(map_error(e, Some(asked))),
    }
}

/// Maps an error of the generated client. `asked` is the layer's call
/// (`None` for a call made directly on the raw client, which does not say
/// which request it was).
fn map_error(e: RawError, asked: Option<&Asked<'_>>) -> Error {
    match e {
        // The generated methods take typed arguments and make no such
        // error; the hooks make one when the raw client's base URL is none.
        RawError::InvalidRequest(_) => Error::config(
            "base_url",
            "is not a URL: give the raw client an absolute http(s) URL",
        ),
        RawError::CommunicationError(e) | RawError::InvalidUpgrade(e) => transport(e, asked),
        RawError::ResponseBodyError(e) => body_error(e, asked),
        RawError::ErrorResponse(answer) => {
            let message = answer.message.as_deref().map(sanitize);
            let url = asked.and_then(Asked::url);
            let request = asked
                .zip(url.as_ref())
                .map(|(a, url)| crate::decode::Asked {
                    method: a.operation.method(),
                    url,
                    target: a.target(),
                });
            from_message(answer.status(), answer.headers(), message, request.as_ref())
        }
        RawError::InvalidResponsePayload(bytes, err) => {
            // The generated client does not keep the status here.
            if let Some(status) = crate::state::peek_unknown_status(&bytes) {
                return Error::UnknownStatus(status);
            }
            let detail = match err.classify() {
                serde_json::error::Category::Eof if bytes.is_empty() => "empty body",
                serde_json::error::Category::Data => "invalid data",
                _ => "not JSON",
            };
            Error::Decode {
                status: 0,
                field: crate::decode::missing_field(&err.to_string()),
                detail: detail.to_string(),
                excerpt: excerpt(&bytes),
            }
        }
        RawError::UnexpectedResponse(response) => {
            let url = response.url().clone();
            let request = asked.map(|a| crate::decode::Asked {
                method: a.operation.method(),
                url: &url,
                target: a.target(),
            });
            from_status(response.status(), response.headers(), &[], request.as_ref())
        }
        RawError::Custom(msg) => Error::Api {
            status: 0,
            message: Some(msg),
        },
    }
}

/// A failure of reqwest, naming the request (the URL reqwest knows, else
/// the one the call was sent to).
fn transport(e: reqwest::Error, asked: Option<&Asked<'_>>) -> Error {
    let url = asked.filter(|_| e.url().is_none()).and_then(Asked::url);
    let method = asked.map(|a| a.operation.method());
    Error::transport(e, method, url.as_ref())
}

/// A failure while reading an answer's body: the cap passed
/// ([`TooLarge`], found among reqwest's sources), or the transport.
fn body_error(e: reqwest::Error, asked: Option<&Asked<'_>>) -> Error {
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        if let Some(TooLarge { status, limit }) = s.downcast_ref::<TooLarge>() {
            return Error::ResponseTooLarge {
                status: *status,
                limit: *limit,
            };
        }
        source = s.source();
    }
    transport(e, asked)
}

/// Maps every error of the generated client ([`crate::raw::Client`]), for
/// code that calls it directly.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Port 1 of this machine refuses the connection.
/// let raw = identisure::raw::Client::new("http://127.0.0.1:1");
/// let raw_err = raw.bankid_se_auth_collect(&"s".parse().unwrap()).await.unwrap_err();
/// let err = identisure::Error::from(raw_err);
/// assert!(matches!(
///     err,
///     identisure::Error::Transport { kind: identisure::TransportKind::Connect, .. }
/// ));
/// # }
/// ```
impl From<RawError> for Error {
    fn from(e: RawError) -> Self {
        map_error(e, None)
    }
}
