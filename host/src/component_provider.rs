//! Adapts the provider component's `provider` export to the engine's [`Provider`] trait.
//!
//! Every call runs in a fresh instance (instantiation costs microseconds), so
//! calls from parallel workers never share guest state; the provider
//! configuration is replayed into each instance before the call. Validating and planning
//! one instance share one fresh instance.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow, ensure};
use serde_json::Value;
use ycprov_engine::provider::{
    Applied, Change, Diagnostic, Imported, PlannedChange, Provider, ReadResult, Severity,
};

use ycprov_runtime::bindings::lifecycle as wit;
use ycprov_runtime::{HostState, Runtime};

/// The component, seen by the engine.
pub struct ComponentProvider {
    runtime: Arc<Runtime>,
    config: Mutex<Option<String>>,
}

impl ComponentProvider {
    /// Wraps a loaded runtime.
    pub fn new(runtime: Arc<Runtime>) -> ComponentProvider {
        ComponentProvider {
            runtime,
            config: Mutex::new(None),
        }
    }

    fn call<R>(
        &self,
        what: &str,
        f: impl FnOnce(&mut wasmtime::Store<HostState>, &wit::Guest) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let config = self.config.lock().map_err(|_| anyhow!("poisoned"))?.clone();
        self.runtime.call_lifecycle(what, |store, guest| {
            if let Some(config) = &config {
                guest.call_configure(&mut *store, config)?;
            }
            f(store, guest)
        })
    }
}

impl Provider for ComponentProvider {
    fn schema(&self) -> Result<Value> {
        let text = self.call("schema", |s, p| p.call_schema(s))?;
        serde_json::from_str(&text).context("the provider returned a schema that is not JSON")
    }

    fn configure(&self, config: &Value) -> Result<Vec<Diagnostic>> {
        let text = config.to_string();
        let diagnostics = self.runtime.call_lifecycle("configure", |store, guest| {
            guest.call_configure(store, &text)
        })?;
        *self.config.lock().map_err(|_| anyhow!("poisoned"))? = Some(text);
        Ok(diagnostics.into_iter().map(diagnostic).collect())
    }

    fn validate(&self, type_name: &str, config: &Value) -> Result<Vec<Diagnostic>> {
        let config = config.to_string();
        let diagnostics = self.call("validate", |s, p| p.call_validate(s, type_name, &config))?;
        Ok(diagnostics.into_iter().map(diagnostic).collect())
    }

    fn plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: Option<&Value>,
    ) -> Result<PlannedChange> {
        let prior = prior.map(Value::to_string);
        let config = config.map(Value::to_string);
        let change = self.call("plan", |s, p| {
            p.call_plan(s, type_name, prior.as_deref(), config.as_deref())
        })?;
        planned_change(change)
    }

    fn validate_and_plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> Result<(Vec<Diagnostic>, Option<PlannedChange>)> {
        let prior = prior.map(Value::to_string);
        let config = config.to_string();
        let (diagnostics, change) = self.call("validate and plan", |s, p| {
            let diagnostics = p.call_validate(&mut *s, type_name, &config)?;
            if diagnostics
                .iter()
                .any(|d| matches!(d.severity, wit::Severity::Error))
            {
                return Ok((diagnostics, None));
            }
            let change = p.call_plan(s, type_name, prior.as_deref(), Some(&config))?;
            Ok((diagnostics, Some(change)))
        })?;
        let planned = change.map(planned_change).transpose()?;
        Ok((diagnostics.into_iter().map(diagnostic).collect(), planned))
    }

    fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Applied> {
        let prior = prior.map(Value::to_string);
        let planned = planned.map(Value::to_string);
        let applied = self.call("apply", |s, p| {
            p.call_apply(s, type_name, prior.as_deref(), planned.as_deref())
        })?;
        Ok(Applied {
            new_state: parse_optional(applied.new_state, "new state")?,
            diagnostics: applied.diagnostics.into_iter().map(diagnostic).collect(),
        })
    }

    fn read(&self, type_name: &str, state: &Value) -> Result<ReadResult> {
        let state = state.to_string();
        let read = self.call("read", |s, p| p.call_read(s, type_name, &state))?;
        Ok(ReadResult {
            state: parse_optional(read.state, "read state")?,
            diagnostics: read.diagnostics.into_iter().map(diagnostic).collect(),
        })
    }

    fn read_many(&self, type_name: &str, states: &[Value]) -> Result<Vec<ReadResult>> {
        let states: Vec<String> = states.iter().map(Value::to_string).collect();
        let results = self.call("read-many", |s, p| p.call_read_many(s, type_name, &states))?;
        ensure!(
            results.len() == states.len(),
            "the provider returned {} read results for {} states",
            results.len(),
            states.len()
        );
        results
            .into_iter()
            .map(|read| {
                Ok(ReadResult {
                    state: parse_optional(read.state, "read state")?,
                    diagnostics: read.diagnostics.into_iter().map(diagnostic).collect(),
                })
            })
            .collect()
    }

    fn apply_many(&self, type_name: &str, changes: &[Change]) -> Result<Vec<Applied>> {
        let changes: Vec<wit::Change> = changes
            .iter()
            .map(|change| wit::Change {
                prior: change.prior.as_ref().map(Value::to_string),
                planned: change.planned.as_ref().map(Value::to_string),
            })
            .collect();
        let results = self.call("apply-many", |s, p| {
            p.call_apply_many(s, type_name, &changes)
        })?;
        ensure!(
            results.len() == changes.len(),
            "the provider returned {} apply results for {} changes",
            results.len(),
            changes.len()
        );
        results
            .into_iter()
            .map(|applied| {
                Ok(Applied {
                    new_state: parse_optional(applied.new_state, "new state")?,
                    diagnostics: applied.diagnostics.into_iter().map(diagnostic).collect(),
                })
            })
            .collect()
    }

    fn import(&self, type_name: &str, id: &str) -> Result<Imported> {
        let imported = self.call("import", |s, p| p.call_import_resource(s, type_name, id))?;
        Ok(Imported {
            state: parse_optional(imported.state, "imported state")?,
            diagnostics: imported.diagnostics.into_iter().map(diagnostic).collect(),
        })
    }
}

fn planned_change(change: wit::PlannedChange) -> Result<PlannedChange> {
    Ok(PlannedChange {
        planned: parse_optional(change.planned, "planned state")?,
        requires_replace: change.requires_replace,
        diagnostics: change.diagnostics.into_iter().map(diagnostic).collect(),
    })
}

fn parse_optional(text: Option<String>, what: &str) -> Result<Option<Value>> {
    text.map(|t| {
        serde_json::from_str(&t)
            .with_context(|| format!("the provider returned a {what} that is not JSON"))
    })
    .transpose()
}

fn diagnostic(d: wit::Diagnostic) -> Diagnostic {
    Diagnostic {
        severity: match d.severity {
            wit::Severity::Error => Severity::Error,
            wit::Severity::Warning => Severity::Warning,
        },
        summary: d.summary,
        detail: d.detail,
        attribute: d.attribute.as_deref().map(path_text),
    }
}

/// A typed attribute path as the engine writes it: `scopes[1]`, `labels.team`, `tags["a b"]`.
fn path_text(steps: &[wit::PathStep]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            wit::PathStep::Attribute(name) if text.is_empty() => text.push_str(name),
            wit::PathStep::Attribute(name) => {
                text.push('.');
                text.push_str(name);
            }
            wit::PathStep::Index(position) => text.push_str(&format!("[{position}]")),
            wit::PathStep::Key(key) => text.push_str(&format!("[{key:?}]")),
        }
    }
    text
}
