//! `identisure simulate`: prints its URL and credentials, serves the
//! configured accounts, stops on Ctrl-C (SIGINT), refuses bad options.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_identisure");

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

#[tokio::test]
async fn serves_the_given_accounts_and_stops_on_ctrl_c() {
    let mut child = Command::new(BIN)
        .args([
            "simulate",
            "--addr",
            "127.0.0.1:0",
            "--account",
            "acct-a:secret-a",
            "--account",
            "acct-b:se:cret",
            "--seed",
            "9",
            "--step-ms",
            "50",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("Identisure simulator listening on ")
        .expect(&first)
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let printed: Vec<String> = lines.by_ref().take(4).map(Result::unwrap).collect();
    assert!(
        printed.contains(&"  acct-a:secret-a".to_string()),
        "{printed:?}"
    );
    assert!(
        printed.contains(&"  acct-b:se:cret".to_string()),
        "the secret may contain ':'"
    );

    let http = identisure::http_client_builder().build().unwrap();
    for (id, secret, expected) in [
        ("acct-a", "secret-a", 201),
        ("acct-b", "se:cret", 201),
        ("demo", "demo-secret", 401),
    ] {
        let response = http
            .post(format!("{url}/v3/bankid-se/auth"))
            .header("authorization", basic(id, secret))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{id}");
    }

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after Ctrl-C"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("POST /v3/bankid-se/auth -> 201"),
        "{stderr}"
    );
    assert!(
        stderr.contains("POST /v3/bankid-se/auth -> 401"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret-a") && !stderr.contains("se:cret"),
        "no secret in the log"
    );
}

#[test]
fn without_accounts_it_serves_the_demo_account() {
    let mut child = Command::new(BIN)
        .args(["simulate", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(3)
        .map(Result::unwrap)
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(lines[2], "  demo:demo-secret");
}

#[test]
fn bad_options_and_busy_addresses_fail_with_one_line() {
    let out = Command::new(BIN)
        .args(["simulate", "--account", "no-secret"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected ID:SECRET"));
    let out = Command::new(BIN)
        .args(["simulate", "--rate-limit", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["simulate", "--addr", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("error: cannot listen on {addr}")));
    assert!(!stderr.contains("panicked"));
}

#[test]
fn help_lists_every_test_identity() {
    let out = Command::new(BIN)
        .args(["simulate", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for t in identisure_simulator::test_identities() {
        assert!(
            help.contains(&format!("{}  {}", t.ssn(), t.ref_id())),
            "{t:?} missing from:\n{help}"
        );
    }
    assert!(help.contains("--account <ID:SECRET>") && help.contains("--rate-limit"));
}
