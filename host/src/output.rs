//! How the imperative commands print accounts, bindings and keys: YAML-like text as the `yc` CLI does, or JSON.

use serde_json::{Value, json};

use crate::bindings::iam::{AccessBinding, ApiKey, CreatedKey, ServiceAccount};
use crate::cli::Format;

/// The JSON view of a service account.
pub fn account_json(account: &ServiceAccount) -> Value {
    json!({
        "id": account.id,
        "folder_id": account.folder_id,
        "created_at": account.created_at,
        "name": account.name,
        "description": account.description,
        "labels": account.labels.iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect::<serde_json::Map<String, Value>>(),
    })
}

/// The JSON view of an API key (no secret).
pub fn key_json(key: &ApiKey) -> Value {
    let mut value = json!({
        "id": key.id,
        "service_account_id": key.service_account_id,
        "created_at": key.created_at,
        "description": key.description,
        "scopes": key.scopes,
    });
    if let Some(expires_at) = &key.expires_at {
        value["expires_at"] = json!(expires_at);
    }
    if let Some(masked) = &key.masked_secret {
        value["masked_secret"] = json!(masked);
    }
    value
}

/// The JSON view of an access binding.
pub fn binding_json(binding: &AccessBinding) -> Value {
    json!({
        "role_id": binding.role_id,
        "subject": { "id": binding.subject.id, "type": binding.subject.kind },
    })
}

/// The JSON view of a created key: `{api_key: …, secret: …}` as `yc iam api-key create` prints it.
pub fn created_key_json(created: &CreatedKey) -> Value {
    json!({ "api_key": key_json(&created.key), "secret": created.secret })
}

/// Renders one value in the chosen format.
pub fn render(value: &Value, format: Format) -> String {
    match format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        Format::Text => yaml(value, 0),
    }
}

/// Renders a list: JSON array, or YAML documents separated by `---` like `yc … list --format yaml`.
pub fn render_list(values: &[Value], format: Format) -> String {
    match format {
        Format::Json => render(&Value::Array(values.to_vec()), format),
        Format::Text => values
            .iter()
            .map(|v| yaml(v, 0))
            .collect::<Vec<_>>()
            .join("---\n"),
    }
}

fn yaml(value: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent);
    let mut out = String::new();
    if let Value::Object(map) = value {
        for (key, item) in map {
            match item {
                Value::Object(inner) if inner.is_empty() => {}
                Value::Object(_) => {
                    out.push_str(&format!("{pad}{key}:\n{}", yaml(item, indent + 1)));
                }
                Value::Array(items) if items.is_empty() => {}
                Value::Array(items) => {
                    out.push_str(&format!("{pad}{key}:\n"));
                    for item in items {
                        out.push_str(&format!("{pad}  - {}\n", scalar(item)));
                    }
                }
                Value::String(s) if s.is_empty() => {}
                Value::Null => {}
                other => out.push_str(&format!("{pad}{key}: {}\n", scalar(other))),
            }
        }
    }
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) if needs_quotes(s) => format!("{s:?}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn needs_quotes(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_digit())
        || s.contains(": ")
        || s.contains('#')
        || s.starts_with(['*', '&', '!', '-', '"', '\'', ' '])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_yaml_like_yc() {
        let value = json!({"api_key": {"id": "aje1", "created_at": "2026-01-01T00:00:00Z",
            "scopes": ["yc.ai.languageModels.execute"], "description": ""}, "secret": "AQVNxyz"});
        assert_eq!(
            render(&value, Format::Text),
            "api_key:\n  id: aje1\n  created_at: \"2026-01-01T00:00:00Z\"\n  scopes:\n    - yc.ai.languageModels.execute\nsecret: AQVNxyz\n"
        );
    }
}
