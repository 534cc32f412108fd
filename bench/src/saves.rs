//! What one state save costs: the whole state written to an S3 bucket (moto's
//! `moto_server` on loopback, named by `YCPROV_S3_SERVER`) and to a local file, for states
//! of N accounts (3N objects), against the floor of one conditional PUT of a tiny object.
//! An S3 backend saves the whole state after every change (no journal), so this is the
//! per-change cost of the bucket.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde_json::json;
use ycprov::backend::s3::S3State;
use ycprov_engine::address::{InstanceKey, ResourceAddr};
use ycprov_engine::remote::RemoteState;
use ycprov_engine::state::{InstanceState, State};
use ycprov_engine::state_file::StateFile;

/// Saves timed per size.
const SAVES: u32 = 20;

/// The cost of saving at one size.
pub struct SaveCost {
    /// Accounts (objects = 3N).
    pub n: usize,
    /// The state's size in bytes.
    pub bytes: usize,
    /// Mean time of one save to the bucket.
    pub s3: Duration,
    /// Mean time of one save to a local file (atomic write, fsync).
    pub local: Duration,
    /// Mean time of one conditional PUT of a 2-byte object: the request floor.
    pub floor: Duration,
}

/// The measurements, or why there are none.
pub type Saves = Result<Vec<SaveCost>, String>;

/// A moto server on a free loopback port; killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto(program: &str) -> Result<Moto> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("moto_server did not start");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bucket = Bucket::new(
        moto.endpoint.parse()?,
        UrlStyle::Path,
        "bench",
        "ru-central1",
    )?;
    let url = bucket
        .create_bucket(&credentials())
        .sign(Duration::from_secs(60));
    let agent: ureq::Agent = ureq::Agent::config_builder().proxy(None).build().into();
    agent
        .put(url.as_str())
        .send_empty()
        .context("creating the bucket")?;
    Ok(moto)
}

fn credentials() -> Credentials {
    Credentials::new("bench-key", "bench-secret")
}

/// A state of `n` accounts, each with a role binding and an API key (with its secret).
fn state_of(n: usize) -> State {
    let mut state = State::new();
    for i in 0..n {
        let records = [
            (
                "yandex_iam_service_account",
                json!({"id": format!("aje{i:017}"), "name": format!("bench-{i}"), "folder_id": "b1gfolder", "description": "", "labels": null, "created_at": "2026-12-02T10:00:00Z"}),
            ),
            (
                "yandex_resourcemanager_folder_iam_member",
                json!({"id": format!("b1gfolder/ai.languageModels.user/serviceAccount:aje{i:017}"), "folder_id": "b1gfolder", "role": "ai.languageModels.user", "member": format!("serviceAccount:aje{i:017}")}),
            ),
            (
                "yandex_iam_service_account_api_key",
                json!({"id": format!("ajk{i:017}"), "service_account_id": format!("aje{i:017}"), "scopes": ["yc.ai.languageModels.execute"], "secret_key": format!("AQVN{i:040}"), "created_at": "2026-12-02T10:00:00Z"}),
            ),
        ];
        for (type_name, attributes) in records {
            let addr = ResourceAddr::new(type_name, format!("a{i}")).instance(InstanceKey::None);
            state.upsert(InstanceState::new(
                &addr,
                0,
                attributes,
                Vec::new(),
                Vec::new(),
            ));
        }
    }
    state
}

fn mean(total: Duration) -> Duration {
    total / SAVES
}

/// Measures the save cost at each size, when `YCPROV_S3_SERVER` names moto_server.
pub fn measure(sizes: &[usize]) -> Saves {
    let program = std::env::var("YCPROV_S3_SERVER").map_err(|_| {
        "skipped: set YCPROV_S3_SERVER to moto_server (scripts/test-s3 installs it)".to_string()
    })?;
    let moto = start_moto(&program).map_err(|e| format!("{e:#}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut costs = Vec::new();
    for &n in sizes {
        let state = state_of(n);
        let handle = |key: &str| {
            S3State::new(
                &moto.endpoint,
                true,
                "bench",
                "ru-central1",
                key,
                credentials(),
                Duration::from_secs(60),
            )
            .map_err(|e| format!("{e:#}"))
        };
        let floor_handle = handle(&format!("floor-{n}"))?;
        floor_handle.read().map_err(|e| format!("{e:#}"))?;
        let started = Instant::now();
        for _ in 0..SAVES {
            floor_handle.write(b"{}").map_err(|e| format!("{e:#}"))?;
        }
        let floor = mean(started.elapsed());

        let mut remote = StateFile::remote(Arc::new(handle(&format!("state-{n}"))?));
        remote.load().map_err(|e| format!("{e:#}"))?;
        let mut saved = state.clone();
        let started = Instant::now();
        for _ in 0..SAVES {
            remote.write(&mut saved).map_err(|e| format!("{e:#}"))?;
        }
        let s3 = mean(started.elapsed());

        let mut local = StateFile::new(dir.path().join(format!("state-{n}.tfstate")));
        let mut saved = state.clone();
        let started = Instant::now();
        for _ in 0..SAVES {
            local.write(&mut saved).map_err(|e| format!("{e:#}"))?;
        }
        let local_cost = mean(started.elapsed());
        let bytes = StateFile::encode(&mut state.clone())
            .map_err(|e| format!("{e:#}"))?
            .len();
        costs.push(SaveCost {
            n,
            bytes,
            s3,
            local: local_cost,
            floor,
        });
    }
    Ok(costs)
}

/// The report section.
pub fn render(out: &mut String, saves: &Saves) {
    let _ = writeln!(
        out,
        "\n5. one state save (the whole state; an s3 backend saves after every change)"
    );
    match saves {
        Err(why) => {
            let _ = writeln!(out, "   {why}");
        }
        Ok(costs) => {
            let _ = writeln!(
                out,
                "   N     objects   state bytes   S3 save   local save   S3 ÷ floor   S3 ÷ local"
            );
            for c in costs {
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                let _ = writeln!(
                    out,
                    "   {:<5} {:>7}   {:>11}   {:>6.1} ms  {:>7.2} ms   {:>9.1}×   {:>9.1}×",
                    c.n,
                    c.n * 3,
                    c.bytes,
                    ms(c.s3),
                    ms(c.local),
                    c.s3.as_secs_f64() / c.floor.as_secs_f64().max(1e-9),
                    c.s3.as_secs_f64() / c.local.as_secs_f64().max(1e-9),
                );
            }
            let _ = writeln!(
                out,
                "   floor = one conditional PUT of a 2-byte object to the same server ({} saves each, means).",
                SAVES
            );
        }
    }
}
