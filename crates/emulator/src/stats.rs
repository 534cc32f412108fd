//! Request counters per endpoint and per injected fault.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counters since the emulator started (the `/_emulator/*` endpoints are not counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests per endpoint, keyed `"METHOD /route/template"`, for example
    /// `"POST /iam/v1/serviceAccounts"` or `"GET /operations/{operationId}"`. Requests that match
    /// no endpoint are counted under `"METHOD (unknown)"`.
    pub requests: BTreeMap<String, u64>,
    /// All requests.
    pub total_requests: u64,
    /// Injected faults by kind: `reset`, `429`, `503`, `failed_operation`.
    pub injected_faults: BTreeMap<String, u64>,
    /// Objects actually created, by kind: `service_account`, `api_key`, `access_binding`
    /// (an ADD delta that took effect). A retried or replayed request that created nothing
    /// is not counted, so these say whether anything was created twice.
    #[serde(default)]
    pub created: BTreeMap<String, u64>,
    /// The most API requests that were under way at once (arrived and not yet answered):
    /// how many a client had in flight, its parallelism as the API saw it.
    #[serde(default)]
    pub peak_in_flight: u64,
    /// The API requests under way now.
    #[serde(default)]
    pub in_flight: u64,
}

impl Stats {
    /// The number of requests to one endpoint (`"METHOD /route/template"`).
    pub fn count(&self, endpoint: &str) -> u64 {
        self.requests.get(endpoint).copied().unwrap_or(0)
    }

    /// Counts one request.
    pub fn record_request(&mut self, endpoint: &str) {
        self.total_requests += 1;
        match self.requests.get_mut(endpoint) {
            Some(count) => *count += 1,
            None => {
                self.requests.insert(endpoint.to_string(), 1);
            }
        }
    }

    /// Counts a request that has arrived and is not yet answered.
    pub fn request_started(&mut self) {
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
    }

    /// Counts the answer to a request counted by [`Stats::request_started`].
    pub fn request_finished(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Counts one injected fault.
    pub fn record_fault(&mut self, kind: &str) {
        *self.injected_faults.entry(kind.to_string()).or_insert(0) += 1;
    }

    /// Counts `count` objects of `kind` created.
    pub fn record_created(&mut self, kind: &str, count: u64) {
        if count > 0 {
            *self.created.entry(kind.to_string()).or_insert(0) += count;
        }
    }

    /// The number of objects of `kind` created.
    pub fn created(&self, kind: &str) -> u64 {
        self.created.get(kind).copied().unwrap_or(0)
    }
}
