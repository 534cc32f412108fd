//! Modules flattened into one configuration: values through inputs, locals and outputs,
//! types and sensitivity, `depends_on` on modules, and the errors of a call.

use serde_json::json;

use super::*;

fn workspace(files: &[(&str, &str)]) -> Workspace {
    let ws = Workspace::new(files[0].1);
    for (name, text) in &files[1..] {
        let path = ws.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    ws
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"))
}

const ROBOT: &str = r#"
variable "name" {
  type = string
}
variable "size" {
  type    = string
  default = 1
}
variable "token" {
  type      = string
  default   = "none"
  sensitive = true
}
locals {
  full = "${var.name}-${var.size}"
}
resource "yandex_iam_service_account" "sa" {
  name        = local.full
  description = var.token
}
output "id" {
  value = yandex_iam_service_account.sa.id
}
output "name" {
  value = yandex_iam_service_account.sa.name
}
output "description" {
  value = yandex_iam_service_account.sa.description
}
"#;

#[test]
fn values_flow_through_inputs_locals_and_outputs() {
    let ws = workspace(&[
        (
            "main.tf",
            r#"
module "one" {
  source = "./robot"
  name   = "solo"
  size   = 3
}
module "many" {
  source   = "./robot"
  for_each = { a = 1, b = 2 }
  name     = "team-${each.key}"
  size     = each.value
}
module "counted" {
  source = "./robot"
  count  = 2
  name   = "n${count.index}-${module.one.name}"
}
resource "yandex_resourcemanager_folder_iam_member" "m" {
  for_each  = module.many
  folder_id = "f"
  role      = "viewer"
  member    = "serviceAccount:${each.value.id}"
}
output "names" {
  value = [for m in module.counted : m.name]
}
"#,
        ),
        ("robot/main.tf", &ROBOT.replace("  sensitive = true\n", "")),
    ]);
    ws.apply_ok();
    let mut names: Vec<String> = ws
        .provider
        .objects(SA)
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "n0-solo-3-1",
            "n1-solo-3-1",
            "solo-3",
            "team-a-1",
            "team-b-2"
        ]
    );
    let addresses = ws.state_addresses();
    for expected in [
        "module.one.yandex_iam_service_account.sa",
        "module.many[\"a\"].yandex_iam_service_account.sa",
        "module.counted[1].yandex_iam_service_account.sa",
        "yandex_resourcemanager_folder_iam_member.m[\"b\"]",
    ] {
        assert!(
            addresses.iter().any(|a| a == expected),
            "{expected} in {addresses:?}"
        );
    }
    let id_b = ws.attr("module.many[\"b\"].yandex_iam_service_account.sa", "id");
    assert_eq!(
        ws.attr(
            "yandex_resourcemanager_folder_iam_member.m[\"b\"]",
            "member"
        ),
        json!(format!("serviceAccount:{}", id_b.as_str().unwrap()))
    );
    let again = ws.run("plan");
    assert!(again.out.contains("No changes"), "{}", again.out);
}

#[test]
fn a_sensitive_module_input_stays_sensitive_and_depends_on_orders_modules() {
    let ws = workspace(&[
        (
            "main.tf",
            r#"
module "first" {
  source = "./robot"
  name   = "first"
  token  = "s3cr3t-value"
}
module "second" {
  source     = "./robot"
  name       = "second"
  depends_on = [module.first]
}
"#,
        ),
        ("robot/main.tf", ROBOT),
    ]);
    let plan = ws.run("plan");
    assert_eq!(plan.code, 0, "{}{}", plan.out, plan.err);
    assert!(!plan.out.contains("s3cr3t-value"), "{}", plan.out);
    assert!(plan.out.contains("(sensitive value)"), "{}", plan.out);
    let apply = ws.apply_ok();
    assert!(
        position(
            &apply.out,
            "module.first.yandex_iam_service_account.sa: Creation complete"
        ) < position(
            &apply.out,
            "module.second.yandex_iam_service_account.sa: Creating..."
        )
    );

    ws.write(
        "main.tf",
        r#"
module "first" {
  source = "./robot"
  name   = "first"
  token  = "s3cr3t-value"
}
output "name" {
  value = module.first.name
}
output "leak" {
  value = module.first.description
}
"#,
    );
    let run = ws.run("plan");
    assert_eq!(run.code, 1, "{}{}", run.out, run.err);
    assert!(
        run.err.contains("Output refers to sensitive values"),
        "{}",
        run.err
    );
    assert!(!run.err.contains("s3cr3t-value"), "{}", run.err);
}

#[test]
fn call_errors_name_the_place() {
    struct Case {
        what: &'static str,
        main: &'static str,
        expected: &'static [&'static str],
    }
    let cases = [
        Case {
            what: "a type mismatch",
            main: "module \"m\" {\n  source = \"./robot\"\n  name   = [\"a\"]\n}\n",
            expected: &["does not match its type constraint", "main.tf:3"],
        },
        Case {
            what: "an undeclared module in depends_on",
            main: "module \"m\" {\n  source = \"./robot\"\n  name   = \"a\"\n}\nresource \"yandex_iam_service_account\" \"x\" {\n  name       = \"x\"\n  depends_on = [module.n]\n}\n",
            expected: &["Reference to undeclared module", "Did you mean \"m\"?"],
        },
        Case {
            what: "an undeclared module in an expression",
            main: "output \"o\" {\n  value = module.nothing.id\n}\nmodule \"m\" {\n  source = \"./robot\"\n  name   = \"a\"\n}\n",
            expected: &["Reference to undeclared module", "main.tf:2"],
        },
        Case {
            what: "count and for_each together",
            main: "module \"m\" {\n  source   = \"./robot\"\n  count    = 1\n  for_each = {}\n  name     = \"a\"\n}\n",
            expected: &["mutually exclusive"],
        },
        Case {
            what: "a module without source",
            main: "module \"m\" {\n  name = \"a\"\n}\n",
            expected: &["The argument \"source\" is required"],
        },
        Case {
            what: "a version on a local module",
            main: "module \"m\" {\n  source  = \"./robot\"\n  version = \"1.0\"\n  name    = \"a\"\n}\n",
            expected: &["Invalid module version"],
        },
    ];
    for case in cases {
        let ws = workspace(&[("main.tf", case.main), ("robot/main.tf", ROBOT)]);
        let run = ws.run("plan");
        assert_eq!(run.code, 1, "{}: {}{}", case.what, run.out, run.err);
        for expected in case.expected {
            assert!(
                run.err.contains(expected),
                "{}: {expected:?} not in\n{}",
                case.what,
                run.err
            );
        }
        assert!(
            ws.provider.calls().is_empty(),
            "{}: {:?}",
            case.what,
            ws.provider.calls()
        );
    }
}

#[test]
fn module_variable_validations_are_checked_per_instance() {
    let ws = workspace(&[
        (
            "main.tf",
            "module \"m\" {\n  source   = \"./robot\"\n  for_each = toset([\"good-name\", \"x\"])\n  name     = each.key\n}\n",
        ),
        (
            "robot/main.tf",
            "variable \"name\" {\n  type = string\n  validation {\n    condition     = length(var.name) > 2\n    error_message = \"The name must be longer than two characters.\"\n  }\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = var.name\n}\n",
        ),
    ]);
    let run = ws.run("plan");
    assert_eq!(run.code, 1, "{}{}", run.out, run.err);
    for expected in [
        "The name must be longer than two characters.",
        "module.m[\"x\"].var.name",
        "robot/main.tf:4",
    ] {
        assert!(
            run.err.contains(expected),
            "{expected:?} not in\n{}",
            run.err
        );
    }
    assert!(!run.err.contains("good-name"), "{}", run.err);
    assert!(ws.provider.calls().is_empty());
}

#[test]
fn optional_attributes_and_try_work_as_in_terraform() {
    let ws = workspace(&[
        (
            "main.tf",
            r#"
module "team" {
  source = "./team"
  accounts = [
    { name = "alpha" },
    { name = "beta", description = "second" },
  ]
}
"#,
        ),
        (
            "team/main.tf",
            r#"
variable "accounts" {
  type = list(object({
    name        = string
    description = optional(string, "managed")
    labels      = optional(map(string))
  }))
}
locals {
  by_name = { for a in var.accounts : a.name => a }
}
resource "yandex_iam_service_account" "sa" {
  for_each    = local.by_name
  name        = "${each.key}-${one(compact([try(each.value.labels.env, ""), "x"]))}"
  description = can(each.value.missing) ? "never" : each.value.description
}
"#,
        ),
    ]);
    ws.apply_ok();
    let mut got: Vec<(String, String)> = ws
        .provider
        .objects(SA)
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["description"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("alpha-x".to_string(), "managed".to_string()),
            ("beta-x".to_string(), "second".to_string()),
        ]
    );
}
