//! Expression evaluation with unknown values and sensitivity tracking.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use hcl::edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Directive, Element, Template};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::functions::{self, FunctionContext};
use super::{Config, Expr, Span};
use crate::address::ResourceAddr;
use crate::diagnostics::{Diag, Diagnostics, did_you_mean};
use crate::limits;
use crate::provider::Schema;
use crate::value::{
    Phase, Type, contains_unknown, is_unknown, kind_name, number, to_template_string, unknown,
    values_equal,
};

/// The function that stands for a value not known yet in flattened module expressions
/// (the outputs of a module whose instances are not known during `validate`).
pub(crate) const UNKNOWN_FUNCTION: &str = "__ycprov_unknown";

/// The resolved values of all input variables.
#[derive(Clone, Default, PartialEq)]
pub struct Variables {
    /// Values by name (a missing name evaluates as unknown).
    pub values: BTreeMap<String, Value>,
    /// Names of the variables declared `sensitive`.
    pub sensitive: BTreeSet<String>,
    /// Warnings found while resolving (e.g. a file assigning an undeclared variable).
    pub warnings: Diagnostics,
}

/// Supplies the current value of resources for references.
pub trait ResourceValues: Sync {
    /// The value of `addr` (an object, or a list/map of objects with `count`/`for_each`);
    /// `None` when not known (treated as unknown).
    fn value(&self, addr: &ResourceAddr) -> Option<Value>;

    /// True when an instance of `addr` holds `attribute` (any attribute when `None`)
    /// with a value derived from a sensitive one, though the schema does not mark it.
    fn marked(&self, _addr: &ResourceAddr, _attribute: Option<&str>) -> bool {
        false
    }
}

/// No resource values: every reference is unknown.
pub struct NoResources;

impl ResourceValues for NoResources {
    fn value(&self, _addr: &ResourceAddr) -> Option<Value> {
        None
    }
}

/// `count.index` and `each.key`/`each.value` of the instance being evaluated.
#[derive(Debug, Clone, Default)]
pub struct InstanceVars {
    /// `count.index`.
    pub count_index: Option<i64>,
    /// `each.key` and `each.value`.
    pub each: Option<(String, Value)>,
}

/// The result of evaluating an expression (`Debug` hides sensitive values).
#[derive(Clone, PartialEq)]
pub struct Evaluated {
    /// The value (may contain unknowns).
    pub value: Value,
    /// True when a sensitive variable or attribute contributed to it.
    pub sensitive: bool,
}

impl std::fmt::Debug for Evaluated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.sensitive {
            Value::from(crate::render::SENSITIVE)
        } else {
            self.value.clone()
        };
        f.debug_struct("Evaluated")
            .field("value", &value)
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

/// What expressions are evaluated against.
pub struct EvalContext<'a> {
    config: &'a Config,
    schema: Option<&'a Schema>,
    variables: &'a Variables,
    resources: &'a dyn ResourceValues,
    phase: Phase,
    now: OffsetDateTime,
    plan_time: OffsetDateTime,
}

impl<'a> EvalContext<'a> {
    /// A context; times default to now.
    pub fn new(
        config: &'a Config,
        schema: Option<&'a Schema>,
        variables: &'a Variables,
        resources: &'a dyn ResourceValues,
        phase: Phase,
    ) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            config,
            schema,
            variables,
            resources,
            phase,
            now,
            plan_time: now,
        }
    }

    /// Sets the time `timestamp()` returns at apply and `plantimestamp()` returns.
    pub fn with_times(mut self, now: OffsetDateTime, plan_time: OffsetDateTime) -> Self {
        self.now = now;
        self.plan_time = plan_time;
        self
    }

    /// Evaluates `expr` for one instance.
    pub fn eval(&self, expr: &Expr, inst: &InstanceVars) -> Result<Evaluated, Diag> {
        let ev = Evaluator {
            ctx: self,
            inst: Cell::new(inst),
            file: Cell::new(expr.span.file),
            sensitive: Cell::new(false),
            locals: RefCell::new(Vec::new()),
            depth: Cell::new(0),
        };
        match ev.expr(&expr.expr, &[]) {
            Ok(value) => Ok(Evaluated {
                value,
                sensitive: ev.sensitive.get(),
            }),
            Err(e) => {
                let span = match e.range {
                    Some(range) => Span {
                        file: e.file,
                        range,
                    },
                    None => expr.span.clone(),
                };
                Err(Diag::error(e.summary, e.detail).at(self.config.location(&span)))
            }
        }
    }
}

struct EvalError {
    summary: String,
    detail: String,
    file: usize,
    range: Option<Range<usize>>,
}

type R = Result<Value, EvalError>;

struct Evaluator<'c, 'a> {
    ctx: &'c EvalContext<'a>,
    inst: Cell<&'c InstanceVars>,
    file: Cell<usize>,
    sensitive: Cell<bool>,
    locals: RefCell<Vec<String>>,
    depth: Cell<usize>,
}

type Bound = [(String, Value)];

fn hcl_number(n: &hcl::Number) -> Value {
    match n.as_i64() {
        Some(i) => Value::from(i),
        None => n.as_f64().map(number).unwrap_or(Value::Null),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Evaluator<'_, '_> {
    fn err(
        &self,
        item: &(impl hcl::edit::Span + ?Sized),
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> EvalError {
        EvalError {
            summary: summary.into(),
            detail: detail.into(),
            file: self.file.get(),
            range: item.span(),
        }
    }

    fn expr(&self, expr: &Expression, bound: &Bound) -> R {
        let depth = self.depth.get() + 1;
        if depth > limits::MAX_EVAL_DEPTH {
            return Err(self.err(
                expr,
                "Expression nested too deeply",
                format!(
                    "Evaluating this expression goes more than {} levels deep (limits::MAX_EVAL_DEPTH), for example through a long chain of locals that each refer to the next.",
                    limits::MAX_EVAL_DEPTH
                ),
            ));
        }
        self.depth.set(depth);
        let result = self.expr_at_depth(expr, bound);
        self.depth.set(depth - 1);
        if let Ok(Value::String(text)) = &result
            && text.len() > limits::MAX_STRING_BYTES
        {
            return Err(self.err(
                expr,
                "String too long",
                format!(
                    "This expression produces a string of {} bytes; the limit is {} bytes (limits::MAX_STRING_BYTES).",
                    text.len(),
                    limits::MAX_STRING_BYTES
                ),
            ));
        }
        result
    }

    fn expr_at_depth(&self, expr: &Expression, bound: &Bound) -> R {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(hcl_number(n.value())),
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(items) => {
                let values = items
                    .iter()
                    .map(|e| self.expr(e, bound))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Array(values))
            }
            Expression::Object(obj) => {
                let mut out = Map::new();
                let mut any_unknown_key = false;
                for (key, value) in obj.iter() {
                    let key_text = match key {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => {
                            let k = self.expr(e, bound)?;
                            if is_unknown(&k) {
                                any_unknown_key = true;
                                continue;
                            }
                            to_template_string(&k).ok_or_else(|| {
                                self.err(
                                    e,
                                    "Invalid object key",
                                    format!(
                                        "An object key must be a string, got {}.",
                                        kind_name(&k)
                                    ),
                                )
                            })?
                        }
                    };
                    out.insert(key_text, self.expr(value.expr(), bound)?);
                }
                Ok(if any_unknown_key {
                    unknown()
                } else {
                    Value::Object(out)
                })
            }
            Expression::StringTemplate(t) => self.template(t, bound),
            Expression::HeredocTemplate(h) => self.template(&h.template, bound),
            Expression::Parenthesis(p) => self.expr(p.inner(), bound),
            Expression::Variable(v) => {
                let name = v.as_str();
                if let Some((_, value)) = bound.iter().rev().find(|(n, _)| n == name) {
                    return Ok(value.clone());
                }
                self.reference(expr, name, &[], bound).map(|(v, _)| v)
            }
            Expression::Traversal(t) => {
                let (mut value, consumed) = match &t.expr {
                    Expression::Variable(v) if !bound.iter().any(|(n, _)| n == v.as_str()) => {
                        self.reference(expr, v.as_str(), &t.operators, bound)?
                    }
                    other => (self.expr(other, bound)?, 0),
                };
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                let spans: Vec<&dyn hcl::edit::Span> = t
                    .operators
                    .iter()
                    .map(|o| o as &dyn hcl::edit::Span)
                    .collect();
                value = self.traverse(value, &ops[consumed..], &spans[consumed..], bound)?;
                Ok(value)
            }
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr, bound)?;
                if is_unknown(&cond) {
                    return Ok(unknown());
                }
                match Type::Bool.convert(&cond) {
                    Ok(Value::Bool(true)) => self.expr(&c.true_expr, bound),
                    Ok(Value::Bool(false)) => self.expr(&c.false_expr, bound),
                    _ => Err(self.err(
                        &c.cond_expr,
                        "Incorrect condition type",
                        format!(
                            "The condition expression must be a bool, got {}.",
                            kind_name(&cond)
                        ),
                    )),
                }
            }
            Expression::FuncCall(call) => self.func_call(call, bound),
            Expression::UnaryOp(op) => {
                let v = self.expr(&op.expr, bound)?;
                if is_unknown(&v) {
                    return Ok(unknown());
                }
                match op.operator.value() {
                    UnaryOperator::Neg => as_f64(&v).map(|f| number(-f)).ok_or_else(|| {
                        self.err(&op.expr, "Invalid operand", "Unary minus needs a number.")
                    }),
                    UnaryOperator::Not => match Type::Bool.convert(&v) {
                        Ok(Value::Bool(b)) => Ok(Value::Bool(!b)),
                        _ => Err(self.err(
                            &op.expr,
                            "Invalid operand",
                            "Logical negation needs a bool.",
                        )),
                    },
                }
            }
            Expression::BinaryOp(op) => self.binary(op, bound),
            Expression::ForExpr(f) => self.for_expr(f, bound),
        }
    }

    fn template(&self, t: &Template, bound: &Bound) -> R {
        let elements: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(i)] = elements.as_slice() {
            return self.expr(&i.expr, bound);
        }
        let mut out = String::new();
        let mut any_unknown = false;
        self.template_into(t, bound, &mut out, &mut any_unknown)?;
        Ok(if any_unknown {
            unknown()
        } else {
            Value::String(out)
        })
    }

    fn template_into(
        &self,
        t: &Template,
        bound: &Bound,
        out: &mut String,
        any_unknown: &mut bool,
    ) -> Result<(), EvalError> {
        for element in t.iter() {
            match element {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => {
                    let v = self.expr(&i.expr, bound)?;
                    if contains_unknown(&v) {
                        *any_unknown = true;
                        continue;
                    }
                    match to_template_string(&v) {
                        Some(s) => out.push_str(&s),
                        None if v.is_null() => {
                            return Err(self.err(&i.expr, "Invalid template interpolation value", "The expression result is null. Cannot include a null value in a string template."));
                        }
                        None => {
                            return Err(self.err(&i.expr, "Invalid template interpolation value", format!("Cannot include the given value in a string template: string required, got {}.", kind_name(&v))));
                        }
                    }
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(d) => {
                        let cond = self.expr(&d.if_expr.cond_expr, bound)?;
                        if is_unknown(&cond) {
                            *any_unknown = true;
                            continue;
                        }
                        if cond == Value::Bool(true) {
                            self.template_into(&d.if_expr.template, bound, out, any_unknown)?;
                        } else if let Some(else_expr) = &d.else_expr {
                            self.template_into(&else_expr.template, bound, out, any_unknown)?;
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        let coll = self.expr(&f.collection_expr, bound)?;
                        if is_unknown(&coll) {
                            *any_unknown = true;
                            continue;
                        }
                        for (k, v) in self.iterate(&coll, &f.collection_expr)? {
                            let mut inner: Vec<(String, Value)> = bound.to_vec();
                            if let Some(kv) = &f.key_var {
                                inner.push((kv.as_str().to_string(), k));
                            }
                            inner.push((f.value_var.as_str().to_string(), v));
                            self.template_into(&f.template, &inner, out, any_unknown)?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    fn iterate(&self, coll: &Value, at: &Expression) -> Result<Vec<(Value, Value)>, EvalError> {
        match coll {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v.clone()))
                .collect()),
            Value::Object(m) => Ok(m
                .iter()
                .map(|(k, v)| (Value::from(k.clone()), v.clone()))
                .collect()),
            other => Err(self.err(
                at,
                "Iteration over non-iterable value",
                format!(
                    "A value of type {} cannot be used as the collection in a for expression.",
                    kind_name(other)
                ),
            )),
        }
    }

    fn for_expr(&self, f: &hcl::edit::expr::ForExpr, bound: &Bound) -> R {
        let coll = self.expr(&f.intro.collection_expr, bound)?;
        if is_unknown(&coll) {
            return Ok(unknown());
        }
        let mut list = Vec::new();
        let mut object = Map::new();
        for (k, v) in self.iterate(&coll, &f.intro.collection_expr)? {
            let mut inner: Vec<(String, Value)> = bound.to_vec();
            if let Some(kv) = &f.intro.key_var {
                inner.push((kv.as_str().to_string(), k));
            }
            inner.push((f.intro.value_var.as_str().to_string(), v));
            if let Some(cond) = &f.cond {
                let c = self.expr(&cond.expr, &inner)?;
                if is_unknown(&c) {
                    return Ok(unknown());
                }
                match c {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    other => {
                        return Err(self.err(
                            &cond.expr,
                            "Invalid for_expr condition",
                            format!("The condition must be a bool, got {}.", kind_name(&other)),
                        ));
                    }
                }
            }
            let value = self.expr(&f.value_expr, &inner)?;
            match &f.key_expr {
                None => list.push(value),
                Some(key_expr) => {
                    let key = self.expr(key_expr, &inner)?;
                    if is_unknown(&key) {
                        return Ok(unknown());
                    }
                    let key = to_template_string(&key).ok_or_else(|| {
                        self.err(
                            key_expr,
                            "Invalid object key",
                            "The key expression must produce a string.",
                        )
                    })?;
                    if f.grouping {
                        let entry = object
                            .entry(key)
                            .or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(items) = entry {
                            items.push(value);
                        }
                    } else if object.contains_key(&key) {
                        return Err(self.err(key_expr, "Duplicate object key", format!("Two different items produced the key {key:?} in this for expression. Use `...` after the value to group them.")));
                    } else {
                        object.insert(key, value);
                    }
                }
            }
        }
        Ok(if f.key_expr.is_some() {
            Value::Object(object)
        } else {
            Value::Array(list)
        })
    }

    fn binary(&self, op: &hcl::edit::expr::BinaryOp, bound: &Bound) -> R {
        let lhs = self.expr(&op.lhs_expr, bound)?;
        let rhs = self.expr(&op.rhs_expr, bound)?;
        let operator = *op.operator.value();
        if contains_unknown(&lhs) || contains_unknown(&rhs) {
            return Ok(unknown());
        }
        let num = |v: &Value, side: &Expression| {
            as_f64(v).ok_or_else(|| {
                self.err(
                    side,
                    "Invalid operand",
                    format!(
                        "Unsuitable value for the {} operator: a number is required, got {}.",
                        operator.as_str(),
                        kind_name(v)
                    ),
                )
            })
        };
        let boolean = |v: &Value, side: &Expression| match Type::Bool.convert(v) {
            Ok(Value::Bool(b)) => Ok(b),
            _ => Err(self.err(
                side,
                "Invalid operand",
                format!(
                    "Unsuitable value for the {} operator: a bool is required.",
                    operator.as_str()
                ),
            )),
        };
        use BinaryOperator as B;
        Ok(match operator {
            B::Eq => Value::Bool(values_equal(&lhs, &rhs)),
            B::NotEq => Value::Bool(!values_equal(&lhs, &rhs)),
            B::And => Value::Bool(boolean(&lhs, &op.lhs_expr)? && boolean(&rhs, &op.rhs_expr)?),
            B::Or => Value::Bool(boolean(&lhs, &op.lhs_expr)? || boolean(&rhs, &op.rhs_expr)?),
            _ => {
                let (a, b) = (num(&lhs, &op.lhs_expr)?, num(&rhs, &op.rhs_expr)?);
                match operator {
                    B::Less => Value::Bool(a < b),
                    B::LessEq => Value::Bool(a <= b),
                    B::Greater => Value::Bool(a > b),
                    B::GreaterEq => Value::Bool(a >= b),
                    B::Plus => number(a + b),
                    B::Minus => number(a - b),
                    B::Mul => number(a * b),
                    B::Div if b == 0.0 => {
                        return Err(self.err(
                            &op.rhs_expr,
                            "Division by zero",
                            "The right operand of / is zero.",
                        ));
                    }
                    B::Div => number(a / b),
                    B::Mod if b == 0.0 => {
                        return Err(self.err(
                            &op.rhs_expr,
                            "Division by zero",
                            "The right operand of % is zero.",
                        ));
                    }
                    B::Mod => number(a % b),
                    _ => unreachable!("handled above"),
                }
            }
        })
    }

    fn func_call(&self, call: &hcl::edit::expr::FuncCall, bound: &Bound) -> R {
        let name = call.name.name.as_str();
        if call.name.is_namespaced() {
            return Err(self.err(
                call,
                "Call to unknown function",
                format!(
                    "Namespaced functions such as {}::{name} are not supported.",
                    call.name
                        .namespace
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join("::")
                ),
            ));
        }
        match (name, call.args.iter().next(), call.args.len()) {
            ("sensitive", Some(arg), 1) => {
                let value = self.expr(arg, bound)?;
                self.sensitive.set(true);
                return Ok(value);
            }
            ("nonsensitive", Some(arg), 1) => {
                let before = self.sensitive.get();
                let value = self.expr(arg, bound)?;
                self.sensitive.set(before);
                return Ok(value);
            }
            (UNKNOWN_FUNCTION, None, 0) => return Ok(unknown()),
            ("try", Some(_), _) => {
                let mut last = None;
                for arg in call.args.iter() {
                    match self.expr(arg, bound) {
                        Ok(value) => return Ok(value),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(last.map_or_else(
                    || self.err(call, "Invalid function argument", "try needs an argument."),
                    |e| {
                        self.err(
                            call,
                            "Invalid function argument",
                            format!(
                                "No expression in the try call succeeded; the last failed with: {}",
                                e.detail
                            ),
                        )
                    },
                ));
            }
            ("can", Some(arg), 1) => {
                return Ok(match self.expr(arg, bound) {
                    Ok(value) if is_unknown(&value) => unknown(),
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        if !functions::NAMES.contains(&name) {
            let hint = did_you_mean(name, functions::NAMES.iter().copied());
            return Err(self.err(
                call,
                "Call to unknown function",
                format!("There is no function named \"{name}\".{hint}"),
            ));
        }
        let mut args = Vec::new();
        for arg in call.args.iter() {
            args.push(self.expr(arg, bound)?);
        }
        if call.args.expand_final() {
            match args.pop() {
                Some(Value::Array(items)) => args.extend(items),
                Some(v) if is_unknown(&v) => return Ok(unknown()),
                _ => {
                    return Err(self.err(
                        call,
                        "Invalid expanding argument value",
                        "The expanding argument (indicated by ...) must be a list.",
                    ));
                }
            }
        }
        let fctx = FunctionContext {
            phase: self.ctx.phase,
            now: self.ctx.now,
            plan_time: self.ctx.plan_time,
        };
        functions::call(name, &args, &fctx).map_err(|msg| {
            self.err(
                call,
                "Error in function call",
                format!("Call to function \"{name}\" failed: {msg}."),
            )
        })
    }

    /// Resolves a reference rooted at `name`; returns the value and how many operators it used.
    fn reference(
        &self,
        at: &Expression,
        name: &str,
        ops: &[hcl::edit::Decorated<TraversalOperator>],
        _bound: &Bound,
    ) -> Result<(Value, usize), EvalError> {
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        if self.ctx.phase == Phase::Static {
            return Err(self.err(
                at,
                "Variables not allowed",
                format!("References (here \"{name}\") cannot be used in this place."),
            ));
        }
        let config = self.ctx.config;
        match name {
            "var" => {
                let Some(var) = attr(0) else {
                    return Err(self.err(at, "Invalid reference", "The \"var\" object must be followed by a variable name, e.g. var.folder_id."));
                };
                if !config.variables.contains_key(&var) {
                    let hint = did_you_mean(&var, config.variables.keys().map(String::as_str));
                    return Err(self.err(at, "Reference to undeclared input variable", format!("An input variable with the name \"{var}\" has not been declared.{hint} Declare it with a variable \"{var}\" {{}} block.")));
                }
                if self.ctx.variables.sensitive.contains(&var) {
                    self.sensitive.set(true);
                }
                Ok((self.ctx.variables.values.get(&var).cloned().unwrap_or_else(unknown), 1))
            }
            "local" => {
                let Some(local) = attr(0) else {
                    return Err(self.err(at, "Invalid reference", "The \"local\" object must be followed by a name, e.g. local.sa_name."));
                };
                let Some(def) = config.locals.get(&local) else {
                    let hint = did_you_mean(&local, config.locals.keys().map(String::as_str));
                    return Err(self.err(at, "Reference to undeclared local value", format!("A local value with the name \"{local}\" has not been declared.{hint}")));
                };
                if self.locals.borrow().contains(&local) {
                    return Err(self.err(at, "Cycle in local values", format!("local.{local} refers to itself.")));
                }
                self.locals.borrow_mut().push(local.clone());
                let saved_file = self.file.replace(def.expr.span.file);
                let saved_inst = def.instance.as_ref().map(|i| self.inst.replace(i));
                let result = self.expr(&def.expr.expr, &[]).and_then(|value| match &def.ty {
                    Some(ty) => ty.convert(&value).map_err(|e| {
                        self.err(&def.expr.expr, "Invalid value for module argument", format!("The value given for {} does not match its type constraint: {e}.", def.name))
                    }),
                    None => Ok(value),
                });
                if let Some(inst) = saved_inst {
                    self.inst.set(inst);
                }
                self.file.set(saved_file);
                self.locals.borrow_mut().pop();
                if def.sensitive {
                    self.sensitive.set(true);
                }
                Ok((result?, 1))
            }
            "count" => match (attr(0).as_deref(), self.inst.get().count_index) {
                (Some("index"), Some(i)) => Ok((Value::from(i), 1)),
                (Some("index"), None) => Err(self.err(at, "Reference to \"count\" in non-counted context", "count.index is only available in resources that set the \"count\" argument.")),
                _ => Err(self.err(at, "Invalid count attribute", "The \"count\" object has only the attribute \"index\".")),
            },
            "each" => match (attr(0).as_deref(), &self.inst.get().each) {
                (Some("key"), Some((k, _))) => Ok((Value::from(k.clone()), 1)),
                (Some("value"), Some((_, v))) => Ok((v.clone(), 1)),
                (Some("key" | "value"), None) => Err(self.err(at, "each.value cannot be used in this context", "each.key and each.value are only available in resources that set the \"for_each\" argument.")),
                _ => Err(self.err(at, "Invalid each attribute", "The \"each\" object has only the attributes \"key\" and \"value\".")),
            },
            "path" => match attr(0).as_deref() {
                Some("module" | "root" | "cwd") => Ok((Value::from(config.dir.display().to_string()), 1)),
                _ => Err(self.err(at, "Invalid path attribute", "Use path.module, path.root or path.cwd.")),
            },
            "terraform" => match attr(0).as_deref() {
                Some("workspace") => Ok((Value::from("default"), 1)),
                _ => Err(self.err(at, "Invalid terraform attribute", "Only terraform.workspace is available.")),
            },
            "self" | "module" => Err(self.err(at, "Unsupported reference", format!("ycprov does not support references to \"{name}\" yet."))),
            "data" => {
                let (Some(type_name), Some(res_name)) = (attr(0), attr(1)) else {
                    return Err(self.err(at, "Invalid data source reference", "A reference to a data source is data.TYPE.NAME, e.g. data.yandex_resourcemanager_folder.f.id."));
                };
                self.resource_reference(at, ResourceAddr::data(type_name, res_name), &attr, 1)
            }
            root if crate::address::decode_module_root(root).is_some() => {
                let module = crate::address::decode_module_root(root).unwrap_or_default();
                match (attr(0).as_deref(), attr(1), attr(2)) {
                    (Some("data"), Some(type_name), Some(res_name)) => self.resource_reference(at, ResourceAddr::data(type_name, res_name).in_module(&module), &attr, 2),
                    (Some(type_name), Some(res_name), _) if type_name != "data" => self.resource_reference(at, ResourceAddr::new(type_name, res_name).in_module(&module), &attr, 1),
                    _ => Err(self.err(at, "Invalid reference", "A reference to a resource is TYPE.NAME.")),
                }
            }
            type_name => {
                let Some(res_name) = attr(0) else {
                    let hint = did_you_mean(type_name, ["var", "local", "count", "each", "data"]);
                    return Err(self.err(at, "Invalid reference", format!("There is no variable named \"{type_name}\".{hint} A reference to a resource type must be followed by the resource name, e.g. yandex_iam_service_account.sa.id.")));
                };
                self.resource_reference(at, ResourceAddr::new(type_name, &res_name), &attr, 0)
            }
        }
    }

    /// The value of a resource or data source reference (`attr(shift)` is its name), marked
    /// sensitive when the attribute read is. Consumes the traversal up to the name.
    fn resource_reference(
        &self,
        at: &Expression,
        addr: ResourceAddr,
        attr: &dyn Fn(usize) -> Option<String>,
        shift: usize,
    ) -> Result<(Value, usize), EvalError> {
        let config = self.ctx.config;
        let Some(block) = config.resource(&addr) else {
            let same_type: Vec<&str> = config
                .resources
                .iter()
                .filter(|r| r.addr.type_name == addr.type_name && r.addr.mode == addr.mode)
                .map(|r| r.addr.name.as_str())
                .collect();
            let hint = did_you_mean(&addr.name, same_type);
            let kind = if addr.is_data() {
                "data source"
            } else {
                "managed resource"
            };
            return Err(self.err(
                at,
                "Reference to undeclared resource",
                format!(
                    "A {kind} \"{}\" \"{}\" has not been declared.{hint}",
                    addr.type_name, addr.name
                ),
            ));
        };
        let expanded = block.count.is_some() || block.for_each.is_some();
        let attr_pos = shift + if expanded { 2 } else { 1 };
        if let Some(schema) = self.ctx.schema.and_then(|s| s.of(&addr)) {
            let sensitive = match attr(attr_pos) {
                Some(a) => schema.attributes.get(&a).is_some_and(|a| a.sensitive),
                None => schema.attributes.values().any(|a| a.sensitive),
            };
            if sensitive {
                self.sensitive.set(true);
            }
        }
        if self.ctx.resources.marked(&addr, attr(attr_pos).as_deref()) {
            self.sensitive.set(true);
        }
        Ok((
            self.ctx.resources.value(&addr).unwrap_or_else(unknown),
            1 + shift,
        ))
    }

    fn traverse(
        &self,
        mut value: Value,
        ops: &[&TraversalOperator],
        spans: &[&dyn hcl::edit::Span],
        bound: &Bound,
    ) -> R {
        for (i, op) in ops.iter().enumerate() {
            let span = spans[i];
            if is_unknown(&value) {
                return Ok(unknown());
            }
            value = match op {
                TraversalOperator::GetAttr(name) => match &value {
                    Value::Object(m) => match m.get(name.as_str()) {
                        Some(v) => v.clone(),
                        None => {
                            let hint = did_you_mean(name.as_str(), m.keys().map(String::as_str));
                            return Err(self.err(span, "Unsupported attribute", format!("This object does not have an attribute named \"{}\".{hint}", name.as_str())));
                        }
                    },
                    Value::Null => return Err(self.err(span, "Attempt to get attribute from null value", format!("This value is null, so it does not have an attribute named \"{}\".", name.as_str()))),
                    Value::Array(_) => return Err(self.err(span, "Unsupported attribute", format!("Can't access attribute \"{}\" on a list of objects. Use an index such as [0] for one element or [*] for all of them.", name.as_str()))),
                    other => return Err(self.err(span, "Unsupported attribute", format!("Can't access attributes on a primitive-typed value ({}).", kind_name(other)))),
                },
                TraversalOperator::Index(key_expr) => {
                    let key = self.expr(key_expr, bound)?;
                    if is_unknown(&key) {
                        return Ok(unknown());
                    }
                    self.index(&value, &key, span)?
                }
                TraversalOperator::LegacyIndex(i) => self.index(&value, &Value::from(*i.value()), span)?,
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match value {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let rest_spans = &spans[i + 1..];
                    let mapped = items
                        .into_iter()
                        .map(|item| self.traverse(item, rest, rest_spans, bound))
                        .collect::<Result<Vec<_>, _>>()?;
                    return Ok(Value::Array(mapped));
                }
            };
        }
        Ok(value)
    }

    fn index(&self, value: &Value, key: &Value, span: &dyn hcl::edit::Span) -> R {
        match value {
            Value::Array(items) => {
                let i = as_f64(key).filter(|f| f.fract() == 0.0).ok_or_else(|| {
                    self.err(
                        span,
                        "Invalid index",
                        "A list index must be a whole number.",
                    )
                })?;
                if i < 0.0 || i as usize >= items.len() {
                    return Err(self.err(span, "Invalid index", format!("The given index {i} is out of range: the collection has {} element(s).", items.len())));
                }
                Ok(items[i as usize].clone())
            }
            Value::Object(m) => {
                let k = to_template_string(key).ok_or_else(|| {
                    self.err(span, "Invalid index", "A map key must be a string.")
                })?;
                m.get(&k).cloned().ok_or_else(|| {
                    let hint = did_you_mean(&k, m.keys().map(String::as_str));
                    self.err(span, "Invalid index", format!("The given key {k:?} does not identify an element in this collection value.{hint}"))
                })
            }
            Value::Null => Err(self.err(span, "Invalid index", "Cannot index a null value.")),
            other => Err(self.err(
                span,
                "Invalid index",
                format!(
                    "This value ({}) does not have any indices.",
                    kind_name(other)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceFile;
    use crate::config::load::from_sources;
    use serde_json::json;

    fn eval_local(src: &str, vars: &[(&str, Value)], phase: Phase) -> Result<Value, Diag> {
        let mut text = String::new();
        for (name, _) in vars {
            text.push_str(&format!("variable \"{name}\" {{}}\n"));
        }
        text.push_str(&format!("locals {{\n  x = {src}\n}}\n"));
        let config =
            from_sources(vec![SourceFile::new("main.tf", text)]).map_err(|d| d.0[0].clone())?;
        let mut variables = Variables::default();
        for (name, v) in vars {
            variables.values.insert(name.to_string(), v.clone());
        }
        let ctx = EvalContext::new(&config, None, &variables, &NoResources, phase);
        ctx.eval(&config.locals["x"].expr, &InstanceVars::default())
            .map(|e| e.value)
    }

    #[test]
    fn evaluates_expressions() {
        let cases: Vec<(&str, Value)> = vec![
            (r#""sa-${var.env}""#, json!("sa-prod")),
            ("var.n * 2 + 1", json!(7)),
            ("var.n > 2 ? \"big\" : \"small\"", json!("big")),
            ("[for t in var.teams : upper(t)]", json!(["A", "B"])),
            (
                "{for t in var.teams : t => \"sa-${t}\"}",
                json!({"a": "sa-a", "b": "sa-b"}),
            ),
            ("[for t in var.teams : t if t != \"a\"]", json!(["b"])),
            ("var.m[\"k\"]", json!("v")),
            ("var.m.k", json!("v")),
            ("var.objs[*].id", json!([1, 2])),
            ("length(var.teams)", json!(2)),
            ("join(\",\", var.teams)", json!("a,b")),
            ("format(\"%s-%d\", \"x\", 3)", json!("x-3")),
            ("merge({a = 1}, {b = 2})", json!({"a": 1, "b": 2})),
            ("lookup(var.m, \"zz\", \"dflt\")", json!("dflt")),
            ("!(var.n == 3)", json!(false)),
            ("\"%{ for t in var.teams }${t};%{ endfor }\"", json!("a;b;")),
            ("var.unset", unknown()),
            ("\"x-${var.unset}\"", unknown()),
            ("var.unset == 1 ? 1 : 2", unknown()),
            ("timestamp()", unknown()),
            ("jsonencode({a = [1, \"b\"]})", json!("{\"a\":[1,\"b\"]}")),
        ];
        let vars = [
            ("env", json!("prod")),
            ("n", json!(3)),
            ("teams", json!(["a", "b"])),
            ("m", json!({"k": "v"})),
            ("objs", json!([{"id": 1}, {"id": 2}])),
            ("unset", unknown()),
        ];
        for (src, want) in cases {
            let got = eval_local(src, &vars, Phase::Plan).unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!(got, want, "{src}");
        }
    }

    #[test]
    fn reports_errors_with_location() {
        let cases = [
            ("var.nope", "Reference to undeclared input variable"),
            ("local.nope", "Reference to undeclared local value"),
            ("nosuch.res.id", "Reference to undeclared resource"),
            ("upperr(\"a\")", "Call to unknown function"),
            (
                "count.index",
                "Reference to \"count\" in non-counted context",
            ),
            ("[1][5]", "Invalid index"),
            ("1 + \"a\"", "Invalid operand"),
        ];
        for (src, summary) in cases {
            let err = eval_local(src, &[], Phase::Plan).unwrap_err();
            assert_eq!(err.summary, summary, "{src}");
            assert_eq!(err.location.as_ref().map(|l| l.line), Some(2), "{src}");
        }
    }
}
