//! AccessKeyService (`yandex.cloud.iam.v1.awscompatibility`): static access keys for the
//! S3-compatible APIs. Create returns the secret directly (not an Operation); get, list
//! and delete (an Operation) as for API keys.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::Access;
use crate::cloud::{CloudState, Replay, StoredAccessKey};
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::IAM_PREFIX;
use crate::input::Fields;
use crate::model::{AccessKey, any, list_response};
use crate::validate;

use super::{authorize_key_access, key_owner_id, no_query, require_account_access};

fn find<'a>(cloud: &'a CloudState, id: &str) -> ApiResult<&'a StoredAccessKey> {
    cloud
        .access_keys
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Access key {id} not found")))
}

/// `POST /iam/aws-compatibility/v1/accessKeys`: `{"accessKey": AccessKey, "secret": "YC…"}`,
/// no Operation. A repeated Idempotency-Key returns the first response.
pub fn create(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let fields = Fields::from_body(request.body.as_ref(), &["serviceAccountId", "description"])?;
    let account_id = key_owner_id(&fields, &caller)?;
    let description = validate::description(&fields)?;
    let account = cloud.service_account(&account_id)?;
    require_account_access(
        &cloud,
        &caller,
        account,
        Access::Write,
        "iam.accessKeys.create",
    )?;
    if cloud.access_keys.len() >= app.quotas().api_keys {
        return Err(ApiError::new(
            Code::ResourceExhausted,
            format!(
                "Quota limit iam.accessKeys.count exceeded (limit {} per cloud)",
                app.quotas().api_keys
            ),
        ));
    }
    let id = cloud.ids.resource_id(IAM_PREFIX);
    let key_id = cloud.ids.access_key_id();
    let secret = cloud.ids.access_key_secret();
    let key = AccessKey {
        id: id.clone(),
        service_account_id: account_id,
        created_at: crate::clock::now_rfc3339(),
        description,
        key_id,
    };
    let response = json!({ "accessKey": key.to_json(), "secret": secret });
    cloud.issued_secrets.push(secret.clone());
    cloud
        .access_keys
        .insert(id, StoredAccessKey { key, secret });
    app.count_created("access_key", 1);
    cloud.remember(
        request.idempotency_key(),
        Replay::Response(response.clone()),
    );
    app.commit(&cloud)?;
    Ok(response)
}

/// `GET /iam/aws-compatibility/v1/accessKeys/{accessKeyId}`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    no_query(request)?;
    let id = validate::path_id("accessKeyId", id, 50)?;
    let stored = find(&cloud, &id)?;
    authorize_key_access(
        &cloud,
        &caller,
        &stored.key.service_account_id,
        Access::Read,
        "iam.accessKeys.get",
    )?;
    Ok(stored.key.to_json())
}

/// `GET /iam/aws-compatibility/v1/accessKeys?serviceAccountId=&pageSize=&pageToken=`
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
    require_account_access(
        &cloud,
        &caller,
        account,
        Access::Read,
        "iam.accessKeys.list",
    )?;
    let keys: Vec<&AccessKey> = cloud
        .access_keys
        .values()
        .map(|stored| &stored.key)
        .filter(|key| key.service_account_id == account_id)
        .collect();
    let (page, next) = validate::paginate(&keys, offset, page_size);
    Ok(list_response(
        "accessKeys",
        page.iter().map(|key| key.to_json()).collect(),
        next,
    ))
}

/// `DELETE /iam/aws-compatibility/v1/accessKeys/{accessKeyId}`: an Operation.
pub fn delete(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    no_query(request)?;
    let id = validate::path_id("accessKeyId", id, 50)?;
    let key = find(&cloud, &id)?.key.clone();
    authorize_key_access(
        &cloud,
        &caller,
        &key.service_account_id,
        Access::Write,
        "iam.accessKeys.delete",
    )?;
    let metadata = any(
        "yandex.cloud.iam.v1.awscompatibility.DeleteAccessKeyMetadata",
        json!({ "accessKeyId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Delete access key",
        metadata,
        |cloud| {
            cloud.access_keys.remove(&id);
            crate::model::empty_any()
        },
    )
}
