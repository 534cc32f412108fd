//! The generic plan and apply rules every resource type gets: schema checks, unknowns,
//! force-new replacement, normalisation that is not drift, and "known planned values
//! come back unchanged".

use std::collections::BTreeSet;

use serde_json::Value;

use crate::diagnostics::{Diagnostic, has_errors};
use crate::provider::{Context, ProviderDefinition, StateResult};
use crate::resource::{Change, Outcome, Resource};
use crate::schema::{AttrType, Equivalence, ResourceSchema};
use crate::value::{self, Attrs, get, is_unknown, is_wholly_known, parse_attrs, render, unknown};

/// The generic checks of one change: the change to carry out, or its result already
/// (nothing to do, unparsable input, unknown inputs, a force-new change in place).
pub fn checked_change(
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

pub fn failed_state(state: Option<&str>, diagnostic: Diagnostic) -> StateResult {
    StateResult {
        state: state.map(str::to_owned),
        diagnostics: vec![diagnostic],
    }
}

pub fn finish(schema: &ResourceSchema, outcome: Outcome) -> StateResult {
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

pub fn validate_config<P: ProviderDefinition>(
    resource: &dyn Resource<P>,
    config: &Attrs,
) -> Vec<Diagnostic> {
    let mut diagnostics = resource.schema().check_config(config);
    if !has_errors(&diagnostics) {
        diagnostics.extend(resource.check(config));
    }
    diagnostics
}

pub fn plan_create<P: ProviderDefinition>(
    resource: &dyn Resource<P>,
    ctx: &Context<'_, P>,
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

pub fn plan_update<P: ProviderDefinition>(
    resource: &dyn Resource<P>,
    ctx: &Context<'_, P>,
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
    if requires_replace.is_empty()
        && let Some(reason) = resource.replace_reason(ctx, prior, config)
    {
        requires_replace.push(reason.to_owned());
    }
    if requires_replace.is_empty() {
        resource.plan_update_values(ctx, prior, config, &mut planned, diagnostics);
        (planned, requires_replace)
    } else {
        (
            plan_create(resource, ctx, config, diagnostics),
            requires_replace,
        )
    }
}

/// Whether `candidate` is only a different spelling of `prior` under the attribute's rule.
pub fn equivalent(rule: Equivalence, prior: &Value, candidate: &Value) -> bool {
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
            (Some(left), Some(right)) => crate::timestamp::same_instant(left, right),
            _ => false,
        },
    }
}

fn as_set(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(Value::to_string).collect()
}

pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Object(map) => map.is_empty() && !is_unknown(value),
        Value::Array(items) => items.is_empty(),
        Value::Bool(flag) => !flag,
        _ => false,
    }
}

/// Read results keep the prior spelling where the remote value is only normalised.
pub fn keep_equivalent(schema: &ResourceSchema, prior: &Attrs, mut fresh: Attrs) -> Attrs {
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
pub fn nullify_empty(schema: &ResourceSchema, mut state: Attrs) -> Attrs {
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
pub fn settle(schema: &ResourceSchema, planned: &Attrs, observed: &Attrs) -> Attrs {
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
pub fn unknown_inputs(schema: &ResourceSchema, planned: &Attrs) -> Option<Diagnostic> {
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
pub fn replacement_needed(
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
pub fn required_string<'a>(attrs: &'a Attrs, name: &str) -> Result<&'a str, Diagnostic> {
    value::string(attrs, name)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| {
            Diagnostic::error("Invalid state", format!("The state has no \"{name}\".")).at(name)
        })
}

/// Whether a value is a known list of known strings or a known map; used by checks.
pub fn is_checkable(value: &Value, ty: AttrType) -> bool {
    match ty {
        AttrType::ListOfString | AttrType::MapOfString | AttrType::Blocks { .. } => {
            is_wholly_known(value) && !value.is_null()
        }
        _ => !value.is_null() && !is_unknown(value),
    }
}
