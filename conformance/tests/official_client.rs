//! The official Rust client (`identisure-client` 0.1.0) against the
//! simulator: every operation it offers, every provider and flow, success
//! and every failure scenario, cancel, wait, documents, signed callbacks
//! verified with its own `verify_callback_signature`, and its error mapping.
//!
//! Run twice: with the simulator's default reading (the API document decides;
//! the checks of `conformance::DIVERGENCES` fail on purpose) and with the
//! clients' reading (everything passes).

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use conformance::{ACCOUNT, Checks, SECRET};
use identisure_client::models::*;
use identisure_client::{
    IdentisureClient, IdentisureClientBuilder, IdentisureError, PollOptions, WaitError,
};
use identisure_simulator::{Reading, RunningSimulator};
use tokio::sync::mpsc;

type Res<T> = Result<T, IdentisureError>;

/// Polls a little more than once a second: the simulator allows one
/// collect per second per session, and the official client gives up on a 429.
fn poll() -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(1100),
        timeout: Duration::from_secs(20),
    }
}

/// A valid Swedish personal number (Luhn) born 1990-01-01, serial `n`, not
/// one of the simulator's scenario persons: completes as the default person.
fn personnummer(n: u32) -> String {
    let nine = format!("900101{:03}", 100 + n % 900);
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            if d > 9 { d - 9 } else { d }
        })
        .sum();
    format!("19{nine}{}", (10 - sum % 10) % 10)
}

fn pno(s: &str) -> Pno {
    Pno::parse(s).expect("a valid personnummer")
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("a URL")
}

fn client(sim: &RunningSimulator) -> IdentisureClient {
    IdentisureClientBuilder::new(ACCOUNT, SECRET)
        .base_url(sim.url())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("the official client builds")
}

/// A start that must answer PENDING: returns the session id.
fn started<S: Debug>(
    k: &Checks,
    name: &str,
    answer: Res<S>,
    pending: impl Fn(&S) -> Option<(String, Result<(), String>)>,
) -> Option<String> {
    match answer {
        Ok(s) => match pending(&s) {
            Some((id, shape)) => {
                k.record(format!("{name}: starts PENDING"), shape);
                Some(id)
            }
            None => {
                k.record(format!("{name}: starts PENDING"), Err(format!("{s:?}")));
                None
            }
        },
        Err(e) => {
            k.record(format!("{name}: starts PENDING"), Err(e.to_string()));
            None
        }
    }
}

/// A wait that must end in the state `terminal` accepts.
fn ended<S: Debug>(
    k: &Checks,
    name: &str,
    answer: Result<S, WaitError>,
    terminal: impl FnOnce(&S) -> Result<(), String>,
) {
    let result = match answer {
        Ok(s) => terminal(&s).map_err(|why| format!("{why}: {s:?}")),
        Err(e) => Err(e.to_string()),
    };
    k.record(format!("{name}: ends as expected"), result);
}

fn some<T>(field: &str, v: &Option<T>) -> Result<(), String> {
    v.as_ref()
        .map(|_| ())
        .ok_or_else(|| format!("{field} missing"))
}

fn all(results: &[Result<(), String>]) -> Result<(), String> {
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join("; "))
    }
}

fn is(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_string()) }
}

fn se_pending(s: &BankIdSeStatus, app: bool) -> Option<(String, Result<(), String>)> {
    match s {
        BankIdSeStatus::Pending(p) => {
            let shape = if app {
                all(&[
                    some("autoStartToken", &p.auto_start_token),
                    some("qrStartToken", &p.qr_start_token),
                    some("qrStartSecret", &p.qr_start_secret),
                ])
            } else {
                is(
                    p.qr_start_secret.is_none(),
                    "a phone session has no QR secret",
                )
            };
            Some((p.id.clone(), shape))
        }
        _ => None,
    }
}

fn av_pending(s: &AgeVerificationStatus) -> Option<(String, Result<(), String>)> {
    match s {
        AgeVerificationStatus::Pending(p) => Some((p.id.clone(), some("url", &p.url))),
        _ => None,
    }
}

/// Starts, then waits for the end of an age verification with `bounds`.
async fn age_verification<F, W>(
    k: &Checks,
    name: &str,
    start: F,
    wait: impl FnOnce(String) -> W,
    expect_verified: bool,
) where
    F: Future<Output = Res<AgeVerificationStatus>>,
    W: Future<Output = Result<AgeVerificationStatus, WaitError>>,
{
    if let Some(id) = started(k, name, start.await, av_pending) {
        ended(k, name, wait(id).await, |s| match s {
            AgeVerificationStatus::Completed(c) => is(
                c.age_verified == expect_verified,
                "ageVerified is not the expected verdict",
            ),
            _ => Err("not COMPLETED".into()),
        });
    }
}

/// Start, cancel, and a collect a second later: FAILED CANCELLED.
async fn cancelled<S: Debug, F, C, G>(
    k: &Checks,
    name: &str,
    start: F,
    pending: impl Fn(&S) -> Option<(String, Result<(), String>)>,
    cancel: impl FnOnce(String) -> C,
    status: impl FnOnce(String) -> G,
    is_cancelled: impl FnOnce(&S) -> bool,
) where
    F: Future<Output = Res<S>>,
    C: Future<Output = Res<()>>,
    G: Future<Output = Res<S>>,
{
    let Some(id) = started(k, name, start.await, pending) else {
        return;
    };
    let result = cancel(id.clone()).await.map_err(|e| e.to_string());
    k.record(format!("{name}: cancel answers 2xx"), result);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = match status(id).await {
        Ok(s) if is_cancelled(&s) => Ok(()),
        Ok(s) => Err(format!("{s:?}")),
        Err(e) => Err(e.to_string()),
    };
    k.record(format!("{name}: then FAILED CANCELLED"), after);
}

async fn bankid_se(c: &IdentisureClient, sim: &RunningSimulator, k: &Checks, cb: &str) {
    let api = &c.bankid_se();
    let name = "official bankid-se auth (no fields)";
    if let Some(id) = started(k, name, api.auth(BankIdSeAuthRequest::new()).await, |s| {
        se_pending(s, true)
    }) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            BankIdSeStatus::Completed(p) => all(&[
                is(p.ssn.as_str() == "198704122384", "the default person"),
                is(!p.ocsp_response.is_empty(), "ocspResponse"),
                some("certStartDate", &p.cert_start_date),
                some("device", &p.device),
                some("stepUp", &p.step_up),
                some("authenticatedAt", &p.authenticated_at),
                is(p.address.is_none(), "no address unless requested"),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }

    let name = "official bankid-se auth (every field)";
    let request = BankIdSeAuthRequest::new()
        .ssn(pno(&personnummer(1)))
        .ip_address(IpAddress::parse("192.0.2.10").unwrap())
        .callback_url(url(cb))
        .pin_required(true)
        .intent("Log in to Example")
        .org_number(OrgNumber::parse("556016-0680").unwrap())
        .request_address(true)
        .ref_id("order-17");
    if let Some(id) = started(k, name, api.auth(request).await, |s| se_pending(s, true)) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            BankIdSeStatus::Completed(p) => all(&[
                is(p.ref_id.as_deref() == Some("order-17"), "refId echoed"),
                is(p.ssn.as_str() == personnummer(1), "the number given"),
                is(
                    p.address.as_deref().is_some_and(|a| !a.is_empty()),
                    "address as text",
                ),
                some("companySignatoryText", &p.company_signatory_text),
                is(
                    p.device.as_ref().and_then(|d| d.ip_address.as_deref()) == Some("192.0.2.10"),
                    "device.ipAddress is the ipAddress given",
                ),
                some("risk", &p.risk),
                is(
                    p.step_up.as_ref().is_some_and(|s| s.face.is_some()),
                    "stepUp.face",
                ),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }

    let name = "official bankid-se sign";
    let request = BankIdSeSignRequest::new("I agree").digest("c2lnbmVkIGRvY3VtZW50");
    if let Some(id) = started(k, name, api.sign(request).await, |s| se_pending(s, true)) {
        ended(k, name, api.wait_for_sign(&id, poll()).await, |s| match s {
            BankIdSeStatus::Completed(p) => all(&[
                some("signedAt", &p.signed_at),
                is(
                    p.authenticated_at.is_none(),
                    "no authenticatedAt on a signature",
                ),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }

    let name = "official bankid-se phone auth";
    let request = BankIdSePhoneAuthRequest::new(pno(&personnummer(2)), CallInitiator::User)
        .intent("Your bank calling");
    if let Some(id) = started(k, name, api.phone_auth(request).await, |s| {
        se_pending(s, false)
    }) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| {
            is(matches!(s, BankIdSeStatus::Completed(_)), "COMPLETED")
        });
    }

    let name = "official bankid-se phone sign";
    let request =
        BankIdSePhoneSignRequest::new(pno(&personnummer(3)), CallInitiator::Rp, "I agree");
    if let Some(id) = started(k, name, api.phone_sign(request).await, |s| {
        se_pending(s, false)
    }) {
        ended(k, name, api.wait_for_sign(&id, poll()).await, |s| {
            is(matches!(s, BankIdSeStatus::Completed(_)), "COMPLETED")
        });
    }

    for (code, expected) in [
        (
            identisure_simulator::VERIFY_QR_CODE,
            Some("Astrid Lindqvist"),
        ),
        ("bankid.any-scanned-id-card-code", None),
    ] {
        let name = format!("official bankid-se verify {code}");
        let result = match api.verify(BankIdSeVerifyRequest::new(code)).await {
            Ok(v) => all(&[
                is(
                    expected.is_none_or(|n| v.name == n),
                    "the person of the code",
                ),
                some("age", &v.age),
                some("verifiedAt", &v.verified_at),
            ]),
            Err(e) => Err(e.to_string()),
        };
        k.record(name, result);
    }

    for (bounds, min, max, verified) in [
        ("min 18", Some(18), None, true),
        ("max 17", None, Some(17), false),
        ("18..=130", Some(18), Some(130), true),
    ] {
        let mut request = AgeVerificationRequest::new();
        if let Some(min) = min {
            request = request.min_age(min);
        }
        if let Some(max) = max {
            request = request.max_age(max);
        }
        age_verification(
            k,
            &format!("official bankid-se age verification {bounds}"),
            api.age_verification(request),
            |id| async move { api.wait_for_age_verification(&id, poll()).await },
            verified,
        )
        .await;
    }

    cancelled(
        k,
        "official bankid-se cancel auth",
        api.auth(BankIdSeAuthRequest::new()),
        |s| se_pending(s, true),
        |id| async move { api.cancel_auth(&id).await },
        |id| async move { api.auth_status(&id).await },
        |s| matches!(s, BankIdSeStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official bankid-se cancel sign",
        api.sign(BankIdSeSignRequest::new("I agree")),
        |s| se_pending(s, true),
        |id| async move { api.cancel_sign(&id).await },
        |id| async move { api.sign_status(&id).await },
        |s| matches!(s, BankIdSeStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official bankid-se cancel age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18)),
        av_pending,
        |id| async move { api.cancel_age_verification(&id).await },
        |id| async move { api.age_verification_status(&id).await },
        |s| matches!(s, AgeVerificationStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;

    // Every scenario of the simulator, chosen by refId.
    let scenarios = [
        ("complete", None),
        ("complete-2", None),
        ("slow", None),
        ("user-cancel", Some(ApiErrorCode::Cancelled)),
        ("expire", Some(ApiErrorCode::SessionTimeout)),
        ("auth-failed", Some(ApiErrorCode::AuthFailed)),
        ("invalid-id", Some(ApiErrorCode::InvalidId)),
        ("conflict", Some(ApiErrorCode::Conflict)),
        ("internal-error", Some(ApiErrorCode::InternalError)),
        ("unsupported-client", Some(ApiErrorCode::UnsupportedClient)),
        ("manual", None),
    ];
    let runs = scenarios.into_iter().map(|(scenario, failure)| async move {
        let name = format!("official bankid-se scenario {scenario}");
        let request = BankIdSeAuthRequest::new().ref_id(format!("sim:{scenario}"));
        let Some(id) = started(k, &name, api.auth(request).await, |s| se_pending(s, true)) else {
            return;
        };
        if scenario == "manual" {
            sim.simulator().complete_now(&id);
        }
        ended(k, &name, api.wait_for_auth(&id, poll()).await, |s| {
            match (s, &failure) {
                (BankIdSeStatus::Completed(_), None) => Ok(()),
                (BankIdSeStatus::Failed(f), Some(code)) if f.error == *code => Ok(()),
                _ => Err(format!("expected {failure:?}")),
            }
        });
    });
    futures_util::future::join_all(runs).await;
}

async fn bankid_no(c: &IdentisureClient, k: &Checks, document: Option<(String, String)>) {
    let api = &c.bankid_no();
    let name = "official bankid-no auth (every field)";
    let request = BankIdNoAuthRequest::new()
        .redirect_url(url("https://rp.example/return"))
        .request_ssn(true)
        .request_phone(true)
        .request_email(true)
        .request_address(true)
        .ref_id("no-1")
        .app_callback_uri(url("myapp://identisure/return"));
    let pending = |s: &BankIdNoStatus| match s {
        BankIdNoStatus::Pending(p) => Some((p.id.clone(), some("url", &p.url))),
        _ => None,
    };
    if let Some(id) = started(k, name, api.auth(request).await, pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            BankIdNoStatus::Completed(p) => all(&[
                some("ssn", &p.ssn),
                some("phone", &p.phone),
                some("email", &p.email),
                some("address", &p.address),
                some("birthDate", &p.birth_date),
                some("pid", &p.pid),
                some("bankId", &p.bank_id),
                some("authenticatedAt", &p.authenticated_at),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }

    let name = "official bankid-no backchannel auth";
    let request = BankIdNoBackchannelAuthRequest::new(Nnin::parse("20123931743").unwrap());
    let bc_pending = |s: &BankIdNoStatus| match s {
        BankIdNoStatus::Pending(p) => Some((p.id.clone(), is(p.url.is_none(), "no url"))),
        _ => None,
    };
    if let Some(id) = started(k, name, api.backchannel_auth(request).await, bc_pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            BankIdNoStatus::Completed(p) => is(
                p.ssn.as_ref().map(|n| n.as_str()) == Some("20123931743"),
                "the number given",
            ),
            _ => Err("not COMPLETED".into()),
        });
    }

    let name = "official bankid-no sign text";
    let request = BankIdNoSignRequest::new().text("Jeg godtar");
    if let Some(id) = started(k, name, api.sign(request).await, pending) {
        ended(k, name, api.wait_for_sign(&id, poll()).await, |s| match s {
            BankIdNoStatus::Completed(p) => all(&[
                some("signResult", &p.sign_result),
                some("signedAt", &p.signed_at),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }

    let name = "official bankid-no sign documents";
    match document {
        Some((doc_id, hash)) => {
            let request = BankIdNoSignRequest::new().documents(vec![doc_id.clone()]);
            if let Some(id) = started(k, name, api.sign(request).await, pending) {
                ended(k, name, api.wait_for_sign(&id, poll()).await, |s| match s {
                    BankIdNoStatus::Completed(p) => is(
                        p.signed_documents.as_ref().is_some_and(|d| {
                            d.len() == 1 && d[0].id == doc_id && d[0].hash == hash
                        }),
                        "signedDocuments names the uploaded document and its hash",
                    ),
                    _ => Err("not COMPLETED".into()),
                });
            }
        }
        None => k.record(name, Err("no document was uploaded".into())),
    }

    age_verification(
        k,
        "official bankid-no age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18)),
        |id| async move { api.wait_for_age_verification(&id, poll()).await },
        true,
    )
    .await;
    cancelled(
        k,
        "official bankid-no cancel auth",
        api.auth(BankIdNoAuthRequest::new()),
        pending,
        |id| async move { api.cancel_auth(&id).await },
        |id| async move { api.auth_status(&id).await },
        |s| matches!(s, BankIdNoStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official bankid-no cancel sign",
        api.sign(BankIdNoSignRequest::new().text("x")),
        pending,
        |id| async move { api.cancel_sign(&id).await },
        |id| async move { api.sign_status(&id).await },
        |s| matches!(s, BankIdNoStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official bankid-no cancel age verification",
        api.age_verification(AgeVerificationRequest::new().max_age(99)),
        av_pending,
        |id| async move { api.cancel_age_verification(&id).await },
        |id| async move { api.age_verification_status(&id).await },
        |s| matches!(s, AgeVerificationStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
}

async fn freja(c: &IdentisureClient, k: &Checks) {
    let api = &c.freja();
    let pending = |s: &FrejaStatus| match s {
        FrejaStatus::Pending(p) => Some((
            p.id.clone(),
            all(&[
                some("autoStartToken", &p.auto_start_token),
                some("qrData", &p.qr_data),
            ]),
        )),
        _ => None,
    };
    let bc_pending = |s: &FrejaStatus| match s {
        FrejaStatus::Pending(p) => Some((p.id.clone(), Ok(()))),
        _ => None,
    };
    let completed = |s: &FrejaStatus| match s {
        FrejaStatus::Completed(p) => is(!p.name.is_empty(), "a name"),
        _ => Err("not COMPLETED".into()),
    };

    // The official QR requests have no `country`: the document requires it.
    let name = "official freja auth (no fields)";
    if let Some(id) = started(k, name, api.auth(FrejaAuthRequest::new()).await, pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, completed);
    }
    let name = "official freja auth (ssn)";
    let request = FrejaAuthRequest::new()
        .ssn(personnummer(4))
        .min_registration_level(FrejaRegistrationLevel::Plus);
    if let Some(id) = started(k, name, api.auth(request).await, pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, completed);
    }
    let name = "official freja sign";
    if let Some(id) = started(
        k,
        name,
        api.sign(FrejaSignRequest::new("I agree")).await,
        pending,
    ) {
        ended(k, name, api.wait_for_sign(&id, poll()).await, completed);
    }

    let name = "official freja backchannel auth (org number, address)";
    let request = FrejaBackchannelAuthRequest::new(
        personnummer(5),
        Country::Sweden,
        FrejaRegistrationLevel::Extended,
    )
    .org_number(OrgNumber::parse("5560160680").unwrap())
    .request_address(true)
    .ref_id("freja-1");
    if let Some(id) = started(k, name, api.backchannel_auth(request).await, bc_pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            FrejaStatus::Completed(p) => all(&[
                is(p.country == Country::Sweden, "country SWEDEN"),
                is(p.ssn == personnummer(5), "the number given"),
                some("companySignatoryText", &p.company_signatory_text),
                some("address", &p.address),
                some("authenticatedAt", &p.authenticated_at),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    let name = "official freja backchannel sign";
    let request = FrejaBackchannelSignRequest::new("18039040049", Country::Norway, "Jeg godtar");
    if let Some(id) = started(k, name, api.backchannel_sign(request).await, bc_pending) {
        ended(k, name, api.wait_for_sign(&id, poll()).await, |s| match s {
            FrejaStatus::Completed(p) => all(&[
                is(p.country == Country::Norway, "country NORWAY"),
                some("signedAt", &p.signed_at),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    let name = "official freja backchannel auth, country GERMANY";
    let request = FrejaBackchannelAuthRequest::new(
        "19900101-0017",
        Country::Germany,
        FrejaRegistrationLevel::Extended,
    );
    if let Some(id) = started(k, name, api.backchannel_auth(request).await, bc_pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            FrejaStatus::Completed(p) => is(p.country == Country::Germany, "country GERMANY"),
            _ => Err("not COMPLETED".into()),
        });
    }

    age_verification(
        k,
        "official freja age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18).max_age(67)),
        |id| async move { api.wait_for_age_verification(&id, poll()).await },
        true,
    )
    .await;
    let request = FrejaBackchannelAuthRequest::new(
        personnummer(6),
        Country::Sweden,
        FrejaRegistrationLevel::Extended,
    );
    cancelled(
        k,
        "official freja cancel auth",
        api.backchannel_auth(request),
        bc_pending,
        |id| async move { api.cancel_auth(&id).await },
        |id| async move { api.auth_status(&id).await },
        |s| matches!(s, FrejaStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    let request = FrejaBackchannelSignRequest::new(personnummer(7), Country::Sweden, "x");
    cancelled(
        k,
        "official freja cancel sign",
        api.backchannel_sign(request),
        bc_pending,
        |id| async move { api.cancel_sign(&id).await },
        |id| async move { api.sign_status(&id).await },
        |s| matches!(s, FrejaStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official freja cancel age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18)),
        av_pending,
        |id| async move { api.cancel_age_verification(&id).await },
        |id| async move { api.age_verification_status(&id).await },
        |s| matches!(s, AgeVerificationStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
}

async fn mitid(c: &IdentisureClient, k: &Checks, cb: &str) {
    let api = &c.mitid();
    let pending = |s: &MitIdStatus| match s {
        MitIdStatus::Pending(p) => Some((p.id.clone(), some("url", &p.url))),
        _ => None,
    };
    let name = "official mitid auth (every field)";
    let request = MitIdAuthRequest::new()
        .redirect_url(url("https://rp.example/return"))
        .reference_text("Log in to Example")
        .request_phone(true)
        .request_email(true)
        .request_address(true)
        .ref_id("dk-1");
    if let Some(id) = started(k, name, api.auth(request).await, pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            MitIdStatus::Completed(p) => all(&[
                is(
                    p.ssn.as_ref().map(|n| n.as_str()) == Some("2409911238"),
                    "the CPR",
                ),
                some("phone", &p.phone),
                some("email", &p.email),
                some("address", &p.address),
                some("birthDate", &p.birth_date),
                some("bankId", &p.bank_id),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    let name = "official mitid backchannel auth";
    let request = MitIdBackchannelAuthRequest::new(Cpr::parse("240991-1238").unwrap(), "Login")
        .callback_url(url(cb))
        .ref_id("dk-2");
    let bc_pending = |s: &MitIdStatus| match s {
        MitIdStatus::Pending(p) => Some((
            p.id.clone(),
            is(
                p.binding_message.as_deref() == Some("Login"),
                "bindingMessage echoed",
            ),
        )),
        _ => None,
    };
    if let Some(id) = started(k, name, api.backchannel_auth(request).await, bc_pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| {
            is(matches!(s, MitIdStatus::Completed(_)), "COMPLETED")
        });
    }
    let name = "official mitid sign";
    let request = MitIdSignRequest::new("Jeg accepterer").redirect_url(url("https://rp.example/r"));
    if let Some(id) = started(k, name, api.sign(request).await, pending) {
        ended(k, name, api.wait_for_sign(&id, poll()).await, |s| match s {
            MitIdStatus::Completed(p) => all(&[
                some("signResult", &p.sign_result),
                some("signedAt", &p.signed_at),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    age_verification(
        k,
        "official mitid age verification",
        api.age_verification(AgeVerificationRequest::new().max_age(30)),
        |id| async move { api.wait_for_age_verification(&id, poll()).await },
        false,
    )
    .await;
    cancelled(
        k,
        "official mitid cancel auth",
        api.auth(MitIdAuthRequest::new()),
        pending,
        |id| async move { api.cancel_auth(&id).await },
        |id| async move { api.auth_status(&id).await },
        |s| matches!(s, MitIdStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official mitid cancel sign",
        api.sign(MitIdSignRequest::new("x")),
        pending,
        |id| async move { api.cancel_sign(&id).await },
        |id| async move { api.sign_status(&id).await },
        |s| matches!(s, MitIdStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official mitid cancel age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18)),
        av_pending,
        |id| async move { api.cancel_age_verification(&id).await },
        |id| async move { api.age_verification_status(&id).await },
        |s| matches!(s, AgeVerificationStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
}

async fn ftn(c: &IdentisureClient, k: &Checks) {
    let api = &c.ftn();
    let pending = |s: &FtnStatus| match s {
        FtnStatus::Pending(p) => Some((p.id.clone(), is(!p.url.is_empty(), "url"))),
        _ => None,
    };
    let name = "official ftn auth (every field)";
    let request = FtnAuthRequest::new()
        .redirect_url(url("https://rp.example/return"))
        .request_phone(true)
        .request_email(true)
        .request_address(true)
        .ref_id("fi-1");
    if let Some(id) = started(k, name, api.auth(request).await, pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            FtnStatus::Completed(p) => all(&[
                is(
                    p.ssn.as_ref().map(|n| n.as_str()) == Some("230586-264K"),
                    "the HETU",
                ),
                some("phone", &p.phone),
                some("email", &p.email),
                some("address", &p.address),
                some("bankId", &p.bank_id),
                some("bankName", &p.bank_name),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    age_verification(
        k,
        "official ftn age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18)),
        |id| async move { api.wait_for_age_verification(&id, poll()).await },
        true,
    )
    .await;
    cancelled(
        k,
        "official ftn cancel auth",
        api.auth(FtnAuthRequest::new()),
        pending,
        |id| async move { api.cancel_auth(&id).await },
        |id| async move { api.auth_status(&id).await },
        |s| matches!(s, FtnStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
    cancelled(
        k,
        "official ftn cancel age verification",
        api.age_verification(AgeVerificationRequest::new().min_age(18)),
        av_pending,
        |id| async move { api.cancel_age_verification(&id).await },
        |id| async move { api.age_verification_status(&id).await },
        |s| matches!(s, AgeVerificationStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
}

async fn vipps(c: &IdentisureClient, k: &Checks, cb: &str) {
    let api = &c.vipps();
    let pending = |s: &VippsStatus| match s {
        VippsStatus::Pending(p) => Some((p.id.clone(), some("url", &p.url))),
        _ => None,
    };
    let name = "official vipps auth (every field)";
    let request = VippsAuthRequest::new()
        .redirect_url(url("https://rp.example/return"))
        .request_ssn(true)
        .request_phone(true)
        .request_email(true)
        .request_address(true)
        .app_callback_uri(url("myapp://return"))
        .ref_id("vipps-1");
    if let Some(id) = started(k, name, api.auth(request).await, pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            VippsStatus::Completed(p) => all(&[
                some("ssn", &p.ssn),
                some("phone", &p.phone),
                some("email", &p.email),
                some("address", &p.address),
                some("bankId", &p.bank_id),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    let name = "official vipps backchannel auth";
    let request = VippsBackchannelAuthRequest::new("+4790881716")
        .request_ssn(true)
        .request_email(true)
        .callback_url(url(cb));
    let bc_pending = |s: &VippsStatus| match s {
        VippsStatus::Pending(p) => Some((p.id.clone(), is(p.url.is_none(), "no url"))),
        _ => None,
    };
    if let Some(id) = started(k, name, api.backchannel_auth(request).await, bc_pending) {
        ended(k, name, api.wait_for_auth(&id, poll()).await, |s| match s {
            VippsStatus::Completed(p) => all(&[
                is(p.phone.as_deref() == Some("+4790881716"), "the phone given"),
                some("ssn", &p.ssn),
                some("email", &p.email),
            ]),
            _ => Err("not COMPLETED".into()),
        });
    }
    cancelled(
        k,
        "official vipps cancel auth",
        api.auth(VippsAuthRequest::new()),
        pending,
        |id| async move { api.cancel_auth(&id).await },
        |id| async move { api.auth_status(&id).await },
        |s| matches!(s, VippsStatus::Failed(f) if f.error == ApiErrorCode::Cancelled),
    )
    .await;
}

/// Uploads a PDF with the official client (`/v3/document`) and downloads it.
async fn documents(c: &IdentisureClient, k: &Checks) -> Option<(String, String)> {
    let pdf = b"%PDF-1.7\n% conformance\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let uploaded = match c
        .document()
        .upload(pdf.clone(), "contract.pdf", "application/pdf")
        .await
    {
        Ok(d) => {
            k.ensure(
                "official document upload",
                !d.id.is_empty() && d.hash.len() == 64,
                || format!("{d:?}"),
            );
            d
        }
        Err(e) => {
            k.record("official document upload", Err(e.to_string()));
            return None;
        }
    };
    let result = match c.document().download(&uploaded.id).await {
        Ok(bytes) => is(bytes == pdf, "the same PDF bytes"),
        Err(e) => Err(e.to_string()),
    };
    k.record("official document download", result);
    Some((uploaded.id, uploaded.hash))
}

/// The official client's error mapping against the simulator's answers.
async fn errors(sim: &RunningSimulator, c: &IdentisureClient, k: &Checks) {
    let wrong = IdentisureClientBuilder::new(ACCOUNT, "not-the-secret")
        .base_url(sim.url())
        .build()
        .unwrap();
    let result = match wrong.bankid_se().auth(BankIdSeAuthRequest::new()).await {
        Err(IdentisureError::Api {
            status: 401,
            message,
        }) => is(!message.is_empty(), "a message"),
        other => Err(format!("{other:?}")),
    };
    k.record(
        "official error: wrong credentials are 401 with a message",
        result,
    );
    let result = match c.vipps().auth_status("no-such-session").await {
        Err(IdentisureError::Api {
            status: 404,
            message,
        }) => is(!message.is_empty(), "a message"),
        other => Err(format!("{other:?}")),
    };
    k.record(
        "official error: an unknown id is 404 with a message",
        result,
    );
    let result = async {
        let s = c
            .ftn()
            .auth(FtnAuthRequest::new())
            .await
            .map_err(|e| e.to_string())?;
        let FtnStatus::Pending(p) = s else {
            return Err("not PENDING".to_string());
        };
        c.ftn()
            .auth_status(&p.id)
            .await
            .map_err(|e| e.to_string())?;
        match c.ftn().auth_status(&p.id).await {
            Err(IdentisureError::Api { status: 429, .. }) => Ok(()),
            other => Err(format!("a second collect within 1 s: {other:?}")),
        }
    }
    .await;
    k.record(
        "official error: a second collect within a second is 429",
        result,
    );
    let result = match c.mitid().sign(MitIdSignRequest::new("x".repeat(601))).await {
        Err(IdentisureError::Api {
            status: 400,
            message,
        }) => is(message.starts_with("text: "), "the message names the field"),
        other => Err(format!("{other:?}")),
    };
    k.record("official error: an invalid field is 400 naming it", result);
}

/// A callback receiver on 127.0.0.1: every POST's raw body and signature.
async fn receiver() -> (String, mpsc::UnboundedReceiver<(Vec<u8>, String)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let signature = headers
                        .get("x-signature-sha256")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let _ = tx.send((body.to_vec(), signature));
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/callback"), rx)
}

/// The callbacks of the sessions started with `callbackUrl`, verified with
/// the official function, decoded with the official models.
async fn callbacks(
    k: &Checks,
    mut rx: mpsc::UnboundedReceiver<(Vec<u8>, String)>,
    expected: usize,
) {
    let mut seen = Vec::new();
    while seen.len() < expected {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(c)) => seen.push(c),
            _ => break,
        }
    }
    k.ensure(
        "official callbacks: one per session with a callbackUrl",
        seen.len() == expected,
        || format!("{} of {expected}", seen.len()),
    );
    for (body, signature) in &seen {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let id = value["id"].as_str().unwrap_or("?").to_string();
        let kind = value["refId"].as_str().unwrap_or("no refId").to_string();
        k.ensure(
            format!("official callback {kind}: verify_callback_signature accepts it"),
            identisure_client::verify_callback_signature(body, signature, SECRET),
            || format!("signature {signature:?} of session {id}"),
        );
        let mut tampered = body.clone();
        tampered.push(b' ');
        k.ensure(
            format!("official callback {kind}: a tampered body is refused"),
            !identisure_client::verify_callback_signature(&tampered, signature, SECRET),
            || "accepted".into(),
        );
        let decoded = match kind.as_str() {
            "order-17" => serde_json::from_slice::<BankIdSeStatus>(body)
                .map(|s| matches!(s, BankIdSeStatus::Completed(_))),
            "dk-2" => serde_json::from_slice::<MitIdStatus>(body)
                .map(|s| matches!(s, MitIdStatus::Completed(_))),
            _ => serde_json::from_slice::<VippsStatus>(body)
                .map(|s| matches!(s, VippsStatus::Completed(_))),
        };
        k.ensure(
            format!("official callback {kind}: decodes as COMPLETED with the official model"),
            matches!(decoded, Ok(true)),
            || format!("{decoded:?}"),
        );
    }
}

async fn suite(reading: Reading) -> (Checks, usize) {
    let sim = conformance::simulator(reading).await;
    let c = client(&sim);
    let k = Checks::default();
    let (cb, rx) = receiver().await;
    let document = documents(&c, &k).await;
    // Providers run side by side (their sessions never share an ssn).
    tokio::join!(
        bankid_se(&c, &sim, &k, &cb),
        bankid_no(&c, &k, document),
        freja(&c, &k),
        mitid(&c, &k, &cb),
        ftn(&c, &k),
        vipps(&c, &k, &cb),
        errors(&sim, &c, &k),
    );
    callbacks(&k, rx, 3).await;
    let violations = sim.simulator().rate_limit_violations();
    sim.shutdown().await;
    (k, violations as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_against_the_simulator_as_the_document_reads() {
    let (k, violations) = suite(Reading::Document).await;
    // Only the deliberate 429 check collected too fast.
    k.ensure(
        "official client: no collect faster than allowed",
        violations == 1,
        || format!("{violations} rate-limit violations"),
    );
    let report = k.finish(
        "official client",
        Reading::Document,
        &[
            "official freja auth",
            "official freja sign",
            "official freja backchannel auth, country GERMANY",
        ],
    );
    // The suite must not shrink silently (138 checks when this was written).
    assert!(k.outcomes().len() >= 135, "{report}");
}

/// The default reading accepts everything the official client sends: all
/// of the provider's clients agree on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_against_the_simulator_in_the_default_reading() {
    let (k, violations) = suite(Reading::Decisions).await;
    k.ensure(
        "official client: no collect faster than allowed",
        violations == 1,
        || format!("{violations} rate-limit violations"),
    );
    k.finish("official client", Reading::Decisions, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_against_the_simulator_with_the_clients_reading() {
    let (k, violations) = suite(Reading::Clients).await;
    k.ensure(
        "official client: no collect faster than allowed",
        violations == 1,
        || format!("{violations} rate-limit violations"),
    );
    k.finish("official client", Reading::Clients, &[]);
}
