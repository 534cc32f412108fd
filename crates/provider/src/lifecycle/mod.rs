//! The Yandex provider's resource types on the provider SDK: the registry, the provider
//! block, and what the types share (the IAM client, the default folder, failures as
//! diagnostics). The generic lifecycle rules live in `ycprov-provider-sdk`.

mod api_key;
mod authorized_key;
mod data;
mod failure;
mod issued_key;
mod lockbox_secret;
mod lockbox_version;
mod member;
mod role_binding;
mod secret_output;
mod service_account;
mod static_key;

pub use failure::YandexDiagnostic;
use ycprov_provider_sdk::rules::required_string;
use ycprov_provider_sdk::value;
pub use ycprov_provider_sdk::{
    AttrType, Attribute, Attrs, Change, Diagnostic, Equivalence, OPTIONAL_STRING, Outcome,
    PlannedChange, ProviderDefinition, Resource, ResourceSchema, Severity, StateResult, has_errors,
};

use crate::iam::Iam;
use crate::lockbox::Lockbox;
use crate::platform::Platform;
use crate::validation;

/// The provider-level configuration (`provider "yandex"` block).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The default cloud id.
    pub cloud_id: Option<String>,
    /// The default folder id for resources that take one.
    pub folder_id: Option<String>,
    /// The default availability zone (only reported, by `yandex_client_config`).
    pub zone: Option<String>,
}

/// The Yandex provider's definition for the SDK.
pub struct Yandex;

/// What the calls of one resource operation share: the platform and the provider block.
pub type Context<'a> = ycprov_provider_sdk::Context<'a, Yandex>;

/// The provider with its configuration and the lifecycle entry points.
pub type Provider = ycprov_provider_sdk::Provider<Yandex>;

impl ProviderDefinition for Yandex {
    type Host = dyn Platform;
    type Config = ProviderConfig;
    const UNCONFIGURED: ProviderConfig = ProviderConfig {
        cloud_id: None,
        folder_id: None,
        zone: None,
    };

    fn schema() -> &'static ResourceSchema {
        &PROVIDER_SCHEMA
    }

    fn resources() -> &'static [&'static dyn Resource<Yandex>] {
        &RESOURCES
    }

    fn data_sources() -> &'static [&'static dyn ycprov_provider_sdk::DataSource<Yandex>] {
        &data::DATA_SOURCES
    }

    fn configure(config: &Attrs) -> Result<ProviderConfig, Vec<Diagnostic>> {
        if let Some(folder) = value::string(config, "folder_id")
            && let Err(invalid) = validation::resource_id("folder_id", folder)
        {
            return Err(vec![Diagnostic::invalid(invalid)]);
        }
        let known = |name: &str| {
            value::string(config, name)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(ProviderConfig {
            cloud_id: known("cloud_id"),
            folder_id: known("folder_id"),
            zone: known("zone"),
        })
    }
}

/// What Yandex resource operations need beyond the SDK's context.
pub trait YandexContext<'a> {
    /// The IAM client over the platform.
    fn iam(&self) -> Iam<'a, dyn Platform + 'a>;
    /// The Lockbox client over the platform.
    fn lockbox(&self) -> Lockbox<'a, dyn Platform + 'a>;
    /// The folder for resources that do not name one: the provider's, else the host's.
    fn default_folder_id(&self) -> Result<String, Diagnostic>;
    /// The cloud for lookups that do not name one: the provider's, else the host's.
    fn default_cloud_id(&self) -> Result<String, Diagnostic>;
}

impl<'a> YandexContext<'a> for Context<'a> {
    fn iam(&self) -> Iam<'a, dyn Platform + 'a> {
        Iam::new(self.host)
    }

    fn lockbox(&self) -> Lockbox<'a, dyn Platform + 'a> {
        Lockbox::new(self.host)
    }

    fn default_folder_id(&self) -> Result<String, Diagnostic> {
        if let Some(folder) = self.config.folder_id.as_deref().filter(|f| !f.is_empty()) {
            return Ok(folder.to_owned());
        }
        match self.host.identity() {
            Ok(identity) => identity.folder_id.filter(|folder| !folder.is_empty()).ok_or_else(|| {
                Diagnostic::error(
                    "No folder_id",
                    "Set folder_id in the resource or in the provider block, or configure a default folder for the host (as `yc config set folder-id` or YC_FOLDER_ID do).",
                )
                .at("folder_id")
            }),
            Err(why) => Err(Diagnostic::error(
                "No folder_id",
                format!("Set folder_id in the resource or in the provider block; the host has no identity to take a default from: {why}"),
            )
            .at("folder_id")),
        }
    }

    fn default_cloud_id(&self) -> Result<String, Diagnostic> {
        if let Some(cloud) = self.config.cloud_id.as_deref().filter(|c| !c.is_empty()) {
            return Ok(cloud.to_owned());
        }
        let host_cloud = self
            .host
            .identity()
            .ok()
            .and_then(|identity| identity.cloud_id);
        host_cloud.filter(|cloud| !cloud.is_empty()).ok_or_else(|| {
            Diagnostic::error(
                "No cloud_id",
                "Set cloud_id here or in the provider block, or configure a default cloud for the host (as `yc config set cloud-id` or YC_CLOUD_ID do).",
            )
            .at("cloud_id")
        })
    }
}

static RESOURCES: [&dyn Resource<Yandex>; 11] = [
    &service_account::ServiceAccount,
    &member::FOLDER_MEMBER,
    &member::CLOUD_MEMBER,
    &member::SERVICE_ACCOUNT_MEMBER,
    &role_binding::FOLDER_BINDING,
    &role_binding::SERVICE_ACCOUNT_BINDING,
    &api_key::ApiKey,
    &static_key::StaticAccessKey,
    &authorized_key::ServiceAccountKey,
    &lockbox_secret::LockboxSecret,
    &lockbox_version::LockboxVersion,
];

const PROVIDER_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        name: "cloud_id",
        description: "The default cloud id.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "folder_id",
        description: "The default folder id for resources that do not set folder_id.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "zone",
        description: "The default availability zone (accepted for compatibility; IAM resources do not use it).",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "endpoint",
        description: "The API endpoint; used by the host, which performs all requests.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "token",
        sensitive: true,
        description: "An IAM or OAuth token; consumed by the host, never passed to the provider.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "service_account_key_file",
        sensitive: true,
        description: "A service account authorized key (path or JSON); consumed by the host, never passed to the provider.",
        ..OPTIONAL_STRING
    },
];

static PROVIDER_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "provider \"yandex\"",
    version: 0,
    description: "Yandex Cloud IAM: service accounts, folder role bindings and API keys.",
    attributes: PROVIDER_ATTRIBUTES,
};

/// Plans `folder_id` as the default folder when the configuration leaves it unset.
fn plan_default_folder(
    ctx: &Context<'_>,
    config: &Attrs,
    planned: &mut Attrs,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if value::get(config, "folder_id").is_null() {
        match ctx.default_folder_id() {
            Ok(folder) => {
                planned.insert("folder_id".into(), serde_json::json!(folder));
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
}

/// The planned `folder_id`, else the default folder.
fn planned_folder(ctx: &Context<'_>, planned: &Attrs) -> Result<String, Diagnostic> {
    match value::string(planned, "folder_id") {
        Some(folder) => Ok(folder.to_owned()),
        None => ctx.default_folder_id(),
    }
}

/// Deletes the object whose `id` the prior state holds; NOT_FOUND means it is already gone.
fn delete_by_id(
    prior: &Attrs,
    noun: &str,
    delete: impl FnOnce(&str) -> Result<(), crate::error::Error>,
) -> Outcome {
    let id = match required_string(prior, "id") {
        Ok(id) => id,
        Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
    };
    match delete(id) {
        Ok(()) => Outcome::gone(),
        Err(error) if error.is(crate::error::Code::NotFound) => Outcome::gone(),
        Err(error) => Outcome::failed(
            Some(prior.clone()),
            Diagnostic::api_failure(&format!("Cannot delete {noun} {id}"), &error),
        ),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "batch_tests.rs"]
mod batch_tests;
