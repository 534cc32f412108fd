//! Unit tests of the IAM client against the scripted fake platform.

use serde_json::{Value, json};

use super::*;
use crate::platform::TransportError;
use crate::testing::FakePlatform;

const FOLDER: &str = "b1gfolder";

fn sa_json(id: &str, name: &str) -> Value {
    json!({"id": id, "folderId": FOLDER, "name": name, "createdAt": "2030-01-01T00:00:00Z"})
}

fn sa_metadata(id: &str) -> Value {
    json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.CreateServiceAccountMetadata", "serviceAccountId": id})
}

fn spec(name: &str) -> AccountSpec {
    AccountSpec {
        folder_id: FOLDER.to_owned(),
        name: name.to_owned(),
        description: Some("for AI Studio".to_owned()),
        labels: vec![("team".to_owned(), "ml".to_owned())],
    }
}

fn subject(id: &str) -> Subject {
    Subject {
        kind: "serviceAccount".to_owned(),
        id: id.to_owned(),
    }
}

fn delta(action: BindingAction, role: &str, id: &str) -> BindingDelta {
    BindingDelta {
        action,
        binding: AccessBinding {
            role_id: role.to_owned(),
            subject: subject(id),
        },
    }
}

#[test]
fn create_account_waits_for_the_operation() {
    let fake = FakePlatform::new();
    fake.reply_pending("op1", sa_metadata("aje1"))
        .reply_pending("op1", sa_metadata("aje1"))
        .reply_done("op1", sa_metadata("aje1"), sa_json("aje1", "robot"));
    let account = Iam::new(&fake).create_account(&spec("robot")).unwrap();
    assert_eq!(account.id, "aje1");
    assert_eq!(account.name, "robot");
    assert_eq!(
        fake.request_lines(),
        vec![
            "POST /iam/v1/serviceAccounts",
            "GET /operations/op1",
            "GET /operations/op1"
        ]
    );
    assert_eq!(
        fake.request_body(0),
        json!({"folderId": FOLDER, "name": "robot", "description": "for AI Studio", "labels": {"team": "ml"}})
    );
    assert!(fake.requests()[0].header("idempotency-key").is_some());
    assert_eq!(fake.requests()[1].header("idempotency-key"), None);
}

#[test]
fn create_account_reads_the_account_when_the_operation_has_no_response() {
    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"id": "op1", "done": true, "metadata": sa_metadata("aje1")}),
    )
    .reply(200, sa_json("aje1", "robot"));
    let account = Iam::new(&fake).create_account(&spec("robot")).unwrap();
    assert_eq!(account.id, "aje1");
    assert_eq!(
        fake.request_lines(),
        vec![
            "POST /iam/v1/serviceAccounts",
            "GET /iam/v1/serviceAccounts/aje1"
        ]
    );
}

#[test]
fn create_account_adopts_after_a_retried_already_exists() {
    let fake = FakePlatform::new();
    fake.fail(TransportError::Timeout)
        .reply_error(409, 6, "Service account 'robot@b1gcloud' already exists")
        .reply(200, json!({"serviceAccounts": [sa_json("aje1", "robot")]}));
    let account = Iam::new(&fake).create_account(&spec("robot")).unwrap();
    assert_eq!(account.id, "aje1");
    let lines = fake.request_lines();
    assert_eq!(
        lines[2],
        "GET /iam/v1/serviceAccounts?folderId=b1gfolder&filter=name%3D%22robot%22&pageSize=1000"
    );
    let keys: Vec<_> = fake.requests()[..2]
        .iter()
        .map(|request| request.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys[0], keys[1]);
}

#[test]
fn create_account_already_exists_cases() {
    struct Case {
        name: &'static str,
        retried: bool,
        listed: Value,
    }
    let cases = [
        Case {
            name: "first attempt conflict is final",
            retried: false,
            listed: Value::Null,
        },
        Case {
            name: "retried but not in this folder",
            retried: true,
            listed: json!({"serviceAccounts": []}),
        },
        Case {
            name: "retried but the name lives in another folder",
            retried: true,
            listed: json!({"serviceAccounts": [{"id": "aje9", "folderId": "other", "name": "robot"}]}),
        },
    ];
    for case in cases {
        let fake = FakePlatform::new();
        if case.retried {
            fake.reply_error(503, 14, "unavailable");
        }
        fake.reply_error(409, 6, "Service account 'robot@b1gcloud' already exists");
        if !case.listed.is_null() {
            fake.reply(200, case.listed.clone());
        }
        let error = Iam::new(&fake).create_account(&spec("robot")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ALREADY_EXISTS: Service account 'robot@b1gcloud' already exists (request id req-err)",
            "{}",
            case.name
        );
        assert_eq!(fake.pending_responses(), 0, "{}", case.name);
    }
}

#[test]
fn create_account_failure_reports_whether_the_account_may_exist() {
    let fake = FakePlatform::new();
    fake.reply_pending("op1", sa_metadata("aje1"));
    for _ in 0..400 {
        fake.reply_pending("op1", sa_metadata("aje1"));
    }
    let failure = Iam::new(&fake)
        .create_account_tracked(&spec("robot"))
        .unwrap_err();
    assert_eq!(failure.error, Error::OperationTimeout("op1".to_owned()));
    assert_eq!(failure.account_id.as_deref(), Some("aje1"));

    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"id": "op1", "done": true, "metadata": sa_metadata("aje1"),
        "error": {"code": 8, "message": "Quota limit iam.serviceAccounts.count exceeded"}}),
    );
    let failure = Iam::new(&fake)
        .create_account_tracked(&spec("robot"))
        .unwrap_err();
    assert_eq!(
        failure.error.to_string(),
        "RESOURCE_EXHAUSTED: Quota limit iam.serviceAccounts.count exceeded (operation op1)"
    );
    assert_eq!(failure.account_id, None);
}

#[test]
fn invalid_input_is_rejected_before_sending() {
    let fake = FakePlatform::new();
    let iam = Iam::new(&fake);
    let long = "d".repeat(257);
    let cases: Vec<(Result<(), Error>, &str)> = vec![
        (
            iam.create_account(&spec("Robot")).map(drop),
            "name: must start with a lowercase Latin letter",
        ),
        (
            iam.create_account(&AccountSpec {
                description: Some(long.clone()),
                ..spec("robot")
            })
            .map(drop),
            "description: must be at most 256 characters long, got 257",
        ),
        (
            iam.create_account(&AccountSpec {
                folder_id: String::new(),
                ..spec("robot")
            })
            .map(drop),
            "folder_id: must not be empty",
        ),
        (
            iam.create_account(&AccountSpec {
                labels: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
                ..spec("robot")
            })
            .map(drop),
            "labels.a: duplicate label key",
        ),
        (
            iam.bind_role(FOLDER, "", &subject("aje1")),
            "role_id: must not be empty",
        ),
        (
            iam.bind_role(
                FOLDER,
                "viewer",
                &Subject {
                    kind: "robot".into(),
                    id: "x".into(),
                },
            ),
            "subject.kind: subject type \"robot\" is not one of serviceAccount, userAccount, federatedUser, group, system",
        ),
        (
            iam.update_folder_bindings(FOLDER, &[delta(BindingAction::Add, "viewer", "")])
                .map(drop),
            "deltas[0].subject.id: must not be empty",
        ),
        (
            iam.create_key(&KeySpec {
                service_account_id: "aje1".into(),
                scopes: vec!["a".into(), "a".into()],
                ..KeySpec::default()
            })
            .map(drop),
            "scopes[1]: duplicate scope \"a\"",
        ),
        (
            iam.create_key(&KeySpec {
                service_account_id: "aje1".into(),
                expires_at: Some("next week".into()),
                ..KeySpec::default()
            })
            .map(drop),
            "expires_at: \"next week\" is not an RFC3339 timestamp such as 2030-01-31T12:00:00Z",
        ),
        (
            iam.update_key(
                "k1",
                &KeyUpdate {
                    scopes: Some(vec![]),
                    ..KeyUpdate::default()
                },
            )
            .map(drop),
            "scopes: at least one scope is required",
        ),
        (iam.get_account("").map(drop), "id: must not be empty"),
        (
            iam.find_account_by_name(FOLDER, "x\"").map(drop),
            "name: must be 3-63 characters long, got 2",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(result, Err(Error::InvalidInput(expected.to_owned())));
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn list_accounts_follows_pages() {
    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"serviceAccounts": [sa_json("a1", "one")], "nextPageToken": "t2"}),
    )
    .reply(
        200,
        json!({"serviceAccounts": [sa_json("a2", "two")], "nextPageToken": ""}),
    );
    let accounts = Iam::new(&fake).list_accounts(FOLDER).unwrap();
    let ids: Vec<_> = accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["a1", "a2"]);
    assert_eq!(
        fake.request_lines(),
        vec![
            "GET /iam/v1/serviceAccounts?folderId=b1gfolder&pageSize=1000",
            "GET /iam/v1/serviceAccounts?folderId=b1gfolder&pageSize=1000&pageToken=t2",
        ]
    );
}

#[test]
fn a_repeated_page_token_is_a_bad_response() {
    let fake = FakePlatform::new();
    fake.reply(200, json!({"accessBindings": [], "nextPageToken": "t"}))
        .reply(200, json!({"accessBindings": [], "nextPageToken": "t"}));
    let error = Iam::new(&fake).list_folder_bindings(FOLDER).unwrap_err();
    assert!(matches!(error, Error::BadResponse(text) if text.contains("repeated")));
}

#[test]
fn update_account_sends_a_mask_and_the_current_name() {
    let fake = FakePlatform::new();
    fake.reply(200, sa_json("aje1", "robot")).reply_done(
        "op2",
        json!({"serviceAccountId": "aje1"}),
        sa_json("aje1", "robot"),
    );
    let update = AccountUpdate {
        name: None,
        description: Some(String::new()),
        labels: Some(vec![("env".into(), "prod".into())]),
    };
    Iam::new(&fake).update_account("aje1", &update).unwrap();
    assert_eq!(
        fake.request_lines(),
        vec![
            "GET /iam/v1/serviceAccounts/aje1",
            "PATCH /iam/v1/serviceAccounts/aje1"
        ]
    );
    assert_eq!(
        fake.request_body(1),
        json!({"name": "robot", "description": "", "labels": {"env": "prod"}, "updateMask": "description,labels"})
    );
}

#[test]
fn folder_bindings_are_sent_in_chunks_of_1000() {
    let fake = FakePlatform::new();
    let deltas: Vec<BindingDelta> = (0..1500)
        .map(|i| delta(BindingAction::Add, "viewer", &format!("sa{i}")))
        .collect();
    fake.reply_done(
        "op1",
        json!({"resourceId": FOLDER}),
        json!({"@type": "type.googleapis.com/yandex.cloud.access.AccessBindingsOperationResult",
               "effectiveDeltas": [{"action": "ADD", "accessBinding": {"roleId": "viewer", "subject": {"id": "sa0", "type": "serviceAccount"}}}]}),
    )
    .reply_done("op2", json!({"resourceId": FOLDER}), json!({"@type": "type.googleapis.com/google.protobuf.Empty"}));
    let effective = Iam::new(&fake)
        .update_folder_bindings(FOLDER, &deltas)
        .unwrap();
    assert_eq!(
        effective.len(),
        1 + 500,
        "first chunk reports one, the Empty chunk reports all it was sent"
    );
    assert_eq!(effective[0], deltas[0]);
    assert_eq!(
        fake.request_body(0)["accessBindingDeltas"]
            .as_array()
            .unwrap()
            .len(),
        1000
    );
    assert_eq!(
        fake.request_body(1)["accessBindingDeltas"]
            .as_array()
            .unwrap()
            .len(),
        500
    );
    assert_eq!(
        fake.request_lines()[0],
        "POST /resource-manager/v1/folders/b1gfolder:updateAccessBindings"
    );
}

#[test]
fn bind_and_unbind_send_one_delta() {
    let cases = [
        (BindingAction::Add, "ADD"),
        (BindingAction::Remove, "REMOVE"),
    ];
    for (action, wire_action) in cases {
        let fake = FakePlatform::new();
        fake.reply_pending("op1", json!({}))
            .reply(200, json!({"id": "op1", "done": true}));
        let iam = Iam::new(&fake);
        let result = match action {
            BindingAction::Add => iam.bind_role(FOLDER, "ai.languageModels.user", &subject("aje1")),
            BindingAction::Remove => {
                iam.unbind_role(FOLDER, "ai.languageModels.user", &subject("aje1"))
            }
        };
        result.unwrap();
        assert_eq!(
            fake.request_body(0),
            json!({"accessBindingDeltas": [{"action": wire_action, "accessBinding":
                {"roleId": "ai.languageModels.user", "subject": {"id": "aje1", "type": "serviceAccount"}}}]})
        );
    }
}

#[test]
fn list_folder_bindings_follows_pages() {
    let fake = FakePlatform::new();
    fake.reply(200, json!({"accessBindings": [{"roleId": "viewer", "subject": {"id": "a", "type": "userAccount"}}], "nextPageToken": "p2"}))
        .reply(200, json!({"accessBindings": [{"roleId": "editor", "subject": {"id": "allUsers", "type": "system"}}]}));
    let bindings = Iam::new(&fake).list_folder_bindings(FOLDER).unwrap();
    assert_eq!(bindings.len(), 2);
    assert_eq!(bindings[1].subject.kind, "system");
    assert_eq!(
        fake.request_lines()[1],
        "GET /resource-manager/v1/folders/b1gfolder:listAccessBindings?pageSize=1000&pageToken=p2"
    );
}

#[test]
fn create_key_returns_the_secret_without_logging_it() {
    let fake = FakePlatform::new();
    fake.reply(200, json!({"apiKey": {"id": "key1", "serviceAccountId": "aje1", "createdAt": "2030-01-01T00:00:00Z",
        "scopes": ["yc.ai.languageModels.execute"], "expiresAt": "2031-01-01T00:00:00Z"}, "secret": "AQVNsecretvalue"}));
    let created = Iam::new(&fake)
        .create_key(&KeySpec {
            service_account_id: "aje1".into(),
            description: None,
            scopes: vec!["yc.ai.languageModels.execute".into()],
            expires_at: Some("2031-01-01T00:00:00Z".into()),
            scope: None,
        })
        .unwrap();
    assert_eq!(created.secret, "AQVNsecretvalue");
    assert_eq!(created.key.id, "key1");
    assert_eq!(
        fake.request_body(0),
        json!({"serviceAccountId": "aje1", "scopes": ["yc.ai.languageModels.execute"], "expiresAt": "2031-01-01T00:00:00Z"})
    );
    assert!(!format!("{created:?}").contains("AQVN"));
    assert!(
        fake.logs()
            .iter()
            .all(|(_, message)| !message.contains("AQVN"))
    );
}

#[test]
fn create_key_without_a_secret_is_a_bad_response() {
    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"apiKey": {"id": "key1", "serviceAccountId": "aje1"}}),
    );
    let error = Iam::new(&fake)
        .create_key(&KeySpec {
            service_account_id: "aje1".into(),
            ..KeySpec::default()
        })
        .unwrap_err();
    assert!(matches!(error, Error::BadResponse(text) if text.contains("without a secret")));
}

#[test]
fn create_key_tolerates_an_operation_wrapper() {
    let fake = FakePlatform::new();
    fake.reply_pending("op1", json!({"apiKeyId": "key1"}))
        .reply_done(
            "op1",
            json!({}),
            json!({"apiKey": {"id": "key1", "serviceAccountId": "aje1"}, "secret": "AQVNx"}),
        );
    let created = Iam::new(&fake)
        .create_key(&KeySpec {
            service_account_id: "aje1".into(),
            ..KeySpec::default()
        })
        .unwrap();
    assert_eq!(created.key.id, "key1");
}

#[test]
fn update_key_masks_and_clears_expiry() {
    let fake = FakePlatform::new();
    fake.reply_done(
        "op1",
        json!({"apiKeyId": "key1"}),
        json!({"id": "key1", "serviceAccountId": "aje1", "scopes": ["b", "a"]}),
    );
    let update = KeyUpdate {
        description: Some("rotated".into()),
        scopes: Some(vec!["b".into(), "a".into()]),
        expires_at: Some(String::new()),
    };
    let key = Iam::new(&fake).update_key("key1", &update).unwrap();
    assert_eq!(key.scopes, vec!["b", "a"]);
    assert_eq!(
        fake.request_body(0),
        json!({"description": "rotated", "scopes": ["b", "a"], "updateMask": "description,scopes,expiresAt"})
    );
    assert_eq!(fake.request_lines(), vec!["PATCH /iam/v1/apiKeys/key1"]);
}

#[test]
fn deletes_wait_for_their_operations() {
    let fake = FakePlatform::new();
    fake.reply_pending("op1", json!({}))
        .reply(200, json!({"id": "op1", "done": true, "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}))
        .reply_pending("op2", json!({}))
        .reply(200, json!({"id": "op2", "done": true}));
    let iam = Iam::new(&fake);
    iam.delete_key("key1").unwrap();
    iam.delete_account("aje1").unwrap();
    assert_eq!(
        fake.request_lines(),
        vec![
            "DELETE /iam/v1/apiKeys/key1",
            "GET /operations/op1",
            "DELETE /iam/v1/serviceAccounts/aje1",
            "GET /operations/op2"
        ]
    );
}

#[test]
fn get_key_not_found_is_an_api_error() {
    let fake = FakePlatform::new();
    fake.reply_error(404, 5, "ApiKey key1 not found");
    let error = Iam::new(&fake).get_key("key1").unwrap_err();
    assert!(error.is(Code::NotFound));
    assert_eq!(
        error.to_string(),
        "NOT_FOUND: ApiKey key1 not found (request id req-err)"
    );
}

fn failed_operation(id: &str, code: i64, message: &str) -> Value {
    json!({"id": id, "done": true, "metadata": sa_metadata("aje1"),
        "error": {"code": code, "message": message}})
}

fn idempotency_keys(fake: &FakePlatform) -> Vec<String> {
    fake.requests()
        .iter()
        .filter_map(|request| request.header("idempotency-key").map(str::to_owned))
        .collect()
}

#[test]
fn a_transiently_failed_operation_is_sent_again_as_a_new_request() {
    let cases = [
        (13, "internal error"),
        (14, "unavailable"),
        (10, "aborted"),
        (8, "too many requests"),
    ];
    for (code, message) in cases {
        let fake = FakePlatform::new();
        fake.reply(200, failed_operation("op1", code, message))
            .reply_done("op2", sa_metadata("aje2"), sa_json("aje2", "robot"));
        let account = Iam::new(&fake).create_account(&spec("robot")).unwrap();
        assert_eq!(account.id, "aje2", "code {code}");
        assert_eq!(
            fake.request_lines(),
            vec![
                "POST /iam/v1/serviceAccounts",
                "POST /iam/v1/serviceAccounts"
            ],
            "code {code}"
        );
        let keys = idempotency_keys(&fake);
        assert_ne!(
            keys[0], keys[1],
            "code {code}: a new attempt gets a new key"
        );
        assert_eq!(fake.request_body(0), fake.request_body(1), "code {code}");
        let sleeps = fake.sleeps();
        assert_eq!(sleeps.len(), 1, "code {code}");
        assert!((100..=200).contains(&sleeps[0]), "code {code}: {sleeps:?}");
    }
}

#[test]
fn a_finally_failed_operation_is_not_sent_again() {
    let cases = [
        (3, "Request validation error"),
        (7, "Permission denied"),
        (9, "Failed precondition"),
        (8, "Quota limit iam.serviceAccounts.count exceeded"),
        (2, "unknown"),
    ];
    for (code, message) in cases {
        let fake = FakePlatform::new();
        fake.reply(200, failed_operation("op1", code, message));
        let failure = Iam::new(&fake)
            .create_account_tracked(&spec("robot"))
            .unwrap_err();
        assert_eq!(
            failure.error.code(),
            Some(Code::from_number(code)),
            "code {code}"
        );
        assert!(failure.error.to_string().contains(message), "code {code}");
        assert_eq!(
            failure.account_id, None,
            "code {code}: the outcome is known"
        );
        assert_eq!(fake.requests().len(), 1, "code {code}");
        assert!(fake.sleeps().is_empty(), "code {code}");
    }
}

#[test]
fn already_exists_after_a_failed_operation_adopts_the_account() {
    let fake = FakePlatform::new();
    fake.reply(200, failed_operation("op1", 13, "internal error"))
        .reply_error(409, 6, "Service account 'robot@b1gcloud' already exists")
        .reply(200, json!({"serviceAccounts": [sa_json("aje1", "robot")]}));
    let account = Iam::new(&fake).create_account(&spec("robot")).unwrap();
    assert_eq!(account.id, "aje1");
    assert_eq!(fake.request_lines().len(), 3);
    assert!(
        fake.logs()
            .iter()
            .any(|(level, message)| *level == Level::Warn && message.contains("adopting aje1"))
    );
}

#[test]
fn every_mutation_retries_failed_operations() {
    let failed =
        |id: &str| json!({"id": id, "done": true, "error": {"code": 14, "message": "unavailable"}});
    let empty = |id: &str| json!({"id": id, "done": true, "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}});
    let fake = FakePlatform::new();
    fake.reply(200, failed("op1"))
        .reply(200, empty("op2"))
        .reply(200, failed("op3"))
        .reply(200, empty("op4"))
        .reply(200, failed("op5"))
        .reply(200, empty("op6"))
        .reply(200, failed("op7"))
        .reply(
            200,
            json!({"apiKey": {"id": "key1", "serviceAccountId": "aje1"}, "secret": "AQVNsecret"}),
        );
    let iam = Iam::new(&fake);
    iam.delete_key("key1").unwrap();
    iam.delete_account("aje1").unwrap();
    iam.bind_role(FOLDER, "viewer", &subject("aje1")).unwrap();
    let created = iam
        .create_key(&KeySpec {
            service_account_id: "aje1".to_owned(),
            description: None,
            scopes: vec![],
            expires_at: None,
            scope: None,
        })
        .unwrap();
    assert_eq!(created.key.id, "key1");
    let lines = fake.request_lines();
    assert_eq!(
        lines,
        vec![
            "DELETE /iam/v1/apiKeys/key1",
            "DELETE /iam/v1/apiKeys/key1",
            "DELETE /iam/v1/serviceAccounts/aje1",
            "DELETE /iam/v1/serviceAccounts/aje1",
            "POST /resource-manager/v1/folders/b1gfolder:updateAccessBindings",
            "POST /resource-manager/v1/folders/b1gfolder:updateAccessBindings",
            "POST /iam/v1/apiKeys",
            "POST /iam/v1/apiKeys",
        ]
    );
    let keys = idempotency_keys(&fake);
    for pair in keys.chunks(2) {
        assert_ne!(pair[0], pair[1]);
    }
}

#[test]
fn failed_operations_are_retried_until_the_deadline() {
    let fake = FakePlatform::new();
    for index in 0..200 {
        fake.reply(
            200,
            failed_operation(&format!("op{index}"), 13, "internal error"),
        );
    }
    let failure = Iam::new(&fake)
        .create_account_tracked(&spec("robot"))
        .unwrap_err();
    assert!(failure.error.is(Code::Internal), "{:?}", failure.error);
    assert!(
        fake.elapsed_millis() <= 120_000,
        "{}",
        fake.elapsed_millis()
    );
    assert!(fake.elapsed_millis() > 110_000, "{}", fake.elapsed_millis());
    assert!(fake.sleeps().iter().all(|wait| *wait <= 5_000));
    assert!(
        fake.logs()
            .iter()
            .any(|(level, message)| *level == Level::Warn && message.contains("giving up"))
    );
}

#[test]
fn an_operation_whose_poll_fails_is_not_sent_again() {
    let fake = FakePlatform::new();
    fake.reply_pending("op1", sa_metadata("aje1"))
        .reply_error(403, 7, "denied");
    let failure = Iam::new(&fake)
        .create_account_tracked(&spec("robot"))
        .unwrap_err();
    assert!(failure.error.is(Code::PermissionDenied));
    assert_eq!(failure.account_id.as_deref(), Some("aje1"));
    assert_eq!(fake.requests().len(), 2);
}
