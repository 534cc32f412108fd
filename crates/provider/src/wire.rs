//! The proto3 JSON shapes of the Yandex Cloud REST API, parsed tolerantly.
//!
//! Proto3 printers omit default values, so every field is optional here
//! (`done` absent = false, `""` and `{}` absent). Explicit `null`s are treated as
//! absent, unknown fields are ignored, numbers may arrive as strings, and enums
//! as names or numbers.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::Value;

use crate::error::{Code, Error};
use crate::model::{AccessBinding, ApiKey, BindingAction, BindingDelta, ServiceAccount, Subject};

/// Decodes a JSON body into `T`, ignoring nulls and unknown fields.
pub fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, Error> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| Error::BadResponse(format!("{what} is not JSON: {error}")))?;
    decode_value(what, value)
}

/// Decodes an already parsed JSON value into `T`, ignoring nulls and unknown fields.
pub fn decode_value<T: DeserializeOwned>(what: &str, mut value: Value) -> Result<T, Error> {
    strip_nulls(&mut value);
    serde_json::from_value(value)
        .map_err(|error| Error::BadResponse(format!("{what} has an unexpected shape: {error}")))
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, field| !field.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// `google.rpc.Status`: an error body or an Operation's `error`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Status {
    /// The gRPC code (number, numeric string or name).
    #[serde(deserialize_with = "flexible_code")]
    pub code: Option<Code>,
    /// The message.
    pub message: String,
    /// `google.rpc` detail messages.
    pub details: Vec<Value>,
}

impl Status {
    /// The `requestId` of a `google.rpc.RequestInfo` detail, if any.
    pub fn request_id(&self) -> Option<String> {
        self.details.iter().find_map(|detail| {
            let kind = detail.get("@type")?.as_str()?;
            if !kind.ends_with("google.rpc.RequestInfo") {
                return None;
            }
            let id = detail
                .get("requestId")
                .or_else(|| detail.get("request_id"))?;
            id.as_str().filter(|id| !id.is_empty()).map(str::to_owned)
        })
    }
}

/// `yandex.cloud.operation.Operation`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Operation {
    /// The operation id.
    pub id: String,
    /// Whether it finished (absent = false).
    #[serde(deserialize_with = "flexible_bool")]
    pub done: bool,
    /// `@type`-tagged metadata, e.g. `{serviceAccountId}`.
    pub metadata: Option<Value>,
    /// The failure, possibly before `done`.
    pub error: Option<Status>,
    /// The `@type`-tagged result once done.
    pub response: Option<Value>,
}

impl Operation {
    /// A string field of the metadata, e.g. `serviceAccountId`.
    pub fn metadata_field(&self, name: &str) -> Option<String> {
        self.metadata
            .as_ref()?
            .get(name)?
            .as_str()
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }
}

/// Whether an Operation `response` is `google.protobuf.Empty` (or an untyped `{}` / `null`).
pub fn is_empty_message(value: &Value) -> bool {
    match value {
        Value::Object(map) => match map.get("@type").and_then(Value::as_str) {
            Some(type_name) => type_name.ends_with("google.protobuf.Empty"),
            None => map.is_empty(),
        },
        Value::Null => true,
        _ => false,
    }
}

/// `yandex.cloud.iam.v1.ServiceAccount`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireServiceAccount {
    /// Id.
    pub id: String,
    /// Folder id.
    pub folder_id: String,
    /// Creation time.
    pub created_at: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

impl From<WireServiceAccount> for ServiceAccount {
    fn from(wire: WireServiceAccount) -> Self {
        ServiceAccount {
            id: wire.id,
            folder_id: wire.folder_id,
            name: wire.name,
            description: wire.description,
            labels: wire.labels.into_iter().collect(),
            created_at: wire.created_at,
        }
    }
}

/// `ListServiceAccountsResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceAccountPage {
    /// The accounts.
    pub service_accounts: Vec<WireServiceAccount>,
    /// The next page, empty on the last.
    pub next_page_token: String,
}

/// `yandex.cloud.access.Subject`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WireSubject {
    /// Id.
    pub id: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `yandex.cloud.access.AccessBinding`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireAccessBinding {
    /// Role id.
    pub role_id: String,
    /// Subject.
    pub subject: WireSubject,
}

impl From<WireAccessBinding> for AccessBinding {
    fn from(wire: WireAccessBinding) -> Self {
        AccessBinding {
            role_id: wire.role_id,
            subject: Subject {
                kind: wire.subject.kind,
                id: wire.subject.id,
            },
        }
    }
}

/// `ListAccessBindingsResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccessBindingPage {
    /// The bindings.
    pub access_bindings: Vec<WireAccessBinding>,
    /// The next page, empty on the last.
    pub next_page_token: String,
}

/// `ListApiKeyScopesResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScopePage {
    /// The scopes.
    pub scopes: Vec<String>,
    /// The next page, empty on the last.
    pub next_page_token: String,
}

/// `yandex.cloud.access.AccessBindingDelta`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireDelta {
    /// `ADD` / `REMOVE` (name or number).
    #[serde(deserialize_with = "flexible_action")]
    pub action: Option<BindingAction>,
    /// The binding.
    pub access_binding: WireAccessBinding,
}

impl WireDelta {
    /// The domain delta, or why the action is not understood.
    pub fn into_delta(self) -> Result<BindingDelta, Error> {
        let action = self.action.ok_or_else(|| {
            Error::BadResponse("an effective delta has no ADD/REMOVE action".to_owned())
        })?;
        Ok(BindingDelta {
            action,
            binding: self.access_binding.into(),
        })
    }
}

/// `AccessBindingsOperationResult`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccessBindingsResult {
    /// The deltas that changed something.
    pub effective_deltas: Vec<WireDelta>,
}

/// `yandex.cloud.iam.v1.ApiKey`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireApiKey {
    /// Id.
    pub id: String,
    /// Owning service account.
    pub service_account_id: String,
    /// Creation time.
    pub created_at: String,
    /// Description.
    pub description: String,
    /// The deprecated single scope.
    pub scope: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Expiry.
    pub expires_at: Option<String>,
    /// `****` + the last characters of the secret.
    pub masked_secret: Option<String>,
}

impl From<WireApiKey> for ApiKey {
    fn from(wire: WireApiKey) -> Self {
        let scopes = if wire.scopes.is_empty() && !wire.scope.is_empty() {
            vec![wire.scope]
        } else {
            wire.scopes
        };
        ApiKey {
            id: wire.id,
            service_account_id: wire.service_account_id,
            description: wire.description,
            scopes,
            created_at: wire.created_at,
            expires_at: wire.expires_at.filter(|value| !value.is_empty()),
            masked_secret: wire.masked_secret.filter(|value| !value.is_empty()),
        }
    }
}

/// `yandex.cloud.iam.v1.awscompatibility.AccessKey`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireAccessKey {
    /// Id.
    pub id: String,
    /// Owning service account.
    pub service_account_id: String,
    /// Creation time.
    pub created_at: String,
    /// Description.
    pub description: String,
    /// The key id S3 clients send.
    pub key_id: String,
}

impl From<WireAccessKey> for crate::model::AccessKey {
    fn from(wire: WireAccessKey) -> Self {
        crate::model::AccessKey {
            id: wire.id,
            service_account_id: wire.service_account_id,
            description: wire.description,
            created_at: wire.created_at,
            key_id: wire.key_id,
        }
    }
}

/// `ListAccessKeysResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccessKeyPage {
    /// The keys.
    pub access_keys: Vec<WireAccessKey>,
    /// The next page, empty on the last.
    pub next_page_token: String,
}

/// `CreateAccessKeyResponse`; its `Debug` never shows the secret.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CreatedAccessKey {
    /// The key.
    pub access_key: WireAccessKey,
    /// The secret.
    pub secret: String,
}

/// `yandex.cloud.iam.v1.Key`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireAuthorizedKey {
    /// Id.
    pub id: String,
    /// Owning service account.
    pub service_account_id: String,
    /// Creation time.
    pub created_at: String,
    /// Description.
    pub description: String,
    /// `RSA_2048` or `RSA_4096`.
    pub key_algorithm: String,
    /// The public key, PEM.
    pub public_key: String,
}

impl From<WireAuthorizedKey> for crate::model::AuthorizedKey {
    fn from(wire: WireAuthorizedKey) -> Self {
        crate::model::AuthorizedKey {
            id: wire.id,
            service_account_id: wire.service_account_id,
            description: wire.description,
            created_at: wire.created_at,
            key_algorithm: wire.key_algorithm,
            public_key: wire.public_key,
        }
    }
}

/// `ListKeysResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthorizedKeyPage {
    /// The keys.
    pub keys: Vec<WireAuthorizedKey>,
    /// The next page, empty on the last.
    pub next_page_token: String,
}

/// `CreateKeyResponse`; its `Debug` never shows the private key.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CreatedAuthorizedKey {
    /// The key.
    pub key: WireAuthorizedKey,
    /// The private key, PEM.
    pub private_key: String,
}

/// `ListApiKeysResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiKeyPage {
    /// The keys.
    pub api_keys: Vec<WireApiKey>,
    /// The next page, empty on the last.
    pub next_page_token: String,
}

/// `CreateApiKeyResponse`; its `Debug` never shows the secret.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CreatedApiKey {
    /// The key.
    pub api_key: WireApiKey,
    /// The secret.
    pub secret: String,
}

fn flexible_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Code>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(number) => number.as_i64().map(Code::from_number),
        Value::String(text) => match text.trim().parse::<i64>() {
            Ok(number) => Some(Code::from_number(number)),
            Err(_) => Code::from_name(text.trim()),
        },
        _ => None,
    })
}

fn flexible_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Bool(flag) => Ok(flag),
        Value::String(text) if text == "true" => Ok(true),
        Value::String(text) if text == "false" || text.is_empty() => Ok(false),
        other => Err(de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

fn flexible_action<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BindingAction>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) if text == "ADD" || text == "1" => Some(BindingAction::Add),
        Value::String(text) if text == "REMOVE" || text == "2" => Some(BindingAction::Remove),
        Value::Number(number) if number.as_i64() == Some(1) => Some(BindingAction::Add),
        Value::Number(number) if number.as_i64() == Some(2) => Some(BindingAction::Remove),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_defaults_and_tolerance() {
        let cases: [(&str, bool, Option<Code>); 5] = [
            (r#"{"id":"op1"}"#, false, None),
            (r#"{"id":"op1","done":true,"extra":{"x":1}}"#, true, None),
            (
                r#"{"id":"op1","done":null,"error":{"code":"5","message":"gone"}}"#,
                false,
                Some(Code::NotFound),
            ),
            (
                r#"{"id":"op1","done":"true","error":{"code":"ALREADY_EXISTS"}}"#,
                true,
                Some(Code::AlreadyExists),
            ),
            (
                r#"{"id":"op1","error":{"code":14,"message":null}}"#,
                false,
                Some(Code::Unavailable),
            ),
        ];
        for (body, done, code) in cases {
            let operation: Operation = decode("operation", body.as_bytes()).unwrap();
            assert_eq!(operation.done, done, "{body}");
            assert_eq!(
                operation.error.and_then(|status| status.code),
                code,
                "{body}"
            );
        }
    }

    #[test]
    fn status_request_id_comes_from_request_info() {
        let body = r#"{"code":6,"message":"exists","details":[
            {"@type":"type.googleapis.com/google.rpc.BadRequest"},
            {"@type":"type.googleapis.com/google.rpc.RequestInfo","requestId":"req-1"}]}"#;
        let status: Status = decode("error", body.as_bytes()).unwrap();
        assert_eq!(status.request_id().as_deref(), Some("req-1"));
        assert_eq!(status.code, Some(Code::AlreadyExists));
    }

    #[test]
    fn service_account_with_absent_defaults() {
        let body = r#"{"id":"aje1","folderId":"b1g","name":"sa","createdAt":"2030-01-01T00:00:00Z","status":"ACTIVE"}"#;
        let account: ServiceAccount = decode::<WireServiceAccount>("account", body.as_bytes())
            .unwrap()
            .into();
        assert_eq!(account.description, "");
        assert!(account.labels.is_empty());
        assert_eq!(account.name, "sa");
    }

    #[test]
    fn api_key_legacy_scope_fills_scopes() {
        let body =
            r#"{"id":"k1","serviceAccountId":"aje1","scope":"yc.postbox.send","expiresAt":""}"#;
        let key: ApiKey = decode::<WireApiKey>("key", body.as_bytes()).unwrap().into();
        assert_eq!(key.scopes, vec!["yc.postbox.send".to_owned()]);
        assert_eq!(key.expires_at, None);
    }

    #[test]
    fn deltas_accept_names_and_numbers() {
        let body = r#"{"effectiveDeltas":[
            {"action":"ADD","accessBinding":{"roleId":"r","subject":{"id":"a","type":"serviceAccount"}}},
            {"action":2,"accessBinding":{"roleId":"r","subject":{"id":"b","type":"userAccount"}}}]}"#;
        let result: AccessBindingsResult = decode("result", body.as_bytes()).unwrap();
        let actions: Vec<BindingAction> = result
            .effective_deltas
            .into_iter()
            .map(|delta| delta.into_delta().unwrap().action)
            .collect();
        assert_eq!(actions, vec![BindingAction::Add, BindingAction::Remove]);
    }

    #[test]
    fn empty_message_detection() {
        let cases = [
            (
                r#"{"@type":"type.googleapis.com/google.protobuf.Empty"}"#,
                true,
            ),
            (
                r#"{"@type":"type.googleapis.com/yandex.cloud.access.AccessBindingsOperationResult"}"#,
                false,
            ),
            ("{}", true),
            (
                r#"{"@type":"x.AccessBindingsOperationResult","effectiveDeltas":[]}"#,
                false,
            ),
            ("null", true),
        ];
        for (body, expected) in cases {
            let value: Value = serde_json::from_str(body).unwrap();
            assert_eq!(is_empty_message(&value), expected, "{body}");
        }
    }

    #[test]
    fn non_json_is_a_bad_response() {
        let error = decode::<Operation>("operation", b"<html>").unwrap_err();
        assert!(
            matches!(error, Error::BadResponse(text) if text.starts_with("operation is not JSON"))
        );
    }
}
