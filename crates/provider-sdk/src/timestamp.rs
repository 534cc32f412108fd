//! RFC3339 timestamps: parsing (for validation and for comparing two spellings of one
//! instant), formatting, and calendar arithmetic.

/// An instant as seconds since the Unix epoch plus nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

/// The earliest instant a request timestamp may carry (1970-01-01T00:00:00Z).
pub const REQUEST_MIN: Timestamp = Timestamp {
    seconds: 0,
    nanos: 0,
};

/// The latest instant a request timestamp may carry (2105-12-31T23:59:59.999999999Z).
pub const REQUEST_MAX: Timestamp = Timestamp {
    seconds: 4_291_747_199,
    nanos: 999_999_999,
};

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the text says what is wrong.
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    let bytes = text.as_bytes();
    let shape_error =
        || format!("{text:?} is not an RFC3339 timestamp such as 2030-01-31T12:00:00Z");
    if bytes.len() < 20 || !text.is_ascii() {
        return Err(shape_error());
    }
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_ok {
        return Err(shape_error());
    }
    let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            Ok(part.parse::<i64>().unwrap_or(0))
        } else {
            Err(shape_error())
        }
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let mut rest = &text[19..];
    let mut nanos: u32 = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(format!(
                "{text:?} has a fraction of seconds with other than 1-9 digits"
            ));
        }
        let padded = format!("{:0<9}", &fraction[..digits]);
        nanos = padded.parse::<u32>().map_err(|_| shape_error())?;
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':' =>
        {
            let hours = number_in(rest, 1..3).ok_or_else(shape_error)?;
            let minutes = number_in(rest, 4..6).ok_or_else(shape_error)?;
            if hours > 23 || minutes > 59 {
                return Err(format!("{text:?} has an invalid UTC offset"));
            }
            let magnitude = hours * 3600 + minutes * 60;
            if rest.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return Err(shape_error()),
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("{text:?} is not a valid calendar date"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("{text:?} is not a valid time of day"));
    }
    let second = second.min(59);
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_seconds;
    Ok(Timestamp { seconds, nanos })
}

/// Parses a timestamp for a request field and checks the 1970-2105 range Yandex accepts.
pub fn parse_request_timestamp(text: &str) -> Result<Timestamp, String> {
    let timestamp = parse_rfc3339(text)?;
    if timestamp < REQUEST_MIN || timestamp > REQUEST_MAX {
        return Err(format!(
            "{text:?} is outside the accepted range 1970-01-01 to 2105-12-31"
        ));
    }
    Ok(timestamp)
}

/// Whether two strings are RFC3339 spellings of the same instant.
pub fn same_instant(left: &str, right: &str) -> bool {
    left == right || matches!((parse_rfc3339(left), parse_rfc3339(right)), (Ok(a), Ok(b)) if a == b)
}

/// A date and time of day in UTC, as the calendar shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// The year (proleptic Gregorian).
    pub year: i64,
    /// The month, 1..=12.
    pub month: i64,
    /// The day of the month, 1..=31.
    pub day: i64,
    /// The hour, 0..=23.
    pub hour: i64,
    /// The minute, 0..=59.
    pub minute: i64,
    /// The second, 0..=59.
    pub second: i64,
}

impl Timestamp {
    /// The calendar date and time of day in UTC.
    pub fn civil(self) -> Civil {
        let days = self.seconds.div_euclid(86_400);
        let of_day = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day % 3600 / 60,
            second: of_day % 60,
        }
    }

    /// RFC3339 in UTC with whole seconds, e.g. `2030-01-31T12:00:00Z` (as Go's
    /// `time.RFC3339` layout prints a UTC time).
    pub fn to_rfc3339(self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }

    /// The instant `seconds` later (earlier when negative), saturating at the range of `i64`.
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp {
            seconds: self.seconds.saturating_add(seconds),
            nanos: self.nanos,
        }
    }

    /// Adds years, months and days to the calendar date, keeping the time of day; an
    /// overflowing day carries into the next month (Jan 31 + 1 month = Mar 2 or 3), as
    /// Go's `Time.AddDate` does.
    pub fn add_date(self, years: i64, months: i64, days: i64) -> Timestamp {
        let c = self.civil();
        let month_index = (c.month - 1).saturating_add(months);
        let year = c
            .year
            .saturating_add(years)
            .saturating_add(month_index.div_euclid(12));
        let month = month_index.rem_euclid(12) + 1;
        let day_count = days_from_civil(year, month, 1)
            .saturating_add(c.day - 1)
            .saturating_add(days);
        Timestamp {
            seconds: day_count
                .saturating_mul(86_400)
                .saturating_add(c.hour * 3600 + c.minute * 60 + c.second),
            nanos: self.nanos,
        }
    }
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn number_in(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    part.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| part.parse().ok())
        .flatten()
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_timestamps() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2030-01-31T12:00:00Z", 1_896_091_200, 0),
            ("2030-01-31T15:00:00+03:00", 1_896_091_200, 0),
            ("2030-01-31t12:00:00.5z", 1_896_091_200, 500_000_000),
            ("2024-02-29T00:00:00.123456789Z", 1_709_164_800, 123_456_789),
            ("2105-12-31T23:59:59Z", 4_291_747_199, 0),
        ];
        for (text, seconds, nanos) in cases {
            assert_eq!(
                parse_rfc3339(text),
                Ok(Timestamp { seconds, nanos }),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_timestamps() {
        let cases = [
            "",
            "2030-01-31",
            "2030-01-31 12:00:00Z",
            "2030-01-31T12:00:00",
            "2030-02-30T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2030-13-01T12:00:00Z",
            "2030-01-31T24:00:00Z",
            "2030-01-31T12:00:00.Z",
            "2030-01-31T12:00:00.1234567890Z",
            "2030-01-31T12:00:00+3:00",
            "2030-01-31T12:00:00+24:00",
            "2030-01-3aT12:00:00Z",
        ];
        for text in cases {
            assert!(parse_rfc3339(text).is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn request_range_is_enforced() {
        assert!(parse_request_timestamp("1969-12-31T23:59:59Z").is_err());
        assert!(parse_request_timestamp("2106-01-01T00:00:00Z").is_err());
        assert!(parse_request_timestamp("2105-12-31T23:59:59.999999999Z").is_ok());
    }

    #[test]
    fn same_instant_compares_spellings() {
        assert!(same_instant(
            "2030-01-31T12:00:00Z",
            "2030-01-31T15:00:00+03:00"
        ));
        assert!(same_instant(
            "2030-01-31T12:00:00Z",
            "2030-01-31T12:00:00.000Z"
        ));
        assert!(!same_instant(
            "2030-01-31T12:00:00Z",
            "2030-01-31T12:00:01Z"
        ));
        assert!(same_instant("garbage", "garbage"));
    }
}
