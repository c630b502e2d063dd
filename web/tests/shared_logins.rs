//! Two web login instances sharing their logins through a real Redis,
//! behind a round-robin TCP proxy (each request on a new connection, so
//! consecutive requests of one browser reach different instances), against
//! one simulator: a Swedish BankID QR login and a Vipps redirect login
//! complete, `on_login` runs once, and a login outlives the instance that
//! started it (killed right after the start: its runtime and every task of
//! it dropped).
//!
//! Needs `redis-server` (skipped with a message without it, unless
//! `IDENTISURE_REQUIRE_REDIS=1`, as `.ci/redis.sh` sets).
#![cfg(feature = "redis")]

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;
#[path = "support/round_robin.rs"]
mod round_robin;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use identisure::messages::Lang;
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator};
use identisure_web::{Options, SharedLogins, TestChoice};
use redis_server::RedisServer;
use round_robin::{Browser, Proxy, provider_link, proxy, qr_events};

/// One instance: a router on its own runtime and thread; `kill` drops the
/// runtime with everything running on it (as a process killed mid-login).
struct Instance {
    addr: std::net::SocketAddr,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Instance {
    fn start(redis: String, sim: String, public_url: String, hooks: Arc<AtomicUsize>) -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let shared = SharedLogins::connect(&redis).await.unwrap();
                let client = identisure::Client::builder()
                    .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
                    .base_url(&sim)
                    .build()
                    .unwrap();
                let options = Options {
                    default_lang: Lang::En,
                    public_url: Some(public_url),
                    client_key: None,
                    test_identities: identisure_simulator::test_identities()
                        .into_iter()
                        .map(|t| TestChoice {
                            label: t.name().to_string(),
                            ref_id: t.ref_id(),
                        })
                        .collect(),
                    on_login: Some(Arc::new(move |_| {
                        let hooks = hooks.clone();
                        Box::pin(async move {
                            hooks.fetch_add(1, Ordering::SeqCst);
                            None
                        })
                    })),
                    shared: Some(shared),
                    ..Options::default()
                };
                let router = identisure_web::router(client, options);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready_tx.send(listener.local_addr().unwrap()).unwrap();
                let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
                tokio::select! {
                    _ = axum::serve(listener, service) => {}
                    _ = kill_rx => {}
                }
            });
            // Dropping the runtime drops every task of this instance.
            drop(runtime);
        });
        let addr = ready_rx.recv().unwrap();
        Self {
            addr,
            kill: Some(kill_tx),
            thread: Some(thread),
        }
    }

    fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Setup {
    _redis: RedisServer,
    _sim: identisure_simulator::RunningSimulator,
    sim_url: String,
    instances: [Instance; 2],
    proxy: Proxy,
    hooks: Arc<AtomicUsize>,
}

async fn setup() -> Option<Setup> {
    let redis = RedisServer::start()?;
    let sim = Simulator::new().spawn_local().await.unwrap();
    let sim_url = sim.url().to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let hooks = Arc::new(AtomicUsize::new(0));
    let start = |hooks: &Arc<AtomicUsize>| {
        Instance::start(
            redis.url(),
            sim_url.clone(),
            public_url.clone(),
            hooks.clone(),
        )
    };
    let instances = [start(&hooks), start(&hooks)];
    let proxy = proxy(listener, [instances[0].addr, instances[1].addr]).await;
    Some(Setup {
        _redis: redis,
        _sim: sim,
        sim_url,
        instances,
        proxy,
        hooks,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bankid_qr_login_completes_across_two_instances_and_on_login_runs_once() {
    let Some(setup) = setup().await else { return };
    let mut browser = Browser::new(&setup.proxy.url);
    let path = browser
        .start(&[
            ("provider", "bankid-se"),
            ("lang", "en"),
            ("test_identity", "sim:complete"),
        ])
        .await;
    // The waiting page and its QR frames from the other instance (the
    // proxy alternates): it rebuilt the animated QR from Redis.
    let page = browser.get(&path).await;
    assert_eq!(page.status(), 200);
    assert!(qr_events(&mut browser, &path, Duration::from_millis(1500)).await >= 1);
    let html = browser.result(&path).await;
    assert!(html.contains("Welcome,"), "{html}");
    // Asked again (the other instance): on_login ran once in all.
    let again = browser.get(&format!("{path}/result")).await;
    assert_eq!(again.status(), 200);
    assert_eq!(setup.hooks.load(Ordering::SeqCst), 1);
    let counts: Vec<usize> = setup
        .proxy
        .counts
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .collect();
    assert!(
        counts.iter().all(|n| *n >= 2),
        "both instances served: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_login_returns_through_either_instance() {
    let Some(setup) = setup().await else { return };
    let mut browser = Browser::new(&setup.proxy.url);
    let path = browser
        .start(&[("provider", "vipps"), ("lang", "en")])
        .await;
    let page = browser.get(&path).await.text().await.unwrap();
    let link = provider_link(&page);
    assert!(
        link.starts_with(&format!("{}/sim/approve/", setup.sim_url)),
        "{link}"
    );
    // Approve on the provider's page: it sends the browser back.
    let approved = browser
        .http
        .post(&link)
        .form(&[("action", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303);
    let back = approved.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(&setup.proxy.url), "{back}");
    let answer = browser.get(&back).await;
    assert_eq!(answer.status(), 303, "{:?}", answer.text().await);
    // The key opens the login once, whichever instance is asked.
    let reused = browser.get(&back).await;
    assert_eq!(reused.status(), 403);
    let html = browser.result(&path).await;
    assert!(html.contains("Welcome,"), "{html}");
    assert_eq!(setup.hooks.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_outlives_the_instance_that_started_it() {
    let Some(mut setup) = setup().await else {
        return;
    };
    let mut browser = Browser::new(&setup.proxy.url);
    let path = browser
        .start(&[
            ("provider", "bankid-se"),
            ("lang", "en"),
            ("test_identity", "sim:complete"),
        ])
        .await;
    // The start went to one instance (the proxy's first connection after
    // the start page's went to the other): kill the one that started it.
    let started_on = if setup.proxy.counts[1].load(Ordering::SeqCst) >= 1 {
        1
    } else {
        0
    };
    setup.instances[started_on].kill();
    let html = browser.result(&path).await;
    assert!(html.contains("Welcome,"), "{html}");
    assert_eq!(setup.hooks.load(Ordering::SeqCst), 1);
}
