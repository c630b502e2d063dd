//! Freja eID.

use super::{AgeVerificationRequest, sessions, starts};
use crate::client::Client;
use crate::operations::{
    FREJA_AGE_VERIFICATION, FREJA_AUTH, FREJA_BACKCHANNEL_AUTH, FREJA_BACKCHANNEL_SIGN, FREJA_SIGN,
};
use crate::state::{AgeVerification, Freja};

pub use crate::requests::freja::*;

super::session_types!(Freja, freja, "Freja eID");

/// Values of `country` (the country of the person's Freja identity document):
/// upper-case English names. The API document lists these four; the official
/// Rust client offers every country (`GERMANY`, `UNITED_KINGDOM` …), and any
/// non-empty name is sent as it is.
///
/// ```
/// use identisure::providers::freja::country;
/// assert_eq!([country::SWEDEN, country::NORWAY, country::DENMARK, country::FINLAND],
///            ["SWEDEN", "NORWAY", "DENMARK", "FINLAND"]);
/// ```
pub mod country {
    /// Sweden.
    pub const SWEDEN: &str = "SWEDEN";
    /// Norway.
    pub const NORWAY: &str = "NORWAY";
    /// Denmark.
    pub const DENMARK: &str = "DENMARK";
    /// Finland.
    pub const FINLAND: &str = "FINLAND";

    use crate::national_id::Country;

    /// The `country` value of a person whose number is of `country`.
    ///
    /// ```
    /// use identisure::national_id::{Country, NationalId};
    /// use identisure::providers::freja::{AuthRequest, country};
    ///
    /// let id = NationalId::parse(Country::Fi, "131052-308T")?;
    /// let request = AuthRequest::default().country(country::of(id.country())).ssn(id);
    /// assert_eq!(country::of(Country::Fi), country::FINLAND);
    /// # let _ = request; Ok::<(), identisure::national_id::NationalIdError>(())
    /// ```
    pub fn of(country: Country) -> &'static str {
        match country {
            Country::Se => SWEDEN,
            Country::No => NORWAY,
            Country::Dk => DENMARK,
            Country::Fi => FINLAND,
        }
    }

    /// The country of a `country` value, when it is one of the four above
    /// (exactly as the API spells it; Freja also knows countries whose
    /// numbers this crate does not read, which give `None`).
    ///
    /// ```
    /// use identisure::{national_id::Country, providers::freja::country};
    /// assert_eq!(country::parse("FINLAND"), Some(Country::Fi));
    /// assert_eq!(country::parse("ESTONIA"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Country> {
        Country::ALL.into_iter().find(|c| of(*c) == value)
    }
}

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

starts! {
    FrejaApi = freja;
    /// Starts an authentication (PENDING carries `autoStartToken`, `qrData`);
    /// with `ssn`, only that person can answer.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::freja::AuthRequest;
    /// let session = client.freja().auth(AuthRequest::default()).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    auth(AuthRequest) -> Freja = FREJA_AUTH;
    /// Starts a signature.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::freja::SignRequest;
    /// let session = client.freja().sign(SignRequest::default().text("I agree")).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    sign(SignRequest) -> Freja = FREJA_SIGN;
    /// Starts a backchannel (push) authentication; collected and cancelled
    /// through the auth flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::freja::{BackchannelAuthRequest, country};
    /// let request = BackchannelAuthRequest::default().ssn("199001011234").country(country::SWEDEN);
    /// let session = client.freja().backchannel_auth(request).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    backchannel_auth(BackchannelAuthRequest) -> Freja = FREJA_BACKCHANNEL_AUTH;
    /// Starts a backchannel (push) signature; collected and cancelled
    /// through the sign flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::freja::{BackchannelSignRequest, country};
    /// let request = BackchannelSignRequest::default().ssn("199001011234").country(country::SWEDEN).text("I agree");
    /// let session = client.freja().backchannel_sign(request).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    backchannel_sign(BackchannelSignRequest) -> Freja = FREJA_BACKCHANNEL_SIGN;
    /// Starts an age verification.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::AgeVerificationRequest;
    /// let session = client.freja().age_verification(AgeVerificationRequest::default().min_age(18).max_age(130)).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    age_verification(AgeVerificationRequest) -> AgeVerification = FREJA_AGE_VERIFICATION;
}

sessions! {
    FrejaApi = freja;
    /// An auth (or backchannel auth) session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.freja().auth_session("id-1").is_ok());
    /// ```
    auth_session -> Freja = FREJA_AUTH;
    /// A sign (or backchannel sign) session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.freja().sign_session("id-1").is_ok());
    /// ```
    sign_session -> Freja = FREJA_SIGN;
    /// An age verification session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.freja().age_verification_session("id-1").is_ok());
    /// ```
    age_verification_session -> AgeVerification = FREJA_AGE_VERIFICATION;
}
