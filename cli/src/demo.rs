//! `identisure demo`: one whole login, through the public library API.
//!
//! Without credentials (the default `--env simulator`) it starts the
//! simulator inside the process and logs in as its test person. On a
//! terminal it shows the live view of [`crate::live`] (the animated BankID
//! QR code, Freja's code or the approval URL, and each step), then the
//! result with the personal number masked. Without a terminal it writes
//! progress lines on stderr and the final session JSON as the last line of
//! stdout. Exit 0 COMPLETED, 1 FAILED, 2 input refused, 3 API / transport
//! error or timeout.

use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use identisure::Provider;
use identisure::{Family, Started};
use serde::Serialize;

use identisure::national_id::se::Personnummer;

use crate::connect::{self, Api, Connection, Deadline, Exit};
use crate::live::{self, Background, Prompt, Ui};

/// Options of `identisure demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Serve the login in a web page instead (live BankID QR over
    /// Server-Sent Events, Freja, redirect providers) until Ctrl-C.
    #[arg(long)]
    web: bool,
    /// With `--web`: the address to serve the login page on.
    #[arg(long, default_value = "127.0.0.1:8080", requires = "web")]
    addr: std::net::SocketAddr,
    /// With `--web`: the address browsers reach the page at (scheme and
    /// host, e.g. `https://login.example.com`); required when `--addr` is
    /// not on this machine, since the return URL of redirect providers and
    /// the mobile BankID link are built from it.
    #[arg(long, value_name = "URL", requires = "web")]
    public_url: Option<String>,
    /// With `--web`: share logins with other `demo --web` processes through
    /// this Redis (e.g. `redis://127.0.0.1:6379/`), so that any of them
    /// serves any request of any login (run them behind one balancer, with
    /// the same `--public-url` and `--base-url`).
    #[arg(long, value_name = "URL", requires = "web")]
    redis: Option<String>,
    /// Which eID to log in with: bankid-se, bankid-no, freja, mitid, ftn or vipps.
    #[arg(long, default_value = "bankid-se", value_parser = parse_provider, conflicts_with = "web")]
    provider: Provider,
    /// Who logs in (Swedish BankID and Freja): a Swedish personal number in
    /// any usual form, sent as the request's `ssn`, which restricts the
    /// session to that person. Default: anyone for BankID, the simulator's
    /// test person (Astrid Lindqvist) for Freja, which needs one. Refused
    /// for the other providers, whose page asks the person. Never printed
    /// unmasked on a terminal.
    #[arg(long, value_name = "SSN", conflicts_with = "web")]
    ssn: Option<String>,
    /// Give up after this many seconds from the start of the command
    /// (within 0.1 s; exit 3), cancelling the session first.
    #[arg(
        long,
        value_name = "SECS",
        default_value = "180",
        value_parser = connect::parse_secs,
        conflicts_with = "web"
    )]
    timeout: Duration,
    /// The terminal's background, so the QR code is drawn dark-on-light.
    #[arg(long, value_enum, default_value = "dark", conflicts_with = "web")]
    background: Background,
    #[command(flatten)]
    api: Api,
}

/// `--provider`: a path segment of the spec (`bankid-se`, `freja`, …).
fn parse_provider(value: &str) -> Result<Provider, String> {
    Provider::from_segment(value).ok_or_else(|| {
        let known: Vec<&str> = Provider::ALL.iter().map(|p| p.segment()).collect();
        format!("one of {}", known.join(", "))
    })
}

/// The Swedish test person of the simulator's default scenario.
const DEMO_SSN: &str = "198704122384";
const INTENT: &str = "Log in to the Identisure demo";

pub fn run(args: Args) -> ExitCode {
    if args.web {
        return crate::web::run(crate::web::WebArgs {
            addr: args.addr,
            public_url: args.public_url,
            redis: args.redis,
            api: args.api,
        });
    }
    let deadline = Deadline::new(tokio::time::Instant::now(), args.timeout);
    let runtime = match connect::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit.finish(),
    };
    runtime.block_on(demo(args, deadline)).finish()
}

async fn demo(args: Args, deadline: Deadline) -> Exit {
    let ui = Ui::new("demo", args.background);
    // Checked before connecting: a refused --ssn starts nothing.
    let ssn = match personal_number(args.ssn.as_deref(), args.provider) {
        Ok(ssn) => ssn,
        Err(exit) => return exit,
    };
    let conn = match connect::connect(&args.api, Some(Duration::from_secs(30))).await {
        Ok(conn) => conn,
        Err(exit) => return exit,
    };
    ui.progress(&format!(
        "Identisure demo: {} login against the {}",
        args.provider.name(),
        if conn.simulator.is_some() {
            conn.target.clone()
        } else {
            format!("API at {}", conn.target)
        }
    ));
    let exit = login(&args, ssn.as_ref(), &conn, &ui, deadline).await;
    if let Some(sim) = conn.simulator {
        sim.shutdown().await;
    }
    exit
}

/// `--ssn` for `provider`: a Swedish personal number, normalised to the 12
/// digits BankID and Freja expect; refused (exit 2, without echoing it) when
/// invalid or when the provider's login takes none.
fn personal_number(ssn: Option<&str>, provider: Provider) -> Result<Option<Personnummer>, Exit> {
    let Some(ssn) = ssn else {
        return Ok(None);
    };
    match provider {
        Provider::BankIdSe | Provider::Freja => Personnummer::parse(ssn).map(Some).map_err(|e| {
            Exit::input(format!(
                "--ssn: not a valid Swedish personal number ({e}); e.g. 19870412-2384"
            ))
        }),
        other => {
            let backchannel = match other {
                Provider::BankIdNo => "bankid-no",
                Provider::MitId => "mitid",
                _ => "",
            };
            let instead = if backchannel.is_empty() {
                String::new()
            } else {
                format!(
                    "; to name the person, start `identisure start {backchannel}/backchannel/auth \
                     --json '{{\"ssn\":\"…\"}}' --wait`"
                )
            };
            Err(Exit::input(format!(
                "--ssn: a {} login takes no personal number, the person identifies on the \
                 provider's page{instead}",
                other.name()
            )))
        }
    }
}

async fn login(
    args: &Args,
    ssn: Option<&Personnummer>,
    conn: &Connection,
    ui: &Ui,
    deadline: Deadline,
) -> Exit {
    use identisure::providers::{bankid_no, bankid_se, freja, ftn, mitid, vipps};
    let client = &conn.client;
    let note = conn.simulator.is_some().then_some(
        "(Simulator: in a second the test person scans the QR code, or approves on the page.)",
    );
    let user = conn.simulator.as_ref();
    let show = |ui, deadline| Show {
        ui,
        deadline,
        note,
        user,
    };
    match args.provider {
        Provider::BankIdSe => {
            let mut request = bankid_se::AuthRequest::default().intent(INTENT);
            if let Some(pn) = ssn {
                request = request.ssn(pn.clone());
            }
            show(ui, deadline)
                .run(client.bankid_se().auth(request))
                .await
        }
        Provider::Freja => {
            let ssn = ssn.map_or(DEMO_SSN, Personnummer::expose);
            let request = freja::AuthRequest::default()
                .ssn(ssn)
                .country(freja::country::SWEDEN);
            show(ui, deadline).run(client.freja().auth(request)).await
        }
        Provider::BankIdNo => {
            let request = bankid_no::AuthRequest::default().request_ssn(true);
            show(ui, deadline)
                .run(client.bankid_no().auth(request))
                .await
        }
        Provider::Vipps => {
            let request = vipps::AuthRequest::default().request_ssn(true);
            show(ui, deadline).run(client.vipps().auth(request)).await
        }
        Provider::MitId => {
            let request = mitid::AuthRequest::default().reference_text(INTENT);
            show(ui, deadline).run(client.mitid().auth(request)).await
        }
        Provider::Ftn => {
            let request = ftn::AuthRequest::default();
            show(ui, deadline).run(client.ftn().auth(request)).await
        }
        other => Exit::input(format!(
            "--provider: {} is in the spec, but this demo cannot log in with it yet",
            other.name()
        )),
    }
}

/// How a login is followed.
struct Show<'a> {
    ui: &'a Ui,
    deadline: Deadline,
    note: Option<&'a str>,
    /// The in-process simulator, whose user this plays.
    user: Option<&'a identisure_simulator::RunningSimulator>,
}

impl Show<'_> {
    /// Starts the login; the live view (QR code or URL, each step), then
    /// the result.
    async fn run<F>(self, start: impl Future<Output = identisure::Result<Started<F>>>) -> Exit
    where
        F: Family,
        F::Pending: Serialize,
        F::Completed: Serialize,
        F::Failed: Serialize,
    {
        let deadline = Some(self.deadline);
        let started = match Deadline::bound(deadline, start, " before the session started").await {
            Ok(Ok(s)) => identisure::flow::AnyStarted::from(s),
            Ok(Err(e)) => return e.into(),
            Err(exit) => return exit,
        };
        let prompt = Prompt::of(Some(started.pending().json()), Instant::now());
        let user = self.user.as_ref().map(|running| running.simulator());
        match live::follow(
            started.session(),
            &prompt,
            self.ui,
            deadline,
            self.note,
            user,
        )
        .await
        {
            Ok(state) => live::report(state, self.ui, live::Report::Summary),
            Err(exit) => exit,
        }
    }
}
