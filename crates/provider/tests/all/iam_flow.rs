//! The imperative IAM client against the emulator.

use yc_emulator::{Config, Faults};
use ycprov_provider::error::{Code, Error};
use ycprov_provider::iam::Iam;
use ycprov_provider::model::{AccountSpec, AccountUpdate, KeySpec, KeyUpdate, Subject};

use crate::emulator_platform::{EmulatorPlatform, assert_no_secret_logged};

fn spec(folder_id: &str, name: &str) -> AccountSpec {
    AccountSpec {
        folder_id: folder_id.to_owned(),
        name: name.to_owned(),
        description: Some("ycprov test".to_owned()),
        labels: vec![("team".to_owned(), "ml".to_owned())],
    }
}

#[test]
fn full_iam_round_trip_with_pending_operations() {
    let platform = EmulatorPlatform::start(Config {
        pending_polls: 2,
        ..Config::default()
    });
    let folder = platform.folder_id();
    let iam = Iam::new(&platform);

    let account = iam.create_account(&spec(&folder, "robot")).unwrap();
    assert_eq!(
        (account.name.as_str(), account.folder_id.as_str()),
        ("robot", folder.as_str())
    );
    assert_eq!(account.labels, vec![("team".to_owned(), "ml".to_owned())]);
    assert!(!account.created_at.is_empty());

    let found = iam.find_account_by_name(&folder, "robot").unwrap().unwrap();
    assert_eq!(found.id, account.id);
    assert_eq!(iam.find_account_by_name(&folder, "nobody").unwrap(), None);
    assert!(
        iam.list_accounts(&folder)
            .unwrap()
            .iter()
            .any(|a| a.id == account.id)
    );

    let updated = iam
        .update_account(
            &account.id,
            &AccountUpdate {
                description: Some(String::new()),
                ..AccountUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.description.as_str()),
        ("robot", "")
    );
    assert_eq!(
        updated.labels, account.labels,
        "labels outside the mask are kept"
    );

    let subject = Subject {
        kind: "serviceAccount".to_owned(),
        id: account.id.clone(),
    };
    iam.bind_role(&folder, "ai.languageModels.user", &subject)
        .unwrap();
    let bindings = iam.list_folder_bindings(&folder).unwrap();
    assert!(
        bindings
            .iter()
            .any(|b| b.role_id == "ai.languageModels.user" && b.subject == subject)
    );

    let created = iam
        .create_key(&KeySpec {
            service_account_id: account.id.clone(),
            description: None,
            scopes: vec!["yc.ai.languageModels.execute".to_owned()],
            expires_at: Some("2031-01-01T00:00:00Z".to_owned()),
            scope: None,
        })
        .unwrap();
    assert!(platform.emulator.issued_secrets().contains(&created.secret));
    let key = iam.get_key(&created.key.id).unwrap();
    assert_eq!(key.scopes, vec!["yc.ai.languageModels.execute".to_owned()]);
    assert!(key.expires_at.is_some());
    let key = iam
        .update_key(
            &key.id,
            &KeyUpdate {
                expires_at: Some(String::new()),
                ..KeyUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(key.expires_at, None);
    assert_eq!(iam.list_keys(&account.id).unwrap().len(), 1);

    iam.delete_key(&key.id).unwrap();
    assert!(iam.get_key(&key.id).unwrap_err().is(Code::NotFound));
    iam.unbind_role(&folder, "ai.languageModels.user", &subject)
        .unwrap();
    iam.delete_account(&account.id).unwrap();
    assert!(iam.get_account(&account.id).unwrap_err().is(Code::NotFound));
    assert!(
        platform
            .sent
            .borrow()
            .iter()
            .any(|line| line.starts_with("GET /operations/"))
    );
    assert_no_secret_logged(&platform);
}

#[test]
fn duplicate_names_are_already_exists_with_a_request_id() {
    let platform = EmulatorPlatform::start(Config::default());
    let iam = Iam::new(&platform);
    iam.create_account(&spec(&platform.folder_id(), "twin"))
        .unwrap();
    let error = iam
        .create_account(&spec(&platform.folder_id(), "twin"))
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code, Code::AlreadyExists);
    assert!(api.request_id.is_some(), "{error}");
    assert!(error.to_string().starts_with("ALREADY_EXISTS: "), "{error}");
}

#[test]
fn retries_through_faults_without_duplicates() {
    let platform = EmulatorPlatform::start(Config {
        seed: 7,
        faults: Faults {
            rate_503: 0.25,
            rate_429: 0.1,
            rate_reset: 0.1,
            ..Faults::default()
        },
        ..Config::default()
    });
    let folder = platform.folder_id();
    let iam = Iam::new(&platform);
    for index in 0..5 {
        let account = iam
            .create_account(&spec(&folder, &format!("faulty-{index}")))
            .unwrap();
        let subject = Subject {
            kind: "serviceAccount".to_owned(),
            id: account.id.clone(),
        };
        iam.bind_role(&folder, "viewer", &subject).unwrap();
    }
    let snapshot = platform.emulator.snapshot();
    assert_eq!(
        snapshot
            .service_accounts
            .iter()
            .filter(|a| a.name.starts_with("faulty-"))
            .count(),
        5
    );
    let retries = platform
        .logs()
        .iter()
        .filter(|(_, message)| message.contains("still trying"))
        .count();
    assert!(retries > 0, "the faults forced retries");
}

#[test]
fn failed_operations_are_sent_again_without_duplicates() {
    let platform = EmulatorPlatform::start(Config {
        seed: 11,
        faults: Faults {
            rate_failed_operation: 0.4,
            rate_503: 0.1,
            ..Faults::default()
        },
        ..Config::default()
    });
    let folder = platform.folder_id();
    let iam = Iam::new(&platform);
    for index in 0..6 {
        let account = iam
            .create_account(&spec(&folder, &format!("failing-{index}")))
            .unwrap();
        let subject = Subject {
            kind: "serviceAccount".to_owned(),
            id: account.id.clone(),
        };
        iam.bind_role(&folder, "viewer", &subject).unwrap();
        iam.create_key(&KeySpec {
            service_account_id: account.id.clone(),
            description: Some("studio".to_owned()),
            scopes: vec!["yc.ai.languageModels.execute".to_owned()],
            expires_at: None,
            scope: None,
        })
        .unwrap();
    }
    let stats = platform.emulator.stats();
    assert!(
        stats
            .injected_faults
            .get("failed_operation")
            .copied()
            .unwrap_or(0)
            > 0,
        "{stats:?}"
    );
    assert_eq!(stats.created("service_account"), 6, "{stats:?}");
    assert_eq!(stats.created("access_binding"), 6, "{stats:?}");
    assert_eq!(stats.created("api_key"), 6, "{stats:?}");
    assert!(
        platform
            .logs()
            .iter()
            .any(|(_, message)| message.contains("sending the request again")),
        "failed operations were retried"
    );
}
