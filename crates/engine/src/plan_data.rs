//! Planning `data` blocks: each instance is read while planning when its configuration is
//! wholly known and nothing it depends on has a change planned; otherwise its read is
//! deferred to apply (a [`Action::Read`] change whose result is unknown until then), as
//! Terraform does.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::address::{InstanceAddr, ResourceAddr};
use crate::config::{EvalContext, Phase, ResourceBlock};
use crate::diagnostics::{Diag, Diagnostics};
use crate::instance_needs::{InstanceView, Needed};
use crate::instances::{Expansion, InstanceValues, eval_instance, with_all_attributes};
use crate::plan::{Action, Plan, PlanRequest, ResourceChange, Selection};
use crate::provider::{Provider, ResourceSchema};
use crate::state::{InstanceState, State};
use crate::value::{contains_unknown, unknown};

/// What planning the data blocks shares with the rest of the plan.
pub(crate) struct DataPlanning<'a> {
    /// The plan's request.
    pub req: &'a PlanRequest<'a>,
    /// The refreshed state.
    pub prior: &'a State,
    /// The `-target` selection.
    pub selection: &'a Selection,
    /// What each resource reads of others (for evaluating an instance).
    pub needs: &'a BTreeMap<ResourceAddr, BTreeMap<ResourceAddr, Needed>>,
    /// The resources each resource depends on.
    pub dependencies: &'a BTreeMap<ResourceAddr, BTreeSet<ResourceAddr>>,
}

impl DataPlanning<'_> {
    /// Plans every selected instance of the data block `block`: reads it now, or plans its
    /// read for apply. Its values (read, or unknown until apply) become visible in `values`.
    pub fn plan_block(
        &self,
        block: &ResourceBlock,
        rs: &ResourceSchema,
        expansion: &Expansion,
        values: &mut InstanceValues,
        plan: &mut Plan,
        diags: &mut Diagnostics,
    ) {
        let config = self.req.config;
        let res_addr = &block.addr;
        let depends_on = self.dependencies.get(res_addr);
        let dependency_names: Vec<String> = depends_on
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect();
        let waits_for_changes = {
            let changed: BTreeSet<ResourceAddr> = plan
                .changes
                .iter()
                .filter(|c| c.action != Action::NoOp)
                .map(|c| c.instance_addr().resource)
                .collect();
            depends_on
                .into_iter()
                .flatten()
                .any(|d| changed.contains(d))
        };
        let provider_addr = config.provider_for(block);
        for (key, inst_vars) in expansion.instances() {
            let addr = res_addr.instance(key);
            if !self.selection.selects(&addr) {
                continue;
            }
            let evaluated = {
                let view = InstanceView {
                    values,
                    config,
                    needs: self.needs.get(res_addr),
                    key: &addr.key,
                };
                let ctx = EvalContext::new(
                    config,
                    Some(self.req.schema),
                    self.req.variables,
                    &view,
                    Phase::Plan,
                )
                .with_times(self.req.plan_time, self.req.plan_time);
                eval_instance(&ctx, config, block, rs, &inst_vars, &addr)
            };
            let inst_config = match evaluated {
                Ok(c) => c,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            let sensitive: Vec<String> = inst_config.sensitive.iter().cloned().collect();
            if waits_for_changes || contains_unknown(&inst_config.value) {
                let after = planned_read(rs, &inst_config.value);
                values.objects.insert(addr.clone(), after.clone());
                values.mark(addr.clone(), &sensitive);
                plan.changes.push(ResourceChange {
                    address: addr.to_string(),
                    module: res_addr.module.clone(),
                    mode: res_addr.mode.as_str().to_string(),
                    type_name: res_addr.type_name.clone(),
                    name: res_addr.name.clone(),
                    provider: provider_addr.state_string(),
                    index_key: addr.key.to_json(),
                    deposed: None,
                    action: Action::Read,
                    before: self.prior.instance(&addr).map(|r| r.attributes.clone()),
                    after: Some(after),
                    replace_paths: Vec::new(),
                    before_sensitive: Vec::new(),
                    after_sensitive: sensitive,
                    dependencies: dependency_names.clone(),
                    reason: Some(if waits_for_changes {
                        "it depends on resources with changes planned".to_string()
                    } else {
                        "its configuration depends on values known only after apply".to_string()
                    }),
                    replace_cause: None,
                    previous_address: None,
                    importing: None,
                });
                continue;
            }
            let provider = match self.req.providers.require(&provider_addr) {
                Ok(provider) => provider,
                Err(e) => {
                    diags.push(
                        Diag::error(format!("{addr}: no provider"), format!("{e:#}"))
                            .at(config.location(&block.span))
                            .for_address(addr.to_string()),
                    );
                    continue;
                }
            };
            match read_now(provider, &addr, rs, &inst_config.value) {
                Ok((state, provider_diags)) => {
                    for d in provider_diags {
                        diags.push(config.place_in_block(d, block));
                    }
                    values.objects.insert(addr.clone(), state.clone());
                    values.mark(addr.clone(), &sensitive);
                    let mut record = InstanceState::new(
                        &addr,
                        rs.version,
                        state,
                        sensitive,
                        dependency_names.clone(),
                    );
                    record.provider = provider_addr.state_string();
                    plan.data_reads.push(record);
                }
                Err(ds) => ds
                    .into_iter()
                    .for_each(|d| diags.push(config.place_in_block(d, block))),
            }
        }
        for record in self.prior.resources.iter().filter(|r| r.mode == "data") {
            let addr = record.instance_addr();
            if &addr.resource == res_addr
                && !expansion.has_key(&addr.key)
                && self.selection.selects(&addr)
            {
                plan.forgotten.push(record.address.clone());
                values.objects.remove(&addr);
            }
        }
    }
}

/// What a deferred read will produce: the configured values, and unknown for every
/// attribute the configuration leaves to the provider.
fn planned_read(rs: &ResourceSchema, config: &Value) -> Value {
    let mut out = Map::new();
    for (name, attribute) in &rs.attributes {
        let configured = config.get(name).cloned().unwrap_or(Value::Null);
        let value = if configured.is_null() && attribute.computed {
            unknown()
        } else {
            configured
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// Reads one data source instance with the provider: its state (every attribute present)
/// and the provider's warnings, or the errors.
pub(crate) fn read_now(
    provider: &dyn Provider,
    addr: &InstanceAddr,
    rs: &ResourceSchema,
    config: &Value,
) -> Result<(Value, Vec<Diag>), Vec<Diag>> {
    let display = addr.to_string();
    let result = provider
        .read_data_source(&addr.resource.type_name, config)
        .map_err(|e| {
            vec![
                Diag::error(
                    format!("{display}: the provider failed while reading the data source"),
                    format!("{e:#}"),
                )
                .for_address(display.clone()),
            ]
        })?;
    let diags: Vec<Diag> = result
        .diagnostics
        .iter()
        .map(|d| Diag::from_provider(d, &display, None))
        .collect();
    if crate::provider::has_errors(&result.diagnostics) {
        return Err(diags);
    }
    match result.state.filter(Value::is_object) {
        Some(state) if !contains_unknown(&state) => Ok((with_all_attributes(Some(rs), &state), diags)),
        _ => Err(vec![
            Diag::error(
                format!("{display}: provider produced an invalid data source state"),
                "The provider returned no object, or one with unknown values, for a data source it read without an error. This is a bug in the provider.",
            )
            .for_address(display),
        ]),
    }
}
