//! Errors of the imperative commands: a message naming what failed and an exit code a script can act on.

use std::fmt;
use std::process::ExitCode;

use crate::bindings::http::TransportError;
use crate::bindings::iam::{ApiError, Code, Error as IamError};

/// Exit codes of ycprov, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Any other failure.
    Failure = 1,
    /// Usage error: a malformed flag or argument.
    Usage = 2,
    /// Invalid input: rejected locally or with INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE.
    InvalidInput = 3,
    /// NOT_FOUND.
    NotFound = 4,
    /// ALREADY_EXISTS.
    AlreadyExists = 5,
    /// UNAUTHENTICATED or PERMISSION_DENIED.
    Unauthorized = 6,
    /// The request could not be delivered: refused by the sandbox policy, unreachable, timed out, UNAVAILABLE.
    Unreachable = 7,
    /// RESOURCE_EXHAUSTED (quota).
    QuotaExceeded = 8,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// A failed imperative command.
#[derive(Debug)]
pub struct CommandFailure {
    /// What the user sees after `error: `.
    pub message: String,
    /// The process exit code.
    pub exit: Exit,
}

impl fmt::Display for CommandFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandFailure {}

impl CommandFailure {
    /// Describes an error the component returned for the step `what`.
    pub fn from_iam(what: &str, error: &IamError, auth_hint: &str) -> CommandFailure {
        let (detail, exit) = match error {
            IamError::Api(api) => {
                let mut detail = describe_api_error(api);
                if api.code == Code::Unauthenticated {
                    detail.push_str(&format!("\n  hint: {auth_hint}"));
                }
                if let Some(hint) = quota_hint(api) {
                    detail.push_str(&format!("\n  hint: {hint}"));
                }
                (detail, exit_for(api.code))
            }
            IamError::Transport(transport) => (describe_transport(transport), Exit::Unreachable),
            IamError::InvalidInput(text) => (format!("invalid input: {text}"), Exit::InvalidInput),
            IamError::BadResponse(text) => (
                format!("unexpected response from Yandex Cloud: {text}"),
                Exit::Failure,
            ),
            IamError::OperationTimeout(id) => (
                format!("operation {id} did not finish in time; check it later with its id"),
                Exit::Unreachable,
            ),
        };
        CommandFailure {
            message: format!("{what} failed: {detail}"),
            exit,
        }
    }
}

/// How to deal with an exhausted quota, when the error names one ("Quota limit X exceeded").
fn quota_hint(api: &ApiError) -> Option<String> {
    if api.code != Code::ResourceExhausted {
        return None;
    }
    let rest = &api.message[api.message.find("Quota limit ")? + "Quota limit ".len()..];
    let quota = rest
        .split_whitespace()
        .next()
        .filter(|id| id.contains('.'))?;
    Some(format!(
        "the cloud's quota {quota} is used up; see its usage with `yc quota-manager quota-limit get --quota-id={quota} --resource-type=resource-manager.cloud`, remove what is no longer needed, or request a higher limit on the Quotas page of the cloud in the console"
    ))
}

/// `CODE_NAME: message (request id …, operation …)`.
pub fn describe_api_error(api: &ApiError) -> String {
    let mut text = format!("{}: {}", code_name(api.code), api.message);
    let mut refs = Vec::new();
    if let Some(id) = &api.request_id {
        refs.push(format!("request id {id}"));
    }
    if let Some(id) = &api.operation_id {
        refs.push(format!("operation {id}"));
    }
    if !refs.is_empty() {
        text.push_str(&format!(" ({})", refs.join(", ")));
    }
    text
}

/// Describes a transport error for humans.
pub fn describe_transport(error: &TransportError) -> String {
    match error {
        TransportError::Denied(why) => format!("refused by the sandbox policy: {why}"),
        TransportError::Timeout => "the request timed out".to_string(),
        TransportError::Unreachable(why) => format!("the endpoint is unreachable: {why}"),
        TransportError::TooLarge(cap) => format!("the response exceeded the {cap}-byte cap"),
        TransportError::Other(why) => format!("transport error: {why}"),
    }
}

/// The gRPC name of a code, e.g. `ALREADY_EXISTS`.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn exit_for(code: Code) -> Exit {
    match code {
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => Exit::InvalidInput,
        Code::NotFound => Exit::NotFound,
        Code::AlreadyExists => Exit::AlreadyExists,
        Code::Unauthenticated | Code::PermissionDenied => Exit::Unauthorized,
        Code::Unavailable | Code::DeadlineExceeded => Exit::Unreachable,
        Code::ResourceExhausted => Exit::QuotaExceeded,
        _ => Exit::Failure,
    }
}
