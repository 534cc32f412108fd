//! `time_static`: a timestamp taken once (at create, or as configured) and kept.

use serde_json::json;
use ycprov_provider_sdk::timestamp::Timestamp;
use ycprov_provider_sdk::{
    Attribute, Attrs, Context, Diagnostic, OPTIONAL_STRING, Outcome, Resource, ResourceSchema,
};

use crate::Time;
use crate::timestamps::{CALENDAR, Derived, TRIGGERS, check_values, set_calendar};

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

/// The values of a static time follow from `rfc3339`.
const DERIVED: Derived = Derived {
    base: "rfc3339",
    compute,
};

fn compute(attrs: &mut Attrs, at: Timestamp, text: &str) -> Result<(), Diagnostic> {
    attrs.insert("id".into(), json!(text));
    attrs.insert("rfc3339".into(), json!(text));
    set_calendar(attrs, at);
    Ok(())
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
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        DERIVED.plan_from(config, planned, diagnostics);
    }

    fn create(&self, ctx: &Context<'_, Time>, planned: &Attrs) -> Outcome {
        DERIVED.create(&SCHEMA, ctx.host.now(), planned, planned.clone())
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
        DERIVED.import(
            attrs,
            Diagnostic::error(
                "Unexpected Format of ID",
                format!("The import id of time_static is an RFC3339 timestamp such as 2030-01-31T12:00:00Z, got {id:?}."),
            ),
        )
    }
}
