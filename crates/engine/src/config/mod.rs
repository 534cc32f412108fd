//! The configuration: `*.tf` files of one directory, parsed into blocks that keep
//! their source spans so every error can name `file:line:column`.

mod eval;
mod functions;
mod load;
mod references;
mod validate;
mod variables;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use hcl::edit::expr::Expression;
use serde_json::Value;

pub use crate::value::{Phase, values_equal};
pub(crate) use eval::UNKNOWN_FUNCTION;
pub use eval::{EvalContext, Evaluated, InstanceVars, NoResources, ResourceValues, Variables};
pub use load::load;
pub(crate) use load::load_module;
pub use references::{Reference, ReferenceKind, StaticIndex, references_of};
pub use validate::{check_required_providers, resource_dependencies, validate_config};
pub(crate) use variables::check_rule;
pub use variables::{VarSource, VariableInputs, resolve_variables};

use crate::address::ResourceAddr;
use crate::diagnostics::{Diag, Diagnostics, SourceLocation};
use crate::providers::ProviderConfigAddr;
use crate::value::Type;

/// One configuration file and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The file name relative to the configuration directory.
    pub name: String,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A source file named `name` with `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The line and column of byte `offset`.
    pub fn location(&self, offset: usize) -> SourceLocation {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let end = self.text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(self.text.len());
        let column = self
            .text
            .get(start..offset.min(end))
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        SourceLocation {
            file: self.name.clone(),
            line,
            column,
            line_text: self.text[start..end].trim_end().to_string(),
        }
    }
}

/// A byte range in one of the configuration's files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    /// Index into [`Config::files`].
    pub file: usize,
    /// The byte range.
    pub range: Range<usize>,
}

/// An expression and where it was written.
#[derive(Debug, Clone)]
pub struct Expr {
    /// The parsed expression.
    pub expr: Expression,
    /// The span of the whole attribute or expression.
    pub span: Span,
}

/// A `provider "NAME"` block: the configuration of one provider (the default one, or
/// the one with `alias`).
#[derive(Debug, Clone)]
pub struct ProviderBlock {
    /// The provider's local name (the label).
    pub name: String,
    /// The `alias` of a non-default configuration.
    pub alias: Option<String>,
    /// Its attributes (without `alias`).
    pub attributes: BTreeMap<String, Expr>,
    /// The block's span.
    pub span: Span,
}

/// The `terraform { backend "KIND" { … } }` block: where the state is kept. Its
/// arguments are literal values (Terraform evaluates no expressions there).
#[derive(Debug, Clone)]
pub struct BackendBlock {
    /// `local` or `s3`.
    pub kind: String,
    /// The arguments by name.
    pub settings: serde_json::Map<String, Value>,
    /// Where the block is.
    pub span: Span,
}

/// A `validation` block of a variable.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Must be true for a valid value.
    pub condition: Expr,
    /// The message when it is not.
    pub error_message: Expr,
}

/// A `variable` block.
#[derive(Debug, Clone)]
pub struct VariableBlock {
    /// The variable's name.
    pub name: String,
    /// The type constraint (`any` when absent).
    pub ty: Type,
    /// The default value, if any.
    pub default: Option<Value>,
    /// Human description.
    pub description: String,
    /// Whether its value is hidden in plans and outputs.
    pub sensitive: bool,
    /// Whether null is an acceptable value.
    pub nullable: bool,
    /// Custom validation rules.
    pub validations: Vec<Validation>,
    /// The block's span.
    pub span: Span,
}

/// One entry of a `locals` block, or a value the engine derived while flattening
/// modules (a module's input variable or output; see `config::modules`).
#[derive(Debug, Clone)]
pub struct LocalValue {
    /// Its name.
    pub name: String,
    /// Its expression.
    pub expr: Expr,
    /// The type its value is converted to (a module input variable's type constraint).
    pub ty: Option<Type>,
    /// Whether its value is sensitive whatever it derives from.
    pub sensitive: bool,
    /// `count.index` / `each` its expression sees (a module instance's argument).
    pub instance: Option<InstanceVars>,
}

impl LocalValue {
    /// A plain `locals` entry.
    pub fn new(name: impl Into<String>, expr: Expr) -> Self {
        Self {
            name: name.into(),
            expr,
            ty: None,
            sensitive: false,
            instance: None,
        }
    }
}

/// The `lifecycle` block of a resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifecycle {
    /// Attributes whose configured changes are ignored.
    pub ignore_changes: Vec<String>,
    /// `ignore_changes = all`.
    pub ignore_all_changes: bool,
    /// Refuse any plan that destroys the object.
    pub prevent_destroy: bool,
    /// Replace by creating the new object first.
    pub create_before_destroy: bool,
    /// `replace_triggered_by`: replace the object when one of these changes.
    pub replace_triggered_by: Vec<Trigger>,
}

/// One entry of `replace_triggered_by`: a resource, or one of its instances, or one
/// attribute of it. The object is replaced when the plan updates or replaces the
/// resource (any of its instances, or the one the index selects), or, for an
/// attribute, when that attribute's planned value differs from its current one.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// The resource referred to.
    pub resource: ResourceAddr,
    /// The instance, when the reference has an index (`[count.index]`, `[each.key]`, `[0]`).
    pub index: Option<StaticIndex>,
    /// The attribute, when the reference names one.
    pub attribute: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// A `resource` block.
#[derive(Debug, Clone)]
pub struct ResourceBlock {
    /// Its address.
    pub addr: ResourceAddr,
    /// The span of the block header.
    pub span: Span,
    /// The resource attributes (not meta-arguments).
    pub attributes: BTreeMap<String, Expr>,
    /// The `count` meta-argument.
    pub count: Option<Expr>,
    /// The `for_each` meta-argument.
    pub for_each: Option<Expr>,
    /// Explicit dependencies from `depends_on`.
    pub depends_on: Vec<(ResourceAddr, Span)>,
    /// The `lifecycle` block.
    pub lifecycle: Lifecycle,
    /// The `provider` meta-argument (`provider = yandex.b`), if set.
    pub provider: Option<ProviderRef>,
    /// Attributes written as nested blocks (`output_to_lockbox { … }`); each is in
    /// `attributes` as the list of the blocks' objects.
    pub nested_blocks: std::collections::BTreeSet<String>,
}

/// A `provider` meta-argument: a local name and an optional alias.
#[derive(Debug, Clone)]
pub struct ProviderRef {
    /// The provider's local name.
    pub local_name: String,
    /// The alias of the configuration, if any.
    pub alias: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// An `output` block.
#[derive(Debug, Clone)]
pub struct OutputBlock {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Expr,
    /// Human description.
    pub description: String,
    /// Whether its value is hidden.
    pub sensitive: bool,
    /// Explicit dependencies.
    pub depends_on: Vec<(ResourceAddr, Span)>,
    /// The block's span.
    pub span: Span,
}

/// An instance address written in a `moved`, `removed` or `import` block: a resource,
/// and the instance the index selects (literal, or `each.key` in an import block).
#[derive(Debug, Clone, PartialEq)]
pub struct AddressRef {
    /// The resource.
    pub resource: ResourceAddr,
    /// The index, if written.
    pub index: Option<StaticIndex>,
    /// Where it is written.
    pub span: Span,
}

impl std::fmt::Display for AddressRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::address::InstanceKey;
        match &self.index {
            None => write!(f, "{}", self.resource),
            Some(StaticIndex::Literal(key)) => write!(f, "{}{key}", self.resource),
            Some(StaticIndex::EachKey) => write!(f, "{}[each.key]", self.resource),
            Some(StaticIndex::CountIndex) => {
                write!(
                    f,
                    "{}{}",
                    self.resource,
                    InstanceKey::Str("count.index".into())
                )
            }
        }
    }
}

/// A `moved` block: the objects at `from` are now at `to`.
#[derive(Debug, Clone)]
pub struct MovedBlock {
    /// The old address.
    pub from: AddressRef,
    /// The new address.
    pub to: AddressRef,
    /// The block's span.
    pub span: Span,
}

/// A `removed` block: the resource's objects leave the state; they are destroyed only
/// with `lifecycle { destroy = true }`.
#[derive(Debug, Clone)]
pub struct RemovedBlock {
    /// The resource removed from the configuration.
    pub from: AddressRef,
    /// Destroy the objects (true) or only forget them (false).
    pub destroy: bool,
    /// The block's span.
    pub span: Span,
}

/// An `import` block: adopt the object with `id` at `to` while planning.
#[derive(Debug, Clone)]
pub struct ImportBlock {
    /// Where the object goes.
    pub to: AddressRef,
    /// The provider's id of the object (may use variables, locals and `each`).
    pub id: Expr,
    /// `for_each`: one import per element.
    pub for_each: Option<Expr>,
    /// The `provider` argument, if set.
    pub provider: Option<ProviderRef>,
    /// The block's span.
    pub span: Span,
}

/// A `module "NAME"` block: a call of the module in a local directory.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    /// The call's name.
    pub name: String,
    /// The `source` path, relative to the calling module's directory.
    pub source: String,
    /// The input variables' expressions, by variable name.
    pub arguments: BTreeMap<String, Expr>,
    /// The `count` meta-argument.
    pub count: Option<Expr>,
    /// The `for_each` meta-argument.
    pub for_each: Option<Expr>,
    /// `depends_on`: resources (and `module.NAME` entries, as addresses of type `module`).
    pub depends_on: Vec<(ResourceAddr, Span)>,
    /// The `providers` map: the module's provider (`yandex` or `yandex.alias`) and the
    /// calling module's configuration it gets.
    pub providers: Vec<(String, ProviderRef)>,
    /// The block's span.
    pub span: Span,
}

/// A parsed configuration directory.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// The files, in name order.
    pub files: Vec<SourceFile>,
    /// The `provider` blocks, in declaration order.
    pub providers: Vec<ProviderBlock>,
    /// Variables by name.
    pub variables: BTreeMap<String, VariableBlock>,
    /// Locals by name.
    pub locals: BTreeMap<String, LocalValue>,
    /// Resource blocks in declaration order.
    pub resources: Vec<ResourceBlock>,
    /// Outputs by name.
    pub outputs: BTreeMap<String, OutputBlock>,
    /// `terraform { required_providers { NAME = { source = … } } }`: local name, source
    /// address and where it is written.
    pub required_providers: Vec<(String, String, Span)>,
    /// The `backend` block, if any.
    pub backend: Option<BackendBlock>,
    /// `moved` blocks, in declaration order.
    pub moved: Vec<MovedBlock>,
    /// `removed` blocks, in declaration order.
    pub removed: Vec<RemovedBlock>,
    /// `import` blocks, in declaration order.
    pub imports: Vec<ImportBlock>,
    /// `module` blocks, in declaration order (none once the modules are flattened).
    pub module_calls: Vec<ModuleCall>,
    /// Warnings found while reading (e.g. quoted references), shown before any plan.
    pub warnings: Diagnostics,
}

impl Config {
    /// The location of the start of `span`.
    pub fn location(&self, span: &Span) -> Option<SourceLocation> {
        self.files
            .get(span.file)
            .map(|f| f.location(span.range.start))
    }

    /// Where `block` sets the attribute at `path` (`scopes[1]` is the list's second
    /// element when it is written as a list, `labels.team` the `labels` attribute).
    pub fn attribute_location(&self, block: &ResourceBlock, path: &str) -> Option<SourceLocation> {
        let root_end = path.find(['.', '[']).unwrap_or(path.len());
        let expr = block.attributes.get(&path[..root_end])?;
        let element = path[root_end..]
            .strip_prefix('[')
            .and_then(|rest| rest.split(']').next())
            .and_then(|index| index.parse::<usize>().ok());
        let range = match (&expr.expr, element) {
            (hcl::edit::expr::Expression::Array(items), Some(i)) => items
                .iter()
                .nth(i)
                .and_then(hcl::edit::Span::span)
                .unwrap_or(expr.span.range.clone()),
            _ => expr.span.range.clone(),
        };
        self.location(&Span {
            file: expr.span.file,
            range,
        })
    }

    /// `diag` placed in `block`: at the line of the attribute it concerns when the block
    /// sets it, else at the block (unless it has a place already).
    pub fn place_in_block(&self, mut diag: Diag, block: &ResourceBlock) -> Diag {
        if diag.location.is_none() {
            diag.location = diag
                .attribute
                .as_deref()
                .and_then(|path| self.attribute_location(block, path))
                .or_else(|| self.location(&block.span));
        }
        diag
    }

    /// The resource block with `addr`.
    pub fn resource(&self, addr: &ResourceAddr) -> Option<&ResourceBlock> {
        self.resources.iter().find(|r| &r.addr == addr)
    }

    /// The source a provider local name stands for: `required_providers`, else implied.
    pub fn source_of(&self, local_name: &str) -> String {
        self.required_providers
            .iter()
            .find(|(name, _, _)| name == local_name)
            .map(|(_, source, _)| crate::providers::qualified_source(source))
            .unwrap_or_else(|| crate::providers::implied_source(local_name))
    }

    /// The provider configuration of `local_name` with `alias`.
    pub fn provider_addr(&self, local_name: &str, alias: Option<&str>) -> ProviderConfigAddr {
        ProviderConfigAddr::new(&self.source_of(local_name), local_name)
            .with_alias(alias.map(str::to_string))
    }

    /// The provider configuration a resource uses: its `provider` meta-argument, else the
    /// default configuration of its type's prefix.
    pub fn provider_for(&self, block: &ResourceBlock) -> ProviderConfigAddr {
        match &block.provider {
            Some(r) => self.provider_addr(&r.local_name, r.alias.as_deref()),
            None => self.provider_addr(crate::providers::type_prefix(&block.addr.type_name), None),
        }
    }

    /// The provider configuration of a state record: the one it names, else the default
    /// configuration of its type's prefix (states written before many providers).
    pub fn provider_of_record(&self, record: &crate::state::InstanceState) -> ProviderConfigAddr {
        ProviderConfigAddr::parse_state(&record.provider).unwrap_or_else(|| {
            self.provider_addr(crate::providers::type_prefix(&record.type_name), None)
        })
    }

    /// The `provider` block of `addr`, if the configuration has one.
    pub fn provider_block(&self, addr: &ProviderConfigAddr) -> Option<&ProviderBlock> {
        self.providers
            .iter()
            .find(|p| self.source_of(&p.name) == addr.source && p.alias == addr.alias)
    }

    /// Every provider configuration the configuration uses: those its resources use, every
    /// `provider` block, and the default one of every `required_providers` entry, in
    /// address order.
    pub fn provider_addrs(&self) -> Vec<ProviderConfigAddr> {
        let mut addrs: Vec<ProviderConfigAddr> = self
            .resources
            .iter()
            .map(|r| self.provider_for(r))
            .chain(
                self.providers
                    .iter()
                    .map(|p| self.provider_addr(&p.name, p.alias.as_deref())),
            )
            .chain(
                self.required_providers
                    .iter()
                    .filter(|(_, source, _)| crate::providers::is_valid_source(source))
                    .map(|(name, _, _)| self.provider_addr(name, None)),
            )
            .collect();
        addrs.sort();
        addrs.dedup();
        addrs
    }

    /// The evaluated `provider` block of `addr` as a JSON object (`{}` when absent).
    /// Provider attributes may reference variables and locals, not resources.
    pub fn provider_settings(
        &self,
        addr: &ProviderConfigAddr,
        variables: &Variables,
    ) -> Result<Value, crate::diagnostics::Diagnostics> {
        let Some(block) = self.provider_block(addr) else {
            return Ok(Value::Object(Default::default()));
        };
        let ctx = EvalContext::new(self, None, variables, &eval::NoResources, Phase::Plan);
        let mut out = serde_json::Map::new();
        let mut diags = crate::diagnostics::Diagnostics::new();
        for (name, expr) in &block.attributes {
            match ctx.eval(expr, &InstanceVars::default()) {
                Ok(v) => {
                    out.insert(name.clone(), crate::value::unknowns_to_null(&v.value));
                }
                Err(d) => diags.push(d),
            }
        }
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(Value::Object(out))
        }
    }
}
