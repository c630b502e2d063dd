//! The simulator's throughput, for the record: starts per second, then
//! collects per second (each fresh session collected once, so no collect is
//! rate-limited), with a bare reqwest client and 64 requests in flight.

use std::time::Instant;

use futures_util::{StreamExt, TryStreamExt};
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY, Simulator};

use crate::support::{Ctx, Metrics, metric, patient_timing, round};

const IN_FLIGHT: usize = 64;

pub async fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let sessions = ctx.pick(3_000, 20_000);
    let sim = Simulator::builder()
        .timing(patient_timing())
        .build()
        .spawn_local()
        .await
        .map_err(|e| e.to_string())?;
    let http = identisure::http_client_builder()
        .build()
        .map_err(|e| e.to_string())?;
    let start_url = format!("{}/v3/bankid-se/auth", sim.url());

    let started = Instant::now();
    let ids: Vec<String> = futures_util::stream::iter(0..sessions)
        .map(|i| {
            let http = &http;
            let start_url = &start_url;
            async move {
                let answer: serde_json::Value = http
                    .post(start_url)
                    .basic_auth(DEMO_ACCOUNT_ID, Some(DEMO_SECRET_KEY))
                    .json(&serde_json::json!({ "refId": format!("sim:manual:tp-{i}") }))
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())?;
                answer["id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "a start without id".to_string())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    let start_secs = started.elapsed().as_secs_f64();

    let collected = Instant::now();
    let base = sim.url().to_string();
    futures_util::stream::iter(ids.iter())
        .map(|id| {
            let http = &http;
            let url = format!("{base}/v3/bankid-se/auth/{id}");
            async move {
                let status = http
                    .get(url)
                    .basic_auth(DEMO_ACCOUNT_ID, Some(DEMO_SECRET_KEY))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .status();
                if status.is_success() {
                    Ok(())
                } else {
                    Err(format!("collect answered {status}"))
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<()>()
        .await?;
    let collect_secs = collected.elapsed().as_secs_f64();
    ctx.add_violations(sim.rate_limit_violations());
    sim.shutdown().await;
    Ok(vec![
        metric(
            "simulator_starts_per_s",
            round(sessions as f64 / start_secs, 0),
        ),
        metric(
            "simulator_collects_per_s",
            round(sessions as f64 / collect_secs, 0),
        ),
    ])
}
