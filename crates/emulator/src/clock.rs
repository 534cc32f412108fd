//! Timestamps: RFC3339 formatting and the validated parsing of request timestamps.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Now in UTC, truncated to microseconds.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now)
}

/// RFC3339 in UTC `Z` form.
pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// The current time as RFC3339.
pub fn now_rfc3339() -> String {
    format(now())
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Why a request timestamp was rejected.
#[derive(Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// Not an RFC3339 timestamp.
    Malformed,
    /// Outside the 1970-01-01 .. 2105-12-31 range of request timestamps.
    OutOfRange,
}

/// Parses a request timestamp (RFC3339, any offset) bounded to 1970-01-01..2105-12-31 and
/// returns it normalised to UTC `Z` form.
pub fn parse_request_timestamp(text: &str) -> Result<String, TimestampError> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| TimestampError::Malformed)?;
    let utc = parsed.to_offset(UtcOffset::UTC);
    if utc.year() < 1970 || utc.year() > 2105 {
        return Err(TimestampError::OutOfRange);
    }
    Ok(format(utc))
}

/// RFC3339 of a Unix timestamp.
pub fn format_unix(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timestamps_are_normalised_and_bounded() {
        let table = [
            ("2030-01-02T03:04:05Z", Ok("2030-01-02T03:04:05Z")),
            ("2030-01-02T06:04:05+03:00", Ok("2030-01-02T03:04:05Z")),
            ("2030-01-02T03:04:05.5Z", Ok("2030-01-02T03:04:05.5Z")),
            ("1970-01-01T00:00:00Z", Ok("1970-01-01T00:00:00Z")),
            ("2105-12-31T23:59:59Z", Ok("2105-12-31T23:59:59Z")),
            ("1969-12-31T23:59:59Z", Err(TimestampError::OutOfRange)),
            ("2106-01-01T00:00:00Z", Err(TimestampError::OutOfRange)),
            ("2030-01-02", Err(TimestampError::Malformed)),
            ("tomorrow", Err(TimestampError::Malformed)),
        ];
        for (input, expected) in table {
            assert_eq!(
                parse_request_timestamp(input),
                expected.map(str::to_string),
                "{input}"
            );
        }
    }

    #[test]
    fn unix_round_trip() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(60), "1970-01-01T00:01:00Z");
    }
}
