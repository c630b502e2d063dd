//! Freja eID.

use super::{flow, sessions, starts};
use crate::client::Client;
use crate::raw::types::{self, builder};
use crate::session::{AgeVerification, Flow, Freja};

/// Start a Freja authentication (`ssn` and `country` required); also used
/// for backchannel auth.
///
/// ```
/// use identisure::raw::types::FrejaCountry;
/// let request = identisure::providers::freja::AuthRequest::default().ssn("199001011234").country(FrejaCountry::Sweden);
/// # let _ = request;
/// ```
pub type AuthRequest = builder::FrejaAuthRequest;
/// Start a Freja signature (`ssn`, `country`, `text`); also used for
/// backchannel sign.
///
/// ```
/// use identisure::raw::types::FrejaCountry;
/// let request = identisure::providers::freja::SignRequest::default()
///     .ssn("199001011234").country(FrejaCountry::Sweden).text("I agree");
/// # let _ = request;
/// ```
pub type SignRequest = builder::FrejaSignRequest;

pub(crate) static AUTH: Flow = flow!(
    "freja_auth_start",
    "freja_auth_collect",
    "freja_auth_cancel",
    ["freja", "auth"],
    ["freja", "auth"]
);
pub(crate) static SIGN: Flow = flow!(
    "freja_sign_start",
    "freja_sign_collect",
    "freja_sign_cancel",
    ["freja", "sign"],
    ["freja", "sign"]
);
pub(crate) static BACKCHANNEL_AUTH: Flow = flow!(
    "freja_backchannel_auth_start",
    "freja_auth_collect",
    "freja_auth_cancel",
    ["freja", "backchannel", "auth"],
    ["freja", "auth"]
);
pub(crate) static BACKCHANNEL_SIGN: Flow = flow!(
    "freja_backchannel_sign_start",
    "freja_sign_collect",
    "freja_sign_cancel",
    ["freja", "backchannel", "sign"],
    ["freja", "sign"]
);
pub(crate) static AGE: Flow = flow!(
    "freja_age_verification_start",
    "freja_age_verification_collect",
    "freja_age_verification_cancel",
    ["freja", "age-verification"],
    ["freja", "age-verification"]
);
#[cfg(test)]
pub(crate) static FLOWS: &[&Flow] = &[&AUTH, &SIGN, &BACKCHANNEL_AUTH, &BACKCHANNEL_SIGN, &AGE];

/// Freja eID operations; from [`Client::freja`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.freja();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FrejaApi<'a> {
    pub(crate) client: &'a Client,
}

impl FrejaApi<'_> {
    starts! {
        /// Starts an authentication (PENDING carries `autoStartToken`, `qrData`).
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// use identisure::providers::freja::AuthRequest;
        /// use identisure::raw::types::FrejaCountry;
        /// let session = client.freja().auth(AuthRequest::default().ssn("199001011234").country(FrejaCountry::Sweden)).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        auth(AuthRequest => types::FrejaAuthRequest) -> Freja = AUTH;
        /// Starts a signature.
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// use identisure::providers::freja::SignRequest;
        /// use identisure::raw::types::FrejaCountry;
        /// let request = SignRequest::default().ssn("199001011234").country(FrejaCountry::Sweden).text("I agree");
        /// let session = client.freja().sign(request).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        sign(SignRequest => types::FrejaSignRequest) -> Freja = SIGN;
        /// Starts a backchannel (push) authentication; collected and cancelled
        /// through the auth flow.
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// use identisure::providers::freja::AuthRequest;
        /// use identisure::raw::types::FrejaCountry;
        /// let session = client.freja().backchannel_auth(AuthRequest::default().ssn("199001011234").country(FrejaCountry::Sweden)).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        backchannel_auth(AuthRequest => types::FrejaAuthRequest) -> Freja = BACKCHANNEL_AUTH;
        /// Starts a backchannel (push) signature; collected and cancelled
        /// through the sign flow.
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// use identisure::providers::freja::SignRequest;
        /// use identisure::raw::types::FrejaCountry;
        /// let request = SignRequest::default().ssn("199001011234").country(FrejaCountry::Sweden).text("I agree");
        /// let session = client.freja().backchannel_sign(request).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        backchannel_sign(SignRequest => types::FrejaSignRequest) -> Freja = BACKCHANNEL_SIGN;
        /// Starts an age verification.
        ///
        /// ```no_run
        /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
        /// use identisure::providers::AgeVerificationRequest;
        /// let session = client.freja().age_verification(AgeVerificationRequest::default().min_age(18u64).max_age(130u64)).await?;
        /// # let _ = session; Ok(()) }
        /// ```
        age_verification(super::AgeVerificationRequest => types::AgeVerificationRequest) -> AgeVerification = AGE;
    }

    sessions! {
        /// An auth (or backchannel auth) session by id.
        ///
        /// ```
        /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
        /// assert!(client.freja().auth_session("id-1").is_ok());
        /// ```
        auth_session -> Freja = AUTH;
        /// A sign (or backchannel sign) session by id.
        ///
        /// ```
        /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
        /// assert!(client.freja().sign_session("id-1").is_ok());
        /// ```
        sign_session -> Freja = SIGN;
        /// An age verification session by id.
        ///
        /// ```
        /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
        /// assert!(client.freja().age_verification_session("id-1").is_ok());
        /// ```
        age_verification_session -> AgeVerification = AGE;
    }
}
