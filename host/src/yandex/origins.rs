//! The Yandex Cloud API origins, shared by the host profile and the build (which bakes them
//! into the WASI adapter as its default API origins).

/// The Yandex Cloud API origins the provider talks to.
pub const ORIGINS: [&str; 5] = [
    "https://iam.api.cloud.yandex.net:443",
    "https://resource-manager.api.cloud.yandex.net:443",
    "https://operation.api.cloud.yandex.net:443",
    "https://lockbox.api.cloud.yandex.net:443",
    "https://payload.lockbox.api.cloud.yandex.net:443",
];
