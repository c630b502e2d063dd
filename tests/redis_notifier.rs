//! The notifier shared through a real Redis (feature `redis`).
//!
//! Each test starts its own `redis-server` on a free 127.0.0.1 port
//! (`--save '' --appendonly no`). Without the binary the tests print why and
//! pass, unless `IDENTISURE_REQUIRE_REDIS=1` (set by `.ci/redis.sh`), which
//! makes a missing binary a failure.
#![cfg(all(feature = "redis", feature = "axum"))]

#[path = "../simulator/tests/simulator_support/mod.rs"]
mod simulator_support;
use simulator_support::{manual, until};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{RedisServer, free_port};

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use identisure::callback::{CallbackSecret, sign_callback};
use identisure::{Client, Notifier, Outcome, WaitOptions};
use simulator_support::{ACCOUNT, SECRET};

/// One instance of a service: a notifier on Redis, its callback route
/// served on 127.0.0.1, and a client using it. Returns the callback URL.
async fn instance(
    redis: &str,
    sim_url: &str,
    fallback: Duration,
    callback_url: Option<&str>,
) -> (Client, Notifier, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own_url = format!("http://{}/cb", listener.local_addr().unwrap());
    let notifier = Notifier::builder(CallbackSecret::new(SECRET))
        .fallback_poll_interval(fallback)
        .callback_url(callback_url.unwrap_or(&own_url))
        .unwrap()
        .connect_redis(redis)
        .await
        .unwrap();
    let router = notifier.router("/cb");
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(sim_url)
        .notifier(notifier.clone())
        .build()
        .unwrap();
    (client, notifier, own_url)
}

#[tokio::test]
async fn the_callback_received_by_one_instance_ends_the_wait_on_another() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = simulator_support::start().await;
    let (_client_b, notifier_b, url_b) =
        instance(&redis.url(), sim.url(), Duration::from_secs(60), None).await;
    // Instance A starts sessions whose callbacks the load balancer sends to B.
    let (client_a, notifier_a, _) = instance(
        &redis.url(),
        sim.url(),
        Duration::from_secs(60),
        Some(&url_b),
    )
    .await;
    let session = client_a.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    });
    until("A waits", || notifier_a.stats().waiting == 1).await;
    sim.complete_now(&id).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("ended through Redis, long before the 60 s fallback")
        .unwrap()
        .unwrap();
    assert!(matches!(outcome, Outcome::Completed(ref p) if p.id == id));
    assert!(sim.collect_log(&id).is_empty(), "no collect was needed");
    assert_eq!(notifier_b.stats().delivered, 1);
    assert_eq!(notifier_a.stats().delivered, 1);
    assert_eq!(notifier_a.stats().redis_connected, Some(true));
}

#[tokio::test]
async fn a_callback_that_reached_another_instance_before_the_wait_is_read_from_its_key() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = simulator_support::start().await;
    let (_b, notifier_b, url_b) =
        instance(&redis.url(), sim.url(), Duration::from_secs(60), None).await;
    let (client_a, notifier_a, _) = instance(
        &redis.url(),
        sim.url(),
        Duration::from_secs(60),
        Some(&url_b),
    )
    .await;
    let session = client_a.bankid_se().auth(manual()).await.unwrap();
    sim.complete_now(session.id()).unwrap();
    until("B got the callback", || notifier_b.stats().delivered == 1).await;
    // A keeps nothing for sessions it does not wait on: the key serves.
    assert_eq!(notifier_a.stats().kept, 0);
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("identisure:callback:{}", session.id());
    for _ in 0..500 {
        let exists: bool = redis::cmd("EXISTS")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        if exists {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=60).contains(&ttl), "the key expires (TTL {ttl})");
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        session.wait(WaitOptions::default()),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
    assert!(sim.collect_log(session.id()).is_empty());
}

#[tokio::test]
async fn a_forged_payload_written_to_redis_is_refused_by_the_receiving_instance() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = simulator_support::start().await;
    let (client_a, notifier_a, _) =
        instance(&redis.url(), sim.url(), Duration::from_secs(60), None).await;
    let session = client_a.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    });
    until("A waits", || notifier_a.stats().waiting == 1).await;
    // Someone with write access to Redis but without the account secret.
    let body = format!(r#"{{"id":"{id}","status":"FAILED","error":"CANCELLED"}}"#);
    let forged = sign_callback(&CallbackSecret::new("guess"), body.as_bytes());
    let payload = format!("{forged}\n{body}");
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("PUBLISH")
        .arg("identisure:callbacks")
        .arg(payload.as_bytes())
        .query_async(&mut conn)
        .await
        .unwrap();
    until("A refused it", || notifier_a.stats().rejected == 1).await;
    assert!(!waiting.is_finished());
    sim.complete_now(&id).unwrap();
    let outcome = waiting.await.unwrap().unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
}

#[tokio::test]
async fn redis_killed_and_restarted_during_waits() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let sim = simulator_support::start().await;
    let (_b, notifier_b, url_b) =
        instance(&redis.url(), sim.url(), Duration::from_secs(60), None).await;
    // A polls every second as a fallback; A2 would take a minute.
    let (client_a, notifier_a, _) = instance(
        &redis.url(),
        sim.url(),
        Duration::from_secs(1),
        Some(&url_b),
    )
    .await;
    let (client_a2, notifier_a2, _) = instance(
        &redis.url(),
        sim.url(),
        Duration::from_secs(60),
        Some(&url_b),
    )
    .await;
    let mut waits = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let session = client_a.bankid_se().auth(manual()).await.unwrap();
        ids.push(session.id().to_string());
        waits.push(tokio::spawn(async move {
            session.wait(WaitOptions::default()).await
        }));
    }
    until("A waits", || notifier_a.stats().waiting == 3).await;
    redis.kill();
    until("A notices", || {
        notifier_a.stats().redis_connected == Some(false)
    })
    .await;
    for id in &ids {
        sim.complete_now(id).unwrap();
    }
    for w in waits {
        let outcome = tokio::time::timeout(Duration::from_secs(30), w)
            .await
            .expect("the polling fallback ends the wait")
            .unwrap()
            .unwrap();
        assert!(matches!(outcome, Outcome::Completed(_)));
    }
    for id in &ids {
        assert!(!sim.collect_log(id).is_empty(), "ended by polling");
    }
    // Redis comes back on the same port: the notifiers reconnect by themselves.
    redis.spawn();
    until("A2 resubscribed", || {
        let s = notifier_a2.stats();
        s.redis_connected == Some(true) && s.redis_reconnects >= 1
    })
    .await;
    until("A resubscribed", || {
        notifier_a.stats().redis_reconnects >= 1
    })
    .await;
    let session = client_a2.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.wait(WaitOptions::default()).await }
    });
    until("A2 waits", || notifier_a2.stats().waiting == 1).await;
    sim.complete_now(&id).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("ended through Redis again")
        .unwrap()
        .unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)));
    assert!(sim.collect_log(&id).is_empty(), "no collect: through Redis");
    assert!(notifier_b.stats().delivered >= 4);
}

#[tokio::test]
async fn redis_absent_at_start_up_is_a_clear_error() {
    let port = free_port();
    let err = Notifier::builder(CallbackSecret::new(SECRET))
        .connect_redis(&format!("redis://:hunter2@127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("redis unavailable at 127.0.0.1:{port}")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "no password in errors: {text}");
}

/// The next line of the child that says READY or OUTCOME.
async fn next_marked(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    let mut other_lines = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(line)) if line.starts_with("READY") || line.starts_with("OUTCOME") => {
                return line;
            }
            Ok(Some(line)) => other_lines.push(line),
            other => panic!("child said nothing useful: {other:?} after {other_lines:?}"),
        }
    }
}

/// The waiting instance in its own process: this test binary started again
/// with `IDENTISURE_CHILD_WAITER` set (otherwise this test does nothing).
#[tokio::test]
async fn child_waiter() {
    let Ok(session_id) = std::env::var("IDENTISURE_CHILD_WAITER") else {
        return;
    };
    let redis = std::env::var("IDENTISURE_CHILD_REDIS").unwrap();
    let sim = std::env::var("IDENTISURE_CHILD_SIM").unwrap();
    let notifier = Notifier::builder(CallbackSecret::new(SECRET))
        .fallback_poll_interval(Duration::from_secs(60))
        .connect_redis(&redis)
        .await
        .unwrap();
    let client = Client::builder()
        .credentials(ACCOUNT, SECRET)
        .base_url(sim)
        .notifier(notifier.clone())
        .build()
        .unwrap();
    let session = client.bankid_se().auth_session(&session_id).unwrap();
    let waiting = tokio::spawn(async move { session.wait(WaitOptions::default()).await });
    until("the child waits", || notifier.stats().waiting == 1).await;
    // On a line of its own (libtest prints "test child_waiter ... " first).
    println!("\nREADY");
    match waiting.await.unwrap().unwrap() {
        Outcome::Completed(p) => println!("OUTCOME completed {}", p.id),
        Outcome::Failed { code, .. } => println!("OUTCOME failed {code}"),
    }
}

#[tokio::test]
async fn a_wait_in_another_process_ends_through_redis() {
    if std::env::var_os("IDENTISURE_CHILD_WAITER").is_some() {
        return;
    }
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sim = simulator_support::start().await;
    let (client, _notifier, _) =
        instance(&redis.url(), sim.url(), Duration::from_secs(60), None).await;
    let session = client.bankid_se().auth(manual()).await.unwrap();
    let id = session.id().to_string();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_waiter", "--nocapture", "--test-threads=1"])
        .env("IDENTISURE_CHILD_WAITER", &id)
        .env("IDENTISURE_CHILD_REDIS", redis.url())
        .env("IDENTISURE_CHILD_SIM", sim.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    assert_eq!(next_marked(&mut rx).await, "READY");
    sim.complete_now(&id).unwrap();
    assert_eq!(
        next_marked(&mut rx).await,
        format!("OUTCOME completed {id}")
    );
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(sim.collect_log(&id).is_empty(), "the child never collected");
}
