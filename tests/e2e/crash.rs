//! Crash consistency: `ycprov apply` is killed with SIGKILL at many points of its walk
//! over accounts, members and keys (right after the emulator applied the k-th change,
//! before the answer reaches ycprov), then `ycprov apply` runs again. Every rerun must
//! converge to the configuration with no duplicate account, no API key whose secret
//! was lost (such a key is revoked and replaced, with a warning), a state file that
//! always parses and a serial (of the file, or of the journal the killed run left)
//! that never decreases.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use yc_emulator::{Config, Emulator, Quotas};

use crate::support::{Cloud, Run};

/// Service accounts in the configuration; each has one folder role and two API keys.
const ACCOUNTS: usize = 20;
/// The fewest kill points the test must exercise.
const MIN_KILL_POINTS: usize = 50;
/// Kill points run side by side (each has its own emulator and state).
const WORKERS: usize = 3;
/// The seed that picks the kill points.
const SEED: u64 = 0x5EED_C0DE;

const ROLE: &str = "ai.languageModels.user";
const REVOKED_WARNING: &str =
    "revoked because its secret was never stored; a new key will be created";

fn team(index: usize) -> String {
    format!("t{index:02}")
}

/// Accounts `crash-tNN`, each with the role and a primary and a secondary key.
fn config() -> String {
    let mut tf = String::new();
    for index in 0..ACCOUNTS {
        let team = team(index);
        tf.push_str(&format!(
            r#"
resource "yandex_iam_service_account" "{team}" {{
  name        = "crash-{team}"
  description = "team {team}"
}}

resource "yandex_resourcemanager_folder_iam_member" "{team}" {{
  folder_id = yandex_iam_service_account.{team}.folder_id
  role      = "{ROLE}"
  member    = "serviceAccount:${{yandex_iam_service_account.{team}.id}}"
}}

resource "yandex_iam_service_account_api_key" "{team}_primary" {{
  service_account_id = yandex_iam_service_account.{team}.id
  description        = "primary {team}"
  scopes             = ["yc.ai.languageModels.execute"]
}}

resource "yandex_iam_service_account_api_key" "{team}_secondary" {{
  service_account_id = yandex_iam_service_account.{team}.id
  description        = "secondary {team}"
  scopes             = ["yc.ai.languageModels.execute"]
}}
"#
        ));
    }
    tf
}

fn new_cloud() -> Cloud {
    Cloud::with_config(Config {
        quotas: Quotas {
            service_accounts: 1000,
            api_keys: 10_000,
            access_bindings: 10_000,
        },
        ..Config::default()
    })
}

/// The hook that stops at mutating request `at`: it hands the test an acknowledgement
/// channel and holds the request's answer back until the test has killed ycprov.
fn arm(emulator: &Emulator, at: u64) -> Receiver<SyncSender<()>> {
    let (stop_tx, stop_rx) = mpsc::channel::<SyncSender<()>>();
    let stop_tx = Mutex::new(stop_tx);
    emulator.set_request_hook(Some(Arc::new(move |number| {
        if number == at {
            let (ack_tx, ack_rx) = mpsc::sync_channel(1);
            let sent = stop_tx.lock().unwrap().send(ack_tx);
            if sent.is_ok() {
                let _ = ack_rx.recv_timeout(Duration::from_secs(60));
            }
        }
    })));
    stop_rx
}

/// Runs `command`; kills it with SIGKILL when the hook stops a request. Returns whether
/// it was killed.
fn run_until_stopped(mut command: Command, dir: &Path, stop: &Receiver<SyncSender<()>>) -> bool {
    let log = |name: &str| File::create(dir.join(name)).unwrap();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log("killed.stdout"))
        .stderr(log("killed.stderr"))
        .spawn()
        .expect("starting ycprov");
    let started = Instant::now();
    loop {
        match stop.recv_timeout(Duration::from_millis(5)) {
            Ok(ack) => {
                child.kill().expect("SIGKILL");
                child.wait().unwrap();
                let _ = ack.send(());
                return true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().unwrap() {
                    assert!(status.success(), "the unkilled apply failed: {status}");
                    return false;
                }
                assert!(started.elapsed() < Duration::from_secs(300), "ycprov hangs");
            }
            Err(RecvTimeoutError::Disconnected) => unreachable!("the hook lives in the emulator"),
        }
    }
}

/// The state's serial; panics unless the file parses as a state.
fn state_serial(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("terraform.tfstate")).ok()?;
    let state: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the state does not parse ({e}):\n{text}"));
    Some(state["serial"].as_u64().expect("a serial"))
}

/// The serial of the last whole save in the state's journal, if a journal was left.
fn journal_serial(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("terraform.tfstate.journal")).ok()?;
    let whole = &text[..text.rfind('\n')?];
    whole.lines().skip(1).last().map(|line| {
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a whole journal line does not parse ({e}): {line}"));
        record["serial"].as_u64().expect("a serial")
    })
}

fn state(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap()).unwrap()
}

/// Asserts that the cloud is exactly the configuration, that the state records every
/// object (API keys with their secrets) and nothing pending, and that no account was
/// ever created twice. Returns how many keys were created and later revoked.
fn assert_converged(cloud: &Cloud, dir: &Path, point: &str) -> u64 {
    let snapshot = cloud.emulator.snapshot();
    let names: BTreeSet<String> = snapshot
        .service_accounts
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let wanted: BTreeSet<String> = (0..ACCOUNTS)
        .map(|i| format!("crash-{}", team(i)))
        .collect();
    assert_eq!(names, wanted, "{point}: accounts");
    assert_eq!(
        snapshot.service_accounts.len(),
        ACCOUNTS,
        "{point}: no duplicate account"
    );
    let stats = cloud.emulator.stats();
    assert_eq!(
        stats.created("service_account"),
        ACCOUNTS as u64,
        "{point}: an account was created twice"
    );
    let bindings = &snapshot.folder_bindings[&cloud.folder()];
    for account in &snapshot.service_accounts {
        assert!(
            bindings
                .iter()
                .any(|b| b.role_id == ROLE && b.subject_id == account.id),
            "{point}: {} has no role",
            account.name
        );
        let mut descriptions: Vec<&str> = snapshot
            .api_keys
            .iter()
            .filter(|k| k.service_account_id == account.id)
            .map(|k| k.description.as_str())
            .collect();
        descriptions.sort();
        let team = account.name.trim_start_matches("crash-");
        assert_eq!(
            descriptions,
            vec![format!("primary {team}"), format!("secondary {team}")],
            "{point}: keys of {}",
            account.name
        );
    }

    let state = state(dir);
    let records = state["resources"].as_array().unwrap();
    assert_eq!(records.len(), ACCOUNTS * 4, "{point}: state records");
    assert!(
        records.iter().all(|r| r.get("pending_create").is_none()),
        "{point}: a pending create is left"
    );
    let secrets: BTreeMap<&str, &str> = records
        .iter()
        .filter(|r| r["type"] == "yandex_iam_service_account_api_key")
        .map(|r| {
            (
                r["attributes"]["id"].as_str().unwrap(),
                r["attributes"]["secret_key"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for key in &snapshot.api_keys {
        let secret = secrets
            .get(key.id.as_str())
            .unwrap_or_else(|| panic!("{point}: key {} is not in the state", key.id));
        let tail = key.masked_secret.trim_start_matches('*');
        assert!(
            !tail.is_empty() && secret.ends_with(tail),
            "{point}: the state does not hold the secret of key {}",
            key.id
        );
    }
    stats.created("api_key") - snapshot.api_keys.len() as u64
}

/// A clean apply, counting its mutating requests: the length of the walk.
fn walk_length() -> u64 {
    let cloud = new_cloud();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), config()).unwrap();
    let count = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&count);
    cloud
        .emulator
        .set_request_hook(Some(Arc::new(move |number| {
            *counter.lock().unwrap() = number
        })));
    Run::of(
        cloud
            .command_in(dir.path())
            .args(["apply", "-auto-approve"]),
    )
    .ok();
    assert_converged(&cloud, dir.path(), "clean run");
    *count.lock().unwrap()
}

/// What one kill point showed.
struct Point {
    killed: bool,
    revoked: u64,
    /// The killed run left saves in the state journal (the rerun had to replay them).
    journaled: bool,
}

/// Kills an apply at mutating request `at`, runs apply again and checks the result;
/// `thorough` also checks the lock file the killed run left and that a plan is empty.
fn kill_at(at: u64, thorough: bool) -> Point {
    let cloud = new_cloud();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("main.tf"), config()).unwrap();
    let stop = arm(&cloud.emulator, at);
    let mut first = cloud.command_in(dir);
    first.args(["apply", "-auto-approve"]);
    let killed = run_until_stopped(first, dir, &stop);
    cloud.emulator.set_request_hook(None);
    let point = format!("kill point {at}");
    let journaled = journal_serial(dir);
    let serial_after_kill = journaled.max(state_serial(dir)).unwrap_or(0);
    if killed && thorough {
        assert!(
            dir.join(".terraform.tfstate.lock.info").exists(),
            "{point}: the killed run left its lock file"
        );
    }

    let rerun = Run::of(cloud.command_in(dir).args(["apply", "-auto-approve"]));
    rerun.ok();
    if killed {
        assert!(
            rerun.stderr.contains("Took over a stale state lock"),
            "{point}: {}",
            rerun.stderr
        );
    }
    let serial = state_serial(dir).expect("a state after the rerun");
    assert!(
        !dir.join("terraform.tfstate.journal").exists(),
        "{point}: the rerun left a journal beside the state"
    );
    assert!(
        serial >= serial_after_kill,
        "{point}: serial went from {serial_after_kill} to {serial}"
    );
    let revoked = assert_converged(&cloud, dir, &point);
    assert_eq!(
        revoked > 0,
        rerun.stderr.contains(REVOKED_WARNING),
        "{point}: {revoked} keys revoked; stderr:\n{}",
        rerun.stderr
    );
    if thorough {
        let plan = Run::of(cloud.command_in(dir).args(["plan", "-detailed-exitcode"]));
        assert_eq!(plan.code, 0, "{point}: not converged:\n{}", plan.stdout);
    }
    Point {
        killed,
        revoked,
        journaled: journaled.is_some(),
    }
}

/// `count` distinct values of `1..=max` picked by a seeded generator, in order.
fn seeded_points(max: u64, count: usize) -> Vec<u64> {
    let mut state = SEED;
    let mut picked = BTreeSet::new();
    while picked.len() < count.min(max as usize) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        picked.insert(state % max + 1);
    }
    picked.into_iter().collect()
}

#[test]
fn applies_killed_anywhere_converge_on_the_next_run() {
    let started = Instant::now();
    let walk = walk_length();
    assert!(
        walk as usize >= MIN_KILL_POINTS,
        "the walk has only {walk} mutating requests"
    );
    let points = seeded_points(walk, MIN_KILL_POINTS + 12);
    let queue = Mutex::new(points.clone());
    let results: Mutex<Vec<(u64, Point)>> = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let Some(at) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let point = kill_at(at, at % 10 == 0);
                    results.lock().unwrap().push((at, point));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let killed: Vec<u64> = results
        .iter()
        .filter(|(_, p)| p.killed)
        .map(|(at, _)| *at)
        .collect();
    let revoked: u64 = results.iter().map(|(_, p)| p.revoked).sum();
    let journaled = results.iter().filter(|(_, p)| p.journaled).count();
    eprintln!(
        "crash: walk of {walk} mutating requests, {} kill points exercised ({journaled} left a state journal), {revoked} keys with a lost secret revoked, {:.1} s",
        killed.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        journaled * 2 >= killed.len(),
        "only {journaled} of {} killed runs left a journal to replay",
        killed.len()
    );
    assert!(
        killed.len() >= MIN_KILL_POINTS,
        "only {} of {points:?} killed ycprov",
        killed.len()
    );
    assert!(revoked > 0, "some kill points lost a key's secret");
}

/// Applies `tf` (an account and one key of `key_type`), killing the first apply at its
/// second mutating request (the key's create), and applies again: the killed run's key is
/// revoked with `warning` and replaced. Returns the replacement's state record.
fn lost_key_is_replaced(
    tf: &str,
    key_type: &str,
    warning: &str,
    key_ids: impl Fn(&Cloud) -> Vec<String>,
) -> Value {
    let cloud = new_cloud();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("main.tf"), tf).unwrap();
    let stop = arm(&cloud.emulator, 2);
    let mut first = cloud.command_in(dir);
    first.args(["apply", "-auto-approve"]);
    assert!(
        run_until_stopped(first, dir, &stop),
        "killed at the key's create"
    );
    cloud.emulator.set_request_hook(None);
    let lost = key_ids(&cloud);
    assert_eq!(lost.len(), 1, "the killed run's key exists");

    let rerun = Run::of(cloud.command_in(dir).args(["apply", "-auto-approve"]));
    rerun.ok();
    assert!(rerun.stderr.contains(warning), "{}", rerun.stderr);
    let kept = key_ids(&cloud);
    assert_eq!(kept.len(), 1, "one key: the replacement");
    assert_ne!(kept, lost);
    let state = state(dir);
    let record = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == key_type)
        .unwrap()
        .clone();
    assert_eq!(record["attributes"]["id"], kept[0]);
    assert!(record.get("pending_create").is_none());
    record
}

#[test]
fn a_static_key_whose_secret_was_lost_is_revoked_and_replaced() {
    let record = lost_key_is_replaced(
        r#"
resource "yandex_iam_service_account" "s3" {
  name = "crash-static"
}

resource "yandex_iam_service_account_static_access_key" "key" {
  service_account_id = yandex_iam_service_account.s3.id
  description        = "storage"
}
"#,
        "yandex_iam_service_account_static_access_key",
        "Static access key with a lost secret revoked",
        |cloud| {
            cloud
                .emulator
                .snapshot()
                .access_keys
                .into_iter()
                .map(|k| k.id)
                .collect()
        },
    );
    let secret = record["attributes"]["secret_key"].as_str().unwrap();
    assert!(
        secret.starts_with("YC") && secret.len() == 40,
        "a stored secret"
    );
}

#[test]
fn an_authorized_key_whose_private_key_was_lost_is_revoked_and_replaced() {
    let record = lost_key_is_replaced(
        r#"
resource "yandex_iam_service_account" "jwt" {
  name = "crash-jwt"
}

resource "yandex_iam_service_account_key" "key" {
  service_account_id = yandex_iam_service_account.jwt.id
  description        = "signing"
}
"#,
        "yandex_iam_service_account_key",
        "Authorized key with a lost private key revoked",
        |cloud| {
            cloud
                .emulator
                .snapshot()
                .authorized_keys
                .into_iter()
                .map(|k| k.id)
                .collect()
        },
    );
    let private = record["attributes"]["private_key"].as_str().unwrap();
    let id = record["attributes"]["id"].as_str().unwrap();
    assert!(private.contains(id) && private.contains("BEGIN PRIVATE KEY"));
}
