//! `identisure simulate`: serves the simulator until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use identisure_simulator::{
    DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RateLimit, Reading, Simulator, Timing,
};

/// Options of `identisure simulate`.
#[derive(clap::Args, Debug)]
#[command(after_help = test_identities_help())]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,
    /// An account as ID:SECRET (repeatable). Default: the demo account demo:demo-secret.
    #[arg(long = "account", value_name = "ID:SECRET", value_parser = parse_account)]
    accounts: Vec<Account>,
    /// Seed for ids and tokens (same seed, same requests: same answers).
    #[arg(long)]
    seed: Option<u64>,
    /// Whether the 1 request/second collect limit counts per session or per account.
    #[arg(long, value_enum, default_value = "per-session")]
    rate_limit: RateLimitArg,
    /// Where the API document and the provider's clients disagree: the
    /// recorded decisions (default: the clients win where all of them agree,
    /// e.g. Freja QR starts without ssn/country), the document to the letter,
    /// or whatever any client sends (e.g. callInitiator `user`).
    #[arg(long, value_enum, default_value = "decisions")]
    reading: ReadingArg,
    /// Milliseconds per progress step (a session completes after 3 steps).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    step_ms: u64,
    /// Do not print a line per request on stderr.
    #[arg(long)]
    quiet: bool,
    /// Sessions wait for the user, as in production: a BankID or Freja QR
    /// login until its QR code (or autostart token) is presented at
    /// POST /sim/scan, a redirect flow until its page is approved.
    #[arg(long)]
    require_user: bool,
    /// Seconds until a pending session fails with SESSION_TIMEOUT.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    expire_secs: u64,
}

/// The test identities table, from the library's own list.
fn test_identities_help() -> String {
    let mut help = String::from(
        "Acting as the user (with --require-user): the phone scans the QR frame your page shows,\n\
         \x20 curl -X POST URL/sim/scan -H 'content-type: application/json' -d '{\"qrCode\":\"bankid.…\"}'\n\
         or opens the app with the autostart token: -d '{\"autoStartToken\":\"…\"}' (Freja: its qrData\n\
         as qrCode). A BankID frame is checked as the app does: a wrong HMAC is refused as invalid,\n\
         a frame more than 2 s old as stale. Redirect flows: open the url and press Approve.\n\n\
         Test identities (Swedish ssn, or refId `sim:<scenario>` in any flow; `sim:aged-<years>`\n\
         completes as a person of that age):\n",
    );
    for t in identisure_simulator::test_identities() {
        let outcome = match t.failure_code() {
            Some(code) => format!("FAILED {code}"),
            None if t.name() == "manual" => {
                "waits for Approve/Cancel on /sim/approve/{id}".to_string()
            }
            None if t.name() == "slow" => format!("completes slowly ({})", t.person().name()),
            None => format!("completes ({})", t.person().name()),
        };
        help.push_str(&format!("  {}  {:<26}{outcome}\n", t.ssn(), t.ref_id()));
    }
    help
}

#[derive(Clone, Debug)]
struct Account {
    id: String,
    secret: String,
}

fn parse_account(value: &str) -> Result<Account, String> {
    match value.split_once(':') {
        Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(Account {
            id: id.to_string(),
            secret: secret.to_string(),
        }),
        _ => Err("expected ID:SECRET, both non-empty".to_string()),
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ReadingArg {
    Decisions,
    Document,
    Clients,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum RateLimitArg {
    PerSession,
    PerAccount,
}

/// Runs the simulator; exit 0 after Ctrl-C, 3 when the address cannot be bound.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> ExitCode {
    let mut builder = Simulator::builder()
        .log_requests(!args.quiet)
        .rate_limit(match args.rate_limit {
            RateLimitArg::PerSession => RateLimit::PerSession,
            RateLimitArg::PerAccount => RateLimit::PerAccount,
        })
        .reading(match args.reading {
            ReadingArg::Decisions => Reading::Decisions,
            ReadingArg::Document => Reading::Document,
            ReadingArg::Clients => Reading::Clients,
        })
        .require_user(args.require_user)
        .timing(Timing {
            step: Duration::from_millis(args.step_ms),
            expire_after: Duration::from_secs(args.expire_secs),
            ..Timing::default()
        });
    let accounts = if args.accounts.is_empty() {
        vec![Account {
            id: DEMO_ACCOUNT_ID.to_string(),
            secret: DEMO_SECRET_KEY.to_string(),
        }]
    } else {
        args.accounts
    };
    for a in &accounts {
        builder = builder.account(&a.id, &a.secret);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    let running = match builder.build().spawn(args.addr).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::from(3);
        }
    };
    println!("Identisure simulator listening on {}", running.url());
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: {} is reachable from other machines: anyone who can reach it can start \
             sessions with the listed accounts and have callbacks posted to any URL they name. \
             Serve it on 127.0.0.1 unless that is what you want.",
            args.addr
        );
    }
    println!("Accounts (HTTP Basic, account id : secret key):");
    for a in &accounts {
        println!("  {}:{}", a.id, a.secret);
    }
    println!(
        "Try: curl -u {}:{} -X POST {}/v3/bankid-se/auth -H 'content-type: application/json' -d '{{}}'",
        accounts[0].id,
        accounts[0].secret,
        running.url()
    );
    println!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    running.shutdown().await;
    eprintln!("simulator stopped");
    ExitCode::SUCCESS
}
