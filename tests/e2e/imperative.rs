//! The three imperative steps and their error paths.

use crate::support::Cloud;

#[test]
fn three_steps_create_account_binding_and_key() {
    let cloud = Cloud::start();
    let folder = cloud.folder();

    let account = cloud
        .ycprov(&[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-api",
            "--description",
            "AI Studio",
            "--format",
            "json",
        ])
        .json();
    let account_id = account["id"].as_str().expect("account id").to_string();
    assert_eq!(account["name"], "sa-api");
    assert_eq!(account["folder_id"], folder.as_str());

    let bound = cloud.ycprov(&[
        "role",
        "bind",
        "--folder-id",
        &folder,
        "--role",
        "ai.languageModels.user",
        "--service-account-id",
        &account_id,
    ]);
    assert!(bound.ok().contains("granted ai.languageModels.user"));

    let key = cloud
        .ycprov(&[
            "key",
            "create",
            "--service-account-id",
            &account_id,
            "--scope",
            "yc.ai.languageModels.execute",
            "--expires-at",
            "2030-01-01T00:00:00Z",
            "--format",
            "json",
        ])
        .json();
    let secret = key["secret"].as_str().expect("secret");
    assert!(secret.starts_with("AQVN"), "{secret}");
    assert_eq!(key["api_key"]["service_account_id"], account_id.as_str());
    assert_eq!(key["api_key"]["scopes"][0], "yc.ai.languageModels.execute");

    let snapshot = cloud.emulator.snapshot();
    assert_eq!(snapshot.service_accounts.len(), 1);
    assert_eq!(snapshot.service_accounts[0].name, "sa-api");
    let bindings = &snapshot.folder_bindings[&folder];
    assert!(
        bindings
            .iter()
            .any(|b| b.role_id == "ai.languageModels.user"
                && b.subject_type == "serviceAccount"
                && b.subject_id == account_id)
    );
    assert_eq!(snapshot.api_keys.len(), 1);
    assert_eq!(snapshot.api_keys[0].service_account_id, account_id);

    let text = cloud.ycprov(&["key", "list", "--service-account-id", &account_id]);
    assert!(text.ok().contains("yc.ai.languageModels.execute"));
    assert!(
        !text.stdout.contains(secret),
        "list must not show the secret"
    );
    let listed = cloud
        .ycprov(&["role", "list", "--folder-id", &folder, "--format", "json"])
        .json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["subject"]["id"] == account_id.as_str())
    );
}

#[test]
fn key_create_prints_like_yc() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let account = cloud
        .ycprov(&[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-text",
            "--format",
            "json",
        ])
        .json();
    let id = account["id"].as_str().unwrap();
    let out = cloud.ycprov(&[
        "key",
        "create",
        "--service-account-id",
        id,
        "--scope",
        "yc.ai.languageModels.execute",
    ]);
    let text = out.ok();
    assert!(text.starts_with("api_key:\n  id: "), "{text}");
    assert!(
        text.contains(&format!("  service_account_id: {id}\n")),
        "{text}"
    );
    assert!(text.contains("  created_at: \""), "{text}");
    assert!(text.contains("\nsecret: AQVN"), "{text}");
}

#[test]
fn get_list_and_delete_round_trip() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let account = cloud
        .ycprov(&[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-rt",
            "--format",
            "json",
        ])
        .json();
    let id = account["id"].as_str().unwrap().to_string();
    let by_name = cloud
        .ycprov(&[
            "account",
            "get",
            "--name",
            "sa-rt",
            "--folder-id",
            &folder,
            "--format",
            "json",
        ])
        .json();
    assert_eq!(by_name["id"], id.as_str());
    let listed = cloud
        .ycprov(&[
            "account",
            "list",
            "--folder-id",
            &folder,
            "--format",
            "json",
        ])
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let key = cloud
        .ycprov(&[
            "key",
            "create",
            "--service-account-id",
            &id,
            "--format",
            "json",
        ])
        .json();
    let key_id = key["api_key"]["id"].as_str().unwrap().to_string();
    cloud.ycprov(&["key", "delete", &key_id]).ok();
    assert!(cloud.emulator.snapshot().api_keys.is_empty());
    cloud
        .ycprov(&[
            "role",
            "bind",
            "--folder-id",
            &folder,
            "--role",
            "viewer",
            "--subject",
            &format!("serviceAccount:{id}"),
        ])
        .ok();
    cloud
        .ycprov(&[
            "role",
            "unbind",
            "--folder-id",
            &folder,
            "--role",
            "viewer",
            "--service-account-id",
            &id,
        ])
        .ok();
    cloud.ycprov(&["account", "delete", &id]).ok();
    assert!(cloud.emulator.snapshot().service_accounts.is_empty());
    let gone = cloud.ycprov(&["account", "get", &id]);
    assert_eq!(gone.code, 4, "{}", gone.stderr);
    assert!(gone.stderr.contains("NOT_FOUND"), "{}", gone.stderr);
}

/// Each failing command: exit code, a phrase the message must contain, and nothing half-created.
#[test]
fn error_paths_are_clear_and_leave_nothing_behind() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    cloud
        .ycprov(&[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "taken",
        ])
        .ok();
    let admin = cloud.emulator.seed().admin_token.clone();

    struct Case<'a> {
        name: &'a str,
        token: Option<&'a str>,
        args: Vec<&'a str>,
        exit: i32,
        says: &'a [&'a str],
    }
    let cases = [
        Case {
            name: "duplicate name",
            token: Some(&admin),
            args: vec![
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "taken",
            ],
            exit: 5,
            says: &["ALREADY_EXISTS", "taken"],
        },
        Case {
            name: "invalid name",
            token: Some(&admin),
            args: vec![
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "Bad_Name",
            ],
            exit: 3,
            says: &["name"],
        },
        Case {
            name: "unknown folder",
            token: Some(&admin),
            args: vec![
                "account",
                "create",
                "--folder-id",
                "b1gnosuchfolder00000",
                "--name",
                "sa-x",
            ],
            exit: 4,
            says: &["NOT_FOUND"],
        },
        Case {
            name: "missing token",
            token: None,
            args: vec![
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "sa-y",
            ],
            exit: 6,
            says: &["UNAUTHENTICATED", "YC_IAM_TOKEN"],
        },
        Case {
            name: "unknown token",
            token: Some("t1.not-a-real-token"),
            args: vec![
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "sa-z",
            ],
            exit: 6,
            says: &["UNAUTHENTICATED"],
        },
        Case {
            name: "bad expiry",
            token: Some(&admin),
            args: vec![
                "key",
                "create",
                "--service-account-id",
                "ajenosuchaccount0000",
                "--expires-at",
                "tomorrow",
            ],
            exit: 3,
            says: &["expires"],
        },
        Case {
            name: "bad subject",
            token: Some(&admin),
            args: vec![
                "role",
                "bind",
                "--folder-id",
                &folder,
                "--role",
                "viewer",
                "--subject",
                "nocolon",
            ],
            exit: 3,
            says: &["TYPE:ID"],
        },
    ];
    for case in &cases {
        let run = cloud.ycprov_as(case.token, &case.args);
        assert_eq!(
            run.code, case.exit,
            "{}: exit code; stderr: {}",
            case.name, run.stderr
        );
        for phrase in case.says {
            assert!(
                run.stderr.contains(phrase),
                "{}: stderr lacks `{phrase}`: {}",
                case.name,
                run.stderr
            );
        }
        assert!(
            run.stderr.starts_with("error: "),
            "{}: {}",
            case.name,
            run.stderr
        );
        assert!(
            !run.stderr.contains("t1.not-a-real-token"),
            "{}: token leaked",
            case.name
        );
    }
    let snapshot = cloud.emulator.snapshot();
    assert_eq!(
        snapshot.service_accounts.len(),
        1,
        "only the first account exists"
    );
    assert!(snapshot.api_keys.is_empty());
}

#[test]
fn a_non_allowed_endpoint_is_refused_before_any_request() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let run = crate::support::Run::of(
        crate::support::base_command(None)
            .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
            .args([
                "--endpoint",
                "ftp://127.0.0.1:1",
                "account",
                "list",
                "--folder-id",
                &folder,
            ]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("scheme `ftp` is not supported"),
        "{}",
        run.stderr
    );
}
