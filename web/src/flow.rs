//! Starting a session for a provider, and following it to its end.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt as _;
use tokio::sync::watch;

use super::Provider;
use super::store::{CancelFn, Failure, Login, Shared, Status, View};
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
            let started = Instant::now();
            let pending = session.pending();
            let Ok(qr) = BankIdQr::from_pending(pending, started) else {
                tracing::warn!("web login: the BankID start answer has no QR data");
                let _ = session.cancel().await;
                return Err(StartError {
                    message: T::StartFailedText.get(lang).to_string(),
                });
            };
            let view = View::BankIdSe {
                qr: crate::login::AnimatedQr::new(qr),
                auto_start_token: pending.auto_start_token.clone().filter(|t| !t.is_empty()),
            };
            Ok(follow(shared, request, session, view))
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
            let view = View::Freja { qr_svg, app_link };
            Ok(follow(shared, request, session, view))
        }
        Provider::BankIdNo => {
            let body = identisure::providers::bankid_no::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.bankid_no().auth(body).await.map_err(err)?;
            let p = session.pending();
            let view = redirect_view(p.url.clone(), p.binding_message.clone());
            Ok(follow(shared, request, session, view))
        }
        Provider::Vipps => {
            let body = identisure::providers::vipps::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.vipps().auth(body).await.map_err(err)?;
            let view = redirect_view(session.pending().url.clone(), None);
            Ok(follow(shared, request, session, view))
        }
        Provider::MitId => {
            let body = identisure::providers::mitid::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.mitid().auth(body).await.map_err(err)?;
            let p = session.pending();
            let view = redirect_view(p.url.clone(), p.binding_message.clone());
            Ok(follow(shared, request, session, view))
        }
        Provider::Ftn => {
            let body = identisure::providers::ftn::AuthRequest::default()
                .set_redirect_url(redirect)
                .set_ref_id(ref_id)
                .set_callback_url(callback);
            let session = client.ftn().auth(body).await.map_err(err)?;
            let view = redirect_view(session.pending().url.clone(), None);
            Ok(follow(shared, request, session, view))
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

fn redirect_view(url: Option<String>, binding_message: Option<String>) -> View {
    View::Redirect {
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

/// Registers the login and spawns the task that collects its session.
fn follow<F: Family>(
    shared: &Arc<Shared>,
    request: &StartRequest,
    session: Started<F>,
    view: View,
) -> Arc<Login>
where
    F::Completed: ToPerson,
{
    let provider = request.provider;
    let lang = request.lang;
    let first_hint = State::<F>::Pending(session.pending().clone()).hint_code();
    let session = session.into_session();
    let first = pending_message(provider, first_hint.clone(), lang, LaunchMethod::QrCode);
    let canceller = session.clone();
    let cancel: CancelFn = Box::new(move || {
        let s = canceller.clone();
        Box::pin(async move { s.cancel().await })
    });
    let login = Arc::new(Login {
        provider,
        lang,
        created: Instant::now(),
        view,
        status: watch::Sender::new(Status::Pending(first)),
        cancel,
        browser_key: super::store::new_id(),
        return_key: provider.redirects().then(|| request.return_key.clone()),
        returned: watch::Sender::new(false),
        client: request.client.clone(),
        handed_over: std::sync::atomic::AtomicU8::new(super::store::HOOK_IDLE),
        return_used: std::sync::atomic::AtomicBool::new(false),
        streams: std::sync::atomic::AtomicUsize::new(0),
        autostarted: std::sync::atomic::AtomicBool::new(false),
        last_hint: std::sync::Mutex::new(first_hint),
    });
    let task_login = login.clone();
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
    login
}
