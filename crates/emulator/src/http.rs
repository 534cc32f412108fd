//! The HTTP face of the emulator: the axum router, request parsing, fault injection, response
//! headers, counters and recording.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
    let _under_way = app.request_under_way();
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

/// Waits until `deadline` without holding up the server's other requests (on a blocking
/// thread; see [`sleep_precisely`]).
async fn sleep_until(deadline: Instant) {
    if deadline <= Instant::now() {
        return;
    }
    if tokio::task::spawn_blocking(move || sleep_precisely(deadline))
        .await
        .is_err()
    {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// How late the operating system's timers woke a sleeping thread lately, in nanoseconds
/// (a moving average).
static TIMER_LATENESS_NANOS: AtomicU64 = AtomicU64::new(0);

/// The most a sleep is shortened by to make up for the timers' lateness (and so the
/// longest a thread yields in a loop at the end).
const MAX_LATENESS: Duration = Duration::from_millis(2);

/// Sleeps until `deadline` to within tens of microseconds. The timers wake a sleeping
/// thread late (by a tenth of a millisecond to half of one on a busy virtual machine),
/// which would add to every injected latency; so the thread sleeps for the time left
/// less the lateness seen lately, then yields until the deadline.
fn sleep_precisely(deadline: Instant) {
    let lateness = Duration::from_nanos(TIMER_LATENESS_NANOS.load(Ordering::Relaxed));
    let now = Instant::now();
    if let Some(left) = deadline.checked_duration_since(now)
        && left > lateness
    {
        let wake_at = deadline - lateness;
        std::thread::sleep(left - lateness);
        let late = Instant::now()
            .saturating_duration_since(wake_at)
            .min(MAX_LATENESS);
        let average = (lateness * 7 + late) / 8;
        TIMER_LATENESS_NANOS.store(
            u64::try_from(average.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
    while Instant::now() < deadline {
        std::thread::yield_now();
    }
}
