//! `lifecycle { replace_triggered_by = [...] }`: an object is replaced when a resource,
//! an instance or an attribute it names changes, with Terraform's semantics.

use serde_json::json;
use ycprov_engine::commands::Options;
use ycprov_engine::config::VarSource;

use super::*;

fn config(trigger: &str, create_before_destroy: bool) -> String {
    format!(
        r#"
variable "desc" {{
  default = "one"
}}
resource "yandex_iam_service_account" "sa" {{
  count       = 2
  name        = "sa-${{count.index}}"
  description = count.index == 1 ? var.desc : "fixed"
}}
resource "yandex_iam_service_account_api_key" "key" {{
  count              = 2
  service_account_id = yandex_iam_service_account.sa[count.index].id
  lifecycle {{
    replace_triggered_by  = [{trigger}]
    create_before_destroy = {create_before_destroy}
  }}
}}
"#
    )
}

/// The ids of the two keys, in index order.
fn key_ids(ws: &Workspace) -> Vec<serde_json::Value> {
    (0..2)
        .map(|i| {
            ws.attr(
                &format!("yandex_iam_service_account_api_key.key[{i}]"),
                "id",
            )
        })
        .collect()
}

fn with_desc(ws: &Workspace, desc: &str) -> Options {
    Options {
        vars: vec![VarSource::parse_flag(&format!("desc={desc}")).unwrap()],
        ..ws.opts()
    }
}

#[test]
fn a_change_to_what_the_trigger_names_replaces_the_object() {
    // (trigger, keys replaced when only sa[1]'s description changes)
    let cases = [
        ("yandex_iam_service_account.sa[count.index]", vec![1]),
        (
            "yandex_iam_service_account.sa[count.index].description",
            vec![1],
        ),
        ("yandex_iam_service_account.sa", vec![0, 1]),
        ("yandex_iam_service_account.sa[0]", vec![]),
        ("yandex_iam_service_account.sa[count.index].name", vec![]),
    ];
    for (trigger, replaced) in cases {
        let ws = Workspace::new(&config(trigger, true));
        ws.apply_ok();
        let before = key_ids(&ws);
        let unchanged = ws.run_opts(
            &Options {
                detailed_exitcode: true,
                ..ws.opts()
            },
            "plan",
        );
        assert_eq!(
            unchanged.code, 0,
            "{trigger}: nothing changed yet:\n{}",
            unchanged.out
        );

        let opts = with_desc(&ws, "two");
        let plan = ws.run_opts(&opts, "plan");
        assert_eq!(plan.code, 0, "{trigger}: {}", plan.err);
        for i in 0..2 {
            let line = format!(
                "yandex_iam_service_account_api_key.key[{i}] will be replaced due to changes in replace_triggered_by"
            );
            assert_eq!(
                plan.out.contains(&line),
                replaced.contains(&i),
                "{trigger}: key[{i}]:\n{}",
                plan.out
            );
        }
        let apply = ws.run_opts(&opts, "apply");
        assert_eq!(apply.code, 0, "{trigger}: {}\n{}", apply.out, apply.err);
        for (i, was) in before.iter().enumerate() {
            let address = format!("yandex_iam_service_account_api_key.key[{i}]");
            let now = ws.attr(&address, "id");
            assert_eq!(&now != was, replaced.contains(&i), "{trigger}: {address}");
            assert_eq!(
                ws.attr(&address, "secret_key"),
                json!(format!("AQVN-secret-{}", now.as_str().unwrap()))
            );
            if replaced.contains(&i) {
                let created = apply
                    .out
                    .find(&format!("{address}: Creation complete"))
                    .unwrap();
                let destroyed = apply
                    .out
                    .find(&format!("{address} (deposed object"))
                    .or_else(|| apply.out.find(&format!("{address}: Destroying")))
                    .unwrap();
                assert!(
                    created < destroyed,
                    "{trigger}: create_before_destroy creates first:\n{}",
                    apply.out
                );
            }
        }
        assert_eq!(
            ws.provider.objects(KEY).len(),
            2,
            "{trigger}: the old keys are gone"
        );
        let settled = ws.run_opts(
            &Options {
                detailed_exitcode: true,
                ..with_desc(&ws, "two")
            },
            "plan",
        );
        assert_eq!(
            settled.code, 0,
            "{trigger}: the replacement settles:\n{}",
            settled.out
        );
    }
}

#[test]
fn invalid_triggers_are_refused_with_their_place() {
    let cases = [
        ("var.desc", "Invalid replace_triggered_by expression"),
        (
            "yandex_iam_service_account.nope",
            "replace_triggered_by names yandex_iam_service_account.nope",
        ),
        (
            "yandex_iam_service_account.sa[count.index].descripton",
            "has no attribute \"descripton\"",
        ),
        (
            "yandex_iam_service_account_api_key.key",
            "cannot be replaced because of a change to itself",
        ),
        ("upper(\"x\")", "Invalid replace_triggered_by expression"),
    ];
    for (trigger, want) in cases {
        let ws = Workspace::new(&config(trigger, false));
        let r = ws.run("validate");
        assert_eq!(r.code, 1, "{trigger}");
        assert!(r.err.contains(want), "{trigger}: {}", r.err);
        assert!(
            r.err.contains("main.tf:14"),
            "{trigger}: points at the entry: {}",
            r.err
        );
    }
}

#[test]
fn replace_flag_replaces_the_named_objects_only() {
    let ws = Workspace::new(&config(
        "yandex_iam_service_account.sa[count.index].name",
        false,
    ));
    ws.apply_ok();
    let before = key_ids(&ws);
    let opts = Options {
        replace: vec!["yandex_iam_service_account_api_key.key[1]".into()],
        ..ws.opts()
    };
    let plan = ws.run_opts(&opts, "plan");
    assert_eq!(plan.code, 0, "{}", plan.err);
    assert!(
        plan.out
            .contains("yandex_iam_service_account_api_key.key[1] will be replaced, as requested"),
        "{}",
        plan.out
    );
    assert!(
        plan.out.contains("1 to add, 0 to change, 1 to destroy"),
        "{}",
        plan.out
    );
    let apply = ws.run_opts(&opts, "apply");
    assert_eq!(apply.code, 0, "{}", apply.err);
    assert_eq!(
        ws.attr("yandex_iam_service_account_api_key.key[0]", "id"),
        before[0]
    );
    let renewed = ws.attr("yandex_iam_service_account_api_key.key[1]", "id");
    assert_ne!(renewed, before[1]);
    assert_eq!(
        ws.attr("yandex_iam_service_account_api_key.key[1]", "secret_key"),
        json!(format!("AQVN-secret-{}", renewed.as_str().unwrap()))
    );
    let cases = [
        (
            "yandex_iam_service_account_api_key.key",
            "has several instances",
        ),
        ("not an address", "Invalid replace address"),
    ];
    for (address, want) in cases {
        let opts = Options {
            replace: vec![address.into()],
            ..ws.opts()
        };
        let r = ws.run_opts(&opts, "plan");
        assert_eq!(r.code, 1, "{address}");
        assert!(r.err.contains(want), "{address}: {}", r.err);
    }
}
