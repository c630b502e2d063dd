//! `identisure`: the command-line tool of the Identisure eID client
//! (feature `cli`). A thin dispatcher: each subcommand group lives in its own
//! module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod callback;
mod id;
mod qr;
mod simulate;
mod web;

/// Identisure v3 eID API: Swedish BankID, Freja, Norwegian BankID, Vipps,
/// MitID, FTN — simulator, QR codes, callback checks, ID validation.
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
    /// Compute or render QR codes (BankID animated QR, Freja qrData).
    #[command(subcommand)]
    Qr(qr::QrCommand),
    /// Check signed callbacks.
    #[command(subcommand)]
    Callback(callback::CallbackCommand),
    /// Validate national identity numbers.
    #[command(subcommand)]
    Id(id::IdCommand),
    /// Serve a web login page (live BankID QR, Freja, redirect providers);
    /// without credentials it runs against the embedded simulator.
    DemoWeb(web::WebArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Simulate(args) => simulate::run(args),
        Command::Qr(cmd) => qr::run(cmd),
        Command::Callback(cmd) => callback::run(cmd),
        Command::Id(cmd) => id::run(cmd),
        Command::DemoWeb(args) => web::run(args),
    }
}
