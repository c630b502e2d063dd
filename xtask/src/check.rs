//! `cargo xtask check`: the guard CI runs. Fails, with a readable diff, when
//! - `openapi.yaml` is not in normal form;
//! - the generator cannot take it (the spec lint, `crate::lint`), or
//!   `build.rs` cannot generate the client from it;
//! - an operation is neither generated nor on the prune list with a reason;
//! - the generated surface or code differs from the committed snapshots;
//! - CHANGELOG.md has no entry for the version in Cargo.toml;
//! - a decision of MAINTAINING.md's table is missing from `openapi.yaml`,
//!   or an annotation of the spec from the table;
//! - SECURITY.md names a test or file that does not exist.

mod changelog;
pub mod decisions;
mod security;

use std::path::Path;

use serde_norway::Value;

use crate::codegen::{self, Generated};
use crate::lint;
use crate::normalize::{self, METHODS};
use crate::repo::Repo;
use crate::report::text_diff;
use crate::spec;

/// Lines of the code diff shown (the surface diff is shown whole).
const MAX_CODE_DIFF_LINES: usize = 200;

/// Runs every check, printing each result; `Err` names the failed ones.
/// With `generated`, the generated output is read from that directory
/// (written by `cargo xtask codegen --out DIR`) instead of building.
pub fn run(repo: &Repo, generated: Option<&Path>) -> Result<(), String> {
    let mut failed = Vec::new();

    println!("check: openapi.yaml is in normal form");
    let doc = match normal_form(&repo.spec()) {
        Ok(doc) => {
            println!("  ok");
            Some(doc)
        }
        Err(NormalForm::Unreadable(e)) => {
            println!("  FAILED: {e}");
            failed.push("openapi.yaml cannot be read as OpenAPI 3.0");
            None
        }
        Err(NormalForm::Differs { doc, diff }) => {
            println!("  FAILED: openapi.yaml is not normalised; the normal form differs by:");
            println!("{diff}");
            println!("  fix: cargo xtask normalize");
            failed.push("openapi.yaml is not normalised");
            Some(doc)
        }
    };

    println!("check: the generator can take openapi.yaml (spec lint)");
    let linted = match generated {
        Some(dir) => {
            println!(
                "  skipped: the generated output is read from {} (`cargo xtask codegen` \
                 lints before it writes)",
                dir.display()
            );
            true
        }
        None => match lint::repo(repo.root()) {
            Ok(problems) if problems.is_empty() => {
                println!("  ok");
                true
            }
            Ok(problems) => {
                for p in &problems {
                    println!("  FAILED: {p}");
                }
                println!(
                    "  fix the spec, or list an operation that cannot be generated in \
                     PRUNED_OPERATIONS of build/transforms.rs with its reason and hand-write it"
                );
                failed.push("the generator cannot take openapi.yaml");
                false
            }
            Err(e) => {
                println!("  FAILED: {e}");
                failed.push("the generator cannot take openapi.yaml");
                false
            }
        },
    };

    println!("check: build.rs generates the client");
    let result = match generated {
        Some(dir) => Some(codegen::read_dir(dir)),
        None if linted => Some(codegen::build(repo.root())),
        None => None,
    };
    let generated = match result {
        None => {
            println!("  skipped: the spec lint failed");
            None
        }
        Some(Ok(g)) => {
            println!(
                "  ok: {} methods, {} pruned operations ({})",
                codegen::surface_methods(&g.surface).len(),
                g.pruned.len(),
                g.out_dir.display()
            );
            if !g.crate_errors.is_empty() {
                println!("  FAILED: the crate does not compile against the generated code:");
                println!("{}", g.crate_errors);
                failed.push("the crate does not compile");
            }
            Some(g)
        }
        Some(Err(e)) => {
            println!("  FAILED: {e}");
            failed.push("build.rs cannot generate the client");
            None
        }
    };

    if let (Some(doc), Some(g)) = (&doc, &generated) {
        println!("check: every operation is generated or pruned with a reason");
        let problems = coverage(doc, g);
        if problems.is_empty() {
            println!("  ok: {} operations", operation_ids(doc).len());
        } else {
            for p in &problems {
                println!("  FAILED: {p}");
            }
            failed.push("operations neither generated nor pruned");
        }
    }

    if let Some(g) = &generated {
        println!("check: the generated surface matches the committed snapshots");
        let mut ok = true;
        for (name, actual, max) in [
            ("surface", &g.surface, usize::MAX),
            ("codegen", &g.code, MAX_CODE_DIFF_LINES),
        ] {
            if let Err(e) = compare_snapshot(&repo.snapshot(name), actual, max) {
                println!("  FAILED: {e}");
                ok = false;
            }
        }
        if ok {
            println!("  ok");
        } else {
            println!(
                "  review: cargo insta test -p identisure --test surface --review \
                 (then commit the .snap files)"
            );
            failed.push("the generated surface differs from the snapshots");
        }
    }

    if let Some(doc) = &doc {
        println!("check: every operation of openapi.yaml is described");
        let pruned: Vec<String> = generated
            .as_ref()
            .map(|g| g.pruned.iter().map(|(id, _)| id.clone()).collect())
            .unwrap_or_default();
        let missing = undescribed(doc, &pruned);
        if missing.is_empty() {
            println!("  ok");
        } else {
            for m in &missing {
                println!("  FAILED: {m} has no description (it becomes the generated docs)");
            }
            failed.push("parts of the spec are not described");
        }
    }

    if let Some(doc) = &doc
        && decisions::run(repo, doc).is_err()
    {
        failed.push("decisions are missing");
    }

    if changelog::run(repo).is_err() {
        failed.push("CHANGELOG.md has no entry for the crate's version");
    }

    if security::run(repo).is_err() {
        failed.push("SECURITY.md names missing tests or files");
    }

    if failed.is_empty() {
        println!("check: all passed");
        Ok(())
    } else {
        Err(format!("check failed: {}", failed.join("; ")))
    }
}

/// Why a spec file is not in normal form.
pub enum NormalForm {
    /// It cannot be read or is not OpenAPI 3.0.
    Unreadable(String),
    /// It is readable, but its normal form differs (by this diff).
    Differs {
        /// The parsed document.
        doc: Value,
        /// The unified diff from the file to its normal form.
        diff: String,
    },
}

/// Checks that the spec file is in normal form, returning the document.
pub fn normal_form(path: &Path) -> Result<Value, NormalForm> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| NormalForm::Unreadable(format!("cannot read {}: {e}", path.display())))?;
    let doc = spec::load_file(path).map_err(NormalForm::Unreadable)?;
    let normal = normalize::to_yaml(&normalize::normalize(&doc)).map_err(NormalForm::Unreadable)?;
    if normal == text {
        Ok(doc)
    } else {
        let diff = text_diff(
            &text,
            &normal,
            "openapi.yaml",
            "openapi.yaml (normal form)",
            200,
        );
        Err(NormalForm::Differs { doc, diff })
    }
}

/// Operations without a summary or description, but for the pruned ones
/// (hand-written, documented there): the spec review (they become the
/// generated docs; `tests/surface.rs` asks the same of schemas and
/// properties).
pub fn undescribed(doc: &Value, pruned: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Mapping(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method)
                    && !op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .is_some_and(|id| pruned.iter().any(|p| p == id))
                    && op.get("summary").is_none()
                    && op.get("description").is_none()
                {
                    out.push(format!(
                        "operation {} {}",
                        method.to_uppercase(),
                        path.as_str().unwrap_or("?")
                    ));
                }
            }
        }
    }
    out
}

/// The operationIds of a document; an operation without one is an error.
pub fn operation_ids(doc: &Value) -> Vec<Result<String, String>> {
    let mut out = Vec::new();
    if let Some(Value::Mapping(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    out.push(match op.get("operationId").and_then(Value::as_str) {
                        Some(id) => Ok(id.to_string()),
                        None => Err(format!(
                            "{} {}: no operationId",
                            method.to_uppercase(),
                            path.as_str().unwrap_or("?")
                        )),
                    });
                }
            }
        }
    }
    out
}

/// The name of the method progenitor generates for an operationId: the
/// one rule of `build/model.rs`, which also names the operation table.
pub use crate::model::method_name;

/// Every operation of the spec must be a generated method or be pruned with
/// a reason; every method and prune entry must belong to an operation. A
/// generated method is matched by its name, the operationId in snake_case
/// ([`method_name`]); a prune entry by the operationId as written.
pub fn coverage(doc: &Value, g: &Generated) -> Vec<String> {
    let methods = codegen::surface_methods(&g.surface);
    let mut problems = Vec::new();
    let mut ids = Vec::new();
    for id in operation_ids(doc) {
        match id {
            Ok(id) => ids.push(id),
            Err(e) => problems.push(e),
        }
    }
    let method_names: Vec<String> = ids.iter().map(|id| method_name(id)).collect();
    for id in &ids {
        let generated = methods.contains(&method_name(id));
        let pruned = g.pruned.iter().find(|(p, _)| p == id);
        match (generated, pruned) {
            (true, None) => {}
            (false, Some((_, why))) if !why.is_empty() => {}
            (false, Some(_)) => problems.push(format!(
                "operation `{id}` is pruned without a reason (PRUNED_OPERATIONS in build/transforms.rs)"
            )),
            (true, Some(_)) => problems.push(format!(
                "operation `{id}` is both generated and on the prune list"
            )),
            (false, None) => problems.push(format!(
                "operation `{id}` is neither generated nor on the prune list of build.rs"
            )),
        }
    }
    for m in methods.iter().filter(|m| !method_names.contains(m)) {
        problems.push(format!(
            "generated method `{m}` is not an operation of openapi.yaml"
        ));
    }
    for (p, _) in g.pruned.iter().filter(|(p, _)| !ids.contains(p)) {
        problems.push(format!("pruned operation `{p}` is not in openapi.yaml"));
    }
    problems
}

/// The contents of an insta `.snap` file (the part after its metadata
/// header), compared the way insta does: trailing whitespace trimmed,
/// CRLF read as LF.
pub fn snapshot_contents(snap: &str) -> String {
    let mut body = snap;
    let header = snap
        .strip_prefix("---\n")
        .or_else(|| snap.strip_prefix("---\r\n"));
    if let Some(rest) = header
        && let Some(end) = rest.find("\n---\n").or_else(|| rest.find("\n---\r\n"))
    {
        let after = &rest[end + 1..];
        body = after.split_once('\n').map(|(_, b)| b).unwrap_or("");
    }
    body.replace("\r\n", "\n").trim_end().to_string()
}

/// Compares generated text with a committed snapshot file.
pub fn compare_snapshot(path: &Path, actual: &str, max_lines: usize) -> Result<(), String> {
    let shown = path.display();
    let snap = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{shown}: {e}; create it with `cargo insta test -p identisure --test surface --accept` and commit it"
        )
    })?;
    let expected = snapshot_contents(&snap);
    let actual = actual.replace("\r\n", "\n").trim_end().to_string();
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{shown} differs from the generated output:\n{}",
        text_diff(
            &format!("{expected}\n"),
            &format!("{actual}\n"),
            "committed snapshot",
            "generated now",
            max_lines
        )
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn generated(surface: &str, pruned: &[(&str, &str)]) -> Generated {
        Generated {
            out_dir: PathBuf::new(),
            code: String::new(),
            surface: surface.into(),
            pruned: pruned
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            crate_errors: String::new(),
        }
    }

    const SPEC: &str = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get: {operationId: a_get, responses: {}}\n    delete: {operationId: a_delete, responses: {}}\n  /u:\n    post: {operationId: upload, responses: {}}\n";

    #[test]
    fn coverage_accepts_generated_and_pruned_operations() {
        let doc: Value = serde_norway::from_str(SPEC).unwrap();
        let g = generated(
            "# methods\na_get(id: X) -> R\na_delete(id: X) -> R\n\n# types\n",
            &[("upload", "multipart")],
        );
        assert_eq!(coverage(&doc, &g), Vec::<String>::new());
    }

    #[test]
    fn coverage_names_every_operation_that_fell_through() {
        let doc: Value = serde_norway::from_str(SPEC).unwrap();
        let g = generated(
            "# methods\na_get(id: X) -> R\nstray(id: X) -> R\n\n# types\n",
            &[("upload", ""), ("gone", "why")],
        );
        assert_eq!(
            coverage(&doc, &g),
            [
                "operation `a_delete` is neither generated nor on the prune list of build.rs",
                "operation `upload` is pruned without a reason (PRUNED_OPERATIONS in build/transforms.rs)",
                "generated method `stray` is not an operation of openapi.yaml",
                "pruned operation `gone` is not in openapi.yaml",
            ]
        );
    }

    #[test]
    fn camel_case_operation_ids_match_their_snake_case_methods() {
        for (id, method) in [
            ("documentUpload", "document_upload"),
            ("bankIdSeAuthStart", "bank_id_se_auth_start"),
            ("bankid_se_auth_start", "bankid_se_auth_start"),
            ("get-thing", "get_thing"),
            ("Type", "type_"),
            ("2fa", "_2fa"),
        ] {
            assert_eq!(method_name(id), method, "{id}");
        }
        let spec = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get: {operationId: thingCollect, responses: {}}\n  /u:\n    post: {operationId: documentUpload, responses: {}}\n";
        let doc: Value = serde_norway::from_str(spec).unwrap();
        let g = generated(
            "# methods\nthing_collect(id: X) -> R\n\n# types\n",
            &[("documentUpload", "multipart")],
        );
        assert_eq!(coverage(&doc, &g), Vec::<String>::new());
    }

    #[test]
    fn snapshot_comparison_reads_insta_files_and_shows_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("surface__surface.snap");
        std::fs::write(
            &path,
            "---\nsource: tests/surface.rs\nexpression: surface\n---\n# methods\na_get() -> R\n\n",
        )
        .unwrap();
        compare_snapshot(&path, "# methods\na_get() -> R\n", 100).unwrap();
        let err =
            compare_snapshot(&path, "# methods\na_get() -> R\nb_get() -> R\n", 100).unwrap_err();
        assert!(err.contains("+b_get() -> R"), "{err}");
        assert!(err.contains("--- committed snapshot"), "{err}");
        let missing = compare_snapshot(&dir.path().join("nope.snap"), "x", 100).unwrap_err();
        assert!(missing.contains("cargo insta test"), "{missing}");
    }

    #[test]
    fn a_spec_out_of_normal_form_is_shown_as_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openapi.yaml");
        std::fs::write(
            &path,
            "info: {title: T, version: '1'}\nopenapi: 3.0.3\npaths: {}\n",
        )
        .unwrap();
        let Err(NormalForm::Differs { diff, .. }) = normal_form(&path) else {
            panic!("not detected")
        };
        assert!(diff.contains("-info: {title: T, version: '1'}\n"), "{diff}");
        assert!(diff.contains("+info:\n+  title: T\n"), "{diff}");
        std::fs::write(
            &path,
            "openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\npaths: {}\n",
        )
        .unwrap();
        assert!(normal_form(&path).is_ok());
    }
}
