//! `identisure callback …`: check a signed callback.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use identisure::callback::{CallbackSecret, verify_callback};
use serde::Deserialize;

use crate::connect::Exit;

#[derive(Debug, Subcommand)]
pub enum CallbackCommand {
    /// Verify a callback's X-Signature-SHA256 over its raw body.
    ///
    /// Exit 0 and a one-line summary (status, session id; never personal
    /// data) when genuine; exit 1 and the reason when not; exit 2 when the
    /// body cannot be read.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The account's secret key.
    #[arg(long, env = "IDENTISURE_SECRET_KEY", hide_env_values = true)]
    secret: String,
    /// The X-Signature-SHA256 header value.
    #[arg(long)]
    signature: Option<String>,
    /// File holding the raw body (default: read stdin).
    #[arg(long)]
    body_file: Option<PathBuf>,
}

/// The fields a summary may show; everything else (ssn, names, …) is
/// ignored, never stored.
#[derive(Debug, Deserialize)]
struct Summary {
    id: Option<String>,
    status: Option<String>,
    error: Option<String>,
    #[serde(rename = "hintCode")]
    hint_code: Option<String>,
}

pub fn run(cmd: CallbackCommand) -> ExitCode {
    let CallbackCommand::Verify(args) = cmd;
    let body = match read_body(args.body_file.as_ref()) {
        Ok(body) => body,
        Err(reason) => return Exit::input(reason).finish(),
    };
    let secret = CallbackSecret::new(args.secret);
    match verify_callback::<Summary>(&secret, args.signature.as_deref(), &body) {
        Ok(summary) => {
            println!("{}", line(&summary));
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("not genuine: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_body(path: Option<&PathBuf>) -> Result<Vec<u8>, String> {
    match path {
        Some(path) => std::fs::read(path)
            .map_err(|e| format!("--body-file: cannot read {}: {e}", path.display())),
        None => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|e| format!("cannot read the body from stdin: {e}"))?;
            Ok(body)
        }
    }
}

fn line(s: &Summary) -> String {
    let mut out = format!(
        "genuine: status={} id={}",
        s.status.as_deref().unwrap_or("-"),
        s.id.as_deref().unwrap_or("-")
    );
    if let Some(error) = &s.error {
        out.push_str(&format!(" error={error}"));
    }
    if let Some(hint) = &s.hint_code {
        out.push_str(&format!(" hintCode={hint}"));
    }
    out
}
