//! The provider contract the engine drives, and the schema the provider declares.
//!
//! The host adapts the WebAssembly component (`wit/provider.wit`) to [`Provider`];
//! tests use an in-memory fake. Values are JSON objects of attributes, and the
//! JSON object `{"$unknown": true}` marks a value not known until apply.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::pool::Permits;
use crate::value::Type;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The operation failed.
    Error,
    /// The operation succeeded, but the user should know.
    Warning,
}

/// One problem reported by the provider for a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A one-line summary.
    pub summary: String,
    /// Details and a hint how to fix it (may be empty).
    pub detail: String,
    /// The attribute it concerns, as a path such as `scopes[1]`.
    pub attribute: Option<String>,
}

impl Diagnostic {
    /// An error diagnostic without an attribute.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning diagnostic without an attribute.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// The same diagnostic concerning `attribute`.
    pub fn at(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }
}

/// True when any of `diagnostics` is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// The result of planning one resource instance.
#[derive(Debug, Clone, Default)]
pub struct PlannedChange {
    /// The planned new state, or `None` when the instance is to be destroyed.
    pub planned: Option<Value>,
    /// Attribute paths whose change forces replacing the instance.
    pub requires_replace: Vec<String>,
    /// Problems and warnings; any error means there is no valid plan.
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of applying one planned change.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The new state (`None` when the instance was destroyed or never created);
    /// on partial failure it still describes what exists.
    pub new_state: Option<Value>,
    /// Problems and warnings; any error means the change did not fully happen.
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of reading one resource instance.
#[derive(Debug, Clone, Default)]
pub struct ReadResult {
    /// The current state, or `None` when the object is gone.
    pub state: Option<Value>,
    /// Problems and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// The most instances the engine hands to one `read_many` or `apply_many` call
/// (the API's limit of deltas per folder IAM update).
pub const MAX_BATCH: usize = 1000;

/// The most validate or plan calls the engine hands to one [`Provider::validate_many`]
/// or [`Provider::validate_and_plan_many`] call: enough to make the cost of a fresh
/// instance small beside the calls, few enough to spread a plan over the CPUs.
pub const CALLS_PER_INSTANCE: usize = 64;

/// One planned change handed to [`Provider::apply_many`].
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The current object, or `None` to create.
    pub prior: Option<Value>,
    /// The planned object, or `None` to destroy.
    pub planned: Option<Value>,
}

/// The result of importing an existing object.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// The state of the imported object, if it was found.
    pub state: Option<Value>,
    /// Problems and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// A provider: the per-type rules and the API calls. `Err` means the provider
/// itself failed (e.g. a trap); resource-level problems come back as diagnostics.
pub trait Provider: Send + Sync {
    /// The schema JSON document, as documented on `schema` in `wit/provider.wit`.
    fn schema(&self) -> anyhow::Result<Value>;
    /// Sets the provider-level configuration for the calls that follow.
    fn configure(&self, config: &Value) -> anyhow::Result<Vec<Diagnostic>>;
    /// Checks a resource configuration without calling the API.
    fn validate(&self, type_name: &str, config: &Value) -> anyhow::Result<Vec<Diagnostic>>;
    /// Plans one instance (`prior` none = create, `config` none = destroy).
    fn plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: Option<&Value>,
    ) -> anyhow::Result<PlannedChange>;
    /// Validates `config` and, when that finds no error, plans the instance with it: the
    /// validation's diagnostics, and the plan unless validation failed. The default makes
    /// the two calls; a provider may make them in one go.
    fn validate_and_plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> anyhow::Result<(Vec<Diagnostic>, Option<PlannedChange>)> {
        let diagnostics = self.validate(type_name, config)?;
        if has_errors(&diagnostics) {
            return Ok((diagnostics, None));
        }
        let planned = self.plan(type_name, prior, Some(config))?;
        Ok((diagnostics, Some(planned)))
    }
    /// [`Provider::validate`] for many configurations of one type: one result per
    /// configuration, in order. The default validates one by one; a provider may make the
    /// calls together (the component provider makes them in one instance).
    fn validate_many(
        &self,
        type_name: &str,
        configs: &[&Value],
    ) -> Vec<anyhow::Result<Vec<Diagnostic>>> {
        configs
            .iter()
            .map(|config| self.validate(type_name, config))
            .collect()
    }
    /// [`Provider::validate_and_plan`] for many instances of one type, each given as
    /// `(prior, config)`: one result per instance, in order. The default makes the calls
    /// one by one; a provider may make them together.
    fn validate_and_plan_many(
        &self,
        type_name: &str,
        instances: &[(Option<&Value>, &Value)],
    ) -> Vec<anyhow::Result<(Vec<Diagnostic>, Option<PlannedChange>)>> {
        instances
            .iter()
            .map(|(prior, config)| self.validate_and_plan(type_name, *prior, config))
            .collect()
    }
    /// [`Provider::plan`] for many instances of one type, each given as `(prior, config)`:
    /// one result per instance, in order. The default plans one by one; a provider may
    /// make the calls together.
    fn plan_many(
        &self,
        type_name: &str,
        instances: &[(Option<&Value>, Option<&Value>)],
    ) -> Vec<anyhow::Result<PlannedChange>> {
        instances
            .iter()
            .map(|(prior, config)| self.plan(type_name, *prior, *config))
            .collect()
    }
    /// Carries out a planned change (`prior` none = create, `planned` none = destroy).
    fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> anyhow::Result<Applied>;
    /// Reads an instance's current state.
    fn read(&self, type_name: &str, state: &Value) -> anyhow::Result<ReadResult>;
    /// Imports an existing object by its id.
    fn import(&self, type_name: &str, id: &str) -> anyhow::Result<Imported>;
    /// Reads a data source: its configuration (every value known) in, its state out. The
    /// default answers that the provider has no data sources.
    fn read_data_source(&self, type_name: &str, _config: &Value) -> anyhow::Result<ReadResult> {
        Ok(ReadResult {
            state: None,
            diagnostics: vec![Diagnostic::error(
                "Unsupported data source type",
                format!("This provider has no data source \"{type_name}\"."),
            )],
        })
    }
    /// Reads many instances of one type; one result per state, in order. Worth calling
    /// for batch types (see [`ResourceSchema::batch`]); the default reads one by one.
    fn read_many(&self, type_name: &str, states: &[Value]) -> anyhow::Result<Vec<ReadResult>> {
        states
            .iter()
            .map(|state| self.read(type_name, state))
            .collect()
    }
    /// Carries out many changes of one type; one result per change, in order, each
    /// as [`Provider::apply`] would return it. `Err` means the provider failed for all of
    /// them. Worth calling for batch types; the default applies one by one.
    fn apply_many(&self, type_name: &str, changes: &[Change]) -> anyhow::Result<Vec<Applied>> {
        changes
            .iter()
            .map(|change| self.apply(type_name, change.prior.as_ref(), change.planned.as_ref()))
            .collect()
    }
    /// [`Provider::apply`] holding one of `permits` (the `-parallelism` bound on API work)
    /// for the call. A provider that sets something up for each call (a sandbox instance)
    /// may take the permit once that is done and give it back before tearing it down, so
    /// the bound covers the work with the API and not the setup. The default holds it for
    /// the whole call.
    fn apply_holding(
        &self,
        permits: &Permits,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> anyhow::Result<Applied> {
        let _permit = permits.acquire();
        self.apply(type_name, prior, planned)
    }
    /// [`Provider::apply_many`] holding one of `permits` for the call, as
    /// [`Provider::apply_holding`] does.
    fn apply_many_holding(
        &self,
        permits: &Permits,
        type_name: &str,
        changes: &[Change],
    ) -> anyhow::Result<Vec<Applied>> {
        let _permit = permits.acquire();
        self.apply_many(type_name, changes)
    }
}

/// One attribute of a resource or of the provider block.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeSchema {
    /// The value type.
    pub ty: Type,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// Decided by the provider when not configured.
    pub computed: bool,
    /// Never shown in plans, outputs or logs.
    pub sensitive: bool,
    /// A change forces replacing the object.
    pub force_new: bool,
    /// Human description.
    pub description: String,
    /// Written as nested blocks (`name { … }`) rather than as an argument: the schema's
    /// `"block": {"max_items": N}` (0 for no limit). Its type is a list of objects.
    pub block: Option<BlockNesting>,
}

/// How an attribute written as nested blocks nests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockNesting {
    /// The most blocks allowed; 0 for no limit.
    pub max_items: u32,
}

impl AttributeSchema {
    /// True when configuration may set this attribute.
    pub fn configurable(&self) -> bool {
        self.required || self.optional
    }
}

/// The schema of one resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// The schema version stored with each instance.
    pub version: u64,
    /// Human description.
    pub description: String,
    /// Attributes by name.
    pub attributes: BTreeMap<String, AttributeSchema>,
    /// Instances are cheaper to read and apply together (`read_many`, `apply_many`)
    /// than one by one (the schema's `"batch": true`).
    pub batch: bool,
    /// Instances are cheaper to read together (`read_many`), though applied one by one
    /// (the schema's `"read_batch": true`; implied by `batch`).
    pub read_batch: bool,
    /// For data sources: attributes the host fills after the read, and from what (the
    /// schema's `"host_values"`, e.g. `{"iam_token": "access-token"}`).
    pub host_values: BTreeMap<String, String>,
}

impl ResourceSchema {
    /// Names of the attributes that are sensitive.
    pub fn sensitive_attributes(&self) -> Vec<String> {
        self.attributes
            .iter()
            .filter(|(_, a)| a.sensitive)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// The schema of every provider of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// Attributes of the `provider` block, by provider source.
    pub providers: BTreeMap<String, BTreeMap<String, AttributeSchema>>,
    /// Resource types by name.
    pub resources: BTreeMap<String, ResourceSchema>,
    /// The source of the provider of each resource type.
    pub type_sources: BTreeMap<String, String>,
    /// Data source types by name (shaped as resources).
    pub data_sources: BTreeMap<String, ResourceSchema>,
    /// The source of the provider of each data source type.
    pub data_type_sources: BTreeMap<String, String>,
}

impl Schema {
    /// Parses the schema JSON document the provider with `source` returns.
    pub fn from_json(source: &str, doc: &Value) -> anyhow::Result<Schema> {
        let provider = match doc.get("provider").and_then(|p| p.get("attributes")) {
            Some(attrs) => parse_attributes(attrs).context("in the provider schema")?,
            None => BTreeMap::new(),
        };
        let Some(types) = doc.get("resources").and_then(Value::as_object) else {
            bail!("the provider schema has no `resources` object");
        };
        let resources = parse_types(types, "resource type")?;
        let data_sources = match doc.get("data_sources") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(types)) => parse_types(types, "data source")?,
            Some(_) => bail!("the provider schema's `data_sources` must be an object"),
        };
        let sources_of = |types: &BTreeMap<String, ResourceSchema>| {
            types
                .keys()
                .map(|name| (name.clone(), source.to_string()))
                .collect()
        };
        Ok(Schema {
            providers: BTreeMap::from([(source.to_string(), provider)]),
            type_sources: sources_of(&resources),
            data_type_sources: sources_of(&data_sources),
            resources,
            data_sources,
        })
    }

    /// The schema of the type `addr` names: a resource type, or a data source type for a
    /// `data.` address.
    pub fn of(&self, addr: &crate::address::ResourceAddr) -> Option<&ResourceSchema> {
        match addr.mode {
            crate::address::Mode::Managed => self.resources.get(&addr.type_name),
            crate::address::Mode::Data => self.data_sources.get(&addr.type_name),
        }
    }

    /// Adds the schema of another provider; two providers offering one resource type is
    /// an error.
    pub fn merge(&mut self, other: Schema) -> anyhow::Result<()> {
        for (type_name, source) in &other.type_sources {
            if let Some(first) = self.type_sources.get(type_name) {
                bail!("both {first} and {source} offer the resource type {type_name}");
            }
        }
        for (type_name, source) in &other.data_type_sources {
            if let Some(first) = self.data_type_sources.get(type_name) {
                bail!("both {first} and {source} offer the data source {type_name}");
            }
        }
        self.providers.extend(other.providers);
        self.resources.extend(other.resources);
        self.type_sources.extend(other.type_sources);
        self.data_sources.extend(other.data_sources);
        self.data_type_sources.extend(other.data_type_sources);
        Ok(())
    }
}

fn parse_types(
    types: &serde_json::Map<String, Value>,
    kind: &str,
) -> anyhow::Result<BTreeMap<String, ResourceSchema>> {
    let mut out = BTreeMap::new();
    for (name, res) in types {
        let attributes = parse_attributes(res.get("attributes").unwrap_or(&Value::Null))
            .with_context(|| format!("in the schema of {kind} {name}"))?;
        let host_values = match res.get("host_values") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(attribute, from)| match from.as_str() {
                    Some(from) if attributes.contains_key(attribute) => {
                        Ok((attribute.clone(), from.to_string()))
                    }
                    _ => Err(anyhow::anyhow!(
                        "in the schema of {kind} {name}: host_values.{attribute} must be a string naming one of its attributes"
                    )),
                })
                .collect::<anyhow::Result<_>>()?,
            Some(_) => bail!("in the schema of {kind} {name}: host_values must be an object"),
        };
        out.insert(
            name.clone(),
            ResourceSchema {
                version: res.get("version").and_then(Value::as_u64).unwrap_or(0),
                description: res
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                attributes,
                batch: res.get("batch").and_then(Value::as_bool).unwrap_or(false),
                read_batch: ["batch", "read_batch"]
                    .iter()
                    .any(|flag| res.get(*flag).and_then(Value::as_bool).unwrap_or(false)),
                host_values,
            },
        );
    }
    Ok(out)
}

fn parse_attributes(attrs: &Value) -> anyhow::Result<BTreeMap<String, AttributeSchema>> {
    let Some(attrs) = attrs.as_object() else {
        bail!("`attributes` must be an object");
    };
    let flag = |a: &Value, k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut out = BTreeMap::new();
    for (name, a) in attrs {
        let type_text = a.get("type").and_then(Value::as_str).unwrap_or("string");
        let ty = Type::parse(type_text)
            .with_context(|| format!("attribute {name}: bad type {type_text:?}"))?;
        let block = match a.get("block") {
            None | Some(Value::Null) => None,
            Some(block) => {
                if !matches!(&ty, Type::List(element) if matches!(**element, Type::Object(_))) {
                    bail!("attribute {name}: a block's type must be a list of objects, not {ty}");
                }
                let max_items = match block.get("max_items") {
                    None | Some(Value::Null) => 0,
                    Some(n) => n
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .with_context(|| format!("attribute {name}: bad block max_items {n}"))?,
                };
                Some(BlockNesting { max_items })
            }
        };
        out.insert(
            name.clone(),
            AttributeSchema {
                ty,
                required: flag(a, "required"),
                optional: flag(a, "optional"),
                computed: flag(a, "computed"),
                sensitive: flag(a, "sensitive"),
                force_new: flag(a, "force_new"),
                description: a
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                block,
            },
        );
    }
    Ok(out)
}
