//! The API's operations: where each flow lives (its start, collect and
//! cancel operations and their paths), and the collect rate limit.

use std::time::Duration;

/// The smallest gap between the starts of two collects of one session.
///
/// ```
/// assert_eq!(identisure::MIN_COLLECT_INTERVAL, std::time::Duration::from_secs(1));
/// ```
pub const MIN_COLLECT_INTERVAL: Duration = Duration::from_secs(1);

/// Where a flow lives: the start path and the collect/cancel path (phone and
/// backchannel flows are collected through their auth/sign flow).
#[derive(Debug)]
pub(crate) struct Flow {
    pub start_op: &'static str,
    pub collect_op: &'static str,
    pub cancel_op: &'static str,
    pub start: &'static [&'static str],
    pub session: &'static [&'static str],
}
