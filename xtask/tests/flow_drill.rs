//! The drill of a new flow: in a copy of the crate, `openapi.yaml` gains a
//! MitID backchannel signing (`POST /v3/mitid/backchannel/sign`, collected
//! like every MitID signing through `mitid_sign_collect`) and nothing else
//! changes. The CLI then starts it against its in-process simulator and
//! waits for the completed signature: the operation table, the request
//! builders, the simulator's routes and body checks, and the CLI's flow
//! names all follow from the spec, with no other edit.

mod common;

use common::*;

#[test]
fn a_flow_added_to_the_spec_reaches_the_client_the_simulator_and_the_cli() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let repo = tempfile::tempdir().unwrap();
    copy_crate(root, repo.path(), "new-flow");
    let spec_path = repo.path().join("openapi.yaml");
    let spec = std::fs::read_to_string(&spec_path).unwrap();

    // The backchannel auth's path block, as a signing.
    let start = spec
        .find("  /v3/mitid/backchannel/auth:\n")
        .expect("the MitID backchannel auth path");
    let end = start + spec[start..].find("  /v3/mitid/sign:\n").unwrap();
    let block = spec[start..end]
        .replace("/v3/mitid/backchannel/auth:", "/v3/mitid/backchannel/sign:")
        .replace(
            "mitid_backchannel_auth_start",
            "mitid_backchannel_sign_start",
        )
        .replace("backchannel authentication", "backchannel signing")
        .replace(
            "`mitid_auth_collect` / `mitid_auth_cancel`",
            "`mitid_sign_collect` / `mitid_sign_cancel`",
        );
    assert!(block.contains("mitid_backchannel_sign_start"));
    let added = format!("{}{block}{}", &spec[..end], &spec[end..]);
    std::fs::write(&spec_path, added).unwrap();

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
        "mitid/backchannel/sign",
        "--json",
        r#"{"ssn":"2409911238","bindingMessage":"Sign the lease"}"#,
        "--wait",
        "--timeout",
        "60",
    ]);
    let (printed, said) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{printed}\n{said}");
    let state: serde_json::Value = serde_json::from_str(&printed).expect("the session JSON");
    assert_eq!(state["status"], "COMPLETED", "{printed}");

    // The new flow is listed with the others.
    let out = run(&["start", "no-such/flow"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mitid/backchannel/sign"),
        "{}",
        stderr(&out)
    );
}
