//! Integration tests of the engine against an in-memory fake provider.

mod adversarial;
mod bad_input;
mod batching;
mod fake;
mod golden;
mod lifecycle;
mod modules;
mod pending;
mod replace_trigger;
mod variables;

use std::path::PathBuf;

use serde_json::Value;
use time::macros::datetime;
use ycprov_engine::commands::{self, Options, Ui};
use ycprov_engine::providers::Providers;

pub use fake::{Failure, FakeProvider, KEY, MEMBER, SA};

/// A UI that records everything and answers confirmations from a script.
#[derive(Default)]
pub struct TestUi {
    pub out: String,
    pub err: String,
    pub terminal: bool,
    pub answer: Option<String>,
    pub asked: Vec<String>,
}

impl Ui for TestUi {
    fn out(&mut self, text: &str) {
        self.out.push_str(text);
    }
    fn err(&mut self, text: &str) {
        self.err.push_str(text);
    }
    fn confirm(&mut self, question: &str) -> anyhow::Result<bool> {
        self.asked.push(question.to_string());
        Ok(self.answer.as_deref() == Some("yes"))
    }
    fn is_terminal(&self) -> bool {
        self.terminal
    }
}

/// A configuration directory, a state file and a fake cloud.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub provider: FakeProvider,
}

/// What one command produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl Workspace {
    pub fn new(main_tf: &str) -> Workspace {
        let ws = Workspace {
            dir: tempfile::tempdir().unwrap(),
            provider: FakeProvider::new(),
        };
        ws.write("main.tf", main_tf);
        ws
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn opts(&self) -> Options {
        Options {
            env: Some(Vec::new()),
            now: Some(datetime!(2026-03-01 12:00:00 UTC)),
            auto_approve: true,
            ..Options::new(self.dir.path())
        }
    }

    /// The fake provider as the run's only provider (the default Yandex configuration).
    pub fn providers(&self) -> Providers<'_> {
        Providers::single(&self.provider)
    }

    pub fn run_with(&self, opts: &Options, ui: &mut TestUi, cmd: &str) -> i32 {
        let p = &self.providers();
        match cmd {
            "validate" => commands::validate(opts, p, ui),
            "plan" => commands::plan(opts, p, ui),
            "apply" => commands::apply(opts, p, ui),
            "destroy" => commands::destroy(opts, p, ui),
            "refresh" => commands::refresh(opts, p, ui),
            other => panic!("unknown command {other}"),
        }
    }

    pub fn run_opts(&self, opts: &Options, cmd: &str) -> Run {
        let mut ui = TestUi::default();
        let code = self.run_with(opts, &mut ui, cmd);
        Run {
            code,
            out: ui.out,
            err: ui.err,
        }
    }

    pub fn run(&self, cmd: &str) -> Run {
        self.run_opts(&self.opts(), cmd)
    }

    /// Applies and asserts success.
    pub fn apply_ok(&self) -> Run {
        let r = self.run("apply");
        assert_eq!(r.code, 0, "apply failed:\n{}\n{}", r.out, r.err);
        r
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.path("terraform.tfstate")).unwrap())
            .unwrap()
    }

    pub fn state_addresses(&self) -> Vec<String> {
        self.state()["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn attr(&self, address: &str, attr: &str) -> Value {
        self.state()["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address && r.get("deposed").is_none())
            .unwrap_or_else(|| panic!("{address} not in state"))["attributes"][attr]
            .clone()
    }
}

/// The AI Studio access setup: service account, folder role, API key.
pub const AI_STUDIO: &str = r#"
provider "yandex" {
  folder_id = var.folder_id
  token     = "t0ken"
}

variable "folder_id" {
  type    = string
  default = "b1gfolder"
}

resource "yandex_iam_service_account" "sa" {
  name        = "sa-api"
  description = "AI Studio access"
}

resource "yandex_resourcemanager_folder_iam_member" "user" {
  folder_id = var.folder_id
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${yandex_iam_service_account.sa.id}"
}

resource "yandex_iam_service_account_api_key" "key" {
  service_account_id = yandex_iam_service_account.sa.id
  description        = "key for AI Studio"
  scopes             = ["yc.ai.foundationModels.execute"]
  depends_on         = [yandex_resourcemanager_folder_iam_member.user]
}

output "sa_id" {
  value = yandex_iam_service_account.sa.id
}

output "api_key" {
  value     = yandex_iam_service_account_api_key.key.secret_key
  sensitive = true
}
"#;
