//! The operations: which start paths exist, which body type each one takes
//! (the generated `raw::types`), and where its sessions are collected.

use super::Reading;
use super::decode;
use super::error::ApiError;
use identisure::national_id::Country;

pub(crate) use identisure::Provider;
use identisure::operations::{Flow, Operation};

/// The country of a provider's default person (the provider table's).
pub(crate) fn default_country(provider: Provider) -> Country {
    provider.country()
}

/// The collect/cancel family of a session: `/v3/<provider>/<family>/{id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Auth,
    Sign,
    AgeVerification,
}

/// How the user is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Channel {
    /// QR code / autostart (BankID SE, Freja).
    App,
    /// A `url` to send the user to.
    Redirect,
    /// The app is notified directly (no QR, no url).
    Backchannel,
    /// BankID SE over the phone.
    Phone,
}

/// A start operation: a flow of the table generated from `openapi.yaml`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Start(pub(crate) &'static Flow);

impl PartialEq for Start {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Start {}

/// Every start operation of the spec.
pub(crate) fn starts() -> impl Iterator<Item = Start> {
    identisure::operations::flows().map(Start)
}

/// The collect and cancel operation of a family's sessions.
pub(crate) type SessionOperations = (
    Provider,
    Family,
    &'static Operation,
    Option<&'static Operation>,
);

/// Every collect and cancel operation (phone and backchannel flows share
/// their family's; a flow may have no cancel), each once, with the provider
/// and family of its sessions.
pub(crate) fn families() -> Vec<SessionOperations> {
    let mut out: Vec<SessionOperations> = Vec::new();
    for start in starts() {
        if !out
            .iter()
            .any(|(_, _, collect, _)| std::ptr::eq(*collect, start.0.collect()))
        {
            out.push((
                start.provider(),
                start.family(),
                start.0.collect(),
                start.0.cancel(),
            ));
        }
    }
    out
}

impl Start {
    /// The start with this operationId (tests).
    #[cfg(test)]
    pub(crate) fn of(operation_id: &str) -> Start {
        Start(
            identisure::operations::flows()
                .find(|f| f.start().id() == operation_id)
                .expect("a start operation of the spec"),
        )
    }

    pub(crate) fn provider(self) -> Provider {
        self.0.provider()
    }

    pub(crate) fn family(self) -> Family {
        match self.0.family() {
            "sign" => Family::Sign,
            "age_verification" => Family::AgeVerification,
            _ => Family::Auth,
        }
    }

    pub(crate) fn channel(self) -> Channel {
        let name = self.0.name();
        if name.starts_with("phone_") {
            Channel::Phone
        } else if name.starts_with("backchannel_") {
            Channel::Backchannel
        } else if !self.provider().redirects() && self.family() != Family::AgeVerification {
            Channel::App
        } else {
            Channel::Redirect
        }
    }

    /// The start path, e.g. `/v3/bankid-se/phone/auth` (from the spec).
    pub(crate) fn path(self) -> &'static str {
        self.0.start().path()
    }
}

/// What a start body asked for, whatever its type.
#[derive(Default)]
pub(crate) struct StartParams {
    pub(crate) ref_id: Option<String>,
    pub(crate) callback_url: Option<String>,
    pub(crate) redirect_url: Option<String>,
    /// The personal number given, as sent.
    pub(crate) ssn: Option<String>,
    /// The country whose rules that number follows, when known (Freja with
    /// a country outside the four Nordic ones has none).
    pub(crate) ssn_country: Option<Country>,
    /// Freja's `country`, as sent (echoed in the result).
    pub(crate) freja_country: Option<String>,
    pub(crate) ip_address: Option<String>,
    pub(crate) org_number: Option<String>,
    pub(crate) request_address: bool,
    pub(crate) request_ssn: bool,
    pub(crate) request_phone: bool,
    pub(crate) request_email: bool,
    /// What the user signs (text), when it is a sign flow.
    pub(crate) sign_text: Option<String>,
    /// Document ids to sign (BankID NO).
    pub(crate) documents: Vec<String>,
    pub(crate) min_age: Option<u64>,
    pub(crate) max_age: Option<u64>,
    pub(crate) binding_message: Option<String>,
    pub(crate) phone: Option<String>,
    /// Rules of the simulator's own that the request broke: logged as
    /// warnings, never refused (the API document does not state them).
    pub(crate) warnings: Vec<String>,
}

impl StartParams {
    /// Bytes of text this start keeps for the session's life.
    pub(crate) fn held_bytes(&self) -> usize {
        let text = [
            &self.ref_id,
            &self.callback_url,
            &self.redirect_url,
            &self.ssn,
            &self.freja_country,
            &self.ip_address,
            &self.org_number,
            &self.sign_text,
            &self.binding_message,
            &self.phone,
        ];
        let optional: usize = text.iter().map(|t| t.as_ref().map_or(0, String::len)).sum();
        let listed: usize = self
            .documents
            .iter()
            .chain(&self.warnings)
            .map(String::len)
            .sum();
        optional + listed
    }
}

/// Freja's `ssn` and `country`: required and Nordic in the API document;
/// all of the provider's clients leave both out of QR starts and send any
/// country, so they win (decisions `freja-qr-without-ssn-country`,
/// `freja-country-values`). Only the strict document reading refuses.
fn freja_person(p: &mut StartParams, reading: Reading, body: &Map) -> Result<(), ApiError> {
    let country = text(body, "country");
    if reading == Reading::Document {
        let why = "by the API document (the provider's clients leave it out of QR starts; \
                   the simulator's default reading accepts that)";
        if !body.contains_key("ssn") {
            return Err(ApiError::field("ssn", format!("is required {why}")));
        }
        if country.is_none() {
            return Err(ApiError::field("country", format!("is required {why}")));
        }
    }
    let nordic = country
        .as_deref()
        .map(identisure::providers::freja::country::parse);
    if nordic.is_some_and(|c| c.is_none()) {
        if reading == Reading::Document {
            return Err(ApiError::field(
                "country",
                "must be SWEDEN, NORWAY, DENMARK or FINLAND by the API document \
                 (the provider's clients send any country; the simulator's default reading accepts it)",
            ));
        }
        p.warnings.push(
            "country: not one of the four the API document lists; accepted (its numbers are not checked)"
                .into(),
        );
    }
    p.freja_country = country;
    if let Some(pn) = text(body, "ssn") {
        p.ssn = Some(pn);
        // Without a country, a Swedish number is the likeliest.
        p.ssn_country = nordic.unwrap_or(Some(Country::Se));
    }
    Ok(())
}

/// `callInitiator` is `USER` or `RP` in the API document; the provider's
/// clients disagree among themselves (five tests send `user`), so the
/// document decides (decision `call-initiator-case`). The generated type
/// reads any case; only the clients' reading lets other spellings through.
fn call_initiator_as_documented(body: &Map, reading: Reading) -> Result<(), ApiError> {
    if reading == Reading::Clients {
        return Ok(());
    }
    match body.get("callInitiator") {
        Some(serde_json::Value::String(v)) if v != "USER" && v != "RP" => Err(ApiError::field(
            "callInitiator",
            "must be USER or RP by the API document (some of the provider's clients also send \
             `user`; a simulator with the clients' reading accepts any case)",
        )),
        _ => Ok(()),
    }
}

type Map = serde_json::Map<String, serde_json::Value>;

fn text(body: &Map, field: &str) -> Option<String> {
    body.get(field).and_then(|v| v.as_str()).map(str::to_string)
}

fn flag(body: &Map, field: &str) -> bool {
    body.get(field).and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Whether a flow's result always carries the person's number, asked or not.
fn always_reports_ssn(start: Start) -> bool {
    match start.provider() {
        Provider::MitId | Provider::Ftn => true,
        Provider::BankIdNo => {
            start.family() == Family::Sign || start.channel() == Channel::Backchannel
        }
        _ => false,
    }
}

/// Decodes the body of `start`: checked by the same generated request
/// types (and rules) the client sends it with, then read by field name.
/// Fields the API document does not name are ignored with a warning, never
/// refused (decision `unknown-request-fields`).
pub(crate) fn parse(start: Start, body: &[u8], reading: Reading) -> Result<StartParams, ApiError> {
    let value: serde_json::Value = decode::json(body)?;
    let Some(map) = value.as_object() else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let read = identisure::flow::read_body(start.0.start(), &value).map_err(|e| match e {
        identisure::Error::InvalidRequest { field, rule } => ApiError::field(&field, rule),
        other => ApiError::bad_request(other.to_string()),
    })?;
    let mut p = StartParams::default();
    for key in read.unknown_fields {
        p.warnings.push(format!(
            "{key}: not a field of this request in the API document; ignored"
        ));
    }
    p.ref_id = text(map, "refId");
    p.callback_url = text(map, "callbackUrl");
    p.redirect_url = text(map, "redirectUrl");
    p.ip_address = text(map, "ipAddress");
    p.org_number = text(map, "orgNumber");
    p.sign_text = text(map, "text");
    p.binding_message = text(map, "bindingMessage");
    p.min_age = map.get("minAge").and_then(|v| v.as_u64());
    p.max_age = map.get("maxAge").and_then(|v| v.as_u64());
    p.documents = map
        .get("documents")
        .and_then(|v| v.as_array())
        .map(|d| {
            d.iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    p.request_ssn = flag(map, "requestSsn") || always_reports_ssn(start);
    p.request_phone = flag(map, "requestPhone");
    p.request_email = flag(map, "requestEmail");
    p.request_address = flag(map, "requestAddress");
    match start.provider() {
        Provider::Freja if start.family() != Family::AgeVerification => {
            freja_person(&mut p, reading, map)?
        }
        provider => {
            if let Some(ssn) = text(map, "ssn") {
                p.ssn = Some(ssn);
                p.ssn_country = Some(default_country(provider));
            }
        }
    }
    if start.channel() == Channel::Phone {
        call_initiator_as_documented(map, reading)?;
    }
    if let Some(phone) = text(map, "phone") {
        let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let national = digits.strip_prefix('+').unwrap_or(&digits);
        if national.len() < 8
            || national.len() > 15
            || !national.chars().all(|c| c.is_ascii_digit())
        {
            // Not a rule of the API document: a warning only.
            p.warnings.push(
                "phone: not a phone number in international format (e.g. +4790881716); accepted"
                    .into(),
            );
        }
        p.phone = Some(digits);
    }
    if start.family() == Family::AgeVerification {
        match (p.min_age, p.max_age) {
            (None, None) => p
                .warnings
                .push("minAge, maxAge: neither is given; accepted, every age is in range".into()),
            (Some(min), Some(max)) if max < min => p
                .warnings
                .push("maxAge: less than minAge; accepted, no age is in range".into()),
            _ => {}
        }
    }
    check_uri("appCallbackUri", text(map, "appCallbackUri").as_deref())?;
    check_uri("callbackUrl", p.callback_url.as_deref())?;
    check_uri("redirectUrl", p.redirect_url.as_deref())?;
    Ok(p)
}

/// The spec's `format: uri`, which the generated types do not check.
fn check_uri(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    let Some(value) = value else { return Ok(()) };
    match reqwest::Url::parse(value) {
        Ok(url) if field != "callbackUrl" || matches!(url.scheme(), "http" | "https") => Ok(()),
        Ok(_) => Err(ApiError::field(field, "must be an http or https URL")),
        Err(_) => Err(ApiError::field(field, "must be an absolute URI")),
    }
}
