//! A login page in your own axum app, with `identisure::web_login`, plus a
//! callback endpoint that verifies `X-Signature-SHA256`.
//!
//! ```text
//! cargo run --example axum_login --features web,simulator
//! ```
//!
//! Then open <http://127.0.0.1:8080/>. Without `IDENTISURE_ACCOUNT_ID` /
//! `IDENTISURE_SECRET_KEY` (and `IDENTISURE_ENV=staging` or
//! `IDENTISURE_BASE_URL`) in the environment it runs against the embedded
//! simulator. Set `PUBLIC_URL` to the address the world reaches this app at
//! (e.g. `https://login.example.com`) to receive callbacks from the real
//! service; with the simulator they are sent to the local address.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::{get, post};
use identisure::callback::{CallbackSecret, VerifiedCallback};
use identisure::simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator};
use identisure::web_login::{self, Options, TestChoice};

/// The app's own state: the secret that signs callbacks, and who logged in last.
#[derive(Clone)]
struct AppState {
    callback_secret: CallbackSecret,
    last_login: Arc<Mutex<Option<String>>>,
}

impl FromRef<AppState> for CallbackSecret {
    fn from_ref(state: &AppState) -> Self {
        state.callback_secret.clone()
    }
}

async fn home(State(state): State<AppState>) -> Html<String> {
    let last = state
        .last_login
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default()
        .map(|name| format!("<p>Last login: {}</p>", html_escape(&name)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Example shop</title><h1>Example shop</h1>{last}\
         <p><a href=\"/login\">Log in</a></p></html>"
    ))
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:8080".into())
        .parse()?;
    let public_url = std::env::var("PUBLIC_URL").ok();

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
        let choices = identisure::simulator::test_identities()
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

    let state = AppState {
        callback_secret: CallbackSecret::new(secret),
        last_login: Arc::new(Mutex::new(None)),
    };
    let last_login = state.last_login.clone();
    let options = Options {
        mount_path: "/login".into(),
        public_url: public_url.clone(),
        callback_url: callback_base.map(|base| format!("{base}/identisure/callback")),
        test_identities,
        prefill_personal_number: simulator.as_ref().map(|_| "198704122384".to_string()),
        // Your own session starts here (set a cookie, look up the account …).
        on_success: Some(Arc::new(move |person: &web_login::Person| {
            if let Ok(mut last) = last_login.lock() {
                *last = Some(person.name.clone());
            }
        })),
        ..Options::default()
    };

    let app = Router::new()
        .route("/", get(home))
        .route("/identisure/callback", post(on_callback))
        .with_state(state)
        .nest("/login", web_login::router(client, options));

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("Open http://{}/ (Ctrl-C to stop)", listener.local_addr()?);
    // The connecting address bounds logins in progress per client
    // (`Options::client_key`).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    Ok(())
}
