//! The Lockbox client: secrets, their versions and payloads over the REST paths of
//! `yandex.cloud.lockbox.v1` (SecretService on the Lockbox host, PayloadService on its
//! own host). Payload values are secrets: they are never logged, and a payload answer
//! that cannot be decoded is reported without its text.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::error::Error;
use crate::mutation::Mutations;
use crate::operation::{self, PollPolicy};
use crate::platform::{Method, Platform};
use crate::url::{self, LOCKBOX_HOST, LOCKBOX_PAYLOAD_HOST};
use crate::validation;
use crate::wire;

/// `yandex.cloud.lockbox.v1.Version` without its payload.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct Version {
    /// Version id.
    pub id: String,
    /// The secret it belongs to.
    pub secret_id: String,
    /// Creation time.
    pub created_at: String,
    /// When it will be destroyed, once scheduled.
    pub destroy_at: Option<String>,
    /// Description.
    pub description: String,
    /// `ACTIVE`, `SCHEDULED_FOR_DESTRUCTION` or `DESTROYED`.
    pub status: String,
    /// The keys of its entries.
    pub payload_entry_keys: Vec<String>,
}

impl Version {
    /// Whether its payload can still be read.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// `yandex.cloud.lockbox.v1.Secret`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Secret {
    /// Secret id.
    pub id: String,
    /// Its folder.
    pub folder_id: String,
    /// Creation time.
    pub created_at: String,
    /// Name (may be empty).
    pub name: String,
    /// Description.
    pub description: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The KMS key that encrypts it.
    pub kms_key_id: String,
    /// `ACTIVE`, `INACTIVE`, …
    pub status: String,
    /// The current version, if any.
    pub current_version: Option<Version>,
    /// Whether Delete is refused.
    pub deletion_protection: bool,
    /// The password generation spec as the API renders it.
    pub password_payload_specification: Option<Value>,
}

/// What a new secret is made of.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecretSpec {
    /// Its folder.
    pub folder_id: String,
    /// Name (may be empty).
    pub name: String,
    /// Description.
    pub description: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The KMS key (may be empty).
    pub kms_key_id: String,
    /// Whether Delete is refused.
    pub deletion_protection: bool,
    /// The password generation spec in the API's JSON, if any.
    pub password_payload_specification: Option<Value>,
}

/// One payload entry's value.
#[derive(Clone, PartialEq, Eq)]
pub enum EntryValue {
    /// Text.
    Text(String),
    /// Bytes, base64 as the API sends them.
    Binary(String),
}

impl std::fmt::Debug for EntryValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryValue::Text(_) => write!(f, "Text(<sensitive>)"),
            EntryValue::Binary(_) => write!(f, "Binary(<sensitive>)"),
        }
    }
}

/// One payload entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key (not secret).
    pub key: String,
    /// The value (secret).
    pub value: EntryValue,
}

/// A version's entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// The version read.
    pub version_id: String,
    /// Its entries.
    pub entries: Vec<Entry>,
}

impl Payload {
    /// The text value of `key`, if the payload has one.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.entries.iter().find_map(|entry| match &entry.value {
            EntryValue::Text(text) if entry.key == key => Some(text.as_str()),
            _ => None,
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WireEntry {
    key: String,
    text_value: Option<String>,
    binary_value: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WirePayload {
    version_id: String,
    entries: Vec<WireEntry>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct VersionPage {
    versions: Vec<Version>,
    next_page_token: String,
}

/// Checks an entry key: 1-256 characters of `[-_./\@0-9a-zA-Z]`.
pub fn check_entry_key(path: &str, key: &str) -> Result<(), validation::Invalid> {
    let valid = (1..=256).contains(&key.len())
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./\\@".contains(&c));
    if valid {
        Ok(())
    } else {
        Err(validation::Invalid::new(
            path,
            format!("{key:?} is not a Lockbox entry key: 1-256 characters of [-_./\\@0-9a-zA-Z]"),
        ))
    }
}

fn entry_json(entry: &Entry) -> Value {
    match &entry.value {
        EntryValue::Text(text) => json!({"key": entry.key, "textValue": text}),
        EntryValue::Binary(bytes) => json!({"key": entry.key, "binaryValue": bytes}),
    }
}

/// The Lockbox client.
pub struct Lockbox<'a, P: Platform + ?Sized> {
    api: Mutations<'a, P>,
}

impl<'a, P: Platform + ?Sized> Lockbox<'a, P> {
    /// A client with the default retry and poll policies.
    pub fn new(platform: &'a P) -> Self {
        Lockbox {
            api: Mutations::new(Client::new(platform), PollPolicy::default()),
        }
    }

    fn secret_url(id: &str, suffix: &str) -> String {
        format!(
            "{LOCKBOX_HOST}/lockbox/v1/secrets/{}{suffix}",
            url::segment(id)
        )
    }

    /// Creates a secret without a version and waits for its Operation.
    pub fn create_secret(&self, spec: &SecretSpec) -> Result<Secret, Error> {
        validation::resource_id("folder_id", &spec.folder_id)?;
        let mut body = Map::new();
        body.insert("folderId".into(), json!(spec.folder_id));
        for (field, value) in [
            ("name", &spec.name),
            ("description", &spec.description),
            ("kmsKeyId", &spec.kms_key_id),
        ] {
            if !value.is_empty() {
                body.insert(field.into(), json!(value));
            }
        }
        if !spec.labels.is_empty() {
            body.insert("labels".into(), json!(spec.labels));
        }
        if spec.deletion_protection {
            body.insert("deletionProtection".into(), json!(true));
        }
        if let Some(password) = &spec.password_payload_specification {
            body.insert("passwordPayloadSpecification".into(), password.clone());
        }
        body.insert("createVersion".into(), json!(false));
        let url = format!("{LOCKBOX_HOST}/lockbox/v1/secrets");
        let done = self.api.mutate(
            Method::Post,
            &url,
            Some(Value::Object(body)),
            "create secret",
        )?;
        match operation::response_of(&done) {
            Some(secret) => wire::decode_value("secret", secret.clone()),
            None => {
                let id = done.metadata_field("secretId").ok_or_else(|| {
                    Error::BadResponse("the create secret operation names no secret".into())
                })?;
                self.get_secret(&id)
            }
        }
    }

    /// Reads a secret by id.
    pub fn get_secret(&self, id: &str) -> Result<Secret, Error> {
        validation::resource_id("id", id)?;
        self.api
            .client()
            .get(&Self::secret_url(id, ""))?
            .json("secret")
    }

    /// Changes the fields `mask` names (proto field names, e.g. `deletion_protection`)
    /// to the values of `spec`, and waits for the Operation.
    pub fn update_secret(&self, id: &str, spec: &SecretSpec, mask: &[&str]) -> Result<(), Error> {
        validation::resource_id("id", id)?;
        let mut body = Map::new();
        body.insert("updateMask".into(), json!(mask.join(",")));
        body.insert("name".into(), json!(spec.name));
        body.insert("description".into(), json!(spec.description));
        body.insert("labels".into(), json!(spec.labels));
        body.insert("deletionProtection".into(), json!(spec.deletion_protection));
        if let Some(password) = &spec.password_payload_specification {
            body.insert("passwordPayloadSpecification".into(), password.clone());
        }
        self.api.mutate(
            Method::Patch,
            &Self::secret_url(id, ""),
            Some(Value::Object(body)),
            "update secret",
        )?;
        Ok(())
    }

    /// Deletes a secret and waits for its Operation.
    pub fn delete_secret(&self, id: &str) -> Result<(), Error> {
        validation::resource_id("id", id)?;
        self.api.mutate(
            Method::Delete,
            &Self::secret_url(id, ""),
            None,
            "delete secret",
        )?;
        Ok(())
    }

    /// Adds a version built from `base_version_id` (the current one when `None`) with
    /// `changes` applied (an empty text value removes its key), and waits for it.
    pub fn add_version(
        &self,
        secret_id: &str,
        description: &str,
        changes: &[Entry],
        base_version_id: Option<&str>,
    ) -> Result<Version, Error> {
        validation::resource_id("secret_id", secret_id)?;
        let mut body = Map::new();
        if !description.is_empty() {
            body.insert("description".into(), json!(description));
        }
        body.insert(
            "payloadEntries".into(),
            Value::Array(changes.iter().map(entry_json).collect()),
        );
        if let Some(base) = base_version_id.filter(|base| !base.is_empty()) {
            body.insert("baseVersionId".into(), json!(base));
        }
        let done = self.api.mutate(
            Method::Post,
            &Self::secret_url(secret_id, ":addVersion"),
            Some(Value::Object(body)),
            "add secret version",
        )?;
        if let Some(version) = operation::response_of(&done) {
            let version: Version = wire::decode_value("secret version", version.clone())?;
            if !version.id.is_empty() {
                return Ok(version);
            }
        }
        let id = done.metadata_field("versionId").ok_or_else(|| {
            Error::BadResponse("the add version operation names no version".into())
        })?;
        self.list_versions(secret_id)?
            .into_iter()
            .find(|version| version.id == id)
            .ok_or_else(|| Error::BadResponse(format!("version {id} is not listed")))
    }

    /// Lists a secret's versions.
    pub fn list_versions(&self, secret_id: &str) -> Result<Vec<Version>, Error> {
        validation::resource_id("secret_id", secret_id)?;
        self.api.client().list_pages(
            "secret version list",
            &Self::secret_url(secret_id, "/versions"),
            &[],
            |page: VersionPage| (page.versions, page.next_page_token),
        )
    }

    /// Schedules a version's destruction after the API's default pending period
    /// (7 days, during which it can be cancelled), and waits for it.
    pub fn schedule_version_destruction(
        &self,
        secret_id: &str,
        version_id: &str,
    ) -> Result<(), Error> {
        validation::resource_id("secret_id", secret_id)?;
        validation::resource_id("version_id", version_id)?;
        self.api.mutate(
            Method::Post,
            &Self::secret_url(secret_id, ":scheduleVersionDestruction"),
            Some(json!({ "versionId": version_id })),
            "schedule secret version destruction",
        )?;
        Ok(())
    }

    /// Reads a version's entries (the current version's when `version_id` is `None`).
    pub fn get_payload(&self, secret_id: &str, version_id: Option<&str>) -> Result<Payload, Error> {
        validation::resource_id("secret_id", secret_id)?;
        let query = url::query(&[("versionId", version_id.unwrap_or_default())]);
        let url = format!(
            "{LOCKBOX_PAYLOAD_HOST}/lockbox/v1/secrets/{}/payload{query}",
            url::segment(secret_id)
        );
        let reply = self.api.client().get(&url)?;
        let payload: WirePayload = reply
            .json("secret payload")
            .map_err(|_| Error::BadResponse("the secret payload has an unexpected shape".into()))?;
        let entries = payload
            .entries
            .into_iter()
            .map(|entry| {
                let value = match (entry.text_value, entry.binary_value) {
                    (_, Some(bytes)) => EntryValue::Binary(bytes),
                    (text, None) => EntryValue::Text(text.unwrap_or_default()),
                };
                Entry {
                    key: entry.key,
                    value,
                }
            })
            .collect();
        Ok(Payload {
            version_id: payload.version_id,
            entries,
        })
    }
}
