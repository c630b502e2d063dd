//! A login page in your own axum app, with `identisure_web`: the
//! app's own session starts in the browser that logged in
//! (`Options::on_login` sets the app's cookie), plus a callback endpoint
//! that verifies `X-Signature-SHA256`.
//!
//! ```text
//! cargo run -p identisure-web --example axum_login
//! ```
//!
//! Then open <http://127.0.0.1:8080/>. Without `IDENTISURE_ACCOUNT_ID` /
//! `IDENTISURE_SECRET_KEY` (and `IDENTISURE_ENV=staging` or
//! `IDENTISURE_BASE_URL`) in the environment it runs against the embedded
//! simulator. Set `PUBLIC_URL` to the address the world reaches this app at
//! (e.g. `https://login.example.com`) to receive callbacks from the real
//! service; with the simulator they are sent to the local address. An
//! `ADDR` other than a loopback address needs `PUBLIC_URL`: without it the
//! login router serves this machine only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use identisure::callback::{CallbackSecret, VerifiedCallback};
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator};
use identisure_web::{LoggedIn, Options, TestChoice};

/// The name of the shop's own session cookie.
const SESSION_COOKIE: &str = "shop_session";

/// The app's own state: the secret that signs callbacks, and the shop's
/// sessions (a random token in the browser's cookie → who it belongs to).
/// A real app keeps sessions in its database or Redis.
#[derive(Clone)]
struct AppState {
    callback_secret: CallbackSecret,
    sessions: Sessions,
}

type Sessions = Arc<Mutex<HashMap<String, String>>>;

impl FromRef<AppState> for CallbackSecret {
    fn from_ref(state: &AppState) -> Self {
        state.callback_secret.clone()
    }
}

/// The shop's session token in this request's cookies, if any.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The home page greets whoever *this browser's* session belongs to.
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    let me = session_token(&headers).and_then(|token| {
        let sessions = state.sessions.lock().ok()?;
        sessions.get(&token).cloned()
    });
    let body = match me {
        Some(name) => format!(
            "<p>Logged in as {}.</p><form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
            html_escape(&name)
        ),
        None => "<p><a href=\"/login\">Log in</a></p>".to_string(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Example shop</title><h1>Example shop</h1>{body}</html>"
    ))
}

/// Ends this browser's session.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let (Some(token), Ok(mut sessions)) = (session_token(&headers), state.sessions.lock()) {
        sessions.remove(&token);
    }
    let expired = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    ([(header::SET_COOKIE, expired)], Redirect::to("/")).into_response()
}

/// Called by the login router once per completed login, in the request of
/// the browser that completed it: the shop's session starts here. A new
/// random token (never anything derived from the person) goes into the
/// store and into this browser's cookie; then into the shop.
fn start_session(sessions: Sessions, secure: bool) -> identisure_web::OnLogin {
    Arc::new(move |login: LoggedIn| {
        let sessions = sessions.clone();
        Box::pin(async move {
            let token = format!("{:032x}", rand::random::<u128>());
            sessions
                .lock()
                .ok()?
                .insert(token.clone(), login.person.name.into_inner());
            let cookie = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
                if secure { "; Secure" } else { "" }
            );
            Some(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
        })
    })
}

/// The service POSTs the final session here. The extractor has checked the
/// signature on the raw body (401 otherwise) before parsing it.
async fn on_callback(VerifiedCallback(session): VerifiedCallback<serde_json::Value>) -> StatusCode {
    // Only ids and statuses are printed: never personal numbers.
    println!(
        "callback: session {} is {}",
        session["id"].as_str().unwrap_or("?"),
        session["status"].as_str().unwrap_or("?")
    );
    StatusCode::NO_CONTENT
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The shop: its home page, logout, the callback endpoint, and the login
/// router nested at `/login`, whose completed logins start a shop session.
pub fn shop(
    client: identisure::Client,
    options: Options,
    callback_secret: CallbackSecret,
) -> Router {
    let state = AppState {
        callback_secret,
        sessions: Arc::new(Mutex::new(HashMap::new())),
    };
    let secure = options
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let options = Options {
        mount_path: "/login".into(),
        on_login: Some(start_session(state.sessions.clone(), secure)),
        ..options
    };
    Router::new()
        .route("/", get(home))
        .route("/logout", post(logout))
        .route("/identisure/callback", post(on_callback))
        .with_state(state)
        .nest("/login", identisure_web::router(client, options))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:8080".into())
        .parse()?;
    let public_url = std::env::var("PUBLIC_URL").ok();
    // Without PUBLIC_URL the login router serves this machine only; an
    // address other machines can reach needs the URL they use.
    if public_url.is_none() && !addr.ip().is_loopback() {
        return Err(format!(
            "ADDR={addr} is reachable from other machines: set PUBLIC_URL to the address \
             browsers use (e.g. PUBLIC_URL=https://login.example.com)"
        )
        .into());
    }

    // Real credentials from the environment, or the embedded simulator.
    let mut simulator = None;
    let (client, secret, test_identities) = if std::env::var_os("IDENTISURE_ACCOUNT_ID").is_some() {
        let secret = std::env::var("IDENTISURE_SECRET_KEY")?;
        (identisure::Client::from_env()?, secret, Vec::new())
    } else {
        let running = Simulator::new().spawn_local().await?;
        let client = identisure::Client::builder()
            .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
            .base_url(running.url())
            .build()?;
        simulator = Some(running);
        let choices = identisure_simulator::test_identities()
            .into_iter()
            .map(|t| TestChoice {
                label: format!("{} ({})", t.name(), t.person().name()),
                ref_id: t.ref_id(),
            })
            .collect();
        (client, DEMO_SECRET_KEY.to_string(), choices)
    };
    // Callbacks need an address the service can reach.
    let callback_base = match (&public_url, &simulator) {
        (Some(url), _) => Some(url.trim_end_matches('/').to_string()),
        (None, Some(_)) => Some(format!("http://{addr}")),
        (None, None) => None,
    };

    let options = Options {
        public_url: public_url.clone(),
        callback_url: callback_base.map(|base| format!("{base}/identisure/callback")),
        test_identities,
        prefill_personal_number: simulator.as_ref().map(|_| "198704122384".to_string()),
        ..Options::default()
    };
    let app = shop(client, options, CallbackSecret::new(secret));

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("Open http://{}/ (Ctrl-C to stop)", listener.local_addr()?);
    // With the limits a reachable server needs (slow heads and bodies cut
    // off, connections per address bounded); each request carries the
    // connecting address, which bounds logins in progress per client
    // (`Options::client_key`).
    identisure::serve::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    Ok(())
}
