//! Batched folder IAM members against the emulator: many members of one folder are
//! granted, read and revoked with a handful of requests, not one per member.

use serde_json::{Value, json};
use yc_emulator::{Config, Quotas};
use ycprov_provider::iam::Iam;
use ycprov_provider::lifecycle::Provider;
use ycprov_provider::model::AccountSpec;

use crate::emulator_platform::EmulatorPlatform;

const MEMBER: &str = "yandex_resourcemanager_folder_iam_member";

/// More members than one request or one list page holds.
const MEMBERS: usize = 1500;

fn count(platform: &EmulatorPlatform, suffix: &str) -> usize {
    let sent = platform.sent.borrow();
    sent.iter().filter(|line| line.ends_with(suffix)).count()
}

#[test]
fn many_members_of_one_folder_take_a_few_requests() {
    let platform = EmulatorPlatform::start(Config {
        pending_polls: 1,
        quotas: Quotas {
            access_bindings: 10_000,
            ..Quotas::default()
        },
        ..Config::default()
    });
    let folder = platform.folder_id();
    let account = Iam::new(&platform)
        .create_account(&AccountSpec {
            folder_id: folder.clone(),
            name: "batch-robot".to_owned(),
            ..AccountSpec::default()
        })
        .expect("account created");
    let member = format!("serviceAccount:{}", account.id);
    let provider = Provider::new();

    let planned: Vec<String> = (0..MEMBERS)
        .map(|index| {
            let role = format!("batch.role{index}");
            json!({"id": format!("{folder}/{role}/{member}"), "folder_id": folder, "role": role,
                   "member": member, "sleep_after": null})
            .to_string()
        })
        .collect();
    let creates: Vec<(Option<&str>, Option<&str>)> = planned
        .iter()
        .map(|state| (None, Some(state.as_str())))
        .collect();
    platform.sent.borrow_mut().clear();
    let created = provider.apply_many(&platform, MEMBER, &creates);
    assert!(created.iter().all(|result| result.diagnostics.is_empty()));
    let states: Vec<&str> = created
        .iter()
        .map(|result| result.state.as_deref().expect("created"))
        .collect();
    for (state, planned) in states.iter().zip(&planned) {
        assert_eq!(
            serde_json::from_str::<Value>(state).unwrap(),
            serde_json::from_str::<Value>(planned).unwrap()
        );
    }
    assert_eq!(
        count(&platform, ":updateAccessBindings"),
        2,
        "1000 + 500 deltas"
    );
    let bindings = &platform.emulator.snapshot().folder_bindings[&folder];
    assert_eq!(
        bindings
            .iter()
            .filter(|b| b.role_id.starts_with("batch.role"))
            .count(),
        MEMBERS
    );

    platform.sent.borrow_mut().clear();
    let read = provider.read_many(&platform, MEMBER, &states);
    assert!(read.iter().all(|result| result.diagnostics.is_empty()));
    let unchanged: Vec<Option<&str>> = read.iter().map(|r| r.state.as_deref()).collect();
    assert_eq!(
        unchanged,
        states.iter().map(|s| Some(*s)).collect::<Vec<_>>()
    );
    assert_eq!(
        count(&platform, ":listAccessBindings"),
        2,
        "one paged list of the folder: {:?}",
        platform.sent.borrow()
    );

    let deletes: Vec<(Option<&str>, Option<&str>)> =
        states.iter().map(|state| (Some(*state), None)).collect();
    platform.sent.borrow_mut().clear();
    let deleted = provider.apply_many(&platform, MEMBER, &deletes);
    assert!(
        deleted
            .iter()
            .all(|result| result.state.is_none() && result.diagnostics.is_empty())
    );
    assert_eq!(count(&platform, ":updateAccessBindings"), 2);
    let gone = provider.read_many(&platform, MEMBER, &states);
    assert!(gone.iter().all(|result| result.state.is_none()));
}
