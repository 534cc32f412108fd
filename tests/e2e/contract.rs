//! Records every exchange between the real provider component and the emulator
//! while it runs the whole imperative and declarative flow, for the contract check
//! against the official Yandex Cloud protos (`scripts/test-contract`).

use std::path::PathBuf;

use yc_emulator::Config;

use crate::support::{Cloud, Run, base_command};

/// Where the record is written; `scripts/test-contract` reads it.
pub fn record_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("contract-record.jsonl")
}

#[test]
fn record_the_provider_traffic_of_every_step() {
    let record = record_path();
    let _ = std::fs::remove_file(&record);
    let cloud = Cloud::with_config(Config {
        record_file: Some(record.clone()),
        pending_polls: 1,
        ..Config::default()
    });
    let folder = cloud.folder();

    let account = cloud
        .ycprov(&[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-contract",
            "--description",
            "contract",
            "--label",
            "team=ml",
            "--format",
            "json",
        ])
        .json();
    let id = account["id"].as_str().unwrap().to_string();
    cloud.ycprov(&["account", "get", &id]).ok();
    cloud
        .ycprov(&[
            "account",
            "get",
            "--name",
            "sa-contract",
            "--folder-id",
            &folder,
        ])
        .ok();
    cloud
        .ycprov(&["account", "list", "--folder-id", &folder])
        .ok();
    cloud
        .ycprov(&[
            "role",
            "bind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            &id,
        ])
        .ok();
    cloud.ycprov(&["role", "list", "--folder-id", &folder]).ok();
    let key = cloud
        .ycprov(&[
            "key",
            "create",
            "--service-account-id",
            &id,
            "--scope",
            "yc.ai.languageModels.execute",
            "--expires-at",
            "2030-01-01T00:00:00Z",
            "--description",
            "k",
            "--format",
            "json",
        ])
        .json();
    let key_id = key["api_key"]["id"].as_str().unwrap().to_string();
    cloud.ycprov(&["key", "get", &key_id]).ok();
    cloud
        .ycprov(&["key", "list", "--service-account-id", &id])
        .ok();
    cloud.ycprov(&["key", "delete", &key_id]).ok();
    cloud
        .ycprov(&[
            "role",
            "unbind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            &id,
        ])
        .ok();
    assert_eq!(
        cloud
            .ycprov(&[
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                "sa-contract"
            ])
            .code,
        5
    );
    cloud.ycprov(&["account", "delete", &id]).ok();

    let dir = tempfile::tempdir().unwrap();
    let tf = |description: &str| {
        format!(
            r#"
resource "yandex_iam_service_account" "sa" {{
  name        = "sa-contract-tf"
  description = "{description}"
  labels      = {{ team = "ml" }}
}}
resource "yandex_resourcemanager_folder_iam_member" "m" {{
  folder_id = yandex_iam_service_account.sa.folder_id
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${{yandex_iam_service_account.sa.id}}"
}}
resource "yandex_iam_service_account_api_key" "k" {{
  service_account_id = yandex_iam_service_account.sa.id
  description        = "{description}"
  scopes             = ["yc.ai.languageModels.execute"]
  expires_at         = "2030-01-01T00:00:00Z"
  dynamic "output_to_lockbox" {{
    for_each = "{description}" == "one" ? ["api_key"] : []
    content {{
      secret_id            = yandex_lockbox_secret.lb.id
      entry_for_secret_key = output_to_lockbox.value
    }}
  }}
}}
resource "yandex_iam_service_account_static_access_key" "a" {{
  service_account_id = yandex_iam_service_account.sa.id
  description        = "{description}"
}}
resource "yandex_iam_service_account_key" "j" {{
  service_account_id = yandex_iam_service_account.sa.id
  description        = "{description}"
  output_to_lockbox {{
    secret_id             = yandex_lockbox_secret.lb.id
    entry_for_private_key = "private_key"
  }}
}}
resource "yandex_lockbox_secret" "lb" {{
  name        = "contract-secret"
  description = "{description}"
  labels      = {{ team = "ml" }}
}}
resource "yandex_lockbox_secret_version" "lv" {{
  secret_id   = yandex_lockbox_secret.lb.id
  description = "{description}"
  entries {{
    key        = "url"
    text_value = "https://example.net/{description}"
  }}
}}
resource "yandex_resourcemanager_folder_iam_binding" "b" {{
  folder_id = yandex_iam_service_account.sa.folder_id
  role      = "ai.imageGeneration.user"
  members   = ["serviceAccount:${{yandex_iam_service_account.sa.id}}"]
}}
resource "yandex_resourcemanager_cloud_iam_member" "c" {{
  cloud_id = data.yandex_resourcemanager_cloud.by_id.id
  role     = "viewer"
  member   = "serviceAccount:${{yandex_iam_service_account.sa.id}}"
}}
resource "yandex_iam_service_account_iam_member" "s" {{
  service_account_id = yandex_iam_service_account.sa.id
  role               = "iam.serviceAccounts.user"
  member             = "serviceAccount:${{yandex_iam_service_account.sa.id}}"
}}

data "yandex_resourcemanager_cloud" "by_name" {{
  name = "emulated-cloud"
}}
data "yandex_resourcemanager_cloud" "by_id" {{
  cloud_id = data.yandex_resourcemanager_cloud.by_name.id
}}
data "yandex_resourcemanager_folder" "by_name" {{
  name     = "default"
  cloud_id = data.yandex_resourcemanager_cloud.by_id.id
}}
data "yandex_resourcemanager_folder" "by_id" {{
  folder_id = data.yandex_resourcemanager_folder.by_name.id
}}
data "yandex_iam_service_account" "by_id" {{
  service_account_id = yandex_iam_service_account.sa.id
}}
data "yandex_iam_service_account" "by_name" {{
  name      = "sa-contract-tf"
  folder_id = data.yandex_resourcemanager_folder.by_id.id
  depends_on = [yandex_iam_service_account.sa]
}}
"#
        )
    };
    let run = |args: &[&str]| {
        Run::of(
            base_command(Some(dir.path()))
                .env("YC_ENDPOINT", cloud.emulator.base_url())
                .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
                .env("YC_FOLDER_ID", &folder)
                .args(args),
        )
    };
    std::fs::write(dir.path().join("main.tf"), tf("one")).unwrap();
    run(&["apply", "-auto-approve"]).ok();
    std::fs::write(dir.path().join("main.tf"), tf("two")).unwrap();
    run(&["apply", "-auto-approve"]).ok();
    run(&["refresh"]).ok();
    run(&["destroy", "-auto-approve"]).ok();

    drop(cloud);
    let lines = std::fs::read_to_string(&record).unwrap().lines().count();
    assert!(lines > 30, "only {lines} exchanges were recorded");
}
