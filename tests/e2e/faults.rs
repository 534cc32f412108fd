//! With the emulator injecting faults (20 % of requests answered 429/503 or reset,
//! slow and failing operations), the provider's retries still finish the flow with
//! nothing duplicated.

use std::time::{Duration, Instant};

use yc_emulator::{Config, Faults, Quotas};

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
        let id = &cloud.create_account("sa-faults");
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

/// Service accounts, members and keys of the large configuration: 200 resources.
const LARGE: (usize, usize, usize) = (67, 67, 66);

fn large_config() -> String {
    let (accounts, members, keys) = LARGE;
    let mut tf = String::new();
    for index in 0..accounts {
        tf.push_str(&format!(
            "resource \"yandex_iam_service_account\" \"sa{index}\" {{\n  name = \"load-{index}\"\n}}\n"
        ));
        if index < members {
            tf.push_str(&format!(
                "resource \"yandex_resourcemanager_folder_iam_member\" \"m{index}\" {{\n  folder_id = yandex_iam_service_account.sa{index}.folder_id\n  role = \"ai.languageModels.user\"\n  member = \"serviceAccount:${{yandex_iam_service_account.sa{index}.id}}\"\n}}\n"
            ));
        }
        if index < keys {
            tf.push_str(&format!(
                "resource \"yandex_iam_service_account_api_key\" \"k{index}\" {{\n  service_account_id = yandex_iam_service_account.sa{index}.id\n  description = \"key {index}\"\n  scopes = [\"yc.ai.languageModels.execute\"]\n}}\n"
            ));
        }
    }
    tf
}

#[test]
fn two_hundred_resources_converge_in_one_run_under_faults() {
    let (accounts, members, keys) = LARGE;
    let cloud = Cloud::with_config(Config {
        seed: 17,
        faults: Faults {
            rate_429: 0.08,
            rate_503: 0.07,
            rate_reset: 0.05,
            rate_failed_operation: 0.05,
            slow_operation_polls: 2,
            ..Faults::default()
        },
        quotas: Quotas {
            service_accounts: 1000,
            api_keys: 1000,
            access_bindings: 10_000,
        },
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), large_config()).unwrap();
    let started = Instant::now();
    let run = Run::of(
        cloud
            .command_in(dir.path())
            .args(["apply", "-auto-approve"]),
    );
    let took = started.elapsed();
    assert!(
        run.ok().contains("Apply complete! Resources: 200 added"),
        "{}",
        run.stdout
    );

    let snapshot = cloud.emulator.snapshot();
    let mut names: Vec<String> = snapshot
        .service_accounts
        .iter()
        .map(|a| a.name.clone())
        .collect();
    names.sort();
    let mut wanted: Vec<String> = (0..accounts).map(|i| format!("load-{i}")).collect();
    wanted.sort();
    assert_eq!(names, wanted);
    let bindings = &snapshot.folder_bindings[&cloud.folder()];
    let granted = snapshot
        .service_accounts
        .iter()
        .filter(|a| {
            bindings
                .iter()
                .any(|b| b.role_id == "ai.languageModels.user" && b.subject_id == a.id)
        })
        .count();
    assert_eq!(granted, members);
    assert_eq!(snapshot.api_keys.len(), keys);

    let stats = cloud.emulator.stats();
    assert_eq!(
        stats.created("service_account"),
        accounts as u64,
        "{stats:?}"
    );
    assert_eq!(stats.created("access_binding"), members as u64, "{stats:?}");
    assert_eq!(stats.created("api_key"), keys as u64, "{stats:?}");
    for fault in ["429", "503", "reset", "failed_operation"] {
        assert!(
            stats.injected_faults.get(fault).copied().unwrap_or(0) > 0,
            "no {fault} was injected: {stats:?}"
        );
    }
    eprintln!(
        "faults: 200 resources in {:.1} s, {} requests, faults {:?}",
        took.as_secs_f64(),
        stats.total_requests,
        stats.injected_faults
    );
    assert!(took < Duration::from_secs(90), "took {took:?}");

    let plan = Run::of(
        cloud
            .command_in(dir.path())
            .args(["plan", "-detailed-exitcode"]),
    );
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}
