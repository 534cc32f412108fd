//! Yandex failures as SDK diagnostics: API errors with a hint what to do, and invalid
//! values from the proto rules.

use ycprov_provider_sdk::Diagnostic;

use crate::error::{Code, Error};
use crate::validation::{Check, Invalid};

/// Diagnostics made from Yandex errors (`Diagnostic::api_failure(…)` with this in scope).
pub trait YandexDiagnostic {
    /// An error for a failed API call: the summary names the action and carries the
    /// error text (code name, message, request id); the detail gives a hint.
    fn api_failure(action: &str, error: &Error) -> Self;
    /// An error for an invalid attribute value.
    fn invalid(invalid: Invalid) -> Self;
}

impl YandexDiagnostic for Diagnostic {
    fn api_failure(action: &str, error: &Error) -> Self {
        Diagnostic::error(format!("{action}: {error}"), hint(error))
    }

    fn invalid(invalid: Invalid) -> Self {
        Diagnostic::error("Invalid attribute value", invalid.to_string()).at(invalid.path)
    }
}

/// An error for every failed check, in order.
pub(super) fn failed_checks(checks: Vec<Check>) -> impl Iterator<Item = Diagnostic> {
    checks
        .into_iter()
        .filter_map(Result::err)
        .map(Diagnostic::invalid)
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
