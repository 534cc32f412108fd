//! State-changing calls: each sends one request that starts an Operation, waits for it,
//! and sends the call again (a new request with a new `Idempotency-Key`) while the
//! Operation ends with a failure that changed nothing. Shared by the IAM and Lockbox
//! clients.

use serde_json::Value;

use crate::client::{Client, Reply};
use crate::error::Error;
use crate::operation::{self, POLL_INTERVAL_HEADER, PollPolicy};
use crate::platform::{Level, Method, Platform};
use crate::wire::Operation;

/// An HTTP client with the policy for waiting on the Operations its calls start.
pub struct Mutations<'a, P: Platform + ?Sized> {
    client: Client<'a, P>,
    poll: PollPolicy,
}

impl<'a, P: Platform + ?Sized> Mutations<'a, P> {
    /// Mutations over `client`, waiting on Operations under `poll`.
    pub fn new(client: Client<'a, P>, poll: PollPolicy) -> Self {
        Mutations { client, poll }
    }

    /// The HTTP client, for reads.
    pub fn client(&self) -> &Client<'a, P> {
        &self.client
    }

    fn log(&self, level: Level, message: &str) {
        self.client.platform().log(level, message);
    }

    /// Sends a state-changing call that returns an Operation and waits for it; sends it
    /// again while the Operation fails for a passing reason.
    pub fn mutate(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
        what: &str,
    ) -> Result<Operation, Error> {
        self.retry_failed_operations(
            what,
            |error| error,
            |_| {
                let reply = self.client.call(method, url, body.as_ref())?;
                let started: Operation = reply.json(&format!("{what} operation"))?;
                self.finish(started, &reply)
            },
        )
    }

    /// Runs one logical mutation and runs it again while its Operation ends with a
    /// retryable failure (see [`Error::is_retryable_operation_failure`]): such an
    /// Operation changed nothing, so every new attempt is a new request with a new
    /// `Idempotency-Key`. The waits follow the client's backoff, and no attempt starts
    /// after the retry policy's deadline or beyond its attempt limit. `attempt`
    /// receives the attempt number, from 1.
    pub fn retry_failed_operations<T, E>(
        &self,
        what: &str,
        error_of: impl Fn(&E) -> &Error,
        mut attempt: impl FnMut(u32) -> Result<T, E>,
    ) -> Result<T, E> {
        let platform = self.client.platform();
        let policy = self.client.policy();
        let started = platform.now_millis();
        let mut number: u32 = 0;
        loop {
            number += 1;
            let failure = match attempt(number) {
                Err(failure) if error_of(&failure).is_retryable_operation_failure() => failure,
                other => return other,
            };
            let wait = self.client.backoff(number);
            let elapsed = platform.now_millis().saturating_sub(started);
            let past_deadline = elapsed + i64::from(wait) > i64::from(policy.deadline_millis);
            if number >= policy.max_attempts || past_deadline {
                self.log(
                    Level::Warn,
                    &format!(
                        "{what}: giving up after {number} failed operations: {}",
                        error_of(&failure)
                    ),
                );
                return Err(failure);
            }
            self.log(
                Level::Info,
                &format!(
                    "{what}: {}; sending the request again in {wait} ms (attempt {number})",
                    error_of(&failure)
                ),
            );
            platform.sleep(wait);
        }
    }

    /// Waits for an Operation that `reply` started.
    pub fn finish(&self, started: Operation, reply: &Reply) -> Result<Operation, Error> {
        operation::wait(
            &self.client,
            started,
            reply.header(POLL_INTERVAL_HEADER),
            self.poll,
        )
    }
}
