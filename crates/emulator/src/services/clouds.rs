//! CloudService: get and list. The emulated cloud is the seed's one cloud; whoever may read
//! one of its folders may read it.

use serde_json::{Map, Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::{Access, Principal};
use crate::cloud::CloudState;
use crate::error::{ApiError, ApiResult};
use crate::input::Fields;
use crate::model::list_response;
use crate::validate;

use super::no_query;

/// The emulated cloud's name.
pub const CLOUD_NAME: &str = "emulated-cloud";

/// `yandex.cloud.resourcemanager.v1.Cloud` of the emulated cloud, in proto3 JSON.
fn cloud_json(cloud: &CloudState) -> Value {
    let created_at = cloud
        .folders
        .values()
        .map(|f| f.created_at.as_str())
        .min()
        .unwrap_or_default();
    let mut object = Map::new();
    object.insert("id".into(), json!(cloud.seed.cloud_id));
    object.insert("createdAt".into(), json!(created_at));
    object.insert("name".into(), json!(CLOUD_NAME));
    Value::Object(object)
}

fn may_read(cloud: &CloudState, caller: &Principal) -> bool {
    cloud
        .folders
        .keys()
        .any(|id| caller.can(cloud.folder_bindings(id), Access::Read))
}

/// `GET /resource-manager/v1/clouds/{cloudId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("cloudId", id, 50)?;
    if id != cloud.seed.cloud_id {
        return Err(ApiError::not_found(format!("Cloud {id} not found")));
    }
    if !may_read(&cloud, &caller) {
        return Err(ApiError::permission_denied(
            "resource-manager.clouds.get",
            &id,
        ));
    }
    Ok(cloud_json(&cloud))
}

/// `GET /resource-manager/v1/clouds?organizationId=&pageSize=&pageToken=&filter=`: the clouds
/// the caller may read.
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(
        &request.query,
        &["organizationId", "pageSize", "pageToken", "filter"],
    )?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 1000)?;
    let name = validate::name_filter(&fields)?;
    let visible = may_read(&cloud, &caller) && name.as_ref().is_none_or(|n| n == CLOUD_NAME);
    let clouds: Vec<Value> = visible.then(|| cloud_json(&cloud)).into_iter().collect();
    let (page, next) = validate::paginate(&clouds, offset, page_size);
    Ok(list_response("clouds", page, next))
}
