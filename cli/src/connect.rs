//! What `demo`, `start`, `get` and `cancel` share: where the API is (their
//! `--env` / `--base-url` options; the offline commands do not take them),
//! the credentials, the exit codes, and how a result is printed without
//! secrets.
//!
//! Where requests go:
//! - `--base-url URL` (or `IDENTISURE_BASE_URL`): that server, e.g. a running
//!   `identisure simulate`; credentials from `IDENTISURE_ACCOUNT_ID` /
//!   `IDENTISURE_SECRET_KEY`, or the simulator's demo account when unset.
//! - otherwise `--env` (or `IDENTISURE_ENV`), default `simulator`: a simulator
//!   started inside this process with its demo account (nothing leaves the
//!   machine). `staging` / `production` need the two credential variables.
//!
//! Exit codes ([`EXIT_CODES`]): 0 completed (or started / read / cancelled),
//! 1 the session FAILED, 2 input or files refused before anything was sent,
//! 3 API, transport, decoding error or timeout, 130 Ctrl-C. Every non-zero
//! exit prints one line on stderr.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use identisure::{Client, Environment, Error};
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RunningSimulator, Simulator};

/// The connection options of the commands that connect (demo, start, get,
/// cancel), given after the command name.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Connection")]
pub struct Api {
    /// Which API: an in-process simulator (default, no credentials needed),
    /// or the real staging / production service (needs IDENTISURE_ACCOUNT_ID
    /// and IDENTISURE_SECRET_KEY).
    #[arg(long, value_enum, env = "IDENTISURE_ENV")]
    pub env: Option<Env>,
    /// Base URL of the API instead of --env, e.g. http://127.0.0.1:7878 for a
    /// running `identisure simulate` (the demo account is used when no
    /// credentials are set).
    #[arg(long, value_name = "URL", env = "IDENTISURE_BASE_URL")]
    pub base_url: Option<String>,
    /// Allow a plain http:// --base-url to another host than this machine
    /// (the secret key then crosses the network in clear text).
    #[arg(long)]
    pub allow_http: bool,
}

/// `--env` values.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// A simulator inside this process, with its demo account.
    Simulator,
    /// https://stgapi.idkollen.se
    #[value(alias = "stage")]
    Staging,
    /// https://api.idkollen.se
    #[value(alias = "prod")]
    Production,
}

/// The exit codes, for `--help` (README "Command line" says the same).
pub const EXIT_CODES: &str = "\
Exit codes:
    0  done: the session COMPLETED (or was started, read, cancelled); the
       callback is genuine; the number is valid
    1  the session FAILED (its JSON is on stdout); `callback verify`: not
       genuine; `id validate`: not a valid number
    2  refused before anything was sent: a bad argument or request body, an
       empty QR token, a file that cannot be read or written
    3  API, transport or decoding error, or --timeout reached
  130  interrupted (Ctrl-C) while waiting; the session was cancelled
Failures are explained on stderr in one line (`failed: …` or `error: …`), or
by a usage message for a malformed command line; `callback verify` and
`id validate` give their verdict on stdout.";

/// How a command ends: the exit code and, unless it succeeded, one line for
/// stderr.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub reason: Option<String>,
}

impl Exit {
    pub const OK: Exit = Exit {
        code: 0,
        reason: None,
    };

    /// The session ended FAILED (its JSON is on stdout).
    pub fn failed(reason: impl Into<String>) -> Self {
        Self {
            code: 1,
            reason: Some(reason.into()),
        }
    }

    /// The session ended without success and the screen already says why
    /// (exit code 1, nothing more on stderr).
    pub fn failed_shown() -> Self {
        Self {
            code: 1,
            reason: None,
        }
    }

    /// Input refused before anything was sent.
    pub fn input(reason: impl Into<String>) -> Self {
        Self {
            code: 2,
            reason: Some(reason.into()),
        }
    }

    /// API, transport or decoding error, or timeout.
    pub fn api(reason: impl Into<String>) -> Self {
        Self {
            code: 3,
            reason: Some(reason.into()),
        }
    }

    /// Prints the reason (one line) and turns into the process exit code.
    pub fn finish(self) -> ExitCode {
        if let Some(reason) = &self.reason {
            let line: String = reason.replace(['\n', '\r'], " ");
            let prefix = if self.code == 1 { "failed" } else { "error" };
            eprintln!("{prefix}: {line}");
        }
        ExitCode::from(self.code)
    }
}

impl From<Error> for Exit {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidRequest { field, rule } => Exit::input(format!("{field}: {rule}")),
            e @ Error::Config { .. } => Exit::input(e.to_string()),
            // Nothing was sent: the API has no cancel for this flow.
            e @ Error::CancelUnsupported { .. } => Exit::input(e.to_string()),
            Error::WaitTimeout => Exit::api("timed out waiting for the session to finish"),
            other => Exit::api(other.to_string()),
        }
    }
}

/// A connected client; keeps the in-process simulator alive while in use.
pub struct Connection {
    pub client: Client,
    /// `Some` when the API is a simulator inside this process.
    pub simulator: Option<RunningSimulator>,
    /// Where requests go, for messages (no credentials in it).
    pub target: String,
}

/// Reads a credential variable; empty counts as unset.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The credentials from the environment: both or neither.
fn credentials() -> Result<Option<(String, String)>, Exit> {
    match (var("IDENTISURE_ACCOUNT_ID"), var("IDENTISURE_SECRET_KEY")) {
        (Some(id), Some(secret)) => Ok(Some((id, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Exit::input(
            "IDENTISURE_SECRET_KEY: is required when IDENTISURE_ACCOUNT_ID is set",
        )),
        (None, Some(_)) => Err(Exit::input(
            "IDENTISURE_ACCOUNT_ID: is required when IDENTISURE_SECRET_KEY is set",
        )),
    }
}

/// Scheme, host and port of a URL, never its user info.
fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "the given base URL".to_string(),
    }
}

/// The options of [`Api`], refused by the commands that do not connect.
pub const CONNECTION_FLAGS: [&str; 3] = ["--env", "--base-url", "--allow-http"];

/// Connects as the connection options say. `timeout` bounds each request.
/// `quiet_note` silences the note about unused credentials.
pub async fn connect(api: &Api, timeout: Option<Duration>) -> Result<Connection, Exit> {
    let creds = credentials()?;
    let request_timeout = timeout
        .unwrap_or(Duration::from_secs(30))
        .min(Duration::from_secs(30));
    let builder = Client::builder()
        .request_timeout(request_timeout)
        .connect_timeout(request_timeout.min(Duration::from_secs(10)));

    if let Some(url) = api.base_url.as_deref().filter(|u| !u.is_empty()) {
        let (id, secret) =
            creds.unwrap_or_else(|| (DEMO_ACCOUNT_ID.to_string(), DEMO_SECRET_KEY.to_string()));
        let client = builder
            .credentials(id, secret)
            .base_url(url)
            .allow_plain_http(api.allow_http)
            .build()
            .map_err(|e| match e {
                Error::Config { setting, problem } if setting == "base_url" => {
                    Exit::input(format!(
                        "--base-url: {}",
                        problem.replace("`allow_plain_http(true)`", "--allow-http")
                    ))
                }
                other => Exit::from(other),
            })?;
        return Ok(Connection {
            client,
            simulator: None,
            target: display_url(url),
        });
    }

    match api.env.unwrap_or(Env::Simulator) {
        Env::Simulator => {
            // As in production, sessions wait for the user: the commands that
            // follow a session play the user's part (`live::play_user`).
            let running = Simulator::builder()
                .require_user(true)
                .build()
                .spawn_local()
                .await
                .map_err(|e| Exit::api(format!("cannot start the in-process simulator: {e}")))?;
            let client = builder
                .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
                .base_url(running.url())
                .build()
                .map_err(Exit::from)?;
            let target = format!("in-process simulator at {}", running.url());
            Ok(Connection {
                client,
                simulator: Some(running),
                target,
            })
        }
        env @ (Env::Staging | Env::Production) => {
            let Some((id, secret)) = creds else {
                return Err(Exit::input(
                    "IDENTISURE_ACCOUNT_ID: is required for --env staging/production \
                     (set IDENTISURE_ACCOUNT_ID and IDENTISURE_SECRET_KEY, or use --env simulator)",
                ));
            };
            let environment = if env == Env::Staging {
                Environment::Staging
            } else {
                Environment::Production
            };
            let target = environment.base_url().to_string();
            let client = builder
                .credentials(id, secret)
                .environment(environment)
                .build()
                .map_err(Exit::from)?;
            Ok(Connection {
                client,
                simulator: None,
                target,
            })
        }
    }
}

/// Where a session JSON is printed, which decides what it shows.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// stdout is a terminal: personal numbers are masked (`19870412-****`).
    pub terminal: bool,
    /// `start --show-secret` (refused on a terminal): `qrStartSecret` is kept.
    pub qr_secret: bool,
}

impl Shown {
    /// As stdout is now, without the QR secret.
    pub fn stdout() -> Self {
        Self {
            terminal: std::io::stdout().is_terminal(),
            qr_secret: false,
        }
    }
}

/// Makes a session JSON safe to print: `qrStartSecret` is replaced (unless
/// asked for off a terminal); personal numbers are kept only in a COMPLETED
/// state (or a `verify` result, the answer the user asked for), and masked
/// on a terminal.
pub fn redact(value: &mut serde_json::Value, keep_personal_numbers: bool, shown: Shown) {
    let redacted = || serde_json::Value::String("<redacted>".into());
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if v.is_null() {
                    continue;
                }
                match key.as_str() {
                    "qrStartSecret" if !shown.qr_secret || shown.terminal => *v = redacted(),
                    "qrStartSecret" => {}
                    "ssn" if !keep_personal_numbers => *v = redacted(),
                    "ssn" if shown.terminal => {
                        *v = match v.as_str() {
                            Some(ssn) => serde_json::Value::String(crate::live::mask(ssn)),
                            None => redacted(),
                        }
                    }
                    "ssn" => {}
                    _ => redact(v, keep_personal_numbers, shown),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                redact(v, keep_personal_numbers, shown);
            }
        }
        _ => {}
    }
}

/// Serializes a session state (or result) for stdout, redacted, one line.
pub fn to_json<T: serde::Serialize>(value: &T, shown: Shown) -> Result<String, Exit> {
    let mut v = serde_json::to_value(value)
        .map_err(|_| Exit::api("cannot serialize the session as JSON"))?;
    let completed =
        v.get("status").and_then(|s| s.as_str()) == Some("COMPLETED") || v.get("status").is_none();
    redact(&mut v, completed, shown);
    Ok(v.to_string())
}

/// `--timeout`: when the command ends, counted from its start.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    /// The moment the command ends.
    pub at: tokio::time::Instant,
    /// The `--timeout` given, for messages.
    pub after: Duration,
}

impl Deadline {
    /// `after` from `began` (the start of the command).
    pub fn new(began: tokio::time::Instant, after: Duration) -> Self {
        Self {
            at: began + after,
            after,
        }
    }

    /// The exit at the deadline: `timed out after N s{what}` (exit 3).
    pub fn expired(&self, what: impl std::fmt::Display) -> Exit {
        Exit::api(format!(
            "timed out after {} s (--timeout){what}",
            self.after.as_secs_f64()
        ))
    }

    /// Runs `fut` until the deadline; `what` completes the message.
    pub async fn bound<T>(
        deadline: Option<Self>,
        fut: impl Future<Output = T>,
        what: &str,
    ) -> Result<T, Exit> {
        match deadline {
            Some(d) => tokio::time::timeout_at(d.at, fut)
                .await
                .map_err(|_| d.expired(what)),
            None => Ok(fut.await),
        }
    }
}

/// Parses a duration in seconds (`30`, `0.5`).
pub fn parse_secs(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| "expected a number of seconds".to_string())?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err("expected a number of seconds between 0 and 86400".to_string());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Exit::api(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_completed_personal_numbers_only() {
        let piped = Shown {
            terminal: false,
            qr_secret: false,
        };
        let terminal = Shown {
            terminal: true,
            ..piped
        };
        let mut pending = serde_json::json!({"status":"PENDING","qrStartSecret":"s3","ssn":"1990"});
        redact(&mut pending, false, piped);
        assert_eq!(pending["qrStartSecret"], "<redacted>");
        assert_eq!(pending["ssn"], "<redacted>");
        let mut done = serde_json::json!({"status":"COMPLETED","ssn":"198704122384"});
        redact(&mut done, true, piped);
        assert_eq!(done["ssn"], "198704122384");
        redact(&mut done, true, terminal);
        assert_eq!(done["ssn"], "19870412-****");
    }

    #[test]
    fn the_qr_secret_is_kept_only_when_asked_for_off_a_terminal() {
        let pending = serde_json::json!({"status":"PENDING","qrStartSecret":"s3"});
        for (terminal, qr_secret, kept) in [
            (false, false, false),
            (true, false, false),
            (true, true, false),
            (false, true, true),
        ] {
            let mut v = pending.clone();
            redact(
                &mut v,
                false,
                Shown {
                    terminal,
                    qr_secret,
                },
            );
            assert_eq!(v["qrStartSecret"] == "s3", kept, "{terminal} {qr_secret}");
        }
    }

    #[test]
    fn urls_print_without_user_info() {
        assert_eq!(
            display_url("http://user:pw@127.0.0.1:9/x"),
            "http://127.0.0.1:9"
        );
    }
}
