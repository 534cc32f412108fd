//! Host-side bindings of the world `yandex-cloud:iam/yandex-provider@0.2.0`: the
//! cloud-neutral `ycprov:provider@0.2.0` world (`wit/provider/since_v0.2.0`) plus the
//! Yandex `iam` export (`wit/yandex/since_v0.2.0`).

wasmtime::component::bindgen!({
    world: "yandex-cloud:iam/yandex-provider@0.2.0",
    path: ["../wit/provider/since_v0.2.0", "../wit/yandex/since_v0.2.0"],
    imports: { default: trappable },
});

pub use self::exports::yandex_cloud::iam::iam;
pub use self::exports::ycprov::provider::lifecycle;
pub use self::ycprov::provider::{clock, http, identity, log};

/// The WIT package versions this host implements, as `<package>@<version>`.
pub const SUPPORTED_PACKAGES: [&str; 2] = ["ycprov:provider@0.2.0", "yandex-cloud:iam@0.2.0"];
