//! A local Yandex Cloud for tests, benchmarks and demos: the IAM (service accounts, access
//! bindings, API keys, authorized keys, IAM tokens), Resource Manager (folders) and Operation
//! REST APIs on one address, with the real paths, proto3 JSON, Operations, error bodies,
//! validation, authentication, quotas, idempotency, persistence and switchable faults.
//!
//! ```no_run
//! use yc_emulator::{Config, Emulator};
//! let emulator = Emulator::start(Config::default())?;
//! let url = format!("{}/iam/v1/serviceAccounts?folderId={}", emulator.base_url(), emulator.seed().folder_id);
//! // GET `url` with `Authorization: Bearer <emulator.seed().admin_token>`
//! # Ok::<(), anyhow::Error>(())
//! ```

mod app;
mod auth;
mod clock;
mod cloud;
mod config;
mod error;
mod faults;
mod http;
mod ids;
mod input;
mod jwt;
mod model;
mod operation;
mod recorder;
mod routes;
mod server;
mod services;
mod stats;
mod validate;

pub use app::RequestHook;
pub use cloud::Seed;
pub use config::{Config, Faults, Quotas};
pub use jwt::AUDIENCE as JWT_AUDIENCE;
pub use model::{AccessBinding, ApiKey, LockboxSecretSnapshot, ServiceAccount, Snapshot};
pub use server::Emulator;
pub use services::api_keys::{DEFAULT_SCOPES, KNOWN_SCOPES};
pub use stats::Stats;
