//! The Terraform language beyond resources, through the real binary against the emulator:
//! `moved`, `import` and `removed` blocks, `-replace` and `-refresh-only`, `init`,
//! Terraform's tolerances, and diagnostics that report every unsupported construct at once.

use crate::support::{Cloud, Workspace};

fn account_ids(cloud: &Cloud) -> Vec<String> {
    let mut ids: Vec<String> = cloud
        .emulator
        .snapshot()
        .service_accounts
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    ids
}

fn addresses(ws: &Workspace) -> Vec<String> {
    ws.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn moved_blocks_rename_objects_without_touching_the_cloud() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"sa\" {\n  count = 2\n  name  = \"robot-${count.index}\"\n}\n",
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let before = account_ids(&cloud);
    let first = ws.attribute("yandex_iam_service_account.sa[0]", "id");

    ws.write(
        r#"
resource "yandex_iam_service_account" "robots" {
  for_each = { a = "robot-0", b = "robot-1" }
  name     = each.value
}
moved {
  from = yandex_iam_service_account.sa[0]
  to   = yandex_iam_service_account.robots["a"]
}
moved {
  from = yandex_iam_service_account.sa[1]
  to   = yandex_iam_service_account.robots["b"]
}
"#,
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    for expected in [
        "# yandex_iam_service_account.sa[0] has moved to yandex_iam_service_account.robots[\"a\"]",
        "# yandex_iam_service_account.sa[1] has moved to yandex_iam_service_account.robots[\"b\"]",
        "Plan: 0 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    let json = ws.run(&cloud, &["plan", "-json"]).json();
    let moved: Vec<&str> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["previous_address"].as_str())
        .collect();
    assert_eq!(
        moved,
        [
            "yandex_iam_service_account.sa[0]",
            "yandex_iam_service_account.sa[1]"
        ]
    );

    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        addresses(&ws),
        [
            "yandex_iam_service_account.robots[\"a\"]",
            "yandex_iam_service_account.robots[\"b\"]"
        ]
    );
    assert_eq!(
        ws.attribute("yandex_iam_service_account.robots[\"a\"]", "id"),
        first
    );
    assert_eq!(
        account_ids(&cloud),
        before,
        "no account was created or deleted"
    );
    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "the moved blocks are satisfied:\n{}{}",
        again.stdout, again.stderr
    );

    ws.write(
        r#"
resource "yandex_iam_service_account" "robots" {
  for_each = { a = "robot-0", b = "robot-1" }
  name     = each.value
}
resource "yandex_iam_service_account" "sa" {
  name = "robot-0"
}
moved {
  from = yandex_iam_service_account.sa
  to   = yandex_iam_service_account.robots
}
"#,
    );
    let clash = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(clash.code, 1, "{}", clash.stdout);
    assert!(
        clash.stderr.contains("Moved object still exists"),
        "{}",
        clash.stderr
    );
    assert!(clash.stderr.contains("main.tf:9"), "{}", clash.stderr);
}

#[test]
fn import_blocks_adopt_existing_objects_while_planning() {
    let cloud = Cloud::start();
    let alice = cloud.create_account("alice");
    let bob = cloud.create_account("bob");
    let tf = r#"
variable "existing" {
  default = { alice = "ALICE", bob = "BOB" }
}
resource "yandex_iam_service_account" "people" {
  for_each    = var.existing
  name        = each.key
  description = "adopted"
}
import {
  for_each = var.existing
  to       = yandex_iam_service_account.people[each.key]
  id       = each.value
}
"#
    .replace("ALICE", &alice)
    .replace("BOB", &bob);
    let ws = Workspace::new(&tf);
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    for expected in [
        "# yandex_iam_service_account.people[\"alice\"] will be updated in-place",
        &format!("# (imported from \"{alice}\")"),
        "+ description = \"adopted\"",
        "Plan: 2 to import, 0 to add, 2 to change, 0 to destroy.",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    let json = ws.run(&cloud, &["plan", "-json"]).json();
    let imported: Vec<&str> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["change"]["importing"]["id"].as_str())
        .collect();
    assert_eq!(imported.len(), 2, "{json:#}");

    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        ws.attribute("yandex_iam_service_account.people[\"bob\"]", "id"),
        bob.as_str()
    );
    assert_eq!(account_ids(&cloud).len(), 2, "nothing was created");
    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        again.code, 0,
        "imported once only:\n{}{}",
        again.stdout, again.stderr
    );

    for (tf, expected) in [
        (
            "resource \"yandex_iam_service_account\" \"x\" {\n  name = \"xxx\"\n}\nimport {\n  to = yandex_iam_service_account.x\n  id = \"ajenosuchaccount000\"\n}\n",
            &[
                "Cannot import non-existent remote object",
                "main.tf:4",
                "ajenosuchaccount000",
            ][..],
        ),
        (
            "import {\n  to = yandex_iam_service_account.nowhere\n  id = \"x\"\n}\n",
            &[
                "Configuration for import target does not exist",
                "main.tf:1",
            ][..],
        ),
        (
            "resource \"yandex_iam_service_account\" \"x\" {\n  name = \"xxx\"\n}\nimport {\n  to = \"yandex_iam_service_account.x\"\n  id = \"x\"\n}\n",
            &["Invalid to address", "main.tf:5"][..],
        ),
    ] {
        let ws = Workspace::new(tf);
        let plan = ws.run(&cloud, &["plan", "-no-color"]);
        assert_eq!(plan.code, 1, "{tf}: {}", plan.stdout);
        for text in expected {
            assert!(
                plan.stderr.contains(text),
                "{tf}: missing {text:?}:\n{}",
                plan.stderr
            );
        }
    }
}

#[test]
fn removed_blocks_forget_or_destroy() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"kept\" {\n  name = \"kept\"\n}\nresource \"yandex_iam_service_account\" \"gone\" {\n  name = \"gone\"\n}\n",
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let kept = ws.attribute("yandex_iam_service_account.kept", "id");
    ws.write(
        r#"
removed {
  from = yandex_iam_service_account.kept
  lifecycle {
    destroy = false
  }
}
removed {
  from = yandex_iam_service_account.gone
}
"#,
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    for expected in [
        "# yandex_iam_service_account.kept will no longer be managed by ycprov",
        "# yandex_iam_service_account.gone will be destroyed",
        "Plan: 0 to add, 0 to change, 1 to destroy. 1 to forget.",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert!(addresses(&ws).is_empty(), "both left the state");
    assert_eq!(
        account_ids(&cloud),
        [kept.as_str().unwrap().to_string()],
        "only the forgotten one is left"
    );

    ws.write(
        "resource \"yandex_iam_service_account\" \"kept\" {\n  name = \"kept\"\n}\nremoved {\n  from = yandex_iam_service_account.kept\n}\n",
    );
    let clash = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(clash.code, 1);
    assert!(
        clash.stderr.contains("Removed resource still exists"),
        "{}",
        clash.stderr
    );
}

#[test]
fn replace_and_refresh_only_work_on_real_objects() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"a\" {\n  name = \"robot-a\"\n}\nresource \"yandex_iam_service_account\" \"b\" {\n  name = \"robot-b\"\n}\n",
    );
    ws.run(&cloud, &["init", "-input=false", "-no-color"]).ok();
    ws.run(&cloud, &["apply", "-auto-approve", "-input=false"])
        .ok();
    let old = ws.attribute("yandex_iam_service_account.a", "id");

    let plan = ws.run(
        &cloud,
        &["plan", "-replace=yandex_iam_service_account.a", "-no-color"],
    );
    assert!(
        plan.ok().contains("will be replaced, as requested"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        plan.stdout
    );
    ws.run(
        &cloud,
        &[
            "apply",
            "-auto-approve",
            "-replace=yandex_iam_service_account.a",
        ],
    )
    .ok();
    assert_ne!(ws.attribute("yandex_iam_service_account.a", "id"), old);

    let b = ws.attribute("yandex_iam_service_account.b", "id");
    cloud
        .ycprov(&["account", "delete", b.as_str().unwrap()])
        .ok();
    let accounts = account_ids(&cloud);
    let plan = ws.run(&cloud, &["plan", "-refresh-only", "-no-color"]);
    assert!(
        plan.ok().contains("yandex_iam_service_account.b"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("will be created"), "{}", plan.stdout);
    ws.run(&cloud, &["apply", "-refresh-only", "-auto-approve"])
        .ok();
    assert_eq!(addresses(&ws), ["yandex_iam_service_account.a"]);
    assert_eq!(
        account_ids(&cloud),
        accounts,
        "refresh-only changes nothing in the cloud"
    );
}

#[test]
fn terraform_tolerances_are_kept() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
terraform {
  required_version = ">= 1.5.0, < 2.0.0"
  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = ">= 0.100"
    }
  }
}
resource "yandex_iam_service_account" "sa" {
  name   = "robot"
  labels = { team = "ml", env = "dev" }
  lifecycle {
    ignore_changes = ["description"]
  }
}
resource "yandex_iam_service_account" "per_label" {
  for_each   = yandex_iam_service_account.sa.labels
  name       = "robot-${each.key}-${each.value}"
  depends_on = ["yandex_iam_service_account.sa"]
}
"#,
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    assert!(
        plan.ok()
            .contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let warnings = plan
        .stderr
        .matches("Quoted references are deprecated")
        .count();
    assert_eq!(warnings, 2, "{}", plan.stderr);
    assert!(plan.stderr.contains("main.tf:15"), "{}", plan.stderr);
    assert!(plan.stderr.contains("main.tf:21"), "{}", plan.stderr);
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert!(addresses(&ws).contains(&"yandex_iam_service_account.per_label[\"team\"]".to_string()));
}

#[test]
fn every_unsupported_construct_is_reported_in_one_pass() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
module "sa" {
  source = "terraform-yc-modules/iam/yandex"
}

check "health" {
  assert {
    condition     = true
    error_message = "never"
  }
}

resource "yandex_iam_service_account" "sa" {
  name = "robot"
  provisioner "local-exec" {
    command = "echo hi"
  }
  lifecycle {
    precondition {
      condition     = true
      error_message = "never"
    }
  }
}

resourc "yandex_iam_service_account" "typo" {
  name = "x"
}
"#,
    );
    let before = cloud.emulator.stats().total_requests;
    let run = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    for (line, text) in [
        (
            "main.tf:3",
            "ycprov does not support module sources other than local paths yet",
        ),
        ("main.tf:6", "ycprov does not support \"check\" blocks yet"),
        (
            "main.tf:15",
            "ycprov does not support \"provisioner\" blocks",
        ),
        (
            "main.tf:19",
            "ycprov does not support precondition blocks yet",
        ),
        ("main.tf:26", "Unsupported block type \"resourc\""),
    ] {
        assert!(
            run.stderr.contains(text),
            "missing {text:?}:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains(line), "missing {line}:\n{}", run.stderr);
    }
    assert!(
        run.stderr.contains("Did you mean \"resource\"?"),
        "{}",
        run.stderr
    );
    assert_eq!(cloud.emulator.stats().total_requests, before, "no API call");

    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"sa\" {\n  description = \"ok\"\n  name        = \"Not_A_Valid_Name\"\n}\n",
    );
    let run = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("main.tf:3"),
        "the error points at the name argument:\n{}",
        run.stderr
    );
}
