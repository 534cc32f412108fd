//! Built-in functions of the configuration language.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::value::{
    Phase, Type, contains_unknown, is_unknown, kind_name, set_normalise, to_template_string,
    unknown, values_equal,
};

/// What functions may depend on besides their arguments.
pub struct FunctionContext {
    /// The evaluation phase (`timestamp()` is unknown before apply).
    pub phase: Phase,
    /// The time `timestamp()` returns at apply.
    pub now: OffsetDateTime,
    /// The time `plantimestamp()` returns.
    pub plan_time: OffsetDateTime,
}

/// Every supported function name.
pub const NAMES: &[&str] = &[
    "abs",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64sha256",
    "can",
    "ceil",
    "chunklist",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "distinct",
    "element",
    "endswith",
    "flatten",
    "floor",
    "format",
    "formatlist",
    "index",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "lookup",
    "lower",
    "max",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "plantimestamp",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "sensitive",
    "setintersection",
    "setsubtract",
    "setunion",
    "sha256",
    "slice",
    "sort",
    "split",
    "startswith",
    "strrev",
    "substr",
    "sum",
    "timeadd",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "values",
    "zipmap",
];

type Result = std::result::Result<Value, String>;

fn arity(args: &[Value], min: usize, max: usize) -> std::result::Result<(), String> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!("expects {want} argument(s), got {}", args.len()));
    }
    Ok(())
}

fn string_arg(v: &Value, what: &str) -> std::result::Result<String, String> {
    to_template_string(v).ok_or_else(|| format!("{what} must be a string, got {}", kind_name(v)))
}

fn list_arg<'v>(v: &'v Value, what: &str) -> std::result::Result<&'v Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("{what} must be a list, got {}", kind_name(v)))
}

fn object_arg<'v>(v: &'v Value, what: &str) -> std::result::Result<&'v Map<String, Value>, String> {
    v.as_object()
        .filter(|_| !is_unknown(v))
        .ok_or_else(|| format!("{what} must be a map or object, got {}", kind_name(v)))
}

fn rfc3339(t: OffsetDateTime) -> Value {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    Value::from(t.format(&Rfc3339).unwrap_or_default())
}

/// Calls built-in `name`. Arguments may contain unknowns; the result is unknown
/// when it depends on one.
pub fn call(name: &str, args: &[Value], ctx: &FunctionContext) -> Result {
    let needs_known = !matches!(
        name,
        "concat"
            | "merge"
            | "length"
            | "tolist"
            | "tomap"
            | "coalesce"
            | "lookup"
            | "element"
            | "keys"
            | "values"
    );
    if (needs_known && args.iter().any(contains_unknown)) || args.iter().any(is_unknown) {
        return Ok(unknown());
    }
    match name {
        "timestamp" => {
            arity(args, 0, 0)?;
            Ok(if ctx.phase == Phase::Apply {
                rfc3339(ctx.now)
            } else {
                unknown()
            })
        }
        "plantimestamp" => {
            arity(args, 0, 0)?;
            Ok(if ctx.phase == Phase::Validate {
                unknown()
            } else {
                rfc3339(ctx.plan_time)
            })
        }
        "timeadd" => {
            arity(args, 2, 2)?;
            let ts = string_arg(&args[0], "the timestamp")?;
            let t = OffsetDateTime::parse(&ts, &Rfc3339)
                .map_err(|e| format!("not a valid RFC3339 timestamp {ts:?}: {e}"))?;
            let d = parse_duration(&string_arg(&args[1], "the duration")?)?;
            Ok(rfc3339(t + d))
        }
        "format" => {
            arity(args, 1, usize::MAX)?;
            format(&string_arg(&args[0], "the format")?, &args[1..]).map(Value::from)
        }
        "join" => {
            arity(args, 2, usize::MAX)?;
            let sep = string_arg(&args[0], "the separator")?;
            let mut parts = Vec::new();
            for list in &args[1..] {
                for item in list_arg(list, "each list")? {
                    parts.push(string_arg(item, "each element")?);
                }
            }
            Ok(Value::from(parts.join(&sep)))
        }
        "concat" => {
            let mut out = Vec::new();
            for list in args {
                out.extend(list_arg(list, "each argument")?.iter().cloned());
            }
            Ok(Value::Array(out))
        }
        "lower" => {
            arity(args, 1, 1)?;
            Ok(Value::from(
                string_arg(&args[0], "the argument")?.to_lowercase(),
            ))
        }
        "upper" => {
            arity(args, 1, 1)?;
            Ok(Value::from(
                string_arg(&args[0], "the argument")?.to_uppercase(),
            ))
        }
        "trimspace" => {
            arity(args, 1, 1)?;
            Ok(Value::from(string_arg(&args[0], "the argument")?.trim()))
        }
        "length" => {
            arity(args, 1, 1)?;
            match &args[0] {
                Value::String(s) => Ok(Value::from(s.chars().count())),
                Value::Array(a) => Ok(Value::from(a.len())),
                Value::Object(m) => Ok(Value::from(m.len())),
                other => Err(format!("cannot take the length of {}", kind_name(other))),
            }
        }
        "toset" => {
            arity(args, 1, 1)?;
            let items = list_arg(&args[0], "the argument")?;
            Ok(Value::Array(set_normalise(items.clone())))
        }
        "tolist" => {
            arity(args, 1, 1)?;
            list_arg(&args[0], "the argument").map(|l| Value::Array(l.clone()))
        }
        "tomap" => {
            arity(args, 1, 1)?;
            object_arg(&args[0], "the argument").map(|m| Value::Object(m.clone()))
        }
        "tostring" => {
            arity(args, 1, 1)?;
            if args[0].is_null() {
                Ok(Value::Null)
            } else {
                Type::String.convert(&args[0])
            }
        }
        "tonumber" => {
            arity(args, 1, 1)?;
            Type::Number.convert(&args[0])
        }
        "tobool" => {
            arity(args, 1, 1)?;
            Type::Bool.convert(&args[0])
        }
        "merge" => {
            let mut out = Map::new();
            for m in args {
                if m.is_null() {
                    continue;
                }
                for (k, v) in object_arg(m, "each argument")? {
                    out.insert(k.clone(), v.clone());
                }
            }
            Ok(Value::Object(out))
        }
        "lookup" => {
            arity(args, 2, 3)?;
            let m = object_arg(&args[0], "the first argument")?;
            let key = string_arg(&args[1], "the key")?;
            match (m.get(&key), args.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(format!(
                    "the map has no key {key:?} and no default was given"
                )),
            }
        }
        "keys" => {
            arity(args, 1, 1)?;
            let mut keys: Vec<&String> = object_arg(&args[0], "the argument")?.keys().collect();
            keys.sort();
            Ok(Value::Array(
                keys.into_iter().map(|k| Value::from(k.clone())).collect(),
            ))
        }
        "values" => {
            arity(args, 1, 1)?;
            let mut entries: Vec<(&String, &Value)> =
                object_arg(&args[0], "the argument")?.iter().collect();
            entries.sort_by_key(|(k, _)| *k);
            Ok(Value::Array(
                entries.into_iter().map(|(_, v)| v.clone()).collect(),
            ))
        }
        "jsonencode" => {
            arity(args, 1, 1)?;
            serde_json::to_string(&args[0])
                .map(Value::from)
                .map_err(|e| e.to_string())
        }
        "jsondecode" => {
            arity(args, 1, 1)?;
            serde_json::from_str(&string_arg(&args[0], "the argument")?)
                .map_err(|e| format!("invalid JSON: {e}"))
        }
        "coalesce" => {
            arity(args, 1, usize::MAX)?;
            for a in args {
                if contains_unknown(a) {
                    return Ok(unknown());
                }
                if !a.is_null() && a != &Value::from("") {
                    return Ok(a.clone());
                }
            }
            Err("no non-null, non-empty-string arguments".to_string())
        }
        "contains" => {
            arity(args, 2, 2)?;
            Ok(Value::Bool(
                list_arg(&args[0], "the first argument")?
                    .iter()
                    .any(|v| values_equal(v, &args[1])),
            ))
        }
        "distinct" => {
            arity(args, 1, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for v in list_arg(&args[0], "the argument")? {
                if !out.iter().any(|o| values_equal(o, v)) {
                    out.push(v.clone());
                }
            }
            Ok(Value::Array(out))
        }
        "element" => {
            arity(args, 2, 2)?;
            let list = list_arg(&args[0], "the first argument")?;
            if list.is_empty() {
                return Err("cannot use element function with an empty list".to_string());
            }
            let i = args[1]
                .as_u64()
                .ok_or("the index must be a non-negative whole number")?
                as usize;
            Ok(list[i % list.len()].clone())
        }
        "flatten" => {
            arity(args, 1, 1)?;
            fn flat(v: &Value, out: &mut Vec<Value>) {
                match v {
                    Value::Array(items) => items.iter().for_each(|i| flat(i, out)),
                    other => out.push(other.clone()),
                }
            }
            let mut out = Vec::new();
            for item in list_arg(&args[0], "the argument")? {
                flat(item, &mut out);
            }
            Ok(Value::Array(out))
        }
        "split" => {
            arity(args, 2, 2)?;
            let sep = string_arg(&args[0], "the separator")?;
            let s = string_arg(&args[1], "the string")?;
            Ok(Value::Array(
                s.split(sep.as_str()).map(Value::from).collect(),
            ))
        }
        "replace" => {
            arity(args, 3, 3)?;
            let s = string_arg(&args[0], "the string")?;
            Ok(Value::from(s.replace(
                &string_arg(&args[1], "the substring")?,
                &string_arg(&args[2], "the replacement")?,
            )))
        }
        other => more(other, args),
    }
}

/// A finite number argument.
fn number_arg(v: &Value, what: &str) -> std::result::Result<f64, String> {
    crate::value::Type::Number
        .convert(v)
        .ok()
        .and_then(|n| n.as_f64())
        .ok_or_else(|| format!("{what} must be a number, got {}", kind_name(v)))
}

/// A whole number argument.
fn whole_arg(v: &Value, what: &str) -> std::result::Result<i64, String> {
    let n = number_arg(v, what)?;
    if n.fract() != 0.0 {
        return Err(format!("{what} must be a whole number, got {n}"));
    }
    Ok(n as i64)
}

/// The collection functions and the string functions beyond the first set.
fn more(name: &str, args: &[Value]) -> Result {
    match name {
        "one" => {
            arity(args, 1, 1)?;
            match list_arg(&args[0], "the argument")?.as_slice() {
                [] => Ok(Value::Null),
                [only] => Ok(only.clone()),
                items => Err(format!(
                    "must be a list or set with at most one element, got {}",
                    items.len()
                )),
            }
        }
        "compact" => {
            arity(args, 1, 1)?;
            Ok(Value::Array(
                list_arg(&args[0], "the argument")?
                    .iter()
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .cloned()
                    .collect(),
            ))
        }
        "zipmap" => {
            arity(args, 2, 2)?;
            let keys = list_arg(&args[0], "the keys")?;
            let values = list_arg(&args[1], "the values")?;
            if keys.len() != values.len() {
                return Err(format!(
                    "the keys ({}) and values ({}) must be as many",
                    keys.len(),
                    values.len()
                ));
            }
            let mut out = Map::new();
            for (k, v) in keys.iter().zip(values) {
                out.insert(string_arg(k, "each key")?, v.clone());
            }
            Ok(Value::Object(out))
        }
        "startswith" | "endswith" => {
            arity(args, 2, 2)?;
            let s = string_arg(&args[0], "the string")?;
            let affix = string_arg(&args[1], "the prefix or suffix")?;
            Ok(Value::Bool(if name == "startswith" {
                s.starts_with(&affix)
            } else {
                s.ends_with(&affix)
            }))
        }
        "trimprefix" | "trimsuffix" | "trim" => {
            arity(args, 2, 2)?;
            let s = string_arg(&args[0], "the string")?;
            let cut = string_arg(&args[1], "the characters")?;
            Ok(Value::from(match name {
                "trimprefix" => s.strip_prefix(cut.as_str()).unwrap_or(&s).to_string(),
                "trimsuffix" => s.strip_suffix(cut.as_str()).unwrap_or(&s).to_string(),
                _ => s.trim_matches(|c| cut.contains(c)).to_string(),
            }))
        }
        "substr" => {
            arity(args, 3, 3)?;
            let chars: Vec<char> = string_arg(&args[0], "the string")?.chars().collect();
            let offset = whole_arg(&args[1], "the offset")?;
            let length = whole_arg(&args[2], "the length")?;
            let len = chars.len() as i64;
            let start = if offset < 0 { len + offset } else { offset };
            if start < 0 || start > len {
                return Err(format!("offset {offset} is outside the string"));
            }
            let end = if length < 0 {
                len
            } else {
                (start + length).min(len)
            };
            Ok(Value::from(
                chars[start as usize..end as usize]
                    .iter()
                    .collect::<String>(),
            ))
        }
        "strrev" => {
            arity(args, 1, 1)?;
            Ok(Value::from(
                string_arg(&args[0], "the argument")?
                    .chars()
                    .rev()
                    .collect::<String>(),
            ))
        }
        "title" => {
            arity(args, 1, 1)?;
            let s = string_arg(&args[0], "the argument")?;
            let mut out = String::new();
            let mut start = true;
            for c in s.chars() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = !c.is_alphanumeric();
            }
            Ok(Value::from(out))
        }
        "formatlist" => {
            arity(args, 1, usize::MAX)?;
            let spec = string_arg(&args[0], "the format")?;
            let n = args[1..]
                .iter()
                .filter_map(Value::as_array)
                .map(Vec::len)
                .max()
                .unwrap_or(1);
            let mut out = Vec::new();
            for i in 0..n {
                let row: Vec<Value> = args[1..]
                    .iter()
                    .map(|a| match a {
                        Value::Array(items) => items.get(i).cloned().unwrap_or(Value::Null),
                        other => other.clone(),
                    })
                    .collect();
                out.push(Value::from(format(&spec, &row)?));
            }
            Ok(Value::Array(out))
        }
        "range" => {
            arity(args, 1, 3)?;
            let nums: Vec<f64> = args
                .iter()
                .map(|a| number_arg(a, "each argument"))
                .collect::<std::result::Result<_, _>>()?;
            let (start, end, step) = match nums[..] {
                [end] => (0.0, end, 1.0),
                [start, end] => (start, end, if end >= start { 1.0 } else { -1.0 }),
                [start, end, step] => (start, end, step),
                _ => unreachable!("arity checked"),
            };
            if step == 0.0 {
                return Err("the step must not be zero".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() >= crate::limits::MAX_INSTANCES_PER_RESOURCE {
                    return Err(format!(
                        "more than {} elements",
                        crate::limits::MAX_INSTANCES_PER_RESOURCE
                    ));
                }
                out.push(crate::value::number(x));
                x += step;
            }
            Ok(Value::Array(out))
        }
        "max" | "min" | "sum" => {
            let items: Vec<Value> = if name == "sum" {
                arity(args, 1, 1)?;
                list_arg(&args[0], "the argument")?.clone()
            } else {
                arity(args, 1, usize::MAX)?;
                args.to_vec()
            };
            let nums: Vec<f64> = items
                .iter()
                .map(|a| number_arg(a, "each number"))
                .collect::<std::result::Result<_, _>>()?;
            if nums.is_empty() {
                return Err("needs at least one number".into());
            }
            Ok(crate::value::number(match name {
                "max" => nums.iter().copied().fold(f64::MIN, f64::max),
                "min" => nums.iter().copied().fold(f64::MAX, f64::min),
                _ => nums.iter().sum(),
            }))
        }
        "abs" | "ceil" | "floor" => {
            arity(args, 1, 1)?;
            let n = number_arg(&args[0], "the argument")?;
            Ok(crate::value::number(match name {
                "abs" => n.abs(),
                "ceil" => n.ceil(),
                _ => n.floor(),
            }))
        }
        "alltrue" | "anytrue" => {
            arity(args, 1, 1)?;
            let items = list_arg(&args[0], "the argument")?;
            let bools: Vec<bool> = items
                .iter()
                .map(|v| match crate::value::Type::Bool.convert(v) {
                    Ok(Value::Bool(b)) => Ok(b),
                    _ => Err(format!("each element must be a bool, got {}", kind_name(v))),
                })
                .collect::<std::result::Result<_, _>>()?;
            Ok(Value::Bool(if name == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "index" => {
            arity(args, 2, 2)?;
            list_arg(&args[0], "the list")?
                .iter()
                .position(|v| crate::value::values_equal(v, &args[1]))
                .map(Value::from)
                .ok_or_else(|| "the value is not in the list".to_string())
        }
        "reverse" => {
            arity(args, 1, 1)?;
            let mut items = list_arg(&args[0], "the argument")?.clone();
            items.reverse();
            Ok(Value::Array(items))
        }
        "sort" => {
            arity(args, 1, 1)?;
            let mut items = list_arg(&args[0], "the argument")?
                .iter()
                .map(|v| string_arg(v, "each element"))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            items.sort();
            Ok(Value::Array(items.into_iter().map(Value::from).collect()))
        }
        "slice" => {
            arity(args, 3, 3)?;
            let items = list_arg(&args[0], "the list")?;
            let start = whole_arg(&args[1], "the start index")?;
            let end = whole_arg(&args[2], "the end index")?;
            if start < 0 || end < start || end as usize > items.len() {
                return Err(format!(
                    "the indexes {start}..{end} do not fit a list of {}",
                    items.len()
                ));
            }
            Ok(Value::Array(items[start as usize..end as usize].to_vec()))
        }
        "chunklist" => {
            arity(args, 2, 2)?;
            let items = list_arg(&args[0], "the list")?;
            let size = whole_arg(&args[1], "the size")?;
            if size < 0 {
                return Err("the size must not be negative".into());
            }
            if size == 0 {
                return Ok(Value::Array(vec![Value::Array(items.clone())]));
            }
            Ok(Value::Array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        "coalescelist" => {
            arity(args, 1, usize::MAX)?;
            for arg in args {
                if !list_arg(arg, "each argument")?.is_empty() {
                    return Ok(arg.clone());
                }
            }
            Ok(Value::Array(Vec::new()))
        }
        "setunion" | "setintersection" | "setsubtract" => {
            arity(args, if name == "setsubtract" { 2 } else { 1 }, usize::MAX)?;
            let sets: Vec<&Vec<Value>> = args
                .iter()
                .map(|a| list_arg(a, "each set"))
                .collect::<std::result::Result<_, _>>()?;
            let has =
                |set: &Vec<Value>, v: &Value| set.iter().any(|x| crate::value::values_equal(x, v));
            let items: Vec<Value> = match name {
                "setunion" => sets.iter().flat_map(|s| s.iter().cloned()).collect(),
                "setintersection" => sets[0]
                    .iter()
                    .filter(|v| sets[1..].iter().all(|s| has(s, v)))
                    .cloned()
                    .collect(),
                _ => sets[0]
                    .iter()
                    .filter(|v| !has(sets[1], v))
                    .cloned()
                    .collect(),
            };
            Ok(Value::Array(set_normalise(items)))
        }
        "base64encode" => {
            arity(args, 1, 1)?;
            Ok(Value::from(
                BASE64.encode(string_arg(&args[0], "the argument")?),
            ))
        }
        "base64decode" => {
            arity(args, 1, 1)?;
            let bytes = BASE64
                .decode(string_arg(&args[0], "the argument")?)
                .map_err(|e| format!("the argument is not valid base64: {e}"))?;
            String::from_utf8(bytes)
                .map(Value::from)
                .map_err(|_| "the decoded bytes are not UTF-8 text".to_string())
        }
        "sha256" | "base64sha256" => {
            arity(args, 1, 1)?;
            let digest = Sha256::digest(string_arg(&args[0], "the argument")?.as_bytes());
            Ok(Value::from(if name == "sha256" {
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            } else {
                BASE64.encode(digest)
            }))
        }
        "regex" | "regexall" => {
            arity(args, 2, 2)?;
            let pattern = string_arg(&args[0], "the pattern")?;
            let text = string_arg(&args[1], "the string")?;
            let re = regex_lite::RegexBuilder::new(&pattern)
                .size_limit(1 << 20)
                .nest_limit(100)
                .build()
                .map_err(|e| format!("invalid regular expression: {e}"))?;
            let groups: Vec<Option<&str>> = re.capture_names().skip(1).collect();
            let result = |caps: regex_lite::Captures<'_>| -> Value {
                if groups.is_empty() {
                    return Value::from(caps.get(0).map_or("", |m| m.as_str()));
                }
                if groups.iter().all(Option::is_some) {
                    let mut out = Map::new();
                    for name in groups.iter().flatten() {
                        out.insert(
                            name.to_string(),
                            caps.name(name)
                                .map_or(Value::Null, |m| Value::from(m.as_str())),
                        );
                    }
                    return Value::Object(out);
                }
                Value::Array(
                    (1..=groups.len())
                        .map(|i| caps.get(i).map_or(Value::Null, |m| Value::from(m.as_str())))
                        .collect(),
                )
            };
            if name == "regex" {
                re.captures(&text)
                    .map(result)
                    .ok_or_else(|| "the pattern did not match any part of the string".to_string())
            } else {
                Ok(Value::Array(re.captures_iter(&text).map(result).collect()))
            }
        }
        other => Err(format!("unknown function {other}")),
    }
}

/// Parses a Go-style duration such as `720h`, `1h30m`, `-10m` or `1.5h`.
pub fn parse_duration(text: &str) -> std::result::Result<time::Duration, String> {
    let bad = || {
        format!(
            "invalid duration {text:?}: use a number with a unit such as \"720h\", \"30m\" or \"1h30m\""
        )
    };
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        nanos += n * scale;
        rest = &rest[unit_len..];
    }
    let d = time::Duration::nanoseconds(nanos as i64);
    Ok(if negative { -d } else { d })
}

/// `format` with the verbs `%s %d %f %v %q %%`.
fn format(spec: &str, args: &[Value]) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = args.iter();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision: Option<usize> = None;
        let mut verb = chars.next().ok_or("the format ends with a lone %")?;
        if verb == '.' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            precision = digits.parse().ok();
            verb = chars.next().ok_or("the format ends inside a verb")?;
        }
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = next
            .next()
            .ok_or_else(|| format!("not enough arguments for the format verb %{verb}"))?;
        match verb {
            's' => out.push_str(&string_arg(arg, "a %s argument")?),
            'd' => {
                let n = Type::Number.convert(arg)?;
                let f = n.as_f64().ok_or("a %d argument must be a number")?;
                if f.fract() != 0.0 {
                    return Err(format!("a %d argument must be a whole number, got {f}"));
                }
                out.push_str(&(f as i64).to_string());
            }
            'f' => {
                let f = Type::Number
                    .convert(arg)?
                    .as_f64()
                    .ok_or("a %f argument must be a number")?;
                out.push_str(&format!("{:.*}", precision.unwrap_or(6), f));
            }
            'v' => match to_template_string(arg) {
                Some(s) => out.push_str(&s),
                None => out.push_str(&serde_json::to_string(arg).map_err(|e| e.to_string())?),
            },
            'q' => out.push_str(
                &serde_json::to_string(&Value::from(string_arg(arg, "a %q argument")?))
                    .map_err(|e| e.to_string())?,
            ),
            other => return Err(format!("unsupported format verb %{other}")),
        }
    }
    if next.next().is_some() {
        return Err("too many arguments for the format string".to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn ctx(phase: Phase) -> FunctionContext {
        let t = datetime!(2026-01-02 03:04:05 UTC);
        FunctionContext {
            phase,
            now: t,
            plan_time: t,
        }
    }

    #[test]
    fn functions_table() {
        let cases: Vec<(&str, Vec<Value>, Value)> = vec![
            (
                "timeadd",
                vec![json!("2026-01-01T00:00:00Z"), json!("720h")],
                json!("2026-01-31T00:00:00Z"),
            ),
            (
                "timeadd",
                vec![json!("2026-01-01T00:00:00Z"), json!("-1h30m")],
                json!("2025-12-31T22:30:00Z"),
            ),
            ("timestamp", vec![], json!("2026-01-02T03:04:05Z")),
            ("plantimestamp", vec![], json!("2026-01-02T03:04:05Z")),
            (
                "format",
                vec![
                    json!("%s=%d %q %.2f %v%%"),
                    json!("a"),
                    json!(3),
                    json!("q"),
                    json!(1.5),
                    json!(true),
                ],
                json!("a=3 \"q\" 1.50 true%"),
            ),
            ("concat", vec![json!([1]), json!([2, 3])], json!([1, 2, 3])),
            ("toset", vec![json!(["b", "a", "a"])], json!(["a", "b"])),
            ("keys", vec![json!({"b": 1, "a": 2})], json!(["a", "b"])),
            ("values", vec![json!({"b": 1, "a": 2})], json!([2, 1])),
            (
                "coalesce",
                vec![json!(null), json!(""), json!("x")],
                json!("x"),
            ),
            ("lower", vec![json!("AbC")], json!("abc")),
            (
                "concat",
                vec![json!([unknown()]), json!([1])],
                json!([unknown(), 1]),
            ),
            ("join", vec![json!(","), json!(["a", unknown()])], unknown()),
            ("one", vec![json!([])], json!(null)),
            ("one", vec![json!(["a"])], json!("a")),
            (
                "compact",
                vec![json!(["a", "", null, "b"])],
                json!(["a", "b"]),
            ),
            (
                "zipmap",
                vec![json!(["a", "b"]), json!([1, 2])],
                json!({"a": 1, "b": 2}),
            ),
            (
                "startswith",
                vec![json!("yc.ai"), json!("yc.")],
                json!(true),
            ),
            ("endswith", vec![json!("yc.ai"), json!(".x")], json!(false)),
            (
                "trimprefix",
                vec![json!("sa-team"), json!("sa-")],
                json!("team"),
            ),
            ("trimsuffix", vec![json!("a.tf"), json!(".tf")], json!("a")),
            ("trim", vec![json!("?!a?!"), json!("!?")], json!("a")),
            (
                "substr",
                vec![json!("hello"), json!(1), json!(3)],
                json!("ell"),
            ),
            (
                "substr",
                vec![json!("hello"), json!(-3), json!(-1)],
                json!("llo"),
            ),
            ("strrev", vec![json!("abc")], json!("cba")),
            ("title", vec![json!("hello world")], json!("Hello World")),
            (
                "formatlist",
                vec![json!("%s-%s"), json!(["a", "b"]), json!("x")],
                json!(["a-x", "b-x"]),
            ),
            ("range", vec![json!(3)], json!([0, 1, 2])),
            ("range", vec![json!(1), json!(7), json!(3)], json!([1, 4])),
            ("max", vec![json!(1), json!(5), json!(3)], json!(5)),
            ("min", vec![json!(2), json!("1")], json!(1)),
            ("sum", vec![json!([1, 2, 3])], json!(6)),
            ("abs", vec![json!(-2)], json!(2)),
            ("ceil", vec![json!(1.2)], json!(2)),
            ("floor", vec![json!(1.8)], json!(1)),
            ("alltrue", vec![json!([true, "true"])], json!(true)),
            ("anytrue", vec![json!([false])], json!(false)),
            ("index", vec![json!(["a", "b"]), json!("b")], json!(1)),
            ("reverse", vec![json!([1, 2])], json!([2, 1])),
            ("sort", vec![json!(["b", "a"])], json!(["a", "b"])),
            (
                "slice",
                vec![json!([1, 2, 3]), json!(1), json!(3)],
                json!([2, 3]),
            ),
            (
                "chunklist",
                vec![json!([1, 2, 3]), json!(2)],
                json!([[1, 2], [3]]),
            ),
            ("coalescelist", vec![json!([]), json!(["a"])], json!(["a"])),
            (
                "setunion",
                vec![json!(["b"]), json!(["a", "b"])],
                json!(["a", "b"]),
            ),
            (
                "setintersection",
                vec![json!(["a", "b"]), json!(["b", "c"])],
                json!(["b"]),
            ),
            (
                "setsubtract",
                vec![json!(["a", "b"]), json!(["b"])],
                json!(["a"]),
            ),
            ("base64encode", vec![json!("ycprov")], json!("eWNwcm92")),
            ("base64decode", vec![json!("eWNwcm92")], json!("ycprov")),
            (
                "sha256",
                vec![json!("abc")],
                json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ),
            (
                "base64sha256",
                vec![json!("abc")],
                json!("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="),
            ),
            ("regex", vec![json!("[a-z]+"), json!("53abc")], json!("abc")),
            (
                "regex",
                vec![json!(r"(?P<team>[a-z]+)-(?P<n>\d+)"), json!("sa-ml-42")],
                json!({"team": "ml", "n": "42"}),
            ),
            (
                "regex",
                vec![json!(r"(\d+)\.(\d+)"), json!("v1.25")],
                json!(["1", "25"]),
            ),
            (
                "regexall",
                vec![json!(r"\d"), json!("a1b2")],
                json!(["1", "2"]),
            ),
        ];
        for (name, args, want) in cases {
            assert_eq!(
                call(name, &args, &ctx(Phase::Apply)).unwrap(),
                want,
                "{name}({args:?})"
            );
        }
        assert_eq!(
            call("timestamp", &[], &ctx(Phase::Plan)).unwrap(),
            unknown()
        );
        assert!(call("timeadd", &[json!("x"), json!("1h")], &ctx(Phase::Apply)).is_err());
        assert!(call("format", &[json!("%d"), json!("a")], &ctx(Phase::Apply)).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5h").unwrap(), time::Duration::minutes(90));
        assert_eq!(parse_duration("10s").unwrap(), time::Duration::seconds(10));
        for bad in ["", "10", "h", "5d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
