//! `identisure demo` run as a user would, without a terminal: every
//! provider completes a login against the in-process simulator, the last
//! stdout line is the COMPLETED session of the test person, and failures
//! exit with one line on stderr and never print the secret.

use assert_cmd::Command;
use identisure_simulator::test_persons;

fn demo() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("identisure");
    for var in [
        "IDENTISURE_ACCOUNT_ID",
        "IDENTISURE_SECRET_KEY",
        "IDENTISURE_ENV",
        "IDENTISURE_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.arg("demo");
    cmd
}

/// Runs the demo for `provider`; returns the last stdout line as JSON and stderr.
fn completed_demo(provider: &str) -> (serde_json::Value, String) {
    let out = demo()
        .args(["--provider", provider])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let last = stdout
        .lines()
        .last()
        .expect("the demo prints the session JSON");
    let json: serde_json::Value = serde_json::from_str(last).expect("the last line is JSON");
    assert_eq!(json["status"], "COMPLETED", "{provider}: {stderr}");
    // Nothing but the JSON goes to stdout without a terminal.
    assert_eq!(stdout.lines().count(), 1, "{provider}: {stdout}");
    (json, stderr)
}

fn person(ssn: &str) -> &'static identisure_simulator::TestPerson {
    test_persons()
        .iter()
        .find(|p| p.ssn() == ssn)
        .expect("a built-in test person")
}

#[test]
fn the_default_demo_is_a_swedish_bankid_login_of_the_test_person() {
    let (json, stderr) = completed_demo("bankid-se");
    let astrid = &test_persons()[0];
    assert_eq!(json["name"], astrid.name());
    assert_eq!(json["ssn"], astrid.ssn());
    // Progress on stderr: the QR frame and BankID's own messages, in order.
    let qr = stderr.find("BankID QR code (second 0): bankid.").unwrap();
    let start = stderr
        .find("Start your BankID app and scan the QR code.")
        .unwrap();
    let sign = stderr
        .find("Enter your security code in the BankID app")
        .unwrap();
    assert!(qr < start && start < sign, "{stderr}");
    assert!(stderr.contains("COMPLETED: Astrid Lindqvist"));
    // The QR secret is never printed.
    assert!(!stderr.contains("qrStartSecret") && !stderr.contains("demo-secret"));

    // Without --provider it is the same flow.
    let out = demo().assert().success().get_output().clone();
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim_end()).unwrap();
    assert_eq!(last["status"], "COMPLETED");
    assert_eq!(last["givenName"], "Astrid");
    assert!(last["certStartDate"].is_string() && last["device"].is_object());
}

#[test]
fn freja_completes_with_the_swedish_test_person() {
    let (json, stderr) = completed_demo("freja");
    assert_eq!(json["name"], "Astrid Lindqvist");
    assert_eq!(json["country"], "SWEDEN");
    assert!(
        stderr.contains("Freja QR code data: frejaeid://"),
        "{stderr}"
    );
}

#[test]
fn redirect_providers_print_the_approval_url_and_complete() {
    for (provider, ssn) in [
        ("bankid-no", "18039040049"),
        ("vipps", "18039040049"),
        ("mitid", "240991-1238"),
        ("ftn", "230586-264K"),
    ] {
        let (json, stderr) = completed_demo(provider);
        let p = person(ssn);
        assert_eq!(json["name"], p.name(), "{provider}");
        assert_eq!(json["ssn"], p.ssn(), "{provider}");
        assert_eq!(json["birthDate"], p.birth_date(), "{provider}");
        assert!(
            stderr.contains("Open this URL to log in: http://127.0.0.1:")
                && stderr.contains("/sim/approve/"),
            "{provider}: {stderr}"
        );
    }
}

#[test]
fn an_unreachable_api_is_exit_3_with_one_line_and_no_secret() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = demo()
        .env("IDENTISURE_ACCOUNT_ID", "acct")
        .env("IDENTISURE_SECRET_KEY", "very-secret-key-value")
        .args(["--base-url", &format!("http://127.0.0.1:{port}")])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(&format!(
            "could not connect (POST http://127.0.0.1:{port}/v3/"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("very-secret-key-value"));
    assert!(out.stdout.is_empty());
}

#[test]
fn staging_without_credentials_is_refused_before_sending() {
    let out = demo()
        .args(["--env", "staging"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: IDENTISURE_ACCOUNT_ID: is required"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

/// `demo --web` reachable from other machines needs the address browsers
/// use: the return URL and the BankID link are built from it, never from a
/// request's `Host` header.
#[test]
fn a_web_demo_off_this_machine_needs_a_public_url() {
    let out = demo()
        .args(["--web", "--addr", "0.0.0.0:0"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "error: --addr 0.0.0.0:0 is reachable from other machines: pass --public-url"
        ),
        "{stderr}"
    );
    for bad in [
        "login.example.com",
        "https://",
        "https://a.example/path",
        "https://u:p@a.example",
    ] {
        let out = demo()
            .args(["--web", "--addr", "0.0.0.0:0", "--public-url", bad])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("expected a scheme and host only"),
            "{bad}: {stderr}"
        );
    }
}

/// The Swedish test identities of the simulator (see `simulate --help`).
const EMMA_STRAND: &str = "198808087020";
const AUTH_FAILED: &str = "198110218263";
const MANUAL: &str = "197511086121";

/// `--ssn` restricts a Swedish BankID login to that person (the request's
/// `ssn`), in any of the usual forms; it is never ignored.
#[test]
fn demo_ssn_restricts_the_bankid_se_login_to_that_person() {
    for ssn in [EMMA_STRAND, "880808-7020", "19880808-7020"] {
        let out = demo()
            .args(["--ssn", ssn])
            .assert()
            .success()
            .get_output()
            .clone();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(json["status"], "COMPLETED", "{ssn}");
        assert_eq!(json["name"], "Emma Strand", "{ssn}");
        assert_eq!(json["ssn"], EMMA_STRAND, "{ssn}");
    }
    // A person whose login fails: exit 1, the FAILED session on stdout.
    let out = demo()
        .args(["--provider", "bankid-se", "--ssn", AUTH_FAILED])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let json: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(json["error"], "AUTH_FAILED");
}

#[test]
fn demo_ssn_is_refused_where_it_cannot_be_honoured() {
    // Not a valid personnummer: refused before anything is started, the
    // number not echoed.
    let out = demo()
        .args(["--ssn", "19870412-2385"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: --ssn: not a valid Swedish personal number"),
        "{stderr}"
    );
    assert!(!stderr.contains("2385"), "{stderr}");
    assert!(out.stdout.is_empty());
    // Redirect providers ask the person themselves: no personal number.
    for provider in ["bankid-no", "vipps", "mitid", "ftn"] {
        let out = demo()
            .args(["--provider", provider, "--ssn", "240991-1238"])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("error: --ssn: "), "{provider}: {stderr}");
        assert!(
            stderr.contains("takes no personal number"),
            "{provider}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
    }
    // The web demo has its own start page: the login options are refused.
    for option in [
        &["--ssn", EMMA_STRAND][..],
        &["--provider", "freja"][..],
        &["--timeout", "5"][..],
    ] {
        let out = demo()
            .args(["--web", "--addr", "127.0.0.1:0"])
            .args(option)
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("cannot be used with"),
            "{option:?}: {stderr}"
        );
    }
}

/// A person who never approves: `--timeout` ends the demo on time (exit 3).
#[test]
fn demo_timeout_ends_a_login_that_never_completes() {
    let began = std::time::Instant::now();
    let out = demo()
        .args(["--ssn", MANUAL, "--timeout", "2"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(3)
        .get_output()
        .clone();
    let elapsed = began.elapsed();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: timed out after 2 s"),
        "{stderr}"
    );
    // Never early; late by at most a second (process start and exit on a
    // loaded machine, see tests/cli_session.rs).
    assert!(
        elapsed >= std::time::Duration::from_millis(1800),
        "{elapsed:?}"
    );
    assert!(
        elapsed <= std::time::Duration::from_millis(3000),
        "{elapsed:?}"
    );
}

/// `demo --web` honours the connection options like the other commands
/// that connect (it used to ignore them and serve the simulator).
#[test]
fn the_web_demo_honours_the_connection_options() {
    let out = demo()
        .args(["--web", "--addr", "127.0.0.1:0", "--env", "staging"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: IDENTISURE_ACCOUNT_ID: is required"),
        "{stderr}"
    );
}
