//! Unit tests of the lifecycle against the scripted fake platform.

use serde_json::{Value, json};

use super::*;
use crate::platform::Identity;
use crate::testing::FakePlatform;

const SA: &str = "yandex_iam_service_account";
const MEMBER: &str = "yandex_resourcemanager_folder_iam_member";
const KEY: &str = "yandex_iam_service_account_api_key";

fn configured(folder: Option<&str>) -> Provider {
    let mut provider = Provider::new();
    let config = match folder {
        Some(folder) => json!({"folder_id": folder, "cloud_id": "b1gcloud"}),
        None => json!({}),
    };
    assert!(provider.configure(&config.to_string()).is_empty());
    provider
}

fn text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

fn parse(text: Option<String>) -> Option<Value> {
    text.map(|text| serde_json::from_str(&text).unwrap())
}

struct Planned {
    planned: Option<Value>,
    replace: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

fn plan(
    provider: &Provider,
    fake: &FakePlatform,
    type_name: &str,
    prior: Option<Value>,
    config: Option<Value>,
) -> Planned {
    let change = provider.plan(
        fake,
        type_name,
        text(&prior).as_deref(),
        text(&config).as_deref(),
    );
    Planned {
        planned: parse(change.planned),
        replace: change.requires_replace,
        diagnostics: change.diagnostics,
    }
}

fn apply(
    provider: &Provider,
    fake: &FakePlatform,
    type_name: &str,
    prior: Option<Value>,
    planned: Option<Value>,
) -> (Option<Value>, Vec<Diagnostic>) {
    let result = provider.apply(
        fake,
        type_name,
        text(&prior).as_deref(),
        text(&planned).as_deref(),
    );
    (parse(result.state), result.diagnostics)
}

fn read(
    provider: &Provider,
    fake: &FakePlatform,
    type_name: &str,
    state: Value,
) -> (Option<Value>, Vec<Diagnostic>) {
    let result = provider.read(fake, type_name, &state.to_string());
    (parse(result.state), result.diagnostics)
}

fn summaries(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}@{}",
                d.summary,
                d.attribute
                    .as_ref()
                    .map_or("-".to_owned(), ToString::to_string)
            )
        })
        .collect()
}

fn sa_state() -> Value {
    json!({"id": "aje1", "name": "robot", "folder_id": "b1gfolder", "description": null, "labels": null,
           "created_at": "2030-01-01T00:00:00Z"})
}

fn key_state() -> Value {
    json!({"id": "key1", "service_account_id": "aje1", "description": null, "scopes": ["b.scope", "a.scope"],
           "scope": null, "expires_at": "2031-01-01T03:00:00+03:00", "created_at": "2030-01-01T00:00:00Z",
           "masked_secret": null, "secret_key": "AQVNsecret", "pgp_key": null, "output_to_lockbox": null,
           "encrypted_secret_key": null, "key_fingerprint": null, "output_to_lockbox_version_id": null})
}

fn member_state() -> Value {
    json!({"id": "b1gfolder/ai.languageModels.user/serviceAccount:aje1", "folder_id": "b1gfolder",
           "role": "ai.languageModels.user", "member": "serviceAccount:aje1", "sleep_after": null})
}

#[test]
fn schema_has_the_documented_shape() {
    let schema: Value = serde_json::from_str(&Provider::new().schema()).unwrap();
    assert_eq!(
        schema["provider"]["attributes"]["folder_id"]["type"],
        "string"
    );
    let sa = &schema["resources"][SA];
    assert_eq!(sa["version"], 0);
    assert!(
        sa["description"]
            .as_str()
            .unwrap()
            .contains("service account")
    );
    assert_eq!(
        sa["attributes"]["name"],
        json!({"type": "string", "required": true,
        "description": sa["attributes"]["name"]["description"]})
    );
    assert_eq!(sa["attributes"]["folder_id"]["force_new"], true);
    assert_eq!(sa["attributes"]["labels"]["type"], "map(string)");
    let key = &schema["resources"][KEY]["attributes"];
    assert_eq!(key["secret_key"]["sensitive"], true);
    assert_eq!(key["secret_key"]["computed"], true);
    assert_eq!(key["scopes"]["type"], "list(string)");
    assert_eq!(
        schema["resources"][MEMBER]["attributes"]["sleep_after"]["type"],
        "number"
    );
    for resource in schema["resources"].as_object().unwrap().values() {
        for (name, attribute) in resource["attributes"].as_object().unwrap() {
            assert!(
                !attribute["description"].as_str().unwrap().is_empty(),
                "{name}"
            );
        }
    }
}

#[test]
fn configure_checks_and_stores_the_provider_block() {
    let mut provider = Provider::new();
    let diagnostics =
        provider.configure(r#"{"folder_id": "b1gf", "colour": "red", "token": null}"#);
    assert_eq!(summaries(&diagnostics), vec!["Unsupported argument@colour"]);
    assert_eq!(provider.config().folder_id, None);
    assert!(
        provider
            .configure(r#"{"folder_id": "b1gf", "cloud_id": {"$unknown": true}}"#)
            .is_empty()
    );
    assert_eq!(provider.config().folder_id.as_deref(), Some("b1gf"));
    assert_eq!(provider.config().cloud_id, None);
}

#[test]
fn validate_reports_attribute_paths() {
    let provider = Provider::new();
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (SA, json!({"name": "robot"}), vec![]),
        (
            SA,
            json!({"name": {"$unknown": true}, "labels": {"team": {"$unknown": true}}}),
            vec![],
        ),
        (
            SA,
            json!({"name": "robot", "colour": "red"}),
            vec!["Unsupported argument@colour"],
        ),
        (SA, json!({}), vec!["Missing required argument@name"]),
        (
            SA,
            json!({"name": "robot", "id": "x"}),
            vec!["Invalid configuration for read-only attribute@id"],
        ),
        (
            SA,
            json!({"name": "robot", "labels": "team=ml"}),
            vec!["Incorrect attribute value type@labels"],
        ),
        (
            SA,
            json!({"name": "robot", "labels": {"team": 1}}),
            vec!["Incorrect attribute value type@labels.team"],
        ),
        (
            SA,
            json!({"name": "Robot"}),
            vec!["Invalid attribute value@name"],
        ),
        (
            SA,
            json!({"name": "robot", "labels": {"Team": "ml"}}),
            vec!["Invalid attribute value@labels.Team"],
        ),
        (
            SA,
            json!({"name": "robot", "description": "d".repeat(257)}),
            vec!["Invalid attribute value@description"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "scopes": ["a", "a"]}),
            vec!["Invalid attribute value@scopes[1]"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "scopes": []}),
            vec!["Invalid attribute value@scopes"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "scopes": ["a", 3]}),
            vec!["Incorrect attribute value type@scopes[1]"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "expires_at": "2030-01-01"}),
            vec!["Invalid attribute value@expires_at"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "pgp_key": "keybase:me"}),
            vec!["Invalid pgp_key@pgp_key"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "output_to_lockbox": [{"secret_id": "e6q"}]}),
            vec!["Missing required argument@output_to_lockbox[0].entry_for_secret_key"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "output_to_lockbox": [{"secret_id": "e6q", "entry_for_secret_key": "a b"}]}),
            vec!["Invalid attribute value@output_to_lockbox[0].entry_for_secret_key"],
        ),
        (
            KEY,
            json!({"service_account_id": "aje1", "output_to_lockbox": [{"secret_id": "e6q", "entry_for_secret_key": "k"}, {"secret_id": "e6q", "entry_for_secret_key": "j"}]}),
            vec!["Too many blocks@output_to_lockbox"],
        ),
        (
            MEMBER,
            json!({"folder_id": "b1g", "role": "viewer", "member": "system:allUsers"}),
            vec![],
        ),
        (
            MEMBER,
            json!({"folder_id": "b1g", "role": "viewer", "member": "aje1"}),
            vec!["Invalid attribute value@member"],
        ),
        (
            MEMBER,
            json!({"folder_id": "b1g", "role": "viewer", "member": "robot:aje1"}),
            vec!["Invalid attribute value@member"],
        ),
        (
            MEMBER,
            json!({"folder_id": "b1g", "role": "", "member": "serviceAccount:a"}),
            vec!["Invalid attribute value@role"],
        ),
        (
            MEMBER,
            json!({"folder_id": "b1g", "role": "viewer", "member": "serviceAccount:a", "sleep_after": -1}),
            vec!["Invalid attribute value@sleep_after"],
        ),
        (
            MEMBER,
            json!({"folder_id": "b1g", "role": "viewer", "member": "serviceAccount:a", "sleep_after": "10"}),
            vec![],
        ),
        (
            "yandex_compute_instance",
            json!({}),
            vec!["Unsupported resource type@-"],
        ),
    ];
    for (type_name, config, expected) in cases {
        let diagnostics = provider.validate(&FakePlatform::new(), type_name, &config.to_string());
        assert_eq!(summaries(&diagnostics), expected, "{type_name} {config}");
    }
}

#[test]
fn create_plans_fill_defaults_and_unknowns() {
    let fake = FakePlatform::new();
    let provider = configured(Some("b1gfolder"));
    let planned = plan(&provider, &fake, SA, None, Some(json!({"name": "robot"})));
    assert!(planned.diagnostics.is_empty());
    assert_eq!(
        planned.planned.unwrap(),
        json!({"id": {"$unknown": true}, "name": "robot", "folder_id": "b1gfolder", "description": null,
               "labels": null, "created_at": {"$unknown": true}})
    );

    let planned = plan(
        &provider,
        &fake,
        MEMBER,
        None,
        Some(json!({"folder_id": "b1g", "role": "viewer", "member": "system:allUsers"})),
    );
    assert_eq!(planned.planned.unwrap()["id"], "b1g/viewer/system:allUsers");

    let planned = plan(
        &provider,
        &fake,
        KEY,
        None,
        Some(json!({"service_account_id": {"$unknown": true}})),
    );
    let planned = planned.planned.unwrap();
    assert_eq!(planned["scopes"], json!({"$unknown": true}));
    assert_eq!(planned["secret_key"], json!({"$unknown": true}));
    assert_eq!(planned["service_account_id"], json!({"$unknown": true}));
}

#[test]
fn the_default_folder_comes_from_the_provider_then_the_host() {
    let cases = [
        (Some("b1gprovider"), Some("b1ghost"), Ok("b1gprovider")),
        (None, Some("b1ghost"), Ok("b1ghost")),
        (None, None, Err("No folder_id@folder_id")),
    ];
    for (provider_folder, host_folder, expected) in cases {
        let fake = FakePlatform::new();
        fake.set_identity(Ok(Identity {
            source: "iam-token".into(),
            folder_id: host_folder.map(str::to_owned),
            ..Identity::default()
        }));
        let provider = configured(provider_folder);
        let planned = plan(&provider, &fake, SA, None, Some(json!({"name": "robot"})));
        match expected {
            Ok(folder) => assert_eq!(planned.planned.unwrap()["folder_id"], folder),
            Err(summary) => {
                assert_eq!(planned.planned, None);
                assert_eq!(summaries(&planned.diagnostics), vec![summary]);
            }
        }
    }
}

#[test]
fn update_plans_keep_computed_values_and_normalisations() {
    let fake = FakePlatform::new();
    let provider = configured(Some("b1gother"));
    struct Case {
        name: &'static str,
        type_name: &'static str,
        prior: Value,
        config: Value,
        expect_replace: Vec<&'static str>,
        expect: Vec<(&'static str, Value)>,
    }
    let cases = [
        Case {
            name: "rename in place",
            type_name: SA,
            prior: sa_state(),
            config: json!({"name": "robot2"}),
            expect_replace: vec![],
            expect: vec![
                ("name", json!("robot2")),
                ("id", json!("aje1")),
                ("folder_id", json!("b1gfolder")),
            ],
        },
        Case {
            name: "empty description and labels equal null",
            type_name: SA,
            prior: json!({"id": "aje1", "name": "robot", "folder_id": "b1gfolder", "description": "", "labels": {}, "created_at": "t"}),
            config: json!({"name": "robot", "description": null, "labels": null}),
            expect_replace: vec![],
            expect: vec![("description", json!("")), ("labels", json!({}))],
        },
        Case {
            name: "null prior description equals empty config",
            type_name: SA,
            prior: sa_state(),
            config: json!({"name": "robot", "description": "", "labels": {}}),
            expect_replace: vec![],
            expect: vec![("description", Value::Null), ("labels", Value::Null)],
        },
        Case {
            name: "moving folders replaces",
            type_name: SA,
            prior: sa_state(),
            config: json!({"name": "robot", "folder_id": "b1gnew"}),
            expect_replace: vec!["folder_id"],
            expect: vec![
                ("folder_id", json!("b1gnew")),
                ("id", json!({"$unknown": true})),
                ("created_at", json!({"$unknown": true})),
            ],
        },
        Case {
            name: "an unknown folder replaces",
            type_name: SA,
            prior: sa_state(),
            config: json!({"name": "robot", "folder_id": {"$unknown": true}}),
            expect_replace: vec!["folder_id"],
            expect: vec![("folder_id", json!({"$unknown": true}))],
        },
        Case {
            name: "reordered scopes keep the prior order",
            type_name: KEY,
            prior: key_state(),
            config: json!({"service_account_id": "aje1", "scopes": ["a.scope", "b.scope"], "expires_at": "2031-01-01T00:00:00Z"}),
            expect_replace: vec![],
            expect: vec![
                ("scopes", json!(["b.scope", "a.scope"])),
                ("expires_at", json!("2031-01-01T03:00:00+03:00")),
                ("secret_key", json!("AQVNsecret")),
            ],
        },
        Case {
            name: "unset scopes keep the prior ones",
            type_name: KEY,
            prior: key_state(),
            config: json!({"service_account_id": "aje1"}),
            expect_replace: vec![],
            expect: vec![
                ("scopes", json!(["b.scope", "a.scope"])),
                ("expires_at", Value::Null),
            ],
        },
        Case {
            name: "new scopes change in place",
            type_name: KEY,
            prior: key_state(),
            config: json!({"service_account_id": "aje1", "scopes": ["yc.postbox.send"]}),
            expect_replace: vec![],
            expect: vec![
                ("scopes", json!(["yc.postbox.send"])),
                ("id", json!("key1")),
            ],
        },
        Case {
            name: "another service account replaces the key",
            type_name: KEY,
            prior: key_state(),
            config: json!({"service_account_id": "aje2"}),
            expect_replace: vec!["service_account_id"],
            expect: vec![
                ("secret_key", json!({"$unknown": true})),
                ("scopes", json!({"$unknown": true})),
            ],
        },
        Case {
            name: "member role change replaces",
            type_name: MEMBER,
            prior: member_state(),
            config: json!({"folder_id": "b1gfolder", "role": "viewer", "member": "serviceAccount:aje1"}),
            expect_replace: vec!["role"],
            expect: vec![("id", json!("b1gfolder/viewer/serviceAccount:aje1"))],
        },
        Case {
            name: "member sleep_after changes in place",
            type_name: MEMBER,
            prior: member_state(),
            config: json!({"folder_id": "b1gfolder", "role": "ai.languageModels.user", "member": "serviceAccount:aje1", "sleep_after": 5}),
            expect_replace: vec![],
            expect: vec![
                ("sleep_after", json!(5)),
                ("id", member_state()["id"].clone()),
            ],
        },
    ];
    for case in cases {
        let planned = plan(
            &provider,
            &fake,
            case.type_name,
            Some(case.prior),
            Some(case.config),
        );
        assert!(
            planned.diagnostics.is_empty(),
            "{}: {:?}",
            case.name,
            planned.diagnostics
        );
        assert_eq!(planned.replace, case.expect_replace, "{}", case.name);
        let values = planned.planned.unwrap();
        for (attribute, expected) in case.expect {
            assert_eq!(values[attribute], expected, "{}: {attribute}", case.name);
        }
    }
    assert!(fake.requests().is_empty(), "planning never calls the API");
}

#[test]
fn destroy_plans_have_no_planned_state() {
    let fake = FakePlatform::new();
    let planned = plan(&Provider::new(), &fake, SA, Some(sa_state()), None);
    assert_eq!(planned.planned, None);
    assert!(planned.replace.is_empty() && planned.diagnostics.is_empty());
}

#[test]
fn service_account_create_keeps_planned_values() {
    let fake = FakePlatform::new();
    fake.reply_done(
        "op1",
        json!({"serviceAccountId": "aje1"}),
        json!({"id": "aje1", "folderId": "b1gfolder", "name": "robot", "createdAt": "2030-01-01T00:00:00Z"}),
    );
    let provider = configured(Some("b1gfolder"));
    let planned = plan(
        &provider,
        &fake,
        SA,
        None,
        Some(json!({"name": "robot", "labels": {"team": "ml"}})),
    )
    .planned;
    let (state, diagnostics) = apply(&provider, &fake, SA, None, planned);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(
        state.unwrap(),
        json!({"id": "aje1", "name": "robot", "folder_id": "b1gfolder", "description": null,
               "labels": {"team": "ml"}, "created_at": "2030-01-01T00:00:00Z"})
    );
    assert_eq!(
        fake.request_body(0),
        json!({"folderId": "b1gfolder", "name": "robot", "labels": {"team": "ml"}})
    );
}

#[test]
fn service_account_create_failures() {
    let planned = json!({"id": {"$unknown": true}, "name": "robot", "folder_id": "b1gfolder", "description": null,
                         "labels": null, "created_at": {"$unknown": true}});
    let fake = FakePlatform::new();
    fake.reply_error(409, 6, "Service account 'robot@b1gcloud' already exists");
    let (state, diagnostics) = apply(&Provider::new(), &fake, SA, None, Some(planned.clone()));
    assert_eq!(state, None);
    assert_eq!(
        diagnostics[0].summary,
        "Cannot create service account \"robot\": ALREADY_EXISTS: Service account 'robot@b1gcloud' already exists (request id req-err)"
    );
    assert!(diagnostics[0].detail.contains("Import it"));

    let fake = FakePlatform::new();
    for _ in 0..200 {
        fake.reply_pending("op1", json!({"serviceAccountId": "aje1"}));
    }
    let (state, diagnostics) = apply(&Provider::new(), &fake, SA, None, Some(planned));
    let state = state.expect("the account may exist, so the state records it");
    assert_eq!(state["id"], "aje1");
    assert_eq!(state["created_at"], Value::Null);
    assert!(diagnostics[0].is_error());
    assert!(
        diagnostics[0].summary.contains("did not finish"),
        "{}",
        diagnostics[0].summary
    );
}

#[test]
fn service_account_update_and_delete() {
    let fake = FakePlatform::new();
    fake.reply_done(
        "op1",
        json!({}),
        json!({"id": "aje1", "folderId": "b1gfolder", "name": "robot", "description": "new",
        "createdAt": "2030-01-01T00:00:00Z"}),
    );
    let provider = Provider::new();
    let mut planned = sa_state();
    planned["description"] = json!("new");
    let (state, diagnostics) = apply(
        &provider,
        &fake,
        SA,
        Some(sa_state()),
        Some(planned.clone()),
    );
    assert!(diagnostics.is_empty());
    assert_eq!(state.unwrap(), planned);
    assert_eq!(
        fake.request_body(0),
        json!({"name": "robot", "description": "new", "updateMask": "description"})
    );

    let cases = [(404, 5, None, 0), (403, 7, Some(sa_state()), 1)];
    for (status, code, expected_state, expected_errors) in cases {
        let fake = FakePlatform::new();
        fake.reply_error(status, code, "nope");
        let (state, diagnostics) = apply(&provider, &fake, SA, Some(sa_state()), None);
        assert_eq!(state, expected_state, "{code}");
        assert_eq!(
            diagnostics.iter().filter(|d| d.is_error()).count(),
            expected_errors,
            "{code}"
        );
    }
}

#[test]
fn apply_refuses_unknown_inputs_and_in_place_force_new_changes() {
    let fake = FakePlatform::new();
    let provider = Provider::new();
    let mut planned = sa_state();
    planned["name"] = json!({"$unknown": true});
    let (state, diagnostics) = apply(&provider, &fake, SA, None, Some(planned));
    assert_eq!(state, None);
    assert_eq!(summaries(&diagnostics), vec!["Value unknown at apply@name"]);

    let mut planned = sa_state();
    planned["folder_id"] = json!("b1gother");
    let (state, diagnostics) = apply(&provider, &fake, SA, Some(sa_state()), Some(planned));
    assert_eq!(state, Some(sa_state()));
    assert_eq!(
        summaries(&diagnostics),
        vec!["Change requires replacement@folder_id"]
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn member_lifecycle() {
    let provider = Provider::new();
    let fake = FakePlatform::new();
    fake.reply_done("op1", json!({}), json!({"effectiveDeltas": []}));
    let mut planned = member_state();
    planned["sleep_after"] = json!(5);
    let (state, diagnostics) = apply(&provider, &fake, MEMBER, None, Some(planned.clone()));
    assert!(diagnostics.is_empty());
    assert_eq!(state.unwrap(), planned);
    assert_eq!(fake.sleeps(), vec![5000]);
    assert_eq!(
        fake.request_body(0)["accessBindingDeltas"][0]["action"],
        "ADD"
    );

    let bindings = json!({"accessBindings": [
        {"roleId": "viewer", "subject": {"id": "aje1", "type": "serviceAccount"}},
        {"roleId": "ai.languageModels.user", "subject": {"id": "aje1", "type": "serviceAccount"}}]});
    let cases = [
        (bindings.clone(), 200, Some(member_state())),
        (
            json!({"accessBindings": [{"roleId": "viewer", "subject": {"id": "aje1", "type": "serviceAccount"}}]}),
            200,
            None,
        ),
        (json!({"code": 5, "message": "Folder not found"}), 404, None),
    ];
    for (body, status, expected) in cases {
        let fake = FakePlatform::new();
        fake.reply(status, body);
        let (state, diagnostics) = read(&provider, &fake, MEMBER, member_state());
        assert_eq!(state, expected);
        assert!(diagnostics.is_empty());
    }

    let fake = FakePlatform::new();
    fake.reply_error(404, 5, "Binding not found");
    let (state, diagnostics) = apply(&provider, &fake, MEMBER, Some(member_state()), None);
    assert_eq!((state, diagnostics.len()), (None, 0));
    assert_eq!(
        fake.request_body(0)["accessBindingDeltas"][0]["action"],
        "REMOVE"
    );

    let fake = FakePlatform::new();
    fake.reply(200, bindings);
    let imported = provider.import_resource(
        &fake,
        MEMBER,
        "b1gfolder,ai.languageModels.user,serviceAccount:aje1",
    );
    assert_eq!(parse(imported.state).unwrap(), member_state());

    let fake = FakePlatform::new();
    let imported = provider.import_resource(&fake, MEMBER, "b1gfolder/viewer");
    assert_eq!(imported.state, None);
    assert_eq!(
        summaries(&imported.diagnostics),
        vec!["Invalid import id@-"]
    );
}

#[test]
fn api_key_create_stores_the_secret() {
    let provider = Provider::new();
    let fake = FakePlatform::new();
    fake.reply(200, json!({"apiKey": {"id": "key1", "serviceAccountId": "aje1", "createdAt": "2030-01-01T00:00:00Z",
        "scopes": ["yc.ai.languageModels.execute", "yc.monitoring.manage"]}, "secret": "AQVNnew"}));
    let planned = plan(
        &provider,
        &fake,
        KEY,
        None,
        Some(json!({"service_account_id": "aje1"})),
    )
    .planned;
    let (state, diagnostics) = apply(&provider, &fake, KEY, None, planned);
    assert!(diagnostics.is_empty());
    let state = state.unwrap();
    assert_eq!(state["secret_key"], "AQVNnew");
    assert_eq!(
        state["scopes"],
        json!(["yc.ai.languageModels.execute", "yc.monitoring.manage"])
    );
    assert_eq!(state["expires_at"], Value::Null);
    assert_eq!(fake.request_body(0), json!({"serviceAccountId": "aje1"}));
    assert!(
        fake.logs()
            .iter()
            .all(|(_, message)| !message.contains("AQVN"))
    );
}

#[test]
fn api_key_update_read_and_import() {
    let provider = Provider::new();
    let fake = FakePlatform::new();
    fake.reply_done(
        "op1",
        json!({}),
        json!({"id": "key1", "serviceAccountId": "aje1", "scopes": ["b.scope", "a.scope"],
        "createdAt": "2030-01-01T00:00:00Z"}),
    );
    let mut planned = key_state();
    planned["expires_at"] = Value::Null;
    let (state, diagnostics) = apply(
        &provider,
        &fake,
        KEY,
        Some(key_state()),
        Some(planned.clone()),
    );
    assert!(diagnostics.is_empty());
    assert_eq!(state.unwrap(), planned);
    assert_eq!(fake.request_body(0), json!({"updateMask": "expiresAt"}));

    let fake = FakePlatform::new();
    fake.reply(200, json!({"id": "key1", "serviceAccountId": "aje1", "scopes": ["a.scope", "b.scope"],
        "expiresAt": "2031-01-01T00:00:00Z", "createdAt": "2030-01-01T00:00:00Z", "maskedSecret": "****secret"}));
    let (state, _) = read(&provider, &fake, KEY, key_state());
    let mut expected = key_state();
    expected["masked_secret"] = json!("****secret");
    assert_eq!(
        state.unwrap(),
        expected,
        "order, spelling and the secret are kept; the masked secret is read"
    );

    let fake = FakePlatform::new();
    fake.reply(200, json!({"id": "key1", "serviceAccountId": "aje1", "scopes": ["c.scope"], "description": "changed"}));
    let (state, _) = read(&provider, &fake, KEY, key_state());
    let state = state.unwrap();
    assert_eq!(state["scopes"], json!(["c.scope"]));
    assert_eq!(state["description"], "changed");
    assert_eq!(state["secret_key"], "AQVNsecret");

    let fake = FakePlatform::new();
    fake.reply_error(404, 5, "not found");
    assert_eq!(read(&provider, &fake, KEY, key_state()), (None, vec![]));

    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"id": "key1", "serviceAccountId": "aje1", "scopes": ["a.scope"]}),
    );
    let imported = provider.import_resource(&fake, KEY, "key1");
    let state = parse(imported.state).unwrap();
    assert_eq!(state["secret_key"], Value::Null);
    assert_eq!(state["description"], Value::Null);
    assert_eq!(
        summaries(&imported.diagnostics),
        vec!["The API key secret cannot be recovered@-"]
    );
    assert_eq!(imported.diagnostics[0].severity, Severity::Warning);
}

#[test]
fn service_account_read_and_import() {
    let provider = Provider::new();
    let remote = json!({"id": "aje1", "folderId": "b1gfolder", "name": "robot", "createdAt": "2030-01-01T00:00:00Z"});
    let fake = FakePlatform::new();
    fake.reply(200, remote.clone());
    assert_eq!(
        read(&provider, &fake, SA, sa_state()),
        (Some(sa_state()), vec![])
    );

    let fake = FakePlatform::new();
    fake.reply(200, json!({"id": "aje1", "folderId": "b1gfolder", "name": "renamed", "labels": {"env": "prod"}}));
    let (state, _) = read(&provider, &fake, SA, sa_state());
    let state = state.unwrap();
    assert_eq!(state["name"], "renamed");
    assert_eq!(state["labels"], json!({"env": "prod"}));
    assert_eq!(state["created_at"], "2030-01-01T00:00:00Z");

    let fake = FakePlatform::new();
    fake.reply_error(404, 5, "gone");
    assert_eq!(read(&provider, &fake, SA, sa_state()), (None, vec![]));

    let fake = FakePlatform::new();
    fake.reply_error(500, 13, "boom");
    for _ in 0..100 {
        fake.reply_error(500, 13, "boom");
    }
    let (state, diagnostics) = read(&provider, &fake, SA, sa_state());
    assert_eq!(state, Some(sa_state()));
    assert!(
        diagnostics[0]
            .summary
            .starts_with("Cannot read service account aje1: INTERNAL: boom")
    );

    let fake = FakePlatform::new();
    fake.reply(200, remote);
    let imported = provider.import_resource(&fake, SA, "aje1");
    assert_eq!(parse(imported.state).unwrap(), sa_state());

    let fake = FakePlatform::new();
    fake.reply_error(404, 5, "gone");
    let imported = provider.import_resource(&fake, SA, "aje404");
    assert_eq!(imported.state, None);
    assert_eq!(
        summaries(&imported.diagnostics),
        vec!["Cannot import non-existent remote object@-"]
    );
}

fn pending(mut planned: Value, known_ids: &[&str]) -> Value {
    planned["$pending_create"] =
        json!({"started_at": "2030-01-01T00:10:00Z", "known_ids": known_ids});
    planned
}

fn planned_account() -> Value {
    json!({"id": null, "name": "robot", "folder_id": "b1gfolder", "description": "for AI", "labels": null,
           "created_at": null})
}

fn planned_key() -> Value {
    json!({"id": null, "service_account_id": "aje1", "description": "studio", "scopes": ["a.scope"],
           "expires_at": null, "created_at": null, "secret_key": null, "pgp_key": null, "output_to_lockbox": null})
}

#[test]
fn an_interrupted_service_account_create_is_adopted_when_it_happened() {
    struct Case {
        name: &'static str,
        listed: Value,
        known: &'static [&'static str],
        adopted: bool,
    }
    let account = |created_at: &str| {
        json!({"serviceAccounts": [{"id": "aje1", "folderId": "b1gfolder", "name": "robot",
            "description": "for AI", "createdAt": created_at}]})
    };
    let cases = [
        Case {
            name: "created after the create started",
            listed: account("2030-01-01T00:10:01Z"),
            known: &[],
            adopted: true,
        },
        Case {
            name: "created a little before, by a skewed clock",
            listed: account("2030-01-01T00:09:00Z"),
            known: &[],
            adopted: true,
        },
        Case {
            name: "no account of that name",
            listed: json!({}),
            known: &[],
            adopted: false,
        },
        Case {
            name: "an account that existed long before",
            listed: account("2029-06-01T00:00:00Z"),
            known: &[],
            adopted: false,
        },
        Case {
            name: "an account the state already records",
            listed: account("2030-01-01T00:10:01Z"),
            known: &["aje1"],
            adopted: false,
        },
    ];
    let provider = Provider::new();
    for case in cases {
        let fake = FakePlatform::new();
        fake.reply(200, case.listed.clone());
        let (state, diagnostics) =
            read(&provider, &fake, SA, pending(planned_account(), case.known));
        assert_eq!(
            fake.request_lines(),
            vec![
                "GET /iam/v1/serviceAccounts?folderId=b1gfolder&filter=name%3D%22robot%22&pageSize=1000"
            ],
            "{}",
            case.name
        );
        if case.adopted {
            let state = state.unwrap_or_else(|| panic!("{}: not adopted", case.name));
            assert_eq!(state["id"], "aje1", "{}", case.name);
            assert_eq!(state["folder_id"], "b1gfolder", "{}", case.name);
            assert!(state.get("$pending_create").is_none(), "{}", case.name);
            assert_eq!(
                summaries(&diagnostics),
                vec!["Service account adopted after an interrupted apply@-"],
                "{}",
                case.name
            );
            assert_eq!(diagnostics[0].severity, Severity::Warning);
        } else {
            assert_eq!((state, diagnostics), (None, vec![]), "{}", case.name);
        }
    }

    let fake = FakePlatform::new();
    fake.reply_error(403, 7, "denied");
    let (state, diagnostics) = read(&provider, &fake, SA, pending(planned_account(), &[]));
    assert!(has_errors(&diagnostics));
    assert_eq!(
        state.unwrap()["name"],
        "robot",
        "the pending instance is kept"
    );
}

#[test]
fn an_api_key_whose_secret_was_lost_is_revoked() {
    let provider = Provider::new();
    let key = |id: &str, description: &str, created_at: &str| {
        json!({"id": id, "serviceAccountId": "aje1", "description": description, "scopes": ["a.scope"],
            "createdAt": created_at})
    };
    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"apiKeys": [
            key("known", "studio", "2030-01-01T00:10:01Z"),
            key("orphan", "studio", "2030-01-01T00:10:02Z"),
            key("older", "studio", "2029-01-01T00:00:00Z"),
            key("other", "something else", "2030-01-01T00:10:03Z"),
            {"id": "wider", "serviceAccountId": "aje1", "description": "studio",
             "scopes": ["a.scope", "b.scope"], "createdAt": "2030-01-01T00:10:04Z"},
            {"id": "expiring", "serviceAccountId": "aje1", "description": "studio", "scopes": ["a.scope"],
             "expiresAt": "2031-01-01T00:00:00Z", "createdAt": "2030-01-01T00:10:05Z"},
            {"id": "undated", "serviceAccountId": "aje1", "description": "studio", "scopes": ["a.scope"]},
        ]}),
    )
    .reply(200, json!({"id": "op1", "done": true}));
    let (state, diagnostics) = read(&provider, &fake, KEY, pending(planned_key(), &["known"]));
    assert_eq!(state, None, "a new key will be created");
    assert_eq!(
        fake.request_lines(),
        vec![
            "GET /iam/v1/apiKeys?serviceAccountId=aje1&pageSize=1000",
            "DELETE /iam/v1/apiKeys/orphan",
        ]
    );
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert!(
        diagnostics[0].detail.contains(
            "An API key created by an interrupted apply was revoked because its secret was never stored; a new key will be created"
        ),
        "{}",
        diagnostics[0].detail
    );
    assert!(diagnostics[0].detail.contains("orphan"));

    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"apiKeys": [key("older", "studio", "2029-01-01T00:00:00Z")]}),
    );
    assert_eq!(
        read(&provider, &fake, KEY, pending(planned_key(), &[])),
        (None, vec![]),
        "nothing was created: nothing to revoke"
    );

    let fake = FakePlatform::new();
    fake.reply_error(404, 5, "no such service account");
    assert_eq!(
        read(&provider, &fake, KEY, pending(planned_key(), &[])),
        (None, vec![])
    );

    let fake = FakePlatform::new();
    fake.reply(
        200,
        json!({"apiKeys": [key("orphan", "studio", "2030-01-01T00:10:02Z")]}),
    )
    .reply_error(403, 7, "denied");
    let (state, diagnostics) = read(&provider, &fake, KEY, pending(planned_key(), &[]));
    assert!(has_errors(&diagnostics), "{diagnostics:?}");
    assert!(state.is_some(), "kept pending, so the next run tries again");
}

#[test]
fn an_interrupted_member_create_is_read_as_usual() {
    let provider = Provider::new();
    let mut planned = member_state();
    planned["id"] = Value::Null;
    let listed = json!({"accessBindings": [{"roleId": "ai.languageModels.user",
        "subject": {"id": "aje1", "type": "serviceAccount"}}]});
    let fake = FakePlatform::new();
    fake.reply(200, listed);
    let (state, diagnostics) = read(&provider, &fake, MEMBER, pending(planned.clone(), &[]));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(state.unwrap(), member_state());

    let fake = FakePlatform::new();
    fake.reply(200, json!({}));
    assert_eq!(
        read(&provider, &fake, MEMBER, pending(planned, &[])),
        (None, vec![])
    );
}

#[test]
fn a_malformed_pending_marker_is_an_invalid_state() {
    let provider = Provider::new();
    let fake = FakePlatform::new();
    let mut state = planned_account();
    state["$pending_create"] = json!({"started_at": "later"});
    let (kept, diagnostics) = read(&provider, &fake, SA, state);
    assert_eq!(summaries(&diagnostics), vec!["Invalid state@-"]);
    assert_eq!(kept.unwrap()["name"], "robot");
    assert!(fake.requests().is_empty());
}
