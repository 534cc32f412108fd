//! The capabilities the host grants a provider component: one module per WIT import.

mod clock;
pub mod http;
mod identity;
mod log;

use std::any::Any;
use std::sync::Arc;
use std::time::SystemTime;

use secrecy::SecretString;
use wasmtime::StoreLimits;

use crate::bindings::identity::Identity;
use crate::policy::Policy;

pub use log::MAX_RECORDS_PER_CALL;

/// How a provider's requests are authenticated, and who it acts as: supplied by the
/// provider's host profile. The runner attaches the authorization itself; the guest only
/// ever sees the [`Identity`].
pub trait Credentials: Any + Send + Sync {
    /// The `Authorization` header value for requests to allowed origins, if any; an error
    /// refuses the request with that text.
    fn authorization(&self) -> Result<Option<SecretString>, String>;
    /// Who the provider acts as (never a secret), or why there is no identity.
    fn identity(&self) -> Result<Identity, String>;
}

/// No credentials: requests go out unauthenticated and the identity source is `none`.
pub struct NoCredentials;

impl Credentials for NoCredentials {
    fn authorization(&self) -> Result<Option<SecretString>, String> {
        Ok(None)
    }

    fn identity(&self) -> Result<Identity, String> {
        Ok(Identity {
            source: "none".into(),
            subject: None,
            attributes: Vec::new(),
        })
    }
}

/// Wall-clock time as the `clock` import reports it; a host may substitute a test clock.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Everything the imports need, shared by every instance of the component.
pub struct Capabilities {
    /// The sandbox policy.
    pub policy: Policy,
    /// The credentials attached to allowed requests.
    pub credentials: Arc<dyn Credentials>,
    /// The clock the guest reads.
    pub clock: Arc<dyn Clock>,
    /// The HTTP client that performs the guest's requests.
    pub http: http::HttpClient,
}

impl Capabilities {
    /// Capabilities under `policy` with `credentials`, reading the system clock.
    pub fn new(policy: Policy, credentials: Arc<dyn Credentials>) -> Capabilities {
        let http = http::HttpClient::new(&policy);
        Capabilities {
            policy,
            credentials,
            clock: Arc::new(SystemClock),
            http,
        }
    }

    /// The same capabilities reading `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Capabilities {
        self.clock = clock;
        self
    }

    /// The credentials as their concrete type, for the host profile that made them.
    pub fn credentials_as<T: Credentials>(&self) -> Option<&T> {
        let credentials: &dyn Any = &*self.credentials;
        credentials.downcast_ref::<T>()
    }
}

/// The data of one `Store`: the shared capabilities and this instance's limits.
pub struct HostState {
    /// The shared capabilities.
    pub caps: Arc<Capabilities>,
    /// Memory and instance limits of this store.
    pub limits: StoreLimits,
    /// Log records written during this store's call (bounded by the log capability).
    pub log_records: u32,
}
