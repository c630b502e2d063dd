//! Vipps MobilePay.

use super::{sessions, starts};
use crate::client::Client;
use crate::operations::{VIPPS_AUTH, VIPPS_BACKCHANNEL_AUTH};
use crate::state::Vipps;

pub use crate::requests::vipps::*;

super::session_types!(Vipps, vipps, "Vipps MobilePay");

/// Vipps MobilePay operations; from [`Client::vipps`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.vipps();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct VippsApi<'a> {
    pub(crate) client: &'a Client,
}

starts! {
    VippsApi = vipps;
    /// Starts a login; send the user to the PENDING `url`.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let session = client.vipps().auth(Default::default()).await?;
    /// println!("{:?}", session.pending().url);
    /// # Ok(()) }
    /// ```
    auth(AuthRequest) -> Vipps = VIPPS_AUTH;
    /// Starts a backchannel login (push to the phone); collected and
    /// cancelled through the auth flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::vipps::BackchannelAuthRequest;
    /// let session = client.vipps().backchannel_auth(BackchannelAuthRequest::default().phone("+4790881716".to_string())).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    backchannel_auth(BackchannelAuthRequest) -> Vipps = VIPPS_BACKCHANNEL_AUTH;
}

sessions! {
    VippsApi = vipps;
    /// An auth (or backchannel auth) session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.vipps().auth_session("id-1").is_ok());
    /// ```
    auth_session -> Vipps = VIPPS_AUTH;
}
