//! Planning: refresh the state, then decide per instance what apply must do.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr, Target};
use crate::config::{Config, EvalContext, Phase, ResourceBlock, Variables, resource_dependencies};
use crate::diagnostics::{Diag, Diagnostics};
use crate::graph::Graph;
use crate::instance_needs::{InstanceView, Needed, value_needs};
use crate::instances::{EVALS_PER_RUN, InstanceValues, eval_instance, expand, with_all_attributes};
use crate::plan_data::DataPlanning;
use crate::pool::{cpus, drop_in_background, map_in_runs, run_parallel, run_parallel_runs};
use crate::provider::{
    CALLS_PER_INSTANCE, MAX_BATCH, Provider, ReadResult, ResourceSchema, Schema,
};
use crate::providers::{ProviderConfigAddr, Providers};
use crate::state::{InstanceState, State};
use crate::state_blocks::{ImportRequest, Imports, apply_moves, plan_imports, removed_block};
use crate::value::{contains_unknown, is_unknown};

/// What apply will do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing.
    NoOp,
    /// Create a new object.
    Create,
    /// Update the object in place.
    Update,
    /// Replace: destroy the old object, then create the new one.
    DeleteThenCreate,
    /// Replace: create the new object, then destroy the old one.
    CreateThenDelete,
    /// Destroy the object.
    Delete,
    /// Read a data source during apply (its configuration is known only then).
    Read,
    /// Drop the object from the state without destroying it (a `removed` block).
    Forget,
}

impl Action {
    /// The Terraform JSON `actions` list.
    pub fn json_actions(&self) -> Vec<&'static str> {
        match self {
            Action::NoOp => vec!["no-op"],
            Action::Create => vec!["create"],
            Action::Update => vec!["update"],
            Action::DeleteThenCreate => vec!["delete", "create"],
            Action::CreateThenDelete => vec!["create", "delete"],
            Action::Delete => vec!["delete"],
            Action::Read => vec!["read"],
            Action::Forget => vec!["forget"],
        }
    }

    /// True for both replace orders.
    pub fn is_replace(&self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// True when an object is created (create or replace).
    pub fn creates(&self) -> bool {
        matches!(self, Action::Create) || self.is_replace()
    }

    /// True when an object is destroyed (delete or replace).
    pub fn destroys(&self) -> bool {
        matches!(self, Action::Delete) || self.is_replace()
    }
}

/// The planned change of one resource instance (or deposed object).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// The instance address.
    pub address: String,
    /// The module instance it is in (`module.a["x"]`); empty for the root module.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// `managed`, or `data` for a data source read during apply.
    #[serde(default = "managed")]
    pub mode: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The resource block name.
    pub name: String,
    /// The provider configuration that carries it out, in the state's spelling
    /// (`provider["registry.terraform.io/hashicorp/time"]`).
    #[serde(default)]
    pub provider: String,
    /// `null`, a `count` index or a `for_each` key.
    pub index_key: Value,
    /// Set when the change concerns a deposed object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// What apply will do.
    pub action: Action,
    /// The current object (refreshed), if any.
    pub before: Option<Value>,
    /// The planned object (unknowns marked), if any.
    pub after: Option<Value>,
    /// Attributes whose change forces replacement.
    pub replace_paths: Vec<String>,
    /// Sensitive attributes of `before`.
    pub before_sensitive: Vec<String>,
    /// Sensitive attributes of `after`.
    pub after_sensitive: Vec<String>,
    /// Resource addresses this instance depends on.
    pub dependencies: Vec<String>,
    /// Why, when it is not obvious (e.g. "no longer in the configuration").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why an object is replaced although no configured value forces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_cause: Option<ReplaceCause>,
    /// The address a `moved` block moved the object from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_address: Option<String>,
    /// The id an `import` block imports the object by (while planning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importing: Option<String>,
}

/// What replaces an object that no configured value forces to be replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceCause {
    /// `-replace` names it.
    Requested,
    /// `replace_triggered_by` names what changed (`res.name[0].attr`).
    Triggered(String),
}

fn managed() -> String {
    Mode::Managed.as_str().to_string()
}

impl ResourceChange {
    /// The instance address.
    pub fn instance_addr(&self) -> InstanceAddr {
        let key = InstanceKey::from_json(&self.index_key).unwrap_or(InstanceKey::None);
        ResourceAddr {
            module: self.module.clone(),
            mode: Mode::from_state(&self.mode),
            ..ResourceAddr::new(&self.type_name, &self.name)
        }
        .instance(key)
    }

    /// The address with the deposed key, for messages.
    pub fn display_address(&self) -> String {
        match &self.deposed {
            Some(d) => format!("{} (deposed object {d})", self.address),
            None => self.address.clone(),
        }
    }
}

/// A difference between the state and what refresh read.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The instance address.
    pub address: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The resource block name.
    pub name: String,
    /// `null`, a `count` index or a `for_each` key.
    pub index_key: Value,
    /// Set for a deposed object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// The object as the state had it.
    pub before: Value,
    /// The object as read, or `None` when it is gone.
    pub after: Option<Value>,
    /// Sensitive attribute names.
    pub sensitive: Vec<String>,
}

/// The planned change of one output.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    /// The output name.
    pub name: String,
    /// Create, update, delete or no-op.
    pub action: Action,
    /// The current value.
    pub before: Option<Value>,
    /// The planned value (may be unknown).
    pub after: Option<Value>,
    /// Whether the value is hidden.
    pub sensitive: bool,
}

impl std::fmt::Debug for ResourceChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Value>, names: &[String]| {
            v.as_ref().map(|v| crate::redact::for_display(v, names))
        };
        f.debug_struct("ResourceChange")
            .field("address", &self.display_address())
            .field("action", &self.action)
            .field("before", &show(&self.before, &self.before_sensitive))
            .field("after", &show(&self.after, &self.after_sensitive))
            .field("replace_paths", &self.replace_paths)
            .field("dependencies", &self.dependencies)
            .finish()
    }
}

impl std::fmt::Debug for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drift")
            .field("address", &self.address)
            .field(
                "before",
                &crate::redact::for_display(&self.before, &self.sensitive),
            )
            .field(
                "after",
                &self
                    .after
                    .as_ref()
                    .map(|v| crate::redact::for_display(v, &self.sensitive)),
            )
            .finish()
    }
}

impl std::fmt::Debug for OutputChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hide = |v: &Option<Value>| {
            if self.sensitive {
                v.as_ref().map(|_| Value::from(crate::render::SENSITIVE))
            } else {
                v.clone()
            }
        };
        f.debug_struct("OutputChange")
            .field("name", &self.name)
            .field("action", &self.action)
            .field("before", &hide(&self.before))
            .field("after", &hide(&self.after))
            .finish()
    }
}

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Made by `destroy` / `plan -destroy`.
    pub destroy: bool,
    /// Resource changes, sorted by address.
    pub changes: Vec<ResourceChange>,
    /// Changes made outside ycprov, found by refresh.
    pub drift: Vec<Drift>,
    /// Output changes.
    pub outputs: Vec<OutputChange>,
    /// The refreshed state the plan was made from (its serial and lineage are
    /// those of the state file read).
    pub prior: State,
    /// Whether a state file existed when planning.
    pub state_existed: bool,
    /// The `-target` addresses.
    pub targets: Vec<String>,
    /// The time `plantimestamp()` returned (RFC 3339).
    pub plan_time: String,
    /// Data sources read while planning: their state records, which apply saves.
    #[serde(default)]
    pub data_reads: Vec<InstanceState>,
    /// Addresses whose records apply drops from the state without any provider call:
    /// data sources whose block or key is gone (or all, when destroying), and resources a
    /// `removed` block forgets.
    #[serde(default)]
    pub forgotten: Vec<String>,
    /// Warnings found while planning.
    #[serde(skip)]
    pub warnings: Vec<Diag>,
}

impl Plan {
    /// True when apply would change a resource or an output.
    pub fn has_changes(&self) -> bool {
        self.has_resource_changes() || self.outputs.iter().any(|o| o.action != Action::NoOp)
    }

    /// True when apply would change a resource or its record (a move or an import).
    pub fn has_resource_changes(&self) -> bool {
        self.changes.iter().any(|c| {
            c.action != Action::NoOp || c.previous_address.is_some() || c.importing.is_some()
        })
    }

    /// How many objects the plan imports.
    pub fn imports(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.importing.is_some())
            .count()
    }

    /// How many objects the plan forgets (leaves in the cloud, drops from the state).
    pub fn forgets(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action == Action::Forget)
            .count()
    }

    /// (to add, to change, to destroy), replacements counting as one add and one destroy.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for c in &self.changes {
            if c.action.creates() {
                counts.0 += 1;
            }
            if c.action == Action::Update {
                counts.1 += 1;
            }
            if c.action.destroys() {
                counts.2 += 1;
            }
        }
        counts
    }
}

/// Everything planning needs.
pub struct PlanRequest<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The provider schema.
    pub schema: &'a Schema,
    /// Resolved input variables.
    pub variables: &'a Variables,
    /// The providers.
    pub providers: &'a Providers<'a>,
    /// The state as read from the state file.
    pub state: &'a State,
    /// Whether a state file existed.
    pub state_existed: bool,
    /// Plan to destroy everything (or the targets and their dependents).
    pub destroy: bool,
    /// Read every object before planning.
    pub refresh: bool,
    /// `-target` addresses.
    pub targets: &'a [Target],
    /// `-replace` addresses: these objects are replaced even though nothing changed.
    pub replace: &'a [Target],
    /// Maximum concurrent provider calls during refresh.
    pub parallelism: usize,
    /// The time `plantimestamp()` returns.
    pub plan_time: OffsetDateTime,
}

/// The graph of resources: configuration dependencies plus those recorded in state.
pub fn resource_graph(config: &Config, state: &State) -> Graph<ResourceAddr> {
    let mut g = Graph::new();
    for (res, deps) in resource_dependencies(config) {
        g.add_node(res.clone());
        for d in deps {
            g.add_edge(res.clone(), d);
        }
    }
    for r in &state.resources {
        let res = r.instance_addr().resource;
        if config.resource(&res).is_some() {
            continue;
        }
        g.add_node(res.clone());
        for d in &r.dependencies {
            if let Ok(Target::Resource(dep)) = crate::address::parse_target(d) {
                g.add_edge(res.clone(), dep);
            }
        }
    }
    g
}

/// Which instances `-target` selects.
#[derive(Debug, Clone)]
pub struct Selection {
    all: bool,
    targets: Vec<Target>,
    resources: BTreeSet<ResourceAddr>,
}

impl Selection {
    /// The targets plus their dependencies (or, for destroy, their dependents).
    pub fn new(targets: &[Target], graph: &Graph<ResourceAddr>, destroy: bool) -> Selection {
        let mut resources = BTreeSet::new();
        for t in targets {
            let named: Vec<ResourceAddr> = match t {
                Target::Module(path) => graph
                    .nodes()
                    .filter(|r| r.is_within(path))
                    .cloned()
                    .collect(),
                _ => t.resource().into_iter().cloned().collect(),
            };
            for r in &named {
                resources.extend(if destroy {
                    graph.transitive_dependents(r)
                } else {
                    graph.transitive_dependencies(r)
                });
            }
        }
        Selection {
            all: targets.is_empty(),
            targets: targets.to_vec(),
            resources,
        }
    }

    /// True when `addr` takes part.
    pub fn selects(&self, addr: &InstanceAddr) -> bool {
        self.all
            || self.targets.iter().any(|t| t.matches(addr))
            || self.resources.contains(&addr.resource)
    }
}

fn diff_attributes(schema: Option<&ResourceSchema>, a: &Value, b: &Value) -> bool {
    with_all_attributes(schema, a) != with_all_attributes(schema, b)
}

/// Reads every selected object; returns the refreshed state, the drift and diagnostics.
/// Objects that are gone are dropped with a warning.
/// Pending creates (see [`crate::state::PendingCreate`]) are resolved: the provider
/// reports the object the interrupted create made (recorded without drift) or none
/// (dropped without a warning of its own).
pub fn refresh_state(
    providers: &Providers,
    config: &Config,
    schema: &Schema,
    state: &State,
    selection: &Selection,
    parallelism: usize,
) -> (State, Vec<Drift>, Diagnostics) {
    refresh_records((providers, config), schema, state, parallelism, |r| {
        r.mode != "data" && selection.selects(&r.instance_addr())
    })
}

/// Resolves only the selected pending creates (what planning with `-refresh=false`
/// still needs: a pending object is not known to exist).
pub fn resolve_pending_creates(
    providers: &Providers,
    config: &Config,
    schema: &Schema,
    state: &State,
    selection: &Selection,
    parallelism: usize,
) -> (State, Diagnostics) {
    let (resolved, _, diags) =
        refresh_records((providers, config), schema, state, parallelism, |r| {
            r.mode != "data" && r.pending_create.is_some() && selection.selects(&r.instance_addr())
        });
    (resolved, diags)
}

fn refresh_records(
    provider: (&Providers, &Config),
    schema: &Schema,
    state: &State,
    parallelism: usize,
    wanted: impl Fn(&InstanceState) -> bool,
) -> (State, Vec<Drift>, Diagnostics) {
    let selected: Vec<&InstanceState> = state.resources.iter().filter(|r| wanted(r)).collect();
    let inputs: Vec<InstanceState> = selected
        .iter()
        .map(|r| InstanceState {
            attributes: state.read_input(r),
            ..(*r).clone()
        })
        .collect();
    let input_refs: Vec<&InstanceState> = inputs.iter().collect();
    let results = read_objects(provider, schema, &input_refs, parallelism);
    let mut refreshed = state.clone();
    let mut drift = Vec::new();
    let mut diags = Diagnostics::new();
    for (record, result) in selected.into_iter().zip(results) {
        let addr = record.instance_addr();
        let display = match &record.deposed {
            Some(d) => format!("{addr} (deposed object {d})"),
            None => addr.to_string(),
        };
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                diags.push(
                    Diag::error(format!("{display}: the provider failed while reading"), e)
                        .for_address(display.clone()),
                );
                continue;
            }
        };
        for d in &result.diagnostics {
            diags.push(Diag::from_provider(d, &display, None));
        }
        if crate::provider::has_errors(&result.diagnostics) {
            continue;
        }
        let rs = schema.resources.get(&record.type_name);
        let mut drift_entry = Drift {
            address: record.address.clone(),
            type_name: record.type_name.clone(),
            name: record.name.clone(),
            index_key: record.index_key.clone(),
            deposed: record.deposed.clone(),
            before: record.attributes.clone(),
            after: None,
            sensitive: record.sensitive_attributes.clone(),
        };
        let pending = record.pending_create.is_some();
        match result.state {
            None => {
                if !pending {
                    diags.push(Diag::warning(format!("{display} no longer exists"), "The object was deleted outside ycprov; it has been removed from the state and will be planned for creation if it is still configured.").for_address(display.clone()));
                    drift.push(drift_entry);
                }
                refreshed.remove(&addr, record.deposed.as_deref());
            }
            Some(new) => {
                if !pending && diff_attributes(rs, &record.attributes, &new) {
                    drift_entry.after = Some(new.clone());
                    drift.push(drift_entry);
                }
                let mut updated = record.clone();
                updated.attributes = new;
                updated.pending_create = None;
                refreshed.upsert(updated);
            }
        }
    }
    (refreshed, drift, diags)
}

/// Reads `records` in parallel: instances of types read together with `read_many`, up to
/// [`MAX_BATCH`] per call, the others one by one. One result per record, in order.
fn read_objects(
    (providers, config): (&Providers, &Config),
    schema: &Schema,
    records: &[&InstanceState],
    parallelism: usize,
) -> Vec<Result<ReadResult, String>> {
    let addrs: Vec<ProviderConfigAddr> = records
        .iter()
        .map(|record| config.provider_of_record(record))
        .collect();
    let mut batches: BTreeMap<(&ProviderConfigAddr, &str), Vec<usize>> = BTreeMap::new();
    let mut singles = Vec::new();
    for (index, record) in records.iter().enumerate() {
        if schema
            .resources
            .get(&record.type_name)
            .is_some_and(|rs| rs.read_batch)
        {
            batches
                .entry((&addrs[index], &record.type_name))
                .or_default()
                .push(index);
        } else {
            singles.push(vec![index]);
        }
    }
    let mut units: Vec<Vec<usize>> = batches
        .values()
        .flat_map(|indices| indices.chunks(MAX_BATCH).map(<[usize]>::to_vec))
        .collect();
    units.extend(singles);
    let unit_results = run_parallel(parallelism, &units, |unit| {
        let type_name = &records[unit[0]].type_name;
        let provider = match providers.require(&addrs[unit[0]]) {
            Ok(provider) => provider,
            Err(e) => return vec![Err(format!("{e:#}")); unit.len()],
        };
        let results = if let [index] = unit[..] {
            provider
                .read(type_name, &records[index].attributes)
                .map(|result| vec![result])
        } else {
            let states: Vec<Value> = unit
                .iter()
                .map(|&index| records[index].attributes.clone())
                .collect();
            provider.read_many(type_name, &states)
        };
        match results {
            Ok(results) if results.len() == unit.len() => results.into_iter().map(Ok).collect(),
            Ok(results) => {
                let why = format!(
                    "The provider returned {} results for {} objects. This is a bug in the provider.",
                    results.len(),
                    unit.len()
                );
                vec![Err(why); unit.len()]
            }
            Err(e) => vec![Err(format!("{e:#}")); unit.len()],
        }
    });
    let mut results: Vec<Option<Result<ReadResult, String>>> = vec![None; records.len()];
    for (unit, unit_results) in units.iter().zip(unit_results) {
        for (&index, result) in unit.iter().zip(unit_results) {
            results[index] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err("The object was not read.".to_string())))
        .collect()
}

fn root_attribute(path: &str) -> &str {
    let end = path.find(['.', '[']).unwrap_or(path.len());
    &path[..end]
}

/// The attribute names whose known planned value differs from `actual`.
pub fn changed_known_values(planned: &Value, actual: &Value) -> Vec<String> {
    let Some(planned) = planned.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, p) in planned {
        if contains_unknown(p) || crate::redact::is_redacted(p) {
            continue;
        }
        let a = actual.get(name).unwrap_or(&Value::Null);
        if !crate::config::values_equal(p, a) {
            out.push(name.clone());
        }
    }
    out
}

/// Problems when `planned` does not keep configured values (tfplugin6 rule).
fn invalid_plan_attributes(config: &Value, prior: Option<&Value>, planned: &Value) -> Vec<String> {
    let Some(cfg) = config.as_object() else {
        return Vec::new();
    };
    let mut bad = Vec::new();
    for (name, c) in cfg {
        if c.is_null() || contains_unknown(c) {
            continue;
        }
        let p = planned.get(name).unwrap_or(&Value::Null);
        let keeps_prior = prior.and_then(|pr| pr.get(name)).is_some_and(|pr| pr == p);
        if p != c && !keeps_prior {
            bad.push(name.clone());
        }
    }
    bad
}

/// Makes a plan. Errors come back as diagnostics with the resource address and
/// `file:line` of its block; warnings are kept in [`Plan::warnings`].
pub fn make_plan(req: &PlanRequest) -> Result<Plan, Diagnostics> {
    let config = req.config;
    let mut diags = Diagnostics::new();
    let (moved_state, moves) = apply_moves(config, req.state, &mut diags);
    let graph = resource_graph(config, &moved_state);
    let selection = Selection::new(req.targets, &graph, req.destroy);

    let new_plan = |prior: &State, drift: Vec<Drift>| Plan {
        destroy: req.destroy,
        changes: Vec::new(),
        drift,
        outputs: Vec::new(),
        prior: prior.clone(),
        state_existed: req.state_existed,
        targets: req.targets.iter().map(|t| t.to_string()).collect(),
        plan_time: req.plan_time.format(&Rfc3339).unwrap_or_default(),
        data_reads: Vec::new(),
        forgotten: Vec::new(),
        warnings: Vec::new(),
    };

    let mut planned_early = None;
    let (prior, drift) = if req.refresh {
        let ((refreshed, drift, refresh_diags), early) =
            refresh_while_planning(req, &moved_state, &selection, |prior| {
                let mut plan = new_plan(prior, Vec::new());
                let mut diags = Diagnostics::new();
                plan_apply(req, prior, &graph, &selection, &mut plan, &mut diags);
                (plan, diags)
            });
        diags.extend(refresh_diags);
        if diags.has_errors() {
            return Err(diags);
        }
        if refreshed == moved_state {
            planned_early = early;
        }
        (refreshed, drift)
    } else {
        let (resolved, resolve_diags) = resolve_pending_creates(
            req.providers,
            req.config,
            req.schema,
            &moved_state,
            &selection,
            req.parallelism,
        );
        diags.extend(resolve_diags);
        if diags.has_errors() {
            return Err(diags);
        }
        (resolved, Vec::new())
    };

    let mut prior = prior;
    let imports = if req.destroy {
        Imports::new()
    } else {
        let import_req = ImportRequest {
            config,
            schema: req.schema,
            variables: req.variables,
            providers: req.providers,
        };
        plan_imports(&import_req, &mut prior, &mut diags)
    };
    if diags.has_errors() {
        return Err(diags);
    }

    let mut plan = match planned_early {
        Some((plan, plan_diags)) => {
            diags.extend(plan_diags);
            plan
        }
        None if req.destroy => {
            let mut plan = new_plan(&prior, drift);
            plan_destroy(req, &prior, &selection, &mut plan, &mut diags);
            plan
        }
        None => {
            let mut plan = new_plan(&prior, drift);
            plan_apply(req, &prior, &graph, &selection, &mut plan, &mut diags);
            plan
        }
    };
    if !req.destroy {
        force_create_before_destroy(&mut plan.changes);
    }
    for change in plan.changes.iter_mut().filter(|c| c.deposed.is_none()) {
        change.previous_address = moves.get(&change.address).cloned();
        change.importing = imports.get(&change.address).cloned();
        if change.importing.is_some() && change.action == Action::Delete {
            diags.push(Diag::error(
                "Configuration for import target does not exist",
                format!("{} is imported, but the configuration does not declare this instance (check the count or for_each of its block).", change.address),
            ).for_address(change.address.clone()));
        }
    }
    sort_changes(&mut plan.changes);
    if diags.has_errors() {
        return Err(diags);
    }
    plan.warnings = diags.0;
    Ok(plan)
}

/// Sorts changes by instance address, then deposed key. Changes are compared by their
/// resource's rank among the plan's resources and their instance key, not by whole
/// addresses (a plan holds thousands of instances of a handful of resources).
fn sort_changes(changes: &mut Vec<ResourceChange>) {
    let addrs: Vec<InstanceAddr> = changes.iter().map(ResourceChange::instance_addr).collect();
    let resources: BTreeSet<&ResourceAddr> = addrs.iter().map(|a| &a.resource).collect();
    let rank: HashMap<&ResourceAddr, usize> = resources
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, i))
        .collect();
    let ranks: Vec<usize> = addrs.iter().map(|a| rank[&a.resource]).collect();
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by(|&a, &b| {
        ranks[a]
            .cmp(&ranks[b])
            .then_with(|| addrs[a].key.cmp(&addrs[b].key))
            .then_with(|| changes[a].deposed.cmp(&changes[b].deposed))
    });
    let mut slots: Vec<Option<ResourceChange>> =
        std::mem::take(changes).into_iter().map(Some).collect();
    changes.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// Refreshes `state` and, while the refresh waits for the API, plans with `state` as it
/// was read (`plan_early`), on a thread of its own. The early plan stands when the
/// refresh changes nothing, the common case of a plan that finds no drift; otherwise the
/// caller plans again with the refreshed state. Nothing is planned early when planning
/// itself calls the API (data sources, import blocks), for a destroy, or when no thread
/// can be started.
fn refresh_while_planning<P: Send>(
    req: &PlanRequest,
    state: &State,
    selection: &Selection,
    plan_early: impl FnOnce(&State) -> P + Send,
) -> ((State, Vec<Drift>, Diagnostics), Option<P>) {
    let config = req.config;
    let plans_offline = !req.destroy
        && config.imports.is_empty()
        && !config.resources.iter().any(|block| block.addr.is_data());
    let refresh = || {
        refresh_state(
            req.providers,
            config,
            req.schema,
            state,
            selection,
            req.parallelism,
        )
    };
    if !plans_offline {
        return (refresh(), None);
    }
    std::thread::scope(|scope| {
        let early = std::thread::Builder::new()
            .name("ycprov-plan".into())
            .stack_size(crate::limits::STACK_BYTES)
            .spawn_scoped(scope, || plan_early(state))
            .ok();
        let refreshed = refresh();
        (refreshed, early.and_then(|thread| thread.join().ok()))
    })
}

/// Terraform's rule for replacements under `create_before_destroy`: a resource replaced
/// create-before-destroy makes every resource it depends on that is also replaced
/// create-before-destroy too, or the apply order would loop (the new dependent needs the new
/// dependency, which waits for the old dependent to be destroyed).
fn force_create_before_destroy(changes: &mut [ResourceChange]) {
    let resource_of = |c: &ResourceChange| c.instance_addr().resource.to_string();
    let mut forced: BTreeSet<String> = BTreeSet::new();
    let mut frontier: Vec<String> = changes
        .iter()
        .filter(|c| c.action == Action::CreateThenDelete)
        .flat_map(|c| c.dependencies.clone())
        .collect();
    while let Some(resource) = frontier.pop() {
        if !forced.insert(resource.clone()) {
            continue;
        }
        for change in changes.iter().filter(|c| resource_of(c) == resource) {
            frontier.extend(change.dependencies.iter().cloned());
        }
    }
    for change in changes.iter_mut() {
        if change.action == Action::DeleteThenCreate && forced.contains(&resource_of(change)) {
            change.action = Action::CreateThenDelete;
        }
    }
}

fn delete_change(config: &Config, record: &InstanceState, reason: Option<&str>) -> ResourceChange {
    ResourceChange {
        address: record.address.clone(),
        module: record.module.clone(),
        mode: record.mode.clone(),
        type_name: record.type_name.clone(),
        name: record.name.clone(),
        provider: config.provider_of_record(record).state_string(),
        index_key: record.index_key.clone(),
        deposed: record.deposed.clone(),
        action: Action::Delete,
        before: Some(record.attributes.clone()),
        after: None,
        replace_paths: Vec::new(),
        before_sensitive: record.sensitive_attributes.clone(),
        after_sensitive: Vec::new(),
        dependencies: record.dependencies.clone(),
        reason: reason.map(str::to_string),
        replace_cause: None,
        previous_address: None,
        importing: None,
    }
}

fn prevent_destroy_error(config: &Config, addr: &InstanceAddr) -> Option<Diag> {
    let block = config.resource(&addr.resource)?;
    block.lifecycle.prevent_destroy.then(|| {
        Diag::error(
            "Instance cannot be destroyed",
            format!("{addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using -target."),
        )
        .at(config.location(&block.span))
        .for_address(addr.to_string())
    })
}

fn plan_destroy(
    req: &PlanRequest,
    prior: &State,
    selection: &Selection,
    plan: &mut Plan,
    diags: &mut Diagnostics,
) {
    for record in &prior.resources {
        let addr = record.instance_addr();
        if !selection.selects(&addr) {
            continue;
        }
        if addr.resource.is_data() {
            plan.forgotten.push(record.address.clone());
            continue;
        }
        if record.deposed.is_none()
            && let Some(d) = prevent_destroy_error(req.config, &addr)
        {
            diags.push(d);
        }
        plan.changes.push(delete_change(req.config, record, None));
    }
    if req.targets.is_empty() {
        for (name, out) in &prior.outputs {
            plan.outputs.push(OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(out.value.clone()),
                after: None,
                sensitive: out.sensitive,
            });
        }
    }
}

fn plan_apply(
    req: &PlanRequest,
    prior: &State,
    graph: &Graph<ResourceAddr>,
    selection: &Selection,
    plan: &mut Plan,
    diags: &mut Diagnostics,
) {
    let config = req.config;
    let deps = resource_dependencies(config);
    let needs = value_needs(config);
    let objects = prior
        .resources
        .iter()
        .filter(|r| r.deposed.is_none())
        .map(|r| (r.instance_addr(), r.attributes.clone()))
        .collect();
    let mut values =
        InstanceValues::new(config, req.schema, objects).with_state_marks(&prior.resources);
    let order = graph
        .topo_order()
        .unwrap_or_else(|_| graph.nodes().cloned().collect());
    let plan_time = req.plan_time;

    for res_addr in &order {
        let Some(block) = config.resource(res_addr) else {
            continue;
        };
        let Some(rs) = req.schema.of(res_addr) else {
            continue;
        };
        let expansion = {
            let ctx = EvalContext::new(
                config,
                Some(req.schema),
                req.variables,
                &values,
                Phase::Plan,
            )
            .with_times(plan_time, plan_time);
            match expand(&ctx, config, block, false) {
                Ok(e) => e,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        };
        if res_addr.is_data() {
            let data = DataPlanning {
                req,
                prior,
                selection,
                needs: &needs,
                dependencies: &deps,
            };
            data.plan_block(block, rs, &expansion, &mut values, plan, diags);
            continue;
        }
        let dependencies: Vec<String> = deps
            .get(res_addr)
            .into_iter()
            .flatten()
            .map(|d| d.to_string())
            .collect();
        let mut planned_values = Vec::new();
        let mut planned_marks = Vec::new();
        let mut steps = Vec::new();
        let selected: Vec<_> = expansion
            .instances()
            .into_iter()
            .map(|(key, inst_vars)| (res_addr.instance(key), inst_vars))
            .filter(|(addr, _)| selection.selects(addr))
            .collect();
        let evaluations = map_in_runs(cpus(), &selected, EVALS_PER_RUN, |(addr, inst_vars)| {
            let view = InstanceView {
                values: &values,
                config,
                needs: needs.get(res_addr),
                key: &addr.key,
            };
            let ctx = EvalContext::new(config, Some(req.schema), req.variables, &view, Phase::Plan)
                .with_times(plan_time, plan_time);
            eval_instance(&ctx, config, block, rs, inst_vars, addr)
        });
        for ((addr, _), evaluated) in selected.into_iter().zip(evaluations) {
            let prior_record = prior.instance(&addr);
            let mut inst_config = match evaluated {
                Ok(c) => c,
                Err(d) => {
                    steps.push(PlanStep::Failed(d));
                    continue;
                }
            };
            if let Some(p) = prior_record {
                apply_ignore_changes(&block.lifecycle, &mut inst_config.value, &p.attributes);
            }
            let cause = prior_record
                .filter(|p| p.pending_create.is_none())
                .and_then(|_| {
                    if req.replace.iter().any(|r| r.matches(&addr)) {
                        Some(ReplaceCause::Requested)
                    } else {
                        replacement_trigger(config, block, &addr.key, &plan.changes)
                            .map(ReplaceCause::Triggered)
                    }
                });
            let provider_addr = config.provider_for(block);
            let provider = match req.providers.require(&provider_addr) {
                Ok(provider) => provider,
                Err(e) => {
                    let mut failed = Diagnostics::new();
                    failed.push(
                        Diag::error(format!("{addr}: no provider"), format!("{e:#}"))
                            .at(config.location(&block.span))
                            .for_address(addr.to_string()),
                    );
                    steps.push(PlanStep::Failed(failed));
                    continue;
                }
            };
            steps.push(PlanStep::Ready(Box::new(InstanceToPlan {
                addr,
                prior_record,
                inst_config,
                cause,
                provider_addr,
                provider,
            })));
        }
        let ready: Vec<&InstanceToPlan> = steps
            .iter()
            .filter_map(|step| match step {
                PlanStep::Ready(p) => Some(&**p),
                PlanStep::Failed(_) => None,
            })
            .collect();
        let same_provider =
            |a: &&InstanceToPlan, b: &&InstanceToPlan| std::ptr::addr_eq(a.provider, b.provider);
        let mut planned_ready = run_parallel_runs(
            req.parallelism,
            &ready,
            CALLS_PER_INSTANCE,
            same_provider,
            |run| {
                let instances: Vec<(Option<&Value>, &Value)> = run
                    .iter()
                    .map(|p| (p.prior_record.map(|r| &r.attributes), &p.inst_config.value))
                    .collect();
                let answers = run[0]
                    .provider
                    .validate_and_plan_many(&res_addr.type_name, &instances);
                run.iter()
                    .zip(answers)
                    .map(|(p, answer)| {
                        finish_plan(
                            PlanInput {
                                provider: p.provider,
                                type_name: &res_addr.type_name,
                                addr: &p.addr,
                                prior: p.prior_record.map(|r| &r.attributes),
                                config: &p.inst_config.value,
                                create_before_destroy: block.lifecycle.create_before_destroy,
                                force_replace: p.cause.is_some(),
                            },
                            answer,
                        )
                    })
                    .collect()
            },
        )
        .into_iter();
        let planned: Vec<_> = steps
            .iter()
            .map(|step| match step {
                PlanStep::Ready(_) => planned_ready.next(),
                PlanStep::Failed(_) => None,
            })
            .collect();
        for (step, result) in steps.into_iter().zip(planned) {
            let (p, result) = match (step, result) {
                (PlanStep::Ready(p), Some(result)) => (p, result),
                (PlanStep::Failed(d), _) => {
                    diags.extend(d);
                    continue;
                }
                (PlanStep::Ready(_), None) => continue,
            };
            let InstanceToPlan {
                addr,
                prior_record,
                inst_config,
                cause,
                provider_addr,
                ..
            } = *p;
            match result {
                Ok((mut change, provider_diags)) => {
                    change.provider = provider_addr.state_string();
                    if change.action.is_replace() {
                        change.replace_cause = cause;
                    }
                    for d in provider_diags {
                        diags.push(config.place_in_block(
                            Diag::from_provider(&d, &addr.to_string(), None),
                            block,
                        ));
                    }
                    change.after_sensitive = inst_config.sensitive.iter().cloned().collect();
                    change.before_sensitive = prior_record
                        .map(|p| p.sensitive_attributes.clone())
                        .unwrap_or_default();
                    change.dependencies = dependencies.clone();
                    if change.action.is_replace()
                        && let Some(d) = prevent_destroy_error(config, &addr)
                    {
                        diags.push(d);
                    }
                    if let Some(after) = &change.after {
                        planned_values.push((addr.clone(), after.clone()));
                        planned_marks.push((addr.clone(), change.after_sensitive.clone()));
                    }
                    plan.changes.push(change);
                }
                Err(ds) => ds
                    .into_iter()
                    .for_each(|d| diags.push(config.place_in_block(d, block))),
            }
        }
        values.objects.extend(planned_values);
        values.marks.remove_resource(res_addr);
        for (addr, names) in planned_marks {
            values.mark(addr, &names);
        }
        if let Some(instances) = values.objects.of_mut(res_addr) {
            instances.retain(|key, _| {
                expansion.has_key(key) || !selection.selects(&res_addr.instance(key.clone()))
            });
        }
        for record in prior
            .resources
            .iter()
            .filter(|r| r.is_of(res_addr) && r.deposed.is_none())
        {
            let addr = record.instance_addr();
            if !expansion.has_key(&addr.key) && selection.selects(&addr) {
                if let Some(d) = prevent_destroy_error(config, &addr) {
                    diags.push(d);
                }
                plan.changes.push(delete_change(
                    req.config,
                    record,
                    Some("its key is no longer in the count or for_each of the configuration"),
                ));
            }
        }
    }
    for record in &prior.resources {
        let addr = record.instance_addr();
        if !selection.selects(&addr) {
            continue;
        }
        if addr.resource.is_data() {
            if config.resource(&addr.resource).is_none() {
                plan.forgotten.push(record.address.clone());
            }
        } else if record.deposed.is_some() {
            plan.changes.push(delete_change(
                req.config,
                record,
                Some("it is a deposed object left by an earlier create-before-destroy replacement"),
            ));
        } else if config.resource(&addr.resource).is_none() {
            match removed_block(config, &addr.resource) {
                Some(removed) if !removed.destroy => {
                    let mut change = delete_change(
                        req.config,
                        record,
                        Some("a removed block forgets it (lifecycle.destroy = false)"),
                    );
                    change.action = Action::Forget;
                    plan.forgotten.push(record.address.clone());
                    plan.changes.push(change);
                }
                Some(_) => plan.changes.push(delete_change(
                    req.config,
                    record,
                    Some("a removed block destroys it"),
                )),
                None => plan.changes.push(delete_change(
                    req.config,
                    record,
                    Some("its resource block is no longer in the configuration"),
                )),
            }
        }
    }
    plan_outputs(req, prior, &values, plan, diags);
    drop_in_background((values.objects, values.marks));
}

/// One configured instance on its way to the provider's plan, or what stopped it before.
enum PlanStep<'a> {
    /// Evaluated and ready to plan.
    Ready(Box<InstanceToPlan<'a>>),
    /// Its configuration could not be evaluated, or it has no provider.
    Failed(Diagnostics),
}

/// An instance whose configuration is evaluated, ready for [`finish_plan`].
struct InstanceToPlan<'a> {
    addr: InstanceAddr,
    prior_record: Option<&'a InstanceState>,
    inst_config: crate::instances::InstanceConfig,
    cause: Option<ReplaceCause>,
    provider_addr: ProviderConfigAddr,
    provider: &'a dyn Provider,
}

fn apply_ignore_changes(lifecycle: &crate::config::Lifecycle, config: &mut Value, prior: &Value) {
    let Some(cfg) = config.as_object_mut() else {
        return;
    };
    for (name, v) in cfg.iter_mut() {
        if lifecycle.ignore_all_changes || lifecycle.ignore_changes.contains(name) {
            *v = prior.get(name).cloned().unwrap_or(Value::Null);
        }
    }
}

/// What in `block`'s `replace_triggered_by` forces the instance with key `own` to be
/// replaced, given the changes planned so far (the referenced resources are planned
/// first): a referenced resource, or the instance its index selects, that is updated or
/// replaced, or a referenced attribute whose planned value differs from its current one.
fn replacement_trigger(
    config: &Config,
    block: &ResourceBlock,
    own: &InstanceKey,
    changes: &[ResourceChange],
) -> Option<String> {
    for trigger in &block.lifecycle.replace_triggered_by {
        let Some(target) = config.resource(&trigger.resource) else {
            continue;
        };
        let keys = match &trigger.index {
            Some(index) => Some(Needed::Only(vec![index.clone()]).keys(own, target)?),
            None => None,
        };
        let referenced = changes.iter().filter(|c| {
            c.deposed.is_none()
                && c.type_name == trigger.resource.type_name
                && c.name == trigger.resource.name
                && keys.as_ref().is_none_or(|keys| {
                    InstanceKey::from_json(&c.index_key).is_ok_and(|k| keys.contains(&k))
                })
        });
        for change in referenced {
            let fired = match &trigger.attribute {
                None => change.action == Action::Update || change.action.is_replace(),
                Some(name) => match (&change.before, &change.after) {
                    (Some(before), Some(after)) => {
                        let now = after.get(name).unwrap_or(&Value::Null);
                        is_unknown(now) || before.get(name).unwrap_or(&Value::Null) != now
                    }
                    _ => false,
                },
            };
            if fired {
                let attribute = trigger
                    .attribute
                    .as_ref()
                    .map(|a| format!(".{a}"))
                    .unwrap_or_default();
                return Some(format!("{}{attribute}", change.address));
            }
        }
    }
    None
}

/// Calls the provider's plan for one instance and decides the action; `force_replace`
/// makes it a replacement even when no configured value forces one.
/// What [`finish_plan`] plans: one configured instance.
struct PlanInput<'a> {
    provider: &'a dyn Provider,
    type_name: &'a str,
    addr: &'a InstanceAddr,
    prior: Option<&'a Value>,
    config: &'a Value,
    create_before_destroy: bool,
    force_replace: bool,
}

/// Turns the provider's answer to `validate_and_plan` for `input` into the instance's
/// change: checks the planned object, then decides no-op, update or replacement (planning
/// the replacement again as a create).
fn finish_plan(
    input: PlanInput<'_>,
    answer: anyhow::Result<(
        Vec<crate::provider::Diagnostic>,
        Option<crate::provider::PlannedChange>,
    )>,
) -> Result<(ResourceChange, Vec<crate::provider::Diagnostic>), Vec<Diag>> {
    let PlanInput {
        provider,
        type_name,
        addr,
        prior,
        config,
        create_before_destroy,
        force_replace,
    } = input;
    let display = addr.to_string();
    let provider_failed = |e: anyhow::Error| {
        vec![
            Diag::error(
                format!("{display}: the provider failed while planning"),
                format!("{e:#}"),
            )
            .for_address(display.clone()),
        ]
    };
    let (mut all_diags, planned) = answer.map_err(provider_failed)?;
    let Some(planned) = planned else {
        return Err(all_diags
            .iter()
            .map(|d| Diag::from_provider(d, &display, None))
            .collect());
    };
    all_diags.extend(planned.diagnostics.clone());
    if crate::provider::has_errors(&planned.diagnostics) {
        return Err(all_diags
            .iter()
            .map(|d| Diag::from_provider(d, &display, None))
            .collect());
    }
    let Some(after) = planned.planned.filter(Value::is_object) else {
        return Err(vec![Diag::error(format!("{display}: provider produced invalid plan"), "The provider returned no planned object for a configured resource. This is a bug in the provider.").for_address(display.clone())]);
    };
    let bad = invalid_plan_attributes(config, prior, &after);
    if !bad.is_empty() {
        return Err(vec![Diag::error(
            format!("{display}: provider produced invalid plan"),
            format!("The provider's planned value for {} does not match the configured value. This is a bug in the provider.", bad.join(", ")),
        )
        .for_address(display.clone())]);
    }
    let mut change = ResourceChange {
        address: display.clone(),
        module: addr.resource.module.clone(),
        mode: addr.resource.mode.as_str().to_string(),
        type_name: type_name.to_string(),
        name: addr.resource.name.clone(),
        provider: String::new(),
        index_key: addr.key.to_json(),
        deposed: None,
        action: Action::Create,
        before: prior.cloned(),
        after: Some(after.clone()),
        replace_paths: Vec::new(),
        before_sensitive: Vec::new(),
        after_sensitive: Vec::new(),
        dependencies: Vec::new(),
        reason: None,
        replace_cause: None,
        previous_address: None,
        importing: None,
    };
    let Some(prior) = prior else {
        return Ok((change, all_diags));
    };
    let changed: BTreeSet<&str> = after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| is_unknown(v) || prior.get(k.as_str()).unwrap_or(&Value::Null) != *v)
        .map(|(k, _)| k.as_str())
        .collect();
    if changed.is_empty() && !force_replace {
        change.action = Action::NoOp;
        return Ok((change, all_diags));
    }
    let replace_paths: Vec<String> = planned
        .requires_replace
        .iter()
        .filter(|p| changed.contains(root_attribute(p)))
        .cloned()
        .collect();
    if replace_paths.is_empty() && !force_replace {
        change.action = Action::Update;
        return Ok((change, all_diags));
    }
    let fresh = provider
        .plan(type_name, None, Some(config))
        .map_err(provider_failed)?;
    all_diags.extend(fresh.diagnostics.clone());
    if crate::provider::has_errors(&fresh.diagnostics) {
        return Err(fresh
            .diagnostics
            .iter()
            .map(|d| Diag::from_provider(d, &display, None))
            .collect());
    }
    change.after = fresh.planned.or(Some(after));
    change.replace_paths = replace_paths;
    change.action = if create_before_destroy {
        Action::CreateThenDelete
    } else {
        Action::DeleteThenCreate
    };
    Ok((change, all_diags))
}

/// Evaluates outputs against `values` for `plan`.
fn plan_outputs(
    req: &PlanRequest,
    prior: &State,
    values: &InstanceValues,
    plan: &mut Plan,
    diags: &mut Diagnostics,
) {
    let config = req.config;
    let ctx = EvalContext::new(config, Some(req.schema), req.variables, values, Phase::Plan)
        .with_times(req.plan_time, req.plan_time);
    for (name, out) in &config.outputs {
        let before = prior.outputs.get(name).map(|o| o.value.clone());
        let ev = match ctx.eval(&out.value, &Default::default()) {
            Ok(ev) => ev,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if ev.sensitive && !out.sensitive {
            diags.push(Diag::error("Output refers to sensitive values", format!("The output \"{name}\" uses a sensitive value. To show it only on request, add `sensitive = true` to the output block.")).at(config.location(&out.span)));
            continue;
        }
        let action = match &before {
            None => Action::Create,
            Some(b) if !contains_unknown(&ev.value) && b == &ev.value => Action::NoOp,
            Some(_) => Action::Update,
        };
        plan.outputs.push(OutputChange {
            name: name.clone(),
            action,
            before,
            after: Some(ev.value),
            sensitive: out.sensitive,
        });
    }
    if req.targets.is_empty() {
        for (name, out) in &prior.outputs {
            if !config.outputs.contains_key(name) {
                plan.outputs.push(OutputChange {
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(out.value.clone()),
                    after: None,
                    sensitive: out.sensitive,
                });
            }
        }
    }
}

/// The resource dependencies of every configured resource as strings (for state).
pub fn dependency_strings(config: &Config) -> BTreeMap<ResourceAddr, Vec<String>> {
    resource_dependencies(config)
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|d| d.to_string()).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(module: &str, mode: &str, type_name: &str, name: &str, key: Value) -> ResourceChange {
        serde_json::from_value(serde_json::json!({
            "address": format!("{type_name}.{name}"),
            "module": module,
            "mode": mode,
            "type": type_name,
            "name": name,
            "index_key": key,
            "action": "create",
            "before": null,
            "after": null,
            "replace_paths": [],
            "before_sensitive": [],
            "after_sensitive": [],
            "dependencies": [],
        }))
        .unwrap()
    }

    #[test]
    fn changes_sort_as_their_addresses_then_deposed_keys() {
        use serde_json::json;
        let mut deposed = change("", "managed", "t_a", "x", json!("k"));
        deposed.deposed = Some("00000002".into());
        let mut deposed_first = deposed.clone();
        deposed_first.deposed = Some("00000001".into());
        let cases: Vec<(&str, Vec<ResourceChange>)> = vec![
            ("empty", vec![]),
            (
                "types, names, modes and modules",
                vec![
                    change("module.m[\"a\"]", "managed", "t_a", "x", Value::Null),
                    change("", "managed", "t_b", "a", Value::Null),
                    change("", "data", "t_a", "x", Value::Null),
                    change("", "managed", "t_a_longer", "x", Value::Null),
                    change("", "managed", "t_a", "y", Value::Null),
                    change("", "managed", "t_a", "x", Value::Null),
                ],
            ),
            (
                "count and for_each keys",
                vec![
                    change("", "managed", "t_a", "n", json!(10)),
                    change("", "managed", "t_a", "n", json!(9)),
                    change("", "managed", "t_a", "s", json!("b")),
                    change("", "managed", "t_a", "s", json!("a-10")),
                    change("", "managed", "t_a", "s", json!("a-9")),
                ],
            ),
            (
                "deposed objects after the current one",
                vec![
                    deposed.clone(),
                    change("", "managed", "t_a", "x", json!("k")),
                    deposed_first,
                ],
            ),
        ];
        for (name, changes) in cases {
            let mut expected = changes.clone();
            expected.sort_by_key(|c| (c.instance_addr(), c.deposed.clone()));
            let mut sorted = changes;
            sort_changes(&mut sorted);
            let addresses = |cs: &[ResourceChange]| -> Vec<(String, Option<String>)> {
                cs.iter()
                    .map(|c| (c.instance_addr().to_string(), c.deposed.clone()))
                    .collect()
            };
            assert_eq!(addresses(&sorted), addresses(&expected), "{name}");
        }
    }
}
