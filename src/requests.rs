//! The request builders users type, generated from `openapi.yaml` by
//! `build.rs` (`build/requests.rs` → `OUT_DIR/requests.rs`) and re-exported
//! by the provider modules (`providers::bankid_se::SignRequest` …), and the
//! one way every one of them becomes a request body: its fields decoded into
//! the generated progenitor type, which runs the spec's rules, then the
//! rules between fields and the hand checks of `validate.rs`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/requests.rs"));

/// A generated request builder.
pub(crate) trait Request {
    /// The generated progenitor type it becomes.
    type Typed: DeserializeOwned + Serialize;
    /// Each field's rules as an error states them, for a value the typed
    /// decode refuses without a rule of its own (wire name, rules).
    const RULES: &'static [(&'static str, &'static str)];
    /// Arrays with a minimum number of items (wire name, minimum), a rule
    /// the generated types do not check.
    const MIN_ITEMS: &'static [(&'static str, usize)];
    /// The fields' patterns, which the generated types do not check.
    const PATTERNS: &'static [Pattern];
    /// The fields the schema requires (wire names).
    const REQUIRED: &'static [&'static str];
    /// The fields that were set, by wire name.
    fn fields(&self) -> serde_json::Map<String, serde_json::Value>;
}

/// The typed request, every rule checked; nothing is sent.
pub(crate) fn typed<R: Request>(request: &R) -> Result<R::Typed> {
    from_json::<R>(&serde_json::Value::Object(request.fields()))
}

/// A JSON body checked as the request `R` is: the client's requests and
/// the simulator's incoming bodies go through the same rules.
pub(crate) fn from_json<R: Request>(body: &serde_json::Value) -> Result<R::Typed> {
    for (field, min) in R::MIN_ITEMS {
        let len = body
            .get(field)
            .and_then(|v| v.as_array())
            .map_or(usize::MAX, Vec::len);
        if len < *min {
            let rule = if *min == 1 {
                "must not be empty".to_string()
            } else {
                format!("must have at least {min} items")
            };
            return Err(Error::invalid(*field, rule));
        }
    }
    for pattern in R::PATTERNS {
        pattern.check(body)?;
    }
    serde_path_to_error::deserialize(body).map_err(|e| refused::<R>(&e))
}

/// A `pattern` of the spec on a request's field: a character class over the
/// whole value, the one shape `build.rs` accepts (`CharPattern` in
/// `build/transforms.rs`). It is checked here rather than by the generated
/// type, which would need a regular-expression engine (`regress`) in every
/// dependent's build for it.
pub(crate) struct Pattern {
    /// The field (wire name).
    pub(crate) field: &'static str,
    /// The rule in words, for the error (`must not contain `%` or `<``).
    pub(crate) rule: &'static str,
    /// Applies to each item of an array of strings.
    pub(crate) each: bool,
    /// `[^…]`: no character of `ranges` may appear.
    pub(crate) negated: bool,
    /// The class, as inclusive ranges.
    pub(crate) ranges: &'static [(char, char)],
    /// `+`: the value must not be empty.
    pub(crate) non_empty: bool,
}

impl Pattern {
    /// Whether `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let in_class = |c: char| self.ranges.iter().any(|&(a, b)| a <= c && c <= b);
        (!self.non_empty || !text.is_empty()) && text.chars().all(|c| in_class(c) != self.negated)
    }

    /// The field of `body` (a string, or each string of an array) checked;
    /// any other value is left to the typed decode, which names its type.
    fn check(&self, body: &serde_json::Value) -> Result<()> {
        let refuse = |field: String| Err(Error::invalid(field, self.rule));
        match body.get(self.field) {
            Some(serde_json::Value::String(text)) if !self.each && !self.matches(text) => {
                refuse(self.field.to_string())
            }
            Some(serde_json::Value::Array(items)) if self.each => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(text) = item.as_str()
                        && !self.matches(text)
                    {
                        return refuse(format!("{}[{i}]", self.field));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// How the body of one JSON operation is checked (a `oneOf` body has one
/// per variant): its wire fields, the fields that pick this variant, and
/// the check.
pub(crate) struct BodyCheck {
    /// Every field the schema names (wire names), with its rules.
    pub(crate) fields: &'static [(&'static str, &'static str)],
    /// The fields the schema requires.
    pub(crate) required: &'static [&'static str],
    /// Decodes the body with the generated type, every rule of the spec
    /// checked; the body as the typed request serializes (the client's own
    /// checks, `validate::hand_checks`, are not applied here).
    pub(crate) check: fn(&serde_json::Value) -> Result<serde_json::Value>,
}

/// The check of `R`, as a function pointer for the table of bodies.
pub(crate) fn check<R: Request>(body: &serde_json::Value) -> Result<serde_json::Value> {
    serde_json::to_value(from_json::<R>(body)?)
        .map_err(|_| Error::invalid("body", "must serialize to JSON"))
}

/// The check of a body among its schema's (one, or a `oneOf`'s variants:
/// the one whose required fields are all there, when exactly one is).
pub(crate) fn pick(
    checks: &'static [BodyCheck],
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<&'static BodyCheck> {
    if let [only] = checks {
        return Ok(only);
    }
    let fits: Vec<&BodyCheck> = checks
        .iter()
        .filter(|c| c.required.iter().all(|f| body.contains_key(*f)))
        .collect();
    match fits.as_slice() {
        [one] => Ok(one),
        _ => {
            let names: Vec<&str> = checks
                .iter()
                .flat_map(|c| c.required.iter().copied())
                .collect();
            Err(Error::invalid(
                names.join(", "),
                "exactly one of them is required",
            ))
        }
    }
}

/// The JSON body of the operation `operation_id`, checked as its typed
/// request (a field the request does not name is refused: it would be
/// dropped); the body to send.
pub(crate) fn checked_body(
    operation_id: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value> {
    let (check, unknown) = body_check(operation_id, body)?;
    if let Some(unknown) = unknown.into_iter().next() {
        return Err(Error::invalid(unknown, "is not a field of this request"));
    }
    let typed = (check.check)(body)?;
    crate::validate::hand_checks(&typed)?;
    Ok(typed)
}

/// The JSON body of the operation `operation_id` read as the spec does:
/// its typed request's rules checked, and the fields it does not name.
pub(crate) fn read_body(
    operation_id: &str,
    body: &serde_json::Value,
) -> Result<(serde_json::Value, Vec<String>)> {
    let (check, unknown) = body_check(operation_id, body)?;
    Ok(((check.check)(body)?, unknown))
}

/// The check of a body of `operation_id`, and the body's fields it does
/// not name.
fn body_check(
    operation_id: &str,
    body: &serde_json::Value,
) -> Result<(&'static BodyCheck, Vec<String>)> {
    let Some(map) = body.as_object() else {
        return Err(Error::invalid("body", "must be a JSON object"));
    };
    let checks = body_checks(operation_id);
    if checks.is_empty() {
        return Err(Error::invalid("body", "this operation takes no JSON body"));
    }
    let check = pick(checks, map)?;
    let unknown = map
        .keys()
        .filter(|k| !check.fields.iter().any(|(f, _)| f == k))
        .cloned()
        .collect();
    Ok((check, unknown))
}

/// The JSON body of a request, every rule checked.
pub(crate) fn body<R: Request>(request: &R) -> Result<serde_json::Value> {
    crate::validate::checked(&typed(request)?)
}

/// The field and rule of a value the typed decode refused. The rule comes
/// from the generated check's message when it names one, else from the
/// field's rules; never from serde's text, which may quote the value.
fn refused<R: Request>(e: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    let message = e.inner().to_string();
    if let Some(field) = crate::decode::missing_field(&message) {
        return Error::invalid(field, "is required");
    }
    let path = e.path().to_string();
    let field = if path == "." { "request".into() } else { path };
    let top = field.split(['[', '.']).next().unwrap_or_default();
    // serde's "invalid type: string \"yes\", expected a boolean": only what
    // was expected is shown, never what was sent.
    let expected = message
        .split_once(", expected ")
        .map(|(_, expected)| format!("must be {expected}"));
    let rule = crate::validate::known_rule(&message)
        .or(expected)
        .unwrap_or_else(|| {
            R::RULES
                .iter()
                .find(|(name, _)| *name == top)
                .map(|(_, rules)| rules.to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "is invalid".to_string())
        });
    Error::InvalidRequest { field, rule }
}

/// A set field as JSON (every field type serializes).
pub(crate) fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// How `Debug` shows a text field: its length, never its content (a sign
/// text may name the person).
pub(crate) struct Chars(pub(crate) usize);

impl std::fmt::Debug for Chars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} chars>", self.0)
    }
}

/// How `Debug` shows a list field: its length.
pub(crate) struct Items(pub(crate) usize);

impl std::fmt::Debug for Items {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} items>", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{AgeVerificationRequest, bankid_no, bankid_se, freja, ftn, mitid};

    fn refused<R: Request>(request: R) -> (String, String) {
        match body(&request) {
            Err(Error::InvalidRequest { field, rule }) => (field, rule),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    fn pair(field: &str, rule: &str) -> (String, String) {
        (field.to_string(), rule.to_string())
    }

    #[test]
    fn the_specs_rules_are_checked_with_the_field_and_rule_named() {
        let long = bankid_se::SignRequest::default().text("x".repeat(50_001));
        assert_eq!(
            refused(long),
            pair("text", "must be at most 50000 characters")
        );
        assert_eq!(
            refused(bankid_se::SignRequest::default()),
            pair("text", "is required")
        );
        assert_eq!(
            refused(bankid_se::AuthRequest::default().intent("")),
            pair("intent", "must not be empty")
        );
        assert_eq!(
            refused(mitid::SignRequest::default().text("")),
            pair("text", "must not be empty")
        );
        assert_eq!(
            refused(
                freja::BackchannelAuthRequest::default()
                    .ssn("")
                    .country("SWEDEN")
            ),
            pair("ssn", "must not be empty")
        );
        assert_eq!(
            refused(freja::BackchannelAuthRequest::default().ssn("198704122384")),
            pair("country", "is required")
        );
        // A QR start needs neither (decision `freja-qr-without-ssn-country`).
        assert!(body(&freja::AuthRequest::default()).is_ok());
        assert_eq!(
            refused(bankid_no::DocumentSignRequest::default().documents(Vec::<String>::new())),
            pair("documents", "must not be empty")
        );
        assert_eq!(
            refused(bankid_no::DocumentSignRequest::default().documents([""])).1,
            "must not be empty"
        );
    }

    #[test]
    fn age_bounds() {
        // Both optional and unrelated (decision `age-verification-bounds`).
        assert!(body(&AgeVerificationRequest::default()).is_ok());
        assert!(body(&AgeVerificationRequest::default().min_age(30).max_age(20)).is_ok());
        assert_eq!(
            refused(AgeVerificationRequest::default().min_age(0).max_age(20)),
            pair("minAge", "must be at least 1")
        );
        for only_one in [
            AgeVerificationRequest::default().min_age(18),
            AgeVerificationRequest::default().max_age(17),
        ] {
            assert!(body(&only_one).is_ok());
        }
    }

    #[test]
    fn hand_checks_cover_urls_and_ip() {
        assert_eq!(
            refused(bankid_se::AuthRequest::default().callback_url("/relative")),
            pair("callbackUrl", "must be an absolute http(s) URL")
        );
        assert_eq!(
            refused(ftn::AuthRequest::default().redirect_url("ftp://x.example")).0,
            "redirectUrl"
        );
        assert_eq!(
            refused(bankid_se::AuthRequest::default().ip_address("300.1.1.1")).0,
            "ipAddress"
        );
        let ok = bankid_se::AuthRequest::default()
            .callback_url("https://rp.example/cb")
            .ip_address("192.0.2.1");
        assert!(body(&ok).is_ok());
    }

    #[test]
    fn the_body_is_what_the_generated_type_sends() {
        let request = bankid_se::AuthRequest::default()
            .intent("Log in to Example")
            .ref_id("order-17")
            .pin_required(true)
            .ssn(String::from("198704122384"));
        assert_eq!(
            body(&request).unwrap(),
            serde_json::json!({
                "intent": "Log in to Example",
                "refId": "order-17",
                "pinRequired": true,
                "ssn": "198704122384",
            })
        );
        // The spec's default is sent as the generated type always did.
        assert_eq!(
            body(&bankid_se::AuthRequest::default()).unwrap(),
            serde_json::json!({ "pinRequired": false })
        );
    }

    #[test]
    fn debug_shows_no_text_and_no_personal_number() {
        let request = bankid_se::SignRequest::default()
            .text("I, 198704122384, agree")
            .ssn("198704122384")
            .pin_required(true);
        let shown = format!("{request:?}");
        assert!(!shown.contains("1987"), "{shown}");
        assert!(shown.contains("text: <22 chars>"), "{shown}");
        assert!(shown.contains("pin_required: true"), "{shown}");
    }

    #[test]
    fn a_pattern_checks_a_field_or_each_item_and_names_where() {
        let no_percent = Pattern {
            field: "text",
            rule: "must not contain `%` or `<`",
            each: false,
            negated: true,
            ranges: &[('%', '%'), ('<', '<')],
            non_empty: false,
        };
        assert!(no_percent.matches("") && no_percent.matches("Log in, 100 kr"));
        assert!(!no_percent.matches("100%") && !no_percent.matches("<b>"));
        let err = no_percent
            .check(&serde_json::json!({ "text": "50 % off" }))
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field, rule } if field == "text" && rule == "must not contain `%` or `<`"),
            "{err:?}"
        );
        // Another type is the typed decode's to name; an absent field passes.
        assert!(no_percent.check(&serde_json::json!({ "text": 5 })).is_ok());
        assert!(no_percent.check(&serde_json::json!({})).is_ok());

        let codes = Pattern {
            field: "codes",
            rule: "must not be empty and contain only `A`-`Z` or `0`-`9`",
            each: true,
            negated: false,
            ranges: &[('A', 'Z'), ('0', '9')],
            non_empty: true,
        };
        assert!(codes.matches("AB12") && !codes.matches("") && !codes.matches("ab"));
        let err = codes
            .check(&serde_json::json!({ "codes": ["OK1", "Å"] }))
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field, .. } if field == "codes[1]"),
            "{err:?}"
        );
    }
}
