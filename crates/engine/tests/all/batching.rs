//! Batch resource types: instances that are ready together are applied with one
//! `apply_many`, and refresh reads them with one `read_many`, while every instance
//! keeps its own progress lines, state record and failure.

use serde_json::{Value, json};

use super::*;

/// One service account and `count` roles granted to it, one member resource each.
fn members(count: usize) -> String {
    format!(
        r#"
resource "yandex_iam_service_account" "sa" {{
  name = "batch"
}}

resource "yandex_resourcemanager_folder_iam_member" "role" {{
  count     = {count}
  folder_id = "b1gfolder"
  role      = "role${{count.index}}"
  member    = "serviceAccount:${{yandex_iam_service_account.sa.id}}"
}}

resource "yandex_iam_service_account_api_key" "key" {{
  service_account_id = yandex_iam_service_account.sa.id
  depends_on         = [yandex_resourcemanager_folder_iam_member.role]
}}
"#
    )
}

/// The provider calls whose text starts with `prefix`.
fn calls(ws: &Workspace, prefix: &str) -> Vec<String> {
    ws.provider
        .calls()
        .into_iter()
        .filter(|call| call.starts_with(prefix))
        .collect()
}

fn lines_with(text: &str, needle: &str) -> usize {
    text.lines().filter(|line| line.contains(needle)).count()
}

#[test]
fn members_ready_together_are_applied_with_one_call() {
    let ws = Workspace::new(&members(50));
    let r = ws.apply_ok();
    assert!(
        r.out.contains("52 added, 0 changed, 0 destroyed"),
        "{}",
        r.out
    );
    assert_eq!(
        calls(&ws, "apply"),
        vec![
            format!("apply {SA}"),
            format!("apply_many {MEMBER} 50"),
            format!("apply {KEY}"),
        ]
    );
    assert_eq!(lines_with(&r.out, "role: Creating..."), 0);
    assert_eq!(lines_with(&r.out, "]: Creating..."), 50);
    assert_eq!(lines_with(&r.out, ": Creation complete"), 52);
    assert_eq!(ws.state_addresses().len(), 52);
    assert_eq!(
        ws.attr("yandex_resourcemanager_folder_iam_member.role[7]", "id"),
        json!("b1gfolder/role7/serviceAccount:aje0001")
    );
    assert!(
        ws.state()["serial"].as_u64().unwrap() <= 8,
        "the state file is written twice per provider call (the pending creates, then the results), not once per member"
    );

    ws.provider.clear_calls();
    let plan = ws.run("plan");
    assert!(plan.out.contains("No changes."), "{}", plan.out);
    let mut reads = calls(&ws, "read");
    reads.sort();
    assert_eq!(
        reads,
        vec![
            format!("read {SA}"),
            format!("read {KEY}"),
            format!("read_many {MEMBER} 50"),
        ]
    );

    ws.provider.clear_calls();
    let destroy = ws.run("destroy");
    assert_eq!(destroy.code, 0, "{}", destroy.err);
    assert_eq!(
        calls(&ws, "apply"),
        vec![
            format!("apply {KEY}"),
            format!("apply_many {MEMBER} 50"),
            format!("apply {SA}"),
        ]
    );
    assert!(ws.provider.objects(MEMBER).is_empty());
}

#[test]
fn one_failing_member_fails_alone() {
    let ws = Workspace::new(&members(20));
    ws.provider.fail_when(MEMBER, "\"role7\"", Failure::Clean);
    let r = ws.run("apply");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(
        r.err
            .contains("yandex_resourcemanager_folder_iam_member.role[7]"),
        "{}",
        r.err
    );
    assert!(r.err.contains("PERMISSION_DENIED"), "{}", r.err);
    assert_eq!(
        calls(&ws, "apply_many"),
        vec![format!("apply_many {MEMBER} 20")]
    );
    assert_eq!(ws.provider.objects(MEMBER).len(), 19);
    let addresses = ws.state_addresses();
    assert_eq!(
        addresses.len(),
        21,
        "the account, 19 members and the failed one pending: {addresses:?}"
    );
    assert!(addresses.contains(&"yandex_resourcemanager_folder_iam_member.role[7]".to_string()));
    assert!(
        !r.out.contains("api_key.key: Creating"),
        "the key depends on every member:\n{}",
        r.out
    );

    ws.provider.clear_failures();
    ws.provider.clear_calls();
    let again = ws.apply_ok();
    assert!(again.out.contains("2 added, 0 changed"), "{}", again.out);
    assert_eq!(
        calls(&ws, "apply"),
        vec![format!("apply {MEMBER}"), format!("apply {KEY}")],
        "a lone ready member is applied on its own"
    );
}

#[test]
fn a_provider_failure_fails_the_whole_batch_and_leaves_pending_creates() {
    let ws = Workspace::new(&members(10));
    ws.provider.fail_when(MEMBER, "\"role3\"", Failure::Trap);
    let r = ws.run("apply");
    assert_eq!(r.code, 1);
    assert_eq!(
        lines_with(&r.err, "the provider failed while applying"),
        10,
        "{}",
        r.err
    );
    let state = ws.state();
    let members: Vec<&Value> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == MEMBER)
        .collect();
    assert_eq!(members.len(), 10);
    assert!(
        members.iter().all(|r| r["pending_create"].is_object()),
        "the outcome is unknown, so every member is a pending create: {state:#}"
    );
    ws.provider.clear_failures();
    let again = ws.apply_ok();
    assert!(
        again.out.contains("11 added"),
        "the members and the key: {}",
        again.out
    );
    assert_eq!(ws.provider.objects(MEMBER).len(), 10);
    assert!(!ws.state().to_string().contains("pending_create"));
}

#[test]
fn a_batch_holds_at_most_a_thousand_changes() {
    let ws = Workspace::new(&members(1001));
    ws.apply_ok();
    assert_eq!(
        calls(&ws, &format!("apply_many {MEMBER}")),
        vec![format!("apply_many {MEMBER} 1000")]
    );
    assert_eq!(
        calls(&ws, &format!("apply {MEMBER}")).len(),
        1,
        "the one left over is applied on its own"
    );
    ws.provider.clear_calls();
    ws.run("plan");
    assert_eq!(
        calls(&ws, &format!("read_many {MEMBER}")),
        vec![format!("read_many {MEMBER} 1000")]
    );
    assert_eq!(calls(&ws, &format!("read {MEMBER}")).len(), 1);
}
