//! `refresh-spec` end to end: the xtask binary against a temporary
//! repository, fed from a local HTTP server on 127.0.0.1 or from a file.
//! None of these tests builds the crate (`--no-regenerate`).

mod common;

use common::*;

/// An upstream release with a bit of everything.
fn upstream_v2() -> String {
    changed(&[
        // + an operation
        (
            "  /v1/thing/auth/{id}:\n",
            "  /v1/thing/sign:\n    post:\n      operationId: thing_sign_start\n      summary: Start a signing\n      description: Starts a signing.\n      responses:\n        '201':\n          description: Started.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/ThingPending'\n  /v1/thing/auth/{id}:\n",
        ),
        // ! a new required request field
        (
            "      - endUserIp\n      properties:\n",
            "      - endUserIp\n      - country\n      properties:\n        country:\n          type: string\n",
        ),
        // ! a response field gone
        ("        autoStartToken:\n          type: string\n", ""),
        // ! a narrowed enum
        (
            "      - substantial\n      - high\n",
            "      - substantial\n",
        ),
        // ! a tightened constraint
        ("          maxLength: 64\n", "          maxLength: 32\n"),
        // ~ docs
        ("IP address of the user.", "The IP address of the end user."),
    ])
}

const V2_REPORT: &str = "\
+ POST /v1/thing/sign (thing_sign_start)
! Level: enum narrowed: \"high\" removed
! ThingAuthRequest.country: new required request field
! ThingAuthRequest.refId: tightened constraint maxLength 64 → 32
! ThingPending.autoStartToken: response field removed
~ ThingAuthRequest.endUserIp: description changed (docs)
semver: minor bump, 0.1.0 → 0.2.0 (breaking changes (marked - or !))
";

#[test]
fn refresh_from_a_local_http_server_reports_writes_and_is_idempotent() {
    let repo = temp_repo(BASE);
    let v2 = upstream_v2();
    let server = serve(200, "application/json", to_json(&v2));
    let url = format!("{}/spec/openapi.json", server.url);

    let out = xtask(
        repo.path(),
        &["refresh-spec", "--from", &url, "--no-regenerate"],
    );
    assert!(out.status.success());
    assert_eq!(stdout(&out), V2_REPORT);
    assert_eq!(
        server.requests.lock().unwrap().as_slice(),
        ["GET /spec/openapi.json HTTP/1.1"]
    );

    // The written spec has the upstream content, in normal form: the JSON
    // came with `paths` in upstream order, the file has them sorted.
    let written = std::fs::read_to_string(repo.path().join("openapi.yaml")).unwrap();
    assert_eq!(content(&written), content(&v2));
    let auth = written.find("  /v1/thing/auth:\n").unwrap();
    let collect = written.find("  /v1/thing/auth/{id}:\n").unwrap();
    let sign = written.find("  /v1/thing/sign:\n").unwrap();
    assert!(
        auth < collect && collect < sign,
        "paths not sorted:\n{written}"
    );

    // The same upstream again: nothing to report, nothing rewritten.
    let again = xtask(
        repo.path(),
        &["refresh-spec", "--from", &url, "--no-regenerate"],
    );
    assert!(again.status.success());
    assert_eq!(
        stdout(&again),
        "no changes to the spec's content\nsemver: no bump, stays 0.1.0 (nothing changed)\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("openapi.yaml")).unwrap(),
        written
    );
}

#[test]
fn refresh_from_a_yaml_file_with_compatible_changes_only_is_a_patch() {
    let repo = temp_repo(BASE);
    let upstream = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        upstream.path(),
        changed(&[
            (
                "        refId:\n",
                "        callbackUrl:\n          type: string\n          format: uri\n        refId:\n",
            ),
            ("          maxLength: 8\n", "          maxLength: 12\n"),
            ("summary: Collect an authentication", "summary: Read a session"),
        ]),
    )
    .unwrap();
    let from = upstream.path().to_str().unwrap();
    let out = xtask(
        repo.path(),
        &["refresh-spec", "--from", from, "--no-regenerate"],
    );
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "\
~ GET /v1/thing/auth/{id} (thing_auth_collect): summary changed (docs)
~ ThingAuthRequest.callbackUrl: new optional field
~ ThingAuthRequest.pin: relaxed constraint maxLength 8 → 12
semver: patch bump, 0.1.0 → 0.1.1 (compatible changes only)
"
    );
    let written = std::fs::read_to_string(repo.path().join("openapi.yaml")).unwrap();
    assert!(
        written.contains("        callbackUrl:\n          type: string\n          format: uri\n")
    );
}

#[test]
fn refresh_refuses_a_failed_download_and_keeps_the_spec() {
    let repo = temp_repo(BASE);
    let server = serve(404, "text/html", "<html>not here</html>".into());
    let out = xtask(
        repo.path(),
        &[
            "refresh-spec",
            "--from",
            &format!("{}/nope.yaml", server.url),
            "--no-regenerate",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("openapi.yaml")).unwrap(),
        BASE
    );
}

#[test]
fn refresh_refuses_openapi_3_1_and_non_specs() {
    let repo = temp_repo(BASE);
    let v31 = changed(&[("openapi: 3.0.3", "openapi: 3.1.0")]);
    let server = serve(200, "application/yaml", v31);
    let out = xtask(
        repo.path(),
        &["refresh-spec", "--from", &server.url, "--no-regenerate"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("only OpenAPI 3.0.x"),
        "{}",
        stderr(&out)
    );

    let html = serve(200, "text/html", "<html><body>login</body></html>".into());
    let out = xtask(
        repo.path(),
        &["refresh-spec", "--from", &html.url, "--no-regenerate"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not an OpenAPI document"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("openapi.yaml")).unwrap(),
        BASE
    );
}

#[test]
fn refresh_without_from_says_where_the_upstream_url_is_configured() {
    let repo = temp_repo(BASE);
    let out = xtask(repo.path(), &["refresh-spec", "--no-regenerate"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("UPSTREAM_SPEC_URL"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn refresh_names_every_decision_the_upstream_spec_drops() {
    // Ours carries a decision; upstream's copy of the same API does not.
    let ours = changed(&[(
        "    ThingPending:\n      type: object\n",
        "    ThingPending:\n      type: object\n      x-identisure-decision:\n        id: thing-shape\n        document: silent\n        clients: a string\n        chosen: both\n",
    )]);
    let repo = temp_repo(&ours);
    let upstream = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(upstream.path(), BASE).unwrap();
    let from = upstream.path().to_str().unwrap();
    let out = xtask(
        repo.path(),
        &["refresh-spec", "--from", from, "--no-regenerate"],
    );
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("DECISION LOST: `thing-shape` was at components/schemas/ThingPending"),
        "{err}"
    );
}

/// A new upstream operation with a camelCase operationId (progenitor names
/// its method in snake_case) is reported, generated and compiled: no false
/// "neither generated nor pruned".
#[test]
fn refresh_regenerates_a_spec_with_camel_case_operation_ids() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let repo = tempfile::tempdir().unwrap();
    copy_crate(root, repo.path(), "camel-case");
    let mut spec: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(root.join("openapi.yaml")).unwrap())
            .unwrap();
    let operation: serde_norway::Value = serde_norway::from_str(
        "get:\n  operationId: bankIdSeServiceStatus\n  summary: Service status\n  description: Whether BankID answers.\n  responses:\n    '204':\n      description: It does.\n",
    )
    .unwrap();
    spec["paths"]
        .as_mapping_mut()
        .unwrap()
        .insert("/v3/bankid-se/status".into(), operation);
    let upstream = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(upstream.path(), serde_norway::to_string(&spec).unwrap()).unwrap();

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--repo")
        .arg(repo.path())
        .args(["refresh-spec", "--from"])
        .arg(upstream.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("IDENTISURE_REPO")
        .output()
        .unwrap();
    let (report, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{report}\n{err}");
    assert!(
        report.contains("+ GET /v3/bankid-se/status (bankIdSeServiceStatus)"),
        "{report}"
    );
    assert!(!err.contains("NOT GENERATED"), "{err}");
    assert!(
        err.contains("+bank_id_se_service_status() -> Result<ResponseValue<()>"),
        "the new method in the surface diff: {err}"
    );
    assert!(!err.contains("no longer compiles"), "{err}");
}

/// Upstream drops `DELETE /v3/vipps/auth/{id}`: Vipps logins can no longer
/// be cancelled. A flow's cancel is optional in the operation table, so the
/// crate regenerates and compiles as it is, and the report says what the
/// hand-written layer lost.
#[test]
fn refresh_regenerates_a_spec_without_a_flows_cancel_and_says_what_was_lost() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let repo = tempfile::tempdir().unwrap();
    copy_crate(root, repo.path(), "no-cancel");
    let mut spec: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(root.join("openapi.yaml")).unwrap())
            .unwrap();
    let session = spec["paths"]["/v3/vipps/auth/{id}"]
        .as_mapping_mut()
        .unwrap();
    assert!(
        session.remove("delete").is_some(),
        "the spec cancels Vipps auth"
    );
    let upstream = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(upstream.path(), serde_norway::to_string(&spec).unwrap()).unwrap();

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--repo")
        .arg(repo.path())
        .args(["refresh-spec", "--from"])
        .arg(upstream.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("IDENTISURE_REPO")
        .output()
        .unwrap();
    let (report, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{report}\n{err}");
    assert!(
        report.contains("- DELETE /v3/vipps/auth/{id}\n"),
        "{report}"
    );
    assert!(
        report.contains(
            "\nlost: vipps auth sessions can no longer be cancelled (`vipps_auth_cancel` is gone)"
        ),
        "{report}"
    );
    // Only that: every flow can still be started, other sessions cancelled.
    assert_eq!(report.matches("lost: ").count(), 1, "{report}");
    assert!(
        report.ends_with("semver: minor bump, 0.1.0 → 0.2.0 (breaking changes (marked - or !))\n"),
        "{report}"
    );
    // Regenerated: the method is gone from the surface, nothing else broke.
    assert!(
        err.contains("\n-vipps_auth_cancel("),
        "the surface diff: {err}"
    );
    assert!(!err.contains("NOT GENERATED"), "{err}");
    assert!(!err.contains("no longer compiles"), "{err}");
}

/// A spec the generator cannot take (a multipart body, not pruned) is
/// refused by the lint before anything is built, naming the operation.
#[test]
fn refresh_refuses_to_regenerate_a_spec_the_generator_cannot_take() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    // No crate to build: the lint refuses first.
    let repo = temp_repo(&std::fs::read_to_string(root.join("openapi.yaml")).unwrap());
    let mut spec: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(root.join("openapi.yaml")).unwrap())
            .unwrap();
    let upload: serde_norway::Value = serde_norway::from_str(
        "post:\n  operationId: document_batch_upload\n  summary: Upload documents\n  description: Several PDFs at once.\n  requestBody:\n    content:\n      multipart/form-data:\n        schema: {type: object}\n  responses:\n    '201':\n      description: Stored.\n",
    )
    .unwrap();
    spec["paths"]
        .as_mapping_mut()
        .unwrap()
        .insert("/document/batch".into(), upload);
    let upstream = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(upstream.path(), serde_norway::to_string(&spec).unwrap()).unwrap();

    let out = xtask(
        repo.path(),
        &["refresh-spec", "--from", upstream.path().to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("+ POST /document/batch (document_batch_upload)"),
        "the report is printed: {}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("the generator cannot take openapi.yaml:\n  - operation `document_batch_upload`: request body of type `multipart/form-data` cannot be generated"),
        "{err}"
    );
    assert!(
        err.contains("PRUNED_OPERATIONS of build/transforms.rs"),
        "{err}"
    );
    // The temporary repository has no crate: a build would have failed so.
    assert!(!err.contains("before its build script ran"), "{err}");
}
