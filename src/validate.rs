//! Request validation before anything is sent.
//!
//! The spec's constraints (lengths, patterns, required fields, minimums) live
//! in the generated types: building the request runs them, and their error
//! is turned into a field name and a rule here. Only what the generated types
//! cannot express is checked by hand: URLs must be absolute http(s) URLs and
//! `ipAddress` must be an IP address.

use serde::Serialize;

use crate::error::{Error, Result};

/// Builds the typed request from a generated builder (running the spec's
/// constraints) and applies the hand checks; returns the JSON to send.
pub(crate) fn request<B, T>(builder: B) -> Result<serde_json::Value>
where
    T: TryFrom<B, Error = crate::raw::types::error::ConversionError> + Serialize + Rules,
{
    let typed = T::try_from(builder).map_err(|e| {
        let (field, rule) = split_builder_message(&e.to_string());
        Error::InvalidRequest { field, rule }
    })?;
    typed.rules()?;
    checked(&typed)
}

/// The rules of a request type that the spec cannot express (between
/// fields), checked after the generated ones.
pub(crate) trait Rules {
    /// Checks the rules; the default has none.
    fn rules(&self) -> Result<()> {
        Ok(())
    }
}

macro_rules! no_rules_between_fields {
    ($($t:ident),* $(,)?) => {
        $( impl Rules for crate::raw::types::$t {} )*
    };
}

no_rules_between_fields!(
    BankIdSeAuthRequest,
    BankIdSeSignRequest,
    BankIdSePhoneAuthRequest,
    BankIdSePhoneSignRequest,
    BankIdSeVerifyRequest,
    BankIdNoAuthRequest,
    BankIdNoBackchannelAuthRequest,
    BankIdNoTextSignRequest,
    BankIdNoDocumentSignRequest,
    FrejaAuthRequest,
    FrejaSignRequest,
    FrejaBackchannelAuthRequest,
    FrejaBackchannelSignRequest,
    MitIdAuthRequest,
    MitIdSignRequest,
    MitIdBackchannelAuthRequest,
    FtnAuthRequest,
    VippsAuthRequest,
    VippsBackchannelAuthRequest,
);

impl Rules for crate::raw::types::AgeVerificationRequest {
    fn rules(&self) -> Result<()> {
        age_bounds(self.min_age.map(|n| n.get()), self.max_age.map(|n| n.get()))
            .map_err(|(field, rule)| Error::invalid(field, rule))
    }
}

/// Serializes an already typed request and applies the hand checks.
pub(crate) fn checked<T: Serialize>(typed: &T) -> Result<serde_json::Value> {
    let value = serde_json::to_value(typed)
        .map_err(|_| Error::invalid("body", "must serialize to JSON"))?;
    hand_checks(&value)?;
    Ok(value)
}

fn hand_checks(value: &serde_json::Value) -> Result<()> {
    let Some(map) = value.as_object() else {
        return Ok(());
    };
    for field in ["callbackUrl", "redirectUrl"] {
        if let Some(v) = map.get(field).and_then(|v| v.as_str()) {
            let ok = reqwest::Url::parse(v)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                return Err(Error::invalid(field, "must be an absolute http(s) URL"));
            }
        }
    }
    if let Some(v) = map.get("appCallbackUri").and_then(|v| v.as_str())
        && reqwest::Url::parse(v).is_err()
    {
        return Err(Error::invalid("appCallbackUri", "must be an absolute URI"));
    }
    if let Some(v) = map.get("ipAddress").and_then(|v| v.as_str())
        && v.parse::<std::net::IpAddr>().is_err()
    {
        return Err(Error::invalid(
            "ipAddress",
            "must be an IPv4 or IPv6 address",
        ));
    }
    Ok(())
}

/// The bounds of an age verification: at least one, and `maxAge` not below
/// `minAge` (the rule the provider's clients document; decision
/// `age-verification-bounds`). Shared by the client and the simulator.
pub(crate) fn age_bounds(
    min_age: Option<u64>,
    max_age: Option<u64>,
) -> std::result::Result<(), (&'static str, &'static str)> {
    match (min_age, max_age) {
        (None, None) => Err(("minAge, maxAge", "at least one of them is required")),
        (Some(min), Some(max)) if max < min => Err(("maxAge", "must not be less than minAge")),
        _ => Ok(()),
    }
}

/// A session or document id given by the caller: non-empty, at most 200
/// characters, no control characters, and not `.` or `..` (which a URL
/// would read as a path step, reaching another resource than the id's).
pub(crate) fn id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid("id", "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid("id", "must not be `.` or `..`"));
    }
    if id.chars().count() > 200 || id.chars().any(char::is_control) {
        return Err(Error::invalid(
            "id",
            "must be at most 200 printable characters",
        ));
    }
    Ok(())
}

/// Splits a message of the generated builders into the wire field name and
/// a rule: `error converting supplied value for intent: longer than 2000
/// characters` → (`intent`, `must be at most 2000 characters`);
/// `no value supplied for min_age` → (`minAge`, `is required`).
pub(crate) fn split_builder_message(message: &str) -> (String, String) {
    if let Some(field) = message.strip_prefix("no value supplied for ") {
        return (camel(field.trim()), "is required".to_string());
    }
    if let Some(rest) = message.strip_prefix("error converting supplied value for ")
        && let Some((field, cause)) = rest.split_once(": ")
    {
        return (camel(field.trim()), rule(cause.trim()));
    }
    // `id was not initialized`, `conversion to `SessionId` for id failed`
    if let Some(field) = message.strip_suffix(" was not initialized") {
        return (camel(field.trim()), "is required".to_string());
    }
    ("request".to_string(), rule(message))
}

/// Turns the generated constraint messages into rules.
fn rule(cause: &str) -> String {
    let number = |s: &str| {
        s.split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(rest) = cause.strip_prefix("longer than ")
        && let Some(n) = number(rest)
    {
        return format!("must be at most {n} characters");
    }
    if let Some(rest) = cause.strip_prefix("shorter than ")
        && let Some(n) = number(rest)
    {
        return if n <= 1 {
            "must not be empty".to_string()
        } else {
            format!("must be at least {n} characters")
        };
    }
    if let Some(pattern) = cause.strip_prefix("doesn't match pattern ") {
        return format!("must match the pattern {}", pattern.trim_matches('"'));
    }
    if cause.contains("out of range integral type conversion") {
        return "must be at least 1".to_string();
    }
    cause.to_string()
}

/// `min_registration_level` → `minRegistrationLevel`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::types::{self, builder};

    fn invalid<B, T>(b: B) -> (String, String)
    where
        T: TryFrom<B, Error = types::error::ConversionError> + Serialize + Rules,
    {
        match request::<B, T>(b) {
            Err(Error::InvalidRequest { field, rule }) => (field, rule),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn generated_constraints_become_field_and_rule() {
        let long = "x".repeat(2001);
        let intent = types::BankIdSeAuthRequestIntent::try_from(long.as_str());
        assert!(intent.is_err());
        let b = builder::BankIdSeSignRequest::default().text("");
        let _ = b;
        let b = builder::BankIdSeSignRequest::default().text("x".repeat(50_001));
        assert_eq!(
            invalid::<_, types::BankIdSeSignRequest>(b),
            (
                "text".to_string(),
                "must be at most 50000 characters".to_string()
            )
        );
        let b = builder::AgeVerificationRequest::default();
        assert_eq!(
            invalid::<_, types::AgeVerificationRequest>(b),
            (
                "minAge, maxAge".to_string(),
                "at least one of them is required".to_string()
            )
        );
        let b = builder::AgeVerificationRequest::default()
            .min_age(crate::age(30))
            .max_age(crate::age(20));
        assert_eq!(
            invalid::<_, types::AgeVerificationRequest>(b),
            (
                "maxAge".to_string(),
                "must not be less than minAge".to_string()
            )
        );
        for only_one in [
            builder::AgeVerificationRequest::default().min_age(crate::age(18)),
            builder::AgeVerificationRequest::default().max_age(crate::age(17)),
        ] {
            assert!(request::<_, types::AgeVerificationRequest>(only_one).is_ok());
        }
        let b = builder::AgeVerificationRequest::default()
            .min_age(crate::age(0))
            .max_age(crate::age(20));
        assert_eq!(
            invalid::<_, types::AgeVerificationRequest>(b),
            ("minAge".to_string(), "must be at least 1".to_string())
        );
        let b = builder::MitIdSignRequest::default().text("");
        assert_eq!(
            invalid::<_, types::MitIdSignRequest>(b),
            ("text".to_string(), "must not be empty".to_string())
        );
        let b = builder::FrejaBackchannelAuthRequest::default()
            .ssn("")
            .country("SWEDEN");
        assert_eq!(invalid::<_, types::FrejaBackchannelAuthRequest>(b).0, "ssn");
        let b = builder::FrejaBackchannelAuthRequest::default().ssn("198704122384");
        assert_eq!(
            invalid::<_, types::FrejaBackchannelAuthRequest>(b),
            ("country".to_string(), "is required".to_string())
        );
        // A QR start needs neither (decision `freja-qr-without-ssn-country`).
        assert!(
            request::<_, types::FrejaAuthRequest>(builder::FrejaAuthRequest::default()).is_ok()
        );
    }

    #[test]
    fn hand_checks_cover_urls_and_ip() {
        let b = builder::BankIdSeAuthRequest::default().callback_url(Some("/relative".to_string()));
        assert_eq!(
            invalid::<_, types::BankIdSeAuthRequest>(b),
            (
                "callbackUrl".to_string(),
                "must be an absolute http(s) URL".to_string()
            )
        );
        let b =
            builder::FtnAuthRequest::default().redirect_url(Some("ftp://x.example".to_string()));
        assert_eq!(invalid::<_, types::FtnAuthRequest>(b).0, "redirectUrl");
        let b = builder::BankIdSeAuthRequest::default().ip_address(Some("300.1.1.1".to_string()));
        assert_eq!(invalid::<_, types::BankIdSeAuthRequest>(b).0, "ipAddress");
        let ok = builder::BankIdSeAuthRequest::default()
            .callback_url(Some("https://rp.example/cb".to_string()))
            .ip_address(Some("192.0.2.1".to_string()));
        assert!(request::<_, types::BankIdSeAuthRequest>(ok).is_ok());
    }

    #[test]
    fn messages_split() {
        assert_eq!(
            split_builder_message(
                "error converting supplied value for reference_text: doesn't match pattern \"^[^%<]*$\""
            ),
            (
                "referenceText".to_string(),
                "must match the pattern ^[^%<]*$".to_string()
            )
        );
        assert_eq!(split_builder_message("id was not initialized").0, "id");
    }
}

/// A string for an *optional* request field that has rules (BankID `intent`
/// and `digest`, MitID `referenceText`, an optional `ssn`). The generated
/// builders take such fields only as their checked types; wrapping the plain
/// string in [`text`] defers the check to the call, which then refuses the
/// request with [`Error::InvalidRequest`] naming the field and the rule.
/// `Debug` does not print the value (it may be a personal number).
///
/// ```
/// # #[tokio::main] async fn main() {
/// use identisure::{Error, text};
/// use identisure::providers::bankid_se::AuthRequest;
///
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let request = AuthRequest::default().intent(text(&"x".repeat(2001)));
/// let err = client.bankid_se().auth(request).await.unwrap_err();
/// assert!(matches!(err, Error::InvalidRequest { ref field, ref rule }
///     if field == "intent" && rule == "must be at most 2000 characters"));
/// assert_eq!(format!("{:?}", text("199001011234")), "Text(12 chars)");
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Text<'a>(&'a str);

/// Wraps a string for an optional request field; see [`Text`].
///
/// ```
/// use identisure::text;
/// let request = identisure::providers::bankid_se::SignRequest::default()
///     .text("I agree")
///     .digest(text("hidden data"));
/// # let _ = request;
/// ```
pub fn text(value: &str) -> Text<'_> {
    Text(value)
}

impl std::fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Text({} chars)", self.0.chars().count())
    }
}

macro_rules! optional_text {
    ($($t:ident),* $(,)?) => {
        $(
            impl TryFrom<Text<'_>> for Option<crate::raw::types::$t> {
                type Error = crate::raw::types::error::ConversionError;
                fn try_from(value: Text<'_>) -> std::result::Result<Self, Self::Error> {
                    crate::raw::types::$t::try_from(value.0).map(Some)
                }
            }
        )*
    };
}

optional_text!(
    BankIdSeAuthRequestIntent,
    BankIdSePhoneAuthRequestIntent,
    BankIdSeSignRequestDigest,
    BankIdSePhoneSignRequestDigest,
    MitIdAuthRequestReferenceText,
    FrejaCountry,
);

impl TryFrom<Text<'_>> for Option<crate::PersonalNumber> {
    type Error = crate::EmptyPersonalNumber;
    fn try_from(value: Text<'_>) -> std::result::Result<Self, Self::Error> {
        crate::PersonalNumber::new(value.0).map(Some)
    }
}

/// An age bound of an age verification (`minAge`, `maxAge`): both are
/// optional, so the generated builder takes them as `Option<NonZeroU64>`;
/// [`age`] turns a plain number into one, and a 0 is refused when the
/// request is sent ([`Error::InvalidRequest`], `must be at least 1`).
///
/// ```
/// # #[tokio::main] async fn main() {
/// use identisure::{Error, age};
/// use identisure::providers::AgeVerificationRequest;
///
/// let adults = AgeVerificationRequest::default().min_age(age(18));
/// # let _ = adults;
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let err = client.ftn().age_verification(AgeVerificationRequest::default().min_age(age(0))).await.unwrap_err();
/// assert!(matches!(err, Error::InvalidRequest { ref field, ref rule } if field == "minAge" && rule == "must be at least 1"));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Age(u64);

/// An age bound in whole years; see [`Age`].
///
/// ```
/// let teens = identisure::providers::AgeVerificationRequest::default()
///     .min_age(identisure::age(13))
///     .max_age(identisure::age(19));
/// # let _ = teens;
/// ```
pub fn age(years: u64) -> Age {
    Age(years)
}

/// The message of a zero [`Age`].
#[derive(Debug)]
pub struct ZeroAge;

impl std::fmt::Display for ZeroAge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of range integral type conversion attempted")
    }
}

impl TryFrom<Age> for Option<std::num::NonZeroU64> {
    type Error = ZeroAge;
    fn try_from(value: Age) -> std::result::Result<Self, Self::Error> {
        std::num::NonZeroU64::new(value.0).map(Some).ok_or(ZeroAge)
    }
}
