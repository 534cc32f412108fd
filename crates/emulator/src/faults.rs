//! Seeded, reproducible fault injection.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::Faults;

/// What happens to one request before it reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFault {
    /// Served normally.
    None,
    /// The connection is closed without a response.
    Reset,
    /// 429 RESOURCE_EXHAUSTED with `Retry-After`.
    TooManyRequests,
    /// 503 UNAVAILABLE.
    Unavailable,
}

/// The fault settings and the generator that draws them.
pub struct FaultInjector {
    faults: Faults,
    seed: u64,
    rng: StdRng,
}

fn fault_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ 0xFA01_7FA0_17FA_017F)
}

impl FaultInjector {
    /// An injector for `faults`, seeded with `seed`.
    pub fn new(faults: Faults, seed: u64) -> FaultInjector {
        FaultInjector {
            faults,
            seed,
            rng: fault_rng(seed),
        }
    }

    /// The current settings.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Replaces the settings and restarts the seeded sequence, so what follows is reproducible.
    pub fn set(&mut self, faults: Faults) {
        self.faults = faults;
        self.rng = fault_rng(self.seed);
    }

    /// Draws the delay and the fault of one request. Without request faults nothing is drawn.
    pub fn draw_request(&mut self) -> (Duration, RequestFault) {
        if !self.faults.affects_requests() {
            return (Duration::ZERO, RequestFault::None);
        }
        let jitter = if self.faults.latency_jitter_ms > 0 {
            self.rng.random_range(0..=self.faults.latency_jitter_ms)
        } else {
            0
        };
        let delay = Duration::from_millis(self.faults.latency_ms + jitter);
        let reset: f64 = self.rng.random();
        let too_many: f64 = self.rng.random();
        let unavailable: f64 = self.rng.random();
        let fault = if reset < self.faults.rate_reset {
            RequestFault::Reset
        } else if too_many < self.faults.rate_429 {
            RequestFault::TooManyRequests
        } else if unavailable < self.faults.rate_503 {
            RequestFault::Unavailable
        } else {
            RequestFault::None
        };
        (delay, fault)
    }

    /// Whether a new Operation fails (its change is then not applied).
    pub fn draw_failed_operation(&mut self) -> bool {
        self.faults.rate_failed_operation > 0.0
            && self.rng.random::<f64>() < self.faults.rate_failed_operation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(injector: &mut FaultInjector) -> Vec<RequestFault> {
        (0..200).map(|_| injector.draw_request().1).collect()
    }

    #[test]
    fn same_seed_same_faults() {
        let faults = Faults {
            rate_429: 0.2,
            rate_503: 0.2,
            rate_reset: 0.1,
            ..Faults::default()
        };
        let mut a = FaultInjector::new(faults.clone(), 5);
        let mut b = FaultInjector::new(faults.clone(), 5);
        let first = sequence(&mut a);
        assert_eq!(first, sequence(&mut b));
        assert!(first.contains(&RequestFault::Reset));
        assert!(first.contains(&RequestFault::TooManyRequests));
        assert!(first.contains(&RequestFault::Unavailable));
        assert!(first.contains(&RequestFault::None));
        a.set(faults);
        assert_eq!(sequence(&mut a), first, "set() restarts the sequence");
    }

    #[test]
    fn no_faults_by_default() {
        let mut injector = FaultInjector::new(Faults::default(), 1);
        assert!(
            sequence(&mut injector)
                .iter()
                .all(|f| *f == RequestFault::None)
        );
        assert!(!injector.draw_failed_operation());
    }

    #[test]
    fn latency_stays_within_jitter() {
        let mut injector = FaultInjector::new(
            Faults {
                latency_ms: 10,
                latency_jitter_ms: 5,
                ..Faults::default()
            },
            1,
        );
        for _ in 0..100 {
            let (delay, _) = injector.draw_request();
            assert!((10..=15).contains(&delay.as_millis()));
        }
    }
}
