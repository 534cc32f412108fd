//! Secret hygiene: with trace logging on, no token and no API key secret the
//! emulator issued appears in any output, except where the user asked for it
//! (`key create` prints its new secret, `output -raw` the one requested).

use crate::support::{Cloud, Run, base_command};

#[test]
fn trace_logs_and_outputs_never_contain_a_secret() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let token = cloud.emulator.seed().admin_token.clone();
    // Compile (and cache) the component once without tracing: Cranelift's own trace output is huge.
    cloud
        .ycprov(&["account", "list", "--folder-id", &folder])
        .ok();
    let mut checked = Vec::new();
    let mut trace = |args: &[&str], dir: Option<&std::path::Path>, prints_secret: bool| -> Run {
        let run = Run::of(
            base_command(dir)
                .env("RUST_LOG", "trace")
                .env("YC_ENDPOINT", cloud.emulator.base_url())
                .env("YC_IAM_TOKEN", &token)
                .env("YC_FOLDER_ID", &folder)
                .args(args),
        );
        let stdout = if prints_secret {
            String::new()
        } else {
            run.stdout.clone()
        };
        checked.push((args.join(" "), run.stderr.clone(), stdout));
        run
    };

    let account = trace(
        &[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-hygiene",
            "--format",
            "json",
        ],
        None,
        false,
    )
    .json();
    let id = account["id"].as_str().unwrap().to_string();
    trace(
        &[
            "role",
            "bind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            &id,
        ],
        None,
        false,
    )
    .ok();
    let created = trace(
        &[
            "key",
            "create",
            "--service-account-id",
            &id,
            "--format",
            "json",
        ],
        None,
        true,
    );
    let printed_secret = created.json()["secret"].as_str().unwrap().to_string();
    trace(&["key", "list", "--service-account-id", &id], None, false).ok();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
resource "yandex_iam_service_account" "sa" { name = "sa-hygiene-tf" }
resource "yandex_iam_service_account_api_key" "k" {
  service_account_id = yandex_iam_service_account.sa.id
  scopes             = ["yc.ai.languageModels.execute"]
}
output "secret" {
  value     = yandex_iam_service_account_api_key.k.secret_key
  sensitive = true
}
"#,
    )
    .unwrap();
    trace(&["apply", "-auto-approve"], Some(dir.path()), false).ok();
    trace(&["plan", "-json"], Some(dir.path()), false).ok();
    trace(&["refresh"], Some(dir.path()), false).ok();
    trace(
        &["state", "show", "yandex_iam_service_account_api_key.k"],
        Some(dir.path()),
        false,
    )
    .ok();
    trace(&["output"], Some(dir.path()), false).ok();
    trace(&["output", "-raw", "secret"], Some(dir.path()), true).ok();
    trace(&["destroy", "-auto-approve"], Some(dir.path()), false).ok();

    let secrets = cloud.emulator.issued_secrets();
    assert!(
        secrets.contains(&printed_secret),
        "the emulator reports the secrets it issued"
    );
    assert!(secrets.contains(&token));
    let mut hits = Vec::new();
    for (command, stderr, stdout) in &checked {
        for secret in &secrets {
            if stderr.contains(secret.as_str()) {
                hits.push(format!("stderr of `{command}`"));
            }
            if stdout.contains(secret.as_str()) {
                hits.push(format!("stdout of `{command}`"));
            }
        }
    }
    let runs = checked.len();
    let traced = checked
        .iter()
        .filter(|(_, stderr, _)| stderr.contains("TRACE"))
        .count();
    assert!(traced >= 8, "only {traced} runs wrote trace logs");
    assert!(hits.is_empty(), "secrets leaked into: {hits:?}");
    assert!(runs >= 11, "{runs} runs checked");
}
