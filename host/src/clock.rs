//! The host's clock, which the providers' `clock` import and the engine's `timestamp()`
//! read: the system clock, or a test clock.
//!
//! `YCPROV_TEST_NOW=<RFC3339>` starts the clock at that instant when the process starts
//! (it then runs at the normal pace). Tests use it to move a configuration past a
//! rotation time without waiting; it changes nothing about credentials or the cloud.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use ycprov_runtime::{Clock, SystemClock};

/// The environment variable that sets the test clock.
pub const TEST_NOW_VAR: &str = "YCPROV_TEST_NOW";

/// A clock that starts at a given instant and runs from there.
struct TestClock {
    start: SystemTime,
    began: Instant,
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        self.start + self.began.elapsed()
    }
}

fn configured() -> &'static Result<Option<SystemTime>, String> {
    static CONFIGURED: OnceLock<Result<Option<SystemTime>, String>> = OnceLock::new();
    CONFIGURED.get_or_init(|| match std::env::var(TEST_NOW_VAR) {
        Err(_) => Ok(None),
        Ok(text) => parse(&text).map(Some).map_err(|e| format!("{e:#}")),
    })
}

fn parse(text: &str) -> Result<SystemTime> {
    let at = OffsetDateTime::parse(text.trim(), &Rfc3339)
        .with_context(|| format!("{TEST_NOW_VAR}={text:?} is not an RFC3339 timestamp"))?;
    let seconds = at.unix_timestamp();
    if seconds < 0 {
        bail!("{TEST_NOW_VAR}={text:?} is before 1970");
    }
    Ok(UNIX_EPOCH + Duration::from_secs(seconds as u64))
}

/// Refuses an unreadable `YCPROV_TEST_NOW` before anything runs.
pub fn check() -> Result<()> {
    match configured() {
        Err(why) => bail!("{why}"),
        Ok(_) => Ok(()),
    }
}

/// The clock every provider reads.
pub fn host_clock() -> Arc<dyn Clock> {
    static CLOCK: OnceLock<Arc<dyn Clock>> = OnceLock::new();
    CLOCK
        .get_or_init(|| match configured() {
            Ok(Some(start)) => Arc::new(TestClock {
                start: *start,
                began: Instant::now(),
            }),
            _ => Arc::new(SystemClock),
        })
        .clone()
}

/// The host clock's current time for the engine.
pub fn now() -> OffsetDateTime {
    let since_epoch = host_clock()
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    OffsetDateTime::from_unix_timestamp(since_epoch.as_secs() as i64)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
}
