//! URL building for the REST API: base hosts, escaped path segments and query strings.

/// The IAM API (service accounts, API keys).
pub const IAM_HOST: &str = "https://iam.api.cloud.yandex.net";
/// The Resource Manager API (folders and their access bindings).
pub const RESOURCE_MANAGER_HOST: &str = "https://resource-manager.api.cloud.yandex.net";
/// The Lockbox API (secrets and their versions, not payloads).
pub const LOCKBOX_HOST: &str = "https://lockbox.api.cloud.yandex.net";
/// The Lockbox payload API (reading a version's entries).
pub const LOCKBOX_PAYLOAD_HOST: &str = "https://payload.lockbox.api.cloud.yandex.net";
/// The Operation API (polling long-running operations).
pub const OPERATION_HOST: &str = "https://operation.api.cloud.yandex.net";

/// Escapes a value for use as one path segment (only `[A-Za-z0-9_-]` stay as they are).
pub fn segment(value: &str) -> String {
    escape(value, |byte| {
        byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_')
    })
}

/// Builds `?k=v&…` from pairs, escaping values; empty values are left out.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", escape(value, is_unreserved)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The path of an absolute URL, without scheme, host and query (for logs).
pub fn path_of(url: &str) -> &str {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = without_scheme
        .find('/')
        .map_or("/", |index| &without_scheme[index..]);
    path.split_once('?').map_or(path, |(path, _)| path)
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

fn escape(value: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        if keep(byte) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_segments_and_queries() {
        assert_eq!(segment("aje123"), "aje123");
        assert_eq!(segment("../x y"), "%2E%2E%2Fx%20y");
        assert_eq!(
            query(&[
                ("folderId", "b1g"),
                ("pageToken", ""),
                ("filter", "name=\"sa-1\"")
            ]),
            "?folderId=b1g&filter=name%3D%22sa-1%22"
        );
        assert_eq!(query(&[("pageToken", "")]), "");
    }

    #[test]
    fn extracts_paths() {
        let cases = [
            (
                "https://iam.api.cloud.yandex.net/iam/v1/apiKeys?x=1",
                "/iam/v1/apiKeys",
            ),
            (
                "https://operation.api.cloud.yandex.net/operations/op1",
                "/operations/op1",
            ),
            ("https://host", "/"),
        ];
        for (url, expected) in cases {
            assert_eq!(path_of(url), expected);
        }
    }
}
