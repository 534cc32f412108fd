//! ServiceAccountService over HTTP.

use serde_json::{Value, json};
use yc_emulator::{Config, Quotas};

use crate::common::{Client, assert_error, start, start_with};

#[test]
fn lifecycle_create_get_list_update_delete() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();

    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": folder, "name": "robot", "description": "d", "labels": {"env": "dev"}}),
        )
        .ok();
    assert_eq!(operation["done"], true);
    assert_eq!(operation["description"], "Create service account");
    assert_eq!(
        operation["createdBy"],
        emulator.seed().admin_user_id.as_str()
    );
    assert_eq!(
        operation["metadata"]["@type"],
        "type.googleapis.com/yandex.cloud.iam.v1.CreateServiceAccountMetadata"
    );
    let id = operation["metadata"]["serviceAccountId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 20);
    assert!(id.starts_with("aje"));
    let response = &operation["response"];
    assert_eq!(
        response["@type"],
        "type.googleapis.com/yandex.cloud.iam.v1.ServiceAccount"
    );
    assert_eq!(response["id"], id.as_str());
    assert_eq!(response["name"], "robot");
    assert_eq!(response["status"], "ACTIVE");

    let account = client.get(&format!("/iam/v1/serviceAccounts/{id}")).ok();
    assert_eq!(account["folderId"], folder.as_str());
    assert_eq!(account["labels"], json!({"env": "dev"}));
    assert_eq!(account["description"], "d");
    assert!(account["createdAt"].as_str().unwrap().ends_with('Z'));

    let list = client
        .get(&format!("/iam/v1/serviceAccounts?folderId={folder}"))
        .ok();
    assert_eq!(list["serviceAccounts"], json!([account]));
    assert!(list.get("nextPageToken").is_none());

    // With a mask only the named fields change.
    let operation = client
        .patch(
            &format!("/iam/v1/serviceAccounts/{id}"),
            json!({"updateMask": "description", "name": "robot", "description": "new"}),
        )
        .ok();
    assert_eq!(
        operation["metadata"]["@type"],
        "type.googleapis.com/yandex.cloud.iam.v1.UpdateServiceAccountMetadata"
    );
    assert_eq!(operation["response"]["description"], "new");
    assert_eq!(operation["response"]["labels"], json!({"env": "dev"}));

    // Without a mask every field is replaced.
    let operation = client
        .patch(
            &format!("/iam/v1/serviceAccounts/{id}"),
            json!({"name": "robot-2"}),
        )
        .ok();
    assert_eq!(operation["response"]["name"], "robot-2");
    assert!(operation["response"].get("labels").is_none());
    assert!(operation["response"].get("description").is_none());

    let operation = client.delete(&format!("/iam/v1/serviceAccounts/{id}")).ok();
    assert_eq!(
        operation["response"],
        json!({"@type": "type.googleapis.com/google.protobuf.Empty"})
    );
    assert_eq!(operation["metadata"]["serviceAccountId"], id.as_str());
    let reply = client.get(&format!("/iam/v1/serviceAccounts/{id}"));
    assert_error(&reply, 404, 5, &id);
    let list = client
        .get(&format!("/iam/v1/serviceAccounts?folderId={folder}"))
        .ok();
    assert_eq!(list, json!({}));
}

#[test]
fn create_validation_table() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.as_str();
    let labels_65: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": "robot"}), "folderId: Field is required"),
        (json!({"folderId": folder}), "name: Field is required"),
        (
            json!({"folderId": "x".repeat(51), "name": "robot"}),
            "folderId: length must be at most 50",
        ),
        (
            json!({"folderId": folder, "name": "ab"}),
            "name: invalid resource name",
        ),
        (
            json!({"folderId": folder, "name": "Robot"}),
            "name: invalid resource name",
        ),
        (
            json!({"folderId": folder, "name": "1robot"}),
            "name: invalid resource name",
        ),
        (
            json!({"folderId": folder, "name": "robot-"}),
            "name: invalid resource name",
        ),
        (
            json!({"folderId": folder, "name": "ro_bot"}),
            "name: invalid resource name",
        ),
        (
            json!({"folderId": folder, "name": "a".repeat(64)}),
            "name: length must be at most 63",
        ),
        (
            json!({"folderId": folder, "name": "robot", "description": "d".repeat(257)}),
            "description: length must be at most 256",
        ),
        (
            json!({"folderId": folder, "name": "robot", "labels": {"Env": "x"}}),
            "labels: invalid label key",
        ),
        (
            json!({"folderId": folder, "name": "robot", "labels": {"env": "X"}}),
            "labels.env: invalid label value",
        ),
        (
            json!({"folderId": folder, "name": "robot", "labels": labels_65}),
            "labels: at most 64 labels",
        ),
        (
            json!({"folderId": folder, "name": "robot", "expiresAt": "soon"}),
            "expiresAt: invalid timestamp",
        ),
        (
            json!({"folderId": folder, "name": "robot", "expiresAt": "2106-01-01T00:00:00Z"}),
            "expiresAt: timestamp must be between",
        ),
        (
            json!({"folderId": folder, "name": "robot", "color": "red"}),
            "color: unknown field",
        ),
        (
            json!({"folderId": folder, "name": 5}),
            "name: invalid value type, expected string",
        ),
    ];
    for (body, message) in cases {
        let reply = client.post("/iam/v1/serviceAccounts", body.clone());
        assert_error(
            &reply,
            400,
            3,
            &format!("Request validation error: {message}"),
        );
    }
    let reply = client.send("POST", "/iam/v1/serviceAccounts", None, &[]);
    assert_error(&reply, 400, 3, "folderId: Field is required");
    assert!(emulator.snapshot().service_accounts.is_empty());
}

#[test]
fn accepted_variants_table() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.as_str();
    let cases = [
        json!({"folder_id": folder, "name": "snake-case-fields"}),
        json!({"folderId": folder, "name": "with-null", "description": null}),
        json!({"folderId": folder, "name": &format!("a{}", "b".repeat(62))}),
        json!({"folderId": folder, "name": "expires", "expiresAt": "2030-01-01T03:00:00+03:00"}),
    ];
    for body in cases {
        let operation = client.post("/iam/v1/serviceAccounts", body.clone()).ok();
        assert!(operation["response"]["id"].is_string(), "{body}");
    }
    let expires = emulator
        .snapshot()
        .service_accounts
        .into_iter()
        .find(|sa| sa.name == "expires")
        .unwrap();
    assert_eq!(expires.expires_at.as_deref(), Some("2030-01-01T00:00:00Z"));
}

#[test]
fn names_are_unique_per_cloud() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let seed = emulator.seed();
    client.create_account(&seed.folder_id, "robot");
    for folder in [&seed.folder_id, &seed.other_folder_id] {
        let reply = client.post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": folder, "name": "robot"}),
        );
        assert_error(
            &reply,
            409,
            6,
            &format!("Service account 'robot@{}' already exists", seed.cloud_id),
        );
    }
    let other = client.create_account(&seed.other_folder_id, "robot-2");
    let reply = client.patch(
        &format!("/iam/v1/serviceAccounts/{other}"),
        json!({"updateMask": "name", "name": "robot"}),
    );
    assert_error(&reply, 409, 6, "already exists");
    // Keeping its own name is not a conflict.
    client
        .patch(
            &format!("/iam/v1/serviceAccounts/{other}"),
            json!({"updateMask": "name", "name": "robot-2"}),
        )
        .ok();
}

#[test]
fn unknown_ids_are_not_found() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let cases = [
        (
            "GET",
            "/iam/v1/serviceAccounts/ajeunknown0000000000",
            None,
            "Service account ajeunknown0000000000 not found",
        ),
        (
            "PATCH",
            "/iam/v1/serviceAccounts/ajeunknown0000000000",
            Some(json!({"name": "abc"})),
            "not found",
        ),
        (
            "DELETE",
            "/iam/v1/serviceAccounts/ajeunknown0000000000",
            None,
            "not found",
        ),
        (
            "GET",
            "/iam/v1/serviceAccounts?folderId=b1gunknown0000000000",
            None,
            "Folder b1gunknown0000000000 not found",
        ),
        (
            "POST",
            "/iam/v1/serviceAccounts",
            Some(json!({"folderId": "b1gunknown0000000000", "name": "abc"})),
            "Folder b1gunknown0000000000 not found",
        ),
    ];
    for (method, path, body, message) in cases {
        let reply = client.send(method, path, body.as_ref(), &[]);
        assert_error(&reply, 404, 5, message);
    }
}

#[test]
fn update_validation() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let id = client.create_account(&emulator.seed().folder_id, "robot");
    let path = format!("/iam/v1/serviceAccounts/{id}");
    let cases = [
        (
            json!({"updateMask": "description", "description": "x"}),
            "name: Field is required",
        ),
        (
            json!({"updateMask": "folderId", "name": "robot"}),
            "updateMask: unknown or immutable field \"folderId\"",
        ),
        (
            json!({"name": "robot", "serviceAccountId": id}),
            "serviceAccountId: unknown field",
        ),
        (
            json!({"name": "robot", "labels": {"bad key": "x"}}),
            "labels: invalid label key",
        ),
    ];
    for (body, message) in cases {
        assert_error(&client.patch(&path, body), 400, 3, message);
    }
    // snake_case mask paths (as gRPC clients send them) are accepted.
    let operation = client
        .patch(
            &path,
            json!({"updateMask": "expires_at", "name": "robot", "expiresAt": "2031-01-01T00:00:00Z"}),
        )
        .ok();
    assert_eq!(operation["response"]["expiresAt"], "2031-01-01T00:00:00Z");
}

#[test]
fn list_pagination_and_filter() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let mut ids: Vec<String> = (0..5)
        .map(|i| client.create_account(&folder, &format!("robot-{i}")))
        .collect();
    client.create_account(&emulator.seed().other_folder_id, "elsewhere");
    ids.sort();

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .get(&format!(
                "/iam/v1/serviceAccounts?folderId={folder}&pageSize=2&pageToken={token}"
            ))
            .ok();
        pages += 1;
        for account in page["serviceAccounts"].as_array().unwrap() {
            seen.push(account["id"].as_str().unwrap().to_string());
        }
        match page.get("nextPageToken").and_then(Value::as_str) {
            Some(next) => token = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);

    let filtered = client
        .get(&format!(
            "/iam/v1/serviceAccounts?folderId={folder}&filter=name%3D%22robot-3%22"
        ))
        .ok();
    let accounts = filtered["serviceAccounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["name"], "robot-3");

    let cases = [
        (
            "pageSize=1001",
            "pageSize: value must be between 0 and 1000",
        ),
        ("pageSize=abc", "pageSize: invalid value type"),
        ("pageToken=zzz", "pageToken: invalid page token"),
        ("filter=folderId%3D%22x%22", "filter: invalid filter"),
        ("color=red", "color: unknown query parameter"),
    ];
    for (query, message) in cases {
        let reply = client.get(&format!(
            "/iam/v1/serviceAccounts?folderId={folder}&{query}"
        ));
        assert_error(&reply, 400, 3, message);
    }
    assert_error(
        &client.get("/iam/v1/serviceAccounts"),
        400,
        3,
        "folderId: Field is required",
    );
}

#[test]
fn quota_exhaustion() {
    let emulator = start_with(Config {
        quotas: Quotas {
            service_accounts: 2,
            api_keys: 1,
            ..Quotas::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let first = client.create_account(&folder, "one");
    client.create_account(&folder, "two");
    let reply = client.post(
        "/iam/v1/serviceAccounts",
        json!({"folderId": folder, "name": "three"}),
    );
    assert_error(&reply, 429, 8, "iam.serviceAccounts.count");
    client.create_api_key(&first, &[]);
    let reply = client.post("/iam/v1/apiKeys", json!({"serviceAccountId": first}));
    assert_error(&reply, 429, 8, "iam.apiKeys.count");
}

#[test]
fn delete_cascades_to_keys_and_bindings() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let id = client.create_account(&seed.folder_id, "doomed");
    let keep = client.create_account(&seed.folder_id, "keeper");
    let key = client.create_api_key(&id, &["yc.ai.languageModels.execute"]);
    let key_id = key["apiKey"]["id"].as_str().unwrap().to_string();
    let kept_key = client.create_api_key(&keep, &[]);
    let authorized = client
        .post("/iam/v1/keys", json!({"serviceAccountId": id}))
        .ok();
    let authorized_id = authorized["key"]["id"].as_str().unwrap().to_string();
    for folder in [&seed.folder_id, &seed.other_folder_id] {
        client.bind(
            folder,
            "ADD",
            "ai.languageModels.user",
            "serviceAccount",
            &id,
        );
        client.bind(
            folder,
            "ADD",
            "ai.languageModels.user",
            "serviceAccount",
            &keep,
        );
    }
    client.wait(client.delete(&format!("/iam/v1/serviceAccounts/{id}")).ok());

    assert_error(
        &client.get(&format!("/iam/v1/apiKeys/{key_id}")),
        404,
        5,
        "not found",
    );
    assert_error(
        &client.get(&format!("/iam/v1/keys/{authorized_id}")),
        404,
        5,
        "not found",
    );
    let snapshot = emulator.snapshot();
    assert_eq!(snapshot.api_keys.len(), 1);
    assert_eq!(
        snapshot.api_keys[0].id,
        kept_key["apiKey"]["id"].as_str().unwrap()
    );
    for bindings in snapshot.folder_bindings.values() {
        assert!(bindings.iter().all(|b| b.subject_id != id));
        assert!(bindings.iter().any(|b| b.subject_id == keep));
    }
}
