//! The drill of a renamed path: in a copy of the crate, `openapi.yaml`
//! moves BankID SE auth from `/v3/bankid-se/auth` to
//! `/v3/bankid-se/authenticate` and nothing else changes. The CLI then
//! starts the flow under its new name against its in-process simulator,
//! whose routes and the client's URLs both come from the spec: a full
//! login completes with no other edit. Then the workspace's own CLI, run
//! by `cargo run`, is still the real one.

mod common;

use common::*;

#[test]
fn a_path_renamed_in_the_spec_reaches_the_client_the_simulator_and_the_cli() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let repo = tempfile::tempdir().unwrap();
    copy_crate(root, repo.path(), "path-rename");
    let spec_path = repo.path().join("openapi.yaml");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let renamed = spec
        .replace("  /v3/bankid-se/auth:\n", "  /v3/bankid-se/authenticate:\n")
        .replace(
            "  /v3/bankid-se/auth/{id}:\n",
            "  /v3/bankid-se/authenticate/{id}:\n",
        );
    assert_ne!(renamed, spec, "the drill renames two paths");
    std::fs::write(&spec_path, renamed).unwrap();

    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO"))
            .current_dir(repo.path())
            .args(["run", "--quiet", "--bin", "identisure", "--"])
            .args(args)
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("IDENTISURE_ACCOUNT_ID")
            .env_remove("IDENTISURE_SECRET_KEY")
            .env_remove("IDENTISURE_BASE_URL")
            .output()
            .unwrap()
    };
    let out = run(&[
        "start",
        "bankid-se/authenticate",
        "--wait",
        "--timeout",
        "60",
    ]);
    let (printed, said) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{printed}\n{said}");
    let state: serde_json::Value = serde_json::from_str(&printed).expect("the session JSON");
    assert_eq!(state["status"], "COMPLETED", "{printed}");
    // The old name is gone from the CLI, the simulator and the client alike.
    let out = run(&["start", "bankid-se/auth"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("bankid-se/authenticate"),
        "{}",
        stderr(&out)
    );

    the_workspace_still_runs_its_own_cli(root);
}

/// `cargo test` does not change what `cargo run` runs: after the drill has
/// built its copy (in `target/drill`), the workspace's own CLI, built by
/// `cargo run` into its normal target directory (the caller's), still has
/// the real spec's paths and starts `bankid-se/auth` against its in-process
/// simulator. (Before the drills had a target directory of their own, the
/// copy's units could stand in for the workspace's.) Cheap: one start, no
/// wait.
fn the_workspace_still_runs_its_own_cli(root: &std::path::Path) {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "-p",
            "identisure-cli",
            "--bin",
            "identisure",
        ])
        .args(["--", "start", "bankid-se/auth"])
        .env_remove("IDENTISURE_ACCOUNT_ID")
        .env_remove("IDENTISURE_SECRET_KEY")
        .env_remove("IDENTISURE_BASE_URL")
        .output()
        .unwrap();
    let (printed, said) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{printed}\n{said}");
    let state: serde_json::Value = serde_json::from_str(&printed).expect("the session JSON");
    assert_eq!(state["status"], "PENDING", "{printed}");
}
