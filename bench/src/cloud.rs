//! The emulated cloud of one scenario: an in-process emulator with a set latency, quotas that
//! fit the largest workload, and a record of every exchange; plus request counts between two
//! moments.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use yc_emulator::{Config, Emulator, Faults, Quotas, Stats};

/// The latency the emulator adds to every response: `fixed_ms` plus a uniformly random
/// `0..=jitter_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Added to every response.
    pub fixed_ms: u64,
    /// The most random delay added on top.
    pub jitter_ms: u64,
}

impl Latency {
    /// The main tables: 20 ms per request.
    pub const FAST: Latency = Latency {
        fixed_ms: 20,
        jitter_ms: 0,
    };

    /// Closer to a real cloud seen from outside: 80 ms ± 40 ms per request.
    pub const REALISTIC: Latency = Latency {
        fixed_ms: 40,
        jitter_ms: 80,
    };

    /// The mean latency of one request, in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        self.fixed_ms as f64 + self.jitter_ms as f64 / 2.0
    }

    /// How the report names it: `20 ms` or `80 ms ± 40 ms`.
    pub fn describe(&self) -> String {
        if self.jitter_ms == 0 {
            format!("{} ms", self.fixed_ms)
        } else {
            format!("{} ms ± {} ms", self.mean_ms(), self.jitter_ms / 2)
        }
    }
}

/// Quota for service accounts and API keys: well above the largest workload.
const QUOTA: usize = 10_000;

/// A running emulator and the file it records exchanges to.
pub struct Cloud {
    /// The emulator.
    pub emulator: Emulator,
    /// Its latency per request.
    pub latency: Latency,
    /// One JSON line per HTTP exchange (see [`crate::chains`]).
    pub record_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Cloud {
    /// Starts a fresh emulator with [`Latency::FAST`] and raised quotas.
    pub fn start() -> Result<Cloud> {
        Cloud::start_with(Latency::FAST)
    }

    /// Starts a fresh emulator with `latency` and raised quotas.
    pub fn start_with(latency: Latency) -> Result<Cloud> {
        let dir = tempfile::tempdir().context("creating the emulator's record directory")?;
        let record_file = dir.path().join("exchanges.jsonl");
        let config = Config {
            faults: Faults {
                latency_ms: latency.fixed_ms,
                latency_jitter_ms: latency.jitter_ms,
                ..Faults::default()
            },
            quotas: Quotas {
                service_accounts: QUOTA,
                api_keys: QUOTA,
                access_bindings: QUOTA,
            },
            record_file: Some(record_file.clone()),
            ..Config::default()
        };
        let emulator = Emulator::start(config).context("starting the emulator")?;
        Ok(Cloud {
            emulator,
            latency,
            record_file,
            _dir: dir,
        })
    }

    /// The seeded folder.
    pub fn folder_id(&self) -> &str {
        &self.emulator.seed().folder_id
    }

    /// The current request counters and the size of the record file (the mark of "now").
    pub fn mark(&self) -> Result<Mark> {
        let record_offset = std::fs::metadata(&self.record_file)
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(Mark {
            stats: self.emulator.stats(),
            record_offset,
        })
    }

    /// The requests made since `since`, by endpoint.
    pub fn calls_since(&self, since: &Mark) -> Calls {
        Calls::between(&since.stats, &self.emulator.stats())
    }

    /// The exchanges recorded since `since`, one JSON text per line.
    pub fn exchanges_since(&self, since: &Mark) -> Result<String> {
        let bytes = std::fs::read(&self.record_file)
            .with_context(|| format!("reading {}", self.record_file.display()))?;
        let start = usize::try_from(since.record_offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        String::from_utf8(bytes[start..].to_vec()).context("the record file is not UTF-8")
    }
}

/// A moment in a cloud's life: its counters and the length of its record.
pub struct Mark {
    stats: Stats,
    record_offset: u64,
}

/// Requests between two moments, by endpoint (`"METHOD /route/template"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    /// Requests per endpoint (only endpoints with at least one request).
    pub by_endpoint: BTreeMap<String, u64>,
}

impl Calls {
    /// The difference `after - before`.
    pub fn between(before: &Stats, after: &Stats) -> Calls {
        let by_endpoint = after
            .requests
            .iter()
            .map(|(endpoint, count)| (endpoint.clone(), count - before.count(endpoint)))
            .filter(|(_, count)| *count > 0)
            .collect();
        Calls { by_endpoint }
    }

    /// All requests.
    pub fn total(&self) -> u64 {
        self.by_endpoint.values().sum()
    }

    /// Requests to one endpoint.
    pub fn count(&self, endpoint: &str) -> u64 {
        self.by_endpoint.get(endpoint).copied().unwrap_or(0)
    }

    /// Requests to endpoints whose template contains `fragment`.
    pub fn matching(&self, fragment: &str) -> u64 {
        self.by_endpoint
            .iter()
            .filter(|(endpoint, _)| endpoint.contains(fragment))
            .map(|(_, count)| count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pairs: &[(&str, u64)]) -> Stats {
        let mut stats = Stats::default();
        for (endpoint, count) in pairs {
            for _ in 0..*count {
                stats.record_request(endpoint);
            }
        }
        stats
    }

    #[test]
    fn latency_is_described_by_its_mean() {
        assert_eq!(Latency::FAST.mean_ms(), 20.0);
        assert_eq!(Latency::FAST.describe(), "20 ms");
        assert_eq!(Latency::REALISTIC.mean_ms(), 80.0);
        assert_eq!(Latency::REALISTIC.describe(), "80 ms ± 40 ms");
    }

    #[test]
    fn calls_are_the_difference_of_two_counters() {
        let before = stats(&[("GET /a", 2), ("POST /b", 1)]);
        let after = stats(&[("GET /a", 5), ("POST /b", 1), ("GET /c:list", 4)]);
        let calls = Calls::between(&before, &after);
        assert_eq!(
            calls.by_endpoint,
            BTreeMap::from([("GET /a".to_string(), 3), ("GET /c:list".to_string(), 4)])
        );
        assert_eq!(calls.total(), 7);
        assert_eq!(calls.count("POST /b"), 0);
        assert_eq!(calls.matching(":list"), 4);
    }

    #[test]
    fn cloud_counts_and_records_the_requests_since_a_mark() {
        let cloud = Cloud::start().unwrap();
        let url = format!(
            "{}/resource-manager/v1/folders/{}",
            cloud.emulator.base_url(),
            cloud.folder_id()
        );
        let token = format!("Bearer {}", cloud.emulator.seed().admin_token);
        let get = || {
            ureq::get(&url)
                .header("Authorization", &token)
                .call()
                .unwrap();
        };
        get();
        let mark = cloud.mark().unwrap();
        get();
        get();
        let calls = cloud.calls_since(&mark);
        assert_eq!(calls.total(), 2, "{calls:?}");
        assert_eq!(
            calls.count("GET /resource-manager/v1/folders/{folderId}"),
            2,
            "{calls:?}"
        );
        let exchanges = cloud.exchanges_since(&mark).unwrap();
        assert_eq!(exchanges.lines().count(), 2, "{exchanges}");
    }
}
