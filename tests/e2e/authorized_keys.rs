//! `yandex_iam_service_account_key` (authorized keys) through the real binary against the
//! emulator: create, no-op, replace, import, destroy, bad arguments, and crash recovery.

use crate::support::{Cloud, Workspace};

fn config(algorithm: &str) -> String {
    format!(
        r#"
resource "yandex_iam_service_account" "robot" {{
  name = "jwt-robot"
}}

resource "yandex_iam_service_account_key" "key" {{
  service_account_id = yandex_iam_service_account.robot.id
  description        = "for the CI"
  key_algorithm      = "{algorithm}"
}}

output "private_key" {{
  value     = yandex_iam_service_account_key.key.private_key
  sensitive = true
}}
"#
    )
}

#[test]
fn authorized_keys_are_created_replaced_imported_and_revoked() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("RSA_2048"));
    let apply = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    apply.ok();
    let private = ws.attribute("yandex_iam_service_account_key.key", "private_key");
    let private = private.as_str().unwrap().to_string();
    assert!(
        private.contains("-----BEGIN PRIVATE KEY-----"),
        "a PEM private key"
    );
    assert!(
        !apply.stdout.contains("BEGIN PRIVATE KEY") && !apply.stderr.contains("BEGIN PRIVATE KEY")
    );
    let public = ws.attribute("yandex_iam_service_account_key.key", "public_key");
    assert!(public.as_str().unwrap().contains("BEGIN PUBLIC KEY"));
    let id = ws.attribute("yandex_iam_service_account_key.key", "id");
    let id = id.as_str().unwrap().to_string();
    assert!(private.contains(&id), "the key-id line names the key");

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    assert!(!plan.ok().contains("BEGIN PRIVATE KEY"));

    ws.write(&config("RSA_4096"));
    let replace = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        replace.ok().contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        replace.stdout
    );
    assert_eq!(
        ws.attribute("yandex_iam_service_account_key.key", "key_algorithm"),
        "RSA_4096"
    );
    let new_id = ws.attribute("yandex_iam_service_account_key.key", "id");
    let account = ws.attribute("yandex_iam_service_account.robot", "id");

    let adopted = Workspace::new(&format!(
        "resource \"yandex_iam_service_account_key\" \"key\" {{\n  service_account_id = \"{}\"\n  description        = \"for the CI\"\n  key_algorithm      = \"RSA_4096\"\n}}\n",
        account.as_str().unwrap()
    ));
    let import = adopted.run(
        &cloud,
        &[
            "import",
            "yandex_iam_service_account_key.key",
            new_id.as_str().unwrap(),
        ],
    );
    import.ok();
    assert!(
        import.stderr.contains("cannot be recovered"),
        "{}",
        import.stderr
    );
    let imported = adopted.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);

    assert_eq!(
        cloud.emulator.snapshot().authorized_keys.len(),
        1,
        "the old key was revoked"
    );
    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert!(cloud.emulator.snapshot().authorized_keys.is_empty());
}

#[test]
fn authorized_key_mistakes_are_reported_before_any_call() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
resource "yandex_iam_service_account_key" "bad" {
  service_account_id = "aje1"
  key_algorithm      = "RSA_1024"
  format             = "JSON"
  pgp_key            = "keybase:someone"
}
"#,
    );
    let before = cloud.emulator.stats().total_requests;
    let run = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    for expected in [
        "key_algorithm \"RSA_1024\" is not one of RSA_2048, RSA_4096",
        "format \"JSON\" is not offered",
        "keybase lookups need the network",
    ] {
        assert!(
            run.stderr.contains(expected),
            "{expected:?} not in\n{}",
            run.stderr
        );
    }
    assert_eq!(cloud.emulator.stats().total_requests, before);
}
