//! A ready-made web login for the `identisure` client: an [`axum::Router`] serving a
//! plain, accessible login page for all six providers.
//!
//! - **Swedish BankID**: the animated QR code, rendered on the server and
//!   pushed every second with Server-Sent Events (`qrStartSecret` stays on the
//!   server; the browser only ever sees SVG images), BankID's recommended
//!   message for the current hint code in Swedish or English
//!   ([`identisure::messages`]), and an "Open BankID on this device" autostart link
//!   ([`identisure::launch`]).
//! - **Freja eID**: the QR code of `qrData` and an app link.
//! - **Redirect providers** (Norwegian BankID, Vipps, MitID, FTN): a button to
//!   the provider's page; the provider sends the user back to this router,
//!   through a return URL holding a one-time secret. A completed login shows
//!   its person (result page, event stream, [`Options::on_login`]) only
//!   after the browser that started it came back through that URL, so a
//!   provider link relayed to someone else never logs the relayer in as them.
//!   The return must be a top-level `GET` in the same browser (the cookie is
//!   `SameSite=Lax`); a user who approves on another device and never comes
//!   back sees "approved, but you never came back" after [`Options::timeout`].
//! - The login ends on a page with the person's name, or with a clear
//!   message for every failure (cancelled, timed out, refused, errors).
//!
//! No front-end framework and no external assets: inline CSS, a few lines of
//! inline JavaScript (the page also works without it, by reloading itself),
//! inline SVG QR codes. Readable on a phone.
//!
//! Routes (below [`Options::mount_path`]): `GET /` (choose a provider),
//! `POST /start`, `GET /login/{id}` (the waiting page), `GET /login/{id}/events`
//! (the event stream), `POST /login/{id}/cancel`, `GET /login/{id}/return/{key}`
//! (where redirect providers send the user back) and `GET /login/{id}/result`.
//!
//! Without [`Options::public_url`] the router serves only this machine
//! (`localhost` and loopback addresses); set it to serve anyone else.
//!
//! SECURITY.md (in the repository) holds the threat model: what this router
//! defends (relayed logins, login CSRF, lock-out by flooding, leaked
//! secrets), what a deployment must add in front (TLS,
//! [`Options::public_url`], a rate limit, [`Options::client_key`] behind a
//! proxy) and what is inherent to QR flows (a QR code can be relayed).
//!
//! Logins live in memory (bounded by [`Options::max_logins`] and
//! [`Options::max_logins_per_client`], forgotten after
//! [`Options::retention`]). Your own session (a cookie, your own account)
//! is yours to start: [`Options::on_login`] hands you the person in the
//! request of the browser that logged in, where you can set a cookie or
//! redirect into your app.
//!
//! ```no_run
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use identisure_web::Options;
//!
//! let client = identisure::Client::from_env()?;
//! let app = identisure_web::router(client, Options::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! // Timeouts and a connection bound per address; the connecting address
//! // bounds logins in progress per client.
//! identisure::serve::serve(listener, app, std::future::pending()).await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::response::Response;

use identisure::Client;
use identisure::messages::Lang;

mod events;
mod flow;
mod pages;
mod routes;
#[cfg(feature = "redis")]
mod shared;
mod store;
mod text;

pub mod login;

pub use crate::login::Person;
#[cfg(feature = "redis")]
pub use crate::shared::{SharedLogins, SharedLoginsUnavailable};

pub use identisure::Provider;

/// The providers in the order the page lists them.
///
/// ```
/// use identisure_web::{PAGE_ORDER, Provider};
/// assert_eq!(PAGE_ORDER[0], Provider::BankIdSe);
/// assert_eq!(PAGE_ORDER.len(), 6);
/// ```
pub const PAGE_ORDER: [Provider; 6] = [
    Provider::BankIdSe,
    Provider::Freja,
    Provider::BankIdNo,
    Provider::Vipps,
    Provider::MitId,
    Provider::Ftn,
];

/// A choice of the simulator's test identities on the start page: the label
/// shown and the `refId` sent (`sim:<scenario>`). Only for demos against the
/// simulator; leave [`Options::test_identities`] empty in production.
///
/// ```
/// let choice = identisure_web::TestChoice {
///     label: "Completes (Astrid Lindqvist)".into(),
///     ref_id: "sim:complete".into(),
/// };
/// # let _ = choice;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestChoice {
    /// What the user sees.
    pub label: String,
    /// The `refId` of the start request.
    pub ref_id: String,
}

/// What [`Options::on_login`] receives: the person, and the request of the
/// browser that completed the login (its cookies, headers, address).
///
/// `Debug` shows the person (without the personal number) and the request
/// line, never headers (they hold the browser's cookies).
#[non_exhaustive]
pub struct LoggedIn {
    /// Who logged in.
    pub person: Person,
    /// The verified browser's request for the result page.
    pub request: Parts,
}

impl fmt::Debug for LoggedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggedIn")
            .field("person", &self.person)
            .field("method", &self.request.method)
            .field("uri", &self.request.uri)
            .finish_non_exhaustive()
    }
}

/// The future an [`OnLogin`] hook returns.
pub type LoginFuture = Pin<Box<dyn Future<Output = Option<Response>> + Send>>;

/// Starts your own session for a completed login (see [`Options::on_login`]).
pub type OnLogin = Arc<dyn Fn(LoggedIn) -> LoginFuture + Send + Sync>;

/// Names the client of a start request (see [`Options::client_key`]).
pub type ClientKey = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;

/// The IP address the request came from, when the app is served with
/// [`axum::Router::into_make_service_with_connect_info`] (without it, `None`:
/// starts are then bounded only by [`Options::max_logins`]). An IPv6 address
/// counts by its /64 prefix, which one host usually holds whole.
///
/// ```
/// use std::net::SocketAddr;
/// use axum::extract::ConnectInfo;
/// use identisure_web::peer_address;
///
/// let parts = |address: SocketAddr| {
///     let mut request = axum::http::Request::new(());
///     request.extensions_mut().insert(ConnectInfo(address));
///     request.into_parts().0
/// };
/// let v4: SocketAddr = "192.0.2.7:51234".parse().unwrap();
/// assert_eq!(peer_address(&parts(v4)).as_deref(), Some("192.0.2.7"));
/// let v6: SocketAddr = "[2001:db8:1:2:aa:bb:cc:dd]:443".parse().unwrap();
/// assert_eq!(peer_address(&parts(v6)).as_deref(), Some("2001:db8:1:2::/64"));
/// ```
pub fn peer_address(parts: &Parts) -> Option<String> {
    let ConnectInfo(address) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
    Some(group(address.ip()))
}

/// The client of a request behind reverse proxies you run (a TLS proxy, a
/// load balancer): when the connecting address is one of `proxies`, the
/// client is the last address of `X-Forwarded-For` that is not one of them
/// (what the first proxy of yours saw; earlier entries are the client's own
/// words and are ignored); otherwise the connecting address. Addresses are
/// grouped like [`peer_address`] (IPv6 by /64).
///
/// ```
/// use std::net::SocketAddr;
/// use axum::extract::ConnectInfo;
/// use identisure_web::behind_proxies;
///
/// let key = behind_proxies(["10.0.0.5".parse().unwrap()]);
/// let mut request = axum::http::Request::new(());
/// request.extensions_mut().insert(ConnectInfo("10.0.0.5:443".parse::<SocketAddr>().unwrap()));
/// request.headers_mut().insert("x-forwarded-for", "198.51.100.9, 203.0.113.4".parse().unwrap());
/// let parts = request.into_parts().0;
/// assert_eq!(key(&parts).as_deref(), Some("203.0.113.4"));
/// ```
pub fn behind_proxies(proxies: impl IntoIterator<Item = IpAddr>) -> ClientKey {
    let proxies: Vec<IpAddr> = proxies.into_iter().map(|ip| ip.to_canonical()).collect();
    Arc::new(move |parts: &Parts| {
        let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
        if !proxies.contains(&peer.ip().to_canonical()) {
            return Some(group(peer.ip()));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .map(|ip| ip.to_canonical())
            .collect::<Vec<_>>();
        let client = forwarded
            .iter()
            .rev()
            .find(|ip| !proxies.contains(ip))
            .copied()
            .unwrap_or(peer.ip());
        Some(group(client))
    })
}

/// An address as a client: IPv4 as it is, IPv6 by its /64.
fn group(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
    }
}

/// How the login router behaves.
///
/// ```
/// use std::time::Duration;
/// use identisure::messages::Lang;
/// use identisure_web::{Options, Provider};
///
/// let options = Options {
///     providers: vec![Provider::BankIdSe, Provider::Freja],
///     default_lang: Lang::En,
///     public_url: Some("https://login.example.com".into()),
///     timeout: Duration::from_secs(180),
///     ..Options::default()
/// };
/// assert_eq!(options.mount_path, "");
/// ```
#[derive(Clone)]
pub struct Options {
    /// The providers offered, in this order (default: all six).
    pub providers: Vec<Provider>,
    /// The language of the pages until the user picks one (default Swedish).
    pub default_lang: Lang,
    /// The BankID `intent` text shown in the app.
    pub intent: String,
    /// The address the browser reaches this server at (scheme and host, no
    /// trailing slash, e.g. `https://login.example.com`), for the return URL
    /// of redirect providers and the mobile BankID link. Set it whenever
    /// the page is reachable from other machines.
    ///
    /// `None` (the default): the router serves this machine only. Requests
    /// naming `localhost` or a loopback address are served, with URLs built
    /// from that name; any other `Host` is answered 421 Misdirected Request
    /// and the refusal logged (once), because a `Host` header is chosen by
    /// the client: an attacker naming their own host would otherwise have
    /// the provider send the victim, return key included, to them.
    pub public_url: Option<String>,
    /// Where this router is nested in your app (`""` at the root, or e.g.
    /// `"/login"` after `Router::nest("/login", …)`).
    pub mount_path: String,
    /// A `callbackUrl` sent with every start (your endpoint verifying
    /// `X-Signature-SHA256`, see [`identisure::callback::VerifiedCallback`]).
    pub callback_url: Option<String>,
    /// How long a login may stay pending before it is cancelled (default 5 minutes).
    pub timeout: Duration,
    /// How long a finished login's result page stays readable (default 15 minutes).
    pub retention: Duration,
    /// At most this many logins in progress; more starts answer 503
    /// (default 10 000). Finished logins do not count: they stay readable
    /// for [`Options::retention`] while there is room, and beyond
    /// `max_logins` finished ones the oldest are forgotten first.
    pub max_logins: usize,
    /// At most this many logins per client, as [`Options::client_key`]
    /// names it, counting those in progress and those started within the
    /// last minute; more starts answer 429 (default 20). Each start opens a
    /// session upstream: this keeps one client from filling
    /// [`Options::max_logins`] and locking everyone else out, and from
    /// opening sessions without end by starting and cancelling. Many
    /// people can share one address (mobile carriers' NAT, offices): raise
    /// it for a large audience rather than lower it.
    pub max_logins_per_client: usize,
    /// Names the client of a start request, for
    /// [`Options::max_logins_per_client`]; `None` from it: not bounded.
    /// Default [`peer_address`]: the connecting IP address. Behind a
    /// reverse proxy that is the proxy's, shared by everyone: use
    /// [`behind_proxies`] with your proxies' addresses (never a header a
    /// client can set itself, or it escapes the bound). The router logs a
    /// warning once when starts carry `X-Forwarded-For` but are counted by
    /// the connecting address.
    pub client_key: Option<ClientKey>,
    /// Simulator test identities offered on the start page (default none).
    pub test_identities: Vec<TestChoice>,
    /// A value to pre-fill the personal number field with (demos only).
    pub prefill_personal_number: Option<String>,
    /// Use the Freja eID test app's link scheme (staging and simulator).
    pub freja_test_app: bool,
    /// Your own session starts here: called once per completed login, in
    /// the request of the browser that completed it (the one holding the
    /// login's cookie; for redirect providers, the one that came back from
    /// the provider's page), when it asks for the result page. Never for a
    /// cancelled, failed or timed-out login. Return a response (e.g. set
    /// your session cookie and redirect into your app) to answer with it,
    /// or `None` to show the result page. Relies on
    /// [`Options::bind_to_browser`]: without it, anyone holding the login's
    /// URL could be the one it runs for.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use axum::response::{IntoResponse, Redirect};
    /// use identisure_web::{LoggedIn, Options};
    ///
    /// let options = Options {
    ///     on_login: Some(Arc::new(|login: LoggedIn| {
    ///         Box::pin(async move {
    ///             // Create a session in your store for `login.person`, then:
    ///             let token = "a random token you stored";
    ///             let cookie = format!("app_session={token}; Path=/; HttpOnly; Secure; SameSite=Lax");
    ///             Some(([("set-cookie", cookie)], Redirect::to("/")).into_response())
    ///         })
    ///     })),
    ///     ..Options::default()
    /// };
    /// # let _ = options;
    /// ```
    pub on_login: Option<OnLogin>,
    /// Ties each login to the browser that started it with an `HttpOnly`,
    /// `SameSite=Lax` cookie scoped to the login's path (default true): its
    /// pages, events and result answer 403 to anyone else holding the URL.
    pub bind_to_browser: bool,
    /// Logins shared across instances through Redis (feature `redis`):
    /// any instance serves any request of any login, and a login outlives
    /// a restart of the instance that started it. `None` (the default):
    /// logins live in this process, so a deployment of several instances
    /// must send each browser to one of them. The bounds
    /// ([`Options::max_logins`], [`Options::max_logins_per_client`]) then
    /// count the starts of all instances, and a login counts against
    /// `max_logins` for its whole [`Options::timeout`] even if it ended
    /// sooner. See [`SharedLogins`] for what Redis holds.
    #[cfg(feature = "redis")]
    pub shared: Option<SharedLogins>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            providers: PAGE_ORDER.to_vec(),
            default_lang: Lang::Sv,
            intent: "Log in".to_string(),
            public_url: None,
            mount_path: String::new(),
            callback_url: None,
            timeout: Duration::from_secs(300),
            retention: Duration::from_secs(900),
            max_logins: 10_000,
            max_logins_per_client: 20,
            client_key: Some(Arc::new(peer_address)),
            test_identities: Vec::new(),
            prefill_personal_number: None,
            freja_test_app: false,
            on_login: None,
            bind_to_browser: true,
            #[cfg(feature = "redis")]
            shared: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("providers", &self.providers)
            .field("default_lang", &self.default_lang)
            .field("public_url", &self.public_url)
            .field("mount_path", &self.mount_path)
            .field("callback_url", &self.callback_url)
            .field("timeout", &self.timeout)
            .field("test_identities", &self.test_identities.len())
            .finish_non_exhaustive()
    }
}

/// The login router: mount it at the root or nest it (then set
/// [`Options::mount_path`]). Needs a Tokio runtime (each login is followed
/// by a background task that collects its session once a second).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let app: axum::Router = identisure_web::router(client, Default::default());
/// # let _ = app;
/// # }
/// ```
pub fn router(client: Client, options: Options) -> axum::Router {
    routes::router(Arc::new(store::Shared::new(client, options)))
}
