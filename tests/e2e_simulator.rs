//! End to end through the typed `identisure::Client` and the embedded
//! simulator on 127.0.0.1: every provider and flow, all 56 operations (each
//! seen with a success status in the client's own `identisure.call` spans),
//! every scenario outcome, 429 behaviour, account isolation, and callbacks
//! received by an axum server and verified with `verify_callback`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use identisure::providers::bankid_se::CallInitiator;
use identisure::providers::{bankid_no, bankid_se, freja, ftn, mitid, vipps};
use identisure::{Client, Error, FailureCode, Family, Outcome, State, WaitOptions};
use identisure_simulator::{RunningSimulator, Simulator, Timing, test_identities};

const ACCOUNT: &str = "e2e-account";
const SECRET: &str = "e2e-secret";
const OTHER: &str = "other-account";
const OTHER_SECRET: &str = "other-secret";

async fn simulator() -> RunningSimulator {
    Simulator::builder()
        .account(ACCOUNT, SECRET)
        .account(OTHER, OTHER_SECRET)
        .timing(Timing {
            step: Duration::from_millis(100),
            expire_after: Duration::from_secs(3),
            callback_backoff: Duration::from_millis(50),
            ..Timing::default()
        })
        .build()
        .spawn_local()
        .await
        .unwrap()
}

fn client_as(sim: &RunningSimulator, id: &str, secret: &str) -> Client {
    Client::builder()
        .credentials(id, secret)
        .base_url(sim.url())
        .build()
        .unwrap()
}

fn client(sim: &RunningSimulator) -> Client {
    client_as(sim, ACCOUNT, SECRET)
}

fn options() -> WaitOptions {
    WaitOptions::default().timeout(Duration::from_secs(20))
}

// ---------------------------------------------------------------------------
// A tracing subscriber that records the client's `identisure.call` spans:
// which operation was called and the status it got.

#[derive(Default)]
struct Calls {
    next: AtomicU64,
    spans: Mutex<HashMap<u64, (String, Option<u64>)>>,
    metadata: Mutex<HashMap<u64, &'static tracing::Metadata<'static>>>,
}

thread_local! {
    /// The spans entered on this thread (the client records the status on
    /// `Span::current()`, so the subscriber must know it).
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Field<'a>(&'a str, Option<String>, Option<u64>);

impl tracing::field::Visit for Field<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == self.0 {
            self.1 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == self.0 {
            self.1 = Some(value.to_string());
        }
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if field.name() == self.0 {
            self.2 = Some(value);
        }
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        if field.name() == self.0 {
            self.2 = u64::try_from(value).ok();
        }
    }
}

#[derive(Clone, Default)]
struct Recorder(Arc<Calls>);

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.name() == "identisure.call"
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut op = Field("operation", None, None);
        attrs.record(&mut op);
        self.0
            .spans
            .lock()
            .unwrap()
            .insert(id, (op.1.unwrap_or_default(), None));
        self.0.metadata.lock().unwrap().insert(id, attrs.metadata());
        tracing::span::Id::from_u64(id)
    }
    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut status = Field("status", None, None);
        values.record(&mut status);
        if let Some(code) = status.2
            && let Some(entry) = self.0.spans.lock().unwrap().get_mut(&span.into_u64())
        {
            entry.1 = Some(code);
        }
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, span: &tracing::span::Id) {
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, span: &tracing::span::Id) {
        ENTERED.with(|e| {
            let mut e = e.borrow_mut();
            if let Some(pos) = e.iter().rposition(|id| *id == span.into_u64()) {
                e.remove(pos);
            }
        });
    }
    fn current_span(&self) -> tracing_core::span::Current {
        let top = ENTERED.with(|e| e.borrow().last().copied());
        match top.and_then(|id| Some((id, *self.0.metadata.lock().unwrap().get(&id)?))) {
            Some((id, meta)) => {
                tracing_core::span::Current::new(tracing::span::Id::from_u64(id), meta)
            }
            None => tracing_core::span::Current::none(),
        }
    }
}

impl Recorder {
    /// Operations answered with a 2xx status, with how often.
    fn succeeded(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (op, status) in self.0.spans.lock().unwrap().values() {
            if status.is_some_and(|s| (200..300).contains(&s)) {
                *out.entry(op.clone()).or_insert(0) += 1;
            }
        }
        out
    }
}

fn spec_operation_ids() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&text).unwrap();
    let mut ids = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

// ---------------------------------------------------------------------------

/// Starts twice: the first session waits to COMPLETED, the second is
/// collected (PENDING), cancelled, and collected again (FAILED CANCELLED).
/// Returns the completed state.
async fn run_flow<F, Fut>(name: &str, start: impl Fn() -> Fut) -> F::Completed
where
    F: Family,
    Fut: Future<Output = identisure::Result<identisure::Started<F>>>,
{
    let first = start().await.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(first.session().pending().is_some(), "{name}");
    let completed = match first.wait(options()).await {
        Ok(Outcome::Completed(c)) => *c,
        other => panic!("{name}: {other:?}"),
    };
    let second = start().await.unwrap_or_else(|e| panic!("{name}: {e}"));
    let state = second.collect().await.unwrap();
    assert!(
        matches!(state, State::Pending(_)),
        "{name}: a fresh session is pending"
    );
    second.cancel().await.unwrap();
    match second.collect().await.unwrap() {
        State::Failed { code, .. } => assert_eq!(code, FailureCode::Cancelled, "{name}"),
        other => panic!("{name}: {other:?}"),
    }
    completed
}

#[tokio::test]
async fn all_56_operations_through_the_typed_client() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let sim = simulator().await;
    let c = client(&sim);
    let age = || {
        identisure::providers::AgeVerificationRequest::default()
            .min_age(18)
            .max_age(130)
    };

    // Documents: upload (POST) and download (GET); the hash is the PDF's SHA-256.
    let pdf = b"%PDF-1.4\n% e2e test document\n".to_vec();
    let document = c.documents().upload(pdf.clone()).await.unwrap();
    let expected_hash: String = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&pdf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(document.hash.as_deref(), Some(expected_hash.as_str()));
    let read = c.documents().download(&document.id).await.unwrap();
    assert_eq!(&read[..], &pdf[..], "the same PDF bytes");
    let scratch = c.documents().upload(pdf.clone()).await.unwrap();
    c.documents().delete(&scratch.id).await.unwrap();
    let gone = c.documents().download(&scratch.id).await.unwrap_err();
    assert!(
        matches!(gone, identisure::Error::DocumentNotFound { ref id } if *id == scratch.id),
        "{gone:?}"
    );

    // BankID SE verify answers the ID card's person directly.
    let verified = c
        .bankid_se()
        .verify(bankid_se::VerifyRequest::default().qr_code(identisure_simulator::VERIFY_QR_CODE))
        .await
        .unwrap();
    assert_eq!(verified.name.as_deref(), Some("Astrid Lindqvist"));

    let doc_id = document.id.clone();
    // The provider APIs borrow the client; the start closures borrow them.
    let (bse, fre, bno) = (c.bankid_se(), c.freja(), c.bankid_no());
    let (vip, mit, fin) = (c.vipps(), c.mitid(), c.ftn());
    let se = async {
        let a = run_flow::<identisure::BankIdSe, _>("bankid-se auth", || {
            bse.auth(bankid_se::AuthRequest::default().intent("e2e"))
        })
        .await;
        assert_eq!(a.name.as_deref(), Some("Astrid Lindqvist"));
        let s = run_flow::<identisure::BankIdSe, _>("bankid-se sign", || {
            bse.sign(bankid_se::SignRequest::default().text("I agree"))
        })
        .await;
        assert!(s.signed_at.is_some());
        run_flow::<identisure::BankIdSe, _>("bankid-se phone auth", || {
            bse.phone_auth(
                bankid_se::PhoneAuthRequest::default()
                    .ssn("198808087020")
                    .call_initiator(CallInitiator::Rp),
            )
        })
        .await;
        run_flow::<identisure::BankIdSe, _>("bankid-se phone sign", || {
            bse.phone_sign(
                bankid_se::PhoneSignRequest::default()
                    .ssn("198704122384")
                    .text("I agree")
                    .call_initiator(CallInitiator::User),
            )
        })
        .await;
        let v = run_flow::<identisure::AgeVerification, _>("bankid-se age", || {
            bse.age_verification(age())
        })
        .await;
        assert_eq!(v.age_verified, Some(true));
    };
    let fr = async {
        let a = run_flow::<identisure::Freja, _>("freja auth", || {
            fre.auth(
                freja::AuthRequest::default()
                    .ssn("198704122384")
                    .country(freja::country::SWEDEN),
            )
        })
        .await;
        assert_eq!(a.country.as_deref(), Some("SWEDEN"));
        run_flow::<identisure::Freja, _>("freja sign", || {
            fre.sign(
                freja::SignRequest::default()
                    .ssn("198808087020")
                    .country(freja::country::SWEDEN)
                    .text("I agree"),
            )
        })
        .await;
        run_flow::<identisure::Freja, _>("freja backchannel auth", || {
            fre.backchannel_auth(
                freja::BackchannelAuthRequest::default()
                    .ssn("198704122384")
                    .country(freja::country::SWEDEN),
            )
        })
        .await;
        run_flow::<identisure::Freja, _>("freja backchannel sign", || {
            fre.backchannel_sign(
                freja::BackchannelSignRequest::default()
                    .ssn("198808087020")
                    .country(freja::country::SWEDEN)
                    .text("I agree"),
            )
        })
        .await;
        run_flow::<identisure::AgeVerification, _>("freja age", || fre.age_verification(age()))
            .await;
    };
    let no = async {
        let a = run_flow::<identisure::BankIdNo, _>("bankid-no auth", || {
            bno.auth(bankid_no::AuthRequest::default().request_ssn(true))
        })
        .await;
        assert_eq!(a.name.as_deref(), Some("Ingrid Haugen"));
        run_flow::<identisure::BankIdNo, _>("bankid-no text sign", || {
            bno.sign(bankid_no::TextSignRequest::default().text("I agree"))
        })
        .await;
        let signed = run_flow::<identisure::BankIdNo, _>("bankid-no document sign", || {
            let item = identisure::raw::types::BankIdNoDocumentSignRequestDocumentsItem::try_from(
                doc_id.as_str(),
            )
            .unwrap();
            bno.sign(bankid_no::DocumentSignRequest::default().documents(vec![item]))
        })
        .await;
        assert_eq!(
            signed.signed_documents[0].id.as_deref(),
            Some(doc_id.as_str())
        );
        run_flow::<identisure::BankIdNo, _>("bankid-no backchannel auth", || {
            bno.backchannel_auth(bankid_no::BackchannelAuthRequest::default().ssn("18039040049"))
        })
        .await;
        run_flow::<identisure::AgeVerification, _>("bankid-no age", || bno.age_verification(age()))
            .await;
    };
    let rest = async {
        run_flow::<identisure::Vipps, _>("vipps auth", || vip.auth(vipps::AuthRequest::default()))
            .await;
        run_flow::<identisure::Vipps, _>("vipps backchannel auth", || {
            vip.backchannel_auth(
                vipps::BackchannelAuthRequest::default().phone("+4790881716".to_string()),
            )
        })
        .await;
        let m = run_flow::<identisure::MitId, _>("mitid auth", || {
            mit.auth(mitid::AuthRequest::default())
        })
        .await;
        assert_eq!(m.name.as_deref(), Some("Mette Sørensen"));
        run_flow::<identisure::MitId, _>("mitid sign", || {
            mit.sign(mitid::SignRequest::default().text("I agree"))
        })
        .await;
        run_flow::<identisure::MitId, _>("mitid backchannel auth", || {
            mit.backchannel_auth(
                mitid::BackchannelAuthRequest::default()
                    .ssn("240991-1238")
                    .binding_message("e2e"),
            )
        })
        .await;
        run_flow::<identisure::AgeVerification, _>("mitid age", || mit.age_verification(age()))
            .await;
        let f =
            run_flow::<identisure::Ftn, _>("ftn auth", || fin.auth(ftn::AuthRequest::default()))
                .await;
        assert!(f.bank_name.is_some());
        run_flow::<identisure::AgeVerification, _>("ftn age", || fin.age_verification(age())).await;
    };
    join_all([
        Box::pin(se) as std::pin::Pin<Box<dyn Future<Output = ()>>>,
        Box::pin(fr),
        Box::pin(no),
        Box::pin(rest),
    ])
    .await;

    let succeeded = recorder.succeeded();
    let seen: BTreeSet<String> = succeeded.keys().cloned().collect();
    let spec = spec_operation_ids();
    assert_eq!(spec.len(), 56);
    let missing: Vec<_> = spec.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "operations never answered 2xx: {missing:?}"
    );
    assert_eq!(seen.len(), 56, "only the spec's operations: {seen:?}");
    // The client never collected faster than the simulator allows.
    assert_eq!(sim.rate_limit_violations(), 0);
}

#[tokio::test]
async fn every_scenario_ends_as_its_test_identity_says() {
    let sim = simulator().await;
    let c = client(&sim);
    let runs = test_identities().into_iter().map(|identity| {
        let c = c.clone();
        let sim = &sim;
        async move {
            // By the Swedish personal number (the refId route is below).
            let request = bankid_se::AuthRequest::default().ssn(identity.ssn());
            let session = c.bankid_se().auth(request).await.unwrap();
            if identity.name() == "manual" {
                // Stays pending until approved.
                let state = session.collect().await.unwrap();
                assert!(matches!(state, State::Pending(_)));
                assert!(sim.complete_now(session.id()).is_some());
            }
            let outcome = session
                .wait(WaitOptions::default().timeout(Duration::from_secs(30)))
                .await
                .unwrap();
            match (identity.failure_code(), outcome) {
                (None, Outcome::Completed(person)) => {
                    assert_eq!(
                        person.name.as_deref(),
                        Some(identity.person().name().as_str()),
                        "{}",
                        identity.name()
                    );
                }
                (
                    Some(code),
                    Outcome::Failed {
                        code: got,
                        hint_code,
                        ..
                    },
                ) => {
                    assert_eq!(got.as_str(), code, "{}", identity.name());
                    assert_eq!(
                        hint_code.map(|h| h.as_str().to_string()).as_deref(),
                        identity.hint_code(),
                        "{}",
                        identity.name()
                    );
                }
                (expected, got) => {
                    panic!("{}: expected {expected:?}, got {got:?}", identity.name())
                }
            }
        }
    });
    join_all(runs).await;

    // By refId, in a redirect flow: the same outcomes.
    let runs = test_identities().into_iter().map(|identity| {
        let c = c.clone();
        let sim = &sim;
        async move {
            let request = ftn::AuthRequest::default().ref_id(identity.ref_id());
            let session = c.ftn().auth(request).await.unwrap();
            if identity.name() == "manual" {
                assert!(matches!(
                    session.collect().await.unwrap(),
                    State::Pending(_)
                ));
                assert!(sim.complete_now(session.id()).is_some());
            }
            let outcome = session
                .wait(WaitOptions::default().timeout(Duration::from_secs(30)))
                .await
                .unwrap();
            match (identity.failure_code(), outcome) {
                (None, Outcome::Completed(person)) => assert!(person.name.is_some()),
                (Some(code), Outcome::Failed { code: got, .. }) => {
                    assert_eq!(got.as_str(), code, "{}", identity.name())
                }
                (expected, got) => {
                    panic!("{}: expected {expected:?}, got {got:?}", identity.name())
                }
            }
        }
    });
    join_all(runs).await;

    // The Swedish personal number of a test identity selects it too.
    let cancel = test_identities()
        .into_iter()
        .find(|t| t.name() == "user-cancel")
        .unwrap();
    let session = c
        .freja()
        .auth(
            freja::AuthRequest::default()
                .ssn(cancel.ssn())
                .country(freja::country::SWEDEN),
        )
        .await
        .unwrap();
    let outcome = session.wait(options()).await.unwrap();
    assert!(matches!(
        outcome,
        Outcome::Failed {
            code: FailureCode::Cancelled,
            ..
        }
    ));

    // A second session for a user with one in progress is refused (400),
    // and the first one ends with CONFLICT.
    let manual = test_identities()
        .into_iter()
        .find(|t| t.name() == "manual")
        .unwrap();
    let request = || bankid_se::AuthRequest::default().ssn(manual.ssn());
    let first = c.bankid_se().auth(request()).await.unwrap();
    let err = c.bankid_se().auth(request()).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyInProgress), "{err:?}");
    let outcome = first.wait(options()).await.unwrap();
    assert!(matches!(
        outcome,
        Outcome::Failed {
            code: FailureCode::Conflict,
            ..
        }
    ));
}

#[tokio::test]
async fn a_second_client_collecting_too_fast_gets_429_and_waits_it_out() {
    let sim = simulator().await;
    let a = client(&sim);
    let b = client(&sim);
    let session = a
        .bankid_se()
        .auth(bankid_se::AuthRequest::default().ref_id("sim:manual"))
        .await
        .unwrap();
    assert!(matches!(
        session.collect().await.unwrap(),
        State::Pending(_)
    ));
    // Another client knows nothing of that collect: the server answers 429.
    let other = b.bankid_se().auth_session(session.id()).unwrap();
    let err = other.collect().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(sim.rate_limit_violations(), 1);
    // `wait` honours the 429 and still sees the end.
    sim.complete_now(session.id()).unwrap();
    let outcome = other.wait(options()).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
}

#[tokio::test]
async fn sessions_belong_to_their_account() {
    let sim = simulator().await;
    let mine = client(&sim);
    let theirs = client_as(&sim, OTHER, OTHER_SECRET);
    let session = mine
        .mitid()
        .auth(mitid::AuthRequest::default().ref_id("sim:manual"))
        .await
        .unwrap();
    let foreign = theirs.mitid().auth_session(session.id()).unwrap();
    assert!(matches!(
        foreign.collect().await.unwrap_err(),
        Error::SessionNotFound { id: Some(ref id) } if id == session.id()
    ));
    assert!(matches!(
        foreign.cancel().await.unwrap_err(),
        Error::SessionNotFound { id: Some(ref id) } if id == session.id()
    ));
    // Still pending for its owner (the foreign cancel did nothing).
    assert!(matches!(
        session.collect().await.unwrap(),
        State::Pending(_)
    ));
    // Wrong secret: 401.
    let wrong = client_as(&sim, ACCOUNT, "wrong-secret");
    let err = wrong
        .ftn()
        .auth(ftn::AuthRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized));
}

#[tokio::test]
async fn callbacks_arrive_signed_and_verify() {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    use identisure::callback::{CallbackError, CallbackSecret, SIGNATURE_HEADER, verify_callback};
    use identisure::raw::types::{BankIdSeSession, VippsSession};

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<String>, Bytes)>();
    let app = axum::Router::new().route(
        "/cb",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let sig = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let _ = tx.send((sig, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback_url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let sim = simulator().await;
    let c = client(&sim);
    let secret = CallbackSecret::new(SECRET);

    let session = c
        .bankid_se()
        .auth(bankid_se::AuthRequest::default().callback_url(callback_url.clone()))
        .await
        .unwrap();
    let outcome = session.wait(options()).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
    let (sig, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    match verify_callback::<BankIdSeSession>(&secret, sig.as_deref(), &body).unwrap() {
        BankIdSeSession::Completed(done) => {
            assert_eq!(done.id, session.id());
            assert_eq!(done.name.as_deref(), Some("Astrid Lindqvist"));
        }
        other => panic!("{other:?}"),
    }
    // Another account's secret does not verify it.
    assert_eq!(
        verify_callback::<BankIdSeSession>(
            &CallbackSecret::new(OTHER_SECRET),
            sig.as_deref(),
            &body
        )
        .unwrap_err(),
        CallbackError::WrongSignature
    );

    // A failed session calls back too.
    let session = c
        .vipps()
        .auth(
            vipps::AuthRequest::default()
                .callback_url(callback_url)
                .ref_id("sim:auth-failed"),
        )
        .await
        .unwrap();
    let outcome = session.wait(options()).await.unwrap();
    assert!(matches!(
        outcome,
        Outcome::Failed {
            code: FailureCode::AuthFailed,
            ..
        }
    ));
    let (sig, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    match verify_callback::<VippsSession>(&secret, sig.as_deref(), &body).unwrap() {
        VippsSession::Failed(failed) => {
            assert_eq!(failed.id, session.id());
            assert_eq!(failed.error, "AUTH_FAILED");
        }
        other => panic!("{other:?}"),
    }
}
