//! `yandex_lockbox_secret_version`: one version of a Lockbox secret, holding exactly the
//! configured entries. A version cannot change: any change adds a new version (and
//! schedules the old one for destruction). Creating one adds a version based on the
//! secret's current one, with the keys that the configuration lacks removed, so other
//! writers' entries never carry over unseen.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use ycprov_provider_sdk::pending::PendingCreate;
use ycprov_provider_sdk::rules::{required_string, settle};
use ycprov_provider_sdk::schema::{
    AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema,
};
use ycprov_provider_sdk::value::{Attrs, get, is_unknown, string};

use super::failure::failed_checks;
use super::{Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic};
use crate::error::{Code, Error};
use crate::lockbox::{Entry, EntryValue, check_entry_key};
use crate::validation::{self, Invalid};

/// The resource type.
pub struct LockboxVersion;

/// The most bytes of one entry's value.
const MAX_VALUE_BYTES: usize = 65_536;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_lockbox_secret_version",
    version: 0,
    description: "A version of a Lockbox secret with the configured entries; any change adds a new version.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The version id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "secret_id",
            required: true,
            optional: false,
            force_new: true,
            description: "The secret to add the version to.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            force_new: true,
            equivalence: Equivalence::EmptyIsNull,
            description: "A description, at most 1024 characters.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "entries",
            ty: AttrType::Blocks {
                attributes: &[
                    Attribute {
                        name: "key",
                        required: true,
                        optional: false,
                        description: "The entry's key: 1-256 characters of [-_./\\@0-9a-zA-Z].",
                        ..OPTIONAL_STRING
                    },
                    Attribute {
                        name: "text_value",
                        sensitive: true,
                        description: "The entry's value, at most 64 KiB.",
                        ..OPTIONAL_STRING
                    },
                    Attribute {
                        name: "command",
                        ty: AttrType::Blocks {
                            attributes: &[
                                Attribute {
                                    name: "path",
                                    required: true,
                                    optional: false,
                                    description: "The program to run.",
                                    ..OPTIONAL_STRING
                                },
                                Attribute {
                                    name: "args",
                                    ty: AttrType::ListOfString,
                                    description: "Its arguments.",
                                    ..OPTIONAL_STRING
                                },
                                Attribute {
                                    name: "env",
                                    ty: AttrType::MapOfString,
                                    description: "Its environment.",
                                    ..OPTIONAL_STRING
                                },
                            ],
                            max_items: 1,
                        },
                        description: "Not supported by ycprov: a provider component runs no programs. Compute the value in the configuration and set text_value.",
                        ..OPTIONAL_STRING
                    },
                ],
                max_items: 0,
            },
            force_new: true,
            sensitive: true,
            description: "The version's entries (blocks with key and text_value). Sensitive as a whole.",
            ..OPTIONAL_STRING
        },
    ],
};

/// The configured entries' objects.
fn entry_objects(attrs: &Attrs) -> Vec<&Map<String, Value>> {
    get(attrs, "entries")
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

fn entries(attrs: &Attrs) -> Vec<Entry> {
    entry_objects(attrs)
        .into_iter()
        .map(|entry| Entry {
            key: entry
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            value: EntryValue::Text(
                entry
                    .get("text_value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
        })
        .collect()
}

fn check_entries(config: &Attrs) -> Vec<Result<(), Invalid>> {
    let mut checks = Vec::new();
    let mut keys = BTreeSet::new();
    for (index, entry) in entry_objects(config).into_iter().enumerate() {
        let path = |name: &str| format!("entries[{index}].{name}");
        if let Some(key) = entry.get("key").and_then(Value::as_str) {
            checks.push(check_entry_key(&path("key"), key));
            if !keys.insert(key) {
                checks.push(Err(Invalid::new(
                    path("key"),
                    format!("duplicate key {key:?}"),
                )));
            }
        }
        let command = entry
            .get("command")
            .filter(|c| !c.is_null() && c.as_array().is_none_or(|c| !c.is_empty()));
        if command.is_some() {
            checks.push(Err(Invalid::new(
                path("command"),
                "ycprov does not run commands (a provider component runs no programs); compute the value in the configuration and set text_value",
            )));
            continue;
        }
        match entry.get("text_value") {
            Some(value) if is_unknown(value) => {}
            Some(Value::String(text)) if text.is_empty() => checks.push(Err(Invalid::new(
                path("text_value"),
                "must not be empty: Lockbox reads an empty value as removing the key",
            ))),
            Some(Value::String(text)) if text.len() > MAX_VALUE_BYTES => checks.push(Err(
                Invalid::new(path("text_value"), "must be at most 65536 bytes"),
            )),
            Some(Value::String(_)) => {}
            _ => checks.push(Err(Invalid::new(path("text_value"), "is required"))),
        }
    }
    checks
}

/// The changes that make a version based on the secret's current one hold exactly
/// `wanted`: every wanted entry, and an empty value (a removal) for each other key.
fn changes_from(current_keys: &[String], wanted: Vec<Entry>) -> Vec<Entry> {
    let mut changes = wanted;
    for key in current_keys {
        if !changes.iter().any(|entry| entry.key == *key) {
            changes.push(Entry {
                key: key.clone(),
                value: EntryValue::Text(String::new()),
            });
        }
    }
    changes
}

/// The secret and version ids a state records.
fn version_address(state: &Attrs) -> Result<(&str, &str), Diagnostic> {
    Ok((
        required_string(state, "secret_id")?,
        required_string(state, "id")?,
    ))
}

/// `<secret_id>/<version_id>`.
fn split_import_id(id: &str) -> Option<(&str, &str)> {
    let (secret, version) = id.split_once('/')?;
    (!secret.is_empty() && !version.is_empty() && !version.contains('/'))
        .then_some((secret, version))
}

impl Resource<Yandex> for LockboxVersion {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut checks = check_entries(config);
        if let Some(secret) = string(config, "secret_id") {
            checks.push(validation::resource_id("secret_id", secret));
        }
        if let Some(description) = string(config, "description") {
            checks.push(validation::max_chars("description", description, 1024));
        }
        failed_checks(checks).collect()
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        if let Some(diagnostic) = self.check(planned).into_iter().find(Diagnostic::is_error) {
            return Outcome::failed(None, diagnostic);
        }
        let secret_id = string(planned, "secret_id").unwrap_or_default();
        let lockbox = ctx.lockbox();
        let failed = |error: Error| {
            Outcome::failed(
                None,
                Diagnostic::api_failure(
                    &format!("Cannot add a version to Lockbox secret {secret_id}"),
                    &error,
                ),
            )
        };
        let secret = match lockbox.get_secret(secret_id) {
            Ok(secret) => secret,
            Err(error) => return failed(error),
        };
        let wanted = entries(planned);
        let generated = secret.password_payload_specification.is_some();
        if generated && !wanted.is_empty() {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Entries for a generated secret",
                    format!("Lockbox secret {secret_id} generates its values from a password payload specification; leave out entries."),
                )
                .at("entries"),
            );
        }
        let current_keys = secret
            .current_version
            .as_ref()
            .map(|version| version.payload_entry_keys.clone())
            .unwrap_or_default();
        let changes = if generated {
            Vec::new()
        } else {
            changes_from(&current_keys, wanted)
        };
        let base = secret
            .current_version
            .as_ref()
            .filter(|version| version.is_active())
            .map(|version| version.id.as_str());
        let description = string(planned, "description").unwrap_or_default();
        match lockbox.add_version(secret_id, description, &changes, base) {
            Ok(version) => {
                let mut observed = Attrs::new();
                observed.insert("id".into(), json!(version.id));
                Outcome::state(settle(&SCHEMA, planned, &observed))
            }
            Err(error) => failed(error),
        }
    }

    fn update(&self, _ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        Outcome::state(settle(&SCHEMA, planned, prior))
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        let (secret_id, id) = match version_address(prior) {
            Ok(address) => address,
            Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
        };
        match ctx.lockbox().schedule_version_destruction(secret_id, id) {
            Ok(()) => Outcome::gone(),
            Err(error) if error.is(Code::NotFound) || error.is(Code::FailedPrecondition) => {
                Outcome::gone()
            }
            Err(error) => Outcome::failed(
                Some(prior.clone()),
                Diagnostic::api_failure(
                    &format!(
                        "Cannot schedule the destruction of version {id} of Lockbox secret {secret_id}"
                    ),
                    &error,
                ),
            ),
        }
    }

    /// A version is there while the secret lists it as active; one scheduled for
    /// destruction (or destroyed) is gone and will be added again.
    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        let (secret_id, id) = match version_address(state) {
            Ok(address) => address,
            Err(diagnostic) => return Outcome::failed(Some(state.clone()), diagnostic),
        };
        match ctx.lockbox().list_versions(secret_id) {
            Ok(versions) => match versions.iter().find(|version| version.id == id) {
                Some(version) if version.is_active() => Outcome::state(state.clone()),
                _ => Outcome::gone(),
            },
            Err(error) if error.is(Code::NotFound) => Outcome::gone(),
            Err(error) => Outcome::failed(
                Some(state.clone()),
                Diagnostic::api_failure(
                    &format!("Cannot read version {id} of Lockbox secret {secret_id}"),
                    &error,
                ),
            ),
        }
    }

    /// An interrupted add leaves at most an extra version in the secret's history; the
    /// version is added again and becomes the current one.
    fn resolve_pending(
        &self,
        _ctx: &Context<'_>,
        _planned: &Attrs,
        _pending: &PendingCreate,
    ) -> Outcome {
        Outcome::gone()
    }

    /// Imports `<secret_id>/<version_id>`, reading the version's entries (which needs
    /// `lockbox.payloadViewer`).
    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let Some((secret_id, version_id)) = split_import_id(id) else {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Invalid import id",
                    format!(
                        "A Lockbox secret version is imported as <secret_id>/<version_id>, not {id:?}."
                    ),
                ),
            );
        };
        let payload = match ctx.lockbox().get_payload(secret_id, Some(version_id)) {
            Ok(payload) => payload,
            Err(error) if error.is(Code::NotFound) => {
                return Outcome::failed(
                    None,
                    Diagnostic::error(
                        "Cannot import non-existent remote object",
                        format!("No version {version_id} of Lockbox secret {secret_id}: {error}"),
                    ),
                );
            }
            Err(error) => {
                return Outcome::failed(
                    None,
                    Diagnostic::api_failure(
                        &format!("Cannot import Lockbox secret version {id}"),
                        &error,
                    ),
                );
            }
        };
        let mut entries = Vec::new();
        for entry in payload.entries {
            let EntryValue::Text(text) = entry.value else {
                return Outcome::failed(
                    None,
                    Diagnostic::error(
                        "Binary entry",
                        format!(
                            "Entry {:?} of version {version_id} holds binary data, which yandex_lockbox_secret_version cannot hold.",
                            entry.key
                        ),
                    ),
                );
            };
            entries.push(json!({"key": entry.key, "text_value": text, "command": null}));
        }
        let description = ctx
            .lockbox()
            .list_versions(secret_id)
            .ok()
            .and_then(|versions| versions.into_iter().find(|v| v.id == version_id))
            .map(|version| version.description)
            .unwrap_or_default();
        let mut state = Attrs::new();
        state.insert("id".into(), json!(version_id));
        state.insert("secret_id".into(), json!(secret_id));
        state.insert("description".into(), json!(description));
        state.insert("entries".into(), Value::Array(entries));
        Outcome::state(state)
    }
}
