//! Static checks of a configuration against the provider schema: resource types,
//! attributes, references and cycles. All run before any provider call that
//! touches the cloud.

use std::collections::{BTreeMap, BTreeSet};

use super::references::{ReferenceKind, references_of};
use super::{Config, Expr, Span};
use crate::address::ResourceAddr;
use crate::diagnostics::{Diag, Diagnostics, did_you_mean};
use crate::graph::Graph;
use crate::provider::Schema;

/// A node of the configuration's reference graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Resource(ResourceAddr),
    Local(String),
    Output(String),
}

impl Node {
    fn label(&self) -> String {
        match self {
            Node::Resource(a) => a.to_string(),
            Node::Local(n) => format!("local.{n}"),
            Node::Output(n) => format!("output.{n}"),
        }
    }
}

/// Checks `config` against `schema`; returns every problem found, each with `file:line`.
pub fn validate_config(config: &Config, schema: &Schema) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let err = |span: &Span, summary: String, detail: String| {
        Diag::error(summary, detail).at(config.location(span))
    };
    let types: Vec<&str> = schema.resources.keys().map(String::as_str).collect();
    let data_types: Vec<&str> = schema.data_sources.keys().map(String::as_str).collect();

    for provider in &config.providers {
        let source = config.source_of(&provider.name);
        if let Some(accepted) = schema.providers.get(&source).filter(|a| !a.is_empty()) {
            for (name, expr) in &provider.attributes {
                if !accepted.contains_key(name) {
                    let hint = did_you_mean(name, accepted.keys().map(String::as_str));
                    diags.push(err(&expr.span, "Unsupported argument".into(), format!("An argument named \"{name}\" is not expected in the provider \"{}\" block.{hint}", provider.name)));
                }
            }
        }
        for expr in provider.attributes.values() {
            for r in references_of(expr) {
                if matches!(r.kind, ReferenceKind::Resource { .. }) {
                    diags.push(err(
                        &r.span,
                        "Invalid provider configuration reference".into(),
                        "The provider block may reference variables and locals, but not resources."
                            .into(),
                    ));
                }
            }
        }
    }

    diags.extend(check_required_providers(config));
    diags.extend(check_state_blocks(config));

    for res in &config.resources {
        let addr = &res.addr;
        let provider = config.provider_for(res);
        if let Some(meta) = &res.provider
            && meta.alias.is_some()
            && config.provider_block(&provider).is_none()
        {
            diags.push(err(&meta.span, "Provider configuration not present".into(), format!("{addr} uses {provider}, but the configuration has no provider \"{}\" block with alias = \"{}\". Add one, or remove the provider argument.", meta.local_name, meta.alias.as_deref().unwrap_or_default())));
            continue;
        }
        let Some(rs) = schema.of(addr) else {
            let (kind, plural, types) = if addr.is_data() {
                ("data source", "Supported data sources", &data_types)
            } else {
                ("resource type", "Supported types", &types)
            };
            let hint = did_you_mean(&addr.type_name, types.iter().copied());
            diags.push(err(&res.span, format!("Invalid {kind} \"{}\"", addr.type_name), format!("No provider of this configuration supports {kind} \"{}\" ({} is {}).{hint} {plural}: {}.", addr.type_name, provider, provider.short_source(), types.join(", "))));
            continue;
        };
        let type_sources = if addr.is_data() {
            &schema.data_type_sources
        } else {
            &schema.type_sources
        };
        if let Some(source) = type_sources.get(&addr.type_name)
            && *source != provider.source
        {
            diags.push(err(&res.span, format!("Invalid resource type \"{}\"", addr.type_name), format!("{addr} uses {provider} ({}), but the type {} belongs to {source}. Set the provider argument to a configuration of that provider.", provider.short_source(), addr.type_name)));
            continue;
        }
        for (name, expr) in &res.attributes {
            if res.nested_blocks.contains(name) {
                if let Some(diag) = nested_block_problem(&res.addr, name, expr, rs) {
                    diags.push(err(&expr.span, diag.0, diag.1));
                }
                continue;
            }
            match rs.attributes.get(name) {
                None => {
                    let hint = did_you_mean(
                        name,
                        rs.attributes
                            .iter()
                            .filter(|(_, a)| a.configurable())
                            .map(|(n, _)| n.as_str()),
                    );
                    diags.push(err(
                        &expr.span,
                        "Unsupported argument".into(),
                        format!(
                            "An argument named \"{name}\" is not expected in {}.{hint}",
                            addr.type_name
                        ),
                    ));
                }
                Some(a) if !a.configurable() => {
                    diags.push(err(&expr.span, "Value for unconfigurable attribute".into(), format!("Can't configure a value for \"{name}\": its value will be decided automatically by the provider.")));
                }
                Some(_) => {}
            }
        }
        for (name, a) in &rs.attributes {
            if a.required && !res.attributes.contains_key(name) {
                diags.push(err(&res.span, "Missing required argument".into(), format!("The argument \"{name}\" is required in {addr}, but no definition was found.")));
            }
        }
        for name in &res.lifecycle.ignore_changes {
            if !rs.attributes.contains_key(name) {
                let hint = did_you_mean(name, rs.attributes.keys().map(String::as_str));
                diags.push(err(
                    &res.span,
                    "Invalid ignore_changes entry".into(),
                    format!("{addr} has no attribute \"{name}\".{hint}"),
                ));
            }
        }
        for (dep, span) in &res.depends_on {
            if config.resource(dep).is_none() {
                diags.push(err(
                    span,
                    "Reference to undeclared resource".into(),
                    format!("depends_on names {dep}, which is not declared."),
                ));
            }
        }
        for trigger in &res.lifecycle.replace_triggered_by {
            let target = &trigger.resource;
            if config.resource(target).is_none() {
                diags.push(err(
                    &trigger.span,
                    "Reference to undeclared resource".into(),
                    format!("replace_triggered_by names {target}, which is not declared."),
                ));
            } else if target == addr {
                diags.push(err(
                    &trigger.span,
                    "Invalid replace_triggered_by expression".into(),
                    format!("{addr} cannot be replaced because of a change to itself."),
                ));
            } else if let (Some(name), Some(ts)) = (&trigger.attribute, schema.of(target))
                && !ts.attributes.contains_key(name)
            {
                let hint = did_you_mean(name, ts.attributes.keys().map(String::as_str));
                diags.push(err(
                    &trigger.span,
                    "Unsupported attribute".into(),
                    format!("{target} has no attribute \"{name}\".{hint}"),
                ));
            }
        }
    }

    let check_refs = |expr: &Expr, instance: InstanceMeta, diags: &mut Diagnostics| {
        for r in references_of(expr) {
            match &r.kind {
                ReferenceKind::Variable(name) if !config.variables.contains_key(name) => {
                    let hint = did_you_mean(name, config.variables.keys().map(String::as_str));
                    diags.push(err(&r.span, "Reference to undeclared input variable".into(), format!("An input variable with the name \"{name}\" has not been declared.{hint} Declare it with a variable \"{name}\" {{}} block.")));
                }
                ReferenceKind::Local(name) if !config.locals.contains_key(name) => {
                    let hint = did_you_mean(name, config.locals.keys().map(String::as_str));
                    diags.push(err(
                        &r.span,
                        "Reference to undeclared local value".into(),
                        format!(
                            "A local value with the name \"{name}\" has not been declared.{hint}"
                        ),
                    ));
                }
                ReferenceKind::Count if !instance.count => {
                    diags.push(err(&r.span, "Reference to \"count\" in non-counted context".into(), "count.index is only available in resources that set the \"count\" argument.".into()));
                }
                ReferenceKind::Each if !instance.for_each => {
                    diags.push(err(&r.span, "Reference to \"each\" in context without for_each".into(), "each.key and each.value are only available in resources that set the \"for_each\" argument.".into()));
                }
                ReferenceKind::Resource {
                    addr,
                    attribute,
                    indexed,
                    ..
                } => {
                    let Some(target) = config.resource(addr) else {
                        let same: Vec<&str> = config
                            .resources
                            .iter()
                            .filter(|r| {
                                r.addr.type_name == addr.type_name && r.addr.mode == addr.mode
                            })
                            .map(|r| r.addr.name.as_str())
                            .collect();
                        let mut hint = did_you_mean(&addr.name, same);
                        if hint.is_empty()
                            && schema.of(addr).is_none()
                            && !config
                                .resources
                                .iter()
                                .any(|r| r.addr.type_name == addr.type_name)
                        {
                            hint = did_you_mean(&addr.type_name, types.iter().copied());
                        }
                        diags.push(err(
                            &r.span,
                            "Reference to undeclared resource".into(),
                            format!(
                                "A {} \"{}\" \"{}\" has not been declared.{hint}",
                                if addr.is_data() {
                                    "data source"
                                } else {
                                    "managed resource"
                                },
                                addr.type_name,
                                addr.name
                            ),
                        ));
                        continue;
                    };
                    let expanded = target.count.is_some() || target.for_each.is_some();
                    if expanded && !indexed && attribute.is_some() {
                        diags.push(err(&r.span, "Missing resource instance key".into(), format!("Because {addr} has \"count\" or \"for_each\" set, its attributes must be accessed on specific instances, e.g. {addr}[0] or {addr}[each.key].")));
                        continue;
                    }
                    if !expanded && *indexed && attribute.is_some() {
                        diags.push(err(&r.span, "Unexpected resource instance key".into(), format!("Because {addr} does not have \"count\" or \"for_each\" set, references to it must not include an index key.")));
                        continue;
                    }
                    if let (Some(attr), Some(rs)) = (attribute, schema.of(addr))
                        && !rs.attributes.contains_key(attr)
                    {
                        let hint = did_you_mean(attr, rs.attributes.keys().map(String::as_str));
                        diags.push(err(
                            &r.span,
                            "Unsupported attribute".into(),
                            format!(
                                "This object ({}) has no attribute named \"{attr}\".{hint}",
                                addr.type_name
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
    };
    for res in &config.resources {
        for expr in res
            .attributes
            .values()
            .chain(res.count.iter())
            .chain(res.for_each.iter())
        {
            let instance = InstanceMeta {
                count: res.count.is_some(),
                for_each: res.for_each.is_some(),
            };
            check_refs(expr, instance, &mut diags);
        }
    }
    for local in config.locals.values() {
        let instance = InstanceMeta {
            count: local
                .instance
                .as_ref()
                .is_some_and(|i| i.count_index.is_some()),
            for_each: local.instance.as_ref().is_some_and(|i| i.each.is_some()),
        };
        check_refs(&local.expr, instance, &mut diags);
    }
    for out in config.outputs.values() {
        check_refs(&out.value, InstanceMeta::default(), &mut diags);
        for (dep, span) in &out.depends_on {
            if config.resource(dep).is_none() {
                diags.push(err(
                    span,
                    "Reference to undeclared resource".into(),
                    format!("depends_on names {dep}, which is not declared."),
                ));
            }
        }
    }
    for p in &config.providers {
        for expr in p.attributes.values() {
            check_refs(expr, InstanceMeta::default(), &mut diags);
        }
    }
    if diags.has_errors() {
        return diags;
    }
    if let Err(cycle) = reference_graph(config).topo_order() {
        let labels: Vec<String> = cycle.iter().map(Node::label).collect();
        let span = match &cycle[0] {
            Node::Resource(a) => config.resource(a).map(|r| r.span.clone()),
            Node::Local(n) => config.locals.get(n).map(|l| l.expr.span.clone()),
            Node::Output(n) => config.outputs.get(n).map(|o| o.span.clone()),
        };
        diags.push(
            Diag::error("Cycle in references", format!("These objects refer to each other in a loop: {}. Break the loop by removing one of the references.", labels.join(" -> ")))
                .at(span.and_then(|s| config.location(&s))),
        );
    }
    diags
}

/// Errors for `moved`, `removed` and `import` blocks that contradict the configuration.
fn check_state_blocks(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |span: &Span| config.location(span);
    for moved in &config.moved {
        if moved.from.index.is_none() && config.resource(&moved.from.resource).is_some() {
            diags.push(Diag::error("Moved object still exists", format!("This moved block moves {} away, but the configuration still declares it. Remove its block, or this moved block.", moved.from)).at(at(&moved.span)));
        }
    }
    for removed in &config.removed {
        if config.resource(&removed.from.resource).is_some() {
            diags.push(Diag::error("Removed resource still exists", format!("This removed block is for {}, which the configuration still declares. Remove its resource block, or this removed block.", removed.from)).at(at(&removed.span)));
        }
    }
    for import in &config.imports {
        if config.resource(&import.to.resource).is_none() {
            diags.push(Diag::error("Configuration for import target does not exist", format!("The configuration does not contain a resource block for {}. Add it first, e.g.\n\nresource \"{}\" \"{}\" {{\n  # (resource arguments)\n}}", import.to.resource, import.to.resource.type_name, import.to.resource.name)).at(at(&import.span)));
        }
    }
    diags
}

/// Errors for malformed `required_providers` entries (whether ycprov can run a source is
/// the host's business: it resolves every source before the engine runs).
pub fn check_required_providers(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (name, source, span) in &config.required_providers {
        if !crate::providers::is_valid_source(source) {
            diags.push(Diag::error(
                "Invalid provider source address",
                format!("required_providers names {name} = \"{source}\"; a source address is [HOSTNAME/]NAMESPACE/TYPE, e.g. hashicorp/time."),
            ).at(config.location(span)));
        }
    }
    diags
}

fn expr_edges(expr: &Expr, from: &Node, g: &mut Graph<Node>) {
    for r in references_of(expr) {
        match r.kind {
            ReferenceKind::Local(n) => g.add_edge(from.clone(), Node::Local(n)),
            ReferenceKind::Resource { addr, .. } => g.add_edge(from.clone(), Node::Resource(addr)),
            _ => {}
        }
    }
}

fn reference_graph(config: &Config) -> Graph<Node> {
    let mut g = Graph::new();
    for res in &config.resources {
        let node = Node::Resource(res.addr.clone());
        g.add_node(node.clone());
        for expr in res
            .attributes
            .values()
            .chain(res.count.iter())
            .chain(res.for_each.iter())
        {
            expr_edges(expr, &node, &mut g);
        }
        for (dep, _) in &res.depends_on {
            g.add_edge(node.clone(), Node::Resource(dep.clone()));
        }
        for trigger in &res.lifecycle.replace_triggered_by {
            g.add_edge(node.clone(), Node::Resource(trigger.resource.clone()));
        }
    }
    for local in config.locals.values() {
        let node = Node::Local(local.name.clone());
        g.add_node(node.clone());
        expr_edges(&local.expr, &node, &mut g);
    }
    for out in config.outputs.values() {
        let node = Node::Output(out.name.clone());
        g.add_node(node.clone());
        expr_edges(&out.value, &node, &mut g);
        for (dep, _) in &out.depends_on {
            g.add_edge(node.clone(), Node::Resource(dep.clone()));
        }
    }
    g
}

/// For each resource, the resources it depends on directly (through references,
/// locals in between, and `depends_on`).
pub fn resource_dependencies(config: &Config) -> BTreeMap<ResourceAddr, BTreeSet<ResourceAddr>> {
    let g = reference_graph(config);
    let mut out = BTreeMap::new();
    for res in &config.resources {
        let mut deps = BTreeSet::new();
        let mut stack = vec![Node::Resource(res.addr.clone())];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            for d in g.dependencies(&n) {
                match d {
                    Node::Resource(a) => {
                        if a != &res.addr {
                            deps.insert(a.clone());
                        }
                    }
                    other => {
                        if seen.insert(other.clone()) {
                            stack.push(other.clone());
                        }
                    }
                }
            }
        }
        out.insert(res.addr.clone(), deps);
    }
    out
}

/// Which instance symbols an expression may use: `count.index` (in a block with
/// `count`) and `each` (with `for_each`).
#[derive(Debug, Clone, Copy, Default)]
struct InstanceMeta {
    count: bool,
    for_each: bool,
}

/// What is wrong with the nested blocks named `name` of a resource, if anything: a type
/// without such blocks, or more blocks than the schema allows.
fn nested_block_problem(
    addr: &crate::address::ResourceAddr,
    name: &str,
    expr: &super::Expr,
    rs: &crate::provider::ResourceSchema,
) -> Option<(String, String)> {
    let summary = format!("Unsupported block type \"{name}\"");
    match rs.attributes.get(name) {
        None => {
            let blocks = rs
                .attributes
                .iter()
                .filter(|(_, a)| a.block.is_some())
                .map(|(n, _)| n.as_str())
                .chain(super::load::RESOURCE_META);
            let hint = did_you_mean(name, blocks);
            Some((
                summary,
                format!(
                    "Blocks of type \"{name}\" are not expected in {}.{hint}",
                    addr.type_name
                ),
            ))
        }
        Some(a) if a.block.is_none() && a.configurable() => Some((
            summary,
            format!(
                "Blocks of type \"{name}\" are not expected in {}. Did you mean to define argument \"{name}\"? If so, use the equals sign to assign it a value.",
                addr.type_name
            ),
        )),
        Some(a) if !a.configurable() => Some((
            "Value for unconfigurable attribute".into(),
            format!(
                "Can't configure a value for \"{name}\": its value will be decided automatically by the provider."
            ),
        )),
        Some(a) => {
            let max = a.block.map_or(0, |b| b.max_items) as usize;
            let given = match &expr.expr {
                hcl::edit::expr::Expression::Array(items) => items.len(),
                _ => 0,
            };
            (max > 0 && given > max).then(|| {
                (
                    "Too many \"".to_string() + name + "\" blocks",
                    format!(
                        "No more than {max} \"{name}\" block(s) are allowed in {}; found {given}.",
                        addr.type_name
                    ),
                )
            })
        }
    }
}
