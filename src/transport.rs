//! The HTTP client underneath: reqwest with rustls (ring), no OpenSSL.

/// A `reqwest::ClientBuilder` ready for this crate: rustls with the `ring`
/// crypto provider (installed as the process default when none is set yet),
/// and the `identisure-rs/<version>` user agent.
///
/// ```
/// let http = identisure::http_client_builder().build().unwrap();
/// let raw = identisure::raw::Client::new_with_client("http://127.0.0.1:1", http);
/// # let _ = raw;
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder().user_agent(USER_AGENT)
}

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("identisure-rs/", env!("CARGO_PKG_VERSION"));
