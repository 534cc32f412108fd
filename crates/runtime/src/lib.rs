//! The ycprov provider runner: it loads any provider component of the cloud-neutral
//! world `ycprov:provider/provider@0.2.0` on wasmtime and knows no cloud.
//!
//! * [`Runtime`] loads a component once (precompiled by the host's build when it matches
//!   this engine, else compiled with an on-disk cache) and runs every call in a fresh store
//!   and instance, under an epoch deadline and a memory limit.
//! * It links only the capabilities the component imports: one without `http` has no
//!   network at all.
//! * What a provider may reach and how its requests are authenticated come from its
//!   host profile, as a [`Policy`] and a [`Credentials`] implementation in
//!   [`Capabilities`]; nothing about a particular cloud is built in.

pub mod bindings;
pub mod capabilities;
pub mod component_cache;
pub mod engine_config;
pub mod host_values;
pub mod policy;
mod resolver;
pub mod runtime;

pub use capabilities::{Capabilities, Clock, Credentials, HostState, NoCredentials, SystemClock};
pub use engine_config::engine_config;
pub use policy::{Origin, Policy, PolicyFile};
pub use runtime::{ComponentSpec, Runtime, interfaces};
