//! Load test: several keep-alive client threads against an in-process emulator (or a running
//! one given by `--url` and `--token`), for a fixed time. Prints requests/second and errors;
//! exits non-zero if any request failed.
//!
//! `cargo run --release -p yc-emulator --example load -- --seconds 5`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};
use yc_emulator::{Config, Emulator};

/// Emulator load test.
#[derive(Debug, Parser)]
struct Args {
    /// How long to run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Client threads (each with its own keep-alive connection).
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Target a running emulator instead of starting one in-process.
    #[arg(long, requires_all = ["token", "folder_id"])]
    url: Option<String>,
    /// Admin token of the running emulator.
    #[arg(long)]
    token: Option<String>,
    /// Folder id of the running emulator.
    #[arg(long)]
    folder_id: Option<String>,
}

struct Target {
    base: String,
    token: String,
    folder_id: String,
}

struct Worker {
    agent: ureq::Agent,
    target: Arc<Target>,
}

impl Worker {
    fn new(target: Arc<Target>) -> Worker {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build(),
        );
        Worker { agent, target }
    }

    /// One request; `Ok(body)` only for HTTP 200.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.target.base))
            .header("Authorization", format!("Bearer {}", self.target.token))
            .body(body.map(Value::to_string).unwrap_or_default())?;
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        if status != 200 {
            bail!("{method} {path}: HTTP {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// A service account of this worker, to read and to bind roles to.
    fn setup(&self, index: usize) -> anyhow::Result<String> {
        let name = format!("load-{index}-{}", std::process::id());
        let operation = self.call(
            "POST",
            "/iam/v1/serviceAccounts",
            Some(&json!({"folderId": self.target.folder_id, "name": name})),
        )?;
        operation["metadata"]["serviceAccountId"]
            .as_str()
            .map(str::to_string)
            .context("no service account id in the create Operation")
    }

    /// One round of ten requests: reads, a role change and a poll of its Operation.
    fn round(&self, account: &str, add: bool) -> (u64, u64) {
        let folder = &self.target.folder_id;
        let delta = json!({"accessBindingDeltas": [{
            "action": if add { "ADD" } else { "REMOVE" },
            "accessBinding": {"roleId": "ai.languageModels.user", "subject": {"id": account, "type": "serviceAccount"}},
        }]});
        let mut done = 0;
        let mut errors = 0;
        let mut count = |result: anyhow::Result<Value>| -> Option<Value> {
            done += 1;
            match result {
                Ok(value) => Some(value),
                Err(err) => {
                    errors += 1;
                    eprintln!("error: {err:#}");
                    None
                }
            }
        };
        for _ in 0..4 {
            count(self.call("GET", &format!("/iam/v1/serviceAccounts/{account}"), None));
        }
        for _ in 0..2 {
            count(self.call(
                "GET",
                &format!("/iam/v1/serviceAccounts?folderId={folder}&pageSize=10"),
                None,
            ));
            count(self.call(
                "GET",
                &format!("/resource-manager/v1/folders/{folder}:listAccessBindings"),
                None,
            ));
        }
        let operation = count(self.call(
            "POST",
            &format!("/resource-manager/v1/folders/{folder}:updateAccessBindings"),
            Some(&delta),
        ));
        let id = operation
            .as_ref()
            .and_then(|op| op["id"].as_str())
            .unwrap_or("missing");
        count(self.call("GET", &format!("/operations/{id}"), None));
        (done, errors)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (_emulator, target) = match &args.url {
        Some(url) => (
            None,
            Target {
                base: url.trim_end_matches('/').to_string(),
                token: args.token.clone().unwrap_or_default(),
                folder_id: args.folder_id.clone().unwrap_or_default(),
            },
        ),
        None => {
            let emulator = Emulator::start(Config::default())?;
            let target = Target {
                base: emulator.base_url(),
                token: emulator.seed().admin_token.clone(),
                folder_id: emulator.seed().folder_id.clone(),
            };
            (Some(emulator), target)
        }
    };
    let target = Arc::new(target);
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let workers: Vec<Worker> = (0..args.threads)
        .map(|_| Worker::new(target.clone()))
        .collect();
    let accounts = workers
        .iter()
        .enumerate()
        .map(|(i, worker)| worker.setup(i))
        .collect::<anyhow::Result<Vec<String>>>()?;

    let started = Instant::now();
    let handles: Vec<_> = workers
        .into_iter()
        .zip(accounts)
        .map(|(worker, account)| {
            let (stop, requests, errors) = (stop.clone(), requests.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut add = true;
                while !stop.load(Ordering::Relaxed) {
                    let (done, failed) = worker.round(&account, add);
                    requests.fetch_add(done, Ordering::Relaxed);
                    errors.fetch_add(failed, Ordering::Relaxed);
                    add = !add;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(args.seconds));
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.join().expect("worker thread");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests = requests.load(Ordering::Relaxed);
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "threads: {}, requests: {requests}, seconds: {elapsed:.2}, requests/second: {:.0}, errors: {errors}",
        args.threads,
        requests as f64 / elapsed
    );
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}
