//! `collect_overhead_ratio`: a typed collect through `Session::collect` ÷ the
//! same GET with a bare reqwest client parsed into `serde_json::Value`, both
//! against one tiny local server answering a fixed PENDING body (no rate
//! limit), interleaved; medians. Both are timed from the building of the
//! request (URL, headers) to the decoded body.
//!
//! For the explanation, a third client in the same interleaving: the bare
//! one configured as ours configures its transport (a connect and a request
//! timeout, no redirects), so that `collect_overhead_ratio_vs_same_transport`
//! is what this crate's own code adds and the rest of
//! `collect_overhead_ratio` is reqwest's price for that configuration (a
//! timer per request).
//!
//! The server runs on its own thread and the clients on another
//! current-thread runtime, so both sides of a pair see the same machine.

use std::time::{Duration, Instant};

use crate::support::{Ctx, Metrics, metric, quantile, round, spawn_http_server};

/// A BankID SE collect answer while the user has not opened the app yet.
const BODY: &str = r#"{"id":"2f0c7e64-4a4d-4f8e-9a43-4b1b0c9b8e31","refId":"order-4711","status":"PENDING","hintCode":"outstandingTransaction"}"#;

/// Serves `BODY` to every request, keep-alive, until the process ends.
fn spawn_fixed_server() -> Result<std::net::SocketAddr, String> {
    let response: std::sync::Arc<[u8]> = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
    .into();
    spawn_http_server(move |_| std::future::ready(response.clone()))
}

pub async fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let addr = spawn_fixed_server()?;
    let pairs = ctx.pick(3_000, 20_000);
    // The clients run on a current-thread runtime of their own thread.
    let (typed, bare, same_transport) = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(measure(addr, pairs))
    })
    .join()
    .map_err(|_| "the measuring thread panicked".to_string())??;
    let (mut typed, mut bare, mut same_transport) = (typed, bare, same_transport);
    let typed_p50 = quantile(&mut typed, 0.5);
    let bare_p50 = quantile(&mut bare, 0.5);
    let same_transport_p50 = quantile(&mut same_transport, 0.5);
    // Where a difference could come from: decoding alone, typed vs Value.
    let decode = |f: &dyn Fn() -> bool| {
        let mut samples: Vec<f64> = (0..15)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..2_000 {
                    std::hint::black_box(f());
                }
                start.elapsed().as_secs_f64() / 2_000.0
            })
            .collect();
        quantile(&mut samples, 0.5)
    };
    let typed_decode = decode(&|| {
        identisure::State::<identisure::BankIdSe>::from_json(std::hint::black_box(BODY.as_bytes()))
            .is_ok()
    });
    let generated_decode = decode(&|| {
        serde_json::from_slice::<identisure::raw::types::BankIdSeSession>(std::hint::black_box(
            BODY.as_bytes(),
        ))
        .is_ok()
    });
    let value_decode = decode(&|| {
        serde_json::from_slice::<serde_json::Value>(std::hint::black_box(BODY.as_bytes())).is_ok()
    });
    Ok(vec![
        metric("collect_decode_typed_ns", round(typed_decode * 1e9, 0)),
        metric(
            "collect_decode_generated_ns",
            round(generated_decode * 1e9, 0),
        ),
        metric("collect_decode_value_ns", round(value_decode * 1e9, 0)),
        metric("collect_overhead_ratio", round(typed_p50 / bare_p50, 3)),
        metric("collect_typed_us_p50", round(typed_p50 * 1e6, 1)),
        metric("collect_bare_us_p50", round(bare_p50 * 1e6, 1)),
        metric(
            "collect_bare_same_transport_us_p50",
            round(same_transport_p50 * 1e6, 1),
        ),
        metric(
            "collect_overhead_ratio_vs_same_transport",
            round(typed_p50 / same_transport_p50, 3),
        ),
        metric("collect_overhead_pairs", pairs as u64),
    ])
}

type Samples = (Vec<f64>, Vec<f64>, Vec<f64>);

async fn measure(addr: std::net::SocketAddr, pairs: usize) -> Result<Samples, String> {
    let base = format!("http://{addr}");
    let client = identisure::Client::builder()
        .credentials("bench", "bench-secret")
        .base_url(&base)
        .build()
        .map_err(|e| e.to_string())?;
    let bare = identisure::http_client_builder()
        .build()
        .map_err(|e| e.to_string())?;
    // For the explanation only: the bare client with our client's transport
    // configuration (src/client.rs: the timeouts, no retries or redirects).
    let same_transport = identisure::http_client_builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .retry(reqwest::retry::never())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let id = "2f0c7e64-4a4d-4f8e-9a43-4b1b0c9b8e31";
    let url = format!("{base}/v3/bankid-se/auth/{id}");

    let typed_once = || async {
        // A fresh handle each time: its pacing has no earlier collect.
        let session = client
            .bankid_se()
            .auth_session(id)
            .map_err(|e| e.to_string())?;
        let start = Instant::now();
        let state = session.collect().await.map_err(|e| e.to_string())?;
        let elapsed = start.elapsed();
        if state.is_final() {
            return Err("the fixed server answered a final state".to_string());
        }
        Ok::<Duration, String>(elapsed)
    };
    // Timed from the building of the request, as the typed collect is (it
    // builds its URL and headers inside `collect`).
    let bare_once = |bare: &reqwest::Client| {
        let bare = bare.clone();
        let url = &url;
        async move {
            let start = Instant::now();
            let value: serde_json::Value = bare
                .get(url)
                .basic_auth("bench", Some("bench-secret"))
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let elapsed = start.elapsed();
            if value["status"] != "PENDING" {
                return Err("unexpected body".to_string());
            }
            Ok::<Duration, String>(elapsed)
        }
    };

    for _ in 0..300 {
        typed_once().await?;
        bare_once(&bare).await?;
        bare_once(&same_transport).await?;
    }
    let mut typed = Vec::with_capacity(pairs);
    let mut bare_times = Vec::with_capacity(pairs);
    let mut same_times = Vec::with_capacity(pairs);
    for i in 0..pairs {
        // Rotate which goes first, so none always follows another.
        for turn in 0..3 {
            match (i + turn) % 3 {
                0 => typed.push(typed_once().await?.as_secs_f64()),
                1 => bare_times.push(bare_once(&bare).await?.as_secs_f64()),
                _ => same_times.push(bare_once(&same_transport).await?.as_secs_f64()),
            }
        }
    }
    Ok((typed, bare_times, same_times))
}
