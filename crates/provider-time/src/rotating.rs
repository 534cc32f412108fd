//! `time_rotating`: a base timestamp and a rotation timestamp after it; once the
//! current time passes the rotation timestamp, the plan replaces the resource.

use serde_json::{Value, json};
use ycprov_provider_sdk::timestamp::Timestamp;
use ycprov_provider_sdk::value::is_wholly_known;
use ycprov_provider_sdk::{
    Attribute, Attrs, Context, Diagnostic, OPTIONAL_STRING, Outcome, Resource, ResourceSchema,
};

use crate::Time;
use crate::timestamps::{
    CALENDAR, Derived, TRIGGERS, at_least_one_of, check_values, id_number, offset, optional_number,
    set_moment, timestamp, whole_number,
};

/// The resource type.
pub struct Rotating;

/// The rotation periods.
const PERIODS: [&str; 5] = [
    "rotation_years",
    "rotation_months",
    "rotation_days",
    "rotation_hours",
    "rotation_minutes",
];

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "time_rotating",
    version: 0,
    description: "Manages a rotating time value: a base timestamp and a rotation timestamp; once the current time is past the rotation timestamp, the plan replaces it.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "RFC3339 format of the base timestamp, e.g. `2020-02-12T06:36:13Z`.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "rfc3339",
            computed: true,
            force_new: true,
            description: "Base timestamp in RFC3339 format. Defaults to the current time.",
            ..OPTIONAL_STRING
        },
        optional_number(
            "rotation_years",
            "Number of years to add to the base timestamp to configure the rotation timestamp.",
        ),
        optional_number(
            "rotation_months",
            "Number of months to add to the base timestamp to configure the rotation timestamp.",
        ),
        optional_number(
            "rotation_days",
            "Number of days to add to the base timestamp to configure the rotation timestamp.",
        ),
        optional_number(
            "rotation_hours",
            "Number of hours to add to the base timestamp to configure the rotation timestamp.",
        ),
        optional_number(
            "rotation_minutes",
            "Number of minutes to add to the base timestamp to configure the rotation timestamp.",
        ),
        Attribute {
            name: "rotation_rfc3339",
            computed: true,
            description: "The rotation timestamp in RFC3339 format; when the current time is past it, the resource is replaced.",
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

/// The rotation timestamp of `base` under the periods and `rotation_rfc3339` of
/// `attrs`, with terraform-provider-time's precedence (years, then a configured
/// `rotation_rfc3339`, then months, minutes, hours, days); `None` while a value is unknown.
fn rotation(attrs: &Attrs, base: Timestamp) -> Result<Option<Timestamp>, Diagnostic> {
    let all_known = PERIODS
        .iter()
        .chain(&["rotation_rfc3339"])
        .all(|name| is_wholly_known(attrs.get(*name).unwrap_or(&Value::Null)));
    if !all_known {
        return Ok(None);
    }
    let period = |name: &str| whole_number(attrs, name).map(|n| n.filter(|n| *n != 0));
    if let Some(years) = period("rotation_years")? {
        return Ok(Some(offset(base, [years, 0, 0, 0, 0, 0])));
    }
    if let Some(at) = timestamp(attrs, "rotation_rfc3339")? {
        return Ok(Some(at));
    }
    let candidates = [
        ("rotation_months", [0, 1, 0, 0, 0, 0]),
        ("rotation_minutes", [0, 0, 0, 0, 1, 0]),
        ("rotation_hours", [0, 0, 0, 1, 0, 0]),
        ("rotation_days", [0, 0, 1, 0, 0, 0]),
    ];
    for (name, unit) in candidates {
        if let Some(count) = period(name)? {
            return Ok(Some(offset(base, unit.map(|u| u * count))));
        }
    }
    Ok(Some(base))
}

/// Sets `id`, `rfc3339`, `rotation_rfc3339` and the calendar of the rotation time, or
/// marks the computed values unknown while a rotation setting is unknown.
fn compute(attrs: &mut Attrs, base: Timestamp, base_text: &str) -> Result<(), Diagnostic> {
    attrs.insert("id".into(), json!(base_text));
    attrs.insert("rfc3339".into(), json!(base_text));
    let at = rotation(attrs, base)?.map(|at| {
        let configured = attrs.get("rotation_rfc3339").and_then(Value::as_str);
        (
            at,
            configured.map_or_else(|| at.to_rfc3339(), str::to_owned),
        )
    });
    set_moment(attrs, "rotation_rfc3339", at);
    Ok(())
}

/// The values of a rotation follow from `rfc3339` (the base) and the rotation settings.
const DERIVED: Derived = Derived {
    base: "rfc3339",
    compute,
};

impl Resource<Time> for Rotating {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics =
            check_values(config, &["rfc3339", "rotation_rfc3339"], &PERIODS, Some(1));
        let mut all = PERIODS.to_vec();
        all.push("rotation_rfc3339");
        diagnostics.extend(at_least_one_of(config, &all));
        diagnostics
    }

    fn replace_reason(
        &self,
        ctx: &Context<'_, Time>,
        prior: &Attrs,
        _config: &Attrs,
    ) -> Option<&'static str> {
        let due = timestamp(prior, "rotation_rfc3339").ok().flatten()?;
        (ctx.host.now() > due).then_some("rotation_rfc3339")
    }

    fn plan_update_values(
        &self,
        _ctx: &Context<'_, Time>,
        prior: &Attrs,
        config: &Attrs,
        planned: &mut Attrs,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let settings_changed = PERIODS.iter().chain(&["rotation_rfc3339"]).any(|name| {
            config
                .get(*name)
                .is_some_and(|v| Some(v) != prior.get(*name))
        }) || PERIODS.iter().any(|name| {
            prior.get(*name).is_some_and(|v| !v.is_null())
                && config.get(*name).is_none_or(Value::is_null)
        });
        if !settings_changed {
            return;
        }
        if config.get("rotation_rfc3339").is_none_or(Value::is_null) {
            planned.insert("rotation_rfc3339".into(), Value::Null);
        }
        DERIVED.plan_from(prior, planned, diagnostics);
    }

    fn create(&self, ctx: &Context<'_, Time>, planned: &Attrs) -> Outcome {
        let mut observed = planned.clone();
        if !planned
            .get("rotation_rfc3339")
            .is_some_and(Value::is_string)
        {
            observed.insert("rotation_rfc3339".into(), Value::Null);
        }
        DERIVED.create(&SCHEMA, ctx.host.now(), planned, observed)
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
        let failed = |diagnostic| Outcome::failed(None, diagnostic);
        let parts: Vec<&str> = id.split(',').collect();
        let shape = || {
            Diagnostic::error(
                "Unexpected Format of ID",
                format!(
                    "Unexpected format of ID ({id:?}), expected BASETIMESTAMP,YEARS,MONTHS,DAYS,HOURS,MINUTES or BASETIMESTAMP,ROTATIONTIMESTAMP"
                ),
            )
        };
        let mut attrs = Attrs::new();
        attrs.insert("rfc3339".into(), json!(parts[0]));
        match parts.len() {
            2 if !parts[1].is_empty() => {
                attrs.insert("rotation_rfc3339".into(), json!(parts[1]));
            }
            6 if parts[1..].iter().any(|p| !p.is_empty()) => {
                for (index, name) in PERIODS.iter().enumerate() {
                    match id_number(&parts, index + 1, name) {
                        Ok(value) => {
                            attrs.insert((*name).to_owned(), json!(value));
                        }
                        Err(diagnostic) => return failed(diagnostic),
                    }
                }
            }
            _ => return failed(shape()),
        }
        DERIVED.import(attrs, shape())
    }
}
