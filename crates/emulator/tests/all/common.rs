//! Helpers shared by the integration tests: an HTTP client and small API wrappers.

use std::time::Duration;

use serde_json::{Value, json};
use yc_emulator::{Config, Emulator};

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// A response header by (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `message` of an error body.
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// Panics unless the status is 200.
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "unexpected answer: {}", self.body);
        self.body
    }
}

/// A keep-alive HTTP client bound to one emulator and one token.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    )
}

impl Client {
    /// A client for `base` (`http://host:port`) with an optional token.
    pub fn new(base: &str, token: Option<&str>) -> Client {
        Client {
            agent: agent(),
            base: base.to_string(),
            token: token.map(str::to_string),
        }
    }

    /// A client with the admin token.
    pub fn admin(emulator: &Emulator) -> Client {
        Client {
            agent: agent(),
            base: emulator.base_url(),
            token: Some(emulator.seed().admin_token.clone()),
        }
    }

    /// The same client with another token (or none).
    pub fn with_token(&self, token: Option<&str>) -> Client {
        Client {
            agent: agent(),
            base: self.base.clone(),
            token: token.map(str::to_string),
        }
    }

    /// Sends a request; `Err` when the connection failed without an answer.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, ureq::Error> {
        self.exchange(method, path, body.map(Value::to_string), headers)
    }

    /// Sends a request with a raw (possibly malformed) body.
    pub fn try_send_raw(&self, method: &str, path: &str, body: &str) -> Result<Reply, ureq::Error> {
        self.exchange(method, path, Some(body.to_string()), &[])
    }

    fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if body.is_some() {
            builder = builder.header("Content-Type", "application/json");
        }
        let request = builder
            .body(body.unwrap_or_default())
            .expect("valid request");
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = response.body_mut().read_to_string()?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            status,
            body,
            headers,
        })
    }

    /// Sends a request with extra headers.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.try_send(method, path, body, headers)
            .unwrap_or_else(|err| panic!("{method} {path} failed: {err}"))
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[])
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(&body), &[])
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(&body), &[])
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None, &[])
    }

    /// Polls an Operation until it is done (at most 50 polls) and returns it.
    pub fn wait(&self, operation: Value) -> Value {
        let mut operation = operation;
        for _ in 0..50 {
            if operation["done"] == json!(true) {
                return operation;
            }
            let id = operation["id"].as_str().expect("operation id").to_string();
            operation = self.get(&format!("/operations/{id}")).ok();
        }
        panic!("operation never finished: {operation}");
    }

    /// Creates a service account and returns its id.
    pub fn create_account(&self, folder_id: &str, name: &str) -> String {
        let operation = self
            .post(
                "/iam/v1/serviceAccounts",
                json!({ "folderId": folder_id, "name": name }),
            )
            .ok();
        let done = self.wait(operation);
        assert!(done.get("error").is_none(), "create failed: {done}");
        done["response"]["id"].as_str().expect("id").to_string()
    }

    /// Grants a folder role to a subject and returns the finished Operation.
    pub fn bind(
        &self,
        folder_id: &str,
        action: &str,
        role: &str,
        subject_type: &str,
        subject_id: &str,
    ) -> Value {
        let operation = self
            .post(
                &format!("/resource-manager/v1/folders/{folder_id}:updateAccessBindings"),
                json!({"accessBindingDeltas": [{
                    "action": action,
                    "accessBinding": {"roleId": role, "subject": {"id": subject_id, "type": subject_type}},
                }]}),
            )
            .ok();
        self.wait(operation)
    }

    /// Creates an API key and returns the create response.
    pub fn create_api_key(&self, account_id: &str, scopes: &[&str]) -> Value {
        self.post(
            "/iam/v1/apiKeys",
            json!({ "serviceAccountId": account_id, "scopes": scopes }),
        )
        .ok()
    }
}

/// An emulator with the default configuration.
pub fn start() -> Emulator {
    start_with(Config::default())
}

/// An emulator with a custom configuration. With `YC_EMULATOR_TEST_RECORD=FILE` every emulator
/// that records nothing else appends its exchanges to FILE (for the contract check of the
/// responses: `python tests/contract/check.py FILE --only responses`).
pub fn start_with(mut config: Config) -> Emulator {
    if config.record_file.is_none() {
        config.record_file = std::env::var_os("YC_EMULATOR_TEST_RECORD").map(Into::into);
    }
    Emulator::start(config).expect("emulator starts")
}

/// Asserts an error answer: HTTP status, gRPC code, and that the message contains `fragment`.
#[track_caller]
pub fn assert_error(reply: &Reply, status: u16, code: i64, fragment: &str) {
    assert_eq!(reply.status, status, "status of {}", reply.body);
    assert_eq!(reply.body["code"], json!(code), "code of {}", reply.body);
    assert!(
        reply.message().contains(fragment),
        "message {:?} lacks {fragment:?}",
        reply.message()
    );
    assert_eq!(
        reply.body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.RequestInfo"
    );
    assert_eq!(
        reply.body["details"][0]["requestId"].as_str(),
        reply.header("x-request-id"),
        "requestId matches the x-request-id header"
    );
}
