//! The configuration blocks that act on the state while planning: `moved` renames
//! objects before anything is read, `import` adopts existing objects after refresh, and
//! `removed` decides whether a resource gone from the configuration is destroyed or only
//! forgotten.

use std::collections::BTreeMap;

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr};
use crate::config::{
    AddressRef, Config, EvalContext, ImportBlock, InstanceVars, Phase, ResourceBlock, StaticIndex,
    Variables,
};
use crate::diagnostics::{Diag, Diagnostics};
use crate::instances::{InstanceValues, expand, with_all_attributes};
use crate::provider::Schema;
use crate::providers::Providers;
use crate::state::{InstanceState, State};

/// Where moved objects came from: new instance address → old one.
pub type Moves = BTreeMap<String, String>;

/// Objects imported while planning: instance address → the id it was imported by.
pub type Imports = BTreeMap<String, String>;

/// The instance key an address reference selects (none for a whole resource).
fn literal_key(reference: &AddressRef) -> Option<InstanceKey> {
    match &reference.index {
        Some(StaticIndex::Literal(key)) => Some(key.clone()),
        _ => None,
    }
}

/// `state` with the objects of every `moved` block's `from` renamed to its `to`, in the
/// order the blocks are written (so chains A→B, B→C end at C). A move whose destination
/// already holds objects is skipped with a warning.
pub fn apply_moves(config: &Config, state: &State, diags: &mut Diagnostics) -> (State, Moves) {
    let mut moved = state.clone();
    let mut moves = Moves::new();
    for block in &config.moved {
        let from_key = literal_key(&block.from);
        let to_key = literal_key(&block.to);
        let mut selected: Vec<InstanceState> = moved
            .resources
            .iter()
            .filter(|r| {
                let addr = r.instance_addr();
                addr.resource == block.from.resource
                    && from_key.as_ref().is_none_or(|k| &addr.key == k)
            })
            .cloned()
            .collect();
        selected.dedup_by(|a, b| a.address == b.address);
        if selected.is_empty() {
            continue;
        }
        let destination = |record: &InstanceState| -> InstanceAddr {
            let key = match &to_key {
                Some(key) => key.clone(),
                None => record.instance_addr().key,
            };
            block.to.resource.instance(key)
        };
        let occupied = selected.iter().any(|record| {
            let to = destination(record);
            moved.instance(&to).is_some()
        });
        if occupied {
            diags.push(
                Diag::warning(
                    "Moved object still exists",
                    format!("This moved block moves {} to {}, but objects exist at both; the move is skipped. Remove the objects at one of the two addresses (e.g. with `ycprov state rm`), or remove this block.", block.from, block.to),
                )
                .at(config.location(&block.span)),
            );
            continue;
        }
        for record in selected {
            let old = record.address.clone();
            let to = destination(&record);
            let renamed = InstanceState {
                address: to.to_string(),
                module: to.resource.module.clone(),
                type_name: to.resource.type_name.clone(),
                name: to.resource.name.clone(),
                index_key: to.key.to_json(),
                ..record.clone()
            };
            let previous = moves.remove(&old).unwrap_or(old.clone());
            moves.insert(renamed.address.clone(), previous);
            let objects: Vec<InstanceState> = moved
                .resources
                .iter()
                .filter(|o| o.address == old)
                .map(|o| InstanceState {
                    address: renamed.address.clone(),
                    module: renamed.module.clone(),
                    type_name: renamed.type_name.clone(),
                    name: renamed.name.clone(),
                    index_key: renamed.index_key.clone(),
                    ..o.clone()
                })
                .collect();
            moved.replace_objects(&old, Vec::new());
            moved.replace_objects(&renamed.address, objects);
        }
    }
    (moved, moves)
}

/// What importing needs from the plan's request.
pub struct ImportRequest<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The provider schema.
    pub schema: &'a Schema,
    /// Resolved input variables.
    pub variables: &'a Variables,
    /// The providers.
    pub providers: &'a Providers<'a>,
}

/// Imports into `prior` every object an `import` block names that the state does not hold
/// yet; returns what was imported. Errors name the block.
pub fn plan_imports(req: &ImportRequest, prior: &mut State, diags: &mut Diagnostics) -> Imports {
    let mut imports = Imports::new();
    for block in &req.config.imports {
        for (addr, id) in import_targets(req, block, diags) {
            if prior.instance(&addr).is_some() {
                continue;
            }
            if let Some(previous) = imports.get(&addr.to_string()) {
                diags.push(
                    Diag::error(
                        "Duplicate import target",
                        format!("{addr} is imported twice (ids \"{previous}\" and \"{id}\")."),
                    )
                    .at(req.config.location(&block.span)),
                );
                continue;
            }
            match import_one(req, block, &addr, &id) {
                Ok(record) => {
                    prior.upsert(record);
                    imports.insert(addr.to_string(), id);
                }
                Err(d) => diags.extend(d),
            }
        }
    }
    imports
}

/// Every (address, id) an import block names, its `for_each` expanded.
fn import_targets(
    req: &ImportRequest,
    block: &ImportBlock,
    diags: &mut Diagnostics,
) -> Vec<(InstanceAddr, String)> {
    let config = req.config;
    let values = InstanceValues::new(config, req.schema, Default::default());
    let ctx = EvalContext::new(
        config,
        Some(req.schema),
        req.variables,
        &values,
        Phase::Plan,
    );
    let instances: Vec<InstanceVars> = match &block.for_each {
        None => vec![InstanceVars::default()],
        Some(for_each) => {
            let holder = ResourceBlock {
                addr: block.to.resource.clone(),
                span: block.span.clone(),
                attributes: BTreeMap::new(),
                count: None,
                for_each: Some(for_each.clone()),
                depends_on: Vec::new(),
                lifecycle: Default::default(),
                provider: None,
                nested_blocks: Default::default(),
            };
            match expand(&ctx, config, &holder, false) {
                Ok(expansion) => expansion.instances().into_iter().map(|(_, v)| v).collect(),
                Err(d) => {
                    diags.push(d);
                    return Vec::new();
                }
            }
        }
    };
    let mut targets = Vec::new();
    for vars in instances {
        let key = match &block.to.index {
            None => InstanceKey::None,
            Some(StaticIndex::Literal(key)) => key.clone(),
            Some(StaticIndex::EachKey) => match &vars.each {
                Some((key, _)) => InstanceKey::Str(key.clone()),
                None => InstanceKey::None,
            },
            Some(StaticIndex::CountIndex) => InstanceKey::None,
        };
        match ctx.eval(&block.id, &vars) {
            Ok(v) => match v.value.as_str() {
                Some(id) if !id.is_empty() => {
                    targets.push((block.to.resource.instance(key), id.to_string()))
                }
                _ => diags.push(
                    Diag::error(
                        "Invalid import id",
                        format!(
                            "The id of an import block must be a known, non-empty string; got {}.",
                            v.value
                        ),
                    )
                    .at(config.location(&block.id.span)),
                ),
            },
            Err(d) => diags.push(d),
        }
    }
    targets
}

/// Imports one object with its provider: its state record, or the errors.
fn import_one(
    req: &ImportRequest,
    block: &ImportBlock,
    addr: &InstanceAddr,
    id: &str,
) -> Result<InstanceState, Diagnostics> {
    let config = req.config;
    let at = config.location(&block.span);
    let fail = |summary: String, detail: String| {
        let mut d = Diagnostics::new();
        d.push(
            Diag::error(summary, detail)
                .at(at.clone())
                .for_address(addr.to_string()),
        );
        d
    };
    let Some(target) = config.resource(&addr.resource) else {
        return Err(fail(
            "Configuration for import target does not exist".into(),
            format!(
                "The configuration does not contain a resource block for {}.",
                addr.resource
            ),
        ));
    };
    let key_fits = matches!(
        (&addr.key, target.count.is_some(), target.for_each.is_some()),
        (InstanceKey::None, false, false)
            | (InstanceKey::Int(_), true, _)
            | (InstanceKey::Str(_), _, true)
    );
    if !key_fits {
        return Err(fail(
            "Invalid import address".into(),
            format!(
                "{addr} does not match the count or for_each of {}.",
                addr.resource
            ),
        ));
    }
    let provider_addr = match &block.provider {
        Some(p) => config.provider_addr(&p.local_name, p.alias.as_deref()),
        None => config.provider_for(target),
    };
    let provider = req
        .providers
        .require(&provider_addr)
        .map_err(|e| fail(format!("{addr}: no provider"), format!("{e:#}")))?;
    let imported = provider.import(&addr.resource.type_name, id).map_err(|e| {
        fail(
            format!("{addr}: the provider failed while importing"),
            format!("{e:#}"),
        )
    })?;
    let mut diags = Diagnostics::new();
    for d in &imported.diagnostics {
        diags.push(Diag::from_provider(d, &addr.to_string(), at.clone()));
    }
    if crate::provider::has_errors(&imported.diagnostics) {
        return Err(diags);
    }
    let Some(state) = imported.state.filter(serde_json::Value::is_object) else {
        return Err(fail(
            "Cannot import non-existent remote object".to_string(),
            format!(
                "While attempting to import an existing object to {addr}, the provider found no object with id \"{id}\". Check the id, and that the credentials may read it."
            ),
        ));
    };
    let rs = req.schema.resources.get(&addr.resource.type_name);
    let mut record = InstanceState::new(
        addr,
        rs.map(|s| s.version).unwrap_or(0),
        with_all_attributes(rs, &state),
        rs.map(|s| s.sensitive_attributes()).unwrap_or_default(),
        Vec::new(),
    );
    record.provider = provider_addr.state_string();
    Ok(record)
}

/// The `removed` block of `resource`, if the configuration has one.
pub fn removed_block<'c>(
    config: &'c Config,
    resource: &ResourceAddr,
) -> Option<&'c crate::config::RemovedBlock> {
    config.removed.iter().find(|r| &r.from.resource == resource)
}
