//! The blocking API (feature `blocking`): the same BankID login from
//! synchronous code, no async runtime on the caller's side.
//!
//! ```sh
//! cargo run --example blocking --features blocking,simulator
//! ```
//!
//! Without `IDENTISURE_ACCOUNT_ID` it runs against the embedded simulator
//! (which, being a server, runs on a small tokio runtime of its own here).

mod common;

use identisure::messages::{Lang, UserMessage as _};
use identisure::providers::bankid_se::AuthRequest;
use identisure::{Outcome, State, WaitOptions, blocking};

fn main() -> Result<(), common::BoxError> {
    // The simulator's runtime, kept alive until the end of `main`.
    let mut simulator = None;
    let client = if std::env::var_os("IDENTISURE_ACCOUNT_ID").is_some() {
        blocking::Client::from_env()?
    } else {
        let runtime = tokio::runtime::Runtime::new()?;
        let running = runtime.block_on(identisure_simulator::Simulator::new().spawn_local())?;
        eprintln!(
            "IDENTISURE_ACCOUNT_ID is not set: using the embedded simulator at {}",
            running.url()
        );
        let client = blocking::Client::new(common::demo_client(running.url())?)?;
        simulator = Some((runtime, running));
        client
    };

    let session = client
        .bankid_se()
        .auth(AuthRequest::default().intent("Log in (blocking example)"))?;
    println!("started session {}", session.id());

    // `updates()` is an iterator of states, one collect per second …
    for state in session.updates() {
        let state = state?;
        if let State::Pending(_) = state {
            println!("{}", state.hint_code().message(Lang::En));
        } else {
            break;
        }
    }
    // … and `wait` the short way to the outcome (the session has ended, so
    // this is one more collect).
    match session.wait(WaitOptions::default())? {
        Outcome::Completed(person) => println!(
            "completed: {}",
            person.name.as_deref().unwrap_or("(no name)")
        ),
        Outcome::Failed { code, .. } => return Err(format!("failed: {code}").into()),
    }

    if let Some((runtime, running)) = simulator {
        runtime.block_on(running.shutdown());
    }
    Ok(())
}
