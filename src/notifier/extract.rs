//! Handing callbacks to a notifier from axum (feature `axum`).

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;

use super::{Delivered, Notifier};
use crate::callback::{CallbackError, CallbackRejection, SIGNATURE_HEADER};

/// An axum extractor that verifies a callback and delivers it to the
/// [`Notifier`] taken from the router state (through [`FromRef`]), so that a
/// wait on its session ends (feature `axum`). Rejections are those of
/// [`crate::callback::VerifiedCallback`]: `401` for a missing, malformed or
/// wrong signature (counted in [`super::NotifierStats::rejected`]), `400`
/// for a genuine body without a session id.
///
/// ```
/// use axum::{Router, http::StatusCode, routing::post};
/// use identisure::Notifier;
/// use identisure::notifier::NotifiedCallback;
///
/// async fn on_callback(NotifiedCallback(delivered): NotifiedCallback) -> StatusCode {
///     tracing::info!(session_id = delivered.session_id(), "callback");
///     StatusCode::NO_CONTENT
/// }
///
/// let notifier = Notifier::new("account-secret".into());
/// let app: Router = Router::new().route("/callback", post(on_callback)).with_state(notifier);
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct NotifiedCallback(pub Delivered);

impl<S> FromRequest<S> for NotifiedCallback
where
    S: Send + Sync,
    Notifier: FromRef<S>,
{
    type Rejection = CallbackRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let notifier = Notifier::from_ref(state);
        let header = match req.headers().get(SIGNATURE_HEADER) {
            None => None,
            Some(value) => match value.to_str() {
                Ok(v) => Some(v.to_owned()),
                Err(_) => {
                    notifier
                        .shared
                        .rejected
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Err(CallbackRejection::Invalid(
                        CallbackError::MalformedSignature,
                    ));
                }
            },
        };
        let body = Bytes::from_request(req, state)
            .await
            .map_err(CallbackRejection::Body)?;
        notifier
            .deliver(&body, header.as_deref())
            .map(NotifiedCallback)
            .map_err(CallbackRejection::Invalid)
    }
}

async fn handle(NotifiedCallback(_): NotifiedCallback) -> StatusCode {
    StatusCode::NO_CONTENT
}

pub(super) fn router(notifier: Notifier, path: &str) -> axum::Router {
    axum::Router::new()
        .route(path, axum::routing::post(handle))
        .with_state(notifier)
}
