//! API errors: gRPC status codes, their HTTP mapping and the `google.rpc.Status` JSON body.

use serde_json::{Value, json};

/// The gRPC status codes the emulator produces (`code` number, REST gateway HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 3, HTTP 400.
    InvalidArgument,
    /// 5, HTTP 404.
    NotFound,
    /// 6, HTTP 409.
    AlreadyExists,
    /// 7, HTTP 403.
    PermissionDenied,
    /// 8, HTTP 429.
    ResourceExhausted,
    /// 9, HTTP 400.
    FailedPrecondition,
    /// 13, HTTP 500.
    Internal,
    /// 14, HTTP 503.
    Unavailable,
    /// 16, HTTP 401.
    Unauthenticated,
}

impl Code {
    /// The numeric gRPC code.
    pub fn number(self) -> i32 {
        match self {
            Code::InvalidArgument => 3,
            Code::NotFound => 5,
            Code::AlreadyExists => 6,
            Code::PermissionDenied => 7,
            Code::ResourceExhausted => 8,
            Code::FailedPrecondition => 9,
            Code::Internal => 13,
            Code::Unavailable => 14,
            Code::Unauthenticated => 16,
        }
    }

    /// The HTTP status of the REST gateway for this code.
    pub fn http_status(self) -> u16 {
        match self {
            Code::InvalidArgument => 400,
            Code::NotFound => 404,
            Code::AlreadyExists => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::FailedPrecondition => 400,
            Code::Internal => 500,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
        }
    }
}

/// An error answer of the API: a gRPC code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The gRPC code.
    pub code: Code,
    /// The message shown to the client.
    pub message: String,
}

/// The result type of every API handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with an arbitrary code and message.
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// INVALID_ARGUMENT in the gateway's style: `Request validation error: <field>: <reason>`.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            Code::InvalidArgument,
            format!("Request validation error: {field}: {reason}"),
        )
    }

    /// NOT_FOUND with the given message.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::NotFound, message)
    }

    /// PERMISSION_DENIED naming the missing permission and the resource.
    pub fn permission_denied(permission: &str, resource: &str) -> ApiError {
        ApiError::new(
            Code::PermissionDenied,
            format!("Permission denied: '{permission}' is required on '{resource}'"),
        )
    }

    /// UNAUTHENTICATED with the given message.
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::Unauthenticated, message)
    }

    /// The `google.rpc.Status` JSON of a top-level error answer, with a `RequestInfo` detail.
    pub fn to_body(&self, request_id: &str) -> Value {
        json!({
            "code": self.code.number(),
            "message": self.message,
            "details": [{
                "@type": "type.googleapis.com/google.rpc.RequestInfo",
                "requestId": request_id,
            }],
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_documented_http_statuses() {
        let table = [
            (Code::InvalidArgument, 3, 400),
            (Code::NotFound, 5, 404),
            (Code::AlreadyExists, 6, 409),
            (Code::PermissionDenied, 7, 403),
            (Code::ResourceExhausted, 8, 429),
            (Code::Internal, 13, 500),
            (Code::Unavailable, 14, 503),
            (Code::Unauthenticated, 16, 401),
        ];
        for (code, number, http) in table {
            assert_eq!(code.number(), number, "{code:?}");
            assert_eq!(code.http_status(), http, "{code:?}");
        }
    }

    #[test]
    fn error_body_carries_request_info() {
        let body = ApiError::invalid("name", "Field is required").to_body("req-1");
        assert_eq!(body["code"], 3);
        assert_eq!(
            body["message"],
            "Request validation error: name: Field is required"
        );
        assert_eq!(
            body["details"][0]["@type"],
            "type.googleapis.com/google.rpc.RequestInfo"
        );
        assert_eq!(body["details"][0]["requestId"], "req-1");
    }
}
