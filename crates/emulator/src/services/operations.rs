//! OperationService: get (each poll counts towards `done`) and cancel.

use serde_json::Value;

use crate::app::{ApiRequest, App};
use crate::error::{ApiError, ApiResult};
use crate::validate;

use super::no_query;

/// `GET /operations/{operationId}`: the Operation; a pending one moves one poll closer to done.
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("operationId", id, 50)?;
    let operation = cloud
        .operations
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("Operation {id} not found")))?;
    let changed = operation.poll();
    let json = operation.to_json();
    if changed {
        app.commit(&cloud)?;
    }
    Ok(json)
}

/// `GET` or `POST /operations/{operationId}:cancel`. IAM and Resource Manager operations are
/// not cancellable: the change is applied when the Operation starts, so cancelling is
/// best-effort and returns the Operation unchanged, as the API allows.
pub fn cancel(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("operationId", id, 50)?;
    cloud
        .operations
        .get(&id)
        .map(|operation| operation.to_json())
        .ok_or_else(|| ApiError::not_found(format!("Operation {id} not found")))
}
