//! The generated API surface, guarded by snapshots: any change in `openapi.yaml`,
//! `build.rs` or the progenitor version that changes what users can call shows
//! up here as a snapshot diff to review (`cargo insta review`).

use std::collections::BTreeSet;

// The listing is made the way `cargo xtask check` makes it: one file.
#[path = "../xtask/src/surface.rs"]
mod listing;

const CODEGEN: &str = include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"));

fn surface() -> String {
    listing::listing(CODEGEN).expect("the generated code parses")
}
const PRUNED: &str = include_str!(concat!(env!("OUT_DIR"), "/pruned.txt"));
const SPEC: &str = include_str!("../openapi.yaml");

#[test]
fn surface_listing() {
    insta::assert_snapshot!("surface", surface());
}

#[test]
fn generated_code() {
    insta::assert_snapshot!("codegen", CODEGEN);
}

/// The request builders users type (build/requests.rs): a setter more or
/// less, or another parameter type, is an API change to review.
#[test]
fn generated_request_builders() {
    insta::assert_snapshot!(
        "requests",
        include_str!(concat!(env!("OUT_DIR"), "/requests.rs"))
    );
}

fn spec_operations() -> Vec<(String, String, String)> {
    let spec: serde_json::Value = serde_norway::from_str(SPEC).expect("openapi.yaml parses");
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"]
                .as_str()
                .expect("every operation has an id");
            ops.push((method.to_uppercase(), path.clone(), id.to_string()));
        }
    }
    ops
}

#[test]
fn spec_has_all_56_operations() {
    let ops = spec_operations();
    let count = |m: &str| ops.iter().filter(|(method, _, _)| method == m).count();
    assert_eq!(ops.len(), 56);
    assert_eq!((count("POST"), count("GET"), count("DELETE")), (24, 16, 16));
    let ids: BTreeSet<_> = ops.iter().map(|(_, _, id)| id).collect();
    assert_eq!(ids.len(), 56, "operationIds are unique");
}

#[test]
fn every_operation_is_generated_or_pruned_with_a_reason() {
    let surface = surface();
    let generated: BTreeSet<&str> = surface
        .lines()
        .take_while(|l| !l.starts_with("# types"))
        .filter(|l| !l.starts_with("#"))
        .filter_map(|l| l.split_once('(').map(|(name, _)| name))
        .collect();
    let pruned: Vec<(&str, &str)> = PRUNED
        .lines()
        .map(|l| l.split_once('\t').expect("id<TAB>reason"))
        .collect();
    for (_, reason) in &pruned {
        assert!(reason.len() > 20, "a pruned operation needs a real reason");
    }
    let pruned_ids: BTreeSet<&str> = pruned.iter().map(|(id, _)| *id).collect();
    assert_eq!(pruned_ids, BTreeSet::from(["document_upload"]));
    for (method, path, id) in spec_operations() {
        assert!(
            generated.contains(id.as_str()) != pruned_ids.contains(id.as_str()),
            "{method} {path} ({id}) must be either generated or pruned"
        );
    }
    assert_eq!(generated.len(), 55);
}

/// Descriptions become the generated docs: every schema, every property and
/// every operation must have one.
#[test]
fn everything_in_the_spec_is_described() {
    let spec: serde_json::Value = serde_norway::from_str(SPEC).unwrap();
    let mut missing = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        if schema.get("description").is_none() {
            missing.push(format!("schema {name}"));
        }
        for (prop, p) in schema["properties"].as_object().into_iter().flatten() {
            if p.get("description").is_none() && p.get("$ref").is_none() {
                missing.push(format!("{name}.{prop}"));
            }
        }
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("description").is_none() || op.get("summary").is_none() {
                missing.push(format!("{method} {path}"));
            }
            for (code, resp) in op["responses"].as_object().unwrap() {
                if resp.get("description").is_none() {
                    missing.push(format!("{method} {path} {code}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}
