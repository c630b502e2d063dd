//! Personal numbers and secrets stay out of what `identisure simulate`
//! prints (the library's own errors and logs: `tests/redaction.rs` of the
//! `identisure` package).

use identisure::providers::bankid_se::{AuthRequest, PhoneAuthRequest};
use identisure::{Outcome, WaitOptions};

const SSN: &str = "198507099805";

fn assert_clean(what: &str, text: &str) {
    for canary in [SSN, "19850709"] {
        assert!(!text.contains(canary), "{what} leaks {canary}: {text}");
    }
}

/// `identisure simulate` prints one line per request on stderr: paths and
/// statuses, never the personal numbers or tokens of the sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canaries_stay_out_of_the_simulate_command_output() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_identisure"))
        .args(["simulate", "--addr", "127.0.0.1:0", "--step-ms", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("Identisure simulator listening on ")
        .expect(&first)
        .to_string();
    let client = identisure::Client::builder()
        .credentials(
            identisure_simulator::DEMO_ACCOUNT_ID,
            identisure_simulator::DEMO_SECRET_KEY,
        )
        .base_url(url)
        .build()
        .unwrap();
    let session = client
        .bankid_se()
        .auth(AuthRequest::default().ssn(identisure::PersonalNumber::new(SSN).unwrap()))
        .await
        .unwrap();
    let qr_secret = session
        .pending()
        .qr_start_secret
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    assert!(matches!(
        session.wait(WaitOptions::default()).await.unwrap(),
        Outcome::Completed(_)
    ));
    let _ = client
        .bankid_se()
        .phone_auth(
            PhoneAuthRequest::default()
                .ssn("198507099806")
                .call_initiator(identisure::providers::bankid_se::CallInitiator::User),
        )
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        err.contains("POST /v3/bankid-se/auth -> 201"),
        "the request log is on: {err}"
    );
    for text in [&out, &err] {
        assert_clean("identisure simulate output", text);
        assert!(!text.contains(&qr_secret), "{text}");
        assert!(!text.contains("198507099806"), "{text}");
    }
}
