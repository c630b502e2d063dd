//! Finnish Trust Network.

use super::{AgeVerificationRequest, sessions, starts};
use crate::client::Client;
use crate::operations::{FTN_AGE_VERIFICATION, FTN_AUTH};
use crate::state::{AgeVerification, Ftn};

pub use crate::requests::ftn::*;

super::session_types!(Ftn, ftn, "Finnish Trust Network");

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

starts! {
    FtnApi = ftn;
    /// Starts an authentication; send the user to the PENDING `url`.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let session = client.ftn().auth(Default::default()).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    auth(AuthRequest) -> Ftn = FTN_AUTH;
    /// Starts an age verification.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::AgeVerificationRequest;
    /// let session = client.ftn().age_verification(AgeVerificationRequest::default().min_age(18).max_age(130)).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    age_verification(AgeVerificationRequest) -> AgeVerification = FTN_AGE_VERIFICATION;
}

sessions! {
    FtnApi = ftn;
    /// An auth session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.ftn().auth_session("id-1").is_ok());
    /// ```
    auth_session -> Ftn = FTN_AUTH;
    /// An age verification session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.ftn().age_verification_session("id-1").is_ok());
    /// ```
    age_verification_session -> AgeVerification = FTN_AGE_VERIFICATION;
}
