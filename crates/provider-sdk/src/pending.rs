//! Creates interrupted before their result was recorded.
//!
//! The engine saves an instance with the marker `"$pending_create": {"started_at":
//! RFC3339, "known_ids": [...]}` (next to the planned attributes) before it asks for a
//! create, and replaces it with the real state afterwards. When a run dies in between,
//! the next read gets the marker, and each type finds out what the create left behind:
//! a service account is looked up by name and adopted, a folder member is read as usual,
//! and an API key whose secret was never stored is revoked so a new one is created.

use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::provider::{Context, ProviderDefinition, StateResult};
use crate::resource::{Outcome, Resource};
use crate::rules::{finish, keep_equivalent};
use crate::schema::ResourceSchema;
use crate::timestamp::{self, Timestamp};
use crate::value::Attrs;

/// The key of the marker in a state object.
pub const PENDING_CREATE: &str = "$pending_create";

/// How much earlier than `started_at` an object may say it was created and still count as
/// made by the interrupted create: the host's clock and the cloud's may disagree.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// What the marker says about the interrupted create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingCreate {
    /// When the engine was about to send the create (host clock).
    pub started_at: Timestamp,
    /// Ids of the other objects of this type the state records: never adopted or revoked.
    pub known_ids: Vec<String>,
}

impl PendingCreate {
    /// Reads the marker value.
    pub fn parse(marker: &Value) -> Result<PendingCreate, String> {
        let started_at = marker
            .get("started_at")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{PENDING_CREATE} has no \"started_at\" timestamp"))?;
        let started_at = timestamp::parse_rfc3339(started_at)
            .map_err(|why| format!("{PENDING_CREATE}.started_at: {why}"))?;
        let known_ids = match marker.get("known_ids") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| {
                    id.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| format!("{PENDING_CREATE}.known_ids must hold strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(format!("{PENDING_CREATE}.known_ids must be a list")),
        };
        Ok(PendingCreate {
            started_at,
            known_ids,
        })
    }

    /// Whether an object created at `created_at` (RFC3339, as the API reports it) may have
    /// been made by the interrupted create; `None` when the time is missing or unreadable.
    pub fn may_have_created(&self, created_at: &str) -> Option<bool> {
        let created = timestamp::parse_rfc3339(created_at).ok()?;
        Some(created.seconds >= self.started_at.seconds - CLOCK_SKEW_SECONDS)
    }

    /// Whether the state already records the object with this id.
    pub fn is_known(&self, id: &str) -> bool {
        self.known_ids.iter().any(|known| known == id)
    }
}

/// The read result of a state that carries the marker: the planned attributes go to the
/// type's [`Resource::resolve_pending`].
pub fn resolve<P: ProviderDefinition>(
    resource: &dyn Resource<P>,
    ctx: &Context<'_, P>,
    mut planned: Attrs,
) -> StateResult {
    let schema: &ResourceSchema = resource.schema();
    let marker = planned.remove(PENDING_CREATE).unwrap_or(Value::Null);
    let mut outcome = match PendingCreate::parse(&marker) {
        Ok(pending) => resource.resolve_pending(ctx, &planned, &pending),
        Err(why) => Outcome::failed(
            Some(planned.clone()),
            Diagnostic::error("Invalid state", why),
        ),
    };
    outcome.state = outcome
        .state
        .map(|fresh| keep_equivalent(schema, &planned, fresh));
    finish(schema, outcome)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_the_marker() {
        let pending = PendingCreate::parse(
            &json!({"started_at": "2030-01-01T00:10:00Z", "known_ids": ["a", "b"]}),
        )
        .unwrap();
        assert_eq!(pending.known_ids, vec!["a", "b"]);
        assert!(pending.is_known("b"));
        assert!(!pending.is_known("c"));
        let bare = PendingCreate::parse(&json!({"started_at": "2030-01-01T00:10:00Z"})).unwrap();
        assert!(bare.known_ids.is_empty());
        let bad = [
            json!(null),
            json!({}),
            json!({"started_at": "soon"}),
            json!({"started_at": "2030-01-01T00:10:00Z", "known_ids": "a"}),
            json!({"started_at": "2030-01-01T00:10:00Z", "known_ids": [1]}),
        ];
        for marker in bad {
            assert!(PendingCreate::parse(&marker).is_err(), "{marker}");
        }
    }

    #[test]
    fn created_times_are_compared_with_a_margin_for_clock_skew() {
        let pending = PendingCreate::parse(&json!({"started_at": "2030-01-01T00:10:00Z"})).unwrap();
        let cases = [
            ("2030-01-01T00:10:00.5Z", Some(true)),
            ("2030-01-01T01:00:00Z", Some(true)),
            ("2030-01-01T00:05:00Z", Some(true)),
            ("2030-01-01T00:04:59Z", Some(false)),
            ("2029-12-31T00:00:00Z", Some(false)),
            ("", None),
            ("yesterday", None),
        ];
        for (created_at, expected) in cases {
            assert_eq!(
                pending.may_have_created(created_at),
                expected,
                "{created_at}"
            );
        }
    }
}
