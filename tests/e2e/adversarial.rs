//! Hostile inputs and a hostile API through the real binary and component: an error
//! that echoes the token, a key created without its secret, a key born expired, an
//! unknown scope, a malformed flag, out-of-range policy values.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::hostile_api::{Answer, HostileApi, Request, Rewrite};
use crate::support::{Cloud, Run, base_command};

/// Runs `ycprov ARGS` in `dir` against `endpoint` as the seeded admin.
fn run_at(cloud: &Cloud, endpoint: &str, dir: &Path, args: &[&str]) -> Run {
    Run::of(
        base_command(Some(dir))
            .env("YC_ENDPOINT", endpoint)
            .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
            .env("YC_FOLDER_ID", cloud.folder())
            .args(args),
    )
}

fn workspace(tf: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), tf).unwrap();
    dir
}

const ACCOUNT_AND_KEY: &str = r#"
resource "yandex_iam_service_account" "sa" {
  name = "sa-hostile"
}
resource "yandex_iam_service_account_api_key" "key" {
  service_account_id = yandex_iam_service_account.sa.id
  scopes             = ["yc.ai.languageModels.execute"]
}
"#;

fn bearer(request: &Request) -> String {
    request
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.trim_start_matches("Bearer ").to_string())
        .unwrap_or_default()
}

#[test]
fn an_api_error_that_echoes_the_token_is_printed_redacted_by_every_command() {
    let cloud = Cloud::start();
    let token = cloud.emulator.seed().admin_token.clone();
    let rewrite: Rewrite = Arc::new(|request: &Request, answer: Answer| {
        if request.method == "POST" || request.path.contains("serviceAccounts") {
            Answer {
                status: 400,
                body: json!({"code": 3, "message": format!("token {} is not valid for this call", bearer(request)), "details": []}).to_string(),
                location: None,
            }
        } else {
            answer
        }
    });
    let api = HostileApi::start(cloud.emulator.base_url(), rewrite);
    let dir = workspace(ACCOUNT_AND_KEY);
    let folder = cloud.folder();
    let runs = [
        run_at(&cloud, &api.url, dir.path(), &["apply", "-auto-approve"]),
        run_at(&cloud, &api.url, dir.path(), &["plan"]),
        run_at(
            &cloud,
            &api.url,
            dir.path(),
            &[
                "import",
                "yandex_iam_service_account.sa",
                "aje00000000000000000",
            ],
        ),
        run_at(
            &cloud,
            &api.url,
            dir.path(),
            &[
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "sa-x",
            ],
        ),
        run_at(
            &cloud,
            &api.url,
            dir.path(),
            &["account", "list", "--folder-id", &folder],
        ),
    ];
    let mut echoed = 0;
    for run in &runs {
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains(&token), "token printed:\n{all}");
        assert_ne!(run.code, 0, "{all}");
        echoed += usize::from(all.contains("token [REDACTED] is not valid"));
    }
    assert!(echoed >= 3, "the error itself is still shown, redacted");
}

#[test]
fn a_key_created_without_its_secret_is_revoked_on_the_next_run() {
    let cloud = Cloud::start();
    let dir = workspace(ACCOUNT_AND_KEY);
    let rewrite: Rewrite = Arc::new(|request: &Request, answer: Answer| {
        if request.method == "POST" && request.path.starts_with("/iam/v1/apiKeys") {
            let mut body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
            if let Some(object) = body.as_object_mut() {
                object.remove("secret");
            }
            Answer {
                body: body.to_string(),
                ..answer
            }
        } else {
            answer
        }
    });
    let api = HostileApi::start(cloud.emulator.base_url(), rewrite);
    let broken = run_at(&cloud, &api.url, dir.path(), &["apply", "-auto-approve"]);
    assert_ne!(broken.code, 0, "{}", broken.stdout);
    assert_eq!(
        cloud.emulator.snapshot().api_keys.len(),
        1,
        "the key the broken answer made"
    );

    let healthy = run_at(
        &cloud,
        &cloud.emulator.base_url(),
        dir.path(),
        &["apply", "-auto-approve"],
    );
    healthy.ok();
    let keys = cloud.emulator.snapshot().api_keys;
    assert_eq!(keys.len(), 1, "the secretless key was revoked: {keys:?}");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();
    let key = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "yandex_iam_service_account_api_key")
        .unwrap();
    assert_eq!(key["attributes"]["id"], json!(keys[0].id));
    assert!(
        key["attributes"]["secret_key"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}

#[test]
fn bad_key_settings_are_refused_at_plan_before_any_object_is_made() {
    let cases = [
        (
            "an expiry in the past",
            r#"expires_at = "2020-01-01T00:00:00Z""#,
            "is in the past",
        ),
        (
            "an unknown scope",
            r#"scopes = ["yc.ai.languageModel.execute"]"#,
            "Did you mean yc.ai.languageModels.execute?",
        ),
    ];
    for (name, setting, want) in cases {
        let cloud = Cloud::start();
        let dir = workspace(&format!(
            "resource \"yandex_iam_service_account\" \"sa\" {{\n  name = \"sa-plan\"\n}}\nresource \"yandex_iam_service_account_api_key\" \"key\" {{\n  service_account_id = yandex_iam_service_account.sa.id\n  {setting}\n}}\n"
        ));
        let url = cloud.emulator.base_url();
        let plan = run_at(&cloud, &url, dir.path(), &["plan"]);
        assert_eq!(plan.code, 1, "{name}: {}", plan.stdout);
        assert!(plan.stderr.contains(want), "{name}: {}", plan.stderr);
        assert!(
            plan.stderr.contains("main.tf:6:"),
            "{name}: at the attribute's own line: {}",
            plan.stderr
        );
        if name == "an unknown scope" {
            let validate = run_at(&cloud, &url, dir.path(), &["validate"]);
            assert_eq!(
                validate.code, 1,
                "validate checks scopes too: {}",
                validate.stdout
            );
            assert!(validate.stderr.contains(want), "{}", validate.stderr);
        }
        let apply = run_at(&cloud, &url, dir.path(), &["apply", "-auto-approve"]);
        assert_eq!(apply.code, 1, "{name}");
        assert!(
            cloud.emulator.snapshot().service_accounts.is_empty(),
            "{name}: an account was made"
        );
    }
    let cloud = Cloud::with_config(yc_emulator::Config {
        extra_scopes: vec!["yc.serverless.workflows.execute".into()],
        ..yc_emulator::Config::default()
    });
    let dir = workspace(
        "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"sa-plan\"\n}\nresource \"yandex_iam_service_account_api_key\" \"key\" {\n  service_account_id = yandex_iam_service_account.sa.id\n  scopes = [\"yc.serverless.workflows.execute\"]\n}\n",
    );
    let url = cloud.emulator.base_url();
    let plan = run_at(&cloud, &url, dir.path(), &["plan"]);
    assert_eq!(
        plan.code, 0,
        "a scope the cloud lists beyond the documented ones: {}",
        plan.stderr
    );
    let expired = cloud.ycprov(&[
        "key",
        "create",
        "--service-account-id",
        "aje00000000000000000",
        "--expires-at",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(expired.code, 3, "{}", expired.stderr);
    assert!(
        expired.stderr.contains("is in the past"),
        "{}",
        expired.stderr
    );
}

#[test]
fn malformed_flags_and_policy_values_are_usage_errors_naming_the_key() {
    let cloud = Cloud::start();
    let dir = workspace(ACCOUNT_AND_KEY);
    let url = cloud.emulator.base_url();
    let var = run_at(
        &cloud,
        &url,
        dir.path(),
        &["plan", "-var", "no-equals-sign"],
    );
    assert_eq!(var.code, 2, "{}", var.stderr);
    assert!(var.stderr.contains("expected NAME=VALUE"), "{}", var.stderr);

    let cases = [
        ("request_timeout_seconds = 1e300", "request_timeout_seconds"),
        ("call_deadline_seconds = -1", "call_deadline_seconds"),
        ("call_deadline_seconds = 0", "call_deadline_seconds"),
        ("max_memory_mib = 0", "max_memory_mib"),
        ("max_memory_mib = 18446744073709551615", "max_memory_mib"),
        ("max_response_bytes = 0", "max_response_bytes"),
        (
            "max_concurrent_requests = 100000000",
            "max_concurrent_requests",
        ),
    ];
    for (setting, key) in cases {
        let policy = dir.path().join("policy.toml");
        std::fs::write(&policy, setting).unwrap();
        let run = run_at(
            &cloud,
            &url,
            dir.path(),
            &[
                "--policy",
                policy.to_str().unwrap(),
                "account",
                "list",
                "--folder-id",
                "b1gx",
            ],
        );
        assert!(run.code == 1 || run.code == 2, "{setting}: {}", run.stderr);
        assert!(run.stderr.contains(key), "{setting}: {}", run.stderr);
        assert!(
            !run.stderr.contains("panicked"),
            "{setting}: {}",
            run.stderr
        );
    }
}
