//! Lockbox through the real binary against the emulator: `yandex_lockbox_secret`,
//! `yandex_lockbox_secret_version`, and `output_to_lockbox` on the three key types
//! (written, moved back into the state, moved again, scheduled for destruction).

use serde_json::Value;

use crate::support::{Cloud, Workspace};

fn snapshot_secret(cloud: &Cloud, name: &str) -> yc_emulator::LockboxSecretSnapshot {
    cloud
        .emulator
        .snapshot()
        .lockbox_secrets
        .into_iter()
        .find(|s| s.secret.name == name)
        .unwrap_or_else(|| panic!("no Lockbox secret {name}"))
}

fn version_status(cloud: &Cloud, secret: &str, version: &str) -> String {
    snapshot_secret(cloud, secret)
        .versions
        .into_iter()
        .find(|v| v.id == version)
        .map(|v| v.status)
        .unwrap_or_default()
}

fn secret_config(description: &str, entry: &str) -> String {
    format!(
        r#"
resource "yandex_lockbox_secret" "app" {{
  name                = "app-config"
  description         = "{description}"
  labels              = {{ team = "ml" }}
  deletion_protection = false
}}

resource "yandex_lockbox_secret_version" "v" {{
  secret_id   = yandex_lockbox_secret.app.id
  description = "from ycprov"
  entries {{
    key        = "url"
    text_value = "https://example.net"
  }}
  entries {{
    key        = "{entry}"
    text_value = "s3cr3t-value"
  }}
}}

resource "yandex_lockbox_secret" "generated" {{
  name = "db-password"
  password_payload_specification {{
    password_key        = "password"
    length              = 20
    include_punctuation = false
  }}
}}

output "password_key" {{
  value = yandex_lockbox_secret.generated.password_payload_specification[0].password_key
}}
"#
    )
}

#[test]
fn lockbox_secrets_and_versions_are_created_changed_imported_and_destroyed() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&secret_config("first", "token"));
    let apply = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(apply.ok().contains("3 added"), "{}", apply.stdout);
    assert!(!apply.stdout.contains("s3cr3t-value") && !apply.stderr.contains("s3cr3t-value"));
    let secret = snapshot_secret(&cloud, "app-config");
    assert_eq!(
        secret.secret.labels.get("team").map(String::as_str),
        Some("ml")
    );
    let version_id = ws.attribute("yandex_lockbox_secret_version.v", "id");
    let version_id = version_id.as_str().unwrap().to_string();
    assert_eq!(secret.secret.current_version_id, version_id);
    let payload = cloud
        .emulator
        .lockbox_payload(&secret.secret.id, &version_id)
        .unwrap();
    assert_eq!(
        payload,
        vec![
            ("url".to_string(), "https://example.net".to_string()),
            ("token".to_string(), "s3cr3t-value".to_string())
        ]
    );
    let generated = snapshot_secret(&cloud, "db-password");
    assert!(
        generated.versions.is_empty(),
        "created without a version, as the provider does"
    );
    let outputs = ws.run(&cloud, &["output", "-json"]).json();
    assert_eq!(outputs["password_key"]["value"], "password");
    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    ws.write(&secret_config("second", "api_token"));
    let change = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        change.ok().contains("1 added, 1 changed, 1 destroyed"),
        "{}",
        change.stdout
    );
    let secret = snapshot_secret(&cloud, "app-config");
    assert_eq!(secret.secret.description, "second");
    let new_version = ws.attribute("yandex_lockbox_secret_version.v", "id");
    let new_version = new_version.as_str().unwrap();
    let keys: Vec<String> = cloud
        .emulator
        .lockbox_payload(&secret.secret.id, new_version)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        ["url", "api_token"],
        "the removed key does not carry over"
    );
    assert_eq!(
        version_status(&cloud, "app-config", &version_id),
        "SCHEDULED_FOR_DESTRUCTION"
    );

    let imported = Workspace::new(&secret_config("second", "api_token"));
    let import = imported.run(
        &cloud,
        &["import", "yandex_lockbox_secret.app", &secret.secret.id],
    );
    assert!(
        import.ok().contains("Import successful"),
        "{}",
        import.stdout
    );
    let import = imported.run(
        &cloud,
        &[
            "import",
            "yandex_lockbox_secret_version.v",
            &format!("{}/{new_version}", secret.secret.id),
        ],
    );
    assert!(
        import.ok().contains("Import successful"),
        "{}",
        import.stdout
    );
    let plan = imported.run(&cloud, &["plan", "-no-color"]);
    assert!(
        plan.ok().contains("1 to add, 0 to change, 0 to destroy"),
        "only the generated secret is missing: {}",
        plan.stdout
    );
    let bad_id = Workspace::new(&secret_config("second", "api_token")).run(
        &cloud,
        &["import", "yandex_lockbox_secret_version.v", "e6qnoslash"],
    );
    assert_eq!(bad_id.code, 1);
    assert!(
        bad_id.stderr.contains("<secret_id>/<version_id>"),
        "{}",
        bad_id.stderr
    );

    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert!(cloud.emulator.snapshot().lockbox_secrets.is_empty());
}

/// One key type with `output_to_lockbox`: its resource, the block's entry fields, and
/// the attribute that holds the secret without the block.
struct KeyCase {
    resource: &'static str,
    entries: &'static [(&'static str, &'static str)],
    secret_attribute: &'static str,
}

const KEY_CASES: [KeyCase; 3] = [
    KeyCase {
        resource: "yandex_iam_service_account_api_key",
        entries: &[("entry_for_secret_key", "api_key")],
        secret_attribute: "secret_key",
    },
    KeyCase {
        resource: "yandex_iam_service_account_static_access_key",
        entries: &[
            ("entry_for_access_key", "access_key_id"),
            ("entry_for_secret_key", "secret_access_key"),
        ],
        secret_attribute: "secret_key",
    },
    KeyCase {
        resource: "yandex_iam_service_account_key",
        entries: &[("entry_for_private_key", "private_key")],
        secret_attribute: "private_key",
    },
];

fn key_config(case: &KeyCase, output: Option<&str>) -> String {
    let block = match output {
        Some(prefix) => {
            let fields: String = case
                .entries
                .iter()
                .map(|(field, key)| format!("    {field} = \"{prefix}{key}\"\n"))
                .collect();
            format!(
                "  output_to_lockbox {{\n    secret_id = yandex_lockbox_secret.keys.id\n{fields}  }}\n"
            )
        }
        None => String::new(),
    };
    format!(
        r#"
resource "yandex_iam_service_account" "robot" {{
  name = "lockbox-robot"
}}

resource "yandex_lockbox_secret" "keys" {{
  name = "robot-keys"
}}

resource "{resource}" "key" {{
  service_account_id = yandex_iam_service_account.robot.id
{block}}}
"#,
        resource = case.resource
    )
}

#[test]
fn output_to_lockbox_keeps_each_key_type_out_of_the_state() {
    for case in &KEY_CASES {
        let cloud = Cloud::start();
        let address = format!("{}.key", case.resource);
        let ws = Workspace::new(&key_config(case, Some("")));
        let apply = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
        apply.ok();
        assert_eq!(
            ws.attribute(&address, case.secret_attribute),
            Value::Null,
            "{}",
            case.resource
        );
        let version = ws.attribute(&address, "output_to_lockbox_version_id");
        let version = version
            .as_str()
            .unwrap_or_else(|| panic!("{}: no version id", case.resource))
            .to_string();
        let secret = snapshot_secret(&cloud, "robot-keys");
        let payload = cloud
            .emulator
            .lockbox_payload(&secret.secret.id, &version)
            .unwrap();
        for (_, key) in case.entries {
            let value = payload
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone());
            let value = value.unwrap_or_else(|| panic!("{}: no entry {key}", case.resource));
            assert!(!value.is_empty());
            assert!(!apply.stdout.contains(&value) && !apply.stderr.contains(&value));
        }
        let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            again.code, 0,
            "{}: {}{}",
            case.resource, again.stdout, again.stderr
        );

        ws.write(&key_config(case, None));
        let removed = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
        assert!(
            removed.ok().contains("0 added, 1 changed, 0 destroyed"),
            "{}",
            removed.stdout
        );
        let (_, last_key) = case.entries[case.entries.len() - 1];
        let expected = payload
            .iter()
            .find(|(k, _)| k == last_key)
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_eq!(
            ws.attribute(&address, case.secret_attribute),
            Value::String(expected.clone()),
            "{}: the secret is read back into the state",
            case.resource
        );
        assert_eq!(
            ws.attribute(&address, "output_to_lockbox_version_id"),
            Value::Null
        );
        assert_eq!(
            version_status(&cloud, "robot-keys", &version),
            "SCHEDULED_FOR_DESTRUCTION"
        );

        ws.write(&key_config(case, Some("moved_")));
        ws.run(&cloud, &["apply", "-auto-approve", "-no-color"])
            .ok();
        assert_eq!(ws.attribute(&address, case.secret_attribute), Value::Null);
        let moved = ws.attribute(&address, "output_to_lockbox_version_id");
        let moved = moved.as_str().unwrap().to_string();
        let payload = cloud
            .emulator
            .lockbox_payload(&secret.secret.id, &moved)
            .unwrap();
        assert!(
            payload.contains(&(format!("moved_{last_key}"), expected)),
            "{}: the same secret is written again",
            case.resource
        );
        let no_change = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            no_change.code, 0,
            "{}{}",
            no_change.stdout, no_change.stderr
        );

        ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
        let snapshot = cloud.emulator.snapshot();
        assert!(
            snapshot.api_keys.is_empty()
                && snapshot.access_keys.is_empty()
                && snapshot.authorized_keys.is_empty()
        );
    }
}

#[test]
fn a_failed_lockbox_write_keeps_the_secret_in_the_state() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
resource "yandex_iam_service_account" "robot" {
  name = "lockbox-robot"
}

resource "yandex_iam_service_account_api_key" "key" {
  service_account_id = yandex_iam_service_account.robot.id
  output_to_lockbox {
    secret_id            = "e6qnotthere000000000"
    entry_for_secret_key = "api_key"
  }
}
"#,
    );
    let apply = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(
        apply
            .stderr
            .contains("Cannot write the key to Lockbox secret"),
        "{}",
        apply.stderr
    );
    let secret = ws.attribute("yandex_iam_service_account_api_key.key", "secret_key");
    assert!(
        secret.as_str().is_some_and(|s| !s.is_empty()),
        "the secret is not lost"
    );
    assert_eq!(
        ws.attribute(
            "yandex_iam_service_account_api_key.key",
            "output_to_lockbox"
        ),
        Value::Null
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    assert!(
        plan.ok().contains("0 to add, 1 to change, 0 to destroy"),
        "the next apply writes it again: {}",
        plan.stdout
    );
    assert_eq!(cloud.emulator.snapshot().api_keys.len(), 1);
}

#[test]
fn nested_block_errors_are_reported_before_any_call() {
    let cases = [
        (
            "resource \"yandex_lockbox_secret\" \"s\" {\n  password_spec {\n    length = 3\n  }\n}\n",
            "Unsupported block type \"password_spec\"",
        ),
        (
            "resource \"yandex_lockbox_secret\" \"s\" {\n  name {\n  }\n}\n",
            "Did you mean to define argument \"name\"?",
        ),
        (
            "resource \"yandex_lockbox_secret\" \"s\" {\n  password_payload_specification {\n    password_key = \"a\"\n  }\n  password_payload_specification {\n    password_key = \"b\"\n  }\n}\n",
            "Too many \"password_payload_specification\" blocks",
        ),
        (
            "resource \"yandex_lockbox_secret_version\" \"v\" {\n  secret_id = \"e6q1\"\n  entries {\n    key = \"a\"\n    command {\n      path = \"/bin/date\"\n    }\n  }\n}\n",
            "ycprov does not run commands",
        ),
        (
            "resource \"yandex_lockbox_secret_version\" \"v\" {\n  secret_id = \"e6q1\"\n  entries {\n    text_value = \"x\"\n  }\n}\n",
            "element 0: attribute \"key\" is required",
        ),
        (
            "resource \"yandex_lockbox_secret_version\" \"v\" {\n  secret_id = \"e6q1\"\n  dynamic \"entries\" {\n    for_each = { a = \"1\", b = \"2\" }\n    content {\n      key        = entries.key\n      text_value = entries.value\n    }\n  }\n  dynamic \"entries\" {\n    for_each = [\"x\"]\n  }\n}\n",
            "needs a for_each argument and a content block",
        ),
    ];
    let cloud = Cloud::start();
    for (config, expected) in cases {
        let ws = Workspace::new(config);
        let plan = ws.run(&cloud, &["plan", "-no-color"]);
        assert_eq!(plan.code, 1, "{config}");
        assert!(plan.stderr.contains(expected), "{config}\n{}", plan.stderr);
    }
    assert_eq!(
        cloud.emulator.stats().total_requests,
        0,
        "nothing reached the API"
    );
}

#[test]
fn dynamic_blocks_expand_like_written_ones() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
variable "values" {
  default = { host = "db.internal", port = "5432" }
}

resource "yandex_lockbox_secret" "s" {
  name = "dynamic"
}

resource "yandex_lockbox_secret_version" "v" {
  secret_id = yandex_lockbox_secret.s.id
  entries {
    key        = "static"
    text_value = "yes"
  }
  dynamic "entries" {
    for_each = var.values
    iterator = item
    content {
      key        = item.key
      text_value = item.value
    }
  }
}
"#,
    );
    ws.run(&cloud, &["apply", "-auto-approve", "-no-color"])
        .ok();
    let secret = snapshot_secret(&cloud, "dynamic");
    let payload = cloud
        .emulator
        .lockbox_payload(&secret.secret.id, &secret.secret.current_version_id)
        .unwrap();
    let keys: Vec<&str> = payload.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["static", "host", "port"]);
    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}
