//! Strict reading of request bodies and query strings by the proto3 JSON rules.
//!
//! Field names are accepted in lowerCamelCase and in the original snake_case; unknown fields,
//! duplicates and wrongly typed values are INVALID_ARGUMENT. `null` means "not set".

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// The fields of one JSON object (a request body, a nested message or a query string).
#[derive(Debug, Clone)]
pub struct Fields {
    map: Map<String, Value>,
    prefix: String,
}

/// `folder_id` → `folderId`; lowerCamel names are returned unchanged.
pub fn to_lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn type_error(path: &str, expected: &str) -> ApiError {
    ApiError::invalid(path, format!("invalid value type, expected {expected}"))
}

impl Fields {
    /// Reads a request body; a missing body is an empty object.
    pub fn from_body(body: Option<&Value>, allowed: &[&str]) -> ApiResult<Fields> {
        match body {
            None => Ok(Fields {
                map: Map::new(),
                prefix: String::new(),
            }),
            Some(value) => Fields::from_value(value, "", allowed),
        }
    }

    /// Reads a nested message; `prefix` names it in error messages (for example `subject.`).
    pub fn from_value(value: &Value, prefix: &str, allowed: &[&str]) -> ApiResult<Fields> {
        let Value::Object(object) = value else {
            let what = prefix.trim_end_matches('.');
            return Err(if what.is_empty() {
                ApiError::new(
                    crate::error::Code::InvalidArgument,
                    "Request validation error: the request body must be a JSON object",
                )
            } else {
                type_error(what, "object")
            });
        };
        let mut map = Map::new();
        for (key, value) in object {
            let name = to_lower_camel(key);
            let path = format!("{prefix}{name}");
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::invalid(
                    &format!("{prefix}{key}"),
                    "unknown field",
                ));
            }
            if map.contains_key(&name) {
                return Err(ApiError::invalid(&path, "duplicate field"));
            }
            if !value.is_null() {
                map.insert(name, value.clone());
            }
        }
        Ok(Fields {
            map,
            prefix: prefix.to_string(),
        })
    }

    /// Reads decoded query parameters (all values are strings).
    pub fn from_query(query: &[(String, String)], allowed: &[&str]) -> ApiResult<Fields> {
        let object: Map<String, Value> = Map::new();
        let mut fields = Fields::from_value(&Value::Object(object), "", allowed)?;
        for (key, value) in query {
            let name = to_lower_camel(key);
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::invalid(key, "unknown query parameter"));
            }
            if fields.map.contains_key(&name) {
                return Err(ApiError::invalid(&name, "repeated query parameter"));
            }
            fields.map.insert(name, Value::String(value.clone()));
        }
        Ok(fields)
    }

    /// The full path of a field for error messages.
    pub fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Whether the field is present (and not null).
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A string field; absent → `None`.
    pub fn string(&self, name: &str) -> ApiResult<Option<String>> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(type_error(&self.path(name), "string")),
        }
    }

    /// A string field where absent means the empty string (proto3 default).
    pub fn string_or_empty(&self, name: &str) -> ApiResult<String> {
        Ok(self.string(name)?.unwrap_or_default())
    }

    /// An integer field given as a JSON number or a decimal string (int64 mapping).
    pub fn integer(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| type_error(&self.path(name), "integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| type_error(&self.path(name), "integer")),
            Some(_) => Err(type_error(&self.path(name), "integer")),
        }
    }

    /// A bool field (also a `google.protobuf.BoolValue`); absent → `None`.
    pub fn boolean(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(type_error(&self.path(name), "bool")),
        }
    }

    /// A repeated string field; absent → empty.
    pub fn string_list(&self, name: &str) -> ApiResult<Vec<String>> {
        match self.map.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(type_error(&format!("{}[{i}]", self.path(name)), "string")),
                })
                .collect(),
            Some(_) => Err(type_error(&self.path(name), "array of strings")),
        }
    }

    /// A `map<string,string>` field; absent → empty.
    pub fn string_map(&self, name: &str) -> ApiResult<BTreeMap<String, String>> {
        match self.map.get(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(entries)) => entries
                .iter()
                .map(|(key, value)| match value {
                    Value::String(s) => Ok((key.clone(), s.clone())),
                    _ => Err(type_error(&format!("{}.{key}", self.path(name)), "string")),
                })
                .collect(),
            Some(_) => Err(type_error(&self.path(name), "object")),
        }
    }

    /// A nested message field; absent → `None`.
    pub fn message(&self, name: &str, allowed: &[&str]) -> ApiResult<Option<Fields>> {
        match self.map.get(name) {
            None => Ok(None),
            Some(value) => {
                Fields::from_value(value, &format!("{}.", self.path(name)), allowed).map(Some)
            }
        }
    }

    /// A repeated message field; absent → empty.
    pub fn messages(&self, name: &str, allowed: &[&str]) -> ApiResult<Vec<Fields>> {
        match self.map.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    Fields::from_value(item, &format!("{}[{i}].", self.path(name)), allowed)
                })
                .collect(),
            Some(_) => Err(type_error(&self.path(name), "array")),
        }
    }

    /// An enum field given by name or number; returns the value's name, `None` when absent or
    /// when it is the zero value. `values` lists the names in number order starting at 0.
    pub fn enumeration(
        &self,
        name: &str,
        values: &[&'static str],
    ) -> ApiResult<Option<&'static str>> {
        let index = match self.map.get(name) {
            None => return Ok(None),
            Some(Value::String(s)) => values.iter().position(|v| v == s),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n < values.len()),
            Some(_) => return Err(type_error(&self.path(name), "enum name")),
        };
        match index {
            None => Err(ApiError::invalid(
                &self.path(name),
                format!("invalid value, expected one of {}", values[1..].join(", ")),
            )),
            Some(0) => Ok(None),
            Some(i) => Ok(Some(values[i])),
        }
    }
}

/// Decodes a raw query string into ordered pairs.
pub fn parse_query(raw: Option<&str>) -> ApiResult<Vec<(String, String)>> {
    match raw {
        None | Some("") => Ok(Vec::new()),
        Some(raw) => serde_urlencoded::from_str(raw).map_err(|_| {
            ApiError::new(
                crate::error::Code::InvalidArgument,
                "Request validation error: malformed query string",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snake_and_camel_names_are_both_accepted() {
        for body in [json!({"folderId": "f"}), json!({"folder_id": "f"})] {
            let fields = Fields::from_body(Some(&body), &["folderId"]).unwrap();
            assert_eq!(fields.string("folderId").unwrap().as_deref(), Some("f"));
        }
    }

    #[test]
    fn strictness_table() {
        let table = [
            (
                json!({"bogus": 1}),
                "Request validation error: bogus: unknown field",
            ),
            (
                json!({"folderId": "a", "folder_id": "b"}),
                "Request validation error: folderId: duplicate field",
            ),
            (
                json!([1]),
                "Request validation error: the request body must be a JSON object",
            ),
        ];
        for (body, message) in table {
            let err = Fields::from_body(Some(&body), &["folderId"]).unwrap_err();
            assert_eq!(err.message, message, "{body}");
        }
        let fields = Fields::from_body(Some(&json!({"folderId": 5})), &["folderId"]).unwrap();
        assert!(fields.string("folderId").is_err());
    }

    #[test]
    fn integers_accept_numbers_and_strings() {
        let fields =
            Fields::from_body(Some(&json!({"a": 5, "b": "7", "c": "x"})), &["a", "b", "c"])
                .unwrap();
        assert_eq!(fields.integer("a").unwrap(), Some(5));
        assert_eq!(fields.integer("b").unwrap(), Some(7));
        assert!(fields.integer("c").is_err());
    }

    #[test]
    fn enums_accept_names_and_numbers() {
        let values = ["ACTION_UNSPECIFIED", "ADD", "REMOVE"];
        let table = [
            (json!("ADD"), Ok(Some("ADD"))),
            (json!(2), Ok(Some("REMOVE"))),
            (json!("ACTION_UNSPECIFIED"), Ok(None)),
            (json!("DROP"), Err(())),
            (json!(9), Err(())),
        ];
        for (value, expected) in table {
            let fields = Fields::from_body(Some(&json!({ "action": value })), &["action"]).unwrap();
            let got = fields.enumeration("action", &values).map_err(|_| ());
            assert_eq!(got, expected, "{value}");
        }
    }

    #[test]
    fn nested_paths_appear_in_errors() {
        let body = json!({"deltas": [{"binding": {"roleId": 5}}]});
        let fields = Fields::from_body(Some(&body), &["deltas"]).unwrap();
        let deltas = fields.messages("deltas", &["binding"]).unwrap();
        let binding = deltas[0].message("binding", &["roleId"]).unwrap().unwrap();
        let err = binding.string("roleId").unwrap_err();
        assert_eq!(
            err.message,
            "Request validation error: deltas[0].binding.roleId: invalid value type, expected string"
        );
    }

    #[test]
    fn query_strings_are_decoded() {
        let pairs = parse_query(Some("folderId=b1g&filter=name%3D%22x%22")).unwrap();
        let fields = Fields::from_query(&pairs, &["folderId", "filter"]).unwrap();
        assert_eq!(
            fields.string("filter").unwrap().as_deref(),
            Some("name=\"x\"")
        );
        assert!(Fields::from_query(&pairs, &["folderId"]).is_err());
    }
}
