//! `identisure id …`: validate national identity numbers.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use identisure::national_id::no::FodselsnummerKind;
use identisure::national_id::se::Organisationsnummer;
use identisure::national_id::{Country, NationalId};

use crate::connect::Exit;

#[derive(Debug, Subcommand)]
pub enum IdCommand {
    /// Check a national identity number: exit 0 when valid, exit 1 and the
    /// reason (length, format, date, check digit) when not, exit 2 for a
    /// bad argument. The number is never printed back.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// se, no, dk or fi (any case).
    #[arg(long, value_parser = parse_country)]
    country: Country,
    /// With --country se: an organisationsnummer instead of a personnummer.
    #[arg(long)]
    org: bool,
    /// The number.
    number: String,
}

fn parse_country(s: &str) -> Result<Country, String> {
    s.parse::<Country>().map_err(|e| e.to_string())
}

pub fn run(cmd: IdCommand) -> ExitCode {
    let IdCommand::Validate(args) = cmd;
    let verdict = if args.org {
        if args.country != Country::Se {
            return Exit::input(
                "--org: only with --country se (an organisationsnummer is Swedish); \
                 drop --org to check a personal number",
            )
            .finish();
        }
        Organisationsnummer::parse(&args.number).map(|_| "Swedish organisationsnummer".to_string())
    } else {
        NationalId::parse(args.country, &args.number).map(|id| describe(&id))
    };
    match verdict {
        Ok(kind) => {
            println!("valid {kind}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("invalid: {e}");
            ExitCode::FAILURE
        }
    }
}

fn describe(id: &NationalId) -> String {
    match id {
        NationalId::Se(n) if n.is_samordningsnummer() => "Swedish samordningsnummer".into(),
        NationalId::Se(_) => "Swedish personnummer".into(),
        NationalId::No(n) => {
            let kind = match n.kind() {
                FodselsnummerKind::Ordinary => "fødselsnummer",
                FodselsnummerKind::DNumber => "D-number",
                FodselsnummerKind::HNumber => "H-number",
            };
            if n.is_synthetic() {
                format!("Norwegian {kind} (synthetic test number)")
            } else {
                format!("Norwegian {kind}")
            }
        }
        NationalId::Dk(_) => "Danish CPR number".into(),
        NationalId::Fi(n) if n.is_temporary() => "Finnish HETU (temporary)".into(),
        NationalId::Fi(_) => "Finnish HETU".into(),
    }
}
