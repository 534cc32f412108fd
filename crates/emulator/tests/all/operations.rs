//! Operations: pending polls, failed operations, cancel, unknown ids.

use serde_json::json;
use yc_emulator::{Config, Faults};

use crate::common::{Client, assert_error, start_with};

#[test]
fn pending_operations_become_done_after_the_configured_polls() {
    let emulator = start_with(Config {
        pending_polls: 2,
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": folder, "name": "robot"}),
        )
        .ok();
    assert!(
        operation.get("done").is_none(),
        "done=false is omitted: {operation}"
    );
    assert!(operation.get("response").is_none());
    let account = operation["metadata"]["serviceAccountId"].as_str().unwrap();
    let id = operation["id"].as_str().unwrap();
    let path = format!("/operations/{id}");
    let first = client.get(&path).ok();
    assert!(first.get("done").is_none());
    let second = client.get(&path).ok();
    assert_eq!(second["done"], true);
    assert_eq!(second["response"]["id"], account);
    assert_eq!(second["metadata"], operation["metadata"]);
    assert_eq!(
        client.get(&path).ok(),
        second,
        "a done Operation stays the same"
    );
    assert_eq!(emulator.stats().count("GET /operations/{operationId}"), 3);
}

#[test]
fn slow_operation_fault_adds_polls() {
    let emulator = start_with(Config {
        pending_polls: 1,
        faults: Faults {
            slow_operation_polls: 2,
            ..Faults::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": emulator.seed().folder_id, "name": "robot"}),
        )
        .ok();
    let path = format!("/operations/{}", operation["id"].as_str().unwrap());
    let polls: Vec<bool> = (0..4)
        .map(|_| client.get(&path).ok().get("done").is_some())
        .collect();
    assert_eq!(polls, [false, false, true, true]);
}

#[test]
fn failed_operations_apply_nothing() {
    let emulator = start_with(Config {
        faults: Faults {
            rate_failed_operation: 1.0,
            ..Faults::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": folder, "name": "robot"}),
        )
        .ok();
    assert_eq!(operation["done"], true);
    assert_eq!(operation["error"]["code"], 13);
    assert!(operation.get("response").is_none());
    assert!(operation["metadata"]["serviceAccountId"].is_string());
    assert!(emulator.snapshot().service_accounts.is_empty());
    let bindings_before = emulator.snapshot().folder_bindings;
    let operation = client
        .post(
            &format!("/resource-manager/v1/folders/{folder}:updateAccessBindings"),
            json!({"accessBindingDeltas": [{"action": "ADD", "accessBinding": {"roleId": "viewer", "subject": {"id": "aje1", "type": "serviceAccount"}}}]}),
        )
        .ok();
    assert_eq!(operation["error"]["code"], 13);
    assert_eq!(emulator.snapshot().folder_bindings, bindings_before);
    assert_eq!(emulator.stats().injected_faults["failed_operation"], 2);
}

#[test]
fn cancel_and_unknown_operations() {
    let emulator = start_with(Config {
        pending_polls: 1,
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": emulator.seed().folder_id, "name": "robot"}),
        )
        .ok();
    let id = operation["id"].as_str().unwrap();
    for method in ["GET", "POST"] {
        let cancelled = client
            .send(method, &format!("/operations/{id}:cancel"), None, &[])
            .ok();
        assert_eq!(cancelled["id"], id);
        assert!(
            cancelled.get("done").is_none(),
            "cancel does not count as a poll"
        );
    }
    for path in ["/operations/ajenope", "/operations/ajenope:cancel"] {
        assert_error(&client.get(path), 404, 5, "Operation ajenope not found");
    }
}
