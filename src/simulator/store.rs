//! Sessions and documents, and how a session moves through its states.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use rand::rngs::StdRng;

use super::Timing;
use super::flows::{Channel, Family, Provider, Start, StartParams};
use super::people::TestPerson;
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
    pub(crate) end_user_signature: String,
    pub(crate) merchant_seal: String,
}

pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) start: Start,
    pub(crate) params: StartParams,
    pub(crate) scenario: Scenario,
    pub(crate) person: &'static TestPerson,
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
                .started
                .checked_add(self.step(timing).saturating_mul(3)),
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
        let step = self.step(timing).max(Duration::from_millis(1));
        let stage = now.saturating_duration_since(self.started).as_nanos() / step.as_nanos();
        match (stage, self.start.channel()) {
            (0, _) => "outstandingTransaction",
            (1, Channel::Phone) => "userCallConfirm",
            (1, _) => "started",
            _ => "userSign",
        }
    }
}

/// At most this many collect arrivals are kept per session.
pub(crate) const COLLECT_LOG_LIMIT: usize = 10_000;

/// An uploaded PDF.
pub(crate) struct Document {
    pub(crate) account: String,
    pub(crate) hash: String,
}

/// Everything the simulator remembers.
pub(crate) struct Store {
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) documents: HashMap<String, Document>,
    pub(crate) rng: StdRng,
    /// Per account: the last collect answered (for `RateLimit::PerAccount`).
    pub(crate) account_last_collect: HashMap<String, Instant>,
}

impl Store {
    pub(crate) fn new(rng: StdRng) -> Self {
        Self {
            sessions: HashMap::new(),
            documents: HashMap::new(),
            rng,
            account_last_collect: HashMap::new(),
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
    /// answer 404, like an expired id on the real service).
    pub(crate) fn purge(&mut self, now: Instant, retention: Duration) {
        self.sessions.retain(|_, s| match s.state {
            State::Pending => true,
            State::Completed { at } | State::Failed { at, .. } => {
                now.saturating_duration_since(at) < retention
            }
        });
    }
}
