//! `time_offset`: a base timestamp (taken at create, or configured) moved by a
//! configured offset; changing the offset updates it in place.

use serde_json::{Value, json};
use ycprov_provider_sdk::timestamp::Timestamp;
use ycprov_provider_sdk::value::is_wholly_known;
use ycprov_provider_sdk::{
    Attribute, Attrs, Context, Diagnostic, OPTIONAL_STRING, Outcome, Resource, ResourceSchema,
};

use crate::Time;
use crate::timestamps::{
    CALENDAR, Derived, TRIGGERS, at_least_one_of, check_values, id_number, offset, optional_number,
    set_moment, whole_number,
};

/// The resource type.
pub struct Offset;

/// The offset attributes, in the order of the import id.
const OFFSETS: [&str; 6] = [
    "offset_years",
    "offset_months",
    "offset_days",
    "offset_hours",
    "offset_minutes",
    "offset_seconds",
];

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "time_offset",
    version: 0,
    description: "Manages an offset time value: a base timestamp moved by years, months, days, hours, minutes and seconds.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "RFC3339 format of the base timestamp, e.g. `2020-02-12T06:36:13Z`.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "base_rfc3339",
            computed: true,
            force_new: true,
            description: "Base timestamp in RFC3339 format. Defaults to the current time.",
            ..OPTIONAL_STRING
        },
        optional_number(
            "offset_years",
            "Number of years to offset the base timestamp.",
        ),
        optional_number(
            "offset_months",
            "Number of months to offset the base timestamp.",
        ),
        optional_number(
            "offset_days",
            "Number of days to offset the base timestamp.",
        ),
        optional_number(
            "offset_hours",
            "Number of hours to offset the base timestamp.",
        ),
        optional_number(
            "offset_minutes",
            "Number of minutes to offset the base timestamp.",
        ),
        optional_number(
            "offset_seconds",
            "Number of seconds to offset the base timestamp.",
        ),
        Attribute {
            name: "rfc3339",
            optional: false,
            computed: true,
            description: "RFC3339 format of the offset timestamp, e.g. `2020-02-12T06:36:13Z`.",
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

/// The offsets of `attrs`; `None` when one is unknown.
fn offsets(attrs: &Attrs) -> Result<Option<[i64; 6]>, Diagnostic> {
    let mut parts = [0; 6];
    for (part, name) in parts.iter_mut().zip(OFFSETS) {
        if !is_wholly_known(attrs.get(name).unwrap_or(&Value::Null)) {
            return Ok(None);
        }
        *part = whole_number(attrs, name)?.unwrap_or(0);
    }
    Ok(Some(parts))
}

/// Sets `id`, `base_rfc3339`, `rfc3339` and the calendar from a known base and offsets,
/// or marks the computed values unknown when the offsets are not known yet.
fn compute(attrs: &mut Attrs, base: Timestamp, base_text: &str) -> Result<(), Diagnostic> {
    attrs.insert("id".into(), json!(base_text));
    attrs.insert("base_rfc3339".into(), json!(base_text));
    let at = offsets(attrs)?.map(|parts| {
        let at = offset(base, parts);
        (at, at.to_rfc3339())
    });
    set_moment(attrs, "rfc3339", at);
    Ok(())
}

/// The values of an offset follow from `base_rfc3339` and the offsets.
const DERIVED: Derived = Derived {
    base: "base_rfc3339",
    compute,
};

impl Resource<Time> for Offset {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics = check_values(config, &["base_rfc3339"], &OFFSETS, None);
        diagnostics.extend(at_least_one_of(config, &OFFSETS));
        diagnostics
    }

    fn plan_defaults(
        &self,
        _ctx: &Context<'_, Time>,
        _config: &Attrs,
        planned: &mut Attrs,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        DERIVED.plan_from(&planned.clone(), planned, diagnostics);
    }

    fn plan_update_values(
        &self,
        ctx: &Context<'_, Time>,
        _prior: &Attrs,
        config: &Attrs,
        planned: &mut Attrs,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        self.plan_defaults(ctx, config, planned, diagnostics);
    }

    fn create(&self, ctx: &Context<'_, Time>, planned: &Attrs) -> Outcome {
        DERIVED.create(&SCHEMA, ctx.host.now(), planned, planned.clone())
    }

    fn update(&self, ctx: &Context<'_, Time>, prior: &Attrs, planned: &Attrs) -> Outcome {
        let outcome = self.create(ctx, planned);
        match outcome.state {
            Some(_) => outcome,
            None => Outcome {
                state: Some(prior.clone()),
                ..outcome
            },
        }
    }

    fn delete(&self, _ctx: &Context<'_, Time>, _prior: &Attrs) -> Outcome {
        Outcome::gone()
    }

    fn read(&self, _ctx: &Context<'_, Time>, state: &Attrs) -> Outcome {
        Outcome::state(state.clone())
    }

    fn import(&self, _ctx: &Context<'_, Time>, id: &str) -> Outcome {
        let failed = |diagnostic| Outcome::failed(None, diagnostic);
        let parts: Vec<&str> = id.split(',').collect();
        if parts.len() != 7 || parts[1..].iter().all(|p| p.is_empty()) {
            return failed(Diagnostic::error(
                "Unexpected Format of ID",
                format!(
                    "Unexpected format of ID ({id:?}), expected BASETIMESTAMP,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS where at least one offset value is non-empty"
                ),
            ));
        }
        let mut attrs = Attrs::new();
        attrs.insert("base_rfc3339".into(), json!(parts[0]));
        for (index, name) in OFFSETS.iter().enumerate() {
            match id_number(&parts, index + 1, name) {
                Ok(value) => {
                    attrs.insert((*name).to_owned(), json!(value));
                }
                Err(diagnostic) => return failed(diagnostic),
            }
        }
        DERIVED.import(
            attrs,
            Diagnostic::error(
                "Unexpected Format of ID",
                "The import id starts with the base timestamp.",
            ),
        )
    }
}
