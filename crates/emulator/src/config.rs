//! How an emulator instance is configured: seed, operation timing, faults, persistence, quotas.

use std::path::PathBuf;

/// Everything that shapes one emulator instance.
///
/// `Config::default()` is a fresh in-memory cloud with no faults, seed 1 and operations that are
/// done immediately.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed for every generated id, token and injected fault: the same seed gives the same cloud.
    pub seed: u64,
    /// Operations stay `done=false` for this many `GET /operations/{id}` polls.
    pub pending_polls: u32,
    /// Injected faults (latency, 429, 503, connection resets, failed or slow operations).
    pub faults: Faults,
    /// Load the cloud from this file at start if it exists; save it atomically after each mutation.
    pub state_file: Option<PathBuf>,
    /// Per-cloud quotas.
    pub quotas: Quotas,
    /// Append one JSON line per HTTP exchange to this file (method, path, query, bodies, status).
    pub record_file: Option<PathBuf>,
    /// API key scopes the cloud offers beyond the documented ones ([`crate::KNOWN_SCOPES`]).
    pub extra_scopes: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            pending_polls: 0,
            faults: Faults::default(),
            state_file: None,
            quotas: Quotas::default(),
            record_file: None,
            extra_scopes: Vec::new(),
        }
    }
}

/// Injected faults. Rates are probabilities in `0.0..=1.0`, drawn from a generator seeded with
/// [`Config::seed`], so a sequential client sees the same faults on every run.
/// Faults never apply to the `/_emulator/*` endpoints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// The latency of every response: it is sent this long after its request arrived,
    /// the emulator's own work included (a mutation takes effect on arrival).
    pub latency_ms: u64,
    /// Extra uniformly random latency in `0..=latency_jitter_ms` for every response.
    pub latency_jitter_ms: u64,
    /// Probability of answering 429 RESOURCE_EXHAUSTED with a `Retry-After` header.
    pub rate_429: f64,
    /// Probability of answering 503 UNAVAILABLE.
    pub rate_503: f64,
    /// Probability of closing the connection without any response.
    pub rate_reset: f64,
    /// Probability that a new Operation ends with `error` and its change is not applied.
    pub rate_failed_operation: f64,
    /// Every new Operation stays `done=false` for this many extra polls.
    pub slow_operation_polls: u32,
}

impl Faults {
    /// True when any request-level fault (latency, 429, 503, reset) is switched on.
    pub fn affects_requests(&self) -> bool {
        self.latency_ms > 0
            || self.latency_jitter_ms > 0
            || self.rate_429 > 0.0
            || self.rate_503 > 0.0
            || self.rate_reset > 0.0
    }
}

/// Per-cloud quotas; exceeding one gives RESOURCE_EXHAUSTED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// `iam.serviceAccounts.count`.
    pub service_accounts: usize,
    /// `iam.apiKeys.count`.
    pub api_keys: usize,
    /// `iam.accessBindings.count`: bindings on the cloud's folders and service accounts.
    pub access_bindings: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            service_accounts: 100,
            api_keys: 1000,
            access_bindings: 1000,
        }
    }
}
