//! Conformance of `identisure` with the provider's own clients.
//!
//! Our spec was rebuilt from a short API document; the provider's clients
//! (the `identisure-client` crate and the clients in `idkollen/idk-clients`)
//! are the best outside evidence of what the live service sends and accepts.
//! Two suites use them (`cargo test -p conformance`):
//!
//! - `tests/official_client.rs`: the official Rust client drives the
//!   embedded simulator through every operation it offers, every provider
//!   and flow, success and every failure scenario, cancel, wait, document
//!   upload and download, and signed callbacks verified with the official
//!   client's own function.
//! - `tests/client_fixtures.rs`: the JSON bodies of the official test
//!   suites (C#, Dart, Go, PHP, Ruby, Swift; carried into `fixtures/`):
//!   every response body decodes with our types, every request body passes
//!   our client's validation and is accepted by the simulator.
//!
//! Every check passes, or fails on purpose: [`DIVERGENCES`] lists the checks
//! that the simulator refuses because the API document says so, and in which
//! readings (each one a recorded decision, MAINTAINING.md): the strict
//! document reading refuses them all; the default reading only where the
//! clients disagree among themselves. With the clients' reading
//! ([`Reading::Clients`]) every check passes. A listed divergence that stops
//! failing fails the suite too, so the list cannot go stale.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use identisure_simulator::{Reading, RunningSimulator, Simulator, Timing};

/// The account the suites use on the simulator.
pub const ACCOUNT: &str = "conformance";
/// Its secret key (also the key of the signed callbacks).
pub const SECRET: &str = "conformance-secret";

/// A check that fails on purpose in the simulator's default reading.
#[derive(Debug)]
pub struct Divergence {
    /// The check's name (a prefix: every check starting with it).
    pub check: &'static str,
    /// The decision that settles it (MAINTAINING.md, "Decisions").
    pub decision: &'static str,
    /// What the simulator answers, in words.
    pub because: &'static str,
    /// The readings in which the simulator refuses it.
    pub readings: &'static [Reading],
}

/// Refused only by the document's strict reading (the clients all agree
/// against it, so the default reading accepts).
const STRICT: &[Reading] = &[Reading::Document];
/// Refused by default too (the clients disagree among themselves, so the
/// document decides).
const DOCUMENT_DECIDES: &[Reading] = &[Reading::Document, Reading::Decisions];

/// The checks that the API document decides against the provider's clients.
pub const DIVERGENCES: &[Divergence] = &[
    Divergence {
        check: "official freja auth",
        decision: "freja-qr-without-ssn-country",
        because: "the official FrejaAuthRequest has no country (and ssn is optional); the document requires both: 400",
        readings: STRICT,
    },
    Divergence {
        check: "official freja sign",
        decision: "freja-qr-without-ssn-country",
        because: "the official FrejaSignRequest has no country; the document requires ssn and country: 400",
        readings: STRICT,
    },
    Divergence {
        check: "official freja backchannel auth, country GERMANY",
        decision: "freja-country-values",
        because: "the document's country enum is SWEDEN, NORWAY, DENMARK, FINLAND: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (simulator) POST /v3/bankid-se/phone/auth callInitiator user",
        decision: "call-initiator-case",
        because: "five clients' tests send callInitiator `user`; the document's enum is USER, RP: 400 (our client reads `user` and sends `USER`)",
        readings: DOCUMENT_DECIDES,
    },
    Divergence {
        check: "fixture request (simulator) POST /v3/freja/auth without ssn",
        decision: "freja-qr-without-ssn-country",
        because: "the C#, Dart, PHP and Ruby tests start Freja auth without ssn and country: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (our client) POST /v3/freja/auth without ssn",
        decision: "freja-qr-without-ssn-country",
        because: "our client sends it (it never refuses what the service may accept); the simulator refuses it: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (simulator) POST /v3/freja/auth without country",
        decision: "freja-qr-without-ssn-country",
        because: "the TypeScript client names the person without country (its type has none); the document requires country: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (our client) POST /v3/freja/auth without country",
        decision: "freja-qr-without-ssn-country",
        because: "our client sends it; the strict simulator refuses it: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (simulator) POST /v3/freja/sign without ssn",
        decision: "freja-qr-without-ssn-country",
        because: "the Python client signs with Freja without ssn and country: 400 in the document's reading",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (our client) POST /v3/freja/sign without ssn",
        decision: "freja-qr-without-ssn-country",
        because: "our client sends it; the strict simulator refuses it: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (simulator) POST /v3/freja/backchannel/sign country SE",
        decision: "freja-country-values",
        because: "the Go test sends country `SE`; the document's enum is SWEDEN, NORWAY, DENMARK, FINLAND: 400",
        readings: STRICT,
    },
    Divergence {
        check: "fixture request (our client) POST /v3/freja/backchannel/sign country SE",
        decision: "freja-country-values",
        because: "our client sends any country; the simulator refuses `SE`: 400",
        readings: STRICT,
    },
];

/// The outcome of one check.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Unique name, e.g. `official bankid-se auth: completes`.
    pub name: String,
    /// `Err(why)` when it failed.
    pub result: Result<(), String>,
}

/// Collects the checks of a suite (shared by concurrent flows).
#[derive(Debug, Clone, Default)]
pub struct Checks(Arc<Mutex<Vec<Outcome>>>);

impl Checks {
    /// Records a check.
    pub fn record(&self, name: impl Into<String>, result: Result<(), String>) {
        self.0.lock().unwrap().push(Outcome {
            name: name.into(),
            result,
        });
    }

    /// Records a check that holds when `ok` is true; `why` explains a failure.
    pub fn ensure(&self, name: impl Into<String>, ok: bool, why: impl FnOnce() -> String) {
        self.record(name, if ok { Ok(()) } else { Err(why()) });
    }

    /// Every check recorded so far.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.0.lock().unwrap().clone()
    }

    /// Ends a suite: exactly the checks of [`DIVERGENCES`] that apply to
    /// `reading` (none for [`Reading::Clients`]) must fail, and each of
    /// `divergences_here` (the divergences this suite meets) that applies
    /// to it at least once. Panics with the whole report otherwise; returns
    /// the report.
    pub fn finish(&self, suite: &str, reading: Reading, divergences_here: &[&str]) -> String {
        let outcomes = self.outcomes();
        let mut names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        names.sort_unstable();
        let duplicates: Vec<&&str> = names
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| &w[0])
            .collect();
        assert!(
            duplicates.is_empty(),
            "check names must be unique: {duplicates:?}"
        );
        let divergence_of = |name: &str| {
            DIVERGENCES
                .iter()
                .find(|d| name.starts_with(d.check) && d.readings.contains(&reading))
        };
        let mut unexpected = Vec::new();
        let mut documented = Vec::new();
        for o in &outcomes {
            match (&o.result, divergence_of(&o.name)) {
                (Ok(()), Some(d)) => unexpected.push(format!(
                    "PASSED although listed as a divergence ({}): {}",
                    d.decision, o.name
                )),
                (Ok(()), None) => {}
                (Err(why), Some(d)) => {
                    documented.push(format!("{} [{}]: {why}", o.name, d.decision))
                }
                (Err(why), None) => unexpected.push(format!("FAILED: {}: {why}", o.name)),
            }
        }
        for check in divergences_here {
            let applies = DIVERGENCES
                .iter()
                .any(|d| check.starts_with(d.check) && d.readings.contains(&reading));
            if applies
                && !outcomes
                    .iter()
                    .any(|o| o.name.starts_with(check) && o.result.is_err())
            {
                unexpected.push(format!("divergence never seen (stale list?): {check}"));
            }
        }
        let passed = outcomes.iter().filter(|o| o.result.is_ok()).count();
        let mut report = format!(
            "{suite} ({reading:?} reading): {} checks, {passed} passed, {} documented divergences\n",
            outcomes.len(),
            documented.len()
        );
        for line in &documented {
            report.push_str(&format!("  divergence: {line}\n"));
        }
        for line in &unexpected {
            report.push_str(&format!("  {line}\n"));
        }
        eprintln!("{report}");
        assert!(unexpected.is_empty(), "{report}");
        report
    }
}

/// The simulator of a suite: fast steps (a session completes after 450 ms),
/// a short expiry for the `expire` scenario, the given reading.
pub async fn simulator(reading: Reading) -> RunningSimulator {
    Simulator::builder()
        .account(ACCOUNT, SECRET)
        .reading(reading)
        .timing(Timing {
            step: Duration::from_millis(150),
            expire_after: Duration::from_secs(3),
            callback_backoff: Duration::from_millis(100),
            ..Timing::default()
        })
        .build()
        .spawn_local()
        .await
        .expect("the simulator listens on 127.0.0.1")
}

/// One JSON body from a test suite of `idkollen/idk-clients`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Fixture {
    /// Where it is in the provider's repository (file and test).
    pub source: String,
    /// `request` (the client sends it) or `response` (the test's mock server answers it).
    pub direction: String,
    /// HTTP method.
    pub method: String,
    /// Path as the client builds it.
    pub path: String,
    /// Status of a mocked response.
    pub status: Option<u16>,
    /// The body; `None` for a non-JSON body (PDF bytes, multipart, empty).
    pub body: Option<serde_json::Value>,
    /// What the body is, where that matters.
    pub note: Option<String>,
    /// Fields the client requires in the answer to this request (the
    /// simulator's answer is checked for them).
    #[serde(default)]
    pub requires: Vec<String>,
}

/// Every fixture, as `(file, index, fixture)`.
pub fn fixtures() -> Vec<(String, usize, Fixture)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let list: Vec<Fixture> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, f) in list.into_iter().enumerate() {
            all.push((name.clone(), i, f));
        }
    }
    all
}
