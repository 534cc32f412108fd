//! Adapts the provider component's `provider` export to the engine's [`Provider`] trait.
//!
//! Every call runs in a fresh instance (instantiation costs microseconds), so
//! calls from parallel workers never share guest state; the provider
//! configuration is replayed into each instance before the call. `validate` and `plan`
//! calls, pure by contract, go in runs that share one fresh instance (validating and
//! planning one object is such a run).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, anyhow, ensure};
use serde_json::Value;
use ycprov_engine::pool::{Permit, Permits};
use ycprov_engine::provider::{
    Applied, Change, Diagnostic, Imported, PlannedChange, Provider, ReadResult, Severity,
};

use secrecy::ExposeSecret;
use ycprov_runtime::bindings::lifecycle as wit;
use ycprov_runtime::{HostState, Runtime};

/// The component, seen by the engine.
pub struct ComponentProvider {
    runtime: Arc<Runtime>,
    config: Mutex<Option<String>>,
    /// Per data source type: the attributes the host fills, and from what (from the schema).
    host_values: OnceLock<BTreeMap<String, BTreeMap<String, String>>>,
}

impl ComponentProvider {
    /// Wraps a loaded runtime.
    pub fn new(runtime: Arc<Runtime>) -> ComponentProvider {
        ComponentProvider {
            runtime,
            config: Mutex::new(None),
            host_values: OnceLock::new(),
        }
    }

    /// The attributes of data source `type_name` the host fills after a read.
    fn host_values_of(&self, type_name: &str) -> Result<BTreeMap<String, String>> {
        if self.host_values.get().is_none() {
            let schema = self.schema()?;
            let by_type = schema
                .get("data_sources")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(name, source)| {
                    let values = source.get("host_values")?.as_object()?;
                    let values = values
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect();
                    Some((name.clone(), values))
                })
                .collect();
            let _ = self.host_values.set(by_type);
        }
        Ok(self
            .host_values
            .get()
            .and_then(|by_type| by_type.get(type_name))
            .cloned()
            .unwrap_or_default())
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

    /// Waits for one of `permits` (if any) for the call about to be made in `store`,
    /// whose deadline then starts again (the wait is not the call's).
    fn wait_for<'p>(
        &self,
        permits: Option<&'p Permits>,
        store: &mut wasmtime::Store<HostState>,
    ) -> Option<Permit<'p>> {
        let permit = permits?.acquire();
        self.runtime.restart_deadline(store);
        Some(permit)
    }

    /// `apply`, holding one of `permits` (if any) for the call proper.
    fn apply_within(
        &self,
        permits: Option<&Permits>,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Applied> {
        let prior = prior.map(Value::to_string);
        let planned = planned.map(Value::to_string);
        let applied = self.call("apply", |s, p| {
            let _permit = self.wait_for(permits, s);
            p.call_apply(s, type_name, prior.as_deref(), planned.as_deref())
        })?;
        applied_result(applied)
    }

    /// `apply-many`, holding one of `permits` (if any) for the call proper.
    fn apply_many_within(
        &self,
        permits: Option<&Permits>,
        type_name: &str,
        changes: &[Change],
    ) -> Result<Vec<Applied>> {
        let changes: Vec<wit::Change> = changes
            .iter()
            .map(|change| wit::Change {
                prior: change.prior.as_ref().map(Value::to_string),
                planned: change.planned.as_ref().map(Value::to_string),
            })
            .collect();
        let results = self.call("apply-many", |s, p| {
            let _permit = self.wait_for(permits, s);
            p.call_apply_many(s, type_name, &changes)
        })?;
        ensure!(
            results.len() == changes.len(),
            "the provider returned {} apply results for {} changes",
            results.len(),
            changes.len()
        );
        results.into_iter().map(applied_result).collect()
    }

    /// Makes `call` for every item, one after another in one fresh instance (the contract
    /// lets a host do so for `validate` and `plan`, which depend on nothing but their
    /// arguments and the configuration). If that instance fails (a trap, the deadline),
    /// each item is made again in an instance of its own, so one bad item fails alone.
    fn call_each<I, R>(
        &self,
        what: &str,
        items: &[I],
        call: impl Fn(&mut wasmtime::Store<HostState>, &wit::Guest, &I) -> wasmtime::Result<R>,
    ) -> Vec<Result<R>> {
        if items.len() > 1 {
            let together = self.call(what, |store, guest| {
                items
                    .iter()
                    .map(|item| {
                        store.data_mut().log_records = 0;
                        call(&mut *store, guest, item)
                    })
                    .collect::<wasmtime::Result<Vec<R>>>()
            });
            if let Ok(results) = together {
                return results.into_iter().map(Ok).collect();
            }
        }
        items
            .iter()
            .map(|item| self.call(what, |store, guest| call(store, guest, item)))
            .collect()
    }
}

/// The one answer of a call made for one item.
fn only<R>(mut answers: Vec<Result<R>>) -> Result<R> {
    answers
        .pop()
        .unwrap_or_else(|| Err(anyhow!("the provider call returned no answer")))
}

/// Validates `config` and, when that finds no error, plans with it, on one instance.
fn validate_then_plan(
    store: &mut wasmtime::Store<HostState>,
    guest: &wit::Guest,
    type_name: &str,
    prior: Option<&str>,
    config: &str,
) -> wasmtime::Result<(Vec<wit::Diagnostic>, Option<wit::PlannedChange>)> {
    let diagnostics = guest.call_validate(&mut *store, type_name, config)?;
    if diagnostics
        .iter()
        .any(|d| matches!(d.severity, wit::Severity::Error))
    {
        return Ok((diagnostics, None));
    }
    let change = guest.call_plan(store, type_name, prior, Some(config))?;
    Ok((diagnostics, Some(change)))
}

/// The engine's view of what [`validate_then_plan`] returned.
fn validated_plan(
    (diagnostics, change): (Vec<wit::Diagnostic>, Option<wit::PlannedChange>),
) -> Result<(Vec<Diagnostic>, Option<PlannedChange>)> {
    let planned = change.map(planned_change).transpose()?;
    Ok((diagnostics.into_iter().map(diagnostic).collect(), planned))
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
        only(self.validate_many(type_name, &[config]))
    }

    fn plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: Option<&Value>,
    ) -> Result<PlannedChange> {
        only(self.plan_many(type_name, &[(prior, config)]))
    }

    fn validate_and_plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> Result<(Vec<Diagnostic>, Option<PlannedChange>)> {
        only(self.validate_and_plan_many(type_name, &[(prior, config)]))
    }

    fn validate_many(&self, type_name: &str, configs: &[&Value]) -> Vec<Result<Vec<Diagnostic>>> {
        let configs: Vec<String> = configs.iter().map(|c| c.to_string()).collect();
        self.call_each("validate", &configs, |s, p, config| {
            p.call_validate(s, type_name, config)
        })
        .into_iter()
        .map(|diagnostics| Ok(diagnostics?.into_iter().map(diagnostic).collect()))
        .collect()
    }

    fn plan_many(
        &self,
        type_name: &str,
        instances: &[(Option<&Value>, Option<&Value>)],
    ) -> Vec<Result<PlannedChange>> {
        let instances: Vec<(Option<String>, Option<String>)> = instances
            .iter()
            .map(|(prior, config)| (prior.map(Value::to_string), config.map(Value::to_string)))
            .collect();
        self.call_each("plan", &instances, |s, p, (prior, config)| {
            p.call_plan(s, type_name, prior.as_deref(), config.as_deref())
        })
        .into_iter()
        .map(|change| planned_change(change?))
        .collect()
    }

    fn validate_and_plan_many(
        &self,
        type_name: &str,
        instances: &[(Option<&Value>, &Value)],
    ) -> Vec<Result<(Vec<Diagnostic>, Option<PlannedChange>)>> {
        let instances: Vec<(Option<String>, String)> = instances
            .iter()
            .map(|(prior, config)| (prior.map(Value::to_string), config.to_string()))
            .collect();
        self.call_each("validate and plan", &instances, |s, p, (prior, config)| {
            validate_then_plan(s, p, type_name, prior.as_deref(), config)
        })
        .into_iter()
        .map(|result| validated_plan(result?))
        .collect()
    }

    fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Applied> {
        self.apply_within(None, type_name, prior, planned)
    }

    /// Takes the permit once the instance is made and configured, and gives it back before
    /// the instance is torn down and the answer parsed.
    fn apply_holding(
        &self,
        permits: &Permits,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Applied> {
        self.apply_within(Some(permits), type_name, prior, planned)
    }

    fn read(&self, type_name: &str, state: &Value) -> Result<ReadResult> {
        let state = state.to_string();
        let read = self.call("read", |s, p| p.call_read(s, type_name, &state))?;
        Ok(ReadResult {
            state: parse_optional(read.state, "read state")?,
            diagnostics: read.diagnostics.into_iter().map(diagnostic).collect(),
        })
    }

    fn read_data_source(&self, type_name: &str, config: &Value) -> Result<ReadResult> {
        let text = config.to_string();
        let read = self.call("read-data-source", |s, p| {
            p.call_read_data_source(s, type_name, &text)
        })?;
        let mut state = parse_optional(read.state, "data source state")?;
        if let Some(Value::Object(attributes)) = &mut state {
            for (attribute, from) in self.host_values_of(type_name)? {
                let value =
                    ycprov_runtime::host_values::host_value(self.runtime.capabilities(), &from)
                        .map_err(|why| {
                            anyhow!("data source {type_name}: cannot fill {attribute}: {why}")
                        })?;
                attributes.insert(
                    attribute,
                    value.map_or(Value::Null, |v| Value::from(v.expose_secret().to_string())),
                );
            }
        }
        Ok(ReadResult {
            state,
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
        self.apply_many_within(None, type_name, changes)
    }

    /// Holds the permit as [`ComponentProvider::apply_holding`] does.
    fn apply_many_holding(
        &self,
        permits: &Permits,
        type_name: &str,
        changes: &[Change],
    ) -> Result<Vec<Applied>> {
        self.apply_many_within(Some(permits), type_name, changes)
    }

    fn import(&self, type_name: &str, id: &str) -> Result<Imported> {
        let imported = self.call("import", |s, p| p.call_import_resource(s, type_name, id))?;
        Ok(Imported {
            state: parse_optional(imported.state, "imported state")?,
            diagnostics: imported.diagnostics.into_iter().map(diagnostic).collect(),
        })
    }
}

/// The engine's view of what an `apply` or `apply-many` call returned for one change.
fn applied_result(applied: wit::Applied) -> Result<Applied> {
    Ok(Applied {
        new_state: parse_optional(applied.new_state, "new state")?,
        diagnostics: applied.diagnostics.into_iter().map(diagnostic).collect(),
    })
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
