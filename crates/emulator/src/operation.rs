//! Long-running Operations (`yandex.cloud.operation.Operation`): records, polling and JSON.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::clock;
use crate::error::ApiError;

/// How an Operation ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Success, with the response Any.
    Response(Value),
    /// Failure, with a gRPC code number and message.
    Failure {
        /// gRPC code.
        code: i32,
        /// Message.
        message: String,
    },
}

/// One Operation as the cloud remembers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationRecord {
    /// Id.
    pub id: String,
    /// Human-readable description, for example `Create service account`.
    pub description: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// The subject id of the caller.
    pub created_by: String,
    /// RFC3339 time of the last change.
    pub modified_at: String,
    /// The metadata Any (present from the start, so clients learn new ids before `done`).
    pub metadata: Value,
    /// The result, revealed once the Operation is done.
    pub outcome: Outcome,
    /// How many more polls return `done=false`.
    pub polls_remaining: u32,
}

impl OperationRecord {
    /// A new Operation created now.
    pub fn new(
        id: String,
        description: &str,
        created_by: &str,
        metadata: Value,
        outcome: Outcome,
        polls_remaining: u32,
    ) -> OperationRecord {
        let now = clock::now_rfc3339();
        OperationRecord {
            id,
            description: description.to_string(),
            created_at: now.clone(),
            created_by: created_by.to_string(),
            modified_at: now,
            metadata,
            outcome,
            polls_remaining,
        }
    }

    /// An Operation that failed with `error`.
    pub fn failure(error: &ApiError) -> Outcome {
        Outcome::Failure {
            code: error.code.number(),
            message: error.message.clone(),
        }
    }

    /// Whether the Operation is done.
    pub fn done(&self) -> bool {
        self.polls_remaining == 0
    }

    /// Counts one poll; returns true if the record changed.
    pub fn poll(&mut self) -> bool {
        if self.polls_remaining == 0 {
            return false;
        }
        self.polls_remaining -= 1;
        if self.polls_remaining == 0 {
            self.modified_at = clock::now_rfc3339();
        }
        true
    }

    /// proto3 JSON: `done` is omitted while false, and the result appears only once done.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("description".into(), json!(self.description));
        object.insert("createdAt".into(), json!(self.created_at));
        object.insert("createdBy".into(), json!(self.created_by));
        object.insert("modifiedAt".into(), json!(self.modified_at));
        if self.done() {
            object.insert("done".into(), json!(true));
        }
        object.insert("metadata".into(), self.metadata.clone());
        if self.done() {
            match &self.outcome {
                Outcome::Response(response) => {
                    object.insert("response".into(), response.clone());
                }
                Outcome::Failure { code, message } => {
                    object.insert("error".into(), json!({ "code": code, "message": message }));
                }
            }
        }
        Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn pending_operations_reveal_the_result_when_done() {
        let mut op = OperationRecord::new(
            "aje1".into(),
            "Create service account",
            "user1",
            json!({"@type": "m", "serviceAccountId": "aje2"}),
            Outcome::Response(json!({"@type": "r"})),
            2,
        );
        let pending = op.to_json();
        assert!(pending.get("done").is_none());
        assert!(pending.get("response").is_none());
        assert_eq!(pending["metadata"]["serviceAccountId"], "aje2");
        assert!(op.poll());
        assert!(!op.done());
        assert!(op.poll());
        assert!(op.done());
        assert!(!op.poll());
        let done = op.to_json();
        assert_eq!(done["done"], true);
        assert_eq!(done["response"]["@type"], "r");
    }

    #[test]
    fn failed_operations_carry_an_error() {
        let error = ApiError::new(Code::Internal, "boom");
        let op = OperationRecord::new(
            "aje1".into(),
            "d",
            "u",
            json!({}),
            OperationRecord::failure(&error),
            0,
        );
        let json = op.to_json();
        assert_eq!(json["error"], json!({"code": 13, "message": "boom"}));
        assert!(json.get("response").is_none());
    }
}
