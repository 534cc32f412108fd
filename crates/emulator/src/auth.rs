//! Who is calling, and what the roles on a resource allow them to do.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::model::AccessBinding;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// `userAccount` or `serviceAccount`.
    pub subject_type: String,
    /// The subject id.
    pub subject_id: String,
}

/// The level of access an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading resources.
    Read,
    /// Creating, changing and deleting resources, and changing access bindings.
    Write,
}

/// Roles that allow every change on a folder and its service accounts.
const WRITE_ROLES: &[&str] = &[
    "admin",
    "editor",
    "iam.admin",
    "iam.editor",
    "iam.serviceAccounts.admin",
    "resource-manager.admin",
    "resource-manager.editor",
    "resource-manager.clouds.owner",
];

/// Roles that allow reading (in addition to [`WRITE_ROLES`]).
const READ_ROLES: &[&str] = &[
    "viewer",
    "auditor",
    "iam.viewer",
    "iam.auditor",
    "iam.serviceAccounts.user",
    "resource-manager.viewer",
    "resource-manager.auditor",
];

/// Whether `role` grants `access`.
pub fn role_grants(role: &str, access: Access) -> bool {
    WRITE_ROLES.contains(&role) || (access == Access::Read && READ_ROLES.contains(&role))
}

impl Principal {
    /// Whether a binding's subject is this caller (directly or through a `system` group).
    fn is_subject_of(&self, binding: &AccessBinding) -> bool {
        (binding.subject_type == self.subject_type && binding.subject_id == self.subject_id)
            || (binding.subject_type == "system"
                && (binding.subject_id == "allAuthenticatedUsers"
                    || binding.subject_id == "allUsers"))
    }

    /// Whether the bindings of a resource give this caller `access`.
    pub fn can(&self, bindings: &[AccessBinding], access: Access) -> bool {
        bindings
            .iter()
            .any(|b| self.is_subject_of(b) && role_grants(&b.role_id, access))
    }

    /// Whether the bindings give this caller one of `roles` (service roles such as
    /// `lockbox.editor`, which the generic [`Principal::can`] does not know).
    pub fn has_role(&self, bindings: &[AccessBinding], roles: &[&str]) -> bool {
        bindings
            .iter()
            .any(|b| self.is_subject_of(b) && roles.contains(&b.role_id.as_str()))
    }

    /// PERMISSION_DENIED unless the bindings give this caller `access`.
    pub fn require(
        &self,
        bindings: &[AccessBinding],
        access: Access,
        permission: &str,
        resource: &str,
    ) -> ApiResult<()> {
        if self.can(bindings, access) {
            Ok(())
        } else {
            Err(ApiError::permission_denied(permission, resource))
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(authorization: Option<&str>) -> ApiResult<&str> {
    let Some(header) = authorization else {
        return Err(ApiError::unauthenticated(
            "The request is missing an Authorization header",
        ));
    };
    let (scheme, token) = header.trim().split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Ok(token.trim())
    } else if scheme.eq_ignore_ascii_case("api-key") {
        Err(ApiError::unauthenticated(
            "API key authentication is not supported by this service, use an IAM token",
        ))
    } else {
        Err(ApiError::unauthenticated(
            "Unsupported Authorization header, expected 'Bearer <IAM token>'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(role: &str, subject_type: &str, id: &str) -> AccessBinding {
        AccessBinding {
            role_id: role.into(),
            subject_type: subject_type.into(),
            subject_id: id.into(),
        }
    }

    #[test]
    fn role_table() {
        let user = Principal {
            subject_type: "userAccount".into(),
            subject_id: "u1".into(),
        };
        let table = [
            (binding("admin", "userAccount", "u1"), true, true),
            (binding("editor", "userAccount", "u1"), true, true),
            (binding("viewer", "userAccount", "u1"), true, false),
            (
                binding("ai.languageModels.user", "userAccount", "u1"),
                false,
                false,
            ),
            (binding("admin", "userAccount", "u2"), false, false),
            (binding("admin", "serviceAccount", "u1"), false, false),
            (
                binding("viewer", "system", "allAuthenticatedUsers"),
                true,
                false,
            ),
        ];
        for (b, read, write) in table {
            let bindings = [b.clone()];
            assert_eq!(user.can(&bindings, Access::Read), read, "{b:?}");
            assert_eq!(user.can(&bindings, Access::Write), write, "{b:?}");
        }
    }

    #[test]
    fn authorization_headers() {
        assert_eq!(bearer_token(Some("Bearer t1.abc")).unwrap(), "t1.abc");
        assert_eq!(bearer_token(Some("bearer   t1.abc ")).unwrap(), "t1.abc");
        for header in [None, Some("Bearer "), Some("Api-Key AQVN"), Some("Basic x")] {
            assert_eq!(
                bearer_token(header).unwrap_err().code,
                crate::error::Code::Unauthenticated
            );
        }
    }
}
