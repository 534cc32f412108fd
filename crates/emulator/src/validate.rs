//! Field validation by the rules of the protos' `yandex.cloud` validation annotations.

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::{self, TimestampError};
use crate::error::{ApiError, ApiResult};
use crate::input::Fields;

/// Default page size of list methods.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest accepted page size.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// A required string: absent or empty is "Field is required"; longer than `max` characters is
/// rejected.
pub fn required(fields: &Fields, name: &str, max: usize) -> ApiResult<String> {
    let value = fields.string_or_empty(name)?;
    if value.is_empty() {
        return Err(ApiError::invalid(&fields.path(name), "Field is required"));
    }
    max_length(&fields.path(name), &value, max)?;
    Ok(value)
}

/// An optional string of at most `max` characters; absent is the empty string.
pub fn optional(fields: &Fields, name: &str, max: usize) -> ApiResult<String> {
    let value = fields.string_or_empty(name)?;
    max_length(&fields.path(name), &value, max)?;
    Ok(value)
}

/// A path parameter: required and at most `max` characters.
pub fn path_id(name: &str, value: &str, max: usize) -> ApiResult<String> {
    if value.is_empty() {
        return Err(ApiError::invalid(name, "Field is required"));
    }
    max_length(name, value, max)?;
    Ok(value.to_string())
}

/// Rejects strings longer than `max` characters.
pub fn max_length(path: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            path,
            format!("length must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Whether `name` is a resource name: 3-63 characters matching `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`.
pub fn is_resource_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && bytes[bytes.len() - 1] != b'-'
}

/// A required resource name (see [`is_resource_name`]).
pub fn resource_name(fields: &Fields, name: &str) -> ApiResult<String> {
    let value = required(fields, name, 63)?;
    if !is_resource_name(&value) {
        return Err(ApiError::invalid(
            &fields.path(name),
            format!(
                "invalid resource name \"{value}\": must be 3-63 characters long, \
                 match [a-z]([-a-z0-9]{{0,61}}[a-z0-9])?"
            ),
        ));
    }
    Ok(value)
}

/// A description of at most 256 characters.
pub fn description(fields: &Fields) -> ApiResult<String> {
    optional(fields, "description", 256)
}

fn is_label_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

fn is_label_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

/// Labels: at most 64 entries; keys 1-63 of `[a-z][-_0-9a-z]*`; values at most 63 of `[-_0-9a-z]*`.
pub fn labels(fields: &Fields) -> ApiResult<BTreeMap<String, String>> {
    let path = fields.path("labels");
    let labels = fields.string_map("labels")?;
    if labels.len() > 64 {
        return Err(ApiError::invalid(&path, "at most 64 labels are allowed"));
    }
    for (key, value) in &labels {
        if !is_label_key(key) {
            return Err(ApiError::invalid(
                &path,
                format!(
                    "invalid label key \"{key}\": must be 1-63 characters matching [a-z][-_0-9a-z]*"
                ),
            ));
        }
        if !is_label_value(value) {
            return Err(ApiError::invalid(
                &format!("{path}.{key}"),
                "invalid label value: must be at most 63 characters matching [-_0-9a-z]*",
            ));
        }
    }
    Ok(labels)
}

/// An optional request timestamp in the 1970..2105 range, normalised to UTC.
pub fn timestamp(fields: &Fields, name: &str) -> ApiResult<Option<String>> {
    let Some(text) = fields.string(name)? else {
        return Ok(None);
    };
    clock::parse_request_timestamp(&text)
        .map(Some)
        .map_err(|err| match err {
            TimestampError::Malformed => ApiError::invalid(
                &fields.path(name),
                format!("invalid timestamp \"{text}\": expected RFC3339"),
            ),
            TimestampError::OutOfRange => ApiError::invalid(
                &fields.path(name),
                "timestamp must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59.999999999Z",
            ),
        })
}

/// `pageSize` (0..=1000, 0 meaning the default 100).
pub fn page_size(fields: &Fields) -> ApiResult<usize> {
    match fields.integer("pageSize")? {
        None | Some(0) => Ok(DEFAULT_PAGE_SIZE),
        Some(size) if (1..=MAX_PAGE_SIZE).contains(&size) => Ok(size as usize),
        Some(_) => Err(ApiError::invalid(
            &fields.path("pageSize"),
            format!("value must be between 0 and {MAX_PAGE_SIZE}"),
        )),
    }
}

/// `pageToken`: at most `max` characters; returns the decoded start offset.
pub fn page_token(fields: &Fields, max: usize) -> ApiResult<usize> {
    let token = optional(fields, "pageToken", max)?;
    if token.is_empty() {
        return Ok(0);
    }
    token
        .parse::<usize>()
        .map_err(|_| ApiError::invalid(&fields.path("pageToken"), "invalid page token"))
}

/// One page of `items` starting at `offset`; returns the page and the next page token (empty
/// on the last page).
pub fn paginate<T: Clone>(items: &[T], offset: usize, size: usize) -> (Vec<T>, String) {
    let start = offset.min(items.len());
    let end = (start + size).min(items.len());
    let next = if end < items.len() {
        end.to_string()
    } else {
        String::new()
    };
    (items[start..end].to_vec(), next)
}

/// Repeated strings with a count range, a per-item length limit and uniqueness.
pub fn unique_strings(
    fields: &Fields,
    name: &str,
    min_count: usize,
    max_count: usize,
    max_length_each: usize,
) -> ApiResult<Vec<String>> {
    let path = fields.path(name);
    let items = fields.string_list(name)?;
    if items.len() < min_count || items.len() > max_count {
        return Err(ApiError::invalid(
            &path,
            format!("must have between {min_count} and {max_count} items"),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        max_length(&format!("{path}[{i}]"), item, max_length_each)?;
        if !seen.insert(item.as_str()) {
            return Err(ApiError::invalid(
                &format!("{path}[{i}]"),
                format!("duplicate value \"{item}\""),
            ));
        }
    }
    Ok(items)
}

/// The paths of an `updateMask` (a comma-separated string), as lowerCamel names, each checked
/// against `allowed`.
pub fn update_mask(fields: &Fields, allowed: &[&str]) -> ApiResult<Vec<String>> {
    let mask = fields.string_or_empty("updateMask")?;
    let mut paths = Vec::new();
    for raw in mask.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let path = crate::input::to_lower_camel(raw);
        if !allowed.contains(&path.as_str()) {
            return Err(ApiError::invalid(
                "updateMask",
                format!("unknown or immutable field \"{raw}\""),
            ));
        }
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    Ok(paths)
}

/// The `name="<value>"` filter of list methods; returns the name, or `None` without a filter.
pub fn name_filter(fields: &Fields) -> ApiResult<Option<String>> {
    let filter = optional(fields, "filter", 1000)?;
    let filter = filter.trim();
    if filter.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        ApiError::invalid(
            "filter",
            format!("invalid filter \"{filter}\": only name=\"<name>\" is supported"),
        )
    };
    let rest = filter
        .strip_prefix("name")
        .ok_or_else(invalid)?
        .trim_start();
    let rest = rest.strip_prefix('=').ok_or_else(invalid)?.trim_start();
    let value = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(invalid)?;
    if value.contains('"') {
        return Err(invalid());
    }
    Ok(Some(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: serde_json::Value) -> Fields {
        let names: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Fields::from_body(Some(&body), &names).unwrap()
    }

    #[test]
    fn resource_names() {
        let table = [
            ("abc", true),
            ("a-b-1", true),
            ("ab", false),
            ("1abc", false),
            ("abc-", false),
            ("Abc", false),
            ("a_bc", false),
            (&"a".repeat(63), true),
            (&"a".repeat(64), false),
        ];
        for (name, valid) in table {
            assert_eq!(is_resource_name(name), valid, "{name}");
        }
    }

    #[test]
    fn label_rules() {
        let table = [
            (json!({"env": "prod"}), true),
            (json!({"env": ""}), true),
            (json!({"e_n-v2": "a_b-c"}), true),
            (json!({"Env": "prod"}), false),
            (json!({"": "x"}), false),
            (json!({"2env": "x"}), false),
            (json!({"env": "Prod"}), false),
            (json!({"env": "a".repeat(64)}), false),
        ];
        for (labels, valid) in table {
            let f = fields(json!({ "labels": labels }));
            assert_eq!(super::labels(&f).is_ok(), valid, "{labels}");
        }
        let many: serde_json::Map<String, serde_json::Value> =
            (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(super::labels(&fields(json!({ "labels": many }))).is_err());
    }

    #[test]
    fn page_sizes() {
        let table = [
            (json!({}), Ok(100)),
            (json!({"pageSize": "0"}), Ok(100)),
            (json!({"pageSize": "1000"}), Ok(1000)),
            (json!({"pageSize": 5}), Ok(5)),
            (json!({"pageSize": "1001"}), Err(())),
            (json!({"pageSize": "-1"}), Err(())),
        ];
        for (body, expected) in table {
            let f = if body.as_object().unwrap().is_empty() {
                Fields::from_body(None, &[]).unwrap()
            } else {
                fields(body.clone())
            };
            assert_eq!(page_size(&f).map_err(|_| ()), expected, "{body}");
        }
    }

    #[test]
    fn pagination_walks_all_items() {
        let items: Vec<u32> = (0..5).collect();
        assert_eq!(paginate(&items, 0, 2), (vec![0, 1], "2".to_string()));
        assert_eq!(paginate(&items, 4, 2), (vec![4], String::new()));
        assert_eq!(paginate(&items, 9, 2), (vec![], String::new()));
    }

    #[test]
    fn name_filters() {
        let table = [
            ("", Ok(None)),
            ("name=\"abc\"", Ok(Some("abc"))),
            (" name = \"abc\" ", Ok(Some("abc"))),
            ("name='abc'", Err(())),
            ("folderId=\"x\"", Err(())),
            ("name=\"a\"b\"", Err(())),
        ];
        for (filter, expected) in table {
            let f = fields(json!({ "filter": filter }));
            assert_eq!(
                name_filter(&f).map_err(|_| ()),
                expected.map(|o| o.map(str::to_string)),
                "{filter}"
            );
        }
    }

    #[test]
    fn update_masks() {
        let allowed = ["name", "description", "expiresAt"];
        let f = fields(json!({"updateMask": "name, expires_at,description"}));
        assert_eq!(
            update_mask(&f, &allowed).unwrap(),
            vec!["name", "expiresAt", "description"]
        );
        let f = fields(json!({"updateMask": "folderId"}));
        assert!(update_mask(&f, &allowed).is_err());
    }

    #[test]
    fn unique_string_lists() {
        let f = fields(json!({"scopes": ["a", "b"]}));
        assert!(unique_strings(&f, "scopes", 0, 100, 256).is_ok());
        let f = fields(json!({"scopes": ["a", "a"]}));
        assert!(unique_strings(&f, "scopes", 0, 100, 256).is_err());
        let f = fields(json!({"scopes": []}));
        assert!(unique_strings(&f, "scopes", 1, 100, 256).is_err());
        let f = fields(json!({"scopes": ["x".repeat(257)]}));
        assert!(unique_strings(&f, "scopes", 0, 100, 256).is_err());
    }
}
