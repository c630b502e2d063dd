//! The operations: which start paths exist, which body type each one takes
//! (the generated `raw::types`), and where its sessions are collected.

use crate::raw::types;

use super::Reading;
use super::decode;
use super::error::ApiError;
use super::people::Country;

pub(crate) use crate::Provider;
use crate::operations::{FLOWS, Flow, Operation};

/// The country of a provider's default person.
pub(crate) fn default_country(provider: Provider) -> Country {
    match provider {
        Provider::BankIdSe | Provider::Freja => Country::Sweden,
        Provider::BankIdNo | Provider::Vipps => Country::Norway,
        Provider::MitId => Country::Denmark,
        Provider::Ftn => Country::Finland,
    }
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
    FLOWS.iter().map(|f| Start(f))
}

/// Every collect and cancel operation (phone and backchannel flows share
/// their family's), each once, with the provider and family of its sessions.
pub(crate) fn families() -> Vec<(Provider, Family, &'static Operation, &'static Operation)> {
    let mut out: Vec<(Provider, Family, &'static Operation, &'static Operation)> = Vec::new();
    for start in starts() {
        if !out
            .iter()
            .any(|(_, _, collect, _)| std::ptr::eq(*collect, start.0.collect))
        {
            out.push((
                start.provider(),
                start.family(),
                start.0.collect,
                start.0.cancel,
            ));
        }
    }
    out
}

impl Start {
    /// The start with this operationId (tests).
    #[cfg(test)]
    pub(crate) fn of(operation_id: &str) -> Start {
        Start(Flow::by_start(operation_id).expect("a start operation of the spec"))
    }

    pub(crate) fn provider(self) -> Provider {
        self.0.provider
    }

    pub(crate) fn family(self) -> Family {
        match self.0.family {
            "sign" => Family::Sign,
            "age_verification" => Family::AgeVerification,
            _ => Family::Auth,
        }
    }

    pub(crate) fn channel(self) -> Channel {
        let name = self.0.name;
        if name.starts_with("phone_") {
            Channel::Phone
        } else if name.starts_with("backchannel_") {
            Channel::Backchannel
        } else if matches!(self.provider(), Provider::BankIdSe | Provider::Freja)
            && self.family() != Family::AgeVerification
        {
            Channel::App
        } else {
            Channel::Redirect
        }
    }

    /// The start path, e.g. `/v3/bankid-se/phone/auth` (from the spec).
    pub(crate) fn path(self) -> &'static str {
        self.0.start.path
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

    fn set_ssn(&mut self, country: Country, pn: crate::PersonalNumber) {
        self.ssn = Some(pn.expose().to_string());
        self.ssn_country = Some(country);
    }
}

/// Freja's `ssn` and `country`: required and Nordic in the API document,
/// optional and free in the provider's clients (decisions
/// `freja-qr-without-ssn-country`, `freja-country-values`).
fn freja_person(
    p: &mut StartParams,
    reading: Reading,
    ssn: Option<crate::PersonalNumber>,
    country: Option<types::FrejaCountry>,
) -> Result<(), ApiError> {
    if reading == Reading::Document {
        let why = "by the API document (the provider's clients leave it out of QR starts; \
                   a simulator with the clients' reading accepts that)";
        if ssn.is_none() {
            return Err(ApiError::field("ssn", format!("is required {why}")));
        }
        if country.is_none() {
            return Err(ApiError::field("country", format!("is required {why}")));
        }
    }
    let nordic = country.as_deref().map(|c| Country::from_wire(c));
    if reading == Reading::Document && nordic.is_some_and(|c| c.is_none()) {
        return Err(ApiError::field(
            "country",
            "must be SWEDEN, NORWAY, DENMARK or FINLAND by the API document \
             (the provider's clients send any country; a simulator with the clients' reading accepts it)",
        ));
    }
    p.freja_country = country.map(String::from);
    if let Some(pn) = ssn {
        p.ssn = Some(pn.expose().to_string());
        // Without a country, a Swedish number is the likeliest.
        p.ssn_country = nordic.unwrap_or(Some(Country::Sweden));
    }
    Ok(())
}

/// `callInitiator` is `USER` or `RP` in the API document; five of the
/// provider's clients send `user` in their tests (decision
/// `call-initiator-case`). The generated type reads any case; the document's
/// reading refuses anything but the exact values.
fn call_initiator_as_documented(body: &[u8], reading: Reading) -> Result<(), ApiError> {
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "callInitiator")]
        call_initiator: Option<serde_json::Value>,
    }
    if reading == Reading::Clients {
        return Ok(());
    }
    match serde_json::from_slice::<Peek>(body)
        .ok()
        .and_then(|p| p.call_initiator)
    {
        Some(serde_json::Value::String(v)) if v != "USER" && v != "RP" => Err(ApiError::field(
            "callInitiator",
            "must be USER or RP by the API document (the provider's clients also send `user`; \
             a simulator with the clients' reading accepts any case)",
        )),
        _ => Ok(()),
    }
}

/// Decodes the body of `start` with its generated request type.
pub(crate) fn parse(start: Start, body: &[u8], reading: Reading) -> Result<StartParams, ApiError> {
    let mut p = StartParams::default();
    match start.0.start.id {
        "bankid_se_auth_start" => {
            let r: types::BankIdSeAuthRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            if let Some(n) = r.ssn {
                p.set_ssn(Country::Sweden, n);
            }
            p.ip_address = r.ip_address;
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
        }
        "bankid_se_sign_start" => {
            let r: types::BankIdSeSignRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            if let Some(n) = r.ssn {
                p.set_ssn(Country::Sweden, n);
            }
            p.ip_address = r.ip_address;
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
            p.sign_text = Some(r.text.to_string());
        }
        "bankid_se_phone_auth_start" => {
            let r: types::BankIdSePhoneAuthRequest = decode::json(body)?;
            call_initiator_as_documented(body, reading)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.set_ssn(Country::Sweden, r.ssn);
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
        }
        "bankid_se_phone_sign_start" => {
            let r: types::BankIdSePhoneSignRequest = decode::json(body)?;
            call_initiator_as_documented(body, reading)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.set_ssn(Country::Sweden, r.ssn);
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
            p.sign_text = Some(r.text.to_string());
        }
        id if id.ends_with("_age_verification_start") => {
            let r: types::AgeVerificationRequest = decode::json(body)?;
            p.min_age = r.min_age.map(|n| n.get());
            p.max_age = r.max_age.map(|n| n.get());
            crate::validate::age_bounds(p.min_age, p.max_age)
                .map_err(|(field, rule)| ApiError::field(field, rule))?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
        }
        "bankid_no_auth_start" => {
            let r: types::BankIdNoAuthRequest = decode::json(body)?;
            check_uri("appCallbackUri", r.app_callback_uri.as_deref())?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.request_ssn = r.request_ssn.unwrap_or(false);
            p.request_phone = r.request_phone.unwrap_or(false);
            p.request_email = r.request_email.unwrap_or(false);
            p.request_address = r.request_address.unwrap_or(false);
        }
        "bankid_no_sign_start" => parse_bankid_no_sign(body, &mut p)?,
        "bankid_no_backchannel_auth_start" => {
            let r: types::BankIdNoBackchannelAuthRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.set_ssn(Country::Norway, r.ssn);
            p.request_ssn = true;
        }
        "freja_auth_start" => {
            let r: types::FrejaAuthRequest = decode::json(body)?;
            freja_person(&mut p, reading, r.ssn, r.country)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
        }
        "freja_backchannel_auth_start" => {
            let r: types::FrejaBackchannelAuthRequest = decode::json(body)?;
            freja_person(&mut p, reading, Some(r.ssn), Some(r.country))?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
        }
        "freja_sign_start" => {
            let r: types::FrejaSignRequest = decode::json(body)?;
            freja_person(&mut p, reading, r.ssn, r.country)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
            p.sign_text = Some(r.text.to_string());
        }
        "freja_backchannel_sign_start" => {
            let r: types::FrejaBackchannelSignRequest = decode::json(body)?;
            freja_person(&mut p, reading, Some(r.ssn), Some(r.country))?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.org_number = r.org_number;
            p.request_address = r.request_address.unwrap_or(false);
            p.sign_text = Some(r.text.to_string());
        }
        "mitid_auth_start" => {
            let r: types::MitIdAuthRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.request_ssn = true;
            p.request_phone = r.request_phone.unwrap_or(false);
            p.request_email = r.request_email.unwrap_or(false);
            p.request_address = r.request_address.unwrap_or(false);
        }
        "mitid_sign_start" => {
            let r: types::MitIdSignRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.request_ssn = true;
            p.sign_text = Some(r.text.to_string());
        }
        "mitid_backchannel_auth_start" => {
            let r: types::MitIdBackchannelAuthRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.set_ssn(Country::Denmark, r.ssn);
            p.request_ssn = true;
            p.binding_message = Some(r.binding_message.to_string());
        }
        "ftn_auth_start" => {
            let r: types::FtnAuthRequest = decode::json(body)?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.request_ssn = true;
            p.request_phone = r.request_phone.unwrap_or(false);
            p.request_email = r.request_email.unwrap_or(false);
            p.request_address = r.request_address.unwrap_or(false);
        }
        "vipps_auth_start" => {
            let r: types::VippsAuthRequest = decode::json(body)?;
            check_uri("appCallbackUri", r.app_callback_uri.as_deref())?;
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.request_ssn = r.request_ssn.unwrap_or(false);
            p.request_phone = r.request_phone.unwrap_or(false);
            p.request_email = r.request_email.unwrap_or(false);
            p.request_address = r.request_address.unwrap_or(false);
        }
        "vipps_backchannel_auth_start" => {
            let r: types::VippsBackchannelAuthRequest = decode::json(body)?;
            let digits: String = r
                .phone
                .chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .collect();
            let national = digits.strip_prefix('+').unwrap_or(&digits);
            if national.len() < 8
                || national.len() > 15
                || !national.chars().all(|c| c.is_ascii_digit())
            {
                // Not a rule of the API document: a warning only.
                p.warnings.push(
                    "phone: not a phone number in international format (e.g. +4790881716); \
                     accepted"
                        .into(),
                );
            }
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.phone = Some(digits);
            p.request_ssn = r.request_ssn.unwrap_or(false);
            p.request_email = r.request_email.unwrap_or(false);
            p.request_address = r.request_address.unwrap_or(false);
        }
        other => {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_IMPLEMENTED,
                format!("the simulator cannot read the body of `{other}` yet"),
            ));
        }
    }
    check_uri("callbackUrl", p.callback_url.as_deref())?;
    check_uri("redirectUrl", p.redirect_url.as_deref())?;
    Ok(p)
}

/// BankID NO sign takes exactly one of `text` or `documents`; the generated
/// untagged enum would only say "did not match any variant", so the variant
/// is chosen here and decoded with its own type for a precise message.
fn parse_bankid_no_sign(body: &[u8], p: &mut StartParams) -> Result<(), ApiError> {
    let value: serde_json::Value = decode::json(body)?;
    let (has_text, has_documents) = match &value {
        serde_json::Value::Object(map) => (map.contains_key("text"), map.contains_key("documents")),
        _ => (false, false),
    };
    let request = match (has_text, has_documents) {
        (true, true) | (false, false) if value.is_object() => {
            return Err(ApiError::field(
                "text, documents",
                "exactly one of them is required",
            ));
        }
        (_, true) => types::BankIdNoSignRequest::DocumentSignRequest(decode::json(body)?),
        _ => types::BankIdNoSignRequest::TextSignRequest(decode::json(body)?),
    };
    match request {
        types::BankIdNoSignRequest::TextSignRequest(r) => {
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.sign_text = Some(r.text.to_string());
        }
        types::BankIdNoSignRequest::DocumentSignRequest(r) => {
            if r.documents.is_empty() {
                return Err(ApiError::field(
                    "documents",
                    "must name at least one document",
                ));
            }
            p.ref_id = r.ref_id;
            p.callback_url = r.callback_url;
            p.redirect_url = r.redirect_url;
            p.documents = r.documents.iter().map(|d| d.to_string()).collect();
        }
    }
    p.request_ssn = true;
    Ok(())
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
