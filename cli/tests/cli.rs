//! The `identisure` binary: qr, callback and id commands, run as a user would.

use assert_cmd::Command;
use identisure::callback::{CallbackSecret, sign_callback};

const TOKEN: &str = "67df3917-fa0d-44e5-b327-edcc928297f8";
const SECRET: &str = "d28db9a7-4cde-429e-a983-359be676944c";
const REFERENCE: &str = "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8";

fn cli() -> Command {
    assert_cmd::cargo::cargo_bin_cmd!("identisure")
}

fn qr_bankid(seconds: &str) -> Command {
    let mut cmd = cli();
    cmd.args([
        "qr",
        "bankid",
        "--start-token",
        TOKEN,
        "--start-secret",
        SECRET,
        "--seconds",
        seconds,
    ]);
    cmd
}

fn decode(width: usize, height: usize, dark: impl Fn(usize, usize) -> bool) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark(x, y) { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[test]
fn qr_bankid_prints_exactly_the_payload_line() {
    let out = qr_bankid("0").assert().success().get_output().clone();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{REFERENCE}\n")
    );
    assert!(out.stderr.is_empty());

    let out = qr_bankid("7").assert().success().get_output().clone();
    let qr = identisure::qr::BankIdQr::new(TOKEN, SECRET.into(), std::time::Instant::now());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", qr.payload_at(7))
    );
}

#[test]
fn qr_bankid_png_file_scans_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qr.png");
    let out = qr_bankid("0")
        .args(["--render", "png", "--out"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let w = info.width as usize;
    assert_eq!(
        decode(w, info.height as usize, |x, y| buf[y * w + x] < 128),
        REFERENCE
    );
}

#[test]
fn qr_bankid_svg_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qr.svg");
    qr_bankid("0")
        .args(["--render", "svg", "--out"])
        .arg(&path)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
}

#[test]
fn qr_bankid_terminal_to_stdout_scans() {
    let out = qr_bankid("0")
        .args(["--render", "terminal"])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let scale = 4;
    let (w, h) = (lines[0].len(), lines.len() * 2);
    // Dark terminal: un-inked cells (spaces) show as dark modules.
    let decoded = decode(w * scale, h * scale, |x, y| {
        let (cx, cy) = (x / scale, y / scale);
        let inked = matches!((lines[cy / 2][cx], cy % 2), ('█', _) | ('▀', 0) | ('▄', 1));
        !inked
    });
    assert_eq!(decoded, REFERENCE);

    // The same drawing can go to a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qr.txt");
    qr_bankid("0")
        .args(["--render", "terminal", "--out"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn qr_misuse_is_refused_with_exit_2() {
    // Exit 1 means a FAILED session (or a negative answer); a usage or
    // file error is exit 2, with what to do.
    let out = qr_bankid("0")
        .args(["--render", "png"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: --render png needs --out FILE"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // --out without --render is a usage error.
    qr_bankid("0").args(["--out", "x.png"]).assert().code(2);
    qr_bankid("not-a-number").assert().code(2);
    // A file that cannot be written.
    let out = qr_bankid("0")
        .args(["--render", "svg", "--out", "/nonexistent-dir/qr.svg"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: --out: cannot write /nonexistent-dir/qr.svg"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// An empty token or secret (e.g. a shell variable that was never set)
/// would give a payload no BankID app accepts: refused, exit 2.
#[test]
fn qr_empty_inputs_are_refused_with_exit_2() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["bankid", "--start-token", "", "--start-secret", SECRET],
            "--start-token: must not be empty",
        ),
        (
            &["bankid", "--start-token", "  ", "--start-secret", SECRET],
            "--start-token: must not be empty",
        ),
        (
            &["bankid", "--start-token", TOKEN, "--start-secret", ""],
            "--start-secret: must not be empty",
        ),
        (
            &["bankid", "--start-token", "", "--start-secret", ""],
            "--start-token: must not be empty",
        ),
        (&["freja", "--data", ""], "--data: must not be empty"),
    ];
    for (args, reason) in cases {
        let out = cli()
            .env_remove("IDENTISURE_QR_START_SECRET")
            .arg("qr")
            .args(args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error: {reason}")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: a payload was printed");
    }
    // The secret from the environment, empty.
    let out = cli()
        .env("IDENTISURE_QR_START_SECRET", "")
        .args(["qr", "bankid", "--start-token", TOKEN])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
}

#[test]
fn qr_secret_never_printed() {
    for extra in [
        &[][..],
        &["--render", "terminal"][..],
        &["--render", "svg"][..],
    ] {
        let out = qr_bankid("3")
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone();
        assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
    }
}

#[test]
fn qr_freja_renders_qr_data() {
    let data = "frejaeid://bindUserToTransaction?transactionReference=abc";
    let out = cli()
        .args(["qr", "freja", "--data", data])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{data}\n"));
    cli()
        .args(["qr", "freja", "--data", data, "--render", "terminal"])
        .assert()
        .success();
}

const BODY: &str =
    r#"{"id":"sess-42","status":"COMPLETED","ssn":"199001011239","name":"Test Testsson"}"#;

fn sig(body: &str) -> String {
    sign_callback(&CallbackSecret::new("account-key"), body.as_bytes())
}

#[test]
fn callback_verify_genuine_from_stdin_and_file() {
    let out = cli()
        .args([
            "callback",
            "verify",
            "--secret",
            "account-key",
            "--signature",
            &sig(BODY),
        ])
        .write_stdin(BODY)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "genuine: status=COMPLETED id=sess-42\n");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.json");
    let failed = r#"{"id":"s9","status":"FAILED","error":"CANCELLED","hintCode":"userCancel"}"#;
    std::fs::write(&path, failed).unwrap();
    let out = cli()
        .args([
            "callback",
            "verify",
            "--secret",
            "account-key",
            "--signature",
            &sig(failed),
            "--body-file",
        ])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "genuine: status=FAILED id=s9 error=CANCELLED hintCode=userCancel\n"
    );
}

#[test]
fn callback_verify_refusals_exit_1_with_reason() {
    let cases: [(Vec<&str>, &str, &str); 4] = [
        (vec![], BODY, "missing X-Signature-SHA256"),
        (vec!["--signature", "%%%"], BODY, "malformed"),
        (vec!["--signature", "AAAA"], BODY, "malformed"),
        (
            vec![
                "--signature",
                "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=",
            ],
            BODY,
            "does not match",
        ),
    ];
    for (extra, body, reason) in cases {
        let out = cli()
            .args(["callback", "verify", "--secret", "account-key"])
            .args(&extra)
            .write_stdin(body)
            .assert()
            .code(1)
            .get_output()
            .clone();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains(reason), "{extra:?}: {all}");
        assert!(!all.contains("199001011239"));
    }
    // Signed with another key.
    let wrong = sign_callback(&CallbackSecret::new("other"), BODY.as_bytes());
    cli()
        .args([
            "callback",
            "verify",
            "--secret",
            "account-key",
            "--signature",
            &wrong,
        ])
        .write_stdin(BODY)
        .assert()
        .code(1);
    // Genuine signature, body not JSON: refused, nothing echoed.
    let junk = "ssn=199001011239";
    let out = cli()
        .args([
            "callback",
            "verify",
            "--secret",
            "account-key",
            "--signature",
            &sig(junk),
        ])
        .write_stdin(junk)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("not the expected session JSON"), "{all}");
    assert!(!all.contains("199001011239"));
    // A missing body file is a file error (exit 2), not a verdict.
    let out = cli()
        .args([
            "callback",
            "verify",
            "--secret",
            "k",
            "--signature",
            "x",
            "--body-file",
            "/nonexistent/body",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: --body-file: cannot read /nonexistent/body"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

fn validate(country: &str, number: &str) -> (i32, String) {
    let out = cli()
        .args(["id", "validate", "--country", country, number])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), text)
}

#[test]
fn id_validate_accepts_valid_numbers_in_any_case_of_country() {
    for (country, number) in [
        ("se", "19811218-9876"),
        ("SE", "811218-9876"),
        ("Se", "701063-2391"),
        ("no", "20123931743"),
        ("NO", "55074308332"),
        ("dk", "010190-1234"),
        ("DK", "0101901234"),
        ("fi", "131052-308T"),
        ("FI", "010101A002S"),
    ] {
        let (code, text) = validate(country, number);
        assert_eq!(code, 0, "{country} {number}: {text}");
        assert!(text.starts_with("valid "), "{text}");
        // The number is never echoed back.
        assert!(!text.contains(&number[..6]), "{text}");
    }
}

#[test]
fn id_validate_reports_the_reason() {
    for (country, number, reason) in [
        ("se", "19811218-9877", "check digit"),
        ("se", "811318-9876", "date"),
        ("se", "8112189", "length"),
        ("no", "20123931744", "check digit"),
        ("no", "2012393174", "length"),
        ("dk", "320190-1234", "date"),
        ("fi", "131052-308U", "check digit"),
        ("fi", "311352-308T", "date"),
    ] {
        let (code, text) = validate(country, number);
        assert_eq!(code, 1, "{country} {number}: {text}");
        assert!(text.contains(reason), "{country} {number}: {text}");
        assert!(!text.contains(number), "{text}");
    }
    // Unknown country: a usage error.
    let out = cli()
        .args(["id", "validate", "--country", "de", "123"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn id_validate_orgnummer() {
    cli()
        .args(["id", "validate", "--country", "se", "--org", "556016-0680"])
        .assert()
        .success();
    cli()
        .args(["id", "validate", "--country", "se", "--org", "811218-9876"])
        .assert()
        .code(1);
    // --org with another country is an argument error: exit 2.
    let out = cli()
        .args(["id", "validate", "--country", "no", "--org", "556016-0680"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: --org: only with --country se"),
        "{stderr}"
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let out = cli().arg("--help").assert().success().get_output().clone();
    let help = String::from_utf8_lossy(&out.stdout);
    for line in ["Exit codes:", "0  ", "1  the session FAILED", "2  ", "3  "] {
        assert!(help.contains(line), "`{line}` missing from:\n{help}");
    }
}

/// `--env`, `--base-url` and `--allow-http` belong to the commands that
/// connect (demo, start, get, cancel); the offline ones refuse them, and
/// ignore the IDENTISURE_ENV / IDENTISURE_BASE_URL variables.
#[test]
fn offline_commands_take_no_connection_flags() {
    let cases: [&[&str]; 6] = [
        &["qr", "freja", "--data", "x", "--env", "staging"],
        &[
            "--base-url",
            "http://127.0.0.1:9",
            "qr",
            "freja",
            "--data",
            "x",
        ],
        &[
            "qr",
            "bankid",
            "--start-token",
            TOKEN,
            "--start-secret",
            SECRET,
            "--allow-http",
        ],
        &[
            "callback",
            "verify",
            "--secret",
            "k",
            "--signature",
            "x",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        &[
            "id",
            "validate",
            "--country",
            "se",
            "19811218-9876",
            "--env",
            "production",
        ],
        &["simulate", "--addr", "127.0.0.1:0", "--env", "simulator"],
    ];
    for args in cases {
        let out = cli()
            .args(args)
            // `simulate` would serve until interrupted if it took the flag.
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("unexpected argument"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("only for the commands that connect"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    for help in [
        &["qr", "bankid", "--help"][..],
        &["id", "validate", "--help"][..],
    ] {
        let out = cli().args(help).assert().success().get_output().clone();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("--base-url") && !text.contains("--env"),
            "{text}"
        );
    }
    let out = cli()
        .args(["start", "--help"])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--base-url") && text.contains("--env"),
        "{text}"
    );
    // Variables meant for the connecting commands do not break the others.
    cli()
        .env("IDENTISURE_ENV", "no-such-env")
        .env("IDENTISURE_BASE_URL", "not a url")
        .args(["qr", "freja", "--data", "x"])
        .assert()
        .success();
}
