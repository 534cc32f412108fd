//! `time_static`: a timestamp taken once (at create, or as configured) and kept.

use serde_json::json;
use ycprov_provider_sdk::rules::settle;
use ycprov_provider_sdk::timestamp::Timestamp;
use ycprov_provider_sdk::{
    Attribute, Attrs, Context, Diagnostic, OPTIONAL_STRING, Outcome, Resource, ResourceSchema,
};

use crate::Time;
use crate::timestamps::{CALENDAR, TRIGGERS, check_values, set_calendar, timestamp};

/// The resource type.
pub struct StaticTime;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "time_static",
    version: 0,
    description: "Manages a static time value: the time it was created (or a configured one), kept in the state.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "RFC3339 format of the timestamp, e.g. `2020-02-12T06:36:13Z`.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "rfc3339",
            computed: true,
            force_new: true,
            description: "Base timestamp in RFC3339 format (e.g. `YYYY-MM-DDTHH:MM:SSZ`). Defaults to the current time.",
            ..OPTIONAL_STRING
        },
        TRIGGERS,
        CALENDAR[0],
        CALENDAR[1],
        CALENDAR[2],
        CALENDAR[3],
        CALENDAR[4],
        CALENDAR[5],
        CALENDAR[6],
    ],
};

/// The state of a static time at `at`, spelled `rfc3339`.
fn state_at(at: Timestamp, rfc3339: String, triggers: serde_json::Value) -> Attrs {
    let mut state = Attrs::new();
    state.insert("id".into(), json!(rfc3339));
    state.insert("rfc3339".into(), json!(rfc3339));
    state.insert("triggers".into(), triggers);
    set_calendar(&mut state, at);
    state
}

impl Resource<Time> for StaticTime {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        check_values(config, &["rfc3339"], &[], None)
    }

    fn plan_defaults(
        &self,
        _ctx: &Context<'_, Time>,
        config: &Attrs,
        planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
        if let (Ok(Some(at)), Some(text)) = (
            timestamp(config, "rfc3339"),
            config.get("rfc3339").and_then(|v| v.as_str()),
        ) {
            let triggers = planned.get("triggers").cloned().unwrap_or_default();
            *planned = state_at(at, text.to_owned(), triggers);
        }
    }

    fn create(&self, ctx: &Context<'_, Time>, planned: &Attrs) -> Outcome {
        let (at, text) = match timestamp(planned, "rfc3339") {
            Ok(Some(at)) => (
                at,
                planned["rfc3339"].as_str().unwrap_or_default().to_owned(),
            ),
            Ok(None) => {
                let now = whole_seconds(ctx.host.now());
                (now, now.to_rfc3339())
            }
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let triggers = planned.get("triggers").cloned().unwrap_or_default();
        Outcome::state(settle(&SCHEMA, planned, &state_at(at, text, triggers)))
    }

    fn update(&self, _ctx: &Context<'_, Time>, _prior: &Attrs, planned: &Attrs) -> Outcome {
        Outcome::state(planned.clone())
    }

    fn delete(&self, _ctx: &Context<'_, Time>, _prior: &Attrs) -> Outcome {
        Outcome::gone()
    }

    fn read(&self, _ctx: &Context<'_, Time>, state: &Attrs) -> Outcome {
        Outcome::state(state.clone())
    }

    fn import(&self, _ctx: &Context<'_, Time>, id: &str) -> Outcome {
        let mut attrs = Attrs::new();
        attrs.insert("rfc3339".into(), json!(id));
        match timestamp(&attrs, "rfc3339") {
            Ok(Some(at)) => Outcome::state(state_at(at, id.to_owned(), serde_json::Value::Null)),
            _ => Outcome::failed(
                None,
                Diagnostic::error(
                    "Unexpected Format of ID",
                    format!(
                        "The import id of time_static is an RFC3339 timestamp such as 2030-01-31T12:00:00Z, got {id:?}."
                    ),
                ),
            ),
        }
    }
}

/// The time without its fraction of a second (the state keeps whole seconds).
pub fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp {
        seconds: at.seconds,
        nanos: 0,
    }
}
