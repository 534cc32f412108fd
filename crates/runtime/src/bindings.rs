//! Host-side bindings of the cloud-neutral world `ycprov:provider/provider@0.2.0`
//! (`wit/provider/since_v0.2.0`): the capability imports and the `lifecycle` export.
//! A host that serves a provider's own exports too (e.g. a cloud package's interface) generates
//! bindings of that world with these modules for the imports (`with:`).

wasmtime::component::bindgen!({
    world: "ycprov:provider/provider@0.2.0",
    path: "../../wit/provider/since_v0.2.0",
    imports: { default: trappable },
});

pub use self::exports::ycprov::provider::lifecycle;
pub use self::ycprov::provider::{clock, http, identity, log};

/// The cloud-neutral WIT package this runner implements, as `<package>@<version>`.
pub const NEUTRAL_PACKAGE: &str = "ycprov:provider@0.2.0";
