//! The web login's cost, with its logins in memory (the baseline) and
//! shared through Redis, measured in one run: `cargo xtask bench` (module
//! `web`) runs `cargo bench -p identisure-web --bench logins --features
//! redis -- [--quick]`.
//!
//! Each variant serves one router on 127.0.0.1 against an in-process
//! simulator, starts `N` logins that stay pending (the simulator's
//! `sim:manual` identity; 1,000, or 200 with `--quick`), then:
//! - counts the Redis commands the instance sends while the logins wait
//!   (a window of 5 s), per login in progress and second;
//! - asks for waiting pages of random logins (8 at a time), times them and
//!   counts the Redis commands per page.
//!
//! Keys (`_memory` / `_shared`): `web_logins_in_progress_*`,
//! `web_start_ms_p50_*`, `web_page_ms_p50_*`, `web_page_ms_p95_*`;
//! `web_page_p95_ratio` (shared / memory), `web_redis_commands_per_login_s`,
//! `web_redis_commands_per_page`. Without `redis-server` the shared
//! variant is skipped (said on stderr). Output: one line
//! `IDENTISURE-BENCH {json}` on stdout. Nothing here asserts on speed.

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator};
use identisure_web::{Options, SharedLogins, TestChoice};
use serde_json::{Value, json};

/// How long the logins wait while Redis's commands are counted.
const WINDOW: Duration = Duration::from_secs(5);

fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    (sorted[i] * 1000.0).round() / 1000.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Redis's count of commands processed so far (`None` without Redis).
async fn redis_commands(url: Option<&str>) -> Option<u64> {
    let client = redis::Client::open(url?).expect("a redis URL");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut conn)
        .await
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
}

struct Figures {
    start_ms: Vec<f64>,
    page_ms: Vec<f64>,
    commands_waiting: Option<u64>,
    commands_pages: Option<u64>,
}

/// The start form's token and the cookie it comes with (one pair serves
/// every start).
async fn form_token(http: &reqwest::Client, url: &str) -> (String, String) {
    let answer = http.get(format!("{url}/")).send().await.unwrap();
    let cookie = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("identisure-csrf="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("the form token's cookie");
    let page = answer.text().await.unwrap();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form token")
        .to_string();
    (cookie, token)
}

async fn measure(n: usize, pages: usize, redis: Option<&str>) -> Figures {
    let sim = Simulator::new().spawn_local().await.expect("a simulator");
    let client = identisure::Client::builder()
        .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
        .base_url(sim.url())
        .build()
        .expect("a client");
    let shared = match redis {
        Some(url) => Some(SharedLogins::connect(url).await.expect("redis answers")),
        None => None,
    };
    let options = Options {
        bind_to_browser: false,
        client_key: None,
        max_logins: n * 2,
        test_identities: vec![TestChoice {
            label: "manual".into(),
            ref_id: "sim:manual".into(),
        }],
        shared,
        ..Options::default()
    };
    let router = identisure_web::router(client, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let http = identisure::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let (cookie, token) = form_token(&http, &url).await;
    let mut paths = Vec::with_capacity(n);
    let mut start_ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let answer = http
            .post(format!("{url}/start"))
            .header("cookie", &cookie)
            .form(&[
                ("provider", "bankid-se"),
                ("lang", "en"),
                ("test_identity", "sim:manual"),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        start_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(answer.status(), 303, "a start");
        paths.push(answer.headers()["location"].to_str().unwrap().to_string());
    }

    let before = redis_commands(redis).await;
    tokio::time::sleep(WINDOW).await;
    let commands_waiting = redis_commands(redis).await.zip(before).map(|(a, b)| a - b);

    let before = redis_commands(redis).await;
    let paths = Arc::new(paths);
    let mut tasks = Vec::new();
    for worker in 0..8usize {
        let (http, url, paths) = (http.clone(), url.clone(), paths.clone());
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            let mut i = worker * 7919;
            for _ in 0..pages / 8 {
                i = (i * 31 + 17) % paths.len();
                let t = Instant::now();
                let answer = http.get(format!("{url}{}", paths[i])).send().await.unwrap();
                let status = answer.status();
                let _ = answer.bytes().await;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, 200, "a waiting page");
            }
            ms
        }));
    }
    let mut page_ms = Vec::new();
    for task in tasks {
        page_ms.extend(task.await.unwrap());
    }
    let commands_pages = redis_commands(redis).await.zip(before).map(|(a, b)| a - b);
    sim.shutdown().await;
    start_ms.sort_by(f64::total_cmp);
    page_ms.sort_by(f64::total_cmp);
    Figures {
        start_ms,
        page_ms,
        commands_waiting,
        commands_pages,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (n, pages) = if quick { (200, 2_000) } else { (1_000, 10_000) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut report = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        eprintln!("   {k} = {v}");
        report.insert(k.to_string(), v);
    };
    let mut variant = |name: &str, figures: &Figures| {
        put(&format!("web_logins_in_progress_{name}"), json!(n));
        let p = |v: &[f64], q| json!(percentile(v, q));
        put(
            &format!("web_start_ms_p50_{name}"),
            p(&figures.start_ms, 50),
        );
        put(&format!("web_page_ms_p50_{name}"), p(&figures.page_ms, 50));
        put(&format!("web_page_ms_p95_{name}"), p(&figures.page_ms, 95));
    };
    eprintln!("-- web logins in memory ({n} in progress)");
    let memory = runtime.block_on(measure(n, pages, None));
    variant("memory", &memory);
    match redis_server::RedisServer::start() {
        Some(redis) => {
            eprintln!("-- web logins shared through Redis ({n} in progress)");
            let shared = runtime.block_on(measure(n, pages, Some(&redis.url())));
            variant("shared", &shared);
            let ratio = percentile(&shared.page_ms, 95) / percentile(&memory.page_ms, 95);
            put(
                "web_page_p95_ratio",
                json!((ratio * 1000.0).round() / 1000.0),
            );
            if let Some(c) = shared.commands_waiting {
                let per = c as f64 / n as f64 / WINDOW.as_secs_f64();
                put("web_redis_commands_per_login_s", json!(round2(per)));
            }
            if let Some(c) = shared.commands_pages {
                let per = c as f64 / shared.page_ms.len().max(1) as f64;
                put("web_redis_commands_per_page", json!(round2(per)));
            }
        }
        None => eprintln!("web: redis-server not found; the shared variant is skipped"),
    }
    println!("IDENTISURE-BENCH {}", Value::Object(report));
    runtime.shutdown_timeout(Duration::from_secs(1));
}
