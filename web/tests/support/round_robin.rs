//! Two instances of a web login behind one address, for the tests of
//! logins shared across instances: a round-robin TCP proxy on 127.0.0.1
//! and a browser-like client (cookies kept, a new connection per request,
//! so that consecutive requests reach different instances).

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A round-robin TCP proxy on 127.0.0.1: each connection goes to the next
/// backend that accepts it. Counts the connections each backend got.
pub struct Proxy {
    pub url: String,
    pub counts: Arc<[AtomicUsize; 2]>,
}

pub async fn proxy(
    listener: tokio::net::TcpListener,
    backends: [std::net::SocketAddr; 2],
) -> Proxy {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let counts: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let served = counts.clone();
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut chosen = None;
            for i in 0..2 {
                let b = (next + i) % 2;
                if let Ok(out) = tokio::net::TcpStream::connect(backends[b]).await {
                    chosen = Some((b, out));
                    break;
                }
            }
            next += 1;
            let Some((b, mut outbound)) = chosen else {
                continue;
            };
            served[b].fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    Proxy { url, counts }
}

/// A browser: cookies kept by hand, a new connection per request.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookies: Vec<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let http = identisure::http_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        Self {
            http,
            base: base.to_string(),
            cookies: Vec::new(),
        }
    }

    pub fn keep_cookies(&mut self, answer: &reqwest::Response) {
        for value in answer.headers().get_all("set-cookie") {
            let pair = value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let name = pair.split('=').next().unwrap().to_string();
            self.cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            self.cookies.push(pair);
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.base)
        };
        let answer = self
            .http
            .get(url)
            .header("cookie", self.cookies.join("; "))
            .send()
            .await
            .unwrap();
        self.keep_cookies(&answer);
        answer
    }

    /// Posts the start form (with the start page's form token); the
    /// waiting page's path.
    pub async fn start(&mut self, form: &[(&str, &str)]) -> String {
        let answer = self.post_start(form).await;
        assert_eq!(answer.status(), 303, "{:?}", answer.text().await);
        answer.headers()["location"].to_str().unwrap().to_string()
    }

    /// Posts the start form (with the start page's form token); the answer.
    pub async fn post_start(&mut self, form: &[(&str, &str)]) -> reqwest::Response {
        let page = self.get("/").await.text().await.unwrap();
        let token = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        let mut form: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.push(("csrf".into(), token));
        let answer = self
            .http
            .post(format!("{}/start", self.base))
            .header("cookie", self.cookies.join("; "))
            .form(&form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&answer);
        answer
    }

    /// The result page, once the login ended (polled).
    pub async fn result(&mut self, path: &str) -> String {
        for _ in 0..200 {
            let answer = self.get(&format!("{path}/result")).await;
            if answer.status() == 200 {
                return answer.text().await.unwrap();
            }
            assert_eq!(answer.status(), 303, "{path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no result for {path}");
    }
}

/// The `qr` events of an event stream read for `window`.
pub async fn qr_events(browser: &mut Browser, path: &str, window: Duration) -> usize {
    let mut answer = browser.get(&format!("{path}/events")).await;
    assert_eq!(answer.status(), 200);
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, answer.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text.matches("event: qr").count()
}

/// The `href` of a redirect provider's button on the waiting page.
pub fn provider_link(page: &str) -> String {
    let start = page
        .find("id=\"provider-link\" class=\"button\" href=\"")
        .unwrap_or_else(|| panic!("no provider link: {page}"));
    page[start..]
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}
