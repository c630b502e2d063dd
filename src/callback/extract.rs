//! The axum extractor (feature `axum`).

use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{CallbackError, CallbackSecret, SIGNATURE_HEADER, verify_callback};

/// An axum extractor for a verified, parsed callback body (feature `axum`).
///
/// It reads the raw body, checks `X-Signature-SHA256` against the
/// [`CallbackSecret`] taken from the router state, and only then parses the
/// JSON as `T`. The secret comes from the state through
/// [`FromRef`]: put a `CallbackSecret` in your state struct and derive or
/// implement `FromRef` for it (or use the secret itself as the state).
///
/// Rejections ([`CallbackRejection`]): `401 Unauthorized` for a missing,
/// malformed or wrong signature, `400 Bad Request` for a genuine body that
/// is not a `T`, and axum's own answer when the body cannot be read (e.g.
/// `413` over the body limit). The response text never repeats the body.
///
/// ```
/// use axum::{Router, extract::FromRef, http::StatusCode, routing::post};
/// use identisure::callback::{CallbackSecret, VerifiedCallback};
/// use identisure::{BankIdSe, State};
///
/// #[derive(Clone)]
/// struct AppState {
///     callback_secret: CallbackSecret,
/// }
///
/// impl FromRef<AppState> for CallbackSecret {
///     fn from_ref(state: &AppState) -> Self {
///         state.callback_secret.clone()
///     }
/// }
///
/// async fn on_callback(VerifiedCallback(state): VerifiedCallback<State<BankIdSe>>) -> StatusCode {
///     match state {
///         State::Completed(person) => { /* hand `person` to a queue; answer fast */ let _ = person; }
///         State::Failed { code, .. } => { let _ = code; }
///         State::Pending(_) => {}
///     }
///     StatusCode::NO_CONTENT
/// }
///
/// let app: Router = Router::new()
///     .route("/bankid/callback", post(on_callback))
///     .with_state(AppState { callback_secret: CallbackSecret::new("account-secret") });
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedCallback<T>(pub T);

/// Why [`VerifiedCallback`] refused a request.
///
/// ```
/// use axum::response::IntoResponse;
/// use identisure::callback::{CallbackError, CallbackRejection};
///
/// let response = CallbackRejection::Invalid(CallbackError::WrongSignature).into_response();
/// assert_eq!(response.status(), 401);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CallbackRejection {
    /// The signature or the body was refused.
    Invalid(CallbackError),
    /// The body could not be read.
    Body(axum::extract::rejection::BytesRejection),
}

impl fmt::Display for CallbackRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => e.fmt(f),
            Self::Body(e) => write!(f, "cannot read the callback body: {e}"),
        }
    }
}

impl std::error::Error for CallbackRejection {}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Invalid(e) => {
                let status = if e.is_unauthenticated() {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                };
                (status, e.to_string()).into_response()
            }
            Self::Body(e) => e.into_response(),
        }
    }
}

impl<S, T> FromRequest<S> for VerifiedCallback<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
    CallbackSecret: FromRef<S>,
{
    type Rejection = CallbackRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let secret = CallbackSecret::from_ref(state);
        let header = match req.headers().get(SIGNATURE_HEADER) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| CallbackRejection::Invalid(CallbackError::MalformedSignature))?,
            ),
        }
        .map(str::to_owned);
        let body = Bytes::from_request(req, state)
            .await
            .map_err(CallbackRejection::Body)?;
        verify_callback(&secret, header.as_deref(), &body)
            .map(VerifiedCallback)
            .map_err(CallbackRejection::Invalid)
    }
}
