//! Swedish BankID.

use super::{AgeVerificationRequest, sessions, starts};
use crate::client::Client;
use crate::error::Result;
use crate::operations::{
    BANKID_SE_AGE_VERIFICATION, BANKID_SE_AUTH, BANKID_SE_PHONE_AUTH, BANKID_SE_PHONE_SIGN,
    BANKID_SE_SIGN,
};
use crate::state::{AgeVerification, BankIdSe};

pub use crate::requests::bankid_se::*;

super::session_types!(BankIdSe, bankid_se, "Swedish BankID");

/// Swedish BankID operations; from [`Client::bankid_se`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.bankid_se();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BankIdSeApi<'a> {
    pub(crate) client: &'a Client,
}

starts! {
    BankIdSeApi = bankid_se;
    /// Starts an authentication. The PENDING data carries
    /// `autoStartToken`, `qrStartToken` and `qrStartSecret`.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let session = client.bankid_se().auth(Default::default()).await?;
    /// let outcome = session.wait(Default::default()).await?;
    /// # let _ = outcome; Ok(()) }
    /// ```
    auth(AuthRequest) -> BankIdSe = BANKID_SE_AUTH;
    /// Starts a signature.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_se::SignRequest;
    /// let session = client.bankid_se().sign(SignRequest::default().text("I agree")).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    sign(SignRequest) -> BankIdSe = BANKID_SE_SIGN;
    /// Starts an authentication over the phone; collected and cancelled
    /// through the auth flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_se::PhoneAuthRequest;
    /// use identisure::providers::bankid_se::CallInitiator;
    /// let request = PhoneAuthRequest::default().ssn("199001011234").call_initiator(CallInitiator::Rp);
    /// let session = client.bankid_se().phone_auth(request).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    phone_auth(PhoneAuthRequest) -> BankIdSe = BANKID_SE_PHONE_AUTH;
    /// Starts a signature over the phone; collected and cancelled
    /// through the sign flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_se::PhoneSignRequest;
    /// use identisure::providers::bankid_se::CallInitiator;
    /// let request = PhoneSignRequest::default().ssn("199001011234").text("I agree").call_initiator(CallInitiator::User);
    /// let session = client.bankid_se().phone_sign(request).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    phone_sign(PhoneSignRequest) -> BankIdSe = BANKID_SE_PHONE_SIGN;
    /// Starts an age verification.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::AgeVerificationRequest;
    /// let session = client.bankid_se().age_verification(AgeVerificationRequest::default().min_age(18).max_age(130)).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    age_verification(AgeVerificationRequest) -> AgeVerification = BANKID_SE_AGE_VERIFICATION;
}

sessions! {
    BankIdSeApi = bankid_se;
    /// An auth (or phone auth) session by id, to collect or cancel it.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert_eq!(client.bankid_se().auth_session("id-1").unwrap().id(), "id-1");
    /// ```
    auth_session -> BankIdSe = BANKID_SE_AUTH;
    /// A sign (or phone sign) session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.bankid_se().sign_session("id-1").is_ok());
    /// ```
    sign_session -> BankIdSe = BANKID_SE_SIGN;
    /// An age verification session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.bankid_se().age_verification_session("id-1").is_ok());
    /// ```
    age_verification_session -> AgeVerification = BANKID_SE_AGE_VERIFICATION;
}

impl BankIdSeApi<'_> {
    /// Verifies the content of a scanned Swedish ID-card QR code (one POST,
    /// never retried).
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_se::VerifyRequest;
    /// let person = client.bankid_se().verify(VerifyRequest::default().qr_code("…")).await?;
    /// println!("{:?} is {:?}", person.name, person.age);
    /// # Ok(()) }
    /// ```
    pub async fn verify(
        &self,
        request: VerifyRequest,
    ) -> Result<crate::raw::types::BankIdSeVerifyResponse> {
        let typed = crate::requests::typed(&request)?;
        crate::validate::checked(&typed)?;
        let raw = self.client.sending();
        let asked = crate::transport::Asked {
            raw,
            operation: &crate::operations::BANKID_SE_VERIFY,
            id: None,
            attempt: 1,
        };
        crate::transport::call(asked, raw.bankid_se_verify(&typed))
            .await?
            .into_value(|person| person, crate::decode::decode_body)
    }
}
