//! A provider built on the SDK: its definition (schema, configuration, resource
//! types) and the lifecycle entry points the export glue calls.

use serde_json::{Map, Value, json};

use crate::data_source::DataSource;
use crate::diagnostics::{Diagnostic, has_errors};
use crate::pending::PENDING_CREATE;
use crate::resource::{Outcome, Resource};
use crate::rules::{
    checked_change, failed_state, finish, keep_equivalent, nullify_empty, plan_create, plan_update,
    validate_config,
};
use crate::schema::ResourceSchema;
use crate::value::{Attrs, parse_attrs, render};

/// What a provider is: its provider-block schema, its configuration and its resource types.
pub trait ProviderDefinition: Sized + 'static {
    /// What the resource operations act through (the capabilities), e.g. a trait object
    /// over the host's imports, so the logic also runs natively in tests.
    type Host: ?Sized;
    /// The provider configuration, read from the provider block by [`ProviderDefinition::configure`].
    type Config: 'static;
    /// The configuration before `configure` is called.
    const UNCONFIGURED: Self::Config;
    /// The provider block's schema (its `type_name` is e.g. `provider "time"`).
    fn schema() -> &'static ResourceSchema;
    /// The resource types.
    fn resources() -> &'static [&'static dyn Resource<Self>];
    /// The data source types (none by default).
    fn data_sources() -> &'static [&'static dyn DataSource<Self>] {
        &[]
    }
    /// Reads the provider block after its schema checks passed.
    fn configure(config: &Attrs) -> Result<Self::Config, Vec<Diagnostic>>;
}

/// What the calls of one resource operation share: the host and the provider configuration.
pub struct Context<'a, P: ProviderDefinition> {
    /// The capabilities.
    pub host: &'a P::Host,
    /// The provider configuration.
    pub config: &'a P::Config,
}

/// The result of planning one instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlannedChange {
    /// The planned state as JSON, or none for destroy.
    pub planned: Option<String>,
    /// Attribute paths whose change forces replacement.
    pub requires_replace: Vec<String>,
    /// Problems and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// A state after apply, read or import.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateResult {
    /// The state as JSON, or none when there is no object.
    pub state: Option<String>,
    /// Problems and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// The provider: its configuration and the lifecycle entry points.
pub struct Provider<P: ProviderDefinition> {
    config: P::Config,
}

impl<P: ProviderDefinition> Default for Provider<P> {
    fn default() -> Self {
        Provider::new()
    }
}

impl<P: ProviderDefinition> Provider<P> {
    /// A provider with no configuration.
    pub const fn new() -> Self {
        Provider {
            config: P::UNCONFIGURED,
        }
    }

    /// The current provider configuration.
    pub fn config(&self) -> &P::Config {
        &self.config
    }

    fn context<'a>(&'a self, host: &'a P::Host) -> Context<'a, P> {
        Context {
            host,
            config: &self.config,
        }
    }

    /// The provider and resource schemas as JSON.
    pub fn schema(&self) -> String {
        let resources: Map<String, Value> = P::resources()
            .iter()
            .map(|resource| {
                let mut schema = resource.schema().to_json();
                if resource.batches() {
                    schema["batch"] = json!(true);
                } else if resource.reads_together() {
                    schema["read_batch"] = json!(true);
                }
                (resource.schema().type_name.to_owned(), schema)
            })
            .collect();
        let data_sources: Map<String, Value> = P::data_sources()
            .iter()
            .map(|source| {
                let mut schema = source.schema().to_json();
                let host_values: Map<String, Value> = source
                    .host_values()
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), json!(value.name())))
                    .collect();
                if !host_values.is_empty() {
                    schema["host_values"] = Value::Object(host_values);
                }
                (source.schema().type_name.to_owned(), schema)
            })
            .collect();
        let provider = P::schema().to_json();
        json!({
            "provider": {"description": provider["description"], "attributes": provider["attributes"]},
            "resources": resources,
            "data_sources": data_sources,
        })
        .to_string()
    }

    /// Sets the provider configuration; unknown values are ignored.
    pub fn configure(&mut self, config: &str) -> Vec<Diagnostic> {
        let config = match parse_attrs("provider configuration", config) {
            Ok(config) => P::schema().coerce(&config),
            Err(why) => return vec![Diagnostic::error("Invalid provider configuration", why)],
        };
        let mut diagnostics = P::schema().check_config(&config);
        if has_errors(&diagnostics) {
            return diagnostics;
        }
        match P::configure(&config) {
            Ok(configured) => self.config = configured,
            Err(problems) => diagnostics.extend(problems),
        }
        diagnostics
    }

    /// Checks a resource configuration: the offline checks, and those the resource makes
    /// against the cloud whatever the prior state (for API keys: undocumented scopes).
    pub fn validate(&self, host: &P::Host, type_name: &str, config: &str) -> Vec<Diagnostic> {
        let resource = match resource::<P>(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => return vec![diagnostic],
        };
        let config = match parse_attrs("configuration", config) {
            Ok(config) => resource.schema().coerce(&config),
            Err(why) => return vec![Diagnostic::error("Invalid configuration", why)],
        };
        let mut diagnostics = validate_config(resource, &config);
        if !has_errors(&diagnostics) {
            let ctx = self.context(host);
            diagnostics.extend(resource.validate_with_cloud(&ctx, &config));
        }
        diagnostics
    }

    /// Plans one instance from its prior state and configuration.
    pub fn plan(
        &self,
        host: &P::Host,
        type_name: &str,
        prior: Option<&str>,
        config: Option<&str>,
    ) -> PlannedChange {
        let failed = |diagnostic: Diagnostic| PlannedChange {
            diagnostics: vec![diagnostic],
            ..PlannedChange::default()
        };
        let resource = match resource::<P>(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => return failed(diagnostic),
        };
        let prior = match prior
            .map(|text| parse_attrs("prior state", text))
            .transpose()
        {
            Ok(prior) => prior,
            Err(why) => return failed(Diagnostic::error("Invalid prior state", why)),
        };
        let Some(config) = config else {
            return PlannedChange::default();
        };
        let config = match parse_attrs("configuration", config) {
            Ok(config) => resource.schema().coerce(&config),
            Err(why) => return failed(Diagnostic::error("Invalid configuration", why)),
        };
        let mut diagnostics = validate_config(resource, &config);
        if has_errors(&diagnostics) {
            return PlannedChange {
                diagnostics,
                ..PlannedChange::default()
            };
        }
        let ctx = self.context(host);
        diagnostics.extend(resource.check_with_cloud(&ctx, prior.as_ref(), &config));
        if has_errors(&diagnostics) {
            return PlannedChange {
                diagnostics,
                ..PlannedChange::default()
            };
        }
        let (planned, requires_replace) = match &prior {
            None => (
                plan_create(resource, &ctx, &config, &mut diagnostics),
                Vec::new(),
            ),
            Some(prior) => plan_update(resource, &ctx, prior, &config, &mut diagnostics),
        };
        let planned =
            (!has_errors(&diagnostics)).then(|| render(&resource.schema().complete(planned)));
        PlannedChange {
            planned,
            requires_replace,
            diagnostics,
        }
    }

    /// Carries out a planned change.
    pub fn apply(
        &self,
        host: &P::Host,
        type_name: &str,
        prior: Option<&str>,
        planned: Option<&str>,
    ) -> StateResult {
        let mut results = self.apply_many(host, type_name, &[(prior, planned)]);
        results.pop().unwrap_or_default()
    }

    /// Carries out many planned changes (prior, planned) of one type; one result per
    /// change, in order. Batch types share API calls; every change keeps its own outcome.
    pub fn apply_many(
        &self,
        host: &P::Host,
        type_name: &str,
        changes: &[(Option<&str>, Option<&str>)],
    ) -> Vec<StateResult> {
        let resource = match resource::<P>(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => {
                return changes
                    .iter()
                    .map(|(prior, _)| failed_state(*prior, diagnostic.clone()))
                    .collect();
            }
        };
        let ctx = self.context(host);
        let schema = resource.schema();
        let mut results: Vec<Option<StateResult>> = Vec::with_capacity(changes.len());
        let mut runnable = Vec::new();
        let mut positions = Vec::new();
        for (index, (prior, planned)) in changes.iter().enumerate() {
            match checked_change(schema, *prior, *planned) {
                Ok(change) => {
                    runnable.push(change);
                    positions.push(index);
                    results.push(None);
                }
                Err(result) => results.push(Some(result)),
            }
        }
        let mut outcomes = resource.apply_many(&ctx, &runnable).into_iter();
        for index in positions {
            let outcome = outcomes.next().unwrap_or_else(|| {
                Outcome::failed(
                    None,
                    Diagnostic::error(
                        "Change not carried out",
                        "The provider lost track of this change; run plan again.",
                    ),
                )
            });
            results[index] = Some(finish(schema, outcome));
        }
        results.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// Reads an instance's current state.
    pub fn read(&self, host: &P::Host, type_name: &str, state: &str) -> StateResult {
        let mut results = self.read_many(host, type_name, &[state]);
        results.pop().unwrap_or_default()
    }

    /// Reads many instances of one type; one result per state, in order. Batch types
    /// share API calls (folder IAM members: one binding list per folder).
    pub fn read_many(&self, host: &P::Host, type_name: &str, states: &[&str]) -> Vec<StateResult> {
        let resource = match resource::<P>(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => {
                return states
                    .iter()
                    .map(|state| failed_state(Some(state), diagnostic.clone()))
                    .collect();
            }
        };
        let ctx = self.context(host);
        let schema = resource.schema();
        let mut results: Vec<Option<StateResult>> = Vec::with_capacity(states.len());
        let mut priors = Vec::new();
        let mut positions = Vec::new();
        for (index, state) in states.iter().enumerate() {
            match parse_attrs("state", state) {
                Ok(planned) if planned.contains_key(PENDING_CREATE) => {
                    results.push(Some(crate::pending::resolve(resource, &ctx, planned)));
                }
                Ok(prior) => {
                    priors.push(prior);
                    positions.push(index);
                    results.push(None);
                }
                Err(why) => results.push(Some(failed_state(
                    Some(state),
                    Diagnostic::error("Invalid state", why),
                ))),
            }
        }
        let mut outcomes = resource.read_many(&ctx, &priors).into_iter();
        for (index, prior) in positions.into_iter().zip(&priors) {
            let mut outcome = outcomes.next().unwrap_or_else(|| {
                Outcome::failed(
                    Some(prior.clone()),
                    Diagnostic::error(
                        "Instance not read",
                        "The provider lost track of this instance; run refresh again.",
                    ),
                )
            });
            outcome.state = outcome
                .state
                .map(|fresh| keep_equivalent(schema, prior, fresh));
            results[index] = Some(finish(schema, outcome));
        }
        results.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// Imports an existing object by its import id.
    pub fn import_resource(&self, host: &P::Host, type_name: &str, id: &str) -> StateResult {
        let resource = match resource::<P>(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => return failed_state(None, diagnostic),
        };
        let ctx = self.context(host);
        let schema = resource.schema();
        let mut outcome = resource.import(&ctx, id);
        outcome.state = outcome.state.map(|state| nullify_empty(schema, state));
        finish(schema, outcome)
    }

    /// Reads a data source: its configuration (every value known) in, its state out.
    pub fn read_data_source(&self, host: &P::Host, type_name: &str, config: &str) -> StateResult {
        let source = match data_source::<P>(type_name) {
            Ok(source) => source,
            Err(diagnostic) => return failed_state(None, diagnostic),
        };
        let schema = source.schema();
        let config = match parse_attrs("configuration", config) {
            Ok(config) => schema.coerce(&config),
            Err(why) => {
                return failed_state(None, Diagnostic::error("Invalid configuration", why));
            }
        };
        let mut diagnostics = schema.check_config(&config);
        if !has_errors(&diagnostics) {
            diagnostics.extend(source.check(&config));
        }
        if has_errors(&diagnostics) {
            return StateResult {
                state: None,
                diagnostics,
            };
        }
        let mut outcome = source.read(&self.context(host), &config);
        outcome.diagnostics.splice(0..0, diagnostics);
        finish(schema, outcome)
    }
}

fn data_source<P: ProviderDefinition>(
    type_name: &str,
) -> Result<&'static dyn DataSource<P>, Diagnostic> {
    P::data_sources()
        .iter()
        .copied()
        .find(|source| source.schema().type_name == type_name)
        .ok_or_else(|| {
            let known: Vec<&str> = P::data_sources()
                .iter()
                .map(|s| s.schema().type_name)
                .collect();
            let supported = if known.is_empty() {
                "it has none".to_owned()
            } else {
                format!("it supports {}", known.join(", "))
            };
            Diagnostic::error(
                "Unsupported data source type",
                format!("This provider has no data source \"{type_name}\"; {supported}."),
            )
        })
}

fn resource<P: ProviderDefinition>(
    type_name: &str,
) -> Result<&'static dyn Resource<P>, Diagnostic> {
    P::resources()
        .iter()
        .copied()
        .find(|resource| resource.schema().type_name == type_name)
        .ok_or_else(|| {
            let known: Vec<&str> = P::resources()
                .iter()
                .map(|r| r.schema().type_name)
                .collect();
            Diagnostic::error(
                "Unsupported resource type",
                format!(
                    "This provider has no resource type \"{type_name}\"; it supports {}.",
                    known.join(", ")
                ),
            )
        })
}
