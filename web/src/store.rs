//! Logins in memory: what each one shows and how far it got.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use tokio::sync::watch;

use super::{Options, Person, Provider};
use identisure::Client;
use identisure::messages::Lang;

/// Why a login ended without a person, with the message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Cancelled, on this page or in the app / on the provider's page.
    Cancelled(String),
    /// Nobody finished in time.
    TimedOut(String),
    /// Refused or failed.
    Failed(String),
}

/// Where a login stands.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    /// Waiting; the message to show now.
    Pending(String),
    /// Completed.
    Completed(Box<Person>),
    /// Ended without success.
    Ended(Failure),
}

impl Status {
    pub(crate) fn is_final(&self) -> bool {
        !matches!(self, Status::Pending(_))
    }
}

/// What the waiting page shows (fixed at the start).
pub(crate) enum View {
    /// Swedish BankID: the animated QR code and the autostart token.
    BankIdSe {
        qr: crate::login::AnimatedQr,
        auto_start_token: Option<String>,
    },
    /// Freja: the QR code (SVG) of `qrData` and the app link.
    Freja {
        qr_svg: Option<String>,
        app_link: Option<String>,
    },
    /// Redirect providers: the provider's URL and binding message.
    Redirect {
        url: Option<String>,
        binding_message: Option<String>,
    },
}

/// `on_login` has not run.
pub(crate) const HOOK_IDLE: u8 = 0;
/// `on_login` runs in a request now.
pub(crate) const HOOK_RUNNING: u8 = 1;
/// `on_login` ran to its end.
pub(crate) const HOOK_DONE: u8 = 2;

/// Cancels a session of any family.
pub(crate) type CancelFn =
    Box<dyn Fn() -> Pin<Box<dyn Future<Output = identisure::Result<()>> + Send>> + Send + Sync>;

/// One login.
pub(crate) struct Login {
    pub provider: Provider,
    pub lang: Lang,
    pub created: Instant,
    pub view: View,
    pub status: watch::Sender<Status>,
    pub cancel: CancelFn,
    /// The value of the cookie that ties the login to the browser that
    /// started it (see `Options::bind_to_browser`).
    pub browser_key: String,
    /// Redirect providers: the one-time secret in the `redirectUrl` sent
    /// upstream. Only the browser that comes back through it (with the
    /// cookie) sees the person: see [`Login::returned`].
    pub return_key: Option<String>,
    /// The browser came back from the provider's page with `return_key`.
    /// A completed redirect login stays pending until then, so that a link
    /// relayed to someone else never logs the relayer in as them.
    pub returned: watch::Sender<bool>,
    /// Who started it, as [`Options::client_key`] names them (for the bound
    /// on logins in progress per client).
    pub client: Option<String>,
    /// Where `Options::on_login` stands: [`HOOK_IDLE`], [`HOOK_RUNNING`]
    /// or [`HOOK_DONE`] (it runs to its end once; a run cut short, by a
    /// browser that went away, runs again on the next request).
    pub handed_over: std::sync::atomic::AtomicU8,
    /// The return key was used (it opens the login once).
    pub return_used: std::sync::atomic::AtomicBool,
    /// Event streams open for this login.
    pub streams: AtomicUsize,
    /// The user opened the app with the autostart link (BankID then asks
    /// for other messages: RFA13 instead of RFA1 …).
    pub autostarted: std::sync::atomic::AtomicBool,
    /// The last hint code seen (BankID), to redo the message after an autostart.
    pub last_hint: Mutex<Option<identisure::HintCode>>,
}

impl Login {
    /// How the user reached the app, for BankID's messages.
    pub(crate) fn launch(&self) -> identisure::messages::LaunchMethod {
        if self.autostarted.load(std::sync::atomic::Ordering::Relaxed) {
            identisure::messages::LaunchMethod::AutoStart
        } else {
            identisure::messages::LaunchMethod::QrCode
        }
    }

    /// Shows `message` while pending (no change when it is the same).
    pub(crate) fn set_pending_message(&self, message: String) {
        self.status.send_if_modified(|current| match current {
            Status::Pending(old) if *old != message => {
                *old = message;
                true
            }
            _ => false,
        });
    }

    /// Ends the login unless it already ended; true when this call ended it.
    pub(crate) fn finish(&self, status: Status) -> bool {
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

/// The changes the routes make to a login: in this process, and (with
/// [`Options::shared`]) in Redis, which every instance mirrors.
impl Shared {
    /// Ends the login with `status` unless it ended already (here or on
    /// any instance); true when this call ended it.
    pub(crate) async fn finish(&self, id: &str, login: &Login, status: Status) -> bool {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            if !redis.set_status(id, &status).await {
                return false;
            }
            login.finish(status);
            return true;
        }
        let _ = id;
        login.finish(status)
    }

    /// The user opened the app with the autostart link: `message` is the
    /// waiting message that follows.
    pub(crate) async fn autostarted(&self, id: &str, login: &Login, message: String) {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            redis.set_field(id, "autostarted", "1").await;
            redis
                .set_status(id, &Status::Pending(message.clone()))
                .await;
        }
        let _ = id;
        login.set_pending_message(message);
    }

    /// Uses the return key once: true for its first use (of all instances).
    pub(crate) async fn use_return_key(&self, id: &str, login: &Login) -> bool {
        let first_here = !login.return_used.swap(true, Ordering::SeqCst);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            return redis.set_once(id, "return_used").await;
        }
        let _ = id;
        first_here
    }

    /// The browser came back through the return URL.
    pub(crate) async fn returned(&self, id: &str, login: &Login) {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            redis.set_field(id, "returned", "1").await;
        }
        let _ = id;
        login.returned.send_replace(true);
    }

    /// Takes the right to run `on_login` (of all instances): true for the
    /// first request, or the next one after a run cut short.
    pub(crate) async fn take_hook(&self, id: &str, login: &Login) -> bool {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            return redis.take_hook(id).await;
        }
        let _ = id;
        login
            .handed_over
            .compare_exchange(HOOK_IDLE, HOOK_RUNNING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// `on_login`'s run ended: `done` when it ran to its end.
    pub(crate) fn end_hook(&self, id: &str, login: &Login, done: bool) {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            let (redis, id, keep) = (redis.clone(), id.to_string(), self.options.retention);
            tokio::spawn(async move { redis.end_hook(&id, done, keep).await });
            return;
        }
        let _ = id;
        let state = if done { HOOK_DONE } else { HOOK_IDLE };
        login.handed_over.store(state, Ordering::SeqCst);
    }
}

/// Everything the routes share.
pub(crate) struct Shared {
    pub client: Client,
    pub options: Options,
    logins: Mutex<Logins>,
    /// Event streams open in all.
    streams: AtomicUsize,
    /// The missing `public_url` was logged (once).
    pub warned_public_url: std::sync::atomic::AtomicBool,
    /// Starts through a proxy counted by the proxy's address were logged (once).
    pub warned_proxy: std::sync::atomic::AtomicBool,
}

/// At most this many event streams per login (a page open in a few tabs,
/// reconnects not yet noticed as closed).
pub(crate) const STREAMS_PER_LOGIN: usize = 4;

/// An open event stream, counted; uncounted on drop.
pub(crate) struct StreamSlot {
    shared: Arc<Shared>,
    login: Arc<Login>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.login.streams.fetch_sub(1, Ordering::SeqCst);
        self.shared.streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts one more stream on `counter` unless it holds `max` already.
fn take_one(counter: &AtomicUsize, max: usize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < max).then_some(n + 1)
        })
        .is_ok()
}

impl Shared {
    /// Opens an event stream for `login`: `None` when it has
    /// [`STREAMS_PER_LOGIN`] open, or all logins together have two per
    /// login in progress allowed (`2 × max_logins`).
    pub(crate) fn open_stream(self: &Arc<Self>, login: &Arc<Login>) -> Option<StreamSlot> {
        if !take_one(&login.streams, STREAMS_PER_LOGIN) {
            return None;
        }
        let total = self.options.max_logins.saturating_mul(2);
        if !take_one(&self.streams, total) {
            login.streams.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(StreamSlot {
            shared: self.clone(),
            login: login.clone(),
        })
    }
}

/// The logins, and the starts not yet answered upstream (they count as in
/// progress, so that concurrent starts cannot overshoot the bounds).
#[derive(Default)]
struct Logins {
    by_id: HashMap<String, Arc<Login>>,
    starting: HashMap<Option<String>, usize>,
}

/// Why there is no room for a new login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoRoom {
    /// [`Options::max_logins`] logins are in progress.
    Full,
    /// This client has [`Options::max_logins_per_client`] logins in
    /// progress or started within [`CLIENT_WINDOW`].
    ClientFull,
}

/// A place reserved for one login while it starts; given back on drop.
pub(crate) struct Slot<'a> {
    shared: &'a Shared,
    client: Option<String>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut logins = self.shared.lock();
        if let Some(n) = logins.starting.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                logins.starting.remove(&self.client);
            }
        }
    }
}

impl Slot<'_> {
    /// Who holds the slot.
    pub(crate) fn client(&self) -> Option<String> {
        self.client.clone()
    }

    /// Registers the started login (the slot is given back).
    pub(crate) fn fill(self, id: String, login: Arc<Login>) {
        self.shared.lock().by_id.insert(id, login);
    }
}

impl Shared {
    pub(crate) fn new(client: Client, options: Options) -> Self {
        Self {
            client,
            options,
            logins: Mutex::new(Logins::default()),
            streams: AtomicUsize::new(0),
            warned_public_url: std::sync::atomic::AtomicBool::new(false),
            warned_proxy: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Logins> {
        self.logins.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Login>> {
        self.lock().by_id.get(id).cloned()
    }

    /// The login `id`: this process's, or (with [`Options::shared`]) one
    /// stored in Redis by any instance, mirrored here from now on.
    /// With [`Options::shared`], a login not final yet is brought up to
    /// date first: each request sees what any instance wrote before it
    /// (the mirrors' own refresh is once a second).
    pub(crate) async fn find(self: &Arc<Self>, id: &str) -> Option<Arc<Login>> {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.options.shared {
            let login = match self.get(id) {
                Some(login) => login,
                None => self.hydrate(redis, id).await?,
            };
            if !login.status.borrow().is_final()
                && let Ok(Some(changing)) = redis.changing(id).await
            {
                super::shared::mirror(&login, &changing);
            }
            return Some(login);
        }
        self.get(id)
    }

    /// A local mirror of the shared login `id`, followed from now on.
    #[cfg(feature = "redis")]
    async fn hydrate(
        self: &Arc<Self>,
        redis: &super::shared::SharedLogins,
        id: &str,
    ) -> Option<Arc<Login>> {
        let record = redis.record(id).await.ok()??;
        let (login, follow) = super::flow::hydrate(self, redis, record)?;
        let mut logins = self.lock();
        if let Some(existing) = logins.by_id.get(id) {
            // Another request of this instance was first.
            return Some(existing.clone());
        }
        logins.by_id.insert(id.to_string(), login.clone());
        follow(id.to_string());
        Some(login)
    }

    /// Reserves room for one more login of `client`. Forgets logins older
    /// than the retention; only logins in progress count against
    /// `max_logins`, and when finished ones pile up beyond it the oldest of
    /// them are forgotten first (never one in progress). A client's bound
    /// also counts its logins started within [`CLIENT_WINDOW`], finished or
    /// not, so that starting and cancelling in a loop cannot open sessions
    /// upstream without end.
    pub(crate) fn make_room(&self, client: Option<String>) -> Result<Slot<'_>, NoRoom> {
        let options = &self.options;
        let mut logins = self.lock();
        logins
            .by_id
            .retain(|_, l| l.created.elapsed() < options.retention);
        let mut finished: Vec<(std::time::Instant, String)> = Vec::new();
        let (mut in_progress, mut of_client) = (0, 0);
        // The networks of the client (IPv6 /56 and /48, IPv4 /24) and
        // their logins: many addresses of one network count together.
        let nets = networks(client.as_deref());
        let mut of_net = [0usize; 2];
        let mut count = |key: &Option<String>, n: usize| {
            if client.is_some() && *key == client {
                of_client += n;
            }
            let theirs = networks(key.as_deref());
            for (i, net) in nets.iter().enumerate() {
                if net.is_some() && theirs[i] == *net {
                    of_net[i] += n;
                }
            }
        };
        for (id, login) in &logins.by_id {
            if login.status.borrow().is_final() {
                finished.push((login.created, id.clone()));
                if login.created.elapsed() < CLIENT_WINDOW {
                    count(&login.client, 1);
                }
            } else {
                in_progress += 1;
                count(&login.client, 1);
            }
        }
        for (key, n) in &logins.starting {
            count(key, *n);
        }
        in_progress += logins.starting.values().sum::<usize>();
        if in_progress >= options.max_logins {
            return Err(NoRoom::Full);
        }
        let per_client = options.max_logins_per_client;
        if client.is_some() && of_client >= per_client {
            return Err(NoRoom::ClientFull);
        }
        if of_net
            .iter()
            .zip(NETWORK_FACTORS)
            .any(|(n, factor)| *n >= per_client.saturating_mul(factor))
        {
            return Err(NoRoom::ClientFull);
        }
        // The last quarter is kept for clients without a login in progress:
        // a flood from many networks cannot take the page from newcomers.
        if client.is_some()
            && of_client > 0
            && in_progress >= options.max_logins - options.max_logins / 4
        {
            return Err(NoRoom::ClientFull);
        }
        if finished.len() >= options.max_logins {
            finished.sort_unstable();
            let extra = finished.len() + 1 - options.max_logins;
            for (_, id) in finished.into_iter().take(extra) {
                logins.by_id.remove(&id);
            }
        }
        *logins.starting.entry(client.clone()).or_insert(0) += 1;
        Ok(Slot {
            shared: self,
            client,
        })
    }
}

/// How many times a client's bound one network may hold: an IPv6 /56 (or
/// an IPv4 /24), then an IPv6 /48 (free by the thousand from tunnel brokers).
pub(crate) const NETWORK_FACTORS: [usize; 2] = [4, 8];

/// The networks a client key (as [`super::peer_address`] names clients)
/// belongs to: an IPv6 `…/64` gives its /56 and /48, an IPv4 address its
/// /24; any other key, none.
pub(crate) fn networks(key: Option<&str>) -> [Option<String>; 2] {
    use std::net::{Ipv4Addr, Ipv6Addr};
    let Some(key) = key else {
        return [None, None];
    };
    if let Ok(v4) = key.parse::<Ipv4Addr>() {
        let [a, b, c, _] = v4.octets();
        return [Some(format!("{a}.{b}.{c}.0/24")), None];
    }
    if let Some(v6) = key
        .strip_suffix("/64")
        .and_then(|p| p.parse::<Ipv6Addr>().ok())
    {
        let s = v6.segments();
        let net56 = Ipv6Addr::new(s[0], s[1], s[2], s[3] & 0xff00, 0, 0, 0, 0);
        let net48 = Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
        return [Some(format!("{net56}/56")), Some(format!("{net48}/48"))];
    }
    [None, None]
}

/// How long a finished login still counts against its client's bound
/// ([`super::Options::max_logins_per_client`]).
pub(crate) const CLIENT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// A new login id: 128 random bits, hex (unguessable: it is the only key).
pub(crate) fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The `Instant` of a moment given in Unix milliseconds (for a QR code's
/// start time read from another instance's record).
pub(crate) fn instant_of(ms: u64) -> Instant {
    let ago = Duration::from_millis(now_ms().saturating_sub(ms));
    Instant::now().checked_sub(ago).unwrap_or_else(Instant::now)
}

/// What the waiting page shows, as stored (rebuilt into a [`View`] by any
/// instance).
#[derive(Serialize, Deserialize, Clone)]
#[serde(tag = "kind")]
pub(crate) enum ViewRecord {
    BankIdSe {
        token: String,
        secret: String,
        started_ms: u64,
        auto_start_token: Option<String>,
    },
    Freja {
        qr_svg: Option<String>,
        app_link: Option<String>,
    },
    Redirect {
        url: Option<String>,
        binding_message: Option<String>,
    },
}

impl ViewRecord {
    pub(crate) fn view(&self) -> View {
        match self.clone() {
            ViewRecord::BankIdSe {
                token,
                secret,
                started_ms,
                auto_start_token,
            } => View::BankIdSe {
                qr: crate::login::AnimatedQr::new(identisure::qr::BankIdQr::new(
                    token,
                    identisure::QrStartSecret::new(secret),
                    instant_of(started_ms),
                )),
                auto_start_token,
            },
            ViewRecord::Freja { qr_svg, app_link } => View::Freja { qr_svg, app_link },
            ViewRecord::Redirect {
                url,
                binding_message,
            } => View::Redirect {
                url,
                binding_message,
            },
        }
    }
}
