//! `identisure`: the command-line tool of the Identisure eID client
//! (feature `cli`). A thin dispatcher: each subcommand lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod simulate;

/// Identisure v3 eID API: Swedish BankID, Freja, Norwegian BankID, Vipps, MitID, FTN.
#[derive(Parser)]
#[command(name = "identisure", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API simulator (all 55 operations) until interrupted.
    Simulate(simulate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Simulate(args) => simulate::run(args),
    }
}
