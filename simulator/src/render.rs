//! A session as JSON: what collect answers and what a callback carries.

use std::time::Instant;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::Timing;
use super::clock::{Date, rfc3339};
use super::flows::{Channel, Family, Provider};
use super::store::{Session, State};

/// The session's JSON as the real service would show it now.
pub(crate) fn session(s: &Session, now: Instant, timing: &Timing, base_url: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(s.id));
    if let Some(ref_id) = &s.params.ref_id {
        m.insert("refId".into(), json!(ref_id));
    }
    match &s.state {
        State::Pending => {
            m.insert("status".into(), json!("PENDING"));
            pending(s, &mut m, now, timing, base_url);
        }
        State::Completed { at } => {
            m.insert("status".into(), json!("COMPLETED"));
            completed(s, &mut m, *at);
        }
        State::Failed { code, hint, .. } => {
            m.insert("status".into(), json!("FAILED"));
            m.insert("error".into(), json!(code));
            if s.provider() == Provider::BankIdSe && s.family() != Family::AgeVerification {
                m.insert("hintCode".into(), json!(hint));
            }
        }
    }
    Value::Object(m)
}

/// The approval page of a session.
pub(crate) fn approval_url(base_url: &str, id: &str) -> String {
    format!("{base_url}/sim/approve/{id}")
}

fn pending(s: &Session, m: &mut Map<String, Value>, now: Instant, timing: &Timing, base_url: &str) {
    let t = &s.tokens;
    let channel = s.start.channel();
    if s.family() == Family::AgeVerification {
        if let Some(min) = s.params.min_age {
            m.insert("minAge".into(), json!(min));
        }
        if let Some(max) = s.params.max_age {
            m.insert("maxAge".into(), json!(max));
        }
        m.insert("url".into(), json!(approval_url(base_url, &s.id)));
        return;
    }
    match s.provider() {
        Provider::BankIdSe => {
            m.insert("hintCode".into(), json!(s.hint_code(now, timing)));
            if channel == Channel::App {
                m.insert("autoStartToken".into(), json!(t.auto_start_token));
                m.insert("qrStartToken".into(), json!(t.qr_start_token));
                m.insert("qrStartSecret".into(), json!(t.qr_start_secret));
            }
        }
        Provider::Freja => {
            // Every Freja start, a push to one person's app included: the
            // document shows both on a start naming the person, and the
            // provider's clients require them (decision `freja-pending-tokens`).
            if matches!(channel, Channel::App | Channel::Backchannel) {
                m.insert("autoStartToken".into(), json!(t.auto_start_token));
                m.insert("qrData".into(), json!(freja_qr_data(&t.auto_start_token)));
            }
        }
        // The redirect providers (and any provider the simulator does not know yet).
        _ => {
            if channel == Channel::Redirect {
                m.insert("url".into(), json!(approval_url(base_url, &s.id)));
            }
            match (s.provider(), &s.params.binding_message) {
                (Provider::BankIdNo, _) => {
                    m.insert("bindingMessage".into(), json!(t.binding_message));
                }
                (Provider::MitId, Some(message)) => {
                    m.insert("bindingMessage".into(), json!(message));
                }
                _ => {}
            }
        }
    }
}

fn completed(s: &Session, m: &mut Map<String, Value>, at: Instant) {
    if s.family() == Family::AgeVerification {
        // A number with no real date tells no age: not verified.
        let verified = s.person.age().map(u64::from).is_some_and(|age| {
            s.params.min_age.is_none_or(|min| age >= min)
                && s.params.max_age.is_none_or(|max| age <= max)
        });
        m.insert("ageVerified".into(), json!(verified));
        return;
    }
    let p = &s.person;
    let t = &s.tokens;
    let ssn = s.ssn.as_deref().unwrap_or(&p.ssn);
    let provider = s.provider();
    let sign = s.family() == Family::Sign;

    let nordic_ssn =
        provider == Provider::BankIdSe || provider == Provider::Freja || s.params.request_ssn;
    if nordic_ssn {
        m.insert("ssn".into(), json!(ssn));
    }
    m.insert("name".into(), json!(p.name()));
    m.insert("givenName".into(), json!(p.given_name));
    m.insert("surname".into(), json!(p.surname));
    match provider {
        Provider::BankIdSe => {
            let (y, mo, d) = p.birth.unwrap_or((1990, 1, 1));
            let cert_year = (y + 18).max(2015);
            m.insert(
                "certStartDate".into(),
                json!(format!("{cert_year:04}-{mo:02}-{d:02}")),
            );
            m.insert("ocspResponse".into(), json!(t.ocsp_response));
            m.insert("risk".into(), json!("low"));
            let ip = s
                .params
                .ip_address
                .clone()
                .unwrap_or_else(|| "127.0.0.1".into());
            m.insert("device".into(), json!({ "ipAddress": ip, "uhi": t.uhi }));
            m.insert("stepUp".into(), json!({ "mrtd": false, "face": false }));
        }
        Provider::Freja => {
            let country = s.params.freja_country.clone().unwrap_or_else(|| {
                identisure::providers::freja::country::of(p.country).to_string()
            });
            m.insert("country".into(), json!(country));
        }
        // The redirect providers (and any provider the simulator does not know yet).
        _ => {
            if let Some(birth) = p.birth_date() {
                m.insert("birthDate".into(), json!(birth));
            }
            m.insert("pid".into(), json!(t.pid));
            m.insert("bankId".into(), json!(t.bank_id));
            if s.params.request_phone || s.params.phone.is_some() {
                let phone = s
                    .params
                    .phone
                    .clone()
                    .unwrap_or_else(|| p.contact.phone.to_string());
                m.insert("phone".into(), json!(phone));
            }
            if s.params.request_email {
                m.insert("email".into(), json!(p.contact.email));
            }
            if provider == Provider::Ftn {
                m.insert("bankName".into(), json!("Nordea"));
            }
        }
    }
    if matches!(provider, Provider::BankIdSe | Provider::Freja)
        && let Some(org) = &s.params.org_number
    {
        m.insert(
            "companySignatoryText".into(),
            json!(format!(
                "{} is authorised to sign for organisation {org}",
                p.name()
            )),
        );
    }
    if s.params.request_address {
        // One line of text, as the provider's clients decode it (decision
        // `address-shape`).
        m.insert("address".into(), json!(p.address()));
    }
    let when = rfc3339(s.wall(at));
    m.insert(
        if sign { "signedAt" } else { "authenticatedAt" }.into(),
        json!(when),
    );

    if sign {
        let signed = s.params.sign_text.clone().unwrap_or_default();
        match provider {
            Provider::BankIdNo => {
                let hash = if s.documents.is_empty() {
                    sha256_hex(signed.as_bytes())
                } else {
                    let joined: Vec<&str> = s.documents.iter().map(|(_, h)| h.as_str()).collect();
                    sha256_hex(joined.join("").as_bytes())
                };
                m.insert(
                    "signResult".into(),
                    json!({ "endUser": t.end_user_signature, "merchant": t.merchant_seal, "hash": hash }),
                );
                let docs: Vec<Value> = s
                    .documents
                    .iter()
                    .map(|(id, hash)| json!({ "id": id, "hash": hash }))
                    .collect();
                m.insert("signedDocuments".into(), Value::Array(docs));
            }
            Provider::MitId => {
                m.insert(
                    "signResult".into(),
                    json!({ "checksum": sha256_hex(signed.as_bytes()) }),
                );
            }
            _ => {}
        }
    }
}

/// The `qrData` of a Freja session: the app link of its transaction.
pub(crate) fn freja_qr_data(auto_start_token: &str) -> String {
    format!("frejaeid://bindUserToTransaction?transactionReference={auto_start_token}")
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The BankID SE `verify` answer for a test person.
pub(crate) fn verified(p: &super::TestPerson) -> Value {
    json!({
        "ssn": p.ssn,
        "name": p.name(),
        "givenName": p.given_name,
        "surname": p.surname,
        "age": p.age(),
        "verifiedAt": Date::today().to_string(),
    })
}
