//! Modules from local paths, through the real binary against the emulator: inputs,
//! outputs, `count` and `for_each` on calls, nested modules, `depends_on`, provider
//! inheritance and the `providers` map, and module addresses in plan, apply, state,
//! `-target`, `import`, `state show` and `moved` blocks.

use crate::support::{Cloud, Workspace};

/// Writes `files` (path relative to the workspace, text) into `ws`.
fn write_files(ws: &Workspace, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = ws.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn addresses(ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = ws.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn account_names(cloud: &Cloud) -> Vec<String> {
    let mut names: Vec<String> = cloud
        .emulator
        .snapshot()
        .service_accounts
        .into_iter()
        .map(|a| a.name)
        .collect();
    names.sort();
    names
}

const ACCESS_MODULE: &str = r#"
variable "name" {
  type = string
}

variable "roles" {
  type    = list(string)
  default = []
}

locals {
  description = "access for ${var.name}"
}

resource "yandex_iam_service_account" "sa" {
  name        = var.name
  description = local.description
}

resource "yandex_resourcemanager_folder_iam_member" "role" {
  for_each  = toset(var.roles)
  folder_id = yandex_iam_service_account.sa.folder_id
  role      = each.value
  member    = "serviceAccount:${yandex_iam_service_account.sa.id}"
}

module "key" {
  source     = "../key"
  account_id = yandex_iam_service_account.sa.id
  depends_on = [yandex_resourcemanager_folder_iam_member.role]
}

output "account_id" {
  value = yandex_iam_service_account.sa.id
}

output "secret" {
  value     = module.key.secret
  sensitive = true
}
"#;

const KEY_MODULE: &str = r#"
variable "account_id" {
  type = string
}

resource "yandex_iam_service_account_api_key" "key" {
  service_account_id = var.account_id
  scopes             = ["yc.ai.languageModels.execute"]
}

output "secret" {
  value     = yandex_iam_service_account_api_key.key.secret_key
  sensitive = true
}
"#;

fn root(teams: &str) -> String {
    format!(
        r#"
variable "teams" {{
  type    = map(string)
  default = {teams}
}}

locals {{
  prefix = "robot"
}}

module "access" {{
  source   = "./modules/access"
  for_each = var.teams
  name     = "${{local.prefix}}-${{each.value}}"
  roles    = ["ai.languageModels.user"]
}}

output "ids" {{
  value = {{ for team, m in module.access : team => m.account_id }}
}}

output "secret_a" {{
  value     = module.access["a"].secret
  sensitive = true
}}
"#
    )
}

fn access_workspace(teams: &str) -> Workspace {
    let ws = Workspace::new(&root(teams));
    write_files(
        &ws,
        &[
            ("modules/access/main.tf", ACCESS_MODULE),
            ("modules/key/main.tf", KEY_MODULE),
        ],
    );
    ws
}

#[test]
fn modules_with_for_each_nesting_and_outputs_apply_and_are_addressed_as_terraform_does() {
    let cloud = Cloud::start();
    let ws = access_workspace(r#"{ a = "alpha", b = "beta" }"#);

    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    for expected in [
        "# module.access[\"a\"].yandex_iam_service_account.sa will be created",
        "# module.access[\"b\"].yandex_resourcemanager_folder_iam_member.role[\"ai.languageModels.user\"] will be created",
        "# module.access[\"a\"].module.key.yandex_iam_service_account_api_key.key will be created",
        "Plan: 6 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    let json = ws.run(&cloud, &["plan", "-json"]).json();
    let modules: Vec<&str> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["module_address"].as_str())
        .collect();
    assert!(
        modules.contains(&"module.access[\"a\"].module.key"),
        "{modules:?}"
    );

    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(account_names(&cloud), ["robot-alpha", "robot-beta"]);
    assert_eq!(
        addresses(&ws),
        [
            "module.access[\"a\"].module.key.yandex_iam_service_account_api_key.key",
            "module.access[\"a\"].yandex_iam_service_account.sa",
            "module.access[\"a\"].yandex_resourcemanager_folder_iam_member.role[\"ai.languageModels.user\"]",
            "module.access[\"b\"].module.key.yandex_iam_service_account_api_key.key",
            "module.access[\"b\"].yandex_iam_service_account.sa",
            "module.access[\"b\"].yandex_resourcemanager_folder_iam_member.role[\"ai.languageModels.user\"]",
        ]
    );
    let state = ws.state();
    let record = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "module.access[\"a\"].yandex_iam_service_account.sa")
        .unwrap();
    assert_eq!(record["module"], "module.access[\"a\"]");
    assert_eq!(record["name"], "sa");
    assert_eq!(
        record["attributes"]["description"],
        "access for robot-alpha"
    );

    let outputs = ws.run(&cloud, &["output", "-json"]).json();
    let id_a = ws.attribute("module.access[\"a\"].yandex_iam_service_account.sa", "id");
    assert_eq!(outputs["ids"]["value"]["a"], id_a, "{outputs:#}");
    assert_eq!(outputs["secret_a"]["sensitive"], true);
    let secret = ws.attribute(
        "module.access[\"a\"].module.key.yandex_iam_service_account_api_key.key",
        "secret_key",
    );
    let raw = ws.run(&cloud, &["output", "-raw", "secret_a"]);
    assert_eq!(raw.ok().trim(), secret.as_str().unwrap());
    let shown = ws.run(&cloud, &["plan", "-no-color"]);
    assert!(!shown.ok().contains(secret.as_str().unwrap()));

    let show = ws.run(
        &cloud,
        &[
            "state",
            "show",
            "module.access[\"b\"].yandex_iam_service_account.sa",
        ],
    );
    assert!(show.ok().contains("robot-beta"), "{}", show.stdout);
    let listed = ws.run(&cloud, &["state", "list"]);
    assert!(
        listed
            .ok()
            .contains("module.access[\"b\"].module.key.yandex_iam_service_account_api_key.key"),
        "{}",
        listed.stdout
    );

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    let targeted = ws.run(
        &cloud,
        &["destroy", "-auto-approve", "-target=module.access[\"b\"]"],
    );
    assert!(targeted.ok().contains("3 destroyed"), "{}", targeted.stdout);
    assert_eq!(account_names(&cloud), ["robot-alpha"]);
    assert_eq!(addresses(&ws).len(), 3);

    let adopted = cloud.create_account("robot-beta");
    ws.run(
        &cloud,
        &[
            "import",
            "module.access[\"b\"].yandex_iam_service_account.sa",
            &adopted,
        ],
    )
    .ok();
    assert_eq!(
        ws.attribute("module.access[\"b\"].yandex_iam_service_account.sa", "id"),
        adopted
    );
    let rest = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(rest.ok().contains("2 added"), "{}", rest.stdout);

    ws.write(&root(r#"{ a = "alpha" }"#));
    let shrink = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(shrink.ok().contains("3 destroyed"), "{}", shrink.stdout);
    assert_eq!(account_names(&cloud), ["robot-alpha"]);

    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert!(account_names(&cloud).is_empty());
}

#[test]
fn module_count_depends_on_and_moved_into_a_module() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
resource "yandex_iam_service_account" "sa" {
  name = "robot-moved"
}
"#,
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let id = ws.attribute("yandex_iam_service_account.sa", "id");

    write_files(
        &ws,
        &[(
            "modules/robot/main.tf",
            r#"
variable "name" {}
variable "labels" {
  type    = map(string)
  default = {}
}
resource "yandex_iam_service_account" "sa" {
  name   = var.name
  labels = var.labels
}
output "id" {
  value = yandex_iam_service_account.sa.id
}
data "yandex_client_config" "me" {}
output "folder_id" {
  value = data.yandex_client_config.me.folder_id
}
"#,
        )],
    );
    ws.write(
        r#"
module "robot" {
  source = "./modules/robot"
  name   = "robot-moved"
}

moved {
  from = yandex_iam_service_account.sa
  to   = module.robot.yandex_iam_service_account.sa
}

module "workers" {
  source     = "./modules/robot"
  count      = 2
  name       = "worker-${count.index}"
  labels     = { lead = module.robot.id }
  depends_on = [module.robot]
}

resource "yandex_resourcemanager_folder_iam_member" "workers" {
  count      = 2
  folder_id  = module.workers[count.index].folder_id
  role       = "viewer"
  member     = "serviceAccount:${module.workers[count.index].id}"
  depends_on = [module.workers]
}

output "worker_ids" {
  value = module.workers[*].id
}
"#,
    );
    let plan = ws.run(&cloud, &["plan", "-no-color"]);
    let text = plan.ok();
    for expected in [
        "# yandex_iam_service_account.sa has moved to module.robot.yandex_iam_service_account.sa",
        "# module.workers[1].yandex_iam_service_account.sa will be created",
        "Plan: 4 to add, 0 to change, 0 to destroy.",
        "# yandex_resourcemanager_folder_iam_member.workers[1] will be created",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        ws.attribute("module.robot.yandex_iam_service_account.sa", "id"),
        id,
        "the object moved, it was not recreated"
    );
    let lead = ws.attribute("module.workers[0].yandex_iam_service_account.sa", "labels");
    assert_eq!(lead["lead"], id);
    let outputs = ws.run(&cloud, &["output", "-json"]).json();
    assert_eq!(
        outputs["worker_ids"]["value"][1],
        ws.attribute("module.workers[1].yandex_iam_service_account.sa", "id")
    );
    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let targeted = ws.run(&cloud, &["plan", "-no-color", "-target=module.workers"]);
    assert!(targeted.ok().contains("No changes"), "{}", targeted.stdout);
    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert!(account_names(&cloud).is_empty());
}

#[test]
fn modules_get_the_callers_providers_or_the_providers_map() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let ws = Workspace::new(&format!(
        r#"
provider "yandex" {{
  folder_id = "{folder}"
}}

provider "yandex" {{
  alias     = "second"
  folder_id = "{folder}"
}}

module "inherited" {{
  source = "./modules/robot"
  name   = "robot-inherited"
}}

module "passed" {{
  source    = "./modules/robot"
  name      = "robot-passed"
  providers = {{
    yandex = yandex.second
  }}
}}

module "aliased" {{
  source    = "./modules/aliased"
  providers = {{
    yandex.extra = yandex.second
  }}
}}
"#
    ));
    write_files(
        &ws,
        &[
            (
                "modules/robot/main.tf",
                r#"
variable "name" {}
resource "yandex_iam_service_account" "sa" {
  name = var.name
}
"#,
            ),
            (
                "modules/aliased/main.tf",
                r#"
terraform {
  required_providers {
    yandex = {
      source                = "yandex-cloud/yandex"
      configuration_aliases = [yandex.extra]
    }
  }
}
resource "yandex_iam_service_account" "sa" {
  provider = yandex.extra
  name     = "robot-aliased"
}
"#,
            ),
        ],
    );
    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let state = ws.state();
    let provider_of = |address: &str| {
        state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address}: {state:#}"))["provider"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        !provider_of("module.inherited.yandex_iam_service_account.sa").contains(".second"),
        "the default configuration is inherited"
    );
    assert!(provider_of("module.passed.yandex_iam_service_account.sa").ends_with(".second"));
    assert!(provider_of("module.aliased.yandex_iam_service_account.sa").ends_with(".second"));
    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
}

#[test]
fn module_mistakes_are_reported_before_any_api_call() {
    struct Case {
        what: &'static str,
        root: &'static str,
        module: &'static str,
        expected: &'static [&'static str],
    }
    let robot = r#"
variable "name" {}
resource "yandex_iam_service_account" "sa" {
  name = var.name
}
output "id" {
  value = yandex_iam_service_account.sa.id
}
"#;
    let cases = [
        Case {
            what: "a registry source",
            root: "module \"x\" {\n  source  = \"terraform-yc-modules/iam/yandex\"\n  version = \"1.0.0\"\n}\n",
            module: robot,
            expected: &[
                "ycprov does not support module sources other than local paths yet",
                "main.tf:2",
            ],
        },
        Case {
            what: "a git source",
            root: "module \"x\" {\n  source = \"git::https://example.com/modules.git//iam\"\n}\n",
            module: robot,
            expected: &["ycprov does not support module sources other than local paths yet"],
        },
        Case {
            what: "a missing directory",
            root: "module \"x\" {\n  source = \"./modules/nothing\"\n  name   = \"a\"\n}\n",
            module: robot,
            expected: &["Module not found", "modules/nothing"],
        },
        Case {
            what: "an argument the module does not declare and a missing one",
            root: "module \"x\" {\n  source = \"./modules/m\"\n  nmae   = \"a\"\n}\n",
            module: robot,
            expected: &[
                "Unsupported argument",
                "Did you mean \"name\"?",
                "Missing required argument",
                "The argument \"name\" is required",
            ],
        },
        Case {
            what: "an output the module does not have",
            root: "module \"x\" {\n  source = \"./modules/m\"\n  name   = \"a\"\n}\noutput \"o\" {\n  value = module.x.account\n}\n",
            module: robot,
            expected: &["module.x has no output named \"account\"", "main.tf:6"],
        },
        Case {
            what: "an undeclared variable inside the module",
            root: "module \"x\" {\n  source = \"./modules/m\"\n  name   = \"a\"\n}\n",
            module: "variable \"name\" {}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = var.nmae\n}\n",
            expected: &[
                "Reference to undeclared input variable",
                "modules/m/main.tf:3",
            ],
        },
        Case {
            what: "a value of the wrong type",
            root: "module \"x\" {\n  source = \"./modules/m\"\n  name   = \"a\"\n  n      = \"many\"\n}\n",
            module: "variable \"name\" {}\nvariable \"n\" {\n  type = number\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = \"${var.name}-${var.n}\"\n}\n",
            expected: &["does not match its type constraint", "a number is required"],
        },
        Case {
            what: "a module that calls itself",
            root: "module \"x\" {\n  source = \"./modules/m\"\n}\n",
            module: "module \"again\" {\n  source = \"./\"\n}\n",
            expected: &["Modules nested too deeply"],
        },
        Case {
            what: "a provider block inside a module",
            root: "module \"x\" {\n  source = \"./modules/m\"\n}\n",
            module: "provider \"yandex\" {\n  folder_id = \"b1g\"\n}\n",
            expected: &["ycprov does not support provider blocks inside modules yet"],
        },
        Case {
            what: "an aliased provider the call does not pass",
            root: "module \"x\" {\n  source = \"./modules/m\"\n}\n",
            module: "resource \"yandex_iam_service_account\" \"sa\" {\n  provider = yandex.extra\n  name     = \"a\"\n}\n",
            expected: &["Provider configuration not present", "yandex.extra"],
        },
        Case {
            what: "a for_each known only after apply",
            root: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"a\"\n}\nmodule \"x\" {\n  source   = \"./modules/m\"\n  for_each = toset([yandex_iam_service_account.sa.id])\n  name     = each.key\n}\n",
            module: robot,
            expected: &["Invalid for_each argument", "main.tf:6"],
        },
    ];
    let cloud = Cloud::start();
    for case in cases {
        let ws = Workspace::new(case.root);
        write_files(&ws, &[("modules/m/main.tf", case.module)]);
        let run = ws.run(&cloud, &["plan", "-no-color"]);
        assert_eq!(run.code, 1, "{}: {}{}", case.what, run.stdout, run.stderr);
        for expected in case.expected {
            assert!(
                run.stderr.contains(expected),
                "{}: missing {expected:?} in\n{}",
                case.what,
                run.stderr
            );
        }
        assert!(account_names(&cloud).is_empty(), "{}", case.what);
    }
}

#[test]
fn validate_and_init_read_modules_whose_instances_are_not_known_yet() {
    let cloud = Cloud::start();
    let ws = access_workspace(r#"{ a = "alpha" }"#);
    ws.write(
        r#"
variable "teams" {
  type = map(string)
}
module "access" {
  source   = "./modules/access"
  for_each = var.teams
  name     = each.value
}
output "ids" {
  value = { for team, m in module.access : team => m.account_id }
}
"#,
    );
    let validate = ws.run(&cloud, &["validate", "-no-color"]);
    assert!(validate.ok().contains("valid"), "{}", validate.stdout);
    ws.run(&cloud, &["init"]).ok();
}
