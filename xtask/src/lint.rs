//! The spec lint: everything the generator needs from `openapi.yaml` that it
//! reports badly (progenitor panics, or generates code that does not
//! compile), checked up front and reported as one message per problem,
//! naming the operation or schema. Run by `cargo xtask check`, `codegen` and
//! `refresh-spec` before they build; `build.rs` itself only generates.
//!
//! The spec model (operations, method names, the operation table with its
//! providers and flows) is the one `build.rs` uses: `build/model.rs`, and
//! the transforms are `build/transforms.rs`, both included here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use openapiv3::{OpenAPI, ReferenceOr};

use crate::model;
use crate::transforms;

/// What generation does to the spec (see `build/transforms.rs`).
pub struct Transforms<'a> {
    /// `(operationId, why)` left out of generation.
    pub pruned: &'a [(&'a str, &'a str)],
    /// `(schema, Rust type, why)` replaced by hand-written types.
    pub replaced: &'a [(&'a str, &'a str, &'a str)],
    /// The providers the operation table knows.
    pub providers: &'a [model::Provider],
}

/// The transforms of this checkout, as `build.rs` applies them.
pub const OURS: Transforms<'static> = Transforms {
    pruned: transforms::PRUNED_OPERATIONS,
    replaced: transforms::REPLACED_SCHEMAS,
    providers: transforms::PROVIDERS,
};

/// Lints the `openapi.yaml` of a repository with [`OURS`]. A repository
/// whose `build/transforms.rs` is not the one xtask was built with gets a
/// warning on stderr: its build.rs may prune or replace otherwise.
pub fn repo(root: &Path) -> Result<Vec<String>, String> {
    let ours = include_str!("../../build/transforms.rs");
    if let Ok(theirs) = std::fs::read_to_string(root.join("build/transforms.rs"))
        && theirs != ours
    {
        eprintln!(
            "warning: {} differs from the build/transforms.rs xtask was built with; the lint \
             uses xtask's (run the xtask of that checkout)",
            root.join("build/transforms.rs").display()
        );
    }
    let doc = crate::spec::load_file(&root.join("openapi.yaml"))?;
    // The answers build.rs adds before generating are linted with the rest.
    let mut json = serde_json::to_value(&doc).map_err(|e| e.to_string())?;
    transforms::answer_ranges(&mut json);
    transforms::personal_fields(&mut json);
    // Patterns are checked by the layer, in one shape only.
    let unsupported: Vec<String> = transforms::strip_patterns(&mut json)
        .into_iter()
        .filter_map(|(at, p)| {
            transforms::char_pattern(&p)
                .err()
                .map(|e| format!("`{at}`: {e}"))
        })
        .collect();
    let doc = serde_json::from_value(json).map_err(|e| e.to_string())?;
    let spec = crate::spec::validate(&doc)?;
    Ok(unsupported.into_iter().chain(lint(&spec, &OURS)).collect())
}

/// Every problem the generator would have with `spec`, one message each.
pub fn lint(spec: &OpenAPI, t: &Transforms) -> Vec<String> {
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
    for (name, _, _) in t.replaced {
        if !schemas.contains(name) {
            problems.push(format!(
                "build/transforms.rs replaces schema `{name}`, which the spec no longer has"
            ));
        }
    }

    // Ids, duplicate method names, providers and flows: the table's own
    // problems (build.rs refuses to write a table that has any).
    problems.extend(model::table(spec, t.providers).1);

    let pruned: BTreeMap<&str, &str> = t.pruned.iter().copied().collect();
    let mut pruned_found = BTreeSet::new();
    for op in model::operations(spec) {
        let Some(id) = op.id() else { continue };
        if pruned.contains_key(id) {
            pruned_found.insert(id);
            continue;
        }
        problems.extend(body_problems(id, &op.op.request_body));
        // All success responses must share one type, and so must all errors.
        let mut success = BTreeSet::new();
        let mut error = BTreeSet::new();
        for (code, resp) in op.op.responses.responses.iter() {
            let shape = response_shape(resp);
            if code.to_string().starts_with('2') {
                success.insert(shape);
            } else {
                error.insert(shape);
            }
        }
        if op.op.responses.default.is_some() {
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
    for id in pruned.keys().filter(|id| !pruned_found.contains(*id)) {
        problems.push(format!(
            "build/transforms.rs prunes operation `{id}`, which the spec no longer has"
        ));
    }

    // Every `$ref` must point at a schema that exists.
    if let Ok(value) = serde_json::to_value(spec) {
        find_dangling_refs(&value, "", &schemas, &mut problems);
    }
    problems
}

fn body_problems(id: &str, body: &Option<ReferenceOr<openapiv3::RequestBody>>) -> Option<String> {
    match body.as_ref()? {
        ReferenceOr::Reference { reference } => Some(format!(
            "operation `{id}`: request body `$ref: {reference}` is not supported; inline it"
        )),
        ReferenceOr::Item(body) => {
            let types: Vec<&String> = body.content.keys().collect();
            if types.len() != 1 {
                Some(format!(
                    "operation `{id}`: request body offers {} media types ({types:?}); the generator needs exactly one",
                    types.len()
                ))
            } else if types[0] != "application/json" {
                Some(format!(
                    "operation `{id}`: request body of type `{}` cannot be generated; add it to \
                     PRUNED_OPERATIONS in build/transforms.rs with a reason and hand-write it",
                    types[0]
                ))
            } else {
                None
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDERS: &[model::Provider] = &[model::Provider::new(
        ["thing", "Thing", "The Thing", "Thing", "Se"],
        false,
    )];
    const NONE: Transforms = Transforms {
        pruned: &[],
        replaced: &[],
        providers: PROVIDERS,
    };

    fn spec(paths: &str) -> OpenAPI {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\npaths:\n{paths}components:\n  schemas:\n    Pending: {{type: object}}\n    ErrorResponse: {{type: object}}\n"
        );
        serde_norway::from_str(&text).unwrap()
    }

    const FLOW: &str = "  /v3/thing/auth:\n    post:\n      operationId: thing_auth_start\n      responses:\n        '201': {description: s, content: {application/json: {schema: {$ref: '#/components/schemas/Pending'}}}}\n  /v3/thing/auth/{id}:\n    get:\n      operationId: thing_auth_collect\n      responses:\n        '200': {description: s, content: {application/json: {schema: {$ref: '#/components/schemas/Pending'}}}}\n";

    #[test]
    fn a_spec_the_generator_takes_has_no_problems_and_cancel_is_optional() {
        assert_eq!(lint(&spec(FLOW), &NONE), Vec::<String>::new());
        let (table, _) = model::table(&spec(FLOW), PROVIDERS);
        assert_eq!(table.flows[0].collect, "thing_auth_collect");
        assert_eq!(table.flows[0].cancel, None);
    }

    #[test]
    fn each_problem_names_its_operation_or_schema() {
        let paths = format!(
            "{FLOW}  /v3/thing/sign:\n    post:\n      operationId: thing_sign_start\n      responses:\n        '201': {{description: s}}\n  /v3/other/upload:\n    post:\n      operationId: other_upload\n      requestBody:\n        content:\n          multipart/form-data: {{schema: {{type: object}}}}\n      responses:\n        '201': {{description: s, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Gone'}}}}}}}}\n        default: {{description: e}}\n"
        );
        let t = Transforms {
            pruned: &[("thing_upload", "multipart")],
            replaced: &[("PersonalNumber", "crate::PersonalNumber", "redacts")],
            providers: PROVIDERS,
        };
        let problems = lint(&spec(&paths), &t);
        for expected in [
            "build/transforms.rs replaces schema `PersonalNumber`, which the spec no longer has",
            "paths under `/v3/other/` name a provider the table does not know",
            "start operation `thing_sign_start` has no `thing_sign_collect` to follow its sessions",
            "operation `other_upload`: request body of type `multipart/form-data` cannot be generated",
            "operation `other_upload`: a `default` response is not allowed",
            "build/transforms.rs prunes operation `thing_upload`, which the spec no longer has",
            "/post/responses/201/content/application/json/schema: `$ref` to unknown schema `Gone`",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{expected}\nnot in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 7, "{problems:#?}");
    }

    #[test]
    fn the_method_name_rule_is_progenitors() {
        for (id, method) in [
            ("documentUpload", "document_upload"),
            ("bankIdSeAuthStart", "bank_id_se_auth_start"),
            ("bankid_se_auth_start", "bankid_se_auth_start"),
            ("get-thing", "get_thing"),
            ("it's", "its"),
            ("Type", "type_"),
            ("2fa", "_2fa"),
            ("", "x"),
        ] {
            assert_eq!(model::method_name(id), method, "{id}");
        }
        // Two ids, one method: refused.
        let paths = FLOW.replace("thing_auth_collect", "thingAuthStart");
        let problems = model::table(&spec(&paths), PROVIDERS).1;
        assert!(
            problems[0]
                .contains("operationId `thingAuthStart` gives the method `thing_auth_start`"),
            "{problems:?}"
        );
    }
}
