//! What generation does to the spec besides reading it, each with its
//! reason: the operations pruned before generation, the schemas replaced by
//! hand-written types, and the providers the operation table knows.
//! Shared by `build.rs`, which applies them, and `cargo xtask` (through
//! `#[path]`), whose spec lint checks the spec against them.

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

/// The providers: the first path segment after `/v3/`, the Rust name of its
/// `Provider` variant and the name people know it by, in the order of the
/// API document. A new provider in the spec needs one line here.
pub const PROVIDERS: &[(&str, &str, &str)] = &[
    ("bankid-se", "BankIdSe", "Swedish BankID"),
    ("bankid-no", "BankIdNo", "Norwegian BankID"),
    ("freja", "Freja", "Freja eID"),
    ("mitid", "MitId", "MitID"),
    ("ftn", "Ftn", "Finnish Trust Network"),
    ("vipps", "Vipps", "Vipps MobilePay"),
];
