//! Finnish Trust Network.

use super::{flow, sessions, starts};
use crate::client::Client;
use crate::operations::Flow;
use crate::raw::types::{self, builder};
use crate::state::{AgeVerification, Ftn};

/// Start an FTN authentication (redirect flow).
///
/// ```
/// let request = identisure::providers::ftn::AuthRequest::default().redirect_url(Some("https://rp.example/done".to_string()));
/// # let _ = request;
/// ```
pub type AuthRequest = builder::FtnAuthRequest;

pub(crate) static AUTH: Flow = flow!(
    "ftn_auth_start",
    "ftn_auth_collect",
    "ftn_auth_cancel",
    ["ftn", "auth"],
    ["ftn", "auth"]
);
pub(crate) static AGE: Flow = flow!(
    "ftn_age_verification_start",
    "ftn_age_verification_collect",
    "ftn_age_verification_cancel",
    ["ftn", "age-verification"],
    ["ftn", "age-verification"]
);
#[cfg(test)]
pub(crate) static FLOWS: &[&Flow] = &[&AUTH, &AGE];

/// Finnish Trust Network operations; from [`Client::ftn`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.ftn();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FtnApi<'a> {
    pub(crate) client: &'a Client,
}

impl FtnApi<'_> {
    starts! {
        /// Starts an authentication; send the user to the PENDING `url`.
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// let session = client.ftn().auth(Default::default()).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        auth(AuthRequest => types::FtnAuthRequest) -> Ftn = AUTH;
        /// Starts an age verification.
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// use identisure::providers::AgeVerificationRequest;
        /// let session = client.ftn().age_verification(AgeVerificationRequest::default().min_age(identisure::age(18)).max_age(identisure::age(130))).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        age_verification(super::AgeVerificationRequest => types::AgeVerificationRequest) -> AgeVerification = AGE;
    }

    sessions! {
        /// An auth session by id.
        ///
        /// ```
        /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
        /// assert!(client.ftn().auth_session("id-1").is_ok());
        /// ```
        auth_session -> Ftn = AUTH;
        /// An age verification session by id.
        ///
        /// ```
        /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
        /// assert!(client.ftn().age_verification_session("id-1").is_ok());
        /// ```
        age_verification_session -> AgeVerification = AGE;
    }
}
