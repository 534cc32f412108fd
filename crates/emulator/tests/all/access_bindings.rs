//! Folders and access bindings (folder and service-account resources) over HTTP.

use serde_json::{Value, json};

use crate::common::{Client, assert_error, start, start_with};
use yc_emulator::{Config, Quotas};

fn delta(action: &str, role: &str, subject_id: &str) -> Value {
    json!({"action": action, "accessBinding": {"roleId": role, "subject": {"id": subject_id, "type": "serviceAccount"}}})
}

#[test]
fn folders_get_and_list() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let seed = emulator.seed();
    let folder = client
        .get(&format!("/resource-manager/v1/folders/{}", seed.folder_id))
        .ok();
    assert_eq!(folder["id"], seed.folder_id.as_str());
    assert_eq!(folder["cloudId"], seed.cloud_id.as_str());
    assert_eq!(folder["status"], "ACTIVE");
    let list = client
        .get(&format!(
            "/resource-manager/v1/folders?cloudId={}",
            seed.cloud_id
        ))
        .ok();
    assert_eq!(list["folders"].as_array().unwrap().len(), 2);
    let viewer = client.with_token(Some(&seed.viewer_token));
    let list = viewer
        .get(&format!(
            "/resource-manager/v1/folders?cloudId={}&pageSize=1",
            seed.cloud_id
        ))
        .ok();
    assert_eq!(list["folders"].as_array().unwrap().len(), 1);
    assert_eq!(list["nextPageToken"], "1");
    let cases = [
        (
            "/resource-manager/v1/folders",
            400,
            3,
            "cloudId: Field is required",
        ),
        (
            "/resource-manager/v1/folders?cloudId=b1gnope",
            404,
            5,
            "Cloud b1gnope not found",
        ),
        (
            "/resource-manager/v1/folders/b1gnope",
            404,
            5,
            "Folder b1gnope not found",
        ),
    ];
    for (path, status, code, message) in cases {
        assert_error(&client.get(path), status, code, message);
    }
}

#[test]
fn update_access_bindings_reports_effective_deltas() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let account = client.create_account(&folder, "robot");
    let path = format!("/resource-manager/v1/folders/{folder}:updateAccessBindings");
    // (deltas, effective deltas in the result)
    let cases: Vec<(Vec<Value>, Vec<Value>)> = vec![
        (
            vec![delta("ADD", "ai.languageModels.user", &account)],
            vec![delta("ADD", "ai.languageModels.user", &account)],
        ),
        // Adding an existing binding is a no-op.
        (
            vec![delta("ADD", "ai.languageModels.user", &account)],
            vec![],
        ),
        (
            vec![
                delta("ADD", "ai.languageModels.user", &account),
                delta("ADD", "viewer", &account),
                delta("ADD", "viewer", &account),
            ],
            vec![delta("ADD", "viewer", &account)],
        ),
        (
            vec![delta("REMOVE", "viewer", &account)],
            vec![delta("REMOVE", "viewer", &account)],
        ),
        // Removing a missing binding is a no-op.
        (vec![delta("REMOVE", "viewer", &account)], vec![]),
    ];
    for (deltas, effective) in cases {
        let operation = client
            .post(&path, json!({ "accessBindingDeltas": deltas }))
            .ok();
        assert_eq!(
            operation["metadata"],
            json!({"@type": "type.googleapis.com/yandex.cloud.access.UpdateAccessBindingsMetadata", "resourceId": folder})
        );
        let mut expected = json!({"@type": "type.googleapis.com/yandex.cloud.access.AccessBindingsOperationResult"});
        if !effective.is_empty() {
            expected["effectiveDeltas"] = json!(effective);
        }
        assert_eq!(operation["response"], expected, "deltas {deltas:?}");
    }
    let bindings = client
        .get(&format!(
            "/resource-manager/v1/folders/{folder}:listAccessBindings"
        ))
        .ok();
    let bindings = bindings["accessBindings"].as_array().unwrap().clone();
    assert_eq!(
        bindings.len(),
        3,
        "admin, viewer and the new role: {bindings:?}"
    );
    assert!(bindings.contains(&json!({"roleId": "ai.languageModels.user", "subject": {"id": account, "type": "serviceAccount"}})));
    // Numeric enum values are accepted too.
    let operation = client
        .post(
            &path,
            json!({"accessBindingDeltas": [{"action": 2, "accessBinding": {"roleId": "ai.languageModels.user", "subject": {"id": account, "type": "serviceAccount"}}}]}),
        )
        .ok();
    assert_eq!(
        operation["response"]["effectiveDeltas"][0]["action"],
        "REMOVE"
    );
}

#[test]
fn update_access_bindings_validation_table() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let path = format!("/resource-manager/v1/folders/{folder}:updateAccessBindings");
    let many: Vec<Value> = (0..1001)
        .map(|i| delta("ADD", "viewer", &format!("aje{i}")))
        .collect();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({}),
            "accessBindingDeltas: must have between 1 and 1000 items",
        ),
        (
            json!({"accessBindingDeltas": []}),
            "accessBindingDeltas: must have between 1 and 1000 items",
        ),
        (
            json!({"accessBindingDeltas": many}),
            "accessBindingDeltas: must have between 1 and 1000 items",
        ),
        (
            json!({"accessBindingDeltas": [{"accessBinding": {"roleId": "viewer", "subject": {"id": "a", "type": "userAccount"}}}]}),
            "accessBindingDeltas[0].action: Field is required",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "DROP", "accessBinding": {"roleId": "viewer", "subject": {"id": "a", "type": "userAccount"}}}]}),
            "accessBindingDeltas[0].action: invalid value",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "ADD"}]}),
            "accessBindingDeltas[0].accessBinding: Field is required",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"subject": {"id": "a", "type": "userAccount"}}}]}),
            "accessBindingDeltas[0].accessBinding.roleId: Field is required",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "r".repeat(65), "subject": {"id": "a", "type": "userAccount"}}}]}),
            "accessBindingDeltas[0].accessBinding.roleId: length must be at most 64",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "viewer"}}]}),
            "accessBindingDeltas[0].accessBinding.subject: Field is required",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "viewer", "subject": {"type": "userAccount"}}}]}),
            "accessBindingDeltas[0].accessBinding.subject.id: Field is required",
        ),
        (
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "viewer", "subject": {"id": "a", "type": "t".repeat(101)}}}]}),
            "accessBindingDeltas[0].accessBinding.subject.type: length must be at most 100",
        ),
    ];
    for (body, message) in cases {
        assert_error(
            &client.post(&path, body),
            400,
            3,
            &format!("Request validation error: {message}"),
        );
    }
    let reply = client.post(
        "/resource-manager/v1/folders/b1gnope:updateAccessBindings",
        json!({"accessBindingDeltas": [delta("ADD", "viewer", "aje1")]}),
    );
    assert_error(&reply, 404, 5, "Folder b1gnope not found");
    let reply = client.get("/resource-manager/v1/folders/:listAccessBindings");
    assert_error(&reply, 400, 3, "resourceId: Field is required");
}

#[test]
fn list_access_bindings_pages() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let deltas: Vec<Value> = (0..5)
        .map(|i| delta("ADD", "viewer", &format!("aje{i}")))
        .collect();
    client.wait(
        client
            .post(
                &format!("/resource-manager/v1/folders/{folder}:updateAccessBindings"),
                json!({ "accessBindingDeltas": deltas }),
            )
            .ok(),
    );
    let mut count = 0;
    let mut token = String::new();
    loop {
        let page = client
            .get(&format!(
                "/resource-manager/v1/folders/{folder}:listAccessBindings?pageSize=3&pageToken={token}"
            ))
            .ok();
        count += page["accessBindings"].as_array().unwrap().len();
        match page.get("nextPageToken").and_then(Value::as_str) {
            Some(next) => token = next.to_string(),
            None => break,
        }
    }
    assert_eq!(count, 7);
}

#[test]
fn set_access_bindings_replaces_everything() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let folder = seed.other_folder_id.clone();
    let admin =
        json!({"roleId": "admin", "subject": {"id": seed.admin_user_id, "type": "userAccount"}});
    let robot =
        json!({"roleId": "editor", "subject": {"id": "ajerobot", "type": "serviceAccount"}});
    let operation = client
        .post(
            &format!("/resource-manager/v1/folders/{folder}:setAccessBindings"),
            json!({"accessBindings": [admin, robot]}),
        )
        .ok();
    assert_eq!(
        operation["metadata"]["@type"],
        "type.googleapis.com/yandex.cloud.access.SetAccessBindingsMetadata"
    );
    let effective = operation["response"]["effectiveDeltas"].as_array().unwrap();
    assert_eq!(
        effective.len(),
        2,
        "viewer removed, robot added: {effective:?}"
    );
    assert!(effective.contains(&json!({"action": "ADD", "accessBinding": robot})));
    let list = client
        .get(&format!(
            "/resource-manager/v1/folders/{folder}:listAccessBindings"
        ))
        .ok();
    assert_eq!(list["accessBindings"], json!([admin, robot]));
}

#[test]
fn service_account_access_bindings() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let account = client.create_account(&seed.folder_id, "robot");
    let base = format!("/iam/v1/serviceAccounts/{account}");
    assert_eq!(
        client.get(&format!("{base}:listAccessBindings")).ok(),
        json!({})
    );
    let operation = client
        .post(
            &format!("{base}:updateAccessBindings"),
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "iam.serviceAccounts.user", "subject": {"id": seed.viewer_user_id, "type": "userAccount"}}}]}),
        )
        .ok();
    assert_eq!(
        operation["response"]["effectiveDeltas"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        client.get(&format!("{base}:listAccessBindings")).ok()["accessBindings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    client
        .post(
            &format!("{base}:setAccessBindings"),
            json!({"accessBindings": []}),
        )
        .ok();
    assert_eq!(
        client.get(&format!("{base}:listAccessBindings")).ok(),
        json!({})
    );
    assert_error(
        &client.get("/iam/v1/serviceAccounts/ajenope:listAccessBindings"),
        404,
        5,
        "Service account ajenope not found",
    );
}

#[test]
fn the_cloud_access_binding_quota_refuses_what_would_exceed_it() {
    let snapshot = start().snapshot();
    let seeded: usize = snapshot
        .folder_bindings
        .values()
        .map(Vec::len)
        .sum::<usize>()
        + snapshot.cloud_bindings.len();
    let emulator = start_with(Config {
        quotas: Quotas {
            access_bindings: seeded + 2,
            ..Quotas::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let account = client.create_account(&folder, "quota");
    let add = |role: &str| delta("ADD", role, &account);
    let path = format!("/resource-manager/v1/folders/{folder}:updateAccessBindings");
    let cases = [
        (
            "two new bindings fit",
            vec![add("viewer"), add("editor")],
            None,
        ),
        (
            "adding one that exists costs nothing",
            vec![add("viewer")],
            None,
        ),
        (
            "one more is over the quota",
            vec![add("ai.editor")],
            Some("Quota limit iam.accessBindings.count exceeded"),
        ),
    ];
    for (name, deltas, refused) in cases {
        let reply = client.post(&path, json!({ "accessBindingDeltas": deltas }));
        match refused {
            None => assert_eq!(reply.status, 200, "{name}: {}", reply.body),
            Some(message) => assert_error(&reply, 429, 8, message),
        }
    }
}
