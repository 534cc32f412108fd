//! Values (JSON), the unknown marker, and the small type system of configuration.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{anyhow, bail};
use hcl::edit::expr::{Expression, TraversalOperator};
use serde_json::{Map, Value, json};

/// The key of the JSON object that marks a value unknown until apply.
pub const UNKNOWN_KEY: &str = "$unknown";

/// The value that is not known until apply: `{"$unknown": true}`.
pub fn unknown() -> Value {
    json!({ UNKNOWN_KEY: true })
}

/// True when `v` itself is the unknown marker.
pub fn is_unknown(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 1 && m.get(UNKNOWN_KEY) == Some(&Value::Bool(true)))
}

/// True when `v` is or contains an unknown value.
pub fn contains_unknown(v: &Value) -> bool {
    match v {
        _ if is_unknown(v) => true,
        Value::Array(items) => items.iter().any(contains_unknown),
        Value::Object(m) => m.values().any(contains_unknown),
        _ => false,
    }
}

/// Replaces every unknown inside `v` with null (for values that must be fully known).
pub fn unknowns_to_null(v: &Value) -> Value {
    match v {
        _ if is_unknown(v) => Value::Null,
        Value::Array(items) => Value::Array(items.iter().map(unknowns_to_null).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), unknowns_to_null(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A short human name of the kind of `v`, for error messages.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) if is_unknown(v) => "unknown value",
        Value::Object(_) => "object",
    }
}

/// A number value from an `f64`, kept integral when it is.
pub fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// The text of a primitive value as string templates render it.
pub fn to_template_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A configuration type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// A string.
    String,
    /// A number.
    Number,
    /// A boolean.
    Bool,
    /// A list of elements of one type.
    List(Box<Type>),
    /// A set of elements of one type (kept as a sorted JSON array without duplicates).
    Set(Box<Type>),
    /// A map from string to elements of one type.
    Map(Box<Type>),
    /// An object with named attributes.
    Object(BTreeMap<String, Type>),
    /// An object attribute that may be absent (`optional(T)` or `optional(T, default)`):
    /// absent or null, it takes the default (or null).
    Optional(Box<Type>, Option<Value>),
    /// A tuple: a list with one type per element.
    Tuple(Vec<Type>),
    /// Any value.
    Any,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => write!(f, "string"),
            Type::Number => write!(f, "number"),
            Type::Bool => write!(f, "bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Any => write!(f, "any"),
            Type::Object(attrs) => {
                let parts: Vec<String> = attrs.iter().map(|(k, t)| format!("{k} = {t}")).collect();
                write!(f, "object({{{}}})", parts.join(", "))
            }
            Type::Optional(t, None) => write!(f, "optional({t})"),
            Type::Optional(t, Some(default)) => write!(f, "optional({t}, {default})"),
            Type::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(Type::to_string).collect();
                write!(f, "tuple([{}])", parts.join(", "))
            }
        }
    }
}

/// The value of a literal expression (strings, numbers, bools, null, and lists and
/// objects of them), as written in a type's `optional(T, default)`.
fn literal(expr: &Expression) -> Option<Value> {
    match expr {
        Expression::Null(_) => Some(Value::Null),
        Expression::Bool(b) => Some(Value::Bool(*b.value())),
        Expression::Number(n) => serde_json::to_value(n.value()).ok(),
        Expression::String(s) => Some(Value::String(s.value().to_string())),
        Expression::Array(items) => items
            .iter()
            .map(literal)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        Expression::Object(object) => {
            let mut out = Map::new();
            for (k, v) in object.iter() {
                let key = match k {
                    hcl::edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                    hcl::edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                        s.value().to_string()
                    }
                    _ => return None,
                };
                out.insert(key, literal(v.expr())?);
            }
            Some(Value::Object(out))
        }
        _ => None,
    }
}

impl Type {
    /// Parses a type written as text, e.g. `list(string)`.
    pub fn parse(text: &str) -> anyhow::Result<Type> {
        let expr = hcl::edit::parser::parse_expr(text).map_err(|e| anyhow!("{}", e.message()))?;
        Type::from_expr(&expr)
    }

    /// Reads a type constraint expression (`string`, `map(number)`, `object({a = string})`).
    pub fn from_expr(expr: &Expression) -> anyhow::Result<Type> {
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "any" => Ok(Type::Any),
                other => bail!(
                    "unknown type {other:?}; use string, number, bool, list(T), set(T), map(T), object({{...}}) or any"
                ),
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let arg = call
                    .args
                    .iter()
                    .next()
                    .ok_or_else(|| anyhow!("{name}(...) needs one argument"))?;
                match name {
                    "optional" => {
                        let default = match call.args.iter().nth(1) {
                            Some(expr) => Some(literal(expr).ok_or_else(|| {
                                anyhow!("the default of optional(...) must be a literal value")
                            })?),
                            None => None,
                        };
                        Ok(Type::Optional(Box::new(Type::from_expr(arg)?), default))
                    }
                    "tuple" => {
                        let Expression::Array(items) = arg else {
                            bail!("tuple(...) needs a list of element types")
                        };
                        let types = items
                            .iter()
                            .map(Type::from_expr)
                            .collect::<anyhow::Result<Vec<_>>>()?;
                        Ok(Type::Tuple(types))
                    }
                    "list" => Ok(Type::List(Box::new(Type::from_expr(arg)?))),
                    "set" => Ok(Type::Set(Box::new(Type::from_expr(arg)?))),
                    "map" => Ok(Type::Map(Box::new(Type::from_expr(arg)?))),
                    "object" => {
                        let Expression::Object(obj) = arg else {
                            bail!("object(...) needs an object of attribute types")
                        };
                        let mut attrs = BTreeMap::new();
                        for (k, v) in obj.iter() {
                            let key = match k {
                                hcl::edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                                hcl::edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                                    s.as_str().to_string()
                                }
                                _ => bail!("object attribute names must be identifiers"),
                            };
                            attrs.insert(key, Type::from_expr(v.expr())?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    other => bail!("unknown type constructor {other:?}"),
                }
            }
            Expression::Traversal(t) if t.operators.is_empty() => Type::from_expr(&t.expr),
            _ => {
                if let Expression::Traversal(t) = expr
                    && matches!(
                        t.operators.first().map(|o| o.value()),
                        Some(TraversalOperator::GetAttr(_))
                    )
                {
                    bail!("a type constraint cannot contain attribute access");
                }
                bail!("invalid type constraint")
            }
        }
    }

    /// True for string, number and bool.
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }

    /// Converts `v` to this type the way Terraform does (numbers and bools become
    /// strings, numeric strings numbers, ...). Null and unknown pass through.
    pub fn convert(&self, v: &Value) -> Result<Value, String> {
        if v.is_null() || is_unknown(v) {
            return Ok(v.clone());
        }
        match (self, v) {
            (Type::Any, _) => Ok(v.clone()),
            (Type::String, Value::String(_)) => Ok(v.clone()),
            (Type::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (Type::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::Number, Value::Number(_)) => Ok(v.clone()),
            (Type::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .map(number)
                .map_err(|_| format!("a number is required, got the string {s:?}")),
            (Type::Bool, Value::Bool(_)) => Ok(v.clone()),
            (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::List(t), Value::Array(items)) => {
                let items = convert_items(t, items)?;
                Ok(Value::Array(items))
            }
            (Type::Set(t), Value::Array(items)) => {
                let items = convert_items(t, items)?;
                Ok(Value::Array(set_normalise(items)))
            }
            (Type::Map(t), Value::Object(m)) => {
                let mut out = Map::new();
                for (k, item) in m {
                    out.insert(
                        k.clone(),
                        t.convert(item).map_err(|e| format!("element {k:?}: {e}"))?,
                    );
                }
                Ok(Value::Object(out))
            }
            (Type::Object(attrs), Value::Object(m)) => {
                let mut out = Map::new();
                for (k, t) in attrs {
                    let item = match (m.get(k), t) {
                        (Some(v), Type::Optional(_, Some(default))) if v.is_null() => default,
                        (Some(v), _) => v,
                        (None, Type::Optional(_, default)) => {
                            default.as_ref().unwrap_or(&Value::Null)
                        }
                        (None, _) => return Err(format!("attribute {k:?} is required")),
                    };
                    out.insert(
                        k.clone(),
                        t.convert(item)
                            .map_err(|e| format!("attribute {k:?}: {e}"))?,
                    );
                }
                Ok(Value::Object(out))
            }
            (Type::Optional(t, _), _) => t.convert(v),
            (Type::Tuple(types), Value::Array(items)) if types.len() == items.len() => {
                let items = types
                    .iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (t, item))| t.convert(item).map_err(|e| format!("element {i}: {e}")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Array(items))
            }
            _ => Err(format!(
                "{} required, got {}",
                self.describe(),
                kind_name(v)
            )),
        }
    }

    /// A phrase such as "list of string" for messages.
    pub fn describe(&self) -> String {
        match self {
            Type::List(t) => format!("list of {}", t.describe()),
            Type::Set(t) => format!("set of {}", t.describe()),
            Type::Map(t) => format!("map of {}", t.describe()),
            Type::Object(_) => "object".to_string(),
            Type::Optional(t, _) => t.describe(),
            Type::Tuple(items) => format!("tuple of {} elements", items.len()),
            other => other.to_string(),
        }
    }
}

fn convert_items(t: &Type, items: &[Value]) -> Result<Vec<Value>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| t.convert(item).map_err(|e| format!("element {i}: {e}")))
        .collect()
}

/// Sorts and de-duplicates a set's elements (unknown elements stay at the end).
pub fn set_normalise(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(|a| (contains_unknown(a), a.to_string()));
    items.dedup_by(|a, b| a == b && !contains_unknown(a));
    items
}

/// When an expression is evaluated; decides what is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Literal values only (variable defaults, lifecycle settings): no references.
    Static,
    /// `validate`: every resource value is unknown.
    Validate,
    /// `plan`: `timestamp()` is unknown, resources have their planned values.
    Plan,
    /// `apply`: everything referenced is known.
    Apply,
}

/// Equality as HCL sees it (numbers compare by value).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_like_terraform() {
        let cases: Vec<(&str, Value, Result<Value, ()>)> = vec![
            ("string", json!(5), Ok(json!("5"))),
            ("string", json!(true), Ok(json!("true"))),
            ("number", json!("2"), Ok(json!(2))),
            ("number", json!("x"), Err(())),
            ("bool", json!("true"), Ok(json!(true))),
            ("list(string)", json!([1, "a"]), Ok(json!(["1", "a"]))),
            ("set(string)", json!(["b", "a", "b"]), Ok(json!(["a", "b"]))),
            ("map(string)", json!({"a": 1}), Ok(json!({"a": "1"}))),
            ("map(string)", json!("x"), Err(())),
            (
                "object({a = string})",
                json!({"a": 1, "b": 2}),
                Ok(json!({"a": "1"})),
            ),
            ("list(string)", unknown(), Ok(unknown())),
            (
                "object({a = string, b = optional(number), c = optional(string, \"viewer\")})",
                json!({"a": "x"}),
                Ok(json!({"a": "x", "b": null, "c": "viewer"})),
            ),
            (
                "object({c = optional(string, \"viewer\")})",
                json!({"c": null}),
                Ok(json!({"c": "viewer"})),
            ),
            (
                "list(object({name = string, roles = optional(list(string), [])}))",
                json!([{"name": "a"}, {"name": "b", "roles": ["x"]}]),
                Ok(json!([{"name": "a", "roles": []}, {"name": "b", "roles": ["x"]}])),
            ),
            ("object({a = string})", json!({}), Err(())),
            (
                "tuple([string, number])",
                json!([1, "2"]),
                Ok(json!(["1", 2])),
            ),
            ("tuple([string])", json!([1, 2]), Err(())),
        ];
        for (ty, input, want) in cases {
            let got = Type::parse(ty).unwrap().convert(&input).map_err(|_| ());
            assert_eq!(got, want, "{ty} <- {input}");
        }
    }

    #[test]
    fn unknown_detection() {
        assert!(is_unknown(&unknown()));
        assert!(contains_unknown(&json!({"a": [1, unknown()]})));
        assert!(!contains_unknown(&json!({"a": [1, {"$unknown": false}]})));
        assert_eq!(unknowns_to_null(&json!([unknown(), 1])), json!([null, 1]));
    }
}
