//! With the emulator injecting faults (20 % of requests answered 429/503 or reset,
//! slow and failing operations), the provider's retries still finish the flow with
//! nothing duplicated.

use yc_emulator::{Config, Faults};

use crate::support::{Cloud, Run, base_command};

fn faulty(seed: u64) -> Cloud {
    Cloud::with_config(Config {
        seed,
        faults: Faults {
            rate_429: 0.08,
            rate_503: 0.07,
            rate_reset: 0.05,
            rate_failed_operation: 0.05,
            slow_operation_polls: 2,
            ..Faults::default()
        },
        ..Config::default()
    })
}

#[test]
fn the_three_steps_finish_under_twenty_percent_faults() {
    for seed in [3, 7, 11] {
        let cloud = faulty(seed);
        let folder = cloud.folder();
        let account = cloud
            .ycprov(&[
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "sa-faults",
                "--format",
                "json",
            ])
            .json();
        let id = account["id"].as_str().unwrap();
        cloud
            .ycprov(&[
                "role",
                "bind",
                "--folder-id",
                &folder,
                "--role",
                "ai.languageModels.user",
                "--service-account-id",
                id,
            ])
            .ok();
        let key = cloud
            .ycprov(&[
                "key",
                "create",
                "--service-account-id",
                id,
                "--scope",
                "yc.ai.languageModels.execute",
                "--format",
                "json",
            ])
            .json();
        assert!(key["secret"].as_str().unwrap().starts_with("AQVN"));

        let snapshot = cloud.emulator.snapshot();
        assert_eq!(
            snapshot.service_accounts.len(),
            1,
            "seed {seed}: no duplicate account"
        );
        assert_eq!(snapshot.api_keys.len(), 1, "seed {seed}: no duplicate key");
        let stats = cloud.emulator.stats();
        assert!(
            stats.injected_faults.values().sum::<u64>() > 0,
            "seed {seed}: faults were injected: {stats:?}"
        );
    }
}

#[test]
fn a_declarative_apply_converges_under_faults() {
    let cloud = faulty(5);
    let dir = tempfile::tempdir().unwrap();
    let mut tf = String::new();
    for team in ["alpha", "beta", "gamma", "delta", "epsilon"] {
        tf.push_str(&format!(
            r#"
resource "yandex_iam_service_account" "{team}" {{
  name = "sa-{team}"
}}
resource "yandex_resourcemanager_folder_iam_member" "{team}" {{
  folder_id = yandex_iam_service_account.{team}.folder_id
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${{yandex_iam_service_account.{team}.id}}"
}}
resource "yandex_iam_service_account_api_key" "{team}" {{
  service_account_id = yandex_iam_service_account.{team}.id
  scopes             = ["yc.ai.languageModels.execute"]
}}
"#
        ));
    }
    std::fs::write(dir.path().join("main.tf"), tf).unwrap();
    let run = Run::of(
        base_command(Some(dir.path()))
            .env("YC_ENDPOINT", cloud.emulator.base_url())
            .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
            .env("YC_FOLDER_ID", cloud.folder())
            .args(["apply", "-auto-approve"]),
    );
    assert!(run.ok().contains("15 added"), "{}", run.stdout);
    let snapshot = cloud.emulator.snapshot();
    assert_eq!(snapshot.service_accounts.len(), 5);
    assert_eq!(snapshot.api_keys.len(), 5);
    let stats = cloud.emulator.stats();
    assert!(stats.injected_faults.values().sum::<u64>() > 0, "{stats:?}");
}
