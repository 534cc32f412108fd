//! Fault injection: reproducible with a seed, never on /_emulator/*.

use std::time::{Duration, Instant};

use yc_emulator::{Config, Faults};

use crate::common::{Client, assert_error, start, start_with};

fn outcomes(seed: u64) -> Vec<String> {
    let emulator = start_with(Config {
        seed,
        faults: Faults {
            rate_429: 0.2,
            rate_503: 0.2,
            rate_reset: 0.1,
            ..Faults::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    let path = format!("/resource-manager/v1/folders/{}", emulator.seed().folder_id);
    let outcomes: Vec<String> = (0..80)
        .map(|_| match client.try_send("GET", &path, None, &[]) {
            Ok(reply) => reply.status.to_string(),
            Err(_) => "reset".to_string(),
        })
        .collect();
    let stats = emulator.stats();
    let count = |outcome: &str| outcomes.iter().filter(|o| *o == outcome).count() as u64;
    assert_eq!(
        stats.injected_faults.get("429").copied().unwrap_or(0),
        count("429")
    );
    assert_eq!(
        stats.injected_faults.get("503").copied().unwrap_or(0),
        count("503")
    );
    assert_eq!(
        stats.injected_faults.get("reset").copied().unwrap_or(0),
        count("reset")
    );
    outcomes
}

#[test]
fn faults_are_reproducible_with_a_seed() {
    let first = outcomes(7);
    assert_eq!(first, outcomes(7));
    for outcome in ["200", "429", "503", "reset"] {
        assert!(first.iter().any(|o| o == outcome), "{outcome} in {first:?}");
    }
    assert_ne!(first, outcomes(8), "another seed, other faults");
}

#[test]
fn fault_kinds_table() {
    let emulator = start();
    let client = Client::admin(&emulator);
    let path = format!("/resource-manager/v1/folders/{}", emulator.seed().folder_id);

    emulator.set_faults(Faults {
        rate_429: 1.0,
        ..Faults::default()
    });
    let reply = client.get(&path);
    assert_error(&reply, 429, 8, "Too many requests");
    assert_eq!(reply.header("retry-after"), Some("1"));

    emulator.set_faults(Faults {
        rate_503: 1.0,
        ..Faults::default()
    });
    assert_error(&client.get(&path), 503, 14, "temporarily unavailable");

    emulator.set_faults(Faults {
        rate_reset: 1.0,
        rate_429: 1.0,
        rate_503: 1.0,
        latency_ms: 1,
        ..Faults::default()
    });
    assert!(client.try_send("GET", &path, None, &[]).is_err());
    for internal in ["/_emulator/stats", "/_emulator/state"] {
        let reply = client.get(internal);
        assert_eq!(reply.status, 200, "{internal} is never faulted");
    }

    emulator.set_faults(Faults::default());
    client.get(&path).ok();
}

#[test]
fn latency_is_added() {
    let emulator = start_with(Config {
        faults: Faults {
            latency_ms: 120,
            latency_jitter_ms: 30,
            ..Faults::default()
        },
        ..Config::default()
    });
    let client = Client::admin(&emulator);
    for attempt in 0..4 {
        let started = Instant::now();
        client.get("/endpoints").ok();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(120),
            "request {attempt} answered early, after {took:?}"
        );
    }
    let started = Instant::now();
    client.get("/_emulator/stats").ok();
    assert!(started.elapsed() < Duration::from_millis(120));
}
