//! Variable values: precedence, types, sensitivity and validation.

use serde_json::{Value, json};
use ycprov_engine::commands::Options;
use ycprov_engine::config::{VarSource, VariableInputs, load, resolve_variables};

use super::*;

const DECL: &str = "variable \"x\" {\n  type    = string\n  default = \"default\"\n}\nvariable \"n\" {\n  type    = number\n  default = 1\n}\nvariable \"l\" {\n  type    = list(string)\n  default = []\n}\n";

#[test]
fn precedence_follows_terraform() {
    struct Case {
        name: &'static str,
        files: &'static [(&'static str, &'static str)],
        env: &'static [(&'static str, &'static str)],
        cli: &'static [&'static str],
        want: &'static str,
    }
    let cases = [
        Case {
            name: "default",
            files: &[],
            env: &[],
            cli: &[],
            want: "default",
        },
        Case {
            name: "env over default",
            files: &[],
            env: &[("TF_VAR_x", "env")],
            cli: &[],
            want: "env",
        },
        Case {
            name: "tfvars over env",
            files: &[("terraform.tfvars", "x = \"tfvars\"\n")],
            env: &[("TF_VAR_x", "env")],
            cli: &[],
            want: "tfvars",
        },
        Case {
            name: "tfvars.json over tfvars",
            files: &[
                ("terraform.tfvars", "x = \"tfvars\"\n"),
                ("terraform.tfvars.json", "{\"x\": \"json\"}"),
            ],
            env: &[],
            cli: &[],
            want: "json",
        },
        Case {
            name: "auto over terraform.tfvars",
            files: &[
                ("terraform.tfvars", "x = \"tfvars\"\n"),
                ("a.auto.tfvars", "x = \"auto-a\"\n"),
                ("b.auto.tfvars", "x = \"auto-b\"\n"),
            ],
            env: &[],
            cli: &[],
            want: "auto-b",
        },
        Case {
            name: "-var over files",
            files: &[("a.auto.tfvars", "x = \"auto\"\n")],
            env: &[("TF_VAR_x", "env")],
            cli: &["-var=x=flag"],
            want: "flag",
        },
        Case {
            name: "later -var-file wins",
            files: &[("one.tfvars", "x = \"one\"\n")],
            env: &[],
            cli: &["-var=x=flag", "-var-file=one.tfvars"],
            want: "one",
        },
        Case {
            name: "later -var wins",
            files: &[("one.tfvars", "x = \"one\"\n")],
            env: &[],
            cli: &["-var-file=one.tfvars", "-var=x=flag"],
            want: "flag",
        },
    ];
    for case in cases {
        let ws = Workspace::new(DECL);
        for (name, text) in case.files {
            ws.write(name, text);
        }
        let cli = case
            .cli
            .iter()
            .map(|c| match c.strip_prefix("-var=") {
                Some(flag) => VarSource::parse_flag(flag).unwrap(),
                None => VarSource::File(ws.path(c.strip_prefix("-var-file=").unwrap())),
            })
            .collect();
        let env = case
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let config = load(ws.dir.path()).unwrap();
        let vars = resolve_variables(
            &config,
            &VariableInputs {
                cli,
                env,
                allow_missing: false,
            },
        )
        .unwrap();
        assert_eq!(vars.values["x"], json!(case.want), "{}", case.name);
    }
}

#[test]
fn values_are_converted_to_the_declared_type() {
    let ws = Workspace::new(DECL);
    let config = load(ws.dir.path()).unwrap();
    let inputs = VariableInputs {
        cli: vec![VarSource::parse_flag("l=[\"a\", \"b\"]").unwrap()],
        env: vec![("TF_VAR_n".into(), "42".into())],
        allow_missing: false,
    };
    let vars = resolve_variables(&config, &inputs).unwrap();
    assert_eq!(vars.values["n"], json!(42));
    assert_eq!(vars.values["l"], json!(["a", "b"]));
    let bad = VariableInputs {
        env: vec![("TF_VAR_n".into(), "many".into())],
        ..VariableInputs::default()
    };
    let err = resolve_variables(&config, &bad).unwrap_err();
    assert!(
        err.to_string().contains("Invalid value for variable \"n\""),
        "{err}"
    );
    assert!(err.to_string().contains("TF_VAR_n"), "{err}");
    let undeclared = VariableInputs {
        cli: vec![VarSource::parse_flag("nope=1").unwrap()],
        ..VariableInputs::default()
    };
    assert!(
        resolve_variables(&config, &undeclared)
            .unwrap_err()
            .to_string()
            .contains("Value for undeclared variable")
    );
}

#[test]
fn tfvars_errors_have_locations() {
    let ws = Workspace::new(DECL);
    ws.write("terraform.tfvars", "x = \"ok\"\nn = [1,\n");
    let r = ws.run("plan");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("terraform.tfvars:"), "{}", r.err);
}

#[test]
fn validation_rules_run() {
    let ws = Workspace::new(
        "variable \"days\" {\n  type = number\n  default = 400\n  validation {\n    condition     = var.days <= 365\n    error_message = \"API keys may live at most a year.\"\n  }\n}\n",
    );
    let r = ws.run("plan");
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("API keys may live at most a year."),
        "{}",
        r.err
    );
    assert!(r.err.contains("main.tf:5:5"), "{}", r.err);
}

#[test]
fn sensitive_variables_are_hidden_in_plans() {
    let ws = Workspace::new(
        "variable \"desc\" {\n  type      = string\n  sensitive = true\n}\nresource \"yandex_iam_service_account\" \"sa\" {\n  name        = \"sa\"\n  description = var.desc\n}\n",
    );
    let opts = Options {
        env: Some(vec![("TF_VAR_desc".into(), "hush-hush".into())]),
        ..ws.opts()
    };
    let r = ws.run_opts(&opts, "plan");
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("+ description = (sensitive value)"),
        "{}",
        r.out
    );
    assert!(!r.out.contains("hush-hush"));
    let planfile = ws.path("tfplan");
    let r = ws.run_opts(
        &Options {
            out: Some(planfile.clone()),
            ..opts.clone()
        },
        "plan",
    );
    assert_eq!(r.code, 0);
    let text = std::fs::read_to_string(&planfile).unwrap();
    assert!(
        !text.contains("hush-hush"),
        "sensitive variable leaked into the plan file"
    );
    let r = ws.run_opts(
        &Options {
            plan_file: Some(planfile),
            ..opts
        },
        "apply",
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        ws.provider.objects(SA)[0]["description"],
        Value::from("hush-hush")
    );
}
