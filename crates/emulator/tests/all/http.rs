//! HTTP-level behaviour: request ids, unknown routes, malformed bodies, endpoint discovery,
//! counters, the emulator's own endpoints, the record file.

use serde_json::{Value, json};
use yc_emulator::Config;

use crate::common::{Client, assert_error, start, start_with};

#[test]
fn every_response_has_a_request_id() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let replies = [
        client.get("/_emulator/stats"),
        client.get("/iam/v1/serviceAccounts/ajenope"),
        client.get("/nothing/here"),
        client.send("PUT", "/iam/v1/serviceAccounts", None, &[]),
    ];
    let mut ids: Vec<String> = replies
        .iter()
        .map(|r| r.header("x-request-id").expect("x-request-id").to_string())
        .collect();
    assert!(ids.iter().all(|id| id.len() == 36));
    ids.dedup();
    assert_eq!(ids.len(), 4, "a new id per request");
    assert_error(
        &replies[2],
        404,
        5,
        "Method GET /nothing/here is not served",
    );
    assert_error(&replies[3], 404, 5, "is not served");
}

#[test]
fn malformed_bodies_are_invalid_arguments() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let cases: Vec<(&str, &str)> = vec![
        ("{not json", "the request body is not valid JSON"),
        ("[1, 2]", "the request body must be a JSON object"),
        ("\"text\"", "the request body must be a JSON object"),
    ];
    for (body, message) in cases {
        let reply = client
            .try_send_raw("POST", "/iam/v1/serviceAccounts", body)
            .unwrap();
        assert_error(&reply, 400, 3, message);
    }
}

#[test]
fn endpoint_discovery_points_back_here() {
    let emulator = start();
    let anonymous = Client::admin(&emulator).with_token(None);
    let address = emulator
        .base_url()
        .trim_start_matches("http://")
        .to_string();
    let list = anonymous.get("/endpoints").ok();
    let endpoints = list["endpoints"].as_array().unwrap();
    for id in [
        "iam",
        "resource-manager",
        "resourcemanager",
        "operation",
        "endpoint",
    ] {
        assert!(
            endpoints.contains(&json!({"id": id, "address": address})),
            "{id} in {endpoints:?}"
        );
    }
    assert_eq!(
        anonymous.get("/endpoints/iam").ok(),
        json!({"id": "iam", "address": address})
    );
    assert_error(
        &anonymous.get("/endpoints/compute"),
        404,
        5,
        "Endpoint compute not found",
    );
}

#[test]
fn stats_and_state_endpoints() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let account = client.create_account(&emulator.seed().folder_id, "robot");
    client
        .get(&format!("/iam/v1/serviceAccounts/{account}"))
        .ok();
    client
        .get(&format!("/iam/v1/serviceAccounts/{account}"))
        .ok();
    client.get("/nowhere");
    let anonymous = client.with_token(None);
    let stats = anonymous.get("/_emulator/stats").ok();
    assert_eq!(stats["requests"]["POST /iam/v1/serviceAccounts"], 1);
    assert_eq!(
        stats["requests"]["GET /iam/v1/serviceAccounts/{serviceAccountId}"],
        2
    );
    assert_eq!(stats["requests"]["GET (unknown)"], 1);
    assert_eq!(stats["total_requests"], 4);
    assert_eq!(serde_json::to_value(emulator.stats()).unwrap(), stats);

    client.create_api_key(&account, &[]);
    let state = anonymous.get("/_emulator/state").ok();
    assert_eq!(state, serde_json::to_value(emulator.snapshot()).unwrap());
    assert_eq!(state["service_accounts"][0]["name"], "robot");
    let text = state.to_string();
    for secret in emulator.issued_secrets() {
        assert!(!text.contains(&secret), "the state shows no secret");
    }
}

#[test]
fn exchanges_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.jsonl");
    let emulator = start_with(Config {
        record_file: Some(path.clone()),
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    client.create_account(&folder, "robot");
    client.get(&format!(
        "/iam/v1/serviceAccounts?folderId={folder}&pageSize=5"
    ));
    client.get("/_emulator/stats");
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "/_emulator/* is not recorded");
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["path"], "/iam/v1/serviceAccounts");
    assert_eq!(lines[0]["request_body"]["name"], "robot");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["response_body"]["done"], true);
    assert_eq!(lines[1]["query"], format!("folderId={folder}&pageSize=5"));
    assert_eq!(lines[1]["request_body"], Value::Null);
}
