//! The crate as a new user adds it: a scratch crate depending on this
//! package by path, with the default features only, that compiles the
//! requests a user types first, exactly as written, and runs a login, a
//! signature and an age check against `identisure simulate` (a child
//! process on 127.0.0.1), with credentials and base URL from the environment.
//!
//! The scratch crate builds in its own target directory (`target/dependent`)
//! with this workspace's `Cargo.lock`, so it neither rebuilds nor changes
//! what the workspace itself compiled.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The scratch crate's program: the three requests exactly as the issue
/// that shaped the builders wrote them, then a whole run.
const MAIN: &str = r#"
use std::time::Instant;

use identisure::providers::AgeVerificationRequest;
use identisure::providers::bankid_se::{AuthRequest, SignRequest};
use identisure::{Client, Outcome, WaitOptions};

/// What a user types first; it must compile as written.
fn requests(who: String, n: u32) -> (AuthRequest, SignRequest, AgeVerificationRequest) {
    (
        AuthRequest::default().intent("Log in to Example").ref_id("order-17").pin_required(true),
        SignRequest::default().ssn(who).text(format!("Order {n}")).callback_url("https://rp.example/cb"),
        AgeVerificationRequest::default().min_age(18),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let (login, sign, age) = requests("198704122384".to_string(), 17);
    // The callback URL above is for the compiler; this run has no receiver.
    let sign = sign.set_callback_url(None);

    let started = client.bankid_se().auth(login).await?;
    let qr = identisure::qr::BankIdQr::from_pending(started.pending(), Instant::now())?;
    println!("qr: {}", qr.current());
    match started.wait(WaitOptions::default()).await? {
        Outcome::Completed(person) => println!("login: {}", person.name.as_deref().unwrap_or_default()),
        Outcome::Failed { code, .. } => return Err(format!("login failed: {code}").into()),
    }

    let started = client.bankid_se().sign(sign).await?;
    match started.wait(WaitOptions::default()).await? {
        Outcome::Completed(person) => println!("sign: {}", person.name.as_deref().unwrap_or_default()),
        Outcome::Failed { code, .. } => return Err(format!("sign failed: {code}").into()),
    }

    let started = client.bankid_se().age_verification(age).await?;
    match started.wait(WaitOptions::default()).await? {
        Outcome::Completed(check) => println!("age: {:?}", check.age_verified),
        Outcome::Failed { code, .. } => return Err(format!("age check failed: {code}").into()),
    }
    Ok(())
}
"#;

/// `identisure simulate` on a free port; killed on drop.
struct Simulate(Child);

impl Drop for Simulate {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn simulate() -> (Simulate, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_identisure"))
        .args(["simulate", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("identisure simulate starts");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.expect("simulate prints its URL");
        if let Some(rest) = line.strip_prefix("Identisure simulator listening on ") {
            url = Some(rest.trim().to_string());
            break;
        }
    }
    let url = url.expect("simulate printed its URL");
    // Keep reading what it prints after, or it would write to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (Simulate(child), url)
}

#[test]
fn a_new_dependent_with_default_features_logs_in_signs_and_checks_an_age() {
    // The workspace root: the `identisure` package.
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::create_dir(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"first-login\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nidentisure = {{ path = {:?} }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
             [workspace]\n",
            repo.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let (_simulate, url) = simulate();
    let target = repo.join("target").join("dependent");
    let run = |offline: bool| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .arg("run")
            .arg("--quiet")
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &target)
            .env("IDENTISURE_ACCOUNT_ID", "demo")
            .env("IDENTISURE_SECRET_KEY", "demo-secret")
            .env("IDENTISURE_BASE_URL", &url)
            .env_remove("IDENTISURE_ENV")
            .env_remove("RUSTFLAGS");
        if offline {
            cargo.arg("--offline");
        }
        cargo.output().expect("cargo runs")
    };
    // Every dependency is in the local registry cache after the workspace's
    // own build; fall back to the registry if one is not.
    let mut out = run(true);
    if !out.status.success() {
        out = run(false);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("qr: bankid."), "{stdout}");
    assert!(stdout.contains("login: Astrid Lindqvist"), "{stdout}");
    assert!(stdout.contains("sign: Astrid Lindqvist"), "{stdout}");
    assert!(stdout.contains("age: Some(true)"), "{stdout}");
    // A dependent's build shows no warning of this crate (deprecations …).
    assert!(!stderr.contains("warning"), "{stderr}");
}
