//! `data "yandex_resourcemanager_folder"`: a folder by `folder_id`, or by `name` in a cloud
//! (`cloud_id`, else the provider's default cloud).

use serde_json::json;
use ycprov_provider_sdk::schema::{AttrType, Attribute, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::Attrs;
use ycprov_provider_sdk::{DataSource, Diagnostic, Outcome};

use super::{configured, id_or_name_missing, labels_value};
use crate::hierarchy::{Folder, Hierarchy};
use crate::lifecycle::{Context, Yandex, YandexContext, YandexDiagnostic};

/// The data source type.
pub struct FolderData;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_resourcemanager_folder",
    version: 0,
    description: "A Yandex Cloud folder, found by id, or by exact name within a cloud.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The folder id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder_id",
            computed: true,
            description: "The id of the folder to read; set this or name.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "name",
            computed: true,
            description: "The exact name of the folder to read; set this or folder_id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "cloud_id",
            computed: true,
            description: "The cloud to look the name up in; defaults to the provider's cloud_id, else the host's default cloud, else the cloud of the default folder.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            optional: false,
            computed: true,
            description: "The folder's description.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "labels",
            ty: AttrType::MapOfString,
            optional: false,
            computed: true,
            description: "The folder's labels.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "status",
            optional: false,
            computed: true,
            description: "ACTIVE, DELETING or PENDING_DELETION.",
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

fn folder_attrs(folder: &Folder) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(folder.id));
    attrs.insert("folder_id".into(), json!(folder.id));
    attrs.insert("name".into(), json!(folder.name));
    attrs.insert("cloud_id".into(), json!(folder.cloud_id));
    attrs.insert("description".into(), json!(folder.description));
    attrs.insert("labels".into(), labels_value(&folder.labels));
    attrs.insert("status".into(), json!(folder.status));
    attrs.insert("created_at".into(), json!(folder.created_at));
    attrs
}

impl DataSource<Yandex> for FolderData {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        if configured(config, "folder_id").is_none() && configured(config, "name").is_none() {
            return vec![id_or_name_missing(SCHEMA.type_name, "folder_id")];
        }
        Vec::new()
    }

    fn read(&self, ctx: &Context<'_>, config: &Attrs) -> Outcome {
        let api = Hierarchy::new(ctx.host);
        if let Some(id) = configured(config, "folder_id") {
            return match api.get_folder(id) {
                Ok(folder) => Outcome::state(folder_attrs(&folder)),
                Err(error) => Outcome::failed(
                    None,
                    Diagnostic::api_failure(&format!("Cannot read folder {id}"), &error),
                ),
            };
        }
        let Some(name) = configured(config, "name") else {
            return Outcome::failed(None, id_or_name_missing(SCHEMA.type_name, "folder_id"));
        };
        let cloud_id = match configured(config, "cloud_id") {
            Some(cloud_id) => cloud_id.to_owned(),
            None => match cloud_of_defaults(ctx, &api) {
                Ok(cloud_id) => cloud_id,
                Err(diagnostic) => return Outcome::failed(None, diagnostic),
            },
        };
        match api.find_folder_by_name(&cloud_id, name) {
            Ok(Some(folder)) => Outcome::state(folder_attrs(&folder)),
            Ok(None) => Outcome::failed(
                None,
                Diagnostic::error(
                    "Folder not found",
                    format!(
                        "Cloud {cloud_id} has no folder named \"{name}\" visible to this identity."
                    ),
                )
                .at("name"),
            ),
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(
                    &format!("Cannot look up folder \"{name}\" in cloud {cloud_id}"),
                    &error,
                ),
            ),
        }
    }
}

/// The cloud to look a folder name up in when the configuration names none: the
/// provider's (or the host's) default cloud, else the cloud of the default folder.
fn cloud_of_defaults(
    ctx: &Context<'_>,
    api: &Hierarchy<'_, dyn crate::platform::Platform + '_>,
) -> Result<String, Diagnostic> {
    let no_cloud = match ctx.default_cloud_id() {
        Ok(cloud_id) => return Ok(cloud_id),
        Err(diagnostic) => diagnostic,
    };
    let Ok(folder_id) = ctx.default_folder_id() else {
        return Err(no_cloud);
    };
    api.get_folder(&folder_id)
        .map(|folder| folder.cloud_id)
        .map_err(|error| {
            Diagnostic::api_failure(
                &format!("Cannot find the cloud of the default folder {folder_id}"),
                &error,
            )
            .at("cloud_id")
        })
}
