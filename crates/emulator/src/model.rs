//! The cloud's resources and their proto3 JSON renderings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A service account (`yandex.cloud.iam.v1.ServiceAccount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccount {
    /// Id, `aje…`.
    pub id: String,
    /// The folder it lives in.
    pub folder_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// Name, unique within the cloud.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Optional RFC3339 expiry.
    pub expires_at: Option<String>,
}

/// One role granted to one subject on a resource (`yandex.cloud.access.AccessBinding`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AccessBinding {
    /// Role id, for example `ai.languageModels.user`.
    pub role_id: String,
    /// Subject type, for example `serviceAccount` or `userAccount`.
    pub subject_type: String,
    /// Subject id.
    pub subject_id: String,
}

/// An API key without its secret (`yandex.cloud.iam.v1.ApiKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Id, `aje…`.
    pub id: String,
    /// The owning service account.
    pub service_account_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// Description (may be empty).
    pub description: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Optional RFC3339 expiry.
    pub expires_at: Option<String>,
    /// `****` and the last six characters of the secret.
    pub masked_secret: String,
}

/// A static access key for the S3-compatible APIs
/// (`yandex.cloud.iam.v1.awscompatibility.AccessKey`), without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// Id, `aje…`.
    pub id: String,
    /// The owning service account.
    pub service_account_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// Description (may be empty).
    pub description: String,
    /// The key id S3 clients send, `YCAJ…`.
    pub key_id: String,
}

impl AccessKey {
    /// proto3 JSON.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("serviceAccountId".into(), json!(self.service_account_id));
        object.insert("createdAt".into(), json!(self.created_at));
        insert_if_not_empty(&mut object, "description", &self.description);
        object.insert("keyId".into(), json!(self.key_id));
        Value::Object(object)
    }
}

/// A folder (`yandex.cloud.resourcemanager.v1.Folder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// Id, `b1g…`.
    pub id: String,
    /// The cloud it belongs to.
    pub cloud_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

/// A service account's authorized key without its private half (`yandex.cloud.iam.v1.Key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedKey {
    /// Id, `aje…`; the `kid` of JWTs signed with it.
    pub id: String,
    /// The owning service account.
    pub service_account_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// Description.
    pub description: String,
    /// `RSA_2048` or `RSA_4096`.
    pub key_algorithm: String,
    /// The public key, PEM (SubjectPublicKeyInfo).
    pub public_key: String,
}

/// A Lockbox secret without its versions' payloads (`yandex.cloud.lockbox.v1.Secret`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockboxSecret {
    /// Id, `e6q…`.
    pub id: String,
    /// The folder it lives in.
    pub folder_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// Name (may be empty).
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The KMS key that encrypts it (may be empty).
    pub kms_key_id: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Whether Delete is refused.
    pub deletion_protection: bool,
    /// The password generation spec (proto3 JSON), if the secret has one.
    pub password_payload_specification: Option<Value>,
    /// The current version's id (empty before the first version).
    pub current_version_id: String,
}

/// A version of a Lockbox secret without its payload (`yandex.cloud.lockbox.v1.Version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockboxVersion {
    /// Id, `e6q…`.
    pub id: String,
    /// The secret it belongs to.
    pub secret_id: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// RFC3339 time of destruction, when scheduled.
    pub destroy_at: Option<String>,
    /// Description (may be empty).
    pub description: String,
    /// `ACTIVE`, `SCHEDULED_FOR_DESTRUCTION` or `DESTROYED`.
    pub status: String,
    /// The keys of its entries.
    pub payload_entry_keys: Vec<String>,
}

impl LockboxVersion {
    /// proto3 JSON.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("secretId".into(), json!(self.secret_id));
        object.insert("createdAt".into(), json!(self.created_at));
        if let Some(at) = &self.destroy_at {
            object.insert("destroyAt".into(), json!(at));
        }
        insert_if_not_empty(&mut object, "description", &self.description);
        object.insert("status".into(), json!(self.status));
        if !self.payload_entry_keys.is_empty() {
            object.insert("payloadEntryKeys".into(), json!(self.payload_entry_keys));
        }
        Value::Object(object)
    }
}

impl LockboxSecret {
    /// proto3 JSON, with the current version when there is one.
    pub fn to_json(&self, current: Option<&LockboxVersion>) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("folderId".into(), json!(self.folder_id));
        object.insert("createdAt".into(), json!(self.created_at));
        insert_if_not_empty(&mut object, "name", &self.name);
        insert_if_not_empty(&mut object, "description", &self.description);
        if !self.labels.is_empty() {
            object.insert("labels".into(), json!(self.labels));
        }
        insert_if_not_empty(&mut object, "kmsKeyId", &self.kms_key_id);
        object.insert("status".into(), json!(self.status));
        if let Some(version) = current {
            object.insert("currentVersion".into(), version.to_json());
        }
        if self.deletion_protection {
            object.insert("deletionProtection".into(), json!(true));
        }
        if let Some(spec) = &self.password_payload_specification {
            object.insert("passwordPayloadSpecification".into(), spec.clone());
        }
        Value::Object(object)
    }
}

/// A Lockbox secret and its versions, without payloads, as [`Snapshot`] lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockboxSecretSnapshot {
    /// The secret.
    pub secret: LockboxSecret,
    /// Its versions, oldest first.
    pub versions: Vec<LockboxVersion>,
}

/// What the emulator holds, without any secret: returned by `Emulator::snapshot` and
/// `GET /_emulator/state`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// All service accounts, ordered by id.
    pub service_accounts: Vec<ServiceAccount>,
    /// Access bindings of every folder, by folder id.
    pub folder_bindings: BTreeMap<String, Vec<AccessBinding>>,
    /// Access bindings of the cloud.
    pub cloud_bindings: Vec<AccessBinding>,
    /// Access bindings on service accounts, by service-account id.
    pub service_account_bindings: BTreeMap<String, Vec<AccessBinding>>,
    /// All API keys (masked), ordered by id.
    pub api_keys: Vec<ApiKey>,
    /// All static access keys (without secrets), ordered by id.
    pub access_keys: Vec<AccessKey>,
    /// All authorized keys (public halves), ordered by id.
    pub authorized_keys: Vec<AuthorizedKey>,
    /// All Lockbox secrets with their versions (no payloads), ordered by id.
    #[serde(default)]
    pub lockbox_secrets: Vec<LockboxSecretSnapshot>,
}

fn insert_if_not_empty(object: &mut Map<String, Value>, name: &str, value: &str) {
    if !value.is_empty() {
        object.insert(name.to_string(), Value::String(value.to_string()));
    }
}

impl ServiceAccount {
    /// proto3 JSON; empty fields are omitted as the gateway does.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("folderId".into(), json!(self.folder_id));
        object.insert("createdAt".into(), json!(self.created_at));
        object.insert("name".into(), json!(self.name));
        insert_if_not_empty(&mut object, "description", &self.description);
        if !self.labels.is_empty() {
            object.insert("labels".into(), json!(self.labels));
        }
        object.insert("status".into(), json!("ACTIVE"));
        if let Some(expires_at) = &self.expires_at {
            object.insert("expiresAt".into(), json!(expires_at));
        }
        Value::Object(object)
    }
}

impl AccessBinding {
    /// proto3 JSON: `{"roleId", "subject": {"id", "type"}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "roleId": self.role_id,
            "subject": { "id": self.subject_id, "type": self.subject_type },
        })
    }
}

impl ApiKey {
    /// proto3 JSON. A key with exactly one scope also echoes it in the deprecated `scope`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("serviceAccountId".into(), json!(self.service_account_id));
        object.insert("createdAt".into(), json!(self.created_at));
        insert_if_not_empty(&mut object, "description", &self.description);
        if self.scopes.len() == 1 {
            object.insert("scope".into(), json!(self.scopes[0]));
        }
        if !self.scopes.is_empty() {
            object.insert("scopes".into(), json!(self.scopes));
        }
        if let Some(expires_at) = &self.expires_at {
            object.insert("expiresAt".into(), json!(expires_at));
        }
        object.insert("maskedSecret".into(), json!(self.masked_secret));
        Value::Object(object)
    }
}

impl Folder {
    /// proto3 JSON.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("cloudId".into(), json!(self.cloud_id));
        object.insert("createdAt".into(), json!(self.created_at));
        object.insert("name".into(), json!(self.name));
        insert_if_not_empty(&mut object, "description", &self.description);
        object.insert("status".into(), json!("ACTIVE"));
        Value::Object(object)
    }
}

impl AuthorizedKey {
    /// proto3 JSON.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("serviceAccountId".into(), json!(self.service_account_id));
        object.insert("createdAt".into(), json!(self.created_at));
        insert_if_not_empty(&mut object, "description", &self.description);
        object.insert("keyAlgorithm".into(), json!(self.key_algorithm));
        object.insert("publicKey".into(), json!(self.public_key));
        Value::Object(object)
    }
}

/// `{"@type": "type.googleapis.com/<type_name>", ...fields}`: a `google.protobuf.Any`.
pub fn any(type_name: &str, fields: Value) -> Value {
    let mut object = Map::new();
    object.insert(
        "@type".into(),
        json!(format!("type.googleapis.com/{type_name}")),
    );
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object)
}

/// The `google.protobuf.Empty` Any.
pub fn empty_any() -> Value {
    any("google.protobuf.Empty", json!({}))
}

/// A list response: `{"<items_name>": [...], "nextPageToken": "..."}` with empty parts omitted.
pub fn list_response(items_name: &str, items: Vec<Value>, next_page_token: String) -> Value {
    let mut object = Map::new();
    if !items.is_empty() {
        object.insert(items_name.to_string(), Value::Array(items));
    }
    if !next_page_token.is_empty() {
        object.insert("nextPageToken".into(), Value::String(next_page_token));
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_omitted() {
        let sa = ServiceAccount {
            id: "aje1".into(),
            folder_id: "b1g1".into(),
            created_at: "2030-01-01T00:00:00Z".into(),
            name: "robot".into(),
            description: String::new(),
            labels: BTreeMap::new(),
            expires_at: None,
        };
        let json = sa.to_json();
        assert!(json.get("description").is_none());
        assert!(json.get("labels").is_none());
        assert!(json.get("expiresAt").is_none());
        assert_eq!(list_response("x", vec![], String::new()), json!({}));
    }

    #[test]
    fn single_scope_keys_echo_scope() {
        let mut key = ApiKey {
            id: "aje2".into(),
            service_account_id: "aje1".into(),
            created_at: "2030-01-01T00:00:00Z".into(),
            description: String::new(),
            scopes: vec!["yc.postbox.send".into()],
            expires_at: None,
            masked_secret: "****abcdef".into(),
        };
        assert_eq!(key.to_json()["scope"], "yc.postbox.send");
        key.scopes.push("yc.monitoring.read".into());
        assert!(key.to_json().get("scope").is_none());
    }

    #[test]
    fn any_carries_type_url() {
        let value = any("yandex.cloud.iam.v1.X", json!({"a": 1}));
        assert_eq!(
            value,
            json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.X", "a": 1})
        );
    }
}
