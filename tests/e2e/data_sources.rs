//! Data sources through the real binary and component against the emulator: read while
//! planning, deferred to apply when their arguments are unknown, saved in the state under
//! `data.`, forgotten when their block goes, and their errors.

use serde_json::Value;

use crate::support::{Cloud, Workspace};

/// Every lookup real configurations make: the provider's own settings, a folder by id and
/// by name (in a cloud found by name), and an existing service account by name.
const LOOKUPS: &str = r#"
data "yandex_client_config" "me" {}

data "yandex_resourcemanager_cloud" "c" {
  name = "emulated-cloud"
}

data "yandex_resourcemanager_folder" "by_id" {
  folder_id = data.yandex_client_config.me.folder_id
}

data "yandex_resourcemanager_folder" "by_name" {
  name     = "second"
  cloud_id = data.yandex_resourcemanager_cloud.c.id
}

data "yandex_iam_service_account" "existing" {
  name = "existing-robot"
}

resource "yandex_iam_service_account" "sa" {
  name        = "robot"
  folder_id   = data.yandex_resourcemanager_folder.by_id.id
  description = "next to ${data.yandex_iam_service_account.existing.id}"
}

output "folder_name" { value = data.yandex_resourcemanager_folder.by_id.name }
output "second_cloud" { value = data.yandex_resourcemanager_folder.by_name.cloud_id }
output "cloud_id" { value = data.yandex_resourcemanager_cloud.c.id }
output "token" {
  value     = data.yandex_client_config.me.iam_token
  sensitive = true
}
"#;

fn data_record<'a>(state: &'a Value, address: &str) -> Option<&'a Value> {
    state["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == address)
}

#[test]
fn lookups_are_read_while_planning_and_saved_by_apply() {
    let cloud = Cloud::start();
    let existing = cloud.create_account("existing-robot");
    let seed = cloud.emulator.seed().clone();
    let ws = Workspace::new(LOOKUPS);

    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    assert!(!text.contains("<= data"), "read while planning:\n{text}");
    assert!(text.contains("folder_name  = \"default\""), "{text}");
    assert!(
        text.contains(&format!("cloud_id     = \"{}\"", seed.cloud_id)),
        "{text}"
    );
    assert!(text.contains(&format!("next to {existing}")), "{text}");
    assert!(
        !text.contains(&seed.admin_token),
        "the token stays hidden:\n{text}"
    );

    ws.run(&cloud, &["apply", "-auto-approve", "-no-color"])
        .ok();
    let state = ws.state();
    for (address, attribute, expected) in [
        (
            "data.yandex_client_config.me",
            "folder_id",
            seed.folder_id.as_str(),
        ),
        (
            "data.yandex_client_config.me",
            "iam_token",
            seed.admin_token.as_str(),
        ),
        (
            "data.yandex_resourcemanager_cloud.c",
            "id",
            seed.cloud_id.as_str(),
        ),
        (
            "data.yandex_resourcemanager_folder.by_id",
            "name",
            "default",
        ),
        (
            "data.yandex_resourcemanager_folder.by_name",
            "id",
            seed.other_folder_id.as_str(),
        ),
        (
            "data.yandex_iam_service_account.existing",
            "id",
            existing.as_str(),
        ),
    ] {
        let record = data_record(&state, address)
            .unwrap_or_else(|| panic!("{address} not in the state: {state:#}"));
        assert_eq!(record["mode"], "data", "{address}");
        assert_eq!(
            record["attributes"][attribute], expected,
            "{address}.{attribute}"
        );
    }
    let token_record = data_record(&state, "data.yandex_client_config.me").unwrap();
    assert!(
        token_record["sensitive_attributes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("iam_token")),
        "{token_record:#}"
    );

    let shown = ws.run(&cloud, &["state", "show", "data.yandex_client_config.me"]);
    assert!(
        shown.ok().contains("data \"yandex_client_config\" \"me\""),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("iam_token = (sensitive value)"),
        "{}",
        shown.stdout
    );
    assert!(!shown.stdout.contains(&seed.admin_token));
    let listed = ws.run(&cloud, &["state", "list"]);
    assert!(
        listed
            .ok()
            .contains("data.yandex_resourcemanager_folder.by_name\n"),
        "{}",
        listed.stdout
    );

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        again.code, 0,
        "no changes:\n{}{}",
        again.stdout, again.stderr
    );

    let destroyed = ws.run(&cloud, &["destroy", "-auto-approve", "-no-color"]);
    assert!(
        destroyed.ok().contains("Resources: 1 destroyed"),
        "{}",
        destroyed.stdout
    );
    let resources = ws.state()["resources"].as_array().unwrap().len();
    assert_eq!(resources, 0, "destroy forgets the data sources too");
}

#[test]
fn a_read_whose_arguments_are_unknown_is_deferred_to_apply() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
resource "yandex_iam_service_account" "sa" {
  name = "robot"
}

data "yandex_iam_service_account" "again" {
  service_account_id = yandex_iam_service_account.sa.id
}

output "name_read_back" { value = data.yandex_iam_service_account.again.name }
"#,
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    for expected in [
        "# data.yandex_iam_service_account.again will be read during apply",
        " <= data \"yandex_iam_service_account\" \"again\" {",
        " <= read (data resources)",
        "name_read_back = (known after apply)",
        "Plan: 1 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let json = ws.run(&cloud, &["plan", "-json"]).json();
    let read = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "data.yandex_iam_service_account.again")
        .expect("the deferred read is a resource change");
    assert_eq!(read["mode"], "data");
    assert_eq!(read["change"]["actions"], serde_json::json!(["read"]));

    let applied = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    let text = applied.ok();
    assert!(
        text.contains("data.yandex_iam_service_account.again: Reading..."),
        "{text}"
    );
    assert!(text.contains("name_read_back = \"robot\""), "{text}");
    assert_eq!(
        ws.attribute("data.yandex_iam_service_account.again", "id"),
        ws.attribute("yandex_iam_service_account.sa", "id")
    );
    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        again.code, 0,
        "read while planning now:\n{}{}",
        again.stdout, again.stderr
    );
}

#[test]
fn a_data_block_removed_is_forgotten_without_a_destroy() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
data "yandex_resourcemanager_folder" "f" {
  folder_id = "FOLDER"
}
data "yandex_resourcemanager_folder" "each" {
  for_each = toset(["default", "second"])
  name     = each.key
}
"#
        .replace("FOLDER", &cloud.folder())
        .as_str(),
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert!(data_record(&ws.state(), "data.yandex_resourcemanager_folder.f").is_some());
    assert!(
        data_record(
            &ws.state(),
            "data.yandex_resourcemanager_folder.each[\"second\"]"
        )
        .is_some()
    );

    ws.write(
        r#"
data "yandex_resourcemanager_folder" "each" {
  for_each = toset(["default"])
  name     = each.key
}
"#,
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    assert!(
        !plan.ok().contains("destroy"),
        "nothing is destroyed:\n{}",
        plan.stdout
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let state = ws.state();
    assert!(
        data_record(&state, "data.yandex_resourcemanager_folder.f").is_none(),
        "{state:#}"
    );
    assert!(
        data_record(
            &state,
            "data.yandex_resourcemanager_folder.each[\"second\"]"
        )
        .is_none()
    );
    assert!(
        data_record(
            &state,
            "data.yandex_resourcemanager_folder.each[\"default\"]"
        )
        .is_some()
    );
}

#[test]
fn a_saved_plan_keeps_no_token_and_apply_reads_it_again() {
    let cloud = Cloud::start();
    let seed = cloud.emulator.seed().clone();
    let ws = Workspace::new(
        r#"
data "yandex_client_config" "me" {}
output "folder" { value = data.yandex_client_config.me.folder_id }
"#,
    );
    ws.run(&cloud, &["plan", "-out=saved.plan"]).ok();
    let saved = std::fs::read_to_string(ws.path().join("saved.plan")).unwrap();
    assert!(saved.contains("data.yandex_client_config.me"), "{saved}");
    assert!(
        !saved.contains(&seed.admin_token),
        "the plan file holds the token"
    );
    ws.run(&cloud, &["apply", "saved.plan"]).ok();
    assert_eq!(
        ws.attribute("data.yandex_client_config.me", "iam_token"),
        seed.admin_token.as_str()
    );
}

#[test]
fn data_source_errors_name_the_block_and_what_is_wrong() {
    let cloud = Cloud::start();
    for (tf, expected, calls_api) in [
        (
            "data \"yandex_resourcemanager_folder\" \"f\" {\n  name = \"no-such-folder\"\n}\n",
            &["Folder not found", "main.tf:2", "no-such-folder"][..],
            true,
        ),
        (
            "data \"yandex_resourcemanager_folder\" \"f\" {}\n",
            &[
                "Missing lookup argument",
                "main.tf:1",
                "\"folder_id\" or \"name\"",
            ][..],
            false,
        ),
        (
            "data \"yandex_iam_service_account\" \"sa\" {\n  service_account_id = \"ajenosuchaccount000\"\n}\n",
            &[
                "Cannot read service account ajenosuchaccount000",
                "main.tf:1",
            ][..],
            true,
        ),
        (
            "data \"yandex_no_such_thing\" \"x\" {}\n",
            &["Invalid data source \"yandex_no_such_thing\"", "main.tf:1"][..],
            false,
        ),
        (
            "data \"yandex_resourcemanager_folder\" \"f\" {\n  folder_id = \"x\"\n  colour    = \"red\"\n}\n",
            &["Unsupported argument", "main.tf:3", "colour"][..],
            false,
        ),
        (
            "output \"x\" { value = data.yandex_resourcemanager_folder.nope.id }\n",
            &[
                "Reference to undeclared resource",
                "data source",
                "main.tf:1",
            ][..],
            false,
        ),
    ] {
        let ws = Workspace::new(tf);
        let before = cloud.emulator.stats().total_requests;
        let plan = ws.run(&cloud, &["plan", "-no-color"]);
        assert_eq!(plan.code, 1, "{tf}: {}{}", plan.stdout, plan.stderr);
        for text in expected {
            assert!(
                plan.stderr.contains(text),
                "{tf}: missing {text:?} in:\n{}",
                plan.stderr
            );
        }
        let requests = cloud.emulator.stats().total_requests - before;
        if !calls_api {
            assert_eq!(requests, 0, "{tf}: rejected before any API call");
        }
    }
}
