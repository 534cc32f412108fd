//! What the three resource types share: the computed calendar attributes, reading
//! timestamps and whole numbers from attributes, and the `triggers` attribute.

use serde_json::{Value, json};
use ycprov_provider_sdk::rules::settle;
use ycprov_provider_sdk::timestamp::{Timestamp, parse_rfc3339};
use ycprov_provider_sdk::value::{get, is_unknown, unknown};
use ycprov_provider_sdk::{
    AttrType, Attribute, Attrs, Diagnostic, OPTIONAL_STRING, Outcome, ResourceSchema,
};

/// A computed whole-number attribute.
pub const fn computed_number(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        name,
        ty: AttrType::Number,
        optional: false,
        computed: true,
        description,
        ..OPTIONAL_STRING
    }
}

/// An optional whole-number attribute (an offset or a rotation period).
pub const fn optional_number(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        name,
        ty: AttrType::Number,
        description,
        ..OPTIONAL_STRING
    }
}

/// `triggers`: arbitrary values whose change replaces the resource.
pub const TRIGGERS: Attribute = Attribute {
    name: "triggers",
    ty: AttrType::MapOfString,
    force_new: true,
    description: "Arbitrary map of values that, when changed, will trigger a new base timestamp value to be saved.",
    ..OPTIONAL_STRING
};

/// The calendar attributes every type computes from its timestamp, in schema order.
pub const CALENDAR: [Attribute; 7] = [
    computed_number("year", "Number year of timestamp."),
    computed_number("month", "Number month of timestamp."),
    computed_number("day", "Number day of timestamp."),
    computed_number("hour", "Number hour of timestamp."),
    computed_number("minute", "Number minute of timestamp."),
    computed_number("second", "Number second of timestamp."),
    computed_number(
        "unix",
        "Number of seconds since epoch time, e.g. `1581489373`.",
    ),
];

/// Sets the calendar attributes of `at`.
pub fn set_calendar(attrs: &mut Attrs, at: Timestamp) {
    let civil = at.civil();
    for (name, value) in [
        ("year", civil.year),
        ("month", civil.month),
        ("day", civil.day),
        ("hour", civil.hour),
        ("minute", civil.minute),
        ("second", civil.second),
        ("unix", at.seconds),
    ] {
        attrs.insert(name.to_owned(), json!(value));
    }
}

/// Sets `name` to `at` spelled `text` and the calendar attributes to `at`'s, or all of
/// them unknown when `at` is not known yet.
pub fn set_moment(attrs: &mut Attrs, name: &str, at: Option<(Timestamp, String)>) {
    match at {
        Some((at, text)) => {
            attrs.insert(name.to_owned(), json!(text));
            set_calendar(attrs, at);
        }
        None => {
            for attribute in CALENDAR.iter().map(|a| a.name).chain([name]) {
                attrs.insert(attribute.to_owned(), unknown());
            }
        }
    }
}

/// A known timestamp attribute, `None` when null or unknown, an error when unreadable.
pub fn timestamp(attrs: &Attrs, name: &str) -> Result<Option<Timestamp>, Diagnostic> {
    match get(attrs, name) {
        Value::String(text) => parse_rfc3339(text).map(Some).map_err(|why| {
            Diagnostic::error("Invalid RFC3339 String Value", format!("\"{name}\": {why}")).at(name)
        }),
        _ => Ok(None),
    }
}

/// A known whole-number attribute, `None` when null or unknown, an error when fractional
/// or out of range.
pub fn whole_number(attrs: &Attrs, name: &str) -> Result<Option<i64>, Diagnostic> {
    match get(attrs, name) {
        Value::Number(number) => number.as_i64().map(Some).ok_or_else(|| {
            Diagnostic::error(
                "Invalid attribute value",
                format!("\"{name}\" must be a whole number, got {number}."),
            )
            .at(name)
        }),
        _ => Ok(None),
    }
}

/// Checks that configured timestamps parse and that whole numbers are whole (and at
/// least `minimum` when given).
pub fn check_values(
    config: &Attrs,
    timestamps: &[&str],
    numbers: &[&str],
    minimum: Option<i64>,
) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = timestamps
        .iter()
        .filter_map(|name| timestamp(config, name).err())
        .collect();
    for name in numbers {
        match whole_number(config, name) {
            Err(diagnostic) => diagnostics.push(diagnostic),
            Ok(Some(value)) if minimum.is_some_and(|m| value < m) => diagnostics.push(
                Diagnostic::error(
                    "Invalid attribute value",
                    format!(
                        "\"{name}\" must be at least {}, got {value}.",
                        minimum.unwrap_or_default()
                    ),
                )
                .at(*name),
            ),
            Ok(_) => {}
        }
    }
    diagnostics
}

/// An error unless at least one of `names` is configured (known or unknown).
pub fn at_least_one_of(config: &Attrs, names: &[&str]) -> Option<Diagnostic> {
    let set = names
        .iter()
        .any(|name| !get(config, name).is_null() || is_unknown(get(config, name)));
    (!set).then(|| {
        Diagnostic::error(
            "Missing Attribute Configuration",
            format!(
                "At least one of these attributes must be configured: {}.",
                names.join(", ")
            ),
        )
        .at(names[0])
    })
}

/// `base` moved by years, months and days on the calendar (overflow carrying into the
/// next month, as Go's `AddDate`), then by hours, minutes and seconds.
pub fn offset(base: Timestamp, parts: [i64; 6]) -> Timestamp {
    let [years, months, days, hours, minutes, seconds] = parts;
    base.add_date(years, months, days).plus_seconds(
        hours
            .saturating_mul(3600)
            .saturating_add(minutes.saturating_mul(60))
            .saturating_add(seconds),
    )
}

/// Reads the import id part at `index` as an optional whole number.
pub fn id_number(parts: &[&str], index: usize, name: &str) -> Result<Option<i64>, Diagnostic> {
    match parts.get(index).copied().unwrap_or("") {
        "" => Ok(None),
        text => text.parse::<i64>().map(Some).map_err(|_| {
            Diagnostic::error(
                "Unexpected Format of ID",
                format!("The {name} part of the import id must be a whole number, got {text:?}."),
            )
        }),
    }
}

/// How a resource type's computed values follow from one base timestamp attribute: the
/// plan, create and import steps the three types share.
pub struct Derived {
    /// The base attribute, e.g. `rfc3339` or `base_rfc3339`.
    pub base: &'static str,
    /// Sets the computed values (and `id`) from the base instant and its spelling.
    pub compute: fn(&mut Attrs, Timestamp, &str) -> Result<(), Diagnostic>,
}

impl Derived {
    /// The base of `attrs` with its spelling, when it is a known timestamp.
    pub fn known_base(&self, attrs: &Attrs) -> Result<Option<(Timestamp, String)>, Diagnostic> {
        Ok(timestamp(attrs, self.base)?.map(|at| {
            let text = attrs[self.base].as_str().unwrap_or_default().to_owned();
            (at, text)
        }))
    }

    /// Computes the values of `planned` from the base of `source`, when it is known.
    pub fn plan_from(
        &self,
        source: &Attrs,
        planned: &mut Attrs,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let computed = self
            .known_base(source)
            .and_then(|base| base.map_or(Ok(()), |(at, text)| (self.compute)(planned, at, &text)));
        if let Err(diagnostic) = computed {
            diagnostics.push(diagnostic);
        }
    }

    /// The state a create makes: the planned base or else `now` (whole seconds), and the
    /// values computed from it into `observed`, settled against the plan.
    pub fn create(
        &self,
        schema: &ResourceSchema,
        now: Timestamp,
        planned: &Attrs,
        mut observed: Attrs,
    ) -> Outcome {
        let base = match self.known_base(planned) {
            Ok(Some(known)) => known,
            Ok(None) => {
                let now = Timestamp {
                    seconds: now.seconds,
                    nanos: 0,
                };
                (now, now.to_rfc3339())
            }
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        match (self.compute)(&mut observed, base.0, &base.1) {
            Ok(()) => Outcome::state(settle(schema, planned, &observed)),
            Err(diagnostic) => Outcome::failed(None, diagnostic),
        }
    }

    /// The state of an import whose id gave `attrs` (with the base), or why there is none.
    pub fn import(&self, mut attrs: Attrs, shape: Diagnostic) -> Outcome {
        attrs.insert("triggers".into(), Value::Null);
        let computed = match self.known_base(&attrs) {
            Ok(Some((at, text))) => (self.compute)(&mut attrs, at, &text),
            Ok(None) => Err(shape),
            Err(diagnostic) => Err(diagnostic),
        };
        match computed {
            Ok(()) => Outcome::state(attrs),
            Err(diagnostic) => Outcome::failed(None, diagnostic),
        }
    }
}
