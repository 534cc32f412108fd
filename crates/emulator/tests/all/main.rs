//! Integration tests of the emulator over real HTTP.

mod access_bindings;
mod api_keys;
mod auth;
mod binary;
mod common;
mod faults;
mod http;
mod idempotency;
mod operations;
mod persistence;
mod service_accounts;
mod tokens;
