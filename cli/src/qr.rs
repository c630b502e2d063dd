//! `identisure qr …`: BankID frame payloads and QR renderings. Works
//! offline. Exit 0, or 2 (one line on stderr) for empty input, a text too
//! long for a QR code, or a file that cannot be written.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use identisure::QrStartSecret;
use identisure::qr::BankIdQr;
use identisure::qr::render::{QrImage, TerminalBackground};

use crate::connect::Exit;

#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// The BankID animated-QR payload for one second; prints the payload
    /// line, or writes a rendering with --render.
    Bankid(BankidArgs),
    /// Render a Freja session's qrData (prints it back without --render).
    Freja(FrejaArgs),
}

#[derive(Debug, Args)]
pub struct BankidArgs {
    /// The session's qrStartToken.
    #[arg(long)]
    start_token: String,
    /// The session's qrStartSecret (never shown in any output), e.g. from
    /// `identisure start bankid-se/auth --show-secret > session.json`.
    #[arg(long, env = "IDENTISURE_QR_START_SECRET", hide_env_values = true)]
    start_secret: String,
    /// Whole seconds since the start response arrived.
    #[arg(long, default_value_t = 0)]
    seconds: u64,
    #[command(flatten)]
    output: RenderArgs,
}

#[derive(Debug, Args)]
pub struct FrejaArgs {
    /// The session's qrData.
    #[arg(long)]
    data: String,
    #[command(flatten)]
    output: RenderArgs,
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// Write a rendering instead of the text.
    #[arg(long, value_enum)]
    render: Option<Format>,
    /// File to write the rendering to (svg and terminal default to stdout;
    /// png needs a file).
    #[arg(long, requires = "render")]
    out: Option<PathBuf>,
    /// PNG pixels per module.
    #[arg(long, default_value_t = 8)]
    module_px: u32,
    /// The terminal's background for --render terminal (the drawing is
    /// always dark-on-light as seen on screen).
    #[arg(long, value_enum, default_value_t = Background::Dark)]
    background: Background,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Svg,
    Png,
    Terminal,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Background {
    Dark,
    Light,
}

pub fn run(cmd: QrCommand) -> ExitCode {
    match payload(cmd).and_then(|(text, output)| emit(&text, &output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => exit.finish(),
    }
}

/// The text to encode, refusing empty input: a payload made of an empty
/// token or secret (a shell variable never set) is no code any app accepts.
fn payload(cmd: QrCommand) -> Result<(String, RenderArgs), Exit> {
    match cmd {
        QrCommand::Bankid(args) => {
            if args.start_token.trim().is_empty() {
                return Err(Exit::input(
                    "--start-token: must not be empty (the session's qrStartToken, \
                     from `identisure start bankid-se/auth`)",
                ));
            }
            if args.start_secret.trim().is_empty() {
                return Err(Exit::input(
                    "--start-secret: must not be empty (the session's qrStartSecret, or set \
                     IDENTISURE_QR_START_SECRET; `identisure start bankid-se/auth --show-secret \
                     > session.json` writes it)",
                ));
            }
            let qr = BankIdQr::new(
                args.start_token,
                QrStartSecret::new(args.start_secret),
                Instant::now(),
            );
            Ok((qr.payload_at(args.seconds), args.output))
        }
        QrCommand::Freja(args) => {
            if args.data.trim().is_empty() {
                return Err(Exit::input(
                    "--data: must not be empty (the session's qrData, \
                     from `identisure start freja/auth`)",
                ));
            }
            Ok((args.data, args.output))
        }
    }
}

fn emit(text: &str, output: &RenderArgs) -> Result<(), Exit> {
    let Some(format) = output.render else {
        println!("{text}");
        return Ok(());
    };
    if matches!(format, Format::Png) && output.out.is_none() {
        return Err(Exit::input(
            "--render png needs --out FILE (a PNG is not written to a terminal)",
        ));
    }
    let image = QrImage::new(text)
        .map_err(|e| Exit::input(format!("cannot encode the text as a QR code: {e}")))?;
    let bytes = match format {
        Format::Svg => image.to_svg().into_bytes(),
        Format::Png => image
            .to_png(output.module_px)
            .map_err(|e| Exit::input(format!("--module-px: {e}")))?,
        Format::Terminal => image
            .to_terminal_for(match output.background {
                Background::Dark => TerminalBackground::Dark,
                Background::Light => TerminalBackground::Light,
            })
            .into_bytes(),
    };
    match &output.out {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| {
            Exit::input(format!(
                "--out: cannot write {}: {e} (check that the directory exists and is writable)",
                path.display()
            ))
        }),
        None => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| Exit::input(format!("cannot write to stdout: {e}"))),
    }
}
