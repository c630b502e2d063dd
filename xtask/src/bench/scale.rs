//! The scale figures: completion by callback (in-process and through Redis),
//! collects per session with and without callbacks, and a burst of starts
//! against a simulator in another process — the bench binary `benches/scale.rs`.

use super::{Ctx, Metrics};

pub fn run(ctx: &Ctx) -> Result<Metrics, String> {
    super::suite::run_bench(ctx, "identisure", "scale", "axum redis")
}
