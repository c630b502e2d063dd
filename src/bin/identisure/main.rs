//! The `identisure` command-line tool (feature `cli`).
//!
//! A thin dispatcher: each subcommand group lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod callback;
mod id;
mod qr;

/// Tools for the Identisure eID API: QR codes, callback checks, ID validation.
#[derive(Debug, Parser)]
#[command(name = "identisure", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    match Cli::parse().command {
        Command::Qr(cmd) => qr::run(cmd),
        Command::Callback(cmd) => callback::run(cmd),
        Command::Id(cmd) => id::run(cmd),
    }
}
