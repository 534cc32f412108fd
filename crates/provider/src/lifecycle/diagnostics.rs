//! Diagnostics: errors and warnings, accumulated and attached to attribute paths.

use crate::error::{Code, Error};
use crate::validation::Invalid;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// The operation succeeded, but the user should know.
    Warning,
}

/// One problem or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A one-line summary.
    pub summary: String,
    /// Details and a hint how to fix it (may be empty).
    pub detail: String,
    /// The attribute path it concerns.
    pub attribute: Option<String>,
}

impl Diagnostic {
    /// An error.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// The same diagnostic, attached to an attribute path.
    pub fn at(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }

    /// An error for a failed API call: the summary names the action and carries the
    /// error text (code name, message, request id); the detail gives a hint.
    pub fn api_failure(action: &str, error: &Error) -> Self {
        Diagnostic::error(format!("{action}: {error}"), hint(error))
    }

    /// An error for an invalid attribute value.
    pub fn invalid(invalid: Invalid) -> Self {
        Diagnostic::error("Invalid attribute value", invalid.to_string()).at(invalid.path)
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

fn hint(error: &Error) -> String {
    if let Error::Api(api) = error
        && let Some(quota) = api.quota_id()
    {
        return format!(
            "The cloud's quota {quota} is used up. See its usage with `yc quota-manager quota-limit get --quota-id={quota} --resource-type=resource-manager.cloud`, remove what is no longer needed, or request a higher limit on the Quotas page of the cloud in the console."
        );
    }
    let text = match error {
        Error::Api(api) => match api.code {
            Code::AlreadyExists => {
                "An object with this name already exists. Import it into the state, or choose another name."
            }
            Code::PermissionDenied => {
                "The identity ycprov acts as lacks a role for this call (for folder access bindings: `admin` or `resource-manager.admin` on the folder)."
            }
            Code::Unauthenticated => {
                "The host's credentials were rejected; check the IAM token, OAuth token or key file it uses."
            }
            Code::NotFound => "The object does not exist (or the identity may not see it).",
            Code::ResourceExhausted => {
                "A quota or rate limit was hit; retry later or raise the quota."
            }
            Code::Unavailable | Code::Internal => {
                "Yandex Cloud had a transient failure, possibly after it made the change; a create is kept as pending, so running again adopts what it made instead of making it twice."
            }
            _ => "",
        },
        Error::Transport(_) => {
            "The request did not get through; check the host's network and endpoint allow-list."
        }
        Error::OperationTimeout(_) => {
            "The operation may still finish; run again to read back its outcome."
        }
        Error::InvalidInput(_) | Error::BadResponse(_) => "",
    };
    text.to_owned()
}
