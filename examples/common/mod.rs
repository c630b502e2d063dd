//! Shared by the examples: the real service when `IDENTISURE_ACCOUNT_ID` is
//! set (with `IDENTISURE_SECRET_KEY` and `IDENTISURE_ENV` or
//! `IDENTISURE_BASE_URL`, see `Client::from_env`), otherwise the embedded
//! simulator, started in this process on a free port of 127.0.0.1.

// Each example uses a part of this module.
#![allow(dead_code)]

use identisure::Client;
use identisure_simulator::{RunningSimulator, Simulator};

/// The error type of the examples' `main`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A client, and the simulator it talks to when no credentials were given.
pub struct Backend {
    /// The client to use.
    pub client: Client,
    /// The in-process simulator, when the examples run without credentials.
    pub simulator: Option<RunningSimulator>,
}

impl Backend {
    /// Connects to the service named by the environment, or starts the
    /// simulator (demo account) when `IDENTISURE_ACCOUNT_ID` is not set.
    pub async fn connect() -> Result<Backend, BoxError> {
        if std::env::var_os("IDENTISURE_ACCOUNT_ID").is_some() {
            let client = Client::from_env()?;
            eprintln!("using {} (from IDENTISURE_* variables)", client.base_url());
            return Ok(Backend {
                client,
                simulator: None,
            });
        }
        let simulator = Simulator::new().spawn_local().await?;
        let client = demo_client(simulator.url())?;
        eprintln!(
            "IDENTISURE_ACCOUNT_ID is not set: using the embedded simulator at {}",
            simulator.url()
        );
        Ok(Backend {
            client,
            simulator: Some(simulator),
        })
    }

    /// The account secret key (the callback HMAC key).
    pub fn secret_key(&self) -> String {
        match self.simulator {
            Some(_) => identisure_simulator::DEMO_SECRET_KEY.to_string(),
            None => std::env::var("IDENTISURE_SECRET_KEY").unwrap_or_default(),
        }
    }

    /// Stops the simulator, if one runs.
    pub async fn shutdown(self) {
        if let Some(simulator) = self.simulator {
            simulator.shutdown().await;
        }
    }
}

/// A client for the simulator's demo account at `url`.
pub fn demo_client(url: &str) -> Result<Client, identisure::Error> {
    Client::builder()
        .credentials(
            identisure_simulator::DEMO_ACCOUNT_ID,
            identisure_simulator::DEMO_SECRET_KEY,
        )
        .base_url(url)
        .build()
}

/// Prints how a session ended; `Err` when it did not complete.
pub fn report<F: identisure::Family>(
    outcome: identisure::Outcome<F>,
    name: impl Fn(&F::Completed) -> Option<String>,
) -> Result<(), BoxError> {
    match outcome {
        identisure::Outcome::Completed(person) => {
            println!(
                "completed: {}",
                name(&person).unwrap_or_else(|| "(no name)".into())
            );
            Ok(())
        }
        identisure::Outcome::Failed {
            code, hint_code, ..
        } => Err(format!("failed: {code} (hint {hint_code:?})").into()),
    }
}
