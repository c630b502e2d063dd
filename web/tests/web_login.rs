//! The web login router over real HTTP on 127.0.0.1, against the simulator
//! (no browser: see tests/web_login_browser.rs for that).

use std::time::Duration;

use identisure::messages::Lang;
use identisure::qr::BankIdQr;
use identisure::qr::render::QrImage;
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RunningSimulator, Simulator};
use identisure_web::{Options, TestChoice};

struct App {
    url: String,
    sim: RunningSimulator,
    http: reqwest::Client,
}

async fn app_with(sim: Simulator, options: Options) -> App {
    let sim = sim.spawn_local().await.unwrap();
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    let router = identisure_web::router(client, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let http = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    App { url, sim, http }
}

/// The start form of a Swedish BankID login that waits for the test to end
/// it (the simulator's `sim:manual` identity), in English.
const MANUAL_BANKID: &[(&str, &str)] = &[
    ("provider", "bankid-se"),
    ("lang", "en"),
    ("test_identity", "sim:manual"),
];

/// Options of these tests: the browser cookie is tested on its own (and by
/// the browser test), the other tests use a client without cookies.
fn options() -> Options {
    Options {
        default_lang: Lang::En,
        bind_to_browser: false,
        // All tests connect from 127.0.0.1 (the bound per client is tested
        // on its own).
        client_key: None,
        test_identities: identisure_simulator::test_identities()
            .into_iter()
            .map(|t| TestChoice {
                label: t.name().to_string(),
                ref_id: t.ref_id(),
            })
            .collect(),
        ..Options::default()
    }
}

/// The start page's form token and the cookie that must come with it, as
/// a browser gets them from `start_page` (the page's URL).
async fn csrf(http: &reqwest::Client, start_page: &str) -> (String, String) {
    let answer = http.get(start_page).send().await.unwrap();
    let cookie = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("identisure-csrf="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("the start page sets the form token's cookie");
    let page = answer.text().await.unwrap();
    (cookie, form_token(&page))
}

/// The token of a start page's form.
fn form_token(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the start form carries its token")
        .to_string()
}

/// `form` with the page's token added.
fn with_token(form: &[(&str, &str)], token: &str) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    form.push(("csrf".into(), token.into()));
    form
}

impl App {
    /// A start request as the start page's form sends it (its token and
    /// cookie), ready for more headers.
    async fn start_request(&self, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let (cookie, token) = csrf(&self.http, &format!("{}/", self.url)).await;
        self.http
            .post(format!("{}/start", self.url))
            .header("cookie", cookie)
            .form(&with_token(form, &token))
    }

    /// Posts the start form; returns the answer as it is.
    async fn post_start(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.start_request(form).await.send().await.unwrap()
    }

    /// Posts the start form; returns the waiting page's path.
    async fn start(&self, form: &[(&str, &str)]) -> String {
        let answer = self.post_start(form).await;
        assert_eq!(answer.status(), 303, "{:?}", answer.text().await);
        answer.headers()["location"].to_str().unwrap().to_string()
    }

    /// Approves or cancels on the simulator's page at `link` (the
    /// provider's page), as a browser with no cookie of ours; the URL the
    /// provider sends the user back to.
    async fn on_provider_page(&self, link: &str, action: &str) -> String {
        let answer = self
            .http
            .post(link)
            .form(&[("action", action)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303);
        answer.headers()["location"].to_str().unwrap().to_string()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// Reads the event stream for `window`; the raw text.
    async fn events_for(&self, path: &str, window: Duration) -> String {
        let mut answer = self.get(&format!("{path}/events")).await;
        assert_eq!(answer.status(), 200);
        assert!(
            answer.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, answer.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    }

    /// Waits (bounded) until the login's result page answers, and returns it.
    async fn result(&self, path: &str) -> String {
        for _ in 0..100 {
            let answer = self.get(&format!("{path}/result")).await;
            if answer.status() == 200 {
                return answer.text().await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no result for {path}");
    }
}

/// The `qr` events of a stream: (second, svg).
fn qr_events(stream: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for block in stream.split("\n\n") {
        let mut kind = "";
        let mut id = None;
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                kind = v.trim();
            } else if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if kind == "qr" {
            out.push((id.unwrap(), data.join("\n")));
        }
    }
    out
}

#[tokio::test]
async fn start_page_offers_every_provider_and_the_test_identities() {
    let app = app_with(Simulator::new(), options()).await;
    let answer = app.get("/").await;
    assert_eq!(answer.status(), 200);
    let csp = answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = answer.text().await.unwrap();
    for slug in ["bankid-se", "freja", "bankid-no", "vipps", "mitid", "ftn"] {
        assert!(html.contains(&format!("value=\"{slug}\"")), "{slug}");
    }
    assert!(html.contains("value=\"sim:manual\""));
    // No external assets.
    assert!(!html.contains("src=\"http"));
    assert!(!html.contains("href=\"http"));
    let sv = app.text("/?lang=sv").await;
    assert!(sv.contains("<html lang=\"sv\">") && sv.contains("Logga in"));
}

#[tokio::test]
async fn bankid_qr_frames_are_rendered_on_the_server_and_the_secret_never_leaves_it() {
    // Two simulators with the same seed hand out the same tokens: the twin
    // tells the test the qrStartSecret that the page must never show.
    let app = app_with(Simulator::builder().seed(7).build(), options()).await;
    let twin = Simulator::builder()
        .seed(7)
        .build()
        .spawn_local()
        .await
        .unwrap();
    let twin_answer: serde_json::Value = identisure::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/v3/bankid-se/auth", twin.url()))
        .basic_auth(DEMO_ACCOUNT_ID, Some(DEMO_SECRET_KEY))
        .json(&serde_json::json!({"refId": "sim:manual", "intent": "Log in"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = twin_answer["qrStartToken"].as_str().unwrap().to_string();
    let secret = twin_answer["qrStartSecret"].as_str().unwrap().to_string();

    let path = app.start(MANUAL_BANKID).await;
    let page = app.text(&path).await;
    assert!(page.contains("id=\"qr\""));
    assert!(page.contains("<svg"));
    assert!(page.contains("Open BankID on this device"));
    assert!(page.contains("href=\"bankid:///?autostarttoken="));
    assert!(
        page.contains("Start your BankID app and scan the QR code."),
        "{page}"
    );
    assert!(!page.contains(&secret), "the page leaks qrStartSecret");

    let stream = app.events_for(&path, Duration::from_millis(2_600)).await;
    assert!(
        !stream.contains(&secret),
        "the event stream leaks qrStartSecret"
    );
    let frames = qr_events(&stream);
    assert!(frames.len() >= 2, "{stream}");
    // Each frame is the QR of BankID's payload for its second.
    let qr = BankIdQr::new(token, secret.into(), std::time::Instant::now());
    for (second, svg) in &frames {
        let expected = QrImage::new(&qr.payload_at(*second)).unwrap().to_svg();
        assert!(expected.ends_with(svg.as_str()), "frame {second} differs");
    }
    assert_ne!(
        frames[0].1,
        frames[frames.len() - 1].1,
        "the QR must change"
    );
    // The mobile page links to the app with a way back.
    let mobile = app
        .http
        .get(format!("{}{path}", app.url))
        .header(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        mobile.contains("href=\"https://app.bankid.com/?autostarttoken="),
        "{mobile}"
    );
    assert!(mobile.contains("&amp;redirect=http%3A%2F%2F127.0.0.1"));
}

#[tokio::test]
async fn bankid_login_completes_with_the_persons_name() {
    let app = app_with(Simulator::new(), options()).await;
    let path = app
        .start(&[("provider", "bankid-se"), ("lang", "en")])
        .await;
    let stream = app.events_for(&path, Duration::from_secs(8)).await;
    assert!(stream.contains("event: done"), "{stream}");
    assert!(stream.contains(&format!("data: {path}/result")));
    let html = app.result(&path).await;
    assert!(html.contains("Welcome, Astrid Lindqvist"), "{html}");
    assert!(html.contains("data-outcome=\"completed\""));
    // The waiting page of a finished login goes to the result.
    let again = app.get(&path).await;
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn cancelling_on_the_page_cancels_the_session_and_says_so() {
    let app = app_with(Simulator::new(), options()).await;
    let path = app
        .start(&[
            ("provider", "bankid-se"),
            ("lang", "sv"),
            ("test_identity", "sim:manual"),
        ])
        .await;
    let answer = app
        .http
        .post(format!("{}{path}/cancel", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let html = app.result(&path).await;
    assert!(html.contains("Inloggningen avbröts"), "{html}");
    assert!(html.contains("Åtgärden avbruten."), "{html}");
    assert!(html.contains("data-outcome=\"cancelled\""));
}

#[tokio::test]
async fn every_failure_has_a_clear_message() {
    let app = app_with(Simulator::new(), options()).await;
    let cases = [
        (
            "bankid-se",
            "sim:user-cancel",
            "cancelled",
            "Action cancelled.",
        ),
        (
            "bankid-se",
            "sim:auth-failed",
            "failed",
            "blocked or too old",
        ),
        (
            "bankid-se",
            "sim:internal-error",
            "failed",
            // INTERNAL_ERROR (hint startFailed) reads as an internal error,
            // never as "the app could not be found / the QR code not scanned".
            "Internal error. Please try again.",
        ),
        ("vipps", "sim:auth-failed", "failed", "was not accepted"),
        ("mitid", "sim:conflict", "failed", "already in progress"),
        ("ftn", "sim:internal-error", "failed", "Internal error"),
    ];
    let mut paths = Vec::new();
    for (provider, scenario, _, _) in cases {
        paths.push(
            app.start(&[
                ("provider", provider),
                ("lang", "en"),
                ("test_identity", scenario),
            ])
            .await,
        );
    }
    for ((provider, scenario, outcome, text), path) in cases.iter().zip(&paths) {
        let html = app.result(path).await;
        assert!(
            html.contains(&format!("data-outcome=\"{outcome}\"")) && html.contains(text),
            "{provider} {scenario}: {html}"
        );
    }
}

#[tokio::test]
async fn a_login_that_takes_too_long_times_out() {
    let options = Options {
        timeout: Duration::from_secs(2),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let path = app
        .start(&[
            ("provider", "bankid-no"),
            ("lang", "en"),
            ("test_identity", "sim:manual"),
        ])
        .await;
    let html = app.result(&path).await;
    assert!(html.contains("Login timed out"), "{html}");
    assert!(html.contains("Nobody identified in time"));
}

#[tokio::test]
async fn redirect_provider_sends_the_user_to_its_page_and_back() {
    let app = app_with(Simulator::new(), options()).await;
    let path = app
        .start(&[("provider", "bankid-no"), ("lang", "en")])
        .await;
    let page = app.text(&path).await;
    let id = path.rsplit('/').next().unwrap();
    // The link goes to the simulator's approval page.
    let href = provider_link(&page);
    assert!(
        href.starts_with(&format!("{}/sim/approve/", app.sim.url())),
        "{href}"
    );
    assert!(
        page.contains("Check that the app shows"),
        "binding message: {page}"
    );
    // Approving there sends the browser back to this login.
    let back = app.on_provider_page(&href, "approve").await;
    let key = back
        .strip_prefix(&format!("{}/login/{id}/return/", app.url))
        .unwrap_or_else(|| panic!("{back}"));
    assert_eq!(key.len(), 32, "a 128-bit one-time secret: {back}");
    assert_ne!(key, id);
    let answer = app.http.get(&back).send().await.unwrap();
    assert_eq!(answer.headers()["location"], path.as_str());
    let html = app.result(&path).await;
    assert!(html.contains("Welcome, Ingrid Haugen"), "{html}");
}

#[tokio::test]
async fn freja_shows_the_qr_of_qr_data_and_needs_a_personal_number() {
    let app = app_with(Simulator::new(), options()).await;
    let refused = app
        .post_start(&[
            ("provider", "freja"),
            ("lang", "en"),
            ("personal_number", ""),
        ])
        .await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Enter a valid personal identity number")
    );
    let bad = app
        .post_start(&[
            ("provider", "freja"),
            ("lang", "en"),
            ("personal_number", "198704122385"),
        ])
        .await;
    let bad_page = bad.text().await.unwrap();
    assert!(!bad_page.contains("198704122385"), "the number is echoed");
    let path = app
        .start(&[
            ("provider", "freja"),
            ("lang", "en"),
            ("personal_number", "198704122384"),
        ])
        .await;
    let page = app.text(&path).await;
    assert!(page.contains("id=\"qr\"") && page.contains("<svg"));
    assert!(page.contains("href=\"frejaeid://bindUserToTransaction?transactionReference="));
    let html = app.result(&path).await;
    assert!(html.contains("Welcome, Astrid Lindqvist"), "{html}");
}

#[tokio::test]
async fn unknown_logins_and_unoffered_choices_are_refused() {
    let options = Options {
        providers: vec![identisure_web::Provider::BankIdSe],
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    assert_eq!(app.get("/login/nope").await.status(), 404);
    assert_eq!(app.get("/login/nope/events").await.status(), 404);
    assert_eq!(app.get("/login/nope/result").await.status(), 404);
    let answer = app.post_start(&[("provider", "vipps")]).await;
    assert_eq!(answer.status(), 400);
    // A refId that is not offered is not sent: the default scenario completes.
    let path = app
        .start(&[
            ("provider", "bankid-se"),
            ("lang", "en"),
            ("test_identity", "sim:nope"),
        ])
        .await;
    let html = app.result(&path).await;
    assert!(html.contains("Welcome, Astrid Lindqvist"), "{html}");
}

/// Login CSRF: another site cannot post the start form (its `Origin` or
/// `Sec-Fetch-Site` gives it away), and no session is started for it.
#[tokio::test]
async fn a_start_from_another_site_is_refused() {
    let app = app_with(Simulator::new(), options()).await;
    let host = app.url.trim_start_matches("http://").to_string();
    let form = [("provider", "bankid-se"), ("lang", "en")];
    let post = |headers: Vec<(&'static str, String)>| async {
        let mut request = app.start_request(&form).await;
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().await
    };
    for refused in [
        vec![("origin", "https://evil.example".to_string())],
        vec![("origin", "null".to_string())],
        vec![("sec-fetch-site", "cross-site".to_string())],
        vec![
            ("sec-fetch-site", "same-site".to_string()),
            ("origin", format!("http://{host}")),
        ],
        vec![("origin", format!("http://{host}.evil.example"))],
        // The same host by another scheme is another origin.
        vec![("origin", format!("https://{host}"))],
    ] {
        let answer = post(refused.clone()).await.unwrap();
        assert_eq!(answer.status(), 403, "{refused:?}");
        let html = answer.text().await.unwrap();
        assert!(html.contains("must be started from this page"), "{html}");
    }
    // The page's own form (same origin, as a browser sends it) starts.
    for allowed in [
        vec![
            ("origin", format!("http://{host}")),
            ("sec-fetch-site", "same-origin".to_string()),
        ],
        vec![("sec-fetch-site", "none".to_string())],
        // What Chromium sends when the page's referrer policy hides the
        // origin: `Sec-Fetch-Site` decides.
        vec![
            ("origin", "null".to_string()),
            ("sec-fetch-site", "same-origin".to_string()),
        ],
        vec![],
    ] {
        let answer = post(allowed.clone()).await.unwrap();
        assert_eq!(answer.status(), 303, "{allowed:?}");
    }
    // Without the page's token (a client sending neither header, or a page
    // elsewhere that can neither read nor set it), nothing starts.
    let before = app.sim.simulator().session_count();
    let cases: [(Option<&str>, Option<String>); 3] = [
        (None, None),
        (None, Some("0".repeat(32))),
        (Some("identisure-csrf=a"), Some("b".to_string())),
    ];
    for (cookie, token) in cases {
        let mut fields = form.to_vec();
        if let Some(token) = &token {
            fields.push(("csrf", token.as_str()));
        }
        let mut request = app.http.post(format!("{}/start", app.url)).form(&fields);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 403, "{cookie:?} {token:?}");
    }
    assert_eq!(app.sim.simulator().session_count(), before);
}

/// The integration of examples/axum_login.rs: the router nested under
/// `/login` in an app of its own, with a callback endpoint that verifies
/// `X-Signature-SHA256` (a forged callback is refused with 401).
#[tokio::test]
async fn nested_under_a_path_with_verified_callbacks() {
    use axum::extract::FromRef;
    use identisure::callback::{CallbackSecret, VerifiedCallback};

    #[derive(Clone)]
    struct AppState {
        secret: CallbackSecret,
        seen: tokio::sync::mpsc::UnboundedSender<serde_json::Value>,
    }
    impl FromRef<AppState> for CallbackSecret {
        fn from_ref(state: &AppState) -> Self {
            state.secret.clone()
        }
    }
    async fn on_callback(
        axum::extract::State(state): axum::extract::State<AppState>,
        VerifiedCallback(session): VerifiedCallback<serde_json::Value>,
    ) -> axum::http::StatusCode {
        let _ = state.seen.send(session);
        axum::http::StatusCode::NO_CONTENT
    }

    let sim = Simulator::new().spawn_local().await.unwrap();
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = Options {
        mount_path: "/login".into(),
        callback_url: Some(format!("{url}/identisure/callback")),
        ..options()
    };
    let app = axum::Router::new()
        .route("/identisure/callback", axum::routing::post(on_callback))
        .with_state(AppState {
            secret: CallbackSecret::new(DEMO_SECRET_KEY),
            seen: tx,
        })
        .nest("/login", identisure_web::router(client, options));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let start_page = http.get(format!("{url}/login")).send().await.unwrap();
    assert_eq!(start_page.status(), 200);
    assert!(
        start_page
            .text()
            .await
            .unwrap()
            .contains("action=\"/login/start\"")
    );
    let (cookie, token) = csrf(&http, &format!("{url}/login")).await;
    let answer = http
        .post(format!("{url}/login/start"))
        .header("cookie", cookie)
        .form(&with_token(&[("provider", "ftn"), ("lang", "en")], &token))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let path = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(path.starts_with("/login/login/"), "{path}");
    let page = http
        .get(format!("{url}{path}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("action=\"{path}/cancel\"")));

    // The simulator completes the session and calls back, signed.
    let session = tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("a callback")
        .unwrap();
    assert_eq!(session["status"], "COMPLETED");
    assert_eq!(session["name"], "Aino Virtanen");

    let forged = http
        .post(format!("{url}/identisure/callback"))
        .header("X-Signature-SHA256", "AAAA")
        .body(r#"{"id":"x","status":"COMPLETED"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn a_login_belongs_to_the_browser_that_started_it() {
    let options = Options {
        bind_to_browser: true,
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let answer = app.post_start(MANUAL_BANKID).await;
    assert_eq!(answer.status(), 303);
    let path = answer.headers()["location"].to_str().unwrap().to_string();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(cookie.contains(&format!("Path={path}")), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();

    // Someone else holding the URL sees nothing and cannot cancel.
    for sub in ["", "/events", "/result", "/return/0123"] {
        let other = app.get(&format!("{path}{sub}")).await;
        assert_eq!(other.status(), 403, "{sub}");
        assert!(
            other
                .text()
                .await
                .unwrap()
                .contains("started in another browser")
        );
    }
    let forged = format!("{}=0000", pair.split('=').next().unwrap());
    let wrong = app
        .http
        .get(format!("{}{path}", app.url))
        .header("cookie", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let refused = app
        .http
        .post(format!("{}{path}/cancel", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    // The browser that started it does.
    let own = app
        .http
        .get(format!("{}{path}", app.url))
        .header("cookie", format!("other=1; {pair}"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("id=\"qr\""));
}

#[tokio::test]
async fn opening_bankid_on_this_device_switches_to_the_autostart_messages() {
    let app = app_with(Simulator::new(), options()).await;
    let path = app.start(MANUAL_BANKID).await;
    assert!(
        app.text(&path)
            .await
            .contains("Start your BankID app and scan the QR code.")
    );
    let answer = app
        .http
        .post(format!("{}{path}/autostart", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    // RFA13 at once, and still after the next collects (bounded wait).
    assert!(
        app.text(&path)
            .await
            .contains("Trying to start your BankID app.")
    );
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let page = app.text(&path).await;
    assert!(page.contains("Trying to start your BankID app."), "{page}");
    assert!(page.contains("sendBeacon"));
}

/// A browser of the relay tests: the cookie the start set, sent by hand.
struct Jar(String);

impl Jar {
    async fn get(&self, app: &App, url: &str) -> reqwest::Response {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", app.url)
        };
        let request = app.http.get(url).header("cookie", &self.0);
        request.send().await.unwrap()
    }
}

/// Starts a Norwegian BankID login in a fresh browser: its cookie, the
/// waiting page's path and the provider link.
async fn redirect_login(app: &App) -> (Jar, String, String) {
    let answer = app
        .post_start(&[("provider", "bankid-no"), ("lang", "en")])
        .await;
    assert_eq!(answer.status(), 303);
    let path = answer.headers()["location"].to_str().unwrap().to_string();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap();
    let jar = Jar(cookie.split(';').next().unwrap().to_string());
    let page = jar.get(app, &path).await.text().await.unwrap();
    let link = provider_link(&page);
    (jar, path, link)
}

/// Options with the browser binding on, a short timeout and a hook that
/// counts its calls and starts the app's session: a cookie naming the
/// person, and a redirect into the app.
fn bound_options(hooked: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> Options {
    use axum::response::IntoResponse as _;
    let count = hooked.clone();
    Options {
        bind_to_browser: true,
        timeout: Duration::from_secs(3),
        on_login: Some(std::sync::Arc::new(
            move |login: identisure_web::LoggedIn| {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Box::pin(async move {
                    // The hook runs in the request of the browser holding the login's cookie.
                    let cookie = login.request.headers.get("cookie")?.to_str().ok()?;
                    assert!(cookie.contains("identisure-login-"), "{cookie}");
                    let session = format!(
                        "app_session={}; Path=/; HttpOnly",
                        login.person.name.replace(' ', "_")
                    );
                    let redirect = axum::response::Redirect::to("/app");
                    Some(([("set-cookie", session)], redirect).into_response())
                })
            },
        )),
        ..options()
    }
}

#[tokio::test]
async fn a_relayed_provider_link_never_logs_the_relayer_in() {
    let hooked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = app_with(Simulator::new(), bound_options(&hooked)).await;
    // The attacker starts a login and sends the provider link to a victim.
    let (attacker, path, link) = redirect_login(&app).await;
    // The victim approves on the provider's page, in their own browser.
    let back = app.on_provider_page(&link, "approve").await;
    let victim = Jar(String::new());
    assert_eq!(victim.get(&app, &back).await.status(), 403);
    // The attacker's browser holds the cookie but not the return secret.
    let guessed = format!("{path}/return/{}", "0".repeat(32));
    let wrong = attacker.get(&app, &guessed).await;
    assert_eq!(wrong.status(), 403);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("link back from the provider")
    );
    // The session completed upstream, yet the attacker's pages wait, then fail.
    let events = attacker.get(&app, &format!("{path}/events")).await;
    let mut stream = String::new();
    let mut events = events;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, events.chunk()).await {
        stream.push_str(&String::from_utf8_lossy(&chunk));
        if stream.contains("event: done") {
            break;
        }
    }
    assert!(stream.contains("Waiting for you to come back"), "{stream}");
    assert!(!stream.contains("Ingrid"), "{stream}");
    let result = attacker.get(&app, &format!("{path}/result")).await;
    assert_eq!(result.status(), 200);
    let html = result.text().await.unwrap();
    assert!(html.contains("never came back"), "{html}");
    assert!(!html.contains("Ingrid"), "{html}");
    assert_eq!(hooked.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_browser_that_comes_back_gets_the_person_and_the_hook_runs_once() {
    let hooked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = app_with(Simulator::new(), bound_options(&hooked)).await;
    let (user, path, link) = redirect_login(&app).await;
    let back = app.on_provider_page(&link, "approve").await;
    let answer = user.get(&app, &back).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], path.as_str());
    // Someone else asking for the result (no cookie) runs nothing.
    assert_eq!(app.get(&format!("{path}/result")).await.status(), 403);
    // The browser that came back is handed to the app's session.
    let mut handed = None;
    for _ in 0..100 {
        let answer = user.get(&app, &format!("{path}/result")).await;
        if answer.status() != 303 || answer.headers()["location"] != path.as_str() {
            handed = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let handed = handed.expect("the login completes");
    assert_eq!(handed.status(), 303);
    assert_eq!(handed.headers()["location"], "/app");
    assert_eq!(
        handed.headers()["set-cookie"],
        "app_session=Ingrid_Haugen; Path=/; HttpOnly"
    );
    assert_eq!(handed.headers()["cache-control"], "no-store");
    // Once: asking again shows the result page.
    let again = user.get(&app, &format!("{path}/result")).await;
    assert_eq!(again.status(), 200);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Welcome, Ingrid Haugen")
    );
    assert_eq!(hooked.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_login_hook_never_runs_for_a_cancelled_login() {
    let hooked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = app_with(Simulator::new(), bound_options(&hooked)).await;
    let (user, path, link) = redirect_login(&app).await;
    let back = app.on_provider_page(&link, "cancel").await;
    assert_eq!(user.get(&app, &back).await.status(), 303);
    let mut html = String::new();
    for _ in 0..100 {
        let answer = user.get(&app, &format!("{path}/result")).await;
        if answer.status() == 200 {
            html = answer.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(html.contains("data-outcome=\"cancelled\""), "{html}");
    assert_eq!(hooked.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// Names the client from the `x-client` header, as a trusted proxy would set it.
fn x_client() -> identisure_web::ClientKey {
    std::sync::Arc::new(|parts: &axum::http::request::Parts| {
        let client = parts.headers.get("x-client")?;
        client.to_str().ok().map(str::to_string)
    })
}

/// Starts a [`MANUAL_BANKID`] login as `client` (named by the `x-client`
/// header, see [`x_client`]).
async fn start_as(app: &App, client: &str) -> reqwest::Response {
    app.start_request(MANUAL_BANKID)
        .await
        .header("x-client", client)
        .send()
        .await
        .unwrap()
}

/// Starts from each of `clients` (see [`start_as`]); the statuses.
async fn starts_from(app: &App, clients: &[&str]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for client in clients {
        statuses.push(start_as(app, client).await.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn one_client_flooding_starts_does_not_lock_out_the_others() {
    let options = Options {
        max_logins: 8,
        max_logins_per_client: 3,
        client_key: Some(x_client()),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let flood = starts_from(&app, &["attacker"; 20]).await;
    assert_eq!(flood[..3], [303, 303, 303], "{flood:?}");
    assert!(flood[3..].iter().all(|s| *s == 429), "{flood:?}");
    let refused = app
        .start_request(&[("provider", "bankid-se"), ("lang", "en")])
        .await
        .header("x-client", "attacker")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.headers()["retry-after"], "30");
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("started too many logins")
    );
    // Everyone else still starts, up to the total in progress.
    let others = starts_from(&app, &["a", "b", "c", "d", "e", "f"]).await;
    assert_eq!(others, [303, 303, 303, 303, 303, 503], "{others:?}");
}

#[tokio::test]
async fn starting_and_cancelling_in_a_loop_is_bounded_per_client() {
    let options = Options {
        max_logins_per_client: 3,
        client_key: Some(x_client()),
        ..options()
    };
    let sim = Simulator::new();
    let app = app_with(sim, options).await;
    // Each login is cancelled at once, so none is ever in progress for long.
    for _ in 0..3 {
        let started = start_as(&app, "looper").await;
        assert_eq!(started.status(), 303);
        let path = started.headers()["location"].to_str().unwrap().to_string();
        let cancelled = app
            .http
            .post(format!("{}{path}/cancel", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(cancelled.status(), 303);
        assert!(
            app.text(&format!("{path}/result"))
                .await
                .contains("cancelled")
        );
    }
    let refused = start_as(&app, "looper").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "30");
    assert_eq!(start_as(&app, "someone else").await.status(), 303);
    assert_eq!(
        app.sim.session_count(),
        4,
        "the refused start opened no session upstream"
    );
}

/// A `tracing` writer that keeps what it is given.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Posts the Vipps start form (a redirect flow) with the given `Host` header.
async fn start_with_host(app: &App, host: &str) -> reqwest::Response {
    app.start_request(&[("provider", "vipps"), ("lang", "en")])
        .await
        .header("host", host)
        .send()
        .await
        .unwrap()
}

/// Without `public_url`, a spoofed `Host` must not become the return URL of
/// a redirect login (the provider would send the victim, return key
/// included, to the attacker's host): the router serves only this
/// machine's own names, parsed as addresses, and starts nothing upstream
/// for any other.
#[tokio::test(flavor = "current_thread")]
async fn without_public_url_a_spoofed_host_starts_nothing() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = app_with(Simulator::new(), options()).await;
    for host in [
        "attacker.example",
        "attacker.example:8080",
        "127.attacker.example",
        "127.0.0.1.attacker.example",
        "localhost.attacker.example",
        "[::ffff:8.8.8.8]:80",
        "10.0.0.1",
    ] {
        let answer = start_with_host(&app, host).await;
        assert_eq!(answer.status(), 421, "{host}");
        assert!(answer.headers().get("location").is_none(), "{host}");
        let page = answer.text().await.unwrap();
        assert!(page.contains("public_url"), "{host}: {page}");
        assert!(
            !page.contains(host),
            "the page never echoes the Host: {page}"
        );
        // Nor any other page of the router under that name.
        assert_eq!(
            app.http
                .get(format!("{}/", app.url))
                .header("host", host)
                .send()
                .await
                .unwrap()
                .status(),
            421,
            "{host}"
        );
    }
    assert_eq!(
        app.sim.simulator().session_count(),
        0,
        "nothing started upstream"
    );
    let refusals = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        refusals.matches("public_url is not set").count(),
        1,
        "logged once: {refusals}"
    );

    // This machine's own names are served, and the provider sends the user
    // back to the name the page was reached at.
    for host in [
        "127.0.0.1:8080",
        "localhost:8080",
        "[::1]:8080",
        "127.1.2.3",
        "LOCALHOST",
    ] {
        let answer = start_with_host(&app, host).await;
        assert_eq!(answer.status(), 303, "{host}");
        let path = answer.headers()["location"].to_str().unwrap().to_string();
        let link = provider_link(&app.text(&path).await);
        let back = app.on_provider_page(&link, "approve").await;
        let expected = format!("http://{}/login/", host.to_ascii_lowercase());
        assert!(back.starts_with(&expected), "{host}: {back}");
    }
}

/// With `public_url`, the `Host` header is never used: the return URL is
/// built from `public_url` whatever the request names.
#[tokio::test]
async fn with_public_url_the_host_header_is_ignored() {
    let options = Options {
        public_url: Some("https://login.example.com".into()),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let answer = start_with_host(&app, "attacker.example").await;
    assert_eq!(answer.status(), 303);
    let path = answer.headers()["location"].to_str().unwrap().to_string();
    let link = provider_link(&app.text(&path).await);
    let back = app.on_provider_page(&link, "approve").await;
    assert!(
        back.starts_with("https://login.example.com/login/"),
        "{back}"
    );
}

#[tokio::test]
async fn the_connecting_address_is_the_default_client() {
    let options = Options {
        client_key: Options::default().client_key,
        max_logins_per_client: 2,
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    // The `x-client` header means nothing to the default: all come from 127.0.0.1.
    let statuses = starts_from(&app, &["x", "y", "z"]).await;
    assert_eq!(statuses, [303, 303, 429], "{statuses:?}");
}

#[tokio::test]
async fn finished_logins_never_block_a_new_one() {
    let options = Options {
        max_logins: 4,
        client_key: None,
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    // Many more logins than `max_logins`, each finished (cancelled) at once.
    let mut paths = Vec::new();
    for _ in 0..12 {
        let path = app
            .start(&[("provider", "bankid-se"), ("test_identity", "sim:manual")])
            .await;
        let cancelled = app
            .http
            .post(format!("{}{path}/cancel", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(cancelled.status(), 303);
        paths.push(path);
    }
    // The newest finished ones are still readable, the oldest forgotten.
    assert!(
        app.text(&format!("{}/result", paths[11]))
            .await
            .contains("cancelled")
    );
    assert_eq!(app.get(&format!("{}/result", paths[0])).await.status(), 404);
    // A normal start succeeds and completes.
    let path = app
        .start(&[
            ("provider", "bankid-se"),
            ("lang", "en"),
            ("test_identity", "sim:complete"),
        ])
        .await;
    let html = app.result(&path).await;
    assert!(html.contains("Welcome, Astrid Lindqvist"), "{html}");
}

/// The shop of examples/axum_login.rs, as users copy it.
#[allow(dead_code)]
#[path = "../examples/axum_login.rs"]
mod axum_login;
// The waiting page's helpers shared with the tests of shared logins.
#[path = "support/round_robin.rs"]
mod round_robin;
use round_robin::provider_link;

/// A browser for the example's test: keeps cookies (by name, for this one
/// host) and follows redirects.
struct Browser {
    http: reqwest::Client,
    cookies: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

impl Browser {
    fn new() -> Self {
        let http = identisure::http_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            cookies: Default::default(),
        }
    }

    /// Sends `request` (a form POST when `form` is given), follows
    /// redirects; the final URL and body.
    async fn go(&self, url: &str, form: Option<&[(&str, &str)]>) -> (String, String) {
        let mut url = reqwest::Url::parse(url).unwrap();
        let mut form = form;
        for _ in 0..10 {
            let jar = self
                .cookies
                .lock()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let request = match form.take() {
                Some(fields) => self.http.post(url.clone()).form(fields),
                None => self.http.get(url.clone()),
            };
            let answer = request.header("cookie", jar).send().await.unwrap();
            for set in answer.headers().get_all("set-cookie") {
                let pair = set.to_str().unwrap().split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                let mut cookies = self.cookies.lock().unwrap();
                if value.is_empty() {
                    cookies.remove(name);
                } else {
                    cookies.insert(name.to_string(), value.to_string());
                }
            }
            match answer.headers().get("location") {
                Some(location) if answer.status().is_redirection() => {
                    url = url.join(location.to_str().unwrap()).unwrap();
                }
                _ => return (url.to_string(), answer.text().await.unwrap()),
            }
        }
        panic!("too many redirects from {url}");
    }
}

/// The example's pattern: the shop's session starts in the browser that
/// logged in, and nobody else is greeted as that person.
#[tokio::test]
async fn the_example_shop_greets_only_the_browser_that_logged_in() {
    let sim = Simulator::new().spawn_local().await.unwrap();
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    let options = Options {
        test_identities: options().test_identities,
        ..Options::default()
    };
    let secret = identisure::callback::CallbackSecret::new(DEMO_SECRET_KEY);
    let app = axum_login::shop(client, options, secret);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let (mine, other) = (Browser::new(), Browser::new());
    let home = format!("{url}/");
    assert!(mine.go(&home, None).await.1.contains("Log in"));
    // Log in with BankID (the simulator completes it), from the start page.
    let (_, start_page) = mine.go(&format!("{url}/login"), None).await;
    let token = form_token(&start_page);
    let form = [
        ("provider", "bankid-se"),
        ("lang", "en"),
        ("test_identity", "sim:complete"),
        ("csrf", token.as_str()),
    ];
    let (waiting, _) = mine.go(&format!("{url}/login/start"), Some(&form)).await;
    assert!(waiting.contains("/login/login/"), "{waiting}");
    // The page's script goes to the result when done: there the shop's
    // session starts and the browser lands on the home page.
    let mut landed = String::new();
    for _ in 0..100 {
        let (at, body) = mine.go(&format!("{waiting}/result"), None).await;
        if at == home {
            landed = body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(landed.contains("Logged in as Astrid Lindqvist"), "{landed}");
    assert!(
        mine.go(&home, None)
            .await
            .1
            .contains("Logged in as Astrid Lindqvist")
    );
    // Another visitor is not.
    let theirs = other.go(&home, None).await.1;
    assert!(
        theirs.contains("Log in") && !theirs.contains("Astrid"),
        "{theirs}"
    );
    // Logging out ends the session.
    let (_, out) = mine.go(&format!("{url}/logout"), Some(&[])).await;
    assert!(out.contains("Log in") && !out.contains("Astrid"), "{out}");
}

/// Event streams are bounded per login; a closed one frees its place.
#[tokio::test]
async fn event_streams_per_login_are_bounded() {
    let app = app_with(Simulator::new(), options()).await;
    let path = app.start(MANUAL_BANKID).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        let answer = app.get(&format!("{path}/events")).await;
        assert_eq!(answer.status(), 200);
        open.push(answer);
    }
    let refused = app.get(&format!("{path}/events")).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "5");
    // All open streams show the same frame for the same second.
    let mut frames = Vec::new();
    for answer in open.iter_mut().take(2) {
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(2500);
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, answer.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        frames.push(qr_events(&text));
    }
    let same_second = frames[0].iter().find_map(|(s, svg)| {
        frames[1]
            .iter()
            .find(|(t, _)| t == s)
            .map(|(_, other)| (svg, other))
    });
    let (a, b) = same_second.expect("both streams saw a common second");
    assert_eq!(a, b);
    drop(open);
    let mut reopened = 0;
    for _ in 0..50 {
        if app.get(&format!("{path}/events")).await.status() == 200 {
            reopened += 1;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reopened, 1, "a place frees when a stream closes");
}

/// Under https (`public_url`), the login's cookie is a `__Host-` cookie
/// (host-only, `Secure`, `Path=/`), which a sibling domain or a plain-http
/// page cannot plant: a cookie of the same value without the prefix (tossed
/// in by another site) opens nothing.
#[tokio::test]
async fn under_https_the_login_cookie_cannot_be_tossed() {
    let options = Options {
        bind_to_browser: true,
        public_url: Some("https://login.example.com".into()),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let answer = app
        .start_request(MANUAL_BANKID)
        .await
        // The page's own origin, as the browser sends it.
        .header("origin", "https://login.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let path = answer.headers()["location"].to_str().unwrap().to_string();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-identisure-login-"), "{cookie}");
    assert!(
        cookie.contains("; Path=/;") && cookie.contains("; Secure"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    assert_eq!(Jar(pair.clone()).get(&app, &path).await.status(), 200);
    let tossed = pair.trim_start_matches("__Host-").to_string();
    assert_eq!(Jar(tossed).get(&app, &path).await.status(), 403);
}

/// The return URL of a redirect provider opens its login once: a second
/// use (a leaked URL, replayed in the same browser) is refused.
#[tokio::test]
async fn the_return_key_is_single_use() {
    let hooked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = app_with(Simulator::new(), bound_options(&hooked)).await;
    let (browser, _path, link) = redirect_login(&app).await;
    let back = app.on_provider_page(&link, "approve").await;
    assert_eq!(browser.get(&app, &back).await.status(), 303);
    let again = browser.get(&app, &back).await;
    assert_eq!(again.status(), 403);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("link back from the provider")
    );
}

/// `on_login` runs to its end once: a browser that goes away while the hook
/// runs (its request dropped) gets the hook again on its next request.
#[tokio::test]
async fn a_login_hook_cut_short_runs_again() {
    use axum::response::IntoResponse as _;
    let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = started.clone();
    let options = Options {
        bind_to_browser: true,
        on_login: Some(std::sync::Arc::new(
            move |_login: identisure_web::LoggedIn| {
                let first = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
                Box::pin(async move {
                    if first {
                        // The first run is slow: its browser gives up before it ends.
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    Some(axum::response::Redirect::to("/app").into_response())
                })
            },
        )),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let answer = app
        .post_start(&[
            ("provider", "bankid-se"),
            ("lang", "en"),
            ("test_identity", "sim:complete"),
        ])
        .await;
    let path = answer.headers()["location"].to_str().unwrap().to_string();
    let jar = Jar(answer.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string());
    // Wait (bounded) until the login shows completed, then give up mid-hook.
    let impatient = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    for _ in 0..100 {
        let r = impatient
            .get(format!("{}{path}/result", app.url))
            .header("cookie", &jar.0)
            .send()
            .await;
        if r.is_err() {
            break; // the hook was running when the browser went away
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 1);
    // The next request runs the hook again, to its end.
    let again = jar.get(&app, &format!("{path}/result")).await;
    assert_eq!(again.status(), 303);
    assert_eq!(again.headers()["location"], "/app");
    assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 2);
    // And never after.
    let third = jar.get(&app, &format!("{path}/result")).await;
    assert_eq!(third.status(), 200);
    assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// One IPv6 /48 (65,536 /64s) cannot fill the page: its /64s count
/// together, and room is kept for clients without a login in progress.
#[tokio::test]
async fn one_network_flooding_from_many_addresses_is_bounded() {
    let options = Options {
        max_logins: 1000,
        max_logins_per_client: 2,
        client_key: Some(x_client()),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let flood = |net: &'static str, spread: u32| {
        let app = &app;
        async move {
            let mut statuses = Vec::new();
            for i in 0..40u32 {
                let client = format!("{net}:{:x}::/64", i << spread);
                statuses.push(start_as(app, &client).await.status().as_u16());
            }
            statuses
        }
    };
    // /64s of one /56 count together: 4 × max_logins_per_client = 8.
    let statuses = flood("2001:db8:76", 0).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        8,
        "{statuses:?}"
    );
    // /56s of one /48 count together: 8 × max_logins_per_client = 16.
    let statuses = flood("2001:db8:77", 8).await;
    let ok = statuses.iter().filter(|s| **s == 303).count();
    assert_eq!(ok, 16, "{statuses:?}");
    assert!(statuses[16..].iter().all(|s| *s == 429), "{statuses:?}");
    // Someone on another network still logs in.
    assert_eq!(start_as(&app, "2001:db8:99:1::/64").await.status(), 303);
    assert_eq!(start_as(&app, "192.0.2.10").await.status(), 303);
}

/// A redirect login approved upstream but never returned to holds its
/// place only a short while (a fifth of the timeout, at most a minute):
/// it ends as "never came back" long before the timeout.
#[tokio::test]
async fn an_approved_login_nobody_returns_to_ends_soon() {
    let options = Options {
        bind_to_browser: true,
        timeout: Duration::from_secs(20),
        ..options()
    };
    let app = app_with(Simulator::new(), options).await;
    let (browser, path, link) = redirect_login(&app).await;
    let _ = app.on_provider_page(&link, "approve").await;
    // Nobody comes back. Bounded by half the timeout: the hold is 4 s.
    let mut ended = String::new();
    for _ in 0..100 {
        let r = browser.get(&app, &format!("{path}/result")).await;
        if r.status() == 200 {
            ended = r.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended.contains("never came back"), "{ended}");
}

/// Behind a proxy every start has the proxy's address: `behind_proxies`
/// names the client from `X-Forwarded-For` (only for the proxies given),
/// and a router counting by the proxy's address says so in its log.
#[tokio::test(flavor = "current_thread")]
async fn behind_a_proxy_clients_are_told_apart() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let counted_by_proxy = Options {
        client_key: Options::default().client_key,
        max_logins_per_client: 2,
        ..options()
    };
    let app = app_with(Simulator::new(), counted_by_proxy).await;
    let mut statuses = Vec::new();
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let status = app
            .start_request(MANUAL_BANKID)
            .await
            .header("x-forwarded-for", client)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        statuses.push(status);
    }
    assert_eq!(statuses, [303, 303, 429], "one bound for everyone");
    let warned = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(warned.matches("behind_proxies").count(), 1, "{warned}");

    let proxied = Options {
        client_key: Some(identisure_web::behind_proxies(["127.0.0.1"
            .parse()
            .unwrap()])),
        max_logins_per_client: 2,
        ..options()
    };
    let app = app_with(Simulator::new(), proxied).await;
    let mut statuses = Vec::new();
    for client in [
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.3",
        "198.51.100.1",
        "198.51.100.1",
    ] {
        let status = app
            .start_request(MANUAL_BANKID)
            .await
            // A client's own forged entry first; the proxy appends the real one.
            .header("x-forwarded-for", format!("10.9.9.9, {client}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [303, 303, 303, 303, 429],
        "each client its own bound"
    );
}
