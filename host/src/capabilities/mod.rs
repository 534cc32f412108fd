//! The capabilities the host grants the provider component: one module per WIT import.

mod clock;
pub mod http;
mod identity;
mod log;

use std::sync::Arc;

use wasmtime::StoreLimits;

use crate::policy::Policy;
use crate::yandex::credentials::Credential;

/// Everything the imports need, shared by every instance of the component.
pub struct Capabilities {
    /// The sandbox policy.
    pub policy: Policy,
    /// The credential attached to allowed requests.
    pub credential: Credential,
    /// The HTTP client that performs the guest's requests.
    pub http: http::HttpClient,
    /// Default cloud id reported to the guest.
    pub cloud_id: Option<String>,
    /// Default folder id reported to the guest.
    pub folder_id: Option<String>,
}

impl Capabilities {
    /// Builds the capabilities from a policy and a credential.
    pub fn new(policy: Policy, credential: Credential) -> Capabilities {
        for secret in credential.secrets() {
            crate::redact::register(&secret);
        }
        let http = http::HttpClient::new(&policy);
        Capabilities {
            policy,
            credential,
            http,
            cloud_id: None,
            folder_id: None,
        }
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
