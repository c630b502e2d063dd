//! `identisure qr …`: BankID frame payloads and QR renderings.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use identisure::QrStartSecret;
use identisure::qr::BankIdQr;
use identisure::qr::render::{QrImage, TerminalBackground};

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
    /// The session's qrStartSecret (never shown in any output).
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
    let (text, output) = match cmd {
        QrCommand::Bankid(args) => {
            let qr = BankIdQr::new(
                args.start_token,
                QrStartSecret::new(args.start_secret),
                Instant::now(),
            );
            (qr.payload_at(args.seconds), args.output)
        }
        QrCommand::Freja(args) => (args.data, args.output),
    };
    match emit(&text, &output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}

fn emit(text: &str, output: &RenderArgs) -> Result<(), String> {
    let Some(format) = output.render else {
        println!("{text}");
        return Ok(());
    };
    let image = QrImage::new(text).map_err(|e| e.to_string())?;
    let bytes = match format {
        Format::Svg => image.to_svg().into_bytes(),
        Format::Png => {
            if output.out.is_none() {
                return Err("--render png needs --out FILE".into());
            }
            image.to_png(output.module_px).map_err(|e| e.to_string())?
        }
        Format::Terminal => image
            .to_terminal_for(match output.background {
                Background::Dark => TerminalBackground::Dark,
                Background::Light => TerminalBackground::Light,
            })
            .into_bytes(),
    };
    match &output.out {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| format!("cannot write to stdout: {e}")),
    }
}
