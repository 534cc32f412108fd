//! The WASI adapter: ycprov's neutral provider capabilities (`http`, `identity`, `clock`,
//! `log`) implemented on standard WASI 0.2 interfaces (`wasi:http/outgoing-handler`,
//! `wasi:clocks`, `wasi:random`, `wasi:cli/environment`, `wasi:cli/stderr`).
//!
//! The host build composes it with a provider (`wac-graph`), so the result imports nothing
//! but `wasi:*` and runs in stock WASI hosts. What the adapter sees: its configuration
//! (including the token), and every request and response of the provider, in clear. The
//! provider sees neither the token nor the configuration, only the identity attributes.

mod bindings {
    wit_bindgen::generate!({
        world: "ycprov:wasi-adapter/adapter@0.2.0",
        path: ["../../wit/provider/since_v0.2.0", "wit"],
        generate_all,
    });
}

pub mod config;
mod http;
pub mod origin;

use std::sync::OnceLock;

use bindings::exports::ycprov::provider::{clock, http as wit_http, identity, log};
use bindings::wasi;
use config::{Config, Severity};

/// The longest one `clock.sleep` blocks (as in ycprov's host).
const MAX_SLEEP_MILLIS: u32 = 60_000;

/// The configuration, read from the environment on first use.
fn config() -> &'static Result<Config, String> {
    static CONFIG: OnceLock<Result<Config, String>> = OnceLock::new();
    CONFIG.get_or_init(|| Config::from_vars(&wasi::cli::environment::get_environment()))
}

/// The exported capabilities.
struct Adapter;

impl wit_http::Guest for Adapter {
    fn send(req: wit_http::Request) -> Result<wit_http::Response, wit_http::TransportError> {
        match config() {
            Ok(config) => http::send(config, req),
            Err(error) => Err(wit_http::TransportError::Denied(format!(
                "the WASI adapter's configuration: {error}"
            ))),
        }
    }
}

impl identity::Guest for Adapter {
    fn current() -> Result<identity::Identity, String> {
        let config = config()
            .as_ref()
            .map_err(|e| format!("the WASI adapter's configuration: {e}"))?;
        Ok(identity::Identity {
            source: if config.token.is_some() {
                "environment".into()
            } else {
                "none".into()
            },
            subject: config.subject.clone(),
            attributes: config.attributes.clone(),
        })
    }
}

impl clock::Guest for Adapter {
    fn now() -> clock::Instant {
        let now = wasi::clocks::wall_clock::now();
        clock::Instant {
            seconds: i64::try_from(now.seconds).unwrap_or(i64::MAX),
            nanoseconds: now.nanoseconds,
        }
    }

    fn sleep(millis: u32) {
        let nanos = u64::from(millis.min(MAX_SLEEP_MILLIS)) * 1_000_000;
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }

    fn random() -> u64 {
        wasi::random::random::get_random_u64()
    }
}

impl log::Guest for Adapter {
    fn log(level: log::Level, message: String) {
        let severity = match level {
            log::Level::Trace => Severity::Trace,
            log::Level::Debug => Severity::Debug,
            log::Level::Info => Severity::Info,
            log::Level::Warn => Severity::Warn,
            log::Level::Error => Severity::Error,
        };
        write_log(severity, &message);
    }
}

/// Writes one record to stderr when its severity is at or above `YCPROV_LOG`; the token
/// is masked should a message contain it.
pub(crate) fn write_log(severity: Severity, message: &str) {
    let (threshold, token) = match config() {
        Ok(config) => (config.log_level, config.token.as_deref()),
        Err(_) => (Severity::Warn, None),
    };
    if severity < threshold {
        return;
    }
    let mut line = format!("ycprov-provider {}: {message}\n", severity.name());
    if let Some(token) = token {
        line = line.replace(token, "[redacted]");
    }
    let stderr = wasi::cli::stderr::get_stderr();
    for chunk in line.as_bytes().chunks(4096) {
        if stderr.blocking_write_and_flush(chunk).is_err() {
            return;
        }
    }
}

// Export symbols carry `:` and `@` in their names, which native linkers reject in a
// cdylib's version script; natively the impls are only type-checked (and unit-tested).
#[cfg(target_arch = "wasm32")]
bindings::export!(Adapter with_types_in bindings);
