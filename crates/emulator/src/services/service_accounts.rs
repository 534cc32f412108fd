//! ServiceAccountService: get, list, create, update, delete.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::Access;
use crate::cloud::CloudState;
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::IAM_PREFIX;
use crate::input::Fields;
use crate::model::{ServiceAccount, any, list_response};
use crate::validate;

use super::{no_query, service_account_access};

const UPDATABLE: &[&str] = &["name", "description", "labels", "expiresAt"];

fn already_exists(name: &str, cloud: &CloudState) -> ApiError {
    ApiError::new(
        Code::AlreadyExists,
        format!(
            "Service account '{name}@{}' already exists",
            cloud.seed.cloud_id
        ),
    )
}

fn name_taken(cloud: &CloudState, name: &str, except_id: &str) -> bool {
    cloud
        .service_accounts
        .values()
        .any(|sa| sa.name == name && sa.id != except_id)
}

/// `GET /iam/v1/serviceAccounts/{serviceAccountId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("serviceAccountId", id, 50)?;
    let account = cloud.service_account(&id)?;
    super::require_account_access(
        &cloud,
        &caller,
        account,
        Access::Read,
        "iam.serviceAccounts.get",
    )?;
    Ok(account.to_json())
}

/// `GET /iam/v1/serviceAccounts?folderId=&pageSize=&pageToken=&filter=`
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(
        &request.query,
        &["folderId", "pageSize", "pageToken", "filter"],
    )?;
    let folder_id = validate::required(&fields, "folderId", 50)?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 2000)?;
    let name = validate::name_filter(&fields)?;
    cloud.folder(&folder_id)?;
    caller.require(
        cloud.folder_bindings(&folder_id),
        Access::Read,
        "iam.serviceAccounts.list",
        &folder_id,
    )?;
    let accounts: Vec<&ServiceAccount> = cloud
        .service_accounts
        .values()
        .filter(|sa| sa.folder_id == folder_id)
        .filter(|sa| name.as_ref().is_none_or(|n| &sa.name == n))
        .collect();
    let (page, next) = validate::paginate(&accounts, offset, page_size);
    Ok(list_response(
        "serviceAccounts",
        page.iter().map(|sa| sa.to_json()).collect(),
        next,
    ))
}

/// `POST /iam/v1/serviceAccounts`
pub fn create(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let fields = Fields::from_body(
        request.body.as_ref(),
        &["folderId", "name", "description", "labels", "expiresAt"],
    )?;
    let folder_id = validate::required(&fields, "folderId", 50)?;
    let name = validate::resource_name(&fields, "name")?;
    let description = validate::description(&fields)?;
    let labels = validate::labels(&fields)?;
    let expires_at = validate::timestamp(&fields, "expiresAt")?;
    cloud.folder(&folder_id)?;
    caller.require(
        cloud.folder_bindings(&folder_id),
        Access::Write,
        "iam.serviceAccounts.create",
        &folder_id,
    )?;
    if name_taken(&cloud, &name, "") {
        return Err(already_exists(&name, &cloud));
    }
    if cloud.service_accounts.len() >= app.quotas().service_accounts {
        return Err(ApiError::new(
            Code::ResourceExhausted,
            format!(
                "Quota limit iam.serviceAccounts.count exceeded (limit {} per cloud)",
                app.quotas().service_accounts
            ),
        ));
    }
    let id = cloud.ids.resource_id(IAM_PREFIX);
    let account = ServiceAccount {
        id: id.clone(),
        folder_id,
        created_at: crate::clock::now_rfc3339(),
        name,
        description,
        labels,
        expires_at,
    };
    let metadata = any(
        "yandex.cloud.iam.v1.CreateServiceAccountMetadata",
        json!({ "serviceAccountId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Create service account",
        metadata,
        |cloud| {
            let response = any("yandex.cloud.iam.v1.ServiceAccount", account.to_json());
            cloud.service_accounts.insert(account.id.clone(), account);
            app.count_created("service_account", 1);
            response
        },
    )
}

/// `PATCH /iam/v1/serviceAccounts/{serviceAccountId}` with an optional `updateMask`; without a
/// mask every updatable field is replaced.
pub fn update(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("serviceAccountId", id, 50)?;
    let fields = Fields::from_body(
        request.body.as_ref(),
        &["updateMask", "name", "description", "labels", "expiresAt"],
    )?;
    let mask = validate::update_mask(&fields, UPDATABLE)?;
    let name = validate::resource_name(&fields, "name")?;
    let description = validate::description(&fields)?;
    let labels = validate::labels(&fields)?;
    let expires_at = validate::timestamp(&fields, "expiresAt")?;
    let current = cloud.service_account(&id)?.clone();
    caller.require(
        &service_account_access(&cloud, &current),
        Access::Write,
        "iam.serviceAccounts.update",
        &current.id,
    )?;
    let changes = |field: &str| mask.is_empty() || mask.iter().any(|m| m == field);
    let mut updated = current.clone();
    if changes("name") {
        if name_taken(&cloud, &name, &id) {
            return Err(already_exists(&name, &cloud));
        }
        updated.name = name;
    }
    if changes("description") {
        updated.description = description;
    }
    if changes("labels") {
        updated.labels = labels;
    }
    if changes("expiresAt") {
        updated.expires_at = expires_at;
    }
    let metadata = any(
        "yandex.cloud.iam.v1.UpdateServiceAccountMetadata",
        json!({ "serviceAccountId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Update service account",
        metadata,
        |cloud| {
            let response = any("yandex.cloud.iam.v1.ServiceAccount", updated.to_json());
            cloud.service_accounts.insert(updated.id.clone(), updated);
            response
        },
    )
}

/// `DELETE /iam/v1/serviceAccounts/{serviceAccountId}`: also deletes the account's keys and
/// every access binding that names it.
pub fn delete(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    no_query(request)?;
    let id = validate::path_id("serviceAccountId", id, 50)?;
    let account = cloud.service_account(&id)?.clone();
    caller.require(
        &service_account_access(&cloud, &account),
        Access::Write,
        "iam.serviceAccounts.delete",
        &account.id,
    )?;
    let metadata = any(
        "yandex.cloud.iam.v1.DeleteServiceAccountMetadata",
        json!({ "serviceAccountId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Delete service account",
        metadata,
        |cloud| {
            cloud.delete_service_account(&id);
            crate::model::empty_any()
        },
    )
}
