//! Rust client for the Identisure v3 eID API: Swedish BankID, Freja eID,
//! Norwegian BankID, Vipps MobilePay, Danish MitID and the Finnish Trust
//! Network, behind one HTTP API.
//!
//! The path of a request through this crate:
//! `openapi.yaml` → `build.rs` (progenitor) → [`raw`] (the generated client)
//! → the hand-written layer → you.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod codes;
pub mod raw;
mod sensitive;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
mod transport;

pub use codes::{FailureCode, HintCode};
pub use sensitive::{EmptyPersonalNumber, PersonalNumber, QrStartSecret};
pub use transport::{USER_AGENT, http_client_builder};
