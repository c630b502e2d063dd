//! Scenario control: which outcome a session has, chosen by the `ssn` of a
//! Swedish test identity or by a `refId` of the form `sim:<scenario>[:…]`.
//! The table is documented in the module docs of [`crate::simulator`].

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

/// The scenario a refId asks for: `None` without the prefix, an error naming
/// the known scenarios for an unknown name.
pub(crate) fn from_ref_id(ref_id: Option<&str>) -> Result<Option<&'static Entry>, ApiError> {
    let Some(rest) = ref_id.and_then(|r| r.strip_prefix(REF_ID_PREFIX)) else {
        return Ok(None);
    };
    let name = rest.split(':').next().unwrap_or_default();
    match SCENARIOS.iter().find(|e| e.name == name) {
        Some(entry) => Ok(Some(entry)),
        None => {
            let known: Vec<&str> = SCENARIOS.iter().map(|e| e.name).collect();
            Err(ApiError::field(
                "refId",
                format!(
                    "unknown simulator scenario `{name}` (known: {})",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_id_prefix_selects_and_unknown_names_are_refused() {
        assert!(from_ref_id(None).unwrap().is_none());
        assert!(from_ref_id(Some("order-17")).unwrap().is_none());
        let e = from_ref_id(Some("sim:expire:order-17")).unwrap().unwrap();
        assert_eq!(e.scenario, Scenario::Expire);
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
