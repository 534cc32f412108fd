use std::cell::Cell;

use serde_json::{Value, json};
use ycprov_provider_sdk::guest::Clock;
use ycprov_provider_sdk::timestamp::{Timestamp, parse_rfc3339};

use super::Provider;

/// A clock the test moves.
struct FakeClock(Cell<i64>);

impl FakeClock {
    fn at(rfc3339: &str) -> FakeClock {
        FakeClock(Cell::new(parse_rfc3339(rfc3339).unwrap().seconds))
    }
    fn advance_days(&self, days: i64) {
        self.0.set(self.0.get() + days * 86_400);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp {
            seconds: self.0.get(),
            nanos: 250_000_000,
        }
    }
}

fn object(text: &str) -> serde_json::Map<String, Value> {
    serde_json::from_str::<Value>(text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

/// Plans and applies a create of `config`; returns the state.
fn create(provider: &Provider, clock: &FakeClock, type_name: &str, config: Value) -> Value {
    let config = config.to_string();
    let plan = provider.plan(clock, type_name, None, Some(&config));
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let applied = provider.apply(clock, type_name, None, plan.planned.as_deref());
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    serde_json::from_str(&applied.state.unwrap()).unwrap()
}

#[test]
fn creates_take_the_clock_or_the_configured_time() {
    let provider = Provider::new();
    let clock = FakeClock::at("2031-01-31T10:20:30Z");
    let cases = [
        (
            "time_static",
            json!({}),
            "rfc3339",
            "2031-01-31T10:20:30Z",
            2031,
            1,
            31,
        ),
        (
            "time_static",
            json!({"rfc3339": "2030-05-06T07:08:09Z"}),
            "rfc3339",
            "2030-05-06T07:08:09Z",
            2030,
            5,
            6,
        ),
        (
            "time_offset",
            json!({"offset_months": 1}),
            "rfc3339",
            "2031-03-03T10:20:30Z",
            2031,
            3,
            3,
        ),
        (
            "time_offset",
            json!({"base_rfc3339": "2030-01-01T00:00:00Z", "offset_days": -1, "offset_hours": 2}),
            "rfc3339",
            "2029-12-31T02:00:00Z",
            2029,
            12,
            31,
        ),
        (
            "time_rotating",
            json!({"rotation_days": 30}),
            "rotation_rfc3339",
            "2031-03-02T10:20:30Z",
            2031,
            3,
            2,
        ),
        (
            "time_rotating",
            json!({"rotation_years": 1, "rotation_days": 3}),
            "rotation_rfc3339",
            "2032-01-31T10:20:30Z",
            2032,
            1,
            31,
        ),
        (
            "time_rotating",
            json!({"rotation_rfc3339": "2031-06-01T00:00:00Z"}),
            "rotation_rfc3339",
            "2031-06-01T00:00:00Z",
            2031,
            6,
            1,
        ),
    ];
    for (type_name, config, attribute, expected, year, month, day) in cases {
        let state = create(&provider, &clock, type_name, config.clone());
        assert_eq!(state[attribute], json!(expected), "{type_name} {config}");
        assert_eq!(
            (
                state["year"].clone(),
                state["month"].clone(),
                state["day"].clone()
            ),
            (json!(year), json!(month), json!(day)),
            "{type_name} {config}"
        );
        assert!(state["id"].is_string(), "{type_name} {config}");
    }
}

#[test]
fn a_rotation_that_has_passed_is_planned_as_a_replacement() {
    let provider = Provider::new();
    let clock = FakeClock::at("2031-01-01T00:00:00Z");
    let config = json!({"rotation_days": 30}).to_string();
    let state = create(
        &provider,
        &clock,
        "time_rotating",
        json!({"rotation_days": 30}),
    )
    .to_string();
    for (days, replaced) in [(0, false), (29, false), (2, true)] {
        clock.advance_days(days);
        let plan = provider.plan(&clock, "time_rotating", Some(&state), Some(&config));
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        let expected: Vec<String> = if replaced {
            vec!["rotation_rfc3339".into()]
        } else {
            vec![]
        };
        assert_eq!(plan.requires_replace, expected, "after {days} more days");
        let planned = object(plan.planned.as_deref().unwrap());
        assert_eq!(planned["rotation_rfc3339"].is_string(), !replaced);
    }
}

#[test]
fn changing_an_offset_or_a_period_updates_in_place() {
    let provider = Provider::new();
    let clock = FakeClock::at("2031-01-01T00:00:00Z");
    let cases = [
        (
            "time_offset",
            json!({"offset_days": 1}),
            json!({"offset_days": 2}),
            "rfc3339",
            "2031-01-03T00:00:00Z",
        ),
        (
            "time_rotating",
            json!({"rotation_days": 1}),
            json!({"rotation_hours": 5}),
            "rotation_rfc3339",
            "2031-01-01T05:00:00Z",
        ),
    ];
    for (type_name, before, after, attribute, expected) in cases {
        let state = create(&provider, &clock, type_name, before).to_string();
        let plan = provider.plan(&clock, type_name, Some(&state), Some(&after.to_string()));
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        assert!(plan.requires_replace.is_empty(), "{type_name}");
        let planned = object(plan.planned.as_deref().unwrap());
        assert_eq!(planned[attribute], json!(expected), "{type_name}");
        let applied = provider.apply(&clock, type_name, Some(&state), plan.planned.as_deref());
        assert_eq!(object(&applied.state.unwrap())[attribute], json!(expected));
    }
}

#[test]
fn bad_configurations_are_refused_with_the_attribute() {
    let provider = Provider::new();
    let clock = FakeClock::at("2031-01-01T00:00:00Z");
    let cases = [
        (
            "time_rotating",
            json!({}),
            "Missing Attribute Configuration",
            "rotation_years",
        ),
        (
            "time_rotating",
            json!({"rotation_days": 0}),
            "Invalid attribute value",
            "rotation_days",
        ),
        (
            "time_rotating",
            json!({"rotation_days": 1, "rfc3339": "soon"}),
            "Invalid RFC3339 String Value",
            "rfc3339",
        ),
        (
            "time_offset",
            json!({}),
            "Missing Attribute Configuration",
            "offset_years",
        ),
        (
            "time_offset",
            json!({"offset_days": 1.5}),
            "Invalid attribute value",
            "offset_days",
        ),
        (
            "time_static",
            json!({"rfc3339": "2030-13-01T00:00:00Z"}),
            "Invalid RFC3339 String Value",
            "rfc3339",
        ),
        (
            "time_static",
            json!({"id": "x"}),
            "Invalid configuration for read-only attribute",
            "id",
        ),
    ];
    for (type_name, config, summary, attribute) in cases {
        let plan = provider.plan(&clock, type_name, None, Some(&config.to_string()));
        assert!(plan.planned.is_none(), "{type_name} {config}");
        let found: Vec<(String, String)> = plan
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.summary.clone(),
                    d.attribute
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                )
            })
            .collect();
        assert!(
            found.contains(&(summary.to_owned(), attribute.to_owned())),
            "{type_name} {config}: {found:?}"
        );
    }
}

#[test]
fn imports_take_terraform_provider_time_ids() {
    let provider = Provider::new();
    let clock = FakeClock::at("2031-01-01T00:00:00Z");
    let good = [
        (
            "time_static",
            "2030-01-02T03:04:05Z",
            "rfc3339",
            json!("2030-01-02T03:04:05Z"),
        ),
        (
            "time_offset",
            "2030-01-01T00:00:00Z,,,7,,,",
            "rfc3339",
            json!("2030-01-08T00:00:00Z"),
        ),
        (
            "time_offset",
            "2030-01-01T00:00:00Z,1,0,0,0,0,30",
            "rfc3339",
            json!("2031-01-01T00:00:30Z"),
        ),
        (
            "time_rotating",
            "2030-01-01T00:00:00Z,,,30,,",
            "rotation_rfc3339",
            json!("2030-01-31T00:00:00Z"),
        ),
        (
            "time_rotating",
            "2030-01-01T00:00:00Z,2030-02-01T00:00:00Z",
            "rotation_rfc3339",
            json!("2030-02-01T00:00:00Z"),
        ),
    ];
    for (type_name, id, attribute, expected) in good {
        let imported = provider.import_resource(&clock, type_name, id);
        assert!(
            imported.diagnostics.is_empty(),
            "{type_name} {id}: {:?}",
            imported.diagnostics
        );
        assert_eq!(
            object(&imported.state.unwrap())[attribute],
            expected,
            "{type_name} {id}"
        );
    }
    let bad = [
        ("time_static", "yesterday"),
        ("time_offset", "2030-01-01T00:00:00Z,,,,,,"),
        ("time_offset", "2030-01-01T00:00:00Z,1"),
        ("time_rotating", "2030-01-01T00:00:00Z"),
        ("time_rotating", "2030-01-01T00:00:00Z,,,x,,"),
        ("time_rotating", "later,2030-02-01T00:00:00Z"),
    ];
    for (type_name, id) in bad {
        let imported = provider.import_resource(&clock, type_name, id);
        assert!(imported.state.is_none(), "{type_name} {id}");
        assert!(!imported.diagnostics.is_empty(), "{type_name} {id}");
    }
}
