//! `identisure start | get | cancel`: one session operation from the shell.
//!
//! `start PROVIDER/FLOW [--json BODY] [--wait] [--timeout SECS]` checks the
//! body as the flow's typed request (`identisure::flow`: the same rules as
//! the library's builders) and starts the flow by name through
//! [`identisure::Client::flow`]; invalid input is refused before anything is sent
//! (exit 2, `field: rule`). It prints the session JSON on stdout, with
//! `qrStartSecret` redacted (kept with `--show-secret`, which is refused
//! when stdout is a terminal) and personal numbers only in a COMPLETED result,
//! masked when stdout is a terminal (in full only in piped JSON). With
//! `--wait` on a terminal it shows the live view of [`crate::live`] (the
//! one `demo` shows) before the result; piped, progress goes to stderr.
//! `get PROVIDER/FLOW ID` collects once, `cancel PROVIDER/FLOW ID` cancels.
//! Phone and backchannel flows may be named by their start path
//! (`bankid-se/phone/auth`) or the flow they are collected through.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use identisure::Provider;
use identisure::flow::{AnySession, AnyStarted, AnyState};
use identisure::operations;
use identisure::raw::types;

use crate::connect::{self, Api, Deadline, Exit, Shown};
use crate::live::{self, Background, Prompt, Report, Ui};

/// Options of `identisure start`.
#[derive(clap::Args, Debug)]
#[command(after_help = start_help())]
pub struct StartArgs {
    /// PROVIDER/FLOW, e.g. bankid-se/auth (see the list below).
    #[arg(value_name = "PROVIDER/FLOW")]
    flow: String,
    /// The request body as JSON (camelCase fields, as in the API), `@FILE`,
    /// or `-` for stdin. Default `{}`.
    #[arg(long, value_name = "BODY")]
    json: Option<String>,
    /// Follow the session until it completes or fails (exit 0 / 1): on a
    /// terminal the live QR code (or URL) and each step, then the result
    /// with personal numbers masked; otherwise progress on stderr and the
    /// final session JSON on stdout.
    #[arg(long)]
    wait: bool,
    /// End the command SECS seconds after it began (within 0.1 s; exit 3),
    /// every request included; with --wait a session still pending is
    /// cancelled first (best effort, within the same bound).
    #[arg(long, value_name = "SECS", value_parser = connect::parse_secs)]
    timeout: Option<Duration>,
    /// Keep qrStartSecret in the printed JSON (bankid-se/auth and
    /// bankid-se/sign), for `identisure qr bankid`. Only when stdout is a
    /// pipe or a file, never a terminal: whoever sees the secret can draw
    /// valid QR codes for the session until it ends.
    #[arg(long, conflicts_with = "wait")]
    show_secret: bool,
    /// With --wait on a terminal: the terminal's background, so the QR code
    /// is drawn dark-on-light.
    #[arg(long, value_enum, default_value = "dark")]
    background: Background,
    #[command(flatten)]
    api: Api,
}

/// Options of `identisure get` and `identisure cancel`.
#[derive(clap::Args, Debug)]
pub struct GetArgs {
    /// PROVIDER/FLOW, e.g. bankid-se/auth or vipps/backchannel/auth.
    #[arg(value_name = "PROVIDER/FLOW")]
    flow: String,
    /// The session id (from `start`).
    id: String,
    /// Bound on the whole command, every request included (exit 3 when hit).
    #[arg(long, value_name = "SECS", value_parser = connect::parse_secs)]
    timeout: Option<Duration>,
    #[command(flatten)]
    api: Api,
}

/// The name of a flow on the command line: its start path without `/v3/`,
/// e.g. `bankid-se/phone/auth` (from the spec, through the library's table).
fn cli_name(path: &str) -> &str {
    path.trim_start_matches('/').trim_start_matches("v3/")
}

/// Every start the CLI offers, by provider: the flows of the table and
/// BankID SE verify, as `(name, operationId)`.
fn start_names() -> Vec<(&'static str, &'static str)> {
    let mut names: Vec<(Provider, &'static str, &'static str)> = operations::flows()
        .map(|f| (f.provider(), cli_name(f.start().path()), f.start().id()))
        .collect();
    if let Some(verify) = operations::operations().find(|o| o.id() == "bankid_se_verify") {
        names.push((Provider::BankIdSe, cli_name(verify.path()), verify.id()));
    }
    names.sort_by_key(|(p, name, _)| (Provider::ALL.iter().position(|q| q == p), *name));
    names.into_iter().map(|(_, n, id)| (n, id)).collect()
}

fn start_help() -> String {
    let mut help = String::from("Flows (PROVIDER/FLOW):\n");
    let mut provider = "";
    for (path, _) in start_names() {
        let (p, flow) = path.split_once('/').unwrap_or((path, ""));
        if p != provider {
            if !provider.is_empty() {
                help.push('\n');
            }
            help.push_str(&format!("  {:<10} ", format!("{p}/")));
            provider = p;
        } else {
            help.push_str(", ");
        }
        help.push_str(flow);
    }
    help.push('\n');
    help.push_str(
        "\nExamples:\n  identisure start bankid-se/auth --wait\n  \
         identisure start freja/sign --json '{\"ssn\":\"198704122384\",\"country\":\"SWEDEN\",\"text\":\"I agree\"}'\n  \
         identisure start mitid/auth --json '{\"refId\":\"sim:user-cancel\"}' --wait   # exit 1\n  \
         identisure start bankid-se/auth --show-secret --base-url URL > session.json   # for `qr bankid`\n\n\
         Output: on a terminal personal numbers are masked (19870412-****); when stdout is\n\
         a pipe or a file, a COMPLETED result's JSON has them in full. qrStartSecret is\n\
         redacted unless --show-secret asks for it, which is refused on a terminal.\n\n\
         Exit codes: 0 completed (or started, without --wait), 1 the session FAILED,\n\
         2 input refused before sending, 3 API, transport or decoding error, or timeout,\n\
         130 interrupted (the session cancelled).",
    );
    help
}

pub fn start(args: StartArgs) -> ExitCode {
    let deadline = args
        .timeout
        .map(|t| Deadline::new(tokio::time::Instant::now(), t));
    // The start and the wait keep the deadline themselves (the wait cancels
    // the session just before it); this bound, a little later, only catches
    // what they do not cover, like stopping the in-process simulator.
    bounded(deadline, SAFETY_MARGIN, run_start(args, deadline))
}

pub fn get(args: GetArgs) -> ExitCode {
    let deadline = args
        .timeout
        .map(|t| Deadline::new(tokio::time::Instant::now(), t));
    bounded(deadline, Duration::ZERO, run_by_id(args, Op::Get))
}

pub fn cancel(args: GetArgs) -> ExitCode {
    let deadline = args
        .timeout
        .map(|t| Deadline::new(tokio::time::Instant::now(), t));
    bounded(deadline, Duration::ZERO, run_by_id(args, Op::Cancel))
}

/// How long after its deadline `start` is stopped when something does not
/// keep the deadline itself.
const SAFETY_MARGIN: Duration = Duration::from_millis(150);

/// Runs a command on a fresh runtime, ending it `margin` after the deadline.
fn bounded(
    deadline: Option<Deadline>,
    margin: Duration,
    fut: impl Future<Output = Exit>,
) -> ExitCode {
    let runtime = match connect::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit.finish(),
    };
    let exit = runtime.block_on(async {
        match deadline {
            Some(d) => match tokio::time::timeout_at(d.at + margin, fut).await {
                Ok(exit) => exit,
                Err(_) => d.expired(""),
            },
            None => fut.await,
        }
    });
    // Background tasks (an in-process simulator, idle connections) end here.
    runtime.shutdown_timeout(Duration::from_millis(200));
    exit.finish()
}

/// The body given with `--json`: inline, `@FILE` or `-` (stdin).
fn read_body(json: Option<&str>) -> Result<serde_json::Value, Exit> {
    let text = match json {
        None => return Ok(serde_json::json!({})),
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| Exit::input(format!("--json: cannot read stdin: {e}")))?;
            s
        }
        Some(path) if path.starts_with('@') => std::fs::read_to_string(&path[1..])
            .map_err(|e| Exit::input(format!("--json: cannot read {}: {e}", &path[1..])))?,
        Some(inline) => inline.to_string(),
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Exit::input(format!(
            "--json: not valid JSON (line {} column {})",
            e.line(),
            e.column()
        ))
    })?;
    if !value.is_object() {
        return Err(Exit::input("--json: must be a JSON object"));
    }
    Ok(value)
}

/// Session JSON on stdout (personal numbers masked on a terminal); the exit
/// code for the state.
fn print_state(state: &AnyState, shown: Shown) -> Exit {
    match connect::to_json(state.json(), shown) {
        Ok(line) => println!("{line}"),
        Err(exit) => return exit,
    }
    match state.failure_code() {
        Some(code) => Exit::failed(format!("the session ended with {code}")),
        None => Exit::OK,
    }
}

/// What `start` does after the session started.
struct Then {
    /// `--wait`: follow the session to its end.
    wait: bool,
    /// The end of `--timeout`.
    deadline: Option<Deadline>,
    /// `--background`, for the live QR code.
    background: Background,
    /// `--show-secret` (checked: stdout is not a terminal).
    show_secret: bool,
    /// The in-process simulator, whose user `--wait` plays.
    user: Option<identisure_simulator::Simulator>,
}

/// After a start: print the pending state, or follow the session to its end
/// (on a terminal with the live view `demo` shows, else progress on stderr)
/// and print the final state.
async fn follow(start: impl Future<Output = identisure::Result<AnyStarted>>, then: &Then) -> Exit {
    let started = match Deadline::bound(then.deadline, start, " before the session started").await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return e.into(),
        Err(exit) => return exit,
    };
    if !then.wait {
        let shown = Shown {
            qr_secret: then.show_secret,
            ..Shown::stdout()
        };
        return print_state(started.pending(), shown);
    }
    let prompt = Prompt::of(Some(started.pending().json()), std::time::Instant::now());
    let ui = Ui::new("start", then.background);
    match live::follow(
        started.session(),
        &prompt,
        &ui,
        then.deadline,
        None,
        then.user.as_ref(),
    )
    .await
    {
        Ok(state) => live::report(state, &ui, Report::Json),
        Err(exit) => exit,
    }
}

async fn run_start(args: StartArgs, deadline: Option<Deadline>) -> Exit {
    let flow = args.flow.trim_matches('/').to_ascii_lowercase();
    let names = start_names();
    if !names.iter().any(|(name, _)| *name == flow) {
        let known: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
        return Exit::input(format!(
            "PROVIDER/FLOW: unknown flow `{}` (one of: {})",
            args.flow.chars().take(60).collect::<String>(),
            known.join(", ")
        ));
    }
    if args.show_secret {
        if !QR_SECRET_FLOWS.contains(&flow.as_str()) {
            return Exit::input(format!(
                "--show-secret: only {} have a qrStartSecret",
                QR_SECRET_FLOWS.join(" and ")
            ));
        }
        if std::io::stdout().is_terminal() {
            return Exit::input(
                "--show-secret: stdout is a terminal; the qrStartSecret is written only to a \
                 pipe or a file, e.g. `identisure start bankid-se/auth --show-secret > session.json`",
            );
        }
    }
    let body = match read_body(args.json.as_deref()) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    // Decoded before connecting: invalid input never reaches a server.
    let request = match Request::decode(&flow, &body) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let conn = match connect::connect(&args.api, args.timeout).await {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let then = Then {
        wait: args.wait,
        deadline,
        background: args.background,
        show_secret: args.show_secret,
        user: conn
            .simulator
            .as_ref()
            .map(|running| running.simulator().clone()),
    };
    let exit = request.send(&conn.client, &then).await;
    if let Some(sim) = conn.simulator {
        sim.shutdown().await;
    }
    exit
}

/// The flows whose start answers with a `qrStartSecret` (`--show-secret`).
const QR_SECRET_FLOWS: [&str; 2] = ["bankid-se/auth", "bankid-se/sign"];

/// A start request, checked: BankID SE verify (no session), or a flow of
/// the table with its body as the typed request would send it.
enum Request {
    Verify(types::BankIdSeVerifyRequest),
    Flow(&'static operations::Flow, serde_json::Value),
}

impl Request {
    /// Checks the body as the flow's typed request (the library's rules:
    /// field and rule named, nothing sent); a field the request does not
    /// name is refused (a typo must not be dropped silently).
    fn decode(flow: &str, body: &serde_json::Value) -> Result<Self, Exit> {
        let Some((_, id)) = start_names().into_iter().find(|(name, _)| *name == flow) else {
            return Err(Exit::input(format!(
                "PROVIDER/FLOW: unknown flow `{}`",
                flow.chars().take(60).collect::<String>()
            )));
        };
        if id == "bankid_se_verify" {
            let verify = operations::operations()
                .find(|o| o.id() == id)
                .expect("start_names lists only operations of the table");
            let checked = identisure::flow::check_body(verify, body).map_err(input_error)?;
            let typed = serde_json::from_value(checked)
                .map_err(|_| Exit::input("request: not a BankID verify request"))?;
            return Ok(Self::Verify(typed));
        }
        let found = identisure::flow::find(flow).map_err(input_error)?;
        let checked = identisure::flow::check_body(found.start(), body).map_err(input_error)?;
        Ok(Self::Flow(found, checked))
    }

    /// Sends the start through the library and follows the session.
    async fn send(self, client: &identisure::Client, then: &Then) -> Exit {
        match self {
            Self::Verify(r) => {
                let verify = async { client.bankid_se().verify(r.into()).await };
                match Deadline::bound(then.deadline, verify, "").await {
                    Ok(Ok(result)) => match connect::to_json(&result, Shown::stdout()) {
                        Ok(line) => {
                            println!("{line}");
                            Exit::OK
                        }
                        Err(exit) => exit,
                    },
                    Ok(Err(e)) => e.into(),
                    Err(exit) => exit,
                }
            }
            Self::Flow(flow, body) => {
                let start = async {
                    client
                        .flow(identisure::flow::name(flow))?
                        .start_json(body)
                        .await
                };
                follow(start, then).await
            }
        }
    }
}

/// A request refused before sending: `field: rule`, exit 2.
fn input_error(e: identisure::Error) -> Exit {
    match e {
        identisure::Error::InvalidRequest { field, rule } => {
            Exit::input(format!("{field}: {rule}"))
        }
        other => Exit::input(other.to_string()),
    }
}

/// The answer to a flow name that is no flow of the spec.
fn unknown_session_flow(given: &str, known: &[&str]) -> Exit {
    Exit::input(format!(
        "PROVIDER/FLOW: unknown session flow `{}` (one of: {})",
        given.chars().take(60).collect::<String>(),
        known.join(", ")
    ))
}

#[derive(Clone, Copy)]
enum Op {
    Get,
    Cancel,
}

async fn run_by_id(args: GetArgs, op: Op) -> Exit {
    let flow = args.flow.trim_matches('/').to_ascii_lowercase();
    // A flow by its start name or by its session's path (phone and
    // backchannel sessions live under their auth / sign flow).
    let found = operations::flows().find(|f| {
        cli_name(f.start().path()) == flow
            || cli_name(f.collect().path()).trim_end_matches("/{id}") == flow
    });
    let Some(found) = found else {
        let mut known: Vec<&str> = operations::flows()
            .map(|f| cli_name(f.collect().path()).trim_end_matches("/{id}"))
            .collect();
        known.dedup();
        return unknown_session_flow(&args.flow, &known);
    };
    let conn = match connect::connect(&args.api, args.timeout).await {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let session = conn
        .client
        .flow(identisure::flow::name(found))
        .and_then(|flow| flow.session(args.id.as_str()));
    let exit = by_id(session, op).await;
    let exit = match exit {
        Exit {
            code: 3,
            reason: Some(r),
        } if conn.simulator.is_some() && r.contains("not found") => Exit::api(format!(
            "{r} (the in-process simulator knows only sessions of this command; \
                 use --base-url with a running `identisure simulate`)"
        )),
        other => other,
    };
    if let Some(sim) = conn.simulator {
        sim.shutdown().await;
    }
    exit
}

async fn by_id(session: identisure::Result<AnySession>, op: Op) -> Exit {
    let session = match session {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    match op {
        Op::Get => {
            // A new process knows nothing of earlier collects: a 429 is
            // waited out (Retry-After, or 1 s) a few times, within --timeout.
            let mut tries = 0;
            loop {
                match session.collect().await {
                    Ok(state) => return print_state(&state, Shown::stdout()),
                    Err(identisure::Error::RateLimited { retry_after }) if tries < 3 => {
                        tries += 1;
                        let wait = retry_after
                            .unwrap_or(identisure::MIN_COLLECT_INTERVAL)
                            .max(identisure::MIN_COLLECT_INTERVAL);
                        tokio::time::sleep(wait).await;
                    }
                    Err(e) => return e.into(),
                }
            }
        }
        Op::Cancel => match session.cancel().await {
            Ok(()) => {
                println!(
                    "{}",
                    serde_json::json!({ "id": session.id(), "cancelled": true })
                );
                Exit::OK
            }
            Err(e) => e.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_bodies_name_the_field_and_rule_not_the_value() {
        let reason = |flow: &str, body: serde_json::Value| {
            let Err(exit) = Request::decode(flow, &body) else {
                panic!("{flow}: {body} was accepted");
            };
            assert_eq!(exit.code, 2);
            exit.reason.unwrap()
        };
        assert!(reason("bankid-se/sign", serde_json::json!({})).starts_with("text: "));
        let long = reason(
            "bankid-se/auth",
            serde_json::json!({"intent": "x".repeat(2001)}),
        );
        assert!(
            long.starts_with("intent: ") && long.contains("2000"),
            "{long}"
        );
        let ssn = reason(
            "bankid-se/auth",
            serde_json::json!({"ssn": 199001011234u64}),
        );
        assert!(ssn.starts_with("ssn: ") && !ssn.contains("1990"), "{ssn}");
        let typo = reason("bankid-se/auth", serde_json::json!({"intnet": "typo"}));
        assert!(typo.starts_with("intnet: "), "{typo}");
        let verify = reason("bankid-se/verify", serde_json::json!({}));
        assert!(verify.contains(": "), "{verify}");
        // Any country name is sent (decision `freja-country-values`), but
        // not an empty one.
        let freja = |country: &str| {
            Request::decode(
                "freja/backchannel/auth",
                &serde_json::json!({"ssn": "198704122384", "country": country}),
            )
        };
        assert!(freja("GERMANY").is_ok());
        let Err(empty) = freja("") else {
            panic!("an empty country was accepted")
        };
        assert!(empty.reason.unwrap().starts_with("country: "));
    }

    #[test]
    fn every_start_path_decodes_to_a_request() {
        let names = start_names();
        assert_eq!(names.len(), 23, "22 flows and verify");
        for (path, _) in names {
            // `{}` is either a valid request or refused naming a field.
            match Request::decode(path, &serde_json::json!({})) {
                Ok(_) => {}
                Err(exit) => {
                    assert_eq!(exit.code, 2, "{path}");
                    let reason = exit.reason.unwrap();
                    assert!(reason.contains(": "), "{path}");
                    assert!(!reason.contains("cannot start it yet"), "{path}: {reason}");
                }
            }
        }
    }
}
