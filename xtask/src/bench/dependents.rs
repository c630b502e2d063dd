//! The dependent-build figures: what a dependent crate pays to build us, beside the
//! official client `identisure-client` 0.1.0, in the same run
//! (see `crate::build_cost`).

use super::{Ctx, Metrics};

pub fn run(ctx: &Ctx) -> Result<Metrics, String> {
    crate::build_cost::measure(ctx.quick)
}
