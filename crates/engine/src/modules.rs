//! Modules: `module` blocks that call local directories, flattened into one
//! configuration before validation and planning.
//!
//! Every module instance contributes its resources and data sources with addresses in
//! the instance (`module.a["x"].yandex_iam_service_account.sa`), and its expressions are
//! rewritten so that they keep their meaning in the flat configuration:
//! * `var.X` becomes a derived local that holds the call's argument, evaluated with the
//!   call's `count.index` / `each`, converted to the variable's type and sensitive when
//!   the variable is;
//! * `local.X` becomes the instance's own copy of the local;
//! * `TYPE.NAME` and `data.TYPE.NAME` name the resource in the instance (through a
//!   module root variable, see [`crate::address::module_root_name`]);
//! * `path.module` becomes the module's directory;
//! * `module.C.OUT` becomes the derived local of the child's output, and `module.C` the
//!   object (or list, or map of instances) of its outputs.
//!
//! Derived locals are named after the instance (`module.a["x"].var.X`); the dots keep
//! them apart from any `locals` entry. A module's providers are the calling module's
//! default configurations, or those its `providers` argument passes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use hcl::edit::expr::{
    Expression, ForExpr, FuncArgs, FuncCall, Null, Object, ObjectKey, ObjectValue, Traversal,
    TraversalOperator,
};
use hcl::edit::template::ForTemplateExpr;
use hcl::edit::visit::{Visit, visit_expr};
use hcl::edit::visit_mut::{VisitMut, visit_expr_mut, visit_template_mut};
use hcl::edit::{Decorated, Formatted, Ident, Span as _};
use serde_json::Value;

use crate::address::{InstanceKey, ResourceAddr, module_root_name};
use crate::config::{
    Config, EvalContext, Expr, LocalValue, ModuleCall, NoResources, ProviderRef, ResourceBlock,
    Span, UNKNOWN_FUNCTION, Validation, Variables, check_rule, load_module,
};
use crate::diagnostics::{Diag, Diagnostics, did_you_mean};
use crate::instances::{Expansion, expand};
use crate::limits;
use crate::value::{Phase, Type};

/// Flattens the module calls of `config` (and of the modules it calls) into one
/// configuration. `variables` are the root module's; `phase` is [`Phase::Validate`] when
/// unknown `count` / `for_each` values of module calls are acceptable.
pub fn expand_modules(
    config: Config,
    variables: &Variables,
    phase: Phase,
) -> Result<Config, Diagnostics> {
    if config.module_calls.is_empty() {
        return Ok(config);
    }
    let mut root = config;
    let out = Config {
        dir: root.dir.clone(),
        files: root.files.clone(),
        providers: std::mem::take(&mut root.providers),
        variables: root.variables.clone(),
        required_providers: root.required_providers.clone(),
        backend: root.backend.clone(),
        moved: std::mem::take(&mut root.moved),
        removed: std::mem::take(&mut root.removed),
        imports: std::mem::take(&mut root.imports),
        warnings: root.warnings.clone(),
        ..Config::default()
    };
    let scope = Scope::of(String::new(), root.dir.clone(), &root, ProviderTable::Root);
    let mut expander = Expander {
        out,
        variables,
        phase,
        diags: Diagnostics::new(),
        parsed: HashMap::new(),
        instances: 0,
        calls: HashMap::new(),
        narrowings: BTreeSet::new(),
        validations: Vec::new(),
    };
    let scope = expander.module_body(scope, &root, &[], 0);
    expander.resolve_module_dependencies();
    let mut imports = std::mem::take(&mut expander.out.imports);
    for import in &mut imports {
        import.id = expander.rewritten(&scope, &import.id);
        import.for_each = import
            .for_each
            .as_ref()
            .map(|e| expander.rewritten(&scope, e));
    }
    expander.out.imports = imports;
    expander.add_narrowed_calls();
    if !expander.diags.has_errors() {
        expander.check_validations();
    }
    if expander.diags.has_errors() {
        return Err(expander.diags);
    }
    let mut flat = expander.out;
    flat.warnings.extend(expander.diags);
    Ok(flat)
}

/// What a module call looks like from the calling module: enough to rewrite
/// `module.NAME…` references without expanding it.
#[derive(Debug, Clone)]
struct CallShape {
    /// Whether the call has `count` or `for_each`.
    expanded: bool,
    /// The module's output names.
    outputs: BTreeSet<String>,
}

/// The provider configurations a module's provider names stand for.
#[derive(Debug, Clone)]
enum ProviderTable {
    /// The root module: every name stands for itself.
    Root,
    /// A module called with `providers = {…}`: only those (in the root's terms).
    Passed(BTreeMap<String, (String, Option<String>)>),
    /// A module called without `providers`: the caller's default configurations.
    Inherited(Box<ProviderTable>),
}

impl ProviderTable {
    /// The root's (local name, alias) that the module's `name` / `alias` stands for.
    fn resolve(&self, name: &str, alias: Option<&str>) -> Option<(String, Option<String>)> {
        match self {
            ProviderTable::Root => Some((name.to_string(), alias.map(str::to_string))),
            ProviderTable::Passed(map) => map.get(&provider_key(name, alias)).cloned(),
            ProviderTable::Inherited(parent) if alias.is_none() => parent.resolve(name, None),
            ProviderTable::Inherited(_) => None,
        }
    }
}

/// `yandex` or `yandex.alias`: a key of a `providers` map.
fn provider_key(name: &str, alias: Option<&str>) -> String {
    match alias {
        Some(alias) => format!("{name}.{alias}"),
        None => name.to_string(),
    }
}

/// One module instance being flattened.
struct Scope {
    /// The instance path: empty for the root, else e.g. `module.a["x"].module.b`.
    path: String,
    /// The module's directory.
    dir: PathBuf,
    /// The module's input variables (the root's stay `var.X`).
    variables: BTreeSet<String>,
    /// The module's locals.
    locals: BTreeSet<String>,
    /// The module's calls of other modules.
    calls: BTreeMap<String, CallShape>,
    /// Its provider configurations.
    providers: ProviderTable,
}

impl Scope {
    fn of(path: String, dir: PathBuf, module: &Config, providers: ProviderTable) -> Scope {
        Scope {
            path,
            dir,
            variables: module.variables.keys().cloned().collect(),
            locals: module.locals.keys().cloned().collect(),
            calls: BTreeMap::new(),
            providers,
        }
    }

    fn is_root(&self) -> bool {
        self.path.is_empty()
    }

    /// The name of a value derived in this instance: `PATH.KIND.NAME` (`KIND.NAME` at
    /// the root).
    fn derived(&self, kind: &str, name: &str) -> String {
        if self.is_root() {
            format!("{kind}.{name}")
        } else {
            format!("{}.{kind}.{name}", self.path)
        }
    }

    /// The name this module's `local.NAME` has in the flat configuration.
    fn local_name(&self, name: &str) -> String {
        if self.is_root() {
            name.to_string()
        } else {
            self.derived("local", name)
        }
    }

    /// The instance path of call `call`'s instance `key`.
    fn child_path(&self, call: &str, key: &InstanceKey) -> String {
        let own = format!("module.{call}{key}");
        if self.is_root() {
            own
        } else {
            format!("{}.{own}", self.path)
        }
    }
}

/// Errors found while rewriting: where (a byte range), summary and detail.
type Errors = Vec<(Option<Range<usize>>, String, String)>;

struct Expander<'v> {
    out: Config,
    variables: &'v Variables,
    phase: Phase,
    diags: Diagnostics,
    /// Module directories already read, by canonical path.
    parsed: HashMap<PathBuf, Config>,
    /// Module instances so far.
    instances: usize,
    /// The calls expanded so far, by the name of the local that stands for the call.
    calls: HashMap<String, ExpandedCall>,
    /// Locals that stand for a call with only some outputs (see [`narrowed_name`]).
    narrowings: BTreeSet<(String, Vec<String>)>,
    /// The `validation` rules of module instances' variables (shown as
    /// `module.a.var.x`), rewritten for the flat configuration.
    validations: Vec<(String, Validation)>,
}

/// An expanded module call: how it expanded and the path of each instance.
struct ExpandedCall {
    expansion: Expansion,
    instances: Vec<(InstanceKey, String)>,
    outputs: BTreeSet<String>,
    span: Span,
}

impl ExpandedCall {
    /// The local `name` that stands for the call: the object of its outputs (only
    /// `only`, when given), a list of them with `count`, a map with `for_each`.
    fn local(&self, name: &str, only: Option<&[String]>) -> LocalValue {
        let objects: Vec<(InstanceKey, Expression)> = self
            .instances
            .iter()
            .map(|(key, path)| {
                let outputs = self
                    .outputs
                    .iter()
                    .filter(|o| only.is_none_or(|only| only.contains(o)))
                    .map(|o| (o.clone(), local_ref(&format!("{path}.output.{o}"))))
                    .collect();
                (key.clone(), object(outputs))
            })
            .collect();
        let expr = match &self.expansion {
            Expansion::Single => objects
                .into_iter()
                .next()
                .map(|(_, o)| o)
                .unwrap_or_else(|| object(Vec::new())),
            Expansion::Count(_) => {
                Expression::from(objects.into_iter().map(|(_, o)| o).collect::<Vec<_>>())
            }
            Expansion::ForEach(_) => object(
                objects
                    .into_iter()
                    .map(|(key, o)| match key {
                        InstanceKey::Str(k) => (k, o),
                        other => (other.to_string(), o),
                    })
                    .collect(),
            ),
            Expansion::Unknown => Expression::FuncCall(Box::new(FuncCall::new(
                Ident::new_unchecked(UNKNOWN_FUNCTION),
                FuncArgs::new(),
            ))),
        };
        LocalValue::new(
            name,
            Expr {
                expr,
                span: self.span.clone(),
            },
        )
    }
}

/// The name of the local that stands for the call whose local is `whole` with only
/// `outputs`: a `for` over a module's instances that reads `m.id` alone, or
/// `module.C[k].id`, is not sensitive because another output is.
fn narrowed_name(whole: &str, outputs: &[String]) -> String {
    format!("{whole}.outputs({})", outputs.join(","))
}

impl Expander<'_> {
    fn error(&mut self, span: &Span, summary: impl Into<String>, detail: impl Into<String>) {
        let location = self.out.location(span);
        self.diags.push(Diag::error(summary, detail).at(location));
    }

    fn report(&mut self, errors: Errors, file: usize) {
        for (range, summary, detail) in errors {
            let span = Span {
                file,
                range: range.unwrap_or_default(),
            };
            self.error(&span, summary, detail);
        }
    }

    /// Rewrites `expr` for the flat configuration and reports what it cannot resolve.
    fn rewritten(&mut self, scope: &Scope, expr: &Expr) -> Expr {
        let mut expr = expr.clone();
        let mut rewriter = Rewriter::new(scope);
        rewriter.rewrite(&mut expr);
        self.narrowings.extend(rewriter.narrowings);
        let errors = rewriter.errors;
        let fallback = expr.span.range.clone();
        self.report(
            errors
                .into_iter()
                .map(|(r, s, d)| (r.or(Some(fallback.clone())), s, d))
                .collect(),
            expr.span.file,
        );
        expr
    }

    /// Adds the locals, resources, outputs and module calls of `module`, an instance at
    /// `scope`; `depends_on` are the dependencies every resource in it inherits from
    /// the calls that led here. Returns `scope` with the shapes of its calls.
    fn module_body(
        &mut self,
        mut scope: Scope,
        module: &Config,
        depends_on: &[(ResourceAddr, Span)],
        depth: usize,
    ) -> Scope {
        let mut children = Vec::new();
        for call in &module.module_calls {
            let child = self.read_module(&scope, module, call, depth);
            let outputs = child
                .as_ref()
                .map(|c| c.outputs.keys().cloned().collect())
                .unwrap_or_default();
            scope.calls.insert(
                call.name.clone(),
                CallShape {
                    expanded: call.count.is_some() || call.for_each.is_some(),
                    outputs,
                },
            );
            children.extend(child.map(|child| (call, child)));
        }
        self.module_items(&scope, module, &children, depends_on, depth);
        scope
    }

    /// Adds the locals, resources and outputs of `module` at `scope`, then expands its
    /// `children` (the calls whose modules could be read).
    fn module_items(
        &mut self,
        scope: &Scope,
        module: &Config,
        children: &[(&ModuleCall, Config)],
        depends_on: &[(ResourceAddr, Span)],
        depth: usize,
    ) {
        if !scope.is_root() {
            self.unsupported_in_module(module);
        }
        for local in module.locals.values() {
            let expr = self.rewritten(scope, &local.expr);
            let name = scope.local_name(&local.name);
            self.out
                .locals
                .insert(name.clone(), LocalValue::new(name, expr));
        }
        for block in &module.resources {
            let block = self.resource(scope, block, depends_on);
            self.out.resources.push(block);
        }
        for output in module.outputs.values() {
            let value = self.rewritten(scope, &output.value);
            if scope.is_root() {
                let mut output = output.clone();
                output.value = value;
                self.check_module_dependencies(scope, &output.depends_on);
                self.out.outputs.insert(output.name.clone(), output);
            } else {
                let name = scope.derived("output", &output.name);
                let mut local = LocalValue::new(name.clone(), value);
                local.sensitive = output.sensitive;
                self.out.locals.insert(name, local);
            }
        }
        let mut pending: Vec<&(&ModuleCall, Config)> = children.iter().collect();
        loop {
            let mut failed = Vec::new();
            let mut progress = false;
            for entry in pending {
                let (call, _) = entry;
                match self.expansion(scope, call) {
                    Ok(expansion) => {
                        progress = true;
                        self.instantiate(scope, entry, &expansion, depends_on, depth);
                    }
                    Err(diag) => failed.push((entry, diag)),
                }
            }
            if failed.is_empty() {
                break;
            }
            if !progress {
                for (_, diag) in failed {
                    self.diags.push(diag);
                }
                break;
            }
            pending = failed.into_iter().map(|(entry, _)| entry).collect();
        }
    }

    /// Reports the blocks a non-root module may hold in Terraform but ycprov does not
    /// run there.
    fn unsupported_in_module(&mut self, module: &Config) {
        let root = "write them in the root module, with module addresses";
        let found: Vec<(Span, &str, &str)> = module
            .providers
            .iter()
            .map(|p| (p.span.clone(), "provider blocks inside modules", "configure providers in the root module and pass them with the module block's providers argument"))
            .chain(module.moved.iter().map(|m| (m.span.clone(), "moved blocks inside modules", root)))
            .chain(module.removed.iter().map(|m| (m.span.clone(), "removed blocks inside modules", root)))
            .chain(module.imports.iter().map(|m| (m.span.clone(), "import blocks inside modules", root)))
            .collect();
        for (span, what, instead) in found {
            self.error(
                &span,
                format!("ycprov does not support {what} yet"),
                format!(
                    "This is valid Terraform, but ycprov does not support {what} yet; {instead}."
                ),
            );
        }
        if let Some(backend) = &module.backend {
            let location = self.out.location(&backend.span);
            self.diags.push(
                Diag::warning(
                    "Backend configuration ignored",
                    "A backend block inside a module has no effect; only the root module's backend keeps the state.",
                )
                .at(location),
            );
        }
    }

    /// The resource block of `scope` in the flat configuration.
    fn resource(
        &mut self,
        scope: &Scope,
        block: &ResourceBlock,
        inherited: &[(ResourceAddr, Span)],
    ) -> ResourceBlock {
        let mut block = block.clone();
        self.check_module_dependencies(scope, &block.depends_on);
        for expr in block
            .attributes
            .values_mut()
            .chain(block.count.iter_mut())
            .chain(block.for_each.iter_mut())
        {
            *expr = self.rewritten(scope, expr);
        }
        if scope.is_root() {
            return block;
        }
        block.addr = block.addr.in_module(&scope.path);
        for (dep, _) in &mut block.depends_on {
            *dep = dep.clone().in_module(&scope.path);
        }
        block.depends_on.extend(inherited.iter().cloned());
        for trigger in &mut block.lifecycle.replace_triggered_by {
            trigger.resource = trigger.resource.clone().in_module(&scope.path);
        }
        let (name, alias, span) = match &block.provider {
            Some(p) => (p.local_name.clone(), p.alias.clone(), p.span.clone()),
            None => (
                crate::providers::type_prefix(&block.addr.type_name).to_string(),
                None,
                block.span.clone(),
            ),
        };
        match scope.providers.resolve(&name, alias.as_deref()) {
            Some((local_name, alias)) => {
                block.provider = Some(ProviderRef {
                    local_name,
                    alias,
                    span,
                });
            }
            None => {
                let key = provider_key(&name, alias.as_deref());
                self.error(&span, "Provider configuration not present", format!("{} needs the provider configuration {key}, which the module call does not pass. Add {key} = … to the providers argument of the module block.", block.addr));
            }
        }
        block
    }

    /// Reports `depends_on = [module.NAME]` entries that name no call of `scope`.
    fn check_module_dependencies(&mut self, scope: &Scope, depends_on: &[(ResourceAddr, Span)]) {
        for (dep, span) in depends_on {
            if dep.type_name == "module" && !scope.calls.contains_key(&dep.name) {
                let hint = did_you_mean(&dep.name, scope.calls.keys().map(String::as_str));
                self.error(
                    span,
                    "Reference to undeclared module",
                    format!(
                        "No module call named \"{}\" is declared in this module.{hint}",
                        dep.name
                    ),
                );
            }
        }
    }

    /// Reads the module `call` calls (once per directory), with its files added to the
    /// configuration's.
    fn read_module(
        &mut self,
        scope: &Scope,
        module: &Config,
        call: &ModuleCall,
        depth: usize,
    ) -> Option<Config> {
        if depth + 1 > limits::MAX_MODULE_DEPTH {
            self.error(&call.span, "Modules nested too deeply", format!("module.{} is nested {} levels deep; ycprov follows at most {} (limits::MAX_MODULE_DEPTH). Does a module call itself?", call.name, depth + 1, limits::MAX_MODULE_DEPTH));
            return None;
        }
        let dir = normalise(&scope.dir.join(&call.source));
        if !dir.is_dir() {
            self.error(
                &call.span,
                "Module not found",
                format!(
                    "module.{}: the source \"{}\" is not a directory (looked for {}).",
                    call.name,
                    call.source,
                    relative(&dir, &module.dir)
                ),
            );
            return None;
        }
        let key = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if let Some(child) = self.parsed.get(&key) {
            return Some(child.clone());
        }
        let prefix = relative(&dir, &self.out.dir);
        match load_module(&dir, &prefix, self.out.files.clone()) {
            Ok(mut child) => {
                self.out.files = std::mem::take(&mut child.files);
                self.out.warnings.extend(child.warnings.clone());
                self.parsed.insert(key, child.clone());
                Some(child)
            }
            Err(diags) => {
                self.diags.extend(diags);
                None
            }
        }
    }

    /// The instances of `call` (its `count` / `for_each`, evaluated with the root's
    /// variables and the locals known so far).
    fn expansion(&mut self, scope: &Scope, call: &ModuleCall) -> Result<Expansion, Diag> {
        let count = call.count.as_ref().map(|e| self.rewritten(scope, e));
        let for_each = call.for_each.as_ref().map(|e| self.rewritten(scope, e));
        let block = ResourceBlock {
            addr: ResourceAddr::new("module", &call.name).in_module(&scope.path),
            span: call.span.clone(),
            attributes: BTreeMap::new(),
            count,
            for_each,
            depends_on: Vec::new(),
            lifecycle: Default::default(),
            provider: None,
            nested_blocks: Default::default(),
        };
        let ctx = EvalContext::new(&self.out, None, self.variables, &NoResources, self.phase);
        expand(&ctx, &self.out, &block, self.phase == Phase::Validate)
    }

    /// Adds every instance of `call` and the derived local that stands for the call.
    fn instantiate(
        &mut self,
        scope: &Scope,
        (call, child): &(&ModuleCall, Config),
        expansion: &Expansion,
        inherited: &[(ResourceAddr, Span)],
        depth: usize,
    ) {
        let instances = expansion.instances();
        self.instances += instances.len();
        if self.instances > limits::MAX_MODULE_INSTANCES {
            self.error(&call.span, "Too many module instances", format!("The configuration expands to more than {} module instances (limits::MAX_MODULE_INSTANCES).", limits::MAX_MODULE_INSTANCES));
            return;
        }
        for (name, expr) in &call.arguments {
            if !child.variables.contains_key(name) {
                let hint = did_you_mean(name, child.variables.keys().map(String::as_str));
                self.error(&expr.span, "Unsupported argument", format!("An argument named \"{name}\" is not expected here: the module at \"{}\" declares no variable \"{name}\".{hint}", call.source));
            }
        }
        for (name, var) in &child.variables {
            if !call.arguments.contains_key(name) && var.default.is_none() {
                self.error(&call.span, "Missing required argument", format!("The argument \"{name}\" is required by the module at \"{}\", but no definition was found.", call.source));
            }
        }
        let arguments: BTreeMap<&String, Expr> = call
            .arguments
            .iter()
            .map(|(name, expr)| (name, self.rewritten(scope, expr)))
            .collect();
        let mut dependencies = inherited.to_vec();
        self.check_module_dependencies(scope, &call.depends_on);
        dependencies.extend(
            call.depends_on
                .iter()
                .map(|(dep, span)| (dep.clone().in_module(&scope.path), span.clone())),
        );
        let providers = match self.passed_providers(scope, call) {
            Some(table) => table,
            None => return,
        };
        let mut paths = Vec::new();
        for (key, vars) in &instances {
            let path = scope.child_path(&call.name, key);
            let child_scope = Scope::of(
                path.clone(),
                normalise(&scope.dir.join(&call.source)),
                child,
                providers.clone(),
            );
            for (name, var) in &child.variables {
                let expr = match (arguments.get(name), &var.default) {
                    (Some(expr), _) => expr.clone(),
                    (None, Some(default)) => Expr {
                        expr: literal(default),
                        span: var.span.clone(),
                    },
                    (None, None) => Expr {
                        expr: Expression::Null(Decorated::new(Null)),
                        span: call.span.clone(),
                    },
                };
                let local_name = child_scope.derived("var", name);
                let mut local = LocalValue::new(local_name.clone(), expr);
                local.ty = (var.ty != Type::Any).then(|| var.ty.clone());
                local.sensitive = var.sensitive;
                local.instance = (*expansion != Expansion::Single).then(|| vars.clone());
                self.out.locals.insert(local_name.clone(), local);
                for rule in &var.validations {
                    let rule = Validation {
                        condition: self.rewritten(&child_scope, &rule.condition),
                        error_message: self.rewritten(&child_scope, &rule.error_message),
                    };
                    self.validations.push((local_name.clone(), rule));
                }
            }
            self.module_body(child_scope, child, &dependencies, depth + 1);
            paths.push((key.clone(), path));
        }
        let expanded = ExpandedCall {
            expansion: expansion.clone(),
            instances: paths,
            outputs: child.outputs.keys().cloned().collect(),
            span: call.span.clone(),
        };
        let name = scope.derived("module", &call.name);
        let local = expanded.local(&name, None);
        self.out.locals.insert(name.clone(), local);
        self.calls.insert(name, expanded);
    }

    /// Checks the `validation` rules of module variables whose values are known now.
    fn check_validations(&mut self) {
        let ctx = EvalContext::new(&self.out, None, self.variables, &NoResources, self.phase);
        let mut diags = Diagnostics::new();
        for (variable, rule) in &self.validations {
            check_rule(&ctx, &self.out, rule, variable, &mut diags);
        }
        self.diags.extend(diags);
    }

    /// Adds the locals that stand for calls with only some outputs.
    fn add_narrowed_calls(&mut self) {
        for (whole, outputs) in std::mem::take(&mut self.narrowings) {
            if let Some(call) = self.calls.get(&whole) {
                let name = narrowed_name(&whole, &outputs);
                let local = call.local(&name, Some(&outputs));
                self.out.locals.insert(name, local);
            }
        }
    }

    /// The provider table of the module `call` calls: the `providers` argument resolved
    /// in `scope`, or the caller's defaults.
    fn passed_providers(&mut self, scope: &Scope, call: &ModuleCall) -> Option<ProviderTable> {
        if call.providers.is_empty() {
            return Some(ProviderTable::Inherited(Box::new(scope.providers.clone())));
        }
        let mut map = BTreeMap::new();
        let mut ok = true;
        for (key, given) in &call.providers {
            match scope
                .providers
                .resolve(&given.local_name, given.alias.as_deref())
            {
                Some(resolved) => {
                    map.insert(key.clone(), resolved);
                }
                None => {
                    ok = false;
                    let name = provider_key(&given.local_name, given.alias.as_deref());
                    self.error(&given.span, "Provider configuration not present", format!("The providers argument passes {name}, which this module does not have. Pass it on from the calling module's providers argument."));
                }
            }
        }
        ok.then_some(ProviderTable::Passed(map))
    }

    /// Replaces `depends_on = [module.NAME]` entries by every resource in that module.
    fn resolve_module_dependencies(&mut self) {
        let addrs: Vec<ResourceAddr> = self.out.resources.iter().map(|r| r.addr.clone()).collect();
        let expand_deps = |deps: &mut Vec<(ResourceAddr, Span)>, own: Option<&ResourceAddr>| {
            let mut out = Vec::new();
            for (dep, span) in deps.drain(..) {
                if dep.type_name != "module" {
                    out.push((dep, span));
                    continue;
                }
                let path = if dep.module.is_empty() {
                    format!("module.{}", dep.name)
                } else {
                    format!("{}.module.{}", dep.module, dep.name)
                };
                for addr in addrs
                    .iter()
                    .filter(|a| a.is_within(&path) && Some(*a) != own)
                {
                    out.push((addr.clone(), span.clone()));
                }
            }
            out.dedup_by(|a, b| a.0 == b.0);
            *deps = out;
        };
        for block in &mut self.out.resources {
            let own = block.addr.clone();
            expand_deps(&mut block.depends_on, Some(&own));
        }
        for output in self.out.outputs.values_mut() {
            expand_deps(&mut output.depends_on, None);
        }
    }
}

/// `local.NAME` for a derived name.
fn local_ref(name: &str) -> Expression {
    Expression::Traversal(Box::new(Traversal::new(
        Expression::Variable(Decorated::new(Ident::new_unchecked("local"))),
        vec![Decorated::new(TraversalOperator::GetAttr(Decorated::new(
            Ident::new_unchecked(name),
        )))],
    )))
}

/// An object expression with string keys.
fn object(items: Vec<(String, Expression)>) -> Expression {
    let mut object = Object::new();
    for (key, value) in items {
        object.insert(
            ObjectKey::Expression(Expression::String(Decorated::new(key))),
            ObjectValue::new(value),
        );
    }
    Expression::Object(object)
}

/// The expression of a JSON value (a variable's default).
fn literal(value: &Value) -> Expression {
    match value {
        Value::Null => Expression::Null(Decorated::new(Null)),
        Value::Bool(b) => Expression::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Expression::Number(Formatted::new(hcl::Number::from(i))),
            None => Expression::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Expression::String(Decorated::new(s.clone())),
        Value::Array(items) => Expression::from(items.iter().map(literal).collect::<Vec<_>>()),
        Value::Object(map) => object(map.iter().map(|(k, v)| (k.clone(), literal(v))).collect()),
    }
}

/// `path` without `.` and with `..` applied where possible.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `dir` relative to `root` (module files are named so in messages).
fn relative(dir: &Path, root: &Path) -> String {
    let root = normalise(root);
    match dir.strip_prefix(&root) {
        Ok(rest) => rest.display().to_string(),
        Err(_) => {
            let up = root.components().count();
            let mut shown = PathBuf::new();
            let common = root
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .count();
            for _ in common..up {
                shown.push("..");
            }
            for c in dir.components().skip(common) {
                shown.push(c.as_os_str());
            }
            shown.display().to_string()
        }
    }
}

/// Rewrites the references of one module's expression for the flat configuration.
struct Rewriter<'s> {
    scope: &'s Scope,
    /// Names bound by enclosing `for` expressions and directives.
    bound: Vec<String>,
    errors: Errors,
    /// Narrowed call locals the rewritten expression uses (see [`narrowed_name`]).
    narrowings: Vec<(String, Vec<String>)>,
}

impl<'s> Rewriter<'s> {
    fn new(scope: &'s Scope) -> Self {
        Rewriter {
            scope,
            bound: Vec::new(),
            errors: Vec::new(),
            narrowings: Vec::new(),
        }
    }

    fn rewrite(&mut self, expr: &mut Expr) {
        self.visit_expr_mut(&mut expr.expr);
    }

    fn fail(&mut self, at: &Traversal, summary: &str, detail: String) {
        self.errors.push((at.span(), summary.to_string(), detail));
    }

    /// Rewrites a traversal rooted at a variable; returns a replacement expression
    /// when the whole traversal is replaced.
    fn traversal(&mut self, t: &mut Traversal) -> Option<Expression> {
        for op in &mut t.operators {
            if let TraversalOperator::Index(index) = op.value_mut() {
                self.visit_expr_mut(index);
            }
        }
        let Expression::Variable(root) = &t.expr else {
            self.visit_expr_mut(&mut t.expr);
            return None;
        };
        let root = root.as_str().to_string();
        if self.bound.contains(&root) {
            return None;
        }
        let attr = |t: &Traversal, i: usize| match t.operators.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        let scope = self.scope;
        match root.as_str() {
            "module" => {
                let call_name = attr(t, 0)?;
                let Some(call) = scope.calls.get(&call_name) else {
                    let hint = did_you_mean(&call_name, scope.calls.keys().map(String::as_str));
                    self.fail(
                        t,
                        "Reference to undeclared module",
                        format!(
                            "No module call named \"{call_name}\" is declared in this module.{hint}"
                        ),
                    );
                    return None;
                };
                match (call.expanded, attr(t, 1)) {
                    (false, Some(output)) => {
                        if !call.outputs.contains(&output) {
                            let hint =
                                did_you_mean(&output, call.outputs.iter().map(String::as_str));
                            self.fail(
                                t,
                                "Unsupported attribute",
                                format!(
                                    "module.{call_name} has no output named \"{output}\".{hint}"
                                ),
                            );
                            return None;
                        }
                        let path = scope.child_path(&call_name, &InstanceKey::None);
                        let name = format!("{path}.output.{output}");
                        replace_root(t, "local", 2, &[&name]);
                    }
                    (expanded, _) => {
                        let whole = scope.derived("module", &call_name);
                        let selected = match (t.operators.get(1).map(|o| o.value()), attr(t, 2)) {
                            (
                                Some(
                                    TraversalOperator::Index(_)
                                    | TraversalOperator::LegacyIndex(_)
                                    | TraversalOperator::FullSplat(_)
                                    | TraversalOperator::AttrSplat(_),
                                ),
                                Some(output),
                            ) if expanded && call.outputs.contains(&output) => Some(output),
                            _ => None,
                        };
                        let name = match selected {
                            Some(output) => self.narrowed(whole, vec![output]),
                            None => whole,
                        };
                        replace_root(t, "local", 1, &[&name]);
                    }
                }
                None
            }
            _ if scope.is_root() => None,
            "var" => {
                let name = attr(t, 0)?;
                if !scope.variables.contains(&name) {
                    let hint = did_you_mean(&name, scope.variables.iter().map(String::as_str));
                    self.fail(t, "Reference to undeclared input variable", format!("An input variable with the name \"{name}\" has not been declared in this module.{hint}"));
                    return None;
                }
                let derived = scope.derived("var", &name);
                replace_root(t, "local", 1, &[&derived]);
                None
            }
            "local" => {
                let name = attr(t, 0)?;
                if !scope.locals.contains(&name) {
                    let hint = did_you_mean(&name, scope.locals.iter().map(String::as_str));
                    self.fail(t, "Reference to undeclared local value", format!("A local value with the name \"{name}\" has not been declared in this module.{hint}"));
                    return None;
                }
                let derived = scope.local_name(&name);
                replace_root(t, "local", 1, &[&derived]);
                None
            }
            "path" => match attr(t, 0).as_deref() {
                Some("module") => {
                    let dir = Expression::String(Decorated::new(scope.dir.display().to_string()));
                    if t.operators.len() == 1 {
                        Some(dir)
                    } else {
                        t.expr = dir;
                        t.operators.remove(0);
                        None
                    }
                }
                _ => None,
            },
            "count" | "each" | "self" | "terraform" => None,
            _ => {
                let module_root = module_root_name(&scope.path);
                replace_root(t, &module_root, 0, &[&root]);
                None
            }
        }
    }

    /// The narrowed local of the call whose local is `whole`, recorded to be added.
    fn narrowed(&mut self, whole: String, outputs: Vec<String>) -> String {
        let name = narrowed_name(&whole, &outputs);
        self.narrowings.push((whole, outputs));
        name
    }

    /// For `for K, V in module.C : …` over an expanded call whose body reads `V` only as
    /// `V.OUT`: the narrowed local of those outputs.
    fn narrowed_collection(&mut self, f: &ForExpr) -> Option<String> {
        let Expression::Traversal(t) = &f.intro.collection_expr else {
            return None;
        };
        let Expression::Variable(root) = &t.expr else {
            return None;
        };
        if root.as_str() != "module" || self.bound.iter().any(|b| b == "module") {
            return None;
        }
        let [op] = &t.operators[..] else {
            return None;
        };
        let TraversalOperator::GetAttr(call_name) = op.value() else {
            return None;
        };
        let call = self.scope.calls.get(call_name.as_str())?;
        if !call.expanded {
            return None;
        }
        let mut uses = Uses {
            var: f.intro.value_var.as_str().to_string(),
            outputs: BTreeSet::new(),
            whole: false,
        };
        if let Some(key) = &f.key_expr {
            uses.visit_expr(key);
        }
        uses.visit_expr(&f.value_expr);
        if let Some(cond) = &f.cond {
            uses.visit_expr(&cond.expr);
        }
        if uses.whole || !uses.outputs.is_subset(&call.outputs) {
            return None;
        }
        let whole = self.scope.derived("module", call_name.as_str());
        Some(self.narrowed(whole, uses.outputs.into_iter().collect()))
    }

    fn with_bound<F: FnOnce(&mut Self)>(&mut self, names: Vec<String>, f: F) {
        let before = self.bound.len();
        self.bound.extend(names);
        f(self);
        self.bound.truncate(before);
    }
}

/// Makes `t` start at variable `root`, its first `drop` operators replaced by `GetAttr`s
/// of `names` (the rest kept, with their spans).
fn replace_root(t: &mut Traversal, root: &str, drop: usize, names: &[&str]) {
    t.expr = Expression::Variable(Decorated::new(Ident::new_unchecked(root)));
    let rest = t.operators.split_off(drop.min(t.operators.len()));
    t.operators = names
        .iter()
        .map(|n| {
            Decorated::new(TraversalOperator::GetAttr(Decorated::new(
                Ident::new_unchecked(*n),
            )))
        })
        .chain(rest)
        .collect();
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expression) {
        match expr {
            Expression::Traversal(t) => {
                if let Some(replacement) = self.traversal(t) {
                    *expr = replacement;
                }
            }
            Expression::ForExpr(f) => self.visit_for_expr_mut(f),
            _ => visit_expr_mut(self, expr),
        }
    }

    fn visit_for_expr_mut(&mut self, f: &mut ForExpr) {
        match self.narrowed_collection(f) {
            Some(name) => f.intro.collection_expr = local_ref(&name),
            None => self.visit_expr_mut(&mut f.intro.collection_expr),
        }
        let names = f
            .intro
            .key_var
            .iter()
            .chain(std::iter::once(&f.intro.value_var))
            .map(|i| i.as_str().to_string())
            .collect();
        self.with_bound(names, |this| {
            if let Some(key) = &mut f.key_expr {
                this.visit_expr_mut(key);
            }
            this.visit_expr_mut(&mut f.value_expr);
            if let Some(cond) = &mut f.cond {
                this.visit_expr_mut(&mut cond.expr);
            }
        });
    }

    fn visit_for_template_expr_mut(&mut self, f: &mut ForTemplateExpr) {
        self.visit_expr_mut(&mut f.collection_expr);
        let names = f
            .key_var
            .iter()
            .chain(std::iter::once(&f.value_var))
            .map(|i| i.as_str().to_string())
            .collect();
        self.with_bound(names, |this| visit_template_mut(this, &mut f.template));
    }
}

/// How a `for` body uses its value variable: only as `V.NAME` (the names), or otherwise.
struct Uses {
    var: String,
    outputs: BTreeSet<String>,
    whole: bool,
}

impl Visit for Uses {
    fn visit_expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Variable(v) if v.as_str() == self.var => self.whole = true,
            Expression::Traversal(t) if matches!(&t.expr, Expression::Variable(v) if v.as_str() == self.var) =>
            {
                match t.operators.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(name)) => {
                        self.outputs.insert(name.as_str().to_string());
                    }
                    _ => self.whole = true,
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(index) = op.value() {
                        self.visit_expr(index);
                    }
                }
            }
            _ => visit_expr(self, expr),
        }
    }
}
