//! KeyService: a service account's authorized keys (RSA key pairs) used to sign JWTs.

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::Access;
use crate::cloud::{CloudState, Replay};
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::IAM_PREFIX;
use crate::input::Fields;
use crate::model::{AuthorizedKey, any, list_response};
use crate::validate;

use super::{authorize_key_access, key_owner_id, require_account_access};

const FORMATS: &[&str] = &["PEM_FILE"];
const ALGORITHMS: &[&str] = &["ALGORITHM_UNSPECIFIED", "RSA_2048", "RSA_4096"];

/// The first line of every private key the service returns.
pub fn private_key_banner(key_id: &str) -> String {
    format!("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <{key_id}>")
}

fn generate_key_pair(bits: usize) -> ApiResult<(String, String)> {
    let failed = |_| ApiError::new(Code::Internal, "Internal error: key generation failed");
    let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
    let private = rsa::PrivateKey::new(&mut rng, bits).map_err(failed)?;
    let private_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| ApiError::new(Code::Internal, "Internal error: key encoding failed"))?;
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| ApiError::new(Code::Internal, "Internal error: key encoding failed"))?;
    Ok((private_pem.to_string(), public_pem))
}

fn find<'a>(cloud: &'a CloudState, id: &str) -> ApiResult<&'a AuthorizedKey> {
    cloud
        .keys
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Key {id} not found")))
}

/// `POST /iam/v1/keys`: `{"key": Key, "privateKey": PEM}` directly (no Operation). The RSA key
/// pair is generated outside the cloud lock.
pub fn create(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let (account_id, description, algorithm) = {
        let cloud = app.lock();
        let caller = cloud.authenticate(request.authorization())?;
        if let Some(replay) = cloud.replay(request.idempotency_key()) {
            return Ok(replay);
        }
        let fields = Fields::from_body(
            request.body.as_ref(),
            &["serviceAccountId", "description", "format", "keyAlgorithm"],
        )?;
        let account_id = key_owner_id(&fields, &caller)?;
        let description = validate::description(&fields)?;
        fields.enumeration("format", FORMATS)?;
        let algorithm = fields
            .enumeration("keyAlgorithm", ALGORITHMS)?
            .unwrap_or("RSA_2048");
        let account = cloud.service_account(&account_id)?;
        require_account_access(&cloud, &caller, account, Access::Write, "iam.keys.create")?;
        (account_id, description, algorithm)
    };
    let bits = if algorithm == "RSA_4096" { 4096 } else { 2048 };
    let (private_pem, public_pem) = tokio::task::block_in_place(|| generate_key_pair(bits))?;
    let mut cloud = app.lock();
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    cloud.service_account(&account_id)?;
    let id = cloud.ids.resource_id(IAM_PREFIX);
    let key = AuthorizedKey {
        id: id.clone(),
        service_account_id: account_id,
        created_at: crate::clock::now_rfc3339(),
        description,
        key_algorithm: algorithm.to_string(),
        public_key: public_pem,
    };
    let response = json!({
        "key": key.to_json(),
        "privateKey": format!("{}\n{private_pem}", private_key_banner(&id)),
    });
    cloud.keys.insert(id, key);
    cloud.remember(
        request.idempotency_key(),
        Replay::Response(response.clone()),
    );
    app.commit(&cloud)?;
    Ok(response)
}

/// `GET /iam/v1/keys/{keyId}?format=`
pub fn get(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(&request.query, &["format"])?;
    fields.enumeration("format", FORMATS)?;
    let id = validate::path_id("keyId", id, 50)?;
    let key = find(&cloud, &id)?;
    authorize_key_access(
        &cloud,
        &caller,
        &key.service_account_id,
        Access::Read,
        "iam.keys.get",
    )?;
    Ok(key.to_json())
}

/// `GET /iam/v1/keys?serviceAccountId=&format=&pageSize=&pageToken=`
pub fn list(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(
        &request.query,
        &["serviceAccountId", "format", "pageSize", "pageToken"],
    )?;
    fields.enumeration("format", FORMATS)?;
    let account_id = key_owner_id(&fields, &caller)?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 2000)?;
    let account = cloud.service_account(&account_id)?;
    require_account_access(&cloud, &caller, account, Access::Read, "iam.keys.list")?;
    let keys: Vec<&AuthorizedKey> = cloud
        .keys
        .values()
        .filter(|key| key.service_account_id == account_id)
        .collect();
    let (page, next) = validate::paginate(&keys, offset, page_size);
    Ok(list_response(
        "keys",
        page.iter().map(|key| key.to_json()).collect(),
        next,
    ))
}

/// `DELETE /iam/v1/keys/{keyId}`
pub fn delete(app: &App, request: &ApiRequest, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    super::no_query(request)?;
    let id = validate::path_id("keyId", id, 50)?;
    let key = find(&cloud, &id)?.clone();
    authorize_key_access(
        &cloud,
        &caller,
        &key.service_account_id,
        Access::Write,
        "iam.keys.delete",
    )?;
    let metadata = any(
        "yandex.cloud.iam.v1.DeleteKeyMetadata",
        json!({ "keyId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Delete key",
        metadata,
        |cloud| {
            cloud.keys.remove(&id);
            crate::model::empty_any()
        },
    )
}
