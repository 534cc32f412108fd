//! Input variable values: defaults, `TF_VAR_*`, `*.tfvars` files and `-var` flags,
//! with Terraform's precedence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::edit::structure::Structure;
use serde_json::Value;

use super::eval::{EvalContext, InstanceVars, NoResources, Variables};
use super::{Config, Expr, SourceFile, Span};
use crate::diagnostics::{Diag, Diagnostics, SourceLocation, did_you_mean};
use crate::value::Phase;
use crate::value::{Type, is_unknown};

/// One command-line variable source, in command-line order.
#[derive(Clone, PartialEq)]
pub enum VarSource {
    /// `-var NAME=VALUE`.
    Flag {
        /// The variable's name.
        name: String,
        /// The raw value text.
        value: String,
    },
    /// `-var-file PATH` (`.tfvars` HCL or `.tfvars.json`).
    File(PathBuf),
}

impl VarSource {
    /// Parses the text of a `-var` flag (`NAME=VALUE`).
    pub fn parse_flag(text: &str) -> anyhow::Result<VarSource> {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("invalid -var {text:?}: expected NAME=VALUE"))?;
        Ok(VarSource::Flag {
            name: name.trim().to_string(),
            value: value.to_string(),
        })
    }
}

impl std::fmt::Debug for VarSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarSource::Flag { name, .. } => write!(f, "-var {name}=(hidden)"),
            VarSource::File(p) => write!(f, "-var-file {}", p.display()),
        }
    }
}

impl std::fmt::Debug for Variables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: BTreeMap<&String, Value> = self
            .values
            .iter()
            .map(|(k, v)| {
                (
                    k,
                    if self.sensitive.contains(k) {
                        Value::from(crate::render::SENSITIVE)
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        f.debug_struct("Variables")
            .field("values", &shown)
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

/// Everything variable values come from besides the configuration itself.
#[derive(Clone, Default)]
pub struct VariableInputs {
    /// `-var` and `-var-file` in command-line order (later wins).
    pub cli: Vec<VarSource>,
    /// The environment (`TF_VAR_name` entries are used).
    pub env: Vec<(String, String)>,
    /// Do not fail on variables without a value (they stay unknown), as `validate` does.
    pub allow_missing: bool,
}

impl std::fmt::Debug for VariableInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env: Vec<&String> = self
            .env
            .iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("TF_VAR_"))
            .collect();
        f.debug_struct("VariableInputs")
            .field("cli", &self.cli)
            .field("env", &env)
            .field("allow_missing", &self.allow_missing)
            .finish()
    }
}

struct Candidate {
    value: RawValue,
    origin: String,
    location: Option<SourceLocation>,
}

enum RawValue {
    Text(String),
    Value(Value),
}

/// Resolves every declared variable's value with Terraform's precedence
/// (lowest first): default, `TF_VAR_*`, `terraform.tfvars`, `terraform.tfvars.json`,
/// `*.auto.tfvars(.json)` by name, then `-var`/`-var-file` in order.
pub fn resolve_variables(
    config: &Config,
    inputs: &VariableInputs,
) -> Result<Variables, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut chosen: BTreeMap<String, Candidate> = BTreeMap::new();
    for (key, value) in &inputs.env {
        if let Some(name) = key.strip_prefix("TF_VAR_")
            && config.variables.contains_key(name)
        {
            chosen.insert(
                name.to_string(),
                Candidate {
                    value: RawValue::Text(value.clone()),
                    origin: format!("environment variable {key}"),
                    location: None,
                },
            );
        }
    }
    let mut auto_files = Vec::new();
    for name in ["terraform.tfvars", "terraform.tfvars.json"] {
        if config.dir.join(name).is_file() {
            auto_files.push(config.dir.join(name));
        }
    }
    if let Ok(entries) = std::fs::read_dir(&config.dir) {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
            .collect();
        names.sort();
        auto_files.extend(names.into_iter().map(|n| config.dir.join(n)));
    }
    for path in &auto_files {
        read_var_file(config, path, &mut chosen, &mut diags);
    }
    for source in &inputs.cli {
        match source {
            VarSource::Flag { name, value } => {
                if !config.variables.contains_key(name) {
                    let hint = did_you_mean(name, config.variables.keys().map(String::as_str));
                    diags.push(Diag::error("Value for undeclared variable", format!("A variable named \"{name}\" was assigned on the command line, but the configuration does not declare it.{hint}")));
                    continue;
                }
                chosen.insert(
                    name.clone(),
                    Candidate {
                        value: RawValue::Text(value.clone()),
                        origin: format!("-var {name}=..."),
                        location: None,
                    },
                );
            }
            VarSource::File(path) => read_var_file(config, path, &mut chosen, &mut diags),
        }
    }

    let mut vars = Variables::default();
    for (name, decl) in &config.variables {
        if decl.sensitive {
            vars.sensitive.insert(name.clone());
        }
        let decl_loc = config.location(&decl.span);
        let value = match chosen.remove(name) {
            Some(c) => {
                let raw = match c.value {
                    RawValue::Value(v) => v,
                    RawValue::Text(t) if decl.ty.is_primitive() || decl.ty == Type::Any => {
                        Value::String(t)
                    }
                    RawValue::Text(t) => match parse_expression_text(&t) {
                        Ok(v) => v,
                        Err(e) => {
                            diags.push(
                                Diag::error(
                                    format!("Invalid value for variable \"{name}\""),
                                    format!(
                                        "The value from {} is not a valid expression: {e}",
                                        c.origin
                                    ),
                                )
                                .at(decl_loc.clone()),
                            );
                            continue;
                        }
                    },
                };
                match decl.ty.convert(&raw) {
                    Ok(v) => v,
                    Err(e) => {
                        diags.push(Diag::error(format!("Invalid value for variable \"{name}\""), format!("The value from {} is not compatible with the variable's type constraint {}: {e}.", c.origin, decl.ty)).at(c.location.or(decl_loc.clone())));
                        continue;
                    }
                }
            }
            None => match &decl.default {
                Some(v) => v.clone(),
                None if inputs.allow_missing => continue,
                None => {
                    diags.push(Diag::error("No value for required variable", format!("The variable \"{name}\" has no default, so a value is required: use -var {name}=..., a .tfvars file or the TF_VAR_{name} environment variable.")).at(decl_loc));
                    continue;
                }
            },
        };
        if value.is_null() && !decl.nullable {
            diags.push(
                Diag::error(
                    format!("Invalid value for variable \"{name}\""),
                    "The variable is declared nullable = false, but its value is null.",
                )
                .at(decl_loc),
            );
            continue;
        }
        vars.values.insert(name.clone(), value);
    }
    if !diags.has_errors() {
        check_validations(config, &vars, &mut diags);
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        vars.warnings = diags;
        Ok(vars)
    }
}

fn check_validations(config: &Config, vars: &Variables, diags: &mut Diagnostics) {
    let ctx = EvalContext::new(config, None, vars, &NoResources, Phase::Plan);
    for (name, decl) in &config.variables {
        if !vars.values.contains_key(name) {
            continue;
        }
        for rule in &decl.validations {
            check_rule(&ctx, config, rule, &format!("var.{name}"), diags);
        }
    }
}

/// Evaluates one `validation` rule of the variable shown as `variable`; an unknown
/// result passes (it is checked when known).
pub(crate) fn check_rule(
    ctx: &EvalContext,
    config: &Config,
    rule: &super::Validation,
    variable: &str,
    diags: &mut Diagnostics,
) {
    match ctx.eval(&rule.condition, &InstanceVars::default()) {
        Ok(v) if v.value == Value::Bool(true) || is_unknown(&v.value) => {}
        Ok(v) if v.value == Value::Bool(false) => {
            let message = ctx
                .eval(&rule.error_message, &InstanceVars::default())
                .ok()
                .and_then(|m| m.value.as_str().map(str::to_string))
                .unwrap_or_else(|| "The value is not valid.".to_string());
            diags.push(
                Diag::error(
                    "Invalid value for variable",
                    format!("{message}\n\nThis was checked by the validation rule of {variable}."),
                )
                .at(config.location(&rule.condition.span)),
            );
        }
        Ok(_) => diags.push(
            Diag::error(
                "Invalid validation condition",
                "The condition must be true or false.",
            )
            .at(config.location(&rule.condition.span)),
        ),
        Err(d) => diags.push(d),
    }
}

fn parse_expression_text(text: &str) -> anyhow::Result<Value> {
    let expr =
        hcl::edit::parser::parse_expr(text).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let statics = Config {
        files: vec![SourceFile::new("-var", text)],
        ..Config::default()
    };
    let vars = Variables::default();
    let ctx = EvalContext::new(&statics, None, &vars, &NoResources, Phase::Static);
    ctx.eval(
        &Expr {
            expr,
            span: Span::default(),
        },
        &InstanceVars::default(),
    )
    .map(|e| e.value)
    .map_err(|d| anyhow::anyhow!("{}", d.summary))
}

fn read_var_file(
    config: &Config,
    path: &Path,
    chosen: &mut BTreeMap<String, Candidate>,
    diags: &mut Diagnostics,
) {
    let display = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diag::error(
                "Failed to read variables file",
                format!("{}: {e}", path.display()),
            ));
            return;
        }
    };
    let file = SourceFile::new(display.clone(), text);
    let mut found: Vec<(String, Value, Option<SourceLocation>)> = Vec::new();
    if display.ends_with(".json") {
        match serde_json::from_str::<Value>(&file.text) {
            Ok(Value::Object(m)) => {
                found.extend(m.into_iter().map(|(k, v)| (k, v, Some(file.location(0)))))
            }
            Ok(_) => diags.push(Diag::error(
                "Invalid variables file",
                format!("{display} must hold a JSON object of variable values."),
            )),
            Err(e) => {
                let mut loc = file.location(0);
                loc.line = e.line();
                loc.column = e.column();
                diags.push(
                    Diag::error("Invalid variables file", format!("{display}: {e}")).at(Some(loc)),
                );
            }
        }
    } else {
        let body = match hcl::edit::parser::parse_body(&file.text) {
            Ok(b) => b,
            Err(e) => {
                let mut loc = file.location(e.location().offset());
                loc.line = e.location().line();
                loc.column = e.location().column();
                diags.push(
                    Diag::error("Syntax error in variables file", e.message().to_string())
                        .at(Some(loc)),
                );
                return;
            }
        };
        let statics = Config {
            files: vec![file.clone()],
            ..Config::default()
        };
        let vars = Variables::default();
        let ctx = EvalContext::new(&statics, None, &vars, &NoResources, Phase::Static);
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    use hcl::edit::Span as _;
                    let span = Span {
                        file: 0,
                        range: attr.span().unwrap_or(0..0),
                    };
                    let loc = statics.location(&span);
                    match ctx.eval(
                        &Expr {
                            expr: attr.value.clone(),
                            span,
                        },
                        &InstanceVars::default(),
                    ) {
                        Ok(v) => found.push((attr.key.as_str().to_string(), v.value, loc)),
                        Err(d) => diags.push(d),
                    }
                }
                Structure::Block(b) => {
                    use hcl::edit::Span as _;
                    let loc = statics.location(&Span {
                        file: 0,
                        range: b.span().unwrap_or(0..0),
                    });
                    diags.push(
                        Diag::error(
                            "Unexpected block in variables file",
                            "A variables file holds only NAME = VALUE assignments.",
                        )
                        .at(loc),
                    );
                }
            }
        }
    }
    for (name, value, location) in found {
        if !config.variables.contains_key(&name) {
            let hint = did_you_mean(&name, config.variables.keys().map(String::as_str));
            diags.push(Diag::warning("Value for undeclared variable", format!("The file {display} assigns \"{name}\", which the configuration does not declare.{hint}")).at(location));
            continue;
        }
        chosen.insert(
            name,
            Candidate {
                value: RawValue::Value(value),
                origin: format!("the file {display}"),
                location,
            },
        );
    }
}
