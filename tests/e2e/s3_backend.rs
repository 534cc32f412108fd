//! The `s3` backend against a real S3 server on loopback (moto's `moto_server`, which
//! `scripts/test` installs and names in `YCPROV_S3_SERVER`): conditional writes, the
//! state only in the bucket, the lock, foreign writes, kills, and `init -migrate-state`.
//! Run them with `cargo test -p ycprov --test e2e s3_ -- --ignored`.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde_json::Value;
use ycprov::backend::s3::S3State;
use ycprov_engine::lock::{LockInfo, LockStore};
use ycprov_engine::remote::RemoteState;

use crate::support::{Cloud, Run, base_command, spawn_piped};

const ACCESS_KEY: &str = "YCAJEtestaccesskey";
const SECRET_KEY: &str = "YCsecret-s3-test-value-0123456789";
const BUCKET: &str = "tfstate";
const REGION: &str = "ru-central1";

/// A moto S3 server on a free loopback port, with the bucket made; killed on drop.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    fn start() -> S3Server {
        let program = std::env::var("YCPROV_S3_SERVER")
            .expect("YCPROV_S3_SERVER names the moto_server program (scripts/test installs it)");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server");
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let bucket = server.bucket();
        let url = bucket
            .create_bucket(&credentials())
            .sign(Duration::from_secs(60));
        let status = raw(url, "PUT", &[], b"").0;
        assert_eq!(status, 200, "creating the bucket");
        server
    }

    fn bucket(&self) -> Bucket {
        Bucket::new(
            self.endpoint.parse().unwrap(),
            UrlStyle::Path,
            BUCKET,
            REGION,
        )
        .unwrap()
    }

    /// The backend block for state `key`.
    fn backend(&self, key: &str) -> String {
        format!(
            r#"
terraform {{
  backend "s3" {{
    endpoints = {{
      s3 = "{endpoint}"
    }}
    bucket                      = "{BUCKET}"
    region                      = "{REGION}"
    key                         = "{key}"
    use_path_style              = true
    use_lockfile                = true
    skip_region_validation      = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_s3_checksum            = true
  }}
}}
"#,
            endpoint = self.endpoint
        )
    }

    fn state_handle(&self, key: &str) -> S3State {
        S3State::new(
            &self.endpoint,
            true,
            BUCKET,
            REGION,
            key,
            credentials(),
            Duration::from_secs(30),
        )
        .unwrap()
    }

    /// The state object `key`, parsed.
    fn state(&self, key: &str) -> Option<Value> {
        let bytes = self.state_handle(key).read().unwrap()?;
        Some(serde_json::from_slice(&bytes).unwrap())
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn credentials() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY)
}

/// Sends a signed request; returns the status and body.
fn raw(url: url::Url, method: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(url.as_str());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = agent.run(request.body(body.to_vec()).unwrap()).unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, text)
}

/// An S3 server, a cloud, and a working directory whose `main.tf` keeps `accounts` accounts
/// with a key each in the bucket under `key`.
fn s3_workspace(key: &str, accounts: usize) -> (S3Server, Cloud, tempfile::TempDir) {
    let server = S3Server::start();
    let cloud = Cloud::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), config(&server, key, accounts)).unwrap();
    (server, cloud, dir)
}

fn config(server: &S3Server, key: &str, accounts: usize) -> String {
    let mut tf = server.backend(key);
    for i in 0..accounts {
        tf.push_str(&format!(
            r#"
resource "yandex_iam_service_account" "a{i}" {{
  name = "s3-a{i}"
}}

resource "yandex_iam_service_account_api_key" "k{i}" {{
  service_account_id = yandex_iam_service_account.a{i}.id
  scopes             = ["yc.ai.languageModels.execute"]
}}
"#
        ));
    }
    tf
}

fn ycprov(dir: &Path, cloud: &Cloud) -> Command {
    let mut command = base_command(Some(dir));
    command
        .env("YC_ENDPOINT", cloud.emulator.base_url())
        .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
        .env("YC_FOLDER_ID", cloud.folder())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    command
}

fn run(dir: &Path, cloud: &Cloud, args: &[&str]) -> Run {
    Run::of(ycprov(dir, cloud).args(args))
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_the_server_enforces_conditional_writes() {
    let server = S3Server::start();
    let bucket = server.bucket();
    let put = |headers: &[(&str, &str)], body: &[u8]| {
        let url = bucket
            .put_object(Some(&credentials()), "probe")
            .sign(Duration::from_secs(60));
        raw(url, "PUT", headers, body).0
    };
    assert_eq!(put(&[("if-none-match", "*")], b"one"), 200);
    assert_eq!(
        put(&[("if-none-match", "*")], b"two"),
        412,
        "If-None-Match: * on an existing object"
    );
    assert_eq!(
        put(&[("if-match", "\"not-the-etag\"")], b"three"),
        412,
        "If-Match with a stale ETag"
    );
    let handle = server.state_handle("probe");
    assert_eq!(handle.read().unwrap().as_deref(), Some(&b"one"[..]));
    handle.write(b"four").unwrap();
    put(&[], b"foreign");
    let refused = handle.write(b"five").unwrap_err();
    assert!(
        format!("{refused:#}").contains("changed since this run read it"),
        "{refused:#}"
    );
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_apply_plan_destroy_keep_the_state_only_in_the_bucket() {
    let (server, cloud, dir) = s3_workspace("team/terraform.tfstate", 2);

    let init = run(dir.path(), &cloud, &["init"]);
    assert!(
        init.ok()
            .contains("The state is remote: s3://tfstate/team/terraform.tfstate"),
        "{}",
        init.stdout
    );
    run(dir.path(), &cloud, &["apply", "-auto-approve"]).ok();
    assert!(
        !dir.path().join("terraform.tfstate").exists(),
        "no local state"
    );
    let state = server
        .state("team/terraform.tfstate")
        .expect("the state is in the bucket");
    let records = state["resources"].as_array().unwrap();
    assert_eq!(records.len(), 4);
    assert!(
        records
            .iter()
            .filter(|r| r["type"] == "yandex_iam_service_account_api_key")
            .all(|r| r["attributes"]["secret_key"].is_string()),
        "the secrets are in the bucket's state"
    );
    assert!(
        server
            .state_handle("team/terraform.tfstate")
            .read_lock()
            .unwrap()
            .is_none(),
        "the lock is released"
    );

    let plan = Run::of(
        ycprov(dir.path(), &cloud)
            .env("RUST_LOG", "trace")
            .args(["plan", "-detailed-exitcode"]),
    );
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let printed = format!("{}{}", plan.stdout, plan.stderr);
    let key_secrets: Vec<&str> = records
        .iter()
        .filter_map(|r| r["attributes"]["secret_key"].as_str())
        .collect();
    for secret in key_secrets.iter().copied().chain([SECRET_KEY, ACCESS_KEY]) {
        assert!(!printed.contains(secret), "a secret reached the trace log");
    }
    let pulled = run(dir.path(), &cloud, &["state", "pull"]);
    let pulled: Value = serde_json::from_str(pulled.ok()).unwrap();
    assert_eq!(pulled["serial"], state["serial"]);

    run(dir.path(), &cloud, &["destroy", "-auto-approve"]).ok();
    assert!(cloud.emulator.snapshot().service_accounts.is_empty());
    let after = server.state("team/terraform.tfstate").unwrap();
    assert_eq!(after["resources"].as_array().unwrap().len(), 0);
    assert!(!dir.path().join("terraform.tfstate").exists());
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_of_two_concurrent_applies_one_proceeds_and_the_other_fails_fast() {
    let (server, cloud, dir) = s3_workspace("locked.tfstate", 1);
    let rx = pause_at(&cloud, None);
    let first = spawn_piped(ycprov(dir.path(), &cloud).args(["apply", "-auto-approve"]));
    let paused = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the first apply is under way");
    let started = Instant::now();
    let second = run(dir.path(), &cloud, &["apply", "-auto-approve"]);
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "it fails fast");
    let holder = server
        .state_handle("locked.tfstate")
        .read_lock()
        .unwrap()
        .expect("the first run holds the lock");
    for expected in [
        holder.id.as_str(),
        holder.who.as_str(),
        "Operation: apply",
        "ycprov force-unlock",
    ] {
        assert!(
            second.stderr.contains(expected),
            "{expected}: {}",
            second.stderr
        );
    }
    resume_all(&cloud, paused, &rx);
    let output = first.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        cloud.emulator.snapshot().service_accounts.len(),
        1,
        "created once"
    );
    assert!(
        server
            .state_handle("locked.tfstate")
            .read_lock()
            .unwrap()
            .is_none(),
        "released"
    );
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_a_stale_lock_names_its_holder_and_force_unlock_removes_it() {
    let (server, cloud, dir) = s3_workspace("stale.tfstate", 1);
    let holder = LockInfo {
        id: "b7c1e0f2-lock".into(),
        operation: "apply".into(),
        info: String::new(),
        who: "ci@runner-7".into(),
        version: "1.9.0".into(),
        created: "2026-12-01T10:00:00Z".into(),
        path: "tfstate/stale.tfstate".into(),
        pid: None,
    };
    assert!(
        server
            .state_handle("stale.tfstate")
            .create_lock(&holder)
            .unwrap()
            .is_none()
    );
    let refused = run(dir.path(), &cloud, &["apply", "-auto-approve"]);
    assert_eq!(refused.code, 1);
    for expected in [
        "b7c1e0f2-lock",
        "ci@runner-7",
        "2026-12-01T10:00:00Z",
        "ycprov force-unlock b7c1e0f2-lock",
    ] {
        assert!(
            refused.stderr.contains(expected),
            "{expected}: {}",
            refused.stderr
        );
    }
    assert!(
        cloud.emulator.snapshot().service_accounts.is_empty(),
        "nothing was created"
    );
    let wrong = run(dir.path(), &cloud, &["force-unlock", "other-id"]);
    assert_eq!(wrong.code, 1);
    run(dir.path(), &cloud, &["force-unlock", "b7c1e0f2-lock"]).ok();
    run(dir.path(), &cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(cloud.emulator.snapshot().service_accounts.len(), 1);

    let pushed = dir.path().join("old.tfstate");
    let mut old = server.state("stale.tfstate").unwrap();
    old["serial"] = Value::from(0);
    std::fs::write(&pushed, old.to_string()).unwrap();
    let refused = run(
        dir.path(),
        &cloud,
        &["state", "push", pushed.to_str().unwrap()],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("newer than the new one's"),
        "{}",
        refused.stderr
    );
    run(
        dir.path(),
        &cloud,
        &["state", "push", "-force", pushed.to_str().unwrap()],
    )
    .ok();
    assert_eq!(server.state("stale.tfstate").unwrap()["serial"], 0);
}

#[test]
fn s3_validate_needs_no_backend_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let backend = "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key    = \"k\"\n    region = \"ru-central1\"\n  }\n}\n\nresource \"yandex_iam_service_account\" \"a\" {\n  name = \"sa-valid\"\n}\n";
    std::fs::write(dir.path().join("main.tf"), backend).unwrap();
    let home = tempfile::tempdir().unwrap();
    let validated = Run::of(
        base_command(Some(dir.path()))
            .env("HOME", home.path())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .args(["validate"]),
    );
    assert!(
        validated.ok().contains("The configuration is valid"),
        "{}",
        validated.stdout
    );
    let planned = Run::of(
        base_command(Some(dir.path()))
            .env("HOME", home.path())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .args(["plan"]),
    );
    assert_eq!(planned.code, 1);
    assert!(
        planned.stderr.contains("the s3 backend has no access key"),
        "{}",
        planned.stderr
    );
}

#[test]
fn s3_a_local_backend_path_names_the_state_file() {
    let cloud = Cloud::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "terraform {\n  backend \"local\" {\n    path = \"states/team.tfstate\"\n  }\n}\n\nresource \"yandex_iam_service_account\" \"a\" {\n  name = \"local-path\"\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("states")).unwrap();
    run(dir.path(), &cloud, &["apply", "-auto-approve"]).ok();
    assert!(dir.path().join("states/team.tfstate").exists());
    assert!(!dir.path().join("terraform.tfstate").exists());
    let listed = run(dir.path(), &cloud, &["state", "list"]);
    assert!(
        listed.ok().contains("yandex_iam_service_account.a"),
        "{}",
        listed.stdout
    );
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_a_foreign_write_between_two_saves_is_detected() {
    let (server, cloud, dir) = s3_workspace("shared.tfstate", 3);
    let endpoint = server.endpoint.clone();
    let overwritten = Arc::new(Mutex::new(false));
    let flag = overwritten.clone();
    cloud.emulator.set_request_hook(Some(Arc::new(move |number| {
        if number == 2 {
            let bucket = Bucket::new(endpoint.parse().unwrap(), UrlStyle::Path, BUCKET, REGION).unwrap();
            let url = bucket.put_object(Some(&credentials()), "shared.tfstate").sign(Duration::from_secs(60));
            let body = br#"{"version": 4, "serial": 99, "lineage": "someone-else", "resources": [], "outputs": {}}"#;
            assert_eq!(raw(url, "PUT", &[], body).0, 200);
            *flag.lock().unwrap() = true;
        }
    })));
    // One worker: every save completes before the next request, so the foreign write never
    // races one of ours (the S3 test server does not make If-Match atomic with a concurrent PUT).
    let failed = run(
        dir.path(),
        &cloud,
        &["apply", "-auto-approve", "-parallelism=1"],
    );
    cloud.emulator.set_request_hook(None);
    assert!(*overwritten.lock().unwrap());
    assert_eq!(failed.code, 1, "{}{}", failed.stdout, failed.stderr);
    assert!(
        failed.stderr.contains("changed since this run read it"),
        "{}",
        failed.stderr
    );
    let stored = server.state("shared.tfstate").unwrap();
    assert_eq!(
        stored["lineage"], "someone-else",
        "the foreign state was not overwritten"
    );
}

/// Makes the emulator hold back its answer to every applied mutating request (or only to
/// request `at`) until the test acknowledges the sender it receives.
fn pause_at(cloud: &Cloud, at: Option<u64>) -> mpsc::Receiver<SyncSender<()>> {
    let (tx, rx) = mpsc::channel::<SyncSender<()>>();
    let tx = Mutex::new(tx);
    cloud
        .emulator
        .set_request_hook(Some(Arc::new(move |number| {
            if at.is_none_or(|at| at == number) {
                let (ack_tx, ack_rx) = mpsc::sync_channel(1);
                if tx.lock().unwrap().send(ack_tx).is_ok() {
                    let _ = ack_rx.recv_timeout(Duration::from_secs(60));
                }
            }
        })));
    rx
}

/// Removes the hook and lets the held requests (and any that were waiting) answer.
fn resume_all(cloud: &Cloud, paused: SyncSender<()>, rx: &mpsc::Receiver<SyncSender<()>>) {
    cloud.emulator.set_request_hook(None);
    let _ = paused.send(());
    while let Ok(more) = rx.recv_timeout(Duration::from_millis(100)) {
        let _ = more.send(());
    }
}

/// Kills `ycprov apply` when the emulator has applied mutating request `at`; returns
/// whether it was killed.
fn apply_killed_at(dir: &Path, cloud: &Cloud, at: u64) -> bool {
    let rx = pause_at(cloud, Some(at));
    let mut child = ycprov(dir, cloud)
        .args(["apply", "-auto-approve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let killed = loop {
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(ack) => {
                child.kill().unwrap();
                child.wait().unwrap();
                let _ = ack.send(());
                break true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if child.try_wait().unwrap().is_some() {
                    break false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break false,
        }
    };
    cloud.emulator.set_request_hook(None);
    killed
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_a_killed_apply_converges_from_the_buckets_state() {
    let server = S3Server::start();
    for at in 1..=6 {
        let cloud = Cloud::start();
        let key = format!("kill-{at}.tfstate");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), config(&server, &key, 3)).unwrap();
        assert!(apply_killed_at(dir.path(), &cloud, at), "killed at {at}");
        let lock = server
            .state_handle(&key)
            .read_lock()
            .unwrap()
            .expect("a killed run leaves its lock");
        let unlock = run(dir.path(), &cloud, &["force-unlock", &lock.id]);
        assert_eq!(unlock.code, 0, "{}", unlock.stderr);
        run(dir.path(), &cloud, &["apply", "-auto-approve"]).ok();

        let snapshot = cloud.emulator.snapshot();
        assert_eq!(
            snapshot.service_accounts.len(),
            3,
            "kill at {at}: no duplicate account"
        );
        let state = server.state(&key).unwrap();
        let records = state["resources"].as_array().unwrap();
        assert_eq!(records.len(), 6, "kill at {at}");
        for key in &snapshot.api_keys {
            let record = records
                .iter()
                .find(|r| r["attributes"]["id"] == key.id.as_str())
                .unwrap_or_else(|| panic!("kill at {at}: key {} is not in the state", key.id));
            let secret = record["attributes"]["secret_key"]
                .as_str()
                .unwrap_or_default();
            assert!(
                secret.ends_with(key.masked_secret.trim_start_matches('*')),
                "kill at {at}: the bucket holds the secret of {}",
                key.id
            );
        }
        let plan = run(dir.path(), &cloud, &["plan", "-detailed-exitcode"]);
        assert_eq!(plan.code, 0, "kill at {at}: {}{}", plan.stdout, plan.stderr);
    }
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_an_interrupted_apply_saves_what_it_did_and_releases_the_lock() {
    let (server, cloud, dir) = s3_workspace("interrupted.tfstate", 3);
    let rx = pause_at(&cloud, None);
    let child =
        spawn_piped(ycprov(dir.path(), &cloud).args(["apply", "-auto-approve", "-parallelism=1"]));
    let paused = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the apply is under way");
    // SAFETY: signalling our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    std::thread::sleep(Duration::from_millis(300));
    resume_all(&cloud, paused, &rx);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Apply interrupted"), "{stderr}");
    let handle = server.state_handle("interrupted.tfstate");
    assert!(
        handle.read_lock().unwrap().is_none(),
        "the lock is released"
    );
    let saved = server
        .state("interrupted.tfstate")
        .expect("what was done is saved");
    let done = saved["resources"].as_array().unwrap().len();
    assert!((1..6).contains(&done), "{done} objects saved");
    assert!(
        cloud.emulator.snapshot().service_accounts.len() < 3,
        "the interrupt stopped new work"
    );

    run(dir.path(), &cloud, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        cloud.emulator.snapshot().service_accounts.len(),
        3,
        "no duplicate"
    );
    let plan = run(dir.path(), &cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[test]
#[ignore = "needs an S3 server: scripts/test runs it"]
fn s3_init_migrate_state_moves_the_state_both_ways() {
    let server = S3Server::start();
    let cloud = Cloud::start();
    let dir = tempfile::tempdir().unwrap();
    let resources =
        "resource \"yandex_iam_service_account\" \"a\" {\n  name = \"s3-migrated\"\n}\n";
    std::fs::write(dir.path().join("main.tf"), resources).unwrap();
    run(dir.path(), &cloud, &["init"]).ok();
    run(dir.path(), &cloud, &["apply", "-auto-approve"]).ok();
    let local: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();

    std::fs::write(
        dir.path().join("main.tf"),
        format!("{}{resources}", server.backend("moved.tfstate")),
    )
    .unwrap();
    let refused = run(dir.path(), &cloud, &["plan"]);
    assert_eq!(
        refused.code, 0,
        "plan reads the (empty) bucket: {}",
        refused.stderr
    );
    let changed = run(dir.path(), &cloud, &["init"]);
    assert_eq!(changed.code, 1);
    assert!(
        changed.stderr.contains("init -migrate-state"),
        "{}",
        changed.stderr
    );
    let migrated = run(dir.path(), &cloud, &["init", "-migrate-state"]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    let remote = server.state("moved.tfstate").unwrap();
    assert_eq!(
        (&remote["lineage"], &remote["serial"]),
        (&local["lineage"], &local["serial"])
    );
    let plan = run(dir.path(), &cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    run(
        dir.path(),
        &cloud,
        &[
            "apply",
            "-auto-approve",
            "-replace=yandex_iam_service_account.a",
        ],
    )
    .ok();
    let newer = server.state("moved.tfstate").unwrap();
    std::fs::write(dir.path().join("main.tf"), resources).unwrap();
    let back = run(
        dir.path(),
        &cloud,
        &["init", "-migrate-state", "-force-copy"],
    );
    assert_eq!(back.code, 0, "{}", back.stderr);
    let local: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&local["lineage"], &local["serial"]),
        (&newer["lineage"], &newer["serial"])
    );
    let plan = run(dir.path(), &cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}
