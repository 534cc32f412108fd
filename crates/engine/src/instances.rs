//! Expanding resource blocks into instances (`count`, `for_each`) and evaluating
//! one instance's configuration against the schema.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr};
use crate::config::{Config, EvalContext, InstanceVars, ResourceBlock, ResourceValues};
use crate::diagnostics::{Diag, Diagnostics};
use crate::limits;
use crate::provider::{ResourceSchema, Schema};
use crate::value::{contains_unknown, is_unknown, kind_name};

/// How many instances a resource block has.
#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    /// No `count`/`for_each`: one instance without a key.
    Single,
    /// `count = N`.
    Count(i64),
    /// `for_each`: the keys and their `each.value`.
    ForEach(Vec<(String, Value)>),
    /// Not known yet (only during `validate`).
    Unknown,
}

impl Expansion {
    /// Every instance key with its `count.index` / `each` values.
    pub fn instances(&self) -> Vec<(InstanceKey, InstanceVars)> {
        match self {
            Expansion::Single => vec![(InstanceKey::None, InstanceVars::default())],
            Expansion::Count(n) => (0..*n)
                .map(|i| {
                    (
                        InstanceKey::Int(i),
                        InstanceVars {
                            count_index: Some(i),
                            each: None,
                        },
                    )
                })
                .collect(),
            Expansion::ForEach(items) => items
                .iter()
                .map(|(k, v)| {
                    (
                        InstanceKey::Str(k.clone()),
                        InstanceVars {
                            count_index: None,
                            each: Some((k.clone(), v.clone())),
                        },
                    )
                })
                .collect(),
            Expansion::Unknown => vec![(
                InstanceKey::None,
                InstanceVars {
                    count_index: Some(0),
                    each: Some((String::new(), crate::value::unknown())),
                },
            )],
        }
    }

    /// True when `key` is one of this expansion's keys.
    pub fn has_key(&self, key: &InstanceKey) -> bool {
        match (self, key) {
            (Expansion::Single, InstanceKey::None) => true,
            (Expansion::Count(n), InstanceKey::Int(i)) => *i >= 0 && i < n,
            (Expansion::ForEach(items), InstanceKey::Str(s)) => items.iter().any(|(k, _)| k == s),
            _ => false,
        }
    }
}

/// Evaluates `count` / `for_each` of `block`. Unknown values are errors except with
/// `allow_unknown` (validate).
pub fn expand(
    ctx: &EvalContext,
    config: &Config,
    block: &ResourceBlock,
    allow_unknown: bool,
) -> Result<Expansion, Diag> {
    let unknown_err = |what: &str, span| {
        Diag::error(
            format!("Invalid {what} argument"),
            format!("The \"{what}\" value depends on resource attributes that cannot be determined until apply, so ycprov cannot predict how many instances will be created. Use values known at plan time (variables, locals), or apply the dependencies first with -target."),
        )
        .at(config.location(span))
        .for_address(block.addr.to_string())
    };
    if let Some(count) = &block.count {
        let v = ctx.eval(count, &InstanceVars::default())?.value;
        if is_unknown(&v) {
            return if allow_unknown {
                Ok(Expansion::Unknown)
            } else {
                Err(unknown_err("count", &count.span))
            };
        }
        let n = crate::value::Type::Number
            .convert(&v)
            .ok()
            .and_then(|n| n.as_f64());
        return match n {
            Some(n) if n > limits::MAX_INSTANCES_PER_RESOURCE as f64 && n.fract() == 0.0 => {
                Err(too_many(config, block, &count.span, n as u64))
            }
            Some(n) if n >= 0.0 && n.fract() == 0.0 => Ok(Expansion::Count(n as i64)),
            _ => Err(Diag::error(
                "Invalid count argument",
                format!(
                    "The \"count\" argument must be a whole number >= 0, got {}.",
                    if v.is_null() {
                        "null".to_string()
                    } else {
                        v.to_string()
                    }
                ),
            )
            .at(config.location(&count.span))),
        };
    }
    if let Some(for_each) = &block.for_each {
        let v = ctx.eval(for_each, &InstanceVars::default())?.value;
        let keys_unknown = match &v {
            Value::Object(_) => false,
            _ => contains_unknown(&v),
        };
        if is_unknown(&v) || keys_unknown {
            return if allow_unknown {
                Ok(Expansion::Unknown)
            } else {
                Err(unknown_err("for_each", &for_each.span))
            };
        }
        let bad = |detail: String| {
            Diag::error("Invalid for_each argument", detail).at(config.location(&for_each.span))
        };
        let size = match &v {
            Value::Object(m) => m.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        if size > limits::MAX_INSTANCES_PER_RESOURCE {
            return Err(too_many(config, block, &for_each.span, size as u64));
        }
        return match v {
            Value::Object(m) => Ok(Expansion::ForEach(
                m.into_iter()
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect(),
            )),
            Value::Array(items) => {
                let mut keys = BTreeSet::new();
                for item in items {
                    match item {
                        Value::String(s) => {
                            keys.insert(s);
                        }
                        other => {
                            return Err(bad(format!(
                                "The \"for_each\" set must contain strings only, found {}. Use toset([...]) of strings or a map.",
                                kind_name(&other)
                            )));
                        }
                    }
                }
                Ok(Expansion::ForEach(
                    keys.into_iter()
                        .map(|k| (k.clone(), Value::String(k)))
                        .collect(),
                ))
            }
            Value::Null => Err(bad(
                "The \"for_each\" value is null. A map or a set of strings is required.".into(),
            )),
            other => Err(bad(format!(
                "The \"for_each\" argument must be a map or a set of strings, and you have provided a {}.",
                kind_name(&other)
            ))),
        };
    }
    Ok(Expansion::Single)
}

/// One instance's evaluated configuration (`Debug` hides sensitive attributes).
#[derive(Clone, PartialEq)]
pub struct InstanceConfig {
    /// A JSON object with every schema attribute (null when not configured).
    pub value: Value,
    /// Attributes whose value came from a sensitive source.
    pub sensitive: BTreeSet<String>,
}

impl std::fmt::Debug for InstanceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.sensitive.iter().cloned().collect();
        f.debug_struct("InstanceConfig")
            .field("value", &crate::redact::for_display(&self.value, &names))
            .finish()
    }
}

/// The most instances one thread evaluates in a row when the instances of a block are
/// evaluated in parallel: enough to make handing out the work cheap beside it.
pub const EVALS_PER_RUN: usize = 256;

/// Evaluates the attributes of one instance of `block` and converts them to the schema types.
pub fn eval_instance(
    ctx: &EvalContext,
    config: &Config,
    block: &ResourceBlock,
    schema: &ResourceSchema,
    vars: &InstanceVars,
    addr: &InstanceAddr,
) -> Result<InstanceConfig, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut out = Map::new();
    let mut sensitive = BTreeSet::new();
    for (name, attr) in &schema.attributes {
        if attr.sensitive {
            sensitive.insert(name.clone());
        }
        let Some(expr) = block.attributes.get(name).filter(|_| attr.configurable()) else {
            out.insert(name.clone(), Value::Null);
            continue;
        };
        match ctx.eval(expr, vars) {
            Ok(ev) => {
                if ev.sensitive {
                    sensitive.insert(name.clone());
                }
                match attr.ty.convert(&ev.value) {
                    Ok(v) => {
                        if v.is_null() && attr.required {
                            diags.push(Diag::error("Missing required argument", format!("The argument \"{name}\" is required, but its value is null.")).at(config.location(&expr.span)).for_address(addr.to_string()));
                        }
                        out.insert(name.clone(), v);
                    }
                    Err(e) => diags.push(
                        Diag::error("Incorrect attribute value type", format!("Inappropriate value for attribute \"{name}\": {e}. The attribute's type is {}.", attr.ty))
                            .at(config.location(&expr.span))
                            .for_address(addr.to_string()),
                    ),
                }
            }
            Err(d) => diags.push(d.for_address(addr.to_string())),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(InstanceConfig {
            value: Value::Object(out),
            sensitive,
        })
    }
}

fn too_many(config: &Config, block: &ResourceBlock, span: &crate::config::Span, n: u64) -> Diag {
    Diag::error(
        "Too many instances",
        format!(
            "{} would have {n} instances; a resource block may have at most {} (limits::MAX_INSTANCES_PER_RESOURCE).",
            block.addr,
            limits::MAX_INSTANCES_PER_RESOURCE
        ),
    )
    .at(config.location(span))
    .for_address(block.addr.to_string())
}

/// The length of a `count` resource's list holding the instances with these keys.
fn count_len<'k>(keys: impl Iterator<Item = &'k InstanceKey>) -> usize {
    keys.filter_map(|key| match key {
        InstanceKey::Int(i) => usize::try_from(*i).ok().map(|i| i + 1),
        _ => None,
    })
    .max()
    .unwrap_or(0)
}

/// A `count` resource's list of `len` elements with each instance at its index and null
/// where an instance is not given.
fn positioned(items: impl Iterator<Item = (InstanceKey, Value)>, len: usize) -> Value {
    let mut list = vec![Value::Null; len];
    for (key, value) in items {
        if let InstanceKey::Int(i) = key
            && let Some(slot) = usize::try_from(i).ok().and_then(|i| list.get_mut(i))
        {
            *slot = value;
        }
    }
    Value::Array(list)
}

/// Fills in the schema attributes missing from `value` with null.
pub fn with_all_attributes(schema: Option<&ResourceSchema>, value: &Value) -> Value {
    let (Some(schema), Value::Object(m)) = (schema, value) else {
        return value.clone();
    };
    let mut m = m.clone();
    for name in schema.attributes.keys() {
        m.entry(name.clone()).or_insert(Value::Null);
    }
    Value::Object(m)
}

/// Values by instance, grouped by resource: a resource's instances are found, replaced
/// and dropped without walking (or comparing the addresses of) every other resource's.
#[derive(Debug, Clone)]
pub struct ByInstance<V> {
    resources: BTreeMap<ResourceAddr, BTreeMap<InstanceKey, V>>,
}

impl<V> Default for ByInstance<V> {
    fn default() -> Self {
        Self {
            resources: BTreeMap::new(),
        }
    }
}

impl<V> ByInstance<V> {
    /// The value of the instance at `addr`.
    pub fn get(&self, addr: &InstanceAddr) -> Option<&V> {
        self.get_in(&addr.resource, &addr.key)
    }

    /// The value of `resource`'s instance `key`.
    pub fn get_in(&self, resource: &ResourceAddr, key: &InstanceKey) -> Option<&V> {
        self.resources.get(resource)?.get(key)
    }

    /// The value of the instance at `addr`, made the default first if there is none.
    pub fn get_or_default(&mut self, addr: InstanceAddr) -> &mut V
    where
        V: Default,
    {
        self.resources
            .entry(addr.resource)
            .or_default()
            .entry(addr.key)
            .or_default()
    }

    /// Sets the value of the instance at `addr`.
    pub fn insert(&mut self, addr: InstanceAddr, value: V) {
        self.resources
            .entry(addr.resource)
            .or_default()
            .insert(addr.key, value);
    }

    /// Removes the instance at `addr`.
    pub fn remove(&mut self, addr: &InstanceAddr) -> Option<V> {
        let instances = self.resources.get_mut(&addr.resource)?;
        let removed = instances.remove(&addr.key);
        if instances.is_empty() {
            self.resources.remove(&addr.resource);
        }
        removed
    }

    /// The instances of `resource`, by key.
    pub fn of(&self, resource: &ResourceAddr) -> impl Iterator<Item = (&InstanceKey, &V)> {
        self.resources.get(resource).into_iter().flatten()
    }

    /// The value of `resource`'s instances, if it has any, by key.
    pub fn of_mut(&mut self, resource: &ResourceAddr) -> Option<&mut BTreeMap<InstanceKey, V>> {
        self.resources.get_mut(resource)
    }

    /// Drops every instance of `resource`.
    pub fn remove_resource(&mut self, resource: &ResourceAddr) {
        self.resources.remove(resource);
    }
}

impl<V> FromIterator<(InstanceAddr, V)> for ByInstance<V> {
    fn from_iter<I: IntoIterator<Item = (InstanceAddr, V)>>(items: I) -> Self {
        let mut by = Self::default();
        by.extend(items);
        by
    }
}

impl<V> Extend<(InstanceAddr, V)> for ByInstance<V> {
    fn extend<I: IntoIterator<Item = (InstanceAddr, V)>>(&mut self, items: I) {
        for (addr, value) in items {
            self.insert(addr, value);
        }
    }
}

/// Resource values for references, from a set of instance objects.
pub struct InstanceValues<'a> {
    /// Current objects by instance.
    pub objects: ByInstance<Value>,
    /// Attributes of each instance that hold a value derived from a sensitive one
    /// (from the state's or the plan's sensitive marks).
    pub marks: ByInstance<BTreeSet<String>>,
    config: &'a Config,
    schema: &'a Schema,
}

impl<'a> InstanceValues<'a> {
    /// Values over `objects`.
    pub fn new(config: &'a Config, schema: &'a Schema, objects: ByInstance<Value>) -> Self {
        Self {
            objects,
            marks: ByInstance::default(),
            config,
            schema,
        }
    }

    /// The same values, with the sensitive marks of the state's objects.
    pub fn with_state_marks<'r>(
        mut self,
        records: impl IntoIterator<Item = &'r crate::state::InstanceState>,
    ) -> Self {
        for record in records.into_iter().filter(|r| r.deposed.is_none()) {
            self.mark(record.instance_addr(), &record.sensitive_attributes);
        }
        self
    }

    /// Records that `names` of `addr` hold sensitive values.
    pub fn mark(&mut self, addr: InstanceAddr, names: &[String]) {
        if names.is_empty() {
            return;
        }
        self.marks
            .get_or_default(addr)
            .extend(names.iter().cloned());
    }
}

impl InstanceValues<'_> {
    /// The value of `addr` holding only the instances `keys` (those that exist): for
    /// an expression that reads only those, without copying every instance.
    /// A `count` resource keeps its length and positions: the other elements are null,
    /// so `a[count.index]` and `a[2]` select the same instance as on the whole list.
    pub fn value_of_instances(&self, addr: &ResourceAddr, keys: &[InstanceKey]) -> Option<Value> {
        let block = self.config.resource(addr)?;
        if block.count.is_some() {
            return Some(self.count_value_of_instances(addr, keys));
        }
        let items = keys
            .iter()
            .filter_map(|key| Some((key.clone(), self.objects.get_in(addr, key)?)));
        self.resource_value(addr, items)
    }

    fn count_value_of_instances(&self, addr: &ResourceAddr, keys: &[InstanceKey]) -> Value {
        let schema = self.schema.of(addr);
        let len = count_len(self.objects.of(addr).map(|(key, _)| key));
        let items = keys.iter().filter_map(|key| {
            let object = self.objects.get_in(addr, key)?;
            Some((key.clone(), with_all_attributes(schema, object)))
        });
        positioned(items, len)
    }

    fn resource_value<'v>(
        &self,
        addr: &ResourceAddr,
        items: impl Iterator<Item = (InstanceKey, &'v Value)>,
    ) -> Option<Value> {
        let block = self.config.resource(addr)?;
        let schema = self.schema.of(addr);
        let mut items = items.map(|(k, v)| (k, with_all_attributes(schema, v)));
        if block.count.is_some() {
            let items: Vec<(InstanceKey, Value)> = items.collect();
            let len = count_len(items.iter().map(|(k, _)| k));
            Some(positioned(items.into_iter(), len))
        } else if block.for_each.is_some() {
            let map: Map<String, Value> = items
                .filter_map(|(k, v)| {
                    if let InstanceKey::Str(s) = k {
                        Some((s, v))
                    } else {
                        None
                    }
                })
                .collect();
            Some(Value::Object(map))
        } else {
            items.find(|(k, _)| *k == InstanceKey::None).map(|(_, v)| v)
        }
    }
}

impl ResourceValues for InstanceValues<'_> {
    fn marked(&self, addr: &ResourceAddr, attribute: Option<&str>) -> bool {
        self.marks.of(addr).any(|(_, names)| match attribute {
            Some(name) => names.contains(name),
            None => !names.is_empty(),
        })
    }

    fn value(&self, addr: &ResourceAddr) -> Option<Value> {
        let items = self.objects.of(addr).map(|(key, v)| (key.clone(), v));
        self.resource_value(addr, items)
    }
}

#[cfg(test)]
mod by_instance_tests {
    use super::*;

    fn at(resource: &str, key: InstanceKey) -> InstanceAddr {
        ResourceAddr::new("t", resource).instance(key)
    }

    #[test]
    fn instances_are_kept_and_dropped_per_resource() {
        let mut by: ByInstance<u32> = [
            (at("a", InstanceKey::Int(1)), 1),
            (at("a", InstanceKey::Int(0)), 0),
            (at("b", InstanceKey::None), 2),
        ]
        .into_iter()
        .collect();
        let cases: Vec<(&str, InstanceAddr, Option<u32>)> = vec![
            ("first of a", at("a", InstanceKey::Int(0)), Some(0)),
            ("second of a", at("a", InstanceKey::Int(1)), Some(1)),
            ("b", at("b", InstanceKey::None), Some(2)),
            ("no such key", at("a", InstanceKey::Int(2)), None),
            ("no such resource", at("c", InstanceKey::None), None),
        ];
        for (name, addr, expected) in cases {
            assert_eq!(by.get(&addr).copied(), expected, "{name}");
        }
        let keys: Vec<&InstanceKey> = by
            .of(&ResourceAddr::new("t", "a"))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [&InstanceKey::Int(0), &InstanceKey::Int(1)],
            "in key order"
        );
        assert_eq!(by.remove(&at("b", InstanceKey::None)), Some(2));
        assert_eq!(
            by.of(&ResourceAddr::new("t", "b")).count(),
            0,
            "an emptied resource is gone"
        );
        by.remove_resource(&ResourceAddr::new("t", "a"));
        assert_eq!(
            by.get(&at("a", InstanceKey::Int(0))),
            None,
            "a resource dropped whole"
        );
    }
}
