//! Wrappers for values that must never be printed: personal numbers and the
//! BankID QR secret. `build.rs` substitutes them for the spec's
//! `PersonalNumber` and `QrStartSecret` schemas, so every generated type that
//! carries one redacts it in `Debug` and `Display`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A national identity number (Swedish personnummer, Norwegian fødselsnummer,
/// Danish CPR, Finnish HETU) as it travels on the wire.
///
/// Personal data: `Debug` and `Display` print `PersonalNumber(<redacted>)`;
/// read the digits with [`PersonalNumber::expose`]. The spec requires it to be
/// non-empty, which construction and deserialization both enforce.
///
/// ```
/// use identisure::PersonalNumber;
///
/// let pn = PersonalNumber::new("199001011234").unwrap();
/// assert_eq!(pn.expose(), "199001011234");
/// assert!(!format!("{pn:?}").contains("1990"));
/// assert!(PersonalNumber::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PersonalNumber(String);

impl PersonalNumber {
    /// Wraps a personal number; fails when it is empty (the spec's `minLength: 1`).
    pub fn new(value: impl Into<String>) -> Result<Self, EmptyPersonalNumber> {
        let value = value.into();
        if value.is_empty() {
            Err(EmptyPersonalNumber)
        } else {
            Ok(Self(value))
        }
    }

    /// The number itself. Everything that prints it is your decision.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The error for an empty [`PersonalNumber`].
///
/// ```
/// let err = identisure::PersonalNumber::new("").unwrap_err();
/// assert_eq!(err.to_string(), "must not be empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyPersonalNumber;

impl fmt::Display for EmptyPersonalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must not be empty")
    }
}

impl std::error::Error for EmptyPersonalNumber {}

impl TryFrom<String> for PersonalNumber {
    type Error = EmptyPersonalNumber;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for PersonalNumber {
    type Error = EmptyPersonalNumber;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&String> for PersonalNumber {
    type Error = EmptyPersonalNumber;
    fn try_from(value: &String) -> Result<Self, Self::Error> {
        Self::new(value.as_str())
    }
}

impl<'de> Deserialize<'de> for PersonalNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::new(value).map_err(|_| serde::de::Error::custom("personal number must not be empty"))
    }
}

impl fmt::Debug for PersonalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalNumber(<redacted>)")
    }
}

impl fmt::Display for PersonalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted personal number>")
    }
}

/// The `qrStartSecret` of a BankID session: the HMAC key of the animated QR
/// code. It must stay on the server; `Debug` and `Display` redact it.
///
/// ```
/// let secret: identisure::QrStartSecret =
///     serde_json::from_str("\"d28db9a7-4cde-429e-a983-359be676944c\"").unwrap();
/// assert_eq!(secret.expose(), "d28db9a7-4cde-429e-a983-359be676944c");
/// assert_eq!(format!("{secret:?}"), "QrStartSecret(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QrStartSecret(String);

impl QrStartSecret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for computing QR frames.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for QrStartSecret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for QrStartSecret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl fmt::Debug for QrStartSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QrStartSecret(<redacted>)")
    }
}

impl fmt::Display for QrStartSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted qr start secret>")
    }
}
