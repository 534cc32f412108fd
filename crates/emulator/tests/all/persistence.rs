//! The state file: a persisted cloud survives restarts with its resources and tokens.

use serde_json::json;
use yc_emulator::Config;

use crate::common::{Client, start_with};

#[test]
fn state_round_trips_through_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cloud.json");
    let config = |seed| Config {
        seed,
        pending_polls: 1,
        state_file: Some(path.clone()),
        ..Config::default()
    };

    let emulator = start_with(config(5));
    let client = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let account = client.create_account(&seed.folder_id, "robot");
    client.bind(
        &seed.folder_id,
        "ADD",
        "ai.languageModels.user",
        "serviceAccount",
        &account,
    );
    let key = client.create_api_key(&account, &["yc.ai.languageModels.execute"]);
    let exchanged = client
        .with_token(None)
        .post(
            "/iam/v1/tokens",
            json!({"yandexPassportOauthToken": seed.oauth_token}),
        )
        .ok()["iamToken"]
        .as_str()
        .unwrap()
        .to_string();
    let pending = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": seed.folder_id, "name": "pending"}),
        )
        .ok();
    let snapshot = emulator.snapshot();
    let secrets = emulator.issued_secrets();
    emulator.shutdown();

    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["cloud.json"], "no temporary file is left behind");

    // Another seed does not matter: the file wins.
    let emulator = start_with(config(99));
    assert!(*emulator.seed() == seed, "tokens and ids are kept");
    assert_eq!(emulator.snapshot(), snapshot);
    assert_eq!(emulator.issued_secrets(), secrets);
    let client = Client::admin(&emulator);
    let key_id = key["apiKey"]["id"].as_str().unwrap();
    assert_eq!(
        client.get(&format!("/iam/v1/apiKeys/{key_id}")).ok(),
        key["apiKey"]
    );
    client
        .with_token(Some(&exchanged))
        .get(&format!("/iam/v1/serviceAccounts/{account}"))
        .ok();
    let finished = client.wait(pending);
    assert_eq!(finished["response"]["name"], "pending");
    let newer = client.create_account(&seed.folder_id, "after-restart");
    assert!(snapshot.service_accounts.iter().all(|sa| sa.id != newer));
    emulator.shutdown();

    let emulator = start_with(config(5));
    assert_eq!(emulator.snapshot().service_accounts.len(), 3);
}

#[test]
fn a_broken_state_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cloud.json");
    std::fs::write(&path, "{not json").unwrap();
    let error = yc_emulator::Emulator::start(Config {
        state_file: Some(path),
        ..Config::default()
    })
    .err()
    .expect("refuses to start");
    assert!(format!("{error:#}").contains("parsing emulator state file"));
}
