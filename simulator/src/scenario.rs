//! Scenario control: which outcome a session has, chosen by the `ssn` of a
//! Swedish test identity or by a `refId` of the form `sim:<scenario>[:…]`.
//! The table is documented in the crate docs ([`crate`]).

use super::error::ApiError;
use super::people::{PERSONS, TestPerson};

/// How a session ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// Progresses and completes after three steps.
    Complete,
    /// Like `Complete`, but every step takes `Timing::slow_factor` times longer.
    Slow,
    /// Stays pending until approved or cancelled on the approval page (or by
    /// `Simulator::complete_now`), or until it expires.
    Manual,
    /// Never answers: fails with `SESSION_TIMEOUT` after `Timing::expire_after`.
    Expire,
    /// Fails after three steps with this code (and BankID SE hint code).
    Fail {
        code: &'static str,
        hint: &'static str,
    },
}

/// One row of the test identities table.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: &'static str,
    pub(crate) person: &'static TestPerson,
    pub(crate) scenario: Scenario,
}

const fn fail(code: &'static str, hint: &'static str) -> Scenario {
    Scenario::Fail { code, hint }
}

/// The refId prefix that selects a scenario.
pub(crate) const REF_ID_PREFIX: &str = "sim:";

pub(crate) static SCENARIOS: [Entry; 11] = [
    Entry {
        name: "complete",
        person: &PERSONS[0],
        scenario: Scenario::Complete,
    },
    Entry {
        name: "slow",
        person: &PERSONS[4],
        scenario: Scenario::Slow,
    },
    Entry {
        name: "manual",
        person: &PERSONS[5],
        scenario: Scenario::Manual,
    },
    Entry {
        name: "user-cancel",
        person: &PERSONS[6],
        scenario: fail("CANCELLED", "userCancel"),
    },
    Entry {
        name: "expire",
        person: &PERSONS[7],
        scenario: Scenario::Expire,
    },
    Entry {
        name: "auth-failed",
        person: &PERSONS[8],
        scenario: fail("AUTH_FAILED", "certificateErr"),
    },
    Entry {
        name: "invalid-id",
        person: &PERSONS[9],
        scenario: fail("INVALID_ID", "startFailed"),
    },
    Entry {
        name: "conflict",
        person: &PERSONS[10],
        scenario: fail("CONFLICT", "cancelled"),
    },
    Entry {
        name: "internal-error",
        person: &PERSONS[11],
        scenario: fail("INTERNAL_ERROR", "startFailed"),
    },
    Entry {
        name: "unsupported-client",
        person: &PERSONS[12],
        scenario: fail("UNSUPPORTED_CLIENT", "startFailed"),
    },
    // A plain second Swedish person who completes, e.g. for two parallel logins.
    Entry {
        name: "complete-2",
        person: &PERSONS[13],
        scenario: Scenario::Complete,
    },
];

/// The person of a refId `sim:aged-<years>`: a Swedish person exactly that
/// old today (born today, `years` years ago), who completes.
pub(crate) const AGED_PREFIX: &str = "aged-";

/// What a refId asks for.
#[derive(Debug)]
pub(crate) enum Choice {
    /// A row of the test identities table.
    Entry(&'static Entry),
    /// `sim:aged-<years>`: a person of that age who completes.
    Aged(u32),
}

/// The scenario a refId asks for: `None` without the prefix, an error naming
/// the known scenarios for an unknown name.
pub(crate) fn from_ref_id(ref_id: Option<&str>) -> Result<Option<Choice>, ApiError> {
    let Some(rest) = ref_id.and_then(|r| r.strip_prefix(REF_ID_PREFIX)) else {
        return Ok(None);
    };
    let name = rest.split(':').next().unwrap_or_default();
    if let Some(years) = name.strip_prefix(AGED_PREFIX) {
        return match years.parse::<u32>() {
            Ok(years) if years <= 130 => Ok(Some(Choice::Aged(years))),
            _ => Err(ApiError::field(
                "refId",
                "`sim:aged-<years>` takes a whole number of years from 0 to 130",
            )),
        };
    }
    match SCENARIOS.iter().find(|e| e.name == name) {
        Some(entry) => Ok(Some(Choice::Entry(entry))),
        None => {
            let known: Vec<&str> = SCENARIOS.iter().map(|e| e.name).collect();
            Err(ApiError::field(
                "refId",
                format!(
                    "unknown simulator scenario `{name}` (known: {}, and aged-<years>)",
                    known.join(", ")
                ),
            ))
        }
    }
}

/// The scenario of a Swedish test identity (12-digit normalised number).
pub(crate) fn from_ssn(ssn: &str) -> Option<&'static Entry> {
    SCENARIOS.iter().find(|e| e.person.ssn == ssn)
}

/// One row of the simulator's test identities table: a scenario, chosen by
/// a Swedish `ssn` or by the `refId` `sim:<name>`.
///
/// ```
/// use identisure_simulator::test_identities;
///
/// let cancel = test_identities().into_iter().find(|t| t.name() == "user-cancel").unwrap();
/// assert_eq!(cancel.ref_id(), "sim:user-cancel");
/// assert_eq!(cancel.ssn(), "199206273840");
/// assert_eq!(cancel.failure_code(), Some("CANCELLED"));
/// assert_eq!(cancel.hint_code(), Some("userCancel"));
/// assert_eq!(cancel.person().name(), "Sara Nyberg");
/// ```
#[derive(Clone, Copy)]
pub struct TestIdentity(&'static Entry);

impl std::fmt::Debug for TestIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIdentity")
            .field("name", &self.name())
            .field("outcome", &self.outcome())
            .finish_non_exhaustive()
    }
}

impl TestIdentity {
    /// The scenario's name, e.g. `auth-failed`.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_identities()[0].name(), "complete");
    /// ```
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// The `refId` that selects this scenario in any flow: `sim:<name>`
    /// (anything may follow after another `:`).
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_identities()[0].ref_id(), "sim:complete");
    /// ```
    pub fn ref_id(&self) -> String {
        format!("{REF_ID_PREFIX}{}", self.0.name)
    }

    /// The Swedish personal number that selects this scenario (BankID SE,
    /// Freja with `SWEDEN`).
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_identities()[0].ssn(), "198704122384");
    /// ```
    pub fn ssn(&self) -> &'static str {
        self.0.person.ssn
    }

    /// The person the session completes as (when it completes).
    ///
    /// ```
    /// let t = identisure_simulator::test_identities()[0];
    /// assert_eq!(t.person().name(), "Astrid Lindqvist");
    /// ```
    pub fn person(&self) -> &'static TestPerson {
        self.0.person
    }

    /// The failure code the session ends with; `None` when it completes
    /// (or, for `manual`, when it is approved).
    ///
    /// ```
    /// let ids = identisure_simulator::test_identities();
    /// assert_eq!(ids[0].failure_code(), None);
    /// assert!(ids.iter().any(|t| t.failure_code() == Some("SESSION_TIMEOUT")));
    /// ```
    pub fn failure_code(&self) -> Option<&'static str> {
        match self.0.scenario {
            Scenario::Fail { code, .. } => Some(code),
            Scenario::Expire => Some("SESSION_TIMEOUT"),
            _ => None,
        }
    }

    /// The BankID SE `hintCode` of the failure, if it fails.
    ///
    /// ```
    /// let ids = identisure_simulator::test_identities();
    /// assert!(ids.iter().any(|t| t.hint_code() == Some("expiredTransaction")));
    /// ```
    pub fn hint_code(&self) -> Option<&'static str> {
        match self.0.scenario {
            Scenario::Fail { hint, .. } => Some(hint),
            Scenario::Expire => Some("expiredTransaction"),
            _ => None,
        }
    }

    /// What happens, in words.
    ///
    /// ```
    /// let ids = identisure_simulator::test_identities();
    /// assert_eq!(ids[0].outcome(), "COMPLETED after 3 steps");
    /// ```
    pub fn outcome(&self) -> String {
        match self.0.scenario {
            Scenario::Complete => "COMPLETED after 3 steps".into(),
            Scenario::Slow => "COMPLETED after 3 steps of `slow_factor` times the usual length (a slow user)".into(),
            Scenario::Manual => "PENDING until Approve or Cancel on the approval page (or `complete_now`)".into(),
            Scenario::Expire => "never answers: FAILED SESSION_TIMEOUT (hint expiredTransaction) after `expire_after`".into(),
            Scenario::Fail { code, hint } => format!("FAILED {code} (hint {hint}) after 3 steps"),
        }
    }
}

/// Every scenario of the simulator, in the order of the documented table.
///
/// ```
/// let names: Vec<_> = identisure_simulator::test_identities().iter().map(|t| t.name()).collect();
/// assert!(names.contains(&"expire") && names.contains(&"manual"));
/// ```
pub fn test_identities() -> Vec<TestIdentity> {
    SCENARIOS.iter().map(TestIdentity).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_id_prefix_selects_and_unknown_names_are_refused() {
        assert!(from_ref_id(None).unwrap().is_none());
        assert!(from_ref_id(Some("order-17")).unwrap().is_none());
        let Some(Choice::Entry(e)) = from_ref_id(Some("sim:expire:order-17")).unwrap() else {
            panic!("a scenario")
        };
        assert_eq!(e.scenario, Scenario::Expire);
        assert!(matches!(
            from_ref_id(Some("sim:aged-17")).unwrap(),
            Some(Choice::Aged(17))
        ));
        assert!(from_ref_id(Some("sim:aged-x")).is_err());
        let err = from_ref_id(Some("sim:nope")).unwrap_err();
        assert!(
            err.message
                .starts_with("refId: unknown simulator scenario `nope`")
        );
    }

    #[test]
    fn every_scenario_has_its_own_swedish_person() {
        for e in &SCENARIOS {
            assert_eq!(e.person.country(), "SE");
            assert_eq!(from_ssn(e.person.ssn).unwrap().name, e.name);
        }
    }
}
