//! ApiKeyService over HTTP.

use serde_json::{Value, json};
use yc_emulator::{DEFAULT_SCOPES, KNOWN_SCOPES};

use crate::common::{Client, assert_error, start};

#[test]
fn create_returns_the_secret_directly() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let account = client.create_account(&emulator.seed().folder_id, "robot");
    let created = client
        .post(
            "/iam/v1/apiKeys",
            json!({"serviceAccountId": account, "description": "for ai", "scopes": ["yc.ai.languageModels.execute"], "expiresAt": "2030-01-01T00:00:00Z"}),
        )
        .ok();
    assert!(created.get("done").is_none(), "not an Operation: {created}");
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 40);
    assert!(secret.starts_with("AQVN"));
    let key = &created["apiKey"];
    assert_eq!(key["serviceAccountId"], account.as_str());
    assert_eq!(key["description"], "for ai");
    assert_eq!(key["scopes"], json!(["yc.ai.languageModels.execute"]));
    assert_eq!(key["scope"], "yc.ai.languageModels.execute");
    assert_eq!(key["expiresAt"], "2030-01-01T00:00:00Z");
    assert_eq!(
        key["maskedSecret"],
        format!("****{}", &secret[34..]).as_str()
    );
    assert!(emulator.issued_secrets().contains(&secret.to_string()));

    let id = key["id"].as_str().unwrap();
    let fetched = client.get(&format!("/iam/v1/apiKeys/{id}")).ok();
    assert_eq!(&fetched, key);
    assert!(
        !fetched.to_string().contains(secret),
        "the secret is never returned again"
    );
    let list = client
        .get(&format!("/iam/v1/apiKeys?serviceAccountId={account}"))
        .ok();
    assert_eq!(list["apiKeys"], json!([key]));
}

#[test]
fn scope_rules_table() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let account = client.create_account(&emulator.seed().folder_id, "robot");
    let defaults: Vec<&str> = DEFAULT_SCOPES.to_vec();
    // (request extras, expected scopes, expected legacy scope)
    let cases: Vec<(Value, Vec<&str>, Option<&str>)> = vec![
        (json!({}), defaults.clone(), None),
        (json!({"scopes": []}), defaults.clone(), None),
        (
            json!({"scope": "yc.postbox.send"}),
            vec!["yc.postbox.send"],
            Some("yc.postbox.send"),
        ),
        (
            json!({"scopes": ["yc.monitoring.read", "yc.postbox.send"]}),
            vec!["yc.monitoring.read", "yc.postbox.send"],
            None,
        ),
        (
            json!({"scope": "yc.postbox.send", "scopes": ["yc.monitoring.read"]}),
            vec!["yc.monitoring.read", "yc.postbox.send"],
            None,
        ),
    ];
    for (extra, scopes, scope) in cases {
        let mut body = json!({ "serviceAccountId": account });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let key = client.post("/iam/v1/apiKeys", body).ok()["apiKey"].clone();
        assert_eq!(key["scopes"], json!(scopes), "{extra}");
        assert_eq!(key.get("scope").and_then(Value::as_str), scope, "{extra}");
    }
    let scopes_101: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"scopes": ["yc.nope"]}),
            "scopes[0]: unknown scope \"yc.nope\"",
        ),
        (
            json!({"scopes": ["yc.postbox.send", "yc.postbox.send"]}),
            "scopes[1]: duplicate value",
        ),
        (
            json!({"scopes": scopes_101}),
            "scopes: must have between 0 and 100 items",
        ),
        (
            json!({"scopes": ["x".repeat(257)]}),
            "scopes[0]: length must be at most 256",
        ),
        (
            json!({"description": "d".repeat(257)}),
            "description: length must be at most 256",
        ),
        (
            json!({"expiresAt": "1969-01-01T00:00:00Z"}),
            "expiresAt: timestamp must be between",
        ),
        (json!({"bogus": true}), "bogus: unknown field"),
    ];
    for (extra, message) in cases {
        let mut body = json!({ "serviceAccountId": account });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_error(&client.post("/iam/v1/apiKeys", body), 400, 3, message);
    }
    assert_error(
        &client.post("/iam/v1/apiKeys", json!({})),
        400,
        3,
        "serviceAccountId: Field is required",
    );
    assert_error(
        &client.post("/iam/v1/apiKeys", json!({"serviceAccountId": "ajenope"})),
        404,
        5,
        "Service account ajenope not found",
    );
}

#[test]
fn update_and_delete() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let account = client.create_account(&emulator.seed().folder_id, "robot");
    let created = client.create_api_key(&account, &["yc.postbox.send"]);
    let id = created["apiKey"]["id"].as_str().unwrap().to_string();
    let path = format!("/iam/v1/apiKeys/{id}");

    let operation = client
        .patch(
            &path,
            json!({"updateMask": "description", "description": "new"}),
        )
        .ok();
    assert_eq!(
        operation["metadata"],
        json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.UpdateApiKeyMetadata", "apiKeyId": id})
    );
    let response = &operation["response"];
    assert_eq!(
        response["@type"],
        "type.googleapis.com/yandex.cloud.iam.v1.ApiKey"
    );
    assert_eq!(response["description"], "new");
    assert_eq!(response["scopes"], json!(["yc.postbox.send"]));

    let operation = client
        .patch(
            &path,
            json!({"updateMask": "scopes,expires_at", "scopes": ["yc.monitoring.read", "yc.postbox.send"], "expiresAt": "2031-05-05T00:00:00Z"}),
        )
        .ok();
    assert_eq!(
        operation["response"]["scopes"],
        json!(["yc.monitoring.read", "yc.postbox.send"])
    );
    assert!(operation["response"].get("scope").is_none());
    assert_eq!(operation["response"]["expiresAt"], "2031-05-05T00:00:00Z");
    assert_eq!(operation["response"]["description"], "new");

    let cases = [
        (
            json!({"updateMask": "scopes"}),
            "scopes: must have between 1 and 100 items",
        ),
        (
            json!({"updateMask": "scopes", "scopes": ["yc.nope"]}),
            "scopes[0]: unknown scope",
        ),
        (
            json!({"updateMask": "serviceAccountId"}),
            "updateMask: unknown or immutable field",
        ),
    ];
    for (body, message) in cases {
        assert_error(&client.patch(&path, body), 400, 3, message);
    }
    assert_error(
        &client.patch("/iam/v1/apiKeys/ajenope", json!({"description": "x"})),
        404,
        5,
        "API key ajenope not found",
    );

    let operation = client.delete(&path).ok();
    assert_eq!(
        operation["metadata"],
        json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.DeleteApiKeyMetadata", "apiKeyId": id})
    );
    assert_eq!(
        operation["response"]["@type"],
        "type.googleapis.com/google.protobuf.Empty"
    );
    assert_error(&client.get(&path), 404, 5, "not found");
    assert_eq!(
        client
            .get(&format!("/iam/v1/apiKeys?serviceAccountId={account}"))
            .ok(),
        json!({})
    );
}

#[test]
fn scopes_are_listed_at_both_paths() {
    let emulator = start();
    let client = Client::admin(&emulator);
    for path in ["/iam/v1/apiKeyScopes", "/iam/v1/apiKeys/scopes"] {
        let list = client.get(path).ok();
        assert_eq!(list["scopes"], json!(KNOWN_SCOPES), "{path}");
        let page = client.get(&format!("{path}?pageSize=5")).ok();
        assert_eq!(page["scopes"].as_array().unwrap().len(), 5);
        assert_eq!(page["nextPageToken"], "5");
    }
    let stats = emulator.stats();
    assert_eq!(stats.count("GET /iam/v1/apiKeyScopes"), 2);
    assert_eq!(stats.count("GET /iam/v1/apiKeys/scopes"), 2);
}
