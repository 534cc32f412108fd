//! The Yandex Cloud host profile: everything the host knows about the Yandex provider, in
//! one place. Its API origins (the default allow-list, and what an endpoint override
//! replaces), the provider-block keys the host reads itself (credentials and the endpoint,
//! never passed to the component), the credential chain (`credentials/`: IAM token, OAuth
//! exchange, service-account key, `yc` profile, metadata service), and the local emulator
//! behind `--local` (`local.rs`). The runner (`ycprov-runtime`) knows no cloud and takes
//! what it needs from here: a [`Policy`], the [`YandexCredentials`] and the WIT package
//! whose `iam` export the imperative commands call.

pub mod credentials;
pub mod local;
mod origins;

pub use origins::ORIGINS;

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use secrecy::SecretString;
use serde_json::Value;
use ycprov_runtime::bindings::identity::Identity;
use ycprov_runtime::{Capabilities, ComponentSpec, Credentials, Policy, Runtime};

use crate::cli::GlobalArgs;
use credentials::{Credential, CredentialConfig};
use local::LocalCloud;

/// The Yandex provider component built with this host.
pub const EMBEDDED_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/provider.wasm"));

/// [`EMBEDDED_COMPONENT`] compiled by the build for [`ycprov_runtime::engine_config`] on the
/// build machine's CPU; another CPU compiles the component instead (and caches it).
pub const EMBEDDED_PRECOMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/provider.cwasm"));

/// The WASI build: the Yandex provider composed with the WASI adapter
/// (`crates/wasi-adapter`), importing only `wasi:*`, for stock WASI 0.2 hosts.
pub const WASI_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/provider-wasi.wasm"));

/// The Yandex WIT package whose `iam` export the host calls, beyond the neutral package.
pub const PACKAGES: [&str; 1] = ["yandex-cloud:iam@0.2.0"];

/// The package of ycprov 0.1 (one world bundling `iam` and the lifecycle), refused with a
/// message naming the supported versions.
pub const RETIRED_PACKAGES: [&str; 1] = ["yandex-cloud:iam-provider"];

/// The credentials of the Yandex profile: the resolved [`Credential`] (attached as
/// `Authorization: Bearer`), and the default cloud and folder the guest sees as the
/// identity attributes `cloud-id` and `folder-id`.
pub struct YandexCredentials {
    /// The credential chain's result.
    pub credential: Credential,
    /// The default cloud id.
    pub cloud_id: Option<String>,
    /// The default folder id.
    pub folder_id: Option<String>,
}

impl Credentials for YandexCredentials {
    fn authorization(&self) -> Result<Option<SecretString>, String> {
        self.credential.authorization().map_err(|e| e.to_string())
    }

    fn identity(&self) -> Result<Identity, String> {
        if let Some(failure) = self.credential.failure() {
            return Err(format!("credentials: {failure}"));
        }
        let attributes = [("cloud-id", &self.cloud_id), ("folder-id", &self.folder_id)]
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name.to_string(), v)))
            .collect();
        Ok(Identity {
            source: self.credential.source_name().to_string(),
            subject: self.credential.subject_id(),
            attributes,
        })
    }
}

/// The capabilities of the Yandex provider: `policy`, and `credential` with the default
/// cloud and folder; the credential's secrets are registered for redaction.
pub fn capabilities_for(
    policy: Policy,
    credential: Credential,
    cloud_id: Option<String>,
    folder_id: Option<String>,
) -> Capabilities {
    for secret in credential.secrets() {
        crate::redact::register(&secret);
    }
    let credentials = YandexCredentials {
        credential,
        cloud_id,
        folder_id,
    };
    Capabilities::new(policy, Arc::new(credentials)).with_clock(crate::clock::host_clock())
}

/// Loads the Yandex provider: the component file when given, else the embedded one.
pub fn runtime(component_file: Option<&Path>, caps: Capabilities) -> Result<Runtime> {
    match component_file {
        Some(path) => Runtime::from_file(path, &PACKAGES, &RETIRED_PACKAGES, caps),
        None => Runtime::new(
            ComponentSpec {
                wasm: EMBEDDED_COMPONENT,
                precompiled: Some(EMBEDDED_PRECOMPILED),
                what: "the embedded Yandex provider component",
                packages: &PACKAGES,
                retired: &RETIRED_PACKAGES,
            },
            caps,
        ),
    }
}

/// The Yandex credentials of a runtime made by [`runtime`] with [`capabilities_for`].
pub fn credentials_of(runtime: &Runtime) -> Option<&YandexCredentials> {
    runtime.capabilities().credentials_as::<YandexCredentials>()
}

/// The sandbox policy for the Yandex provider: its origins, requests to them sent to
/// `endpoint` when given (the emulator, a private endpoint), and the `--policy` file.
pub fn policy(global: &GlobalArgs, endpoint: Option<&str>) -> Result<Policy> {
    crate::providers::policy(global, &ORIGINS, endpoint)
}

/// The capabilities for the imperative commands: credentials, endpoint and default
/// cloud and folder from the flags, the `YC_*` environment and the `yc` profile.
pub fn capabilities(global: &GlobalArgs) -> Result<Capabilities> {
    let config = CredentialConfig::from_global(global);
    let policy = policy(global, config.endpoint.as_deref())?;
    Ok(capabilities_for(
        policy,
        Credential::resolve(&config),
        config.default_cloud_id(),
        config.default_folder_id(),
    ))
}

/// The keys of a `provider "yandex"` block the host reads itself.
#[derive(Default)]
pub struct ProviderBlock {
    /// `token`: an IAM or OAuth token (sensitive).
    pub token: Option<String>,
    /// `service_account_key_file`: an authorized key file (sensitive).
    pub service_account_key_file: Option<String>,
    /// `endpoint`, when it is a URL: where the API requests go.
    pub endpoint: Option<String>,
    /// `folder_id`: the default folder.
    pub folder_id: Option<String>,
    /// `cloud_id`: the default cloud.
    pub cloud_id: Option<String>,
}

impl ProviderBlock {
    /// The keys from the evaluated provider block (`null` when there is none).
    pub fn from_settings(settings: &Value) -> ProviderBlock {
        let text = |name: &str| {
            settings
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        ProviderBlock {
            token: text("token"),
            service_account_key_file: text("service_account_key_file"),
            endpoint: text("endpoint").filter(|e| e.contains("://")),
            folder_id: text("folder_id"),
            cloud_id: text("cloud_id"),
        }
    }
}

/// The capabilities for a configuration: against the local cloud when `local` is given
/// (its admin token, folder and cloud), else the provider block over the flags, the
/// environment and the `yc` profile.
pub fn configured_capabilities(
    global: &GlobalArgs,
    block: ProviderBlock,
    local: Option<&LocalCloud>,
) -> Result<Capabilities> {
    let (endpoint, credential, folder_id, cloud_id) = match local {
        Some(cloud) => {
            let seed = cloud.emulator.seed();
            (
                Some(cloud.emulator.base_url()),
                Credential::from_sources(Some(seed.admin_token.clone()), None),
                Some(seed.folder_id.clone()),
                Some(seed.cloud_id.clone()),
            )
        }
        None => {
            if let Some(token) = &block.token {
                crate::redact::register(token);
            }
            let endpoint = global.endpoint.clone().or(block.endpoint);
            let mut config = CredentialConfig::from_global(global)
                .with_provider_block(block.token, block.service_account_key_file);
            config.endpoint = endpoint.clone();
            (
                endpoint,
                Credential::resolve(&config),
                block
                    .folder_id
                    .or_else(|| std::env::var("YC_FOLDER_ID").ok()),
                block.cloud_id.or_else(|| std::env::var("YC_CLOUD_ID").ok()),
            )
        }
    };
    let policy = policy(global, endpoint.as_deref())?;
    Ok(capabilities_for(policy, credential, cloud_id, folder_id))
}
