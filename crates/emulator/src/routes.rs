//! The REST methods the emulator serves: matching a method and path to a [`Route`].
//!
//! Custom methods carry their verb after a colon in the last segment
//! (`/folders/{resourceId}:updateAccessBindings`), so routes are matched segment by segment here.

/// One REST method with its path parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /iam/v1/serviceAccounts/{serviceAccountId}`
    ServiceAccountGet(String),
    /// `GET /iam/v1/serviceAccounts`
    ServiceAccountList,
    /// `POST /iam/v1/serviceAccounts`
    ServiceAccountCreate,
    /// `PATCH /iam/v1/serviceAccounts/{serviceAccountId}`
    ServiceAccountUpdate(String),
    /// `DELETE /iam/v1/serviceAccounts/{serviceAccountId}`
    ServiceAccountDelete(String),
    /// `GET /iam/v1/serviceAccounts/{resourceId}:listAccessBindings`
    ServiceAccountListBindings(String),
    /// `POST /iam/v1/serviceAccounts/{resourceId}:setAccessBindings`
    ServiceAccountSetBindings(String),
    /// `POST /iam/v1/serviceAccounts/{resourceId}:updateAccessBindings`
    ServiceAccountUpdateBindings(String),
    /// `GET /resource-manager/v1/clouds/{cloudId}`
    CloudGet(String),
    /// `GET /resource-manager/v1/clouds`
    CloudList,
    /// `GET /resource-manager/v1/clouds/{resourceId}:listAccessBindings`
    CloudListBindings(String),
    /// `POST /resource-manager/v1/clouds/{resourceId}:setAccessBindings`
    CloudSetBindings(String),
    /// `POST /resource-manager/v1/clouds/{resourceId}:updateAccessBindings`
    CloudUpdateBindings(String),
    /// `GET /resource-manager/v1/folders/{folderId}`
    FolderGet(String),
    /// `GET /resource-manager/v1/folders`
    FolderList,
    /// `GET /resource-manager/v1/folders/{resourceId}:listAccessBindings`
    FolderListBindings(String),
    /// `POST /resource-manager/v1/folders/{resourceId}:setAccessBindings`
    FolderSetBindings(String),
    /// `POST /resource-manager/v1/folders/{resourceId}:updateAccessBindings`
    FolderUpdateBindings(String),
    /// `POST /iam/aws-compatibility/v1/accessKeys`
    AccessKeyCreate,
    /// `GET /iam/aws-compatibility/v1/accessKeys`
    AccessKeyList,
    /// `GET /iam/aws-compatibility/v1/accessKeys/{accessKeyId}`
    AccessKeyGet(String),
    /// `DELETE /iam/aws-compatibility/v1/accessKeys/{accessKeyId}`
    AccessKeyDelete(String),
    /// `POST /iam/v1/apiKeys`
    ApiKeyCreate,
    /// `GET /iam/v1/apiKeys`
    ApiKeyList,
    /// `GET /iam/v1/apiKeys/{apiKeyId}`
    ApiKeyGet(String),
    /// `PATCH /iam/v1/apiKeys/{apiKeyId}`
    ApiKeyUpdate(String),
    /// `DELETE /iam/v1/apiKeys/{apiKeyId}`
    ApiKeyDelete(String),
    /// `GET /iam/v1/apiKeyScopes` and the older `GET /iam/v1/apiKeys/scopes`
    ApiKeyScopes,
    /// `POST /iam/v1/keys`
    KeyCreate,
    /// `GET /iam/v1/keys`
    KeyList,
    /// `GET /iam/v1/keys/{keyId}`
    KeyGet(String),
    /// `DELETE /iam/v1/keys/{keyId}`
    KeyDelete(String),
    /// `GET /operations/{operationId}`
    OperationGet(String),
    /// `GET` or `POST /operations/{operationId}:cancel`
    OperationCancel(String),
    /// `POST /iam/v1/tokens`
    TokenCreate,
    /// `GET /lockbox/v1/secrets/{secretId}`
    LockboxSecretGet(String),
    /// `GET /lockbox/v1/secrets`
    LockboxSecretList,
    /// `POST /lockbox/v1/secrets`
    LockboxSecretCreate,
    /// `PATCH /lockbox/v1/secrets/{secretId}`
    LockboxSecretUpdate(String),
    /// `DELETE /lockbox/v1/secrets/{secretId}`
    LockboxSecretDelete(String),
    /// `POST /lockbox/v1/secrets/{secretId}:activate`
    LockboxSecretActivate(String),
    /// `POST /lockbox/v1/secrets/{secretId}:deactivate`
    LockboxSecretDeactivate(String),
    /// `GET /lockbox/v1/secrets/{secretId}/versions`
    LockboxVersionList(String),
    /// `POST /lockbox/v1/secrets/{secretId}:addVersion`
    LockboxVersionAdd(String),
    /// `POST /lockbox/v1/secrets/{secretId}:scheduleVersionDestruction`
    LockboxVersionScheduleDestruction(String),
    /// `POST /lockbox/v1/secrets/{secretId}:cancelVersionDestruction`
    LockboxVersionCancelDestruction(String),
    /// `GET /lockbox/v1/secrets/{secretId}/payload` (the payload service's host)
    LockboxPayloadGet(String),
    /// `GET /endpoints`
    EndpointList,
    /// `GET /endpoints/{apiEndpointId}`
    EndpointGet(String),
}

/// A matched route and its template, the key of the request counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The method.
    pub route: Route,
    /// For example `"POST /iam/v1/serviceAccounts/{resourceId}:updateAccessBindings"`.
    pub template: &'static str,
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `id:verb` into the id and the verb.
fn split_verb(segment: &str) -> (String, Option<&str>) {
    match segment.split_once(':') {
        Some((id, verb)) => (id.to_string(), Some(verb)),
        None => (segment.to_string(), None),
    }
}

/// Matches a request to a route; `None` when nothing matches.
pub fn resolve(method: &str, path: &str) -> Option<Resolved> {
    let decoded: Vec<String> = path
        .strip_prefix('/')?
        .split('/')
        .map(percent_decode)
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let found = |route: Route, template: &'static str| Some(Resolved { route, template });
    match (method, segments.as_slice()) {
        ("GET", ["iam", "v1", "serviceAccounts"]) => {
            found(Route::ServiceAccountList, "GET /iam/v1/serviceAccounts")
        }
        ("POST", ["iam", "v1", "serviceAccounts"]) => {
            found(Route::ServiceAccountCreate, "POST /iam/v1/serviceAccounts")
        }
        (_, ["iam", "v1", "serviceAccounts", last]) => match (method, split_verb(last)) {
            ("GET", (id, None)) => found(
                Route::ServiceAccountGet(id),
                "GET /iam/v1/serviceAccounts/{serviceAccountId}",
            ),
            ("PATCH", (id, None)) => found(
                Route::ServiceAccountUpdate(id),
                "PATCH /iam/v1/serviceAccounts/{serviceAccountId}",
            ),
            ("DELETE", (id, None)) => found(
                Route::ServiceAccountDelete(id),
                "DELETE /iam/v1/serviceAccounts/{serviceAccountId}",
            ),
            ("GET", (id, Some("listAccessBindings"))) => found(
                Route::ServiceAccountListBindings(id),
                "GET /iam/v1/serviceAccounts/{resourceId}:listAccessBindings",
            ),
            ("POST", (id, Some("setAccessBindings"))) => found(
                Route::ServiceAccountSetBindings(id),
                "POST /iam/v1/serviceAccounts/{resourceId}:setAccessBindings",
            ),
            ("POST", (id, Some("updateAccessBindings"))) => found(
                Route::ServiceAccountUpdateBindings(id),
                "POST /iam/v1/serviceAccounts/{resourceId}:updateAccessBindings",
            ),
            _ => None,
        },
        ("GET", ["resource-manager", "v1", "clouds"]) => {
            found(Route::CloudList, "GET /resource-manager/v1/clouds")
        }
        (_, ["resource-manager", "v1", "clouds", last]) => match (method, split_verb(last)) {
            ("GET", (id, None)) => found(
                Route::CloudGet(id),
                "GET /resource-manager/v1/clouds/{cloudId}",
            ),
            ("GET", (id, Some("listAccessBindings"))) => found(
                Route::CloudListBindings(id),
                "GET /resource-manager/v1/clouds/{resourceId}:listAccessBindings",
            ),
            ("POST", (id, Some("setAccessBindings"))) => found(
                Route::CloudSetBindings(id),
                "POST /resource-manager/v1/clouds/{resourceId}:setAccessBindings",
            ),
            ("POST", (id, Some("updateAccessBindings"))) => found(
                Route::CloudUpdateBindings(id),
                "POST /resource-manager/v1/clouds/{resourceId}:updateAccessBindings",
            ),
            _ => None,
        },
        ("GET", ["resource-manager", "v1", "folders"]) => {
            found(Route::FolderList, "GET /resource-manager/v1/folders")
        }
        (_, ["resource-manager", "v1", "folders", last]) => match (method, split_verb(last)) {
            ("GET", (id, None)) => found(
                Route::FolderGet(id),
                "GET /resource-manager/v1/folders/{folderId}",
            ),
            ("GET", (id, Some("listAccessBindings"))) => found(
                Route::FolderListBindings(id),
                "GET /resource-manager/v1/folders/{resourceId}:listAccessBindings",
            ),
            ("POST", (id, Some("setAccessBindings"))) => found(
                Route::FolderSetBindings(id),
                "POST /resource-manager/v1/folders/{resourceId}:setAccessBindings",
            ),
            ("POST", (id, Some("updateAccessBindings"))) => found(
                Route::FolderUpdateBindings(id),
                "POST /resource-manager/v1/folders/{resourceId}:updateAccessBindings",
            ),
            _ => None,
        },
        ("POST", ["iam", "aws-compatibility", "v1", "accessKeys"]) => found(
            Route::AccessKeyCreate,
            "POST /iam/aws-compatibility/v1/accessKeys",
        ),
        ("GET", ["iam", "aws-compatibility", "v1", "accessKeys"]) => found(
            Route::AccessKeyList,
            "GET /iam/aws-compatibility/v1/accessKeys",
        ),
        ("GET", ["iam", "aws-compatibility", "v1", "accessKeys", id]) if !id.contains(':') => {
            found(
                Route::AccessKeyGet(id.to_string()),
                "GET /iam/aws-compatibility/v1/accessKeys/{accessKeyId}",
            )
        }
        ("DELETE", ["iam", "aws-compatibility", "v1", "accessKeys", id]) if !id.contains(':') => {
            found(
                Route::AccessKeyDelete(id.to_string()),
                "DELETE /iam/aws-compatibility/v1/accessKeys/{accessKeyId}",
            )
        }
        ("GET", ["iam", "v1", "apiKeys"]) => found(Route::ApiKeyList, "GET /iam/v1/apiKeys"),
        ("POST", ["iam", "v1", "apiKeys"]) => found(Route::ApiKeyCreate, "POST /iam/v1/apiKeys"),
        ("GET", ["iam", "v1", "apiKeyScopes"]) => {
            found(Route::ApiKeyScopes, "GET /iam/v1/apiKeyScopes")
        }
        ("GET", ["iam", "v1", "apiKeys", "scopes"]) => {
            found(Route::ApiKeyScopes, "GET /iam/v1/apiKeys/scopes")
        }
        ("GET", ["iam", "v1", "apiKeys", id]) if !id.contains(':') => found(
            Route::ApiKeyGet(id.to_string()),
            "GET /iam/v1/apiKeys/{apiKeyId}",
        ),
        ("PATCH", ["iam", "v1", "apiKeys", id]) if !id.contains(':') => found(
            Route::ApiKeyUpdate(id.to_string()),
            "PATCH /iam/v1/apiKeys/{apiKeyId}",
        ),
        ("DELETE", ["iam", "v1", "apiKeys", id]) if !id.contains(':') => found(
            Route::ApiKeyDelete(id.to_string()),
            "DELETE /iam/v1/apiKeys/{apiKeyId}",
        ),
        ("GET", ["iam", "v1", "keys"]) => found(Route::KeyList, "GET /iam/v1/keys"),
        ("POST", ["iam", "v1", "keys"]) => found(Route::KeyCreate, "POST /iam/v1/keys"),
        ("GET", ["iam", "v1", "keys", id]) if !id.contains(':') => {
            found(Route::KeyGet(id.to_string()), "GET /iam/v1/keys/{keyId}")
        }
        ("DELETE", ["iam", "v1", "keys", id]) if !id.contains(':') => found(
            Route::KeyDelete(id.to_string()),
            "DELETE /iam/v1/keys/{keyId}",
        ),
        ("POST", ["iam", "v1", "tokens"]) => found(Route::TokenCreate, "POST /iam/v1/tokens"),
        (_, ["operations", last]) => match (method, split_verb(last)) {
            ("GET", (id, None)) => found(Route::OperationGet(id), "GET /operations/{operationId}"),
            ("GET", (id, Some("cancel"))) => found(
                Route::OperationCancel(id),
                "GET /operations/{operationId}:cancel",
            ),
            ("POST", (id, Some("cancel"))) => found(
                Route::OperationCancel(id),
                "POST /operations/{operationId}:cancel",
            ),
            _ => None,
        },
        ("GET", ["lockbox", "v1", "secrets"]) => {
            found(Route::LockboxSecretList, "GET /lockbox/v1/secrets")
        }
        ("POST", ["lockbox", "v1", "secrets"]) => {
            found(Route::LockboxSecretCreate, "POST /lockbox/v1/secrets")
        }
        ("GET", ["lockbox", "v1", "secrets", id, "versions"]) if !id.contains(':') => found(
            Route::LockboxVersionList(id.to_string()),
            "GET /lockbox/v1/secrets/{secretId}/versions",
        ),
        ("GET", ["lockbox", "v1", "secrets", id, "payload"]) if !id.contains(':') => found(
            Route::LockboxPayloadGet(id.to_string()),
            "GET /lockbox/v1/secrets/{secretId}/payload",
        ),
        (_, ["lockbox", "v1", "secrets", last]) => match (method, split_verb(last)) {
            ("GET", (id, None)) => found(
                Route::LockboxSecretGet(id),
                "GET /lockbox/v1/secrets/{secretId}",
            ),
            ("PATCH", (id, None)) => found(
                Route::LockboxSecretUpdate(id),
                "PATCH /lockbox/v1/secrets/{secretId}",
            ),
            ("DELETE", (id, None)) => found(
                Route::LockboxSecretDelete(id),
                "DELETE /lockbox/v1/secrets/{secretId}",
            ),
            ("POST", (id, Some("activate"))) => found(
                Route::LockboxSecretActivate(id),
                "POST /lockbox/v1/secrets/{secretId}:activate",
            ),
            ("POST", (id, Some("deactivate"))) => found(
                Route::LockboxSecretDeactivate(id),
                "POST /lockbox/v1/secrets/{secretId}:deactivate",
            ),
            ("POST", (id, Some("addVersion"))) => found(
                Route::LockboxVersionAdd(id),
                "POST /lockbox/v1/secrets/{secretId}:addVersion",
            ),
            ("POST", (id, Some("scheduleVersionDestruction"))) => found(
                Route::LockboxVersionScheduleDestruction(id),
                "POST /lockbox/v1/secrets/{secretId}:scheduleVersionDestruction",
            ),
            ("POST", (id, Some("cancelVersionDestruction"))) => found(
                Route::LockboxVersionCancelDestruction(id),
                "POST /lockbox/v1/secrets/{secretId}:cancelVersionDestruction",
            ),
            _ => None,
        },
        ("GET", ["endpoints"]) => found(Route::EndpointList, "GET /endpoints"),
        ("GET", ["endpoints", id]) => found(
            Route::EndpointGet(id.to_string()),
            "GET /endpoints/{apiEndpointId}",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table() {
        let table = [
            (
                "GET",
                "/iam/v1/serviceAccounts",
                Some(Route::ServiceAccountList),
            ),
            (
                "POST",
                "/lockbox/v1/secrets/e6q1:addVersion",
                Some(Route::LockboxVersionAdd("e6q1".into())),
            ),
            (
                "GET",
                "/lockbox/v1/secrets/e6q1/payload",
                Some(Route::LockboxPayloadGet("e6q1".into())),
            ),
            (
                "GET",
                "/lockbox/v1/secrets/e6q1/versions",
                Some(Route::LockboxVersionList("e6q1".into())),
            ),
            ("POST", "/lockbox/v1/secrets/e6q1:rotate", None),
            (
                "POST",
                "/iam/v1/serviceAccounts",
                Some(Route::ServiceAccountCreate),
            ),
            (
                "GET",
                "/iam/v1/serviceAccounts/aje1",
                Some(Route::ServiceAccountGet("aje1".into())),
            ),
            (
                "PATCH",
                "/iam/v1/serviceAccounts/aje1",
                Some(Route::ServiceAccountUpdate("aje1".into())),
            ),
            (
                "DELETE",
                "/iam/v1/serviceAccounts/aje1",
                Some(Route::ServiceAccountDelete("aje1".into())),
            ),
            (
                "POST",
                "/iam/v1/serviceAccounts/aje1:updateAccessBindings",
                Some(Route::ServiceAccountUpdateBindings("aje1".into())),
            ),
            (
                "POST",
                "/resource-manager/v1/folders/b1g:updateAccessBindings",
                Some(Route::FolderUpdateBindings("b1g".into())),
            ),
            (
                "GET",
                "/resource-manager/v1/folders/b1g:listAccessBindings",
                Some(Route::FolderListBindings("b1g".into())),
            ),
            (
                "GET",
                "/resource-manager/v1/folders/b1g",
                Some(Route::FolderGet("b1g".into())),
            ),
            ("GET", "/iam/v1/apiKeys/scopes", Some(Route::ApiKeyScopes)),
            ("GET", "/iam/v1/apiKeyScopes", Some(Route::ApiKeyScopes)),
            (
                "GET",
                "/iam/v1/apiKeys/aje2",
                Some(Route::ApiKeyGet("aje2".into())),
            ),
            (
                "GET",
                "/operations/op1",
                Some(Route::OperationGet("op1".into())),
            ),
            (
                "GET",
                "/operations/op1:cancel",
                Some(Route::OperationCancel("op1".into())),
            ),
            (
                "POST",
                "/operations/op1:cancel",
                Some(Route::OperationCancel("op1".into())),
            ),
            ("POST", "/iam/v1/tokens", Some(Route::TokenCreate)),
            (
                "GET",
                "/endpoints/iam",
                Some(Route::EndpointGet("iam".into())),
            ),
            ("PUT", "/iam/v1/serviceAccounts/aje1", None),
            ("GET", "/iam/v1/serviceAccounts/aje1:bogus", None),
            (
                "GET",
                "/iam/v1/serviceAccounts/",
                Some(Route::ServiceAccountGet(String::new())),
            ),
            ("GET", "/nothing", None),
        ];
        for (method, path, expected) in table {
            assert_eq!(
                resolve(method, path).map(|r| r.route),
                expected,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn encoded_colons_are_custom_verbs_too() {
        let resolved = resolve(
            "POST",
            "/resource-manager/v1/folders/b1g%3AsetAccessBindings",
        );
        assert_eq!(
            resolved.map(|r| r.route),
            Some(Route::FolderSetBindings("b1g".into()))
        );
    }
}
