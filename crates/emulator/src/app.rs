//! The shared state of a running emulator and the dispatch of API requests to services.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::auth::Principal;
use crate::cloud::{CloudState, Replay};
use crate::config::{Config, Faults, Quotas};
use crate::error::{ApiError, ApiResult, Code};
use crate::faults::{FaultInjector, RequestFault};
use crate::operation::{OperationRecord, Outcome};
use crate::recorder::Recorder;
use crate::routes::Route;
use crate::stats::Stats;

/// One API request after routing and parsing (no `Debug`: it carries credentials).
pub struct ApiRequest {
    /// The matched method and its path parameter.
    pub route: Route,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The `Host` header, used to point discovered endpoints back at this server.
    pub host: Option<String>,
}

impl ApiRequest {
    /// The `Authorization` header.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// The `Idempotency-Key` header.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

/// Called with the sequence number (from 1) of every API request that changed, or may have
/// changed, the cloud (a successful non-GET request), after it took effect and before its
/// response is sent. Tests use it to stop a client at an exact point.
pub type RequestHook = Arc<dyn Fn(u64) + Send + Sync>;

/// Everything a running emulator shares between connections.
pub struct App {
    cloud: Mutex<CloudState>,
    state_file: Option<PathBuf>,
    pending_polls: u32,
    quotas: Quotas,
    extra_scopes: Vec<String>,
    faults: Mutex<FaultInjector>,
    stats: Mutex<Stats>,
    recorder: Option<Recorder>,
    address: String,
    applied_requests: AtomicU64,
    request_hook: Mutex<Option<RequestHook>>,
}

/// An API request under way (see [`App::request_under_way`]); dropping it counts the
/// request answered.
pub struct UnderWay<'a> {
    app: &'a App,
}

impl Drop for UnderWay<'_> {
    fn drop(&mut self) {
        lock(&self.app.stats).request_finished();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// Loads or creates the cloud of `config`; `address` is the bound `host:port`.
    pub fn new(config: &Config, address: String) -> anyhow::Result<App> {
        let cloud = match &config.state_file {
            Some(path) if path.exists() => CloudState::load(path)?,
            Some(path) => {
                let cloud = CloudState::fresh(config.seed);
                cloud.save(path)?;
                cloud
            }
            None => CloudState::fresh(config.seed),
        };
        let recorder = config
            .record_file
            .as_deref()
            .map(Recorder::open)
            .transpose()?;
        Ok(App {
            cloud: Mutex::new(cloud),
            state_file: config.state_file.clone(),
            pending_polls: config.pending_polls,
            quotas: config.quotas.clone(),
            extra_scopes: config.extra_scopes.clone(),
            faults: Mutex::new(FaultInjector::new(config.faults.clone(), config.seed)),
            stats: Mutex::new(Stats::default()),
            recorder,
            address,
            applied_requests: AtomicU64::new(0),
            request_hook: Mutex::new(None),
        })
    }

    /// Exclusive access to the cloud.
    pub fn lock(&self) -> MutexGuard<'_, CloudState> {
        lock(&self.cloud)
    }

    /// The bound `host:port`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The API key scopes this cloud offers: the documented ones and the configured extras.
    pub fn offered_scopes(&self) -> Vec<String> {
        crate::KNOWN_SCOPES
            .iter()
            .map(|s| s.to_string())
            .chain(self.extra_scopes.iter().cloned())
            .collect()
    }

    /// The per-cloud quotas.
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    /// The record file, if recording.
    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// Saves the cloud to the state file (if any) after a mutation.
    pub fn commit(&self, cloud: &CloudState) -> ApiResult<()> {
        match &self.state_file {
            None => Ok(()),
            Some(path) => cloud.save(path).map_err(|err| {
                eprintln!("yc-emulator: {err:#}");
                ApiError::new(
                    Code::Internal,
                    "Internal error: cannot persist the cloud state",
                )
            }),
        }
    }

    /// A copy of the counters.
    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    /// Counts one request to `endpoint`.
    pub fn count_request(&self, endpoint: &str) {
        lock(&self.stats).record_request(endpoint);
    }

    /// Counts an API request under way until the returned guard is dropped.
    pub fn request_under_way(&self) -> UnderWay<'_> {
        lock(&self.stats).request_started();
        UnderWay { app: self }
    }

    /// Counts one injected fault.
    pub fn count_fault(&self, kind: &str) {
        lock(&self.stats).record_fault(kind);
    }

    /// Counts `count` objects of `kind` created.
    pub fn count_created(&self, kind: &str, count: u64) {
        lock(&self.stats).record_created(kind, count);
    }

    /// Sets (or with `None` removes) the hook called after every applied mutating request.
    pub fn set_request_hook(&self, hook: Option<RequestHook>) {
        *lock(&self.request_hook) = hook;
    }

    /// Numbers a successful mutating request and calls the hook with its number. Runs
    /// after the request took effect and before its response is sent; no lock is held.
    pub fn after_mutating_request(&self) {
        let number = self.applied_requests.fetch_add(1, Ordering::SeqCst) + 1;
        let hook = lock(&self.request_hook).clone();
        if let Some(hook) = hook {
            hook(number);
        }
    }

    /// Replaces the fault settings (and restarts their seeded sequence).
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.faults).set(faults);
    }

    /// Draws the delay and fault of one request.
    pub fn draw_request_fault(&self) -> (Duration, RequestFault) {
        lock(&self.faults).draw_request()
    }

    /// Starts an Operation for a checked mutation. Unless a failed-operation fault is drawn,
    /// `apply` changes the cloud and returns the response Any; otherwise nothing changes and the
    /// Operation ends with an error. The Operation is remembered under the request's
    /// Idempotency-Key and the cloud is saved.
    pub fn start_operation(
        &self,
        cloud: &mut CloudState,
        request: &ApiRequest,
        caller: &Principal,
        description: &str,
        metadata: Value,
        apply: impl FnOnce(&mut CloudState) -> Value,
    ) -> ApiResult<Value> {
        let (failed, slow_polls) = {
            let mut faults = lock(&self.faults);
            let slow = faults.faults().slow_operation_polls;
            (faults.draw_failed_operation(), slow)
        };
        let outcome = if failed {
            self.count_fault("failed_operation");
            OperationRecord::failure(&ApiError::new(
                Code::Internal,
                "Operation failed: internal error (injected fault), no change was applied",
            ))
        } else {
            Outcome::Response(apply(cloud))
        };
        let id = cloud.ids.resource_id(crate::ids::IAM_PREFIX);
        let record = OperationRecord::new(
            id.clone(),
            description,
            &caller.subject_id,
            metadata,
            outcome,
            self.pending_polls.saturating_add(slow_polls),
        );
        let json = record.to_json();
        cloud.operations.insert(id.clone(), record);
        cloud.remember(request.idempotency_key(), Replay::Operation(id));
        self.commit(cloud)?;
        Ok(json)
    }
}
