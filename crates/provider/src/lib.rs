//! The ycprov provider: Yandex Cloud IAM logic (service accounts, folder role
//! bindings, API keys) and a Terraform-style resource lifecycle, compiled to a
//! WebAssembly component.
//!
//! The logic lives in plain Rust modules generic over [`platform::Platform`], so it
//! compiles and is unit-tested natively; [`bindings`] is the thin wit-bindgen layer
//! that implements the component's exports by delegating to them.

pub mod bindings;
pub mod client;
pub mod error;
pub mod hierarchy;
pub mod iam;
pub mod lifecycle;
pub mod lockbox;
pub mod model;
pub mod mutation;
pub mod openpgp;
pub mod operation;
pub mod platform;
pub mod scopes;
pub use ycprov_provider_sdk::timestamp;
pub mod url;
pub mod uuid;
pub mod validation;
pub mod wire;

#[cfg(test)]
mod testing;
