//! `http.send` on `wasi:http/outgoing-handler`: the allow-list, endpoint rewriting, the
//! `Authorization` header, the response-size cap and the mapping of WASI error codes.
//! `wasi:http` never follows redirects, so a 3xx comes back to the provider as it is.

use crate::bindings::exports::ycprov::provider::http::{Method, Request, Response, TransportError};
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme as WasiScheme,
};
use crate::bindings::wasi::io::streams::StreamError;
use crate::config::{Config, Severity};
use crate::origin::{self, Origin, Scheme, Target};

/// Headers the provider may not set: the adapter owns credentials and routing.
const FORBIDDEN_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "metadata-flavor",
];

/// The largest write to a WASI output stream in one call.
const WRITE_CHUNK: usize = 4096;
/// The largest read from a WASI input stream in one call.
const READ_CHUNK: u64 = 64 * 1024;

/// Sends one request through the host's `wasi:http` implementation.
pub fn send(config: &Config, req: Request) -> Result<Response, TransportError> {
    let target = route(config, &req.url)?;
    crate::write_log(
        Severity::Trace,
        &format!(
            "{} {}{}",
            method_name(req.method),
            target.origin,
            target.path_and_query
        ),
    );
    let headers = Fields::new();
    for (name, value) in &req.headers {
        if FORBIDDEN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(TransportError::Denied(format!(
                "the `{name}` header is set by the host; the provider may not set it"
            )));
        }
        headers
            .append(name, value.as_bytes())
            .map_err(|e| TransportError::Denied(format!("the `{name}` header: {e:?}")))?;
    }
    if let Some(token) = &config.token {
        headers
            .append("authorization", format!("Bearer {token}").as_bytes())
            .map_err(|_| {
                TransportError::Denied("the host refused the authorization header".into())
            })?;
    }
    if let Some(body) = &req.body {
        headers
            .set("content-length", &[body.len().to_string().into_bytes()])
            .map_err(|e| TransportError::Other(format!("content-length: {e:?}")))?;
    }

    let request = OutgoingRequest::new(headers);
    let refused =
        |what: &str| TransportError::Other(format!("the host refused the request's {what}"));
    request
        .set_method(&wasi_method(req.method))
        .map_err(|_| refused("method"))?;
    request
        .set_scheme(Some(&match target.origin.scheme {
            Scheme::Http => WasiScheme::Http,
            Scheme::Https => WasiScheme::Https,
        }))
        .map_err(|_| refused("scheme"))?;
    request
        .set_authority(Some(&target.origin.authority()))
        .map_err(|_| refused("authority"))?;
    request
        .set_path_with_query(Some(&target.path_and_query))
        .map_err(|_| refused("path"))?;
    let outgoing_body = request.body().map_err(|_| refused("body"))?;

    let timeout = config.request_timeout_seconds * 1_000_000_000;
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(timeout));
    let _ = options.set_first_byte_timeout(Some(timeout));
    let _ = options.set_between_bytes_timeout(Some(timeout));

    let future =
        outgoing_handler::handle(request, Some(options)).map_err(transport_error(config))?;
    write_body(outgoing_body, req.body.as_deref())?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(transport_error(config)(code)),
        Some(Err(())) => {
            return Err(TransportError::Other(
                "the response was already taken".into(),
            ));
        }
        None => {
            return Err(TransportError::Other(
                "the response was not ready after waiting".into(),
            ));
        }
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|_| TransportError::Other("the response body was already taken".into()))?;
    let body = read_body(config, incoming)?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Applies the endpoint override and the allow-list, as ycprov's host does.
fn route(config: &Config, url: &str) -> Result<Target, TransportError> {
    let mut target = origin::split(url).map_err(TransportError::Denied)?;
    if let Some(endpoint) = &config.endpoint
        && config.api_origins.contains(&target.origin)
    {
        target.origin = endpoint.clone();
    }
    if config.allowed.contains(&target.origin) {
        return Ok(target);
    }
    let allowed: Vec<String> = config.allowed.iter().map(Origin::to_string).collect();
    Err(TransportError::Denied(if allowed.is_empty() {
        format!(
            "{} is not an allowed endpoint: no origins are allowed (set YCPROV_ALLOWED_ORIGINS or YCPROV_API_ORIGINS)",
            target.origin
        )
    } else {
        format!(
            "{} is not an allowed endpoint (allowed: {})",
            target.origin,
            allowed.join(", ")
        )
    }))
}

/// Writes the request body, if any, and finishes it.
fn write_body(outgoing_body: OutgoingBody, body: Option<&[u8]>) -> Result<(), TransportError> {
    if let Some(body) = body {
        let stream = outgoing_body.write().map_err(|_| {
            TransportError::Other("the request body stream was already taken".into())
        })?;
        for chunk in body.chunks(WRITE_CHUNK) {
            stream.blocking_write_and_flush(chunk).map_err(|e| {
                TransportError::Unreachable(format!("writing the request body: {e:?}"))
            })?;
        }
    }
    OutgoingBody::finish(outgoing_body, None)
        .map_err(|e| TransportError::Other(format!("finishing the request body: {e:?}")))
}

/// Reads the response body up to the configured cap.
fn read_body(config: &Config, incoming: IncomingBody) -> Result<Vec<u8>, TransportError> {
    let stream = incoming
        .stream()
        .map_err(|_| TransportError::Other("the response body stream was already taken".into()))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() as u64 > config.max_response_bytes {
                    return Err(TransportError::TooLarge(config.max_response_bytes));
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(error)) => {
                return Err(TransportError::Unreachable(format!(
                    "reading the response body: {}",
                    error.to_debug_string()
                )));
            }
        }
    }
    drop(stream);
    drop(IncomingBody::finish(incoming));
    Ok(body)
}

/// Maps a WASI error code to the transport error the provider understands.
fn transport_error(config: &Config) -> impl Fn(ErrorCode) -> TransportError + '_ {
    move |code| match code {
        ErrorCode::DnsTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportError::Timeout,
        ErrorCode::HttpResponseBodySize(_) => TransportError::TooLarge(config.max_response_bytes),
        ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTerminated
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportError::Unreachable(format!("{code:?}")),
        other => TransportError::Other(format!("{other:?}")),
    }
}

fn wasi_method(method: Method) -> WasiMethod {
    match method {
        Method::Get => WasiMethod::Get,
        Method::Head => WasiMethod::Head,
        Method::Post => WasiMethod::Post,
        Method::Put => WasiMethod::Put,
        Method::Patch => WasiMethod::Patch,
        Method::Delete => WasiMethod::Delete,
        Method::Options => WasiMethod::Options,
    }
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
