//! The web login end to end in headless Chromium, driven over WebDriver
//! (chromedriver) with the crate's own HTTP client.
//!
//! Skipped, with a printed reason, when Chromium or ChromeDriver is missing;
//! set `IDENTISURE_BROWSER_TEST=required` (as `.ci/browser.sh` does) to make
//! a missing browser a failure instead. `IDENTISURE_SCREENSHOTS=<dir>` saves
//! a PNG of every screen there (never inside the repository).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use identisure::messages::Lang;
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, RunningSimulator, Simulator};
use identisure_web::{Options, TestChoice};
use serde_json::{Value, json};

#[cfg(feature = "redis")]
#[path = "support/instances.rs"]
mod instances;
#[cfg(feature = "redis")]
#[path = "../../tests/support/redis_server.rs"]
mod redis_server;
#[cfg(feature = "redis")]
#[path = "support/round_robin.rs"]
mod round_robin;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        let path = PathBuf::from(path);
        return path.exists().then_some(path);
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
    session: String,
    shots: Option<PathBuf>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Chromium under ChromeDriver, with `extra` command-line flags.
    async fn launch(chromium: PathBuf, chromedriver: PathBuf, extra: &[&str]) -> Driver {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let http = identisure::http_client_builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut driver = Driver {
            child,
            url,
            http,
            _profile: profile,
            session: String::new(),
            shots: std::env::var_os("IDENTISURE_SCREENSHOTS").map(PathBuf::from),
        };
        // Wait (bounded) for chromedriver to listen.
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                && r.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start");
        let profile_arg = format!("--user-data-dir={}", driver._profile.path().display());
        let mut args = vec![
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=420,900",
            &profile_arg,
        ];
        args.extend_from_slice(extra);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": args,
            },
        }}});
        let answer = driver.call("POST", "/session", caps).await;
        driver.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        driver
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.url);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    async fn session_call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.call(method, &path, body).await
    }

    async fn goto(&self, url: &str) {
        self.session_call("POST", "/url", json!({ "url": url }))
            .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    async fn click(&self, css: &str) {
        let found = self
            .session_call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        let id = found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string();
        self.session_call("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }

    /// Polls `script` until it returns something truthy; bounded.
    async fn wait_for(&self, what: &str, script: &str, limit: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let v = self.js(script).await;
            let truthy = match &v {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                let text = self
                    .js("return document.body ? document.body.innerText : ''")
                    .await;
                panic!("timed out waiting for {what}; page says: {text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        let png = self.session_call("GET", "/screenshot", Value::Null).await;
        if let Some(data) = png.as_str()
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data)
        {
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), bytes);
        }
    }

    async fn text(&self) -> String {
        self.js("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

async fn serve() -> (String, RunningSimulator) {
    let sim = Simulator::new().spawn_local().await.unwrap();
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .unwrap();
    let options = Options {
        default_lang: Lang::En,
        test_identities: identisure_simulator::test_identities()
            .into_iter()
            .map(|t| TestChoice {
                label: format!("{} ({})", t.name(), t.person().name()),
                ref_id: t.ref_id(),
            })
            .collect(),
        prefill_personal_number: Some("198704122384".into()),
        ..Options::default()
    };
    let router = identisure_web::router(client, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, sim)
}

/// Fills the start form and submits it.
async fn start(d: &Driver, url: &str, provider: &str, scenario: &str, lang: &str) {
    d.goto(&format!("{url}/?lang={lang}")).await;
    d.wait_for(
        "the start page",
        "return document.getElementById('continue') !== null",
        Duration::from_secs(10),
    )
    .await;
    let script = format!(
        "document.getElementById('provider-{provider}').checked = true;\
         document.getElementById('test_identity').value = '{scenario}';\
         document.getElementById('lang').value = '{lang}'; return true;"
    );
    d.js(&script).await;
    d.click("#continue").await;
}

const QR_FRAME: &str = "var q = document.getElementById('qr'); return q && q.querySelector('svg') ? q.getAttribute('data-frame') + '|' + q.innerHTML.length + '|' + q.innerHTML.slice(-400) : null";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_page_in_headless_chromium() {
    let Some((chromium, chromedriver)) = browser("login_page_in_headless_chromium") else {
        return;
    };
    let (url, sim) = serve().await;
    let d = Driver::launch(chromium, chromedriver, &[]).await;
    let wait = Duration::from_secs(15);

    // 1. The page loads.
    d.goto(&format!("{url}/?lang=en")).await;
    let title = d.wait_for("the title", "return document.title", wait).await;
    assert_eq!(title, "Log in");
    let providers = d
        .js("return document.querySelectorAll('input[name=provider]').length")
        .await;
    assert_eq!(providers, 6);
    d.shot("1-start").await;

    // 2. BankID: the QR code changes within two seconds; hint and autostart link.
    start(&d, &url, "bankid-se", "sim:manual", "en").await;
    let first = d.wait_for("the QR code", QR_FRAME, wait).await;
    let status = d
        .wait_for(
            "the hint",
            "return document.getElementById('status').textContent",
            wait,
        )
        .await;
    assert_eq!(status, "Start your BankID app and scan the QR code.");
    let link = d
        .js("return document.getElementById('autostart').getAttribute('href')")
        .await;
    assert!(
        link.as_str()
            .unwrap()
            .starts_with("bankid:///?autostarttoken="),
        "{link}"
    );
    d.shot("2-bankid-qr").await;
    let changed = format!(
        "var q = document.getElementById('qr'); var now = q.getAttribute('data-frame') + '|' + q.innerHTML.length + '|' + q.innerHTML.slice(-400); return now !== {} ? now : null",
        serde_json::to_string(&first).unwrap()
    );
    d.wait_for("a new QR frame", &changed, Duration::from_secs(2))
        .await;

    // 3. Cancelling shows the cancel message.
    d.click("#cancel").await;
    d.wait_for(
        "the cancel page",
        "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'cancelled'",
        wait,
    )
    .await;
    let text = d.text().await;
    assert!(
        text.contains("Login cancelled") && text.contains("Action cancelled."),
        "{text}"
    );
    d.shot("3-cancelled").await;

    // 4. Letting BankID complete (default test identity) shows the name; Swedish texts.
    start(&d, &url, "bankid-se", "", "sv").await;
    let status = d.wait_for("the hint", "return document.getElementById('status') && document.getElementById('status').textContent", wait).await;
    assert!(status.as_str().unwrap().contains("BankID"), "{status}");
    d.wait_for(
        "the welcome page",
        "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'completed'",
        wait,
    )
    .await;
    let text = d.text().await;
    assert!(text.contains("Välkommen, Astrid Lindqvist"), "{text}");
    d.shot("4-bankid-welcome-sv").await;

    // 5. A redirect provider: approve on the simulator's page, come back, see the name.
    start(&d, &url, "vipps", "sim:manual", "en").await;
    d.wait_for(
        "the provider link",
        "return document.getElementById('provider-link') !== null",
        wait,
    )
    .await;
    d.shot("5-vipps-waiting").await;
    d.click("#provider-link").await;
    d.wait_for(
        "the approval page",
        "return document.querySelector('button.approve') !== null",
        wait,
    )
    .await;
    d.shot("6-simulator-approval").await;
    d.click("button.approve").await;
    d.wait_for(
        "the welcome page",
        "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'completed'",
        wait,
    )
    .await;
    let text = d.text().await;
    assert!(text.contains("Welcome, Ingrid Haugen"), "{text}");
    d.shot("7-vipps-welcome").await;

    // 6. Cancelling on the provider's page shows the cancel message.
    start(&d, &url, "mitid", "sim:manual", "en").await;
    d.wait_for(
        "the provider link",
        "return document.getElementById('provider-link') !== null",
        wait,
    )
    .await;
    d.click("#provider-link").await;
    d.wait_for(
        "the approval page",
        "return document.querySelector('button.cancel') !== null",
        wait,
    )
    .await;
    d.click("button.cancel").await;
    d.wait_for(
        "the cancel page",
        "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'cancelled'",
        wait,
    )
    .await;
    let text = d.text().await;
    assert!(text.contains("The login was cancelled."), "{text}");

    // 7. Freja: the QR code of qrData, then the name.
    start(&d, &url, "freja", "", "en").await;
    d.wait_for(
        "the Freja QR",
        "var q = document.getElementById('qr'); return q && q.querySelector('svg') !== null",
        wait,
    )
    .await;
    d.shot("8-freja-qr").await;
    d.wait_for(
        "the welcome page",
        "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'completed'",
        wait,
    )
    .await;
    assert!(d.text().await.contains("Welcome, Astrid Lindqvist"));

    // 8. A failure: the message of the hint.
    start(&d, &url, "bankid-se", "sim:auth-failed", "en").await;
    d.wait_for(
        "the failure page",
        "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'failed'",
        wait,
    )
    .await;
    let text = d.text().await;
    assert!(
        text.contains("Login failed") && text.contains("blocked or too old"),
        "{text}"
    );
    d.shot("9-failed").await;

    // 9. A relayed provider link: the victim approves in their own browser,
    // the relayer's browser never sees the person.
    start(&d, &url, "vipps", "sim:manual", "en").await;
    let link = d
        .wait_for(
            "the provider link",
            "var a = document.getElementById('provider-link'); return a && a.href",
            wait,
        )
        .await;
    let relayer_page = d.js("return location.href").await;
    let (chromium, chromedriver) = programs().expect("found above");
    let victim = Driver::launch(chromium, chromedriver, &[]).await;
    victim.goto(link.as_str().unwrap()).await;
    victim
        .wait_for(
            "the approval page",
            "return document.querySelector('button.approve') !== null",
            wait,
        )
        .await;
    victim.click("button.approve").await;
    victim
        .wait_for(
            "the victim's return refused",
            "return document.body && document.body.innerText.indexOf('started in another browser') >= 0",
            wait,
        )
        .await;
    victim.shot("10-relay-victim-refused").await;
    victim.session_call("DELETE", "", Value::Null).await;
    drop(victim);
    d.wait_for(
        "the relayer's page waiting for a return",
        "var s = document.getElementById('status'); return s && s.textContent.indexOf('come back') >= 0",
        wait,
    )
    .await;
    d.goto(relayer_page.as_str().unwrap()).await;
    d.wait_for(
        "the reloaded waiting page",
        "return document.readyState === 'complete'",
        wait,
    )
    .await;
    let text = d.text().await;
    assert!(
        !text.contains("Welcome") && !text.contains("Ingrid"),
        "the relayer's browser shows the victim: {text}"
    );
    d.shot("11-relay-relayer-waits").await;

    // 10. Login CSRF: a page on another site posts the start form.
    let before = sim.session_count();
    let attacker = attacker_site(&url).await;
    d.goto(&attacker).await;
    d.wait_for(
        "the refusal of a cross-site start",
        "return document.body && document.body.innerText.indexOf('must be started from this page') >= 0",
        wait,
    )
    .await;
    assert_eq!(
        sim.session_count(),
        before,
        "no session was started upstream"
    );
    d.shot("12-cross-site-start-refused").await;

    assert_eq!(sim.rate_limit_violations(), 0);
    d.session_call("DELETE", "", Value::Null).await;
}

/// The HIGH finding of the web-login review, in a real browser: the router
/// without `public_url` (the default) reached under a name that is not this
/// machine's (here a name the browser resolves to 127.0.0.1, as an
/// attacker's DNS would) shows a refusal, offers no start form and starts
/// nothing upstream, even for a start posted by script; the same browser
/// under 127.0.0.1 gets the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_reaching_the_page_under_another_name_starts_nothing() {
    let Some((chromium, chromedriver)) =
        browser("a_browser_reaching_the_page_under_another_name_starts_nothing")
    else {
        return;
    };
    let (url, sim) = serve().await;
    let port = url.rsplit(':').next().unwrap().to_string();
    let d = Driver::launch(
        chromium,
        chromedriver,
        &[
            "--host-resolver-rules=MAP shop.attacker.example 127.0.0.1",
            // Plain http as typed, no https attempt first.
            "--disable-features=HttpsUpgrades",
        ],
    )
    .await;
    let wait = Duration::from_secs(15);
    let before = sim.session_count();

    let foreign = format!("http://shop.attacker.example:{port}");
    d.goto(&format!("{foreign}/?lang=en")).await;
    d.wait_for(
        "the refusal under a foreign name",
        "return document.body && document.body.innerText.indexOf('public_url') >= 0",
        wait,
    )
    .await;
    assert_eq!(
        d.js("return document.location.host").await,
        Value::String(format!("shop.attacker.example:{port}")),
        "the browser really used the foreign name"
    );
    assert_eq!(
        d.js("return document.getElementById('continue') === null")
            .await,
        Value::Bool(true),
        "no start form under a foreign name: {}",
        d.text().await
    );
    d.shot("20-foreign-host-refused").await;
    // A start posted under that name anyway (an attacker's script) is refused too.
    d.js(&format!(
        "document.body.innerText = '';\
         var f = document.createElement('form'); f.method = 'post'; f.action = '{foreign}/start';\
         for (const [k, v] of [['provider', 'bankid-no'], ['lang', 'en'], ['test_identity', '']]) {{\
           var i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }}\
         document.body.appendChild(f); f.submit(); return true;"
    ))
    .await;
    d.wait_for(
        "the refusal of the posted start",
        "return document.body && document.body.innerText.indexOf('public_url') >= 0",
        wait,
    )
    .await;
    assert_eq!(sim.session_count(), before, "nothing was started upstream");

    // The same browser, under this machine's name, gets the page.
    d.goto(&format!("{url}/?lang=en")).await;
    d.wait_for(
        "the start page under 127.0.0.1",
        "return document.getElementById('continue') !== null",
        wait,
    )
    .await;
    d.session_call("DELETE", "", Value::Null).await;
}

/// Two instances sharing their logins through Redis, behind a round-robin
/// proxy (every answer closes its connection, so the browser's requests
/// alternate between them): a BankID QR login and a Vipps redirect login
/// complete in the browser, each instance served part of them, and
/// `on_login` ran once per login.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_a_balancer_in_headless_chromium() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some((chromium, chromedriver)) =
        browser("two_instances_behind_a_balancer_in_headless_chromium")
    else {
        return;
    };
    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    let sim = Simulator::new().spawn_local().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hooks = Arc::new(AtomicUsize::new(0));
    let start_instance = || {
        instances::Instance::start(
            redis.url(),
            sim.url().to_string(),
            url.clone(),
            hooks.clone(),
        )
    };
    let (a, b) = (start_instance(), start_instance());
    let proxy = round_robin::proxy(listener, [a.addr, b.addr]).await;
    let d = Driver::launch(chromium, chromedriver, &[]).await;
    let wait = Duration::from_secs(20);
    let completed = "var r = document.getElementById('result'); return r && r.getAttribute('data-outcome') === 'completed'";

    start(&d, &url, "bankid-se", "sim:complete", "en").await;
    d.wait_for("the QR code", QR_FRAME, wait).await;
    d.shot("shared-1-bankid-qr").await;
    d.wait_for("the welcome page", completed, wait).await;
    assert!(d.text().await.contains("Welcome,"));

    start(&d, &url, "vipps", "sim:manual", "en").await;
    d.wait_for(
        "the provider link",
        "return document.getElementById('provider-link') !== null",
        wait,
    )
    .await;
    d.click("#provider-link").await;
    d.wait_for(
        "the approval page",
        "return document.querySelector('button.approve') !== null",
        wait,
    )
    .await;
    d.click("button.approve").await;
    d.wait_for("the welcome page", completed, wait).await;
    assert!(d.text().await.contains("Welcome, Ingrid Haugen"));
    d.shot("shared-2-vipps-welcome").await;

    let served: Vec<usize> = proxy
        .counts
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .collect();
    assert!(
        served.iter().all(|n| *n >= 3),
        "both instances served the browser: {served:?}"
    );
    assert_eq!(hooks.load(Ordering::SeqCst), 2, "on_login once per login");
    d.session_call("DELETE", "", Value::Null).await;
}

/// The browser for `test`, or `None` (the test skips, saying so) when it is
/// missing; with `IDENTISURE_BROWSER_TEST=required` (CI) a missing browser
/// fails the test instead.
fn browser(test: &str) -> Option<(PathBuf, PathBuf)> {
    let found = programs();
    if found.is_none() {
        let required = std::env::var("IDENTISURE_BROWSER_TEST").is_ok_and(|v| v == "required");
        assert!(
            !required,
            "IDENTISURE_BROWSER_TEST=required but Chromium/ChromeDriver is missing"
        );
        eprintln!(
            "skipping {test}: Chromium or ChromeDriver not found \
             (install chromium and chromium-driver, or set CHROMIUM / CHROMEDRIVER)"
        );
    }
    found
}

/// Chromium and ChromeDriver, from `CHROMIUM` / `CHROMEDRIVER` or Debian's paths.
fn programs() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program(
        "CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    )?;
    let chromedriver = find_program("CHROMEDRIVER", &["/usr/bin/chromedriver"])?;
    Some((chromium, chromedriver))
}

/// Serves, on another site (`localhost` rather than `127.0.0.1`), a page that
/// posts the login's start form as soon as it loads; returns its URL.
async fn attacker_site(login_url: &str) -> String {
    let page = format!(
        "<!doctype html><title>Win a prize</title>\
         <form id=f method=post action=\"{login_url}/start\">\
         <input name=provider value=bankid-se><input name=lang value=en>\
         <input name=test_identity value=\"\"></form>\
         <script>document.getElementById('f').submit()</script>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://localhost:{port}/")
}
