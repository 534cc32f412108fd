//! The request hook and the created-object counters: what tests use to stop a client at
//! an exact point and to prove that nothing was created twice.

use std::sync::{Arc, Mutex};

use serde_json::json;
use yc_emulator::{Config, Faults, RequestHook};

use crate::common::{Client, start, start_with};

#[test]
fn the_hook_numbers_applied_mutations_before_their_response() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let probe = Arc::clone(&seen);
    let hook: RequestHook = Arc::new(move |number| probe.lock().unwrap().push(number));
    emulator.set_request_hook(Some(hook));

    let account = client.create_account(&folder, "hooked");
    client
        .get(&format!("/iam/v1/serviceAccounts/{account}"))
        .ok();
    let refused = client.post(
        "/iam/v1/serviceAccounts",
        json!({"folderId": folder, "name": "hooked"}),
    );
    assert_eq!(refused.status, 409);
    client.bind(&folder, "ADD", "viewer", "serviceAccount", &account);
    client.create_api_key(&account, &["yc.ai.languageModels.execute"]);

    assert_eq!(
        *seen.lock().unwrap(),
        vec![1, 2, 3],
        "reads, polls and refused requests are not numbered"
    );

    emulator.set_request_hook(None);
    client.create_account(&folder, "unhooked");
    assert_eq!(seen.lock().unwrap().len(), 3, "the hook was removed");
}

#[test]
fn the_hook_runs_after_the_change_took_effect() {
    let emulator = Arc::new(start());
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let accounts_at_hook: Arc<Mutex<Vec<usize>>> = Arc::default();
    let probe = Arc::clone(&accounts_at_hook);
    let observer = Arc::downgrade(&emulator);
    emulator.set_request_hook(Some(Arc::new(move |_| {
        if let Some(emulator) = observer.upgrade() {
            probe
                .lock()
                .unwrap()
                .push(emulator.snapshot().service_accounts.len());
        }
    })));
    client.create_account(&folder, "first");
    client.create_account(&folder, "second");
    emulator.set_request_hook(None);
    assert_eq!(*accounts_at_hook.lock().unwrap(), vec![1, 2]);
}

#[test]
fn created_counters_ignore_replays_and_failed_operations() {
    let emulator = start_with(Config {
        faults: Faults {
            rate_failed_operation: 1.0,
            ..Faults::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let folder = emulator.seed().folder_id.clone();
    let failed = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": folder, "name": "never"}),
        )
        .ok();
    assert!(client.wait(failed).get("error").is_some());
    assert_eq!(emulator.stats().created("service_account"), 0);
    emulator.set_faults(Faults::default());

    let account = client.create_account(&folder, "counted");
    let key_request = json!({"serviceAccountId": account});
    let headers = [("Idempotency-Key", "5f0c7a52-1c1e-4a57-9d0a-0a2b7b7f0c11")];
    for _ in 0..2 {
        client
            .send("POST", "/iam/v1/apiKeys", Some(&key_request), &headers)
            .ok();
    }
    for _ in 0..2 {
        client.bind(&folder, "ADD", "viewer", "serviceAccount", &account);
    }
    let stats = emulator.stats();
    let created = |kind| stats.created(kind);
    assert_eq!(
        (
            created("service_account"),
            created("api_key"),
            created("access_binding")
        ),
        (1, 1, 1),
        "{stats:?}"
    );
    assert_eq!(emulator.snapshot().api_keys.len(), 1);
}
