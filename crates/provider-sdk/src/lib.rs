//! The guest-side SDK for ycprov provider components.
//!
//! A provider is its resource types plus a few lines: implement [`Resource`] for each
//! type (a [`ResourceSchema`] and the API calls), list them in a [`ProviderDefinition`],
//! and call [`export_provider!`]. The SDK supplies the rest of the lifecycle contract
//! (`ycprov:provider/lifecycle`): schema checks, unknown values, force-new replacement,
//! normalisation that is not drift, pending creates, and typed diagnostics.
//!
//! Everything except the export glue ([`guest`]) is plain Rust, so providers unit-test
//! natively with a fake host.

pub mod data_source;
pub mod diagnostics;
pub mod guest;
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
pub mod guest_memory;
pub mod pending;
pub mod provider;
pub mod resource;
pub mod rules;
pub mod schema;
pub mod timestamp;
pub mod value;

pub use data_source::{DataSource, HostValue};
pub use diagnostics::{AttributePath, Diagnostic, PathStep, Severity, has_errors};
pub use provider::{Context, PlannedChange, Provider, ProviderDefinition, StateResult};
pub use resource::{Change, Outcome, Resource};
pub use schema::{AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema};
pub use value::Attrs;
