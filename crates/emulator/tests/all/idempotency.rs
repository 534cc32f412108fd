//! The Idempotency-Key header: a repeated key replays the first result.

use serde_json::json;
use yc_emulator::Config;

use crate::common::{Client, start, start_with};

#[test]
fn repeated_keys_return_the_first_operation() {
    let emulator = start_with(Config {
        pending_polls: 1,
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let body = json!({"folderId": folder, "name": "robot"});
    let key = [("Idempotency-Key", "3f1b7c52-0d5e-4c4e-9a51-1f0f5d1f8e11")];
    let first = client
        .send("POST", "/iam/v1/serviceAccounts", Some(&body), &key)
        .ok();
    let second = client
        .send("POST", "/iam/v1/serviceAccounts", Some(&body), &key)
        .ok();
    assert_eq!(first, second, "same Operation, no ALREADY_EXISTS");
    client.wait(first.clone());
    let third = client
        .send("POST", "/iam/v1/serviceAccounts", Some(&body), &key)
        .ok();
    assert_eq!(third["id"], first["id"]);
    assert_eq!(third["done"], true, "the replay shows the current status");
    assert_eq!(emulator.snapshot().service_accounts.len(), 1);

    let other_key = [("Idempotency-Key", "another")];
    let reply = client.send("POST", "/iam/v1/serviceAccounts", Some(&body), &other_key);
    assert_eq!(reply.status, 409, "a new key executes again");

    let account = first["metadata"]["serviceAccountId"].as_str().unwrap();
    let delete_key = [("Idempotency-Key", "delete-1")];
    let path = format!("/iam/v1/serviceAccounts/{account}");
    let deleted = client.send("DELETE", &path, None, &delete_key).ok();
    let again = client.send("DELETE", &path, None, &delete_key).ok();
    assert_eq!(
        again["id"], deleted["id"],
        "no NOT_FOUND on a retried delete"
    );
}

#[test]
fn repeated_keys_return_the_first_api_key() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let account = client.create_account(&emulator.seed().folder_id, "robot");
    let body = json!({"serviceAccountId": account, "scopes": ["yc.postbox.send"]});
    let key = [("Idempotency-Key", "key-create-1")];
    let first = client
        .send("POST", "/iam/v1/apiKeys", Some(&body), &key)
        .ok();
    let second = client
        .send("POST", "/iam/v1/apiKeys", Some(&body), &key)
        .ok();
    assert_eq!(first, second);
    assert_eq!(emulator.snapshot().api_keys.len(), 1);
    client.post("/iam/v1/apiKeys", body).ok();
    assert_eq!(emulator.snapshot().api_keys.len(), 2);
}
