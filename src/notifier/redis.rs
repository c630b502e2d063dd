//! The notifier shared across instances through Redis (feature `redis`).
//!
//! An instance that receives a verified final callback stores it under a
//! short-lived key (`identisure:callback:{session id}`, TTL = keep time) and
//! publishes it on the channel `identisure:callbacks`. Every instance keeps
//! one subscription to that channel and wakes its local waits; a wait that
//! starts after the callback was published reads the key once. What travels
//! is the raw signed body and its signature; the receiving instance verifies
//! the signature again before trusting it.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::aio::ConnectionManager;

use super::{Arrived, Notifier, NotifierBuilder, Shared, peek};
use crate::callback::verify_signature;

const KEY_PREFIX: &str = "identisure:callback:";
const CHANNEL: &str = "identisure:callbacks";
/// Bound on every Redis round trip made for a wait or a delivery.
const OP_TIMEOUT: Duration = Duration::from_secs(2);

/// Redis could not be reached when the notifier was built (feature
/// `redis`). The message names the address (never a password) and the
/// cause.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let err = identisure::Notifier::builder("k".into())
///     .connect_redis("redis://127.0.0.1:1/")
///     .await
///     .unwrap_err();
/// assert!(err.to_string().starts_with("redis unavailable at 127.0.0.1:1"), "{err}");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUnavailable {
    address: String,
    cause: String,
}

impl fmt::Display for RedisUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "redis unavailable at {}: {}; fall back to an in-process notifier (Notifier::builder(..).build()) or start Redis",
            self.address, self.cause
        )
    }
}

impl std::error::Error for RedisUnavailable {}

impl NotifierBuilder {
    /// Builds a notifier shared through Redis (feature `redis`, the `redis`
    /// crate on tokio): a callback received by any instance ends the wait
    /// on whichever instance waits for that session.
    ///
    /// **Personal data passes through Redis.** A callback body is the final
    /// session: for a completed one, the person's name, personal number and
    /// more. It is published on the channel `identisure:callbacks` (not
    /// stored by Redis) and stored under `identisure:callback:{session id}`
    /// with a TTL of [`NotifierBuilder::keep_for`] (default 60 s, at least
    /// 1 s), after which Redis deletes it. Use a Redis that only your
    /// instances reach (password, TLS with `rediss://`, no persistence of
    /// these keys needed). The signature travels with the body and every
    /// receiving instance verifies it again, so a party that can write to
    /// Redis but does not know the account secret cannot forge a result.
    ///
    /// Redis unreachable here: [`RedisUnavailable`] (build an in-process
    /// notifier instead if you want to run without it; waits then still end
    /// through polling). Redis lost later: waits end through the polling
    /// fallback, deliveries are logged as failed, and the subscription
    /// reconnects by itself (backoff up to 2 s); after a reconnect, every
    /// session waited on is looked up once.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let notifier = identisure::Notifier::builder("account-secret".into())
    ///     .connect_redis("redis://127.0.0.1:6379/")
    ///     .await?;
    /// # let _ = notifier; Ok(()) }
    /// ```
    pub async fn connect_redis(self, url: &str) -> Result<Notifier, RedisUnavailable> {
        let address = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(6379))))
            .unwrap_or_else(|| "<unparsable URL>".to_string());
        let unavailable = |cause: String| RedisUnavailable {
            address: address.clone(),
            cause,
        };
        let client = redis::Client::open(url).map_err(|e| unavailable(e.to_string()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = tokio::time::timeout(
            OP_TIMEOUT * 2,
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|_| unavailable("timed out".into()))?
        .map_err(|e| unavailable(e.to_string()))?;
        let pubsub = tokio::time::timeout(OP_TIMEOUT, subscribe(&client))
            .await
            .map_err(|_| unavailable("timed out".into()))?
            .map_err(|e| unavailable(e.to_string()))?;
        let ttl_secs = self.keep_for.as_secs().max(1);
        let notifier = self.build();
        let link = Arc::new(Link::default());
        link.connected.store(true, Ordering::Relaxed);
        let task = tokio::spawn(listen(
            Arc::downgrade(&notifier.shared),
            client,
            pubsub,
            link.clone(),
        ));
        let _ = notifier.shared.redis.set(Backend {
            conn,
            ttl_secs,
            link,
            task,
        });
        Ok(notifier)
    }
}

#[derive(Default)]
struct Link {
    connected: AtomicBool,
    reconnects: AtomicU64,
}

pub(crate) struct Backend {
    conn: ConnectionManager,
    ttl_secs: u64,
    link: Arc<Link>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Backend {
    pub(crate) fn connected(&self) -> bool {
        self.link.connected.load(Ordering::Relaxed)
    }

    pub(crate) fn reconnects(&self) -> u64 {
        self.link.reconnects.load(Ordering::Relaxed)
    }

    /// Stores and publishes a verified final callback, in the background.
    pub(crate) fn publish(&self, session_id: &str, body: &[u8], signature: &str) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("callback not shared through redis: no tokio runtime here");
            return;
        };
        let mut payload = Vec::with_capacity(signature.len() + 1 + body.len());
        payload.extend_from_slice(signature.as_bytes());
        payload.push(b'\n');
        payload.extend_from_slice(body);
        let key = format!("{KEY_PREFIX}{session_id}");
        let mut conn = self.conn.clone();
        let ttl = self.ttl_secs;
        runtime.spawn(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("SET")
                .arg(&key)
                .arg(&payload)
                .arg("EX")
                .arg(ttl)
                .ignore()
                .cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(&payload)
                .ignore();
            // Twice at most: the first try after Redis came back may hit
            // the dead connection and make the manager reconnect. Storing
            // and publishing the same callback again is harmless.
            for attempt in 1..=2 {
                match tokio::time::timeout(OP_TIMEOUT, pipe.query_async::<()>(&mut conn)).await {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) if attempt == 2 => {
                        tracing::warn!(error = %e, "callback not shared through redis")
                    }
                    Err(_) if attempt == 2 => {
                        tracing::warn!("callback not shared through redis: timed out")
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
    }

    /// Reads the key of a session once and relays what it holds.
    pub(crate) async fn look_up(&self, shared: &Shared, session_id: &str) {
        let mut conn = self.conn.clone();
        let key = format!("{KEY_PREFIX}{session_id}");
        let got = tokio::time::timeout(
            OP_TIMEOUT,
            redis::cmd("GET")
                .arg(&key)
                .query_async::<Option<Vec<u8>>>(&mut conn),
        )
        .await;
        match got {
            Ok(Ok(Some(payload))) => relay(shared, &payload),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "redis look-up failed"),
            Err(_) => tracing::debug!("redis look-up timed out"),
        }
    }
}

async fn subscribe(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub)
}

/// Verifies a payload from Redis again and wakes the local waits of its
/// session (a relayed callback is not kept for sessions nobody waits on
/// here: the key serves later waits).
fn relay(shared: &Shared, payload: &[u8]) {
    let Some(split) = payload.iter().position(|b| *b == b'\n') else {
        shared.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("malformed callback payload from redis dropped");
        return;
    };
    let (signature, body) = (&payload[..split], &payload[split + 1..]);
    let signature = std::str::from_utf8(signature).ok();
    if let Err(e) = verify_signature(&shared.secret, signature, body) {
        shared.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(error = %e, "callback from redis refused");
        return;
    }
    let Ok((session_id, status)) = peek(body) else {
        shared.rejected.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if status.as_deref() == Some("PENDING") {
        return;
    }
    shared.record(&session_id, Arrived { body: body.into() }, false);
}

/// The subscription: relays every message; when the connection is lost,
/// reconnects with backoff and then looks up every session waited on.
async fn listen(
    shared: Weak<Shared>,
    client: redis::Client,
    first: redis::aio::PubSub,
    link: Arc<Link>,
) {
    let mut pubsub = Some(first);
    let mut delay = Duration::from_millis(100);
    loop {
        if let Some(mut ps) = pubsub.take() {
            link.connected.store(true, Ordering::Relaxed);
            {
                let mut messages = ps.on_message();
                while let Some(msg) = messages.next().await {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    relay(&shared, msg.get_payload_bytes());
                }
            }
            link.connected.store(false, Ordering::Relaxed);
            tracing::warn!("redis subscription lost; waits go on by polling; reconnecting");
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
        if shared.strong_count() == 0 {
            return;
        }
        match tokio::time::timeout(OP_TIMEOUT, subscribe(&client)).await {
            Ok(Ok(ps)) => {
                pubsub = Some(ps);
                delay = Duration::from_millis(100);
                link.reconnects.fetch_add(1, Ordering::Relaxed);
                tracing::info!("redis subscription re-established");
                // Callbacks published while we were away are in their keys.
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                if let Some(backend) = shared.redis.get() {
                    for id in shared.waited_ids() {
                        backend.look_up(&shared, &id).await;
                    }
                }
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "redis reconnect failed"),
            Err(_) => tracing::debug!("redis reconnect timed out"),
        }
    }
}
