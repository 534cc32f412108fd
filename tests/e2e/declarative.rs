//! The declarative flow through the real binary and component against the emulator:
//! create, no-op, update in place, replace, remove one, destroy, import, drift, lock.

use crate::support::{Cloud, Workspace};

fn config(description: &str, name: &str, with_key: bool) -> String {
    let key = if with_key {
        r#"
resource "yandex_iam_service_account_api_key" "key" {
  service_account_id = yandex_iam_service_account.sa.id
  description        = "key"
  scopes             = ["yc.ai.languageModels.execute"]
}

output "secret" {
  value     = yandex_iam_service_account_api_key.key.secret_key
  sensitive = true
}
"#
    } else {
        ""
    };
    format!(
        r#"
resource "yandex_iam_service_account" "sa" {{
  name        = "{name}"
  description = "{description}"
}}

resource "yandex_resourcemanager_folder_iam_member" "user" {{
  folder_id = yandex_iam_service_account.sa.folder_id
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${{yandex_iam_service_account.sa.id}}"
}}
{key}"#
    )
}

#[test]
fn lifecycle_create_noop_update_replace_remove_destroy() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("first", "sa-life", true));

    let apply = ws.run(&cloud, &["apply", "-auto-approve"]);
    assert!(
        apply
            .ok()
            .contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."),
        "{}",
        apply.stdout
    );
    let snapshot = cloud.emulator.snapshot();
    assert_eq!(snapshot.service_accounts.len(), 1);
    assert_eq!(snapshot.api_keys.len(), 1);
    let sa_id = ws.attribute("yandex_iam_service_account.sa", "id");
    let secret = ws.attribute("yandex_iam_service_account_api_key.key", "secret_key");
    assert!(secret.as_str().unwrap().starts_with("AQVN"));
    assert!(
        !apply.stdout.contains(secret.as_str().unwrap()),
        "apply printed the secret"
    );

    let noop = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(noop.code, 0, "{}\n{}", noop.stdout, noop.stderr);
    assert!(noop.stdout.contains("No changes."), "{}", noop.stdout);

    ws.write(&config("second", "sa-life", true));
    let plan = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(plan.stdout.contains("~ update in-place"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains(r#"~ description = "first" -> "second""#),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        cloud.emulator.snapshot().service_accounts[0].description,
        "second"
    );
    assert_eq!(
        ws.attribute("yandex_iam_service_account.sa", "id"),
        sa_id,
        "updated in place"
    );

    let replace_tf = config("second", "sa-life", true).replace(
        "scopes             = [\"yc.ai.languageModels.execute\"]",
        "scopes             = [\"yc.ai.languageModels.execute\"]\n  expires_at = \"2031-01-01T00:00:00Z\"",
    );
    let moved = replace_tf.replace(
        "service_account_id = yandex_iam_service_account.sa.id",
        "service_account_id = yandex_iam_service_account.other.id",
    );
    ws.write(&format!(
        "{moved}\nresource \"yandex_iam_service_account\" \"other\" {{\n  name = \"sa-other\"\n}}\n"
    ));
    let plan = ws.run(&cloud, &["plan"]);
    assert!(
        plan.ok()
            .contains("-/+ destroy and then create replacement"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("# forces replacement"),
        "{}",
        plan.stdout
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let new_secret = ws.attribute("yandex_iam_service_account_api_key.key", "secret_key");
    assert_ne!(new_secret, secret, "the key was replaced");
    let snapshot = cloud.emulator.snapshot();
    assert_eq!(snapshot.api_keys.len(), 1, "the old key was deleted");
    assert_eq!(snapshot.service_accounts.len(), 2);

    ws.write(&config("second", "sa-life", false));
    let apply = ws.run(&cloud, &["apply", "-auto-approve"]);
    assert!(
        apply.ok().contains("0 added, 0 changed, 2 destroyed"),
        "{}",
        apply.stdout
    );
    let snapshot = cloud.emulator.snapshot();
    assert!(snapshot.api_keys.is_empty());
    assert_eq!(snapshot.service_accounts.len(), 1);

    let destroy = ws.run(&cloud, &["destroy", "-auto-approve"]);
    assert!(
        destroy
            .ok()
            .contains("Destroy complete! Resources: 2 destroyed."),
        "{}",
        destroy.stdout
    );
    let snapshot = cloud.emulator.snapshot();
    assert!(snapshot.service_accounts.is_empty());
    let folder = cloud.folder();
    assert!(
        !snapshot.folder_bindings[&folder]
            .iter()
            .any(|b| b.role_id == "ai.languageModels.user")
    );
    assert_eq!(ws.state()["resources"].as_array().unwrap().len(), 0);
}

#[test]
fn state_is_private_and_secrets_stay_out_of_output_and_plans() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("d", "sa-secret", true));
    let apply = ws.run(&cloud, &["apply", "-auto-approve"]);
    apply.ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ws.path().join("terraform.tfstate"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "state file mode {mode:o}");
    }
    let secret = ws.attribute("yandex_iam_service_account_api_key.key", "secret_key");
    let secret = secret.as_str().unwrap();
    let plain = ws.run(&cloud, &["output", "secret"]);
    assert!(
        plain.ok().contains("(sensitive value)") || plain.stdout.contains("sensitive"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains(secret));
    let raw = ws.run(&cloud, &["output", "-raw", "secret"]);
    assert_eq!(raw.ok().trim(), secret);
    let show = ws.run(
        &cloud,
        &["state", "show", "yandex_iam_service_account_api_key.key"],
    );
    assert!(!show.ok().contains(secret), "{}", show.stdout);
    let shown = ws.run(
        &cloud,
        &[
            "state",
            "show",
            "-show-sensitive",
            "yandex_iam_service_account_api_key.key",
        ],
    );
    assert!(shown.ok().contains(secret));
    ws.write(
        &config("changed", "sa-secret", true)
            .replace("description        = \"key\"", "description = \"key2\""),
    );
    let json_plan = ws.run(&cloud, &["plan", "-json"]);
    assert!(
        !json_plan.ok().contains(secret),
        "the JSON plan carries the secret"
    );
    let human = ws.run(&cloud, &["plan"]);
    assert!(!human.ok().contains(secret));
}

#[test]
fn import_an_existing_account_and_member() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let account = cloud
        .ycprov(&[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-import",
            "--description",
            "made by hand",
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

    let ws = Workspace::new(&config("made by hand", "sa-import", false));
    let imported = ws.run(&cloud, &["import", "yandex_iam_service_account.sa", id]);
    assert!(
        imported.ok().contains("Import successful"),
        "{}",
        imported.stdout
    );
    let member_id = format!("{folder},ai.languageModels.user,serviceAccount:{id}");
    ws.run(
        &cloud,
        &[
            "import",
            "yandex_resourcemanager_folder_iam_member.user",
            &member_id,
        ],
    )
    .ok();
    let plan = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "imported resources match the configuration:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert_eq!(cloud.emulator.snapshot().service_accounts.len(), 1);

    let missing = ws.run(
        &cloud,
        &[
            "import",
            "yandex_iam_service_account.sa",
            "ajenosuchaccount0000",
        ],
    );
    assert_ne!(missing.code, 0);
}

#[test]
fn drift_made_outside_ycprov_shows_on_plan_and_is_repaired() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("managed", "sa-drift", false));
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let id = ws.attribute("yandex_iam_service_account.sa", "id");
    let id = id.as_str().unwrap();
    let folder = cloud.folder();
    cloud
        .ycprov(&[
            "role",
            "unbind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            id,
        ])
        .ok();

    let plan = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let text = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        text.contains("yandex_resourcemanager_folder_iam_member.user"),
        "{text}"
    );
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert!(
        cloud.emulator.snapshot().folder_bindings[&folder]
            .iter()
            .any(|b| b.role_id == "ai.languageModels.user" && b.subject_id == id)
    );

    cloud.ycprov(&["account", "delete", id]).ok();
    let plan = ws.run(&cloud, &["plan"]);
    assert!(plan.ok().contains("Plan: 2 to add"), "{}", plan.stdout);
}

#[test]
fn bad_configuration_is_reported_with_file_and_line_before_any_call() {
    let cloud = Cloud::start();
    let cases = [
        (
            "unknown type",
            "resource \"yandex_nope\" \"x\" {\n}\n",
            "main.tf:1",
        ),
        (
            "unknown attribute",
            "resource \"yandex_iam_service_account\" \"x\" {\n  name = \"sa-a\"\n  nmae = \"x\"\n}\n",
            "main.tf:3",
        ),
        (
            "invalid name",
            "resource \"yandex_iam_service_account\" \"x\" {\n  name = \"Bad_Name\"\n}\n",
            "main.tf:",
        ),
        (
            "unknown reference",
            "resource \"yandex_iam_service_account_api_key\" \"k\" {\n  service_account_id = yandex_iam_service_account.none.id\n}\n",
            "main.tf:2",
        ),
        (
            "syntax error",
            "resource \"yandex_iam_service_account\" \"x\" {\n  name = \n}\n",
            "main.tf:",
        ),
        (
            "bad scope timestamp",
            "resource \"yandex_iam_service_account_api_key\" \"k\" {\n  service_account_id = \"aje\"\n  expires_at = \"soon\"\n}\n",
            "main.tf:",
        ),
    ];
    for (name, tf, location) in cases {
        let ws = Workspace::new(tf);
        let run = ws.run(&cloud, &["plan"]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(location),
            "{name}: no `{location}` in {}",
            run.stderr
        );
    }
    assert_eq!(
        cloud.emulator.stats().total_requests,
        0,
        "no API call was made"
    );
}

#[test]
fn a_second_apply_on_the_same_state_is_refused_by_the_lock() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("locked", "sa-lock", false));
    let lock_path = ws.path().join(".terraform.tfstate.lock.info");
    std::fs::write(&lock_path, r#"{"ID":"1b2c3d","Operation":"apply","Who":"ci@runner","Version":"0.1.0","Created":"2026-11-23T10:00:00Z","Path":"terraform.tfstate"}"#).unwrap();
    let refused = ws.run(&cloud, &["apply", "-auto-approve"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("ci@runner"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("force-unlock"),
        "{}",
        refused.stderr
    );
    assert!(cloud.emulator.snapshot().service_accounts.is_empty());
    ws.run(&cloud, &["force-unlock", "1b2c3d"]).ok();
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("tty", "sa-tty", false));
    let run = ws.run(&cloud, &["apply"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("auto-approve"), "{}", run.stderr);
    assert!(cloud.emulator.snapshot().service_accounts.is_empty());
}

#[test]
fn init_checks_the_backend_and_required_providers() {
    let cloud = Cloud::start();
    let block = |providers: &str, backend: &str| {
        format!(
            "terraform {{\n  required_version = \">= 1.5\"\n  required_providers {{\n{providers}  }}\n{backend}}}\nresource \"yandex_iam_service_account\" \"sa\" {{\n  name = \"sa-init\"\n}}\n"
        )
    };
    let yandex = "    yandex = {\n      source  = \"yandex-cloud/yandex\"\n      version = \">= 0.100\"\n    }\n";
    let cases = [
        (
            "the embedded provider",
            block(yandex, ""),
            0,
            "successfully initialized",
        ),
        (
            "another provider",
            block(
                &format!("{yandex}    random = {{ source = \"hashicorp/random\" }}\n"),
                "",
            ),
            1,
            "source hashicorp/random, which ycprov does not embed",
        ),
        (
            "an unsupported backend",
            block(yandex, "  backend \"gcs\" {\n    bucket = \"b\"\n  }\n"),
            1,
            "does not support the \"gcs\" backend yet",
        ),
        (
            "an s3 backend without a key",
            block(yandex, "  backend \"s3\" {\n    bucket = \"b\"\n  }\n"),
            1,
            "the s3 backend needs key",
        ),
        (
            "an unknown s3 argument",
            block(
                yandex,
                "  backend \"s3\" {\n    bucket = \"b\"\n    dynamo_table = \"t\"\n  }\n",
            ),
            1,
            "The s3 backend has no argument \"dynamo_table\"",
        ),
    ];
    for (name, tf, code, want) in cases {
        let ws = Workspace::new(&tf);
        let run = ws.run(&cloud, &["init", "-input=false"]);
        assert_eq!(run.code, code, "{name}: {}{}", run.stdout, run.stderr);
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains(want),
            "{name}: {}{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn the_deprecated_scope_is_accepted_and_never_shows_as_a_change() {
    let cloud = Cloud::start();
    let key = |scope: &str| {
        format!(
            r#"
resource "yandex_iam_service_account" "sa" {{
  name = "sa-scope"
}}

resource "yandex_iam_service_account_api_key" "key" {{
  service_account_id = yandex_iam_service_account.sa.id
  scope              = "{scope}"
  lifecycle {{
    ignore_changes = [scope]
  }}
}}
"#
        )
    };
    let ws = Workspace::new(&key("yc.ai.languageModels.execute"));
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    plan.ok();
    assert_eq!(
        plan.stderr.matches("Argument is deprecated").count(),
        1,
        "{}",
        plan.stderr
    );
    assert!(
        plan.stdout.lines().any(|line| {
            line.trim_start().starts_with("+ scopes ") && line.trim_end().ends_with("= [")
        }),
        "the plan knows the scopes scope gives:\n{}",
        plan.stdout
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let keys = cloud.emulator.snapshot().api_keys;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].scopes, ["yc.ai.languageModels.execute"]);
    let masked = ws.attribute("yandex_iam_service_account_api_key.key", "masked_secret");
    let secret = ws.attribute("yandex_iam_service_account_api_key.key", "secret_key");
    let masked = masked.as_str().unwrap();
    assert!(masked.starts_with("****"), "{masked}");
    assert!(secret.as_str().unwrap().ends_with(&masked[4..]));
    assert_ne!(masked, secret.as_str().unwrap());

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "no spurious scope change:\n{}", again.stdout);

    ws.write(
        &key("yc.ai.translate.execute")
            .replace("  lifecycle {\n    ignore_changes = [scope]\n  }\n", ""),
    );
    let change = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        change.ok().contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        change.stdout
    );
    let keys = cloud.emulator.snapshot().api_keys;
    assert_eq!(keys.len(), 1, "updated in place");
    assert_eq!(keys[0].scopes, ["yc.ai.translate.execute"]);

    ws.write(&key("yc.ai.translate.execute").replace(
        "  scope              = \"yc.ai.translate.execute\"\n",
        "  scope              = \"yc.ai.translate.execute\"\n  scopes             = [\"yc.ai.vision.execute\"]\n",
    ));
    let conflict = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(conflict.code, 1, "{}", conflict.stdout);
    assert!(
        conflict.stderr.contains("Conflicting scope and scopes"),
        "{}",
        conflict.stderr
    );
}
