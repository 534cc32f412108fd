//! The Yandex data sources: lookups of what a configuration does not manage (a folder, a
//! cloud, a service account, the provider's own settings).

mod client_config;
mod cloud;
mod folder;
mod service_account;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use ycprov_provider_sdk::value::{Attrs, string};
use ycprov_provider_sdk::{DataSource, Diagnostic};

use super::Yandex;

/// Every data source type of the provider.
pub static DATA_SOURCES: [&dyn DataSource<Yandex>; 4] = [
    &folder::FolderData,
    &cloud::CloudData,
    &service_account::ServiceAccountData,
    &client_config::ClientConfigData,
];

/// The configured, non-empty string `name`.
fn configured<'a>(config: &'a Attrs, name: &str) -> Option<&'a str> {
    string(config, name).filter(|value| !value.is_empty())
}

/// The error when neither the id argument nor `name` is set.
fn id_or_name_missing(type_name: &str, id: &str) -> Diagnostic {
    Diagnostic::error(
        "Missing lookup argument",
        format!("{type_name} needs \"{id}\" or \"name\" to find what it reads; neither is set."),
    )
    .at(id)
}

/// Labels as a state value (`null` when there are none, as the provider stores them).
fn labels_value(labels: &BTreeMap<String, String>) -> Value {
    if labels.is_empty() {
        Value::Null
    } else {
        json!(labels)
    }
}
