//! The API services: one module per REST resource.

pub mod access_bindings;
pub mod access_keys;
pub mod api_keys;
pub mod clouds;
pub mod endpoints;
pub mod folders;
pub mod keys;
pub mod lockbox_payload;
pub mod lockbox_secrets;
pub mod operations;
pub mod service_accounts;
pub mod tokens;

use serde_json::Value;

use crate::app::{ApiRequest, App};
use crate::auth::{Access, Principal};
use crate::cloud::CloudState;
use crate::error::ApiResult;
use crate::input::Fields;
use crate::model::{AccessBinding, ServiceAccount};
use crate::routes::Route;

/// Rejects any query parameter (for methods whose only parameter is in the path).
pub fn no_query(request: &ApiRequest) -> ApiResult<()> {
    Fields::from_query(&request.query, &[]).map(|_| ())
}

/// The bindings that govern access to a service account: those of its folder and those set on
/// the account itself.
pub fn service_account_access(cloud: &CloudState, account: &ServiceAccount) -> Vec<AccessBinding> {
    let mut bindings = cloud.folder_bindings(&account.folder_id).to_vec();
    if let Some(own) = cloud.service_account_bindings.get(&account.id) {
        bindings.extend(own.iter().cloned());
    }
    bindings
}

/// The service account a key request names (`serviceAccountId`), defaulting to the
/// calling service account.
pub fn key_owner_id(fields: &Fields, caller: &Principal) -> ApiResult<String> {
    let id = crate::validate::optional(fields, "serviceAccountId", 50)?;
    if !id.is_empty() {
        Ok(id)
    } else if caller.subject_type == "serviceAccount" {
        Ok(caller.subject_id.clone())
    } else {
        Err(crate::error::ApiError::invalid(
            "serviceAccountId",
            "Field is required",
        ))
    }
}

/// PERMISSION_DENIED unless the caller may have `access` to the service account a key
/// belongs to (NOT_FOUND when the account is gone).
pub fn authorize_key_access(
    cloud: &CloudState,
    caller: &Principal,
    service_account_id: &str,
    access: Access,
    permission: &str,
) -> ApiResult<()> {
    let account = cloud.service_account(service_account_id)?;
    require_account_access(cloud, caller, account, access, permission)
}

/// PERMISSION_DENIED unless the caller is the service account itself or has `access` to it.
pub fn require_account_access(
    cloud: &CloudState,
    caller: &Principal,
    account: &ServiceAccount,
    access: Access,
    permission: &str,
) -> ApiResult<()> {
    if caller.subject_type == "serviceAccount" && caller.subject_id == account.id {
        return Ok(());
    }
    caller.require(
        &service_account_access(cloud, account),
        access,
        permission,
        &account.id,
    )
}

/// Runs one API request: the route's service.
pub fn dispatch(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    use access_bindings::Resource;
    match &request.route {
        Route::ServiceAccountGet(id) => service_accounts::get(app, request, id),
        Route::ServiceAccountList => service_accounts::list(app, request),
        Route::ServiceAccountCreate => service_accounts::create(app, request),
        Route::ServiceAccountUpdate(id) => service_accounts::update(app, request, id),
        Route::ServiceAccountDelete(id) => service_accounts::delete(app, request, id),
        Route::ServiceAccountListBindings(id) => {
            access_bindings::list(app, request, Resource::ServiceAccount, id)
        }
        Route::ServiceAccountSetBindings(id) => {
            access_bindings::set(app, request, Resource::ServiceAccount, id)
        }
        Route::ServiceAccountUpdateBindings(id) => {
            access_bindings::update(app, request, Resource::ServiceAccount, id)
        }
        Route::CloudGet(id) => clouds::get(app, request, id),
        Route::CloudList => clouds::list(app, request),
        Route::CloudListBindings(id) => access_bindings::list(app, request, Resource::Cloud, id),
        Route::CloudSetBindings(id) => access_bindings::set(app, request, Resource::Cloud, id),
        Route::CloudUpdateBindings(id) => {
            access_bindings::update(app, request, Resource::Cloud, id)
        }
        Route::FolderGet(id) => folders::get(app, request, id),
        Route::FolderList => folders::list(app, request),
        Route::FolderListBindings(id) => access_bindings::list(app, request, Resource::Folder, id),
        Route::FolderSetBindings(id) => access_bindings::set(app, request, Resource::Folder, id),
        Route::FolderUpdateBindings(id) => {
            access_bindings::update(app, request, Resource::Folder, id)
        }
        Route::AccessKeyCreate => access_keys::create(app, request),
        Route::AccessKeyList => access_keys::list(app, request),
        Route::AccessKeyGet(id) => access_keys::get(app, request, id),
        Route::AccessKeyDelete(id) => access_keys::delete(app, request, id),
        Route::ApiKeyCreate => api_keys::create(app, request),
        Route::ApiKeyList => api_keys::list(app, request),
        Route::ApiKeyGet(id) => api_keys::get(app, request, id),
        Route::ApiKeyUpdate(id) => api_keys::update(app, request, id),
        Route::ApiKeyDelete(id) => api_keys::delete(app, request, id),
        Route::ApiKeyScopes => api_keys::list_scopes(app, request),
        Route::KeyCreate => keys::create(app, request),
        Route::KeyList => keys::list(app, request),
        Route::KeyGet(id) => keys::get(app, request, id),
        Route::KeyDelete(id) => keys::delete(app, request, id),
        Route::OperationGet(id) => operations::get(app, request, id),
        Route::OperationCancel(id) => operations::cancel(app, request, id),
        Route::TokenCreate => tokens::create(app, request),
        Route::LockboxSecretGet(id) => lockbox_secrets::get(app, request, id),
        Route::LockboxSecretList => lockbox_secrets::list(app, request),
        Route::LockboxSecretCreate => lockbox_secrets::create(app, request),
        Route::LockboxSecretUpdate(id) => lockbox_secrets::update(app, request, id),
        Route::LockboxSecretDelete(id) => lockbox_secrets::delete(app, request, id),
        Route::LockboxSecretActivate(id) => {
            lockbox_secrets::set_status(app, request, id, lockbox_secrets::Status::Active)
        }
        Route::LockboxSecretDeactivate(id) => {
            lockbox_secrets::set_status(app, request, id, lockbox_secrets::Status::Inactive)
        }
        Route::LockboxVersionList(id) => lockbox_secrets::list_versions(app, request, id),
        Route::LockboxVersionAdd(id) => lockbox_secrets::add_version(app, request, id),
        Route::LockboxVersionScheduleDestruction(id) => {
            lockbox_secrets::schedule_version_destruction(app, request, id)
        }
        Route::LockboxVersionCancelDestruction(id) => {
            lockbox_secrets::cancel_version_destruction(app, request, id)
        }
        Route::LockboxPayloadGet(id) => lockbox_payload::get(app, request, id),
        Route::EndpointList => endpoints::list(app, request),
        Route::EndpointGet(id) => endpoints::get(app, request, id),
    }
}
