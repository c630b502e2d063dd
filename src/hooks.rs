//! The hooks of the generated client: what every request sent by a
//! generated operation method goes through (progenitor's `ClientHooks`,
//! implemented in `raw.rs` for the generated `Client`, whose inner value
//! is a [`Hooks`]). The hand-written layer's calls and those made directly
//! on [`crate::Client::raw`] alike:
//!
//! - `api-version` is removed (`pre`): the API does not document it;
//! - a span `identisure.call` (fields `operation`, `session_id`, `attempt`,
//!   `status`) covers the request and the reading of its answer;
//! - the client's bound on requests in flight: a permit is taken before the
//!   request leaves and held until its answer's body has been read to the
//!   end (or dropped): it lives in the body;
//! - when the request went out (after the permit) and its answer's headers
//!   came back, and whether it came on a connection that had answered
//!   before ([`Timing`]): the collect pacing of `src/poll.rs` counts the
//!   next collect from it;
//! - the cap on a success answer's body: an answer announcing or sending
//!   more fails as soon as the cap is passed, without reading the rest, with
//!   [`TooLarge`] as the error of the body, which reqwest keeps as the
//!   source of its own error (the client's error mapping finds it there);
//! - an error answer (any status but 2xx) is read here, cut at the cap.
//!   For the hand-written layer ([`ErrorBodies::Documented`]) a body that is
//!   not the documented `ErrorResponse` JSON (empty, an HTML page of a
//!   proxy) is replaced by `{}`, so that the generated method still decodes
//!   it as an `ErrorResponse`, with its status and headers: a bodiless or
//!   HTML 429 keeps its `Retry-After`.
//!
//! What a generated method cannot carry for one call, which attempt it is
//! (for the span), the status it got (for an answer that does not decode)
//! and its [`Timing`], travels beside its future: [`scope`].

use std::cell::Cell;
use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::Instrument as _;

/// What the hooks of one generated client work with (its inner value):
/// the bound on requests in flight (shared by the clients a
/// [`crate::Client`] holds), the cap on answers, and how error bodies reach
/// the generated method.
///
/// A raw client made with [`crate::raw::Client::new_with_client`] has its
/// own: [`crate::DEFAULT_MAX_IN_FLIGHT`] requests in flight,
/// [`crate::DEFAULT_MAX_RESPONSE_BYTES`] per answer.
#[derive(Clone, Debug)]
pub struct Hooks {
    in_flight: Arc<Semaphore>,
    max_response_bytes: usize,
    error_bodies: ErrorBodies,
    /// What the collect pacing of `src/poll.rs` learns from every request.
    pacing: Arc<Pacing>,
    /// The URLs of the collects built by hand ([`collect`]); `None` for a
    /// raw client, which never sends one.
    collect_urls: Option<Arc<CollectUrls>>,
}

/// The base URL and, below it, the URL of each collect up to its id, made
/// once: pushing the path's segments one by one costs about 0.25 µs each
/// (the `url` crate parses each), and a collect is the request sent most.
#[derive(Debug)]
struct CollectUrls {
    base: reqwest::Url,
    /// Each `GET …/{id}` operation, and its URL without the id.
    prefixes: Vec<(&'static crate::operations::Operation, reqwest::Url)>,
}

impl CollectUrls {
    fn new(base: reqwest::Url) -> Self {
        let prefixes = crate::operations::operations()
            .filter(|o| o.method() == "GET")
            .filter_map(|o| {
                let parent = o.path().strip_suffix("/{id}")?;
                Some((o, with_segments(base.clone(), parent, "")))
            })
            .collect();
        CollectUrls { base, prefixes }
    }

    /// The URL of `operation` for the session `id`.
    fn url(&self, operation: &'static crate::operations::Operation, id: &str) -> reqwest::Url {
        match self
            .prefixes
            .iter()
            .find(|(o, _)| std::ptr::eq(*o, operation))
        {
            Some((_, prefix)) => with_segments(prefix.clone(), "{id}", id),
            None => with_segments(self.base.clone(), operation.path(), id),
        }
    }
}

/// `url` with the segments of `path` pushed, its `{id}` as `id`
/// (percent-encoded as a path segment).
fn with_segments(mut url: reqwest::Url, path: &str, id: &str) -> reqwest::Url {
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            segments.push(if segment == "{id}" { id } else { segment });
        }
    }
    url
}

/// The connections that answered a request of this client, and the
/// fastest warm round trip so far.
#[derive(Debug)]
struct Pacing {
    /// Each connection (its local and remote address, as hyper's connector
    /// tells them on every answer) that answered before. Told apart this
    /// way, not by counting connects in a connector layer: reqwest boxes and
    /// clones a layered connector for every request, and that cost 1 % of a
    /// collect (`cargo xtask bench`, `collect_overhead_ratio`).
    connections: Mutex<HashSet<(SocketAddr, SocketAddr)>>,
    /// The fastest round trip of a warm request so far, in nanoseconds
    /// (`u64::MAX`: none yet); see [`Hooks::rtt_floor`].
    rtt_floor_ns: AtomicU64,
    /// How many warm requests `rtt_floor_ns` was taken over.
    warm_samples: AtomicU64,
}

/// How many warm round trips [`Hooks::rtt_floor`] needs before it
/// answers: one request queued on its way (behind others, in the server's
/// accept queue) is not the fastest way there; the fastest of four is
/// unlikely to be late.
const FLOOR_SAMPLES: u64 = 4;

/// How many connections [`Pacing`] remembers; past that it forgets them
/// all, and the next answer of each looks cold once (its whole round trip
/// is counted: safe, a little later).
const CONNECTIONS_KEPT: usize = 4096;

impl Pacing {
    /// Whether `response` came on a connection that answered a request of
    /// this client before (it is remembered now). An answer that does not
    /// say its connection (a connector without hyper's `HttpInfo`) is cold.
    fn warm(&self, response: &reqwest::Response) -> bool {
        use hyper_util::client::legacy::connect::HttpInfo;
        let Some(info) = response.extensions().get::<HttpInfo>() else {
            return false;
        };
        let connection = (info.local_addr(), info.remote_addr());
        let mut known = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if known.contains(&connection) {
            return true;
        }
        if known.len() >= CONNECTIONS_KEPT {
            known.clear();
        }
        known.insert(connection);
        false
    }
}

/// How an error answer's body reaches the generated method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorBodies {
    /// As sent (cut at the cap): a body that is not the documented JSON is
    /// the generated client's `InvalidResponsePayload`, as it always was
    /// (`Client::raw()`, and raw clients of your own).
    AsSent,
    /// A body that is not the documented `ErrorResponse` becomes `{}`: the
    /// error keeps its status and headers (the hand-written layer).
    Documented,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks::new(
            crate::DEFAULT_MAX_IN_FLIGHT,
            crate::DEFAULT_MAX_RESPONSE_BYTES,
        )
    }
}

impl Hooks {
    /// At most `max_in_flight` requests at once (further ones wait their
    /// turn, in order), answers of at most `max_response_bytes`; error
    /// bodies as sent.
    pub(crate) fn new(max_in_flight: usize, max_response_bytes: usize) -> Self {
        Hooks {
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_response_bytes,
            error_bodies: ErrorBodies::AsSent,
            pacing: Arc::new(Pacing {
                connections: Mutex::default(),
                rtt_floor_ns: AtomicU64::new(u64::MAX),
                warm_samples: AtomicU64::new(0),
            }),
            collect_urls: None,
        }
    }

    /// The same, sending [`collect`]s below `base`.
    pub(crate) fn with_base(self, base: reqwest::Url) -> Self {
        Hooks {
            collect_urls: Some(Arc::new(CollectUrls::new(base))),
            ..self
        }
    }

    /// The fastest round trip (request handed over → headers back) of a
    /// request sent on an established connection so far; `None` before
    /// [`FLOOR_SAMPLES`] such requests.
    pub(crate) fn rtt_floor(&self) -> Option<Duration> {
        let pacing = &self.pacing;
        if pacing.warm_samples.load(Ordering::Relaxed) < FLOOR_SAMPLES {
            return None;
        }
        match pacing.rtt_floor_ns.load(Ordering::Relaxed) {
            u64::MAX => None,
            ns => Some(Duration::from_nanos(ns)),
        }
    }

    /// The same bound and cap, with error bodies read as documented.
    pub(crate) fn documented_errors(&self) -> Self {
        Hooks {
            error_bodies: ErrorBodies::Documented,
            ..self.clone()
        }
    }

    /// `ClientHooks::exec`: sends the request of `operation` with `http`.
    ///
    /// This and [`Hooks::send`] are functions returning an `async move`
    /// block, not `async fn`s: an `async fn` keeps its arguments and the
    /// locals moved out of them apart, so the request (264 bytes) was held
    /// twice at each level, and a call's future is boxed and moved whole.
    pub(crate) fn exec<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        // Made here, in the call's scope (a generated method calls this
        // as it is polled): the attempt is the scope's.
        let span = call_span(operation, request.url(), scope_attempt());
        let traced = span.clone();
        async move {
            let sent = self.send(http, request, &span).await?;
            self.answer(sent, span).await
        }
        .instrument(traced)
    }

    /// Sends `request` within the bound, noting its [`Timing`] and status.
    #[allow(clippy::manual_async_fn)]
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        span: &'a tracing::Span,
    ) -> impl Future<Output = reqwest::Result<Sent>> + Send + 'a {
        async move {
            // The bound on requests in flight (never closed): the permit goes
            // with the answer until its body has been read.
            let permit = self.in_flight.clone().acquire_owned().await.ok();
            tracing::debug!("sending request");
            // When it went out and came back, on a warm connection or not (the
            // collect pacing, `src/poll.rs`).
            let sent = Instant::now();
            let sending = http.execute(request).await;
            let answered = Instant::now();
            let response = sending.inspect_err(|e| {
                // Its kind only: reqwest's text names the URL.
                tracing::debug!(kind = %crate::error::transport_kind(e), "request failed");
            })?;
            let warm = self.pacing.warm(&response);
            let timing = Timing {
                sent,
                answered,
                warm,
            };
            if warm {
                let ns = u64::try_from(timing.round_trip().as_nanos()).unwrap_or(u64::MAX - 1);
                self.pacing.rtt_floor_ns.fetch_min(ns, Ordering::Relaxed);
                self.pacing.warm_samples.fetch_add(1, Ordering::Relaxed);
            }
            let status = response.status();
            span.record("status", status.as_u16());
            scope_answered(status, timing);
            tracing::debug!(status = status.as_u16(), "answer received");
            Ok(Sent { response, permit })
        }
    }

    /// The answer as the generated method reads it: a success answer's
    /// body capped as it is read (holding the permit), an error answer's
    /// read here (cut at the cap), as documented or as sent.
    async fn answer(&self, sent: Sent, span: tracing::Span) -> reqwest::Result<reqwest::Response> {
        let Sent {
            mut response,
            permit,
        } = sent;
        let status = response.status();
        let limit = self.max_response_bytes;
        if status.is_success() {
            let announced = response.content_length().is_some_and(|n| n > limit as u64);
            return Ok(capped(response, permit, span, limit, announced));
        }
        let url = response.url().clone();
        let body = read_cut(&mut response, limit)
            .await
            .map_err(|e| e.with_url(url))
            .inspect_err(|e| {
                tracing::debug!(kind = %crate::error::transport_kind(e), "reading the answer failed");
            })?;
        drop(permit);
        let body = match self.error_bodies {
            ErrorBodies::Documented
                if serde_json::from_slice::<crate::raw::types::ErrorResponse>(&body).is_err() =>
            {
                response
                    .headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from_static("2"));
                Bytes::from_static(b"{}")
            }
            _ => body,
        };
        Ok(with_body(response, |_| reqwest::Body::from(body)))
    }
}

/// A request sent, its answer's headers back: the answer and the permit it
/// holds until its body has been read.
struct Sent {
    response: reqwest::Response,
    permit: Option<OwnedSemaphorePermit>,
}

/// The span of one call (its fields are only computed when it is enabled).
fn call_span(operation: &'static str, url: &reqwest::Url, attempt: u32) -> tracing::Span {
    tracing::debug_span!(
        "identisure.call",
        operation,
        session_id = session_id(operation, url).as_str(),
        attempt,
        status = tracing::field::Empty,
    )
}

/// The one request of this crate that no generated method sends: the
/// multipart document upload (`document_upload`, pruned from generation in
/// `build/transforms.rs` because progenitor cannot make multipart bodies).
/// Built here by hand as its generated method would build it, then sent
/// through the same hooks (`pre`, then `exec`: the bound, the cap, the
/// span), its answer read as a generated method reads one. Keep it the only
/// hand-written send (MAINTAINING.md, "How the client is built").
pub(crate) async fn upload(
    raw: &crate::raw::Client,
    form: reqwest::multipart::Form,
) -> Result<
    crate::raw::ResponseValue<crate::raw::types::Document>,
    crate::raw::Error<crate::raw::types::ErrorResponse>,
> {
    use progenitor_client::{ClientHooks as _, ClientInfo as _, OperationInfo};
    let operation = &crate::operations::DOCUMENT_UPLOAD;
    let url = format!("{}{}", raw.baseurl(), operation.path());
    let mut request = (raw.client().post(url))
        .header(reqwest::header::ACCEPT, "application/json")
        .multipart(form)
        .build()?;
    let info = OperationInfo {
        operation_id: operation.id(),
    };
    raw.pre(&mut request, &info).await?;
    let response = raw.exec(request, &info).await?;
    if response.status().is_success() {
        crate::raw::ResponseValue::from_response(response).await
    } else {
        // Read already (cut at the cap); mapped by its status as every
        // error answer the spec does not type.
        Err(crate::raw::Error::UnexpectedResponse(response))
    }
}

/// The collect of a waiting session: the other request of this crate built
/// by hand, as its generated method builds it (`GET`, the same URL, `Accept:
/// application/json`), through the same `pre` and the send of `exec`
/// ([`Hooks::send`]: the bound, the span, the timing), its error answers
/// through `exec`'s reading ([`Hooks::answer`]), its success answer's body
/// read here (capped at the same limit) and returned as
/// read (capped) and decoded by the caller in one pass into its
/// [`crate::State`].
///
/// Why not the generated method: a waiting session collects once a second,
/// so a collect is the request the client sends most, and through the
/// generated method it cost 1.08× a bare reqwest GET (its URL formatted and
/// parsed again on every call, its answer decoded through an untagged enum
/// of the three states, the body rewrapped), against 1.03× here; the goal
/// is ≤ 1.05 (MAINTAINING.md, "How the client is built"). Everything else
/// about it is the generated method's: what it sends, and its answers
/// mapped as the generated method's would be (`crate::transport`).
// A function returning an `async move` block (see `Hooks::exec`): the
// request is built before it, so the future holds nothing of the building.
pub(crate) fn collect<'a>(
    raw: &'a crate::raw::Client,
    operation: &'static crate::operations::Operation,
    id: &str,
    attempt: u32,
) -> impl Future<Output = CollectResult> + Send + use<'a> {
    let request = collect_request(raw, operation, id);
    let span = match &request {
        Ok(request) => call_span(operation.id(), request.url(), attempt),
        Err(_) => tracing::Span::none(),
    };
    let traced = span.clone();
    async move {
        use progenitor_client::ClientInfo as _;
        let hooks = raw.hooks();
        let mut sent = hooks
            .send(raw.client(), request.map_err(|e| *e)?, &span)
            .await?;
        let status = sent.response.status();
        if !status.is_success() {
            // Mapped by its status, as every error answer of a layer's call.
            let response = hooks.answer(sent, span).await?;
            return Err(crate::raw::Error::UnexpectedResponse(response));
        }
        // Read here, not through a capped body: the common answer is one
        // small chunk.
        let limit = hooks.max_response_bytes;
        let announced = sent
            .response
            .content_length()
            .is_some_and(|n| n > limit as u64);
        let body = if announced {
            None
        } else {
            read_cut(&mut sent.response, limit.saturating_add(1))
                .await
                .map_err(crate::raw::Error::ResponseBodyError)
                .map(|body| Some(body).filter(|b| b.len() <= limit))?
        };
        let body = match body {
            Some(body) => body,
            // Past the cap: the error a capped body gives (reqwest's, with
            // `TooLarge` as its source), as a generated method's read.
            None => capped(sent.response, None, span, limit, true)
                .bytes()
                .await
                .map_err(crate::raw::Error::ResponseBodyError)?,
        };
        Ok(crate::raw::ResponseValue::new(
            body,
            status,
            reqwest::header::HeaderMap::new(),
        ))
    }
    .instrument(traced)
}

/// What [`collect`] resolves to: a generated method's result.
type CollectResult =
    Result<crate::raw::ResponseValue<Bytes>, crate::raw::Error<crate::raw::types::ErrorResponse>>;

/// The request of a collect, as its generated method builds it (its error
/// boxed: a generated method's error is large, and this one rare).
fn collect_request(
    raw: &crate::raw::Client,
    operation: &'static crate::operations::Operation,
    id: &str,
) -> Result<reqwest::Request, Box<crate::raw::Error<crate::raw::types::ErrorResponse>>> {
    use progenitor_client::ClientInfo as _;
    let url = match raw.hooks().collect_urls.as_deref() {
        Some(urls) => urls.url(operation, id),
        None => {
            let base = reqwest::Url::parse(raw.baseurl())
                .map_err(|e| crate::raw::Error::InvalidRequest(format!("base URL: {e}")))?;
            with_segments(base, operation.path(), id)
        }
    };
    let mut request = (raw.client().get(url))
        .header(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        )
        .build()
        .map_err(|e| Box::new(e.into()))?;
    pre(&mut request, operation.id());
    Ok(request)
}

/// `ClientHooks::pre`: what every request loses or gains before it leaves.
pub(crate) fn pre(request: &mut reqwest::Request, operation: &str) {
    // Generated from `info.version`; the API does not document it
    // (`tests/wire.rs` looks at a real request).
    // A `HeaderName` made once (from a `&str`, the name was parsed again on
    // every request).
    const API_VERSION: HeaderName = HeaderName::from_static("api-version");
    request.headers_mut().remove(API_VERSION);
    if operation == "document_get" {
        // The PDF, or the JSON of an error (decision
        // `document-download-bytes`; the generated request names neither).
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/pdf, application/json"),
        );
    }
}

/// The session (or document) id of a request, for the span: the last
/// segment of the URL of an operation whose path ends with `{id}`.
fn session_id(operation: &str, url: &reqwest::Url) -> String {
    let has_id = crate::operations::operations()
        .find(|o| o.id() == operation)
        .is_some_and(|o| o.path().ends_with("{id}"));
    match url.path_segments().and_then(|mut s| s.next_back()) {
        Some(last) if has_id => percent_encoding::percent_decode_str(last)
            .decode_utf8_lossy()
            .into_owned(),
        _ => String::new(),
    }
}

/// `response` with another body (`body` gets the one it had), its status,
/// headers and URL kept.
fn with_body(
    response: reqwest::Response,
    body: impl FnOnce(reqwest::Body) -> reqwest::Body,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    let url = response.url().clone();
    let (mut parts, inner) = http::Response::<reqwest::Body>::from(response).into_parts();
    // reqwest keeps a response's URL in its extensions, and errors reading
    // the body name it.
    let (marker, ()) = http::Response::builder()
        .url(url)
        .body(())
        .expect("an empty response with a URL")
        .into_parts();
    parts.extensions.extend(marker.extensions);
    reqwest::Response::from(http::Response::from_parts(parts, body(inner)))
}

/// Reads a body to its end, at most `limit` bytes (the rest is not read).
async fn read_cut(response: &mut reqwest::Response, limit: usize) -> reqwest::Result<Bytes> {
    // A small answer usually arrives as one chunk: that one is kept as it
    // is (no copy); only a second chunk starts a buffer.
    let mut whole: Option<Bytes> = None;
    let mut body = bytes::BytesMut::new();
    let mut len = 0;
    while len < limit {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let take = chunk.len().min(limit - len);
        if len == 0 && take == chunk.len() {
            whole = Some(chunk);
        } else {
            if let Some(first) = whole.take() {
                body.extend_from_slice(&first);
            }
            body.extend_from_slice(&chunk[..take]);
        }
        len += take;
    }
    Ok(whole.unwrap_or_else(|| body.freeze()))
}

/// A success answer larger than the cap: the error of its body (reqwest
/// passes it on as the source of its error).
#[derive(Debug)]
pub(crate) struct TooLarge {
    pub(crate) status: u16,
    pub(crate) limit: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the answer (HTTP {}) is larger than {} bytes",
            self.status, self.limit
        )
    }
}

impl std::error::Error for TooLarge {}

/// `response` with its body capped at `limit` bytes ([`Capped`]; failing
/// before any read when `too_large`), read within `span`, holding `permit`
/// until it ends.
fn capped(
    response: reqwest::Response,
    permit: Option<OwnedSemaphorePermit>,
    span: tracing::Span,
    limit: usize,
    too_large: bool,
) -> reqwest::Response {
    let status = response.status().as_u16();
    with_body(response, |inner| {
        reqwest::Body::wrap(Capped {
            inner,
            permit,
            span,
            status,
            limit,
            read: 0,
            too_large,
            done: false,
        })
    })
}

/// The body of a success answer: at most `limit` bytes, read within the
/// call's span, holding the call's permit until it ends.
struct Capped {
    inner: reqwest::Body,
    permit: Option<OwnedSemaphorePermit>,
    span: tracing::Span,
    status: u16,
    limit: usize,
    read: usize,
    /// Announced larger than the cap: fails before reading.
    too_large: bool,
    done: bool,
}

impl Capped {
    /// Ends the body: the permit goes back.
    fn finish(&mut self) {
        self.done = true;
        self.permit = None;
    }

    fn too_large(&mut self) -> Box<dyn std::error::Error + Send + Sync> {
        self.finish();
        tracing::debug!(limit = self.limit, "answer larger than the cap");
        Box::new(TooLarge {
            status: self.status,
            limit: self.limit,
        })
    }
}

impl http_body::Body for Capped {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let _entered = this.span.clone().entered();
        if this.too_large {
            return Poll::Ready(Some(Err(this.too_large())));
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            None => {
                this.finish();
                Poll::Ready(None)
            }
            Some(Err(e)) => {
                this.finish();
                tracing::debug!(kind = %crate::error::transport_kind(&e), "reading the answer failed");
                Poll::Ready(Some(Err(e.into())))
            }
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.read += data.len();
                    if this.read > this.limit {
                        return Poll::Ready(Some(Err(this.too_large())));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || (!self.too_large && self.inner.is_end_stream())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        if self.too_large {
            http_body::SizeHint::default()
        } else {
            http_body::Body::size_hint(&self.inner)
        }
    }
}

/// One call's data beside its future: which attempt it is (read by the
/// span), the status of its answer and when it went out and came back
/// (set by `exec`).
#[derive(Clone, Copy)]
struct Scope {
    attempt: u32,
    answer: Option<(StatusCode, Timing)>,
}

thread_local! {
    /// The scope of the call being polled on this thread.
    static SCOPE: Cell<Option<Scope>> = const { Cell::new(None) };
}

/// Runs `future` (a generated method's) as attempt `attempt` of a call:
/// while it is polled, its scope is this thread's, so `exec` reads the
/// attempt and records the answer's status and timing there. Resolves to
/// its output and those (`None` when no answer came).
pub(crate) fn scope<F: Future>(attempt: u32, future: F) -> Scoped<F> {
    Scoped {
        future,
        scope: Some(Scope {
            attempt,
            answer: None,
        }),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`scope`]: a struct, not an `async fn`, which would
    /// hold `future` twice (its argument, then pinned), and a call's future
    /// is boxed and moved whole (a collect's was 3.4 KB with an `async fn`).
    pub(crate) struct Scoped<F> {
        #[pin]
        future: F,
        scope: Option<Scope>,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = (F::Output, Option<(StatusCode, Timing)>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outer = SCOPE.replace(this.scope.take());
        let polled = this.future.poll(cx);
        *this.scope = SCOPE.replace(outer);
        let output = ready!(polled);
        Poll::Ready((output, this.scope.take().and_then(|s| s.answer)))
    }
}

/// The attempt of the call in scope (1 outside one: a raw call).
fn scope_attempt() -> u32 {
    SCOPE.get().map_or(1, |s| s.attempt)
}

/// Records the status and timing of the answer to the call in scope.
fn scope_answered(status: StatusCode, timing: Timing) {
    if let Some(mut scope) = SCOPE.get() {
        scope.answer = Some((status, timing));
        SCOPE.set(Some(scope));
    }
}

/// When one request went out and when its answer came back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Handed to the HTTP client, after the bound on requests in flight.
    pub(crate) sent: Instant,
    /// Its status line and headers arrived (the body may still follow).
    pub(crate) answered: Instant,
    /// It was answered on a connection that had answered a request of this
    /// client before: its round trip holds no connect or TLS handshake.
    pub(crate) warm: bool,
}

impl Timing {
    /// From handing the request over to its headers arriving.
    pub(crate) fn round_trip(&self) -> Duration {
        self.answered.saturating_duration_since(self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_lends_its_attempt_and_keeps_the_status_set_within_it() {
        assert_eq!(scope_attempt(), 1, "no scope: a raw call");
        let now = Instant::now();
        let timing = Timing {
            sent: now,
            answered: now,
            warm: true,
        };
        let (attempt, answer) = scope(7, async {
            tokio::task::yield_now().await;
            scope_answered(StatusCode::CREATED, timing);
            scope_attempt()
        })
        .await;
        assert_eq!(attempt, 7);
        assert_eq!(answer.map(|(status, _)| status), Some(StatusCode::CREATED));
        assert_eq!(scope_attempt(), 1, "the scope is gone after the call");
        let ((), answer) = scope(2, async {}).await;
        assert!(answer.is_none(), "no answer, no status");
    }

    #[test]
    fn a_collects_url_is_made_from_its_prefix_as_from_the_base() {
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "https://h.example/api",
            "https://h.example/api/",
        ] {
            let parsed = reqwest::Url::parse(base).unwrap();
            let urls = CollectUrls::new(parsed.clone());
            // Every flow's collect has its prefix (else each would take the
            // slow way, unseen).
            for flow in crate::operations::flows() {
                let collect = flow.collect();
                assert!(
                    urls.prefixes.iter().any(|(o, _)| std::ptr::eq(*o, collect)),
                    "{}",
                    collect.id()
                );
            }
            for (operation, _) in &urls.prefixes {
                for id in ["s-1", "a b", "a/b", "50%", "å", "?x#y", ""] {
                    let url = urls.url(operation, id);
                    assert_eq!(url, with_segments(parsed.clone(), operation.path(), id));
                    let expected = format!(
                        "{}{}",
                        base.trim_end_matches('/'),
                        operation.path().replace("{id}", "")
                    );
                    assert!(url.as_str().starts_with(&expected), "{url} for {base}");
                    let last = url.path_segments().unwrap().next_back().unwrap();
                    assert_eq!(
                        percent_encoding::percent_decode_str(last)
                            .decode_utf8()
                            .unwrap(),
                        id,
                        "the id is one segment of {url}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_span_names_the_id_of_a_path_that_has_one() {
        let url = |p: &str| reqwest::Url::parse(&format!("http://127.0.0.1:9{p}")).unwrap();
        assert_eq!(
            session_id("bankid_se_auth_collect", &url("/v3/bankid-se/auth/s%201")),
            "s 1"
        );
        assert_eq!(session_id("document_get", &url("/document/d-1")), "d-1");
        assert_eq!(
            session_id("bankid_se_auth_start", &url("/v3/bankid-se/auth")),
            ""
        );
    }

    /// A server on 127.0.0.1 answering `{}` to every request, keeping each
    /// connection open unless the request's path is `/close`.
    async fn keep_alive_server() -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 1024];
                    loop {
                        let Ok(n @ 1..) = socket.read(&mut chunk).await else {
                            return;
                        };
                        buffer.extend_from_slice(&chunk[..n]);
                        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                            continue;
                        };
                        let close = buffer.starts_with(b"GET /close ");
                        buffer.drain(..end + 4);
                        let connection = if close { "close" } else { "keep-alive" };
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: {connection}\r\n\r\n{{}}"
                        );
                        socket.write_all(answer.as_bytes()).await.unwrap();
                        if close {
                            return;
                        }
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn an_answer_is_warm_when_its_connection_answered_before() {
        let hooks = Hooks::new(8, 1024);
        let http = crate::transport::http_client_builder().build().unwrap();
        // Whether each GET of `url` was warm; its body read to the end (the
        // connection goes back to the pool).
        let warm = async |url: &str| {
            let request = http.get(url).build().unwrap();
            let (sent, answer) = scope(1, hooks.send(&http, request, &tracing::Span::none())).await;
            sent.unwrap().response.bytes().await.unwrap();
            answer.expect("the scope has the answer's timing").1.warm
        };
        let (one, other) = (keep_alive_server().await, keep_alive_server().await);
        assert!(!warm(&format!("{one}/a")).await, "a new connection");
        assert!(warm(&format!("{one}/b")).await, "the same connection again");
        assert!(!warm(&format!("{other}/a")).await, "another server");
        assert!(warm(&format!("{one}/c")).await, "the first one's still");
        // Its last answer closes the connection: the next opens another.
        assert!(warm(&format!("{one}/close")).await);
        assert_eq!(hooks.rtt_floor(), None, "three warm answers: no floor");
        assert!(!warm(&format!("{one}/d")).await, "after the close");
        assert_eq!(hooks.rtt_floor(), None, "cold answers do not count");
        assert!(warm(&format!("{one}/e")).await);
        assert!(hooks.rtt_floor().is_some(), "the fourth warm one gives it");
    }
}
