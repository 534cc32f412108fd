//! The Yandex Cloud host profile: everything the host knows about the Yandex provider, in
//! one place. Its API origins (the default allow-list, and what an endpoint override
//! replaces), the provider-block keys the host reads itself (credentials and the endpoint,
//! never passed to the component), the credential chain (`credentials/`: IAM token, OAuth
//! exchange, service-account key, `yc` profile, metadata service), and the local emulator
//! behind `--local` (`local.rs`). The rest of the host (policy, runtime, capabilities) knows
//! no cloud and takes what it needs from here.

pub mod credentials;
pub mod local;

use anyhow::Result;
use serde_json::Value;

use crate::capabilities::Capabilities;
use crate::cli::GlobalArgs;
use crate::policy::Policy;
use credentials::{Credential, CredentialConfig};
use local::LocalCloud;

/// The Yandex Cloud API origins the provider talks to.
pub const ORIGINS: [&str; 3] = [
    "https://iam.api.cloud.yandex.net:443",
    "https://resource-manager.api.cloud.yandex.net:443",
    "https://operation.api.cloud.yandex.net:443",
];

/// The sandbox policy for the Yandex provider: its origins, requests to them sent to
/// `endpoint` when given (the emulator, a private endpoint), and the `--policy` file.
pub fn policy(global: &GlobalArgs, endpoint: Option<&str>) -> Result<Policy> {
    let policy = Policy::new(&ORIGINS, endpoint)?;
    match &global.policy {
        Some(file) => policy.with_file(file),
        None => Ok(policy),
    }
}

/// The capabilities for the imperative commands: credentials, endpoint and default
/// cloud and folder from the flags, the `YC_*` environment and the `yc` profile.
pub fn capabilities(global: &GlobalArgs) -> Result<Capabilities> {
    let config = CredentialConfig::from_global(global);
    let policy = policy(global, config.endpoint.as_deref())?;
    let mut caps = Capabilities::new(policy, Credential::resolve(&config));
    caps.cloud_id = config.default_cloud_id();
    caps.folder_id = config.default_folder_id();
    Ok(caps)
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
    let mut caps = Capabilities::new(policy, credential);
    caps.folder_id = folder_id;
    caps.cloud_id = cloud_id;
    Ok(caps)
}
