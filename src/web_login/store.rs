//! Logins in memory: what each one shows and how far it got.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

use super::{Options, Provider};
use crate::Client;
use crate::messages::Lang;
use crate::qr::BankIdQr;

/// The person of a completed login, as the result page shows it.
///
/// `Debug` leaves the personal number out.
///
/// ```
/// let person = identisure::web_login::Person {
///     name: "Astrid Lindqvist".into(),
///     given_name: Some("Astrid".into()),
///     surname: Some("Lindqvist".into()),
///     personal_number: None,
///     provider: identisure::web_login::Provider::BankIdSe,
/// };
/// assert!(format!("{person:?}").contains("Astrid"));
/// ```
#[derive(Clone)]
pub struct Person {
    /// The full name.
    pub name: String,
    /// The given name, when reported.
    pub given_name: Option<String>,
    /// The surname, when reported.
    pub surname: Option<String>,
    /// The personal number, when the provider reports one.
    pub personal_number: Option<crate::PersonalNumber>,
    /// Who identified the person.
    pub provider: Provider,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Why a login ended without a person, with the message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Cancelled, on this page or in the app / on the provider's page.
    Cancelled(String),
    /// Nobody finished in time.
    TimedOut(String),
    /// Refused or failed.
    Failed(String),
}

/// Where a login stands.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    /// Waiting; the message to show now.
    Pending(String),
    /// Completed.
    Completed(Box<Person>),
    /// Ended without success.
    Ended(Failure),
}

impl Status {
    pub(crate) fn is_final(&self) -> bool {
        !matches!(self, Status::Pending(_))
    }
}

/// What the waiting page shows (fixed at the start).
pub(crate) enum View {
    /// Swedish BankID: the animated QR code and the autostart token.
    BankIdSe {
        qr: BankIdQr,
        auto_start_token: Option<String>,
    },
    /// Freja: the QR code (SVG) of `qrData` and the app link.
    Freja {
        qr_svg: Option<String>,
        app_link: Option<String>,
    },
    /// Redirect providers: the provider's URL and binding message.
    Redirect {
        url: Option<String>,
        binding_message: Option<String>,
    },
}

/// Cancels a session of any family.
pub(crate) type CancelFn =
    Box<dyn Fn() -> Pin<Box<dyn Future<Output = crate::Result<()>> + Send>> + Send + Sync>;

/// One login.
pub(crate) struct Login {
    pub provider: Provider,
    pub lang: Lang,
    pub created: Instant,
    pub view: View,
    pub status: watch::Sender<Status>,
    pub cancel: CancelFn,
    /// The value of the cookie that ties the login to the browser that
    /// started it (see `Options::bind_to_browser`).
    pub browser_key: String,
    /// Redirect providers: the one-time secret in the `redirectUrl` sent
    /// upstream. Only the browser that comes back through it (with the
    /// cookie) sees the person: see [`Login::returned`].
    pub return_key: Option<String>,
    /// The browser came back from the provider's page with `return_key`.
    /// A completed redirect login stays pending until then, so that a link
    /// relayed to someone else never logs the relayer in as them.
    pub returned: watch::Sender<bool>,
    /// The user opened the app with the autostart link (BankID then asks
    /// for other messages: RFA13 instead of RFA1 …).
    pub autostarted: std::sync::atomic::AtomicBool,
    /// The last hint code seen (BankID), to redo the message after an autostart.
    pub last_hint: Mutex<Option<crate::HintCode>>,
}

impl Login {
    /// How the user reached the app, for BankID's messages.
    pub(crate) fn launch(&self) -> crate::messages::LaunchMethod {
        if self.autostarted.load(std::sync::atomic::Ordering::Relaxed) {
            crate::messages::LaunchMethod::AutoStart
        } else {
            crate::messages::LaunchMethod::QrCode
        }
    }

    /// Shows `message` while pending (no change when it is the same).
    pub(crate) fn set_pending_message(&self, message: String) {
        self.status.send_if_modified(|current| match current {
            Status::Pending(old) if *old != message => {
                *old = message;
                true
            }
            _ => false,
        });
    }

    /// Ends the login unless it already ended; true when this call ended it.
    pub(crate) fn finish(&self, status: Status) -> bool {
        self.status.send_if_modified(|current| {
            if current.is_final() {
                false
            } else {
                *current = status;
                true
            }
        })
    }
}

/// Everything the routes share.
pub(crate) struct Shared {
    pub client: Client,
    pub options: Options,
    logins: Mutex<HashMap<String, Arc<Login>>>,
}

impl Shared {
    pub(crate) fn new(client: Client, options: Options) -> Self {
        Self {
            client,
            options,
            logins: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Login>>> {
        self.logins.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Login>> {
        self.lock().get(id).cloned()
    }

    /// Forgets old logins; false when there is no room for one more.
    pub(crate) fn make_room(&self) -> bool {
        let retention = self.options.retention;
        let mut logins = self.lock();
        logins.retain(|_, l| l.created.elapsed() < retention);
        logins.len() < self.options.max_logins
    }

    pub(crate) fn insert(&self, id: String, login: Arc<Login>) {
        self.lock().insert(id, login);
    }
}

/// A new login id: 128 random bits, hex (unguessable: it is the only key).
pub(crate) fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
