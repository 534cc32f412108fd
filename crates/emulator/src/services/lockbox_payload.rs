//! Lockbox PayloadService (`yandex.cloud.lockbox.v1`, served on its own host in the
//! cloud): a version's entries. Reading them needs `lockbox.payloadViewer` (or an admin
//! role); `lockbox.editor` is not enough.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::error::{ApiError, ApiResult, Code};
use crate::input::Fields;
use crate::validate;

use super::lockbox_secrets::find;

/// Roles that allow reading payloads.
const PAYLOAD_ROLES: &[&str] = &["admin", "lockbox.admin", "lockbox.payloadViewer"];

/// `GET /lockbox/v1/secrets/{secretId}/payload?versionId=`: the current version without
/// `versionId`.
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(&request.query, &["versionId"])?;
    let id = validate::path_id("secretId", id, 50)?;
    let version_id = validate::optional(&fields, "versionId", 50)?;
    let stored = find(&cloud, &id)?;
    if !caller.has_role(
        cloud.folder_bindings(&stored.secret.folder_id),
        PAYLOAD_ROLES,
    ) {
        return Err(ApiError::permission_denied(
            "lockbox.payloads.get",
            &stored.secret.folder_id,
        ));
    }
    if stored.secret.status != "ACTIVE" {
        return Err(ApiError::new(
            Code::FailedPrecondition,
            format!("Secret {id} is not active"),
        ));
    }
    let version_id = if version_id.is_empty() {
        stored.secret.current_version_id.clone()
    } else {
        version_id
    };
    let version = stored
        .versions
        .iter()
        .find(|v| v.version.id == version_id)
        .ok_or_else(|| {
            ApiError::not_found(format!("Version {version_id} of secret {id} not found"))
        })?;
    if version.version.status != "ACTIVE" {
        return Err(ApiError::new(
            Code::FailedPrecondition,
            format!("Version {version_id} is {}", version.version.status),
        ));
    }
    let entries: Vec<Value> = version
        .entries
        .iter()
        .map(|(key, value)| {
            let mut entry = json!({ "key": key });
            if let (Value::Object(entry), Value::Object(value)) = (&mut entry, value) {
                entry.extend(value.clone());
            }
            entry
        })
        .collect();
    let mut payload = json!({ "versionId": version_id });
    if !entries.is_empty() {
        payload["entries"] = Value::Array(entries);
    }
    Ok(payload)
}
