//! Logins shared across instances through Redis (feature `redis`): any
//! instance serves any request of any login, and a login outlives the
//! instance that started it.
//!
//! Redis holds the truth; each instance's [`Login`] is a mirror of it,
//! refreshed once a second by the instance's tick task for that login (and
//! at once by its own writes). Per login, under `identisure:web:login:{id}`
//! (a hash, expiring with [`crate::Options::retention`]):
//!
//! - `record`: what never changes (JSON: provider, language, start time,
//!   session id, browser key, return key, client key, the waiting page's
//!   view; for Swedish BankID the QR code's `qrStartToken` and
//!   `qrStartSecret`: the secret never reaches a browser, only frames made
//!   from it do);
//! - `status` (JSON, see [`StatusRecord`]), and `final` once it is final
//!   (a final status is never replaced: [`SET_STATUS`]);
//! - `returned`, `return_used`, `autostarted`, `hint`; for a completed
//!   redirect login waiting for its browser, `person` and `completed_ms`.
//!
//! One collect a second at most, whichever instances follow the login: the
//! instance holding `identisure:web:lease:{id}` collects (taken for the
//! collect, released a second after its answer). `on_login` runs once
//! across instances (`identisure:web:hook:{id}`: `running` with a TTL while
//! it runs, `done` after). The bounds on logins in progress count starts of
//! all instances (sorted sets of start times per client and network).
//!
//! Personal data passes through Redis: a completed login's person (name,
//! personal number) is stored in its hash until the hash expires. Use a
//! Redis only your instances reach, as for the notifier.

use std::time::Duration;

use redis::AsyncCommands as _;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

use super::store::{Failure, Login, NoRoom, Status, ViewRecord, now_ms};
use super::{Person, Provider};
use identisure::messages::Lang;

const PREFIX: &str = "identisure:web:";
/// Bound on every Redis round trip.
const OP_TIMEOUT: Duration = Duration::from_secs(2);

/// Logins shared across instances through Redis: set
/// [`crate::Options::shared`] to one (the same Redis for every instance; the
/// notifier's works). Cloning is cheap (one multiplexed connection that
/// reconnects by itself).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let shared = identisure_web::SharedLogins::connect("redis://127.0.0.1:6379/").await?;
/// let options = identisure_web::Options {
///     public_url: Some("https://login.example.com".into()),
///     shared: Some(shared),
///     ..Default::default()
/// };
/// # let _ = options; Ok(()) }
/// ```
#[derive(Clone)]
pub struct SharedLogins {
    conn: ConnectionManager,
}

impl std::fmt::Debug for SharedLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLogins").finish_non_exhaustive()
    }
}

/// Redis could not be reached when [`SharedLogins::connect`] ran. Names the
/// address (never a password) and the cause.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let err = identisure_web::SharedLogins::connect("redis://127.0.0.1:1/").await.unwrap_err();
/// assert!(err.to_string().starts_with("redis unavailable at 127.0.0.1:1"), "{err}");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedLoginsUnavailable {
    address: String,
    cause: String,
}

impl std::fmt::Display for SharedLoginsUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "redis unavailable at {}: {}; start Redis, or leave Options::shared unset \
             (logins then live in this process only)",
            self.address, self.cause
        )
    }
}

impl std::error::Error for SharedLoginsUnavailable {}

impl SharedLogins {
    /// Connects to Redis at `url` (`redis://[:password@]host:port/db`, or
    /// `rediss://` for TLS if your `redis` build has it).
    pub async fn connect(url: &str) -> Result<Self, SharedLoginsUnavailable> {
        let unavailable =
            |address: String, cause: String| SharedLoginsUnavailable { address, cause };
        let info = redis::IntoConnectionInfo::into_connection_info(url)
            .map_err(|e| unavailable("(unparsable URL)".into(), e.to_string()))?;
        let address = info.addr().to_string();
        let client =
            redis::Client::open(info).map_err(|e| unavailable(address.clone(), e.to_string()))?;
        let conn = tokio::time::timeout(OP_TIMEOUT, ConnectionManager::new(client))
            .await
            .map_err(|_| unavailable(address.clone(), "timed out".into()))?
            .map_err(|e| unavailable(address.clone(), e.to_string()))?;
        Ok(Self { conn })
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

fn key(kind: &str, id: &str) -> String {
    format!("{PREFIX}{kind}:{id}")
}

/// Runs one Redis command with [`OP_TIMEOUT`]; a failure is logged.
async fn bounded<T>(
    what: &str,
    f: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Option<T> {
    match tokio::time::timeout(OP_TIMEOUT, f).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "web login: redis {what} failed");
            None
        }
        Err(_) => {
            tracing::warn!("web login: redis {what} timed out");
            None
        }
    }
}

/// What never changes in a login.
#[derive(Serialize, Deserialize)]
pub(crate) struct Record {
    pub provider: String,
    pub lang: String,
    pub created_ms: u64,
    pub session: String,
    pub browser_key: String,
    pub return_key: Option<String>,
    pub client: Option<String>,
    pub view: ViewRecord,
}

impl Record {
    pub(crate) fn provider(&self) -> Option<Provider> {
        Provider::from_segment(&self.provider)
    }

    pub(crate) fn lang(&self) -> Lang {
        self.lang.parse().unwrap_or_default()
    }
}

/// A person as stored.
#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct PersonRecord {
    name: identisure::PersonalText,
    given_name: Option<identisure::PersonalText>,
    surname: Option<identisure::PersonalText>,
    personal_number: Option<String>,
    provider: String,
}

impl PersonRecord {
    pub(crate) fn of(p: &Person) -> Self {
        Self {
            name: p.name.clone(),
            given_name: p.given_name.clone(),
            surname: p.surname.clone(),
            personal_number: p.personal_number.as_ref().map(|n| n.expose().to_string()),
            provider: p.provider.segment().to_string(),
        }
    }

    fn person(&self) -> Option<Person> {
        Some(Person {
            name: self.name.clone(),
            given_name: self.given_name.clone(),
            surname: self.surname.clone(),
            personal_number: self
                .personal_number
                .clone()
                .and_then(|n| identisure::PersonalNumber::new(n).ok()),
            provider: Provider::from_segment(&self.provider)?,
        })
    }
}

/// A status as stored.
#[derive(Serialize, Deserialize)]
#[serde(tag = "state")]
pub(crate) enum StatusRecord {
    Pending { message: String },
    Completed { person: PersonRecord },
    Cancelled { message: String },
    TimedOut { message: String },
    Failed { message: String },
}

impl StatusRecord {
    pub(crate) fn of(status: &Status) -> Self {
        match status {
            Status::Pending(m) => Self::Pending { message: m.clone() },
            Status::Completed(p) => Self::Completed {
                person: PersonRecord::of(p),
            },
            Status::Ended(Failure::Cancelled(m)) => Self::Cancelled { message: m.clone() },
            Status::Ended(Failure::TimedOut(m)) => Self::TimedOut { message: m.clone() },
            Status::Ended(Failure::Failed(m)) => Self::Failed { message: m.clone() },
        }
    }

    fn status(self) -> Option<Status> {
        Some(match self {
            Self::Pending { message } => Status::Pending(message),
            Self::Completed { person } => Status::Completed(Box::new(person.person()?)),
            Self::Cancelled { message } => Status::Ended(Failure::Cancelled(message)),
            Self::TimedOut { message } => Status::Ended(Failure::TimedOut(message)),
            Self::Failed { message } => Status::Ended(Failure::Failed(message)),
        })
    }
}

/// What changes in a login, as read from Redis.
pub(crate) struct Changing {
    pub status: Option<Status>,
    pub returned: bool,
    pub autostarted: bool,
    pub hint: Option<identisure::HintCode>,
    /// A completed redirect login waiting for its browser: the person and
    /// when it completed.
    pub waiting_person: Option<(Person, u64)>,
}

/// Writes `ARGV[1]` as the status unless the login is gone or final
/// already; `ARGV[2] == "1"` marks it final. 1 when written.
const SET_STATUS: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'final') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'final', '1') end
return 1
"#;

/// Sets field `ARGV[1]` to `ARGV[2]` if the hash exists.
const SET_FIELD: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"#;

/// Counts the starts within their windows and, when there is room, adds
/// this one. KEYS: all starts, then the client's and its networks' (each
/// optional: an empty name is skipped). ARGV: now (ms), the window of all
/// starts (ms), the client window (ms), the login id, max logins, max per
/// client, the networks' factors (two), the retention (ms). 0: room; 1: all
/// full; 2: this client (or its network) is full.
const MAKE_ROOM: &str = r#"
local now = tonumber(ARGV[1])
local all_window = tonumber(ARGV[2])
local client_window = tonumber(ARGV[3])
local function count(k, window)
  if k == '' then return 0 end
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - window)
  return redis.call('ZCARD', k)
end
local all = count(KEYS[1], all_window)
local client = count(KEYS[2], client_window)
local max = tonumber(ARGV[5])
local per_client = tonumber(ARGV[6])
if all >= max then return 1 end
if KEYS[2] ~= '' and client >= per_client then return 2 end
if count(KEYS[3], client_window) >= per_client * tonumber(ARGV[7]) then return 2 end
if count(KEYS[4], client_window) >= per_client * tonumber(ARGV[8]) then return 2 end
if KEYS[2] ~= '' and client > 0 and all >= max - math.floor(max / 4) then return 2 end
for i = 1, 4 do
  if KEYS[i] ~= '' then
    redis.call('ZADD', KEYS[i], now, ARGV[4])
    redis.call('PEXPIRE', KEYS[i], math.max(all_window, client_window, tonumber(ARGV[9])))
  end
end
return 0
"#;

impl SharedLogins {
    /// Stores a new login (its record and first status).
    pub(crate) async fn save(&self, id: &str, record: &Record, status: &Status, keep: Duration) {
        let (Ok(record), Ok(status)) = (
            serde_json::to_string(record),
            serde_json::to_string(&StatusRecord::of(status)),
        ) else {
            return;
        };
        let key = key("login", id);
        let mut conn = self.conn();
        let fields = [("record", record), ("status", status)];
        bounded("save", async {
            redis::pipe()
                .atomic()
                .hset_multiple(&key, &fields)
                .ignore()
                .pexpire(&key, keep.as_millis() as i64)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
        })
        .await;
    }

    /// The record of `id`: `Ok(None)` when there is none (unknown or
    /// expired), `Err` when Redis did not answer.
    pub(crate) async fn record(&self, id: &str) -> Result<Option<Record>, ()> {
        let mut conn = self.conn();
        let text: Option<String> = bounded("read", conn.hget(key("login", id), "record"))
            .await
            .ok_or(())?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// What changes in login `id`; `Ok(None)` when it is gone.
    pub(crate) async fn changing(&self, id: &str) -> Result<Option<Changing>, ()> {
        let mut conn = self.conn();
        let fields: Vec<Option<String>> = bounded("read", async {
            redis::cmd("HMGET")
                .arg(key("login", id))
                .arg(&[
                    "status",
                    "returned",
                    "autostarted",
                    "hint",
                    "person",
                    "completed_ms",
                ])
                .query_async(&mut conn)
                .await
        })
        .await
        .ok_or(())?;
        let [status, returned, autostarted, hint, person, completed]: [Option<String>; 6] =
            fields.try_into().map_err(|_| ())?;
        let Some(status) = status else {
            return Ok(None);
        };
        let person = person
            .and_then(|p| serde_json::from_str::<PersonRecord>(&p).ok())
            .and_then(|p| p.person());
        let completed = completed.and_then(|c| c.parse::<u64>().ok());
        Ok(Some(Changing {
            status: serde_json::from_str::<StatusRecord>(&status)
                .ok()
                .and_then(StatusRecord::status),
            returned: returned.is_some(),
            autostarted: autostarted.is_some(),
            hint: hint.map(|h| identisure::HintCode::parse(&h)),
            waiting_person: person.zip(completed),
        }))
    }

    /// Writes `status` unless the login already ended; true when written.
    pub(crate) async fn set_status(&self, id: &str, status: &Status) -> bool {
        let Ok(json) = serde_json::to_string(&StatusRecord::of(status)) else {
            return false;
        };
        let mut conn = self.conn();
        let script = redis::Script::new(SET_STATUS);
        let mut invocation = script.key(key("login", id));
        invocation
            .arg(json)
            .arg(if status.is_final() { "1" } else { "0" });
        bounded("status write", invocation.invoke_async::<i64>(&mut conn))
            .await
            .is_some_and(|n| n == 1)
    }

    /// Sets a field of login `id` (only while the login exists: an
    /// expired login is not made again without its expiry).
    pub(crate) async fn set_field(&self, id: &str, field: &str, value: &str) {
        let mut conn = self.conn();
        let script = redis::Script::new(SET_FIELD);
        let mut invocation = script.key(key("login", id));
        invocation.arg(field).arg(value);
        bounded("write", invocation.invoke_async::<i64>(&mut conn)).await;
    }

    /// Sets `field` unless set: true when this call set it (and the login exists).
    pub(crate) async fn set_once(&self, id: &str, field: &str) -> bool {
        let mut conn = self.conn();
        let key = key("login", id);
        bounded("write", async {
            if !conn.exists::<_, bool>(&key).await? {
                return Ok(false);
            }
            conn.hset_nx::<_, _, _, bool>(&key, field, "1").await
        })
        .await
        .unwrap_or(false)
    }

    /// A completed redirect login waits for its browser: the person (kept
    /// here, not shown) and when it completed.
    pub(crate) async fn hold_person(&self, id: &str, person: &Person, message: String) {
        let Ok(json) = serde_json::to_string(&PersonRecord::of(person)) else {
            return;
        };
        self.set_field(id, "person", &json).await;
        self.set_field(id, "completed_ms", &now_ms().to_string())
            .await;
        self.set_status(id, &Status::Pending(message)).await;
    }

    /// Takes the collect lease of `id` (for at most `hold` if never released).
    pub(crate) async fn take_lease(&self, id: &str, hold: Duration) -> bool {
        let mut conn = self.conn();
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(hold.as_millis() as u64));
        bounded("lease", async {
            conn.set_options::<_, _, Option<String>>(key("lease", id), "1", options)
                .await
        })
        .await
        .flatten()
        .is_some()
    }

    /// Keeps the lease `after` longer from now (the next collect of any
    /// instance comes at least that much after this one's answer).
    pub(crate) async fn release_lease(&self, id: &str, after: Duration) {
        let mut conn = self.conn();
        bounded(
            "lease",
            conn.pexpire::<_, ()>(key("lease", id), after.as_millis() as i64),
        )
        .await;
    }

    /// Takes the right to run `on_login` for `id`: true for the first
    /// request of all instances (or after a run cut short).
    pub(crate) async fn take_hook(&self, id: &str) -> bool {
        let mut conn = self.conn();
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(60_000));
        bounded("hook", async {
            conn.set_options::<_, _, Option<String>>(key("hook", id), "running", options)
                .await
        })
        .await
        .flatten()
        .is_some()
    }

    /// `on_login` for `id` ran to its end (`done`) or was cut short (the
    /// next request may run it again).
    pub(crate) async fn end_hook(&self, id: &str, done: bool, keep: Duration) {
        let mut conn = self.conn();
        let key = key("hook", id);
        bounded("hook", async {
            if done {
                conn.pset_ex::<_, _, ()>(&key, "done", keep.as_millis() as u64)
                    .await
            } else {
                conn.del::<_, ()>(&key).await
            }
        })
        .await;
    }

    /// Counts starts across instances; on room, adds `id`'s.
    pub(crate) async fn make_room(
        &self,
        id: &str,
        client: Option<&str>,
        networks: &[Option<String>; 2],
        options: &crate::Options,
        factors: [usize; 2],
    ) -> Result<(), NoRoom> {
        let mut conn = self.conn();
        let script = redis::Script::new(MAKE_ROOM);
        let named = |name: Option<&str>| name.map(|n| key("starts", n)).unwrap_or_default();
        let mut invocation = script.key(format!("{PREFIX}starts"));
        invocation
            .key(named(client))
            .key(named(networks[0].as_deref()))
            .key(named(networks[1].as_deref()))
            .arg(now_ms())
            .arg(options.timeout.as_millis() as u64)
            .arg(super::store::CLIENT_WINDOW.as_millis() as u64)
            .arg(id)
            .arg(options.max_logins)
            .arg(options.max_logins_per_client)
            .arg(factors[0])
            .arg(factors[1])
            .arg(options.retention.as_millis() as u64);
        match bounded("bounds", invocation.invoke_async::<i64>(&mut conn)).await {
            Some(0) => Ok(()),
            Some(2) => Err(NoRoom::ClientFull),
            // Full, or Redis unreachable: no new login (it could not be
            // shared anyway).
            _ => Err(NoRoom::Full),
        }
    }

    /// Gives back the room `id` took (its start failed).
    pub(crate) async fn give_back(
        &self,
        id: &str,
        client: Option<&str>,
        networks: &[Option<String>; 2],
    ) {
        let mut conn = self.conn();
        let mut keys = vec![format!("{PREFIX}starts")];
        keys.extend(client.map(|c| key("starts", c)));
        keys.extend(networks.iter().flatten().map(|n| key("starts", n)));
        bounded("bounds", async {
            let mut pipe = redis::pipe();
            for k in &keys {
                pipe.zrem(k, id).ignore();
            }
            pipe.query_async::<()>(&mut conn).await
        })
        .await;
    }
}

/// Mirrors what Redis holds into the local `login`.
pub(crate) fn mirror(login: &Login, changing: &Changing) {
    if let Some(status) = &changing.status {
        login.status.send_if_modified(|current| {
            let same = match (&*current, status) {
                (Status::Pending(a), Status::Pending(b)) => a == b,
                (Status::Ended(a), Status::Ended(b)) => a == b,
                (Status::Completed(_), Status::Completed(_)) => true,
                _ => false,
            };
            // A final status never goes back to pending.
            if same || (current.is_final() && !status.is_final()) {
                return false;
            }
            *current = status.clone();
            true
        });
    }
    if changing.returned {
        login
            .returned
            .send_if_modified(|r| !std::mem::replace(r, true));
    }
    if changing.autostarted {
        login
            .autostarted
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    if let Ok(mut last) = login.last_hint.lock() {
        *last = changing.hint.clone();
    }
}
