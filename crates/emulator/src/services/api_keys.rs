//! ApiKeyService: create (returns the secret directly, not an Operation), get, list, update,
//! delete, and the list of scopes.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::Access;
use crate::cloud::{CloudState, Replay, StoredApiKey};
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::IAM_PREFIX;
use crate::input::Fields;
use crate::model::{ApiKey, any, list_response};
use crate::validate;

use super::{authorize_key_access, key_owner_id, no_query, require_account_access};

/// Scopes a key gets when none is requested.
pub const DEFAULT_SCOPES: &[&str] = &[
    "yc.ai.imageGeneration.execute",
    "yc.ai.languageModels.execute",
    "yc.ai.speechkitStt.execute",
    "yc.ai.speechkitTts.execute",
    "yc.ai.translate.execute",
    "yc.ai.vision.execute",
    "yc.monitoring.manage",
    "yc.search-api.execute",
    "yc.serverless.containers.invoke",
    "yc.serverless.functions.invoke",
];

/// The scopes Yandex Cloud documents (20 today); the emulated cloud offers these plus
/// [`crate::Config::extra_scopes`], and refuses others with INVALID_ARGUMENT.
pub const KNOWN_SCOPES: &[&str] = &[
    "yc.ai.foundationModels.execute",
    "yc.ai.imageGeneration.execute",
    "yc.ai.languageModels.execute",
    "yc.ai.speechkitStt.execute",
    "yc.ai.speechkitTts.execute",
    "yc.ai.translate.execute",
    "yc.ai.vision.execute",
    "yc.datasphere.community-projects.manageResource",
    "yc.logging.write",
    "yc.managed-ytsaurus.cluster.use",
    "yc.monitoring.manage",
    "yc.monitoring.read",
    "yc.postbox.send",
    "yc.search-api.execute",
    "yc.serverless.containers.invoke",
    "yc.serverless.functions.invoke",
    "yc.serverless.mcpGateways.invoke",
    "yc.speech-sense.use",
    "yc.ydb.tables.manage",
    "yc.ydb.topics.manage",
];

const UPDATABLE: &[&str] = &["description", "scopes", "expiresAt"];

fn check_known_scopes(app: &App, scopes: &[String]) -> ApiResult<()> {
    let offered = app.offered_scopes();
    for (i, scope) in scopes.iter().enumerate() {
        if !offered.contains(scope) {
            return Err(ApiError::invalid(
                &format!("scopes[{i}]"),
                format!("unknown scope \"{scope}\""),
            ));
        }
    }
    Ok(())
}

fn masked(secret: &str) -> String {
    format!("****{}", &secret[secret.len().saturating_sub(6)..])
}

fn find<'a>(cloud: &'a CloudState, id: &str) -> ApiResult<&'a StoredApiKey> {
    cloud
        .api_keys
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("API key {id} not found")))
}

/// `POST /iam/v1/apiKeys`: `{"apiKey": ApiKey, "secret": "AQVN…"}`, no Operation. A repeated
/// Idempotency-Key returns the first response.
pub fn create(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let fields = Fields::from_body(
        request.body.as_ref(),
        &[
            "serviceAccountId",
            "description",
            "scope",
            "scopes",
            "expiresAt",
        ],
    )?;
    let account_id = key_owner_id(&fields, &caller)?;
    let description = validate::description(&fields)?;
    let scope = validate::optional(&fields, "scope", 256)?;
    let mut scopes = validate::unique_strings(&fields, "scopes", 0, 100, 256)?;
    let expires_at = validate::timestamp(&fields, "expiresAt")?;
    if !scope.is_empty() && !scopes.contains(&scope) {
        scopes.push(scope);
    }
    if scopes.is_empty() {
        scopes = DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect();
    }
    check_known_scopes(app, &scopes)?;
    let account = cloud.service_account(&account_id)?;
    require_account_access(
        &cloud,
        &caller,
        account,
        Access::Write,
        "iam.apiKeys.create",
    )?;
    if cloud.api_keys.len() >= app.quotas().api_keys {
        return Err(ApiError::new(
            Code::ResourceExhausted,
            format!(
                "Quota limit iam.apiKeys.count exceeded (limit {} per cloud)",
                app.quotas().api_keys
            ),
        ));
    }
    let id = cloud.ids.resource_id(IAM_PREFIX);
    let secret = cloud.ids.api_key_secret();
    let key = ApiKey {
        id: id.clone(),
        service_account_id: account_id,
        created_at: crate::clock::now_rfc3339(),
        description,
        scopes,
        expires_at,
        masked_secret: masked(&secret),
    };
    let response = json!({ "apiKey": key.to_json(), "secret": secret });
    cloud.issued_secrets.push(secret.clone());
    cloud.api_keys.insert(id, StoredApiKey { key, secret });
    app.count_created("api_key", 1);
    cloud.remember(
        request.idempotency_key(),
        Replay::Response(response.clone()),
    );
    app.commit(&cloud)?;
    Ok(response)
}

/// `GET /iam/v1/apiKeys/{apiKeyId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("apiKeyId", id, 50)?;
    let stored = find(&cloud, &id)?;
    authorize_key_access(
        &cloud,
        &caller,
        &stored.key.service_account_id,
        Access::Read,
        "iam.apiKeys.get",
    )?;
    Ok(stored.key.to_json())
}

/// `GET /iam/v1/apiKeys?serviceAccountId=&pageSize=&pageToken=`
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(
        &request.query,
        &["serviceAccountId", "pageSize", "pageToken"],
    )?;
    let account_id = key_owner_id(&fields, &caller)?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 2000)?;
    let account = cloud.service_account(&account_id)?;
    require_account_access(&cloud, &caller, account, Access::Read, "iam.apiKeys.list")?;
    let keys: Vec<&ApiKey> = cloud
        .api_keys
        .values()
        .map(|stored| &stored.key)
        .filter(|key| key.service_account_id == account_id)
        .collect();
    let (page, next) = validate::paginate(&keys, offset, page_size);
    Ok(list_response(
        "apiKeys",
        page.iter().map(|key| key.to_json()).collect(),
        next,
    ))
}

/// `PATCH /iam/v1/apiKeys/{apiKeyId}` with an optional `updateMask` of `description`, `scopes`,
/// `expiresAt`. Without a mask, description and expiry are replaced, and scopes when given.
pub fn update(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("apiKeyId", id, 50)?;
    let fields = Fields::from_body(
        request.body.as_ref(),
        &["updateMask", "description", "scopes", "expiresAt"],
    )?;
    let mask = validate::update_mask(&fields, UPDATABLE)?;
    let description = validate::description(&fields)?;
    let changes = |field: &str| mask.iter().any(|m| m == field);
    let sets_scopes = changes("scopes") || (mask.is_empty() && fields.has("scopes"));
    let min_scopes = if sets_scopes { 1 } else { 0 };
    let scopes = validate::unique_strings(&fields, "scopes", min_scopes, 100, 256)?;
    check_known_scopes(app, &scopes)?;
    let expires_at = validate::timestamp(&fields, "expiresAt")?;
    let current = find(&cloud, &id)?.key.clone();
    authorize_key_access(
        &cloud,
        &caller,
        &current.service_account_id,
        Access::Write,
        "iam.apiKeys.update",
    )?;
    let mut updated = current;
    if mask.is_empty() || changes("description") {
        updated.description = description;
    }
    if sets_scopes {
        updated.scopes = scopes;
    }
    if mask.is_empty() || changes("expiresAt") {
        updated.expires_at = expires_at;
    }
    let metadata = any(
        "yandex.cloud.iam.v1.UpdateApiKeyMetadata",
        json!({ "apiKeyId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Update API key",
        metadata,
        |cloud| {
            let response = any("yandex.cloud.iam.v1.ApiKey", updated.to_json());
            if let Some(stored) = cloud.api_keys.get_mut(&updated.id) {
                stored.key = updated;
            }
            response
        },
    )
}

/// `DELETE /iam/v1/apiKeys/{apiKeyId}`
pub fn delete(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    no_query(request)?;
    let id = validate::path_id("apiKeyId", id, 50)?;
    let key = find(&cloud, &id)?.key.clone();
    authorize_key_access(
        &cloud,
        &caller,
        &key.service_account_id,
        Access::Write,
        "iam.apiKeys.delete",
    )?;
    let metadata = any(
        "yandex.cloud.iam.v1.DeleteApiKeyMetadata",
        json!({ "apiKeyId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Delete API key",
        metadata,
        |cloud| {
            cloud.api_keys.remove(&id);
            crate::model::empty_any()
        },
    )
}

/// `GET /iam/v1/apiKeyScopes` (also served at `/iam/v1/apiKeys/scopes`).
pub fn list_scopes(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    cloud.authenticate(request.authorization())?;
    drop(cloud);
    let fields = Fields::from_query(&request.query, &["pageSize", "pageToken"])?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 2000)?;
    let offered = app.offered_scopes();
    let (page, next) = validate::paginate(&offered, offset, page_size);
    Ok(list_response(
        "scopes",
        page.iter().map(|s| Value::String(s.clone())).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secret_keeps_the_last_six_characters() {
        assert_eq!(masked("AQVNabcdefghij123456"), "****123456");
    }

    #[test]
    fn default_scopes_are_known() {
        for scope in DEFAULT_SCOPES {
            assert!(KNOWN_SCOPES.contains(scope), "{scope}");
        }
    }
}
