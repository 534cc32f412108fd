//! `data "yandex_iam_service_account"`: a service account by `service_account_id`, or by
//! `name` in a folder (`folder_id`, else the provider's default folder).

use serde_json::json;
use ycprov_provider_sdk::schema::{AttrType, Attribute, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::{Attrs, pairs_value};
use ycprov_provider_sdk::{DataSource, Diagnostic, Outcome};

use super::{configured, id_or_name_missing};
use crate::lifecycle::{Context, Yandex, YandexContext, YandexDiagnostic};
use crate::model::ServiceAccount;

/// The data source type.
pub struct ServiceAccountData;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account",
    version: 0,
    description: "An existing Yandex Cloud IAM service account, found by id, or by exact name within a folder.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The service account id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "service_account_id",
            computed: true,
            description: "The id of the account to read; set this or name.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "name",
            computed: true,
            description: "The exact name of the account to read; set this or service_account_id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder_id",
            computed: true,
            description: "The folder to look the name up in; defaults to the provider's folder_id, else the host's default folder.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            optional: false,
            computed: true,
            description: "The account's description.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "labels",
            ty: AttrType::MapOfString,
            optional: false,
            computed: true,
            description: "The account's labels.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "created_at",
            optional: false,
            computed: true,
            description: "Creation time, RFC3339.",
            ..OPTIONAL_STRING
        },
    ],
};

fn account_attrs(account: &ServiceAccount) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(account.id));
    attrs.insert("service_account_id".into(), json!(account.id));
    attrs.insert("name".into(), json!(account.name));
    attrs.insert("folder_id".into(), json!(account.folder_id));
    attrs.insert("description".into(), json!(account.description));
    attrs.insert("labels".into(), pairs_value(&account.labels));
    attrs.insert("created_at".into(), json!(account.created_at));
    attrs
}

impl DataSource<Yandex> for ServiceAccountData {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        if configured(config, "service_account_id").is_none()
            && configured(config, "name").is_none()
        {
            return vec![id_or_name_missing(SCHEMA.type_name, "service_account_id")];
        }
        Vec::new()
    }

    fn read(&self, ctx: &Context<'_>, config: &Attrs) -> Outcome {
        let iam = ctx.iam();
        if let Some(id) = configured(config, "service_account_id") {
            return match iam.get_account(id) {
                Ok(account) => Outcome::state(account_attrs(&account)),
                Err(error) => Outcome::failed(
                    None,
                    Diagnostic::api_failure(&format!("Cannot read service account {id}"), &error),
                ),
            };
        }
        let Some(name) = configured(config, "name") else {
            return Outcome::failed(
                None,
                id_or_name_missing(SCHEMA.type_name, "service_account_id"),
            );
        };
        let folder_id = match configured(config, "folder_id") {
            Some(folder_id) => folder_id.to_owned(),
            None => match ctx.default_folder_id() {
                Ok(folder_id) => folder_id,
                Err(diagnostic) => return Outcome::failed(None, diagnostic),
            },
        };
        match iam.find_account_by_name(&folder_id, name) {
            Ok(Some(account)) => Outcome::state(account_attrs(&account)),
            Ok(None) => Outcome::failed(
                None,
                Diagnostic::error(
                    "Service account not found",
                    format!("Folder {folder_id} has no service account named \"{name}\"."),
                )
                .at("name"),
            ),
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(
                    &format!("Cannot look up service account \"{name}\" in folder {folder_id}"),
                    &error,
                ),
            ),
        }
    }
}
