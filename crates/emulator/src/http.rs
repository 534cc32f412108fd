//! The HTTP face of the emulator: the axum router, request parsing, fault injection, response
//! headers, counters and recording.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::app::{ApiRequest, App};
use crate::error::{ApiError, ApiResult, Code};
use crate::faults::RequestFault;
use crate::recorder::Exchange;
use crate::routes;

/// Marks a response whose connection must be closed without sending it (an injected reset).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// The router: the two `/_emulator/*` endpoints, everything else goes to the API.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/_emulator/stats", get(emulator_stats))
        .route("/_emulator/state", get(emulator_state))
        .fallback(api)
        .with_state(app)
}

fn json_response(status: u16, body: &Value, request_id: &str) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body.to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", id.clone());
        headers.insert("x-server-trace-id", id);
    }
    response
}

async fn emulator_stats(State(app): State<Arc<App>>) -> Response {
    let body = serde_json::to_value(app.stats()).unwrap_or(Value::Null);
    json_response(200, &body, &crate::ids::request_id())
}

async fn emulator_state(State(app): State<Arc<App>>) -> Response {
    let snapshot = app.lock().snapshot();
    let body = serde_json::to_value(snapshot).unwrap_or(Value::Null);
    json_response(200, &body, &crate::ids::request_id())
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn parse_body(bytes: &Result<Bytes, BytesRejection>) -> ApiResult<Option<Value>> {
    let Ok(bytes) = bytes else {
        return Err(ApiError::new(
            Code::InvalidArgument,
            "Request validation error: the request body is too large or cannot be read",
        ));
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|_| {
        ApiError::new(
            Code::InvalidArgument,
            "Request validation error: the request body is not valid JSON",
        )
    })
}

/// Everything outside `/_emulator/*`.
async fn api(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let arrived = Instant::now();
    let request_id = crate::ids::request_id();
    let path = uri.path();
    let resolved = routes::resolve(method.as_str(), path);
    match &resolved {
        Some(resolved) => app.count_request(resolved.template),
        None => app.count_request(&format!("{method} (unknown)")),
    }
    let (delay, fault) = app.draw_request_fault();
    let request_body = parse_body(&body);
    let result = match fault {
        RequestFault::Reset => {
            app.count_fault("reset");
            sleep_until(arrived + delay).await;
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        RequestFault::TooManyRequests => {
            app.count_fault("429");
            Err(ApiError::new(
                Code::ResourceExhausted,
                "Too many requests (injected fault), retry later",
            ))
        }
        RequestFault::Unavailable => {
            app.count_fault("503");
            Err(ApiError::new(
                Code::Unavailable,
                "Service is temporarily unavailable (injected fault)",
            ))
        }
        RequestFault::None => match (resolved, &request_body) {
            (None, _) => Err(ApiError::not_found(format!(
                "Method {method} {path} is not served"
            ))),
            (Some(_), Err(err)) => Err(err.clone()),
            (Some(resolved), Ok(parsed)) => {
                crate::input::parse_query(uri.query()).and_then(|query| {
                    crate::services::dispatch(
                        &app,
                        &ApiRequest {
                            route: resolved.route,
                            query,
                            body: parsed.clone(),
                            authorization: header_text(&headers, header::AUTHORIZATION),
                            idempotency_key: header_text(&headers, "idempotency-key"),
                            host: header_text(&headers, header::HOST),
                        },
                    )
                })
            }
        },
    };
    if result.is_ok() && method != Method::GET {
        app.after_mutating_request();
    }
    let (status, response_body) = match &result {
        Ok(value) => (200, value.clone()),
        Err(err) => (err.code.http_status(), err.to_body(&request_id)),
    };
    if let Some(recorder) = app.recorder() {
        recorder.record(&Exchange {
            method: method.as_str(),
            path,
            query: uri.query().unwrap_or(""),
            request_body: request_body
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .unwrap_or(&Value::Null),
            status,
            response_body: &response_body,
        });
    }
    let mut response = json_response(status, &response_body, &request_id);
    sleep_until(arrived + delay).await;
    if fault == RequestFault::TooManyRequests {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Waits until `deadline`, to within the operating system's timer precision (tens of
/// microseconds) rather than the async timer's whole milliseconds, which would add most of
/// a millisecond to every injected latency.
async fn sleep_until(deadline: Instant) {
    let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
        return;
    };
    if tokio::task::spawn_blocking(move || std::thread::sleep(remaining))
        .await
        .is_err()
    {
        tokio::time::sleep(remaining).await;
    }
}
