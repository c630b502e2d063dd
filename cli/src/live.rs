//! The live view of a started session, shared by `demo` and `start --wait`.
//!
//! On a terminal (stdout) it redraws in place the animated BankID QR code
//! (Freja: the `qrData` code; redirect providers: the approval URL is
//! printed once) with the current message and a spinner; a terminal too
//! small for the QR code gets progress lines instead. Without a terminal it
//! writes progress lines on stderr (`LABEL: …`) and leaves stdout to the
//! result. The `qrStartSecret` is never shown, only QR codes made from it.

use std::io::{IsTerminal, Write};
use std::pin::pin;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use identisure::flow::{AnySession, AnyState, Status};
use identisure::messages::{Lang, LaunchMethod, MessageContext, UserMessage};
use identisure::qr::BankIdQr;
use identisure::qr::render::{QrImage, TerminalBackground};
use identisure::{QrStartSecret, WaitOptions};
use identisure_simulator::Simulator;
use serde::Serialize;

use crate::connect::{self, Deadline, Exit, Shown};

/// What the user is shown while the session is pending.
#[derive(Clone)]
pub enum Prompt {
    /// Swedish BankID: a new QR frame every second.
    Animated(BankIdQr),
    /// Freja: one QR code.
    Static(String),
    /// Redirect providers: open this URL.
    Url(String),
    /// Nothing to show (phone and backchannel flows, or a start answer
    /// without the data).
    Nothing,
}

impl Prompt {
    /// The prompt of a session's PENDING data (any provider): the BankID
    /// `qrStartToken` and `qrStartSecret`, Freja's `qrData`, or a `url`.
    /// `started` is when the start answer arrived (the QR code's clock).
    pub fn of<P: Serialize>(pending: Option<&P>, started: Instant) -> Self {
        let Some(value) = pending.and_then(|p| serde_json::to_value(p).ok()) else {
            return Self::Nothing;
        };
        let text = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        if let (Some(token), Some(secret)) = (text("qrStartToken"), text("qrStartSecret")) {
            return Self::Animated(BankIdQr::new(token, QrStartSecret::new(secret), started));
        }
        if let Some(data) = text("qrData") {
            return Self::Static(data.to_string());
        }
        match text("url") {
            Some(url) => Self::Url(url.to_string()),
            None => Self::Nothing,
        }
    }
}

/// The user of an in-process simulator (which waits for one, as production
/// does): a second after the prompt is shown, their phone scans the QR code
/// (the frame shown at that moment) or they approve on the provider's page.
/// Stops when dropped.
pub fn play_user(simulator: Simulator, prompt: Prompt) -> AbortOnDrop {
    AbortOnDrop(tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let acted = match &prompt {
            Prompt::Animated(qr) => simulator
                .scan(&qr.current())
                .map(drop)
                .map_err(|e| e.to_string()),
            Prompt::Static(data) => simulator.scan(data).map(drop).map_err(|e| e.to_string()),
            Prompt::Url(url) => approve(url).await,
            Prompt::Nothing => Ok(()),
        };
        if let Err(why) = acted {
            eprintln!("simulated user: {why}");
        }
    }))
}

/// Presses Approve on the simulator's page at `url`.
async fn approve(url: &str) -> Result<(), String> {
    let http = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    http.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("action=approve")
        .send()
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A task aborted when this is dropped.
pub struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `--background`: the terminal's, so the QR code is drawn dark-on-light.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum Background {
    Dark,
    Light,
}

/// Where and how progress is shown.
pub struct Ui {
    /// Whether stdout is a terminal.
    pub terminal: bool,
    pub background: TerminalBackground,
    /// The prefix of progress lines on stderr (`demo`, `start`).
    pub label: &'static str,
}

impl Ui {
    /// A view for the command `label`, on stdout's terminal if it is one.
    pub fn new(label: &'static str, background: Background) -> Self {
        Self {
            terminal: std::io::stdout().is_terminal(),
            background: match background {
                Background::Dark => TerminalBackground::Dark,
                Background::Light => TerminalBackground::Light,
            },
            label,
        }
    }

    /// One line of progress: on the terminal, or on stderr.
    pub fn progress(&self, line: &str) {
        if self.terminal {
            println!("{line}");
        } else {
            eprintln!("{}: {line}", self.label);
        }
    }
}

/// The message for a pending state: BankID's RFA text for its hint, or a
/// provider-neutral one.
fn pending_message(state: Option<&AnyState>, prompt: &Prompt) -> String {
    let ctx = MessageContext {
        launch: LaunchMethod::QrCode,
        ..MessageContext::default()
    };
    match prompt {
        Prompt::Animated(_) => state
            .and_then(|s| s.hint_code().cloned())
            .message_in(Lang::En, ctx)
            .to_string(),
        Prompt::Static(_) => "Scan the QR code with the Freja app and confirm.".to_string(),
        Prompt::Url(_) => "Waiting for the login at the URL above to be approved…".to_string(),
        Prompt::Nothing => "Waiting for the user…".to_string(),
    }
}

/// The time the cancel at the deadline gets: polling stops half of it
/// before the deadline, the cancel request has until half of it after, so
/// the command ends within 0.1 s of its `--timeout`.
const CANCEL_BUDGET: Duration = Duration::from_millis(200);

/// Follows a started session to its final state, showing its progress;
/// `note` is printed after the prompt (e.g. how the simulator behaves).
/// At the deadline (exit 3) and on Ctrl-C (exit 130) the session is
/// cancelled, best effort.
pub async fn follow(
    session: &AnySession,
    prompt: &Prompt,
    ui: &Ui,
    deadline: Option<Deadline>,
    note: Option<&str>,
    user: Option<&Simulator>,
) -> Result<AnyState, Exit> {
    ui.progress(&format!("Started session {}", session.id()));
    let _user = user.map(|simulator| play_user(simulator.clone(), prompt.clone()));
    match prompt {
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
    if let Some(note) = note {
        ui.progress(note);
    }

    let mut screen = Screen::default();
    // The deadline is kept here, not by the library's wait (which stops
    // early enough for a cancel of up to five seconds).
    let mut updates = pin!(session.updates(WaitOptions::default().no_timeout()));
    let mut time_up = pin!(async {
        match deadline {
            Some(d) => {
                let stop = d.at.checked_sub(CANCEL_BUDGET / 2).unwrap_or(d.at);
                tokio::time::sleep_until(stop).await;
                d
            }
            None => std::future::pending().await,
        }
    });
    let mut ticker = tokio::time::interval(Duration::from_millis(120));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut spin = 0usize;
    let mut message = pending_message(None, prompt);
    let mut ctrl_c = pin!(tokio::signal::ctrl_c());
    // The live view needs the whole frame on screen; a smaller terminal
    // gets progress lines instead.
    let mut live = ui.terminal;
    let final_state = loop {
        tokio::select! {
            item = updates.next() => match item {
                Some(Ok(state)) if !state.is_final() => {
                    message = pending_message(Some(&state), prompt);
                    if !live {
                        let hint = state.hint_code().map(|h| format!(" ({h})")).unwrap_or_default();
                        ui.progress(&format!("PENDING{hint}: {message}"));
                    }
                }
                Some(Ok(state)) => break state,
                Some(Err(e)) => {
                    screen.clear(ui);
                    return Err(e.into());
                }
                None => {
                    screen.clear(ui);
                    return Err(Exit::api("the session updates ended without a final state"));
                }
            },
            _ = ticker.tick(), if live => {
                spin = spin.wrapping_add(1);
                let size = terminal_size();
                let text = frame(prompt, &message, spin, ui, size.map(|(w, _)| w));
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
            d = &mut time_up => {
                screen.clear(ui);
                let cancel = session.cancel();
                return Err(match tokio::time::timeout_at(d.at + CANCEL_BUDGET / 2, cancel).await {
                    Ok(Ok(())) => d.expired("; the session was cancelled"),
                    Ok(Err(e)) => d.expired(format_args!(
                        "; cancelling the session failed ({e}), it ends when it expires"
                    )),
                    Err(_) => d.expired(
                        "; the cancel got no answer in time, the session ends when it expires",
                    ),
                });
            }
            _ = &mut ctrl_c => {
                screen.clear(ui);
                let _ = tokio::time::timeout(Duration::from_secs(3), session.cancel()).await;
                return Err(Exit { code: 130, reason: Some("interrupted; the session was cancelled".into()) });
            }
        }
    };
    screen.clear(ui);
    Ok(final_state)
}

/// What a terminal shows of the final state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// A summary: name, personal number (masked), birth date, session (`demo`).
    Summary,
    /// A status line and the session JSON, personal numbers masked (`start`).
    Json,
}

/// Prints the final state and gives the exit code (0 COMPLETED, 1 FAILED).
/// On a terminal as `style` says, personal numbers masked; otherwise a
/// progress line on stderr and the session JSON (the number in full) as the
/// one line of stdout.
pub fn report(state: AnyState, ui: &Ui, style: Report) -> Exit {
    let shown = Shown {
        terminal: ui.terminal,
        qr_secret: false,
    };
    let (json, failure) = match (state.status(), state.failure_code()) {
        (Status::Completed, _) => (connect::to_json(state.json(), shown), None),
        (Status::Failed, Some(code)) => {
            let message = identisure::messages::failure_message(
                code,
                state.hint_code(),
                MessageContext::default(),
            )
            .text(Lang::En);
            (
                connect::to_json(state.json(), shown),
                Some(format!("{code}: {message}")),
            )
        }
        _ => return Exit::api("the session is still pending"),
    };
    let json = match json {
        Ok(j) => j,
        Err(exit) => return exit,
    };
    let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let name = value["name"].as_str();
    if !ui.terminal {
        if failure.is_none() {
            eprintln!("{}: COMPLETED: {}", ui.label, name.unwrap_or_default());
        }
        println!("{json}");
    } else {
        match (&failure, style) {
            (None, Report::Summary) => {
                println!("✔ COMPLETED: {}", name.unwrap_or("(no name)"));
                // Masked by `to_json` on a terminal.
                if let Some(ssn) = value["ssn"].as_str() {
                    println!("  personal number  {ssn}");
                }
                if let Some(birth) = value["birthDate"].as_str() {
                    println!("  birth date       {birth}");
                }
                if let Some(at) = value["authenticatedAt"].as_str() {
                    println!("  authenticated at {at}");
                }
                println!("  session          {}", value["id"].as_str().unwrap_or(""));
            }
            (None, Report::Json) => {
                println!(
                    "✔ COMPLETED{}",
                    name.map(|n| format!(": {n}")).unwrap_or_default()
                );
                println!("{json}");
            }
            (Some(reason), Report::Summary) => println!("✘ FAILED: {reason}"),
            (Some(reason), Report::Json) => {
                println!("✘ FAILED: {reason}");
                println!("{json}");
            }
        }
    }
    match failure {
        None => Exit::OK,
        // The `✘ FAILED` line above said why; stderr is on the same screen.
        Some(_) if ui.terminal => Exit::failed_shown(),
        Some(reason) => Exit::failed(reason),
    }
}

/// A personal number for the screen: the date part, the rest masked
/// (`19870412-****`).
pub fn mask(ssn: &str) -> String {
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
    use super::{Prompt, mask, wrap};

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

    #[test]
    fn the_prompt_comes_from_any_pending_data() {
        let now = std::time::Instant::now();
        let prompt = |json: serde_json::Value| Prompt::of(Some(&json), now);
        let qr = prompt(serde_json::json!({"qrStartToken": "t", "qrStartSecret": "s"}));
        assert!(matches!(qr, Prompt::Animated(q) if q.payload_at(0).starts_with("bankid.t.0.")));
        // An empty secret (or a redacted answer) has no animated code.
        let empty = prompt(serde_json::json!({"qrStartToken": "t", "qrStartSecret": ""}));
        assert!(matches!(empty, Prompt::Nothing));
        let freja = prompt(serde_json::json!({"qrData": "frejaeid://x"}));
        assert!(matches!(freja, Prompt::Static(d) if d == "frejaeid://x"));
        let url = prompt(serde_json::json!({"url": "https://x.example/a"}));
        assert!(matches!(url, Prompt::Url(u) if u == "https://x.example/a"));
        assert!(matches!(
            Prompt::of(None::<&serde_json::Value>, now),
            Prompt::Nothing
        ));
    }
}
