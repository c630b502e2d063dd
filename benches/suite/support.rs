//! What the measurements share: the context, percentiles, memory, a PRNG.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[path = "../common/proc.rs"]
mod proc;
pub use proc::{open_sockets, vm_rss_kib};

/// Report entries of one measurement: key → JSON value.
pub type Metrics = Vec<(String, serde_json::Value)>;

/// The run: quick or full, and the rate-limit violations seen so far.
pub struct Ctx {
    pub quick: bool,
    violations: AtomicU64,
}

impl Ctx {
    pub fn new(quick: bool) -> Self {
        Self {
            quick,
            violations: AtomicU64::new(0),
        }
    }

    /// `quick` or `full`, whichever this run is.
    pub fn pick<T>(&self, quick: T, full: T) -> T {
        if self.quick { quick } else { full }
    }

    /// Adds the 429s a simulator counted (summed into `rate_limit_violations`).
    pub fn add_violations(&self, n: u64) {
        self.violations.fetch_add(n, Ordering::Relaxed);
    }

    pub fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }
}

/// A metric entry.
pub fn metric(key: &str, value: impl Into<serde_json::Value>) -> (String, serde_json::Value) {
    (key.to_string(), value.into())
}

/// A float rounded to `digits` decimals (keeps the report readable).
pub fn round(value: f64, digits: i32) -> serde_json::Value {
    let f = 10f64.powi(digits);
    serde_json::json!((value * f).round() / f)
}

/// The `q` quantile (0..=1) of `values`, nearest rank; sorts them.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A small deterministic PRNG (xorshift64*), enough for random delays.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A duration uniformly in `[low, high)`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        low + (high - low).mul_f64(self.next_f64())
    }
}

/// A client of the simulator's demo account.
pub fn demo_client(url: &str) -> Result<identisure::Client, String> {
    identisure::Client::builder()
        .credentials(
            identisure_simulator::DEMO_ACCOUNT_ID,
            identisure_simulator::DEMO_SECRET_KEY,
        )
        .base_url(url)
        .build()
        .map_err(|e| e.to_string())
}

/// Simulator timings where nothing ends by itself during a benchmark.
pub fn patient_timing() -> identisure_simulator::Timing {
    identisure_simulator::Timing {
        expire_after: Duration::from_secs(3600),
        ..identisure_simulator::Timing::default()
    }
}

/// A bare HTTP/1.1 server on 127.0.0.1 (keep-alive, GETs only: a request
/// ends with its headers), on its own thread until the process ends:
/// `answer` gets each request's head (its bytes, nothing copied) and gives
/// the future of the whole response. The mocks of the benches that time
/// the client against a server doing almost nothing.
pub fn spawn_http_server<F, Fut, R>(answer: F) -> Result<std::net::SocketAddr, String>
where
    F: Fn(&[u8]) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
    R: AsRef<[u8]> + Send + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    continue;
                };
                let _ = socket.set_nodelay(true);
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut filled = 0;
                    loop {
                        let Ok(n) = socket.read(&mut buf[filled..]).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        filled += n;
                        while let Some(end) =
                            buf[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                        {
                            let response = answer(&buf[..end]).await;
                            if socket.write_all(response.as_ref()).await.is_err() {
                                return;
                            }
                            buf.copy_within(end + 4..filled, 0);
                            filled -= end + 4;
                        }
                        if filled == buf.len() {
                            return;
                        }
                    }
                });
            }
        });
    });
    Ok(addr)
}
