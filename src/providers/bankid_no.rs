//! Norwegian BankID.

use super::{AgeVerificationRequest, sessions, starts};
use crate::client::Client;
use crate::error::Result;
use crate::operations::{
    BANKID_NO_AGE_VERIFICATION, BANKID_NO_AUTH, BANKID_NO_BACKCHANNEL_AUTH, BANKID_NO_SIGN,
};
use crate::session::{Session, Started};
use crate::state::{AgeVerification, BankIdNo};

pub use crate::requests::bankid_no::*;

super::session_types!(BankIdNo, bankid_no, "Norwegian BankID");

/// A BankID NO signature: exactly one of a text or documents.
///
/// ```
/// use identisure::providers::bankid_no::{SignRequest, TextSignRequest};
/// let request: SignRequest = TextSignRequest::default().text("I agree").into();
/// assert!(matches!(request, SignRequest::Text(_)));
/// ```
#[derive(Debug, Clone)]
pub enum SignRequest {
    /// Sign a short text.
    Text(TextSignRequest),
    /// Sign uploaded documents.
    Documents(DocumentSignRequest),
}

impl From<TextSignRequest> for SignRequest {
    fn from(r: TextSignRequest) -> Self {
        Self::Text(r)
    }
}

impl From<DocumentSignRequest> for SignRequest {
    fn from(r: DocumentSignRequest) -> Self {
        Self::Documents(r)
    }
}

/// Norwegian BankID operations; from [`Client::bankid_no`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.bankid_no();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BankIdNoApi<'a> {
    pub(crate) client: &'a Client,
}

starts! {
    BankIdNoApi = bankid_no;
    /// Starts an authentication; send the user to the PENDING `url`.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let session = client.bankid_no().auth(Default::default()).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    auth(AuthRequest) -> BankIdNo = BANKID_NO_AUTH;
    /// Starts a backchannel authentication; collected and cancelled
    /// through the auth flow.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_no::BackchannelAuthRequest;
    /// let session = client.bankid_no().backchannel_auth(BackchannelAuthRequest::default().ssn("20123931743")).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    backchannel_auth(BackchannelAuthRequest) -> BankIdNo = BANKID_NO_BACKCHANNEL_AUTH;
    /// Starts an age verification.
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// use identisure::providers::AgeVerificationRequest;
    /// let session = client.bankid_no().age_verification(AgeVerificationRequest::default().min_age(18).max_age(130)).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    age_verification(AgeVerificationRequest) -> AgeVerification = BANKID_NO_AGE_VERIFICATION;
}

sessions! {
    BankIdNoApi = bankid_no;
    /// An auth (or backchannel auth) session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.bankid_no().auth_session("id-1").is_ok());
    /// ```
    auth_session -> BankIdNo = BANKID_NO_AUTH;
    /// A sign session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.bankid_no().sign_session("id-1").is_ok());
    /// ```
    sign_session -> BankIdNo = BANKID_NO_SIGN;
    /// An age verification session by id.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.bankid_no().age_verification_session("id-1").is_ok());
    /// ```
    age_verification_session -> AgeVerification = BANKID_NO_AGE_VERIFICATION;
}

impl BankIdNoApi<'_> {
    /// Starts a signature of a text or of uploaded documents (one POST,
    /// never retried). `documents` must not be empty.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use identisure::providers::bankid_no::DocumentSignRequest;
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let err = client.bankid_no().sign(DocumentSignRequest::default().documents(Vec::<String>::new())).await.unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `documents` must not be empty");
    /// # }
    /// ```
    pub async fn sign(&self, request: impl Into<SignRequest>) -> Result<Started<BankIdNo>> {
        let body = match request.into() {
            SignRequest::Text(r) => crate::requests::body(&r)?,
            SignRequest::Documents(r) => crate::requests::body(&r)?,
        };
        Session::start(self.client, &BANKID_NO_SIGN, body).await
    }
}

#[cfg(feature = "blocking")]
impl crate::blocking::BankIdNoApi<'_> {
    /// Blocking [`BankIdNoApi::sign`]: starts a signature (one POST, never
    /// retried).
    ///
    /// ```no_run
    /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
    /// use identisure::providers::bankid_no::TextSignRequest;
    /// let session = client.bankid_no().sign(TextSignRequest::default().text("I agree"))?;
    /// # let _ = session; Ok(()) }
    /// ```
    pub fn sign(
        &self,
        request: impl Into<SignRequest>,
    ) -> Result<crate::blocking::Started<BankIdNo>> {
        self.client
            .block_start(self.client.inner().bankid_no().sign(request.into()))
    }
}
