//! Lockbox SecretService (`yandex.cloud.lockbox.v1`): secrets, their versions, and
//! scheduling versions for destruction. Payloads are read through the payload service
//! ([`super::lockbox_payload`]).
//!
//! A version is immutable. AddVersion builds a new version from a base (the current one
//! unless `baseVersionId` names another): each payload entry change sets its key, and a
//! change with an empty value removes the key. The new version becomes current.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::{Access, Principal};
use crate::cloud::{CloudState, StoredSecret, StoredVersion};
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::LOCKBOX_PREFIX;
use crate::input::Fields;
use crate::model::{LockboxSecret, LockboxVersion, any, list_response};
use crate::validate;

use super::no_query;

/// Lockbox roles that allow changes (in addition to the primitive `admin` and `editor`).
const WRITE_ROLES: &[&str] = &["lockbox.admin", "lockbox.editor"];
/// Lockbox roles that allow reading secrets and versions, not payloads.
const READ_ROLES: &[&str] = &["lockbox.viewer", "lockbox.auditor"];
/// The most entries one version holds.
const MAX_ENTRIES: usize = 32;
/// The most bytes of one entry's value.
pub const MAX_VALUE_BYTES: usize = 65_536;
/// The default of `pendingPeriod` in ScheduleVersionDestruction: 7 days.
const DEFAULT_PENDING_SECONDS: i64 = 7 * 24 * 3600;

/// A secret's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Its payloads can be read and versions added.
    Active,
    /// Deactivated: payloads cannot be read.
    Inactive,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::Inactive => "INACTIVE",
        }
    }
}

/// A stored secret, or NOT_FOUND.
pub fn find<'a>(cloud: &'a CloudState, id: &str) -> ApiResult<&'a StoredSecret> {
    cloud
        .lockbox_secrets
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Secret {id} not found")))
}

/// PERMISSION_DENIED unless the caller may have `access` to secrets of the folder.
pub fn require_secret_access(
    cloud: &CloudState,
    caller: &Principal,
    folder_id: &str,
    access: Access,
    permission: &str,
) -> ApiResult<()> {
    let bindings = cloud.folder_bindings(folder_id);
    let lockbox_roles = match access {
        Access::Write => WRITE_ROLES.to_vec(),
        Access::Read => [WRITE_ROLES, READ_ROLES].concat(),
    };
    if caller.can(bindings, access) || caller.has_role(bindings, &lockbox_roles) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(permission, folder_id))
    }
}

fn secret_json(stored: &StoredSecret) -> Value {
    let current = stored
        .versions
        .iter()
        .find(|v| v.version.id == stored.secret.current_version_id)
        .map(|v| &v.version);
    stored.secret.to_json(current)
}

fn secret_any(stored: &StoredSecret) -> Value {
    any("yandex.cloud.lockbox.v1.Secret", secret_json(stored))
}

fn is_entry_key(key: &str) -> bool {
    (1..=256).contains(&key.len())
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./\\@".contains(&c))
}

/// Payload entry changes: `[{key, textValue | binaryValue}]`, each value at most 64 KiB.
fn entry_changes(fields: &Fields, name: &str) -> ApiResult<Vec<(String, Value)>> {
    let changes = fields.messages(name, &["key", "textValue", "binaryValue"])?;
    if changes.len() > MAX_ENTRIES {
        return Err(ApiError::invalid(
            name,
            format!("at most {MAX_ENTRIES} entries are allowed"),
        ));
    }
    let mut out: Vec<(String, Value)> = Vec::new();
    for change in &changes {
        let key = validate::required(change, "key", 256)?;
        if !is_entry_key(&key) {
            return Err(ApiError::invalid(
                &change.path("key"),
                "must match [-_./\\\\@0-9a-zA-Z]{1,256}",
            ));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(ApiError::invalid(
                &change.path("key"),
                format!("duplicate key \"{key}\""),
            ));
        }
        let value = match (change.string("textValue")?, change.string("binaryValue")?) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    &change.path("binaryValue"),
                    "only one of textValue and binaryValue may be set",
                ));
            }
            (Some(text), None) => {
                validate::max_length(&change.path("textValue"), &text, MAX_VALUE_BYTES)?;
                json!({ "textValue": text })
            }
            (None, Some(binary)) => {
                let decoded = decode_base64(&binary).ok_or_else(|| {
                    ApiError::invalid(&change.path("binaryValue"), "invalid base64")
                })?;
                if decoded > MAX_VALUE_BYTES {
                    return Err(ApiError::invalid(
                        &change.path("binaryValue"),
                        format!("at most {MAX_VALUE_BYTES} bytes"),
                    ));
                }
                json!({ "binaryValue": binary })
            }
            (None, None) => json!({ "textValue": "" }),
        };
        out.push((key, value));
    }
    Ok(out)
}

/// The decoded length of standard or URL-safe base64 (padding optional), as proto3 JSON
/// accepts for `bytes`; `None` when it is not base64.
fn decode_base64(text: &str) -> Option<usize> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let body = text.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(body)
        .or_else(|_| URL_SAFE_NO_PAD.decode(body))
        .ok()
        .map(|bytes| bytes.len())
}

fn is_removal(value: &Value) -> bool {
    value.get("textValue").and_then(Value::as_str) == Some("")
}

/// The entries of a version built from `base` with `changes` applied.
fn applied(base: &[(String, Value)], changes: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let mut entries = base.to_vec();
    for (key, value) in changes {
        entries.retain(|(k, _)| *k != key);
        if !is_removal(&value) {
            entries.push((key, value));
        }
    }
    entries
}

/// The `passwordPayloadSpecification` message, checked; `None` when absent.
fn password_spec(fields: &Fields) -> ApiResult<Option<Value>> {
    let Some(spec) = fields.message(
        "passwordPayloadSpecification",
        &[
            "passwordKey",
            "length",
            "includeUppercase",
            "includeLowercase",
            "includeDigits",
            "includePunctuation",
            "includedPunctuation",
            "excludedPunctuation",
        ],
    )?
    else {
        return Ok(None);
    };
    let key = validate::required(&spec, "passwordKey", 256)?;
    if !is_entry_key(&key) {
        return Err(ApiError::invalid(
            &spec.path("passwordKey"),
            "must match [-_./\\\\@0-9a-zA-Z]{1,256}",
        ));
    }
    let length = spec.integer("length")?.unwrap_or(36);
    if !(1..=256).contains(&length) {
        return Err(ApiError::invalid(
            &spec.path("length"),
            "must be between 1 and 256",
        ));
    }
    let mut out = serde_json::Map::new();
    out.insert("passwordKey".into(), json!(key));
    out.insert("length".into(), json!(length.to_string()));
    for flag in [
        "includeUppercase",
        "includeLowercase",
        "includeDigits",
        "includePunctuation",
    ] {
        out.insert(flag.into(), json!(spec.boolean(flag)?.unwrap_or(true)));
    }
    let included = validate::optional(&spec, "includedPunctuation", 32)?;
    let excluded = validate::optional(&spec, "excludedPunctuation", 31)?;
    if !included.is_empty() && !excluded.is_empty() {
        return Err(ApiError::invalid(
            &spec.path("excludedPunctuation"),
            "only one of includedPunctuation and excludedPunctuation may be set",
        ));
    }
    for (name, value) in [
        ("includedPunctuation", included),
        ("excludedPunctuation", excluded),
    ] {
        if !value.is_empty() {
            out.insert(name.into(), json!(value));
        }
    }
    Ok(Some(Value::Object(out)))
}

/// A password generated by a specification, as a payload entry.
fn generated_password(cloud: &mut CloudState, spec: &Value) -> (String, Value) {
    const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let flag = |name: &str| spec.get(name).and_then(Value::as_bool).unwrap_or(true);
    let text = |name: &str| spec.get(name).and_then(Value::as_str).unwrap_or("");
    let mut alphabet = String::new();
    if flag("includeUppercase") {
        alphabet.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    }
    if flag("includeLowercase") {
        alphabet.push_str("abcdefghijklmnopqrstuvwxyz");
    }
    if flag("includeDigits") {
        alphabet.push_str("0123456789");
    }
    if flag("includePunctuation") {
        let included = text("includedPunctuation");
        let excluded = text("excludedPunctuation");
        let punctuation: String = if included.is_empty() {
            PUNCTUATION
                .chars()
                .filter(|c| !excluded.contains(*c))
                .collect()
        } else {
            included.to_string()
        };
        alphabet.push_str(&punctuation);
    }
    if alphabet.is_empty() {
        alphabet.push_str("abcdefghijklmnopqrstuvwxyz");
    }
    let length = text("length").parse::<usize>().unwrap_or(36);
    let password = cloud.ids.password(alphabet.as_bytes(), length);
    cloud.issued_secrets.push(password.clone());
    (
        text("passwordKey").to_string(),
        json!({ "textValue": password }),
    )
}

fn new_version(
    cloud: &mut CloudState,
    secret_id: &str,
    description: String,
    entries: Vec<(String, Value)>,
) -> StoredVersion {
    StoredVersion {
        version: LockboxVersion {
            id: cloud.ids.resource_id(LOCKBOX_PREFIX),
            secret_id: secret_id.to_string(),
            created_at: crate::clock::now_rfc3339(),
            destroy_at: None,
            description,
            status: "ACTIVE".into(),
            payload_entry_keys: entries.iter().map(|(k, _)| k.clone()).collect(),
        },
        entries,
    }
}

fn name_taken(cloud: &CloudState, folder_id: &str, name: &str, except_id: &str) -> bool {
    !name.is_empty()
        && cloud.lockbox_secrets.values().any(|s| {
            s.secret.folder_id == folder_id && s.secret.name == name && s.secret.id != except_id
        })
}

fn secret_name(fields: &Fields) -> ApiResult<String> {
    validate::optional(fields, "name", 100)
}

fn secret_description(fields: &Fields) -> ApiResult<String> {
    validate::optional(fields, "description", 1024)
}

fn already_exists(name: &str) -> ApiError {
    ApiError::new(
        Code::AlreadyExists,
        format!("Secret with name '{name}' already exists in the folder"),
    )
}

/// `GET /lockbox/v1/secrets/{secretId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("secretId", id, 50)?;
    let stored = find(&cloud, &id)?;
    require_secret_access(
        &cloud,
        &caller,
        &stored.secret.folder_id,
        Access::Read,
        "lockbox.secrets.get",
    )?;
    Ok(secret_json(stored))
}

/// `GET /lockbox/v1/secrets?folderId=&pageSize=&pageToken=`
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(&request.query, &["folderId", "pageSize", "pageToken"])?;
    let folder_id = validate::required(&fields, "folderId", 50)?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 100)?;
    cloud.folder(&folder_id)?;
    require_secret_access(
        &cloud,
        &caller,
        &folder_id,
        Access::Read,
        "lockbox.secrets.list",
    )?;
    let secrets: Vec<&StoredSecret> = cloud
        .lockbox_secrets
        .values()
        .filter(|s| s.secret.folder_id == folder_id)
        .collect();
    let (page, next) = validate::paginate(&secrets, offset, page_size);
    Ok(list_response(
        "secrets",
        page.iter().map(|s| secret_json(s)).collect(),
        next,
    ))
}

/// `POST /lockbox/v1/secrets`: an Operation whose metadata names the secret and its first
/// version (when one is created) and whose response is the Secret.
pub fn create(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let fields = Fields::from_body(
        request.body.as_ref(),
        &[
            "folderId",
            "name",
            "description",
            "labels",
            "kmsKeyId",
            "versionDescription",
            "versionPayloadEntries",
            "deletionProtection",
            "passwordPayloadSpecification",
            "createVersion",
        ],
    )?;
    let folder_id = validate::required(&fields, "folderId", 50)?;
    let name = secret_name(&fields)?;
    let description = secret_description(&fields)?;
    let labels = validate::labels(&fields)?;
    let kms_key_id = validate::optional(&fields, "kmsKeyId", 50)?;
    let version_description = validate::optional(&fields, "versionDescription", 1024)?;
    let entries = entry_changes(&fields, "versionPayloadEntries")?;
    let deletion_protection = fields.boolean("deletionProtection")?.unwrap_or(false);
    let spec = password_spec(&fields)?;
    if spec.is_some() && !entries.is_empty() {
        return Err(ApiError::invalid(
            "versionPayloadEntries",
            "must be empty for a secret with a payload specification",
        ));
    }
    let create_version = match fields.boolean("createVersion")? {
        Some(flag) => flag,
        None => !entries.is_empty() || spec.is_some(),
    };
    cloud.folder(&folder_id)?;
    require_secret_access(
        &cloud,
        &caller,
        &folder_id,
        Access::Write,
        "lockbox.secrets.create",
    )?;
    if name_taken(&cloud, &folder_id, &name, "") {
        return Err(already_exists(&name));
    }
    let id = cloud.ids.resource_id(LOCKBOX_PREFIX);
    let mut stored = StoredSecret {
        secret: LockboxSecret {
            id: id.clone(),
            folder_id,
            created_at: crate::clock::now_rfc3339(),
            name,
            description,
            labels,
            kms_key_id,
            status: Status::Active.name().into(),
            deletion_protection,
            password_payload_specification: spec.clone(),
            current_version_id: String::new(),
        },
        versions: Vec::new(),
    };
    if create_version {
        let entries = match &spec {
            Some(spec) => vec![generated_password(&mut cloud, spec)],
            None => applied(&[], entries),
        };
        let version = new_version(&mut cloud, &id, version_description, entries);
        stored.secret.current_version_id = version.version.id.clone();
        stored.versions.push(version);
    }
    let mut metadata = json!({ "secretId": id });
    if create_version {
        metadata["versionId"] = json!(stored.secret.current_version_id);
    }
    let metadata = any("yandex.cloud.lockbox.v1.CreateSecretMetadata", metadata);
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Create secret",
        metadata,
        |cloud| {
            let response = secret_any(&stored);
            cloud.lockbox_secrets.insert(id, stored);
            app.count_created("lockbox_secret", 1);
            response
        },
    )
}

/// The secret a mutating call names, with the caller's write access checked.
fn writable(
    cloud: &CloudState,
    caller: &Principal,
    id: &str,
    permission: &str,
) -> ApiResult<StoredSecret> {
    let stored = find(cloud, id)?;
    require_secret_access(
        cloud,
        caller,
        &stored.secret.folder_id,
        Access::Write,
        permission,
    )?;
    Ok(stored.clone())
}

/// `PATCH /lockbox/v1/secrets/{secretId}` with a required `updateMask`.
pub fn update(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("secretId", id, 50)?;
    let fields = Fields::from_body(
        request.body.as_ref(),
        &[
            "secretId",
            "updateMask",
            "name",
            "description",
            "labels",
            "deletionProtection",
            "passwordPayloadSpecification",
        ],
    )?;
    let mask = validate::update_mask(
        &fields,
        &[
            "name",
            "description",
            "labels",
            "deletionProtection",
            "passwordPayloadSpecification",
        ],
    )?;
    if mask.is_empty() {
        return Err(ApiError::invalid("updateMask", "Field is required"));
    }
    let name = secret_name(&fields)?;
    let description = secret_description(&fields)?;
    let labels = validate::labels(&fields)?;
    let deletion_protection = fields.boolean("deletionProtection")?.unwrap_or(false);
    let spec = password_spec(&fields)?;
    let mut stored = writable(&cloud, &caller, &id, "lockbox.secrets.update")?;
    let changes = |field: &str| mask.iter().any(|m| m == field);
    if changes("name") {
        if name_taken(&cloud, &stored.secret.folder_id, &name, &id) {
            return Err(already_exists(&name));
        }
        stored.secret.name = name;
    }
    if changes("description") {
        stored.secret.description = description;
    }
    if changes("labels") {
        stored.secret.labels = labels;
    }
    if changes("deletionProtection") {
        stored.secret.deletion_protection = deletion_protection;
    }
    if changes("passwordPayloadSpecification") {
        stored.secret.password_payload_specification = spec;
    }
    store_secret(app, &mut cloud, request, &caller, "Update", id, stored)
}

/// `DELETE /lockbox/v1/secrets/{secretId}`: FAILED_PRECONDITION with deletion protection.
pub fn delete(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    no_query(request)?;
    let id = validate::path_id("secretId", id, 50)?;
    let stored = writable(&cloud, &caller, &id, "lockbox.secrets.delete")?;
    if stored.secret.deletion_protection {
        return Err(ApiError::new(
            Code::FailedPrecondition,
            format!("Secret {id} is protected from deletion"),
        ));
    }
    let metadata = any(
        "yandex.cloud.lockbox.v1.DeleteSecretMetadata",
        json!({ "secretId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Delete secret",
        metadata,
        |cloud| {
            cloud.lockbox_secrets.remove(&id);
            secret_any(&stored)
        },
    )
}

/// `POST /lockbox/v1/secrets/{secretId}:activate` and `:deactivate`.
pub fn set_status(app: &App, request: &ApiRequest, id: &str, status: Status) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("secretId", id, 50)?;
    Fields::from_body(request.body.as_ref(), &["secretId"])?;
    let (permission, verb) = match status {
        Status::Active => ("lockbox.secrets.activate", "Activate"),
        Status::Inactive => ("lockbox.secrets.deactivate", "Deactivate"),
    };
    let mut stored = writable(&cloud, &caller, &id, permission)?;
    stored.secret.status = status.name().into();
    store_secret(app, &mut cloud, request, &caller, verb, id, stored)
}

/// Starts the Operation (`<verb>SecretMetadata`, response the Secret) that stores `stored`
/// as secret `id`.
fn store_secret(
    app: &App,
    cloud: &mut CloudState,
    request: &ApiRequest,
    caller: &Principal,
    verb: &str,
    id: String,
    stored: StoredSecret,
) -> ApiResult<Value> {
    let metadata = any(
        &format!("yandex.cloud.lockbox.v1.{verb}SecretMetadata"),
        json!({ "secretId": id }),
    );
    app.start_operation(
        cloud,
        request,
        caller,
        &format!("{verb} secret"),
        metadata,
        |cloud| {
            let response = secret_any(&stored);
            cloud.lockbox_secrets.insert(id, stored);
            response
        },
    )
}

/// `GET /lockbox/v1/secrets/{secretId}/versions?pageSize=&pageToken=`, oldest first.
pub fn list_versions(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(&request.query, &["pageSize", "pageToken"])?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 100)?;
    let id = validate::path_id("secretId", id, 50)?;
    let stored = find(&cloud, &id)?;
    require_secret_access(
        &cloud,
        &caller,
        &stored.secret.folder_id,
        Access::Read,
        "lockbox.secrets.listVersions",
    )?;
    let versions: Vec<&StoredVersion> = stored.versions.iter().collect();
    let (page, next) = validate::paginate(&versions, offset, page_size);
    Ok(list_response(
        "versions",
        page.iter().map(|v| v.version.to_json()).collect(),
        next,
    ))
}

/// `POST /lockbox/v1/secrets/{secretId}:addVersion`: an Operation whose response is the
/// new (now current) Version.
pub fn add_version(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("secretId", id, 50)?;
    let fields = Fields::from_body(
        request.body.as_ref(),
        &["secretId", "description", "payloadEntries", "baseVersionId"],
    )?;
    let description = validate::optional(&fields, "description", 1024)?;
    let changes = entry_changes(&fields, "payloadEntries")?;
    let base_id = validate::optional(&fields, "baseVersionId", 50)?;
    let mut stored = writable(&cloud, &caller, &id, "lockbox.secrets.addVersion")?;
    if stored.secret.status != Status::Active.name() {
        return Err(ApiError::new(
            Code::FailedPrecondition,
            format!("Secret {id} is not active"),
        ));
    }
    let base_id = if base_id.is_empty() {
        stored.secret.current_version_id.clone()
    } else {
        base_id
    };
    let base: Vec<(String, Value)> = if base_id.is_empty() {
        Vec::new()
    } else {
        let base = stored
            .versions
            .iter()
            .find(|v| v.version.id == base_id)
            .ok_or_else(|| ApiError::not_found(format!("Version {base_id} not found")))?;
        if base.version.status == "DESTROYED" {
            return Err(ApiError::new(
                Code::FailedPrecondition,
                format!("Version {base_id} is destroyed"),
            ));
        }
        base.entries.clone()
    };
    let entries = match stored.secret.password_payload_specification.clone() {
        Some(spec) => {
            let (key, value) = generated_password(&mut cloud, &spec);
            applied(&base, vec![(key, value)])
        }
        None => applied(&base, changes),
    };
    let version = new_version(&mut cloud, &id, description, entries);
    let version_id = version.version.id.clone();
    let response = any("yandex.cloud.lockbox.v1.Version", version.version.to_json());
    stored.secret.current_version_id = version_id.clone();
    stored.versions.push(version);
    let metadata = any(
        "yandex.cloud.lockbox.v1.AddVersionMetadata",
        json!({ "secretId": id, "versionId": version_id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Add secret version",
        metadata,
        |cloud| {
            cloud.lockbox_secrets.insert(id, stored);
            response
        },
    )
}

/// `"604800s"` → seconds (a `google.protobuf.Duration` in JSON).
fn duration_seconds(fields: &Fields, name: &str) -> ApiResult<Option<i64>> {
    let Some(text) = fields.string(name)? else {
        return Ok(None);
    };
    text.strip_suffix('s')
        .and_then(|number| number.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && (0.0..=3.2e8).contains(seconds))
        .map(|seconds| Some(seconds as i64))
        .ok_or_else(|| {
            ApiError::invalid(
                name,
                "invalid duration, expected seconds such as \"604800s\"",
            )
        })
}

/// Changes one version's destruction schedule through an Operation whose response is
/// the Version.
fn change_version(app: &App, request: &ApiRequest, id: &str, schedule: bool) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("secretId", id, 50)?;
    let allowed: &[&str] = if schedule {
        &["secretId", "versionId", "pendingPeriod"]
    } else {
        &["secretId", "versionId"]
    };
    let fields = Fields::from_body(request.body.as_ref(), allowed)?;
    let version_id = validate::required(&fields, "versionId", 50)?;
    let pending = duration_seconds(&fields, "pendingPeriod")?.unwrap_or(DEFAULT_PENDING_SECONDS);
    let (permission, verb, metadata_type) = if schedule {
        (
            "lockbox.secrets.scheduleVersionDestruction",
            "Schedule version destruction",
            "ScheduleVersionDestructionMetadata",
        )
    } else {
        (
            "lockbox.secrets.cancelVersionDestruction",
            "Cancel version destruction",
            "CancelVersionDestructionMetadata",
        )
    };
    let mut stored = writable(&cloud, &caller, &id, permission)?;
    let version = stored
        .versions
        .iter_mut()
        .find(|v| v.version.id == version_id)
        .ok_or_else(|| ApiError::not_found(format!("Version {version_id} not found")))?;
    let expected = if schedule {
        "ACTIVE"
    } else {
        "SCHEDULED_FOR_DESTRUCTION"
    };
    if version.version.status != expected {
        return Err(ApiError::new(
            Code::FailedPrecondition,
            format!(
                "Version {version_id} is {}, not {expected}",
                version.version.status
            ),
        ));
    }
    let mut metadata = json!({ "secretId": id, "versionId": version_id });
    if schedule {
        let at = crate::clock::format_unix(crate::clock::unix_now().saturating_add(pending));
        version.version.status = "SCHEDULED_FOR_DESTRUCTION".into();
        version.version.destroy_at = Some(at.clone());
        metadata["destroyAt"] = json!(at);
    } else {
        version.version.status = "ACTIVE".into();
        version.version.destroy_at = None;
    }
    let response = any("yandex.cloud.lockbox.v1.Version", version.version.to_json());
    let metadata = any(
        &format!("yandex.cloud.lockbox.v1.{metadata_type}"),
        metadata,
    );
    app.start_operation(&mut cloud, request, &caller, verb, metadata, |cloud| {
        cloud.lockbox_secrets.insert(id, stored);
        response
    })
}

/// `POST /lockbox/v1/secrets/{secretId}:scheduleVersionDestruction` (`pendingPeriod`
/// defaults to 7 days).
pub fn schedule_version_destruction(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    change_version(app, request, id, true)
}

/// `POST /lockbox/v1/secrets/{secretId}:cancelVersionDestruction`
pub fn cancel_version_destruction(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    change_version(app, request, id, false)
}
