//! `clock`: wall-clock time (from the host's clock, which a test may move), bounded
//! sleeps and randomness.

use std::time::{Duration, UNIX_EPOCH};

use super::HostState;
use crate::bindings::clock::{Host, Instant};

impl Host for HostState {
    fn now(&mut self) -> wasmtime::Result<Instant> {
        let since_epoch = self
            .caps
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Ok(Instant {
            seconds: since_epoch.as_secs() as i64,
            nanoseconds: since_epoch.subsec_nanos(),
        })
    }

    fn sleep(&mut self, millis: u32) -> wasmtime::Result<()> {
        let wanted = Duration::from_millis(u64::from(millis));
        std::thread::sleep(wanted.min(self.caps.policy.max_sleep));
        Ok(())
    }

    fn random(&mut self) -> wasmtime::Result<u64> {
        Ok(rand::random())
    }
}
