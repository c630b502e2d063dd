//! Generates the raw API client from `openapi.yaml` with progenitor.
//!
//! Output, in `OUT_DIR`:
//! - `codegen.rs`: the generated client, included by `src/raw.rs`;
//! - `operations.rs`: the one table of operations, flows and providers,
//!   included by `src/operations.rs` (every path and method comes from the
//!   spec, so a changed path reaches the client, the simulator and the CLI);
//! - `pruned.txt`: the operations left out of generation, `id<TAB>reason`.
//!
//! It only generates: the transforms (prune, replace) and the checks the
//! generator needs, so that a spec it cannot take fails the build with a
//! message naming the operation or schema instead of a panic backtrace from
//! inside it. Reviewing the spec (descriptions) and listing the generated
//! surface are maintainers' work, in `cargo xtask check`. Nothing here reads
//! outside the crate directory or touches the network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use openapiv3::{OpenAPI, ReferenceOr};

#[path = "build/requests.rs"]
mod requests;

/// Operations removed from the spec before generation, each with its reason.
/// They stay in `openapi.yaml` (they are part of the API) and are hand-written
/// in the thin layer. `cargo xtask check` verifies that every operation is
/// either generated or listed here.
const PRUNED_OPERATIONS: &[(&str, &str)] = &[(
    "document_upload",
    "multipart/form-data request bodies are not supported by progenitor 0.15; \
     the upload is hand-written in src/providers/documents.rs",
)];

/// Schemas replaced by hand-written types, each with its reason.
const REPLACED_SCHEMAS: &[(&str, &str, &str)] = &[
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

/// The providers: the first path segment after `/v3/`, with the Rust name
/// of its `Provider` variant and the name people know it by. A new provider
/// in the spec needs one line here.
const PROVIDERS: &[(&str, &str, &str)] = &[
    ("bankid-se", "BankIdSe", "Swedish BankID"),
    ("bankid-no", "BankIdNo", "Norwegian BankID"),
    ("freja", "Freja", "Freja eID"),
    ("mitid", "MitId", "MitID"),
    ("ftn", "Ftn", "Finnish Trust Network"),
    ("vipps", "Vipps", "Vipps MobilePay"),
];

/// Headers the generated client puts on every request that the API does not
/// document; `src/raw.rs` strips them before sending (tested in tests/wire.rs).
/// Listed here only to keep the decision next to the other transforms.
#[allow(dead_code)]
const STRIPPED_HEADERS: &[&str] = &["api-version"];

fn main() {
    println!("cargo:rerun-if-changed=openapi.yaml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");

    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let spec_path = manifest_dir.join("openapi.yaml");

    match generate(&spec_path) {
        Ok(Generated {
            code,
            table,
            requests,
        }) => {
            write(&out_dir.join("codegen.rs"), &code);
            write(&out_dir.join("operations.rs"), &table);
            write(&out_dir.join("requests.rs"), &requests);
            let pruned: String = PRUNED_OPERATIONS
                .iter()
                .map(|(id, why)| format!("{id}\t{why}\n"))
                .collect();
            write(&out_dir.join("pruned.txt"), &pruned);
        }
        Err(problems) => {
            eprintln!("error: openapi.yaml cannot be turned into a client:");
            for p in &problems {
                eprintln!("  - {p}");
                println!("cargo::warning=openapi.yaml: {p}");
            }
            std::process::exit(1);
        }
    }
}

fn write(path: &std::path::Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        eprintln!("error: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}

struct Generated {
    code: String,
    table: String,
    requests: String,
}

fn generate(spec_path: &std::path::Path) -> Result<Generated, Vec<String>> {
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| vec![format!("cannot read {}: {e}", spec_path.display())])?;
    let mut spec: OpenAPI = serde_norway::from_str(&text)
        .map_err(|e| vec![format!("not a valid OpenAPI 3.0 document: {e}")])?;

    let problems = lint(&spec);
    if !problems.is_empty() {
        return Err(problems);
    }
    let table = operation_table(&spec)?;
    let json: serde_json::Value = serde_norway::from_str(&text)
        .map_err(|e| vec![format!("not a valid OpenAPI 3.0 document: {e}")])?;
    let pruned: Vec<&str> = PRUNED_OPERATIONS.iter().map(|(id, _)| *id).collect();
    let requests = requests::generate(
        &json,
        &requests::Inputs {
            providers: PROVIDERS,
            replaced: REPLACED_SCHEMAS,
            pruned: &pruned,
        },
    )?;
    prune(&mut spec);

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected);
    for (schema, rust_type, _why) in REPLACED_SCHEMAS {
        settings.with_replacement(
            schema,
            rust_type,
            [progenitor::TypeImpl::Display].into_iter(),
        );
    }

    // The generator still panics on some inputs the lint does not foresee;
    // turn that into a message instead of a backtrace.
    let result = std::panic::catch_unwind(move || {
        let mut generator = progenitor::Generator::new(&settings);
        generator.generate_tokens(&spec)
    });
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(vec![format!("progenitor refused the spec: {e}")]),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            return Err(vec![format!("progenitor panicked: {msg}")]);
        }
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| vec![format!("generated code does not parse: {e}")])?;
    let code = prettyplease::unparse(&file);
    Ok(Generated {
        code,
        table,
        requests,
    })
}

// ---------------------------------------------------------------- table

/// The Rust source of the operation table: a static per operation (id,
/// method, path, from the spec), the public `Provider` enum, and a static
/// per flow (a start operation with the collect and cancel operations of its
/// session). Flows are found by operationId: `<provider>_<flow>_start`, whose
/// session is `<provider>_<flow>_collect` / `_cancel`; a `phone_` or
/// `backchannel_` flow is collected through the flow without that prefix.
fn operation_table(spec: &OpenAPI) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut out = String::from(
        "// Generated by build.rs from openapi.yaml: every operation, provider and flow.\n\n",
    );
    let mut ops: Vec<(String, &str, &str)> = Vec::new();
    for (method, path, op) in operations(spec) {
        let id = snake(op.operation_id.as_deref().unwrap_or_default());
        ops.push((id, method, path));
    }
    ops.sort();
    for (id, method, path) in &ops {
        let _ = writeln!(
            out,
            "pub(crate) static {}: Operation = Operation {{ id: {id:?}, method: reqwest::Method::{}, path: {path:?} }};",
            id.to_uppercase(),
            method.to_uppercase()
        );
    }
    let _ = writeln!(
        out,
        "\n/// Every operation of `openapi.yaml`.\npub(crate) static OPERATIONS: [&Operation; {}] = [{}];\n",
        ops.len(),
        ops.iter()
            .map(|(id, _, _)| format!("&{}", id.to_uppercase()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Providers: the first segment of the paths under `/v3/`.
    let mut segments = BTreeSet::new();
    for (_, _, path) in &ops {
        if let Some(segment) = path.strip_prefix("/v3/").and_then(|p| p.split('/').next()) {
            segments.insert(segment);
        }
    }
    let mut variants = Vec::new();
    for segment in &segments {
        match PROVIDERS.iter().find(|(s, _, _)| s == segment) {
            Some(p) => variants.push(*p),
            None => problems.push(format!(
                "paths under `/v3/{segment}/` name a provider build.rs does not know: \
                 add it to PROVIDERS with its Rust name"
            )),
        }
    }
    variants.sort_by_key(|(s, _, _)| PROVIDERS.iter().position(|p| p.0 == *s));
    out.push_str(
        "/// An eID provider of the API (the first path segment after `/v3/`).\n\
         ///\n/// ```\n/// use identisure::Provider;\n\
         /// assert_eq!(Provider::BankIdSe.segment(), \"bankid-se\");\n\
         /// assert_eq!(Provider::from_segment(\"freja\"), Some(Provider::Freja));\n\
         /// assert_eq!(Provider::ALL.len(), 6);\n/// ```\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         #[non_exhaustive]\npub enum Provider {\n",
    );
    for (segment, name, display) in &variants {
        let _ = writeln!(out, "    /// {display} (`/v3/{segment}/…`).\n    {name},");
    }
    out.push_str("}\n\nimpl Provider {\n");
    let _ = writeln!(
        out,
        "    /// Every provider, in the order of the API document.\n    pub const ALL: [Provider; {}] = [{}];\n",
        variants.len(),
        variants
            .iter()
            .map(|(_, n, _)| format!("Provider::{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let arms = |f: &dyn Fn(&(&str, &str, &str)) -> String| {
        variants.iter().map(f).collect::<Vec<_>>().join("\n")
    };
    let _ = writeln!(
        out,
        "    /// Its path segment, e.g. `bankid-se`.\n    pub fn segment(self) -> &'static str {{\n        match self {{\n{}\n        }}\n    }}\n",
        arms(&|(s, n, _)| format!("            Provider::{n} => {s:?},"))
    );
    let _ = writeln!(
        out,
        "    /// The name people know it by, e.g. `Swedish BankID`.\n    pub fn name(self) -> &'static str {{\n        match self {{\n{}\n        }}\n    }}\n",
        arms(&|(_, n, d)| format!("            Provider::{n} => {d:?},"))
    );
    let _ = writeln!(
        out,
        "    /// The provider of a path segment.\n    pub fn from_segment(segment: &str) -> Option<Provider> {{\n        match segment {{\n{}\n            _ => None,\n        }}\n    }}\n}}\n",
        arms(&|(s, n, _)| format!("            {s:?} => Some(Provider::{n}),"))
    );

    // Flows: every start, with the collect and cancel of its session.
    let find = |id: &str| ops.iter().any(|(o, _, _)| o == id);
    let mut flows = Vec::new();
    for (id, _, path) in &ops {
        let Some(flow_id) = id.strip_suffix("_start") else {
            continue;
        };
        let Some((segment, variant)) = path
            .strip_prefix("/v3/")
            .and_then(|p| p.split('/').next())
            .and_then(|s| variants.iter().find(|v| v.0 == s).map(|v| (s, v.1)))
        else {
            problems.push(format!(
                "start operation `{id}` is not under /v3/<provider>/"
            ));
            continue;
        };
        let prefix = format!("{}_", segment.replace('-', "_"));
        let Some(name) = flow_id.strip_prefix(&prefix) else {
            problems.push(format!(
                "start operation `{id}`: its operationId does not begin with `{prefix}`"
            ));
            continue;
        };
        let family = name
            .strip_prefix("phone_")
            .or_else(|| name.strip_prefix("backchannel_"))
            .unwrap_or(name);
        let (collect, cancel) = (
            format!("{prefix}{family}_collect"),
            format!("{prefix}{family}_cancel"),
        );
        if !find(&collect) || !find(&cancel) {
            problems.push(format!(
                "start operation `{id}` has no `{collect}` and `{cancel}` to follow its session"
            ));
            continue;
        }
        let _ = writeln!(
            out,
            "pub(crate) static {}: Flow = Flow {{ provider: Provider::{variant}, name: {name:?}, family: {family:?}, start: &{}, collect: &{}, cancel: &{} }};",
            flow_id.to_uppercase(),
            id.to_uppercase(),
            collect.to_uppercase(),
            cancel.to_uppercase()
        );
        flows.push(flow_id.to_uppercase());
    }
    let _ = writeln!(
        out,
        "\n/// Every flow: a start with the collect and cancel of its session.\npub(crate) static FLOWS: [&Flow; {}] = [{}];",
        flows.len(),
        flows
            .iter()
            .map(|f| format!("&{f}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// An operationId as progenitor names its method: snake_case (heck, as
/// progenitor does; `cargo xtask check` matches methods the same way).
fn snake(id: &str) -> String {
    use heck::ToSnakeCase;
    id.replace(|c: char| !c.is_alphanumeric() && c != '_', "-")
        .to_snake_case()
}

// ---------------------------------------------------------------- checks

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn operations(spec: &OpenAPI) -> Vec<(&'static str, &str, &openapiv3::Operation)> {
    let mut out = Vec::new();
    for (path, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for method in METHODS {
            let op = match method {
                "get" => &item.get,
                "put" => &item.put,
                "post" => &item.post,
                "delete" => &item.delete,
                "options" => &item.options,
                "head" => &item.head,
                "patch" => &item.patch,
                _ => &item.trace,
            };
            if let Some(op) = op {
                out.push((method, path.as_str(), op));
            }
        }
    }
    out
}

/// Everything progenitor needs that it reports badly, checked up front.
fn lint(spec: &OpenAPI) -> Vec<String> {
    let mut problems = Vec::new();
    if !spec.openapi.starts_with("3.0.") {
        problems.push(format!(
            "`openapi: {}`: only OpenAPI 3.0.x is supported by the generator",
            spec.openapi
        ));
    }
    if spec
        .paths
        .paths
        .values()
        .any(|p| matches!(p, ReferenceOr::Reference { .. }))
    {
        problems.push("path items given as `$ref` are not supported".into());
    }

    let schemas: BTreeSet<&str> = spec
        .components
        .as_ref()
        .map(|c| c.schemas.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for (name, _, _) in REPLACED_SCHEMAS {
        if !schemas.contains(name) {
            problems.push(format!(
                "build.rs replaces schema `{name}`, which the spec no longer has"
            ));
        }
    }

    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let pruned: BTreeMap<&str, &str> = PRUNED_OPERATIONS.iter().copied().collect();
    let mut pruned_found = BTreeSet::new();
    for (method, path, op) in operations(spec) {
        let here = format!("{} {path}", method.to_uppercase());
        let Some(id) = op.operation_id.as_deref() else {
            problems.push(format!(
                "{here}: no operationId (method names come from it)"
            ));
            continue;
        };
        if let Some(first) = seen.insert(id, here.clone()) {
            problems.push(format!(
                "{here}: operationId `{id}` is already used by {first}"
            ));
        }
        if pruned.contains_key(id) {
            pruned_found.insert(id);
            continue;
        }
        if let Some(body) = &op.request_body {
            match body {
                ReferenceOr::Reference { reference } => problems.push(format!(
                    "operation `{id}`: request body `$ref: {reference}` is not supported; inline it"
                )),
                ReferenceOr::Item(body) => {
                    let types: Vec<&String> = body.content.keys().collect();
                    if types.len() != 1 {
                        problems.push(format!(
                            "operation `{id}`: request body offers {} media types ({types:?}); the generator needs exactly one",
                            types.len()
                        ));
                    } else if types[0] != "application/json" {
                        problems.push(format!(
                            "operation `{id}`: request body of type `{}` cannot be generated; \
                             add it to PRUNED_OPERATIONS in build.rs with a reason and hand-write it",
                            types[0]
                        ));
                    }
                }
            }
        }
        // All success responses must share one type, and so must all errors.
        let mut success = BTreeSet::new();
        let mut error = BTreeSet::new();
        for (code, resp) in op.responses.responses.iter() {
            let code_text = code.to_string();
            let shape = response_shape(resp);
            if code_text.starts_with('2') {
                success.insert(shape);
            } else {
                error.insert(shape);
            }
        }
        if op.responses.default.is_some() {
            problems.push(format!(
                "operation `{id}`: a `default` response is not allowed; list the status codes"
            ));
        }
        if success.len() > 1 {
            problems.push(format!(
                "operation `{id}`: success responses have different types {success:?}; the generator needs one"
            ));
        }
        if error.len() > 1 {
            problems.push(format!(
                "operation `{id}`: error responses have different types {error:?}; \
                 give every non-2xx response `$ref: '#/components/schemas/ErrorResponse'`"
            ));
        }
    }
    for id in pruned.keys() {
        if !pruned_found.contains(id) {
            problems.push(format!(
                "build.rs prunes operation `{id}`, which the spec no longer has"
            ));
        }
    }

    // Every `$ref` must point at a schema that exists.
    if let Ok(value) = serde_json::to_value(spec) {
        let mut dangling = Vec::new();
        find_dangling_refs(&value, "", &schemas, &mut dangling);
        problems.extend(dangling);
    }
    problems
}

fn response_shape(resp: &ReferenceOr<openapiv3::Response>) -> String {
    match resp {
        ReferenceOr::Reference { reference } => reference.clone(),
        ReferenceOr::Item(r) => {
            let mut parts: Vec<String> = r
                .content
                .iter()
                .map(|(mime, media)| match &media.schema {
                    Some(ReferenceOr::Reference { reference }) => format!("{mime} {reference}"),
                    Some(ReferenceOr::Item(_)) => format!("{mime} <inline schema>"),
                    None => format!("{mime} <no schema>"),
                })
                .collect();
            if parts.is_empty() {
                parts.push("<no content>".into());
            }
            parts.join(", ")
        }
    }
}

fn find_dangling_refs(
    value: &serde_json::Value,
    at: &str,
    schemas: &BTreeSet<&str>,
    out: &mut Vec<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(r) = v.as_str() {
                        match r.strip_prefix("#/components/schemas/") {
                            Some(name) if schemas.contains(name) => {}
                            Some(name) => {
                                out.push(format!("{at}: `$ref` to unknown schema `{name}`"))
                            }
                            None => out.push(format!("{at}: unsupported `$ref: {r}`")),
                        }
                    }
                } else {
                    find_dangling_refs(v, &format!("{at}/{k}"), schemas, out);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find_dangling_refs(v, &format!("{at}/{i}"), schemas, out);
            }
        }
        _ => {}
    }
}

fn prune(spec: &mut OpenAPI) {
    let pruned: BTreeSet<&str> = PRUNED_OPERATIONS.iter().map(|(id, _)| *id).collect();
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ] {
            if op
                .as_ref()
                .and_then(|o| o.operation_id.as_deref())
                .is_some_and(|id| pruned.contains(id))
            {
                *op = None;
            }
        }
    }
    spec.paths.paths.retain(|_, item| match item {
        ReferenceOr::Item(i) => i.iter().next().is_some(),
        ReferenceOr::Reference { .. } => true,
    });
}
