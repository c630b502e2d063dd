//! Per-provider entry points: `client.bankid_se()`, `client.freja()`,
//! `client.bankid_no()`, `client.vipps()`, `client.mitid()`, `client.ftn()`
//! and `client.documents()`.
//!
//! Each provider's module holds its request builders, generated from
//! `openapi.yaml`: `Default`, then a setter per field taking the value as
//! you write it, documented with the field's description and rules.
//!
//! ```
//! use identisure::providers::{AgeVerificationRequest, bankid_se};
//!
//! let who = String::from("198704122384");
//! let login = bankid_se::AuthRequest::default().intent("Log in to Example").ref_id("order-17").pin_required(true);
//! let sign = bankid_se::SignRequest::default().ssn(who).text(format!("Order {}", 17)).callback_url("https://rp.example/cb");
//! let adults = AgeVerificationRequest::default().min_age(18);
//! # let _ = (login, sign, adults);
//! ```
//!
//! The rules are checked before anything is sent: a request breaking one
//! is an [`crate::Error::InvalidRequest`] naming the field and the rule.

use crate::client::Client;
use crate::error::Result;
use crate::operations::Flow;
use crate::requests::Request;
use crate::session::{Session, Started};
use crate::state::Family;

pub mod bankid_no;
pub mod bankid_se;
pub mod documents;
pub mod freja;
pub mod ftn;
pub mod mitid;
pub mod vipps;

pub use bankid_no::BankIdNoApi;
pub use bankid_se::BankIdSeApi;
pub use documents::DocumentsApi;
pub use freja::FrejaApi;
pub use ftn::FtnApi;
pub use mitid::MitIdApi;
pub use vipps::VippsApi;

pub use crate::requests::AgeVerificationRequest;

/// Checks a request and starts a session with it (one POST, never retried).
pub(crate) async fn start<F: Family, R: Request>(
    client: &Client,
    flow: &'static Flow,
    request: &R,
) -> Result<Started<F>> {
    let body = crate::requests::body(request)?;
    Session::start(client, flow, body).await
}

/// A session handle for an id obtained elsewhere (a callback, a database).
pub(crate) fn attach<F: Family>(
    client: &Client,
    flow: &'static Flow,
    id: &str,
) -> Result<Session<F>> {
    crate::validate::id(id)?;
    Ok(Session::new(
        client.clone(),
        flow,
        crate::poll::Known::Attached(id.into()),
    ))
}

/// Names a family's session types in its provider's module:
/// `Pending`, `Completed` and `Failed` (the generated types of
/// `raw::types`, as the family declares them in `state.rs`).
macro_rules! session_types {
    ($family:ident, $module:ident, $who:literal) => {
        #[doc = concat!("The PENDING data of a ", $who, " session, as [`crate::Session::pending`] gives it (`<", stringify!($family), " as Family>::Pending`).")]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use identisure::providers::", stringify!($module), "::Pending;")]
        #[doc = "fn session_id(pending: &Pending) -> &str {"]
        #[doc = "    &pending.id"]
        #[doc = "}"]
        #[doc = "```"]
        #[doc = ""]
        #[doc = concat!("Its fields: [`raw::types::", stringify!($family), "Pending`](crate::raw::types::", stringify!($family), "Pending).")]
        pub type Pending = <$crate::$family as $crate::Family>::Pending;

        #[doc = concat!("The data of a completed ", $who, " session: what [`crate::Outcome::Completed`] holds (`<", stringify!($family), " as Family>::Completed`). Its personal fields are [`crate::PersonalText`] (redacted when printed).")]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use identisure::providers::", stringify!($module), "::Completed;")]
        #[doc = concat!("use identisure::{Outcome, ", stringify!($family), "};")]
        #[doc = ""]
        #[doc = concat!("fn completed(outcome: Outcome<", stringify!($family), ">) -> Option<Completed> {")]
        #[doc = "    match outcome {"]
        #[doc = "        Outcome::Completed(completed) => Some(*completed),"]
        #[doc = "        Outcome::Failed { .. } => None,"]
        #[doc = "    }"]
        #[doc = "}"]
        #[doc = "```"]
        #[doc = ""]
        #[doc = concat!("Its fields: [`raw::types::", stringify!($family), "Completed`](crate::raw::types::", stringify!($family), "Completed).")]
        pub type Completed = <$crate::$family as $crate::Family>::Completed;

        #[doc = concat!("The whole FAILED answer of a ", $who, " session: the `details` of [`crate::Outcome::Failed`] (`<", stringify!($family), " as Family>::Failed`).")]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use identisure::providers::", stringify!($module), "::Failed;")]
        #[doc = "fn provider_error(failed: &Failed) -> &str {"]
        #[doc = "    &failed.error"]
        #[doc = "}"]
        #[doc = "```"]
        #[doc = ""]
        #[doc = concat!("Its fields: [`raw::types::", stringify!($family), "Failed`](crate::raw::types::", stringify!($family), "Failed).")]
        pub type Failed = <$crate::$family as $crate::Family>::Failed;
    };
}
pub(crate) use session_types;

/// Defines the typed starts of a provider API, once: the async methods of
/// `$api` and, with the `blocking` feature, those of `blocking::$api`.
macro_rules! starts {
    ($api:ident = $accessor:ident; $( $(#[$m:meta])* $name:ident($req:ty) -> $fam:ty = $flow:expr; )*) => {
        impl $api<'_> {
            $(
                $(#[$m])*
                pub async fn $name(&self, request: $req) -> $crate::Result<$crate::Started<$fam>> {
                    $crate::providers::start::<$fam, $req>(self.client, &$flow, &request).await
                }
            )*
        }

        #[cfg(feature = "blocking")]
        impl $crate::blocking::$api<'_> {
            $(
                #[doc = concat!("Blocking [`crate::providers::", stringify!($api), "::", stringify!($name), "`]: starts a session (one POST, never retried).")]
                ///
                /// ```no_run
                /// # fn run(client: identisure::blocking::Client) -> identisure::Result<()> {
                #[doc = concat!("let session = client.", stringify!($accessor), "().", stringify!($name), "(Default::default())?;")]
                /// let outcome = session.wait(identisure::WaitOptions::default())?;
                /// # let _ = outcome; Ok(()) }
                /// ```
                pub fn $name(&self, request: $req) -> $crate::Result<$crate::blocking::Started<$fam>> {
                    self.client.block_start(self.client.inner().$accessor().$name(request))
                }
            )*
        }
    };
}

/// Defines the attach-by-id methods of a provider API, once: on `$api`
/// and, with the `blocking` feature, on `blocking::$api`.
macro_rules! sessions {
    ($api:ident = $accessor:ident; $( $(#[$m:meta])* $name:ident -> $fam:ty = $flow:expr; )*) => {
        impl $api<'_> {
            $(
                $(#[$m])*
                pub fn $name(&self, id: &str) -> $crate::Result<$crate::Session<$fam>> {
                    $crate::providers::attach::<$fam>(self.client, &$flow, id)
                }
            )*
        }

        #[cfg(feature = "blocking")]
        impl $crate::blocking::$api<'_> {
            $(
                #[doc = concat!("Blocking [`crate::providers::", stringify!($api), "::", stringify!($name), "`]: a session by id.")]
                ///
                /// ```
                /// let c = identisure::blocking::Client::new(identisure::Client::builder().credentials("a", "s").build().unwrap()).unwrap();
                #[doc = concat!("assert_eq!(c.", stringify!($accessor), "().", stringify!($name), "(\"x\").unwrap().id(), \"x\");")]
                /// ```
                pub fn $name(&self, id: &str) -> $crate::Result<$crate::blocking::Session<$fam>> {
                    self.client.attached(self.client.inner().$accessor().$name(id))
                }
            )*
        }
    };
}

pub(crate) use {sessions, starts};

impl Client {
    /// Swedish BankID: auth, sign, phone auth/sign, verify, age verification.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use identisure::providers::bankid_se::SignRequest;
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// // Invalid requests are refused before anything is sent:
    /// let err = client.bankid_se().sign(SignRequest::default()).await.unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `text` is required");
    /// # }
    /// ```
    pub fn bankid_se(&self) -> BankIdSeApi<'_> {
        BankIdSeApi { client: self }
    }

    /// Freja eID: auth, sign, backchannel auth/sign, age verification.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use identisure::providers::freja::BackchannelAuthRequest;
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// // A push to the app needs the person: `ssn` and `country`.
    /// let err = client.freja().backchannel_auth(BackchannelAuthRequest::default()).await.unwrap_err();
    /// assert!(matches!(err, identisure::Error::InvalidRequest { ref field, .. } if field == "country"));
    /// # }
    /// ```
    pub fn freja(&self) -> FrejaApi<'_> {
        FrejaApi { client: self }
    }

    /// Norwegian BankID: auth, sign, backchannel auth, age verification.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let session = client.bankid_no().auth_session("known-id").unwrap();
    /// assert_eq!(session.id(), "known-id");
    /// ```
    pub fn bankid_no(&self) -> BankIdNoApi<'_> {
        BankIdNoApi { client: self }
    }

    /// Vipps MobilePay: auth, backchannel auth.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// assert!(client.vipps().auth_session("").is_err());
    /// ```
    pub fn vipps(&self) -> VippsApi<'_> {
        VippsApi { client: self }
    }

    /// MitID: auth, sign, backchannel auth, age verification.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let _api = client.mitid();
    /// ```
    pub fn mitid(&self) -> MitIdApi<'_> {
        MitIdApi { client: self }
    }

    /// Finnish Trust Network: auth, age verification.
    ///
    /// ```
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let _api = client.ftn();
    /// ```
    pub fn ftn(&self) -> FtnApi<'_> {
        FtnApi { client: self }
    }

    /// Documents to sign with Norwegian BankID: upload a PDF, read it back.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let err = client.documents().upload(b"not a pdf".to_vec()).await.unwrap_err();
    /// assert!(matches!(err, identisure::Error::InvalidRequest { ref field, .. } if field == "file"));
    /// # }
    /// ```
    pub fn documents(&self) -> DocumentsApi<'_> {
        DocumentsApi { client: self }
    }
}
