//! `completion_detect_ms_p50` / `_p95`: from the simulator flipping a
//! session to COMPLETED (`Simulator::complete_now`, at a random instant) to
//! `wait()` returning, over many concurrent sessions of the in-process
//! simulator (scenario `sim:manual`: nothing completes by itself).

use std::sync::Arc;
use std::time::{Duration, Instant};

use identisure::{Outcome, WaitOptions};
use identisure_simulator::Simulator;

use crate::support::{Ctx, Metrics, Rng, demo_client, metric, ms, patient_timing, quantile, round};

pub async fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let sessions = ctx.pick(200, 1_000);
    let sim = Simulator::builder()
        .timing(patient_timing())
        .build()
        .spawn_local()
        .await
        .map_err(|e| e.to_string())?;
    let client = demo_client(sim.url())?;
    let simulator = Arc::new(sim.simulator().clone());
    let mut tasks = tokio::task::JoinSet::new();
    let mut rng = Rng::new(0x5eed_d37e);
    // Starts spread over a second; flips uniformly 0.5–3.5 s after the start.
    for i in 0..sessions {
        let client = client.clone();
        let simulator = simulator.clone();
        let stagger = Duration::from_secs(1).mul_f64(i as f64 / sessions as f64);
        let flip_after = rng.between(Duration::from_millis(500), Duration::from_millis(3_500));
        tasks.spawn(async move {
            tokio::time::sleep(stagger).await;
            let request = identisure::providers::bankid_se::AuthRequest::default()
                .ref_id(format!("sim:manual:detect-{i}"));
            let session = client
                .bankid_se()
                .auth(request)
                .await
                .map_err(|e| e.to_string())?;
            let id = session.id().to_string();
            let wait = session.wait(WaitOptions::default().timeout(Duration::from_secs(60)));
            let flip = async {
                tokio::time::sleep(flip_after).await;
                simulator.complete_now(&id)
            };
            let (outcome, flipped) = tokio::join!(wait, flip);
            let seen = Instant::now();
            let flipped = flipped.ok_or("complete_now found no pending session")?;
            match outcome.map_err(|e| e.to_string())? {
                Outcome::Completed(_) => {
                    Ok::<Duration, String>(seen.saturating_duration_since(flipped))
                }
                Outcome::Failed { code, .. } => Err(format!("session failed: {code}")),
            }
        });
    }
    let mut latencies = Vec::with_capacity(sessions);
    while let Some(joined) = tasks.join_next().await {
        latencies.push(ms(joined.map_err(|e| e.to_string())??));
    }
    ctx.add_violations(sim.rate_limit_violations());
    let p50 = quantile(&mut latencies, 0.5);
    let p95 = quantile(&mut latencies, 0.95);
    let max = quantile(&mut latencies, 1.0);
    sim.shutdown().await;
    Ok(vec![
        metric("completion_detect_ms_p50", round(p50, 1)),
        metric("completion_detect_ms_p95", round(p95, 1)),
        metric("completion_detect_ms_max", round(max, 1)),
        metric("completion_detect_sessions", sessions as u64),
    ])
}
