//! Integration tests of the emulator over real HTTP.

mod access_bindings;
mod api_keys;
mod auth;
mod binary;
mod common;
mod faults;
mod hooks;
mod http;
mod idempotency;
mod operations;
mod persistence;
mod service_accounts;
mod tokens;

/// The emulator can be shared between threads (for example in a `OnceLock`).
#[test]
fn emulator_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<yc_emulator::Emulator>();
}
