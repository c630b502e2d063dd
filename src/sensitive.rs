//! Wrappers for values that must never be printed: personal numbers, the
//! other personal data of a completed session and the BankID QR secret.
//! `build.rs` substitutes them for the spec's `PersonalNumber` and
//! `QrStartSecret` schemas and for the personal fields of its answers, so
//! every generated type that carries one redacts it in `Debug` and
//! `Display`. And the redaction of server texts before they reach an
//! error, a log or a screen ([`sanitize`], [`excerpt`]): nothing prints a
//! response body as is.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A national identity number (Swedish personnummer, Norwegian fødselsnummer,
/// Danish CPR, Finnish HETU) as it travels on the wire.
///
/// Personal data: `Debug` and `Display` print `PersonalNumber(<redacted>)`;
/// read the digits with [`PersonalNumber::expose`]. The spec requires it to be
/// non-empty: [`PersonalNumber::new`] and deserialization refuse an empty
/// one, and so does a request carrying one built `From` a string.
///
/// ```
/// use identisure::PersonalNumber;
///
/// let pn = PersonalNumber::new("199001011234").unwrap();
/// assert_eq!(pn.expose(), "199001011234");
/// assert!(!format!("{pn:?}").contains("1990"));
/// assert!(PersonalNumber::new("").is_err());
/// let from_text: PersonalNumber = "199001011234".into();
/// assert_eq!(from_text, pn);
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

/// Any string: an empty one is refused when a request carrying it is
/// checked (the request builders' `ssn` setters take `impl Into<PersonalNumber>`).
impl From<String> for PersonalNumber {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// See `From<String>`.
impl From<&str> for PersonalNumber {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// See `From<String>`.
impl From<&String> for PersonalNumber {
    fn from(value: &String) -> Self {
        Self(value.clone())
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

/// Personal data the service reports about a person, other than the
/// personal number: name, birth date, phone, email, address, the provider's
/// person id, the device's IP address, a signature's evidence. Every such
/// field of a completed session is a `PersonalText` (the list is
/// `PERSONAL_FIELDS` in the repository's `build/transforms.rs`).
///
/// `Debug` and `Display` print `<redacted>`, so logging a completed session
/// or an [`Outcome`](crate::Outcome) with `{:?}` does not leak it. Read the
/// text with [`PersonalText::expose`], or as a `str` (it derefs to one, so
/// `person.name.as_deref()` is an `Option<&str>`): printing that is then
/// your explicit choice. It is sent and received as the plain JSON string.
///
/// ```
/// use identisure::PersonalText;
///
/// let name = PersonalText::from("Anna Andersson");
/// assert_eq!(name.expose(), "Anna Andersson");
/// let field: Option<PersonalText> = Some(name.clone());
/// assert_eq!(field.as_deref(), Some("Anna Andersson"));
/// assert_eq!(format!("{name:?}"), "PersonalText(<redacted>)");
/// assert_eq!(name.to_string(), "<redacted>");
/// let decoded: PersonalText = serde_json::from_str("\"Anna Andersson\"").unwrap();
/// assert_eq!(decoded, name);
/// assert_eq!(serde_json::to_string(&name).unwrap(), "\"Anna Andersson\"");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalText(String);

impl PersonalText {
    /// Wraps a text.
    ///
    /// ```
    /// let email = identisure::PersonalText::new("anna@example.se");
    /// assert_eq!(email.to_string(), "<redacted>");
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The text itself. Everything that prints it is your decision.
    ///
    /// ```
    /// let phone = identisure::PersonalText::from("+46701234567");
    /// assert_eq!(phone.expose(), "+46701234567");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The text itself, owned.
    ///
    /// ```
    /// let name = identisure::PersonalText::from("Anna Andersson");
    /// let kept: String = name.into_inner();
    /// assert_eq!(kept, "Anna Andersson");
    /// ```
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl From<String> for PersonalText {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for PersonalText {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl std::ops::Deref for PersonalText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalText(<redacted>)")
    }
}

impl fmt::Display for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
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

/// A server text made safe to print: at most 200 characters, control
/// characters dropped, and every run of six or more digits (a personal
/// number echoed back) masked.
pub(crate) fn sanitize(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_control()).take(200).collect();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '-' || chars[i] == '+')
            {
                i += 1;
            }
            let run = &chars[start..i];
            if run.iter().filter(|c| c.is_ascii_digit()).count() >= 6 {
                out.extend(
                    run.iter()
                        .map(|c| if c.is_ascii_digit() { '#' } else { *c }),
                );
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A short excerpt of a body that could not be decoded, with personal data
/// removed: JSON keeps its keys and shape but every string and number value
/// is replaced; other text keeps at most 80 characters with digits masked.
pub(crate) fn excerpt(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    const MAX: usize = 160;
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => redact_json(v).to_string(),
        Err(_) => mask_tokens(
            &String::from_utf8_lossy(body)
                .chars()
                .take(80)
                .collect::<String>(),
        ),
    };
    let mut short: String = text.chars().take(MAX).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    Some(short)
}

/// Masks every word (run of letters, digits, `-`, `_`) that contains a
/// digit: personal numbers, tokens and secrets, while `Bad Gateway` stays.
fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.extend(std::iter::repeat_n('#', word.chars().count()));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars().filter(|c| !c.is_control()) {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn redact_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(_) | Value::Number(_) => Value::String("…".into()),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    // `status` is no personal data and is what tells states apart.
                    let v = if k == "status" && v.is_string() {
                        v
                    } else {
                        redact_json(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}
