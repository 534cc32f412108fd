//! Hostile and broken inputs found by adversarial testing: each case failed before its
//! fix. Sensitivity through interpolation, counted references, limits, damaged state,
//! a broken API, undeclared variables, symbolic links and unreadable locks.

use serde_json::{Value, json};
use ycprov_engine::commands::{self, Options};

use super::*;

/// Runs `f` on a thread with the stack the `ycprov` binary gives its command thread.
fn with_binary_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

const DERIVED_SECRET: &str = r#"
resource "yandex_iam_service_account" "sa" {
  name = "sa-a"
}
resource "yandex_iam_service_account_api_key" "k" {
  service_account_id = yandex_iam_service_account.sa.id
}
resource "yandex_iam_service_account" "b" {
  name        = "sa-b"
  description = "k=${yandex_iam_service_account_api_key.k.secret_key}"
}
"#;

#[test]
fn a_value_derived_from_a_secret_stays_sensitive_through_attributes() {
    let cases = [
        (
            "plain output",
            "output \"d\" {\n  value = yandex_iam_service_account.b.description\n}\n",
            false,
        ),
        (
            "through a function and a list",
            "output \"d\" {\n  value = [upper(yandex_iam_service_account.b.description)]\n}\n",
            false,
        ),
        (
            "through a local",
            "locals {\n  d = \"x${yandex_iam_service_account.b.description}\"\n}\noutput \"d\" {\n  value = local.d\n}\n",
            false,
        ),
        (
            "marked sensitive",
            "output \"d\" {\n  value     = yandex_iam_service_account.b.description\n  sensitive = true\n}\n",
            true,
        ),
    ];
    for (name, output, accepted) in cases {
        let ws = Workspace::new(&format!("{DERIVED_SECRET}{output}"));
        let r = ws.run("apply");
        let printed = format!("{}{}", r.out, r.err);
        assert!(
            !printed.contains("AQVN-secret"),
            "{name}: secret printed:\n{printed}"
        );
        if accepted {
            assert_eq!(r.code, 0, "{name}: {printed}");
            let state = ws.state();
            assert_eq!(state["outputs"]["d"]["sensitive"], json!(true), "{name}");
            let b = state["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["address"] == "yandex_iam_service_account.b")
                .unwrap()
                .clone();
            assert_eq!(b["sensitive_attributes"], json!(["description"]), "{name}");
            let mut ui = TestUi::default();
            commands::output(&ws.opts(), &mut ui, None);
            assert!(
                !ui.out.contains("AQVN-secret"),
                "{name}: output printed it:\n{}",
                ui.out
            );
            assert!(ui.out.contains("(sensitive value)"), "{name}: {}", ui.out);
        } else {
            assert_eq!(r.code, 1, "{name}: {printed}");
            assert!(
                printed.contains("Output refers to sensitive values"),
                "{name}: {printed}"
            );
        }
    }
}

#[test]
fn counted_references_select_by_position() {
    let config = r#"
resource "yandex_iam_service_account" "a" {
  count = 3
  name  = "sa-${count.index}"
}
resource "yandex_iam_service_account_api_key" "k" {
  count              = 3
  service_account_id = yandex_iam_service_account.a[count.index].id
  description        = "for ${yandex_iam_service_account.a[count.index].name}"
}
resource "yandex_iam_service_account_api_key" "third" {
  service_account_id = yandex_iam_service_account.a[2].id
}
"#;
    let ws = Workspace::new(config);
    let plan = ws.run("plan");
    assert_eq!(plan.code, 0, "{}\n{}", plan.out, plan.err);
    ws.apply_ok();
    let accounts: Vec<Value> = (0..3)
        .map(|i| ws.attr(&format!("yandex_iam_service_account.a[{i}]"), "id"))
        .collect();
    for (i, account) in accounts.iter().enumerate() {
        let key = format!("yandex_iam_service_account_api_key.k[{i}]");
        assert_eq!(&ws.attr(&key, "service_account_id"), account, "{key}");
        assert_eq!(
            ws.attr(&key, "description"),
            json!(format!("for sa-{i}")),
            "{key}"
        );
    }
    assert_eq!(
        ws.attr(
            "yandex_iam_service_account_api_key.third",
            "service_account_id"
        ),
        accounts[2]
    );
    let out_of_range = Workspace::new(&config.replace("a[2].id", "a[5].id"));
    let r = out_of_range.run("plan");
    assert_eq!(r.code, 1);
    assert!(
        r.err
            .contains("index 5 is out of range: the collection has 3 element(s)"),
        "{}",
        r.err
    );
}

#[test]
fn unbounded_configurations_meet_a_limit_that_names_the_place() {
    let chain: String = (0..1500)
        .map(|i| format!("locals {{\n  l{i} = local.l{}\n}}\n", i + 1))
        .collect::<String>()
        + "locals {\n  l1500 = \"end\"\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = local.l0\n}\n";
    let short_chain: String = (0..300)
        .map(|i| format!("locals {{\n  l{i} = \"${{local.l{}}}x\"\n}}\n", i + 1))
        .collect::<String>()
        + "locals {\n  l300 = \"e\"\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = replace(local.l0, \"x\", \"\")\n}\n";
    let nested = format!(
        "resource \"yandex_iam_service_account\" \"sa\" {{\n  name = {}\"x\"{}\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("a chain of 1500 locals", chain, Some("Expression nested too deeply")),
        ("a chain of 300 locals", short_chain, None),
        ("count of a hundred million", "resource \"yandex_iam_service_account\" \"sa\" {\n  count = 100000000\n  name  = \"sa-${count.index}\"\n}\n".into(), Some("Too many instances")),
        ("brackets nested 5000 deep", nested, Some("Configuration nested too deeply")),
    ];
    for (name, config, error) in cases {
        let ws = Workspace::new(&config);
        let (code, err) = with_binary_stack(move || {
            let r = ws.run("validate");
            let r2 = ws.run("plan");
            (r.code.max(r2.code), format!("{}{}", r.err, r2.err))
        });
        match error {
            Some(summary) => {
                assert_eq!(code, 1, "{name}");
                assert!(err.contains(summary), "{name}: {err}");
                assert!(err.contains("main.tf:"), "{name}: no file:line in {err}");
                assert!(
                    err.contains("limits::MAX_"),
                    "{name}: the limit is not named in {err}"
                );
            }
            None => {
                assert!(!err.contains("nested too deeply"), "{name}: {err}");
            }
        }
    }
}

fn state_with(records: Value) -> String {
    json!({
        "version": 4, "terraform_version": "1.9.0", "ycprov_version": "0.1.0", "serial": 3,
        "lineage": "5f0c9a7e-1b2c-4d3e-8f40-123456789abc",
        "outputs": {}, "resources": records
    })
    .to_string()
}

fn record(address: &str, name: &str, index: Value, id: &str) -> Value {
    json!({
        "address": address, "mode": "managed", "type": "yandex_iam_service_account",
        "name": name, "index_key": index, "schema_version": 1,
        "attributes": {"id": id, "name": "sa-a", "folder_id": "b1gdefault", "description": ""}
    })
}

#[test]
fn a_damaged_state_is_refused_naming_the_address() {
    let cases = [
        (
            "one address twice",
            json!([
                record("yandex_iam_service_account.sa", "sa", Value::Null, "aje1"),
                record("yandex_iam_service_account.sa", "sa", Value::Null, "aje2"),
            ]),
            "yandex_iam_service_account.sa appears twice",
        ),
        (
            "an index far out of range",
            json!([record(
                "yandex_iam_service_account.sa[999999999999]",
                "sa",
                json!(999_999_999_999i64),
                "aje1"
            )]),
            "index_key 999999999999 is outside",
        ),
        (
            "an address that disagrees with its name",
            json!([record(
                "yandex_iam_service_account.other",
                "sa",
                Value::Null,
                "aje1"
            )]),
            "the object recorded as yandex_iam_service_account.other",
        ),
    ];
    for (name, records, want) in cases {
        let ws = Workspace::new(SA_ONLY);
        ws.write("terraform.tfstate", &state_with(records));
        for command in ["plan", "apply"] {
            let r = ws.run(command);
            assert_eq!(r.code, 1, "{name}: {command}");
            assert!(r.err.contains(want), "{name}: {command}: {}", r.err);
            assert!(r.err.contains("terraform.tfstate"), "{name}: {}", r.err);
        }
        assert!(
            ws.provider.calls().iter().all(|c| !c.starts_with("apply")),
            "{name}"
        );
    }
}

const SA_ONLY: &str = "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"sa-a\"\n}\n";

#[test]
fn the_same_id_for_two_creates_is_an_error_before_saving() {
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"a\" {\n  name = \"sa-a\"\n}\nresource \"yandex_iam_service_account\" \"b\" {\n  name = \"sa-b\"\n  description = yandex_iam_service_account.a.id\n}\n",
    );
    ws.provider.reuse_ids();
    let r = ws.run("apply");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(
        r.err.contains("an id another object already holds"),
        "{}",
        r.err
    );
    assert!(r.err.contains("yandex_iam_service_account.a"), "{}", r.err);
    let state = ws.state();
    let ids: Vec<&Value> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("pending_create").is_none())
        .map(|r| &r["attributes"]["id"])
        .collect();
    assert_eq!(
        ids,
        vec![&json!("aje0001")],
        "only the first object holds the id: {state}"
    );
}

#[test]
fn a_failed_create_stays_pending_so_the_rerun_adopts_or_creates_once() {
    let ws = Workspace::new(SA_ONLY);
    ws.provider.fail_when(SA, "sa-a", Failure::Clean);
    let r = ws.run("apply");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("recorded as pending"), "{}", r.err);
    assert!(!r.err.contains("running again is safe"), "{}", r.err);
    ws.provider.clear_failures();
    let again = ws.apply_ok();
    assert!(again.out.contains("1 added"), "{}", again.out);
    assert_eq!(ws.provider.objects(SA).len(), 1);
}

#[test]
fn a_var_file_assigning_an_undeclared_variable_warns() {
    let ws = Workspace::new(SA_ONLY);
    ws.write("extra.tfvars", "folder_idd = \"b1g\"\n");
    let opts = Options {
        vars: vec![ycprov_engine::config::VarSource::File(
            ws.path("extra.tfvars"),
        )],
        ..ws.opts()
    };
    let r = ws.run_opts(&opts, "plan");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("Value for undeclared variable"), "{}", r.err);
    assert!(r.err.contains("folder_idd"), "{}", r.err);
}

#[test]
fn a_state_path_that_is_a_symlink_is_written_through() {
    let ws = Workspace::new(SA_ONLY);
    std::fs::create_dir(ws.path("real")).unwrap();
    std::fs::write(ws.path("real/terraform.tfstate"), "").unwrap();
    std::os::unix::fs::symlink("real/terraform.tfstate", ws.path("terraform.tfstate")).unwrap();
    ws.apply_ok();
    let link = std::fs::symlink_metadata(ws.path("terraform.tfstate")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let real = std::fs::read_to_string(ws.path("real/terraform.tfstate")).unwrap();
    assert!(real.contains("yandex_iam_service_account.sa"), "{real}");
    assert_eq!(ws.run("plan").code, 0);
}

#[test]
fn an_unreadable_lock_names_an_id_that_force_unlock_takes() {
    let ws = Workspace::new(SA_ONLY);
    let lock = ycprov_engine::lock::lock_path(&ws.path("terraform.tfstate"));
    std::fs::write(&lock, "garbage").unwrap();
    let r = ws.run("apply");
    assert_eq!(r.code, 1);
    let id = r
        .err
        .split("force-unlock ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no force-unlock advice in {}", r.err))
        .to_string();
    let mut ui = TestUi::default();
    let code = commands::force_unlock(&ws.opts(), &mut ui, &id);
    assert_eq!(code, 0, "force-unlock {id}: {}", ui.err);
    assert!(!lock.exists());
    ws.apply_ok();
}

#[test]
fn quoted_references_are_accepted_with_terraforms_warning() {
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"a\" {\n  name = \"sa-a\"\n}\nresource \"yandex_iam_service_account\" \"b\" {\n  name       = \"sa-b\"\n  depends_on = [\"yandex_iam_service_account.a\"]\n  lifecycle {\n    ignore_changes = [\"description\"]\n  }\n}\n",
    );
    let r = ws.apply_ok();
    assert_eq!(
        r.err.matches("Quoted references are deprecated").count(),
        2,
        "{}",
        r.err
    );
    let plan = ws.run("plan");
    assert!(plan.err.contains("main.tf:6"), "depends_on: {}", plan.err);
    assert!(
        plan.err.contains("main.tf:8"),
        "ignore_changes: {}",
        plan.err
    );
    assert!(
        r.out
            .find("yandex_iam_service_account.a: Creation complete")
            .unwrap()
            < r.out
                .find("yandex_iam_service_account.b: Creating...")
                .unwrap(),
        "the quoted dependency orders the creates:\n{}",
        r.out
    );
}
