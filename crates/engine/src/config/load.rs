//! Reading and structuring the `*.tf` files of a directory.

use std::collections::BTreeMap;
use std::path::Path;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use serde_json::Value;

use super::eval::Variables;
use super::eval::{EvalContext, InstanceVars, NoResources};
use super::references::StaticIndex;
use super::references::{Reference, ReferenceKind, references_of};
use super::{
    AddressRef, Config, Expr, Lifecycle, LocalValue, OutputBlock, ProviderBlock, ProviderRef,
    ResourceBlock, SourceFile, Span, Trigger, Validation, VariableBlock,
};
use crate::address::{ResourceAddr, Target};
use crate::diagnostics::{Diag, Diagnostics, did_you_mean};
use crate::limits;
use crate::value::Phase;
use crate::value::Type;

const TOP_LEVEL_BLOCKS: [&str; 11] = [
    "resource",
    "data",
    "module",
    "moved",
    "removed",
    "import",
    "provider",
    "variable",
    "locals",
    "output",
    "terraform",
];
/// The arguments of `backend "local"`.
const LOCAL_BACKEND_ARGUMENTS: [&str; 1] = ["path"];

/// The arguments of `backend "s3"` ycprov reads (Terraform's names, as Yandex documents
/// them); the host checks their values.
const S3_BACKEND_ARGUMENTS: [&str; 19] = [
    "bucket",
    "key",
    "region",
    "endpoint",
    "endpoints",
    "access_key",
    "secret_key",
    "profile",
    "shared_credentials_file",
    "shared_credentials_files",
    "skip_region_validation",
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_s3_checksum",
    "use_path_style",
    "force_path_style",
    "use_lockfile",
    "workspace_key_prefix",
];

/// The meta-arguments and blocks every resource takes.
pub(super) const RESOURCE_META: [&str; 5] =
    ["count", "for_each", "depends_on", "provider", "lifecycle"];

/// Reads every `*.tf` file of `dir` (in name order) into a [`Config`].
/// Syntax and structural errors come back with `file:line:column`.
pub fn load(dir: &Path) -> Result<Config, Diagnostics> {
    let files = read_files(dir, "")?;
    let mut config = from_sources(files)?;
    config.dir = dir.to_path_buf();
    Ok(config)
}

/// Reads a module's directory `dir` into a [`Config`] whose files are `known` followed by
/// the module's (named `prefix/NAME.tf`), so that its spans index the combined list.
pub(crate) fn load_module(
    dir: &Path,
    prefix: &str,
    known: Vec<SourceFile>,
) -> Result<Config, Diagnostics> {
    let first = known.len();
    let mut files = known;
    files.extend(read_files(dir, prefix)?);
    if files.len() > limits::MAX_CONFIG_FILES {
        return Err(Diagnostics::error(
            "Too many configuration files",
            format!(
                "The configuration and its modules hold {} .tf files; ycprov reads at most {} (limits::MAX_CONFIG_FILES).",
                files.len(),
                limits::MAX_CONFIG_FILES
            ),
        ));
    }
    let mut config = parse_sources(files, first)?;
    config.dir = dir.to_path_buf();
    Ok(config)
}

/// The `*.tf` files of `dir` in name order, named `prefix/NAME.tf` (or `NAME.tf`).
fn read_files(dir: &Path, prefix: &str) -> Result<Vec<SourceFile>, Diagnostics> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Diagnostics::error(
            "Cannot read the configuration directory",
            format!("{}: {e}", dir.display()),
        )
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tf"))
        .collect();
    names.sort();
    if names.len() > limits::MAX_CONFIG_FILES {
        return Err(Diagnostics::error(
            "Too many configuration files",
            format!(
                "{} holds {} .tf files; ycprov reads at most {} (limits::MAX_CONFIG_FILES).",
                dir.display(),
                names.len(),
                limits::MAX_CONFIG_FILES
            ),
        ));
    }
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size > limits::MAX_CONFIG_FILE_BYTES as u64 {
            return Err(Diagnostics::error(
                "Configuration file too large",
                format!(
                    "{name}: {size} bytes; a .tf file may have at most {} bytes (limits::MAX_CONFIG_FILE_BYTES).",
                    limits::MAX_CONFIG_FILE_BYTES
                ),
            ));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Diagnostics::error("Cannot read a configuration file", format!("{name}: {e}"))
        })?;
        let shown = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        files.push(SourceFile::new(shown, text));
    }
    Ok(files)
}

/// Builds a [`Config`] from already read files.
pub fn from_sources(files: Vec<SourceFile>) -> Result<Config, Diagnostics> {
    parse_sources(files, 0)
}

/// Builds a [`Config`] from `files[first..]`; the earlier files are only kept, so that
/// spans index the whole list.
fn parse_sources(files: Vec<SourceFile>, first: usize) -> Result<Config, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut bodies = Vec::new();
    for (index, file) in files.iter().enumerate().skip(first) {
        if let Some(offset) = too_deep(&file.text) {
            diags.push(
                Diag::error(
                    "Configuration nested too deeply",
                    format!(
                        "Brackets are nested more than {} levels deep here (limits::MAX_SYNTAX_NESTING). Split the expression with locals.",
                        limits::MAX_SYNTAX_NESTING
                    ),
                )
                .at(Some(file.location(offset))),
            );
            continue;
        }
        match hcl::edit::parser::parse_body(&file.text) {
            Ok(body) => bodies.push((index, body)),
            Err(e) => {
                let loc = e.location();
                let offset = loc.offset();
                let mut location = file.location(offset);
                location.line = loc.line();
                location.column = loc.column();
                diags.push(
                    Diag::error(
                        "Syntax error",
                        format!("{}. Check the HCL syntax near this place.", e.message()),
                    )
                    .at(Some(location)),
                );
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let statics = Config {
        files: files.clone(),
        ..Config::default()
    };
    let mut builder = Builder {
        statics: &statics,
        diags,
        config: Config {
            files,
            ..Config::default()
        },
    };
    for (file, body) in &bodies {
        builder.body(*file, body);
    }
    if builder.diags.has_errors() {
        Err(builder.diags)
    } else {
        Ok(builder.config)
    }
}

/// The offset at which `text` nests brackets deeper than the limit, if it does.
/// Brackets in strings and comments count too: they are balanced in any real file.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limits::MAX_SYNTAX_NESTING {
                    return Some(offset);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

struct Builder<'a> {
    statics: &'a Config,
    diags: Diagnostics,
    config: Config,
}

fn span_of(file: usize, item: &impl hcl::edit::Span) -> Span {
    Span {
        file,
        range: item.span().unwrap_or(0..0),
    }
}

impl Builder<'_> {
    fn error(&mut self, span: &Span, summary: impl Into<String>, detail: impl Into<String>) {
        let loc = self.statics.location(span);
        self.diags.push(Diag::error(summary, detail).at(loc));
    }

    fn location_text(&self, span: &Span) -> String {
        self.statics
            .location(span)
            .map(|l| format!("{}:{}", l.file, l.line))
            .unwrap_or_default()
    }

    fn body(&mut self, file: usize, body: &Body) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let span = span_of(file, attr);
                    self.error(
                        &span,
                        "Unsupported argument",
                        format!("An argument named \"{}\" is not expected at the top level; put it inside a block.", attr.key.as_str()),
                    );
                }
                Structure::Block(block) => self.block(file, block),
            }
        }
    }

    fn labels(
        &mut self,
        file: usize,
        block: &Block,
        want: usize,
        usage: &str,
    ) -> Option<Vec<String>> {
        let labels: Vec<String> = block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        if labels.len() != want {
            let span = span_of(file, block);
            self.error(
                &span,
                format!("Wrong number of labels on a {} block", block.ident.as_str()),
                format!("Expected {want} label(s): {usage}"),
            );
            return None;
        }
        Some(labels)
    }

    /// The `terraform` block: settings ycprov does not act on are accepted, but a backend
    /// other than the default local one is an error, never ignored (ignoring it would
    /// write a local state where a team expects a shared one).
    fn terraform(&mut self, file: usize, block: &Block) {
        for inner in block
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "required_providers")
        {
            for attr in inner.body.attributes() {
                let source = match &attr.value {
                    Expression::Object(object) => object.iter().find_map(|(key, value)| {
                        let key = match key {
                            ObjectKey::Ident(i) => i.as_str().to_string(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                            _ => return None,
                        };
                        match value.expr() {
                            Expression::String(s) if key == "source" => Some(s.value().to_string()),
                            _ => None,
                        }
                    }),
                    _ => None,
                };
                let name = attr.key.as_str().to_string();
                let source = source.unwrap_or_else(|| format!("hashicorp/{name}"));
                self.config
                    .required_providers
                    .push((name, source, span_of(file, attr)));
            }
        }
        for inner in block
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "backend")
        {
            self.backend(file, inner);
        }
    }

    /// A `backend` block: its kind must be one ycprov runs, its arguments known and
    /// literal.
    fn backend(&mut self, file: usize, inner: &Block) {
        let span = span_of(file, inner);
        let kind = inner
            .labels
            .first()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default();
        let accepted: &[&str] = match kind.as_str() {
            "local" => &LOCAL_BACKEND_ARGUMENTS,
            "s3" => &S3_BACKEND_ARGUMENTS,
            _ => {
                self.error(
                    &span,
                    "Unsupported backend",
                    format!("ycprov does not support the \"{kind}\" backend yet: it keeps the state in a local file or in an S3 bucket (backend \"s3\", e.g. Yandex Object Storage). Running with this configuration would write a state where a different one is expected, so two people or CI runners would create duplicate resources."),
                );
                return;
            }
        };
        if let Some(prev) = &self.config.backend {
            let first = self.location_text(&prev.span.clone());
            self.error(
                &span,
                "Duplicate backend configuration",
                format!(
                    "A backend was already configured at {first}; a configuration has one backend."
                ),
            );
            return;
        }
        let mut settings = serde_json::Map::new();
        for structure in inner.body.iter() {
            let (name, expr) = match structure {
                Structure::Attribute(attr) => (attr.key.as_str().to_string(), expr_of(file, attr)),
                Structure::Block(b) => {
                    let span = span_of(file, b);
                    self.error(&span, format!("Unsupported block type \"{}\"", b.ident.as_str()), format!("The {kind} backend takes arguments, not blocks; write e.g. endpoints = {{ s3 = \"https://storage.yandexcloud.net\" }}."));
                    continue;
                }
            };
            if !accepted.contains(&name.as_str()) {
                let hint = did_you_mean(&name, accepted.iter().copied());
                self.error(&expr.span, "Unsupported backend argument", format!("The {kind} backend has no argument \"{name}\".{hint} Its arguments are: {}.", accepted.join(", ")));
                continue;
            }
            if let Some(value) = self.static_value(&expr, "A backend argument") {
                settings.insert(name, value);
            }
        }
        self.config.backend = Some(super::BackendBlock {
            kind,
            settings,
            span,
        });
    }

    fn block(&mut self, file: usize, block: &Block) {
        let span = span_of(file, block);
        match block.ident.as_str() {
            "terraform" => self.terraform(file, block),
            "resource" => {
                if let Some(labels) =
                    self.labels(file, block, 2, "resource \"TYPE\" \"NAME\" { ... }")
                {
                    self.resource(file, block, ResourceAddr::new(&labels[0], &labels[1]));
                }
            }
            "data" => {
                if let Some(labels) = self.labels(file, block, 2, "data \"TYPE\" \"NAME\" { ... }")
                {
                    self.resource(file, block, ResourceAddr::data(&labels[0], &labels[1]));
                }
            }
            "provider" => {
                if let Some(labels) = self.labels(file, block, 1, "provider \"NAME\" { ... }") {
                    let mut attributes = self.plain_attributes(file, &block.body, "provider");
                    let alias = attributes
                        .remove("alias")
                        .and_then(|expr| self.provider_alias(&expr));
                    if let Some(prev) = self
                        .config
                        .providers
                        .iter()
                        .find(|p| p.name == labels[0] && p.alias == alias)
                    {
                        let first = self.location_text(&prev.span.clone());
                        let which = match &alias {
                            Some(alias) => {
                                format!("provider \"{}\" with alias \"{alias}\"", labels[0])
                            }
                            None => format!("default configuration of provider \"{}\"", labels[0]),
                        };
                        self.error(
                            &span,
                            "Duplicate provider configuration",
                            format!("The {which} was already configured at {first}. Give each additional configuration its own alias."),
                        );
                        return;
                    }
                    self.config.providers.push(ProviderBlock {
                        name: labels[0].clone(),
                        alias,
                        attributes,
                        span,
                    });
                }
            }
            "variable" => {
                if let Some(labels) = self.labels(file, block, 1, "variable \"NAME\" { ... }") {
                    self.variable(file, block, &labels[0]);
                }
            }
            "output" => {
                if let Some(labels) = self.labels(file, block, 1, "output \"NAME\" { ... }") {
                    self.output(file, block, &labels[0]);
                }
            }
            "locals" => {
                for structure in block.body.iter() {
                    match structure {
                        Structure::Attribute(attr) => {
                            let name = attr.key.as_str().to_string();
                            let expr = expr_of(file, attr);
                            if let Some(prev) = self.config.locals.get(&name) {
                                let first = self.location_text(&prev.expr.span.clone());
                                self.error(&expr.span, "Duplicate local value definition", format!("A local value named \"{name}\" was already defined at {first}."));
                                continue;
                            }
                            self.config
                                .locals
                                .insert(name.clone(), LocalValue::new(name, expr));
                        }
                        Structure::Block(b) => {
                            let span = span_of(file, b);
                            self.error(
                                &span,
                                "Unexpected block in locals",
                                "A locals block holds only `name = expression` entries.",
                            );
                        }
                    }
                }
            }
            "moved" => self.moved(file, block),
            "removed" => self.removed(file, block),
            "import" => self.import(file, block),
            "module" => {
                if let Some(labels) = self.labels(
                    file,
                    block,
                    1,
                    "module \"NAME\" { source = \"./path\" ... }",
                ) {
                    self.module_call(file, block, &labels[0]);
                }
            }
            "check" => {
                let what = format!("\"{}\" blocks", block.ident.as_str());
                self.unsupported_yet(&span, &what, None);
            }
            other => {
                let hint = did_you_mean(other, TOP_LEVEL_BLOCKS);
                self.error(
                    &span,
                    format!("Unsupported block type \"{other}\""),
                    format!(
                        "Blocks of type \"{other}\" are not expected here.{hint} Supported: {}.",
                        TOP_LEVEL_BLOCKS.join(", ")
                    ),
                );
            }
        }
    }

    fn plain_attributes(&mut self, file: usize, body: &Body, what: &str) -> BTreeMap<String, Expr> {
        let mut out = BTreeMap::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    out.insert(attr.key.as_str().to_string(), expr_of(file, attr));
                }
                Structure::Block(b) => {
                    let span = span_of(file, b);
                    self.error(
                        &span,
                        format!("Unsupported block type \"{}\"", b.ident.as_str()),
                        format!("No nested blocks are expected in a {what} block."),
                    );
                }
            }
        }
        out
    }

    fn static_value(&mut self, expr: &Expr, what: &str) -> Option<Value> {
        let variables = Variables::default();
        let ctx = EvalContext::new(self.statics, None, &variables, &NoResources, Phase::Static);
        match ctx.eval(expr, &InstanceVars::default()) {
            Ok(v) => Some(v.value),
            Err(mut d) => {
                d.detail = format!("{} ({what} must be a literal value.)", d.detail);
                self.diags.push(d);
                None
            }
        }
    }

    fn static_string(&mut self, expr: &Expr, what: &str) -> String {
        match self.static_value(expr, what) {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(_) => {
                self.error(
                    &expr.span,
                    format!("Invalid {what}"),
                    format!("The {what} must be a string."),
                );
                String::new()
            }
        }
    }

    fn static_bool(&mut self, expr: &Expr, what: &str) -> bool {
        match self.static_value(expr, what) {
            Some(Value::Bool(b)) => b,
            None => false,
            Some(_) => {
                self.error(
                    &expr.span,
                    format!("Invalid {what}"),
                    format!("The {what} must be true or false."),
                );
                false
            }
        }
    }

    fn variable(&mut self, file: usize, block: &Block, name: &str) {
        let span = span_of(file, block);
        if let Some(prev) = self.config.variables.get(name) {
            let first = self.location_text(&prev.span.clone());
            self.error(
                &span,
                "Duplicate variable declaration",
                format!("A variable named \"{name}\" was already declared at {first}."),
            );
            return;
        }
        let mut var = VariableBlock {
            name: name.to_string(),
            ty: Type::Any,
            default: None,
            description: String::new(),
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span,
        };
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let expr = expr_of(file, attr);
                    match attr.key.as_str() {
                        "type" => match Type::from_expr(&attr.value) {
                            Ok(t) => var.ty = t,
                            Err(e) => {
                                self.error(&expr.span, "Invalid type specification", e.to_string())
                            }
                        },
                        "default" => var.default = self.static_value(&expr, "a variable default"),
                        "description" => var.description = self.static_string(&expr, "description"),
                        "sensitive" => var.sensitive = self.static_bool(&expr, "sensitive flag"),
                        "nullable" => var.nullable = self.static_bool(&expr, "nullable flag"),
                        other => {
                            let hint = did_you_mean(
                                other,
                                ["type", "default", "description", "sensitive", "nullable"],
                            );
                            self.error(&expr.span, "Unsupported argument", format!("An argument named \"{other}\" is not expected in a variable block.{hint}"));
                        }
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "validation" => {
                    let attrs = self.plain_attributes(file, &b.body, "validation");
                    match (attrs.get("condition"), attrs.get("error_message")) {
                        (Some(c), Some(m)) => var.validations.push(Validation {
                            condition: c.clone(),
                            error_message: m.clone(),
                        }),
                        _ => {
                            let span = span_of(file, b);
                            self.error(
                                &span,
                                "Incomplete validation block",
                                "A validation block needs `condition` and `error_message`.",
                            );
                        }
                    }
                }
                Structure::Block(b) => {
                    let span = span_of(file, b);
                    self.error(
                        &span,
                        format!("Unsupported block type \"{}\"", b.ident.as_str()),
                        "Only `validation` blocks are expected in a variable block.",
                    );
                }
            }
        }
        if let Some(default) = &var.default {
            match var.ty.convert(default) {
                Ok(v) => var.default = Some(v),
                Err(e) => {
                    let span = var.span.clone();
                    self.error(&span, "Invalid default value for variable", format!("This default value is not compatible with the variable's type constraint: {e}."));
                }
            }
        }
        self.config.variables.insert(name.to_string(), var);
    }

    fn output(&mut self, file: usize, block: &Block, name: &str) {
        let span = span_of(file, block);
        if let Some(prev) = self.config.outputs.get(name) {
            let first = self.location_text(&prev.span.clone());
            self.error(
                &span,
                "Duplicate output definition",
                format!("An output named \"{name}\" was already defined at {first}."),
            );
            return;
        }
        let attrs = self.plain_attributes(file, &block.body, "output");
        let Some(value) = attrs.get("value").cloned() else {
            self.error(
                &span,
                "Missing required argument",
                "The argument \"value\" is required in an output block.",
            );
            return;
        };
        let mut out = OutputBlock {
            name: name.to_string(),
            value,
            description: String::new(),
            sensitive: false,
            depends_on: Vec::new(),
            span,
        };
        for (key, expr) in &attrs {
            match key.as_str() {
                "value" => {}
                "description" => out.description = self.static_string(expr, "description"),
                "sensitive" => out.sensitive = self.static_bool(expr, "sensitive flag"),
                "depends_on" => out.depends_on = self.depends_on(expr),
                other => {
                    let hint =
                        did_you_mean(other, ["value", "description", "sensitive", "depends_on"]);
                    self.error(&expr.span, "Unsupported argument", format!("An argument named \"{other}\" is not expected in an output block.{hint}"));
                }
            }
        }
        self.config.outputs.insert(name.to_string(), out);
    }

    /// The `alias` of a provider block: a literal name.
    fn provider_alias(&mut self, expr: &Expr) -> Option<String> {
        match self.static_value(expr, "alias") {
            Some(Value::String(alias)) if is_identifier(&alias) => Some(alias),
            Some(_) => {
                self.error(&expr.span, "Invalid provider configuration alias", "An alias must be a valid name: a letter followed by letters, digits, underscores or dashes.");
                None
            }
            None => None,
        }
    }

    /// The `provider` meta-argument of a resource: `NAME` or `NAME.ALIAS`.
    fn provider_ref(&mut self, expr: &Expr) -> Option<ProviderRef> {
        let parts = match &expr.expr {
            Expression::Variable(name) => Some((name.as_str().to_string(), None)),
            Expression::Traversal(traversal) => match (&traversal.expr, &traversal.operators[..]) {
                (Expression::Variable(name), [operator]) => match operator.value() {
                    TraversalOperator::GetAttr(alias) => {
                        Some((name.as_str().to_string(), Some(alias.as_str().to_string())))
                    }
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        match parts {
            Some((local_name, alias)) => Some(ProviderRef {
                local_name,
                alias,
                span: expr.span.clone(),
            }),
            None => {
                self.error(&expr.span, "Invalid provider reference", "The provider argument is a provider name, or a name and an alias: provider = yandex or provider = yandex.b (without quotes).");
                None
            }
        }
    }

    fn depends_on(&mut self, expr: &Expr) -> Vec<(ResourceAddr, Span)> {
        let Expression::Array(items) = &expr.expr else {
            self.error(&expr.span, "Invalid depends_on", "depends_on must be a list of resource references, e.g. [yandex_iam_service_account.sa].");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let span = Span {
                file: expr.span.file,
                range: item.span().unwrap_or(expr.span.range.clone()),
            };
            let quoted = match item {
                Expression::String(text) => hcl::edit::parser::parse_expr(text.value())
                    .ok()
                    .filter(|_| {
                        self.quoted_reference(&span, text.value(), "depends_on");
                        true
                    }),
                _ => None,
            };
            match static_resource_ref(quoted.as_ref().unwrap_or(item)) {
                Some(addr) => out.push((addr, span)),
                None => self.error(&span, "Invalid depends_on reference", "Each entry must be a resource reference such as yandex_iam_service_account.sa."),
            }
        }
        out
    }

    /// The attributes of a block that takes only `allowed` (a nested `lifecycle` block
    /// where `lifecycle` is allowed), each name reported once when unexpected.
    fn block_arguments(
        &mut self,
        file: usize,
        block: &Block,
        allowed: &[&str],
    ) -> (BTreeMap<String, Expr>, Option<Block>) {
        let what = block.ident.as_str().to_string();
        let mut attributes = BTreeMap::new();
        let mut lifecycle = None;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let expr = expr_of(file, attr);
                    let name = attr.key.as_str();
                    if allowed.contains(&name) {
                        attributes.insert(name.to_string(), expr);
                    } else {
                        let hint = did_you_mean(name, allowed.iter().copied());
                        self.error(&expr.span, "Unsupported argument", format!("An argument named \"{name}\" is not expected in a {what} block.{hint}"));
                    }
                }
                Structure::Block(b)
                    if b.ident.as_str() == "lifecycle" && allowed.contains(&"lifecycle") =>
                {
                    lifecycle = Some(b.clone());
                }
                Structure::Block(b) => {
                    let span = span_of(file, b);
                    self.error(
                        &span,
                        format!("Unsupported block type \"{}\"", b.ident.as_str()),
                        format!(
                            "No {} blocks are expected in a {what} block.",
                            b.ident.as_str()
                        ),
                    );
                }
            }
        }
        (attributes, lifecycle)
    }

    /// The address in `name` of a `what` block: a resource reference with an optional
    /// index (literal keys only unless `each_key`).
    fn address_ref(
        &mut self,
        attributes: &BTreeMap<String, Expr>,
        name: &str,
        what: &str,
        block_span: &Span,
        each_key: bool,
    ) -> Option<AddressRef> {
        let Some(expr) = attributes.get(name) else {
            self.error(
                block_span,
                "Missing required argument",
                format!("The argument \"{name}\" is required in a {what} block."),
            );
            return None;
        };
        if let Some(address) = self.module_address_ref(expr, each_key) {
            return Some(address);
        }
        let is_reference = matches!(
            expr.expr,
            Expression::Traversal(_) | Expression::Variable(_)
        );
        let references: Vec<Reference> = references_of(expr)
            .into_iter()
            .filter(|r| !(each_key && matches!(r.kind, ReferenceKind::Each)))
            .collect();
        match (is_reference, references.as_slice()) {
            (
                true,
                [
                    Reference {
                        kind:
                            ReferenceKind::Resource {
                                addr,
                                attribute: None,
                                indexed,
                                index,
                            },
                        ..
                    },
                ],
            ) if !addr.is_data()
                && (!indexed
                    || matches!(index, Some(StaticIndex::Literal(_)))
                    || (each_key && matches!(index, Some(StaticIndex::EachKey)))) =>
            {
                Some(AddressRef {
                    resource: addr.clone(),
                    index: index.clone(),
                    span: expr.span.clone(),
                })
            }
            _ => {
                let keys = if each_key {
                    "a literal key or each.key"
                } else {
                    "a literal key"
                };
                self.error(&expr.span, format!("Invalid {name} address"), format!("{name} in {} {what} block is a resource address such as yandex_iam_service_account.sa or yandex_iam_service_account.sa[\"x\"] (an index is {keys}), written without quotes.", if what == "import" { "an" } else { "a" }));
                None
            }
        }
    }

    /// An address in a module (`module.a["x"].TYPE.NAME[KEY]`), read from its text.
    fn module_address_ref(&self, expr: &Expr, each_key: bool) -> Option<AddressRef> {
        let Expression::Traversal(t) = &expr.expr else {
            return None;
        };
        if !matches!(&t.expr, Expression::Variable(v) if v.as_str() == "module") {
            return None;
        }
        let range = expr.expr.span()?;
        let text = self.statics.files.get(expr.span.file)?.text.get(range)?;
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (text, each) = match text.strip_suffix("[each.key]") {
            Some(rest) if each_key => (rest.to_string(), true),
            _ => (text, false),
        };
        let (resource, index) = match crate::address::parse_target(&text).ok()? {
            Target::Resource(r) => (r, None),
            Target::Instance(i) if !each => (i.resource, Some(StaticIndex::Literal(i.key))),
            _ => return None,
        };
        if resource.is_data() {
            return None;
        }
        Some(AddressRef {
            resource,
            index: if each {
                Some(StaticIndex::EachKey)
            } else {
                index
            },
            span: expr.span.clone(),
        })
    }

    fn moved(&mut self, file: usize, block: &Block) {
        let span = span_of(file, block);
        let (attributes, _) = self.block_arguments(file, block, &["from", "to"]);
        let from = self.address_ref(&attributes, "from", "moved", &span, false);
        let to = self.address_ref(&attributes, "to", "moved", &span, false);
        let (Some(from), Some(to)) = (from, to) else {
            return;
        };
        if from.resource.type_name != to.resource.type_name {
            self.error(&to.span, "Resource type mismatch", format!("A moved block moves objects within one resource type; {from} and {to} have different types."));
            return;
        }
        if from.index.is_some() != to.index.is_some() {
            self.error(&to.span, "Incompatible move", format!("A moved block moves a whole resource to a resource, or one instance to an instance; {from} and {to} mix the two."));
            return;
        }
        if from.resource == to.resource && from.index == to.index {
            self.error(
                &to.span,
                "Redundant move",
                format!("{from} is moved to itself."),
            );
            return;
        }
        self.config.moved.push(super::MovedBlock { from, to, span });
    }

    fn removed(&mut self, file: usize, block: &Block) {
        let span = span_of(file, block);
        let (attributes, lifecycle) = self.block_arguments(file, block, &["from", "lifecycle"]);
        let Some(from) = self.address_ref(&attributes, "from", "removed", &span, false) else {
            return;
        };
        if from.index.is_some() {
            self.error(
                &from.span,
                "Invalid from address",
                "A removed block names a whole resource, without an instance key.",
            );
            return;
        }
        let mut destroy = true;
        if let Some(lifecycle) = lifecycle {
            let attrs = self.plain_attributes(file, &lifecycle.body, "lifecycle");
            for (key, expr) in &attrs {
                match key.as_str() {
                    "destroy" => destroy = self.static_bool(expr, "destroy"),
                    other => self.error(
                        &expr.span,
                        "Unsupported argument",
                        format!(
                            "A removed block's lifecycle takes only \"destroy\", not \"{other}\"."
                        ),
                    ),
                }
            }
        }
        self.config.removed.push(super::RemovedBlock {
            from,
            destroy,
            span,
        });
    }

    fn import(&mut self, file: usize, block: &Block) {
        let span = span_of(file, block);
        let (mut attributes, _) = self.block_arguments(
            file,
            block,
            &["to", "id", "for_each", "provider", "identity"],
        );
        if let Some(identity) = attributes.remove("identity") {
            self.unsupported_yet(
                &identity.span,
                "import by identity",
                Some("import blocks take an id"),
            );
            return;
        }
        let for_each = attributes.get("for_each").cloned();
        let Some(to) = self.address_ref(&attributes, "to", "import", &span, for_each.is_some())
        else {
            return;
        };
        let Some(id) = attributes.get("id").cloned() else {
            self.error(
                &span,
                "Missing required argument",
                "The argument \"id\" is required in an import block.",
            );
            return;
        };
        let provider = attributes
            .get("provider")
            .and_then(|expr| self.provider_ref(expr));
        self.config.imports.push(super::ImportBlock {
            to,
            id,
            for_each,
            provider,
            span,
        });
    }

    fn module_call(&mut self, file: usize, block: &Block, name: &str) {
        let span = span_of(file, block);
        if let Some(prev) = self.config.module_calls.iter().find(|m| m.name == name) {
            let first = self.location_text(&prev.span.clone());
            self.error(&span, "Duplicate module call", format!("A module call named \"{name}\" was already defined at {first}. Module calls must have unique names within a module."));
            return;
        }
        let mut call = super::ModuleCall {
            name: name.to_string(),
            source: String::new(),
            arguments: BTreeMap::new(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: Vec::new(),
            span: span.clone(),
        };
        let mut source = None;
        let mut version = None;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let expr = expr_of(file, attr);
                    match attr.key.as_str() {
                        "source" => source = Some(expr),
                        "version" => version = Some(expr),
                        "count" => call.count = Some(expr),
                        "for_each" => call.for_each = Some(expr),
                        "depends_on" => call.depends_on = self.depends_on(&expr),
                        "providers" => call.providers = self.module_providers(&expr),
                        other => {
                            call.arguments.insert(other.to_string(), expr);
                        }
                    }
                }
                Structure::Block(b) => {
                    let span = span_of(file, b);
                    self.error(&span, format!("Unsupported block type \"{}\"", b.ident.as_str()), "A module block takes arguments (the module's input variables and source, count, for_each, depends_on, providers), not blocks.");
                }
            }
        }
        let Some(source) = source else {
            self.error(&span, "Missing required argument", "The argument \"source\" is required in a module block, e.g. source = \"./modules/service-account\".");
            return;
        };
        call.source = self.static_string(&source, "module source");
        let local = call.source.starts_with("./") || call.source.starts_with("../");
        if !local {
            let src = call.source.clone();
            let note = format!(
                "\"{src}\" is a registry, git or archive source, and ycprov downloads nothing: copy the module into the configuration and use source = \"./path\""
            );
            self.unsupported_yet(
                &source.span,
                "module sources other than local paths",
                Some(&note),
            );
            return;
        }
        if let Some(version) = version {
            self.error(&version.span, "Invalid module version", "version applies to modules from a registry; ycprov runs modules from local paths, which have no version. Remove it.");
        }
        if call.count.is_some() && call.for_each.is_some() {
            self.error(&span, "Invalid combination of \"count\" and \"for_each\"", "The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be used.");
            return;
        }
        self.config.module_calls.push(call);
    }

    /// The `providers = { yandex = yandex.b, "yandex.x" = yandex }` map of a module call.
    fn module_providers(&mut self, expr: &Expr) -> Vec<(String, ProviderRef)> {
        let Expression::Object(object) = &expr.expr else {
            self.error(&expr.span, "Invalid providers argument", "providers is a map from the module's provider names to this module's provider configurations, e.g. providers = { yandex = yandex.other }.");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in object.iter() {
            let key_text = match key {
                ObjectKey::Ident(i) => Some(i.as_str().to_string()),
                ObjectKey::Expression(Expression::Variable(v)) => Some(v.as_str().to_string()),
                ObjectKey::Expression(Expression::Traversal(t)) => {
                    match (&t.expr, &t.operators[..]) {
                        (Expression::Variable(v), [op]) => match op.value() {
                            TraversalOperator::GetAttr(a) => {
                                Some(format!("{}.{}", v.as_str(), a.as_str()))
                            }
                            _ => None,
                        },
                        _ => None,
                    }
                }
                ObjectKey::Expression(Expression::String(s)) => Some(s.value().to_string()),
                _ => None,
            };
            let value_expr = Expr {
                expr: value.expr().clone(),
                span: Span {
                    file: expr.span.file,
                    range: value.expr().span().unwrap_or(expr.span.range.clone()),
                },
            };
            match (key_text, self.provider_ref(&value_expr)) {
                (Some(key), Some(provider)) => out.push((key, provider)),
                (None, _) => self.error(&value_expr.span, "Invalid providers argument", "Each key of providers is the module's provider name, e.g. yandex or yandex.alias."),
                (_, None) => {}
            }
        }
        out
    }

    /// The error for valid Terraform that ycprov does not run: distinct from "invalid".
    fn unsupported_yet(&mut self, span: &Span, what: &str, note: Option<&str>) {
        let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
        self.error(
            span,
            format!("ycprov does not support {what} yet"),
            format!("This is valid Terraform, but ycprov does not support {what} yet{note}. See the README's list of Terraform behaviours covered."),
        );
    }

    /// The warning Terraform gives for a reference written as a string.
    fn quoted_reference(&mut self, span: &Span, text: &str, argument: &str) {
        let loc = self.statics.location(span);
        self.config.warnings.push(
            Diag::warning(
                "Quoted references are deprecated",
                format!("In this context, references are expected literally rather than in quotes. Remove the quotes surrounding \"{text}\" in {argument}."),
            )
            .at(loc),
        );
    }

    fn resource(&mut self, file: usize, block: &Block, addr: ResourceAddr) {
        let span = span_of(file, block);
        let (type_name, name) = (addr.type_name.clone(), addr.name.clone());
        let kind = if addr.is_data() { "data" } else { "resource" };
        if let Some(prev) = self.config.resource(&addr) {
            let first = self.location_text(&prev.span.clone());
            self.error(&span, format!("Duplicate {kind} \"{type_name}\" configuration"), format!("A {type_name} {kind} block named \"{name}\" was already declared at {first}. Names must be unique per type."));
            return;
        }
        let mut res = ResourceBlock {
            addr,
            span,
            attributes: BTreeMap::new(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            lifecycle: Lifecycle::default(),
            provider: None,
            nested_blocks: Default::default(),
        };
        let mut nested: BTreeMap<String, (Span, Vec<BlockPart>)> = BTreeMap::new();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let expr = expr_of(file, attr);
                    match attr.key.as_str() {
                        "count" => res.count = Some(expr),
                        "for_each" => res.for_each = Some(expr),
                        "depends_on" => res.depends_on = self.depends_on(&expr),
                        "provider" => res.provider = self.provider_ref(&expr),
                        other => {
                            res.attributes.insert(other.to_string(), expr);
                        }
                    }
                }
                Structure::Block(b) => match b.ident.as_str() {
                    "lifecycle" if res.addr.is_data() => {
                        let span = span_of(file, b);
                        self.unsupported_yet(
                            &span,
                            "lifecycle blocks in data sources",
                            Some("preconditions and postconditions"),
                        );
                    }
                    "lifecycle" => res.lifecycle = self.lifecycle(file, b),
                    "timeouts" => {}
                    "provisioner" | "connection" => {
                        let span = span_of(file, b);
                        let what = format!("\"{}\" blocks", b.ident.as_str());
                        self.unsupported_yet(
                            &span,
                            &what,
                            Some("ycprov manages cloud objects through their API only"),
                        );
                    }
                    "dynamic" => {
                        let span = span_of(file, b);
                        if let Some((name, list)) = self.dynamic_block(file, b, 1) {
                            nested
                                .entry(name)
                                .or_insert_with(|| (span, Vec::new()))
                                .1
                                .push(BlockPart::Dynamic(list));
                        }
                    }
                    other => {
                        let span = span_of(file, b);
                        if let Some(object) = self.nested_block(file, b, 1) {
                            nested
                                .entry(other.to_string())
                                .or_insert_with(|| (span, Vec::new()))
                                .1
                                .push(BlockPart::Static(object));
                        }
                    }
                },
            }
        }
        for (name, (span, parts)) in nested {
            if let Some(argument) = res.attributes.get(&name) {
                let argument = argument.span.clone();
                self.error(&argument, format!("Duplicate \"{name}\" definition"), format!("\"{name}\" is given both as an argument and as nested blocks; write it one way."));
                continue;
            }
            let Some(expr) = self.blocks_expression(&span, &name, parts) else {
                continue;
            };
            res.attributes.insert(name.clone(), Expr { expr, span });
            res.nested_blocks.insert(name);
        }
        if res.count.is_some() && res.for_each.is_some() {
            let span = res.span.clone();
            self.error(&span, "Invalid combination of \"count\" and \"for_each\"", "The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be used.");
        }
        self.config.resources.push(res);
    }

    /// A nested block of a resource (`output_to_lockbox { … }`) as the object expression
    /// it stands for; blocks nested in it become lists of objects under their type name.
    fn nested_block(&mut self, file: usize, block: &Block, depth: usize) -> Option<Expression> {
        let span = span_of(file, block);
        let name = block.ident.as_str();
        if !block.labels.is_empty() {
            self.error(
                &span,
                format!("Extraneous label for {name}"),
                format!("A \"{name}\" block takes no labels."),
            );
            return None;
        }
        if depth > limits::MAX_NESTED_BLOCK_DEPTH {
            self.error(
                &span,
                "Blocks nested too deeply",
                format!(
                    "Nested blocks may be at most {} deep (limits::MAX_NESTED_BLOCK_DEPTH).",
                    limits::MAX_NESTED_BLOCK_DEPTH
                ),
            );
            return None;
        }
        let mut object = hcl::edit::expr::Object::new();
        let mut inner: BTreeMap<String, Vec<BlockPart>> = BTreeMap::new();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key = attr.key.as_str();
                    if object.contains_key(&ObjectKey::from(hcl::edit::Ident::new(key))) {
                        let at = span_of(file, attr);
                        self.error(
                            &at,
                            "Duplicate argument",
                            format!(
                                "The argument \"{key}\" was already set in this \"{name}\" block."
                            ),
                        );
                        continue;
                    }
                    object.insert(
                        ObjectKey::from(hcl::edit::Ident::new(key)),
                        hcl::edit::expr::ObjectValue::new(attr.value.clone()),
                    );
                }
                Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                    if let Some((name, list)) = self.dynamic_block(file, b, depth + 1) {
                        inner
                            .entry(name)
                            .or_default()
                            .push(BlockPart::Dynamic(list));
                    }
                }
                Structure::Block(b) => {
                    if let Some(nested) = self.nested_block(file, b, depth + 1) {
                        inner
                            .entry(b.ident.as_str().to_string())
                            .or_default()
                            .push(BlockPart::Static(nested));
                    }
                }
            }
        }
        for (key, blocks) in inner {
            let object_key = ObjectKey::from(hcl::edit::Ident::new(key.as_str()));
            if object.contains_key(&object_key) {
                self.error(&span, format!("Duplicate \"{key}\" definition"), format!("\"{key}\" is given both as an argument and as nested blocks in this \"{name}\" block."));
                continue;
            }
            let Some(list) = self.blocks_expression(&span, &key, blocks) else {
                continue;
            };
            object.insert(object_key, hcl::edit::expr::ObjectValue::new(list));
        }
        Some(Expression::Object(object))
    }

    /// A `dynamic "NAME" { for_each = …  iterator = …  content { … } }` block as the
    /// block type it generates and a list expression of the generated blocks' objects:
    /// `[for NAME in [for k, v in FOR_EACH : {key = k, value = v}] : CONTENT]`.
    fn dynamic_block(
        &mut self,
        file: usize,
        block: &Block,
        depth: usize,
    ) -> Option<(String, Expression)> {
        let span = span_of(file, block);
        let [label] = block.labels.as_slice() else {
            self.error(&span, "Missing dynamic block type", "A dynamic block takes one label: the type of the blocks it generates, as in dynamic \"output_to_lockbox\" { … }.");
            return None;
        };
        let name = label.as_str().to_string();
        let mut for_each = None;
        let mut iterator = name.clone();
        let mut content = None;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "for_each" => for_each = Some(attr.value.clone()),
                    "iterator" => match &attr.value {
                        Expression::Variable(v) => iterator = v.as_str().to_string(),
                        _ => {
                            let at = span_of(file, attr);
                            self.error(
                                &at,
                                "Invalid dynamic iterator name",
                                "The iterator must be a bare name, as in iterator = key.",
                            );
                            return None;
                        }
                    },
                    "labels" => {}
                    other => {
                        let at = span_of(file, attr);
                        self.error(&at, "Unsupported argument", format!("An argument named \"{other}\" is not expected in a dynamic block; it takes for_each, iterator and a content block."));
                        return None;
                    }
                },
                Structure::Block(b) if b.ident.as_str() == "content" && content.is_none() => {
                    let mut body = b.clone();
                    body.ident = hcl::edit::Decorated::new(hcl::edit::Ident::new(name.as_str()));
                    content = Some(self.nested_block(file, &body, depth)?);
                }
                Structure::Block(b) => {
                    let at = span_of(file, b);
                    self.error(
                        &at,
                        "Unsupported block type",
                        format!(
                            "A dynamic block takes one content block, not a \"{}\" block.",
                            b.ident.as_str()
                        ),
                    );
                    return None;
                }
            }
        }
        let (Some(for_each), Some(content)) = (for_each, content) else {
            self.error(
                &span,
                "Incomplete dynamic block",
                format!(
                    "The dynamic \"{name}\" block needs a for_each argument and a content block."
                ),
            );
            return None;
        };
        let text = format!(
            "[for {iterator} in [for k, v in ({for_each}) : {{ key = k, value = v }}] : {content}]"
        );
        match hcl::edit::parser::parse_expr(&text) {
            Ok(expr) => Some((name, expr)),
            Err(error) => {
                self.error(
                    &span,
                    "Invalid dynamic block",
                    format!(
                        "The dynamic \"{name}\" block could not be expanded: {}",
                        error.message()
                    ),
                );
                None
            }
        }
    }

    /// [`blocks_expression`], with an error at `span` when the parts cannot be joined.
    fn blocks_expression(
        &mut self,
        span: &Span,
        name: &str,
        parts: Vec<BlockPart>,
    ) -> Option<Expression> {
        match blocks_expression(parts) {
            Ok(expr) => Some(expr),
            Err(why) => {
                self.error(
                    span,
                    "Invalid dynamic block",
                    format!("The \"{name}\" blocks could not be joined: {why}"),
                );
                None
            }
        }
    }

    fn lifecycle(&mut self, file: usize, block: &Block) -> Lifecycle {
        let mut lc = Lifecycle::default();
        let mut body = block.body.clone();
        for condition in ["precondition", "postcondition"] {
            for b in block
                .body
                .blocks()
                .filter(|b| b.ident.as_str() == condition)
            {
                let span = span_of(file, b);
                self.unsupported_yet(&span, &format!("{condition} blocks"), None);
            }
            body.remove_blocks(condition);
        }
        let attrs = self.plain_attributes(file, &body, "lifecycle");
        for (key, expr) in &attrs {
            match key.as_str() {
                "prevent_destroy" => lc.prevent_destroy = self.static_bool(expr, "prevent_destroy"),
                "create_before_destroy" => {
                    lc.create_before_destroy = self.static_bool(expr, "create_before_destroy")
                }
                "ignore_changes" => match &expr.expr {
                    Expression::Variable(v) if v.as_str() == "all" => lc.ignore_all_changes = true,
                    Expression::Array(items) => {
                        for item in items.iter() {
                            match item {
                                Expression::Variable(v) => {
                                    lc.ignore_changes.push(v.as_str().to_string())
                                }
                                Expression::String(s) => {
                                    let span = Span {
                                        file,
                                        range: item.span().unwrap_or(expr.span.range.clone()),
                                    };
                                    self.quoted_reference(&span, s.as_str(), "ignore_changes");
                                    lc.ignore_changes.push(s.as_str().to_string())
                                }
                                Expression::Traversal(t) => {
                                    if let Expression::Variable(v) = &t.expr {
                                        lc.ignore_changes.push(v.as_str().to_string());
                                    }
                                }
                                _ => self.error(
                                    &expr.span,
                                    "Invalid ignore_changes",
                                    "Each entry must be an attribute name.",
                                ),
                            }
                        }
                    }
                    _ => self.error(
                        &expr.span,
                        "Invalid ignore_changes",
                        "ignore_changes must be a list of attribute names or `all`.",
                    ),
                },
                "replace_triggered_by" => lc.replace_triggered_by = self.triggers(expr),
                other => {
                    let hint = did_you_mean(
                        other,
                        [
                            "ignore_changes",
                            "prevent_destroy",
                            "create_before_destroy",
                            "replace_triggered_by",
                        ],
                    );
                    self.error(&expr.span, "Unsupported argument", format!("An argument named \"{other}\" is not expected in a lifecycle block.{hint}"));
                }
            }
        }
        lc
    }
}

impl Builder<'_> {
    /// The entries of `replace_triggered_by`: each a reference to a resource, one of its
    /// instances (`[count.index]`, `[each.key]` or a literal) or one of its attributes.
    fn triggers(&mut self, expr: &Expr) -> Vec<Trigger> {
        let Expression::Array(items) = &expr.expr else {
            self.error(&expr.span, "Invalid replace_triggered_by", "replace_triggered_by must be a list of resource references, e.g. [time_rotating.key.id].");
            return Vec::new();
        };
        let mut triggers = Vec::new();
        for item in items.iter() {
            let span = Span {
                file: expr.span.file,
                range: item.span().unwrap_or(expr.span.range.clone()),
            };
            let one = Expr {
                expr: item.clone(),
                span: span.clone(),
            };
            let is_reference = matches!(item, Expression::Traversal(_) | Expression::Variable(_));
            let references: Vec<Reference> = references_of(&one)
                .into_iter()
                .filter(|r| !matches!(r.kind, ReferenceKind::Count | ReferenceKind::Each))
                .collect();
            match (is_reference, references.as_slice()) {
                (
                    true,
                    [
                        Reference {
                            kind:
                                ReferenceKind::Resource {
                                    addr,
                                    attribute,
                                    indexed,
                                    index,
                                },
                            ..
                        },
                    ],
                ) if !indexed || index.is_some() => triggers.push(Trigger {
                    resource: addr.clone(),
                    index: index.clone(),
                    attribute: attribute.clone(),
                    span,
                }),
                _ => self.error(
                    &span,
                    "Invalid replace_triggered_by expression",
                    "Each entry must be a reference to a managed resource, one of its instances ([count.index], [each.key] or a literal index) or one of its attributes, e.g. time_rotating.key or yandex_iam_service_account.sa[count.index].id.",
                ),
            }
        }
        triggers
    }
}

fn expr_of(file: usize, attr: &Attribute) -> Expr {
    Expr {
        expr: attr.value.clone(),
        span: span_of(file, attr),
    }
}

/// The blocks of one type in a body, in order: written out, or generated by `dynamic`.
enum BlockPart {
    /// One block's object.
    Static(Expression),
    /// A list of generated blocks' objects.
    Dynamic(Expression),
}

/// The list of objects the blocks of one type stand for: a list literal when all are
/// written out, else the text of `concat(…)` of their parts.
fn blocks_expression(parts: Vec<BlockPart>) -> Result<Expression, String> {
    if parts
        .iter()
        .all(|part| matches!(part, BlockPart::Static(_)))
    {
        let objects = parts.into_iter().map(|part| match part {
            BlockPart::Static(object) | BlockPart::Dynamic(object) => object,
        });
        return Ok(Expression::Array(objects.collect()));
    }
    let mut lists: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for part in parts {
        match part {
            BlockPart::Static(object) => run.push(object.to_string()),
            BlockPart::Dynamic(list) => {
                if !run.is_empty() {
                    lists.push(format!("[{}]", run.join(", ")));
                    run.clear();
                }
                lists.push(list.to_string());
            }
        }
    }
    if !run.is_empty() {
        lists.push(format!("[{}]", run.join(", ")));
    }
    let text = if lists.len() == 1 {
        lists.remove(0)
    } else {
        format!("concat({})", lists.join(", "))
    };
    hcl::edit::parser::parse_expr(&text).map_err(|error| error.message().to_string())
}

/// `type.name` from a static reference expression (as in `depends_on`).
fn static_resource_ref(expr: &Expression) -> Option<ResourceAddr> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let names: Vec<&str> = t
        .operators
        .iter()
        .map_while(|o| match o.value() {
            TraversalOperator::GetAttr(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    match (root.as_str(), names.as_slice()) {
        ("data", [type_name, name, ..]) => Some(ResourceAddr::data(*type_name, *name)),
        ("data", _) => None,
        (type_name, [name, ..]) => Some(ResourceAddr::new(type_name, *name)),
        _ => None,
    }
}

/// Whether `text` is a name Terraform accepts (a letter or underscore, then letters,
/// digits, underscores and dashes).
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Diagnostics> {
        from_sources(vec![SourceFile::new("main.tf", text)])
    }

    #[test]
    fn structures_blocks() {
        let cfg = parse(
            r#"
terraform {}
provider "yandex" { folder_id = var.folder }
variable "folder" {
  type    = string
  default = "b1g"
}
locals { name = "sa-${var.folder}" }
resource "yandex_iam_service_account" "sa" {
  name = local.name
  count = 2
  lifecycle {
    ignore_changes = [description]
    create_before_destroy = true
  }
}
output "id" {
  value     = yandex_iam_service_account.sa[0].id
  sensitive = true
}
"#,
        )
        .unwrap();
        assert_eq!(cfg.variables["folder"].default, Some(Value::from("b1g")));
        assert_eq!(cfg.resources.len(), 1);
        assert!(cfg.resources[0].count.is_some());
        assert_eq!(
            cfg.resources[0].lifecycle.ignore_changes,
            vec!["description"]
        );
        assert!(cfg.resources[0].lifecycle.create_before_destroy);
        assert!(cfg.outputs["id"].sensitive);
        assert!(cfg.locals.contains_key("name"));
    }

    #[test]
    fn syntax_error_has_location() {
        let err = parse("resource \"a\" \"b\" {\n  name = \n}\n").unwrap_err();
        let loc = err.0[0].location.clone().unwrap();
        assert_eq!(loc.file, "main.tf");
        assert!(loc.line >= 2, "{loc:?}");
    }
}
