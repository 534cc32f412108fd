//! `yandex_iam_service_account_static_access_key` through the real binary against the
//! emulator: create, no-op, replace, import, destroy, and the secret kept out of output.

use crate::support::{Cloud, Workspace};

fn config(description: &str) -> String {
    format!(
        r#"
resource "yandex_iam_service_account" "s3" {{
  name = "storage-robot"
}}

resource "yandex_iam_service_account_static_access_key" "key" {{
  service_account_id = yandex_iam_service_account.s3.id
  description        = "{description}"
}}

output "access_key" {{
  value = yandex_iam_service_account_static_access_key.key.access_key
}}

output "secret_key" {{
  value     = yandex_iam_service_account_static_access_key.key.secret_key
  sensitive = true
}}
"#
    )
}

#[test]
fn static_access_keys_are_created_replaced_imported_and_revoked() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config("storage"));
    let apply = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    apply.ok();
    let keys = cloud.emulator.snapshot().access_keys;
    assert_eq!(keys.len(), 1);
    let secret = ws.attribute(
        "yandex_iam_service_account_static_access_key.key",
        "secret_key",
    );
    let secret = secret.as_str().unwrap().to_string();
    assert!(secret.starts_with("YC"), "the secret is in the state");
    assert!(!apply.stdout.contains(&secret) && !apply.stderr.contains(&secret));
    let outputs = ws.run(&cloud, &["output", "-json"]).json();
    assert_eq!(outputs["access_key"]["value"], keys[0].key_id);
    assert_eq!(outputs["secret_key"]["sensitive"], true);
    assert_eq!(
        ws.run(&cloud, &["output", "-raw", "secret_key"])
            .ok()
            .trim(),
        secret
    );

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    ws.write(&config("rotated"));
    let replace = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        replace.ok().contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        replace.stdout
    );
    let keys = cloud.emulator.snapshot().access_keys;
    assert_eq!(keys.len(), 1, "the old key was revoked");
    assert_eq!(keys[0].description, "rotated");

    let adopted = Workspace::new(&format!(
        "resource \"yandex_iam_service_account_static_access_key\" \"key\" {{\n  service_account_id = \"{}\"\n  description        = \"rotated\"\n}}\n",
        keys[0].service_account_id
    ));
    let import = adopted.run(
        &cloud,
        &[
            "import",
            "yandex_iam_service_account_static_access_key.key",
            &keys[0].id,
        ],
    );
    assert!(
        import.ok().contains("Import successful") || import.stderr.contains("cannot be recovered"),
        "{}{}",
        import.stdout,
        import.stderr
    );
    assert!(
        import.stderr.contains("cannot be recovered"),
        "{}",
        import.stderr
    );
    let imported = adopted.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);

    let refused = Workspace::new(
        "resource \"yandex_iam_service_account_static_access_key\" \"key\" {\n  service_account_id = \"aje1\"\n  pgp_key            = \"keybase:someone\"\n}\n",
    )
    .run(&cloud, &["plan", "-no-color"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("keybase lookups need the network"),
        "{}",
        refused.stderr
    );

    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert!(cloud.emulator.snapshot().access_keys.is_empty());
}
