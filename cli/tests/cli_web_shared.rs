//! Two `identisure demo --web` processes sharing one Redis and one
//! simulator (`identisure simulate`, a third process), behind a
//! round-robin TCP proxy: a Swedish BankID login and a Vipps redirect
//! login complete, also when the process that started the login is killed
//! right after the start.
//!
//! Needs `redis-server` (skipped with a message without it, unless
//! `IDENTISURE_REQUIRE_REDIS=1`, as `.ci/redis.sh` sets).

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;
#[path = "../../web/tests/support/round_robin.rs"]
mod round_robin;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use redis_server::{RedisServer, free_port};
use round_robin::{Browser, provider_link, proxy, qr_events};

const BIN: &str = env!("CARGO_BIN_EXE_identisure");

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `identisure` with `args` and waits for the stdout line starting
/// with `ready`; returns the process and the rest of that line.
fn spawn(args: &[&str], ready: &str) -> (Process, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.starts_with(ready))
        .unwrap_or_else(|| panic!("`identisure {}` never printed {ready:?}", args.join(" ")));
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (process, line[ready.len()..].trim().to_string())
}

struct Setup {
    _redis: RedisServer,
    _sim: Process,
    sim_url: String,
    instances: Vec<Process>,
    proxy: round_robin::Proxy,
}

async fn setup() -> Option<Setup> {
    let redis = RedisServer::start()?;
    let (sim, sim_url) = spawn(
        &["simulate", "--addr", "127.0.0.1:0", "--step-ms", "300"],
        "Identisure simulator listening on ",
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let mut instances = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..2 {
        let addr = format!("127.0.0.1:{}", free_port());
        let (process, page) = spawn(
            &[
                "demo",
                "--web",
                "--addr",
                &addr,
                "--public-url",
                &public_url,
                "--base-url",
                &sim_url,
                "--redis",
                &redis.url(),
            ],
            "Login page: ",
        );
        assert_eq!(page, format!("{public_url}/"));
        instances.push(process);
        addrs.push(addr.parse().unwrap());
    }
    let proxy = proxy(listener, [addrs[0], addrs[1]]).await;
    Some(Setup {
        _redis: redis,
        _sim: sim,
        sim_url,
        instances,
        proxy,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_complete_a_bankid_login_and_a_vipps_login() {
    let Some(setup) = setup().await else { return };
    let mut browser = Browser::new(&setup.proxy.url);
    let path = browser
        .start(&[("provider", "bankid-se"), ("lang", "en")])
        .await;
    assert!(qr_events(&mut browser, &path, std::time::Duration::from_millis(1500)).await >= 1);
    let html = browser.result(&path).await;
    assert!(html.contains("Welcome,"), "{html}");

    let path = browser
        .start(&[("provider", "vipps"), ("lang", "en")])
        .await;
    let page = browser.get(&path).await.text().await.unwrap();
    let link = provider_link(&page);
    assert!(
        link.starts_with(&format!("{}/sim/approve/", setup.sim_url)),
        "{link}"
    );
    let approved = browser
        .http
        .post(&link)
        .form(&[("action", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303);
    let back = approved.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(browser.get(&back).await.status(), 303);
    let html = browser.result(&path).await;
    assert!(html.contains("Welcome,"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_outlives_the_process_that_started_it() {
    let Some(mut setup) = setup().await else {
        return;
    };
    let mut browser = Browser::new(&setup.proxy.url);
    let path = browser
        .start(&[("provider", "bankid-se"), ("lang", "en")])
        .await;
    // The start page came from the first process, the start from the
    // second (the proxy alternates): kill the second.
    assert_eq!(
        setup.proxy.counts[1].load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    drop(setup.instances.remove(1));
    let html = browser.result(&path).await;
    assert!(html.contains("Welcome,"), "{html}");
}
