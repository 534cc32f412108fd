//! Attribute paths and calendar arithmetic.

use ycprov_provider_sdk::timestamp::parse_rfc3339;
use ycprov_provider_sdk::{AttributePath, PathStep};

#[test]
fn attribute_paths_parse_and_print() {
    let cases = [
        (
            "scopes[1]",
            vec![PathStep::Attribute("scopes".into()), PathStep::Index(1)],
        ),
        (
            "labels.team",
            vec![
                PathStep::Attribute("labels".into()),
                PathStep::Attribute("team".into()),
            ],
        ),
        (
            "rule[\"a.b\"]",
            vec![
                PathStep::Attribute("rule".into()),
                PathStep::Key("a.b".into()),
            ],
        ),
    ];
    for (text, steps) in cases {
        let path = AttributePath::parse(text);
        assert_eq!(path.0, steps, "{text}");
        assert_eq!(path.to_string(), text);
    }
    let built = AttributePath::root("tags").index(0);
    assert_eq!(built.to_string(), "tags[0]");
}

#[test]
fn dates_add_like_go_and_print_as_rfc3339() {
    let cases = [
        ("2031-01-31T10:00:00Z", (0, 1, 0), "2031-03-03T10:00:00Z"),
        ("2032-01-31T10:00:00Z", (0, 1, 0), "2032-03-02T10:00:00Z"),
        ("2030-12-15T00:00:00Z", (0, 1, 0), "2031-01-15T00:00:00Z"),
        ("2030-03-15T00:00:00Z", (0, -3, 0), "2029-12-15T00:00:00Z"),
        ("2028-02-29T23:59:59Z", (1, 0, 0), "2029-03-01T23:59:59Z"),
        ("2030-01-01T00:00:00Z", (0, 0, -1), "2029-12-31T00:00:00Z"),
        ("1969-12-31T12:00:00Z", (0, 0, 1), "1970-01-01T12:00:00Z"),
        (
            "2030-06-01T05:00:00+03:00",
            (0, 0, 0),
            "2030-06-01T02:00:00Z",
        ),
    ];
    for (start, (years, months, days), expected) in cases {
        let moved = parse_rfc3339(start).unwrap().add_date(years, months, days);
        assert_eq!(
            moved.to_rfc3339(),
            expected,
            "{start} + {years}y{months}m{days}d"
        );
    }
}
