//! `data "yandex_resourcemanager_cloud"`: a cloud by `cloud_id`, or by `name`.

use serde_json::json;
use ycprov_provider_sdk::schema::{Attribute, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::Attrs;
use ycprov_provider_sdk::{DataSource, Diagnostic, Outcome};

use super::{configured, id_or_name_missing};
use crate::hierarchy::{Cloud, Hierarchy};
use crate::lifecycle::{Context, Yandex, YandexDiagnostic};

/// The data source type.
pub struct CloudData;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_resourcemanager_cloud",
    version: 0,
    description: "A Yandex Cloud cloud, found by id or by exact name.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The cloud id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "cloud_id",
            computed: true,
            description: "The id of the cloud to read; set this or name.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "name",
            computed: true,
            description: "The exact name of the cloud to read; set this or cloud_id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            computed: true,
            description: "The cloud's description.",
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

fn cloud_attrs(cloud: &Cloud) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(cloud.id));
    attrs.insert("cloud_id".into(), json!(cloud.id));
    attrs.insert("name".into(), json!(cloud.name));
    attrs.insert("description".into(), json!(cloud.description));
    attrs.insert("created_at".into(), json!(cloud.created_at));
    attrs
}

impl DataSource<Yandex> for CloudData {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        if configured(config, "cloud_id").is_none() && configured(config, "name").is_none() {
            return vec![id_or_name_missing(SCHEMA.type_name, "cloud_id")];
        }
        Vec::new()
    }

    fn read(&self, ctx: &Context<'_>, config: &Attrs) -> Outcome {
        let api = Hierarchy::new(ctx.host);
        let found = match (configured(config, "cloud_id"), configured(config, "name")) {
            (Some(id), _) => api
                .get_cloud(id)
                .map_err(|e| (format!("Cannot read cloud {id}"), e)),
            (None, Some(name)) => match api.find_clouds_by_name(name) {
                Ok(clouds) if clouds.len() == 1 => {
                    Ok(clouds.into_iter().next().unwrap_or_default())
                }
                Ok(clouds) if clouds.is_empty() => {
                    return Outcome::failed(
                        None,
                        Diagnostic::error(
                            "Cloud not found",
                            format!("No cloud named \"{name}\" is visible to this identity."),
                        )
                        .at("name"),
                    );
                }
                Ok(clouds) => {
                    return Outcome::failed(
                        None,
                        Diagnostic::error(
                            "More than one cloud matches",
                            format!(
                                "{} clouds are named \"{name}\"; set cloud_id instead.",
                                clouds.len()
                            ),
                        )
                        .at("name"),
                    );
                }
                Err(e) => Err((format!("Cannot look up cloud \"{name}\""), e)),
            },
            (None, None) => {
                return Outcome::failed(None, id_or_name_missing(SCHEMA.type_name, "cloud_id"));
            }
        };
        match found {
            Ok(cloud) => Outcome::state(cloud_attrs(&cloud)),
            Err((action, error)) => Outcome::failed(None, Diagnostic::api_failure(&action, &error)),
        }
    }
}
