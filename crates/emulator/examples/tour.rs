//! A tour of every served method (successes and well-formed requests that fail), recorded to a
//! JSONL file for the contract check:
//!
//! `cargo run -p yc-emulator --example tour -- RECORD.jsonl`
//! `python tests/contract/check.py RECORD.jsonl`

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use serde_json::{Value, json};
use yc_emulator::{Config, Emulator, JWT_AUDIENCE};

struct Tour {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Tour {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let request = request.body(body.map(|b| b.to_string()).unwrap_or_default())?;
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        Ok((status, value))
    }

    /// A call that must answer `status`.
    fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let (got, value) = self.call(method, path, body)?;
        if got != status {
            bail!("{method} {path}: expected HTTP {status}, got {got}: {value}");
        }
        Ok(value)
    }

    /// Polls an Operation until done.
    fn wait(&self, mut operation: Value) -> anyhow::Result<Value> {
        while operation.get("done") != Some(&json!(true)) {
            let id = operation["id"].as_str().context("operation id")?;
            operation = self.expect(200, "GET", &format!("/operations/{id}"), None)?;
        }
        Ok(operation)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let record: PathBuf = std::env::args_os()
        .nth(1)
        .context("usage: tour RECORD.jsonl")?
        .into();
    let emulator = Emulator::start(Config {
        pending_polls: 1,
        record_file: Some(record.clone()),
        ..Config::default()
    })?;
    let seed = emulator.seed().clone();
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    );
    let tour = Tour {
        agent: agent.clone(),
        base: emulator.base_url(),
        token: Some(seed.admin_token.clone()),
    };
    let anonymous = Tour {
        agent,
        base: emulator.base_url(),
        token: None,
    };
    let folder = &seed.folder_id;

    anonymous.expect(200, "GET", "/endpoints", None)?;
    anonymous.expect(200, "GET", "/endpoints/iam", None)?;
    let exchanged = anonymous.expect(
        200,
        "POST",
        "/iam/v1/tokens",
        Some(json!({"yandexPassportOauthToken": seed.oauth_token})),
    )?;
    anonymous.expect(400, "POST", "/iam/v1/tokens", Some(json!({})))?;

    tour.expect(
        200,
        "GET",
        &format!("/resource-manager/v1/folders/{folder}"),
        None,
    )?;
    tour.expect(
        200,
        "GET",
        &format!(
            "/resource-manager/v1/folders?cloudId={}&pageSize=1",
            seed.cloud_id
        ),
        None,
    )?;
    tour.expect(
        200,
        "GET",
        &format!(
            "/resource-manager/v1/folders?cloudId={}&filter=name%3D%22default%22",
            seed.cloud_id
        ),
        None,
    )?;
    tour.expect(
        200,
        "GET",
        &format!("/resource-manager/v1/clouds/{}", seed.cloud_id),
        None,
    )?;
    tour.expect(
        404,
        "GET",
        "/resource-manager/v1/clouds/b1gnosuchcloud",
        None,
    )?;
    tour.expect(
        200,
        "GET",
        "/resource-manager/v1/clouds?pageSize=10&filter=name%3D%22emulated-cloud%22",
        None,
    )?;
    let created = tour.expect(200, "POST", "/iam/v1/serviceAccounts", Some(json!({
        "folderId": folder, "name": "tour-robot", "description": "tour", "labels": {"env": "test"}
    })))?;
    let account = created["metadata"]["serviceAccountId"]
        .as_str()
        .context("id")?
        .to_string();
    tour.wait(created)?;
    tour.expect(
        409,
        "POST",
        "/iam/v1/serviceAccounts",
        Some(json!({"folderId": folder, "name": "tour-robot"})),
    )?;
    tour.expect(
        400,
        "POST",
        "/iam/v1/serviceAccounts",
        Some(json!({"folderId": folder, "name": "Bad_Name"})),
    )?;
    tour.expect(
        200,
        "GET",
        &format!("/iam/v1/serviceAccounts/{account}"),
        None,
    )?;
    tour.expect(
        404,
        "GET",
        "/iam/v1/serviceAccounts/ajeunknown0000000000",
        None,
    )?;
    tour.expect(
        200,
        "GET",
        &format!(
            "/iam/v1/serviceAccounts?folderId={folder}&pageSize=10&filter=name%3D%22tour-robot%22"
        ),
        None,
    )?;
    let updated = tour.expect(200, "PATCH", &format!("/iam/v1/serviceAccounts/{account}"), Some(json!({
        "updateMask": "description,labels", "name": "tour-robot", "description": "updated", "labels": {}
    })))?;
    tour.wait(updated)?;

    let delta = |action: &str| {
        json!({"accessBindingDeltas": [{"action": action, "accessBinding": {
        "roleId": "ai.languageModels.user", "subject": {"id": account, "type": "serviceAccount"}}}]})
    };
    for action in ["ADD", "ADD", "REMOVE", "ADD"] {
        let operation = tour.expect(
            200,
            "POST",
            &format!("/resource-manager/v1/folders/{folder}:updateAccessBindings"),
            Some(delta(action)),
        )?;
        tour.wait(operation)?;
    }
    tour.expect(
        200,
        "GET",
        &format!("/resource-manager/v1/folders/{folder}:listAccessBindings?pageSize=1000"),
        None,
    )?;
    let other = &seed.other_folder_id;
    let set = tour.expect(200, "POST", &format!("/resource-manager/v1/folders/{other}:setAccessBindings"), Some(json!({
        "accessBindings": [{"roleId": "admin", "subject": {"id": seed.admin_user_id, "type": "userAccount"}}]
    })))?;
    tour.wait(set)?;
    let on_account = tour.expect(200, "POST", &format!("/iam/v1/serviceAccounts/{account}:updateAccessBindings"), Some(json!({
        "accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "iam.serviceAccounts.user", "subject": {"id": seed.viewer_user_id, "type": "userAccount"}}}]
    })))?;
    tour.wait(on_account)?;
    tour.expect(
        200,
        "GET",
        &format!("/iam/v1/serviceAccounts/{account}:listAccessBindings"),
        None,
    )?;
    let set_on_account = tour.expect(
        200,
        "POST",
        &format!("/iam/v1/serviceAccounts/{account}:setAccessBindings"),
        Some(json!({"accessBindings": []})),
    )?;
    tour.wait(set_on_account)?;
    let cloud_id = &seed.cloud_id;
    let on_cloud = tour.expect(
        200,
        "POST",
        &format!("/resource-manager/v1/clouds/{cloud_id}:updateAccessBindings"),
        Some(delta("ADD")),
    )?;
    tour.wait(on_cloud)?;
    tour.expect(
        200,
        "GET",
        &format!("/resource-manager/v1/clouds/{cloud_id}:listAccessBindings?pageSize=1000"),
        None,
    )?;
    tour.expect(
        404,
        "GET",
        "/resource-manager/v1/clouds/b1gnosuchcloud:listAccessBindings",
        None,
    )?;
    let set_on_cloud = tour.expect(200, "POST", &format!("/resource-manager/v1/clouds/{cloud_id}:setAccessBindings"), Some(json!({
        "accessBindings": [{"roleId": "admin", "subject": {"id": seed.admin_user_id, "type": "userAccount"}}]
    })))?;
    tour.wait(set_on_cloud)?;

    let key = tour.expect(200, "POST", "/iam/v1/apiKeys", Some(json!({
        "serviceAccountId": account, "description": "tour", "scopes": ["yc.ai.languageModels.execute"], "expiresAt": "2030-01-01T00:00:00Z"
    })))?;
    tour.expect(
        200,
        "POST",
        "/iam/v1/apiKeys",
        Some(json!({"serviceAccountId": account})),
    )?;
    let key_id = key["apiKey"]["id"].as_str().context("key id")?.to_string();
    tour.expect(200, "GET", &format!("/iam/v1/apiKeys/{key_id}"), None)?;
    tour.expect(
        200,
        "GET",
        &format!("/iam/v1/apiKeys?serviceAccountId={account}&pageSize=1"),
        None,
    )?;
    tour.expect(200, "GET", "/iam/v1/apiKeyScopes", None)?;
    tour.expect(200, "GET", "/iam/v1/apiKeys/scopes?pageSize=3", None)?;
    let key_update = tour.expect(200, "PATCH", &format!("/iam/v1/apiKeys/{key_id}"), Some(json!({
        "updateMask": "scopes,expiresAt", "scopes": ["yc.ai.languageModels.execute", "yc.postbox.send"], "expiresAt": "2031-01-01T00:00:00Z"
    })))?;
    tour.wait(key_update)?;
    let access_key = tour.expect(
        200,
        "POST",
        "/iam/aws-compatibility/v1/accessKeys",
        Some(json!({"serviceAccountId": account, "description": "tour"})),
    )?;
    let access_key_id = access_key["accessKey"]["id"]
        .as_str()
        .context("access key id")?
        .to_string();
    tour.expect(
        200,
        "GET",
        &format!("/iam/aws-compatibility/v1/accessKeys/{access_key_id}"),
        None,
    )?;
    tour.expect(
        200,
        "GET",
        &format!("/iam/aws-compatibility/v1/accessKeys?serviceAccountId={account}&pageSize=10"),
        None,
    )?;
    let access_key_delete = tour.expect(
        200,
        "DELETE",
        &format!("/iam/aws-compatibility/v1/accessKeys/{access_key_id}"),
        None,
    )?;
    tour.wait(access_key_delete)?;
    tour.expect(
        404,
        "GET",
        &format!("/iam/aws-compatibility/v1/accessKeys/{access_key_id}"),
        None,
    )?;
    let key_delete = tour.expect(200, "DELETE", &format!("/iam/v1/apiKeys/{key_id}"), None)?;
    let key_delete_id = key_delete["id"]
        .as_str()
        .context("operation id")?
        .to_string();
    tour.expect(
        200,
        "GET",
        &format!("/operations/{key_delete_id}:cancel"),
        None,
    )?;
    tour.expect(
        200,
        "POST",
        &format!("/operations/{key_delete_id}:cancel"),
        None,
    )?;
    tour.wait(key_delete)?;
    tour.expect(404, "GET", "/operations/ajeunknown0000000000", None)?;

    let authorized = tour.expect(
        200,
        "POST",
        "/iam/v1/keys",
        Some(
            json!({"serviceAccountId": account, "description": "tour", "keyAlgorithm": "RSA_2048"}),
        ),
    )?;
    let authorized_id = authorized["key"]["id"]
        .as_str()
        .context("key id")?
        .to_string();
    tour.expect(
        200,
        "GET",
        &format!("/iam/v1/keys/{authorized_id}?format=PEM_FILE"),
        None,
    )?;
    tour.expect(
        200,
        "GET",
        &format!("/iam/v1/keys?serviceAccountId={account}"),
        None,
    )?;
    let pem: String = authorized["privateKey"]
        .as_str()
        .context("private key")?
        .lines()
        .filter(|line| !line.starts_with("PLEASE DO NOT REMOVE THIS LINE!"))
        .map(|line| format!("{line}\n"))
        .collect();
    let private = rsa::PrivateKey::from_pkcs8_pem(&pem)?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD
            .encode(json!({"typ": "JWT", "alg": "PS256", "kid": authorized_id}).to_string()),
        URL_SAFE_NO_PAD.encode(
            json!({"iss": account, "aud": JWT_AUDIENCE, "iat": now(), "exp": now() + 3600})
                .to_string()
        ),
    );
    let signature = private.pss_sign::<Sha256>(signing_input.as_bytes())?;
    let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
    anonymous.expect(200, "POST", "/iam/v1/tokens", Some(json!({ "jwt": jwt })))?;
    let key_gone = tour.expect(
        200,
        "DELETE",
        &format!("/iam/v1/keys/{authorized_id}"),
        None,
    )?;
    tour.wait(key_gone)?;

    let secret_op = tour.expect(
        200,
        "POST",
        "/lockbox/v1/secrets",
        Some(json!({
            "folderId": folder, "name": "tour-secret", "description": "tour",
            "labels": {"team": "tour"}, "deletionProtection": true,
            "versionDescription": "first",
            "versionPayloadEntries": [{"key": "a", "textValue": "one"}, {"key": "b", "binaryValue": "AAEC"}]
        })),
    )?;
    let secret_id = tour.wait(secret_op)?["metadata"]["secretId"]
        .as_str()
        .context("secret id")?
        .to_string();
    let secrets = format!("/lockbox/v1/secrets/{secret_id}");
    tour.expect(200, "GET", &secrets, None)?;
    tour.expect(
        200,
        "GET",
        &format!("/lockbox/v1/secrets?folderId={folder}&pageSize=10"),
        None,
    )?;
    tour.expect(400, "DELETE", &secrets, None)?;
    let unprotect = tour.expect(
        200,
        "PATCH",
        &secrets,
        Some(json!({"updateMask": "deletionProtection,description", "deletionProtection": false, "description": "toured"})),
    )?;
    tour.wait(unprotect)?;
    let added = tour.expect(
        200,
        "POST",
        &format!("{secrets}:addVersion"),
        Some(json!({"description": "second", "payloadEntries": [{"key": "a", "textValue": "uno"}, {"key": "b", "textValue": ""}]})),
    )?;
    let added = tour.wait(added)?;
    let version_id = added["metadata"]["versionId"]
        .as_str()
        .context("version id")?
        .to_string();
    tour.expect(200, "GET", &format!("{secrets}/versions?pageSize=1"), None)?;
    tour.expect(200, "GET", &format!("{secrets}/payload"), None)?;
    tour.expect(
        200,
        "GET",
        &format!("{secrets}/payload?versionId={version_id}"),
        None,
    )?;
    let scheduled = tour.expect(
        200,
        "POST",
        &format!("{secrets}:scheduleVersionDestruction"),
        Some(json!({"versionId": version_id, "pendingPeriod": "86400s"})),
    )?;
    tour.wait(scheduled)?;
    tour.expect(
        400,
        "GET",
        &format!("{secrets}/payload?versionId={version_id}"),
        None,
    )?;
    let cancelled = tour.expect(
        200,
        "POST",
        &format!("{secrets}:cancelVersionDestruction"),
        Some(json!({"versionId": version_id})),
    )?;
    tour.wait(cancelled)?;
    let deactivated = tour.expect(200, "POST", &format!("{secrets}:deactivate"), None)?;
    tour.wait(deactivated)?;
    tour.expect(400, "GET", &format!("{secrets}/payload"), None)?;
    let activated = tour.expect(200, "POST", &format!("{secrets}:activate"), None)?;
    tour.wait(activated)?;
    let generated = tour.expect(
        200,
        "POST",
        "/lockbox/v1/secrets",
        Some(json!({
            "folderId": folder, "name": "tour-password", "createVersion": true,
            "passwordPayloadSpecification": {"passwordKey": "password", "length": "20", "includePunctuation": false}
        })),
    )?;
    let generated_id = tour.wait(generated)?["metadata"]["secretId"]
        .as_str()
        .context("secret id")?
        .to_string();
    tour.expect(
        200,
        "GET",
        &format!("/lockbox/v1/secrets/{generated_id}/payload"),
        None,
    )?;
    tour.expect(
        404,
        "GET",
        "/lockbox/v1/secrets/e6qunknown00000000000",
        None,
    )?;
    tour.expect(
        400,
        "POST",
        &format!("{secrets}:addVersion"),
        Some(json!({"payloadEntries": [{"key": "no spaces", "textValue": "x"}]})),
    )?;
    for id in [&secret_id, &generated_id] {
        let gone = tour.expect(200, "DELETE", &format!("/lockbox/v1/secrets/{id}"), None)?;
        tour.wait(gone)?;
    }

    let viewer = Tour {
        token: Some(seed.viewer_token.clone()),
        ..anonymous
    };
    viewer.expect(
        403,
        "DELETE",
        &format!("/iam/v1/serviceAccounts/{account}"),
        None,
    )?;
    viewer.expect(
        403,
        "POST",
        "/lockbox/v1/secrets",
        Some(json!({"folderId": folder})),
    )?;
    let oauth_user = Tour {
        token: exchanged["iamToken"].as_str().map(str::to_string),
        ..viewer
    };
    let deleted = oauth_user.expect(
        200,
        "DELETE",
        &format!("/iam/v1/serviceAccounts/{account}"),
        None,
    )?;
    oauth_user.wait(deleted)?;

    let requests = emulator.stats().total_requests;
    emulator.shutdown();
    println!("recorded {requests} exchanges to {}", record.display());
    Ok(())
}
