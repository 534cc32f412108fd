//! Keeping sensitive values out of saved plans and machine-readable output.

use serde_json::{Value, json};

/// The key of the marker that replaces a sensitive value in saved plans.
pub const REDACTED_KEY: &str = "$sensitive";

/// The marker `{"$sensitive": true}`.
pub fn redacted() -> Value {
    json!({ REDACTED_KEY: true })
}

/// True when `v` is the redaction marker.
pub fn is_redacted(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 1 && m.get(REDACTED_KEY) == Some(&Value::Bool(true)))
}

/// `object` with the top-level attributes in `names` replaced by `with` (when not null).
pub fn redact_attributes(object: &Value, names: &[String], with: &Value) -> Value {
    let Value::Object(m) = object else {
        return object.clone();
    };
    let mut m = m.clone();
    for name in names {
        if let Some(v) = m.get_mut(name)
            && !v.is_null()
        {
            *v = with.clone();
        }
    }
    Value::Object(m)
}

/// `object` with the attributes in `names` shown as `(sensitive value)`, for
/// `Debug` output and messages.
pub fn for_display(object: &Value, names: &[String]) -> Value {
    redact_attributes(object, names, &Value::from(crate::render::SENSITIVE))
}

/// `object` with every redaction marker replaced by the attribute of `source`
/// (or null when `source` lacks it).
pub fn restore_attributes(object: &Value, source: Option<&Value>) -> Value {
    let Value::Object(m) = object else {
        return object.clone();
    };
    let mut m = m.clone();
    for (name, v) in m.iter_mut() {
        if is_redacted(v) {
            *v = source
                .and_then(|s| s.get(name))
                .cloned()
                .unwrap_or(Value::Null);
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_and_restores() {
        let obj = json!({"id": "k1", "secret_key": "s3cr3t", "description": null});
        let names = vec!["secret_key".to_string(), "description".to_string()];
        let red = redact_attributes(&obj, &names, &redacted());
        assert!(!red.to_string().contains("s3cr3t"));
        assert_eq!(red["description"], Value::Null);
        assert_eq!(restore_attributes(&red, Some(&obj)), obj);
        assert_eq!(restore_attributes(&red, None)["secret_key"], Value::Null);
    }
}
