//! The client: configuration and credentials. Every call of the hand-written
//! layer is sent by a generated operation method of its generated client,
//! with the hooks of `hooks.rs` (`transport.rs`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::error::{Error, Result};

/// Where the API lives.
///
/// ```
/// use identisure::Environment;
///
/// assert_eq!(Environment::Production.base_url(), "https://api.idkollen.se");
/// assert_eq!(Environment::Staging.base_url(), "https://stgapi.idkollen.se");
/// assert_eq!(Environment::Custom("http://127.0.0.1:8080".into()).base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Environment {
    /// `https://api.idkollen.se`
    #[default]
    Production,
    /// `https://stgapi.idkollen.se`
    Staging,
    /// Any other base URL (a simulator, a proxy, a test server). Without `/v3`.
    Custom(String),
}

impl Environment {
    /// The base URL of the environment (paths start with `/v3` below it).
    ///
    /// ```
    /// assert!(identisure::Environment::Staging.base_url().starts_with("https://"));
    /// ```
    pub fn base_url(&self) -> &str {
        match self {
            Self::Production => "https://api.idkollen.se",
            Self::Staging => "https://stgapi.idkollen.se",
            Self::Custom(url) => url,
        }
    }
}

/// The account's secret key: the Basic-auth password and the callback HMAC
/// key. `Debug` and `Display` redact it.
///
/// ```
/// let key = identisure::SecretKey::new("s3cret");
/// assert_eq!(key.expose(), "s3cret");
/// assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
/// assert_eq!(key.to_string(), "<redacted secret key>");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret key.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted secret key>")
    }
}

impl From<String> for SecretKey {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretKey {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use identisure::{Client, Environment};
///
/// let client = Client::builder()
///     .credentials("my-account", "my-secret")
///     .environment(Environment::Staging)
///     .connect_timeout(Duration::from_secs(5))
///     .request_timeout(Duration::from_secs(20))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "https://stgapi.idkollen.se");
/// assert!(!format!("{client:?}").contains("my-secret"));
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    account_id: Option<String>,
    secret_key: Option<SecretKey>,
    environment: Environment,
    connect_timeout: Duration,
    request_timeout: Duration,
    collect_limit: CollectLimit,
    max_in_flight: usize,
    start_connect_retries: u32,
    notifier: Option<crate::Notifier>,
    max_response_bytes: usize,
    allow_plain_http: bool,
}

/// Default of [`ClientBuilder::max_in_flight`].
///
/// ```
/// assert_eq!(identisure::DEFAULT_MAX_IN_FLIGHT, 64);
/// ```
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

/// The default cap on the size of one response body (1 MiB): the largest
/// documented answer (a completed BankID SE session with its OCSP response)
/// is a few kilobytes. See [`ClientBuilder::max_response_bytes`].
///
/// ```
/// assert_eq!(identisure::DEFAULT_MAX_RESPONSE_BYTES, 1024 * 1024);
/// ```
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Which collects the one-request-per-second limit keeps apart.
///
/// The API documents the limit without saying whether it is per session or
/// per account; per session is the default, `PerClient` is the safe choice
/// when the account-wide reading applies (all sessions of this client then
/// share one collect per second).
///
/// ```
/// use identisure::{Client, CollectLimit};
/// let client = Client::builder().credentials("a", "s").collect_limit(CollectLimit::PerClient).build().unwrap();
/// # let _ = client;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CollectLimit {
    /// Collects of one session at least a second apart (default).
    #[default]
    PerSession,
    /// Collects of all sessions of this client at least a second apart.
    PerClient,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            account_id: None,
            secret_key: None,
            environment: Environment::Production,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            collect_limit: CollectLimit::PerSession,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            start_connect_retries: 2,
            notifier: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_plain_http: false,
        }
    }
}

impl ClientBuilder {
    /// The account (customer) id and its secret key, sent as HTTP Basic auth
    /// on every request.
    ///
    /// ```
    /// let b = identisure::Client::builder().credentials("acct", "secret");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn credentials(
        mut self,
        account_id: impl Into<String>,
        secret_key: impl Into<SecretKey>,
    ) -> Self {
        self.account_id = Some(account_id.into());
        self.secret_key = Some(secret_key.into());
        self
    }

    /// The environment (default: [`Environment::Production`]).
    ///
    /// ```
    /// let c = identisure::Client::builder()
    ///     .credentials("a", "s")
    ///     .environment(identisure::Environment::Staging)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.base_url(), "https://stgapi.idkollen.se");
    /// ```
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Shortcut for `.environment(Environment::Custom(url))`.
    ///
    /// ```
    /// let c = identisure::Client::builder().credentials("a", "s").base_url("http://127.0.0.1:9/").build().unwrap();
    /// assert_eq!(c.base_url(), "http://127.0.0.1:9");
    /// ```
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.environment(Environment::Custom(url.into()))
    }

    /// How long opening a connection may take (default 10 s).
    ///
    /// ```
    /// let b = identisure::Client::builder().connect_timeout(std::time::Duration::from_secs(3));
    /// # let _ = b;
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take in total, connect included (default 30 s).
    ///
    /// ```
    /// let b = identisure::Client::builder().request_timeout(std::time::Duration::from_secs(15));
    /// # let _ = b;
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Which collects the one-per-second limit spaces apart (default
    /// [`CollectLimit::PerSession`]).
    ///
    /// ```
    /// let b = identisure::Client::builder().collect_limit(identisure::CollectLimit::PerClient);
    /// # let _ = b;
    /// ```
    pub fn collect_limit(mut self, limit: CollectLimit) -> Self {
        self.collect_limit = limit;
        self
    }

    /// At most this many requests of this client (and its clones, and of
    /// [`Client::raw`]) are in flight at once (default [`DEFAULT_MAX_IN_FLIGHT`], 64); further
    /// requests queue in order until one ends, so a burst of starts or
    /// collects does not open thousands of sockets. The queueing time counts
    /// toward no timeout. 0 is refused at [`ClientBuilder::build`].
    ///
    /// ```
    /// let b = identisure::Client::builder().credentials("a", "s").max_in_flight(256);
    /// assert!(b.build().is_ok());
    /// let err = identisure::Client::builder().credentials("a", "s").max_in_flight(0).build().unwrap_err();
    /// assert!(matches!(err, identisure::Error::Config { ref setting, .. } if setting == "max_in_flight"));
    /// ```
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max;
        self
    }

    /// How many times a start is sent again when its connection could not be
    /// established (default 2; the request provably never left: the
    /// connection was refused, the host name did not resolve or the TLS
    /// handshake failed, [`crate::TransportKind::Connect`], `Dns`, `Tls`). Every other failure of a start (a reset, a
    /// timeout, any answer) is returned and never retried, since the
    /// session may have been created.
    ///
    /// ```
    /// let b = identisure::Client::builder().start_connect_retries(0);
    /// # let _ = b;
    /// ```
    pub fn start_connect_retries(mut self, retries: u32) -> Self {
        self.start_connect_retries = retries;
        self
    }

    /// Ends `wait()` and `updates()` of this client's sessions as soon as a
    /// verified callback arrives through `notifier` (see [`crate::notifier`]);
    /// polling then goes on as a fallback at the notifier's slower cadence.
    ///
    /// ```
    /// let notifier = identisure::Notifier::new("s".into());
    /// let client = identisure::Client::builder().credentials("a", "s").notifier(notifier).build().unwrap();
    /// assert_eq!(client.notifier().unwrap().fallback_poll_interval().as_secs(), 5);
    /// ```
    pub fn notifier(mut self, notifier: crate::Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Allows a plain `http://` base URL to a host other than this machine.
    /// Off by default: the Basic credentials (the secret key) would cross
    /// the network readable by anyone on the path. `http://` to a loopback
    /// address or `localhost` (a simulator, a local proxy) is always allowed.
    ///
    /// ```
    /// use identisure::{Client, Error};
    /// let refused = Client::builder().credentials("a", "s").base_url("http://api.example").build();
    /// assert!(matches!(refused, Err(Error::Config { ref setting, .. }) if setting == "base_url"));
    /// let allowed = Client::builder().credentials("a", "s").base_url("http://api.example")
    ///     .allow_plain_http(true).build();
    /// assert!(allowed.is_ok());
    /// assert!(Client::builder().credentials("a", "s").base_url("http://127.0.0.1:7878").build().is_ok());
    /// ```
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// The most bytes of one response body that are read (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`], 1 MiB; at least 1 KiB is kept).
    ///
    /// A success answer announcing or sending more fails with
    /// [`Error::ResponseTooLarge`] as soon as the cap is passed, without
    /// reading the rest; the connection is dropped. Of an error answer
    /// (non-2xx) only the first bytes up to the cap are read and the status
    /// maps as usual. A body that trickles in slowly is bounded by
    /// [`ClientBuilder::request_timeout`], which covers reading the body.
    ///
    /// ```
    /// let b = identisure::Client::builder().max_response_bytes(64 * 1024);
    /// # let _ = b;
    /// ```
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes.max(1024);
        self
    }

    /// Builds the client. Fails with [`Error::Config`] naming the setting
    /// and what to do when the credentials are missing, the base URL is not
    /// an absolute http(s) URL (or carries credentials, or is plain http to
    /// another host), or `max_in_flight` is 0.
    ///
    /// ```
    /// use identisure::{Client, Error};
    ///
    /// let err = Client::builder().build().unwrap_err();
    /// assert!(matches!(err, Error::Config { ref setting, .. } if setting == "account_id"));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "account_id is not set: pass your account id and secret key to \
    ///      Client::builder().credentials(..), or use Client::from_env()"
    /// );
    /// let err = Client::builder().credentials("a", "s").base_url("not a url").build().unwrap_err();
    /// assert!(matches!(err, Error::Config { ref setting, .. } if setting == "base_url"));
    /// ```
    pub fn build(self) -> Result<Client> {
        self.build_for(Settings::BUILDER)
    }

    /// [`ClientBuilder::build`], naming the settings as `names` does.
    fn build_for(self, names: Settings) -> Result<Client> {
        let account_id = match self.account_id {
            None => return Err(Error::config(names.account_id, names.account_id_unset)),
            Some(a) if a.is_empty() => {
                return Err(Error::config(names.account_id, names.account_id_empty));
            }
            Some(a) => a,
        };
        if account_id.contains(':') {
            return Err(Error::config(
                names.account_id,
                "must not contain `:` (it is the user name of HTTP Basic auth): give the \
                 account id alone, not `id:secret`",
            ));
        }
        if self.max_in_flight == 0 {
            return Err(Error::config(
                "max_in_flight",
                "must be at least 1 (it bounds the requests in flight; the default is 64)",
            ));
        }
        let secret_key = match self.secret_key {
            None => return Err(Error::config(names.secret_key, names.secret_key_unset)),
            Some(s) if s.0.is_empty() => {
                return Err(Error::config(names.secret_key, names.secret_key_empty));
            }
            Some(s) => s,
        };
        let base = self
            .environment
            .base_url()
            .trim_end_matches('/')
            .to_string();
        // The base URL may be printed, but not before it is known to hold
        // no credentials: a text that does not parse is never repeated.
        let base_url = Url::parse(&base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| Error::config(names.base_url, names.base_url_invalid))?;
        if !base_url.username().is_empty() || base_url.password().is_some() {
            // Credentials belong in `credentials(..)`, where they are redacted.
            return Err(Error::config(names.base_url, names.base_url_credentials));
        }
        if base_url.scheme() == "http" && !self.allow_plain_http && !is_loopback(&base_url) {
            return Err(Error::config(
                names.base_url,
                format!(
                    "must be https:// for a host other than this machine (plain http:// would \
                     carry the secret key to {} in clear text): {}",
                    base_url.host_str().unwrap_or_default(),
                    names.plain_http_advice
                ),
            ));
        }

        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{account_id}:{}", secret_key.expose()));
        let mut auth = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
            Error::config(
                names.secret_key,
                "must be printable ASCII: check for a stray character where it was read",
            )
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);

        let http = crate::transport::http_client_builder()
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            // A start must never be sent twice; the polling engine retries
            // collects itself, within the rate limit.
            .retry(reqwest::retry::never())
            // Redirects are not followed: the Basic credentials must never
            // reach another host, and a redirected start could be sent twice.
            // A 3xx answer becomes `Error::Api` with its status.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::from)?;
        // One bound and cap for both generated clients: the one `raw()`
        // gives, whose error bodies reach it as sent, and the one of this
        // layer's calls, which reads them as documented.
        let hooks = crate::raw::Hooks::new(self.max_in_flight, self.max_response_bytes);
        let sending = crate::raw::Client::with_hooks(
            &base,
            http.clone(),
            hooks.documented_errors().with_base(base_url.clone()),
        );
        let raw = crate::raw::Client::with_hooks(&base, http, hooks);
        Ok(Client {
            inner: Arc::new(Inner {
                sending,
                raw,
                base,
                account_id,
                collect_gate: (self.collect_limit == CollectLimit::PerClient)
                    .then(|| tokio::sync::Mutex::new(None)),
                start_connect_retries: self.start_connect_retries,
                notifier: self.notifier,
                epoch: tokio::time::Instant::now(),
            }),
        })
    }
}

/// The value of an environment variable: unset is `None`, a value that is
/// not UTF-8 an [`Error::Config`] naming the variable.
fn env_value(
    name: &str,
    value: std::result::Result<String, std::env::VarError>,
) -> Result<Option<String>> {
    match value {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(
            name,
            "is not valid UTF-8: set it to the value as plain text",
        )),
    }
}

/// How [`Error::Config`] names the settings and what to do: after the
/// builder's methods, or after the environment variables of
/// [`Client::from_env`].
#[derive(Clone, Copy)]
struct Settings {
    account_id: &'static str,
    account_id_unset: &'static str,
    account_id_empty: &'static str,
    secret_key: &'static str,
    secret_key_unset: &'static str,
    secret_key_empty: &'static str,
    base_url: &'static str,
    base_url_invalid: &'static str,
    base_url_credentials: &'static str,
    plain_http_advice: &'static str,
}

impl Settings {
    const BUILDER: Settings = Settings {
        account_id: "account_id",
        account_id_unset: "is not set: pass your account id and secret key to \
                           Client::builder().credentials(..), or use Client::from_env()",
        account_id_empty: "is empty: pass your account id to Client::builder().credentials(..)",
        secret_key: "secret_key",
        secret_key_unset: "is not set: pass your account id and secret key to \
                           Client::builder().credentials(..), or use Client::from_env()",
        secret_key_empty: "is empty: pass your secret key to Client::builder().credentials(..)",
        base_url: "base_url",
        base_url_invalid: "is not an absolute http(s) URL: give the API's root, e.g. \
                           https://api.idkollen.se (without `/v3`)",
        base_url_credentials: "must not carry a user name or password: give them to \
                               Client::builder().credentials(..) instead",
        plain_http_advice: "use https://, or allow it with `allow_plain_http(true)` on a \
                            network you trust",
    };

    const ENV: Settings = Settings {
        account_id: "IDENTISURE_ACCOUNT_ID",
        account_id_unset: "is not set: set it to your account id, or use \
                           Client::builder().credentials(..)",
        account_id_empty: "is empty: set it to your account id, or use \
                           Client::builder().credentials(..)",
        secret_key: "IDENTISURE_SECRET_KEY",
        secret_key_unset: "is not set: set it to your secret key, or use \
                           Client::builder().credentials(..)",
        secret_key_empty: "is empty: set it to your secret key, or use \
                           Client::builder().credentials(..)",
        base_url: "IDENTISURE_BASE_URL",
        base_url_invalid: "is not an absolute http(s) URL: set it to the API's root, e.g. \
                           https://api.idkollen.se (without `/v3`), or unset it and set \
                           IDENTISURE_ENV",
        base_url_credentials: "must not carry a user name or password: set \
                               IDENTISURE_ACCOUNT_ID and IDENTISURE_SECRET_KEY instead",
        plain_http_advice: "use https:// (on a network you trust, build the client with \
                            `Client::builder().allow_plain_http(true)`)",
    };
}

/// Whether a URL's host is this machine: `localhost` or a loopback address.
fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// The Identisure API client. Cheap to clone (one shared connection pool).
///
/// ```
/// let client = identisure::Client::builder()
///     .credentials("my-account", "my-secret")
///     .base_url("http://127.0.0.1:8080")
///     .build()
///     .unwrap();
/// let same_pool = client.clone();
/// assert_eq!(same_pool.base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// The generated client the layer's calls go through.
    sending: crate::raw::Client,
    /// The one `raw()` gives (same pool, bound and cap).
    raw: crate::raw::Client,
    base: String,
    account_id: String,
    collect_gate: Option<tokio::sync::Mutex<Option<tokio::time::Instant>>>,
    start_connect_retries: u32,
    notifier: Option<crate::Notifier>,
    /// When it was built: its sessions keep their times as offsets from it.
    epoch: tokio::time::Instant,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("account_id", &self.inner.account_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl Client {
    /// Starts configuring a client.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert_eq!(client.base_url(), "https://api.idkollen.se");
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a client from the environment: `IDENTISURE_ACCOUNT_ID`,
    /// `IDENTISURE_SECRET_KEY`, and either `IDENTISURE_BASE_URL` or
    /// `IDENTISURE_ENV` (`production` or `staging`, in any case; `prod` and
    /// `stage` are read as them, and an empty value as unset). With neither, requests
    /// go to production; with both, `IDENTISURE_BASE_URL` is used (it names
    /// the server itself: a proxy, a simulator). A missing or bad value is an
    /// [`Error::Config`] naming the variable.
    ///
    /// ```no_run
    /// let client = identisure::Client::from_env()?;
    /// # Ok::<(), identisure::Error>(())
    /// ```
    pub fn from_env() -> Result<Client> {
        Self::from_vars(|name| env_value(name, std::env::var(name)))
    }

    /// [`Client::from_env`] with a lookup function instead of the process
    /// environment (tests, configuration files).
    ///
    /// ```
    /// let client = identisure::Client::from_lookup(|name| match name {
    ///     "IDENTISURE_ACCOUNT_ID" => Some("acct".into()),
    ///     "IDENTISURE_SECRET_KEY" => Some("secret".into()),
    ///     "IDENTISURE_ENV" => Some("staging".into()),
    ///     _ => None,
    /// })
    /// .unwrap();
    /// assert_eq!(client.base_url(), "https://stgapi.idkollen.se");
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Client> {
        Self::from_vars(|name| Ok(lookup(name)))
    }

    fn from_vars(lookup: impl Fn(&str) -> Result<Option<String>>) -> Result<Client> {
        let account_id = lookup("IDENTISURE_ACCOUNT_ID")?;
        let secret_key = lookup("IDENTISURE_SECRET_KEY")?;
        let environment = match (lookup("IDENTISURE_BASE_URL")?, lookup("IDENTISURE_ENV")?) {
            (Some(url), _) if !url.is_empty() => Environment::Custom(url),
            (_, None) => Environment::Production,
            (_, Some(env)) => match env.to_ascii_lowercase().as_str() {
                "" | "production" | "prod" => Environment::Production,
                "staging" | "stage" => Environment::Staging,
                "simulator" | "sim" => {
                    return Err(Error::config(
                        "IDENTISURE_ENV",
                        "must be `production` or `staging` here (`simulator` is the identisure \
                         CLI's own choice: run `identisure simulate` and set IDENTISURE_BASE_URL \
                         to the URL it prints)",
                    ));
                }
                _ => {
                    return Err(Error::config(
                        "IDENTISURE_ENV",
                        "must be `production` or `staging` (or unset, for production), or set \
                         IDENTISURE_BASE_URL instead",
                    ));
                }
            },
        };
        ClientBuilder {
            account_id,
            secret_key: secret_key.map(SecretKey),
            environment,
            ..ClientBuilder::default()
        }
        .build_for(Settings::ENV)
    }

    /// The base URL requests go to (without a trailing `/`).
    ///
    /// ```
    /// let c = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert_eq!(c.base_url(), "https://api.idkollen.se");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The generated client, for anything this layer does not wrap. It shares
    /// the connection pool, timeouts and Basic auth of this client, and its
    /// requests go through the same hooks as this layer's: within the bound
    /// on requests in flight ([`ClientBuilder::max_in_flight`], counted
    /// together with this client's own), their answers capped
    /// ([`ClientBuilder::max_response_bytes`]: a larger success answer is a
    /// `ResponseBodyError` that converts into [`Error::ResponseTooLarge`]),
    /// each traced by a span `identisure.call`. Its errors convert into
    /// [`Error`] with `?`/`From`; an error answer whose body is not the
    /// API's JSON stays the generated client's `InvalidResponsePayload`, as
    /// the generated code reports it.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> Result<(), identisure::Error> {
    /// // One argument per parameter: the session id as the generated type.
    /// let id: identisure::raw::types::SessionId = "some-session-id".parse().unwrap();
    /// let answer = client.raw().bankid_se_auth_collect(&id).await?;
    /// println!("{}", answer.status());
    /// # Ok(()) }
    /// ```
    pub fn raw(&self) -> &crate::raw::Client {
        &self.inner.raw
    }

    /// The client-wide collect gate, with [`CollectLimit::PerClient`].
    pub(crate) fn collect_gate(&self) -> Option<&tokio::sync::Mutex<Option<tokio::time::Instant>>> {
        self.inner.collect_gate.as_ref()
    }

    /// The notifier configured with [`ClientBuilder::notifier`].
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.notifier().is_none());
    /// ```
    pub fn notifier(&self) -> Option<&crate::Notifier> {
        self.inner.notifier.as_ref()
    }

    /// When it was built (its sessions keep their times as offsets from it).
    pub(crate) fn epoch(&self) -> tokio::time::Instant {
        self.inner.epoch
    }

    pub(crate) fn start_connect_retries(&self) -> u32 {
        self.inner.start_connect_retries
    }

    /// The generated client this layer's calls are sent by.
    pub(crate) fn sending(&self) -> &crate::raw::Client {
        &self.inner.sending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_variable_that_is_not_utf8_is_named() {
        use std::env::VarError;
        #[cfg(unix)]
        let raw = {
            use std::os::unix::ffi::OsStringExt as _;
            std::ffi::OsString::from_vec(vec![b'a', 0xff])
        };
        #[cfg(not(unix))]
        let raw = std::ffi::OsString::from("a");
        let err = env_value("IDENTISURE_SECRET_KEY", Err(VarError::NotUnicode(raw))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "IDENTISURE_SECRET_KEY is not valid UTF-8: set it to the value as plain text"
        );
        assert!(matches!(
            env_value("X", Err(VarError::NotPresent)),
            Ok(None)
        ));
        assert!(matches!(env_value("X", Ok("v".into())), Ok(Some(ref v)) if v == "v"));
    }
}
