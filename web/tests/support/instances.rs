//! Web login instances sharing their logins through Redis, each a router
//! on its own runtime and thread, for the tests of logins shared across
//! instances (`shared_logins.rs`, and the browser test's two instances).

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use identisure::messages::Lang;
use identisure_simulator::{DEMO_ACCOUNT_ID, DEMO_SECRET_KEY};
use identisure_web::{Options, SharedLogins, TestChoice};

/// One instance: a router on its own runtime and thread; `kill` drops the
/// runtime with everything running on it (as a process killed mid-login).
pub struct Instance {
    pub addr: std::net::SocketAddr,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Instance {
    pub fn start(redis: String, sim: String, public_url: String, hooks: Arc<AtomicUsize>) -> Self {
        Self::launch(redis, sim, public_url, hooks, None)
    }

    /// An instance bounding each client (its connecting address) to
    /// `per_client` logins.
    pub fn bounded(redis: String, sim: String, public_url: String, per_client: usize) -> Self {
        let hooks = Arc::new(AtomicUsize::new(0));
        Self::launch(redis, sim, public_url, hooks, Some(per_client))
    }

    fn launch(
        redis: String,
        sim: String,
        public_url: String,
        hooks: Arc<AtomicUsize>,
        per_client: Option<usize>,
    ) -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let shared = SharedLogins::connect(&redis).await.unwrap();
                let client = identisure::Client::builder()
                    .credentials(DEMO_ACCOUNT_ID, DEMO_SECRET_KEY)
                    .base_url(&sim)
                    .build()
                    .unwrap();
                let options = Options {
                    default_lang: Lang::En,
                    public_url: Some(public_url),
                    client_key: per_client.map(|_| {
                        Arc::new(identisure_web::peer_address) as identisure_web::ClientKey
                    }),
                    max_logins_per_client: per_client.unwrap_or(20),
                    test_identities: identisure_simulator::test_identities()
                        .into_iter()
                        .map(|t| TestChoice {
                            label: t.name().to_string(),
                            ref_id: t.ref_id(),
                        })
                        .collect(),
                    on_login: Some(Arc::new(move |_| {
                        let hooks = hooks.clone();
                        Box::pin(async move {
                            hooks.fetch_add(1, Ordering::SeqCst);
                            None
                        })
                    })),
                    shared: Some(shared),
                    ..Options::default()
                };
                // Every answer closes its connection, so that a browser's
                // next request opens a new one (which the round-robin proxy
                // sends to the other instance).
                let router = identisure_web::router(client, options).layer(
                    axum::middleware::map_response(|mut r: axum::response::Response| async {
                        r.headers_mut().insert(
                            axum::http::header::CONNECTION,
                            axum::http::HeaderValue::from_static("close"),
                        );
                        r
                    }),
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready_tx.send(listener.local_addr().unwrap()).unwrap();
                let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
                tokio::select! {
                    _ = axum::serve(listener, service) => {}
                    _ = kill_rx => {}
                }
            });
            // Dropping the runtime drops every task of this instance.
            drop(runtime);
        });
        let addr = ready_rx.recv().unwrap();
        Self {
            addr,
            kill: Some(kill_tx),
            thread: Some(thread),
        }
    }

    pub fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}
