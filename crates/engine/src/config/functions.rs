//! Built-in functions of the configuration language.

use serde_json::{Map, Value};
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
    "coalesce",
    "concat",
    "contains",
    "distinct",
    "element",
    "flatten",
    "format",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "lookup",
    "lower",
    "merge",
    "nonsensitive",
    "plantimestamp",
    "replace",
    "sensitive",
    "split",
    "timeadd",
    "timestamp",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "trimspace",
    "upper",
    "values",
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
