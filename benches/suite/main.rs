//! The measurement suite behind `cargo xtask bench` (run it through xtask:
//! `cargo xtask bench [--quick]`, which builds this in release, runs it and
//! writes the report).
//!
//! Every measurement is a figure or a ratio taken in this one run (the
//! machines are shared and noisy); nothing here asserts on speed.
//!
//! Output: progress on stderr, and one line on stdout,
//! `IDENTISURE-BENCH {json}`, a JSON object of report key → value.
//!
//! # Adding a measurement
//! Write `pub async fn run(ctx: &Ctx) -> Result<Metrics, String>` in a new
//! module of this directory and add one line to [`MEASUREMENTS`]. Record the
//! rate-limit violations of any simulator it uses with
//! [`Ctx::add_violations`] (they are summed into `rate_limit_violations`).

mod detect;
mod overhead;
mod phase;
mod qr;
mod scale;
mod simulator_throughput;
mod support;

use std::future::Future;
use std::pin::Pin;

pub use support::{Ctx, Metrics};

type Measurement =
    for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = Result<Metrics, String>> + 'a>>;

/// The measurements, in the order they run: (name, function).
const MEASUREMENTS: &[(&str, Measurement)] = &[
    ("qr", |ctx| Box::pin(qr::run(ctx))),
    ("collect_overhead", |ctx| Box::pin(overhead::run(ctx))),
    ("simulator_throughput", |ctx| {
        Box::pin(simulator_throughput::run(ctx))
    }),
    ("completion_detect", |ctx| Box::pin(detect::run(ctx))),
    ("phase", |ctx| Box::pin(phase::run(ctx))),
    ("concurrent_sessions", |ctx| Box::pin(scale::run(ctx))),
];

/// The marker of the result line on stdout.
const MARKER: &str = "IDENTISURE-BENCH ";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == scale::CHILD_FLAG) {
        scale::simulator_child();
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&str> = args
        .iter()
        .filter_map(|a| a.strip_prefix("--only="))
        .flat_map(|list| list.split(','))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let ctx = Ctx::new(quick);
    let mut report = serde_json::Map::new();
    let mut failed = false;
    for (name, measurement) in MEASUREMENTS {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        eprintln!("-- {name}");
        let started = std::time::Instant::now();
        match runtime.block_on(measurement(&ctx)) {
            Ok(metrics) => {
                for (key, value) in metrics {
                    eprintln!("   {key} = {value}");
                    report.insert(key, value);
                }
            }
            Err(e) => {
                eprintln!("   FAILED: {e}");
                report.insert(format!("{name}_error"), e.into());
                failed = true;
            }
        }
        eprintln!("   ({:.1} s)", started.elapsed().as_secs_f64());
    }
    report.insert("rate_limit_violations".into(), ctx.violations().into());
    println!("{MARKER}{}", serde_json::Value::Object(report));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if failed {
        std::process::exit(1);
    }
}
