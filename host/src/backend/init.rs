//! What `ycprov init` does about the backend: it records the backend it initialized in
//! `.ycprov/backend.json` beside the configuration (without secrets), and when the
//! configuration names another one, `-migrate-state` copies the state across (local file
//! → bucket, bucket → local file), `-reconfigure` takes the new one as it is, and
//! otherwise init stops rather than leave the state behind.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ycprov_engine::commands::{self, Options};
use ycprov_engine::state_file::StateFile;

use crate::cli::InitArgs;

/// The arguments never recorded.
const SECRET_ARGUMENTS: [&str; 2] = ["access_key", "secret_key"];

/// A backend as init records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Recorded {
    /// A local state file.
    Local {
        /// Its path.
        path: PathBuf,
    },
    /// A bucket.
    S3 {
        /// The backend block's arguments, without secrets.
        settings: Map<String, Value>,
    },
}

impl Recorded {
    /// The backend `opts` point at.
    fn of(opts: &Options) -> Recorded {
        match super::backend_of(&opts.config_dir) {
            Some(block) if block.kind == "s3" => {
                let mut settings = block.settings;
                settings.retain(|name, _| !SECRET_ARGUMENTS.contains(&name.as_str()));
                Recorded::S3 { settings }
            }
            _ => Recorded::Local {
                path: std::path::absolute(opts.state_path()).unwrap_or_else(|_| opts.state_path()),
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Recorded::Local { path } => format!("the local file {}", path.display()),
            Recorded::S3 { settings } => format!(
                "s3://{}/{}",
                settings
                    .get("bucket")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                settings.get("key").and_then(Value::as_str).unwrap_or("?")
            ),
        }
    }

    /// The state of this backend (credentials of a bucket from the environment or a
    /// profile, as the record holds no secrets).
    fn state_file(&self) -> Result<StateFile> {
        Ok(match self {
            Recorded::Local { path } => StateFile::new(path),
            Recorded::S3 { settings } => StateFile::remote(Arc::new(super::s3_state(settings)?)),
        })
    }
}

fn record_path(opts: &Options) -> PathBuf {
    opts.config_dir.join(".ycprov").join("backend.json")
}

/// Checks the backend against the one the last init recorded, moves the state when
/// asked, and records the backend now configured.
pub fn prepare(args: &InitArgs, opts: &Options) -> Result<()> {
    let current = Recorded::of(opts);
    let path = record_path(opts);
    let previous: Option<Recorded> =
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(serde_json::from_str(&text).with_context(|| {
                format!("{} is not a backend record; remove it", path.display())
            })?),
            Err(_) => None,
        };
    let source = match (&previous, &current) {
        (Some(before), now) if before == now => None,
        (Some(before), _) if args.migrate_state => Some(before.clone()),
        (Some(before), now) if !args.reconfigure => bail!(
            "the backend changed since the last init: from {} to {}. Run `ycprov init -migrate-state` to copy the state to the new backend, or `ycprov init -reconfigure` to use the new backend as it is",
            before.describe(),
            now.describe()
        ),
        (None, Recorded::S3 { .. }) if args.migrate_state => Some(Recorded::Local {
            path: std::path::absolute(opts.config_dir.join(super::DEFAULT_STATE))
                .unwrap_or_else(|_| opts.config_dir.join(super::DEFAULT_STATE)),
        }),
        _ => None,
    };
    if let Some(source) = source {
        let mut to = opts.state_file();
        let done = commands::migrate_state(&source.state_file()?, &mut to, args.force_copy)
            .context("init -migrate-state")?;
        eprintln!("{done}");
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&current)?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
