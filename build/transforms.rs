//! What generation does to the spec besides reading it, each with its
//! reason: the operations pruned before generation, the schemas replaced by
//! hand-written types, the success status added beside a start's, and the
//! providers the operation table knows.
//! Shared by `build.rs`, which applies them, and `cargo xtask` (through
//! `#[path]`), whose spec lint checks the spec against them.

use crate::model::Provider;

/// Operations removed from the spec before generation, each with its reason.
/// They stay in `openapi.yaml` (they are part of the API) and are hand-written
/// in the thin layer. `cargo xtask check` verifies that every operation is
/// either generated or listed here.
pub const PRUNED_OPERATIONS: &[(&str, &str)] = &[(
    "document_upload",
    "multipart/form-data request bodies are not supported by progenitor 0.15; \
     the upload is hand-written in src/providers/documents.rs",
)];

/// Schemas replaced by hand-written types: `(schema, Rust type, why)`.
pub const REPLACED_SCHEMAS: &[(&str, &str, &str)] = &[
    (
        "PersonalNumber",
        "crate::PersonalNumber",
        "personal data: the hand-written type redacts Debug and Display",
    ),
    (
        "QrStartSecret",
        "crate::QrStartSecret",
        "secret: the hand-written type redacts Debug and Display",
    ),
    (
        "CallInitiator",
        "crate::wire::CallInitiator",
        "decision call-initiator-case: reads USER/RP in any case (five official \
         clients' tests send `user`), always sends the document's USER or RP",
    ),
];

/// The providers, in the order of the API document: the first path segment
/// after `/v3/`, the Rust name of its `Provider` variant, the name people
/// know it by, the shorter label a login page shows, the
/// `national_id::Country` of its people's numbers, and whether its logins
/// send the user to its own page (`true`) or to an app by QR code. A new
/// provider in the spec needs one entry here.
pub const PROVIDERS: &[Provider] = &[
    Provider::new(
        ["bankid-se", "BankIdSe", "Swedish BankID", "BankID", "Se"],
        false,
    ),
    Provider::new(
        [
            "bankid-no",
            "BankIdNo",
            "Norwegian BankID",
            "BankID (Norge)",
            "No",
        ],
        true,
    ),
    Provider::new(["freja", "Freja", "Freja eID", "Freja eID", "Se"], false),
    Provider::new(["mitid", "MitId", "MitID", "MitID", "Dk"], true),
    Provider::new(
        ["ftn", "Ftn", "Finnish Trust Network", "FTN (Suomi)", "Fi"],
        true,
    ),
    Provider::new(
        ["vipps", "Vipps", "Vipps MobilePay", "Vipps MobilePay", "No"],
        true,
    ),
];

/// A success status every start answers besides the one the spec documents:
/// `(documented, added, why)`. Before generation, each start operation
/// (`…_start`) documenting the first and not the second gets the second as
/// a copy of the first, so its generated method decodes either answer as
/// the start's PENDING state (progenitor reports a status the spec does not
/// list as `UnexpectedResponse`, undecoded).
pub const START_SUCCESS: (&str, &str, &str) = (
    "201",
    "200",
    "decision start-answers: the spec documents 201, the provider's clients' tests \
     answer a start with 200; a start is never sent twice, so whichever 2xx it gets \
     must decode",
);

/// Applies [`START_SUCCESS`] to a spec (as JSON).
pub fn add_start_success(spec: &mut serde_json::Value) {
    let (documented, added, _why) = START_SUCCESS;
    let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
        for op in item.values_mut().filter_map(|o| o.as_object_mut()) {
            let Some(id) = op.get("operationId").and_then(|i| i.as_str()) else {
                continue;
            };
            if !crate::model::method_name(id).ends_with("_start") {
                continue;
            }
            let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
                continue;
            };
            if let Some(answer) = responses.get(documented).cloned()
                && !responses.contains_key(added)
            {
                responses.insert(added.to_string(), answer);
            }
        }
    }
}

/// The spec without the operations of `PRUNED_OPERATIONS` (nor empty paths).
// Only the build prunes (`cargo xtask` reads this file for the lists).
#[allow(dead_code)]
pub fn prune(mut spec: serde_json::Value, pruned: &[&str]) -> serde_json::Value {
    if let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
            item.retain(|_, op| !pruned.iter().any(|id| op["operationId"] == *id));
        }
        paths.retain(|_, item| crate::model::METHODS.iter().any(|m| item.get(m).is_some()));
    }
    spec
}
