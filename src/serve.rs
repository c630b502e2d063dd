//! Serving an axum app with the limits a server others can reach needs:
//! what the simulator and `identisure demo --web` run on.
//!
//! [`axum::serve()`] sets no timer, so hyper applies no header-read timeout:
//! a client that opens connections and sends headers one byte a minute (or
//! nothing) holds them forever. Here every connection must send a complete
//! request head within [`HEADER_READ_TIMEOUT`] (the same limit closes a
//! kept-alive connection that stays idle that long), a request's body must
//! have arrived within [`BODY_READ_TIMEOUT`] of its head, and one address
//! (an IPv6 /64) other than this machine's holds at most
//! [`MAX_CONNECTIONS_PER_ADDRESS`] connections at once (more are closed on
//! accept; [`serve_with`] sets other [`Limits`]). Each request carries the peer's
//! address as [`ConnectInfo`]`<SocketAddr>` (which the web login bounds
//! starts per client with). Responses are not limited: an event stream may
//! last as long as its login.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower_service::Service as _;

/// How long a connection may take to send a request's head, and may stay
/// idle between requests (hyper's own default, which `axum::serve` leaves
/// unset).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a request's body may take to arrive after its head.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How many connections one address (IPv4, or IPv6 by /64) may hold open
/// by default (see [`Limits`]).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;

/// The limits of [`serve_with`] that depend on where the server stands.
///
/// ```
/// let limits = identisure::serve::Limits::default();
/// assert_eq!(limits.max_connections_per_address, identisure::serve::MAX_CONNECTIONS_PER_ADDRESS);
/// assert!(!limits.limit_loopback);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections one address (IPv4, or IPv6 by /64) may hold open; more
    /// are closed on accept. Behind a reverse proxy on another machine
    /// every visitor has the proxy's address: raise it there.
    pub max_connections_per_address: usize,
    /// Whether this machine's own addresses (a reverse proxy on the same
    /// host, tests, the simulator's clients) count too (default: no).
    pub limit_loopback: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections_per_address: MAX_CONNECTIONS_PER_ADDRESS,
            limit_loopback: false,
        }
    }
}

/// How long a shutdown waits for open connections (event streams never end
/// on their own) before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` (HTTP/1.1) until `shutdown` resolves, then
/// lets open requests finish for at most [`SHUTDOWN_GRACE`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(identisure::serve::serve(listener, app, async move {
///     let _ = stopped.await;
/// }));
/// let _ = stop.send(());
/// server.await.unwrap()?;
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, Limits::default()).await
}

/// [`serve`] with other [`Limits`].
///
/// ```no_run
/// # async fn run(listener: tokio::net::TcpListener, app: axum::Router) -> std::io::Result<()> {
/// use identisure::serve::{Limits, serve_with};
/// // Behind a load balancer at 10.0.0.5: its connections are everyone's.
/// let limits = Limits { max_connections_per_address: 10_000, ..Limits::default() };
/// serve_with(listener, app, std::future::pending(), limits).await
/// # }
/// ```
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send,
    limits: Limits,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let open = Arc::new(Mutex::new(HashMap::<IpAddr, usize>::new()));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let counted = limits.limit_loopback || !peer.ip().to_canonical().is_loopback();
        let slot = if counted {
            Slot::take(&open, peer.ip(), limits.max_connections_per_address)
        } else {
            Some(None)
        };
        let Some(slot) = slot else {
            // Closed at once: one address cannot hold the server.
            drop(stream);
            continue;
        };
        let router = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(|body| Deadline {
                body,
                deadline: Box::pin(tokio::time::sleep(BODY_READ_TIMEOUT)),
            });
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {})) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// The address a connection counts against: an IPv6 /64 (one subscriber's
/// network), or the IPv4 address.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// An open connection, counted against its address; uncounted on drop.
struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    key: IpAddr,
}

impl Slot {
    /// `None`: the address holds `max` already; `Some(slot)` counted.
    fn take(
        open: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        max: usize,
    ) -> Option<Option<Slot>> {
        let key = address_key(ip);
        let mut counts = open.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(key).or_insert(0);
        if *count >= max {
            tracing::warn!(
                limit = max,
                "one address holds the most connections it may; closing a new one"
            );
            return None;
        }
        *count += 1;
        Some(Some(Slot {
            open: open.clone(),
            key,
        }))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// A request body that fails once [`BODY_READ_TIMEOUT`] has passed without
/// it having arrived whole (the handler then answers, and the connection
/// is freed).
struct Deadline {
    body: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Deadline {
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.body.is_end_stream() {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("the request body did not arrive in time".into())));
        }
        Pin::new(&mut self.body)
            .poll_frame(cx)
            .map(|frame| frame.map(|f| f.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
