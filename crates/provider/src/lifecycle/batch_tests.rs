//! Unit tests of `read_many` and `apply_many` against the scripted fake platform:
//! folder IAM members share requests per folder, every change keeps its own outcome.

use serde_json::{Value, json};

use super::*;
use crate::testing::FakePlatform;

const SA: &str = "yandex_iam_service_account";
const MEMBER: &str = "yandex_resourcemanager_folder_iam_member";

const UPDATE_A: &str = "POST /resource-manager/v1/folders/b1ga:updateAccessBindings";
const UPDATE_B: &str = "POST /resource-manager/v1/folders/b1gb:updateAccessBindings";

fn member(folder: &str, role: &str, account: &str) -> Value {
    json!({"id": format!("{folder}/{role}/serviceAccount:{account}"), "folder_id": folder,
           "role": role, "member": format!("serviceAccount:{account}"), "sleep_after": null})
}

fn binding(role: &str, account: &str) -> Value {
    json!({"roleId": role, "subject": {"id": account, "type": "serviceAccount"}})
}

fn delta(action: &str, role: &str, account: &str) -> Value {
    json!({"action": action, "accessBinding": binding(role, account)})
}

fn done(fake: &FakePlatform) {
    fake.reply_done("op", json!({}), json!({"effectiveDeltas": []}));
}

fn apply_many(
    fake: &FakePlatform,
    type_name: &str,
    changes: &[(Option<Value>, Option<Value>)],
) -> Vec<(Option<Value>, Vec<String>)> {
    let texts: Vec<(Option<String>, Option<String>)> = changes
        .iter()
        .map(|(prior, planned)| {
            (
                prior.as_ref().map(Value::to_string),
                planned.as_ref().map(Value::to_string),
            )
        })
        .collect();
    let pairs: Vec<(Option<&str>, Option<&str>)> = texts
        .iter()
        .map(|(prior, planned)| (prior.as_deref(), planned.as_deref()))
        .collect();
    Provider::new()
        .apply_many(fake, type_name, &pairs)
        .into_iter()
        .map(outcome)
        .collect()
}

fn read_many(
    fake: &FakePlatform,
    type_name: &str,
    states: &[Value],
) -> Vec<(Option<Value>, Vec<String>)> {
    let texts: Vec<String> = states.iter().map(Value::to_string).collect();
    let states: Vec<&str> = texts.iter().map(String::as_str).collect();
    Provider::new()
        .read_many(fake, type_name, &states)
        .into_iter()
        .map(outcome)
        .collect()
}

fn outcome(result: StateResult) -> (Option<Value>, Vec<String>) {
    let state = result
        .state
        .map(|text| serde_json::from_str(&text).unwrap());
    let summaries = result.diagnostics.into_iter().map(|d| d.summary).collect();
    (state, summaries)
}

#[test]
fn only_member_and_binding_types_are_marked_as_batch_types() {
    let schema: Value = serde_json::from_str(&Provider::new().schema()).unwrap();
    for (type_name, resource) in schema["resources"].as_object().unwrap() {
        let expected = if type_name.ends_with("_iam_member") || type_name.ends_with("_iam_binding")
        {
            json!(true)
        } else {
            Value::Null
        };
        assert_eq!(resource["batch"], expected, "{type_name}");
        let read_together = type_name == "yandex_iam_service_account";
        assert_eq!(
            resource["read_batch"] == json!(true),
            read_together,
            "{type_name}"
        );
    }
}

#[test]
fn members_applied_together_share_one_request_per_folder() {
    let fake = FakePlatform::new();
    done(&fake);
    done(&fake);
    let mut slow = member("b1ga", "viewer", "aje1");
    slow["sleep_after"] = json!(3);
    let mut slower = member("b1ga", "editor", "aje1");
    slower["sleep_after"] = json!(7);
    let mut unknown_member = member("b1ga", "auditor", "aje1");
    unknown_member["member"] = json!({"$unknown": true});
    let changes = [
        (None, Some(slow.clone())),
        (Some(member("b1ga", "admin", "aje2")), None),
        (None, Some(member("b1gb", "viewer", "aje3"))),
        (None, Some(slower.clone())),
        (
            Some(member("b1gb", "viewer", "aje4")),
            Some(member("b1gb", "viewer", "aje4")),
        ),
        (None, Some(unknown_member)),
        (None, None),
    ];
    let results = apply_many(&fake, MEMBER, &changes);
    assert_eq!(
        results,
        vec![
            (Some(slow), vec![]),
            (None, vec![]),
            (Some(member("b1gb", "viewer", "aje3")), vec![]),
            (Some(slower), vec![]),
            (Some(member("b1gb", "viewer", "aje4")), vec![]),
            (None, vec!["Value unknown at apply".to_owned()]),
            (None, vec![]),
        ]
    );
    assert_eq!(fake.request_lines(), vec![UPDATE_A, UPDATE_B]);
    assert_eq!(
        fake.request_body(0)["accessBindingDeltas"],
        json!([
            delta("ADD", "viewer", "aje1"),
            delta("REMOVE", "admin", "aje2"),
            delta("ADD", "editor", "aje1")
        ])
    );
    assert_eq!(
        fake.request_body(1)["accessBindingDeltas"],
        json!([delta("ADD", "viewer", "aje3")])
    );
    assert_eq!(
        fake.sleeps(),
        vec![7000],
        "one wait, the longest sleep_after"
    );
}

#[test]
fn more_than_a_thousand_deltas_are_split_into_requests_of_a_thousand() {
    let fake = FakePlatform::new();
    done(&fake);
    done(&fake);
    let changes: Vec<(Option<Value>, Option<Value>)> = (0..1001)
        .map(|index| (None, Some(member("b1ga", &format!("role{index}"), "aje1"))))
        .collect();
    let results = apply_many(&fake, MEMBER, &changes);
    assert!(
        results
            .iter()
            .all(|(state, diagnostics)| state.is_some() && diagnostics.is_empty())
    );
    assert_eq!(fake.request_lines(), vec![UPDATE_A, UPDATE_A]);
    let sizes: Vec<usize> = (0..2)
        .map(|index| {
            fake.request_body(index)["accessBindingDeltas"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, vec![1000, 1]);
}

#[test]
fn a_refused_batch_is_halved_until_only_the_offending_deltas_fail() {
    let fake = FakePlatform::new();
    fake.reply_error(400, 3, "Subject aje-bad not found");
    fake.reply_error(400, 3, "Subject aje-bad not found");
    done(&fake);
    fake.reply_error(400, 3, "Subject aje-bad not found");
    done(&fake);
    let changes: Vec<(Option<Value>, Option<Value>)> = ["aje1", "aje-bad", "aje3", "aje4"]
        .iter()
        .map(|account| (None, Some(member("b1ga", "viewer", account))))
        .collect();
    let results = apply_many(&fake, MEMBER, &changes);
    let created: Vec<bool> = results.iter().map(|(state, _)| state.is_some()).collect();
    assert_eq!(created, vec![true, false, true, true]);
    assert!(
        results[1].1[0].starts_with(
            "Cannot grant role \"viewer\" on folder b1ga to serviceAccount:aje-bad: INVALID_ARGUMENT"
        ),
        "{:?}",
        results[1].1
    );
    let sizes: Vec<usize> = (0..5)
        .map(|index| {
            fake.request_body(index)["accessBindingDeltas"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, vec![4, 2, 1, 1, 2]);
}

#[test]
fn a_batch_refused_for_the_whole_folder_fails_every_change_once() {
    let cases = [
        // (HTTP status, gRPC code, outcome of a create, outcome of a delete)
        (403, 7, false, Some(member("b1ga", "admin", "aje2"))),
        (404, 5, false, None),
    ];
    for (status, code, created, kept) in cases {
        let fake = FakePlatform::new();
        for _ in 0..3 {
            fake.reply_error(status, code, "refused");
        }
        let changes = [
            (None, Some(member("b1ga", "viewer", "aje1"))),
            (Some(member("b1ga", "admin", "aje2")), None),
        ];
        let results = apply_many(&fake, MEMBER, &changes);
        assert_eq!(results[0].0.is_some(), created, "status {status}");
        assert_eq!(results[0].1.len(), 1, "status {status}");
        assert_eq!(results[1].0, kept, "status {status}");
        let expected_requests = if code == 5 { 3 } else { 1 };
        assert_eq!(
            fake.request_lines().len(),
            expected_requests,
            "status {status}"
        );
    }
}

#[test]
fn members_read_together_list_each_folder_once() {
    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"accessBindings": [binding("viewer", "aje1")], "nextPageToken": "page2"}),
    );
    fake.reply(200, json!({"accessBindings": [binding("editor", "aje1")]}));
    fake.reply_error(404, 5, "Folder b1gb not found");
    fake.reply_error(403, 7, "Permission denied");
    let mut invalid = member("b1ga", "viewer", "aje1");
    invalid["member"] = json!("nobody");
    let states = [
        member("b1ga", "viewer", "aje1"),
        member("b1gb", "viewer", "aje1"),
        member("b1ga", "editor", "aje1"),
        member("b1gc", "viewer", "aje1"),
        member("b1ga", "admin", "aje1"),
        invalid,
    ];
    let results = read_many(&fake, MEMBER, &states);
    assert_eq!(results[0], (Some(states[0].clone()), vec![]));
    assert_eq!(results[1], (None, vec![]));
    assert_eq!(results[2], (Some(states[2].clone()), vec![]));
    assert_eq!(results[3].0, Some(states[3].clone()));
    assert!(
        results[3].1[0]
            .starts_with("Cannot list access bindings of folder b1gc: PERMISSION_DENIED"),
        "{:?}",
        results[3].1
    );
    assert_eq!(results[4], (None, vec![]));
    assert_eq!(
        results[5],
        (
            None,
            vec!["Folder IAM member removed from state".to_owned()]
        )
    );
    let lines = fake.request_lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0]
            .starts_with("GET /resource-manager/v1/folders/b1ga:listAccessBindings?pageSize=1000")
    );
    assert!(lines[1].contains("pageToken=page2"), "{lines:?}");
    assert!(lines[2].starts_with("GET /resource-manager/v1/folders/b1gb:listAccessBindings"));
    assert!(lines[3].starts_with("GET /resource-manager/v1/folders/b1gc:listAccessBindings"));
}

#[test]
fn other_types_are_read_and_applied_one_by_one() {
    // Accounts alone in their folders: a read each (a list would cost as much).
    let folder = |id: &str| format!("b1g{id}");
    let account = |id: &str| {
        json!({"id": id, "name": format!("robot-{id}"), "folder_id": folder(id), "description": null,
               "labels": null, "created_at": "2030-01-01T00:00:00Z"})
    };
    let fake = FakePlatform::new();
    for id in ["aje1", "aje2"] {
        fake.reply(
            200,
            json!({"id": id, "folderId": folder(id), "name": format!("robot-{id}"),
                               "createdAt": "2030-01-01T00:00:00Z"}),
        );
    }
    let results = read_many(&fake, SA, &[account("aje1"), account("aje2")]);
    assert_eq!(
        results,
        vec![
            (Some(account("aje1")), vec![]),
            (Some(account("aje2")), vec![])
        ]
    );
    assert_eq!(
        fake.request_lines(),
        vec![
            "GET /iam/v1/serviceAccounts/aje1",
            "GET /iam/v1/serviceAccounts/aje2"
        ]
    );

    let fake = FakePlatform::new();
    let results = apply_many(
        &fake,
        "yandex_nothing",
        &[(Some(account("aje1")), None), (None, None)],
    );
    assert_eq!(results[0].0, Some(account("aje1")));
    assert_eq!(results[0].1, vec!["Unsupported resource type".to_owned()]);
    assert_eq!(results[1].1, vec!["Unsupported resource type".to_owned()]);
    assert!(fake.requests().is_empty());
}

fn account(id: &str, folder: &str) -> Value {
    json!({"id": id, "name": format!("sa-{id}"), "folder_id": folder, "description": "",
           "labels": null, "created_at": "2030-01-01T00:00:00Z"})
}

fn wire_account(id: &str, folder: &str) -> Value {
    json!({"id": id, "folderId": folder, "name": format!("sa-{id}"), "createdAt": "2030-01-01T00:00:00Z"})
}

#[test]
fn accounts_of_one_folder_are_read_with_one_list_and_missing_ones_one_by_one() {
    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"serviceAccounts": [wire_account("aje1", "b1ga"), wire_account("aje2", "b1ga")]}),
    );
    fake.reply(200, wire_account("aje3", "b1ga"));
    fake.reply_error(404, 5, "Service account aje4 not found");
    fake.reply(200, wire_account("aje9", "b1gb"));
    let states = [
        account("aje1", "b1ga"),
        account("aje2", "b1ga"),
        account("aje3", "b1ga"),
        account("aje4", "b1ga"),
        account("aje9", "b1gb"),
    ];
    let results = read_many(&fake, SA, &states);
    let ids: Vec<Option<Value>> = results
        .iter()
        .map(|(state, _)| state.as_ref().map(|s| s["id"].clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            Some(json!("aje1")),
            Some(json!("aje2")),
            Some(json!("aje3")),
            None,
            Some(json!("aje9"))
        ]
    );
    assert_eq!(
        fake.request_lines(),
        [
            "GET /iam/v1/serviceAccounts?folderId=b1ga&pageSize=1000",
            "GET /iam/v1/serviceAccounts/aje3",
            "GET /iam/v1/serviceAccounts/aje4",
            "GET /iam/v1/serviceAccounts/aje9",
        ],
        "one list for the folder holding several, a read for what it lacks and for a lone account"
    );
}
