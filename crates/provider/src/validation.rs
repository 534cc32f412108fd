//! Input rules from the Yandex Cloud protos, checked before any request is sent.
//!
//! Every check names the attribute path it concerns (`labels.team`, `scopes[2]`),
//! so the IAM client can report `invalid-input("<path>: <reason>")` and the
//! lifecycle can attach a diagnostic to the attribute.

use std::collections::HashSet;
use std::fmt;

use crate::error::Error;
use crate::timestamp;

/// The subject types Yandex Cloud accepts in an access binding.
pub const SUBJECT_KINDS: [&str; 5] = [
    "serviceAccount",
    "userAccount",
    "federatedUser",
    "group",
    "system",
];

/// The maximum number of scopes of one API key.
pub const MAX_SCOPES: usize = 100;

/// The maximum number of labels of one service account.
pub const MAX_LABELS: usize = 64;

/// A rule violation at an attribute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The attribute path, e.g. `labels.team`.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl Invalid {
    /// An invalid value at `path`, and why.
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Error::InvalidInput(invalid.to_string())
    }
}

/// The result of a check.
pub type Check = Result<(), Invalid>;

/// A resource name: 3-63 characters, `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`.
pub fn name(path: &str, value: &str) -> Check {
    let length = value.chars().count();
    if !(3..=63).contains(&length) {
        return Err(Invalid::new(
            path,
            format!("must be 3-63 characters long, got {length}"),
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(Invalid::new(
            path,
            "must start with a lowercase Latin letter",
        ));
    }
    if value.ends_with('-') {
        return Err(Invalid::new(path, "must not end with a hyphen"));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(Invalid::new(
            path,
            format!("may contain only lowercase Latin letters, digits and hyphens, found {bad:?}"),
        ));
    }
    Ok(())
}

/// A description: at most 256 characters.
pub fn description(path: &str, value: &str) -> Check {
    max_chars(path, value, 256)
}

/// An id of an existing resource (folder, service account, API key): 1-50 characters.
pub fn resource_id(path: &str, value: &str) -> Check {
    non_empty(path, value)?;
    max_chars(path, value, 50)
}

/// Labels: at most 64; keys 1-63 `[a-z][-_0-9a-z]*`; values at most 63 `[-_0-9a-z]*`.
pub fn labels<'a>(path: &str, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> Check {
    let mut count = 0;
    for (key, value) in labels {
        count += 1;
        let key_path = format!("{path}.{key}");
        let key_length = key.chars().count();
        if !(1..=63).contains(&key_length) {
            return Err(Invalid::new(
                key_path,
                "label keys must be 1-63 characters long",
            ));
        }
        if !key.starts_with(|c: char| c.is_ascii_lowercase()) || !key.chars().all(is_label_char) {
            return Err(Invalid::new(
                key_path,
                "label keys must start with a lowercase letter and contain only [-_0-9a-z]",
            ));
        }
        if value.chars().count() > 63 {
            return Err(Invalid::new(
                key_path,
                "label values must be at most 63 characters long",
            ));
        }
        if !value.chars().all(is_label_char) {
            return Err(Invalid::new(
                key_path,
                "label values may contain only [-_0-9a-z]",
            ));
        }
    }
    if count > MAX_LABELS {
        return Err(Invalid::new(
            path,
            format!("at most {MAX_LABELS} labels are allowed, got {count}"),
        ));
    }
    Ok(())
}

/// API key scopes: at most 100, unique, each 1-256 characters; `allow_empty` for "use the defaults".
pub fn scopes<'a>(
    path: &str,
    scopes: impl IntoIterator<Item = &'a str>,
    allow_empty: bool,
) -> Check {
    let mut seen = HashSet::new();
    for (index, scope) in scopes.into_iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        non_empty(&item_path, scope)?;
        max_chars(&item_path, scope, 256)?;
        if !seen.insert(scope) {
            return Err(Invalid::new(
                item_path,
                format!("duplicate scope {scope:?}"),
            ));
        }
    }
    if seen.is_empty() && !allow_empty {
        return Err(Invalid::new(path, "at least one scope is required"));
    }
    if seen.len() > MAX_SCOPES {
        return Err(Invalid::new(
            path,
            format!(
                "at most {MAX_SCOPES} scopes are allowed, got {}",
                seen.len()
            ),
        ));
    }
    Ok(())
}

/// An expiry time: RFC3339 within 1970-2105.
pub fn expires_at(path: &str, value: &str) -> Check {
    timestamp::parse_request_timestamp(value)
        .map(|_| ())
        .map_err(|reason| Invalid::new(path, reason))
}

/// An expiry time that is still ahead at `now_millis` (a key must not be born expired).
pub fn future_expiry(path: &str, value: &str, now_millis: i64) -> Check {
    let at =
        timestamp::parse_request_timestamp(value).map_err(|reason| Invalid::new(path, reason))?;
    if at.seconds.saturating_mul(1000) <= now_millis {
        return Err(Invalid::new(
            path,
            format!("{value} is in the past; the key would be born expired"),
        ));
    }
    Ok(())
}

/// A role id: 1-64 characters.
pub fn role_id(path: &str, value: &str) -> Check {
    non_empty(path, value)?;
    max_chars(path, value, 64)
}

/// A subject type: one of [`SUBJECT_KINDS`].
pub fn subject_kind(path: &str, value: &str) -> Check {
    if SUBJECT_KINDS.contains(&value) {
        Ok(())
    } else {
        Err(Invalid::new(
            path,
            format!(
                "subject type {value:?} is not one of {}",
                SUBJECT_KINDS.join(", ")
            ),
        ))
    }
}

/// A subject id: 1-100 characters.
pub fn subject_id(path: &str, value: &str) -> Check {
    non_empty(path, value)?;
    max_chars(path, value, 100)
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

fn non_empty(path: &str, value: &str) -> Check {
    if value.is_empty() {
        Err(Invalid::new(path, "must not be empty"))
    } else {
        Ok(())
    }
}

/// At most `max` characters.
pub fn max_chars(path: &str, value: &str, max: usize) -> Check {
    let length = value.chars().count();
    if length > max {
        Err(Invalid::new(
            path,
            format!("must be at most {max} characters long, got {length}"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(check: Check) -> Option<String> {
        check.err().map(|invalid| invalid.to_string())
    }

    #[test]
    fn names() {
        let cases = [
            ("abc", None),
            ("ai-studio-sa-1", None),
            (&"a".repeat(63), None),
            ("ab", Some("name: must be 3-63 characters long, got 2")),
            (
                &"a".repeat(64),
                Some("name: must be 3-63 characters long, got 64"),
            ),
            (
                "1abc",
                Some("name: must start with a lowercase Latin letter"),
            ),
            ("abc-", Some("name: must not end with a hyphen")),
            (
                "aBc",
                Some(
                    "name: may contain only lowercase Latin letters, digits and hyphens, found 'B'",
                ),
            ),
            (
                "a_bc",
                Some(
                    "name: may contain only lowercase Latin letters, digits and hyphens, found '_'",
                ),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(reason(name("name", input)).as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn label_rules() {
        let long = "v".repeat(64);
        type Labels<'a> = Vec<(&'a str, &'a str)>;
        let cases: [(Labels, Option<&str>); 6] = [
            (vec![("team", "ml"), ("env", "")], None),
            (
                vec![("Team", "ml")],
                Some(
                    "labels.Team: label keys must start with a lowercase letter and contain only [-_0-9a-z]",
                ),
            ),
            (
                vec![("", "ml")],
                Some("labels.: label keys must be 1-63 characters long"),
            ),
            (
                vec![("team", "ML")],
                Some("labels.team: label values may contain only [-_0-9a-z]"),
            ),
            (
                vec![("team", long.as_str())],
                Some("labels.team: label values must be at most 63 characters long"),
            ),
            (
                vec![("9team", "x")],
                Some(
                    "labels.9team: label keys must start with a lowercase letter and contain only [-_0-9a-z]",
                ),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                reason(labels("labels", input.clone())).as_deref(),
                expected,
                "{input:?}"
            );
        }
        let keys: Vec<String> = (0..65).map(|i| format!("k{i}")).collect();
        let too_many = keys.iter().map(|k| (k.as_str(), "v"));
        assert_eq!(
            reason(labels("labels", too_many)).as_deref(),
            Some("labels: at most 64 labels are allowed, got 65")
        );
    }

    #[test]
    fn scope_rules() {
        let many: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
        let cases: [(Vec<&str>, bool, Option<&str>); 5] = [
            (vec!["yc.ai.languageModels.execute"], false, None),
            (vec![], true, None),
            (
                vec![],
                false,
                Some("scopes: at least one scope is required"),
            ),
            (
                vec!["a", "b", "a"],
                true,
                Some("scopes[2]: duplicate scope \"a\""),
            ),
            (vec!["a", ""], true, Some("scopes[1]: must not be empty")),
        ];
        for (input, allow_empty, expected) in cases {
            assert_eq!(
                reason(scopes("scopes", input.iter().copied(), allow_empty)).as_deref(),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(
            reason(scopes("scopes", many.iter().map(String::as_str), true)).as_deref(),
            Some("scopes: at most 100 scopes are allowed, got 101")
        );
    }

    #[test]
    fn scalar_rules() {
        let cases: [(Check, Option<&str>); 10] = [
            (role_id("role", "ai.languageModels.user"), None),
            (role_id("role", ""), Some("role: must not be empty")),
            (
                role_id("role", &"r".repeat(65)),
                Some("role: must be at most 64 characters long, got 65"),
            ),
            (subject_kind("member", "serviceAccount"), None),
            (
                subject_kind("member", "robot"),
                Some(
                    "member: subject type \"robot\" is not one of serviceAccount, userAccount, federatedUser, group, system",
                ),
            ),
            (
                resource_id("folder_id", ""),
                Some("folder_id: must not be empty"),
            ),
            (
                resource_id("folder_id", &"f".repeat(51)),
                Some("folder_id: must be at most 50 characters long, got 51"),
            ),
            (
                description("description", &"d".repeat(257)),
                Some("description: must be at most 256 characters long, got 257"),
            ),
            (expires_at("expires_at", "2030-01-01T00:00:00Z"), None),
            (
                expires_at("expires_at", "tomorrow"),
                Some(
                    "expires_at: \"tomorrow\" is not an RFC3339 timestamp such as 2030-01-31T12:00:00Z",
                ),
            ),
        ];
        for (index, (check, expected)) in cases.into_iter().enumerate() {
            assert_eq!(reason(check).as_deref(), expected, "case {index}");
        }
    }
}
