//! `check` end to end against a temporary repository. The generated output
//! is given with `--generated DIR` (what `codegen --out DIR` writes), so
//! these tests do not build the crate; `codegen_runs_the_real_build_script`
//! and `build_rs_turns_a_progenitor_panic_into_a_message` are the ones that
//! do (in `target/drill`).

mod common;

use std::path::Path;

use common::*;

const SURFACE: &str = "\
# methods of raw::Client (builder style; arguments are builder setters)
thing_auth_start(body: types::builder::ThingAuthRequest) -> Result<ResponseValue<types::ThingPending>, Error<types::ErrorResponse>>
thing_auth_collect(id: String) -> Result<ResponseValue<types::ThingSession>, Error<()>>
thing_auth_cancel(id: String) -> Result<ResponseValue<()>, Error<()>>

# types
struct ThingPending {
    id: String
}
";

fn snapshot(body: &str) -> String {
    format!("---\nsource: tests/surface.rs\nexpression: surface\n---\n{body}")
}

/// A repository in a good state: normal-form spec, matching snapshots.
fn good_repo() -> (tempfile::TempDir, tempfile::TempDir) {
    let repo = temp_repo(BASE);
    let normalized = xtask(repo.path(), &["normalize"]);
    assert!(normalized.status.success());
    let snaps = repo.path().join("tests/snapshots");
    std::fs::create_dir_all(&snaps).unwrap();
    std::fs::write(snaps.join("surface__surface.snap"), snapshot(SURFACE)).unwrap();
    std::fs::write(
        snaps.join("surface__codegen.snap"),
        snapshot("pub mod types {}\n"),
    )
    .unwrap();

    let generated = tempfile::tempdir().unwrap();
    std::fs::write(generated.path().join("surface.txt"), SURFACE).unwrap();
    std::fs::write(generated.path().join("codegen.rs"), "pub mod types {}\n").unwrap();
    std::fs::write(generated.path().join("pruned.txt"), "").unwrap();
    (repo, generated)
}

fn check(repo: &Path, generated: &Path) -> std::process::Output {
    xtask(repo, &["check", "--generated", generated.to_str().unwrap()])
}

#[test]
fn check_passes_on_a_consistent_repository() {
    let (repo, generated) = good_repo();
    let out = check(repo.path(), generated.path());
    assert!(out.status.success());
    assert!(
        stdout(&out).ends_with("check: all passed\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_fails_when_the_crate_version_has_no_changelog_entry() {
    let (repo, generated) = good_repo();
    let manifest = repo.path().join("Cargo.toml");
    let bumped = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("version = \"0.1.0\"", "version = \"0.2.0\"");
    std::fs::write(&manifest, bumped).unwrap();
    let out = check(repo.path(), generated.path());
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("FAILED: no `## [0.2.0]` entry in CHANGELOG.md (entries: 0.1.0)"),
        "{text}"
    );
    assert!(stderr(&out).contains("CHANGELOG.md has no entry for the crate's version"));
}

#[test]
fn check_fails_when_a_refresh_dropped_a_recorded_decision() {
    let (repo, generated) = good_repo();
    let table = "# Maintaining\n\n## Decisions\n\n\
        | decision | recorded in | document | clients | chosen |\n|---|---|---|---|---|\n\
        | `address-shape` | openapi.yaml (`Address`) | silent | a string | both |\n\
        | `verify-any-qr-code` | the simulator | silent | any code | any code |\n";
    std::fs::write(repo.path().join("MAINTAINING.md"), table).unwrap();
    // The spec (as upstream would publish it) carries no annotation.
    let out = check(repo.path(), generated.path());
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("FAILED: decision `address-shape` is not in openapi.yaml"),
        "{text}"
    );
    assert!(
        !text.contains("verify-any-qr-code"),
        "simulator decisions live elsewhere: {text}"
    );
    assert!(stderr(&out).contains("decisions are missing"));
}

#[test]
fn check_catches_surface_drift_with_a_diff() {
    let (repo, generated) = good_repo();
    let drifted = SURFACE.replace(
        "    id: String\n",
        "    id: String\n    qr: Option<String>\n",
    );
    std::fs::write(generated.path().join("surface.txt"), drifted).unwrap();
    let out = check(repo.path(), generated.path());
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("surface__surface.snap differs from the generated output"),
        "{text}"
    );
    assert!(text.contains("\n+    qr: Option<String>\n"), "{text}");
    assert!(stderr(&out).contains("the generated surface differs from the snapshots"));
}

#[test]
fn check_catches_an_operation_that_is_neither_generated_nor_pruned() {
    let (repo, generated) = good_repo();
    // A new upstream operation that build.rs would not generate.
    let upstream = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        upstream.path(),
        changed(&[(
            "  /v1/thing/auth/{id}:\n",
            "  /v1/thing/upload:\n    post:\n      operationId: thing_upload\n      responses:\n        '201':\n          description: Stored.\n  /v1/thing/auth/{id}:\n",
        )]),
    )
    .unwrap();
    let refreshed = xtask(
        repo.path(),
        &[
            "refresh-spec",
            "--from",
            upstream.path().to_str().unwrap(),
            "--no-regenerate",
        ],
    );
    assert!(refreshed.status.success());
    let out = check(repo.path(), generated.path());
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains(
            "FAILED: operation `thing_upload` is neither generated nor on the prune list of build.rs"
        ),
        "{}",
        stdout(&out)
    );

    // Pruned with a reason, it passes; pruned without one, it does not.
    std::fs::write(
        generated.path().join("pruned.txt"),
        "thing_upload\tmultipart\n",
    )
    .unwrap();
    assert!(check(repo.path(), generated.path()).status.success());
    std::fs::write(generated.path().join("pruned.txt"), "thing_upload\t\n").unwrap();
    let out = check(repo.path(), generated.path());
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("pruned without a reason"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_catches_a_spec_out_of_normal_form() {
    let (repo, generated) = good_repo();
    let spec = repo.path().join("openapi.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    // Same content, other key order.
    let swapped = text.replacen(
        "      operationId: thing_auth_start\n      summary: Start an authentication\n",
        "      summary: Start an authentication\n      operationId: thing_auth_start\n",
        1,
    );
    assert_ne!(swapped, text);
    std::fs::write(&spec, &swapped).unwrap();
    let out = check(repo.path(), generated.path());
    assert!(!out.status.success());
    let report = stdout(&out);
    assert!(
        report.contains("openapi.yaml is not normalised"),
        "{report}"
    );
    assert!(report.contains("+      operationId: thing_auth_start\n       summary: Start an authentication\n-      operationId: thing_auth_start\n"), "{report}");
    assert!(report.contains("cargo xtask normalize"), "{report}");

    // `normalize` fixes it without touching the content.
    assert!(xtask(repo.path(), &["normalize"]).status.success());
    let fixed = std::fs::read_to_string(&spec).unwrap();
    assert_eq!(fixed, text);
    assert!(check(repo.path(), generated.path()).status.success());
}

/// SLOW (the one test that builds): runs `codegen --out` on this workspace,
/// i.e. `cargo build -p identisure --lib` with the real build.rs, in the
/// target directory of this test run (so it reuses what is built, and what
/// `cargo xtask check` needs anyway). Reads the repository, writes only to
/// a temporary directory.
#[test]
fn codegen_runs_the_real_build_script() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--repo")
        .arg(root)
        .args(["codegen", "--out"])
        .arg(out_dir.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let surface = std::fs::read_to_string(out_dir.path().join("surface.txt")).unwrap();
    let pruned = std::fs::read_to_string(out_dir.path().join("pruned.txt")).unwrap();
    let code = std::fs::read_to_string(out_dir.path().join("codegen.rs")).unwrap();
    assert!(
        surface.contains("\nbankid_se_auth_start(body: "),
        "{surface}"
    );
    assert!(pruned.starts_with("document_upload\t"), "{pruned}");
    assert!(
        code.contains("pub struct Client"),
        "codegen.rs has no client"
    );
    // Every operation of the real spec is accounted for.
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--repo")
        .arg(root)
        .args(["check", "--generated"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    let report = stdout(&check);
    assert!(report.contains("ok: 56 operations"), "{report}");
}

/// SLOW (builds the build script of a copy of the crate): a spec the lint
/// refuses and progenitor panics on (a request body with two media types)
/// fails `build.rs` with a message, not a panic's backtrace, pointing to
/// `cargo xtask check`, whose lint names the operation.
#[test]
fn build_rs_turns_a_progenitor_panic_into_a_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let repo = tempfile::tempdir().unwrap();
    copy_crate(root, repo.path(), "panic");
    let spec_path = repo.path().join("openapi.yaml");
    let mut spec: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(&spec_path).unwrap()).unwrap();
    let content = spec["paths"]["/v3/bankid-se/auth"]["post"]["requestBody"]["content"]
        .as_mapping_mut()
        .unwrap();
    let json = content["application/json"].clone();
    content.insert("application/xml".into(), json);
    std::fs::write(&spec_path, serde_norway::to_string(&spec).unwrap()).unwrap();

    let out = std::process::Command::new(env!("CARGO"))
        .arg("build")
        .arg("--manifest-path")
        .arg(repo.path().join("Cargo.toml"))
        .arg("--lib")
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("error: openapi.yaml cannot be turned into a client:\n")
            && err.contains(
                "- progenitor panicked: not yet implemented: more media types than expected for bankid_se_auth_start: 2\n"
            ),
        "{err}"
    );
    assert!(
        err.contains("`cargo xtask check` names each operation"),
        "{err}"
    );
    assert!(
        !err.contains("panicked at"),
        "no panic message of its own: {err}"
    );

    let out = xtask(repo.path(), &["check"]);
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains(
            "FAILED: operation `bankid_se_auth_start`: request body offers 2 media types"
        ),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("skipped: the spec lint failed"),
        "{}",
        stdout(&out)
    );
}
