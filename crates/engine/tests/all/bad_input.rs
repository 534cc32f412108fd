//! Every kind of bad input is reported with `file:line` before any provider call
//! that touches the cloud.

use super::*;

struct Case {
    name: &'static str,
    config: &'static str,
    summary: &'static str,
    at: &'static str,
    hint: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "syntax error",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n  description = \n}\n",
        summary: "Syntax error",
        at: "main.tf:3",
        hint: "",
    },
    Case {
        name: "unknown resource type",
        config: "\nresource \"yandex_iam_service_acount\" \"sa\" {\n  name = \"x\"\n}\n",
        summary: "Invalid resource type \"yandex_iam_service_acount\"",
        at: "main.tf:2:1",
        hint: "Did you mean \"yandex_iam_service_account\"? Supported types: yandex_iam_service_account, yandex_iam_service_account_api_key, yandex_resourcemanager_folder_iam_member.",
    },
    Case {
        name: "unknown attribute",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n  descripton = \"y\"\n}\n",
        summary: "Unsupported argument",
        at: "main.tf:3:3",
        hint: "Did you mean \"description\"?",
    },
    Case {
        name: "computed attribute set",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n  created_at = \"y\"\n}\n",
        summary: "Value for unconfigurable attribute",
        at: "main.tf:3:3",
        hint: "decided automatically",
    },
    Case {
        name: "missing required attribute",
        config: "\n\nresource \"yandex_iam_service_account\" \"sa\" {\n  description = \"y\"\n}\n",
        summary: "Missing required argument",
        at: "main.tf:3:1",
        hint: "The argument \"name\" is required",
    },
    Case {
        name: "wrong type",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n  labels = \"team\"\n}\n",
        summary: "Incorrect attribute value type",
        at: "main.tf:3:3",
        hint: "map of string required",
    },
    Case {
        name: "reference cycle",
        config: "resource \"yandex_iam_service_account\" \"a\" {\n  name = \"a\"\n  description = yandex_iam_service_account.b.id\n}\nresource \"yandex_iam_service_account\" \"b\" {\n  name = \"b\"\n  description = local.a_id\n}\nlocals {\n  a_id = yandex_iam_service_account.a.id\n}\n",
        summary: "Cycle in references",
        at: "main.tf:",
        hint: "yandex_iam_service_account.a -> yandex_iam_service_account.b -> local.a_id -> yandex_iam_service_account.a",
    },
    Case {
        name: "unknown resource reference",
        config: "resource \"yandex_iam_service_account_api_key\" \"k\" {\n  service_account_id = yandex_iam_service_account.sa.id\n}\n",
        summary: "Reference to undeclared resource",
        at: "main.tf:2:24",
        hint: "has not been declared",
    },
    Case {
        name: "unknown variable",
        config: "variable \"folder_id\" {}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = var.folder\n}\n",
        summary: "Reference to undeclared input variable",
        at: "main.tf:3:10",
        hint: "Did you mean \"folder_id\"?",
    },
    Case {
        name: "unknown local",
        config: "locals {\n  prefix = \"sa\"\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = \"${local.prefx}-x\"\n}\n",
        summary: "Reference to undeclared local value",
        at: "main.tf:5:13",
        hint: "Did you mean \"prefix\"?",
    },
    Case {
        name: "unknown attribute reference",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\noutput \"o\" {\n  value = yandex_iam_service_account.sa.ids\n}\n",
        summary: "Unsupported attribute",
        at: "main.tf:5:11",
        hint: "Did you mean \"id\"?",
    },
    Case {
        name: "duplicate address",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\n\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = \"y\"\n}\n",
        summary: "Duplicate resource \"yandex_iam_service_account\" configuration",
        at: "main.tf:5:1",
        hint: "already declared at main.tf:1",
    },
    Case {
        name: "unknown function",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = lowr(\"X\")\n}\n",
        summary: "Call to unknown function",
        at: "main.tf:2:10",
        hint: "Did you mean \"lower\"?",
    },
    Case {
        name: "provider validation",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"Bad_Name\"\n}\n",
        summary: "yandex_iam_service_account.sa: invalid service account name",
        at: "main.tf:2:3",
        hint: "(attribute name)",
    },
    Case {
        name: "count index outside count",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"sa-${count.index}\"\n}\n",
        summary: "Reference to \"count\" in non-counted context",
        at: "main.tf:2:16",
        hint: "",
    },
    Case {
        name: "missing instance key",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  count = 2\n  name = \"sa-${count.index}\"\n}\noutput \"o\" {\n  value = yandex_iam_service_account.sa.id\n}\n",
        summary: "Missing resource instance key",
        at: "main.tf:6:11",
        hint: "[0]",
    },
    Case {
        name: "unsupported block",
        config: "resourse \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\n",
        summary: "Unsupported block type \"resourse\"",
        at: "main.tf:1:1",
        hint: "Did you mean \"resource\"?",
    },
    Case {
        name: "invalid for_each",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  for_each = 3\n  name = each.key\n}\n",
        summary: "Invalid for_each argument",
        at: "main.tf:2:3",
        hint: "map or a set of strings",
    },
    Case {
        name: "missing variable value",
        config: "variable \"folder_id\" {\n  type = string\n}\n",
        summary: "No value for required variable",
        at: "main.tf:1:1",
        hint: "TF_VAR_folder_id",
    },
    Case {
        name: "bad timeadd duration",
        config: "resource \"yandex_iam_service_account_api_key\" \"k\" {\n  service_account_id = \"aje1\"\n  expires_at = timeadd(plantimestamp(), \"30 days\")\n}\n",
        summary: "Error in function call",
        at: "main.tf:3:16",
        hint: "invalid duration",
    },
    Case {
        name: "count known only after apply",
        config: "resource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\nresource \"yandex_iam_service_account\" \"more\" {\n  count = length(yandex_iam_service_account.sa.id)\n  name  = \"m-${count.index}\"\n}\n",
        summary: "Invalid count argument",
        at: "main.tf:5:3",
        hint: "cannot be determined until apply",
    },
    Case {
        name: "an unsupported backend",
        config: "terraform {\n  required_version = \">= 1.5\"\n  backend \"gcs\" {\n    bucket = \"tf-state\"\n  }\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\n",
        summary: "Unsupported backend",
        at: "main.tf:3:3",
        hint: "does not support the \"gcs\" backend yet",
    },
    Case {
        name: "an s3 backend argument that does not exist",
        config: "terraform {\n  backend \"s3\" {\n    bucket       = \"tf-state\"\n    dynamodb_tabel = \"locks\"\n  }\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\n",
        summary: "Unsupported backend argument",
        at: "main.tf:4:5",
        hint: "Its arguments are: bucket, key",
    },
    Case {
        name: "an s3 backend the engine was given no store for",
        config: "terraform {\n  backend \"s3\" {\n    bucket = \"tf-state\"\n    key    = \"k\"\n  }\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = \"x\"\n}\n",
        summary: "Remote state not available",
        at: "main.tf:2:3",
        hint: "given no remote state store",
    },
];

#[test]
fn bad_input_is_reported_with_location_before_any_api_call() {
    for case in CASES {
        let ws = Workspace::new(case.config);
        let r = ws.run("plan");
        assert_eq!(r.code, 1, "{}: expected failure\n{}", case.name, r.out);
        assert!(
            r.err.contains(&format!("Error: {}", case.summary)),
            "{}: summary {:?} missing in\n{}",
            case.name,
            case.summary,
            r.err
        );
        assert!(
            r.err.contains(case.at),
            "{}: location {:?} missing in\n{}",
            case.name,
            case.at,
            r.err
        );
        assert!(
            r.err.contains(case.hint),
            "{}: hint {:?} missing in\n{}",
            case.name,
            case.hint,
            r.err
        );
        let cloud_calls: Vec<String> = ws
            .provider
            .calls()
            .into_iter()
            .filter(|c| c.starts_with("apply") || c.starts_with("read") || c.starts_with("import"))
            .collect();
        assert!(
            cloud_calls.is_empty(),
            "{}: provider was called: {cloud_calls:?}",
            case.name
        );
    }
}

#[test]
fn validate_command_reports_the_same_errors() {
    let ws = Workspace::new(CASES[2].config);
    let r = ws.run("validate");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("main.tf:3:3"));
    let ok = Workspace::new(AI_STUDIO);
    let r = ok.run("validate");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Success! The configuration is valid."));
    let needs_var = Workspace::new(
        "variable \"x\" {}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name = var.x\n}\n",
    );
    assert_eq!(
        needs_var.run("validate").code,
        0,
        "validate does not need variable values"
    );
}

#[test]
fn errors_in_other_files_name_that_file() {
    let ws = Workspace::new(
        "resource \"yandex_iam_service_account\" \"sa\" {\n  name = local.name\n}\n",
    );
    ws.write("locals.tf", "locals {\n  name = upper(1, 2)\n}\n");
    let r = ws.run("plan");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("locals.tf:2:10"), "{}", r.err);
}
