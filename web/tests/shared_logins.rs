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

#[path = "support/instances.rs"]
mod instances;
#[path = "../../tests/support/redis_server.rs"]
mod redis_server;
#[path = "support/round_robin.rs"]
mod round_robin;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use identisure_simulator::Simulator;
use instances::Instance;
use redis_server::RedisServer;
use round_robin::{Browser, Proxy, provider_link, proxy, qr_events};

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

/// The bound per client counts the starts of every instance: a client that
/// started its two logins on one instance is refused on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bound_per_client_counts_the_starts_of_every_instance() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = Simulator::new().spawn_local().await.unwrap();
    let public_url = "http://127.0.0.1:9".to_string();
    let start = || Instance::bounded(redis.url(), sim.url().to_string(), public_url.clone(), 2);
    let (a, b) = (start(), start());
    let manual = [
        ("provider", "bankid-se"),
        ("lang", "en"),
        ("test_identity", "sim:manual"),
    ];
    let mut on_a = Browser::new(&format!("http://{}", a.addr));
    on_a.start(&manual).await;
    on_a.start(&manual).await;
    let mut on_b = Browser::new(&format!("http://{}", b.addr));
    let refused = on_b.post_start(&manual).await;
    assert_eq!(refused.status(), 429, "{:?}", refused.text().await);
}
