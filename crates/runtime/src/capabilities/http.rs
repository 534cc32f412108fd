//! `http`: the guest's requests, sent by the host under the sandbox policy.
//!
//! Only allowed origins are reachable; the provider's API origins may be rewritten to an
//! endpoint override; `Authorization` is attached by the host from the profile's
//! credentials; a guest-set `Authorization` is refused; redirects are never followed and
//! response bodies are capped.

use std::io::Read;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use secrecy::ExposeSecret;
use ureq::unversioned::transport::DefaultConnector;

use super::HostState;
use crate::bindings::http::{Host, Method, Request, Response, TransportError};
use crate::policy::Policy;
use crate::resolver::{GuardedResolver, PROHIBITED_ADDRESS};

/// Request headers the guest may not set: the host owns them.
const FORBIDDEN_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "metadata-flavor",
];

/// The HTTP client shared by all instances.
pub struct HttpClient {
    agent: ureq::Agent,
    slots: Slots,
}

impl HttpClient {
    /// A client that never follows redirects, returns every status as a response and
    /// refuses names resolving to internal addresses unless the policy allows them.
    pub fn new(policy: &Policy) -> HttpClient {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(policy.request_timeout))
            .user_agent(concat!("ycprov/", env!("CARGO_PKG_VERSION")));
        if policy
            .endpoint_override
            .as_ref()
            .is_some_and(|o| o.is_loopback())
        {
            config = config.proxy(None);
        }
        let resolver = GuardedResolver::new(policy.allow_private_addresses);
        HttpClient {
            agent: ureq::Agent::with_parts(config.build(), DefaultConnector::default(), resolver),
            slots: Slots::new(policy.max_concurrent_requests),
        }
    }
}

/// A counting semaphore bounding the requests in flight.
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

impl Slots {
    fn new(count: usize) -> Slots {
        Slots {
            free: Mutex::new(count.max(1)),
            released: Condvar::new(),
        }
    }

    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        SlotGuard { slots: self }
    }
}

struct SlotGuard<'a> {
    slots: &'a Slots,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.slots.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.slots.released.notify_one();
    }
}

impl Host for HostState {
    fn send(&mut self, req: Request) -> wasmtime::Result<Result<Response, TransportError>> {
        Ok(send(self, req))
    }
}

fn send(state: &HostState, req: Request) -> Result<Response, TransportError> {
    let caps = &state.caps;
    let (url, _origin) = caps
        .policy
        .route(&req.url)
        .map_err(TransportError::Denied)?;
    let method = method_name(req.method);
    let mut builder = ureq::http::Request::builder().method(method).uri(&url);
    for (name, value) in &req.headers {
        if FORBIDDEN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(TransportError::Denied(format!(
                "the `{name}` header is set by the host; the provider may not set it"
            )));
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    match caps.credentials.authorization() {
        Ok(Some(authorization)) => {
            builder = builder.header("authorization", authorization.expose_secret());
        }
        Ok(None) => {}
        Err(error) => return Err(TransportError::Denied(format!("credentials: {error}"))),
    }
    let request = builder
        .body(req.body.unwrap_or_default())
        .map_err(|e| TransportError::Other(format!("invalid request: {e}")))?;

    let _slot = caps.http.slots.acquire();
    let started = Instant::now();
    let mut response = caps.http.agent.run(request).map_err(|e| {
        let error = transport_error(e);
        tracing::debug!(target: "ycprov::http", %method, url = %strip_query(&url), error = ?error, "request failed");
        error
    })?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let body = read_capped(
        response.body_mut().as_reader(),
        caps.policy.max_response_bytes,
    )?;
    let request_id = headers
        .iter()
        .find(|(name, _)| name == "x-request-id")
        .map(|(_, value)| value.as_str())
        .unwrap_or("-");
    tracing::debug!(
        target: "ycprov::http",
        %method,
        url = %strip_query(&url),
        status,
        request_id,
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    tracing::trace!(
        target: "ycprov::http",
        response_bytes = body.len(),
        headers = ?headers.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
        "response (bodies and header values are never logged)"
    );
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn read_capped(reader: impl Read, cap: u64) -> Result<Vec<u8>, TransportError> {
    let mut body = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut body)
        .map_err(|e| TransportError::Unreachable(format!("reading the response: {e}")))?;
    if body.len() as u64 > cap {
        return Err(TransportError::TooLarge(cap));
    }
    Ok(body)
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
    }
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

fn transport_error(error: ureq::Error) -> TransportError {
    match error {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::BodyExceedsLimit(limit) => TransportError::TooLarge(limit),
        ureq::Error::HostNotFound => TransportError::Unreachable("host not found".into()),
        ureq::Error::ConnectionFailed => TransportError::Unreachable("connection failed".into()),
        ureq::Error::Io(e) if e.to_string().contains(PROHIBITED_ADDRESS) => {
            TransportError::Denied(e.to_string())
        }
        ureq::Error::Io(e) => TransportError::Unreachable(e.to_string()),
        other => TransportError::Other(other.to_string()),
    }
}
