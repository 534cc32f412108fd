//! The Terraform-style resource lifecycle behind the WIT `provider` export:
//! schema, configure, validate, plan, apply, read and import, with values as JSON.
//!
//! The generic rules (schema checks, unknowns, force-new replacement, normalisation
//! that is not drift, "known planned values come back unchanged") live here; each
//! resource type module supplies its checks and its API calls.

mod api_key;
mod diagnostics;
mod folder_member;
mod pending;
mod schema;
mod service_account;
mod value;

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

pub use diagnostics::{Diagnostic, Severity, has_errors};
use schema::{AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema};
use value::{Attrs, get, is_unknown, is_wholly_known, parse_attrs, render, unknown};

use crate::iam::Iam;
use crate::platform::Platform;
use crate::timestamp;
use crate::validation;

/// The provider-level configuration (`provider "yandex"` block).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The default cloud id.
    pub cloud_id: Option<String>,
    /// The default folder id for resources that take one.
    pub folder_id: Option<String>,
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

/// What the calls of one resource operation share: the host and the provider configuration.
pub struct Context<'a> {
    platform: &'a dyn Platform,
    config: &'a ProviderConfig,
}

impl<'a> Context<'a> {
    fn iam(&self) -> Iam<'a, dyn Platform + 'a> {
        Iam::new(self.platform)
    }

    /// The folder for resources that do not name one: the provider's, else the host's.
    fn default_folder_id(&self) -> Result<String, Diagnostic> {
        if let Some(folder) = self.config.folder_id.as_deref().filter(|f| !f.is_empty()) {
            return Ok(folder.to_owned());
        }
        match self.platform.identity() {
            Ok(identity) => identity.folder_id.filter(|folder| !folder.is_empty()).ok_or_else(|| {
                Diagnostic::error(
                    "No folder_id",
                    "Set folder_id in the resource or in the provider block, or configure a default folder for the host (as `yc config set folder-id` or YC_FOLDER_ID do).",
                )
                .at("folder_id")
            }),
            Err(why) => Err(Diagnostic::error(
                "No folder_id",
                format!("Set folder_id in the resource or in the provider block; the host has no identity to take a default from: {why}"),
            )
            .at("folder_id")),
        }
    }
}

/// What a resource operation produced: the state of what exists, and diagnostics.
#[derive(Debug, Default)]
struct Outcome {
    state: Option<Attrs>,
    diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    fn state(state: Attrs) -> Self {
        Outcome {
            state: Some(state),
            diagnostics: Vec::new(),
        }
    }

    fn gone() -> Self {
        Outcome::default()
    }

    fn failed(state: Option<Attrs>, diagnostic: Diagnostic) -> Self {
        Outcome {
            state,
            diagnostics: vec![diagnostic],
        }
    }

    fn with(mut self, diagnostic: Diagnostic) -> Self {
        self.diagnostics.push(diagnostic);
        self
    }
}

/// One change of an instance that passed the generic checks, ready for the API calls.
#[derive(Debug)]
enum Change {
    /// Create the object of a fully known plan.
    Create(Attrs),
    /// Update the object in place.
    Update {
        /// The current state.
        prior: Attrs,
        /// The planned state.
        planned: Attrs,
    },
    /// Delete the object.
    Delete(Attrs),
}

/// One resource type: its schema, value checks and API calls.
trait Resource: Sync {
    /// The schema.
    fn schema(&self) -> &'static ResourceSchema;
    /// Whether instances are cheaper to read and apply together (the schema's `batch` flag).
    fn batches(&self) -> bool {
        false
    }
    /// Whether instances are cheaper to read together, though applied one by one (the
    /// schema's `read_batch` flag).
    fn reads_together(&self) -> bool {
        self.batches()
    }
    /// Checks of known configured values beyond their types.
    fn check(&self, config: &Attrs) -> Vec<Diagnostic>;
    /// Fills values a create plan knows although they are not configured.
    fn plan_defaults(
        &self,
        _ctx: &Context<'_>,
        _config: &Attrs,
        _planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
    }
    /// Checks of configured values against the clock or the cloud, made at plan time
    /// before anything is created (`prior` is the current state of an update).
    fn check_with_cloud(
        &self,
        _ctx: &Context<'_>,
        _prior: Option<&Attrs>,
        _config: &Attrs,
    ) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// The checks of [`Resource::check_with_cloud`] that `validate` also makes: those that
    /// hold whatever the prior state (the clock-dependent ones may not).
    fn validate_with_cloud(&self, _ctx: &Context<'_>, _config: &Attrs) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// Creates the object of a fully known plan.
    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome;
    /// Updates the object in place.
    fn update(&self, ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome;
    /// Deletes the object.
    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome;
    /// Reads the object's current attributes (before normalisation against the prior state).
    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome;
    /// Finds an existing object by its import id.
    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome;
    /// Finds out what an interrupted create of `planned` left behind (see [`pending`]):
    /// the state of an object it made, or gone. The default reads `planned` as a state.
    fn resolve_pending(
        &self,
        ctx: &Context<'_>,
        planned: &Attrs,
        _pending: &pending::PendingCreate,
    ) -> Outcome {
        self.read(ctx, planned)
    }
    /// Reads many objects; one outcome per state, in order. The default reads one by one.
    fn read_many(&self, ctx: &Context<'_>, states: &[Attrs]) -> Vec<Outcome> {
        states.iter().map(|state| self.read(ctx, state)).collect()
    }
    /// Carries out many changes; one outcome per change, in order. The default applies
    /// them one by one.
    fn apply_many(&self, ctx: &Context<'_>, changes: &[Change]) -> Vec<Outcome> {
        changes
            .iter()
            .map(|change| match change {
                Change::Create(planned) => self.create(ctx, planned),
                Change::Update { prior, planned } => self.update(ctx, prior, planned),
                Change::Delete(prior) => self.delete(ctx, prior),
            })
            .collect()
    }
}

static RESOURCES: [&dyn Resource; 3] = [
    &service_account::ServiceAccount,
    &folder_member::FolderMember,
    &api_key::ApiKey,
];

const PROVIDER_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        name: "cloud_id",
        description: "The default cloud id.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "folder_id",
        description: "The default folder id for resources that do not set folder_id.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "zone",
        description: "The default availability zone (accepted for compatibility; IAM resources do not use it).",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "endpoint",
        description: "The API endpoint; used by the host, which performs all requests.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "token",
        sensitive: true,
        description: "An IAM or OAuth token; consumed by the host, never passed to the provider.",
        ..OPTIONAL_STRING
    },
    Attribute {
        name: "service_account_key_file",
        sensitive: true,
        description: "A service account authorized key (path or JSON); consumed by the host, never passed to the provider.",
        ..OPTIONAL_STRING
    },
];

static PROVIDER_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "provider \"yandex\"",
    version: 0,
    description: "Yandex Cloud IAM: service accounts, folder role bindings and API keys.",
    attributes: PROVIDER_ATTRIBUTES,
};

fn resource(type_name: &str) -> Result<&'static dyn Resource, Diagnostic> {
    RESOURCES
        .iter()
        .copied()
        .find(|resource| resource.schema().type_name == type_name)
        .ok_or_else(|| {
            let known: Vec<&str> = RESOURCES.iter().map(|r| r.schema().type_name).collect();
            Diagnostic::error(
                "Unsupported resource type",
                format!(
                    "This provider has no resource type \"{type_name}\"; it supports {}.",
                    known.join(", ")
                ),
            )
        })
}

/// The provider: its configuration and the lifecycle entry points.
#[derive(Debug, Default)]
pub struct Provider {
    config: ProviderConfig,
}

impl Provider {
    /// A provider with no configuration.
    pub const fn new() -> Self {
        Provider {
            config: ProviderConfig {
                cloud_id: None,
                folder_id: None,
            },
        }
    }

    /// The current provider configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The provider and resource schemas as JSON.
    pub fn schema(&self) -> String {
        let resources: Map<String, Value> = RESOURCES
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
        let provider = PROVIDER_SCHEMA.to_json();
        json!({
            "provider": {"description": provider["description"], "attributes": provider["attributes"]},
            "resources": resources,
        })
        .to_string()
    }

    /// Sets the provider configuration; unknown values are ignored.
    pub fn configure(&mut self, config: &str) -> Vec<Diagnostic> {
        let config = match parse_attrs("provider configuration", config) {
            Ok(config) => PROVIDER_SCHEMA.coerce(&config),
            Err(why) => return vec![Diagnostic::error("Invalid provider configuration", why)],
        };
        let mut diagnostics = PROVIDER_SCHEMA.check_config(&config);
        if let Some(folder) = value::string(&config, "folder_id")
            && let Err(invalid) = validation::resource_id("folder_id", folder)
        {
            diagnostics.push(Diagnostic::invalid(invalid));
        }
        if !has_errors(&diagnostics) {
            let known = |name: &str| {
                value::string(&config, name)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            self.config = ProviderConfig {
                cloud_id: known("cloud_id"),
                folder_id: known("folder_id"),
            };
        }
        diagnostics
    }

    /// Checks a resource configuration: the offline checks, and those the resource makes
    /// against the cloud whatever the prior state (for API keys: undocumented scopes).
    pub fn validate(
        &self,
        platform: &dyn Platform,
        type_name: &str,
        config: &str,
    ) -> Vec<Diagnostic> {
        let resource = match resource(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => return vec![diagnostic],
        };
        let config = match parse_attrs("configuration", config) {
            Ok(config) => resource.schema().coerce(&config),
            Err(why) => return vec![Diagnostic::error("Invalid configuration", why)],
        };
        let mut diagnostics = validate_config(resource, &config);
        if !has_errors(&diagnostics) {
            let ctx = Context {
                platform,
                config: &self.config,
            };
            diagnostics.extend(resource.validate_with_cloud(&ctx, &config));
        }
        diagnostics
    }

    /// Plans one instance from its prior state and configuration.
    pub fn plan(
        &self,
        platform: &dyn Platform,
        type_name: &str,
        prior: Option<&str>,
        config: Option<&str>,
    ) -> PlannedChange {
        let failed = |diagnostic: Diagnostic| PlannedChange {
            diagnostics: vec![diagnostic],
            ..PlannedChange::default()
        };
        let resource = match resource(type_name) {
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
        let ctx = Context {
            platform,
            config: &self.config,
        };
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
        platform: &dyn Platform,
        type_name: &str,
        prior: Option<&str>,
        planned: Option<&str>,
    ) -> StateResult {
        let mut results = self.apply_many(platform, type_name, &[(prior, planned)]);
        results.pop().unwrap_or_default()
    }

    /// Carries out many planned changes (prior, planned) of one type; one result per
    /// change, in order. Batch types share API calls; every change keeps its own outcome.
    pub fn apply_many(
        &self,
        platform: &dyn Platform,
        type_name: &str,
        changes: &[(Option<&str>, Option<&str>)],
    ) -> Vec<StateResult> {
        let resource = match resource(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => {
                return changes
                    .iter()
                    .map(|(prior, _)| failed_state(*prior, diagnostic.clone()))
                    .collect();
            }
        };
        let ctx = Context {
            platform,
            config: &self.config,
        };
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
    pub fn read(&self, platform: &dyn Platform, type_name: &str, state: &str) -> StateResult {
        let mut results = self.read_many(platform, type_name, &[state]);
        results.pop().unwrap_or_default()
    }

    /// Reads many instances of one type; one result per state, in order. Batch types
    /// share API calls (folder IAM members: one binding list per folder).
    pub fn read_many(
        &self,
        platform: &dyn Platform,
        type_name: &str,
        states: &[&str],
    ) -> Vec<StateResult> {
        let resource = match resource(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => {
                return states
                    .iter()
                    .map(|state| failed_state(Some(state), diagnostic.clone()))
                    .collect();
            }
        };
        let ctx = Context {
            platform,
            config: &self.config,
        };
        let schema = resource.schema();
        let mut results: Vec<Option<StateResult>> = Vec::with_capacity(states.len());
        let mut priors = Vec::new();
        let mut positions = Vec::new();
        for (index, state) in states.iter().enumerate() {
            match parse_attrs("state", state) {
                Ok(planned) if planned.contains_key(pending::PENDING_CREATE) => {
                    results.push(Some(pending::resolve(resource, &ctx, planned)));
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
    pub fn import_resource(
        &self,
        platform: &dyn Platform,
        type_name: &str,
        id: &str,
    ) -> StateResult {
        let resource = match resource(type_name) {
            Ok(resource) => resource,
            Err(diagnostic) => return failed_state(None, diagnostic),
        };
        let ctx = Context {
            platform,
            config: &self.config,
        };
        let schema = resource.schema();
        let mut outcome = resource.import(&ctx, id);
        outcome.state = outcome.state.map(|state| nullify_empty(schema, state));
        finish(schema, outcome)
    }
}

/// The generic checks of one change: the change to carry out, or its result already
/// (nothing to do, unparsable input, unknown inputs, a force-new change in place).
fn checked_change(
    schema: &ResourceSchema,
    prior: Option<&str>,
    planned: Option<&str>,
) -> Result<Change, StateResult> {
    let parsed = prior
        .map(|text| parse_attrs("prior state", text))
        .transpose()
        .and_then(|prior_attrs| {
            Ok((
                prior_attrs,
                planned
                    .map(|text| parse_attrs("planned state", text))
                    .transpose()?,
            ))
        });
    let (prior_attrs, planned_attrs) =
        parsed.map_err(|why| failed_state(prior, Diagnostic::error("Invalid apply input", why)))?;
    let refused =
        |state: Option<Attrs>, diagnostic| finish(schema, Outcome::failed(state, diagnostic));
    match (prior_attrs, planned_attrs) {
        (None, None) => Err(finish(schema, Outcome::gone())),
        (None, Some(planned)) => match unknown_inputs(schema, &planned) {
            Some(diagnostic) => Err(refused(None, diagnostic)),
            None => Ok(Change::Create(planned)),
        },
        (Some(prior), None) => Ok(Change::Delete(prior)),
        (Some(prior), Some(planned)) => match unknown_inputs(schema, &planned)
            .or_else(|| replacement_needed(schema, &prior, &planned))
        {
            Some(diagnostic) => Err(refused(Some(prior), diagnostic)),
            None => Ok(Change::Update { prior, planned }),
        },
    }
}

fn failed_state(state: Option<&str>, diagnostic: Diagnostic) -> StateResult {
    StateResult {
        state: state.map(str::to_owned),
        diagnostics: vec![diagnostic],
    }
}

fn finish(schema: &ResourceSchema, outcome: Outcome) -> StateResult {
    StateResult {
        state: outcome.state.map(|state| {
            let mut state = schema.complete(state);
            for value in state.values_mut() {
                if !is_wholly_known(value) {
                    *value = Value::Null;
                }
            }
            render(&state)
        }),
        diagnostics: outcome.diagnostics,
    }
}

fn validate_config(resource: &dyn Resource, config: &Attrs) -> Vec<Diagnostic> {
    let mut diagnostics = resource.schema().check_config(config);
    if !has_errors(&diagnostics) {
        diagnostics.extend(resource.check(config));
    }
    diagnostics
}

fn plan_create(
    resource: &dyn Resource,
    ctx: &Context<'_>,
    config: &Attrs,
    diagnostics: &mut Vec<Diagnostic>,
) -> Attrs {
    let mut planned = Attrs::new();
    for attribute in resource.schema().attributes {
        let configured = get(config, attribute.name);
        let value = if configured.is_null() && attribute.computed {
            unknown()
        } else {
            configured.clone()
        };
        planned.insert(attribute.name.to_owned(), value);
    }
    resource.plan_defaults(ctx, config, &mut planned, diagnostics);
    planned
}

fn plan_update(
    resource: &dyn Resource,
    ctx: &Context<'_>,
    prior: &Attrs,
    config: &Attrs,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Attrs, Vec<String>) {
    let mut planned = Attrs::new();
    let mut requires_replace = Vec::new();
    for attribute in resource.schema().attributes {
        let prior_value = get(prior, attribute.name);
        let configured = get(config, attribute.name);
        let candidate = if attribute.is_read_only() || (configured.is_null() && attribute.computed)
        {
            prior_value.clone()
        } else {
            configured.clone()
        };
        let value = if equivalent(attribute.equivalence, prior_value, &candidate) {
            prior_value.clone()
        } else {
            candidate
        };
        if attribute.force_new && (!is_wholly_known(&value) || value != *prior_value) {
            requires_replace.push(attribute.name.to_owned());
        }
        planned.insert(attribute.name.to_owned(), value);
    }
    if requires_replace.is_empty() {
        (planned, requires_replace)
    } else {
        (
            plan_create(resource, ctx, config, diagnostics),
            requires_replace,
        )
    }
}

/// Whether `candidate` is only a different spelling of `prior` under the attribute's rule.
fn equivalent(rule: Equivalence, prior: &Value, candidate: &Value) -> bool {
    if !is_wholly_known(candidate) {
        return false;
    }
    if prior == candidate {
        return true;
    }
    match rule {
        Equivalence::Exact => false,
        Equivalence::EmptyIsNull => is_empty(prior) && is_empty(candidate),
        Equivalence::Set => match (prior.as_array(), candidate.as_array()) {
            (Some(left), Some(right)) => as_set(left) == as_set(right),
            _ => false,
        },
        Equivalence::Instant => match (prior.as_str(), candidate.as_str()) {
            (Some(left), Some(right)) => timestamp::same_instant(left, right),
            _ => false,
        },
    }
}

fn as_set(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(Value::to_string).collect()
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Object(map) => map.is_empty() && !is_unknown(value),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Read results keep the prior spelling where the remote value is only normalised.
fn keep_equivalent(schema: &ResourceSchema, prior: &Attrs, mut fresh: Attrs) -> Attrs {
    for attribute in schema.attributes {
        let prior_value = get(prior, attribute.name);
        let fresh_value = get(&fresh, attribute.name).clone();
        if equivalent(attribute.equivalence, prior_value, &fresh_value) {
            fresh.insert(attribute.name.to_owned(), prior_value.clone());
        }
    }
    fresh
}

/// Empty strings and maps of "empty is null" attributes become null (imports have no prior).
fn nullify_empty(schema: &ResourceSchema, mut state: Attrs) -> Attrs {
    for attribute in schema.attributes {
        if attribute.equivalence == Equivalence::EmptyIsNull
            && is_empty(get(&state, attribute.name))
        {
            state.insert(attribute.name.to_owned(), Value::Null);
        }
    }
    state
}

/// The state after a successful create or update: every known planned value as
/// planned, every value planned as unknown from what the API reported.
fn settle(schema: &ResourceSchema, planned: &Attrs, observed: &Attrs) -> Attrs {
    schema
        .attributes
        .iter()
        .map(|attribute| {
            let planned_value = get(planned, attribute.name);
            let value = if is_wholly_known(planned_value) {
                planned_value.clone()
            } else {
                get(observed, attribute.name).clone()
            };
            (attribute.name.to_owned(), value)
        })
        .collect()
}

/// An error when a value the user configures is still unknown at apply.
fn unknown_inputs(schema: &ResourceSchema, planned: &Attrs) -> Option<Diagnostic> {
    schema
        .attributes
        .iter()
        .filter(|attribute| !attribute.computed)
        .find(|attribute| !is_wholly_known(get(planned, attribute.name)))
        .map(|attribute| {
            Diagnostic::error(
                "Value unknown at apply",
                format!(
                    "\"{}\" must be known when the change is applied.",
                    attribute.name
                ),
            )
            .at(attribute.name)
        })
}

/// An error when an in-place update would change a force-new attribute.
fn replacement_needed(
    schema: &ResourceSchema,
    prior: &Attrs,
    planned: &Attrs,
) -> Option<Diagnostic> {
    schema
        .attributes
        .iter()
        .filter(|attribute| attribute.force_new)
        .find(|attribute| {
            let planned_value = get(planned, attribute.name);
            is_wholly_known(planned_value) && planned_value != get(prior, attribute.name)
        })
        .map(|attribute| {
            Diagnostic::error(
                "Change requires replacement",
                format!(
                    "\"{}\" cannot change in place; the object must be replaced.",
                    attribute.name
                ),
            )
            .at(attribute.name)
        })
}

/// A string attribute of a state that must be there (e.g. `id`), or an error diagnostic.
fn required_string<'a>(attrs: &'a Attrs, name: &str) -> Result<&'a str, Diagnostic> {
    value::string(attrs, name)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| {
            Diagnostic::error("Invalid state", format!("The state has no \"{name}\".")).at(name)
        })
}

/// Deletes the object whose `id` the prior state holds; NOT_FOUND means it is already gone.
fn delete_by_id(
    prior: &Attrs,
    noun: &str,
    delete: impl FnOnce(&str) -> Result<(), crate::error::Error>,
) -> Outcome {
    let id = match required_string(prior, "id") {
        Ok(id) => id,
        Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
    };
    match delete(id) {
        Ok(()) => Outcome::gone(),
        Err(error) if error.is(crate::error::Code::NotFound) => Outcome::gone(),
        Err(error) => Outcome::failed(
            Some(prior.clone()),
            Diagnostic::api_failure(&format!("Cannot delete {noun} {id}"), &error),
        ),
    }
}

/// Whether a value is a known list of known strings or a known map; used by checks.
fn is_checkable(value: &Value, ty: AttrType) -> bool {
    match ty {
        AttrType::ListOfString | AttrType::MapOfString => {
            is_wholly_known(value) && !value.is_null()
        }
        _ => !value.is_null() && !is_unknown(value),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "batch_tests.rs"]
mod batch_tests;
