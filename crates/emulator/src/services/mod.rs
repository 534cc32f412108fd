//! The API services: one module per REST resource.

pub mod access_bindings;
pub mod api_keys;
pub mod endpoints;
pub mod folders;
pub mod keys;
pub mod operations;
pub mod service_accounts;
pub mod tokens;

use crate::app::ApiRequest;
use crate::auth::{Access, Principal};
use crate::cloud::CloudState;
use crate::error::ApiResult;
use crate::input::Fields;
use crate::model::{AccessBinding, ServiceAccount};

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
