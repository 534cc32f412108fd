//! Authentication (401) and the permission model (403).

use serde_json::json;

use crate::common::{Client, assert_error, start};

#[test]
fn missing_or_unknown_credentials_are_unauthenticated() {
    let emulator = start();
    let admin = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let headers: [(Option<&str>, &str); 5] = [
        (None, "missing an Authorization header"),
        (
            Some("Bearer t1.unknown.token"),
            "The token is invalid or has expired.",
        ),
        (Some("Bearer "), "Unsupported Authorization header"),
        (
            Some("Api-Key AQVNsomething"),
            "API key authentication is not supported",
        ),
        (
            Some("Basic dXNlcjpwYXNz"),
            "Unsupported Authorization header",
        ),
    ];
    let requests = [
        ("GET", format!("/iam/v1/serviceAccounts?folderId={folder}")),
        ("POST", "/iam/v1/serviceAccounts".to_string()),
        ("GET", format!("/resource-manager/v1/folders/{folder}")),
        (
            "POST",
            format!("/resource-manager/v1/folders/{folder}:updateAccessBindings"),
        ),
        ("GET", "/iam/v1/apiKeys/ajex".to_string()),
        ("GET", "/operations/ajex".to_string()),
    ];
    let anonymous = admin.with_token(None);
    for (header, message) in headers {
        for (method, path) in &requests {
            let extra: Vec<(&str, &str)> = header.iter().map(|h| ("Authorization", *h)).collect();
            let body = (*method == "POST").then(|| json!({}));
            let reply = anonymous.send(method, path, body.as_ref(), &extra);
            assert_error(&reply, 401, 16, message);
        }
    }
}

#[test]
fn viewer_reads_but_cannot_change() {
    let emulator = start();
    let admin = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let viewer = admin.with_token(Some(&seed.viewer_token));
    let account = admin.create_account(&seed.folder_id, "robot");
    let key = admin.create_api_key(&account, &[]);
    let key_id = key["apiKey"]["id"].as_str().unwrap().to_string();

    let reads = [
        format!("/iam/v1/serviceAccounts/{account}"),
        format!("/iam/v1/serviceAccounts?folderId={}", seed.folder_id),
        format!("/resource-manager/v1/folders/{}", seed.folder_id),
        format!(
            "/resource-manager/v1/folders/{}:listAccessBindings",
            seed.folder_id
        ),
        format!("/iam/v1/apiKeys/{key_id}"),
        format!("/iam/v1/apiKeys?serviceAccountId={account}"),
    ];
    for path in &reads {
        viewer.get(path).ok();
    }
    let writes = [
        (
            "POST",
            "/iam/v1/serviceAccounts".to_string(),
            Some(json!({"folderId": seed.folder_id, "name": "nope"})),
            "iam.serviceAccounts.create",
        ),
        (
            "PATCH",
            format!("/iam/v1/serviceAccounts/{account}"),
            Some(json!({"name": "renamed"})),
            "iam.serviceAccounts.update",
        ),
        (
            "DELETE",
            format!("/iam/v1/serviceAccounts/{account}"),
            None,
            "iam.serviceAccounts.delete",
        ),
        (
            "POST",
            format!(
                "/resource-manager/v1/folders/{}:updateAccessBindings",
                seed.folder_id
            ),
            Some(
                json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "admin", "subject": {"id": seed.viewer_user_id, "type": "userAccount"}}}]}),
            ),
            "resource-manager.folders.updateAccessBindings",
        ),
        (
            "POST",
            format!(
                "/resource-manager/v1/folders/{}:setAccessBindings",
                seed.folder_id
            ),
            Some(json!({"accessBindings": []})),
            "resource-manager.folders.updateAccessBindings",
        ),
        (
            "POST",
            "/iam/v1/apiKeys".to_string(),
            Some(json!({"serviceAccountId": account})),
            "iam.apiKeys.create",
        ),
        (
            "PATCH",
            format!("/iam/v1/apiKeys/{key_id}"),
            Some(json!({"description": "x"})),
            "iam.apiKeys.update",
        ),
        (
            "DELETE",
            format!("/iam/v1/apiKeys/{key_id}"),
            None,
            "iam.apiKeys.delete",
        ),
    ];
    for (method, path, body, permission) in writes {
        let reply = viewer.send(method, &path, body.as_ref(), &[]);
        assert_error(&reply, 403, 7, permission);
    }
    assert_eq!(emulator.snapshot().service_accounts.len(), 1);
    assert_eq!(emulator.snapshot().api_keys.len(), 1);
}

#[test]
fn roles_granted_on_a_folder_take_effect() {
    let emulator = start();
    let admin = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let viewer = admin.with_token(Some(&seed.viewer_token));
    let create = json!({"folderId": seed.other_folder_id, "name": "by-viewer"});
    assert_error(
        &viewer.post("/iam/v1/serviceAccounts", create.clone()),
        403,
        7,
        "",
    );
    admin.bind(
        &seed.other_folder_id,
        "ADD",
        "editor",
        "userAccount",
        &seed.viewer_user_id,
    );
    let operation = viewer.post("/iam/v1/serviceAccounts", create.clone()).ok();
    assert_eq!(operation["createdBy"], seed.viewer_user_id.as_str());
    // Still only a viewer in the first folder.
    let elsewhere = json!({"folderId": seed.folder_id, "name": "by-viewer-2"});
    assert_error(
        &viewer.post("/iam/v1/serviceAccounts", elsewhere),
        403,
        7,
        "",
    );
    admin.bind(
        &seed.other_folder_id,
        "REMOVE",
        "editor",
        "userAccount",
        &seed.viewer_user_id,
    );
    let again = json!({"folderId": seed.other_folder_id, "name": "by-viewer-3"});
    assert_error(&viewer.post("/iam/v1/serviceAccounts", again), 403, 7, "");
}
