//! Rust client for the Identisure v3 eID API: Swedish BankID, Freja eID,
//! Norwegian BankID, Vipps MobilePay, Danish MitID and the Finnish Trust
//! Network, behind one HTTP API.
//!
//! The path of a request through this crate:
//! `openapi.yaml` → `build.rs` (progenitor) → [`raw`] (the generated client)
//! → the hand-written layer → you.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod callback;
mod codes;
pub mod launch;
pub mod messages;
pub mod national_id;
pub mod qr;
pub mod raw;
mod sensitive;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
mod transport;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web_login;

pub use codes::{FailureCode, HintCode};
pub use sensitive::{EmptyPersonalNumber, PersonalNumber, QrStartSecret};
pub use transport::{USER_AGENT, http_client_builder};

// client layer (issue 4)
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
mod error;
mod poll;
pub mod providers;
mod session;
mod validate;
pub use validate::{Text, text};

pub use client::{
    Client, ClientBuilder, CollectLimit, DEFAULT_MAX_RESPONSE_BYTES, Environment, SecretKey,
};
pub use error::{Error, Result, TransportKind};
pub use poll::{MIN_COLLECT_INTERVAL, WaitOptions};
pub use session::{
    AgeVerification, BankIdNo, BankIdSe, Family, Freja, Ftn, MitId, Outcome, Session, State, Vipps,
};

// scale (issue 12)
pub mod notifier;
pub use client::DEFAULT_MAX_IN_FLIGHT;
pub use notifier::Notifier;
