//! Starting a session for a provider, and following it to its end.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt as _;
use tokio::sync::watch;

use super::Provider;
use super::store::{CancelFn, Failure, Login, Shared, Status, View};
use super::store::{ViewRecord, now_ms};
use super::text::T;
use crate::login::ToPerson;
use identisure::messages::{
    Device, Lang, LaunchMethod, MessageContext, UserMessage, failure_message,
};
use identisure::qr::BankIdQr;
use identisure::{Error, FailureCode, Family, HintCode, Started, State, WaitOptions};

/// What the start form asked for.
#[derive(Debug)]
pub(crate) struct StartRequest {
    /// The login's id (the key of a login shared through Redis).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub id: String,
    pub provider: Provider,
    pub lang: Lang,
    pub personal_number: Option<String>,
    pub ref_id: Option<String>,
    /// Where redirect providers send the user back: carries `return_key`.
    pub return_url: String,
    /// The one-time secret in `return_url`.
    pub return_key: String,
    /// Who starts it (see `Options::client_key`).
    pub client: Option<String>,
}

/// Why a login could not start: the message to show.
#[derive(Debug)]
pub(crate) struct StartError {
    pub message: String,
}

impl StartError {
    fn from_error(error: &Error, lang: Lang) -> Self {
        let message = match error {
            Error::InvalidRequest { field, .. } if field == "ssn" => {
                T::NeedPersonalNumber.get(lang).to_string()
            }
            Error::InvalidRequest { .. } | Error::Unauthorized | Error::Decode { .. } => {
                tracing::warn!(error = %error, "web login: start refused");
                T::StartFailedText.get(lang).to_string()
            }
            Error::AlreadyInProgress => T::Conflict.get(lang).to_string(),
            Error::Transport { .. } => T::Unreachable.get(lang).to_string(),
            _ => {
                tracing::warn!(error = %error, "web login: start failed");
                T::StartFailedText.get(lang).to_string()
            }
        };
        Self { message }
    }
}

/// The person in a COMPLETED state.
/// Starts the session of `request.provider` and the task following it.
pub(crate) async fn start(
    shared: &Arc<Shared>,
    request: &StartRequest,
) -> Result<Arc<Login>, StartError> {
    let lang = request.lang;
    let client = &shared.client;
    let options = &shared.options;
    let ref_id = request.ref_id.clone();
    let callback = options.callback_url.clone();
    let redirect = Some(request.return_url.clone());
    let err = |e: Error| StartError::from_error(&e, lang);
    match request.provider {
        Provider::BankIdSe => {
            let mut body = identisure::providers::bankid_se::AuthRequest::default()
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            if !options.intent.is_empty() {
                body = body.intent(options.intent.as_str());
            }
            let session = client.bankid_se().auth(body).await.map_err(err)?;
            let started_ms = now_ms();
            let pending = session.pending();
            let (Ok(_), Some(token), Some(secret)) = (
                BankIdQr::from_pending(pending, Instant::now()),
                pending.qr_start_token.clone(),
                pending.qr_start_secret.as_ref(),
            ) else {
                tracing::warn!("web login: the BankID start answer has no QR data");
                let _ = session.cancel().await;
                return Err(StartError {
                    message: T::StartFailedText.get(lang).to_string(),
                });
            };
            let view = ViewRecord::BankIdSe {
                token,
                secret: secret.expose().to_string(),
                started_ms,
                auto_start_token: pending.auto_start_token.clone().filter(|t| !t.is_empty()),
            };
            Ok(follow(shared, request, session, view).await)
        }
        Provider::Freja => {
            let number = request
                .personal_number
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| StartError {
                    message: T::NeedPersonalNumber.get(lang).to_string(),
                })?;
            let body = identisure::providers::freja::AuthRequest::default()
                .ssn(number)
                .country(identisure::providers::freja::country::SWEDEN)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.freja().auth(body).await.map_err(err)?;
            let pending = session.pending();
            let qr_svg = pending
                .qr_data
                .as_deref()
                .map(crate::login::svg_of)
                .filter(|svg| !svg.is_empty());
            let environment = if options.freja_test_app {
                identisure::launch::FrejaEnvironment::Test
            } else {
                identisure::launch::FrejaEnvironment::Production
            };
            let app_link = identisure::launch::freja_app_link_for(pending, environment).ok();
            let view = ViewRecord::Freja { qr_svg, app_link };
            Ok(follow(shared, request, session, view).await)
        }
        Provider::BankIdNo => {
            let body = identisure::providers::bankid_no::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.bankid_no().auth(body).await.map_err(err)?;
            let p = session.pending();
            let view = redirect_view(p.url.clone(), p.binding_message.clone());
            Ok(follow(shared, request, session, view).await)
        }
        Provider::Vipps => {
            let body = identisure::providers::vipps::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.vipps().auth(body).await.map_err(err)?;
            let view = redirect_view(session.pending().url.clone(), None);
            Ok(follow(shared, request, session, view).await)
        }
        Provider::MitId => {
            let body = identisure::providers::mitid::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.mitid().auth(body).await.map_err(err)?;
            let p = session.pending();
            let view = redirect_view(p.url.clone(), p.binding_message.clone());
            Ok(follow(shared, request, session, view).await)
        }
        Provider::Ftn => {
            let body = identisure::providers::ftn::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.ftn().auth(body).await.map_err(err)?;
            let view = redirect_view(session.pending().url.clone(), None);
            Ok(follow(shared, request, session, view).await)
        }
        // A provider added to the API after this crate: the page lists only
        // `PAGE_ORDER`'s, so only a hand-made form reaches this.
        other => {
            tracing::warn!(provider = ?other, "web login: this provider has no login page yet");
            Err(StartError {
                message: T::StartFailedText.get(lang).to_string(),
            })
        }
    }
}

fn redirect_view(url: Option<String>, binding_message: Option<String>) -> ViewRecord {
    ViewRecord::Redirect {
        // Only web addresses become links (never `javascript:` and the like).
        url: url.filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        binding_message: binding_message.filter(|m| !m.is_empty()),
    }
}

/// The message while pending.
pub(crate) fn pending_message(
    provider: Provider,
    hint: Option<HintCode>,
    lang: Lang,
    launch: LaunchMethod,
) -> String {
    if provider == Provider::BankIdSe {
        let context = MessageContext {
            launch,
            device: Device::Desktop,
        };
        hint.message_in(lang, context).to_string()
    } else {
        T::Waiting.get(lang).to_string()
    }
}

/// The failure of a FAILED state.
pub(crate) fn failure(
    provider: Provider,
    code: &FailureCode,
    hint: Option<&HintCode>,
    lang: Lang,
    launch: LaunchMethod,
) -> Failure {
    let kind = |message: String| match code {
        FailureCode::Cancelled => Failure::Cancelled(message),
        FailureCode::SessionTimeout => Failure::TimedOut(message),
        _ => Failure::Failed(message),
    };
    if provider == Provider::BankIdSe {
        let context = MessageContext {
            launch,
            device: Device::Desktop,
        };
        return kind(failure_message(code, hint, context).text(lang).to_string());
    }
    let text = match code {
        FailureCode::Cancelled => T::CancelledText,
        FailureCode::SessionTimeout => T::TimedOutText,
        FailureCode::AuthFailed => T::Refused,
        FailureCode::InvalidId => T::InvalidId,
        FailureCode::Conflict => T::Conflict,
        FailureCode::InternalError => T::InternalError,
        FailureCode::UnsupportedClient => T::UnsupportedClient,
        _ => T::Unknown,
    };
    kind(text.get(lang).to_string())
}

/// The failure shown when the user cancels on our page.
pub(crate) fn cancelled_here(provider: Provider, lang: Lang) -> Failure {
    if provider == Provider::BankIdSe {
        Failure::Cancelled(HintCode::UserCancel.message(lang).to_string())
    } else {
        Failure::Cancelled(T::CancelledText.get(lang).to_string())
    }
}

/// Waits (at most `wait`) until the browser that started a redirect login
/// comes back through its return URL; false when it does not, or when the
/// login ended meanwhile (cancelled on the page).
async fn came_back(login: &Login, lang: Lang, wait: std::time::Duration) -> bool {
    let mut returned = login.returned.subscribe();
    if !*returned.borrow() {
        login.set_pending_message(T::ComeBack.get(lang).to_string());
    }
    let mut status = login.status.subscribe();
    tokio::select! {
        back = tokio::time::timeout(wait, returned.wait_for(|r| *r)) => matches!(back, Ok(Ok(_))),
        _ = status.wait_for(Status::is_final) => false,
    }
}

/// The longest a completed redirect login waits for its browser to come back.
const RETURN_HOLD: std::time::Duration = std::time::Duration::from_secs(60);

/// A new login's state (its first status pending with `first`).
#[allow(clippy::too_many_arguments)]
fn new_login(
    provider: Provider,
    lang: Lang,
    created: Instant,
    view: View,
    first: String,
    cancel: CancelFn,
    browser_key: String,
    return_key: Option<String>,
    client: Option<String>,
    first_hint: Option<HintCode>,
) -> Login {
    Login {
        provider,
        lang,
        created,
        view,
        status: watch::Sender::new(Status::Pending(first)),
        cancel,
        browser_key,
        return_key,
        returned: watch::Sender::new(false),
        client,
        handed_over: std::sync::atomic::AtomicU8::new(super::store::HOOK_IDLE),
        return_used: std::sync::atomic::AtomicBool::new(false),
        streams: std::sync::atomic::AtomicUsize::new(0),
        autostarted: std::sync::atomic::AtomicBool::new(false),
        last_hint: std::sync::Mutex::new(first_hint),
    }
}

fn canceller<F: Family>(session: &identisure::Session<F>) -> CancelFn {
    let session = session.clone();
    Box::new(move || {
        let s = session.clone();
        Box::pin(async move { s.cancel().await })
    })
}

/// Registers the login and spawns the task that collects its session: in
/// this process, or (with [`crate::Options::shared`]) stored in Redis and
/// followed by [`tick`].
async fn follow<F: Family>(
    shared: &Arc<Shared>,
    request: &StartRequest,
    session: Started<F>,
    view: ViewRecord,
) -> Arc<Login>
where
    F::Completed: ToPerson,
{
    let provider = request.provider;
    let lang = request.lang;
    let first_hint = State::<F>::Pending(session.pending().clone()).hint_code();
    let session = session.into_session();
    let first = pending_message(provider, first_hint.clone(), lang, LaunchMethod::QrCode);
    let login = Arc::new(new_login(
        provider,
        lang,
        Instant::now(),
        view.view(),
        first,
        canceller(&session),
        super::store::new_id(),
        provider.redirects().then(|| request.return_key.clone()),
        request.client.clone(),
        first_hint,
    ));
    #[cfg(feature = "redis")]
    if let Some(redis) = &shared.options.shared {
        let record = crate::shared::Record {
            provider: provider.segment().to_string(),
            lang: lang.code().to_string(),
            created_ms: now_ms(),
            session: session.id().to_string(),
            browser_key: login.browser_key.clone(),
            return_key: login.return_key.clone(),
            client: login.client.clone(),
            view,
        };
        let status = login.status.borrow().clone();
        redis
            .save(&request.id, &record, &status, shared.options.retention)
            .await;
        tokio::spawn(tick(
            shared.clone(),
            redis.clone(),
            request.id.clone(),
            login.clone(),
            session,
        ));
        return login;
    }
    #[cfg(not(feature = "redis"))]
    let _ = view;
    follow_here(shared, login.clone(), session);
    login
}

/// Spawns the task following a hydrated login, given its id (called once
/// it is registered, so that concurrent requests follow it once).
#[cfg(feature = "redis")]
pub(crate) type StartFollowing = Box<dyn FnOnce(String) + Send>;

/// The login `id` stored in Redis by another instance (or by this one
/// before a restart), as a local mirror followed by [`tick`]; `None` when
/// its record names no provider this crate knows.
#[cfg(feature = "redis")]
pub(crate) fn hydrate(
    shared: &Arc<Shared>,
    redis: &crate::shared::SharedLogins,
    record: crate::shared::Record,
) -> Option<(Arc<Login>, StartFollowing)> {
    let provider = record.provider()?;
    let client = &shared.client;
    let id = record.session.as_str();
    macro_rules! attach {
        ($api:ident) => {{
            let session = client.$api().auth_session(id).ok()?;
            let login = Arc::new(new_login(
                provider,
                record.lang(),
                super::store::instant_of(record.created_ms),
                record.view.view(),
                T::Waiting.get(record.lang()).to_string(),
                canceller(&session),
                record.browser_key.clone(),
                record.return_key.clone(),
                record.client.clone(),
                None,
            ));
            let (sh, redis, task_login) = (shared.clone(), redis.clone(), login.clone());
            let spawn: StartFollowing = Box::new(move |login_id| {
                tokio::spawn(tick(sh, redis, login_id, task_login, session));
            });
            Some((login, spawn))
        }};
    }
    match provider {
        Provider::BankIdSe => attach!(bankid_se),
        Provider::Freja => attach!(freja),
        Provider::BankIdNo => attach!(bankid_no),
        Provider::Vipps => attach!(vipps),
        Provider::MitId => attach!(mitid),
        Provider::Ftn => attach!(ftn),
        _ => None,
    }
}

/// Follows a shared login on this instance: once a second, mirrors what
/// Redis holds; the instance holding the collect lease collects and writes
/// the new status (a final one once). Ends when the login is final or gone.
#[cfg(feature = "redis")]
async fn tick<F: Family>(
    shared: Arc<Shared>,
    redis: crate::shared::SharedLogins,
    id: String,
    login: Arc<Login>,
    session: identisure::Session<F>,
) where
    F::Completed: ToPerson,
{
    use std::time::Duration;
    let provider = login.provider;
    let lang = login.lang;
    let deadline = login.created + shared.options.timeout;
    let return_wait = (shared.options.timeout / 5).min(RETURN_HOLD);
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let changing = match redis.changing(&id).await {
            Ok(Some(changing)) => changing,
            // Expired (retention) or deleted: nothing more to follow.
            Ok(None) => break,
            Err(()) => continue,
        };
        crate::shared::mirror(&login, &changing);
        if login.status.borrow().is_final() {
            break;
        }
        // A collect a second at most across instances. The lease is held
        // 5 s at most: an instance that dies holding it delays the login's
        // follow by that much, and a collect slower than that may meet
        // another instance's (the API's 429 is then passing).
        if !redis.take_lease(&id, Duration::from_secs(5)).await {
            continue;
        }
        let status: Option<Status> = if Instant::now() >= deadline {
            let status = Status::Ended(Failure::TimedOut(T::TimedOutText.get(lang).to_string()));
            if redis.set_status(&id, &status).await {
                let _ = session.cancel().await;
            }
            None
        } else if let Some((person, completed_ms)) = changing.waiting_person {
            if changing.returned {
                Some(Status::Completed(Box::new(person)))
            } else if now_ms().saturating_sub(completed_ms) > return_wait.as_millis() as u64 {
                Some(Status::Ended(Failure::Failed(
                    T::NotReturned.get(lang).to_string(),
                )))
            } else {
                None
            }
        } else {
            match session.collect().await {
                Ok(State::Pending(p)) => {
                    let hint = State::<F>::Pending(p).hint_code();
                    if let Some(h) = hint.as_ref().filter(|h| changing.hint.as_ref() != Some(*h)) {
                        redis.set_field(&id, "hint", h.as_str()).await;
                    }
                    Some(Status::Pending(pending_message(
                        provider,
                        hint,
                        lang,
                        login.launch(),
                    )))
                }
                Ok(State::Completed(c)) => {
                    let person = c.to_person(provider);
                    if login.return_key.is_some() && !changing.returned {
                        redis
                            .hold_person(&id, &person, T::ComeBack.get(lang).to_string())
                            .await;
                        None
                    } else {
                        Some(Status::Completed(Box::new(person)))
                    }
                }
                Ok(State::Failed {
                    code, hint_code, ..
                }) => Some(Status::Ended(failure(
                    provider,
                    &code,
                    hint_code.as_ref(),
                    lang,
                    login.launch(),
                ))),
                // Passing troubles: the next second (or instance) tries again.
                Err(Error::RateLimited { .. } | Error::Transport { .. }) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "web login: following the session failed");
                    Some(Status::Ended(Failure::Failed(
                        T::Unknown.get(lang).to_string(),
                    )))
                }
            }
        };
        // Written when it changed (a pending message seen again is not),
        // and mirrored here at once.
        let unchanged = matches!(
            (&status, &*login.status.borrow()),
            (Some(Status::Pending(new)), Status::Pending(old)) if new == old
        );
        if let Some(status) = status.filter(|_| !unchanged)
            && redis.set_status(&id, &status).await
        {
            match status {
                Status::Pending(message) => login.set_pending_message(message),
                other => {
                    login.finish(other);
                }
            }
        }
        redis.release_lease(&id, Duration::from_secs(1)).await;
    }
}

/// Follows a login in this process: one task runs the session's updates.
fn follow_here<F: Family>(shared: &Arc<Shared>, login: Arc<Login>, session: identisure::Session<F>)
where
    F::Completed: ToPerson,
{
    let provider = login.provider;
    let lang = login.lang;
    let task_login = login;
    let options = WaitOptions::default().timeout(shared.options.timeout);
    // A redirect login approved upstream waits a short while for its
    // browser to come back (the provider sends it at once), not the whole
    // timeout: an approval nobody returns from frees its place soon.
    let return_wait = (shared.options.timeout / 5).min(RETURN_HOLD);
    tokio::spawn(async move {
        let login = task_login;
        let mut updates = std::pin::pin!(session.updates_with(options));
        while let Some(item) = updates.next().await {
            let status = match item {
                Ok(State::Pending(p)) => {
                    let hint = State::<F>::Pending(p).hint_code();
                    if let Ok(mut last) = login.last_hint.lock() {
                        *last = hint.clone();
                    }
                    login.set_pending_message(pending_message(
                        provider,
                        hint,
                        lang,
                        login.launch(),
                    ));
                    continue;
                }
                Ok(State::Completed(c)) => {
                    if login.return_key.is_some() && !came_back(&login, lang, return_wait).await {
                        let text = T::NotReturned.get(lang).to_string();
                        login.finish(Status::Ended(Failure::Failed(text)));
                        break;
                    }
                    Status::Completed(Box::new(c.to_person(provider)))
                }
                Ok(State::Failed {
                    code, hint_code, ..
                }) => Status::Ended(failure(
                    provider,
                    &code,
                    hint_code.as_ref(),
                    lang,
                    login.launch(),
                )),
                Err(Error::Cancelled) => Status::Ended(cancelled_here(provider, lang)),
                Err(Error::WaitTimeout) => {
                    Status::Ended(Failure::TimedOut(T::TimedOutText.get(lang).to_string()))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "web login: following the session failed");
                    let text = match e {
                        Error::Transport { .. } => T::Unreachable,
                        _ => T::Unknown,
                    };
                    Status::Ended(Failure::Failed(text.get(lang).to_string()))
                }
            };
            login.finish(status);
            break;
        }
    });
}
