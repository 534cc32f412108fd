//! `ycprov ai-studio key create` against the emulator: the console's one-click key (the
//! default preset), the least-privilege preset, reuse of an account, a failure part-way
//! and the rerun that completes it, `--format env` into a private file, the scope check
//! and the quota errors.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use yc_emulator::{Config, Quotas};

use crate::hostile_api::{Answer, HostileApi, Request, Rewrite};
use crate::support::{Cloud, Run, base_command};

const ALL_ROLES: [&str; 5] = [
    "ai.editor",
    "serverless.mcpGateways.invoker",
    "serverless.mcpGateways.anonymousInvoker",
    "serverless.workflows.executor",
    "search-api.webSearch.user",
];

fn create(cloud: &Cloud, endpoint: &str, args: &[&str]) -> Run {
    Run::of(
        base_command(None)
            .env("YC_ENDPOINT", endpoint)
            .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
            .env("YC_FOLDER_ID", cloud.folder())
            .args(["ai-studio", "key", "create"])
            .args(args),
    )
}

fn roles_of(cloud: &Cloud, account: &str) -> Vec<String> {
    let mut roles: Vec<String> = cloud.emulator.snapshot().folder_bindings[&cloud.folder()]
        .iter()
        .filter(|b| b.subject_id == account)
        .map(|b| b.role_id.clone())
        .collect();
    roles.sort();
    roles
}

#[test]
fn presets_make_the_account_roles_and_key_in_one_command() {
    let cases: [(&str, &[&str], Vec<&str>, usize); 2] = [
        (
            "default: the console's one-click key",
            &[],
            ALL_ROLES.to_vec(),
            9,
        ),
        (
            "least privilege",
            &["--preset", "language-models"],
            vec!["ai.languageModels.user"],
            1,
        ),
    ];
    for (name, extra, roles, scopes) in cases {
        let cloud = Cloud::start();
        let mut args = vec!["--format", "json", "--expires-in", "90d"];
        args.extend_from_slice(extra);
        let result = create(&cloud, &cloud.emulator.base_url(), &args).json();
        let account = result["service_account_id"].as_str().unwrap();
        let mut want: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        want.sort();
        assert_eq!(roles_of(&cloud, account), want, "{name}");
        let snapshot = cloud.emulator.snapshot();
        assert_eq!(
            snapshot
                .service_accounts
                .iter()
                .filter(|a| a.id == account)
                .count(),
            1
        );
        let keys: Vec<_> = snapshot
            .api_keys
            .iter()
            .filter(|k| k.service_account_id == account)
            .collect();
        assert_eq!(keys.len(), 1, "{name}");
        assert_eq!(keys[0].scopes.len(), scopes, "{name}");
        assert_eq!(result["api_key_id"], json!(keys[0].id));
        let secret = result["secret"].as_str().unwrap();
        assert!(
            cloud
                .emulator
                .issued_secrets()
                .contains(&secret.to_string()),
            "{name}"
        );
        assert!(
            result["expires_at"]
                .as_str()
                .is_some_and(|e| e.starts_with('2')),
            "{name}: {result}"
        );
        assert!(
            result["service_account_name"]
                .as_str()
                .unwrap()
                .starts_with("ai-studio-")
        );
        let stats = cloud.emulator.stats();
        assert_eq!(
            stats.count("POST /resource-manager/v1/folders/{resourceId}:updateAccessBindings"),
            1,
            "{name}: the roles are granted in one batched update"
        );
    }
}

#[test]
fn an_existing_account_is_reused_and_env_output_goes_to_a_private_file() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let account = cloud.create_account("sa-mine");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ai-studio.env");
    let run = create(
        &cloud,
        &cloud.emulator.base_url(),
        &[
            "--service-account-id",
            &account,
            "--format",
            "env",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    let stdout = run.ok().to_string();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let env = std::fs::read_to_string(&file).unwrap();
    let secret = env
        .lines()
        .find_map(|l| l.strip_prefix("YC_API_KEY="))
        .unwrap();
    assert!(
        cloud
            .emulator
            .issued_secrets()
            .contains(&secret.to_string())
    );
    assert!(
        env.contains(&format!("YC_FOLDER_ID={folder}"))
            && env.contains(&format!("YC_SERVICE_ACCOUNT_ID={account}")),
        "{env}"
    );
    assert!(
        !stdout.contains(secret),
        "the secret stays out of stdout: {stdout}"
    );
    assert!(stdout.contains("mode 0600"), "{stdout}");
    assert_eq!(
        cloud
            .emulator
            .snapshot()
            .service_accounts
            .iter()
            .filter(|a| a.name == "sa-mine")
            .count(),
        1
    );

    let again = create(
        &cloud,
        &cloud.emulator.base_url(),
        &[
            "--service-account-id",
            &account,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        again.code, 2,
        "an existing --out file is refused: {}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        env,
        "and left as it was"
    );
}

#[test]
fn a_failure_part_way_names_what_exists_and_the_rerun_completes_it() {
    let cloud = Cloud::start();
    let refused = Arc::new(AtomicBool::new(false));
    let once = Arc::clone(&refused);
    let rewrite: Rewrite = Arc::new(move |request: &Request, answer: Answer| {
        if request.path.contains(":updateAccessBindings") && !once.swap(true, Ordering::SeqCst) {
            return Answer {
                status: 403,
                body: json!({"code": 7, "message": "Permission denied to update access bindings", "details": []}).to_string(),
                location: None,
            };
        }
        answer
    });
    let api = HostileApi::start(cloud.emulator.base_url(), rewrite);
    let failed = create(
        &cloud,
        &api.url,
        &["--name", "sa-partway", "--format", "json"],
    );
    assert_eq!(failed.code, 6, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("service account sa-partway ("),
        "{}",
        failed.stderr
    );
    assert!(
        failed
            .stderr
            .contains("run the command again with --name sa-partway"),
        "{}",
        failed.stderr
    );
    assert!(failed.stdout.is_empty());

    let done = create(
        &cloud,
        &api.url,
        &["--name", "sa-partway", "--format", "json"],
    );
    let result = done.json();
    assert!(
        done.stderr.contains("Reusing service account sa-partway"),
        "{}",
        done.stderr
    );
    let snapshot = cloud.emulator.snapshot();
    let accounts: Vec<_> = snapshot
        .service_accounts
        .iter()
        .filter(|a| a.name == "sa-partway")
        .collect();
    assert_eq!(accounts.len(), 1, "no duplicate account");
    assert_eq!(result["service_account_id"], json!(accounts[0].id));
    assert_eq!(roles_of(&cloud, &accounts[0].id).len(), 5);
    assert_eq!(
        snapshot
            .api_keys
            .iter()
            .filter(|k| k.service_account_id == accounts[0].id)
            .count(),
        1
    );
}

#[test]
fn unknown_scopes_and_exhausted_quotas_are_named() {
    let cloud = Cloud::start();
    let bad = create(
        &cloud,
        &cloud.emulator.base_url(),
        &["--scope", "yc.ai.languageModel.execute"],
    );
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("did you mean yc.ai.languageModels.execute?"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("nothing was created"), "{}", bad.stderr);
    assert!(cloud.emulator.snapshot().service_accounts.is_empty());

    let seeded: usize = Cloud::start()
        .emulator
        .snapshot()
        .folder_bindings
        .values()
        .map(Vec::len)
        .sum();
    let cases: [(&str, Quotas, &str); 3] = [
        (
            "service accounts",
            Quotas {
                service_accounts: 0,
                ..Quotas::default()
            },
            "iam.serviceAccounts.count",
        ),
        (
            "access bindings",
            Quotas {
                access_bindings: seeded + 1,
                ..Quotas::default()
            },
            "iam.accessBindings.count",
        ),
        (
            "API keys",
            Quotas {
                api_keys: 0,
                ..Quotas::default()
            },
            "iam.apiKeys.count",
        ),
    ];
    for (name, quotas, quota) in cases {
        let cloud = Cloud::with_config(Config {
            quotas,
            ..Config::default()
        });
        let run = create(&cloud, &cloud.emulator.base_url(), &[]);
        assert_eq!(run.code, 8, "{name}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("Quota limit {quota} exceeded")),
            "{name}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("--quota-id={quota}")),
            "{name}: how to raise it: {}",
            run.stderr
        );
        let value: Value = json!(run.stdout);
        assert_eq!(value, json!(""), "{name}: nothing printed");
    }
}

#[test]
fn the_declarative_example_makes_what_the_command_makes() {
    let cloud = Cloud::start();
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/ai-studio-all-services/main.tf"
    );
    std::fs::copy(example, dir.path().join("main.tf")).unwrap();
    Run::of(
        cloud
            .command_in(dir.path())
            .args(["apply", "-auto-approve"]),
    )
    .ok();
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();
    let account = state["outputs"]["service_account_id"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let mut want: Vec<String> = ALL_ROLES.iter().map(|r| r.to_string()).collect();
    want.sort();
    assert_eq!(roles_of(&cloud, &account), want);
    let snapshot = cloud.emulator.snapshot();
    let key = snapshot
        .api_keys
        .iter()
        .find(|k| k.service_account_id == account)
        .unwrap();
    assert_eq!(key.scopes.len(), 9);
    let again = Run::of(
        cloud
            .command_in(dir.path())
            .args(["plan", "-detailed-exitcode"]),
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
}
