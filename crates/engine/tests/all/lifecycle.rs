//! Plan / apply / destroy / import / refresh behaviour end to end.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use serde_json::{Value, json};
use ycprov_engine::commands::{self, Options};
use ycprov_engine::lock::StateLock;

use super::*;

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found in:\n{text}"))
}

#[test]
fn create_from_empty_then_no_changes() {
    let ws = Workspace::new(AI_STUDIO);
    let r = ws.apply_ok();
    assert!(
        r.out
            .contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."),
        "{}",
        r.out
    );
    assert!(
        position(&r.out, "yandex_iam_service_account.sa: Creation complete")
            < position(
                &r.out,
                "yandex_resourcemanager_folder_iam_member.user: Creating..."
            )
    );
    assert!(
        position(
            &r.out,
            "yandex_resourcemanager_folder_iam_member.user: Creation complete"
        ) < position(
            &r.out,
            "yandex_iam_service_account_api_key.key: Creating..."
        )
    );
    assert!(r.out.contains("[id=aje0001]"));
    assert!(r.out.contains("api_key = (sensitive value)"), "{}", r.out);
    assert!(!r.out.contains("AQVN-secret"), "secret printed:\n{}", r.out);
    assert_eq!(
        ws.state_addresses(),
        vec![
            "yandex_iam_service_account.sa",
            "yandex_iam_service_account_api_key.key",
            "yandex_resourcemanager_folder_iam_member.user"
        ]
    );
    assert_eq!(
        ws.attr("yandex_iam_service_account_api_key.key", "secret_key"),
        json!("AQVN-secret-aje0002")
    );
    assert_eq!(
        ws.attr("yandex_resourcemanager_folder_iam_member.user", "member"),
        json!("serviceAccount:aje0001")
    );
    let state = ws.state();
    assert_eq!(
        state["outputs"]["sa_id"],
        json!({"value": "aje0001", "sensitive": false})
    );
    assert_eq!(state["outputs"]["api_key"]["sensitive"], json!(true));
    assert_eq!(
        state["resources"][1]["sensitive_attributes"],
        json!(["secret_key"])
    );
    assert_eq!(
        state["resources"][2]["dependencies"],
        json!(["yandex_iam_service_account.sa"])
    );
    let mode = std::fs::metadata(ws.path("terraform.tfstate"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        state["serial"].as_u64().unwrap() >= 3,
        "state saved after every change"
    );
    let configured = ws.provider.configured().unwrap();
    assert_eq!(configured["folder_id"], json!("b1gfolder"));
    assert!(
        configured.get("token").is_none(),
        "credentials must not reach the provider"
    );

    let opts = Options {
        detailed_exitcode: true,
        ..ws.opts()
    };
    let again = ws.run_opts(&opts, "plan");
    assert_eq!(again.code, 0, "{}\n{}", again.out, again.err);
    assert!(
        again
            .out
            .contains("No changes. Your infrastructure matches the configuration.")
    );
    let serial = ws.state()["serial"].clone();
    ws.apply_ok();
    assert_eq!(
        ws.state()["serial"],
        serial,
        "a no-op apply does not rewrite the state"
    );
}

#[test]
fn description_change_is_an_update_in_place() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    ws.write(
        "main.tf",
        &AI_STUDIO.replace("\"AI Studio access\"", "\"changed\""),
    );
    let opts = Options {
        detailed_exitcode: true,
        ..ws.opts()
    };
    let plan = ws.run_opts(&opts, "plan");
    assert_eq!(plan.code, 2, "{}", plan.err);
    assert!(plan.out.contains("~ update in-place"));
    assert!(
        plan.out
            .contains("~ description = \"AI Studio access\" -> \"changed\""),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("Plan: 0 to add, 1 to change, 0 to destroy.")
    );
    let r = ws.apply_ok();
    assert!(r.out.contains("Modifying... [id=aje0001]"));
    assert!(
        r.out
            .contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
    );
    assert_eq!(
        ws.attr("yandex_iam_service_account.sa", "id"),
        json!("aje0001")
    );
    assert_eq!(ws.provider.objects(SA)[0]["description"], json!("changed"));
}

#[test]
fn force_new_change_replaces_and_cascades() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let opts = Options {
        vars: vec![ycprov_engine::config::VarSource::parse_flag("folder_id=b1gother").unwrap()],
        ..ws.opts()
    };
    let plan = ws.run_opts(&opts, "plan");
    assert_eq!(plan.code, 0, "{}", plan.err);
    assert!(
        plan.out
            .contains("-/+ resource \"yandex_resourcemanager_folder_iam_member\" \"user\""),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("~ folder_id = \"b1gfolder\" -> \"b1gother\" # forces replacement"),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("Plan: 1 to add, 0 to change, 1 to destroy.")
    );
    let r = ws.run_opts(&opts, "apply");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        position(&r.out, "user: Destruction complete") < position(&r.out, "user: Creating..."),
        "{}",
        r.out
    );
    let members = ws.provider.objects(MEMBER);
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["folder_id"], json!("b1gother"));
}

#[test]
fn removing_a_block_destroys_it_and_destroy_removes_all_in_reverse_order() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let without_key = AI_STUDIO
        .split("resource \"yandex_iam_service_account_api_key\"")
        .next()
        .unwrap()
        .to_string()
        + "output \"sa_id\" {\n  value = yandex_iam_service_account.sa.id\n}\n";
    ws.write("main.tf", &without_key);
    let plan = ws.run("plan");
    assert!(
        plan.out
            .contains("# yandex_iam_service_account_api_key.key will be destroyed"),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("(because yandex_iam_service_account_api_key.key is not in configuration)")
    );
    assert!(
        plan.out
            .contains("- secret_key         = (sensitive value)"),
        "{}",
        plan.out
    );
    assert!(
        plan.out.contains("- api_key = (sensitive value) -> null"),
        "{}",
        plan.out
    );
    let r = ws.apply_ok();
    assert!(r.out.contains("0 added, 0 changed, 1 destroyed"));
    assert!(ws.state()["outputs"].get("api_key").is_none());

    ws.write("main.tf", AI_STUDIO);
    ws.apply_ok();
    ws.provider.clear_calls();
    let r = ws.run("destroy");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("Destroy complete! Resources: 3 destroyed."),
        "{}",
        r.out
    );
    let applies: Vec<String> = ws
        .provider
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("apply"))
        .collect();
    assert_eq!(
        applies,
        vec![
            format!("apply {KEY}"),
            format!("apply {MEMBER}"),
            format!("apply {SA}")
        ]
    );
    assert!(ws.state()["resources"].as_array().unwrap().is_empty());
    assert!(ws.state()["outputs"].as_object().unwrap().is_empty());
    assert!(ws.provider.objects(SA).is_empty());
}

#[test]
fn import_adopts_an_existing_object() {
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"existing\"\n}\n",
    );
    let id = ws.provider.create_outside(
        SA,
        json!({"name": "existing", "description": "", "folder_id": "b1gdefault", "labels": null}),
    );
    let mut ui = TestUi::default();
    let missing = commands::import(
        &ws.opts(),
        &ws.providers(),
        &mut ui,
        "yandex_iam_service_account.other",
        &id,
    );
    assert_eq!(missing, 1);
    assert!(
        ui.err
            .contains("Configuration for import target does not exist")
    );
    let mut ui = TestUi::default();
    let code = commands::import(
        &ws.opts(),
        &ws.providers(),
        &mut ui,
        "yandex_iam_service_account.sa",
        &id,
    );
    assert_eq!(code, 0, "{}", ui.err);
    assert!(ui.out.contains("Import successful!"));
    assert_eq!(ws.attr("yandex_iam_service_account.sa", "id"), json!(id));
    let plan = ws.run_opts(
        &Options {
            detailed_exitcode: true,
            ..ws.opts()
        },
        "plan",
    );
    assert_eq!(plan.code, 0, "{}", plan.out);
    let mut ui = TestUi::default();
    assert_eq!(
        commands::import(
            &ws.opts(),
            &ws.providers(),
            &mut ui,
            "yandex_iam_service_account.sa",
            &id
        ),
        1
    );
    assert!(ui.err.contains("already managed"));
    let mut ui = TestUi::default();
    assert_eq!(
        commands::import(
            &ws.opts(),
            &ws.providers(),
            &mut ui,
            "yandex_iam_service_account.sa",
            "nope"
        ),
        1
    );
}

#[test]
fn drift_is_shown_and_repaired() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    ws.provider
        .set_outside(SA, "aje0001", "description", json!("edited in console"));
    let plan = ws.run("plan");
    assert!(
        plan.out.contains("Objects have changed outside of ycprov"),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("# yandex_iam_service_account.sa has changed")
    );
    assert!(
        plan.out
            .contains("~ description = \"AI Studio access\" -> \"edited in console\"")
    );
    assert!(
        plan.out
            .contains("~ description = \"edited in console\" -> \"AI Studio access\"")
    );
    ws.apply_ok();
    assert_eq!(
        ws.provider.objects(SA)[0]["description"],
        json!("AI Studio access")
    );

    ws.provider.delete_outside(
        MEMBER,
        "b1gfolder/ai.languageModels.user/serviceAccount:aje0001",
    );
    let plan = ws.run("plan");
    assert!(
        plan.out
            .contains("# yandex_resourcemanager_folder_iam_member.user has been deleted"),
        "{}",
        plan.out
    );
    assert!(plan.err.contains("no longer exists"), "{}", plan.err);
    assert!(
        plan.out
            .contains("# yandex_resourcemanager_folder_iam_member.user will be created")
    );
    let r = ws.run("refresh");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        !ws.state_addresses()
            .contains(&"yandex_resourcemanager_folder_iam_member.user".to_string())
    );
}

/// A plan that finds no drift is made while the refresh reads, from the state as loaded,
/// and stands: each instance is planned once. Drift (or a deleted object) makes the
/// plan again from the refreshed state, so what was planned early is never shown.
#[test]
fn a_plan_is_made_once_unless_the_refresh_changes_the_state() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let plans = |ws: &Workspace| {
        ws.provider
            .calls()
            .iter()
            .filter(|c| c.starts_with("plan "))
            .count()
    };
    let instances = 3;
    /// What changes outside ycprov before the plan, the plan calls per instance, and
    /// what the plan shows.
    type Case = (&'static str, usize, &'static str);
    let cases: &[Case] = &[
        ("nothing", 1, "No changes."),
        (
            "description",
            2,
            "~ description = \"edited\" -> \"AI Studio access\"",
        ),
        (
            "deleted",
            2,
            "yandex_resourcemanager_folder_iam_member.user will be created",
        ),
    ];
    for &(outside, per_instance, shown) in cases {
        match outside {
            "description" => ws
                .provider
                .set_outside(SA, "aje0001", "description", json!("edited")),
            "deleted" => ws.provider.delete_outside(
                MEMBER,
                "b1gfolder/ai.languageModels.user/serviceAccount:aje0001",
            ),
            _ => {}
        }
        ws.provider.clear_calls();
        let plan = ws.run("plan");
        assert!(plan.out.contains(shown), "{outside}: {}", plan.out);
        assert_eq!(
            plans(&ws),
            instances * per_instance,
            "{outside}: {:?}",
            ws.provider.calls()
        );
        ws.apply_ok();
    }
}

const TEAMS: &str = r#"
variable "teams" {
  type    = set(string)
  default = ["alpha", "beta"]
}

resource "yandex_iam_service_account" "team" {
  for_each    = var.teams
  name        = "sa-${each.key}"
  description = "team ${upper(each.value)}"
}

resource "yandex_resourcemanager_folder_iam_member" "team" {
  count     = length(var.teams)
  folder_id = "b1gfolder"
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${yandex_iam_service_account.team[tolist(var.teams)[count.index]].id}"
}

output "ids" {
  value = { for k, sa in yandex_iam_service_account.team : k => sa.id }
}
"#;

#[test]
fn count_and_for_each_make_one_account_per_team() {
    let ws = Workspace::new(TEAMS);
    let r = ws.apply_ok();
    assert!(r.out.contains("4 added"), "{}", r.out);
    assert_eq!(
        ws.state_addresses(),
        vec![
            "yandex_iam_service_account.team[\"alpha\"]",
            "yandex_iam_service_account.team[\"beta\"]",
            "yandex_resourcemanager_folder_iam_member.team[0]",
            "yandex_resourcemanager_folder_iam_member.team[1]",
        ]
    );
    assert_eq!(
        ws.attr("yandex_iam_service_account.team[\"beta\"]", "description"),
        json!("team BETA")
    );
    assert_eq!(
        ws.state()["outputs"]["ids"]["value"],
        json!({
            "alpha": ws.attr("yandex_iam_service_account.team[\"alpha\"]", "id"),
            "beta": ws.attr("yandex_iam_service_account.team[\"beta\"]", "id"),
        }),
        "the two accounts are created in parallel, so either may get the first id"
    );
    let opts = Options {
        vars: vec![ycprov_engine::config::VarSource::parse_flag("teams=[\"alpha\"]").unwrap()],
        ..ws.opts()
    };
    let plan = ws.run_opts(&opts, "plan");
    assert!(
        plan.out
            .contains("(because key [\"beta\"] is not in for_each map)"),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("(because index [1] is out of range for count)"),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("Plan: 0 to add, 0 to change, 2 to destroy."),
        "{}",
        plan.out
    );
}

#[test]
fn outputs_hide_sensitive_values_unless_asked() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let cases: Vec<(Options, Option<&str>, &str)> = vec![
        (
            ws.opts(),
            None,
            "api_key = (sensitive value)\nsa_id = \"aje0001\"\n",
        ),
        (ws.opts(), Some("api_key"), "(sensitive value)\n"),
        (
            Options {
                raw: true,
                ..ws.opts()
            },
            Some("api_key"),
            "AQVN-secret-aje0002",
        ),
        (
            Options {
                raw: true,
                ..ws.opts()
            },
            Some("sa_id"),
            "aje0001",
        ),
        (
            Options {
                json: true,
                ..ws.opts()
            },
            Some("sa_id"),
            "\"aje0001\"\n",
        ),
    ];
    for (opts, name, want) in cases {
        let mut ui = TestUi::default();
        assert_eq!(commands::output(&opts, &mut ui, name), 0);
        assert_eq!(ui.out, want, "{name:?}");
    }
    let mut ui = TestUi::default();
    commands::output(
        &Options {
            json: true,
            ..ws.opts()
        },
        &mut ui,
        None,
    );
    let v: Value = serde_json::from_str(&ui.out).unwrap();
    assert_eq!(v["api_key"], json!({"sensitive": true, "value": null}));
    let mut ui = TestUi::default();
    assert_eq!(commands::output(&ws.opts(), &mut ui, Some("nope")), 1);
}

#[test]
fn sensitive_output_must_be_declared() {
    let ws = Workspace::new(&AI_STUDIO.replace("  sensitive = true\n", ""));
    let r = ws.run("plan");
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("Output refers to sensitive values"),
        "{}",
        r.err
    );
    assert!(r.err.contains("main.tf:"), "{}", r.err);
}

const TWO_ACCOUNTS: &str = r#"
resource "yandex_iam_service_account" "a" {
  name = "sa-a"
}

resource "yandex_resourcemanager_folder_iam_member" "a" {
  folder_id = "b1gfolder"
  role      = "viewer"
  member    = "serviceAccount:${yandex_iam_service_account.a.id}"
}

resource "yandex_iam_service_account_api_key" "a" {
  service_account_id = yandex_iam_service_account.a.id
  depends_on         = [yandex_resourcemanager_folder_iam_member.a]
}

resource "yandex_iam_service_account" "b" {
  name = "sa-b"
}
"#;

#[test]
fn failure_stops_dependents_only_and_state_is_exact() {
    let ws = Workspace::new(TWO_ACCOUNTS);
    ws.provider.fail_when(MEMBER, "viewer", Failure::Clean);
    let r = ws.run("apply");
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("PERMISSION_DENIED: injected failure"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("yandex_resourcemanager_folder_iam_member.a"),
        "{}",
        r.err
    );
    assert!(
        !r.out
            .contains("yandex_iam_service_account_api_key.a: Creating"),
        "dependent must not start:\n{}",
        r.out
    );
    assert_eq!(
        ws.state_addresses(),
        vec![
            "yandex_iam_service_account.a",
            "yandex_iam_service_account.b",
            "yandex_resourcemanager_folder_iam_member.a"
        ],
        "the failed create stays pending: the API may have made it before it answered"
    );
    let state = ws.state();
    let member = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "yandex_resourcemanager_folder_iam_member.a")
        .unwrap();
    assert!(member.get("pending_create").is_some(), "{member}");
    assert!(r.err.contains("recorded as pending"), "{}", r.err);
    assert_eq!(ws.provider.objects(SA).len(), 2);
}

#[test]
fn partial_failure_keeps_the_created_key_and_its_secret() {
    let ws = Workspace::new(AI_STUDIO);
    ws.provider
        .fail_when(KEY, "key for AI Studio", Failure::Partial);
    let r = ws.run("apply");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("DEADLINE_EXCEEDED"), "{}", r.err);
    assert_eq!(ws.state_addresses().len(), 3);
    assert_eq!(
        ws.attr("yandex_iam_service_account_api_key.key", "secret_key"),
        json!("AQVN-secret-aje0002")
    );
}

#[test]
fn provider_trap_is_an_error_and_leaves_only_a_pending_create() {
    let ws = Workspace::new(TWO_ACCOUNTS);
    ws.provider.fail_when(SA, "sa-b", Failure::Trap);
    let r = ws.run("apply");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("wasm trap"), "{}", r.err);
    assert!(r.err.contains("pending create"), "{}", r.err);
    let state = ws.state();
    let b = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "yandex_iam_service_account.b")
        .expect("b is recorded as a pending create");
    assert!(b["pending_create"]["started_at"].is_string(), "{b:#}");
    assert_eq!(b["attributes"]["id"], Value::Null, "{b:#}");
    assert!(
        ws.state_addresses()
            .contains(&"yandex_iam_service_account_api_key.a".to_string())
    );
}

#[test]
fn a_second_run_is_refused_while_the_state_is_locked() {
    let ws = Workspace::new(AI_STUDIO);
    let lock = StateLock::acquire(&ws.path("terraform.tfstate"), "apply").unwrap();
    let id = lock.info().id.clone();
    let r = ws.run("plan");
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("Error acquiring the state lock"),
        "{}",
        r.err
    );
    assert!(r.err.contains(&format!("Who:       {}", lock.info().who)));
    assert!(r.err.contains("Operation: apply"));
    assert!(r.err.contains(&format!("ycprov force-unlock {id}")));
    assert!(
        !ws.provider
            .calls()
            .iter()
            .any(|c| c.starts_with("read") || c.starts_with("apply"))
    );
    let no_lock = Options {
        lock: false,
        ..ws.opts()
    };
    assert_eq!(ws.run_opts(&no_lock, "plan").code, 0);
    std::mem::forget(lock);
    let mut ui = TestUi::default();
    assert_eq!(commands::force_unlock(&ws.opts(), &mut ui, "wrong-id"), 1);
    assert_eq!(commands::force_unlock(&ws.opts(), &mut ui, &id), 0);
    ws.apply_ok();
}

#[test]
fn saved_plan_is_applied_exactly_and_refused_when_stale() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    ws.write(
        "main.tf",
        &AI_STUDIO.replace("\"key for AI Studio\"", "\"rotated\""),
    );
    let planfile = ws.path("tfplan");
    let opts = Options {
        out: Some(planfile.clone()),
        ..ws.opts()
    };
    let r = ws.run_opts(&opts, "plan");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Saved the plan to:"));
    let text = std::fs::read_to_string(&planfile).unwrap();
    assert!(
        !text.contains("AQVN-secret"),
        "the saved plan must not hold secrets"
    );
    assert_eq!(
        std::fs::metadata(&planfile).unwrap().permissions().mode() & 0o777,
        0o600
    );

    ws.write(
        "main.tf",
        &AI_STUDIO.replace("\"key for AI Studio\"", "\"something else\""),
    );
    let apply_saved = Options {
        plan_file: Some(planfile.clone()),
        auto_approve: false,
        ..ws.opts()
    };
    let r = ws.run_opts(&apply_saved, "apply");
    assert_eq!(
        r.code, 1,
        "config changed after plan: the re-plan must not match"
    );
    assert!(r.err.contains("inconsistent final plan"), "{}", r.err);

    ws.write(
        "main.tf",
        &AI_STUDIO.replace("\"key for AI Studio\"", "\"rotated\""),
    );
    let r = ws.run_opts(&apply_saved, "apply");
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.out
    );
    assert_eq!(
        ws.attr("yandex_iam_service_account_api_key.key", "secret_key"),
        json!("AQVN-secret-aje0002")
    );
    let r = ws.run_opts(&apply_saved, "apply");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("Saved plan is stale"), "{}", r.err);
}

#[test]
fn provider_changing_a_known_value_at_apply_is_an_error() {
    let ws = Workspace::new(AI_STUDIO);
    let planfile = ws.path("tfplan");
    assert_eq!(
        ws.run_opts(
            &Options {
                out: Some(planfile.clone()),
                ..ws.opts()
            },
            "plan"
        )
        .code,
        0
    );
    ws.provider
        .override_plan(SA, "description", json!("not what was planned"));
    let r = ws.run_opts(
        &Options {
            plan_file: Some(planfile),
            ..ws.opts()
        },
        "apply",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("provider produced inconsistent final plan"),
        "{}",
        r.err
    );
    assert!(
        r.err
            .contains(".description: planned \"AI Studio access\", now \"not what was planned\""),
        "{}",
        r.err
    );
    assert!(
        ws.provider.objects(SA).is_empty(),
        "nothing may be created after an inconsistent re-plan"
    );
}

#[test]
fn parallelism_is_respected() {
    let config = "resource \"yandex_iam_service_account\" \"many\" {\n  count = 6\n  name  = \"sa-${count.index}\"\n}\n";
    for (parallelism, max) in [(1, 1), (2, 2), (10, 6)] {
        let ws = Workspace::new(config);
        *ws.provider.delay.lock().unwrap() = Duration::from_millis(60);
        let r = ws.run_opts(
            &Options {
                parallelism,
                ..ws.opts()
            },
            "apply",
        );
        assert_eq!(r.code, 0, "{}", r.err);
        assert_eq!(
            ws.provider.max_concurrency(),
            max,
            "parallelism {parallelism}"
        );
    }
}

#[test]
fn apply_asks_for_confirmation() {
    let ws = Workspace::new(AI_STUDIO);
    let manual = Options {
        auto_approve: false,
        ..ws.opts()
    };
    let mut ui = TestUi::default();
    assert_eq!(ws.run_with(&manual, &mut ui, "apply"), 1);
    assert!(ui.err.contains("No terminal to confirm on"), "{}", ui.err);
    let mut ui = TestUi {
        terminal: true,
        answer: Some("no".into()),
        ..TestUi::default()
    };
    assert_eq!(ws.run_with(&manual, &mut ui, "apply"), 1);
    assert!(ui.err.contains("Apply cancelled"));
    assert!(ui.asked[0].contains("Only 'yes' will be accepted"));
    assert!(ws.provider.objects(SA).is_empty());
    let mut ui = TestUi {
        terminal: true,
        answer: Some("yes".into()),
        ..TestUi::default()
    };
    assert_eq!(ws.run_with(&manual, &mut ui, "apply"), 0, "{}", ui.err);
    assert_eq!(ws.provider.objects(SA).len(), 1);
}

#[test]
fn create_before_destroy_creates_the_replacement_first() {
    let config = r#"
variable "folder" {
  default = "b1gone"
}
resource "yandex_iam_service_account" "sa" {
  name      = "sa-cbd"
  folder_id = var.folder
  lifecycle {
    create_before_destroy = true
  }
}
"#;
    let ws = Workspace::new(config);
    ws.apply_ok();
    let opts = Options {
        vars: vec![ycprov_engine::config::VarSource::parse_flag("folder=b1gtwo").unwrap()],
        ..ws.opts()
    };
    let plan = ws.run_opts(&opts, "plan");
    assert!(
        plan.out
            .contains("+/- resource \"yandex_iam_service_account\" \"sa\""),
        "{}",
        plan.out
    );
    assert!(plan.out.contains("+/- create replacement and then destroy"));
    let r = ws.run_opts(&opts, "apply");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        position(&r.out, "yandex_iam_service_account.sa: Creation complete")
            < position(&r.out, "(deposed object"),
        "{}",
        r.out
    );
    assert_eq!(ws.provider.objects(SA).len(), 1);
    assert_eq!(
        ws.attr("yandex_iam_service_account.sa", "folder_id"),
        json!("b1gtwo")
    );
    assert_eq!(ws.state_addresses(), vec!["yandex_iam_service_account.sa"]);
}

#[test]
fn prevent_destroy_blocks_the_plan_with_a_location() {
    let config = "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"keep\"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n";
    let ws = Workspace::new(config);
    ws.apply_ok();
    let r = ws.run("destroy");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("Instance cannot be destroyed"), "{}", r.err);
    assert!(r.err.contains("main.tf:1:1"), "{}", r.err);
    assert_eq!(ws.provider.objects(SA).len(), 1);
}

#[test]
fn target_limits_the_plan_to_dependencies_or_dependents() {
    let ws = Workspace::new(AI_STUDIO);
    let opts = Options {
        targets: vec!["yandex_resourcemanager_folder_iam_member.user".into()],
        ..ws.opts()
    };
    let r = ws.run_opts(&opts, "apply");
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        ws.state_addresses(),
        vec![
            "yandex_iam_service_account.sa",
            "yandex_resourcemanager_folder_iam_member.user"
        ]
    );
    ws.apply_ok();
    let opts = Options {
        targets: vec!["yandex_resourcemanager_folder_iam_member.user".into()],
        ..ws.opts()
    };
    let r = ws.run_opts(&opts, "destroy");
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(ws.state_addresses(), vec!["yandex_iam_service_account.sa"]);
}

#[test]
fn json_plan_is_machine_readable_and_redacted() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    ws.write(
        "main.tf",
        &AI_STUDIO.replace("\"key for AI Studio\"", "\"rotated\""),
    );
    let r = ws.run_opts(
        &Options {
            json: true,
            ..ws.opts()
        },
        "plan",
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!r.out.contains("AQVN-secret"));
    let plan: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(plan["format_version"], json!("1.2"));
    let changes = plan["resource_changes"].as_array().unwrap();
    let key = changes
        .iter()
        .find(|c| c["address"] == "yandex_iam_service_account_api_key.key")
        .unwrap();
    assert_eq!(key["change"]["actions"], json!(["update"]));
    assert_eq!(key["change"]["before"]["secret_key"], Value::Null);
    assert_eq!(
        key["change"]["before_sensitive"],
        json!({"secret_key": true})
    );
    assert_eq!(key["change"]["after"]["description"], json!("rotated"));
    assert_eq!(plan["output_changes"]["api_key"]["after"], Value::Null);

    let r = ws.run_opts(
        &Options {
            json: true,
            ..ws.opts()
        },
        "apply",
    );
    let lines: Vec<Value> = r
        .out
        .lines()
        .filter(|l| l.starts_with("{\""))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines.iter().any(|l| l["type"] == "apply_complete"
            && l["resource"] == "yandex_iam_service_account_api_key.key"),
        "{}",
        r.out
    );
    let summary = lines
        .iter()
        .find(|l| l["type"] == "change_summary")
        .unwrap();
    assert_eq!(
        summary["changes"],
        json!({"add": 0, "change": 1, "remove": 0})
    );
    assert!(!r.out.contains("AQVN-secret"));
}

#[test]
fn state_list_and_show() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let mut ui = TestUi::default();
    assert_eq!(
        commands::state_list(
            &ws.opts(),
            &mut ui,
            &["yandex_iam_service_account.sa".into()]
        ),
        0
    );
    assert_eq!(ui.out, "yandex_iam_service_account.sa\n");
    let mut ui = TestUi::default();
    assert_eq!(
        commands::state_show(
            &ws.opts(),
            &mut ui,
            "yandex_iam_service_account_api_key.key"
        ),
        0
    );
    assert!(
        ui.out.contains("secret_key         = (sensitive value)"),
        "{}",
        ui.out
    );
    assert!(
        ui.out
            .contains("scopes             = [\n        \"yc.ai.foundationModels.execute\",\n    ]"),
        "{}",
        ui.out
    );
    let mut ui = TestUi::default();
    commands::state_show(
        &Options {
            show_sensitive: true,
            ..ws.opts()
        },
        &mut ui,
        "yandex_iam_service_account_api_key.key",
    );
    assert!(ui.out.contains("AQVN-secret-aje0002"));
    let mut ui = TestUi::default();
    assert_eq!(
        commands::state_show(&ws.opts(), &mut ui, "yandex_iam_service_account.nope"),
        1
    );
}

#[test]
fn provider_settings_for_the_host_include_credentials() {
    let ws = Workspace::new(AI_STUDIO);
    let configurations = commands::provider_configurations(&ws.opts()).unwrap();
    let [(addr, settings)] = &configurations[..] else {
        panic!("{} configurations", configurations.len());
    };
    assert_eq!(
        addr.state_string(),
        "provider[\"registry.terraform.io/yandex-cloud/yandex\"]"
    );
    assert_eq!(
        *settings,
        json!({"folder_id": "b1gfolder", "token": "t0ken"})
    );
}

#[test]
fn failed_destroy_of_a_deposed_object_is_retried_on_the_next_apply() {
    let config = "variable \"folder\" {\n  default = \"b1gone\"\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name      = \"sa-cbd\"\n  folder_id = var.folder\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n";
    let ws = Workspace::new(config);
    ws.apply_ok();
    ws.provider.fail_when(SA, "b1gone", Failure::Clean);
    let opts = Options {
        vars: vec![ycprov_engine::config::VarSource::parse_flag("folder=b1gtwo").unwrap()],
        ..ws.opts()
    };
    let r = ws.run_opts(&opts, "apply");
    assert_eq!(r.code, 1, "{}", r.out);
    let state = ws.state();
    let records = state["resources"].as_array().unwrap();
    assert_eq!(
        records.len(),
        2,
        "the new object and the deposed old one: {state}"
    );
    assert!(
        records
            .iter()
            .any(|r| r.get("deposed").is_some() && r["attributes"]["folder_id"] == "b1gone")
    );
    let mut ui = TestUi::default();
    commands::state_list(&ws.opts(), &mut ui, &[]);
    assert!(ui.out.contains("(deposed object "), "{}", ui.out);

    let plan = ws.run_opts(&opts, "plan");
    assert!(plan.out.contains("(deposed object"), "{}", plan.out);
    assert!(
        plan.out
            .contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{}",
        plan.out
    );
    ws.provider.clear_failures();
    let r = ws.run_opts(&opts, "apply");
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(ws.state_addresses(), vec!["yandex_iam_service_account.sa"]);
    assert_eq!(ws.provider.objects(SA).len(), 1);
}

#[test]
fn refresh_can_be_disabled_and_progress_is_reported() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    ws.provider.delete_outside(SA, "aje0001");
    ws.provider.clear_calls();
    let no_refresh = Options {
        refresh: false,
        detailed_exitcode: true,
        ..ws.opts()
    };
    let r = ws.run_opts(&no_refresh, "plan");
    assert_eq!(
        r.code, 0,
        "without refresh the deletion is not seen: {}",
        r.out
    );
    assert!(!ws.provider.calls().iter().any(|c| c.starts_with("read")));

    let slow =
        Workspace::new("resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"slow\"\n}\n");
    *slow.provider.delay.lock().unwrap() = Duration::from_millis(700);
    let opts = Options {
        progress_interval: Duration::from_millis(250),
        ..slow.opts()
    };
    let r = slow.run_opts(&opts, "apply");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out
            .contains("yandex_iam_service_account.sa: Still creating... ["),
        "{}",
        r.out
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let state = ycprov_engine::state_file::StateFile::new(ws.path("terraform.tfstate"))
        .load()
        .unwrap()
        .unwrap();
    let text = format!("{state:?}");
    assert!(text.contains("yandex_iam_service_account_api_key.key"));
    assert!(!text.contains("AQVN-secret"), "{text}");
    let opts = Options {
        env: Some(vec![("TF_VAR_token".into(), "hunter2".into())]),
        vars: vec![ycprov_engine::config::VarSource::parse_flag("token=hunter2").unwrap()],
        ..ws.opts()
    };
    assert!(!format!("{opts:?}").contains("hunter2"));
}

#[test]
fn refresh_only_shows_and_records_outside_changes_without_touching_the_cloud() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let id = ws.attr("yandex_iam_service_account.sa", "id");
    ws.provider.set_outside(
        SA,
        id.as_str().unwrap(),
        "description",
        json!("edited in the console"),
    );
    ws.provider.clear_calls();
    let plan_opts = Options {
        detailed_exitcode: true,
        ..ws.opts()
    };
    let mut ui = TestUi::default();
    let code = commands::refresh_only(
        &plan_opts,
        &ws.providers(),
        &mut ui,
        commands::RefreshOnly::Plan,
    );
    assert_eq!(code, 2, "{}{}", ui.out, ui.err);
    assert!(
        ui.out.contains("yandex_iam_service_account.sa has changed"),
        "{}",
        ui.out
    );
    assert!(ui.out.contains("refresh-only plan"), "{}", ui.out);
    assert_eq!(
        ws.attr("yandex_iam_service_account.sa", "description"),
        json!("AI Studio access")
    );

    let mut ui = TestUi::default();
    let apply = commands::RefreshOnly::Apply { confirm: true };
    assert_eq!(
        commands::refresh_only(&ws.opts(), &ws.providers(), &mut ui, apply),
        0,
        "{}",
        ui.err
    );
    assert_eq!(
        ws.attr("yandex_iam_service_account.sa", "description"),
        json!("edited in the console")
    );
    assert!(
        ws.provider.calls().iter().all(|c| !c.starts_with("apply")),
        "refresh-only changes nothing in the cloud: {:?}",
        ws.provider.calls()
    );
    let plan = ws.run("plan");
    assert!(
        plan.out.contains("1 to change"),
        "the configuration still wants its description: {}",
        plan.out
    );
}
