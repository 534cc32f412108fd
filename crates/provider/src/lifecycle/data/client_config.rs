//! `data "yandex_client_config"`: the provider's own settings (default cloud, folder and
//! zone) and, filled by the host, the IAM token its requests carry.

use serde_json::{Value, json};
use ycprov_provider_sdk::schema::{Attribute, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::Attrs;
use ycprov_provider_sdk::{DataSource, Diagnostic, HostValue, Outcome};

use crate::lifecycle::{Context, Yandex};

/// The data source type.
pub struct ClientConfigData;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_client_config",
    version: 0,
    description: "The provider's configuration as resolved: default cloud, folder and zone, and the IAM token of its identity.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "A fixed id (this data source reads no object).",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "cloud_id",
            optional: false,
            computed: true,
            description: "The default cloud id: the provider block's, else the host's.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder_id",
            optional: false,
            computed: true,
            description: "The default folder id: the provider block's, else the host's.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "zone",
            optional: false,
            computed: true,
            description: "The default availability zone of the provider block.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "iam_token",
            optional: false,
            computed: true,
            sensitive: true,
            description: "The IAM token the provider's requests are authenticated with. The host fills it in after the read: the provider component never holds it.",
            ..OPTIONAL_STRING
        },
    ],
};

impl DataSource<Yandex> for ClientConfigData {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, _config: &Attrs) -> Vec<Diagnostic> {
        Vec::new()
    }

    fn read(&self, ctx: &Context<'_>, _config: &Attrs) -> Outcome {
        let identity = ctx.host.identity().ok();
        let host_default = |pick: fn(&crate::platform::Identity) -> &Option<String>| {
            identity
                .as_ref()
                .and_then(|i| pick(i).clone())
                .filter(|v| !v.is_empty())
        };
        let cloud_id = ctx
            .config
            .cloud_id
            .clone()
            .or_else(|| host_default(|i| &i.cloud_id));
        let folder_id = ctx
            .config
            .folder_id
            .clone()
            .or_else(|| host_default(|i| &i.folder_id));
        let mut attrs = Attrs::new();
        attrs.insert("id".into(), json!("client-config"));
        attrs.insert("cloud_id".into(), cloud_id.map_or(Value::Null, Value::from));
        attrs.insert(
            "folder_id".into(),
            folder_id.map_or(Value::Null, Value::from),
        );
        attrs.insert(
            "zone".into(),
            ctx.config.zone.clone().map_or(Value::Null, Value::from),
        );
        attrs.insert("iam_token".into(), Value::Null);
        Outcome::state(attrs)
    }

    fn host_values(&self) -> &'static [(&'static str, HostValue)] {
        &[("iam_token", HostValue::AccessToken)]
    }
}
