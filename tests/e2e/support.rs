//! Shared helpers: an emulator per test and a way to run `ycprov` against it.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use yc_emulator::{Config, Emulator};

/// The `ycprov` binary under test.
pub const YCPROV: &str = env!("CARGO_BIN_EXE_ycprov");

/// An emulator started for one test.
pub struct Cloud {
    /// The running emulator.
    pub emulator: Emulator,
}

impl Cloud {
    /// Starts a fresh in-memory cloud.
    pub fn start() -> Cloud {
        Cloud::with_config(Config::default())
    }

    /// Starts a cloud with a custom configuration.
    pub fn with_config(config: Config) -> Cloud {
        Cloud {
            emulator: Emulator::start(config).expect("starting the emulator"),
        }
    }

    /// The seeded folder id.
    pub fn folder(&self) -> String {
        self.emulator.seed().folder_id.clone()
    }

    /// A `ycprov` command in `dir` as the seeded admin, with the seeded folder as the default.
    pub fn command_in(&self, dir: &Path) -> Command {
        let mut command = base_command(Some(dir));
        command
            .env("YC_ENDPOINT", self.emulator.base_url())
            .env("YC_IAM_TOKEN", &self.emulator.seed().admin_token)
            .env("YC_FOLDER_ID", self.folder());
        command
    }

    /// Creates a service account named `name` in the seeded folder with `ycprov account
    /// create`; returns its id.
    pub fn create_account(&self, name: &str) -> String {
        let folder = self.folder();
        let created = self
            .ycprov(&[
                "account",
                "create",
                "--folder-id",
                &folder,
                "--name",
                name,
                "--format",
                "json",
            ])
            .json();
        created["id"]
            .as_str()
            .expect("the account has an id")
            .to_string()
    }

    /// Runs `ycprov ARGS` as the seeded admin.
    pub fn ycprov(&self, args: &[&str]) -> Run {
        let token = self.emulator.seed().admin_token.clone();
        self.ycprov_as(Some(&token), args)
    }

    /// Runs `ycprov ARGS` with the given token (none: no credential at all).
    pub fn ycprov_as(&self, token: Option<&str>, args: &[&str]) -> Run {
        let mut command = base_command(None);
        command.env("YC_ENDPOINT", self.emulator.base_url());
        if let Some(token) = token {
            command.env("YC_IAM_TOKEN", token);
        }
        Run::of(command.args(args))
    }
}

/// A `ycprov` command with a clean environment (no YC_* or TF_VAR_* variables inherited).
pub fn base_command(dir: Option<&Path>) -> Command {
    let mut command = Command::new(YCPROV);
    for (key, _) in std::env::vars() {
        if key.starts_with("YC_") || key.starts_with("TF_VAR_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command
}

/// The outcome of one run.
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Runs the command to completion.
    pub fn of(command: &mut Command) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = command.output().expect("running ycprov");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "ycprov failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Parses stdout as JSON after asserting success.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Starts `command` in the background with no stdin and its output captured.
pub fn spawn_piped(command: &mut Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting ycprov")
}

/// A configuration directory with its own state, applied against one emulator.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// A workspace whose main.tf is `tf`.
    pub fn new(tf: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), tf).unwrap();
        Workspace { dir }
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces main.tf.
    pub fn write(&self, tf: &str) {
        std::fs::write(self.path().join("main.tf"), tf).unwrap();
    }

    /// Runs ycprov in it against `cloud` as the admin.
    pub fn run(&self, cloud: &Cloud, args: &[&str]) -> Run {
        Run::of(
            base_command(Some(self.path()))
                .env("YC_ENDPOINT", cloud.emulator.base_url())
                .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
                .env("YC_FOLDER_ID", cloud.folder())
                .args(args),
        )
    }

    /// The state file.
    pub fn state(&self) -> Value {
        let text = std::fs::read_to_string(self.path().join("terraform.tfstate")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// One attribute of the object at `address` in the state.
    pub fn attribute(&self, address: &str, name: &str) -> Value {
        let state = self.state();
        state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} not in state: {state:#}"))["attributes"][name]
            .clone()
    }
}
