//! The states of a session, as collect (or a callback) reports them: one
//! generic [`State`] and [`Outcome`] for all six providers, and the
//! [`Family`] that says which generated types a provider's states have.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::codes::{FailureCode, HintCode};
use crate::decode::decode_body;
use crate::error::{Error, Result};
use crate::raw::types;
use crate::sensitive::{excerpt, sanitize};

mod sealed {
    use crate::transport::{Asked, Call};

    /// What a family's sessions are started with: the generated methods
    /// of its starts (`OUT_DIR/calls.rs`), found by its types. (Its
    /// collects are built by the hooks: `crate::hooks::collect`.)
    pub trait Sealed: Sized {
        /// Sends the start `asked` names with `body` (checked already).
        fn start<'a>(
            asked: Asked<'a>,
            body: &serde_json::Value,
        ) -> Call<'a, <Self as super::Family>::Pending>
        where
            Self: super::Family;
    }
}

/// The session types of one provider family. Implemented by the marker types
/// [`BankIdSe`], [`Freja`], [`BankIdNo`], [`Vipps`], [`MitId`], [`Ftn`] and
/// [`AgeVerification`]; sealed.
///
/// ```
/// use identisure::{Family, BankIdSe};
/// fn pending_type<F: Family>() -> &'static str { std::any::type_name::<F::Pending>() }
/// assert!(pending_type::<BankIdSe>().ends_with("BankIdSePending"));
/// ```
pub trait Family: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// The PENDING state (QR tokens, URL, binding message …).
    type Pending: DeserializeOwned + fmt::Debug + Clone + Send + Sync + 'static;
    /// The COMPLETED state (the person).
    type Completed: DeserializeOwned + fmt::Debug + Clone + Send + Sync + 'static;
    /// The FAILED state.
    type Failed: DeserializeOwned + fmt::Debug + Clone + Send + Sync + 'static;
    /// Session id of a pending state.
    fn pending_id(pending: &Self::Pending) -> &str;
    /// Progress hint of a pending state (Swedish BankID only).
    fn pending_hint(_pending: &Self::Pending) -> Option<HintCode> {
        None
    }
    /// Failure code and hint of a failed state.
    fn failure(failed: &Self::Failed) -> (FailureCode, Option<HintCode>);
}

macro_rules! family {
    ($(#[$m:meta])* $name:ident, $pending:ident, $completed:ident, $failed:ident, hint: $hint:expr, fhint: $fhint:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;
        impl sealed::Sealed for $name {
            fn start<'a>(
                asked: crate::transport::Asked<'a>,
                body: &serde_json::Value,
            ) -> crate::transport::Call<'a, types::$pending> {
                <types::$pending as crate::transport::Start>::start(asked, body)
            }
        }
        impl Family for $name {
            type Pending = types::$pending;
            type Completed = types::$completed;
            type Failed = types::$failed;
            fn pending_id(pending: &Self::Pending) -> &str {
                &pending.id
            }
            fn pending_hint(pending: &Self::Pending) -> Option<HintCode> {
                #[allow(clippy::redundant_closure_call)]
                ($hint)(pending)
            }
            fn failure(failed: &Self::Failed) -> (FailureCode, Option<HintCode>) {
                #[allow(clippy::redundant_closure_call)]
                (FailureCode::parse(&failed.error), ($fhint)(failed))
            }
        }
    };
}

family!(
    /// Swedish BankID sessions (auth, sign, phone auth/sign).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::BankIdSe>> = None;
    /// ```
    BankIdSe, BankIdSePending, BankIdSeCompleted, BankIdSeFailed,
    hint: |p: &types::BankIdSePending| p.hint_code.as_deref().map(HintCode::parse),
    fhint: |f: &types::BankIdSeFailed| f.hint_code.as_deref().map(HintCode::parse)
);
family!(
    /// Freja eID sessions (auth, sign, backchannel auth/sign).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::Freja>> = None;
    /// ```
    Freja, FrejaPending, FrejaCompleted, FrejaFailed,
    hint: |_: &types::FrejaPending| None,
    fhint: |_: &types::FrejaFailed| None
);
family!(
    /// Norwegian BankID sessions (auth, sign, backchannel auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::BankIdNo>> = None;
    /// ```
    BankIdNo, BankIdNoPending, BankIdNoCompleted, BankIdNoFailed,
    hint: |_: &types::BankIdNoPending| None,
    fhint: |_: &types::BankIdNoFailed| None
);
family!(
    /// Vipps MobilePay sessions (auth, backchannel auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::Vipps>> = None;
    /// ```
    Vipps, VippsPending, VippsCompleted, VippsFailed,
    hint: |_: &types::VippsPending| None,
    fhint: |_: &types::VippsFailed| None
);
family!(
    /// MitID sessions (auth, sign, backchannel auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::MitId>> = None;
    /// ```
    MitId, MitIdPending, MitIdCompleted, MitIdFailed,
    hint: |_: &types::MitIdPending| None,
    fhint: |_: &types::MitIdFailed| None
);
family!(
    /// Finnish Trust Network sessions (auth).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::Ftn>> = None;
    /// ```
    Ftn, FtnPending, FtnCompleted, FtnFailed,
    hint: |_: &types::FtnPending| None,
    fhint: |_: &types::FtnFailed| None
);
family!(
    /// Age verification sessions (every provider offering one).
    ///
    /// ```
    /// let _: Option<identisure::Session<identisure::AgeVerification>> = None;
    /// ```
    AgeVerification, AgeVerificationPending, AgeVerificationCompleted, AgeVerificationFailed,
    hint: |_: &types::AgeVerificationPending| None,
    fhint: |_: &types::AgeVerificationFailed| None
);

/// An address as one line of text, whichever shape the service sent it in
/// (decision `address-shape`: the provider's clients decode a string, our
/// earlier reading was an object; both decode).
///
/// ```
/// use identisure::raw::types::Address;
/// let text: Address = serde_json::from_str(r#""Storgatan 12, 114 51 Stockholm""#).unwrap();
/// assert_eq!(text.one_line().expose(), "Storgatan 12, 114 51 Stockholm");
/// let fields: Address = serde_json::from_str(r#"{"street":"Storgatan 12","postalCode":"114 51","city":"Stockholm"}"#).unwrap();
/// assert_eq!(fields.one_line().expose(), "Storgatan 12, 114 51 Stockholm");
/// // Personal data: printing it directly shows nothing of it.
/// assert_eq!(fields.to_string(), "<redacted address>");
/// assert!(!format!("{fields:?}").contains("Storgatan"));
/// ```
impl types::Address {
    /// The address as one line (`street, postal code city, country`, the
    /// parts the service sent), still redacted when printed.
    ///
    /// ```
    /// use identisure::raw::types::Address;
    /// let a: Address = serde_json::from_str(r#"{"city":"Lund","country":"SE"}"#).unwrap();
    /// assert_eq!(a.one_line().expose(), "Lund, SE");
    /// ```
    pub fn one_line(&self) -> crate::PersonalText {
        match self {
            types::Address::AddressText(text) => text.clone(),
            types::Address::StructuredAddress(a) => {
                let town = [a.postal_code.as_deref(), a.city.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let parts: Vec<&str> = [
                    a.street.as_deref(),
                    Some(town.as_str()),
                    a.country.as_deref(),
                ]
                .into_iter()
                .flatten()
                .filter(|p| !p.is_empty())
                .collect();
                parts.join(", ").into()
            }
        }
    }
}

/// Redacted: an address is personal data (read it with
/// [`types::Address::one_line`]).
impl fmt::Display for types::Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted address>")
    }
}

/// A state of a session, as collect (or a callback) reports it.
///
/// ```
/// use identisure::{BankIdSe, HintCode, State};
///
/// let body = br#"{"id":"s1","status":"PENDING","hintCode":"userSign"}"#;
/// let state = State::<BankIdSe>::from_json(body).unwrap();
/// assert!(matches!(state, State::Pending(ref p) if p.id == "s1"));
/// assert_eq!(state.hint_code(), Some(HintCode::UserSign));
/// ```
#[derive(Debug, Clone)]
pub enum State<F: Family> {
    /// Still waiting for the user.
    Pending(F::Pending),
    /// Done: the person's data.
    Completed(F::Completed),
    /// Ended without success.
    Failed {
        /// Why (unknown codes are kept in [`FailureCode::Unknown`]).
        code: FailureCode,
        /// The last BankID hint; `None` for providers other than Swedish
        /// BankID, and when BankID reported none.
        hint_code: Option<HintCode>,
        /// The whole FAILED body (id, refId …).
        details: F::Failed,
    },
}

/// A state deserializes from a session body the way [`State::from_json`]
/// reads it, so a typed callback receiver needs no `serde_json::Value`
/// (with feature `axum`: `VerifiedCallback<State<BankIdSe>>`). Its error
/// never quotes the body.
///
/// ```
/// use identisure::{BankIdSe, State};
///
/// let state: State<BankIdSe> =
///     serde_json::from_str(r#"{"id":"s1","status":"COMPLETED","name":"Astrid Lindqvist"}"#).unwrap();
/// assert!(matches!(state, State::Completed(ref c) if c.name.as_deref() == Some("Astrid Lindqvist")));
/// let err = serde_json::from_str::<State<BankIdSe>>(r#"{"id":"s1","status":"LOST"}"#).unwrap_err();
/// assert!(err.to_string().contains("LOST"));
/// ```
impl<'de, F: Family> serde::Deserialize<'de> for State<F> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let body = serde_json::to_vec(&value).map_err(serde::de::Error::custom)?;
        decode_state(reqwest::StatusCode::OK, &body).map_err(serde::de::Error::custom)
    }
}

/// How a session ended.
///
/// ```
/// use identisure::{Ftn, FailureCode, Outcome, State};
///
/// let state = State::<Ftn>::from_json(br#"{"id":"s","status":"FAILED","error":"CANCELLED"}"#).unwrap();
/// let outcome = state.into_outcome().unwrap();
/// assert!(matches!(outcome, Outcome::Failed { code: FailureCode::Cancelled, .. }));
/// ```
///
/// The completed data and the failed body are boxed: a session's outcome
/// is what a waiting task returns, and a task's memory is as large as what
/// it returns (the data of a completed session is several hundred bytes,
/// a failed body about a hundred; boxed, the outcome is 56). Fields are
/// read through the box as usual (`person.name`); `*person` moves the data
/// out.
///
/// ```
/// use identisure::{BankIdSe, Outcome, State};
///
/// let body = br#"{"id":"s","status":"COMPLETED","name":"Astrid Lindqvist"}"#;
/// let outcome = State::<BankIdSe>::from_json(body).unwrap().into_outcome().unwrap();
/// let Outcome::Completed(person) = outcome else { unreachable!() };
/// assert_eq!(person.name.as_deref(), Some("Astrid Lindqvist"));
/// let owned: identisure::providers::bankid_se::Completed = *person;
/// # let _ = owned;
/// ```
#[derive(Debug, Clone)]
pub enum Outcome<F: Family> {
    /// The person's data.
    Completed(Box<F::Completed>),
    /// Ended without success.
    Failed {
        /// Why (unknown codes are kept in [`FailureCode::Unknown`]).
        code: FailureCode,
        /// The last BankID hint; `None` for providers other than Swedish
        /// BankID, and when BankID reported none.
        hint_code: Option<HintCode>,
        /// The whole FAILED body (id, refId …), boxed like the completed data.
        details: Box<F::Failed>,
    },
}

impl<F: Family> State<F> {
    /// Parses a session body (a collect answer or a callback body). An
    /// unknown `status` gives [`Error::UnknownStatus`]; a known status with
    /// a broken field gives [`Error::Decode`] naming that field.
    ///
    /// ```
    /// use identisure::{Error, Vipps, State};
    /// let err = State::<Vipps>::from_json(br#"{"id":"s","status":"EXPIRED"}"#).unwrap_err();
    /// assert!(matches!(err, Error::UnknownStatus(ref s) if s == "EXPIRED"));
    /// let err = State::<Vipps>::from_json(br#"{"status":"COMPLETED"}"#).unwrap_err();
    /// assert!(matches!(err, Error::Decode { field: Some(ref f), .. } if f == "id"));
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self> {
        decode_state(reqwest::StatusCode::OK, body)
    }

    /// The BankID hint code of a pending or failed state.
    ///
    /// ```
    /// use identisure::{Freja, State};
    /// let s = State::<Freja>::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert_eq!(s.hint_code(), None);
    /// ```
    pub fn hint_code(&self) -> Option<HintCode> {
        match self {
            State::Pending(p) => F::pending_hint(p),
            State::Failed { hint_code, .. } => hint_code.clone(),
            State::Completed(_) => None,
        }
    }

    /// Whether the session has ended (completed or failed).
    ///
    /// ```
    /// use identisure::{MitId, State};
    /// let s = State::<MitId>::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert!(!s.is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        !matches!(self, State::Pending(_))
    }

    /// The outcome of a final state; `None` while pending.
    ///
    /// ```
    /// use identisure::{BankIdNo, State};
    /// let s = State::<BankIdNo>::from_json(br#"{"id":"s","status":"PENDING"}"#).unwrap();
    /// assert!(s.into_outcome().is_none());
    /// ```
    pub fn into_outcome(self) -> Option<Outcome<F>> {
        match self {
            State::Pending(_) => None,
            State::Completed(c) => Some(Outcome::Completed(Box::new(c))),
            State::Failed {
                code,
                hint_code,
                details,
            } => Some(Outcome::Failed {
                code,
                hint_code,
                details: Box::new(details),
            }),
        }
    }
}

/// The `status` of a JSON object body, when it is not one of the three known.
pub(crate) fn peek_unknown_status(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        status: Option<serde_json::Value>,
    }
    let peek: Peek = serde_json::from_slice(body).ok()?;
    let status = peek.status?;
    let status = status.as_str()?;
    match status {
        "PENDING" | "COMPLETED" | "FAILED" => None,
        other => Some(sanitize(&other.chars().take(64).collect::<String>())),
    }
}

pub(crate) fn decode_state<F: Family>(
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<State<F>> {
    #[derive(serde::Deserialize)]
    struct Peek {
        status: serde_json::Value,
    }
    // Fast path, one pass for the common answer: each variant struct accepts
    // only its own `status` value, so at most one of them parses, and a
    // collect answer is nearly always PENDING (tried first; a parse of the
    // wrong variant stops at its `status`).
    if let Ok(pending) = serde_json::from_slice(body) {
        return Ok(State::Pending(pending));
    }
    if let Ok(completed) = serde_json::from_slice(body) {
        return Ok(State::Completed(completed));
    }
    if let Ok(details) = serde_json::from_slice::<F::Failed>(body) {
        let (code, hint_code) = F::failure(&details);
        return Ok(State::Failed {
            code,
            hint_code,
            details,
        });
    }
    // Slow path, only for a body that none of them accepts, to say why:
    // first only the status (its absence or a wrong type is a Decode error
    // naming `status`), then the variant it names, field by field. The body
    // is read in place (no copy).
    let peek: Peek = decode_body(status, body)?;
    let state = match peek.status.as_str() {
        Some("PENDING") => State::Pending(decode_body(status, body)?),
        Some("COMPLETED") => State::Completed(decode_body(status, body)?),
        Some("FAILED") => {
            let details: F::Failed = decode_body(status, body)?;
            let (code, hint_code) = F::failure(&details);
            State::Failed {
                code,
                hint_code,
                details,
            }
        }
        Some(other) => {
            return Err(Error::UnknownStatus(sanitize(
                &other.chars().take(64).collect::<String>(),
            )));
        }
        None => {
            return Err(Error::Decode {
                status: status.as_u16(),
                field: Some("status".into()),
                detail: "invalid type".into(),
                excerpt: excerpt(body),
            });
        }
    };
    Ok(state)
}
