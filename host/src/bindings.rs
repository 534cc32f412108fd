//! Host-side bindings generated from the WIT package in `wit/`.

wasmtime::component::bindgen!({
    world: "provider-component",
    path: "../wit",
    imports: { default: trappable },
});

pub use exports::yandex_cloud::iam_provider::{iam, provider};
pub use yandex_cloud::iam_provider::{clock, credentials, http, log};
