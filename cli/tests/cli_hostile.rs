//! Hostile server answers through the command line:
//! `identisure start bankid-se/auth --wait --base-url …`. Each ends with exit
//! code 3 and one line on stderr, no panic, no secret or personal number in
//! the output, exactly one start, collects at least a second apart.

#[path = "../../tests/hostile/server.rs"]
mod server;

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;
use server::{Hostile, Reply, hostile};

const SSN: &str = "198507099805";
const SECRET_KEY: &str = "cli-canary-secret-91x";
const QR_SECRET: &str = "5ec4e700-cafe-4e7a-9d5e-e7c4aa7e0001";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `start bankid-se/auth --wait` against the server (in a blocking
/// thread, so the server keeps answering).
async fn start_wait(server: &Hostile, extra: &[&str]) -> Run {
    let base = server.base.clone();
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_identisure"))
            .args(["start", "bankid-se/auth", "--wait", "--base-url", &base])
            .args([
                "--json",
                &json!({"ssn": SSN, "intent": "hostile"}).to_string(),
            ])
            .args(&extra)
            .env("IDENTISURE_ACCOUNT_ID", "acct-cli")
            .env("IDENTISURE_SECRET_KEY", SECRET_KEY)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// Exit 3, one `error: …` line, nothing leaked, one start, spaced collects.
fn assert_error_exit(what: &str, run: &Run, server: &Hostile, reason: &str) {
    assert_eq!(run.code, 3, "{what}: {}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    // Progress lines may come first; the reason is one line, the last.
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{what}: one reason line on stderr: {:?}",
        run.stderr
    );
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("error: "), "{what}: {}", run.stderr);
    assert!(
        last.to_lowercase().contains(reason),
        "{what}: expected `{reason}` in {last}"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("acct-cli:{SECRET_KEY}"));
    for text in [&run.stdout, &run.stderr] {
        for canary in [SSN, "8507099805", SECRET_KEY, QR_SECRET, basic.as_str()] {
            assert!(!text.contains(canary), "{what} leaks {canary}: {text}");
        }
    }
    assert_eq!(server.count("POST"), 1, "{what}: exactly one start");
    for gap in server.get_gaps() {
        assert!(
            gap >= Duration::from_secs(1),
            "{what}: {:?}",
            server.get_gaps()
        );
    }
}

fn pending() -> Reply {
    Reply::json(
        201,
        json!({"id": "s", "status": "PENDING", "hintCode": "outstandingTransaction",
               "autoStartToken": "ast", "qrStartToken": "qst", "qrStartSecret": QR_SECRET}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_start_answers_exit_3_with_one_line() {
    let html = format!("<html><body>502 Bad Gateway {SSN}</body></html>");
    let cases: Vec<(&str, Reply, &str)> = vec![
        ("html 502", Reply::raw(502, "text/html", html), "502"),
        (
            "html 200",
            Reply::raw(200, "text/html", "<html>portal</html>"),
            "not json",
        ),
        (
            "empty",
            Reply::raw(201, "application/json", ""),
            "empty body",
        ),
        (
            "cut json",
            Reply::raw(201, "application/json", r#"{"id":"s","sta"#),
            "truncated",
        ),
        (
            "cut body",
            Reply::Truncated {
                status: 201,
                declared: 900,
                body: br#"{"id":"s""#.to_vec(),
            },
            "connection reset",
        ),
        (
            "wrong type",
            Reply::json(201, json!({"id": 5, "status": "PENDING"})),
            "id",
        ),
        (
            "429",
            Reply::json(429, json!({"message": "slow"})),
            "rate limited",
        ),
        (
            "429 retry-after",
            Reply::raw(429, "text/plain", "").with_header("retry-after", "1"),
            "rate limited",
        ),
        (
            "503",
            Reply::json(503, json!({"message": format!("down for {SSN}")})),
            "503",
        ),
        ("reset", Reply::Reset, "connection reset"),
        ("garbage", Reply::Garbage, "not an http answer"),
        (
            "oversized",
            Reply::Huge {
                status: 201,
                declared: 32 << 20,
            },
            "larger than",
        ),
        (
            "redirect",
            Reply::raw(307, "text/plain", "")
                .with_header("location", "http://127.0.0.1:9/v3/bankid-se/auth"),
            "307",
        ),
    ];
    for (what, reply, reason) in cases {
        let server = hostile(vec![reply], vec![]).await;
        let run = start_wait(&server, &["--timeout", "30"]).await;
        assert_error_exit(what, &run, &server, reason);
        assert_eq!(server.count("GET"), 0, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_collect_answers_exit_3_with_one_line() {
    let cases: Vec<(&str, Vec<Reply>, &str)> = vec![
        (
            "unknown status",
            vec![Reply::json(200, json!({"id": "s", "status": "PAUSED"}))],
            "unknown session status",
        ),
        (
            "wrong type",
            vec![Reply::json(
                200,
                json!({"id": "s", "status": "COMPLETED", "ssn": 198507099805u64}),
            )],
            "ssn",
        ),
        ("endless body", vec![Reply::Endless], "larger than"),
        (
            "429 then html 5xx burst then unknown",
            vec![
                Reply::raw(429, "text/plain", "").with_header("retry-after", "1"),
                Reply::raw(502, "text/html", "<html>Bad Gateway</html>"),
                Reply::Reset,
                Reply::json(200, json!({"id": "s", "status": "???"})),
            ],
            "unknown session status",
        ),
    ];
    for (what, collects, reason) in cases {
        let server = hostile(vec![pending()], collects).await;
        let run = start_wait(&server, &["--timeout", "30"]).await;
        assert_error_exit(what, &run, &server, reason);
        assert!(server.count("GET") >= 1, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_that_never_finish_are_bounded_by_the_command_timeout() {
    for (what, starts, collects) in [
        ("start hangs", vec![Reply::Hang], vec![]),
        ("collect trickles", vec![pending()], vec![Reply::Trickle]),
        ("collect hangs", vec![pending()], vec![Reply::Hang]),
    ] {
        let server = hostile(starts, collects).await;
        let began = std::time::Instant::now();
        let run = start_wait(&server, &["--timeout", "2"]).await;
        assert!(
            // Never before the bound (see tests/cli_session.rs for the bounds).
            began.elapsed() >= Duration::from_millis(1800),
            "{what}: ended after {:?} with {} {} {}",
            began.elapsed(),
            run.code,
            run.stdout,
            run.stderr
        );
        assert_error_exit(what, &run, &server, "time");
    }
}

/// Against the in-process simulator: a pending start prints no personal
/// number and no `qrStartSecret`; with `--wait`, the number appears only in
/// the COMPLETED result on stdout (what the user asked for), never on stderr.
#[test]
fn start_prints_personal_data_only_in_the_completed_result() {
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_identisure"))
            .args(["start", "bankid-se/auth", "--env", "simulator"])
            .args(["--json", &json!({"ssn": SSN}).to_string()])
            .args(extra)
            .env_remove("IDENTISURE_BASE_URL")
            .env_remove("IDENTISURE_ACCOUNT_ID")
            .env_remove("IDENTISURE_SECRET_KEY")
            .output()
            .unwrap()
    };
    let pending = run(&[]);
    assert_eq!(pending.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&pending.stdout);
    let stderr = String::from_utf8_lossy(&pending.stderr);
    assert!(stdout.contains("PENDING"), "{stdout}");
    assert!(
        !stdout.contains(SSN) && !stderr.contains(SSN),
        "{stdout}{stderr}"
    );
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON on stdout");
    let secret = value
        .get("qrStartSecret")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    assert!(
        secret.is_empty() || secret.contains("redacted"),
        "qrStartSecret printed: {secret}"
    );
    let done = run(&["--wait", "--timeout", "30"]);
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        stdout.contains("COMPLETED") && stdout.contains(SSN),
        "{stdout}"
    );
    assert!(!stderr.contains(SSN), "{stderr}");
}
