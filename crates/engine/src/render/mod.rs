//! Human and machine-readable output: plans, apply progress, state and outputs.

mod human;
mod json;

pub use human::{
    apply_event_line, apply_summary, format_duration, outputs_text, plan_text, refresh_only_text,
    state_show_text,
};
pub use json::{apply_event_json, outputs_json, plan_json};

use serde_json::Value;

use crate::value::is_unknown;

/// The text shown instead of a sensitive value.
pub const SENSITIVE: &str = "(sensitive value)";

/// The text shown for a value not known until apply.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// A value on one line, HCL-style (`"text"`, `3`, `true`, `null`, `["a", "b"]`).
pub fn inline(v: &Value) -> String {
    match v {
        _ if is_unknown(v) => KNOWN_AFTER_APPLY.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(items) if items.is_empty() => "[]".to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) if m.is_empty() => "{}".to_string(),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            format!(
                "{{ {} }}",
                keys.iter()
                    .map(|k| format!("{} = {}", key_text(k), inline(&m[*k])))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => other.to_string(),
    }
}

/// An object key as HCL prints it: bare when it is an identifier, else quoted.
pub fn key_text(k: &str) -> String {
    let ident = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !k.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    if ident {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}
