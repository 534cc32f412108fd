//! Typed errors of the IAM client: gRPC codes, Yandex's error status, and why a call failed.

use std::fmt;

use crate::platform::TransportError;

/// A gRPC status code, as Yandex Cloud reports it in `{"code": N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// 0 OK.
    Ok,
    /// 1 CANCELLED.
    Cancelled,
    /// 2 UNKNOWN.
    Unknown,
    /// 3 INVALID_ARGUMENT.
    InvalidArgument,
    /// 4 DEADLINE_EXCEEDED.
    DeadlineExceeded,
    /// 5 NOT_FOUND.
    NotFound,
    /// 6 ALREADY_EXISTS.
    AlreadyExists,
    /// 7 PERMISSION_DENIED.
    PermissionDenied,
    /// 8 RESOURCE_EXHAUSTED.
    ResourceExhausted,
    /// 9 FAILED_PRECONDITION.
    FailedPrecondition,
    /// 10 ABORTED.
    Aborted,
    /// 11 OUT_OF_RANGE.
    OutOfRange,
    /// 12 UNIMPLEMENTED.
    Unimplemented,
    /// 13 INTERNAL.
    Internal,
    /// 14 UNAVAILABLE.
    Unavailable,
    /// 15 DATA_LOSS.
    DataLoss,
    /// 16 UNAUTHENTICATED.
    Unauthenticated,
}

const ALL_CODES: [(Code, &str); 17] = [
    (Code::Ok, "OK"),
    (Code::Cancelled, "CANCELLED"),
    (Code::Unknown, "UNKNOWN"),
    (Code::InvalidArgument, "INVALID_ARGUMENT"),
    (Code::DeadlineExceeded, "DEADLINE_EXCEEDED"),
    (Code::NotFound, "NOT_FOUND"),
    (Code::AlreadyExists, "ALREADY_EXISTS"),
    (Code::PermissionDenied, "PERMISSION_DENIED"),
    (Code::ResourceExhausted, "RESOURCE_EXHAUSTED"),
    (Code::FailedPrecondition, "FAILED_PRECONDITION"),
    (Code::Aborted, "ABORTED"),
    (Code::OutOfRange, "OUT_OF_RANGE"),
    (Code::Unimplemented, "UNIMPLEMENTED"),
    (Code::Internal, "INTERNAL"),
    (Code::Unavailable, "UNAVAILABLE"),
    (Code::DataLoss, "DATA_LOSS"),
    (Code::Unauthenticated, "UNAUTHENTICATED"),
];

impl Code {
    /// The code for a gRPC number; numbers outside 0..=16 are `UNKNOWN`.
    pub fn from_number(number: i64) -> Code {
        usize::try_from(number)
            .ok()
            .and_then(|index| ALL_CODES.get(index))
            .map_or(Code::Unknown, |(code, _)| *code)
    }

    /// The code for its canonical name (`NOT_FOUND`), if it is one.
    pub fn from_name(name: &str) -> Option<Code> {
        ALL_CODES
            .iter()
            .find(|(_, known)| known.eq_ignore_ascii_case(name))
            .map(|(code, _)| *code)
    }

    /// The canonical name, e.g. `ALREADY_EXISTS`.
    pub fn name(self) -> &'static str {
        ALL_CODES
            .iter()
            .find(|(code, _)| *code == self)
            .map_or("UNKNOWN", |(_, name)| name)
    }

    /// The code for an HTTP status that came without a JSON error body
    /// (the inverse of Yandex's gRPC → HTTP table; ambiguous statuses take the first code).
    pub fn from_http_status(status: u16) -> Code {
        match status {
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::AlreadyExists,
            429 => Code::ResourceExhausted,
            499 => Code::Cancelled,
            500 => Code::Internal,
            501 => Code::Unimplemented,
            502 | 503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            _ => Code::Unknown,
        }
    }

    /// Whether an error with this code is transient and worth retrying.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Code::Unavailable | Code::ResourceExhausted | Code::Internal
        )
    }

    /// Whether an Operation that ended with this code failed for a passing reason, so the
    /// whole request may be sent again (the failed Operation changed nothing).
    pub fn is_retryable_operation_failure(self) -> bool {
        self.is_retryable() || self == Code::Aborted
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error status returned by Yandex Cloud, directly or inside a finished Operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The gRPC code.
    pub code: Code,
    /// Yandex's message, verbatim.
    pub message: String,
    /// The request id, for support.
    pub request_id: Option<String>,
    /// The HTTP status, or 200 for an error inside an Operation.
    pub http_status: u16,
    /// The Operation that failed, when the error came from one.
    pub operation_id: Option<String>,
}

impl ApiError {
    /// Whether this is a quota error (RESOURCE_EXHAUSTED "Quota limit ... exceeded"), which
    /// waiting does not cure, unlike throttling.
    pub fn is_quota_exceeded(&self) -> bool {
        self.code == Code::ResourceExhausted && self.message.to_ascii_lowercase().contains("quota")
    }

    /// The quota a RESOURCE_EXHAUSTED error names ("Quota limit iam.apiKeys.count exceeded").
    pub fn quota_id(&self) -> Option<&str> {
        if self.code != Code::ResourceExhausted {
            return None;
        }
        let rest = &self.message[self.message.find("Quota limit ")? + "Quota limit ".len()..];
        let id = rest.split_whitespace().next()?;
        id.contains('.').then_some(id)
    }

    /// Whether the error is transient: a retryable code that is not a quota error.
    pub fn is_transient(&self) -> bool {
        self.code.is_retryable() && !self.is_quota_exceeded()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        let mut notes = Vec::new();
        if let Some(operation) = &self.operation_id {
            notes.push(format!("operation {operation}"));
        }
        if let Some(request) = &self.request_id {
            notes.push(format!("request id {request}"));
        }
        if !notes.is_empty() {
            write!(f, " ({})", notes.join(", "))?;
        }
        Ok(())
    }
}

/// Why an IAM call failed (mirrors the WIT `iam.error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Yandex Cloud answered with an error status.
    Api(ApiError),
    /// The request could not be delivered.
    Transport(TransportError),
    /// The input was rejected before any request was sent; the text names the field.
    InvalidInput(String),
    /// Yandex Cloud answered something the provider cannot interpret.
    BadResponse(String),
    /// The Operation did not finish within the deadline; carries its id.
    OperationTimeout(String),
}

impl Error {
    /// The gRPC code, when the error is an API error.
    pub fn code(&self) -> Option<Code> {
        match self {
            Error::Api(api) => Some(api.code),
            _ => None,
        }
    }

    /// Whether this is an API error with the given code.
    pub fn is(&self, code: Code) -> bool {
        self.code() == Some(code)
    }

    /// Whether this is the error of an Operation that finished unsuccessfully for a passing
    /// reason (INTERNAL, UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED other than a quota): the
    /// Operation changed nothing, so the logical call may be sent again as a new request.
    pub fn is_retryable_operation_failure(&self) -> bool {
        matches!(self, Error::Api(api) if api.operation_id.is_some()
            && api.code.is_retryable_operation_failure()
            && !api.is_quota_exceeded())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(api) => api.fmt(f),
            Error::Transport(transport) => transport.fmt(f),
            Error::InvalidInput(what) => write!(f, "invalid input: {what}"),
            Error::BadResponse(what) => write!(f, "unexpected response from Yandex Cloud: {what}"),
            Error::OperationTimeout(id) => {
                write!(f, "operation {id} did not finish within the deadline")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<TransportError> for Error {
    fn from(error: TransportError) -> Self {
        Error::Transport(error)
    }
}
