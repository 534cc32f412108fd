//! The `yc-emulator` binary: start line, flags and environment variables.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::common::Client;

/// A running binary, killed on drop.
struct Running {
    child: Child,
    banner: Value,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yc-emulator"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("yc-emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let banner = serde_json::from_str(&line).expect("one JSON start line");
    Running { child, banner }
}

fn client(running: &Running) -> Client {
    Client::new(
        running.banner["endpoint"].as_str().unwrap(),
        running.banner["token"].as_str(),
    )
}

#[test]
fn start_line_and_flags() {
    let running = run(&["--seed", "3", "--rate-503", "1"], &[]);
    let banner = &running.banner;
    for field in [
        "endpoint",
        "cloud_id",
        "folder_id",
        "other_folder_id",
        "token",
        "viewer_token",
        "oauth_token",
    ] {
        assert!(
            banner[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field} in {banner}"
        );
    }
    assert!(
        banner["endpoint"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert!(banner["folder_id"].as_str().unwrap().starts_with("b1g"));
    let reply = client(&running).get("/endpoints");
    assert_eq!(reply.status, 503);
}

#[test]
fn environment_variables_configure_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("cloud.json");
    let running = run(
        &[],
        &[
            ("YC_EMULATOR_PENDING_POLLS", "1"),
            ("YC_EMULATOR_STATE_FILE", state.to_str().unwrap()),
        ],
    );
    let client = client(&running);
    let folder = running.banner["folder_id"].as_str().unwrap();
    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": folder, "name": "robot"}),
        )
        .ok();
    assert!(operation.get("done").is_none());
    assert!(state.exists());
    let token = running.banner["token"].clone();
    drop(running);
    let again = run(&["--state-file", state.to_str().unwrap()], &[]);
    assert_eq!(
        again.banner["token"], token,
        "a persisted cloud keeps its tokens"
    );
}

#[test]
fn invalid_rates_are_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_yc-emulator"))
        .args(["--rate-429", "1.5"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--rate-429 must be between 0 and 1"));
}
