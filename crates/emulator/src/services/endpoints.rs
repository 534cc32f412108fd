//! ApiEndpointService: endpoint discovery, pointing every service back at this emulator.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::error::{ApiError, ApiResult};
use crate::input::Fields;

/// The endpoint ids served (all by this one address).
const ENDPOINT_IDS: &[&str] = &[
    "endpoint",
    "iam",
    "operation",
    "resource-manager",
    "resourcemanager",
];

fn address(app: &App, request: &ApiRequest) -> String {
    request
        .host
        .clone()
        .unwrap_or_else(|| app.address().to_string())
}

fn endpoint(id: &str, address: &str) -> Value {
    json!({ "id": id, "address": address })
}

/// `GET /endpoints` (no authentication, like the real service).
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    Fields::from_query(&request.query, &["pageSize", "pageToken"])?;
    let address = address(app, request);
    let endpoints: Vec<Value> = ENDPOINT_IDS
        .iter()
        .map(|id| endpoint(id, &address))
        .collect();
    Ok(json!({ "endpoints": endpoints }))
}

/// `GET /endpoints/{apiEndpointId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    super::no_query(request)?;
    if !ENDPOINT_IDS.contains(&id) {
        return Err(ApiError::not_found(format!("Endpoint {id} not found")));
    }
    Ok(endpoint(id, &address(app, request)))
}
