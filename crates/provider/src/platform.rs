//! The capabilities the provider logic needs from its host, as a plain Rust trait.
//!
//! In the component they are the WIT imports (`http`, `credentials`, `clock`,
//! `log`); in unit tests a scripted fake. Nothing else in this crate touches the
//! outside world.

use std::fmt;

/// An HTTP method of the Yandex Cloud REST API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Reads, lists and operation polls.
    Get,
    /// Creates and custom `:verb` methods.
    Post,
    /// Updates with an update mask.
    Patch,
    /// Deletes.
    Delete,
}

impl Method {
    /// The method as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the method changes state (and so carries an `Idempotency-Key`).
    pub fn is_mutating(self) -> bool {
        !matches!(self, Method::Get)
    }
}

/// One HTTP request for the host to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Header (name, value) pairs; names are lower case.
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// The value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Bodies may carry secrets (an API key secret), so `Debug` shows only their size.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// One HTTP response, whatever its status.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header (lower-case name, value) pairs.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Response bodies may carry an API key secret, so `Debug` shows only their size.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Why the host could not deliver a request (mirrors the WIT `transport-error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The host's policy refused the request.
    Denied(String),
    /// No response within the host's timeout.
    Timeout,
    /// The endpoint could not be reached.
    Unreachable(String),
    /// The response exceeded the host's size cap (bytes).
    TooLarge(u64),
    /// Anything else.
    Other(String),
}

impl TransportError {
    /// Whether sending the request again may help (`denied` and `too-large` never change).
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            TransportError::Denied(_) | TransportError::TooLarge(_)
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Denied(why) => write!(f, "request denied by the host: {why}"),
            TransportError::Timeout => write!(f, "request timed out"),
            TransportError::Unreachable(why) => write!(f, "endpoint unreachable: {why}"),
            TransportError::TooLarge(cap) => {
                write!(f, "response larger than the host's cap of {cap} bytes")
            }
            TransportError::Other(why) => write!(f, "transport error: {why}"),
        }
    }
}

/// Severity of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail (each request).
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected that was handled.
    Warn,
    /// A failure.
    Error,
}

/// The identity the host authenticates requests as (never a secret).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// Where the credential came from.
    pub source: String,
    /// The subject id, when known.
    pub subject_id: Option<String>,
    /// The host's default cloud id.
    pub cloud_id: Option<String>,
    /// The host's default folder id.
    pub folder_id: Option<String>,
}

/// Everything the provider may do to the outside world.
pub trait Platform {
    /// Sends one HTTP request.
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
    /// Blocks for `millis` milliseconds.
    fn sleep(&self, millis: u32);
    /// A random 64-bit value.
    fn random(&self) -> u64;
    /// Writes a log record; the message must not contain secrets.
    fn log(&self, level: Level, message: &str);
    /// The identity the host acts as.
    fn identity(&self) -> Result<Identity, String>;
}
