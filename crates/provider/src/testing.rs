//! A scripted fake [`Platform`] for unit tests: canned responses in order,
//! recorded requests, a virtual clock that `sleep` advances, and captured logs.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use serde_json::{Value, json};

use crate::platform::{Identity, Level, Platform, Request, Response, TransportError};

/// The virtual clock's start: 2030-01-01T00:00:00Z in milliseconds.
pub const START_MILLIS: i64 = 1_893_456_000_000;

/// A scripted host.
pub struct FakePlatform {
    responses: RefCell<VecDeque<Result<Response, TransportError>>>,
    requests: RefCell<Vec<Request>>,
    clock: Cell<i64>,
    sleeps: RefCell<Vec<u32>>,
    random_state: Cell<u64>,
    logs: RefCell<Vec<(Level, String)>>,
    identity: RefCell<Result<Identity, String>>,
}

impl Default for FakePlatform {
    fn default() -> Self {
        FakePlatform {
            responses: RefCell::default(),
            requests: RefCell::default(),
            clock: Cell::new(START_MILLIS),
            sleeps: RefCell::default(),
            random_state: Cell::new(0x9e37_79b9_7f4a_7c15),
            logs: RefCell::default(),
            identity: RefCell::new(Ok(Identity {
                source: "iam-token".to_owned(),
                ..Identity::default()
            })),
        }
    }
}

impl FakePlatform {
    /// A fake with no scripted responses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a response with a JSON body.
    pub fn reply(&self, status: u16, body: Value) -> &Self {
        self.reply_raw(status, &[], body.to_string().as_bytes())
    }

    /// Queues a response with headers and a raw body.
    pub fn reply_raw(&self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> &Self {
        let headers = headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        self.responses.borrow_mut().push_back(Ok(Response {
            status,
            headers,
            body: body.to_vec(),
        }));
        self
    }

    /// Queues a transport failure.
    pub fn fail(&self, error: TransportError) -> &Self {
        self.responses.borrow_mut().push_back(Err(error));
        self
    }

    /// Queues a Yandex error body `{code, message, details[RequestInfo]}`.
    pub fn reply_error(&self, status: u16, code: i64, message: &str) -> &Self {
        self.reply(
            status,
            json!({"code": code, "message": message, "details": [
                {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "req-err"}]}),
        )
    }

    /// Queues a finished Operation with the given response.
    pub fn reply_done(&self, id: &str, metadata: Value, response: Value) -> &Self {
        self.reply(
            200,
            json!({"id": id, "done": true, "metadata": metadata, "response": response}),
        )
    }

    /// Queues an unfinished Operation (no `done` field at all).
    pub fn reply_pending(&self, id: &str, metadata: Value) -> &Self {
        self.reply(200, json!({"id": id, "metadata": metadata}))
    }

    /// Sets what `credentials.current` returns.
    pub fn set_identity(&self, identity: Result<Identity, String>) {
        *self.identity.borrow_mut() = identity;
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.borrow().clone()
    }

    /// `METHOD path?query` of every request sent so far.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests
            .borrow()
            .iter()
            .map(|request| {
                let path = request.url.split_once(".net").map_or("", |(_, path)| path);
                format!("{} {path}", request.method.as_str())
            })
            .collect()
    }

    /// The JSON body of request `index`.
    pub fn request_body(&self, index: usize) -> Value {
        let requests = self.requests.borrow();
        let body = requests[index].body.as_deref().expect("request has a body");
        serde_json::from_slice(body).expect("request body is JSON")
    }

    /// Every sleep, in milliseconds.
    pub fn sleeps(&self) -> Vec<u32> {
        self.sleeps.borrow().clone()
    }

    /// Milliseconds of virtual time since the start.
    pub fn elapsed_millis(&self) -> i64 {
        self.clock.get() - START_MILLIS
    }

    /// Every log message.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.logs.borrow().clone()
    }

    /// How many scripted responses are still queued.
    pub fn pending_responses(&self) -> usize {
        self.responses.borrow().len()
    }
}

impl Platform for FakePlatform {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.requests.borrow_mut().push(request.clone());
        self.responses.borrow_mut().pop_front().unwrap_or_else(|| {
            panic!(
                "unscripted request {} {}",
                request.method.as_str(),
                request.url
            )
        })
    }

    fn now_millis(&self) -> i64 {
        self.clock.get()
    }

    fn sleep(&self, millis: u32) {
        self.sleeps.borrow_mut().push(millis);
        self.clock.set(self.clock.get() + i64::from(millis));
    }

    fn random(&self) -> u64 {
        let mut state = self.random_state.get();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        self.random_state.set(state);
        state
    }

    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    fn identity(&self) -> Result<Identity, String> {
        self.identity.borrow().clone()
    }
}
