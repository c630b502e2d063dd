//! `identisure`: the command-line tool of the Identisure eID client
//! (package `identisure-cli`). A thin dispatcher: each subcommand group lives in its own
//! module.

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};

mod callback;
mod connect;
mod demo;
mod id;
mod live;
mod qr;
mod session;
mod simulate;
mod web;

/// Identisure v3 eID API: Swedish BankID, Freja, Norwegian BankID, Vipps,
/// MitID, FTN — simulator, QR codes, callback checks, ID validation.
#[derive(Parser)]
#[command(name = "identisure", version, about, after_help = connect::EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole login (default: Swedish BankID against an in-process
    /// simulator, no credentials needed).
    Demo(demo::Args),
    /// Start a session: PROVIDER/FLOW, e.g. bankid-se/auth, freja/sign,
    /// vipps/backchannel/auth; prints the session JSON (--wait: follows it,
    /// with a live QR code on a terminal).
    Start(session::StartArgs),
    /// Read a session once: PROVIDER/FLOW ID; prints the session JSON
    /// (personal numbers masked on a terminal).
    Get(session::GetArgs),
    /// Cancel a session: PROVIDER/FLOW ID.
    Cancel(session::GetArgs),
    /// Serve the API simulator (all 56 operations) until interrupted.
    Simulate(simulate::Args),
    /// Compute or render QR codes (BankID animated QR, Freja qrData).
    #[command(subcommand)]
    Qr(qr::QrCommand),
    /// Check signed callbacks.
    #[command(subcommand)]
    Callback(callback::CallbackCommand),
    /// Validate national identity numbers.
    #[command(subcommand)]
    Id(id::IdCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(e),
    };
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Start(args) => session::start(args),
        Command::Get(args) => session::get(args),
        Command::Cancel(args) => session::cancel(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Qr(cmd) => qr::run(cmd),
        Command::Callback(cmd) => callback::run(cmd),
        Command::Id(cmd) => id::run(cmd),
    }
}

/// clap's answer to a command line it cannot parse (or `--help`), and for a
/// connection option where it does not belong, where it does.
fn usage(e: clap::Error) -> ExitCode {
    let misplaced = e.kind() == ErrorKind::UnknownArgument
        && matches!(
            e.get(ContextKind::InvalidArg),
            Some(ContextValue::String(arg)) if connect::CONNECTION_FLAGS
                .iter()
                .any(|flag| arg == flag || arg.starts_with(&format!("{flag}=")))
        );
    let _ = e.print();
    if misplaced {
        eprintln!(
            "note: --env, --base-url and --allow-http are only for the commands that connect \
             (demo, start, get, cancel), after the command name, e.g. \
             `identisure start bankid-se/auth --base-url URL`; qr, callback, id and simulate \
             work offline"
        );
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}
