//! One logical REST call: headers, retries with jittered backoff, error mapping and request logging.
//!
//! Every call gets an `x-client-request-id`; every state-changing call also an
//! `Idempotency-Key`. Both stay the same across the retries of one call, so a
//! retried create never duplicates. Transient failures (429, 503, UNAVAILABLE,
//! RESOURCE_EXHAUSTED, INTERNAL, transport errors other than `denied` and
//! `too-large`) are retried until the call's deadline; final errors (and quota
//! errors, which waiting does not cure) never are.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, Code, Error};
use crate::platform::{Level, Method, Platform, Request, Response, TransportError};
use crate::url;
use crate::uuid;
use crate::wire;

/// The page size of every list call (the API's maximum).
pub const PAGE_SIZE: &str = "1000";

/// How long and how often a call is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first backoff, doubled after every failed attempt.
    pub initial_backoff_millis: u32,
    /// The cap of one backoff.
    pub max_backoff_millis: u32,
    /// The cap of one wait asked for by `Retry-After`.
    pub max_retry_after_millis: u32,
    /// No retry starts later than this after the call began.
    pub deadline_millis: u32,
    /// The most attempts of one call (a guard against a host whose clock stands still).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff_millis: 200,
            max_backoff_millis: 5_000,
            max_retry_after_millis: 60_000,
            deadline_millis: 120_000,
            max_attempts: 50,
        }
    }
}

/// A successful (2xx) response.
#[derive(Debug)]
pub struct Reply {
    /// The response.
    pub response: Response,
    /// How many attempts the call took (more than one: an earlier attempt may have been acted on).
    pub attempts: u32,
}

impl Reply {
    /// Decodes the body as `T`.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        wire::decode(what, &self.response.body)
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.header(name)
    }
}

/// A failed call, and whether it was attempted more than once.
#[derive(Debug)]
pub struct Failure {
    /// The last error.
    pub error: Error,
    /// Whether an earlier attempt was sent (so the server may have acted on it).
    pub retried: bool,
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        failure.error
    }
}

/// While a call keeps being retried, one warning line at most this often (the other
/// retries are logged at info).
pub const RETRY_WARNING_INTERVAL_MILLIS: i64 = 5_000;

/// Sends REST calls through a [`Platform`].
pub struct Client<'a, P: Platform + ?Sized> {
    platform: &'a P,
    policy: RetryPolicy,
}

impl<'a, P: Platform + ?Sized> Client<'a, P> {
    /// A client with the default retry policy.
    pub fn new(platform: &'a P) -> Self {
        Self::with_policy(platform, RetryPolicy::default())
    }

    /// A client with a given retry policy.
    pub fn with_policy(platform: &'a P, policy: RetryPolicy) -> Self {
        Client { platform, policy }
    }

    /// The platform the client sends through.
    pub fn platform(&self) -> &'a P {
        self.platform
    }

    /// The retry policy.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Follows `nextPageToken` with the maximum page size (`PAGE_SIZE`) and collects every
    /// item of a list method; a repeated page token is a bad response, not a loop.
    pub fn list_pages<Page: DeserializeOwned, T>(
        &self,
        what: &str,
        base_url: &str,
        params: &[(&str, &str)],
        split: impl Fn(Page) -> (Vec<T>, String),
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut token = String::new();
        let mut seen_tokens = std::collections::HashSet::new();
        loop {
            let mut pairs = params.to_vec();
            pairs.push(("pageSize", PAGE_SIZE));
            pairs.push(("pageToken", &token));
            let page_url = format!("{base_url}{}", url::query(&pairs));
            let page: Page = self.get(&page_url)?.json(what)?;
            let (page_items, next) = split(page);
            items.extend(page_items);
            if next.is_empty() {
                return Ok(items);
            }
            if !seen_tokens.insert(next.clone()) {
                return Err(Error::BadResponse(format!(
                    "{what}: page token {next:?} repeated"
                )));
            }
            token = next;
        }
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> Result<Reply, Failure> {
        self.call(Method::Get, url, None)
    }

    /// Sends one logical call, retrying transient failures.
    pub fn call(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Reply, Failure> {
        let request = self.build_request(method, url, body);
        let started = self.platform.now_millis();
        let path = url::path_of(url);
        let mut attempt: u32 = 0;
        let mut last_warning = started;
        loop {
            attempt += 1;
            let (error, retry_after) = match self.platform.send(&request) {
                Ok(response) if (200..300).contains(&response.status) => {
                    self.log_response(method, path, &response, attempt);
                    return Ok(Reply {
                        response,
                        attempts: attempt,
                    });
                }
                Ok(response) => {
                    self.log_response(method, path, &response, attempt);
                    let retry_after = response.header("retry-after").and_then(parse_retry_after);
                    let error = api_error(&response);
                    let retryable = (matches!(response.status, 429 | 503)
                        || error.code.is_retryable())
                        && !error.is_quota_exceeded();
                    (Error::Api(error), retryable.then_some(retry_after))
                }
                Err(transport) => {
                    self.platform.log(
                        Level::Debug,
                        &format!(
                            "{} {path} failed: {transport} (attempt {attempt})",
                            method.as_str()
                        ),
                    );
                    let retryable = transport.is_retryable();
                    (Error::Transport(transport), retryable.then_some(None))
                }
            };
            let failure = Failure {
                error,
                retried: attempt > 1,
            };
            let Some(retry_after) = retry_after else {
                return Err(failure);
            };
            let wait = retry_after
                .map(|millis| millis.min(self.policy.max_retry_after_millis))
                .unwrap_or_else(|| self.backoff(attempt));
            let elapsed = self.platform.now_millis().saturating_sub(started);
            let past_deadline = elapsed + i64::from(wait) > i64::from(self.policy.deadline_millis);
            if attempt >= self.policy.max_attempts || past_deadline {
                self.platform.log(
                    Level::Warn,
                    &format!(
                        "{} {path}: giving up after {attempt} attempts: {}",
                        method.as_str(),
                        failure.error
                    ),
                );
                return Err(self.after_attempts(failure, attempt, started));
            }
            let now = self.platform.now_millis();
            let level = if now.saturating_sub(last_warning) >= RETRY_WARNING_INTERVAL_MILLIS {
                last_warning = now;
                Level::Warn
            } else {
                Level::Info
            };
            self.platform.log(
                level,
                &format!(
                    "still trying {} {path} ({attempt} attempts over {:.1} s so far): {}; next attempt in {wait} ms",
                    method.as_str(),
                    elapsed as f64 / 1000.0,
                    failure.error
                ),
            );
            self.platform.sleep(wait);
        }
    }

    /// A final failure of a call that took more than one attempt, with the attempts and
    /// the time spent added to its message.
    fn after_attempts(&self, mut failure: Failure, attempts: u32, started: i64) -> Failure {
        if attempts < 2 {
            return failure;
        }
        let spent = self.platform.now_millis().saturating_sub(started) as f64 / 1000.0;
        let note = format!(" (gave up after {attempts} attempts over {spent:.1} s)");
        failure.error = match failure.error {
            Error::Api(mut api) => {
                api.message.push_str(&note);
                Error::Api(api)
            }
            Error::Transport(TransportError::Unreachable(why)) => {
                Error::Transport(TransportError::Unreachable(format!("{why}{note}")))
            }
            Error::Transport(TransportError::Other(why)) => {
                Error::Transport(TransportError::Other(format!("{why}{note}")))
            }
            other => other,
        };
        failure
    }

    fn build_request(&self, method: Method, url: &str, body: Option<&Value>) -> Request {
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            (
                "x-client-request-id".to_owned(),
                uuid::new_v4(self.platform),
            ),
        ];
        if method.is_mutating() {
            headers.push(("idempotency-key".to_owned(), uuid::new_v4(self.platform)));
        }
        if body.is_some() {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        Request {
            method,
            url: url.to_owned(),
            headers,
            body: body.map(|value| value.to_string().into_bytes()),
        }
    }

    /// The wait after failed attempt number `attempt` (from 1): a random wait in `[d/2, d]`,
    /// `d` starting at the initial backoff and doubling up to the cap.
    pub fn backoff(&self, attempt: u32) -> u32 {
        let doublings = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .policy
            .initial_backoff_millis
            .saturating_mul(1 << doublings)
            .min(self.policy.max_backoff_millis);
        let half = ceiling / 2;
        let jitter = u32::try_from(self.platform.random() % u64::from(half + 1)).unwrap_or(0);
        half + jitter
    }

    fn log_response(&self, method: Method, path: &str, response: &Response, attempt: u32) {
        let request_id = response.header("x-request-id").unwrap_or("-");
        let retry_note = if attempt > 1 {
            format!(" (attempt {attempt})")
        } else {
            String::new()
        };
        self.platform.log(
            Level::Debug,
            &format!(
                "{} {path} -> {} request-id={request_id}{retry_note}",
                method.as_str(),
                response.status
            ),
        );
    }
}

/// The [`ApiError`] of a non-2xx response: the JSON status when there is one, else the HTTP status.
pub fn api_error(response: &Response) -> ApiError {
    let header_request_id = response
        .header("x-request-id")
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let status: Option<wire::Status> = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .filter(|value| value.get("code").is_some() || value.get("message").is_some())
        .and_then(|value| wire::decode_value("error", value).ok());
    match status {
        Some(status) => ApiError {
            code: status
                .code
                .unwrap_or_else(|| Code::from_http_status(response.status)),
            request_id: status.request_id().or(header_request_id),
            message: status.message,
            http_status: response.status,
            operation_id: None,
        },
        None => ApiError {
            code: Code::from_http_status(response.status),
            message: plain_message(response),
            request_id: header_request_id,
            http_status: response.status,
            operation_id: None,
        },
    }
}

fn plain_message(response: &Response) -> String {
    let text = String::from_utf8_lossy(&response.body);
    let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        format!("HTTP {}: {text}", response.status)
    }
}

/// `Retry-After` in seconds (integer or decimal) as milliseconds; HTTP dates are ignored.
fn parse_retry_after(value: &str) -> Option<u32> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| (seconds * 1000.0).min(f64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::platform::TransportError;
    use crate::testing::FakePlatform;

    const URL: &str = "https://iam.api.cloud.yandex.net/iam/v1/serviceAccounts";

    #[test]
    fn retries_transient_failures_with_the_same_keys() {
        let fake = FakePlatform::new();
        fake.reply_error(503, 14, "try later")
            .fail(TransportError::Timeout)
            .reply_raw(429, &[("retry-after", "3")], b"")
            .reply_error(500, 13, "internal")
            .reply(200, json!({"id": "op1", "done": true}));
        let client = Client::new(&fake);
        let reply = client
            .call(Method::Post, URL, Some(&json!({"name": "x"})))
            .unwrap();
        assert_eq!(reply.response.status, 200);
        let requests = fake.requests();
        assert_eq!(requests.len(), 5);
        let keys: Vec<_> = requests
            .iter()
            .map(|r| r.header("idempotency-key").unwrap())
            .collect();
        let client_ids: Vec<_> = requests
            .iter()
            .map(|r| r.header("x-client-request-id").unwrap())
            .collect();
        assert!(keys.iter().all(|key| *key == keys[0]), "{keys:?}");
        assert!(client_ids.iter().all(|id| *id == client_ids[0]));
        assert_ne!(keys[0], client_ids[0]);
        let sleeps = fake.sleeps();
        assert_eq!(sleeps.len(), 4);
        assert!((100..=200).contains(&sleeps[0]), "{sleeps:?}");
        assert!((200..=400).contains(&sleeps[1]), "{sleeps:?}");
        assert_eq!(sleeps[2], 3000, "Retry-After is honoured");
        assert!((800..=1600).contains(&sleeps[3]), "{sleeps:?}");
    }

    #[test]
    fn final_errors_are_not_retried() {
        let cases = [
            (400, 3, Code::InvalidArgument),
            (403, 7, Code::PermissionDenied),
            (404, 5, Code::NotFound),
            (401, 16, Code::Unauthenticated),
            (409, 6, Code::AlreadyExists),
            (400, 9, Code::FailedPrecondition),
        ];
        for (status, number, code) in cases {
            let fake = FakePlatform::new();
            fake.reply_error(status, number, "nope");
            let failure = Client::new(&fake).get(URL).unwrap_err();
            assert!(failure.error.is(code), "{:?}", failure.error);
            assert!(!failure.retried);
            assert!(fake.sleeps().is_empty());
        }
    }

    #[test]
    fn quota_errors_are_final_but_throttling_is_retried() {
        let fake = FakePlatform::new();
        fake.reply_error(429, 8, "Quota limit iam.apiKeys.count exceeded");
        let failure = Client::new(&fake).get(URL).unwrap_err();
        assert!(failure.error.is(Code::ResourceExhausted));
        assert_eq!(fake.requests().len(), 1);

        let fake = FakePlatform::new();
        fake.reply_error(429, 8, "Too many requests")
            .reply(200, json!({}));
        Client::new(&fake).get(URL).unwrap();
        assert_eq!(fake.requests().len(), 2);
    }

    #[test]
    fn denied_and_too_large_are_not_retried() {
        for transport in [
            TransportError::Denied("host".into()),
            TransportError::TooLarge(10),
        ] {
            let fake = FakePlatform::new();
            fake.fail(transport.clone());
            let failure = Client::new(&fake).get(URL).unwrap_err();
            assert_eq!(failure.error, Error::Transport(transport));
            assert_eq!(fake.requests().len(), 1);
        }
    }

    #[test]
    fn gives_up_at_the_deadline() {
        let fake = FakePlatform::new();
        for _ in 0..100 {
            fake.fail(TransportError::Unreachable("reset".into()));
        }
        let failure = Client::new(&fake).get(URL).unwrap_err();
        assert!(failure.retried);
        assert!(matches!(
            failure.error,
            Error::Transport(TransportError::Unreachable(_))
        ));
        assert!(
            fake.elapsed_millis() <= 120_000,
            "{}",
            fake.elapsed_millis()
        );
        assert!(fake.elapsed_millis() > 115_000, "{}", fake.elapsed_millis());
        assert!(fake.sleeps().iter().all(|wait| *wait <= 5_000));
        let Error::Transport(TransportError::Unreachable(why)) = &failure.error else {
            unreachable!()
        };
        assert!(
            why.contains("gave up after") && why.contains(" s)"),
            "{why}"
        );
        let warnings: Vec<String> = fake
            .logs()
            .into_iter()
            .filter(|(level, _)| *level == Level::Warn)
            .map(|(_, message)| message)
            .collect();
        let retries = fake.sleeps().len();
        assert!(
            warnings.len() >= 10 && warnings.len() <= 120_000 / 5_000 + 2,
            "one warning every 5 s or so while retrying, {} for {retries} retries: {warnings:?}",
            warnings.len()
        );
        assert!(warnings[0].starts_with("still trying GET"), "{warnings:?}");
    }

    #[test]
    fn only_mutating_calls_carry_an_idempotency_key() {
        let cases = [
            (Method::Get, false),
            (Method::Post, true),
            (Method::Patch, true),
            (Method::Delete, true),
        ];
        for (method, expected) in cases {
            let fake = FakePlatform::new();
            fake.reply(200, json!({}));
            Client::new(&fake).call(method, URL, None).unwrap();
            let request = &fake.requests()[0];
            assert_eq!(
                request.header("idempotency-key").is_some(),
                expected,
                "{method:?}"
            );
            assert!(request.header("x-client-request-id").is_some());
            assert!(request.header("authorization").is_none());
        }
    }

    #[test]
    fn maps_error_bodies_and_bare_statuses() {
        let response = |status: u16, headers: &[(&str, &str)], body: &str| Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        };
        let cases = [
            (
                response(
                    409,
                    &[("x-request-id", "hdr")],
                    r#"{"code":6,"message":"Service account 'x@b1g' already exists","details":[{"@type":"type.googleapis.com/google.rpc.RequestInfo","requestId":"body-id"}]}"#,
                ),
                "ALREADY_EXISTS: Service account 'x@b1g' already exists (request id body-id)",
            ),
            (
                response(
                    401,
                    &[("x-request-id", "hdr")],
                    r#"{"code":16,"message":"Token is invalid or has expired."}"#,
                ),
                "UNAUTHENTICATED: Token is invalid or has expired. (request id hdr)",
            ),
            (response(404, &[], ""), "NOT_FOUND: HTTP 404"),
            (
                response(502, &[], "<html>Bad gateway</html>"),
                "UNAVAILABLE: HTTP 502: <html>Bad gateway</html>",
            ),
            (response(418, &[], "{}"), "UNKNOWN: HTTP 418: {}"),
            (
                response(403, &[], r#"{"message":"denied"}"#),
                "PERMISSION_DENIED: denied",
            ),
        ];
        for (response, expected) in cases {
            assert_eq!(api_error(&response).to_string(), expected);
        }
    }

    #[test]
    fn logs_method_path_status_and_request_id_only() {
        let fake = FakePlatform::new();
        fake.reply_raw(
            200,
            &[("x-request-id", "rid-1")],
            br#"{"secret":"AQVN-top-secret"}"#,
        );
        Client::new(&fake)
            .call(
                Method::Post,
                "https://iam.api.cloud.yandex.net/iam/v1/apiKeys?x=1",
                Some(&json!({})),
            )
            .unwrap();
        let logs = fake.logs();
        assert_eq!(
            logs,
            vec![(
                Level::Debug,
                "POST /iam/v1/apiKeys -> 200 request-id=rid-1".to_owned()
            )]
        );
    }

    #[test]
    fn retry_after_parsing() {
        let cases = [
            ("2", Some(2000)),
            ("0.5", Some(500)),
            (" 1 ", Some(1000)),
            ("-1", None),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value), expected, "{value}");
        }
    }
}
