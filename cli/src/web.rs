//! `identisure demo --web`: the web login page (identisure_web) on a
//! local address. Logins go where the connection options say, like every
//! command that connects: by default the simulator inside the process (demo
//! account), with its test identities on the page.

use std::net::SocketAddr;
use std::process::ExitCode;

use identisure_web::{Options, TestChoice};

use crate::connect::{self, Api};

/// Options of the web demo (from `identisure demo`).
#[derive(Debug)]
pub struct WebArgs {
    /// Address to serve the login page on.
    pub addr: SocketAddr,
    /// The address browsers reach the page at (required off this machine).
    pub public_url: Option<String>,
    /// The Redis shared with other instances, if any.
    pub redis: Option<String>,
    /// Where logins go.
    pub api: Api,
}

/// `--public-url` checked: required when `addr` is reachable from other
/// machines (else the return URL and the BankID link would come from each
/// request's `Host` header, which a client chooses); an `http(s)://` origin.
fn public_url(args: &WebArgs) -> Result<Option<String>, String> {
    let Some(url) = &args.public_url else {
        if args.addr.ip().is_loopback() {
            return Ok(None);
        }
        return Err(format!(
            "--addr {} is reachable from other machines: pass --public-url with the \
             address browsers use (e.g. --public-url https://login.example.com), since \
             the return URL and the BankID link are built from it",
            args.addr
        ));
    };
    let url = url.trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .filter(|host| !host.is_empty() && !host.contains(['/', '?', '#', '@']));
    match host {
        Some(_) => Ok(Some(url.to_string())),
        None => Err(format!(
            "--public-url {url:?}: expected a scheme and host only, like https://login.example.com"
        )),
    }
}

/// Serves the login page until Ctrl-C. Exit 0 after Ctrl-C, 2 on bad
/// connection or credentials settings, 3 when the address cannot be bound.
pub fn run(args: WebArgs) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    runtime.block_on(serve(args))
}

/// The simulator's test identities as choices of the start page.
pub fn test_choices() -> Vec<TestChoice> {
    identisure_simulator::test_identities()
        .into_iter()
        .map(|t| TestChoice {
            label: format!("{} ({})", t.name(), t.person().name()),
            ref_id: t.ref_id(),
        })
        .collect()
}

async fn serve(args: WebArgs) -> ExitCode {
    let public_url = match public_url(&args) {
        Ok(url) => url,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let shared = match &args.redis {
        Some(url) => match identisure_web::SharedLogins::connect(url).await {
            Ok(shared) => Some(shared),
            Err(e) => {
                eprintln!("error: --redis: {e}");
                return ExitCode::from(3);
            }
        },
        None => None,
    };
    let conn = match connect::connect(&args.api, None).await {
        Ok(conn) => conn,
        Err(exit) => return exit.finish(),
    };
    let options = if conn.simulator.is_some() {
        Options {
            test_identities: test_choices(),
            // Astrid Lindqvist, the simulator's default Swedish test person.
            prefill_personal_number: Some("198704122384".to_string()),
            freja_test_app: true,
            ..Options::default()
        }
    } else {
        Options::default()
    };
    if conn.simulator.is_some() {
        eprintln!("Logins go to the {}", conn.target);
    } else {
        eprintln!("Logins go to the API at {}", conn.target);
    }
    if shared.is_some() {
        eprintln!("Logins are shared through Redis with other instances");
    }
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::from(3);
        }
    };
    let url = match (&public_url, listener.local_addr()) {
        (Some(public), _) => format!("{public}/"),
        (None, Ok(a)) => format!("http://{a}/"),
        (None, Err(_)) => format!("http://{}/", args.addr),
    };
    println!("Login page: {url}");
    println!("Press Ctrl-C to stop.");
    let options = Options {
        public_url,
        shared,
        ..options
    };
    let app = identisure_web::router(conn.client.clone(), options);
    let result = identisure::serve::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    if let Some(sim) = conn.simulator {
        sim.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}
