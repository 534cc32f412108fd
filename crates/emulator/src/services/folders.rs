//! FolderService: get and list (access bindings live in `access_bindings`).

use serde_json::Value;

use crate::app::{ApiRequest, App};
use crate::auth::Access;
use crate::error::{ApiError, ApiResult};
use crate::input::Fields;
use crate::model::{Folder, list_response};
use crate::validate;

use super::no_query;

/// `GET /resource-manager/v1/folders/{folderId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("folderId", id, 50)?;
    let folder = cloud.folder(&id)?;
    caller.require(
        cloud.folder_bindings(&id),
        Access::Read,
        "resource-manager.folders.get",
        &id,
    )?;
    Ok(folder.to_json())
}

/// `GET /resource-manager/v1/folders?cloudId=&pageSize=&pageToken=&filter=`: the folders of the
/// cloud the caller may read.
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(
        &request.query,
        &["cloudId", "pageSize", "pageToken", "filter"],
    )?;
    let cloud_id = validate::required(&fields, "cloudId", 50)?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 2000)?;
    let name = validate::name_filter(&fields)?;
    if cloud_id != cloud.seed.cloud_id {
        return Err(ApiError::not_found(format!("Cloud {cloud_id} not found")));
    }
    let folders: Vec<&Folder> = cloud
        .folders
        .values()
        .filter(|f| caller.can(cloud.folder_bindings(&f.id), Access::Read))
        .filter(|f| name.as_ref().is_none_or(|n| &f.name == n))
        .collect();
    let (page, next) = validate::paginate(&folders, offset, page_size);
    Ok(list_response(
        "folders",
        page.iter().map(|f| f.to_json()).collect(),
        next,
    ))
}
