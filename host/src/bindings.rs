//! Host-side bindings of the Yandex package's `iam` export (world
//! `yandex-cloud:iam/yandex-provider@0.2.0`, `wit/yandex/since_v0.2.0`). The imports and
//! the `lifecycle` export are the runner's (`ycprov_runtime::bindings`).

wasmtime::component::bindgen!({
    world: "yandex-cloud:iam/yandex-provider@0.2.0",
    path: ["../wit/provider/since_v0.2.0", "../wit/yandex/since_v0.2.0"],
    imports: { default: trappable },
    with: {
        "ycprov:provider/http": ycprov_runtime::bindings::http,
        "ycprov:provider/identity": ycprov_runtime::bindings::identity,
        "ycprov:provider/clock": ycprov_runtime::bindings::clock,
        "ycprov:provider/log": ycprov_runtime::bindings::log,
    },
});

pub use self::exports::yandex_cloud::iam::iam;
pub use ycprov_runtime::bindings::{http, lifecycle};
