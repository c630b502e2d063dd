//! Sessions and documents, and how a session moves through its states.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use rand::rngs::StdRng;

use super::Timing;
use super::flows::{Channel, Family, Provider, Start, StartParams};
use super::people::Person;
use super::scenario::Scenario;

/// Where a session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Pending,
    Completed {
        at: Instant,
    },
    Failed {
        code: &'static str,
        hint: &'static str,
        at: Instant,
    },
}

/// Random values drawn once at start (so a seeded simulator repeats them).
pub(crate) struct Tokens {
    pub(crate) auto_start_token: String,
    pub(crate) qr_start_token: String,
    pub(crate) qr_start_secret: String,
    pub(crate) binding_message: String,
    pub(crate) ocsp_response: String,
    pub(crate) uhi: String,
    pub(crate) pid: String,
    pub(crate) bank_id: String,
    pub(crate) end_user_signature: String,
    pub(crate) merchant_seal: String,
}

pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) start: Start,
    pub(crate) params: StartParams,
    pub(crate) scenario: Scenario,
    pub(crate) person: Person,
    /// The normalised number the start named, if any.
    pub(crate) ssn: Option<String>,
    pub(crate) started: Instant,
    pub(crate) started_wall: SystemTime,
    pub(crate) state: State,
    pub(crate) tokens: Tokens,
    /// Documents to sign: (id, SHA-256 hex).
    pub(crate) documents: Vec<(String, String)>,
    /// Every collect received for this session, rate-limited or not.
    pub(crate) collects: Vec<Instant>,
    /// The last collect that was answered (not 429).
    pub(crate) last_answered: Option<Instant>,
    /// The approval page was opened (manual sessions show `userSign` then).
    pub(crate) page_opened: bool,
    /// The session waits for the user: a scan (app flows) or an approval
    /// (redirect flows); see `SimulatorBuilder::require_user`.
    pub(crate) needs_user: bool,
    /// When the user's phone presented the QR code or the autostart token.
    pub(crate) scanned_at: Option<Instant>,
}

impl Session {
    pub(crate) fn provider(&self) -> Provider {
        self.start.provider()
    }

    pub(crate) fn family(&self) -> Family {
        self.start.family()
    }

    pub(crate) fn is_pending(&self) -> bool {
        self.state == State::Pending
    }

    /// The wall-clock time of `at`.
    pub(crate) fn wall(&self, at: Instant) -> SystemTime {
        self.started_wall + at.saturating_duration_since(self.started)
    }

    fn step(&self, timing: &Timing) -> Duration {
        match self.scenario {
            Scenario::Slow => timing.step.saturating_mul(timing.slow_factor.max(1)),
            _ => timing.step,
        }
    }

    /// Where the session's steps count from: its start, or for a session
    /// waiting for the user, one step before the scan (the scan is the
    /// `started` step); `None` while it still waits.
    fn origin(&self, timing: &Timing) -> Option<Instant> {
        if !self.needs_user {
            return Some(self.started);
        }
        let scanned = self.scanned_at?;
        Some(scanned.checked_sub(self.step(timing)).unwrap_or(scanned))
    }

    /// Moves the session to where time has brought it. Returns true when it
    /// has just ended (so its callback is due).
    pub(crate) fn advance(&mut self, now: Instant, timing: &Timing) -> bool {
        if !self.is_pending() {
            return false;
        }
        // Absurdly long timings (past what an Instant holds) mean "never".
        let expire_at = self.started.checked_add(timing.expire_after);
        let done_at = match self.scenario {
            Scenario::Complete | Scenario::Slow | Scenario::Fail { .. } => self
                .origin(timing)
                .and_then(|origin| origin.checked_add(self.step(timing).saturating_mul(3))),
            Scenario::Manual | Scenario::Expire => None,
        };
        match (done_at, expire_at) {
            (Some(at), _) if expire_at.is_none_or(|e| at <= e) && now >= at => {
                self.state = match self.scenario {
                    Scenario::Fail { code, hint } => State::Failed { code, hint, at },
                    _ => State::Completed { at },
                };
                true
            }
            (_, Some(expire_at)) if now >= expire_at => {
                self.state = State::Failed {
                    code: "SESSION_TIMEOUT",
                    hint: "expiredTransaction",
                    at: expire_at,
                };
                true
            }
            _ => false,
        }
    }

    /// Ends a pending session now. Returns true when it was pending.
    pub(crate) fn end(&mut self, state: State) -> bool {
        if !self.is_pending() {
            return false;
        }
        self.state = state;
        true
    }

    /// The BankID SE hint code of a pending session.
    pub(crate) fn hint_code(&self, now: Instant, timing: &Timing) -> &'static str {
        if self.scenario == Scenario::Manual {
            return if self.page_opened {
                "userSign"
            } else {
                "outstandingTransaction"
            };
        }
        let Some(origin) = self.origin(timing) else {
            return "outstandingTransaction";
        };
        let step = self.step(timing).max(Duration::from_millis(1));
        let stage = now.saturating_duration_since(origin).as_nanos() / step.as_nanos();
        match (stage, self.start.channel()) {
            (0, _) => "outstandingTransaction",
            (1, Channel::Phone) => "userCallConfirm",
            (1, _) => "started",
            _ => "userSign",
        }
    }
}

/// What the user's phone presents to the simulator.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scan<'a> {
    /// The content of the QR code shown (a BankID frame, Freja's `qrData`).
    QrCode(&'a str),
    /// The autostart token (the app opened on the same device).
    AutoStartToken(&'a str),
}

/// Why the simulator's phone refused a scan.
///
/// ```
/// use identisure_simulator::ScanRefused;
/// assert_eq!(ScanRefused::Stale.to_string(),
///     "the QR code is stale: the frame is more than 2 s old (show a new frame every second)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScanRefused {
    /// No session has this QR code or autostart token.
    Unknown,
    /// The code is not one the app accepts: a BankID frame whose HMAC does
    /// not match the session's `qrStartSecret`, or whose time is ahead of it.
    Invalid(&'static str),
    /// A BankID frame more than 2 s old.
    Stale,
    /// The session has already ended.
    Ended,
    /// The code was already presented (by this or another phone).
    AlreadyScanned,
}

impl std::fmt::Display for ScanRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown => f.write_str("no pending session has this QR code or autostart token"),
            Self::Invalid(why) => write!(f, "the QR code is invalid: {why}"),
            Self::Stale => f.write_str(
                "the QR code is stale: the frame is more than 2 s old (show a new frame every second)",
            ),
            Self::Ended => f.write_str("the session has already ended"),
            Self::AlreadyScanned => f.write_str("this code was already scanned"),
        }
    }
}

impl std::error::Error for ScanRefused {}

/// How old a BankID frame may be when scanned.
const FRAME_MAX_AGE: Duration = Duration::from_secs(2);

impl Store {
    /// The phone presents `scan`: the session it belongs to is scanned
    /// (its id returned), or the reason the app would refuse it.
    pub(crate) fn scan(&mut self, scan: Scan<'_>, now: Instant) -> Result<String, ScanRefused> {
        let session = match scan {
            Scan::QrCode(code) if code.starts_with("bankid.") => {
                let mut parts = code.splitn(4, '.').skip(1);
                let (Some(token), Some(time), Some(_)) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(ScanRefused::Invalid(
                        "not a BankID QR code (bankid.<token>.<time>.<hmac>)",
                    ));
                };
                let time: u64 = time.parse().map_err(|_| {
                    ScanRefused::Invalid("its time is not a whole number of seconds")
                })?;
                let session = self
                    .sessions
                    .values_mut()
                    .find(|s| {
                        s.provider() == Provider::BankIdSe
                            && s.start.channel() == Channel::App
                            && s.tokens.qr_start_token == token
                    })
                    .ok_or(ScanRefused::Unknown)?;
                let expected = identisure::qr::BankIdQr::new(
                    token,
                    identisure::QrStartSecret::new(session.tokens.qr_start_secret.clone()),
                    session.started,
                )
                .payload_at(time);
                if !bool::from(subtle::ConstantTimeEq::ct_eq(
                    expected.as_bytes(),
                    code.as_bytes(),
                )) {
                    return Err(ScanRefused::Invalid(
                        "its HMAC does not match the order's qrStartSecret",
                    ));
                }
                let shown_at = session.started + Duration::from_secs(time);
                if shown_at > now + Duration::from_secs(1) {
                    return Err(ScanRefused::Invalid("its time is ahead of the order's"));
                }
                if now.saturating_duration_since(shown_at) > FRAME_MAX_AGE {
                    return Err(ScanRefused::Stale);
                }
                session
            }
            Scan::QrCode(code) => self
                .sessions
                .values_mut()
                .find(|s| {
                    s.provider() == Provider::Freja
                        && crate::render::freja_qr_data(&s.tokens.auto_start_token) == code
                })
                .ok_or(ScanRefused::Unknown)?,
            Scan::AutoStartToken(token) => self
                .sessions
                .values_mut()
                .find(|s| s.start.channel() == Channel::App && s.tokens.auto_start_token == token)
                .ok_or(ScanRefused::Unknown)?,
        };
        if !session.is_pending() {
            return Err(ScanRefused::Ended);
        }
        if session.scanned_at.is_some() {
            return Err(ScanRefused::AlreadyScanned);
        }
        session.scanned_at = Some(now);
        Ok(session.id.clone())
    }
}

/// At most this many collect arrivals are kept per session.
pub(crate) const COLLECT_LOG_LIMIT: usize = 10_000;

/// An uploaded PDF, kept for [`Timing::retention`] after its upload.
pub(crate) struct Document {
    pub(crate) account: String,
    pub(crate) hash: String,
    pub(crate) bytes: bytes::Bytes,
    pub(crate) uploaded: Instant,
}

/// Everything the simulator remembers.
pub(crate) struct Store {
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) documents: HashMap<String, Document>,
    pub(crate) rng: StdRng,
    /// Per account: the last collect answered (for `RateLimit::PerAccount`).
    pub(crate) account_last_collect: HashMap<String, Instant>,
    /// Bytes that sessions' start texts and documents hold, in all.
    held: usize,
}

impl Store {
    pub(crate) fn new(rng: StdRng) -> Self {
        Self {
            sessions: HashMap::new(),
            documents: HashMap::new(),
            rng,
            account_last_collect: HashMap::new(),
            held: 0,
        }
    }

    /// Bytes held by sessions' start texts and by documents.
    pub(crate) fn held_bytes(&self) -> usize {
        self.held
    }

    pub(crate) fn insert_session(&mut self, session: Session) {
        self.held += session_bytes(&session);
        if let Some(old) = self.sessions.insert(session.id.clone(), session) {
            self.held -= session_bytes(&old);
        }
    }

    pub(crate) fn insert_document(&mut self, id: String, document: Document) {
        self.held += document.bytes.len();
        if let Some(old) = self.documents.insert(id, document) {
            self.held -= old.bytes.len();
        }
    }

    pub(crate) fn remove_document(&mut self, id: &str) {
        if let Some(old) = self.documents.remove(id) {
            self.held -= old.bytes.len();
        }
    }

    /// A random (version 4) UUID from the store's generator.
    pub(crate) fn uuid(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    /// `n` random bytes, base64.
    pub(crate) fn base64(&mut self, n: usize) -> String {
        use base64::Engine as _;
        let mut bytes = vec![0u8; n];
        self.rng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Two words the user compares in the app (BankID NO binding message).
    pub(crate) fn binding_message(&mut self) -> String {
        const WORDS: [&str; 16] = [
            "blå", "rask", "stille", "varm", "grønn", "lett", "klar", "høy", "elg", "fjord",
            "måke", "bjørk", "ulv", "bre", "sol", "hav",
        ];
        let a = WORDS[(self.rng.next_u32() % 8) as usize];
        let b = WORDS[8 + (self.rng.next_u32() % 8) as usize];
        format!("{a} {b}")
    }

    pub(crate) fn tokens(&mut self) -> Tokens {
        Tokens {
            auto_start_token: self.uuid(),
            qr_start_token: self.uuid(),
            qr_start_secret: self.uuid(),
            binding_message: self.binding_message(),
            ocsp_response: self.base64(96),
            uhi: self.base64(21),
            pid: self.uuid(),
            bank_id: format!("sim-{}", self.uuid()),
            end_user_signature: self.base64(96),
            merchant_seal: self.base64(96),
        }
    }

    /// Advances every pending session; returns the ids of those that ended.
    pub(crate) fn advance_all(&mut self, now: Instant, timing: &Timing) -> Vec<String> {
        let mut ended = Vec::new();
        for session in self.sessions.values_mut() {
            if session.advance(now, timing) {
                ended.push(session.id.clone());
            }
        }
        ended
    }

    /// Forgets sessions that ended longer than `retention` ago (collects then
    /// answer 404, like an expired id on the real service), and documents
    /// uploaded longer than `retention` ago.
    pub(crate) fn purge(&mut self, now: Instant, retention: Duration) {
        let mut freed = 0;
        self.documents.retain(|_, d| {
            let keep = now.saturating_duration_since(d.uploaded) < retention;
            if !keep {
                freed += d.bytes.len();
            }
            keep
        });
        self.sessions.retain(|_, s| {
            let keep = match s.state {
                State::Pending => true,
                State::Completed { at } | State::Failed { at, .. } => {
                    now.saturating_duration_since(at) < retention
                }
            };
            if !keep {
                freed += session_bytes(s);
            }
            keep
        });
        self.held -= freed;
    }
}

/// What a session holds beyond its fixed size: its start's texts.
fn session_bytes(session: &Session) -> usize {
    session.params.held_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::PERSONS;

    fn session(start: Start, scenario: Scenario) -> Session {
        let token = || "t".to_string();
        Session {
            id: "s".into(),
            account: "a".into(),
            start,
            params: StartParams::default(),
            scenario,
            person: Person::from(&PERSONS[0]),
            ssn: None,
            started: Instant::now(),
            started_wall: SystemTime::now(),
            state: State::Pending,
            tokens: Tokens {
                auto_start_token: token(),
                qr_start_token: token(),
                qr_start_secret: token(),
                binding_message: token(),
                ocsp_response: token(),
                uhi: token(),
                pid: token(),
                bank_id: token(),
                end_user_signature: token(),
                merchant_seal: token(),
            },
            documents: Vec::new(),
            collects: Vec::new(),
            last_answered: None,
            page_opened: false,
            needs_user: false,
            scanned_at: None,
        }
    }

    fn timing() -> Timing {
        Timing {
            step: Duration::from_secs(1),
            slow_factor: 5,
            expire_after: Duration::from_secs(60),
            ..Timing::default()
        }
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn held_bytes_follow_inserts_removals_and_purges() {
        use rand::SeedableRng as _;
        let mut store = Store::new(StdRng::seed_from_u64(1));
        let mut s = session(Start::of("bankid_se_sign_start"), Scenario::Complete);
        s.params.sign_text = Some("sign this".into());
        s.params.ref_id = Some("r-1".into());
        let ended_at = s.started;
        s.state = State::Completed { at: ended_at };
        store.insert_session(s);
        let document = |n: usize| Document {
            account: "a".into(),
            hash: String::new(),
            bytes: vec![b'x'; n].into(),
            uploaded: ended_at + MS(500),
        };
        store.insert_document("d1".into(), document(100));
        store.insert_document("d2".into(), document(7));
        assert_eq!(store.held_bytes(), 12 + 107);
        store.remove_document("d2");
        store.remove_document("unknown");
        assert_eq!(store.held_bytes(), 12 + 100);
        store.purge(ended_at + MS(1000), MS(800));
        assert_eq!(store.held_bytes(), 100, "the ended session is gone");
        store.purge(ended_at + MS(1400), MS(800));
        assert_eq!(store.held_bytes(), 0);
        assert!(store.sessions.is_empty() && store.documents.is_empty());
    }

    #[test]
    fn hint_codes_follow_the_steps_and_the_session_completes_after_three() {
        let t = timing();
        let mut s = session(Start::of("bankid_se_auth_start"), Scenario::Complete);
        let t0 = s.started;
        let at = |ms| t0 + MS(ms);
        assert_eq!(s.hint_code(at(0), &t), "outstandingTransaction");
        assert_eq!(s.hint_code(at(999), &t), "outstandingTransaction");
        assert_eq!(s.hint_code(at(1000), &t), "started");
        assert_eq!(s.hint_code(at(2500), &t), "userSign");
        assert!(!s.advance(at(2999), &t));
        assert!(s.is_pending());
        assert!(s.advance(at(3000), &t), "just ended");
        assert_eq!(s.state, State::Completed { at: at(3000) });
        assert!(!s.advance(at(4000), &t), "ends once");
    }

    #[test]
    fn phone_sessions_ask_to_confirm_the_call() {
        let t = timing();
        let s = session(Start::of("bankid_se_phone_sign_start"), Scenario::Complete);
        assert_eq!(s.hint_code(s.started + MS(1500), &t), "userCallConfirm");
    }

    #[test]
    fn slow_failing_expiring_and_manual_sessions() {
        let t = timing();
        let mut slow = session(Start::of("freja_auth_start"), Scenario::Slow);
        assert_eq!(
            slow.hint_code(slow.started + MS(4900), &t),
            "outstandingTransaction"
        );
        assert!(!slow.advance(slow.started + MS(14_999), &t));
        assert!(slow.advance(slow.started + MS(15_000), &t));

        let mut failing = session(
            Start::of("mitid_auth_start"),
            Scenario::Fail {
                code: "AUTH_FAILED",
                hint: "certificateErr",
            },
        );
        assert!(failing.advance(failing.started + MS(3000), &t));
        assert!(matches!(
            failing.state,
            State::Failed {
                code: "AUTH_FAILED",
                ..
            }
        ));

        let mut expiring = session(Start::of("bankid_se_auth_start"), Scenario::Expire);
        assert_eq!(
            expiring.hint_code(expiring.started + MS(59_000), &t),
            "userSign"
        );
        assert!(!expiring.advance(expiring.started + MS(59_999), &t));
        assert!(expiring.advance(expiring.started + MS(60_000), &t));
        assert!(matches!(
            expiring.state,
            State::Failed {
                code: "SESSION_TIMEOUT",
                hint: "expiredTransaction",
                ..
            }
        ));

        // A slow user slower than the expiry times out.
        let short = Timing {
            expire_after: Duration::from_secs(10),
            ..t
        };
        let mut too_slow = session(Start::of("bankid_se_auth_start"), Scenario::Slow);
        assert!(too_slow.advance(too_slow.started + MS(15_000), &short));
        assert!(matches!(
            too_slow.state,
            State::Failed {
                code: "SESSION_TIMEOUT",
                ..
            }
        ));

        let mut manual = session(Start::of("bankid_se_auth_start"), Scenario::Manual);
        assert!(!manual.advance(manual.started + MS(30_000), &t));
        assert_eq!(
            manual.hint_code(manual.started + MS(30_000), &t),
            "outstandingTransaction"
        );
        manual.page_opened = true;
        assert_eq!(
            manual.hint_code(manual.started + MS(30_000), &t),
            "userSign"
        );
        assert!(manual.end(State::Completed { at: manual.started }));
        assert!(!manual.end(State::Failed {
            code: "CANCELLED",
            hint: "cancelled",
            at: manual.started
        }));
    }

    #[test]
    fn huge_timings_mean_never_instead_of_a_panic() {
        let t = Timing {
            step: Duration::MAX,
            expire_after: Duration::MAX,
            ..timing()
        };
        let mut s = session(Start::of("bankid_se_auth_start"), Scenario::Slow);
        assert!(!s.advance(s.started + MS(1_000_000), &t));
        assert_eq!(s.hint_code(s.started + MS(1), &t), "outstandingTransaction");
    }

    #[test]
    fn seeded_uuids_are_version_4_and_repeat() {
        use rand::SeedableRng;
        let mut a = Store::new(StdRng::seed_from_u64(1));
        let mut b = Store::new(StdRng::seed_from_u64(1));
        let id = a.uuid();
        assert_eq!(id, b.uuid());
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, a.uuid());
    }
}
