//! `identisure demo`: one whole login, through the public library API.
//!
//! Without credentials (the default `--env simulator`) it starts the
//! simulator inside the process and logs in as its test person. On a
//! terminal it shows the live animated BankID QR code (Freja: the `qrData`
//! code; redirect providers: the approval URL), the current message with a
//! spinner, then the result with the personal number masked (a terminal
//! too small for the QR code gets progress lines instead). Without a
//! terminal it writes progress lines on stderr and the final session JSON as
//! the last line of stdout. Exit 0 COMPLETED, 1 FAILED, 2 input refused,
//! 3 API / transport error or timeout.

use std::io::{IsTerminal, Write};
use std::pin::pin;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use identisure::Provider;
use identisure::messages::{Lang, LaunchMethod, MessageContext, UserMessage};
use identisure::qr::BankIdQr;
use identisure::qr::render::{QrImage, TerminalBackground};
use identisure::{Family, Session, State, WaitOptions, text};
use serde::Serialize;

use crate::connect::{self, Connection, Exit, Global};

/// Options of `identisure demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Serve the login in a web page instead (live BankID QR over
    /// Server-Sent Events, Freja, redirect providers) until Ctrl-C.
    #[arg(long)]
    web: bool,
    /// With `--web`: the address to serve the login page on.
    #[arg(long, default_value = "127.0.0.1:8080", requires = "web")]
    addr: std::net::SocketAddr,
    /// With `--web`: the address browsers reach the page at (scheme and
    /// host, e.g. `https://login.example.com`); required when `--addr` is
    /// not on this machine, since the return URL of redirect providers and
    /// the mobile BankID link are built from it.
    #[arg(long, value_name = "URL", requires = "web")]
    public_url: Option<String>,
    /// Which eID to log in with: bankid-se, bankid-no, freja, mitid, ftn or vipps.
    #[arg(long, default_value = "bankid-se", value_parser = parse_provider)]
    provider: Provider,
    /// The personal number Freja asks for (default: the simulator's test
    /// person, Astrid Lindqvist). Never printed unmasked on a terminal.
    #[arg(long, value_name = "SSN")]
    ssn: Option<String>,
    /// Give up (and cancel the session) after this many seconds.
    #[arg(long, value_name = "SECS", default_value = "180", value_parser = connect::parse_secs)]
    timeout: Duration,
    /// The terminal's background, so the QR code is drawn dark-on-light.
    #[arg(long, value_enum, default_value = "dark")]
    background: Background,
}

/// `--provider`: a path segment of the spec (`bankid-se`, `freja`, …).
fn parse_provider(value: &str) -> Result<Provider, String> {
    Provider::from_segment(value).ok_or_else(|| {
        let known: Vec<&str> = Provider::ALL.iter().map(|p| p.segment()).collect();
        format!("one of {}", known.join(", "))
    })
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
enum Background {
    Dark,
    Light,
}

/// The Swedish test person of the simulator's default scenario.
const DEMO_SSN: &str = "198704122384";
const INTENT: &str = "Log in to the Identisure demo";

pub fn run(args: Args, global: Global) -> ExitCode {
    if args.web {
        return crate::web::run(crate::web::WebArgs {
            addr: args.addr,
            public_url: args.public_url,
        });
    }
    let runtime = match connect::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit.finish(),
    };
    runtime.block_on(demo(args, global)).finish()
}

/// What the user is shown while the session is pending.
enum Prompt {
    /// Swedish BankID: a new QR frame every second.
    Animated(BankIdQr),
    /// Freja: one QR code.
    Static(String),
    /// Redirect providers: open this URL.
    Url(String),
    /// Nothing to show (e.g. a start answer without the data).
    Nothing,
}

struct Ui {
    terminal: bool,
    background: TerminalBackground,
}

impl Ui {
    fn progress(&self, line: &str) {
        if self.terminal {
            println!("{line}");
        } else {
            eprintln!("demo: {line}");
        }
    }
}

async fn demo(args: Args, global: Global) -> Exit {
    let ui = Ui {
        terminal: std::io::stdout().is_terminal(),
        background: match args.background {
            Background::Dark => TerminalBackground::Dark,
            Background::Light => TerminalBackground::Light,
        },
    };
    let conn = match connect::connect(&global, Some(Duration::from_secs(30))).await {
        Ok(conn) => conn,
        Err(exit) => return exit,
    };
    ui.progress(&format!(
        "Identisure demo: {} login against the {}",
        args.provider.name(),
        if conn.simulator.is_some() {
            conn.target.clone()
        } else {
            format!("API at {}", conn.target)
        }
    ));
    let exit = login(&args, &conn, &ui).await;
    if let Some(sim) = conn.simulator {
        sim.shutdown().await;
    }
    exit
}

async fn login(args: &Args, conn: &Connection, ui: &Ui) -> Exit {
    use identisure::providers::{bankid_no, bankid_se, freja, ftn, mitid, vipps};
    let client = &conn.client;
    let options = WaitOptions::default().timeout(args.timeout);
    let simulated = conn.simulator.is_some();
    match args.provider {
        Provider::BankIdSe => {
            let request = bankid_se::AuthRequest::default().intent(text(INTENT));
            let session = match client.bankid_se().auth(request).await {
                Ok(s) => s,
                Err(e) => return e.into(),
            };
            let started = Instant::now();
            let prompt = session
                .pending()
                .and_then(|p| BankIdQr::from_pending(p, started).ok())
                .map_or(Prompt::Nothing, Prompt::Animated);
            follow(session, prompt, ui, options, simulated).await
        }
        Provider::Freja => {
            let ssn = args.ssn.as_deref().unwrap_or(DEMO_SSN);
            let request = freja::AuthRequest::default()
                .ssn(identisure::text(ssn))
                .country(identisure::text(freja::country::SWEDEN));
            let session = match client.freja().auth(request).await {
                Ok(s) => s,
                Err(e) => return e.into(),
            };
            let prompt = session
                .pending()
                .and_then(|p| p.qr_data.clone())
                .map_or(Prompt::Nothing, Prompt::Static);
            follow(session, prompt, ui, options, simulated).await
        }
        Provider::BankIdNo => {
            let request = bankid_no::AuthRequest::default().request_ssn(Some(true));
            match client.bankid_no().auth(request).await {
                Ok(s) => {
                    let url = s.pending().and_then(|p| p.url.clone());
                    follow(s, url_prompt(url), ui, options, simulated).await
                }
                Err(e) => e.into(),
            }
        }
        Provider::Vipps => {
            let request = vipps::AuthRequest::default().request_ssn(Some(true));
            match client.vipps().auth(request).await {
                Ok(s) => {
                    let url = s.pending().and_then(|p| p.url.clone());
                    follow(s, url_prompt(url), ui, options, simulated).await
                }
                Err(e) => e.into(),
            }
        }
        Provider::MitId => {
            let request = mitid::AuthRequest::default().reference_text(text(INTENT));
            match client.mitid().auth(request).await {
                Ok(s) => {
                    let url = s.pending().and_then(|p| p.url.clone());
                    follow(s, url_prompt(url), ui, options, simulated).await
                }
                Err(e) => e.into(),
            }
        }
        Provider::Ftn => match client.ftn().auth(ftn::AuthRequest::default()).await {
            Ok(s) => {
                let url = s.pending().and_then(|p| p.url.clone());
                follow(s, url_prompt(url), ui, options, simulated).await
            }
            Err(e) => e.into(),
        },
        other => Exit::input(format!(
            "--provider: {} is in the spec, but this demo cannot log in with it yet",
            other.name()
        )),
    }
}

fn url_prompt(url: Option<String>) -> Prompt {
    url.map_or(Prompt::Nothing, Prompt::Url)
}

/// The message for a pending state: BankID's RFA text for its hint, or a
/// provider-neutral one.
fn pending_message<F: Family>(state: Option<&State<F>>, prompt: &Prompt) -> String {
    let ctx = MessageContext {
        launch: LaunchMethod::QrCode,
        ..MessageContext::default()
    };
    match prompt {
        Prompt::Animated(_) => state
            .and_then(|s| s.hint_code())
            .message_in(Lang::En, ctx)
            .to_string(),
        Prompt::Static(_) => "Scan the QR code with the Freja app and confirm.".to_string(),
        Prompt::Url(_) => "Waiting for the login at the URL above to be approved…".to_string(),
        Prompt::Nothing => "Waiting for the user…".to_string(),
    }
}

/// Follows a started session to its end, showing its progress.
async fn follow<F>(
    session: Session<F>,
    prompt: Prompt,
    ui: &Ui,
    options: WaitOptions,
    simulated: bool,
) -> Exit
where
    F: Family,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    ui.progress(&format!("Started session {}", session.id()));
    match &prompt {
        Prompt::Animated(qr) if !ui.terminal => {
            ui.progress(&format!("BankID QR code (second 0): {}", qr.payload_at(0)));
        }
        Prompt::Animated(_) => {
            ui.progress("Scan the QR code with the BankID app (it changes every second).");
        }
        Prompt::Static(data) => ui.progress(&format!("Freja QR code data: {data}")),
        Prompt::Url(url) => ui.progress(&format!("Open this URL to log in: {url}")),
        Prompt::Nothing => {}
    }
    if simulated {
        ui.progress("(Simulator: the test person approves by herself within a few seconds.)");
    }

    let mut screen = Screen::default();
    let mut updates = pin!(session.updates_with(options));
    let mut ticker = tokio::time::interval(Duration::from_millis(120));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut spin = 0usize;
    let mut message = pending_message::<F>(None, &prompt);
    let mut ctrl_c = pin!(tokio::signal::ctrl_c());
    // The live view needs the whole frame on screen; a smaller terminal
    // gets progress lines instead.
    let mut live = ui.terminal;
    let final_state = loop {
        tokio::select! {
            item = updates.next() => match item {
                Some(Ok(State::Pending(p))) => {
                    let state = State::<F>::Pending(p);
                    message = pending_message(Some(&state), &prompt);
                    if !live {
                        let hint = state.hint_code().map(|h| format!(" ({h})")).unwrap_or_default();
                        ui.progress(&format!("PENDING{hint}: {message}"));
                    }
                }
                Some(Ok(state)) => break state,
                Some(Err(e)) => {
                    screen.clear(ui);
                    return e.into();
                }
                None => {
                    screen.clear(ui);
                    return Exit::api("the session updates ended without a final state");
                }
            },
            _ = ticker.tick(), if live => {
                spin = spin.wrapping_add(1);
                let size = terminal_size();
                let text = frame(&prompt, &message, spin, ui, size.map(|(w, _)| w));
                if fits(&text, size) {
                    screen.draw(ui, &text);
                } else {
                    screen.clear(ui);
                    live = false;
                    let (w, h) = (
                        text.lines().map(|l| l.chars().count()).max().unwrap_or(0),
                        text.lines().count() + 1,
                    );
                    ui.progress(&format!(
                        "(The terminal is too small for the live QR code, which needs {w}×{h} \
                         characters; enlarge the window to see it. Showing progress lines instead.)"
                    ));
                    ui.progress(&message);
                }
            }
            _ = &mut ctrl_c => {
                screen.clear(ui);
                let _ = tokio::time::timeout(Duration::from_secs(3), session.cancel()).await;
                return Exit { code: 130, reason: Some("interrupted; the session was cancelled".into()) };
            }
        }
    };
    screen.clear(ui);
    report(final_state, ui)
}

/// Prints the final state: a summary on a terminal, JSON otherwise.
fn report<F>(state: State<F>, ui: &Ui) -> Exit
where
    F: Family,
    F::Completed: Serialize,
    F::Failed: Serialize,
{
    let (json, failure) = match state {
        State::Completed(person) => (connect::to_json(&person), None),
        State::Failed {
            code,
            hint_code,
            details,
        } => {
            let message = identisure::messages::failure_message(
                &code,
                hint_code.as_ref(),
                MessageContext::default(),
            )
            .text(Lang::En);
            (
                connect::to_json(&details),
                Some(format!("{code}: {message}")),
            )
        }
        State::Pending(_) => return Exit::api("the session is still pending"),
    };
    let json = match json {
        Ok(j) => j,
        Err(exit) => return exit,
    };
    if ui.terminal {
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        match &failure {
            None => {
                let name = value["name"].as_str().unwrap_or("(no name)");
                println!("✔ COMPLETED: logged in as {name}");
                if let Some(ssn) = value["ssn"].as_str() {
                    println!("  personal number  {}", mask(ssn));
                }
                if let Some(birth) = value["birthDate"].as_str() {
                    println!("  birth date       {birth}");
                }
                if let Some(at) = value["authenticatedAt"].as_str() {
                    println!("  authenticated at {at}");
                }
                println!("  session          {}", value["id"].as_str().unwrap_or(""));
            }
            Some(reason) => println!("✘ FAILED: {reason}"),
        }
    } else {
        match &failure {
            None => eprintln!(
                "demo: COMPLETED: {}",
                serde_json::from_str::<serde_json::Value>(&json)
                    .ok()
                    .and_then(|v| v["name"].as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            Some(reason) => eprintln!("demo: FAILED: {reason}"),
        }
        println!("{json}");
    }
    match failure {
        None => Exit::OK,
        Some(reason) => Exit::failed(reason),
    }
}

/// A personal number for the screen: the date part, the rest masked
/// (`19870412-****`).
fn mask(ssn: &str) -> String {
    let digits: Vec<char> = ssn.chars().filter(char::is_ascii_alphanumeric).collect();
    let keep = match digits.len() {
        12 => 8,
        n if n >= 10 => 6,
        _ => 0,
    };
    let shown: String = digits[..keep].iter().collect();
    let hidden = "*".repeat(digits.len() - keep);
    if keep == 0 {
        hidden
    } else {
        format!("{shown}-{hidden}")
    }
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Columns and rows of the terminal on stdout, when known.
fn terminal_size() -> Option<(usize, usize)> {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, h)| (usize::from(w.0), usize::from(h.0)))
}

/// Whether a frame fits the terminal (one row spare, so nothing scrolls).
fn fits(text: &str, size: Option<(usize, usize)>) -> bool {
    let Some((cols, rows)) = size else {
        return true;
    };
    text.lines().count() < rows && text.lines().all(|l| l.chars().count() <= cols)
}

/// One screen of the live view: the QR code (or URL) and the message.
fn frame(prompt: &Prompt, message: &str, spin: usize, ui: &Ui, cols: Option<usize>) -> String {
    let mut out = String::new();
    let image = match prompt {
        Prompt::Animated(qr) => qr.image_at(qr.elapsed_seconds()).ok(),
        Prompt::Static(data) => QrImage::new(data).ok(),
        Prompt::Url(_) | Prompt::Nothing => None,
    };
    if let Some(image) = image {
        out.push_str(&image.to_terminal_for(ui.background));
    }
    let elapsed = match prompt {
        Prompt::Animated(qr) => format!(" [{}s]", qr.elapsed_seconds()),
        _ => String::new(),
    };
    let text = format!("{message}{elapsed}");
    let width = cols.map_or(70, |c| c.saturating_sub(3).clamp(20, 70));
    for (i, line) in wrap(&text, width).iter().enumerate() {
        let lead = if i == 0 {
            SPINNER[spin % SPINNER.len()]
        } else {
            ' '
        };
        out.push_str(&format!("{lead} {line}\n"));
    }
    out
}

/// Word-wraps `text` at `width` characters, so the redraw knows how many
/// lines it drew (a line wrapped by the terminal would break it).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("never empty");
        let len = last.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if len > 0 {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// Redraws a block of lines in place (cursor up, overwrite, clear the rest).
#[derive(Default)]
struct Screen {
    lines: usize,
}

impl Screen {
    fn draw(&mut self, ui: &Ui, text: &str) {
        if !ui.terminal {
            return;
        }
        let mut out = String::new();
        if self.lines == 0 {
            out.push_str("\x1b[?25l");
        } else {
            out.push_str(&format!("\x1b[{}A\x1b[1G", self.lines));
        }
        for line in text.lines() {
            out.push_str(line);
            out.push_str("\x1b[K\n");
        }
        out.push_str("\x1b[J");
        self.lines = text.lines().count();
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(out.as_bytes());
        let _ = stdout.flush();
    }

    fn clear(&mut self, ui: &Ui) {
        if !ui.terminal || self.lines == 0 {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        let _ = write!(stdout, "\x1b[{}A\x1b[1G\x1b[J\x1b[?25h", self.lines);
        let _ = stdout.flush();
        self.lines = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::{mask, wrap};

    #[test]
    fn long_messages_wrap_within_the_width() {
        let lines = wrap(
            "Searching for BankID, it may take a little while… If a few seconds have passed",
            30,
        );
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 30));
        assert_eq!(wrap("", 10), vec![String::new()]);
    }

    #[test]
    fn personal_numbers_are_masked_for_the_screen() {
        assert_eq!(mask("198704122384"), "19870412-****");
        assert_eq!(mask("18039040049"), "180390-*****");
        assert_eq!(mask("240991-1238"), "240991-****");
        assert_eq!(mask("123"), "***");
    }
}
