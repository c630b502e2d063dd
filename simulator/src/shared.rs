//! The state shared by the server tasks and the handles, and the session clock.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use axum::http::StatusCode;

use super::error::ApiError;
use super::store::Store;
use super::{RateLimit, Reading, Timing, callbacks, render};

/// State shared by the server tasks and the handles.
pub(crate) struct Shared {
    pub(crate) accounts: Vec<(String, String)>,
    pub(crate) timing: Timing,
    pub(crate) rate_limit: RateLimit,
    pub(crate) reading: Reading,
    /// Sessions wait for the user (a scan, an approval).
    pub(crate) require_user: bool,
    /// The latest warnings (at most [`WARNINGS_KEPT`]).
    pub(crate) warnings: Mutex<std::collections::VecDeque<String>>,
    pub(crate) max_body: usize,
    pub(crate) max_document: usize,
    /// Sessions stored at most (in progress and retained).
    pub(crate) max_sessions: usize,
    /// Bytes of uploaded documents stored at most.
    pub(crate) max_stored_bytes: usize,
    pub(crate) log_requests: bool,
    pub(crate) store: Mutex<Store>,
    pub(crate) violations: AtomicU64,
    pub(crate) base_url: OnceLock<String>,
    pub(crate) http: OnceLock<Option<reqwest::Client>>,
    /// The runtime the server runs on: callbacks are sent there, also when
    /// `complete_now` is called from outside it.
    pub(crate) runtime: OnceLock<tokio::runtime::Handle>,
}

/// How many warnings a simulator keeps.
pub(crate) const WARNINGS_KEPT: usize = 256;

impl Shared {
    /// Records a warning: a request broke a rule of the simulator's own,
    /// which is not a rule of the API document, so it was accepted. Printed
    /// with the request log. Never holds personal data.
    pub(crate) fn warn(&self, message: String) {
        if self.log_requests {
            eprintln!("warning: {message}");
        }
        // An embedded simulator's warnings reach the application's log too.
        tracing::warn!(target: "identisure::simulator", "{message}");
        let mut warnings = self
            .warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if warnings.len() == WARNINGS_KEPT {
            warnings.pop_front();
        }
        warnings.push_back(message);
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere must not take the simulator down with it.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// 503 when keeping `bytes` more would pass `max_stored_bytes`.
    pub(crate) fn room_for(&self, store: &Store, bytes: usize) -> Result<(), ApiError> {
        if store.held_bytes().saturating_add(bytes) > self.max_stored_bytes {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the simulator holds {} bytes of documents and session texts, its limit",
                    self.max_stored_bytes
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map_or("http://127.0.0.1", String::as_str)
    }

    pub(crate) fn secret_of(&self, account: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|(id, _)| id == account)
            .map(|(_, s)| s.as_str())
    }

    /// Callbacks due for the sessions in `ended` (those with a callbackUrl).
    pub(crate) fn deliveries(
        &self,
        store: &Store,
        ended: &[String],
        now: Instant,
    ) -> Vec<callbacks::Delivery> {
        ended
            .iter()
            .filter_map(|id| store.sessions.get(id))
            .filter_map(|s| {
                let url = s.params.callback_url.clone()?;
                let secret = self.secret_of(&s.account)?;
                let json = render::session(s, now, &self.timing, self.base_url());
                let body = serde_json::to_vec(&json).ok()?;
                let signature = callbacks::sign(secret, &body);
                Some(callbacks::Delivery {
                    url,
                    body,
                    signature,
                })
            })
            .collect()
    }

    /// Sends callbacks in the background (needs a tokio runtime).
    pub(crate) fn send(&self, deliveries: Vec<callbacks::Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let runtime = match self.runtime.get() {
            Some(handle) => handle.clone(),
            None => match tokio::runtime::Handle::try_current() {
                Ok(handle) => handle,
                // Not served yet and not inside a runtime: nowhere to send from.
                Err(_) => return,
            },
        };
        let http = self
            .http
            // Never follows a redirect: a 307 would re-post the signed body
            // (personal data) to wherever the answer points.
            .get_or_init(|| {
                identisure::http_client_builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .ok()
            });
        let Some(http) = http else { return };
        for d in deliveries {
            callbacks::spawn(&runtime, http.clone(), d, self.timing.callback_backoff);
        }
    }

    /// One pass of the clock: advance, deliver callbacks, forget old sessions.
    pub(crate) fn tick(&self) {
        let now = Instant::now();
        let deliveries = {
            let mut store = self.lock();
            let ended = store.advance_all(now, &self.timing);
            store.purge(now, self.timing.retention);
            self.deliveries(&store, &ended, now)
        };
        self.send(deliveries);
    }
}
