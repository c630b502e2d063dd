//! The `identisure` binary with its stdout on a terminal: a pseudo-terminal
//! opened by the test (Linux), stderr on a pipe. What a person sees: the
//! live QR code and each step of `start --wait` (the view `demo` shows),
//! personal numbers masked, the qrStartSecret never on the screen. Servers
//! are on 127.0.0.1 only (a simulator in the test, the in-process simulator,
//! or the scripted server of tests/hostile).
#![cfg(target_os = "linux")]

#[path = "../../tests/hostile/server.rs"]
mod server;

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RunningSimulator, Simulator, Timing};
use serde_json::json;
use server::{Reply, hostile};

/// A pseudo-terminal through the C library std already links.
mod pty {
    use std::ffi::{CStr, c_char, c_int, c_ulong};
    use std::fs::{File, OpenOptions};
    use std::os::fd::FromRawFd;
    use std::os::unix::fs::OpenOptionsExt;

    unsafe extern "C" {
        fn posix_openpt(flags: c_int) -> c_int;
        fn grantpt(fd: c_int) -> c_int;
        fn unlockpt(fd: c_int) -> c_int;
        fn ptsname_r(fd: c_int, buf: *mut c_char, len: usize) -> c_int;
        fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    }

    const O_RDWR: c_int = 0o2;
    const O_NOCTTY: c_int = 0o400;
    const TIOCSWINSZ: c_ulong = 0x5414;

    #[repr(C)]
    struct Winsize {
        rows: u16,
        cols: u16,
        x_pixels: u16,
        y_pixels: u16,
    }

    /// Opens a terminal of `cols` × `rows`: (the controlling side the test
    /// reads, the terminal side the command writes to).
    pub fn open(cols: u16, rows: u16) -> (File, File) {
        // SAFETY: plain C calls on a descriptor this function owns; the
        // buffer and the window size outlive the calls that use them.
        let (controller, path) = unsafe {
            let fd = posix_openpt(O_RDWR | O_NOCTTY);
            assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
            let controller = File::from_raw_fd(fd);
            assert_eq!(grantpt(fd), 0, "grantpt");
            assert_eq!(unlockpt(fd), 0, "unlockpt");
            let mut buf = [0 as c_char; 128];
            assert_eq!(ptsname_r(fd, buf.as_mut_ptr(), buf.len()), 0, "ptsname_r");
            let size = Winsize {
                rows,
                cols,
                x_pixels: 0,
                y_pixels: 0,
            };
            // Where TIOCSWINSZ has another number the size stays unknown,
            // which the live view treats as "fits".
            let _ = ioctl(fd, TIOCSWINSZ, &size as *const Winsize);
            let path = CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_owned();
            (controller, path)
        };
        let terminal = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(O_NOCTTY)
            .open(path)
            .unwrap();
        (controller, terminal)
    }
}

struct Run {
    code: Option<i32>,
    /// What the terminal received (carriage returns removed).
    screen: String,
    stderr: String,
}

/// Runs the binary with `args`, stdout on a 120×60 terminal, stderr piped,
/// without the IDENTISURE_* variables of the caller (plus `env`).
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> Run {
    let (mut controller, terminal) = pty::open(120, 60);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_identisure"));
    for var in [
        "IDENTISURE_ACCOUNT_ID",
        "IDENTISURE_SECRET_KEY",
        "IDENTISURE_ENV",
        "IDENTISURE_BASE_URL",
        "IDENTISURE_QR_START_SECRET",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(terminal))
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // The command's copy of the terminal is closed here, so reading ends
    // when the child's is.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut screen = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match controller.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => screen.extend_from_slice(&chunk[..n]),
                // EIO: the terminal side is closed.
                Err(_) => break,
            }
        }
        screen
    });
    let out = child.wait_with_output().unwrap();
    let screen = reader.join().unwrap();
    Run {
        code: out.status.code(),
        screen: String::from_utf8_lossy(&screen).replace('\r', ""),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary off the test's runtime, so its simulator keeps serving.
async fn on_terminal_async(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        on_terminal(&args, &env)
    })
    .await
    .unwrap()
}

const CREDENTIALS: [(&str, &str); 2] = [
    ("IDENTISURE_ACCOUNT_ID", DEMO_ACCOUNT_ID),
    ("IDENTISURE_SECRET_KEY", DEMO_SECRET_KEY),
];

/// Whether the text holds a drawn QR code (half-block characters).
fn has_qr_drawing(screen: &str) -> bool {
    screen
        .lines()
        .any(|l| l.matches(['█', '▀', '▄']).count() >= 10)
}

async fn simulator() -> RunningSimulator {
    Simulator::builder()
        .timing(Timing {
            step: Duration::from_millis(100),
            expire_after: Duration::from_secs(30),
            ..Timing::default()
        })
        .build()
        .spawn_local()
        .await
        .unwrap()
}

const SSN: &str = "198507099805";
const QR_SECRET: &str = "5ec4e700-cafe-4e7a-9d5e-e7c4aa7e0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_wait_on_a_terminal_shows_the_live_qr_and_each_step() {
    let pending = |hint: &str| {
        Reply::json(
            201,
            json!({"id": "s1", "status": "PENDING", "hintCode": hint,
                   "autoStartToken": "ast", "qrStartToken": "qst", "qrStartSecret": QR_SECRET}),
        )
    };
    let completed = Reply::json(
        200,
        json!({"id": "s1", "status": "COMPLETED", "ssn": SSN, "name": "Karin Berg",
               "givenName": "Karin", "surname": "Berg", "authenticatedAt": "2026-01-01T00:00:00Z"}),
    );
    let server = hostile(
        vec![pending("outstandingTransaction")],
        vec![
            pending("outstandingTransaction"),
            pending("userSign"),
            completed,
        ],
    )
    .await;
    let run = on_terminal_async(
        &[
            "start",
            "bankid-se/auth",
            "--wait",
            "--timeout",
            "30",
            "--base-url",
            &server.base,
        ],
        &CREDENTIALS,
    )
    .await;
    assert_eq!(run.code, Some(0), "{}{}", run.screen, run.stderr);
    assert!(has_qr_drawing(&run.screen), "no QR code: {}", run.screen);
    let start = run
        .screen
        .find("Start your BankID app and scan the QR code.")
        .expect(&run.screen);
    let sign = run
        .screen
        .find("Enter your security code")
        .expect(&run.screen);
    let done = run.screen.find("COMPLETED").expect(&run.screen);
    assert!(start < sign && sign < done, "{}", run.screen);
    // The result: the personal number masked, as `demo` shows it.
    assert!(run.screen.contains("19850709-****"), "{}", run.screen);
    for text in [&run.screen, &run.stderr] {
        assert!(!text.contains(SSN), "{text}");
        assert!(!text.contains(QR_SECRET), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_numbers_are_masked_on_a_terminal() {
    // bankid-se/verify answers with the person at once.
    let body = json!({"qrCode": identisure_simulator::VERIFY_QR_CODE}).to_string();
    let run = on_terminal_async(
        &[
            "start",
            "bankid-se/verify",
            "--json",
            &body,
            "--env",
            "simulator",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}{}", run.screen, run.stderr);
    assert!(run.screen.contains("Astrid Lindqvist"), "{}", run.screen);
    assert!(run.screen.contains("19870412-****"), "{}", run.screen);
    assert!(!run.screen.contains("198704122384"), "{}", run.screen);

    // `get` of a completed session.
    let sim = simulator().await;
    let url = sim.url().to_string();
    let mut piped = assert_cmd::cargo::cargo_bin_cmd!("identisure");
    piped
        .env_remove("IDENTISURE_ENV")
        .env_remove("IDENTISURE_BASE_URL")
        .envs(CREDENTIALS)
        .args(["start", "bankid-se/auth", "--wait", "--base-url", &url]);
    let out = tokio::task::spawn_blocking(move || piped.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let done: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    // Piped, the JSON keeps the number.
    assert_eq!(done["ssn"], "198704122384");
    let id = done["id"].as_str().unwrap().to_string();
    let run = on_terminal_async(
        &["get", "bankid-se/auth", &id, "--base-url", &url],
        &CREDENTIALS,
    )
    .await;
    assert_eq!(run.code, Some(0), "{}{}", run.screen, run.stderr);
    assert!(run.screen.contains("COMPLETED"), "{}", run.screen);
    assert!(run.screen.contains("19870412-****"), "{}", run.screen);
    assert!(!run.screen.contains("198704122384"), "{}", run.screen);
}

#[test]
fn the_qr_start_secret_never_reaches_a_terminal() {
    let run = on_terminal(&["start", "bankid-se/auth", "--env", "simulator"], &[]);
    assert_eq!(run.code, Some(0), "{}{}", run.screen, run.stderr);
    assert!(
        run.screen.contains(r#""qrStartSecret":"<redacted>""#),
        "{}",
        run.screen
    );
    // Asked for, it is refused on a terminal (exit 2), before any start.
    let run = on_terminal(
        &[
            "start",
            "bankid-se/auth",
            "--show-secret",
            "--env",
            "simulator",
        ],
        &[],
    );
    assert_eq!(run.code, Some(2), "{}{}", run.screen, run.stderr);
    assert!(run.screen.trim().is_empty(), "{}", run.screen);
    assert!(
        run.stderr
            .starts_with("error: --show-secret: stdout is a terminal"),
        "{}",
        run.stderr
    );
}

/// `demo` on a terminal: the same live view (regression for the code it
/// shares with `start --wait`).
#[test]
fn demo_on_a_terminal_shows_the_live_qr_and_a_masked_result() {
    let run = on_terminal(&["demo", "--timeout", "60"], &[]);
    assert_eq!(run.code, Some(0), "{}{}", run.screen, run.stderr);
    assert!(has_qr_drawing(&run.screen), "no QR code: {}", run.screen);
    assert!(run.screen.contains("COMPLETED"), "{}", run.screen);
    assert!(run.screen.contains("19870412-****"), "{}", run.screen);
    assert!(!run.screen.contains("198704122384"), "{}", run.screen);
}

/// A failed login on a terminal says why once: the screen's `✘ FAILED`
/// line, not that line and the same reason again on stderr (which a
/// terminal shows right below it).
#[test]
fn a_failed_login_on_a_terminal_says_why_once() {
    // A Swedish test identity whose login fails (the simulator's table).
    let run = on_terminal(
        &[
            "demo",
            "--provider",
            "bankid-se",
            "--ssn",
            "198110218263",
            "--timeout",
            "60",
        ],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}{}", run.screen, run.stderr);
    let failed = run.screen.lines().filter(|l| l.contains("FAILED")).count();
    assert_eq!(failed, 1, "{}", run.screen);
    assert!(
        !run.stderr.contains("failed:"),
        "the reason is repeated on stderr: {}",
        run.stderr
    );
}
