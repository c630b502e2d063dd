//! `identisure`: the command-line tool of the Identisure eID client
//! (feature `cli`). A thin dispatcher: each subcommand group lives in its own
//! module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod callback;
mod connect;
mod demo;
mod id;
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
    #[command(flatten)]
    global: connect::Global,
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole login (default: Swedish BankID against an in-process
    /// simulator, no credentials needed).
    Demo(demo::Args),
    /// Start a session: PROVIDER/FLOW, e.g. bankid-se/auth, freja/sign,
    /// vipps/backchannel/auth; prints the session JSON.
    Start(session::StartArgs),
    /// Read a session once: PROVIDER/FLOW ID; prints the session JSON.
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
    let cli = Cli::parse();
    let global = cli.global;
    match cli.command {
        Command::Demo(args) => demo::run(args, global),
        Command::Start(args) => session::start(args, global),
        Command::Get(args) => session::get(args, global),
        Command::Cancel(args) => session::cancel(args, global),
        Command::Simulate(args) => simulate::run(args),
        Command::Qr(cmd) => qr::run(cmd),
        Command::Callback(cmd) => callback::run(cmd),
        Command::Id(cmd) => id::run(cmd),
    }
}
