//! The web login's cost with its logins in memory (the baseline) and shared
//! through Redis, in one run: logins in progress, Redis commands per login
//! and second and per page, p50/p95 of a waiting page — the bench binary
//! `web/benches/logins.rs` of `identisure-web`.

use super::{Ctx, Metrics};

pub fn run(ctx: &Ctx) -> Result<Metrics, String> {
    super::suite::run_bench(ctx, "identisure-web", "logins", "redis")
}
