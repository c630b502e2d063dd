//! MitID (Denmark).

use super::{AgeVerificationRequest, sessions, starts};
use crate::client::Client;
use crate::operations::{MITID_AGE_VERIFICATION, MITID_AUTH, MITID_BACKCHANNEL_AUTH, MITID_SIGN};
use crate::state::{AgeVerification, MitId};

pub use crate::requests::mitid::*;

super::session_types!(MitId, mitid, "MitID");

/// MitID operations; from [`Client::mitid`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.mitid();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MitIdApi<'a> {
    pub(crate) client: &'a Client,
}

starts! {
    MitIdApi = mitid;
    /// Starts an authentication; send the user to the PENDING `url`.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let session = client.mitid().auth(Default::default()).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    auth(AuthRequest) -> MitId = MITID_AUTH;
    /// Starts a signature.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::mitid::SignRequest;
    /// let session = client.mitid().sign(SignRequest::default().text("I agree")).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    sign(SignRequest) -> MitId = MITID_SIGN;
    /// Starts a backchannel authentication; collected and cancelled
    /// through the auth flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::mitid::BackchannelAuthRequest;
    /// let request = BackchannelAuthRequest::default().ssn("0101901234").binding_message("Example login");
    /// let session = client.mitid().backchannel_auth(request).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    backchannel_auth(BackchannelAuthRequest) -> MitId = MITID_BACKCHANNEL_AUTH;
    /// Starts an age verification.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::AgeVerificationRequest;
    /// let session = client.mitid().age_verification(AgeVerificationRequest::default().min_age(18).max_age(130)).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    age_verification(AgeVerificationRequest) -> AgeVerification = MITID_AGE_VERIFICATION;
}

sessions! {
    MitIdApi = mitid;
    /// An auth (or backchannel auth) session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.mitid().auth_session("id-1").is_ok());
    /// ```
    auth_session -> MitId = MITID_AUTH;
    /// A sign session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.mitid().sign_session("id-1").is_ok());
    /// ```
    sign_session -> MitId = MITID_SIGN;
    /// An age verification session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.mitid().age_verification_session("id-1").is_ok());
    /// ```
    age_verification_session -> AgeVerification = MITID_AGE_VERIFICATION;
}
