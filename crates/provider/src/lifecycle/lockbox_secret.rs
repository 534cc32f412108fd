//! `yandex_lockbox_secret`: a Lockbox secret, the container of versions (see
//! `yandex_lockbox_secret_version` and `output_to_lockbox`). Created without a version
//! unless it has a password payload specification, which Lockbox uses to generate the
//! values of new versions.

use serde_json::{Map, Value, json};

use ycprov_provider_sdk::rules::{is_checkable, required_string, settle};
use ycprov_provider_sdk::schema::{
    AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema,
};
use ycprov_provider_sdk::value::{Attrs, get, string, string_pairs};

use super::failure::failed_checks;
use super::{
    Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic, delete_by_id,
    plan_default_folder, planned_folder,
};
use crate::error::Code;
use crate::lockbox::{Secret, SecretSpec, check_entry_key};
use crate::validation::{self, Invalid};

/// The resource type.
pub struct LockboxSecret;

const BOOL: Attribute = Attribute {
    ty: AttrType::Bool,
    ..OPTIONAL_STRING
};

/// The password specification's attributes, the API's field for each, and its default.
const PASSWORD_FIELDS: [(&str, &str, Option<Value>); 8] = [
    ("password_key", "passwordKey", None),
    ("length", "length", None),
    (
        "include_uppercase",
        "includeUppercase",
        Some(Value::Bool(true)),
    ),
    (
        "include_lowercase",
        "includeLowercase",
        Some(Value::Bool(true)),
    ),
    ("include_digits", "includeDigits", Some(Value::Bool(true))),
    (
        "include_punctuation",
        "includePunctuation",
        Some(Value::Bool(true)),
    ),
    ("included_punctuation", "includedPunctuation", None),
    ("excluded_punctuation", "excludedPunctuation", None),
];

/// The generated password's default length.
const DEFAULT_LENGTH: u64 = 36;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_lockbox_secret",
    version: 0,
    description: "A Lockbox secret: a named container of versions of key-value entries.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The secret id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "name",
            equivalence: Equivalence::EmptyIsNull,
            description: "The name, at most 100 characters, unique in the folder. Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            equivalence: Equivalence::EmptyIsNull,
            description: "A description, at most 1024 characters. Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder_id",
            computed: true,
            force_new: true,
            description: "The folder; defaults to the provider's folder_id, else the host's default folder. Changing it replaces the secret.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "kms_key_id",
            force_new: true,
            equivalence: Equivalence::EmptyIsNull,
            description: "The KMS key that encrypts the secret. Changing it replaces the secret.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "labels",
            ty: AttrType::MapOfString,
            equivalence: Equivalence::EmptyIsNull,
            description: "Labels. Change in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "deletion_protection",
            equivalence: Equivalence::EmptyIsNull,
            description: "When true, the secret cannot be deleted. Changes in place.",
            ..BOOL
        },
        Attribute {
            name: "password_payload_specification",
            ty: AttrType::Blocks {
                attributes: &[
                    Attribute {
                        name: "password_key",
                        required: true,
                        optional: false,
                        description: "The entry key the generated password is stored under.",
                        ..OPTIONAL_STRING
                    },
                    Attribute {
                        name: "length",
                        ty: AttrType::Number,
                        description: "The password's length, 1-256; default 36.",
                        ..OPTIONAL_STRING
                    },
                    Attribute {
                        name: "include_uppercase",
                        description: "Use capital letters; default true.",
                        ..BOOL
                    },
                    Attribute {
                        name: "include_lowercase",
                        description: "Use lowercase letters; default true.",
                        ..BOOL
                    },
                    Attribute {
                        name: "include_digits",
                        description: "Use digits; default true.",
                        ..BOOL
                    },
                    Attribute {
                        name: "include_punctuation",
                        description: "Use punctuation; default true.",
                        ..BOOL
                    },
                    Attribute {
                        name: "included_punctuation",
                        description: "Only these punctuation characters (at most 32); conflicts with excluded_punctuation.",
                        ..OPTIONAL_STRING
                    },
                    Attribute {
                        name: "excluded_punctuation",
                        description: "Punctuation characters not to use (at most 31); conflicts with included_punctuation.",
                        ..OPTIONAL_STRING
                    },
                ],
                max_items: 1,
            },
            description: "Generate the values of new versions as a password (one block). Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "created_at",
            optional: false,
            computed: true,
            description: "Creation time, RFC3339.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "status",
            optional: false,
            computed: true,
            description: "ACTIVE or INACTIVE.",
            ..OPTIONAL_STRING
        },
    ],
};

/// The configured password block (the first and only one), if any.
fn password_block(attrs: &Attrs) -> Option<&Map<String, Value>> {
    get(attrs, "password_payload_specification")
        .as_array()?
        .first()?
        .as_object()
}

/// The password specification in the API's JSON.
fn password_json(attrs: &Attrs) -> Option<Value> {
    let block = password_block(attrs)?;
    let mut spec = Map::new();
    for (name, field, _) in PASSWORD_FIELDS {
        match block.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Number(length)) if name == "length" => {
                spec.insert(field.into(), json!(length.to_string()));
            }
            Some(value) => {
                spec.insert(field.into(), value.clone());
            }
        }
    }
    Some(Value::Object(spec))
}

/// The API's password specification as a block, keeping the prior block's nulls where
/// the API reports the default.
fn password_state(api: Option<&Value>, prior: &Attrs) -> Value {
    let Some(api) = api.and_then(Value::as_object) else {
        return Value::Null;
    };
    let prior = password_block(prior);
    let mut block = Map::new();
    for (name, field, default) in PASSWORD_FIELDS {
        let mut value = api.get(field).cloned().unwrap_or(Value::Null);
        if name == "length" {
            value = match &value {
                Value::String(text) => text.parse::<u64>().map(|n| json!(n)).unwrap_or(Value::Null),
                other => other.clone(),
            };
        }
        let prior_null = prior.is_some_and(|p| p.get(name).is_none_or(Value::is_null));
        let is_default = match name {
            "length" => value.as_u64() == Some(DEFAULT_LENGTH),
            _ => Some(&value) == default.as_ref() || value.as_str() == Some(""),
        };
        if prior_null && (is_default || value.is_null()) {
            value = Value::Null;
        }
        block.insert(name.into(), value);
    }
    json!([block])
}

fn secret_attrs(secret: &Secret, prior: &Attrs) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(secret.id));
    attrs.insert("name".into(), json!(secret.name));
    attrs.insert("description".into(), json!(secret.description));
    attrs.insert("folder_id".into(), json!(secret.folder_id));
    attrs.insert("kms_key_id".into(), json!(secret.kms_key_id));
    attrs.insert("labels".into(), json!(secret.labels));
    attrs.insert(
        "deletion_protection".into(),
        json!(secret.deletion_protection),
    );
    attrs.insert(
        "password_payload_specification".into(),
        password_state(secret.password_payload_specification.as_ref(), prior),
    );
    attrs.insert("created_at".into(), json!(secret.created_at));
    attrs.insert("status".into(), json!(secret.status));
    attrs
}

fn spec_of(attrs: &Attrs, folder_id: String) -> SecretSpec {
    SecretSpec {
        folder_id,
        name: string(attrs, "name").unwrap_or_default().to_owned(),
        description: string(attrs, "description").unwrap_or_default().to_owned(),
        labels: string_pairs(attrs, "labels").into_iter().collect(),
        kms_key_id: string(attrs, "kms_key_id").unwrap_or_default().to_owned(),
        deletion_protection: get(attrs, "deletion_protection").as_bool().unwrap_or(false),
        password_payload_specification: password_json(attrs),
    }
}

fn check_password(block: &Map<String, Value>) -> Vec<Result<(), Invalid>> {
    let path = |name: &str| format!("password_payload_specification[0].{name}");
    let mut checks = Vec::new();
    if let Some(key) = block.get("password_key").and_then(Value::as_str) {
        checks.push(check_entry_key(&path("password_key"), key));
    }
    if let Some(length) = block.get("length").and_then(Value::as_f64)
        && !(length.fract() == 0.0 && (1.0..=256.0).contains(&length))
    {
        checks.push(Err(Invalid::new(
            path("length"),
            "must be a whole number from 1 to 256",
        )));
    }
    let text = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or_default();
    if !text("included_punctuation").is_empty() && !text("excluded_punctuation").is_empty() {
        checks.push(Err(Invalid::new(
            path("excluded_punctuation"),
            "conflicts with included_punctuation: set one of them",
        )));
    }
    for (name, max) in [("included_punctuation", 32), ("excluded_punctuation", 31)] {
        let value = text(name);
        if value.chars().count() > max || value.chars().any(|c| !c.is_ascii_punctuation()) {
            checks.push(Err(Invalid::new(
                path(name),
                format!("must be at most {max} ASCII punctuation characters"),
            )));
        }
    }
    checks
}

impl Resource<Yandex> for LockboxSecret {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut checks = Vec::new();
        if let Some(name) = string(config, "name") {
            checks.push(validation::max_chars("name", name, 100));
        }
        if let Some(description) = string(config, "description") {
            checks.push(validation::max_chars("description", description, 1024));
        }
        for id in ["folder_id", "kms_key_id"] {
            if let Some(value) = string(config, id).filter(|v| !v.is_empty()) {
                checks.push(validation::resource_id(id, value));
            }
        }
        if is_checkable(get(config, "labels"), AttrType::MapOfString) {
            let labels = string_pairs(config, "labels");
            checks.push(validation::labels(
                "labels",
                labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
        if let Some(block) = password_block(config) {
            checks.extend(check_password(block));
        }
        failed_checks(checks).collect()
    }

    fn plan_defaults(
        &self,
        ctx: &Context<'_>,
        config: &Attrs,
        planned: &mut Attrs,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        plan_default_folder(ctx, config, planned, diagnostics);
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        let folder_id = match planned_folder(ctx, planned) {
            Ok(folder) => folder,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let spec = spec_of(planned, folder_id);
        match ctx.lockbox().create_secret(&spec) {
            Ok(secret) => Outcome::state(settle(&SCHEMA, planned, &secret_attrs(&secret, planned))),
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(
                    &format!("Cannot create Lockbox secret \"{}\"", spec.name),
                    &error,
                ),
            ),
        }
    }

    fn update(&self, ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        let id = match required_string(prior, "id") {
            Ok(id) => id,
            Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
        };
        let before = spec_of(prior, String::new());
        let after = spec_of(planned, String::new());
        let mut mask = Vec::new();
        for (field, changed) in [
            ("name", before.name != after.name),
            ("description", before.description != after.description),
            ("labels", before.labels != after.labels),
            (
                "deletion_protection",
                before.deletion_protection != after.deletion_protection,
            ),
            (
                "password_payload_specification",
                get(prior, "password_payload_specification")
                    != get(planned, "password_payload_specification"),
            ),
        ] {
            if changed {
                mask.push(field);
            }
        }
        if mask.is_empty() {
            return Outcome::state(settle(&SCHEMA, planned, prior));
        }
        let lockbox = ctx.lockbox();
        match lockbox
            .update_secret(id, &after, &mask)
            .and_then(|()| lockbox.get_secret(id))
        {
            Ok(secret) => Outcome::state(settle(&SCHEMA, planned, &secret_attrs(&secret, planned))),
            Err(error) => Outcome::failed(
                Some(prior.clone()),
                Diagnostic::api_failure(&format!("Cannot update Lockbox secret {id}"), &error),
            ),
        }
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        delete_by_id(prior, "Lockbox secret", |id| {
            ctx.lockbox().delete_secret(id)
        })
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        let id = match required_string(state, "id") {
            Ok(id) => id,
            Err(diagnostic) => return Outcome::failed(Some(state.clone()), diagnostic),
        };
        match ctx.lockbox().get_secret(id) {
            Ok(secret) => Outcome::state(secret_attrs(&secret, state)),
            Err(error) if error.is(Code::NotFound) => Outcome::gone(),
            Err(error) => Outcome::failed(
                Some(state.clone()),
                Diagnostic::api_failure(&format!("Cannot read Lockbox secret {id}"), &error),
            ),
        }
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        match ctx.lockbox().get_secret(id) {
            Ok(secret) => Outcome::state(secret_attrs(&secret, &Attrs::new())),
            Err(error) if error.is(Code::NotFound) => Outcome::failed(
                None,
                Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!("No Lockbox secret with id \"{id}\": {error}"),
                ),
            ),
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(&format!("Cannot import Lockbox secret {id}"), &error),
            ),
        }
    }
}
