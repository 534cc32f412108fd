//! Attribute values as JSON: objects of attributes, the `{"$unknown": true}` marker, accessors.

use serde_json::{Map, Value, json};

/// A resource's attributes: state, configuration or planned values.
pub type Attrs = Map<String, Value>;

/// The marker of a value not known until apply.
pub fn unknown() -> Value {
    json!({"$unknown": true})
}

/// Whether a value is the unknown marker.
pub fn is_unknown(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|map| map.len() == 1 && map.get("$unknown") == Some(&Value::Bool(true)))
}

/// Whether a value contains no unknown marker at any depth.
pub fn is_wholly_known(value: &Value) -> bool {
    match value {
        _ if is_unknown(value) => false,
        Value::Array(items) => items.iter().all(is_wholly_known),
        Value::Object(map) => map.values().all(is_wholly_known),
        _ => true,
    }
}

/// Parses a JSON object of attributes.
pub fn parse_attrs(what: &str, text: &str) -> Result<Attrs, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!(
            "{what} must be a JSON object, got {}",
            kind_of(&other)
        )),
        Err(error) => Err(format!("{what} is not valid JSON: {error}")),
    }
}

/// Renders attributes as JSON text.
pub fn render(attrs: &Attrs) -> String {
    Value::Object(attrs.clone()).to_string()
}

/// An attribute's value (`null` when absent).
pub fn get<'a>(attrs: &'a Attrs, name: &str) -> &'a Value {
    attrs.get(name).unwrap_or(&Value::Null)
}

/// An attribute's value when it is a known string.
pub fn string<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    get(attrs, name).as_str()
}

/// An attribute's value as a list of known strings (empty when null or not a list).
pub fn strings(attrs: &Attrs, name: &str) -> Vec<String> {
    get(attrs, name)
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// An attribute's value as sorted (key, value) pairs (empty when null or not a map).
pub fn string_pairs(attrs: &Attrs, name: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = get(attrs, name)
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    pairs
}

/// A JSON map from (key, value) pairs.
pub fn pairs_value(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect(),
    )
}

/// A short name of a JSON value's type, for messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) if is_unknown(value) => "unknown",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_detection() {
        let cases = [
            (json!({"$unknown": true}), false),
            (json!({"$unknown": false}), true),
            (json!(["a", {"$unknown": true}]), false),
            (json!({"team": {"$unknown": true}}), false),
            (json!({"team": "ml"}), true),
            (json!(null), true),
        ];
        for (value, known) in cases {
            assert_eq!(is_wholly_known(&value), known, "{value}");
        }
    }

    #[test]
    fn parse_rejects_non_objects() {
        assert!(
            parse_attrs("config", "[]")
                .unwrap_err()
                .contains("JSON object, got list")
        );
        assert!(
            parse_attrs("config", "{")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_attrs("config", "{}").unwrap().is_empty());
    }
}
