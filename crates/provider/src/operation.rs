//! Waiting for long-running Operations: `GET /operations/{id}` with backoff until `done`.
//!
//! The wait starts at 100 ms and doubles up to 2 s, or follows the server's
//! `x-operation-poll-interval` (seconds). A fresh operation id may be unknown to
//! some replicas, so up to three NOT_FOUND answers are tolerated. An `error` is a
//! failure even before `done`. The whole wait is bounded by a deadline.

use serde_json::Value;

use crate::client::Client;
use crate::error::{ApiError, Code, Error};
use crate::platform::{Level, Platform};
use crate::url;
use crate::wire::{self, Operation};

/// How an Operation is polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    /// The first wait between polls.
    pub initial_interval_millis: u32,
    /// The cap of the wait between polls (also caps a server-suggested interval).
    pub max_interval_millis: u32,
    /// Give up when the Operation is not done this long after the wait began.
    pub deadline_millis: u32,
    /// NOT_FOUND answers tolerated for a fresh operation id.
    pub tolerated_not_found: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial_interval_millis: 100,
            max_interval_millis: 2_000,
            deadline_millis: 300_000,
            tolerated_not_found: 3,
        }
    }
}

/// The header by which the server suggests a poll interval, in seconds.
pub const POLL_INTERVAL_HEADER: &str = "x-operation-poll-interval";

/// Waits until `operation` is done; returns it (with its `response`) or its error.
///
/// `hint` is the `x-operation-poll-interval` header of the response that carried it.
pub fn wait<P: Platform + ?Sized>(
    client: &Client<'_, P>,
    mut operation: Operation,
    hint: Option<&str>,
    policy: PollPolicy,
) -> Result<Operation, Error> {
    let platform = client.platform();
    let started = platform.now_millis();
    let mut interval = policy.initial_interval_millis;
    let mut not_found = 0;
    let mut polls = 0;
    let mut hint: Option<String> = hint.map(str::to_owned);
    loop {
        if let Some(status) = operation.error.take() {
            return Err(Error::Api(operation_error(&operation.id, status)));
        }
        if operation.done {
            platform.log(
                Level::Debug,
                &format!("operation {} done after {polls} polls", operation.id),
            );
            return Ok(operation);
        }
        if operation.id.is_empty() {
            return Err(Error::BadResponse(
                "an unfinished operation has no id to poll".to_owned(),
            ));
        }
        let wait = hint
            .as_deref()
            .and_then(parse_interval)
            .unwrap_or(interval)
            .min(policy.max_interval_millis);
        interval = interval.saturating_mul(2).min(policy.max_interval_millis);
        let elapsed = platform.now_millis().saturating_sub(started);
        if elapsed + i64::from(wait) > i64::from(policy.deadline_millis) {
            platform.log(
                Level::Warn,
                &format!("operation {} not done after {polls} polls", operation.id),
            );
            return Err(Error::OperationTimeout(operation.id));
        }
        platform.sleep(wait);
        polls += 1;
        let poll_url = format!(
            "{}/operations/{}",
            url::OPERATION_HOST,
            url::segment(&operation.id)
        );
        match client.get(&poll_url) {
            Ok(reply) => {
                let id = operation.id.clone();
                hint = reply.header(POLL_INTERVAL_HEADER).map(str::to_owned);
                operation = reply.json("operation")?;
                if operation.id.is_empty() {
                    operation.id = id;
                }
            }
            Err(failure)
                if failure.error.is(Code::NotFound) && not_found < policy.tolerated_not_found =>
            {
                not_found += 1;
                platform.log(
                    Level::Debug,
                    &format!("operation {} not found yet ({not_found})", operation.id),
                );
            }
            Err(failure) => return Err(failure.error),
        }
    }
}

/// The `response` of a finished Operation, unless it is absent or `google.protobuf.Empty`.
pub fn response_of(operation: &Operation) -> Option<&Value> {
    operation
        .response
        .as_ref()
        .filter(|response| !wire::is_empty_message(response))
}

fn operation_error(operation_id: &str, status: wire::Status) -> ApiError {
    ApiError {
        code: status.code.unwrap_or(Code::Unknown),
        request_id: status.request_id(),
        message: status.message,
        http_status: 200,
        operation_id: (!operation_id.is_empty()).then(|| operation_id.to_owned()),
    }
}

/// A poll interval in seconds (integer or decimal) as milliseconds.
fn parse_interval(value: &str) -> Option<u32> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0)
        .then(|| (seconds * 1000.0).min(f64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::FakePlatform;

    fn pending(id: &str) -> Operation {
        Operation {
            id: id.to_owned(),
            ..Operation::default()
        }
    }

    #[test]
    fn polls_with_doubling_backoff_until_done() {
        let fake = FakePlatform::new();
        for _ in 0..6 {
            fake.reply(200, json!({"id": "op1", "done": false}));
        }
        fake.reply(
            200,
            json!({"id": "op1", "done": true, "response": {"@type": "x", "id": "sa1"}}),
        );
        let client = Client::new(&fake);
        let done = wait(&client, pending("op1"), None, PollPolicy::default()).unwrap();
        assert_eq!(done.response.unwrap()["id"], "sa1");
        assert_eq!(fake.sleeps(), vec![100, 200, 400, 800, 1600, 2000, 2000]);
        assert!(
            fake.request_lines()
                .iter()
                .all(|line| line == "GET /operations/op1")
        );
    }

    #[test]
    fn honours_the_poll_interval_header() {
        let fake = FakePlatform::new();
        fake.reply_raw(200, &[(POLL_INTERVAL_HEADER, "1")], br#"{"id":"op1"}"#)
            .reply(200, json!({"id": "op1", "done": true}));
        let client = Client::new(&fake);
        wait(&client, pending("op1"), Some("0.5"), PollPolicy::default()).unwrap();
        assert_eq!(fake.sleeps(), vec![500, 1000]);
    }

    #[test]
    fn tolerates_three_not_found_then_fails() {
        let fake = FakePlatform::new();
        for _ in 0..3 {
            fake.reply_error(404, 5, "no such operation");
        }
        fake.reply(200, json!({"id": "op1", "done": true}));
        let client = Client::new(&fake);
        assert!(wait(&client, pending("op1"), None, PollPolicy::default()).is_ok());

        let fake = FakePlatform::new();
        for _ in 0..4 {
            fake.reply_error(404, 5, "no such operation");
        }
        let client = Client::new(&fake);
        let error = wait(&client, pending("op1"), None, PollPolicy::default()).unwrap_err();
        assert!(error.is(Code::NotFound));
    }

    #[test]
    fn error_before_done_is_a_failure() {
        let fake = FakePlatform::new();
        fake.reply(200, json!({"id": "op1", "error": {"code": 9, "message": "rolling back",
            "details": [{"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "r9"}]}}));
        let client = Client::new(&fake);
        let error = wait(&client, pending("op1"), None, PollPolicy::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "FAILED_PRECONDITION: rolling back (operation op1, request id r9)"
        );
        let Error::Api(api) = error else { panic!() };
        assert_eq!(api.http_status, 200);
        assert_eq!(api.operation_id.as_deref(), Some("op1"));
    }

    #[test]
    fn times_out_at_the_deadline() {
        let fake = FakePlatform::new();
        for _ in 0..200 {
            fake.reply(200, json!({"id": "op1"}));
        }
        let client = Client::new(&fake);
        let error = wait(&client, pending("op1"), None, PollPolicy::default()).unwrap_err();
        assert_eq!(error, Error::OperationTimeout("op1".to_owned()));
        assert!(fake.elapsed_millis() <= 300_000);
        assert!(fake.elapsed_millis() > 298_000);
    }

    #[test]
    fn already_done_needs_no_poll() {
        let fake = FakePlatform::new();
        let client = Client::new(&fake);
        let done = Operation {
            id: "op1".into(),
            done: true,
            ..Operation::default()
        };
        assert!(wait(&client, done, None, PollPolicy::default()).is_ok());
        assert!(fake.requests().is_empty());
    }

    #[test]
    fn empty_responses_are_none() {
        let cases = [
            (None, false),
            (
                Some(json!({"@type": "type.googleapis.com/google.protobuf.Empty"})),
                false,
            ),
            (Some(json!({"@type": "x.ServiceAccount", "id": "a"})), true),
        ];
        for (response, expected) in cases {
            let operation = Operation {
                response,
                ..Operation::default()
            };
            assert_eq!(response_of(&operation).is_some(), expected);
        }
    }
}
