//! A BankID QR login on a page of your own design, with
//! `identisure_web::login::QrLogins` (no ready-made pages): your HTML, a few
//! routes, and the login's id kept in an `HttpOnly` cookie so that only the
//! browser that started it can read its QR code and result.
//!
//! ```text
//! cargo run -p identisure-web --example own_page
//! ```
//!
//! Then open <http://127.0.0.1:8080/>. Without `IDENTISURE_ACCOUNT_ID` /
//! `IDENTISURE_SECRET_KEY` in the environment it runs against the embedded
//! simulator, whose test person approves by herself after a few seconds.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use identisure::providers::bankid_se::AuthRequest;
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator};
use identisure_web::login::{LoginId, LoginStatus, QrLogins};

/// The cookie holding the login in progress.
const LOGIN_COOKIE: &str = "login";

/// Your page: a button, a box for the QR code and a line for BankID's
/// message, updated from the login's event stream.
const PAGE: &str = r##"<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Log in</title>
<h1>Log in to Example</h1>
<form method="post" action="/login"><button>Log in with BankID</button></form>
<div id="qr"></div><p id="message"></p>
<script>
if (location.hash === "#started") {
  const events = new EventSource("/login/events");
  events.addEventListener("qr", e => { document.getElementById("qr").innerHTML = e.data; });
  events.addEventListener("status", e => { document.getElementById("message").textContent = e.data; });
  events.addEventListener("done", e => { events.close(); location.href = "/login/finish"; });
}
</script>
</html>"##;

/// The login of this browser, from its cookie.
fn login_of(headers: &HeaderMap) -> Option<LoginId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LOGIN_COOKIE)
        .and_then(|(_, value)| value.parse().ok())
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// Starts a login and remembers it in this browser.
async fn start(State(logins): State<QrLogins>) -> Response {
    match logins
        .start_bankid(AuthRequest::default().intent("Log in to Example"))
        .await
    {
        Ok(id) => {
            let cookie = format!("{LOGIN_COOKIE}={id}; Path=/login; HttpOnly; SameSite=Lax");
            ([(header::SET_COOKIE, cookie)], Redirect::to("/#started")).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// The QR code and BankID's messages, pushed every second.
async fn events(State(logins): State<QrLogins>, headers: HeaderMap) -> Response {
    login_of(&headers)
        .and_then(|id| logins.events(&id))
        .unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}

/// Where the login stands, as JSON (for a page that polls instead).
async fn status(State(logins): State<QrLogins>, headers: HeaderMap) -> Response {
    match login_of(&headers).and_then(|id| logins.status(&id)) {
        Some(status) => axum::Json(status).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The end: your own session starts here, once.
async fn finish(State(logins): State<QrLogins>, headers: HeaderMap) -> Response {
    let Some(id) = login_of(&headers) else {
        return Redirect::to("/").into_response();
    };
    if let Some(person) = logins.take_completed(&id) {
        // Create your session for `person` here (a cookie of your own …).
        return Html(format!("<p>Welcome, {}.</p>", html_escape(&person.name))).into_response();
    }
    match logins.status(&id) {
        Some(LoginStatus::Failed { message, .. }) => Html(format!(
            "<p>{}</p><a href=\"/\">Try again</a>",
            html_escape(&message)
        ))
        .into_response(),
        _ => Redirect::to("/").into_response(),
    }
}

async fn cancel(State(logins): State<QrLogins>, headers: HeaderMap) -> Response {
    if let Some(id) = login_of(&headers) {
        let _ = logins.cancel(&id).await;
    }
    Redirect::to("/").into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The app: your page and the login's routes.
pub fn app(client: identisure::Client) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/login", post(start))
        .route("/login/events", get(events))
        .route("/login/status", get(status))
        .route("/login/finish", get(finish))
        .route("/login/cancel", post(cancel))
        .with_state(QrLogins::new(client))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut simulator = None;
    let client = if std::env::var_os("IDENTISURE_ACCOUNT_ID").is_some() {
        identisure::Client::from_env()?
    } else {
        let running = Simulator::new().spawn_local().await?;
        let client = identisure::Client::builder()
            .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
            .base_url(running.url())
            .build()?;
        simulator = Some(running);
        client
    };
    let addr: SocketAddr = "127.0.0.1:8080".parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("Open http://{}/ (Ctrl-C to stop)", listener.local_addr()?);
    identisure::serve::serve(listener, app(client), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    Ok(())
}
