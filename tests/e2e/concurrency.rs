//! Two runs at once: on one state the lock lets one win and the other fail fast, naming
//! the holder; on two states that grant roles on one folder both succeed and no binding
//! is lost (folder IAM changes are deltas, never a rewrite of the whole policy).

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use yc_emulator::{Config, Faults};

use crate::support::{Cloud, Run, spawn_piped};

fn workspace(tf: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), tf).unwrap();
    dir
}

fn lock_id(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join(".terraform.tfstate.lock.info")).unwrap();
    let info: Value = serde_json::from_str(&text).unwrap();
    info["ID"].as_str().unwrap().to_string()
}

#[test]
fn two_applies_on_one_state_one_wins_the_other_fails_fast() {
    let cloud = Cloud::start();
    let dir = workspace(
        r#"
resource "yandex_iam_service_account" "only" {
  name = "sa-contended"
}
"#,
    );
    let (reached_tx, reached_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let reached_tx = Mutex::new(reached_tx);
    let release_rx = Mutex::new(release_rx);
    cloud
        .emulator
        .set_request_hook(Some(Arc::new(move |number| {
            if number == 1 {
                let _ = reached_tx.lock().unwrap().send(());
                let _ = release_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(60));
            }
        })));

    let mut first: Command = cloud.command_in(dir.path());
    let first = spawn_piped(first.args(["apply", "-auto-approve"]));
    reached_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the first apply reached its create");
    let holder = lock_id(dir.path());
    let requests_before = cloud.emulator.stats().total_requests;

    let started = Instant::now();
    let second = Run::of(
        cloud
            .command_in(dir.path())
            .args(["apply", "-auto-approve"]),
    );
    let took = started.elapsed();
    let requests_by_second = cloud.emulator.stats().total_requests - requests_before;
    release_tx.send(()).unwrap();
    let first = first.wait_with_output().unwrap();

    assert_eq!(second.code, 1, "{}", second.stderr);
    for expected in [
        "Error acquiring the state lock",
        "Operation: apply",
        &format!("ID:        {holder}"),
        &format!("force-unlock {holder}"),
    ] {
        assert!(
            second.stderr.contains(expected),
            "no {expected:?} in:\n{}",
            second.stderr
        );
    }
    assert!(
        second.stderr.contains("Who:       ") && second.stderr.contains('@'),
        "{}",
        second.stderr
    );
    assert_eq!(requests_by_second, 0, "the loser made no API call");
    assert!(took < Duration::from_secs(20), "it failed fast: {took:?}");

    assert!(
        first.status.success(),
        "the winner failed:\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("1 added"));
    assert_eq!(cloud.emulator.snapshot().service_accounts.len(), 1);
    assert!(!dir.path().join(".terraform.tfstate.lock.info").exists());
}

/// `count` accounts named `PREFIX-N`, each granted `role` on the seeded folder.
fn members_config(prefix: &str, count: usize, role: &str) -> String {
    (0..count)
        .map(|index| {
            format!(
                r#"
resource "yandex_iam_service_account" "{prefix}_{index}" {{
  name = "{prefix}-{index}"
}}

resource "yandex_resourcemanager_folder_iam_member" "{prefix}_{index}" {{
  folder_id = yandex_iam_service_account.{prefix}_{index}.folder_id
  role      = "{role}"
  member    = "serviceAccount:${{yandex_iam_service_account.{prefix}_{index}.id}}"
}}
"#
            )
        })
        .collect()
}

#[test]
fn two_applies_on_two_states_grant_roles_on_one_folder_without_losing_any() {
    let cloud = Cloud::with_config(Config {
        faults: Faults {
            latency_ms: 5,
            latency_jitter_ms: 20,
            ..Faults::default()
        },
        ..Config::default()
    });
    let folder = cloud.folder();
    let before = cloud.emulator.snapshot().folder_bindings[&folder].clone();
    assert!(!before.is_empty(), "the seeded folder has bindings to keep");
    const EACH: usize = 8;
    let teams = [
        (
            "red",
            workspace(&members_config("red", EACH, "ai.languageModels.user")),
        ),
        ("blue", workspace(&members_config("blue", EACH, "viewer"))),
    ];
    let runs: Vec<Run> = thread::scope(|scope| {
        let handles: Vec<_> = teams
            .iter()
            .map(|(_, dir)| {
                let mut command = cloud.command_in(dir.path());
                command.args(["apply", "-auto-approve", "-parallelism=4"]);
                scope.spawn(move || Run::of(&mut command))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        assert!(
            run.ok().contains(&format!("{} added", EACH * 2)),
            "{}",
            run.stdout
        );
    }

    let snapshot = cloud.emulator.snapshot();
    let bindings = &snapshot.folder_bindings[&folder];
    for kept in &before {
        assert!(
            bindings.contains(kept),
            "the seeded binding {kept:?} was lost"
        );
    }
    for (prefix, role) in [("red", "ai.languageModels.user"), ("blue", "viewer")] {
        for index in 0..EACH {
            let account = snapshot
                .service_accounts
                .iter()
                .find(|a| a.name == format!("{prefix}-{index}"))
                .unwrap();
            assert!(
                bindings
                    .iter()
                    .any(|b| b.role_id == role && b.subject_id == account.id),
                "{prefix}-{index} lost its {role} binding"
            );
        }
    }
    assert_eq!(bindings.len(), before.len() + 2 * EACH);
    for (_, dir) in &teams {
        let plan = Run::of(
            cloud
                .command_in(dir.path())
                .args(["plan", "-detailed-exitcode"]),
        );
        assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    }
}

/// `-parallelism` bounds the API requests under way at once, as the API sees them, and
/// an apply with enough independent work uses all of it.
#[test]
fn parallelism_bounds_the_requests_in_flight() {
    let accounts: String = (0..8)
        .map(|index| {
            format!("resource \"yandex_iam_service_account\" \"sa_{index}\" {{\n  name = \"par-{index}\"\n}}\n")
        })
        .collect();
    for parallelism in [1, 3] {
        let cloud = Cloud::with_config(Config {
            faults: Faults {
                latency_ms: 40,
                ..Faults::default()
            },
            ..Config::default()
        });
        let dir = workspace(&accounts);
        let run = Run::of(cloud.command_in(dir.path()).args([
            "apply",
            "-auto-approve",
            &format!("-parallelism={parallelism}"),
        ]));
        assert!(run.ok().contains("8 added"), "{}", run.stdout);
        let stats = cloud.emulator.stats();
        assert_eq!(
            (stats.peak_in_flight, stats.in_flight),
            (parallelism, 0),
            "-parallelism={parallelism}: {stats:?}"
        );
    }
}
