//! The HTTP path of every call: the reqwest client underneath (rustls with
//! `ring`, no OpenSSL), one request sent exactly once within the client's
//! bound on requests in flight, its answer read up to a size cap, a
//! non-success status mapped into [`Error`], and the errors of the generated
//! client mapped the same way.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::decode::{Asked, Target, decode_body, from_status, missing_field};
use crate::error::{Error, Result};
use crate::operations::Operation;
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

/// A response read to the end.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: bytes::Bytes,
    /// When it went out and came back (the collect pacing of `src/poll.rs`).
    pub timing: Timing,
}

/// When one request went out and when its answer came back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Handed to the HTTP client, after the bound on requests in flight.
    pub sent: Instant,
    /// Its status line and headers arrived (the body may still follow).
    pub answered: Instant,
    /// The client opened no connection while it was in flight (and none was
    /// being opened when it was sent): it went out on an established
    /// connection, so its round trip holds no connect or TLS handshake.
    pub warm: bool,
}

impl Timing {
    /// From handing the request over to its headers arriving.
    pub fn round_trip(&self) -> Duration {
        self.answered.saturating_duration_since(self.sent)
    }
}

/// How many connections the HTTP client began and finished opening (TCP
/// connect and TLS handshake), counted by [`CountConnects`] around its
/// connector.
#[derive(Debug, Default)]
pub(crate) struct Connects {
    started: AtomicU64,
    finished: AtomicU64,
}

impl Connects {
    /// `(started, finished)` now; `finished` read first, so equal numbers
    /// mean that no connect was under way at that moment.
    fn snapshot(&self) -> (u64, u64) {
        let finished = self.finished.load(Ordering::SeqCst);
        (self.started.load(Ordering::SeqCst), finished)
    }
}

/// A connector layer (`reqwest::ClientBuilder::connector_layer`) that
/// counts the connections opened into a [`Connects`].
#[derive(Debug, Clone)]
pub(crate) struct CountConnects(pub Arc<Connects>);

impl<S> tower_layer::Layer<S> for CountConnects {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            connects: self.0.clone(),
        }
    }
}

/// The connector of [`CountConnects`].
#[derive(Debug, Clone)]
pub(crate) struct Counted<S> {
    inner: S,
    connects: Arc<Connects>,
}

/// Counts a connect finished when dropped: done, failed or abandoned.
struct ConnectDone(Arc<Connects>);

impl Drop for ConnectDone {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::SeqCst);
    }
}

impl<S, R> tower_service::Service<R> for Counted<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.connects.started.fetch_add(1, Ordering::SeqCst);
        let done = ConnectDone(self.connects.clone());
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let connected = connecting.await;
            drop(done);
            connected
        })
    }
}

/// The body of a request.
pub(crate) enum Body<'a> {
    None,
    Json(&'a serde_json::Value),
    Multipart(reqwest::multipart::Form),
}

/// One call: which operation of the spec (its method and path), the id its
/// path takes, and for tracing which attempt.
pub(crate) struct Call<'a> {
    pub operation: &'static Operation,
    /// The `{id}` of the path (a session or document id).
    pub id: Option<&'a str>,
    pub attempt: u32,
    /// The `Accept` header: JSON, or for a document download the PDF (with
    /// JSON for an error answer).
    pub accept: &'static str,
}

/// `Accept` of every JSON call.
pub(crate) const ACCEPT_JSON: &str = "application/json";

/// What sends a call: the HTTP client (credentials in its default headers),
/// the base URL, the bound on requests in flight and the answer size cap.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) in_flight: tokio::sync::Semaphore,
    pub(crate) max_response_bytes: usize,
    /// The connections `http` opened (its connector counts them).
    pub(crate) connects: Arc<Connects>,
    /// The fastest round trip of a warm request so far, in nanoseconds
    /// (`u64::MAX`: none yet); see [`Transport::rtt_floor`].
    pub(crate) rtt_floor_ns: AtomicU64,
    /// How many warm requests `rtt_floor_ns` was taken over.
    pub(crate) warm_samples: AtomicU64,
}

/// How many warm round trips [`Transport::rtt_floor`] needs before it
/// answers: one request queued on its way (behind others, in the server's
/// accept queue) is not the fastest way there; the fastest of four is
/// unlikely to be late.
const FLOOR_SAMPLES: u64 = 4;

impl Transport {
    /// The fastest round trip (request handed over → headers back) of a
    /// request sent on an established connection so far; `None` before
    /// [`FLOOR_SAMPLES`] such requests.
    pub(crate) fn rtt_floor(&self) -> Option<Duration> {
        if self.warm_samples.load(Ordering::Relaxed) < FLOOR_SAMPLES {
            return None;
        }
        match self.rtt_floor_ns.load(Ordering::Relaxed) {
            u64::MAX => None,
            ns => Some(Duration::from_nanos(ns)),
        }
    }

    /// Sends one request, exactly once, and reads the whole answer. Non-2xx
    /// answers become their typed error here.
    ///
    /// Returns the request boxed (not an `async fn`): a request's state lives
    /// on the heap only while it runs, so a session waiting between collects
    /// keeps a small future (this matters with thousands of sessions waiting
    /// at once), with one allocation per request.
    pub(crate) fn send<'a>(
        &'a self,
        call: Call<'a>,
        body: Body<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer>> + Send + 'a>> {
        let span = tracing::debug_span!(
            "identisure.call",
            operation = call.operation.id,
            session_id = call.id.unwrap_or(""),
            attempt = call.attempt,
            status = tracing::field::Empty,
        );
        let this = self;
        let request = async move {
            let mut url = this.base_url.clone();
            {
                let mut path = url
                    .path_segments_mut()
                    .map_err(|_| Error::config("base_url", "is not an absolute http(s) URL"))?;
                path.pop_if_empty();
                // The spec's path template; `{id}` takes the id (encoded as
                // one path segment).
                for segment in call.operation.path.split('/').filter(|s| !s.is_empty()) {
                    match (segment, call.id) {
                        ("{id}", Some(id)) => path.push(id),
                        ("{id}", None) => {
                            return Err(Error::invalid("id", "is required"));
                        }
                        (segment, _) => path.push(segment),
                    };
                }
            }
            let method = call.operation.method.as_str();
            let mut request = this
                .http
                .request(call.operation.method.clone(), url)
                .header(reqwest::header::ACCEPT, call.accept);
            request = match body {
                Body::None => request,
                Body::Json(value) => request.json(value),
                Body::Multipart(form) => request.multipart(form),
            };
            // The client-wide bound on requests in flight (never closed).
            let _permit = this.in_flight.acquire().await.ok();
            tracing::debug!("sending request");
            let sent = Instant::now();
            let (started, finished) = this.connects.snapshot();
            let sending = request.send().await;
            let answered = Instant::now();
            let warm = started == finished && this.connects.snapshot().0 == started;
            let timing = Timing {
                sent,
                answered,
                warm,
            };
            if warm {
                let ns = u64::try_from(timing.round_trip().as_nanos()).unwrap_or(u64::MAX - 1);
                this.rtt_floor_ns.fetch_min(ns, Ordering::Relaxed);
                this.warm_samples.fetch_add(1, Ordering::Relaxed);
            }
            let response = match sending {
                Ok(r) => r,
                Err(e) => {
                    // reqwest's error names the URL it was sent to.
                    let err = Error::transport(e, Some(method), None);
                    tracing::debug!(error = %err, "request failed");
                    return Err(err);
                }
            };
            let status = response.status();
            tracing::Span::current().record("status", status.as_u16());
            // The headers and the URL matter only for an error (Retry-After,
            // a 404 naming the URL …): taken then, never copied on the hot
            // path of a successful collect.
            let failed = (!status.is_success())
                .then(|| (response.headers().clone(), response.url().clone()));
            let body = match read_capped(response, this.max_response_bytes, method).await {
                Ok(b) => b,
                Err(err) => {
                    tracing::debug!(error = %err, "reading the answer failed");
                    return Err(err);
                }
            };
            tracing::debug!(status = status.as_u16(), "answer received");
            match failed {
                None => Ok(Answer {
                    status,
                    body,
                    timing,
                }),
                Some((headers, url)) => {
                    let target = match call.id {
                        None => Target::None,
                        Some(id) if call.operation.id.starts_with("document_") => {
                            Target::Document(id)
                        }
                        Some(id) => Target::Session(id),
                    };
                    let asked = Asked {
                        method,
                        url: &url,
                        target,
                    };
                    Err(from_status(status, &headers, &body, Some(&asked)))
                }
            }
        }
        .instrument(span);
        Box::pin(request)
    }
}

/// Reads a body, at most `limit` bytes. A success answer that is larger
/// (announced by `Content-Length` or found while reading) is an
/// [`Error::ResponseTooLarge`]; an error answer is cut at the limit. A
/// failure while reading names the request (`method` and its URL).
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
    method: &str,
) -> Result<bytes::Bytes> {
    let status = response.status();
    let too_large = || Error::ResponseTooLarge {
        status: status.as_u16(),
        limit,
    };
    if status.is_success() && response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // A small answer usually arrives as one chunk: that one is kept as it
    // is (no copy); only a second chunk starts a buffer.
    let mut whole: Option<bytes::Bytes> = None;
    let mut body = bytes::BytesMut::new();
    let mut len = 0;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => return Err(Error::transport(e, Some(method), Some(response.url()))),
        };
        let take = chunk.len().min(limit - len);
        if take < chunk.len() && status.is_success() {
            return Err(too_large());
        }
        if len == 0 && take == chunk.len() {
            whole = Some(chunk);
        } else {
            if let Some(first) = whole.take() {
                body.extend_from_slice(&first);
            }
            body.extend_from_slice(&chunk[..take]);
        }
        len += take;
        if len == limit {
            break;
        }
    }
    Ok(whole.unwrap_or_else(|| body.freeze()))
}

/// Decodes a success answer into `T`, naming the field that failed.
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T> {
    decode_body(answer.status, &answer.body)
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
                from_status(status, rv.headers(), &body, None)
            }
            P::InvalidResponsePayload(bytes, err) => {
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
                    field: missing_field(&err.to_string()),
                    detail: detail.to_string(),
                    excerpt: excerpt(&bytes),
                }
            }
            P::UnexpectedResponse(response) => {
                let status = response.status();
                from_status(status, response.headers(), &[], None)
            }
            P::Custom(msg) => Error::Api {
                status: 0,
                message: Some(msg),
            },
        }
    }
}
