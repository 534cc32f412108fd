//! `yc-emulator`: serves a local Yandex Cloud until killed. Prints one JSON line with the
//! endpoint and the seeded identities to stdout, human-readable information to stderr.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use yc_emulator::{Config, Emulator, Faults, Quotas};

/// A local Yandex Cloud (IAM, Resource Manager, Operations REST) for tests and demos.
#[derive(Debug, Parser)]
#[command(name = "yc-emulator", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "YC_EMULATOR_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Keep the cloud in this file: loaded at start if it exists, saved after each change.
    #[arg(long, env = "YC_EMULATOR_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Seed of generated ids, tokens and injected faults.
    #[arg(long, env = "YC_EMULATOR_SEED", default_value_t = 1)]
    seed: u64,
    /// Operations stay done=false for this many polls.
    #[arg(long, env = "YC_EMULATOR_PENDING_POLLS", default_value_t = 0)]
    pending_polls: u32,
    /// Append one JSON line per HTTP exchange to this file.
    #[arg(long, env = "YC_EMULATOR_RECORD_FILE")]
    record_file: Option<PathBuf>,
    /// Latency of every response, in milliseconds: it leaves this long after its request
    /// arrived (the emulator's own work included).
    #[arg(long, env = "YC_EMULATOR_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,
    /// Extra random latency up to this many milliseconds.
    #[arg(long, env = "YC_EMULATOR_LATENCY_JITTER_MS", default_value_t = 0)]
    latency_jitter_ms: u64,
    /// Probability of 429 RESOURCE_EXHAUSTED (with Retry-After).
    #[arg(long = "rate-429", env = "YC_EMULATOR_RATE_429", default_value_t = 0.0)]
    rate_429: f64,
    /// Probability of 503 UNAVAILABLE.
    #[arg(long = "rate-503", env = "YC_EMULATOR_RATE_503", default_value_t = 0.0)]
    rate_503: f64,
    /// Probability of closing the connection without a response.
    #[arg(long, env = "YC_EMULATOR_RATE_RESET", default_value_t = 0.0)]
    rate_reset: f64,
    /// Probability that an Operation fails without applying its change.
    #[arg(long, env = "YC_EMULATOR_RATE_FAILED_OPERATION", default_value_t = 0.0)]
    rate_failed_operation: f64,
    /// Every Operation stays done=false for this many extra polls.
    #[arg(long, env = "YC_EMULATOR_SLOW_OPERATION_POLLS", default_value_t = 0)]
    slow_operation_polls: u32,
    /// Service accounts per cloud.
    #[arg(
        long,
        env = "YC_EMULATOR_QUOTA_SERVICE_ACCOUNTS",
        default_value_t = 100
    )]
    quota_service_accounts: usize,
    /// API keys per cloud.
    #[arg(long, env = "YC_EMULATOR_QUOTA_API_KEYS", default_value_t = 1000)]
    quota_api_keys: usize,
    /// Access bindings per cloud (folders and service accounts).
    #[arg(
        long,
        env = "YC_EMULATOR_QUOTA_ACCESS_BINDINGS",
        default_value_t = 1000
    )]
    quota_access_bindings: usize,
    /// An API key scope the cloud offers beyond the documented ones (repeatable).
    #[arg(
        long = "extra-scope",
        env = "YC_EMULATOR_EXTRA_SCOPES",
        value_delimiter = ','
    )]
    extra_scopes: Vec<String>,
}

fn check_rate(name: &str, rate: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&rate),
        "--{name} must be between 0 and 1, got {rate}"
    );
    Ok(rate)
}

fn config(args: &Args) -> anyhow::Result<Config> {
    Ok(Config {
        seed: args.seed,
        pending_polls: args.pending_polls,
        faults: Faults {
            latency_ms: args.latency_ms,
            latency_jitter_ms: args.latency_jitter_ms,
            rate_429: check_rate("rate-429", args.rate_429)?,
            rate_503: check_rate("rate-503", args.rate_503)?,
            rate_reset: check_rate("rate-reset", args.rate_reset)?,
            rate_failed_operation: check_rate("rate-failed-operation", args.rate_failed_operation)?,
            slow_operation_polls: args.slow_operation_polls,
        },
        state_file: args.state_file.clone(),
        quotas: Quotas {
            service_accounts: args.quota_service_accounts,
            api_keys: args.quota_api_keys,
            access_bindings: args.quota_access_bindings,
        },
        record_file: args.record_file.clone(),
        extra_scopes: args.extra_scopes.clone(),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let emulator = Emulator::start_on(config(&args)?, args.listen)?;
    let seed = emulator.seed();
    let banner = serde_json::json!({
        "endpoint": emulator.base_url(),
        "cloud_id": seed.cloud_id,
        "folder_id": seed.folder_id,
        "other_folder_id": seed.other_folder_id,
        "token": seed.admin_token,
        "viewer_token": seed.viewer_token,
        "oauth_token": seed.oauth_token,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{banner}").context("writing the start line")?;
    stdout.flush().context("writing the start line")?;
    drop(stdout);
    eprintln!(
        "yc-emulator: serving {} (cloud {}, folders {} and {}){}",
        emulator.base_url(),
        seed.cloud_id,
        seed.folder_id,
        seed.other_folder_id,
        match &args.state_file {
            Some(path) => format!(", state in {}", path.display()),
            None => ", in memory".to_string(),
        }
    );
    loop {
        std::thread::park();
    }
}
